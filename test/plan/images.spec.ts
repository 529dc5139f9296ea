/**
 * Image and chart sources: the mirror list must be exactly what the plan pulls, and the warnings
 * must fire for mainland-China clusters on internet sources only.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { imageSources, imageSourceWarnings, istioImages, isInternetSource, mirrorList, sourceHost } from "../../plan/images";
import { VERIFY_CLIENT_IMAGE } from "../../plan/verify";
import { isMainlandChinaRegion, regionOfZone } from "../../config/regions";
import { parseStackConfig } from "../../config/load";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { canonicalPlan, diffPlans, readStackConfig, ROOT, simulate, stackNames, stackRaw } from "../support";

const MIRROR = {
    istioHub: "registry.cn-hangzhou.aliyuncs.com/mesh",
    bookinfoRegistry: "registry-vpc.cn-hangzhou.aliyuncs.com/demo",
    chartRepository: "oci://registry.cn-hangzhou.aliyuncs.com/charts",
};

describe("plan/images", () => {
    it("sourceHost and isInternetSource", () => {
        assert.deepStrictEqual(
            ["docker.io/istio", "oci://registry.cn-hangzhou.aliyuncs.com/x", "https://istio-release.storage.googleapis.com/charts", "my.registry:5000/istio"].map(sourceHost),
            ["docker.io", "registry.cn-hangzhou.aliyuncs.com", "istio-release.storage.googleapis.com", "my.registry"],
        );
        assert.deepStrictEqual(
            ["docker.io/istio", "registry.istio.io/release", "https://istio-release.storage.googleapis.com/charts", MIRROR.istioHub, MIRROR.chartRepository].map(isInternetSource),
            [true, true, true, false, false],
        );
    });

    it("istioImages: the istiod chart's and the injector's image names, with the override keys that change them", () => {
        const hub = "registry.cn-hangzhou.aliyuncs.com/mesh";
        const table: [string, Record<string, unknown>, string[]][] = [
            ["defaults", {}, [`${hub}/pilot:1.30.3`, `${hub}/proxyv2:1.30.3`]],
            ["distroless variant", { global: { variant: "distroless" } }, [`${hub}/pilot:1.30.3-distroless`, `${hub}/proxyv2:1.30.3-distroless`]],
            ["variant in the tag, then variant default", { global: { tag: "1.30.3-distroless", variant: "default" } }, [`${hub}/pilot:1.30.3-distroless-default`, `${hub}/proxyv2:1.30.3`]],
            ["istiod's own tag and image", { tag: "1.30.2", image: "pilot-fips" }, [`${hub}/pilot-fips:1.30.2`, `${hub}/proxyv2:1.30.3`]],
            ["istiod image as a full reference", { image: "my.reg/istio/pilot:custom" }, ["my.reg/istio/pilot:custom", `${hub}/proxyv2:1.30.3`]],
            ["proxy image name", { global: { proxy: { image: "proxyv2-custom" } } }, [`${hub}/pilot:1.30.3`, `${hub}/proxyv2-custom:1.30.3`]],
        ];
        for (const [what, override, want] of table) assert.deepStrictEqual(istioImages(hub, "1.30.3", override), want, what);
    });

    it("the mirror list follows a distroless override", () => {
        const config = parseStackConfig({ ...stackRaw("dev"), mesh: { ...(stackRaw("dev") as any).mesh, valuesOverride: { istiod: { global: { variant: "distroless" } } } } });
        assert.deepStrictEqual(mirrorList(config, false).images.filter((i) => i.startsWith("docker.io/istio/")), ["docker.io/istio/pilot:1.30.3-distroless", "docker.io/istio/proxyv2:1.30.3-distroless"]);
    });

    it("regions: mainland China and the region of a zone", () => {
        assert.deepStrictEqual(["cn-hangzhou", "cn-hongkong", "ap-southeast-1", "cn-shanghai-finance-1"].map(isMainlandChinaRegion), [true, false, false, true]);
        assert.deepStrictEqual(["cn-hangzhou-h", "ap-southeast-1a", "eu-central-1b", "cn-beijing", "x"].map(regionOfZone), ["cn-hangzhou", "ap-southeast-1", "eu-central-1", undefined, undefined]);
    });

    it("defaults are the upstream sources; the settings replace them", () => {
        const config = parseStackConfig(stackRaw("dev"));
        assert.deepStrictEqual(imageSources(config), {
            istioHub: "docker.io/istio",
            bookinfoRegistry: "registry.istio.io/release",
            chartRepository: "https://istio-release.storage.googleapis.com/charts",
        });
        assert.deepStrictEqual(imageSources(parseStackConfig({ ...stackRaw("dev"), images: MIRROR })), MIRROR);
    });

    it("warnings: one per internet source used by a mainland-China stack; none with mirrors; Bookinfo's only when enabled", () => {
        const dev = parseStackConfig(stackRaw("dev"));
        assert.deepStrictEqual(
            imageSourceWarnings(dev).map((w) => w.split(",")[0]),
            ["the Istio images come from docker.io/istio", "the Istio Helm charts come from https://istio-release.storage.googleapis.com/charts", "the Bookinfo images come from registry.istio.io/release"],
        );
        assert.match(imageSourceWarnings(dev)[1], /Helm downloads them on the machine that runs pulumi up; .*With a runner outside China this can be ignored; otherwise: Mirror them/);
        assert.match(imageSourceWarnings(dev)[0], /Pods will stay in ErrImagePull\. Mirror them/);
        assert.deepStrictEqual(imageSourceWarnings(parseStackConfig({ ...stackRaw("dev"), images: MIRROR })), []);
        const noBookinfo = parseStackConfig({ ...stackRaw("dev"), bookinfo: { enabled: false } });
        assert.equal(imageSourceWarnings(noBookinfo).length, 2);
        const partial = parseStackConfig({ ...stackRaw("dev"), images: { istioHub: MIRROR.istioHub } });
        assert.deepStrictEqual(
            imageSourceWarnings(partial).map((w) => /set (ack-mesh:images\.\w+)\.$/.exec(w)?.[1]),
            ["ack-mesh:images.chartRepository", "ack-mesh:images.bookinfoRegistry"],
        );
    });

    it("moving a running stack to a mirror updates releases and Deployments in place; nothing is replaced", async () => {
        const stack = "staging";
        const { config: cfg, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
        const before = canonicalPlan(await simulate(runAckMesh, { project: "ack-mesh", stack, config: cfg, secretConfigKeys }), { stack, project: "ack-mesh" });
        const after = canonicalPlan(
            await simulate(runAckMesh, { project: "ack-mesh", stack, config: { ...cfg, "ack-mesh:images": MIRROR }, secretConfigKeys }),
            { stack, project: "ack-mesh" },
        );
        const changed = diffPlans(before, after).resources.filter((r) => r.kind !== "same");
        assert.deepStrictEqual([...new Set(changed.map((r) => r.kind))], ["update"]);
        assert.deepStrictEqual(
            [...new Set(changed.map((r) => r.type))].sort(),
            ["kubernetes:apps/v1:Deployment", "kubernetes:helm.sh/v3:Release"],
        );
    });

    for (const stack of stackNames()) {
        it(`${stack}: the mirror list is exactly what the simulated plan pulls`, async () => {
            for (const images of [undefined, MIRROR]) {
                const { config: cfg, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
                if (images) cfg["ack-mesh:images"] = images;
                const r = await simulate(runAckMesh, { project: "ack-mesh", stack, config: cfg, secretConfigKeys });
                const config = parseStackConfig({ ...stackRaw(stack), ...(images ? { images } : {}) });
                const releases = r.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release");
                const gateways = releases.some((x) => /(^|\/)gateway$/.test(String(x.inputs["chart"])));
                const list = mirrorList(config, gateways);
                // Charts: every release's chart at its version, from its repository.
                const pulled = new Set(
                    releases.map((x) => {
                        const chart = String(x.inputs["chart"]);
                        const repo = (x.inputs["repositoryOpts"] as { repo?: string } | undefined)?.repo;
                        return repo ? `${repo}/${chart}-${String(x.inputs["version"])}.tgz` : `${chart}:${String(x.inputs["version"])}`;
                    }),
                );
                assert.deepStrictEqual([...pulled].sort(), [...list.charts].sort(), `${stack} charts`);
                // Bookinfo images: exactly the Deployments' images.
                const deployed = new Set(r.resources.filter((x) => x.type === "kubernetes:apps/v1:Deployment").map((d) => (d.inputs as any).spec.template.spec.containers[0].image as string));
                assert.deepStrictEqual([...deployed].sort(), list.images.filter((i) => i.includes("/examples-bookinfo-")), `${stack} bookinfo images`);
                // Istio images: the hub of every istiod release (the charts' own when unset), at the chart version.
                const hub = images?.istioHub ?? "docker.io/istio";
                for (const rel of releases.filter((x) => String(x.inputs["chart"]).endsWith("istiod"))) {
                    const global = ((x) => (x as Record<string, Record<string, unknown>> | undefined)?.["global"])(rel.inputs["values"]);
                    assert.equal(global?.["hub"], images?.istioHub, `${rel.name} global.hub`);
                }
                // The verification client image: not pulled by this plan (verify off), listed for `npm run verify`.
                assert.ok(list.images.includes(VERIFY_CLIENT_IMAGE), `${stack} verify image`);
                assert.deepStrictEqual(list.images.filter((i) => !i.includes("/examples-bookinfo-") && i !== VERIFY_CLIENT_IMAGE), [`${hub}/pilot:1.30.3`, `${hub}/proxyv2:1.30.3`]);
            }
        });
    }
});
