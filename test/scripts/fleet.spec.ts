/**
 * `npm run fleet -- plan`: the offline report, and --json / --diff per stack.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { StackNotFoundError } from "@pulumi/pulumi/automation";
import type { OpenStack } from "../../programs/fleet/automation";
import { FLEET_USAGE, fleetMain } from "../../scripts/fleet";
import { ROOT } from "../support";

function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe("npm run fleet -- plan", function () {
    this.timeout(120_000);

    it("prints every stack with its counts and critical path, then the fleet time with the pool", async () => {
        const c = capture();
        assert.equal(await fleetMain(["plan", "staging", "--pool", "2"], c.io), 0);
        const text = c.out.join("\n");
        const lines = text.split("\n");
        assert.equal(lines[0], "Fleet staging: 8 stacks");
        assert.match(lines[2], /^stack +layer +resources +components +reads +registrations +eval ms +critical path$/);
        assert.deepEqual(
            lines.slice(4, 12).map((l) => l.split(/ +/).slice(0, 2).join(" ")),
            ["network network", "ca network", "sg-hangzhou security-groups", "sg-shanghai security-groups", "cluster-hangzhou primaries", "cluster-shanghai remotes", "mesh-hangzhou mesh", "app-bookinfo apps"],
        );
        for (const id of ["network", "ca", "sg-hangzhou", "sg-shanghai", "cluster-hangzhou", "cluster-shanghai", "mesh-hangzhou", "app-bookinfo"]) assert.ok(text.includes(`critical path of ${id}: `), id);
        assert.ok(text.includes("Simulated up with a pool of 2 (layers one after another; in a layer, stacks start in order on the first free slot):"));
        assert.match(lines[lines.length - 1], /^fleet: \d+(\.\d)? min$/);
        assert.deepEqual(c.err, []);
    });

    it("--json writes one canonical plan per stack; --diff against them finds no change", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-plan-"));
        assert.equal(await fleetMain(["plan", "dev", "--json", dir], capture().io), 0);
        assert.deepEqual(fs.readdirSync(dir).sort(), [
            "app-bookinfo.json",
            "ca.json",
            "cluster-istio-control-plane.json",
            "cluster-istio-remote1.json",
            "mesh-istio-control-plane.json",
            "network.json",
            "sg-istio-control-plane.json",
            "sg-istio-remote1.json",
        ]);
        const c = capture();
        assert.equal(await fleetMain(["plan", "dev", "--diff", dir], c.io), 0);
        assert.deepEqual(c.out, ["no stack changes"]);
    });

    it("exits 2 with the usage for a bad command line", async () => {
        const c = capture();
        assert.equal(await fleetMain(["plan"], c.io), 2);
        assert.ok(c.err[0].startsWith("missing <env>\nusage: npm run fleet -- plan|preview|up|destroy <env>"), c.err[0]);
    });

    it("--help prints the usage and exits 0, whatever else is on the line", async () => {
        const c = capture();
        assert.equal(await fleetMain(["--help"], c.io), 0);
        assert.deepEqual([c.out, c.err], [[FLEET_USAGE], []]);
        assert.equal(await fleetMain(["up", "-h"], capture().io), 0);
    });
});

/**
 * Live commands against a fake backend (the Automation API's open step
 * replaced): `stacks` maps a project to its outputs; a project not in it
 * does not exist. Records every open (mode and project) and every action.
 */
function fakeBackend(stacks: Record<string, Record<string, unknown>>) {
    const log: string[] = [];
    /** The config each run of a project saved, in order. */
    const saved: Record<string, Record<string, unknown>[]> = {};
    const openStack: OpenStack = async (args, _opts, mode) => {
        log.push(`${mode} ${args.projectName}`);
        const outputs = stacks[args.projectName];
        if (outputs === undefined) {
            if (mode === "select") throw new StackNotFoundError({ toString: () => `stderr: error: no stack named '${args.stackName}' found` } as unknown as string);
            stacks[args.projectName] = {};
        }
        const act = (what: string, result: unknown) => async () => {
            log.push(`${what} ${args.projectName}`);
            return result;
        };
        return {
            workspace: {
                stackSettings: async () => ({}),
                saveStackSettings: async (_env: string, st: { config?: Record<string, unknown> }) => {
                    (saved[args.projectName] ??= []).push(st.config ?? {});
                },
            },
            setConfig: async () => undefined,
            outputs: async () => Object.fromEntries(Object.entries(stacks[args.projectName]).map(([k, value]) => [k, { value, secret: false }])),
            preview: act("preview", { changeSummary: { same: 1 } }),
            previewDestroy: act("preview-destroy", { changeSummary: { delete: 1 } }),
            up: act("up", { outputs: {}, summary: { resourceChanges: { create: 1 } } }),
            destroy: act("destroy", { summary: { resourceChanges: { delete: 1 } } }),
        } as unknown as Stack;
    };
    return { openStack, log, saved };
}

describe("npm run fleet -- preview|destroy (fake backend)", () => {
    const staging = ["ack-mesh-network", "ack-mesh-ca", "ack-mesh-sg-hangzhou", "ack-mesh-sg-shanghai", "ack-mesh-cluster-hangzhou", "ack-mesh-cluster-shanghai", "ack-mesh-mesh-hangzhou", "ack-mesh-app-bookinfo"];
    const groups = { "ack-mesh-sg-hangzhou": { securityGroupId: "sg-1" }, "ack-mesh-sg-shanghai": { securityGroupId: "sg-2" } };
    const networkOutputs = { planHash: "sha256:x", clusters: { hangzhou: { role: "primary", controlledBy: "hangzhou" }, shanghai: { role: "remote", controlledBy: "hangzhou" } } };
    const workDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "fleet-live-"));

    it("a preview of a new environment creates no stack: every stack is listed as not in the backend, none runs", async () => {
        const b = fakeBackend({});
        const c = capture();
        assert.equal(await fleetMain(["preview", "staging", "--work-dir", workDir()], c.io, b.openStack), 0);
        assert.deepEqual(b.log, ["select ack-mesh-network", ...staging.map((p) => `select ${p}`)]);
        assert.ok(c.err.includes("not in the backend (up creates them; npm run fleet -- plan shows them offline): network, ca, sg-hangzhou, sg-shanghai, cluster-hangzhou, cluster-shanghai, mesh-hangzhou, app-bookinfo"), c.err.join("\n"));
    });

    it("a preview after a failed first up: the stack without outputs is previewed, its readers wait", async () => {
        const b = fakeBackend({
            "ack-mesh-network": networkOutputs,
            "ack-mesh-ca": {},
            ...groups,
            "ack-mesh-cluster-hangzhou": { cluster: { name: "hangzhou" } },
            "ack-mesh-cluster-shanghai": {},
            "ack-mesh-mesh-hangzhou": { remoteSecrets: {} },
        });
        const c = capture();
        assert.equal(await fleetMain(["preview", "staging", "--work-dir", workDir()], c.io, b.openStack), 0);
        assert.ok(b.log.every((l) => !l.startsWith("create-or-select")), b.log.join("\n"));
        assert.deepEqual(b.log.filter((l) => l.startsWith("preview")), staging.slice(0, 7).map((p) => `preview ${p}`));
        assert.ok(c.err.includes("not in the backend (up creates them; npm run fleet -- plan shows them offline): app-bookinfo"), c.err.join("\n"));
        // app-bookinfo would also wait for cluster-shanghai; with it absent it is reported once, as absent.
        assert.ok(!c.err.some((l) => l.startsWith("not previewed")), c.err.join("\n"));
    });

    it("a preview waits for the stacks whose readers need outputs that do not exist yet", async () => {
        const b = fakeBackend({
            "ack-mesh-network": networkOutputs,
            "ack-mesh-ca": {},
            ...groups,
            "ack-mesh-cluster-hangzhou": { cluster: {} },
            "ack-mesh-cluster-shanghai": {},
            "ack-mesh-mesh-hangzhou": { remoteSecrets: {} },
            "ack-mesh-app-bookinfo": {},
        });
        const c = capture();
        assert.equal(await fleetMain(["preview", "staging", "--work-dir", workDir()], c.io, b.openStack), 0);
        assert.ok(c.err.includes("not previewed (they read stacks that have no outputs yet; run up first): app-bookinfo"), c.err.join("\n"));
        assert.ok(!b.log.includes("preview ack-mesh-app-bookinfo"));
    });

    it("a destroy skips the stacks the backend does not hold, and creates none", async () => {
        const b = fakeBackend({ "ack-mesh-network": networkOutputs, "ack-mesh-ca": {}, "ack-mesh-sg-hangzhou": { securityGroupId: "sg-1" }, "ack-mesh-cluster-hangzhou": { cluster: {} } });
        const c = capture();
        assert.equal(await fleetMain(["destroy", "staging", "--work-dir", workDir()], c.io, b.openStack), 0);
        assert.ok(b.log.every((l) => !l.startsWith("create-or-select")), b.log.join("\n"));
        assert.deepEqual(b.log.filter((l) => l.startsWith("destroy")), ["destroy ack-mesh-cluster-hangzhou", "destroy ack-mesh-sg-hangzhou", "destroy ack-mesh-network", "destroy ack-mesh-ca"]);
        assert.ok(c.err.includes("not in the backend (nothing to destroy): sg-shanghai, cluster-shanghai, mesh-hangzhou, app-bookinfo"), c.err.join("\n"));
    });

    it("exits 2 before any stack on verify.enabled (plan and up), and still destroys", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fleet-verify-")), "Pulumi.staging.yaml");
        fs.writeFileSync(file, `${fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.staging.yaml"), "utf8").trimEnd()}\n  ack-mesh:verify:\n    enabled: true\n`);
        for (const command of ["plan", "up"]) {
            const b = fakeBackend({});
            const c = capture();
            assert.equal(await fleetMain([command, "staging", "--stack-file", file, "--work-dir", workDir()], c.io, b.openStack), 2, command);
            assert.ok(c.err[0]?.startsWith("The fleet cannot deploy this config (1 problem):\n  - ack-mesh:verify.enabled: "), c.err.join("\n"));
            assert.deepEqual(b.log, [], `${command}: no stack opened`);
        }
        const b = fakeBackend({ "ack-mesh-network": networkOutputs });
        assert.equal(await fleetMain(["destroy", "staging", "--stack-file", file, "--work-dir", workDir()], capture().io, b.openStack), 0);
        assert.ok(b.log.includes("destroy ack-mesh-network"));
    });

    it("exits 2 before any stack when a security group would hold more rules than securityGroups.maxRulesPerGroup, naming the group's cluster (plan and up)", async () => {
        // Every group is checked here: each stack later checks only the group it creates (docs/fleet.md, "Validation").
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fleet-quota-")), "Pulumi.staging.yaml");
        fs.writeFileSync(file, `${fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.staging.yaml"), "utf8").trimEnd()}\n  ack-mesh:securityGroups:\n    maxRulesPerGroup: 5\n`);
        for (const command of ["plan", "up"]) {
            const b = fakeBackend({});
            const c = capture();
            assert.equal(await fleetMain([command, "staging", "--stack-file", file, "--work-dir", workDir()], c.io, b.openStack), 2, command);
            const out = c.err.join("\n");
            assert.ok(/^Invalid ack-mesh configuration \(2 problems\):\n {2}- clusters\.hangzhou: needs (\d+) rules in its security group .*\(got \1\)\. Fix: .*\n {2}- clusters\.shanghai: needs (\d+) rules in its security group .*\(got \2\)\. Fix: /.test(out), out);
            assert.deepEqual(b.log, [], `${command}: no stack opened`);
        }
    });
});

describe("npm run fleet -- up: a remote changing primary (fake backend)", () => {
    it("keeps the deployed roles' rules until every cluster stack has run, also when the network already records the new primary", async () => {
        // A retry: the network ran with sh-apps-1 under bj-primary, but cluster-sh-apps-1 still runs under sh-primary.
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fleet-move-")), "Pulumi.fleet.yaml");
        const text = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.fleet.yaml"), "utf8");
        const moved = text.replace(/( {4}sh-apps-1:\n(?: {6}.*\n)*? {6}controlPlane: )sh-primary/, "$1bj-primary");
        assert.notEqual(moved, text);
        fs.writeFileSync(file, moved);
        const primaryOf: Record<string, string> = { "bj-primary": "bj-primary", "bj-apps-1": "bj-primary", "bj-apps-2": "bj-primary", "sh-primary": "sh-primary", "sh-apps-1": "sh-primary", "sh-apps-2": "sh-primary" };
        const role = (c: string) => (primaryOf[c] === c ? "primary" : "remote");
        const b = fakeBackend({
            "ack-mesh-network": { planHash: "sha256:x", clusters: Object.fromEntries(Object.keys(primaryOf).map((c) => [c, { role: role(c), controlledBy: c === "sh-apps-1" ? "bj-primary" : primaryOf[c] }])) },
            ...Object.fromEntries(Object.keys(primaryOf).map((c) => [`ack-mesh-cluster-${c}`, { cluster: { role: role(c), controlledBy: primaryOf[c] } }])),
        });
        const c = capture();
        assert.equal(await fleetMain(["up", "fleet", "--stack-file", file, "--work-dir", fs.mkdtempSync(path.join(os.tmpdir(), "fleet-live-"))], c.io, b.openStack), 0, c.err.join("\n"));
        const ups = b.log.filter((l) => l.startsWith("up "));
        const at = (project: string) => ups.map((l, i) => (l === `up ${project}` ? i : -1)).filter((i) => i >= 0);
        assert.equal(at("ack-mesh-sg-sh-primary").length, 2, ups.join("\n"));
        const [first, last] = at("ack-mesh-sg-sh-primary");
        assert.ok(first < at("ack-mesh-cluster-sh-apps-1")[0] && last > at("ack-mesh-app-bookinfo")[0], ups.join("\n"));
        const key = "ack-mesh-fleet:keepRulesOfDeployed";
        const runs = b.saved["ack-mesh-sg-sh-primary"];
        assert.equal(runs.length, 2);
        assert.deepEqual(JSON.parse(String(runs[0][key])).find((r: { name: string }) => r.name === "sh-apps-1"), { name: "sh-apps-1", role: "remote", controlledBy: "sh-primary" });
        assert.equal(runs[1][key], undefined, "the last run plans the configured layout only");
        assert.deepEqual(Object.keys(b.saved["ack-mesh-cluster-sh-apps-1"][0]).filter((k) => k.startsWith("ack-mesh-fleet:")), [], "only the sg stacks get the key");
    });
});
