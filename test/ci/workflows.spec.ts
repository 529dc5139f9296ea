/**
 * The GitHub workflows under .github/workflows: what they run, with which
 * secrets and permissions.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as yamlParse } from "yaml";
import { ROOT } from "../support";

describe("GitHub workflows", () => {
  const dir = path.join(ROOT, ".github", "workflows");
  const load = (f: string) => yamlParse(fs.readFileSync(path.join(dir, f), "utf8"), { strict: true, uniqueKeys: true }) as any;

  it("are valid YAML with jobs", () => {
    const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    assert.deepEqual(files, ["deploy.yml", "pr.yml", "pulumi-up.yml"]);
    for (const f of files) assert.ok(Object.keys(load(f).jobs ?? {}).length > 0, f);
  });

  it("pr.yml: a preview matrix gated on secrets, an offline matrix that fails on exit 3 unless labelled", () => {
    const wf = load("pr.yml");
    assert.ok(wf.on.pull_request.types.includes("labeled") && wf.on.pull_request.types.includes("unlabeled"));
    const stacks = ["dev", "staging", "prod"];
    // Secrets cannot appear in `if:`; the gate maps them to env and tests env in a step.
    const gate = wf.jobs.gate;
    assert.equal(gate.env.PULUMI_BACKEND_URL, "${{ secrets.PULUMI_BACKEND_URL }}");
    assert.equal(gate.env.ALICLOUD_ACCESS_KEY, "${{ secrets.ALICLOUD_ACCESS_KEY }}");
    assert.equal(gate.env.ALICLOUD_SECRET_KEY, "${{ secrets.ALICLOUD_SECRET_KEY }}");
    assert.match(gate.steps[0].if, /env\.PULUMI_BACKEND_URL != '' && env\.ALICLOUD_ACCESS_KEY != '' && env\.ALICLOUD_SECRET_KEY != ''/);
    for (const job of Object.values<any>(wf.jobs)) assert.doesNotMatch(JSON.stringify([job.if, (job.steps ?? []).map((s: any) => s.if)]), /secrets\./);

    const preview = wf.jobs.preview;
    assert.deepEqual(preview.strategy.matrix.stack, stacks);
    assert.equal(preview.needs, "gate");
    assert.match(preview.if, /needs\.gate\.outputs\.preview == 'true'/);
    const action = preview.steps.find((s: any) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@"));
    assert.equal(action.uses, "pulumi/actions@v7");
    assert.deepEqual([action.with.command, action.with["stack-name"], action.with["comment-on-pr"]], ["preview", "${{ matrix.stack }}", true]);
    assert.equal(action.with["cloud-url"], "${{ secrets.PULUMI_BACKEND_URL }}");

    const offline = wf.jobs.offline;
    assert.deepEqual(offline.strategy.matrix.stack, stacks);
    assert.equal(offline.needs, undefined, "runs without credentials, always");
    const script = offline.steps.map((s: any) => s.run ?? "").join("\n");
    assert.match(script, /npm run --silent plan -- "\$STACK" --json "\$RUNNER_TEMP\/base\.json"/);
    assert.match(script, /--diff "\$RUNNER_TEMP\/base\.json" --mermaid --format markdown/);
    assert.match(script, /printf '\{"project":"ack-mesh","resources":\[\],"stack":"%s","version":1\}\\n'/, "an empty base plan when the base branch has none");
    assert.ok(offline.steps.some((s: any) => s.with?.ref === "${{ github.event.pull_request.base.sha }}" && s.with?.path === "base"));
    const plan = offline.steps.find((s: any) => s.id === "plan");
    assert.equal(plan.env.ALLOW_REPLACE, "${{ contains(github.event.pull_request.labels.*.name, 'allow-replace') }}");
    assert.match(plan.run, /flags\+=\(--allow-replace\)/);
    const comment = offline.steps.find((s: any) => typeof s.uses === "string" && s.uses.startsWith("marocchino/sticky-pull-request-comment@"));
    assert.equal(comment.uses, "marocchino/sticky-pull-request-comment@v3");
    assert.equal(comment.with.header, "ack-mesh-offline-plan-${{ matrix.stack }}");
    const fail = offline.steps.find((s: any) => s.if === "${{ steps.plan.outputs.code == '3' }}");
    assert.match(fail.run, /exit 3/);
    assert.ok(wf.jobs.test.steps.some((s: any) => s.run === "npm test"));
  });

  it("deploy.yml: on push to main, dev → staging → prod, staging and prod behind environments", () => {
    const wf = load("deploy.yml");
    assert.deepEqual(wf.on.push.branches, ["main"]);
    assert.deepEqual(wf.jobs.dev.needs, ["gate", "test"]);
    assert.match(wf.jobs.dev.if, /needs\.gate\.outputs\.deploy == 'true'/);
    assert.equal(wf.jobs.staging.needs, "dev");
    assert.equal(wf.jobs.prod.needs, "staging");
    for (const stage of ["dev", "staging", "prod"]) {
      const job = wf.jobs[stage];
      assert.equal(job.uses, "./.github/workflows/pulumi-up.yml");
      assert.deepEqual(job.with, { stack: stage, environment: stage });
      assert.equal(job.secrets, "inherit");
    }
    assert.equal(wf.concurrency["cancel-in-progress"], false);
    const up = load("pulumi-up.yml");
    assert.ok(up.on.workflow_call.inputs.stack.required && up.on.workflow_call.inputs.environment.required);
    assert.equal(up.jobs.up.environment, "${{ inputs.environment }}");
    const action = up.jobs.up.steps.find((s: any) => typeof s.uses === "string" && s.uses.startsWith("pulumi/actions@"));
    assert.deepEqual([action.uses, action.with.command, action.with["stack-name"]], ["pulumi/actions@v7", "up", "${{ inputs.stack }}"]);
    assert.equal(up.jobs.up.env.ALICLOUD_ACCESS_KEY, "${{ secrets.ALICLOUD_ACCESS_KEY }}");
  });
});
