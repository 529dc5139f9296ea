/**
 * The full-topology program: thin glue from stack config to components.
 *
 * config → plan (CIDRs, mesh identity) → one alicloud.Provider per region →
 * VpcWithCen → SecurityGroupPeering → AckCluster per cluster → shared root CA
 * → IstioControlPlane per primary → IstioRemote per remote → remote secrets
 * between control planes → Bookinfo → stack outputs.
 *
 * It loops over the cluster map; nothing here is specific to one cluster.
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/load";
import { namespaceConfig } from "../../config/pulumiConfig";
import { AckCluster } from "../../components/ackCluster";
import { IstioControlPlane } from "../../components/istioControlPlane";
import { IstioRemote, istioRemoteOwnsPair } from "../../components/istioRemote";
import { MeshCertificateAuthority } from "../../components/meshCertificateAuthority";
import { RemoteSecret, remoteSecretPairs } from "../../components/remoteSecret";
import { SecurityGroupPeering } from "../../components/securityGroupPeering";
import { VpcWithCen } from "../../components/vpcWithCen";
import { ClusterHandle, MeshIdentity, meshTags } from "../../components/types";
import { cidrTable, NetworkPlan, parseAndPlanNetwork } from "../../plan/network";
import { meshIdentityFromConfig } from "../../plan/mesh";

/** Stack config and plans, computed before any resource exists. */
export interface PlannedTopology {
    config: StackConfig;
    network: NetworkPlan;
    identity: ReturnType<typeof meshIdentityFromConfig>;
}

/**
 * Validates the `ack-mesh:` config and plans the topology. Pure.
 * @throws ConfigError listing every problem
 */
export function planTopology(raw: Record<string, unknown>): PlannedTopology {
    const { config, network } = parseAndPlanNetwork(raw);
    return { config, network, identity: meshIdentityFromConfig(config) };
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

/** Runs the program. Returns the stack outputs. */
export function runAckMesh(): Record<string, unknown> {
    const planned = planTopology(namespaceConfig(pulumi.runtime.allConfig()));
    const { config, network, identity } = planned;
    const tags = meshTags({ "ack-mesh-stack": pulumi.getStack(), "ack-mesh-mesh": config.mesh.id });

    // One provider per region; clusters in different regions never wait on each other.
    const providers: Record<string, alicloud.Provider> = {};
    for (const region of network.regions) {
        providers[region] = new alicloud.Provider(`alicloud-${region}`, { region });
    }

    const net = new VpcWithCen("net", {
        network,
        providers,
        cen: { bandwidthType: config.cen.bandwidthType, bandwidthMbps: config.cen.bandwidthMbps, bandwidthPackageId: config.cen.bandwidthPackageId, region: config.cen.region },
        protect: config.protect,
        tags,
    });

    const sg = new SecurityGroupPeering("sg", { identity, network, vpcIds: net.vpcIds, providers, tags });

    const clusters: Record<string, AckCluster> = {};
    for (const c of Object.values(config.clusters)) {
        const plan = network.clusters[c.name];
        const zones = Object.keys(plan.zones);
        clusters[c.name] = new AckCluster(
            c.name,
            {
                clusterName: c.name,
                displayName: c.displayName,
                region: c.region,
                network: c.network,
                kubernetesVersion: c.kubernetesVersion,
                clusterSpec: c.clusterSpec,
                proxyMode: c.proxyMode,
                cni: c.cni,
                vswitchIds: zones.map((z) => net.vswitchIds[c.name][z]),
                podVswitchIds: c.cni === "terway" ? zones.map((z) => net.podVswitchIds[c.name][z]) : undefined,
                podCidr: plan.podCidr,
                serviceCidr: plan.serviceCidr,
                nodeCidrMask: plan.nodeCidrMask,
                securityGroupId: sg.securityGroupIds[c.name],
                nodePools: Object.fromEntries(
                    Object.values(c.nodePools).map((p) => [
                        p.name,
                        {
                            instanceTypes: p.instanceTypes,
                            size: p.size,
                            systemDiskCategory: p.systemDiskCategory,
                            systemDiskSizeGb: p.systemDiskSizeGb,
                            vswitchIds: p.zones.map((z) => net.vswitchIds[c.name][z]),
                        },
                    ]),
                ),
                allowFewerThanThreeWorkers: c.allowFewerThanThreeWorkers,
                apiServerPublic: c.apiServerPublic,
                deletionProtection: c.deletionProtection,
                protect: config.protect,
                tags: { ...tags, ...c.tags },
            },
            { provider: providers[c.region] },
        );
    }

    const handles = Object.fromEntries(Object.entries(clusters).map(([name, c]) => [name, c.handle]));
    const mesh = buildMesh(config, identity, handles);

    return {
        layout: layoutSummary(planned),
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
    };
}

/** The mesh layer's results the program exports or hands to Bookinfo. */
export interface MeshResources {
    controlPlanes: Record<string, IstioControlPlane>;
    remotes: Record<string, IstioRemote>;
    /** Ingress gateway LB address per control plane that has one. */
    ingressAddresses: Record<string, pulumi.Output<string>>;
    /** East-west gateway LB address per cluster that has one. */
    eastWestAddresses: Record<string, pulumi.Output<string>>;
    /** Remote secrets as `<watcher>/<target>` → secret name in the watcher. */
    remoteSecrets: Record<string, string>;
    /** Per cluster, what in-mesh workloads must wait for (its istiod). */
    meshReady: Record<string, pulumi.Resource[]>;
}

/**
 * Installs Istio on the clusters: a shared root CA when several control
 * planes (or the config) ask for it, one IstioControlPlane per primary, one
 * IstioRemote per remote (which creates its own remote secret in its
 * primary), and the remote secrets between control planes.
 */
export function buildMesh(config: StackConfig, identity: MeshIdentity, handles: Record<string, ClusterHandle>): MeshResources {
    const mesh = config.mesh;
    let ca: MeshCertificateAuthority | undefined;
    if (mesh.ca.shared) {
        const cfg = new pulumi.Config();
        ca = new MeshCertificateAuthority("mesh-ca", {
            identity,
            algorithm: mesh.ca.algorithm,
            additionalTrustedRootCertsPem: mesh.ca.additionalTrustedRootCerts,
            ...(mesh.ca.source === "config" ? { root: { certPem: cfg.requireSecret("caRootCert"), keyPem: cfg.requireSecret("caRootKey") } } : {}),
        });
    }

    const controlPlanes: Record<string, IstioControlPlane> = {};
    for (const name of identity.controlPlanes) {
        controlPlanes[name] = new IstioControlPlane(`${name}-istio`, {
            identity,
            cluster: handles[name],
            istioVersion: mesh.istioVersion,
            cacerts: ca?.cacerts[name],
            sharedRoot: mesh.ca.shared,
            mtls: mesh.mtls,
            dnsCapture: mesh.dnsCapture,
            ingressGateway: config.clusters[name].ingressGateway,
            valuesOverride: mesh.valuesOverride,
        });
    }

    const remotes: Record<string, IstioRemote> = {};
    for (const c of Object.values(identity.clusters).filter((x) => !x.controlPlane)) {
        const primary = controlPlanes[c.controlledBy];
        remotes[c.clusterName] = new IstioRemote(`${c.clusterName}-istio`, {
            identity,
            cluster: handles[c.clusterName],
            controlPlane: { cluster: handles[c.controlledBy], eastWestAddress: primary.eastWestAddress!, dependsOn: [primary.istiod] },
            istioVersion: mesh.istioVersion,
            valuesOverride: { base: mesh.valuesOverride.base, istiod: mesh.valuesOverride.istiod, eastWestGateway: mesh.valuesOverride.eastWestGateway },
        });
    }

    // Control planes reading each other (multi-primary). Pairs with a remote target are IstioRemote's.
    const remoteSecrets: Record<string, string> = {};
    for (const pair of remoteSecretPairs(identity)) {
        if (istioRemoteOwnsPair(identity, pair)) {
            remoteSecrets[`${pair.watcher}/${pair.target}`] = remotes[pair.target].remoteSecret.secretName;
            continue;
        }
        const target = controlPlanes[pair.target];
        const secret = new RemoteSecret(
            `${pair.watcher}-reads-${pair.target}`,
            {
                watcher: handles[pair.watcher],
                target: { clusterName: pair.target, apiServerUrl: handles[pair.target].apiServerUrl, token: target.readerToken.token, caData: target.readerToken.caData },
            },
            { dependsOn: [controlPlanes[pair.watcher].istiod] },
        );
        remoteSecrets[`${pair.watcher}/${pair.target}`] = secret.secretName;
    }

    const ingressAddresses: Record<string, pulumi.Output<string>> = {};
    const eastWestAddresses: Record<string, pulumi.Output<string>> = {};
    const meshReady: Record<string, pulumi.Resource[]> = {};
    for (const [name, cp] of Object.entries(controlPlanes)) {
        if (cp.ingressAddress) ingressAddresses[name] = cp.ingressAddress;
        if (cp.eastWestAddress) eastWestAddresses[name] = cp.eastWestAddress;
        meshReady[name] = [cp.istiod];
    }
    for (const [name, r] of Object.entries(remotes)) {
        if (r.eastWestAddress) eastWestAddresses[name] = r.eastWestAddress;
        meshReady[name] = [r.istiod, r.remoteSecret];
    }
    return { controlPlanes, remotes, ingressAddresses, eastWestAddresses, remoteSecrets, meshReady };
}
