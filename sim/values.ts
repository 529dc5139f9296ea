/**
 * Value model of the simulated cloud: how recorded inputs/outputs represent secrets, unknowns and
 * resource references, and the conversion to/from the Pulumi gRPC wire format (`google.protobuf.Struct`
 * JSON with "special signature" objects).
 *
 * @module
 */

/** Key under which the Pulumi wire format stores the type signature of a special value. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** Signature of a secret value: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** Signature of a resource reference: `{ [SIG_KEY]: RESOURCE_SIG, urn, id?, packageVersion? }`. */
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
/** Signature of an output value (only sent when the monitor supports `outputValues`, which the sim does not). */
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** The string the SDK sends for a computed (unknown) value. */
export const UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Marks a secret value in recorded inputs, outputs and stack outputs. Secrets are recorded where they
 * occur (nested inside objects/arrays when the program nested them).
 *
 * `JSON.stringify` renders a `Secret` as `"[secret]"` so that plans never leak secret material by
 * accident; use {@link unwrapSecrets} to get at the value.
 */
export class Secret {
  /** @param value the plain (unwrapped) value; may itself contain {@link UNKNOWN}. */
  constructor(readonly value: unknown) {}
  /** Renders as `"[secret]"` in JSON. */
  toJSON(): string {
    return "[secret]";
  }
}

/** Class of the {@link UNKNOWN} marker. There is exactly one instance. */
export class Unknown {
  /** Renders as `"[unknown]"` in JSON. */
  toJSON(): string {
    return "[unknown]";
  }
  /** Renders as `"[unknown]"` in template strings. */
  toString(): string {
    return "[unknown]";
  }
}

/**
 * Marks a computed value that was not known when the program ran (only happens when the program itself
 * produces unknowns, e.g. `pulumi.unknown`, or during a preview of values derived from such).
 */
export const UNKNOWN: Unknown = Object.freeze(new Unknown());

/**
 * A resource reference as sent by the SDK when a `Resource` object is passed as an input value
 * (e.g. a `Provider` inside an args bag).
 */
export class ResourceRef {
  /**
   * @param urn URN of the referenced resource.
   * @param id ID of the referenced custom resource; `undefined` for components.
   * @param packageVersion package version sent by the SDK, if any.
   */
  constructor(
    readonly urn: string,
    readonly id?: string,
    readonly packageVersion?: string,
  ) {}
  /** Renders as the ID (custom resources) or URN (components) in JSON. */
  toJSON(): string {
    return this.id ?? this.urn;
  }
}

/** A plain record with string keys. */
export type Rec = Record<string, unknown>;

function isPlainObject(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** True when `v` is a non-null, non-array plain object (not a `Secret`, `ResourceRef`, ...). */
export function isRecord(v: unknown): v is Rec {
  return isPlainObject(v);
}

/**
 * Converts a wire value (the JSON form of a `google.protobuf.Struct` field as produced by the SDK's
 * `serializeProperties`) into the recorded form: secrets become {@link Secret}, the unknown sentinel
 * becomes {@link UNKNOWN}, resource references become {@link ResourceRef}. Assets/archives are kept as
 * their wire objects.
 */
export function fromWire(v: unknown): unknown {
  if (v === UNKNOWN_WIRE) return UNKNOWN;
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(fromWire);
  const o = v as Rec;
  const sig = o[SIG_KEY];
  if (sig === SECRET_SIG) return new Secret(fromWire(o["value"]));
  if (sig === RESOURCE_SIG) {
    const id = o["id"];
    return new ResourceRef(
      String(o["urn"]),
      id === undefined || id === UNKNOWN_WIRE ? undefined : String(id),
      o["packageVersion"] === undefined || o["packageVersion"] === "" ? undefined : String(o["packageVersion"]),
    );
  }
  if (sig === OUTPUT_VALUE_SIG) {
    const inner = "value" in o ? fromWire(o["value"]) : UNKNOWN;
    return o["secret"] === true ? new Secret(inner) : inner;
  }
  const out: Rec = {};
  for (const k of Object.keys(o)) out[k] = fromWire(o[k]);
  return out;
}

/**
 * Converts a recorded value back to the wire form understood by the SDK: {@link Secret} becomes the
 * secret signature object (so the SDK marks the output secret), {@link UNKNOWN} becomes the unknown
 * sentinel, {@link ResourceRef} a resource reference. `undefined` object members are dropped and
 * `undefined` array elements become `null` (Struct cannot carry `undefined`).
 */
export function toWire(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Unknown) return UNKNOWN_WIRE;
  if (v instanceof Secret) return { [SIG_KEY]: SECRET_SIG, value: toWire(v.value) };
  if (v instanceof ResourceRef) {
    const ref: Rec = { [SIG_KEY]: RESOURCE_SIG, urn: v.urn };
    if (v.id !== undefined) ref["id"] = v.id;
    if (v.packageVersion !== undefined) ref["packageVersion"] = v.packageVersion;
    return ref;
  }
  if (v === null || typeof v !== "object") {
    if (typeof v === "number" && !Number.isFinite(v)) return null;
    if (typeof v === "bigint") return Number(v);
    return v;
  }
  if (Array.isArray(v)) return v.map(toWire);
  const out: Rec = {};
  for (const [k, val] of Object.entries(v as Rec)) {
    if (val === undefined) continue;
    out[k] = toWire(val);
  }
  return out;
}

/** Converts a recorded top-level property bag to wire form (see {@link toWire}). */
export function recordToWire(r: Rec): Rec {
  return toWire(r) as Rec;
}

/**
 * Deep copy of `value` that replaces every {@link Secret} with the string `"[secret]"` and
 * {@link UNKNOWN} with `"[unknown]"`; {@link ResourceRef}s become their ID (or URN). Use it to print
 * recorded values or to compare them structurally without secret material.
 */
export function redact(value: unknown): unknown {
  if (value instanceof Secret) return "[secret]";
  if (value instanceof Unknown) return "[unknown]";
  if (value instanceof ResourceRef) return value.id ?? value.urn;
  if (Array.isArray(value)) return value.map(redact);
  if (isPlainObject(value)) {
    const out: Rec = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v);
    return out;
  }
  return value;
}

/**
 * Deep copy of `value` that replaces every {@link Secret} with its (recursively unwrapped) value.
 * {@link UNKNOWN} and {@link ResourceRef} are kept as they are.
 */
export function unwrapSecrets(value: unknown): unknown {
  if (value instanceof Secret) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (isPlainObject(value)) {
    const out: Rec = {};
    for (const [k, v] of Object.entries(value)) out[k] = unwrapSecrets(v);
    return out;
  }
  return value;
}

/**
 * True when the value at `path` inside `obj` is secret, i.e. a {@link Secret} wraps that value or any
 * of its containers on the way down. An empty path asks about `obj` itself. Returns `false` when the
 * path does not exist.
 *
 * @example isSecretAt(res.outputs, ["data", "token"]) // true for a Secret's data
 */
export function isSecretAt(obj: unknown, path: readonly (string | number)[]): boolean {
  let cur: unknown = obj;
  let secret = false;
  for (let i = 0; ; i++) {
    while (cur instanceof Secret) {
      secret = true;
      cur = cur.value;
    }
    if (i === path.length) return secret;
    const key = path[i];
    if (Array.isArray(cur) && typeof key === "number") cur = cur[key];
    else if (isPlainObject(cur) && typeof key === "string" && Object.prototype.hasOwnProperty.call(cur, key)) cur = cur[key];
    else return false;
    if (cur === undefined) return false;
  }
}

/** True when `value` contains a {@link Secret} anywhere. */
export function containsSecret(value: unknown): boolean {
  if (value instanceof Secret) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (isPlainObject(value)) return Object.values(value).some(containsSecret);
  return false;
}

/** True when `value` contains {@link UNKNOWN} anywhere (looking through secrets). */
export function containsUnknown(value: unknown): boolean {
  if (value instanceof Unknown) return true;
  if (value instanceof Secret) return containsUnknown(value.value);
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isPlainObject(value)) return Object.values(value).some(containsUnknown);
  return false;
}

/**
 * The plain value of `v` for computations inside the simulated cloud: secrets unwrapped, a
 * {@link ResourceRef} replaced by its ID (or URN). {@link UNKNOWN} stays.
 */
export function plain(v: unknown): unknown {
  if (v instanceof Secret) return plain(v.value);
  if (v instanceof ResourceRef) return v.id ?? v.urn;
  if (Array.isArray(v)) return v.map(plain);
  if (isPlainObject(v)) {
    const out: Rec = {};
    for (const [k, val] of Object.entries(v)) out[k] = plain(val);
    return out;
  }
  return v;
}

/** `plain(v)` if it is a string, else `undefined` (also for unknowns). */
export function str(v: unknown): string | undefined {
  const p = plain(v);
  return typeof p === "string" ? p : undefined;
}

/** `plain(v)` as a number (numeric strings are parsed), else `undefined`. */
export function num(v: unknown): number | undefined {
  const p = plain(v);
  if (typeof p === "number") return p;
  if (typeof p === "string" && p.trim() !== "" && Number.isFinite(Number(p))) return Number(p);
  return undefined;
}

/** `plain(v)` as a boolean (`"true"`/`"false"` strings accepted), else `undefined`. */
export function bool(v: unknown): boolean | undefined {
  const p = plain(v);
  if (typeof p === "boolean") return p;
  if (p === "true") return true;
  if (p === "false") return false;
  return undefined;
}

/** `plain(v)` as a record, else `undefined`. */
export function rec(v: unknown): Rec | undefined {
  const p = plain(v);
  return isPlainObject(p) ? p : undefined;
}

/** `plain(v)` as an array, else `undefined`. */
export function arr(v: unknown): unknown[] | undefined {
  const p = plain(v);
  return Array.isArray(p) ? p : undefined;
}

/** True when the (top-level) value is wrapped in a {@link Secret}. */
export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}

/** Wraps `v` in a {@link Secret} unless it already is one (or is `undefined`). */
export function asSecret(v: unknown): unknown {
  if (v === undefined || v instanceof Secret) return v;
  return new Secret(v);
}
