/**
 * The fleet's `network` stack: the CIDR plan, the VPCs, vSwitches, internet
 * egress and CEN of every cluster (one `VpcWithCen`, as in the monolith).
 * Every cluster stack reads it, so it exports no secret (the mesh CA is in
 * the `ca` stack, `ca.ts`).
 *
 * Exports per cluster what its stacks need ({@link NetworkClusterOutputs}),
 * including the hash of the cluster's part of the plan, which they check,
 * and the hash of the whole plan.
 */
import * as pulumi from "@pulumi/pulumi";
import { VpcWithCen } from "../../components/vpcWithCen";
import { preflightPlan, runPreflight } from "../../components/preflight";
import { meshTags } from "../../components/types";
import { imageSourceWarnings } from "../../plan/images";
import { cidrTable } from "../../plan/network";
import { layoutSummary, regionProviders, stackOwnerTags } from "../compose";
import { fleetTopology } from "./config";
import { clusterNetworkPlanHash, networkPlanHash } from "./layout";
import { NetworkClusterOutputs, OUTPUTS } from "./stackRefs";

/** The `network` stack's program. Returns its outputs. */
export async function runFleetNetwork(): Promise<Record<string, unknown>> {
    const planned = fleetTopology("network");
    const { config, network } = planned;
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
            planHash: clusterNetworkPlanHash(network, name),
            vpc: plan.vpc,
            vpcId: net.vpcIds[plan.vpc],
            region: plan.region,
            role: config.clusters[name].role,
            controlledBy: planned.identity.clusters[name].controlledBy,
            vswitchIds: net.vswitchIds[name],
            podVswitchIds: net.podVswitchIds[name] ?? {},
        });
    }

    return {
        layout: layoutSummary(planned),
        cidrPlan: cidrTable(network),
        [OUTPUTS.planHash]: networkPlanHash(network),
        [OUTPUTS.clusters]: clusters,
        vpcIds: net.vpcIds,
        ...(net.cenId ? { cenId: net.cenId } : {}),
        egressIps: net.egressIps,
    };
}
