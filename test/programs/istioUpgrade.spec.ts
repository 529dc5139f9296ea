/**
 * Istio canary upgrades by revision, end to end on the simulated cloud (docs/upgrade.md): the prod
 * and staging stacks go 1.30.3 → 1.31.0 in three config changes (after a one-time step 0 that
 * names the running control plane), and each plan diff is asserted exactly: what is created,
 * updated and deleted, and the upgrade steps `npm run plan -- --diff` names. Bad sequences are
 * rejected: a removed revision still in use (a config error naming the tag or namespace) and
 * downgrades (blocking in the diff).
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { CanonicalPlan, PlanDiff, ROOT, UpgradeSummary, canonicalPlan, classifyUpgrade, diffExitCode, diffPlans, expectConfigError, readStackConfig, simulate } from "../support";

type Revisions = { installed: Record<string, string>; tags: Record<string, string>; defaultTag?: string; base?: string };

/** The canary sequence of docs/upgrade.md. */
export const CANARY_STEPS: Readonly<Record<"step0" | "step1" | "step2" | "step3", Revisions>> = {
    step0: { installed: { default: "1.30.3" }, tags: { stable: "default" } },
    step1: { installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "default", canary: "1-31-0" } },
    step2: { installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "1-31-0", canary: "1-31-0" } },
    step3: { installed: { "1-31-0": "1.31.0" }, tags: { stable: "1-31-0", canary: "1-31-0" } },
};

/** What the diff says when step 3 removes the revision-less control plane without a tag default. */
const INJECTOR_NOTE =
    "removing revision default deletes its webhook istio-sidecar-injector: namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true " +
    "(without istio.io/rev) get no sidecar any more. Check kubectl get ns -l istio-injection=enabled in every cluster and relabel them istio.io/rev=<tag>, " +
    "or first point mesh.revisions.tags.default at the new revision (docs/upgrade.md, step 2)";

/** Runs a stack file with changes to its config (namespaced keys). */
async function run(stack: string, change: (config: Record<string, any>) => void = () => undefined) {
    const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
    const copy = structuredClone(config) as Record<string, any>;
    change(copy);
    return simulate(runAckMesh, { project: "ack-mesh", stack, config: copy, secretConfigKeys });
}

/** The canonical plan of a stack with `mesh.revisions` (none: the stack as it is). */
async function planWith(stack: string, revisions?: Revisions, change: (config: Record<string, any>) => void = () => undefined): Promise<CanonicalPlan> {
    const result = await run(stack, (c) => {
        if (revisions) c["ack-mesh:mesh"] = { ...c["ack-mesh:mesh"], revisions };
        change(c);
    });
    return canonicalPlan(result, { stack, project: "ack-mesh" });
}

/** The changes of a diff as sorted `kind name` lines (unchanged resources left out). */
function changes(diff: PlanDiff): string[] {
    return diff.resources
        .filter((r) => r.kind !== "same")
        .map((r) => `${r.kind} ${r.name}`)
        .sort();
}

/** The steps as `kind: subject` lines. */
function steps(s: UpgradeSummary): string[] {
    return s.steps.map((x) => `${x.kind}: ${x.subject}${x.blocking ? " (blocking)" : ""}`);
}

function inputsOf(plan: CanonicalPlan, name: string): Record<string, any> {
    const r = plan.resources.find((x) => x.name === name && x.operation === "register");
    assert.ok(r, `no resource ${name}`);
    return r.inputs as Record<string, any>;
}

describe("programs: Istio canary upgrade by revision", function () {
    this.timeout(300_000);

    describe("prod (multi-primary, multi-network) 1.30.3 → 1.31.0", () => {
        const plans: Record<string, CanonicalPlan> = {};
        before(async () => {
            plans.before = await planWith("prod");
            for (const [k, v] of Object.entries(CANARY_STEPS)) plans[k] = await planWith("prod", v);
        });
        const diff = (a: string, b: string) => diffPlans(plans[a], plans[b]);

        it("a stack without revisions keeps its revision-less control plane: no revision value, no tag, istio-injection on Bookinfo", () => {
            const p = plans.before;
            const istioNames = p.resources.filter((r) => r.operation === "register" && /^mesh-(beijing|shanghai)-(istiod|tag)/.test(r.name)).map((r) => r.name).sort();
            assert.deepEqual(istioNames, ["mesh-beijing-istiod", "mesh-shanghai-istiod"]);
            assert.equal(inputsOf(p, "mesh-beijing-istiod").name, "istiod");
            assert.equal(inputsOf(p, "mesh-beijing-istiod").values.revision, undefined);
            assert.equal(inputsOf(p, "mesh-beijing-ingress").values.revision, undefined);
            assert.deepEqual(inputsOf(p, "bookinfo-beijing-ns").metadata.labels, { "istio-injection": "enabled" });
        });

        it("step 0 (name the running control plane `default`, tag `stable`) only creates the tag webhooks and updates labels: nothing replaced or deleted", () => {
            const d = diff("before", "step0");
            assert.deepEqual(changes(d), [
                "create mesh-beijing-tag-stable",
                "create mesh-shanghai-tag-stable",
                "update bookinfo-beijing-ns",
                "update bookinfo-shanghai-ns",
                "update mesh-beijing-eastwest",
                "update mesh-beijing-ingress",
                "update mesh-shanghai-eastwest",
                "update mesh-shanghai-ingress",
            ]);
            assert.deepEqual(steps(classifyUpgrade(d, plans.before, plans.step0)), ["add tag: stable → default", "namespace selects: istio-injection=enabled → istio.io/rev=stable"]);
            assert.deepEqual(inputsOf(plans.step0, "mesh-beijing-ingress").values.revision, "stable");
            assert.deepEqual(inputsOf(plans.step0, "bookinfo-beijing-ns").metadata.labels, { "istio.io/rev": "stable" });
        });

        it("step 1 adds revision 1-31-0 on every primary, after upgrading base once; nothing is deleted", () => {
            const d = diff("step0", "step1");
            assert.deepEqual(changes(d), [
                "create mesh-beijing-istiod-1-31-0",
                "create mesh-beijing-tag-canary",
                "create mesh-shanghai-istiod-1-31-0",
                "create mesh-shanghai-tag-canary",
                "update mesh-beijing-base",
                "update mesh-shanghai-base",
            ]);
            assert.deepEqual(steps(classifyUpgrade(d, plans.step0, plans.step1)), ["upgrade base: 1.30.3 → 1.31.0", "add revision: 1-31-0 (1.31.0)", "add tag: canary → 1-31-0"]);
            const rel = inputsOf(plans.step1, "mesh-beijing-istiod-1-31-0");
            assert.deepEqual([rel.name, rel.chart, rel.version, rel.values.revision], ["istiod-1-31-0", "istiod", "1.31.0", "1-31-0"]);
            assert.equal(inputsOf(plans.step1, "mesh-beijing-base").version, "1.31.0");
            // The new istiod waits for the upgraded CRDs.
            const istiod = plans.step1.resources.find((r) => r.name === "mesh-beijing-istiod-1-31-0")!;
            assert.ok(istiod.dependencies.some((u) => u.endsWith("::mesh-beijing-base")));
            assert.equal(diffExitCode(d, false), 0);
        });

        it("step 2 moves tag stable in place; the gateways follow (their chart and pods roll); nothing is created or deleted", () => {
            const d = diff("step1", "step2");
            assert.deepEqual(changes(d), [
                "update mesh-beijing-base",
                "update mesh-beijing-eastwest",
                "update mesh-beijing-ingress",
                "update mesh-beijing-tag-stable",
                "update mesh-shanghai-base",
                "update mesh-shanghai-eastwest",
                "update mesh-shanghai-ingress",
                "update mesh-shanghai-tag-stable",
            ]);
            const s = classifyUpgrade(d, plans.step1, plans.step2);
            assert.deepEqual(steps(s), ["move tag: stable: default → 1-31-0", "validation follows: default → 1-31-0", "gateways follow: 1.30.3 → 1.31.0"]);
            assert.ok(s.notes.some((n) => n.startsWith("running pods keep their sidecars: restart the workloads")));
            const tag = inputsOf(plans.step2, "mesh-beijing-tag-stable");
            assert.equal(tag.metadata.name, "istio-revision-tag-stable");
            assert.deepEqual(tag.webhooks.map((w: any) => w.clientConfig.service.name), ["istiod-1-31-0", "istiod-1-31-0"]);
            assert.equal(inputsOf(plans.step2, "mesh-beijing-base").values.defaultRevision, "1-31-0");
            // The gateways roll only after the tag points at the new revision.
            const ingress = plans.step2.resources.find((r) => r.name === "mesh-beijing-ingress")!;
            assert.ok(ingress.dependencies.some((u) => u.endsWith("::mesh-beijing-tag-stable")));
        });

        it("step 3 removes the old revision: the only deletes of the whole upgrade", () => {
            const d = diff("step2", "step3");
            assert.deepEqual(changes(d), ["delete mesh-beijing-istiod", "delete mesh-shanghai-istiod"]);
            const s = classifyUpgrade(d, plans.step2, plans.step3);
            assert.deepEqual(steps(s), ["remove revision: default (1.30.3)"]);
            assert.deepEqual(s.notes, [INJECTOR_NOTE]);
            for (const [a, b] of [["before", "step0"], ["step0", "step1"], ["step1", "step2"]]) assert.equal(diff(a, b).counts.delete, 0, `${a} → ${b}`);
        });
    });

    describe("prod with tag default (istio-injection=enabled follows the upgrade)", () => {
        it("step 2 also points tag default at 1-31-0: its webhooks take over, then the revision-less istiod drops its injector; step 3 then loses no selector", async () => {
            const step2: Revisions = { ...CANARY_STEPS.step2, tags: { ...CANARY_STEPS.step2.tags, default: "1-31-0" } };
            const step3: Revisions = { ...CANARY_STEPS.step3, tags: { ...CANARY_STEPS.step3.tags, default: "1-31-0" } };
            const [p1, p2, p3] = [await planWith("prod", CANARY_STEPS.step1), await planWith("prod", step2), await planWith("prod", step3)];
            const d = diffPlans(p1, p2);
            assert.deepEqual(changes(d).filter((c) => /istiod|tag/.test(c)), [
                "create mesh-beijing-tag-default",
                "create mesh-shanghai-tag-default",
                "update mesh-beijing-istiod",
                "update mesh-beijing-tag-stable",
                "update mesh-shanghai-istiod",
                "update mesh-shanghai-tag-stable",
            ]);
            assert.equal(inputsOf(p2, "mesh-beijing-istiod").values.global.operatorManageWebhooks, true);
            const istiod = p2.resources.find((r) => r.name === "mesh-beijing-istiod")!;
            assert.ok(istiod.dependencies.some((u) => u.endsWith("::mesh-beijing-tag-default")), "the injector goes only once tag default injects");
            const s2 = classifyUpgrade(d, p1, p2);
            assert.ok(steps(s2).includes("add tag: default → 1-31-0"));
            assert.ok(
                s2.notes.includes(
                    "tag default now answers for namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true: restart their workloads too (kubectl get ns -l istio-injection=enabled, in every cluster)",
                ),
                s2.notes.join("\n"),
            );
            const last = classifyUpgrade(diffPlans(p2, p3), p2, p3);
            assert.deepEqual(steps(last), ["remove revision: default (1.30.3)"]);
            assert.deepEqual(last.notes, []);
        });
    });

    describe("staging (primary-remote) 1.30.3 → 1.31.0", () => {
        const plans: Record<string, CanonicalPlan> = {};
        before(async () => {
            for (const [k, v] of Object.entries(CANARY_STEPS)) plans[k] = await planWith("staging", v);
        });

        it("step 1 adds the revision on the primary and the remote, and exposes it through the primary's east-west gateway", () => {
            const d = diffPlans(plans.step0, plans.step1);
            assert.deepEqual(changes(d), [
                "create mesh-hangzhou-istiod-1-31-0",
                "create mesh-hangzhou-istiod-vs-1-31-0",
                "create mesh-hangzhou-tag-canary",
                "create mesh-shanghai-istiod-1-31-0",
                "create mesh-shanghai-tag-canary",
                "update mesh-hangzhou-base",
                "update mesh-shanghai-base",
            ]);
            const remote = inputsOf(plans.step1, "mesh-shanghai-istiod-1-31-0");
            assert.deepEqual([remote.name, remote.version, remote.values.profile, remote.values.revision], ["istiod-1-31-0", "1.31.0", "remote", "1-31-0"]);
            assert.equal(remote.values.istiodRemote.injectionPath, "/inject/cluster/shanghai/net/network1");
            const vs = inputsOf(plans.step1, "mesh-hangzhou-istiod-vs-1-31-0");
            assert.deepEqual(vs.spec.tls[0].match[0].sniHosts, ["istiod-1-31-0.istio-system.svc", "istiod-1-31-0.istio-system.svc.cluster.local"]);
            assert.equal(vs.spec.tls[1].route[0].destination.host, "istiod-1-31-0.istio-system.svc.cluster.local");
            const tag = inputsOf(plans.step1, "mesh-shanghai-tag-canary");
            assert.deepEqual(tag.webhooks.map((w: any) => `${w.clientConfig.service.name}${w.clientConfig.service.path}`), [
                "istiod-1-31-0/inject/cluster/shanghai/net/network1",
                "istiod-1-31-0/inject/cluster/shanghai/net/network1",
            ]);
        });

        it("step 2 moves the tag on both clusters and sets the remote's default validator revision", () => {
            const d = diffPlans(plans.step1, plans.step2);
            assert.deepEqual(changes(d), [
                "update mesh-hangzhou-base",
                "update mesh-hangzhou-eastwest",
                "update mesh-hangzhou-ingress",
                "update mesh-hangzhou-tag-stable",
                "update mesh-shanghai-base",
                "update mesh-shanghai-tag-stable",
            ]);
            assert.equal(inputsOf(plans.step2, "mesh-shanghai-base").values.defaultRevision, "1-31-0");
            assert.deepEqual(steps(classifyUpgrade(d, plans.step1, plans.step2)), ["move tag: stable: default → 1-31-0", "validation follows: default → 1-31-0", "gateways follow: 1.30.3 → 1.31.0"]);
        });

        it("step 3 deletes the old revision's releases and its istiod-vs, nothing else", () => {
            const d = diffPlans(plans.step2, plans.step3);
            assert.deepEqual(changes(d), ["delete mesh-hangzhou-istiod", "delete mesh-hangzhou-istiod-vs", "delete mesh-shanghai-istiod"]);
            assert.deepEqual(steps(classifyUpgrade(d, plans.step2, plans.step3)), ["remove revision: default (1.30.3)"]);
        });
    });

    describe("bad sequences", () => {
        it("removing a revision a tag still points at is a config error naming the tag, before anything is registered", async () => {
            const bad: Revisions = { installed: { "1-31-0": "1.31.0" }, tags: { stable: "default", canary: "1-31-0" } };
            const e = await expectConfigError(run("prod", (c) => (c["ack-mesh:mesh"] = { ...c["ack-mesh:mesh"], revisions: bad })));
            assert.equal(
                e.message,
                "Invalid ack-mesh configuration (1 problem):\n" +
                    '  - mesh.revisions.tags.stable: points at revision "default", which is not installed (installed: 1-31-0); its webhook would inject from an istiod that does not exist (got "default"). ' +
                    "Fix: keep revision default in mesh.revisions.installed until no tag points at it: move the tag first (mesh.revisions.tags.stable: <another revision>), pulumi up, restart the workloads, then remove the revision",
            );
        });

        it("removing a tag the Bookinfo namespace still selects is a config error naming the namespace", async () => {
            const e = await expectConfigError(
                run("prod", (c) => {
                    c["ack-mesh:mesh"] = { ...c["ack-mesh:mesh"], revisions: CANARY_STEPS.step3 };
                    c["ack-mesh:bookinfo"] = { ...c["ack-mesh:bookinfo"], revisionTag: "beta" };
                }),
            );
            assert.deepEqual(e.problems.map((p) => [p.path, p.message]), [
                ["bookinfo.revisionTag", 'namespace bookinfo selects revision tag "beta" (istio.io/rev=beta), which is not in mesh.revisions.tags (tags: stable, canary)'],
            ]);
        });

        it("mesh.istioVersion beside mesh.revisions is a config error; so is a base older than a revision", async () => {
            const e = await expectConfigError(
                run("prod", (c) => (c["ack-mesh:mesh"] = { ...c["ack-mesh:mesh"], istioVersion: "1.30.3", revisions: { ...CANARY_STEPS.step1, base: "1.30.3" } })),
            );
            assert.deepEqual(e.problems.map((p) => p.path), ["mesh.istioVersion", "mesh.revisions.base"]);
            assert.equal(e.problems[1].message, "is older than revision 1-31-0 (1.31.0): the CRDs must be at least as new as the newest control plane");
        });

        it("rolling back step 1 without pinning base would downgrade the CRDs: the diff blocks it (exit 3); pinning base and removing the tag first keeps them", async () => {
            const step1 = await planWith("prod", CANARY_STEPS.step1);
            const back = await planWith("prod", CANARY_STEPS.step0);
            const s = classifyUpgrade(diffPlans(step1, back), step1, back);
            assert.deepEqual(steps(s), ["downgrade base: 1.31.0 → 1.30.3 (blocking)", "remove tag: canary (was 1-31-0)", "remove revision: 1-31-0 (1.31.0) (blocking)"]);
            assert.equal(s.blocking, true);
            // The tag canary first (its namespaces' new pods get no sidecar), then the revision, with base pinned.
            const untagged = await planWith("prod", { ...CANARY_STEPS.step1, tags: { stable: "default" } });
            const first = classifyUpgrade(diffPlans(step1, untagged), step1, untagged);
            assert.deepEqual(steps(first), ["remove tag: canary (was 1-31-0)"]);
            const pinned = await planWith("prod", { ...CANARY_STEPS.step0, base: "1.31.0" });
            const ok = classifyUpgrade(diffPlans(untagged, pinned), untagged, pinned);
            assert.deepEqual(steps(ok), ["remove revision: 1-31-0 (1.31.0)"]);
            assert.equal(ok.blocking, false);
        });

        it("removing a revision a tag pointed at in the old plan, in the same change that moves the tag (staging step 1 → step 3), is blocking", async () => {
            const a = await planWith("staging", CANARY_STEPS.step1);
            const b = await planWith("staging", CANARY_STEPS.step3);
            const s = classifyUpgrade(diffPlans(a, b), a, b);
            assert.deepEqual(steps(s), ["move tag: stable: default → 1-31-0", "validation follows: default → 1-31-0", "gateways follow: 1.30.3 → 1.31.0", "remove revision: default (1.30.3) (blocking)"]);
            assert.equal(s.blocking, true);
            assert.ok(
                s.notes.includes(
                    "revision default is still in use: tag stable pointed at it before this change; pods it injected lose xDS and certificate renewal when its istiod goes. Move the tags and restart the workloads first, then remove the revision in a change of its own (docs/upgrade.md, step 3), or pass --allow-remove-revision if nothing runs on it",
                ),
                s.notes.join("\n"),
            );
            const allowed = classifyUpgrade(diffPlans(a, b), a, b, { allowRevisionRemoval: true });
            assert.equal(allowed.blocking, false);
        });

        it("replacing the revision-less control plane by a revision in one change (staging without revisions → {1-31-0}) is blocking", async () => {
            const a = await planWith("staging");
            const b = await planWith("staging", { installed: { "1-31-0": "1.31.0" }, tags: { stable: "1-31-0" } });
            const s = classifyUpgrade(diffPlans(a, b), a, b);
            assert.ok(steps(s).includes("add revision: 1-31-0 (1.31.0)"), steps(s).join("\n"));
            assert.ok(steps(s).includes("remove revision: default (1.30.3) (blocking)"), steps(s).join("\n"));
            assert.equal(s.blocking, true);
            assert.ok(s.notes.some((n) => n.startsWith("revision default is still in use: this change adds revision 1-31-0 to replace it;")), s.notes.join("\n"));
        });

        it("lowering a revision's version in place is a blocking downgrade", async () => {
            const a = await planWith("prod", CANARY_STEPS.step3);
            const b = await planWith("prod", { ...CANARY_STEPS.step3, installed: { "1-31-0": "1.30.3" }, base: "1.31.0" });
            assert.deepEqual(steps(classifyUpgrade(diffPlans(a, b), a, b)), ["downgrade: 1-31-0: 1.31.0 → 1.30.3 (blocking)", "gateways follow: 1.31.0 → 1.30.3"]);
        });

        it("doing two canary steps in one change is flagged", async () => {
            const a = await planWith("prod", CANARY_STEPS.step0);
            const b = await planWith("prod", CANARY_STEPS.step2);
            const s = classifyUpgrade(diffPlans(a, b), a, b);
            assert.ok(s.notes.includes("this change does add revision and move tag at once: a canary upgrade is three changes, each applied and checked on its own (docs/upgrade.md)"), s.notes.join("\n"));
        });
    });
});
