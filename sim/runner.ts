/**
 * `simulate()`: runs a Pulumi program in-process against the simulated cloud.
 *
 * How it works (SDK internals of `@pulumi/pulumi` 3.x, checked against 3.248 and 3.276; each one is listed and checked in `sim/sdk.ts`):
 * - **Isolation/reset**: each simulation runs inside `runtime/state.withLocalStorage`, i.e. with a
 *   brand-new `LocalStore` in the SDK's `AsyncLocalStorage` (the mechanism the Automation API uses
 *   for inline programs). Settings, config, feature flags, the stack resource, the RPC keep-alive chain
 *   and the promise-leak set are all per-store, so sequential simulations cannot see each other.
 *   `runtime/settings.setMockOptions` installs our {@link SimMonitor} in that store (the same call
 *   `pulumi.runtime.setMocks` makes) and `runtime/config.setAllConfig` the config. Afterwards
 *   `runtime/settings.disconnectSync` clears the module-level monitor reference `setMockOptions` also
 *   sets. The global store (used by tests that call `setMocks` themselves) is never touched.
 * - **Program**: run through `runtime/stack.runInPulumiStack`, so the `pulumi:pulumi:Stack` root is
 *   registered and becomes every top-level resource's parent, and its outputs are registered.
 * - **Waiting**: the SDK chains every outstanding RPC on `store.settings.rpcDone` (`rpcKeepAlive`);
 *   pending SDK promises are tracked in `store.leakCandidates` (`debuggablePromise`, the basis of the
 *   SDK's "promise leak" detector). The run is complete when the program's stack outputs settled, the
 *   keep-alive chain is drained and stable across a macrotask, and no leak candidate is left.
 * - **Errors**: program throws reject the stack outputs; rejected `apply`s and failed registrations
 *   surface as unhandled promise rejections, which are captured with a `process` listener during the
 *   run (as the Automation API's language server does); errors raised by the simulated cloud are also
 *   recorded at the source. Any of them rejects `simulate` with a {@link SimulationError}.
 * - **Timeout**: if nothing settles within `timeoutMs`, the run is abandoned and rejected with the
 *   registrations whose URN never resolved (from the leak-candidate labels).
 * - **Serialization**: simulations are queued; only one runs at a time.
 *
 * @module
 */
import "./alicloud";
import "./alicloudAccount";
import "./kubernetes";
import "./tlsrandom";
import type * as pulumi from "@pulumi/pulumi";
import { InvokeHandler, ResourceHandler, SimCloud, SimExistingCluster, SimJobFailure } from "./cloud";
import type { SimCatalog } from "./catalog";
import { CATALOG } from "./catalogData";
import { SimMonitor } from "./monitor";
import { RecordedLog, SimulationResult, makeResult } from "./record";
import { StoreLike, sdkInternals } from "./sdk";
import { engineConfigValue } from "../config/pulumiConfig";


/** Options of {@link simulate}. */
export interface SimulationOptions {
  /** Pulumi project name. @default "ack-mesh" */
  project?: string;
  /** Stack name. @default "dev" */
  stack?: string;
  /** Organization name (`pulumi.getOrganization()`). @default "organization" */
  organization?: string;
  /**
   * Config by full key (`"ack-mesh:clusters"`, `"alicloud:region"`); a key without a namespace gets
   * the project's. Strings are passed as they are, everything else JSON-stringified (as Pulumi does
   * for structured config).
   */
  config?: Record<string, unknown>;
  /** Config keys whose values are secret (full keys, as in {@link SimulationOptions.config}). */
  secretConfigKeys?: string[];
  /**
   * Run as a preview (`pulumi.runtime.isDryRun()` is true). The simulated cloud still returns known
   * values for everything (unlike a real first preview, where new resources' outputs are unknown).
   * @default false
   */
  preview?: boolean;
  /** Give up (and reject) after this many milliseconds. @default 60000 */
  timeoutMs?: number;
  /** Region for alicloud resources without an explicit provider. @default config `alicloud:region`, else "cn-hangzhou" */
  defaultRegion?: string;
  /** Outputs of other stacks for `StackReference` reads, keyed by stack name (secrets as `Secret`). */
  stackReferences?: Record<string, Record<string, unknown>>;
  /** Extra or overriding invoke mocks, by token. */
  invokes?: Record<string, InvokeHandler>;
  /**
   * What the simulated account offers; the preflight's invokes are answered from it.
   * @default `CATALOG` (sim/catalogData.ts)
   */
  catalog?: SimCatalog;
  /** ACK clusters that already exist in the account (found by the preflight's `cs.getClusters`). @default none */
  existingClusters?: readonly SimExistingCluster[];
  /** Extra or overriding resource handlers, by type token. */
  resources?: Record<string, ResourceHandler>;
  /**
   * Jobs that fail, by Job name or resource name, with their pod's termination message; the update
   * then fails as the Kubernetes provider's Job await fails it. @default every Job completes
   */
  jobOutcomes?: Readonly<Record<string, SimJobFailure>>;
  /** Fail when the program logged an error through `pulumi.log.error`. @default true */
  failOnErrorLogs?: boolean;
  /**
   * Run on this simulated cloud instead of a new one, as several stacks deploy into one account:
   * what earlier simulations created on it exists (a reference to it is checked, not assumed), and
   * two stacks managing the same object fail. Its own options then apply: `defaultRegion`,
   * `stackReferences`, `catalog`, `existingClusters`, `invokes`, `resources` and `jobOutcomes` given
   * here are ignored (give them to the `SimCloud`).
   * The result's `warnings` are this run's only. @default a new cloud
   */
  cloud?: SimCloud;
}

/**
 * A failed simulation. `errors` holds the original errors (a program's throw, an `apply`'s rejection,
 * the simulated cloud's rejection of a request, …), `cause` the first of them, and `result` what was
 * recorded up to the failure.
 */
export class SimulationError extends Error {
  /** The original errors, de-duplicated, in the order they occurred. */
  readonly errors: unknown[];
  /** Whether the run was abandoned because of the timeout. */
  readonly timedOut: boolean;
  /** Registrations that never completed (only filled on timeout): `name [type]`. */
  readonly pending: string[];
  /** What the simulation recorded before it failed. */
  readonly result: SimulationResult;

  constructor(message: string, errors: unknown[], result: SimulationResult, timedOut = false, pending: string[] = []) {
    super(message, { cause: errors[0] });
    this.name = "SimulationError";
    this.errors = errors;
    this.result = result;
    this.timedOut = timedOut;
    this.pending = pending;
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` (a Pulumi program: create resources, return stack outputs) against the simulated
 * cloud and returns everything it registered. Calls are queued, so concurrent callers run one after
 * another.
 *
 * @throws SimulationError when the program throws, an `apply` rejects, a resource or invoke is
 *   rejected by the simulated cloud (including invokes it has no mock for), the program logs an error,
 *   or nothing settles within `timeoutMs`.
 */
export function simulate(program: () => unknown | Promise<unknown>, opts: SimulationOptions = {}): Promise<SimulationResult> {
  const run = queue.then(() => runOnce(program, opts));
  queue = run.catch(() => undefined);
  return run;
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
}

function configStrings(opts: SimulationOptions, project: string): { config: Record<string, string>; secretKeys: string[] } {
  const full = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.config ?? {})) {
    if (v === undefined) continue;
    config[full(k)] = engineConfigValue(v);
  }
  return { config, secretKeys: (opts.secretConfigKeys ?? []).map(full) };
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Outcome = "done" | "errors" | "timeout";

/** Waits until the run is complete, has failed and stopped moving, or the deadline passed. */
async function settle(store: StoreLike, monitor: SimMonitor, stackDone: Promise<unknown>, errorCount: () => number, deadline: number): Promise<Outcome> {
  let stackFinished = false;
  void stackDone.then(
    () => (stackFinished = true),
    () => (stackFinished = true),
  );
  let lastSignature = "";
  let stableRounds = 0;
  for (;;) {
    const rpcDone = store.settings.rpcDone;
    let rpcFinished = false;
    void rpcDone.then(
      () => (rpcFinished = true),
      () => (rpcFinished = true),
    );
    await macrotask();
    const quiet = stackFinished && rpcFinished && store.settings.rpcDone === rpcDone;
    if (quiet && store.leakCandidates.size === 0) return errorCount() > 0 ? "errors" : "done";
    const signature = `${monitor.requests}|${store.leakCandidates.size}|${stackFinished}|${rpcFinished}|${errorCount()}`;
    stableRounds = signature === lastSignature ? stableRounds + 1 : 0;
    lastSignature = signature;
    if (errorCount() > 0 && stableRounds >= 5) return "errors";
    if (Date.now() >= deadline) return "timeout";
    if (stableRounds > 3) await sleep(Math.min(stableRounds, 25));
  }
}

/** Labels of the SDK promises still pending (for the timeout message when no registration is). */
function pendingLabels(store: StoreLike): string[] {
  const labels = new Set<string>();
  for (const p of store.leakCandidates) if (p._debugCtx) labels.add(p._debugCtx);
  return [...labels].sort().slice(0, 10);
}

/** `name [type]` of registrations whose URN never resolved, from the SDK's leak-candidate labels. */
function pendingRegistrations(store: StoreLike): string[] {
  const out = new Set<string>();
  for (const p of store.leakCandidates) {
    const m = /^resolveURN\(resource:(.*)\[([^\]]*)\]\)$/.exec(p._debugCtx ?? "");
    if (m) out.add(`${m[1]} [${m[2]}]`);
  }
  return [...out].sort();
}

/** Captures the SDK's `[runtime]` console log lines (emitted when no engine is attached). */
function captureRuntimeLogs(logs: RecordedLog[]): () => void {
  const original = { log: console.log, warn: console.warn, error: console.error };
  const wrap = (fn: (...a: unknown[]) => void) => (...args: unknown[]) => {
    const first = args[0];
    const m = typeof first === "string" && args.length === 1 ? /^(info|warning|error): \[runtime\] ([\s\S]*)$/.exec(first) : null;
    if (m) logs.push({ severity: m[1] as RecordedLog["severity"], message: m[2] });
    else fn(...args);
  };
  console.log = wrap(original.log);
  console.warn = wrap(original.warn);
  console.error = wrap(original.error);
  return () => Object.assign(console, original);
}

/**
 * The SDK formats a full stack trace for every resource (`Resource.callsites`, source positions for
 * the engine) and every tracked promise (`debuggablePromise`). Under ts-node each of those goes through
 * source-map-support, which dominates simulation time. The simulation records neither, so while it
 * runs those two call sites get no frames at all. All other stacks (program errors, SDK errors) are
 * formatted as usual. Set `PULUMI_DEBUG_PROMISE_LEAKS` to keep the SDK's promise stacks.
 */
function fastSdkStackTraces(): () => void {
  const original = Error.prepareStackTrace;
  if (!original || process.env["PULUMI_DEBUG_PROMISE_LEAKS"]) return () => undefined;
  const fast = (err: Error, callsites: NodeJS.CallSite[]): unknown => {
    const fn = callsites[0]?.getFunctionName();
    if ((fn === "debuggablePromise" || fn === "callsites") && /[\\/]@pulumi[\\/]pulumi[\\/]/.test(callsites[0]?.getFileName() ?? "")) {
      return String(err);
    }
    return original(err, callsites);
  };
  Error.prepareStackTrace = fast;
  return () => {
    if (Error.prepareStackTrace === fast) Error.prepareStackTrace = original;
  };
}

async function runOnce(program: () => unknown | Promise<unknown>, opts: SimulationOptions): Promise<SimulationResult> {
  const project = opts.project ?? "ack-mesh";
  const stack = opts.stack ?? "dev";
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const { config, secretKeys } = configStrings(opts, project);
  const cloud =
    opts.cloud ??
    new SimCloud({
      defaultRegion: opts.defaultRegion ?? config["alicloud:region"] ?? "cn-hangzhou",
      stackReferences: opts.stackReferences,
      catalog: opts.catalog ?? CATALOG,
      existingClusters: opts.existingClusters,
      invokes: opts.invokes,
      resources: opts.resources,
      jobOutcomes: opts.jobOutcomes,
    });
  const warningsBefore = cloud.warnings.length;
  const monitor = new SimMonitor(cloud, project, stack);
  const errors: unknown[] = [];
  const addOne = (e: unknown) => {
    if (errors.includes(e)) return;
    const msg = messageOf(e);
    // The SDK wraps the simulated cloud's errors ("failed to register new resource x [t]: <original>");
    // keep only the original.
    if (errors.some((o) => messageOf(o) !== "" && msg.includes(messageOf(o)))) return;
    errors.push(e);
  };
  // The simulated cloud's own errors are recorded at the source, before the SDK sees them.
  const addError = (e: unknown) => {
    for (const own of monitor.errors) addOne(own);
    addOne(e);
  };
  const logs: RecordedLog[] = [];
  const onUnhandled = (reason: unknown) => addError(reason);
  process.on("unhandledRejection", onUnhandled);
  const restoreConsole = captureRuntimeLogs(logs);
  const restoreStacks = fastSdkStackTraces();
  let store: StoreLike | undefined;
  let outcome: Outcome;
  try {
    const sdk = sdkInternals();
    outcome = await sdk.withLocalStorage(async () => {
      store = sdk.getStore();
      sdk.setMockOptions(monitor, project, stack, opts.preview ?? false, opts.organization ?? "organization");
      sdk.setAllConfig(config, secretKeys);
      const stackDone = sdk.runInPulumiStack(async () => (await program()) as pulumi.Inputs | undefined);
      stackDone.catch(addError);
      const count = () => {
        for (const own of monitor.errors) addOne(own);
        return errors.length;
      };
      const outcome = await settle(store, monitor, stackDone, count, Date.now() + timeoutMs);
      // setMockOptions also stored the monitor in a module-level variable that code running outside
      // any simulation (and without setMocks) would pick up; drop it.
      sdk.disconnectSync();
      return outcome;
    });
  } finally {
    process.off("unhandledRejection", onUnhandled);
    restoreConsole();
    restoreStacks();
  }
  for (const own of monitor.errors) addOne(own);
  const result = makeResult({
    resources: monitor.resources,
    reads: monitor.reads,
    invokes: monitor.invokes,
    outputs: monitor.stackOutputs,
    stackUrn: monitor.stackUrn,
    logs,
    warnings: cloud.warnings.slice(warningsBefore),
  });
  if (outcome === "timeout") {
    const pending = store ? pendingRegistrations(store) : [];
    const message =
      `simulation timed out after ${timeoutMs} ms: ` +
      (pending.length
        ? `${pending.length} registration(s) never completed (an input that never resolves, or a dependency cycle):\n  ${pending.join("\n  ")}`
        : `the program (or one of its stack outputs) never settled` +
          (store && store.leakCandidates.size ? `; pending SDK operations: ${pendingLabels(store).join(", ")}` : "")) +
      (errors.length ? `\nerrors so far:\n  ${errors.map(messageOf).join("\n  ")}` : "");
    throw new SimulationError(message, errors, result, true, pending);
  }
  const errorLogs = logs.filter((l) => l.severity === "error");
  if (errors.length === 0 && (opts.failOnErrorLogs ?? true) && errorLogs.length > 0) {
    for (const l of errorLogs) errors.push(new Error(l.message));
  }
  if (errors.length > 0) {
    const message =
      errors.length === 1
        ? `simulation failed: ${messageOf(errors[0])}`
        : `simulation failed with ${errors.length} errors:\n${errors.map((e, n) => `  ${n + 1}. ${messageOf(e)}`).join("\n")}`;
    throw new SimulationError(message, errors, result);
  }
  return result;
}
