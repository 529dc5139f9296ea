/**
 * `npm run plan -- <stack> [options]`: the offline plan of a stack. Runs the real
 * program on the simulated cloud — no credentials, no Pulumi CLI, no network —
 * and prints what `pulumi up` would build: the mesh layout, the CIDR plan,
 * Bookinfo placement and routing, the billable things it creates, resource
 * counts, the critical path of the deployment in minutes, the resource tree and
 * the `pulumi` commands to run next. The text output fits 120 columns.
 *
 * Options:
 *   --stack-file <path>   read the config from this file instead of stacks/Pulumi.<stack>.yaml
 *                         (the stack name defaults to the file's Pulumi.<name>.yaml part)
 *   --json <file>         also write the canonical plan (sim/canonical.ts) to <file>
 *   --diff <old.json>     compare with an earlier canonical plan and print only the diff
 *   --mermaid             print only a Mermaid flowchart of the deployment (after the diff, if any)
 *   --format <f>          text (default) or markdown (for PR comments)
 *   --allow-replace       do not fail (exit 3) on a replace/delete of a protected or stateful resource
 *   --allow-remove-revision  do not fail (exit 3) on removing an Istio revision that may still be in use
 *   --images              print only the exact images and charts the stack pulls (to mirror them)
 *   --tree <mode>         grouped (default: repeated leaves as one line with a count) or full
 *
 * Exit status: 0 planned; 1 usage or other error; 2 invalid stack configuration;
 * 3 (with --diff) a protected or stateful resource would be replaced or deleted
 * and --allow-replace was not given, a downgrade (Istio, its CRDs or Kubernetes), or
 * an Istio revision that may still be in use would be removed and --allow-remove-revision
 * was not given (sim/upgradeSteps.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as yamlParse } from "yaml";
import { ConfigError, StackFileError } from "../config/errors";
import { namespaceValues } from "../config/pulumiConfig";
import { BOOKINFO_WORKLOADS } from "../config/schema";
import { runAckMesh } from "../programs/ack-mesh/program";
import { planTopology, layoutSummary, PlannedTopology } from "../programs/compose";
import { cidrTable } from "../plan/network";
import { mirrorList } from "../plan/images";
import { ACK_CLUSTER_TYPE } from "../components/ackCluster";
import { PREFLIGHT_SUMMARY_HEADING } from "../components/preflight";
import { referenceWeight } from "../bench/weights";
import { TEXT_WIDTH, TREE_GROUP_MIN, TreeMode, displayType, fitTable, resourceTree, wrapText } from "./render";
import {
    ALI,
    ALIBABA_LB_ADDRESS_TYPE,
    CanonicalPlan,
    CanonicalResource,
    CriticalPath,
    GatewayInfo,
    K8S,
    MeshTopology,
    PlanFormatError,
    RecordedLog,
    RecordedResource,
    RenderFormat,
    SimulationError,
    canonicalPlan,
    cenLinksOf,
    criticalPath,
    defaultWeight,
    dependencyGraph,
    diffExitCode,
    diffPlans,
    classifyUpgrade,
    renderUpgradeSteps,
    gatewaysOf,
    markdownCell,
    markdownTable,
    mermaidFlowchart,
    parseCanonicalPlan,
    readStackConfig,
    renderDiff,
    simulate,
    stableStringify,
    textTable,
} from "../sim";

export { textTable, resourceTree, TEXT_WIDTH };

const ROOT = path.resolve(__dirname, "..");

/** Where the CLI writes. Tests pass their own to capture the output. */
export interface PlanIO {
    /** Standard output (one call per block; a newline is added). */
    out(text: string): void;
    /** Standard error (one call per message; a newline is added). */
    err(text: string): void;
}

const consoleIO: PlanIO = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
};

/** Parsed command line. */
export interface PlanArgs {
    /** Stack name (`stacks/Pulumi.<stack>.yaml`); optional with `stackFile`. */
    stack?: string;
    /** Stack file to read instead of `stacks/Pulumi.<stack>.yaml`. */
    stackFile?: string;
    /** Where to write the canonical plan. */
    json?: string;
    /** Earlier canonical plan to diff against. */
    diff?: string;
    /** Print the Mermaid flowchart. */
    mermaid: boolean;
    /** Output format. */
    format: RenderFormat;
    /** Accept replacing or deleting protected or stateful resources. */
    allowReplace: boolean;
    /** Accept removing Istio revisions that may still be in use (set only when given). */
    allowRevisionRemoval?: boolean;
    /** Print only the images and charts to mirror. */
    images: boolean;
    /** Resource tree: repeated leaves grouped, or every resource. */
    tree: TreeMode;
    /** Print the usage. */
    help: boolean;
}

/** The usage text. */
export const USAGE = [
    "usage: npm run plan -- <stack> [--stack-file <path>] [--json <file>] [--diff <old-plan.json>] [--mermaid] [--images]",
    "                       [--format text|markdown] [--tree grouped|full] [--allow-replace] [--allow-remove-revision]",
    "  <stack>              a stack of stacks/Pulumi.<stack>.yaml (optional with --stack-file)",
    "  --stack-file <path>  read the config from this stack file",
    "  --json <file>        write the canonical plan (deterministic JSON, secrets redacted) to <file>",
    "  --diff <file>        print the changes against an earlier canonical plan: create/update/REPLACE/delete",
    "  --mermaid            print a Mermaid flowchart (regions, VPCs, clusters, CEN, mesh, gateways)",
    "  --format <f>         text (default; fits 120 columns) or markdown",
    `  --tree <mode>        grouped (default: ${TREE_GROUP_MIN} or more leaves of one type under one parent as one line) or full`,
    "  --allow-replace      accept replacing/deleting protected or stateful resources (else exit 3)",
    "  --allow-remove-revision  accept removing an Istio revision a tag pointed at, or one replaced in the same change (else exit 3)",
    "  --images             print only the images and charts the stack pulls, one per line (to mirror them; docs/mirror.md)",
    "exit status: 0 ok; 1 error; 2 invalid stack config; 3 (--diff) unapproved replacement or deletion, a downgrade,",
    "             or the removal of an Istio revision that may still be in use (docs/upgrade.md)",
].join("\n");

/** A command-line mistake. */
export class UsageError extends Error {}

/** Parses the command line. @throws UsageError */
export function parseArgs(argv: readonly string[]): PlanArgs {
    const args: PlanArgs = { mermaid: false, format: "text", allowReplace: false, images: false, tree: "grouped", help: false };
    const value = (i: number, flag: string): string => {
        const v = argv[i + 1];
        if (v === undefined || (v.startsWith("--") && v.length > 2)) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const eq = a.startsWith("--") ? a.indexOf("=") : -1;
        const flag = eq > 0 ? a.slice(0, eq) : a;
        const inline = eq > 0 ? a.slice(eq + 1) : undefined;
        const take = () => {
            if (inline !== undefined) return inline;
            const v = value(i, flag);
            i++;
            return v;
        };
        switch (flag) {
            case "--stack-file":
                args.stackFile = take();
                break;
            case "--json":
                args.json = take();
                break;
            case "--diff":
                args.diff = take();
                break;
            case "--format": {
                const f = take();
                if (f !== "text" && f !== "markdown") throw new UsageError(`--format must be text or markdown, got ${JSON.stringify(f)}`);
                args.format = f;
                break;
            }
            case "--tree": {
                const t = take();
                if (t !== "grouped" && t !== "full") throw new UsageError(`--tree must be grouped or full, got ${JSON.stringify(t)}`);
                args.tree = t;
                break;
            }
            case "--mermaid":
                args.mermaid = true;
                break;
            case "--allow-replace":
                args.allowReplace = true;
                break;
            case "--allow-remove-revision":
                args.allowRevisionRemoval = true;
                break;
            case "--images":
                args.images = true;
                break;
            case "-h":
            case "--help":
                args.help = true;
                break;
            default:
                if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
                if (args.stack !== undefined) throw new UsageError(`one stack at a time (got ${args.stack} and ${a})`);
                args.stack = a;
        }
    }
    if (!args.help && args.stack === undefined && args.stackFile === undefined) throw new UsageError("missing <stack>");
    return args;
}

/** Resource counts by type, sorted by type. */
export function countsByType(resources: readonly { type: string }[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Reads the `ack-mesh:` keys of a stack file (`stacks/Pulumi.<stack>.yaml`, or `file`). */
export function stackConfig(stack: string, file?: string): { config: Record<string, unknown>; secretConfigKeys: string[]; file: string } {
    const f = file ?? path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(f)) {
        if (file) throw new UsageError(`no stack file ${file}`);
        const known = fs.readdirSync(path.join(ROOT, "stacks")).filter((x) => /^Pulumi\..+\.yaml$/.test(x));
        throw new UsageError(`no stack file ${path.relative(ROOT, f)}; stacks: ${known.map((x) => x.slice(7, -5)).join(", ")}`);
    }
    return { ...readStackConfig(f), file: f };
}

/** The Pulumi project name from `Pulumi.yaml` (`ack-mesh` when it cannot be read). */
export function projectName(): string {
    try {
        const doc = yamlParse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name?: unknown };
        return typeof doc?.name === "string" ? doc.name : "ack-mesh";
    } catch {
        return "ack-mesh";
    }
}

/** The chart's view of the planned cluster layout. */
export function meshTopologyOf(planned: PlannedTopology): MeshTopology {
    return {
        topology: planned.config.mesh.topology,
        clusters: Object.values(planned.config.clusters).map((c) => ({
            name: c.name,
            region: c.region,
            vpc: planned.network.clusters[c.name]?.vpc ?? c.vpc,
            vpcCidr: planned.network.clusters[c.name]?.vpcCidr,
            role: c.role,
            controlPlane: c.controlPlane,
            network: c.network,
        })),
    };
}

/** Rows of the mesh layout table: each cluster's role, network and gateways. */
export function meshLayoutRows(planned: PlannedTopology, gateways: readonly GatewayInfo[]): Record<string, string>[] {
    const gw = (cluster: string, role: GatewayInfo["role"]) =>
        gateways
            .filter((g) => g.cluster === cluster && g.role === role)
            .map((g) => `${g.release} (${g.exposure} SLB)`)
            .join(", ") || "-";
    const clusters = Object.values(planned.identity.clusters);
    const controls = (cp: string) => clusters.filter((r) => !r.controlPlane && r.controlledBy === cp).map((r) => r.clusterName);
    return clusters.map((c) => ({
        cluster: c.clusterName,
        region: c.region,
        role: c.controlPlane ? controlPlaneRole(controls(c.clusterName)) : `remote of ${c.controlledBy}`,
        network: c.network,
        ingress: gw(c.clusterName, "ingress"),
        "east-west": gw(c.clusterName, "east-west"),
    }));
}

/** A control plane's role cell: the remotes it controls, by name up to three (the table stays within 120 columns). */
function controlPlaneRole(remotes: readonly string[]): string {
    if (remotes.length === 0) return "control plane (istiod)";
    const names = remotes.length <= 3 ? remotes.join(", ") : `${remotes.slice(0, 2).join(", ")} +${remotes.length - 2} more`;
    return `control plane (istiod) of ${names}`;
}

const ROUTING: Record<string, string> = {
    plain: "plain: no routing rules; each service's traffic is spread over every placed version (Istio's default load balancing)",
    "header-split": "header-split: requests of user jason (end-user header) go to reviews v2/v3 50/50, everyone else to reviews v1",
    "locality-failover": "locality-failover: each client stays in its own region (locality load balancing) and fails over to the next region when its local endpoints are unhealthy",
};

/** Bookinfo placement and routing, derived from the config (works whether or not the program creates Bookinfo yet). */
export function bookinfoLines(planned: PlannedTopology, plan: CanonicalPlan, format: RenderFormat): string[] {
    const b = planned.config.bookinfo;
    if (!b.enabled) return ["Bookinfo: disabled (ack-mesh:bookinfo.enabled is false)"];
    const region = (c: string) => planned.config.clusters[c]?.region ?? "?";
    const rows = BOOKINFO_WORKLOADS.map((w) => ({
        workload: w,
        clusters: (b.placement[w] ?? []).map((c) => `${c} (${region(c)})`).join(", ") || "-",
    }));
    const inPlan = plan.resources.filter((r) => /bookinfo/i.test(r.type) || /bookinfo/i.test(r.name)).length;
    const lines = [
        format === "markdown" ? markdownTable(rows.map((r) => ({ workload: `\`${r.workload}\``, clusters: markdownCell(r.clusters) })), ["workload", "clusters"]) : textTable(rows, ["workload", "clusters"]),
        "",
        `Routing: ${ROUTING[b.routing] ?? b.routing}`,
    ];
    if (b.routing === "locality-failover" && b.failover.length) lines.push(`Failover: ${b.failover.map((f) => `${f.from} → ${f.to}`).join(", ")}`);
    lines.push(`Image tag: ${b.tag}`, inPlan ? `Bookinfo resources in the plan: ${inPlan}` : "Bookinfo resources in the plan: none (the program does not create Bookinfo yet)");
    return lines;
}

/** Minutes as `1.5 min`, or `8 s` under a minute. */
export function formatMinutes(minutes: number): string {
    if (minutes < 1) return `${Math.round(minutes * 60)} s`;
    return `${Number(minutes.toFixed(1))} min`;
}

/**
 * The critical path of a plan with the bench's reference times (`bench/weights.ts`): the longest
 * chain of waits in minutes, as `npm run bench` computes it. `unknownTypes` lists the custom
 * types without a reference time (0.5 min each is used for them, as in the bench).
 */
export function referenceCriticalPath(plan: CanonicalPlan): { path: CriticalPath; unknownTypes: string[] } {
    const graph = dependencyGraph(plan);
    const unknown = new Set<string>();
    const path = criticalPath(graph, referenceWeight(graph, unknown));
    return { path, unknownTypes: [...unknown].sort() };
}

/** Resources (custom resources, providers, reads) on a path: the weight-free depth. */
export function pathDepth(cp: CriticalPath): number {
    return cp.steps.filter((s) => defaultWeight(s.node) > 0).length;
}

/** The critical path as numbered lines: when each step is done (minutes from the start) and its own reference time. */
export function criticalPathLines(cp: CriticalPath, format: RenderFormat): string[] {
    return cp.steps.map((s, i) => {
        const via = s.via && !(s.via.length === 1 && s.via[0] === "dependency") ? `  [waits via ${s.via.join(", ")}]` : "";
        const type = displayType(s.node.type);
        const what = s.node.kind === "read" ? `${type}, read` : s.node.custom ? type : `${type}, component: done when its children are`;
        const when = `${s.finish.toFixed(1)} min (+${formatMinutes(s.weight)})`;
        return format === "markdown"
            ? `${i + 1}. ${when} \`${markdownCell(s.node.name)}\` (${markdownCell(what)})${via}`
            : `  ${String(i + 1).padStart(2)}. ${when.padEnd(19)} ${s.node.name}  (${what})${via}`;
    });
}

/** The warnings the program logged (`pulumi.log.warn`), e.g. image sources a mainland-China cluster cannot reach. */
export function warningLines(logs: readonly RecordedLog[], format: RenderFormat): string[] {
    return logs.filter((l) => l.severity === "warning").map((l) => (format === "markdown" ? `> **Warning:** ${markdownCell(l.message)}` : `!! WARNING: ${l.message}`));
}

/** The checks the live preflight passed (its summary log), one per line. */
export function preflightLines(logs: readonly RecordedLog[], format: RenderFormat): string[] {
    const summary = logs.find((l) => l.severity === "info" && l.message.startsWith(PREFLIGHT_SUMMARY_HEADING));
    if (!summary) return ["(the preflight did not run)"];
    const lines = summary.message.split("\n");
    return format === "markdown" ? [lines[0], "", ...lines.slice(1).map((l) => `- ${markdownCell(l.trim().replace(/^ok\s+/, ""))}`)] : lines;
}

/** The images and charts to mirror, one per line. */
export function imageLines(planned: PlannedTopology, plan: CanonicalPlan): string[] {
    const gateways = plan.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release" && /(^|\/)gateway$/.test(String((r.inputs as Record<string, unknown>)["chart"] ?? "")));
    const list = mirrorList(planned.config, gateways);
    return [...list.images.map((i) => `image ${i}`), ...list.charts.map((c) => `chart ${c}`)];
}

/**
 * Alibaba Cloud's billing pages for the things the cost summary counts. Each was found in
 * Alibaba's documentation (the billing topic of the product) and is linked, never quoted:
 * prices change and differ by region.
 */
export const PRICING_PAGES = {
    ack: { title: "ACK cluster billing", url: "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/product-overview/ack-pro-cluster-billing" },
    ecs: { title: "ECS pay-as-you-go billing", url: "https://alibabacloud.com/help/en/ecs/pay-as-you-go-1" },
    clb: { title: "CLB billing", url: "https://alibabacloud.com/help/en/slb/classic-load-balancer/product-overview/billing-overview" },
    nat: { title: "NAT Gateway billing", url: "https://alibabacloud.com/help/en/nat-gateway/product-overview/pricing" },
    eip: { title: "EIP billing", url: "https://www.alibabacloud.com/help/en/eip/billing-overview" },
    cen: { title: "CEN billing", url: "https://www.alibabacloud.com/help/en/cen/product-overview/billing-rules" },
} as const;

/** One line of the cost summary. */
export interface BillableLine {
    /** What is billed, e.g. `ECS workers, ecs.g7.xlarge`. */
    readonly item: string;
    /** How many. */
    readonly count: number;
    /** Which ones, and how they are billed where the plan says so. */
    readonly detail: string;
    /** Its billing page ({@link PRICING_PAGES}). */
    readonly pricing: keyof typeof PRICING_PAGES;
}

// The type tokens the simulated cloud models (sim/alicloud.ts, sim/kubernetes.ts).
const ACK_TYPE = ALI.cluster;
const ACK_COMPONENT_TYPE = ACK_CLUSTER_TYPE;
const NODE_POOL_TYPE = ALI.nodePool;
const NAT_TYPE = ALI.natGateway;
const EIP_TYPE = ALI.eip;
const TR_TYPE = ALI.transitRouter;
const TR_VPC_TYPE = ALI.trVpcAttachment;
const TR_PEER_TYPE = ALI.trPeerAttachment;
const SERVICE_TYPE = K8S.service;
const RELEASE_TYPE = K8S.release;

const rec = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** `ack.standard` is ACK Basic; `ack.pro.*` are ACK Pro (which alone has a cluster management fee). */
export function ackEdition(clusterSpec: string): string {
    if (clusterSpec === "ack.standard") return "Basic";
    return clusterSpec.startsWith("ack.pro.") ? "Pro" : clusterSpec;
}

/** Values grouped by a key, keys in first-seen order. */
function groupBy<T>(items: readonly T[], key: (t: T) => string): [string, T[]][] {
    const m = new Map<string, T[]>();
    for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
    return [...m];
}

/**
 * The billable things the plan creates (registered, not read), counted:
 * - ACK clusters by edition (`clusterSpec`), and the API server CLB ACK creates for each;
 * - ECS workers by instance type: each node pool's `desiredSize` × its FIRST instance type (ACK
 *   may use a later type of the list where the first is sold out);
 * - CLBs of `LoadBalancer` Services (the Istio gateway charts' Services and plain Services),
 *   internet or intranet by the `alibaba-cloud-loadbalancer-address-type` annotation (the CCM
 *   makes an internet CLB without it);
 * - NAT gateways and EIPs;
 * - CEN transit routers, their VPC connections and the inter-region connections with their bandwidth.
 */
export function billables(plan: CanonicalPlan, clusterNames: readonly string[] = []): BillableLine[] {
    const created = plan.resources.filter((r) => r.operation === "register");
    const of = (type: string) => created.filter((r) => r.type === type);
    const lines: BillableLine[] = [];
    const names = (rs: readonly CanonicalResource[], field?: string) => rs.map((r) => (field && str(r.inputs[field])) || r.name).join(", ");

    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const clusters = of(ACK_TYPE);
    // The cluster's name in the stack config is its AckCluster component's name.
    const clusterKey = (c: CanonicalResource) => (c.parent && byUrn.get(c.parent)?.type === ACK_COMPONENT_TYPE ? byUrn.get(c.parent)!.name : c.name);
    const specs = groupBy(clusters, (c) => str(c.inputs["clusterSpec"]) ?? "(default)");
    for (const [spec, cs] of specs) lines.push({ item: `ACK clusters, ${spec} (${ackEdition(spec)})`, count: cs.length, detail: cs.map(clusterKey).join(", "), pricing: "ack" });
    if (!specs.length) lines.push({ item: "ACK clusters", count: 0, detail: "-", pricing: "ack" });

    const pools = of(NODE_POOL_TYPE).map((p) => ({
        name: str(p.inputs["nodePoolName"]) ?? p.name,
        type: (Array.isArray(p.inputs["instanceTypes"]) ? str(p.inputs["instanceTypes"][0]) : undefined) ?? "(none)",
        size: Number(p.inputs["desiredSize"] ?? 0) || 0,
    }));
    const byType = groupBy(pools, (p) => p.type);
    for (const [type, ps] of byType) lines.push({ item: `ECS workers, ${type}`, count: ps.reduce((n, p) => n + p.size, 0), detail: ps.map((p) => `${p.name} ${p.size}`).join(", "), pricing: "ecs" });
    if (!byType.length) lines.push({ item: "ECS workers", count: 0, detail: "-", pricing: "ecs" });
    const publicApi = clusters.filter((c) => c.inputs["slbInternetEnabled"] !== false).length;
    lines.push({ item: "SLB (CLB) of the API server, by ACK", count: clusters.length, detail: clusters.length ? `one per cluster; public endpoint on ${publicApi} (slbInternetEnabled)` : "-", pricing: "clb" });

    const gateways = new Map(gatewaysOf(plan, clusterNames).map((g) => [g.urn, g]));
    const lbs: { what: string; where: string; exposure: "internet" | "intranet" }[] = [];
    for (const r of created) {
        if (r.type === RELEASE_TYPE && gateways.has(r.urn)) {
            const service = rec(rec(r.inputs["values"])?.["service"]);
            if ((str(service?.["type"]) ?? "LoadBalancer") !== "LoadBalancer") continue;
            const g = gateways.get(r.urn)!;
            lbs.push({ what: g.release, where: g.cluster, exposure: g.exposure });
        } else if (r.type === SERVICE_TYPE && str(rec(r.inputs["spec"])?.["type"]) === "LoadBalancer") {
            const annotations = rec(rec(r.inputs["metadata"])?.["annotations"]);
            lbs.push({ what: str(rec(r.inputs["metadata"])?.["name"]) ?? r.name, where: "", exposure: str(annotations?.[ALIBABA_LB_ADDRESS_TYPE]) === "intranet" ? "intranet" : "internet" });
        }
    }
    for (const exposure of ["internet", "intranet"] as const) {
        const mine = lbs.filter((l) => l.exposure === exposure);
        const detail = groupBy(mine, (l) => l.what)
            .map(([what, ls]) => (ls.some((l) => l.where) ? `${what} in ${ls.map((l) => l.where).join(", ")}` : `${what} ×${ls.length}`))
            .join("; ");
        lines.push({ item: `SLB (CLB), ${exposure}, LoadBalancer Service`, count: mine.length, detail: detail || "-", pricing: "clb" });
    }

    const nats = of(NAT_TYPE);
    const natDetail = groupBy(nats, (n) => [str(n.inputs["natType"]), str(n.inputs["internetChargeType"])].filter(Boolean).join(", "))
        .map(([how, ns]) => `${names(ns, "natGatewayName")}${how ? ` (${how})` : ""}`)
        .join("; ");
    lines.push({ item: "NAT gateways", count: nats.length, detail: natDetail || "-", pricing: "nat" });
    const eips = of(EIP_TYPE);
    const eipDetail = groupBy(eips, (e) => `${str(e.inputs["internetChargeType"]) ?? "?"}, up to ${String(e.inputs["bandwidth"] ?? "?")} Mbit/s`)
        .map(([how, es]) => `${names(es, "addressName")} (${how})`)
        .join("; ");
    lines.push({ item: "EIPs", count: eips.length, detail: eipDetail || "-", pricing: "eip" });

    const region = (r: CanonicalResource) => (r.provider ? str(byUrn.get(r.provider)?.inputs["region"]) : undefined) ?? "?";
    const trs = of(TR_TYPE);
    lines.push({ item: "CEN transit routers", count: trs.length, detail: trs.map(region).join(", ") || "-", pricing: "cen" });
    const vpcAttachments = of(TR_VPC_TYPE);
    lines.push({ item: "CEN VPC connections", count: vpcAttachments.length, detail: names(vpcAttachments) || "-", pricing: "cen" });
    const links = new Map(cenLinksOf(plan).map((l) => [l.name, l]));
    const peers = of(TR_PEER_TYPE);
    const peerDetail = peers
        .map((p) => {
            const l = links.get(p.name);
            const bw = p.inputs["bandwidth"] === undefined ? "" : `${String(p.inputs["bandwidth"])} Mbit/s`;
            const how = [bw, str(p.inputs["bandwidthType"])].filter(Boolean).join(", ");
            return `${l ? `${l.from} ↔ ${l.to}` : p.name}${how ? ` (${how})` : ""}`;
        })
        .join("; ");
    lines.push({ item: "CEN inter-region connections", count: peers.length, detail: peerDetail || "-", pricing: "cen" });
    return lines;
}

/** The "What this costs" section: counts, the footnotes and the pricing links. */
export function costLines(lines: readonly BillableLine[], format: RenderFormat): string[] {
    const up = format === "markdown" ? "`pulumi up`" : "pulumi up";
    const notes = [
        `Counts of the billable things ${up} creates, not prices: prices depend on the region, the billing method and discounts.`,
        "ECS workers are each node pool's desiredSize × its first instance type (ACK may use a later type of the list where the first is sold out); their system disks are billed with them.",
        "Traffic (internet through the NAT gateways, EIPs and internet SLBs; inter-region through CEN) is billed by use and not counted here.",
    ].map((n) => `- ${n}`);
    const used = [...new Set(lines.map((l) => l.pricing))];
    if (format === "markdown") {
        const link = (k: keyof typeof PRICING_PAGES) => `[${PRICING_PAGES[k].title}](${PRICING_PAGES[k].url})`;
        const rows = lines.map((l) => ({ billable: markdownCell(l.item), count: String(l.count), detail: markdownCell(l.detail), pricing: link(l.pricing) }));
        return [markdownTable(rows, ["billable", "count", "detail", "pricing"]), "", ...notes];
    }
    const rows = lines.map((l) => ({ billable: l.item, count: String(l.count), detail: l.detail }));
    return [
        fitTable(rows, ["billable", "count", "detail"]),
        "",
        ...notes,
        "",
        "Pricing (Alibaba Cloud's billing pages):",
        ...used.map((k) => `  ${k.toUpperCase()}  ${PRICING_PAGES[k].url}`),
    ];
}

/** Quotes a word for a POSIX shell when it needs it. */
function shellWord(w: string): string {
    return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}

/**
 * The `pulumi` commands that run this plan for real. Pulumi reads `stacks/Pulumi.<stack>.yaml`
 * (`stackConfigDir`); any other stack file is passed with `--config-file`.
 *
 * @param file the stack file the plan read, relative to the project or absolute.
 */
export function nextStepCommands(stack: string, file: string): string[] {
    const own = path.normalize(file) === path.join("stacks", `Pulumi.${stack}.yaml`);
    const extra = own ? "" : ` --config-file ${shellWord(file)}`;
    return [`pulumi preview -s ${shellWord(stack)}${extra}`, `pulumi up -s ${shellWord(stack)}${extra}`];
}

/** The "Next step" section. */
export function nextStepLines(stack: string, file: string, format: RenderFormat): string[] {
    const cmds = nextStepCommands(stack, file);
    const own = path.normalize(file) === path.join("stacks", `Pulumi.${stack}.yaml`);
    const intro = "Preview against the real cloud, then apply (Alibaba Cloud credentials needed):";
    const code = (c: string) => (format === "markdown" ? `\`${c}\`` : c);
    const notes = [
        ...(own ? [] : [`The stack is ${stack}; --config-file makes Pulumi read that file instead of stacks/Pulumi.${stack}.yaml.`]),
        `For a new stack, run ${code(`pulumi stack init ${stack}`)} first.`,
    ];
    return format === "markdown" ? [intro, "", "```sh", ...cmds, "```", "", ...notes] : [intro, ...cmds.map((c) => `  ${c}`), ...notes];
}

/** Rows of the CIDR plan: one per cluster (VPC, pod and service ranges) and one per zone (vSwitches). */
export function cidrRows(planned: PlannedTopology): { clusters: Record<string, string>[]; zones: Record<string, string>[]; zoneColumns: string[] } {
    const clusters = cidrTable(planned.network).map((r) => ({ cluster: r.cluster, region: r.region, vpc: r.vpc, pod: r.pod, service: r.service }));
    const nets = Object.values(planned.network.clusters);
    const terway = nets.some((c) => Object.values(c.zones).some((z) => z.podVswitch));
    const zones = nets.flatMap((c) => Object.values(c.zones).map((z) => ({ cluster: c.name, zone: z.zone, vswitch: z.vswitch, "pod vswitch": z.podVswitch ?? "-" })));
    return { clusters, zones, zoneColumns: terway ? ["cluster", "zone", "vswitch", "pod vswitch"] : ["cluster", "zone", "vswitch"] };
}

/** What the plan's renderer needs besides the plan. */
export interface RenderOptions {
    /** Warnings and the preflight summary the program logged. */
    readonly logs?: readonly RecordedLog[];
    /** Resource tree mode. @default "grouped" */
    readonly tree?: TreeMode;
    /** The stack file, relative to the project (or absolute outside it), for the next step. @default stacks/Pulumi.<stack>.yaml */
    readonly stackFile?: string;
}

/** Renders the full plan. The text format fits {@link TEXT_WIDTH} columns (long prose lines wrap). */
export function renderPlan(stack: string, planned: PlannedTopology, resources: RecordedResource[], plan: CanonicalPlan, format: RenderFormat, options: RenderOptions = {}): string {
    const logs = options.logs ?? [];
    const md = format === "markdown";
    const h = (title: string) => (md ? `### ${title}` : title);
    const table = (rows: Record<string, string>[], headers?: string[]) =>
        md ? markdownTable(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, markdownCell(v)]))), headers) : fitTable(rows, headers);
    const gateways = gatewaysOf(plan, Object.keys(planned.config.clusters));
    const { path: cp, unknownTypes } = referenceCriticalPath(plan);
    const out: string[] = [];
    out.push(md ? `## ack-mesh offline plan: stack \`${stack}\`` : `ack-mesh offline plan: stack ${stack} (simulated cloud; nothing is created)`, "");
    const warnings = warningLines(logs, format);
    if (warnings.length) out.push(h(`Warnings: ${warnings.length}`), ...warnings, "");
    const layout = meshLayoutRows(planned, gateways);
    out.push(h("Mesh layout"), `${layoutSummary(planned)}`, "", table(layout, ["cluster", "region", "role", "network"]), "", table(layout, ["cluster", "ingress", "east-west"]), "");
    out.push(h("Preflight"), "What the account offers, asked through each region's provider (offline: the simulated catalog, sim/catalogData.ts).", "", ...preflightLines(logs, format), "");
    const cidr = cidrRows(planned);
    out.push(h("CIDR plan"), table(cidr.clusters, ["cluster", "region", "vpc", "pod", "service"]), "", table(cidr.zones, cidr.zoneColumns), "");
    out.push(h("Bookinfo"), ...bookinfoLines(planned, plan, format), "");
    out.push(h("What this costs"), ...costLines(billables(plan, Object.keys(planned.config.clusters)), format), "");
    const counts = countsByType(resources);
    out.push(h(`Resources: ${resources.length}`), table(Object.entries(counts).map(([type, n]) => ({ type: displayType(type), count: String(n) }))), "");
    out.push(
        h(`Critical path: ${formatMinutes(cp.length)}, ${pathDepth(cp)} resources deep`),
        "The longest chain of waits when everything else runs in parallel: each resource waits for its dependencies and its provider; a component is done when its children are.",
        "Minutes are the reference creation times of bench/weights.ts (typical times in a healthy region; sources in bench/README.md): when each step is done, and (+) its own time.",
        ...(unknownTypes.length ? [`Types without a reference time (0.5 min used): ${unknownTypes.join(", ")}`] : []),
        "",
        ...criticalPathLines(cp, format),
        "",
    );
    const tree = resourceTree(resources, options.tree ?? "grouped");
    const treeTitle = options.tree === "full" ? "Resource tree" : `Resource tree (${TREE_NOTE})`;
    if (md) out.push(`<details><summary>${treeTitle}</summary>`, "", "```", tree, "```", "", "</details>", "");
    else out.push(treeTitle, tree, "");
    const file = options.stackFile ?? path.join("stacks", `Pulumi.${stack}.yaml`);
    out.push(h("Next step"), ...nextStepLines(stack, file, format));
    return md ? out.join("\n") : wrapText(out.join("\n"));
}

/** How the grouped tree says it is grouped. */
export const TREE_NOTE = `${TREE_GROUP_MIN} or more leaves of one type under one parent as one line; --tree full lists each`;

function configErrorOf(e: unknown): ConfigError | undefined {
    if (ConfigError.is(e)) return e;
    if (e instanceof SimulationError) return e.errors.find((x): x is ConfigError => ConfigError.is(x));
    return undefined;
}

/**
 * The CLI. Returns the exit status instead of exiting, so tests can run it in-process.
 *
 * @param argv arguments after the script name.
 * @param io where to write. @default stdout/stderr
 */
export async function main(argv: readonly string[], io: PlanIO = consoleIO): Promise<number> {
    let args: PlanArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (e instanceof UsageError) {
            io.err(`${e.message}\n${USAGE}`);
            return 1;
        }
        throw e;
    }
    if (args.help) {
        io.out(USAGE);
        return 0;
    }
    // Read the earlier plan first: a bad file should fail before the simulation runs.
    let old: CanonicalPlan | undefined;
    if (args.diff) {
        try {
            old = parseCanonicalPlan(fs.readFileSync(args.diff, "utf8"), args.diff);
        } catch (e) {
            const errno = (e as NodeJS.ErrnoException)?.code;
            if (e instanceof PlanFormatError || errno === "ENOENT" || errno === "EISDIR" || errno === "EACCES") {
                io.err(e instanceof PlanFormatError ? e.message : `cannot read the earlier plan ${args.diff}: ${errno}`);
                return 1;
            }
            throw e;
        }
    }
    // The stack: named, else from the file name (Pulumi.<stack>.yaml), else the earlier plan's (a diff compares one stack).
    const fromFile = args.stackFile ? /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(args.stackFile))?.[1] : undefined;
    const stack = args.stack ?? fromFile ?? old?.stack ?? "custom";
    if (old && old.stack !== stack) {
        io.err(`${args.diff} is a plan of stack ${old.stack}, not of ${stack}: a diff compares two plans of one stack (name it: npm run plan -- ${old.stack} --stack-file … --diff …)`);
        return 1;
    }
    let cfg: ReturnType<typeof stackConfig>;
    try {
        cfg = stackConfig(stack, args.stackFile);
    } catch (e) {
        io.err(e instanceof Error ? e.message : String(e));
        // A stack file that is not valid YAML is an invalid stack config (its message has file:line:column).
        return StackFileError.is(e) ? 2 : 1;
    }
    const label = path.relative(process.cwd(), cfg.file) || cfg.file;
    const raw = namespaceValues(cfg.config);
    let planned: PlannedTopology;
    try {
        planned = planTopology(raw);
    } catch (e) {
        const ce = configErrorOf(e);
        if (ce) {
            io.err(`${label}: ${ce.message}`);
            return 2;
        }
        throw e;
    }
    const project = projectName();
    let result;
    try {
        result = await simulate(runAckMesh, { project, stack, config: cfg.config, secretConfigKeys: cfg.secretConfigKeys });
    } catch (e) {
        const ce = configErrorOf(e);
        if (ce) {
            io.err(`${label}: ${ce.message}`);
            return 2;
        }
        io.err(e instanceof Error ? e.message : String(e));
        return 1;
    }
    const plan = canonicalPlan(result, { stack, project });
    if (args.json) {
        fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
        fs.writeFileSync(args.json, `${stableStringify(plan)}\n`);
    }
    let code = 0;
    if (old) {
        const diff = diffPlans(old, plan);
        io.out(renderDiff(diff, { format: args.format, allowReplace: args.allowReplace }));
        code = diffExitCode(diff, args.allowReplace);
        // Day-2: which upgrade steps this is (docs/upgrade.md); a downgrade or the removal of a revision
        // still in use blocks whatever --allow-replace says (only --allow-remove-revision lifts the latter).
        const upgrade = classifyUpgrade(diff, old, plan, { allowRevisionRemoval: args.allowRevisionRemoval ?? false });
        const steps = renderUpgradeSteps(upgrade, args.format);
        if (steps) io.out(steps);
        if (upgrade.blocking) code = 3;
    }
    if (args.mermaid) {
        const chart = mermaidFlowchart(plan, meshTopologyOf(planned));
        const heading = args.diff ? `\n#### Deployment of ${stack}\n\n` : "";
        io.out(args.format === "markdown" ? `${heading}\`\`\`mermaid\n${chart}\n\`\`\`` : chart);
    }
    if (args.images) {
        io.out(imageLines(planned, plan).join("\n"));
        return code;
    }
    if (!args.diff && !args.mermaid) {
        const rel = path.relative(ROOT, path.resolve(cfg.file));
        const stackFile = rel.startsWith("..") || path.isAbsolute(rel) ? path.resolve(cfg.file) : rel;
        io.out(renderPlan(stack, planned, result.resources, plan, args.format, { logs: result.logs, tree: args.tree, stackFile }));
    }
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        // Exit once stdout is flushed (a pipe may still hold the output).
        (code) => process.stdout.write("", () => process.exit(code)),
        (err) => {
            console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
            process.exit(1);
        },
    );
}
