/**
 * `VpcWithCen`: the mesh's network. One VPC per VPC key of the
 * {@link NetworkPlan}, the node (and Terway pod) vSwitches of every cluster,
 * and — only when the plan has more than one VPC — a CEN instance with one
 * Enterprise Edition transit router per region, a VPC attachment per VPC and a
 * full mesh of inter-region connections, all explicitly associated with and
 * propagated into one route table per transit router.
 *
 * Children are keyed by stable names (VPC key, cluster + zone, region, region
 * pair), never by list position, so adding a cluster, a zone or a region only
 * adds children (the one exception, by design: a VPC attachment's
 * `zoneMappings` gains the new zone, which is an in-place update).
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { ConfigError, ConfigProblem } from "../config/errors";
import type { NetworkPlan } from "../plan/network";
import { meshTags } from "./types";

/** Type token of {@link VpcWithCen}. A public contract: renaming it needs an alias. */
export const VPC_WITH_CEN_TYPE = "ack-mesh:network:VpcWithCen";

/** Type tokens of the children, as recorded by the engine. */
export const VPC_WITH_CEN_CHILD_TYPES = {
    vpc: "alicloud:vpc/network:Network",
    vswitch: "alicloud:vpc/switch:Switch",
    cen: "alicloud:cen/instance:Instance",
    transitRouter: "alicloud:cen/transitRouter:TransitRouter",
    routeTable: "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable",
    vpcAttachment: "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment",
    peerAttachment: "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment",
    association: "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation",
    propagation: "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation",
    natGateway: "alicloud:vpc/natGateway:NatGateway",
    eip: "alicloud:ecs/eipAddress:EipAddress",
    eipAssociation: "alicloud:ecs/eipAssociation:EipAssociation",
    snatEntry: "alicloud:vpc/snatEntry:SnatEntry",
} as const;

/** How cross-region bandwidth of the transit router peer attachments is paid. */
export type CenBandwidthType = "DataTransfer" | "BandwidthPackage";

/** Default cross-region bandwidth, Mbps, of each transit router peer attachment (`DEFAULTS.cenBandwidthMbps`). */
export const DEFAULT_CEN_BANDWIDTH_MBPS: number = DEFAULTS.cenBandwidthMbps;

/**
 * Default bandwidth cap, Mbit/s, of each VPC's egress EIP. The EIP is billed
 * by traffic (`PayByTraffic`), so the cap limits throughput, not the bill.
 */
export const DEFAULT_EGRESS_BANDWIDTH_MBPS = 100;
/** Alibaba's range for a pay-by-traffic EIP's bandwidth cap, Mbit/s. */
export const EGRESS_BANDWIDTH_RANGE_MBPS = { min: 1, max: 200 } as const;

/** Internet egress settings: one enhanced NAT gateway and one EIP per VPC. */
export interface VpcWithCenEgressArgs {
    /**
     * Bandwidth cap of each VPC's egress EIP, Mbit/s: an integer in 1..200
     * (pay-by-traffic EIPs). Updatable in place.
     * @default 100 ({@link DEFAULT_EGRESS_BANDWIDTH_MBPS})
     */
    bandwidthMbps?: number;
}

/** CEN settings. Only used when the plan has more than one VPC. */
export interface VpcWithCenCenArgs {
    /**
     * How the inter-region connections are billed: `DataTransfer` (pay by
     * traffic, `bandwidth` is a throttle) or `BandwidthPackage` (bandwidth is
     * allocated from {@link bandwidthPackageId}). Updatable in place.
     * @default "DataTransfer"
     */
    bandwidthType?: CenBandwidthType;
    /**
     * Bandwidth of each inter-region connection, in Mbit/s: a positive integer.
     * Updatable in place.
     * @default 10
     */
    bandwidthMbps?: number;
    /**
     * Existing CEN bandwidth package to allocate from. Required with
     * `bandwidthType: "BandwidthPackage"`, rejected with `DataTransfer`.
     * The package must already be associated with the CEN's area pair.
     * @default none
     */
    bandwidthPackageId?: pulumi.Input<string>;
    /**
     * Region whose provider creates the CEN instance (a global resource; the
     * region only selects the provider). Plain: it picks the provider.
     * Pin it in long-lived stacks: with the default, adding a region that
     * sorts first moves the CEN instance to another provider, which Pulumi
     * diffs as a provider change (a replacement — of the CEN and, through
     * `cenId`, of everything attached — if the provider's `DiffConfig` treats
     * `region` as forcing replacement).
     * @default the alphabetically first region of the plan
     */
    region?: string;
}

/** Arguments of {@link VpcWithCen}. */
export interface VpcWithCenArgs {
    /**
     * The address plan (`planNetwork(config)`): decides every VPC, vSwitch,
     * region and peering, so it is plain. Changing a vSwitch CIDR or zone
     * replaces that vSwitch (and, transitively, the clusters in it); a VPC
     * CIDR change is an in-place update.
     */
    network: NetworkPlan;
    /**
     * One `alicloud.Provider` per region used by the plan, keyed by region id
     * (e.g. `cn-hangzhou`). Every child is created with the provider of its
     * region; the CEN instance with the provider of `cen.region` (default:
     * the alphabetically first region). The component never creates
     * providers nor reads global config.
     * Extra entries are ignored.
     */
    providers: Record<string, alicloud.Provider>;
    /** CEN settings (ignored when the plan has a single VPC). @default DataTransfer, 10 Mbps */
    cen?: VpcWithCenCenArgs;
    /** Internet egress of every VPC (NAT gateway, EIP, SNAT entries). @default 100 Mbit/s cap */
    egress?: VpcWithCenEgressArgs;
    /**
     * Pulumi `protect` on the VPCs, the CEN instance and the transit routers.
     * When false the children inherit `protect` from this component's options.
     * @default false
     */
    protect?: boolean;
    /**
     * Tags merged over `meshTags()` onto every child that takes tags. Keys
     * ≤ 128 characters, not starting with `aliyun` or `acs:`; values ≤ 128
     * characters; neither may contain `http://` or `https://`. Updatable in place.
     * @default {}
     */
    tags?: Record<string, string>;
}

/** One vSwitch of the layout. */
export interface VswitchLayout {
    /** `node` for a cluster's node vSwitch, `pod` for a Terway pod vSwitch. */
    readonly kind: "node" | "pod";
    readonly cluster: string;
    readonly zone: string;
    /** VPC key. */
    readonly vpc: string;
    readonly region: string;
    readonly cidr: string;
    /** Child name suffix: `vsw-<cluster>-<zone>` or `podvsw-<cluster>-<zone>`. */
    readonly role: string;
}

/** One VPC of the layout. */
export interface VpcLayout {
    readonly key: string;
    readonly region: string;
    readonly cidr: string;
    /** Clusters in this VPC, sorted. */
    readonly clusters: string[];
    /**
     * Zone mappings of the VPC's transit router attachment: one per zone, the
     * node vSwitch of the alphabetically first cluster using that zone; in the
     * zone order of the clusters (sorted), first claim wins.
     */
    readonly zoneMappings: { readonly zone: string; readonly cluster: string }[];
    /**
     * Where the VPC's NAT gateway lives: the first zone mapping, i.e. the
     * first zone of the alphabetically first cluster in the VPC, and that
     * cluster's node vSwitch there. The 3.108 d.ts calls the NAT gateway's
     * `vswitchId` "immutable after resource creation", so removing that
     * cluster (or that zone) leaves a vSwitch the NAT gateway still sits in.
     */
    readonly nat: { readonly zone: string; readonly cluster: string };
}

/** One child resource of the layout. */
export interface ChildLayout {
    /** Engine type token. */
    readonly type: string;
    /** Name suffix: the child is named `${name}-${role}`. */
    readonly role: string;
    /** Region whose provider creates the child. */
    readonly region: string;
}

/** What {@link VpcWithCen} creates, decided from plain inputs only. */
export interface VpcWithCenLayout {
    /** VPCs, sorted by key. */
    readonly vpcs: VpcLayout[];
    /** vSwitches: clusters sorted, zones in plan order, node before pod. */
    readonly vswitches: VswitchLayout[];
    /** True when the plan has more than one VPC, i.e. CEN resources exist. */
    readonly cen: boolean;
    /** Region whose provider creates the CEN instance: `cen.region`, else the alphabetically first. */
    readonly cenRegion?: string;
    /** Regions with a transit router, sorted (empty without CEN). */
    readonly regions: string[];
    /** Region pairs `a < b` with an inter-region connection (full mesh). */
    readonly peerings: { readonly a: string; readonly b: string }[];
    /** Every child, in creation order. */
    readonly children: ChildLayout[];
}

const SORT = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The layout of a {@link VpcWithCen}: which children exist, their roles,
 * regions and peerings. Pure; does not validate (see
 * {@link validateVpcWithCenArgs}).
 */
export function planVpcWithCen(args: Pick<VpcWithCenArgs, "network" | "cen">): VpcWithCenLayout {
    const { network } = args;
    const T = VPC_WITH_CEN_CHILD_TYPES;
    const clusterKeys = Object.keys(network.clusters).sort(SORT);
    const vpcKeys = Object.keys(network.vpcs).sort(SORT);

    const vswitches: VswitchLayout[] = [];
    for (const c of clusterKeys) {
        const plan = network.clusters[c];
        for (const z of Object.values(plan.zones)) {
            vswitches.push({ kind: "node", cluster: c, zone: z.zone, vpc: plan.vpc, region: plan.region, cidr: z.vswitch, role: `vsw-${c}-${z.zone}` });
            if (plan.cni === "terway" && z.podVswitch !== undefined) {
                vswitches.push({ kind: "pod", cluster: c, zone: z.zone, vpc: plan.vpc, region: plan.region, cidr: z.podVswitch, role: `podvsw-${c}-${z.zone}` });
            }
        }
    }

    const vpcs: VpcLayout[] = vpcKeys.map((key) => {
        const v = network.vpcs[key];
        const clusters = clusterKeys.filter((c) => network.clusters[c].vpc === key);
        const zoneMappings: { zone: string; cluster: string }[] = [];
        for (const c of clusters) {
            for (const zone of Object.keys(network.clusters[c].zones)) {
                if (!zoneMappings.some((m) => m.zone === zone)) zoneMappings.push({ zone, cluster: c });
            }
        }
        return { key, region: v.region, cidr: v.cidr, clusters, zoneMappings, nat: zoneMappings[0] };
    });

    const cen = vpcs.length > 1;
    const regions = cen ? [...new Set(vpcs.map((v) => v.region))].sort(SORT) : [];
    const peerings: { a: string; b: string }[] = [];
    for (let i = 0; i < regions.length; i++) for (let j = i + 1; j < regions.length; j++) peerings.push({ a: regions[i], b: regions[j] });

    const cenRegion = cen ? (args.cen?.region ?? regions[0]) : undefined;
    const children: ChildLayout[] = [];
    for (const v of vpcs) children.push({ type: T.vpc, role: `vpc-${v.key}`, region: v.region });
    for (const s of vswitches) children.push({ type: T.vswitch, role: s.role, region: s.region });
    for (const v of vpcs) {
        if (v.nat === undefined) continue; // a VPC without a cluster has no vSwitch (validation reports it)
        children.push({ type: T.natGateway, role: `nat-${v.key}`, region: v.region });
        children.push({ type: T.eip, role: `eip-${v.key}`, region: v.region });
        children.push({ type: T.eipAssociation, role: `eip-assoc-${v.key}`, region: v.region });
    }
    for (const s of vswitches) children.push({ type: T.snatEntry, role: `snat-${s.role}`, region: s.region });
    if (cen) {
        children.push({ type: T.cen, role: "cen", region: cenRegion! });
        for (const r of regions) {
            children.push({ type: T.transitRouter, role: `tr-${r}`, region: r });
            children.push({ type: T.routeTable, role: `rt-${r}`, region: r });
        }
        for (const v of vpcs) {
            children.push({ type: T.vpcAttachment, role: `attach-${v.key}`, region: v.region });
            children.push({ type: T.association, role: `assoc-${v.key}`, region: v.region });
            children.push({ type: T.propagation, role: `prop-${v.key}`, region: v.region });
        }
        for (const { a, b } of peerings) {
            children.push({ type: T.peerAttachment, role: `peer-${a}-${b}`, region: a });
            for (const r of [a, b]) {
                children.push({ type: T.association, role: `peer-assoc-${a}-${b}-${r}`, region: r });
                children.push({ type: T.propagation, role: `peer-prop-${a}-${b}-${r}`, region: r });
            }
        }
    }
    return { vpcs, vswitches, cen, cenRegion, regions, peerings, children };
}

/** Alibaba resource names (VPC, vSwitch, attachment): 2..128 characters, starting with a letter. */
const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{1,127}$/;

/**
 * Every problem of the arguments, with property paths (`providers.cn-shanghai`,
 * `cen.bandwidthPackageId`, `network.clusters.hz.zones`, …). Pure. `name` is
 * the component's resource name; when given it is checked too (it prefixes
 * the cloud names).
 */
export function validateVpcWithCenArgs(args: VpcWithCenArgs, name?: string): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) =>
        problems.push(value === undefined ? { path, message, fix } : { path, value, message, fix });
    const network = args.network;
    if (network === undefined || network === null || typeof network !== "object") {
        add("network", "is missing", "pass the plan returned by planNetwork(config)");
        return problems;
    }
    const vpcs = network.vpcs ?? {};
    const clusters = network.clusters ?? {};

    if (name !== undefined && !RESOURCE_NAME.test(`${name}-x`)) {
        add("name", "must start with a letter and use only letters, digits, '_', '.' and '-' (it prefixes the VPC, vSwitch and CEN names)", "rename the component, e.g. \"net\"", name);
    }

    if (Object.keys(vpcs).length === 0) {
        add("network.vpcs", "the network plan has no VPCs", "plan at least one cluster (planNetwork(config))");
    }
    for (const [key, v] of Object.entries(vpcs)) {
        if (name !== undefined && RESOURCE_NAME.test(`${name}-x`) && `${name}-${key}`.length > 128) {
            add(`network.vpcs.${key}`, `the VPC name "${name}-${key}" is longer than 128 characters`, "use a shorter component name or VPC key", key);
        }
        if (!Object.values(clusters).some((c) => c.vpc === key) && Object.keys(vpcs).length > 1) {
            add(`network.vpcs.${key}`, "has no cluster, so it has no vSwitch to attach to the CEN transit router", "remove the VPC or place a cluster in it");
        }
        if (typeof v.region !== "string" || v.region === "") add(`network.vpcs.${key}.region`, "is missing", "set the VPC's region", v.region);
    }
    for (const [key, c] of Object.entries(clusters)) {
        const vpc = vpcs[c.vpc];
        if (vpc === undefined) {
            add(`network.clusters.${key}.vpc`, "names a VPC that is not in network.vpcs", `use one of: ${Object.keys(vpcs).sort(SORT).join(", ") || "(none)"}`, c.vpc);
        } else if (vpc.region !== c.region) {
            add(`network.clusters.${key}.region`, `differs from the region of its VPC "${c.vpc}" (${vpc.region})`, "place the cluster in a VPC of its own region", c.region);
        }
        const zones = Object.values(c.zones ?? {});
        if (zones.length === 0) add(`network.clusters.${key}.zones`, "the cluster has no zones, so it gets no vSwitch", "give the cluster at least one zone");
        for (const z of zones) {
            if (c.cni === "terway" && z.podVswitch === undefined) {
                add(`network.clusters.${key}.zones.${z.zone}.podVswitch`, "a Terway cluster needs a pod vSwitch in every zone", "plan the network with planNetwork(config)");
            }
        }
    }

    // Providers: one per region that has a VPC.
    const regionsInUse = [...new Set(Object.values(vpcs).map((v) => v.region))].filter((r) => typeof r === "string" && r !== "").sort(SORT);
    const providers = args.providers ?? {};
    for (const region of regionsInUse) {
        const p = (providers as Record<string, unknown>)[region];
        const users = Object.keys(vpcs).filter((k) => vpcs[k].region === region).sort(SORT).join(", ");
        const fix = `pass providers["${region}"] = new alicloud.Provider("<name>", { region: "${region}" })`;
        if (p === undefined) {
            add(`providers.${region}`, `no alicloud.Provider for region ${region} (VPC ${users})`, fix);
        } else if (!alicloud.Provider.isInstance(p)) {
            add(`providers.${region}`, `is not an alicloud.Provider (VPC ${users})`, fix, typeof p);
        }
    }

    // CEN settings: only matter with more than one VPC, but checked always so a config is valid before it grows.
    const cen = args.cen ?? {};
    if (cen.region !== undefined && !alicloud.Provider.isInstance((providers as Record<string, unknown>)[cen.region])) {
        add("cen.region", "has no alicloud.Provider in providers", `use one of: ${regionsInUse.join(", ") || "(none)"}, or pass providers["${cen.region}"]`, cen.region);
    }
    const type = cen.bandwidthType ?? "DataTransfer";
    if (type !== "DataTransfer" && type !== "BandwidthPackage") {
        add("cen.bandwidthType", "must be DataTransfer or BandwidthPackage", "use \"DataTransfer\" (pay by traffic) or \"BandwidthPackage\"", type);
    }
    if (cen.bandwidthMbps !== undefined && (!Number.isInteger(cen.bandwidthMbps) || cen.bandwidthMbps < 1)) {
        add("cen.bandwidthMbps", "must be a positive integer (Mbit/s)", `use e.g. ${DEFAULT_CEN_BANDWIDTH_MBPS}`, cen.bandwidthMbps);
    }
    if (type === "BandwidthPackage" && (cen.bandwidthPackageId === undefined || cen.bandwidthPackageId === "")) {
        add("cen.bandwidthPackageId", "is required with bandwidthType BandwidthPackage", "set the id of an existing CEN bandwidth package, or use bandwidthType \"DataTransfer\"");
    }
    if (type === "DataTransfer" && cen.bandwidthPackageId !== undefined) {
        add("cen.bandwidthPackageId", "is only used with bandwidthType BandwidthPackage", "remove it, or set cen.bandwidthType to \"BandwidthPackage\"");
    }

    const egressMbps = args.egress?.bandwidthMbps;
    const { min, max } = EGRESS_BANDWIDTH_RANGE_MBPS;
    if (egressMbps !== undefined && (!Number.isInteger(egressMbps) || egressMbps < min || egressMbps > max)) {
        add("egress.bandwidthMbps", `must be an integer from ${min} to ${max} (Mbit/s, the cap of a pay-by-traffic EIP)`, `use e.g. ${DEFAULT_EGRESS_BANDWIDTH_MBPS}`, egressMbps);
    }

    // Tags (Alibaba Cloud tag rules).
    for (const [k, v] of Object.entries(args.tags ?? {})) {
        if (k.length === 0 || k.length > 128) add(`tags.${k}`, "a tag key must be 1 to 128 characters", "shorten the key", k);
        else if (/^(aliyun|acs:)/i.test(k)) add(`tags.${k}`, "a tag key must not start with \"aliyun\" or \"acs:\"", "rename the key", k);
        if (/https?:\/\//.test(k)) add(`tags.${k}`, "a tag key must not contain http:// or https://", "rename the key", k);
        if (typeof v !== "string" || v.length > 128 || /https?:\/\//.test(v)) {
            add(`tags.${k}`, "a tag value must be a string of at most 128 characters without http:// or https://", "shorten or change the value", v);
        }
    }
    return problems;
}

/** What {@link VpcWithCen} exposes (and registers as its outputs). */
export interface VpcWithCenOutputs {
    /** VPC id per VPC key. */
    readonly vpcIds: Record<string, pulumi.Output<string>>;
    /** Node vSwitch id per cluster, then per zone id (zones in plan order). */
    readonly vswitchIds: Record<string, Record<string, pulumi.Output<string>>>;
    /** Pod vSwitch id per Terway cluster, then per zone id (Flannel clusters are absent). */
    readonly podVswitchIds: Record<string, Record<string, pulumi.Output<string>>>;
    /** CEN instance id; undefined when the plan has a single VPC. */
    readonly cenId?: pulumi.Output<string>;
    /** Transit router id (`tr-…`: the `transitRouterId` output, not the composite resource id) per region; empty without CEN. */
    readonly transitRouterIds: Record<string, pulumi.Output<string>>;
    /** Owned transit router route table id (`vtb-…`) per region; empty without CEN. */
    readonly routeTableIds: Record<string, pulumi.Output<string>>;
    /** Transit router VPC attachment id (`tr-attach-…`) per VPC key; empty without CEN. */
    readonly vpcAttachmentIds: Record<string, pulumi.Output<string>>;
    /** Enhanced NAT gateway id (`ngw-…`) per VPC key: the VPC's one internet egress. */
    readonly natGatewayIds: Record<string, pulumi.Output<string>>;
    /** Public egress address (the EIP bound to the NAT gateway) per VPC key: what the internet sees. */
    readonly egressIps: Record<string, pulumi.Output<string>>;
}

/**
 * The mesh network on Alibaba Cloud: VPCs, vSwitches and (for more than one
 * VPC) a CEN with Enterprise Edition transit routers.
 *
 * Children (all `parent: this`, each with its region's provider):
 * - `${name}-vpc-<vpc>` `vpc.Network`;
 * - `${name}-vsw-<cluster>-<zone>` node `vpc.Switch`, and for Terway
 *   `${name}-podvsw-<cluster>-<zone>` pod vSwitches (`deleteBeforeReplace`:
 *   a replacement with an overlapping CIDR cannot be created first);
 * - only with more than one VPC: `${name}-cen` `cen.Instance` (provider of
 *   `cen.region`, default the alphabetically first region);
 *   per region `${name}-tr-<region>` `cen.TransitRouter` and
 *   `${name}-rt-<region>` `cen.TransitRouterRouteTable`;
 *   per VPC `${name}-attach-<vpc>` `cen.TransitRouterVpcAttachment`,
 *   `${name}-assoc-<vpc>` / `${name}-prop-<vpc>` association and propagation;
 *   per region pair `a < b` `${name}-peer-<a>-<b>`
 *   `cen.TransitRouterPeerAttachment` (region a's provider) with
 *   `${name}-peer-assoc-<a>-<b>-<region>` / `${name}-peer-prop-<a>-<b>-<region>`
 *   on both sides;
 * - internet egress, per VPC `<vpc>`: `${name}-nat-<vpc>` `vpc.NatGateway`
 *   (enhanced, internet, pay-as-you-go, `PayByLcu`) in the node vSwitch of
 *   {@link VpcLayout.nat} when it is created, and there for good
 *   (`ignoreChanges: ["vswitchId"]`: a NAT gateway cannot move, and adding a
 *   cluster to a shared VPC must not try to move it; removing the cluster
 *   whose vSwitch hosts it fails at that vSwitch's deletion, see
 *   docs/troubleshooting.md), `${name}-eip-<vpc>` `ecs.EipAddress`
 *   (pay-by-traffic, `egress.bandwidthMbps` cap) and
 *   `${name}-eip-assoc-<vpc>` `ecs.EipAssociation` (`instanceType: "Nat"`);
 *   per vSwitch (node and Terway pod) `${name}-snat-<vSwitch role>`
 *   `vpc.SnatEntry` (`sourceVswitchId`, the EIP as `snatIp`), after the
 *   association.
 *
 * Egress design (issue 12, item 5):
 * - **One egress per VPC, owned here.** Clusters are created with
 *   `newNatGateway: false` and wait for {@link egressReady}. Before, every
 *   cluster asked ACK for its own NAT gateway: two clusters created at once
 *   in one VPC raced for the NAT gateway and the VPC's default route.
 * - **Why the cluster must wait, not only say `false`.** The provider sends
 *   `snat_entry` only when `newNatGateway` is true:
 *   `resourceAlicloudCSManagedKubernetesCreate` reads it with
 *   `d.GetOk("new_nat_gateway")`, which treats `false` as unset
 *   (aliyun/terraform-provider-alicloud v1.289.0,
 *   `alicloud/resource_alicloud_cs_managed_kubernetes.go`), and
 *   CreateCluster's `snat_entry` defaults to `true` ("automatically creates a
 *   NAT gateway and configures SNAT rules", `CreateClusterRequest.java`). No
 *   input of `cs.ManagedKubernetes` can send `false`. What remains is the
 *   state of the VPC when ACK looks: the provider's own docs say "If there
 *   is no nat gateway in the VPC, you can set `new_nat_gateway` to true to
 *   create one automatically", i.e. ACK uses a NAT gateway the VPC already
 *   has. So the NAT gateway, its EIP and the SNAT entries of the cluster's
 *   vSwitches exist before CreateCluster runs. That ACK then adds nothing is
 *   documented behaviour only as far as that sentence goes: check it once
 *   per account (docs/troubleshooting.md: one NAT gateway per VPC).
 * - The NAT gateway's `vswitchId` is immutable (3.108 d.ts), so it is the
 *   first zone of the VPC's alphabetically first cluster, the most stable
 *   choice the plan offers. The zone must offer enhanced NAT gateways
 *   (`vpc.getEnhancedNatAvailableZones`).
 * - Creating an internet NAT gateway adds the VPC's `0.0.0.0/0` route to
 *   it; routes to NAT gateways are not advertised to a transit router, so
 *   each VPC keeps its own egress and no VPC leaves through another's.
 *
 * Routing design:
 * - **Owned route table per transit router** rather than the TR's system
 *   route table. The system table can only be found with the
 *   `cen.getTransitRouterRouteTables` invoke (Alibaba's own example does
 *   that), which is unknown until the TR exists, re-runs on every preview and
 *   cannot be protected or deleted with the stack. An owned table is an
 *   ordinary resource: referenced through `.transitRouterRouteTableId`,
 *   created and destroyed in dependency order, and it isolates the mesh's
 *   routes from anything else later attached to the same TR with default
 *   settings.
 * - **Explicit association + propagation** of every attachment (VPC and
 *   inter-region, on both sides), not the deprecated
 *   `routeTableAssociationEnabled`/`routeTablePropagationEnabled` flags.
 *   Propagation makes the TR route table learn each VPC's system routes
 *   (vSwitch CIDRs, incl. Terway pod vSwitches); association makes the
 *   attachment forward by that table.
 * - **`autoPublishRouteEnabled: true`** on each VPC attachment: per the
 *   3.108 d.ts it "enable[s] the Enterprise Edition transit router to
 *   automatically advertise routes to VPCs", i.e. the routes of the
 *   associated TR route table (the peers' CIDRs) appear in the VPC's route
 *   table with the TR as next hop — the VPC→TR direction. No per-CIDR
 *   `ChildInstanceRouteEntryToAttachment` is needed, and a new peer VPC
 *   needs no change here.
 * - Inter-region connections also set `autoPublishRouteEnabled: true`, as
 *   Alibaba's two-region example does.
 *
 * Caveats (not checkable without cloud calls):
 * - Flannel pod CIDRs are not VPC system routes, so they are never
 *   propagated to a transit router; only Terway pod vSwitches are routable
 *   across CEN.
 * - Zone mappings follow the plan's zone order; the TR docs want the first
 *   one in a TR "master" zone, and regions where TRs span several zones
 *   want vSwitches in at least two zones. Pick cluster zones from
 *   `cen.getTransitRouterAvailableResources` accordingly.
 *
 * Outputs: {@link vpcIds}, {@link vswitchIds}, {@link podVswitchIds},
 * {@link cenId}, {@link transitRouterIds}, {@link routeTableIds},
 * {@link vpcAttachmentIds}, {@link natGatewayIds}, {@link egressIps};
 * {@link nodeVswitchIdList} gives a cluster's vSwitch ids in its zone order,
 * {@link egressReady} what a cluster waits for.
 */
export class VpcWithCen extends pulumi.ComponentResource implements VpcWithCenOutputs {
    /** VPC id per VPC key. */
    public readonly vpcIds: Record<string, pulumi.Output<string>>;
    /** Node vSwitch id per cluster, then per zone id (zones in plan order). */
    public readonly vswitchIds: Record<string, Record<string, pulumi.Output<string>>>;
    /** Pod vSwitch id per Terway cluster, then per zone id (Flannel clusters are absent). */
    public readonly podVswitchIds: Record<string, Record<string, pulumi.Output<string>>>;
    /** CEN instance id; undefined when the plan has a single VPC. */
    public readonly cenId?: pulumi.Output<string>;
    /** Transit router id (`tr-…`, the `transitRouterId` output, not the composite resource id) per region; empty without CEN. */
    public readonly transitRouterIds: Record<string, pulumi.Output<string>>;
    /** Owned transit router route table id (`vtb-…`) per region; empty without CEN. */
    public readonly routeTableIds: Record<string, pulumi.Output<string>>;
    /** Transit router VPC attachment id (`tr-attach-…`) per VPC key; empty without CEN. */
    public readonly vpcAttachmentIds: Record<string, pulumi.Output<string>>;
    /** Enhanced NAT gateway id (`ngw-…`) per VPC key. */
    public readonly natGatewayIds: Record<string, pulumi.Output<string>>;
    /** Public egress address (the VPC's EIP) per VPC key. */
    public readonly egressIps: Record<string, pulumi.Output<string>>;
    /** The layout this instance was built from. */
    public readonly layout: VpcWithCenLayout;
    /**
     * The CEN resources traffic between VPCs needs (attachments, peer
     * attachments, route table associations and propagations); empty without
     * CEN. To wait for the route between two VPCs only, use {@link readyBetween}.
     */
    public readonly ready: ReadonlyArray<pulumi.Resource>;
    /** Per VPC key: its attachment, association and propagation. */
    private readonly vpcReady = new Map<string, pulumi.Resource[]>();
    /** Per region pair (`a`, `b` as in the layout): the peer attachment and its four bindings. */
    private readonly peerReady = new Map<string, pulumi.Resource[]>();
    /** Per cluster: its VPC's NAT gateway and EIP association, and the SNAT entries of its own vSwitches. */
    private readonly egressByCluster = new Map<string, pulumi.Resource[]>();

    /**
     * @param name resource name; prefixes every child and cloud name. Changing it replaces everything.
     * @param args see {@link VpcWithCenArgs}
     * @param opts component options; `providers` here are not used (pass `args.providers`)
     * @throws ConfigError naming every invalid argument, before any child exists
     */
    constructor(name: string, args: VpcWithCenArgs, opts?: pulumi.ComponentResourceOptions) {
        super(VPC_WITH_CEN_TYPE, name, {}, opts);

        const problems = validateVpcWithCenArgs(args, name);
        if (problems.length > 0) throw new ConfigError(problems, `Invalid VpcWithCen "${name}" arguments`);

        const layout = planVpcWithCen(args);
        this.layout = layout;
        const tags = meshTags(args.tags);
        const protect = args.protect === true ? { protect: true } : {};
        const bandwidthType: CenBandwidthType = args.cen?.bandwidthType ?? "DataTransfer";
        const bandwidthMbps = args.cen?.bandwidthMbps ?? DEFAULT_CEN_BANDWIDTH_MBPS;
        const on = (region: string, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
            ...extra,
            parent: this,
            provider: args.providers[region],
        });

        // --- VPCs and vSwitches --------------------------------------------------
        const vpcs: Record<string, alicloud.vpc.Network> = {};
        for (const v of layout.vpcs) {
            vpcs[v.key] = new alicloud.vpc.Network(
                `${name}-vpc-${v.key}`,
                { vpcName: `${name}-${v.key}`, cidrBlock: v.cidr, description: `ack-mesh ${name} VPC ${v.key}`, tags },
                on(v.region, protect),
            );
        }
        const switches = new Map<string, alicloud.vpc.Switch>();
        const vswitchIds: Record<string, Record<string, pulumi.Output<string>>> = {};
        const podVswitchIds: Record<string, Record<string, pulumi.Output<string>>> = {};
        for (const s of layout.vswitches) {
            const sw = new alicloud.vpc.Switch(
                `${name}-${s.role}`,
                {
                    vpcId: vpcs[s.vpc].id,
                    cidrBlock: s.cidr,
                    zoneId: s.zone,
                    vswitchName: s.kind === "node" ? `${name}-${s.cluster}-${s.zone}` : `${name}-${s.cluster}-pod-${s.zone}`,
                    description: `ack-mesh ${s.kind} vSwitch of cluster ${s.cluster} in ${s.zone}`,
                    tags,
                },
                on(s.region, { deleteBeforeReplace: true }),
            );
            switches.set(s.role, sw);
            const into = s.kind === "node" ? vswitchIds : podVswitchIds;
            (into[s.cluster] ??= {})[s.zone] = sw.id;
        }
        // --- Internet egress: one enhanced NAT gateway + EIP per VPC, SNAT per vSwitch -------
        // Inputs checked against @pulumi/alicloud 3.108 vpc/natGateway.d.ts, ecs/eipAddress.d.ts,
        // ecs/eipAssociation.d.ts and vpc/snatEntry.d.ts (see the class TSDoc).
        const egressMbps = args.egress?.bandwidthMbps ?? DEFAULT_EGRESS_BANDWIDTH_MBPS;
        this.natGatewayIds = {};
        this.egressIps = {};
        const egress = new Map<string, { nat: alicloud.vpc.NatGateway; association: alicloud.ecs.EipAssociation }>();
        for (const v of layout.vpcs) {
            const nat = new alicloud.vpc.NatGateway(
                `${name}-nat-${v.key}`,
                {
                    vpcId: vpcs[v.key].id,
                    vswitchId: switches.get(`vsw-${v.nat.cluster}-${v.nat.zone}`)!.id,
                    natType: "Enhanced",
                    networkType: "internet",
                    paymentType: "PayAsYouGo",
                    internetChargeType: "PayByLcu",
                    natGatewayName: `${name}-${v.key}`,
                    description: `ack-mesh ${name} internet egress of VPC ${v.key}`,
                    tags,
                },
                // The vSwitch is chosen when the gateway is created and kept: the API cannot move a NAT
                // gateway ("immutable after resource creation", 3.108 natGateway.d.ts), and a cluster added
                // to a shared VPC may change which vSwitch VpcLayout.nat picks.
                on(v.region, { ignoreChanges: ["vswitchId"] }),
            );
            const eip = new alicloud.ecs.EipAddress(
                `${name}-eip-${v.key}`,
                {
                    addressName: `${name}-${v.key}`,
                    bandwidth: String(egressMbps),
                    internetChargeType: "PayByTraffic",
                    paymentType: "PayAsYouGo",
                    description: `ack-mesh ${name} egress address of VPC ${v.key}`,
                    tags,
                },
                on(v.region),
            );
            const association = new alicloud.ecs.EipAssociation(
                `${name}-eip-assoc-${v.key}`,
                // instanceType is required for anything but an ECS instance (d.ts: default `EcsInstance`).
                { allocationId: eip.id, instanceId: nat.id, instanceType: "Nat" },
                on(v.region),
            );
            egress.set(v.key, { nat, association });
            this.natGatewayIds[v.key] = nat.id;
            this.egressIps[v.key] = eip.ipAddress;
            for (const c of v.clusters) this.egressByCluster.set(c, [nat, association]);
            // The SNAT IP must already be bound to the NAT gateway: wait for the association.
            for (const sw of layout.vswitches.filter((x) => x.vpc === v.key)) {
                const entry = new alicloud.vpc.SnatEntry(
                    `${name}-snat-${sw.role}`,
                    {
                        snatTableId: nat.snatTableIds,
                        sourceVswitchId: switches.get(sw.role)!.id,
                        snatIp: eip.ipAddress,
                        snatEntryName: sw.kind === "node" ? `${name}-${sw.cluster}-${sw.zone}` : `${name}-${sw.cluster}-pod-${sw.zone}`,
                    },
                    on(v.region, { dependsOn: [association] }),
                );
                this.egressByCluster.get(sw.cluster)!.push(entry);
            }
        }

        this.vpcIds = Object.fromEntries(Object.entries(vpcs).map(([k, v]) => [k, v.id]));
        this.vswitchIds = vswitchIds;
        this.podVswitchIds = podVswitchIds;
        this.transitRouterIds = {};
        this.routeTableIds = {};
        this.vpcAttachmentIds = {};
        const ready: pulumi.Resource[] = [];

        // --- CEN (only with more than one VPC) -----------------------------------
        if (layout.cen) {
            const cen = new alicloud.cen.Instance(
                `${name}-cen`,
                { cenInstanceName: `${name}-cen`, description: `ack-mesh ${name} cloud enterprise network`, tags },
                on(layout.cenRegion!, protect),
            );
            this.cenId = cen.id;

            const trs: Record<string, alicloud.cen.TransitRouter> = {};
            const rts: Record<string, alicloud.cen.TransitRouterRouteTable> = {};
            for (const region of layout.regions) {
                trs[region] = new alicloud.cen.TransitRouter(
                    `${name}-tr-${region}`,
                    {
                        cenId: cen.id,
                        transitRouterName: `${name}-${region}`,
                        transitRouterDescription: `ack-mesh ${name} transit router in ${region}`,
                        tags,
                    },
                    on(region, protect),
                );
                // Always the TR's `transitRouterId` output: the resource id is `<cenId>:<trId>`.
                rts[region] = new alicloud.cen.TransitRouterRouteTable(
                    `${name}-rt-${region}`,
                    {
                        transitRouterId: trs[region].transitRouterId,
                        transitRouterRouteTableName: `${name}-${region}`,
                        transitRouterRouteTableDescription: `ack-mesh ${name} routes in ${region}`,
                        tags,
                    },
                    on(region),
                );
                this.transitRouterIds[region] = trs[region].transitRouterId;
                this.routeTableIds[region] = rts[region].transitRouterRouteTableId;
            }

            // Association: one route table per attachment, so a replacement must delete the old one first.
            // Propagation: an attachment may propagate into several tables, no such constraint.
            const bind = (into: pulumi.Resource[], assocRole: string, propRole: string, region: string, attachmentId: pulumi.Output<string>) => {
                const binding = { transitRouterAttachmentId: attachmentId, transitRouterRouteTableId: rts[region].transitRouterRouteTableId };
                into.push(
                    new alicloud.cen.TransitRouterRouteTableAssociation(`${name}-${assocRole}`, binding, on(region, { deleteBeforeReplace: true })),
                    new alicloud.cen.TransitRouterRouteTablePropagation(`${name}-${propRole}`, binding, on(region)),
                );
            };

            for (const v of layout.vpcs) {
                const own = layout.vswitches.filter((s) => s.vpc === v.key).map((s) => switches.get(s.role)!);
                const attachment = new alicloud.cen.TransitRouterVpcAttachment(
                    `${name}-attach-${v.key}`,
                    {
                        cenId: cen.id,
                        transitRouterId: trs[v.region].transitRouterId,
                        vpcId: vpcs[v.key].id,
                        zoneMappings: v.zoneMappings.map((m) => ({ zoneId: m.zone, vswitchId: switches.get(`vsw-${m.cluster}-${m.zone}`)!.id })),
                        transitRouterVpcAttachmentName: `${name}-${v.key}`,
                        autoPublishRouteEnabled: true,
                        tags,
                    },
                    // Every vSwitch of the VPC (node and pod) exists before the attachment maps the VPC.
                    on(v.region, { dependsOn: own }),
                );
                this.vpcAttachmentIds[v.key] = attachment.transitRouterAttachmentId;
                const routed: pulumi.Resource[] = [attachment];
                bind(routed, `assoc-${v.key}`, `prop-${v.key}`, v.region, attachment.transitRouterAttachmentId);
                this.vpcReady.set(v.key, routed);
                ready.push(...routed);
            }

            // Full mesh of inter-region connections. Follows Alibaba's two-region example
            // (alibabacloud-automation/landing-with-terraform, quickstart
            // 201-use-case-enable-ipv6-network-communication-between-vpcs-in-different-regions, main.tf):
            // the peer attachment is created in the local region with DataTransfer bandwidth and
            // auto_publish_route_enabled = true, then associated with AND propagated into the route
            // table of the TR on each side (ass_peer1/propa_peer1, ass_peer2/propa_peer2).
            for (const { a, b } of layout.peerings) {
                const bandwidth =
                    bandwidthType === "BandwidthPackage"
                        ? { bandwidthType, cenBandwidthPackageId: args.cen!.bandwidthPackageId!, bandwidth: bandwidthMbps }
                        : { bandwidthType, bandwidth: bandwidthMbps };
                const peer = new alicloud.cen.TransitRouterPeerAttachment(
                    `${name}-peer-${a}-${b}`,
                    {
                        cenId: cen.id,
                        transitRouterId: trs[a].transitRouterId,
                        peerTransitRouterId: trs[b].transitRouterId,
                        peerTransitRouterRegionId: b,
                        ...bandwidth,
                        autoPublishRouteEnabled: true,
                        transitRouterPeerAttachmentName: `${name}-${a}-${b}`,
                        tags,
                    },
                    on(a),
                );
                const link: pulumi.Resource[] = [peer];
                for (const region of [a, b]) {
                    bind(link, `peer-assoc-${a}-${b}-${region}`, `peer-prop-${a}-${b}-${region}`, region, peer.transitRouterAttachmentId);
                }
                this.peerReady.set(`${a}\u0000${b}`, link);
                ready.push(...link);
            }
        }
        this.ready = ready;

        this.registerOutputs({
            vpcIds: this.vpcIds,
            vswitchIds: this.vswitchIds,
            podVswitchIds: this.podVswitchIds,
            cenId: this.cenId,
            transitRouterIds: this.transitRouterIds,
            routeTableIds: this.routeTableIds,
            vpcAttachmentIds: this.vpcAttachmentIds,
            natGatewayIds: this.natGatewayIds,
            egressIps: this.egressIps,
        });
    }

    /**
     * What a cluster waits for before it is created: its VPC's NAT gateway
     * and EIP association, and the SNAT entries of the cluster's own node
     * and pod vSwitches. With these in place, CreateCluster finds internet
     * egress for every vSwitch of the cluster already configured (see the
     * class TSDoc for why that matters with `newNatGateway: false`). Only the
     * cluster's own entries: a cluster added later to a shared VPC does not
     * change what the others wait for.
     * @throws Error when the cluster is not in the plan
     */
    public egressReady(cluster: string): pulumi.Resource[] {
        const deps = this.egressByCluster.get(cluster);
        if (deps === undefined) throw new Error(`VpcWithCen: no cluster "${cluster}" in the network plan`);
        return [...deps];
    }

    /**
     * The CEN resources the route between two VPCs needs: both VPC
     * attachments with their association and propagation, and, across
     * regions, the peer attachment between the two transit routers with its
     * four bindings. Empty for the same VPC and without CEN. Cross-cluster
     * steps wait for these only, so the dependency count grows with the
     * number of cluster pairs, not with pairs × every CEN resource.
     * @throws Error when a key is not a VPC of the plan
     */
    public readyBetween(vpcA: string, vpcB: string): pulumi.Resource[] {
        const regionOf = (key: string): string => {
            const v = this.layout.vpcs.find((x) => x.key === key);
            if (v === undefined) throw new Error(`VpcWithCen: no VPC "${key}" in the network plan; use one of: ${this.layout.vpcs.map((x) => x.key).join(", ")}`);
            return v.region;
        };
        const [ra, rb] = [regionOf(vpcA), regionOf(vpcB)];
        if (vpcA === vpcB) return [];
        const peer = ra === rb ? [] : (this.peerReady.get(`${ra}\u0000${rb}`) ?? this.peerReady.get(`${rb}\u0000${ra}`) ?? []);
        return [...(this.vpcReady.get(vpcA) ?? []), ...(this.vpcReady.get(vpcB) ?? []), ...peer];
    }

    /**
     * Node vSwitch ids of a cluster, in the plan's zone order (what
     * `cs.ManagedKubernetes.vswitchIds` wants).
     * @throws Error when the cluster is not in the plan
     */
    public nodeVswitchIdList(cluster: string): pulumi.Output<string>[] {
        const byZone = this.vswitchIds[cluster];
        if (byZone === undefined) throw new Error(`VpcWithCen: no cluster "${cluster}" in the network plan`);
        return Object.values(byZone);
    }

    /**
     * Pod vSwitch ids of a Terway cluster, in the plan's zone order (what
     * `cs.ManagedKubernetes.podVswitchIds` wants); empty for Flannel.
     * @throws Error when the cluster is not in the plan
     */
    public podVswitchIdList(cluster: string): pulumi.Output<string>[] {
        if (this.vswitchIds[cluster] === undefined) throw new Error(`VpcWithCen: no cluster "${cluster}" in the network plan`);
        return Object.values(this.podVswitchIds[cluster] ?? {});
    }
}
