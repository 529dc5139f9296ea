/**
 * Core of the simulated cloud: the in-simulation registry of created objects and providers, handler
 * dispatch for resources and invokes, and engine-like post-processing (secret propagation, duplicate
 * URN / duplicate cloud-object detection).
 *
 * Provider-specific behaviour lives in `alicloud.ts`, `kubernetes.ts` and `tlsrandom.ts`.
 *
 * @module
 */
import { IdGen, SIM_EPOCH } from "./ids";
import { Rec, Secret, asSecret, isRecord, str } from "./values";
import type { SimCatalog } from "./catalog";

/** What the sim knows about a provider resource (`pulumi:providers:<pkg>`). */
export interface ProviderInfo {
  /** Provider URN. */
  readonly urn: string;
  /** Provider resource type, e.g. `pulumi:providers:alicloud`. */
  readonly type: string;
  /** Package name, e.g. `alicloud`, `kubernetes`. */
  readonly pkg: string;
  /** Provider ID (UUID-shaped). */
  readonly id: string;
  /** Recorded provider inputs. */
  readonly inputs: Rec;
  /** alicloud: region of the provider (input `region`, else the default region). */
  region?: string;
  /** kubernetes: API server URL found in the provider's kubeconfig, if it could be parsed. */
  kubeServer?: string;
  /** kubernetes: ID of the simulated ACK cluster whose endpoint is the kubeconfig's server. */
  clusterId?: string;
  /** kubernetes: default namespace of the provider (input `namespace`, else the kubeconfig context's). */
  namespace?: string;
}

/** One object the simulated cloud created (or read). */
export interface CloudObject {
  /** Resource type token. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** Resource URN. */
  readonly urn: string;
  /** Cloud ID returned to the program. */
  readonly id: string;
  /** Whether this came from a registration or a read (`Resource.get`). */
  readonly kind: "register" | "read";
  /** Recorded inputs (secrets as `Secret`). */
  readonly inputs: Rec;
  /** Returned state (secrets as `Secret`). */
  outputs: Rec;
  /** The explicit provider, if any. */
  readonly provider?: ProviderInfo;
  /** Region the object lives in (alicloud), when known. */
  readonly region?: string;
  /** Handler-private facts (e.g. a Transit Router's system route table ID). */
  readonly extra: Rec;
  /** URNs the object depends on. */
  readonly dependencies: readonly string[];
}

/** A resource operation as seen by a handler. */
export interface ResourceCall {
  /** `register` for `new X(...)`, `read` for `X.get(...)`. */
  readonly kind: "register" | "read";
  /** Resource type token. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** Resource URN (computed like the real engine). */
  readonly urn: string;
  /** False for component resources. */
  readonly custom: boolean;
  /** True for multi-language (remote) components. */
  readonly remote: boolean;
  /** Recorded inputs. */
  readonly inputs: Rec;
  /** The ID to read (`read`) or import (`import` option); undefined otherwise. */
  readonly id?: string;
  /** The explicit provider, resolved; `undefined` means the package's default provider. */
  readonly provider?: ProviderInfo;
  /** `additionalSecretOutputs` of the request. */
  readonly additionalSecretOutputs: readonly string[];
  /** URNs this resource depends on (the request's `dependencies`). */
  readonly dependencies: readonly string[];
}

/** What a resource handler returns. */
export interface HandlerResult {
  /** Cloud ID ("" for components). */
  id: string;
  /** State returned to the program. */
  outputs: Rec;
  /** Handler-private facts to keep in the registry. */
  extra?: Rec;
  /** Region of the object, when meaningful. */
  region?: string;
  /** Further IDs the object can be looked up by (e.g. the bare `tr-…` of a composite `<cenId>:<trId>`). */
  aliases?: string[];
}

/** Helpers handed to a resource handler. */
export interface HandlerContext {
  /** The simulated cloud (registry lookups). */
  readonly cloud: SimCloud;
  /** Deterministic generator seeded with the resource's type and URN. */
  readonly gen: IdGen;
  /** Region of the call: the provider's region, else the default region. */
  readonly region: string;
  /** Throws a {@link SimCloudError} prefixed with the resource's type and name. */
  fail(message: string): never;
  /** Records a warning (visible in `SimulationResult.warnings`). */
  warn(message: string): void;
}

/** Handler for one resource type. */
export type ResourceHandler = (call: ResourceCall, ctx: HandlerContext) => HandlerResult;

/** Helpers handed to an invoke handler. */
export interface InvokeContext {
  /** The simulated cloud (registry lookups). */
  readonly cloud: SimCloud;
  /** Invoke token. */
  readonly token: string;
  /** The explicit provider of the invoke, if any. */
  readonly provider?: ProviderInfo;
  /** Region of the invoke (provider region, else default). */
  readonly region: string;
  /** Throws a {@link SimCloudError} prefixed with the token. */
  fail(message: string): never;
}

/** Handler for one invoke token: receives the recorded args, returns the result object. */
export type InvokeHandler = (args: Rec, ctx: InvokeContext) => Rec;

/**
 * Error raised by the simulated cloud (a failed "API call"). It deliberately carries no gRPC `code`
 * (the SDK silently drops errors with UNAVAILABLE/CANCELLED codes) and sets `details`, which is what
 * the SDK reports for failed invokes.
 */
export class SimCloudError extends Error {
  /** Same as `message`; read by the SDK when an invoke fails. */
  readonly details: string;
  constructor(message: string) {
    super(message);
    this.name = "SimCloudError";
    this.details = message;
  }
}

/**
 * The simulated cloud has no handler for an invoke. Unlike an API error that a handler returns (which
 * the program may catch, as it may catch a real one), this is always recorded as a failure of the run.
 */
export class UnmockedInvokeError extends SimCloudError {
  constructor(message: string) {
    super(message);
    this.name = "UnmockedInvokeError";
  }
}

/** Options of a {@link SimCloud}. */
export interface SimCloudOptions {
  /** Region used by alicloud resources without an explicit provider. */
  defaultRegion: string;
  /** Outputs of other stacks, keyed by stack name, served to `StackReference` reads. */
  stackReferences?: Record<string, Record<string, unknown>>;
  /** Extra/overriding invoke handlers. */
  invokes?: Record<string, InvokeHandler>;
  /** Extra/overriding resource handlers. */
  resources?: Record<string, ResourceHandler>;
  /** What the simulated account offers (regions, zones, instance types, Kubernetes versions). */
  catalog: SimCatalog;
  /** ACK clusters that already exist in the account (created by an earlier `pulumi up`, or by hand). */
  existingClusters?: readonly SimExistingCluster[];
  /** Jobs that fail, by Job name (`metadata.name`) or Pulumi resource name. @default every Job completes */
  jobOutcomes?: Readonly<Record<string, SimJobFailure>>;
}

/** A Job that fails in the simulated cluster: its pod's container exits non-zero with this termination message. */
export interface SimJobFailure {
  /** What the container wrote to its termination message (or, with `FallbackToLogsOnError`, its last log lines). */
  readonly terminationMessage: string;
  /** Container exit code. @default 1 */
  readonly exitCode?: number;
}

/** An ACK cluster that exists in the simulated account before the run. */
export interface SimExistingCluster {
  /** ACK cluster name (`cs.ManagedKubernetes.name`). */
  readonly name: string;
  readonly region: string;
  /** The Kubernetes version it runs. */
  readonly version: string;
  /** Cluster ID. @default derived from the name */
  readonly id?: string;
  /** Tags of the cluster (the preflight recognises a stack's own clusters by theirs). @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A Helm release registered in the simulated cluster(s). */
export interface HelmReleaseInfo {
  /** Release URN. */
  readonly urn: string;
  /** Scope key of the target cluster (see {@link SimCloud.k8sScope}). */
  readonly scope: string;
  /** Namespace of the release. */
  readonly namespace: string;
  /** Release name. */
  readonly releaseName: string;
  /** Chart name as given (e.g. `gateway`, `istiod`, `oci://…/gateway`). */
  readonly chart: string;
  /** Release values (plain; secrets unwrapped). */
  readonly values: Rec;
  /** Whether the release creates its namespace (`createNamespace: true`). */
  readonly createsNamespace: boolean;
}

const handlers: Record<string, ResourceHandler> = {};
const fallbacks: Record<string, ResourceHandler> = {};
const invokeHandlers: Record<string, InvokeHandler> = {};

/** Registers resource handlers by exact type token (used by the provider modules). */
export function defineResources(map: Record<string, ResourceHandler>): void {
  Object.assign(handlers, map);
}

/** Registers a fallback handler for every type of a package without an exact handler. */
export function defineFallback(pkg: string, handler: ResourceHandler): void {
  fallbacks[pkg] = handler;
}

/** Registers invoke handlers by token. */
export function defineInvokes(map: Record<string, InvokeHandler>): void {
  Object.assign(invokeHandlers, map);
}

/** The URN part of a provider reference `<providerUrn>::<providerId>` (a bare URN is returned as is). */
export function providerUrnOf(ref: string): string {
  const idx = ref.lastIndexOf("::");
  return idx > 0 && ref.split("::").length > 4 ? ref.slice(0, idx) : ref;
}

/** Package of a type token: `alicloud:vpc/network:Network` -> `alicloud`; `pulumi:providers:x` -> `x`. */
export function packageOf(type: string): string {
  const parts = type.split(":");
  if (parts[0] === "pulumi" && parts[1] === "providers") return parts[2] ?? "";
  return parts[0];
}

/** Generic handler for custom resources nobody modelled: ID `<last type segment>-<hash>`, state = inputs. */
export const genericResource: ResourceHandler = (call, ctx) => {
  if (call.kind === "read") {
    const existing = ctx.cloud.lookup(call.id ?? "", call.type);
    if (existing) return { id: existing.id, outputs: { ...existing.outputs } };
    ctx.warn(`read of ${call.type} '${call.id}' which the simulation did not create; echoing the read inputs`);
    return { id: call.id ?? "", outputs: { ...call.inputs } };
  }
  const last = call.type.split(":").pop() ?? "resource";
  return { id: call.id ?? `${last.toLowerCase()}-${ctx.gen.hex(12)}`, outputs: { ...call.inputs } };
};

/**
 * Wraps a handler so that reads (`X.get(name, id)`) return the state of the object the simulation
 * created with that ID (or echo the read inputs with a warning) instead of creating a new object.
 */
export function withRead(handler: ResourceHandler): ResourceHandler {
  return (call, ctx) => (call.kind === "read" ? genericResource(call, ctx) : handler(call, ctx));
}

/**
 * The simulated cloud of one simulation: a registry of everything created so far plus the handlers
 * that compute realistic state.
 */
export class SimCloud {
  /** All objects, in creation order. */
  readonly objects: CloudObject[] = [];
  /** Providers by URN. */
  readonly providers = new Map<string, ProviderInfo>();
  /** Helm releases, in creation order. */
  readonly releases: HelmReleaseInfo[] = [];
  /** Warnings produced by handlers. */
  readonly warnings: string[] = [];
  private readonly byUrn = new Map<string, CloudObject>();
  /** {@link SimCloud.objects} by type, each in creation order: handlers look objects up by type on every registration. */
  private readonly byType = new Map<string, CloudObject[]>();
  private readonly byId = new Map<string, CloudObject[]>();
  private readonly byScopedId = new Map<string, CloudObject>();

  constructor(readonly options: SimCloudOptions) {}

  /** Looks a provider up by its reference `<urn>::<id>` (or bare URN). */
  providerByRef(ref: string | undefined): ProviderInfo | undefined {
    if (!ref) return undefined;
    return this.providers.get(providerUrnOf(ref)) ?? this.providers.get(ref);
  }

  /** The object registered under `urn`. */
  byUrnGet(urn: string): CloudObject | undefined {
    return this.byUrn.get(urn);
  }

  /** The first object (optionally of one of `types`) whose cloud ID (or alias ID) is `id`. */
  lookup(id: string, types?: string | readonly string[]): CloudObject | undefined {
    const list = this.byId.get(id);
    if (!list) return undefined;
    if (types === undefined) return list[0];
    const wanted = typeof types === "string" ? [types] : types;
    return list.find((o) => wanted.includes(o.type));
  }

  /** All objects of a type, in creation order. */
  ofType(type: string): CloudObject[] {
    return [...(this.byType.get(type) ?? [])];
  }

  /**
   * Scope key of a Kubernetes provider: `cluster:<id>` when its kubeconfig points at a simulated ACK
   * cluster, else `provider:<urn>`, else `default` for the default provider.
   */
  k8sScope(p: ProviderInfo | undefined): string {
    if (!p) return "default";
    if (p.clusterId) return `cluster:${p.clusterId}`;
    return `provider:${p.urn}`;
  }

  /** Region of a call (explicit provider's region, else the default region). */
  regionOf(p: ProviderInfo | undefined): string {
    return p?.region ?? this.options.defaultRegion;
  }

  /**
   * Performs a resource operation: dispatches to the handler, applies engine-like secret
   * propagation, and stores the object. Throws {@link SimCloudError} on failure.
   */
  resource(call: ResourceCall): { id: string; outputs: Rec } {
    if (this.byUrn.has(call.urn)) {
      throw new SimCloudError(`Duplicate resource URN '${call.urn}'; try giving it a unique name`);
    }
    const label = `${call.type} '${call.name}'`;
    const ctx: HandlerContext = {
      cloud: this,
      gen: new IdGen([call.type, call.urn]),
      region: this.regionOf(call.provider),
      fail: (m: string): never => {
        throw new SimCloudError(`simulated cloud: ${label}: ${m}`);
      },
      warn: (m: string) => this.warnings.push(`${label}: ${m}`),
    };
    let result: HandlerResult;
    if (!call.custom) {
      if (call.remote) {
        ctx.warn("remote (multi-language) component is not expanded by the simulated cloud; it has no children and no outputs");
      }
      result = { id: "", outputs: {} };
    } else {
      const pkg = packageOf(call.type);
      const handler =
        this.options.resources?.[call.type] ??
        handlers[call.type] ??
        (call.type.startsWith("pulumi:providers:") ? providerHandler : undefined) ??
        fallbacks[pkg] ??
        genericResource;
      result = handler(call, ctx);
    }
    const outputs = propagateSecrets(call, result.outputs);
    const obj: CloudObject = {
      type: call.type,
      name: call.name,
      urn: call.urn,
      id: result.id,
      kind: call.kind,
      inputs: call.inputs,
      outputs,
      provider: call.provider,
      region: result.region,
      extra: result.extra ?? {},
      dependencies: call.dependencies,
    };
    if (call.custom && call.kind === "register" && result.id !== "" && !call.type.startsWith("pulumi:")) {
      const scope = packageOf(call.type) === "kubernetes" ? this.k8sScope(call.provider) : "";
      const key = `${call.type}\u0000${scope}\u0000${result.id}`;
      const other = this.byScopedId.get(key);
      if (other) {
        ctx.fail(
          `would manage cloud object '${result.id}', which '${other.name}' (${other.urn}) already manages; ` +
            `two resources must not manage the same object`,
        );
      }
      this.byScopedId.set(key, obj);
    }
    this.objects.push(obj);
    this.byUrn.set(call.urn, obj);
    const sameType = this.byType.get(call.type);
    if (sameType) sameType.push(obj);
    else this.byType.set(call.type, [obj]);
    for (const id of new Set([result.id, ...(result.aliases ?? [])])) {
      if (!id) continue;
      const list = this.byId.get(id) ?? [];
      list.push(obj);
      this.byId.set(id, list);
    }
    if (call.type.startsWith("pulumi:providers:")) {
      const info: ProviderInfo = {
        urn: call.urn,
        type: call.type,
        pkg: packageOf(call.type),
        id: result.id,
        inputs: call.inputs,
        ...(result.extra as Partial<ProviderInfo> | undefined),
      };
      this.providers.set(call.urn, info);
    }
    return { id: result.id, outputs };
  }

  /** Runs an invoke. Throws {@link SimCloudError} for unknown tokens and handler failures. */
  invoke(token: string, args: Rec, providerRef: string | undefined): Rec {
    const provider = this.providerByRef(providerRef);
    const handler = this.options.invokes?.[token] ?? invokeHandlers[token];
    if (!handler) {
      throw new UnmockedInvokeError(
        `simulated cloud has no mock for invoke ${token}; add one in sim/ (defineInvokes in sim/alicloud.ts, ` +
          `sim/kubernetes.ts or sim/tlsrandom.ts) or pass it in SimulationOptions.invokes`,
      );
    }
    return handler(args, {
      cloud: this,
      token,
      provider,
      region: this.regionOf(provider),
      fail: (m: string): never => {
        throw new SimCloudError(`simulated cloud: invoke ${token}: ${m}`);
      },
    });
  }

  /**
   * True when an object with dependencies `fromDeps` depends on `onUrn`, directly or transitively (through the
   * recorded dependencies of the objects in between).
   */
  dependsOn(fromDeps: readonly string[], onUrn: string): boolean {
    const seen = new Set<string>();
    const stack = [...fromDeps];
    while (stack.length > 0) {
      const u = stack.pop() as string;
      if (u === onUrn) return true;
      if (seen.has(u)) continue;
      seen.add(u);
      const o = this.byUrn.get(u);
      if (o) stack.push(...o.dependencies);
    }
    return false;
  }

  /** Records the registered outputs of a component (from `registerOutputs`). */
  setComponentOutputs(urn: string, outputs: Rec): void {
    const o = this.byUrn.get(urn);
    if (o) o.outputs = outputs;
  }
}

/**
 * Engine-like secret propagation: an output whose input of the same name was secret is secret, and
 * every property named in `additionalSecretOutputs` is secret.
 */
function propagateSecrets(call: ResourceCall, outputs: Rec): Rec {
  const out: Rec = { ...outputs };
  for (const [k, v] of Object.entries(call.inputs)) {
    if (v instanceof Secret && k in out) out[k] = asSecret(out[k]);
  }
  for (const k of call.additionalSecretOutputs) {
    if (k in out && out[k] !== undefined && k !== "id") out[k] = asSecret(out[k]);
  }
  return out;
}

/** Default handler for `pulumi:providers:*` (package modules enrich it via `extra`). */
const providerHandler: ResourceHandler = (call, ctx) => ({
  id: call.id ?? ctx.gen.uuid("provider"),
  outputs: { ...call.inputs },
});

/** `pulumi:pulumi:StackReference` reads, served from `SimulationOptions.stackReferences`. */
defineResources({
  "pulumi:pulumi:StackReference": (call, ctx) => {
    const stackName = str(call.inputs["name"]) ?? call.id ?? call.name;
    const refs = ctx.cloud.options.stackReferences ?? {};
    const outputs = refs[stackName];
    if (!isRecord(outputs)) {
      ctx.fail(
        `no outputs for stack '${stackName}'; pass them in SimulationOptions.stackReferences ` +
          `(known: ${Object.keys(refs).join(", ") || "none"})`,
      );
    }
    const secretOutputNames = Object.entries(outputs)
      .filter(([, v]) => v instanceof Secret)
      .map(([k]) => k)
      .sort();
    return { id: stackName, outputs: { name: stackName, outputs: { ...outputs }, secretOutputNames } };
  },
});

/** Fixed creation timestamp re-exported for handlers. */
export const CREATE_TIME = SIM_EPOCH;
