/**
 * `npm run fleet -- plan`: the offline report, and --json / --diff per stack.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fleetMain } from "../../scripts/fleet";

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
        assert.equal(lines[0], "Fleet staging: 5 stacks");
        assert.match(lines[2], /^stack +layer +resources +components +reads +registrations +eval ms +critical path$/);
        assert.deepEqual(
            lines.slice(4, 9).map((l) => l.split(/ +/).slice(0, 2).join(" ")),
            ["network network", "cluster-hangzhou primaries", "cluster-shanghai remotes", "mesh-hangzhou mesh", "app-bookinfo apps"],
        );
        for (const id of ["network", "cluster-hangzhou", "cluster-shanghai", "mesh-hangzhou", "app-bookinfo"]) assert.ok(text.includes(`critical path of ${id}: `), id);
        assert.ok(text.includes("Simulated up with a pool of 2 (layers one after another; in a layer, stacks start in order on the first free slot):"));
        assert.match(lines[lines.length - 1], /^fleet: \d+(\.\d)? min$/);
        assert.deepEqual(c.err, []);
    });

    it("--json writes one canonical plan per stack; --diff against them finds no change", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-plan-"));
        assert.equal(await fleetMain(["plan", "dev", "--json", dir], capture().io), 0);
        assert.deepEqual(fs.readdirSync(dir).sort(), ["app-bookinfo.json", "cluster-istio-control-plane.json", "cluster-istio-remote1.json", "mesh-istio-control-plane.json", "network.json"]);
        const c = capture();
        assert.equal(await fleetMain(["plan", "dev", "--diff", dir], c.io), 0);
        assert.deepEqual(c.out, ["no stack changes"]);
    });

    it("exits 2 with the usage for a bad command line", async () => {
        const c = capture();
        assert.equal(await fleetMain(["plan"], c.io), 2);
        assert.ok(c.err[0].startsWith("missing <env>\nusage: npm run fleet -- plan|preview|up|destroy <env>"), c.err[0]);
    });
});
