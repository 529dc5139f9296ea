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
    const prefix = `${namespace}:`;
    for (const [key, value] of Object.entries(all)) {
        if (!key.startsWith(prefix)) continue;
        const name = key.slice(prefix.length);
        try {
            out[name] = JSON.parse(value);
        } catch {
            out[name] = value;
        }
    }
    return out;
}
