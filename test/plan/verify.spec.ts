/**
 * Verification expectations (plan/verify.ts): the exact checks and expected
 * results of every stack in stacks/, a mesh with several primaries and
 * remotes, the responder rule, the split tolerance and option errors.
 */
import * as assert from "node:assert/strict";
import { ConfigError } from "../../config/errors";
import { BOOKINFO_PORT, DEFAULT_BOOKINFO_NAMESPACE } from "../../components/bookinfoSplit";
import { createMeshIdentity } from "../../components/types";
import { remoteSecretPairs } from "../../components/remoteSecret";
import {
    VERIFY_BOOKINFO_NAMESPACE,
    VERIFY_CLIENT_IMAGE,
    VERIFY_BOOKINFO_PORT,
    VerificationInput,
    VerificationPlan,
    expectedResponders,
    planVerification,
    responderView,
    splitTolerance,
    verificationInputFromConfig,
    verificationRevision,
} from "../../plan/verify";
import { imageSourceWarnings, mirrorList, verifyImageWarning } from "../../plan/images";
import { stackNames, stackRaw, topology } from "../support";

function planOf(env: string, options = {}): VerificationPlan {
    const t = topology(stackRaw(env));
    return planVerification(verificationInputFromConfig(t.config, t.identity, t.network), options);
}

/** `id → expected` of a plan, in order. */
function expectations(p: VerificationPlan): [string, string, string][] {
    return p.checks.map((c) => [c.id, c.cluster, c.expected]);
}

describe("plan/verify", () => {
    it("uses BookinfoSplit's namespace and port", () => {
        assert.equal(VERIFY_BOOKINFO_NAMESPACE, DEFAULT_BOOKINFO_NAMESPACE);
        assert.equal(VERIFY_BOOKINFO_PORT, BOOKINFO_PORT);
    });

    it("plans a check of every kind or says why not, for every stack", () => {
        assert.deepEqual(stackNames(), ["dev", "fleet", "prod", "staging"]);
        for (const env of stackNames()) {
            const p = planOf(env, { failover: true });
            const kinds = new Set([...p.checks.map((c) => c.kind), ...p.skipped.map((s) => s.kind)]);
            assert.deepEqual([...kinds].sort(), ["calls", "discovery", "failover", "ingress", "mtls", "routing"], env);
            assert.equal(new Set(p.checks.map((c) => c.id)).size, p.checks.length, `${env}: unique ids`);
        }
    });

    it("dev (primary-remote, one region, plain): details answered by the remote only", () => {
        const CP = "istio-control-plane";
        const R1 = "istio-remote1";
        const p = planOf("dev");
        assert.deepEqual(expectations(p), [
            [`discovery-${CP}`, CP, `${CP}=synced ${R1}=synced`],
            [`calls-details-${CP}`, CP, `200/200 HTTP 200 from ${R1}, each of ${R1} at least once; endpoints known in ${R1}`],
            [`calls-ratings-${CP}`, CP, `200/200 HTTP 200 from ${CP}, each of ${CP} at least once; endpoints known in ${CP}`],
            [`calls-reviews-${CP}`, CP, `200/200 HTTP 200 from ${CP}, each of ${CP} at least once; endpoints known in ${CP}`],
            [`ingress-${CP}`, CP, "200/200 HTTP 200 for /productpage"],
            [`mtls-${CP}`, CP, "plaintext to productpage refused (connection reset, curl exit 52 or 56)"],
            [`mtls-${R1}`, R1, "plaintext to details refused (connection reset, curl exit 52 or 56)"],
        ]);
        assert.deepEqual(
            p.skipped.map((s) => [s.id, s.reason]),
            [
                [`discovery-${R1}`, `remote: no istiod of its own (its istiod Service forwards 15012/443 to ${CP}); covered by discovery-${CP}`],
                ["routing", "routing is plain, not header-split"],
                ["failover", "routing is plain, not locality-failover"],
            ],
        );
        const details = p.checks.find((c) => c.id === `calls-details-${CP}`);
        assert.deepEqual(details, {
            id: `calls-details-${CP}`,
            kind: "calls",
            cluster: CP,
            namespace: "bookinfo",
            sidecar: true,
            service: "details",
            requests: 200,
            allowed: [R1],
            required: [R1],
            known: [R1],
            expected: `200/200 HTTP 200 from ${R1}, each of ${R1} at least once; endpoints known in ${R1}`,
        });
    });

    it("staging (two regions, locality-failover): callers stay in their region; failover only when asked", () => {
        const p = planOf("staging", { requests: 50 });
        const ids = p.checks.map((c) => c.id);
        assert.deepEqual(ids, [
            "discovery-hangzhou",
            "calls-details-hangzhou",
            "calls-details-shanghai",
            "calls-ratings-hangzhou",
            "calls-ratings-shanghai",
            "calls-reviews-hangzhou",
            "calls-reviews-shanghai",
            "ingress-hangzhou",
            "mtls-hangzhou",
            "mtls-shanghai",
        ]);
        for (const c of p.checks) if (c.kind === "calls") assert.deepEqual([c.allowed, c.required], [[c.cluster], [c.cluster]], c.id);
        // Locality keeps the traffic in region; the caller must still have endpoints in both clusters.
        for (const c of p.checks) if (c.kind === "calls") assert.deepEqual(c.known, ["hangzhou", "shanghai"], c.id);
        assert.deepEqual(p.skipped.find((s) => s.kind === "failover")?.reason, "disruptive: enable with verify.failover (or npm run verify -- <stack> --failover)");

        const f = planOf("staging", { requests: 50, failover: true });
        const failovers = f.checks.filter((c) => c.kind === "failover");
        assert.deepEqual(
            failovers.map((c) => [c.id, c.cluster, c.expected]),
            [
                ["failover-details-cn-hangzhou", "hangzhou", "with details-v1 scaled to 0: 50/50 HTTP 200 from shanghai, each of shanghai at least once"],
                ["failover-details-cn-shanghai", "shanghai", "with details-v1 scaled to 0: 50/50 HTTP 200 from hangzhou, each of hangzhou at least once"],
                ["failover-productpage-cn-hangzhou", "hangzhou", "with productpage-v1 scaled to 0: 50/50 HTTP 200 from shanghai, each of shanghai at least once"],
                ["failover-productpage-cn-shanghai", "shanghai", "with productpage-v1 scaled to 0: 50/50 HTTP 200 from hangzhou, each of hangzhou at least once"],
                ["failover-ratings-cn-hangzhou", "hangzhou", "with ratings-v1 scaled to 0: 50/50 HTTP 200 from shanghai, each of shanghai at least once"],
                ["failover-ratings-cn-shanghai", "shanghai", "with ratings-v1 scaled to 0: 50/50 HTTP 200 from hangzhou, each of hangzhou at least once"],
                ["failover-reviews-cn-hangzhou", "hangzhou", "with reviews-v1 reviews-v2 reviews-v3 scaled to 0: 50/50 HTTP 200 from shanghai, each of shanghai at least once"],
                ["failover-reviews-cn-shanghai", "shanghai", "with reviews-v1 reviews-v2 reviews-v3 scaled to 0: 50/50 HTTP 200 from hangzhou, each of hangzhou at least once"],
            ],
        );
    });

    it("prod (multi-primary, header-split): both istiods see both clusters; jason gets v2/v3 within 2√K of K/2", () => {
        const p = planOf("prod");
        assert.deepEqual(expectations(p), [
            ["discovery-beijing", "beijing", "beijing=synced shanghai=synced"],
            ["discovery-shanghai", "shanghai", "beijing=synced shanghai=synced"],
            ["calls-details-beijing", "beijing", "200/200 HTTP 200 from beijing, each of beijing at least once; endpoints known in beijing"],
            ["calls-ratings-shanghai", "shanghai", "200/200 HTTP 200 from shanghai, each of shanghai at least once; endpoints known in net:network-beijing shanghai"],
            ["calls-reviews-beijing", "beijing", "200/200 HTTP 200 from beijing, each of beijing at least once; endpoints known in beijing net:network-shanghai"],
            ["ingress-beijing", "beijing", "200/200 HTTP 200 for /productpage"],
            ["ingress-shanghai", "shanghai", "200/200 HTTP 200 for /productpage"],
            ["routing-jason-beijing", "beijing", "only v2 v3, v2 72..128 of 200"],
            ["routing-others-beijing", "beijing", "only v1, 200 of 200"],
            ["mtls-beijing", "beijing", "plaintext to details refused (connection reset, curl exit 52 or 56)"],
            ["mtls-shanghai", "shanghai", "plaintext to ratings refused (connection reset, curl exit 52 or 56)"],
        ]);
        const jason = p.checks.find((c) => c.id === "routing-jason-beijing");
        assert.deepEqual(jason?.kind === "routing" && [jason.user, jason.versions, jason.v2Count], ["jason", ["v2", "v3"], { min: 72, max: 128 }]);
    });

    it("fleet (multi-primary-remote, two networks): every primary lists all six clusters; answers from the other network count as that network", () => {
        const p = planOf("fleet");
        const all = "bj-apps-1=synced bj-apps-2=synced bj-primary=synced sh-apps-1=synced sh-apps-2=synced sh-primary=synced";
        assert.deepEqual(expectations(p), [
            ["discovery-bj-primary", "bj-primary", all],
            ["discovery-sh-primary", "sh-primary", all],
            ["calls-details-bj-apps-1", "bj-apps-1", "200/200 HTTP 200 from net:net-shanghai, each of net:net-shanghai at least once; endpoints known in net:net-shanghai"],
            ["calls-ratings-sh-apps-1", "sh-apps-1", "200/200 HTTP 200 from sh-apps-2, each of sh-apps-2 at least once; endpoints known in net:net-beijing sh-apps-2"],
            ["calls-ratings-sh-apps-2", "sh-apps-2", "200/200 HTTP 200 from sh-apps-2, each of sh-apps-2 at least once; endpoints known in net:net-beijing sh-apps-2"],
            ["calls-reviews-bj-apps-1", "bj-apps-1", "200/200 HTTP 200 from bj-apps-1, each of bj-apps-1 at least once; endpoints known in bj-apps-1 net:net-shanghai"],
            ["ingress-bj-primary", "bj-primary", "200/200 HTTP 200 for /productpage"],
            ["ingress-sh-primary", "sh-primary", "200/200 HTTP 200 for /productpage"],
            ["routing-jason-bj-apps-1", "bj-apps-1", "only v2 v3, v2 72..128 of 200"],
            ["routing-others-bj-apps-1", "bj-apps-1", "only v1, 200 of 200"],
            ["mtls-bj-apps-1", "bj-apps-1", "plaintext to productpage refused (connection reset, curl exit 52 or 56)"],
            ["mtls-bj-apps-2", "bj-apps-2", "plaintext to ratings refused (connection reset, curl exit 52 or 56)"],
            ["mtls-sh-apps-1", "sh-apps-1", "plaintext to details refused (connection reset, curl exit 52 or 56)"],
            ["mtls-sh-apps-2", "sh-apps-2", "plaintext to ratings refused (connection reset, curl exit 52 or 56)"],
        ]);
        assert.deepEqual(
            p.skipped.filter((s) => s.kind === "discovery").map((s) => s.id),
            ["discovery-bj-apps-1", "discovery-bj-apps-2", "discovery-sh-apps-1", "discovery-sh-apps-2"],
        );
        // The rule is the remote-secret rule: each primary watches every other cluster.
        const t = topology(stackRaw("fleet"));
        for (const c of p.checks.filter((x) => x.kind === "discovery")) {
            const watched = remoteSecretPairs(t.identity).filter((x) => x.watcher === c.cluster).map((x) => `${x.target}=synced`);
            assert.deepEqual(c.kind === "discovery" && c.entries, [...watched, `${c.cluster}=synced`].sort());
        }
    });

    it("several primaries with remotes: each primary's istiod lists every cluster; remotes are not queried", () => {
        const identity = createMeshIdentity({
            meshId: "fleet",
            clusters: [
                { clusterName: "p1", network: "n1", region: "cn-hangzhou", controlPlane: true },
                { clusterName: "p2", network: "n2", region: "cn-shanghai", controlPlane: true },
                { clusterName: "r1", network: "n1", region: "cn-hangzhou", controlPlane: false, controlledBy: "p1" },
                { clusterName: "r2", network: "n2", region: "cn-shanghai", controlPlane: false, controlledBy: "p2" },
            ],
        });
        const input: VerificationInput = { identity, podRanges: {}, ingressClusters: ["p1"], mtls: "PERMISSIVE" };
        const p = planVerification(input);
        assert.deepEqual(expectations(p), [
            ["discovery-p1", "p1", "p1=synced p2=synced r1=synced r2=synced"],
            ["discovery-p2", "p2", "p1=synced p2=synced r1=synced r2=synced"],
        ]);
        assert.deepEqual(
            p.skipped.map((s) => s.id),
            ["discovery-r1", "discovery-r2", "calls", "ingress", "routing", "mtls", "failover"],
        );
    });

    it("every check it does not plan has a skip entry; those the config asked for are warnings", () => {
        // verify.failover with routing that has no failover: asked for, cannot run.
        const prod = planOf("prod", { failover: true });
        assert.deepEqual(prod.skipped.find((s) => s.kind === "failover"), {
            id: "failover", kind: "failover", warning: true, reason: "routing is header-split, not locality-failover: verify.failover has nothing to check",
        });
        assert.equal(planOf("prod").skipped.find((s) => s.kind === "failover")?.warning, false);
        // A cluster without a Bookinfo service has no local plaintext target for the mTLS check.
        const fleet = planOf("fleet");
        assert.deepEqual(
            fleet.skipped.filter((s) => s.kind === "mtls").map((s) => [s.id, s.warning, s.reason]),
            [
                ["mtls-bj-primary", false, "no Bookinfo service runs in bj-primary (no local plaintext target)"],
                ["mtls-sh-primary", false, "no Bookinfo service runs in sh-primary (no local plaintext target)"],
            ],
        );
        // A failover pair where a service runs on one side only.
        const t = topology(stackRaw("staging"));
        const input = verificationInputFromConfig(t.config, t.identity, t.network);
        const shanghaiOnly = { ...input.bookinfo!, placement: { ...input.bookinfo!.placement, "details-v1": ["shanghai"] } };
        const p = planVerification({ ...input, bookinfo: shanghaiOnly }, { failover: true });
        assert.deepEqual(
            p.skipped.filter((s) => s.id.startsWith("failover-details")).map((s) => [s.id, s.warning, s.reason]),
            [
                ["failover-details-cn-hangzhou", false, "details does not run in cn-hangzhou: nothing to fail over from"],
                ["failover-details-cn-shanghai", false, "details does not run in cn-hangzhou: nothing to fail over to"],
            ],
        );
    });

    it("expectedResponders: local region first, then the failover region, else every cluster", () => {
        const region: Record<string, string> = { a: "r1", b: "r1", c: "r2", d: "r3" };
        const of = (c: string) => region[c];
        assert.deepEqual(expectedResponders(["a", "c"], "r1", of), { allowed: ["a"], required: ["a"] });
        // Two clusters in the caller's region: the caller's zone decides, so neither is required.
        assert.deepEqual(expectedResponders(["b", "a", "c"], "r1", of), { allowed: ["a", "b"], required: [] });
        assert.deepEqual(expectedResponders(["c", "d"], "r1", of), { allowed: ["c", "d"], required: ["c", "d"] });
        assert.deepEqual(expectedResponders(["c", "d"], "r1", of, [{ from: "r1", to: "r3" }]), { allowed: ["d"], required: ["d"] });
        assert.deepEqual(expectedResponders(["c"], "r1", of, [{ from: "r1", to: "r3" }]), { allowed: ["c"], required: ["c"] });
    });

    it("responderView: a cluster of another network is seen as that network", () => {
        const identity = createMeshIdentity({
            meshId: "m",
            clusters: [
                { clusterName: "a", network: "n1", region: "r1", controlPlane: true },
                { clusterName: "b", network: "n1", region: "r1", controlPlane: false, controlledBy: "a" },
                { clusterName: "c", network: "n2", region: "r2", controlPlane: true },
                { clusterName: "d", network: "n2", region: "r2", controlPlane: false, controlledBy: "c" },
            ],
        });
        assert.deepEqual(responderView({ allowed: ["b", "c", "d"], required: ["c"] }, "a", identity), { allowed: ["b", "net:n2"], required: ["net:n2"] });
        assert.deepEqual(responderView({ allowed: ["c", "d"], required: [] }, "d", identity), { allowed: ["c", "d"], required: [] });
    });

    it("splitTolerance: K/2 ± 2√K", () => {
        assert.deepEqual(splitTolerance(200), { min: 72, max: 128 });
        assert.deepEqual(splitTolerance(100), { min: 30, max: 70 });
        assert.deepEqual(splitTolerance(20), { min: 2, max: 18 });
        assert.deepEqual(splitTolerance(10000), { min: 4800, max: 5200 });
    });

    it("rejects a bad request count with the path, the value and the fix", () => {
        const t = topology(stackRaw("dev"));
        const input = verificationInputFromConfig(t.config, t.identity, t.network);
        assert.throws(
            () => planVerification(input, { requests: 5 }),
            (e: unknown) =>
                ConfigError.is(e) &&
                e.message ===
                    "Invalid ack-mesh configuration (1 problem):\n  - verify.requests: must be an integer from 20 to 10000 (got 5). Fix: use 200 (the routing check's tolerance needs at least 20 answers)",
        );
    });

    it("npm run plan -- --images lists the client image always (npm run verify pulls it too), the configured one when set", () => {
        const off = topology(stackRaw("prod")).config;
        assert.ok(mirrorList(off, true).images.includes(VERIFY_CLIENT_IMAGE));
        const on = topology({ ...stackRaw("prod"), verify: { enabled: true } }).config;
        assert.ok(mirrorList(on, true).images.includes(VERIFY_CLIENT_IMAGE));
        const mirror = `registry.cn-beijing.aliyuncs.com/mesh/curl:8.16.0@sha256:${"a".repeat(64)}`;
        const mirrored = topology({ ...stackRaw("prod"), verify: { enabled: false, image: mirror } }).config;
        assert.ok(mirrorList(mirrored, true).images.includes(mirror));
        assert.equal(mirrorList(mirrored, true).images.includes(VERIFY_CLIENT_IMAGE), false);
        assert.throws(() => topology({ ...stackRaw("prod"), verify: { enabled: true, image: "curl:latest" } }), /verify\.image: must be pinned by digest/);
    });

    it("warns when mainland-China clusters would pull the client image from Docker Hub (pulumi up with verify.enabled, and npm run verify)", () => {
        const mirrors = { images: { istioHub: "registry.cn-hangzhou.aliyuncs.com/mesh", bookinfoRegistry: "registry.cn-hangzhou.aliyuncs.com/demo", chartRepository: "oci://registry.cn-hangzhou.aliyuncs.com/charts" } };
        const expected =
            `the verification client image ${VERIFY_CLIENT_IMAGE} comes from docker.io, on the internet outside China, which clusters in mainland-China regions cannot reliably reach: ` +
            "istio-control-plane (cn-hangzhou), istio-remote1 (cn-hangzhou). The verification Jobs will stay in ImagePullBackOff until they time out. " +
            "Mirror it (npm run plan -- <stack> --images; docs/mirror.md) and set ack-mesh:verify.image to the mirror's reference, with its digest.";
        const enabled = topology({ ...stackRaw("dev"), ...mirrors, verify: { enabled: true } }).config;
        assert.deepEqual(imageSourceWarnings(enabled), [expected]);
        assert.equal(verifyImageWarning(enabled), expected);
        // Off during pulumi up: no warning there, but npm run verify still asks.
        const disabled = topology({ ...stackRaw("dev"), ...mirrors }).config;
        assert.deepEqual(imageSourceWarnings(disabled), []);
        assert.equal(verifyImageWarning(disabled), expected);
        // A registry-less reference is Docker Hub too; a mirror is fine.
        assert.match(verifyImageWarning(disabled, `curlimages/curl:8.16.0@sha256:${"b".repeat(64)}`) ?? "", /comes from docker\.io/);
        assert.equal(verifyImageWarning(topology({ ...stackRaw("dev"), verify: { image: `registry.cn-hangzhou.aliyuncs.com/mesh/curl:8.16.0@sha256:${"a".repeat(64)}` } }).config), undefined);
        // No mainland-China cluster: nothing to say.
        const eu = topology({ ...stackRaw("dev"), verify: { enabled: true } }).config;
        const euConfig = { ...eu, clusters: Object.fromEntries(Object.entries(eu.clusters).map(([k, c]) => [k, { ...c, region: "eu-central-1" }])) };
        assert.equal(verifyImageWarning(euConfig), undefined);
    });

    it("verificationRevision: every setting that can change traffic re-runs the checks; tags, names and protection do not", () => {
        const raw = stackRaw("dev") as Record<string, any>;
        const rev = (r: Record<string, unknown>) => {
            const t = topology(r);
            return verificationRevision(t.config, t.identity);
        };
        const base = rev(raw);
        assert.match(base, /^[0-9a-f]{16}$/);
        const cluster = (patch: Record<string, unknown>) => ({ ...raw, clusters: { ...raw.clusters, "istio-remote1": { ...raw.clusters["istio-remote1"], ...patch } } });
        for (const [what, changed] of [
            ["cen", { ...raw, cen: { bandwidthMbps: 20 } }],
            ["securityGroups", { ...raw, securityGroups: { maxRulesPerGroup: 50 } }],
            ["a cluster's node pools", cluster({ nodePools: { default: { size: 4 } } })],
            ["Bookinfo", { ...raw, bookinfo: { ...raw.bookinfo, tag: "1.20.2" } }],
        ] as [string, Record<string, unknown>][]) {
            assert.notEqual(rev(changed), base, what);
        }
        for (const [what, same] of [
            ["tags", cluster({ tags: { team: "mesh" } })],
            ["displayName", cluster({ displayName: "Renamed" })],
            ["deletionProtection", cluster({ deletionProtection: true })],
            ["protect", { ...raw, protect: true }],
            ["verify", { ...raw, verify: { enabled: true, requests: 300 } }],
        ] as [string, Record<string, unknown>][]) {
            assert.equal(rev(same), base, what);
        }
    });

    it("without Bookinfo only discovery runs", () => {
        const t = topology({ ...stackRaw("prod"), bookinfo: { enabled: false } });
        const p = planVerification(verificationInputFromConfig(t.config, t.identity, t.network));
        assert.deepEqual(p.checks.map((c) => c.id), ["discovery-beijing", "discovery-shanghai"]);
        assert.deepEqual(p.skipped.map((s) => s.reason), Array(5).fill("Bookinfo is not deployed (bookinfo.enabled: false)"));
    });
});
