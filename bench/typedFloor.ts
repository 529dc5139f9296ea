/**
 * The **typed floor** of a case: how much of the case's `floorRatio` is the program's and how much
 * is the SDK's price for the resource types it registers. `npm run bench` runs it for every mode at
 * `--typed-sizes` (default N = 10 and 50) and judges the goal on the program's own ratio
 * ({@link TypedFloorTiming.programRatio}, bench/README.md).
 *
 * The floor (bench/floor.ts) registers bare ConfigMaps. A ConfigMap has 6 input/output properties;
 * an `alicloud.ecs.SecurityGroupRule` has 16, and for each property the SDK creates an Output with
 * four tracked promises (`runtime/rpc.js` `transferProperties`, `debuggablePromise`). The typed floor
 * registers the case's own resources — every recorded registration and read, same type, same
 * recorded inputs (secrets as secrets), same providers — flat under the stack, with no
 * dependencies, no Outputs between them and no program logic, under the same runtime. What the
 * case costs above it is the program's own: dependency lists, component nesting, Outputs and
 * `apply`s, planning, the simulated cloud's checks.
 *
 * The simulated cloud answers the typed floor with a handler that echoes the inputs (the recorded
 * inputs name cloud IDs of the case's run, which the real handlers would reject); {@link timeTypedFloor}
 * times the ConfigMap floor under the same echo handler, so the two floors compare like with like.
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/typedFloor.ts <mode> <N> [runs] [out.json]
 *
 * @module
 */
import * as alicloud from "@pulumi/alicloud";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as fs from "fs";
import { performance } from "perf_hooks";
import { runAckMesh } from "../programs/ack-mesh/program";
import { simulate, SimulationResult } from "../sim";
import type { ResourceHandler } from "../sim/cloud";
import type { RecordedResource } from "../sim/record";
import { isRecord, Secret } from "../sim/values";
import { median, r2, releaseSimulation, runAsProcess } from "./case";
import { floorProgram } from "./floor";
import { generateTopology, Mode, MODES } from "./topology";

type ResourceClass = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
/** `get` of a Kubernetes class is `(name, id, opts)`; of the Terraform-bridged ones `(name, id, state, opts)`. */
type KubernetesReadable = { get(name: string, id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): pulumi.CustomResource };
type BridgedReadable = { get(name: string, id: pulumi.Input<string>, state?: undefined, opts?: pulumi.CustomResourceOptions): pulumi.CustomResource };

const PACKAGES: Record<string, unknown> = { alicloud, kubernetes: k8s, tls };

/** Type of `pulumi.StackReference` (a read of another stack's outputs). */
const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";

/**
 * The SDK class of a type token: `alicloud:ecs/securityGroupRule:SecurityGroupRule` →
 * `alicloud.ecs.SecurityGroupRule`, `kubernetes:helm.sh/v3:Release` → `k8s.helm.v3.Release`,
 * `pulumi:providers:tls` → `tls.Provider`; `undefined` for a Kubernetes kind without a class
 * (Istio's CRDs: registered as `apiextensions.CustomResource`).
 */
export function classOfType(type: string): unknown {
    const [pkg, mod, name] = type.split(":");
    if (pkg === "pulumi" && mod === "providers") return (PACKAGES[name] as Record<string, unknown> | undefined)?.["Provider"];
    // alicloud/tls: `<module>/<file>`; kubernetes: `<group>/<version>` (group `helm.sh` → `helm`).
    const path = pkg === "kubernetes" ? mod.split("/").map((s) => s.split(".")[0]) : [mod.split("/")[0]];
    let m: unknown = PACKAGES[pkg];
    for (const seg of path) if (seg !== "index") m = (m as Record<string, unknown> | undefined)?.[seg];
    return (m as Record<string, unknown> | undefined)?.[name];
}

/** Recorded inputs back to program inputs: recorded secrets become `pulumi.secret`s again. */
function programValue(v: unknown): unknown {
    if (v instanceof Secret) return pulumi.secret(programValue(v.value));
    if (Array.isArray(v)) return v.map(programValue);
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, programValue(x)]));
    return v;
}

/**
 * The typed floor of a simulation result: a program that registers (or reads) each of its resources
 * once, with the same type, recorded inputs and provider, named `t-<i>`, no parent but the stack, no
 * dependencies. The stack itself is registered by `simulate()`, so the program makes as many
 * registrations as `result` recorded.
 */
export function typedFloorProgram(result: Pick<SimulationResult, "resources" | "reads">): () => Record<string, unknown> {
    const recorded: RecordedResource[] = [...result.resources, ...result.reads].filter((r) => r.type !== "pulumi:pulumi:Stack");
    return () => {
        const providers = new Map<string, pulumi.ProviderResource>();
        let i = 0;
        for (const r of recorded.filter((x) => x.type.startsWith("pulumi:providers:"))) {
            const Provider = classOfType(r.type) as (new (name: string, args: Record<string, unknown>) => pulumi.ProviderResource) | undefined;
            if (!Provider) throw new Error(`typed floor: no provider class for ${r.type}`);
            providers.set(r.urn, new Provider(`t-${i++}`, programValue(r.inputs) as Record<string, unknown>));
        }
        for (const r of recorded) {
            if (r.type.startsWith("pulumi:providers:")) continue;
            const name = `t-${i++}`;
            if (!r.custom) {
                new pulumi.ComponentResource(r.type, name);
                continue;
            }
            const opts: pulumi.CustomResourceOptions = r.providerUrn ? { provider: providers.get(r.providerUrn) } : {};
            const cls = classOfType(r.type);
            if (r.type === STACK_REFERENCE_TYPE) {
                // The fleet's stacks read each other (programs/fleet/stackRefs.ts); the ID is the stack's name.
                new pulumi.StackReference(name, { name: r.id ?? "" }, opts);
            } else if (r.operation === "read") {
                if (!cls) throw new Error(`typed floor: no class to read ${r.type}`);
                if (r.type.startsWith("kubernetes:")) (cls as KubernetesReadable).get(name, r.id ?? "", opts);
                else (cls as BridgedReadable).get(name, r.id ?? "", undefined, opts);
            } else if (cls) {
                new (cls as ResourceClass)(name, programValue(r.inputs) as Record<string, unknown>, opts);
            } else if (r.type.startsWith("kubernetes:")) {
                new k8s.apiextensions.CustomResource(name, programValue(r.inputs) as k8s.apiextensions.CustomResourceArgs, opts);
            } else {
                throw new Error(`typed floor: no class for ${r.type}`);
            }
        }
        return {};
    };
}

/** The simulated cloud's echo handler for the typed floor: ID `id-<name>`, state = inputs. */
export const echoHandler: ResourceHandler = (call) => ({ id: call.custom ? `id-${call.name}` : "", outputs: { ...call.inputs } });

/**
 * Echo handlers for every type of `types` and for the ConfigMap floor's types. Stack references
 * keep the simulated cloud's own handler, which answers with the referenced stack's outputs
 * (`SimulationOptions.stackReferences`), as in the case.
 */
export function echoHandlers(types: Iterable<string>): Record<string, ResourceHandler> {
    const all = new Set([...types, "kubernetes:core/v1:ConfigMap", "pulumi:providers:kubernetes"]);
    all.delete(STACK_REFERENCE_TYPE);
    return Object.fromEntries([...all].map((t) => [t, echoHandler]));
}

/** The typed floor of one simulated stack, ready to run. */
export interface TypedFloor {
    /** Registrations and reads of the stack (and so of its typed floor). */
    readonly registrations: number;
    /** The echo handlers it runs under (its types and the ConfigMap floor's). */
    readonly handlers: Record<string, ResourceHandler>;
    /** One simulation of the typed floor. */
    run(): Promise<SimulationResult>;
    /** One run that fails unless it registers exactly {@link registrations}: an untimed warm-up. */
    check(): Promise<void>;
}

/**
 * The typed floor of `result`, a simulation of a stack of Pulumi project `project`.
 * `stackReferences` are the outputs its stack references read (a fleet stack's: the earlier
 * stacks' outputs, by stack name), so that each read returns as much as in the case.
 */
export function typedFloorOf(result: Pick<SimulationResult, "resources" | "reads">, project: string, stackReferences?: Record<string, Record<string, unknown>>): TypedFloor {
    const registrations = result.resources.length + result.reads.length;
    const handlers = echoHandlers([...result.resources, ...result.reads].map((r) => r.type));
    const program = typedFloorProgram(result);
    const run = () => simulate(program, { project, stack: "bench-typed", resources: handlers, stackReferences, timeoutMs: 30 * 60_000 });
    return {
        registrations,
        handlers,
        run,
        async check() {
            const r = await run();
            if (r.resources.length + r.reads.length !== registrations) {
                throw new Error(`the typed floor of ${project} registered ${r.resources.length + r.reads.length} resources, not ${registrations}`);
            }
            await releaseSimulation();
        },
    };
}

/** Medians (ms) of a case, its typed floor and the ConfigMap floor of the same size (both floors under echo handlers). */
export interface TypedFloorTiming {
    readonly registrations: number;
    readonly caseMs: number;
    readonly typedFloorMs: number;
    readonly floorMs: number;
    /** `typedFloorMs / floorMs`: the SDK's price of the case's resource types over ConfigMaps. */
    readonly typesRatio: number;
    /** `caseMs / typedFloorMs`: what the program adds over registering its resources flat. */
    readonly programRatio: number;
}

/**
 * Times a benchmark case, its typed floor and the ConfigMap floor, interleaved (case, typed floor,
 * floor, `runs` times, after one warm-up of each, a full GC before each run when `gc` is given), so
 * that a change of load on the machine hits all three alike.
 */
export async function timeTypedFloor(mode: Mode, n: number, runs: number, gc?: () => void): Promise<TypedFloorTiming> {
    const topo = generateTopology({ clusters: n, mode });
    const once = () => simulate(runAckMesh, { project: "ack-mesh", stack: "bench", config: topo.config, timeoutMs: 30 * 60_000 });
    const result = await once();
    await releaseSimulation();
    const typed = typedFloorOf(result, "ack-mesh");
    const { registrations } = typed;
    const typedOnce = typed.run;
    const floor = floorProgram(registrations);
    const floorOnce = () => simulate(floor, { project: "ack-mesh", stack: "bench-floor", resources: typed.handlers, timeoutMs: 30 * 60_000 });
    await typed.check();
    await floorOnce();
    const times: Record<"case" | "typed" | "floor", number[]> = { case: [], typed: [], floor: [] };
    const time = async (key: keyof typeof times, run: () => Promise<unknown>) => {
        gc?.();
        const t0 = performance.now();
        await run();
        times[key].push(performance.now() - t0);
        await releaseSimulation();
    };
    for (let i = 0; i < runs; i++) {
        await time("case", once);
        await time("typed", typedOnce);
        await time("floor", floorOnce);
    }
    const [caseMs, typedFloorMs, floorMs] = [median(times.case), median(times.typed), median(times.floor)];
    return { registrations, caseMs: Math.round(caseMs), typedFloorMs: Math.round(typedFloorMs), floorMs: Math.round(floorMs), typesRatio: r2(typedFloorMs / floorMs), programRatio: r2(caseMs / typedFloorMs) };
}

async function main(argv: string[]): Promise<void> {
    const [mode, n, runs = "5", out] = argv;
    if (!(MODES as readonly string[]).includes(mode) || !Number(n)) throw new Error(`usage: typedFloor.ts <${MODES.join("|")}> <N> [runs] [out.json]`);
    const t = await timeTypedFloor(mode as Mode, Number(n), Number(runs), (globalThis as { gc?: () => void }).gc);
    if (out) fs.writeFileSync(out, JSON.stringify(t));
    else console.log(`${mode}:${n} ${JSON.stringify(t)}`);
}

if (require.main === module) runAsProcess(main);
