/**
 * Secrets audit over every stack's recorded plan (inputs and outputs of every registration and
 * read, and the stack exports).
 *
 * 1. **Where credentials are known to live**, they are a `Secret`: the kubeconfig input of every
 *    Kubernetes provider, the kubeconfig output of every AckCluster, the `kubeconfigs` export, the
 *    `data` of every service-account token Secret (the reader tokens), the `stringData` of every
 *    remote secret and of every `cacerts` Secret (`ca-key.pem`), every TLS private key output, and
 *    the Alibaba credentials of every provider.
 * 2. **By content**, wherever they are: any string holding a private key (`PRIVATE KEY-----`),
 *    client-certificate auth (`client-key-data`), bearer-token auth (`token: …`), a JWT (`eyJ….…`),
 *    or base64 of any of these, occurs only inside a `Secret`. The heuristics are checked to fire
 *    (inside secrets), so a silently dead heuristic fails too.
 * 3. **The redacted canonical plan** (what `npm run plan -- --json` writes, what a PR shows) holds
 *    none of those markers, and none of the credential values (each single-line key body, token,
 *    client key) appears anywhere in its text or in the redacted stack outputs.
 *
 * Invoke results (`cs.getClusterCredential`) are not scanned: the engine does not persist them;
 * what the program derives from them is scanned where it is stored.
 */
import * as assert from "node:assert/strict";
import { canonicalPlan, RecordedResource, Secret, SimulationResult, stableStringify, stackNames } from "../support";
import { metaName, namespaced, PROJECT, rawOfStack, simulateConfig, simulateStack, T } from "./support";

/** Content that is a credential wherever it appears. */
const MARKERS: ReadonlyArray<[string, RegExp]> = [
    ["private key", /PRIVATE KEY-----/],
    ["client key of a kubeconfig", /client-key-data/],
    ["bearer token of a kubeconfig", /(^|\s)token:\s*\S/m],
    ["JWT", /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
];

/** Markers in `s`, also looking inside base64. */
function markersIn(s: string): string[] {
    const found = MARKERS.filter(([, re]) => re.test(s)).map(([what]) => what);
    const compact = s.replace(/\s+/g, "");
    if (compact.length >= 40 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
        const decoded = Buffer.from(compact, "base64").toString("latin1");
        for (const [what, re] of MARKERS) if (re.test(decoded)) found.push(`base64 of ${what}`);
    }
    return found;
}

interface Hit {
    readonly where: string;
    readonly inSecret: boolean;
    readonly what: string;
    readonly value: string;
}

/** Every string leaf of `value` with a marker, with whether it sits inside a Secret. */
function scan(value: unknown, where: string, hits: Hit[], inSecret = false): void {
    if (value instanceof Secret) return scan(value.value, `${where}<secret>`, hits, true);
    if (typeof value === "string") {
        for (const what of markersIn(value)) hits.push({ where, inSecret, what, value });
        return;
    }
    if (Array.isArray(value)) return value.forEach((x, i) => scan(x, `${where}[${i}]`, hits, inSecret));
    if (value !== null && typeof value === "object") {
        for (const [k, x] of Object.entries(value)) scan(x, `${where}.${k}`, hits, inSecret);
    }
}

function scanResult(r: SimulationResult): Hit[] {
    const hits: Hit[] = [];
    for (const x of [...r.resources, ...r.reads]) {
        scan(x.inputs, `${x.name} (${x.type}) inputs`, hits);
        scan(x.outputs, `${x.name} (${x.type}) outputs`, hits);
    }
    scan(r.outputs, "stack outputs", hits);
    return hits;
}

/** Single-line pieces of credential values: PEM body lines, kubeconfig client keys and tokens, JWTs. */
function needles(hits: Hit[]): Set<string> {
    const out = new Set<string>();
    for (const h of hits.filter((x) => x.inSecret)) {
        for (const m of h.value.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n([^\n]{16,})/g)) out.add(m[1].trim());
        for (const m of h.value.matchAll(/client-key-data:\s*(\S{16,})/g)) out.add(m[1]);
        for (const m of h.value.matchAll(/(?:^|\s)token:\s*(\S{16,})/gm)) out.add(m[1]);
        for (const m of h.value.matchAll(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g)) out.add(m[0]);
    }
    return out;
}

/** Registrations of a type (from `resources`, so a tampered copy of a result is honoured). */
function ofType(r: SimulationResult, type: string): RecordedResource[] {
    return r.resources.filter((x) => x.type === type);
}

/** Fails unless `value` (the value at a credential position) is a Secret, or absent. */
function assertSecret(value: unknown, where: string): void {
    if (value === undefined) return;
    assert.ok(value instanceof Secret, `${where} must be a Secret, got ${typeof value === "string" ? JSON.stringify(value.slice(0, 60)) : typeof value}`);
}

/** Every known credential position of a simulation; returns how many were checked. */
function assertKnownPositions(r: SimulationResult): number {
    let checked = 0;
    const at = (value: unknown, where: string) => {
        assert.notEqual(value, undefined, `${where} is recorded`);
        assertSecret(value, where);
        checked++;
    };
    for (const p of ofType(r, T.k8sProvider)) {
        at(p.inputs.kubeconfig, `kubernetes provider ${p.name} input kubeconfig`);
        assertSecret(p.outputs.kubeconfig, `kubernetes provider ${p.name} output kubeconfig`);
    }
    for (const c of ofType(r, T.ackCluster)) at(c.outputs.kubeconfig, `AckCluster ${c.name} output kubeconfig`);
    at(r.outputs.kubeconfigs, "stack output kubeconfigs");
    for (const s of ofType(r, T.secret)) {
        const annotations = ((s.inputs.metadata as Record<string, unknown>)?.annotations ?? {}) as Record<string, string>;
        const labels = ((s.inputs.metadata as Record<string, unknown>)?.labels ?? {}) as Record<string, string>;
        if (s.inputs.type === "kubernetes.io/service-account-token") {
            assert.ok(annotations["kubernetes.io/service-account.name"], `${s.name} names its service account`);
            at(s.outputs.data, `service-account token ${s.name} output data`);
        }
        if (labels["istio/multiCluster"] === "true") {
            at(s.inputs.stringData, `remote secret ${s.name} input stringData`);
            at(s.outputs.stringData, `remote secret ${s.name} output stringData`);
        }
        if (metaName(s.inputs) === "cacerts") {
            at(s.inputs.stringData, `cacerts ${s.name} input stringData`);
            at(s.outputs.stringData, `cacerts ${s.name} output stringData`);
        }
    }
    for (const k of ofType(r, T.tlsKey)) {
        for (const f of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) at(k.outputs[f], `TLS private key ${k.name} output ${f}`);
    }
    for (const p of ofType(r, T.aliProvider)) {
        for (const f of ["accessKey", "secretKey", "securityToken"]) assertSecret(p.inputs[f], `alicloud provider ${p.name} input ${f}`);
    }
    return checked;
}

function assertNoPlainCredentials(stack: string, r: SimulationResult): void {
    const hits = scanResult(r);
    const plain = hits.filter((h) => !h.inSecret);
    assert.deepEqual(plain.map((h) => `${h.what} in plain text at ${h.where}`), [], `${stack}: credentials outside a Secret`);
    const json = stableStringify(canonicalPlan(r, { stack, project: PROJECT }));
    const outputs = stableStringify(r.outputs);
    for (const [what, re] of MARKERS) {
        assert.ok(!re.test(json), `${stack}: the canonical plan JSON shows a ${what}`);
        assert.ok(!re.test(outputs), `${stack}: the redacted stack outputs show a ${what}`);
    }
    const leaked = [...needles(hits)].filter((n) => json.includes(n) || outputs.includes(n));
    assert.deepEqual(leaked, [], `${stack}: credential values appear in the redacted plan or outputs`);
}

describe("reliability: secrets audit", function () {
    this.timeout(120_000);

    for (const stack of stackNames()) {
        describe(stack, () => {
            it("every kubeconfig, token, remote-secret kubeconfig, CA private key and provider credential is a Secret where it is stored", async () => {
                const r = await simulateStack(stack);
                const checked = assertKnownPositions(r);
                assert.ok(checked >= 6, `only ${checked} credential positions found: the audit lost track of the resources`);
            });

            it("no credential-looking content (private keys, client keys, tokens, JWTs, base64 of them) is anywhere outside a Secret", async () => {
                assertNoPlainCredentials(stack, await simulateStack(stack));
            });

            it("the heuristics fire: the stack's credentials are found, inside secrets", async () => {
                const r = await simulateStack(stack);
                const hits = scanResult(r);
                const kinds = new Set(hits.filter((h) => h.inSecret).map((h) => h.what));
                const expected = ["client key of a kubeconfig", "bearer token of a kubeconfig", "JWT"];
                // A private key exists only with a plug-in CA (a shared root).
                if (ofType(r, T.tlsKey).length) expected.push("private key");
                for (const k of expected) assert.ok(kinds.has(k), `no ${k} found at all in ${stack}`);
                // One client key per cluster kubeconfig, one JWT per reader token (only clusters another cluster reads mint one).
                const clusters = ofType(r, T.k8sProvider).length;
                const tokens = ofType(r, T.secret).filter((s) => s.inputs.type === "kubernetes.io/service-account-token").length;
                assert.ok(clusters >= 2 && tokens >= 1, `${stack}: ${clusters} clusters and ${tokens} reader tokens recorded`);
                assert.ok(needles(hits).size >= clusters + tokens, `credential values are extracted for the leak search (${needles(hits).size} < ${clusters} + ${tokens})`);
            });
        });
    }

    it("Alibaba credentials from secret stack config stay secret on every regional provider and out of the plan", async () => {
        const raw = rawOfStack("staging");
        const config = {
            ...namespaced(raw),
            "alicloud:accessKey": "LTAI5tSimulatedAccessKeyId01",
            "alicloud:secretKey": "SimulatedSecretKeyValue0123456789abcd",
        };
        const r = await simulateConfig("staging", config, ["alicloud:accessKey", "alicloud:secretKey"]);
        const providers = ofType(r, T.aliProvider);
        assert.ok(providers.length >= 2);
        for (const p of providers) {
            for (const f of ["accessKey", "secretKey"]) {
                assert.ok(p.inputs[f] instanceof Secret, `${p.name}.${f} must be a Secret`);
                assert.equal((p.inputs[f] as Secret).value, config[`alicloud:${f}` as "alicloud:accessKey"]);
            }
        }
        const json = stableStringify(canonicalPlan(r, { stack: "staging", project: PROJECT })) + stableStringify(r.outputs);
        for (const v of [config["alicloud:accessKey"], config["alicloud:secretKey"]]) assert.ok(!json.includes(v), "an Alibaba credential leaks into the plan");
        assertNoPlainCredentials("staging", r);
    });

    it("a root CA key from secret stack config (mesh.ca.source: config) stays secret everywhere and out of the plan", async () => {
        // A real PEM pair: the root generated by the prod stack.
        const prod = await simulateStack("prod");
        const rootKey = ofType(prod, T.tlsKey).find((k) => k.name === "mesh-ca-root-key");
        const rootCert = prod.resources.find((x) => x.name === "mesh-ca-root-cert");
        assert.ok(rootKey && rootCert, "prod generates a root CA");
        const keyPem = (rootKey.outputs.privateKeyPem as Secret).value as string;
        const raw = rawOfStack("prod");
        raw.mesh.ca.source = "config";
        const r = await simulateConfig("prod", { ...namespaced(raw), "ack-mesh:caRootCert": rootCert.outputs.certPem, "ack-mesh:caRootKey": keyPem }, ["ack-mesh:caRootCert", "ack-mesh:caRootKey"]);
        assert.equal(ofType(r, T.tlsKey).some((k) => k.name === "mesh-ca-root-key"), false, "the root key is not generated");
        const hits = scanResult(r);
        assert.ok(hits.some((h) => h.inSecret && h.value.includes(keyPem.split("\n")[1])), "the configured root key is used, inside a Secret");
        assertNoPlainCredentials("prod", r);
        const json = stableStringify(canonicalPlan(r, { stack: "prod", project: PROJECT }));
        assert.ok(!json.includes(keyPem.split("\n")[1]), "the configured root key leaks into the plan");
    });

    it("the audit can fail: a kubeconfig copied into a plain input is caught by content and in the plan JSON", async () => {
        const r = await simulateStack("dev");
        const provider = ofType(r, T.k8sProvider)[0];
        const kubeconfig = (provider.inputs.kubeconfig as Secret).value as string;
        const tampered: RecordedResource = { ...provider, inputs: { ...provider.inputs, kubeconfig } };
        const fake = { ...r, resources: r.resources.map((x) => (x === provider ? tampered : x)) } as SimulationResult;
        assert.throws(() => assertNoPlainCredentials("dev", fake), /client key of a kubeconfig in plain text/);
        assert.throws(() => assertKnownPositions(fake), /must be a Secret/);
    });
});
