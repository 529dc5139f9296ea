/**
 * One fleet-mode benchmark case in its own process (spawned by `bench/run.ts`):
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/fleetCase.ts <mode> <N> <runs> <out.json>
 *
 * The N-cluster topology of `mode` (bench/topology.ts) is deployed as a fleet (programs/fleet):
 * every stack simulated in the orchestrator's order by `simulateFleet`, each stack's outputs
 * passed to the later stacks as stack references. One untimed warm-up run of the fleet, then
 * `runs` timed runs; per stack the median eval time over the runs. The floor (bench/floor.ts) is
 * timed for the largest stack's registrations, the same way.
 *
 * The typed floor (bench/typedFloor.ts) of every stack — its own recorded resources and stack
 * references registered flat, each reference reading the same outputs — is built from the warm-up
 * run, checked and warmed up once, then timed after each timed fleet run (interleaved, so a change
 * of load hits both alike; the same recordings are alive during both). The fleet's program ratio
 * is the sum of the stacks' eval times over the sum of their typed floors: the program's cost per
 * registration across the fleet, which the goal of ≤ 1.3 is judged on.
 *
 * @module
 */
import * as fs from "fs";
import { performance } from "perf_hooks";
import { FleetSimulation, SIMULATED_ORGANIZATION, simulateFleet } from "../programs/fleet/simulate";
import { fleetStackRef } from "../programs/fleet/layout";
import { median, r2, releaseSimulation, runAsProcess, timeFloor } from "./case";
import { TypedFloor, typedFloorOf } from "./typedFloor";
import { generateTopology, layoutLabel, Mode, MODES, validateTopology } from "./topology";

/** One stack of a fleet case. */
export interface FleetCaseStack {
    readonly stack: string;
    readonly layer: string;
    /** Resources plus reads (stack references, `X.get`): every registration the stack makes. */
    readonly registrations: number;
    /** Median eval time over the runs, ms. */
    readonly evalMs: number;
    /** Median eval time of the stack's typed floor (its resources registered flat) over the runs, ms, to 0.1 ms. */
    readonly typedFloorMs: number;
    readonly criticalPathMinutes: number;
}

/** What a fleet case reports. */
export interface FleetCaseResult {
    /** `fleet:<mode>:<N>`. */
    readonly key: string;
    readonly mode: Mode;
    readonly n: number;
    /** Primaries × remotes per primary. */
    readonly layout: string;
    readonly stacks: FleetCaseStack[];
    /** The stack with the most registrations. */
    readonly largest: FleetCaseStack;
    /** Sums over every stack. */
    readonly sum: { readonly registrations: number; readonly evalMs: number };
    /** The fleet's simulated `up` with the pool, reference minutes. */
    readonly fleetMinutes: number;
    readonly pool: number;
    /** The floor for the largest stack's registrations. */
    readonly floor: { readonly registrations: number; readonly evalMs: number[]; readonly medianMs: number };
    /** The largest stack's eval time over the floor's. */
    readonly floorRatio: number;
    /**
     * The program's own cost: `sumMs` is the sum of the stacks' typed floors,
     * `programRatio` = `sum.evalMs / sumMs` (judged against the goal), `largestProgramRatio` the
     * largest stack's eval time over its own typed floor.
     */
    readonly typedFloor: { readonly sumMs: number; readonly programRatio: number; readonly largestProgramRatio: number };
}

/** `fleet:<mode>:<N>`. */
export function fleetCaseKey(mode: Mode, n: number): string {
    return `fleet:${mode}:${n}`;
}

/** The pool of concurrent stacks of the simulated `up` (the orchestrator's default). */
export const BENCH_FLEET_POOL = 8;

/** Runs one fleet case in this process. */
export async function runFleetCase(mode: Mode, n: number, runs: number): Promise<FleetCaseResult> {
    const topo = generateTopology({ clusters: n, mode });
    validateTopology(topo);
    const gc = (globalThis as { gc?: () => void }).gc;
    const timeout = 30 * 60_000;
    const fleetOnce = () => simulateFleet({ env: "bench", config: topo.config }, { pool: BENCH_FLEET_POOL, timeoutMs: timeout });
    // One untimed run: the warm-up, and the recordings the typed floors are built from. Only the
    // floors are kept; they are alive (and nothing else) while both sides are timed.
    const floors = typedFloorsOf(await fleetOnce());
    await releaseSimulation();
    for (const { floor } of floors) await floor.check();
    const evalRuns = new Map<string, number[]>();
    const typedRuns = new Map<string, number[]>();
    const record = (into: Map<string, number[]>, stack: string, ms: number) => into.set(stack, [...(into.get(stack) ?? []), ms]);
    let summary: { stacks: Omit<FleetCaseStack, "evalMs" | "typedFloorMs">[]; fleetMinutes: number } | undefined;
    for (let i = 0; i < runs; i++) {
        gc?.();
        const sim = await fleetOnce();
        for (const s of sim.stacks) record(evalRuns, s.stack, s.evalMs);
        summary = { stacks: sim.stacks.map((s) => ({ stack: s.stack, layer: s.layer, registrations: s.registrations, criticalPathMinutes: s.criticalPathMinutes })), fleetMinutes: sim.fleetMinutes };
        await releaseSimulation();
        gc?.();
        for (const { stack, floor } of floors) {
            const t0 = performance.now();
            await floor.run();
            record(typedRuns, stack, performance.now() - t0);
        }
        await releaseSimulation();
    }
    const medians = summary!.stacks.map((s) => ({ ...s, evalMs: median(evalRuns.get(s.stack)!), typedFloorMs: median(typedRuns.get(s.stack)!) }));
    // Rounded for the report only (to 0.1 ms for the typed floor: a stack of a few resources takes about a millisecond).
    const stacks: FleetCaseStack[] = medians.map((s) => ({ ...s, evalMs: Math.round(s.evalMs), typedFloorMs: Math.round(s.typedFloorMs * 10) / 10 }));
    const largestAt = stacks.reduce((a, s, i) => (s.registrations > stacks[a].registrations ? i : a), 0);
    const largest = stacks[largestAt];
    const floor = await timeFloor(largest.registrations, Math.max(runs, 3), gc);
    const sumEvalMs = medians.reduce((a, s) => a + s.evalMs, 0);
    const sumTypedMs = medians.reduce((a, s) => a + s.typedFloorMs, 0);
    return {
        key: fleetCaseKey(mode, n),
        mode,
        n,
        layout: layoutLabel(mode, n),
        stacks,
        largest,
        sum: { registrations: stacks.reduce((a, s) => a + s.registrations, 0), evalMs: Math.round(sumEvalMs) },
        fleetMinutes: summary!.fleetMinutes,
        pool: BENCH_FLEET_POOL,
        floor,
        floorRatio: r2(medians[largestAt].evalMs / floor.medianMs),
        typedFloor: {
            sumMs: Math.round(sumTypedMs),
            programRatio: r2(sumEvalMs / sumTypedMs),
            largestProgramRatio: r2(medians[largestAt].evalMs / medians[largestAt].typedFloorMs),
        },
    };
}

/**
 * The typed floor of every stack of a simulated fleet, in run order; each stack's references
 * read the outputs of the stacks the fleet ran before it.
 */
export function typedFloorsOf(sim: FleetSimulation): { stack: string; floor: TypedFloor }[] {
    const outputs = Object.fromEntries(sim.stacks.map((s) => [fleetStackRef(SIMULATED_ORGANIZATION, s.stack, sim.env), s.result.outputs]));
    return sim.stacks.map((s) => ({ stack: s.stack, floor: typedFloorOf(s.result, s.project, outputs) }));
}

async function main(argv: string[]): Promise<void> {
    const [mode, n, runs, out] = argv;
    if (!(MODES as readonly string[]).includes(mode) || !out) throw new Error(`usage: fleetCase.ts <${MODES.join("|")}> <N> <runs> <out.json>`);
    fs.writeFileSync(out, JSON.stringify(await runFleetCase(mode as Mode, Number(n), Number(runs))));
}

if (require.main === module) runAsProcess(main);
