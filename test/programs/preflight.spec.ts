/**
 * The live preflight in the real program: every shipped stack passes it on the simulated account,
 * and each unavailable answer (an end-of-life version, a zone without a transit router, an instance
 * type out of stock, a region or zone the account does not have) stops the run with the exact
 * error before any cloud resource is registered. Also: image-source warnings.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { ConfigError } from "../../config/errors";
import { runAckMesh } from "../../programs/ack-mesh/program";
import type { SimCatalog } from "../../sim/catalog";
import { CATALOG } from "../../sim/catalogData";
import { readStackConfig, ROOT, simulate, SimulationError, SimulationOptions, SimulationResult, stackNames, stackRaw } from "../support";

const CLUSTER = "alicloud:cs/managedKubernetes:ManagedKubernetes";
/** The tags that mark dev's clusters as this stack's (stack "preflight", as {@link run} names it). */
const OWNER = { "ack-mesh-stack": "preflight", "ack-mesh-mesh": "mesh-dev" };
const PROVIDER_TYPES = new Set(["pulumi:pulumi:Stack", "pulumi:providers:alicloud"]);

/** The newest Kubernetes version the catalog offers in a region. */
function newest(region: string): string {
    const v = (CATALOG.regions[region].kubernetesVersions ?? CATALOG.kubernetesVersions).map((x) => x.version);
    return v[v.length - 1];
}

/** A mutable copy of the catalog. */
function catalogCopy(): { -readonly [K in keyof SimCatalog]: any } {
    return structuredClone(CATALOG) as any;
}

/** Runs the program on `raw` (keys without namespace). */
function run(raw: Record<string, unknown>, opts: SimulationOptions = {}): Promise<SimulationResult> {
    const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`ack-mesh:${k}`, v]));
    return simulate(runAckMesh, { project: "ack-mesh", stack: "preflight", config, ...opts });
}

/** Runs and expects the preflight (or the config check) to stop the run; returns the error and what was registered. */
async function expectStopped(raw: Record<string, unknown>, opts: SimulationOptions = {}): Promise<{ error: ConfigError; registered: string[] }> {
    const err = await run(raw, opts).then(
        () => assert.fail("the run should have failed"),
        (e: unknown) => e,
    );
    assert.ok(err instanceof SimulationError, String(err));
    const error = err.errors.find((e): e is ConfigError => ConfigError.is(e));
    assert.ok(error, `expected a ConfigError, got: ${err.message}`);
    assert.equal(err.errors.length, 1, err.message);
    return { error, registered: err.result.resources.map((r) => r.type) };
}

/** dev's config, with changes. */
function dev(change: (raw: any) => void = () => undefined): Record<string, unknown> {
    const raw = structuredClone(stackRaw("dev")) as any;
    change(raw);
    return raw;
}

describe("programs: the live preflight", function () {
    this.timeout(120_000);

    for (const stack of stackNames()) {
        it(`${stack}: passes on the simulated account; unpinned clusters get the newest version, create-only`, async () => {
            const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
            const r = await simulate(runAckMesh, { project: "ack-mesh", stack, config, secretConfigKeys });
            const raw = stackRaw(stack) as any;
            const summary = r.logs.find((l) => l.severity === "info" && l.message.startsWith("Preflight passed: "));
            assert.ok(summary, "the preflight logs what it checked");
            for (const [name, c] of Object.entries<any>(raw.clusters)) {
                const cluster = r.get(CLUSTER, `${name}-cluster`);
                const want = c.kubernetesVersion ?? newest(c.region);
                assert.equal(cluster.inputs["version"], want, name);
                assert.deepStrictEqual(cluster.ignoreChanges, c.kubernetesVersion === undefined ? ["version"] : [], name);
                assert.equal((r.outputs["kubernetesVersions"] as Record<string, string>)[name], want);
                assert.ok(summary.message.includes(`  ok  ${name}: Kubernetes ${want}`), summary.message);
            }
            // The stack and the region providers come first; every other resource is declared after the preflight.
            const regions = new Set(Object.values<any>(raw.clusters).map((c) => c.region));
            assert.deepStrictEqual(r.resources.slice(0, 1 + regions.size).map((x) => x.type), ["pulumi:pulumi:Stack", ...[...regions].map(() => "pulumi:providers:alicloud")]);
        });
    }

    it("an end-of-life pinned version fails before any resource, listing the versions on offer", async () => {
        const { error, registered } = await expectStopped(dev((raw) => (raw.clusters["istio-remote1"].kubernetesVersion = "1.33.3-aliyun.1")));
        const offered = CATALOG.kubernetesVersions.map((v) => v.version);
        assert.deepStrictEqual(
            error.message.split("\n"),
            [
                "Preflight failed: the account does not offer what the stack asks for (1 problem):",
                `  - clusters.istio-remote1.kubernetesVersion: is not offered by ACK for new managed clusters in cn-hangzhou (cs.getKubernetesVersion lists the versions on sale); on offer: ${offered.join(", ")} (got "1.33.3-aliyun.1"). Fix: use ${offered[offered.length - 1]} (the newest), or remove the pin to get the newest on offer`,
            ],
        );
        assert.deepStrictEqual([...new Set(registered)].sort(), [...PROVIDER_TYPES].sort(), "only the stack and the region providers exist");
    });

    it("a misspelt region fails in the config check with 'did you mean', before even a provider", async () => {
        const { error, registered } = await expectStopped(
            dev((raw) => {
                raw.clusters["istio-remote1"].region = "cn-hangzou";
            }),
        );
        assert.ok(
            error.message.includes('  - clusters.istio-remote1.region: is not an Alibaba Cloud region (the alicloud provider rejects it before anything is asked) (got "cn-hangzou"). Fix: did you mean cn-hangzhou?'),
            error.message,
        );
        assert.deepStrictEqual(registered, ["pulumi:pulumi:Stack"]);
    });

    it("a region the account does not have, a zone without vSwitches, a zone without a transit router and an instance type out of stock: all in one error", async () => {
        const catalog = catalogCopy();
        delete catalog.regions["cn-beijing"];
        delete catalog.regions["cn-shanghai"].zones["cn-shanghai-m"];
        catalog.regions["cn-hangzhou"].transitRouter = { masterZones: ["cn-hangzhou-h"], slaveZones: ["cn-hangzhou-j"] };
        catalog.regions["cn-hangzhou"].zones["cn-hangzhou-i"].instanceTypes = ["ecs.g8i.xlarge"];
        const raw = structuredClone(stackRaw("staging")) as any;
        raw.clusters.beijing = { region: "cn-beijing", zones: ["cn-beijing-h"], role: "remote", cni: "terway", slot: 12 };
        const { error, registered } = await expectStopped(raw, { catalog });
        assert.deepStrictEqual(error.problems.map((p) => p.path), [
            "clusters.beijing.region",
            "clusters.hangzhou.nodePools.default.instanceTypes",
            "clusters.hangzhou.zones",
            "clusters.shanghai.zones[1]",
        ]);
        const byPath = Object.fromEntries(error.problems.map((p) => [p.path, `${p.message}. Fix: ${p.fix}`]));
        assert.match(byPath["clusters.beijing.region"], /^is a region the provider knows, but not one this account can use \(getRegions\)\. Fix: use one of the account's regions: ap-northeast-1, /);
        assert.equal(
            byPath["clusters.hangzhou.nodePools.default.instanceTypes"],
            "none of these instance types is available in zone cn-hangzhou-i (ecs.getInstanceTypes); of the same size, cn-hangzhou-i offers: ecs.g8i.xlarge. Fix: add an instance type on offer in cn-hangzhou-i to the list, or place the pool in other zones (nodePools.default.zones)",
        );
        assert.equal(
            byPath["clusters.hangzhou.zones"],
            'the transit router of cn-hangzhou cannot attach VPC "hangzhou" in this zone (cen.getTransitRouterAvailableResources); it supports: cn-hangzhou-h, cn-hangzhou-j. Fix: move the VPC\'s clusters to zones the transit router supports (every zone of the VPC is mapped into its attachment)',
        );
        assert.match(byPath["clusters.shanghai.zones[1]"], /^is not a zone of cn-shanghai where vSwitches can be created \(getZones\); on offer: cn-shanghai-\w/);
        assert.deepStrictEqual([...new Set(registered)].sort(), [...PROVIDER_TYPES].sort());
    });

    it("an existing cluster keeps the (end-of-life) version it runs: no upgrade is proposed, and a warning says so", async () => {
        const raw = dev();
        const r = await run(raw, { existingClusters: [{ name: "Istio-remote1", region: "cn-hangzhou", version: "1.34.2-aliyun.1", tags: OWNER }] });
        const remote = r.get(CLUSTER, "istio-remote1-cluster");
        assert.equal(remote.inputs["version"], "1.34.2-aliyun.1");
        assert.deepStrictEqual(remote.ignoreChanges, ["version"]);
        assert.equal(r.get(CLUSTER, "istio-control-plane-cluster").inputs["version"], newest("cn-hangzhou"));
        const warnings = r.logs.filter((l) => l.severity === "warning" && l.message.startsWith("clusters."));
        assert.deepStrictEqual(warnings.map((w) => w.message.split(",")[0]), ["clusters.istio-remote1 runs Kubernetes 1.34.2-aliyun.1"]);
    });

    it("a cluster of the same ACK name from another stack is not this stack's: the new cluster gets the newest version", async () => {
        const r = await run(dev(), { existingClusters: [{ name: "Istio-remote1", region: "cn-hangzhou", version: "1.34.2-aliyun.1", tags: { ...OWNER, "ack-mesh-stack": "other" } }] });
        assert.equal(r.get(CLUSTER, "istio-remote1-cluster").inputs["version"], newest("cn-hangzhou"));
        const w = r.logs.filter((l) => l.severity === "warning" && l.message.startsWith("clusters.istio-remote1: the account already has a cluster named"));
        assert.equal(w.length, 1);
    });

    it("a deliberate upgrade: pinning the next minor version on offer sends it, without ignoreChanges", async () => {
        const target = CATALOG.kubernetesVersions.map((v) => v.version).find((v) => v.startsWith("1.35."))!;
        const r = await run(
            dev((raw) => (raw.clusters["istio-remote1"].kubernetesVersion = target)),
            { existingClusters: [{ name: "Istio-remote1", region: "cn-hangzhou", version: "1.34.2-aliyun.1", tags: OWNER }] },
        );
        const remote = r.get(CLUSTER, "istio-remote1-cluster");
        assert.equal(remote.inputs["version"], target);
        assert.deepStrictEqual(remote.ignoreChanges, []);
        const summary = r.logs.find((l) => l.message.startsWith("Preflight passed: "))!;
        assert.ok(summary.message.includes(`  ok  istio-remote1: Kubernetes ${target} (pinned; upgrade from 1.34.2-aliyun.1)`), summary.message);
    });

    it("the simulated CreateCluster rejects a version ACK no longer offers (what the preflight prevents)", async () => {
        const catalog = catalogCopy();
        const err = await simulate(
            async () => {
                const alicloud = await import("@pulumi/alicloud");
                const p = new alicloud.Provider("p", { region: "cn-hangzhou" });
                const vpc = new alicloud.vpc.Network("v", { cidrBlock: "10.0.0.0/16", vpcName: "v" }, { provider: p });
                const vsw = new alicloud.vpc.Switch("s", { vpcId: vpc.id, cidrBlock: "10.0.1.0/24", zoneId: "cn-hangzhou-h", vswitchName: "s" }, { provider: p });
                new alicloud.cs.ManagedKubernetes("c", { name: "c", version: "1.33.3-aliyun.1", vswitchIds: [vsw.id], serviceCidr: "172.24.0.0/20" }, { provider: p });
                return {};
            },
            { catalog },
        ).then(
            () => assert.fail("should fail"),
            (e: SimulationError) => e,
        );
        assert.match(err.message, /version '1\.33\.3-aliyun\.1' is not offered for new clusters in cn-hangzhou \(ErrorCheckVersion\); on offer: /);
    });

    describe("image sources", () => {
        it("a mainland-China stack on upstream sources warns once per source, naming the setting", async () => {
            const r = await run(dev());
            const warnings = r.logs.filter((l) => l.severity === "warning").map((l) => l.message);
            assert.deepStrictEqual(
                warnings.map((w) => /set (ack-mesh:images\.\w+)\.$/.exec(w)?.[1]),
                ["ack-mesh:images.istioHub", "ack-mesh:images.chartRepository", "ack-mesh:images.bookinfoRegistry"],
            );
            assert.ok(warnings[0].startsWith("the Istio images come from docker.io/istio, on the internet outside China, which clusters in mainland-China regions cannot reliably reach: istio-control-plane (cn-hangzhou), istio-remote1 (cn-hangzhou)."), warnings[0]);
        });

        it("with ack-mesh:images set to a mirror there is no warning, and every chart, hub and image uses the mirror", async () => {
            const images = {
                istioHub: "registry.cn-hangzhou.aliyuncs.com/mesh-mirror",
                bookinfoRegistry: "registry.cn-hangzhou.aliyuncs.com/mesh-mirror",
                chartRepository: "oci://registry.cn-hangzhou.aliyuncs.com/mesh-charts",
            };
            const r = await run(dev((raw) => (raw.images = images)));
            assert.deepStrictEqual(r.logs.filter((l) => l.severity === "warning"), []);
            const releases = r.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release");
            assert.ok(releases.length > 0);
            for (const rel of releases) assert.match(String(rel.inputs["chart"]), /^oci:\/\/registry\.cn-hangzhou\.aliyuncs\.com\/mesh-charts\/(base|istiod|gateway)$/, rel.name);
            const deployments = r.resources.filter((x) => x.type === "kubernetes:apps/v1:Deployment");
            for (const d of deployments) {
                const image = (d.inputs as any).spec.template.spec.containers[0].image as string;
                assert.ok(image.startsWith("registry.cn-hangzhou.aliyuncs.com/mesh-mirror/examples-bookinfo-"), image);
            }
        });

        it("a stack outside mainland China gets no warning", async () => {
            const raw = {
                mesh: { id: "m1", topology: "primary-remote" },
                clusters: { sg: { region: "ap-southeast-1", zones: ["ap-southeast-1a", "ap-southeast-1b"], role: "primary", cni: "terway" } },
            };
            const r = await run(raw);
            assert.deepStrictEqual(r.logs.filter((l) => l.severity === "warning"), []);
        });
    });
});
