/**
 * `npm run fleet -- <command> <env> [options]`: an environment split across
 * stacks (programs/fleet, docs/fleet.md).
 *
 *   plan      offline: simulate every stack in order on the simulated cloud;
 *             per stack the resource counts and the critical path, for the
 *             fleet the simulated `up` time with the pool
 *   preview   live: preview every stack in order (Automation API; needs the Pulumi CLI)
 *   up        live: update every stack in order (network → security groups → primaries → remotes → mesh → apps)
 *   destroy   live: destroy every stack in reverse order
 *
 * Options:
 *   --pool <n>                 stacks run at once per layer (default 8)
 *   --stack-file <path>        read the config from this file instead of stacks/Pulumi.<env>.yaml
 *   --backend <url>            state backend (default $PULUMI_BACKEND_URL, else file://<work dir>/state);
 *                              e.g. s3://<bucket>?endpoint=oss-cn-hangzhou.aliyuncs.com&region=cn-hangzhou (docs/fleet.md)
 *   --secrets-provider <p>     passphrase (default) or a KMS URL, for every stack
 *   --work-dir <dir>           working directories of the fleet's projects (default .fleet)
 *   --json <dir>               plan: write each stack's canonical plan to <dir>/<stack>.json
 *   --diff <dir>               plan: compare with the canonical plans in <dir> (per stack: create/update/replace/delete)
 *
 * Exit status: 0 done; 1 a stack failed, or another error; 2 invalid config or usage.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, StackFileError } from "../config/errors";
import { namespaceConfig } from "../config/pulumiConfig";
import { planTopology } from "../programs/compose";
import { checkFleetSupports, fleetStacks, FleetStack, previewable } from "../programs/fleet/layout";
import { clusterChanges, DEFAULT_POOL, FleetPlanError, FleetVerb, fleetPhases, runFleet, SUMMARY_HEADINGS, summaryRows } from "../programs/fleet/orchestrator";
import { automationRunner, OpenStack, openLiveStack, secretsFromEnv } from "../programs/fleet/automation";
import { diffFleet, FleetSimulation, fleetCanonicalPlans, fleetSourceOf, simulateFleet } from "../programs/fleet/simulate";
import { CanonicalPlan, CHANGE_KINDS, dependencyGraph, criticalPath, parseCanonicalPlan, stableStringify, textTable } from "../sim";
import { referenceWeight } from "../bench/weights";
import { countsByType, criticalPathLines, formatMinutes, PlanIO, UsageError } from "./plan";

const ROOT = path.resolve(__dirname, "..");

/** A fleet command. */
export type FleetCommand = FleetVerb | "plan";

/** Parsed command line. */
export interface FleetArgs {
    /** The command. */
    command: FleetCommand;
    /** Environment: its config file and the stack name of every fleet stack. */
    env: string;
    /** `--pool`: stacks run at once per layer. @default 8 */
    pool: number;
    /** `--stack-file`: the config file. @default stacks/Pulumi.<env>.yaml */
    stackFile?: string;
    /** `--backend`: state backend URL. @default $PULUMI_BACKEND_URL, else file://<work dir>/state */
    backend?: string;
    /** `--secrets-provider`: `passphrase` or a KMS URL, for every stack. @default passphrase */
    secretsProvider: string;
    /** `--work-dir`: the projects' working directories. @default .fleet */
    workDir: string;
    /** `--json` (plan): directory to write each stack's canonical plan to. */
    json?: string;
    /** `--diff` (plan): directory of canonical plans to diff every stack against. */
    diff?: string;
}

/** The usage text. */
export const FLEET_USAGE = [
    "usage: npm run fleet -- plan|preview|up|destroy <env> [--pool <n>] [--stack-file <path>]",
    "                       [--backend <url>] [--secrets-provider <p>] [--work-dir <dir>] [--json <dir>] [--diff <dir>]",
    "  plan       offline: simulate every stack in order; resource counts, critical paths, fleet time with the pool",
    "  preview    preview every stack in order (Pulumi Automation API; needs the pulumi CLI)",
    "  up         update every stack: network → security groups → primaries → remotes → mesh → apps",
    "  destroy    destroy every stack: apps → mesh → remotes → primaries → security groups → network",
    `  --pool <n>              stacks at once per layer (default ${DEFAULT_POOL})`,
    "  --stack-file <path>     config file instead of stacks/Pulumi.<env>.yaml",
    "  --backend <url>         state backend (default $PULUMI_BACKEND_URL, else file://<work dir>/state; s3://… for OSS)",
    "  --secrets-provider <p>  passphrase (default) or a KMS URL",
    "  --work-dir <dir>        the projects' working directories (default .fleet)",
    "  --json <dir>            plan: write <dir>/<stack>.json (canonical plans)",
    "  --diff <dir>            plan: diff every stack against <dir>/<stack>.json",
].join("\n");

const COMMANDS: readonly FleetCommand[] = ["plan", "preview", "up", "destroy"];

/** Parses the command line. @throws UsageError */
export function parseFleetArgs(argv: readonly string[]): FleetArgs {
    const positional: string[] = [];
    const flags: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("--")) {
            positional.push(a);
            continue;
        }
        const eq = a.indexOf("=");
        const flag = eq > 0 ? a.slice(0, eq) : a;
        if (!["--pool", "--stack-file", "--backend", "--secrets-provider", "--work-dir", "--json", "--diff"].includes(flag)) throw new UsageError(`unknown option ${a}`);
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
        flags[flag] = v;
    }
    const [command, env, ...rest] = positional;
    if (!COMMANDS.includes(command as FleetCommand)) throw new UsageError(`the command must be one of ${COMMANDS.join(", ")}, got ${JSON.stringify(command ?? "")}`);
    if (env === undefined) throw new UsageError("missing <env>");
    if (rest.length) throw new UsageError(`one environment at a time (got ${[env, ...rest].join(", ")})`);
    const pool = flags["--pool"] === undefined ? DEFAULT_POOL : Number(flags["--pool"]);
    if (!Number.isInteger(pool) || pool < 1) throw new UsageError(`--pool must be a positive integer, got ${JSON.stringify(flags["--pool"])}`);
    if ((flags["--json"] || flags["--diff"]) && command !== "plan") throw new UsageError("--json and --diff are options of plan");
    return {
        command: command as FleetCommand,
        env,
        pool,
        secretsProvider: flags["--secrets-provider"] ?? "passphrase",
        workDir: flags["--work-dir"] ?? path.join(ROOT, ".fleet"),
        ...(flags["--stack-file"] ? { stackFile: flags["--stack-file"] } : {}),
        ...(flags["--backend"] ? { backend: flags["--backend"] } : {}),
        ...(flags["--json"] ? { json: flags["--json"] } : {}),
        ...(flags["--diff"] ? { diff: flags["--diff"] } : {}),
    };
}

/** The `plan` report: a table of stacks, each stack's critical path, and the fleet's phases with the pool. */
export function renderFleetPlan(sim: FleetSimulation): string {
    const rows = sim.stacks.map((s) => ({
        stack: s.stack,
        layer: s.layer,
        resources: String(s.result.resources.filter((r) => r.custom).length),
        components: String(s.result.resources.filter((r) => !r.custom).length),
        reads: String(s.result.reads.length),
        registrations: String(s.registrations),
        "eval ms": String(s.evalMs),
        "critical path": formatMinutes(s.criticalPathMinutes),
    }));
    const out: string[] = [`Fleet ${sim.env}: ${sim.stacks.length} stacks`, "", textTable(rows)];
    for (const s of sim.stacks) {
        const graph = dependencyGraph(s.result);
        out.push("", `${s.stack} (${s.project}), by type:`);
        out.push(textTable(Object.entries(countsByType(s.result.resources.filter((r) => r.custom))).map(([type, n]) => ({ type, count: String(n) }))));
        out.push(`critical path of ${s.stack}: ${formatMinutes(s.criticalPathMinutes)}`, ...criticalPathLines(criticalPath(graph, referenceWeight(graph)), "text"));
    }
    out.push("", `Simulated up with a pool of ${sim.pool} (layers one after another; in a layer, stacks start in order on the first free slot):`);
    out.push(textTable(sim.phases.map((p) => ({ layer: p.layer, stacks: String(p.stacks.length), minutes: formatMinutes(p.minutes) }))));
    out.push(`fleet: ${formatMinutes(sim.fleetMinutes)}`);
    return out.join("\n");
}

/** Per-stack change counts of {@link diffFleet}, only the stacks that change. */
export function renderFleetDiff(old: Record<string, CanonicalPlan>, next: Record<string, CanonicalPlan>): string {
    const diffs = diffFleet(old, next);
    const kinds = CHANGE_KINDS.filter((k) => k !== "same");
    const rows = Object.entries(diffs)
        .filter(([, d]) => kinds.some((k) => d.counts[k] > 0))
        .map(([stack, d]) => ({ stack, ...Object.fromEntries(kinds.map((k) => [k, String(d.counts[k])])) }));
    return rows.length ? textTable(rows, ["stack", ...kinds]) : "no stack changes";
}

function readPlans(dir: string): Record<string, CanonicalPlan> {
    return Object.fromEntries(
        fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".json"))
            .map((f) => [f.slice(0, -5), parseCanonicalPlan(fs.readFileSync(path.join(dir, f), "utf8"))]),
    );
}

async function plan(args: FleetArgs, io: PlanIO): Promise<number> {
    const source = fleetSourceOf(args.env, args.stackFile ?? path.join(ROOT, "stacks", `Pulumi.${args.env}.yaml`));
    const sim = await simulateFleet(source, { pool: args.pool });
    const plans = fleetCanonicalPlans(sim);
    if (args.json) {
        fs.mkdirSync(args.json, { recursive: true });
        for (const [id, p] of Object.entries(plans)) fs.writeFileSync(path.join(args.json, `${id}.json`), `${stableStringify(p)}\n`);
    }
    io.out(args.diff ? renderFleetDiff(readPlans(args.diff), plans) : renderFleetPlan(sim));
    return 0;
}

async function live(args: FleetArgs, io: PlanIO, openStack: OpenStack): Promise<number> {
    const file = args.stackFile ?? path.join(ROOT, "stacks", `Pulumi.${args.env}.yaml`);
    const source = fleetSourceOf(args.env, file);
    const planned = planTopology(namespaceConfig(source.config));
    if (args.command !== "destroy") checkFleetSupports(planned);
    const stacks = fleetStacks(planned);
    const secret = new Set(source.secretConfigKeys);
    const runner = automationRunner({
        env: args.env,
        config: Object.fromEntries(Object.entries(source.config).filter(([k]) => !secret.has(k))),
        secrets: secretsFromEnv(source.secretConfigKeys ?? [], process.env, file),
        backendUrl: args.backend ?? process.env["PULUMI_BACKEND_URL"] ?? `file://${path.resolve(args.workDir, "state")}`,
        secretsProvider: args.secretsProvider,
        workDir: args.workDir,
        onOutput: (stack, text) => io.out(`[${stack.id}] ${text.trimEnd()}`),
    }, openStack);
    const deployed = await runner.deployedClusters(stacks[0]);
    const changes = clusterChanges(stacks, deployed);
    let selected: FleetStack[] = stacks;
    let removed = changes.removed;
    if (args.command !== "up") {
        // Neither a preview nor a destroy creates a stack: they run only on the stacks the backend holds.
        const states = await runner.stackStates([...stacks, ...removed]);
        const absent = (s: FleetStack) => states.get(s.id) === "absent";
        const missing = [...stacks, ...removed].filter(absent);
        if (missing.length) io.err(`not in the backend (${args.command === "preview" ? "up creates them; npm run fleet -- plan shows them offline" : "nothing to destroy"}): ${missing.map((s) => s.id).join(", ")}`);
        selected = stacks.filter((s) => !absent(s));
        removed = removed.filter((s) => !absent(s));
        if (args.command === "preview") {
            // A preview updates nothing: a stack that reads a stack without outputs yet (never or not successfully updated) cannot be previewed.
            const { run, waiting } = previewable(selected, new Set([...states].filter(([, st]) => st === "deployed").map(([id]) => id)));
            if (waiting.length) io.err(`not previewed (they read stacks that have no outputs yet; run up first): ${waiting.map((w) => w.id).join(", ")}`);
            selected = run;
        }
    }
    const phases = fleetPhases(args.command as FleetVerb, selected, { ...changes, removed });
    const result = await runFleet(phases, runner, {
        pool: args.pool,
        onEvent: (e) => io.err(e.kind === "start" ? `→ ${e.action} ${e.stack.id}` : `← ${e.action} ${e.stack.id}: ${e.outcome?.status}`),
    });
    const rows = summaryRows(result.outcomes).map((r) => Object.fromEntries(SUMMARY_HEADINGS.map((h, i) => [h, r[i]])));
    io.out(textTable(rows, SUMMARY_HEADINGS));
    return result.ok ? 0 : 1;
}

/**
 * Runs the CLI. Returns the exit status.
 * @param openStack how live commands open a stack (the Automation API; a fake in tests)
 */
export async function fleetMain(
    argv: readonly string[],
    io: PlanIO = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
    openStack: OpenStack = openLiveStack,
): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        io.out(FLEET_USAGE);
        return 0;
    }
    let args: FleetArgs;
    try {
        args = parseFleetArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.err(`${e.message}\n${FLEET_USAGE}`);
        return 2;
    }
    try {
        return args.command === "plan" ? await plan(args, io) : await live(args, io, openStack);
    } catch (e) {
        if (e instanceof ConfigError || e instanceof StackFileError || e instanceof FleetPlanError) {
            io.err(e.message);
            return 2;
        }
        throw e;
    }
}

if (require.main === module) {
    fleetMain(process.argv.slice(2)).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (err) => {
            console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
            process.exit(1);
        },
    );
}
