/**
 * Simulated Alibaba Cloud (`@pulumi/alicloud` 3.108 type tokens): VPC, vSwitch, security groups, CEN
 * with Transit Routers, internet egress (enhanced NAT gateway, EIP, EIP association, SNAT entry), ACK
 * managed clusters, node pools and add-ons, plus the `getClusterCredential` and
 * `getTransitRouterRouteTables` invokes.
 *
 * Besides computing realistic state, the handlers reject what the real API rejects and is easy to get
 * wrong from Pulumi: a composite `.id` passed where a bare ID is expected, a reference to an object in
 * another region (wrong provider), vSwitch CIDRs outside their VPC or overlapping, ACK pod/service CIDRs
 * overlapping the VPC, a second Transit Router for one CEN in one region, …
 *
 * @module
 */
import { stringify as yamlStringify } from "yaml";
import {
  CREATE_TIME,
  CloudObject,
  HandlerContext,
  InvokeContext,
  ResourceCall,
  ResourceHandler,
  defineInvokes,
  defineResources,
  withRead,
} from "./cloud";
import { Cidr, b64, cidrContains, cidrOverlaps, fakePem, ipInCidr, parseCidr, parseIp, privateIp, publicIp } from "./ids";
import { Rec, arr, asSecret, num, rec, str } from "./values";
import { PROVIDER_REGIONS } from "../config/regions";
import { enhancedNatZones, offeredVersions } from "./catalog";

/** Type tokens of the modelled alicloud resources. */
export const ALI = {
  provider: "pulumi:providers:alicloud",
  network: "alicloud:vpc/network:Network",
  vswitch: "alicloud:vpc/switch:Switch",
  securityGroup: "alicloud:ecs/securityGroup:SecurityGroup",
  securityGroupRule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
  cen: "alicloud:cen/instance:Instance",
  bandwidthPackage: "alicloud:cen/bandwidthPackage:BandwidthPackage",
  transitRouter: "alicloud:cen/transitRouter:TransitRouter",
  trRouteTable: "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable",
  trVpcAttachment: "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment",
  trPeerAttachment: "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment",
  trAssociation: "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation",
  trPropagation: "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation",
  cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
  nodePool: "alicloud:cs/nodePool:NodePool",
  addon: "alicloud:cs/kubernetesAddon:KubernetesAddon",
  natGateway: "alicloud:vpc/natGateway:NatGateway",
  eip: "alicloud:ecs/eipAddress:EipAddress",
  eipAssociation: "alicloud:ecs/eipAssociation:EipAssociation",
  snatEntry: "alicloud:vpc/snatEntry:SnatEntry",
} as const;

/** Invoke tokens served by this module. */
export const ALI_INVOKES = {
  getClusterCredential: "alicloud:cs/getClusterCredential:getClusterCredential",
  getTransitRouterRouteTables: "alicloud:cen/getTransitRouterRouteTables:getTransitRouterRouteTables",
} as const;

/** Fixed expiration of every simulated cluster credential. */
export const CREDENTIAL_EXPIRATION = "2099-12-31T00:00:00Z";

/** Simulated Alibaba Cloud account ID (used as the kubeconfig user, like ACK does). */
export const SIM_ACCOUNT_ID = "5123456789012345";

// ---------------------------------------------------------------------------------------------------
// Reference checking

interface RefSpec {
  /** Human name, with article: "a VPC". */
  what: string;
  /** Accepted ID shape. */
  pattern: RegExp;
  /** Shape description for the error. */
  expect: string;
  /** Types whose objects may be referenced. */
  types: readonly string[];
  /** Must the referenced object be in the caller's region? */
  sameRegion?: boolean;
  /** Extra advice when the value looks composite (contains ':'). */
  compositeHint?: string;
}

// ACK creates a security group (and, with zoneIds, a VPC) itself; their IDs are aliases of the cluster object.
const VPC: RefSpec = { what: "a VPC", pattern: /^vpc-[a-z0-9]+$/, expect: "vpc-…", types: [ALI.network, ALI.cluster], sameRegion: true };
const VSW: RefSpec = { what: "a vSwitch", pattern: /^vsw-[a-z0-9]+$/, expect: "vsw-…", types: [ALI.vswitch], sameRegion: true };
const SG: RefSpec = {
  what: "a security group",
  pattern: /^sg-[a-z0-9]+$/,
  expect: "sg-…",
  types: [ALI.securityGroup, ALI.cluster],
  sameRegion: true,
};
const CEN: RefSpec = { what: "a CEN instance", pattern: /^cen-[a-z0-9]+$/, expect: "cen-…", types: [ALI.cen] };
const TR: RefSpec = {
  what: "a Transit Router",
  pattern: /^tr-[a-z0-9]+$/,
  expect: "tr-…",
  types: [ALI.transitRouter],
  compositeHint: "pass TransitRouter.transitRouterId, not TransitRouter.id (which is '<cenId>:<transitRouterId>')",
};
const TR_RT: RefSpec = {
  what: "a Transit Router route table",
  pattern: /^vtb-[a-z0-9]+$/,
  expect: "vtb-…",
  types: [ALI.trRouteTable, ALI.transitRouter],
  sameRegion: true,
  compositeHint:
    "pass TransitRouterRouteTable.transitRouterRouteTableId, not TransitRouterRouteTable.id (which is '<transitRouterId>:<routeTableId>')",
};
const TR_ATTACH: RefSpec = {
  what: "a Transit Router attachment",
  pattern: /^tr-attach-[a-z0-9]+$/,
  expect: "tr-attach-…",
  types: [ALI.trVpcAttachment, ALI.trPeerAttachment],
  compositeHint: "pass the attachment's .transitRouterAttachmentId, not its .id (which is '<cenId>:<attachmentId>')",
};
const NAT: RefSpec = { what: "a NAT gateway", pattern: /^ngw-[a-z0-9]+$/, expect: "ngw-…", types: [ALI.natGateway], sameRegion: true };
const EIP: RefSpec = { what: "an EIP", pattern: /^eip-[a-z0-9]+$/, expect: "eip-…", types: [ALI.eip], sameRegion: true };
const CLUSTER: RefSpec = {
  what: "an ACK cluster",
  pattern: /^c[0-9a-f]{32}$/,
  expect: "c + 32 hex digits",
  types: [ALI.cluster],
  sameRegion: true,
  compositeHint: "pass ManagedKubernetes.id (a NodePool/KubernetesAddon ID is '<clusterId>:<…>')",
};

/**
 * Checks a reference input: wrong shape fails (with a hint for composite IDs), a well-formed ID the
 * simulation did not create is accepted with a warning (it may be a pre-existing object), an object
 * in another region fails. Returns the referenced object when the simulation created it.
 */
function ref(ctx: HandlerContext, field: string, value: unknown, spec: RefSpec): CloudObject | undefined {
  const v = str(value);
  if (v === undefined) return undefined;
  if (!spec.pattern.test(v)) {
    const hint = v.includes(":") && spec.compositeHint ? `; ${spec.compositeHint}` : "";
    ctx.fail(`${field} '${v}' is not ${spec.what} ID (expected ${spec.expect})${hint}`);
  }
  const obj = ctx.cloud.lookup(v, spec.types);
  if (!obj) {
    ctx.warn(`${field} '${v}' is ${spec.what} the simulation did not create; assuming it exists`);
    return undefined;
  }
  if (spec.sameRegion && obj.region && obj.region !== ctx.region) {
    ctx.fail(
      `${field} '${v}' is ${spec.what} in region ${obj.region}, but this resource is created in ${ctx.region} ` +
        `(wrong provider?)`,
    );
  }
  return obj;
}

function requireField(ctx: HandlerContext, call: ResourceCall, field: string): void {
  if (call.inputs[field] === undefined || call.inputs[field] === null) ctx.fail(`${field} is required`);
}

function cidrInput(ctx: HandlerContext, field: string, value: unknown): Cidr | undefined {
  const v = str(value);
  if (v === undefined) return undefined;
  const c = parseCidr(v);
  if (!c) ctx.fail(`${field} '${v}' is not a valid IPv4 CIDR block (a.b.c.d/n with zero host bits)`);
  return c;
}

function outCidr(o: CloudObject | undefined, field = "cidrBlock"): Cidr | undefined {
  const v = o ? str(o.outputs[field]) : undefined;
  return v ? parseCidr(v) : undefined;
}


// ---------------------------------------------------------------------------------------------------
// Cluster credentials (shared with the kubernetes module)

/** Deterministic cluster CA certificate (PEM) of a simulated ACK cluster. */
export function clusterCaPem(clusterId: string): string {
  return fakePem("CERTIFICATE", 1100, "ack-cluster-ca", clusterId);
}

/** Deterministic client certificate/key (PEM) ACK issues for the account on a cluster. */
function clientCredentials(clusterId: string): { cert: string; key: string } {
  return {
    cert: fakePem("CERTIFICATE", 1150, "ack-client-cert", clusterId),
    key: fakePem("RSA PRIVATE KEY", 1190, "ack-client-key", clusterId),
  };
}

/** The API server URL a kubeconfig from `getClusterCredential` points at (public unless disabled). */
export function credentialServer(cluster: CloudObject): string {
  const conn = rec(cluster.outputs["connections"]) ?? {};
  return str(conn["apiServerInternet"]) ?? str(conn["apiServerIntranet"]) ?? "https://127.0.0.1:6443";
}

/** Builds the kubeconfig ACK returns for a cluster (same text on every call). */
export function kubeconfigFor(cluster: CloudObject): string {
  const ca = clusterCaPem(cluster.id);
  const client = clientCredentials(cluster.id);
  const contextName = `${SIM_ACCOUNT_ID}-${cluster.id}`;
  return yamlStringify({
    apiVersion: "v1",
    clusters: [{ cluster: { server: credentialServer(cluster), "certificate-authority-data": b64(ca) }, name: "kubernetes" }],
    contexts: [{ context: { cluster: "kubernetes", user: SIM_ACCOUNT_ID }, name: contextName }],
    "current-context": contextName,
    kind: "Config",
    preferences: {},
    users: [{ name: SIM_ACCOUNT_ID, user: { "client-certificate-data": b64(client.cert), "client-key-data": b64(client.key) } }],
  });
}

// ---------------------------------------------------------------------------------------------------
// Resource handlers

const network: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  const given = cidrInput(ctx, "cidrBlock", i["cidrBlock"]);
  if (given && (given.prefix < 8 || given.prefix > 28)) {
    ctx.fail(`cidrBlock '${str(i["cidrBlock"])}' must have a prefix length between /8 and /28`);
  }
  const cidrBlock = str(i["cidrBlock"]) ?? (i["ipv4IpamPoolId"] === undefined ? "172.16.0.0/12" : undefined);
  const routeTableId = `vtb-${ctx.gen.alnum(21, "rt")}`;
  return {
    id: call.id ?? `vpc-${ctx.gen.alnum(21)}`,
    region: ctx.region,
    outputs: {
      ...i,
      cidrBlock,
      routeTableId,
      routerTableId: routeTableId,
      routerId: `vrt-${ctx.gen.alnum(21, "router")}`,
      status: "Available",
      regionId: ctx.region,
      createTime: CREATE_TIME,
      ipv6CidrBlocks: [],
    },
  };
};

const vswitch: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "cidrBlock");
  const vpcId = str(i["vpcId"]);
  const vpc = ref(ctx, "vpcId", i["vpcId"], VPC);
  const cidr = cidrInput(ctx, "cidrBlock", i["cidrBlock"]);
  const zoneId = str(i["zoneId"]) ?? str(i["availabilityZone"]);
  if (i["zoneId"] === undefined && i["availabilityZone"] === undefined) ctx.fail("zoneId is required");
  // Zone ids are `<region>-<letter>` (cn-hangzhou-h) or `<region><letter>` (ap-southeast-1a).
  if (zoneId && !new RegExp(`^${ctx.region.replace(/-/g, "\\-")}-?[a-z]$`).test(zoneId)) {
    ctx.fail(`zoneId '${zoneId}' is not a zone of region ${ctx.region} (wrong provider?)`);
  }
  const vpcCidr = outCidr(vpc);
  if (cidr && vpcCidr && !cidrContains(vpcCidr, cidr)) {
    ctx.fail(`cidrBlock '${str(i["cidrBlock"])}' is not inside the VPC's CIDR block '${str(vpc?.outputs["cidrBlock"])}'`);
  }
  if (cidr && vpcId) {
    for (const other of ctx.cloud.ofType(ALI.vswitch)) {
      const oc = outCidr(other);
      if (str(other.outputs["vpcId"]) === vpcId && oc && cidrOverlaps(oc, cidr)) {
        ctx.fail(
          `cidrBlock '${str(i["cidrBlock"])}' overlaps vSwitch '${other.name}' (${str(other.outputs["cidrBlock"])}) in the same VPC`,
        );
      }
    }
  }
  return {
    id: call.id ?? `vsw-${ctx.gen.alnum(21)}`,
    region: ctx.region,
    outputs: { ...i, zoneId, status: "Available", createTime: CREATE_TIME },
  };
};

const securityGroup: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  ref(ctx, "vpcId", i["vpcId"], VPC);
  return {
    id: call.id ?? `sg-${ctx.gen.alnum(20)}`,
    region: ctx.region,
    outputs: {
      ...i,
      securityGroupType: i["securityGroupType"] ?? "normal",
      innerAccessPolicy: i["innerAccessPolicy"] ?? "Accept",
      createTime: CREATE_TIME,
    },
  };
};

const PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "gre", "all"];

const securityGroupRule: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "securityGroupId");
  requireField(ctx, call, "type");
  requireField(ctx, call, "ipProtocol");
  ref(ctx, "securityGroupId", i["securityGroupId"], SG);
  ref(ctx, "sourceSecurityGroupId", i["sourceSecurityGroupId"], { ...SG, sameRegion: false });
  const sgId = str(i["securityGroupId"]) ?? `sg-${ctx.gen.alnum(20, "sg")}`;
  const type = str(i["type"]);
  if (type !== undefined && type !== "ingress" && type !== "egress") ctx.fail(`type '${type}' must be 'ingress' or 'egress'`);
  const proto = str(i["ipProtocol"]);
  if (proto !== undefined && !PROTOCOLS.includes(proto)) ctx.fail(`ipProtocol '${proto}' must be one of ${PROTOCOLS.join(", ")}`);
  const portRange = str(i["portRange"]) ?? "-1/-1";
  const m = /^(-?\d+)\/(-?\d+)$/.exec(portRange);
  if (!m) ctx.fail(`portRange '${portRange}' must look like '<from>/<to>', e.g. '15443/15443'`);
  const [from, to] = [Number(m[1]), Number(m[2])];
  if (proto === "tcp" || proto === "udp") {
    if (from < 1 || to > 65535 || from > to) ctx.fail(`portRange '${portRange}' must be within 1/65535 with from <= to for ${proto}`);
  } else if (proto !== undefined && portRange !== "-1/-1") {
    ctx.fail(`portRange must be '-1/-1' for ipProtocol '${proto}' (got '${portRange}')`);
  }
  const cidrIp = str(i["cidrIp"]);
  if (cidrIp !== undefined && parseCidr(cidrIp) === undefined && parseIp(cidrIp) === undefined) {
    ctx.fail(`cidrIp '${cidrIp}' is not an IPv4 address or CIDR block`);
  }
  const peer = cidrIp ?? str(i["ipv6CidrIp"]) ?? str(i["sourceSecurityGroupId"]) ?? str(i["prefixListId"]);
  if (
    i["cidrIp"] === undefined &&
    i["ipv6CidrIp"] === undefined &&
    i["sourceSecurityGroupId"] === undefined &&
    i["prefixListId"] === undefined
  ) {
    ctx.fail("one of cidrIp, ipv6CidrIp, sourceSecurityGroupId or prefixListId is required");
  }
  const nicType = str(i["nicType"]) ?? (i["sourceSecurityGroupId"] !== undefined ? "intranet" : "internet");
  const policy = str(i["policy"]) ?? "accept";
  if (policy !== "accept" && policy !== "drop") ctx.fail(`policy '${policy}' must be 'accept' or 'drop'`);
  const priority = num(i["priority"]) ?? 1;
  if (!Number.isInteger(priority) || priority < 1 || priority > 100) ctx.fail(`priority ${priority} must be an integer in 1..100`);
  const id = [sgId, type, proto, portRange, nicType, peer ?? "", policy, priority].join(":");
  return {
    id: call.id ?? id,
    region: ctx.region,
    outputs: { ...i, portRange, nicType, policy, priority, securityGroupRuleId: `sgr-${ctx.gen.alnum(20)}` },
  };
};

const cenInstance: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => ({
  id: call.id ?? `cen-${ctx.gen.alnum(18)}`,
  outputs: { ...call.inputs, status: "Active", createTime: CREATE_TIME },
});

const bandwidthPackage: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  requireField(ctx, call, "bandwidth");
  return {
    id: call.id ?? `cenbwp-${ctx.gen.alnum(18)}`,
    outputs: { ...call.inputs, status: "Idle", expiredTime: "2099-12-31T00:00:00Z" },
  };
};

const transitRouter: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "cenId");
  ref(ctx, "cenId", i["cenId"], CEN);
  const cenId = str(i["cenId"]) ?? "cen-unknown";
  for (const other of ctx.cloud.ofType(ALI.transitRouter)) {
    if (str(other.outputs["cenId"]) === cenId && other.region === ctx.region) {
      ctx.fail(`CEN instance ${cenId} already has a Transit Router in ${ctx.region} ('${other.name}'); only one per region is allowed`);
    }
  }
  const trId = `tr-${ctx.gen.alnum(21)}`;
  const systemRouteTableId = `vtb-${ctx.gen.alnum(21, "system-rt")}`;
  return {
    id: call.id ?? `${cenId}:${trId}`,
    region: ctx.region,
    aliases: [trId, systemRouteTableId],
    extra: { systemRouteTableId },
    outputs: {
      ...i,
      transitRouterId: trId,
      regionId: ctx.region,
      status: "Active",
      type: "Enterprise",
      supportMulticast: i["supportMulticast"] ?? false,
      createTime: CREATE_TIME,
    },
  };
};

const trRouteTable: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "transitRouterId");
  ref(ctx, "transitRouterId", i["transitRouterId"], { ...TR, sameRegion: true });
  const trId = str(i["transitRouterId"]) ?? "tr-unknown";
  const rtId = `vtb-${ctx.gen.alnum(21)}`;
  return {
    id: call.id ?? `${trId}:${rtId}`,
    region: ctx.region,
    aliases: [rtId],
    outputs: { ...i, transitRouterRouteTableId: rtId, transitRouterRouteTableType: "Custom", status: "Active" },
  };
};

/** CEN of a TR-attached resource: the `cenId` input, else the Transit Router's. Fails on mismatch. */
function cenOf(ctx: HandlerContext, call: ResourceCall, tr: CloudObject | undefined): string {
  const given = str(call.inputs["cenId"]);
  if (given !== undefined) ref(ctx, "cenId", given, CEN);
  const trCen = tr ? str(tr.outputs["cenId"]) : undefined;
  if (given && trCen && given !== trCen) {
    ctx.fail(`cenId '${given}' does not match the Transit Router's CEN instance '${trCen}'`);
  }
  return given ?? trCen ?? `cen-${ctx.gen.alnum(18, "cen")}`;
}

const trVpcAttachment: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "vpcId");
  requireField(ctx, call, "zoneMappings");
  const tr = ref(ctx, "transitRouterId", i["transitRouterId"], { ...TR, sameRegion: true });
  const cenId = cenOf(ctx, call, tr);
  const vpcId = str(i["vpcId"]);
  ref(ctx, "vpcId", i["vpcId"], VPC);
  const mappings = arr(i["zoneMappings"]) ?? [];
  if (arr(i["zoneMappings"]) && mappings.length === 0) ctx.fail("zoneMappings must contain at least one {vswitchId, zoneId}");
  mappings.forEach((mm, idx) => {
    const m = rec(mm) ?? {};
    const vsw = ref(ctx, `zoneMappings[${idx}].vswitchId`, m["vswitchId"], VSW);
    if (!vsw) return;
    const vswVpc = str(vsw.outputs["vpcId"]);
    if (vpcId && vswVpc && vswVpc !== vpcId) {
      ctx.fail(`zoneMappings[${idx}].vswitchId '${vsw.id}' belongs to VPC ${vswVpc}, not to the attached VPC ${vpcId}`);
    }
    const zone = str(m["zoneId"]);
    const vswZone = str(vsw.outputs["zoneId"]);
    if (zone && vswZone && zone !== vswZone) {
      ctx.fail(`zoneMappings[${idx}].zoneId '${zone}' does not match the zone of vSwitch ${vsw.id} (${vswZone})`);
    }
  });
  const attachId = `tr-attach-${ctx.gen.alnum(18)}`;
  return {
    id: call.id ?? `${cenId}:${attachId}`,
    region: ctx.region,
    aliases: [attachId],
    extra: { transitRouterIds: [str(i["transitRouterId"])].filter(Boolean) },
    outputs: {
      ...i,
      cenId,
      transitRouterAttachmentId: attachId,
      resourceType: i["resourceType"] ?? "VPC",
      status: "Attached",
      regionId: ctx.region,
      createTime: CREATE_TIME,
    },
  };
};

const trPeerAttachment: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "peerTransitRouterId");
  const tr = ref(ctx, "transitRouterId", i["transitRouterId"], { ...TR, sameRegion: true });
  const peer = ref(ctx, "peerTransitRouterId", i["peerTransitRouterId"], TR);
  const cenId = cenOf(ctx, call, tr);
  const peerRegion = str(i["peerTransitRouterRegionId"]) ?? peer?.region;
  if (peer?.region && str(i["peerTransitRouterRegionId"]) && peer.region !== str(i["peerTransitRouterRegionId"])) {
    ctx.fail(
      `peerTransitRouterRegionId '${str(i["peerTransitRouterRegionId"])}' does not match the peer Transit Router's region ${peer.region}`,
    );
  }
  if (peerRegion === ctx.region) ctx.fail(`a peer attachment connects Transit Routers in different regions; both are in ${ctx.region}`);
  if (peer && tr && str(peer.outputs["cenId"]) !== str(tr.outputs["cenId"])) {
    ctx.fail("the two Transit Routers belong to different CEN instances");
  }
  const attachId = `tr-attach-${ctx.gen.alnum(18)}`;
  return {
    id: call.id ?? `${cenId}:${attachId}`,
    region: ctx.region,
    aliases: [attachId],
    extra: { transitRouterIds: [str(i["transitRouterId"]), str(i["peerTransitRouterId"])].filter(Boolean) },
    outputs: {
      ...i,
      cenId,
      peerTransitRouterRegionId: peerRegion,
      transitRouterAttachmentId: attachId,
      resourceType: i["resourceType"] ?? "TR",
      status: "Attached",
      regionId: ctx.region,
      createTime: CREATE_TIME,
    },
  };
};

/**
 * The Transit Router a route table belongs to: a custom table's `transitRouterId` input, or (for a
 * system table, whose ID is an alias of its Transit Router object) the Transit Router's own ID.
 */
function routeTableTr(rt: CloudObject): string | undefined {
  return str(rt.outputs["transitRouterId"]);
}

function trBinding(kind: "association" | "propagation"): ResourceHandler {
  return (call, ctx) => {
    const i = call.inputs;
    requireField(ctx, call, "transitRouterAttachmentId");
    requireField(ctx, call, "transitRouterRouteTableId");
    const att = ref(ctx, "transitRouterAttachmentId", i["transitRouterAttachmentId"], TR_ATTACH);
    const rt = ref(ctx, "transitRouterRouteTableId", i["transitRouterRouteTableId"], TR_RT);
    const rtTr = rt ? routeTableTr(rt) : undefined;
    if (att && rtTr) {
      const attTrs = (att.extra["transitRouterIds"] as string[] | undefined) ?? [];
      if (attTrs.length > 0 && !attTrs.includes(rtTr)) {
        ctx.fail(
          `route table ${rt?.name ? `'${rt.name}' ` : ""}belongs to Transit Router ${rtTr}, but attachment '${att.name}' ` +
            `is on ${attTrs.join(" / ")}`,
        );
      }
    }
    const attId = str(i["transitRouterAttachmentId"]) ?? "tr-attach-unknown";
    const rtId = str(i["transitRouterRouteTableId"]) ?? "vtb-unknown";
    if (kind === "association" && rtTr) {
      for (const other of ctx.cloud.ofType(ALI.trAssociation)) {
        if (str(other.outputs["transitRouterAttachmentId"]) === attId && other.extra["transitRouterId"] === rtTr) {
          ctx.fail(
            `attachment ${attId} is already associated with a route table of ${rtTr} ('${other.name}'); ` +
              `an attachment can be associated with only one route table per Transit Router`,
          );
        }
      }
    }
    return {
      id: call.id ?? `${attId}:${rtId}`,
      region: ctx.region,
      extra: { transitRouterId: rtTr },
      outputs: { ...i, status: "Active" },
    };
  };
}

// --- Internet egress ---------------------------------------------------------------------------------
// Facts from the 3.108 d.ts (vpc/natGateway, ecs/eipAddress, ecs/eipAssociation, vpc/snatEntry) and the
// upstream v1.289.0 resources (resource_alicloud_nat_gateway.go, _eip_address.go, _eip_association.go,
// _snat_entry.go), and from the NAT Gateway API docs (CreateSnatEntry: "Each vSwitch or ECS instance can
// be specified in only one SNAT entry"; the SNAT IP must be an EIP associated with the NAT gateway).

function enumInput(ctx: HandlerContext, field: string, value: unknown, allowed: readonly string[], why = ""): void {
  const v = str(value);
  if (v !== undefined && !allowed.includes(v)) ctx.fail(`${field} '${v}' must be one of ${allowed.join(", ")}${why}`);
}

const natGateway: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "vpcId");
  const vpc = ref(ctx, "vpcId", i["vpcId"], VPC);
  // natType: the d.ts says "Valid values: `Enhanced`" (Normal cannot be created since 1.137.0), although
  // the TF validator still lists Normal; the API refuses new Normal gateways.
  const natType = str(i["natType"]) ?? "Enhanced";
  enumInput(ctx, "natType", natType, ["Enhanced"], " (Normal NAT gateways can no longer be created, 3.108 d.ts)");
  enumInput(ctx, "internetChargeType", i["internetChargeType"], ["PayByLcu"], " (PayBySpec can no longer be set, 3.108 d.ts)");
  enumInput(ctx, "paymentType", i["paymentType"], ["PayAsYouGo", "Subscription"]);
  enumInput(ctx, "networkType", i["networkType"], ["internet", "intranet"]);
  enumInput(ctx, "eipBindMode", i["eipBindMode"], ["MULTI_BINDED", "NAT"]);
  if (i["vswitchId"] === undefined) ctx.fail("vswitchId is required for an Enhanced NAT gateway (3.108 d.ts: set natType to Enhanced and set vswitchId)");
  const vsw = ref(ctx, "vswitchId", i["vswitchId"], VSW);
  const vswVpc = vsw ? str(vsw.outputs["vpcId"]) : undefined;
  if (vsw && vpc && vswVpc !== vpc.id) ctx.fail(`vswitchId '${vsw.id}' is in VPC ${vswVpc}, not in vpcId '${vpc.id}'`);
  const zone = vsw ? str(vsw.outputs["zoneId"]) : undefined;
  const natZones = enhancedNatZones(ctx.cloud.options.catalog, ctx.region);
  // Checked for the zones the catalog knows (the vSwitch handler does not check zones against it).
  const known = zone !== undefined && ctx.cloud.options.catalog.regions[ctx.region]?.zones[zone] !== undefined;
  if (known && !natZones.includes(zone)) ctx.fail(`zone ${zone} of vswitchId '${vsw?.id}' offers no enhanced NAT gateway (ListEnhanhcedNatGatewayAvailableZones: ${natZones.join(", ") || "none"})`);
  const id = call.id ?? `ngw-${ctx.gen.alnum(21)}`;
  return {
    id,
    region: ctx.region,
    outputs: {
      ...i,
      natType,
      networkType: str(i["networkType"]) ?? "internet",
      paymentType: str(i["paymentType"]) ?? "PayAsYouGo",
      internetChargeType: str(i["internetChargeType"]) ?? "PayByLcu",
      eipBindMode: str(i["eipBindMode"]) ?? "MULTI_BINDED",
      snatTableIds: `stb-${ctx.gen.alnum(21, "stb")}`,
      forwardTableIds: `ftb-${ctx.gen.alnum(21, "ftb")}`,
      status: "Available",
    },
  };
};

const eipAddress: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  enumInput(ctx, "internetChargeType", i["internetChargeType"], ["PayByBandwidth", "PayByTraffic"]);
  enumInput(ctx, "paymentType", i["paymentType"], ["Subscription", "PayAsYouGo", "PrePaid", "PostPaid"]);
  const bandwidth = str(i["bandwidth"]) ?? "5";
  if (!/^[1-9][0-9]*$/.test(bandwidth)) ctx.fail(`bandwidth '${bandwidth}' must be a whole number of Mbit/s, as a string`);
  const id = call.id ?? `eip-${ctx.gen.alnum(20)}`;
  return {
    id,
    region: ctx.region,
    outputs: {
      ...i,
      bandwidth,
      internetChargeType: str(i["internetChargeType"]) ?? "PayByBandwidth",
      paymentType: str(i["paymentType"]) ?? "PayAsYouGo",
      allocationId: id,
      ipAddress: publicIp(id, "eip"),
      status: "Available",
      createTime: CREATE_TIME,
    },
  };
};

const eipAssociation: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "allocationId");
  requireField(ctx, call, "instanceId");
  const eip = ref(ctx, "allocationId", i["allocationId"], EIP);
  const instanceId = str(i["instanceId"]) ?? "";
  // Upstream picks Nat for `ngw-` ids when instanceType is unset; the API default is EcsInstance.
  const instanceType = str(i["instanceType"]) ?? (instanceId.startsWith("ngw-") ? "Nat" : instanceId.startsWith("lb-") ? "SlbInstance" : "EcsInstance");
  if (instanceId.startsWith("ngw-") && instanceType !== "Nat") ctx.fail(`instanceType '${instanceType}' does not match instanceId '${instanceId}', a NAT gateway (use "Nat")`);
  if (instanceType === "Nat") ref(ctx, "instanceId", instanceId, NAT);
  const allocationId = str(i["allocationId"]) ?? "";
  for (const other of ctx.cloud.ofType(ALI.eipAssociation)) {
    if (str(other.outputs["allocationId"]) === allocationId) {
      ctx.fail(`allocationId '${allocationId}' is already associated with '${str(other.outputs["instanceId"])}' (IncorrectEipStatus)`);
    }
  }
  return {
    id: call.id ?? `${allocationId}:${instanceId}`,
    region: ctx.region,
    outputs: { ...i, instanceType, ipAddress: eip ? str(eip.outputs["ipAddress"]) : undefined },
  };
};

/** The simulated NAT gateway whose SNAT table is `snatTableId`, if any. */
function natOfSnatTable(ctx: HandlerContext, snatTableId: string): CloudObject | undefined {
  return ctx.cloud.ofType(ALI.natGateway).find((n) => str(n.outputs["snatTableIds"]) === snatTableId);
}

/** EIP addresses associated with a NAT gateway. */
function natEipAddresses(ctx: HandlerContext, natId: string): string[] {
  return ctx.cloud
    .ofType(ALI.eipAssociation)
    .filter((a) => str(a.outputs["instanceId"]) === natId)
    .map((a) => str(a.outputs["ipAddress"]))
    .filter((x): x is string => x !== undefined);
}

const snatEntry: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "snatTableId");
  requireField(ctx, call, "snatIp");
  const table = str(i["snatTableId"]) ?? "";
  if (!/^stb-[a-z0-9]+$/.test(table)) ctx.fail(`snatTableId '${table}' is not a SNAT table ID (expected stb-…; pass NatGateway.snatTableIds)`);
  const given = ["sourceVswitchId", "sourceCidr"].filter((k) => i[k] !== undefined);
  if (given.length !== 1) ctx.fail(`exactly one of sourceVswitchId or sourceCidr must be set (got ${given.length ? given.join(", ") : "none"})`);
  const nat = natOfSnatTable(ctx, table);
  if (!nat) ctx.warn(`snatTableId '${table}' is a SNAT table the simulation did not create; assuming it exists`);
  const vsw = ref(ctx, "sourceVswitchId", i["sourceVswitchId"], VSW);
  const natVpc = nat ? str(nat.outputs["vpcId"]) : undefined;
  if (vsw && natVpc && str(vsw.outputs["vpcId"]) !== natVpc) {
    ctx.fail(`sourceVswitchId '${vsw.id}' is in VPC ${str(vsw.outputs["vpcId"])}, but the NAT gateway of '${table}' is in VPC ${natVpc}`);
  }
  const snatIp = str(i["snatIp"]) ?? "";
  if (nat) {
    const bound = natEipAddresses(ctx, nat.id);
    for (const ip of snatIp.split(",")) {
      if (!bound.includes(ip)) {
        ctx.fail(`snatIp '${ip}' is not an EIP associated with NAT gateway '${nat.id}' (associated: ${bound.join(", ") || "none"}); associate the EIP first`);
      }
    }
  }
  const source = str(i["sourceVswitchId"]);
  if (source !== undefined) {
    const dup = ctx.cloud.ofType(ALI.snatEntry).find((e) => str(e.outputs["sourceVswitchId"]) === source);
    if (dup) ctx.fail(`sourceVswitchId '${source}' already has SNAT entry '${dup.name}' (each vSwitch can be in only one SNAT entry)`);
  }
  const snatEntryId = `snat-${ctx.gen.alnum(20)}`;
  return {
    id: call.id ?? `${table}:${snatEntryId}`,
    region: ctx.region,
    outputs: { ...i, snatEntryId, sourceCidr: str(i["sourceCidr"]) ?? (vsw ? str(vsw.outputs["cidrBlock"]) : undefined), status: "Available" },
  };
};

/**
 * The NAT gateway a new cluster ends up with. The provider sends `snat_entry` only when
 * `newNatGateway` is true (`d.GetOk`), and CreateCluster defaults it to true, so ACK always wants
 * egress: it uses an internet NAT gateway the VPC already has ("If there is no nat gateway in the VPC,
 * you can set new_nat_gateway to true to create one", upstream docs) and otherwise creates one. A
 * vSwitch of the cluster without a SNAT entry would get one from ACK, which a later `SnatEntry` for
 * that vSwitch then collides with. Both are warned about: that is the race issue 12 describes.
 */
function clusterNat(ctx: HandlerContext, vpcId: string, vswitchIds: string[]): string {
  const nat = ctx.cloud.ofType(ALI.natGateway).find((n) => str(n.outputs["vpcId"]) === vpcId && str(n.outputs["networkType"]) !== "intranet");
  if (!nat) {
    ctx.warn(
      `ACK creates its own NAT gateway, EIP and SNAT entries in VPC ${vpcId}: the VPC has no NAT gateway yet, and CreateCluster's snat_entry defaults to true (newNatGateway: false is not sent)`,
    );
    return `ngw-${ctx.gen.alnum(21, "ngw")}`;
  }
  const covered = new Set(ctx.cloud.ofType(ALI.snatEntry).map((e) => str(e.outputs["sourceVswitchId"])));
  const missing = vswitchIds.filter((v) => !covered.has(v));
  if (missing.length) {
    ctx.warn(`ACK adds SNAT entries to NAT gateway ${nat.id} for vSwitches ${missing.join(", ")}, which have none yet; a SnatEntry created later for them fails`);
  }
  return nat.id;
}

const managedKubernetes: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  const given = ["workerVswitchIds", "vswitchIds", "zoneIds"].filter((k) => i[k] !== undefined);
  if (given.length !== 1) {
    ctx.fail(`exactly one of vswitchIds, zoneIds or workerVswitchIds must be set (got ${given.length ? given.join(", ") : "none"})`);
  }
  const vswInputs = arr(i["vswitchIds"]) ?? arr(i["workerVswitchIds"]);
  const vsws = (vswInputs ?? []).map((v, idx) => ref(ctx, `vswitchIds[${idx}]`, v, VSW));
  const vswVpcs = new Set(vsws.map((v) => (v ? str(v.outputs["vpcId"]) : undefined)).filter((v): v is string => !!v));
  if (vswVpcs.size > 1) ctx.fail(`vswitchIds span several VPCs (${[...vswVpcs].join(", ")}); they must all be in one VPC`);
  const firstVsw = vsws[0];
  const aliases: string[] = [];
  const createdVpc = vswInputs === undefined ? `vpc-${ctx.gen.alnum(21, "vpc")}` : undefined;
  if (createdVpc) aliases.push(createdVpc);
  const vpcId = (firstVsw && str(firstVsw.outputs["vpcId"])) ?? createdVpc ?? `vpc-${ctx.gen.alnum(21, "vpc")}`;
  const sg = ref(ctx, "securityGroupId", i["securityGroupId"], SG);
  const sgVpc = sg?.type === ALI.securityGroup ? str(sg.outputs["vpcId"]) : undefined;
  if (sgVpc && sgVpc !== vpcId) ctx.fail(`securityGroupId '${sg?.id}' is in VPC ${sgVpc}, but the cluster's vSwitches are in VPC ${vpcId}`);
  const vpc = ctx.cloud.lookup(vpcId, ALI.network);
  const vpcCidr = outCidr(vpc);
  const podCidr = cidrInput(ctx, "podCidr", i["podCidr"]);
  const serviceCidr = cidrInput(ctx, "serviceCidr", i["serviceCidr"]);
  if (vpcCidr && podCidr && cidrOverlaps(vpcCidr, podCidr)) {
    ctx.fail(`podCidr '${str(i["podCidr"])}' overlaps the VPC CIDR block '${str(vpc?.outputs["cidrBlock"])}'`);
  }
  if (vpcCidr && serviceCidr && cidrOverlaps(vpcCidr, serviceCidr)) {
    ctx.fail(`serviceCidr '${str(i["serviceCidr"])}' overlaps the VPC CIDR block '${str(vpc?.outputs["cidrBlock"])}'`);
  }
  if (podCidr && serviceCidr && cidrOverlaps(podCidr, serviceCidr)) {
    ctx.fail(`podCidr '${str(i["podCidr"])}' overlaps serviceCidr '${str(i["serviceCidr"])}'`);
  }
  for (const other of ctx.cloud.ofType(ALI.cluster)) {
    if (str(other.outputs["vpcId"]) !== vpcId) continue;
    for (const [mine, mineName] of [
      [podCidr, "podCidr"],
      [serviceCidr, "serviceCidr"],
    ] as const) {
      for (const theirsName of ["podCidr", "serviceCidr"]) {
        const theirs = outCidr(other, theirsName);
        if (mine && theirs && cidrOverlaps(mine, theirs)) {
          ctx.fail(`${mineName} overlaps ${theirsName} of cluster '${other.name}' in the same VPC ${vpcId}`);
        }
      }
    }
  }
  const name = str(i["name"]) ?? (str(i["namePrefix"]) ? `${str(i["namePrefix"])}${ctx.gen.hex(7, "name")}` : `${call.name}-${ctx.gen.hex(7, "name")}`);
  if (str(i["name"]) === undefined && name.length > 63) ctx.fail(`auto-generated cluster name '${name}' exceeds 63 characters; set name`);
  // CreateCluster accepts only the versions ACK offers (an existing cluster may still run an older one).
  const offered = offeredVersions(ctx.cloud.options.catalog, ctx.region).map((v) => v.version);
  const existing = (ctx.cloud.options.existingClusters ?? []).find((c) => c.name === name && c.region === ctx.region);
  const version = str(i["version"]) ?? existing?.version ?? offered[offered.length - 1];
  if (version === undefined) ctx.fail(`ACK offers no Kubernetes version in ${ctx.region}`);
  if (!offered.includes(version) && existing?.version !== version) {
    ctx.fail(`version '${version}' is not offered for new clusters in ${ctx.region} (ErrorCheckVersion); on offer: ${offered.join(", ") || "none"}`);
  }
  const id = call.id ?? `c${ctx.gen.hex(32)}`;
  const vswCidr = outCidr(firstVsw);
  const intranetIp = vswCidr ? ipInCidr(vswCidr, id, "apiserver") : privateIp(id, "apiserver");
  const publicEnabled = i["slbInternetEnabled"] !== false;
  const masterPublicIp = publicIp(id, "apiserver");
  const connections: Rec = {
    apiServerIntranet: `https://${intranetIp}:6443`,
    serviceDomain: `*.${id}.${ctx.region}.alicontainer.com`,
  };
  if (publicEnabled) {
    connections["apiServerInternet"] = `https://${masterPublicIp}:6443`;
    connections["masterPublicIp"] = masterPublicIp;
  }
  const createdSg = i["securityGroupId"] === undefined ? `sg-${ctx.gen.alnum(20, "sg")}` : undefined;
  if (createdSg) aliases.push(createdSg);
  return {
    id,
    region: ctx.region,
    aliases,
    outputs: {
      ...i,
      name,
      version,
      vpcId,
      securityGroupId: i["securityGroupId"] ?? createdSg,
      natGatewayId: clusterNat(
        ctx,
        vpcId,
        [...(vswInputs ?? []), ...(arr(i["podVswitchIds"]) ?? [])].map((v) => str(v)).filter((v): v is string => v !== undefined),
      ),
      slbId: `lb-${ctx.gen.alnum(21, "slb")}`,
      workerRamRoleName: `KubernetesWorkerRole-${ctx.gen.uuid("role")}`,
      connections,
    },
  };
};

const nodePool: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "clusterId");
  const cluster = ref(ctx, "clusterId", i["clusterId"], CLUSTER);
  const names = ["nodePoolName", "name"].filter((k) => i[k] !== undefined);
  if (names.length !== 1) ctx.fail(`exactly one of nodePoolName or name must be set (got ${names.length ? names.join(", ") : "none"})`);
  const clusterVpc = cluster ? str(cluster.outputs["vpcId"]) : undefined;
  (arr(i["vswitchIds"]) ?? []).forEach((v, idx) => {
    const vsw = ref(ctx, `vswitchIds[${idx}]`, v, VSW);
    const vpc = vsw ? str(vsw.outputs["vpcId"]) : undefined;
    if (vpc && clusterVpc && vpc !== clusterVpc) {
      ctx.fail(`vswitchIds[${idx}] '${vsw?.id}' is in VPC ${vpc}, but the cluster is in VPC ${clusterVpc}`);
    }
  });
  const clusterId = str(i["clusterId"]) ?? "c-unknown";
  const nodePoolId = `np${ctx.gen.hex(32)}`;
  const outputs: Rec = { ...i, nodePoolId, scalingGroupId: `asg-${ctx.gen.alnum(20, "asg")}` };
  for (const k of ["password", "kmsEncryptedPassword"]) if (outputs[k] !== undefined) outputs[k] = asSecret(outputs[k]);
  return { id: call.id ?? `${clusterId}:${nodePoolId}`, region: ctx.region, aliases: [nodePoolId], outputs };
};

const kubernetesAddon: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  requireField(ctx, call, "clusterId");
  if (i["name"] === undefined) {
    ctx.fail("name is required: without it the bridge auto-names the add-on '<resourceName>-<7 hex>', which is not an ACK add-on");
  }
  ref(ctx, "clusterId", i["clusterId"], CLUSTER);
  const clusterId = str(i["clusterId"]) ?? "c-unknown";
  return {
    id: call.id ?? `${clusterId}:${str(i["name"]) ?? "unknown"}`,
    region: ctx.region,
    outputs: { ...i, canUpgrade: false, nextVersion: "", required: false },
  };
};

defineResources({
  [ALI.provider]: (call, ctx) => {
    const region = str(call.inputs["region"]) ?? ctx.cloud.options.defaultRegion;
    // The provider validates the region against its static list (connectivity/config.go validateRegion).
    if (!PROVIDER_REGIONS.includes(region) && call.inputs["skipRegionValidation"] !== true) {
      ctx.fail(`Invalid Alibaba Cloud region: ${region}. You can skip checking this region by setting provider parameter 'skip_region_validation'.`);
    }
    return { id: call.id ?? ctx.gen.uuid("provider"), outputs: { ...call.inputs }, extra: { region } };
  },
  [ALI.network]: withRead(network),
  [ALI.vswitch]: withRead(vswitch),
  [ALI.securityGroup]: withRead(securityGroup),
  [ALI.securityGroupRule]: withRead(securityGroupRule),
  [ALI.cen]: withRead(cenInstance),
  [ALI.bandwidthPackage]: withRead(bandwidthPackage),
  [ALI.transitRouter]: withRead(transitRouter),
  [ALI.trRouteTable]: withRead(trRouteTable),
  [ALI.trVpcAttachment]: withRead(trVpcAttachment),
  [ALI.trPeerAttachment]: withRead(trPeerAttachment),
  [ALI.trAssociation]: withRead(trBinding("association")),
  [ALI.trPropagation]: withRead(trBinding("propagation")),
  [ALI.cluster]: withRead(managedKubernetes),
  [ALI.nodePool]: withRead(nodePool),
  [ALI.addon]: withRead(kubernetesAddon),
  [ALI.natGateway]: withRead(natGateway),
  [ALI.eip]: withRead(eipAddress),
  [ALI.eipAssociation]: withRead(eipAssociation),
  [ALI.snatEntry]: withRead(snatEntry),
});

// ---------------------------------------------------------------------------------------------------
// Invokes

function findCluster(ctx: InvokeContext, clusterId: string | undefined): CloudObject {
  if (clusterId === undefined) ctx.fail("clusterId is required");
  const cluster = ctx.cloud.lookup(clusterId, ALI.cluster);
  if (!cluster) {
    const known = ctx.cloud.ofType(ALI.cluster).map((c) => `${c.id} ('${c.name}')`);
    ctx.fail(`unknown cluster '${clusterId}'; the simulation created: ${known.join(", ") || "no clusters"}`);
  }
  return cluster;
}

defineInvokes({
  [ALI_INVOKES.getClusterCredential]: (args: Rec, ctx: InvokeContext) => {
    const cluster = findCluster(ctx, str(args["clusterId"]));
    const client = clientCredentials(cluster.id);
    const result: Rec = {
      id: cluster.id,
      clusterId: cluster.id,
      clusterName: str(cluster.outputs["name"]) ?? cluster.name,
      kubeConfig: kubeconfigFor(cluster),
      certificateAuthority: {
        clusterCert: b64(clusterCaPem(cluster.id)),
        clientCert: b64(client.cert),
        clientKey: b64(client.key),
      },
      expiration: CREDENTIAL_EXPIRATION,
    };
    if (args["temporaryDurationMinutes"] !== undefined) result["temporaryDurationMinutes"] = args["temporaryDurationMinutes"];
    if (args["outputFile"] !== undefined) result["outputFile"] = args["outputFile"];
    return result;
  },
  [ALI_INVOKES.getTransitRouterRouteTables]: (args: Rec, ctx: InvokeContext) => {
    const trId = str(args["transitRouterId"]);
    if (trId === undefined) ctx.fail("transitRouterId is required");
    if (!/^tr-[a-z0-9]+$/.test(trId)) ctx.fail(`transitRouterId '${trId}' is not a Transit Router ID (expected tr-…); ${TR.compositeHint}`);
    const tr = ctx.cloud.lookup(trId, ALI.transitRouter);
    if (!tr) {
      const known = ctx.cloud.ofType(ALI.transitRouter).map((t) => `${str(t.outputs["transitRouterId"])} ('${t.name}')`);
      ctx.fail(`unknown Transit Router '${trId}'; the simulation created: ${known.join(", ") || "none"}`);
    }
    const tables: Rec[] = [
      {
        id: String(tr.extra["systemRouteTableId"]),
        transitRouterRouteTableId: String(tr.extra["systemRouteTableId"]),
        transitRouterRouteTableName: "",
        transitRouterRouteTableDescription: "",
        transitRouterRouteTableType: "System",
        status: "Active",
      },
    ];
    for (const rt of ctx.cloud.ofType(ALI.trRouteTable)) {
      if (str(rt.outputs["transitRouterId"]) !== trId) continue;
      tables.push({
        id: str(rt.outputs["transitRouterRouteTableId"]),
        transitRouterRouteTableId: str(rt.outputs["transitRouterRouteTableId"]),
        transitRouterRouteTableName: str(rt.outputs["transitRouterRouteTableName"]) ?? "",
        transitRouterRouteTableDescription: str(rt.outputs["transitRouterRouteTableDescription"]) ?? "",
        transitRouterRouteTableType: "Custom",
        status: "Active",
      });
    }
    const ids = arr(args["ids"]) ?? arr(args["transitRouterRouteTableIds"]);
    const names = arr(args["transitRouterRouteTableNames"]);
    const type = str(args["transitRouterRouteTableType"]);
    const status = str(args["transitRouterRouteTableStatus"]) ?? str(args["status"]);
    const nameRegex = str(args["nameRegex"]);
    const filtered = tables.filter(
      (t) =>
        (!ids || ids.includes(t["id"])) &&
        (!names || names.includes(t["transitRouterRouteTableName"])) &&
        (!type || t["transitRouterRouteTableType"] === type) &&
        (!status || t["status"] === status) &&
        (!nameRegex || new RegExp(nameRegex).test(String(t["transitRouterRouteTableName"]))),
    );
    return {
      ...args,
      id: trId,
      transitRouterId: trId,
      ids: filtered.map((t) => t["id"]),
      names: filtered.map((t) => t["transitRouterRouteTableName"]),
      tables: filtered,
    };
  },
});
