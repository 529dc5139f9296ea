/**
 * The @pulumi/pulumi internals the simulated cloud needs (sim/sdk.ts): all present in the installed
 * SDK, and a missing one is named before any run.
 */
import * as assert from "node:assert/strict";
import * as configRuntime from "@pulumi/pulumi/runtime/config";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as stateModule from "@pulumi/pulumi/runtime/state";
import { SDK_INTERNALS, sdkInternalProblems, sdkInternals } from "../../sim/sdk";

describe("sim: @pulumi/pulumi internals", () => {
    it("the installed SDK has every internal the simulator uses", () => {
        assert.deepStrictEqual(sdkInternalProblems(), []);
        assert.deepStrictEqual(Object.keys(sdkInternals()).sort(), Object.keys(SDK_INTERNALS).sort());
    });

    it("names each internal a (future) SDK lacks", () => {
        const modules = {
            "@pulumi/pulumi/runtime/state": { ...stateModule, getStore: undefined },
            "@pulumi/pulumi/runtime/settings": settings,
            "@pulumi/pulumi/runtime/config": configRuntime,
            "@pulumi/pulumi/runtime/stack": {},
        };
        assert.deepStrictEqual(sdkInternalProblems(modules), [
            "@pulumi/pulumi/runtime/state has no function getStore (the simulator's getStore)",
            "@pulumi/pulumi/runtime/stack has no function runInPulumiStack (the simulator's runInPulumiStack)",
        ]);
    });
});
