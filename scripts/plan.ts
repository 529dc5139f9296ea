/**
 * `npm run plan -- <stack>`: the offline plan of a stack. Runs the real
 * program on the simulated cloud — no credentials, no Pulumi CLI, no network —
 * and prints what `pulumi up` would build.
 *
 * Exit status: 0 planned; 2 invalid stack configuration; 1 anything else.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../config/errors";
import { planTopology, layoutSummary, runAckMesh } from "../programs/ack-mesh/program";
import { cidrTable } from "../plan/network";
import { readStackConfig, RecordedResource, simulate } from "../sim";

const ROOT = path.resolve(__dirname, "..");

/** Renders rows as an aligned text table. */
export function textTable(rows: Record<string, string>[], headers?: string[]): string {
    const cols = headers ?? (rows.length ? Object.keys(rows[0]) : []);
    const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
    const line = (cells: string[]) => cells.map((v, i) => v.padEnd(width[i])).join("  ").trimEnd();
    return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c] ?? "")))].join("\n");
}

/** Resource counts by type, sorted by type. */
export function countsByType(resources: RecordedResource[]): Record<string, number> {
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

/** Reads the `ack-mesh:` keys of a stack file. */
export function stackConfig(stack: string): { config: Record<string, unknown>; secretConfigKeys: string[]; file: string } {
    const file = path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs.readdirSync(path.join(ROOT, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
        throw new Error(`no stack file ${path.relative(ROOT, file)}; stacks: ${known.map((f) => f.slice(7, -5)).join(", ")}`);
    }
    return { ...readStackConfig(file), file };
}

async function main(argv: string[]): Promise<number> {
    const stack = argv.find((a) => !a.startsWith("-"));
    if (!stack) {
        console.error("usage: npm run plan -- <stack>");
        return 1;
    }
    const { config, secretConfigKeys } = stackConfig(stack);
    const raw = Object.fromEntries(
        Object.entries(config)
            .filter(([k]) => k.startsWith("ack-mesh:"))
            .map(([k, v]) => [k.slice("ack-mesh:".length), v]),
    );
    let planned;
    try {
        planned = planTopology(raw);
    } catch (e) {
        if (ConfigError.is(e)) {
            console.error(`stacks/Pulumi.${stack}.yaml: ${e.message}`);
            return 2;
        }
        throw e;
    }
    const result = await simulate(runAckMesh, { project: "ack-mesh", stack, config, secretConfigKeys });

    const out: string[] = [];
    out.push(`ack-mesh offline plan: stack ${stack} (simulated cloud; nothing is created)`, "");
    out.push(`Mesh layout: ${layoutSummary(planned)}`, "");
    out.push("CIDR plan", textTable(cidrTable(planned.network).map((r) => ({ ...r }))), "");
    const counts = countsByType(result.resources);
    out.push(`Resources: ${result.resources.length}`, textTable(Object.entries(counts).map(([type, n]) => ({ type, count: String(n) }))), "");
    out.push("Resource tree", resourceTree(result.resources));
    console.log(out.join("\n"));
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (err) => {
            console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
            process.exit(1);
        },
    );
}
