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
 * While a role or primary change is applied, the orchestrator runs this
 * stack twice: first keeping the deployed layout's rules next to the new
 * layout's (`keptLayout`, `SecurityGroupPeering.keepRulesOf`), before the
 * cluster stacks switch; last without them, which deletes the rules only
 * the deployed layout used.
 *
 * Exports the group's id ({@link OUTPUTS}.securityGroupId), which the
 * cluster's stack gives its ACK cluster and node pools.
 */
import * as pulumi from "@pulumi/pulumi";
import { SecurityGroupPeering } from "../../components/securityGroupPeering";
import { meshTags } from "../../components/types";
import { ingressClusters, regionProviders, stackOwnerTags } from "../compose";
import { keptLayout } from "./config";
import { securityGroupStackId } from "./layout";
import { openClusterStack, OUTPUTS } from "./stackRefs";

/** The `sg-<name>` stack's program. Returns its outputs. */
export async function runFleetSecurityGroups(name: string): Promise<Record<string, unknown>> {
    const { planned, cluster: c, fromNetwork } = await openClusterStack(
        securityGroupStackId(name),
        name,
        `destroy the security-group stack of a removed cluster (npm run fleet -- up ${pulumi.getStack()} does, after the cluster's own stack), or add the cluster back`,
        // This stack creates the cluster's group: it checks that group's rule count.
        [name],
    );
    const { config, network, identity } = planned;
    // The first run of a role or primary change also keeps the deployed layout's rules (orchestrator.ts).
    const kept = keptLayout(securityGroupStackId(name));
    const sg = new SecurityGroupPeering("sg", {
        identity,
        network,
        vpcIds: { [network.clusters[name].vpc]: fromNetwork.vpcId },
        providers: regionProviders([c.region]),
        clusters: [name],
        ingressClusters: ingressClusters(config, identity),
        maxRulesPerGroup: config.securityGroups.maxRulesPerGroup,
        tags: meshTags(stackOwnerTags(config)),
        ...(kept ? { keepRulesOf: { identity: kept.identity, ingressClusters: ingressClusters(kept.config, kept.identity) } } : {}),
    });
    return { [OUTPUTS.securityGroupId]: sg.securityGroupIds[name] };
}
