/**
 * The ack-mesh **simulated cloud**: runs any Pulumi program in-process against deterministic,
 * realistic mocks of Alibaba Cloud (VPC, CEN/Transit Router, ACK), Kubernetes (Helm releases,
 * LoadBalancer Services, service-account tokens), TLS and random, and records every request.
 *
 * Used by the tests, the offline `npm run plan` and the benchmarks.
 *
 * @example
 * ```ts
 * const res = await simulate(() => { new MyComponent("mesh", args); return { x: 1 }; }, { config });
 * const vpc = res.get("alicloud:vpc/network:Network", "mesh-vpc");
 * assert.equal(vpc.inputs.cidrBlock, "10.0.0.0/16");
 * ```
 *
 * Module layout: `values.ts` (Secret/UNKNOWN and wire conversion), `ids.ts` (deterministic IDs, IPs,
 * PEMs), `cloud.ts` (registry and dispatch), `alicloud.ts` / `kubernetes.ts` / `tlsrandom.ts`
 * (provider behaviour), `monitor.ts` (the recording resource monitor), `record.ts` (result types),
 * `runner.ts` (`simulate`), `stackConfig.ts` (`readStackConfig`).
 *
 * @module
 */
import * as pulumi from "@pulumi/pulumi";

export { Secret, Unknown, UNKNOWN, ResourceRef, redact, unwrapSecrets, isSecretAt, containsSecret, containsUnknown } from "./values";
export type { RecordedResource, RecordedInvoke, RecordedLog, SimulationResult } from "./record";
export { simulate, SimulationError } from "./runner";
export type { SimulationOptions } from "./runner";
export { readStackConfig, secretPlaceholder } from "./stackConfig";
export type { StackConfig } from "./stackConfig";
export { SimCloud, SimCloudError } from "./cloud";
export type { SimJobFailure } from "./cloud";
export type { InvokeHandler, ResourceHandler, ResourceCall, HandlerContext, InvokeContext, HandlerResult, CloudObject, ProviderInfo } from "./cloud";
export { ALI, ALI_INVOKES, CREDENTIAL_EXPIRATION, SIM_ACCOUNT_ID, clusterCaPem, kubeconfigFor } from "./alicloud";
export { K8S, ALIBABA_LB_ADDRESS_TYPE, parseKubeconfig } from "./kubernetes";
export { TLS_RANDOM } from "./tlsrandom";
export { SIM_EPOCH } from "./ids";
export { canonicalPlan, canonicalResource, canonicalValue, compareResources, makeCanonicalPlan, makeCanonicalResource, parseCanonicalPlan, stableStringify, CANONICAL_PLAN_VERSION, DEFAULT_OPTIONS, PlanFormatError, REDACTED, UNKNOWN_VALUE } from "./canonical";
export type { CanonicalOptions, CanonicalPlan, CanonicalPlanMeta, CanonicalResource } from "./canonical";
export { dependencyGraph, topologicalOrder, criticalPath, defaultWeight, describeNode, DependencyCycleError } from "./graph";
export type { CriticalPath, CriticalStep, DependencyGraph, EdgeKind, GraphEdge, GraphNode, GraphSource, NodeKind, WeightFn } from "./graph";
export { ALICLOUD_FORCE_NEW, KUBERNETES_KIND_FORCE_NEW, OTHER_FORCE_NEW, forceNewRule, formatPath, parsePath, pathUnder, pathsOverlap, replacementFields } from "./forceNew";
export type { ForceNewContext, ForceNewRule, PropertyPath } from "./forceNew";
export { CHANGE_KINDS, STATEFUL_TYPES, describeChange, diffExitCode, diffPlans, diffValues, jsonEqual, markdownCell, markdownTable, renderDiff, shortType, textTable } from "./diff";
export { UPGRADE_STEP_KINDS, classifyUpgrade, compareVersions, renderUpgradeSteps } from "./upgradeSteps";
export type { UpgradeStep, UpgradeStepKind, UpgradeSummary } from "./upgradeSteps";
export type { ChangeKind, DiffOptions, InputChange, PlanDiff, RenderDiffOptions, RenderFormat, ReplaceReason, ResourceChange } from "./diff";
export { cenLinksOf, gatewaysOf, kubernetesProviderClusters, mermaidFlowchart, mermaidId, mermaidText } from "./mermaid";
export type { CenLink, GatewayInfo, MeshTopology, MeshTopologyCluster } from "./mermaid";

/** Internal members of `pulumi.Output` used by {@link resolveOutput}. */
interface OutputInternals<T> {
  promise(withUnknowns?: boolean): Promise<T>;
  isKnown: Promise<boolean>;
  isSecret: Promise<boolean>;
}

/** Everything about a settled `Output`. */
export interface ResolvedOutput<T> {
  /** The value (`undefined` when unknown). */
  value: T | undefined;
  /** Whether the value is known (false only for unknowns, e.g. in previews). */
  isKnown: boolean;
  /** Whether the output is secret. */
  isSecret: boolean;
}

/**
 * Resolves an `Output` to its value, known-ness and secret-ness (for assertions after `simulate`).
 * Rejects when the output rejects.
 */
export async function resolveOutput<T>(o: pulumi.Output<T>): Promise<ResolvedOutput<T>> {
  const i = o as unknown as OutputInternals<T>;
  const [value, isKnown, isSecret] = await Promise.all([i.promise(), i.isKnown, i.isSecret]);
  return { value: isKnown ? value : undefined, isKnown, isSecret };
}
