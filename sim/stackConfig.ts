/**
 * Reading `stacks/Pulumi.<env>.yaml` for simulations.
 *
 * @module
 */
import { readFileSync } from "fs";
import { parse as yamlParse } from "yaml";
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
 *
 * @param file path of the YAML file
 * @param project project name used for keys without a namespace. @default "ack-mesh"
 * @throws Error when the file is not YAML or `config` is not a map
 */
export function readStackConfig(file: string, project = "ack-mesh"): StackConfig {
  const doc: unknown = yamlParse(readFileSync(file, "utf8"));
  if (doc !== null && doc !== undefined && !isRecord(doc)) throw new Error(`${file}: expected a YAML map at the top level`);
  const raw = isRecord(doc) ? doc["config"] : undefined;
  if (raw !== undefined && raw !== null && !isRecord(raw)) throw new Error(`${file}: 'config' must be a map`);
  const config: Record<string, unknown> = {};
  const secretConfigKeys: string[] = [];
  for (const [k, v] of Object.entries(raw ?? {})) {
    const key = k.includes(":") ? k : `${project}:${k}`;
    const found = { any: false };
    config[key] = replaceSecure(key, v, found);
    if (found.any) secretConfigKeys.push(key);
  }
  return { config, secretConfigKeys: secretConfigKeys.sort() };
}
