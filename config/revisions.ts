/**
 * Istio control-plane revisions and revision tags: the model of a canary
 * upgrade (istio.io "Canary Upgrades" and "Upgrade with Helm", canary
 * section). Plain TypeScript, no zod: the components import it.
 *
 * - A **revision** is one installed control plane: a name and an Istio
 *   version. Each is its own `istiod` Helm release (`istiod-<rev>`, with the
 *   chart value `revision: <rev>`), with its own Service `istiod-<rev>` and
 *   injection webhook. The revision named `default` is the revision-less
 *   install (release and Service `istiod`), i.e. what a stack without
 *   revisions runs: raising its version is an in-place upgrade.
 * - A **revision tag** (e.g. `stable`, `canary`) points at a revision. Its
 *   webhook `istio-revision-tag-<tag>` injects pods of namespaces labelled
 *   `istio.io/rev=<tag>` (istio@1.30.3
 *   manifests/charts/istio-control/istio-discovery/templates/revision-tags-mwc.yaml).
 *   Moving a tag and restarting the workloads moves them to another revision.
 * - The tag named **`default`** (optional) is Istio's own default tag: its
 *   webhook also injects namespaces labelled `istio-injection=enabled`, pods
 *   labelled `sidecar.istio.io/inject=true` and `istio.io/rev=default`
 *   (revision-tags-mwc.yaml, `if (eq $tagName "default")`), which otherwise
 *   only the revision-less install's `istio-sidecar-injector` serves. Pointing
 *   it at a new revision hands those selectors over, so removing the
 *   revision-less install in step 3 loses none; that install then renders no
 *   injector (`global.operatorManageWebhooks`, as `istioctl tag set default`
 *   deactivates it: istioctl/pkg/tag/util.go `DeactivateIstioInjectionWebhook`).
 * - The **default tag** (`defaultTag`) is what the gateways (`gateway` chart `revision`)
 *   and the Bookinfo namespace follow unless told otherwise, and its
 *   revision validates Istio config cluster-wide (base chart
 *   `defaultRevision`, templates/defaultrevision-validatingwebhookconfiguration.yaml).
 * - **`base`** (the CRDs) is one release per cluster, at least as new as
 *   the newest revision: it is upgraded first, when the new revision is
 *   added, and never downgraded.
 */
import { ConfigProblem } from "./errors";
import { DNS_LABEL } from "./constants";
import { compareVersions } from "./versions";

/** Name of the revision-less control plane (Istio's own name for it: `istio.io/rev=default`). */
export const DEFAULT_REVISION = "default";

/** Istio's default tag: also takes over `istio-injection=enabled` and `sidecar.istio.io/inject=true`. */
export const DEFAULT_TAG = "default";

/** Longest revision or tag name: `istiod-<rev>` is a Helm release name (53 characters at most). */
export const MAX_REVISION_NAME_LENGTH = 40;

/** An exact Istio release: `1.30.3`. */
export const ISTIO_RELEASE = /^\d+\.\d+\.\d+$/;

/** The revisions installed in every cluster of the mesh, and the tags that point at them. */
export interface IstioRevisionSet {
    /** Revision name → Istio version (an exact release). `default` is the revision-less install. At least one. */
    readonly installed: Readonly<Record<string, string>>;
    /** Revision tag → revision name. At least one: the default tag. */
    readonly tags: Readonly<Record<string, string>>;
    /** The tag the gateways follow and whose revision validates Istio config. @default "stable" */
    readonly defaultTag?: string;
    /** Chart version of `base` (the CRDs). @default the newest installed version */
    readonly base?: string;
}

/** An {@link IstioRevisionSet} with every default applied. */
export interface ResolvedRevisionSet {
    readonly installed: Readonly<Record<string, string>>;
    readonly tags: Readonly<Record<string, string>>;
    readonly defaultTag: string;
    /** The revision of the default tag. */
    readonly defaultRevision: string;
    readonly base: string;
}

/** Compares two Istio release versions numerically (`1.9.0` < `1.10.0`): {@link compareVersions}. */
export const compareIstioVersions = compareVersions;

/** The newest of some Istio versions. */
export function newestIstioVersion(versions: ReadonlyArray<string>): string {
    return [...versions].sort(compareIstioVersions)[versions.length - 1];
}

/** Helm release name and Service name of a revision's istiod: `istiod` for `default`, else `istiod-<rev>`. */
export function istiodNameOf(revision: string): string {
    return revision === DEFAULT_REVISION ? "istiod" : `istiod-${revision}`;
}

/** A revision name as Istio's docs write it for a version: `1.31.0` → `1-31-0`. */
export function revisionNameOf(version: string): string {
    return version.replace(/\./g, "-");
}

/**
 * Every problem of a revision set, with paths below `at` (`mesh.revisions`
 * in the stack config, `revisions` on a component). Pure.
 */
export function revisionSetProblems(set: IstioRevisionSet, at: string): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) => problems.push(value === undefined ? { path, message, fix } : { path, value, message, fix });
    const revisions = Object.keys(set.installed);
    const listed = revisions.length ? revisions.join(", ") : "none";
    if (revisions.length === 0) add(`${at}.installed`, "has no revision", `add the running control plane, e.g. ${DEFAULT_REVISION}: "1.30.3"`, {});
    const nameProblem = (name: string) => !DNS_LABEL.test(name) || name.length > MAX_REVISION_NAME_LENGTH;
    for (const [rev, version] of Object.entries(set.installed)) {
        if (nameProblem(rev)) {
            add(`${at}.installed.${rev}`, `revision names must be DNS-1123 labels of at most ${MAX_REVISION_NAME_LENGTH} characters (they name the istiod-<rev> release and Service)`, `name it after its version, e.g. ${ISTIO_RELEASE.test(version) ? revisionNameOf(version) : "1-31-0"}`);
        }
        if (typeof version !== "string" || !ISTIO_RELEASE.test(version)) {
            add(`${at}.installed.${rev}`, "is not an exact Istio release", "quote it, e.g. \"1.31.0\" (an unquoted 1.30 is the YAML number 1.3)", version);
        }
    }
    for (const [tag, rev] of Object.entries(set.tags)) {
        if (nameProblem(tag)) add(`${at}.tags.${tag}`, `tag names must be DNS-1123 labels of at most ${MAX_REVISION_NAME_LENGTH} characters`, "use a name such as stable or canary");
        if (tag === DEFAULT_TAG && rev === DEFAULT_REVISION) {
            add(
                `${at}.tags.${tag}`,
                "points at the revision-less control plane, which already injects namespaces labelled istio-injection=enabled",
                `remove it; set tags.${DEFAULT_TAG} to another revision to hand istio-injection=enabled over to that revision (docs/upgrade.md, step 2)`,
                rev,
            );
        }
        // Tag default may share the revision-less install's name: Istio gives it istio.io/rev=default.
        if (Object.hasOwn(set.installed, tag) && tag !== DEFAULT_TAG) {
            add(`${at}.tags.${tag}`, `has the name of an installed revision: istio.io/rev=${tag} would be ambiguous`, "rename the tag or the revision");
        }
        if (!Object.hasOwn(set.installed, rev)) {
            add(
                `${at}.tags.${tag}`,
                `points at revision "${rev}", which is not installed (installed: ${listed}); its webhook would inject from an istiod that does not exist`,
                `keep revision ${rev} in ${at}.installed until no tag points at it: move the tag first (${at}.tags.${tag}: <another revision>), pulumi up, restart the workloads, then remove the revision`,
                rev,
            );
        }
    }
    const defaultTag = set.defaultTag ?? "stable";
    if (!Object.hasOwn(set.tags, defaultTag)) {
        const tags = Object.keys(set.tags);
        add(
            `${at}.defaultTag`,
            `names tag "${defaultTag}", which is not in ${at}.tags (tags: ${tags.length ? tags.join(", ") : "none"}); the gateways follow it and its revision validates Istio config`,
            set.defaultTag === undefined ? `add ${at}.tags.stable: <revision>, or set ${at}.defaultTag to one of the tags` : `use one of the tags, or add ${at}.tags.${defaultTag}`,
            defaultTag,
        );
    }
    const versions = Object.values(set.installed).filter((v) => typeof v === "string" && ISTIO_RELEASE.test(v));
    if (set.base !== undefined) {
        if (!ISTIO_RELEASE.test(set.base)) {
            add(`${at}.base`, "is not an exact Istio release", "quote it, e.g. \"1.31.0\"", set.base);
        } else if (versions.length) {
            const newest = newestIstioVersion(versions);
            if (compareIstioVersions(set.base, newest) < 0) {
                const rev = Object.keys(set.installed).find((r) => set.installed[r] === newest)!;
                add(`${at}.base`, `is older than revision ${rev} (${newest}): the CRDs must be at least as new as the newest control plane`, `set it to ${newest} or newer, or remove it (default: the newest installed version)`, set.base);
            }
        }
    }
    return problems;
}

/**
 * The problem of an Istio version set beside a revision set (each revision
 * carries its version): `path` is the version's config path, `revisionsPath`
 * the set's.
 */
export function versionBesideRevisionsProblem(path: string, value: unknown, revisionsPath: string, fix = `remove ${path.split(".").pop()}`): ConfigProblem {
    return { path, value, message: `is set together with ${revisionsPath}, where each revision carries its own version`, fix };
}

/**
 * Applies the defaults of a valid revision set. Call after
 * {@link revisionSetProblems} found nothing. Pure.
 */
export function resolveRevisionSet(set: IstioRevisionSet): ResolvedRevisionSet {
    const defaultTag = set.defaultTag ?? "stable";
    return {
        installed: Object.fromEntries(Object.entries(set.installed).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        tags: Object.fromEntries(Object.entries(set.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        defaultTag,
        defaultRevision: set.tags[defaultTag],
        base: set.base ?? newestIstioVersion(Object.values(set.installed)),
    };
}

/**
 * Whether tag `default` has taken over the revision-less selectors from the
 * `default` revision, whose istiod then renders no injector webhook.
 */
export function injectorTakenOver(set: Pick<IstioRevisionSet, "tags">): boolean {
    return Object.hasOwn(set.tags, DEFAULT_TAG) && set.tags[DEFAULT_TAG] !== DEFAULT_REVISION;
}

/** Whether revision `rev`'s istiod renders its injector webhook: all but the revision-less one once {@link injectorTakenOver}. */
export function rendersInjector(set: Pick<IstioRevisionSet, "tags">, rev: string): boolean {
    return !(rev === DEFAULT_REVISION && injectorTakenOver(set));
}

/** Who selects a tag: a namespace the stack creates (Bookinfo's), by config path. */
export interface TagSelector {
    /** Config path that chooses the tag, e.g. `bookinfo.revisionTag`. */
    readonly path: string;
    /** What selects it, e.g. `namespace bookinfo`. */
    readonly what: string;
    /** The tag. */
    readonly tag: string;
}

/** Problems of namespaces that select a tag the set does not have. Pure. */
export function tagSelectorProblems(set: IstioRevisionSet, selectors: ReadonlyArray<TagSelector>, at: string): ConfigProblem[] {
    const tags = Object.keys(set.tags);
    return selectors
        .filter((s) => !Object.hasOwn(set.tags, s.tag))
        .map((s) => ({
            path: s.path,
            value: s.tag,
            message: `${s.what} selects revision tag "${s.tag}" (istio.io/rev=${s.tag}), which is not in ${at}.tags (tags: ${tags.length ? tags.join(", ") : "none"})${Object.hasOwn(set.installed, s.tag) ? `; "${s.tag}" is a revision, and namespaces select tags, not revisions` : ""}`,
            fix: `select one of the tags, or keep ${at}.tags.${s.tag} until nothing selects it`,
        }));
}
