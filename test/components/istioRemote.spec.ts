import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../../config/defaults";
import { ISTIO_REMOTE_TYPE, IstioRemote, IstioRemoteArgs, istioRemoteOwnsPair, resolveIstioRemoteArgs } from "../../components/istioRemote";
import { K8sObject, istiodGateway, istiodVirtualService } from "../../components/istioObjects";
import { ISTIO_CHARTS } from "../../components/istioValues";
import { READER_SERVICE_ACCOUNT, REMOTE_SECRET_TYPE, RemoteSecret, readerTokenFromSecret, remoteSecretKubeconfig, remoteSecretPairs } from "../../components/remoteSecret";
import { ClusterHandle, MeshIdentity, clusterHandleFromKubeconfig, createMeshIdentity } from "../../components/types";
import { K8S, RecordedResource, Secret, SimulationError, SimulationResult, isSecretOutput, promiseOf, simulate, unwrapSecrets } from "../support";

const RELEASE = K8S.release;

function adminKubeconfig(c: string): string {
    return `apiVersion: v1\nkind: Config\nclusters:\n- name: ${c}\n  cluster:\n    server: https://${c}.k8s.example:6443\ncontexts:\n- name: ${c}\n  context:\n    cluster: ${c}\n    user: admin\ncurrent-context: ${c}\nusers:\n- name: admin\n  user:\n    token: admin-token\n`;
}

function handle(c: string, network: string): ClusterHandle {
    return clusterHandleFromKubeconfig(c, { name: c, region: "cn-hangzhou", network, kubeconfig: adminKubeconfig(c), apiServerUrl: `https://${c}.intranet.example:6443` });
}

/** p1 (primary) with remotes controlled by it; `networks` gives each cluster's network. */
function identityOf(networks: Record<string, string>, extraPrimaries: string[] = []): MeshIdentity {
    return createMeshIdentity({
        meshId: "mesh1",
        clusters: Object.entries(networks).map(([clusterName, network]) => {
            const controlPlane = clusterName === "p1" || extraPrimaries.includes(clusterName);
            return { clusterName, network, region: "cn-hangzhou", controlPlane, ...(controlPlane ? {} : { controlledBy: "p1" }) };
        }),
    });
}

/** What a test program builds in the primary: its istio-system, its east-west gateway Service (the address source) and the objects exposing istiod. */
interface Primary {
    handle: ClusterHandle;
    namespace: k8s.core.v1.Namespace;
    gateway: k8s.core.v1.Service;
    address: pulumi.Output<string>;
    istiodExposure: k8s.apiextensions.CustomResource[];
}

function primary(network: string): Primary {
    const h = handle("p1", network);
    const namespace = new k8s.core.v1.Namespace("p1-ns", { metadata: { name: "istio-system" } }, { provider: h.provider });
    const gateway = new k8s.core.v1.Service(
        "p1-eastwest",
        {
            metadata: { name: "istio-eastwestgateway", namespace: namespace.metadata.name, annotations: { "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet" } },
            spec: { type: "LoadBalancer", selector: { istio: "eastwestgateway" }, ports: [{ name: "tls-istiod", port: 15012 }] },
        },
        { provider: h.provider },
    );
    const address = gateway.status.apply((s) => s.loadBalancer.ingress[0].ip);
    const exposure = (role: string, obj: K8sObject) =>
        new k8s.apiextensions.CustomResource(`p1-${role}`, { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec }, { provider: h.provider, dependsOn: [namespace] });
    return { handle: h, namespace, gateway, address, istiodExposure: [exposure("istiod-gw", istiodGateway()), exposure("istiod-vs", istiodVirtualService())] };
}

function remoteArgs(identity: MeshIdentity, p: Primary, remote: ClusterHandle, extra: Partial<IstioRemoteArgs> = {}): IstioRemoteArgs {
    return { identity, cluster: remote, controlPlane: { cluster: p.handle, eastWestAddress: p.address, dependsOn: [p.namespace], istiodExposure: p.istiodExposure }, ...extra };
}

const typeName = (r: { type: string; name: string }) => `${r.type} ${r.name}`;

/** Every registration below `urn` (children, grandchildren, …). */
function subtree(res: SimulationResult, urn: string): RecordedResource[] {
    return res.childrenOf(urn).flatMap((c) => [c, ...subtree(res, c.urn)]);
}

interface Run {
    res: SimulationResult;
    remote: IstioRemote;
    address: string;
}

async function run(multiNetwork: boolean): Promise<Run> {
    let remote!: IstioRemote;
    let address!: pulumi.Output<string>;
    const res = await simulate(() => {
        const identity = identityOf(multiNetwork ? { p1: "network1", r1: "network2" } : { p1: "network1", r1: "network1" });
        const p = primary("network1");
        address = p.address;
        remote = new IstioRemote("r1", remoteArgs(identity, p, handle("r1", multiNetwork ? "network2" : "network1")));
        return { eastWestAddress: remote.eastWestAddress };
    });
    return { res, remote, address: await promiseOf(address) };
}

describe("IstioRemote", () => {
    describe("resolveIstioRemoteArgs", () => {
        const dummy = (name: string, network: string) => ({ name, network }) as ClusterHandle;
        const identity = identityOf({ p1: "network1", p2: "network2", r1: "network1" }, ["p2"]);
        const args = (cluster: ClusterHandle, cp: ClusterHandle, extra: Partial<IstioRemoteArgs> = {}): IstioRemoteArgs => ({
            identity,
            cluster,
            controlPlane: { cluster: cp, eastWestAddress: "10.0.0.1" },
            ...extra,
        });

        it("applies the defaults", () => {
            const { resolved, problems } = resolveIstioRemoteArgs(args(dummy("r1", "network1"), dummy("p1", "network1")));
            assert.deepEqual(problems, []);
            assert.equal(resolved.istioVersion, DEFAULTS.istioVersion);
            assert.equal(resolved.eastWestGateway, true, "the mesh spans two networks");
            assert.deepEqual(resolved.valuesOverride, {});
            assert.equal(resolveIstioRemoteArgs(args(dummy("r1", "network1"), dummy("p1", "network1"), { eastWestGateway: false })).resolved.eastWestGateway, false);
        });

        const cases: Array<[string, IstioRemoteArgs, Array<{ path: string; value?: unknown; message: string; fix: string }>]> = [
            [
                "a cluster outside the mesh",
                args(dummy("r9", "network1"), dummy("p1", "network1")),
                [{ path: "cluster.name", value: "r9", message: 'is not a cluster of mesh "mesh1"', fix: "use one of: p1, p2, r1" }],
            ],
            [
                "a control plane as the remote",
                args(dummy("p2", "network2"), dummy("p1", "network1")),
                [{ path: "cluster.name", value: "p2", message: "is a control plane in the mesh identity, not a remote", fix: "install it with IstioControlPlane, or mark it as a remote" }],
            ],
            [
                "the wrong control plane",
                args(dummy("r1", "network1"), dummy("p2", "network2")),
                [{ path: "controlPlane.cluster.name", value: "p2", message: 'is not the control plane of remote "r1" (the identity says it is controlled by "p1")', fix: 'pass the handle of "p1"' }],
            ],
            [
                "a remote as the control plane, handles on the wrong networks and a bad version",
                args(dummy("r1", "network9"), dummy("r1", "network1"), { istioVersion: "v1.30" }),
                [
                    { path: "controlPlane.cluster.name", value: "r1", message: 'is not the control plane of remote "r1" (the identity says it is controlled by "p1")', fix: 'pass the handle of "p1"' },
                    { path: "cluster.network", value: "network9", message: 'differs from the network of "r1" in the mesh identity ("network1")', fix: "build the handle and the identity from the same config" },
                    { path: "controlPlane.cluster.name", value: "r1", message: "is a remote in the mesh identity, not a control plane", fix: "use one of: p1, p2" },
                    { path: "istioVersion", value: "v1.30", message: "is not an Istio release version", fix: 'use a published chart version such as "1.30.3"' },
                ],
            ],
            [
                "a hub that is not a registry path",
                args(dummy("r1", "network1"), dummy("p1", "network1"), { hub: "docker.io/istio/" }),
                [{ path: "hub", value: "docker.io/istio/", message: "ends with '/'", fix: "remove it: docker.io/istio" }],
            ],
            [
                "a control-plane handle on the wrong network",
                args(dummy("r1", "network1"), dummy("p1", "network2")),
                [{ path: "controlPlane.cluster.network", value: "network2", message: 'differs from the network of "p1" in the mesh identity ("network1")', fix: "build the handle and the identity from the same config" }],
            ],
        ];
        for (const [title, a, want] of cases) {
            it(`reports ${title}`, () => {
                assert.deepEqual(resolveIstioRemoteArgs(a).problems, want);
            });
        }

        it("throws one ConfigError naming every problem before creating anything", async () => {
            await assert.rejects(
                simulate(() => {
                    const id = identityOf({ p1: "network1", r1: "network2" });
                    const p = primary("network1");
                    new IstioRemote("r1", remoteArgs(id, p, handle("r1", "network1"), { istioVersion: "latest" }));
                }),
                (e: SimulationError) => {
                    assert.equal(
                        (e.errors[0] as Error).message,
                        'Invalid IstioRemote "r1" (2 problems):\n' +
                            '  - cluster.network: differs from the network of "r1" in the mesh identity ("network2") (got "network1"). Fix: build the handle and the identity from the same config\n' +
                            '  - istioVersion: is not an Istio release version (got "latest"). Fix: use a published chart version such as "1.30.3"',
                    );
                    const component = e.result.resources.find((r) => r.type === ISTIO_REMOTE_TYPE);
                    assert.deepEqual(component ? e.result.childrenOf(component.urn) : [], [], "no child was created");
                    return true;
                },
            );
        });
    });

    describe("istioRemoteOwnsPair", () => {
        it("marks the (controlledBy, remote) pairs; the program creates the others", () => {
            const identity = identityOf({ p1: "n1", p2: "n2", r1: "n1" }, ["p2"]);
            assert.deepEqual(
                remoteSecretPairs(identity).map((p) => `${p.watcher}->${p.target}:${istioRemoteOwnsPair(identity, p)}`),
                ["p1->p2:false", "p1->r1:true", "p2->p1:false", "p2->r1:false"],
            );
        });
    });

    describe("on a flat network", () => {
        let r: Run;
        before(async () => {
            r = await run(false);
        });

        it("creates exactly the namespace, base, reader token, istiod and remote secret", () => {
            const top = r.res.get(ISTIO_REMOTE_TYPE, "r1");
            assert.deepEqual(r.res.childrenOf(top.urn).map(typeName).sort(), [
                `${K8S.namespace} r1-ns`,
                `${RELEASE} r1-base`,
                `${K8S.secret} r1-reader-token`,
                `${RELEASE} r1-istiod`,
                `${REMOTE_SECRET_TYPE} r1-remote-secret`,
            ].sort());
            assert.deepEqual(r.res.childrenOf(r.res.get(REMOTE_SECRET_TYPE, "r1-remote-secret").urn).map(typeName), [`${K8S.secret} r1-remote-secret-secret`]);
            assert.equal(r.remote.eastWestAddress, undefined);
            assert.equal(r.remote.eastWestGateway, undefined);
            assert.deepEqual(r.res.reads.map(typeName), []);
        });

        it("annotates istio-system with the control plane and does not label a network", () => {
            assert.deepEqual(r.res.get(K8S.namespace, "r1-ns").inputs.metadata, {
                name: "istio-system",
                annotations: { "topology.istio.io/controlPlaneClusters": "p1" },
            });
        });

        it("installs base and istiod with the remote profile, pointing at the primary's east-west address", () => {
            const base = r.res.get(RELEASE, "r1-base").inputs;
            assert.deepEqual(
                { chart: base.chart, version: base.version, name: base.name, namespace: base.namespace, repositoryOpts: base.repositoryOpts, values: base.values },
                { chart: "base", version: "1.30.3", name: "istio-base", namespace: "istio-system", repositoryOpts: { repo: ISTIO_CHARTS.repository }, values: { profile: "remote" } },
            );
            const istiod = r.res.get(RELEASE, "r1-istiod").inputs;
            assert.equal(istiod.chart, "istiod");
            assert.equal(istiod.name, "istiod");
            assert.equal(istiod.version, "1.30.3");
            assert.match(r.address, /^\d+\.\d+\.\d+\.\d+$/);
            assert.deepEqual(istiod.values, {
                profile: "remote",
                global: { meshID: "mesh1", multiCluster: { clusterName: "r1" }, network: "network1", remotePilotAddress: r.address, configCluster: true },
                istiodRemote: { injectionPath: "/inject/cluster/r1/net/network1" },
            });
        });

        it("uses the remote's provider in the remote and the PRIMARY's provider for the remote secret", () => {
            const p1 = r.res.get(K8S.provider, "p1-k8s").urn;
            const r1 = r.res.get(K8S.provider, "r1-k8s").urn;
            for (const [type, name] of [
                [K8S.namespace, "r1-ns"],
                [RELEASE, "r1-base"],
                [K8S.secret, "r1-reader-token"],
                [RELEASE, "r1-istiod"],
            ]) {
                assert.equal(r.res.get(type, name).providerUrn, r1, `${name} is in r1`);
            }
            const secret = r.res.get(K8S.secret, "r1-remote-secret-secret");
            assert.equal(secret.providerUrn, p1);
            assert.deepEqual(secret.inputs.metadata, {
                name: "istio-remote-secret-r1",
                namespace: "istio-system",
                labels: { "istio/multiCluster": "true" },
                annotations: { "networking.istio.io/cluster": "r1" },
            });
        });

        it("records the dependency edges", () => {
            const deps = (type: string, name: string) => r.res.get(type, name).dependencies;
            const urn = (type: string, name: string) => r.res.get(type, name).urn;
            const istiod = r.res.get(RELEASE, "r1-istiod");
            assert.ok(istiod.dependencies.includes(urn(K8S.service, "p1-eastwest")), "remote istiod depends on the primary's east-west Service");
            assert.ok(istiod.propertyDependencies.values.includes(urn(K8S.service, "p1-eastwest")));
            assert.ok(istiod.dependencies.includes(urn(RELEASE, "r1-base")));
            assert.ok(deps(K8S.secret, "r1-reader-token").includes(urn(RELEASE, "r1-base")), "the reader SA comes from the base chart");
            const secret = deps(K8S.secret, "r1-remote-secret-secret");
            assert.ok(secret.includes(urn(RELEASE, "r1-istiod")), "the reader RBAC comes from the istiod chart");
            assert.ok(secret.includes(urn(K8S.secret, "r1-reader-token")));
            assert.ok(secret.includes(urn(K8S.namespace, "p1-ns")));
            assert.deepEqual(r.res.warnings.filter((w) => /namespace/.test(w)), []);
        });

        it("outputs what X's workloads wait for: its istiod, its remote secret, and P's istiod-gateway and istiod-vs", async () => {
            const urns = await Promise.all(r.remote.meshReady.map((x) => promiseOf(x.urn)));
            assert.deepEqual(urns, [
                r.res.get(RELEASE, "r1-istiod").urn,
                r.res.get(REMOTE_SECRET_TYPE, "r1-remote-secret").urn,
                r.res.get("kubernetes:networking.istio.io/v1:Gateway", "p1-istiod-gw").urn,
                r.res.get("kubernetes:networking.istio.io/v1:VirtualService", "p1-istiod-vs").urn,
            ]);
        });

        it("names the reader token Secret ack-mesh's own way, not as istioctl does", () => {
            assert.equal((r.res.get(K8S.secret, "r1-reader-token").inputs.metadata as { name: string }).name, "ack-mesh-istio-reader-token");
        });

        it("keeps the token secret end to end", async () => {
            assert.ok(r.res.get(K8S.secret, "r1-reader-token").outputs.data instanceof Secret);
            const s = r.res.get(K8S.secret, "r1-remote-secret-secret");
            assert.ok(s.inputs.stringData instanceof Secret);
            assert.equal(await isSecretOutput(r.remote.remoteSecret.secret.stringData), true);
            const kubeconfig = (unwrapSecrets(s.inputs.stringData) as Record<string, string>).r1;
            const data = unwrapSecrets(r.res.get(K8S.secret, "r1-reader-token").outputs.data) as Record<string, string>;
            const token = Buffer.from(data.token, "base64").toString("utf8");
            assert.equal(kubeconfig, remoteSecretKubeconfig({ clusterName: "r1", server: "https://r1.intranet.example:6443", caData: data["ca.crt"], token }));
            const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as { sub: string };
            assert.equal(payload.sub, `system:serviceaccount:istio-system:${READER_SERVICE_ACCOUNT}`);
        });
    });

    describe("on different networks", () => {
        let r: Run;
        before(async () => {
            r = await run(true);
        });

        it("adds the east-west gateway and reads its Service", () => {
            const top = r.res.get(ISTIO_REMOTE_TYPE, "r1");
            assert.deepEqual(r.res.childrenOf(top.urn).map(typeName).sort(), [
                `${K8S.namespace} r1-ns`,
                `${RELEASE} r1-base`,
                `${K8S.secret} r1-reader-token`,
                `${RELEASE} r1-istiod`,
                `${REMOTE_SECRET_TYPE} r1-remote-secret`,
                `${RELEASE} r1-eastwest`,
            ].sort());
            assert.deepEqual(
                r.res.reads.map((x) => `${typeName(x)} ${x.id}`),
                [`${K8S.service} r1-eastwest-svc istio-system/istio-eastwestgateway`],
            );
            assert.equal(r.res.reads[0].parent, top.urn);
            assert.equal(r.res.reads[0].providerUrn, r.res.get(K8S.provider, "r1-k8s").urn);
        });

        it("labels istio-system with the remote's network", () => {
            assert.deepEqual(r.res.get(K8S.namespace, "r1-ns").inputs.metadata, {
                name: "istio-system",
                annotations: { "topology.istio.io/controlPlaneClusters": "p1" },
                labels: { "topology.istio.io/network": "network2" },
            });
        });

        it("configures istiod and the gateway for the remote's network", () => {
            assert.deepEqual(r.res.get(RELEASE, "r1-istiod").inputs.values, {
                profile: "remote",
                global: { meshID: "mesh1", multiCluster: { clusterName: "r1" }, network: "network2", remotePilotAddress: r.address, configCluster: true },
                istiodRemote: { injectionPath: "/inject/cluster/r1/net/network2" },
            });
            const gw = r.res.get(RELEASE, "r1-eastwest").inputs;
            assert.equal(gw.chart, "gateway");
            assert.equal(gw.name, "istio-eastwestgateway");
            assert.equal(gw.namespace, "istio-system");
            assert.deepEqual(gw.values, {
                name: "istio-eastwestgateway",
                networkGateway: "network2",
                service: { type: "LoadBalancer", annotations: { "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet" } },
            });
        });

        it("installs the gateway only after the remote secret, istiod and the primary's istiod-gateway/istiod-vs", () => {
            const gw = r.res.get(RELEASE, "r1-eastwest").dependencies;
            const names = gw.map((u) => r.res.resources.find((x) => x.urn === u)!.name).sort();
            // Its pods are injected by P's istiod, reached through P's east-west gateway objects.
            assert.deepEqual(names, ["p1-istiod-gw", "p1-istiod-vs", "r1-istiod", "r1-ns", "r1-remote-secret-secret"]);
            assert.ok(gw.includes(r.res.get(K8S.secret, "r1-remote-secret-secret").urn), "gateway pods need P's istiod to watch X");
            assert.ok(gw.includes(r.res.get(RELEASE, "r1-istiod").urn));
            assert.ok(r.res.reads[0].dependencies.includes(r.res.get(RELEASE, "r1-eastwest").urn));
        });

        it("outputs the gateway's load-balancer address", async () => {
            const svc = r.res.reads[0].outputs as { status: { loadBalancer: { ingress: { ip: string }[] } } };
            const want = svc.status.loadBalancer.ingress[0].ip;
            assert.match(want, /^\d+\.\d+\.\d+\.\d+$/);
            assert.equal(await promiseOf(r.remote.eastWestAddress!), want);
            assert.equal(r.res.outputs.eastWestAddress, want);
        });
    });

    it("sets hub as global.hub of the remote istiod release, and nowhere else", async () => {
        const hub = "registry.cn-hangzhou.aliyuncs.com/my-ns";
        let address!: pulumi.Output<string>;
        const res = await simulate(() => {
            const identity = identityOf({ p1: "network1", r1: "network2" });
            const p = primary("network1");
            address = p.address;
            new IstioRemote("r1", remoteArgs(identity, p, handle("r1", "network2"), { hub }));
        });
        assert.deepEqual(res.get(RELEASE, "r1-istiod").inputs.values, {
            profile: "remote",
            global: { meshID: "mesh1", multiCluster: { clusterName: "r1" }, network: "network2", remotePilotAddress: await promiseOf(address), configCluster: true, hub },
            istiodRemote: { injectionPath: "/inject/cluster/r1/net/network2" },
        });
        assert.deepEqual(res.get(RELEASE, "r1-base").inputs.values, { profile: "remote" });
        assert.equal(JSON.stringify(res.get(RELEASE, "r1-eastwest").inputs.values).includes(hub), false);
    });

    describe("two remotes of one primary", () => {
        it("share no (type, name) pair and no Kubernetes object", async () => {
            const res = await simulate(() => {
                const identity = identityOf({ p1: "network1", r1: "network2", r2: "network3" });
                const p = primary("network1");
                new IstioRemote("r1", remoteArgs(identity, p, handle("r1", "network2")));
                new IstioRemote("r2", remoteArgs(identity, p, handle("r2", "network3")));
            });
            const r1 = subtree(res, res.get(ISTIO_REMOTE_TYPE, "r1").urn).map(typeName);
            const r2 = subtree(res, res.get(ISTIO_REMOTE_TYPE, "r2").urn).map(typeName);
            assert.equal(r1.length, 7);
            assert.equal(r2.length, 7);
            assert.deepEqual(r1.filter((x) => r2.includes(x)), []);
            // Both remote secrets live in p1's istio-system, under different names.
            const inP1 = res.byType(K8S.secret).filter((s) => s.providerUrn === res.get(K8S.provider, "p1-k8s").urn).map((s) => s.id);
            assert.deepEqual(inP1.sort(), ["istio-system/istio-remote-secret-r1", "istio-system/istio-remote-secret-r2"]);
            assert.equal(new Set(res.resources.map((x) => x.urn)).size, res.resources.length);
        });
    });

    it("composes with a RemoteSecret the program adds for a second primary", async () => {
        const res = await simulate(() => {
            const identity = identityOf({ p1: "network1", p2: "network1", r1: "network1" }, ["p2"]);
            const p = primary("network1");
            const p2 = handle("p2", "network1");
            const p2ns = new k8s.core.v1.Namespace("p2-ns", { metadata: { name: "istio-system" } }, { provider: p2.provider });
            const remote = new IstioRemote("r1", remoteArgs(identity, p, handle("r1", "network1")));
            const extra = remoteSecretPairs(identity).filter((pair) => pair.target === "r1" && !istioRemoteOwnsPair(identity, pair));
            assert.deepEqual(extra, [{ watcher: "p2", target: "r1" }]);
            // The same reader token serves every watcher of r1.
            const reader = readerTokenFromSecret(remote.readerToken);
            new RemoteSecret("rs-p2-r1", { watcher: p2, target: { clusterName: "r1", apiServerUrl: "https://r1.intranet.example:6443", ...reader } }, { dependsOn: [p2ns] });
        });
        assert.equal(res.get(K8S.secret, "rs-p2-r1-secret").providerUrn, res.get(K8S.provider, "p2-k8s").urn);
        assert.equal(res.get(K8S.secret, "r1-remote-secret-secret").providerUrn, res.get(K8S.provider, "p1-k8s").urn);
        const kubeconfigs = ["rs-p2-r1-secret", "r1-remote-secret-secret"].map((n) => (unwrapSecrets(res.get(K8S.secret, n).inputs.stringData) as Record<string, string>).r1);
        assert.equal(kubeconfigs[0], kubeconfigs[1]);
    });
});
