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
import type { InlineProgramArgs, LocalWorkspaceOptions, Stack } from "@pulumi/pulumi/automation";
import { planTopology } from "../../programs/ack-mesh/program";
import { clusterStackId, fleetProject, fleetStackRef, fleetStacks, FleetStack, meshStackPairs, networkPlanHash, previewable } from "../../programs/fleet/layout";
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
                "primaries/cluster-istio-control-plane/ack-mesh-cluster-istio-control-plane",
                "remotes/cluster-istio-remote1/ack-mesh-cluster-istio-remote1",
                "mesh/mesh-istio-control-plane/ack-mesh-mesh-istio-control-plane",
                "apps/app-bookinfo/ack-mesh-app-bookinfo",
            ],
        );
        assert.deepEqual(ids(fleetStacks(planned("staging"))), ["network", "cluster-hangzhou", "cluster-shanghai", "mesh-hangzhou", "app-bookinfo"]);
        assert.deepEqual(ids(fleetStacks(planned("prod"))), ["network", "cluster-beijing", "cluster-shanghai", "mesh-beijing", "mesh-shanghai", "app-bookinfo"]);
        assert.deepEqual(
            fleetStacks(planned("prod")).map((s) => [s.layer, s.cluster, s.watcher]),
            [["network", undefined, undefined], ["primaries", "beijing", undefined], ["primaries", "shanghai", undefined], ["mesh", undefined, "beijing"], ["mesh", undefined, "shanghai"], ["apps", undefined, undefined]],
        );
    });

    it("records which stacks each stack reads", () => {
        assert.deepEqual(
            Object.fromEntries(fleetStacks(planned("staging")).map((s) => [s.id, s.reads])),
            { network: [], "cluster-hangzhou": ["network"], "cluster-shanghai": ["cluster-hangzhou", "network"], "mesh-hangzhou": ["cluster-hangzhou"], "app-bookinfo": ["cluster-hangzhou", "cluster-shanghai"] },
        );
        assert.deepEqual(fleetStacks(planned("prod")).find((s) => s.id === "mesh-beijing")!.reads, ["cluster-beijing", "cluster-shanghai"]);
        // Several primaries with remotes (stacks/Pulumi.fleet.yaml): each remote reads its own primary.
        assert.deepEqual(
            fleetStacks(planned("fleet")).map((s) => `${s.layer} ${s.id} <- ${s.reads.join(",")}`),
            [
                "network network <- ",
                "primaries cluster-bj-primary <- network",
                "primaries cluster-sh-primary <- network",
                "remotes cluster-bj-apps-1 <- cluster-bj-primary,network",
                "remotes cluster-bj-apps-2 <- cluster-bj-primary,network",
                "remotes cluster-sh-apps-1 <- cluster-sh-primary,network",
                "remotes cluster-sh-apps-2 <- cluster-sh-primary,network",
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
            [["network"], ["cluster-beijing", "cluster-shanghai", "mesh-beijing", "mesh-shanghai", "app-bookinfo"]],
        );
        const some = previewable(prod, new Set(["network", "cluster-beijing"]));
        assert.deepEqual([ids(some.run), ids(some.waiting)], [["network", "cluster-beijing", "cluster-shanghai"], ["mesh-beijing", "mesh-shanghai", "app-bookinfo"]]);
        assert.deepEqual(ids(previewable(prod, new Set(["network", "cluster-beijing", "cluster-shanghai"])).run), ids(prod));
    });

    it("has no app stack when Bookinfo is disabled", () => {
        const raw = stackRaw("staging");
        assert.deepEqual(ids(fleetStacks(planTopology({ ...raw, bookinfo: { enabled: false } }))), ["network", "cluster-hangzhou", "cluster-shanghai", "mesh-hangzhou"]);
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
});

describe("fleet phases", () => {
    const prod = fleetStacks(planned("prod"));
    const staging = fleetStacks(planned("staging"));

    it("up and preview: network → primaries → remotes → mesh → apps", () => {
        assert.deepEqual(phaseText(fleetPhases("up", staging)), [
            "up network: network",
            "up primaries: cluster-hangzhou",
            "up remotes: cluster-shanghai",
            "up mesh: mesh-hangzhou",
            "up apps: app-bookinfo",
        ]);
        assert.deepEqual(phaseText(fleetPhases("preview", prod)), ["preview network: network", "preview primaries: cluster-beijing cluster-shanghai", "preview mesh: mesh-beijing mesh-shanghai", "preview apps: app-bookinfo"]);
    });

    it("destroy: apps → mesh → remotes → primaries → network", () => {
        assert.deepEqual(phaseText(fleetPhases("destroy", staging)), [
            "destroy apps: app-bookinfo",
            "destroy mesh: mesh-hangzhou",
            "destroy remotes: cluster-shanghai",
            "destroy primaries: cluster-hangzhou",
            "destroy network: network",
        ]);
    });

    it("up after a removal: apps and mesh drop the cluster before its stack is destroyed, then the network", () => {
        const { removed, added } = clusterChanges(staging, [
            { name: "hangzhou", role: "primary" },
            { name: "shanghai", role: "remote" },
            { name: "old-remote", role: "remote" },
            { name: "old-primary", role: "primary" },
        ]);
        assert.deepEqual(added, []);
        assert.deepEqual(removed.map((s) => `${s.layer}/${s.id}/${s.project}/${s.reads.length}`), [
            "primaries/cluster-old-primary/ack-mesh-cluster-old-primary/0",
            "remotes/cluster-old-remote/ack-mesh-cluster-old-remote/0",
            "mesh/mesh-old-primary/ack-mesh-mesh-old-primary/0",
        ]);
        assert.deepEqual(phaseText(fleetPhases("up", staging, removed, added)), [
            "up apps: app-bookinfo",
            "up mesh: mesh-hangzhou",
            "destroy mesh: mesh-old-primary",
            "destroy remotes: cluster-old-remote",
            "destroy primaries: cluster-old-primary",
            "up network: network",
            "up primaries: cluster-hangzhou",
            "up remotes: cluster-shanghai",
        ]);
        assert.deepEqual(phaseText(fleetPhases("preview", staging, removed, added)).slice(0, 5), [
            "preview apps: app-bookinfo",
            "preview mesh: mesh-hangzhou",
            "preview-destroy mesh: mesh-old-primary",
            "preview-destroy remotes: cluster-old-remote",
            "preview-destroy primaries: cluster-old-primary",
        ]);
        assert.deepEqual(phaseText(fleetPhases("destroy", staging, removed)).slice(1, 4), [
            "destroy mesh: mesh-hangzhou mesh-old-primary",
            "destroy remotes: cluster-shanghai cluster-old-remote",
            "destroy primaries: cluster-hangzhou cluster-old-primary",
        ]);
    });

    it("sees new clusters only once the network was deployed, and refuses adding and removing in one up", () => {
        assert.deepEqual(clusterChanges(staging, undefined), { removed: [], added: [] });
        assert.deepEqual(clusterChanges(staging, [{ name: "hangzhou", role: "primary" }]), { removed: [], added: ["shanghai"] });
        const { removed, added } = clusterChanges(staging, [{ name: "hangzhou", role: "primary" }, { name: "gone", role: "remote" }]);
        assert.throws(
            () => fleetPhases("up", staging, removed, added),
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
    const many = (n: number): FleetStack[] => Array.from({ length: n }, (_, i) => ({ id: `cluster-c${i}`, layer: "primaries", project: `ack-mesh-cluster-c${i}`, cluster: `c${i}`, reads: ["network"] }));
    const network: FleetStack = { id: "network", layer: "network", project: "ack-mesh-network", reads: [] };
    const mesh: FleetStack = { id: "mesh", layer: "mesh", project: "ack-mesh-mesh", reads: [] };

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

    it("destroys in reverse, the mesh before the clusters it reads", async () => {
        const f = fakeRunner();
        await runFleet(fleetPhases("destroy", fleetStacks(planned("staging"))), f.runner);
        assert.deepEqual(
            f.log.filter((l) => l.startsWith("start")),
            ["start destroy app-bookinfo", "start destroy mesh-hangzhou", "start destroy cluster-shanghai", "start destroy cluster-hangzhou", "start destroy network"],
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

describe("Automation API runner (fake createOrSelectStack)", () => {
    function fakeStack(calls: string[], settings: Record<string, unknown>) {
        const workspace = {
            stackSettings: async () => ({ ...settings }),
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
            outputs: async () => ({ clusters: { value: { hz: { role: "primary" }, sh: { role: "remote" } }, secret: false } }),
        } as unknown as Stack;
    }

    it("opens each stack under its own project with the backend and secrets provider, keeps the salt, sets the config and the secrets", async () => {
        const calls: string[] = [];
        const opened: { args: InlineProgramArgs; opts: LocalWorkspaceOptions }[] = [];
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
        const runner = automationRunner(
            { env: "prod", config: { "ack-mesh:mesh": { id: "m" } }, secrets: { "ack-mesh:caRootKey": "KEY" }, backendUrl: "s3://b", secretsProvider: "passphrase", workDir },
            async (args, opts) => {
                opened.push({ args, opts });
                return fakeStack(calls, { encryptionsalt: "v1:salt", config: { stale: 1 } });
            },
        );
        const stack: FleetStack = { id: "cluster-hz", layer: "primaries", project: "ack-mesh-cluster-hz", cluster: "hz", reads: ["network"] };
        assert.deepEqual(await runner.run(stack, "up", new Map()), { outputs: { a: 1 }, changes: { create: 3 } });
        assert.deepEqual(await runner.run(stack, "preview", new Map()), { changes: { same: 2 } });
        assert.deepEqual(await runner.run(stack, "destroy", new Map()), { changes: { delete: 4 } });
        assert.deepEqual(await runner.run(stack, "preview-destroy", new Map()), { changes: { delete: 4 } });
        assert.deepEqual(await runner.deployedClusters({ id: "network", layer: "network", project: "ack-mesh-network", reads: [] }), [
            { name: "hz", role: "primary" },
            { name: "sh", role: "remote" },
        ]);
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
        assert.deepEqual(calls.slice(0, 2), ['save prod {"encryptionsalt":"v1:salt","config":{"ack-mesh:mesh":{"id":"m"}}}', "setConfig ack-mesh:caRootKey secret=true"]);
    });

    it("takes the file's secure values from environment variables, naming every missing one", () => {
        assert.equal(secretEnvVar("ack-mesh:caRootKey"), "ACK_MESH_CAROOTKEY");
        assert.equal(secretEnvVar("alicloud:accessKey"), "ALICLOUD_ACCESSKEY");
        assert.deepEqual(secretsFromEnv(["ack-mesh:caRootKey"], { ACK_MESH_CAROOTKEY: "k" }, "f.yaml"), { "ack-mesh:caRootKey": "k" });
        assert.throws(
            () => secretsFromEnv(["ack-mesh:caRootCert", "ack-mesh:caRootKey"], { ACK_MESH_CAROOTKEY: "k" }, "stacks/Pulumi.prod.yaml"),
            {
                message:
                    "stacks/Pulumi.prod.yaml has secure values encrypted for the monolithic stack, which the fleet's stacks cannot decrypt: ack-mesh:caRootCert (set ACK_MESH_CAROOTCERT); " +
                    "export each as an environment variable and the orchestrator sets it as secret config of every fleet stack",
            },
        );
    });
});
