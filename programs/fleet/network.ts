/**
 * The fleet's `network` stack: the CIDR plan, the VPCs, vSwitches, internet
 * egress and CEN of every cluster (one `VpcWithCen`, as in the monolith),
 * and, when the mesh shares a root, the mesh CA: the root and one
 * intermediate per control plane (one `MeshCertificateAuthority`). The root
 * key stays in this stack's state; a cluster stack receives only its own
 * intermediate (secret).
 *
 * Exports per cluster what its stack needs ({@link NetworkClusterOutputs}),
 * the plug-in CA material per control plane (secret), and the plan hash
 * each cluster stack checks.
 */
import * as pulumi from "@pulumi/pulumi";
import { namespaceConfig } from "../../config/pulumiConfig";
import { VpcWithCen } from "../../components/vpcWithCen";
import { MeshCertificateAuthority } from "../../components/meshCertificateAuthority";
import { preflightPlan, runPreflight } from "../../components/preflight";
import { meshTags } from "../../components/types";
import { imageSourceWarnings } from "../../plan/images";
import { cidrTable } from "../../plan/network";
import { layoutSummary, meshCaSettings, PlannedTopology, planTopology, regionProviders, stackOwnerTags } from "../ack-mesh/program";
import { networkPlanHash } from "./layout";
import { ExportedCacerts, NetworkClusterOutputs, OUTPUTS } from "./stackRefs";

/** Whether the mesh installs `cacerts` from a shared root: `mesh.ca.shared` (resolved by the config: true with several primaries unless set). */
export function sharesRoot(planned: Pick<PlannedTopology, "config">): boolean {
    return planned.config.mesh.ca.shared;
}

/** The `network` stack's program. Returns its outputs. */
export async function runFleetNetwork(): Promise<Record<string, unknown>> {
    const planned = planTopology(namespaceConfig(pulumi.runtime.allConfig()));
    const { config, network, identity } = planned;
    for (const w of imageSourceWarnings(config)) pulumi.log.warn(w);
    const ownerTags = stackOwnerTags(config);
    const providers = regionProviders(network.regions);
    // The whole environment is checked here, before the first network resource, as in the monolith.
    await runPreflight(preflightPlan(config, network, ownerTags), providers);

    const net = new VpcWithCen("net", {
        network,
        providers,
        cen: { bandwidthType: config.cen.bandwidthType, bandwidthMbps: config.cen.bandwidthMbps, bandwidthPackageId: config.cen.bandwidthPackageId, region: config.cen.region },
        protect: config.protect,
        tags: meshTags(ownerTags),
    });

    const clusters: Record<string, pulumi.Output<NetworkClusterOutputs>> = {};
    for (const [name, plan] of Object.entries(network.clusters)) {
        clusters[name] = pulumi.output({
            vpc: plan.vpc,
            vpcId: net.vpcIds[plan.vpc],
            region: plan.region,
            role: config.clusters[name].role,
            vswitchIds: net.vswitchIds[name],
            podVswitchIds: net.podVswitchIds[name] ?? {},
        });
    }

    const caSettings = sharesRoot(planned) ? meshCaSettings(config) : undefined;
    const ca = caSettings
        ? new MeshCertificateAuthority("mesh-ca", { identity, algorithm: caSettings.algorithm, root: caSettings.root, additionalTrustedRootCertsPem: caSettings.additionalTrustedRootCertsPem })
        : undefined;
    const cacerts = ca ? pulumi.secret(pulumi.output(ca.cacerts) as pulumi.Output<Record<string, ExportedCacerts>>) : undefined;

    return {
        layout: layoutSummary(planned),
        cidrPlan: cidrTable(network),
        [OUTPUTS.planHash]: networkPlanHash(network),
        [OUTPUTS.clusters]: clusters,
        ...(cacerts ? { [OUTPUTS.cacerts]: cacerts, caRootCertPem: ca!.rootCertPem } : {}),
        vpcIds: net.vpcIds,
        ...(net.cenId ? { cenId: net.cenId } : {}),
        egressIps: net.egressIps,
    };
}
