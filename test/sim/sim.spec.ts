import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import { ACCOUNT_INVOKES as ALI_ACCOUNT } from "../../sim/alicloudAccount";
import { READER_TOKEN_SECRET_NAME } from "../../components/remoteSecret";
import { CanonicalPlan, canonicalPlan, diffPlans } from "../../sim";
import { runAckMesh } from "../../programs/ack-mesh/program";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { parse as yamlParse } from "yaml";
import {
  ALIBABA_LB_ADDRESS_TYPE,
  CREDENTIAL_EXPIRATION,
  RecordedResource,
  Secret,
  SimulationError,
  SimulationResult,
  UNKNOWN,
  isSecretAt,
  readStackConfig,
  redact,
  resolveOutput,
  secretPlaceholder,
  simulate,
  unwrapSecrets,
} from "../../sim";

const STACK_URN = "urn:pulumi:dev::ack-mesh::pulumi:pulumi:Stack::ack-mesh-dev";
const T = {
  network: "alicloud:vpc/network:Network",
  vswitch: "alicloud:vpc/switch:Switch",
  cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
  nodePool: "alicloud:cs/nodePool:NodePool",
  tr: "alicloud:cen/transitRouter:TransitRouter",
  trRt: "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable",
  trVpcAtt: "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment",
  sgRule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
  k8sSecret: "kubernetes:core/v1:Secret",
};

/** A tiny component, to check parents and URNs. */
class Box extends pulumi.ComponentResource {
  readonly vpc: alicloud.vpc.Network;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Box", name, {}, opts);
    this.vpc = new alicloud.vpc.Network(`${name}-vpc`, { cidrBlock: "10.0.0.0/16", vpcName: name }, { parent: this });
    this.registerOutputs({ vpcId: this.vpc.id });
  }
}

interface Net {
  provider: alicloud.Provider;
  vpc: alicloud.vpc.Network;
  vsw: alicloud.vpc.Switch;
  cluster: alicloud.cs.ManagedKubernetes;
}

/**
 * Region provider + VPC + vSwitch + the VPC's egress (NAT gateway, EIP, SNAT; unless `withEgress` is
 * false) + an ACK cluster that waits for it: the common base of several tests.
 */
function network(prefix: string, region: string, cidr: string, vswCidr: string, withEgress = true): Net {
  const provider = new alicloud.Provider(`${prefix}-provider`, { region });
  const vpc = new alicloud.vpc.Network(`${prefix}-vpc`, { cidrBlock: cidr, vpcName: prefix }, { provider });
  const vsw = new alicloud.vpc.Switch(
    `${prefix}-vsw`,
    { vpcId: vpc.id, cidrBlock: vswCidr, zoneId: `${region}-h`, vswitchName: prefix },
    { provider },
  );
  const egress: pulumi.Resource[] = [];
  if (withEgress) {
    const nat = new alicloud.vpc.NatGateway(`${prefix}-nat`, { vpcId: vpc.id, vswitchId: vsw.id, natType: "Enhanced" }, { provider });
    const eip = new alicloud.ecs.EipAddress(`${prefix}-eip`, { internetChargeType: "PayByTraffic" }, { provider });
    const assoc = new alicloud.ecs.EipAssociation(`${prefix}-eip-assoc`, { allocationId: eip.id, instanceId: nat.id, instanceType: "Nat" }, { provider });
    egress.push(new alicloud.vpc.SnatEntry(`${prefix}-snat`, { snatTableId: nat.snatTableIds, sourceVswitchId: vsw.id, snatIp: eip.ipAddress }, { provider, dependsOn: [assoc] }));
  }
  const cluster = new alicloud.cs.ManagedKubernetes(
    `${prefix}-cluster`,
    { vswitchIds: [vsw.id], podCidr: "172.20.0.0/16", serviceCidr: "172.21.0.0/20" },
    { provider, dependsOn: egress },
  );
  return { provider, vpc, vsw, cluster };
}

/** k8s provider from the cluster's credential, as AckCluster would build it. */
function kubeProvider(prefix: string, net: Net): k8s.Provider {
  const cred = alicloud.cs.getClusterCredentialOutput({ clusterId: net.cluster.id }, { provider: net.provider });
  return new k8s.Provider(`${prefix}-k8s`, { kubeconfig: pulumi.secret(cred.kubeConfig) });
}

async function expectFailure(p: Promise<SimulationResult>): Promise<SimulationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SimulationError, `expected SimulationError, got ${String(e)}`);
    return e;
  }
  assert.fail("simulate() resolved, expected a SimulationError");
}

/** `await` a promise/value-producing Output without depending on Output internals. */
function valueOf<U>(o: pulumi.Output<U>): Promise<U> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

describe("sim: simulated cloud", function () {
  this.timeout(20_000);

  describe("recording", () => {
    let res: SimulationResult;
    let secretOut: pulumi.Output<string> | undefined;

    before(async () => {
      res = await simulate(() => {
        const provider = new alicloud.Provider("hz", { region: "cn-hangzhou" });
        const box = new Box("box", { providers: { alicloud: provider } });
        const vsw = new alicloud.vpc.Switch(
          "vsw",
          { vpcId: box.vpc.id, cidrBlock: "10.0.1.0/24", zoneId: "cn-hangzhou-h", description: pulumi.secret("hush") },
          { provider, protect: true, deleteBeforeReplace: true, ignoreChanges: ["tags"], retainOnDelete: true, replaceOnChanges: ["cidrBlock"] },
        );
        const sg = new alicloud.ecs.SecurityGroup(
          "sg",
          { vpcId: box.vpc.id, tags: { nested: pulumi.secret("s3") } as unknown as Record<string, string>, securityGroupName: "sg" },
          { provider, dependsOn: [vsw], additionalSecretOutputs: ["securityGroupName"], aliases: [{ name: "old-sg" }] },
        );
        secretOut = sg.securityGroupName;
        return { vpcId: box.vpc.id, token: pulumi.secret("t0k"), nested: { list: [1, pulumi.secret(2)] } };
      });
    });

    it("records the stack root, component, parents and URNs like the engine", () => {
      assert.deepEqual(
        res.resources.map((r) => [r.type, r.name, r.parent ?? null]),
        [
          ["pulumi:pulumi:Stack", "ack-mesh-dev", null],
          ["pulumi:providers:alicloud", "hz", STACK_URN],
          ["test:index:Box", "box", STACK_URN],
          [T.network, "box-vpc", "urn:pulumi:dev::ack-mesh::test:index:Box::box"],
          [T.vswitch, "vsw", STACK_URN],
          ["alicloud:ecs/securityGroup:SecurityGroup", "sg", STACK_URN],
        ],
      );
      assert.equal(res.stackUrn, STACK_URN);
      assert.equal(res.get(T.network, "box-vpc").urn, "urn:pulumi:dev::ack-mesh::test:index:Box$alicloud:vpc/network:Network::box-vpc");
      const box = res.get("test:index:Box", "box");
      assert.equal(box.custom, false);
      assert.equal(box.id, undefined);
      assert.deepEqual(res.childrenOf(box.urn).map((r) => r.name), ["box-vpc"]);
      assert.deepEqual(box.outputs, { vpcId: res.get(T.network, "box-vpc").id });
    });

    it("records resource options and the provider reference", () => {
      const provider = res.get("pulumi:providers:alicloud", "hz");
      const vsw = res.get(T.vswitch, "vsw");
      assert.equal(vsw.provider, `${provider.urn}::${provider.id}`);
      assert.equal(vsw.providerUrn, provider.urn);
      assert.equal(vsw.protect, true);
      assert.equal(vsw.deleteBeforeReplace, true);
      assert.equal(vsw.retainOnDelete, true);
      assert.deepEqual(vsw.ignoreChanges, ["tags"]);
      assert.deepEqual(vsw.replaceOnChanges, ["cidrBlock"]);
      assert.deepEqual(vsw.dependencies, [res.get(T.network, "box-vpc").urn]);
      assert.deepEqual(vsw.propertyDependencies["vpcId"], [res.get(T.network, "box-vpc").urn]);
      const sg = res.get("alicloud:ecs/securityGroup:SecurityGroup", "sg");
      assert.deepEqual(sg.dependencies, [res.get(T.network, "box-vpc").urn, vsw.urn].sort());
      assert.deepEqual(sg.additionalSecretOutputs, ["securityGroupName"]);
      assert.deepEqual(sg.aliases, [{ name: "old-sg", parentUrn: STACK_URN }]);
      assert.equal(sg.protect, false);
      // The component got its provider through `providers`, and its child inherited it.
      assert.equal(res.get(T.network, "box-vpc").providerUrn, provider.urn);
    });

    it("records secret inputs as Secret where they occur", () => {
      const vsw = res.get(T.vswitch, "vsw");
      assert.deepEqual(vsw.inputs["description"], new Secret("hush"));
      assert.ok(isSecretAt(vsw.inputs, ["description"]));
      assert.ok(!isSecretAt(vsw.inputs, ["cidrBlock"]));
      const sg = res.get("alicloud:ecs/securityGroup:SecurityGroup", "sg");
      assert.deepEqual(sg.inputs["tags"], { nested: new Secret("s3") });
      assert.ok(isSecretAt(sg.inputs, ["tags", "nested"]));
      assert.ok(!isSecretAt(sg.inputs, ["tags"]));
    });

    it("makes additionalSecretOutputs and secret inputs secret in the returned state", async () => {
      const sg = res.get("alicloud:ecs/securityGroup:SecurityGroup", "sg");
      assert.deepEqual(sg.outputs["securityGroupName"], new Secret("sg"));
      assert.ok(secretOut);
      assert.equal(await pulumi.isSecret(secretOut), true);
      assert.deepEqual(await resolveOutput(secretOut), { value: "sg", isKnown: true, isSecret: true });
      assert.deepEqual(res.get(T.vswitch, "vsw").outputs["description"], new Secret("hush"));
    });

    it("captures stack outputs with secret-ness", () => {
      assert.deepEqual(res.outputs, {
        vpcId: res.get(T.network, "box-vpc").id,
        token: new Secret("t0k"),
        nested: { list: [1, new Secret(2)] },
      });
      assert.deepEqual(redact(res.outputs), { vpcId: res.get(T.network, "box-vpc").id, token: "[secret]", nested: { list: [1, "[secret]"] } });
    });

    it("byName/get helpers find resources and explain misses", () => {
      assert.equal(res.byName("vsw")?.type, T.vswitch);
      assert.equal(res.byName("nope"), undefined);
      assert.equal(res.byType(T.network).length, 1);
      assert.throws(() => res.get(T.network, "vpc"), /no resource alicloud:vpc\/network:Network named 'vpc'[\s\S]*same type: 'box-vpc'/);
    });
  });

  describe("alicloud", () => {
    let res: SimulationResult;
    let trId: pulumi.Output<string> | undefined;
    let npId: pulumi.Output<string> | undefined;
    let kube1: pulumi.Output<string> | undefined;
    let kube2: pulumi.Output<string> | undefined;
    let rtIds: pulumi.Output<string[]> | undefined;

    before(async () => {
      res = await simulate(() => {
        const a = network("hz", "cn-hangzhou", "10.0.0.0/16", "10.0.1.0/24");
        const cen = new alicloud.cen.Instance("cen", { cenInstanceName: "mesh" });
        const tr = new alicloud.cen.TransitRouter("tr", { cenId: cen.id }, { provider: a.provider });
        const rt = new alicloud.cen.TransitRouterRouteTable("rt", { transitRouterId: tr.transitRouterId }, { provider: a.provider });
        const att = new alicloud.cen.TransitRouterVpcAttachment(
          "att",
          { cenId: cen.id, transitRouterId: tr.transitRouterId, vpcId: a.vpc.id, zoneMappings: [{ vswitchId: a.vsw.id, zoneId: "cn-hangzhou-h" }] },
          { provider: a.provider },
        );
        new alicloud.cen.TransitRouterRouteTableAssociation(
          "assoc",
          { transitRouterAttachmentId: att.transitRouterAttachmentId, transitRouterRouteTableId: rt.transitRouterRouteTableId },
          { provider: a.provider },
        );
        const np = new alicloud.cs.NodePool(
          "np",
          { clusterId: a.cluster.id, nodePoolName: "default", vswitchIds: [a.vsw.id], instanceTypes: ["ecs.g7.xlarge"], password: "P@ssw0rd!" },
          { provider: a.provider },
        );
        new alicloud.ecs.SecurityGroupRule(
          "rule",
          { securityGroupId: a.cluster.securityGroupId, type: "ingress", ipProtocol: "tcp", portRange: "15443/15443", cidrIp: "10.1.0.0/16" },
          { provider: a.provider },
        );
        trId = tr.transitRouterId;
        npId = np.nodePoolId;
        kube1 = alicloud.cs.getClusterCredentialOutput({ clusterId: a.cluster.id }, { provider: a.provider }).kubeConfig;
        kube2 = alicloud.cs.getClusterCredentialOutput({ clusterId: a.cluster.id }, { provider: a.provider }).kubeConfig;
        rtIds = alicloud.cen.getTransitRouterRouteTablesOutput(
          { transitRouterId: tr.transitRouterId, transitRouterRouteTableType: "System" },
          { provider: a.provider },
        ).ids;
        // Second region, peered through the Transit Routers; the peer side associates the attachment
        // with its system route table.
        const b = network("sh", "cn-shanghai", "10.1.0.0/16", "10.1.1.0/24");
        const trB = new alicloud.cen.TransitRouter("tr-sh", { cenId: cen.id }, { provider: b.provider });
        const peer = new alicloud.cen.TransitRouterPeerAttachment(
          "peer",
          { cenId: cen.id, transitRouterId: tr.transitRouterId, peerTransitRouterId: trB.transitRouterId, peerTransitRouterRegionId: "cn-shanghai" },
          { provider: a.provider },
        );
        const shSystem = alicloud.cen.getTransitRouterRouteTablesOutput(
          { transitRouterId: trB.transitRouterId, transitRouterRouteTableType: "System" },
          { provider: b.provider },
        );
        new alicloud.cen.TransitRouterRouteTableAssociation(
          "peer-assoc-sh",
          { transitRouterAttachmentId: peer.transitRouterAttachmentId, transitRouterRouteTableId: shSystem.ids[0] },
          { provider: b.provider },
        );
        return {};
      });
    });

    it("gives Alibaba-shaped and composite IDs", async () => {
      const vpc = res.get(T.network, "hz-vpc");
      assert.match(vpc.id ?? "", /^vpc-[a-z0-9]{21}$/);
      assert.match(res.get(T.vswitch, "hz-vsw").id ?? "", /^vsw-[a-z0-9]{21}$/);
      assert.match(res.get("alicloud:cen/instance:Instance", "cen").id ?? "", /^cen-[a-z0-9]{18}$/);
      assert.equal(vpc.outputs["regionId"], "cn-hangzhou");
      assert.equal(vpc.outputs["status"], "Available");
      assert.match(String(vpc.outputs["routeTableId"]), /^vtb-/);

      const tr = res.get(T.tr, "tr");
      const cenId = res.get("alicloud:cen/instance:Instance", "cen").id;
      const bareTr = String(tr.outputs["transitRouterId"]);
      assert.match(bareTr, /^tr-[a-z0-9]{21}$/);
      assert.equal(tr.id, `${cenId}:${bareTr}`);
      assert.equal(await valueOf(trId as pulumi.Output<string>), bareTr);
      assert.equal(tr.outputs["status"], "Active");
      assert.equal(tr.outputs["type"], "Enterprise");

      const rt = res.get(T.trRt, "rt");
      assert.equal(rt.id, `${bareTr}:${String(rt.outputs["transitRouterRouteTableId"])}`);
      const att = res.get(T.trVpcAtt, "att");
      const attId = String(att.outputs["transitRouterAttachmentId"]);
      assert.match(attId, /^tr-attach-[a-z0-9]{18}$/);
      assert.equal(att.id, `${cenId}:${attId}`);
      assert.equal(att.outputs["status"], "Attached");
      const assoc = res.get("alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation", "assoc");
      assert.equal(assoc.id, `${attId}:${String(rt.outputs["transitRouterRouteTableId"])}`);

      const cluster = res.get(T.cluster, "hz-cluster");
      const np = res.get(T.nodePool, "np");
      const bareNp = String(np.outputs["nodePoolId"]);
      assert.match(bareNp, /^np[0-9a-f]{32}$/);
      assert.equal(np.id, `${cluster.id}:${bareNp}`);
      assert.equal(await valueOf(npId as pulumi.Output<string>), bareNp);
      assert.ok(np.outputs["password"] instanceof Secret);

      const sg = String(cluster.outputs["securityGroupId"]);
      assert.equal(res.get(T.sgRule, "rule").id, `${sg}:ingress:tcp:15443/15443:internet:10.1.0.0/16:accept:1`);
    });

    it("derives the cluster's VPC and endpoints from the registry", () => {
      const cluster = res.get(T.cluster, "hz-cluster");
      assert.match(cluster.id ?? "", /^c[0-9a-f]{32}$/);
      assert.equal(cluster.outputs["vpcId"], res.get(T.network, "hz-vpc").id);
      const conn = cluster.outputs["connections"] as Record<string, string>;
      assert.match(conn["apiServerInternet"], /^https:\/\/47\.\d+\.\d+\.\d+:6443$/);
      assert.match(conn["apiServerIntranet"], /^https:\/\/10\.0\.1\.\d+:6443$/);
      assert.equal(conn["serviceDomain"], `*.${cluster.id}.cn-hangzhou.alicontainer.com`);
      assert.match(String(cluster.outputs["name"]), /^hz-cluster-[0-9a-f]{7}$/);
    });

    it("getClusterCredential returns a stable kubeconfig for the cluster's public endpoint", async () => {
      const cluster = res.get(T.cluster, "hz-cluster");
      const k1 = await valueOf(kube1 as pulumi.Output<string>);
      const k2 = await valueOf(kube2 as pulumi.Output<string>);
      assert.equal(k1, k2);
      const doc = yamlParse(k1);
      const conn = cluster.outputs["connections"] as Record<string, string>;
      assert.equal(doc.kind, "Config");
      assert.equal(doc.clusters[0].cluster.server, conn["apiServerInternet"]);
      assert.match(Buffer.from(doc.clusters[0].cluster["certificate-authority-data"], "base64").toString(), /^-----BEGIN CERTIFICATE-----\n/);
      assert.ok(doc.users[0].user["client-key-data"]);
      const inv = res.invokes.filter((i) => i.token === "alicloud:cs/getClusterCredential:getClusterCredential");
      assert.equal(inv.length, 2);
      assert.deepEqual(inv[0].inputs, { clusterId: cluster.id });
      assert.equal(inv[0].result["expiration"], CREDENTIAL_EXPIRATION);
      assert.deepEqual(inv[0].result, inv[1].result);
    });

    it("getTransitRouterRouteTables returns the Transit Router's System table", async () => {
      const ids = await valueOf(rtIds as pulumi.Output<string[]>);
      assert.equal(ids.length, 1);
      assert.match(ids[0], /^vtb-[a-z0-9]{21}$/);
      assert.notEqual(ids[0], res.get(T.trRt, "rt").outputs["transitRouterRouteTableId"]);
    });

    it("peers Transit Routers across regions without warnings", () => {
      const peer = res.get("alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment", "peer");
      assert.equal(peer.outputs["regionId"], "cn-hangzhou");
      assert.equal(peer.outputs["peerTransitRouterRegionId"], "cn-shanghai");
      assert.equal(res.get(T.tr, "tr-sh").outputs["regionId"], "cn-shanghai");
      const assoc = res.get("alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation", "peer-assoc-sh");
      assert.match(assoc.id ?? "", /^tr-attach-[a-z0-9]{18}:vtb-[a-z0-9]{21}$/);
      assert.deepEqual(res.warnings, []);
      assert.deepEqual(res.logs, []);
    });
  });

  describe("alicloud internet egress (NAT gateway, EIP, SNAT; issue 12, item 5)", () => {
    const NAT = "alicloud:vpc/natGateway:NatGateway";
    const SNAT = "alicloud:vpc/snatEntry:SnatEntry";

    /** VPC + vSwitch + enhanced NAT gateway + EIP (+ association unless `associate` is false). */
    function egress(associate = true) {
      const provider = new alicloud.Provider("hz-provider", { region: "cn-hangzhou" });
      const vpc = new alicloud.vpc.Network("vpc", { cidrBlock: "10.0.0.0/16", vpcName: "v" }, { provider });
      const vsw = new alicloud.vpc.Switch("vsw", { vpcId: vpc.id, cidrBlock: "10.0.1.0/24", zoneId: "cn-hangzhou-h" }, { provider });
      const nat = new alicloud.vpc.NatGateway("nat", { vpcId: vpc.id, vswitchId: vsw.id, natType: "Enhanced", natGatewayName: "n" }, { provider });
      const eip = new alicloud.ecs.EipAddress("eip", { addressName: "e", bandwidth: "10", internetChargeType: "PayByTraffic" }, { provider });
      const assoc = associate ? new alicloud.ecs.EipAssociation("assoc", { allocationId: eip.id, instanceId: nat.id, instanceType: "Nat" }, { provider }) : undefined;
      return { provider, vpc, vsw, nat, eip, assoc };
    }

    it("creates the chain with realistic ids and outputs, and a cluster in that VPC uses its NAT gateway", async () => {
      const res = await simulate(() => {
        const e = egress();
        new alicloud.vpc.SnatEntry("snat", { snatTableId: e.nat.snatTableIds, sourceVswitchId: e.vsw.id, snatIp: e.eip.ipAddress }, { provider: e.provider, dependsOn: [e.assoc!] });
        new alicloud.cs.ManagedKubernetes(
          "c",
          { name: "c", vswitchIds: [e.vsw.id], podCidr: "172.20.0.0/16", serviceCidr: "172.21.0.0/20", newNatGateway: false },
          { provider: e.provider, dependsOn: [e.assoc!] },
        );
      });
      const nat = res.get(NAT, "nat");
      assert.match(nat.id!, /^ngw-[a-z0-9]+$/);
      assert.match(String(nat.outputs.snatTableIds), /^stb-[a-z0-9]+$/);
      assert.equal(nat.outputs.networkType, "internet");
      const eip = res.get("alicloud:ecs/eipAddress:EipAddress", "eip");
      assert.match(eip.id!, /^eip-[a-z0-9]+$/);
      assert.match(String(eip.outputs.ipAddress), /^\d+\.\d+\.\d+\.\d+$/);
      const snat = res.get(SNAT, "snat");
      assert.match(snat.id!, new RegExp(`^${String(nat.outputs.snatTableIds)}:snat-[a-z0-9]+$`));
      assert.equal(snat.outputs.sourceCidr, "10.0.1.0/24");
      assert.equal(res.get(T.cluster, "c").outputs.natGatewayId, nat.id);
      assert.deepEqual(res.warnings, []);
    });

    it("warns that ACK makes its own NAT gateway when the cluster's VPC has none (snat_entry defaults to true)", async () => {
      const res = await simulate(() => network("hz", "cn-hangzhou", "10.0.0.0/16", "10.0.1.0/24", false));
      assert.equal(res.warnings.length, 1);
      assert.match(res.warnings[0], /ACK creates its own NAT gateway, EIP and SNAT entries in VPC vpc-[a-z0-9]+: the VPC has no NAT gateway yet, and CreateCluster's snat_entry defaults to true \(newNatGateway: false is not sent\)/);
    });

    const rejected: [string, () => void, RegExp][] = [
      [
        "a SNAT entry whose EIP is not yet associated with the NAT gateway",
        () => {
          const e = egress(false);
          new alicloud.vpc.SnatEntry("snat", { snatTableId: e.nat.snatTableIds, sourceVswitchId: e.vsw.id, snatIp: e.eip.ipAddress }, { provider: e.provider });
        },
        /snatIp '[\d.]+' is not an EIP associated with NAT gateway 'ngw-[a-z0-9]+' \(associated: none\); associate the EIP first/,
      ],
      [
        "a second SNAT entry for the same vSwitch",
        () => {
          const e = egress();
          for (const n of ["s1", "s2"]) {
            new alicloud.vpc.SnatEntry(n, { snatTableId: e.nat.snatTableIds, sourceVswitchId: e.vsw.id, snatIp: e.eip.ipAddress }, { provider: e.provider, dependsOn: [e.assoc!] });
          }
        },
        /already has SNAT entry 's1' \(each vSwitch can be in only one SNAT entry\)/,
      ],
      [
        "a Normal NAT gateway",
        () => {
          const e = egress();
          new alicloud.vpc.NatGateway("normal", { vpcId: e.vpc.id, vswitchId: e.vsw.id, natType: "Normal" }, { provider: e.provider });
        },
        /natType 'Normal' must be one of Enhanced \(Normal NAT gateways can no longer be created, 3.108 d.ts\)/,
      ],
      [
        "an enhanced NAT gateway without a vSwitch",
        () => {
          const e = egress();
          new alicloud.vpc.NatGateway("novsw", { vpcId: e.vpc.id }, { provider: e.provider });
        },
        /vswitchId is required for an Enhanced NAT gateway/,
      ],
      [
        "binding an EIP to a NAT gateway as an ECS instance",
        () => {
          const e = egress(false);
          new alicloud.ecs.EipAssociation("a", { allocationId: e.eip.id, instanceId: e.nat.id, instanceType: "EcsInstance" }, { provider: e.provider });
        },
        /instanceType 'EcsInstance' does not match instanceId 'ngw-[a-z0-9]+', a NAT gateway \(use "Nat"\)/,
      ],
      [
        "a SNAT table id that is not one (the NAT gateway id)",
        () => {
          const e = egress();
          new alicloud.vpc.SnatEntry("snat", { snatTableId: e.nat.id, sourceVswitchId: e.vsw.id, snatIp: e.eip.ipAddress }, { provider: e.provider, dependsOn: [e.assoc!] });
        },
        /snatTableId 'ngw-[a-z0-9]+' is not a SNAT table ID \(expected stb-…; pass NatGateway.snatTableIds\)/,
      ],
    ];
    for (const [what, program, message] of rejected) {
      it(`rejects ${what}`, async () => {
        const err = await expectFailure(simulate(program));
        assert.match(err.message, message);
      });
    }
  });

  describe("moving an existing stack to one egress per VPC (issue 12, items 5 and 6)", function () {
    this.timeout(120_000);
    const EGRESS = new Set([
      "alicloud:vpc/natGateway:NatGateway",
      "alicloud:ecs/eipAddress:EipAddress",
      "alicloud:ecs/eipAssociation:EipAssociation",
      "alicloud:vpc/snatEntry:SnatEntry",
    ]);
    const isIcmp = (r: { type: string; inputs: Record<string, unknown> }) => r.type === T.sgRule && r.inputs.ipProtocol === "icmp";

    /**
     * The plan the code before this change produced, rebuilt from today's: no egress resources, no
     * ICMP rules, and every cluster with `newNatGateway: true` and no dependency on them. Everything
     * else the change left alone, which the component specs assert child by child.
     */
    function oldLayout(plan: CanonicalPlan): CanonicalPlan {
      const gone = new Set(plan.resources.filter((r) => EGRESS.has(r.type) || isIcmp(r)).map((r) => r.urn));
      return {
        ...plan,
        resources: plan.resources
          .filter((r) => !gone.has(r.urn))
          .map((r) => ({
            ...r,
            dependencies: r.dependencies.filter((d) => !gone.has(d)),
            inputs: r.type === T.cluster ? { ...r.inputs, newNatGateway: true } : r.inputs,
          })),
      };
    }

    for (const stack of ["dev", "staging", "prod"]) {
      it(`${stack}: only creates (egress, ICMP rules) and in-place cluster updates of newNatGateway, never a replacement`, async () => {
        const { config, secretConfigKeys } = readStackConfig(path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`));
        const now = canonicalPlan(await simulate(runAckMesh, { project: "ack-mesh", stack, config, secretConfigKeys }), { stack, project: "ack-mesh" });
        const diff = diffPlans(oldLayout(now), now);
        assert.deepEqual(diff.warnings, []);
        assert.deepEqual(diff.counts.replace + diff.counts.delete, 0, diff.resources.filter((r) => r.kind === "replace" || r.kind === "delete").map((r) => r.name).join(", "));
        const created = diff.resources.filter((r) => r.kind === "create");
        assert.ok(created.length > 0);
        const nowByUrn = new Map(now.resources.map((r) => [r.urn, r]));
        for (const r of created) assert.ok(EGRESS.has(r.type) || isIcmp(nowByUrn.get(r.urn)!), `unexpected create ${r.name}`);
        // One NAT gateway, EIP and association per VPC; one SNAT entry per vSwitch.
        const count = (type: string) => now.resources.filter((r) => r.type === type).length;
        assert.equal(count("alicloud:vpc/natGateway:NatGateway"), count("alicloud:vpc/network:Network"));
        assert.equal(count("alicloud:ecs/eipAssociation:EipAssociation"), count("alicloud:vpc/network:Network"));
        assert.equal(count("alicloud:vpc/snatEntry:SnatEntry"), count(T.vswitch));
        const updated = diff.resources.filter((r) => r.kind === "update");
        assert.deepEqual(updated.map((r) => r.type), now.resources.filter((r) => r.type === T.cluster).map(() => T.cluster));
        for (const r of updated) {
          assert.deepEqual(
            r.changes.map((c) => [c.path, c.old, c.new, c.forcesReplacement]),
            [["newNatGateway", true, false, false]],
            r.name,
          );
          // …and the cluster now waits for its VPC's egress.
          assert.ok(nowByUrn.get(r.urn)!.dependencies.some((d) => d.includes("SnatEntry")), `${r.name} waits for SNAT entries`);
        }
      });
    }
  });

  describe("kubernetes", () => {
    async function gatewayIp(annotations: Record<string, string> | undefined): Promise<{ ip: string; res: SimulationResult }> {
      let ip: pulumi.Output<string> | undefined;
      const res = await simulate(() => {
        const net = network("hz", "cn-hangzhou", "10.0.0.0/16", "10.0.8.0/22");
        const provider = kubeProvider("hz", net);
        const rel = new k8s.helm.v3.Release(
          "hz-eastwest",
          {
            chart: "gateway",
            version: "1.30.3",
            namespace: "istio-system",
            createNamespace: true,
            values: { name: "istio-eastwestgateway", networkGateway: "net-hz", service: annotations ? { annotations } : {} },
          },
          { provider },
        );
        const svc = k8s.core.v1.Service.get("hz-eastwest-svc", "istio-system/istio-eastwestgateway", { provider, dependsOn: [rel] });
        ip = svc.status.loadBalancer.ingress[0].ip;
        return {};
      });
      return { ip: await valueOf(ip as pulumi.Output<string>), res };
    }

    it("gives a gateway Service read back with Service.get an intranet address with the annotation", async () => {
      const { ip, res } = await gatewayIp({ [ALIBABA_LB_ADDRESS_TYPE]: "intranet" });
      assert.match(ip, /^10\.0\.(8|9|10|11)\.\d+$/); // inside the cluster's vSwitch 10.0.8.0/22
      const read = res.reads[0];
      assert.equal(read.type, "kubernetes:core/v1:Service");
      assert.equal(read.id, "istio-system/istio-eastwestgateway");
      assert.deepEqual((read.outputs["metadata"] as Record<string, unknown>)["labels"], {
        app: "istio-eastwestgateway",
        istio: "eastwestgateway",
        "topology.istio.io/network": "net-hz",
      });
      const release = res.get("kubernetes:helm.sh/v3:Release", "hz-eastwest");
      assert.deepEqual(release.outputs["status"], {
        name: "hz-eastwest",
        namespace: "istio-system",
        chart: "gateway",
        version: "1.30.3",
        appVersion: "1.30.3",
        status: "deployed",
        revision: 1,
      });
      assert.deepEqual(res.warnings, []);
    });

    it("gives it a public 47.x address without the annotation, deterministically", async () => {
      const first = await gatewayIp(undefined);
      const second = await gatewayIp(undefined);
      assert.match(first.ip, /^47\.\d+\.\d+\.\d+$/);
      assert.equal(first.ip, second.ip);
    });

    it("fills service-account token Secrets and marks Secret data secret", async () => {
      let data: pulumi.Output<Record<string, string>> | undefined;
      const res = await simulate(() => {
        const net = network("hz", "cn-hangzhou", "10.0.0.0/16", "10.0.1.0/24");
        const provider = kubeProvider("hz", net);
        const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "istio-system" } }, { provider });
        const s = new k8s.core.v1.Secret(
          "reader-token",
          {
            metadata: {
              name: READER_TOKEN_SECRET_NAME,
              namespace: ns.metadata.name,
              annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" },
            },
            type: "kubernetes.io/service-account-token",
          },
          { provider },
        );
        data = s.data;
        new k8s.core.v1.ConfigMap("cm", { metadata: { namespace: ns.metadata.name }, data: { a: "b" } }, { provider });
        return {};
      });
      const secret = res.get(T.k8sSecret, "reader-token");
      assert.equal(secret.id, `istio-system/${READER_TOKEN_SECRET_NAME}`);
      assert.ok(isSecretAt(secret.outputs, ["data", "token"]));
      const plainData = unwrapSecrets(secret.outputs["data"]) as Record<string, string>;
      const jwt = Buffer.from(plainData["token"], "base64").toString();
      assert.equal(jwt.split(".").length, 3);
      assert.equal(
        JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString()).sub,
        "system:serviceaccount:istio-system:istio-reader-service-account",
      );
      assert.match(Buffer.from(plainData["ca.crt"], "base64").toString(), /^-----BEGIN CERTIFICATE-----/);
      assert.equal(await pulumi.isSecret(data as pulumi.Output<Record<string, string>>), true);
      const cm = res.get("kubernetes:core/v1:ConfigMap", "cm");
      assert.match(cm.id ?? "", /^istio-system\/cm-[0-9a-f]{8}$/);
      assert.deepEqual(res.warnings, []);
    });
  });

  describe("tls and random", () => {
    it("returns PEM-shaped, secret key material and fixed validity dates", async () => {
      let keyPem: pulumi.Output<string> | undefined;
      const res = await simulate(() => {
        const key = new tls.PrivateKey("ca-key", { algorithm: "RSA", rsaBits: 4096 });
        keyPem = key.privateKeyPem;
        new tls.SelfSignedCert("ca", {
          privateKeyPem: key.privateKeyPem,
          validityPeriodHours: 24,
          isCaCertificate: true,
          allowedUses: ["cert_signing"],
          subject: { commonName: "root" },
        });
        new random.RandomPassword("pw", { length: 20, special: false });
        return {};
      });
      const key = res.get("tls:index/privateKey:PrivateKey", "ca-key");
      const pem = unwrapSecrets(key.outputs["privateKeyPem"]) as string;
      assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END RSA PRIVATE KEY-----\n$/);
      assert.ok(key.outputs["privateKeyPem"] instanceof Secret);
      assert.ok(!(key.outputs["publicKeyPem"] instanceof Secret));
      assert.equal(await pulumi.isSecret(keyPem as pulumi.Output<string>), true);
      const cert = res.get("tls:index/selfSignedCert:SelfSignedCert", "ca");
      assert.equal(cert.outputs["validityStartTime"], "2025-01-01T00:00:00Z");
      assert.equal(cert.outputs["validityEndTime"], "2025-01-02T00:00:00Z");
      assert.equal(cert.outputs["keyAlgorithm"], "RSA");
      const pw = res.get("random:index/randomPassword:RandomPassword", "pw");
      assert.match(unwrapSecrets(pw.outputs["result"]) as string, /^[A-Za-z0-9]{20}$/);
      assert.ok(pw.outputs["result"] instanceof Secret);
    });
  });

  describe("determinism and isolation", () => {
    const program = () => {
      const a = network("hz", "cn-hangzhou", "10.0.0.0/16", "10.0.1.0/24");
      kubeProvider("hz", a);
      new tls.PrivateKey("key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
      return { id: a.cluster.id };
    };

    it("records deep-equal resources on every run", async () => {
      const r1 = await simulate(program);
      const r2 = await simulate(program);
      assert.deepEqual(r1.resources, r2.resources);
      assert.deepEqual(r1.invokes, r2.invokes);
      assert.deepEqual(r1.outputs, r2.outputs);
    });

    it("queues concurrent simulations and keeps their state apart", async () => {
      const [a, b] = await Promise.all([
        simulate(program, { stack: "a", config: { "ack-mesh:x": "1" } }),
        simulate(() => ({ x: new pulumi.Config().require("x"), stack: pulumi.getStack() }), { stack: "b", config: { x: "2" } }),
      ]);
      assert.equal(a.resources.length, 11); // the 7 of before + NAT gateway, EIP, association, SNAT entry
      assert.deepEqual(b.outputs, { x: "2", stack: "b" });
      assert.equal(b.resources.length, 1);
    });

    it("passes config (structured and secret) and the preview flag", async () => {
      let description: pulumi.Output<string | undefined> | undefined;
      const res = await simulate(
        () => {
          const cfg = new pulumi.Config();
          description = new alicloud.cen.Instance("cen", { description: pulumi.unknown as unknown as string }).description;
          return {
            clusters: cfg.requireObject<Record<string, unknown>>("clusters"),
            pw: cfg.requireSecret("password"),
            dryRun: pulumi.runtime.isDryRun(),
            region: new pulumi.Config("alicloud").require("region"),
          };
        },
        { config: { "ack-mesh:clusters": { hz: { region: "cn-hangzhou" } }, password: "x", "alicloud:region": "cn-shanghai" }, secretConfigKeys: ["password"], preview: true },
      );
      assert.deepEqual(res.outputs, { clusters: { hz: { region: "cn-hangzhou" } }, pw: new Secret("x"), dryRun: true, region: "cn-shanghai" });
      const cen = res.get("alicloud:cen/instance:Instance", "cen");
      assert.match(cen.id ?? "", /^cen-[a-z0-9]{18}$/);
      assert.equal(cen.inputs["description"], UNKNOWN);
      assert.deepEqual(await resolveOutput(description as pulumi.Output<string | undefined>), { value: undefined, isKnown: false, isSecret: false });
    });
  });

  describe("error reporting", () => {
    it("rejects for an invoke without a mock, naming the token", async () => {
      const err = await expectFailure(
        simulate(() => {
          return { account: alicloud.getAccountOutput().id };
        }),
      );
      assert.match(err.message, /simulated cloud has no mock for invoke alicloud:index\/getAccount:getAccount; add one in sim\//);
      assert.equal(err.errors.length, 1);
      assert.equal(err.result.invokes[0].token, "alicloud:index/getAccount:getAccount");
    });

    it("rejects when the program throws, then runs the next simulation normally", async () => {
      const err = await expectFailure(
        simulate(() => {
          new alicloud.cen.Instance("cen", {});
          throw new Error("boom in program");
        }),
      );
      assert.equal(err.message, "simulation failed: boom in program");
      assert.equal((err.cause as Error).message, "boom in program");
      const ok = await simulate(() => ({ n: 1 }));
      assert.deepEqual(ok.outputs, { n: 1 });
    });

    it("rejects when an apply rejects, whether or not its output is used", async () => {
      const unused = await expectFailure(
        simulate(() => {
          const cen = new alicloud.cen.Instance("cen", {});
          cen.id.apply(() => {
            throw new Error("apply exploded");
          });
          return {};
        }),
      );
      assert.match(unused.message, /apply exploded/);
      const used = await expectFailure(
        simulate(() => {
          const cen = new alicloud.cen.Instance("cen", {});
          const bad = cen.id.apply((): string => {
            throw new Error("bad cen id");
          });
          new alicloud.cen.TransitRouter("tr", { cenId: bad });
          return {};
        }),
      );
      assert.match(used.message, /bad cen id/);
      assert.deepEqual((await simulate(() => ({ ok: true }))).outputs, { ok: true });
    });

    it("returns an invoke's API error to the program, which may handle it; a missing mock always fails the run", async () => {
      const failing = { [ALI_ACCOUNT.getZones]: (_a: unknown, ctx: { fail(m: string): never }) => ctx.fail("Throttling.User") };
      const handled = await simulate(
        async () => {
          const msg = await alicloud.getZones({}).then(
            () => "no error",
            (e: Error) => e.message,
          );
          return { msg };
        },
        { invokes: failing as any },
      );
      assert.match(String(handled.outputs["msg"]), /simulated cloud: invoke alicloud:index\/getZones:getZones: Throttling\.User/);
      const escaped = await expectFailure(simulate(() => ({ zones: alicloud.getZonesOutput({}).ids }), { invokes: failing as any }));
      assert.match(escaped.message, /Throttling\.User/);
      const unmocked = await expectFailure(
        simulate(async () => {
          await alicloud.getAccount().catch(() => undefined);
          return {};
        }),
      );
      assert.match(unmocked.message, /simulated cloud has no mock for invoke alicloud:index\/getAccount:getAccount/);
    });

    it("rejects requests the real cloud would reject, with an actionable message", async () => {
      const err = await expectFailure(
        simulate(() => {
          const a = network("hz", "cn-hangzhou", "10.0.0.0/16", "10.0.1.0/24");
          const cen = new alicloud.cen.Instance("cen", {});
          const tr = new alicloud.cen.TransitRouter("tr", { cenId: cen.id }, { provider: a.provider });
          new alicloud.cen.TransitRouterRouteTable("rt", { transitRouterId: tr.id }, { provider: a.provider });
          return {};
        }),
      );
      assert.match(
        err.message,
        /^simulation failed: simulated cloud: alicloud:cen\/transitRouterRouteTable:TransitRouterRouteTable 'rt': transitRouterId 'cen-[a-z0-9]+:tr-[a-z0-9]+' is not a Transit Router ID \(expected tr-…\); pass TransitRouter\.transitRouterId, not TransitRouter\.id/,
      );
      assert.equal(err.result.get(T.trRt, "rt").error, (err.cause as Error).message);
    });

    it("rejects a vSwitch in another region's VPC and duplicate URNs", async () => {
      const wrongRegion = await expectFailure(
        simulate(() => {
          const hz = new alicloud.Provider("hz", { region: "cn-hangzhou" });
          const sh = new alicloud.Provider("sh", { region: "cn-shanghai" });
          const vpc = new alicloud.vpc.Network("vpc", { cidrBlock: "10.0.0.0/16" }, { provider: hz });
          new alicloud.vpc.Switch("vsw", { vpcId: vpc.id, cidrBlock: "10.0.1.0/24", zoneId: "cn-shanghai-b" }, { provider: sh });
          return {};
        }),
      );
      assert.match(wrongRegion.message, /vpcId 'vpc-[a-z0-9]+' is a VPC in region cn-hangzhou, but this resource is created in cn-shanghai \(wrong provider\?\)/);
      const dup = await expectFailure(
        simulate(() => {
          new alicloud.cen.Instance("cen", {});
          new alicloud.cen.Instance("cen", {});
          return {};
        }),
      );
      assert.match(dup.message, /Duplicate resource URN 'urn:pulumi:dev::ack-mesh::alicloud:cen\/instance:Instance::cen'/);
    });

    it("records pulumi.log messages and fails on logged errors", async () => {
      const res = await simulate(() => {
        pulumi.log.warn("careful");
        pulumi.log.info("fyi");
        return {};
      });
      assert.deepEqual(res.logs, [
        { severity: "warning", message: "careful" },
        { severity: "info", message: "fyi" },
      ]);
      const err = await expectFailure(
        simulate(() => {
          pulumi.log.error("bad config");
          return {};
        }),
      );
      assert.equal(err.message, "simulation failed: bad config");
    });

    it("rejects a route table association across Transit Routers", async () => {
      const err = await expectFailure(
        simulate(() => {
          const a = network("hz", "cn-hangzhou", "10.0.0.0/16", "10.0.1.0/24");
          const cen = new alicloud.cen.Instance("cen", {});
          const trA = new alicloud.cen.TransitRouter("tr-hz", { cenId: cen.id }, { provider: a.provider });
          const trB = new alicloud.cen.TransitRouter("tr-hz2", { cenId: new alicloud.cen.Instance("cen2", {}).id }, { provider: a.provider });
          const rtB = new alicloud.cen.TransitRouterRouteTable("rt-b", { transitRouterId: trB.transitRouterId }, { provider: a.provider });
          const att = new alicloud.cen.TransitRouterVpcAttachment(
            "att",
            { transitRouterId: trA.transitRouterId, vpcId: a.vpc.id, zoneMappings: [{ vswitchId: a.vsw.id, zoneId: "cn-hangzhou-h" }] },
            { provider: a.provider },
          );
          new alicloud.cen.TransitRouterRouteTableAssociation(
            "assoc",
            { transitRouterAttachmentId: att.transitRouterAttachmentId, transitRouterRouteTableId: rtB.transitRouterRouteTableId },
            { provider: a.provider },
          );
          return {};
        }),
      );
      assert.match(err.message, /'assoc': route table 'rt-b' belongs to Transit Router tr-[a-z0-9]+, but attachment 'att' is on tr-[a-z0-9]+$/);
    });

    it("rejects getClusterCredential for a cluster the simulation did not create", async () => {
      const err = await expectFailure(simulate(() => ({ k: alicloud.cs.getClusterCredentialOutput({ clusterId: "c0123456789abcdef0123456789abcdef" }).kubeConfig })));
      assert.match(err.message, /getClusterCredential: unknown cluster 'c0123456789abcdef0123456789abcdef'; the simulation created: no clusters/);
    });

    it("times out with the pending registrations instead of hanging", async () => {
      const err = await expectFailure(
        simulate(
          () => {
            const never = pulumi.output(new Promise<string>(() => undefined));
            new alicloud.cen.Instance("stuck", { cenInstanceName: never });
            return {};
          },
          { timeoutMs: 300 },
        ),
      );
      assert.equal(err.timedOut, true);
      assert.deepEqual(err.pending, ["stuck [alicloud:cen/instance:Instance]"]);
      assert.match(err.message, /^simulation timed out after 300 ms: 1 registration\(s\) never completed[\s\S]*stuck \[alicloud:cen\/instance:Instance\]/);
      assert.deepEqual((await simulate(() => ({ after: "timeout" }))).outputs, { after: "timeout" });
    });
  });

  describe("value helpers", () => {
    it("redact, unwrapSecrets and isSecretAt walk nested values", () => {
      const v = { a: new Secret({ b: [1, new Secret("x")] }), c: UNKNOWN, d: [new Secret(2)] };
      assert.deepEqual(redact(v), { a: "[secret]", c: "[unknown]", d: ["[secret]"] });
      assert.deepEqual(unwrapSecrets(v), { a: { b: [1, "x"] }, c: UNKNOWN, d: [2] });
      assert.equal(isSecretAt(v, ["a", "b", 0]), true);
      assert.equal(isSecretAt(v, ["d", 0]), true);
      assert.equal(isSecretAt(v, ["d"]), false);
      assert.equal(isSecretAt(v, ["missing"]), false);
      assert.equal(JSON.stringify(v), '{"a":"[secret]","c":"[unknown]","d":["[secret]"]}');
    });

    it("readStackConfig parses config, replacing secure values with stable placeholders", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-"));
      const file = path.join(dir, "Pulumi.dev.yaml");
      fs.writeFileSync(
        file,
        [
          "config:",
          "  alicloud:region: cn-hangzhou",
          "  ack-mesh:clusters:",
          "    hz:",
          "      cidr: 10.0.0.0/16",
          "      nodes: 3",
          "  ack-mesh:caKey:",
          "    secure: AAABAJk1",
          "  plainKey: true",
          "",
        ].join("\n"),
      );
      try {
        const cfg = readStackConfig(file);
        assert.deepEqual(cfg, {
          config: {
            "alicloud:region": "cn-hangzhou",
            "ack-mesh:clusters": { hz: { cidr: "10.0.0.0/16", nodes: 3 } },
            "ack-mesh:caKey": secretPlaceholder("ack-mesh:caKey", "AAABAJk1"),
            "ack-mesh:plainKey": true,
          },
          secretConfigKeys: ["ack-mesh:caKey"],
        });
        assert.match(String(cfg.config["ack-mesh:caKey"]), /^sim-secret-[0-9a-f]{16}$/);
        assert.deepEqual(readStackConfig(file), cfg);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

// Keep the type import used (RecordedResource documents what `res.get` returns).
export type _Recorded = RecordedResource;
