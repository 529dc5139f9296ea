/**
 * `ack-mesh/config`: the stack config model (the `ack-mesh:` keys), its parser and its errors.
 *
 * ```ts
 * import { parseStackConfig, ConfigError } from "ack-mesh/config";
 * const config = parseStackConfig({ mesh: { id: "mesh1", topology: "primary-remote" }, clusters: { ... } });
 * ```
 */
export { DEFAULTS } from "./defaults";
export { ConfigError, ProblemCollector, StackFileError, formatPath, formatProblem, quote } from "./errors";
export type { ConfigProblem, StackFileProblem } from "./errors";
export { CONFIG_NAMESPACE, MAX_CLUSTER_KEY_LENGTH, SECRET_CONFIG_KEYS, parseStackConfig, tryParseStackConfig, zoneLetter } from "./load";
export type { BookinfoConfig, ClusterConfig, MeshConfig, NodePoolConfig, StackConfig, VpcConfig } from "./load";
export { engineConfig, engineConfigValue, namespaceConfig } from "./pulumiConfig";
export { PROVIDER_REGIONS, isMainlandChinaRegion, regionOfZone } from "./regions";
export { registryPathProblem } from "./registry";
export { BOOKINFO_ROUTINGS, BOOKINFO_WORKLOADS, CONFIG_KEYS, DNS_LABEL, REGION_ID, stackConfigSchema } from "./schema";
export type { BookinfoRouting, BookinfoWorkload, ParsedStackConfig, StackConfigInput } from "./schema";
