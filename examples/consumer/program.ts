/**
 * A program of your own that uses ack-mesh as a library: two ACK clusters in
 * one region, each in its own VPC joined by CEN, and Istio (primary-remote)
 * across them. Everything comes from the package's public entry points:
 *
 * - `ack-mesh`: the components (`VpcWithCen`, `SecurityGroupPeering`, `AckCluster`, `IstioMesh`);
 * - `ack-mesh/plan`: the network plan and the mesh identity, computed before any resource.
 *
 * `index.ts` hands it to Pulumi (`pulumi up`); `test.ts` runs it offline (`npm test`).
 */
import * as alicloud from "@pulumi/alicloud";
import { AckCluster, ClusterHandle, IstioMesh, SecurityGroupPeering, VpcWithCen } from "ack-mesh";
import { meshIdentityFromConfig, parseAndPlanNetwork } from "ack-mesh/plan";

/** The topology, in the same shape as the `ack-mesh:` stack config. */
export const TOPOLOGY = {
    mesh: { id: "mesh-consumer", topology: "primary-remote" },
    clusters: {
        east: { region: "cn-hangzhou", zones: ["cn-hangzhou-h", "cn-hangzhou-i"], role: "primary", cni: "terway", slot: 40 },
        west: { region: "cn-hangzhou", zones: ["cn-hangzhou-j", "cn-hangzhou-k"], role: "remote", cni: "terway", slot: 41 },
    },
};

/** The program: returns the stack outputs. */
export function consumerProgram(): Record<string, unknown> {
    // Validated and planned before any resource exists; throws a ConfigError listing every problem.
    const { config, network } = parseAndPlanNetwork(TOPOLOGY);
    const identity = meshIdentityFromConfig(config);

    // Providers come from you: one per region.
    const providers: Record<string, alicloud.Provider> = {};
    for (const region of network.regions) providers[region] = new alicloud.Provider(`alicloud-${region}`, { region });

    const net = new VpcWithCen("net", { network, providers });
    const sg = new SecurityGroupPeering("sg", { identity, network, vpcIds: net.vpcIds, providers });

    const handles: Record<string, ClusterHandle> = {};
    for (const c of Object.values(config.clusters)) {
        const zones = Object.keys(network.clusters[c.name].zones);
        const cluster = new AckCluster(
            c.name,
            {
                clusterName: c.name,
                displayName: `consumer-${c.name}`,
                region: c.region,
                network: c.network,
                kubernetesVersion: "1.36.1-aliyun.1",
                cni: "terway",
                vswitchIds: zones.map((z) => net.vswitchIds[c.name][z]),
                podVswitchIds: zones.map((z) => net.podVswitchIds[c.name][z]),
                serviceCidr: network.clusters[c.name].serviceCidr,
                securityGroupId: sg.securityGroupIds[c.name],
                nodePools: { default: { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: zones.map((z) => net.vswitchIds[c.name][z]) } },
                egressReady: net.egressReady(c.name),
            },
            { provider: providers[c.region] },
        );
        handles[c.name] = cluster.handle;
    }

    const mesh = new IstioMesh("mesh", { identity, clusters: handles });
    return { clusters: Object.keys(handles), eastWestAddresses: mesh.eastWestAddresses };
}

