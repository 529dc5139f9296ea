/**
 * The benchmark's own pieces, fast (part of `npm test`; `npm run bench` itself is not):
 * the topology generator, the resource counts of small meshes, and the critical-path /
 * sequential accounting on a hand-made graph.
 */
import * as assert from "node:assert/strict";
import { analyze, classifyGrowth, ownership, remoteSecrets as remoteSecretsOf, SHARED, upTimes } from "../../bench/analysis";
import { benchmarkTopologies, generateTopology, layoutLabel, MODES, primaryCount, REGIONS, SIZES, validateTopology, zoneIds } from "../../bench/topology";
import { FLOOR_OVERHEAD, floorProgram } from "../../bench/floor";
import { timeFloor } from "../../bench/case";
import { expectedRemoteSecrets, fleetGoals } from "../../bench/run";
import { runFleetCase } from "../../bench/fleetCase";
import { REFERENCE_TIMES, referenceWeight, RELEASE_TIMES } from "../../bench/weights";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { dependencyGraph, GraphNode, RecordedResource, simulate } from "../support";

describe("bench: topology generator", () => {
    it("generates a valid stack config for every mode and size, checked by the project's validation", () => {
        const all = benchmarkTopologies();
        assert.equal(all.length, MODES.length * SIZES.length);
        for (const t of all) {
            const { config, network } = validateTopology(t);
            const clusters = Object.values(config.clusters);
            assert.equal(clusters.length, t.n, t.key);
            assert.equal(new Set(clusters.map((c) => c.slot)).size, t.n, `${t.key}: unique explicit slots`);
            assert.ok(clusters.every((c) => c.slot !== undefined && c.cni === "terway"), `${t.key}: explicit slots, Terway`);
            assert.equal(network.regions.length, Math.min(4, t.n), `${t.key}: spread over min(N, 4) regions`);
            for (const c of clusters) {
                const region = REGIONS.find((r) => r.region === c.region);
                assert.ok(region, `${c.name}: a known region`);
                assert.deepEqual(c.zones, [...region.zones]);
            }
            const primaries = clusters.filter((c) => c.role === "primary").length;
            if (t.mode === "primary-remote") {
                assert.equal(primaries, 1);
                assert.equal(config.mesh.networks, "flat");
            } else if (t.mode === "multi-primary") {
                assert.equal(primaries, t.n);
                assert.equal(config.mesh.networks, "multi-network");
                assert.equal(new Set(clusters.map((c) => c.network)).size, t.n, "one network per cluster");
            } else {
                assert.equal(primaries, primaryCount(t.mode, t.n));
                assert.equal(config.mesh.networks, "multi-network");
                assert.equal(new Set(clusters.map((c) => c.network)).size, primaries, "one network per primary and its remotes");
                for (const c of clusters) assert.equal(c.network, `net-${c.controlPlane}`, `${c.name} is on its primary's network`);
            }
            assert.deepEqual(Object.keys(t.config).sort(), ["ack-mesh:bookinfo", "ack-mesh:cen", "ack-mesh:clusters", "ack-mesh:mesh", "ack-mesh:securityGroups"]);
        }
    });

    it("multi-primary-remote: ⌊√(N/2)⌋ primaries (2 × 4 at 10, 5 × 9 at 50), remotes spread round-robin over them", () => {
        assert.deepEqual(
            [1, 2, 10, 50].map((n) => layoutLabel("multi-primary-remote", n)),
            ["1 × 0", "1 × 1", "2 × 4", "5 × 9"],
        );
        assert.deepEqual([layoutLabel("primary-remote", 50), layoutLabel("multi-primary", 50)], ["1 × 49", "50 × 0"]);
        const { config } = validateTopology(generateTopology({ clusters: 50, mode: "multi-primary-remote" }));
        const remotesOf = (p: string) => Object.values(config.clusters).filter((c) => c.role === "remote" && c.controlPlane === p).length;
        const primaries = Object.values(config.clusters).filter((c) => c.role === "primary").map((c) => c.name);
        assert.deepEqual(primaries.map(remotesOf), [9, 9, 9, 9, 9]);
        assert.equal(expectedRemoteSecrets("multi-primary-remote", 50), 5 * 49);
        assert.equal(expectedRemoteSecrets("multi-primary", 50), 50 * 49);
        assert.equal(expectedRemoteSecrets("primary-remote", 50), 49);
    });

    it("uses real zone ids of each region, and makes Bookinfo optional", () => {
        assert.deepEqual(zoneIds(), ["cn-beijing-h", "cn-beijing-i", "cn-hangzhou-h", "cn-hangzhou-i", "cn-shanghai-l", "cn-shanghai-m", "cn-shenzhen-d", "cn-shenzhen-e"]);
        const off = generateTopology({ clusters: 3, mode: "multi-primary", bookinfo: false });
        assert.equal(validateTopology(off).config.bookinfo.enabled, false);
        assert.throws(() => generateTopology({ clusters: 0, mode: "primary-remote" }), RangeError);
        assert.throws(() => generateTopology({ clusters: 2, mode: "primary-remote", regions: 5 }), RangeError);
    });
});

describe("bench: resources of small meshes", function () {
    this.timeout(60_000);
    const T = {
        cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
        cen: "alicloud:cen/instance:Instance",
        tr: "alicloud:cen/transitRouter:TransitRouter",
        peer: "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment",
        eastwest: "kubernetes:helm.sh/v3:Release",
    };
    const cases: [mode: (typeof MODES)[number], n: number, remoteSecrets: number][] = [
        ["primary-remote", 1, 0],
        ["primary-remote", 2, 1],
        ["multi-primary", 1, 0],
        ["multi-primary", 2, 2],
        ["multi-primary-remote", 2, 1],
    ];
    for (const [mode, n, secrets] of cases) {
        it(`${mode}:${n}: ${secrets} remote secret(s), ${n} cluster(s), CEN only across VPCs, every type timed`, async () => {
            const t = generateTopology({ clusters: n, mode });
            const r = await simulate(runAckMesh, { stack: "bench", config: t.config });
            assert.deepEqual(r.warnings, []);
            const a = analyze(r);
            assert.equal(a.remoteSecrets, secrets);
            assert.equal(a.counts.byType[T.cluster], n);
            assert.equal(a.counts.byType[T.cen] ?? 0, n > 1 ? 1 : 0);
            assert.equal(a.counts.byType[T.tr] ?? 0, n > 1 ? n : 0);
            assert.equal(a.counts.byType[T.peer] ?? 0, n > 1 ? 1 : 0);
            assert.equal(a.counts.total, r.resources.length);
            assert.equal(a.graph.missing, 0);
            assert.deepEqual(a.up.unknownTypes, [], "every custom type has a reference time");
            // One cluster: nothing to serialize. Two: the sequential procedure is slower.
            assert.ok(a.up.criticalPath >= 10 + 5 + 1.5, "at least ACK + node pool + istiod");
            if (n === 1) assert.equal(a.up.sequential, a.up.criticalPath);
            else assert.ok(a.up.sequential > a.up.criticalPath * 1.5);
            assert.deepEqual(Object.keys(a.up.sequentialTerms).sort(), (n === 1 ? ["hz-00-cluster", SHARED] : ["hz-00-cluster", "sh-01-cluster", SHARED]).sort());
            if (n === 1) assert.equal(a.up.sequentialTerms[SHARED], 0, "one VPC: no CEN, nothing shared takes time");
        });
    }
});

describe("bench: recorded dependencies scale with pairs, not with pairs × the network", function () {
    this.timeout(60_000);
    const depsOf = (r: RecordedResource) => r.dependencies.length + Object.values(r.propertyDependencies).flat().length;
    for (const mode of MODES) {
        it(`${mode}: the widest remote secret lists as many dependencies at 6 clusters as at 4 (4 regions each)`, async () => {
            const widest = async (n: number) => {
                const r = await simulate(runAckMesh, { stack: "bench", config: generateTopology({ clusters: n, mode, bookinfo: false }).config });
                const secrets = remoteSecretsOf(r);
                assert.equal(secrets.length, expectedRemoteSecrets(mode, n));
                return Math.max(...secrets.map(depsOf));
            };
            const [four, six] = [await widest(4), await widest(6)];
            // 1 istiod + the route between two VPCs in two regions (2 × attachment, association,
            // propagation; peer attachment and its 4 bindings) + the rules between and of the two clusters.
            const route = 2 * 3 + 5;
            assert.ok(four > 1 + route, `${four}: it waits for its pair's route and rules`);
            assert.equal(six, four);
        });
    }
});

describe("bench: the floor (bare registrations under the same runtime)", function () {
    this.timeout(60_000);

    it("registers exactly the number asked for: the stack, one Kubernetes provider and bare ConfigMaps on it", async () => {
        const r = await simulate(floorProgram(7), { stack: "bench-floor" });
        assert.equal(r.resources.length, 7);
        const maps = r.resources.filter((x) => x.type === "kubernetes:core/v1:ConfigMap");
        assert.equal(maps.length, 7 - FLOOR_OVERHEAD);
        const provider = r.resources.find((x) => x.type === "pulumi:providers:kubernetes")!;
        assert.ok(maps.every((m) => m.providerUrn === provider.urn && m.dependencies.length === 0));
        // The one note of the simulated cloud: the provider points at no simulated cluster (nothing reads it).
        assert.deepEqual(r.warnings, ["pulumi:providers:kubernetes 'floor-k8s': kubeconfig server https://127.0.0.1:6443 is not a simulated ACK cluster"]);
    });

    it("times warm-up plus the given runs and checks the count of each", async () => {
        const floor = await timeFloor(12, 2);
        assert.equal(floor.registrations, 12);
        assert.equal(floor.evalMs.length, 2);
        assert.ok(floor.medianMs > 0);
    });

    it("refuses fewer registrations than the stack and the provider", () => {
        assert.throws(() => floorProgram(1), /the floor needs at least 2 registrations \(stack and provider\), got 1/);
    });
});

describe("bench: fleet mode", function () {
    this.timeout(120_000);

    it("a fleet case reports every stack, the largest one against the floor, the sums and the fleet's up with the pool", async () => {
        const r = await runFleetCase("multi-primary-remote", 3, 1);
        assert.equal(r.key, "fleet:multi-primary-remote:3");
        assert.equal(r.layout, "1 × 2");
        // In the orchestrator's order: network and ca, the primary, its remotes, one mesh stack per primary, Bookinfo.
        assert.deepEqual(
            r.stacks.map((s) => s.stack),
            ["network", "ca", "sg-bj-02", "sg-hz-00", "sg-sh-01", "cluster-hz-00", "cluster-bj-02", "cluster-sh-01", "mesh-hz-00", "app-bookinfo"],
        );
        assert.equal(r.largest.registrations, Math.max(...r.stacks.map((s) => s.registrations)));
        assert.equal(r.sum.registrations, r.stacks.reduce((a, s) => a + s.registrations, 0));
        assert.equal(r.floor.registrations, r.largest.registrations);
        assert.equal(r.floorRatio, Math.round((r.largest.evalMs / r.floor.medianMs) * 100) / 100);
        // Every stack has its own typed floor; the fleet's program ratio is the sums' ratio.
        assert.ok(r.stacks.every((s) => s.typedFloorMs > 0), JSON.stringify(r.stacks.map((s) => [s.stack, s.typedFloorMs])));
        // The ratios come from the unrounded medians; the reported times are rounded (eval to 1 ms, typed floors to
        // 0.1 ms, sums to 1 ms), so recomputing a ratio from them agrees up to that rounding and the ratio's own 0.005.
        const agrees = (ratio: number, num: number, numErr: number, den: number, denErr: number) =>
            Math.abs(ratio - num / den) <= 0.005 + (num / den) * (numErr / num + denErr / den) + 1e-9;
        assert.ok(Math.abs(r.typedFloor.sumMs - r.stacks.reduce((a, s) => a + s.typedFloorMs, 0)) <= 0.5 + 0.05 * r.stacks.length);
        assert.ok(agrees(r.typedFloor.programRatio, r.sum.evalMs, 0.5 * r.stacks.length, r.typedFloor.sumMs, 0.5), JSON.stringify(r.typedFloor));
        assert.ok(agrees(r.typedFloor.largestProgramRatio, r.largest.evalMs, 0.5, r.largest.typedFloorMs, 0.05), JSON.stringify([r.typedFloor, r.largest]));
        assert.equal(r.pool, 8);
        // Layers run one after another: the fleet's up is at least the network's plus a cluster's.
        const minutes = (id: string) => r.stacks.find((s) => s.stack === id)!.criticalPathMinutes;
        assert.ok(r.fleetMinutes >= minutes("network") + minutes("cluster-hz-00"));
    });

    it("goals: the largest stack grows at most as fast as the cluster count, and stays under 2,000 at N = 50", () => {
        const c = (mode: (typeof MODES)[number], n: number, registrations: number) => ({ mode, n, largest: { stack: "network", layer: "network", registrations, evalMs: 1, typedFloorMs: 1, criticalPathMinutes: 1 } });
        assert.deepEqual(fleetGoals([c("multi-primary-remote", 10, 300), c("multi-primary-remote", 50, 1400), c("multi-primary", 10, 400), c("multi-primary", 50, 2100)]), {
            "multi-primary": { largest: { "10": 400, "50": 2100 }, growth: 5.25, clusterGrowth: 5, atMostLinear: false, under2000At50: false },
            "multi-primary-remote": { largest: { "10": 300, "50": 1400 }, growth: 4.67, clusterGrowth: 5, atMostLinear: true, under2000At50: true },
        });
        assert.deepEqual(fleetGoals([c("primary-remote", 4, 100), c("primary-remote", 10, 200)]), {
            "primary-remote": { largest: { "4": 100, "10": 200 }, growth: 2, clusterGrowth: 2.5, atMostLinear: true },
        });
    });
});

/** A minimal recorded resource for a hand-made graph. */
function res(name: string, type: string, opts: { deps?: string[]; provider?: string; custom?: boolean; parent?: string } = {}): RecordedResource {
    const urn = (n: string, t: string) => `urn:pulumi:s::p::${t}::${n}`;
    return {
        urn: urn(name, type),
        type,
        name,
        custom: opts.custom ?? true,
        operation: "register",
        parent: opts.parent,
        providerUrn: opts.provider,
        dependencies: opts.deps ?? [],
        propertyDependencies: {},
    } as unknown as RecordedResource;
}

describe("bench: critical-path accounting on a hand-made graph", () => {
    const A = {
        provider: "pulumi:providers:alicloud",
        k8s: "pulumi:providers:kubernetes",
        cen: "alicloud:cen/instance:Instance",
        vpc: "alicloud:vpc/network:Network",
        ack: "alicloud:cs/managedKubernetes:ManagedKubernetes",
        np: "alicloud:cs/nodePool:NodePool",
        att: "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment",
        rule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
        rel: "kubernetes:helm.sh/v3:Release",
    };
    // Two clusters a and b; b's istiod waits for a's (like a remote waiting for its primary's gateway).
    const p = res("alicloud-r", A.provider);
    const cen = res("cen", A.cen, { provider: p.urn });
    const vpcA = res("vpc-a", A.vpc, { provider: p.urn });
    const vpcB = res("vpc-b", A.vpc, { provider: p.urn });
    const ackA = res("a-cluster", A.ack, { deps: [vpcA.urn], provider: p.urn });
    const ackB = res("b-cluster", A.ack, { deps: [vpcB.urn], provider: p.urn });
    const npA = res("a-np", A.np, { deps: [ackA.urn], provider: p.urn });
    const k8sA = res("a-k8s", A.k8s, { deps: [ackA.urn] });
    const k8sB = res("b-k8s", A.k8s, { deps: [ackB.urn] });
    const relA = res("mesh-a-istiod", A.rel, { deps: [npA.urn], provider: k8sA.urn });
    const relB = res("mesh-b-istiod", A.rel, { deps: [relA.urn], provider: k8sB.urn });
    const att = res("att-a", A.att, { deps: [vpcA.urn, cen.urn], provider: p.urn });
    const rule = res("rule-b", A.rule, { deps: [vpcB.urn], provider: p.urn });
    const resources = [p, cen, vpcA, vpcB, ackA, ackB, npA, k8sA, k8sB, relA, relB, att, rule];
    const minutes: Record<string, number> = { cen: 1, "vpc-a": 1, "vpc-b": 1, "a-cluster": 10, "b-cluster": 10, "a-np": 5, "mesh-a-istiod": 2, "mesh-b-istiod": 2, "att-a": 2, "rule-b": 0.5 };
    const w = (n: GraphNode) => minutes[n.name] ?? 0;
    const graph = dependencyGraph({ resources, reads: [] });

    it("owns each resource by one cluster or the shared setup", () => {
        const owner = ownership(graph);
        const byName = Object.fromEntries(resources.map((r) => [r.name, owner.get(r.urn) === SHARED ? SHARED : graph.nodes.get(owner.get(r.urn)!)!.name]));
        assert.deepEqual(byName, {
            "alicloud-r": SHARED,
            cen: SHARED,
            "vpc-a": "a-cluster", // prerequisite of a's cluster only
            "vpc-b": "b-cluster",
            "a-cluster": "a-cluster",
            "b-cluster": "b-cluster",
            "a-np": "a-cluster", // depends on a's cluster
            "a-k8s": "a-cluster",
            "b-k8s": "b-cluster",
            "mesh-a-istiod": "a-cluster", // on a's Kubernetes provider
            "mesh-b-istiod": "b-cluster", // on b's provider, although it waits for a
            "att-a": "a-cluster", // a's VPC + the shared CEN
            "rule-b": "b-cluster",
        });
    });

    it("critical path, sequential and serial durations", () => {
        const up = upTimes(graph, w);
        // vpc-a 1 → a-cluster 10 → a-np 5 → mesh-a-istiod 2 → mesh-b-istiod 2
        assert.equal(up.criticalPath, 20);
        assert.deepEqual(
            up.criticalSteps.map((s) => [s.name, s.minutes, s.finish]),
            [
                ["vpc-a", 1, 1],
                ["a-cluster", 10, 11],
                ["a-np", 5, 16],
                ["mesh-a-istiod", 2, 18],
                ["mesh-b-istiod", 2, 20],
            ],
        );
        // shared: cen 1; a: vpc 1 + cluster 10 + np 5 + istiod 2 = 18; b: vpc 1 + cluster 10 + istiod 2 = 13.
        assert.deepEqual(up.sequentialTerms, { shared: 1, "a-cluster": 18, "b-cluster": 13 });
        assert.equal(up.sequential, 32);
        assert.equal(up.serialSum, 34.5);
    });

    it("reference weights: ACK 10 min, node pool 5, Helm by role, components and providers 0", () => {
        const wr = referenceWeight(graph);
        const node = (name: string) => [...graph.nodes.values()].find((n) => n.name === name)!;
        assert.equal(wr(node("a-cluster")), 10);
        assert.equal(wr(node("a-np")), 5);
        assert.equal(wr(node("a-k8s")), 0);
        assert.equal(wr(node("mesh-a-istiod")), RELEASE_TIMES.istiod.minutes);
        assert.equal(REFERENCE_TIMES[A.ack].minutes, 10);
        assert.equal(upTimes(graph).criticalPath, Math.round((7 / 60 + 10 + 5 + 1.5 + 1.5) * 1000) / 1000);
    });

    it("classifies growth: linear, bounded by regions, quadratic (pairwise)", () => {
        const m = (o: Record<number, number>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
        assert.deepEqual(classifyGrowth(m({ 1: 1, 2: 2, 10: 10, 50: 50 })), { model: "linear", formula: "N", verified: true, counts: { 1: 1, 2: 2, 10: 10, 50: 50 } });
        assert.equal(classifyGrowth(m({ 1: 0, 2: 2, 10: 4, 50: 4 })).model, "bounded");
        // route-table associations: one per VPC attachment + two per inter-region peering (≤ 6)
        assert.deepEqual(classifyGrowth(m({ 1: 0, 2: 4, 10: 22, 50: 62 })), { model: "linear+bounded", formula: "+1 per cluster from N=10", counts: { 1: 0, 2: 4, 10: 22, 50: 62 } });
        // multi-primary security-group rules: 2 self rules per cluster + 3 per ordered pair = 3N² − N
        const q = classifyGrowth(m({ 1: 2, 2: 10, 10: 290, 50: 7450 }));
        assert.deepEqual([q.model, q.formula, q.verified], ["quadratic", "3·N² - N", true]);
        // remote secrets of multi-primary: N·(N−1)
        const s = classifyGrowth(m({ 1: 0, 2: 2, 10: 90, 50: 2450 }));
        assert.deepEqual([s.model, s.formula, s.verified], ["quadratic", "N² - N", true]);
    });
});
