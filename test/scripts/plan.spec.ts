import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main, parseArgs, PlanIO } from "../../scripts/plan";
import { CanonicalPlan } from "../../sim";
import { ROOT, stackNames } from "../support";

/** Runs the CLI in-process and captures its output. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: PlanIO = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(argv, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

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

  it("covers every stack file", () => assert.deepEqual(stackNames(), ["dev", "prod", "staging"]));

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

  it("usage errors and unknown stacks exit 1", async () => {
    assert.equal((await run()).code, 1);
    assert.match((await run("dev", "--format", "html")).err, /--format must be text or markdown/);
    const unknown = await run("nope");
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no stack file stacks\/Pulumi\.nope\.yaml; stacks: dev, prod, staging/);
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
