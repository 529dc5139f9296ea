/**
 * The ack-mesh CrossGuard policies: the invariants of the multi-cluster Istio topology on ACK,
 * checked on ANY program that builds it (with the ack-mesh components or without them).
 *
 * | # | policy | kind | level |
 * |---|---|---|---|
 * | 1 | `vpc-vswitch-cidrs-disjoint` | stack | mandatory |
 * | 2 | `cluster-cidrs-disjoint` | stack | mandatory |
 * | 3 | `no-internet-ingress` | resource | mandatory |
 * | 4 | `ack-min-workers` | stack | mandatory |
 * | 5 | `prod-cluster-deletion-protection` | resource | advisory |
 * | 6 | `istio-chart-version-pinned` | resource | mandatory |
 * | 7 | `kubeconfig-is-secret` | resource | remediate (violations are mandatory) |
 * | 8 | `mesh-secrets-are-secret` | resource | remediate (violations are mandatory) |
 *
 * Every policy reads properties with `read` (values.ts): an unknown value (preview) skips the check
 * instead of producing a violation. Why 7 and 8 run at level `remediate`: see values.ts and README.md.
 *
 * @module
 */
// Deep imports: the pack is type-checked by ts-node each time the engine starts it, and the package
// indexes would pull in every declaration of both providers (seconds of start-up for nothing).
import { Instance as CenInstance } from "@pulumi/alicloud/cen/instance";
import { ManagedKubernetes } from "@pulumi/alicloud/cs/managedKubernetes";
import { NodePool } from "@pulumi/alicloud/cs/nodePool";
import { SecurityGroupRule } from "@pulumi/alicloud/ecs/securityGroupRule";
import { Network } from "@pulumi/alicloud/vpc/network";
import { Switch } from "@pulumi/alicloud/vpc/switch";
import { Secret as KubernetesSecret } from "@pulumi/kubernetes/core/v1/secret";
import { Release } from "@pulumi/kubernetes/helm/v3/release";
import * as pulumi from "@pulumi/pulumi";
import {
    Policies,
    PolicyResource,
    ReportViolation,
    ResourceValidationPolicy,
    Secret,
    StackValidationPolicy,
    remediateResourceOfType,
    validateResourceOfType,
} from "@pulumi/policy";
import { Cidr, isWholeAddressSpace, overlaps, parseCidr } from "./cidr";
import { SecretnessLedger, UNKNOWN, Unknown, plaintextPaths, rawProperty, read, readString, wrapPlaintext } from "./values";

/** Name of the policy pack (`pulumi preview --policy-pack policy` reports it). */
export const POLICY_PACK_NAME = "ack-mesh";

/** The policy names: stable identifiers for `--policy-pack-config` and Pulumi Cloud. */
export const POLICY_NAMES = {
    networkCidrsDisjoint: "vpc-vswitch-cidrs-disjoint",
    clusterCidrsDisjoint: "cluster-cidrs-disjoint",
    noInternetIngress: "no-internet-ingress",
    minWorkers: "ack-min-workers",
    prodDeletionProtection: "prod-cluster-deletion-protection",
    istioChartPinned: "istio-chart-version-pinned",
    kubeconfigSecret: "kubeconfig-is-secret",
    meshSecretsSecret: "mesh-secrets-are-secret",
} as const;

/** Type tokens the policies look at (the typed classes are used where the SDK can match them). */
export const TYPES = {
    vpc: "alicloud:vpc/network:Network",
    vswitch: "alicloud:vpc/switch:Switch",
    cen: "alicloud:cen/instance:Instance",
    cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
    nodePool: "alicloud:cs/nodePool:NodePool",
    securityGroupRule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
    helmRelease: "kubernetes:helm.sh/v3:Release",
    /**
     * Not matchable with `validateResourceOfType(kubernetes.Provider, …)`: `Provider.__pulumiType` is
     * `"kubernetes"`, so the SDK's type check never equals `pulumi:providers:kubernetes`.
     */
    kubernetesProvider: "pulumi:providers:kubernetes",
    kubernetesSecret: "kubernetes:core/v1:Secret",
} as const;

/** The official Istio Helm repository (the `DEFAULTS.istioHelmRepository` of ack-mesh). */
export const ISTIO_HELM_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";
/** The Istio charts whose releases must pin a version. */
export const ISTIO_CHARTS: readonly string[] = ["base", "istiod", "gateway"];
/** An exact chart version (semver 2, optional `v`); ranges such as `^1.30`, `1.30.x`, `>=1.30` are not. */
export const EXACT_CHART_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** Name of the Istio plug-in CA Secret istiod mounts. */
export const CACERTS_SECRET_NAME = "cacerts";
/** Name prefix of the Secrets `istioctl create-remote-secret` (and ack-mesh) create. */
export const REMOTE_SECRET_PREFIX = "istio-remote-secret-";
/** Label istiod discovers remote secrets by, whatever their name. */
export const MULTI_CLUSTER_LABEL = "istio/multiCluster";
/** Fewest workers per cluster (`ack-min-workers` default). */
export const DEFAULT_MIN_WORKERS = 3;
/** Stacks whose clusters need deletion protection (`prod-cluster-deletion-protection` default). */
export const DEFAULT_PROD_STACK_PATTERN = "^prod";

/** What the policies need from their surroundings; injectable for tests. */
export interface PolicyEnvironment {
    /**
     * Name of the stack being checked. The engine starts the policy pack with `PULUMI_NODEJS_STACK`
     * (and `PULUMI_STACK`) set, so `pulumi.getStack()` works in a pack; @pulumi/policy 1.21.0 itself
     * passes no stack name to policies (only `stackTags`).
     */
    stack(): string;
}

/** The default environment: the stack of the running deployment. */
export const DEFAULT_ENVIRONMENT: PolicyEnvironment = { stack: () => pulumi.getStack() };

/** The pack's policies, by rule. */
export interface AckMeshPolicies {
    /** Rule 1. */
    readonly networkCidrsDisjoint: StackValidationPolicy;
    /** Rule 2. */
    readonly clusterCidrsDisjoint: StackValidationPolicy;
    /** Rule 3. */
    readonly noInternetIngress: ResourceValidationPolicy;
    /** Rule 4. */
    readonly minWorkers: StackValidationPolicy;
    /** Rule 5. */
    readonly prodDeletionProtection: ResourceValidationPolicy;
    /** Rule 6. */
    readonly istioChartPinned: ResourceValidationPolicy;
    /** Rule 7. */
    readonly kubeconfigSecret: ResourceValidationPolicy;
    /** Rule 8. */
    readonly meshSecretsSecret: ResourceValidationPolicy;
    /** All of them, in rule order, for `new PolicyPack(…, { policies })`. */
    readonly all: Policies;
}

// --- helpers --------------------------------------------------------------------------

/** A CIDR a resource holds in one of its properties. */
interface Held {
    readonly resource: PolicyResource;
    readonly what: string;
    readonly cidr: Cidr;
}

/** `VPC "net-vpc-a"`-style label for messages. */
function label(kind: string, r: { name: string }): string {
    return `${kind} "${r.name}"`;
}

/** Every unordered pair of `xs`, in order. */
function pairs<T>(xs: readonly T[]): Array<[T, T]> {
    const out: Array<[T, T]> = [];
    for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) out.push([xs[i], xs[j]]);
    return out;
}

/** The known, parsable CIDR in `r.props[prop]`, if any. */
function heldCidr(r: PolicyResource, prop: string, what: string): Held | undefined {
    const text = readString(() => r.props[prop]);
    if (text === UNKNOWN || text === undefined) return undefined;
    const cidr = parseCidr(text);
    return cidr ? { resource: r, what, cidr } : undefined;
}

/**
 * The resource among `candidates` that `r.<prop>` refers to: through the property dependencies the
 * engine records (known even in a preview, when the referenced ID is not), else by value against the
 * candidates' `id` output. `undefined` when it refers to none of them; {@link UNKNOWN} when that
 * cannot be told yet.
 */
export function referencedResource(r: PolicyResource, prop: string, candidates: readonly PolicyResource[]): PolicyResource | undefined | Unknown {
    const deps = r.propertyDependencies?.[prop] ?? [];
    const viaDeps = candidates.find((c) => deps.some((d) => d.urn === c.urn));
    if (viaDeps) return viaDeps;
    const value = readString(() => r.props[prop]);
    if (value === UNKNOWN) return UNKNOWN;
    if (value === undefined) return undefined;
    return candidates.find((c) => readString(() => c.props["id"]) === value);
}

/** Config of a policy, with `enforcementLevel` removed by the SDK. */
function config<T extends object>(args: { getConfig<C extends object>(): C }): Partial<T> {
    return args.getConfig<Partial<T>>() ?? {};
}

// --- rule 1: VPC / vSwitch CIDRs --------------------------------------------------------

/**
 * Rule 1 as a pure function over the stack's resources: overlapping VPCs when the stack has a CEN
 * instance; overlapping vSwitches in one VPC, or anywhere when the stack has a CEN instance.
 */
export function checkNetworkCidrs(resources: readonly PolicyResource[], report: ReportViolation): void {
    const vpcResources = resources.filter((r) => r.isType(Network));
    const cens = resources.filter((r) => r.isType(CenInstance));
    const cenNames = cens.map((c) => `"${c.name}"`).join(", ");
    if (cens.length > 0) {
        const vpcs = vpcResources.map((r) => heldCidr(r, "cidrBlock", "VPC")).filter((h): h is Held => h !== undefined);
        for (const [a, b] of pairs(vpcs)) {
            if (!overlaps(a.cidr, b.cidr)) continue;
            report(
                `${label("VPC", b.resource)} (${b.cidr.text}) overlaps ${label("VPC", a.resource)} (${a.cidr.text}) in a stack with CEN ${cenNames}: ` +
                    "CEN cannot route between overlapping VPCs, and a VPC CIDR cannot change without replacing the VPC. Fix: give every VPC its own range",
                b.resource.urn,
            );
        }
    }
    const switches = resources
        .filter((r) => r.isType(Switch))
        .map((r) => {
            const held = heldCidr(r, "cidrBlock", "vSwitch");
            return held ? { ...held, vpc: referencedResource(r, "vpcId", vpcResources) } : undefined;
        })
        .filter((s): s is Held & { vpc: PolicyResource | undefined | Unknown } => s !== undefined);
    for (const [a, b] of pairs(switches)) {
        if (!overlaps(a.cidr, b.cidr)) continue;
        const sameVpc = a.vpc !== UNKNOWN && a.vpc !== undefined && a.vpc === b.vpc;
        if (!sameVpc && cens.length === 0) continue;
        const why = sameVpc
            ? `both in ${label("VPC", a.vpc as PolicyResource)}: vSwitches of one VPC must not overlap`
            : `the stack has CEN ${cenNames}, which routes vSwitch CIDRs: overlapping vSwitches cannot reach each other`;
        report(`${label("vSwitch", b.resource)} (${b.cidr.text}) overlaps ${label("vSwitch", a.resource)} (${a.cidr.text}); ${why}. Fix: choose disjoint vSwitch CIDRs`, b.resource.urn);
    }
}

// --- rule 2: pod and service CIDRs --------------------------------------------------------

/**
 * Rule 2 as a pure function: each cluster's pod CIDR (Flannel) and service CIDR overlap no VPC of the
 * stack, each other, nor any other cluster's pod or service CIDR.
 */
export function checkClusterCidrs(resources: readonly PolicyResource[], report: ReportViolation): void {
    const vpcs = resources
        .filter((r) => r.isType(Network))
        .map((r) => heldCidr(r, "cidrBlock", "VPC"))
        .filter((h): h is Held => h !== undefined);
    const clusters = resources
        .filter((r) => r.isType(ManagedKubernetes))
        .map((r) => [heldCidr(r, "podCidr", "pod CIDR"), heldCidr(r, "serviceCidr", "service CIDR")].filter((h): h is Held => h !== undefined));
    const describe = (h: Held) => `${h.what} ${h.cidr.text} of ${label("cluster", h.resource)}`;
    for (const ranges of clusters) {
        for (const [a, b] of pairs(ranges)) {
            if (overlaps(a.cidr, b.cidr)) report(`${describe(b)} overlaps its own ${a.what} ${a.cidr.text}. Fix: choose disjoint pod and service CIDRs`, b.resource.urn);
        }
        for (const range of ranges) {
            for (const vpc of vpcs) {
                if (!overlaps(range.cidr, vpc.cidr)) continue;
                report(
                    `${describe(range)} overlaps ${label("VPC", vpc.resource)} (${vpc.cidr.text}): pod and service addresses would shadow VPC (and, over CEN, peer) addresses. ` +
                        "Fix: pick a range outside every VPC (pod and service CIDRs force replacement of the cluster)",
                    range.resource.urn,
                );
            }
        }
    }
    for (const [mine, theirs] of pairs(clusters)) {
        for (const b of theirs) {
            for (const a of mine) {
                if (!overlaps(a.cidr, b.cidr)) continue;
                report(`${describe(b)} overlaps ${describe(a)}: meshed clusters must not share pod or service addresses. Fix: choose disjoint ranges`, b.resource.urn);
            }
        }
    }
}

// --- rule 3: no ingress from anywhere -----------------------------------------------------

/** The source fields of a security group rule that can name an address range. */
const RULE_SOURCES = ["cidrIp", "ipv6CidrIp"] as const;

/**
 * Rule 3 as a pure function over one `ecs.SecurityGroupRule`'s inputs: an accepting ingress rule
 * whose source is a whole address space (`0.0.0.0/0`, `::/0`). Returns the messages.
 */
export function internetIngressProblems(rule: Record<string, unknown>): string[] {
    const type = readString(() => rule["type"]);
    const policy = readString(() => rule["policy"]);
    // Unknown type/policy: cannot tell whether the rule admits anything; the check runs again at `up`.
    if (type === UNKNOWN || policy === UNKNOWN) return [];
    if (type?.toLowerCase() !== "ingress" || policy?.toLowerCase() === "drop") return [];
    const protocol = readString(() => rule["ipProtocol"]);
    const ports = readString(() => rule["portRange"]);
    const what = `${typeof protocol === "string" ? protocol : "?"} ${typeof ports === "string" ? ports : "-1/-1"}`;
    const problems: string[] = [];
    for (const field of RULE_SOURCES) {
        const source = readString(() => rule[field]);
        if (typeof source !== "string") continue;
        const cidr = parseCidr(source);
        if (cidr && isWholeAddressSpace(cidr)) {
            problems.push(
                `ingress rule admits ${field} ${source} (${what}): every address on the internet. ` +
                    "Fix: admit only the peer clusters' CIDRs or security groups (SecurityGroupPeering derives them from the mesh)",
            );
        }
    }
    return problems;
}

// --- rule 4: workers ----------------------------------------------------------------------

/** Workers a node pool guarantees: a whole number, or {@link UNKNOWN}. */
export function nodePoolWorkers(pool: Record<string, unknown>): number | Unknown {
    const scaling = read(() => pool["scalingConfig"] as Record<string, unknown> | undefined);
    if (scaling === UNKNOWN) return UNKNOWN;
    if (scaling && typeof scaling === "object") {
        const enable = read(() => scaling["enable"]);
        if (enable === UNKNOWN) return UNKNOWN;
        if (enable !== false) {
            // Autoscaling (ACK's default once scalingConfig is set): minSize is what is guaranteed.
            const min = read(() => scaling["minSize"]);
            if (min === UNKNOWN) return UNKNOWN;
            return typeof min === "number" && Number.isFinite(min) ? Math.max(0, Math.floor(min)) : 0;
        }
    }
    const desired = read(() => pool["desiredSize"]);
    if (desired === UNKNOWN) return UNKNOWN;
    if (desired !== undefined && desired !== null) {
        // TF parses desiredSize (a string) with ParseInt and ignores errors: anything else is 0.
        const text = String(desired).trim();
        return /^\d+$/.test(text) ? Number(text) : 0;
    }
    const count = read(() => pool["nodeCount"]);
    if (count === UNKNOWN) return UNKNOWN;
    return typeof count === "number" && Number.isFinite(count) ? Math.max(0, Math.floor(count)) : 0;
}

/**
 * Rule 4 as a pure function: every ACK cluster of the stack has at least `minWorkers` workers across
 * the node pools that reference it (`clusterId`). A cluster whose known workers fall short while
 * some pool's size is unknown is not judged.
 */
export function checkMinWorkers(resources: readonly PolicyResource[], minWorkers: number, report: ReportViolation): void {
    const clusters = resources.filter((r) => r.isType(ManagedKubernetes));
    const pools = resources.filter((r) => r.isType(NodePool));
    const byCluster = new Map<string, Array<{ pool: PolicyResource; workers: number | Unknown }>>();
    for (const pool of pools) {
        const cluster = referencedResource(pool, "clusterId", clusters);
        if (cluster === UNKNOWN || cluster === undefined) continue;
        const list = byCluster.get(cluster.urn) ?? [];
        list.push({ pool, workers: nodePoolWorkers(pool.props) });
        byCluster.set(cluster.urn, list);
    }
    for (const cluster of clusters) {
        const list = byCluster.get(cluster.urn) ?? [];
        const known = list.reduce((sum, p) => sum + (p.workers === UNKNOWN ? 0 : p.workers), 0);
        const unknown = list.some((p) => p.workers === UNKNOWN);
        if (known >= minWorkers || unknown) continue;
        const detail = list.length === 0 ? "no node pool references it" : list.map((p) => `"${p.pool.name}": ${String(p.workers)}`).join(", ");
        report(
            `${label("cluster", cluster)} has ${known} worker(s) across its node pools (${detail}), fewer than ${minWorkers}: ` +
                "istiod, the gateways and their PodDisruptionBudgets need at least 3 nodes for HA. Fix: raise a node pool's desiredSize",
            cluster.urn,
        );
    }
}

// --- rule 6: Istio chart versions ---------------------------------------------------------

/** Strips a trailing slash so `…/charts/` and `…/charts` compare equal. */
function normalizeRepo(repo: string): string {
    return repo.trim().replace(/\/+$/, "");
}

/**
 * The Istio chart a Helm release installs (`base`, `istiod`, `gateway`), or `undefined` when it is not
 * one: a chart of that name from one of `repositories`, or `istio/<chart>` (a repo alias).
 */
export function istioChartOf(chart: string, repo: string | undefined, repositories: readonly string[]): string | undefined {
    const alias = /^istio\/([a-z0-9-]+)$/.exec(chart.trim());
    if (alias && ISTIO_CHARTS.includes(alias[1])) return alias[1];
    if (repo === undefined || !ISTIO_CHARTS.includes(chart.trim())) return undefined;
    return repositories.map(normalizeRepo).includes(normalizeRepo(repo)) ? chart.trim() : undefined;
}

// --- the policies -------------------------------------------------------------------------

/**
 * Creates the pack's policies. Each call has its own remediation→validation ledgers, so tests can use
 * fresh instances.
 */
export function createPolicies(env: PolicyEnvironment = DEFAULT_ENVIRONMENT): AckMeshPolicies {
    const networkCidrsDisjoint: StackValidationPolicy = {
        name: POLICY_NAMES.networkCidrsDisjoint,
        description:
            "In a stack with a CEN, VPC CIDRs and all vSwitch CIDRs are pairwise disjoint; without one, the vSwitches of each VPC are. " +
            "Mandatory: CEN cannot route overlapping ranges, and VPC/vSwitch CIDRs are ForceNew, so an overlap can only be fixed by replacing the network and everything in it.",
        enforcementLevel: "mandatory",
        validateStack: (args, report) => checkNetworkCidrs(args.resources, report),
    };

    const clusterCidrsDisjoint: StackValidationPolicy = {
        name: POLICY_NAMES.clusterCidrsDisjoint,
        description:
            "ACK pod (podCidr) and service (serviceCidr) CIDRs overlap no VPC and no other cluster's pod or service CIDR. " +
            "Mandatory: ACK rejects or mis-routes overlapping ranges, a flat mesh needs unique pod addresses, and both CIDRs force replacement of the cluster.",
        enforcementLevel: "mandatory",
        validateStack: (args, report) => checkClusterCidrs(args.resources, report),
    };

    const noInternetIngress: ResourceValidationPolicy = {
        name: POLICY_NAMES.noInternetIngress,
        description:
            "No security group rule admits ingress from 0.0.0.0/0 or ::/0. " +
            "Mandatory: cluster nodes, pods and the API server must be reachable only from the mesh's own ranges; an open rule exposes every port it covers to the internet.",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(SecurityGroupRule, (rule, _args, report) => {
            for (const problem of internetIngressProblems(rule as unknown as Record<string, unknown>)) report(problem);
        }),
    };

    const minWorkers: StackValidationPolicy = {
        name: POLICY_NAMES.minWorkers,
        description:
            "Every ACK cluster has at least 3 workers across its node pools (sum of desiredSize, or autoscaling minSize). " +
            "Mandatory: fewer nodes cannot spread istiod and the gateways for HA; lower `minWorkers` in the policy config for a throwaway stack.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                minWorkers: { type: "integer", minimum: 0, default: DEFAULT_MIN_WORKERS, description: "Fewest workers per cluster." },
            },
        },
        validateStack: (args, report) => {
            const min = config<{ minWorkers: number }>(args).minWorkers ?? DEFAULT_MIN_WORKERS;
            checkMinWorkers(args.resources, min, report);
        },
    };

    const prodDeletionProtection: ResourceValidationPolicy = {
        name: POLICY_NAMES.prodDeletionProtection,
        description:
            "ACK clusters in production stacks (stack name matching `stackPattern`, default ^prod) have deletionProtection on. " +
            "Advisory: the stack name is only a naming convention, and AckCluster's documented way to decommission or replace a cluster is a `pulumi up` " +
            "that turns deletion protection off first; a mandatory rule would block exactly that step. Raise it to mandatory in the policy config where that never happens.",
        enforcementLevel: "advisory",
        configSchema: {
            properties: {
                stackPattern: { type: "string", default: DEFAULT_PROD_STACK_PATTERN, description: "Regular expression (case-insensitive) of the stacks that need deletion protection." },
            },
        },
        validateResource: validateResourceOfType(ManagedKubernetes, (cluster, args, report) => {
            const stack = env.stack();
            const pattern = new RegExp(config<{ stackPattern: string }>(args).stackPattern ?? DEFAULT_PROD_STACK_PATTERN, "i");
            if (!pattern.test(stack)) return args.notApplicable(`stack "${stack}" does not match ${pattern}`);
            const protection = read(() => cluster.deletionProtection);
            if (protection === UNKNOWN || protection === true) return;
            report(
                `cluster "${args.name}" in stack "${stack}" has deletionProtection ${protection === undefined ? "unset (off)" : String(protection)}: ` +
                    "a destroy or a ForceNew change (podCidr, serviceCidr, proxyMode) would delete it. Fix: set deletionProtection: true",
            );
        }),
    };

    const istioChartPinned: ResourceValidationPolicy = {
        name: POLICY_NAMES.istioChartPinned,
        description:
            "Helm releases of the Istio charts (base, istiod, gateway from the Istio repository) pin an exact chart version. " +
            "Mandatory: without one, every create resolves the newest chart, so clusters drift apart and a `pulumi up` can upgrade the control plane (and CRDs) unannounced.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                repositories: {
                    type: "array",
                    items: { type: "string" },
                    default: [ISTIO_HELM_REPOSITORY],
                    description: "Helm repositories (mirrors included) that serve the Istio charts.",
                },
            },
        },
        validateResource: validateResourceOfType(Release, (release, args, report) => {
            const chart = readString(() => release.chart);
            const repo = readString(() => release.repositoryOpts?.repo);
            if (chart === UNKNOWN || repo === UNKNOWN || chart === undefined) return;
            const repositories = config<{ repositories: string[] }>(args).repositories ?? [ISTIO_HELM_REPOSITORY];
            const istio = istioChartOf(chart, repo, repositories);
            if (istio === undefined) return args.notApplicable(`chart "${chart}" is not an Istio chart`);
            const version = readString(() => release.version);
            if (version === UNKNOWN) return;
            if (version === undefined || version.trim() === "") {
                report(`Istio chart "${istio}" has no version: Helm installs whatever is newest. Fix: set version to the mesh's Istio release, e.g. "1.30.3"`);
            } else if (!EXACT_CHART_VERSION.test(version.trim())) {
                report(`Istio chart "${istio}" has version "${version}", a range, not one release. Fix: pin an exact version such as "1.30.3"`);
            }
        }),
    };

    const kubeconfigLedger = new SecretnessLedger();
    const kubeconfigSecret: ResourceValidationPolicy = {
        name: POLICY_NAMES.kubeconfigSecret,
        description:
            "Kubernetes providers get their kubeconfig, and as a secret. Runs at level `remediate` because only remediations can see secret-ness " +
            "(@pulumi/policy unwraps secrets for validations); its violations are reported as mandatory: a plaintext kubeconfig is a cluster-admin credential in the state file, " +
            "and a provider without one silently uses the ambient KUBECONFIG. Set `fix: true` to wrap a plaintext kubeconfig in a secret instead of failing.",
        enforcementLevel: "remediate",
        configSchema: {
            properties: {
                fix: { type: "boolean", default: false, description: "Remediate a plaintext kubeconfig by marking it secret, instead of reporting it." },
            },
        },
        remediateResource: (args) => {
            if (args.type !== TYPES.kubernetesProvider) return args.notApplicable(`Policy only applies to resources of type '${TYPES.kubernetesProvider}'`);
            const raw = rawProperty(args.props, "kubeconfig");
            const plaintext = plaintextPaths(raw).map((p) => (p === "" ? "kubeconfig" : `kubeconfig${p.startsWith("[") ? "" : "."}${p}`));
            if (plaintext.length > 0 && config<{ fix: boolean }>(args).fix === true) {
                kubeconfigLedger.record(args.urn, []);
                args.props["kubeconfig"] = new Secret(raw);
                return args.props;
            }
            kubeconfigLedger.record(args.urn, plaintext);
            return undefined;
        },
        validateResource: (args, report) => {
            if (args.type !== TYPES.kubernetesProvider) return args.notApplicable(`Policy only applies to resources of type '${TYPES.kubernetesProvider}'`);
            const kubeconfig = readString(() => args.props["kubeconfig"]);
            if (kubeconfig === undefined || (kubeconfig !== UNKNOWN && kubeconfig.trim() === "")) {
                report(
                    `provider "${args.name}" has no kubeconfig: it falls back to the ambient KUBECONFIG/~/.kube/config and deploys into whichever cluster that points at. ` +
                        "Fix: pass the cluster's kubeconfig (AckCluster does), as a secret",
                );
            }
            const plaintext = kubeconfigLedger.take(args.urn);
            if (plaintext === undefined) {
                if (kubeconfig === undefined) return;
                return args.notApplicable("secret-ness is only visible to remediations: run this policy at enforcement level 'remediate'");
            }
            if (plaintext.length > 0) {
                report(
                    `provider "${args.name}" gets its kubeconfig in plaintext: the state file and every diff would hold cluster-admin credentials. ` +
                        "Fix: wrap it in pulumi.secret() where it is created (or run this policy with fix: true)",
                );
            }
        },
    };

    const meshSecretLedger = new SecretnessLedger();
    const meshSecret = (secret: { metadata?: { name?: string; labels?: Record<string, string> } }): string | undefined | Unknown => {
        const name = readString(() => secret.metadata?.name);
        const labels = read(() => secret.metadata?.labels as Record<string, unknown> | undefined);
        const multiCluster = labels === UNKNOWN ? UNKNOWN : readString(() => labels?.[MULTI_CLUSTER_LABEL]);
        if (name === CACERTS_SECRET_NAME) return "the Istio plug-in CA Secret `cacerts`";
        if ((typeof name === "string" && name.startsWith(REMOTE_SECRET_PREFIX)) || multiCluster === "true") return `the Istio remote secret "${typeof name === "string" ? name : "?"}"`;
        return name === UNKNOWN || multiCluster === UNKNOWN ? UNKNOWN : undefined;
    };
    const secretFields = ["data", "stringData"] as const;
    const meshSecretsSecret: ResourceValidationPolicy = {
        name: POLICY_NAMES.meshSecretsSecret,
        description:
            "The Istio CA Secret `cacerts` and the remote secrets (istio-remote-secret-*, or labelled istio/multiCluster=true) carry data, all of it secret. " +
            "Runs at level `remediate` (only remediations see secret-ness); violations are reported as mandatory: they hold the mesh's CA private key and cluster credentials. " +
            "Set `fix: true` to mark plaintext entries secret instead of failing.",
        enforcementLevel: "remediate",
        configSchema: {
            properties: {
                fix: { type: "boolean", default: false, description: "Remediate plaintext entries by marking them secret, instead of reporting them." },
            },
        },
        remediateResource: remediateResourceOfType(KubernetesSecret, (secret, args) => {
            const which = meshSecret(secret);
            if (which === undefined) return args.notApplicable("not an Istio CA or remote secret");
            if (which === UNKNOWN) return undefined;
            const raw = Object.fromEntries(secretFields.map((f) => [f, rawProperty(args.props, f)]));
            const plaintext = secretFields.flatMap((f) => plaintextPaths(raw[f]).map((p) => (p === "" ? f : `${f}.${p}`)));
            if (plaintext.length > 0 && config<{ fix: boolean }>(args).fix === true) {
                meshSecretLedger.record(args.urn, []);
                // Only fields with plaintext: assigning to a secret field would wrap it twice (the SDK's proxy keeps it secret).
                for (const f of secretFields) if (plaintextPaths(raw[f]).length > 0) args.props[f] = wrapPlaintext(raw[f]);
                return args.props;
            }
            meshSecretLedger.record(args.urn, plaintext);
            return undefined;
        }),
        validateResource: validateResourceOfType(KubernetesSecret, (secret, args, report) => {
            const which = meshSecret(secret);
            if (which === undefined) return args.notApplicable("not an Istio CA or remote secret");
            const plaintext = meshSecretLedger.take(args.urn);
            if (which === UNKNOWN) return;
            const fields = secretFields.map((f) => read(() => secret[f] as Record<string, unknown> | undefined));
            if (fields.every((v) => v !== UNKNOWN && (v === undefined || v === null || Object.keys(v).length === 0))) {
                report(`${which} carries no data (neither data nor stringData). Fix: create it with its keys, as secrets`);
            }
            if (plaintext === undefined) return args.notApplicable("secret-ness is only visible to remediations: run this policy at enforcement level 'remediate'");
            if (plaintext.length > 0) {
                report(
                    `${which} has plaintext values (${plaintext.join(", ")}): the state file and diffs would hold the mesh's CA key or cluster credentials. ` +
                        "Fix: wrap them in pulumi.secret() (or run this policy with fix: true)",
                );
            }
        }),
    };

    return {
        networkCidrsDisjoint,
        clusterCidrsDisjoint,
        noInternetIngress,
        minWorkers,
        prodDeletionProtection,
        istioChartPinned,
        kubeconfigSecret,
        meshSecretsSecret,
        all: [networkCidrsDisjoint, clusterCidrsDisjoint, noInternetIngress, minWorkers, prodDeletionProtection, istioChartPinned, kubeconfigSecret, meshSecretsSecret],
    };
}
