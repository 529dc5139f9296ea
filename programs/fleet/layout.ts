/**
 * The fleet's layout: which stacks an environment is split into, in which
 * layer, under which Pulumi project, and how they name each other. Pure: it
 * only reads the planned topology of the environment's config file
 * (`stacks/Pulumi.<env>.yaml`, the file the monolithic program reads).
 *
 * | layer | stacks | owns |
 * |---|---|---|
 * | `network` | `network` | CIDR plan, VPCs, vSwitches, egress, CEN; the mesh's CA (root and one intermediate per control plane) |
 * | `primaries` | `cluster-<name>` per primary | the ACK cluster, node pools, its security group and the rules into it, Istio (control plane) |
 * | `remotes` | `cluster-<name>` per remote | the same, Istio (remote) and the remote's own remote secret in its primary |
 * | `mesh` | `mesh-<primary>` per primary | the remote secrets in that primary: it reads every other cluster, minus the secrets its own remotes push themselves |
 * | `apps` | `app-bookinfo` (when `bookinfo.enabled`) | Bookinfo over the cluster stacks' outputs |
 */
import { createHash } from "node:crypto";
import type { NetworkPlan } from "../../plan/network";
import type { PlannedTopology } from "../ack-mesh/program";
import { istioRemoteOwnsPair } from "../../components/istioRemote";
import { remoteSecretPairs, RemoteSecretPair } from "../../components/remoteSecret";
import type { MeshIdentity } from "../../components/types";

/** The layers, in the order `up` runs them (`destroy` runs them backwards). */
export const FLEET_LAYERS = ["network", "primaries", "remotes", "mesh", "apps"] as const;

/** One layer of the fleet. */
export type FleetLayer = (typeof FLEET_LAYERS)[number];

/** Prefix of every fleet project name: `ack-mesh-<stack id>`. */
export const FLEET_PROJECT_PREFIX = "ack-mesh-";

/** One stack of the fleet. Its Pulumi stack name is the environment's name. */
export interface FleetStack {
    /** Stack id: `network`, `cluster-<name>`, `mesh-<primary>` or `app-bookinfo`. */
    readonly id: string;
    /** Its layer. */
    readonly layer: FleetLayer;
    /** Pulumi project of the stack: `ack-mesh-<id>`. */
    readonly project: string;
    /** The cluster of a `cluster-<name>` stack. */
    readonly cluster?: string;
    /** The primary of a `mesh-<primary>` stack: the cluster its remote secrets are in. */
    readonly watcher?: string;
    /** Ids of the stacks it reads through stack references, sorted. */
    readonly reads: ReadonlyArray<string>;
}

/**
 * What a preview can show: a stack whose references all point at deployed
 * stacks runs; the others wait (a stack reference to a stack that does not
 * exist fails), in `up` order. Pure.
 * @param deployed ids of the stacks that exist in the backend
 */
export function previewable(stacks: ReadonlyArray<FleetStack>, deployed: ReadonlySet<string>): { run: FleetStack[]; waiting: FleetStack[] } {
    const run = stacks.filter((s) => s.reads.every((r) => deployed.has(r)));
    return { run, waiting: stacks.filter((s) => !run.includes(s)) };
}

/** Pulumi project name of a fleet stack id. */
export function fleetProject(id: string): string {
    return `${FLEET_PROJECT_PREFIX}${id}`;
}

/** Id of the mesh stack of a primary: `mesh-<primary>`. */
export function meshStackId(primary: string): string {
    return `mesh-${primary}`;
}

/** Id of the stack of a cluster: `cluster-<name>`. */
export function clusterStackId(cluster: string): string {
    return `cluster-${cluster}`;
}

/**
 * Fully qualified name of a fleet stack, as `pulumi.StackReference` takes it:
 * `<organization>/ack-mesh-<id>/<env>` (`organization` on the `file://` and
 * `s3://` backends).
 */
export function fleetStackRef(organization: string, id: string, env: string): string {
    return `${organization}/${fleetProject(id)}/${env}`;
}

const SORT = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function stack(id: string, layer: FleetLayer, reads: ReadonlyArray<string>, extra: { cluster?: string; watcher?: string } = {}): FleetStack {
    return { id, layer, project: fleetProject(id), ...extra, reads: [...new Set(reads)].sort(SORT) };
}

/**
 * Every stack of an environment, in `up` order: `network`, the primaries'
 * cluster stacks (sorted), the remotes' (sorted), one `mesh-<primary>` per
 * primary (sorted), then `app-bookinfo` when Bookinfo is enabled. A
 * primary's mesh stack exists even when it holds nothing yet (a single
 * primary: its remotes push their own secrets), so adding a cluster never
 * creates a mesh stack for an existing primary.
 *
 * The remote-secret matrix is split by watcher, not kept in one stack: with
 * P primaries each mesh stack holds at most N − 1 secrets, so no stack grows
 * with N² (P × (N − 1) in one stack is 2,450 secrets for 50 primaries).
 */
export function fleetStacks(planned: Pick<PlannedTopology, "config" | "identity">): FleetStack[] {
    const clusters = Object.values(planned.identity.clusters).sort((a, b) => SORT(a.clusterName, b.clusterName));
    const primaries = clusters.filter((c) => c.controlPlane).map((c) => c.clusterName);
    const meshReads = (watcher: string) => [clusterStackId(watcher), ...meshStackPairs(planned.identity, watcher).map((p) => clusterStackId(p.target))];
    return [
        stack("network", "network", []),
        ...primaries.map((c) => stack(clusterStackId(c), "primaries", ["network"], { cluster: c })),
        ...clusters.filter((c) => !c.controlPlane).map((c) => stack(clusterStackId(c.clusterName), "remotes", ["network", clusterStackId(c.controlledBy)], { cluster: c.clusterName })),
        ...primaries.map((p) => stack(meshStackId(p), "mesh", meshReads(p), { watcher: p })),
        ...(planned.config.bookinfo.enabled ? [stack("app-bookinfo", "apps", clusters.map((c) => clusterStackId(c.clusterName)))] : []),
    ];
}

/**
 * The remote secrets the mesh stacks create: every (primary, other
 * cluster) pair of `remoteSecretPairs`, i.e. primaries × (clusters − 1),
 * minus the pairs a remote's own stack creates (its secret in its own
 * primary); with `watcher`, only that primary's (its `mesh-<primary>`
 * stack). Sorted by watcher, then target.
 */
export function meshStackPairs(identity: MeshIdentity, watcher?: string): RemoteSecretPair[] {
    return remoteSecretPairs(identity).filter((p) => !istioRemoteOwnsPair(identity, p) && (watcher === undefined || p.watcher === watcher));
}

/**
 * A hash of the network plan (every VPC, vSwitch, pod and service range):
 * the `network` stack exports it, and each cluster stack compares it with
 * the hash of the plan it computes from its own copy of the config. Keys are
 * sorted, so the hash depends on the plan only. `sha256:<hex>`.
 */
export function networkPlanHash(network: NetworkPlan): string {
    return `sha256:${createHash("sha256").update(canonicalJson(network)).digest("hex")}`;
}

/** JSON with object keys sorted at every level (arrays keep their order). */
function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => SORT(a, b));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}
