/**
 * The fleet's layout: which stacks an environment is split into, in which
 * layer, under which Pulumi project, and how they name each other. Pure: it
 * only reads the planned topology of the environment's config file
 * (`stacks/Pulumi.<env>.yaml`, the file the monolithic program reads); the
 * component modules it imports are used for their pure planning functions.
 *
 * | layer | stacks | owns |
 * |---|---|---|
 * | `network` | `network` | CIDR plan, VPCs, vSwitches, egress, CEN |
 * | `network` | `ca` | the mesh's CA when it shares a root (root and one intermediate per control plane); read by the primaries only, so no other stack's state holds CA keys |
 * | `security-groups` | `sg-<name>` per cluster | the cluster's security group and every ingress rule into it (peer ranges from the plan) |
 * | `primaries` | `cluster-<name>` per primary | the ACK cluster (in its `sg-<name>` group) and node pools, Istio (control plane) |
 * | `remotes` | `cluster-<name>` per remote | the same, Istio (remote) and the remote's own remote secret in its primary |
 * | `mesh` | `mesh-<primary>` per primary | the remote secrets in that primary: it reads every other cluster, minus the secrets its own remotes push themselves |
 * | `apps` | `app-bookinfo` (when `bookinfo.enabled`) | Bookinfo over the cluster stacks' outputs |
 */
import { createHash } from "node:crypto";
import type { NetworkPlan } from "../../plan/network";
import type { PlannedTopology } from "../compose";
import { istioRemoteOwnsPair } from "../../components/istioRemote";
import { remoteSecretPairs, RemoteSecretPair } from "../../components/remoteSecret";
import type { MeshIdentity } from "../../components/types";
import { ConfigError, ConfigProblem } from "../../config/errors";
import { CONFIG_NAMESPACE, SECRET_CONFIG_KEYS } from "../../config/load";

/** The layers, in the order `up` runs them (`destroy` runs them backwards). */
export const FLEET_LAYERS = ["network", "security-groups", "primaries", "remotes", "mesh", "apps"] as const;

/** One layer of the fleet. */
export type FleetLayer = (typeof FLEET_LAYERS)[number];

/** Prefix of every fleet project name: `ack-mesh-<stack id>`. */
export const FLEET_PROJECT_PREFIX = "ack-mesh-";

/** What every fleet stack has. */
interface FleetStackBase {
    /** Stack id: `network`, `ca`, `sg-<name>`, `cluster-<name>`, `mesh-<primary>` or `app-bookinfo`. */
    readonly id: string;
    /** Pulumi project of the stack: `ack-mesh-<id>`. */
    readonly project: string;
    /** Ids of the stacks it reads through stack references, sorted. */
    readonly reads: ReadonlyArray<string>;
}

/** The `network` and `ca` stacks, and `app-bookinfo`. */
export interface FleetSharedStack extends FleetStackBase {
    readonly layer: "network" | "apps";
}

/** A cluster's role and primary as deployed: what the `network` stack last exported for it. */
export interface ClusterRelation {
    /** Cluster name. */
    readonly name: string;
    /** Its role when the network stack last ran. */
    readonly role: "primary" | "remote";
    /** Its primary then (itself for a primary); absent in the outputs of a network stack older than this field. */
    readonly controlledBy?: string;
}

/**
 * Config key under which an `sg-<name>` stack is given the deployed roles
 * and primaries whose rules it keeps next to the configured layout's while
 * a role or primary change is applied (`SecurityGroupPeering.keepRulesOf`).
 * Set by the orchestrator only; never in a stack file.
 */
export const KEEP_DEPLOYED_CONFIG_KEY = "ack-mesh-fleet:keepRulesOfDeployed";

/** An `sg-<name>` stack: the security group of one cluster and every ingress rule into it. */
export interface FleetSecurityGroupStack extends FleetStackBase {
    readonly layer: "security-groups";
    /** The cluster whose group it holds. */
    readonly cluster: string;
    /**
     * The deployed roles and primaries whose rules this run keeps (the first
     * of the two runs of a role or primary change, {@link KEEP_DEPLOYED_CONFIG_KEY}).
     * @default none: only the configured layout's rules
     */
    readonly keepDeployed?: ReadonlyArray<ClusterRelation>;
}

/** A `cluster-<name>` stack. */
export interface FleetClusterStack extends FleetStackBase {
    readonly layer: "primaries" | "remotes";
    /** Its cluster. */
    readonly cluster: string;
    /** The cluster's primary (itself for a primary). */
    readonly primary: string;
}

/** A `mesh-<primary>` stack. */
export interface FleetMeshStack extends FleetStackBase {
    readonly layer: "mesh";
    /** The primary whose remote secrets it holds (they are in that cluster). */
    readonly watcher: string;
}

/** One stack of the fleet, by layer. Its Pulumi stack name is the environment's name. */
export type FleetStack = FleetSharedStack | FleetSecurityGroupStack | FleetClusterStack | FleetMeshStack;

/** Whether a stack is a `cluster-<name>` stack. */
export function isClusterStack(s: FleetStack): s is FleetClusterStack {
    return s.layer === "primaries" || s.layer === "remotes";
}

/** Id of the stack that holds the mesh CA. */
export const CA_STACK_ID = "ca";

/** Full config keys of the shared root's secret config (`ack-mesh:caRootCert`, `ack-mesh:caRootKey`): only the `ca` stack reads them. */
export const CA_ROOT_CONFIG_KEYS: ReadonlyArray<string> = SECRET_CONFIG_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`);

/**
 * The config and secret keys one stack is given: the environment's, minus
 * the root CA's secret config ({@link CA_ROOT_CONFIG_KEYS}) for every stack
 * but `ca`, the only one that reads it; plus, for an `sg-<name>` stack that
 * keeps the deployed layout's rules, {@link KEEP_DEPLOYED_CONFIG_KEY} (JSON).
 * Pure.
 */
export function configForStack<T>(
    stack: Pick<FleetStack, "id"> & { keepDeployed?: ReadonlyArray<ClusterRelation> },
    config: Readonly<Record<string, T>>,
    secretKeys: ReadonlyArray<string> = [],
): { config: Record<string, T | string>; secretKeys: string[] } {
    const keep = (k: string) => stack.id === CA_STACK_ID || !CA_ROOT_CONFIG_KEYS.includes(k);
    const own: Record<string, T | string> = Object.fromEntries(Object.entries(config).filter(([k]) => keep(k) && k !== KEEP_DEPLOYED_CONFIG_KEY));
    if (stack.keepDeployed) own[KEEP_DEPLOYED_CONFIG_KEY] = JSON.stringify(stack.keepDeployed);
    return { config: own, secretKeys: secretKeys.filter(keep) };
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

/** Id of the stack that holds a cluster's security group and the rules into it: `sg-<name>`. */
export function securityGroupStackId(cluster: string): string {
    return `sg-${cluster}`;
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

function shared(id: string, layer: "network" | "apps", reads: ReadonlyArray<string>): FleetSharedStack {
    return { id, layer, project: fleetProject(id), reads: sorted(reads) };
}

const sorted = (reads: ReadonlyArray<string>) => [...new Set(reads)].sort(SORT);

/** The `cluster-<name>` stack of `cluster` in `layer`, controlled by `primary`, reading `reads`. Pure. */
export function clusterStackOf(cluster: string, layer: FleetClusterStack["layer"], primary: string, reads: ReadonlyArray<string> = []): FleetClusterStack {
    const id = clusterStackId(cluster);
    return { id, layer, project: fleetProject(id), cluster, primary, reads: sorted(reads) };
}

/** The `sg-<name>` stack of `cluster`, reading `reads`. Pure. */
export function securityGroupStackOf(cluster: string, reads: ReadonlyArray<string> = []): FleetSecurityGroupStack {
    const id = securityGroupStackId(cluster);
    return { id, layer: "security-groups", project: fleetProject(id), cluster, reads: sorted(reads) };
}

/** The `mesh-<primary>` stack of `watcher`, reading `reads`. Pure. */
export function meshStackOf(watcher: string, reads: ReadonlyArray<string> = []): FleetMeshStack {
    const id = meshStackId(watcher);
    return { id, layer: "mesh", project: fleetProject(id), watcher, reads: sorted(reads) };
}

/**
 * The `cluster-<name>` stack of a deployed cluster, in the layer of its
 * deployed role (its primary: the recorded one, else itself). It reads
 * nothing: selecting or destroying a stack runs no program. Pure.
 */
export function deployedClusterStack(c: ClusterRelation): FleetClusterStack {
    return clusterStackOf(c.name, c.role === "primary" ? "primaries" : "remotes", c.controlledBy ?? c.name);
}

/**
 * Every stack of an environment, in `up` order: `network` and `ca`, one
 * `sg-<name>` per cluster (sorted), the primaries' cluster stacks (sorted),
 * the remotes' (sorted), one `mesh-<primary>` per primary (sorted), then
 * `app-bookinfo` when Bookinfo is enabled. A primary's mesh stack exists
 * even when it holds nothing yet (a single primary: its remotes push their
 * own secrets), so adding a cluster never creates a mesh stack for an
 * existing primary. The `ca` stack exists even when the mesh shares no root
 * (it is then empty), so switching the shared root off destroys the CA in
 * that stack instead of orphaning a stack that holds the root key; a primary
 * reads it only when the mesh shares a root.
 *
 * The security groups sit in a layer of their own, before every cluster
 * stack, so that adding a cluster creates the rules that admit it into the
 * existing groups in their `sg-<name>` stacks, never in the existing
 * clusters' stacks (which hold the ACK clusters and Istio), and every rule
 * exists before any cluster's Istio starts talking across clusters.
 *
 * The remote-secret matrix is split by watcher, not kept in one stack: with
 * P primaries each mesh stack holds at most N − 1 secrets, so no stack grows
 * with N² (P × (N − 1) in one stack is 2,450 secrets for 50 primaries).
 */
export function fleetStacks(planned: Pick<PlannedTopology, "config" | "identity">): FleetStack[] {
    const clusters = Object.values(planned.identity.clusters).sort((a, b) => SORT(a.clusterName, b.clusterName));
    const primaries = clusters.filter((c) => c.controlPlane).map((c) => c.clusterName);
    const meshReads = (watcher: string) => [clusterStackId(watcher), ...meshStackPairs(planned.identity, watcher).map((p) => clusterStackId(p.target))];
    const caReads = planned.config.mesh.ca.shared ? [CA_STACK_ID] : [];
    const clusterStack = (cluster: string, primary: string, reads: string[]) =>
        clusterStackOf(cluster, cluster === primary ? "primaries" : "remotes", primary, ["network", securityGroupStackId(cluster), ...reads]);
    return [
        shared("network", "network", []),
        shared(CA_STACK_ID, "network", []),
        ...clusters.map((c) => securityGroupStackOf(c.clusterName, ["network"])),
        ...primaries.map((c) => clusterStack(c, c, caReads)),
        ...clusters.filter((c) => !c.controlPlane).map((c) => clusterStack(c.clusterName, c.controlledBy, [clusterStackId(c.controlledBy)])),
        ...primaries.map((p) => meshStackOf(p, meshReads(p))),
        ...(planned.config.bookinfo.enabled ? [shared("app-bookinfo", "apps", clusters.map((c) => clusterStackId(c.clusterName)))] : []),
    ];
}

/** Heading of the error {@link checkFleetSupports} throws. */
export const FLEET_UNSUPPORTED_HEADING = "The fleet cannot deploy this config";

/**
 * Stops a `plan`, `preview` or `up` of the fleet on config it does not
 * deploy, rather than ignoring it: `verify.enabled` (the verification Jobs,
 * `MeshVerification`, are built by the monolith only) and
 * `upgrade.oneClusterAtATime` (pacing within one `pulumi up`). Pure.
 * @throws ConfigError naming the key and the fix
 */
export function checkFleetSupports(planned: Pick<PlannedTopology, "config">): void {
    const problems: ConfigProblem[] = [];
    if (planned.config.upgrade?.oneClusterAtATime === true) {
        problems.push({
            path: `${CONFIG_NAMESPACE}:upgrade.oneClusterAtATime`,
            value: true,
            message:
                "paces the clusters of one pulumi up (remotes first, primaries last), which only the monolithic program does; the fleet runs primaries before remotes, up to --pool cluster stacks at once",
            fix: "remove it for the fleet and pace the upgrade by hand: npm run fleet -- up <env> --pool 1 runs one cluster stack at a time (primaries first), or raise kubernetesVersion on one cluster per change",
        });
    }
    if (planned.config.verify.enabled) {
        problems.push(
                {
                    path: `${CONFIG_NAMESPACE}:verify.enabled`,
                    value: true,
                    message: "asks for the verification Jobs (MeshVerification), which only the monolithic program builds; the fleet would silently leave them out",
                    fix: "set it to false for the fleet and, once the fleet is up, run npm run verify -- <env> --outputs <file>, the file holding the cluster stacks' kubeconfig, ingressAddress and eastWestAddress outputs as kubeconfigs, ingressAddresses and eastWestAddresses by cluster; or deploy this environment with the monolith (programs/ack-mesh)",
                },
        );
    }
    if (problems.length) throw new ConfigError(problems, FLEET_UNSUPPORTED_HEADING);
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
 * A hash of the whole network plan (every VPC, vSwitch, pod and service
 * range): the `network` stack exports it, so two runs' plans can be told
 * apart at a glance; each cluster's stacks check only their own part
 * ({@link clusterNetworkPlanHash}). Keys are sorted, so the hash depends on
 * the plan only. `sha256:<hex>`.
 */
export function networkPlanHash(network: NetworkPlan): string {
    return canonicalHash(network);
}

/**
 * A hash of what the ids the `network` stack exports for one cluster depend
 * on: its region, its VPC (key and CIDR) and, per zone, its node and pod
 * vSwitch CIDRs, in the plan's zone order. Nothing else: not the VPC's member
 * list (adding a cluster to a shared VPC leaves the other members' hashes
 * alone), not its service or Flannel pod range or its slot (they reach the
 * ACK cluster from the config, not through the network stack). The `network`
 * stack exports it per cluster; the cluster's `sg-<name>` and
 * `cluster-<name>` stacks compare it with their own before reading those
 * ids. `sha256:<hex>`.
 * @throws Error when the plan has no cluster `cluster`
 */
export function clusterNetworkPlanHash(network: NetworkPlan, cluster: string): string {
    const own = network.clusters[cluster];
    if (own === undefined) throw new Error(`the network plan has no cluster "${cluster}"`);
    const zones = Object.values(own.zones).map((z) => [z.zone, z.vswitch, z.podVswitch ?? null]);
    const part = { region: own.region, vpc: own.vpc, vpcCidr: network.vpcs[own.vpc]?.cidr ?? own.vpcCidr, zones };
    return canonicalHash(part);
}

/** `sha256:<hex>` of {@link canonicalJson}`(value)`: the same for equal values, whatever their key order. */
function canonicalHash(value: unknown): string {
    return `sha256:${createHash("sha256").update(canonicalJson(value)).digest("hex")}`;
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
