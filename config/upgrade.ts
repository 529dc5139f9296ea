/**
 * Cross-field rules of the Day-2 settings: Istio revisions
 * (`mesh.revisions`, `bookinfo.revisionTag`) and upgrade pacing
 * (`ack-mesh:upgrade`). Pure; `load.ts` adds their problems to the rest.
 * See docs/upgrade.md.
 */
import { ConfigProblem } from "./errors";
import { isPlainRecord } from "./constants";
import { revisionSetProblems, tagSelectorProblems, versionBesideRevisionsProblem } from "./revisions";
import type { ParsedMesh, ParsedUpgrade } from "./schema";

/** The parts of a resolved stack config these rules read (structural, so `load.ts` need not export more). */
export interface Day2View {
    readonly mesh: ParsedMesh;
    readonly bookinfo: { readonly enabled: boolean; readonly namespaceTag?: string };
    readonly clusters: Readonly<
        Record<string, { readonly kubernetesVersion?: string; readonly zones: readonly string[]; readonly nodePools: Readonly<Record<string, { readonly size: number; readonly zones: readonly string[] }>> }>
    >;
    readonly upgrade?: ParsedUpgrade;
}

/** The tag the Bookinfo namespace selects: `bookinfo.revisionTag`, else the default tag when revisions are used, else none. */
export function bookinfoRevisionTag(mesh: ParsedMesh, explicit: string | undefined): string | undefined {
    return explicit ?? (mesh.revisions ? (mesh.revisions.defaultTag ?? "stable") : undefined);
}

/**
 * Problems of `mesh.revisions` and of what selects its tags. `raw` is the
 * unparsed config (to tell an explicit `mesh.istioVersion` from its default).
 */
export function revisionConfigProblems(view: Day2View, raw: Record<string, unknown>, explicitBookinfoTag: string | undefined): ConfigProblem[] {
    const revisions = view.mesh.revisions;
    const rawMesh = raw["mesh"];
    if (!revisions) {
        return explicitBookinfoTag === undefined
            ? []
            : [{ path: "bookinfo.revisionTag", value: explicitBookinfoTag, message: "selects a revision tag, but the mesh has no revisions (mesh.revisions is unset)", fix: "remove it, or set mesh.revisions (docs/upgrade.md)" }];
    }
    const problems = revisionSetProblems(revisions, "mesh.revisions");
    if (isPlainRecord(rawMesh) && rawMesh["istioVersion"] !== undefined) {
        problems.push(
            versionBesideRevisionsProblem(
                "mesh.istioVersion",
                rawMesh["istioVersion"],
                "mesh.revisions",
                `remove it; the running control plane is the revision named default (mesh.revisions.installed.default: ${JSON.stringify(String(rawMesh["istioVersion"]))})`,
            ),
        );
    }
    if (view.bookinfo.enabled && view.bookinfo.namespaceTag !== undefined && explicitBookinfoTag !== undefined) {
        problems.push(...tagSelectorProblems(revisions, [{ path: "bookinfo.revisionTag", what: "namespace bookinfo", tag: explicitBookinfoTag }], "mesh.revisions"));
    }
    return problems;
}

/**
 * Nodes a pool can have in one of its zones, with ACK spreading it evenly
 * over its vSwitches: `floor(size / zones)` or, in the zones that get the
 * remainder, one more; which zones get it is not known in advance.
 */
function nodesPerZone(size: number, zones: number): { fewest: number; most: number } {
    const fewest = Math.floor(size / Math.max(zones, 1));
    return { fewest, most: size % Math.max(zones, 1) === 0 ? fewest : fewest + 1 };
}

/**
 * Problems of `ack-mesh:upgrade`: with node pools following the version
 * of a cluster that pins one, a batch of `maxParallelism` nodes of one pool
 * may be all the pool has in a zone. A zone is at risk when the pool can
 * hold at least one and at most a batch of nodes there (either count of
 * {@link nodesPerZone}) and the other pools have no node there for sure
 * (pools of a cluster upgrade one after another, see `AckCluster`).
 */
export function upgradeConfigProblems(view: Day2View): ConfigProblem[] {
    const pools = view.upgrade?.nodePools;
    if (!pools) return [];
    const problems: ConfigProblem[] = [];
    // Only pinned clusters' pools follow the version (programs/ack-mesh).
    for (const [cluster, c] of Object.entries(view.clusters).filter(([, x]) => x.kubernetesVersion !== undefined)) {
        const emptied = new Map<string, { nodes: number; zones: string[] }>();
        for (const zone of c.zones) {
            const inZone = Object.entries(c.nodePools)
                .filter(([, p]) => p.zones.includes(zone))
                .map(([name, p]) => ({ name, ...nodesPerZone(p.size, p.zones.length) }));
            const sure = inZone.reduce((n, p) => n + p.fewest, 0);
            for (const p of inZone) {
                // The fewest nodes ≥ 1 the pool can have here; at risk when a batch can take them all.
                const nodes = p.fewest >= 1 ? p.fewest : p.most;
                if (nodes < 1 || nodes > pools.maxParallelism || sure - p.fewest >= 1) continue;
                const e = emptied.get(p.name) ?? { nodes, zones: [] };
                e.zones.push(zone);
                emptied.set(p.name, e);
            }
        }
        for (const [pool, e] of emptied) {
            const p = c.nodePools[pool];
            problems.push({
                path: `clusters.${cluster}.nodePools.${pool}`,
                message: `upgrading ${pools.maxParallelism} node(s) at a time can leave ${e.zones.length === 1 ? "zone" : "zones"} ${e.zones.join(", ")} without a healthy node: the pool can have ${e.nodes} node(s) in each (${p.size} node(s) over ${p.zones.length} zone(s)) and no other pool has one there`,
                fix: `raise the pool's size so each zone keeps a node during a batch, add a pool in ${e.zones.join(", ")}, or lower upgrade.nodePools.maxParallelism`,
            });
        }
    }
    return problems;
}

/**
 * The order clusters upgrade in with `upgrade.oneClusterAtATime`: remotes
 * first, then primaries (each group by name), so that the control planes
 * change last and the mesh keeps serving from the clusters not being
 * upgraded. Pure.
 */
export function clusterUpgradeOrder(clusters: Readonly<Record<string, { readonly role: "primary" | "remote" }>>): string[] {
    const names = Object.keys(clusters).sort();
    return [...names.filter((c) => clusters[c].role === "remote"), ...names.filter((c) => clusters[c].role === "primary")];
}
