/**
 * BookinfoSplit: the pure plan (defaults, placement, failover, exact
 * validation errors), the pure builders (exact objects, strictly valid Istio
 * objects) and construction under the simulated cloud (exact children per
 * cluster, providers, dependency edges, outputs, name collisions, growth).
 */
import * as assert from "assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { BOOKINFO_WORKLOADS, BookinfoRouting } from "../../config/schema";
import {
    BOOKINFO_SPLIT_TYPE,
    BookinfoPlan,
    BookinfoSplit,
    BookinfoSplitArgs,
    bookinfoDeployment,
    bookinfoGateway,
    bookinfoNamespace,
    bookinfoRoutingObjects,
    bookinfoServices,
    bookinfoVirtualService,
    defaultFailover,
    outlierDestinationRule,
    planBookinfo,
    productpageUrlOf,
    reviewsHeaderSplit,
} from "../../components/bookinfoSplit";
import { K8sObject, localityFailoverDestinationRule } from "../../components/istioObjects";
import { ClusterHandle, MeshIdentity, clusterHandleFromKubeconfig } from "../../components/types";
import { K8S, RecordedResource, SimulationError, SimulationResult, promiseOf, simulate, topology } from "../support";
import { validateIstio } from "../support/istioSchemas";

const SA = "kubernetes:core/v1:ServiceAccount";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const GATEWAY = "kubernetes:networking.istio.io/v1:Gateway";
const VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService";
const DESTINATION_RULE = "kubernetes:networking.istio.io/v1:DestinationRule";
const SERVICES = ["productpage", "details", "ratings", "reviews"];

// --- Fixtures ---------------------------------------------------------------------------------------

type RawCluster = { region: string; role: "primary" | "remote"; slot: number };

/** A mesh identity from a stack-like config (Terway, one VPC per cluster). */
function meshOf(id: string, topo: "primary-remote" | "multi-primary", clusters: Record<string, RawCluster>, networks: "flat" | "multi-network" = "flat"): MeshIdentity {
    return topology({
        mesh: { id, topology: topo, networks },
        clusters: Object.fromEntries(Object.entries(clusters).map(([k, c]) => [k, { ...c, zones: [`${c.region}-h`], cni: "terway" }])),
    }).identity;
}

const CP = "istio-control-plane";
const R1 = "istio-remote1";
const devClusters: Record<string, RawCluster> = {
    [CP]: { region: "cn-hangzhou", role: "primary", slot: 0 },
    [R1]: { region: "cn-hangzhou", role: "remote", slot: 1 },
};
/** dev: primary-remote in one region. */
const dev = meshOf("mesh-dev", "primary-remote", devClusters);
/** dev plus a remote that runs nothing. */
const devGrown = meshOf("mesh-dev", "primary-remote", { ...devClusters, "istio-remote2": { region: "cn-hangzhou", role: "remote", slot: 2 } });
/** prod: multi-primary, multi-network, two regions. */
const prod = meshOf("mesh-prod", "multi-primary", { beijing: { region: "cn-beijing", role: "primary", slot: 20 }, shanghai: { region: "cn-shanghai", role: "primary", slot: 21 } }, "multi-network");
/** staging: primary-remote across two regions. */
const staging = meshOf("mesh-staging", "primary-remote", { hangzhou: { region: "cn-hangzhou", role: "primary", slot: 10 }, shanghai: { region: "cn-shanghai", role: "remote", slot: 11 } });
/** Three regions, for the default failover ring. */
const three = meshOf("mesh3", "multi-primary", {
    a: { region: "cn-hangzhou", role: "primary", slot: 1 },
    b: { region: "cn-shanghai", role: "primary", slot: 2 },
    c: { region: "cn-beijing", role: "primary", slot: 3 },
});

const devPlacement: BookinfoSplitArgs["placement"] = {
    "productpage-v1": [CP],
    "details-v1": [R1],
    "ratings-v1": [CP],
    "reviews-v1": [CP],
    "reviews-v2": [CP],
    "reviews-v3": [CP],
};
const prodPlacement: BookinfoSplitArgs["placement"] = {
    "productpage-v1": ["beijing"],
    "details-v1": ["beijing"],
    "ratings-v1": ["beijing", "shanghai"],
    "reviews-v1": ["beijing"],
    "reviews-v2": ["shanghai"],
    "reviews-v3": ["shanghai"],
};
const everywhere = (clusters: string[]): BookinfoSplitArgs["placement"] => Object.fromEntries(BOOKINFO_WORKLOADS.map((w) => [w, [...clusters]]));

/** Handles with only what the plan reads (name, region). */
function dummies(identity: MeshIdentity): Record<string, ClusterHandle> {
    return Object.fromEntries(Object.values(identity.clusters).map((c) => [c.clusterName, { name: c.clusterName, region: c.region, network: c.network } as ClusterHandle]));
}

function kubeconfig(c: string): string {
    return `apiVersion: v1\nkind: Config\nclusters:\n- name: ${c}\n  cluster:\n    server: https://${c}.k8s.example:6443\ncontexts:\n- name: ${c}\n  context:\n    cluster: ${c}\n    user: admin\ncurrent-context: ${c}\nusers:\n- name: admin\n  user:\n    token: admin-token\n`;
}

/** Real handles, each with its own provider `<c>-k8s` (inside a simulation). */
function handles(identity: MeshIdentity): Record<string, ClusterHandle> {
    return Object.fromEntries(
        Object.values(identity.clusters).map((m) => [
            m.clusterName,
            clusterHandleFromKubeconfig(m.clusterName, { name: m.clusterName, region: m.region, network: m.network, kubeconfig: kubeconfig(m.clusterName), apiServerUrl: `https://${m.clusterName}.intranet.example:6443` }),
        ]),
    );
}

type Extra = Omit<BookinfoSplitArgs, "identity" | "clusters" | "meshReady">;

interface Run {
    res: SimulationResult;
    apps: Record<string, BookinfoSplit>;
}

/**
 * Runs one simulation: handles for every cluster, a stand-in "mesh ready"
 * resource per cluster (`ready-<c>`, a ConfigMap), and one BookinfoSplit per
 * entry of `instances` (name → args).
 */
async function run(identity: MeshIdentity, instances: Record<string, Extra>): Promise<Run> {
    const apps: Record<string, BookinfoSplit> = {};
    const res = await simulate(() => {
        const hs = handles(identity);
        const meshReady = Object.fromEntries(
            Object.keys(hs).map((c) => [c, [new k8s.core.v1.ConfigMap(`ready-${c}`, { metadata: { name: "mesh-ready", namespace: "default" } }, { provider: hs[c].provider })]]),
        );
        for (const [name, extra] of Object.entries(instances)) apps[name] = new BookinfoSplit(name, { identity, clusters: hs, meshReady, ...extra });
        return Object.fromEntries(Object.entries(apps).map(([n, a]) => [n, { url: a.productpageUrl, urls: a.productpageUrls, deployments: a.deployments }]));
    });
    return { res, apps };
}

const typeName = (r: { type: string; name: string }) => `${r.type} ${r.name}`;

/** Children of component `name`, grouped by the cluster whose provider they use, as sorted `type name` lines. */
function childrenByCluster(res: SimulationResult, name: string, identity: MeshIdentity): Record<string, string[]> {
    const top = res.get(BOOKINFO_SPLIT_TYPE, name);
    const children = res.childrenOf(top.urn);
    const out: Record<string, string[]> = {};
    for (const c of Object.keys(identity.clusters)) {
        const provider = res.get(K8S.provider, `${c}-k8s`).urn;
        out[c] = children.filter((x) => x.providerUrn === provider).map(typeName).sort();
    }
    assert.equal(Object.values(out).flat().length, children.length, "every child uses one of the clusters' providers");
    for (const c of children) assert.deepEqual(res.childrenOf(c.urn), [], `${typeName(c)} has no children`);
    return out;
}

/** The children `name` should create in `cluster`. */
function expectedChildren(name: string, cluster: string, what: { workloads: string[]; ingress: boolean; routing?: BookinfoRouting }): string[] {
    const p = `${name}-${cluster}`;
    const out = [`${K8S.namespace} ${p}-ns`, ...SERVICES.flatMap((s) => [`${SA} ${p}-sa-${s}`, `${K8S.service} ${p}-svc-${s}`])];
    out.push(...what.workloads.map((w) => `${DEPLOYMENT} ${p}-deploy-${w}`));
    if (what.ingress) out.push(`${GATEWAY} ${p}-gw`, `${VIRTUAL_SERVICE} ${p}-vs`);
    if (what.routing) out.push(...SERVICES.map((s) => `${DESTINATION_RULE} ${p}-dr-${s}`));
    if (what.routing === "header-split") out.push(`${VIRTUAL_SERVICE} ${p}-vs-reviews`);
    return out.sort();
}

/** The object a CustomResource was registered with. */
function crObject(r: RecordedResource): Record<string, unknown> {
    const { apiVersion, kind, metadata, spec } = r.inputs;
    return { apiVersion, kind, metadata, spec };
}

/** Validates every Istio custom resource a simulation registered, strictly; returns how many. */
async function validateIstioResources(res: SimulationResult): Promise<number> {
    const crs = res.resources.filter((r) => /^kubernetes:networking\.istio\.io\//.test(r.type));
    for (const cr of crs) {
        assert.deepEqual(Object.keys(cr.inputs).sort(), ["apiVersion", "kind", "metadata", "spec"], `${cr.name} has nothing but the object`);
        await validateIstio(cr.inputs);
    }
    return crs.length;
}

/** Asserts that `from` lists every one of `on` among its dependencies. */
function assertDependsOn(res: SimulationResult, from: [string, string], ...on: [string, string][]): void {
    const deps = res.get(...from).dependencies;
    for (const o of on) assert.ok(deps.includes(res.get(...o).urn), `${from[1]} depends on ${o[1]} (has ${deps.join(", ")})`);
}

function k8sWarnings(res: SimulationResult): string[] {
    return res.warnings.filter((w) => /namespace|default Kubernetes provider/.test(w));
}

interface PodTemplate {
    spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { containers: { image: string; env?: unknown; volumeMounts?: unknown }[]; volumes?: unknown } } };
}

// --- Pure builders ----------------------------------------------------------------------------------

describe("BookinfoSplit: builders", () => {
    it("builds the namespace with sidecar injection on", () => {
        assert.deepEqual(bookinfoNamespace(), { metadata: { name: "bookinfo", labels: { "istio-injection": "enabled" } } });
    });

    it("builds the four Services and ServiceAccounts as upstream", () => {
        const s = bookinfoServices();
        assert.deepEqual(Object.keys(s), SERVICES);
        assert.deepEqual(s.reviews, {
            service: { metadata: { name: "reviews", namespace: "bookinfo", labels: { app: "reviews", service: "reviews" } }, spec: { ports: [{ port: 9080, name: "http" }], selector: { app: "reviews" } } },
            serviceAccount: { metadata: { name: "bookinfo-reviews", namespace: "bookinfo", labels: { account: "reviews" } } },
        });
        assert.equal((bookinfoServices("demo").details.service.metadata as { namespace: string }).namespace, "demo");
    });

    it("builds the reviews Deployment with LOG_DIR, both emptyDirs and requests, and no securityContext", () => {
        assert.deepEqual(bookinfoDeployment("reviews-v2", "1.20.3"), {
            metadata: { name: "reviews-v2", namespace: "bookinfo", labels: { app: "reviews", version: "v2" } },
            spec: {
                replicas: 1,
                selector: { matchLabels: { app: "reviews", version: "v2" } },
                template: {
                    metadata: { labels: { app: "reviews", version: "v2" } },
                    spec: {
                        serviceAccountName: "bookinfo-reviews",
                        containers: [
                            {
                                name: "reviews",
                                image: "registry.istio.io/release/examples-bookinfo-reviews-v2:1.20.3",
                                imagePullPolicy: "IfNotPresent",
                                env: [{ name: "LOG_DIR", value: "/tmp/logs" }],
                                ports: [{ containerPort: 9080 }],
                                resources: { requests: { cpu: "100m", memory: "256Mi" } },
                                volumeMounts: [
                                    { name: "tmp", mountPath: "/tmp" },
                                    { name: "wlp-output", mountPath: "/opt/ibm/wlp/output" },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "tmp", emptyDir: {} },
                            { name: "wlp-output", emptyDir: {} },
                        ],
                    },
                },
            },
        });
    });

    it("builds productpage with the prometheus annotations and a tmp emptyDir, details with neither", () => {
        const pp = bookinfoDeployment("productpage-v1", "1.20.3") as unknown as PodTemplate;
        assert.deepEqual(pp.spec.template.metadata.annotations, { "prometheus.io/scrape": "true", "prometheus.io/port": "9080", "prometheus.io/path": "/metrics" });
        assert.deepEqual(pp.spec.template.spec.volumes, [{ name: "tmp", emptyDir: {} }]);
        assert.deepEqual(pp.spec.template.spec.containers[0].volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
        assert.equal(pp.spec.template.spec.containers[0].env, undefined);
        const details = bookinfoDeployment("details-v1", "1.20.3", "demo");
        assert.deepEqual(details, {
            metadata: { name: "details-v1", namespace: "demo", labels: { app: "details", version: "v1" } },
            spec: {
                replicas: 1,
                selector: { matchLabels: { app: "details", version: "v1" } },
                template: {
                    metadata: { labels: { app: "details", version: "v1" } },
                    spec: {
                        serviceAccountName: "bookinfo-details",
                        containers: [
                            {
                                name: "details",
                                image: "registry.istio.io/release/examples-bookinfo-details-v1:1.20.3",
                                imagePullPolicy: "IfNotPresent",
                                ports: [{ containerPort: 9080 }],
                                resources: { requests: { cpu: "50m", memory: "64Mi" } },
                            },
                        ],
                    },
                },
            },
        });
    });

    it("sets no securityContext on any pod or container, as upstream 1.30.3 bookinfo.yaml (each image's own USER applies)", () => {
        for (const w of BOOKINFO_WORKLOADS) {
            const d = bookinfoDeployment(w, "1.20.3") as unknown as { spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
            assert.equal("securityContext" in d.spec.template.spec, false, `${w}: pod`);
            for (const c of d.spec.template.spec.containers) assert.equal("securityContext" in c, false, `${w}: container ${String(c.name)}`);
        }
    });

    it("uses the exact image of every workload", () => {
        const images = BOOKINFO_WORKLOADS.map((w) => (bookinfoDeployment(w, "1.20.3") as unknown as PodTemplate).spec.template.spec.containers[0].image);
        assert.deepEqual(images, [
            "registry.istio.io/release/examples-bookinfo-productpage-v1:1.20.3",
            "registry.istio.io/release/examples-bookinfo-details-v1:1.20.3",
            "registry.istio.io/release/examples-bookinfo-ratings-v1:1.20.3",
            "registry.istio.io/release/examples-bookinfo-reviews-v1:1.20.3",
            "registry.istio.io/release/examples-bookinfo-reviews-v2:1.20.3",
            "registry.istio.io/release/examples-bookinfo-reviews-v3:1.20.3",
        ]);
    });

    it("builds the ingress Gateway on port 80 of the Helm ingress gateway, and the bookinfo VirtualService", () => {
        assert.deepEqual(bookinfoGateway(), {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "bookinfo-gateway", namespace: "bookinfo" },
            spec: { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] },
        });
        assert.deepEqual(bookinfoVirtualService(), {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "bookinfo", namespace: "bookinfo" },
            spec: {
                hosts: ["*"],
                gateways: ["bookinfo-gateway"],
                http: [
                    {
                        match: [{ uri: { exact: "/productpage" } }, { uri: { prefix: "/static" } }, { uri: { exact: "/login" } }, { uri: { exact: "/logout" } }, { uri: { prefix: "/api/v1/products" } }],
                        route: [{ destination: { host: "productpage", port: { number: 9080 } } }],
                    },
                ],
            },
        });
    });

    it("splits reviews for jason: v2/v3 at 50/50, everyone else v1", () => {
        assert.deepEqual(reviewsHeaderSplit(), {
            destinationRule: {
                apiVersion: "networking.istio.io/v1",
                kind: "DestinationRule",
                metadata: { name: "reviews", namespace: "bookinfo" },
                spec: {
                    host: "reviews",
                    // No maxEjectionPercent: v2 and v3 may each have one endpoint, and Istio's panic threshold is 0.
                    trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m" } },
                    subsets: [
                        { name: "v1", labels: { version: "v1" } },
                        { name: "v2", labels: { version: "v2" } },
                        { name: "v3", labels: { version: "v3" } },
                    ],
                },
            },
            virtualService: JASON_VS,
        });
    });

    it("builds the routing objects of each scenario, keyed by role", () => {
        const failover = [{ from: "cn-hangzhou", to: "cn-shanghai" }];
        const plain = bookinfoRoutingObjects("plain", []);
        assert.deepEqual(Object.keys(plain), ["dr-productpage", "dr-details", "dr-ratings", "dr-reviews"]);
        assert.deepEqual(plain["dr-ratings"], {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "ratings", namespace: "bookinfo" },
            spec: { host: "ratings", trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m" } } },
        });
        const split = bookinfoRoutingObjects("header-split", []);
        assert.deepEqual(Object.keys(split), ["dr-productpage", "dr-details", "dr-ratings", "dr-reviews", "vs-reviews"]);
        assert.deepEqual(split["dr-details"], outlierDestinationRule("details"));
        assert.deepEqual({ destinationRule: split["dr-reviews"], virtualService: split["vs-reviews"] }, reviewsHeaderSplit());
        const lf = bookinfoRoutingObjects("locality-failover", failover, "demo");
        assert.deepEqual(Object.keys(lf), ["dr-productpage", "dr-details", "dr-ratings", "dr-reviews"]);
        assert.deepEqual(lf["dr-reviews"], localityFailoverDestinationRule({ name: "reviews", namespace: "demo", host: "reviews", failover }));
        assert.deepEqual((lf["dr-reviews"].spec.trafficPolicy as { loadBalancer: unknown }).loadBalancer, {
            simple: "ROUND_ROBIN",
            localityLbSetting: { enabled: true, failover: [{ from: "cn-hangzhou", to: "cn-shanghai" }] },
        });
        // Failover ejects every failing endpoint of a locality; the plain and header-split rules keep Istio's 10%.
        assert.deepEqual((lf["dr-reviews"].spec.trafficPolicy as { outlierDetection: unknown }).outlierDetection, {
            consecutive5xxErrors: 1,
            interval: "1s",
            baseEjectionTime: "1m",
            maxEjectionPercent: 100,
        });
        for (const rule of [...Object.values(plain), ...Object.values(split)].filter((o) => o.kind === "DestinationRule")) {
            assert.deepEqual((rule.spec.trafficPolicy as { outlierDetection: unknown }).outlierDetection, { consecutive5xxErrors: 1, interval: "1s", baseEjectionTime: "1m" }, rule.metadata.name);
        }
    });

    it("builds only strictly valid Istio objects", async function () {
        this.timeout(20_000);
        const all: K8sObject[] = [
            bookinfoGateway(),
            bookinfoVirtualService(),
            ...Object.values(bookinfoRoutingObjects("plain", [])),
            ...Object.values(bookinfoRoutingObjects("header-split", [])),
            ...Object.values(bookinfoRoutingObjects("locality-failover", defaultFailover(three))),
        ];
        for (const o of all) await validateIstio(o);
    });

    it("formats the productpage URL", () => {
        assert.equal(productpageUrlOf("47.1.2.3"), "http://47.1.2.3/productpage");
        assert.equal(productpageUrlOf("lb.example.com"), "http://lb.example.com/productpage");
        assert.equal(productpageUrlOf("2408:4000::1"), "http://[2408:4000::1]/productpage");
    });
});

const JASON_VS = {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "reviews", namespace: "bookinfo" },
    spec: {
        hosts: ["reviews"],
        http: [
            {
                match: [{ headers: { "end-user": { exact: "jason" } } }],
                route: [
                    { destination: { host: "reviews", subset: "v2" }, weight: 50 },
                    { destination: { host: "reviews", subset: "v3" }, weight: 50 },
                ],
            },
            { route: [{ destination: { host: "reviews", subset: "v1" } }] },
        ],
    },
};

// --- The plan (pure) ------------------------------------------------------------------------------------

describe("BookinfoSplit: planBookinfo", () => {
    it("plans dev: details on the remote, the rest and all routing on the primary", () => {
        assert.deepEqual(planBookinfo({ identity: dev, clusters: dummies(dev), placement: devPlacement }), {
            namespace: "bookinfo",
            tag: "1.20.3",
            registry: "registry.istio.io/release",
            routing: "plain",
            failover: [],
            clusters: {
                [CP]: { workloads: ["productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"], routing: true, ingress: true },
                [R1]: { workloads: ["details-v1"], routing: false, ingress: false },
            },
        } satisfies BookinfoPlan);
    });

    it("plans prod: routing in both primaries, ingress only where there is an address", () => {
        const plan = planBookinfo({ identity: prod, clusters: dummies(prod), placement: prodPlacement, routing: "header-split", ingressAddresses: { shanghai: "47.0.0.2", beijing: undefined } });
        assert.deepEqual(plan.clusters, {
            beijing: { workloads: ["productpage-v1", "details-v1", "ratings-v1", "reviews-v1"], routing: true, ingress: false },
            shanghai: { workloads: ["ratings-v1", "reviews-v2", "reviews-v3"], routing: true, ingress: true },
        });
        assert.equal(plan.routing, "header-split");
    });

    it("puts the ingress objects into the primary of a remote that has the address", () => {
        const plan = planBookinfo({ identity: staging, clusters: dummies(staging), placement: everywhere(["hangzhou"]), ingressAddresses: { shanghai: "47.0.0.9" } });
        assert.deepEqual(plan.clusters.hangzhou, { workloads: [...BOOKINFO_WORKLOADS], routing: true, ingress: true });
        assert.deepEqual(plan.clusters.shanghai, { workloads: [], routing: false, ingress: false });
    });

    it("derives the failover ring from the mesh's regions, or takes the given pairs", () => {
        const args = (identity: MeshIdentity, failover?: { from: string; to: string }[]) =>
            planBookinfo({ identity, clusters: dummies(identity), placement: everywhere(Object.keys(identity.clusters)), routing: "locality-failover", ...(failover ? { failover } : {}) });
        assert.deepEqual(args(staging).failover, [
            { from: "cn-hangzhou", to: "cn-shanghai" },
            { from: "cn-shanghai", to: "cn-hangzhou" },
        ]);
        assert.deepEqual(args(three).failover, [
            { from: "cn-beijing", to: "cn-hangzhou" },
            { from: "cn-hangzhou", to: "cn-shanghai" },
            { from: "cn-shanghai", to: "cn-beijing" },
        ]);
        assert.deepEqual(args(three, [{ from: "cn-shanghai", to: "cn-hangzhou" }]).failover, [{ from: "cn-shanghai", to: "cn-hangzhou" }]);
        assert.deepEqual(defaultFailover(dev), [], "one region: nothing to fail over to");
    });

    it("takes a tag and a namespace, and plans a cluster without placement as empty", () => {
        const plan = planBookinfo({ identity: devGrown, clusters: dummies(devGrown), placement: devPlacement, tag: "1.20.2", namespace: "demo" });
        assert.equal(plan.tag, "1.20.2");
        assert.equal(plan.namespace, "demo");
        assert.deepEqual(plan.clusters["istio-remote2"], { workloads: [], routing: false, ingress: false });
    });

    const problems = (args: BookinfoSplitArgs): string => {
        try {
            planBookinfo(args, "app");
        } catch (e) {
            assert.ok(ConfigError.is(e), `a ConfigError, got ${String(e)}`);
            return e.message;
        }
        return "(no error)";
    };
    const head = (n: number) => `Invalid BookinfoSplit "app" (${n} problem${n === 1 ? "" : "s"}):\n`;
    const devArgs = (extra: Partial<BookinfoSplitArgs> = {}): BookinfoSplitArgs => ({ identity: dev, clusters: dummies(dev), placement: devPlacement, ...extra });
    const stagingArgs = (extra: Partial<BookinfoSplitArgs> = {}): BookinfoSplitArgs => ({
        identity: staging,
        clusters: dummies(staging),
        placement: everywhere(["hangzhou", "shanghai"]),
        routing: "locality-failover",
        ...extra,
    });

    const cases: [string, BookinfoSplitArgs, string][] = [
        [
            "placement onto unknown clusters, an unknown workload, an empty list and a repeated cluster",
            devArgs({ placement: { ...devPlacement, "details-v1": ["beijing"], "reviews-v2": [], "reviews-v3": [CP, CP], ...({ "reviews-v4": [CP] } as object) } }),
            head(4) +
                '  - placement.details-v1[0]: is not a cluster of mesh "mesh-dev" (got "beijing"). Fix: use one of: istio-control-plane, istio-remote1\n' +
                "  - placement.reviews-v2: is empty: a listed workload must run somewhere. Fix: place it on at least one of: istio-control-plane, istio-remote1; or remove the key\n" +
                '  - placement.reviews-v3[1]: names a cluster twice (got "istio-control-plane"). Fix: list each cluster once\n' +
                "  - placement.reviews-v4: is not a Bookinfo workload. Fix: use one of: productpage-v1, details-v1, ratings-v1, reviews-v1, reviews-v2, reviews-v3",
        ],
        [
            "services that run nowhere",
            devArgs({ placement: { "productpage-v1": [CP], "reviews-v1": [CP] } }),
            head(2) +
                "  - placement: places no version of details: every Bookinfo service must run somewhere (productpage calls details and reviews; reviews v2 and v3 call ratings). Fix: place details-v1 on at least one cluster\n" +
                "  - placement: places no version of ratings: every Bookinfo service must run somewhere (productpage calls details and reviews; reviews v2 and v3 call ratings). Fix: place ratings-v1 on at least one cluster",
        ],
        [
            "header-split without reviews v2 and v3",
            devArgs({ routing: "header-split", placement: { "productpage-v1": [CP], "details-v1": [R1], "ratings-v1": [CP], "reviews-v1": [CP] } }),
            head(1) +
                '  - routing: is "header-split", which routes jason to reviews v2/v3 and everyone else to v1, but reviews-v2, reviews-v3 are not placed (got "header-split"). Fix: place reviews-v2, reviews-v3, or use routing "plain"',
        ],
        [
            "failover regions outside the mesh, a self-failover and a repeated region",
            stagingArgs({
                failover: [
                    { from: "cn-beijing", to: "cn-hangzhou" },
                    { from: "cn-hangzhou", to: "cn-hangzhou" },
                    { from: "cn-hangzhou", to: "us-west-1" },
                ],
            }),
            head(4) +
                '  - failover[0].from: is not a region of the mesh (got "cn-beijing"). Fix: use one of the mesh\'s regions: cn-hangzhou, cn-shanghai\n' +
                '  - failover[1].to: equals from: a region cannot fail over to itself (got "cn-hangzhou"). Fix: name another region\n' +
                '  - failover[2].from: repeats failover[1].from: Istio uses only the first pair of a region (got "cn-hangzhou"). Fix: keep one pair per region\n' +
                '  - failover[2].to: is not a region of the mesh (got "us-west-1"). Fix: use one of the mesh\'s regions: cn-hangzhou, cn-shanghai',
        ],
        [
            "an empty failover list",
            stagingArgs({ failover: [] }),
            head(1) + "  - failover: is empty: locality-failover needs at least one {from, to} pair (got []). Fix: remove failover to fail over each region to the next, or list the pairs",
        ],
        [
            "failover without locality-failover",
            stagingArgs({ routing: "plain", failover: [{ from: "cn-hangzhou", to: "cn-shanghai" }] }),
            head(1) + '  - failover: is only used with routing "locality-failover" (routing is "plain"). Fix: remove failover, or set routing to "locality-failover"',
        ],
        [
            "locality-failover with a service in one region only (its only endpoints would be ejected)",
            stagingArgs({ placement: { ...everywhere(["hangzhou", "shanghai"]), "ratings-v1": ["shanghai"] } }),
            head(1) +
                '  - placement.ratings-v1: runs ratings in one region only (cn-shanghai); with locality-failover one 5xx ejects all of its endpoints (maxEjectionPercent 100, panic threshold 0) and there is no other region to fail over to. Fix: place ratings-v1 in clusters of a second region, or use routing "plain"',
        ],
        [
            "locality-failover in a one-region mesh",
            devArgs({ routing: "locality-failover" }),
            head(1) +
                '  - routing: is "locality-failover", but the mesh spans one region (cn-hangzhou): there is no other region to fail over to (got "locality-failover"). Fix: add a cluster in another region, or use routing "plain"',
        ],
        [
            "handles under the wrong key, from another region, missing or outside the mesh",
            {
                identity: staging,
                clusters: {
                    hangzhou: { name: "shanghai", region: "cn-shanghai" } as ClusterHandle,
                    beijing: { name: "beijing", region: "cn-beijing" } as ClusterHandle,
                },
                placement: everywhere(["hangzhou"]),
            },
            head(3) +
                '  - clusters.beijing: is not a cluster of mesh "mesh-staging". Fix: remove it, or add it to the mesh identity (clusters: hangzhou, shanghai)\n' +
                '  - clusters.hangzhou.name: differs from its key "hangzhou" (got "shanghai"). Fix: key each handle by its own cluster name\n' +
                "  - clusters.shanghai: is missing: every mesh cluster gets the namespace and the Services (namespace sameness). Fix: pass the cluster's handle",
        ],
        [
            "a handle from another region",
            { identity: staging, clusters: { ...dummies(staging), shanghai: { name: "shanghai", region: "cn-beijing" } as ClusterHandle }, placement: everywhere(["hangzhou"]) },
            head(1) + '  - clusters.shanghai.region: differs from the region of "shanghai" in the mesh identity ("cn-shanghai") (got "cn-beijing"). Fix: build the handle and the identity from the same config',
        ],
        [
            "a bad routing, tag and namespace; addresses and readiness for unknown clusters",
            devArgs({ routing: "canary" as BookinfoRouting, tag: ":latest", namespace: "Bookinfo", ingressAddresses: { hz: "47.0.0.1" }, meshReady: { hz: [] } }),
            head(5) +
                '  - ingressAddresses.hz: is not a cluster of mesh "mesh-dev". Fix: use one of: istio-control-plane, istio-remote1\n' +
                '  - meshReady.hz: is not a cluster of mesh "mesh-dev". Fix: use one of: istio-control-plane, istio-remote1\n' +
                '  - namespace: must be a DNS-1123 label (got "Bookinfo"). Fix: use lowercase letters, digits and \'-\'\n' +
                '  - routing: is not a Bookinfo routing scenario (got "canary"). Fix: use one of: plain, header-split, locality-failover\n' +
                '  - tag: is not an image tag (got ":latest"). Fix: use a published Bookinfo tag such as "1.20.3"',
        ],
    ];
    for (const [what, args, message] of cases) {
        it(`rejects ${what}`, () => assert.equal(problems(args), message));
    }
});

// --- Under the simulated cloud ------------------------------------------------------------------------

describe("BookinfoSplit: dev (primary-remote, details on the remote)", function () {
    this.timeout(30_000);
    let r: Run;
    before(async () => {
        r = await run(dev, { bookinfo: { placement: devPlacement, ingressAddresses: { [CP]: pulumi.output("47.96.1.2") } } });
    });

    it("creates exactly its children in each cluster, on that cluster's provider", () => {
        assert.deepEqual(childrenByCluster(r.res, "bookinfo", dev), {
            [CP]: expectedChildren("bookinfo", CP, { workloads: ["productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"], ingress: true, routing: "plain" }),
            [R1]: expectedChildren("bookinfo", R1, { workloads: ["details-v1"], ingress: false }),
        });
        assert.equal(r.res.childrenOf(r.res.get(BOOKINFO_SPLIT_TYPE, "bookinfo").urn).length, 2 * 9 + 6 + 2 + 4);
    });

    it("creates the namespace, Services and ServiceAccounts in every cluster, exactly as built", () => {
        const built = bookinfoServices();
        for (const c of [CP, R1]) {
            assert.deepEqual(r.res.get(K8S.namespace, `bookinfo-${c}-ns`).inputs, { apiVersion: "v1", kind: "Namespace", ...bookinfoNamespace() });
            for (const s of ["productpage", "details", "ratings", "reviews"] as const) {
                assert.deepEqual(r.res.get(K8S.service, `bookinfo-${c}-svc-${s}`).inputs, { apiVersion: "v1", kind: "Service", ...built[s].service });
                assert.deepEqual(r.res.get(SA, `bookinfo-${c}-sa-${s}`).inputs, { apiVersion: "v1", kind: "ServiceAccount", ...built[s].serviceAccount });
            }
        }
    });

    it("creates the Deployments only where placed, exactly as built", () => {
        const deployments = r.res.byType(DEPLOYMENT);
        assert.deepEqual(deployments.map((d) => d.name).sort(), [
            `bookinfo-${CP}-deploy-productpage-v1`,
            `bookinfo-${CP}-deploy-ratings-v1`,
            `bookinfo-${CP}-deploy-reviews-v1`,
            `bookinfo-${CP}-deploy-reviews-v2`,
            `bookinfo-${CP}-deploy-reviews-v3`,
            `bookinfo-${R1}-deploy-details-v1`,
        ]);
        assert.deepEqual(r.res.get(DEPLOYMENT, `bookinfo-${R1}-deploy-details-v1`).inputs, { apiVersion: "apps/v1", kind: "Deployment", ...bookinfoDeployment("details-v1", "1.20.3") });
        const reviews = r.res.get(DEPLOYMENT, `bookinfo-${CP}-deploy-reviews-v3`).inputs as unknown as PodTemplate;
        const container = reviews.spec.template.spec.containers[0];
        assert.equal(container.image, "registry.istio.io/release/examples-bookinfo-reviews-v3:1.20.3");
        assert.deepEqual(container.env, [{ name: "LOG_DIR", value: "/tmp/logs" }]);
        assert.deepEqual(container.volumeMounts, [
            { name: "tmp", mountPath: "/tmp" },
            { name: "wlp-output", mountPath: "/opt/ibm/wlp/output" },
        ]);
        assert.deepEqual(reviews.spec.template.spec.volumes, [
            { name: "tmp", emptyDir: {} },
            { name: "wlp-output", emptyDir: {} },
        ]);
    });

    it("puts the ingress and plain routing objects only in the primary, exactly as built", () => {
        assert.deepEqual(crObject(r.res.get(GATEWAY, `bookinfo-${CP}-gw`)), bookinfoGateway());
        assert.deepEqual(crObject(r.res.get(VIRTUAL_SERVICE, `bookinfo-${CP}-vs`)), bookinfoVirtualService());
        for (const s of SERVICES) {
            const dr = crObject(r.res.get(DESTINATION_RULE, `bookinfo-${CP}-dr-${s}`));
            assert.deepEqual(dr, bookinfoRoutingObjects("plain", [])[`dr-${s}`]);
            assert.ok((dr.spec as { trafficPolicy: { outlierDetection?: unknown } }).trafficPolicy.outlierDetection, "outlier detection activates locality load balancing");
        }
        assert.deepEqual(
            r.res.resources.filter((x) => x.type.includes("istio.io") && x.name.includes(R1)),
            [],
            "nothing for istiod in the remote",
        );
    });

    it("validates every Istio object it registered strictly", async function () {
        this.timeout(20_000);
        assert.equal(await validateIstioResources(r.res), 6);
    });

    it("orders: namespace after meshReady, the rest after the namespace, Deployments after their ServiceAccount", () => {
        for (const c of [CP, R1]) {
            const ns: [string, string] = [K8S.namespace, `bookinfo-${c}-ns`];
            assertDependsOn(r.res, ns, [CONFIG_MAP, `ready-${c}`]);
            const other = c === CP ? R1 : CP;
            assert.ok(!r.res.get(...ns).dependencies.includes(r.res.get(CONFIG_MAP, `ready-${other}`).urn), "only on its own cluster's readiness");
            for (const s of SERVICES) {
                assertDependsOn(r.res, [SA, `bookinfo-${c}-sa-${s}`], ns);
                assertDependsOn(r.res, [K8S.service, `bookinfo-${c}-svc-${s}`], ns);
            }
        }
        assertDependsOn(r.res, [DEPLOYMENT, `bookinfo-${R1}-deploy-details-v1`], [K8S.namespace, `bookinfo-${R1}-ns`], [SA, `bookinfo-${R1}-sa-details`]);
        assertDependsOn(r.res, [DEPLOYMENT, `bookinfo-${CP}-deploy-reviews-v2`], [K8S.namespace, `bookinfo-${CP}-ns`], [SA, `bookinfo-${CP}-sa-reviews`]);
        for (const cr of r.res.resources.filter((x) => x.type.includes("istio.io"))) assertDependsOn(r.res, [cr.type, cr.name], [K8S.namespace, `bookinfo-${CP}-ns`]);
        assert.deepEqual(k8sWarnings(r.res), []);
    });

    it("outputs the productpage URL of the primary and the placement", async () => {
        const app = r.apps.bookinfo;
        assert.equal(await promiseOf(app.productpageUrl!), "http://47.96.1.2/productpage");
        assert.deepEqual(Object.keys(app.productpageUrls), [CP]);
        assert.deepEqual(app.deployments, { [CP]: ["productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"], [R1]: ["details-v1"] });
        assert.deepEqual(r.res.outputs.bookinfo, {
            url: "http://47.96.1.2/productpage",
            urls: { [CP]: "http://47.96.1.2/productpage" },
            deployments: app.deployments,
        });
        assert.deepEqual(r.res.get(BOOKINFO_SPLIT_TYPE, "bookinfo").outputs, {
            productpageUrl: "http://47.96.1.2/productpage",
            productpageUrls: { [CP]: "http://47.96.1.2/productpage" },
            deployments: app.deployments,
            namespace: "bookinfo",
        });
    });
});

describe("BookinfoSplit: prod (multi-primary, header split)", function () {
    this.timeout(30_000);
    let r: Run;
    before(async () => {
        r = await run(prod, { bookinfo: { placement: prodPlacement, routing: "header-split", ingressAddresses: { shanghai: "47.100.0.2", beijing: "39.96.0.1" } } });
    });

    it("creates exactly its children in each cluster; routing objects in BOTH primaries", () => {
        assert.deepEqual(childrenByCluster(r.res, "bookinfo", prod), {
            beijing: expectedChildren("bookinfo", "beijing", { workloads: ["productpage-v1", "details-v1", "ratings-v1", "reviews-v1"], ingress: true, routing: "header-split" }),
            shanghai: expectedChildren("bookinfo", "shanghai", { workloads: ["ratings-v1", "reviews-v2", "reviews-v3"], ingress: true, routing: "header-split" }),
        });
    });

    it("registers the jason VirtualService and the reviews subsets exactly, in each primary", () => {
        for (const c of ["beijing", "shanghai"]) {
            assert.deepEqual(crObject(r.res.get(VIRTUAL_SERVICE, `bookinfo-${c}-vs-reviews`)), JASON_VS);
            assert.deepEqual(crObject(r.res.get(DESTINATION_RULE, `bookinfo-${c}-dr-reviews`)), reviewsHeaderSplit().destinationRule);
            assert.deepEqual(crObject(r.res.get(DESTINATION_RULE, `bookinfo-${c}-dr-ratings`)), outlierDestinationRule("ratings"));
        }
    });

    it("validates every Istio object it registered strictly", async function () {
        this.timeout(20_000);
        assert.equal(await validateIstioResources(r.res), 2 * 7);
    });

    it("outputs the first control plane's URL, and one per cluster", async () => {
        const app = r.apps.bookinfo;
        assert.equal(await promiseOf(app.productpageUrl!), "http://39.96.0.1/productpage");
        assert.deepEqual(r.res.outputs.bookinfo, {
            url: "http://39.96.0.1/productpage",
            urls: { beijing: "http://39.96.0.1/productpage", shanghai: "http://47.100.0.2/productpage" },
            deployments: { beijing: ["productpage-v1", "details-v1", "ratings-v1", "reviews-v1"], shanghai: ["ratings-v1", "reviews-v2", "reviews-v3"] },
        });
        assert.deepEqual(k8sWarnings(r.res), []);
    });
});

describe("BookinfoSplit: staging (locality failover across two regions)", function () {
    this.timeout(30_000);
    let r: Run;
    before(async () => {
        r = await run(staging, { bookinfo: { placement: everywhere(["hangzhou", "shanghai"]), routing: "locality-failover", tag: "1.20.2" } });
    });

    it("runs everything in both regions; routing and ingress only in the primary", () => {
        assert.deepEqual(childrenByCluster(r.res, "bookinfo", staging), {
            hangzhou: expectedChildren("bookinfo", "hangzhou", { workloads: [...BOOKINFO_WORKLOADS], ingress: true, routing: "locality-failover" }),
            shanghai: expectedChildren("bookinfo", "shanghai", { workloads: [...BOOKINFO_WORKLOADS], ingress: false }),
        });
        const images = r.res.byType(DEPLOYMENT).map((d) => (d.inputs as unknown as PodTemplate).spec.template.spec.containers[0].image);
        assert.equal(images.length, 12);
        assert.ok(images.every((i) => i.startsWith("registry.istio.io/release/examples-bookinfo-") && i.endsWith(":1.20.2")), images.join(", "));
    });

    it("registers locality-failover DestinationRules with the derived ring for all four services", () => {
        const failover = [
            { from: "cn-hangzhou", to: "cn-shanghai" },
            { from: "cn-shanghai", to: "cn-hangzhou" },
        ];
        for (const s of SERVICES) {
            const registered = crObject(r.res.get(DESTINATION_RULE, `bookinfo-hangzhou-dr-${s}`));
            assert.deepEqual(registered, localityFailoverDestinationRule({ name: s, namespace: "bookinfo", host: s, failover }));
            // Two endpoints per service (one per region): without maxEjectionPercent 100 Envoy's 10% would eject neither.
            assert.equal((registered.spec as { trafficPolicy: { outlierDetection: { maxEjectionPercent?: number } } }).trafficPolicy.outlierDetection.maxEjectionPercent, 100);
        }
    });

    it("validates every Istio object it registered strictly", async function () {
        this.timeout(20_000);
        assert.equal(await validateIstioResources(r.res), 6);
    });

    it("has no URL without ingress addresses", () => {
        assert.equal(r.apps.bookinfo.productpageUrl, undefined);
        assert.deepEqual(r.apps.bookinfo.productpageUrls, {});
        assert.deepEqual(r.res.outputs.bookinfo, { urls: {}, deployments: { hangzhou: [...BOOKINFO_WORKLOADS], shanghai: [...BOOKINFO_WORKLOADS] } });
    });
});

describe("BookinfoSplit: invalid arguments", function () {
    this.timeout(30_000);

    it("throws one ConfigError naming every problem, and registers nothing", async () => {
        await assert.rejects(
            simulate(() => {
                new BookinfoSplit("bookinfo", { identity: dev, clusters: handles(dev), placement: { ...devPlacement, "details-v1": ["nowhere"] }, routing: "header-split", failover: [] });
            }),
            (e: SimulationError) => {
                assert.equal(
                    (e.errors[0] as Error).message,
                    'Invalid BookinfoSplit "bookinfo" (2 problems):\n' +
                        '  - failover: is only used with routing "locality-failover" (routing is "header-split"). Fix: remove failover, or set routing to "locality-failover"\n' +
                        '  - placement.details-v1[0]: is not a cluster of mesh "mesh-dev" (got "nowhere"). Fix: use one of: istio-control-plane, istio-remote1',
                );
                assert.deepEqual(e.result.byType(BOOKINFO_SPLIT_TYPE), [], "the component itself is not registered");
                assert.deepEqual(e.result.resources.filter((x) => x.type.startsWith("kubernetes:")).map(typeName), [], "nothing in any cluster");
                return true;
            },
        );
    });
});

describe("BookinfoSplit: two instances, and growth", function () {
    this.timeout(30_000);

    it("two instances on the same clusters share no (type, name) pair", async () => {
        const r = await run(dev, {
            bookinfo: { placement: devPlacement },
            "bookinfo-canary": { placement: devPlacement, namespace: "bookinfo-canary", routing: "header-split" },
        });
        const names = (n: string) => r.res.childrenOf(r.res.get(BOOKINFO_SPLIT_TYPE, n).urn).map(typeName);
        const a = names("bookinfo");
        const b = names("bookinfo-canary");
        assert.equal(a.length, 30);
        assert.equal(b.length, 31);
        assert.deepEqual(a.filter((x) => b.includes(x)), []);
        assert.equal(new Set(r.res.resources.map((x) => x.urn)).size, r.res.resources.length);
        assert.equal((r.res.get(DEPLOYMENT, `bookinfo-canary-${R1}-deploy-details-v1`).inputs.metadata as { namespace: string }).namespace, "bookinfo-canary");
        assert.deepEqual(k8sWarnings(r.res), []);
    });

    it("adding a cluster with no placement adds only its namespace, ServiceAccounts and Services", async () => {
        const before = await run(dev, { bookinfo: { placement: devPlacement, routing: "header-split" } });
        const after = await run(devGrown, { bookinfo: { placement: devPlacement, routing: "header-split" } });
        const snapshot = (res: SimulationResult) => {
            const top = res.get(BOOKINFO_SPLIT_TYPE, "bookinfo").urn;
            return new Map(res.childrenOf(top).map((x) => [typeName(x), JSON.stringify(x.inputs)]));
        };
        const was = snapshot(before.res);
        const is = snapshot(after.res);
        const added = [...is.keys()].filter((k) => !was.has(k)).sort();
        assert.deepEqual(added, expectedChildren("bookinfo", "istio-remote2", { workloads: [], ingress: false }));
        for (const [k, v] of was) assert.equal(is.get(k), v, `${k} is unchanged`);
        assert.deepEqual(after.apps.bookinfo.deployments["istio-remote2"], []);
        assertDependsOn(after.res, [K8S.namespace, "bookinfo-istio-remote2-ns"], [CONFIG_MAP, "ready-istio-remote2"]);
    });
});
