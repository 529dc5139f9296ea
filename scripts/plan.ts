/**
 * `npm run plan -- <stack> [options]`: the offline plan of a stack. Runs the real
 * program on the simulated cloud — no credentials, no Pulumi CLI, no network —
 * and prints what `pulumi up` would build: the mesh layout, the CIDR plan,
 * Bookinfo placement and routing, resource counts, the critical path of the
 * deployment and the resource tree.
 *
 * Options:
 *   --stack-file <path>   read the config from this file instead of stacks/Pulumi.<stack>.yaml
 *                         (the stack name defaults to the file's Pulumi.<name>.yaml part)
 *   --json <file>         also write the canonical plan (sim/canonical.ts) to <file>
 *   --diff <old.json>     compare with an earlier canonical plan and print only the diff
 *   --mermaid             print only a Mermaid flowchart of the deployment (after the diff, if any)
 *   --format <f>          text (default) or markdown (for PR comments)
 *   --allow-replace       do not fail (exit 3) on a replace/delete of a protected or stateful resource
 *   --images              print only the exact images and charts the stack pulls (to mirror them)
 *
 * Exit status: 0 planned; 1 usage or other error; 2 invalid stack configuration;
 * 3 (with --diff) a protected or stateful resource would be replaced or deleted
 * and --allow-replace was not given.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as yamlParse } from "yaml";
import { ConfigError } from "../config/errors";
import { namespaceValues } from "../config/pulumiConfig";
import { BOOKINFO_WORKLOADS } from "../config/schema";
import { planTopology, layoutSummary, runAckMesh, PlannedTopology } from "../programs/ack-mesh/program";
import { cidrTable } from "../plan/network";
import { mirrorList } from "../plan/images";
import { PREFLIGHT_SUMMARY_HEADING } from "../components/preflight";
import {
    CanonicalPlan,
    CriticalPath,
    GatewayInfo,
    MeshTopology,
    PlanFormatError,
    RecordedLog,
    RecordedResource,
    RenderFormat,
    SimulationError,
    canonicalPlan,
    criticalPath,
    dependencyGraph,
    diffExitCode,
    diffPlans,
    gatewaysOf,
    markdownCell,
    markdownTable,
    mermaidFlowchart,
    parseCanonicalPlan,
    readStackConfig,
    renderDiff,
    simulate,
    stableStringify,
    textTable,
} from "../sim";

export { textTable };

const ROOT = path.resolve(__dirname, "..");

/** Where the CLI writes. Tests pass their own to capture the output. */
export interface PlanIO {
    /** Standard output (one call per block; a newline is added). */
    out(text: string): void;
    /** Standard error (one call per message; a newline is added). */
    err(text: string): void;
}

const consoleIO: PlanIO = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
};

/** Parsed command line. */
export interface PlanArgs {
    /** Stack name (`stacks/Pulumi.<stack>.yaml`); optional with `stackFile`. */
    stack?: string;
    /** Stack file to read instead of `stacks/Pulumi.<stack>.yaml`. */
    stackFile?: string;
    /** Where to write the canonical plan. */
    json?: string;
    /** Earlier canonical plan to diff against. */
    diff?: string;
    /** Print the Mermaid flowchart. */
    mermaid: boolean;
    /** Output format. */
    format: RenderFormat;
    /** Accept replacing or deleting protected or stateful resources. */
    allowReplace: boolean;
    /** Print only the images and charts to mirror. */
    images: boolean;
    /** Print the usage. */
    help: boolean;
}

/** The usage text. */
export const USAGE = [
    "usage: npm run plan -- <stack> [--stack-file <path>] [--json <file>] [--diff <old-plan.json>] [--mermaid] [--images] [--format text|markdown] [--allow-replace]",
    "  <stack>              a stack of stacks/Pulumi.<stack>.yaml (optional with --stack-file)",
    "  --stack-file <path>  read the config from this stack file",
    "  --json <file>        write the canonical plan (deterministic JSON, secrets redacted) to <file>",
    "  --diff <file>        print the changes against an earlier canonical plan: create/update/REPLACE/delete",
    "  --mermaid            print a Mermaid flowchart (regions, VPCs, clusters, CEN, mesh, gateways)",
    "  --format <f>         text (default) or markdown",
    "  --allow-replace      accept replacing/deleting protected or stateful resources (else exit 3)",
    "  --images             print only the exact images and charts the stack pulls, one per line (to mirror them; docs/mirror.md)",
    "exit status: 0 ok; 1 error; 2 invalid stack config; 3 unapproved replacement or deletion",
].join("\n");

/** A command-line mistake. */
export class UsageError extends Error {}

/** Parses the command line. @throws UsageError */
export function parseArgs(argv: readonly string[]): PlanArgs {
    const args: PlanArgs = { mermaid: false, format: "text", allowReplace: false, images: false, help: false };
    const value = (i: number, flag: string): string => {
        const v = argv[i + 1];
        if (v === undefined || (v.startsWith("--") && v.length > 2)) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const eq = a.startsWith("--") ? a.indexOf("=") : -1;
        const flag = eq > 0 ? a.slice(0, eq) : a;
        const inline = eq > 0 ? a.slice(eq + 1) : undefined;
        const take = () => {
            if (inline !== undefined) return inline;
            const v = value(i, flag);
            i++;
            return v;
        };
        switch (flag) {
            case "--stack-file":
                args.stackFile = take();
                break;
            case "--json":
                args.json = take();
                break;
            case "--diff":
                args.diff = take();
                break;
            case "--format": {
                const f = take();
                if (f !== "text" && f !== "markdown") throw new UsageError(`--format must be text or markdown, got ${JSON.stringify(f)}`);
                args.format = f;
                break;
            }
            case "--mermaid":
                args.mermaid = true;
                break;
            case "--allow-replace":
                args.allowReplace = true;
                break;
            case "--images":
                args.images = true;
                break;
            case "-h":
            case "--help":
                args.help = true;
                break;
            default:
                if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
                if (args.stack !== undefined) throw new UsageError(`one stack at a time (got ${args.stack} and ${a})`);
                args.stack = a;
        }
    }
    if (!args.help && args.stack === undefined && args.stackFile === undefined) throw new UsageError("missing <stack>");
    return args;
}

/** Resource counts by type, sorted by type. */
export function countsByType(resources: readonly { type: string }[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The resources as an indented tree by parent. */
export function resourceTree(resources: RecordedResource[]): string {
    const children = new Map<string, RecordedResource[]>();
    for (const r of resources) {
        const key = r.parent ?? "";
        children.set(key, [...(children.get(key) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (parent: string, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            lines.push(`${"  ".repeat(depth)}${r.name}  (${r.type})${r.protect ? "  [protected]" : ""}`);
            walk(r.urn, depth + 1);
        }
    };
    walk("", 0);
    return lines.join("\n");
}

/** Reads the `ack-mesh:` keys of a stack file (`stacks/Pulumi.<stack>.yaml`, or `file`). */
export function stackConfig(stack: string, file?: string): { config: Record<string, unknown>; secretConfigKeys: string[]; file: string } {
    const f = file ?? path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(f)) {
        if (file) throw new UsageError(`no stack file ${file}`);
        const known = fs.readdirSync(path.join(ROOT, "stacks")).filter((x) => /^Pulumi\..+\.yaml$/.test(x));
        throw new UsageError(`no stack file ${path.relative(ROOT, f)}; stacks: ${known.map((x) => x.slice(7, -5)).join(", ")}`);
    }
    return { ...readStackConfig(f), file: f };
}

/** The Pulumi project name from `Pulumi.yaml` (`ack-mesh` when it cannot be read). */
export function projectName(): string {
    try {
        const doc = yamlParse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name?: unknown };
        return typeof doc?.name === "string" ? doc.name : "ack-mesh";
    } catch {
        return "ack-mesh";
    }
}

/** The chart's view of the planned cluster layout. */
export function meshTopologyOf(planned: PlannedTopology): MeshTopology {
    return {
        topology: planned.config.mesh.topology,
        clusters: Object.values(planned.config.clusters).map((c) => ({
            name: c.name,
            region: c.region,
            vpc: planned.network.clusters[c.name]?.vpc ?? c.vpc,
            vpcCidr: planned.network.clusters[c.name]?.vpcCidr,
            role: c.role,
            controlPlane: c.controlPlane,
            network: c.network,
        })),
    };
}

/** Rows of the mesh layout table: each cluster's role, network and gateways. */
export function meshLayoutRows(planned: PlannedTopology, gateways: readonly GatewayInfo[]): Record<string, string>[] {
    const gw = (cluster: string, role: GatewayInfo["role"]) =>
        gateways
            .filter((g) => g.cluster === cluster && g.role === role)
            .map((g) => `${g.release} (${g.exposure} SLB)`)
            .join(", ") || "-";
    return Object.values(planned.identity.clusters).map((c) => ({
        cluster: c.clusterName,
        region: c.region,
        role: c.controlPlane ? "control plane (istiod)" : `remote of ${c.controlledBy}`,
        network: c.network,
        ingress: gw(c.clusterName, "ingress"),
        "east-west": gw(c.clusterName, "east-west"),
    }));
}

const ROUTING: Record<string, string> = {
    plain: "plain: no routing rules; each service's traffic is spread over every placed version (Istio's default load balancing)",
    "header-split": "header-split: requests of user jason (end-user header) go to reviews v2/v3 50/50, everyone else to reviews v1",
    "locality-failover": "locality-failover: each client stays in its own region (locality load balancing) and fails over to the next region when its local endpoints are unhealthy",
};

/** Bookinfo placement and routing, derived from the config (works whether or not the program creates Bookinfo yet). */
export function bookinfoLines(planned: PlannedTopology, plan: CanonicalPlan, format: RenderFormat): string[] {
    const b = planned.config.bookinfo;
    if (!b.enabled) return ["Bookinfo: disabled (ack-mesh:bookinfo.enabled is false)"];
    const region = (c: string) => planned.config.clusters[c]?.region ?? "?";
    const rows = BOOKINFO_WORKLOADS.map((w) => ({
        workload: w,
        clusters: (b.placement[w] ?? []).map((c) => `${c} (${region(c)})`).join(", ") || "-",
    }));
    const inPlan = plan.resources.filter((r) => /bookinfo/i.test(r.type) || /bookinfo/i.test(r.name)).length;
    const lines = [
        format === "markdown" ? markdownTable(rows.map((r) => ({ workload: `\`${r.workload}\``, clusters: markdownCell(r.clusters) })), ["workload", "clusters"]) : textTable(rows, ["workload", "clusters"]),
        "",
        `Routing: ${ROUTING[b.routing] ?? b.routing}`,
    ];
    if (b.routing === "locality-failover" && b.failover.length) lines.push(`Failover: ${b.failover.map((f) => `${f.from} → ${f.to}`).join(", ")}`);
    lines.push(`Image tag: ${b.tag}`, inPlan ? `Bookinfo resources in the plan: ${inPlan}` : "Bookinfo resources in the plan: none (the program does not create Bookinfo yet)");
    return lines;
}

/** The critical path as numbered lines. */
export function criticalPathLines(cp: CriticalPath, format: RenderFormat): string[] {
    return cp.steps.map((s, i) => {
        const via = s.via && !(s.via.length === 1 && s.via[0] === "dependency") ? `  [waits via ${s.via.join(", ")}]` : "";
        const what = s.node.kind === "read" ? `${s.node.type}, read` : s.node.custom ? s.node.type : `${s.node.type}, component: done when its children are`;
        return format === "markdown" ? `${i + 1}. \`${markdownCell(s.node.name)}\` (${markdownCell(what)})${via}` : `  ${String(i + 1).padStart(2)}. ${s.node.name}  (${what})${via}`;
    });
}

/** The warnings the program logged (`pulumi.log.warn`), e.g. image sources a mainland-China cluster cannot reach. */
export function warningLines(logs: readonly RecordedLog[], format: RenderFormat): string[] {
    return logs.filter((l) => l.severity === "warning").map((l) => (format === "markdown" ? `> **Warning:** ${markdownCell(l.message)}` : `!! WARNING: ${l.message}`));
}

/** The checks the live preflight passed (its summary log), one per line. */
export function preflightLines(logs: readonly RecordedLog[], format: RenderFormat): string[] {
    const summary = logs.find((l) => l.severity === "info" && l.message.startsWith(PREFLIGHT_SUMMARY_HEADING));
    if (!summary) return ["(the preflight did not run)"];
    const lines = summary.message.split("\n");
    return format === "markdown" ? [lines[0], "", ...lines.slice(1).map((l) => `- ${markdownCell(l.trim().replace(/^ok\s+/, ""))}`)] : lines;
}

/** The images and charts to mirror, one per line. */
export function imageLines(planned: PlannedTopology, plan: CanonicalPlan): string[] {
    const gateways = plan.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release" && /(^|\/)gateway$/.test(String((r.inputs as Record<string, unknown>)["chart"] ?? "")));
    const list = mirrorList(planned.config, gateways);
    return [...list.images.map((i) => `image ${i}`), ...list.charts.map((c) => `chart ${c}`)];
}

/** Renders the full plan. */
export function renderPlan(stack: string, planned: PlannedTopology, resources: RecordedResource[], plan: CanonicalPlan, format: RenderFormat, logs: readonly RecordedLog[] = []): string {
    const md = format === "markdown";
    const h = (title: string) => (md ? `### ${title}` : title);
    const table = (rows: Record<string, string>[], headers?: string[]) =>
        md ? markdownTable(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, markdownCell(v)]))), headers) : textTable(rows, headers);
    const gateways = gatewaysOf(plan, Object.keys(planned.config.clusters));
    const cp = criticalPath(dependencyGraph(plan));
    const out: string[] = [];
    out.push(md ? `## ack-mesh offline plan: stack \`${stack}\`` : `ack-mesh offline plan: stack ${stack} (simulated cloud; nothing is created)`, "");
    const warnings = warningLines(logs, format);
    if (warnings.length) out.push(h(`Warnings: ${warnings.length}`), ...warnings, "");
    out.push(h("Mesh layout"), `${layoutSummary(planned)}`, "", table(meshLayoutRows(planned, gateways)), "");
    out.push(h("Preflight"), "What the account offers, asked through each region's provider (offline: the simulated account's catalog, sim/catalogData.ts).", "", ...preflightLines(logs, format), "");
    out.push(h("CIDR plan"), table(cidrTable(planned.network).map((r) => ({ ...r }))), "");
    out.push(h("Bookinfo"), ...bookinfoLines(planned, plan, format), "");
    const counts = countsByType(resources);
    out.push(h(`Resources: ${resources.length}`), table(Object.entries(counts).map(([type, n]) => ({ type, count: String(n) }))), "");
    out.push(
        h(`Critical path: ${cp.steps.filter((s) => s.weight > 0).length} resources deep`),
        "The longest chain of waits when everything else runs in parallel: each resource waits for its dependencies and its provider; a component is done when its children are.",
        "",
        ...criticalPathLines(cp, format),
        "",
    );
    if (md) out.push("<details><summary>Resource tree</summary>", "", "```", resourceTree(resources), "```", "", "</details>");
    else out.push("Resource tree", resourceTree(resources));
    return out.join("\n");
}

function configErrorOf(e: unknown): ConfigError | undefined {
    if (ConfigError.is(e)) return e;
    if (e instanceof SimulationError) return e.errors.find((x): x is ConfigError => ConfigError.is(x));
    return undefined;
}

/**
 * The CLI. Returns the exit status instead of exiting, so tests can run it in-process.
 *
 * @param argv arguments after the script name.
 * @param io where to write. @default stdout/stderr
 */
export async function main(argv: readonly string[], io: PlanIO = consoleIO): Promise<number> {
    let args: PlanArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (e instanceof UsageError) {
            io.err(`${e.message}\n${USAGE}`);
            return 1;
        }
        throw e;
    }
    if (args.help) {
        io.out(USAGE);
        return 0;
    }
    // Read the earlier plan first: a bad file should fail before the simulation runs.
    let old: CanonicalPlan | undefined;
    if (args.diff) {
        try {
            old = parseCanonicalPlan(fs.readFileSync(args.diff, "utf8"), args.diff);
        } catch (e) {
            const errno = (e as NodeJS.ErrnoException)?.code;
            if (e instanceof PlanFormatError || errno === "ENOENT" || errno === "EISDIR" || errno === "EACCES") {
                io.err(e instanceof PlanFormatError ? e.message : `cannot read the earlier plan ${args.diff}: ${errno}`);
                return 1;
            }
            throw e;
        }
    }
    const stack = args.stack ?? /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(args.stackFile!))?.[1] ?? "custom";
    let cfg: ReturnType<typeof stackConfig>;
    try {
        cfg = stackConfig(stack, args.stackFile);
    } catch (e) {
        io.err(e instanceof Error ? e.message : String(e));
        return 1;
    }
    const label = path.relative(process.cwd(), cfg.file) || cfg.file;
    const raw = namespaceValues(cfg.config);
    let planned: PlannedTopology;
    try {
        planned = planTopology(raw);
    } catch (e) {
        const ce = configErrorOf(e);
        if (ce) {
            io.err(`${label}: ${ce.message}`);
            return 2;
        }
        throw e;
    }
    const project = projectName();
    let result;
    try {
        result = await simulate(runAckMesh, { project, stack, config: cfg.config, secretConfigKeys: cfg.secretConfigKeys });
    } catch (e) {
        const ce = configErrorOf(e);
        if (ce) {
            io.err(`${label}: ${ce.message}`);
            return 2;
        }
        io.err(e instanceof Error ? e.message : String(e));
        return 1;
    }
    const plan = canonicalPlan(result, { stack, project });
    if (args.json) {
        fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
        fs.writeFileSync(args.json, `${stableStringify(plan)}\n`);
    }
    let code = 0;
    if (old) {
        const diff = diffPlans(old, plan);
        io.out(renderDiff(diff, { format: args.format, allowReplace: args.allowReplace }));
        code = diffExitCode(diff, args.allowReplace);
    }
    if (args.mermaid) {
        const chart = mermaidFlowchart(plan, meshTopologyOf(planned));
        const heading = args.diff ? `\n#### Deployment of ${stack}\n\n` : "";
        io.out(args.format === "markdown" ? `${heading}\`\`\`mermaid\n${chart}\n\`\`\`` : chart);
    }
    if (args.images) {
        io.out(imageLines(planned, plan).join("\n"));
        return code;
    }
    if (!args.diff && !args.mermaid) io.out(renderPlan(stack, planned, result.resources, plan, args.format, result.logs));
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit once stdout is flushed (a pipe may still hold the output).
        (code) => process.stdout.write("", () => process.exit(code)),
        (err) => {
            console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
            process.exit(1);
        },
    );
}
