/**
 * AckCluster: table tests of its pure helpers, then construction tests under
 * the simulated cloud (children, inputs, options, providers, parentage,
 * secrets, the credential invoke, validation, name collisions and growth).
 */
import * as assert from "node:assert/strict";
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import {
    ACK_CLUSTER_TYPE,
    AckCluster,
    AckClusterArgs,
    managedKubernetesInputs,
    NodePoolArgs,
    nodePoolInputs,
    validateAckClusterArgs,
} from "../../components/ackCluster";
import { serverOfKubeconfig } from "../../components/types";
import { DEFAULTS } from "../../config/defaults";
import { ConfigError, formatProblem } from "../../config/errors";
import type { ClusterNetworkPlan } from "../../plan/network";
import {
    ALI,
    ALI_INVOKES,
    isSecretOutput,
    promiseOf,
    RecordedResource,
    Secret,
    simulate,
    SimulationResult,
    topology,
    twoRegionRaw,
} from "../support";

const K8S_PROVIDER = "pulumi:providers:kubernetes";
const ALI_PROVIDER = "pulumi:providers:alicloud";

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Network plans of the shared two-region topology (Terway), plus a Flannel variant of `hz`. */
const plans = topology(twoRegionRaw()).network.clusters;
const flannelPlan: ClusterNetworkPlan = (() => {
    const raw = twoRegionRaw() as { mesh: Record<string, unknown>; clusters: Record<string, Record<string, unknown>> };
    raw.mesh.networks = "multi-network"; // Flannel pods are not routable across CEN; a flat mesh would be refused
    raw.clusters.hz.cni = "flannel";
    return topology(raw).network.clusters.hz;
})();

/** Plain args (no cloud objects) for the pure-function tests. */
function plainArgs(over: Partial<AckClusterArgs> = {}): AckClusterArgs {
    return {
        clusterName: "hz",
        displayName: "ack-mesh-dev-hz",
        region: "cn-hangzhou",
        network: "network1",
        cni: "terway",
        vswitchIds: ["vsw-node1", "vsw-node2"],
        podVswitchIds: ["vsw-pod1", "vsw-pod2"],
        serviceCidr: "172.24.16.0/20",
        securityGroupId: "sg-abc",
        nodePools: { system: { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: ["vsw-node1", "vsw-node2"] } },
        ...over,
    };
}

function flannelArgs(over: Partial<AckClusterArgs> = {}): AckClusterArgs {
    return plainArgs({ cni: "flannel", podVswitchIds: undefined, podCidr: "10.129.0.0/16", ...over });
}

/** The VPC, vSwitches and security group a cluster sits in (what VpcWithCen/SecurityGroupPeering provide). */
function infra(prefix: string, plan: ClusterNetworkPlan, withEgress = true) {
    const provider = new alicloud.Provider(`${prefix}-ali`, { region: plan.region });
    const vpc = new alicloud.vpc.Network(`${prefix}-vpc`, { vpcName: `${prefix}-vpc`, cidrBlock: plan.vpcCidr }, { provider });
    const zones = Object.values(plan.zones);
    const vswitchIds = zones.map(
        (z) => new alicloud.vpc.Switch(`${prefix}-vsw-${z.zone}`, { vpcId: vpc.id, zoneId: z.zone, cidrBlock: z.vswitch, vswitchName: `${prefix}-${z.zone}` }, { provider }).id,
    );
    const podVswitchIds = zones
        .filter((z) => z.podVswitch !== undefined)
        .map(
            (z) =>
                new alicloud.vpc.Switch(`${prefix}-podvsw-${z.zone}`, { vpcId: vpc.id, zoneId: z.zone, cidrBlock: z.podVswitch!, vswitchName: `${prefix}-pod-${z.zone}` }, { provider }).id,
        );
    const sg = new alicloud.ecs.SecurityGroup(`${prefix}-sg`, { vpcId: vpc.id, securityGroupName: `${prefix}-sg` }, { provider });
    // The VPC's egress, as VpcWithCen builds it: NAT gateway, EIP, association, one SNAT entry per vSwitch.
    if (!withEgress) return { provider, vpc, vswitchIds, podVswitchIds, sg, nat: undefined, egressReady: [] as pulumi.Resource[] };
    const nat = new alicloud.vpc.NatGateway(`${prefix}-nat`, { vpcId: vpc.id, vswitchId: vswitchIds[0], natType: "Enhanced", natGatewayName: `${prefix}-nat` }, { provider });
    const eip = new alicloud.ecs.EipAddress(`${prefix}-eip`, { addressName: `${prefix}-eip`, internetChargeType: "PayByTraffic" }, { provider });
    const association = new alicloud.ecs.EipAssociation(`${prefix}-eip-assoc`, { allocationId: eip.id, instanceId: nat.id, instanceType: "Nat" }, { provider });
    const snat = [...vswitchIds, ...podVswitchIds].map(
        (id, i) => new alicloud.vpc.SnatEntry(`${prefix}-snat-${i}`, { snatTableId: nat.snatTableIds, sourceVswitchId: id, snatIp: eip.ipAddress }, { provider, dependsOn: [association] }),
    );
    const egressReady: pulumi.Resource[] = [nat, association, ...snat];
    return { provider, vpc, vswitchIds, podVswitchIds, sg, nat, egressReady };
}

type Infra = ReturnType<typeof infra>;

/** Cluster args wired to `infra` objects. */
function clusterArgs(plan: ClusterNetworkPlan, net: Infra, over: Partial<AckClusterArgs> = {}): AckClusterArgs {
    const pool = (size = 3): NodePoolArgs => ({ instanceTypes: [...DEFAULTS.instanceTypes], size, vswitchIds: net.vswitchIds });
    return {
        clusterName: plan.name,
        displayName: `ack-mesh-test-${plan.name}`,
        region: plan.region,
        network: `network-${plan.name}`,
        cni: plan.cni,
        vswitchIds: net.vswitchIds,
        ...(plan.cni === "terway" ? { podVswitchIds: net.podVswitchIds } : { podCidr: plan.podCidr, nodeCidrMask: plan.nodeCidrMask }),
        serviceCidr: plan.serviceCidr,
        securityGroupId: net.sg.id,
        egressReady: net.egressReady,
        nodePools: { system: pool() },
        ...over,
    };
}

interface Built {
    res: SimulationResult;
    ack: AckCluster;
    net: Infra;
}

/** Simulates one AckCluster named `name` in its own VPC. */
async function build(plan: ClusterNetworkPlan, over: Partial<AckClusterArgs> | ((net: Infra) => Partial<AckClusterArgs>) = {}, name = plan.name, withEgress = true): Promise<Built> {
    let ack!: AckCluster;
    let net!: Infra;
    const res = await simulate(() => {
        net = infra(`${name}-net`, plan, withEgress);
        ack = new AckCluster(name, clusterArgs(plan, net, typeof over === "function" ? over(net) : over), { provider: net.provider });
    });
    return { res, ack, net };
}

const typeName = (r: RecordedResource) => `${r.type} ${r.name}`;

// ---------------------------------------------------------------------------------------------
// Pure functions

describe("AckCluster", () => {
    describe("validateAckClusterArgs", () => {
        it("accepts valid Terway and Flannel args", () => {
            assert.deepEqual(validateAckClusterArgs(plainArgs()), []);
            assert.deepEqual(validateAckClusterArgs(flannelArgs()), []);
            assert.deepEqual(validateAckClusterArgs(flannelArgs({ nodeCidrMask: 28 })), []);
        });

        const cases: { name: string; args: AckClusterArgs; problems: string[] }[] = [
            {
                name: "Terway without podVswitchIds",
                args: plainArgs({ podVswitchIds: undefined }),
                problems: ["podVswitchIds: is required with Terway (pods take their IPs from these vSwitches). Fix: pass one pod vSwitch per zone of vswitchIds"],
            },
            {
                name: "Terway with empty podVswitchIds",
                args: plainArgs({ podVswitchIds: [] }),
                problems: ["podVswitchIds: is required with Terway (pods take their IPs from these vSwitches). Fix: pass one pod vSwitch per zone of vswitchIds"],
            },
            {
                name: "Flannel without podCidr",
                args: flannelArgs({ podCidr: undefined }),
                problems: ["podCidr: is required with Flannel. Fix: set a pod CIDR that overlaps neither the VPC nor other clusters, e.g. 10.128.0.0/16"],
            },
            {
                name: "podCidr with Terway",
                args: plainArgs({ podCidr: "10.129.0.0/16" }),
                problems: ['podCidr: is Flannel-only (Terway takes pod IPs from podVswitchIds) (got "10.129.0.0/16"). Fix: remove podCidr, or set cni to "flannel"'],
            },
            {
                name: "podVswitchIds with Flannel",
                args: flannelArgs({ podVswitchIds: ["vsw-pod1"] }),
                problems: ['podVswitchIds: is Terway-only (Flannel takes pod IPs from podCidr) (got ["vsw-pod1"]). Fix: remove podVswitchIds, or set cni to "terway"'],
            },
            {
                name: "no node vSwitch",
                args: plainArgs({ vswitchIds: [] }),
                problems: ["vswitchIds: must list 1 to 5 node vSwitch IDs (ACK limit) (got []). Fix: pass one node vSwitch per zone, at most 5"],
            },
            {
                name: "six node vSwitches",
                args: plainArgs({ vswitchIds: ["vsw-1", "vsw-2", "vsw-3", "vsw-4", "vsw-5", "vsw-6"] }),
                problems: ['vswitchIds: must list 1 to 5 node vSwitch IDs (ACK limit) (got ["vsw-1","vsw-2","vsw-3","vsw-4","vsw-5","vsw-6"]). Fix: pass one node vSwitch per zone, at most 5'],
            },
            {
                name: "a composite or foreign ID as a vSwitch",
                args: plainArgs({ vswitchIds: ["vpc-123"] }),
                problems: ['vswitchIds[0]: is not a vSwitch ID (got "vpc-123"). Fix: pass a vSwitch ID (vsw-…)'],
            },
            {
                name: "nodeCidrMask out of range",
                args: flannelArgs({ nodeCidrMask: 23 }),
                problems: ["nodeCidrMask: must be a whole number from 24 to 28 (got 23). Fix: use 24 (≤ 255 pods per node) up to 28 (≤ 15 pods per node)"],
            },
            {
                name: "nodeCidrMask with Terway",
                args: plainArgs({ nodeCidrMask: 24 }),
                problems: ['nodeCidrMask: is Flannel-only (got 24). Fix: remove nodeCidrMask, or set cni to "flannel"'],
            },
            {
                name: "fewer than three workers",
                args: plainArgs({ nodePools: { system: { instanceTypes: ["ecs.g7.xlarge"], size: 2, vswitchIds: ["vsw-a"] } } }),
                problems: [
                    "nodePools: hold 2 worker(s) in total, fewer than the minimum of 3 (got 2). Fix: raise the size of a node pool, or set allowFewerThanThreeWorkers: true (dev only; Istio wants ≥ 3 workers for HA)",
                ],
            },
            {
                name: "minWorkers below three without the override",
                args: plainArgs({ minWorkers: 1 }),
                problems: ["minWorkers: is below 3 (got 1). Fix: raise it to 3, or set allowFewerThanThreeWorkers: true (dev only)"],
            },
            {
                name: "fewer workers than an explicit minWorkers",
                args: plainArgs({ minWorkers: 5 }),
                problems: ["nodePools: hold 3 worker(s) in total, fewer than the minimum of 5 (got 3). Fix: raise the size of a node pool, or lower minWorkers"],
            },
            {
                name: "displayName too long",
                args: plainArgs({ displayName: "x".repeat(64) }),
                problems: [`displayName: must be 1 to 63 characters (ACK cluster name) (got "${"x".repeat(64)}"). Fix: use a shorter, non-empty name`],
            },
            {
                name: "empty displayName",
                args: plainArgs({ displayName: "" }),
                problems: ['displayName: must be 1 to 63 characters (ACK cluster name) (got ""). Fix: use a shorter, non-empty name'],
            },
            {
                name: "clusterName not a DNS label",
                args: plainArgs({ clusterName: "Hang_Zhou" }),
                problems: [
                    "clusterName: must be a DNS-1123 label (it is the mesh cluster name and prefixes the node pool names) (got \"Hang_Zhou\"). Fix: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
                ],
            },
            {
                name: "bad pool settings",
                args: plainArgs({
                    nodePools: {
                        Big: { instanceTypes: [], size: 3.5, systemDiskCategory: "cloudEssd", systemDiskSizeGb: 10, vswitchIds: [] },
                        system: { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: ["vsw-a"] },
                    },
                }),
                problems: [
                    "nodePools.Big: pool name must be a DNS-1123 label (it names the ACK node pool and the child resource) (got \"Big\"). Fix: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
                    'nodePools.Big.instanceTypes: must list 1 to 10 instance types (got []). Fix: list several, e.g. ["ecs.g7.xlarge","ecs.g6.xlarge","ecs.c7.xlarge"]',
                    "nodePools.Big.size: must be a whole number from 0 to 1000 (got 3.5). Fix: set the desired number of workers",
                    'nodePools.Big.systemDiskCategory: is not a system disk category (got "cloudEssd"). Fix: use one of cloud_efficiency, cloud_ssd, cloud_essd, cloud_auto, cloud_essd_entry, cloud (snake_case)',
                    "nodePools.Big.systemDiskSizeGb: must be a whole number of GiB from 20 to 2048 (got 10). Fix: omit it for 120",
                    "nodePools.Big.vswitchIds: must list at least one vSwitch. Fix: pass the cluster's node vSwitches (or some of them)",
                ],
            },
            {
                name: "bad enums and CIDRs",
                args: plainArgs({ proxyMode: "userspace", clusterSpec: "ack.pro.large", serviceCidr: "172.24.0.0/12", region: "Hangzhou", network: "Net 1" }),
                problems: [
                    'clusterSpec: is not an ACK edition (got "ack.pro.large"). Fix: use one of ack.standard, ack.pro.small, ack.pro.xlarge, ack.pro.2xlarge, ack.pro.4xlarge',
                    "network: must be a DNS-1123 label (it is the Istio network name) (got \"Net 1\"). Fix: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
                    'proxyMode: is not a kube-proxy mode (got "userspace"). Fix: use one of iptables, ipvs, nftables',
                    'region: must be an Alibaba region id (got "Hangzhou"). Fix: use the region of the alicloud provider, e.g. cn-hangzhou',
                    'serviceCidr: must be an IPv4 CIDR with a /16 to /24 mask (got "172.24.0.0/12"). Fix: write it as a.b.c.d/n, e.g. 172.24.0.0/20',
                ],
            },
        ];
        for (const c of cases) {
            it(`reports ${c.name}`, () => {
                const got = [...validateAckClusterArgs(c.args)].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map(formatProblem);
                assert.deepEqual(got, c.problems);
            });
        }

        it("allows fewer than three workers (down to zero) with the override", () => {
            const small = { system: { instanceTypes: ["ecs.g7.xlarge"], size: 1, vswitchIds: ["vsw-a"] } };
            assert.deepEqual(validateAckClusterArgs(plainArgs({ nodePools: small, allowFewerThanThreeWorkers: true })), []);
            assert.deepEqual(validateAckClusterArgs(plainArgs({ nodePools: {}, allowFewerThanThreeWorkers: true })), []);
            assert.deepEqual(validateAckClusterArgs(plainArgs({ nodePools: small, allowFewerThanThreeWorkers: true, minWorkers: 1 })), []);
            assert.deepEqual(
                validateAckClusterArgs(plainArgs({ nodePools: small, allowFewerThanThreeWorkers: true, minWorkers: 2 })).map(formatProblem),
                ["nodePools: hold 1 worker(s) in total, fewer than the minimum of 2 (got 1). Fix: raise the size of a node pool, or lower minWorkers"],
            );
        });
    });

    describe("managedKubernetesInputs", () => {
        const terwayDefaults = {
            name: "ack-mesh-dev-hz",
            clusterSpec: "ack.pro.small",
            proxyMode: "ipvs",
            serviceCidr: "172.24.16.0/20",
            addons: [{ name: "terway-eniip" }],
            deletionProtection: true,
            slbInternetEnabled: true,
            newNatGateway: false,
            skipSetCertificateAuthority: true,
            tags: { "managed-by": "ack-mesh" },
        };
        const table: { name: string; args: AckClusterArgs; want: object }[] = [
            { name: "Terway defaults", args: plainArgs(), want: terwayDefaults },
            {
                name: "Flannel defaults",
                args: flannelArgs(),
                want: { ...terwayDefaults, podCidr: "10.129.0.0/16", nodeCidrMask: 24, addons: [{ name: "flannel" }] },
            },
            {
                name: "overrides",
                args: flannelArgs({
                    kubernetesVersion: "1.34.1-aliyun.1",
                    clusterSpec: "ack.pro.xlarge",
                    proxyMode: "iptables",
                    nodeCidrMask: 26,
                    apiServerPublic: false,
                    deletionProtection: false,
                    tags: { env: "dev", "managed-by": "me" },
                }),
                want: {
                    ...terwayDefaults,
                    version: "1.34.1-aliyun.1",
                    clusterSpec: "ack.pro.xlarge",
                    proxyMode: "iptables",
                    podCidr: "10.129.0.0/16",
                    nodeCidrMask: 26,
                    addons: [{ name: "flannel" }],
                    slbInternetEnabled: false,
                    deletionProtection: false,
                    tags: { "managed-by": "me", env: "dev" },
                },
            },
        ];
        for (const t of table) {
            it(t.name, () => assert.deepEqual(managedKubernetesInputs(t.args), t.want));
        }

        it("never sets a deprecated or conflicting input", () => {
            for (const args of [plainArgs(), flannelArgs()]) {
                const keys = Object.keys(managedKubernetesInputs(args));
                for (const banned of ["workerVswitchIds", "clientCert", "clientKey", "clusterCaCert", "isEnterpriseSecurityGroup", "namePrefix", "loadBalancerSpec", "zoneIds"]) {
                    assert.ok(!keys.includes(banned), banned);
                }
            }
        });
    });

    describe("nodePoolInputs", () => {
        it("resolves the defaults", () => {
            assert.deepEqual(nodePoolInputs({ clusterName: "hz" }, "system", { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: [] }), {
                nodePoolName: "hz-system",
                instanceTypes: ["ecs.g7.xlarge"],
                desiredSize: "3",
                systemDiskCategory: "cloud_essd",
                systemDiskSize: 120,
                tags: { "managed-by": "ack-mesh" },
            });
        });
        it("keeps explicit values", () => {
            const got = nodePoolInputs({ clusterName: "sh", tags: { team: "mesh" } }, "apps", {
                instanceTypes: ["a", "b"],
                size: 0,
                systemDiskCategory: "cloud_auto",
                systemDiskSizeGb: 200,
                vswitchIds: [],
            });
            assert.deepEqual(got, {
                nodePoolName: "sh-apps",
                instanceTypes: ["a", "b"],
                desiredSize: "0",
                systemDiskCategory: "cloud_auto",
                systemDiskSize: 200,
                tags: { "managed-by": "ack-mesh", team: "mesh" },
            });
        });
    });

    describe("no NAT gateway of its own: waits for its VPC's egress (issue 12, item 5)", () => {
        it("depends on every egressReady resource, and ends up with the VPC's NAT gateway", async () => {
            const b = await build(plans.hz);
            const cluster = b.res.get(ALI.cluster, "hz-cluster");
            const nat = b.res.get(ALI.natGateway, "hz-net-nat");
            assert.equal(b.res.byType(ALI.natGateway).length, 1, "no second NAT gateway");
            const expected = [nat.urn, b.res.get(ALI.eipAssociation, "hz-net-eip-assoc").urn, ...b.res.byType(ALI.snatEntry).map((r) => r.urn)];
            assert.equal(expected.length, 2 + 4, "two node and two pod vSwitches");
            for (const urn of expected) assert.ok(cluster.dependencies.includes(urn), urn);
            assert.equal(cluster.inputs.newNatGateway, false);
            assert.equal(cluster.outputs.natGatewayId, nat.id);
            assert.deepEqual(b.res.warnings, []);
        });

        it("in a VPC without a NAT gateway, the simulated ACK creates its own (newNatGateway: false is not sent) and says so", async () => {
            const b = await build(plans.hz, {}, "hz", false);
            assert.equal(b.res.get(ALI.cluster, "hz-cluster").dependencies.some((d) => d.includes("SnatEntry")), false);
            assert.ok(
                b.res.warnings.some((w) => /ACK (creates its own NAT gateway|adds SNAT entries)/.test(w)),
                `expected a NAT warning, got: ${b.res.warnings.join("; ")}`,
            );
        });
    });

    describe("node pool keyName (issue 12, item 7)", () => {
        it("passes keyName to the pool when set, and sends no login input otherwise", () => {
            const pool = { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: [] };
            assert.equal(nodePoolInputs({ clusterName: "hz" }, "system", { ...pool, keyName: "ops-key" }).keyName, "ops-key");
            const none = nodePoolInputs({ clusterName: "hz" }, "system", pool) as unknown as Record<string, unknown>;
            for (const login of ["keyName", "password", "kmsEncryptedPassword"]) assert.equal(login in none, false, login);
        });

        it("refuses a malformed key pair name, naming the pool", () => {
            const args = plainArgs({ nodePools: { system: { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: ["vsw-node1"], keyName: "http://x" } } });
            assert.deepEqual(validateAckClusterArgs(args), [
                {
                    path: "nodePools.system.keyName",
                    value: "http://x",
                    message: "is not an ECS key pair name",
                    fix: "use the name of an existing key pair in the cluster's region: 2 to 128 characters, starting with a letter, then letters, digits, ':', '_' or '-'",
                },
            ]);
        });

        it("creates the pool with keyName under the simulated cloud", async () => {
            const b = await build(plans.hz, (net) => ({
                nodePools: {
                    system: { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: net.vswitchIds, keyName: "ops-key" },
                    apps: { instanceTypes: ["ecs.g7.xlarge"], size: 3, vswitchIds: net.vswitchIds },
                },
            }));
            assert.equal(b.res.get(ALI.nodePool, "hz-np-system").inputs.keyName, "ops-key");
            assert.equal(b.res.get(ALI.nodePool, "hz-np-apps").inputs.keyName, undefined);
        });
    });

    // -----------------------------------------------------------------------------------------
    // Construction under the simulated cloud

    describe("construction (Terway)", () => {
        let b: Built;
        before(async () => {
            b = await build(plans.hz, (net) => {
                const pool = (size: number, t: string): NodePoolArgs => ({ instanceTypes: [t], size, vswitchIds: net.vswitchIds });
                return { nodePools: { system: pool(3, "ecs.g7.xlarge"), apps: pool(2, "ecs.c7.xlarge") } };
            });
        });

        const component = () => b.res.get(ACK_CLUSTER_TYPE, "hz");
        const cluster = () => b.res.get(ALI.cluster, "hz-cluster");
        const pool = (p: string) => b.res.get(ALI.nodePool, `hz-np-${p}`);
        const k8sProvider = () => b.res.get(K8S_PROVIDER, "hz-k8s");

        it("creates exactly the cluster, one node pool per pool and one Kubernetes provider", () => {
            const children = b.res.childrenOf(component().urn).map(typeName).sort();
            assert.deepEqual(children, [`${ALI.nodePool} hz-np-apps`, `${ALI.nodePool} hz-np-system`, `${ALI.cluster} hz-cluster`, `${K8S_PROVIDER} hz-k8s`].sort());
            // Nothing else anywhere below the component, and nothing inside the cluster.
            const below = b.res.resources.filter((r) => r.urn.includes(`${ACK_CLUSTER_TYPE}$`));
            assert.equal(below.length, 4);
            assert.deepEqual(b.res.resources.filter((r) => r.type.startsWith("kubernetes:")), []);
            assert.equal(b.res.byType(K8S_PROVIDER).length, 1);
        });

        it("leaves the simulated cloud nothing to warn about", () => {
            assert.deepEqual(b.res.warnings, []);
        });

        it("parents every child to the component and the component to the stack", () => {
            assert.equal(component().parent, b.res.stackUrn);
            for (const r of [cluster(), pool("system"), pool("apps"), k8sProvider()]) assert.equal(r.parent, component().urn, r.name);
        });

        it("uses the passed alicloud provider for the cluster, the pools and the credential invoke", () => {
            const ali = b.res.get(ALI_PROVIDER, "hz-net-ali");
            assert.equal(b.res.byType(ALI_PROVIDER).length, 1);
            for (const r of [cluster(), pool("system"), pool("apps")]) assert.equal(r.providerUrn, ali.urn, r.name);
            const cred = b.res.invokes.filter((i) => i.token === ALI_INVOKES.getClusterCredential);
            assert.equal(cred.length, 1);
            assert.ok(cred[0].provider?.startsWith(`${ali.urn}::`), cred[0].provider);
        });

        it("sets the Terway cluster inputs", () => {
            const i = cluster().inputs;
            assert.equal(i.name, "ack-mesh-test-hz");
            assert.equal(i.clusterSpec, "ack.pro.small");
            assert.equal(i.version, undefined, "unset: not sent, ACK creates with its newest");
            assert.equal(i.proxyMode, "ipvs");
            assert.deepEqual(i.vswitchIds, b.res.byType(ALI.vswitch).filter((v) => v.name.startsWith("hz-net-vsw-")).map((v) => v.id));
            assert.deepEqual(i.podVswitchIds, b.res.byType(ALI.vswitch).filter((v) => v.name.startsWith("hz-net-podvsw-")).map((v) => v.id));
            assert.equal(i.serviceCidr, plans.hz.serviceCidr);
            assert.deepEqual(i.addons, [{ name: "terway-eniip" }]);
            assert.equal(i.podCidr, undefined);
            assert.equal(i.nodeCidrMask, undefined);
            assert.equal(i.deletionProtection, true);
            assert.equal(i.slbInternetEnabled, true);
            assert.equal(i.newNatGateway, false);
            assert.equal(i.skipSetCertificateAuthority, true);
            assert.deepEqual(i.tags, { "managed-by": "ack-mesh" });
            for (const banned of ["workerVswitchIds", "isEnterpriseSecurityGroup", "clientCert", "clientKey", "clusterCaCert", "zoneIds", "namePrefix"]) {
                assert.ok(!(banned in i), banned);
            }
        });

        it("wires the security group into the cluster and every node pool", () => {
            const sgId = b.res.get(ALI.securityGroup, "hz-net-sg").id;
            assert.ok(sgId);
            assert.equal(cluster().inputs.securityGroupId, sgId);
            for (const p of ["system", "apps"]) assert.deepEqual(pool(p).inputs.securityGroupIds, [sgId]);
        });

        it("sets the node pool inputs (desiredSize is a string)", () => {
            const s = pool("system").inputs;
            assert.equal(s.clusterId, cluster().id);
            assert.equal(s.nodePoolName, "hz-system");
            assert.equal(s.desiredSize, "3");
            assert.deepEqual(s.instanceTypes, ["ecs.g7.xlarge"]);
            assert.equal(s.systemDiskCategory, "cloud_essd");
            assert.equal(s.systemDiskSize, 120);
            assert.deepEqual(s.vswitchIds, cluster().inputs.vswitchIds);
            assert.deepEqual(s.tags, { "managed-by": "ack-mesh" });
            assert.equal(pool("apps").inputs.desiredSize, "2");
            for (const banned of ["name", "nodeCount", "securityGroupId", "instances"]) assert.ok(!(banned in s), banned);
        });

        it("deletes before replacing the cluster and the pools, and protects nothing by default", () => {
            for (const r of [cluster(), pool("system"), pool("apps")]) {
                assert.equal(r.deleteBeforeReplace, true, r.name);
                assert.equal(r.protect, false, r.name);
            }
        });

        it("reads a long-lived credential of the cluster (no temporaryDurationMinutes)", () => {
            const cred = b.res.invokes.filter((i) => i.token === ALI_INVOKES.getClusterCredential);
            assert.deepEqual(cred[0].inputs, { clusterId: cluster().id });
        });

        it("keeps the kubeconfig secret, in the output and in the provider's inputs", async () => {
            assert.equal(await isSecretOutput(b.ack.kubeconfig), true);
            assert.equal(await isSecretOutput(b.ack.handle.kubeconfig), true);
            const kc = k8sProvider().inputs.kubeconfig;
            assert.ok(kc instanceof Secret, "provider kubeconfig input is not a Secret");
            assert.equal((kc as Secret).value, await promiseOf(b.ack.kubeconfig));
        });

        it("points the kubeconfig at the public API endpoint", async () => {
            const kc = await promiseOf(b.ack.kubeconfig);
            assert.equal(serverOfKubeconfig(kc), await promiseOf(b.ack.apiServerInternet));
        });

        it("makes the Kubernetes provider depend on every node pool", () => {
            const deps = k8sProvider().dependencies;
            for (const p of ["system", "apps"]) assert.ok(deps.includes(pool(p).urn), p);
        });

        it("exposes the cluster outputs", async () => {
            const c = cluster();
            assert.equal(await promiseOf(b.ack.clusterId), c.id);
            assert.match(c.id!, /^c[0-9a-f]{32}$/);
            const intranet = await promiseOf(b.ack.apiServerIntranet);
            assert.match(intranet, /^https:\/\/10\.\d+\.\d+\.\d+:6443$/);
            assert.equal(intranet, (c.outputs.connections as Record<string, unknown>).apiServerIntranet);
            assert.equal(await promiseOf(b.ack.apiServerInternet), (c.outputs.connections as Record<string, unknown>).apiServerInternet);
            assert.equal(await promiseOf(b.ack.securityGroupId), b.res.get(ALI.securityGroup, "hz-net-sg").id);
            assert.equal(await promiseOf(b.ack.vpcId), b.res.get(ALI.network, "hz-net-vpc").id);
        });

        it("exposes the bare node pool IDs, not the composite resource IDs", async () => {
            assert.deepEqual(Object.keys(b.ack.nodePoolIds).sort(), ["apps", "system"]);
            for (const p of ["system", "apps"]) {
                const id = await promiseOf(b.ack.nodePoolIds[p]);
                assert.match(id, /^np[0-9a-f]{32}$/);
                assert.equal(pool(p).id, `${cluster().id}:${id}`);
            }
        });

        it("builds the cluster handle", async () => {
            const h = b.ack.handle;
            assert.equal(h.name, "hz");
            assert.equal(h.region, "cn-hangzhou");
            assert.equal(h.network, "network-hz");
            assert.equal(h.provider, b.ack.provider);
            assert.equal(await promiseOf(h.apiServerUrl), await promiseOf(b.ack.apiServerIntranet));
            assert.equal(await promiseOf(h.kubeconfig), await promiseOf(b.ack.kubeconfig));
        });

        it("registers its outputs, the kubeconfig as a secret", () => {
            const o = component().outputs;
            assert.equal(o.clusterId, cluster().id);
            assert.ok(o.kubeconfig instanceof Secret);
            assert.deepEqual(Object.keys(o.nodePoolIds as object).sort(), ["apps", "system"]);
        });
    });

    describe("construction (Flannel)", () => {
        let b: Built;
        before(async () => {
            b = await build(flannelPlan, { protect: true, apiServerPublic: false, deletionProtection: false, tags: { env: "test" } });
        });

        it("sets the Flannel cluster inputs", () => {
            const i = b.res.get(ALI.cluster, "hz-cluster").inputs;
            assert.equal(i.podCidr, "10.129.0.0/16");
            assert.equal(i.serviceCidr, "172.24.16.0/20");
            assert.equal(i.nodeCidrMask, 24);
            assert.deepEqual(i.addons, [{ name: "flannel" }]);
            assert.ok(!("podVswitchIds" in i));
            assert.equal(i.slbInternetEnabled, false);
            assert.equal(i.deletionProtection, false);
            assert.deepEqual(i.tags, { "managed-by": "ack-mesh", env: "test" });
        });

        it("protects the cluster and the pools when asked (and still deletes before replacing)", () => {
            for (const r of [b.res.get(ALI.cluster, "hz-cluster"), b.res.get(ALI.nodePool, "hz-np-system")]) {
                assert.equal(r.protect, true, r.name);
                assert.equal(r.deleteBeforeReplace, true, r.name);
            }
            assert.equal(b.res.get(K8S_PROVIDER, "hz-k8s").protect, false);
        });
    });

    describe("providers", () => {
        it("accepts the alicloud provider through opts.providers", async () => {
            const res = await simulate(() => {
                const net = infra("p-net", plans.sh);
                new AckCluster("sh", clusterArgs(plans.sh, net), { providers: [net.provider] });
            });
            const ali = res.get(ALI_PROVIDER, "p-net-ali");
            assert.equal(res.get(ALI.cluster, "sh-cluster").providerUrn, ali.urn);
            assert.equal(res.get(ALI.nodePool, "sh-np-system").providerUrn, ali.urn);
            assert.ok(res.invokes.find((i) => i.token === ALI_INVOKES.getClusterCredential)?.provider?.startsWith(`${ali.urn}::`));
        });
    });

    describe("validation at construction", () => {
        it("throws one ConfigError naming every problem, before registering anything", async () => {
            let caught: unknown;
            const res = await simulate(() => {
                try {
                    new AckCluster("bad", {
                        ...plainArgs(),
                        clusterName: "Bad_Name",
                        displayName: "",
                        podVswitchIds: undefined,
                        podCidr: "10.129.0.0/16",
                        vswitchIds: ["vsw-1", "vsw-2", "vsw-3", "vsw-4", "vsw-5", "vsw-6"],
                        nodePools: { system: { instanceTypes: ["ecs.g7.xlarge"], size: 1, vswitchIds: ["vsw-1"] } },
                    });
                } catch (e) {
                    caught = e;
                }
            });
            assert.ok(ConfigError.is(caught));
            assert.equal(
                (caught as Error).message,
                [
                    'Invalid AckCluster "bad" (7 problems):',
                    "  - clusterName: must be a DNS-1123 label (it is the mesh cluster name and prefixes the node pool names) (got \"Bad_Name\"). Fix: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
                    '  - displayName: must be 1 to 63 characters (ACK cluster name) (got ""). Fix: use a shorter, non-empty name',
                    "  - nodePools: hold 1 worker(s) in total, fewer than the minimum of 3 (got 1). Fix: raise the size of a node pool, or set allowFewerThanThreeWorkers: true (dev only; Istio wants ≥ 3 workers for HA)",
                    "  - opts.provider: no alicloud provider was passed. Fix: pass the region's alicloud.Provider as opts.provider (the component never uses global config)",
                    '  - podCidr: is Flannel-only (Terway takes pod IPs from podVswitchIds) (got "10.129.0.0/16"). Fix: remove podCidr, or set cni to "flannel"',
                    "  - podVswitchIds: is required with Terway (pods take their IPs from these vSwitches). Fix: pass one pod vSwitch per zone of vswitchIds",
                    '  - vswitchIds: must list 1 to 5 node vSwitch IDs (ACK limit) (got ["vsw-1","vsw-2","vsw-3","vsw-4","vsw-5","vsw-6"]). Fix: pass one node vSwitch per zone, at most 5',
                ].join("\n"),
            );
            assert.deepEqual(res.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map(typeName), []);
            assert.deepEqual(res.invokes, []);
        });
    });

    describe("two clusters", () => {
        it("share no (type, name) pair and each uses its own region's provider", async () => {
            const res = await simulate(() => {
                for (const plan of [plans.hz, plans.sh]) {
                    const net = infra(`${plan.name}-net`, plan);
                    new AckCluster(plan.name, clusterArgs(plan, net), { provider: net.provider });
                }
            });
            const keys = res.resources.map(typeName);
            assert.equal(new Set(keys).size, keys.length, "duplicate (type, name)");
            assert.equal(res.byType(ACK_CLUSTER_TYPE).length, 2);
            assert.equal(res.byType(ALI.cluster).length, 2);
            assert.equal(res.byType(K8S_PROVIDER).length, 2);
            for (const plan of [plans.hz, plans.sh]) {
                const ali = res.get(ALI_PROVIDER, `${plan.name}-net-ali`);
                assert.equal(res.get(ALI.cluster, `${plan.name}-cluster`).providerUrn, ali.urn);
                assert.equal(res.get(ALI.nodePool, `${plan.name}-np-system`).inputs.nodePoolName, `${plan.name}-system`);
            }
            const creds = res.invokes.filter((i) => i.token === ALI_INVOKES.getClusterCredential).map((i) => i.inputs.clusterId);
            assert.deepEqual(creds.sort(), res.byType(ALI.cluster).map((c) => c.id).sort());
        });
    });

    describe("growth", () => {
        it("adding a node pool leaves the cluster's and the existing pool's inputs identical", async () => {
            const run = (extra: boolean) =>
                simulate(() => {
                    const net = infra("hz-net", plans.hz);
                    const pool = (size: number): NodePoolArgs => ({ instanceTypes: [...DEFAULTS.instanceTypes], size, vswitchIds: net.vswitchIds });
                    const nodePools: Record<string, NodePoolArgs> = { system: pool(3) };
                    if (extra) nodePools.apps = pool(2);
                    new AckCluster("hz", clusterArgs(plans.hz, net, { nodePools }), { provider: net.provider });
                });
            const before = await run(false);
            const after = await run(true);
            for (const [type, name] of [
                [ALI.cluster, "hz-cluster"],
                [ALI.nodePool, "hz-np-system"],
            ]) {
                const a = before.get(type, name);
                const b = after.get(type, name);
                assert.deepEqual(b.inputs, a.inputs, name);
                assert.equal(b.urn, a.urn, name);
                assert.equal(b.id, a.id, name);
            }
            assert.deepEqual(
                after.resources.map(typeName).filter((k) => !before.resources.map(typeName).includes(k)),
                [`${ALI.nodePool} hz-np-apps`],
            );
            // The provider now also waits for the new pool.
            assert.ok(after.get(K8S_PROVIDER, "hz-k8s").dependencies.includes(after.get(ALI.nodePool, "hz-np-apps").urn));
        });
    });
});
