/**
 * The fleet's `sg-<name>` stack: the security group of one cluster and every
 * ingress rule into it (`SecurityGroupPeering` with `clusters: [name]`, the
 * same rules the monolith plans for that group). The peers' ranges come from
 * the network plan this stack computes from the config, never from the
 * peers' stacks, so the stack needs only the `network` stack (for its VPC).
 *
 * Why a stack of its own, in a layer before every cluster stack: a rule is
 * an ingress rule of one group, and adding a cluster adds rules to the
 * groups of the clusters it talks to. Holding each group here keeps those
 * creates out of the existing `cluster-<name>` stacks (the ACK clusters and
 * Istio), and every rule between two clusters exists before either cluster's
 * Istio starts talking to the other (a remote secret, xDS through the
 * east-west gateway).
 *
 * Exports the group's id ({@link OUTPUTS}.securityGroupId), which the
 * cluster's stack gives its ACK cluster and node pools.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { SecurityGroupPeering } from "../../components/securityGroupPeering";
import { meshTags } from "../../components/types";
import { ingressClusters, regionProviders, stackOwnerTags } from "../ack-mesh/program";
import { fleetTopology } from "./config";
import { securityGroupStackId } from "./layout";
import { checkNetworkPlan, FleetRefs, networkClusterOutputs, OUTPUTS } from "./stackRefs";

/** The `sg-<name>` stack's program. Returns its outputs. */
export async function runFleetSecurityGroups(name: string): Promise<Record<string, unknown>> {
    const { config, network, identity } = fleetTopology(securityGroupStackId(name));
    const c = config.clusters[name];
    if (c === undefined) {
        throw new ConfigError(
            [{ path: `clusters.${name}`, message: "is not a cluster of this environment's config", fix: `destroy the security-group stack of a removed cluster (npm run fleet -- up ${pulumi.getStack()} does, after the cluster's own stack), or add the cluster back` }],
            `No cluster "${name}"`,
        );
    }
    const net = new FleetRefs().stack("network");
    const current = await checkNetworkPlan(net, network, name, pulumi.getStack());
    const plan = network.clusters[name];
    const sg = new SecurityGroupPeering("sg", {
        identity,
        network,
        vpcIds: { [plan.vpc]: networkClusterOutputs(net, name, current).vpcId },
        providers: regionProviders([c.region]),
        clusters: [name],
        ingressClusters: ingressClusters(config, identity),
        maxRulesPerGroup: config.securityGroups.maxRulesPerGroup,
        tags: meshTags(stackOwnerTags(config)),
    });
    return { [OUTPUTS.securityGroupId]: sg.securityGroupIds[name] };
}
