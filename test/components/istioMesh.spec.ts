/**
 * IstioMesh: Istio across clusters from an identity and handles.
 */
import * as assert from "node:assert/strict";
import * as random from "@pulumi/random";
import { controlPlaneArgs, IstioMesh, remoteArgs } from "../../components/istioMesh";
import { DEFAULTS } from "../../config/defaults";
import { clusterHandleFromKubeconfig, ClusterHandle, createMeshIdentity, MeshIdentity } from "../../components/types";
import { ConfigError } from "../../config/errors";
import { promiseOf, Secret, simulate, SimulationResult } from "../support";

const kubeconfig = (i: number) => `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://47.0.0.${i}:6443"}\n`;

function identityOf(names: string[], primaries: string[], networks: (n: string) => string = () => "network1"): MeshIdentity {
    return createMeshIdentity({
        meshId: "mesh1",
        clusters: names.map((n) => ({ clusterName: n, network: networks(n), region: "cn-hangzhou", controlPlane: primaries.includes(n), controlledBy: primaries[0] })),
    });
}

function handles(identity: MeshIdentity): Record<string, ClusterHandle> {
    return Object.fromEntries(
        Object.values(identity.clusters).map((c, i) => [
            c.clusterName,
            clusterHandleFromKubeconfig(c.clusterName, { name: c.clusterName, region: c.region, network: c.network, kubeconfig: kubeconfig(i + 1), apiServerUrl: `https://10.0.${i}.1:6443`, cni: "terway" }),
        ]),
    );
}

const metaName = (r: { inputs: Record<string, unknown> }) => (r.inputs.metadata as { name?: string } | undefined)?.name;
const providerName = (result: SimulationResult, urn?: string) => result.resources.find((p) => p.urn === urn)?.name.replace(/-k8s$/, "");

describe("IstioMesh", () => {
    it("primary-remote: one control plane, one remote (with its own remote secret), no CA", async () => {
        const identity = identityOf(["cp", "r1"], ["cp"]);
        let mesh: IstioMesh | undefined;
        const r = await simulate(() => {
            mesh = new IstioMesh("mesh", { identity, clusters: handles(identity) });
        });
        assert.deepEqual(
            r.resources.filter((x) => x.type.startsWith("ack-mesh:")).map((x) => `${x.type} ${x.name}`),
            ["ack-mesh:mesh:IstioMesh mesh", "ack-mesh:mesh:IstioControlPlane mesh-cp", "ack-mesh:mesh:IstioRemote mesh-r1", "ack-mesh:mesh:RemoteSecret mesh-r1-remote-secret"],
        );
        assert.deepEqual(mesh!.remoteSecrets, { "cp/r1": "istio-remote-secret-r1" });
        assert.equal(mesh!.ca, undefined);
        assert.deepEqual(Object.keys(mesh!.meshReady).sort(), ["cp", "r1"]);
        assert.deepEqual(Object.keys(mesh!.ingressAddresses), ["cp"]);
    });

    it("multi-primary with 5 clusters: a shared CA and N·(N−1) = 20 remote secrets on the watchers' providers", async () => {
        const names = ["a", "b", "c", "d", "e"];
        const identity = identityOf(names, names, (n) => `net-${n}`);
        let mesh: IstioMesh | undefined;
        const r = await simulate(() => {
            mesh = new IstioMesh("mesh", { identity, clusters: handles(identity) });
        });
        assert.equal(r.byType("ack-mesh:mesh:MeshCertificateAuthority").length, 1);
        const secrets = r.byType("kubernetes:core/v1:Secret").filter((s) => metaName(s)?.startsWith("istio-remote-secret-"));
        const pairs = secrets.map((s) => `${providerName(r, s.providerUrn)}->${metaName(s)!.slice("istio-remote-secret-".length)}`).sort();
        const expected = names.flatMap((w) => names.filter((t) => t !== w).map((t) => `${w}->${t}`)).sort();
        assert.deepEqual(pairs, expected);
        assert.equal(pairs.length, 20);
        for (const s of secrets) {
            const target = metaName(s)!.slice("istio-remote-secret-".length);
            const meta = s.inputs.metadata as { namespace: string; labels: unknown; annotations: unknown };
            assert.equal(meta.namespace, "istio-system");
            assert.deepEqual(meta.labels, { "istio/multiCluster": "true" });
            assert.deepEqual(meta.annotations, { "networking.istio.io/cluster": target });
            assert.ok(s.inputs.stringData instanceof Secret, "the whole kubeconfig is a secret");
            const data = s.inputs.stringData.value as Record<string, string>;
            assert.deepEqual(Object.keys(data), [target], "one key: the target cluster's name");
            assert.match(data[target], new RegExp(`current-context: ${target}`));
            // It waits for the watcher's istiod (hence its istio-system) before it is written.
            const watcher = providerName(r, s.providerUrn)!;
            const istiod = r.resources.find((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.name === `mesh-${watcher}-istiod`)!;
            assert.ok(s.dependencies.includes(istiod.urn) || r.resources.find((x) => x.urn === s.parent)!.dependencies.includes(istiod.urn), `${s.name} depends on ${istiod.name}`);
        }
        assert.equal(Object.keys(mesh!.remoteSecrets).length, 20);
        // Each control plane got its cacerts before istiod.
        assert.equal(r.byType("kubernetes:core/v1:Secret").filter((s) => metaName(s) === "cacerts").length, 5);
    });

    it("removing a cluster removes exactly its remote secrets (and its own resources), nothing else", async () => {
        const names = ["a", "b", "c", "d", "e"];
        const run = async (ns: string[]) => {
            const identity = identityOf(ns, ns, (n) => `net-${n}`);
            return simulate(() => new IstioMesh("mesh", { identity, clusters: handles(identity) }));
        };
        const before = await run(names);
        const after = await run(names.filter((n) => n !== "c"));
        const keys = (r: SimulationResult) => new Set(r.resources.map((x) => `${x.type} ${x.name}`));
        const removed = [...keys(before)].filter((k) => !keys(after).has(k));
        const added = [...keys(after)].filter((k) => !keys(before).has(k));
        assert.deepEqual(added, []);
        const secretsRemoved = before
            .byType("kubernetes:core/v1:Secret")
            .filter((s) => metaName(s)?.startsWith("istio-remote-secret-") && !keys(after).has(`${s.type} ${s.name}`))
            .map((s) => `${providerName(before, s.providerUrn)}->${metaName(s)!.slice("istio-remote-secret-".length)}`)
            .sort();
        assert.deepEqual(secretsRemoved, ["a->c", "b->c", "c->a", "c->b", "c->d", "c->e", "d->c", "e->c"]);
        // Everything else removed belongs to c: its control plane's children, its CA intermediate, its provider.
        for (const k of removed) assert.match(k, /( mesh-c-| mesh-c$| mesh-ca-c-|-reads-c$|-reads-c-|^pulumi:providers:kubernetes c-k8s$)/, k);
        assert.ok(removed.length > 8);
    });

    it("networkReady per pair: each cross-cluster step waits for its own pair's network, and only for it", async () => {
        // a and b are primaries; r is a's remote. Pairs: a→b, a→r (IstioRemote's), b→a, b→r.
        const identity = identityOf(["a", "b", "r"], ["a", "b"], (n) => (n === "b" ? "net-b" : "net-a"));
        const calls: string[] = [];
        const r = await simulate(() => {
            const net: Record<string, random.RandomId> = {};
            for (const [w, t] of [["a", "b"], ["a", "r"], ["b", "a"], ["b", "r"], ["x", "y"]]) net[`${w}->${t}`] = new random.RandomId(`net-${w}-${t}`, { byteLength: 4 });
            new IstioMesh("mesh", {
                identity,
                clusters: handles(identity),
                networkReady: (w, t) => {
                    calls.push(`${w}->${t}`);
                    return [net[`${w}->${t}`]];
                },
            });
        });
        assert.deepEqual(calls, ["a->b", "a->r", "b->a", "b->r"], "called once per ordered pair, in remoteSecretPairs order");
        const urnOf = (name: string) => r.resources.find((x) => x.name === name)!.urn;
        const secrets = r.byType("kubernetes:core/v1:Secret").filter((s) => metaName(s)?.startsWith("istio-remote-secret-"));
        assert.equal(secrets.length, 4);
        for (const s of secrets) {
            const pair = `${providerName(r, s.providerUrn)}->${metaName(s)!.slice("istio-remote-secret-".length)}`;
            const network = s.dependencies.filter((d) => d.includes("RandomId"));
            assert.deepEqual(network, [urnOf(`net-${pair.replace("->", "-")}`)], `${s.name} waits for its pair's network only`);
        }
    });

    it("networkReady returning one list for every pair makes every step wait for it", async () => {
        const identity = identityOf(["a", "b"], ["a", "b"], (n) => `net-${n}`);
        const r = await simulate(() => {
            const all = new random.RandomId("net-all", { byteLength: 4 });
            new IstioMesh("mesh", { identity, clusters: handles(identity), networkReady: () => [all] });
        });
        const all = r.resources.find((x) => x.name === "net-all")!.urn;
        const secrets = r.byType("kubernetes:core/v1:Secret").filter((s) => metaName(s)?.startsWith("istio-remote-secret-"));
        assert.equal(secrets.length, 2);
        for (const s of secrets) assert.ok(s.dependencies.includes(all), `${s.name} waits for the list`);
    });

    it("a throwing networkReady fails before any mesh child exists", async () => {
        const identity = identityOf(["a", "b"], ["a", "b"], (n) => `net-${n}`);
        await assert.rejects(
            simulate(() => {
                new IstioMesh("mesh", {
                    identity,
                    clusters: handles(identity),
                    networkReady: (w, t) => {
                        throw new Error(`no route ${w}->${t}`);
                    },
                });
            }),
            (e: unknown) => {
                assert.match(String((e as { errors: unknown[] }).errors.map(String)), /no route a->b/);
                assert.deepEqual((e as { result: SimulationResult }).result.resources.filter((x) => x.type.startsWith("ack-mesh:")), []);
                return true;
            },
        );
    });

    // a and b are primaries on their own networks; r is a's remote on a third network.
    const aBr = () => identityOf(["a", "b", "r"], ["a", "b"], (n) => `net-${n}`);
    const names = (r: SimulationResult, urns: string[]) => urns.map((u) => r.resources.find((x) => x.urn === u)?.name ?? u).sort();
    const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

    it("a remote's workloads wait for the primary's istiod-gateway and istiod-vs, through which they are injected", async () => {
        const identity = identityOf(["cp", "r1"], ["cp"], (n) => `net-${n}`);
        let mesh: IstioMesh | undefined;
        const r = await simulate(() => {
            mesh = new IstioMesh("mesh", { identity, clusters: handles(identity) });
        });
        const ready = async (c: string) => (await Promise.all(mesh!.meshReady[c].map((x) => promiseOf(x.urn)))).map(nameOfUrn);
        assert.deepEqual(await ready("r1"), ["mesh-r1-istiod", "mesh-r1-remote-secret", "mesh-cp-istiod-gw", "mesh-cp-istiod-vs"]);
        assert.deepEqual(await ready("cp"), ["mesh-cp-istiod"]);
        // The remote's east-west gateway is such a workload (its pods are injected by cp's istiod).
        const eastWest = r.resources.find((x) => x.name === "mesh-r1-eastwest")!;
        assert.deepEqual(names(r, eastWest.dependencies), ["mesh-cp-istiod-gw", "mesh-cp-istiod-vs", "mesh-r1-istiod", "mesh-r1-ns", "mesh-r1-remote-secret-secret"]);
    });

    it("multi-primary: each remote secret the mesh adds waits for its target's istiod (the reader ClusterRole comes from that chart)", async () => {
        const identity = aBr();
        const r = await simulate(() => {
            new IstioMesh("mesh", { identity, clusters: handles(identity) });
        });
        const deps = (name: string) => names(r, r.resources.find((x) => x.name === name)!.dependencies);
        assert.deepEqual(deps("mesh-a-reads-b-secret"), ["mesh-a-istiod", "mesh-b-istiod", "mesh-b-reader-token"]);
        assert.deepEqual(deps("mesh-b-reads-a-secret"), ["mesh-a-istiod", "mesh-a-reader-token", "mesh-b-istiod"]);
        assert.deepEqual(deps("mesh-b-reads-r-secret"), ["mesh-b-istiod", "mesh-r-istiod", "mesh-r-reader-token"]);
        // The remote's own secret (in its primary) already waited for the remote's istiod.
        assert.deepEqual(deps("mesh-r-remote-secret-secret"), ["mesh-a-istiod", "mesh-r-istiod", "mesh-r-reader-token"]);
    });

    it("mints a reader token only in clusters another cluster reads, under ack-mesh's own Secret name", async () => {
        const tokens = async (identity: MeshIdentity) => {
            let mesh: IstioMesh | undefined;
            const r = await simulate(() => {
                mesh = new IstioMesh("mesh", { identity, clusters: handles(identity) });
            });
            const secrets = r.byType("kubernetes:core/v1:Secret").filter((s) => s.inputs.type === "kubernetes.io/service-account-token");
            for (const s of secrets) assert.equal(metaName(s), "ack-mesh-istio-reader-token", `${s.name}: not istioctl's istio-reader-service-account-istio-remote-secret-token`);
            return { names: secrets.map((s) => s.name).sort(), planes: Object.fromEntries(Object.entries(mesh!.controlPlanes).map(([c, p]) => [c, p.readerToken !== undefined])) };
        };
        // Primary-remote: only the remote is read (by its primary); nothing reads the primary.
        assert.deepEqual(await tokens(identityOf(["cp", "r1", "r2"], ["cp"])), { names: ["mesh-r1-reader-token", "mesh-r2-reader-token"], planes: { cp: false } });
        // A single primary alone: nobody reads anybody.
        assert.deepEqual(await tokens(identityOf(["cp"], ["cp"])), { names: [], planes: { cp: false } });
        // Two primaries read each other and the remote.
        assert.deepEqual(await tokens(aBr()), { names: ["mesh-a-reader-token", "mesh-b-reader-token", "mesh-r-reader-token"], planes: { a: true, b: true } });
    });

    it("hub: global.hub of every istiod release (control planes and remotes), of no other release", async () => {
        const hub = "registry.cn-hangzhou.aliyuncs.com/my-ns";
        const identity = identityOf(["a", "b", "r"], ["a", "b"], (n) => `net-${n}`);
        const r = await simulate(() => {
            new IstioMesh("mesh", { identity, clusters: handles(identity), hub });
        });
        const releases = r.byType("kubernetes:helm.sh/v3:Release");
        const hubOf = (x: (typeof releases)[number]) => (x.inputs.values as { global?: { hub?: string } }).global?.hub;
        assert.deepEqual(
            releases.map((x) => `${x.name}: ${hubOf(x) ?? "-"}`).sort(),
            [
                `mesh-a-base: -`,
                `mesh-a-eastwest: -`,
                `mesh-a-ingress: -`,
                `mesh-a-istiod: ${hub}`,
                `mesh-b-base: -`,
                `mesh-b-eastwest: -`,
                `mesh-b-ingress: -`,
                `mesh-b-istiod: ${hub}`,
                `mesh-r-base: -`,
                `mesh-r-eastwest: -`,
                `mesh-r-istiod: ${hub}`,
            ],
        );
        // A user's valuesOverride still merges last.
        const o = await simulate(() => {
            new IstioMesh("mesh", { identity, clusters: handles(identity), hub, valuesOverride: { istiod: { global: { hub: "docker.io/istio" } } } });
        });
        for (const x of o.byType("kubernetes:helm.sh/v3:Release").filter((y) => y.name.endsWith("-istiod"))) assert.equal(hubOf(x), "docker.io/istio", x.name);
    });

    it("validates before creating anything", async () => {
        const identity = identityOf(["cp", "r1"], ["cp"]);
        const all = handles(identity);
        await assert.rejects(
            simulate(() => new IstioMesh("mesh", { identity, clusters: { cp: all.cp }, ingressGateways: ["r1"], hub: "registry.cn-hangzhou.aliyuncs.com" })),
            (e: unknown) => {
                const cause = (e as { errors: unknown[] }).errors.find((x) => ConfigError.is(x)) as ConfigError;
                assert.equal(
                    cause.message,
                    [
                        'Invalid IstioMesh "mesh" arguments (3 problems):',
                        "  - clusters.r1: is a mesh cluster without a handle. Fix: pass a ClusterHandle for every cluster of the identity",
                        '  - hub: is not a registry path <registry>/<namespace> (got "registry.cn-hangzhou.aliyuncs.com"). Fix: add the namespace, e.g. registry.cn-hangzhou.aliyuncs.com/my-ns',
                        '  - ingressGateways[0]: is not a control plane (got "r1"). Fix: use one of: cp',
                    ].join("\n"),
                );
                assert.deepEqual((e as { result: SimulationResult }).result.resources.filter((x) => x.type.startsWith("ack-mesh:")), []);
                return true;
            },
        );
    });
});

describe("controlPlaneArgs / remoteArgs: the args IstioMesh and the fleet's cluster stacks give each component", () => {
    const identity = createMeshIdentity({
        meshId: "m",
        clusters: [
            { clusterName: "p", network: "n1", region: "cn-hangzhou", controlPlane: true },
            { clusterName: "r", network: "n1", region: "cn-hangzhou", controlPlane: false, controlledBy: "p" },
        ],
    });
    const cluster = {} as ClusterHandle;
    const overrides = { base: { a: 1 }, istiod: { b: 2 }, ingressGateway: { c: 3 }, eastWestGateway: { d: 4 } };

    it("a control plane: the mesh settings plus its own; the in-place version defaults to the pinned one", () => {
        assert.deepEqual(controlPlaneArgs({ mtls: "STRICT", dnsCapture: true, valuesOverride: overrides, chartRepository: "oci://r/c", hub: "r/h" }, { identity, cluster, sharedRoot: false, ingressGateway: true }), {
            identity,
            cluster,
            istioVersion: DEFAULTS.istioVersion,
            sharedRoot: false,
            mtls: "STRICT",
            dnsCapture: true,
            ingressGateway: true,
            valuesOverride: overrides,
            chartRepository: "oci://r/c",
            hub: "r/h",
        });
    });

    it("a remote: the overrides of the charts a remote installs only, and the revision set instead of a version", () => {
        const revisions = { installed: { "1-30-3": "1.30.3" }, tags: { stable: "1-30-3" } };
        const controlPlane = { cluster, eastWestAddress: "10.0.0.1" };
        assert.deepEqual(remoteArgs({ revisions, istioVersion: "1.30.3", valuesOverride: overrides }, { identity, cluster, controlPlane }), {
            identity,
            cluster,
            controlPlane,
            revisions,
            chartRepository: undefined,
            hub: undefined,
            valuesOverride: { base: { a: 1 }, istiod: { b: 2 }, eastWestGateway: { d: 4 } },
        });
    });
});
