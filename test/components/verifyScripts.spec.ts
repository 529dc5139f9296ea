/**
 * The verification Jobs' shell programs, run for real under /bin/sh with a
 * fake `curl` (and an instant `sleep`) on PATH: each ends with the verdict
 * line and exit status the component and `npm run verify` rely on.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkEnv, checkScript, cidrBounds, parseVerdict, rangesParam, verdictLine } from "../../components/verifyScripts";
import type { VerifyCheck } from "../../plan/verify";

/**
 * A fake curl: answers service requests round-robin over $FAKE_HOSTS (logging each host), serves
 * Envoy's /clusters stats from that log, reviews bodies round-robin over $FAKE_VERSIONS, istiod's
 * clusterz as $FAKE_BODY, and exits $FAKE_EXIT with code 000 when set.
 */
const FAKE_CURL = String.raw`#!/bin/sh
url=""; hdr=""; w=""
while [ $# -gt 0 ]; do
  case "$1" in
    -H) hdr="$hdr|$2"; shift 2 ;;
    -w) w="$2"; shift 2 ;;
    -o|--max-time|--cacert|-X|-d) shift 2 ;;
    http*) url="$1"; shift ;;
    *) shift ;;
  esac
done
if [ -n "$FAKE_EXIT" ]; then [ -n "$w" ] && printf 000; exit "$FAKE_EXIT"; fi
case "$url" in
  http://localhost:15000/clusters)
    for h in $FAKE_HOSTS; do
      n=$(grep -c "^$h\$" "$FAKE_DIR/log" 2>/dev/null || true)
      echo "outbound|9080||$FAKE_SVC.bookinfo.svc.cluster.local::$h::rq_total::$n"
      echo "outbound|9080||$FAKE_SVC.bookinfo.svc.cluster.local::$h::region::cn-hangzhou"
    done
    echo "outbound|9080||other.bookinfo.svc.cluster.local::10.9.9.9:9080::rq_total::77"
    exit 0 ;;
  *clusterz) printf '%s' "$FAKE_BODY"; exit 0 ;;
esac
n=$(cat "$FAKE_DIR/n" 2>/dev/null || echo 0); echo $((n+1)) > "$FAKE_DIR/n"
set -- $FAKE_HOSTS; i=$((n % $#)); shift $i; echo "$1" >> "$FAKE_DIR/log"
if [ -n "$w" ]; then printf '%s' "\${FAKE_CODE:-200}"; exit 0; fi
case "$hdr" in *"end-user: jason"*) set -- $FAKE_JASON ;; *) set -- $FAKE_VERSIONS ;; esac
i=$((n % $#)); shift $i
printf '{"id": "0","podname": "reviews-%s-5d8f6b9c7-x2x4q","clustername": "null","reviews": []}' "$1"
`.replace("\\${FAKE_CODE:-200}", "${FAKE_CODE:-200}");

function run(check: VerifyCheck, fake: Record<string, string>, extraEnv: Record<string, string> = {}): { status: number | null; stdout: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-sh-"));
    try {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "curl"), FAKE_CURL, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_DIR: dir, FAKE_EXIT: "", ...checkEnv(check), ...extraEnv, ...fake };
        const r = spawnSync("/bin/sh", ["-c", checkScript(check)], { env, encoding: "utf8", timeout: 30_000 });
        return { status: r.status, stdout: r.stdout };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const calls: VerifyCheck = {
    id: "calls-details-a", kind: "calls", cluster: "a", namespace: "bookinfo", sidecar: true, service: "details", requests: 20,
    allowed: ["b"], required: ["b"], expected: "20/20 HTTP 200 from b, each of b at least once",
};
const RANGES = rangesParam({ a: ["10.0.0.0/24"], b: ["10.1.0.0/24"] }, { c: "47.1.2.3" }, () => "n2");

describe("verification programs (sh)", () => {
    it("calls: PASS when every answer comes from an allowed cluster (by the sidecar's per-host counts)", () => {
        const r = run(calls, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details" }, { RANGES });
        assert.equal(r.stdout.trim().split("\n").pop(), verdictLine(true, "calls-details-a", "a", calls.expected, "20/20 HTTP 200 from b=20"));
        assert.equal(r.status, 0);
    });

    it("calls: FAIL naming the clusters that answered when the local cluster answers too", () => {
        const r = run(calls, { FAKE_HOSTS: "10.1.0.7:9080 10.0.0.9:9080 47.1.2.3:15443 192.168.0.1:9080", FAKE_SVC: "details" }, { RANGES });
        assert.deepEqual(parseVerdict(r.stdout), { pass: false, check: "calls-details-a", cluster: "a", expected: calls.expected, seen: "20/20 HTTP 200 from a=5 b=5 net:n2=5 unknown:192.168.0.1=5" });
        assert.equal(r.status, 1);
    });

    it("calls: FAIL when requests fail", () => {
        const r = run({ ...calls, requests: 3 }, { FAKE_HOSTS: "10.1.0.7:9080", FAKE_SVC: "details", FAKE_CODE: "503" }, { RANGES });
        assert.equal(parseVerdict(r.stdout)?.seen, "no HTTP 200 from http://details:9080/details/0 within 180s");
        assert.equal(r.status, 1);
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

    const discovery: VerifyCheck = { id: "discovery-p", kind: "discovery", cluster: "p", namespace: "istio-system", sidecar: false, entries: ["p=synced", "r=synced"], expected: "p=synced r=synced" };
    it("discovery: parses istiod's clusterz JSON (pkg/cluster/debug.go DebugInfo)", () => {
        const body = JSON.stringify([{ id: "p", secretName: "", syncStatus: "synced" }, { id: "r", secretName: "istio-remote-secret-r", syncStatus: "synced" }], null, 2);
        const ok = run(discovery, { FAKE_BODY: body, FAKE_HOSTS: "h" });
        assert.deepEqual([ok.status, parseVerdict(ok.stdout)?.seen], [0, "p=synced r=synced"]);
        const missing = JSON.stringify([{ id: "p", secretName: "", syncStatus: "synced" }, { id: "r", secretName: "s", syncStatus: "timeout" }], null, 2);
        const bad = run(discovery, { FAKE_BODY: missing, FAKE_HOSTS: "h" });
        assert.deepEqual([bad.status, parseVerdict(bad.stdout)?.seen], [1, "p=synced r=timeout"]);
    });

    const mtls: VerifyCheck = { id: "mtls-a", kind: "mtls", cluster: "a", namespace: "bookinfo", sidecar: false, service: "details", expected: "refused" };
    it("mtls: PASS only on a connection reset", () => {
        assert.deepEqual(run(mtls, { FAKE_EXIT: "56", FAKE_HOSTS: "h" }).status, 0);
        const accepted = run(mtls, { FAKE_HOSTS: "h" });
        assert.deepEqual([accepted.status, parseVerdict(accepted.stdout)?.seen], [1, "HTTP 200: plaintext accepted"]);
        const noEndpoint = run(mtls, { FAKE_EXIT: "7", FAKE_HOSTS: "h" });
        assert.deepEqual([noEndpoint.status, parseVerdict(noEndpoint.stdout)?.seen], [1, "inconclusive: curl exit 7 (7: no local endpoint, 28: timeout)"]);
    });

    it("ingress: counts the non-200 codes", () => {
        const ingress: VerifyCheck = { id: "ingress-a", kind: "ingress", cluster: "a", namespace: "bookinfo", sidecar: false, gateway: "a", requests: 5, expected: "5/5 HTTP 200 for /productpage" };
        const ok = run(ingress, { FAKE_HOSTS: "h" }, { ADDRESS: "47.1.2.3" });
        assert.deepEqual([ok.status, parseVerdict(ok.stdout)?.seen], [0, "5/5 HTTP 200"]);
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
