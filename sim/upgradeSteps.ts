/**
 * **Upgrade steps of a plan diff**: says which Day-2 steps a diff (see `diff.ts`) performs, so a
 * reviewer sees "add revision 1-31-0" rather than a list of Helm releases (docs/upgrade.md). Pure.
 *
 * Recognised, from the resources' inputs:
 * - `istiod` chart releases (`istiod` is the revision `default`, `istiod-<rev>` the others): created
 *   → **add revision**; deleted → **remove revision**; version raised → **in-place upgrade**;
 *   version lowered → **downgrade** (blocking). A removed revision is blocking while it may still be
 *   in use: a tag webhook of the old plan pointed at it (namespaces may run pods it injected; a tag
 *   moved away in the same change had no restart yet), or the same change adds a revision (the
 *   one-change replacement of a control plane). `--allow-remove-revision` lifts only that block.
 * - `base` chart releases: version raised → **upgrade base** (the CRDs); lowered → **downgrade
 *   base** (blocking: Istio's CRDs are not downgraded, and older CRDs can drop fields that the
 *   newer control plane wrote); `defaultRevision` changed → **validation follows** (the revision
 *   behind `istiod-default-validator`).
 * - revision tag webhooks (label `istio.io/tag`): created → **add tag**; deleted → **remove tag**;
 *   `istio.io/rev` changed → **move tag** (then restart the workloads of its namespaces).
 * - `gateway` chart releases whose version changed → **gateways follow** (their pods roll).
 * - namespaces whose `istio.io/rev` / `istio-injection` labels changed → **namespace selects**.
 * - ACK clusters whose `version` changed → **upgrade Kubernetes** (a lower one: **downgrade
 *   Kubernetes**, blocking; the preflight rejects it before this), and node pools whose
 *   `upgradePolicy.kubernetesVersion` changed to a version → **node pools follow**.
 *
 * @module
 */
import type { CanonicalPlan, CanonicalResource } from "./canonical";
import type { PlanDiff, RenderFormat } from "./diff";
import { markdownCell, markdownTable, textTable } from "./diff";
import { compareVersions } from "../config/versions";
import { isPlainRecord } from "../config/constants";

export { compareVersions };

/** Kinds of upgrade step, in the order they are listed. */
export const UPGRADE_STEP_KINDS = [
    "downgrade base",
    "downgrade",
    "downgrade Kubernetes",
    "upgrade base",
    "add revision",
    "in-place upgrade",
    "add tag",
    "move tag",
    "namespace selects",
    "validation follows",
    "gateways follow",
    "remove tag",
    "remove revision",
    "upgrade Kubernetes",
    "node pools follow",
] as const;
/** One kind of {@link UpgradeStep}. */
export type UpgradeStepKind = (typeof UPGRADE_STEP_KINDS)[number];

/** One classified step: the same change on one or more resources (one per cluster, typically). */
export interface UpgradeStep {
    readonly kind: UpgradeStepKind;
    /** What it is about: `1-31-0 (1.31.0)`, `stable: default → 1-31-0`, `1.30.3 → 1.31.0`. */
    readonly subject: string;
    /** The resources, by name, sorted. */
    readonly resources: readonly string[];
    /** Must not be applied as is (a downgrade). */
    readonly blocking: boolean;
}

/** Options of {@link classifyUpgrade}. */
export interface ClassifyOptions {
    /**
     * The reviewer confirms that nothing runs on the revisions the change removes
     * (`npm run plan -- --allow-remove-revision`): their removal is then not blocking.
     * @default false
     */
    readonly allowRevisionRemoval?: boolean;
}

/** The result of {@link classifyUpgrade}. */
export interface UpgradeSummary {
    readonly steps: readonly UpgradeStep[];
    /** Remarks for the reviewer (several canary steps in one change, workloads to restart). */
    readonly notes: readonly string[];
    readonly blocking: boolean;
}

const RELEASE = "kubernetes:helm.sh/v3:Release";
const WEBHOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const CLUSTER = "alicloud:cs/managedKubernetes:ManagedKubernetes";
const NODE_POOL = "alicloud:cs/nodePool:NodePool";

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (isPlainRecord(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Chart name of a release's inputs: the last path segment of `chart` (an OCI reference ends in it). */
function chartOf(r: CanonicalResource): string | undefined {
    return str(r.inputs["chart"])?.split("/").pop();
}

/** Revision of an istiod release: `istiod` → `default`, `istiod-<rev>` → `<rev>`. */
function revisionOf(r: CanonicalResource): string {
    const name = str(r.inputs["name"]) ?? r.name;
    return name === "istiod" ? "default" : name.replace(/^istiod-/, "");
}

const labelsOf = (r: CanonicalResource | undefined): Rec => rec(rec(r?.inputs["metadata"])["labels"]);

/**
 * Classifies the upgrade steps of `diff` (of `old` → `next`). Resources that are
 * not part of an upgrade are ignored.
 */
export function classifyUpgrade(diff: PlanDiff, old: CanonicalPlan, next: CanonicalPlan, options: ClassifyOptions = {}): UpgradeSummary {
    const olds = new Map(old.resources.filter((r) => r.operation === "register").map((r) => [r.urn, r]));
    const news = new Map(next.resources.filter((r) => r.operation === "register").map((r) => [r.urn, r]));
    const steps = new Map<string, { kind: UpgradeStepKind; subject: string; resources: string[]; blocking: boolean }>();
    const add = (kind: UpgradeStepKind, subject: string, resource: string, blocking = false) => {
        const key = `${kind}\u0000${subject}`;
        const s = steps.get(key) ?? { kind, subject, resources: [], blocking };
        s.resources.push(resource);
        steps.set(key, s);
    };
    const version = (r: CanonicalResource | undefined, key = "version") => str(r?.inputs[key]);
    // Revision → the tags whose webhooks pointed at it before this change (any cluster).
    const taggedBefore = new Map<string, Set<string>>();
    for (const r of olds.values()) {
        const [tag, rev] = [str(labelsOf(r)["istio.io/tag"]), str(labelsOf(r)["istio.io/rev"])];
        if (r.type === WEBHOOK && tag !== undefined && rev !== undefined) taggedBefore.set(rev, (taggedBefore.get(rev) ?? new Set()).add(tag));
    }
    const added = new Set<string>();
    const removed = new Map<string, { rev: string; version?: string }>();
    for (const c of diff.resources) {
        if (c.kind === "same") continue;
        const o = olds.get(c.urn);
        const n = news.get(c.urn);
        const r = (n ?? o)!;
        if (c.type === RELEASE) {
            const chart = chartOf(r);
            const [a, b] = [version(o), version(n)];
            if (chart === "istiod") {
                const rev = revisionOf(r);
                if (c.kind === "create") {
                    add("add revision", `${rev} (${b})`, c.name);
                    added.add(rev);
                } else if (c.kind === "delete") removed.set(c.name, { rev, version: a });
                else if (a && b && a !== b) add(compareVersions(b, a) > 0 ? "in-place upgrade" : "downgrade", `${rev}: ${a} → ${b}`, c.name, compareVersions(b, a) < 0);
            } else if (chart === "base" && c.kind !== "create" && c.kind !== "delete") {
                if (a && b && a !== b) add(compareVersions(b, a) > 0 ? "upgrade base" : "downgrade base", `${a} → ${b}`, c.name, compareVersions(b, a) < 0);
                // base's defaultRevision: which istiod validates Istio config cluster-wide ("default" is the chart's own value).
                const [ra, rb] = [str(rec(o?.inputs["values"])["defaultRevision"]) ?? "default", str(rec(n?.inputs["values"])["defaultRevision"]) ?? "default"];
                if (ra !== rb) add("validation follows", `${ra} → ${rb}`, c.name);
            } else if (chart === "gateway" && c.kind !== "create" && c.kind !== "delete" && a && b && a !== b) {
                add("gateways follow", `${a} → ${b}`, c.name);
            }
        } else if (c.type === WEBHOOK && (labelsOf(o)["istio.io/tag"] ?? labelsOf(n)["istio.io/tag"]) !== undefined) {
            const tag = String(labelsOf(n)["istio.io/tag"] ?? labelsOf(o)["istio.io/tag"]);
            const [a, b] = [str(labelsOf(o)["istio.io/rev"]), str(labelsOf(n)["istio.io/rev"])];
            if (c.kind === "create") add("add tag", `${tag} → ${b}`, c.name);
            else if (c.kind === "delete") add("remove tag", `${tag} (was ${a})`, c.name);
            else if (a !== b) add("move tag", `${tag}: ${a} → ${b}`, c.name);
        } else if (c.type === NAMESPACE && c.kind === "update") {
            const sel = (x: CanonicalResource | undefined) => {
                const l = labelsOf(x);
                return l["istio.io/rev"] !== undefined ? `istio.io/rev=${String(l["istio.io/rev"])}` : l["istio-injection"] !== undefined ? `istio-injection=${String(l["istio-injection"])}` : "no injection";
            };
            if (sel(o) !== sel(n)) add("namespace selects", `${sel(o)} → ${sel(n)}`, c.name);
        } else if (c.type === CLUSTER && c.kind === "update") {
            const [a, b] = [version(o), version(n)];
            if (a && b && a !== b) add(compareVersions(b, a) > 0 ? "upgrade Kubernetes" : "downgrade Kubernetes", `${a} → ${b}`, c.name, compareVersions(b, a) < 0);
        } else if (c.type === NODE_POOL && c.kind === "update") {
            const [a, b] = [str(rec(o?.inputs["upgradePolicy"])["kubernetesVersion"]), str(rec(n?.inputs["upgradePolicy"])["kubernetesVersion"])];
            // upgradePolicy is sent only while an upgrade is due (AckCluster): else "from" is its cluster's old version.
            const from = a ?? version([...olds.values()].find((x) => x.type === CLUSTER && x.parent !== undefined && x.parent === o?.parent));
            if (b && a !== b) add("node pools follow", `${from ?? "(not managed)"} → ${b}`, c.name);
        }
    }
    // Removed revisions, once every added one is known: blocking while they may still be in use (the module doc).
    const notes: string[] = [];
    const inUse = new Map<string, string>();
    for (const [resource, { rev, version: a }] of removed) {
        const tags = [...(taggedBefore.get(rev) ?? [])].sort();
        const replacing = [...added].sort();
        const why = tags.length
            ? `${tags.length === 1 ? "tag" : "tags"} ${tags.join(", ")} pointed at it before this change`
            : replacing.length
              ? `this change adds revision ${replacing.join(", ")} to replace it`
              : undefined;
        if (why) inUse.set(rev, why);
        add("remove revision", `${rev} (${a})`, resource, why !== undefined && !options.allowRevisionRemoval);
    }
    for (const [rev, why] of [...inUse].sort(([x], [y]) => (x < y ? -1 : 1))) {
        notes.push(
            options.allowRevisionRemoval
                ? `revision ${rev} may still be in use (${why}): removed because --allow-remove-revision says nothing runs on it`
                : `revision ${rev} is still in use: ${why}; pods it injected lose xDS and certificate renewal when its istiod goes. Move the tags and restart the workloads first, then remove the revision in a change of its own (docs/upgrade.md, step 3), or pass --allow-remove-revision if nothing runs on it`,
        );
    }
    // The revision-less istiod's istio-sidecar-injector serves istio-injection=enabled unless tag default took it over (config/revisions.ts).
    const defaultTagAfter = [...news.values()].some((r) => r.type === WEBHOOK && labelsOf(r)["istio.io/tag"] === "default");
    if ([...removed.values()].some((x) => x.rev === "default") && !defaultTagAfter) {
        notes.push(
            "removing revision default deletes its webhook istio-sidecar-injector: namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true " +
                "(without istio.io/rev) get no sidecar any more. Check kubectl get ns -l istio-injection=enabled in every cluster and relabel them istio.io/rev=<tag>, " +
                "or first point mesh.revisions.tags.default at the new revision (docs/upgrade.md, step 2)",
        );
    }
    const list = [...steps.values()]
        .map((s) => ({ ...s, resources: [...s.resources].sort() }))
        .sort((x, y) => UPGRADE_STEP_KINDS.indexOf(x.kind) - UPGRADE_STEP_KINDS.indexOf(y.kind) || (x.subject < y.subject ? -1 : x.subject > y.subject ? 1 : 0));
    const kinds = new Set(list.map((s) => s.kind));
    const canary = (["add revision", "move tag", "remove revision"] as const).filter((k) => kinds.has(k));
    if (canary.length > 1) notes.push(`this change does ${canary.join(" and ")} at once: a canary upgrade is three changes, each applied and checked on its own (docs/upgrade.md)`);
    if (list.some((x) => (x.kind === "add tag" && x.subject.startsWith("default →")) || (x.kind === "move tag" && x.subject.startsWith("default:")))) {
        notes.push(
            "tag default now answers for namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true: restart their workloads too (kubectl get ns -l istio-injection=enabled, in every cluster)",
        );
    }
    if (kinds.has("move tag")) {
        notes.push("running pods keep their sidecars: restart the workloads of the namespaces that select a moved tag (kubectl rollout restart deployment -n <namespace>) in every cluster, then check them (docs/upgrade.md, step 2)");
    } else if (kinds.has("namespace selects")) {
        notes.push("running pods keep the sidecars they have: restart a namespace's workloads only if its new tag points at another revision than the one that injected them");
    }
    if (kinds.has("upgrade Kubernetes") || kinds.has("node pools follow")) {
        const order = clusterChain(next);
        notes.push(
            order.length > 1
                ? `clusters upgrade one at a time, in this order: ${order.join(" → ")} (upgrade.oneClusterAtATime)`
                : "clusters upgrade at the same time (set upgrade.oneClusterAtATime to upgrade them one after another, primaries last)",
        );
    }
    if (kinds.has("downgrade base")) notes.push("base (the CRDs) is never downgraded: keep mesh.revisions.base at the newer version when you roll a revision back");
    return { steps: list, notes, blocking: list.some((s) => s.blocking) };
}

/**
 * The ACK clusters of `plan` in the order their dependencies chain them (a cluster that waits for
 * another cluster's resources comes after it); empty when no cluster waits for another.
 */
export function clusterChain(plan: CanonicalPlan): string[] {
    const clusters = plan.resources.filter((r) => r.operation === "register" && r.type === CLUSTER);
    // Every resource of an AckCluster component is the component's child: map each URN to its cluster.
    const ownerOf = new Map<string, string>();
    for (const c of clusters) for (const r of plan.resources) if (r.parent !== undefined && r.parent === c.parent) ownerOf.set(r.urn, c.urn);
    const after = new Map(clusters.map((c) => [c.urn, new Set(c.dependencies.map((d) => ownerOf.get(d)).filter((o): o is string => o !== undefined && o !== c.urn))]));
    if (![...after.values()].some((s) => s.size)) return [];
    const done: string[] = [];
    while (done.length < clusters.length) {
        const ready = clusters.filter((c) => !done.includes(c.urn) && [...after.get(c.urn)!].every((d) => done.includes(d)));
        if (!ready.length) break;
        done.push(...ready.map((c) => c.urn).sort());
    }
    return done.map((u) => clusters.find((c) => c.urn === u)!.name.replace(/-cluster$/, ""));
}

/** Renders the summary as a table (text or markdown), or nothing when the diff has no upgrade step. */
export function renderUpgradeSteps(summary: UpgradeSummary, format: RenderFormat = "text"): string {
    if (!summary.steps.length) return "";
    const md = format === "markdown";
    const rows = summary.steps.map((s) => ({
        step: `${s.kind}${s.blocking ? (md ? " ⛔" : " (blocking)") : ""}`,
        subject: md ? markdownCell(s.subject) : s.subject,
        resources: md ? markdownCell(s.resources.join(", ")) : s.resources.join(", "),
    }));
    const lines = md ? ["", "#### Upgrade steps", "", markdownTable(rows, ["step", "subject", "resources"])] : ["", "Upgrade steps:", textTable(rows, ["step", "subject", "resources"])];
    for (const n of summary.notes) lines.push(md ? `\n> ${markdownCell(n)}` : `note: ${n}`);
    if (summary.blocking) {
        const blocking = new Set(summary.steps.filter((s) => s.blocking).map((s) => s.kind));
        const why = [
            ...(blocking.has("remove revision") && blocking.size === 1 ? [] : ["a downgrade"]),
            ...(blocking.has("remove revision") ? ["a revision still in use removed"] : []),
        ].join(", and ");
        const verdict = `${why[0].toUpperCase()}${why.slice(1)}: BLOCKED (exit 3).`;
        lines.push(md ? `\n⛔ ${verdict}` : verdict);
    }
    return lines.join("\n");
}
