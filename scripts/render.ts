/**
 * Text layout of the offline plan (`npm run plan`): lines and tables that fit a terminal of
 * {@link TEXT_WIDTH} columns, Pulumi's short form of type tokens, and the resource tree with
 * repeated leaves grouped. Pure functions of strings and recorded resources; no Pulumi.
 *
 * @module
 */
import { textTable } from "../sim";

/** Columns the default text output fits in. */
export const TEXT_WIDTH = 120;

/** Extra indentation of a wrapped line's continuation, after the line's own indentation. */
export const HANGING_INDENT = 4;

/**
 * A type token as `pulumi preview` shows it: the module's file part is dropped when it is the
 * type's name in camelCase (`alicloud:cs/managedKubernetes:ManagedKubernetes` →
 * `alicloud:cs:ManagedKubernetes`), as the Pulumi CLI's `simplifyTypeName` does. Other tokens
 * (`kubernetes:core/v1:Namespace`, `pulumi:providers:alicloud`) stay as they are.
 */
export function displayType(type: string): string {
    const parts = type.split(":");
    if (parts.length !== 3 || parts[2] === "") return type;
    const [pkg, mod, name] = parts;
    const slash = mod.lastIndexOf("/");
    if (slash < 0) return type;
    const file = mod.slice(slash + 1);
    return file === name[0].toLowerCase() + name.slice(1) ? `${pkg}:${mod.slice(0, slash)}:${name}` : type;
}

/** Markers after which a wrapped line's continuation aligns: a warning, a list item, a numbered step, a preflight check. */
const MARKER = /^( *)(!! WARNING: |- |\d+\. |ok {2})?/;

/**
 * Wraps one line at spaces to `width` columns. Continuation lines align after the line's
 * marker (`!! WARNING: `, `- `, `12. `, `ok  `), else after its indentation plus
 * {@link HANGING_INDENT} when it is indented, else at the left margin (prose). A word longer
 * than the room left stays whole (a URL or a resource name is never cut).
 */
export function wrapLine(line: string, width = TEXT_WIDTH): string[] {
    if (line.length <= width) return [line];
    const m = MARKER.exec(line)!;
    const lead = m[0];
    const hang = m[2] ? " ".repeat(lead.length) : m[1] ? m[1] + " ".repeat(HANGING_INDENT) : "";
    const words = line.slice(lead.length).split(" ");
    const out: string[] = [];
    let cur = lead;
    let empty = true;
    for (const w of words) {
        if (!empty && cur.length + 1 + w.length > width) {
            out.push(cur);
            cur = hang + w;
        } else {
            cur = empty ? cur + w : `${cur} ${w}`;
        }
        empty = false;
    }
    out.push(cur);
    return out;
}

/** {@link wrapLine} over every line of a block. */
export function wrapText(text: string, width = TEXT_WIDTH): string {
    return text
        .split("\n")
        .flatMap((l) => wrapLine(l, width))
        .join("\n");
}

/**
 * Rows as a plain-text table whose cells may hold several lines (`\n`): a row takes as many
 * lines as its tallest cell. Without multi-line cells this is `sim`'s `textTable`.
 */
export function multilineTable(rows: Record<string, string>[], headers?: string[]): string {
    const cols = headers ?? (rows.length ? Object.keys(rows[0]) : []);
    if (!rows.some((r) => cols.some((c) => (r[c] ?? "").includes("\n")))) return textTable(rows, cols);
    const cells = rows.map((r) => cols.map((c) => (r[c] ?? "").split("\n")));
    const width = cols.map((c, i) => Math.max(c.length, ...cells.flatMap((r) => r[i].map((l) => l.length))));
    const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i])).join("  ").trimEnd();
    const out = [line(cols), line(width.map((w) => "-".repeat(w)))];
    for (const r of cells) {
        const height = Math.max(...r.map((c) => c.length));
        for (let k = 0; k < height; k++) out.push(line(r.map((c) => c[k] ?? "")));
    }
    return out.join("\n");
}

const tableWidth = (text: string) => Math.max(0, ...text.split("\n").map((l) => l.length));

/**
 * A plain-text table that fits `width` columns:
 * 1. as one table when it fits;
 * 2. else split into several tables, one below the other, each repeating the first (key)
 *    column, the other columns packed in order;
 * 3. and where one of those is still too wide, the widest cells wrap at spaces.
 * The tables are separated by a blank line.
 */
export function fitTable(rows: Record<string, string>[], headers?: string[], width = TEXT_WIDTH): string {
    const cols = headers ?? (rows.length ? Object.keys(rows[0]) : []);
    const whole = multilineTable(rows, cols);
    if (tableWidth(whole) <= width) return whole;
    if (cols.length < 3) return wrapCells(rows, cols, width);
    const colWidth = (c: string) => Math.max(c.length, ...rows.map((r) => Math.max(...(r[c] ?? "").split("\n").map((l) => l.length))));
    const [key, ...rest] = cols;
    const groups: string[][] = [];
    let cur: string[] = [];
    let used = colWidth(key);
    for (const c of rest) {
        const w = colWidth(c) + 2;
        if (cur.length && used + w > width) {
            groups.push(cur);
            cur = [];
            used = colWidth(key);
        }
        cur.push(c);
        used += w;
    }
    if (cur.length) groups.push(cur);
    return groups.map((g) => wrapCells(rows, [key, ...g], width)).join("\n\n");
}

/** One table of `cols`, wrapping the widest column's cells at spaces until it fits (or cannot shrink). */
function wrapCells(rows: Record<string, string>[], cols: string[], width: number): string {
    let cur = rows.map((r) => ({ ...r }));
    for (;;) {
        const text = multilineTable(cur, cols);
        if (tableWidth(text) <= width) return text;
        const widths = cols.map((c) => Math.max(c.length, ...cur.map((r) => Math.max(...(r[c] ?? "").split("\n").map((l) => l.length)))));
        const i = widths.indexOf(Math.max(...widths));
        const target = Math.max(cols[i].length, widths[i] - (tableWidth(text) - width));
        const next = cur.map((r) => ({ ...r, [cols[i]]: (r[cols[i]] ?? "").split("\n").flatMap((l) => wrapLine(l, target).map((x) => x.trim())).join("\n") }));
        if (multilineTable(next, cols) === text) return text;
        cur = next;
    }
}

/** What the tree needs of a recorded resource. */
export interface TreeResource {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly parent?: string;
    readonly protect?: boolean;
}

/** How many leaves of one type under one parent make a group line in the grouped tree. */
export const TREE_GROUP_MIN = 5;

/** How the resource tree is printed: repeated leaves grouped (default) or every resource. */
export type TreeMode = "grouped" | "full";

/** The longest common prefix of names, cut back to just after a `-` (so `sg-` rather than `sg-b`). */
export function commonNamePrefix(names: readonly string[]): string {
    if (!names.length) return "";
    let p = names[0];
    for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
    const dash = p.lastIndexOf("-");
    return dash >= 0 ? p.slice(0, dash + 1) : "";
}

/**
 * The resources as an indented tree by parent, types as `pulumi preview` shows them
 * ({@link displayType}). In `grouped` mode, {@link TREE_GROUP_MIN} or more leaves of one type
 * under one parent print as one line where the first of them stood:
 * `<count> × <common name prefix>*  (<type>)`, with `[protected]` when all are and
 * `[n protected]` when some are.
 */
export function resourceTree(resources: readonly TreeResource[], mode: TreeMode = "grouped"): string {
    const children = new Map<string, TreeResource[]>();
    for (const r of resources) {
        const key = r.parent ?? "";
        children.set(key, [...(children.get(key) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (parent: string, depth: number) => {
        const kids = children.get(parent) ?? [];
        const leavesByType = new Map<string, TreeResource[]>();
        for (const r of kids) if (!children.has(r.urn)) leavesByType.set(r.type, [...(leavesByType.get(r.type) ?? []), r]);
        const grouped = new Set(mode === "grouped" ? [...leavesByType].filter(([, rs]) => rs.length >= TREE_GROUP_MIN).map(([t]) => t) : []);
        const indent = "  ".repeat(depth);
        for (const r of kids) {
            if (grouped.has(r.type) && !children.has(r.urn)) {
                const group = leavesByType.get(r.type)!;
                if (group[0] !== r) continue;
                const prot = group.filter((g) => g.protect).length;
                const mark = prot === 0 ? "" : prot === group.length ? "  [protected]" : `  [${prot} protected]`;
                lines.push(`${indent}${group.length} × ${commonNamePrefix(group.map((g) => g.name))}*  (${displayType(r.type)})${mark}`);
                continue;
            }
            lines.push(`${indent}${r.name}  (${displayType(r.type)})${r.protect ? "  [protected]" : ""}`);
            walk(r.urn, depth + 1);
        }
    };
    walk("", 0);
    return lines.join("\n");
}
