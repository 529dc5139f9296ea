/**
 * **Plan diff**: compares two canonical plans (see `canonical.ts`) resource by resource, by URN, and
 * classifies each as `create`, `update`, `replace`, `delete` or `same`, the way `pulumi preview`
 * would, without a cloud or a state file. Pure: no I/O.
 *
 * How a resource present in both plans is classified:
 * 1. Its inputs are compared leaf by leaf (`ignoreChanges` paths of the new plan are skipped).
 *    Secret values are redacted in plans, so their changes are invisible.
 * 2. **Replace** when a changed path hits a ForceNew input of its type (`forceNew.ts`, with the
 *    field named), when it matches the resource's `replaceOnChanges`, or when its **provider URN
 *    changed** (another provider instance manages it: Pulumi deletes it with the old provider and
 *    creates it with the new one).
 * 3. **Cascade**: the new object of a replaced resource has new IDs and outputs, which are unknown
 *    until it exists. A resource whose ForceNew input comes from a replaced resource (its
 *    `propertyDependencies`) is replaced too; one whose other inputs come from it is updated; one
 *    whose provider is replaced is replaced. Repeated until nothing changes. Paths inside one
 *    property are not tracked, so a property holding a ForceNew path (all of `metadata`) counts as
 *    hitting it: this over-approximates for Kubernetes objects.
 * 4. **Update** for any other input change. Option changes alone (`protect`, `ignoreChanges`, …) leave
 *    the resource `same` (Pulumi applies them without a provider call) and are listed.
 *
 * A resource whose **parent** (or type) changed has a new URN: it is a delete of the old URN and a
 * create of the new one, reported as such with a note (an alias keeps it). Components and the stack
 * root are only ever created, deleted or the same (their children carry the changes). Reads
 * (`X.get`) create nothing and are left out.
 *
 * **Blocking** changes: a replace or delete of a resource that is `protect`ed (in either plan) or
 * stateful ({@link STATEFUL_TYPES}, and a vSwitch in use: {@link VSWITCH_USERS}); a delete with
 * `retainOnDelete` is not blocking.
 *
 * @module
 */
import type { CanonicalPlan, CanonicalResource } from "./canonical";
import { ForceNewRule, PropertyPath, forceNewRule, formatPath, pathUnder, pathsOverlap, replacementFields } from "./forceNew";

/** How a resource changes. */
export type ChangeKind = "create" | "update" | "replace" | "delete" | "same";

/** All kinds, most severe first (the order of rendered tables). */
export const CHANGE_KINDS: readonly ChangeKind[] = ["replace", "delete", "create", "update", "same"];

/**
 * Types that hold state or take long to rebuild, whose replacement or deletion must be approved
 * (exit status 3 of `npm run plan -- --diff` without `--allow-replace`):
 * - `vpc/network:Network`: everything in it (vSwitches, clusters, SLBs, ENIs) goes with it;
 * - `cs/managedKubernetes:ManagedKubernetes`: the cluster with its etcd state and every workload;
 * - `cs/nodePool:NodePool`: the nodes, their local disks and running pods;
 * - `cen/instance:Instance` and `cen/transitRouter:TransitRouter`: cross-VPC and cross-region
 *   connectivity, with their attachments and route tables.
 *
 * A vSwitch is stateful when a cluster or node pool of the old plan uses it ({@link VSWITCH_USERS}):
 * its nodes and ENIs keep it, so its real deletion fails partway through `pulumi up` while the
 * diff would only show updates of the cluster and pools. An unused vSwitch holds nothing and is not
 * blocking. Add `protect` to make any resource blocking.
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  "alicloud:vpc/network:Network",
  "alicloud:cs/managedKubernetes:ManagedKubernetes",
  "alicloud:cs/nodePool:NodePool",
  "alicloud:cen/instance:Instance",
  "alicloud:cen/transitRouter:TransitRouter",
]);

/** vSwitch type token. */
const VSWITCH_TYPE = "alicloud:vpc/switch:Switch";

/**
 * Inputs through which a resource puts nodes or ENIs into a vSwitch (read from the old plan's
 * `propertyDependencies`): a cluster's node vSwitches (`vswitchIds`) and Terway pod vSwitches
 * (`podVswitchIds`), and a node pool's `vswitchIds`.
 */
export const VSWITCH_USERS: Readonly<Record<string, readonly string[]>> = {
  "alicloud:cs/managedKubernetes:ManagedKubernetes": ["vswitchIds", "podVswitchIds"],
  "alicloud:cs/nodePool:NodePool": ["vswitchIds"],
};

/** A resource of the old plan that uses a vSwitch, and through which input. */
export interface VswitchUser {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  /** `vswitchIds` or `podVswitchIds`. */
  readonly property: string;
}

/** One changed input. */
export interface InputChange {
  /** The path, rendered (`tags.env`, `spec.containers[0].image`). */
  readonly path: string;
  /** The path as segments. */
  readonly segments: PropertyPath;
  /** The old value (canonical form); absent when the input was not set. */
  readonly old?: unknown;
  /** The new value (canonical form); absent when the input is no longer set. */
  readonly new?: unknown;
  /** Whether this change alone forces a replacement. */
  readonly forcesReplacement: boolean;
}

/** Why a resource is replaced. */
export interface ReplaceReason {
  /**
   * `field`: a ForceNew input changed; `replaceOnChanges`: an input named by that option changed;
   * `provider`: the provider URN changed; `providerReplaced`: its provider is replaced;
   * `cascade`: a ForceNew input comes from a replaced resource.
   */
  readonly kind: "field" | "replaceOnChanges" | "provider" | "providerReplaced" | "cascade";
  /** The input (ForceNew path or option path) for `field`, `replaceOnChanges` and `cascade`. */
  readonly field?: string;
  /** For `cascade` and `providerReplaced`: the replaced resource's URN. */
  readonly from?: string;
  /** One line for humans. */
  readonly message: string;
}

/** The classification of one resource. */
export interface ResourceChange {
  /** URN. */
  readonly urn: string;
  /** Type token. */
  readonly type: string;
  /** Resource name. */
  readonly name: string;
  /** Custom resource (false: component or stack root). */
  readonly custom: boolean;
  /** The classification. */
  readonly kind: ChangeKind;
  /** Changed inputs (for `update` and `replace`), by path. */
  readonly changes: readonly InputChange[];
  /** Why it is replaced (for `replace`). */
  readonly replaceReasons: readonly ReplaceReason[];
  /** The inputs that force the replacement, sorted (ForceNew fields, replaceOnChanges paths, cascaded fields). */
  readonly replaceFields: readonly string[];
  /** Inputs whose new values come from replaced resources and are known only after apply (updates). */
  readonly cascadedInputs: readonly string[];
  /** Option changes, e.g. `protect: true → false`. */
  readonly optionChanges: readonly string[];
  /** `protect` in the old or the new plan. */
  readonly protected: boolean;
  /** The type is in the stateful set, or it is a vSwitch in use ({@link usedBy}). */
  readonly stateful: boolean;
  /** For a vSwitch: the clusters and node pools of the old plan that use it, by name. */
  readonly usedBy: readonly VswitchUser[];
  /** A replace or delete of a protected or stateful resource. */
  readonly blocking: boolean;
  /** Replacement deletes the old object first (`deleteBeforeReplace`). */
  readonly deleteBeforeReplace: boolean;
  /** Remarks (moves, retained deletes, unknown types). */
  readonly notes: readonly string[];
}

/** The result of {@link diffPlans}. */
export interface PlanDiff {
  /** Header of the old plan. */
  readonly old: { readonly stack: string; readonly project: string };
  /** Header of the new plan. */
  readonly new: { readonly stack: string; readonly project: string };
  /** One entry per URN in either plan (reads excluded), sorted by URN. */
  readonly resources: readonly ResourceChange[];
  /** Counts per kind. */
  readonly counts: Readonly<Record<ChangeKind, number>>;
  /** The blocking entries. */
  readonly blocking: readonly ResourceChange[];
  /** Things that make the comparison less reliable (different stacks, unknown types). */
  readonly warnings: readonly string[];
}

/** Options of {@link diffPlans}. */
export interface DiffOptions {
  /** Replacement rules by type. @default forceNewRule */
  readonly forceNew?: (type: string) => ForceNewRule | undefined;
  /** Types whose replace or delete is blocking. @default STATEFUL_TYPES */
  readonly stateful?: ReadonlySet<string>;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Structural equality of canonical (JSON) values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The leaf-level differences between two canonical values: objects are compared key by key, arrays
 * of equal length element by element; anything else (a changed scalar, a type change, an array whose
 * length changed, a key added or removed) is one change at that path. Sorted by path.
 */
export function diffValues(a: unknown, b: unknown, path: (string | number)[] = []): { segments: PropertyPath; old?: unknown; new?: unknown }[] {
  if (jsonEqual(a, b)) return [];
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(byString);
    return keys.flatMap((k) => {
      const inA = Object.prototype.hasOwnProperty.call(a, k);
      const inB = Object.prototype.hasOwnProperty.call(b, k);
      if (inA && inB) return diffValues(a[k], b[k], [...path, k]);
      return [{ segments: [...path, k], ...(inA ? { old: a[k] } : {}), ...(inB ? { new: b[k] } : {}) }];
    });
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => diffValues(x, b[i], [...path, i]));
  }
  return [{ segments: path, ...(a !== undefined ? { old: a } : {}), ...(b !== undefined ? { new: b } : {}) }];
}

function optionChanges(o: CanonicalResource, n: CanonicalResource): string[] {
  const out: string[] = [];
  const a = o.options;
  const b = n.options;
  for (const k of ["protect", "deleteBeforeReplace", "retainOnDelete"] as const) {
    if (a[k] !== b[k]) out.push(`${k}: ${a[k]} → ${b[k]}`);
  }
  for (const k of ["ignoreChanges", "replaceOnChanges", "additionalSecretOutputs"] as const) {
    if (!jsonEqual(a[k], b[k])) out.push(`${k}: [${a[k].join(", ")}] → [${b[k].join(", ")}]`);
  }
  if ((a.deletedWith ?? "") !== (b.deletedWith ?? "")) out.push(`deletedWith: ${a.deletedWith ?? "(none)"} → ${b.deletedWith ?? "(none)"}`);
  return out;
}

function lastSegment(urn: string | undefined): string {
  if (!urn) return "(none)";
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
}

interface Work {
  urn: string;
  old?: CanonicalResource;
  new?: CanonicalResource;
  kind: ChangeKind;
  changes: InputChange[];
  reasons: ReplaceReason[];
  cascaded: Set<string>;
  options: string[];
  notes: string[];
}

/**
 * Compares two canonical plans (see the module documentation for the rules).
 *
 * @param old the plan before (e.g. of the base branch).
 * @param next the plan after (e.g. of the PR).
 */
export function diffPlans(old: CanonicalPlan, next: CanonicalPlan, options: DiffOptions = {}): PlanDiff {
  const ruleOf = options.forceNew ?? forceNewRule;
  const stateful = options.stateful ?? STATEFUL_TYPES;
  const index = (p: CanonicalPlan) => new Map(p.resources.filter((r) => r.operation === "register").map((r) => [r.urn, r]));
  const olds = index(old);
  const news = index(next);
  const warnings: string[] = [];
  if (old.stack !== next.stack || old.project !== next.project) {
    warnings.push(`the plans are of different stacks: ${old.project}/${old.stack} → ${next.project}/${next.stack}`);
  }
  const unknownTypes = new Set<string>();
  const work = new Map<string, Work>();
  for (const urn of [...new Set([...olds.keys(), ...news.keys()])].sort(byString)) {
    const o = olds.get(urn);
    const n = news.get(urn);
    const w: Work = { urn, old: o, new: n, kind: "same", changes: [], reasons: [], cascaded: new Set(), options: [], notes: [] };
    work.set(urn, w);
    if (!o) {
      w.kind = "create";
      continue;
    }
    if (!n) {
      w.kind = "delete";
      continue;
    }
    w.options = optionChanges(o, n);
    if (!n.custom) continue;
    const rule = ruleOf(n.type);
    if (!rule && !n.type.startsWith("pulumi:providers:")) unknownTypes.add(n.type);
    const ctx = { inputs: n.inputs, providerInputs: n.provider ? news.get(n.provider)?.inputs : undefined };
    const raw = diffValues(o.inputs, n.inputs).filter((c) => !n.options.ignoreChanges.some((ig) => pathUnder(ig, c.segments)));
    for (const c of raw) {
      const forcing = replacementFields(n.type, [c.segments], ctx, rule);
      const byOption = n.options.replaceOnChanges.filter((p) => p === "*" || pathsOverlap(p, c.segments));
      w.changes.push({ path: formatPath(c.segments), segments: c.segments, ...("old" in c ? { old: c.old } : {}), ...("new" in c ? { new: c.new } : {}), forcesReplacement: forcing.length + byOption.length > 0 });
      for (const f of forcing) {
        if (!w.reasons.some((r) => r.kind === "field" && r.field === f)) w.reasons.push({ kind: "field", field: f, message: `${f} changed (ForceNew)` });
      }
      for (const p of byOption) {
        if (!w.reasons.some((r) => r.kind === "replaceOnChanges" && r.field === p)) w.reasons.push({ kind: "replaceOnChanges", field: p, message: `${p} changed (replaceOnChanges)` });
      }
    }
    if ((o.provider ?? "") !== (n.provider ?? "")) {
      w.reasons.push({
        kind: "provider",
        message: `provider changed: ${lastSegment(o.provider)} → ${lastSegment(n.provider)} (another provider instance manages it)`,
      });
    }
    w.kind = w.reasons.length ? "replace" : w.changes.length ? "update" : "same";
  }

  // Cascade: replaced resources have new outputs (unknown until they exist). A read (`X.get`) of an
  // object whose provider or inputs come from a replaced resource reads a new object: its outputs
  // are unknown too.
  const reads = next.resources.filter((r) => r.operation === "read" && !news.has(r.urn));
  for (let changed = true; changed; ) {
    changed = false;
    const replaced = new Set([...work.values()].filter((w) => w.kind === "replace").map((w) => w.urn));
    for (let more = true; more; ) {
      more = false;
      for (const r of reads) {
        if (!replaced.has(r.urn) && [r.provider, ...r.dependencies].some((d) => d !== undefined && replaced.has(d))) {
          replaced.add(r.urn);
          more = true;
        }
      }
    }
    for (const w of work.values()) {
      const n = w.new;
      if (!w.old || !n || !n.custom || w.kind === "replace") continue;
      const rule = ruleOf(n.type);
      const ctx = { inputs: n.inputs, providerInputs: n.provider ? news.get(n.provider)?.inputs : undefined };
      if (n.provider && replaced.has(n.provider)) {
        w.reasons.push({ kind: "providerReplaced", from: n.provider, message: `its provider ${lastSegment(n.provider)} is replaced` });
      }
      for (const [prop, deps] of Object.entries(n.propertyDependencies)) {
        const from = deps.filter((d) => replaced.has(d));
        if (!from.length) continue;
        const fields = replacementFields(n.type, [[prop]], ctx, rule);
        const byOption = n.options.replaceOnChanges.filter((p) => p === "*" || pathsOverlap(p, [prop]));
        if (fields.length || byOption.length) {
          for (const f of [...fields, ...byOption]) {
            w.reasons.push({ kind: "cascade", field: f, from: from[0], message: `${f} comes from ${reads.some((r) => r.urn === from[0]) ? "a read of" : "replaced"} ${lastSegment(from[0])}` });
          }
        } else if (!n.options.ignoreChanges.some((ig) => pathUnder(ig, [prop]))) {
          w.cascaded.add(prop);
        }
      }
      const kind: ChangeKind = w.reasons.length ? "replace" : w.changes.length || w.cascaded.size ? "update" : "same";
      if (kind !== w.kind) {
        w.kind = kind;
        changed = changed || kind === "replace";
      }
    }
  }

  // Moves: a delete and a create of the same name are one resource whose URN changed.
  const createsByName = new Map<string, Work[]>();
  for (const w of work.values()) if (w.kind === "create") createsByName.set(w.new!.name, [...(createsByName.get(w.new!.name) ?? []), w]);
  for (const d of [...work.values()].filter((w) => w.kind === "delete")) {
    const o = d.old!;
    const creates = createsByName.get(o.name) ?? [];
    const c =
      creates.find((x) => x.new!.type === o.type && (x.new!.parent ?? "") !== (o.parent ?? "")) ??
      creates.find((x) => x.new!.type !== o.type && (x.new!.parent ?? "") === (o.parent ?? ""));
    if (!c) continue;
    const n = c.new!;
    const what =
      n.type === o.type
        ? `parent changed (${lastSegment(o.parent)} → ${lastSegment(n.parent)})`
        : `type changed (${o.type} → ${n.type})`;
    d.notes.push(`${what}: the URN changes, so Pulumi deletes this and creates ${n.urn}; an alias (\`aliases: [{ parent: … }]\`) would keep it`);
    c.notes.push(`${what}: the URN changes, so Pulumi creates this and deletes ${o.urn}; an alias would keep it`);
    creates.splice(creates.indexOf(c), 1);
  }
  if (unknownTypes.size) warnings.push(`no replacement rules for ${[...unknownTypes].sort(byString).join(", ")}: their changes are reported as updates`);

  const users = vswitchUsers(old);
  const resources = [...work.values()].map((w): ResourceChange => {
    const r = (w.new ?? w.old)!;
    const isProtected = !!(w.old?.options.protect || w.new?.options.protect);
    const usedBy = r.type === VSWITCH_TYPE ? (users.get(w.urn) ?? []) : [];
    const isStateful = stateful.has(r.type) || usedBy.length > 0;
    const retained = w.kind === "delete" && !!w.old?.options.retainOnDelete;
    if (retained) w.notes.push("retainOnDelete: Pulumi forgets it, the cloud object stays");
    else if (usedBy.length && (w.kind === "delete" || w.kind === "replace")) w.notes.push(vswitchInUseNote(w.kind, String(w.old?.inputs["zoneId"] ?? "its zone"), usedBy));
    const blocking = r.custom && (w.kind === "replace" || w.kind === "delete") && (isProtected || isStateful) && !retained;
    const replaceFields = [...new Set(w.reasons.map((x) => x.field).filter((f): f is string => f !== undefined))].sort(byString);
    return {
      urn: w.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      kind: w.kind,
      changes: w.changes,
      replaceReasons: w.kind === "replace" ? w.reasons : [],
      replaceFields: w.kind === "replace" ? replaceFields : [],
      cascadedInputs: [...w.cascaded].sort(byString),
      optionChanges: w.options,
      protected: isProtected,
      stateful: isStateful,
      usedBy,
      blocking,
      deleteBeforeReplace: !!w.new?.options.deleteBeforeReplace,
      notes: w.notes,
    };
  });
  const counts = { create: 0, update: 0, replace: 0, delete: 0, same: 0 } as Record<ChangeKind, number>;
  for (const r of resources) counts[r.kind]++;
  return {
    old: { stack: old.stack, project: old.project },
    new: { stack: next.stack, project: next.project },
    resources,
    counts,
    blocking: resources.filter((r) => r.blocking),
    warnings,
  };
}

/** vSwitch URN → the clusters and node pools of `plan` that use it (through {@link VSWITCH_USERS}), sorted by name. */
function vswitchUsers(plan: CanonicalPlan): Map<string, VswitchUser[]> {
  const out = new Map<string, VswitchUser[]>();
  for (const r of plan.resources) {
    if (r.operation !== "register") continue;
    for (const property of VSWITCH_USERS[r.type] ?? []) {
      for (const urn of r.propertyDependencies[property] ?? []) {
        out.set(urn, [...(out.get(urn) ?? []), { urn: r.urn, name: r.name, type: r.type, property }]);
      }
    }
  }
  for (const list of out.values()) list.sort((a, b) => byString(a.name, b.name) || byString(a.property, b.property));
  return out;
}

/**
 * Why deleting or replacing a vSwitch in use blocks, and the steps that make it possible: node
 * pools first (ACK puts only new nodes into a pool's new `vswitchIds`), then Terway's pod vSwitches
 * (`podVswitchIds` is create-only), then the cluster's node vSwitches.
 */
function vswitchInUseNote(kind: "delete" | "replace", zone: string, usedBy: readonly VswitchUser[]): string {
  const names = (us: readonly VswitchUser[]) => [...new Set(us.map((u) => u.name))].join(", ");
  const pools = usedBy.filter((u) => u.type === "alicloud:cs/nodePool:NodePool");
  const pods = usedBy.filter((u) => u.property === "podVswitchIds");
  const clusters = usedBy.filter((u) => u.type !== "alicloud:cs/nodePool:NodePool" && u.property === "vswitchIds");
  // ack-mesh names them `<cluster>-cluster` and `<cluster>-np-<pool>`: give the steps as config edits where it can.
  const poolKey = (u: VswitchUser) => /^(.+)-np-(.+)$/.exec(u.name);
  const clusterKey = (u: VswitchUser) => /^(.+)-cluster$/.exec(u.name)?.[1];
  const steps: string[] = [];
  if (pools.length) {
    const where = pools.map((u) => poolKey(u)).every((m) => m !== null)
      ? pools.map((u) => { const m = poolKey(u)!; return `clusters.${m[1]}.nodePools.${m[2]}.zones`; })
      : [];
    steps.push(
      `move ${names(pools)} off ${zone}${where.length ? ` (list the pool's other zones in ${[...new Set(where)].join(", ")})` : ""}, \`pulumi up\`; ` +
        `ACK puts only new nodes in a pool's new vSwitches, so scale out elsewhere and remove the nodes left in ${zone}`,
    );
  }
  if (pods.length) {
    steps.push(`take it out of Terway's vSwitch list of ${names(pods)} (ConfigMap kube-system/eni-config; podVswitchIds is create-only and ACK ignores edits) and recreate the pods whose ENIs are in ${zone}`);
  }
  const owners = [...clusters, ...pods];
  const keys = owners.map(clusterKey).filter((k): k is string => k !== undefined);
  if (kind === "delete") {
    if (keys.length === owners.length && keys.length) {
      steps.push(`remove ${zone} from ${[...new Set(keys)].map((k) => `clusters.${k}.zones`).join(", ")}, \`pulumi up\` (that one update takes the vSwitch out of the cluster and deletes it)`);
    } else if (clusters.length) {
      steps.push(`take it out of the vswitchIds of ${names(clusters)} and delete it, \`pulumi up\``);
    } else {
      steps.push("then delete it, `pulumi up`");
    }
  } else {
    if (clusters.length) steps.push(`take it out of the vswitchIds of ${names(clusters)}, \`pulumi up\``);
    steps.push("then replace it, `pulumi up`, and move them back");
  }
  const users = usedBy.map((u) => `${u.name} (${u.property})`);
  const list = users.length > 1 ? `${users.slice(0, -1).join(", ")} and ${users[users.length - 1]}` : users[0];
  const what = kind === "delete" ? "the delete fails" : "the replacement deletes it, which fails";
  return `in use by ${list} in the old plan: ${what} while nodes or ENIs are in it. In steps: ${steps.map((s, i) => `${i + 1}. ${s}`).join("; ")}`;
}

/** Exit status for a diff: 3 when something blocking would happen and it is not allowed, else 0. */
export function diffExitCode(diff: PlanDiff, allowReplace: boolean): 0 | 3 {
  return diff.blocking.length > 0 && !allowReplace ? 3 : 0;
}

/** Output format of the renderers. */
export type RenderFormat = "text" | "markdown";

/** Rows as an aligned plain-text table (first row: headers, then a rule). */
export function textTable(rows: Record<string, string>[], headers?: string[]): string {
  const cols = headers ?? (rows.length ? Object.keys(rows[0]) : []);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(width[i])).join("  ").trimEnd();
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c] ?? "")))].join("\n");
}

/** Escapes a table cell for GitHub-flavoured markdown (pipes, newlines). */
export function markdownCell(s: string): string {
  return s.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

/** Rows as a GitHub-flavoured markdown table. Cells are used as they are (escape with {@link markdownCell}). */
export function markdownTable(rows: Record<string, string>[], headers?: string[]): string {
  const cols = headers ?? (rows.length ? Object.keys(rows[0]) : []);
  return [`| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${cols.map((c) => r[c] ?? "").join(" | ")} |`)].join("\n");
}

/** `alicloud:cs/managedKubernetes:ManagedKubernetes` → `alicloud:ManagedKubernetes`. */
export function shortType(type: string): string {
  const parts = type.split(":");
  return parts.length >= 3 ? `${parts[0]}:${parts[parts.length - 1]}` : type;
}

/** Characters of common text kept before the first difference of two long values. */
const DIFF_CONTEXT = 16;

/** `s` cut to `max` characters starting near `from` (kept in view), with `…` where text was cut. */
function clip(s: string, from: number, max: number): string {
  if (s.length <= max) return s;
  const start = Math.max(0, Math.min(from, s.length - (max - 1)));
  const head = start > 0 ? "…" : "";
  const body = s.slice(start, start + max - head.length);
  return start + max - head.length < s.length ? `${head}${body.slice(0, -1)}…` : `${head}${body}`;
}

/**
 * An old and a new value for a table cell, each at most `max` characters. When they are too long,
 * both show the same window: from a little before their first difference, so two values that differ
 * only at the end do not look the same. Strings are cut inside their quotes (JSON-escaped).
 */
export function showChange(old: unknown, next: unknown, max = 48): [string, string] {
  const text = (v: unknown) => (v === undefined ? "(unset)" : typeof v === "string" ? JSON.stringify(v).slice(1, -1) : (JSON.stringify(v) ?? String(v)));
  const a = text(old);
  const b = text(next);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - DIFF_CONTEXT);
  const cell = (v: unknown, s: string) => (typeof v === "string" ? `"${clip(s, from, max - 2)}"` : clip(s, from, max));
  return [cell(old, a), cell(next, b)];
}

/** `path: old → new`, each side cut by {@link showChange}. */
function changeText(c: InputChange): string {
  const [a, b] = showChange(c.old, c.new);
  return `${c.path}: ${a} → ${b}`;
}

const LABEL: Record<ChangeKind, string> = { create: "create", update: "update", replace: "REPLACE", delete: "delete", same: "same" };

/** One line of details for a resource change. */
export function describeChange(r: ResourceChange, maxChanges = 3): string {
  const parts: string[] = [];
  if (r.kind === "replace") {
    for (const reason of r.replaceReasons) {
      const c = reason.kind === "field" || reason.kind === "replaceOnChanges" ? r.changes.find((x) => x.forcesReplacement && pathsOverlap(reason.field!, x.segments)) : undefined;
      parts.push(c ? `${changeText(c)} forces replacement` : reason.message);
    }
    if (r.deleteBeforeReplace) parts.push("deletes before it creates");
  }
  if (r.kind === "update" || r.kind === "replace") {
    const others = r.changes.filter((c) => !(r.kind === "replace" && c.forcesReplacement));
    for (const c of others.slice(0, maxChanges)) parts.push(changeText(c));
    if (others.length > maxChanges) parts.push(`+${others.length - maxChanges} more`);
    if (r.cascadedInputs.length) parts.push(`${r.cascadedInputs.join(", ")} from replaced resources (known after apply)`);
  }
  parts.push(...r.optionChanges, ...r.notes);
  return parts.join("; ");
}

/** Options of {@link renderDiff}. */
export interface RenderDiffOptions {
  /** `text` or `markdown` (a PR comment). @default "text" */
  readonly format?: RenderFormat;
  /** Whether blocking changes are allowed (changes the verdict line only). @default false */
  readonly allowReplace?: boolean;
  /** Also list unchanged resources. @default false */
  readonly showSame?: boolean;
}

/** True when a replacement is only due to a replaced provider (rendered grouped by provider). */
function onlyProviderReplaced(r: ResourceChange): boolean {
  return r.kind === "replace" && r.replaceReasons.length > 0 && r.replaceReasons.every((x) => x.kind === "providerReplaced");
}

/** Sort key: blocking first, then direct replacements before cascaded ones, then by name. */
function severity(r: ResourceChange): number {
  const direct = r.replaceReasons.some((x) => x.kind === "field" || x.kind === "replaceOnChanges" || x.kind === "provider");
  return CHANGE_KINDS.indexOf(r.kind) * 4 + (r.blocking ? 0 : 2) + (direct ? 0 : 1);
}

/**
 * Renders a diff: a summary line, the verdict on blocking changes, a table of every changed resource
 * (blocking first, then direct replacements, deletes, creates, updates; by name), and the resources
 * replaced only because their provider is replaced, grouped by provider. Markdown renders as a PR
 * comment on GitHub (the groups in collapsed `<details>`).
 */
export function renderDiff(diff: PlanDiff, opts: RenderDiffOptions = {}): string {
  const md = opts.format === "markdown";
  const c = diff.counts;
  const title = diff.old.stack === diff.new.stack ? `stack ${diff.new.stack}` : `${diff.old.stack} → ${diff.new.stack}`;
  const summary = `${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete, ${c.same} unchanged`;
  const changed = diff.resources
    .filter((r) => r.kind !== "same" || opts.showSame || r.optionChanges.length > 0)
    .sort((a, b) => severity(a) - severity(b) || byString(a.name, b.name) || byString(a.urn, b.urn));
  const grouped = new Map<string, ResourceChange[]>();
  for (const r of changed.filter((x) => onlyProviderReplaced(x) && !x.blocking)) {
    const p = r.replaceReasons[0].from ?? "";
    grouped.set(p, [...(grouped.get(p) ?? []), r]);
  }
  const shown = changed.filter((r) => !(onlyProviderReplaced(r) && !r.blocking));
  const n = diff.blocking.length;
  const verdict =
    n === 0
      ? "No protected or stateful resource is replaced or deleted."
      : opts.allowReplace
        ? `${n} replacement(s)/deletion(s) of protected or stateful resources, ALLOWED (--allow-replace).`
        : `${n} replacement(s)/deletion(s) of protected or stateful resources: BLOCKED (exit 3). Label the PR \`allow-replace\` (or pass --allow-replace) to accept.`;
  const lines: string[] = [];
  const groupTitle = (provider: string, rs: ResourceChange[]) => `${rs.length} resource(s) replaced because their provider ${lastSegment(provider)} is replaced`;
  if (md) {
    lines.push(`### ack-mesh plan diff: ${title}`, "", `**${summary}**`, "", `${n ? "⛔" : "✅"} ${verdict}`);
    for (const w of diff.warnings) lines.push("", `> ⚠️ ${markdownCell(w)}`);
    if (shown.length) {
      const rows = shown.map((r) => ({
        change: `${r.kind === "replace" || r.kind === "delete" ? "**" + LABEL[r.kind] + "**" : LABEL[r.kind]}${r.blocking ? " ⛔" : ""}`,
        resource: `\`${markdownCell(r.name)}\``,
        type: `\`${markdownCell(shortType(r.type))}\``,
        details: markdownCell(describeChange(r)),
      }));
      lines.push("", markdownTable(rows, ["change", "resource", "type", "details"]));
    }
    for (const [provider, rs] of grouped) {
      lines.push("", `<details><summary>${markdownCell(groupTitle(provider, rs))}</summary>`, "", ...rs.map((r) => `- \`${r.name}\` (${shortType(r.type)})`), "", "</details>");
    }
  } else {
    lines.push(`Plan diff (${title}): ${summary}`, verdict);
    for (const w of diff.warnings) lines.push(`warning: ${w}`);
    if (shown.length) {
      const rows = shown.map((r) => ({
        change: `${LABEL[r.kind]}${r.blocking ? " (blocking)" : ""}`,
        resource: r.name,
        type: shortType(r.type),
        details: describeChange(r),
      }));
      lines.push("", textTable(rows, ["change", "resource", "type", "details"]));
    }
    for (const [provider, rs] of grouped) {
      lines.push("", `${groupTitle(provider, rs)}:`, ...rs.map((r) => `  ${r.name} (${shortType(r.type)})`));
    }
  }
  return lines.join("\n");
}
