import { namespaceValues } from "../../config/pulumiConfig";
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as alicloud from "@pulumi/alicloud";
import {
  ALICLOUD_FORCE_NEW,
  CanonicalPlan,
  CanonicalResource,
  DependencyCycleError,
  GraphNode,
  PlanFormatError,
  STATEFUL_TYPES,
  canonicalPlan,
  criticalPath,
  dependencyGraph,
  diffExitCode,
  diffPlans,
  forceNewRule,
  gatewaysOf,
  makeCanonicalPlan,
  makeCanonicalResource,
  mermaidFlowchart,
  mermaidId,
  parseCanonicalPlan,
  readStackConfig,
  renderDiff,
  replacementFields,
  simulate,
  stableStringify,
  topologicalOrder,
} from "../../sim";
import { showChange } from "../../sim/diff";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { planTopology } from "../../programs/compose";
import { meshTopologyOf } from "../../scripts/plan";
import { ROOT } from "../support";

const T = {
  vpc: "alicloud:vpc/network:Network",
  vsw: "alicloud:vpc/switch:Switch",
  sg: "alicloud:ecs/securityGroup:SecurityGroup",
  rule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
  cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
  pool: "alicloud:cs/nodePool:NodePool",
  aliProvider: "pulumi:providers:alicloud",
  k8sProvider: "pulumi:providers:kubernetes",
  release: "kubernetes:helm.sh/v3:Release",
  secret: "kubernetes:core/v1:Secret",
  deployment: "kubernetes:apps/v1:Deployment",
  component: "ack-mesh:test:Thing",
};

const urn = (type: string, name: string) => `urn:pulumi:dev::ack-mesh::${type}::${name}`;

/** A hand-made resource: `r(type, name, fields)`. */
function r(type: string, name: string, fields: Partial<Parameters<typeof makeCanonicalResource>[0]> = {}): CanonicalResource {
  return makeCanonicalResource({ urn: urn(type, name), type, name, ...fields });
}

function plan(...resources: CanonicalResource[]): CanonicalPlan {
  return makeCanonicalPlan({ stack: "dev", project: "ack-mesh" }, resources);
}

async function simulateStack(stack: string, change: (raw: Record<string, any>) => void = () => undefined) {
  const { config, secretConfigKeys } = readStackConfig(`${ROOT}/stacks/Pulumi.${stack}.yaml`);
  const clusters = structuredClone(config["ack-mesh:clusters"]) as Record<string, any>;
  change(clusters);
  return simulate(runAckMesh, { project: "ack-mesh", stack, config: { ...config, "ack-mesh:clusters": clusters }, secretConfigKeys });
}

/** Every object in `v` has its keys in sorted order. */
function keysSorted(v: unknown): boolean {
  if (Array.isArray(v)) return v.every(keysSorted);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    return keys.every((k, i) => i === 0 || keys[i - 1] < k) && Object.values(v).every(keysSorted);
  }
  return true;
}

describe("canonical plan", () => {
  it("is byte-identical for two simulations of the same stack, sorted by URN, keys sorted", async () => {
    const a = stableStringify(canonicalPlan(await simulateStack("dev"), { stack: "dev", project: "ack-mesh" }));
    const b = stableStringify(canonicalPlan(await simulateStack("dev"), { stack: "dev", project: "ack-mesh" }));
    assert.equal(a, b);
    const doc = JSON.parse(a) as CanonicalPlan;
    assert.deepEqual(Object.keys(doc), ["project", "resources", "stack", "version"]);
    assert.deepEqual([doc.project, doc.stack, doc.version], ["ack-mesh", "dev", 1]);
    const urns = doc.resources.map((x) => x.urn);
    assert.deepEqual(urns, [...urns].sort());
    assert.ok(keysSorted(doc));
    const cluster = doc.resources.find((x) => x.type === T.cluster && x.name === "istio-control-plane-cluster")!;
    assert.equal(cluster.inputs["podCidr"], "172.16.0.0/16");
    assert.equal(cluster.options.deleteBeforeReplace, true);
    assert.match(cluster.provider!, /pulumi:providers:alicloud::alicloud-cn-hangzhou$/);
    assert.ok(cluster.dependencies.some((d) => d.endsWith("::sg-sg-istio-control-plane")));
    assert.deepEqual(Object.keys(cluster.options), ["additionalSecretOutputs", "deleteBeforeReplace", "ignoreChanges", "protect", "replaceOnChanges", "retainOnDelete"]);
  });

  it("redacts every secret input, however nested, and keeps no outputs", async () => {
    const result = await simulate(() => {
      const p = new alicloud.Provider("p", { region: "cn-hangzhou" });
      new alicloud.vpc.Network(
        "v",
        { cidrBlock: "10.0.0.0/16", description: pulumi.secret("TOPSECRET-description"), tags: { token: pulumi.secret("TOPSECRET-tag"), plain: "visible" } },
        { provider: p },
      );
      return { leaked: pulumi.secret("TOPSECRET-output") };
    });
    const text = stableStringify(canonicalPlan(result, { stack: "dev", project: "ack-mesh" }));
    assert.doesNotMatch(text, /TOPSECRET/);
    const vpc = (JSON.parse(text) as CanonicalPlan).resources.find((x) => x.name === "v")!;
    assert.equal(vpc.inputs["description"], "[secret]");
    assert.deepEqual(vpc.inputs["tags"], { plain: "visible", token: "[secret]" });
  });

  it("stableStringify sorts keys recursively, keeps array order, drops undefined", () => {
    assert.equal(stableStringify({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } }, 0), '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    assert.throws(() => {
      const o: Record<string, unknown> = {};
      o["self"] = o;
      stableStringify(o);
    }, /circular/);
  });

  it("parses what it writes, and rejects other versions and shapes", () => {
    const p = plan(r(T.vpc, "v", { inputs: { cidrBlock: "10.0.0.0/16" } }));
    assert.deepEqual(parseCanonicalPlan(stableStringify(p)), p);
    assert.throws(() => parseCanonicalPlan('{"version":2,"stack":"dev","project":"p","resources":[]}', "old.json"), (e: unknown) => e instanceof PlanFormatError && /old\.json: canonical plan version 2 is not supported/.test(e.message));
    assert.throws(() => parseCanonicalPlan("nope", "x.json"), /x\.json: not JSON/);
    assert.throws(() => parseCanonicalPlan('{"version":1,"stack":"dev","project":"p","resources":[{"urn":1}]}'), /resources\[0\] needs string fields urn, type and name/);
  });
});

describe("ForceNew rules", () => {
  it("cover every custom type the three stacks create", async () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const result = await simulateStack(stack);
      const types = new Set(result.resources.filter((x) => x.custom && x.type !== "pulumi:pulumi:Stack").map((x) => x.type));
      for (const type of types) assert.ok(forceNewRule(type), `${stack}: no ForceNew rule for ${type}`);
    }
  });

  it("cite the Terraform resource file for every alicloud type", () => {
    for (const [type, rule] of Object.entries(ALICLOUD_FORCE_NEW)) {
      assert.match(rule.source, /terraform-provider-alicloud v1\.289\.0 alicloud\/resource_alicloud_[a-z_]+\.go$/, type);
    }
  });

  const cases: [string, string, (string | number)[][], Record<string, unknown>, string[]][] = [
    ["podCidr replaces a cluster", T.cluster, [["podCidr"]], {}, ["podCidr"]],
    ["tags update a cluster", T.cluster, [["tags", "env"], ["version"]], {}, []],
    ["a nested ForceNew field counts (autoMode.enabled)", T.cluster, [["autoMode", "enabled"]], {}, ["autoMode"]],
    ["cidrBlock replaces a vSwitch", T.vsw, [["cidrBlock"]], {}, ["cidrBlock"]],
    ["cidrBlock of a VPC is updatable", T.vpc, [["cidrBlock"]], {}, []],
    ["any input of a security group rule replaces it", T.rule, [["portRange"], ["priority"]], {}, ["portRange", "priority"]],
    ["a rule's description is updatable", T.rule, [["description"]], {}, []],
    ["clusterId replaces a node pool", T.pool, [["clusterId"]], {}, ["clusterId"]],
    ["desiredSize updates a node pool", T.pool, [["desiredSize"]], {}, []],
    ["metadata.name replaces any Kubernetes object", T.deployment, [["metadata", "name"]], {}, ["metadata.name"]],
    ["a Deployment's selector replaces it", T.deployment, [["spec", "selector", "matchLabels", "app"]], {}, ["spec.selector", "spec.selector.matchLabels"]],
    ["a Deployment's replicas update it", T.deployment, [["spec", "replicas"]], {}, []],
    ["a Helm release's chart version is an upgrade", T.release, [["version"], ["chart"], ["values", "x"]], {}, []],
    ["a Helm release's namespace replaces it", T.release, [["namespace"]], {}, ["namespace"]],
    ["Secret data replaces without enableSecretMutable", T.secret, [["stringData", "token"]], {}, ["stringData"]],
    ["Secret data updates with enableSecretMutable", T.secret, [["stringData", "token"]], { enableSecretMutable: true }, []],
    ["TLS certificates replace on any input but earlyRenewalHours", "tls:index/selfSignedCert:SelfSignedCert", [["validityPeriodHours"], ["earlyRenewalHours"]], {}, ["validityPeriodHours"]],
    ["a Kubernetes provider is replaced when its kubeconfig changes", T.k8sProvider, [["kubeconfig"]], {}, ["kubeconfig"]],
  ];
  for (const [title, type, changed, providerInputs, expected] of cases) {
    it(title, () => assert.deepEqual(replacementFields(type, changed, { inputs: {}, providerInputs }), expected));
  }
});

describe("diffPlans", () => {
  const prov = r(T.aliProvider, "ali", { custom: true, inputs: { region: "cn-hangzhou" } });
  const vpc = r(T.vpc, "vpc", { provider: prov.urn, inputs: { cidrBlock: "10.0.0.0/16", tags: { a: "1" } } });
  const vsw = r(T.vsw, "vsw", { provider: prov.urn, propertyDependencies: { vpcId: [vpc.urn] }, inputs: { cidrBlock: "10.0.0.0/24", vpcId: "vpc-1" } });
  const cluster = r(T.cluster, "cluster", { provider: prov.urn, options: { deleteBeforeReplace: true }, propertyDependencies: { vswitchIds: [vsw.urn] }, inputs: { podCidr: "172.16.0.0/16", vswitchIds: ["vsw-1"] } });
  const pool = r(T.pool, "pool", { provider: prov.urn, propertyDependencies: { clusterId: [cluster.urn] }, inputs: { clusterId: "c1", desiredSize: "3" } });
  const k8s = r(T.k8sProvider, "k8s", { propertyDependencies: { kubeconfig: [cluster.urn] }, inputs: { kubeconfig: "[secret]" } });
  const ns = r("kubernetes:core/v1:Namespace", "ns", { provider: k8s.urn, inputs: { metadata: { name: "istio-system" } } });
  const rule = r(T.rule, "rule", { provider: prov.urn, inputs: { portRange: "15443/15443", description: "east-west" } });
  const base = plan(prov, vpc, vsw, cluster, pool, k8s, ns, rule);
  const kindOf = (d: ReturnType<typeof diffPlans>, name: string) => d.resources.find((x) => x.name === name)?.kind;
  const withInputs = (x: CanonicalResource, inputs: Record<string, unknown>) => ({ ...x, inputs: { ...x.inputs, ...inputs } });

  it("same: identical plans", () => {
    const d = diffPlans(base, base);
    assert.deepEqual(d.counts, { create: 0, update: 0, replace: 0, delete: 0, same: 8 });
    assert.equal(diffExitCode(d, false), 0);
  });

  it("create, update and delete", () => {
    const extra = r(T.vsw, "vsw2", { provider: prov.urn, inputs: { cidrBlock: "10.0.1.0/24" } });
    const next = plan(prov, withInputs(vpc, { tags: { a: "2" } }), vsw, cluster, pool, k8s, ns, extra);
    const d = diffPlans(base, next);
    assert.equal(kindOf(d, "vsw2"), "create");
    assert.equal(kindOf(d, "vpc"), "update");
    assert.equal(kindOf(d, "rule"), "delete");
    assert.deepEqual(
      d.resources.find((x) => x.name === "vpc")!.changes.map((c) => [c.path, c.old, c.new, c.forcesReplacement]),
      [["tags.a", "1", "2", false]],
    );
    assert.equal(diffExitCode(d, false), 0, "deleting a rule is not blocking");
  });

  it("replace naming the ForceNew field: podCidr of a cluster, cascading to what uses the cluster", () => {
    const d = diffPlans(base, plan(prov, vpc, vsw, withInputs(cluster, { podCidr: "172.30.0.0/16" }), pool, k8s, ns, rule));
    const c = d.resources.find((x) => x.name === "cluster")!;
    assert.equal(c.kind, "replace");
    assert.deepEqual(c.replaceFields, ["podCidr"]);
    assert.ok(c.blocking && c.stateful && c.deleteBeforeReplace);
    const p = d.resources.find((x) => x.name === "pool")!;
    assert.equal(p.kind, "replace");
    assert.deepEqual(p.replaceFields, ["clusterId"]);
    assert.equal(p.replaceReasons[0].kind, "cascade");
    assert.equal(kindOf(d, "k8s"), "replace", "the kubeconfig comes from the replaced cluster");
    assert.equal(d.resources.find((x) => x.name === "ns")!.replaceReasons[0].kind, "providerReplaced");
    assert.equal(kindOf(d, "vsw"), "same");
    assert.deepEqual(d.blocking.map((x) => x.name).sort(), ["cluster", "pool"]);
    assert.equal(diffExitCode(d, false), 3);
    assert.equal(diffExitCode(d, true), 0);
    const md = renderDiff(d, { format: "markdown" });
    assert.match(md, /\| change \| resource \| type \| details \|/);
    assert.match(md, /`cluster` \| `alicloud:ManagedKubernetes` \| podCidr: "172\.16\.0\.0\/16" → "172\.30\.0\.0\/16" forces replacement/);
    assert.match(md, /BLOCKED \(exit 3\)/);
    assert.match(md, /1 resource\(s\) replaced because their provider k8s is replaced/);
  });

  it("replace: cidrBlock of a vSwitch the cluster uses blocks (stateful); the cluster is updated; an unused vSwitch does not block", () => {
    const d = diffPlans(base, plan(prov, vpc, withInputs(vsw, { cidrBlock: "10.0.9.0/24" }), cluster, pool, k8s, ns, rule));
    const v = d.resources.find((x) => x.name === "vsw")!;
    assert.deepEqual([v.kind, v.replaceFields, v.stateful, v.blocking], ["replace", ["cidrBlock"], true, true]);
    assert.deepEqual(v.usedBy, [{ urn: cluster.urn, name: "cluster", type: T.cluster, property: "vswitchIds" }]);
    assert.deepEqual(v.notes, [
      "in use by cluster (vswitchIds) in the old plan: the replacement deletes it, which fails while nodes or ENIs are in it. In steps: 1. take it out of the vswitchIds of cluster, `pulumi up`; 2. then replace it, `pulumi up`, and move them back",
    ]);
    const c = d.resources.find((x) => x.name === "cluster")!;
    assert.deepEqual([c.kind, c.cascadedInputs], ["update", ["vswitchIds"]]);
    assert.equal(diffExitCode(d, false), 3);
    const spare = r(T.vsw, "spare", { provider: prov.urn, inputs: { cidrBlock: "10.0.5.0/24", zoneId: "cn-hangzhou-k" } });
    const unused = diffPlans(plan(prov, vpc, spare), plan(prov, vpc));
    assert.deepEqual(unused.resources.filter((x) => x.name === "spare").map((x) => [x.kind, x.stateful, x.blocking, x.notes]), [["delete", false, false, []]]);
    assert.equal(diffExitCode(unused, false), 0);
  });

  it("the steps of a zone removal are config edits for the program's own resources", async () => {
    const before = canonicalPlan(await simulateStack("staging"), { stack: "staging", project: "ack-mesh" });
    const after = canonicalPlan(
      await simulateStack("staging", (c) => {
        c.hangzhou.zones = ["cn-hangzhou-h"];
      }),
      { stack: "staging", project: "ack-mesh" },
    );
    const diff = diffPlans(before, after);
    assert.equal(diffExitCode(diff, false), 3);
    const node = diff.resources.find((x) => x.name === "net-vsw-hangzhou-cn-hangzhou-i")!;
    assert.equal(node.kind, "delete");
    assert.ok(
      node.notes.some((n) =>
        n.endsWith(
          "In steps: 1. move hangzhou-np-default off cn-hangzhou-i (list the pool's other zones in clusters.hangzhou.nodePools.default.zones), `pulumi up`; ACK puts only new nodes in a pool's new vSwitches, so scale out elsewhere and remove the nodes left in cn-hangzhou-i; 2. remove cn-hangzhou-i from clusters.hangzhou.zones, `pulumi up` (that one update takes the vSwitch out of the cluster and deletes it)",
        ),
      ),
      node.notes.join("\n"),
    );
  });

  it("moving a cluster off a zone: deleting the vSwitch its nodes and pods use blocks (exit 3), naming the steps", () => {
    const vswI = r(T.vsw, "vsw-i", { provider: prov.urn, propertyDependencies: { vpcId: [vpc.urn] }, inputs: { cidrBlock: "10.0.1.0/24", vpcId: "vpc-1", zoneId: "cn-hangzhou-i" } });
    const podI = r(T.vsw, "podvsw-i", { provider: prov.urn, propertyDependencies: { vpcId: [vpc.urn] }, inputs: { cidrBlock: "10.0.2.0/24", vpcId: "vpc-1", zoneId: "cn-hangzhou-i" } });
    const c2 = r(T.cluster, "cluster", { provider: prov.urn, propertyDependencies: { vswitchIds: [vsw.urn, vswI.urn], podVswitchIds: [podI.urn] }, inputs: { vswitchIds: ["vsw-1", "vsw-i"], podVswitchIds: ["vsw-p"] } });
    const p2 = r(T.pool, "pool", { provider: prov.urn, propertyDependencies: { clusterId: [c2.urn], vswitchIds: [vsw.urn, vswI.urn] }, inputs: { clusterId: "c1", vswitchIds: ["vsw-1", "vsw-i"] } });
    const before = plan(prov, vpc, vsw, vswI, podI, c2, p2);
    const after = plan(prov, vpc, vsw, withInputs(c2, { vswitchIds: ["vsw-1"] }), withInputs(p2, { vswitchIds: ["vsw-1"] }));
    const d = diffPlans(before, after);
    assert.deepEqual(
      d.blocking.map((x) => [x.name, x.kind]),
      [["podvsw-i", "delete"], ["vsw-i", "delete"]],
    );
    assert.deepEqual(d.resources.find((x) => x.name === "vsw-i")!.notes, [
      "in use by cluster (vswitchIds) and pool (vswitchIds) in the old plan: the delete fails while nodes or ENIs are in it. In steps: 1. move pool off cn-hangzhou-i, `pulumi up`; ACK puts only new nodes in a pool's new vSwitches, so scale out elsewhere and remove the nodes left in cn-hangzhou-i; 2. take it out of the vswitchIds of cluster and delete it, `pulumi up`",
    ]);
    assert.deepEqual(d.resources.find((x) => x.name === "podvsw-i")!.notes, [
      "in use by cluster (podVswitchIds) in the old plan: the delete fails while nodes or ENIs are in it. In steps: 1. take it out of Terway's vSwitch list of cluster (ConfigMap kube-system/eni-config; podVswitchIds is create-only and ACK ignores edits) and recreate the pods whose ENIs are in cn-hangzhou-i; 2. then delete it, `pulumi up`",
    ]);
    assert.equal(diffExitCode(d, false), 3);
    assert.equal(diffExitCode(d, true), 0);
    const text = renderDiff(d);
    assert.match(text, /^2 replacement\(s\)\/deletion\(s\) of protected or stateful resources: BLOCKED \(exit 3\)/m);
    assert.match(text, /^delete \(blocking\) {2}vsw-i +alicloud:Switch +in use by cluster \(vswitchIds\) and pool \(vswitchIds\) in the old plan/m);
  });

  it("long values show the part that differs: two security group descriptions that differ at the end look different", () => {
    const sg = r(T.sg, "sg", { provider: prov.urn, inputs: { description: "ack-mesh security group of cluster hangzhou, east-west from shanghai-a" } });
    const d = diffPlans(plan(prov, sg), plan(prov, withInputs(sg, { description: "ack-mesh security group of cluster hangzhou, east-west from shanghai-b" })));
    const text = renderDiff(d);
    assert.match(text, /description: "…f cluster hangzhou, east-west from shanghai-a" → "…f cluster hangzhou, east-west from shanghai-b"/);
    // A difference near the start keeps the start; short values are shown whole.
    const head = diffPlans(plan(prov, sg), plan(prov, withInputs(sg, { description: "ACK-mesh security group of cluster hangzhou, east-west from shanghai-a" })));
    assert.match(renderDiff(head), /description: "ack-mesh security group of cluster hangzhou, …" → "ACK-mesh security group of cluster hangzhou, …"/);
    assert.deepEqual(showChange("a\nb", "a\nc"), ['"a\\nb"', '"a\\nc"']);
    assert.deepEqual(showChange(undefined, [1, 2]), ["(unset)", "[1,2]"]);
  });

  it("replace: any field of a security group rule; its description only updates", () => {
    let d = diffPlans(base, plan(prov, vpc, vsw, cluster, pool, k8s, ns, withInputs(rule, { portRange: "15012/15012" })));
    assert.deepEqual(d.resources.find((x) => x.name === "rule")!.replaceFields, ["portRange"]);
    d = diffPlans(base, plan(prov, vpc, vsw, cluster, pool, k8s, ns, withInputs(rule, { description: "xds" })));
    assert.equal(kindOf(d, "rule"), "update");
  });

  it("replace: clusterId of a node pool", () => {
    const d = diffPlans(base, plan(prov, vpc, vsw, cluster, withInputs(pool, { clusterId: "c2", desiredSize: "4" }), k8s, ns, rule));
    const p = d.resources.find((x) => x.name === "pool")!;
    assert.deepEqual([p.kind, p.replaceFields, p.blocking], ["replace", ["clusterId"], true]);
    assert.deepEqual(p.changes.map((c) => [c.path, c.forcesReplacement]), [["clusterId", true], ["desiredSize", false]]);
  });

  it("replace: a provider URN change (another provider instance)", () => {
    const other = r(T.aliProvider, "ali-2", { inputs: { region: "cn-hangzhou" } });
    const d = diffPlans(base, plan(prov, other, vpc, vsw, cluster, pool, k8s, ns, { ...rule, provider: other.urn }));
    const x = d.resources.find((y) => y.name === "rule")!;
    assert.equal(x.kind, "replace");
    assert.equal(x.replaceReasons[0].kind, "provider");
    assert.match(x.replaceReasons[0].message, /provider changed: ali → ali-2/);
  });

  it("blocking: a protected resource that is replaced; a stateful one that is deleted; not a retained delete", () => {
    const guarded = { ...vsw, options: { ...vsw.options, protect: true } };
    let d = diffPlans(plan(prov, guarded), plan(prov, withInputs(guarded, { cidrBlock: "10.0.7.0/24" })));
    assert.deepEqual(d.blocking.map((x) => [x.name, x.kind, x.protected, x.stateful]), [["vsw", "replace", true, false]]);
    d = diffPlans(plan(prov, vpc), plan(prov));
    assert.deepEqual(d.blocking.map((x) => [x.name, x.kind]), [["vpc", "delete"]]);
    const retained = { ...vpc, options: { ...vpc.options, retainOnDelete: true } };
    d = diffPlans(plan(prov, retained), plan(prov));
    assert.deepEqual([d.blocking.length, d.resources.find((x) => x.name === "vpc")!.notes[0]], [0, "retainOnDelete: Pulumi forgets it, the cloud object stays"]);
    assert.ok(STATEFUL_TYPES.has(T.cluster) && !STATEFUL_TYPES.has(T.vsw));
  });

  it("ignoreChanges hides a change; replaceOnChanges forces one; option changes alone are 'same'", () => {
    const ignoring = { ...cluster, options: { ...cluster.options, ignoreChanges: ["podCidr"] } };
    assert.equal(kindOf(diffPlans(plan(prov, ignoring), plan(prov, withInputs(ignoring, { podCidr: "1.0.0.0/16" }))), "cluster"), "same");
    const strict = { ...vpc, options: { ...vpc.options, replaceOnChanges: ["tags"] } };
    const d = diffPlans(plan(prov, strict), plan(prov, withInputs(strict, { tags: { a: "9" } })));
    assert.deepEqual(d.resources.find((x) => x.name === "vpc")!.replaceReasons.map((x) => x.kind), ["replaceOnChanges"]);
    const unprotected = diffPlans(plan(prov, { ...vpc, options: { ...vpc.options, protect: true } }), plan(prov, vpc)).resources.find((x) => x.name === "vpc")!;
    assert.deepEqual([unprotected.kind, unprotected.optionChanges], ["same", ["protect: true → false"]]);
  });

  it("a parent change is a delete and a create (new URN), noted on both", () => {
    const comp = r(T.component, "group", { custom: false });
    const moved = makeCanonicalResource({ ...vsw, urn: `urn:pulumi:dev::ack-mesh::${T.component}$${T.vsw}::vsw`, parent: comp.urn });
    const d = diffPlans(plan(prov, vpc, vsw), plan(prov, vpc, comp, moved));
    assert.deepEqual(d.resources.filter((x) => x.name === "vsw").map((x) => x.kind).sort(), ["create", "delete"]);
    const del = d.resources.find((x) => x.name === "vsw" && x.kind === "delete")!;
    assert.match(del.notes[0], /parent changed \(\(none\) → group\): the URN changes, so Pulumi deletes this and creates/);
  });

  it("a change of a redacted secret is invisible", () => {
    const s = r(T.secret, "s", { inputs: { stringData: { token: "[secret]" } } });
    assert.equal(diffPlans(plan(s), plan(s)).counts.same, 1);
  });
});

describe("dependency graph", () => {
  const node = (name: string, fields: Partial<Parameters<typeof makeCanonicalResource>[0]> = {}) => r(fields.type ?? "t:m:R", name, fields);

  it("critical path: the longest chain, providers included, components done when their children are", () => {
    const p = node("prov", { type: "pulumi:providers:x" });
    const a = node("a", { provider: p.urn });
    const b = node("b", { dependencies: [a.urn] });
    const comp = node("comp", { type: T.component, custom: false });
    const c1 = node("c1", { parent: comp.urn, dependencies: [b.urn] });
    const c2 = node("c2", { parent: comp.urn });
    const d = node("d", { dependencies: [comp.urn] });
    const side = node("side");
    const g = dependencyGraph(plan(p, a, b, comp, c1, c2, d, side));
    const cp = criticalPath(g);
    assert.deepEqual(cp.steps.map((s) => s.node.name), ["prov", "a", "b", "c1", "comp", "d"]);
    assert.equal(cp.length, 5, "components weigh 0");
    assert.deepEqual(cp.steps[1].via, ["provider"]);
    assert.deepEqual(cp.steps[4].via, ["child"]);
    const weighted = criticalPath(g, (n: GraphNode) => (n.name === "side" ? 100 : n.custom ? 1 : 0));
    assert.deepEqual([weighted.urns.length, weighted.length], [1, 100]);
  });

  it("topological order is deterministic (ties by URN) and puts dependencies first", () => {
    const a = node("a");
    const b = node("b", { dependencies: [a.urn] });
    const c = node("c");
    const order = topologicalOrder(dependencyGraph(plan(b, c, a)));
    assert.deepEqual(order.map((u) => u.split("::").pop()), ["a", "b", "c"]);
  });

  it("detects a cycle and names it", () => {
    const a = node("a", { dependencies: [urn("t:m:R", "c")] });
    const b = node("b", { dependencies: [a.urn] });
    const c = node("c", { dependencies: [b.urn] });
    assert.throws(
      () => criticalPath(dependencyGraph(plan(a, b, c))),
      (e: unknown) => e instanceof DependencyCycleError && e.cycle.length === 4 && /dependency cycle \(each waits for the next\): a \(t:m:R\) → c \(t:m:R\) → b \(t:m:R\) → a \(t:m:R\)/.test(e.message),
    );
  });

  it("ignores a child's edge to its own ancestor component and records unknown URNs", () => {
    const comp = node("comp", { type: T.component, custom: false });
    const child = node("child", { parent: comp.urn, dependencies: [comp.urn, "urn:pulumi:dev::ack-mesh::t:m:R::ghost"] });
    const g = dependencyGraph(plan(comp, child));
    assert.deepEqual(g.waitsFor.get(child.urn), []);
    assert.deepEqual(g.waitsFor.get(comp.urn), [child.urn]);
    assert.deepEqual(g.missing, ["urn:pulumi:dev::ack-mesh::t:m:R::ghost"]);
  });

  it("the dev stack's critical path runs from a provider through the cluster to in-cluster objects", async () => {
    const result = await simulateStack("dev");
    const cp = criticalPath(dependencyGraph(result));
    const names = cp.steps.map((s) => s.node.name);
    assert.equal(cp.steps[0].node.kind, "provider");
    for (const n of ["net-vpc-side-by-side", "istio-control-plane-cluster", "istio-control-plane-k8s"]) assert.ok(names.includes(n), `${n} in ${names.join(" → ")}`);
    assert.deepEqual(criticalPath(dependencyGraph(canonicalPlan(result, { stack: "dev", project: "ack-mesh" }))).urns, cp.urns, "same path from the canonical plan");
  });
});

describe("mermaid", () => {
  it("ids are safe and distinct", () => {
    const ids = ["a-b", "a_b", "end", "x y", "über"].map((n) => mermaidId("cl", n));
    for (const id of ids) assert.match(id, /^cl_[A-Za-z0-9_]+$/);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(mermaidId("cl", "plain1"), "cl_plain1");
    assert.throws(() => mermaidId("o", "x"), /bad prefix/);
  });

  it("draws the dev stack: one region, the shared VPC, both clusters, the mesh edges and the gateways", async () => {
    const { config } = readStackConfig(`${ROOT}/stacks/Pulumi.dev.yaml`);
    const raw = namespaceValues(config);
    const p = canonicalPlan(await simulateStack("dev"), { stack: "dev", project: "ack-mesh" });
    const chart = mermaidFlowchart(p, meshTopologyOf(planTopology(raw)));
    const cp = mermaidId("cl", "istio-control-plane");
    const remote = mermaidId("cl", "istio-remote1");
    assert.match(chart, /^flowchart LR\n/);
    assert.ok(chart.includes(`subgraph ${mermaidId("rg", "cn-hangzhou")}["cn-hangzhou"]`));
    assert.ok(chart.includes(`subgraph ${mermaidId("vpc", "cn-hangzhou/side-by-side")}["VPC side-by-side 192.168.0.0/16"]`));
    assert.ok(chart.includes(`${cp}["ACK istio-control-plane<br/>istiod (primary)<br/>network: network1"]`));
    assert.ok(chart.includes(`${remote} -. "xDS 15012 / webhook 15017<br/>via east-west gateway" .-> ${cp}`));
    assert.ok(chart.includes(`${cp} -. "remote secret: reads API 6443" .-> ${remote}`));
    assert.ok(chart.includes(`{{"ingress gateway<br/>internet SLB"}}`));
    assert.ok(chart.includes(`{{"east-west gateway<br/>intranet SLB"}}`));
    assert.doesNotMatch(chart, /TR |CEN/, "one VPC: no transit router");
    assert.equal((chart.match(/^\s*subgraph /gm) ?? []).length, (chart.match(/^\s*end$/gm) ?? []).length);
    assert.deepEqual(
      gatewaysOf(p, ["istio-control-plane", "istio-remote1"]).map((g) => [g.cluster, g.role, g.exposure]),
      [["istio-control-plane", "east-west", "intranet"], ["istio-control-plane", "ingress", "internet"]],
    );
  });

  it("draws the CEN peering of the staging stack", async () => {
    const { config } = readStackConfig(`${ROOT}/stacks/Pulumi.staging.yaml`);
    const raw = namespaceValues(config);
    const chart = mermaidFlowchart(canonicalPlan(await simulateStack("staging"), { stack: "staging", project: "ack-mesh" }), meshTopologyOf(planTopology(raw)));
    assert.ok(chart.includes(`${mermaidId("tr", "cn-hangzhou")} <-- "CEN peer attachment" --> ${mermaidId("tr", "cn-shanghai")}`));
    assert.ok(chart.includes(`${mermaidId("vpc", "cn-shanghai/shanghai")} --- ${mermaidId("tr", "cn-shanghai")}`));
  });
});
