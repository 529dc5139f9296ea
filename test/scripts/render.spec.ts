import { strict as assert } from "node:assert";
import { commonNamePrefix, displayType, fitTable, multilineTable, resourceTree, TreeResource, wrapLine } from "../../scripts/render";

describe("plan text layout (scripts/render.ts)", () => {
  it("displayType drops the module's file part as pulumi preview does", () => {
    const cases: [string, string][] = [
      ["alicloud:cs/managedKubernetes:ManagedKubernetes", "alicloud:cs:ManagedKubernetes"],
      ["alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation", "alicloud:cen:TransitRouterRouteTableAssociation"],
      ["tls:index/privateKey:PrivateKey", "tls:index:PrivateKey"],
      ["kubernetes:core/v1:Namespace", "kubernetes:core/v1:Namespace"],
      ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Release"],
      ["pulumi:providers:alicloud", "pulumi:providers:alicloud"],
      ["ack-mesh:cluster:AckCluster", "ack-mesh:cluster:AckCluster"],
      ["pulumi:pulumi:Stack", "pulumi:pulumi:Stack"],
    ];
    for (const [type, shown] of cases) assert.equal(displayType(type), shown, type);
  });

  it("wrapLine: continuation aligns after the marker, else indentation + 4, else the margin; long words stay whole", () => {
    assert.deepEqual(wrapLine("short", 10), ["short"]);
    assert.deepEqual(wrapLine("!! WARNING: aaa bbb ccc ddd", 20), ["!! WARNING: aaa bbb", "            ccc ddd"]);
    assert.deepEqual(wrapLine("  ok  zones a, b, c offered", 16), ["  ok  zones a,", "      b, c", "      offered"]);
    assert.deepEqual(wrapLine("- one two three", 9), ["- one two", "  three"]);
    assert.deepEqual(wrapLine("  12. aaa bbb", 10), ["  12. aaa", "      bbb"]);
    assert.deepEqual(wrapLine("    tree line here", 12), ["    tree", "        line", "        here"]);
    assert.deepEqual(wrapLine("prose goes on here", 10), ["prose goes", "on here"]);
    assert.deepEqual(wrapLine("see https://example.com/a/very/long/path", 12), ["see", "https://example.com/a/very/long/path"]);
  });

  it("multilineTable gives a cell several lines; without them it is textTable", () => {
    assert.equal(multilineTable([{ a: "x", b: "1\n22" }], ["a", "b"]), ["a  b", "-  --", "x  1", "   22"].join("\n"));
    assert.equal(multilineTable([{ a: "x", b: "1" }]), ["a  b", "-  -", "x  1"].join("\n"));
  });

  it("fitTable: one table when it fits, else split repeating the key column, else wrapped cells", () => {
    const rows = [{ k: "key1", a: "aaaaaaaaaa", b: "bbbbbbbbbb", c: "cccccccccc" }];
    assert.equal(fitTable(rows, undefined, 80), ["k     a           b           c", "----  ----------  ----------  ----------", "key1  aaaaaaaaaa  bbbbbbbbbb  cccccccccc"].join("\n"));
    assert.equal(
      fitTable(rows, undefined, 30),
      ["k     a           b", "----  ----------  ----------", "key1  aaaaaaaaaa  bbbbbbbbbb", "", "k     c", "----  ----------", "key1  cccccccccc"].join("\n"),
    );
    assert.equal(fitTable([{ k: "key1", d: "one two three four" }], undefined, 16), ["k     d", "----  ----------", "key1  one two", "      three four"].join("\n"));
  });

  it("commonNamePrefix stops after a dash", () => {
    assert.equal(commonNamePrefix(["sg-beijing-a", "sg-beijing-b", "sg-shanghai-a"]), "sg-");
    assert.equal(commonNamePrefix(["net-snat-vsw-a", "net-snat-podvsw-a"]), "net-snat-");
    assert.equal(commonNamePrefix(["abc", "abd"]), "");
    assert.equal(commonNamePrefix([]), "");
  });

  it("resourceTree groups 5 or more leaves of one type under one parent where the first stood, with protection marks", () => {
    const r = (name: string, type: string, parent?: string, protect?: boolean): TreeResource => ({ urn: `u:${name}`, name, type, ...(parent ? { parent: `u:${parent}` } : {}), ...(protect ? { protect } : {}) });
    const rule = "alicloud:ecs/securityGroupRule:SecurityGroupRule";
    const sw = "alicloud:vpc/switch:Switch";
    const resources = [
      r("stack", "pulumi:pulumi:Stack"),
      r("sg", "ack-mesh:network:SecurityGroupPeering", "stack"),
      r("sg-sg-a", "alicloud:ecs/securityGroup:SecurityGroup", "sg"),
      ...["a-1", "a-2", "b-1", "b-2", "b-3"].map((n) => r(`sg-${n}`, rule, "sg")),
      r("sg-sg-b", "alicloud:ecs/securityGroup:SecurityGroup", "sg"),
      ...["a", "b", "c", "d", "e"].map((z, i) => r(`net-vsw-${z}`, sw, "stack", i < 2)),
      ...["a", "b", "c", "d"].map((z) => r(`net-rt-${z}`, "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable", "stack", true)),
    ];
    assert.equal(
      resourceTree(resources),
      [
        "stack  (pulumi:pulumi:Stack)",
        "  sg  (ack-mesh:network:SecurityGroupPeering)",
        "    sg-sg-a  (alicloud:ecs:SecurityGroup)",
        "    5 × sg-*  (alicloud:ecs:SecurityGroupRule)",
        "    sg-sg-b  (alicloud:ecs:SecurityGroup)",
        "  5 × net-vsw-*  (alicloud:vpc:Switch)  [2 protected]",
        "  net-rt-a  (alicloud:cen:TransitRouterRouteTable)  [protected]",
        "  net-rt-b  (alicloud:cen:TransitRouterRouteTable)  [protected]",
        "  net-rt-c  (alicloud:cen:TransitRouterRouteTable)  [protected]",
        "  net-rt-d  (alicloud:cen:TransitRouterRouteTable)  [protected]",
      ].join("\n"),
    );
    const full = resourceTree(resources, "full").split("\n");
    assert.equal(full.length, resources.length);
    assert.equal(full[3], "    sg-a-1  (alicloud:ecs:SecurityGroupRule)");
    assert.equal(full[9], "  net-vsw-a  (alicloud:vpc:Switch)  [protected]");
  });

  it("resourceTree never groups a resource that has children", () => {
    const resources: TreeResource[] = [
      { urn: "s", name: "s", type: "pulumi:pulumi:Stack" },
      ...[1, 2, 3, 4, 5].map((i) => ({ urn: `c${i}`, name: `c-${i}`, type: "ack-mesh:x:C", parent: "s" })),
      { urn: "k", name: "k", type: "alicloud:vpc/switch:Switch", parent: "c1" },
    ];
    assert.deepEqual(resourceTree(resources).split("\n").slice(0, 3), ["s  (pulumi:pulumi:Stack)", "  c-1  (ack-mesh:x:C)", "    k  (alicloud:vpc:Switch)"]);
    assert.ok(!resourceTree(resources).includes(" × "), "4 leaves (c-2..c-5) stay below the threshold");
  });
});
