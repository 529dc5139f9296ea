/**
 * `SecurityGroupPeering`: one security group per cluster, owned by ack-mesh,
 * and the CIDR-based ingress rules that let the mesh's clusters talk to each
 * other on exactly the ports the mesh layout needs.
 *
 * Why ack-mesh owns the group: ACK's auto-created group is not exported by
 * the provider (aliyun/terraform-provider-alicloud#6388), so precise rules
 * need a group we create and hand to the cluster (`securityGroupId`) and its
 * node pools. Why every rule is CIDR-based: enterprise groups cannot
 * reference other groups, and a group reference must be in the same region,
 * while peers sit in other regions and VPCs.
 *
 * Rule derivation is the pure function {@link planPeerRules} (plus
 * {@link planSelfRules}, {@link planIcmpRules} and
 * {@link planLoadBalancerRules}); the component only turns the plan into
 * resources.
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigProblem, quote } from "../config/errors";
import { DEFAULTS } from "../config/defaults";
import type { ClusterNetworkPlan, NetworkPlan } from "../plan/network";
import { MeshIdentity, meshTags } from "./types";

/** Pulumi type token of {@link SecurityGroupPeering}. Public contract: renaming it needs an alias. */
export const SECURITY_GROUP_PEERING_TYPE = "ack-mesh:network:SecurityGroupPeering";

/**
 * Application ports opened pod to pod between clusters of the same mesh
 * network: Bookinfo's 9080. Users add their own services' ports through
 * `appPorts`.
 */
export const DEFAULT_APP_PORTS: ReadonlyArray<number> = [9080];

/**
 * Priority of every rule (1..100, lower wins). 1 is also Alibaba's default.
 * All rules here are `accept`; on equal priority a `drop` wins, so an
 * operator can still shut any of them with a `drop` rule of priority 1.
 */
export const PEER_RULE_PRIORITY = 1;

/**
 * The ports the mesh opens between clusters (all TCP). Changing a value
 * replaces the rules that use it.
 */
export const MESH_PORTS = {
    /** ACK API server (intranet endpoint): a control plane's istiod watches every other cluster. */
    apiserver: 6443,
    /** istiod xDS and CA (gRPC over TLS), exposed to remote clusters through the east-west gateway. */
    istiodXds: 15012,
    /** istiod sidecar-injection / validation webhook (Service port 443 → 15017), called by a remote's API server. */
    istiodWebhook: 15017,
    /** Gateway status port (`/healthz/ready`), probed by load balancers and peers. */
    gatewayStatus: 15021,
    /** East-west gateway mTLS port (TLS AUTO_PASSTHROUGH) for cross-network traffic. */
    eastwest: 15443,
} as const;

/**
 * Kubernetes' default NodePort range. On a Flannel cluster the CCM's SLB
 * cannot send traffic to pod ENIs (`service.beta.kubernetes.io/backend-type:
 * eni` is Terway-only), so it forwards gateway traffic to the nodes' NodePorts:
 * a peer that reaches the east-west gateway then arrives on this range, not on
 * 15012/15017/15021/15443. On Terway clusters the gateways use ENI backends
 * and the port-exact rules apply.
 */
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;

/**
 * Ports an application may not claim in `appPorts`: the ports Istio's proxy
 * and control plane reserve (istio.io "Ports used by Istio") and the ports
 * this component already opens for the mesh.
 */
export const RESERVED_PORTS: ReadonlyArray<number> = [
    MESH_PORTS.apiserver,
    15000, 15001, 15004, 15006, 15008, 15009, 15010, 15012, 15014, 15017, 15020, 15021, 15053, 15090,
    MESH_PORTS.eastwest,
].sort((a, b) => a - b);

/** Why a peer rule exists; part of its key, hence of its Pulumi name. */
export type PeerRulePurpose = `app${number}` | "istiod-xds" | "istiod-webhook" | "gw-status" | "gw-nodeports" | "apiserver" | "eastwest";

/**
 * One planned ingress rule between two different clusters.
 *
 * Every input of an `ecs.SecurityGroupRule` except `description` is
 * ForceNew, so a rule is exactly one (to, from, purpose, source) tuple with
 * a key built only from stable names: a changed tuple is a new rule, and
 * adding a cluster adds rules without touching existing ones.
 */
export interface PeerRule {
    /** Child-name suffix, `<to>-from-<from>-<purpose>-<sourceKey>`; unique in the plan. */
    readonly key: string;
    /** Cluster whose security group receives the rule (the destination). */
    readonly toCluster: string;
    /** Cluster the traffic comes from. */
    readonly fromCluster: string;
    /** Why the rule exists. */
    readonly purpose: PeerRulePurpose;
    /** Always TCP: every mesh flow between clusters is TCP. */
    readonly ipProtocol: "tcp";
    /** `"<port>/<port>"`: one port per rule. */
    readonly portRange: string;
    /** Source range: one of the peer's planned ranges, never wider. */
    readonly cidrIp: string;
    /** One sentence saying why the rule exists (the only input updatable in place). */
    readonly description: string;
    /** Rule priority, {@link PEER_RULE_PRIORITY}. */
    readonly priority: number;
}

/**
 * One planned intra-cluster rule: all protocols from the cluster's own pod
 * ranges, ACK's recommendation for its default group (pods reach
 * node-local services and pods on other nodes with their own addresses).
 */
export interface SelfRule {
    /** Child-name suffix, `<cluster>-self-<sourceKey>`. */
    readonly key: string;
    /** The cluster (destination and source). */
    readonly toCluster: string;
    /** Same as {@link SelfRule.toCluster}. */
    readonly fromCluster: string;
    /** Always `"self"`. */
    readonly purpose: "self";
    /** All protocols. */
    readonly ipProtocol: "all";
    /** Alibaba requires `-1/-1` for protocol `all`. */
    readonly portRange: "-1/-1";
    /** One of the cluster's own pod ranges. */
    readonly cidrIp: string;
    /** One sentence saying why the rule exists. */
    readonly description: string;
    /** Rule priority, {@link PEER_RULE_PRIORITY}. */
    readonly priority: number;
}

/** Any planned rule of {@link SecurityGroupPeering}. */
/**
 * A rule admitting Alibaba's load balancers to a cluster's gateways: SLB
 * health checks and Layer-7 listeners reach backends from `100.64.0.0/10`
 * (never the internet's addresses, so no `0.0.0.0/0` is needed).
 */
export interface LoadBalancerRule {
    /** Child-name suffix, `<cluster>-slb-<port>` or `<cluster>-slb-nodeports`. */
    readonly key: string;
    readonly toCluster: string;
    /** Always `"slb"`. */
    readonly fromCluster: "slb";
    readonly purpose: "slb";
    readonly ipProtocol: "tcp";
    readonly portRange: string;
    /** Always {@link SLB_SOURCE_CIDR}. */
    readonly cidrIp: string;
    readonly description: string;
    readonly priority: number;
}

/**
 * One planned ICMP rule between two different clusters: ICMP (echo, and the
 * "fragmentation needed" messages path-MTU discovery relies on) from one
 * node vSwitch of the peer. ACK configures no rule on a group it did not
 * create, so without these, ping and PMTU discovery between clusters fail
 * (large TLS records across CEN then stall instead of shrinking).
 */
export interface IcmpRule {
    /** Child-name suffix, `<to>-from-<from>-icmp-nodes-<zone>`. */
    readonly key: string;
    readonly toCluster: string;
    readonly fromCluster: string;
    /** Always `"icmp"`. */
    readonly purpose: "icmp";
    readonly ipProtocol: "icmp";
    /** Alibaba requires `-1/-1` for ICMP. */
    readonly portRange: "-1/-1";
    /** One node vSwitch CIDR of the peer: never a VPC CIDR, never `0.0.0.0/0`. */
    readonly cidrIp: string;
    readonly description: string;
    readonly priority: number;
}

export type PlannedRule = PeerRule | SelfRule | LoadBalancerRule | IcmpRule;

/** Where Alibaba SLB health checks and Layer-7 (HTTP) listener traffic come from. */
export const SLB_SOURCE_CIDR = "100.64.0.0/10";

/**
 * Gateway target ports an SLB reaches on Terway (ENI backends): the ingress
 * gateway's HTTP and status ports; the east-west gateway's cross-network and
 * status ports; and, where it exposes istiod to remotes, 15012 and 15017.
 */
export const GATEWAY_TARGET_PORTS = { ingress: [80, 15021], crossNetwork: [15021, 15443], istiod: [15012, 15017, 15021] } as const;

/** Options of {@link planPeerRules}. */
export interface PeerRuleOptions {
    /**
     * Application ports opened pod to pod between clusters of the same mesh
     * network (sidecar-to-sidecar mTLS goes to the application port).
     * Integers in 1..65535, none in {@link RESERVED_PORTS}, no duplicates.
     * @default [9080] ({@link DEFAULT_APP_PORTS}, Bookinfo)
     */
    appPorts?: ReadonlyArray<number>;
    /**
     * Plan only the rules into these clusters' groups. A group's rules do not
     * depend on which other groups are planned, so the rules of a cluster are
     * the same whether planned alone or with every other: a program that
     * creates one group (a fleet's `sg-<name>` stack) plans O(N) rules
     * instead of the mesh's O(N²).
     * @default every cluster of the identity
     */
    toClusters?: ReadonlyArray<string>;
}

/** The clusters of `identity`, sorted, limited to `toClusters` when given. */
function targetClusters(identity: MeshIdentity, toClusters: ReadonlyArray<string> | undefined): string[] {
    const names = Object.keys(identity.clusters).sort();
    if (toClusters === undefined) return names;
    const only = new Set(toClusters);
    return names.filter((n) => only.has(n));
}

/** Arguments of {@link SecurityGroupPeering}. */
export interface SecurityGroupPeeringArgs {
    /**
     * The mesh identity (plain): decides which cluster pairs talk and on
     * which ports. Every cluster gets one group.
     */
    identity: MeshIdentity;
    /**
     * The network plan (plain) the clusters were built from: decides the
     * source CIDRs. Must contain every cluster of `identity`.
     */
    network: NetworkPlan;
    /**
     * VPC id per VPC key of the network plan (`network.clusters.<c>.vpc`).
     * Each group is created in its cluster's VPC; changing it replaces the
     * group and all its rules (ForceNew).
     */
    vpcIds: Record<string, pulumi.Input<string>>;
    /**
     * One alicloud provider per region id used by the clusters. A group and
     * its rules are created with the provider of the cluster's region.
     */
    providers: Record<string, alicloud.Provider>;
    /**
     * Application ports opened pod to pod between clusters of the same mesh
     * network. Add your own services' ports here; ports of clusters on
     * different networks are never opened (that traffic goes through the
     * east-west gateway on 15443).
     * @default [9080] ({@link DEFAULT_APP_PORTS}, Bookinfo's port)
     */
    appPorts?: number[];
    /**
     * Clusters running an ingress gateway (its SLB must reach port 80 and the
     * status port). @default every control plane of `identity`
     */
    ingressClusters?: ReadonlyArray<string>;
    /**
     * Most rules one group may get; the plan is checked before any child
     * exists. Alibaba allows 200 per group, inbound and outbound together.
     * Raise it only when your account's limit is higher.
     * @default 200 ({@link DEFAULTS}.maxRulesPerSecurityGroup)
     */
    maxRulesPerGroup?: number;
    /** Extra tags for the groups, merged over {@link meshTags}. @default {} */
    tags?: Record<string, string>;
    /**
     * Clusters whose group and ingress rules this instance creates (plain);
     * the other clusters of `identity` are only peers, admitted by the ranges
     * the network plan gives them. One instance per cluster (`clusters: [X]`)
     * is how the fleet's `sg-X` stack owns exactly the rules into X's
     * group (programs/fleet): the union over all clusters is the plan of one
     * instance with the default. `vpcIds` and `providers` are needed for
     * these clusters only. Adding a cluster to the list adds its group and
     * rules; removing one deletes them.
     * @default every cluster of `identity`
     */
    clusters?: ReadonlyArray<string>;
    /**
     * Another layout of the same clusters whose rules are kept next to
     * `identity`'s (plain): the deployed layout while a change of roles or
     * primaries is applied in several steps. The fleet (programs/fleet) sets
     * it on its `sg-<name>` stacks before the cluster stacks switch primaries,
     * so the rules of the new layout exist and those of the old one are not
     * yet deleted, and drops it once they have switched, which deletes the
     * old layout's rules. Merged by {@link mergeRulePlans}: `identity`'s
     * rules unchanged, plus the kept layout's other rules. Its clusters must
     * be in `network`; `ingressClusters` are that layout's clusters with an
     * ingress gateway (default: its control planes).
     * @default none
     */
    keepRulesOf?: { identity: MeshIdentity; ingressClusters?: ReadonlyArray<string> };
}

// --- Sources ------------------------------------------------------------------

/** A source range of a cluster, with a stable key for rule names. */
interface Source {
    /** `vpc`, `pods`, `pods-<zone>` or `nodes-<zone>`. */
    readonly key: string;
    readonly cidr: string;
    /** Wording for descriptions, e.g. `the pods of hz in cn-hangzhou-h (10.1.128.0/21)`. */
    readonly text: string;
}

/** Node vSwitches, one per zone. */
function nodeSources(c: ClusterNetworkPlan, note = ""): Source[] {
    return Object.values(c.zones).map((z) => ({
        key: `nodes-${z.zone}`,
        cidr: z.vswitch,
        text: `the nodes of ${c.name} in ${z.zone} (${z.vswitch}${note})`,
    }));
}

/** Terway pod vSwitches (one per zone), or the Flannel pod CIDR. */
function podSources(c: ClusterNetworkPlan): Source[] {
    if (c.cni === "terway") {
        return Object.values(c.zones)
            .filter((z) => z.podVswitch !== undefined)
            .map((z) => ({ key: `pods-${z.zone}`, cidr: z.podVswitch!, text: `the pods of ${c.name} in ${z.zone} (${z.podVswitch})` }));
    }
    return c.podCidr ? [{ key: "pods", cidr: c.podCidr, text: `the pods of ${c.name} (${c.podCidr})` }] : [];
}

/**
 * Where traffic started by pods of `c` appears to come from at a peer.
 * Terway pods keep their VPC address. Flannel masquerades traffic that
 * leaves its pod CIDR (flanneld `--ip-masq`), so a peer sees the node
 * address; the pod CIDR is kept for clusters that turn masquerading off.
 */
function podEgressSources(c: ClusterNetworkPlan): Source[] {
    return c.cni === "terway" ? podSources(c) : [...nodeSources(c, ", masquerading Flannel pods"), ...podSources(c)];
}

/** Every range of `c`: nodes (and the managed API server's ENIs in those vSwitches) and pods. */
function clusterSources(c: ClusterNetworkPlan): Source[] {
    return [...nodeSources(c), ...podSources(c)];
}

/**
 * Source of `c` for a peer on another mesh network: its VPC CIDR when the
 * VPC is its own; in a shared VPC the VPC CIDR would admit the other
 * clusters too, so the cluster's own ranges are used instead.
 */
function crossNetworkSources(c: ClusterNetworkPlan, network: NetworkPlan): Source[] {
    const vpc = network.vpcs[c.vpc];
    return vpc?.shared ? clusterSources(c) : [{ key: "vpc", cidr: c.vpcCidr, text: `the VPC of ${c.name} (${c.vpcCidr})` }];
}

// --- Validation -----------------------------------------------------------------

/** Problems of the plan inputs (shared by {@link planPeerRules} and the component). */
function planProblems(identity: MeshIdentity, network: NetworkPlan, appPorts: ReadonlyArray<number>, portsPath: string): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const [name, c] of Object.entries(identity.clusters)) {
        const planned = network.clusters[name];
        if (!planned) {
            problems.push({
                path: `identity.clusters.${name}`,
                message: "is not in the network plan, so its source ranges are unknown",
                fix: `build identity and network from the same stack config (meshIdentityFromConfig and planNetwork); planned clusters: ${Object.keys(network.clusters).join(", ") || "(none)"}`,
            });
        } else if (planned.region !== c.region) {
            problems.push({
                path: `identity.clusters.${name}.region`,
                value: c.region,
                message: `differs from the network plan's region ${planned.region}`,
                fix: "build identity and network from the same stack config",
            });
        }
    }
    const seen = new Set<number>();
    appPorts.forEach((port, i) => {
        const path = `${portsPath}[${i}]`;
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
            problems.push({ path, value: port, message: "is not a TCP port (an integer in 1..65535)", fix: "use a port such as 9080" });
        } else if (RESERVED_PORTS.includes(port)) {
            problems.push({
                path,
                value: port,
                message: "is reserved by Istio or already opened by the mesh",
                fix: `remove it; reserved ports: ${RESERVED_PORTS.join(", ")}`,
            });
        } else if (seen.has(port)) {
            problems.push({ path, value: port, message: "is listed twice", fix: "list each port once" });
        }
        seen.add(port);
    });
    return problems;
}

/**
 * Every problem of the component's arguments, in one list: missing
 * providers, missing VPC ids, identity clusters missing from the network
 * plan, invalid application ports, an invalid `maxRulesPerGroup`, and group
 * names Alibaba would reject. Pure. The plan itself (rule-name collisions,
 * rules per group over `maxRulesPerGroup`, see {@link ruleQuotaProblems}) is
 * checked next, once these arguments are valid, still before any child.
 */
export function validateSecurityGroupPeering(name: string, args: SecurityGroupPeeringArgs): ConfigProblem[] {
    const problems = planProblems(args.identity, args.network, args.appPorts ?? DEFAULT_APP_PORTS, "appPorts");
    const max = args.maxRulesPerGroup;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
        problems.push({ path: "maxRulesPerGroup", value: max, message: "must be a positive integer", fix: `leave it unset for Alibaba's limit of ${DEFAULTS.maxRulesPerSecurityGroup}` });
    }
    for (const name of Object.keys(args.keepRulesOf?.identity.clusters ?? {})) {
        if (!args.network.clusters[name]) {
            problems.push({
                path: `keepRulesOf.identity.clusters.${name}`,
                value: name,
                message: "is not in the network plan, so its source ranges are unknown",
                fix: "keep the rules of a layout of the same clusters (the deployed roles and primaries of the clusters in the config)",
            });
        }
    }
    for (const [i, c] of (args.clusters ?? []).entries()) {
        if (!Object.hasOwn(args.identity.clusters, c)) {
            problems.push({ path: `clusters[${i}]`, value: c, message: "is not a cluster of the mesh identity", fix: `use one of: ${Object.keys(args.identity.clusters).join(", ")}` });
        }
    }
    const clusters = ownClusters(args)
        .map((c) => args.network.clusters[c])
        .filter((c): c is ClusterNetworkPlan => c !== undefined);
    const byRegion = new Map<string, string[]>();
    const byVpc = new Map<string, string[]>();
    for (const c of clusters) {
        append(byRegion, c.region, c.name);
        append(byVpc, c.vpc, c.name);
    }
    for (const [region, users] of byRegion) {
        if (!args.providers[region]) {
            problems.push({
                path: `providers.${region}`,
                message: `is missing; clusters ${users.join(", ")} are in region ${region}`,
                fix: `pass providers: { "${region}": new alicloud.Provider("${region}", { region: "${region}" }) }`,
            });
        }
    }
    for (const [vpc, users] of byVpc) {
        if (args.vpcIds[vpc] === undefined) {
            problems.push({
                path: `vpcIds.${vpc}`,
                message: `is missing; clusters ${users.join(", ")} are in VPC ${vpc}`,
                fix: `pass vpcIds: { "${vpc}": <the id of VPC ${vpc}> }`,
            });
        }
    }
    for (const c of ownClusters(args)) {
        const groupName = `${name}-${c}`;
        if (!/^[A-Za-z]/.test(groupName) || groupName.length > 128) {
            problems.push({
                path: "name",
                value: name,
                message: `gives security group name ${quote(groupName)}, which Alibaba rejects (2..128 characters, starting with a letter)`,
                fix: "use a component name that starts with a letter and is at most 80 characters long",
            });
            break;
        }
    }
    return problems;
}

/** The clusters whose groups and rules an instance creates: `args.clusters`, else every cluster of the identity; sorted. */
function ownClusters(args: Pick<SecurityGroupPeeringArgs, "identity" | "clusters">): string[] {
    return (args.clusters ?? Object.keys(args.identity.clusters)).filter((c) => Object.hasOwn(args.identity.clusters, c)).sort();
}

// --- Planning -------------------------------------------------------------------

/**
 * The load-balancer rules: per cluster with a gateway, TCP from
 * {@link SLB_SOURCE_CIDR} to the gateway's target ports on Terway (the SLB's
 * backends are the gateway pods' ENIs), or to the NodePort range on Flannel
 * (node backends). The ingress gateway's port 80 uses a Layer-7 HTTP listener,
 * whose traffic also arrives from that range. East-west gateways: every
 * cluster of a multi-network mesh, and every control plane serving remotes.
 */
export function planLoadBalancerRules(
    identity: MeshIdentity,
    network: NetworkPlan,
    ingressClusters?: ReadonlyArray<string>,
    toClusters?: PeerRuleOptions["toClusters"],
): LoadBalancerRule[] {
    const ingress = new Set(ingressClusters ?? identity.controlPlanes);
    const rules: LoadBalancerRule[] = [];
    for (const name of targetClusters(identity, toClusters)) {
        const c = identity.clusters[name];
        const servesRemotes = c.controlPlane && Object.values(identity.clusters).some((x) => !x.controlPlane && x.controlledBy === name);
        if (!ingress.has(name) && !identity.multiNetwork && !servesRemotes) continue;
        const rule = (key: string, portRange: string, what: string): LoadBalancerRule => ({
            key: `${name}-slb-${key}`,
            toCluster: name,
            fromCluster: "slb",
            purpose: "slb",
            ipProtocol: "tcp",
            portRange,
            cidrIp: SLB_SOURCE_CIDR,
            description: `Alibaba SLB health checks and Layer-7 listener traffic (${SLB_SOURCE_CIDR}) to ${what} of ${name}`,
            priority: PEER_RULE_PRIORITY,
        });
        if (network.clusters[name].cni === "flannel") {
            rules.push(rule("nodeports", `${NODE_PORT_RANGE.from}/${NODE_PORT_RANGE.to}`, "the gateway NodePorts (Flannel: node backends)"));
            continue;
        }
        const ports = new Set<number>([
            ...(ingress.has(name) ? GATEWAY_TARGET_PORTS.ingress : []),
            ...(identity.multiNetwork ? GATEWAY_TARGET_PORTS.crossNetwork : []),
            ...(servesRemotes ? GATEWAY_TARGET_PORTS.istiod : []),
        ]);
        for (const port of [...ports].sort((a, b) => a - b)) rules.push(rule(String(port), `${port}/${port}`, `gateway port ${port} (Terway: pod ENI backends)`));
    }
    return rules;
}

/**
 * The intra-cluster rules: per cluster, all protocols (`-1/-1`) from each of
 * its own pod ranges (Flannel pod CIDR, or one per Terway pod vSwitch).
 * Nodes already talk freely through the group's `innerAccessPolicy:
 * Accept`; pod addresses are not group members (Flannel) or may sit on
 * ENIs of another group (Terway), so they are admitted by CIDR.
 * @throws ConfigError when a mesh cluster is missing from the network plan
 */
export function planSelfRules(identity: MeshIdentity, network: NetworkPlan, toClusters?: PeerRuleOptions["toClusters"]): SelfRule[] {
    const problems = planProblems(identity, network, [], "appPorts");
    if (problems.length) throw new ConfigError(problems, "Invalid security group plan");
    const rules: SelfRule[] = [];
    for (const name of targetClusters(identity, toClusters)) {
        for (const s of podSources(network.clusters[name])) {
            rules.push({
                key: `${name}-self-${s.key}`,
                toCluster: name,
                fromCluster: name,
                purpose: "self",
                ipProtocol: "all",
                portRange: "-1/-1",
                cidrIp: s.cidr,
                description: `All protocols from ${s.text} to the nodes and pods of the same cluster, as ACK recommends for pod ranges`,
                priority: PEER_RULE_PRIORITY,
            });
        }
    }
    return rules;
}

/**
 * Plans the ingress rules between every ordered pair of clusters (to T,
 * from F, T ≠ F) of the mesh. Pure and deterministic: T and F in sorted
 * order, then purposes in the order below, then sources in zone order.
 *
 * | when | purpose | TCP port | source (F's) |
 * |---|---|---|---|
 * | F and T on the same mesh network | `app<port>` | each app port | pod egress ranges |
 * | T is F's control plane | `istiod-xds`, `istiod-webhook`, `gw-status` | 15012, 15017, 15021 | same network: node and pod ranges; else cross-network ranges |
 * | F is a control plane (it watches every other cluster) | `apiserver` | 6443 | same network: pod egress ranges; else cross-network ranges |
 * | F and T on different mesh networks | `eastwest`, `gw-status` | 15443, 15021 | cross-network ranges |
 * | T uses Flannel and F reaches T's east-west gateway (either row above) | `gw-nodeports` | 30000-32767 | the same sources |
 *
 * Pod egress ranges: Terway pod vSwitches; for Flannel the node vSwitches
 * (masqueraded pod traffic) and the pod CIDR. Cross-network ranges: F's VPC
 * CIDR, or F's node and pod ranges when F sits in a shared VPC. Identical
 * (to, port, CIDR) tuples — the cloud's identity of a rule, so also every
 * (to, from, port, CIDR) — are emitted once; the first wins, and since
 * `gw-status` keeps one purpose name for both of its reasons, a duplicate
 * never moves to another key.
 *
 * @throws ConfigError when a mesh cluster is missing from the network plan or a port is invalid
 */
export function planPeerRules(identity: MeshIdentity, network: NetworkPlan, options: PeerRuleOptions = {}): PeerRule[] {
    const appPorts = options.appPorts ?? DEFAULT_APP_PORTS;
    const problems = planProblems(identity, network, appPorts, "options.appPorts");
    if (problems.length) throw new ConfigError(problems, "Invalid security group plan");

    const names = Object.keys(identity.clusters).sort();
    const targets = targetClusters(identity, options.toClusters);
    const rules: PeerRule[] = [];
    const tuples = new Set<string>();
    const push = (to: string, from: string, purpose: PeerRulePurpose, port: number | { from: number; to: number }, sources: Source[], why: (s: Source) => string) => {
        const portRange = typeof port === "number" ? `${port}/${port}` : `${port.from}/${port.to}`;
        for (const s of sources) {
            // The cloud identifies a rule by (group, protocol, port, source): emit each once.
            const tuple = `${to}\u0000tcp\u0000${portRange}\u0000${s.cidr}`;
            if (tuples.has(tuple)) continue;
            tuples.add(tuple);
            rules.push({
                key: `${to}-from-${from}-${purpose}-${s.key}`,
                toCluster: to,
                fromCluster: from,
                purpose,
                ipProtocol: "tcp",
                portRange,
                cidrIp: s.cidr,
                description: why(s),
                priority: PEER_RULE_PRIORITY,
            });
        }
    };

    for (const to of targets) {
        for (const from of names) {
            if (to === from) continue;
            const t = identity.clusters[to];
            const f = identity.clusters[from];
            const fNet = network.clusters[from];
            const sameNetwork = t.network === f.network;
            const cross = crossNetworkSources(fNet, network);
            // Flannel targets: the gateway SLB forwards to NodePorts (see NODE_PORT_RANGE).
            const gatewayNodePorts = (src: Source[]) => {
                if (network.clusters[to].cni !== "flannel") return;
                push(to, from, "gw-nodeports", NODE_PORT_RANGE, src, (s) =>
                    `NodePorts (${NODE_PORT_RANGE.from}-${NODE_PORT_RANGE.to}) behind the east-west gateway SLB of Flannel cluster ${to}, which uses node backends, from ${s.text}`,
                );
            };
            if (sameNetwork) {
                for (const port of appPorts) {
                    push(to, from, `app${port}`, port, podEgressSources(fNet), (s) =>
                        `Istio sidecar-to-sidecar mTLS on application port ${port} from ${s.text} to the pods of ${to} (same mesh network ${t.network})`,
                    );
                }
            }
            if (!f.controlPlane && f.controlledBy === to) {
                const src = sameNetwork ? clusterSources(fNet) : cross;
                push(to, from, "istiod-xds", MESH_PORTS.istiodXds, src, (s) =>
                    `Istio xDS and CA (15012) for remote cluster ${from}, from ${s.text} to istiod of its control plane ${to} through the east-west gateway`,
                );
                push(to, from, "istiod-webhook", MESH_PORTS.istiodWebhook, src, (s) =>
                    `Sidecar-injection webhook (15017) for remote cluster ${from}, called from ${s.text} on istiod of ${to} through the east-west gateway`,
                );
                push(to, from, "gw-status", MESH_PORTS.gatewayStatus, src, (s) =>
                    `Status port (15021) of the east-west gateway of ${to}, checked from ${s.text}`,
                );
                gatewayNodePorts(src);
            }
            if (f.controlPlane) {
                const src = sameNetwork ? podEgressSources(fNet) : cross;
                push(to, from, "apiserver", MESH_PORTS.apiserver, src, (s) =>
                    `istiod of control plane ${from} reads the API server of ${to} (6443, intranet endpoint) for endpoint discovery, from ${s.text}`,
                );
            }
            if (!sameNetwork) {
                push(to, from, "eastwest", MESH_PORTS.eastwest, cross, (s) =>
                    `Istio cross-network mTLS from ${s.text} to the east-west gateway of ${to} (15443, AUTO_PASSTHROUGH)`,
                );
                push(to, from, "gw-status", MESH_PORTS.gatewayStatus, cross, (s) =>
                    `Status port (15021) of the east-west gateway of ${to}, checked from ${s.text}`,
                );
                gatewayNodePorts(cross);
            }
        }
    }
    return rules;
}

/**
 * The ICMP rules: for every ordered pair of different clusters (to T, from
 * F, sorted), ICMP (`-1/-1`) into T's group from each node vSwitch of F, in
 * F's zone order. Node ranges only: they are where ping and the ICMP errors
 * of path-MTU discovery between the clusters come from, whatever the mesh
 * network or VPC layout; no VPC CIDR (a shared VPC's would admit other
 * clusters) and never `0.0.0.0/0`. Separate from {@link planPeerRules},
 * which plans TCP only. Pure.
 * @throws ConfigError when a mesh cluster is missing from the network plan
 */
export function planIcmpRules(identity: MeshIdentity, network: NetworkPlan, toClusters?: PeerRuleOptions["toClusters"]): IcmpRule[] {
    const problems = planProblems(identity, network, [], "appPorts");
    if (problems.length) throw new ConfigError(problems, "Invalid security group plan");
    const names = Object.keys(identity.clusters).sort();
    const rules: IcmpRule[] = [];
    for (const to of targetClusters(identity, toClusters)) {
        for (const from of names) {
            if (to === from) continue;
            for (const s of nodeSources(network.clusters[from])) {
                rules.push({
                    key: `${to}-from-${from}-icmp-${s.key}`,
                    toCluster: to,
                    fromCluster: from,
                    purpose: "icmp",
                    ipProtocol: "icmp",
                    portRange: "-1/-1",
                    cidrIp: s.cidr,
                    description: `ICMP (ping, path-MTU discovery) from ${s.text} to the nodes of ${to}`,
                    priority: PEER_RULE_PRIORITY,
                });
            }
        }
    }
    return rules;
}

/**
 * Every rule the component creates, in its order: self rules, peer rules,
 * ICMP rules, then load-balancer rules. Pure.
 * @throws ConfigError as {@link planPeerRules}
 */
export function planSecurityGroupRules(identity: MeshIdentity, network: NetworkPlan, options: PeerRuleOptions & { ingressClusters?: ReadonlyArray<string> } = {}): PlannedRule[] {
    return [
        ...planSelfRules(identity, network, options.toClusters),
        ...planPeerRules(identity, network, options),
        ...planIcmpRules(identity, network, options.toClusters),
        ...planLoadBalancerRules(identity, network, options.ingressClusters, options.toClusters),
    ];
}

/**
 * Two rule plans merged: every rule of `primary`, in its order, then each
 * rule of `kept` that `primary` has neither under its key nor as the same
 * cloud rule (group, protocol, ports, source). A key both plans use keeps
 * `primary`'s rule, so dropping `kept` later deletes exactly the rules only
 * it had and updates nothing. Pure.
 */
export function mergeRulePlans(primary: ReadonlyArray<PlannedRule>, kept: ReadonlyArray<PlannedRule>): PlannedRule[] {
    const cloudRule = (r: PlannedRule) => `${r.toCluster}\u0000${r.ipProtocol}\u0000${r.portRange}\u0000${r.cidrIp}`;
    const keys = new Set(primary.map((r) => r.key));
    const tuples = new Set(primary.map(cloudRule));
    return [...primary, ...kept.filter((r) => !keys.has(r.key) && !tuples.has(cloudRule(r)))];
}

/**
 * One problem per group whose planned rules exceed `max`, naming the cluster
 * (at `pathOf(cluster)`), the count, where the rules come from and the ways
 * out. A flat primary-remote mesh is what reaches the limit first: the
 * control plane admits its istiod and gateway ports from the node and pod
 * ranges of every remote, about 14 rules per remote with two zones. Pure.
 */
export function ruleQuotaProblems(
    identity: MeshIdentity,
    rules: ReadonlyArray<PlannedRule>,
    max: number,
    pathOf: (cluster: string) => string,
    maxPath: string,
): ConfigProblem[] {
    const perGroup = new Map<string, { total: number; peers: Set<string> }>();
    for (const r of rules) {
        const g = perGroup.get(r.toCluster) ?? { total: 0, peers: new Set<string>() };
        g.total += 1;
        if (r.purpose !== "self" && r.purpose !== "slb") g.peers.add(r.fromCluster);
        perGroup.set(r.toCluster, g);
    }
    const problems: ConfigProblem[] = [];
    const layout = identity.multiNetwork
        ? "split the clusters into several smaller meshes"
        : "put fewer clusters on this flat network, or use mesh.networks: multi-network (one VPC-wide rule per port and peer cluster)";
    for (const [cluster, g] of [...perGroup].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (g.total <= max) continue;
        problems.push({
            path: pathOf(cluster),
            value: g.total,
            message: `needs ${g.total} rules in its security group (admitting ${g.peers.size} peer clusters), more than the ${max} one group may hold`,
            fix: `${layout}; raise ${maxPath} only if your account allows more than ${DEFAULTS.maxRulesPerSecurityGroup} rules per group`,
        });
    }
    return problems;
}

/** Appends `value` to the list under `key`, creating the list. */
function append<T>(map: Map<string, T[]>, key: string, value: T): void {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
}

/** Keys used twice (only possible with cluster names containing `-from-` or `-self-`). */
function keyCollisions(rules: ReadonlyArray<PlannedRule>): ConfigProblem[] {
    const seen = new Map<string, PlannedRule>();
    const problems: ConfigProblem[] = [];
    for (const r of rules) {
        const other = seen.get(r.key);
        if (other) {
            problems.push({
                path: `identity.clusters.${r.toCluster}`,
                value: r.key,
                message: `gives rule name ${quote(r.key)}, which the rule from ${other.fromCluster} to ${other.toCluster} also uses`,
                fix: "rename the clusters so that no name is another's name joined to more text by \"-from-\" or \"-self-\"",
            });
        }
        seen.set(r.key, r);
    }
    return problems;
}

// --- Component ------------------------------------------------------------------

/**
 * One ack-mesh-owned security group per cluster, with the intra-cluster and
 * peer rules planned by {@link planSelfRules} and {@link planPeerRules}.
 *
 * Children (all `parent: this`, provider of the cluster's region):
 * - `${name}-sg-${cluster}`: `alicloud.ecs.SecurityGroup` (normal, in the
 *   cluster's VPC, `innerAccessPolicy: Accept`). Pass its id to the cluster
 *   (`securityGroupId`) and its node pools.
 * - `${name}-${rule.key}`: `alicloud.ecs.SecurityGroupRule` (ingress,
 *   intranet, accept, priority {@link PEER_RULE_PRIORITY}): self, peer (TCP),
 *   ICMP ({@link planIcmpRules}: from the peers' node vSwitches) and
 *   load-balancer rules.
 *
 * Every input of a security group rule except `description` is ForceNew.
 * Rule keys therefore name only stable things (clusters, purpose, zone), so
 * adding a cluster adds rules and leaves the others untouched; a changed
 * port or CIDR under the same key is a replacement whose new rule always
 * differs from the old one, so Pulumi's default create-before-delete is safe
 * (creating an identical rule would be a silent no-op in the cloud, and the
 * delete of the old one would then remove it).
 *
 * @throws ConfigError (before any child exists) listing every invalid argument
 */
export class SecurityGroupPeering extends pulumi.ComponentResource {
    /** Security group id per cluster name. Pass it to `AckCluster` and its node pools. */
    public readonly securityGroupIds: Record<string, pulumi.Output<string>>;
    /** Cloud rule id (`sgr-…`, the `securityGroupRuleId` output) per rule key (`PlannedRule.key`). */
    public readonly ruleIds: Record<string, pulumi.Output<string>>;
    /** Every rule resource. To wait for the rules between two clusters only, use {@link rulesBetween}. */
    public readonly ready: ReadonlyArray<pulumi.Resource>;
    /** Peer rule resources per ordered (to, from) pair. */
    private readonly byPair = new Map<string, pulumi.Resource[]>();
    /** Self and load-balancer rule resources per cluster. */
    private readonly own = new Map<string, pulumi.Resource[]>();
    /** The plan the rules were created from: self rules first, then peer rules. */
    public readonly rules: ReadonlyArray<PlannedRule>;

    constructor(name: string, args: SecurityGroupPeeringArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SECURITY_GROUP_PEERING_TYPE, name, {}, opts);

        const problems = validateSecurityGroupPeering(name, args);
        if (problems.length) throw new ConfigError(problems, `Invalid SecurityGroupPeering "${name}"`);
        const own = ownClusters(args);
        // Only the rules into this instance's groups are planned (a fleet's sg-<name> stack: O(N), not the mesh's O(N²)).
        const planned = planSecurityGroupRules(args.identity, args.network, { appPorts: args.appPorts, ingressClusters: args.ingressClusters, toClusters: own });
        const kept = args.keepRulesOf;
        const rules = kept ? mergeRulePlans(planned, planSecurityGroupRules(kept.identity, args.network, { appPorts: args.appPorts, ingressClusters: kept.ingressClusters, toClusters: own })) : planned;
        const planProblemList = [
            ...keyCollisions(rules),
            ...ruleQuotaProblems(args.identity, rules, args.maxRulesPerGroup ?? DEFAULTS.maxRulesPerSecurityGroup, (c) => `identity.clusters.${c}`, "maxRulesPerGroup"),
        ];
        if (planProblemList.length) throw new ConfigError(planProblemList, `Invalid SecurityGroupPeering "${name}"`);

        const tags = meshTags(args.tags);
        const groups: Record<string, alicloud.ecs.SecurityGroup> = {};
        for (const cluster of own) {
            const net = args.network.clusters[cluster];
            groups[cluster] = new alicloud.ecs.SecurityGroup(
                `${name}-sg-${cluster}`,
                {
                    securityGroupName: `${name}-${cluster}`,
                    vpcId: args.vpcIds[net.vpc],
                    securityGroupType: "normal",
                    innerAccessPolicy: "Accept",
                    description: `Nodes and pods of ACK cluster ${cluster} in mesh ${args.identity.meshId}; peer clusters are admitted only on the mesh ports`,
                    tags,
                },
                { parent: this, provider: args.providers[net.region] },
            );
        }

        const ruleIds: Record<string, pulumi.Output<string>> = {};
        const ready: pulumi.Resource[] = [];
        for (const rule of rules) {
            const net = args.network.clusters[rule.toCluster];
            const r = new alicloud.ecs.SecurityGroupRule(
                `${name}-${rule.key}`,
                {
                    type: "ingress",
                    ipProtocol: rule.ipProtocol,
                    portRange: rule.portRange,
                    nicType: "intranet",
                    policy: "accept",
                    priority: rule.priority,
                    securityGroupId: groups[rule.toCluster].id,
                    cidrIp: rule.cidrIp,
                    description: rule.description,
                },
                { parent: this, provider: args.providers[net.region] },
            );
            ruleIds[rule.key] = r.securityGroupRuleId;
            ready.push(r);
            if (rule.purpose === "self" || rule.purpose === "slb") append(this.own, rule.toCluster, r);
            else append(this.byPair, `${rule.toCluster}\u0000${rule.fromCluster}`, r);
        }

        this.securityGroupIds = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, g.id]));
        this.ruleIds = ruleIds;
        this.ready = ready;
        this.rules = rules;
        this.registerOutputs({ securityGroupIds: this.securityGroupIds, ruleIds: this.ruleIds, ruleCount: rules.length });
    }

    /**
     * The peer rules between two clusters, both directions (`a` admitting
     * `b`, then `b` admitting `a`): what a cross-cluster step between them
     * waits for, so traffic is admitted before it flows. Empty when the plan
     * has no rule between them (for example a flat network without app ports).
     * @throws Error when a name is not one of this instance's clusters (`clusters`, default every cluster of the identity)
     */
    public rulesBetween(a: string, b: string): pulumi.Resource[] {
        this.assertCluster(a, b);
        return [...(this.byPair.get(`${a}\u0000${b}`) ?? []), ...(this.byPair.get(`${b}\u0000${a}`) ?? [])];
    }

    /**
     * A cluster's own rules: from its pod ranges (self) and from the load
     * balancers' range to its gateways (SLB health checks).
     * @throws Error when the name is not one of this instance's clusters
     */
    public rulesOf(cluster: string): pulumi.Resource[] {
        this.assertCluster(cluster);
        return [...(this.own.get(cluster) ?? [])];
    }

    private assertCluster(...names: string[]): void {
        for (const c of names) {
            if (!Object.hasOwn(this.securityGroupIds, c)) {
                throw new Error(`SecurityGroupPeering: no cluster "${c}"; use one of: ${Object.keys(this.securityGroupIds).join(", ")}`);
            }
        }
    }
}
