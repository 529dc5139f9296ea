/**
 * Simulated Kubernetes API (`@pulumi/kubernetes` 4.x): providers mapped to simulated ACK clusters,
 * Helm releases, Services with load-balancer addresses (including Services rendered by the Istio
 * `gateway` chart and read back with `Service.get`), service-account token Secrets, and a generic
 * echo for every other kind (including custom resources such as `networking.istio.io/v1` Gateways).
 *
 * @module
 */
import { parse as yamlParse } from "yaml";
import { ALI, clusterCaPem } from "./alicloud";
import { CloudObject, HandlerContext, HelmReleaseInfo, ProviderInfo, ResourceCall, ResourceHandler, SimCloud, defineFallback, defineResources } from "./cloud";
import { b64, b64url, bytes, ipInCidr, parseCidr, privateIp, publicIp } from "./ids";
import { Rec, Secret, UNKNOWN, arr, asSecret, isRecord, plain, rec, str, unwrapSecrets } from "./values";

/** Annotation that asks Alibaba's cloud controller manager for an internal (VPC) load balancer. */
export const ALIBABA_LB_ADDRESS_TYPE = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type";

/** Type tokens with special behaviour. */
export const K8S = {
  provider: "pulumi:providers:kubernetes",
  release: "kubernetes:helm.sh/v3:Release",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  namespace: "kubernetes:core/v1:Namespace",
  job: "kubernetes:batch/v1:Job",
} as const;

/** Kinds that are not namespaced (their ID is just the name). */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "StorageClass",
  "PriorityClass",
  "APIService",
  "IngressClass",
  "RuntimeClass",
  "CSIDriver",
  "VolumeSnapshotClass",
]);

/** Namespaces every ACK cluster has from the start. */
const BUILTIN_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

/** Kind of a kubernetes type token: `kubernetes:core/v1:Service` -> `Service`. */
function kindOf(type: string): string {
  return type.split(":")[2] ?? "";
}

interface ObjectKey {
  name: string;
  namespace?: string;
  id: string;
}

/** Resolves name (auto-named `<resource>-<8 hex>` when absent), namespace and ID of an object. */
function objectKey(call: ResourceCall, ctx: HandlerContext): ObjectKey {
  const namespaced = !CLUSTER_SCOPED.has(kindOf(call.type));
  if (call.kind === "read" && call.id) {
    const [a, b] = call.id.includes("/") ? call.id.split("/", 2) : [undefined, call.id];
    const namespace = namespaced ? a ?? call.provider?.namespace ?? "default" : undefined;
    return { name: b, namespace, id: namespace ? `${namespace}/${b}` : b };
  }
  const md = rec(call.inputs["metadata"]) ?? {};
  const name = str(md["name"]) ?? `${call.name}-${ctx.gen.hex(8, "autoname")}`;
  const namespace = namespaced ? str(md["namespace"]) ?? call.provider?.namespace ?? "default" : undefined;
  return { name, namespace, id: namespace ? `${namespace}/${name}` : name };
}

/** Echoes inputs with `metadata.name`/`metadata.namespace` filled in (secrets/unknowns preserved). */
function echoObject(call: ResourceCall, key: ObjectKey): Rec {
  const md = call.inputs["metadata"];
  const metadata: Rec = isRecord(md) ? { ...md } : {};
  metadata["name"] = metadata["name"] ?? key.name;
  if (key.namespace !== undefined) metadata["namespace"] = metadata["namespace"] ?? key.namespace;
  return { ...call.inputs, metadata };
}

/** `urn:pulumi:<stack>::<project>` of a URN: which stack registered it. */
function stackPart(urn: string): string {
  return urn.split("::").slice(0, 2).join("::");
}

/** Warns when an object lands in a namespace that is created elsewhere in the same stack but not depended upon. */
function checkNamespace(call: ResourceCall, ctx: HandlerContext, namespace: string | undefined): void {
  if (!namespace || BUILTIN_NAMESPACES.has(namespace)) return;
  const scope = ctx.cloud.k8sScope(call.provider);
  const nsObj = ctx.cloud
    .ofType(K8S.namespace)
    .find((o) => o.kind === "register" && ctx.cloud.k8sScope(o.provider) === scope && o.id === namespace);
  if (nsObj) {
    // A namespace another stack created (a fleet's earlier stack, on a shared cloud) exists before this stack runs.
    if (stackPart(nsObj.urn) !== stackPart(call.urn)) return;
    if (!ctx.cloud.dependsOn(call.dependencies, nsObj.urn)) {
      ctx.warn(
        `is created in namespace '${namespace}' (Namespace '${nsObj.name}') without depending on it; ` +
          `use the Namespace's metadata.name or dependsOn so it is created first`,
      );
    }
    return;
  }
  const viaHelm = ctx.cloud.releases.find(
    (r) => r.scope === scope && r.namespace === namespace && r.createsNamespace && ctx.cloud.dependsOn(call.dependencies, r.urn),
  );
  if (!viaHelm) ctx.warn(`is created in namespace '${namespace}', which nothing in the simulation creates`);
}

/** Returns the object the simulation already created with this type, cluster scope and ID. */
function existing(ctx: HandlerContext, call: ResourceCall, id: string): CloudObject | undefined {
  const scope = ctx.cloud.k8sScope(call.provider);
  return ctx.cloud
    .ofType(call.type)
    .find((o) => o.kind === "register" && o.id === id && ctx.cloud.k8sScope(o.provider) === scope);
}

/** Generic handler for every kubernetes kind without special behaviour. */
const genericK8s: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const key = objectKey(call, ctx);
  if (call.kind === "read") {
    const found = existing(ctx, call, key.id);
    if (found) return { id: found.id, outputs: { ...found.outputs } };
    ctx.warn(`read of ${kindOf(call.type)} '${key.id}' which the simulation did not create; returning a minimal object`);
    return { id: key.id, outputs: { ...call.inputs, metadata: { name: key.name, namespace: key.namespace } } };
  }
  checkNamespace(call, ctx, key.namespace);
  return { id: key.id, outputs: echoObject(call, key) };
};

// ---------------------------------------------------------------------------------------------------
// Load balancers

/** The simulated ACK cluster behind a provider, if the kubeconfig could be matched. */
function clusterOf(cloud: SimCloud, p: ProviderInfo | undefined): CloudObject | undefined {
  return p?.clusterId ? cloud.lookup(p.clusterId, ALI.cluster) : undefined;
}

/**
 * Address the Alibaba cloud controller would give a LoadBalancer Service: an address inside the
 * cluster's first vSwitch (or VPC) when the `intranet` address-type annotation is present, else a
 * public `47.x.y.z`. Deterministic per cluster, namespace and name.
 */
export function loadBalancerIp(cloud: SimCloud, p: ProviderInfo | undefined, id: string, annotations: Rec | undefined): string {
  const scope = cloud.k8sScope(p);
  const intranet = str(annotations?.[ALIBABA_LB_ADDRESS_TYPE]) === "intranet";
  if (!intranet) return publicIp(scope, id, "slb");
  const cluster = clusterOf(cloud, p);
  if (cluster) {
    const vswId = str((arr(cluster.inputs["vswitchIds"]) ?? arr(cluster.inputs["workerVswitchIds"]) ?? [])[0]);
    const vsw = vswId ? cloud.lookup(vswId, ALI.vswitch) : undefined;
    const vpc = cloud.lookup(str(cluster.outputs["vpcId"]) ?? "", ALI.network);
    const cidr = parseCidr(str(vsw?.outputs["cidrBlock"]) ?? "") ?? parseCidr(str(vpc?.outputs["cidrBlock"]) ?? "");
    if (cidr) return ipInCidr(cidr, scope, id, "slb");
  }
  return privateIp(scope, id, "slb");
}

function withLoadBalancerStatus(cloud: SimCloud, p: ProviderInfo | undefined, id: string, obj: Rec): Rec {
  const spec = rec(obj["spec"]);
  if (spec?.["type"] !== "LoadBalancer") return obj;
  const md = rec(obj["metadata"]);
  const ip = loadBalancerIp(cloud, p, id, rec(md?.["annotations"]));
  return { ...obj, status: { loadBalancer: { ingress: [{ ip, ipMode: "VIP" }] } } };
}

/** True when the chart reference names Istio's `gateway` chart. */
function isGatewayChart(chart: string): boolean {
  return /(^|\/)gateway(-\d+\.\d+\.\d+[^/]*\.tgz)?$/.test(chart);
}

const DEFAULT_NETWORK_GATEWAY_PORTS = [
  { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
  { name: "tls", port: 15443, targetPort: 15443, protocol: "TCP" },
  { name: "tls-istiod", port: 15012, targetPort: 15012, protocol: "TCP" },
  { name: "tls-webhook", port: 15017, targetPort: 15017, protocol: "TCP" },
];

const DEFAULT_GATEWAY_PORTS = [
  { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
  { name: "http2", port: 80, targetPort: 80, protocol: "TCP" },
  { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
];

/** The Service the Istio `gateway` chart renders for a release (istio 1.30 templates/service.yaml). */
function gatewayService(release: HelmReleaseInfo): { name: string; object: Rec } {
  const v = release.values;
  const name = str(v["name"]) ?? release.releaseName;
  const service = rec(v["service"]) ?? {};
  const networkGateway = str(v["networkGateway"]);
  const labels: Rec = { app: name, istio: name.replace(/^istio-/, ""), ...(rec(v["labels"]) ?? {}) };
  if (networkGateway) labels["topology.istio.io/network"] = networkGateway;
  const ports = networkGateway ? arr(v["networkGatewayPorts"]) ?? DEFAULT_NETWORK_GATEWAY_PORTS : arr(service["ports"]) ?? DEFAULT_GATEWAY_PORTS;
  return {
    name,
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: release.namespace, labels, annotations: rec(service["annotations"]) ?? {} },
      spec: { type: str(service["type"]) ?? "LoadBalancer", selector: { app: labels["app"], istio: labels["istio"] }, ports },
    },
  };
}

const service: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const key = objectKey(call, ctx);
  if (call.kind === "read") {
    const found = existing(ctx, call, key.id);
    if (found) return { id: found.id, outputs: { ...found.outputs } };
    const scope = ctx.cloud.k8sScope(call.provider);
    const candidates = ctx.cloud.releases.filter((r) => r.scope === scope && r.namespace === key.namespace && isGatewayChart(r.chart));
    for (const r of candidates) {
      const rendered = gatewayService(r);
      if (rendered.name === key.name) return { id: key.id, outputs: withLoadBalancerStatus(ctx.cloud, call.provider, key.id, rendered.object) };
    }
    ctx.warn(`read of Service '${key.id}', which neither the program nor a gateway Helm release on this cluster creates; returning a ClusterIP Service`);
    return {
      id: key.id,
      outputs: { apiVersion: "v1", kind: "Service", metadata: { name: key.name, namespace: key.namespace }, spec: { type: "ClusterIP" }, status: {} },
    };
  }
  checkNamespace(call, ctx, key.namespace);
  return { id: key.id, outputs: withLoadBalancerStatus(ctx.cloud, call.provider, key.id, echoObject(call, key)) };
};

// ---------------------------------------------------------------------------------------------------
// Secrets

/** A JWT-shaped service-account token (not signed by anything real). */
function serviceAccountToken(scope: string, namespace: string, secretName: string, sa: string): string {
  const header = b64url(JSON.stringify({ alg: "RS256", kid: b64url(bytes(16, "kid", scope)) }));
  const payload = b64url(
    JSON.stringify({
      iss: "kubernetes/serviceaccount",
      "kubernetes.io/serviceaccount/namespace": namespace,
      "kubernetes.io/serviceaccount/secret.name": secretName,
      "kubernetes.io/serviceaccount/service-account.name": sa,
      "kubernetes.io/serviceaccount/service-account.uid": b64url(bytes(12, "sa-uid", scope, namespace, sa)),
      sub: `system:serviceaccount:${namespace}:${sa}`,
    }),
  );
  return `${header}.${payload}.${b64url(bytes(256, "sig", scope, namespace, secretName))}`;
}

const secret: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const result = genericK8s(call, ctx);
  if (call.kind === "read") return result;
  const out = result.outputs;
  const data: Rec = isRecord(plain(out["data"])) ? { ...(unwrapSecrets(out["data"]) as Rec) } : {};
  const stringData = unwrapSecrets(out["stringData"]);
  if (isRecord(stringData)) {
    for (const [k, v] of Object.entries(stringData)) data[k] = typeof v === "string" ? b64(v) : UNKNOWN;
  }
  if (str(out["type"]) === "kubernetes.io/service-account-token") {
    const md = rec(out["metadata"]) ?? {};
    const sa = str(rec(md["annotations"])?.["kubernetes.io/service-account.name"]);
    if (!sa) ctx.fail("a kubernetes.io/service-account-token Secret needs the annotation kubernetes.io/service-account.name");
    const ns = str(md["namespace"]) ?? "default";
    const name = str(md["name"]) ?? call.name;
    const scope = ctx.cloud.k8sScope(call.provider);
    const ca = call.provider?.clusterId ? clusterCaPem(call.provider.clusterId) : clusterCaPem(scope);
    data["token"] = b64(serviceAccountToken(scope, ns, name, sa));
    data["ca.crt"] = b64(ca);
    data["namespace"] = b64(ns);
  }
  const outputs: Rec = { ...out, data: new Secret(data) };
  if (out["stringData"] !== undefined) outputs["stringData"] = asSecret(out["stringData"]);
  return { ...result, outputs };
};

// ---------------------------------------------------------------------------------------------------
// Helm

const release: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const i = call.inputs;
  if (call.kind === "read") {
    const found = ctx.cloud.lookup(call.id ?? "", call.type);
    if (found) return { id: found.id, outputs: { ...found.outputs } };
    ctx.fail(`read of Helm release '${call.id}' which the simulation did not create`);
  }
  if (i["chart"] === undefined) ctx.fail("chart is required");
  const chart = str(i["chart"]) ?? "unknown";
  const releaseName = str(i["name"]) ?? call.name;
  const namespace = str(i["namespace"]) ?? call.provider?.namespace ?? "default";
  const scope = ctx.cloud.k8sScope(call.provider);
  const clash = ctx.cloud.releases.find((r) => r.scope === scope && r.namespace === namespace && r.releaseName === releaseName);
  if (clash) ctx.fail(`cannot re-use release name '${releaseName}' in namespace '${namespace}': it is still in use (${clash.urn})`);
  const createsNamespace = plain(i["createNamespace"]) === true;
  if (!createsNamespace) checkNamespace(call, ctx, namespace);
  const version = str(i["version"]) ?? "0.1.0";
  const values = unwrapSecrets(i["values"]);
  ctx.cloud.releases.push({
    urn: call.urn,
    scope,
    namespace,
    releaseName,
    chart,
    values: isRecord(values) ? values : {},
    createsNamespace,
  });
  const chartName = chart.replace(/\.tgz$/, "").replace(/-\d+\.\d+\.\d+.*$/, "").split("/").pop() ?? chart;
  return {
    id: `${namespace}/${releaseName}`,
    outputs: {
      ...i,
      name: releaseName,
      namespace,
      status: { name: releaseName, namespace, chart: chartName, version, appVersion: version, status: "deployed", revision: 1 },
    },
  };
};

// ---------------------------------------------------------------------------------------------------
// Jobs

/**
 * A Job runs to completion: the provider awaits its `Complete` condition (@pulumi/kubernetes 4.x
 * batch/v1/job.d.ts). A Job listed in `jobOutcomes` (by `metadata.name` or resource name) fails
 * instead, and the error carries its pod's termination message, as the provider's Job awaiter
 * reports its pods' errors (`[Error] <message>` for a container that exited non-zero).
 */
const job: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const result = genericK8s(call, ctx);
  if (call.kind === "read") return result;
  const key = objectKey(call, ctx);
  const failure = ctx.cloud.options.jobOutcomes?.[key.name] ?? ctx.cloud.options.jobOutcomes?.[call.name];
  if (failure) {
    const pod = `${key.name}-${ctx.gen.hex(5, "pod")}`;
    ctx.fail(
      `Job '${key.id}' failed (BackoffLimitExceeded: Job has reached the specified backoff limit): ` +
        `[Pod ${key.namespace}/${pod}]: containers with unready status: [check] -- [Error] ${failure.terminationMessage} (exit code ${failure.exitCode ?? 1})`,
    );
  }
  const start = "2026-01-01T00:00:00Z";
  return {
    ...result,
    outputs: {
      ...result.outputs,
      status: { startTime: start, completionTime: start, succeeded: 1, conditions: [{ type: "Complete", status: "True" }] },
    },
  };
};

// ---------------------------------------------------------------------------------------------------
// Provider

/** Extracts the API server URL (and context namespace) from a kubeconfig text (YAML or JSON). */
export function parseKubeconfig(text: string): { server?: string; namespace?: string } {
  let doc: unknown;
  try {
    doc = yamlParse(text);
  } catch {
    return {};
  }
  if (!isRecord(doc)) return {};
  const contexts = (Array.isArray(doc["contexts"]) ? doc["contexts"] : []) as Rec[];
  const clusters = (Array.isArray(doc["clusters"]) ? doc["clusters"] : []) as Rec[];
  const current = contexts.find((c) => isRecord(c) && c["name"] === doc["current-context"]) ?? contexts[0];
  const context = isRecord(current) ? rec(current["context"]) : undefined;
  const clusterEntry = clusters.find((c) => isRecord(c) && c["name"] === context?.["cluster"]) ?? clusters[0];
  const cluster = isRecord(clusterEntry) ? rec(clusterEntry["cluster"]) : undefined;
  return { server: str(cluster?.["server"]), namespace: str(context?.["namespace"]) };
}

const provider: ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => {
  const kubeconfig = str(call.inputs["kubeconfig"]);
  const parsed = kubeconfig ? parseKubeconfig(kubeconfig) : {};
  let clusterId: string | undefined;
  if (parsed.server) {
    const cluster = ctx.cloud.ofType(ALI.cluster).find((c) => {
      const conn = rec(c.outputs["connections"]) ?? {};
      return conn["apiServerInternet"] === parsed.server || conn["apiServerIntranet"] === parsed.server;
    });
    clusterId = cluster?.id;
  }
  if (call.inputs["kubeconfig"] === undefined) {
    ctx.warn("has no kubeconfig: the real provider would use the ambient ~/.kube/config");
  } else if (kubeconfig !== undefined && !clusterId) {
    ctx.warn(`kubeconfig server ${parsed.server ?? "(unparseable)"} is not a simulated ACK cluster`);
  }
  return {
    id: call.id ?? ctx.gen.uuid("provider"),
    outputs: { ...call.inputs },
    extra: { kubeServer: parsed.server, clusterId, namespace: str(call.inputs["namespace"]) ?? parsed.namespace },
  };
};

/** Adds a warning when a Kubernetes object is created through the default (ambient) provider. */
function warnDefaultProvider(handler: ResourceHandler): ResourceHandler {
  return (call, ctx) => {
    if (call.provider === undefined && call.kind === "register") {
      ctx.warn("uses the default Kubernetes provider (ambient kubeconfig); pass an explicit provider");
    }
    return handler(call, ctx);
  };
}

defineResources({
  [K8S.provider]: provider,
  [K8S.release]: warnDefaultProvider(release),
  [K8S.service]: warnDefaultProvider(service),
  [K8S.secret]: warnDefaultProvider(secret),
  [K8S.job]: warnDefaultProvider(job),
});

defineFallback("kubernetes", warnDefaultProvider(genericK8s));
