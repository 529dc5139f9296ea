/**
 * Verification planning: what each post-deploy check of a stack must see,
 * computed from the stack config and its plans before any resource exists.
 * Pure: no Pulumi. `MeshVerification` (components/meshVerification.ts) turns
 * each check into a Kubernetes Job, and `npm run verify` runs the same Jobs
 * against a live stack; docs/verify.md says what each check proves.
 *
 * Checks:
 * 1. `discovery`: each primary's istiod lists every cluster it reads in
 *    `/debug/clusterz` (itself, then one entry per remote secret), all
 *    `synced`. Remotes run no istiod of their own: their `istiod` Service
 *    points at the primary and serves only 15012 and 443 (istio@1.30.3
 *    manifests/charts/istio-control/istio-discovery/templates/remote-istiod-service.yaml),
 *    so the check runs on primaries only.
 * 2. `calls`: the caller's sidecar has endpoints of each Bookinfo service in
 *    every cluster the service is placed in (`known`), the service answers
 *    callers in every cluster where a caller runs, and the clusters that
 *    answer are the ones locality-aware load balancing allows (see
 *    {@link expectedResponders}: in-region answers are preferred, so a
 *    stack whose callers all have a local instance sends no calls across
 *    clusters; docs/verify.md says which checks do).
 * 3. `ingress`: `/productpage` answers 200 through every ingress gateway.
 * 4. `routing` (header-split): `end-user: jason` gets reviews v2 and v3 only,
 *    v2 within {@link splitTolerance}; other users get v1 only.
 * 5. `mtls` (mesh mTLS STRICT): a plaintext request from a pod without a
 *    sidecar is refused.
 * 6. `failover` (opt-in, disruptive, locality-failover): with a service's
 *    instances in region `from` scaled to zero, callers there are served
 *    from region `to`.
 */
import { createHash } from "crypto";
import type { BookinfoRouting, BookinfoWorkload } from "../config/constants";
import { BOOKINFO_WORKLOADS } from "../config/constants";
import { DEFAULTS } from "../config/defaults";
import { ConfigError, ConfigProblem } from "../config/errors";
import type { StackConfig } from "../config/load";
import type { MeshIdentity } from "../components/types";
import type { NetworkPlan } from "./network";

/** The check kinds, in the order they run and are reported. */
export const VERIFY_CHECK_KINDS = ["discovery", "calls", "ingress", "routing", "mtls", "failover"] as const;
/** One of {@link VERIFY_CHECK_KINDS}. */
export type VerifyCheckKind = (typeof VERIFY_CHECK_KINDS)[number];

/** Requests per check when `verify.requests` is unset (see {@link splitTolerance} for why 200). */
export const DEFAULT_VERIFY_REQUESTS: number = DEFAULTS.verifyRequests;

/**
 * Istio's curl sample image (istio@1.30.3 samples/curl/curl.yaml:
 * `docker.io/curlimages/curl:8.16.0`), pinned by the digest that public
 * repositories pin for that tag. Mirror it for mainland-China clusters and
 * set `verify.image` to the mirror's reference (with its digest).
 */
export const VERIFY_CLIENT_IMAGE = "docker.io/curlimages/curl:8.16.0@sha256:463eaf6072688fe96ac64fa623fe73e1dbe25d8ad6c34404a669ad3ce1f104b6";

/** Namespace Bookinfo runs in (`BookinfoSplit`'s default; a test keeps the two equal). */
export const VERIFY_BOOKINFO_NAMESPACE = "bookinfo";
/** Port of every Bookinfo service (`BOOKINFO_PORT`; a test keeps the two equal). */
export const VERIFY_BOOKINFO_PORT = 9080;
/** Namespace of istiod. */
export const VERIFY_ISTIO_NAMESPACE = "istio-system";

/** The path each Bookinfo service answers on (upstream samples/bookinfo/src). */
export const SERVICE_PATHS: Readonly<Record<string, string>> = {
    productpage: "/productpage",
    details: "/details/0",
    ratings: "/ratings/0",
    reviews: "/reviews/0",
};

/** Who calls each Bookinfo service (productpage's callers are the ingress gateways: the `ingress` check). */
const CALLERS: Readonly<Record<string, readonly BookinfoWorkload[]>> = {
    details: ["productpage-v1"],
    reviews: ["productpage-v1"],
    ratings: ["reviews-v2", "reviews-v3"],
};

interface CheckBase {
    /** Stable key: unique in the plan, a DNS-1123 label fragment (names the Job). */
    readonly id: string;
    readonly kind: VerifyCheckKind;
    /** Cluster the Job runs in. */
    readonly cluster: string;
    /** Namespace the Job runs in. */
    readonly namespace: string;
    /** Whether the Job's pod gets a sidecar. */
    readonly sidecar: boolean;
    /** One line: what the check sees when it passes (the `expected=[…]` of its verdict). */
    readonly expected: string;
}

/** Check 1: `/debug/clusterz` of the cluster's istiod. */
export interface DiscoveryCheck extends CheckBase {
    readonly kind: "discovery";
    /** `<cluster>=synced` for every cluster the istiod must read, sorted (byte order). */
    readonly entries: readonly string[];
}

/** Which clusters may and must answer a caller. */
export interface Responders {
    /** Every answer must come from one of these clusters (sorted). */
    readonly allowed: readonly string[];
    /** Each of these must answer at least once over the requests (sorted). */
    readonly required: readonly string[];
}

/** Check 2: one service called from one caller cluster. */
export interface CallsCheck extends CheckBase, Responders {
    readonly kind: "calls";
    readonly service: string;
    readonly requests: number;
    /**
     * Where the caller's sidecar must have endpoints of the service (sorted,
     * as {@link responderView} names them): every cluster any version of it
     * is placed in, whether or not locality load balancing sends it traffic.
     */
    readonly known: readonly string[];
}

/** Check 3: `/productpage` through one ingress gateway. */
export interface IngressCheck extends CheckBase {
    readonly kind: "ingress";
    /** Cluster whose ingress gateway address is called. */
    readonly gateway: string;
    readonly requests: number;
}

/** Check 4: reviews versions for one user (header-split). */
export interface RoutingCheck extends CheckBase {
    readonly kind: "routing";
    /** Value of the `end-user` header; empty: no header. */
    readonly user: string;
    /** Versions every answer must come from (sorted). */
    readonly versions: readonly string[];
    /** Bounds of the v2 count (inclusive), for the 50/50 split; absent for a single version. */
    readonly v2Count?: { readonly min: number; readonly max: number };
    readonly requests: number;
}

/** Check 5: plaintext into a STRICT namespace from a pod without a sidecar. */
export interface MtlsCheck extends CheckBase {
    readonly kind: "mtls";
    /** A service with an endpoint in the Job's cluster (a local plaintext target). */
    readonly service: string;
}

/** Check 6: locality failover of one service out of one region. */
export interface FailoverCheck extends CheckBase, Responders {
    readonly kind: "failover";
    readonly service: string;
    readonly from: string;
    readonly to: string;
    /** The Deployments scaled to zero (and restored) in the Job's cluster. */
    readonly workloads: readonly BookinfoWorkload[];
    readonly requests: number;
}

/** One check. */
export type VerifyCheck = DiscoveryCheck | CallsCheck | IngressCheck | RoutingCheck | MtlsCheck | FailoverCheck;

/** A check the stack cannot run, and why (reported, never silently dropped). */
export interface SkippedCheck {
    readonly id: string;
    readonly kind: VerifyCheckKind;
    readonly reason: string;
    /**
     * True when the config asked for the check (`verify.failover`) and it
     * cannot run: `MeshVerification` logs a warning; otherwise an info line.
     */
    readonly warning: boolean;
}

/** Every check of a stack. */
export interface VerificationPlan {
    /** In {@link VERIFY_CHECK_KINDS} order, then by id. */
    readonly checks: readonly VerifyCheck[];
    readonly skipped: readonly SkippedCheck[];
    /** Network of every mesh cluster (answers from another network are attributed to the network). */
    readonly networks: Readonly<Record<string, string>>;
}

/** Options of {@link planVerification}. */
export interface VerifyOptions {
    /** Requests per traffic check (K), 20..10000. @default 200 */
    requests?: number;
    /** Plan the disruptive locality-failover checks. @default false */
    failover?: boolean;
}

/** What {@link planVerification} reads. `verificationInputFromConfig` builds it from a stack. */
export interface VerificationInput {
    readonly identity: MeshIdentity;
    /** Pod address ranges per cluster (the network plan's `podRanges`). */
    readonly podRanges: Readonly<Record<string, readonly string[]>>;
    /** Control planes with an ingress gateway. */
    readonly ingressClusters: readonly string[];
    /** Mesh-wide mTLS mode. */
    readonly mtls: "STRICT" | "PERMISSIVE" | "OFF";
    /** Bookinfo, when deployed. */
    readonly bookinfo?: {
        readonly placement: Readonly<Record<BookinfoWorkload, readonly string[]>>;
        readonly routing: BookinfoRouting;
        readonly failover: ReadonlyArray<{ readonly from: string; readonly to: string }>;
    };
}

/** The verification input of a planned stack. Pure. */
export function verificationInputFromConfig(config: StackConfig, identity: MeshIdentity, network: NetworkPlan): VerificationInput {
    return {
        identity,
        podRanges: Object.fromEntries(Object.entries(network.clusters).map(([c, p]) => [c, p.podRanges])),
        ingressClusters: identity.controlPlanes.filter((c) => config.clusters[c].ingressGateway),
        mtls: config.mesh.mtls,
        ...(config.bookinfo.enabled ? { bookinfo: config.bookinfo } : {}),
    };
}

/**
 * Config keys (at any depth) that cannot change whether or how traffic flows,
 * left out of {@link verificationRevision}: Pulumi protection, deletion
 * protection, tags, display names, and `verify` itself (its image and K are
 * in each Job's name already).
 */
export const VERIFY_REVISION_IGNORED_KEYS: readonly string[] = ["protect", "deletionProtection", "tags", "displayName", "verify"];

/** A deep copy without the {@link VERIFY_REVISION_IGNORED_KEYS}, object keys sorted (a stable digest input). */
function trafficRelevant(x: unknown): unknown {
    if (Array.isArray(x)) return x.map(trafficRelevant);
    if (x === null || typeof x !== "object") return x;
    const entries = Object.entries(x as Record<string, unknown>).filter(([k, v]) => v !== undefined && !VERIFY_REVISION_IGNORED_KEYS.includes(k));
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, trafficRelevant(v)]));
}

/**
 * The `revision` of `MeshVerification` (16 hex digits): a digest of the whole
 * resolved config and the mesh identity, except
 * {@link VERIFY_REVISION_IGNORED_KEYS}. Security groups, CEN, VPCs and
 * clusters decide whether packets get through (a blocked port, a missing
 * route), so a change to any of them runs every check again; a change of tags
 * or protection does not. Pure.
 */
export function verificationRevision(config: StackConfig, identity: MeshIdentity): string {
    return createHash("sha256").update(JSON.stringify(trafficRelevant({ config, identity }))).digest("hex").slice(0, 16);
}

/**
 * Two-sided bounds for the v2 count of the jason 50/50 split over `requests`
 * answers. Envoy picks a weighted cluster independently per request, so the
 * v2 count is Binomial(K, ½): mean K/2, standard deviation √K/2. The bounds
 * are K/2 ± 4σ = K/2 ± 2√K, which a correct 50/50 split leaves with
 * probability ≈ 6·10⁻⁵ (normal approximation). With K = 200 that is 72..128
 * (36%..64%): a 50/50 split passes, a 70/30 or 100/0 split fails.
 */
export function splitTolerance(requests: number): { min: number; max: number } {
    const half = requests / 2;
    const band = 2 * Math.sqrt(requests);
    return { min: Math.max(1, Math.ceil(half - band)), max: Math.min(requests - 1, Math.floor(half + band)) };
}

/** Problems with the options, by config path. */
export function verifyOptionProblems(options: VerifyOptions, path = "verify"): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const k = options.requests;
    if (k !== undefined && (!Number.isInteger(k) || k < 20 || k > 10000)) {
        problems.push({ path: `${path}.requests`, value: k, message: "must be an integer from 20 to 10000", fix: `use ${DEFAULT_VERIFY_REQUESTS} (the routing check's tolerance needs at least 20 answers)` });
    }
    return problems;
}

/** Sorted copy without duplicates. */
function sorted(xs: Iterable<string>): string[] {
    return [...new Set(xs)].sort();
}

/** The service of a workload: `reviews-v2` → `reviews`. */
function serviceOf(w: BookinfoWorkload): string {
    return w.replace(/-v\d+$/, "");
}

/**
 * The clusters allowed and required to answer a caller in `callerRegion`,
 * given where the service's instances run (`placed`, clusters). Every
 * Bookinfo DestinationRule sets `outlierDetection`, so Istio's
 * locality-aware load balancing is on (reference notes §6): Envoy prefers
 * the caller's region (and within it the caller's zone, which the plan cannot
 * know, so in-region clusters are allowed but not each required); with
 * `locality-failover` a region without instances sends to its pair's `to`
 * region; otherwise every other region is one priority and Envoy spreads
 * requests over all of them, so each such cluster is required. Pure.
 */
export function expectedResponders(
    placed: readonly string[],
    callerRegion: string,
    regionOf: (cluster: string) => string,
    failover: ReadonlyArray<{ from: string; to: string }> = [],
): Responders {
    const local = sorted(placed.filter((c) => regionOf(c) === callerRegion));
    if (local.length) return { allowed: local, required: local.length === 1 ? local : [] };
    const to = failover.find((f) => f.from === callerRegion)?.to;
    const target = sorted(placed.filter((c) => regionOf(c) === to));
    if (target.length) return { allowed: target, required: target };
    const all = sorted(placed);
    return { allowed: all, required: all };
}

/** How answers from a cluster of another network are attributed: that network's east-west gateways. */
export function networkResponder(network: string): string {
    return `net:${network}`;
}

/**
 * Responders as a caller in `caller` can tell them apart: a cluster of the
 * caller's network by its pod addresses; a cluster of another network only as
 * that network ({@link networkResponder}), because Envoy sends there through
 * the network's east-west gateways, which pick the pod. Pure.
 */
export function responderView(r: Responders, caller: string, identity: MeshIdentity): Responders {
    const own = identity.clusters[caller].network;
    const view = (cs: readonly string[]) => sorted(cs.map((c) => (identity.clusters[c].network === own ? c : networkResponder(identity.clusters[c].network))));
    return { allowed: view(r.allowed), required: view(r.required) };
}

/** `allowed=[a b] required=[a]` → the expected text of a traffic check. */
function respondersText(r: Responders, requests: number): string {
    return `${requests}/${requests} HTTP 200 from ${r.allowed.join(" ")}${r.required.length ? `, each of ${r.required.join(" ")} at least once` : ""}`;
}

/**
 * Every check of a stack with its expected result. Pure.
 * @throws ConfigError for bad options
 */
export function planVerification(input: VerificationInput, options: VerifyOptions = {}): VerificationPlan {
    const problems = verifyOptionProblems(options);
    if (problems.length) throw new ConfigError(problems);
    const K = options.requests ?? DEFAULT_VERIFY_REQUESTS;
    const { identity } = input;
    const regionOf = (c: string) => identity.clusters[c].region;
    const checks: VerifyCheck[] = [];
    const skipped: SkippedCheck[] = [];
    const ns = VERIFY_BOOKINFO_NAMESPACE;
    const all = Object.keys(identity.clusters).sort();
    const networks = Object.fromEntries(all.map((c) => [c, identity.clusters[c].network]));

    // 1. Discovery: a primary reads itself (the config cluster) and every other cluster of the mesh
    // (remote-secret rule, components/remoteSecret.ts remoteSecretPairs).
    for (const p of identity.controlPlanes) {
        const entries = sorted(all.map((c) => `${c}=synced`));
        checks.push({ id: `discovery-${p}`, kind: "discovery", cluster: p, namespace: VERIFY_ISTIO_NAMESPACE, sidecar: false, entries, expected: entries.join(" ") });
    }
    for (const r of all.filter((c) => !identity.clusters[c].controlPlane)) {
        skipped.push({ id: `discovery-${r}`, kind: "discovery", reason: `remote: no istiod of its own (its istiod Service forwards 15012/443 to ${identity.clusters[r].controlledBy}); covered by discovery-${identity.clusters[r].controlledBy}`, warning: false });
    }

    const b = input.bookinfo;
    if (!b) {
        for (const kind of ["calls", "ingress", "routing", "mtls", "failover"] as const) skipped.push({ id: kind, kind, reason: "Bookinfo is not deployed (bookinfo.enabled: false)", warning: false });
        return { checks, skipped, networks };
    }
    const placedOf = (workloads: readonly BookinfoWorkload[]) => sorted(workloads.flatMap((w) => b.placement[w] ?? []));
    const versionsOf = (service: string) => BOOKINFO_WORKLOADS.filter((w) => serviceOf(w) === service);
    // What a request without `end-user: jason` reaches: with header-split only reviews v1.
    const servedPlain = (service: string) => (b.routing === "header-split" && service === "reviews" ? (["reviews-v1"] as BookinfoWorkload[]) : versionsOf(service));

    // 2. Calls.
    for (const service of Object.keys(CALLERS).sort()) {
        const callers = placedOf(CALLERS[service]);
        if (!callers.length) {
            skipped.push({ id: `calls-${service}`, kind: "calls", reason: `nothing calls ${service} (no ${CALLERS[service].join(" or ")} placed)`, warning: false });
            continue;
        }
        const placed = placedOf(servedPlain(service));
        for (const from of callers) {
            const r = responderView(expectedResponders(placed, regionOf(from), regionOf, b.routing === "locality-failover" ? b.failover : []), from, identity);
            const known = responderView({ allowed: placedOf(versionsOf(service)), required: [] }, from, identity).allowed;
            checks.push({
                id: `calls-${service}-${from}`, kind: "calls", cluster: from, namespace: ns, sidecar: true, service, requests: K, ...r, known,
                expected: `${respondersText(r, K)}; endpoints known in ${known.join(" ")}`,
            });
        }
    }

    // 3. Ingress.
    for (const g of [...input.ingressClusters].sort()) {
        checks.push({ id: `ingress-${g}`, kind: "ingress", cluster: g, namespace: ns, sidecar: false, gateway: g, requests: K, expected: `${K}/${K} HTTP 200 for /productpage` });
    }

    // 4. Routing: from where productpage (reviews' caller) runs.
    if (b.routing === "header-split") {
        const tol = splitTolerance(K);
        for (const from of placedOf(["productpage-v1"])) {
            checks.push({
                id: `routing-jason-${from}`, kind: "routing", cluster: from, namespace: ns, sidecar: true, user: "jason", versions: ["v2", "v3"], v2Count: tol, requests: K,
                expected: `only v2 v3, v2 ${tol.min}..${tol.max} of ${K}`,
            });
            checks.push({ id: `routing-others-${from}`, kind: "routing", cluster: from, namespace: ns, sidecar: true, user: "", versions: ["v1"], requests: K, expected: `only v1, ${K} of ${K}` });
        }
    } else {
        skipped.push({ id: "routing", kind: "routing", reason: `routing is ${b.routing}, not header-split`, warning: false });
    }

    // 5. mTLS: in each cluster with a local instance, plaintext to the first service placed there.
    if (input.mtls === "STRICT") {
        for (const c of all) {
            const service = ["details", "productpage", "ratings", "reviews"].find((s) => versionsOf(s).some((w) => (b.placement[w] ?? []).includes(c)));
            if (!service) {
                skipped.push({ id: `mtls-${c}`, kind: "mtls", reason: `no Bookinfo service runs in ${c} (no local plaintext target)`, warning: false });
                continue;
            }
            checks.push({ id: `mtls-${c}`, kind: "mtls", cluster: c, namespace: ns, sidecar: false, service, expected: `plaintext to ${service} refused (connection reset, curl exit 52 or 56)` });
        }
    } else {
        skipped.push({ id: "mtls", kind: "mtls", reason: `mesh.mtls is ${input.mtls}: plaintext is accepted by design`, warning: false });
    }

    // 6. Failover.
    if (b.routing !== "locality-failover") {
        const asked = options.failover === true;
        skipped.push({ id: "failover", kind: "failover", reason: `routing is ${b.routing}, not locality-failover${asked ? ": verify.failover has nothing to check" : ""}`, warning: asked });
    } else if (!options.failover) {
        skipped.push({ id: "failover", kind: "failover", reason: "disruptive: enable with verify.failover (or npm run verify -- <stack> --failover)", warning: false });
    } else {
        for (const f of b.failover) {
            for (const service of ["details", "productpage", "ratings", "reviews"]) {
                const id = `failover-${service}-${f.from}`;
                const inFrom = placedOf(versionsOf(service)).filter((c) => regionOf(c) === f.from);
                const inTo = placedOf(versionsOf(service)).filter((c) => regionOf(c) === f.to);
                if (!inFrom.length || !inTo.length) {
                    const [region, what] = !inFrom.length ? [f.from, "from"] : [f.to, "to"];
                    skipped.push({ id, kind: "failover", reason: `${service} does not run in ${region}: nothing to fail over ${what}`, warning: false });
                    continue;
                }
                if (inFrom.length > 1) {
                    skipped.push({ id, kind: "failover", reason: `${service} runs in ${inFrom.length} clusters of ${f.from} (${inFrom.join(", ")}); a Job scales only its own cluster`, warning: true });
                    continue;
                }
                const cluster = inFrom[0];
                const workloads = versionsOf(service).filter((w) => (b.placement[w] ?? []).includes(cluster));
                const r = responderView({ allowed: sorted(inTo), required: sorted(inTo) }, cluster, identity);
                checks.push({
                    id, kind: "failover", cluster, namespace: ns, sidecar: true, service, from: f.from, to: f.to, workloads, requests: K, ...r,
                    expected: `with ${workloads.join(" ")} scaled to 0: ${respondersText(r, K)}`,
                });
            }
        }
    }
    const order = (k: VerifyCheckKind) => VERIFY_CHECK_KINDS.indexOf(k);
    checks.sort((x, y) => order(x.kind) - order(y.kind) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return { checks, skipped, networks };
}
