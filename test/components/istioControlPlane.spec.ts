/**
 * IstioControlPlane: the pure plan (defaults, exact validation errors) and
 * construction under the simulated cloud (exact children, inputs,
 * providers, dependency edges, secrets, addresses, strictly valid Istio
 * objects, no name collisions).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../../config/defaults";
import { ConfigError } from "../../config/errors";
import {
    CACERTS_KEYS,
    ISTIO_CONTROL_PLANE_TYPE,
    IstioCaCerts,
    IstioControlPlane,
    IstioControlPlaneArgs,
    planIstioControlPlane,
} from "../../components/istioControlPlane";
import { crossNetworkGateway, istiodGateway, istiodVirtualService, meshPeerAuthentication } from "../../components/istioObjects";
import { ISTIO_CHARTS, baseValues, eastWestGatewayValues, ingressGatewayValues, istiodValues } from "../../components/istioValues";
import { READER_SERVICE_ACCOUNT } from "../../components/remoteSecret";
import { ClusterHandle, MeshIdentity, clusterHandleFromKubeconfig, createMeshIdentity } from "../../components/types";
import { K8S, RecordedResource, Secret, SimulationError, SimulationResult, isSecretOutput, promiseOf, simulate, topology, twoRegionRaw, unwrapSecrets } from "../support";
import { validateIstio } from "../support/istioSchemas";

const RELEASE = K8S.release;
const GATEWAY = "kubernetes:networking.istio.io/v1:Gateway";
const VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService";
const PEER_AUTHENTICATION = "kubernetes:security.istio.io/v1:PeerAuthentication";

// --- Fixtures ---------------------------------------------------------------------------------------

/** Flat primary-remote from the shared two-region config: hz (primary) controls sh; network1. */
const flat = topology(twoRegionRaw()).identity;

/** Multi-primary, multi-network from config: hz on network-hz, sh on network-sh. */
const multi = topology({
    mesh: { id: "mesh1", topology: "multi-primary", networks: "multi-network" },
    clusters: {
        hz: { region: "cn-hangzhou", zones: ["cn-hangzhou-h"], role: "primary", cni: "terway", slot: 1 },
        sh: { region: "cn-shanghai", zones: ["cn-shanghai-l"], role: "primary", cni: "terway", slot: 2 },
    },
}).identity;

function kubeconfig(c: string): string {
    return `apiVersion: v1\nkind: Config\nclusters:\n- name: ${c}\n  cluster:\n    server: https://${c}.k8s.example:6443\ncontexts:\n- name: ${c}\n  context:\n    cluster: ${c}\n    user: admin\ncurrent-context: ${c}\nusers:\n- name: admin\n  user:\n    token: admin-token\n`;
}

/** A handle with its own Kubernetes provider `<c>-k8s` (must be called inside a simulation). */
function handle(identity: MeshIdentity, c: string): ClusterHandle {
    const m = identity.clusters[c];
    return clusterHandleFromKubeconfig(c, { name: c, region: m.region, network: m.network, kubeconfig: kubeconfig(c), apiServerUrl: `https://${c}.intranet.example:6443` });
}

/** PEMs a MeshCertificateAuthority would hand over (content is irrelevant here). */
function cacertsOf(c: string): IstioCaCerts {
    const pem = (label: string, what: string) => `-----BEGIN ${label}-----\n${Buffer.from(`${what}-${c}`).toString("base64")}\n-----END ${label}-----\n`;
    return {
        caCertPem: pem("CERTIFICATE", "intermediate"),
        caKeyPem: pulumi.secret(pem("PRIVATE KEY", "intermediate-key")),
        rootCertPem: pem("CERTIFICATE", "root"),
        certChainPem: pem("CERTIFICATE", "intermediate") + pem("CERTIFICATE", "root"),
    };
}

const typeName = (r: { type: string; name: string }) => `${r.type} ${r.name}`;

/** Every registration below `urn` (children, grandchildren, …). */
function subtree(res: SimulationResult, urn: string): RecordedResource[] {
    return res.childrenOf(urn).flatMap((c) => [c, ...subtree(res, c.urn)]);
}

/** The Release inputs the tests compare. */
function releaseInputs(r: RecordedResource) {
    const i = r.inputs;
    return {
        name: i.name,
        chart: i.chart,
        version: i.version,
        repositoryOpts: i.repositoryOpts,
        namespace: i.namespace,
        createNamespace: i.createNamespace,
        skipAwait: i.skipAwait,
        values: i.values,
    };
}

function release(name: string, chart: string, values: unknown) {
    return {
        name,
        chart,
        version: DEFAULTS.istioVersion,
        repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" },
        namespace: "istio-system",
        createNamespace: false,
        skipAwait: false,
        values,
    };
}

interface Run {
    res: SimulationResult;
    planes: Record<string, IstioControlPlane>;
}

/** Runs one simulation that installs a control plane on each of `clusters`. */
async function run(identity: MeshIdentity, clusters: string[], extra: (c: string) => Partial<IstioControlPlaneArgs> = () => ({})): Promise<Run> {
    const planes: Record<string, IstioControlPlane> = {};
    const res = await simulate(() => {
        for (const c of clusters) {
            planes[c] = new IstioControlPlane(`istio-${c}`, { identity, cluster: handle(identity, c), ...extra(c) });
        }
        return Object.fromEntries(clusters.map((c) => [c, { ingress: planes[c].ingressAddress, eastWest: planes[c].eastWestAddress }]));
    });
    return { res, planes };
}

/** Children (registrations) and reads of one component, as sorted `type name` lines. */
function childrenOf(res: SimulationResult, name: string): { registered: string[]; reads: string[] } {
    const top = res.get(ISTIO_CONTROL_PLANE_TYPE, name);
    return {
        registered: res.childrenOf(top.urn).map(typeName).sort(),
        reads: res.reads.filter((r) => r.parent === top.urn).map((r) => `${typeName(r)} ${r.id}`).sort(),
    };
}

/** Asserts that `from` lists every one of `on` among its dependencies. */
function assertDependsOn(res: SimulationResult, from: [string, string], ...on: [string, string][]): void {
    const deps = res.get(...from).dependencies;
    for (const o of on) assert.ok(deps.includes(res.get(...o).urn), `${from[1]} depends on ${o[1]} (has ${deps.join(", ")})`);
}

/** Validates every Istio custom resource a simulation registered, strictly. Returns how many. */
async function validateIstioResources(res: SimulationResult): Promise<number> {
    const crs = res.resources.filter((r) => /^kubernetes:(networking|security)\.istio\.io\//.test(r.type));
    for (const cr of crs) await validateIstio(cr.inputs);
    return crs.length;
}

// --- The plan (pure) ------------------------------------------------------------------------------------

describe("IstioControlPlane: planIstioControlPlane", () => {
    const dummy = (name: string, network: string) => ({ name, network }) as ClusterHandle;

    it("resolves the defaults of the primary of a flat primary-remote mesh", () => {
        assert.deepStrictEqual(planIstioControlPlane("cp", { identity: flat, cluster: dummy("hz", "network1") }), {
            clusterName: "hz",
            istioVersion: "1.30.3",
            namespaceLabels: {},
            cacerts: false,
            peerAuthentication: "STRICT",
            values: {
                base: {},
                istiod: istiodValues(flat, "hz"),
                ingressGateway: ingressGatewayValues(),
                eastWestGateway: eastWestGatewayValues(flat, "hz"),
            },
            ingressServiceName: "istio-ingressgateway",
            crossNetworkGateway: false,
            exposeIstiod: true,
            readerToken: false,
        });
    });

    it("resolves a multi-network primary: network label, cacerts, cross-network gateway, no exposed istiod", () => {
        const plan = planIstioControlPlane("cp", { identity: multi, cluster: dummy("sh", "network-sh"), cacerts: cacertsOf("sh"), mtls: "PERMISSIVE", ingressGateway: false, dnsCapture: true });
        assert.deepStrictEqual(plan, {
            clusterName: "sh",
            istioVersion: "1.30.3",
            namespaceLabels: { "topology.istio.io/network": "network-sh" },
            cacerts: true,
            peerAuthentication: "PERMISSIVE",
            values: { base: {}, istiod: istiodValues(multi, "sh", { dnsCapture: true }), eastWestGateway: eastWestGatewayValues(multi, "sh") },
            crossNetworkGateway: true,
            exposeIstiod: false,
            readerToken: true,
        });
    });

    it("has no east-west gateway on a flat multi-primary mesh, and none of its objects", () => {
        const identity = createMeshIdentity({
            meshId: "m",
            clusters: [
                { clusterName: "a", network: "n1", region: "cn-hangzhou", controlPlane: true },
                { clusterName: "b", network: "n1", region: "cn-hangzhou", controlPlane: true },
            ],
        });
        const plan = planIstioControlPlane("cp", { identity, cluster: dummy("a", "n1"), cacerts: cacertsOf("a"), mtls: "OFF" });
        assert.strictEqual(plan.values.eastWestGateway, undefined);
        assert.strictEqual(plan.crossNetworkGateway, false);
        assert.strictEqual(plan.exposeIstiod, false);
        assert.strictEqual(plan.peerAuthentication, undefined);
        // Turning it on explicitly is allowed.
        assert.deepStrictEqual(planIstioControlPlane("cp", { identity, cluster: dummy("a", "n1"), cacerts: cacertsOf("a"), eastWestGateway: true }).values.eastWestGateway, eastWestGatewayValues(identity, "a"));
    });

    it("merges each valuesOverride last into its release", () => {
        const valuesOverride = {
            base: { defaultRevision: "default" },
            istiod: { global: { hub: "registry.cn-hangzhou.aliyuncs.com/istio" } },
            ingressGateway: { service: { annotations: { "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec": "slb.s2.small" } } },
            eastWestGateway: { replicaCount: 2 },
        };
        const plan = planIstioControlPlane("cp", { identity: flat, cluster: dummy("hz", "network1"), dnsCapture: true, valuesOverride });
        assert.deepStrictEqual(plan.values, {
            base: baseValues(flat, "hz", valuesOverride.base),
            istiod: istiodValues(flat, "hz", { dnsCapture: true, valuesOverride: valuesOverride.istiod }),
            ingressGateway: ingressGatewayValues(valuesOverride.ingressGateway),
            eastWestGateway: eastWestGatewayValues(flat, "hz", valuesOverride.eastWestGateway),
        });
        assert.strictEqual(plan.ingressServiceName, "istio-ingressgateway");
    });

    it("sets hub as global.hub of istiod only (base has no image, gateways get theirs from the injector); valuesOverride merges last", () => {
        const hub = "registry.cn-hangzhou.aliyuncs.com/my-ns";
        const plan = planIstioControlPlane("cp", { identity: flat, cluster: dummy("hz", "network1"), hub });
        assert.deepStrictEqual(plan.values, {
            base: {},
            istiod: istiodValues(flat, "hz", { hub }),
            ingressGateway: ingressGatewayValues(),
            eastWestGateway: eastWestGatewayValues(flat, "hz"),
        });
        assert.strictEqual((plan.values.istiod.global as Record<string, unknown>).hub, hub);
        const overridden = planIstioControlPlane("cp", { identity: flat, cluster: dummy("hz", "network1"), hub, valuesOverride: { istiod: { global: { hub: "docker.io/istio" } } } });
        assert.strictEqual((overridden.values.istiod.global as Record<string, unknown>).hub, "docker.io/istio");
    });

    it("rejects renaming the ingress gateway: Gateways select istio=ingressgateway", () => {
        assert.throws(
            () => planIstioControlPlane("cp", { identity: flat, cluster: dummy("hz", "network1"), valuesOverride: { ingressGateway: { name: "public-gateway" } } }),
            {
                message:
                    'Invalid IstioControlPlane "cp" (1 problem):\n' +
                    '  - valuesOverride.ingressGateway.name: is fixed to "istio-ingressgateway": Bookinfo\'s and users\' Gateways select istio=ingressgateway (got "public-gateway"). Fix: remove name from the override',
            },
        );
    });

    const problems = (name: string, args: IstioControlPlaneArgs): string => {
        try {
            planIstioControlPlane(name, args);
        } catch (e) {
            assert.ok(ConfigError.is(e), `a ConfigError, got ${String(e)}`);
            return e.message;
        }
        return "(no error)";
    };

    const cases: [string, IstioControlPlaneArgs, string][] = [
        [
            "a cluster outside the mesh",
            { identity: flat, cluster: dummy("bj", "network1") },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - cluster.name: is not a cluster of mesh "mesh1" (got "bj"). Fix: use one of: hz, sh',
        ],
        [
            "a remote cluster",
            { identity: flat, cluster: dummy("sh", "network1") },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - cluster.name: is a remote in the mesh identity (controlled by "hz"), not a control plane (got "sh"). Fix: install it with IstioRemote, or mark it as a control plane',
        ],
        [
            "a handle on another network",
            { identity: multi, cluster: dummy("hz", "network1"), cacerts: cacertsOf("hz") },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - cluster.network: differs from the network of "hz" in the mesh identity ("network-hz") (got "network1"). Fix: build the handle and the identity from the same config',
        ],
        [
            "missing cacerts with two control planes",
            { identity: multi, cluster: dummy("hz", "network-hz") },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - cacerts: is required: the mesh has 2 control planes (hz, sh), which must share one root of trust for cross-cluster mTLS. Fix: pass this cluster\'s cacerts from MeshCertificateAuthority',
        ],
        [
            "missing cacerts with sharedRoot",
            { identity: flat, cluster: dummy("hz", "network1"), sharedRoot: true },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - cacerts: is required: sharedRoot is true. Fix: pass this cluster\'s cacerts from MeshCertificateAuthority',
        ],
        [
            "sharedRoot false with two control planes",
            { identity: multi, cluster: dummy("hz", "network-hz"), sharedRoot: false },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - sharedRoot: is false, but the mesh has 2 control planes (hz, sh), which must share one root of trust for cross-cluster mTLS (got false). Fix: remove sharedRoot or set it to true',
        ],
        [
            "cacerts with sharedRoot false",
            { identity: flat, cluster: dummy("hz", "network1"), sharedRoot: false, cacerts: cacertsOf("hz") },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - cacerts: is given, but sharedRoot is false. Fix: remove cacerts, or remove sharedRoot',
        ],
        [
            "a bad version, a bad mTLS mode and no east-west gateway for the remotes",
            { identity: flat, cluster: dummy("hz", "network1"), istioVersion: "v1.30", mtls: "DISABLE" as "OFF", eastWestGateway: false },
            'Invalid IstioControlPlane "cp" (3 problems):\n' +
                '  - eastWestGateway: is false, but remote clusters reach this cluster\'s istiod through the east-west gateway (15012, 15017) (got false). Fix: remove eastWestGateway or set it to true\n' +
                '  - istioVersion: is not an Istio release version (got "v1.30"). Fix: use a published chart version such as "1.30.3"\n' +
                '  - mtls: is not a mesh mTLS mode (got "DISABLE"). Fix: use one of STRICT, PERMISSIVE, OFF',
        ],
        [
            "no east-west gateway on a multi-network mesh, and overrides that break it",
            {
                identity: multi,
                cluster: dummy("sh", "network-sh"),
                cacerts: cacertsOf("sh"),
                eastWestGateway: false,
                valuesOverride: { eastWestGateway: { name: "ew" }, base: { global: { enableReaderRBAC: false } } },
            },
            'Invalid IstioControlPlane "cp" (3 problems):\n' +
                "  - eastWestGateway: is false on a multi-network mesh: traffic from other networks enters through the east-west gateway (got false). Fix: remove eastWestGateway or set it to true\n" +
                "  - valuesOverride.base.global.enableReaderRBAC: is false, but the reader token (for other clusters' remote secrets) needs the istio-reader-service-account it renders (got false). Fix: remove it from the override\n" +
                '  - valuesOverride.eastWestGateway.name: is fixed to "istio-eastwestgateway": the east-west Istio Gateways select istio=eastwestgateway (got "ew"). Fix: remove name from the override',
        ],
        [
            "a hub with a scheme and a tag",
            { identity: flat, cluster: dummy("hz", "network1"), hub: "https://registry.cn-hangzhou.aliyuncs.com/my-ns:1.30.3" },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - hub: has a URL scheme; a registry path is an image name prefix (got "https://registry.cn-hangzhou.aliyuncs.com/my-ns:1.30.3"). Fix: remove "https://": registry.cn-hangzhou.aliyuncs.com/my-ns:1.30.3',
        ],
        [
            "a hub with a tag",
            { identity: flat, cluster: dummy("hz", "network1"), hub: "registry.cn-hangzhou.aliyuncs.com/my-ns:1.30.3" },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - hub: has a tag or digest; the image name and tag are appended to the path (got "registry.cn-hangzhou.aliyuncs.com/my-ns:1.30.3"). Fix: remove the tag: registry.cn-hangzhou.aliyuncs.com/my-ns',
        ],
        [
            "an Output inside valuesOverride",
            { identity: flat, cluster: dummy("hz", "network1"), valuesOverride: { istiod: { global: { hub: pulumi.output("registry.example/istio") } } } },
            'Invalid IstioControlPlane "cp" (1 problem):\n  - valuesOverride.istiod.global.hub: is a Pulumi Output; values overrides must be plain values. Fix: resolve it before the component, or set it through the chart\'s own inputs',
        ],
    ];
    for (const [what, args, message] of cases) {
        it(`rejects ${what}`, () => assert.strictEqual(problems("cp", args), message));
    }

    it("accepts a pre-release chart version", () => {
        assert.strictEqual(planIstioControlPlane("cp", { identity: flat, cluster: dummy("hz", "network1"), istioVersion: "1.31.0-rc.0" }).istioVersion, "1.31.0-rc.0");
    });
});

// --- Under the simulated cloud ------------------------------------------------------------------------

describe("IstioControlPlane: primary of a flat primary-remote mesh", function () {
    this.timeout(30_000);
    let r: Run;
    before(async () => {
        r = await run(flat, ["hz"]);
    });

    it("creates exactly its children and reads both gateway Services", () => {
        assert.deepStrictEqual(childrenOf(r.res, "istio-hz"), {
            registered: [
                `${K8S.namespace} istio-hz-ns`,
                `${RELEASE} istio-hz-base`,
                `${RELEASE} istio-hz-istiod`,
                `${RELEASE} istio-hz-ingress`,
                `${RELEASE} istio-hz-eastwest`,
                `${GATEWAY} istio-hz-istiod-gw`,
                `${VIRTUAL_SERVICE} istio-hz-istiod-vs`,
                `${PEER_AUTHENTICATION} istio-hz-peer-authn`,
            ].sort(),
            reads: [`${K8S.service} istio-hz-eastwest-svc istio-system/istio-eastwestgateway`, `${K8S.service} istio-hz-ingress-svc istio-system/istio-ingressgateway`],
        });
        assert.strictEqual(subtree(r.res, r.res.get(ISTIO_CONTROL_PLANE_TYPE, "istio-hz").urn).length, 8, "no grandchildren");
    });

    it("puts every child (and read) on the cluster's provider, under the component", () => {
        const provider = r.res.get(K8S.provider, "hz-k8s").urn;
        const top = r.res.get(ISTIO_CONTROL_PLANE_TYPE, "istio-hz").urn;
        const all = [...r.res.childrenOf(top), ...r.res.reads];
        assert.strictEqual(all.length, 10);
        for (const c of all) {
            assert.strictEqual(c.providerUrn, provider, `${typeName(c)} uses hz-k8s`);
            assert.strictEqual(c.parent, top, `${typeName(c)} is a child of the component`);
        }
    });

    it("creates istio-system without a network label", () => {
        assert.deepStrictEqual(r.res.get(K8S.namespace, "istio-hz-ns").inputs.metadata, { name: "istio-system" });
    });

    it("installs base, istiod and both gateways with pinned charts and the exact values", () => {
        const get = (n: string) => releaseInputs(r.res.get(RELEASE, n));
        assert.deepStrictEqual(get("istio-hz-base"), release("istio-base", "base", {}));
        assert.deepStrictEqual(get("istio-hz-istiod"), release("istiod", "istiod", istiodValues(flat, "hz")));
        assert.deepStrictEqual(
            (r.res.get(RELEASE, "istio-hz-istiod").inputs.values as { global: Record<string, unknown> }).global.externalIstiod,
            true,
            "serves the remote sh",
        );
        assert.deepStrictEqual(get("istio-hz-ingress"), release("istio-ingressgateway", "gateway", ingressGatewayValues()));
        assert.deepStrictEqual(get("istio-hz-eastwest"), release("istio-eastwestgateway", "gateway", eastWestGatewayValues(flat, "hz")));
    });

    it("exposes istiod on the east-west gateway with the exact objects, and mTLS STRICT", () => {
        const cr = (type: string, name: string) => {
            const i = r.res.get(type, name).inputs;
            return { apiVersion: i.apiVersion, kind: i.kind, metadata: i.metadata, spec: i.spec };
        };
        assert.deepStrictEqual(cr(GATEWAY, "istio-hz-istiod-gw"), istiodGateway());
        assert.deepStrictEqual(cr(VIRTUAL_SERVICE, "istio-hz-istiod-vs"), istiodVirtualService());
        assert.deepStrictEqual(cr(PEER_AUTHENTICATION, "istio-hz-peer-authn"), meshPeerAuthentication("STRICT"));
    });

    it("validates every Istio object it registered strictly", async () => {
        assert.strictEqual(await validateIstioResources(r.res), 3);
    });

    it("records the dependency edges", () => {
        const ns: [string, string] = [K8S.namespace, "istio-hz-ns"];
        const base: [string, string] = [RELEASE, "istio-hz-base"];
        const istiod: [string, string] = [RELEASE, "istio-hz-istiod"];
        const eastWest: [string, string] = [RELEASE, "istio-hz-eastwest"];
        assertDependsOn(r.res, base, ns);
        assertDependsOn(r.res, istiod, base);
        assertDependsOn(r.res, [RELEASE, "istio-hz-ingress"], istiod);
        assertDependsOn(r.res, eastWest, istiod);
        assertDependsOn(r.res, [GATEWAY, "istio-hz-istiod-gw"], base, eastWest);
        assertDependsOn(r.res, [VIRTUAL_SERVICE, "istio-hz-istiod-vs"], base, eastWest);
        assertDependsOn(r.res, [PEER_AUTHENTICATION, "istio-hz-peer-authn"], istiod);
        for (const read of r.res.reads) {
            const rel = read.name === "istio-hz-ingress-svc" ? "istio-hz-ingress" : "istio-hz-eastwest";
            assert.ok(read.dependencies.includes(r.res.get(RELEASE, rel).urn), `${read.name} waits for ${rel}`);
        }
        assert.deepStrictEqual(r.res.warnings.filter((w) => /namespace|default Kubernetes provider/.test(w)), []);
    });

    it("mints no reader token: no other cluster reads a lone primary (its remote secrets live here)", () => {
        assert.strictEqual(r.planes.hz.readerToken, undefined);
        assert.deepStrictEqual(r.res.byType(K8S.secret), []);
        assert.strictEqual("readerToken" in r.res.get(ISTIO_CONTROL_PLANE_TYPE, "istio-hz").outputs, false);
    });

    it("exposes the objects that expose istiod, for the remotes' workloads to wait on", async () => {
        const urns = await Promise.all(r.planes.hz.istiodExposure.map((x) => promiseOf(x.urn)));
        assert.deepStrictEqual(urns, [r.res.get(GATEWAY, "istio-hz-istiod-gw").urn, r.res.get(VIRTUAL_SERVICE, "istio-hz-istiod-vs").urn]);
    });

    it("outputs the gateways' SLB addresses: internet for ingress, intranet for east-west", async () => {
        const plane = r.planes.hz;
        const ingress = await promiseOf(plane.ingressAddress!);
        const eastWest = await promiseOf(plane.eastWestAddress!);
        assert.match(ingress, /^47\.\d+\.\d+\.\d+$/);
        assert.match(eastWest, /^10\.\d+\.\d+\.\d+$/);
        const ip = (name: string) => (r.res.reads.find((x) => x.name === name)!.outputs as { status: { loadBalancer: { ingress: { ip: string }[] } } }).status.loadBalancer.ingress[0].ip;
        assert.strictEqual(ingress, ip("istio-hz-ingress-svc"));
        assert.strictEqual(eastWest, ip("istio-hz-eastwest-svc"));
        assert.deepStrictEqual(r.res.outputs.hz, { ingress, eastWest });
        assert.strictEqual(await promiseOf(plane.namespace), ISTIO_CHARTS.namespace);
    });
});

describe("IstioControlPlane: multi-primary, multi-network, shared root", function () {
    this.timeout(30_000);
    let r: Run;
    before(async () => {
        r = await run(multi, ["hz", "sh"], (c) => ({ cacerts: cacertsOf(c) }));
    });

    it("creates exactly its children on each cluster: cacerts and the cross-network gateway, no exposed istiod", () => {
        for (const c of ["hz", "sh"]) {
            const n = `istio-${c}`;
            assert.deepStrictEqual(childrenOf(r.res, n), {
                registered: [
                    `${K8S.namespace} ${n}-ns`,
                    `${K8S.secret} ${n}-cacerts`,
                    `${RELEASE} ${n}-base`,
                    `${RELEASE} ${n}-istiod`,
                    `${RELEASE} ${n}-ingress`,
                    `${RELEASE} ${n}-eastwest`,
                    `${GATEWAY} ${n}-cross-network-gw`,
                    `${PEER_AUTHENTICATION} ${n}-peer-authn`,
                    `${K8S.secret} ${n}-reader-token`,
                ].sort(),
                reads: [`${K8S.service} ${n}-eastwest-svc istio-system/istio-eastwestgateway`, `${K8S.service} ${n}-ingress-svc istio-system/istio-ingressgateway`],
            });
        }
    });

    it("uses each cluster's own provider", () => {
        for (const c of ["hz", "sh"]) {
            const provider = r.res.get(K8S.provider, `${c}-k8s`).urn;
            const top = r.res.get(ISTIO_CONTROL_PLANE_TYPE, `istio-${c}`).urn;
            for (const child of [...r.res.childrenOf(top), ...r.res.reads.filter((x) => x.parent === top)]) {
                assert.strictEqual(child.providerUrn, provider, `${typeName(child)} uses ${c}-k8s`);
            }
        }
    });

    it("labels istio-system with the cluster's network", () => {
        assert.deepStrictEqual(r.res.get(K8S.namespace, "istio-hz-ns").inputs.metadata, { name: "istio-system", labels: { "topology.istio.io/network": "network-hz" } });
        assert.deepStrictEqual(r.res.get(K8S.namespace, "istio-sh-ns").inputs.metadata, { name: "istio-system", labels: { "topology.istio.io/network": "network-sh" } });
    });

    it("writes cacerts as an Opaque Secret with the four plug-in CA keys, all secret", async () => {
        const s = r.res.get(K8S.secret, "istio-sh-cacerts");
        assert.deepStrictEqual(s.inputs.metadata, { name: "cacerts", namespace: "istio-system" });
        assert.strictEqual(s.inputs.type, "Opaque");
        assert.ok(s.inputs.stringData instanceof Secret, "stringData is recorded as a secret");
        const want = cacertsOf("sh");
        assert.deepStrictEqual(unwrapSecrets(s.inputs.stringData), {
            "ca-cert.pem": want.caCertPem,
            "ca-key.pem": await promiseOf(want.caKeyPem),
            "root-cert.pem": want.rootCertPem,
            "cert-chain.pem": want.certChainPem,
        });
        assert.deepStrictEqual(Object.values(CACERTS_KEYS).sort(), ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"]);
        assert.ok(s.outputs.data instanceof Secret);
        assert.ok(s.additionalSecretOutputs.includes("data") && s.additionalSecretOutputs.includes("stringData"), "the SDK marks a Secret's data secret");
    });

    it("installs istiod after base AND cacerts, with its own network", () => {
        assertDependsOn(r.res, [RELEASE, "istio-hz-istiod"], [RELEASE, "istio-hz-base"], [K8S.secret, "istio-hz-cacerts"]);
        assertDependsOn(r.res, [K8S.secret, "istio-hz-cacerts"], [K8S.namespace, "istio-hz-ns"]);
        assert.deepStrictEqual(releaseInputs(r.res.get(RELEASE, "istio-sh-istiod")), release("istiod", "istiod", istiodValues(multi, "sh")));
        assert.deepStrictEqual(releaseInputs(r.res.get(RELEASE, "istio-sh-eastwest")), release("istio-eastwestgateway", "gateway", eastWestGatewayValues(multi, "sh")));
        assert.deepStrictEqual((r.res.get(RELEASE, "istio-sh-eastwest").inputs.values as { networkGateway: string }).networkGateway, "network-sh");
    });

    it("creates the cross-network gateway after base and the east-west release", async () => {
        const i = r.res.get(GATEWAY, "istio-hz-cross-network-gw").inputs;
        assert.deepStrictEqual({ apiVersion: i.apiVersion, kind: i.kind, metadata: i.metadata, spec: i.spec }, crossNetworkGateway());
        assertDependsOn(r.res, [GATEWAY, "istio-hz-cross-network-gw"], [RELEASE, "istio-hz-base"], [RELEASE, "istio-hz-eastwest"]);
        assert.strictEqual(await validateIstioResources(r.res), 4);
    });

    it("creates the reader token Secret (read by the other primary) for istio-reader-service-account, under ack-mesh's own name, awaited by pulumi.com/waitFor", () => {
        assertDependsOn(r.res, [K8S.secret, "istio-hz-reader-token"], [RELEASE, "istio-hz-base"], [K8S.namespace, "istio-hz-ns"]);
        const s = r.res.get(K8S.secret, "istio-hz-reader-token").inputs;
        assert.deepStrictEqual(s, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
                name: "ack-mesh-istio-reader-token",
                namespace: "istio-system",
                annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account", "pulumi.com/waitFor": "jsonpath={.data.token}" },
            },
            type: "kubernetes.io/service-account-token",
        });
    });

    it("outputs the reader token (decoded JWT) and CA data, both secret", async () => {
        const plane = r.planes.hz;
        assert.ok(plane.readerToken, "sh reads hz");
        assert.strictEqual(await isSecretOutput(plane.readerToken!.token), true);
        assert.strictEqual(await isSecretOutput(plane.readerToken!.caData), true);
        const data = unwrapSecrets(r.res.get(K8S.secret, "istio-hz-reader-token").outputs.data) as Record<string, string>;
        const token = await promiseOf(plane.readerToken!.token);
        assert.strictEqual(token, Buffer.from(data.token, "base64").toString("utf8"));
        const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as { sub: string };
        assert.strictEqual(payload.sub, `system:serviceaccount:istio-system:${READER_SERVICE_ACCOUNT}`);
        const caData = await promiseOf(plane.readerToken!.caData);
        assert.strictEqual(caData, data["ca.crt"], "kept as base64 (certificate-authority-data)");
        assert.match(Buffer.from(caData, "base64").toString("utf8"), /^-----BEGIN CERTIFICATE-----/);
        const registered = r.res.get(ISTIO_CONTROL_PLANE_TYPE, "istio-hz").outputs.readerToken as Record<string, unknown>;
        assert.ok(registered.token instanceof Secret && registered.caData instanceof Secret, "registered as secrets");
    });

    it("exposes no istiod (no remotes)", () => {
        assert.deepStrictEqual(r.planes.hz.istiodExposure, []);
    });

    it("outputs addresses per cluster", async () => {
        for (const c of ["hz", "sh"]) {
            assert.match(await promiseOf(r.planes[c].ingressAddress!), /^47\./);
            assert.match(await promiseOf(r.planes[c].eastWestAddress!), /^10\./);
        }
        assert.notStrictEqual(await promiseOf(r.planes.hz.eastWestAddress!), await promiseOf(r.planes.sh.eastWestAddress!));
    });

    it("two control planes share no (type, name) pair", () => {
        const hz = subtree(r.res, r.res.get(ISTIO_CONTROL_PLANE_TYPE, "istio-hz").urn).map(typeName);
        const sh = subtree(r.res, r.res.get(ISTIO_CONTROL_PLANE_TYPE, "istio-sh").urn).map(typeName);
        assert.strictEqual(hz.length, 9);
        assert.strictEqual(sh.length, 9);
        assert.deepStrictEqual(hz.filter((x) => sh.includes(x)), []);
        const reads = r.res.reads.map(typeName);
        assert.strictEqual(new Set(reads).size, reads.length, "reads are unique too");
        assert.strictEqual(new Set(r.res.resources.map((x) => x.urn)).size, r.res.resources.length);
    });
});

describe("IstioControlPlane: mTLS off, no ingress gateway, DNS capture and overrides", function () {
    this.timeout(30_000);
    const valuesOverride = {
        istiod: { global: { hub: "registry.cn-hangzhou.aliyuncs.com/istio" } },
        eastWestGateway: { service: { loadBalancerSourceRanges: ["10.0.0.0/8"] } },
    };
    let r: Run;
    before(async () => {
        r = await run(flat, ["hz"], () => ({ mtls: "OFF", ingressGateway: false, dnsCapture: true, valuesOverride }));
    });

    it("creates no PeerAuthentication, no ingress release and no ingress read", () => {
        assert.deepStrictEqual(childrenOf(r.res, "istio-hz"), {
            registered: [
                `${K8S.namespace} istio-hz-ns`,
                `${RELEASE} istio-hz-base`,
                `${RELEASE} istio-hz-istiod`,
                `${RELEASE} istio-hz-eastwest`,
                `${GATEWAY} istio-hz-istiod-gw`,
                `${VIRTUAL_SERVICE} istio-hz-istiod-vs`,
            ].sort(),
            reads: [`${K8S.service} istio-hz-eastwest-svc istio-system/istio-eastwestgateway`],
        });
        assert.strictEqual(r.planes.hz.ingressAddress, undefined);
        assert.deepStrictEqual(r.res.byType(PEER_AUTHENTICATION), []);
    });

    it("passes DNS capture and the overrides to the releases exactly as istioValues builds them", () => {
        assert.deepStrictEqual(releaseInputs(r.res.get(RELEASE, "istio-hz-istiod")), release("istiod", "istiod", istiodValues(flat, "hz", { dnsCapture: true, valuesOverride: valuesOverride.istiod })));
        assert.strictEqual(
            ((r.res.get(RELEASE, "istio-hz-istiod").inputs.values as { meshConfig: { defaultConfig: { proxyMetadata: Record<string, unknown> } } }).meshConfig.defaultConfig.proxyMetadata).ISTIO_META_DNS_CAPTURE,
            "true",
        );
        assert.deepStrictEqual(
            releaseInputs(r.res.get(RELEASE, "istio-hz-eastwest")),
            release("istio-eastwestgateway", "gateway", eastWestGatewayValues(flat, "hz", valuesOverride.eastWestGateway)),
        );
    });

    it("still outputs the east-west address, and no reader token (nothing reads hz)", async () => {
        assert.match(await promiseOf(r.planes.hz.eastWestAddress!), /^10\./);
        assert.strictEqual(r.planes.hz.readerToken, undefined);
        assert.strictEqual(await validateIstioResources(r.res), 2);
    });
});

describe("IstioControlPlane: invalid arguments", function () {
    this.timeout(30_000);

    it("throws one ConfigError naming every problem, and registers nothing", async () => {
        await assert.rejects(
            simulate(() => {
                const h = handle(multi, "hz");
                new IstioControlPlane("istio-hz", { identity: multi, cluster: h, istioVersion: "latest" });
            }),
            (e: SimulationError) => {
                assert.strictEqual(
                    (e.errors[0] as Error).message,
                    'Invalid IstioControlPlane "istio-hz" (2 problems):\n' +
                        "  - cacerts: is required: the mesh has 2 control planes (hz, sh), which must share one root of trust for cross-cluster mTLS. Fix: pass this cluster's cacerts from MeshCertificateAuthority\n" +
                        '  - istioVersion: is not an Istio release version (got "latest"). Fix: use a published chart version such as "1.30.3"',
                );
                assert.deepStrictEqual(e.result.byType(ISTIO_CONTROL_PLANE_TYPE), [], "the component itself is not registered");
                assert.deepStrictEqual(
                    e.result.resources.filter((x) => x.type.startsWith("kubernetes:")).map(typeName),
                    [],
                    "nothing in the cluster",
                );
                return true;
            },
        );
    });
});
