import * as assert from "node:assert/strict";
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import { IPv4CidrRange } from "ip-num";
import { ConfigError } from "../../config/errors";
import {
    mergeRulePlans,
    PEER_RULE_PRIORITY,
    PeerRule,
    planLoadBalancerRules,
    planPeerRules,
    planSecurityGroupRules,
    planIcmpRules,
    planSelfRules,
    PlannedRule,
    ruleQuotaProblems,
    SECURITY_GROUP_PEERING_TYPE,
    SecurityGroupPeering,
    SecurityGroupPeeringArgs,
    validateSecurityGroupPeering,
} from "../../components/securityGroupPeering";
import { generateTopology } from "../../bench/topology";
import { PlannedTopology, planTopology } from "../../programs/compose";
import { RecordedResource, simulate, SimulationError, stackRaw, topology, Topology, twoRegionRaw } from "../support";

const SG = "alicloud:ecs/securityGroup:SecurityGroup";
const RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule";

// --- Topologies -------------------------------------------------------------------

const terway = (region: string, zones: string[], role: "primary" | "remote", slot: number, extra: Record<string, unknown> = {}) => ({
    region,
    zones,
    role,
    cni: "terway",
    slot,
    ...extra,
});

/** dev-like: two Flannel clusters side by side in one shared VPC, one flat network, primary-remote. */
const devLikeRaw = () => ({
    mesh: { id: "mesh-dev", topology: "primary-remote", networks: "flat" },
    vpcs: { side: { region: "cn-hangzhou", cidr: "192.168.0.0/16" } },
    clusters: {
        cp: {
            region: "cn-hangzhou",
            zones: ["cn-hangzhou-h"],
            role: "primary",
            cni: "flannel",
            vpc: "side",
            slot: 0,
            cidrs: { pod: "172.16.0.0/16", service: "172.19.0.0/20" },
        },
        r1: {
            region: "cn-hangzhou",
            zones: ["cn-hangzhou-h", "cn-hangzhou-i"],
            role: "remote",
            cni: "flannel",
            vpc: "side",
            slot: 1,
            cidrs: { pod: "172.20.0.0/16", service: "172.21.0.0/20" },
        },
    },
});

/** prod-like: multi-primary, one network per cluster, own VPCs, Terway. */
const prodLikeRaw = () => ({
    mesh: { id: "mesh-prod", topology: "multi-primary", networks: "multi-network" },
    clusters: {
        bj: terway("cn-beijing", ["cn-beijing-h"], "primary", 20),
        sh: terway("cn-shanghai", ["cn-shanghai-l", "cn-shanghai-m"], "primary", 21),
    },
});

/** Three regions, flat, one primary and two remotes (Terway, own VPCs). */
const threeRaw = () => ({
    mesh: { id: "mesh3", topology: "primary-remote" },
    clusters: {
        hz: terway("cn-hangzhou", ["cn-hangzhou-h"], "primary", 1),
        sh: terway("cn-shanghai", ["cn-shanghai-l"], "remote", 2),
        bj: terway("cn-beijing", ["cn-beijing-h"], "remote", 3),
    },
});

/** Primary-remote on two networks (staging layout, multi-network). */
const primaryRemoteMultiNetworkRaw = () => ({ ...twoRegionRaw(), mesh: { id: "mesh1", topology: "primary-remote", networks: "multi-network" } });

/** Two primaries on two networks sharing one VPC. */
const sharedVpcMultiNetworkRaw = () => ({
    mesh: { id: "mesh-shared", topology: "multi-primary", networks: "multi-network" },
    vpcs: { shared: { region: "cn-hangzhou", cidr: "10.8.0.0/16" } },
    clusters: {
        a: terway("cn-hangzhou", ["cn-hangzhou-h"], "primary", 4, { vpc: "shared" }),
        b: terway("cn-hangzhou", ["cn-hangzhou-h"], "primary", 5, { vpc: "shared" }),
    },
});

type Row = [key: string, portRange: string, cidrIp: string];
const rows = (rules: ReadonlyArray<PlannedRule>): Row[] => rules.map((r) => [r.key, r.portRange, r.cidrIp]);
const plan = (t: Topology, appPorts?: number[]) => [...planSelfRules(t.identity, t.network), ...planPeerRules(t.identity, t.network, { appPorts })];
/** Everything the component creates: self, peer, ICMP and load-balancer rules. */
const allRules = (t: Topology, appPorts?: number[]) => [...plan(t, appPorts), ...planIcmpRules(t.identity, t.network), ...planLoadBalancerRules(t.identity, t.network)];

/** Load-balancer rules of the staging-like topology: hz has the ingress and exposes istiod (Terway: exact ports). */
const STAGING_SLB_ROWS: Row[] = [
    ["hz-slb-80", "80/80", "100.64.0.0/10"],
    ["hz-slb-15012", "15012/15012", "100.64.0.0/10"],
    ["hz-slb-15017", "15017/15017", "100.64.0.0/10"],
    ["hz-slb-15021", "15021/15021", "100.64.0.0/10"],
];

/** ICMP rules of the staging-like topology: each group admits ICMP from the other cluster's node vSwitches. */
const STAGING_ICMP_ROWS: Row[] = [
    ["hz-from-sh-icmp-nodes-cn-shanghai-l", "-1/-1", "10.2.88.0/21"],
    ["sh-from-hz-icmp-nodes-cn-hangzhou-h", "-1/-1", "10.1.56.0/21"],
    ["sh-from-hz-icmp-nodes-cn-hangzhou-i", "-1/-1", "10.1.64.0/21"],
];

/** staging-like (twoRegionRaw): hz primary (h, i), sh remote (l), Terway, flat, own VPCs. */
const STAGING_ROWS: Row[] = [
    ["hz-self-pods-cn-hangzhou-h", "-1/-1", "10.1.184.0/21"],
    ["hz-self-pods-cn-hangzhou-i", "-1/-1", "10.1.192.0/21"],
    ["sh-self-pods-cn-shanghai-l", "-1/-1", "10.2.216.0/21"],
    ["hz-from-sh-app9080-pods-cn-shanghai-l", "9080/9080", "10.2.216.0/21"],
    ["hz-from-sh-istiod-xds-nodes-cn-shanghai-l", "15012/15012", "10.2.88.0/21"],
    ["hz-from-sh-istiod-xds-pods-cn-shanghai-l", "15012/15012", "10.2.216.0/21"],
    ["hz-from-sh-istiod-webhook-nodes-cn-shanghai-l", "15017/15017", "10.2.88.0/21"],
    ["hz-from-sh-istiod-webhook-pods-cn-shanghai-l", "15017/15017", "10.2.216.0/21"],
    ["hz-from-sh-gw-status-nodes-cn-shanghai-l", "15021/15021", "10.2.88.0/21"],
    ["hz-from-sh-gw-status-pods-cn-shanghai-l", "15021/15021", "10.2.216.0/21"],
    ["sh-from-hz-app9080-pods-cn-hangzhou-h", "9080/9080", "10.1.184.0/21"],
    ["sh-from-hz-app9080-pods-cn-hangzhou-i", "9080/9080", "10.1.192.0/21"],
    ["sh-from-hz-apiserver-pods-cn-hangzhou-h", "6443/6443", "10.1.184.0/21"],
    ["sh-from-hz-apiserver-pods-cn-hangzhou-i", "6443/6443", "10.1.192.0/21"],
];

/** The three-cluster layout: STAGING_ROWS' clusters plus remote bj. */
const THREE_ROWS: Row[] = [
    ["bj-self-pods-cn-beijing-h", "-1/-1", "10.3.184.0/21"],
    ["hz-self-pods-cn-hangzhou-h", "-1/-1", "10.1.184.0/21"],
    ["sh-self-pods-cn-shanghai-l", "-1/-1", "10.2.216.0/21"],
    ["bj-from-hz-app9080-pods-cn-hangzhou-h", "9080/9080", "10.1.184.0/21"],
    ["bj-from-hz-apiserver-pods-cn-hangzhou-h", "6443/6443", "10.1.184.0/21"],
    ["bj-from-sh-app9080-pods-cn-shanghai-l", "9080/9080", "10.2.216.0/21"],
    ["hz-from-bj-app9080-pods-cn-beijing-h", "9080/9080", "10.3.184.0/21"],
    ["hz-from-bj-istiod-xds-nodes-cn-beijing-h", "15012/15012", "10.3.56.0/21"],
    ["hz-from-bj-istiod-xds-pods-cn-beijing-h", "15012/15012", "10.3.184.0/21"],
    ["hz-from-bj-istiod-webhook-nodes-cn-beijing-h", "15017/15017", "10.3.56.0/21"],
    ["hz-from-bj-istiod-webhook-pods-cn-beijing-h", "15017/15017", "10.3.184.0/21"],
    ["hz-from-bj-gw-status-nodes-cn-beijing-h", "15021/15021", "10.3.56.0/21"],
    ["hz-from-bj-gw-status-pods-cn-beijing-h", "15021/15021", "10.3.184.0/21"],
    ["hz-from-sh-app9080-pods-cn-shanghai-l", "9080/9080", "10.2.216.0/21"],
    ["hz-from-sh-istiod-xds-nodes-cn-shanghai-l", "15012/15012", "10.2.88.0/21"],
    ["hz-from-sh-istiod-xds-pods-cn-shanghai-l", "15012/15012", "10.2.216.0/21"],
    ["hz-from-sh-istiod-webhook-nodes-cn-shanghai-l", "15017/15017", "10.2.88.0/21"],
    ["hz-from-sh-istiod-webhook-pods-cn-shanghai-l", "15017/15017", "10.2.216.0/21"],
    ["hz-from-sh-gw-status-nodes-cn-shanghai-l", "15021/15021", "10.2.88.0/21"],
    ["hz-from-sh-gw-status-pods-cn-shanghai-l", "15021/15021", "10.2.216.0/21"],
    ["sh-from-bj-app9080-pods-cn-beijing-h", "9080/9080", "10.3.184.0/21"],
    ["sh-from-hz-app9080-pods-cn-hangzhou-h", "9080/9080", "10.1.184.0/21"],
    ["sh-from-hz-apiserver-pods-cn-hangzhou-h", "6443/6443", "10.1.184.0/21"],
];

/** Every range of a cluster a rule may use as its source. */
function rangesOf(t: Topology, cluster: string): string[] {
    const c = t.network.clusters[cluster];
    return [c.vpcCidr, ...c.nodeRanges, ...c.podRanges];
}

const contained = (inner: string, outer: string) => IPv4CidrRange.fromCidr(outer).contains(IPv4CidrRange.fromCidr(inner));

/** Invariants every plan must satisfy, whatever the topology. */
function assertPlanInvariants(t: Topology, rules: ReadonlyArray<PlannedRule>): void {
    const keys = new Set<string>();
    const tuples = new Set<string>();
    for (const r of rules) {
        assert.ok(!keys.has(r.key), `duplicate key ${r.key}`);
        keys.add(r.key);
        const tuple = `${r.toCluster}/${r.fromCluster}/${r.ipProtocol}/${r.portRange}/${r.cidrIp}`;
        assert.ok(!tuples.has(tuple), `duplicate tuple ${tuple}`);
        tuples.add(tuple);
        assert.notEqual(r.cidrIp, "0.0.0.0/0");
        assert.equal(r.priority, PEER_RULE_PRIORITY);
        assert.ok(r.description.length > 0 && r.description.length <= 512, r.key);
        assert.ok(r.description.includes(r.cidrIp), `${r.key}: description names the source CIDR`);
        // The source is one of the peer's own ranges (never wider).
        const from = rangesOf(t, r.fromCluster);
        assert.ok(from.some((range) => contained(r.cidrIp, range)), `${r.key}: ${r.cidrIp} is outside ${r.fromCluster}'s ranges ${from.join(", ")}`);
        if (r.purpose === "self") {
            assert.equal(r.toCluster, r.fromCluster);
            assert.deepEqual([r.ipProtocol, r.portRange], ["all", "-1/-1"]);
            assert.ok(t.network.clusters[r.toCluster].podRanges.includes(r.cidrIp));
            assert.ok(r.key.startsWith(`${r.toCluster}-self-pods`), r.key);
        } else {
            assert.notEqual(r.toCluster, r.fromCluster);
            assert.equal(r.ipProtocol, "tcp");
            if (r.purpose === "gw-nodeports") assert.equal(r.portRange, "30000/32767");
            else assert.match(r.portRange, /^(\d+)\/\1$/);
            assert.ok(r.key.startsWith(`${r.toCluster}-from-${r.fromCluster}-${r.purpose}-`), r.key);
        }
    }
}

describe("SecurityGroupPeering", () => {
    describe("planPeerRules / planSelfRules (pure)", () => {
        it("flat primary-remote in one shared VPC (Flannel, dev-like)", () => {
            const t = topology(devLikeRaw());
            const rules = plan(t);
            assert.deepEqual(rows(rules), [
                ["cp-self-pods", "-1/-1", "172.16.0.0/16"],
                ["r1-self-pods", "-1/-1", "172.20.0.0/16"],
                // Flannel masquerades pod traffic that leaves the pod CIDR: node vSwitches + pod CIDR.
                ["cp-from-r1-app9080-nodes-cn-hangzhou-h", "9080/9080", "192.168.78.0/23"],
                ["cp-from-r1-app9080-nodes-cn-hangzhou-i", "9080/9080", "192.168.80.0/23"],
                ["cp-from-r1-app9080-pods", "9080/9080", "172.20.0.0/16"],
                ["cp-from-r1-istiod-xds-nodes-cn-hangzhou-h", "15012/15012", "192.168.78.0/23"],
                ["cp-from-r1-istiod-xds-nodes-cn-hangzhou-i", "15012/15012", "192.168.80.0/23"],
                ["cp-from-r1-istiod-xds-pods", "15012/15012", "172.20.0.0/16"],
                ["cp-from-r1-istiod-webhook-nodes-cn-hangzhou-h", "15017/15017", "192.168.78.0/23"],
                ["cp-from-r1-istiod-webhook-nodes-cn-hangzhou-i", "15017/15017", "192.168.80.0/23"],
                ["cp-from-r1-istiod-webhook-pods", "15017/15017", "172.20.0.0/16"],
                ["cp-from-r1-gw-status-nodes-cn-hangzhou-h", "15021/15021", "192.168.78.0/23"],
                ["cp-from-r1-gw-status-nodes-cn-hangzhou-i", "15021/15021", "192.168.80.0/23"],
                ["cp-from-r1-gw-status-pods", "15021/15021", "172.20.0.0/16"],
                // Flannel: the east-west gateway's SLB forwards to NodePorts, so those are what the peer reaches.
                ["cp-from-r1-gw-nodeports-nodes-cn-hangzhou-h", "30000/32767", "192.168.78.0/23"],
                ["cp-from-r1-gw-nodeports-nodes-cn-hangzhou-i", "30000/32767", "192.168.80.0/23"],
                ["cp-from-r1-gw-nodeports-pods", "30000/32767", "172.20.0.0/16"],
                ["r1-from-cp-app9080-nodes-cn-hangzhou-h", "9080/9080", "192.168.14.0/23"],
                ["r1-from-cp-app9080-pods", "9080/9080", "172.16.0.0/16"],
                ["r1-from-cp-apiserver-nodes-cn-hangzhou-h", "6443/6443", "192.168.14.0/23"],
                ["r1-from-cp-apiserver-pods", "6443/6443", "172.16.0.0/16"],
            ]);
            assertPlanInvariants(t, rules);
            // The shared VPC's CIDR would admit the other cluster: never used as a source here.
            assert.ok(!rules.some((r) => r.cidrIp === "192.168.0.0/16"));
        });

        it("flat primary-remote across two regions (Terway, staging-like)", () => {
            const t = topology(twoRegionRaw());
            const rules = plan(t);
            assert.deepEqual(rows(rules), STAGING_ROWS);
            assertPlanInvariants(t, rules);
        });

        it("multi-primary multi-network (prod-like): only 6443, 15443 and 15021 from the peer VPC", () => {
            const t = topology(prodLikeRaw());
            const rules = plan(t);
            assert.deepEqual(rows(rules), [
                ["bj-self-pods-cn-beijing-h", "-1/-1", "10.20.184.0/21"],
                ["sh-self-pods-cn-shanghai-l", "-1/-1", "10.21.216.0/21"],
                ["sh-self-pods-cn-shanghai-m", "-1/-1", "10.21.224.0/21"],
                ["bj-from-sh-apiserver-vpc", "6443/6443", "10.21.0.0/16"],
                ["bj-from-sh-eastwest-vpc", "15443/15443", "10.21.0.0/16"],
                ["bj-from-sh-gw-status-vpc", "15021/15021", "10.21.0.0/16"],
                ["sh-from-bj-apiserver-vpc", "6443/6443", "10.20.0.0/16"],
                ["sh-from-bj-eastwest-vpc", "15443/15443", "10.20.0.0/16"],
                ["sh-from-bj-gw-status-vpc", "15021/15021", "10.20.0.0/16"],
            ]);
            assertPlanInvariants(t, rules);
            // No application port or pod-to-pod rule across networks.
            assert.ok(!rules.some((r) => r.purpose.startsWith("app")));
        });

        it("three clusters: remotes talk pod to pod; only the primary reaches their API servers", () => {
            const t = topology(threeRaw());
            const rules = plan(t);
            assert.deepEqual(rows(rules), THREE_ROWS);
            assertPlanInvariants(t, rules);
        });

        it("primary-remote multi-network: istiod ports and 15443 from the VPC, 15021 once per pair", () => {
            const t = topology(primaryRemoteMultiNetworkRaw());
            const rules = planPeerRules(t.identity, t.network);
            assert.deepEqual(rows(rules), [
                ["hz-from-sh-istiod-xds-vpc", "15012/15012", "10.2.0.0/16"],
                ["hz-from-sh-istiod-webhook-vpc", "15017/15017", "10.2.0.0/16"],
                ["hz-from-sh-gw-status-vpc", "15021/15021", "10.2.0.0/16"],
                ["hz-from-sh-eastwest-vpc", "15443/15443", "10.2.0.0/16"],
                ["sh-from-hz-apiserver-vpc", "6443/6443", "10.1.0.0/16"],
                ["sh-from-hz-eastwest-vpc", "15443/15443", "10.1.0.0/16"],
                ["sh-from-hz-gw-status-vpc", "15021/15021", "10.1.0.0/16"],
            ]);
            assertPlanInvariants(t, rules);
        });

        it("multi-network in a shared VPC uses the peer's own ranges, not the VPC CIDR", () => {
            const t = topology(sharedVpcMultiNetworkRaw());
            const rules = planPeerRules(t.identity, t.network);
            assert.deepEqual(rows(rules), [
                ["a-from-b-apiserver-nodes-cn-hangzhou-h", "6443/6443", "10.8.78.0/23"],
                ["a-from-b-apiserver-pods-cn-hangzhou-h", "6443/6443", "10.8.110.0/23"],
                ["a-from-b-eastwest-nodes-cn-hangzhou-h", "15443/15443", "10.8.78.0/23"],
                ["a-from-b-eastwest-pods-cn-hangzhou-h", "15443/15443", "10.8.110.0/23"],
                ["a-from-b-gw-status-nodes-cn-hangzhou-h", "15021/15021", "10.8.78.0/23"],
                ["a-from-b-gw-status-pods-cn-hangzhou-h", "15021/15021", "10.8.110.0/23"],
                ["b-from-a-apiserver-nodes-cn-hangzhou-h", "6443/6443", "10.8.14.0/23"],
                ["b-from-a-apiserver-pods-cn-hangzhou-h", "6443/6443", "10.8.46.0/23"],
                ["b-from-a-eastwest-nodes-cn-hangzhou-h", "15443/15443", "10.8.14.0/23"],
                ["b-from-a-eastwest-pods-cn-hangzhou-h", "15443/15443", "10.8.46.0/23"],
                ["b-from-a-gw-status-nodes-cn-hangzhou-h", "15021/15021", "10.8.14.0/23"],
                ["b-from-a-gw-status-pods-cn-hangzhou-h", "15021/15021", "10.8.46.0/23"],
            ]);
            assertPlanInvariants(t, rules);
        });

        it("load balancers reach the gateways from 100.64.0.0/10 only: exact ports on Terway, NodePorts on Flannel", () => {
            assert.deepEqual(rows(planLoadBalancerRules(topology(twoRegionRaw()).identity, topology(twoRegionRaw()).network)), STAGING_SLB_ROWS);
            const dev = topology(devLikeRaw());
            assert.deepEqual(rows(planLoadBalancerRules(dev.identity, dev.network)), [["cp-slb-nodeports", "30000/32767", "100.64.0.0/10"]]);
            const prod = topology(prodLikeRaw());
            assert.deepEqual(rows(planLoadBalancerRules(prod.identity, prod.network)), [
                ["bj-slb-80", "80/80", "100.64.0.0/10"],
                ["bj-slb-15021", "15021/15021", "100.64.0.0/10"],
                ["bj-slb-15443", "15443/15443", "100.64.0.0/10"],
                ["sh-slb-80", "80/80", "100.64.0.0/10"],
                ["sh-slb-15021", "15021/15021", "100.64.0.0/10"],
                ["sh-slb-15443", "15443/15443", "100.64.0.0/10"],
            ]);
            // Without an ingress gateway there, a multi-network cluster still gets its east-west ports.
            assert.deepEqual(rows(planLoadBalancerRules(prod.identity, prod.network, ["bj"])).map((r) => r[0]), ["bj-slb-80", "bj-slb-15021", "bj-slb-15443", "sh-slb-15021", "sh-slb-15443"]);
        });

        it("gives every rule its full shape and a description saying why", () => {
            const t = topology(twoRegionRaw());
            const byKey = new Map(plan(t).map((r) => [r.key, r]));
            const expected: PlannedRule[] = [
                {
                    key: "hz-self-pods-cn-hangzhou-h",
                    toCluster: "hz",
                    fromCluster: "hz",
                    purpose: "self",
                    ipProtocol: "all",
                    portRange: "-1/-1",
                    cidrIp: "10.1.184.0/21",
                    description: "All protocols from the pods of hz in cn-hangzhou-h (10.1.184.0/21) to the nodes and pods of the same cluster, as ACK recommends for pod ranges",
                    priority: 1,
                },
                {
                    key: "hz-from-sh-app9080-pods-cn-shanghai-l",
                    toCluster: "hz",
                    fromCluster: "sh",
                    purpose: "app9080",
                    ipProtocol: "tcp",
                    portRange: "9080/9080",
                    cidrIp: "10.2.216.0/21",
                    description: "Istio sidecar-to-sidecar mTLS on application port 9080 from the pods of sh in cn-shanghai-l (10.2.216.0/21) to the pods of hz (same mesh network network1)",
                    priority: 1,
                },
                {
                    key: "hz-from-sh-istiod-xds-nodes-cn-shanghai-l",
                    toCluster: "hz",
                    fromCluster: "sh",
                    purpose: "istiod-xds",
                    ipProtocol: "tcp",
                    portRange: "15012/15012",
                    cidrIp: "10.2.88.0/21",
                    description: "Istio xDS and CA (15012) for remote cluster sh, from the nodes of sh in cn-shanghai-l (10.2.88.0/21) to istiod of its control plane hz through the east-west gateway",
                    priority: 1,
                },
                {
                    key: "hz-from-sh-istiod-webhook-nodes-cn-shanghai-l",
                    toCluster: "hz",
                    fromCluster: "sh",
                    purpose: "istiod-webhook",
                    ipProtocol: "tcp",
                    portRange: "15017/15017",
                    cidrIp: "10.2.88.0/21",
                    description: "Sidecar-injection webhook (15017) for remote cluster sh, called from the nodes of sh in cn-shanghai-l (10.2.88.0/21) on istiod of hz through the east-west gateway",
                    priority: 1,
                },
                {
                    key: "hz-from-sh-gw-status-pods-cn-shanghai-l",
                    toCluster: "hz",
                    fromCluster: "sh",
                    purpose: "gw-status",
                    ipProtocol: "tcp",
                    portRange: "15021/15021",
                    cidrIp: "10.2.216.0/21",
                    description: "Status port (15021) of the east-west gateway of hz, checked from the pods of sh in cn-shanghai-l (10.2.216.0/21)",
                    priority: 1,
                },
                {
                    key: "sh-from-hz-apiserver-pods-cn-hangzhou-i",
                    toCluster: "sh",
                    fromCluster: "hz",
                    purpose: "apiserver",
                    ipProtocol: "tcp",
                    portRange: "6443/6443",
                    cidrIp: "10.1.192.0/21",
                    description: "istiod of control plane hz reads the API server of sh (6443, intranet endpoint) for endpoint discovery, from the pods of hz in cn-hangzhou-i (10.1.192.0/21)",
                    priority: 1,
                },
            ];
            for (const e of expected) assert.deepEqual(byKey.get(e.key), e);

            const mn = topology(prodLikeRaw());
            assert.deepEqual(
                planPeerRules(mn.identity, mn.network).find((r) => r.key === "sh-from-bj-eastwest-vpc"),
                {
                    key: "sh-from-bj-eastwest-vpc",
                    toCluster: "sh",
                    fromCluster: "bj",
                    purpose: "eastwest",
                    ipProtocol: "tcp",
                    portRange: "15443/15443",
                    cidrIp: "10.20.0.0/16",
                    description: "Istio cross-network mTLS from the VPC of bj (10.20.0.0/16) to the east-west gateway of sh (15443, AUTO_PASSTHROUGH)",
                    priority: 1,
                } satisfies PeerRule,
            );
        });

        it("opens each application port on the flat network, and none for appPorts: []", () => {
            const t = topology(twoRegionRaw());
            const app = (ports?: number[]) =>
                planPeerRules(t.identity, t.network, { appPorts: ports })
                    .filter((r) => r.purpose.startsWith("app"))
                    .map((r) => r.key);
            assert.deepEqual(app(undefined), [
                "hz-from-sh-app9080-pods-cn-shanghai-l",
                "sh-from-hz-app9080-pods-cn-hangzhou-h",
                "sh-from-hz-app9080-pods-cn-hangzhou-i",
            ]);
            assert.deepEqual(app([8080, 9080]), [
                "hz-from-sh-app8080-pods-cn-shanghai-l",
                "hz-from-sh-app9080-pods-cn-shanghai-l",
                "sh-from-hz-app8080-pods-cn-hangzhou-h",
                "sh-from-hz-app8080-pods-cn-hangzhou-i",
                "sh-from-hz-app9080-pods-cn-hangzhou-h",
                "sh-from-hz-app9080-pods-cn-hangzhou-i",
            ]);
            assert.deepEqual(app([]), []);
            // The Istio rules do not depend on the application ports.
            const istio = (ports?: number[]) => rows(planPeerRules(t.identity, t.network, { appPorts: ports }).filter((r) => !r.purpose.startsWith("app")));
            assert.deepEqual(istio([]), istio([8080, 9080]));
        });

        it("is pure: the same inputs give the same plan, and adding a cluster only adds rules", () => {
            const two = topology(twoRegionRaw());
            assert.deepEqual(plan(two), plan(topology(twoRegionRaw())));
            const grown = plan(topology(threeRaw()));
            const before = plan(topology({ ...threeRaw(), clusters: { hz: threeRaw().clusters.hz, sh: threeRaw().clusters.sh } }));
            const after = new Map(grown.map((r) => [r.key, r]));
            for (const r of before) assert.deepEqual(after.get(r.key), r, r.key);
            assert.ok(grown.length > before.length);
        });

        it("rejects invalid application ports with exact messages", () => {
            const t = topology(twoRegionRaw());
            assert.throws(
                () => planPeerRules(t.identity, t.network, { appPorts: [0, 9080, 70000, 15001, 9080, 80.5] }),
                (e: unknown) => {
                    assert.ok(ConfigError.is(e));
                    assert.equal(
                        e.message,
                        [
                            "Invalid security group plan (5 problems):",
                            "  - options.appPorts[0]: is not a TCP port (an integer in 1..65535) (got 0). Fix: use a port such as 9080",
                            "  - options.appPorts[2]: is not a TCP port (an integer in 1..65535) (got 70000). Fix: use a port such as 9080",
                            "  - options.appPorts[3]: is reserved by Istio or already opened by the mesh (got 15001). Fix: remove it; reserved ports: 6443, 15000, 15001, 15004, 15006, 15008, 15009, 15010, 15012, 15014, 15017, 15020, 15021, 15053, 15090, 15443",
                            "  - options.appPorts[4]: is listed twice (got 9080). Fix: list each port once",
                            "  - options.appPorts[5]: is not a TCP port (an integer in 1..65535) (got 80.5). Fix: use a port such as 9080",
                        ].join("\n"),
                    );
                    return true;
                },
            );
        });

        it("rejects a mesh cluster missing from the network plan", () => {
            const three = topology(threeRaw());
            const two = topology(twoRegionRaw());
            assert.throws(() => planSelfRules(three.identity, two.network), {
                message:
                    "Invalid security group plan (1 problem):\n" +
                    "  - identity.clusters.bj: is not in the network plan, so its source ranges are unknown. " +
                    "Fix: build identity and network from the same stack config (meshIdentityFromConfig and planNetwork); planned clusters: hz, sh",
            });
        });

        it("toClusters plans exactly the full plan's rules into those groups, in its order, for every stack and topology mode", () => {
            const layouts: [string, PlannedTopology][] = [
                ...["dev", "staging", "prod", "fleet"].map((env) => [env, planTopology(stackRaw(env))] as [string, PlannedTopology]),
                ...(["primary-remote", "multi-primary", "multi-primary-remote"] as const).map(
                    (mode) => [mode, planTopology(generateTopology({ clusters: 6, mode }).raw as Record<string, unknown>)] as [string, PlannedTopology],
                ),
            ];
            for (const [label, { config, identity, network }] of layouts) {
                const options = { ingressClusters: identity.controlPlanes.filter((c) => config.clusters[c].ingressGateway) };
                const all = planSecurityGroupRules(identity, network, options);
                const names = Object.keys(identity.clusters).sort();
                for (const c of names) {
                    assert.deepEqual(planSecurityGroupRules(identity, network, { ...options, toClusters: [c] }), all.filter((r) => r.toCluster === c), `${label}: ${c}`);
                }
                const two = names.slice(0, 2);
                assert.deepEqual(
                    planSecurityGroupRules(identity, network, { ...options, toClusters: [...two].reverse() }),
                    all.filter((r) => two.includes(r.toCluster)),
                    `${label}: ${two.join(", ")}`,
                );
                assert.deepEqual(planSecurityGroupRules(identity, network, { ...options, toClusters: [] }), [], label);
            }
        });
    });

    // --- Under the simulated cloud ----------------------------------------------------

    interface Built {
        providers: Record<string, alicloud.Provider>;
        vpcIds: Record<string, pulumi.Output<string>>;
    }

    /** One provider per region and one VPC per VPC key, as the program does. */
    function infra(t: Topology): Built {
        const providers: Record<string, alicloud.Provider> = {};
        for (const region of t.network.regions) providers[region] = new alicloud.Provider(`p-${region}`, { region });
        const vpcIds: Built["vpcIds"] = {};
        for (const vpc of Object.values(t.network.vpcs)) {
            vpcIds[vpc.name] = new alicloud.vpc.Network(
                `vpc-${vpc.name}`,
                { vpcName: vpc.name, cidrBlock: vpc.cidr },
                { provider: providers[vpc.region] },
            ).id;
        }
        return { providers, vpcIds };
    }

    function args(t: Topology, b: Built, extra: Partial<SecurityGroupPeeringArgs> = {}): SecurityGroupPeeringArgs {
        return { identity: t.identity, network: t.network, vpcIds: b.vpcIds, providers: b.providers, ...extra };
    }

    /** Simulates one component named `name` over topology `t`. */
    async function run(t: Topology, name = "mesh", extra: Partial<SecurityGroupPeeringArgs> = {}) {
        const result = await simulate(() => {
            new SecurityGroupPeering(name, args(t, infra(t), extra));
        });
        // The simulated cloud accepted every call and found nothing suspicious.
        assert.deepEqual(result.resources.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`), []);
        assert.deepEqual(result.warnings, []);
        return result;
    }

    describe("planIcmpRules: ICMP between the mesh's node ranges (issue 12, item 6)", () => {
        it("admits ICMP into each cluster's group from every peer's node vSwitches, one rule per peer zone (dev-like)", () => {
            const t = topology(devLikeRaw());
            const rules = planIcmpRules(t.identity, t.network);
            assert.deepEqual(
                rules.map((r) => [r.key, r.ipProtocol, r.portRange, r.cidrIp]),
                [
                    ["cp-from-r1-icmp-nodes-cn-hangzhou-h", "icmp", "-1/-1", "192.168.78.0/23"],
                    ["cp-from-r1-icmp-nodes-cn-hangzhou-i", "icmp", "-1/-1", "192.168.80.0/23"],
                    ["r1-from-cp-icmp-nodes-cn-hangzhou-h", "icmp", "-1/-1", "192.168.14.0/23"],
                ],
            );
            assert.deepEqual(rules[0], {
                key: "cp-from-r1-icmp-nodes-cn-hangzhou-h",
                toCluster: "cp",
                fromCluster: "r1",
                purpose: "icmp",
                ipProtocol: "icmp",
                portRange: "-1/-1",
                cidrIp: "192.168.78.0/23",
                description: "ICMP (ping, path-MTU discovery) from the nodes of r1 in cn-hangzhou-h (192.168.78.0/23) to the nodes of cp",
                priority: PEER_RULE_PRIORITY,
            });
        });

        for (const [what, raw] of [
            ["prod-like (multi-network, own VPCs)", prodLikeRaw()],
            ["staging-like (flat, two regions)", twoRegionRaw()],
            ["three regions", threeRaw()],
            ["two networks in one shared VPC", sharedVpcMultiNetworkRaw()],
        ] as const) {
            it(`uses exactly the peers' node ranges, never a VPC CIDR or 0.0.0.0/0: ${what}`, () => {
                const t = topology(raw as Record<string, unknown>);
                const names = Object.keys(t.identity.clusters).sort();
                const expected = names.flatMap((to) =>
                    names.filter((from) => from !== to).flatMap((from) => Object.values(t.network.clusters[from].zones).map((z) => `${to}<${from} ${z.vswitch}`)),
                );
                const rules = planIcmpRules(t.identity, t.network);
                assert.deepEqual(rules.map((r) => `${r.toCluster}<${r.fromCluster} ${r.cidrIp}`), expected);
                for (const r of rules) {
                    assert.deepEqual([r.ipProtocol, r.portRange], ["icmp", "-1/-1"]);
                    assert.ok(t.network.clusters[r.fromCluster].nodeRanges.includes(r.cidrIp), r.key);
                }
            });
        }

        it("counts against the per-group quota like every other rule", () => {
            const t = topology(threeRaw());
            const all = planSecurityGroupRules(t.identity, t.network);
            assert.ok(planIcmpRules(t.identity, t.network).every((r) => all.some((x) => x.key === r.key)), "planSecurityGroupRules includes the ICMP rules");
            const hz = all.filter((r) => r.toCluster === "hz").length;
            assert.deepEqual(ruleQuotaProblems(t.identity, all, hz - 1, (c) => c, "max").map((p) => p.path), ["hz"]);
        });
    });

    describe("under the simulated cloud", function () {
        this.timeout(20000);

        it("creates exactly one group per cluster and one rule per planned key, all children of the component", async () => {
            const t = topology(twoRegionRaw());
            const result = await run(t);
            const component = result.get(SECURITY_GROUP_PEERING_TYPE, "mesh");
            assert.equal(component.parent, result.stackUrn);
            const children = result
                .childrenOf(component.urn)
                .map((r) => `${r.type} ${r.name}`)
                .sort();
            assert.deepEqual(
                children,
                [`${SG} mesh-sg-hz`, `${SG} mesh-sg-sh`, ...[...STAGING_ROWS, ...STAGING_ICMP_ROWS, ...STAGING_SLB_ROWS].map(([key]) => `${RULE} mesh-${key}`)].sort(),
            );
            // Nothing else of these types exists outside the component.
            assert.equal(result.byType(SG).length, 2);
            assert.equal(result.byType(RULE).length, STAGING_ROWS.length + STAGING_ICMP_ROWS.length + STAGING_SLB_ROWS.length);
            assert.deepEqual(rows(planIcmpRules(t.identity, t.network)), STAGING_ICMP_ROWS);
        });

        it("sets the group inputs: name, the cluster's VPC, normal type, inner access, tags; provider of the region", async () => {
            const t = topology(twoRegionRaw());
            const result = await run(t, "mesh", { tags: { env: "test" } });
            for (const [cluster, region, vpc] of [
                ["hz", "cn-hangzhou", "hz"],
                ["sh", "cn-shanghai", "sh"],
            ]) {
                const sg = result.get(SG, `mesh-sg-${cluster}`)!;
                const net = result.get("alicloud:vpc/network:Network", `vpc-${vpc}`)!;
                const provider = result.get("pulumi:providers:alicloud", `p-${region}`)!;
                assert.equal(sg.inputs["securityGroupName"], `mesh-${cluster}`);
                assert.equal(sg.inputs["vpcId"], idOf(net));
                assert.equal(sg.inputs["securityGroupType"], "normal");
                assert.equal(sg.inputs["innerAccessPolicy"], "Accept");
                assert.deepEqual(sg.inputs["tags"], { "managed-by": "ack-mesh", env: "test" });
                assert.ok(String(sg.inputs["description"]).length >= 2);
                assert.equal(sg.providerUrn, provider.urn);
            }
        });

        it("sets every rule's inputs from the plan, on the destination's group, with the destination's provider", async () => {
            const t = topology(twoRegionRaw());
            const result = await run(t);
            const planned = new Map(allRules(t).map((r) => [`mesh-${r.key}`, r]));
            const rules = result.byType(RULE);
            assert.equal(rules.length, planned.size);
            for (const rec of rules) {
                const p = planned.get(rec.name);
                assert.ok(p, rec.name);
                assert.deepEqual(rec.inputs, {
                    type: "ingress",
                    ipProtocol: p.ipProtocol,
                    portRange: p.portRange,
                    nicType: "intranet",
                    policy: "accept",
                    priority: 1,
                    securityGroupId: idOf(result.get(SG, `mesh-sg-${p.toCluster}`)!),
                    cidrIp: p.cidrIp,
                    description: p.description,
                });
                assert.ok(String(rec.inputs["description"]).length > 0);
                const region = t.network.clusters[p.toCluster].region;
                assert.equal(rec.providerUrn, result.get("pulumi:providers:alicloud", `p-${region}`)!.urn, rec.name);
            }
        });

        it("never admits 0.0.0.0/0, and every source lies inside the peer's ranges", async () => {
            for (const raw of [devLikeRaw(), twoRegionRaw(), prodLikeRaw(), threeRaw(), sharedVpcMultiNetworkRaw()]) {
                const t = topology(raw);
                const result = await run(t);
                const planned = new Map(allRules(t).map((r) => [`mesh-${r.key}`, r]));
                for (const rec of result.byType(RULE)) {
                    const cidr = String(rec.inputs["cidrIp"]);
                    assert.notEqual(cidr, "0.0.0.0/0");
                    assert.ok(IPv4CidrRange.fromCidr(cidr).getPrefix().getValue() >= 8n, cidr);
                    const rule = planned.get(rec.name)!;
                    if (rule.purpose === "slb") {
                        assert.equal(cidr, "100.64.0.0/10", `${rec.name}: load balancers only, from their own range`);
                        continue;
                    }
                    const from = rule.fromCluster;
                    const ranges = rangesOf(t, from);
                    assert.ok(ranges.some((r) => contained(cidr, r)), `${rec.name}: ${cidr} not inside ${ranges.join(", ")}`);
                }
            }
        });

        it("validates before creating anything: one ConfigError naming paths, values and fixes", async () => {
            const t = topology(threeRaw());
            const partial = topology(twoRegionRaw());
            const failed = await simulate(() => {
                const b = infra(partial);
                new SecurityGroupPeering("mesh", {
                    identity: t.identity, // bj is not in partial.network
                    network: partial.network,
                    vpcIds: { hz: b.vpcIds.hz },
                    providers: { "cn-hangzhou": b.providers["cn-hangzhou"] },
                    appPorts: [9080, 0],
                });
            }).then(
                () => assert.fail("the simulation should fail"),
                (e: unknown) => e,
            );
            assert.ok(failed instanceof SimulationError);
            assert.equal(failed.errors.length, 1);
            const caught = failed.errors[0];
            assert.ok(ConfigError.is(caught));
            assert.equal(
                caught.message,
                [
                    'Invalid SecurityGroupPeering "mesh" (4 problems):',
                    "  - appPorts[1]: is not a TCP port (an integer in 1..65535) (got 0). Fix: use a port such as 9080",
                    "  - identity.clusters.bj: is not in the network plan, so its source ranges are unknown. Fix: build identity and network from the same stack config (meshIdentityFromConfig and planNetwork); planned clusters: hz, sh",
                    '  - providers.cn-shanghai: is missing; clusters sh are in region cn-shanghai. Fix: pass providers: { "cn-shanghai": new alicloud.Provider("cn-shanghai", { region: "cn-shanghai" }) }',
                    '  - vpcIds.sh: is missing; clusters sh are in VPC sh. Fix: pass vpcIds: { "sh": <the id of VPC sh> }',
                ].join("\n"),
            );
            const result = failed.result;
            assert.deepEqual(result.byType(SG), []);
            assert.deepEqual(result.byType(RULE), []);
        });

        it("checks the rules per group against maxRulesPerGroup before creating anything", async () => {
            const t = topology(threeRaw());
            const perGroup = new Map<string, number>();
            for (const r of allRules(t)) perGroup.set(r.toCluster, (perGroup.get(r.toCluster) ?? 0) + 1);
            const [largest, count] = [...perGroup].sort((a, b) => b[1] - a[1])[0];
            const peers = Object.keys(t.identity.clusters).length - 1;
            assert.ok([...perGroup.values()].filter((n) => n === count).length === 1, "one group is the largest");
            const failed = await simulate(() => {
                new SecurityGroupPeering("mesh", args(t, infra(t), { maxRulesPerGroup: count - 1 }));
            }).then(
                () => assert.fail("the simulation should fail"),
                (e: unknown) => e as SimulationError,
            );
            assert.equal(
                String(failed.errors[0] instanceof Error ? failed.errors[0].message : failed.errors[0]),
                [
                    'Invalid SecurityGroupPeering "mesh" (1 problem):',
                    `  - identity.clusters.${largest}: needs ${count} rules in its security group (admitting ${peers} peer clusters), more than the ${count - 1} one group may hold (got ${count}). ` +
                        "Fix: put fewer clusters on this flat network, or use mesh.networks: multi-network (one VPC-wide rule per port and peer cluster); raise maxRulesPerGroup only if your account allows more than 200 rules per group",
                ].join("\n"),
            );
            assert.deepEqual(failed.result.byType(SG), []);
            assert.deepEqual(failed.result.byType(RULE), []);
            // Exactly at the limit is fine.
            const ok = await run(t, "mesh", { maxRulesPerGroup: count });
            assert.equal(ok.byType(RULE).length, allRules(t).length);
        });

        it("words the quota fix for a multi-network mesh, and rejects a limit that is not a positive integer", () => {
            const t = topology(prodLikeRaw());
            const rules = allRules(t);
            const problems = ruleQuotaProblems(t.identity, rules, 1, (c) => `clusters.${c}`, "securityGroups.maxRulesPerGroup");
            assert.deepEqual(
                problems.map((p) => p.path),
                Object.keys(t.identity.clusters).sort().map((c) => `clusters.${c}`),
            );
            assert.equal(problems[0].fix, "split the clusters into several smaller meshes; raise securityGroups.maxRulesPerGroup only if your account allows more than 200 rules per group");
            assert.deepEqual(ruleQuotaProblems(t.identity, rules, 200, (c) => c, "x"), []);
            for (const bad of [0, 1.5, -3]) {
                const found = validateSecurityGroupPeering("mesh", { identity: t.identity, network: t.network, vpcIds: {}, providers: {}, maxRulesPerGroup: bad }).filter((p) => p.path === "maxRulesPerGroup");
                assert.deepEqual(found, [{ path: "maxRulesPerGroup", value: bad, message: "must be a positive integer", fix: "leave it unset for Alibaba's limit of 200" }]);
            }
        });

        it("clusters: one instance per cluster creates only that group and the rules into it; together they are the whole plan", async () => {
            const t = topology(twoRegionRaw());
            const all = allRules(t);
            for (const own of ["hz", "sh"]) {
                const result = await simulate(() => {
                    const b = infra(t);
                    new SecurityGroupPeering("mesh", args(t, { providers: b.providers, vpcIds: { [own]: b.vpcIds[own] } }, { clusters: [own] }));
                });
                assert.deepEqual(result.warnings, []);
                assert.deepEqual(result.byType(SG).map((r) => r.name), [`mesh-sg-${own}`]);
                assert.deepEqual(
                    result.byType(RULE).map((r) => r.name).sort(),
                    all.filter((r) => r.toCluster === own).map((r) => `mesh-${r.key}`).sort(),
                );
                for (const r of result.byType(RULE)) assert.equal(r.inputs["securityGroupId"], idOf(result.get(SG, `mesh-sg-${own}`)!));
            }
            // vpcIds and providers are needed for the instance's own clusters only; an unknown cluster is named.
            assert.deepEqual(
                validateSecurityGroupPeering("mesh", { identity: t.identity, network: t.network, vpcIds: { hz: "vpc-a" }, providers: { "cn-hangzhou": {} as alicloud.Provider }, clusters: ["hz", "bj"] }),
                [{ path: "clusters[1]", value: "bj", message: "is not a cluster of the mesh identity", fix: "use one of: hz, sh" }],
            );
        });

        it("keepRulesOf: the deployed layout's rules are kept next to the configured layout's, which are unchanged", async () => {
            const deployed = topology(twoRegionRaw());
            const raw = twoRegionRaw() as { mesh: Record<string, unknown>; clusters: Record<string, Record<string, unknown>> };
            // sh becomes a primary: the mesh is multi-primary, every cluster a control plane.
            const promoted = topology({ ...raw, mesh: { ...raw.mesh, topology: "multi-primary" }, clusters: { ...raw.clusters, sh: { ...raw.clusters.sh, role: "primary", controlPlane: undefined } } });
            const result = await run(promoted, "mesh", { keepRulesOf: { identity: deployed.identity } });
            const configured = planSecurityGroupRules(promoted.identity, promoted.network);
            const old = planSecurityGroupRules(deployed.identity, deployed.network);
            const extra = old.filter((r) => !configured.some((c) => c.key === r.key));
            assert.ok(extra.some((r) => r.key.startsWith("hz-from-sh-istiod-xds-")), "the remote's istiod rules into its deployed primary are kept");
            assert.deepEqual(
                result.byType(RULE).map((r) => r.name).sort(),
                [...configured, ...extra].map((r) => `mesh-${r.key}`).sort(),
            );
            // A rule of both layouts keeps the configured layout's inputs: dropping keepRulesOf then deletes only the extra rules.
            for (const r of configured) assert.equal(result.get(RULE, `mesh-${r.key}`)!.inputs["description"], r.description, r.key);
            assert.deepEqual(
                validateSecurityGroupPeering("mesh", {
                    identity: promoted.identity,
                    network: promoted.network,
                    providers: { "cn-hangzhou": {} as alicloud.Provider, "cn-shanghai": {} as alicloud.Provider },
                    vpcIds: { hz: "v1", sh: "v2" },
                    keepRulesOf: { identity: { ...deployed.identity, clusters: { ...deployed.identity.clusters, gone: deployed.identity.clusters.sh } } },
                }),
                [
                    {
                        path: "keepRulesOf.identity.clusters.gone",
                        value: "gone",
                        message: "is not in the network plan, so its source ranges are unknown",
                        fix: "keep the rules of a layout of the same clusters (the deployed roles and primaries of the clusters in the config)",
                    },
                ],
            );
        });

        it("mergeRulePlans: the first plan whole, then the other's rules under new keys that are not the same cloud rule", () => {
            const rule = (key: string, cidrIp: string, description = key): PlannedRule => ({ key, toCluster: "a", fromCluster: "b", purpose: "apiserver", ipProtocol: "tcp", portRange: "6443/6443", cidrIp, description, priority: PEER_RULE_PRIORITY });
            const primary = [rule("k1", "10.0.0.0/24"), rule("k2", "10.0.1.0/24")];
            const kept = [rule("k2", "10.0.1.0/24", "older wording"), rule("k3", "10.0.0.0/24"), rule("k4", "10.0.2.0/24")];
            assert.deepEqual(mergeRulePlans(primary, kept), [...primary, kept[2]]);
            assert.deepEqual(mergeRulePlans(primary, []), primary);
        });

        it("rejects a component name Alibaba would refuse as a group name", () => {
            const t = topology(twoRegionRaw());
            const problems = validateSecurityGroupPeering("1mesh", {
                identity: t.identity,
                network: t.network,
                vpcIds: { hz: "vpc-a", sh: "vpc-b" },
                providers: { "cn-hangzhou": {} as alicloud.Provider, "cn-shanghai": {} as alicloud.Provider },
            });
            assert.deepEqual(problems, [
                {
                    path: "name",
                    value: "1mesh",
                    message: 'gives security group name "1mesh-hz", which Alibaba rejects (2..128 characters, starting with a letter)',
                    fix: "use a component name that starts with a letter and is at most 80 characters long",
                },
            ]);
        });

        it("rejects cluster names whose rule names would collide", async () => {
            const t = topology({
                mesh: { id: "mesh-x", topology: "primary-remote" },
                clusters: {
                    a: terway("cn-hangzhou", ["cn-hangzhou-h"], "primary", 1),
                    c: terway("cn-shanghai", ["cn-shanghai-l"], "remote", 2),
                    "a-from-b": terway("cn-beijing", ["cn-beijing-h"], "remote", 3),
                    "b-from-c": terway("cn-shanghai", ["cn-shanghai-l"], "remote", 4),
                },
            });
            const failed = await simulate(() => {
                new SecurityGroupPeering("mesh", args(t, infra(t)));
            }).then(
                () => assert.fail("the simulation should fail"),
                (e: unknown) => e,
            );
            assert.ok(failed instanceof SimulationError);
            const e = failed.errors[0];
            assert.ok(ConfigError.is(e));
            assert.equal(
                e.message,
                'Invalid SecurityGroupPeering "mesh" (2 problems):\n' +
                    '  - identity.clusters.a-from-b: gives rule name "a-from-b-from-c-app9080-pods-cn-shanghai-l", which the rule from b-from-c to a also uses ' +
                    '(got "a-from-b-from-c-app9080-pods-cn-shanghai-l"). Fix: rename the clusters so that no name is another\'s name joined to more text by "-from-" or "-self-"\n' +
                    '  - identity.clusters.a-from-b: gives rule name "a-from-b-from-c-icmp-nodes-cn-shanghai-l", which the rule from b-from-c to a also uses ' +
                    '(got "a-from-b-from-c-icmp-nodes-cn-shanghai-l"). Fix: rename the clusters so that no name is another\'s name joined to more text by "-from-" or "-self-"',
            );
            assert.deepEqual(failed.result.byType(SG), []);
            assert.deepEqual(failed.result.byType(RULE), []);
        });

        it("two instances share no (type, name) pair", async () => {
            const t = topology(twoRegionRaw());
            const result = await simulate(() => {
                const b = infra(t);
                new SecurityGroupPeering("mesh-a", args(t, b));
                new SecurityGroupPeering("mesh-b", args(t, b));
            });
            const names = (prefix: string) =>
                result.resources.filter((r) => r.type === SG || r.type === RULE).filter((r) => r.name.startsWith(`${prefix}-`)).map((r) => `${r.type} ${r.name}`);
            const a = names("mesh-a");
            const b = names("mesh-b");
            assert.equal(a.length, 2 + STAGING_ROWS.length + STAGING_ICMP_ROWS.length + STAGING_SLB_ROWS.length);
            assert.equal(b.length, a.length);
            assert.deepEqual(a.filter((x) => b.includes(x)), []);
            assert.equal(new Set(result.resources.map((r) => `${r.type} ${r.name}`)).size, result.resources.length);
        });

        it("rulesBetween(a, b): exactly the peer rules between a and b, both directions; rulesOf(c): c's self and SLB rules", async () => {
            const t = topology(threeRaw());
            const names = Object.keys(t.identity.clusters).sort();
            const result = await simulate(() => {
                const sg = new SecurityGroupPeering("mesh", args(t, infra(t)));
                let error = "";
                try {
                    sg.rulesBetween(names[0], "nope");
                } catch (e) {
                    error = (e as Error).message;
                }
                const pairs: Record<string, pulumi.Output<string>[]> = {};
                for (const a of names) for (const b of names) pairs[`${a}/${b}`] = sg.rulesBetween(a, b).map((r) => r.urn);
                const own = Object.fromEntries(names.map((c) => [c, sg.rulesOf(c).map((r) => r.urn)]));
                return { pairs, own, error };
            });
            const o = result.outputs as { pairs: Record<string, string[]>; own: Record<string, string[]>; error: string };
            const last = (u: string) => u.slice(u.lastIndexOf("::") + 2);
            for (const c of names) {
                const expected = allRules(t).filter((r) => r.toCluster === c && (r.purpose === "self" || r.purpose === "slb")).map((r) => `mesh-${r.key}`);
                assert.ok(expected.length > 0);
                assert.deepEqual(o.own[c].map(last), expected, `rulesOf(${c})`);
            }
            assert.equal(o.error, `SecurityGroupPeering: no cluster "nope"; use one of: ${names.join(", ")}`);
            const rules = [...plan(t), ...planIcmpRules(t.identity, t.network)];
            for (const a of names) {
                for (const b of names) {
                    const expected = [
                        ...rules.filter((r) => r.purpose !== "self" && r.toCluster === a && r.fromCluster === b),
                        ...rules.filter((r) => r.purpose !== "self" && r.toCluster === b && r.fromCluster === a),
                    ].map((r) => `mesh-${r.key}`);
                    assert.deepEqual(o.pairs[`${a}/${b}`].map((u) => u.slice(u.lastIndexOf("::") + 2)), expected, `${a}/${b}`);
                    if (a !== b) assert.ok(expected.length > 0, `${a}/${b} has rules to wait for`);
                }
            }
        });

        it("growth: adding a cluster only adds children; every existing input stays identical", async () => {
            const before = await run(topology(twoRegionRaw()));
            const grownRaw = twoRegionRaw() as { clusters: Record<string, unknown> };
            grownRaw.clusters.bj = terway("cn-beijing", ["cn-beijing-h"], "remote", 3);
            const after = await run(topology(grownRaw));
            const ours = (r: { type: string }) => r.type === SG || r.type === RULE;
            const afterByName = new Map(after.resources.filter(ours).map((r) => [`${r.type} ${r.name}`, r]));
            const beforeOurs = before.resources.filter(ours);
            for (const r of beforeOurs) {
                const a = afterByName.get(`${r.type} ${r.name}`);
                assert.ok(a, `${r.name} disappeared`);
                assert.deepEqual(a.inputs, r.inputs, `${r.name} changed`);
                assert.equal(a.providerUrn, r.providerUrn);
                assert.equal(a.parent, r.parent);
            }
            const added = [...afterByName.keys()].filter((k) => !beforeOurs.some((r) => `${r.type} ${r.name}` === k));
            assert.ok(added.length > 0);
            assert.ok(added.every((k) => k.includes("bj")), added.join(", "));
        });
    });
});

/** The cloud id of a recorded resource (fails when it has none). */
function idOf(r: RecordedResource): string {
    assert.ok(r.id, `${r.name} has no id`);
    return r.id;
}
