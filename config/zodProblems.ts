/**
 * Turns zod issues into {@link ConfigProblem}s that say why and how to fix.
 */
import { z } from "zod";
import { ConfigProblem, formatPath } from "./errors";

type AnySchema = z.ZodType;

/** Unwraps optional/default/nullable/pipe wrappers (zod 4 internals, read-only use). */
function unwrap(schema: AnySchema): AnySchema {
    let s: any = schema;
    for (let i = 0; i < 10 && s; i++) {
        const def = s._zod?.def;
        if (!def) break;
        if (def.type === "optional" || def.type === "default" || def.type === "nullable" || def.type === "prefault") {
            s = def.innerType;
        } else if (def.type === "pipe") {
            s = def.in;
        } else {
            break;
        }
    }
    return s;
}

/** The schema found at `path` below `root`, or undefined. */
export function schemaAt(root: AnySchema, path: ReadonlyArray<PropertyKey>): AnySchema | undefined {
    let s: any = unwrap(root);
    for (const seg of path) {
        const def = s?._zod?.def;
        if (!def) return undefined;
        if (def.type === "object") {
            s = def.shape[String(seg)];
        } else if (def.type === "record") {
            s = def.valueType;
        } else if (def.type === "array") {
            s = def.element;
        } else {
            return undefined;
        }
        if (!s) return undefined;
        s = unwrap(s);
    }
    return s;
}

/** Keys an object schema accepts at `path`. */
export function allowedKeysAt(root: AnySchema, path: ReadonlyArray<PropertyKey>): string[] {
    const s: any = schemaAt(root, path);
    const def = s?._zod?.def;
    if (def?.type === "object") return Object.keys(def.shape);
    if (def?.type === "record") {
        const keyDef = def.keyType?._zod?.def;
        if (keyDef?.type === "enum") return Object.values(keyDef.entries).map(String);
    }
    return [];
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = tmp;
        }
    }
    return prev[b.length];
}

/** The closest allowed key, when close enough to be a likely typo. */
export function suggest(key: string, allowed: ReadonlyArray<string>): string | undefined {
    let best: string | undefined;
    let bestD = Infinity;
    for (const k of allowed) {
        const d = editDistance(key.toLowerCase(), k.toLowerCase());
        if (d < bestD) {
            bestD = d;
            best = k;
        }
    }
    return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function describeType(t: string): string {
    switch (t) {
        case "object":
            return "a mapping";
        case "array":
            return "a list";
        case "int":
            return "a whole number";
        case "record":
            return "a mapping";
        default:
            return `a ${t}`;
    }
}

/**
 * A number or boolean where a string belongs: YAML read an unquoted value (`istioVersion: 1.30`
 * is the number 1.3, `displayName: true` a boolean). The fix quotes it, with the schema's first
 * `examples` entry (zod `.meta`) when it has one, else the value as read.
 */
function quoteProblem(root: AnySchema, path: ReadonlyArray<PropertyKey>, input: number | boolean): ConfigProblem {
    const examples = (z.globalRegistry.get(schemaAt(root, path) as z.ZodType) as { examples?: unknown[] } | undefined)?.examples;
    const example = typeof examples?.[0] === "string" ? examples[0] : String(input);
    const key = [...path].reverse().find((s) => typeof s === "string") ?? formatPath(path);
    const fraction = typeof input === "number" && !Number.isInteger(input);
    return {
        path: formatPath(path),
        value: input,
        message: `must be a string, not a ${typeof input}${fraction ? ` (YAML read the unquoted number ${input}, dropping any trailing zeros)` : ""}`,
        fix: `quote the value you meant, e.g. ${String(key)}: ${JSON.stringify(example)}`,
    };
}

/** Converts one zod issue into problems. */
export function problemsFromIssue(root: AnySchema, issue: z.core.$ZodIssue & { input?: unknown }): ConfigProblem[] {
    const path = issue.path as PropertyKey[];
    const at = formatPath(path);
    const input = issue.input;
    switch (issue.code) {
        case "unrecognized_keys": {
            const allowed = allowedKeysAt(root, path);
            return issue.keys.map((key) => {
                const hint = suggest(key, allowed);
                const value = (input as Record<string, unknown> | undefined)?.[key];
                return {
                    path: formatPath([...path, key]),
                    value,
                    message: "unknown key",
                    fix: `${hint ? `did you mean "${hint}"? ` : ""}remove it or correct the spelling; allowed keys here: ${allowed.join(", ")}`,
                };
            });
        }
        case "invalid_type": {
            if (input === undefined) {
                return [{ path: at, message: `is required (${describeType(issue.expected)})`, fix: `add ${at}` }];
            }
            if (issue.expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
                return [quoteProblem(root, path, input)];
            }
            return [
                {
                    path: at,
                    value: input,
                    message: `must be ${describeType(issue.expected)}`,
                    fix: `set ${at} to ${describeType(issue.expected)}`,
                },
            ];
        }
        case "invalid_value":
            return [
                {
                    path: at,
                    value: input,
                    message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
                    fix: "use one of the listed values (case-sensitive)",
                },
            ];
        case "invalid_key": {
            const allowed = allowedKeysAt(root, path);
            return [
                {
                    path: at,
                    message: "has a key that is not allowed",
                    fix: allowed.length ? `use only these keys: ${allowed.join(", ")}` : "check the key names",
                },
            ];
        }
        case "too_small":
        case "too_big": {
            const small = issue.code === "too_small";
            const bound = Number(issue.code === "too_small" ? issue.minimum : issue.maximum);
            const inclusive = issue.inclusive !== false;
            const op = small ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
            const what =
                issue.origin === "array"
                    ? `must have ${op} ${bound} item${bound === 1 ? "" : "s"}`
                    : issue.origin === "string"
                      ? `must be ${op} ${bound} character${bound === 1 ? "" : "s"} long`
                      : `must be ${op} ${bound}`;
            const fix =
                issue.origin === "array"
                    ? `list ${op} ${bound} item${bound === 1 ? "" : "s"}`
                    : `use a value ${op} ${bound}${issue.origin === "string" ? " characters long" : ""}`;
            return [{ path: at, value: input, message: what, fix }];
        }
        case "invalid_format":
            if (issue.format === "regex" && issue.message.includes("DNS-1123")) {
                const s = typeof input === "string" ? input : "";
                const sanitized = s
                    .toLowerCase()
                    .replace(/[^a-z0-9-]+/g, "-")
                    .replace(/^-+|-+$/g, "");
                return [
                    {
                        path: at,
                        value: input,
                        message: "must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)",
                        fix: sanitized ? `use "${sanitized}"` : "use a name such as \"mesh1\"",
                    },
                ];
            }
            return [{ path: at, value: input, message: issue.message, fix: "correct the format" }];
        case "custom": {
            // A refinement may carry its own fix (e.g. the registry path check).
            const fix = (issue.params as { fix?: unknown } | undefined)?.fix;
            return [{ path: at, value: input, message: issue.message, fix: typeof fix === "string" ? fix : "correct the value" }];
        }
        default:
            return [{ path: at, value: input, message: issue.message, fix: "correct the value" }];
    }
}
