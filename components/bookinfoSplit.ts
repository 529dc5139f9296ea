/**
 * `BookinfoSplit`: Istio's Bookinfo sample (istio@1.30.3 `samples/bookinfo`;
 * reference notes §6, §7, §9) split across the clusters of the mesh.
 *
 * - **Namespace sameness** (§7). Every mesh cluster gets the namespace
 *   (labelled `istio-injection: enabled`), the four ServiceAccounts and the
 *   four Services, whether or not it runs a workload. Without DNS capture a
 *   sidecar resolves `reviews` only where a `reviews` Service exists in the
 *   local cluster's DNS; Istio then load-balances over the endpoints of every
 *   cluster.
 * - **Deployments only where placed.** `placement` maps each workload
 *   (`productpage-v1`, …, `reviews-v3`) to the clusters that run it.
 * - **Routing objects only in the control planes.** An istiod reads Istio
 *   config from its own cluster: with primary-remote that is the primary,
 *   with multi-primary every primary gets a copy.
 * - **Routing scenarios:**
 *   - `plain`: a DestinationRule per service with `outlierDetection` only.
 *     Istio's locality-aware load balancing is on mesh-wide by default but
 *     Envoy only prioritises by locality when outlier detection is set, so
 *     this keeps traffic in the caller's locality and spills over when
 *     endpoints are ejected. It keeps Envoy's default `maxEjectionPercent`
 *     (10%), so a service with fewer than 10 endpoints ejects none and
 *     spills over only when its local pods turn NotReady.
 *   - `header-split`: user `jason` (header `end-user`) gets reviews v2 and v3
 *     at 50/50, everyone else v1 (a DestinationRule with subsets and a
 *     VirtualService `reviews`).
 *   - `locality-failover`: {@link localityFailoverDestinationRule} for every
 *     service, with the failover pairs (§6) and `maxEjectionPercent: 100`,
 *     so a locality whose endpoints fail is left after one error each.
 * - **Ingress** (§9, port caveat). Gateway `bookinfo-gateway` on port **80**:
 *   the Helm `gateway` chart's Service maps 80→80 (the upstream sample's 8080
 *   is for the istioctl-installed gateway), selector `istio: ingressgateway`
 *   (the release `istio-ingressgateway`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { ConfigError, ConfigProblem } from "../config/errors";
import { BOOKINFO_ROUTINGS, BOOKINFO_WORKLOADS, BookinfoRouting, BookinfoWorkload, DNS_LABEL, isPlainRecord, singleRegionBookinfoServices } from "../config/constants";
import { K8sObject, OUTLIER_DETECTION, localityFailoverDestinationRule } from "./istioObjects";
import { RELEASE_NAMES, gatewaySelector } from "./istioValues";
import type { ClusterHandle, MeshIdentity } from "./types";

/** Type token of {@link BookinfoSplit}. Public contract: renaming it needs an alias. */
export const BOOKINFO_SPLIT_TYPE = "ack-mesh:app:BookinfoSplit";

/** The four Bookinfo services (each has a Service and a ServiceAccount in every cluster). */
export const BOOKINFO_SERVICES = ["productpage", "details", "ratings", "reviews"] as const;
/** One of {@link BOOKINFO_SERVICES}. */
export type BookinfoService = (typeof BOOKINFO_SERVICES)[number];

/** Port every Bookinfo service listens on (Service port and containerPort). */
export const BOOKINFO_PORT = 9080;

/** Registry of the Bookinfo images (`<registry>/examples-bookinfo-<service>-<version>:<tag>`). */
export const BOOKINFO_IMAGE_REGISTRY = "registry.istio.io/release";

/** Namespace Bookinfo runs in unless `namespace` says otherwise. */
export const DEFAULT_BOOKINFO_NAMESPACE = "bookinfo";

/** Name of the ingress Gateway. */
export const BOOKINFO_GATEWAY_NAME = "bookinfo-gateway";

/**
 * Port of the ingress Gateway server: 80, the port the Helm `gateway`
 * chart's Service exposes and targets (80→80). The upstream sample's 8080
 * matches only the istioctl-installed gateway (80→8080).
 */
export const BOOKINFO_GATEWAY_PORT = 80;

/**
 * Resource requests of each service's container. Modest: enough to schedule
 * the sample next to the mesh on small nodes. reviews runs on WebSphere
 * Liberty (a JVM) and needs more memory. No limits: a memory limit near the
 * JVM's working set gets reviews OOM-killed while it starts.
 */
export const BOOKINFO_RESOURCE_REQUESTS: Readonly<Record<BookinfoService, { readonly cpu: string; readonly memory: string }>> = {
    productpage: { cpu: "50m", memory: "64Mi" },
    details: { cpu: "50m", memory: "64Mi" },
    ratings: { cpu: "50m", memory: "64Mi" },
    reviews: { cpu: "100m", memory: "256Mi" },
};

/** A locality failover pair: when region `from` has no healthy endpoint, go to region `to`. */
export interface BookinfoFailover {
    /** Region whose callers fail over (an Alibaba region id of a mesh cluster). */
    from: string;
    /** Region they fail over to (another region of the mesh). */
    to: string;
}

/** Arguments of {@link BookinfoSplit}. */
export interface BookinfoSplitArgs {
    /** The mesh identity. Its control planes receive the routing objects; its regions bound `failover`. */
    identity: MeshIdentity;
    /**
     * A handle for every cluster of the mesh, keyed by cluster name (the
     * handle's `name` must equal its key). Each child goes to its cluster's
     * `provider`. Adding a cluster adds only its namespace, ServiceAccounts
     * and Services (plus routing objects if it is a control plane).
     */
    clusters: Record<string, ClusterHandle>;
    /**
     * Workload → the clusters that run it. Every service (productpage,
     * details, ratings, reviews) needs at least one placed version; a listed
     * workload needs at least one cluster. Moving a workload deletes its
     * Deployment in one cluster and creates it in another.
     */
    placement: Partial<Record<BookinfoWorkload, string[]>>;
    /**
     * Routing scenario: `plain` (outlier detection, so locality-aware load
     * balancing is active), `header-split` (user jason → reviews v2/v3 50/50,
     * others v1; needs reviews v1, v2 and v3 placed) or `locality-failover`.
     * @default "plain"
     */
    routing?: BookinfoRouting;
    /**
     * Failover pairs for `locality-failover` (regions of the mesh; `from`
     * unique, since Istio uses only the first pair of a region). Only allowed
     * with that routing; must not be empty.
     * @default each region of the mesh (sorted) fails over to the next one, the last to the first
     */
    failover?: BookinfoFailover[];
    /**
     * Image tag of `registry.istio.io/release/examples-bookinfo-*`. Changing it
     * rolls every Deployment.
     * @default "1.20.3" (`DEFAULTS.bookinfoTag`)
     */
    tag?: string;
    /**
     * Image registry of the Bookinfo images, e.g. a mirror (ACR) reachable from
     * mainland China. @default "registry.istio.io/release"
     */
    registry?: string;
    /**
     * Namespace of everything Bookinfo creates, the same in every cluster
     * (namespace sameness). A DNS-1123 label. Changing it replaces everything.
     * @default "bookinfo"
     */
    namespace?: string;
    /**
     * Istio revision tag the namespace selects (label `istio.io/rev=<tag>`),
     * instead of the default revision (`istio-injection: enabled`). Moving
     * the tag to another revision and restarting the Deployments moves the
     * sidecars to it (docs/upgrade.md). Changing this updates the namespace
     * in place; running pods keep their sidecars until restarted.
     * @default unset: `istio-injection: enabled` (the revision-less control plane)
     */
    revisionTag?: string;
    /**
     * Ingress gateway LB address per cluster (IP or hostname), for the
     * `productpageUrl(s)` outputs. The ingress Gateway and VirtualService go to
     * the control planes that have (or control a cluster that has) an entry;
     * when no cluster has one, to every control plane. Undefined entries are
     * skipped.
     * @default none: no URL outputs, ingress objects in every control plane
     */
    ingressAddresses?: Record<string, pulumi.Input<string> | undefined>;
    /**
     * Per cluster, what must exist before Bookinfo's pods: typically that
     * cluster's istiod release (and, for a remote, its remote secret in the
     * primary), so the sidecar injector and the Istio CRDs exist. The
     * cluster's namespace depends on them; everything else on the namespace.
     * @default none
     */
    meshReady?: Record<string, pulumi.Input<pulumi.Resource>[]>;
}

/** What {@link BookinfoSplit} creates in one cluster. Pure data. */
export interface BookinfoClusterPlan {
    /** Workloads whose Deployment runs here, in {@link BOOKINFO_WORKLOADS} order. */
    readonly workloads: ReadonlyArray<BookinfoWorkload>;
    /** Whether the routing objects (DestinationRules, VirtualService `reviews`) go here: the cluster is a control plane. */
    readonly routing: boolean;
    /** Whether the ingress Gateway and VirtualService `bookinfo` go here. */
    readonly ingress: boolean;
}

/** Everything {@link BookinfoSplit} creates, decided before any resource exists. Pure data. */
export interface BookinfoPlan {
    /** Namespace, in every cluster. */
    readonly namespace: string;
    /** Image tag. */
    readonly tag: string;
    /** Image registry. */
    readonly registry: string;
    /** Revision tag the namespace selects; undefined: `istio-injection: enabled`. */
    readonly revisionTag?: string;
    /** Routing scenario. */
    readonly routing: BookinfoRouting;
    /** Resolved failover pairs; empty unless routing is `locality-failover`. */
    readonly failover: ReadonlyArray<BookinfoFailover>;
    /** Every mesh cluster, in the identity's (sorted) order. */
    readonly clusters: Readonly<Record<string, BookinfoClusterPlan>>;
}

/** The service and version of a workload: `reviews-v2` → `["reviews", "v2"]`. */
export function workloadParts(workload: BookinfoWorkload): [BookinfoService, string] {
    const m = /^([a-z]+)-(v\d+)$/.exec(workload);
    if (!m || !(BOOKINFO_SERVICES as readonly string[]).includes(m[1])) throw new Error(`not a Bookinfo workload: ${JSON.stringify(workload)}`);
    return [m[1] as BookinfoService, m[2]];
}

/** Image of a workload: `registry.istio.io/release/examples-bookinfo-reviews-v2:1.20.3`. */
export function bookinfoImage(workload: BookinfoWorkload, tag: string, registry: string = BOOKINFO_IMAGE_REGISTRY): string {
    return `${registry.replace(/\/+$/, "")}/examples-bookinfo-${workload}:${tag}`;
}

/**
 * The default failover order: the mesh's regions sorted, each failing over to
 * the next and the last to the first. Istio uses only the first pair whose
 * `from` matches the caller's region, and still uses every other region last.
 * Empty for a single-region mesh.
 */
export function defaultFailover(identity: MeshIdentity): BookinfoFailover[] {
    const regions = meshRegions(identity);
    if (regions.length < 2) return [];
    return regions.map((from, i) => ({ from, to: regions[(i + 1) % regions.length] }));
}

function meshRegions(identity: MeshIdentity): string[] {
    return [...new Set(Object.values(identity.clusters).map((c) => c.region))].sort();
}

/** OCI image tag. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Checks {@link BookinfoSplitArgs} and resolves every default. Pure: reads
 * only plain values (cluster handles' `name` and `region`, the keys and the
 * definedness of `ingressAddresses`).
 * @param name Component name, for the error heading.
 * @throws ConfigError naming every problem, before anything is registered
 */
export function planBookinfo(args: BookinfoSplitArgs, name = "bookinfo"): BookinfoPlan {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) =>
        problems.push(value === undefined ? { path, message, fix } : { path, value, message, fix });
    const { identity } = args;
    const meshClusters = Object.keys(identity.clusters);
    const clusterList = meshClusters.join(", ");
    const notInMesh = `is not a cluster of mesh "${identity.meshId}"`;
    const useCluster = `use one of: ${clusterList}`;

    // --- clusters: one handle per mesh cluster, keyed by its name.
    const handles = isPlainRecord(args.clusters) ? (args.clusters as Record<string, ClusterHandle>) : {};
    for (const [key, h] of Object.entries(handles)) {
        const c = identity.clusters[key];
        if (!c) {
            add(`clusters.${key}`, notInMesh, `remove it, or add it to the mesh identity (clusters: ${clusterList})`);
            continue;
        }
        if (h?.name !== key) add(`clusters.${key}.name`, `differs from its key "${key}"`, "key each handle by its own cluster name", h?.name);
        else if (h.region !== c.region) add(`clusters.${key}.region`, `differs from the region of "${key}" in the mesh identity ("${c.region}")`, "build the handle and the identity from the same config", h.region);
    }
    for (const c of meshClusters) {
        if (!(c in handles)) add(`clusters.${c}`, "is missing: every mesh cluster gets the namespace and the Services (namespace sameness)", "pass the cluster's handle");
    }

    // --- placement.
    const placed = new Map<BookinfoWorkload, string[]>();
    const placement: Record<string, unknown> = isPlainRecord(args.placement) ? args.placement : {};
    if (!isPlainRecord(args.placement)) add("placement", "is not a map of workload to clusters", `use keys from: ${BOOKINFO_WORKLOADS.join(", ")}`, args.placement);
    for (const [workload, list] of Object.entries(placement)) {
        const path = `placement.${workload}`;
        if (!(BOOKINFO_WORKLOADS as readonly string[]).includes(workload)) {
            add(path, "is not a Bookinfo workload", `use one of: ${BOOKINFO_WORKLOADS.join(", ")}`);
            continue;
        }
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
            add(path, "is not a list of cluster names", `write e.g. [${meshClusters[0] ?? "cluster"}]`, list);
            continue;
        }
        if (list.length === 0) {
            add(path, "is empty: a listed workload must run somewhere", `place it on at least one of: ${clusterList}; or remove the key`);
            continue;
        }
        const seen = new Set<string>();
        list.forEach((c: unknown, i) => {
            if (typeof c !== "string" || !identity.clusters[c]) add(`${path}[${i}]`, notInMesh, useCluster, c);
            else if (seen.has(c)) add(`${path}[${i}]`, "names a cluster twice", "list each cluster once", c);
            else seen.add(c);
        });
        placed.set(workload as BookinfoWorkload, [...seen]);
    }
    for (const service of BOOKINFO_SERVICES) {
        const versions = BOOKINFO_WORKLOADS.filter((w) => workloadParts(w)[0] === service);
        if (!versions.some((w) => placement[w] !== undefined)) {
            add(
                "placement",
                `places no version of ${service}: every Bookinfo service must run somewhere (productpage calls details and reviews; reviews v2 and v3 call ratings)`,
                `place ${versions.join(" or ")} on at least one cluster`,
            );
        }
    }

    // --- routing.
    const routing = args.routing ?? "plain";
    if (!(BOOKINFO_ROUTINGS as readonly string[]).includes(routing)) add("routing", "is not a Bookinfo routing scenario", `use one of: ${BOOKINFO_ROUTINGS.join(", ")}`, routing);
    if (routing === "header-split") {
        const missing = (["reviews-v1", "reviews-v2", "reviews-v3"] as const).filter((w) => placement[w] === undefined);
        if (missing.length > 0) {
            add(
                "routing",
                `is "header-split", which routes jason to reviews v2/v3 and everyone else to v1, but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not placed`,
                `place ${missing.join(", ")}, or use routing "plain"`,
                routing,
            );
        }
    }

    // --- failover.
    const regions = meshRegions(identity);
    let failover: BookinfoFailover[] = [];
    if (args.failover !== undefined && routing !== "locality-failover") {
        add("failover", `is only used with routing "locality-failover" (routing is "${routing}")`, 'remove failover, or set routing to "locality-failover"');
    } else if (routing === "locality-failover") {
        if (args.failover === undefined) {
            failover = defaultFailover(identity);
            if (failover.length === 0) {
                add(
                    "routing",
                    `is "locality-failover", but the mesh spans one region (${regions.join(", ")}): there is no other region to fail over to`,
                    'add a cluster in another region, or use routing "plain"',
                    routing,
                );
            }
        } else if (!Array.isArray(args.failover) || args.failover.length === 0) {
            add("failover", "is empty: locality-failover needs at least one {from, to} pair", "remove failover to fail over each region to the next, or list the pairs", args.failover);
        } else {
            const firstFrom = new Map<string, number>();
            const useRegion = `use one of the mesh's regions: ${regions.join(", ")}`;
            args.failover.forEach((pair: Partial<BookinfoFailover> | undefined, i) => {
                const { from, to } = pair ?? {};
                if (typeof from !== "string" || !regions.includes(from)) add(`failover[${i}].from`, "is not a region of the mesh", useRegion, from);
                if (typeof to !== "string" || !regions.includes(to)) add(`failover[${i}].to`, "is not a region of the mesh", useRegion, to);
                else if (to === from) add(`failover[${i}].to`, "equals from: a region cannot fail over to itself", "name another region", to);
                const first = typeof from === "string" ? firstFrom.get(from) : undefined;
                if (first !== undefined) add(`failover[${i}].from`, `repeats failover[${first}].from: Istio uses only the first pair of a region`, "keep one pair per region", from);
                else if (typeof from === "string") firstFrom.set(from, i);
            });
            failover = args.failover.map((f) => ({ from: f.from, to: f.to }));
        }
        // The failover rule ejects up to 100% of a service's endpoints (FAILOVER_OUTLIER_DETECTION), and
        // Istio sets the panic threshold to 0: a service in one region would go dark after one 5xx.
        if (regions.length >= 2) {
            const problems = singleRegionBookinfoServices((w) => placed.get(w) ?? [], (c) => identity.clusters[c]?.region, 'routing "plain"');
            for (const problem of problems) add(`placement.${problem.workload}`, problem.message, problem.fix);
        }
    }

    // --- tag, namespace.
    const tag = args.tag ?? DEFAULTS.bookinfoTag;
    if (typeof tag !== "string" || !IMAGE_TAG.test(tag)) add("tag", "is not an image tag", `use a published Bookinfo tag such as "${DEFAULTS.bookinfoTag}"`, tag);
    const registry = args.registry ?? BOOKINFO_IMAGE_REGISTRY;
    if (typeof registry !== "string" || !/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(registry)) {
        add("registry", "is not an image registry path", `use a registry path such as "${BOOKINFO_IMAGE_REGISTRY}"`, registry);
    }
    const namespace = args.namespace ?? DEFAULT_BOOKINFO_NAMESPACE;
    if (typeof namespace !== "string" || !DNS_LABEL.test(namespace) || namespace.length > 63) {
        add("namespace", "must be a DNS-1123 label", "use lowercase letters, digits and '-'", namespace);
    }
    if (args.revisionTag !== undefined && (typeof args.revisionTag !== "string" || !DNS_LABEL.test(args.revisionTag))) {
        add("revisionTag", "must be a DNS-1123 label (an Istio revision tag)", "use the tag's name, e.g. stable", args.revisionTag);
    }

    // --- ingressAddresses, meshReady: keyed by mesh clusters.
    const addressed = Object.entries(args.ingressAddresses ?? {})
        .filter(([, a]) => a !== undefined)
        .map(([c]) => c);
    for (const c of Object.keys(args.ingressAddresses ?? {})) if (!identity.clusters[c]) add(`ingressAddresses.${c}`, notInMesh, useCluster);
    for (const [c, deps] of Object.entries(args.meshReady ?? {})) {
        if (!identity.clusters[c]) add(`meshReady.${c}`, notInMesh, useCluster);
        else if (!Array.isArray(deps)) add(`meshReady.${c}`, "is not a list of resources", "pass e.g. [that cluster's istiod release]");
    }

    if (problems.length > 0) throw new ConfigError(problems, `Invalid BookinfoSplit "${name}"`);

    const ingressPlanes = new Set(addressed.map((c) => identity.clusters[c].controlledBy));
    const clusters = Object.fromEntries(
        meshClusters.map((c) => {
            const controlPlane = identity.clusters[c].controlPlane;
            const plan: BookinfoClusterPlan = {
                workloads: BOOKINFO_WORKLOADS.filter((w) => placed.get(w)?.includes(c) ?? false),
                routing: controlPlane,
                ingress: controlPlane && (ingressPlanes.size === 0 || ingressPlanes.has(c)),
            };
            return [c, plan];
        }),
    );
    return { namespace, tag, registry, ...(args.revisionTag !== undefined ? { revisionTag: args.revisionTag } : {}), routing, failover, clusters };
}

// --- Pure builders: Kubernetes objects ---------------------------------------------------------------

/**
 * The namespace, labelled for sidecar injection: `istio.io/rev=<revisionTag>`
 * when a tag is given, else `istio-injection: enabled` (never both: the
 * latter wins, istio@1.30.3 revision-tags-mwc.yaml selects
 * `istio-injection DoesNotExist`).
 */
export function bookinfoNamespace(namespace = DEFAULT_BOOKINFO_NAMESPACE, revisionTag?: string): k8s.core.v1.NamespaceArgs {
    return { metadata: { name: namespace, labels: revisionTag === undefined ? { "istio-injection": "enabled" } : { "istio.io/rev": revisionTag } } };
}

/** The Service and ServiceAccount of one Bookinfo service. */
export interface BookinfoServiceObjects {
    /** Service `<service>`: port 9080 `http`, selector `app=<service>`. */
    service: k8s.core.v1.ServiceArgs;
    /** ServiceAccount `bookinfo-<service>`, label `account=<service>`. */
    serviceAccount: k8s.core.v1.ServiceAccountArgs;
}

/** The Services and ServiceAccounts of the four services, as in `platform/kube/bookinfo.yaml`. */
export function bookinfoServices(namespace = DEFAULT_BOOKINFO_NAMESPACE): Record<BookinfoService, BookinfoServiceObjects> {
    const of = (svc: BookinfoService): BookinfoServiceObjects => ({
        service: {
            metadata: { name: svc, namespace, labels: { app: svc, service: svc } },
            spec: { ports: [{ port: BOOKINFO_PORT, name: "http" }], selector: { app: svc } },
        },
        serviceAccount: { metadata: { name: `bookinfo-${svc}`, namespace, labels: { account: svc } } },
    });
    return { productpage: of("productpage"), details: of("details"), ratings: of("ratings"), reviews: of("reviews") };
}

/**
 * The Deployment of one workload, as in `platform/kube/bookinfo.yaml`, plus
 * resource requests: reviews gets `LOG_DIR=/tmp/logs` and emptyDirs `tmp`
 * (/tmp) and `wlp-output` (/opt/ibm/wlp/output); productpage gets emptyDir
 * `tmp` and the prometheus scrape annotations.
 *
 * No `securityContext`, neither on the pod nor on the container: istio@1.30.3
 * `samples/bookinfo/platform/kube/bookinfo.yaml` sets none.
 * istio/istio#44765 removed its `runAsUser: 1000` and moved the non-root user
 * into the images, so each image's own `USER` applies: 1000 for details,
 * ratings and productpage, 1001 for reviews, whose Liberty output directory
 * the image makes group-writable (`chmod -R g=rwx`;
 * `samples/bookinfo/src/<service>/Dockerfile`). Forcing UID 1000 would
 * override that user on reviews. Upstream keeps the settings for clusters
 * that enforce Pod Security admission in a separate `bookinfo-psa.yaml`;
 * this builder does not add them.
 */
export function bookinfoDeployment(workload: BookinfoWorkload, tag: string, namespace = DEFAULT_BOOKINFO_NAMESPACE, registry: string = BOOKINFO_IMAGE_REGISTRY): k8s.apps.v1.DeploymentArgs {
    const [svc, version] = workloadParts(workload);
    const labels = { app: svc, version };
    const mounts: Record<string, string> =
        svc === "reviews" ? { tmp: "/tmp", "wlp-output": "/opt/ibm/wlp/output" } : svc === "productpage" ? { tmp: "/tmp" } : {};
    const volumes = Object.keys(mounts);
    const container: k8s.types.input.core.v1.Container = {
        name: svc,
        image: bookinfoImage(workload, tag, registry),
        imagePullPolicy: "IfNotPresent",
        ...(svc === "reviews" ? { env: [{ name: "LOG_DIR", value: "/tmp/logs" }] } : {}),
        ports: [{ containerPort: BOOKINFO_PORT }],
        resources: { requests: { ...BOOKINFO_RESOURCE_REQUESTS[svc] } },
        ...(volumes.length > 0 ? { volumeMounts: volumes.map((v) => ({ name: v, mountPath: mounts[v] })) } : {}),
    };
    const annotations = svc === "productpage" ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(BOOKINFO_PORT), "prometheus.io/path": "/metrics" } : undefined;
    return {
        metadata: { name: workload, namespace, labels: { ...labels } },
        spec: {
            replicas: 1,
            selector: { matchLabels: { ...labels } },
            template: {
                metadata: { ...(annotations ? { annotations } : {}), labels: { ...labels } },
                spec: {
                    serviceAccountName: `bookinfo-${svc}`,
                    containers: [container],
                    ...(volumes.length > 0 ? { volumes: volumes.map((v) => ({ name: v, emptyDir: {} })) } : {}),
                },
            },
        },
    };
}

// --- Pure builders: Istio objects ----------------------------------------------------------------------

const NETWORKING = "networking.istio.io/v1";

/**
 * The ingress Gateway `bookinfo-gateway`: HTTP on port 80 for any host, on
 * the Helm-installed ingress gateway (`istio: ingressgateway`).
 */
export function bookinfoGateway(namespace = DEFAULT_BOOKINFO_NAMESPACE): K8sObject {
    return {
        apiVersion: NETWORKING,
        kind: "Gateway",
        metadata: { name: BOOKINFO_GATEWAY_NAME, namespace },
        spec: {
            selector: gatewaySelector(RELEASE_NAMES.ingress),
            servers: [{ port: { number: BOOKINFO_GATEWAY_PORT, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
        },
    };
}

/** The VirtualService `bookinfo` on the ingress Gateway: the productpage paths → productpage:9080. */
export function bookinfoVirtualService(namespace = DEFAULT_BOOKINFO_NAMESPACE): K8sObject {
    return {
        apiVersion: NETWORKING,
        kind: "VirtualService",
        metadata: { name: "bookinfo", namespace },
        spec: {
            hosts: ["*"],
            gateways: [BOOKINFO_GATEWAY_NAME],
            http: [
                {
                    match: [{ uri: { exact: "/productpage" } }, { uri: { prefix: "/static" } }, { uri: { exact: "/login" } }, { uri: { exact: "/logout" } }, { uri: { prefix: "/api/v1/products" } }],
                    route: [{ destination: { host: "productpage", port: { number: BOOKINFO_PORT } } }],
                },
            ],
        },
    };
}

/**
 * A DestinationRule with outlier detection only ({@link OUTLIER_DETECTION}):
 * activates Istio's (default-on) locality-aware load balancing for the
 * service. It keeps Envoy's default `maxEjectionPercent` (10): with Istio's
 * panic threshold of 0, allowing more would let a single-endpoint service go
 * dark for `baseEjectionTime` after one error.
 */
export function outlierDestinationRule(service: BookinfoService, namespace = DEFAULT_BOOKINFO_NAMESPACE): K8sObject {
    return {
        apiVersion: NETWORKING,
        kind: "DestinationRule",
        metadata: { name: service, namespace },
        spec: { host: service, trafficPolicy: { outlierDetection: { ...OUTLIER_DETECTION } } },
    };
}

/**
 * The "jason" split of reviews: a DestinationRule `reviews` with subsets
 * v1/v2/v3 (by `version` label, plus outlier detection as in `plain`, with
 * Envoy's default `maxEjectionPercent`, see {@link outlierDestinationRule}) and a
 * VirtualService `reviews` sending requests with header `end-user: jason` to
 * v2 and v3 at 50/50 and everything else to v1.
 */
export function reviewsHeaderSplit(namespace = DEFAULT_BOOKINFO_NAMESPACE): { destinationRule: K8sObject; virtualService: K8sObject } {
    const dest = (subset: string) => ({ host: "reviews", subset });
    return {
        destinationRule: {
            apiVersion: NETWORKING,
            kind: "DestinationRule",
            metadata: { name: "reviews", namespace },
            spec: {
                host: "reviews",
                // Not FAILOVER_OUTLIER_DETECTION: v2 and v3 may have one endpoint each (prod), and one 5xx would eject it.
                trafficPolicy: { outlierDetection: { ...OUTLIER_DETECTION } },
                subsets: ["v1", "v2", "v3"].map((v) => ({ name: v, labels: { version: v } })),
            },
        },
        virtualService: {
            apiVersion: NETWORKING,
            kind: "VirtualService",
            metadata: { name: "reviews", namespace },
            spec: {
                hosts: ["reviews"],
                http: [
                    {
                        match: [{ headers: { "end-user": { exact: "jason" } } }],
                        route: [
                            { destination: dest("v2"), weight: 50 },
                            { destination: dest("v3"), weight: 50 },
                        ],
                    },
                    { route: [{ destination: dest("v1") }] },
                ],
            },
        },
    };
}

/**
 * The in-mesh routing objects of a scenario, keyed by their role (the
 * child-name suffix): `dr-<service>` for each service's DestinationRule and,
 * for `header-split`, `vs-reviews`. The ingress objects are separate
 * ({@link bookinfoGateway}, {@link bookinfoVirtualService}).
 * @param failover the pairs for `locality-failover` (ignored otherwise)
 */
export function bookinfoRoutingObjects(
    routing: BookinfoRouting,
    failover: ReadonlyArray<BookinfoFailover>,
    namespace = DEFAULT_BOOKINFO_NAMESPACE,
): Record<string, K8sObject> {
    const out: Record<string, K8sObject> = {};
    for (const svc of BOOKINFO_SERVICES) {
        out[`dr-${svc}`] =
            routing === "locality-failover"
                ? localityFailoverDestinationRule({ name: svc, namespace, host: svc, failover: failover.map((f) => ({ from: f.from, to: f.to })) })
                : outlierDestinationRule(svc, namespace);
    }
    if (routing === "header-split") {
        const split = reviewsHeaderSplit(namespace);
        out["dr-reviews"] = split.destinationRule;
        out["vs-reviews"] = split.virtualService;
    }
    return out;
}

/** `http://<address>/productpage`, with an IPv6 literal in brackets. */
export function productpageUrlOf(address: string): string {
    return `http://${address.includes(":") ? `[${address}]` : address}/productpage`;
}

/**
 * Bookinfo split across the mesh. See the module documentation for what it
 * creates and why.
 *
 * Children (a public contract; renaming one needs an alias), all with
 * `parent: this` and `provider: clusters[<cluster>].provider`:
 * - in every cluster: `<name>-<cluster>-ns` (Namespace),
 *   `<name>-<cluster>-sa-<service>` (ServiceAccount) and
 *   `<name>-<cluster>-svc-<service>` (Service) for the four services;
 * - where placed: `<name>-<cluster>-deploy-<workload>` (Deployment);
 * - in ingress control planes: `<name>-<cluster>-gw` (Gateway),
 *   `<name>-<cluster>-vs` (VirtualService `bookinfo`);
 * - in every control plane: `<name>-<cluster>-dr-<service>`
 *   (DestinationRule), and `<name>-<cluster>-vs-reviews` with `header-split`.
 *
 * Ordering: each cluster's namespace depends on `meshReady[cluster]`;
 * everything else in the cluster depends on the namespace, Deployments also
 * on their ServiceAccount.
 */
export class BookinfoSplit extends pulumi.ComponentResource {
    /**
     * `http://<ingress address>/productpage` of the first control plane (in
     * the identity's sorted order) that has an ingress address; undefined when
     * none has.
     */
    public readonly productpageUrl?: pulumi.Output<string>;
    /** `http://<ingress address>/productpage` per cluster with an ingress address. */
    public readonly productpageUrls: Record<string, pulumi.Output<string>>;
    /** Workloads placed on each mesh cluster (every cluster present, `[]` when none). Plain. */
    public readonly deployments: Record<string, string[]>;
    /** The namespace Bookinfo runs in, in every cluster. Plain. */
    public readonly namespace: string;

    /**
     * @param name Pulumi name prefix of the children.
     * @param args See {@link BookinfoSplitArgs}.
     * @param opts Component options.
     * @throws ConfigError listing every problem of `args`, before anything is registered.
     */
    constructor(name: string, args: BookinfoSplitArgs, opts?: pulumi.ComponentResourceOptions) {
        // Before super: invalid arguments register nothing, not even the component.
        const plan = planBookinfo(args, name);
        super(BOOKINFO_SPLIT_TYPE, name, {}, opts);
        this.namespace = plan.namespace;

        const services = bookinfoServices(plan.namespace);
        const routingObjects = bookinfoRoutingObjects(plan.routing, plan.failover, plan.namespace);
        for (const [cluster, cp] of Object.entries(plan.clusters)) {
            const prefix = `${name}-${cluster}`;
            const local: pulumi.CustomResourceOptions = { parent: this, provider: args.clusters[cluster].provider };
            const ns = new k8s.core.v1.Namespace(`${prefix}-ns`, bookinfoNamespace(plan.namespace, plan.revisionTag), { ...local, dependsOn: args.meshReady?.[cluster] ?? [] });
            const inNamespace: pulumi.CustomResourceOptions = { ...local, dependsOn: [ns] };

            const accounts = {} as Record<BookinfoService, k8s.core.v1.ServiceAccount>;
            for (const svc of BOOKINFO_SERVICES) {
                accounts[svc] = new k8s.core.v1.ServiceAccount(`${prefix}-sa-${svc}`, services[svc].serviceAccount, inNamespace);
                new k8s.core.v1.Service(`${prefix}-svc-${svc}`, services[svc].service, inNamespace);
            }
            for (const workload of cp.workloads) {
                const [svc] = workloadParts(workload);
                new k8s.apps.v1.Deployment(`${prefix}-deploy-${workload}`, bookinfoDeployment(workload, plan.tag, plan.namespace, plan.registry), { ...local, dependsOn: [ns, accounts[svc]] });
            }

            // The Istio CRDs come from the base chart, which meshReady (istiod) follows.
            const customResource = (role: string, obj: K8sObject) =>
                new k8s.apiextensions.CustomResource(`${prefix}-${role}`, { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec }, inNamespace);
            if (cp.ingress) {
                customResource("gw", bookinfoGateway(plan.namespace));
                customResource("vs", bookinfoVirtualService(plan.namespace));
            }
            if (cp.routing) {
                for (const [role, obj] of Object.entries(routingObjects)) customResource(role, obj);
            }
        }

        const addresses = args.ingressAddresses ?? {};
        this.productpageUrls = Object.fromEntries(
            Object.keys(plan.clusters)
                .filter((c) => addresses[c] !== undefined)
                .map((c) => [c, pulumi.output(addresses[c] as pulumi.Input<string>).apply(productpageUrlOf)]),
        );
        const first = args.identity.controlPlanes.find((c) => this.productpageUrls[c] !== undefined);
        this.productpageUrl = first === undefined ? undefined : this.productpageUrls[first];
        this.deployments = Object.fromEntries(Object.entries(plan.clusters).map(([c, p]) => [c, [...p.workloads]]));

        this.registerOutputs({
            productpageUrl: this.productpageUrl,
            productpageUrls: this.productpageUrls,
            deployments: this.deployments,
            namespace: this.namespace,
        });
    }
}
