/**
 * How the policies read resource properties: unknown-safe reads, and the secret-ness of inputs.
 *
 * **Unknowns.** In a preview, a property computed from another resource's outputs is unknown. The
 * policy SDK wraps `props` in a proxy that throws `UnknownValueError` when such a property is read,
 * and turns that throw into an advisory "can't run policy during preview" message. The policies read
 * through {@link read} instead, which maps unknowns to {@link UNKNOWN}; a rule that needs an unknown
 * value skips the check rather than guess (no false violations in previews; the same rule runs again
 * with known values during `pulumi up`).
 *
 * **Secrets.** What @pulumi/policy 1.21.0 lets a policy see (read from its `server.js`,
 * `deserialize.js`, `secret.js`):
 * - `validateResource` and `validateStack` get every secret *unwrapped*: the engine sends secrets
 *   (`KeepSecrets: true`), but the SDK deserializes with `proxySecrets = false`, so a secret and a
 *   plaintext value look the same (pulumi/pulumi-policy#241, open). There is no `isSecret` helper.
 * - `remediateResource` gets the properties deserialized with `proxySecrets = true`: each secret is a
 *   `Secret` (the class exported by `@pulumi/policy`) stored in the property bag, behind a proxy that
 *   unwraps it on read. The proxies define no `getOwnPropertyDescriptor` trap, so
 *   {@link rawProperty} (a property descriptor read) returns the stored value with its `Secret`
 *   markers intact. Returning a value wrapped in `new Secret(...)` from a remediation makes the engine
 *   treat it as a secret (documented on `Secret`).
 * - The engine runs, for each resource, the remediation pass of every policy and then the analysis
 *   pass (`step_generator.go`), in the one policy-pack process. {@link SecretnessLedger} carries what a
 *   remediation saw to the same policy's `validateResource`, which reports it as a violation.
 *
 * @module
 */
import { Secret, UnknownValueError } from "@pulumi/policy";

/** Stands for a value that is not known yet (a preview of a value computed from other resources). */
export const UNKNOWN: unique symbol = Symbol("unknown");
/** The type of {@link UNKNOWN}. */
export type Unknown = typeof UNKNOWN;

/**
 * The unknown sentinels of the Pulumi wire protocol, one per value type (`@pulumi/policy` `proxy.js`;
 * the string one is also `UNKNOWN_WIRE` of the simulated cloud). Raw property values (read with
 * {@link rawProperty}, or handed to tests as plain objects) carry these instead of throwing.
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** Whether `v` is one of the wire protocol's unknown sentinels. */
export function isUnknownSentinel(v: unknown): boolean {
    return typeof v === "string" && UNKNOWN_SENTINELS.has(v);
}

/** Whether `e` is the SDK's "this value is unknown during preview" error. */
export function isUnknownValueError(e: unknown): boolean {
    return e instanceof UnknownValueError || (e instanceof Error && e.constructor.name === "UnknownValueError");
}

/**
 * Reads a property through the SDK's unknown-checking proxy: `read(() => props.cidrIp)`. Returns
 * {@link UNKNOWN} when the value (or anything on the way to it) is unknown.
 */
export function read<T>(get: () => T): T | Unknown {
    try {
        const v = get();
        return isUnknownSentinel(v) ? UNKNOWN : v;
    } catch (e) {
        if (isUnknownValueError(e)) return UNKNOWN;
        throw e;
    }
}

/** {@link read} narrowed to strings: a known string, `undefined` when absent (or not a string), or {@link UNKNOWN}. */
export function readString(get: () => unknown): string | undefined | Unknown {
    const v = read(get);
    if (v === UNKNOWN) return UNKNOWN;
    return typeof v === "string" ? v : undefined;
}

/**
 * The value of `props[key]` as stored by the SDK, bypassing its proxies (see the module notes): in a
 * remediation, secrets at any depth are `Secret` instances; unknowns are wire sentinels. Plain
 * objects pass through unchanged, so tests may hand plain property bags.
 */
export function rawProperty(props: object, key: string): unknown {
    return Object.getOwnPropertyDescriptor(props, key)?.value;
}

/** Whether a raw value is a secret marker (the SDK's `Secret`). */
export function isSecretValue(v: unknown): v is Secret {
    return v instanceof Secret;
}

/**
 * The paths of the plaintext leaves of a raw value: strings, numbers and booleans not under a
 * `Secret`. `""` stands for the value itself. Unknowns, `null` and `undefined` are neither secret
 * nor plaintext and are not listed.
 */
export function plaintextPaths(raw: unknown, path = ""): string[] {
    if (raw === null || raw === undefined || isSecretValue(raw) || isUnknownSentinel(raw)) return [];
    if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") return [path];
    if (Array.isArray(raw)) return raw.flatMap((v, i) => plaintextPaths(v, `${path}[${i}]`));
    if (typeof raw === "object") {
        return Object.keys(raw).flatMap((k) => plaintextPaths((raw as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`));
    }
    return [];
}

/** Returns `raw` with every plaintext leaf wrapped in a `Secret` (for the fixing remediations). */
export function wrapPlaintext(raw: unknown): unknown {
    if (raw === null || raw === undefined || isSecretValue(raw) || isUnknownSentinel(raw)) return raw;
    if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") return new Secret(raw);
    if (Array.isArray(raw)) return raw.map(wrapPlaintext);
    if (typeof raw === "object") {
        return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, wrapPlaintext(v)]));
    }
    return raw;
}

/**
 * What a policy's remediation found about one resource, kept until the same policy's validation of
 * that resource takes it. One ledger per policy object.
 */
export class SecretnessLedger {
    private readonly findings = new Map<string, string[]>();

    /** Records the plaintext paths the remediation saw on `urn` (empty: all secret, or fixed). */
    record(urn: string, plaintext: string[]): void {
        this.findings.set(urn, plaintext);
    }

    /** Takes (and forgets) the finding for `urn`; `undefined` when no remediation ran for it. */
    take(urn: string): string[] | undefined {
        const found = this.findings.get(urn);
        this.findings.delete(urn);
        return found;
    }
}
