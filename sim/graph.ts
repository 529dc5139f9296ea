/**
 * The deployment's **dependency graph**: what waits for what when `pulumi up` creates the stack,
 * its topological order and its critical path (the longest chain of waits).
 *
 * The model (how a node "waits for" another):
 * - **Dependencies**: a resource waits for every URN in its `dependencies` and
 *   `propertyDependencies` (inputs that come from other resources, and `dependsOn`).
 * - **Providers**: a resource waits for its explicit provider (`provider`): the engine cannot
 *   create it before the provider is configured, and a provider configured from another resource's
 *   output (a kubeconfig) waits for that resource in turn.
 * - **Parents are not dependencies**: a child does not wait for its parent component.
 * - **Components are done when their children are**: a component node waits for each of its direct
 *   children, so anything that depends on a component (`dependsOn: [component]`) waits for the whole
 *   subtree, which is what the Pulumi engine does. A component has no work of its own (weight 0 by
 *   default). An edge from a resource to one of its own ancestor components is dropped (it would
 *   make every such pair a cycle; the engine never waits for it).
 * - **Reads** (`X.get`) are nodes too: they wait for their dependencies and their provider.
 * - URNs a resource refers to that are not in the plan are listed in
 *   {@link DependencyGraph.missing} and ignored.
 *
 * All orders are deterministic: ties are broken by URN.
 *
 * @module
 */
import type { CanonicalPlan } from "./canonical";
import type { SimulationResult } from "./record";

/** What a node is. */
export type NodeKind = "custom" | "provider" | "component" | "stack" | "read";

/** One resource in the graph. */
export interface GraphNode {
  /** URN (the node's key). */
  readonly urn: string;
  /** Type token. */
  readonly type: string;
  /** Resource name. */
  readonly name: string;
  /** Custom resource (true) or component / stack root (false). */
  readonly custom: boolean;
  /** What the node is (providers, reads and the stack root are told apart from other resources). */
  readonly kind: NodeKind;
  /** Parent URN, if any. */
  readonly parent?: string;
}

/** Why an edge exists. */
export type EdgeKind = "dependency" | "provider" | "child";

/** `from` waits for `to`. */
export interface GraphEdge {
  /** The waiting node. */
  readonly from: string;
  /** The node it waits for. */
  readonly to: string;
  /** Why (sorted; several reasons can give the same edge). */
  readonly kinds: readonly EdgeKind[];
}

/** A dependency graph (see the module documentation for the model). */
export interface DependencyGraph {
  /** Nodes by URN, in URN order. */
  readonly nodes: ReadonlyMap<string, GraphNode>;
  /** Every edge, sorted by `from` then `to`. */
  readonly edges: readonly GraphEdge[];
  /** Per node, the URNs it waits for (sorted). */
  readonly waitsFor: ReadonlyMap<string, readonly string[]>;
  /** Per node, the URNs that wait for it (sorted). */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** URNs referred to (as dependency or provider) that are not nodes, sorted. */
  readonly missing: readonly string[];
}

/** Any input {@link dependencyGraph} accepts. */
export type GraphSource = Pick<SimulationResult, "resources" | "reads"> | CanonicalPlan;

/** A dependency cycle: {@link DependencyCycleError.cycle} lists the URNs, the first repeated at the end. */
export class DependencyCycleError extends Error {
  /** The cycle as URNs: `a, b, c, a` means a waits for b, b for c, c for a. */
  readonly cycle: readonly string[];
  constructor(cycle: string[], names: string[]) {
    super(`dependency cycle (each waits for the next): ${names.join(" → ")}`);
    this.name = "DependencyCycleError";
    this.cycle = cycle;
  }
}

interface SourceResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  operation: "register" | "read";
  parent?: string;
  provider?: string;
  deps: string[];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isCanonicalPlan(s: GraphSource): s is CanonicalPlan {
  return typeof (s as CanonicalPlan).version === "number" && !("reads" in s);
}

function sourceResources(source: GraphSource): SourceResource[] {
  if (isCanonicalPlan(source)) {
    return source.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      operation: r.operation,
      parent: r.parent,
      provider: r.provider,
      deps: [...r.dependencies, ...Object.values(r.propertyDependencies).flat()],
    }));
  }
  return [...source.resources, ...source.reads].map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    operation: r.operation,
    parent: r.parent,
    provider: r.providerUrn,
    deps: [...r.dependencies, ...Object.values(r.propertyDependencies).flat()],
  }));
}

function kindOf(r: SourceResource): NodeKind {
  if (r.type === "pulumi:pulumi:Stack") return "stack";
  if (r.operation === "read") return "read";
  if (!r.custom) return "component";
  if (r.type.startsWith("pulumi:providers:")) return "provider";
  return "custom";
}

/**
 * Builds the dependency graph of a simulation result or a canonical plan (see the module
 * documentation for the model). A registration and a read with the same URN are one node (the
 * registration wins).
 */
export function dependencyGraph(source: GraphSource): DependencyGraph {
  const resources = sourceResources(source).sort((a, b) => byString(a.urn, b.urn) || byString(a.operation, b.operation));
  const nodes = new Map<string, GraphNode>();
  const raw = new Map<string, SourceResource>();
  for (const r of resources) {
    if (nodes.has(r.urn)) continue; // "register" sorts before "read"
    raw.set(r.urn, r);
    nodes.set(r.urn, { urn: r.urn, type: r.type, name: r.name, custom: r.custom, kind: kindOf(r), ...(r.parent ? { parent: r.parent } : {}) });
  }
  const isAncestor = (ancestor: string, urn: string): boolean => {
    for (let p = nodes.get(urn)?.parent, guard = 0; p !== undefined && guard <= nodes.size; p = nodes.get(p)?.parent, guard++) {
      if (p === ancestor) return true;
    }
    return false;
  };
  const edgeKinds = new Map<string, Map<string, Set<EdgeKind>>>();
  const missing = new Set<string>();
  const add = (from: string, to: string, kind: EdgeKind) => {
    if (from === to) return;
    if (!nodes.has(to)) {
      missing.add(to);
      return;
    }
    let m = edgeKinds.get(from);
    if (!m) edgeKinds.set(from, (m = new Map()));
    let s = m.get(to);
    if (!s) m.set(to, (s = new Set()));
    s.add(kind);
  };
  for (const r of raw.values()) {
    for (const d of r.deps) {
      if (nodes.get(d)?.custom === false && isAncestor(d, r.urn)) continue;
      add(r.urn, d, "dependency");
    }
    if (r.provider) add(r.urn, r.provider, "provider");
    if (r.parent && nodes.get(r.parent)?.custom === false && nodes.has(r.parent)) add(r.parent, r.urn, "child");
  }
  const edges: GraphEdge[] = [];
  const waitsFor = new Map<string, string[]>();
  const dependents = new Map<string, string[]>();
  for (const urn of nodes.keys()) {
    waitsFor.set(urn, []);
    dependents.set(urn, []);
  }
  for (const from of [...edgeKinds.keys()].sort(byString)) {
    const m = edgeKinds.get(from)!;
    for (const to of [...m.keys()].sort(byString)) {
      edges.push({ from, to, kinds: [...m.get(to)!].sort(byString) });
      waitsFor.get(from)!.push(to);
      dependents.get(to)!.push(from);
    }
  }
  for (const list of dependents.values()) list.sort(byString);
  return { nodes, edges, waitsFor, dependents, missing: [...missing].sort(byString) };
}

/** A binary min-heap of strings (URNs), for deterministic Kahn ordering in O(n log n). */
class UrnHeap {
  private readonly items: string[] = [];
  get size(): number {
    return this.items.length;
  }
  push(x: string): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): string {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** Finds one cycle among `remaining` nodes (each has at least one remaining predecessor). */
function findCycle(graph: DependencyGraph, remaining: Set<string>): string[] {
  const start = [...remaining].sort(byString)[0];
  const path: string[] = [];
  const index = new Map<string, number>();
  let cur = start;
  while (!index.has(cur)) {
    index.set(cur, path.length);
    path.push(cur);
    cur = (graph.waitsFor.get(cur) ?? []).find((p) => remaining.has(p))!;
  }
  return [...path.slice(index.get(cur)!), cur];
}

/**
 * The nodes in creation order: every node after everything it waits for; among nodes that are
 * ready at the same time, URN order.
 *
 * @throws DependencyCycleError naming the resources of one cycle.
 */
export function topologicalOrder(graph: DependencyGraph): string[] {
  const pending = new Map<string, number>();
  const ready = new UrnHeap();
  for (const [urn, preds] of graph.waitsFor) {
    pending.set(urn, preds.length);
    if (preds.length === 0) ready.push(urn);
  }
  const order: string[] = [];
  while (ready.size) {
    const u = ready.pop();
    order.push(u);
    for (const d of graph.dependents.get(u) ?? []) {
      const n = pending.get(d)! - 1;
      pending.set(d, n);
      if (n === 0) ready.push(d);
    }
  }
  if (order.length !== graph.nodes.size) {
    const remaining = new Set([...pending].filter(([, n]) => n > 0).map(([u]) => u));
    const cycle = findCycle(graph, remaining);
    throw new DependencyCycleError(cycle, cycle.map((u) => describeNode(graph.nodes.get(u)!)));
  }
  return order;
}

/** `name (type)` of a node. */
export function describeNode(node: Pick<GraphNode, "name" | "type">): string {
  return `${node.name} (${node.type})`;
}

/** Weight of a node: its own duration in any unit (default {@link defaultWeight}). */
export type WeightFn = (node: GraphNode) => number;

/**
 * Default node weight: 1 for anything the engine performs an operation for (custom resources,
 * providers, reads), 0 for components and the stack root (they are done when their children are).
 */
export function defaultWeight(node: GraphNode): number {
  return node.custom || node.kind === "read" ? 1 : 0;
}

/** One step of a critical path. */
export interface CriticalStep {
  /** The node. */
  readonly node: GraphNode;
  /** Its own weight. */
  readonly weight: number;
  /** When it finishes: its weight plus the finish of the latest thing it waits for. */
  readonly finish: number;
  /** Why it waits for the previous step (absent on the first step). */
  readonly via?: readonly EdgeKind[];
}

/** The longest chain of waits. */
export interface CriticalPath {
  /** First (no waits) to last. */
  readonly steps: readonly CriticalStep[];
  /** The URNs of the steps. */
  readonly urns: readonly string[];
  /** Total weight (the finish of the last step; 0 for an empty graph). */
  readonly length: number;
}

/**
 * The critical path: the chain of waits with the largest total weight, i.e. the shortest possible
 * deployment time with unlimited parallelism when each node takes `weightFn(node)`.
 *
 * Ties are broken deterministically: at each step the predecessor that finishes last, then the one
 * with the larger own weight (a resource rather than a zero-weight component), then the smallest
 * URN; the path ends at the node that finishes last, with the same tie-breaks.
 *
 * @param weightFn weight of each node, finite and ≥ 0. @default defaultWeight
 * @throws DependencyCycleError when the graph has a cycle; RangeError for a bad weight.
 */
export function criticalPath(graph: DependencyGraph, weightFn: WeightFn = defaultWeight): CriticalPath {
  const order = topologicalOrder(graph);
  const finish = new Map<string, number>();
  const weight = new Map<string, number>();
  const best = new Map<string, string | undefined>();
  const better = (a: string, b: string | undefined): boolean => {
    if (b === undefined) return true;
    const fa = finish.get(a)!;
    const fb = finish.get(b)!;
    if (fa !== fb) return fa > fb;
    const wa = weight.get(a)!;
    const wb = weight.get(b)!;
    if (wa !== wb) return wa > wb;
    return a < b;
  };
  for (const u of order) {
    const node = graph.nodes.get(u)!;
    const w = weightFn(node);
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) throw new RangeError(`weight of ${describeNode(node)} must be a finite number ≥ 0, got ${String(w)}`);
    weight.set(u, w);
    let pick: string | undefined;
    for (const p of graph.waitsFor.get(u) ?? []) if (better(p, pick)) pick = p;
    best.set(u, pick);
    finish.set(u, w + (pick === undefined ? 0 : finish.get(pick)!));
  }
  let end: string | undefined;
  for (const u of order) if (better(u, end)) end = u;
  const urns: string[] = [];
  for (let u = end; u !== undefined; u = best.get(u)) urns.push(u);
  urns.reverse();
  const kindsOf = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to)?.kinds;
  const steps = urns.map((u, i): CriticalStep => {
    const via = i > 0 ? kindsOf(u, urns[i - 1]) : undefined;
    return { node: graph.nodes.get(u)!, weight: weight.get(u)!, finish: finish.get(u)!, ...(via ? { via } : {}) };
  });
  return { steps, urns, length: end === undefined ? 0 : finish.get(end)! };
}
