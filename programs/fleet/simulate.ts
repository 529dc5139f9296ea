/**
 * `simulateFleet`: the offline `up` of a whole fleet. Every stack runs, in
 * the orchestrator's order (`fleetPhases("up")`), on the simulated cloud
 * (`simulate`), one at a time; each stack's outputs (secrets as `Secret`)
 * are handed to the later ones as the outputs their `StackReference`s read.
 * Per stack it reports the registrations, the evaluation time and the
 * critical path in reference minutes (`bench/weights.ts`, as `npm run plan`);
 * for the fleet, the simulated time of `up` with a pool of concurrent
 * stacks: per phase the pool's makespan over the stacks' critical paths
 * ({@link poolMakespan}), phases one after another.
 */
import * as path from "path";
import { namespaceConfig } from "../../config/pulumiConfig";
import { referenceWeight } from "../../bench/weights";
import { CATALOG } from "../../sim/catalogData";
import { CANONICAL_PLAN_VERSION, CanonicalPlan, canonicalPlan, criticalPath, dependencyGraph, diffPlans, PlanDiff, readStackConfig, simulate, SimCloud, SimulationResult, SimulationOptions } from "../../sim";
import { planTopology } from "../compose";
import { checkFleetSupports, configForStack, FleetLayer, fleetStackRef, fleetStacks, FleetStack } from "./layout";
import { DEFAULT_POOL, fleetPhases, poolMakespan, runFleet } from "./orchestrator";
import { fleetProgram } from "./programs";

const ROOT = path.resolve(__dirname, "..", "..");

/** An environment given by its config rather than by a file. */
export interface FleetSource {
    /** Environment name: the stack name of every fleet stack. */
    env: string;
    /** Config by full key (`ack-mesh:clusters`, …), as `readStackConfig` returns it. */
    config: Record<string, unknown>;
    /** Keys whose values are secret. @default [] */
    secretConfigKeys?: string[];
}

/** Options of {@link simulateFleet}. */
export interface SimulateFleetOptions {
    /** Stacks that run at once in the simulated time. @default 8 */
    pool?: number;
    /** Per-stack simulation timeout, ms. @default 60000 per stack (`simulate`'s default) */
    timeoutMs?: number;
    /** Passed to every `simulate` call (catalog, existing clusters, extra mocks). */
    simulation?: Pick<SimulationOptions, "catalog" | "existingClusters" | "invokes" | "resources">;
    /** Called after each stack. */
    onStack?: (s: FleetStackSimulation) => void;
}

/** One simulated stack. */
export interface FleetStackSimulation {
    /** Stack id (`network`, `cluster-<name>`, `mesh`, `app-bookinfo`). */
    readonly stack: string;
    readonly layer: FleetLayer;
    /** Pulumi project (`ack-mesh-<id>`). */
    readonly project: string;
    /** Registrations: resources (components, custom resources, providers, the stack) plus reads (stack references, `X.get`). */
    readonly registrations: number;
    /** Wall time of the simulation, ms. */
    readonly evalMs: number;
    /** Critical path of the stack's own `up`, reference minutes. */
    readonly criticalPathMinutes: number;
    /** Everything the simulation recorded (outputs with secrets as `Secret`). */
    readonly result: SimulationResult;
}

/** A simulated fleet. */
export interface FleetSimulation {
    /** Environment: the stack name of every fleet stack. */
    readonly env: string;
    /** Size of the pool the fleet time assumes. */
    readonly pool: number;
    /** In run order. */
    readonly stacks: FleetStackSimulation[];
    /** Simulated minutes of each phase with the pool, in order. */
    readonly phases: { readonly layer: FleetLayer; readonly stacks: string[]; readonly minutes: number }[];
    /** Simulated minutes of the fleet's `up` with the pool: the sum of the phases. */
    readonly fleetMinutes: number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The organization of the simulated fleet's stack references (`<org>/<project>/<env>`, as on a self-managed backend). */
export const SIMULATED_ORGANIZATION = "organization";

/** Reads `stacks/Pulumi.<env>.yaml` (or `file`) as a {@link FleetSource}. */
export function fleetSourceOf(env: string, file = path.join(ROOT, "stacks", `Pulumi.${env}.yaml`)): FleetSource {
    return { env, ...readStackConfig(file) };
}

/**
 * Simulates every stack of an environment in order and the fleet's `up`
 * time with a pool. `source` is an environment name (its
 * `stacks/Pulumi.<env>.yaml`) or its config.
 * @throws ConfigError for an invalid config; the first stack's error (a `SimulationError`) when a stack fails
 */
export async function simulateFleet(source: string | FleetSource, options: SimulateFleetOptions = {}): Promise<FleetSimulation> {
    const src = typeof source === "string" ? fleetSourceOf(source) : source;
    const pool = options.pool ?? DEFAULT_POOL;
    const planned = planTopology(namespaceConfig(src.config));
    checkFleetSupports(planned);
    const stacks: FleetStackSimulation[] = [];
    let firstError: unknown;
    // One account for the whole fleet: a stack's references to another stack's objects are checked
    // against what that stack created. Each finished stack's outputs become readable by reference.
    const stackReferences: Record<string, Record<string, unknown>> = {};
    const sim = options.simulation ?? {};
    const cloud = new SimCloud({
        defaultRegion: typeof src.config["alicloud:region"] === "string" ? src.config["alicloud:region"] : "cn-hangzhou",
        stackReferences,
        catalog: sim.catalog ?? CATALOG,
        existingClusters: sim.existingClusters,
        invokes: sim.invokes,
        resources: sim.resources,
    });
    const runner = {
        async run(stack: FleetStack) {
            const t0 = performance.now();
            let result: SimulationResult;
            // Each stack gets the config the live orchestrator gives it (the root CA's secret config to `ca` only).
            const own = configForStack(stack, src.config, src.secretConfigKeys);
            try {
                result = await simulate(fleetProgram(stack), {
                    cloud,
                    project: stack.project,
                    stack: src.env,
                    config: own.config,
                    secretConfigKeys: own.secretKeys,
                    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
                });
            } catch (e) {
                firstError ??= e;
                throw e;
            }
            const evalMs = performance.now() - t0;
            const graph = dependencyGraph(result);
            const s: FleetStackSimulation = {
                stack: stack.id,
                layer: stack.layer,
                project: stack.project,
                registrations: result.resources.length + result.reads.length,
                evalMs: Math.round(evalMs),
                criticalPathMinutes: round(criticalPath(graph, referenceWeight(graph)).length),
                result,
            };
            stacks.push(s);
            stackReferences[fleetStackRef(SIMULATED_ORGANIZATION, stack.id, src.env)] = result.outputs;
            options.onStack?.(s);
            return { outputs: result.outputs, changes: { create: result.resources.length } };
        },
    };
    const phases = fleetPhases("up", fleetStacks(planned));
    // One at a time: simulations are serialised anyway, and each evalMs must be the stack's own.
    const run = await runFleet(phases, runner, { pool: 1 });
    if (!run.ok) throw firstError;
    const minutesOf = new Map(stacks.map((s) => [s.stack, s.criticalPathMinutes]));
    const phaseTimes = phases.map((p) => ({
        layer: p.layer,
        stacks: p.stacks.map((s) => s.id),
        minutes: round(poolMakespan(p.stacks.map((s) => minutesOf.get(s.id) ?? 0), pool)),
    }));
    return { env: src.env, pool, stacks, phases: phaseTimes, fleetMinutes: round(phaseTimes.reduce((a, p) => a + p.minutes, 0)) };
}

/** The canonical plan (`sim/canonical.ts`, what `npm run plan -- --json` writes) of every stack, by stack id. */
export function fleetCanonicalPlans(sim: FleetSimulation): Record<string, CanonicalPlan> {
    return Object.fromEntries(sim.stacks.map((s) => [s.stack, canonicalPlan(s.result, { stack: sim.env, project: s.project })]));
}

/**
 * The diff of every stack between two fleets' canonical plans (`diffPlans`,
 * as `npm run plan -- --diff`), by stack id, sorted. A stack only in `next`
 * is diffed against an empty plan (all creates), one only in `old` likewise
 * (all deletes: the stack is to be destroyed).
 */
export function diffFleet(old: Readonly<Record<string, CanonicalPlan>>, next: Readonly<Record<string, CanonicalPlan>>): Record<string, PlanDiff> {
    const empty = (p: CanonicalPlan): CanonicalPlan => ({ project: p.project, stack: p.stack, version: CANONICAL_PLAN_VERSION, resources: [] });
    const ids = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
    return Object.fromEntries(ids.map((id) => [id, diffPlans(old[id] ?? empty(next[id]), next[id] ?? empty(old[id]))]));
}
