/**
 * What the benchmark measures on one simulation result: resource counts (total, by type, remote
 * secrets) and the simulated `pulumi up` time, computed on the recorded dependency graph
 * (`sim`'s `dependencyGraph` / `criticalPath`) with the reference times of `weights.ts`.
 *
 * Three durations are reported, all in minutes:
 *
 * - **Critical path** (`simulatedUpMinutes`): the longest chain of waits, i.e. `pulumi up` with
 *   unlimited parallelism. Pulumi's default parallelism is unbounded for the Node.js runtime,
 *   and every resource here is an independent cloud/API operation, so this is the model of one
 *   `pulumi up`.
 * - **Sequential** (`sequentialUpMinutes`): the manual guides' procedure, one cluster at a time.
 *   Every resource is given an *owner* ({@link ownership}): one cluster, or `shared` (CEN, transit
 *   routers and their inter-region peerings, region providers, the shared root CA). The sequential
 *   time is the shared setup's own critical path plus, for each cluster in turn, the critical path
 *   of that cluster's resources alone — i.e. `criticalPath(graph, w)` where `w` is the reference
 *   time for the bucket's resources and 0 for everything else (already done in an earlier step).
 *   Within one cluster's step the operator is still assumed to overlap independent work perfectly,
 *   so this is a *lower bound* of the manual procedure (it favours the sequential side).
 * - **Fully serial** (`serialSumMinutes`): the sum of all reference times, one resource at a time;
 *   a pessimistic upper bound, reported for context only.
 *
 * @module
 */
import { criticalPath, defaultWeight, dependencyGraph, DependencyGraph, GraphNode, GraphSource, RecordedResource, SimulationResult, topologicalOrder, WeightFn } from "../sim";
import { referenceWeight } from "./weights";

/** Type tokens used below. */
export const TYPES = {
    cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
    k8sProvider: "pulumi:providers:kubernetes",
    secret: "kubernetes:core/v1:Secret",
    remoteSecretComponent: "ack-mesh:mesh:RemoteSecret",
    securityGroupRule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
} as const;

/** Name prefix of an Istio remote secret (`istioctl create-remote-secret`'s naming). */
export const REMOTE_SECRET_PREFIX = "istio-remote-secret-";

/** The owner of resources that belong to no single cluster. */
export const SHARED = "shared";

/** Resource counts of one simulation. */
export interface ResourceCounts {
    /** Registrations (custom resources, components, providers, the stack). */
    readonly total: number;
    /** Custom resources (including providers). */
    readonly custom: number;
    /** Component resources (and the stack root). */
    readonly components: number;
    /** Reads (`X.get`). */
    readonly reads: number;
    /** Registrations by type, sorted by type; reads as `<type> (read)`. */
    readonly byType: Record<string, number>;
    /** Dependencies as sent with the registrations (`dependencies` + `propertyDependencies`, not de-duplicated): what the SDK and the engine process. */
    readonly recordedDependencies: number;
    /** The most dependencies of one registration, and its type. */
    readonly maxDependencies: { readonly count: number; readonly type: string };
    /** The most security-group rules in one group (by the rules' `securityGroupId` input); Alibaba allows 200. */
    readonly largestSecurityGroupRules: number;
}

/** Counts the registrations and reads of a simulation. */
export function countResources(result: Pick<SimulationResult, "resources" | "reads">): ResourceCounts {
    const byType: Record<string, number> = {};
    for (const r of result.resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
    for (const r of result.reads) byType[`${r.type} (read)`] = (byType[`${r.type} (read)`] ?? 0) + 1;
    const custom = result.resources.filter((r) => r.custom).length;
    let recordedDependencies = 0;
    let maxDependencies = { count: 0, type: "" };
    const rulesPerGroup = new Map<unknown, number>();
    for (const r of result.resources) {
        if (r.type === TYPES.securityGroupRule) rulesPerGroup.set(r.inputs.securityGroupId, (rulesPerGroup.get(r.inputs.securityGroupId) ?? 0) + 1);
        let d = r.dependencies.length;
        for (const list of Object.values(r.propertyDependencies)) d += list.length;
        recordedDependencies += d;
        if (d > maxDependencies.count) maxDependencies = { count: d, type: r.type };
    }
    return {
        total: result.resources.length,
        custom,
        components: result.resources.length - custom,
        reads: result.reads.length,
        byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        recordedDependencies,
        maxDependencies,
        largestSecurityGroupRules: Math.max(0, ...rulesPerGroup.values()),
    };
}

function metadataName(r: RecordedResource): string {
    const md = r.inputs.metadata as Record<string, unknown> | undefined;
    return typeof md?.name === "string" ? md.name : "";
}

/** The Istio remote secrets (Kubernetes Secrets named `istio-remote-secret-*`). */
export function remoteSecrets(result: Pick<SimulationResult, "resources">): RecordedResource[] {
    return result.resources.filter((r) => r.type === TYPES.secret && r.custom && metadataName(r).startsWith(REMOTE_SECRET_PREFIX));
}

/** Edge kinds of `from → to`, by `from`. */
function edgeIndex(graph: DependencyGraph): Map<string, Map<string, readonly string[]>> {
    const out = new Map<string, Map<string, readonly string[]>>();
    for (const e of graph.edges) {
        let m = out.get(e.from);
        if (!m) out.set(e.from, (m = new Map()));
        m.set(e.to, e.kinds);
    }
    return out;
}

/**
 * Assigns every node to one cluster (the URN of its ACK cluster resource) or to {@link SHARED},
 * in topological order:
 *
 * 1. an ACK cluster owns itself; components, the stack root and alicloud providers are shared;
 * 2. a resource on a cluster's Kubernetes provider belongs to that cluster (the remote secret
 *    of X in the primary P belongs to P: it is applied in P);
 * 3. a resource that is a prerequisite of exactly one ACK cluster (its VPC, vSwitches, security
 *    group) belongs to it;
 * 4. otherwise a resource belongs to the single cluster owning what it depends on (node pools,
 *    Kubernetes providers, security-group rules, the VPC's transit-router attachment); with no
 *    owned dependency, or dependencies owned by several clusters, it is shared.
 *
 * Provider edges other than a Kubernetes provider's are ignored (a region provider is shared by
 * every cluster of the region).
 */
export function ownership(graph: DependencyGraph, order?: readonly string[]): Map<string, string> {
    const edges = edgeIndex(graph);
    const isProvider = (urn: string) => graph.nodes.get(urn)?.kind === "provider";
    // Rule 3: prerequisites of each ACK cluster (transitively, through non-provider nodes).
    const prerequisiteOf = new Map<string, Set<string>>();
    for (const ack of [...graph.nodes.values()].filter((n) => n.type === TYPES.cluster && n.kind === "custom")) {
        const seen = new Set<string>();
        const stack = [...(graph.waitsFor.get(ack.urn) ?? [])];
        while (stack.length) {
            const u = stack.pop()!;
            if (seen.has(u) || isProvider(u)) continue;
            seen.add(u);
            stack.push(...(graph.waitsFor.get(u) ?? []));
        }
        for (const u of seen) {
            let s = prerequisiteOf.get(u);
            if (!s) prerequisiteOf.set(u, (s = new Set()));
            s.add(ack.urn);
        }
    }
    const owner = new Map<string, string>();
    const topo = order ?? topologicalOrder(graph);
    for (const urn of topo) {
        const node = graph.nodes.get(urn)!;
        owner.set(urn, ownerOf(node, graph, edges, prerequisiteOf, owner));
    }
    return owner;
}

function ownerOf(
    node: GraphNode,
    graph: DependencyGraph,
    edges: Map<string, Map<string, readonly string[]>>,
    prerequisiteOf: Map<string, Set<string>>,
    owner: Map<string, string>,
): string {
    if (node.type === TYPES.cluster && node.kind === "custom") return node.urn;
    if (node.kind === "component" || node.kind === "stack") return SHARED;
    if (node.kind === "provider" && node.type !== TYPES.k8sProvider) return SHARED;
    const out = edges.get(node.urn) ?? new Map<string, readonly string[]>();
    for (const [to, kinds] of out) {
        if (kinds.includes("provider") && graph.nodes.get(to)?.type === TYPES.k8sProvider) return owner.get(to) ?? SHARED;
    }
    const pre = prerequisiteOf.get(node.urn);
    if (pre && pre.size === 1) return [...pre][0];
    const owners = new Set<string>();
    for (const [to, kinds] of out) {
        if (!kinds.includes("dependency")) continue;
        const o = owner.get(to);
        if (o && o !== SHARED) owners.add(o);
    }
    return owners.size === 1 ? [...owners][0] : SHARED;
}

/** One step of a reported critical path. */
export interface PathStep {
    readonly type: string;
    readonly name: string;
    /** Own reference time, minutes. */
    readonly minutes: number;
    /** Finish time, minutes from the start. */
    readonly finish: number;
}

/** Simulated `pulumi up` durations of one graph (see the module documentation). */
export interface UpTimes {
    /** Critical path, minutes (unlimited parallelism). */
    readonly criticalPath: number;
    /** The critical path's steps (zero-weight components left out). */
    readonly criticalSteps: PathStep[];
    /** Weight-free cross-check: operations on the longest chain (`sim`'s `defaultWeight`: 1 per resource, provider or read). */
    readonly criticalOperations: number;
    /** Sequential one-cluster-at-a-time procedure, minutes. */
    readonly sequential: number;
    /** Per owner: the critical path of its own resources (the terms of `sequential`), by ACK resource name or `shared`. */
    readonly sequentialTerms: Record<string, number>;
    /** Everything one after another, minutes (upper bound). */
    readonly serialSum: number;
    /** Custom types without a reference time (should be empty). */
    readonly unknownTypes: string[];
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Critical path, sequential and fully serial durations of a dependency graph.
 *
 * @param weightFn own duration of each node in minutes; default: the reference times of `weights.ts`
 */
export function upTimes(graph: DependencyGraph, weightFn?: WeightFn): UpTimes {
    const unknown = new Set<string>();
    const w = weightFn ?? referenceWeight(graph, unknown);
    const cp = criticalPath(graph, w);
    const owner = ownership(graph);
    const buckets = [...new Set(owner.values())].sort((a, b) => (a === SHARED ? -1 : b === SHARED ? 1 : a < b ? -1 : a > b ? 1 : 0));
    const terms: Record<string, number> = {};
    let sequential = 0;
    for (const b of buckets) {
        const len = criticalPath(graph, (n) => (owner.get(n.urn) === b ? w(n) : 0)).length;
        terms[b === SHARED ? SHARED : (graph.nodes.get(b)?.name ?? b)] = round(len);
        sequential += len;
    }
    let serialSum = 0;
    for (const n of graph.nodes.values()) serialSum += w(n);
    return {
        criticalPath: round(cp.length),
        criticalSteps: cp.steps.filter((s) => s.weight > 0).map((s) => ({ type: s.node.type, name: s.node.name, minutes: round(s.weight), finish: round(s.finish) })),
        criticalOperations: criticalPath(graph, defaultWeight).length,
        sequential: round(sequential),
        sequentialTerms: terms,
        serialSum: round(serialSum),
        unknownTypes: [...unknown].sort(),
    };
}

/** Everything the benchmark reports about one simulation result. */
export interface CaseAnalysis {
    readonly counts: ResourceCounts;
    /** Number of `istio-remote-secret-*` Secrets. */
    readonly remoteSecrets: number;
    /** Graph size. */
    readonly graph: { readonly nodes: number; readonly edges: number; readonly missing: number };
    readonly up: UpTimes;
}

/** Analyses one simulation result (or any graph source with resources and reads). */
export function analyze(result: Pick<SimulationResult, "resources" | "reads">): CaseAnalysis {
    const graph = dependencyGraph(result as GraphSource);
    return {
        counts: countResources(result),
        remoteSecrets: remoteSecrets(result).length,
        graph: { nodes: graph.nodes.size, edges: graph.edges.length, missing: graph.missing.length },
        up: upTimes(graph),
    };
}

/** How a count grows with the cluster count N. */
export interface Growth {
    /**
     * `constant`; `linear`; `bounded` (stops growing: per region); `linear+bounded` (a linear part
     * plus a part that stops growing, e.g. one route-table association per VPC plus two per
     * inter-region peering); `quadratic` (pairwise); `other`.
     */
    readonly model: "constant" | "linear" | "bounded" | "linear+bounded" | "quadratic" | "other";
    /** The fitted formula in N, e.g. `7 + 68·N`. */
    readonly formula?: string;
    /** Whether the formula also reproduces the points it was not fitted on (absent: no such point). */
    readonly verified?: boolean;
    /** Counts by N. */
    readonly counts: Record<string, number>;
}

function fmtPoly(coeffs: number[]): string {
    // coeffs[i] is the coefficient of N^i
    const terms: string[] = [];
    for (let i = coeffs.length - 1; i >= 0; i--) {
        const c = Math.round(coeffs[i] * 1000) / 1000;
        if (c === 0) continue;
        const mono = i === 0 ? "" : i === 1 ? "N" : `N²`;
        const abs = Math.abs(c);
        const body = i === 0 ? `${abs}` : abs === 1 ? mono : `${abs}·${mono}`;
        terms.push(terms.length === 0 ? (c < 0 ? `-${body}` : body) : `${c < 0 ? "-" : "+"} ${body}`);
    }
    return terms.length ? terms.join(" ") : "0";
}

const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/**
 * Classifies how a count grows from its values at several N (N = 1 is only used to verify a
 * fit: a one-cluster mesh has no CEN, no peers). Linear is fitted on the two smallest N ≥ 2 and
 * verified on the others; quadratic on the three largest and verified on the rest (N = 1
 * included), and only accepted with a positive N² term and coefficients that are multiples of ½
 * (counts of pairs); otherwise a count that keeps growing by a whole number per cluster between
 * the two largest N is `linear+bounded`.
 */
export function classifyGrowth(countsByN: ReadonlyMap<number, number>): Growth {
    const all = [...countsByN.entries()].sort(([a], [b]) => a - b);
    const counts = Object.fromEntries(all.map(([n, c]) => [String(n), c]));
    const pts = all.filter(([n]) => n >= 2);
    if (pts.length < 2) return { model: "other", counts };
    const check = (others: [number, number][], f: (n: number) => number) => (others.length ? { verified: others.every(([n, c]) => near(f(n), c)) } : {});
    if (pts.every(([, c]) => c === pts[0][1])) return { model: "constant", formula: String(pts[0][1]), counts };
    const [[n0, c0], [n1, c1]] = pts;
    const b = (c1 - c0) / (n1 - n0);
    const a = c0 - b * n0;
    if (pts.every(([n, c]) => near(a + b * n, c))) return { model: "linear", formula: fmtPoly([a, b]), ...check(pts.slice(2), (n) => a + b * n), counts };
    const last = pts.slice(-2);
    if (last[0][1] === last[1][1]) return { model: "bounded", formula: `${last[1][1]} from N=${last[0][0]}`, counts };
    if (pts.length >= 3) {
        const [[x0, y0], [x1, y1], [x2, y2]] = pts.slice(-3);
        // Lagrange → a + b·N + c·N²
        const d0 = (x0 - x1) * (x0 - x2);
        const d1 = (x1 - x0) * (x1 - x2);
        const d2 = (x2 - x0) * (x2 - x1);
        const c2 = y0 / d0 + y1 / d1 + y2 / d2;
        const c1q = -(y0 * (x1 + x2)) / d0 - (y1 * (x0 + x2)) / d1 - (y2 * (x0 + x1)) / d2;
        const c0q = (y0 * x1 * x2) / d0 + (y1 * x0 * x2) / d1 + (y2 * x0 * x1) / d2;
        const f = (n: number) => c0q + c1q * n + c2 * n * n;
        const others = all.filter(([n]) => !pts.slice(-3).some(([m]) => m === n));
        const halves = [c0q, c1q, c2].every((c) => near(Math.round(c * 2) / 2, c));
        if (c2 > 0 && halves) return { model: "quadratic", formula: fmtPoly([c0q, c1q, c2]), ...check(others, f), counts };
    }
    const slope = (last[1][1] - last[0][1]) / (last[1][0] - last[0][0]);
    if (slope > 0 && Number.isInteger(slope)) return { model: "linear+bounded", formula: `+${slope} per cluster from N=${last[0][0]}`, counts };
    return { model: "other", counts };
}
