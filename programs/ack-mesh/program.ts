/**
 * The full-topology program: thin glue from stack config to components.
 *
 * config → plan (CIDRs, mesh identity) → one alicloud.Provider per region →
 * preflight (ask each region's account what is on offer; no resource before
 * it passes) → VpcWithCen → SecurityGroupPeering → AckCluster per cluster → IstioMesh
 * (shared root CA, IstioControlPlane per primary, IstioRemote per remote,
 * remote secrets) → BookinfoSplit → MeshVerification (when `verify.enabled`) →
 * stack outputs.
 *
 * It loops over the cluster map; nothing here is specific to one cluster.
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/load";
import { namespaceConfig } from "../../config/pulumiConfig";
import { AckCluster } from "../../components/ackCluster";
import { BookinfoSplit } from "../../components/bookinfoSplit";
import { IstioMesh, NetworkReadyFor } from "../../components/istioMesh";
import { planSecurityGroupRules, ruleQuotaProblems, SecurityGroupPeering } from "../../components/securityGroupPeering";
import { ConfigError } from "../../config/errors";
import { VpcWithCen } from "../../components/vpcWithCen";
import { ClusterHandle, MeshIdentity, meshTags } from "../../components/types";
import { cidrTable, NetworkPlan, parseAndPlanNetwork } from "../../plan/network";
import { imageSourceWarnings } from "../../plan/images";
import { preflightPlan, runPreflight } from "../../components/preflight";
import { meshIdentityFromConfig } from "../../plan/mesh";
import { planVerification, verificationInputFromConfig, verificationRevision } from "../../plan/verify";
import { MeshVerification } from "../../components/meshVerification";
import { clusterUpgradeOrder } from "../../config/upgrade";

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
 * @throws ConfigError listing every problem
 */
export function planTopology(raw: Record<string, unknown>): PlannedTopology {
    const { config, network } = parseAndPlanNetwork(raw);
    const identity = meshIdentityFromConfig(config);
    const rules = planSecurityGroupRules(identity, network, { ingressClusters: ingressClusters(config, identity) });
    const problems = ruleQuotaProblems(identity, rules, config.securityGroups.maxRulesPerGroup, (c) => `clusters.${c}`, "securityGroups.maxRulesPerGroup");
    if (problems.length) throw new ConfigError(problems);
    return { config, network, identity };
}

/** Control planes that run an ingress gateway (`clusters.<c>.ingressGateway`). */
function ingressClusters(config: StackConfig, identity: MeshIdentity): string[] {
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
 * Runs the program. Returns the stack outputs.
 *
 * Order: the config is validated and planned (no resource yet), the region
 * providers are registered, the live preflight asks the account whether
 * what the stack needs is on offer (any problem stops the run here, before
 * the first cloud resource), and only then are the resources declared.
 */
export async function runAckMesh(): Promise<Record<string, unknown>> {
    const planned = planTopology(namespaceConfig(pulumi.runtime.allConfig()));
    const { config, network, identity } = planned;
    for (const w of imageSourceWarnings(config)) pulumi.log.warn(w);
    // These tags also mark the stack's own clusters for the preflight (same name alone is not enough).
    const ownerTags = { "ack-mesh-stack": pulumi.getStack(), "ack-mesh-mesh": config.mesh.id };
    const tags = meshTags(ownerTags);

    // One provider per region; clusters in different regions never wait on each other. Explicit
    // providers do not read `alicloud:*` stack config themselves, so pass the credentials on
    // (when unset, the provider falls back to ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY).
    const aliConfig = new pulumi.Config("alicloud");
    const credentials = {
        accessKey: aliConfig.getSecret("accessKey"),
        secretKey: aliConfig.getSecret("secretKey"),
        securityToken: aliConfig.getSecret("securityToken"),
    };
    const providers: Record<string, alicloud.Provider> = {};
    for (const region of network.regions) {
        providers[region] = new alicloud.Provider(`alicloud-${region}`, { region, ...credentials });
    }
    const preflight = await runPreflight(preflightPlan(config, network, ownerTags), providers);

    const net = new VpcWithCen("net", {
        network,
        providers,
        cen: { bandwidthType: config.cen.bandwidthType, bandwidthMbps: config.cen.bandwidthMbps, bandwidthPackageId: config.cen.bandwidthPackageId, region: config.cen.region },
        protect: config.protect,
        tags,
    });

    const sg = new SecurityGroupPeering("sg", {
        identity,
        network,
        vpcIds: net.vpcIds,
        providers,
        ingressClusters: ingressClusters(config, identity),
        maxRulesPerGroup: config.securityGroups.maxRulesPerGroup,
        tags,
    });

    const clusters: Record<string, AckCluster> = {};
    // upgrade.oneClusterAtATime: each cluster waits for the previous one (remotes first, primaries last).
    const oneAtATime = config.upgrade?.oneClusterAtATime === true;
    let previous: ReadonlyArray<pulumi.Resource> = [];
    for (const c of (oneAtATime ? clusterUpgradeOrder(config.clusters) : Object.keys(config.clusters)).map((k) => config.clusters[k])) {
        const plan = network.clusters[c.name];
        const zones = Object.keys(plan.zones);
        clusters[c.name] = new AckCluster(
            c.name,
            {
                clusterName: c.name,
                displayName: c.displayName,
                region: c.region,
                network: c.network,
                // Pinned: the pin (raising it upgrades). Unpinned: the newest offered, at creation only.
                kubernetesVersion: preflight.versions[c.name].version,
                kubernetesVersionCreateOnly: !preflight.versions[c.name].pinned,
                clusterSpec: c.clusterSpec,
                proxyMode: c.proxyMode,
                cni: c.cni,
                vswitchIds: zones.map((z) => net.vswitchIds[c.name][z]),
                podVswitchIds: c.cni === "terway" ? zones.map((z) => net.podVswitchIds[c.name][z]) : undefined,
                podCidr: plan.podCidr,
                serviceCidr: plan.serviceCidr,
                nodeCidrMask: plan.nodeCidrMask,
                securityGroupId: sg.securityGroupIds[c.name],
                egressReady: net.egressReady(c.name),
                nodePools: Object.fromEntries(
                    Object.values(c.nodePools).map((p) => [
                        p.name,
                        {
                            instanceTypes: p.instanceTypes,
                            size: p.size,
                            systemDiskCategory: p.systemDiskCategory,
                            systemDiskSizeGb: p.systemDiskSizeGb,
                            vswitchIds: p.zones.map((z) => net.vswitchIds[c.name][z]),
                            ...(p.keyName !== undefined ? { keyName: p.keyName } : {}),
                        },
                    ]),
                ),
                allowFewerThanThreeWorkers: c.allowFewerThanThreeWorkers,
                // upgrade.nodePools: the pools of a pinned cluster follow its version.
                ...(config.upgrade?.nodePools && preflight.versions[c.name].pinned ? { nodePoolUpgrade: { maxParallelism: config.upgrade.nodePools.maxParallelism } } : {}),
                ...(oneAtATime ? { upgradeAfter: previous } : {}),
                apiServerPublic: c.apiServerPublic,
                deletionProtection: c.deletionProtection,
                protect: config.protect,
                tags: { ...tags, ...c.tags },
            },
            { provider: providers[c.region] },
        );
        previous = clusters[c.name].upgradeDone;
    }

    const handles = Object.fromEntries(Object.entries(clusters).map(([name, c]) => [name, c.handle]));
    // Each cross-cluster step waits for the network between its two clusters only: the CEN route,
    // the rules between them, and their own (self and load-balancer) rules.
    const between = (a: string, b: string): pulumi.Resource[] => [
        ...net.readyBetween(network.clusters[a].vpc, network.clusters[b].vpc),
        ...sg.rulesBetween(a, b),
    ];
    const networkReady: NetworkReadyFor = (watcher, target) => [...between(watcher, target), ...sg.rulesOf(watcher), ...sg.rulesOf(target)];
    const mesh = buildMesh(config, identity, handles, networkReady);
    // Bookinfo's workloads call each other across the clusters they are placed on.
    const placed = [...new Set(Object.values(config.bookinfo.placement).flat())].sort();
    const bookinfoReady = Object.fromEntries(
        Object.entries(mesh.meshReady).map(([c, deps]) => [c, placed.includes(c) ? [...deps, ...placed.filter((o) => o !== c).flatMap((o) => between(c, o))] : deps]),
    );
    const bookinfo = config.bookinfo.enabled
        ? new BookinfoSplit("bookinfo", {
              identity,
              clusters: handles,
              placement: config.bookinfo.placement,
              routing: config.bookinfo.routing,
              ...(config.bookinfo.routing === "locality-failover" ? { failover: config.bookinfo.failover } : {}),
              tag: config.bookinfo.tag,
              ...(config.bookinfo.namespaceTag !== undefined ? { revisionTag: config.bookinfo.namespaceTag } : {}),
              registry: config.images.bookinfoRegistry,
              ingressAddresses: mesh.ingressAddresses,
              meshReady: bookinfoReady,
          })
        : undefined;

    const verification = config.verify.enabled ? buildVerification(planned, handles, mesh, bookinfo) : undefined;

    return {
        layout: layoutSummary(planned),
        kubernetesVersions: Object.fromEntries(Object.entries(preflight.versions).map(([c, v]) => [c, v.version])),
        cidrPlan: cidrTable(network),
        clusters: Object.fromEntries(
            Object.values(config.clusters).map((c) => [
                c.name,
                {
                    id: clusters[c.name].clusterId,
                    displayName: c.displayName,
                    region: c.region,
                    network: c.network,
                    role: c.role,
                    apiServerIntranet: clusters[c.name].apiServerIntranet,
                    apiServerInternet: clusters[c.name].apiServerInternet,
                },
            ]),
        ),
        kubeconfigs: pulumi.secret(Object.fromEntries(Object.values(clusters).map((k) => [k.handle.name, k.kubeconfig]))),
        ingressAddresses: mesh.ingressAddresses,
        eastWestAddresses: mesh.eastWestAddresses,
        remoteSecrets: mesh.remoteSecrets,
        ...(bookinfo?.productpageUrl ? { productpageUrl: bookinfo.productpageUrl } : {}),
        ...(verification ? { verificationJobs: verification.jobNames } : {}),
    };
}

/**
 * The verification Jobs (`ack-mesh:verify.enabled`), after the mesh and
 * Bookinfo. Their names change with a digest of everything in the config
 * that can change traffic (`verificationRevision`), so a changed stack is
 * checked again.
 */
function buildVerification(planned: PlannedTopology, handles: Record<string, ClusterHandle>, mesh: IstioMesh, bookinfo: BookinfoSplit | undefined): MeshVerification {
    const { config, network, identity } = planned;
    const plan = planVerification(verificationInputFromConfig(config, identity, network), { requests: config.verify.requests, failover: config.verify.failover });
    return new MeshVerification("verify", {
        plan,
        clusters: handles,
        podRanges: Object.fromEntries(Object.entries(network.clusters).map(([c, p]) => [c, p.podRanges])),
        ingressAddresses: mesh.ingressAddresses,
        eastWestAddresses: identity.multiNetwork ? mesh.eastWestAddresses : {},
        dependsOn: [mesh, ...(bookinfo ? [bookinfo] : [])],
        ...(config.verify.image !== undefined ? { image: config.verify.image } : {}),
        revision: verificationRevision(config, identity),
    });
}

/**
 * Installs Istio on the clusters as the stack config says: an IstioMesh
 * over the cluster handles.
 */
export function buildMesh(config: StackConfig, identity: MeshIdentity, handles: Record<string, ClusterHandle>, networkReady: NetworkReadyFor = () => []): IstioMesh {
    const mesh = config.mesh;
    const cfg = new pulumi.Config();
    return new IstioMesh("mesh", {
        identity,
        clusters: handles,
        // With revisions (canary upgrades) each revision carries its version; without, one in-place install.
        ...(mesh.revisions ? { revisions: mesh.revisions } : { istioVersion: mesh.istioVersion }),
        chartRepository: config.images.chartRepository,
        // Unset stays unset: the charts' own hub, and no update of existing releases.
        ...(config.images.istioHub !== undefined ? { hub: config.images.istioHub } : {}),
        networkReady,
        sharedRoot: mesh.ca.shared,
        ca: {
            algorithm: mesh.ca.algorithm,
            additionalTrustedRootCertsPem: mesh.ca.additionalTrustedRootCerts,
            ...(mesh.ca.source === "config" ? { root: { certPem: cfg.requireSecret("caRootCert"), keyPem: cfg.requireSecret("caRootKey") } } : {}),
        },
        mtls: mesh.mtls,
        dnsCapture: mesh.dnsCapture,
        ingressGateways: ingressClusters(config, identity),
        valuesOverride: mesh.valuesOverride,
    });
}
