import { strict as assert } from "node:assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    ISTIOCTL_READER_TOKEN_SECRET_NAME,
    MULTI_CLUSTER_SECRET_LABEL,
    READER_SERVICE_ACCOUNT,
    READER_TOKEN_SECRET_NAME,
    REMOTE_SECRET_CLUSTER_ANNOTATION,
    REMOTE_SECRET_TYPE,
    RemoteSecret,
    readerTokenFromSecret,
    readerTokenSecretArgs,
    readersOf,
    remoteSecretKubeconfig,
    remoteSecretName,
    remoteSecretPairs,
    validateRemoteSecret,
} from "../../components/remoteSecret";
import { ClusterHandle, MeshIdentity, clusterHandleFromKubeconfig, createMeshIdentity } from "../../components/types";
import { K8S, Secret, SimulationError, SimulationResult, isSecretOutput, simulate, unwrapSecrets } from "../support";

/** A minimal admin kubeconfig for an existing cluster named `c`. */
function adminKubeconfig(c: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: ${c}`,
        "  cluster:",
        `    server: https://${c}.k8s.example:6443`,
        "contexts:",
        `- name: ${c}`,
        "  context:",
        `    cluster: ${c}`,
        "    user: admin",
        `current-context: ${c}`,
        "users:",
        "- name: admin",
        "  user:",
        "    token: admin-token",
        "",
    ].join("\n");
}

function handle(c: string, network = "network1"): ClusterHandle {
    return clusterHandleFromKubeconfig(c, {
        name: c,
        region: "cn-hangzhou",
        network,
        kubeconfig: adminKubeconfig(c),
        apiServerUrl: `https://${c}.intranet.example:6443`,
    });
}

function multiPrimary(names: string[]): MeshIdentity {
    return createMeshIdentity({
        meshId: "mesh1",
        clusters: names.map((clusterName) => ({ clusterName, network: "network1", region: "cn-hangzhou", controlPlane: true })),
    });
}

function primaryRemote(primary: string, remotes: string[]): MeshIdentity {
    return createMeshIdentity({
        meshId: "mesh1",
        clusters: [
            { clusterName: primary, network: "network1", region: "cn-hangzhou", controlPlane: true },
            ...remotes.map((clusterName) => ({ clusterName, network: "network1", region: "cn-shanghai", controlPlane: false, controlledBy: primary })),
        ],
    });
}

function b64(s: string): string {
    return Buffer.from(s, "utf8").toString("base64");
}

/** The payload of a JWT (not verified). */
function jwtPayload(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}

const typeName = (r: { type: string; name: string }) => `${r.type} ${r.name}`;

describe("RemoteSecret", () => {
    describe("remoteSecretKubeconfig", () => {
        it("renders the kubeconfig exactly as istioctl create-remote-secret does", () => {
            const text = remoteSecretKubeconfig({ clusterName: "c0", server: "https://10.1.2.3:6443", caData: b64("caData"), token: "token" });
            assert.equal(
                text,
                [
                    "apiVersion: v1",
                    "clusters:",
                    "- cluster:",
                    "    certificate-authority-data: Y2FEYXRh",
                    "    server: https://10.1.2.3:6443",
                    "  name: c0",
                    "contexts:",
                    "- context:",
                    "    cluster: c0",
                    "    user: c0",
                    "  name: c0",
                    "current-context: c0",
                    "kind: Config",
                    "preferences: {}",
                    "users:",
                    "- name: c0",
                    "  user:",
                    "    token: token",
                    "",
                ].join("\n"),
            );
        });

        it("never folds long tokens or CA bundles", () => {
            const caData = b64("x".repeat(1500));
            const token = `eyJ${"a".repeat(900)}.${"b".repeat(400)}.${"c".repeat(342)}`;
            const text = remoteSecretKubeconfig({ clusterName: "sh", server: "https://sh:6443", caData, token });
            assert.ok(text.includes(`    certificate-authority-data: ${caData}\n`));
            assert.ok(text.includes(`    token: ${token}\n`));
        });
    });

    describe("remoteSecretPairs", () => {
        const cases: Array<[string, MeshIdentity, string[]]> = [
            ["primary-remote, 2 clusters", primaryRemote("hz", ["sh"]), ["hz->sh"]],
            ["primary-remote, 3 clusters", primaryRemote("hz", ["sh", "bj"]), ["hz->bj", "hz->sh"]],
            ["multi-primary, 2 clusters", multiPrimary(["b", "a"]), ["a->b", "b->a"]],
            [
                "multi-primary, 5 clusters",
                multiPrimary(["c1", "c2", "c3", "c4", "c5"]),
                [
                    ...["c2", "c3", "c4", "c5"].map((t) => `c1->${t}`),
                    ...["c1", "c3", "c4", "c5"].map((t) => `c2->${t}`),
                    ...["c1", "c2", "c4", "c5"].map((t) => `c3->${t}`),
                    ...["c1", "c2", "c3", "c5"].map((t) => `c4->${t}`),
                    ...["c1", "c2", "c3", "c4"].map((t) => `c5->${t}`),
                ],
            ],
            [
                "two primaries with one remote each: each primary watches every other cluster",
                createMeshIdentity({
                    meshId: "mesh1",
                    clusters: [
                        { clusterName: "p1", network: "n1", region: "cn-hangzhou", controlPlane: true },
                        { clusterName: "p2", network: "n2", region: "cn-shanghai", controlPlane: true },
                        { clusterName: "r1", network: "n1", region: "cn-hangzhou", controlPlane: false, controlledBy: "p1" },
                        { clusterName: "r2", network: "n2", region: "cn-shanghai", controlPlane: false, controlledBy: "p2" },
                    ],
                }),
                ["p1->p2", "p1->r1", "p1->r2", "p2->p1", "p2->r1", "p2->r2"],
            ],
        ];
        for (const [title, identity, want] of cases) {
            it(title, () => {
                assert.deepEqual(
                    remoteSecretPairs(identity).map((p) => `${p.watcher}->${p.target}`),
                    want,
                );
            });
        }

        it("has N·(N−1) pairs for a 5-cluster multi-primary mesh", () => {
            assert.equal(remoteSecretPairs(multiPrimary(["c1", "c2", "c3", "c4", "c5"])).length, 20);
        });
    });

    describe("readersOf", () => {
        const twoPrimaries = createMeshIdentity({
            meshId: "mesh1",
            clusters: [
                { clusterName: "p1", network: "n1", region: "cn-hangzhou", controlPlane: true },
                { clusterName: "p2", network: "n2", region: "cn-shanghai", controlPlane: true },
                { clusterName: "r1", network: "n1", region: "cn-hangzhou", controlPlane: false, controlledBy: "p1" },
            ],
        });
        const cases: Array<[string, MeshIdentity, Record<string, string[]>]> = [
            ["primary-remote: nothing reads the primary", primaryRemote("hz", ["sh", "bj"]), { bj: ["hz"], hz: [], sh: ["hz"] }],
            ["a single primary: nothing reads it", multiPrimary(["solo"]), { solo: [] }],
            ["multi-primary: each primary is read by the others", multiPrimary(["a", "b", "c"]), { a: ["b", "c"], b: ["a", "c"], c: ["a", "b"] }],
            ["two primaries and a remote: the remote is read by both", twoPrimaries, { p1: ["p2"], p2: ["p1"], r1: ["p1", "p2"] }],
        ];
        for (const [title, identity, want] of cases) {
            it(title, () => {
                assert.deepEqual(Object.fromEntries(Object.keys(identity.clusters).sort().map((c) => [c, readersOf(identity, c)])), want);
            });
        }
    });

    describe("readerTokenSecretArgs", () => {
        it("is a token Secret of ack-mesh's own name for istio-reader-service-account, awaited until data.token is filled", () => {
            assert.equal(READER_TOKEN_SECRET_NAME, "ack-mesh-istio-reader-token");
            assert.notEqual(READER_TOKEN_SECRET_NAME, ISTIOCTL_READER_TOKEN_SECRET_NAME, "a cluster where istioctl ran already has istioctl's Secret");
            assert.equal(ISTIOCTL_READER_TOKEN_SECRET_NAME, "istio-reader-service-account-istio-remote-secret-token");
            assert.deepEqual(readerTokenSecretArgs(), {
                metadata: {
                    name: "ack-mesh-istio-reader-token",
                    namespace: "istio-system",
                    annotations: {
                        "kubernetes.io/service-account.name": "istio-reader-service-account",
                        "pulumi.com/waitFor": "jsonpath={.data.token}",
                    },
                },
                type: "kubernetes.io/service-account-token",
            });
        });
    });

    describe("validateRemoteSecret", () => {
        it("accepts a valid pair", () => {
            const watcher = { name: "hz" } as ClusterHandle;
            assert.deepEqual(validateRemoteSecret({ watcher, target: { clusterName: "sh", apiServerUrl: "u", token: "t", caData: "c" } }), []);
        });

        it("rejects a non-DNS-label target and a target equal to the watcher, with exact messages", async () => {
            await assert.rejects(
                simulate(() => {
                    const hz = handle("hz");
                    new RemoteSecret("bad", { watcher: hz, target: { clusterName: "Shang_hai", apiServerUrl: "https://x", token: "t", caData: "c" } });
                }),
                (e: SimulationError) => {
                    assert.equal(
                        (e.errors[0] as Error).message,
                        'Invalid RemoteSecret "bad" (1 problem):\n' +
                            '  - target.clusterName: must be a DNS-1123 label of at most 63 characters (it is the remote secret\'s data key and istiod\'s cluster ID) (got "Shang_hai"). ' +
                            "Fix: use the cluster's mesh name: lowercase letters, digits and '-'",
                    );
                    return true;
                },
            );
            await assert.rejects(
                simulate(() => {
                    const hz = handle("hz");
                    new RemoteSecret("self", { watcher: hz, target: { clusterName: "hz", apiServerUrl: "https://x", token: "t", caData: "c" } });
                }),
                (e: SimulationError) => {
                    assert.equal(
                        (e.errors[0] as Error).message,
                        'Invalid RemoteSecret "self" (1 problem):\n' +
                            '  - target.clusterName: is the watcher itself; a cluster\'s istiod already reads its own API server (got "hz"). ' +
                            "Fix: use a remote secret only between two different clusters",
                    );
                    return true;
                },
            );
        });
    });

    describe("construction: a 5-cluster multi-primary mesh", () => {
        /**
         * The program a mesh program would run: per cluster its istio-system
         * Namespace and reader token Secret; per pair of remoteSecretPairs one
         * RemoteSecret keyed by the (stable) cluster names.
         */
        function meshProgram(names: string[]) {
            return () => {
                const identity = multiPrimary(names);
                const clusters = Object.keys(identity.clusters);
                const handles: Record<string, ClusterHandle> = {};
                const namespaces: Record<string, k8s.core.v1.Namespace> = {};
                const tokens: Record<string, k8s.core.v1.Secret> = {};
                for (const c of clusters) {
                    handles[c] = handle(c);
                    namespaces[c] = new k8s.core.v1.Namespace(`${c}-ns`, { metadata: { name: "istio-system" } }, { provider: handles[c].provider });
                    tokens[c] = new k8s.core.v1.Secret(`${c}-reader-token`, readerTokenSecretArgs(namespaces[c].metadata.name), { provider: handles[c].provider });
                }
                const secrets: Record<string, RemoteSecret> = {};
                for (const { watcher, target } of remoteSecretPairs(identity)) {
                    const reader = readerTokenFromSecret(tokens[target]);
                    secrets[`${watcher}->${target}`] = new RemoteSecret(
                        `rs-${watcher}-${target}`,
                        { watcher: handles[watcher], target: { clusterName: target, apiServerUrl: handles[target].apiServerUrl, token: reader.token, caData: reader.caData } },
                        { dependsOn: [namespaces[watcher]] },
                    );
                }
                return { secrets, handles };
            };
        }

        const five = ["c1", "c2", "c3", "c4", "c5"];
        let res: SimulationResult;
        let program: { secrets: Record<string, RemoteSecret>; handles: Record<string, ClusterHandle> };

        before(async () => {
            const run = meshProgram(five);
            res = await simulate(() => {
                program = run();
            });
        });

        it("creates 20 RemoteSecrets, each with exactly one child Secret", () => {
            const components = res.byType(REMOTE_SECRET_TYPE);
            assert.equal(components.length, 20);
            for (const c of components) {
                assert.deepEqual(res.childrenOf(c.urn).map(typeName), [`${K8S.secret} ${c.name}-secret`]);
            }
        });

        it("gives each Secret istioctl's name, label, annotation and single data key, on the WATCHER's provider", () => {
            for (const w of five) {
                const providerUrn = res.get(K8S.provider, `${w}-k8s`).urn;
                for (const t of five.filter((x) => x !== w)) {
                    const s = res.get(K8S.secret, `rs-${w}-${t}-secret`);
                    assert.equal(s.providerUrn, providerUrn, `rs-${w}-${t} must use ${w}'s provider`);
                    const md = s.inputs.metadata as Record<string, unknown>;
                    assert.deepEqual(md, {
                        name: `istio-remote-secret-${t}`,
                        namespace: "istio-system",
                        labels: { [MULTI_CLUSTER_SECRET_LABEL]: "true" },
                        annotations: { [REMOTE_SECRET_CLUSTER_ANNOTATION]: t },
                    });
                    assert.equal(md.name, remoteSecretName(t));
                    assert.equal(s.inputs.type, "Opaque");
                    assert.ok(s.inputs.stringData instanceof Secret, "stringData must be secret");
                    assert.deepEqual(Object.keys(unwrapSecrets(s.inputs.stringData) as object), [t]);
                }
            }
            // 20 distinct (provider, name) objects: four per watcher.
            const objects = new Set(res.byType(K8S.secret).filter((s) => s.name.startsWith("rs-")).map((s) => `${s.providerUrn} ${s.id}`));
            assert.equal(objects.size, 20);
        });

        it("authenticates as the target's istio-reader-service-account, never an administrator", () => {
            for (const t of five) {
                const token = res.get(K8S.secret, `${t}-reader-token`);
                const md = token.inputs.metadata as { name: string; annotations: Record<string, string> };
                assert.equal(md.name, READER_TOKEN_SECRET_NAME);
                assert.equal(md.annotations["kubernetes.io/service-account.name"], READER_SERVICE_ACCOUNT);
                assert.equal(token.inputs.type, "kubernetes.io/service-account-token");
            }
            assert.equal(res.resources.filter((r) => /rbac/.test(r.type)).length, 0, "no RBAC object (cluster-admin binding) is created");
            for (const w of five) {
                for (const t of five.filter((x) => x !== w)) {
                    const s = res.get(K8S.secret, `rs-${w}-${t}-secret`);
                    const kubeconfig = (unwrapSecrets(s.inputs.stringData) as Record<string, string>)[t];
                    const tokenData = unwrapSecrets(res.get(K8S.secret, `${t}-reader-token`).outputs.data) as Record<string, string>;
                    const token = Buffer.from(tokenData.token, "base64").toString("utf8");
                    assert.equal(jwtPayload(token).sub, "system:serviceaccount:istio-system:istio-reader-service-account");
                    assert.equal(
                        kubeconfig,
                        remoteSecretKubeconfig({ clusterName: t, server: `https://${t}.intranet.example:6443`, caData: tokenData["ca.crt"], token }),
                    );
                }
            }
        });

        it("keeps every kubeconfig secret and waits for the watcher's istio-system", async () => {
            for (const rs of Object.values(program.secrets)) {
                assert.equal(await isSecretOutput(rs.secret.stringData), true);
            }
            const s = res.get(K8S.secret, "rs-c1-c2-secret");
            assert.ok(s.dependencies.includes(res.get(K8S.namespace, "c1-ns").urn));
            assert.ok(s.dependencies.includes(res.get(K8S.secret, "c2-reader-token").urn), "the kubeconfig's token comes from c2's reader token");
            assert.deepEqual(res.warnings.filter((w) => /namespace/.test(w)), []);
        });

        it("records opts.dependsOn once, on the Secret that has to wait: the component itself lists no dependencies", () => {
            for (const c of res.byType(REMOTE_SECRET_TYPE)) {
                assert.deepEqual(c.dependencies, [], c.name);
                const [, watcher, target] = c.name.split("-");
                // The watcher's istio-system (opts.dependsOn), and the target's reader token the kubeconfig is made of.
                assert.deepEqual(
                    [...res.get(K8S.secret, `${c.name}-secret`).dependencies].sort(),
                    [res.get(K8S.namespace, `${watcher}-ns`).urn, res.get(K8S.secret, `${target}-reader-token`).urn].sort(),
                    c.name,
                );
            }
        });

        it("a resource that depends on a RemoteSecret waits for its Secret (the engine expands a component to its children)", async () => {
            const r = await simulate(() => {
                const w = handle("c1");
                const ns = new k8s.core.v1.Namespace("c1-ns", { metadata: { name: "istio-system" } }, { provider: w.provider });
                const rs = new RemoteSecret("rs", { watcher: w, target: { clusterName: "c2", apiServerUrl: "https://c2:6443", token: "t", caData: "Y2E=" } }, { dependsOn: [ns] });
                new k8s.core.v1.ConfigMap("after", { metadata: { namespace: "istio-system" } }, { provider: w.provider, dependsOn: [rs] });
            });
            assert.deepEqual(r.get("kubernetes:core/v1:ConfigMap", "after").dependencies, [r.get(K8S.secret, "rs-secret").urn]);
        });

        it("removing one cluster removes exactly the 8 remote secrets involving it", async () => {
            const four = await simulate(meshProgram(["c1", "c2", "c4", "c5"]));
            const remoteSecrets = (r: SimulationResult) => new Set(r.byType(K8S.secret).filter((s) => s.name.startsWith("rs-")).map(typeName));
            const before = remoteSecrets(res);
            const after = remoteSecrets(four);
            assert.equal(before.size, 20);
            assert.equal(after.size, 12);
            assert.ok([...after].every((x) => before.has(x)), "no remaining secret is renamed");
            const removed = [...before].filter((x) => !after.has(x)).sort();
            const expected = [
                ...["c1", "c2", "c4", "c5"].map((w) => `${K8S.secret} rs-${w}-c3-secret`),
                ...["c1", "c2", "c4", "c5"].map((t) => `${K8S.secret} rs-c3-${t}-secret`),
            ].sort();
            assert.deepEqual(removed, expected);
            // Across all resources: only c3's own objects and those 8 pairs disappear.
            const all = (r: SimulationResult) => new Set(r.resources.map(typeName));
            const gone = [...all(res)].filter((x) => !all(four).has(x));
            assert.ok([...all(four)].every((x) => all(res).has(x)));
            assert.deepEqual(
                gone.sort(),
                [
                    ...expected,
                    ...["c1", "c2", "c4", "c5"].flatMap((o) => [`${REMOTE_SECRET_TYPE} rs-${o}-c3`, `${REMOTE_SECRET_TYPE} rs-c3-${o}`]),
                    `${K8S.namespace} c3-ns`,
                    `${K8S.provider} c3-k8s`,
                    `${K8S.secret} c3-reader-token`,
                ].sort(),
            );
        });
    });

    describe("one target read by several watchers", () => {
        // c2 and c3 read c1 with the same target inputs (the kubeconfig is built once and shared); c4 reads
        // c1 through another API server URL, and c5 reads "c9" with c1's token: neither may get c1's text.
        let res: SimulationResult;
        let secrets: Record<string, RemoteSecret>;
        before(async () => {
            res = await simulate(() => {
                const h = Object.fromEntries(["c1", "c2", "c3", "c4", "c5"].map((c) => [c, handle(c)]));
                const tokenSecret = new k8s.core.v1.Secret("c1-reader-token", readerTokenSecretArgs(), { provider: h.c1.provider });
                const reader = readerTokenFromSecret(tokenSecret);
                const target = { clusterName: "c1", apiServerUrl: h.c1.apiServerUrl, token: reader.token, caData: reader.caData };
                secrets = {
                    c2: new RemoteSecret("rs-c2-c1", { watcher: h.c2, target }),
                    c3: new RemoteSecret("rs-c3-c1", { watcher: h.c3, target }),
                    c4: new RemoteSecret("rs-c4-c1", { watcher: h.c4, target: { ...target, apiServerUrl: "https://c1.other.example:6443" } }),
                    c5: new RemoteSecret("rs-c5-c9", { watcher: h.c5, target: { ...target, clusterName: "c9" } }),
                };
            });
        });

        it("gives each watcher the kubeconfig of its own target inputs, secret, depending on the target's token", async () => {
            const data = unwrapSecrets(res.get(K8S.secret, "c1-reader-token").outputs.data) as Record<string, string>;
            const token = Buffer.from(data.token, "base64").toString("utf8");
            const expected = (clusterName: string, server: string) => ({ [clusterName]: remoteSecretKubeconfig({ clusterName, server, caData: data["ca.crt"], token }) });
            const stringData = (name: string) => {
                const s = res.get(K8S.secret, `${name}-secret`);
                assert.ok(s.inputs.stringData instanceof Secret, `${name}: stringData must be secret`);
                assert.deepEqual(s.dependencies, [res.get(K8S.secret, "c1-reader-token").urn]);
                assert.deepEqual(s.propertyDependencies.stringData, [res.get(K8S.secret, "c1-reader-token").urn]);
                return unwrapSecrets(s.inputs.stringData);
            };
            assert.deepEqual(stringData("rs-c2-c1"), expected("c1", "https://c1.intranet.example:6443"));
            assert.deepEqual(stringData("rs-c3-c1"), expected("c1", "https://c1.intranet.example:6443"));
            assert.deepEqual(stringData("rs-c4-c1"), expected("c1", "https://c1.other.example:6443"));
            assert.deepEqual(stringData("rs-c5-c9"), expected("c9", "https://c1.intranet.example:6443"));
            for (const rs of Object.values(secrets)) assert.equal(await isSecretOutput(rs.secret.stringData), true);
        });
    });

    describe("readerTokenFromSecret", () => {
        it("decodes the token, keeps ca.crt as base64, and marks both secret", async () => {
            let token!: pulumi.Output<string>;
            let caData!: pulumi.Output<string>;
            const res = await simulate(() => {
                const hz = handle("hz");
                const s = new k8s.core.v1.Secret("hz-reader-token", readerTokenSecretArgs(), { provider: hz.provider });
                ({ token, caData } = readerTokenFromSecret(s));
                return { token, caData };
            });
            assert.equal(await isSecretOutput(token), true);
            assert.equal(await isSecretOutput(caData), true);
            assert.ok(res.outputs.token instanceof Secret && res.outputs.caData instanceof Secret);
            const data = unwrapSecrets(res.get(K8S.secret, "hz-reader-token").outputs.data) as Record<string, string>;
            assert.equal(unwrapSecrets(res.outputs.token), Buffer.from(data.token, "base64").toString("utf8"));
            assert.equal(unwrapSecrets(res.outputs.caData), data["ca.crt"]);
            assert.match(Buffer.from(data["ca.crt"], "base64").toString("utf8"), /^-----BEGIN CERTIFICATE-----/);
        });
    });
});
