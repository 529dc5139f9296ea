/**
 * One benchmark case in its own process (spawned by `bench/run.ts`):
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/case.ts <mode> <N> <runs> <out.json>
 *
 * Generates and validates the N-cluster config, warms up with one untimed simulation of the same
 * case, then times `runs` simulations of the whole program (`simulate(runAckMesh, …)`: config
 * validation, planning, every registration on the simulated cloud, until the run settles). A
 * full GC runs before each timed run, outside the timing, so a run does not pay for the
 * previous one's garbage. Peak memory is the kernel's high-water mark of this process's RSS
 * (`process.resourceUsage().maxRSS`), read right after the timed runs, before the graph
 * analysis; a 10 ms RSS sampler is kept as a cross-check. The process CPU time of each run is
 * recorded too (less sensitive than wall time to other load on a shared machine). Writes the
 * result as JSON to `out.json`.
 *
 * @module
 */
import * as fs from "fs";
import { performance } from "perf_hooks";
import { runAckMesh } from "../programs/ack-mesh/program";
import { simulate, SimulationResult } from "../sim";
import { analyze, CaseAnalysis } from "./analysis";
import { floorProgram } from "./floor";
import { generateTopology, Mode, MODES, validateTopology } from "./topology";

/** What a case reports. */
export interface CaseResult {
    readonly key: string;
    readonly mode: Mode;
    readonly n: number;
    readonly regions: string[];
    /** Wall-clock times of the timed runs, ms. */
    readonly evalMs: number[];
    /** Median of {@link CaseResult.evalMs}. */
    readonly medianMs: number;
    /** CPU time (user + system) of this process during each timed run, ms: less sensitive than wall time to other load on the machine. */
    readonly cpuMs: number[];
    /** Kernel high-water mark of the process RSS (warm-up and timed runs included), MB. */
    readonly peakRssMb: number;
    /** Highest RSS seen by the 10 ms sampler, MB (≤ peakRssMb). */
    readonly sampledPeakRssMb: number;
    /** RSS after loading the program and validating the config, before any simulation, MB. */
    readonly baselineRssMb: number;
    /** Simulator warnings of the last run (expected: 0). */
    readonly warnings: number;
    readonly analysis: CaseAnalysis;
    /**
     * The floor (bench/floor.ts): the same number of bare registrations under the same runtime,
     * timed the same way in the same process, after the case's own runs.
     */
    readonly floor: { readonly registrations: number; readonly evalMs: number[]; readonly medianMs: number };
    /** The case's median eval time over the floor's: its cost per registration relative to the SDK's own. */
    readonly floorRatio: number;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `x` to two decimals: how the bench reports ratios. */
export function r2(x: number): number {
    return Math.round(x * 100) / 100;
}

const MB = 1024 * 1024;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs one case in this process. */
export async function runCase(mode: Mode, n: number, runs: number): Promise<CaseResult> {
    const topo = generateTopology({ clusters: n, mode });
    validateTopology(topo);
    const baselineRssMb = process.memoryUsage.rss() / MB;
    let sampled = 0;
    const sampler = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 10);
    const once = () => simulate(runAckMesh, { project: "ack-mesh", stack: "bench", config: topo.config, timeoutMs: 30 * 60_000 });
    const gc = (globalThis as { gc?: () => void }).gc;
    let result: SimulationResult | undefined = await once(); // warm-up, untimed
    await releaseSimulation();
    const evalMs: number[] = [];
    const cpuMs: number[] = [];
    for (let i = 0; i < runs; i++) {
        result = undefined;
        gc?.();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        result = await once();
        evalMs.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpuMs.push((c.user + c.system) / 1000);
        await releaseSimulation();
    }
    clearInterval(sampler);
    sampled = Math.max(sampled, process.memoryUsage.rss());
    const peakRssMb = (process.resourceUsage().maxRSS * 1024) / MB;
    const analysis = analyze(result!);
    const warnings = result!.warnings.length;
    result = undefined;
    const floor = await timeFloor(analysis.counts.total, runs, gc);
    return {
        key: topo.key,
        mode,
        n,
        regions: topo.regions,
        evalMs: evalMs.map((x) => Math.round(x)),
        medianMs: Math.round(median(evalMs)),
        cpuMs: cpuMs.map((x) => Math.round(x)),
        peakRssMb: round1(peakRssMb),
        sampledPeakRssMb: round1(sampled / MB),
        baselineRssMb: round1(baselineRssMb),
        warnings: warnings,
        analysis,
        floor,
        floorRatio: r2(median(evalMs) / floor.medianMs),
    };
}

/**
 * Lets go of the last simulation's result. `simulate` chains its runs on a module-level promise
 * that resolves to the last result, so the previous result stays reachable while the next run
 * builds its own: two 50-cluster multi-primary results do not fit in Node's default 4 GB heap. An
 * empty simulation after each run (untimed, milliseconds) makes the chain hold a tiny result
 * instead.
 */
export function releaseSimulation(): Promise<unknown> {
    return simulate(() => ({}), { project: "ack-mesh", stack: "bench-release" });
}

/**
 * Times the floor program of `registrations` registrations: one untimed warm-up, then `runs`
 * timed runs, each after a full GC (as the case's own runs).
 */
export async function timeFloor(registrations: number, runs: number, gc?: () => void): Promise<CaseResult["floor"]> {
    const program = floorProgram(registrations);
    const once = () => simulate(program, { project: "ack-mesh", stack: "bench-floor", timeoutMs: 30 * 60_000 });
    await once();
    const evalMs: number[] = [];
    for (let i = 0; i < runs; i++) {
        gc?.();
        const t0 = performance.now();
        const r = await once();
        evalMs.push(performance.now() - t0);
        if (r.resources.length !== registrations) throw new Error(`the floor registered ${r.resources.length} resources, not ${registrations}`);
    }
    return { registrations, evalMs: evalMs.map((x) => Math.round(x)), medianMs: Math.round(median(evalMs)) };
}

async function main(argv: string[]): Promise<void> {
    const [mode, n, runs, out] = argv;
    if (!(MODES as readonly string[]).includes(mode) || !out) throw new Error(`usage: case.ts <${MODES.join("|")}> <N> <runs> <out.json>`);
    const result = await runCase(mode as Mode, Number(n), Number(runs));
    fs.writeFileSync(out, JSON.stringify(result));
}

/** Runs a case script's `main` as the process: exit 0 when it resolves, 1 with the stack when it throws. */
export function runAsProcess(main: (argv: string[]) => Promise<void>): void {
    main(process.argv.slice(2)).then(
        () => process.exit(0),
        (e: unknown) => {
            console.error(e instanceof Error ? (e.stack ?? e.message) : e);
            process.exit(1);
        },
    );
}

if (require.main === module) runAsProcess(main);
