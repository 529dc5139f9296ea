/**
 * sim/upgradeSteps.ts on hand-made plans: which changes are upgrade steps, version order, OCI chart
 * references, and what is left out.
 */
import { strict as assert } from "node:assert";
import { CanonicalResource, classifyUpgrade, compareVersions, diffPlans, makeCanonicalPlan, makeCanonicalResource, renderUpgradeSteps } from "../../sim";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const urn = (type: string, name: string) => `urn:pulumi:dev::ack-mesh::${type}::${name}`;
const release = (name: string, inputs: Record<string, unknown>): CanonicalResource => makeCanonicalResource({ urn: urn(RELEASE, name), type: RELEASE, name, inputs });
const plan = (...rs: CanonicalResource[]) => makeCanonicalPlan({ stack: "dev", project: "ack-mesh" }, rs);
const steps = (a: CanonicalResource[], b: CanonicalResource[]) => {
    const [o, n] = [plan(...a), plan(...b)];
    return classifyUpgrade(diffPlans(o, n), o, n);
};

describe("sim/upgradeSteps", () => {
    it("orders versions numerically, ACK suffixes included", () => {
        assert.ok(compareVersions("1.9.0", "1.10.0") < 0);
        assert.ok(compareVersions("1.35.7-aliyun.1", "1.36.1-aliyun.1") < 0);
        assert.ok(compareVersions("1.35.7-aliyun.2", "1.35.7-aliyun.1") > 0);
        assert.equal(compareVersions("1.31.0", "1.31.0"), 0);
    });

    it("recognises istiod and base from an OCI chart reference; an in-place patch upgrade is not blocking", () => {
        const oci = "oci://registry.cn-hangzhou.aliyuncs.com/charts";
        const s = steps(
            [release("a-istiod", { chart: `${oci}/istiod`, name: "istiod", version: "1.30.3" }), release("a-base", { chart: `${oci}/base`, name: "istio-base", version: "1.30.3" })],
            [release("a-istiod", { chart: `${oci}/istiod`, name: "istiod", version: "1.30.4" }), release("a-base", { chart: `${oci}/base`, name: "istio-base", version: "1.30.4" })],
        );
        assert.deepEqual(s.steps.map((x) => [x.kind, x.subject, x.blocking]), [
            ["upgrade base", "1.30.3 → 1.30.4", false],
            ["in-place upgrade", "default: 1.30.3 → 1.30.4", false],
        ]);
        assert.equal(s.blocking, false);
    });

    it("ignores releases of other charts, gateway creates and values-only changes; renders nothing then", () => {
        const s = steps(
            [release("x", { chart: "redis", name: "redis", version: "1.0.0" }), release("i", { chart: "istiod", name: "istiod", version: "1.30.3", values: { a: 1 } })],
            [release("x", { chart: "redis", name: "redis", version: "2.0.0" }), release("i", { chart: "istiod", name: "istiod", version: "1.30.3", values: { a: 2 } }), release("g", { chart: "gateway", name: "gw", version: "1.30.3" })],
        );
        assert.deepEqual(s.steps, []);
        assert.equal(renderUpgradeSteps(s), "");
    });

    it("a removed revision a tag webhook pointed at is blocking, and says why; --allow-remove-revision lifts only that", () => {
        const WEBHOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";
        const tag = (rev: string) =>
            makeCanonicalResource({ urn: urn(WEBHOOK, "t"), type: WEBHOOK, name: "t", inputs: { metadata: { name: "istio-revision-tag-stable", labels: { "istio.io/tag": "stable", "istio.io/rev": rev } } } });
        const old = release("i", { chart: "istiod", name: "istiod-1-30-3", version: "1.30.3" });
        const s = steps([old, tag("1-30-3")], [tag("1-30-3")]);
        assert.deepEqual(s.steps.map((x) => [x.kind, x.subject, x.blocking]), [["remove revision", "1-30-3 (1.30.3)", true]]);
        assert.equal(
            renderUpgradeSteps(s),
            [
                "",
                "Upgrade steps:",
                "step                        subject          resources",
                "--------------------------  ---------------  ---------",
                "remove revision (blocking)  1-30-3 (1.30.3)  i",
                "note: revision 1-30-3 is still in use: tag stable pointed at it before this change; pods it injected lose xDS and certificate renewal when its istiod goes. " +
                    "Move the tags and restart the workloads first, then remove the revision in a change of its own (docs/upgrade.md, step 3), or pass --allow-remove-revision if nothing runs on it",
                "A revision still in use removed: BLOCKED (exit 3).",
            ].join("\n"),
        );
        const [o, n] = [plan(old, tag("1-30-3")), plan(tag("1-30-3"))];
        const allowed = classifyUpgrade(diffPlans(o, n), o, n, { allowRevisionRemoval: true });
        assert.equal(allowed.blocking, false);
        assert.deepEqual(allowed.notes, ["revision 1-30-3 may still be in use (tag stable pointed at it before this change): removed because --allow-remove-revision says nothing runs on it"]);
        // Not in use: no tag pointed at it, nothing added.
        assert.equal(steps([old, tag("1-31-0")], [tag("1-31-0")]).blocking, false);
    });

    it("renders markdown for a PR comment, with the blocking verdict", () => {
        const s = steps([release("b", { chart: "base", name: "istio-base", version: "1.31.0" })], [release("b", { chart: "base", name: "istio-base", version: "1.30.3" })]);
        assert.equal(
            renderUpgradeSteps(s, "markdown"),
            [
                "",
                "#### Upgrade steps",
                "",
                "| step | subject | resources |",
                "|---|---|---|",
                "| downgrade base ⛔ | 1.31.0 → 1.30.3 | b |",
                "",
                "> base (the CRDs) is never downgraded: keep mesh.revisions.base at the newer version when you roll a revision back",
                "",
                "⛔ A downgrade: BLOCKED (exit 3).",
            ].join("\n"),
        );
    });
});
