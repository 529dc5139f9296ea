/**
 * The `@pulumi/pulumi` runtime internals the simulated cloud drives, in one place. (The gRPC
 * message classes it answers with, `@pulumi/pulumi/proto/*` and the SDK's own `google-protobuf`,
 * are loaded by `sim/monitor.ts`; they are generated code that changes with the protocol only.)
 *
 * The public SDK has `pulumi.runtime.setMocks`, but it cannot isolate one run from the next, wait for
 * every outstanding RPC, or record what ack-mesh records; so the simulator drives the runtime itself
 * through these modules. Each is checked by {@link sdkInternalProblems} before a simulation starts,
 * so an SDK release that moves one fails with a message that names it, not deep inside a run;
 * `test/sim/sdk.spec.ts` runs the check, and the packed-package test runs the simulator at both ends
 * of the supported `@pulumi/pulumi` range.
 *
 * @module
 */
import * as configRuntime from "@pulumi/pulumi/runtime/config";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as stackRuntime from "@pulumi/pulumi/runtime/stack";
import * as stateModule from "@pulumi/pulumi/runtime/state";

/** A promise the SDK tracks (`debuggablePromise`), with its label. */
export interface PendingPromise extends Promise<unknown> {
    _debugCtx?: string;
}

/** The parts of the SDK's per-run store the simulator reads. */
export interface StoreLike {
    settings: { rpcDone: Promise<void> };
    leakCandidates: Set<PendingPromise>;
}

/** The internals, typed as the simulator uses them. */
export interface SdkInternals {
    /** `runtime/state.withLocalStorage`: runs `cb` with a fresh per-run store. */
    withLocalStorage<T>(cb: () => T): T;
    /** `runtime/state.getStore`: the current run's store. */
    getStore(): StoreLike;
    /** `runtime/settings.setMockOptions`: installs a monitor for this run. */
    setMockOptions(monitor: unknown, project: string, stack: string, preview: boolean, organization: string): void;
    /** `runtime/settings.disconnectSync`: drops the module-level monitor reference. */
    disconnectSync(): void;
    /** `runtime/config.setAllConfig`: the run's config and its secret keys. */
    setAllConfig(config: Record<string, string>, secretKeys: string[]): void;
    /** `runtime/stack.runInPulumiStack`: runs the program as the stack resource. */
    runInPulumiStack(program: () => Promise<unknown>): Promise<unknown>;
}

/** Where each internal lives: `[module, export]`, for messages. */
export const SDK_INTERNALS: Readonly<Record<keyof SdkInternals, readonly [string, string]>> = {
    withLocalStorage: ["@pulumi/pulumi/runtime/state", "withLocalStorage"],
    getStore: ["@pulumi/pulumi/runtime/state", "getStore"],
    setMockOptions: ["@pulumi/pulumi/runtime/settings", "setMockOptions"],
    disconnectSync: ["@pulumi/pulumi/runtime/settings", "disconnectSync"],
    setAllConfig: ["@pulumi/pulumi/runtime/config", "setAllConfig"],
    runInPulumiStack: ["@pulumi/pulumi/runtime/stack", "runInPulumiStack"],
};

const MODULES: Readonly<Record<string, unknown>> = {
    "@pulumi/pulumi/runtime/state": stateModule,
    "@pulumi/pulumi/runtime/settings": settings,
    "@pulumi/pulumi/runtime/config": configRuntime,
    "@pulumi/pulumi/runtime/stack": stackRuntime,
};

/**
 * The internals that `modules` lacks (each a function today), as messages; empty when all are there.
 * @param modules module objects by specifier. @default the installed SDK's
 */
export function sdkInternalProblems(modules: Readonly<Record<string, unknown>> = MODULES): string[] {
    const out: string[] = [];
    for (const [name, [mod, exp]] of Object.entries(SDK_INTERNALS)) {
        const m = modules[mod] as Record<string, unknown> | undefined;
        if (typeof m?.[exp] !== "function") out.push(`${mod} has no function ${exp} (the simulator's ${name})`);
    }
    return out;
}

/** The installed SDK's internals. @throws Error naming every missing internal */
export function sdkInternals(): SdkInternals {
    const problems = sdkInternalProblems();
    if (problems.length) {
        throw new Error(
            `ack-mesh's simulated cloud does not support this @pulumi/pulumi: ${problems.join("; ")}. Use a version in ack-mesh's peerDependencies range.`,
        );
    }
    const state = stateModule as unknown as Pick<SdkInternals, "withLocalStorage" | "getStore">;
    return {
        withLocalStorage: (cb) => state.withLocalStorage(cb),
        getStore: () => state.getStore(),
        setMockOptions: (monitor, project, stack, preview, organization) =>
            (settings.setMockOptions as unknown as SdkInternals["setMockOptions"])(monitor, project, stack, preview, organization),
        disconnectSync: () => settings.disconnectSync(),
        setAllConfig: (config, secretKeys) => configRuntime.setAllConfig(config, secretKeys),
        runInPulumiStack: (program) => stackRuntime.runInPulumiStack(program as () => Promise<never>),
    };
}
