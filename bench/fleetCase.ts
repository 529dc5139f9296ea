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
 * @module
 */
import * as fs from "fs";
import { simulateFleet } from "../programs/fleet/simulate";
import { median, runAsProcess, timeFloor } from "./case";
import { generateTopology, layoutLabel, Mode, MODES, validateTopology } from "./topology";

/** One stack of a fleet case. */
export interface FleetCaseStack {
    readonly stack: string;
    readonly layer: string;
    /** Resources plus reads (stack references, `X.get`): every registration the stack makes. */
    readonly registrations: number;
    /** Median eval time over the runs, ms. */
    readonly evalMs: number;
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
    await simulateFleet({ env: "bench-warmup", config: generateTopology({ clusters: 2, mode }).config }, { timeoutMs: timeout });
    const evalRuns = new Map<string, number[]>();
    let last: Awaited<ReturnType<typeof simulateFleet>> | undefined;
    for (let i = 0; i < runs; i++) {
        last = undefined;
        gc?.();
        last = await simulateFleet({ env: "bench", config: topo.config }, { pool: BENCH_FLEET_POOL, timeoutMs: timeout });
        for (const s of last.stacks) evalRuns.set(s.stack, [...(evalRuns.get(s.stack) ?? []), s.evalMs]);
    }
    const stacks: FleetCaseStack[] = last!.stacks.map((s) => ({
        stack: s.stack,
        layer: s.layer,
        registrations: s.registrations,
        evalMs: Math.round(median(evalRuns.get(s.stack)!)),
        criticalPathMinutes: s.criticalPathMinutes,
    }));
    const fleetMinutes = last!.fleetMinutes;
    last = undefined;
    const largest = stacks.reduce((a, b) => (b.registrations > a.registrations ? b : a));
    const floor = await timeFloor(largest.registrations, Math.max(runs, 3), gc);
    return {
        key: fleetCaseKey(mode, n),
        mode,
        n,
        layout: layoutLabel(mode, n),
        stacks,
        largest,
        sum: { registrations: stacks.reduce((a, s) => a + s.registrations, 0), evalMs: stacks.reduce((a, s) => a + s.evalMs, 0) },
        fleetMinutes,
        pool: BENCH_FLEET_POOL,
        floor,
        floorRatio: Math.round((largest.evalMs / floor.medianMs) * 100) / 100,
    };
}

async function main(argv: string[]): Promise<void> {
    const [mode, n, runs, out] = argv;
    if (!(MODES as readonly string[]).includes(mode) || !out) throw new Error(`usage: fleetCase.ts <${MODES.join("|")}> <N> <runs> <out.json>`);
    fs.writeFileSync(out, JSON.stringify(await runFleetCase(mode as Mode, Number(n), Number(runs))));
}

if (require.main === module) runAsProcess(main);
