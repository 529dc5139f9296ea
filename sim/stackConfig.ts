/**
 * Reading `stacks/Pulumi.<env>.yaml` for simulations.
 *
 * @module
 */
import { readFileSync } from "fs";
import { isMap, LineCounter, parseDocument } from "yaml";
import { StackFileError, StackFileProblem } from "../config/errors";
import { sha256Hex } from "./ids";
import { isRecord } from "./values";

/** Stack configuration ready to pass to `simulate` (`config` and `secretConfigKeys` options). */
export interface StackConfig {
  /** Config values by full key, as parsed from YAML (objects stay objects). */
  config: Record<string, unknown>;
  /** Keys whose value was (or contained) a `secure:` value, sorted. */
  secretConfigKeys: string[];
}

/** Deterministic stand-in for an encrypted config value: `sim-secret-<16 hex>` from key and ciphertext. */
export function secretPlaceholder(key: string, ciphertext: string): string {
  return `sim-secret-${sha256Hex("secure-config", key, ciphertext).slice(0, 16)}`;
}

function isSecure(v: unknown): v is { secure: string } {
  return isRecord(v) && Object.keys(v).length === 1 && typeof v["secure"] === "string";
}

/** Replaces nested `{secure: …}` values; reports whether any was found. */
function replaceSecure(key: string, v: unknown, found: { any: boolean }): unknown {
  if (isSecure(v)) {
    found.any = true;
    return secretPlaceholder(key, v.secure);
  }
  if (Array.isArray(v)) return v.map((x) => replaceSecure(key, x, found));
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = replaceSecure(key, x, found);
    return out;
  }
  return v;
}

/**
 * Parses a Pulumi stack settings file (`config:` map). `secure:` values (top-level or nested in
 * structured config) become a deterministic placeholder string (see {@link secretPlaceholder}) and
 * their keys are listed in `secretConfigKeys`. Keys without a namespace get `project`'s, as Pulumi does.
 * Values stay as YAML typed them (`"true"` a string, `true` a boolean, `1.30` the number 1.3), as
 * Pulumi's reader keeps them; read the `ack-mesh:` keys with `namespaceConfig` (config/pulumiConfig.ts),
 * which applies what the engine does to them on the way to the program.
 *
 * @param file path of the YAML file
 * @param project project name used for keys without a namespace. @default "ack-mesh"
 * @throws StackFileError (config/errors.ts) naming `file:line:column` of every YAML error (syntax,
 *   duplicate key) or of a top level or `config` that is not a map
 */
export function readStackConfig(file: string, project = "ack-mesh"): StackConfig {
  const source = readFileSync(file, "utf8");
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  const at = (offset: number, code: string, message: string): StackFileProblem => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, code, message };
  };
  if (doc.errors.length) {
    throw new StackFileError(file, doc.errors.map((e) => at(e.pos[0], e.code, e.message)), source);
  }
  const top = doc.contents;
  if (top !== null && !isMap(top)) {
    throw new StackFileError(file, [at(top.range?.[0] ?? 0, "STACK_FILE", "expected a YAML map at the top level")], source);
  }
  const configNode = top?.get("config", true);
  if (configNode !== undefined && configNode !== null && !isMap(configNode) && !(isScalarNull(configNode))) {
    const offset = (configNode as { range?: [number, number, number] }).range?.[0] ?? 0;
    throw new StackFileError(file, [at(offset, "STACK_FILE", "'config' must be a map")], source);
  }
  const parsed: unknown = doc.toJS();
  const raw = isRecord(parsed) ? parsed["config"] : undefined;
  const config: Record<string, unknown> = {};
  const secretConfigKeys: string[] = [];
  for (const [k, v] of Object.entries(isRecord(raw) ? raw : {})) {
    const key = k.includes(":") ? k : `${project}:${k}`;
    const found = { any: false };
    config[key] = replaceSecure(key, v, found);
    if (found.any) secretConfigKeys.push(key);
  }
  return { config, secretConfigKeys: secretConfigKeys.sort() };
}

/** An empty `config:` (a null scalar) is an empty map, as before. */
function isScalarNull(node: unknown): boolean {
  return typeof node === "object" && node !== null && "value" in node && (node as { value: unknown }).value === null;
}
