/**
 * The live preflight: what it asks (preflightPlan), what the answers mean
 * (evaluatePreflight, exact messages), and the invokes it makes through each
 * region's provider (askAccount on the simulated account).
 */
import * as assert from "node:assert/strict";
import * as alicloud from "@pulumi/alicloud";
import { formatProblem } from "../../config/errors";
import { compareVersions } from "../../config/versions";
import {
    AccountAnswers,
    askAccount,
    evaluatePreflight,
    PREFLIGHT_INVOKES,
    preflightPlan,
    PreflightPlan,
    RegionAnswers,
    preflightSummary,
} from "../../components/preflight";
import { CATALOG } from "../../sim/catalogData";
import { simulate, SimulationOptions, SimulationResult, topology, twoRegionRaw } from "../support";

const V35 = "1.35.7-aliyun.1";
/** The tags that mark the stack's own clusters in these tests. */
const OWNER = { "ack-mesh-stack": "dev", "ack-mesh-mesh": "mesh1" };
const V36 = "1.36.1-aliyun.1";

/** A two-region plan: hz (2 zones, one pool) and sh (1 zone), each in its own VPC, so with a CEN. */
function twoRegionPlan(): PreflightPlan {
    const { config, network } = topology(twoRegionRaw());
    return preflightPlan(config, network, OWNER);
}

/** Answers that pass every check of {@link twoRegionPlan}. */
function goodAnswers(): Record<string, RegionAnswers> {
    const regions = { value: ["cn-hangzhou", "cn-shanghai", "cn-beijing"] };
    const types = { value: ["ecs.g7.xlarge", "ecs.g6.xlarge"] };
    return {
        "cn-hangzhou": {
            regions,
            zones: { value: ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"] },
            transitRouterZones: { value: ["cn-hangzhou-h", "cn-hangzhou-i"] },
            enhancedNatZones: { value: ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"] },
            instanceTypes: { "cn-hangzhou-h": types, "cn-hangzhou-i": types },
            kubernetesVersions: { value: [V36, V35] },
            clusters: { hz: { value: undefined } },
        },
        "cn-shanghai": {
            regions,
            zones: { value: ["cn-shanghai-l", "cn-shanghai-m"] },
            transitRouterZones: { value: ["cn-shanghai-l"] },
            enhancedNatZones: { value: ["cn-shanghai-l", "cn-shanghai-m"] },
            instanceTypes: { "cn-shanghai-l": types },
            kubernetesVersions: { value: [V35, V36] },
            clusters: { sh: { value: undefined } },
        },
    };
}

/** Runs askAccount on the simulated account, through one provider per region of the plan. */
async function askOnSim(plan: PreflightPlan, opts: SimulationOptions = {}): Promise<{ answers: AccountAnswers; res: SimulationResult }> {
    let answers: AccountAnswers | undefined;
    const res = await simulate(async () => {
        const providers = Object.fromEntries(plan.regions.map((r) => [r, new alicloud.Provider(`alicloud-${r}`, { region: r })]));
        answers = await askAccount(plan, providers);
        return {};
    }, opts);
    return { answers: answers as AccountAnswers, res };
}

function withPin(plan: PreflightPlan, cluster: string, version: string): PreflightPlan {
    return { ...plan, clusters: plan.clusters.map((c) => (c.name === cluster ? { ...c, kubernetesVersion: version } : c)) };
}

describe("preflight", () => {
    describe("preflightPlan", () => {
        it("asks about every cluster, pool and transit router attachment of the stack", () => {
            assert.deepStrictEqual(twoRegionPlan(), {
                regions: ["cn-hangzhou", "cn-shanghai"],
                clusters: [
                    { name: "hz", displayName: "hz", region: "cn-hangzhou", zones: ["cn-hangzhou-h", "cn-hangzhou-i"], nodePools: { default: { instanceTypes: ["ecs.g7.xlarge", "ecs.g6.xlarge", "ecs.c7.xlarge"], zones: ["cn-hangzhou-h", "cn-hangzhou-i"] } } },
                    { name: "sh", displayName: "sh", region: "cn-shanghai", zones: ["cn-shanghai-l"], nodePools: { default: { instanceTypes: ["ecs.g7.xlarge", "ecs.g6.xlarge", "ecs.c7.xlarge"], zones: ["cn-shanghai-l"] } } },
                ],
                attachments: [
                    { vpc: "hz", region: "cn-hangzhou", zones: ["cn-hangzhou-h", "cn-hangzhou-i"], zonesPath: "clusters.hz.zones" },
                    { vpc: "sh", region: "cn-shanghai", zones: ["cn-shanghai-l"], zonesPath: "clusters.sh.zones" },
                ],
                natGateways: [
                    { vpc: "hz", region: "cn-hangzhou", zone: "cn-hangzhou-h", cluster: "hz" },
                    { vpc: "sh", region: "cn-shanghai", zone: "cn-shanghai-l", cluster: "sh" },
                ],
                ownerTags: OWNER,
            });
        });

        it("has no attachments without a CEN (one VPC), and carries a pin", () => {
            const raw = twoRegionRaw() as any;
            delete raw.clusters.sh;
            raw.clusters.hz.kubernetesVersion = V35;
            const { config, network } = topology(raw);
            const plan = preflightPlan(config, network, OWNER);
            assert.deepStrictEqual(plan.attachments, []);
            assert.equal(plan.clusters[0].kubernetesVersion, V35);
        });
    });

    describe("compareVersions (the one version order, config/versions.ts) on ACK versions", () => {
        it("orders numerically, including the aliyun build", () => {
            const sorted = ["1.36.1-aliyun.1", "1.35.10-aliyun.1", "1.35.7-aliyun.2", "1.35.7-aliyun.1", "1.9.0-aliyun.1"].sort(compareVersions);
            assert.deepStrictEqual(sorted, ["1.9.0-aliyun.1", "1.35.7-aliyun.1", "1.35.7-aliyun.2", "1.35.10-aliyun.1", "1.36.1-aliyun.1"]);
        });
    });

    describe("evaluatePreflight", () => {
        it("passes with good answers: newest version for new clusters, every check listed", () => {
            const r = evaluatePreflight(twoRegionPlan(), goodAnswers());
            assert.deepStrictEqual(r.problems, []);
            assert.deepStrictEqual(r.warnings, []);
            assert.deepStrictEqual(r.versions, { hz: { version: V36, pinned: false }, sh: { version: V36, pinned: false } });
            assert.deepStrictEqual(r.passed, [
                "hz: zones cn-hangzhou-h, cn-hangzhou-i offered in cn-hangzhou",
                "hz/default: an instance type of ecs.g7.xlarge, ecs.g6.xlarge, ecs.c7.xlarge is on offer in cn-hangzhou-h, cn-hangzhou-i",
                `hz: Kubernetes ${V36} (newest offered in cn-hangzhou; new cluster)`,
                "sh: zones cn-shanghai-l offered in cn-shanghai",
                "sh/default: an instance type of ecs.g7.xlarge, ecs.g6.xlarge, ecs.c7.xlarge is on offer in cn-shanghai-l",
                `sh: Kubernetes ${V36} (newest offered in cn-shanghai; new cluster)`,
                "vpc hz: transit router of cn-hangzhou supports cn-hangzhou-h, cn-hangzhou-i",
                "vpc sh: transit router of cn-shanghai supports cn-shanghai-l",
                "vpc hz: enhanced NAT gateway offered in cn-hangzhou-h",
                "vpc sh: enhanced NAT gateway offered in cn-shanghai-l",
            ]);
            assert.equal(preflightSummary(r).split("\n")[0], "Preflight passed: 10 checks against the account");
        });

        it("an end-of-life pin on a new cluster lists what ACK offers", () => {
            const r = evaluatePreflight(withPin(twoRegionPlan(), "hz", "1.33.3-aliyun.1"), goodAnswers());
            assert.deepStrictEqual(r.problems.map(formatProblem), [
                `clusters.hz.kubernetesVersion: is not offered by ACK for new managed clusters in cn-hangzhou (cs.getKubernetesVersion lists the versions on sale); on offer: ${V35}, ${V36} (got "1.33.3-aliyun.1"). Fix: use ${V36} (the newest), or remove the pin to get the newest on offer`,
            ]);
            assert.equal(r.versions.hz, undefined);
        });

        it("an offered pin is used as is", () => {
            const r = evaluatePreflight(withPin(twoRegionPlan(), "sh", V35), goodAnswers());
            assert.deepStrictEqual(r.problems, []);
            assert.deepStrictEqual(r.versions.sh, { version: V35, pinned: true });
        });

        it("an existing cluster keeps its (end-of-life) version without a pin, with a warning", () => {
            const a = goodAnswers();
            (a["cn-hangzhou"] as any).clusters = { hz: { value: { id: "c1", version: "1.33.3-aliyun.1" } } };
            const r = evaluatePreflight(twoRegionPlan(), a);
            assert.deepStrictEqual(r.problems, []);
            assert.deepStrictEqual(r.versions.hz, { version: "1.33.3-aliyun.1", pinned: false, running: "1.33.3-aliyun.1" });
            assert.deepStrictEqual(r.warnings, [
                `clusters.hz runs Kubernetes 1.33.3-aliyun.1, which ACK no longer offers (on offer in cn-hangzhou: ${V35}, ${V36}). It keeps running, but plan an upgrade: set clusters.hz.kubernetesVersion to a newer version on offer (docs/troubleshooting.md, "Kubernetes versions").`,
            ]);
        });

        it("an existing cluster pinned at the version it runs passes even when ACK no longer offers it", () => {
            const a = goodAnswers();
            (a["cn-hangzhou"] as any).clusters = { hz: { value: { id: "c1", version: "1.34.2-aliyun.1" } } };
            const r = evaluatePreflight(withPin(twoRegionPlan(), "hz", "1.34.2-aliyun.1"), a);
            assert.deepStrictEqual(r.problems, []);
            assert.deepStrictEqual(r.versions.hz, { version: "1.34.2-aliyun.1", pinned: true, running: "1.34.2-aliyun.1" });
            assert.equal(r.warnings.length, 1);
            assert.match(r.warnings[0], /^clusters\.hz\.kubernetesVersion 1\.34\.2-aliyun\.1 is no longer offered by ACK/);
        });

        it("an upgrade that skips a minor version is refused, naming the next step", () => {
            const a = goodAnswers();
            (a["cn-hangzhou"] as any).clusters = { hz: { value: { id: "c1", version: "1.34.2-aliyun.1" } } };
            const r = evaluatePreflight(withPin(twoRegionPlan(), "hz", V36), a);
            assert.deepStrictEqual(r.problems.map(formatProblem), [
                `clusters.hz.kubernetesVersion: skips a minor version: the existing cluster "hz" runs 1.34.2-aliyun.1, and ACK upgrades one minor version at a time (got "${V36}"). Fix: upgrade to ${V35} first, then to ${V36}`,
            ]);
        });

        it("a deliberate upgrade of an existing cluster: an offered newer pin passes; a downgrade does not", () => {
            const a = goodAnswers();
            (a["cn-hangzhou"] as any).clusters = { hz: { value: { id: "c1", version: V35 } } };
            const up = evaluatePreflight(withPin(twoRegionPlan(), "hz", V36), a);
            assert.deepStrictEqual(up.versions.hz, { version: V36, pinned: true, running: V35 });
            assert.ok(up.passed.includes(`hz: Kubernetes ${V36} (pinned; upgrade from ${V35})`));
            const down = evaluatePreflight(withPin(twoRegionPlan(), "hz", "1.34.2-aliyun.1"), a);
            assert.deepStrictEqual(down.problems.map(formatProblem), [
                `clusters.hz.kubernetesVersion: is older than the ${V35} the existing cluster "hz" runs; ACK cannot downgrade (got "1.34.2-aliyun.1"). Fix: set it to ${V35}, or to a newer version on offer: ${V35}, ${V36}`,
            ]);
        });

        it("a zone without a transit router, an out-of-stock pool and an unknown zone are reported together", () => {
            const a = goodAnswers();
            (a["cn-hangzhou"] as any).transitRouterZones = { value: ["cn-hangzhou-h", "cn-hangzhou-j"] };
            (a["cn-hangzhou"] as any).zones = { value: ["cn-hangzhou-h", "cn-hangzhou-j"] };
            (a["cn-shanghai"] as any).instanceTypes = { "cn-shanghai-l": { value: ["ecs.g8i.xlarge", "ecs.r7.2xlarge"] } };
            const r = evaluatePreflight(twoRegionPlan(), a);
            assert.deepStrictEqual(r.problems.map(formatProblem), [
                'clusters.hz.zones[1]: is not a zone of cn-hangzhou where vSwitches can be created (getZones); on offer: cn-hangzhou-h, cn-hangzhou-j (got "cn-hangzhou-i"). Fix: use one of the zones on offer',
                'clusters.sh.nodePools.default.instanceTypes: none of these instance types is available in zone cn-shanghai-l (ecs.getInstanceTypes); of the same size, cn-shanghai-l offers: ecs.g8i.xlarge (got ["ecs.g7.xlarge","ecs.g6.xlarge","ecs.c7.xlarge"]). Fix: add an instance type on offer in cn-shanghai-l to the list, or place the pool in other zones (nodePools.default.zones)',
                'clusters.hz.zones: the transit router of cn-hangzhou cannot attach VPC "hz" in this zone (cen.getTransitRouterAvailableResources); it supports: cn-hangzhou-h, cn-hangzhou-j (got ["cn-hangzhou-i"]). Fix: move the VPC\'s clusters to zones the transit router supports (every zone of the VPC is mapped into its attachment)',
            ]);
        });

        it("a NAT gateway zone without enhanced NAT gateways names the cluster whose first zone it is", () => {
            const a = goodAnswers();
            (a["cn-shanghai"] as any).enhancedNatZones = { value: ["cn-shanghai-m"] };
            const r = evaluatePreflight(twoRegionPlan(), a);
            assert.deepStrictEqual(r.problems.map(formatProblem), [
                'clusters.sh.zones: VPC "sh" gets its NAT gateway in the first zone of its first cluster, cn-shanghai-l, where enhanced NAT gateways are not offered (vpc.getEnhancedNatAvailableZones); offered: cn-shanghai-m (got "cn-shanghai-l"). Fix: list first, in clusters.sh.zones, a zone that offers enhanced NAT gateways',
            ]);
        });

        it("for a cluster that exists, what is no longer on offer is a warning, not an error", () => {
            const a = goodAnswers();
            (a["cn-hangzhou"] as any).clusters = { hz: { value: { id: "c1", version: V35 } } };
            (a["cn-hangzhou"] as any).zones = { value: ["cn-hangzhou-h"] };
            (a["cn-hangzhou"] as any).transitRouterZones = { value: ["cn-hangzhou-h"] };
            (a["cn-hangzhou"] as any).enhancedNatZones = { value: [] };
            (a["cn-hangzhou"] as any).instanceTypes = { "cn-hangzhou-h": { value: ["ecs.g8i.xlarge"] } };
            // The same answers for a new cluster (sh) are errors.
            (a["cn-shanghai"] as any).zones = { value: [] };
            const r = evaluatePreflight(twoRegionPlan(), a);
            assert.deepStrictEqual(r.problems.map((p) => p.path), ["clusters.sh.zones[0]"]);
            assert.deepStrictEqual(
                r.warnings.map((w) => w.split(":")[0]),
                ["clusters.hz.zones[1]", "clusters.hz.nodePools.default.instanceTypes", "clusters.hz.zones", "clusters.hz.zones"],
            );
            for (const w of r.warnings) assert.ok(w.endsWith("(Not an error: this already exists; only new resources there would fail.)"), w);
            assert.deepStrictEqual(r.versions.hz, { version: V35, pinned: false, running: V35 });
        });

        it("a region the account does not offer lists what it offers and stops that cluster's other checks", () => {
            const a = goodAnswers();
            (a["cn-shanghai"] as any).regions = { value: ["cn-hangzhou", "cn-shanghai-finance-1"] };
            const r = evaluatePreflight(twoRegionPlan(), a);
            assert.deepStrictEqual(r.problems.map(formatProblem), [
                'clusters.sh.region: is a region the provider knows, but not one this account can use (getRegions) (got "cn-shanghai"). Fix: use one of the account\'s regions: cn-hangzhou, cn-shanghai-finance-1',
            ]);
        });

        it("a check that cannot run says so and names the invoke: it never passes silently", () => {
            const a = goodAnswers();
            (a["cn-shanghai"] as any).kubernetesVersions = { failed: { invoke: PREFLIGHT_INVOKES.kubernetesVersions, message: "Forbidden.RAM: User not authorized to operate on the specified resource" } };
            (a["cn-hangzhou"] as any).transitRouterZones = { failed: { invoke: PREFLIGHT_INVOKES.transitRouterZones, message: "timeout" } };
            const r = evaluatePreflight(twoRegionPlan(), a);
            assert.deepStrictEqual(r.problems.map(formatProblem), [
                'clusters.sh.kubernetesVersion: could not be checked: the invoke alicloud:cs/getKubernetesVersion:getKubernetesVersion failed in cn-shanghai (Forbidden.RAM: User not authorized to operate on the specified resource) (got "(newest offered)"). Fix: check the credentials and the RAM permissions of the deploying identity (read access to ECS, VPC, CEN and ACK), then run the preview again',
                'clusters.hz.zones: could not be checked: the invoke alicloud:cen/getTransitRouterAvailableResources:getTransitRouterAvailableResources failed in cn-hangzhou (timeout) (got "cn-hangzhou-h, cn-hangzhou-i"). Fix: check the credentials and the RAM permissions of the deploying identity (read access to ECS, VPC, CEN and ACK), then run the preview again',
            ]);
            assert.equal(r.versions.sh, undefined);
        });

        it("answers missing for a region are failures, not passes", () => {
            const a: AccountAnswers = { "cn-hangzhou": goodAnswers()["cn-hangzhou"] };
            const r = evaluatePreflight(twoRegionPlan(), a);
            assert.deepStrictEqual(r.problems.map((p) => p.path), ["clusters.sh.region"]);
            assert.match(r.problems[0].message, /could not be checked: the invoke alicloud:index\/getRegions:getRegions failed in cn-shanghai \(no answer was gathered for region cn-shanghai\)/);
        });
    });

    describe("askAccount (on the simulated account)", () => {
        it("asks each region through its own provider, with the exact invoke arguments", async () => {
            const { answers, res } = await askOnSim(twoRegionPlan());
            const byProvider = (region: string) =>
                res.invokes
                    .filter((i) => i.provider?.includes(`alicloud-${region}::`))
                    .map((i) => [i.token, i.inputs])
                    .sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
            assert.equal(res.invokes.filter((i) => i.provider === undefined).length, 0, "no invoke uses the default provider");
            assert.deepStrictEqual(byProvider("cn-shanghai"), [
                [PREFLIGHT_INVOKES.transitRouterZones, {}],
                [PREFLIGHT_INVOKES.clusters, { clusterName: "sh", clusterType: "ManagedKubernetes", enableDetails: true, nameRegex: "^sh$" }],
                [PREFLIGHT_INVOKES.instanceTypes, { availabilityZone: "cn-shanghai-l", instanceChargeType: "PostPaid", kubernetesNodeRole: "Worker" }],
                [PREFLIGHT_INVOKES.kubernetesVersions, { clusterType: "ManagedKubernetes", profile: "Default" }],
                [PREFLIGHT_INVOKES.regions, {}],
                [PREFLIGHT_INVOKES.zones, { availableResourceCreation: "VSwitch" }],
                [PREFLIGHT_INVOKES.enhancedNatZones, {}],
            ].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)));
            assert.equal(byProvider("cn-hangzhou").length, 8, "one getInstanceTypes per pool zone (2) plus six");
            const hz = answers["cn-hangzhou"];
            const catalogHz = CATALOG.regions["cn-hangzhou"];
            assert.deepStrictEqual(hz.zones, { value: Object.keys(catalogHz.zones) });
            assert.deepStrictEqual(hz.kubernetesVersions, { value: CATALOG.kubernetesVersions.map((v) => v.version) });
            assert.deepStrictEqual(hz.clusters, { hz: { value: undefined } });
            assert.deepStrictEqual(hz.instanceTypes["cn-hangzhou-h"], { value: [...catalogHz.zones["cn-hangzhou-h"].instanceTypes].sort() });
            assert.deepStrictEqual(answers["cn-shanghai"].transitRouterZones, {
                value: [...new Set([...CATALOG.regions["cn-shanghai"].transitRouter.masterZones, ...CATALOG.regions["cn-shanghai"].transitRouter.slaveZones])],
            });
        });

        it("turns a failing invoke into a failed answer that names it", async () => {
            const { answers } = await askOnSim(
                twoRegionPlan(),
                {
                    invokes: {
                        [PREFLIGHT_INVOKES.zones]: (_args, ctx) => (ctx.region === "cn-shanghai" ? ctx.fail("Throttling.User: Request was denied due to user flow control.") : { ids: [], zones: [] }),
                    },
                },
            );
            const sh = answers["cn-shanghai"].zones;
            assert.ok("failed" in sh);
            assert.equal(sh.failed.invoke, PREFLIGHT_INVOKES.zones);
            assert.match(sh.failed.message, /Throttling\.User: Request was denied due to user flow control\./);
            assert.deepStrictEqual(answers["cn-hangzhou"].zones, { value: [] });
        });

        it("finds the stack's existing cluster by its exact ACK name and its tags, and reads its version", async () => {
            const { answers } = await askOnSim(twoRegionPlan(), {
                existingClusters: [
                    { name: "hz", region: "cn-hangzhou", version: "1.33.3-aliyun.1", id: "c0123456789abcdef0123456789abcdef", tags: { ...OWNER, team: "x" } },
                    { name: "hz-old", region: "cn-hangzhou", version: V35, tags: OWNER },
                ],
            });
            assert.deepStrictEqual(answers["cn-hangzhou"].clusters, { hz: { value: { id: "c0123456789abcdef0123456789abcdef", version: "1.33.3-aliyun.1" } } });
            assert.equal(answers["cn-hangzhou"].foreignClusters, undefined);
            assert.deepStrictEqual(answers["cn-shanghai"].clusters, { sh: { value: undefined } });
        });

        it("a cluster of the same name without the stack's tags is someone else's: not existing, and a warning", async () => {
            const foreign = "cfeedfacefeedfacefeedfacefeedface";
            const { answers } = await askOnSim(twoRegionPlan(), {
                existingClusters: [{ name: "hz", region: "cn-hangzhou", version: "1.33.3-aliyun.1", id: foreign, tags: { "ack-mesh-stack": "prod", "ack-mesh-mesh": "mesh1" } }],
            });
            assert.deepStrictEqual(answers["cn-hangzhou"].clusters, { hz: { value: undefined } });
            assert.deepStrictEqual(answers["cn-hangzhou"].foreignClusters, { hz: [foreign] });
            const r = evaluatePreflight(twoRegionPlan(), { ...goodAnswers(), "cn-hangzhou": { ...goodAnswers()["cn-hangzhou"], foreignClusters: { hz: [foreign] } } });
            assert.deepStrictEqual(r.versions.hz, { version: V36, pinned: false }, "a new cluster: the newest version, not the other cluster's");
            assert.deepStrictEqual(r.warnings, [
                `clusters.hz: the account already has a cluster named "hz" in cn-hangzhou (${foreign}) without this stack's tags (ack-mesh-stack=dev, ack-mesh-mesh=mesh1); a new one is created beside it. Set clusters.hz.displayName to tell them apart in the console.`,
            ]);
        });

        it("two clusters with the stack's name and tags are an error, not a guess", async () => {
            const { answers } = await askOnSim(twoRegionPlan(), {
                existingClusters: [
                    { name: "sh", region: "cn-shanghai", version: V35, id: "c00000000000000000000000000000001", tags: OWNER },
                    { name: "sh", region: "cn-shanghai", version: V36, id: "c00000000000000000000000000000002", tags: OWNER },
                ],
            });
            const r = evaluatePreflight(twoRegionPlan(), answers);
            assert.deepStrictEqual(r.problems.map(formatProblem), [
                'clusters.sh.kubernetesVersion: could not be checked: the invoke alicloud:cs/getClusters:getClusters failed in cn-shanghai (2 clusters named "sh" carry this stack\'s tags: c00000000000000000000000000000001, c00000000000000000000000000000002) (got "(newest offered)"). Fix: delete or re-tag the cluster that is not this stack\'s, or import the right one into the stack',
            ]);
        });

        it("ACK offering no version at all: a new cluster cannot be created; a pin gets 'choose another region'", () => {
            const a = goodAnswers();
            (a["cn-shanghai"] as any).kubernetesVersions = { value: [] };
            assert.deepStrictEqual(evaluatePreflight(twoRegionPlan(), a).problems.map(formatProblem), [
                "clusters.sh.kubernetesVersion: ACK offers no Kubernetes version for new managed clusters in cn-shanghai (cs.getKubernetesVersion). Fix: choose another region, or check the account's ACK activation",
            ]);
            assert.deepStrictEqual(evaluatePreflight(withPin(twoRegionPlan(), "sh", V36), a).problems.map(formatProblem), [
                `clusters.sh.kubernetesVersion: is not offered by ACK for new managed clusters in cn-shanghai (cs.getKubernetesVersion lists the versions on sale); on offer: none (got "${V36}"). Fix: choose another region`,
            ]);
        });
    });
});
