/**
 * `npm run bench [-- --json <file>] [--sizes 1,2,10,50] [--modes primary-remote,multi-primary,multi-primary-remote] [--fleet-sizes 10,50] [--fleet-modes multi-primary-remote,multi-primary] [--typed-sizes 10,50] [--runs k] [--heap-mb m]`
 *
 * For each mode × N: the evaluation time of the whole program on the simulated cloud (median
 * of 5 timed runs for N ≤ 10, 3 for N = 50, after one warm-up), the peak RSS, the resources
 * (total and by type, remote secrets), how they grow with N, and the simulated `pulumi up`
 * time — critical path of the recorded dependency graph with the reference times of
 * `bench/weights.ts` — against a sequential one-cluster-at-a-time procedure.
 *
 * Each case runs in its own child process (`bench/case.ts`), one after another: V8 never gives
 * a grown heap back to the OS, so in one process the 50-cluster case would set the RSS of every
 * later case; a fresh process per case gives each its own kernel high-water mark and the same
 * cold-heap starting point. A case that fails (e.g. out of memory) is reported and the others
 * still run; the exit status is then 2. Method and results: `bench/README.md`.
 *
 * @module
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULTS } from "../config/defaults";
import { classifyGrowth, Growth, TYPES } from "./analysis";
import { CaseResult, median, r2 } from "./case";
import { BENCH_FLEET_POOL, fleetCaseKey, FleetCaseResult } from "./fleetCase";
import type { TypedFloorTiming } from "./typedFloor";
import { caseKey, layoutLabel, Mode, MODES, primaryCount, SIZES } from "./topology";
import { READ_TIME, REFERENCE_TIMES, RELEASE_TIMES } from "./weights";

/** Fleet mode's cluster counts and topologies (the issue's N = 10 and 50; 5 × 9 at 50 for multi-primary-remote). */
export const FLEET_SIZES = [10, 50] as const;
export const FLEET_MODES: readonly Mode[] = ["multi-primary-remote", "multi-primary"];
/** Cluster counts of the typed-floor cases (bench/typedFloor.ts), for every mode of `--modes`. */
export const TYPED_SIZES = [10, 50] as const;

/** Timed runs per case: 5 up to 10 clusters, 3 beyond. */
export function runsFor(n: number): number {
    return n <= 10 ? 5 : 3;
}

/** The ratio the issue asks about: critical path at N=10 over N=2, and whether it is within 10%. */
export const RATIO_LIMIT = 1.1;

interface Options {
    json?: string;
    sizes: number[];
    modes: Mode[];
    /** Fleet mode (programs/fleet): cluster counts and topologies; empty sizes skip it. */
    fleetSizes: number[];
    fleetModes: Mode[];
    /** Typed-floor cases (bench/typedFloor.ts): cluster counts, for every mode of `modes`; empty skips them. */
    typedSizes: number[];
    runs?: number;
    heapMb?: number;
}

function parseArgs(argv: string[]): Options {
    const opts: Options = { sizes: [...SIZES], modes: [...MODES], fleetSizes: [...FLEET_SIZES], fleetModes: [...FLEET_MODES], typedSizes: [...TYPED_SIZES] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value`);
            return v;
        };
        if (a === "--json") opts.json = value();
        else if (a === "--sizes") opts.sizes = value().split(",").filter(Boolean).map(Number);
        else if (a === "--modes") opts.modes = value().split(",").filter(Boolean) as Mode[];
        else if (a === "--fleet-sizes") opts.fleetSizes = value().split(",").filter(Boolean).map(Number);
        else if (a === "--fleet-modes") opts.fleetModes = value().split(",").filter(Boolean) as Mode[];
        else if (a === "--typed-sizes") opts.typedSizes = value().split(",").filter(Boolean).map(Number);
        else if (a === "--runs") opts.runs = Number(value());
        else if (a === "--heap-mb") opts.heapMb = Number(value());
        else throw new Error(`unknown argument ${a}; usage: npm run bench -- [--json <file>] [--sizes 1,2,10,50] [--modes primary-remote,multi-primary,multi-primary-remote] [--fleet-sizes 10,50] [--fleet-modes multi-primary-remote,multi-primary] [--typed-sizes 10,50] [--runs k] [--heap-mb m]`);
    }
    for (const m of [...opts.modes, ...opts.fleetModes]) if (!(MODES as readonly string[]).includes(m)) throw new Error(`unknown mode ${m}`);
    for (const n of [...opts.sizes, ...opts.fleetSizes, ...opts.typedSizes]) if (!Number.isInteger(n) || n < 1) throw new Error(`bad size ${n}`);
    return opts;
}

/** A case whose child process failed. */
export interface CaseFailure {
    readonly key: string;
    readonly mode: Mode;
    readonly n: number;
    /** `out of memory`, or the exit status. */
    readonly reason: string;
    /** Seconds until the failure. */
    readonly afterSeconds: number;
}

/** Runs one case in a child process and returns its result (or why it failed; its stderr is passed through). */
function runChild<R>(script: "case.ts" | "fleetCase.ts" | "typedFloor.ts", key: string, mode: Mode, n: number, runs: number, tmp: string, heapMb?: number): Promise<R | CaseFailure> {
    const out = path.join(tmp, `${key.replace(/:/g, "-")}.json`);
    const args = [
        "--expose-gc",
        ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
        "-r",
        require.resolve("ts-node/register/transpile-only"),
        path.join(__dirname, script),
        mode,
        String(n),
        String(runs),
        out,
    ];
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "pipe"], cwd: path.resolve(__dirname, "..") });
        let tail = "";
        child.stderr.on("data", (chunk: Buffer) => {
            process.stderr.write(chunk);
            tail = (tail + chunk.toString()).slice(-8192);
        });
        child.on("error", reject);
        child.on("close", (code, signal) => {
            if (code === 0) return resolve(JSON.parse(fs.readFileSync(out, "utf8")) as R);
            const oom = /heap out of memory|Reached heap limit/.test(tail);
            resolve({
                key,
                mode,
                n,
                reason: oom ? `out of memory (V8 heap limit ${heapMb ? `${heapMb} MB` : "default"})` : `failed (${signal ?? `exit ${code}`})`,
                afterSeconds: Math.round((Date.now() - started) / 1000),
            });
        });
    });
}

function isFailure<R extends object>(r: R | CaseFailure): r is CaseFailure {
    return "reason" in r;
}

/** Renders rows as an aligned text table. */
function table(headers: string[], rows: string[][], right: boolean[] = []): string {
    const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join("  ").trimEnd();
    return [line(headers), line(width.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Renders rows as a Markdown table. */
function markdown(headers: string[], rows: string[][], right: boolean[] = []): string {
    const sep = headers.map((_, i) => (right[i] ? "---:" : "---"));
    return [headers, sep, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

/** The JSON document `--json` writes. */
export interface BenchJson {
    evalMs: Record<string, number>;
    /** The floor's median eval time for the same number of registrations, ms (bench/floor.ts). */
    floorMs: Record<string, number>;
    /** evalMs / floorMs: the program's cost per registration relative to the SDK's own. */
    floorRatio: Record<string, number>;
    /** Primaries × remotes per primary. */
    layout: Record<string, string>;
    peakRssMb: Record<string, number>;
    resources: Record<string, { total: number; custom: number; components: number; reads: number; recordedDependencies: number; maxDependencies: { count: number; type: string }; largestSecurityGroupRules: number; byType: Record<string, number> }>;
    simulatedUpMinutes: Record<string, number>;
    sequentialUpMinutes: Record<string, number>;
    remoteSecrets: Record<string, number>;
    serialSumMinutes: Record<string, number>;
    evalMsRuns: Record<string, number[]>;
    cpuMsRuns: Record<string, number[]>;
    criticalPathRatio10to2: Record<string, number>;
    criticalOperations: Record<string, number>;
    criticalPaths: Record<string, { type: string; name: string; minutes: number; finish: number }[]>;
    growth: Record<string, { total: Growth; quadraticTypes: string[]; totalWithoutQuadratic: Growth; byType: Record<string, Growth> }>;
    referenceMinutes: { byType: Record<string, number>; helmReleases: Record<string, number>; reads: number };
    machine: { node: string; platform: string; cpus: number; cpuModel: string; totalMemMb: number; loadAvgStart: number[]; loadAvgEnd: number[] };
    benchSeconds: number;
    /** Cases that did not complete (absent from every other key). */
    failures: Record<string, { reason: string; afterSeconds: number }>;
    /** Fleet mode (programs/fleet), by `fleet:<mode>:<N>`. */
    fleet: Record<string, Omit<FleetCaseResult, "key">>;
    /** The typed floor (bench/typedFloor.ts) by `<mode>:<N>`: the case, its typed floor and the ConfigMap floor, interleaved. */
    typedFloor: Record<string, TypedFloorTiming>;
    /** The goal on the program's own cost per registration: each judged case's ratio to its typed floor ({@link programCostGoal}). */
    programCostGoal: { limit: number; judged: Record<string, number>; over: string[] };
    /** Fleet-mode goals: per mode, the largest stack's growth from the smallest to the largest N, and whether it stays under the limit at N = 50. */
    fleetGoals: Record<string, { largest: Record<string, number>; growth: number; clusterGrowth: number; atMostLinear: boolean; under2000At50?: boolean }>;
}

function buildJson(results: CaseResult[], failures: CaseFailure[], seconds: number, loadAvgStart: number[], fleet: FleetCaseResult[] = [], typed: TypedCase[] = []): BenchJson {
    const by = <T>(fn: (r: CaseResult) => T) => Object.fromEntries(results.map((r) => [r.key, fn(r)]));
    const growth: BenchJson["growth"] = {};
    const ratio: Record<string, number> = {};
    for (const mode of MODES) {
        const rs = results.filter((r) => r.mode === mode).sort((a, b) => a.n - b.n);
        if (!rs.length) continue;
        const types = [...new Set(rs.flatMap((r) => Object.keys(r.analysis.counts.byType)))].sort();
        const byType = Object.fromEntries(types.map((t) => [t, classifyGrowth(new Map(rs.map((r) => [r.n, r.analysis.counts.byType[t] ?? 0])))]));
        const quadraticTypes = types.filter((t) => byType[t].model === "quadratic");
        const rest = (r: CaseResult) => r.analysis.counts.total - quadraticTypes.reduce((a, t) => a + (r.analysis.counts.byType[t] ?? 0), 0);
        growth[mode] = {
            total: classifyGrowth(new Map(rs.map((r) => [r.n, r.analysis.counts.total]))),
            quadraticTypes,
            totalWithoutQuadratic: classifyGrowth(new Map(rs.map((r) => [r.n, rest(r)]))),
            byType,
        };
        const two = rs.find((r) => r.n === 2);
        const ten = rs.find((r) => r.n === 10);
        if (two && ten) ratio[mode] = Math.round((ten.analysis.up.criticalPath / two.analysis.up.criticalPath) * 10000) / 10000;
    }
    const cpus = os.cpus();
    return {
        evalMs: by((r) => r.medianMs),
        floorMs: by((r) => r.floor.medianMs),
        floorRatio: by((r) => r.floorRatio),
        layout: by((r) => layoutLabel(r.mode, r.n)),
        peakRssMb: by((r) => r.peakRssMb),
        resources: by((r) => ({
            total: r.analysis.counts.total,
            custom: r.analysis.counts.custom,
            components: r.analysis.counts.components,
            reads: r.analysis.counts.reads,
            recordedDependencies: r.analysis.counts.recordedDependencies,
            maxDependencies: r.analysis.counts.maxDependencies,
            largestSecurityGroupRules: r.analysis.counts.largestSecurityGroupRules,
            byType: r.analysis.counts.byType,
        })),
        simulatedUpMinutes: by((r) => r.analysis.up.criticalPath),
        sequentialUpMinutes: by((r) => r.analysis.up.sequential),
        remoteSecrets: by((r) => r.analysis.remoteSecrets),
        serialSumMinutes: by((r) => r.analysis.up.serialSum),
        evalMsRuns: by((r) => r.evalMs),
        cpuMsRuns: by((r) => r.cpuMs),
        criticalPathRatio10to2: ratio,
        criticalOperations: by((r) => r.analysis.up.criticalOperations),
        criticalPaths: by((r) => r.analysis.up.criticalSteps),
        growth,
        referenceMinutes: {
            byType: Object.fromEntries(Object.entries(REFERENCE_TIMES).map(([k, v]) => [k, v.minutes])),
            helmReleases: Object.fromEntries(Object.entries(RELEASE_TIMES).map(([k, v]) => [k, v.minutes])),
            reads: READ_TIME.minutes,
        },
        machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: cpus.length, cpuModel: cpus[0]?.model ?? "", totalMemMb: Math.round(os.totalmem() / 1024 / 1024), loadAvgStart, loadAvgEnd: os.loadavg().map(r2) },
        benchSeconds: Math.round(seconds),
        failures: Object.fromEntries(failures.map((f) => [f.key, { reason: f.reason, afterSeconds: f.afterSeconds }])),
        fleet: Object.fromEntries(fleet.map(({ key, ...rest }) => [key, rest])),
        fleetGoals: fleetGoals(fleet),
        programCostGoal: programCostGoal(typed, fleet),
        typedFloor: Object.fromEntries(typed.map(({ key, timing }) => [key, timing])),
    };
}

/** A typed-floor case's result. */
export interface TypedCase {
    /** `<mode>:<N>`. */
    readonly key: string;
    readonly timing: TypedFloorTiming;
}

/**
 * The table of the typed-floor cases: the program's cost per registration against the same
 * resources registered bare (`programRatio`; the goal is judged by {@link programCostGoal}) and
 * `typesRatio`, the SDK's price of those types over ConfigMaps. Pure.
 */
export function typedFloorReport(typed: readonly TypedCase[]): string[] {
    if (typed.length === 0) return [];
    const headers = ["case", "registrations", "case ms", "typed floor ms", "ConfigMap floor ms", "types × ConfigMap", "program × typed floor"];
    const right = [false, true, true, true, true, true, true];
    const rows = typed.map(({ key, timing: t }) => [
        key,
        String(t.registrations),
        String(t.caseMs),
        String(t.typedFloorMs),
        String(t.floorMs),
        f2(t.typesRatio),
        programRatioCell(t.programRatio),
    ]);
    return [
        "The program's own cost (bench/typedFloor.ts: the case, its own resources registered bare, and the ConfigMap floor, interleaved):",
        "",
        table(headers, rows, right),
        "",
        markdown(headers, rows, right),
        "",
    ];
}

/** A program × typed floor ratio as a table cell, marked `(!)` above {@link FLOOR_RATIO_LIMIT}. */
function programRatioCell(ratio: number): string {
    return `${f2(ratio)}${ratio <= FLOOR_RATIO_LIMIT ? "" : " (!)"}`;
}

/**
 * The goal on the program's own cost per registration, judged on every case that has a typed
 * floor: the monolith's typed-floor cases (`programRatio`, at the sizes of `--typed-sizes`) and
 * every fleet case (the sum of its stacks' eval times over the sum of their typed floors). Each
 * must be at most {@link FLOOR_RATIO_LIMIT}. Pure.
 */
export function programCostGoal(typed: readonly TypedCase[], fleet: readonly Pick<FleetCaseResult, "key" | "typedFloor">[]): BenchJson["programCostGoal"] {
    const judged = Object.fromEntries([...typed.map((t) => [t.key, t.timing.programRatio] as const), ...fleet.map((f) => [f.key, f.typedFloor.programRatio] as const)]);
    return { limit: FLOOR_RATIO_LIMIT, judged, over: Object.keys(judged).filter((k) => judged[k] > FLOOR_RATIO_LIMIT) };
}

/** The goal line of {@link programCostGoal}; empty when nothing was judged. Pure. */
export function programCostGoalLine(goal: BenchJson["programCostGoal"]): string[] {
    const keys = Object.keys(goal.judged);
    if (keys.length === 0) return [];
    const sizes = (fleet: boolean) => [...new Set(keys.filter((k) => k.startsWith("fleet:") === fleet).map((k) => Number(k.split(":").at(-1))))].sort((a, b) => a - b);
    const scope = [sizes(false).length ? `monolith at N = ${sizes(false).join(", ")}` : "", sizes(true).length ? `fleet at N = ${sizes(true).join(", ")}` : ""].filter(Boolean).join("; ");
    const verdict = goal.over.length ? `NOT met by ${goal.over.map((k) => `${k} (${f2(goal.judged[k])})`).join(", ")}` : "met by every case";
    return [`goal: the program's cost per registration ≤ ${goal.limit}× the same resources registered bare (${scope}): ${verdict}`];
}

/** The largest fleet stack may hold at most this many registrations at N = 50. */
export const FLEET_LARGEST_LIMIT = 2000;

/**
 * Per mode: the largest stack's registrations by N, how much they grow from the smallest to the
 * largest N against how much the cluster count grows (O(N) at most: growth ≤ cluster growth), and
 * whether the largest stack stays under {@link FLEET_LARGEST_LIMIT} at N = 50.
 */
export function fleetGoals(fleet: readonly Pick<FleetCaseResult, "mode" | "n" | "largest">[]): BenchJson["fleetGoals"] {
    const out: BenchJson["fleetGoals"] = {};
    for (const mode of MODES) {
        const rs = fleet.filter((r) => r.mode === mode).sort((a, b) => a.n - b.n);
        if (rs.length === 0) continue;
        const first = rs[0];
        const last = rs[rs.length - 1];
        const growth = r2(last.largest.registrations / first.largest.registrations);
        const clusterGrowth = last.n / first.n;
        const at50 = rs.find((r) => r.n === 50);
        out[mode] = {
            largest: Object.fromEntries(rs.map((r) => [String(r.n), r.largest.registrations])),
            growth,
            clusterGrowth,
            atMostLinear: growth <= clusterGrowth,
            ...(at50 ? { under2000At50: at50.largest.registrations < FLEET_LARGEST_LIMIT } : {}),
        };
    }
    return out;
}

/** The fleet-mode table and goal lines. */
function fleetReport(fleet: readonly FleetCaseResult[], json: BenchJson, monolith: readonly CaseResult[]): string[] {
    if (fleet.length === 0) return [];
    const headers = [
        "fleet case",
        "layout",
        "stacks",
        "largest stack",
        "its registrations",
        "its eval ms",
        "× ConfigMap floor",
        "× its typed floor",
        "all stacks: registrations",
        "all stacks: eval ms",
        "all stacks: typed floor ms",
        "program × typed floor",
        `fleet up min (pool ${BENCH_FLEET_POOL})`,
        "monolith registrations",
        "monolith up min",
    ];
    const right = [false, false, true, false, true, true, true, true, true, true, true, true, true, true, true];
    const rows = [...fleet]
        .sort((a, b) => MODES.indexOf(a.mode) - MODES.indexOf(b.mode) || a.n - b.n)
        .map((r) => {
            const mono = monolith.find((m) => m.mode === r.mode && m.n === r.n);
            return [
                r.key,
                r.layout,
                String(r.stacks.length),
                r.largest.stack,
                String(r.largest.registrations),
                String(r.largest.evalMs),
                f2(r.floorRatio),
                f2(r.typedFloor.largestProgramRatio),
                String(r.sum.registrations),
                String(r.sum.evalMs),
                String(r.typedFloor.sumMs),
                programRatioCell(r.typedFloor.programRatio),
                f2(r.fleetMinutes),
                mono ? String(mono.analysis.counts.total + mono.analysis.counts.reads) : "—",
                mono ? f2(mono.analysis.up.criticalPath) : "—",
            ];
        });
    const out = ["Fleet mode (programs/fleet: one stack per layer and per cluster; registrations = resources + reads):", "", table(headers, rows, right), "", markdown(headers, rows, right), ""];
    for (const [mode, g] of Object.entries(json.fleetGoals)) {
        out.push(
            `fleet ${mode}: largest stack ${Object.entries(g.largest).map(([n, c]) => `${c} at N=${n}`).join(", ")}: ×${g.growth} for ×${g.clusterGrowth} clusters → ${g.atMostLinear ? "O(N) at most" : "NOT O(N)"}` +
                (g.under2000At50 === undefined ? "" : `; at N=50 ${g.under2000At50 ? "under" : "NOT under"} ${FLEET_LARGEST_LIMIT} registrations`),
        );
    }
    return out;
}

/** The expected remote-secret count: every primary reads every other cluster, P·(N−1) (N−1 for primary-remote, N·(N−1) for multi-primary). */
export function expectedRemoteSecrets(mode: Mode, n: number): number {
    return primaryCount(mode, n) * (n - 1);
}

/**
 * The goal for the program's cost per registration: at most this many times the same resources
 * registered bare (the typed floor, bench/typedFloor.ts; {@link programCostGoal}). The ConfigMap
 * floor's ratio (bench/floor.ts) is reported against it too, as context.
 */
export const FLOOR_RATIO_LIMIT = 1.3;

/** How far a growth formula is checked. */
function fitNote(g: Growth): string {
    if (g.verified === true) return " (checked on the other N)";
    if (g.verified === false) return g.model === "quadratic" ? " (exact on the 3 largest N; N=1 differs: no peers)" : " (does not fit the other N)";
    return g.model === "linear" || g.model === "quadratic" ? " (fit only, no other N to check)" : "";
}

function report(results: CaseResult[], failures: CaseFailure[], json: BenchJson, fleet: readonly FleetCaseResult[] = [], typed: readonly TypedCase[] = []): string {
    const headers = ["case", "layout", "eval ms (median)", "runs ms", "floor ms", "× floor", "ms/registration", "CPU ms (median)", "peak RSS MB", "resources", "custom", "SG rules", "largest SG", "remote secrets", "recorded deps", "critical path min", "sequential min", "serial sum min"];
    const right = [false, false, true, false, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
    const rows = results.map((r) => [
        r.key,
        layoutLabel(r.mode, r.n),
        String(r.medianMs),
        r.evalMs.join("/"),
        String(r.floor.medianMs),
        f2(r.floorRatio),
        f2(r.medianMs / r.analysis.counts.total),
        String(Math.round(median(r.cpuMs))),
        f1(r.peakRssMb),
        String(r.analysis.counts.total),
        String(r.analysis.counts.custom),
        String(r.analysis.counts.byType[TYPES.securityGroupRule] ?? 0),
        `${r.analysis.counts.largestSecurityGroupRules}${r.analysis.counts.largestSecurityGroupRules > DEFAULTS.maxRulesPerSecurityGroup ? " (!)" : ""}`,
        `${r.analysis.remoteSecrets}${r.analysis.remoteSecrets === expectedRemoteSecrets(r.mode, r.n) ? "" : " (!)"}`,
        String(r.analysis.counts.recordedDependencies),
        f2(r.analysis.up.criticalPath),
        f2(r.analysis.up.sequential),
        f1(r.analysis.up.serialSum),
    ]);
    for (const f of failures) rows.push([f.key, layoutLabel(f.mode, f.n), `${f.reason} after ${f.afterSeconds} s`, ...headers.slice(3).map(() => "—")]);
    const order = (key: string) => {
        const [mode, n] = key.split(":");
        return MODES.indexOf(mode as Mode) * 1e6 + Number(n);
    };
    rows.sort((a, b) => order(a[0]) - order(b[0]));
    const out: string[] = [];
    out.push(table(headers, rows, right), "");
    out.push("Markdown:", "", markdown(headers, rows, right), "");
    for (const mode of MODES) {
        const g = json.growth[mode];
        if (!g) continue;
        const w = g.totalWithoutQuadratic;
        out.push(`${mode} (N = ${Object.keys(g.total.counts).join(", ")}): total ${Object.values(g.total.counts).join(" / ")}`);
        if (g.quadraticTypes.length) out.push(`  quadratic (pairwise): ${g.quadraticTypes.join(", ")}`);
        out.push(`  all ${g.quadraticTypes.length ? "other " : ""}resources: ${Object.values(w.counts).join(" / ")}: ${w.model}${w.formula ? ` = ${w.formula}${fitNote(w)}` : ""}`);
        for (const [t, gt] of Object.entries(g.byType)) {
            if (gt.model === "constant") continue;
            out.push(`  ${gt.model.padEnd(14)} ${t}: ${Object.values(gt.counts).join(" / ")}${gt.formula ? `  = ${gt.formula}${fitNote(gt)}` : ""}`);
        }
        const ratio = json.criticalPathRatio10to2[mode];
        if (ratio !== undefined) {
            const ops = (n: number) => results.find((r) => r.mode === mode && r.n === n)?.analysis.up.criticalOperations;
            out.push(`  critical path N=10 / N=2 = ${ratio.toFixed(4)} → ${ratio <= RATIO_LIMIT ? "within" : "NOT within"} 10% (weight-free: ${ops(10)} / ${ops(2)} operations on the longest chain)`);
        }
        out.push("");
    }
    for (const r of results.filter((x) => x.n === 10)) {
        out.push(`critical path ${r.key} (${f2(r.analysis.up.criticalPath)} min):`);
        out.push("  " + r.analysis.up.criticalSteps.map((s) => `${s.name} (+${f2(s.minutes)})`).join(" → "));
    }
    if (results.length) {
        const over = results.filter((r) => r.floorRatio > FLOOR_RATIO_LIMIT);
        out.push(
            "",
            `cost per registration vs the ConfigMap floor (bare ConfigMaps under the same runtime, bench/floor.ts): ${results.map((r) => `${r.key} ${f2(r.floorRatio)}×`).join(", ")}`,
            `  ≤ ${FLOOR_RATIO_LIMIT}× the ConfigMap floor (context; the goal is judged on the typed floor, below): ${over.length ? `not by ${over.map((r) => r.key).join(", ")} (the resource types alone cost more than ConfigMaps)` : "every case"}`,
        );
    }
    out.push("", ...typedFloorReport(typed));
    const unknown = [...new Set(results.flatMap((r) => r.analysis.up.unknownTypes))];
    if (unknown.length) out.push("", `types without a reference time (0.5 min used): ${unknown.join(", ")}`);
    const warned = results.filter((r) => r.warnings > 0);
    if (warned.length) out.push("", `simulator warnings in: ${warned.map((r) => r.key).join(", ")}`);
    out.push("", ...fleetReport(fleet, json, results));
    out.push("", ...programCostGoalLine(json.programCostGoal));
    return out.join("\n");
}

async function main(argv: string[]): Promise<number> {
    const opts = parseArgs(argv);
    const started = Date.now();
    const loadAvgStart = os.loadavg().map(r2);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ack-mesh-bench-"));
    const results: CaseResult[] = [];
    const fleet: FleetCaseResult[] = [];
    const typed: TypedCase[] = [];
    const failures: CaseFailure[] = [];
    try {
        for (const mode of opts.modes) {
            for (const n of opts.sizes) {
                const runs = opts.runs ?? runsFor(n);
                const t0 = Date.now();
                process.stderr.write(`${caseKey(mode, n)}: warm-up + ${runs} runs … `);
                const r = await runChild<CaseResult>("case.ts", caseKey(mode, n), mode, n, runs, tmp, opts.heapMb);
                if (isFailure(r)) {
                    process.stderr.write(`${r.key}: ${r.reason} after ${r.afterSeconds} s\n`);
                    failures.push(r);
                    continue;
                }
                process.stderr.write(`median ${r.medianMs} ms, peak ${f1(r.peakRssMb)} MB, ${r.analysis.counts.total} resources (${Math.round((Date.now() - t0) / 1000)} s)\n`);
                results.push(r);
            }
        }
        for (const mode of opts.fleetModes) {
            for (const n of opts.fleetSizes) {
                const runs = opts.runs ?? (n <= 10 ? 3 : 1);
                const t0 = Date.now();
                const key = fleetCaseKey(mode, n);
                process.stderr.write(`${key}: warm-up + ${runs} runs … `);
                const r = await runChild<FleetCaseResult>("fleetCase.ts", key, mode, n, runs, tmp, opts.heapMb);
                if (isFailure(r)) {
                    process.stderr.write(`${r.key}: ${r.reason} after ${r.afterSeconds} s\n`);
                    failures.push(r);
                    continue;
                }
                process.stderr.write(`${r.stacks.length} stacks, largest ${r.largest.stack} ${r.largest.registrations} registrations (${Math.round((Date.now() - t0) / 1000)} s)\n`);
                fleet.push(r);
            }
        }
        for (const mode of opts.modes) {
            for (const n of opts.typedSizes) {
                const runs = opts.runs ?? runsFor(n);
                const key = caseKey(mode, n);
                const t0 = Date.now();
                process.stderr.write(`typed floor ${key}: warm-up + ${runs} interleaved runs … `);
                const r = await runChild<TypedFloorTiming>("typedFloor.ts", `typed-${key}`, mode, n, runs, tmp, opts.heapMb);
                if (isFailure(r)) {
                    process.stderr.write(`typed floor ${key}: ${r.reason} after ${r.afterSeconds} s\n`);
                    failures.push({ ...r, key: `typed:${key}` });
                    continue;
                }
                process.stderr.write(`program × typed floor ${f2(r.programRatio)} (${Math.round((Date.now() - t0) / 1000)} s)\n`);
                typed.push({ key, timing: r });
            }
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    const seconds = (Date.now() - started) / 1000;
    const json = buildJson(results, failures, seconds, loadAvgStart, fleet, typed);
    console.log(report(results, failures, json, fleet, typed));
    console.log(`\n${results.length + fleet.length} cases in ${Math.round(seconds)} s on ${json.machine.cpus}× ${json.machine.cpuModel}, Node ${json.machine.node}; load average ${json.machine.loadAvgStart.join(" ")} → ${json.machine.loadAvgEnd.join(" ")}`);
    if (opts.json) {
        fs.writeFileSync(opts.json, JSON.stringify(json, null, 2) + "\n");
        console.log(`wrote ${opts.json}`);
    }
    return failures.length ? 2 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            console.error(e instanceof Error ? e.message : e);
            process.exit(1);
        },
    );
}
