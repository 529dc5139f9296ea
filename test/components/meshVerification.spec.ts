/**
 * MeshVerification on the simulated cloud, through the real program with
 * `ack-mesh:verify.enabled`: exact Jobs per check (names, clusters, commands,
 * expectations), what they wait for, the serial failover Jobs, re-runs keyed
 * by the mesh, a fake failed Job failing the update with the verdict, and
 * validation before any child.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { ConfigError } from "../../config/errors";
import { JOB_START_SECONDS, MESH_VERIFICATION_TYPE, MeshVerification, VERIFY_CLIENT_IMAGE, jobDeadlineSeconds, jobName, verificationJob } from "../../components/meshVerification";
import { checkBudgetSeconds, checkScript, verdictLine } from "../../plan/verifyScripts";
import { planVerification, verificationInputFromConfig } from "../../plan/verify";
import { clusterHandleFromKubeconfig } from "../../components/types";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { ROOT, RecordedResource, SimulationError, SimulationResult, readStackConfig, simulate, stackRaw, topology } from "../support";

const JOB = "kubernetes:batch/v1:Job";
const SA = "kubernetes:core/v1:ServiceAccount";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";

function stackConfig(stack: string, verify: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
    return { config: { ...config, "ack-mesh:verify": verify, ...extra }, secretConfigKeys };
}

async function runStack(stack: string, verify: Record<string, unknown>, opts: { extra?: Record<string, unknown>; jobOutcomes?: Record<string, { terminationMessage: string }> } = {}): Promise<SimulationResult> {
    const { config, secretConfigKeys } = stackConfig(stack, verify, opts.extra);
    return simulate(runAckMesh, { project: "ack-mesh", stack, config, secretConfigKeys, ...(opts.jobOutcomes ? { jobOutcomes: opts.jobOutcomes } : {}) });
}

function planOf(stack: string, options = {}) {
    const t = topology(stackRaw(stack));
    return planVerification(verificationInputFromConfig(t.config, t.identity, t.network), options);
}

function providerCluster(r: SimulationResult, x: RecordedResource): string {
    return (r.byUrn(x.providerUrn!)?.name ?? "").replace(/-k8s$/, "");
}

const meta = (x: RecordedResource) => x.inputs.metadata as { name: string; namespace: string; annotations: Record<string, string> };

describe("MeshVerification", function () {
    this.timeout(120_000);
    const results = new Map<string, SimulationResult>();
    const cached = async (stack: string, verify: Record<string, unknown>) => {
        const key = `${stack}:${JSON.stringify(verify)}`;
        if (!results.has(key)) results.set(key, await runStack(stack, verify));
        return results.get(key)!;
    };

    it("is off by default: no Job, no verification output", async () => {
        const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", "Pulumi.dev.yaml"));
        const r = await simulate(runAckMesh, { project: "ack-mesh", stack: "dev", config, secretConfigKeys });
        assert.deepEqual(r.byType(JOB), []);
        assert.equal(r.byType(MESH_VERIFICATION_TYPE).length, 0);
        assert.equal("verificationJobs" in r.outputs, false);
    });

    it("prod: one Job per check in the check's cluster, with the check's program, expectation and name", async () => {
        const r = await cached("prod", { enabled: true });
        const plan = planOf("prod");
        const component = r.get(MESH_VERIFICATION_TYPE, "verify");
        // Registration order follows the outputs the Jobs wait for; compare as sets.
        const jobs = r.byType(JOB).sort((a, b) => (a.name < b.name ? -1 : 1));
        assert.deepEqual(
            jobs.map((j) => [j.name, providerCluster(r, j), j.parent]),
            plan.checks.map((c) => [`verify-${c.id}`, c.cluster, component.urn]).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
        );
        for (const c of plan.checks) {
            const j = r.get(JOB, `verify-${c.id}`);
            const spec = j.inputs.spec as { backoffLimit: number; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: { image: string; command: string[]; env: { name: string; value: string }[] }[] } } };
            const container = spec.template.spec.containers[0];
            assert.equal(meta(j).namespace, c.namespace);
            assert.deepEqual(meta(j).annotations, { "ack-mesh.io/expected": c.expected, "pulumi.com/replaceUnready": "true" });
            assert.equal(spec.backoffLimit, 0);
            assert.equal(container.image, VERIFY_CLIENT_IMAGE);
            assert.deepEqual(container.command, ["/bin/sh", "-c", checkScript(c)]);
            assert.equal(container.env.find((e) => e.name === "EXPECTED")?.value, c.expected, c.id);
            assert.equal(spec.template.metadata.labels["sidecar.istio.io/inject"], c.sidecar ? "true" : "false");
            assert.deepEqual(spec.template.metadata.annotations, c.sidecar ? { "sidecar.istio.io/nativeSidecar": "true" } : undefined);
            assert.equal(j.deleteBeforeReplace, true);
            // The Job's deadline: the program's own time budget (it prints a verdict by then) plus the pod's start.
            const pod = (j.inputs.spec as { activeDeadlineSeconds: number; template: { spec: { terminationGracePeriodSeconds: number } } });
            assert.equal(pod.activeDeadlineSeconds, checkBudgetSeconds(c) + JOB_START_SECONDS, c.id);
            assert.equal(pod.template.spec.terminationGracePeriodSeconds, 0);
            const minutes = `${Math.ceil(pod.activeDeadlineSeconds / 60) + 2}m`;
            assert.deepEqual(j.customTimeouts, { create: minutes, update: minutes });
            // No skipAwait: the provider waits for the Job.
            assert.equal(JSON.stringify(j.inputs).includes("skipAwait"), false);
        }
        assert.deepEqual(r.outputs.verificationJobs, Object.fromEntries(jobs.map((j) => [j.name.replace(/^verify-/, ""), meta(j).name])));
        // The ingress check calls the gateway's address; traffic checks map answers by pod ranges and (multi-network) east-west addresses.
        const ingress = r.get(JOB, "verify-ingress-beijing");
        const env = (x: RecordedResource) => Object.fromEntries((x.inputs.spec as { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } }).template.spec.containers[0].env.map((e) => [e.name, e.value]));
        assert.equal(env(ingress).ADDRESS, (r.outputs.ingressAddresses as Record<string, string>).beijing);
        const ranges = env(r.get(JOB, "verify-calls-details-beijing")).RANGES.split(";");
        const ew = (r.outputs.eastWestAddresses as Record<string, string>).shanghai;
        const [a, b, c, d] = ew.split(".").map(Number);
        const n = ((a * 256 + b) * 256 + c) * 256 + d;
        const network = topology(stackRaw("prod")).identity.clusters.shanghai.network;
        assert.ok(ranges.includes(`net:${network} ${n} ${n}`), `east-west address of shanghai (${ew}) as its network in ${ranges.join(";")}`);
    });

    it("discovery Jobs run in istio-system as their own ServiceAccount with a projected istio-ca token", async () => {
        const r = await cached("prod", { enabled: true });
        assert.deepEqual(r.byType(SA).filter((s) => s.name.startsWith("verify-")).map((s) => [s.name, providerCluster(r, s), meta(s).namespace, meta(s).name]), [
            ["verify-beijing-sa", "beijing", "istio-system", "ack-mesh-verify"],
            ["verify-shanghai-sa", "shanghai", "istio-system", "ack-mesh-verify"],
        ]);
        const job = r.get(JOB, "verify-discovery-beijing");
        assert.ok(job.dependencies.includes(r.get(SA, "verify-beijing-sa").urn));
        const pod = (job.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec;
        assert.equal(pod.serviceAccountName, "ack-mesh-verify");
        assert.equal(pod.automountServiceAccountToken, false);
        assert.deepEqual(pod.volumes, [
            { name: "tmp", emptyDir: {} },
            { name: "istio-token", projected: { sources: [{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 3600, path: "istio-token" } }] } },
        ]);
    });

    it("waits for the mesh and Bookinfo: every Job depends on each istiod, remote secret and Bookinfo Deployment", async () => {
        const r = await cached("prod", { enabled: true });
        const must = [
            ...r.byType("kubernetes:helm.sh/v3:Release"),
            ...r.byType("kubernetes:apps/v1:Deployment"),
            ...r.byType("kubernetes:core/v1:Secret").filter((s) => s.name.includes("-reads-")),
        ];
        assert.ok(must.length > 6);
        for (const j of r.byType(JOB)) for (const m of must) assert.ok(j.dependencies.includes(m.urn), `${j.name} must wait for ${m.name}`);
        assert.deepEqual(r.warnings.filter((w) => w.includes("verify")), []);
    });

    it("staging with failover: failover Jobs after every other check, one at a time, with a Role limited to the scaled Deployments", async () => {
        const r = await cached("staging", { enabled: true, failover: true, requests: 50 });
        const jobs = r.byType(JOB).sort((a, b) => (a.name < b.name ? -1 : 1));
        const steady = jobs.filter((j) => !j.name.startsWith("verify-failover-"));
        const failover = jobs.filter((j) => j.name.startsWith("verify-failover-"));
        assert.equal(failover.length, 8);
        failover.forEach((f, i) => {
            for (const s of steady) assert.ok(f.dependencies.includes(s.urn), `${f.name} after ${s.name}`);
            if (i > 0) assert.ok(f.dependencies.includes(failover[i - 1].urn), `${f.name} after ${failover[i - 1].name}`);
            for (const g of failover.slice(i + 1)) assert.equal(f.dependencies.includes(g.urn), false);
        });
        const role = r.get(ROLE, "verify-hangzhou-failover-role");
        const scaled = ["details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"];
        // Scale, and read readyReplicas after the restore.
        assert.deepEqual(role.inputs.rules, [
            { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: scaled, verbs: ["get", "patch"] },
            { apiGroups: ["apps"], resources: ["deployments"], resourceNames: scaled, verbs: ["get"] },
        ]);
        assert.deepEqual(r.get(RB, "verify-hangzhou-failover-rb").inputs.subjects, [{ kind: "ServiceAccount", name: "ack-mesh-verify-failover", namespace: "bookinfo" }]);
        // K = 50: 2 × 180 s warm-up + 60 s + 13 s measurement + 120 s restore + 120 s pod start = 673 s.
        const spec = failover[0].inputs.spec as { activeDeadlineSeconds: number; template: { spec: { terminationGracePeriodSeconds: number } } };
        assert.equal(spec.activeDeadlineSeconds, 673);
        // Time for the TERM trap to restore the replicas (three PATCHes of at most 5 s each).
        assert.equal(spec.template.spec.terminationGracePeriodSeconds, 30);
        assert.deepEqual(failover[0].customTimeouts, { create: "14m", update: "14m" });
    });

    it("says which checks it skips during pulumi up: a warning for those the config asked for, else info", async () => {
        const r = await runStack("prod", { enabled: true, failover: true });
        const said = r.logs.filter((l) => l.message.includes("verification check"));
        assert.deepEqual(said.map((l) => [l.severity, l.message]), [
            ["warning", "verification check failover skipped: routing is header-split, not locality-failover: verify.failover has nothing to check"],
        ]);
        const plain = await cached("dev", { enabled: true });
        assert.deepEqual(plain.logs.filter((l) => l.message.includes("verification check")).map((l) => [l.severity, l.message]), [
            ["info", "verification check discovery-istio-remote1 skipped: remote: no istiod of its own (its istiod Service forwards 15012/443 to istio-control-plane); covered by discovery-istio-control-plane"],
            ["info", "verification check routing skipped: routing is plain, not header-split"],
            ["info", "verification check failover skipped: routing is plain, not locality-failover"],
        ]);
    });

    it("a failed Job fails the update with the check, the cluster, the expected and the seen result", async () => {
        const plan = planOf("prod");
        const check = plan.checks.find((c) => c.id === "routing-jason-beijing")!;
        const revisionJob = (await cached("prod", { enabled: true })).get(JOB, "verify-routing-jason-beijing");
        const message = verdictLine(false, check.id, check.cluster, check.expected, "v1=0 v2=200 v3=0 failed=0");
        const err = await runStack("prod", { enabled: true }, { jobOutcomes: { [meta(revisionJob).name]: { terminationMessage: message } } }).then(
            () => assert.fail("the update must fail"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof SimulationError);
        assert.match(
            err.message,
            /Job 'bookinfo\/routing-jason-beijing-[0-9a-f]{8}' failed .*\[Error\] ack-mesh-verify FAIL check=routing-jason-beijing cluster=beijing expected=\[only v2 v3, v2 72\.\.128 of 200\] seen=\[v1=0 v2=200 v3=0 failed=0\]/,
        );
    });

    it("re-runs the checks when anything that can change traffic changes (network too), and only then", async () => {
        const names = (r: SimulationResult) => r.byType(JOB).map((j) => meta(j).name).sort();
        const base = names(await cached("dev", { enabled: true }));
        const again = names(await runStack("dev", { enabled: true }));
        assert.deepEqual(again, base);
        // CEN, security groups, VPCs and clusters decide whether packets get through: a change re-runs every check.
        const cen = names(await runStack("dev", { enabled: true }, { extra: { "ack-mesh:cen": { bandwidthMbps: 20 } } }));
        assert.equal(cen.length, base.length);
        for (let i = 0; i < base.length; i++) assert.notEqual(cen[i], base[i]);
        const unrelated = names(await runStack("dev", { enabled: true }, { extra: { "ack-mesh:protect": true } }));
        assert.deepEqual(unrelated, base);
        const dev = stackRaw("dev") as { bookinfo: Record<string, unknown> };
        const retagged = names(await runStack("dev", { enabled: true }, { extra: { "ack-mesh:bookinfo": { ...dev.bookinfo, tag: "1.20.2" } } }));
        assert.equal(retagged.length, base.length);
        for (let i = 0; i < base.length; i++) assert.notEqual(retagged[i], base[i]);
    });

    it("fleet (multi-primary-remote): Jobs on remotes through the remote's provider, discovery only on primaries", async () => {
        const r = await cached("fleet", { enabled: true });
        const plan = planOf("fleet");
        assert.deepEqual(
            r.byType(JOB).map((j) => [j.name, providerCluster(r, j)]).sort(),
            plan.checks.map((c) => [`verify-${c.id}`, c.cluster]).sort(),
        );
        assert.deepEqual(r.byType(JOB).filter((j) => j.name.startsWith("verify-discovery-")).map((j) => providerCluster(r, j)).sort(), ["bj-primary", "sh-primary"]);
        assert.deepEqual(r.warnings.filter((w) => w.includes("verify")), []);
    });

    it("validates before any child: an image without a digest, a missing cluster handle or ingress address", () => {
        const plan = planOf("prod");
        assert.throws(
            () => new MeshVerification("v", { plan, clusters: {}, podRanges: {}, image: "curlimages/curl:8.16.0" }),
            (e: unknown) =>
                ConfigError.is(e) &&
                e.message.startsWith('Invalid MeshVerification "v" arguments (') &&
                e.message.includes('  - clusters.beijing: is missing: check discovery-beijing runs there. Fix: pass the cluster\'s handle') &&
                e.message.includes('  - image: is not pinned by digest (got "curlimages/curl:8.16.0"). Fix: use <repository>:<tag>@sha256:<digest>') &&
                e.message.includes("  - ingressAddresses.shanghai: is missing: check ingress-shanghai calls that gateway."),
        );
    });

    it("validates before any child: pod ranges of every cluster and an east-west address in every other network the traffic checks attribute answers to", () => {
        const plan = planOf("prod");
        const t = topology(stackRaw("prod"));
        const r = (cluster: string) => clusterHandleFromKubeconfig(`x-${cluster}`, { name: cluster, region: "cn-beijing", network: t.identity.clusters[cluster].network, kubeconfig: "apiVersion: v1\n" });
        assert.throws(
            () =>
                new MeshVerification("v", {
                    plan, clusters: { beijing: r("beijing"), shanghai: r("shanghai") }, podRanges: { beijing: ["10.0.0.0/16"] },
                    ingressAddresses: { beijing: "47.0.0.1", shanghai: "47.0.0.2" }, eastWestAddresses: { beijing: "47.0.1.1" },
                }),
            (e: unknown) =>
                ConfigError.is(e) &&
                e.message ===
                    'Invalid MeshVerification "v" arguments (2 problems):\n' +
                        `  - eastWestAddresses: has no address in network ${t.identity.clusters.shanghai.network}: check calls-reviews-beijing attributes answers from there to its east-west gateways. Fix: pass the east-west gateway addresses (IstioMesh.eastWestAddresses)\n` +
                        "  - podRanges.shanghai: is missing: the traffic checks tell clusters apart by pod address. Fix: pass the network plan's podRanges",
        );
    });

    it("two instances (on two meshes) share no (type, name) pair", async () => {
        const plan = planOf("dev");
        const kubeconfig = (server: string) => `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://${server}:6443\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n`;
        const r = await simulate(() => {
            for (const prefix of ["a", "b"]) {
                const clusters = Object.fromEntries(
                    ["istio-control-plane", "istio-remote1"].map((c) => [c, clusterHandleFromKubeconfig(`${prefix}-${c}`, { name: c, region: "cn-hangzhou", network: "network1", kubeconfig: kubeconfig(`${prefix}-${c}.example`) })]),
                );
                const podRanges = { "istio-control-plane": ["172.16.0.0/16"], "istio-remote1": ["172.20.0.0/16"] };
                new MeshVerification(`v${prefix}`, { plan, clusters, podRanges, ingressAddresses: { "istio-control-plane": "47.0.0.1" } });
            }
        });
        const pairs = r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").map((x) => `${x.type} ${x.name}`);
        assert.equal(new Set(pairs).size, pairs.length);
        assert.equal(r.byType(JOB).length, 2 * plan.checks.length);
    });

    it("job deadlines grow with K, so a slow check still ends with its own verdict", () => {
        const calls = planOf("prod", { requests: 10000 }).checks.find((c) => c.kind === "calls")!;
        assert.equal(jobDeadlineSeconds(calls), 180 + 60 + 2500 + JOB_START_SECONDS);
        assert.equal(verificationJob(calls, VERIFY_CLIENT_IMAGE, "").spec.activeDeadlineSeconds, jobDeadlineSeconds(calls));
    });

    it("job names: at most 63 characters, keyed by the check, image and revision", () => {
        const plan = planOf("dev");
        const c = { ...plan.checks[0], id: `discovery-${"x".repeat(60)}` };
        const n = jobName(c, VERIFY_CLIENT_IMAGE, "");
        assert.ok(n.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n), n);
        assert.notEqual(jobName(plan.checks[0], VERIFY_CLIENT_IMAGE, "a"), jobName(plan.checks[0], VERIFY_CLIENT_IMAGE, "b"));
        assert.equal(verificationJob(plan.checks[0], VERIFY_CLIENT_IMAGE, "a").metadata.name, jobName(plan.checks[0], VERIFY_CLIENT_IMAGE, "a"));
    });
});
