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

/** One problem of a stack file that is not valid YAML (or not a stack file's shape). Lines and columns count from 1. */
export interface StackFileProblem {
    readonly line: number;
    readonly column: number;
    /** The YAML parser's error code (`DUPLICATE_KEY`, `TAB_AS_INDENT`, …), or `STACK_FILE` for a wrong shape. */
    readonly code: string;
    /** The parser's message, without its position. */
    readonly message: string;
}

/**
 * Thrown when a stack file (`stacks/Pulumi.<env>.yaml`) cannot be read as a stack file: a YAML
 * syntax error, a duplicate key (Pulumi's YAML reader, gopkg.in/yaml.v3, refuses those too), or a
 * top level or `config:` that is not a map. The message has one `file:line:column: error` line per
 * problem, each followed by the source line and a caret. The offline plan maps it to exit
 * status 2, like a {@link ConfigError}: the stack configuration is invalid.
 */
export class StackFileError extends Error {
    /** Stable discriminator, survives module duplication (instanceof may not). */
    public readonly isStackFileError = true;

    /**
     * @param file the stack file, as given to the reader.
     * @param problems every problem found, in file order.
     * @param source the file's text, for the quoted lines.
     */
    constructor(
        public readonly file: string,
        public readonly problems: ReadonlyArray<StackFileProblem>,
        source: string,
    ) {
        const lines = source.split(/\r?\n/);
        super(
            problems
                .map((p) => [`${file}:${p.line}:${p.column}: ${p.message}`, lines[p.line - 1] ?? "", `${" ".repeat(Math.max(0, p.column - 1))}^`].join("\n"))
                .join("\n"),
        );
        this.name = "StackFileError";
    }

    /** True for a StackFileError, even one from another copy of this module. */
    static is(e: unknown): e is StackFileError {
        return typeof e === "object" && e !== null && (e as { isStackFileError?: unknown }).isStackFileError === true;
    }
}
