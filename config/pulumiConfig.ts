/**
 * Reading the `ack-mesh:` namespace out of Pulumi's flat config map. Pure: the
 * program passes `pulumi.runtime.allConfig()` in.
 */
import { CONFIG_NAMESPACE } from "./load";

/**
 * The values of the `ack-mesh:` keys, without the namespace. Structured values
 * arrive as JSON strings and are parsed; scalars that are not JSON stay strings.
 */
export function namespaceConfig(all: Record<string, string>, namespace = CONFIG_NAMESPACE): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(namespaceValues(all, namespace))) {
        try {
            out[name] = JSON.parse(value as string);
        } catch {
            out[name] = value;
        }
    }
    return out;
}

/** The values of the `ack-mesh:` keys of an already-parsed config map (e.g. a stack file's), without the namespace. */
export function namespaceValues(config: Record<string, unknown>, namespace = CONFIG_NAMESPACE): Record<string, unknown> {
    const prefix = `${namespace}:`;
    return Object.fromEntries(
        Object.entries(config)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}
