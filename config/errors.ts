/**
 * Configuration errors: every problem names the config path, quotes the bad
 * value, says why it is wrong and how to fix it. Problems are collected and
 * reported together, before any resource exists.
 */

/** One problem found in the stack configuration. */
export interface ConfigProblem {
    /** Dotted config path, e.g. `clusters.beijing.cidrs.pod`. */
    readonly path: string;
    /** The offending value, quoted in the message (omitted when the key is missing). */
    readonly value?: unknown;
    /** Why the value is wrong. */
    readonly message: string;
    /** What to do about it. */
    readonly fix: string;
}

/** Renders a path array as `clusters.beijing.zones[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
    let out = "";
    for (const seg of path) {
        if (typeof seg === "number") {
            out += `[${seg}]`;
        } else {
            const s = String(seg);
            out += out === "" ? s : `.${s}`;
        }
    }
    return out === "" ? "(root)" : out;
}

/** Quotes a value for an error message: JSON, truncated to stay readable. */
export function quote(value: unknown): string {
    let s: string;
    try {
        s = JSON.stringify(value) ?? String(value);
    } catch {
        s = String(value);
    }
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Renders one problem as a single line. */
export function formatProblem(p: ConfigProblem): string {
    const got = "value" in p && p.value !== undefined ? ` (got ${quote(p.value)})` : "";
    return `${p.path}: ${p.message}${got}. Fix: ${p.fix}`;
}

/**
 * Thrown when the stack configuration is invalid. `problems` holds every
 * problem found, sorted by path; `message` lists them one per line.
 */
export class ConfigError extends Error {
    /** Stable discriminator, survives module duplication (instanceof may not). */
    public readonly isConfigError = true;
    public readonly problems: ReadonlyArray<ConfigProblem>;

    constructor(problems: ReadonlyArray<ConfigProblem>, heading = "Invalid ack-mesh configuration") {
        // Several checks may find the same problem (e.g. the config and the planner): report it once.
        const seen = new Set<string>();
        const unique = problems.filter((p) => {
            const key = formatProblem(p);
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
        });
        const sorted = unique.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        const n = sorted.length;
        super(`${heading} (${n} problem${n === 1 ? "" : "s"}):\n${sorted.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
        this.name = "ConfigError";
        this.problems = sorted;
    }

    /** True for a ConfigError, even one from another copy of this module. */
    static is(e: unknown): e is ConfigError {
        return typeof e === "object" && e !== null && (e as { isConfigError?: unknown }).isConfigError === true;
    }
}

/** Collects problems and throws them together. */
export class ProblemCollector {
    private readonly items: ConfigProblem[] = [];

    add(path: string, message: string, fix: string, value?: unknown): void {
        this.items.push(value === undefined ? { path, message, fix } : { path, value, message, fix });
    }

    addAll(problems: ReadonlyArray<ConfigProblem>): void {
        this.items.push(...problems);
    }

    get problems(): ReadonlyArray<ConfigProblem> {
        return this.items;
    }

    get empty(): boolean {
        return this.items.length === 0;
    }

    /** Throws a {@link ConfigError} when any problem was collected. */
    throwIfAny(heading?: string): void {
        if (this.items.length > 0) {
            throw new ConfigError(this.items, heading);
        }
    }
}
