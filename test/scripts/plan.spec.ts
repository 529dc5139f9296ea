import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PRICING_PAGES, parseArgs } from "../../scripts/plan";
import { ALIBABA_LB_ADDRESS_TYPE, CanonicalPlan, CanonicalResource, dependencyGraph } from "../../sim";
import { upTimes } from "../../bench/analysis";
import { runPlan as run } from "../support/planCli";
import { ROOT, stackNames } from "../support";
import { VERIFY_CLIENT_IMAGE } from "../../plan/verify";


describe("npm run plan (scripts/plan.ts)", () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ack-mesh-plan-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const stack of ["dev", "staging", "prod"]) {
    it(`plans ${stack}: exit 0 with every section`, async () => {
      const { code, out, err } = await run(stack);
      assert.equal(code, 0, err);
      for (const section of ["ack-mesh offline plan: stack", "Mesh layout", "CIDR plan", "Bookinfo", "What this costs", "Resources: ", "Critical path: ", "Resource tree", "Next step"]) {
        assert.ok(out.includes(section), `${stack}: missing ${section}`);
      }
      assert.match(out, /\ncluster +region +role +network\n/);
      assert.match(out, /\ncluster +ingress +east-west\n/);
      assert.match(out, /istio-ingressgateway \(internet SLB\)/);
      assert.match(out, /istio-eastwestgateway \(intranet SLB\)/);
      assert.match(out, /\n +1\. 0\.0 min \(\+0 s\) +alicloud-cn-[a-z]+ +\(pulumi:providers:alicloud\)/, "the critical path starts at a region provider");
      assert.match(out, /\(alicloud:cs:ManagedKubernetes\)/, "types as pulumi preview shows them");
    });
  }

  it("covers every stack file", () => assert.deepEqual(stackNames(), ["dev", "fleet", "prod", "staging"]));

  /** The cost table's rows as `billable → count`, read from the text output. */
  function costCounts(out: string): Record<string, number> {
    const lines = out.split("\n");
    const at = lines.indexOf("What this costs");
    const counts: Record<string, number> = {};
    for (const l of lines.slice(at + 3)) {
      if (l === "") break;
      const m = /^(.+?) {2,}(\d+) {2}/.exec(l);
      assert.ok(m, `cost row ${JSON.stringify(l)}`);
      counts[m[1]] = Number(m[2]);
    }
    return counts;
  }

  /** The same counts, computed here from the recorded resources of the canonical plan. */
  function expectedCosts(plan: CanonicalPlan): Record<string, number> {
    const created = plan.resources.filter((r) => r.operation === "register");
    const of = (t: string) => created.filter((r) => r.type === t);
    const add = (m: Record<string, number>, k: string, n: number) => (m[k] = (m[k] ?? 0) + n);
    const out: Record<string, number> = {};
    for (const c of of("alicloud:cs/managedKubernetes:ManagedKubernetes")) add(out, `ACK clusters, ${c.inputs.clusterSpec} (${String(c.inputs.clusterSpec).startsWith("ack.pro.") ? "Pro" : "Basic"})`, 1);
    for (const p of of("alicloud:cs/nodePool:NodePool")) add(out, `ECS workers, ${(p.inputs.instanceTypes as string[])[0]}`, Number(p.inputs.desiredSize));
    out["SLB (CLB) of the API server, by ACK"] = of("alicloud:cs/managedKubernetes:ManagedKubernetes").length;
    out["SLB (CLB), internet, LoadBalancer Service"] = 0;
    out["SLB (CLB), intranet, LoadBalancer Service"] = 0;
    const gateways = of("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "gateway");
    for (const g of gateways) {
      const service = (g.inputs.values as { service: { type?: string; annotations?: Record<string, string> } }).service;
      if ((service.type ?? "LoadBalancer") !== "LoadBalancer") continue;
      add(out, `SLB (CLB), ${service.annotations?.[ALIBABA_LB_ADDRESS_TYPE] === "intranet" ? "intranet" : "internet"}, LoadBalancer Service`, 1);
    }
    const lbServices = of("kubernetes:core/v1:Service").filter((r: CanonicalResource) => (r.inputs.spec as { type?: string } | undefined)?.type === "LoadBalancer");
    assert.equal(lbServices.length, 0, "the shipped stacks have no plain LoadBalancer Services");
    out["NAT gateways"] = of("alicloud:vpc/natGateway:NatGateway").length;
    out["EIPs"] = of("alicloud:ecs/eipAddress:EipAddress").length;
    out["CEN transit routers"] = of("alicloud:cen/transitRouter:TransitRouter").length;
    out["CEN VPC connections"] = of("alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment").length;
    out["CEN inter-region connections"] = of("alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment").length;
    return out;
  }

  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack}: every line of the default output fits 120 columns`, async () => {
      const { code, out } = await run(stack);
      assert.equal(code, 0);
      const wide = out.split("\n").filter((l) => [...l].length > 120);
      assert.deepEqual(wide, []);
    });

    it(`${stack}: "What this costs" counts what the recorded resources create`, async () => {
      const file = path.join(tmp, `${stack}-costs.json`);
      const { code, out } = await run(stack, "--json", file);
      assert.equal(code, 0);
      const plan = JSON.parse(fs.readFileSync(file, "utf8")) as CanonicalPlan;
      assert.deepEqual(costCounts(out), expectedCosts(plan));
    });

    it(`${stack}: the critical path is in the bench's reference minutes`, async () => {
      const file = path.join(tmp, `${stack}-cp.json`);
      const { out } = await run(stack, "--json", file);
      const plan = JSON.parse(fs.readFileSync(file, "utf8")) as CanonicalPlan;
      const minutes = upTimes(dependencyGraph(plan)).criticalPath;
      assert.match(out, new RegExp(`\\nCritical path: ${Number(minutes.toFixed(1)).toString().replace(".", "\\.")} min, \\d+ resources deep\\n`));
    });

    it(`${stack}: ends with the pulumi commands for the stack`, async () => {
      const { out } = await run(stack);
      const lines = out.split("\n");
      const at = lines.indexOf("Next step");
      assert.deepEqual(lines.slice(at), [
        "Next step",
        "Preview against the real cloud, then apply (Alibaba Cloud credentials needed):",
        `  pulumi preview -s ${stack}`,
        `  pulumi up -s ${stack}`,
        `For a new stack, run pulumi stack init ${stack} first.`,
      ]);
    });
  }

  it("prod: the exact cost summary (counts and what they are)", async () => {
    const { out } = await run("prod");
    const lines = out.split("\n");
    const at = lines.indexOf("What this costs");
    assert.deepEqual(lines.slice(at + 1, at + 14), [
      "billable                                   count  detail",
      "-----------------------------------------  -----  ----------------------------------------------------------",
      "ACK clusters, ack.pro.small (Pro)          2      beijing, shanghai",
      "ECS workers, ecs.g7.2xlarge                6      beijing-apps 3, shanghai-apps 3",
      "ECS workers, ecs.g7.xlarge                 6      beijing-system 3, shanghai-system 3",
      "SLB (CLB) of the API server, by ACK        2      one per cluster; public endpoint on 2 (slbInternetEnabled)",
      "SLB (CLB), internet, LoadBalancer Service  2      istio-ingressgateway in beijing, shanghai",
      "SLB (CLB), intranet, LoadBalancer Service  2      istio-eastwestgateway in beijing, shanghai",
      "NAT gateways                               2      net-beijing, net-shanghai (Enhanced, PayByLcu)",
      "EIPs                                       2      net-beijing, net-shanghai (PayByTraffic, up to 100 Mbit/s)",
      "CEN transit routers                        2      cn-beijing, cn-shanghai",
      "CEN VPC connections                        2      net-attach-beijing, net-attach-shanghai",
      "CEN inter-region connections               1      cn-beijing ↔ cn-shanghai (100 Mbit/s, DataTransfer)",
    ]);
    for (const p of Object.values(PRICING_PAGES)) {
      assert.match(p.url, /^https:\/\/(www\.)?alibabacloud\.com\/help\/en\//);
      assert.ok(lines.includes(`  ${Object.entries(PRICING_PAGES).find(([, v]) => v === p)![0].toUpperCase()}  ${p.url}`), p.url);
    }
  });

  it("groups repeated leaves of the tree into one line with a count; --tree full lists every resource", async () => {
    const grouped = (await run("prod")).out.split("\n");
    for (const line of ["    12 × net-*  (alicloud:vpc:Switch)", "    12 × net-snat-*  (alicloud:vpc:SnatEntry)", "    24 × sg-*  (alicloud:ecs:SecurityGroupRule)", "    8 × bookinfo-*  (kubernetes:core/v1:ServiceAccount)"]) {
      assert.ok(grouped.includes(line), line);
    }
    assert.ok(grouped.includes("Resource tree (5 or more leaves of one type under one parent as one line; --tree full lists each)"));
    assert.ok(!grouped.some((l) => l.startsWith("    sg-beijing-slb-80  ")), "grouped members are not listed");
    assert.ok(grouped.includes("    beijing-np-apps  (alicloud:cs:NodePool)  [protected]"), "fewer than 5 leaves stay listed");
    const dev = (await run("dev")).out.split("\n");
    assert.ok(dev.includes("    28 × sg-istio-*  (alicloud:ecs:SecurityGroupRule)"));

    const file = path.join(tmp, "prod-tree.json");
    const full = await run("prod", "--tree", "full", "--json", file);
    const lines = full.out.split("\n");
    const at = lines.indexOf("Resource tree");
    const tree = lines.slice(at + 1, lines.indexOf("", at));
    const plan = JSON.parse(fs.readFileSync(file, "utf8")) as CanonicalPlan;
    assert.equal(tree.length, plan.resources.filter((r) => r.operation === "register").length, "one line per resource (the stack included)");
    assert.ok(tree.includes("    sg-beijing-slb-80  (alicloud:ecs:SecurityGroupRule)"));
    assert.ok(!tree.some((l) => l.includes(" × ")));
  });

  it("--stack-file: the next step names the stack and passes the file with --config-file", async () => {
    const file = path.join(tmp, "Pulumi.trial.yaml");
    fs.copyFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), file);
    const { code, out } = await run("--stack-file", file);
    assert.equal(code, 0);
    const lines = out.split("\n");
    assert.deepEqual(lines.slice(lines.indexOf("Next step") + 2, lines.indexOf("Next step") + 4), [`  pulumi preview -s trial --config-file ${file}`, `  pulumi up -s trial --config-file ${file}`]);
    assert.ok(lines.includes("The stack is trial; --config-file makes Pulumi read that file instead of stacks/Pulumi.trial.yaml."));
  });

  it("--format markdown: cost table with pricing links, the critical path in minutes, the tree folded, the commands in a sh block", async () => {
    const { code, out } = await run("prod", "--format", "markdown");
    assert.equal(code, 0);
    assert.match(out, /\n### What this costs\n\| billable \| count \| detail \| pricing \|\n\|---\|---\|---\|---\|\n/);
    assert.ok(out.includes(`| CEN inter-region connections | 1 | cn-beijing ↔ cn-shanghai (100 Mbit/s, DataTransfer) | [CEN billing](${PRICING_PAGES.cen.url}) |`));
    assert.match(out, /\n1\. 0\.0 min \(\+0 s\) `alicloud-cn-beijing` \(pulumi:providers:alicloud\)\n/);
    assert.match(out, /<details><summary>Resource tree \(5 or more[^<]*<\/summary>\n\n```\n[\s\S]*\n {4}24 × sg-\* {2}\(alicloud:ecs:SecurityGroupRule\)\n[\s\S]*```\n\n<\/details>\n/);
    assert.ok(out.endsWith("### Next step\nPreview against the real cloud, then apply (Alibaba Cloud credentials needed):\n\n```sh\npulumi preview -s prod\npulumi up -s prod\n```\n\nFor a new stack, run `pulumi stack init prod` first."));
    assert.ok(out.split("\n").some((l) => l.length > 120), "markdown is not wrapped (GitHub wraps it)");
  });

  it("prints the Preflight section and, first, the image-source warnings", async () => {
    const { code, out } = await run("staging");
    assert.equal(code, 0);
    const lines = out.split("\n");
    assert.equal(lines[2], "Warnings: 3");
    assert.match(lines[3], /^!! WARNING: the Istio images come from docker\.io\/istio, on the internet outside China/);
    const at = lines.indexOf("Preflight");
    assert.ok(at > 0 && at < lines.indexOf("CIDR plan"), "Preflight comes before the CIDR plan");
    assert.equal(lines[at + 3], "Preflight passed: 10 checks against the account");
    assert.match(lines[at + 4], /^ {2}ok {2}hangzhou: zones cn-hangzhou-h, cn-hangzhou-i offered in cn-hangzhou$/);
    assert.ok(lines.includes("  ok  vpc shanghai: transit router of cn-shanghai supports cn-shanghai-l, cn-shanghai-m"));
  });

  it("a stack the preflight rejects exits 2 with every problem and the config path", async () => {
    const file = path.join(tmp, "Pulumi.eol.yaml");
    const doc = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8").replace("role: remote", "role: remote\n      kubernetesVersion: 1.34.2-aliyun.1");
    fs.writeFileSync(file, doc);
    const { code, out, err } = await run("--stack-file", file);
    assert.equal(code, 2, err);
    assert.equal(out, "");
    assert.match(err, /Pulumi\.eol\.yaml: Preflight failed: the account does not offer what the stack asks for \(1 problem\):/);
    assert.match(err, /clusters\.istio-remote1\.kubernetesVersion: is not offered by ACK for new managed clusters in cn-hangzhou/);
  });

  it("--images lists exactly the images (with tags) and charts the stack pulls, one per line", async () => {
    const { code, out } = await run("prod", "--images");
    assert.equal(code, 0);
    assert.deepEqual(out.split("\n"), [
      // The verification client (npm run verify pulls it even with verify.enabled false).
      `image ${VERIFY_CLIENT_IMAGE}`,
      "image docker.io/istio/pilot:1.30.3",
      "image docker.io/istio/proxyv2:1.30.3",
      "image registry.istio.io/release/examples-bookinfo-details-v1:1.20.3",
      "image registry.istio.io/release/examples-bookinfo-productpage-v1:1.20.3",
      "image registry.istio.io/release/examples-bookinfo-ratings-v1:1.20.3",
      "image registry.istio.io/release/examples-bookinfo-reviews-v1:1.20.3",
      "image registry.istio.io/release/examples-bookinfo-reviews-v2:1.20.3",
      "image registry.istio.io/release/examples-bookinfo-reviews-v3:1.20.3",
      "chart https://istio-release.storage.googleapis.com/charts/base-1.30.3.tgz",
      "chart https://istio-release.storage.googleapis.com/charts/istiod-1.30.3.tgz",
      "chart https://istio-release.storage.googleapis.com/charts/gateway-1.30.3.tgz",
    ]);
  });

  it("prints Bookinfo placement and routing from the config", async () => {
    const { out } = await run("prod");
    assert.match(out, /reviews-v2 +shanghai \(cn-shanghai\)/);
    assert.match(out, /ratings-v1 +beijing \(cn-beijing\), shanghai \(cn-shanghai\)/);
    assert.match(out, /Routing: header-split: requests of user jason/);
  });

  it("a broken stack file (--stack-file) exits 2 with the validation message", async () => {
    const file = path.join(tmp, "Pulumi.broken.yaml");
    const doc = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8").replace("networks: flat", "netwroks: flat");
    fs.writeFileSync(file, doc);
    const { code, out, err } = await run("--stack-file", file);
    assert.equal(code, 2);
    assert.equal(out, "");
    assert.match(err, /Pulumi\.broken\.yaml: Invalid ack-mesh configuration/);
    assert.match(err, /mesh\.netwroks: unknown key .*did you mean "networks"\?/);
  });

  it("a stack file that is not valid YAML exits 2 with file:line:column and the YAML error", async () => {
    const file = path.join(tmp, "Pulumi.dup.yaml");
    fs.writeFileSync(file, "config:\n  ack-mesh:protect: true\n  ack-mesh:protect: false\n");
    const { code, out, err } = await run("--stack-file", file);
    assert.equal(code, 2);
    assert.equal(out, "");
    assert.match(err.split("\n")[0], new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:3: Map keys must be unique`));
  });

  it("--diff with a stack file of another name takes the stack from the earlier plan; a plan of another stack exits 1", async () => {
    const before = path.join(tmp, "dev-before.json");
    assert.equal((await run("dev", "--json", before)).code, 0);
    const file = path.join(tmp, "x.yaml");
    fs.copyFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), file);
    const same = await run("--stack-file", file, "--diff", before);
    assert.equal(same.code, 0, same.err);
    assert.match(same.out, /^Plan diff \(stack dev\): 0 to create, 0 to update, 0 to replace, 0 to delete/);
    const other = await run("staging", "--diff", before);
    assert.equal(other.code, 1);
    assert.match(other.err, /is a plan of stack dev, not of staging: a diff compares two plans of one stack/);
  });

  it("usage errors and unknown stacks exit 1", async () => {
    assert.equal((await run()).code, 1);
    assert.match((await run("dev", "--format", "html")).err, /--format must be text or markdown/);
    const unknown = await run("nope");
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no stack file stacks\/Pulumi\.nope\.yaml; stacks: dev, fleet, prod, staging/);
    assert.deepEqual(parseArgs(["dev", "--json=a.json", "--diff", "b.json", "--mermaid", "--allow-replace"]), {
      stack: "dev",
      json: "a.json",
      diff: "b.json",
      mermaid: true,
      format: "text",
      allowReplace: true,
      help: false,
      images: false,
      tree: "grouped",
    });
    assert.equal(parseArgs(["dev", "--tree", "full"]).tree, "full");
    const tree = await run("dev", "--tree", "all");
    assert.equal(tree.code, 1);
    assert.match(tree.err, /--tree must be grouped or full, got "all"/);
  });

  it("--json writes the same bytes twice, and a diff against it is empty", async () => {
    const a = path.join(tmp, "a.json");
    const b = path.join(tmp, "b.json");
    assert.equal((await run("staging", "--json", a)).code, 0);
    assert.equal((await run("staging", "--json", b)).code, 0);
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
    const doc = JSON.parse(fs.readFileSync(a, "utf8")) as CanonicalPlan;
    assert.deepEqual([doc.stack, doc.project, doc.version], ["staging", "ack-mesh", 1]);
    const { code, out } = await run("staging", "--diff", a);
    assert.equal(code, 0);
    assert.match(out, /0 to create, 0 to update, 0 to replace, 0 to delete, \d+ unchanged/);
    assert.doesNotMatch(out, /Resource tree/, "--diff prints only the diff");
  });

  it("--diff against a plan with another podCidr exits 3 and names podCidr; --allow-replace exits 0", async () => {
    const file = path.join(tmp, "dev.json");
    assert.equal((await run("dev", "--json", file)).code, 0);
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as CanonicalPlan;
    const cluster = doc.resources.find((r) => r.name === "istio-control-plane-cluster")!;
    cluster.inputs["podCidr"] = "172.30.0.0/16";
    fs.writeFileSync(file, JSON.stringify(doc));
    const blocked = await run("dev", "--diff", file, "--format", "markdown");
    assert.equal(blocked.code, 3);
    assert.match(blocked.out, /\| \*\*REPLACE\*\* ⛔ \| `istio-control-plane-cluster` \| `alicloud:ManagedKubernetes` \| podCidr: "172\.30\.0\.0\/16" → "172\.16\.0\.0\/16" forces replacement/);
    assert.match(blocked.out, /`istio-control-plane-np-default` .* clusterId comes from replaced istio-control-plane-cluster/);
    assert.match(blocked.out, /BLOCKED \(exit 3\)/);
    const allowed = await run("dev", "--diff", file, "--allow-replace");
    assert.equal(allowed.code, 0);
    assert.match(allowed.out, /REPLACE \(blocking\) +istio-control-plane-cluster/);
    assert.match(allowed.out, /ALLOWED \(--allow-replace\)/);
  });

  it("--diff against a missing or foreign file exits 1", async () => {
    assert.equal((await run("dev", "--diff", path.join(tmp, "missing.json"))).code, 1);
    const bad = path.join(tmp, "v9.json");
    fs.writeFileSync(bad, '{"version":9,"stack":"dev","project":"ack-mesh","resources":[]}');
    const { code, err } = await run("dev", "--diff", bad);
    assert.equal(code, 1);
    assert.match(err, /canonical plan version 9 is not supported/);
  });

  it("fleet (several primaries with remotes): the mesh table and the chart show who controls whom", async () => {
    const { code, out, err } = await run("fleet");
    assert.equal(code, 0, err);
    const rows = out.split("\n").filter((l) => /^(bj|sh)-[a-z0-9-]+ +cn-[a-z]+ +(control plane|remote of)/.test(l)).map((l) => l.split(/ {2,}/));
    assert.deepEqual(rows, [
      ["bj-apps-1", "cn-beijing", "remote of bj-primary", "net-beijing"],
      ["bj-apps-2", "cn-beijing", "remote of bj-primary", "net-beijing"],
      ["bj-primary", "cn-beijing", "control plane (istiod) of bj-apps-1, bj-apps-2", "net-beijing"],
      ["sh-apps-1", "cn-shanghai", "remote of sh-primary", "net-shanghai"],
      ["sh-apps-2", "cn-shanghai", "remote of sh-primary", "net-shanghai"],
      ["sh-primary", "cn-shanghai", "control plane (istiod) of sh-apps-1, sh-apps-2", "net-shanghai"],
    ]);
    assert.match(out, /multi-primary-remote, multi-network \(net-beijing, net-shanghai\): bj-primary ← bj-apps-1, bj-apps-2; sh-primary ←\nsh-apps-1, sh-apps-2/);

    const chart = (await run("fleet", "--mermaid")).out.split("\n");
    const edges = (label: string) =>
      chart
        .filter((l) => l.includes(`"${label}`))
        .map((l) => l.trim().replace(/ -\. ".*" \.-> /, " -> ").replace(/_[0-9a-f]{6}\b/g, ""))
        .sort();
    // Each remote is served by its own primary, and read by it.
    assert.deepEqual(edges("xDS 15012"), ["cl_bj_apps_1 -> cl_bj_primary", "cl_bj_apps_2 -> cl_bj_primary", "cl_sh_apps_1 -> cl_sh_primary", "cl_sh_apps_2 -> cl_sh_primary"]);
    assert.deepEqual(edges("remote secret"), ["cl_bj_primary -> cl_bj_apps_1", "cl_bj_primary -> cl_bj_apps_2", "cl_sh_primary -> cl_sh_apps_1", "cl_sh_primary -> cl_sh_apps_2"]);
    // Every primary also discovers the other primary and the other primary's remotes.
    assert.deepEqual(edges("peer: reads"), ["cl_bj_primary -> cl_sh_primary", "cl_sh_primary -> cl_bj_primary"]);
    assert.deepEqual(edges("discovery: reads"), ["cl_bj_primary -> cl_sh_apps_1", "cl_bj_primary -> cl_sh_apps_2", "cl_sh_primary -> cl_bj_apps_1", "cl_sh_primary -> cl_bj_apps_2"]);
  });

  it("--mermaid prints a flowchart (fenced with --format markdown)", async () => {
    const text = await run("prod", "--mermaid");
    assert.equal(text.code, 0);
    assert.match(text.out, /^flowchart LR\n/);
    assert.match(text.out, /<-- "CEN peer attachment" -->/);
    assert.match(text.out, /<-- "cross-network mTLS 15443" -->/);
    assert.match(text.out, /-\. "peer: reads API 6443" \.->/);
    const md = await run("prod", "--mermaid", "--format", "markdown");
    assert.match(md.out, /^```mermaid\nflowchart LR\n[\s\S]*\n```$/);
  });
});
