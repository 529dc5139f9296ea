/**
 * Istio revisions: the pure model (config/revisions.ts: exact problems and defaults), the objects
 * (components/istioRevisions.ts: the tag webhook as the chart renders it, the per-revision
 * VirtualService, strictly valid), and IstioMesh with revisions under the simulated cloud (exact
 * children, versions, dependency edges, no name collisions between clusters).
 */
import * as assert from "node:assert/strict";
import { ConfigError } from "../../config/errors";
import { tryParseStackConfig } from "../../config/load";
import { mirrorList } from "../../plan/images";
import { IstioRevisionSet, compareIstioVersions, istiodNameOf, newestIstioVersion, resolveRevisionSet, revisionNameOf, revisionSetProblems } from "../../config/revisions";
import { bookinfoNamespace } from "../../components/bookinfoSplit";
import { ISTIO_MESH_TYPE, IstioMesh } from "../../components/istioMesh";
import { planIstioControlPlane } from "../../components/istioControlPlane";
import { resolveIstioRemoteArgs } from "../../components/istioRemote";
import { istiodRevisionVirtualService, revisionTagWebhook, revisionTagWebhookName } from "../../components/istioRevisions";
import { withGatewayRevision } from "../../components/istioValues";
import { ClusterHandle, clusterHandleFromKubeconfig } from "../../components/types";
import { K8S, simulate, topology, twoRegionRaw } from "../support";
import { validateIstio } from "../support/istioSchemas";

const WEBHOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";

describe("Istio revisions: the model", () => {
    it("compares versions numerically and names revisions as Istio's docs do", () => {
        assert.ok(compareIstioVersions("1.9.0", "1.10.0") < 0);
        assert.equal(compareIstioVersions("1.31.0", "1.31.0"), 0);
        assert.equal(newestIstioVersion(["1.30.3", "1.31.0", "1.9.9"]), "1.31.0");
        assert.equal(revisionNameOf("1.31.0"), "1-31-0");
        assert.deepEqual([istiodNameOf("default"), istiodNameOf("1-31-0")], ["istiod", "istiod-1-31-0"]);
    });

    it("resolves the defaults: default tag stable, base the newest installed version", () => {
        assert.deepEqual(resolveRevisionSet({ installed: { "1-31-0": "1.31.0", default: "1.30.3" }, tags: { stable: "default", canary: "1-31-0" } }), {
            installed: { "1-31-0": "1.31.0", default: "1.30.3" },
            tags: { canary: "1-31-0", stable: "default" },
            defaultTag: "stable",
            defaultRevision: "default",
            base: "1.31.0",
        });
    });

    it("accepts a valid set", () => {
        assert.deepEqual(revisionSetProblems({ installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "1-31-0" }, base: "1.31.0" }, "revisions"), []);
    });

    it("reports every problem of a bad set, with paths, values and fixes", () => {
        const problems = revisionSetProblems({ installed: { Canary: "1.31", "1-31-0": "1.31.0" }, tags: { default: "1-31-0", "1-31-0": "1-31-0", beta: "1-30-3" }, base: "1.30.3" }, "mesh.revisions");
        assert.equal(
            new ConfigError(problems).message,
            [
                "Invalid ack-mesh configuration (6 problems):",
                "  - mesh.revisions.base: is older than revision 1-31-0 (1.31.0): the CRDs must be at least as new as the newest control plane (got \"1.30.3\"). Fix: set it to 1.31.0 or newer, or remove it (default: the newest installed version)",
                '  - mesh.revisions.defaultTag: names tag "stable", which is not in mesh.revisions.tags (tags: default, 1-31-0, beta); the gateways follow it and its revision validates Istio config (got "stable"). Fix: add mesh.revisions.tags.stable: <revision>, or set mesh.revisions.defaultTag to one of the tags',
                "  - mesh.revisions.installed.Canary: revision names must be DNS-1123 labels of at most 40 characters (they name the istiod-<rev> release and Service). Fix: name it after its version, e.g. 1-31-0",
                '  - mesh.revisions.installed.Canary: is not an exact Istio release (got "1.31"). Fix: quote it, e.g. "1.31.0" (an unquoted 1.30 is the YAML number 1.3)',
                "  - mesh.revisions.tags.1-31-0: has the name of an installed revision: istio.io/rev=1-31-0 would be ambiguous. Fix: rename the tag or the revision",
                '  - mesh.revisions.tags.beta: points at revision "1-30-3", which is not installed (installed: Canary, 1-31-0); its webhook would inject from an istiod that does not exist (got "1-30-3"). Fix: keep revision 1-30-3 in mesh.revisions.installed until no tag points at it: move the tag first (mesh.revisions.tags.beta: <another revision>), pulumi up, restart the workloads, then remove the revision',
            ].join("\n"),
        );
    });

    it("tag default hands istio-injection=enabled (and the revision-less istio.io/rev=default) to another revision; pointed at the revision-less install it is an error", () => {
        assert.deepEqual(revisionSetProblems({ installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "1-31-0", default: "1-31-0" } }, "revisions"), []);
        assert.equal(
            new ConfigError(revisionSetProblems({ installed: { default: "1.30.3" }, tags: { stable: "default", default: "default" } }, "mesh.revisions")).message,
            "Invalid ack-mesh configuration (1 problem):\n" +
                '  - mesh.revisions.tags.default: points at the revision-less control plane, which already injects namespaces labelled istio-injection=enabled (got "default"). ' +
                "Fix: remove it; set tags.default to another revision to hand istio-injection=enabled over to that revision (docs/upgrade.md, step 2)",
        );
    });
});

describe("Istio revisions: the stack config", () => {
    const raw = (mesh: Record<string, unknown>, bookinfo: Record<string, unknown> = {}) => ({
        ...twoRegionRaw(),
        mesh: { id: "mesh1", topology: "primary-remote", ...mesh },
        bookinfo: { enabled: true, placement: { "productpage-v1": ["hz"], "details-v1": ["hz"], "ratings-v1": ["hz"], "reviews-v1": ["hz"], "reviews-v2": ["hz"], "reviews-v3": ["hz"] }, ...bookinfo },
    });

    it("without mesh.revisions Bookinfo keeps istio-injection; with them it follows the default tag unless it names one", () => {
        assert.equal(tryParseStackConfig(raw({})).config!.bookinfo.namespaceTag, undefined);
        const revisions = { installed: { default: "1.30.3" }, tags: { stable: "default", canary: "default" } };
        assert.equal(tryParseStackConfig(raw({ revisions })).config!.bookinfo.namespaceTag, "stable");
        assert.equal(tryParseStackConfig(raw({ revisions }, { revisionTag: "canary" })).config!.bookinfo.namespaceTag, "canary");
    });

    it("bookinfo.revisionTag without mesh.revisions, or naming a revision instead of a tag, is an error", () => {
        assert.deepEqual(tryParseStackConfig(raw({}, { revisionTag: "stable" })).error!.problems, [
            { path: "bookinfo.revisionTag", value: "stable", message: "selects a revision tag, but the mesh has no revisions (mesh.revisions is unset)", fix: "remove it, or set mesh.revisions (docs/upgrade.md)" },
        ]);
        const e = tryParseStackConfig(raw({ revisions: { installed: { "1-31-0": "1.31.0" }, tags: { stable: "1-31-0" } } }, { revisionTag: "1-31-0" })).error!;
        assert.deepEqual(e.problems.map((p) => p.message), [
            'namespace bookinfo selects revision tag "1-31-0" (istio.io/rev=1-31-0), which is not in mesh.revisions.tags (tags: stable); "1-31-0" is a revision, and namespaces select tags, not revisions',
        ]);
    });

    it("the mirror list has every installed version's images and istiod chart, base at its version, the gateways at the default tag's", () => {
        const config = tryParseStackConfig(raw({ revisions: { installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "default" } } })).config!;
        const list = mirrorList(config, true);
        assert.deepEqual(list.images.filter((i) => i.startsWith("docker.io/istio/")), ["docker.io/istio/pilot:1.30.3", "docker.io/istio/pilot:1.31.0", "docker.io/istio/proxyv2:1.30.3", "docker.io/istio/proxyv2:1.31.0"]);
        const repo = "https://istio-release.storage.googleapis.com/charts";
        assert.deepEqual(list.charts, [`${repo}/base-1.31.0.tgz`, `${repo}/istiod-1.30.3.tgz`, `${repo}/istiod-1.31.0.tgz`, `${repo}/gateway-1.30.3.tgz`]);
    });

    it("an unquoted version is a schema error at its path", () => {
        const e = tryParseStackConfig(raw({ revisions: { installed: { default: 1.3 }, tags: { stable: "default" } } })).error!;
        assert.deepEqual(e.problems.map((p) => p.path), ["mesh.revisions.installed.default"]);
    });
});

describe("Istio revisions: objects", () => {
    it("renders the tag webhook as revision-tags-mwc.yaml does for one tag (no caBundle: istiod patches it)", () => {
        const core = (prefix: string, path: string) => ({
            name: `${prefix}sidecar-injector.istio.io`,
            clientConfig: { service: { name: "istiod-1-31-0", namespace: "istio-system", path, port: 443 } },
            sideEffects: "None",
            rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
            failurePolicy: "Fail",
            reinvocationPolicy: "Never",
            admissionReviewVersions: ["v1"],
        });
        const notDisabled = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
        assert.deepEqual(revisionTagWebhook("stable", "1-31-0", { injectionPath: "/inject/cluster/sh/net/n1" }), {
            metadata: { name: "istio-revision-tag-stable", labels: { "istio.io/tag": "stable", "istio.io/rev": "1-31-0", app: "sidecar-injector", "app.kubernetes.io/managed-by": "ack-mesh" } },
            webhooks: [
                {
                    ...core("rev.namespace.", "/inject/cluster/sh/net/n1"),
                    namespaceSelector: { matchExpressions: [{ key: "istio.io/rev", operator: "In", values: ["stable"] }, { key: "istio-injection", operator: "DoesNotExist" }] },
                    objectSelector: { matchExpressions: [notDisabled] },
                },
                {
                    ...core("rev.object.", "/inject/cluster/sh/net/n1"),
                    namespaceSelector: { matchExpressions: [{ key: "istio.io/rev", operator: "DoesNotExist" }, { key: "istio-injection", operator: "DoesNotExist" }] },
                    objectSelector: { matchExpressions: [notDisabled, { key: "istio.io/rev", operator: "In", values: ["stable"] }] },
                },
            ],
        });
        // Tag default also takes over the revision-less selectors (revision-tags-mwc.yaml `if (eq $tagName "default")`).
        const takeover = revisionTagWebhook("default", "1-31-0");
        assert.deepEqual((takeover.webhooks as any[]).slice(2), [
            {
                ...core("namespace.", "/inject"),
                namespaceSelector: { matchExpressions: [{ key: "istio-injection", operator: "In", values: ["enabled"] }] },
                objectSelector: { matchExpressions: [notDisabled] },
            },
            {
                ...core("object.", "/inject"),
                namespaceSelector: { matchExpressions: [{ key: "istio-injection", operator: "DoesNotExist" }, { key: "istio.io/rev", operator: "DoesNotExist" }] },
                objectSelector: { matchExpressions: [{ key: "sidecar.istio.io/inject", operator: "In", values: ["true"] }, { key: "istio.io/rev", operator: "DoesNotExist" }] },
            },
        ]);
        assert.deepEqual((takeover.webhooks as any[]).map((w) => w.namespaceSelector.matchExpressions[0].values?.[0] ?? "-").slice(0, 1), ["default"]);
        const legacy = revisionTagWebhook("stable", "default");
        assert.deepEqual((legacy.webhooks as any[]).map((w) => `${w.clientConfig.service.name}${w.clientConfig.service.path}`), ["istiod/inject", "istiod/inject"]);
        assert.equal(revisionTagWebhookName("canary"), "istio-revision-tag-canary");
    });

    it("routes a revision's SNI on the east-west gateway (expose-istiod-rev.yaml.tmpl), strictly valid", async () => {
        const vs = istiodRevisionVirtualService("1-31-0");
        assert.deepEqual(vs.spec, {
            hosts: ["*"],
            gateways: ["istiod-gateway"],
            tls: [
                {
                    match: [{ port: 15012, sniHosts: ["istiod-1-31-0.istio-system.svc", "istiod-1-31-0.istio-system.svc.cluster.local"] }],
                    route: [{ destination: { host: "istiod-1-31-0.istio-system.svc.cluster.local", port: { number: 15012 } } }],
                },
                {
                    match: [{ port: 15017, sniHosts: ["istiod-1-31-0.istio-system.svc", "istiod-1-31-0.istio-system.svc.cluster.local"] }],
                    route: [{ destination: { host: "istiod-1-31-0.istio-system.svc.cluster.local", port: { number: 443 } } }],
                },
            ],
        });
        assert.equal(vs.metadata.name, "istiod-vs-1-31-0");
        await validateIstio(vs);
        assert.throws(() => istiodRevisionVirtualService("default"), /served by istiod-vs/);
    });

    it("gateways follow a tag (chart value revision; an override still wins); a namespace selects a tag or istio-injection, never both", () => {
        assert.deepEqual(withGatewayRevision({ name: "istio-ingressgateway" }, "stable"), { revision: "stable", name: "istio-ingressgateway" });
        assert.deepEqual(withGatewayRevision({ revision: "canary" }, "stable"), { revision: "canary" });
        assert.deepEqual(bookinfoNamespace("bookinfo", "stable").metadata, { name: "bookinfo", labels: { "istio.io/rev": "stable" } });
        assert.deepEqual(bookinfoNamespace("bookinfo").metadata, { name: "bookinfo", labels: { "istio-injection": "enabled" } });
    });
});

describe("Istio revisions: IstioMesh with two revisions on a primary-remote mesh", function () {
    this.timeout(60_000);
    const identity = topology(twoRegionRaw()).identity;
    const kubeconfig = (c: string) =>
        `apiVersion: v1\nkind: Config\nclusters:\n- name: ${c}\n  cluster:\n    server: https://${c}.example:6443\ncontexts:\n- name: ${c}\n  context:\n    cluster: ${c}\n    user: u\ncurrent-context: ${c}\nusers:\n- name: u\n  user:\n    token: t\n`;
    const revisions = { installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "default", canary: "1-31-0" } };

    it("installs istiod per revision on the primary and the remote, each tag's webhook after its revision, base first", async () => {
        const res = await simulate(() => {
            const handles = Object.fromEntries(
                Object.values(identity.clusters).map((m) => [m.clusterName, clusterHandleFromKubeconfig(m.clusterName, { name: m.clusterName, region: m.region, network: m.network, kubeconfig: kubeconfig(m.clusterName), apiServerUrl: `https://${m.clusterName}.intranet:6443` })]),
            );
            new IstioMesh("m", { identity, clusters: handles, revisions });
            return {};
        });
        const [primary, remote] = ["hz", "sh"];
        assert.deepEqual(identity.controlPlanes, [primary]);
        const releases = res.resources.filter((r) => r.type === K8S.release).map((r) => `${r.name} ${String(r.inputs.name)}@${String(r.inputs.version)}`).sort();
        assert.deepEqual(releases, [
            `m-${primary}-base istio-base@1.31.0`,
            `m-${primary}-eastwest istio-eastwestgateway@1.30.3`,
            `m-${primary}-ingress istio-ingressgateway@1.30.3`,
            `m-${primary}-istiod istiod@1.30.3`,
            `m-${primary}-istiod-1-31-0 istiod-1-31-0@1.31.0`,
            `m-${remote}-base istio-base@1.31.0`,
            `m-${remote}-istiod istiod@1.30.3`,
            `m-${remote}-istiod-1-31-0 istiod-1-31-0@1.31.0`,
        ]);
        const webhooks = res.resources.filter((r) => r.type === WEBHOOK);
        assert.deepEqual(webhooks.map((w) => w.name).sort(), [`m-${primary}-tag-canary`, `m-${primary}-tag-stable`, `m-${remote}-tag-canary`, `m-${remote}-tag-stable`]);
        const dep = (from: string, on: string) => res.resources.find((r) => r.name === from)!.dependencies.includes(res.resources.find((r) => r.name === on)!.urn);
        assert.ok(dep(`m-${primary}-tag-canary`, `m-${primary}-istiod-1-31-0`));
        assert.ok(dep(`m-${remote}-tag-stable`, `m-${remote}-istiod`));
        assert.ok(dep(`m-${primary}-istiod-1-31-0`, `m-${primary}-base`));
        assert.ok(dep(`m-${primary}-ingress`, `m-${primary}-tag-stable`), "the gateways are injected through the tag they follow");
        // The remote's secret in the primary waits for every remote revision (each renders reader RBAC and a webhook P's istiod patches).
        const secret = res.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name.startsWith(`m-${remote}-remote-secret`))!;
        assert.ok(secret.dependencies.includes(res.resources.find((r) => r.name === `m-${remote}-istiod-1-31-0`)!.urn));
        const names = res.resources.map((r) => `${r.type} ${r.name}`);
        assert.equal(new Set(names).size, names.length, "no (type, name) collision");
        assert.ok(res.resources.some((r) => r.type === ISTIO_MESH_TYPE));
    });

    it("with tag default, the revision-less istiods drop their injector (global.operatorManageWebhooks) only after the tag's webhook took over", async () => {
        const res = await simulate(() => {
            const handles = Object.fromEntries(
                Object.values(identity.clusters).map((m) => [m.clusterName, clusterHandleFromKubeconfig(m.clusterName, { name: m.clusterName, region: m.region, network: m.network, kubeconfig: kubeconfig(m.clusterName), apiServerUrl: `https://${m.clusterName}.intranet:6443` })]),
            );
            new IstioMesh("m", { identity, clusters: handles, revisions: { ...revisions, tags: { stable: "1-31-0", default: "1-31-0" } } });
            return {};
        });
        const byName = (n: string) => res.resources.find((r) => r.name === n)!;
        const inputs = (n: string): any => byName(n).inputs;
        const dep = (from: string, on: string) => byName(from).dependencies.includes(byName(on).urn);
        for (const c of ["hz", "sh"]) {
            assert.equal(inputs(`m-${c}-istiod`).values.global.operatorManageWebhooks, true, c);
            assert.equal(inputs(`m-${c}-istiod-1-31-0`).values.global.operatorManageWebhooks, undefined, c);
            assert.equal(inputs(`m-${c}-tag-default`).webhooks.length, 4, c);
            assert.ok(dep(`m-${c}-istiod`, `m-${c}-tag-default`), c);
            assert.ok(dep(`m-${c}-tag-default`, `m-${c}-istiod-1-31-0`), c);
        }
        assert.equal(inputs("m-sh-tag-default").webhooks[2].clientConfig.service.path, "/inject/cluster/sh/net/network1");
    });

    it("IstioControlPlane and IstioRemote resolve the set themselves: a stale defaultRevision is ignored, an inconsistent set is a ConfigError", () => {
        const handle = (c: string) => ({ name: c, region: identity.clusters[c].region, network: identity.clusters[c].network }) as unknown as ClusterHandle;
        // A caller's ResolvedRevisionSet whose defaultRevision disagrees with its tags.
        const stale = { installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "1-31-0" }, defaultTag: "stable", defaultRevision: "default", base: "1.31.0" };
        const plan = planIstioControlPlane("m-hz", { identity, cluster: handle("hz"), revisions: stale });
        assert.deepEqual([plan.istioVersion, plan.revisions?.defaultRevision], ["1.31.0", "1-31-0"]);
        const remote = (revisions: IstioRevisionSet) => resolveIstioRemoteArgs({ identity, cluster: handle("sh"), controlPlane: { cluster: handle("hz"), eastWestAddress: "10.0.0.1" }, revisions });
        assert.deepEqual([remote(stale).resolved.istioVersion, remote(stale).resolved.revisionSet?.defaultRevision], ["1.31.0", "1-31-0"]);
        const bad = { installed: { "1-31-0": "1.31.0" }, tags: { stable: "default" } };
        assert.throws(
            () => planIstioControlPlane("m-hz", { identity, cluster: handle("hz"), revisions: bad }),
            (e: unknown) => ConfigError.is(e) && e.problems.map((p) => p.path).join() === "revisions.tags.stable",
        );
        assert.deepEqual(remote(bad).problems.map((p) => p.path), ["revisions.tags.stable"]);
        assert.equal(remote(bad).resolved.revisionSet, undefined);
    });

    it("rejects istioVersion beside revisions, and a bad set, before registering anything", () => {
        assert.throws(
            () => new IstioMesh("m", { identity, clusters: {}, istioVersion: "1.30.3", revisions: { installed: {}, tags: {} } }),
            (e: unknown) => ConfigError.is(e) && e.problems.map((p) => p.path).join(",") === ["clusters.hz", "clusters.sh", "istioVersion", "revisions.defaultTag", "revisions.installed"].join(","),
        );
    });
});
