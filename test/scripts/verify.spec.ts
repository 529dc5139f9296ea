/**
 * `npm run verify`: argument parsing, stack-output parsing, the Jobs it
 * applies (the component's, under a fresh name), the table and the exit
 * status, with a fake live side (no Pulumi CLI, no cluster).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { VERIFY_CLIENT_IMAGE, verificationJob } from "../../components/meshVerification";
import { verdictLine } from "../../plan/verifyScripts";
import { planVerification, verificationInputFromConfig } from "../../plan/verify";
import { verifyImageWarning } from "../../plan/images";
import { Live, LiveCluster, USAGE, main, parseStackOutputs, parseVerifyArgs } from "../../scripts/verify";
import { stackRaw, topology } from "../support";

interface Applied {
    cluster: string;
    manifest: Record<string, unknown>;
}

/** A fake live stack: every Job passes unless its check id is in `fail` (then its verdict says what was seen). */
function fakeLive(outputs: unknown, fail: Record<string, string> = {}, noVerdict: string[] = []): { live: Live; applied: Applied[]; deleted: string[] } {
    const applied: Applied[] = [];
    const deleted: string[] = [];
    const jobs = new Map<string, Record<string, unknown>>();
    const envOf = (m: Record<string, unknown>) =>
        Object.fromEntries(((m.spec as { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } }).template.spec.containers[0].env).map((e) => [e.name, e.value]));
    const live: Live = {
        outputs: async () => outputs,
        cluster: (cluster): LiveCluster => ({
            apply: async (manifest) => {
                applied.push({ cluster, manifest });
                if (manifest.kind === "Job") jobs.set((manifest.metadata as { name: string }).name, manifest);
            },
            waitJob: async (_ns, name) => (fail[envOf(jobs.get(name)!).CHECK] !== undefined ? "failed" : "succeeded"),
            logs: async (_ns, name) => {
                const env = envOf(jobs.get(name)!);
                if (noVerdict.includes(env.CHECK)) return "curl: (6) Could not resolve host\n";
                const seen = fail[env.CHECK];
                return `warming up\n${verdictLine(seen === undefined, env.CHECK, env.CLUSTER, env.EXPECTED, seen ?? "as expected")}\n`;
            },
            deleteJob: async (ns, name) => void deleted.push(`${cluster}/${ns}/${name}`),
        }),
    };
    return { live, applied, deleted };
}

const PROD_OUTPUTS = {
    kubeconfigs: { beijing: "apiVersion: v1\n# beijing", shanghai: "apiVersion: v1\n# shanghai" },
    ingressAddresses: { beijing: "47.0.0.1", shanghai: "47.0.0.2" },
    eastWestAddresses: { beijing: "47.0.1.1", shanghai: "47.0.1.2" },
    layout: "multi-primary",
};

function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe("npm run verify", () => {
    it("parses its arguments, and says what is wrong", () => {
        assert.deepEqual(parseVerifyArgs(["prod", "--failover", "--requests", "400", "--only", "calls,routing", "--keep"]), {
            stack: "prod", failover: true, keep: true, requests: 400, only: ["calls", "routing"],
        });
        assert.throws(() => parseVerifyArgs([]), /the stack name is missing/);
        assert.throws(() => parseVerifyArgs(["prod", "--only", "dns"]), /--only: unknown check kind\(s\) dns; use discovery, calls, ingress, routing, mtls, failover/);
        assert.throws(() => parseVerifyArgs(["prod", "--requests", "many"]), /--requests must be a whole number, got "many"/);
        assert.throws(() => parseVerifyArgs(["prod", "--outputs"]), /--outputs needs a value/);
    });

    it("names every stack output the checks lack", () => {
        const t = topology(stackRaw("prod"));
        const plan = planVerification(verificationInputFromConfig(t.config, t.identity, t.network));
        assert.throws(
            () => parseStackOutputs({ kubeconfigs: { beijing: "x", shanghai: "[secret]".slice(0, 0) }, ingressAddresses: { beijing: "1.1.1.1" }, eastWestAddresses: PROD_OUTPUTS.eastWestAddresses }, plan),
            (e: unknown) =>
                e instanceof Error &&
                e.message ===
                    'the stack outputs lack ingressAddresses.shanghai, kubeconfigs.shanghai: run `pulumi up` first; read them with `pulumi stack output --json --show-secrets` (a secret kubeconfig prints as "[secret]" without --show-secrets)',
        );
        // Two networks: answers from the other network arrive through its east-west gateway, whose address the outputs must give.
        const network = t.identity.clusters.shanghai.network;
        assert.throws(
            () => parseStackOutputs({ ...PROD_OUTPUTS, eastWestAddresses: { beijing: "47.0.1.1" } }, plan),
            (e: unknown) => e instanceof Error && e.message.startsWith(`the stack outputs lack eastWestAddresses (an address in network ${network}): run \`pulumi up\` first`),
        );
    });

    it("runs every check of prod through the component's Jobs, prints the table and exits 0", async () => {
        const { live, applied, deleted } = fakeLive(PROD_OUTPUTS);
        const o = io();
        const code = await main(["prod"], o.io, live, 1700000000000);
        assert.equal(code, 0, o.err.join("\n"));
        const t = topology(stackRaw("prod"));
        const plan = planVerification(verificationInputFromConfig(t.config, t.identity, t.network));
        // prod is in mainland China and pulls the default client image from Docker Hub: said before the Jobs start.
        assert.deepEqual(o.err, [`warning: ${verifyImageWarning(t.config)}`]);
        assert.match(o.err[0], /comes from docker\.io/);
        const jobs = applied.filter((a) => a.manifest.kind === "Job");
        assert.deepEqual(jobs.map((j) => [j.cluster, (j.manifest.metadata as { name: string }).name]).sort(), plan.checks.map((c) => [c.cluster, verificationJob(c, VERIFY_CLIENT_IMAGE, "cli-1700000000000").metadata.name]).sort());
        const ingress = jobs.find((j) => (j.manifest.metadata as { name: string }).name.startsWith("ingress-shanghai-"))!;
        const check = plan.checks.find((c) => c.id === "ingress-shanghai")!;
        assert.deepEqual(ingress.manifest, { apiVersion: "batch/v1", kind: "Job", ...verificationJob(check, VERIFY_CLIENT_IMAGE, "cli-1700000000000", "47.0.0.2") });
        // The discovery accounts first.
        assert.deepEqual(applied.slice(0, 2).map((a) => [a.cluster, a.manifest.kind, (a.manifest.metadata as { namespace: string }).namespace]), [
            ["beijing", "ServiceAccount", "istio-system"],
            ["shanghai", "ServiceAccount", "istio-system"],
        ]);
        assert.equal(deleted.length, plan.checks.length);
        const table = o.out.join("\n");
        assert.match(table, /^CHECK\s+CLUSTER\s+RESULT\s+DETAIL$/m);
        assert.match(table, /^routing-jason-beijing +beijing +PASS +expected: only v2 v3, v2 72\.\.128 of 200\n {20,}seen: +as expected$/m);
        assert.ok(table.split("\n").every((l) => l.length <= 120), table);
        assert.match(table, /failover\s+skipped\s+routing is header-split, not locality-failover/);
        assert.match(table, /all 11 checks passed$/);
    });

    it("exits 1 and shows what was seen when a check fails or gives no verdict; --keep keeps the Jobs", async () => {
        const { live, deleted } = fakeLive(PROD_OUTPUTS, { "discovery-shanghai": "beijing=timeout shanghai=synced" }, ["mtls-beijing"]);
        const o = io();
        const code = await main(["prod", "--keep", "--only", "discovery,mtls"], o.io, live, 1);
        assert.equal(code, 1);
        const table = o.out.join("\n");
        assert.match(table, /^discovery-shanghai +shanghai +FAIL +expected: beijing=synced shanghai=synced\n +seen: +beijing=timeout shanghai=synced$/m);
        assert.match(table, /^mtls-beijing +beijing +ERROR +expected: .*\n +seen: +Job bookinfo\/mtls-beijing-[0-9a-f]{8} succeeded without a verdict line/m);
        assert.match(table, /2 of 4 checks did not pass$/);
        assert.deepEqual(deleted, []);
    });

    it("runs the failover checks only when asked, after the others, one at a time", async () => {
        const outputs = { kubeconfigs: { hangzhou: "k", shanghai: "k" }, ingressAddresses: { hangzhou: "47.0.0.1" }, eastWestAddresses: {} };
        const { live, applied } = fakeLive(outputs);
        const o = io();
        assert.equal(await main(["staging", "--failover", "--requests", "50"], o.io, live, 2), 0, o.err.join("\n"));
        const kinds = applied.filter((a) => a.manifest.kind === "Job").map((a) => (a.manifest.metadata as { labels: Record<string, string> }).labels["app.kubernetes.io/component"]);
        const firstFailover = kinds.indexOf("failover");
        assert.ok(firstFailover > 0 && kinds.slice(firstFailover).every((k) => k === "failover"), kinds.join(","));
        assert.equal(kinds.filter((k) => k === "failover").length, 8);
        assert.deepEqual(applied.filter((a) => a.manifest.kind === "Role").map((a) => a.cluster), ["hangzhou", "shanghai"]);
    });

    it("--help prints the usage and exits 0 without reading a stack", async () => {
        const o = io();
        assert.equal(await main(["--help"], o.io, fakeLive({}).live), 0);
        assert.deepEqual([o.out, o.err], [[USAGE], []]);
    });

    it("exits 2 on a usage error, a bad stack or unusable outputs", async () => {
        const o = io();
        assert.equal(await main(["prod", "--bogus"], o.io, fakeLive({}).live), 2);
        assert.deepEqual(o.err, [`unknown option --bogus\n${USAGE}`]);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-spec-"));
        try {
            const file = path.join(dir, "Pulumi.x.yaml");
            fs.writeFileSync(file, "config:\n  ack-mesh:verify:\n    requests: 3\n");
            const bad = io();
            assert.equal(await main(["x", "--stack-file", file], bad.io, fakeLive({}).live), 2);
            assert.match(bad.err.join("\n"), /verify\.requests/);
            const outputsFile = path.join(dir, "outputs.json");
            fs.writeFileSync(outputsFile, JSON.stringify({ kubeconfigs: {} }));
            const none = io();
            assert.equal(await main(["prod", "--outputs", outputsFile], none.io, fakeLive({}).live), 2);
            assert.match(none.err.at(-1)!, /^the stack outputs lack eastWestAddresses \(an address in network network-beijing\), eastWestAddresses \(an address in network network-shanghai\), ingressAddresses\.beijing, ingressAddresses\.shanghai, kubeconfigs\.beijing, kubeconfigs\.shanghai/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
