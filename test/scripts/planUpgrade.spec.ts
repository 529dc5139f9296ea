/**
 * `npm run plan -- <stack> --diff <old>` on upgrade steps: the CLI prints the "Upgrade steps" table
 * after the diff, and exits 3 on a downgrade even with --allow-replace, and on removing a revision still in use
 * unless --allow-remove-revision (docs/upgrade.md).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { runPlan as run } from "../support/planCli";
import { ROOT } from "../support";


/** prod's stack file with `mesh.revisions` set, written to `<dir>/<step>/Pulumi.prod.yaml`. */
function stackFile(dir: string, step: string, revisions: unknown): string {
    const doc = parseDocument(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8"));
    doc.setIn(["config", "ack-mesh:mesh", "revisions"], doc.createNode(revisions));
    const file = path.join(dir, step, "Pulumi.prod.yaml");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, doc.toString());
    return file;
}

describe("scripts/plan: upgrade steps in --diff", function () {
    this.timeout(120_000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-upgrade-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("names step 1 and blocks rolling it back without keeping base (exit 3, even with --allow-replace)", async () => {
        const step0 = stackFile(dir, "s0", { installed: { default: "1.30.3" }, tags: { stable: "default" } });
        const step1 = stackFile(dir, "s1", { installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "default", canary: "1-31-0" } });
        const p0 = path.join(dir, "p0.json");
        const p1 = path.join(dir, "p1.json");
        // --mermaid: write the plan without rendering the whole report.
        assert.equal((await run("prod", "--stack-file", step0, "--json", p0, "--mermaid")).code, 0);
        const forward = await run("prod", "--stack-file", step1, "--json", p1, "--diff", p0);
        assert.equal(forward.code, 0, forward.err);
        const table = forward.out.slice(forward.out.indexOf("Upgrade steps:"));
        assert.deepEqual(table.split("\n").slice(3).map((l) => l.split(/\s{2,}/)[0]), ["upgrade base", "add revision", "add tag"]);
        const back = await run("prod", "--stack-file", step0, "--diff", p1, "--allow-replace");
        assert.equal(back.code, 3);
        assert.match(back.out, /^downgrade base \(blocking\) +1\.31\.0 → 1\.30\.3 /m);
        assert.ok(back.out.endsWith("A downgrade, and a revision still in use removed: BLOCKED (exit 3)."), back.out);
    });

    it("blocks removing a revision a tag pointed at (exit 3) unless --allow-remove-revision; --allow-replace does not lift it", async () => {
        const step1 = stackFile(dir, "r1", { installed: { default: "1.30.3", "1-31-0": "1.31.0" }, tags: { stable: "default", canary: "1-31-0" } });
        const step3 = stackFile(dir, "r3", { installed: { "1-31-0": "1.31.0" }, tags: { stable: "1-31-0", canary: "1-31-0" } });
        const p1 = path.join(dir, "r1.json");
        assert.equal((await run("prod", "--stack-file", step1, "--json", p1, "--mermaid")).code, 0);
        const blocked = await run("prod", "--stack-file", step3, "--diff", p1, "--allow-replace");
        assert.equal(blocked.code, 3);
        assert.match(blocked.out, /^remove revision \(blocking\) +default \(1\.30\.3\) /m);
        assert.ok(blocked.out.endsWith("A revision still in use removed: BLOCKED (exit 3)."), blocked.out);
        const allowed = await run("prod", "--stack-file", step3, "--diff", p1, "--allow-remove-revision");
        assert.equal(allowed.code, 0, allowed.out);
        assert.ok(allowed.out.includes("note: revision default may still be in use (tag stable pointed at it before this change)"), allowed.out);
    });
});
