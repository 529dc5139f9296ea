/**
 * How ack-mesh's programs compose the components from a stack config: the
 * planning of the topology and the glue both programs share. The monolith
 * (`programs/ack-mesh`, one stack) and the fleet (`programs/fleet`, one
 * stack per layer and per cluster) build their resources through these
 * functions, so both create the same cloud resources from the same file.
 * Nothing here runs a program or reads Pulumi config.
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, type StackConfig } from "../config/load";
import { AckCluster } from "../components/ackCluster";
import { BookinfoSplit } from "../components/bookinfoSplit";
import { IstioMesh, IstioMeshArgs, NetworkReadyFor } from "../components/istioMesh";
import { planSecurityGroupRules, ruleQuotaProblems } from "../components/securityGroupPeering";
import { ConfigError } from "../config/errors";
import { ClusterHandle, MeshIdentity } from "../components/types";
import { NetworkPlan, parseAndPlanNetwork } from "../plan/network";
import { meshIdentityFromConfig } from "../plan/mesh";

/** Stack config and plans, computed before any resource exists. */
export interface PlannedTopology {
    config: StackConfig;
    network: NetworkPlan;
    identity: ReturnType<typeof meshIdentityFromConfig>;
}

/**
 * Validates the `ack-mesh:` config and plans the topology: CIDRs, the mesh
 * identity, and the security group rules, whose count per group is checked
 * against `securityGroups.maxRulesPerGroup`. Pure.
 * @param groupsOf the clusters whose security groups' rule counts are checked:
 *   every cluster (the default) for a program that creates every group; a
 *   fleet stack checks only the group it creates, or none (the orchestrator
 *   checks the whole environment before any stack runs). Planning a mesh's
 *   rules is O(N²); one group's is O(N).
 * @throws ConfigError listing every problem
 */
export function planTopology(raw: Record<string, unknown>, groupsOf?: ReadonlyArray<string>): PlannedTopology {
    const { config, network } = parseAndPlanNetwork(raw);
    const identity = meshIdentityFromConfig(config);
    if (groupsOf?.length === 0) return { config, network, identity };
    const rules = planSecurityGroupRules(identity, network, { ingressClusters: ingressClusters(config, identity), toClusters: groupsOf });
    const problems = ruleQuotaProblems(identity, rules, config.securityGroups.maxRulesPerGroup, (c) => `clusters.${c}`, "securityGroups.maxRulesPerGroup");
    if (problems.length) throw new ConfigError(problems);
    return { config, network, identity };
}

/** Control planes that run an ingress gateway (`clusters.<c>.ingressGateway`). */
export function ingressClusters(config: StackConfig, identity: MeshIdentity): string[] {
    return identity.controlPlanes.filter((c) => config.clusters[c].ingressGateway);
}

/** A one-line summary of the layout, e.g. `primary-remote, flat (network1): istio-control-plane ← istio-remote1`. */
export function layoutSummary(t: PlannedTopology): string {
    const { config, identity } = t;
    const networks = [...new Set(Object.values(identity.clusters).map((c) => c.network))].sort();
    const groups = identity.controlPlanes.map((cp) => {
        const remotes = Object.values(identity.clusters)
            .filter((c) => !c.controlPlane && c.controlledBy === cp)
            .map((c) => c.clusterName);
        return remotes.length ? `${cp} ← ${remotes.join(", ")}` : cp;
    });
    return `${config.mesh.topology}, ${config.mesh.networks} (${networks.join(", ")}): ${groups.join("; ")}`;
}

/**
 * One `alicloud.Provider` per region, named `alicloud-<region>`; clusters in
 * different regions never wait on each other. Explicit providers do not read
 * `alicloud:*` stack config themselves, so the credentials are passed on
 * (when unset, the provider falls back to ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY).
 */
export function regionProviders(regions: ReadonlyArray<string>): Record<string, alicloud.Provider> {
    const aliConfig = new pulumi.Config("alicloud");
    const credentials = {
        accessKey: aliConfig.getSecret("accessKey"),
        secretKey: aliConfig.getSecret("secretKey"),
        securityToken: aliConfig.getSecret("securityToken"),
    };
    return Object.fromEntries(regions.map((region) => [region, new alicloud.Provider(`alicloud-${region}`, { region, ...credentials })]));
}

/**
 * The tags that mark the clusters of this environment (the stack name is the
 * environment's, in the monolith and in every fleet stack alike).
 */
export function stackOwnerTags(config: StackConfig): Record<string, string> {
    return { "ack-mesh-stack": pulumi.getStack(), "ack-mesh-mesh": config.mesh.id };
}

/** What {@link ackClusterFor} takes from the network and the preflight (Outputs where they come from resources). */
export interface AckClusterWiring {
    /** The preflight's version for the cluster: the pin, or the newest offered when unpinned. */
    kubernetesVersion: { version: string; pinned: boolean; running?: string };
    /** Node vSwitch ids, in the plan's zone order. */
    vswitchIds: pulumi.Input<string>[];
    /** Terway pod vSwitch ids, in the plan's zone order (undefined for Flannel). */
    podVswitchIds?: pulumi.Input<string>[];
    /** The cluster's security group. */
    securityGroupId: pulumi.Input<string>;
    /** What the cluster waits for before creation (its VPC's egress); empty when another stack built it. */
    egressReady: ReadonlyArray<pulumi.Resource>;
    /** Mesh tags (merged under the cluster's own `tags`). */
    tags: Record<string, string>;
    /** The alicloud provider of the cluster's region. */
    provider: alicloud.Provider;
    /** `upgrade.oneClusterAtATime`: what the cluster's upgrade waits for (the previous cluster's). @default nothing */
    upgradeAfter?: ReadonlyArray<pulumi.Resource>;
}

/**
 * The `AckCluster` of one configured cluster, named after it: the one place
 * that maps `clusters.<name>` of the stack config onto `AckClusterArgs`,
 * used by the monolithic program and by the fleet's `cluster-<name>` stacks
 * (programs/fleet), so both build the same cluster from the same config.
 */
export function ackClusterFor(config: StackConfig, network: NetworkPlan, name: string, w: AckClusterWiring): AckCluster {
    const c = config.clusters[name];
    const plan = network.clusters[name];
    const nodeVswitch = Object.fromEntries(Object.keys(plan.zones).map((z, i) => [z, w.vswitchIds[i]]));
    return new AckCluster(
        c.name,
        {
            clusterName: c.name,
            displayName: c.displayName,
            region: c.region,
            network: c.network,
            // Pinned: the pin (raising it upgrades). Unpinned: the newest offered, at creation only.
            kubernetesVersion: w.kubernetesVersion.version,
            kubernetesVersionCreateOnly: !w.kubernetesVersion.pinned,
            clusterSpec: c.clusterSpec,
            proxyMode: c.proxyMode,
            cni: c.cni,
            vswitchIds: w.vswitchIds,
            podVswitchIds: w.podVswitchIds,
            podCidr: plan.podCidr,
            serviceCidr: plan.serviceCidr,
            nodeCidrMask: plan.nodeCidrMask,
            securityGroupId: w.securityGroupId,
            egressReady: w.egressReady,
            nodePools: Object.fromEntries(
                Object.values(c.nodePools).map((p) => [
                    p.name,
                    {
                        instanceTypes: p.instanceTypes,
                        size: p.size,
                        systemDiskCategory: p.systemDiskCategory,
                        systemDiskSizeGb: p.systemDiskSizeGb,
                        vswitchIds: p.zones.map((z) => nodeVswitch[z]),
                        ...(p.keyName !== undefined ? { keyName: p.keyName } : {}),
                    },
                ]),
            ),
            allowFewerThanThreeWorkers: c.allowFewerThanThreeWorkers,
            // upgrade.nodePools: the pools of a pinned cluster follow its version.
            ...(config.upgrade?.nodePools && w.kubernetesVersion.pinned
                ? { nodePoolUpgrade: { maxParallelism: config.upgrade.nodePools.maxParallelism, ...(w.kubernetesVersion.running !== undefined ? { runningVersion: w.kubernetesVersion.running } : {}) } }
                : {}),
            ...(w.upgradeAfter ? { upgradeAfter: w.upgradeAfter } : {}),
            apiServerPublic: c.apiServerPublic,
            deletionProtection: c.deletionProtection,
            protect: config.protect,
            tags: { ...w.tags, ...c.tags },
        },
        { provider: w.provider },
    );
}

/**
 * Bookinfo as the stack config says (`bookinfo`, `images.bookinfoRegistry`):
 * a `BookinfoSplit` named `bookinfo` over the cluster handles. Used by the
 * monolith and by the fleet's `app-bookinfo` stack.
 */
export function buildBookinfo(
    config: StackConfig,
    identity: MeshIdentity,
    handles: Record<string, ClusterHandle>,
    ingressAddresses: Record<string, pulumi.Input<string>>,
    meshReady?: Record<string, pulumi.Resource[]>,
): BookinfoSplit {
    return new BookinfoSplit("bookinfo", {
        identity,
        clusters: handles,
        placement: config.bookinfo.placement,
        routing: config.bookinfo.routing,
        ...(config.bookinfo.routing === "locality-failover" ? { failover: config.bookinfo.failover } : {}),
        tag: config.bookinfo.tag,
        ...(config.bookinfo.namespaceTag !== undefined ? { revisionTag: config.bookinfo.namespaceTag } : {}),
        registry: config.images.bookinfoRegistry,
        ingressAddresses,
        ...(meshReady ? { meshReady } : {}),
    });
}

/**
 * The Istio settings of the stack config that every Istio component of the
 * mesh gets the same way (chart version and source, image hub, mTLS, DNS
 * capture, values overrides, shared root), in `IstioMeshArgs` terms. Used by
 * {@link buildMesh} and by the fleet's per-cluster stacks. Reads no secret.
 */
export function istioSettings(config: StackConfig): Pick<IstioMeshArgs, "istioVersion" | "revisions" | "chartRepository" | "hub" | "sharedRoot" | "mtls" | "dnsCapture" | "valuesOverride"> {
    const mesh = config.mesh;
    return {
        // With revisions (canary upgrades) each revision carries its version; without, one in-place install.
        ...(mesh.revisions ? { revisions: mesh.revisions } : { istioVersion: mesh.istioVersion }),
        chartRepository: config.images.chartRepository,
        // Unset stays unset: the charts' own hub, and no update of existing releases.
        ...(config.images.istioHub !== undefined ? { hub: config.images.istioHub } : {}),
        sharedRoot: mesh.ca.shared,
        mtls: mesh.mtls,
        dnsCapture: mesh.dnsCapture,
        valuesOverride: mesh.valuesOverride,
    };
}

/**
 * The shared root CA settings of the stack config (`mesh.ca`); with
 * `source: config` the root comes from the secret config keys
 * `ack-mesh:caRootCert` / `ack-mesh:caRootKey`.
 */
export function meshCaSettings(config: StackConfig): NonNullable<IstioMeshArgs["ca"]> {
    const ca = config.mesh.ca;
    // The `ack-mesh:` namespace whatever the project is called (the fleet's projects are `ack-mesh-<stack>`).
    const cfg = new pulumi.Config(CONFIG_NAMESPACE);
    return {
        algorithm: ca.algorithm,
        additionalTrustedRootCertsPem: ca.additionalTrustedRootCerts,
        ...(ca.source === "config" ? { root: { certPem: cfg.requireSecret("caRootCert"), keyPem: cfg.requireSecret("caRootKey") } } : {}),
    };
}

/**
 * Installs Istio on the clusters as the stack config says: an IstioMesh
 * over the cluster handles.
 */
export function buildMesh(config: StackConfig, identity: MeshIdentity, handles: Record<string, ClusterHandle>, networkReady: NetworkReadyFor = () => []): IstioMesh {
    return new IstioMesh("mesh", {
        identity,
        clusters: handles,
        ...istioSettings(config),
        ca: meshCaSettings(config),
        networkReady,
        ingressGateways: ingressClusters(config, identity),
    });
}
