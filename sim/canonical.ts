/**
 * The **canonical plan**: a deterministic, secret-free JSON document of everything a simulation would
 * register, used to compare two versions of a program (`npm run plan -- <stack> --json` on the base
 * branch and on a PR, then `--diff`).
 *
 * Guarantees:
 * - **Deterministic**: resources are sorted by URN (then operation), object keys are sorted
 *   recursively, dependency lists are sorted and de-duplicated, nothing random or time-based is
 *   included (no cloud IDs, no provider references with IDs, no outputs). Two simulations of the same
 *   program and config give byte-identical {@link stableStringify} output.
 * - **No secret material**: every {@link Secret} becomes the string `"[secret]"`, wherever it is
 *   nested. A consequence: a change of a secret value is invisible to a diff of two plans.
 * - **Inputs, not outputs**: a plan describes what the program asks for. `[unknown]` marks a value
 *   the program itself left unknown.
 *
 * Shape (version 1):
 * ```json
 * { "project": "ack-mesh", "stack": "dev", "version": 1,
 *   "resources": [ { "urn", "type", "name", "custom", "operation", "parent"?, "provider"?,
 *                    "dependencies", "propertyDependencies", "options", "inputs" } ] }
 * ```
 *
 * @module
 */
import type { RecordedResource, SimulationResult } from "./record";
import { ResourceRef, Secret, Unknown, isRecord } from "./values";

/** Version of the canonical plan format. Bumped on any incompatible change. */
export const CANONICAL_PLAN_VERSION = 1;

/** What a {@link Secret} becomes in a canonical plan. */
export const REDACTED = "[secret]";

/** What {@link UNKNOWN} becomes in a canonical plan. */
export const UNKNOWN_VALUE = "[unknown]";

/** Header facts of a plan that the simulation does not know by itself. */
export interface CanonicalPlanMeta {
  /** Stack name, e.g. `dev`. */
  stack: string;
  /** Pulumi project name, e.g. `ack-mesh`. */
  project: string;
}

/** The resource options that matter to a reviewer, normalised. */
export interface CanonicalOptions {
  /** `protect`: Pulumi refuses to delete or replace the resource. */
  protect: boolean;
  /** `deleteBeforeReplace`: a replacement deletes the old object before creating the new one. */
  deleteBeforeReplace: boolean;
  /** `ignoreChanges` property paths, sorted. */
  ignoreChanges: string[];
  /** `additionalSecretOutputs`, sorted. */
  additionalSecretOutputs: string[];
  /** `retainOnDelete`: a delete only forgets the resource; the cloud object stays. */
  retainOnDelete: boolean;
  /** `replaceOnChanges` property paths, sorted (`*` = any change replaces). */
  replaceOnChanges: string[];
  /** `deletedWith`: URN of the resource whose deletion deletes this one, if any. */
  deletedWith?: string;
}

/** One registration (or read) in a canonical plan. */
export interface CanonicalResource {
  /** URN (identity of the resource across plans). */
  urn: string;
  /** Type token, e.g. `alicloud:vpc/network:Network`. */
  type: string;
  /** Resource name as given to the constructor. */
  name: string;
  /** False for component resources and the stack root. */
  custom: boolean;
  /** `register` (`new X(...)`) or `read` (`X.get(...)`: creates nothing). */
  operation: "register" | "read";
  /** Parent URN; absent for the stack root. */
  parent?: string;
  /** URN of the explicit provider; absent when the default provider is used (and for components). */
  provider?: string;
  /**
   * Everything the resource waits for: the union of the request's `dependencies` and all
   * `propertyDependencies`, sorted and de-duplicated. The provider is NOT included (see
   * {@link CanonicalResource.provider}).
   */
  dependencies: string[];
  /** Per input property, the URNs its value came from (only non-empty entries, sorted). */
  propertyDependencies: Record<string, string[]>;
  /** Normalised resource options. */
  options: CanonicalOptions;
  /** Inputs: secrets `"[secret]"`, unknowns `"[unknown]"`, resource references their URN; keys sorted. */
  inputs: Record<string, unknown>;
}

/** A canonical plan (see the module documentation). */
export interface CanonicalPlan {
  /** Pulumi project. */
  project: string;
  /** Stack name. */
  stack: string;
  /** Format version, {@link CANONICAL_PLAN_VERSION}. */
  version: number;
  /** Every registration and read, sorted by URN, then operation. */
  resources: CanonicalResource[];
}

/** A canonical plan file that cannot be used (bad JSON, wrong version, wrong shape). */
export class PlanFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanFormatError";
  }
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedUnique(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort(byString);
}

/**
 * The canonical form of a recorded value: {@link Secret} → `"[secret]"`, {@link UNKNOWN} →
 * `"[unknown]"`, {@link ResourceRef} → its URN (never its ID, which for providers is random-shaped),
 * `undefined` object members dropped, `undefined` array elements and non-finite numbers → `null`,
 * object keys sorted.
 */
export function canonicalValue(value: unknown): unknown {
  if (value instanceof Secret) return REDACTED;
  if (value instanceof Unknown) return UNKNOWN_VALUE;
  if (value instanceof ResourceRef) return value.urn;
  if (value === undefined) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort(byString)) {
      if (value[k] === undefined) continue;
      out[k] = canonicalValue(value[k]);
    }
    return out;
  }
  return value;
}

/** Builds the canonical form of one recorded resource. */
export function canonicalResource(r: RecordedResource): CanonicalResource {
  const propertyDependencies: Record<string, string[]> = {};
  for (const k of Object.keys(r.propertyDependencies).sort(byString)) {
    const deps = sortedUnique(r.propertyDependencies[k]);
    if (deps.length) propertyDependencies[k] = deps;
  }
  const options: CanonicalOptions = {
    protect: r.protect,
    deleteBeforeReplace: r.deleteBeforeReplace,
    ignoreChanges: sortedUnique(r.ignoreChanges),
    additionalSecretOutputs: sortedUnique(r.additionalSecretOutputs),
    retainOnDelete: r.retainOnDelete,
    replaceOnChanges: sortedUnique(r.replaceOnChanges),
    ...(r.deletedWith ? { deletedWith: r.deletedWith } : {}),
  };
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    operation: r.operation,
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.providerUrn ? { provider: r.providerUrn } : {}),
    dependencies: sortedUnique([...r.dependencies, ...Object.values(propertyDependencies).flat()]),
    propertyDependencies,
    options,
    inputs: canonicalValue(r.inputs) as Record<string, unknown>,
  };
}

/** Total order of canonical resources: URN, then `register` before `read`. */
export function compareResources(a: Pick<CanonicalResource, "urn" | "operation">, b: Pick<CanonicalResource, "urn" | "operation">): number {
  return byString(a.urn, b.urn) || byString(a.operation, b.operation);
}

/**
 * The canonical plan of a simulation: every registration and every read (see the module
 * documentation for the guarantees).
 *
 * @example
 * ```ts
 * const result = await simulate(runAckMesh, { stack: "dev", config });
 * fs.writeFileSync("plan.json", stableStringify(canonicalPlan(result, { stack: "dev", project: "ack-mesh" })) + "\n");
 * ```
 */
export function canonicalPlan(result: Pick<SimulationResult, "resources" | "reads">, meta: CanonicalPlanMeta): CanonicalPlan {
  const resources = [...result.resources, ...result.reads].map(canonicalResource).sort(compareResources);
  return { project: meta.project, stack: meta.stack, version: CANONICAL_PLAN_VERSION, resources };
}

/** Defaults for {@link makeCanonicalResource}. */
export const DEFAULT_OPTIONS: Readonly<CanonicalOptions> = Object.freeze({
  protect: false,
  deleteBeforeReplace: false,
  ignoreChanges: [],
  additionalSecretOutputs: [],
  retainOnDelete: false,
  replaceOnChanges: [],
});

/**
 * Builds a canonical resource from the fields that matter, filling the rest with defaults
 * (a custom `register` resource, no dependencies, default options, no inputs). For hand-made plans
 * in tests, fuzzers and benchmarks. Values are canonicalised (keys sorted, secrets redacted).
 *
 * @example makeCanonicalResource({ urn: "urn:pulumi:dev::p::t::a", type: "t", name: "a", inputs: { x: 1 } })
 */
export function makeCanonicalResource(
  r: Pick<CanonicalResource, "urn" | "type" | "name"> & Partial<Omit<CanonicalResource, "options">> & { options?: Partial<CanonicalOptions> },
): CanonicalResource {
  const propertyDependencies: Record<string, string[]> = {};
  for (const k of Object.keys(r.propertyDependencies ?? {}).sort(byString)) {
    const deps = sortedUnique(r.propertyDependencies![k]);
    if (deps.length) propertyDependencies[k] = deps;
  }
  const o = { ...DEFAULT_OPTIONS, ...(r.options ?? {}) };
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom ?? true,
    operation: r.operation ?? "register",
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.provider ? { provider: r.provider } : {}),
    dependencies: sortedUnique([...(r.dependencies ?? []), ...Object.values(propertyDependencies).flat()]),
    propertyDependencies,
    options: {
      protect: o.protect,
      deleteBeforeReplace: o.deleteBeforeReplace,
      ignoreChanges: sortedUnique(o.ignoreChanges),
      additionalSecretOutputs: sortedUnique(o.additionalSecretOutputs),
      retainOnDelete: o.retainOnDelete,
      replaceOnChanges: sortedUnique(o.replaceOnChanges),
      ...(o.deletedWith ? { deletedWith: o.deletedWith } : {}),
    },
    inputs: canonicalValue(r.inputs ?? {}) as Record<string, unknown>,
  };
}

/** Builds a canonical plan from resources (sorted for you). */
export function makeCanonicalPlan(meta: CanonicalPlanMeta, resources: CanonicalResource[]): CanonicalPlan {
  return { project: meta.project, stack: meta.stack, version: CANONICAL_PLAN_VERSION, resources: [...resources].sort(compareResources) };
}

/** Recursively sorts object keys (after applying `toJSON`, as `JSON.stringify` would). */
function sortKeys(value: unknown, seen: Set<object>): unknown {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return sortKeys((value as { toJSON(): unknown }).toJSON(), seen);
  }
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) throw new TypeError("stableStringify: circular structure");
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => (v === undefined || typeof v === "function" || typeof v === "symbol" ? null : sortKeys(v, seen)));
  } else {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort(byString)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      o[k] = sortKeys(v, seen);
    }
    out = o;
  }
  seen.delete(value);
  return out;
}

/**
 * `JSON.stringify` with object keys sorted recursively (arrays keep their order), so equal values
 * always give identical text. Values with `toJSON` (a {@link Secret} → `"[secret]"`, dates) are
 * converted first. Throws on circular structures.
 *
 * @param indent spaces per level. @default 2
 */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value, new Set()), null, indent);
}

function fail(source: string, message: string): never {
  throw new PlanFormatError(`${source}: ${message}`);
}

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/**
 * Parses and checks a canonical plan (the output of `npm run plan -- <stack> --json <file>`).
 * Missing optional fields of resources (`custom`, `operation`, `dependencies`,
 * `propertyDependencies`, `options`, `inputs`) get their defaults, so hand-written plans stay short.
 *
 * @param source name of the file, for messages.
 * @throws PlanFormatError naming the file and the first problem.
 */
export function parseCanonicalPlan(text: string, source = "plan"): CanonicalPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(source, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isRecord(doc)) fail(source, "not a canonical plan (expected a JSON object)");
  if (doc["version"] !== CANONICAL_PLAN_VERSION) {
    fail(source, `canonical plan version ${JSON.stringify(doc["version"])} is not supported (expected ${CANONICAL_PLAN_VERSION}); regenerate it with this version of npm run plan`);
  }
  if (typeof doc["stack"] !== "string" || typeof doc["project"] !== "string") fail(source, "the header needs string fields stack and project");
  if (!Array.isArray(doc["resources"])) fail(source, "resources must be an array");
  const resources = doc["resources"].map((r, i): CanonicalResource => {
    if (!isRecord(r) || typeof r["urn"] !== "string" || typeof r["type"] !== "string" || typeof r["name"] !== "string") {
      fail(source, `resources[${i}] needs string fields urn, type and name`);
    }
    for (const k of ["dependencies"] as const) if (r[k] !== undefined && !stringArray(r[k])) fail(source, `resources[${i}].${k} must be an array of URNs`);
    if (r["propertyDependencies"] !== undefined && (!isRecord(r["propertyDependencies"]) || !Object.values(r["propertyDependencies"]).every(stringArray))) {
      fail(source, `resources[${i}].propertyDependencies must map property names to arrays of URNs`);
    }
    if (r["inputs"] !== undefined && !isRecord(r["inputs"])) fail(source, `resources[${i}].inputs must be an object`);
    if (r["options"] !== undefined && !isRecord(r["options"])) fail(source, `resources[${i}].options must be an object`);
    if (r["operation"] !== undefined && r["operation"] !== "register" && r["operation"] !== "read") fail(source, `resources[${i}].operation must be "register" or "read"`);
    return makeCanonicalResource(r as Parameters<typeof makeCanonicalResource>[0]);
  });
  const seen = new Set<string>();
  for (const r of resources) {
    const key = `${r.operation} ${r.urn}`;
    if (seen.has(key)) fail(source, `resource ${r.urn} appears twice`);
    seen.add(key);
  }
  return makeCanonicalPlan({ stack: doc["stack"], project: doc["project"] }, resources);
}
