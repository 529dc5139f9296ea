/**
 * Deliberate Kubernetes upgrades, end to end on the simulated cloud (docs/upgrade.md): raising a
 * cluster's pinned `kubernetesVersion` is an in-place update of the cluster and, with
 * `upgrade.nodePools`, of its node pools (never a replacement); `upgrade.oneClusterAtATime` chains
 * the clusters (remotes first, primaries last) through dependencies only; stacks that do not opt
 * in get no new input and no new dependency; bad sequences (a skipped minor, a downgrade, a zone
 * left without a healthy node) stop the run before anything is registered.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { Day2View, clusterUpgradeOrder, upgradeConfigProblems } from "../../config/upgrade";
import { runAckMesh } from "../../programs/ack-mesh/program";
import {
    ALICLOUD_FORCE_NEW,
    CanonicalPlan,
    ROOT,
    SimulationOptions,
    canonicalPlan,
    classifyUpgrade,
    diffPlans,
    expectConfigError,
    readStackConfig,
    simulate,
    stackNames,
} from "../support";

const CLUSTER = "alicloud:cs/managedKubernetes:ManagedKubernetes";
const POOL = "alicloud:cs/nodePool:NodePool";
const FROM = "1.35.7-aliyun.1";
const TO = "1.36.1-aliyun.1";
const UPGRADE = { oneClusterAtATime: true, nodePools: { maxParallelism: 1 } };

/** prod's existing clusters (this stack's, by their tags), running `version`. */
function existing(version: string, stack = "prod"): SimulationOptions["existingClusters"] {
    const tags = { "ack-mesh-stack": stack, "ack-mesh-mesh": `mesh-${stack}` };
    return [
        { name: "prod-beijing", region: "cn-beijing", version, tags },
        { name: "prod-shanghai", region: "cn-shanghai", version, tags },
    ];
}

/** Runs a stack file with each cluster pinned to `pins[cluster]` and an optional `ack-mesh:upgrade`. */
function run(stack: string, pins: Record<string, string>, upgrade?: unknown, opts: SimulationOptions = {}) {
    const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
    const copy = structuredClone(config) as Record<string, any>;
    for (const [c, v] of Object.entries(pins)) copy["ack-mesh:clusters"][c].kubernetesVersion = v;
    if (upgrade !== undefined) copy["ack-mesh:upgrade"] = upgrade;
    return simulate(runAckMesh, { project: "ack-mesh", stack, config: copy, secretConfigKeys, ...opts });
}

async function planOf(...args: Parameters<typeof run>): Promise<CanonicalPlan> {
    return canonicalPlan(await run(...args), { stack: args[0], project: "ack-mesh" });
}

const both = (v: string) => ({ beijing: v, shanghai: v });

describe("programs: Kubernetes minor upgrade", function () {
    this.timeout(300_000);

    it("the version and the upgrade settings are not ForceNew (sim/forceNew.ts, from the provider's schema)", () => {
        // terraform-provider-alicloud resource_alicloud_cs_managed_kubernetes.go: "version" Optional+Computed,
        // applied by UpgradeAlicloudKubernetesCluster (UpgradeCluster); resource_alicloud_cs_kubernetes_node_pool.go:
        // "upgrade_policy" and "rolling_policy" Optional, applied by POST /clusters/{id}/nodepools/{id}/upgrade.
        for (const f of ["version", "upgradePolicy"]) assert.ok(!ALICLOUD_FORCE_NEW[CLUSTER].fields.includes(f), f);
        for (const f of ["upgradePolicy", "rollingPolicy", "kubernetesVersion"]) assert.ok(!ALICLOUD_FORCE_NEW[POOL].fields.includes(f), f);
    });

    it("prod 1.35 → 1.36 with upgrade settings: clusters and pools update in place, one cluster at a time, primaries by name", async () => {
        const before = await planOf("prod", both(FROM), UPGRADE, { existingClusters: existing(FROM) });
        const after = await planOf("prod", both(TO), UPGRADE, { existingClusters: existing(FROM) });
        const d = diffPlans(before, after);
        assert.deepEqual(
            d.resources
                .filter((r) => r.kind !== "same")
                .map((r) => `${r.kind} ${r.name} ${r.changes.map((c) => c.path).join(",")}`)
                .sort(),
            [
                "update beijing-cluster version",
                "update beijing-np-apps upgradePolicy",
                "update beijing-np-system upgradePolicy",
                "update shanghai-cluster version",
                "update shanghai-np-apps upgradePolicy",
                "update shanghai-np-system upgradePolicy",
            ],
        );
        assert.equal(d.blocking.length, 0);
        const s = classifyUpgrade(d, before, after);
        assert.deepEqual(
            s.steps.map((x) => `${x.kind}: ${x.subject}: ${x.resources.join(" ")}`),
            [`upgrade Kubernetes: ${FROM} → ${TO}: beijing-cluster shanghai-cluster`, `node pools follow: ${FROM} → ${TO}: beijing-np-apps beijing-np-system shanghai-np-apps shanghai-np-system`],
        );
        assert.ok(s.notes.includes("clusters upgrade one at a time, in this order: beijing → shanghai (upgrade.oneClusterAtATime)"), s.notes.join("\n"));
        const get = (name: string) => after.resources.find((r) => r.name === name)!;
        const urn = (name: string) => get(name).urn;
        // shanghai waits for beijing's cluster and pools; the pools of a cluster go one after another.
        for (const n of ["beijing-cluster", "beijing-np-apps", "beijing-np-system"]) assert.ok(get("shanghai-cluster").dependencies.includes(urn(n)), n);
        assert.ok(get("beijing-np-system").dependencies.includes(urn("beijing-np-apps")));
        assert.deepEqual(get("beijing-cluster").inputs["upgradePolicy"], { controlPlaneOnly: true });
        assert.deepEqual(get("beijing-np-apps").inputs["rollingPolicy"], { maxParallelism: 1 });
    });

    it("pools send upgradePolicy only while the pin differs from the running version: once upgraded, a later pool update calls no upgrade API", async () => {
        // terraform-provider-alicloud resource_alicloud_cs_kubernetes_node_pool.go Update: POST …/upgrade whenever upgrade_policy is set.
        const pools = (p: CanonicalPlan) => p.resources.filter((r) => r.type === POOL).map((r) => [r.name, r.inputs["upgradePolicy"], r.inputs["rollingPolicy"]]);
        const upgrading = await planOf("prod", both(TO), UPGRADE, { existingClusters: existing(FROM) });
        assert.deepEqual(pools(upgrading).map(([n, u]) => [n, u]), [
            ["beijing-np-apps", { kubernetesVersion: TO }],
            ["beijing-np-system", { kubernetesVersion: TO }],
            ["shanghai-np-apps", { kubernetesVersion: TO }],
            ["shanghai-np-system", { kubernetesVersion: TO }],
        ]);
        const done = await planOf("prod", both(TO), UPGRADE, { existingClusters: existing(TO) });
        assert.deepEqual(pools(done), [
            ["beijing-np-apps", undefined, { maxParallelism: 1 }],
            ["beijing-np-system", undefined, { maxParallelism: 1 }],
            ["shanghai-np-apps", undefined, { maxParallelism: 1 }],
            ["shanghai-np-system", undefined, { maxParallelism: 1 }],
        ]);
        const d = diffPlans(upgrading, done);
        assert.deepEqual(classifyUpgrade(d, upgrading, done).steps, []);
        assert.equal(d.counts.replace, 0);
    });

    it("remotes upgrade before their primaries", () => {
        assert.deepEqual(clusterUpgradeOrder({ a: { role: "primary" }, z: { role: "remote" }, b: { role: "remote" }, c: { role: "primary" } }), ["b", "z", "a", "c"]);
    });

    it("staging: with oneClusterAtATime the remote (shanghai) goes first, then the primary (hangzhou)", async () => {
        const p = await planOf("staging", { hangzhou: TO, shanghai: TO }, { oneClusterAtATime: true });
        const get = (name: string) => p.resources.find((r) => r.name === name)!;
        assert.ok(get("hangzhou-cluster").dependencies.includes(get("shanghai-np-default").urn));
        assert.ok(!get("shanghai-cluster").dependencies.some((u) => u.includes("hangzhou-")));
        // No nodePools setting: the pools keep their inputs (ACK upgrades workers with the cluster).
        assert.equal(get("shanghai-np-default").inputs["upgradePolicy"], undefined);
    });

    for (const stack of stackNames()) {
        it(`${stack} without ack-mesh:upgrade: no upgrade input and no dependency between clusters or between pools`, async () => {
            const p = await planOf(stack, {});
            const clusters = p.resources.filter((r) => r.type === CLUSTER);
            const pools = p.resources.filter((r) => r.type === POOL);
            const owned = new Set([...clusters, ...pools].map((r) => r.urn));
            for (const c of clusters) {
                assert.equal(c.inputs["upgradePolicy"], undefined);
                assert.deepEqual(c.dependencies.filter((d) => owned.has(d)), [], c.name);
            }
            for (const np of pools) {
                assert.equal(np.inputs["upgradePolicy"], undefined);
                assert.equal(np.inputs["rollingPolicy"], undefined);
                assert.deepEqual(np.dependencies.filter((d) => owned.has(d) && d.includes(":NodePool::")), [], np.name);
            }
        });
    }

    describe("bad sequences stop the run before anything is created", () => {
        it("a skipped minor version (1.34 → 1.36)", async () => {
            const e = await expectConfigError(run("prod", both(TO), UPGRADE, { existingClusters: existing("1.34.2-aliyun.1") }));
            assert.deepEqual(
                e.problems.map((p) => `${p.path}: ${p.message}. Fix: ${p.fix}`),
                ["beijing", "shanghai"].map(
                    (c) =>
                        `clusters.${c}.kubernetesVersion: skips a minor version: the existing cluster "prod-${c}" runs 1.34.2-aliyun.1, and ACK upgrades one minor version at a time. Fix: upgrade to ${FROM} first, then to ${TO}`,
                ),
            );
        });

        it("a downgrade (1.36 → 1.35)", async () => {
            const e = await expectConfigError(run("prod", both(FROM), UPGRADE, { existingClusters: existing(TO) }));
            assert.deepEqual(e.problems.map((p) => [p.path, p.message]), [
                ["clusters.beijing.kubernetesVersion", `is older than the ${TO} the existing cluster "prod-beijing" runs; ACK cannot downgrade`],
                ["clusters.shanghai.kubernetesVersion", `is older than the ${TO} the existing cluster "prod-shanghai" runs; ACK cannot downgrade`],
            ]);
        });

        it("a zone holding as few pool nodes as a batch, counting both ways ACK can spread a pool (floor and ceil per zone)", () => {
            const view = (pools: Record<string, { size: number; zones: string[] }>, maxParallelism = 1): Day2View => ({
                mesh: {} as Day2View["mesh"],
                bookinfo: { enabled: false },
                clusters: { c: { kubernetesVersion: TO, zones: ["a", "b", "c"], nodePools: pools } },
                upgrade: { oneClusterAtATime: false, nodePools: { maxParallelism } },
            });
            const paths = (v: Day2View) => upgradeConfigProblems(v).map((p) => `${p.path}: ${p.message}`);
            // 2 nodes over 3 zones: two zones hold exactly 1 (floor 0 was skipped before).
            assert.deepEqual(paths(view({ p: { size: 2, zones: ["a", "b", "c"] } })), [
                "clusters.c.nodePools.p: upgrading 1 node(s) at a time can leave zones a, b, c without a healthy node: the pool can have 1 node(s) in each (2 node(s) over 3 zone(s)) and no other pool has one there",
            ]);
            // 4 over 3: some zone holds 1.
            assert.equal(paths(view({ p: { size: 4, zones: ["a", "b", "c"] } })).length, 1);
            // 6 over 3: 2 in each, a batch of 1 leaves 1; a batch of 2 does not.
            assert.deepEqual(paths(view({ p: { size: 6, zones: ["a", "b", "c"] } })), []);
            assert.equal(paths(view({ p: { size: 6, zones: ["a", "b", "c"] } }, 2)).length, 1);
            // Another pool with two nodes in every zone keeps each zone served; with one, its own batch can empty a zone where p has none.
            assert.deepEqual(paths(view({ p: { size: 2, zones: ["a", "b", "c"] }, q: { size: 6, zones: ["a", "b", "c"] } })), []);
            assert.deepEqual(upgradeConfigProblems(view({ p: { size: 2, zones: ["a", "b", "c"] }, q: { size: 3, zones: ["a", "b", "c"] } })).map((x) => x.path), ["clusters.c.nodePools.q"]);
        });

        it("node pool batches that could empty a zone (staging: 3 nodes over 2 zones, one pool)", async () => {
            // Only pinned clusters' pools follow the version: unpinned, the same config passes.
            await run("staging", {}, UPGRADE);
            const e = await expectConfigError(run("staging", { hangzhou: TO, shanghai: TO }, UPGRADE));
            assert.deepEqual(e.problems.map((p) => p.path), ["clusters.hangzhou.nodePools.default", "clusters.shanghai.nodePools.default"]);
            assert.equal(
                e.problems[0].message,
                "upgrading 1 node(s) at a time can leave zones cn-hangzhou-h, cn-hangzhou-i without a healthy node: the pool can have 1 node(s) in each (3 node(s) over 2 zone(s)) and no other pool has one there",
            );
        });
    });
});
