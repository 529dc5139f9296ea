/**
 * The fleet's pure parts: the stack layout of each environment, the phases
 * of preview/up/destroy (removal and destroy order), the pool, fail-fast and
 * summary with a fake stack runner, the CLI's arguments, and the Automation
 * API runner against a fake `createOrSelectStack`.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InlineProgramArgs, LocalWorkspaceOptions, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import { ConfigError, formatProblem } from "../../config/errors";
import { planTopology } from "../../programs/compose";
import {
    CA_ROOT_CONFIG_KEYS,
    checkFleetSupports,
    clusterNetworkPlanHash,
    clusterStackId,
    configForStack,
    FLEET_UNSUPPORTED_HEADING,
    fleetProject,
    fleetStackRef,
    fleetStacks,
    FleetStack,
    isClusterStack,
    KEEP_DEPLOYED_CONFIG_KEY,
    meshStackPairs,
    networkPlanHash,
    previewable,
} from "../../programs/fleet/layout";
import { CA_ROOT_HELD_BY_CA_STACK, fleetRawConfig, withRelations } from "../../programs/fleet/config";
import {
    changesText,
    clusterChanges,
    FleetPhase,
    FleetPlanError,
    fleetPhases,
    poolMakespan,
    runFleet,
    StackAction,
    StackRunner,
    summaryRows,
} from "../../programs/fleet/orchestrator";
import { automationRunner, secretEnvVar, secretsFromEnv } from "../../programs/fleet/automation";
import { parseFleetArgs } from "../../scripts/fleet";
import { UsageError } from "../../scripts/plan";
import { stackRaw } from "../support";

const ids = (stacks: ReadonlyArray<FleetStack>) => stacks.map((s) => s.id);
const phaseText = (phases: FleetPhase[]) => phases.map((p) => `${p.action} ${p.layer}: ${ids(p.stacks).join(" ")}`);
const planned = (env: string) => planTopology(stackRaw(env));

describe("fleet layout", () => {
    it("splits dev, staging and prod into these stacks, in up order", () => {
        assert.deepEqual(
            fleetStacks(planned("dev")).map((s) => `${s.layer}/${s.id}/${s.project}`),
            [
                "network/network/ack-mesh-network",
                "network/ca/ack-mesh-ca",
                "security-groups/sg-istio-control-plane/ack-mesh-sg-istio-control-plane",
                "security-groups/sg-istio-remote1/ack-mesh-sg-istio-remote1",
                "primaries/cluster-istio-control-plane/ack-mesh-cluster-istio-control-plane",
                "remotes/cluster-istio-remote1/ack-mesh-cluster-istio-remote1",
                "mesh/mesh-istio-control-plane/ack-mesh-mesh-istio-control-plane",
                "apps/app-bookinfo/ack-mesh-app-bookinfo",
            ],
        );
        assert.deepEqual(ids(fleetStacks(planned("staging"))), ["network", "ca", "sg-hangzhou", "sg-shanghai", "cluster-hangzhou", "cluster-shanghai", "mesh-hangzhou", "app-bookinfo"]);
        assert.deepEqual(ids(fleetStacks(planned("prod"))), ["network", "ca", "sg-beijing", "sg-shanghai", "cluster-beijing", "cluster-shanghai", "mesh-beijing", "mesh-shanghai", "app-bookinfo"]);
        assert.deepEqual(
            fleetStacks(planned("fleet")).map((s) => [s.layer, isClusterStack(s) ? `${s.cluster}<${s.primary}` : s.layer === "security-groups" ? s.cluster : undefined, s.layer === "mesh" ? s.watcher : undefined]),
            [
                ["network", undefined, undefined],
                ["network", undefined, undefined],
                ["security-groups", "bj-apps-1", undefined],
                ["security-groups", "bj-apps-2", undefined],
                ["security-groups", "bj-primary", undefined],
                ["security-groups", "sh-apps-1", undefined],
                ["security-groups", "sh-apps-2", undefined],
                ["security-groups", "sh-primary", undefined],
                ["primaries", "bj-primary<bj-primary", undefined],
                ["primaries", "sh-primary<sh-primary", undefined],
                ["remotes", "bj-apps-1<bj-primary", undefined],
                ["remotes", "bj-apps-2<bj-primary", undefined],
                ["remotes", "sh-apps-1<sh-primary", undefined],
                ["remotes", "sh-apps-2<sh-primary", undefined],
                ["mesh", undefined, "bj-primary"],
                ["mesh", undefined, "sh-primary"],
                ["apps", undefined, undefined],
            ],
        );
    });

    it("records which stacks each stack reads", () => {
        assert.deepEqual(
            Object.fromEntries(fleetStacks(planned("staging")).map((s) => [s.id, s.reads])),
            {
                network: [],
                ca: [],
                "sg-hangzhou": ["network"],
                "sg-shanghai": ["network"],
                "cluster-hangzhou": ["network", "sg-hangzhou"],
                "cluster-shanghai": ["cluster-hangzhou", "network", "sg-shanghai"],
                "mesh-hangzhou": ["cluster-hangzhou"],
                "app-bookinfo": ["cluster-hangzhou", "cluster-shanghai"],
            },
        );
        // With a shared root (several primaries) the primaries, and only they, read the ca stack.
        assert.deepEqual(fleetStacks(planned("prod")).filter((s) => s.reads.includes("ca")).map((s) => s.id), ["cluster-beijing", "cluster-shanghai"]);
        assert.deepEqual(fleetStacks(planned("prod")).find((s) => s.id === "mesh-beijing")!.reads, ["cluster-beijing", "cluster-shanghai"]);
        // Several primaries with remotes (stacks/Pulumi.fleet.yaml): each remote reads its own primary.
        assert.deepEqual(
            fleetStacks(planned("fleet")).map((s) => `${s.layer} ${s.id} <- ${s.reads.join(",")}`),
            [
                "network network <- ",
                "network ca <- ",
                "security-groups sg-bj-apps-1 <- network",
                "security-groups sg-bj-apps-2 <- network",
                "security-groups sg-bj-primary <- network",
                "security-groups sg-sh-apps-1 <- network",
                "security-groups sg-sh-apps-2 <- network",
                "security-groups sg-sh-primary <- network",
                "primaries cluster-bj-primary <- ca,network,sg-bj-primary",
                "primaries cluster-sh-primary <- ca,network,sg-sh-primary",
                "remotes cluster-bj-apps-1 <- cluster-bj-primary,network,sg-bj-apps-1",
                "remotes cluster-bj-apps-2 <- cluster-bj-primary,network,sg-bj-apps-2",
                "remotes cluster-sh-apps-1 <- cluster-sh-primary,network,sg-sh-apps-1",
                "remotes cluster-sh-apps-2 <- cluster-sh-primary,network,sg-sh-apps-2",
                "mesh mesh-bj-primary <- cluster-bj-primary,cluster-sh-apps-1,cluster-sh-apps-2,cluster-sh-primary",
                "mesh mesh-sh-primary <- cluster-bj-apps-1,cluster-bj-apps-2,cluster-bj-primary,cluster-sh-primary",
                "apps app-bookinfo <- cluster-bj-apps-1,cluster-bj-apps-2,cluster-bj-primary,cluster-sh-apps-1,cluster-sh-apps-2,cluster-sh-primary",
            ],
        );
        assert.equal(meshStackPairs(planned("fleet").identity).length, 2 * 5 - 4);
        assert.deepEqual(meshStackPairs(planned("fleet").identity, "sh-primary").map((p) => p.target), ["bj-apps-1", "bj-apps-2", "bj-primary"]);
    });

    it("previews only the stacks whose references exist: a new environment, then a new cluster", () => {
        const prod = fleetStacks(planned("prod"));
        assert.deepEqual(
            [previewable(prod, new Set()).run, previewable(prod, new Set()).waiting].map(ids),
            [["network", "ca"], ["sg-beijing", "sg-shanghai", "cluster-beijing", "cluster-shanghai", "mesh-beijing", "mesh-shanghai", "app-bookinfo"]],
        );
        const groups = ["sg-beijing", "sg-shanghai"];
        assert.deepEqual(ids(previewable(prod, new Set(["network", "ca"])).run), ["network", "ca", ...groups], "the groups wait for the network only");
        const some = previewable(prod, new Set(["network", "ca", ...groups, "cluster-beijing"]));
        assert.deepEqual([ids(some.run), ids(some.waiting)], [["network", "ca", ...groups, "cluster-beijing", "cluster-shanghai"], ["mesh-beijing", "mesh-shanghai", "app-bookinfo"]]);
        assert.deepEqual(ids(previewable(prod, new Set(["network", ...groups, "cluster-beijing"])).waiting).slice(0, 2), ["cluster-beijing", "cluster-shanghai"], "a primary waits for the ca stack");
        assert.deepEqual(ids(previewable(prod, new Set(["network", "ca", "sg-beijing"])).waiting).slice(0, 2), ["cluster-shanghai", "mesh-beijing"], "a cluster waits for its group's stack");
        assert.deepEqual(ids(previewable(prod, new Set(["network", "ca", ...groups, "cluster-beijing", "cluster-shanghai"])).run), ids(prod));
    });

    it("has no app stack when Bookinfo is disabled", () => {
        const raw = stackRaw("staging");
        assert.deepEqual(ids(fleetStacks(planTopology({ ...raw, bookinfo: { enabled: false } }))), ["network", "ca", "sg-hangzhou", "sg-shanghai", "cluster-hangzhou", "cluster-shanghai", "mesh-hangzhou"]);
    });

    it("gives the root CA's secret config to the ca stack only", () => {
        const config = { "ack-mesh:mesh": { id: "m" }, "ack-mesh:caRootCert": "C", "ack-mesh:caRootKey": "K", "alicloud:accessKey": "A" };
        const keys = ["ack-mesh:caRootCert", "ack-mesh:caRootKey", "alicloud:accessKey"];
        assert.deepEqual(CA_ROOT_CONFIG_KEYS, ["ack-mesh:caRootCert", "ack-mesh:caRootKey"]);
        assert.deepEqual(configForStack({ id: "ca" }, config, keys), { config, secretKeys: keys });
        for (const id of ["network", "cluster-beijing", "mesh-beijing", "app-bookinfo"]) {
            assert.deepEqual(configForStack({ id }, config, keys), { config: { "ack-mesh:mesh": { id: "m" }, "alicloud:accessKey": "A" }, secretKeys: ["alicloud:accessKey"] }, id);
        }
        // An sg stack that keeps the deployed layout's rules gets them as JSON, under the orchestrator's own key.
        const keepDeployed = [{ name: "hz", role: "primary" as const, controlledBy: "hz" }];
        assert.deepEqual(configForStack({ id: "sg-hz", keepDeployed }, config, keys), {
            config: { "ack-mesh:mesh": { id: "m" }, "alicloud:accessKey": "A", [KEEP_DEPLOYED_CONFIG_KEY]: '[{"name":"hz","role":"primary","controlledBy":"hz"}]' },
            secretKeys: ["alicloud:accessKey"],
        });
        assert.equal(KEEP_DEPLOYED_CONFIG_KEY, "ack-mesh-fleet:keepRulesOfDeployed");
        assert.deepEqual(configForStack({ id: "sg-hz" }, { ...config, [KEEP_DEPLOYED_CONFIG_KEY]: "stale" }).config, { "ack-mesh:mesh": { id: "m" }, "alicloud:accessKey": "A" }, "never passed through from the file");
        // The other stacks' config check sees a marker, never the keys.
        assert.deepEqual(fleetRawConfig("cluster-beijing", { mesh: {} }), { mesh: {}, caRootCert: CA_ROOT_HELD_BY_CA_STACK, caRootKey: CA_ROOT_HELD_BY_CA_STACK });
        assert.deepEqual(fleetRawConfig("ca", { mesh: {} }), { mesh: {} });
    });

    it("plans the deployed layout an sg stack keeps: the deployed roles and primaries over the configured clusters", () => {
        // prod with shanghai demoted to a remote of beijing; deployed: both primaries, and a cluster since removed.
        const raw = stackRaw("prod");
        const clusters = raw.clusters as Record<string, Record<string, unknown>>;
        const demoted = { ...raw, mesh: { ...(raw.mesh as Record<string, unknown>), topology: "primary-remote" }, clusters: { ...clusters, shanghai: { ...clusters.shanghai, role: "remote", controlPlane: "beijing" } } };
        const back = withRelations(demoted, [
            { name: "beijing", role: "primary", controlledBy: "beijing" },
            { name: "shanghai", role: "primary", controlledBy: "shanghai" },
            { name: "gone", role: "remote", controlledBy: "beijing" },
        ]);
        const layout = planTopology(back);
        assert.deepEqual(layout.identity.controlPlanes, ["beijing", "shanghai"]);
        assert.deepEqual(Object.keys(back.clusters as object), ["beijing", "shanghai"]);
        assert.equal((back.mesh as { topology: string }).topology, "multi-primary-remote");
        // And the other way: a remote back under its deployed primary; a remote without a recorded primary keeps its configured one.
        const moved = withRelations(stackRaw("fleet"), [{ name: "sh-apps-1", role: "remote", controlledBy: "bj-primary" }, { name: "sh-apps-2", role: "remote" }]);
        const identity = planTopology(moved).identity;
        assert.deepEqual([identity.clusters["sh-apps-1"].controlledBy, identity.clusters["sh-apps-2"].controlledBy], ["bj-primary", "sh-primary"]);
    });

    it("stops plan, preview and up on verify.enabled, which only the monolith builds", () => {
        const raw = stackRaw("staging");
        assert.throws(
            () => checkFleetSupports(planTopology({ ...raw, verify: { enabled: true } })),
            (e: unknown) =>
                e instanceof ConfigError &&
                e.message ===
                    `${FLEET_UNSUPPORTED_HEADING} (1 problem):\n  - ack-mesh:verify.enabled: asks for the verification Jobs (MeshVerification), which only the monolithic program builds; the fleet would silently leave them out (got true). ` +
                        "Fix: set it to false for the fleet and, once the fleet is up, run npm run verify -- <env> --outputs <file>, the file holding the cluster stacks' kubeconfig, ingressAddress and eastWestAddress outputs as kubeconfigs, ingressAddresses and eastWestAddresses by cluster; or deploy this environment with the monolith (programs/ack-mesh)",
        );
        assert.doesNotThrow(() => checkFleetSupports(planned("staging")));
    });

    it("stops plan, preview and up on upgrade.oneClusterAtATime, which only the monolith paces; both problems at once", () => {
        const raw = stackRaw("staging");
        let caught: unknown;
        try {
            checkFleetSupports(planTopology({ ...raw, verify: { enabled: true }, upgrade: { oneClusterAtATime: true } }));
        } catch (e) {
            caught = e;
        }
        assert.ok(caught instanceof ConfigError);
        assert.deepEqual(
            caught.problems.map((p) => p.path),
            ["ack-mesh:upgrade.oneClusterAtATime", "ack-mesh:verify.enabled"],
        );
        assert.equal(
            formatProblem(caught.problems[0]),
            "ack-mesh:upgrade.oneClusterAtATime: paces the clusters of one pulumi up (remotes first, primaries last), which only the monolithic program does; the fleet runs primaries before remotes, up to --pool cluster stacks at once (got true). " +
                "Fix: remove it for the fleet and pace the upgrade by hand: npm run fleet -- up <env> --pool 1 runs one cluster stack at a time (primaries first), or raise kubernetesVersion on one cluster per change",
        );
    });

    it("gives the mesh stacks every primary × other cluster pair except a remote's own secret in its primary", () => {
        assert.deepEqual(meshStackPairs(planned("dev").identity), []);
        assert.deepEqual(meshStackPairs(planned("staging").identity), []);
        assert.deepEqual(meshStackPairs(planned("prod").identity), [
            { watcher: "beijing", target: "shanghai" },
            { watcher: "shanghai", target: "beijing" },
        ]);
    });

    it("names projects and stack references after the stack id", () => {
        assert.equal(fleetProject("cluster-hz"), "ack-mesh-cluster-hz");
        assert.equal(clusterStackId("hz"), "cluster-hz");
        assert.equal(fleetStackRef("organization", "network", "prod"), "organization/ack-mesh-network/prod");
    });

    it("hashes the network plan independently of key order, and differently for another plan", () => {
        const { network } = planned("staging");
        const reordered = { regions: network.regions, clusters: Object.fromEntries(Object.entries(network.clusters).reverse()), vpcs: network.vpcs };
        assert.equal(networkPlanHash(reordered), networkPlanHash(network));
        assert.match(networkPlanHash(network), /^sha256:[0-9a-f]{64}$/);
        assert.notEqual(networkPlanHash(planned("prod").network), networkPlanHash(network));
    });

    it("hashes a cluster's part of the plan: only what the network's ids for it depend on", () => {
        const { network } = planned("fleet");
        const c = network.clusters["bj-apps-1"];
        const base = clusterNetworkPlanHash(network, "bj-apps-1");
        assert.match(base, /^sha256:[0-9a-f]{64}$/);
        const withCluster = (patch: Partial<typeof c>, vpcs = network.vpcs) => ({ ...network, vpcs, clusters: { ...network.clusters, "bj-apps-1": { ...c, ...patch } } });
        const zone = Object.keys(c.zones)[0];
        const zones = (z: Partial<(typeof c.zones)[string]>) => ({ ...c.zones, [zone]: { ...c.zones[zone], ...z } });
        const vpc = network.vpcs[c.vpc];
        const same: [string, typeof network][] = [
            ["keys reordered", { ...network, clusters: Object.fromEntries(Object.entries(network.clusters).reverse()) }],
            ["another member in its shared VPC", withCluster({}, { ...network.vpcs, [c.vpc]: { ...vpc, clusters: [...vpc.clusters, "bj-apps-3"] } })],
            ["service range", withCluster({ serviceCidr: "172.31.0.0/20" })],
            ["slot pinned where it was derived", withCluster({ slotDerived: !c.slotDerived })],
        ];
        for (const [what, plan] of same) assert.equal(clusterNetworkPlanHash(plan, "bj-apps-1"), base, what);
        const different: [string, typeof network][] = [
            ["node vSwitch CIDR", withCluster({ zones: zones({ vswitch: "10.99.0.0/24" }) })],
            ["pod vSwitch CIDR", withCluster({ zones: zones({ podVswitch: "10.99.1.0/24" }) })],
            ["VPC CIDR", withCluster({}, { ...network.vpcs, [c.vpc]: { ...vpc, cidr: "10.99.0.0/16" } })],
            ["VPC", withCluster({ vpc: "other" }, { ...network.vpcs, other: vpc })],
            ["region", withCluster({ region: "cn-hangzhou" })],
            ["zone order", withCluster({ zones: Object.fromEntries(Object.entries(c.zones).reverse()) })],
        ];
        for (const [what, plan] of different) assert.notEqual(clusterNetworkPlanHash(plan, "bj-apps-1"), base, what);
        assert.throws(() => clusterNetworkPlanHash(network, "gone"), { message: 'the network plan has no cluster "gone"' });
    });
});

describe("fleet phases", () => {
    const prod = fleetStacks(planned("prod"));
    const staging = fleetStacks(planned("staging"));

    it("up and preview: network → security groups → primaries → remotes → mesh → apps", () => {
        assert.deepEqual(phaseText(fleetPhases("up", staging)), [
            "up network: network ca",
            "up security-groups: sg-hangzhou sg-shanghai",
            "up primaries: cluster-hangzhou",
            "up remotes: cluster-shanghai",
            "up mesh: mesh-hangzhou",
            "up apps: app-bookinfo",
        ]);
        assert.deepEqual(phaseText(fleetPhases("preview", prod)), [
            "preview network: network ca",
            "preview security-groups: sg-beijing sg-shanghai",
            "preview primaries: cluster-beijing cluster-shanghai",
            "preview mesh: mesh-beijing mesh-shanghai",
            "preview apps: app-bookinfo",
        ]);
    });

    it("destroy: apps → mesh → remotes → primaries → security groups → network", () => {
        assert.deepEqual(phaseText(fleetPhases("destroy", staging)), [
            "destroy apps: app-bookinfo",
            "destroy mesh: mesh-hangzhou",
            "destroy remotes: cluster-shanghai",
            "destroy primaries: cluster-hangzhou",
            "destroy security-groups: sg-hangzhou sg-shanghai",
            "destroy network: network ca",
        ]);
    });

    // prod's two primaries, with shanghai turned into a remote of beijing.
    const prodDemoted = () => {
        const raw = stackRaw("prod");
        const clusters = raw.clusters as Record<string, Record<string, unknown>>;
        const mesh = raw.mesh as Record<string, unknown>;
        return fleetStacks(planTopology({ ...raw, mesh: { ...mesh, topology: "primary-remote" }, clusters: { ...clusters, shanghai: { ...clusters.shanghai, role: "remote", controlPlane: "beijing" } } }));
    };

    it("a primary that becomes a remote: its mesh stack is destroyed after the other mesh stacks stop reading it as a primary, before its cluster stack runs", () => {
        const stacks = prodDemoted();
        const changes = clusterChanges(stacks, [
            { name: "beijing", role: "primary", controlledBy: "beijing" },
            { name: "shanghai", role: "primary", controlledBy: "shanghai" },
        ]);
        const deployed = [
            { name: "beijing", role: "primary", controlledBy: "beijing" },
            { name: "shanghai", role: "primary", controlledBy: "shanghai" },
        ];
        assert.deepEqual(changes, {
            removed: [{ id: "mesh-shanghai", layer: "mesh", project: "ack-mesh-mesh-shanghai", watcher: "shanghai", reads: [] }],
            added: [],
            demoted: ["shanghai"],
            moved: [],
            deployed,
        });
        const phases = fleetPhases("up", stacks, changes);
        assert.deepEqual(phaseText(phases), [
            "up apps: app-bookinfo",
            "up mesh: mesh-beijing",
            "destroy mesh: mesh-shanghai",
            "up network: network ca",
            "up security-groups: sg-beijing sg-shanghai",
            "up primaries: cluster-beijing",
            "up remotes: cluster-shanghai",
            "up security-groups: sg-beijing sg-shanghai",
        ]);
        // The first run of the groups keeps the deployed roles' rules; the last one drops them.
        const groupRuns = phases.filter((p) => p.layer === "security-groups").map((p) => p.stacks.map((st) => ("keepDeployed" in st ? st.keepDeployed : undefined)));
        assert.deepEqual(groupRuns, [[deployed, deployed], [undefined, undefined]]);
        const withNew = clusterChanges(stacks, [{ name: "beijing", role: "primary", controlledBy: "beijing" }]);
        assert.deepEqual(withNew.added, ["shanghai"]);
        assert.throws(
            () => fleetPhases("up", stacks, { ...changes, added: ["new-one"] }),
            (e: unknown) =>
                e instanceof FleetPlanError &&
                e.message ===
                    "primaries shanghai become remotes and new-one are added in the same change: their mesh stacks are destroyed before the cluster stacks run, and the mesh reads new clusters only after they exist; apply the role change first, then the addition",
        );
    });

    it("a remote moving to another primary: the groups keep the deployed layout's rules until every cluster stack has run, then drop them", () => {
        const fleet = fleetStacks(planned("fleet"));
        const deployed = [
            { name: "bj-apps-1", role: "remote", controlledBy: "bj-primary" },
            { name: "bj-apps-2", role: "remote", controlledBy: "bj-primary" },
            { name: "bj-primary", role: "primary", controlledBy: "bj-primary" },
            { name: "sh-apps-1", role: "remote", controlledBy: "bj-primary" },
            { name: "sh-apps-2", role: "remote", controlledBy: "sh-primary" },
            { name: "sh-primary", role: "primary", controlledBy: "sh-primary" },
        ] as const;
        const changes = clusterChanges(fleet, deployed);
        assert.deepEqual(changes.moved, [{ name: "sh-apps-1", from: "bj-primary", to: "sh-primary" }]);
        const phases = fleetPhases("up", fleet, changes);
        assert.deepEqual(phases.map((p) => `${p.action} ${p.layer}${p.stacks.every((st) => "keepDeployed" in st && st.keepDeployed === changes.deployed) ? " (keeping the deployed rules)" : ""}`), [
            "up network",
            "up security-groups (keeping the deployed rules)",
            "up primaries",
            "up remotes",
            "up mesh",
            "up apps",
            "up security-groups",
        ]);
        assert.ok(phases[6].stacks.every((st) => !("keepDeployed" in st)), "the last run plans the configured layout only");
        // A preview shows both runs; without a change of roles or primaries the groups run once.
        assert.equal(fleetPhases("preview", fleet, changes).filter((p) => p.layer === "security-groups").length, 2);
        assert.equal(fleetPhases("up", fleet, clusterChanges(fleet, deployed.map((d) => (d.name === "sh-apps-1" ? { ...d, controlledBy: "sh-primary" } : d)))).filter((p) => p.layer === "security-groups").length, 1);
        // Adding a cluster in the same change is refused.
        assert.throws(
            () => fleetPhases("up", fleet, { ...changes, added: ["sh-apps-3"] }),
            (e: unknown) =>
                e instanceof FleetPlanError &&
                e.message ===
                    "sh-apps-1 change primary and sh-apps-3 are added in the same change: the security groups keep the deployed roles' rules until the clusters have switched, which the new clusters' rules cannot be planned against; apply the primary change first, then the addition",
        );
    });

    it("refuses moving a remote off a primary removed in the same up, naming both and the two steps", () => {
        const stacks = prodDemoted().filter((s) => s.id !== "app-bookinfo");
        // Deployed: shanghai was a remote of old-primary; old-primary is gone, shanghai now belongs to beijing.
        const changes = clusterChanges(stacks, [
            { name: "beijing", role: "primary", controlledBy: "beijing" },
            { name: "old-primary", role: "primary", controlledBy: "old-primary" },
            { name: "shanghai", role: "remote", controlledBy: "old-primary" },
        ]);
        assert.deepEqual(changes.moved, [{ name: "shanghai", from: "old-primary", to: "beijing" }]);
        assert.throws(
            () => fleetPhases("up", stacks, changes),
            (e: unknown) =>
                e instanceof FleetPlanError &&
                e.message ===
                    "shanghai leaves its primary old-primary (for beijing) while old-primary is removed: cluster-shanghai deletes its remote secret in old-primary through old-primary's API server, which the removal destroys first; " +
                        "move shanghai first (an up with old-primary still in the config), then remove old-primary",
        );
        // A remote promoted to primary while its primary goes: the same refusal.
        const promoted = clusterChanges(fleetStacks(planned("prod")), [
            { name: "beijing", role: "primary", controlledBy: "beijing" },
            { name: "old-primary", role: "primary", controlledBy: "old-primary" },
            { name: "shanghai", role: "remote", controlledBy: "old-primary" },
        ]);
        assert.deepEqual(promoted.moved, [{ name: "shanghai", from: "old-primary", to: "shanghai" }]);
        assert.throws(
            () => fleetPhases("preview", fleetStacks(planned("prod")), promoted),
            (e: unknown) => e instanceof FleetPlanError && e.message.startsWith("shanghai leaves its primary old-primary (it becomes a primary) while old-primary is removed: "),
        );
        // Moving while the old primary stays is ordered normally; without controlledBy (an older network stack) nothing is detected.
        assert.deepEqual(clusterChanges(stacks, [{ name: "beijing", role: "primary" }, { name: "shanghai", role: "remote" }]).moved, []);
        assert.doesNotThrow(() => fleetPhases("up", stacks, { moved: [{ name: "shanghai", from: "other", to: "beijing" }] }));
    });

    it("up after a removal: apps and mesh drop the cluster before its stacks are destroyed (cluster, then group), then the network and the other groups", () => {
        const changes = clusterChanges(staging, [
            { name: "hangzhou", role: "primary" },
            { name: "shanghai", role: "remote" },
            { name: "old-remote", role: "remote" },
            { name: "old-primary", role: "primary" },
        ]);
        const { removed, added } = changes;
        assert.deepEqual(added, []);
        assert.deepEqual(removed.map((s) => `${s.layer}/${s.id}/${s.project}/${s.reads.length}`), [
            "primaries/cluster-old-primary/ack-mesh-cluster-old-primary/0",
            "remotes/cluster-old-remote/ack-mesh-cluster-old-remote/0",
            "security-groups/sg-old-primary/ack-mesh-sg-old-primary/0",
            "security-groups/sg-old-remote/ack-mesh-sg-old-remote/0",
            "mesh/mesh-old-primary/ack-mesh-mesh-old-primary/0",
        ]);
        assert.deepEqual(phaseText(fleetPhases("up", staging, changes)), [
            "up apps: app-bookinfo",
            "up mesh: mesh-hangzhou",
            "destroy mesh: mesh-old-primary",
            "destroy remotes: cluster-old-remote",
            "destroy primaries: cluster-old-primary",
            "destroy security-groups: sg-old-primary sg-old-remote",
            "up network: network ca",
            "up security-groups: sg-hangzhou sg-shanghai",
            "up primaries: cluster-hangzhou",
            "up remotes: cluster-shanghai",
        ]);
        assert.deepEqual(phaseText(fleetPhases("preview", staging, changes)).slice(0, 5), [
            "preview apps: app-bookinfo",
            "preview mesh: mesh-hangzhou",
            "preview-destroy mesh: mesh-old-primary",
            "preview-destroy remotes: cluster-old-remote",
            "preview-destroy primaries: cluster-old-primary",
        ]);
        assert.equal(phaseText(fleetPhases("preview", staging, changes))[5], "preview-destroy security-groups: sg-old-primary sg-old-remote");
        assert.deepEqual(phaseText(fleetPhases("destroy", staging, { removed })).slice(1, 4), [
            "destroy mesh: mesh-hangzhou mesh-old-primary",
            "destroy remotes: cluster-shanghai cluster-old-remote",
            "destroy primaries: cluster-hangzhou cluster-old-primary",
        ]);
    });

    it("sees new clusters only once the network was deployed, and refuses adding and removing in one up", () => {
        assert.deepEqual(clusterChanges(staging, undefined), { removed: [], added: [], demoted: [], moved: [], deployed: [] });
        assert.deepEqual(clusterChanges(staging, [{ name: "hangzhou", role: "primary" }]), { removed: [], added: ["shanghai"], demoted: [], moved: [], deployed: [{ name: "hangzhou", role: "primary" }] });
        const changes = clusterChanges(staging, [{ name: "hangzhou", role: "primary" }, { name: "gone", role: "remote" }]);
        assert.throws(
            () => fleetPhases("up", staging, changes),
            (e: unknown) =>
                e instanceof FleetPlanError &&
                e.message ===
                    "clusters gone were removed and shanghai added in the same change: the mesh must stop reading the removed clusters before they go and read the new ones after they exist; apply the removal first, then the addition",
        );
    });
});

/** A fake runner: records the order, the concurrency and the upstream outputs each stack saw. */
function fakeRunner(opts: { fail?: string[]; ms?: Record<string, number> } = {}) {
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const seen: Record<string, string[]> = {};
    const runner: StackRunner = {
        async run(stack: FleetStack, action: StackAction, upstream) {
            running++;
            maxRunning = Math.max(maxRunning, running);
            log.push(`start ${action} ${stack.id}`);
            seen[stack.id] = [...upstream.keys()];
            await new Promise((r) => setTimeout(r, opts.ms?.[stack.id] ?? 1));
            running--;
            log.push(`end ${stack.id}`);
            if (opts.fail?.includes(stack.id)) throw new Error(`${stack.id} failed\nsecond line`);
            return { outputs: { id: stack.id }, changes: { create: 2, same: 1 } };
        },
    };
    return { runner, log, seen, max: () => maxRunning };
}

describe("fleet runs (fake stack runner)", () => {
    const many = (n: number): FleetStack[] => Array.from({ length: n }, (_, i) => ({ id: `cluster-c${i}`, layer: "primaries", project: `ack-mesh-cluster-c${i}`, cluster: `c${i}`, primary: `c${i}`, reads: ["network"] }));
    const network: FleetStack = { id: "network", layer: "network", project: "ack-mesh-network", reads: [] };
    const mesh: FleetStack = { id: "mesh", layer: "mesh", project: "ack-mesh-mesh", watcher: "c0", reads: [] };

    it("runs the layers in order, passes earlier outputs on, and keeps at most `pool` stacks running", async () => {
        const f = fakeRunner();
        const phases = fleetPhases("up", [network, ...many(20), mesh]);
        const r = await runFleet(phases, f.runner, { pool: 8 });
        assert.equal(r.ok, true);
        assert.equal(f.max(), 8);
        assert.equal(f.log[0], "start up network");
        assert.equal(f.log[1], "end network");
        assert.equal(f.log.indexOf("start up mesh"), f.log.length - 2, "mesh starts after every cluster ended");
        assert.deepEqual(f.seen["cluster-c0"], ["network"]);
        assert.equal(f.seen["mesh"].length, 21);
        assert.deepEqual(ids(r.outcomes.map((o) => o.stack)), ids([network, ...many(20), mesh]));
        assert.ok(r.outcomes.every((o) => o.status === "succeeded" && o.changes?.create === 2));
    });

    it("uses the default pool of 8, and a pool of 1 runs one stack at a time", async () => {
        const f8 = fakeRunner();
        await runFleet(fleetPhases("up", many(12)), f8.runner);
        assert.equal(f8.max(), 8);
        const f1 = fakeRunner();
        await runFleet(fleetPhases("up", many(5)), f1.runner, { pool: 1 });
        assert.equal(f1.max(), 1);
        await assert.rejects(runFleet([], f1.runner, { pool: 0 }), /pool must be a positive integer, got 0/);
    });

    it("stops a layer at its first failure: no new stack starts, running ones finish, later layers are skipped", async () => {
        const f = fakeRunner({ fail: ["cluster-c1"], ms: { "cluster-c0": 30, "cluster-c1": 5 } });
        const r = await runFleet(fleetPhases("up", [network, ...many(6), mesh]), f.runner, { pool: 2 });
        assert.equal(r.ok, false);
        assert.deepEqual(
            r.outcomes.map((o) => `${o.stack.id}:${o.status}`),
            ["network:succeeded", "cluster-c0:succeeded", "cluster-c1:failed", "cluster-c2:skipped", "cluster-c3:skipped", "cluster-c4:skipped", "cluster-c5:skipped", "mesh:skipped"],
        );
        assert.ok(!f.log.includes("start up cluster-c2"));
        assert.ok(f.log.indexOf("end cluster-c0") > f.log.indexOf("end cluster-c1"), "the running stack finished after the failure");
        assert.equal(r.outcomes[2].error, "cluster-c1 failed\nsecond line");
    });

    it("destroys in reverse, the mesh before the clusters it reads, the groups after their clusters", async () => {
        const f = fakeRunner();
        await runFleet(fleetPhases("destroy", fleetStacks(planned("staging"))), f.runner);
        assert.deepEqual(
            f.log.filter((l) => l.startsWith("start")),
            [
                "start destroy app-bookinfo",
                "start destroy mesh-hangzhou",
                "start destroy cluster-shanghai",
                "start destroy cluster-hangzhou",
                "start destroy sg-hangzhou",
                "start destroy sg-shanghai",
                "start destroy network",
                "start destroy ca",
            ],
        );
    });

    it("summarises every stack in one row", async () => {
        const f = fakeRunner({ fail: ["cluster-c0"] });
        const r = await runFleet(fleetPhases("up", [network, ...many(1), mesh]), f.runner, { now: (() => { let t = 0; return () => (t += 1500); })() });
        assert.deepEqual(summaryRows(r.outcomes), [
            ["network", "network", "up", "succeeded", "1.5", "create 2"],
            ["cluster-c0", "primaries", "up", "failed", "1.5", "cluster-c0 failed"],
            ["mesh", "mesh", "up", "skipped", "", ""],
        ]);
        assert.equal(changesText({ same: 4 }), "no changes");
        assert.equal(changesText({ update: 1, create: 3, same: 2 }), "create 3, update 1");
    });
});

describe("poolMakespan", () => {
    const table: [number[], number, number][] = [
        [[], 8, 0],
        [[10], 8, 10],
        [[10, 10, 10], 8, 10],
        [[10, 10, 10], 1, 30],
        [[10, 5, 5, 5], 2, 15],
        [[10, 5, 5], 2, 10],
        [[4, 4, 4, 4, 4, 4, 4, 4, 4, 4], 8, 8],
    ];
    for (const [durations, pool, want] of table) {
        it(`${JSON.stringify(durations)} with ${pool} → ${want}`, () => assert.equal(poolMakespan(durations, pool), want));
    }
});

describe("npm run fleet arguments", () => {
    it("parses a command, an environment and the options", () => {
        const a = parseFleetArgs(["up", "prod", "--pool", "4", "--backend=s3://bucket?endpoint=oss-cn-hangzhou.aliyuncs.com", "--secrets-provider", "awskms://alias/x", "--work-dir", "/tmp/w"]);
        assert.deepEqual(a, { command: "up", env: "prod", pool: 4, backend: "s3://bucket?endpoint=oss-cn-hangzhou.aliyuncs.com", secretsProvider: "awskms://alias/x", workDir: "/tmp/w" });
        assert.equal(parseFleetArgs(["plan", "dev"]).pool, 8);
        assert.equal(parseFleetArgs(["plan", "dev"]).secretsProvider, "passphrase");
    });

    const bad: [string[], string][] = [
        [["apply", "dev"], 'the command must be one of plan, preview, up, destroy, got "apply"'],
        [["up"], "missing <env>"],
        [["up", "dev", "prod"], "one environment at a time (got dev, prod)"],
        [["up", "dev", "--pool", "0"], '--pool must be a positive integer, got "0"'],
        [["up", "dev", "--json", "x"], "--json and --diff are options of plan"],
        [["up", "dev", "--force"], "unknown option --force"],
        [["up", "dev", "--pool"], "--pool needs a value"],
    ];
    for (const [argv, message] of bad) {
        it(`rejects ${argv.join(" ")}`, () => assert.throws(() => parseFleetArgs(argv), (e: unknown) => e instanceof UsageError && e.message === message));
    }
});

describe("Automation API runner (fake openStack)", () => {
    function fakeStack(calls: string[], settings: Record<string, unknown> | "missing", outputs: Record<string, { value: unknown; secret: boolean }> = {}) {
        const workspace = {
            stackSettings: async () => {
                if (settings === "missing") throw new Error("failed to find stack settings file in workdir: /x");
                return { ...settings };
            },
            saveStackSettings: async (name: string, s: Record<string, unknown>) => {
                calls.push(`save ${name} ${JSON.stringify(s)}`);
            },
        };
        return {
            workspace,
            setConfig: async (key: string, v: { value: string; secret?: boolean }) => calls.push(`setConfig ${key} secret=${v.secret}`),
            up: async () => ({ outputs: { a: { value: 1, secret: false } }, summary: { resourceChanges: { create: 3 } } }),
            preview: async () => ({ changeSummary: { same: 2 } }),
            destroy: async () => ({ summary: { resourceChanges: { delete: 4 } } }),
            previewDestroy: async () => ({ changeSummary: { delete: 4 } }),
            outputs: async () => outputs,
        } as unknown as Stack;
    }
    // What selectStack throws for a stack the backend does not hold (automation/errors.js createCommandError; its argument is the command result).
    const notFound = () => new StackNotFoundError({ toString: () => "code: 255\n stderr: error: no stack named 'prod' found" } as unknown as string);
    const hz: FleetStack = { id: "cluster-hz", layer: "primaries", project: "ack-mesh-cluster-hz", cluster: "hz", primary: "hz", reads: ["network"] };
    const networkStack: FleetStack = { id: "network", layer: "network", project: "ack-mesh-network", reads: [] };
    const caStack: FleetStack = { id: "ca", layer: "network", project: "ack-mesh-ca", reads: [] };
    const base = { env: "prod", backendUrl: "s3://b", secretsProvider: "passphrase" };

    it("opens each stack under its own project with the backend and secrets provider, keeps the salt, sets the config and the secrets", async () => {
        const calls: string[] = [];
        const opened: { args: InlineProgramArgs; opts: LocalWorkspaceOptions; mode: string }[] = [];
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
        const runner = automationRunner({ ...base, config: { "ack-mesh:mesh": { id: "m" } }, secrets: { "alicloud:secretKey": "S" }, workDir }, async (args, opts, mode) => {
            opened.push({ args, opts, mode });
            return fakeStack(calls, { encryptionsalt: "v1:salt", config: { stale: 1 } }, { clusters: { value: { hz: { role: "primary", controlledBy: "hz" }, sh: { role: "remote", controlledBy: "hz" } }, secret: false } });
        });
        assert.deepEqual(await runner.run(hz, "up", new Map()), { outputs: { a: 1 }, changes: { create: 3 } });
        assert.deepEqual(await runner.run(hz, "preview", new Map()), { changes: { same: 2 } });
        assert.deepEqual(await runner.run(hz, "destroy", new Map()), { changes: { delete: 4 } });
        assert.deepEqual(await runner.run(hz, "preview-destroy", new Map()), { changes: { delete: 4 } });
        assert.deepEqual(await runner.deployedClusters(networkStack), [
            { name: "hz", role: "primary", controlledBy: "hz" },
            { name: "sh", role: "remote", controlledBy: "hz" },
        ]);
        // Only up may create a stack in the backend.
        // deployedClusters reads the network stack, then each cluster's own stack.
        assert.deepEqual(opened.map((o) => `${o.mode} ${o.args.projectName}`).slice(4), ["select ack-mesh-network", "select ack-mesh-cluster-hz", "select ack-mesh-cluster-sh"]);
        assert.deepEqual(opened.map((o) => o.mode), ["create-or-select", "select", "select", "select", "select", "select", "select"]);
        const first = opened[0];
        assert.equal(first.args.stackName, "prod");
        assert.equal(first.args.projectName, "ack-mesh-cluster-hz");
        assert.equal(typeof first.args.program, "function");
        assert.deepEqual(first.opts, {
            workDir: path.join(workDir, "ack-mesh-cluster-hz"),
            projectSettings: { name: "ack-mesh-cluster-hz", runtime: "nodejs", backend: { url: "s3://b" } },
            secretsProvider: "passphrase",
            envVars: { PULUMI_BACKEND_URL: "s3://b" },
        });
        assert.ok(fs.statSync(first.opts.workDir!).isDirectory());
        assert.deepEqual(calls.slice(0, 2), ['save prod {"encryptionsalt":"v1:salt","config":{"ack-mesh:mesh":{"id":"m"}}}', "setConfig alicloud:secretKey secret=true"]);
    });

    it("takes each cluster's role and primary from its own stack, which records them only once it has switched", async () => {
        // The network already records sh under hz (its config); sh's own stack still runs under old-primary (its up failed).
        const outputs: Record<string, Record<string, { value: unknown; secret: boolean }>> = {
            "ack-mesh-network": { clusters: { value: { hz: { role: "primary", controlledBy: "hz" }, sh: { role: "remote", controlledBy: "hz" }, fresh: { role: "remote", controlledBy: "hz" } }, secret: false } },
            "ack-mesh-cluster-hz": { cluster: { value: { role: "primary", controlledBy: "hz" }, secret: false } },
            "ack-mesh-cluster-sh": { cluster: { value: { role: "remote", controlledBy: "old-primary" }, secret: false } },
        };
        const runner = automationRunner({ ...base, config: {}, secrets: {}, workDir: fs.mkdtempSync(path.join(os.tmpdir(), "fleet-")) }, async (args, _opts, mode) => {
            if (mode === "select" && !(args.projectName in outputs)) throw notFound();
            return fakeStack([], {}, outputs[args.projectName]);
        });
        assert.deepEqual(await runner.deployedClusters(networkStack), [
            { name: "hz", role: "primary", controlledBy: "hz" },
            { name: "sh", role: "remote", controlledBy: "old-primary" },
            // No stack of its own yet: the network's record.
            { name: "fresh", role: "remote", controlledBy: "hz" },
        ]);
    });

    it("sets the root CA's secret config on the ca stack only", async () => {
        const calls: string[] = [];
        const runner = automationRunner(
            { ...base, config: {}, secrets: { "ack-mesh:caRootCert": "C", "ack-mesh:caRootKey": "K", "alicloud:secretKey": "S" }, workDir: fs.mkdtempSync(path.join(os.tmpdir(), "fleet-")) },
            async (args) => {
                calls.push(`open ${args.projectName}`);
                return fakeStack(calls, {});
            },
        );
        await runner.run(hz, "up", new Map());
        await runner.run(caStack, "up", new Map());
        assert.deepEqual(calls.filter((c) => !c.startsWith("save")), [
            "open ack-mesh-cluster-hz",
            "setConfig alicloud:secretKey secret=true",
            "open ack-mesh-ca",
            "setConfig ack-mesh:caRootCert secret=true",
            "setConfig ack-mesh:caRootKey secret=true",
            "setConfig alicloud:secretKey secret=true",
        ]);
    });

    it("runs with a fresh working directory: a stack the backend holds but this machine has no settings file for", async () => {
        const calls: string[] = [];
        const runner = automationRunner({ ...base, config: { "ack-mesh:mesh": { id: "m" } }, secrets: {}, workDir: fs.mkdtempSync(path.join(os.tmpdir(), "fleet-")) }, async () => fakeStack(calls, "missing"));
        assert.deepEqual(await runner.run(hz, "up", new Map()), { outputs: { a: 1 }, changes: { create: 3 } });
        assert.deepEqual(calls, ['save prod {"config":{"ack-mesh:mesh":{"id":"m"}}}']);
    });

    it("never creates a stack to preview, destroy or read it: a stack not in the backend is absent", async () => {
        const modes: string[] = [];
        const calls: string[] = [];
        const exists: Record<string, Record<string, { value: unknown; secret: boolean }>> = { "ack-mesh-cluster-hz": {}, "ack-mesh-ca": { cacerts: { value: "x", secret: true } } };
        const runner = automationRunner({ ...base, config: {}, secrets: {}, workDir: fs.mkdtempSync(path.join(os.tmpdir(), "fleet-")) }, async (args, _opts, mode) => {
            modes.push(`${mode} ${args.projectName}`);
            if (mode === "select" && !(args.projectName in exists)) throw notFound();
            return fakeStack(calls, {}, exists[args.projectName] ?? {});
        });
        assert.equal(await runner.deployedClusters(networkStack), undefined);
        assert.deepEqual([...(await runner.stackStates([networkStack, caStack, hz]))], [
            ["network", "absent"],
            ["ca", "deployed"],
            ["cluster-hz", "empty"],
        ]);
        assert.deepEqual(await runner.run(networkStack, "destroy", new Map()), { changes: {} });
        assert.deepEqual(await runner.run(networkStack, "preview-destroy", new Map()), { changes: {} });
        await assert.rejects(runner.run(networkStack, "preview", new Map()), { message: "ack-mesh-network/prod does not exist in the backend: up creates it (a preview does not)" });
        assert.ok(modes.every((m) => m.startsWith("select ")), modes.join(", "));
        assert.deepEqual(calls, [], "nothing written for a stack that does not exist or is only read");
        // Another failure of selectStack is not taken for "absent".
        const broken = automationRunner({ ...base, config: {}, secrets: {}, workDir: fs.mkdtempSync(path.join(os.tmpdir(), "fleet-")) }, async () => {
            throw new Error("backend unreachable");
        });
        await assert.rejects(broken.deployedClusters(networkStack), { message: "backend unreachable" });
    });

    it("takes the file's secure values from environment variables, naming every missing one", () => {
        assert.equal(secretEnvVar("ack-mesh:caRootKey"), "ACK_MESH_CAROOTKEY");
        assert.equal(secretEnvVar("alicloud:accessKey"), "ALICLOUD_ACCESSKEY");
        assert.deepEqual(secretsFromEnv(["ack-mesh:caRootKey"], { ACK_MESH_CAROOTKEY: "k" }, "f.yaml"), { "ack-mesh:caRootKey": "k" });
        assert.throws(
            () => secretsFromEnv(["ack-mesh:caRootCert", "ack-mesh:caRootKey"], { ACK_MESH_CAROOTKEY: "k" }, "stacks/Pulumi.prod.yaml"),
            (e: unknown) =>
                e instanceof ConfigError &&
                e.message ===
                    "The fleet needs the environment file's secure values from the environment (1 problem):\n" +
                        "  - ack-mesh:caRootCert: is a secure value of stacks/Pulumi.prod.yaml, encrypted for the monolithic stack, which the fleet's stacks cannot decrypt. " +
                        "Fix: export it as ACK_MESH_CAROOTCERT; the orchestrator sets it as secret config of the fleet stacks that read it",
        );
    });
});
