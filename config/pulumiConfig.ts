/**
 * Reading the `ack-mesh:` namespace of Pulumi config, with Pulumi's own semantics, for both the
 * program (`pulumi.runtime.allConfig()`) and the offline plan (a stack file read by
 * `readStackConfig`). Pure: the caller passes the config map in.
 *
 * **How Pulumi stores config** (pulumi/pulumi, `sdk/go/common/resource/config/` and
 * `pkg/cmd/pulumi/config/config.go`):
 * - `pulumi config set ack-mesh:protect true` stores the value as given, a **string**
 *   (`Map.Set` with `path == false`), written to the stack file as `ack-mesh:protect: "true"`.
 * - `pulumi config set --type bool|int|float|string …` stores a typed value (`NewTypedValue`):
 *   `ack-mesh:protect: true`.
 * - `pulumi config set --path ack-mesh:cen.bandwidthMbps 200` edits the object and **coerces**
 *   the new leaf (`Value.coerceObject` → `coerce`): `"true"`/`"false"` become booleans, base-10
 *   digits not starting with `0` become integers, anything else stays a string
 *   (`--path ack-mesh:mesh.istioVersion 1.30` stores the string `"1.30"`).
 * - Any YAML value in the stack file is read as such (`object.UnmarshalYAML` → `unmarshalObject`):
 *   a YAML number stays a number (so an unquoted `1.30` is the float 1.3).
 *
 * **How the engine passes it** (`Map.Decrypt` → `Value.Value` → `Plaintext.marshalText`, then
 * `constructConfig` of `sdk/nodejs/cmd/pulumi-language-nodejs/main.go` into `PULUMI_CONFIG`):
 * every value reaches the program as a **string**: a string as it is, any other value (boolean,
 * number, null, map, list) as its JSON text, nested types intact. The Node.js SDK then returns
 * that string from `allConfig()`/`config.get`, JSON-parses it in `config.getObject`, and accepts
 * exactly `"true"`/`"false"` in `config.getBoolean` (`sdk/nodejs/config.ts`).
 *
 * So a top-level `"true"` and `true` are the same to a program, and so are they here.
 *
 * @module
 */
import { CONFIG_NAMESPACE } from "./load";

/**
 * The string the Pulumi engine hands the program for one stack-file value: a string as it is,
 * anything else as JSON (Go's `Plaintext.marshalText`). `secure:` values must already be replaced
 * by their plaintext (or a placeholder).
 */
export function engineConfigValue(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** A stack file's `config:` map (full keys) as the engine passes it: every value a string ({@link engineConfigValue}). */
export function engineConfig(config: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, engineConfigValue(v)]));
}

/**
 * Decodes one engine string as the program reads it: JSON when it parses (objects, lists,
 * `"true"`/`"false"` as `config.getBoolean` and `config.getObject` would read them), else the
 * string itself. Every `ack-mesh:` key but the secret PEMs is an object or a boolean.
 */
function decode(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/**
 * The values of the `ack-mesh:` keys, without the namespace, as the program sees them. Takes
 * either what the engine passes (`pulumi.runtime.allConfig()`: strings) or a stack file's parsed
 * `config:` map (`readStackConfig`): each value goes through {@link engineConfigValue} first, so
 * both give the same result, and `ack-mesh:protect: "true"` (what `pulumi config set` writes)
 * reads as `true` in both.
 *
 * @param config config by full key (`ack-mesh:mesh`, `alicloud:region`, …).
 * @param namespace @default "ack-mesh"
 */
export function namespaceConfig(config: Record<string, unknown>, namespace = CONFIG_NAMESPACE): Record<string, unknown> {
    const prefix = `${namespace}:`;
    return Object.fromEntries(
        Object.entries(config)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), decode(engineConfigValue(value))]),
    );
}

/**
 * The same function as {@link namespaceConfig}, under the name the offline plan (`scripts/plan.ts`)
 * uses for a stack file's config: there is one way to read config.
 */
export const namespaceValues = namespaceConfig;
