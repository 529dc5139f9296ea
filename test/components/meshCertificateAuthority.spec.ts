import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { createMeshIdentity, MeshIdentity } from "../../components/types";
import {
    CA_ALLOWED_USES,
    cacertsSecretData,
    concatPem,
    MESH_CERTIFICATE_AUTHORITY_TYPE,
    MeshCertificateAuthority,
    MeshCertificateAuthorityArgs,
    planMeshCertificateAuthority,
} from "../../components/meshCertificateAuthority";
import {
    RecordedResource,
    resolveOutput,
    Secret,
    simulate,
    SimulationError,
    SimulationResult,
    TLS_RANDOM,
    topology,
    twoRegionRaw,
    unwrapSecrets,
} from "../support";

const KEY = TLS_RANDOM.privateKey;
const ROOT_CERT = TLS_RANDOM.selfSignedCert;
const CSR = TLS_RANDOM.certRequest;
const CERT = TLS_RANDOM.locallySignedCert;
const TLS_TYPES = new Set<string>([KEY, ROOT_CERT, CSR, CERT]);
const HEADING = 'Invalid MeshCertificateAuthority "ca"';

// --- Fixtures -----------------------------------------------------------------------

/** A multi-primary identity: every named cluster is a control plane. */
function primaries(...names: string[]): MeshIdentity {
    return createMeshIdentity({
        meshId: "mesh1",
        clusters: names.map((clusterName, i) => ({ clusterName, network: `net${i}`, region: "cn-hangzhou", controlPlane: true })),
    });
}

const FIVE = ["bj", "cd", "hz", "sh", "sz"];

/** Runs one CA under the simulated cloud and returns the recording and the component. */
async function run(args: MeshCertificateAuthorityArgs, name = "ca"): Promise<{ res: SimulationResult; ca: MeshCertificateAuthority }> {
    let ca: MeshCertificateAuthority | undefined;
    const res = await simulate(() => {
        ca = new MeshCertificateAuthority(name, args);
        return {};
    });
    return { res, ca: ca! };
}

const value = async (o: pulumi.Output<string>): Promise<string> => (await resolveOutput(o)).value as string;
const secret = async (o: pulumi.Output<unknown>): Promise<boolean> => (await resolveOutput(o)).isSecret;
const pairs = (rs: RecordedResource[]) => rs.map((r) => `${r.type} ${r.name}`).sort();
const tlsChildren = (res: SimulationResult) => res.resources.filter((r) => TLS_TYPES.has(r.type));

function expectedChildren(name: string, clusters: string[], generatedRoot = true): string[] {
    const out = generatedRoot ? [`${KEY} ${name}-root-key`, `${ROOT_CERT} ${name}-root-cert`] : [];
    for (const c of clusters) out.push(`${KEY} ${name}-${c}-key`, `${CSR} ${name}-${c}-csr`, `${CERT} ${name}-${c}-cert`);
    return out.sort();
}

/** Every string anywhere in `v` that is NOT inside a `Secret`. */
function plainStrings(v: unknown, out: string[] = []): string[] {
    if (v instanceof Secret) return out;
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
    else if (v !== null && typeof v === "object") Object.values(v).forEach((x) => plainStrings(x, out));
    return out;
}

/** Asserts that simulate() failed with exactly this ConfigError message and registered nothing. */
async function assertConfigError(args: MeshCertificateAuthorityArgs, lines: string[]): Promise<void> {
    await assert.rejects(
        simulate(() => {
            new MeshCertificateAuthority("ca", args);
            return {};
        }),
        (e: unknown) => {
            assert.ok(e instanceof SimulationError, String(e));
            const cause = e.errors[0];
            assert.ok(ConfigError.is(cause), String(cause));
            assert.equal(cause.message, [`${HEADING} (${lines.length} problem${lines.length === 1 ? "" : "s"}):`, ...lines.map((l) => `  - ${l}`)].join("\n"));
            assert.deepEqual(
                e.result.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => `${r.type} ${r.name}`),
                [],
            );
            return true;
        },
    );
}

// --- Pure functions ---------------------------------------------------------------------

describe("MeshCertificateAuthority: pure functions", () => {
    it("concatPem puts each block on its own lines, never doubling a newline", () => {
        const table: Array<[string[], string]> = [
            [["A\n", "B\n"], "A\nB\n"],
            [["A", "B"], "A\nB\n"],
            [["A\n", "B"], "A\nB\n"],
            [["A", "", "B\n"], "A\nB\n"],
            [["A\n"], "A\n"],
            [[], ""],
        ];
        for (const [input, want] of table) assert.equal(concatPem(...input), want, JSON.stringify(input));
    });

    it("cacertsSecretData uses exactly the keys of Istio's cacerts Secret", () => {
        assert.deepEqual(cacertsSecretData({ caCertPem: "I", caKeyPem: "K", rootCertPem: "R", certChainPem: "C" }), {
            "ca-cert.pem": "I",
            "ca-key.pem": "K",
            "root-cert.pem": "R",
            "cert-chain.pem": "C",
        });
    });

    it("plans Istio's defaults: RSA 4096, 87600 h root, 17520 h intermediates, O=Istio, control planes only", () => {
        const { identity } = topology(twoRegionRaw()); // hz primary, sh remote
        assert.deepEqual(planMeshCertificateAuthority("ca", { identity }), {
            clusters: ["hz"],
            algorithm: "RSA",
            keyArgs: { algorithm: "RSA", rsaBits: 4096 },
            generateRoot: true,
            rootValidityHours: 87600,
            intermediateValidityHours: 17520,
            organization: "Istio",
        });
    });

    it("plans ECDSA P-384, explicit clusters sorted, a brought root and overrides", () => {
        const plan = planMeshCertificateAuthority("ca", {
            identity: primaries("hz", "sh", "bj"),
            clusters: ["sh", "bj"],
            algorithm: "ECDSA",
            validityHours: { intermediate: 100 },
            root: { certPem: "C", keyPem: "K" },
            organization: "Acme",
        });
        assert.deepEqual(plan, {
            clusters: ["bj", "sh"],
            algorithm: "ECDSA",
            keyArgs: { algorithm: "ECDSA", ecdsaCurve: "P384" },
            generateRoot: false,
            rootValidityHours: 87600,
            intermediateValidityHours: 100,
            organization: "Acme",
        });
    });

    it("collects every problem in one ConfigError with exact messages", () => {
        const table: Array<[MeshCertificateAuthorityArgs, string[]]> = [
            [{ identity: primaries("hz"), clusters: [] }, ["clusters: is empty. Fix: list at least one cluster that runs istiod"]],
            [
                { identity: primaries("hz", "sh"), clusters: ["hz", "gz", "hz"] },
                [
                    'clusters[1]: is not a cluster of the mesh identity (got "gz"). Fix: use one of: hz, sh',
                    'clusters[2]: is listed twice (got "hz"). Fix: list each cluster once',
                ],
            ],
            [
                { identity: primaries("root") },
                [
                    'clusters[0]: would give children named "ca-root-key"/"ca-root-cert", which the generated root CA uses (got "root"). Fix: bring your own root (root) or rename the cluster',
                ],
            ],
            [
                { identity: primaries("hz"), validityHours: { root: 0, intermediate: 1.5 } },
                [
                    "validityHours.intermediate: must be a positive whole number of hours (got 1.5). Fix: use e.g. 17520 (730 days)",
                    "validityHours.root: must be a positive whole number of hours (got 0). Fix: use e.g. 87600 (10 years)",
                ],
            ],
            [
                { identity: primaries("hz"), validityHours: { root: 1000, intermediate: 2000 } },
                [
                    "validityHours.intermediate: must not exceed the root's validity (1000 h): an intermediate cannot outlive the root that signed it (got 2000). Fix: use at most 1000",
                ],
            ],
            [
                { identity: primaries("hz"), root: { certPem: "C", keyPem: "K" }, validityHours: { root: 1000 } },
                ["validityHours.root: has no effect when the root is brought in through root (got 1000). Fix: remove validityHours.root"],
            ],
            [
                { identity: primaries("hz"), algorithm: "DSA" as never, organization: " " },
                [
                    'algorithm: must be RSA or ECDSA (got "DSA"). Fix: use "RSA" (4096-bit) or "ECDSA" (P-384)',
                    'organization: must be a non-empty string (got " "). Fix: use e.g. "Istio"',
                ],
            ],
        ];
        for (const [args, lines] of table) {
            assert.throws(
                () => planMeshCertificateAuthority("ca", args),
                (e: unknown) => {
                    assert.ok(ConfigError.is(e));
                    assert.equal(e.message, [`${HEADING} (${lines.length} problem${lines.length === 1 ? "" : "s"}):`, ...lines.map((l) => `  - ${l}`)].join("\n"));
                    return true;
                },
            );
        }
    });

    it("a root cluster name is fine when the root is brought in", () => {
        assert.deepEqual(planMeshCertificateAuthority("ca", { identity: primaries("root"), root: { certPem: "C", keyPem: "K" } }).clusters, ["root"]);
    });
});

// --- Construction under the simulated cloud ----------------------------------------------------

describe("MeshCertificateAuthority: construction", () => {
    it("registers exactly root key + cert and key/csr/cert per cluster (2 clusters), all parented to the component", async () => {
        const { res } = await run({ identity: primaries("hz", "sh") });
        const comp = res.get(MESH_CERTIFICATE_AUTHORITY_TYPE, "ca");
        assert.equal(comp.custom, false);
        assert.deepEqual(pairs(tlsChildren(res)), expectedChildren("ca", ["hz", "sh"]));
        assert.deepEqual(pairs(res.childrenOf(comp.urn)), expectedChildren("ca", ["hz", "sh"]));
        for (const r of tlsChildren(res)) assert.equal(r.providerUrn, undefined, `${r.name} needs no explicit provider`);
    });

    it("registers exactly 2 + 3×5 children for 5 clusters", async () => {
        const { res } = await run({ identity: primaries(...FIVE) });
        assert.deepEqual(pairs(tlsChildren(res)), expectedChildren("ca", FIVE));
    });

    it("defaults to the identity's control planes", async () => {
        const { res, ca } = await run({ identity: topology(twoRegionRaw()).identity });
        assert.deepEqual(pairs(tlsChildren(res)), expectedChildren("ca", ["hz"]));
        assert.deepEqual(Object.keys(ca.cacerts), ["hz"]);
    });

    it("generates the root as Istio's Makefile does: RSA 4096, CA, CN=Root CA, O=Istio, 87600 h", async () => {
        const { res } = await run({ identity: primaries("hz", "sh") });
        const key = res.get(KEY, "ca-root-key");
        assert.deepEqual(key.inputs, { algorithm: "RSA", rsaBits: 4096 });
        const root = res.get(ROOT_CERT, "ca-root-cert");
        assert.equal(root.inputs.isCaCertificate, true);
        assert.equal(root.inputs.validityPeriodHours, 87600);
        assert.deepEqual(root.inputs.subject, { commonName: "Root CA", organization: "Istio" });
        assert.deepEqual(root.inputs.allowedUses, [...CA_ALLOWED_USES]);
        assert.deepEqual(root.inputs.allowedUses, ["cert_signing", "crl_signing", "digital_signature"]);
        assert.equal(root.inputs.maxPathLength, undefined);
        assert.ok(root.inputs.privateKeyPem instanceof Secret);
        assert.equal(root.inputs.privateKeyPem.value, unwrapSecrets(key.outputs.privateKeyPem));
    });

    it("requests each intermediate with L=<cluster> and the istiod SAN, from the cluster's own key", async () => {
        const { res } = await run({ identity: primaries("hz", "sh") });
        for (const c of ["hz", "sh"]) {
            const csr = res.get(CSR, `ca-${c}-csr`);
            assert.deepEqual(csr.inputs.subject, { commonName: "Intermediate CA", organization: "Istio", locality: c });
            assert.deepEqual(csr.inputs.dnsNames, ["istiod.istio-system.svc"]);
            assert.ok(csr.inputs.privateKeyPem instanceof Secret);
            assert.equal(csr.inputs.privateKeyPem.value, unwrapSecrets(res.get(KEY, `ca-${c}-key`).outputs.privateKeyPem));
            assert.deepEqual(res.get(KEY, `ca-${c}-key`).inputs, { algorithm: "RSA", rsaBits: 4096 });
        }
    });

    it("signs each intermediate as a CA with pathlen 0 with the generated root", async () => {
        const { res } = await run({ identity: primaries("hz", "sh") });
        const rootCertPem = res.get(ROOT_CERT, "ca-root-cert").outputs.certPem;
        const rootKeyPem = unwrapSecrets(res.get(KEY, "ca-root-key").outputs.privateKeyPem);
        for (const c of ["hz", "sh"]) {
            const cert = res.get(CERT, `ca-${c}-cert`);
            assert.equal(cert.inputs.isCaCertificate, true);
            assert.equal(cert.inputs.maxPathLength, 0);
            assert.equal(cert.inputs.validityPeriodHours, 17520);
            assert.deepEqual(cert.inputs.allowedUses, [...CA_ALLOWED_USES]);
            assert.equal(cert.inputs.caCertPem, rootCertPem);
            assert.ok(cert.inputs.caPrivateKeyPem instanceof Secret, "caPrivateKeyPem must be secret");
            assert.equal(cert.inputs.caPrivateKeyPem.value, rootKeyPem);
            assert.equal(cert.inputs.certRequestPem, res.get(CSR, `ca-${c}-csr`).outputs.certRequestPem);
        }
    });

    it("marks every private-key output secret on every PrivateKey", async () => {
        const { res } = await run({ identity: primaries("hz", "sh") });
        const keys = res.byType(KEY);
        assert.equal(keys.length, 3);
        for (const k of keys) {
            for (const o of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) {
                assert.ok(k.additionalSecretOutputs.includes(o), `${k.name} lacks additionalSecretOutputs ${o}`);
                assert.ok(k.outputs[o] instanceof Secret, `${k.name}.${o} is not secret`);
            }
        }
    });

    it("exposes per-cluster cacerts: secret key, chain = intermediate + root, root = the root", async () => {
        const { res, ca } = await run({ identity: primaries("hz", "sh") });
        const root = res.get(ROOT_CERT, "ca-root-cert").outputs.certPem as string;
        assert.equal(await value(ca.rootCertPem), root);
        assert.equal(await secret(ca.rootCertPem), false);
        assert.deepEqual(Object.keys(ca.cacerts), ["hz", "sh"]);
        for (const c of ["hz", "sh"]) {
            const m = ca.cacerts[c];
            const inter = res.get(CERT, `ca-${c}-cert`).outputs.certPem as string;
            assert.equal(await secret(m.caKeyPem), true);
            assert.equal(await value(m.caKeyPem), unwrapSecrets(res.get(KEY, `ca-${c}-key`).outputs.privateKeyPem));
            assert.equal(await value(m.caCertPem), inter);
            assert.equal(await value(m.rootCertPem), root);
            assert.ok(inter.endsWith("\n"));
            assert.equal(await value(m.certChainPem), inter + root);
        }
        // The component registers its outputs with the key still secret.
        const comp = res.get(MESH_CERTIFICATE_AUTHORITY_TYPE, "ca");
        assert.ok((comp.outputs.cacerts as Record<string, Record<string, unknown>>).hz.caKeyPem instanceof Secret);
    });

    it("uses ECDSA P-384 for every key when asked", async () => {
        const { res } = await run({ identity: primaries("hz", "sh"), algorithm: "ECDSA" });
        for (const k of res.byType(KEY)) assert.deepEqual(k.inputs, { algorithm: "ECDSA", ecdsaCurve: "P384" });
    });

    it("appends additional trusted roots to root-cert.pem only, not to cert-chain.pem", async () => {
        const old = "-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----";
        const { res, ca } = await run({ identity: primaries("hz"), additionalTrustedRootCertsPem: [old] });
        const root = res.get(ROOT_CERT, "ca-root-cert").outputs.certPem as string;
        const inter = res.get(CERT, "ca-hz-cert").outputs.certPem as string;
        assert.equal(await value(ca.cacerts.hz.rootCertPem), `${root}${old}\n`);
        assert.equal(await value(ca.cacerts.hz.certChainPem), inter + root);
        assert.equal(await value(ca.rootCertPem), root);
    });
});

describe("MeshCertificateAuthority: bring your own root", () => {
    const ROOT_PEM = "-----BEGIN CERTIFICATE-----\nBYO-ROOT\n-----END CERTIFICATE-----\n";
    const ROOT_KEY = "-----BEGIN RSA PRIVATE KEY-----\nBYO-ROOT-KEY\n-----END RSA PRIVATE KEY-----\n";

    it("registers no root key or certificate and signs every intermediate with the given root", async () => {
        const { res, ca } = await run({ identity: primaries("hz", "sh"), root: { certPem: ROOT_PEM, keyPem: ROOT_KEY } });
        assert.deepEqual(pairs(tlsChildren(res)), expectedChildren("ca", ["hz", "sh"], false));
        assert.equal(res.byType(ROOT_CERT).length, 0);
        for (const c of ["hz", "sh"]) {
            const cert = res.get(CERT, `ca-${c}-cert`);
            assert.equal(cert.inputs.caCertPem, ROOT_PEM);
            assert.ok(cert.inputs.caPrivateKeyPem instanceof Secret);
            assert.equal(cert.inputs.caPrivateKeyPem.value, ROOT_KEY);
            const inter = cert.outputs.certPem as string;
            assert.equal(await value(ca.cacerts[c].certChainPem), inter + ROOT_PEM);
            assert.equal(await value(ca.cacerts[c].rootCertPem), ROOT_PEM);
        }
        assert.equal(await value(ca.rootCertPem), ROOT_PEM);
    });

    it("keeps the given key secret everywhere, even when passed as a plain string", async () => {
        let ca: MeshCertificateAuthority | undefined;
        const res = await simulate(() => {
            ca = new MeshCertificateAuthority("ca", { identity: primaries("hz"), root: { certPem: ROOT_PEM, keyPem: ROOT_KEY } });
            return { cacerts: ca.cacerts, root: ca.rootCertPem };
        });
        for (const r of res.resources) {
            assert.ok(!plainStrings(r.inputs).some((s) => s.includes("BYO-ROOT-KEY")), `${r.name} inputs leak the root key`);
            assert.ok(!plainStrings(r.outputs).some((s) => s.includes("BYO-ROOT-KEY")), `${r.name} outputs leak the root key`);
        }
        assert.ok(!plainStrings(res.outputs).some((s) => s.includes("BYO-ROOT-KEY")));
        assert.ok(!plainStrings(res.outputs).some((s) => s.includes("PRIVATE KEY")), "stack outputs leak an intermediate key");
        assert.equal(await secret(ca!.cacerts.hz.caKeyPem), true);
    });
});

describe("MeshCertificateAuthority: validation, collisions and growth", () => {
    it("fails before registering anything (not even the component) with the exact message", async () => {
        await assertConfigError({ identity: primaries("hz", "sh"), clusters: ["hz", "gz"], validityHours: { intermediate: -1 } }, [
            'clusters[1]: is not a cluster of the mesh identity (got "gz"). Fix: use one of: hz, sh',
            "validityHours.intermediate: must be a positive whole number of hours (got -1). Fix: use e.g. 17520 (730 days)",
        ]);
        await assertConfigError({ identity: primaries("hz"), clusters: [] }, ["clusters: is empty. Fix: list at least one cluster that runs istiod"]);
    });

    it("two instances share no (type, name)", async () => {
        const res = await simulate(() => {
            new MeshCertificateAuthority("east-ca", { identity: primaries("hz", "sh") });
            new MeshCertificateAuthority("west-ca", { identity: primaries("hz", "sh") });
            return {};
        });
        const all = res.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => `${r.type} ${r.name}`);
        assert.equal(new Set(all).size, all.length, "duplicate (type, name)");
        assert.equal(all.length, 2 * (1 + 2 + 3 * 2));
    });

    it("adding a cluster adds exactly its key, CSR and certificate and leaves every other input identical", async () => {
        const before = (await run({ identity: primaries("hz", "sh") })).res;
        const after = (await run({ identity: primaries("hz", "sh", "bj") })).res;
        const b = new Map(tlsChildren(before).map((r) => [`${r.type} ${r.name}`, r]));
        const a = new Map(tlsChildren(after).map((r) => [`${r.type} ${r.name}`, r]));
        const added = [...a.keys()].filter((k) => !b.has(k)).sort();
        assert.deepEqual(added, [`${CERT} ca-bj-cert`, `${CSR} ca-bj-csr`, `${KEY} ca-bj-key`].sort());
        assert.deepEqual([...b.keys()].filter((k) => !a.has(k)), []);
        for (const [k, r] of b) {
            assert.deepEqual(a.get(k)!.inputs, r.inputs, `${k} inputs changed`);
            assert.equal(a.get(k)!.urn, r.urn);
        }
    });
});
