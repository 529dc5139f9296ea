/**
 * The typed floor (bench/typedFloor.ts): the case's own resources, flat and without dependencies.
 */
import * as assert from "node:assert/strict";
import * as alicloud from "@pulumi/alicloud";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { classOfType, echoHandlers, typedFloorProgram } from "../../bench/typedFloor";
import { programCostGoal, programCostGoalLine, typedFloorReport } from "../../bench/run";
import { generateTopology } from "../../bench/topology";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { simulateFleet } from "../../programs/fleet/simulate";
import { typedFloorsOf } from "../../bench/fleetCase";
import { canonicalValue } from "../../sim/canonical";
import { RecordedResource, simulate, SimulationResult } from "../support";

const shape = (r: RecordedResource) => `${r.operation} ${r.type} ${r.custom}`;
const sorted = (rs: RecordedResource[]) => rs.map(shape).sort();

describe("bench: typed floor", () => {
    it("maps type tokens to the SDK classes", () => {
        assert.equal(classOfType("alicloud:ecs/securityGroupRule:SecurityGroupRule"), alicloud.ecs.SecurityGroupRule);
        assert.equal(classOfType("alicloud:cen/instance:Instance"), alicloud.cen.Instance);
        assert.equal(classOfType("kubernetes:helm.sh/v3:Release"), k8s.helm.v3.Release);
        assert.equal(classOfType("kubernetes:core/v1:Secret"), k8s.core.v1.Secret);
        assert.equal(classOfType("tls:index/privateKey:PrivateKey"), tls.PrivateKey);
        assert.equal(classOfType("pulumi:providers:kubernetes"), k8s.Provider);
        assert.equal(classOfType("kubernetes:networking.istio.io/v1:Gateway"), undefined);
    });

    describe("of a 2-cluster multi-primary mesh", () => {
        let caseResult: SimulationResult;
        let typed: SimulationResult;
        before(async () => {
            const topo = generateTopology({ clusters: 2, mode: "multi-primary" });
            caseResult = await simulate(runAckMesh, { project: "ack-mesh", stack: "bench", config: topo.config });
            const all = [...caseResult.resources, ...caseResult.reads];
            typed = await simulate(typedFloorProgram(caseResult), { project: "ack-mesh", stack: "typed", resources: echoHandlers(all.map((r) => r.type)) });
        });

        it("registers and reads the same resources, type for type, as the case", () => {
            assert.deepEqual(sorted([...typed.resources, ...typed.reads]), sorted([...caseResult.resources, ...caseResult.reads]));
        });

        it("sends the recorded inputs (secrets still secret) and providers of the same type, with no dependency and no parent but the stack", () => {
            const byName = new Map([...typed.resources, ...typed.reads].map((r) => [r.name, r]));
            const recorded = [...caseResult.resources, ...caseResult.reads].filter((r) => r.type !== "pulumi:pulumi:Stack");
            const providers = recorded.filter((r) => r.type.startsWith("pulumi:providers:"));
            const order = [...providers, ...recorded.filter((r) => !r.type.startsWith("pulumi:providers:"))];
            order.forEach((r, i) => {
                const t = byName.get(`t-${i}`);
                assert.ok(t, `t-${i} (${r.name})`);
                assert.equal(t.type, r.type, r.name);
                assert.deepEqual(t.dependencies, [], r.name);
                assert.equal(t.parent, typed.stackUrn, r.name);
                if (r.custom && r.operation === "register") assert.deepEqual(canonicalValue(t.inputs), canonicalValue(r.inputs), r.name);
                if (r.providerUrn) {
                    const p = byName.get(`t-${providers.findIndex((x) => x.urn === r.providerUrn)}`);
                    assert.equal(t.providerUrn, p?.urn, `${r.name}: the typed floor's copy of its provider`);
                }
            });
        });
    });

    it("reports the program's ratio to its typed floor; the goal is judged on it and on every fleet case", () => {
        const timing = (caseMs: number, typedFloorMs: number, floorMs: number) => ({
            registrations: 1000,
            caseMs,
            typedFloorMs,
            floorMs,
            typesRatio: Math.round((typedFloorMs / floorMs) * 100) / 100,
            programRatio: Math.round((caseMs / typedFloorMs) * 100) / 100,
        });
        const lines = typedFloorReport([
            { key: "multi-primary:10", timing: timing(2000, 1600, 1000) },
            { key: "primary-remote:10", timing: timing(2100, 1500, 1000) },
        ]);
        assert.ok(lines.join("\n").includes("\n| multi-primary:10 | 1000 | 2000 | 1600 | 1000 | 1.60 | 1.25 |\n"), lines.join("\n"));
        assert.ok(lines.join("\n").includes("\n| primary-remote:10 | 1000 | 2100 | 1500 | 1000 | 1.50 | 1.40 (!) |"), lines.join("\n"));
        assert.deepEqual(typedFloorReport([]), []);

        // The goal is judged on the monolith's typed-floor cases and on every fleet case, each against its own typed floor.
        const fleet = (key: string, programRatio: number) => ({ key, typedFloor: { sumMs: 1000, programRatio, largestProgramRatio: 1 } });
        const goal = programCostGoal(
            [
                { key: "multi-primary:10", timing: timing(2000, 1600, 1000) },
                { key: "primary-remote:50", timing: timing(2100, 1500, 1000) },
            ],
            [fleet("fleet:multi-primary:10", 1.3), fleet("fleet:multi-primary:50", 1.31)],
        );
        assert.deepEqual(goal, {
            limit: 1.3,
            judged: { "multi-primary:10": 1.25, "primary-remote:50": 1.4, "fleet:multi-primary:10": 1.3, "fleet:multi-primary:50": 1.31 },
            over: ["primary-remote:50", "fleet:multi-primary:50"],
        });
        assert.deepEqual(programCostGoalLine(goal), [
            "goal: the program's cost per registration ≤ 1.3× the same resources registered bare (monolith at N = 10, 50; fleet at N = 10, 50): NOT met by primary-remote:50 (1.40), fleet:multi-primary:50 (1.31)",
        ]);
        assert.deepEqual(programCostGoalLine(programCostGoal([{ key: "multi-primary:10", timing: timing(2000, 1600, 1000) }], [])), [
            "goal: the program's cost per registration ≤ 1.3× the same resources registered bare (monolith at N = 10): met by every case",
        ]);
        assert.deepEqual(programCostGoalLine(programCostGoal([], [])), []);
    });

    it("of a fleet stack: reads the same stack references, answered with the same outputs, and registers the same resources, flat", async () => {
        const sim = await simulateFleet({ env: "typed", config: generateTopology({ clusters: 2, mode: "multi-primary" }).config });
        const { floor } = typedFloorsOf(sim).find((f) => f.stack === "mesh-hz-00")!;
        const stack = sim.stacks.find((s) => s.stack === "mesh-hz-00")!;
        const refs = (rs: RecordedResource[]) =>
            rs
                .filter((r) => r.type === "pulumi:pulumi:StackReference")
                .map((r) => [(r.inputs as { name: string }).name, canonicalValue(r.outputs)] as const)
                .sort(([a], [b]) => a.localeCompare(b));
        assert.deepEqual(
            refs(stack.result.reads).map(([name]) => name),
            ["organization/ack-mesh-cluster-hz-00/typed", "organization/ack-mesh-cluster-sh-01/typed"],
        );
        assert.equal(floor.registrations, stack.registrations);
        const typed = await floor.run();
        assert.deepEqual(sorted([...typed.resources, ...typed.reads]), sorted([...stack.result.resources, ...stack.result.reads]));
        assert.deepEqual(refs(typed.reads), refs(stack.result.reads));
        assert.ok([...typed.resources, ...typed.reads].every((r) => r.dependencies.length === 0));
    });
});
