/**
 * Shared value types of ack-mesh: the cluster handle, the mesh identity and
 * tags. Everything the mesh components need to know about a cluster travels
 * in a {@link ClusterHandle}; everything they need to know about the mesh
 * travels in one {@link MeshIdentity}.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigProblem } from "../config/errors";
import { DNS_LABEL } from "../config/constants";

/**
 * What the mesh components need of a cluster. Built by `AckCluster`, or by
 * {@link clusterHandleFromKubeconfig} for a cluster that already exists.
 */
export interface ClusterHandle {
    /** Mesh cluster name (`global.multiCluster.clusterName`): a DNS-1123 label, unique across the mesh. */
    readonly name: string;
    /** Alibaba region id, used for locality. */
    readonly region: string;
    /** Mesh network name (`global.network`). */
    readonly network: string;
    /** Admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Output<string>;
    /** Kubernetes provider for this cluster; every in-cluster resource uses it. */
    readonly provider: k8s.Provider;
    /**
     * API server URL that *other* clusters' istiod use to read this cluster
     * (the `server` of its remote secret). On ACK: the intranet endpoint,
     * reached over the VPC or CEN.
     */
    readonly apiServerUrl: pulumi.Output<string>;
    /**
     * Container network plugin, when known. On `terway` the gateways' SLBs use
     * pod ENI backends (`service.beta.kubernetes.io/backend-type: eni`).
     */
    readonly cni?: "terway" | "flannel";
}

/** Arguments of {@link clusterHandleFromKubeconfig}. */
export interface ExistingClusterArgs {
    /** Mesh cluster name: a DNS-1123 label, unique across the mesh. */
    name: string;
    /** Alibaba region id. */
    region: string;
    /** Mesh network name. */
    network: string;
    /** Admin kubeconfig of the cluster. Wrapped as a secret. */
    kubeconfig: pulumi.Input<string>;
    /**
     * API server URL reachable from the other clusters' istiod. Pass the
     * intranet endpoint on ACK: an ACK kubeconfig usually points at the public one.
     * @default the first `server:` of the kubeconfig
     */
    apiServerUrl?: pulumi.Input<string>;
    /** Container network plugin, if known (`terway` lets gateway SLBs use pod ENI backends). @default unknown: NodePort backends */
    cni?: "terway" | "flannel";
}

/**
 * A handle for a cluster that ack-mesh did not create: the mesh can then be
 * installed on it. Creates one `kubernetes.Provider` named `${resourceName}-k8s`
 * (the only place besides `AckCluster` that turns a kubeconfig into a provider).
 */
export function clusterHandleFromKubeconfig(resourceName: string, args: ExistingClusterArgs, opts?: pulumi.CustomResourceOptions): ClusterHandle {
    const problems: ConfigProblem[] = [];
    if (!DNS_LABEL.test(args.name) || args.name.length > 63) {
        problems.push({ path: "name", value: args.name, message: "must be a DNS-1123 label", fix: "use lowercase letters, digits and '-'" });
    }
    if (!DNS_LABEL.test(args.network)) {
        problems.push({ path: "network", value: args.network, message: "must be a DNS-1123 label", fix: "use lowercase letters, digits and '-'" });
    }
    if (problems.length) throw new ConfigError(problems, `Invalid existing cluster "${resourceName}"`);
    const kubeconfig = pulumi.secret(pulumi.output(args.kubeconfig));
    const provider = new k8s.Provider(`${resourceName}-k8s`, { kubeconfig }, opts);
    const apiServerUrl = args.apiServerUrl !== undefined ? pulumi.output(args.apiServerUrl) : kubeconfig.apply(serverOfKubeconfig);
    return { name: args.name, region: args.region, network: args.network, kubeconfig, provider, apiServerUrl, ...(args.cni ? { cni: args.cni } : {}) };
}

/** The first `server:` of a kubeconfig (its first cluster). */
export function serverOfKubeconfig(kubeconfig: string): string {
    // Kubeconfigs are YAML; a regex keeps this module free of a YAML parser dependency at runtime.
    const m = /server:\s*["']?([^\s"']+)/.exec(kubeconfig);
    if (!m) throw new Error("kubeconfig has no cluster server");
    return m[1];
}

/** One cluster as the mesh sees it. */
export interface MeshCluster {
    /** Mesh cluster name (DNS-1123 label, unique across the mesh). */
    readonly clusterName: string;
    /** Mesh network name. */
    readonly network: string;
    /** Alibaba region id. */
    readonly region: string;
    /** Whether this cluster runs istiod. */
    readonly controlPlane: boolean;
    /** The control-plane cluster that configures this one (itself for a control plane). */
    readonly controlledBy: string;
}

/**
 * The mesh identity: one validated value object built once by the program and
 * passed to every mesh component.
 */
export interface MeshIdentity {
    /** `global.meshID`. */
    readonly meshId: string;
    /** Trust domain. */
    readonly trustDomain: string;
    /** Every cluster of the mesh, by cluster name, sorted. */
    readonly clusters: Readonly<Record<string, MeshCluster>>;
    /** Control-plane cluster names, sorted. */
    readonly controlPlanes: ReadonlyArray<string>;
    /** True when the mesh spans more than one network. */
    readonly multiNetwork: boolean;
}

/** Input of {@link createMeshIdentity}. */
export interface MeshIdentityInput {
    meshId: string;
    trustDomain?: string;
    clusters: { clusterName: string; network: string; region: string; controlPlane: boolean; controlledBy?: string }[];
}

/**
 * Validates and freezes a mesh identity.
 * @throws ConfigError naming every problem
 */
export function createMeshIdentity(input: MeshIdentityInput): MeshIdentity {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) => problems.push({ path, message, fix, value });
    if (!DNS_LABEL.test(input.meshId)) add("meshId", "must be a DNS-1123 label", "use lowercase letters, digits and '-'", input.meshId);
    const seen = new Set<string>();
    const controlPlanes = input.clusters.filter((c) => c.controlPlane).map((c) => c.clusterName);
    if (input.clusters.length === 0) add("clusters", "the mesh has no clusters", "add at least one cluster");
    if (input.clusters.length > 0 && controlPlanes.length === 0) add("clusters", "the mesh has no control plane", "mark at least one cluster as a control plane");
    input.clusters.forEach((c, i) => {
        if (!DNS_LABEL.test(c.clusterName) || c.clusterName.length > 63) {
            add(`clusters[${i}].clusterName`, "must be a DNS-1123 label (it becomes the remote secret key and the istiod CLUSTER_ID)", "use lowercase letters, digits and '-'", c.clusterName);
        }
        if (seen.has(c.clusterName)) add(`clusters[${i}].clusterName`, "is used by two clusters; cluster names must be unique across the mesh", "rename one of them", c.clusterName);
        seen.add(c.clusterName);
        if (!DNS_LABEL.test(c.network)) add(`clusters[${i}].network`, "must be a DNS-1123 label", "use lowercase letters, digits and '-'", c.network);
        const by = c.controlPlane ? c.clusterName : c.controlledBy;
        if (!c.controlPlane && (by === undefined || !controlPlanes.includes(by))) {
            add(`clusters[${i}].controlledBy`, "a remote cluster must name one of the mesh's control planes", `use one of: ${controlPlanes.join(", ") || "(none)"}`, by);
        }
    });
    if (problems.length) throw new ConfigError(problems, "Invalid mesh identity");
    const clusters = Object.fromEntries(
        [...input.clusters]
            .sort((a, b) => (a.clusterName < b.clusterName ? -1 : 1))
            .map((c) => [
                c.clusterName,
                Object.freeze({
                    clusterName: c.clusterName,
                    network: c.network,
                    region: c.region,
                    controlPlane: c.controlPlane,
                    controlledBy: c.controlPlane ? c.clusterName : c.controlledBy!,
                }),
            ]),
    );
    return Object.freeze({
        meshId: input.meshId,
        trustDomain: input.trustDomain ?? "cluster.local",
        clusters: Object.freeze(clusters),
        controlPlanes: Object.freeze([...controlPlanes].sort()),
        multiNetwork: new Set(input.clusters.map((c) => c.network)).size > 1,
    });
}

/** Tags ack-mesh puts on every cloud resource, merged under the user's. */
export function meshTags(extra?: Record<string, string>): Record<string, string> {
    return { "managed-by": "ack-mesh", ...(extra ?? {}) };
}
