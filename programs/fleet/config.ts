/**
 * How a fleet stack reads the environment's config: the same parser and
 * planner as the monolith (`planTopology`), over the config the orchestrator
 * gave the stack ({@link configForStack}). Only the `ca` stack is given the
 * shared root's secret config (`ack-mesh:caRootCert` / `ack-mesh:caRootKey`,
 * when `mesh.ca.source: config`); for the others the config check that those
 * keys are set is satisfied by a marker, never by the keys, which they do
 * not read (the `ca` stack checks them, and the orchestrator checks that
 * each is given before any stack runs).
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_CONFIG_KEYS } from "../../config/load";
import { namespaceConfig } from "../../config/pulumiConfig";
import { PlannedTopology, planTopology } from "../compose";
import { CA_STACK_ID, ClusterRelation, KEEP_DEPLOYED_CONFIG_KEY } from "./layout";

/** What a stack other than `ca` sees in place of the root CA's secret config. */
export const CA_ROOT_HELD_BY_CA_STACK = "(held by the ca stack)";

/**
 * The namespaced config of stack `stackId`, with the root CA's secret keys
 * marked present for every stack but `ca` (see the module comment). Pure.
 */
export function fleetRawConfig(stackId: string, raw: Record<string, unknown>): Record<string, unknown> {
    if (stackId === CA_STACK_ID) return raw;
    return { ...raw, ...Object.fromEntries(SECRET_CONFIG_KEYS.filter((k) => raw[k] === undefined).map((k) => [k, CA_ROOT_HELD_BY_CA_STACK])) };
}

/** The namespaced config of the running stack `stackId` ({@link fleetRawConfig} of its `ack-mesh:` keys). */
function runningRawConfig(stackId: string): Record<string, unknown> {
    return fleetRawConfig(stackId, namespaceConfig(pulumi.runtime.allConfig()));
}

/**
 * The planned topology, from the config of the running stack `stackId`.
 * The config is validated whole (CIDRs, roles, networks) in every stack;
 * security-group rule counts only for `groupsOf`, the groups this stack
 * creates (an `sg-<name>` stack's own): the orchestrator checks every group
 * before the first stack runs (`npm run fleet`), and a mesh's rules are
 * O(N²) to plan, a group's O(N).
 * @param groupsOf the clusters whose groups this stack creates; default none
 */
export function fleetTopology(stackId: string, groupsOf: ReadonlyArray<string> = []): PlannedTopology {
    return planTopology(runningRawConfig(stackId), groupsOf);
}

/**
 * The environment's raw config with the clusters' roles and primaries set
 * back to `relations` (the deployed ones) and `mesh.topology` set to
 * `multi-primary-remote`, which holds any mix of primaries and remotes.
 * Clusters not in the config are left out; a deployed remote without a
 * recorded primary keeps its configured role. Pure.
 */
export function withRelations(raw: Record<string, unknown>, relations: ReadonlyArray<ClusterRelation>): Record<string, unknown> {
    const clusters = { ...(raw.clusters as Record<string, Record<string, unknown>>) };
    for (const r of relations) {
        const c = clusters[r.name];
        if (c === undefined) continue;
        if (r.role === "primary") {
            const { controlPlane: _, ...rest } = c;
            clusters[r.name] = { ...rest, role: "primary" };
        } else if (r.controlledBy !== undefined) {
            clusters[r.name] = { ...c, role: "remote", controlPlane: r.controlledBy };
        }
    }
    return { ...raw, mesh: { ...(raw.mesh as Record<string, unknown>), topology: "multi-primary-remote" }, clusters };
}

/**
 * The deployed layout an `sg-<name>` stack keeps the rules of while a role
 * or primary change is applied ({@link KEEP_DEPLOYED_CONFIG_KEY}, set by the
 * orchestrator), planned from this stack's config with the deployed roles
 * and primaries; undefined when the key is not set.
 */
export function keptLayout(stackId: string): PlannedTopology | undefined {
    const [namespace, key] = KEEP_DEPLOYED_CONFIG_KEY.split(":");
    const relations = new pulumi.Config(namespace).getObject<ClusterRelation[]>(key);
    if (relations === undefined) return undefined;
    // Its rules are checked merged with the configured layout's, by SecurityGroupPeering.
    return planTopology(withRelations(runningRawConfig(stackId), relations), []);
}
