/**
 * `ack-mesh/testing`: run any Pulumi program offline on ack-mesh's simulated Alibaba Cloud and
 * Kubernetes, and assert what it registers.
 *
 * ```ts
 * import { simulate } from "ack-mesh/testing";
 * const result = await simulate(myProgram, { project: "my-project", stack: "test" });
 * result.get("alicloud:cs/managedKubernetes:ManagedKubernetes", "east-cluster").inputs;
 * ```
 *
 * Stable API (semver): {@link simulate} with {@link SimulationOptions}, {@link SimulationResult}
 * and its records ({@link RecordedResource}, {@link RecordedInvoke}, {@link RecordedLog}),
 * {@link SimulationError}, {@link readStackConfig}, the value helpers ({@link Secret},
 * {@link UNKNOWN}, {@link unwrapSecrets}, {@link isSecretAt}), the catalog types and {@link CATALOG}.
 * The simulated cloud's exact IDs and the catalog's contents are data, not API: they change when
 * Alibaba's offer does. Everything else under `dist/sim` is internal.
 */
export { simulate, SimulationError } from "../sim/runner";
export type { SimulationOptions } from "../sim/runner";
export type { RecordedInvoke, RecordedLog, RecordedResource, SimulationResult } from "../sim/record";
export { readStackConfig } from "../sim/stackConfig";
export type { StackConfig as StackFileConfig } from "../sim/stackConfig";
export { Secret, UNKNOWN, containsSecret, containsUnknown, isSecretAt, redact, unwrapSecrets } from "../sim/values";
export type { Unknown } from "../sim/values";
export type { InvokeHandler, ResourceHandler, SimExistingCluster, SimJobFailure } from "../sim/cloud";
export { CATALOG } from "../sim/catalogData";
export type { CatalogKubernetesVersion, CatalogRegion, CatalogSource, CatalogZone, SimCatalog } from "../sim/catalog";
