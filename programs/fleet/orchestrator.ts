/**
 * The fleet orchestrator's logic, free of Pulumi: which stacks run in which
 * order for `preview`, `up` and `destroy`, a bounded pool of concurrent
 * stacks per phase, fail-fast, and the per-stack summary. Running one stack
 * is a {@link StackRunner}: the Automation API (`automation.ts`) live, the
 * simulated cloud (`simulate.ts`) offline, a fake in tests.
 *
 * Order:
 * - `up` / `preview`: network → security groups → primaries → remotes →
 *   mesh → apps. A layer starts only when the previous one succeeded.
 * - `up` after remotes changed primary, or primaries became remotes: the
 *   security groups run twice, first keeping the deployed layout's rules next
 *   to the new ones (before the cluster stacks switch), and last, after
 *   every other stack, without them (deleting the rules only the deployed
 *   layout used).
 * - `up` after clusters were removed from the config, or primaries became
 *   remotes: first the stacks that read every cluster are updated without
 *   them (apps, then the mesh stacks), then the removed stacks are destroyed
 *   (the mesh stack of a removed or demoted primary, remotes, primaries,
 *   then the removed clusters' security groups), then the normal order runs
 *   (the network drops their VPCs; the remaining `sg-<name>` stacks drop the
 *   rules that admitted them).
 * - Changes that cannot be ordered in one `up` are refused before any stack
 *   runs ({@link refusedChanges}).
 * - `destroy`: apps → mesh → remotes → primaries → security groups → network.
 */
import { ClusterRelation, clusterStackId, deployedClusterStack, FLEET_LAYERS, FleetLayer, FleetStack, isClusterStack, meshStackOf, securityGroupStackOf } from "./layout";

/** A command of the orchestrator. */
export type FleetVerb = "preview" | "up" | "destroy";

/** What is done to one stack: `preview-destroy` previews its destruction (`Stack.previewDestroy`). */
export type StackAction = "preview" | "up" | "destroy" | "preview-destroy";

/** Stacks run together (concurrently, up to the pool size), all with the same action. */
export interface FleetPhase {
    /** Layer of the stacks. */
    readonly layer: FleetLayer;
    /** What is done to each of them. */
    readonly action: StackAction;
    /** The stacks, in the order they start. */
    readonly stacks: ReadonlyArray<FleetStack>;
}

/** A cluster the fleet has deployed (from the `network` stack's last outputs): its stack is `cluster-<name>`. */
export type DeployedCluster = ClusterRelation;

/** A deployed remote whose primary changes: it moves to another primary, or becomes a primary itself (`to` is then its own name). */
export interface PrimaryChange {
    readonly name: string;
    /** Its deployed primary. */
    readonly from: string;
    /** Its configured primary. */
    readonly to: string;
}

/** What changed between the deployed clusters and the config ({@link clusterChanges}). */
export interface ClusterChanges {
    /**
     * Stacks to destroy: the cluster stacks of clusters gone from the config
     * (in the layer of their deployed role), their `sg-<name>` stacks, then
     * the `mesh-<name>` stacks of deployed primaries that are no longer
     * primaries (gone or now remotes).
     */
    readonly removed: FleetStack[];
    /** Configured clusters the network has not deployed yet, sorted. */
    readonly added: string[];
    /** Deployed primaries that are remotes in the config, sorted. */
    readonly demoted: string[];
    /** Deployed remotes whose primary changes, sorted by name. */
    readonly moved: PrimaryChange[];
    /** The deployed role and primary of every configured cluster the network has deployed, sorted by name. */
    readonly deployed: DeployedCluster[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Which deployed clusters are gone from the config, which configured
 * clusters are new, which primaries become remotes and which remotes change
 * primary, given the clusters the `network` stack last exported. Nothing
 * changes when the network was never deployed (`deployed` undefined). Pure.
 */
export function clusterChanges(stacks: ReadonlyArray<FleetStack>, deployed: ReadonlyArray<DeployedCluster> | undefined): ClusterChanges {
    if (deployed === undefined) return { removed: [], added: [], demoted: [], moved: [], deployed: [] };
    const configured = new Map(stacks.filter(isClusterStack).map((s) => [s.cluster, s]));
    const known = new Set(deployed.map((c) => c.name));
    const gone = deployed.filter((c) => !configured.has(c.name)).sort(byName);
    const demoted = deployed.filter((c) => c.role === "primary" && configured.get(c.name)?.layer === "remotes").sort(byName);
    const moved: PrimaryChange[] = [];
    for (const c of [...deployed].sort(byName)) {
        const now = configured.get(c.name);
        if (c.role !== "remote" || now === undefined || c.controlledBy === undefined) continue;
        const to = now.layer === "primaries" ? c.name : now.primary;
        if (to !== c.controlledBy) moved.push({ name: c.name, from: c.controlledBy, to });
    }
    // Destroying a stack runs no program, so these read nothing.
    const removed: FleetStack[] = [
        ...gone.map(deployedClusterStack),
        ...gone.map((c) => securityGroupStackOf(c.name)),
        ...[...gone, ...demoted]
            .filter((c) => c.role === "primary")
            .sort(byName)
            .map((c) => meshStackOf(c.name)),
    ];
    return {
        removed,
        added: [...configured.keys()].filter((c) => !known.has(c)).sort(),
        demoted: demoted.map((c) => c.name),
        moved,
        deployed: deployed.filter((c) => configured.has(c.name)).sort(byName),
    };
}

/** Problem with the requested change that stops the orchestrator before any stack runs. */
export class FleetPlanError extends Error {}

const byLayer = (stacks: ReadonlyArray<FleetStack>, layer: FleetLayer) => stacks.filter((s) => s.layer === layer);

/**
 * The changes one `up` refuses, each with the two-step procedure that
 * applies it. Pure.
 * - Clusters added while others are removed or demoted: the mesh stacks run
 *   before the removal (to stop reading the removed clusters) and could read
 *   new clusters only after they exist.
 * - A remote leaving a primary that is removed in the same `up`: the
 *   remote's stack owns its remote secret in that primary and deletes it
 *   through the primary's API server, which the removal destroys first.
 * - Clusters added while remotes change primary: the first run of the
 *   security groups keeps the deployed layout's rules, which is planned over
 *   the deployed clusters' roles; apply the primary change first.
 */
export function refusedChanges(changes: Partial<ClusterChanges>): string[] {
    const { removed = [], added = [], demoted = [], moved = [] } = changes;
    const gone = removed.filter(isClusterStack).map((s) => s.cluster);
    const problems: string[] = [];
    if (added.length && gone.length) {
        problems.push(
            `clusters ${gone.join(", ")} were removed and ${added.join(", ")} added in the same change: ` +
                "the mesh must stop reading the removed clusters before they go and read the new ones after they exist; apply the removal first, then the addition",
        );
    }
    if (added.length && demoted.length) {
        problems.push(
            `primaries ${demoted.join(", ")} become remotes and ${added.join(", ")} are added in the same change: ` +
                "their mesh stacks are destroyed before the cluster stacks run, and the mesh reads new clusters only after they exist; apply the role change first, then the addition",
        );
    }
    if (added.length && moved.length) {
        problems.push(
            `${moved.map((m) => m.name).join(", ")} change primary and ${added.join(", ")} are added in the same change: ` +
                "the security groups keep the deployed roles' rules until the clusters have switched, which the new clusters' rules cannot be planned against; apply the primary change first, then the addition",
        );
    }
    for (const m of moved.filter((x) => gone.includes(x.from))) {
        problems.push(
            `${m.name} leaves its primary ${m.from} (${m.to === m.name ? "it becomes a primary" : `for ${m.to}`}) while ${m.from} is removed: ` +
                `${clusterStackId(m.name)} deletes its remote secret in ${m.from} through ${m.from}'s API server, which the removal destroys first; ` +
                `move ${m.name} first (an up with ${m.from} still in the config), then remove ${m.from}`,
        );
    }
    return problems;
}

/**
 * The phases of a command, in order. `stacks` is the environment's layout
 * (`fleetStacks`); `changes` what {@link clusterChanges} found (stacks to
 * destroy, new clusters, role and primary changes). Empty phases are left
 * out. Pure.
 * @throws FleetPlanError naming every change of {@link refusedChanges}
 */
export function fleetPhases(verb: FleetVerb, stacks: ReadonlyArray<FleetStack>, changes: Partial<ClusterChanges> = {}): FleetPhase[] {
    const removed = changes.removed ?? [];
    const phases: FleetPhase[] = [];
    const push = (layer: FleetLayer, action: StackAction, list: ReadonlyArray<FleetStack>) => {
        if (list.length) phases.push({ layer, action, stacks: list });
    };
    if (verb === "destroy") {
        const all = [...stacks, ...removed];
        for (const layer of [...FLEET_LAYERS].reverse()) push(layer, "destroy", byLayer(all, layer));
        return phases;
    }
    const refused = refusedChanges(changes);
    if (refused.length) throw new FleetPlanError(refused.join("\n"));
    if (removed.length) {
        const action: StackAction = verb === "up" ? "up" : "preview";
        push("apps", action, byLayer(stacks, "apps"));
        push("mesh", action, byLayer(stacks, "mesh"));
        const destroy: StackAction = verb === "up" ? "destroy" : "preview-destroy";
        push("mesh", destroy, byLayer(removed, "mesh"));
        push("remotes", destroy, byLayer(removed, "remotes"));
        push("primaries", destroy, byLayer(removed, "primaries"));
        push("security-groups", destroy, byLayer(removed, "security-groups"));
    }
    // A role or primary change: the groups first keep the deployed layout's rules next to the new one's,
    // so nothing a running cluster uses is deleted before its stack has switched; a last run drops them.
    // Only with every remote's primary known (a network stack older than `controlledBy` does not say).
    const known = changes.deployed?.length && changes.deployed.every((d) => d.role === "primary" || d.controlledBy !== undefined);
    const keep = known && ((changes.moved?.length ?? 0) > 0 || (changes.demoted?.length ?? 0) > 0) ? changes.deployed : undefined;
    for (const layer of FLEET_LAYERS) {
        // After a removal, the mesh and apps already ran above; they run again only to pick up nothing new.
        if (removed.length && (layer === "mesh" || layer === "apps")) continue;
        const list = byLayer(stacks, layer);
        push(layer, verb, keep && layer === "security-groups" ? list.map((st) => ({ ...st, keepDeployed: keep })) : list);
    }
    if (keep) push("security-groups", verb, byLayer(stacks, "security-groups"));
    return phases;
}

/** What running one stack returned. */
export interface StackRunResult {
    /** Stack outputs, secrets included (passed to later stacks by the offline runner). */
    readonly outputs?: Record<string, unknown>;
    /** Resource operations by kind (`create`, `update`, `same`, …). */
    readonly changes?: Readonly<Record<string, number>>;
}

/** Runs one stack. Throws when the stack fails. */
export interface StackRunner {
    /**
     * @param upstream outputs of the stacks that already ran in this command, by stack id
     */
    run(stack: FleetStack, action: StackAction, upstream: ReadonlyMap<string, Record<string, unknown>>): Promise<StackRunResult>;
}

/** The outcome of one stack. */
export interface StackOutcome {
    /** The stack. */
    readonly stack: FleetStack;
    /** What was (or would have been) done to it. */
    readonly action: StackAction;
    /** `skipped`: not started because a stack of this or an earlier phase failed. */
    readonly status: "succeeded" | "failed" | "skipped";
    /** Wall time, ms (0 when skipped). */
    readonly durationMs: number;
    /** Resource operations by kind, as the runner reported them (absent when failed or skipped). */
    readonly changes?: Readonly<Record<string, number>>;
    /** The failure's message. */
    readonly error?: string;
}

/** Options of {@link runFleet}. */
export interface RunFleetOptions {
    /** Most stacks running at once. @default 8 */
    pool?: number;
    /** Clock, ms. @default Date.now */
    now?: () => number;
    /** Called when a stack starts and when it ends. */
    onEvent?: (event: { kind: "start" | "end"; stack: FleetStack; action: StackAction; outcome?: StackOutcome }) => void;
}

/** Default size of the pool of concurrent stacks. */
export const DEFAULT_POOL = 8;

/** The result of {@link runFleet}. */
export interface FleetRunResult {
    /** True when every stack succeeded. */
    readonly ok: boolean;
    /** One per stack of every phase, in phase order, then stack order. */
    readonly outcomes: StackOutcome[];
    /** Outputs by stack id, of the stacks that succeeded. */
    readonly outputs: ReadonlyMap<string, Record<string, unknown>>;
}

function messageOf(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/**
 * Runs the phases in order, each with at most `pool` stacks at a time,
 * starting them in the phase's order. After the first failure in a phase no
 * further stack of it starts (those running finish), and no later phase
 * runs: their stacks are reported `skipped`.
 */
export async function runFleet(phases: ReadonlyArray<FleetPhase>, runner: StackRunner, options: RunFleetOptions = {}): Promise<FleetRunResult> {
    const pool = options.pool ?? DEFAULT_POOL;
    if (!Number.isInteger(pool) || pool < 1) throw new RangeError(`pool must be a positive integer, got ${pool}`);
    const now = options.now ?? Date.now;
    const outputs = new Map<string, Record<string, unknown>>();
    const outcomes: StackOutcome[] = [];
    let failed = false;
    for (const phase of phases) {
        const results: (StackOutcome | undefined)[] = phase.stacks.map(() => undefined);
        let next = 0;
        const worker = async () => {
            while (!failed && next < phase.stacks.length) {
                const i = next++;
                const stack = phase.stacks[i];
                options.onEvent?.({ kind: "start", stack, action: phase.action });
                const t0 = now();
                let outcome: StackOutcome;
                try {
                    const r = await runner.run(stack, phase.action, outputs);
                    if (r.outputs && (phase.action === "up" || phase.action === "preview")) outputs.set(stack.id, r.outputs);
                    outcome = { stack, action: phase.action, status: "succeeded", durationMs: now() - t0, ...(r.changes ? { changes: r.changes } : {}) };
                } catch (e) {
                    failed = true;
                    outcome = { stack, action: phase.action, status: "failed", durationMs: now() - t0, error: messageOf(e) };
                }
                results[i] = outcome;
                options.onEvent?.({ kind: "end", stack, action: phase.action, outcome });
            }
        };
        if (!failed) await Promise.all(Array.from({ length: Math.min(pool, phase.stacks.length) }, worker));
        phase.stacks.forEach((stack, i) => outcomes.push(results[i] ?? { stack, action: phase.action, status: "skipped", durationMs: 0 }));
    }
    return { ok: !failed, outcomes, outputs };
}

/**
 * How long a phase takes with `pool` workers when stack `i` takes
 * `durations[i]` and stacks start in order, each on the first free worker
 * (what {@link runFleet} does). Pure.
 */
export function poolMakespan(durations: ReadonlyArray<number>, pool: number): number {
    if (!Number.isInteger(pool) || pool < 1) throw new RangeError(`pool must be a positive integer, got ${pool}`);
    const free = Array.from({ length: Math.min(pool, durations.length) }, () => 0);
    for (const d of durations) {
        let w = 0;
        for (let k = 1; k < free.length; k++) if (free[k] < free[w]) w = k;
        free[w] += d;
    }
    return free.length ? Math.max(...free) : 0;
}

/** `create 3, update 1`: the non-zero changes other than `same`, sorted by kind; `no changes` when none. */
export function changesText(changes: Readonly<Record<string, number>> | undefined): string {
    if (!changes) return "";
    const parts = Object.entries(changes)
        .filter(([k, n]) => k !== "same" && n > 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, n]) => `${k} ${n}`);
    return parts.length ? parts.join(", ") : "no changes";
}

/** The per-stack summary: one row per stack (stack, layer, action, status, seconds, changes or error). */
export function summaryRows(outcomes: ReadonlyArray<StackOutcome>): string[][] {
    return outcomes.map((o) => [
        o.stack.id,
        o.stack.layer,
        o.action,
        o.status,
        o.status === "skipped" ? "" : (o.durationMs / 1000).toFixed(1),
        o.status === "failed" ? (o.error ?? "").split("\n")[0] : changesText(o.changes),
    ]);
}

/** Column headings of {@link summaryRows}. */
export const SUMMARY_HEADINGS = ["stack", "layer", "action", "status", "seconds", "changes"];
