/**
 * The floor: what the SDK and the mock runtime cost per registration, with no program on top.
 *
 * {@link floorProgram} registers exactly `registrations` resources (the stack, one Kubernetes
 * provider and `registrations − 2` bare ConfigMaps with constant inputs, no outputs read, no
 * dependencies) under the same runtime the benchmark's cases use (`simulate()`, the simulated
 * cloud answering each registration). Timing it next to a case with the same number of
 * registrations gives the case's cost as a ratio to what any Pulumi program of that size pays:
 * a ratio near 1 means the remaining time is the SDK's, and only fewer registrations (a smaller
 * stack) make it faster.
 *
 * @module
 */
import * as k8s from "@pulumi/kubernetes";

/** The kubeconfig of the floor's provider: never used to connect (the simulated cloud answers). */
const FLOOR_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: [{name: floor, cluster: {server: https://127.0.0.1:6443}}]\ncontexts: [{name: floor, context: {cluster: floor, user: floor}}]\ncurrent-context: floor\nusers: [{name: floor, user: {token: floor}}]\n";

/** Registrations the floor program makes besides its ConfigMaps: the stack and the provider. */
export const FLOOR_OVERHEAD = 2;

/**
 * A program that registers exactly `registrations` resources (≥ {@link FLOOR_OVERHEAD}), counting
 * the `pulumi:pulumi:Stack` that `simulate()` registers around it.
 */
export function floorProgram(registrations: number): () => Record<string, unknown> {
    if (!Number.isInteger(registrations) || registrations < FLOOR_OVERHEAD) {
        throw new RangeError(`the floor needs at least ${FLOOR_OVERHEAD} registrations (stack and provider), got ${registrations}`);
    }
    return () => {
        const provider = new k8s.Provider("floor-k8s", { kubeconfig: FLOOR_KUBECONFIG });
        for (let i = 0; i < registrations - FLOOR_OVERHEAD; i++) {
            new k8s.core.v1.ConfigMap(`floor-${i}`, { metadata: { name: `floor-${i}`, namespace: "default" }, data: { index: String(i) } }, { provider });
        }
        return {};
    };
}
