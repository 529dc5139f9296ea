/**
 * How fleet stacks read each other: one `pulumi.StackReference` per stack
 * read, the shapes of what each layer exports, and the plan-hash check.
 *
 * Secrets stay secret across stacks: a stack reference marks an output
 * secret when the referenced stack exported it as a secret
 * (`StackReference.getOutput` / `requireOutput` take the secret bit from the
 * referenced stack's `secretOutputNames`, @pulumi/pulumi 3.248
 * stackReference.js `isSecretOutputName`). That is decided per top-level
 * output, so the secret values (kubeconfig, reader token, CA material) are
 * exported as top-level outputs of their own, never inside a plain object.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, formatProblem } from "../../config/errors";
import type { NetworkPlan } from "../../plan/network";
import type { StackConfig } from "../../config/load";
import type { PlannedTopology } from "../compose";
import { fleetTopology } from "./config";
import type { MeshClusterCacerts } from "../../components/meshCertificateAuthority";
import { clusterHandleFromKubeconfig, ClusterHandle, MeshIdentity } from "../../components/types";
import type { RemoteSecretTarget } from "../../components/remoteSecret";
import { clusterNetworkPlanHash, clusterStackId, fleetStackRef } from "./layout";

/** What the `network` stack exports for one cluster (output `clusters.<name>`). Plain. */
export interface NetworkClusterOutputs {
    /** Hash of the cluster's part of the plan ({@link clusterNetworkPlanHash}): its stacks check it. */
    readonly planHash: string;
    /** VPC key of the plan. */
    readonly vpc: string;
    /** Id of that VPC. */
    readonly vpcId: string;
    /** Region of the cluster. */
    readonly region: string;
    /** Its role in the mesh; the orchestrator reads it to destroy the stack of a removed cluster in its layer. */
    readonly role: "primary" | "remote";
    /** Its primary (itself for a primary); the orchestrator reads it to refuse moving a remote off a primary removed in the same run. */
    readonly controlledBy: string;
    /** Node vSwitch id per zone, in the plan's zone order. */
    readonly vswitchIds: Readonly<Record<string, string>>;
    /** Terway pod vSwitch id per zone (empty for Flannel). */
    readonly podVswitchIds: Readonly<Record<string, string>>;
}

/** The handle data a `cluster-<name>` stack exports (output `cluster`). Plain; the kubeconfig and reader token are separate secret outputs. */
export interface ClusterStackOutputs {
    /** Cluster name: the key under `clusters` in the config, and the cluster's name in the mesh. */
    readonly name: string;
    /** The ACK cluster's name in the console (`clusters.<name>.displayName`). */
    readonly displayName: string;
    /** Region of the cluster. */
    readonly region: string;
    /** Its mesh network (`clusters.<name>.network`, Istio's `topology.istio.io/network`). */
    readonly network: string;
    /** Its role in the mesh. */
    readonly role: "primary" | "remote";
    /** The primary that controls it (itself for a primary). */
    readonly controlledBy: string;
    /** Its CNI: a reader's Kubernetes provider and Bookinfo use it. */
    readonly cni: "terway" | "flannel";
    /** ACK cluster id. */
    readonly clusterId: string;
    /** API server URL the other clusters' istiod read (intranet endpoint). */
    readonly apiServerUrl: string;
    /** API server URL on the internet (empty when the cluster has no public endpoint). */
    readonly apiServerInternet: string;
    /** Id of the cluster's security group (`SecurityGroupPeering` in its `sg-<name>` stack). */
    readonly securityGroupId: string;
}

/** Output names of the fleet stacks, shared by the exporting and the reading side. */
export const OUTPUTS = {
    /** network: hash of the whole network plan (`networkPlanHash`). */
    planHash: "planHash",
    /** network: {@link NetworkClusterOutputs} by cluster name. */
    clusters: "clusters",
    /** sg-<name>: id of the cluster's security group. */
    securityGroupId: "securityGroupId",
    /** ca: plug-in CA material by control plane (secret). */
    cacerts: "cacerts",
    /** cluster: {@link ClusterStackOutputs}. */
    cluster: "cluster",
    /** cluster: admin kubeconfig (secret). */
    kubeconfig: "kubeconfig",
    /** cluster: `{ token, caData }` of its reader ServiceAccount (secret), when another cluster reads it. */
    readerToken: "readerToken",
    /** cluster: east-west gateway address, when it has one. */
    eastWestAddress: "eastWestAddress",
    /** cluster (primary): ingress gateway address, when it has one. */
    ingressAddress: "ingressAddress",
} as const;

/** The reader token a cluster stack exports (secret). */
export interface ExportedReaderToken {
    /** Bearer token of the cluster's reader ServiceAccount (`istio-reader-service-account`). */
    readonly token: string;
    /** Base64 CA bundle of the cluster's API server, as in a kubeconfig's `certificate-authority-data`. */
    readonly caData: string;
}

/** Plug-in CA material of one control plane, as the `ca` stack exports it (inside the secret `cacerts`). */
export type ExportedCacerts = { readonly [K in keyof MeshClusterCacerts]: string };

/**
 * The stack references of one fleet stack, created on first use and named
 * `ref-<id>` (so a stack records a reference only to the stacks it reads).
 */
export class FleetRefs {
    private readonly refs = new Map<string, pulumi.StackReference>();

    /** @param env environment (the stack name of every fleet stack) @param organization @default pulumi.getOrganization() */
    constructor(
        private readonly env: string = pulumi.getStack(),
        private readonly organization: string = pulumi.getOrganization(),
    ) {}

    /** The reference to the stack `id` (`network`, `cluster-<name>`, …). */
    public stack(id: string): pulumi.StackReference {
        let ref = this.refs.get(id);
        if (!ref) {
            ref = new pulumi.StackReference(`ref-${id}`, { name: fleetStackRef(this.organization, id, this.env) });
            this.refs.set(id, ref);
        }
        return ref;
    }

    /** The reference to the stack of cluster `name`. */
    public cluster(name: string): pulumi.StackReference {
        return this.stack(clusterStackId(name));
    }

    /** One output of a cluster stack's `cluster` handle data. */
    public clusterField<K extends keyof ClusterStackOutputs>(name: string, key: K): pulumi.Output<ClusterStackOutputs[K]> {
        return (this.cluster(name).requireOutput(OUTPUTS.cluster) as pulumi.Output<ClusterStackOutputs>).apply((c) => c[key]);
    }

    /**
     * What a remote secret of cluster `name` needs from that cluster's stack:
     * the API server URL (its `cluster` output) and the reader token and CA
     * (its secret `readerToken` output). Read through the reference's whole
     * `outputs` (one apply per field) rather than `requireOutput` per output,
     * which builds about six Outputs each: a mesh stack of 50 primaries reads
     * 49 targets. All three come out secret, because `outputs` is secret when
     * any output is (the SDK's stackReference.js says so of `getOutput`); the
     * kubeconfig they are made into is a secret anyway.
     * @throws Error (when applied) naming the stack and the missing output, as `requireOutput` does
     */
    public remoteSecretTarget(name: string): RemoteSecretTarget {
        const ref = this.cluster(name);
        const stack = fleetStackRef(this.organization, clusterStackId(name), this.env);
        const required = (outputs: Record<string, unknown>, key: string): unknown => {
            if (!Object.hasOwn(outputs, key)) throw new Error(`Required output '${key}' does not exist on stack '${stack}'.`);
            return outputs[key];
        };
        const field = <T>(read: (outputs: Record<string, unknown>) => T): pulumi.Output<T> => (ref.outputs as pulumi.Output<Record<string, unknown>>).apply(read);
        return {
            clusterName: name,
            apiServerUrl: field((o) => (required(o, OUTPUTS.cluster) as ClusterStackOutputs).apiServerUrl),
            token: field((o) => (required(o, OUTPUTS.readerToken) as ExportedReaderToken).token),
            caData: field((o) => (required(o, OUTPUTS.readerToken) as ExportedReaderToken).caData),
        };
    }

    /**
     * A {@link ClusterHandle} of another fleet cluster, built from its stack's
     * exported kubeconfig (secret) and API server URL: a `kubernetes.Provider`
     * named `<name>-k8s` in the reading stack.
     */
    public handle(identity: MeshIdentity, name: string, cni?: "terway" | "flannel"): ClusterHandle {
        const c = identity.clusters[name];
        return clusterHandleFromKubeconfig(name, {
            name,
            region: c.region,
            network: c.network,
            kubeconfig: this.cluster(name).requireOutput(OUTPUTS.kubeconfig) as pulumi.Output<string>,
            apiServerUrl: this.clusterField(name, "apiServerUrl"),
            ...(cni ? { cni } : {}),
        });
    }
}

/** Heading of the error a cluster's stack throws when the `network` stack was built from another plan. */
export const PLAN_MISMATCH_HEADING = "The network stack was built from a different network plan";

/**
 * Whether the `network` stack's exported plan hash of `cluster`
 * (`clusters.<cluster>.planHash`) is the hash of that cluster's part of
 * `network`, the plan this stack computed from its own copy of the
 * environment's config ({@link clusterNetworkPlanHash}). Awaited before any
 * resource but the stack reference.
 *
 * Only the cluster's own part counts: adding or removing another cluster
 * changes the whole plan but not the VPC and vSwitch ids this cluster's
 * stacks read, so their previews show those ids as they are, not unknown.
 *
 * On `up` a mismatch stops the stack: the ids it would read belong to
 * another plan. On a preview it is expected when the cluster is new or its
 * part of the plan changed (the network stack is only previewed, not
 * updated), so it is a warning, and the caller treats what it reads from the
 * network stack as unknown.
 * @returns true when the hashes match; false on a preview with a mismatch
 * @throws ConfigError naming both hashes and the fix (not a preview)
 */
export async function checkNetworkPlan(ref: pulumi.StackReference, network: NetworkPlan, cluster: string, env: string): Promise<boolean> {
    const details = await ref.getOutputDetails(OUTPUTS.clusters);
    const exported = (details.value as Record<string, Partial<NetworkClusterOutputs>> | undefined)?.[cluster]?.planHash;
    const expected = clusterNetworkPlanHash(network, cluster);
    if (exported === expected) return true;
    const problem = {
        path: `network.clusters.${cluster}.planHash`,
        value: exported ?? "(none)",
        message: `differs from the plan of cluster ${cluster} computed from this config (${expected}): the cluster is new, or its zones, VPC or CIDRs changed, since the network stack last ran`,
        fix: `run the network layer first (npm run fleet -- up ${env} runs it before the cluster's stacks)`,
    };
    if (pulumi.runtime.isDryRun()) {
        pulumi.log.warn(`${PLAN_MISMATCH_HEADING}: ${formatProblem(problem)}. This preview shows what the network stack exports as unknown.`);
        return false;
    }
    throw new ConfigError([problem], PLAN_MISMATCH_HEADING);
}

/** What a cluster's stack (`sg-<name>` or `cluster-<name>`) starts from ({@link openClusterStack}). */
export interface ClusterStackContext {
    /** The environment's planned topology, from this stack's config. */
    readonly planned: PlannedTopology;
    /** The cluster's config. */
    readonly cluster: StackConfig["clusters"][string];
    /** This stack's references. */
    readonly refs: FleetRefs;
    /** What the `network` stack exports for the cluster (unknown in a preview over a changed plan of it). */
    readonly fromNetwork: pulumi.Output<NetworkClusterOutputs>;
    /** Whether the network stack was built from this cluster's part of the plan ({@link checkNetworkPlan}). */
    readonly current: boolean;
}

/**
 * The start of a cluster's stack: the planned topology from the stack's
 * config, the cluster (a {@link ConfigError} naming `removedFix` when the
 * config has no such cluster, before any resource), and the network plan
 * check ({@link checkNetworkPlan}).
 * @param stackId the running stack's id (`sg-<name>` or `cluster-<name>`)
 * @param removedFix the fix for a stack whose cluster is gone from the config
 * @param groupsOf the clusters whose security groups the stack creates, whose
 *   rule counts are checked ({@link fleetTopology}): `[name]` for the
 *   `sg-<name>` stack; default none
 */
export async function openClusterStack(stackId: string, name: string, removedFix: string, groupsOf: ReadonlyArray<string> = []): Promise<ClusterStackContext> {
    const planned = fleetTopology(stackId, groupsOf);
    const cluster = planned.config.clusters[name];
    if (cluster === undefined) {
        throw new ConfigError([{ path: `clusters.${name}`, message: "is not a cluster of this environment's config", fix: removedFix }], `No cluster "${name}"`);
    }
    const refs = new FleetRefs();
    const net = refs.stack("network");
    const current = await checkNetworkPlan(net, planned.network, name, pulumi.getStack());
    return { planned, cluster, refs, fromNetwork: networkClusterOutputs(net, name, current), current };
}

/**
 * What the `network` stack exports for cluster `name`, or an unknown value
 * when `current` is false (a preview over a network plan that changed, see
 * {@link checkNetworkPlan}).
 * @throws Error (when the output resolves) if the network stack exports no such cluster
 */
export function networkClusterOutputs(net: pulumi.StackReference, name: string, current: boolean): pulumi.Output<NetworkClusterOutputs> {
    if (!current) return unknownOutput<NetworkClusterOutputs>();
    return (net.requireOutput(OUTPUTS.clusters) as pulumi.Output<Record<string, NetworkClusterOutputs>>).apply((all) => {
        const mine = all[name];
        if (!mine) throw new Error(`the network stack exports no cluster "${name}": run the network layer first`);
        return mine;
    });
}

/** An Output that is unknown in a preview (what a value of a not yet updated stack is). */
export function unknownOutput<T>(): pulumi.Output<T> {
    return pulumi.output(pulumi.unknown) as unknown as pulumi.Output<T>;
}
