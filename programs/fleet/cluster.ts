/**
 * The fleet's `cluster-<name>` stack: one cluster of the environment.
 *
 * 1. Checks that the `network` stack was built from this cluster's part of
 *    the plan this stack computes from the same config
 *    ({@link checkNetworkPlan}); nothing else is declared when it was not (a
 *    preview goes on, with what it reads from the network stack unknown).
 * 2. Preflight of this cluster (its Kubernetes version decision).
 * 3. The ACK cluster and its node pools (`ackClusterFor`, as the monolith),
 *    in the VPC and vSwitches the `network` stack exports and the security
 *    group its `sg-<name>` stack exports (`securityGroups.ts`: the group and
 *    every ingress rule into it, created in the layer before this one, so
 *    the rules between this cluster and its primary exist before its Istio).
 * 4. Istio: a primary gets `IstioControlPlane` (with its intermediate CA
 *    from the `ca` stack when the mesh shares a root); a remote gets
 *    `IstioRemote`, whose remote secret goes into its primary through a
 *    Kubernetes provider built from the primary stack's exported kubeconfig,
 *    so adding a remote needs no run of the `mesh` stack for its own primary.
 *
 * Exports its handle data ({@link ClusterStackOutputs}), and, as separate
 * secret outputs, its kubeconfig and (when another cluster reads it) its
 * reader token.
 */
import * as pulumi from "@pulumi/pulumi";
import { IstioControlPlane } from "../../components/istioControlPlane";
import { IstioRemote } from "../../components/istioRemote";
import { controlPlaneArgs, remoteArgs } from "../../components/istioMesh";
import { preflightPlan, PreflightPlan, runPreflight } from "../../components/preflight";
import { readerTokenFromSecret, ReaderToken, readersOf } from "../../components/remoteSecret";
import { meshTags } from "../../components/types";
import { ackClusterFor, ingressClusters, istioSettings, regionProviders, stackOwnerTags } from "../compose";
import { sharesRoot } from "./ca";
import { CA_STACK_ID, clusterStackId, securityGroupStackId } from "./layout";
import { ClusterStackOutputs, ExportedCacerts, openClusterStack, OUTPUTS, unknownOutput } from "./stackRefs";

/** The preflight of one cluster: its region and its own checks only (the `network` stack checked the attachments and NAT gateways). Pure. */
export function clusterPreflight(plan: PreflightPlan, cluster: string): PreflightPlan {
    const own = plan.clusters.filter((c) => c.name === cluster);
    return { ...plan, regions: [...new Set(own.map((c) => c.region))], clusters: own, attachments: [], natGateways: [] };
}

/** The `cluster-<name>` stack's program. Returns its outputs. */
export async function runFleetCluster(name: string): Promise<Record<string, unknown>> {
    const { planned, cluster: c, refs, fromNetwork, current } = await openClusterStack(
        clusterStackId(name),
        name,
        `destroy the stack of a removed cluster (npm run fleet -- up ${pulumi.getStack()} does, after the mesh stops reading it), or add the cluster back`,
    );
    const { config, network, identity } = planned;

    const ownerTags = stackOwnerTags(config);
    const tags = meshTags(ownerTags);
    const providers = regionProviders([c.region]);
    const preflight = await runPreflight(clusterPreflight(preflightPlan(config, network, ownerTags), name), providers);

    const plan = network.clusters[name];
    // Unknown with the network's values: over a changed plan of this cluster its group may be replaced too.
    const securityGroupId = current ? (refs.stack(securityGroupStackId(name)).requireOutput(OUTPUTS.securityGroupId) as pulumi.Output<string>) : unknownOutput<string>();
    const zones = Object.keys(plan.zones);
    const cluster = ackClusterFor(config, network, name, {
        kubernetesVersion: preflight.versions[name],
        vswitchIds: zones.map((z) => fromNetwork.vswitchIds[z]),
        podVswitchIds: c.cni === "terway" ? zones.map((z) => fromNetwork.podVswitchIds[z]) : undefined,
        securityGroupId,
        // The network stack has finished (egress included) before any cluster stack runs.
        egressReady: [],
        tags,
        provider: providers[c.region],
    });

    const settings = istioSettings(config);
    const self = identity.clusters[name];
    let readerToken: ReaderToken | undefined;
    let eastWestAddress: pulumi.Output<string> | undefined;
    let ingressAddress: pulumi.Output<string> | undefined;
    const remoteSecrets: Record<string, string> = {};
    if (self.controlPlane) {
        const cacerts = !sharesRoot(planned)
            ? undefined
            : (refs.stack(CA_STACK_ID).requireOutput(OUTPUTS.cacerts) as pulumi.Output<Record<string, ExportedCacerts>>).apply((all) => {
                  const mine = all[name];
                  if (!mine) throw new Error(`the ca stack exports no CA material for control plane "${name}": run the network layer first`);
                  return mine;
              });
        // The same args as IstioMesh gives a control plane (controlPlaneArgs).
        const cp = new IstioControlPlane(
            `mesh-${name}`,
            controlPlaneArgs(settings, {
                identity,
                cluster: cluster.handle,
                ...(cacerts ? { cacerts: { caCertPem: cacerts.caCertPem, caKeyPem: cacerts.caKeyPem, rootCertPem: cacerts.rootCertPem, certChainPem: cacerts.certChainPem } } : {}),
                sharedRoot: sharesRoot(planned),
                ingressGateway: ingressClusters(config, identity).includes(name),
            }),
        );
        readerToken = cp.readerToken;
        eastWestAddress = cp.eastWestAddress;
        ingressAddress = cp.ingressAddress;
    } else {
        const primary = self.controlledBy;
        // The same args as IstioMesh gives a remote (remoteArgs).
        const remote = new IstioRemote(
            `mesh-${name}`,
            remoteArgs(settings, {
                identity,
                cluster: cluster.handle,
                controlPlane: {
                    cluster: refs.handle(identity, primary, config.clusters[primary].cni),
                    eastWestAddress: refs.cluster(primary).requireOutput(OUTPUTS.eastWestAddress) as pulumi.Output<string>,
                    // No dependsOn on rules: the rules between this cluster and its primary are in the
                    // security-group layer (sg-<name>, sg-<primary>), which has finished before this stack runs.
                },
            }),
        );
        // Every remote is read by its primary at least, so it always has a reader token.
        readerToken = readersOf(identity, name).length > 0 ? readerTokenFromSecret(remote.readerToken) : undefined;
        eastWestAddress = remote.eastWestAddress;
        remoteSecrets[`${primary}/${name}`] = remote.remoteSecret.secretName;
    }

    const handleData: pulumi.Output<ClusterStackOutputs> = pulumi.output({
        name,
        displayName: c.displayName,
        region: c.region,
        network: c.network,
        role: c.role,
        controlledBy: self.controlledBy,
        cni: c.cni,
        clusterId: cluster.clusterId,
        apiServerUrl: cluster.handle.apiServerUrl,
        apiServerInternet: cluster.apiServerInternet,
        securityGroupId,
    });
    return {
        [OUTPUTS.cluster]: handleData,
        [OUTPUTS.kubeconfig]: pulumi.secret(cluster.kubeconfig),
        ...(readerToken ? { [OUTPUTS.readerToken]: pulumi.secret(pulumi.output({ token: readerToken.token, caData: readerToken.caData })) } : {}),
        ...(eastWestAddress ? { [OUTPUTS.eastWestAddress]: eastWestAddress } : {}),
        ...(ingressAddress ? { [OUTPUTS.ingressAddress]: ingressAddress } : {}),
        kubernetesVersion: preflight.versions[name].version,
        remoteSecrets,
    };
}
