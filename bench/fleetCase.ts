/**
 * One fleet-mode benchmark case in its own process (spawned by `bench/run.ts`):
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/fleetCase.ts <mode> <N> <runs> <out.json>
 *
 * The N-cluster topology of `mode` (bench/topology.ts) is deployed as a fleet (programs/fleet):
 * every stack simulated in the orchestrator's order by `simulateFleet`, each stack's outputs
 * passed to the later stacks as stack references. One untimed warm-up fleet of 2 clusters, then
 * `runs` timed runs of the whole fleet; per stack the median eval time over the runs. The floor
 * (bench/floor.ts) is timed for the largest stack's registrations, the same way.
 *
 * The typed floor (bench/typedFloor.ts) of every stack — its own recorded resources registered
 * flat — runs after each timed fleet run (interleaved, so a change of load hits both alike; the
 * 2-cluster fleet's typed floors are the warm-up). The fleet's program ratio is the sum of the
 * stacks' eval times over the sum of their typed floors: the program's cost per registration
 * across the fleet, which the goal of ≤ 1.3 is judged on.
 *
 * @module
 */
import * as fs from "fs";
import { performance } from "perf_hooks";
import { FleetSimulation, simulateFleet } from "../programs/fleet/simulate";
import { median, releaseSimulation, runAsProcess, timeFloor } from "./case";
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
    const warmup = await simulateFleet({ env: "bench-warmup", config: generateTopology({ clusters: 2, mode }).config }, { timeoutMs: timeout });
    for (const f of typedFloorsOf(warmup)) await f.floor.check();
    const evalRuns = new Map<string, number[]>();
    const typedRuns = new Map<string, number[]>();
    const push = (runs: Map<string, number[]>, stack: string, ms: number) => runs.set(stack, [...(runs.get(stack) ?? []), ms]);
    let last: FleetSimulation | undefined;
    let floors: { stack: string; floor: TypedFloor }[] = [];
    for (let i = 0; i < runs; i++) {
        last = undefined;
        gc?.();
        last = await simulateFleet({ env: "bench", config: topo.config }, { pool: BENCH_FLEET_POOL, timeoutMs: timeout });
        for (const s of last.stacks) push(evalRuns, s.stack, s.evalMs);
        // Built from the first run's recordings; every run of them is timed (the warm-up was the 2-cluster fleet's).
        if (i === 0) floors = typedFloorsOf(last);
        await releaseSimulation();
        gc?.();
        for (const { stack, floor } of floors) {
            const t0 = performance.now();
            await floor.run();
            push(typedRuns, stack, performance.now() - t0);
        }
        await releaseSimulation();
    }
    const stacks: FleetCaseStack[] = last!.stacks.map((s) => ({
        stack: s.stack,
        layer: s.layer,
        registrations: s.registrations,
        evalMs: Math.round(median(evalRuns.get(s.stack)!)),
        // To 0.1 ms: the typed floor of a stack of a few resources takes about a millisecond.
        typedFloorMs: Math.round(median(typedRuns.get(s.stack)!) * 10) / 10,
        criticalPathMinutes: s.criticalPathMinutes,
    }));
    const fleetMinutes = last!.fleetMinutes;
    last = undefined;
    floors = [];
    const largest = stacks.reduce((a, b) => (b.registrations > a.registrations ? b : a));
    const floor = await timeFloor(largest.registrations, Math.max(runs, 3), gc);
    const sumEvalMs = stacks.reduce((a, s) => a + s.evalMs, 0);
    const sumTypedMs = Math.round(stacks.reduce((a, s) => a + s.typedFloorMs, 0));
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
        key: fleetCaseKey(mode, n),
        mode,
        n,
        layout: layoutLabel(mode, n),
        stacks,
        largest,
        sum: { registrations: stacks.reduce((a, s) => a + s.registrations, 0), evalMs: sumEvalMs },
        fleetMinutes,
        pool: BENCH_FLEET_POOL,
        floor,
        floorRatio: r2(largest.evalMs / floor.medianMs),
        typedFloor: { sumMs: sumTypedMs, programRatio: r2(sumEvalMs / sumTypedMs), largestProgramRatio: r2(largest.evalMs / largest.typedFloorMs) },
    };
}

/** The typed floor of every stack of a simulated fleet, in run order. */
function typedFloorsOf(sim: FleetSimulation): { stack: string; floor: TypedFloor }[] {
    return sim.stacks.map((s) => ({ stack: s.stack, floor: typedFloorOf(s.result, s.project) }));
}

async function main(argv: string[]): Promise<void> {
    const [mode, n, runs, out] = argv;
    if (!(MODES as readonly string[]).includes(mode) || !out) throw new Error(`usage: fleetCase.ts <${MODES.join("|")}> <N> <runs> <out.json>`);
    fs.writeFileSync(out, JSON.stringify(await runFleetCase(mode as Mode, Number(n), Number(runs))));
}

if (require.main === module) runAsProcess(main);
