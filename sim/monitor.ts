/**
 * The resource monitor the SDK talks to during a simulation. It implements the subset of the
 * `ResourceMonitor` gRPC client interface that `@pulumi/pulumi`'s runtime calls (the same subset as the
 * SDK's own `MockMonitor`), records every request in full, and answers from the {@link SimCloud}.
 *
 * @module
 */
import { createRequire } from "module";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as aliasproto from "@pulumi/pulumi/proto/alias_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { SimCloud, SimCloudError, UnmockedInvokeError, providerUrnOf } from "./cloud";
import { uuid } from "./ids";
import { RecordedInvoke, RecordedResource } from "./record";
import { Rec, fromWire, toWire } from "./values";

// google-protobuf has no typings here; load the very copy @pulumi/pulumi uses (resolved from its
// directory) and describe the one function we need.
const requireFromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
/** `google.protobuf.Struct`, as the generated request/response classes type it. */
type Struct = Parameters<resproto.RegisterResourceResponse["setObject"]>[0];
const structproto = requireFromPulumi("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(o: Rec): Struct };
};

type Callback = (err: Error | null, resp?: unknown) => void;

/** Monitor features the simulation supports (`outputValues`, transforms and hooks need a real engine). */
const SUPPORTED_FEATURES = new Set(["secrets", "resourceReferences", "deletedWith", "replaceWith", "aliasSpecs", "parameterization"]);

function sortedUnique(xs: readonly string[]): string[] {
  return [...new Set(xs.filter((x) => x !== ""))].sort();
}


/**
 * Monitor that records requests and answers them from a {@link SimCloud}. All answers are given
 * synchronously (the SDK awaits the callback), which keeps the registration order a deterministic
 * function of the program.
 */
/** gRPC status code UNIMPLEMENTED (grpc `status.UNIMPLEMENTED`). */
const GRPC_UNIMPLEMENTED = 12;

export class SimMonitor {
  /** Registrations in order. */
  readonly resources: RecordedResource[] = [];
  /** Reads in order. */
  readonly reads: RecordedResource[] = [];
  /** Invokes in order. */
  readonly invokes: RecordedInvoke[] = [];
  /** Errors the simulated cloud raised (the originals; the SDK wraps them). */
  readonly errors: Error[] = [];
  /** URN of the stack root, once registered. */
  stackUrn = "";
  /** Stack outputs (from the stack's `registerResourceOutputs`). */
  stackOutputs: Rec = {};
  /** Number of requests served; used to detect progress while waiting. */
  requests = 0;
  private readonly byUrn = new Map<string, RecordedResource>();

  constructor(
    private readonly cloud: SimCloud,
    private readonly project: string,
    private readonly stack: string,
  ) {}

  /** URN the real engine would give a resource (parent type chain, stack root omitted). */
  newUrn(parent: string, type: string, name: string): string {
    let prefix = `urn:pulumi:${this.stack}::${this.project}::`;
    if (parent) {
      const parentPrefix = parent.substring(0, parent.lastIndexOf("::")) + "$";
      if (!parentPrefix.endsWith("::pulumi:pulumi:Stack$")) prefix = parentPrefix;
    }
    return `${prefix}${type}::${name}`;
  }

  /** SupportsFeature RPC. */
  supportsFeature(req: resproto.SupportsFeatureRequest, callback: Callback): void {
    const has = SUPPORTED_FEATURES.has(req.getId());
    callback(null, { getHassupport: () => has });
  }

  /**
   * GetDeploymentInfo RPC (asked by newer SDKs before `supportsFeature`): answered UNIMPLEMENTED, as
   * by an engine that predates it, so that every SDK version falls back to {@link supportsFeature}
   * (@pulumi/pulumi `runtime/settings` `getMonitorSupportedFeatures`).
   */
  getDeploymentInfo(_req: unknown, callback: Callback): void {
    const err = Object.assign(new Error("GetDeploymentInfo is not implemented by the simulated cloud"), { code: GRPC_UNIMPLEMENTED });
    callback(err);
  }

  /** RegisterResource RPC. */
  registerResource(req: resproto.RegisterResourceRequest, callback: Callback): void {
    this.requests++;
    const type = req.getType();
    const name = req.getName();
    const urn = this.newUrn(req.getParent(), type, name);
    const providerRef = req.getProvider() || undefined;
    const propertyDependencies: Record<string, string[]> = {};
    const pd: Array<[string, string[]]> = [];
    req.getPropertydependenciesMap().forEach((v, k) => pd.push([k, sortedUnique(v.getUrnsList())]));
    for (const [k, v] of pd.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) propertyDependencies[k] = v;
    const timeouts = req.getCustomtimeouts();
    const customTimeouts =
      timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
        ? {
            ...(timeouts.getCreate() ? { create: timeouts.getCreate() } : {}),
            ...(timeouts.getUpdate() ? { update: timeouts.getUpdate() } : {}),
            ...(timeouts.getDelete() ? { delete: timeouts.getDelete() } : {}),
          }
        : undefined;
    const record: RecordedResource = {
      urn,
      type,
      name,
      custom: req.getCustom(),
      operation: "register",
      remote: req.getRemote(),
      parent: req.getParent() || undefined,
      provider: providerRef,
      providerUrn: providerRef ? providerUrnOf(providerRef) : undefined,
      dependencies: sortedUnique(req.getDependenciesList()),
      propertyDependencies,
      protect: req.getProtect() === true,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: [...req.getIgnorechangesList()],
      additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()],
      replaceOnChanges: [...req.getReplaceonchangesList()],
      retainOnDelete: req.getRetainondelete() === true,
      deletedWith: req.getDeletedwith() || undefined,
      importId: req.getImportid() || undefined,
      aliases: [...req.getAliasurnsList(), ...req.getAliasesList().map(aliasToJs)],
      version: req.getVersion() || undefined,
      customTimeouts,
      replaceWith: [...req.getReplaceWithList()],
      hideDiffs: [...req.getHidediffsList()],
      inputs: fromWire(req.getObject()?.toJavaScript() ?? {}) as Rec,
      outputs: {},
    };
    for (const k of Object.keys(record) as Array<keyof RecordedResource>) if (record[k] === undefined) delete record[k];
    this.resources.push(record);
    if (type === "pulumi:pulumi:Stack" && !record.parent) this.stackUrn = urn;
    try {
      const { id, outputs } = this.cloud.resource({
        kind: "register",
        type,
        name,
        urn,
        custom: record.custom,
        remote: record.remote,
        inputs: record.inputs,
        id: record.importId,
        provider: this.cloud.providerByRef(providerRef),
        additionalSecretOutputs: record.additionalSecretOutputs,
        dependencies: record.dependencies,
      });
      if (record.custom) record.id = id;
      record.outputs = outputs;
      this.byUrn.set(urn, record);
      const resp = new resproto.RegisterResourceResponse();
      resp.setUrn(urn);
      resp.setId(id);
      resp.setObject(structproto.Struct.fromJavaScript(toWire(outputs) as Rec));
      callback(null, resp);
    } catch (e) {
      const err = this.fail(e);
      record.error = err.message;
      callback(err);
    }
  }

  /** ReadResource RPC (`X.get(name, id)`). */
  readResource(req: resproto.ReadResourceRequest, callback: Callback): void {
    this.requests++;
    const type = req.getType();
    const name = req.getName();
    const urn = this.newUrn(req.getParent(), type, name);
    const providerRef = req.getProvider() || undefined;
    const record: RecordedResource = {
      urn,
      type,
      name,
      custom: true,
      operation: "read",
      remote: false,
      id: req.getId(),
      parent: req.getParent() || undefined,
      provider: providerRef,
      providerUrn: providerRef ? providerUrnOf(providerRef) : undefined,
      dependencies: sortedUnique(req.getDependenciesList()),
      propertyDependencies: {},
      protect: false,
      deleteBeforeReplace: false,
      ignoreChanges: [],
      additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()],
      replaceOnChanges: [],
      retainOnDelete: false,
      aliases: [],
      version: req.getVersion() || undefined,
      replaceWith: [],
      hideDiffs: [],
      inputs: fromWire(req.getProperties()?.toJavaScript() ?? {}) as Rec,
      outputs: {},
    };
    for (const k of Object.keys(record) as Array<keyof RecordedResource>) if (record[k] === undefined) delete record[k];
    this.reads.push(record);
    try {
      const { id, outputs } = this.cloud.resource({
        kind: "read",
        type,
        name,
        urn,
        custom: true,
        remote: false,
        inputs: record.inputs,
        id: req.getId(),
        provider: this.cloud.providerByRef(providerRef),
        additionalSecretOutputs: record.additionalSecretOutputs,
        dependencies: record.dependencies,
      });
      record.id = id;
      record.outputs = outputs;
      const resp = new resproto.ReadResourceResponse();
      resp.setUrn(urn);
      resp.setProperties(structproto.Struct.fromJavaScript(toWire(outputs) as Rec));
      callback(null, resp);
    } catch (e) {
      const err = this.fail(e);
      record.error = err.message;
      callback(err);
    }
  }

  /** Invoke RPC (data sources, and the SDK-internal `pulumi:pulumi:getResource`). */
  invoke(req: resproto.ResourceInvokeRequest, callback: Callback): void {
    this.requests++;
    const token = req.getTok();
    const args = fromWire(req.getArgs()?.toJavaScript() ?? {}) as Rec;
    const resp = new provproto.InvokeResponse();
    if (token === "pulumi:pulumi:getResource") {
      const obj = this.cloud.byUrnGet(String(args["urn"]));
      if (!obj) {
        callback(this.fail(new SimCloudError(`simulated cloud: pulumi:pulumi:getResource: unknown resource ${String(args["urn"])}`)));
        return;
      }
      resp.setReturn(structproto.Struct.fromJavaScript({ urn: obj.urn, id: obj.id, state: toWire(obj.outputs) as Rec }));
      callback(null, resp);
      return;
    }
    const provider = req.getProvider() || undefined;
    const record: RecordedInvoke = { token, inputs: args, result: {} };
    if (provider) record.provider = provider;
    this.invokes.push(record);
    try {
      record.result = this.cloud.invoke(token, args, provider);
      resp.setReturn(structproto.Struct.fromJavaScript(toWire(record.result) as Rec));
      callback(null, resp);
    } catch (e) {
      // A missing mock always fails the run; an API error goes back to the program, which may handle
      // it (as the preflight does), and fails the run only if the program lets it escape.
      const err = e instanceof UnmockedInvokeError ? this.fail(e) : withDetails(e);
      record.error = err.message;
      callback(err);
    }
  }

  /** Call RPC (methods of multi-language components): not simulated. */
  call(req: resproto.ResourceCallRequest, callback: Callback): void {
    this.requests++;
    callback(this.fail(new SimCloudError(`simulated cloud has no mock for method call ${req.getTok()}`)));
  }

  /** RegisterResourceOutputs RPC (components' `registerOutputs`, and the stack outputs). */
  registerResourceOutputs(req: resproto.RegisterResourceOutputsRequest, callback: Callback): void {
    this.requests++;
    const urn = req.getUrn();
    const outputs = fromWire(req.getOutputs()?.toJavaScript() ?? {}) as Rec;
    if (urn === this.stackUrn) this.stackOutputs = outputs;
    const record = this.byUrn.get(urn);
    if (record && !record.custom) record.outputs = outputs;
    this.cloud.setComponentOutputs(urn, outputs);
    callback(null, {});
  }

  /** RegisterPackage RPC (parameterized providers): answers a deterministic package ref. */
  registerPackage(req: resproto.RegisterPackageRequest, callback: Callback): void {
    this.requests++;
    const resp = new resproto.RegisterPackageResponse();
    resp.setRef(uuid("package", req.getName(), req.getVersion()));
    callback(null, resp);
  }

  /** SignalAndWaitForShutdown RPC: nothing to wait for. */
  signalAndWaitForShutdown(_req: unknown, callback: Callback): void {
    callback(null, {});
  }

  /** Called by the SDK's `disconnectSync` (a real client closes its channel); nothing to do. */
  close(): void {}

  private fail(e: unknown): Error {
    const err = withDetails(e);
    this.errors.push(err);
    return err;
  }
}

/** The error as the SDK reads it: an `Error` with `details` (what the SDK reports for a failed call). */
function withDetails(e: unknown): Error {
  const err = e instanceof Error ? e : new SimCloudError(String(e));
  const d = err as Error & { details?: string };
  if (d.details === undefined) d.details = err.message;
  return err;
}

function aliasToJs(a: aliasproto.Alias): unknown {
  if (a.getUrn()) return a.getUrn();
  const s = a.getSpec();
  if (!s) return {};
  const out: Rec = {};
  if (s.getName()) out["name"] = s.getName();
  if (s.getType()) out["type"] = s.getType();
  if (s.getStack()) out["stack"] = s.getStack();
  if (s.getProject()) out["project"] = s.getProject();
  if (s.getParenturn()) out["parentUrn"] = s.getParenturn();
  if (s.getNoparent()) out["noParent"] = true;
  return out;
}
