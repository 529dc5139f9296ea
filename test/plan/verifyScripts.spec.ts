/**
 * The verification Jobs' shell programs, run for real under the host's
 * /bin/sh (dash here; the Jobs run busybox ash: set VERIFY_BUSYBOX, see
 * docs/verify.md "Testing the programs") with fake
 * `curl`, `date` and `sleep` on PATH: a fake clock advances by each `sleep`
 * and by each request's simulated duration, so time budgets are tested
 * without waiting. Each program ends with the verdict line and exit status
 * the component and `npm run verify` rely on.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RESTORE_SECONDS, WARMUP_SECONDS, checkBudgetSeconds, checkEnv, checkScript, cidrBounds, parseVerdict, rangesParam, verdictLine } from "../../plan/verifyScripts";
import type { VerifyCheck } from "../../plan/verify";

/**
 * A fake curl:
 * - service requests: answered round-robin over $FAKE_HOSTS ($FAKE_HOSTS_SCALED while a Deployment is
 *   scaled to 0), each host logged; each request advances the fake clock by $FAKE_DELAY seconds (or
 *   really sleeps $FAKE_REAL_DELAY); reviews bodies round-robin over $FAKE_VERSIONS / $FAKE_JASON;
 * - Envoy's /clusters: per-host rq_total from that log (nothing with $FAKE_NO_STATS);
 * - istiod's clusterz: $FAKE_BODY with HTTP $FAKE_CODE;
 * - the Kubernetes API: deployments/<d>/scale GET and PATCH (replicas kept in files, PATCHes logged
 *   to $FAKE_DIR/kube), deployments/<d> GET with readyReplicas = replicas unless $FAKE_NEVER_READY;
 * - $FAKE_EXIT: exit with that status (and code 000).
 */
const FAKE_CURL = String.raw`#!/bin/sh
url=""; hdr=""; w=""; o=""; method=GET; data=""
while [ $# -gt 0 ]; do
  case "$1" in
    -H) hdr="$hdr|$2"; shift 2 ;;
    -w) w="$2"; shift 2 ;;
    -o) o="$2"; shift 2 ;;
    -X) method="$2"; shift 2 ;;
    -d) data="$2"; shift 2 ;;
    --max-time|--connect-timeout|--cacert) shift 2 ;;
    http*) url="$1"; shift ;;
    *) shift ;;
  esac
done
out() { if [ -n "$o" ] && [ "$o" != /dev/null ]; then cat > "$o"; elif [ -n "$o" ]; then cat > /dev/null; else cat; fi; }
if [ -n "$FAKE_EXIT" ]; then [ -n "$w" ] && printf 000; exit "$FAKE_EXIT"; fi
case "$url" in
  http://localhost:15000/clusters)
    [ -n "$FAKE_NO_STATS" ] && exit 0
    for h in $FAKE_HOSTS $FAKE_HOSTS_SCALED; do
      n=$(grep -c "^$h\$" "$FAKE_DIR/log" 2>/dev/null || true)
      echo "outbound|9080||$FAKE_SVC.bookinfo.svc.cluster.local::$h::rq_total::$n"
      echo "outbound|9080||$FAKE_SVC.bookinfo.svc.cluster.local::$h::region::cn-hangzhou"
    done
    echo "outbound|9080||other.bookinfo.svc.cluster.local::10.9.9.9:9080::rq_total::77"
    exit 0 ;;
  *clusterz) printf '%s' "$FAKE_BODY" | out; [ -n "$w" ] && printf '%s' "$FAKE_CODE"; exit 0 ;;
  https://kubernetes.default.svc/*/scale)
    d=$(echo "$url" | sed 's|.*/deployments/\([^/]*\)/scale|\1|')
    if [ "$method" = PATCH ]; then
      r=$(echo "$data" | sed 's/.*"replicas":\([0-9]*\).*/\1/'); echo "$r" > "$FAKE_DIR/replicas-$d"; echo "$d $r" >> "$FAKE_DIR/kube"
    fi
    printf '{"kind": "Scale", "spec": {"replicas": %s}}' "$(cat "$FAKE_DIR/replicas-$d" 2>/dev/null || echo 2)"; exit 0 ;;
  https://kubernetes.default.svc/*)
    d=$(echo "$url" | sed 's|.*/deployments/||'); r=$(cat "$FAKE_DIR/replicas-$d" 2>/dev/null || echo 2)
    if [ -n "$FAKE_NEVER_READY" ] || [ "$r" = 0 ]; then printf '{"status": {"replicas": %s}}' "$r"; else printf '{"status": {"replicas": %s, "readyReplicas": %s}}' "$r" "$r"; fi
    exit 0 ;;
esac
[ -n "$FAKE_DELAY" ] && echo $(( $(cat "$FAKE_DIR/clock") + FAKE_DELAY )) > "$FAKE_DIR/clock"
[ -n "$FAKE_REAL_DELAY" ] && /bin/sleep "$FAKE_REAL_DELAY"
n=$(cat "$FAKE_DIR/n" 2>/dev/null || echo 0); echo $((n+1)) > "$FAKE_DIR/n"
hosts="$FAKE_HOSTS"; if [ -n "$FAKE_HOSTS_SCALED" ] && grep -qx 0 "$FAKE_DIR"/replicas-* 2>/dev/null; then hosts="$FAKE_HOSTS_SCALED"; fi
set -- $hosts; i=$((n % $#)); shift $i; echo "$1" >> "$FAKE_DIR/log"
if [ -n "$w" ]; then printf '%s' "$FAKE_CODE"; exit 0; fi
case "$hdr" in *"end-user: jason"*) set -- $FAKE_JASON ;; *) set -- $FAKE_VERSIONS ;; esac
i=$((n % $#)); shift $i
printf '{"id": "0","podname": "reviews-%s-5d8f6b9c7-x2x4q","clustername": "null","reviews": []}' "$1"
`;

/** A fake clock: `date +%s` reads it, `sleep N` advances it (the real ones with `real: true`). */
const FAKE_DATE = '#!/bin/sh\ncat "$FAKE_DIR/clock"\n';
const FAKE_SLEEP = '#!/bin/sh\necho $(( $(cat "$FAKE_DIR/clock") + $1 )) > "$FAKE_DIR/clock"\n';

/**
 * `VERIFY_BUSYBOX=/bin/busybox npx mocha …` runs the programs under busybox `sh` with its `awk`, `sed`,
 * `sort`, `tr`, `cut`, `uniq` and `mktemp` (the image's tools); unset, under the host's /bin/sh and tools.
 */
const BUSYBOX = process.env.VERIFY_BUSYBOX;
const BUSYBOX_TOOLS = ["awk", "sed", "sort", "tr", "cut", "uniq", "mktemp", "cat"];

function shell(script: string): [string, string[]] {
    return BUSYBOX ? [BUSYBOX, ["sh", "-c", script]] : ["/bin/sh", ["-c", script]];
}

interface Sandbox {
    dir: string;
    env: Record<string, string>;
}

function sandbox(check: VerifyCheck, fake: Record<string, string>, extraEnv: Record<string, string>, realClock: boolean): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-sh-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "curl"), FAKE_CURL, { mode: 0o755 });
    if (BUSYBOX) for (const tool of BUSYBOX_TOOLS) fs.symlinkSync(BUSYBOX, path.join(bin, tool));
    if (!realClock) {
        fs.writeFileSync(path.join(bin, "date"), FAKE_DATE, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "sleep"), FAKE_SLEEP, { mode: 0o755 });
    }
    fs.writeFileSync(path.join(dir, "clock"), "1000\n");
    // The Job's termination message goes to a file of the test, never to the host's /dev.
    const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_DIR: dir, FAKE_EXIT: "", FAKE_CODE: "200", TERMINATION_LOG: path.join(dir, "termination-log"), ...checkEnv(check), ...extraEnv, ...fake };
    return { dir, env };
}

interface Run {
    status: number | null;
    stdout: string;
    /** Seconds on the fake clock. */
    took: number;
    /** The scale PATCHes, `<deployment> <replicas>` per line. */
    kube: string[];
}

function finish(s: Sandbox, status: number | null, stdout: string): Run {
    const read = (f: string) => (fs.existsSync(path.join(s.dir, f)) ? fs.readFileSync(path.join(s.dir, f), "utf8") : "");
    const r = { status, stdout, took: Number(read("clock")) - 1000, kube: read("kube").split("\n").filter(Boolean) };
    fs.rmSync(s.dir, { recursive: true, force: true });
    return r;
}

function run(check: VerifyCheck, fake: Record<string, string>, extraEnv: Record<string, string> = {}, realClock = false): Run {
    const s = sandbox(check, fake, extraEnv, realClock);
    const [cmd, args] = shell(checkScript(check));
    const r = spawnSync(cmd, args, { env: s.env, encoding: "utf8", timeout: 60_000 });
    return finish(s, r.status, r.stdout);
}

const calls: VerifyCheck = {
    id: "calls-details-a", kind: "calls", cluster: "a", namespace: "bookinfo", sidecar: true, service: "details", requests: 20,
    allowed: ["b"], required: ["b"], known: ["b"], expected: "20/20 HTTP 200 from b, each of b at least once; endpoints known in b",
};
const RANGES = rangesParam({ a: ["10.0.0.0/24"], b: ["10.1.0.0/24"] }, { c: "47.1.2.3" }, () => "n2");

describe("verification programs (sh)", function () {
    this.timeout(60_000);

    it("calls: PASS when every answer comes from an allowed cluster (by the sidecar's per-host counts)", () => {
        const r = run(calls, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details" }, { RANGES });
        assert.equal(r.stdout.trim().split("\n").pop(), verdictLine(true, "calls-details-a", "a", calls.expected, "20/20 HTTP 200 from b=20; endpoints known in b"));
        assert.equal(r.status, 0);
    });

    it("calls: FAIL naming the clusters that answered when the local cluster answers too", () => {
        const r = run({ ...calls, known: [] }, { FAKE_HOSTS: "10.1.0.7:9080 10.0.0.9:9080 47.1.2.3:15443 192.168.0.1:9080", FAKE_SVC: "details" }, { RANGES });
        assert.deepEqual(parseVerdict(r.stdout), {
            pass: false, check: "calls-details-a", cluster: "a", expected: calls.expected,
            seen: "20/20 HTTP 200 from a=5 b=5 net:n2=5 unknown:192.168.0.1=5; endpoints known in a b net:n2 unknown:192.168.0.1",
        });
        assert.equal(r.status, 1);
    });

    it("calls: FAIL when the caller's sidecar has no endpoint of a cluster the service is placed in", () => {
        const r = run({ ...calls, known: ["a", "b", "net:n2"] }, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details" }, { RANGES, WARMUP: "20" });
        assert.deepEqual([r.status, parseVerdict(r.stdout)?.seen], [1, "the caller's sidecar has no endpoint in a net:n2 after 20 s (endpoints in b)"]);
    });

    it("calls: FAIL when the sidecar counted fewer answers than the requests (no attribution, no PASS)", () => {
        const r = run({ ...calls, allowed: ["a", "b"], required: [], known: [] }, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details", FAKE_NO_STATS: "1" }, { RANGES });
        assert.deepEqual([r.status, parseVerdict(r.stdout)?.seen], [1, "20/20 HTTP 200 from nobody (the sidecar counted 0 answers); endpoints known in "]);
    });

    it("calls: FAIL when requests fail, after the warm-up measured by the clock", () => {
        const r = run({ ...calls, requests: 3 }, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details", FAKE_CODE: "503", FAKE_DELAY: "5" }, { RANGES });
        assert.equal(parseVerdict(r.stdout)?.seen, `no HTTP 200 from http://details:9080/details/0 within ${WARMUP_SECONDS} s`);
        assert.equal(r.status, 1);
        // Each attempt takes 5 s of curl and 2 s of sleep: the clock, not the sleeps, ends the warm-up.
        assert.ok(r.took >= WARMUP_SECONDS && r.took < WARMUP_SECONDS + 7, String(r.took));
    });

    it("calls: slow answers end in a FAIL verdict with the partial counts when the time budget is spent", () => {
        const r = run(calls, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details", FAKE_DELAY: "5" }, { RANGES, BUDGET: "60" });
        assert.deepEqual([r.status, parseVerdict(r.stdout)?.seen], [1, "time budget of 60 s spent after 11 of 20 requests: 11/20 HTTP 200 from b=11; endpoints known in b"]);
        assert.ok(r.took <= 60 + 5, String(r.took));
    });

    it("calls: with a real clock and a curl that really sleeps, the verdict comes at the budget", () => {
        const started = Date.now();
        const r = run({ ...calls, known: [] }, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details", FAKE_REAL_DELAY: "1" }, { RANGES, BUDGET: "3" }, true);
        assert.equal(r.status, 1);
        assert.match(parseVerdict(r.stdout)?.seen ?? "", /^time budget of 3 s spent after [1-3] of 20 requests: /);
        assert.ok(Date.now() - started < 20_000);
    });

    it("time budgets and Job deadlines grow with K", () => {
        assert.equal(checkBudgetSeconds(calls), WARMUP_SECONDS + 60 + 5);
        assert.equal(checkBudgetSeconds({ ...calls, requests: 10000 }), WARMUP_SECONDS + 60 + 2500);
        assert.equal(checkEnv(calls).BUDGET, String(WARMUP_SECONDS + 65));
        const failover = { ...calls, kind: "failover", from: "r1", to: "r2", workloads: ["details-v1"] } as VerifyCheck;
        assert.equal(checkBudgetSeconds(failover), 2 * WARMUP_SECONDS + 60 + 5 + RESTORE_SECONDS);
    });

    const jason: VerifyCheck = {
        id: "routing-jason-a", kind: "routing", cluster: "a", namespace: "bookinfo", sidecar: true, user: "jason", versions: ["v2", "v3"], v2Count: { min: 2, max: 18 }, requests: 20, expected: "only v2 v3, v2 2..18 of 20",
    };
    it("routing: jason PASS at 50/50, FAIL when v1 answers or the split is lopsided", () => {
        const ok = run(jason, { FAKE_HOSTS: "h", FAKE_JASON: "v2 v3", FAKE_VERSIONS: "v1" });
        assert.deepEqual([ok.status, parseVerdict(ok.stdout)?.seen], [0, "v1=0 v2=10 v3=10 failed=0"]);
        const v1 = run(jason, { FAKE_HOSTS: "h", FAKE_JASON: "v1 v2 v3", FAKE_VERSIONS: "v1" });
        assert.equal(v1.status, 1);
        const skew = run(jason, { FAKE_HOSTS: "h", FAKE_JASON: "v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v2 v3", FAKE_VERSIONS: "v1" });
        assert.deepEqual([skew.status, parseVerdict(skew.stdout)?.seen], [1, "v1=0 v2=19 v3=1 failed=0"]);
        const others = run({ ...jason, id: "routing-others-a", user: "", versions: ["v1"], v2Count: undefined, expected: "only v1" }, { FAKE_HOSTS: "h", FAKE_JASON: "v2 v3", FAKE_VERSIONS: "v1" });
        assert.deepEqual([others.status, parseVerdict(others.stdout)?.seen], [0, "v1=20 v2=0 v3=0 failed=0"]);
    });

    it("routing: slow answers end in a FAIL verdict with the partial counts", () => {
        const r = run(jason, { FAKE_HOSTS: "h", FAKE_JASON: "v2 v3", FAKE_VERSIONS: "v1", FAKE_DELAY: "5" }, { BUDGET: "30" });
        assert.deepEqual([r.status, parseVerdict(r.stdout)?.seen], [1, "time budget of 30 s spent after 5 of 20 requests: v1=0 v2=2 v3=3 failed=0"]);
    });

    const discovery: VerifyCheck = { id: "discovery-p", kind: "discovery", cluster: "p", namespace: "istio-system", sidecar: false, entries: ["p=synced", "r=synced"], expected: "p=synced r=synced" };
    it("discovery: parses istiod's clusterz JSON (pkg/cluster/debug.go DebugInfo)", () => {
        const body = JSON.stringify([{ id: "p", secretName: "", syncStatus: "synced" }, { id: "r", secretName: "istio-remote-secret-r", syncStatus: "synced" }], null, 2);
        const ok = run(discovery, { FAKE_BODY: body, FAKE_HOSTS: "h" });
        assert.deepEqual([ok.status, parseVerdict(ok.stdout)?.seen], [0, "p=synced r=synced"]);
        const missing = JSON.stringify([{ id: "p", secretName: "", syncStatus: "synced" }, { id: "r", secretName: "s", syncStatus: "timeout" }], null, 2);
        const bad = run(discovery, { FAKE_BODY: missing, FAKE_HOSTS: "h" }, { BUDGET: "40" });
        assert.deepEqual([bad.status, parseVerdict(bad.stdout)?.seen], [1, "p=synced r=timeout"]);
        assert.ok(bad.took >= 40 && bad.took < 46, String(bad.took));
    });

    it("discovery: reports istiod's HTTP status (401/403 without a system-namespace token, 404 without the debug endpoint) at once", () => {
        const denied = run(discovery, { FAKE_BODY: "Unauthorized", FAKE_CODE: "403", FAKE_HOSTS: "h" });
        assert.deepEqual([denied.status, parseVerdict(denied.stdout)?.seen, denied.took], [1, "HTTP 403 from istiod: Unauthorized", 0]);
        const down = run(discovery, { FAKE_EXIT: "7", FAKE_HOSTS: "h" }, { BUDGET: "20" });
        assert.deepEqual([down.status, parseVerdict(down.stdout)?.seen], [1, "istiod unreachable: curl exit 7"]);
    });

    const mtls: VerifyCheck = { id: "mtls-a", kind: "mtls", cluster: "a", namespace: "bookinfo", sidecar: false, service: "details", expected: "refused" };
    it("mtls: PASS only on a connection reset", () => {
        assert.deepEqual(run(mtls, { FAKE_EXIT: "56", FAKE_HOSTS: "h" }).status, 0);
        const accepted = run(mtls, { FAKE_HOSTS: "h" });
        assert.deepEqual([accepted.status, parseVerdict(accepted.stdout)?.seen], [1, "HTTP 200: plaintext accepted"]);
        const noEndpoint = run(mtls, { FAKE_EXIT: "7", FAKE_HOSTS: "h" });
        assert.deepEqual([noEndpoint.status, parseVerdict(noEndpoint.stdout)?.seen], [1, "inconclusive: curl exit 7 (7: no local endpoint, 28: timeout)"]);
    });

    const ingress: VerifyCheck = { id: "ingress-a", kind: "ingress", cluster: "a", namespace: "bookinfo", sidecar: false, gateway: "a", requests: 5, expected: "5/5 HTTP 200 for /productpage" };
    it("ingress: counts the non-200 codes, and stops at the budget", () => {
        const ok = run(ingress, { FAKE_HOSTS: "h" }, { ADDRESS: "47.1.2.3" });
        assert.deepEqual([ok.status, parseVerdict(ok.stdout)?.seen], [0, "5/5 HTTP 200"]);
        const slow = run(ingress, { FAKE_HOSTS: "h", FAKE_DELAY: "5" }, { ADDRESS: "47.1.2.3", BUDGET: "12" });
        assert.deepEqual([slow.status, parseVerdict(slow.stdout)?.seen], [1, "time budget of 12 s spent after 2 of 5 requests: 2/5 HTTP 200"]);
    });

    const failover: VerifyCheck = {
        id: "failover-details-r1", kind: "failover", cluster: "a", namespace: "bookinfo", sidecar: true, service: "details", from: "r1", to: "r2", workloads: ["details-v1"], requests: 20,
        allowed: ["b"], required: ["b"], expected: "with details-v1 scaled to 0: 20/20 HTTP 200 from b, each of b at least once",
    };
    const served = { FAKE_HOSTS: "10.0.0.7:9080", FAKE_HOSTS_SCALED: "10.1.0.7:9080", FAKE_SVC: "details" };
    it("failover: scales to 0, sees the other region answer, restores the replicas and waits until they are ready", () => {
        const r = run(failover, served, { RANGES });
        assert.deepEqual([r.status, parseVerdict(r.stdout)?.seen], [0, "20/20 HTTP 200 from b=20"]);
        assert.deepEqual(r.kube, ["details-v1 0", "details-v1 2"]);
    });

    it("failover: FAIL when the restored Deployment is not ready again before the budget", () => {
        const r = run(failover, { ...served, FAKE_NEVER_READY: "1" }, { RANGES, BUDGET: "150" });
        assert.deepEqual([r.status, parseVerdict(r.stdout)?.seen], [1, "20/20 HTTP 200 from b=20; after the restore not ready: details-v1 0/2 ready"]);
        assert.deepEqual(r.kube, ["details-v1 0", "details-v1 2"]);
        assert.ok(r.took >= 150 && r.took <= 155, String(r.took));
    });

    it("failover: FAIL and restore when the failover never happens (answers stay local)", () => {
        const r = run(failover, { ...served, FAKE_HOSTS_SCALED: "10.0.0.8:9080", FAKE_DELAY: "2" }, { RANGES, WARMUP: "20", BUDGET: "220" });
        // Measured in batches until the budget less RESTORE_SECONDS (100 s): the last full batch is reported.
        assert.deepEqual([r.status, parseVerdict(r.stdout)?.seen], [1, "20/20 HTTP 200 from a=20"]);
        assert.ok(r.took >= 100 && r.took < 120, String(r.took));
        assert.deepEqual(r.kube, ["details-v1 0", "details-v1 2"]);
    });

    it("failover: SIGTERM (deadline, deletion) restores the replicas and ends with a FAIL verdict", async () => {
        const s = sandbox(failover, { ...served, FAKE_REAL_DELAY: "0.05" }, { RANGES }, true);
        const [cmd, args] = shell(checkScript(failover));
        const child = spawn(cmd, args, { env: s.env });
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        const kubeLog = path.join(s.dir, "kube");
        for (let i = 0; i < 200 && !(fs.existsSync(kubeLog) && fs.readFileSync(kubeLog, "utf8").includes("details-v1 0")); i++) await new Promise((r) => setTimeout(r, 50));
        child.kill("SIGTERM");
        const status = await exited;
        const r = finish(s, status, stdout);
        assert.deepEqual(r.kube, ["details-v1 0", "details-v1 2"]);
        assert.equal(r.status, 1);
        assert.match(parseVerdict(r.stdout)?.seen ?? "", /^terminated; replicas restored \(details-v1=2\); last seen: /);
    });

    it("cidrBounds, rangesParam and parseVerdict", () => {
        assert.deepEqual(cidrBounds("10.1.0.0/16"), [167837696, 167903231]);
        assert.deepEqual(cidrBounds("47.1.2.3"), [788595203, 788595203]);
        assert.throws(() => cidrBounds("eu.example.com"), /not an IPv4 address or CIDR: "eu.example.com"/);
        assert.equal(rangesParam({ a: ["10.0.0.0/31"] }, { b: "1.0.0.1", c: "lb.example.com" }, (c) => `n-${c}`), "a 167772160 167772161;net:n-b 16777217 16777217");
        const line = verdictLine(false, "x", "y", "e [1]", "s");
        assert.deepEqual(parseVerdict(`noise\n[Error] ${line}\n`), { pass: false, check: "x", cluster: "y", expected: "e [1]", seen: "s" });
        assert.equal(parseVerdict("nothing here"), undefined);
    });
});
