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
 * The planning and the glue it shares with the fleet (programs/fleet) are in
 * `programs/compose.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { namespaceConfig } from "../../config/pulumiConfig";
import { AckCluster } from "../../components/ackCluster";
import { BookinfoSplit } from "../../components/bookinfoSplit";
import { IstioMesh, NetworkReadyFor } from "../../components/istioMesh";
import { SecurityGroupPeering } from "../../components/securityGroupPeering";
import { VpcWithCen } from "../../components/vpcWithCen";
import { ClusterHandle, meshTags } from "../../components/types";
import { cidrTable } from "../../plan/network";
import { imageSourceWarnings } from "../../plan/images";
import { preflightPlan, runPreflight } from "../../components/preflight";
import { planVerification, verificationInputFromConfig, verificationRevision } from "../../plan/verify";
import { MeshVerification } from "../../components/meshVerification";
import { clusterUpgradeOrder } from "../../config/upgrade";
import { ackClusterFor, buildBookinfo, buildMesh, ingressClusters, layoutSummary, PlannedTopology, planTopology, regionProviders, stackOwnerTags } from "../compose";

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
    const ownerTags = stackOwnerTags(config);
    const tags = meshTags(ownerTags);

    const providers = regionProviders(network.regions);
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
        const zones = Object.keys(network.clusters[c.name].zones);
        clusters[c.name] = ackClusterFor(config, network, c.name, {
            kubernetesVersion: preflight.versions[c.name],
            vswitchIds: zones.map((z) => net.vswitchIds[c.name][z]),
            podVswitchIds: c.cni === "terway" ? zones.map((z) => net.podVswitchIds[c.name][z]) : undefined,
            securityGroupId: sg.securityGroupIds[c.name],
            egressReady: net.egressReady(c.name),
            tags,
            provider: providers[c.region],
            ...(oneAtATime ? { upgradeAfter: previous } : {}),
        });
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
    const bookinfo = config.bookinfo.enabled ? buildBookinfo(config, identity, handles, mesh.ingressAddresses, bookinfoReady) : undefined;
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

