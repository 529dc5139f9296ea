/**
 * Determinism: evaluating a stack twice gives the identical recorded plan, byte for byte
 * (`stableStringify(canonicalPlan(…))`), and the identical (redacted) stack outputs. Also when the
 * config reaches the program through another path (the raw `ack-mesh:` object instead of the stack
 * file) or with its maps in another key order: neither may change a plan, or `pulumi preview` would
 * show phantom diffs between two machines.
 */
import * as assert from "node:assert/strict";
import { canonicalPlan, SimulationResult, stableStringify, stackNames } from "../support";
import { PROJECT, Raw, rawOfStack, simulateRaw, simulateStack, simulateStackAgain } from "./support";

function planText(stack: string, r: SimulationResult): string {
    return stableStringify(canonicalPlan(r, { stack, project: PROJECT }));
}

/** The first line where two texts differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
    const la = a.split("\n");
    const lb = b.split("\n");
    for (let i = 0; i < Math.max(la.length, lb.length); i++) {
        if (la[i] !== lb[i]) return `line ${i + 1}:\n  first:  ${la[i]}\n  second: ${lb[i]}`;
    }
    return "(identical)";
}

function assertSameText(a: string, b: string, what: string): void {
    if (a !== b) assert.fail(`${what} differ at ${firstDifference(a, b)}`);
}

/** The same config with the key order of every map reversed (top level, clusters, VPCs, pools, placement). */
function reversedKeys(raw: Raw): Raw {
    const rev = <V>(o: Record<string, V>): Record<string, V> => Object.fromEntries(Object.entries(o).reverse());
    const out = rev(structuredClone(raw));
    out.clusters = rev(out.clusters);
    for (const c of Object.values<any>(out.clusters)) if (c.nodePools) c.nodePools = rev(c.nodePools);
    if (out.vpcs) out.vpcs = rev(out.vpcs);
    if (out.bookinfo?.placement) out.bookinfo.placement = rev(out.bookinfo.placement);
    return out;
}

describe("reliability: determinism of every stack's plan", function () {
    this.timeout(120_000);

    for (const stack of stackNames()) {
        describe(stack, () => {
            it("two evaluations of the stack file give byte-identical canonical plans and stack outputs", async () => {
                const [first, second] = [await simulateStack(stack), await simulateStackAgain(stack)];
                const a = planText(stack, first);
                const b = planText(stack, second);
                assert.ok(a.length > 1000, "the plan is not trivially empty");
                assertSameText(a, b, "the canonical plans");
                assertSameText(stableStringify(first.outputs), stableStringify(second.outputs), "the redacted stack outputs");
            });

            it("the raw config object and the stack file give the same plan", async () => {
                const fromFile = planText(stack, await simulateStack(stack));
                assertSameText(fromFile, planText(stack, await simulateRaw(stack, rawOfStack(stack))), "plans from the file and from the raw config");
            });

            it("the key order of the config's maps does not change the plan", async () => {
                const fromFile = planText(stack, await simulateStack(stack));
                assertSameText(fromFile, planText(stack, await simulateRaw(stack, reversedKeys(rawOfStack(stack)))), "plans of the config and of its key-reversed copy");
            });
        });
    }
});
