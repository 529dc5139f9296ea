/**
 * .github/scripts/pulumi-preview.sh, run against a stand-in `pulumi` on PATH:
 * the Markdown it writes for a PR comment or a job summary, and its exit status.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../support";

const script = path.join(ROOT, ".github", "scripts", "pulumi-preview.sh");

/** Runs the script with a fake `pulumi` that prints `output` and exits with `code`; returns the Markdown. */
function run(output: string, code: number) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "preview-"));
    fs.writeFileSync(path.join(tmp, "out.txt"), output);
    fs.writeFileSync(path.join(tmp, "pulumi"), `#!/usr/bin/env bash\necho "args: $*"\ncat "${tmp}/out.txt"\nexit ${code}\n`, { mode: 0o755 });
    const out = path.join(tmp, "preview.md");
    const r = spawnSync("bash", [script, "prod", out, "0123456789abcdef0123"], {
        env: { ...process.env, PATH: `${tmp}:${process.env.PATH}` },
        encoding: "utf8",
    });
    const md = fs.readFileSync(out, "utf8");
    fs.rmSync(tmp, { recursive: true, force: true });
    return { status: r.status, stdout: r.stdout, md };
}

describe("pulumi-preview.sh", () => {
    it("writes the preview as Markdown and exits 0", () => {
        const { status, stdout, md } = run("  ~ alicloud:cs/nodePool:NodePool prod-hz-np-system update\nResources: 1 to update\n", 0);
        assert.equal(status, 0);
        assert.match(stdout, /Resources: 1 to update/, "the log shows it too");
        assert.equal(
            md,
            [
                "### pulumi preview: stack `prod` at `0123456789ab`",
                "",
                "Read-only credentials; nothing was changed.",
                "",
                "<details open><summary>Output</summary>",
                "",
                "````diff",
                "args: preview --stack prod --diff --color never --non-interactive",
                "  ~ alicloud:cs/nodePool:NodePool prod-hz-np-system update",
                "Resources: 1 to update",
                "````",
                "",
                "</details>",
                "",
            ].join("\n"),
        );
    });

    it("still writes the Markdown when pulumi fails, and exits with pulumi's status", () => {
        const { status, md } = run("error: cs:DescribeClusterUserKubeconfig is not authorized\n", 255);
        assert.equal(status, 255);
        assert.match(md, /❌ `pulumi preview` failed with exit status 255\./);
        assert.match(md, /error: cs:DescribeClusterUserKubeconfig is not authorized/);
    });

    it("keeps the end (the summary) of a preview too long for a comment", () => {
        const { md } = run(`${"x".repeat(100_000)}\nResources: 240 unchanged\n`, 0);
        assert.ok(md.length < 61_000, `${md.length} characters`);
        assert.match(md, /… \(the first part is cut; the whole preview is in the job log\)/);
        assert.match(md, /Resources: 240 unchanged\n````/);
    });
});
