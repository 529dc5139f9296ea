/**
 * The shell programs of the verification Jobs (`MeshVerification`, `npm run
 * verify`): POSIX `sh` with busybox tools (`curl`, `awk`, `sed`, `sort`,
 * `tr`), which the pinned curl image (Istio's `samples/curl`, Alpine based)
 * provides. Each program reads its parameters from the environment, ends with
 * one verdict line on stdout and in `/dev/termination-log`:
 *
 *     ack-mesh-verify PASS|FAIL check=<id> cluster=<cluster> expected=[…] seen=[…]
 *
 * and exits 0 on PASS, 1 on FAIL. The pod's terminated-container message is
 * that line, which the Pulumi Kubernetes provider reports when it fails the
 * Job (pulumi-kubernetes v4 provider/pkg/await: the Job awaiter aggregates its
 * pods' errors, and checker/pod/check.go `containerTerminatedError` renders a
 * terminated container as `[<reason>] <message>`).
 * Pure.
 */
import type { VerifyCheck } from "./verify";
import { SERVICE_PATHS, VERIFY_BOOKINFO_PORT, networkResponder } from "./verify";

/** Prefix of every verdict line. */
export const VERDICT_PREFIX = "ack-mesh-verify";

/** Seconds a check waits for its first good answer (the mesh converging after an update), by the clock. */
export const WARMUP_SECONDS = 180;

/** Seconds a failover check keeps for restoring the replicas and waiting until they are ready again. */
export const RESTORE_SECONDS = 120;

/**
 * Limits of every request (curl `--connect-timeout`, `--max-time`, seconds):
 * a blocked port or a blackholed route costs 3 s per attempt, a hung
 * upstream 5 s, instead of curl's unlimited default (Istio's own upstream
 * connect timeout is 10 s, MeshConfig `connectTimeout`).
 */
export const CURL_LIMITS = "--connect-timeout 3 --max-time 5";

/**
 * Seconds the measurement of K requests may take: 60 s plus 0.25 s per
 * request. A healthy in-mesh request takes milliseconds; the busybox shell
 * spends a few more starting curl and date.
 */
function measureSeconds(requests: number): number {
    return 60 + Math.ceil(requests / 4);
}

/**
 * The wall-clock time budget of a check (seconds, from its program's start):
 * by then the program has printed its verdict, a FAIL with the partial
 * counts when the budget ran out. Discovery: the warm-up plus 30 s; mTLS:
 * 60 s; traffic checks: the warm-up plus the measurement of K requests;
 * failover: the warm-up, up to another warm-up of batches after the
 * scale-down, and {@link RESTORE_SECONDS}.
 */
export function checkBudgetSeconds(check: VerifyCheck): number {
    switch (check.kind) {
        case "discovery":
            return WARMUP_SECONDS + 30;
        case "mtls":
            return 60;
        case "calls":
        case "ingress":
        case "routing":
            return WARMUP_SECONDS + measureSeconds(check.requests);
        case "failover":
            return 2 * WARMUP_SECONDS + measureSeconds(check.requests) + RESTORE_SECONDS;
    }
}

/** The verdict line a Job prints; `npm run verify` and the tests parse it with {@link parseVerdict}. */
export function verdictLine(pass: boolean, check: string, cluster: string, expected: string, seen: string): string {
    return `${VERDICT_PREFIX} ${pass ? "PASS" : "FAIL"} check=${check} cluster=${cluster} expected=[${expected}] seen=[${seen}]`;
}

/** A parsed verdict line. */
export interface Verdict {
    /** True for PASS. */
    pass: boolean;
    /** Check id. */
    check: string;
    /** Cluster the Job ran in. */
    cluster: string;
    /** What the check expected (from the plan). */
    expected: string;
    /** What the Job saw. */
    seen: string;
}

/** Finds the last verdict line in a Job's output (logs or termination message); undefined if none. */
export function parseVerdict(text: string): Verdict | undefined {
    const re = new RegExp(`^${VERDICT_PREFIX} (PASS|FAIL) check=(\\S+) cluster=(\\S+) expected=\\[(.*)\\] seen=\\[(.*)\\]$`);
    const lines = text.split(/\r?\n/).map((l) => l.replace(/^.*?(?=ack-mesh-verify )/, ""));
    for (const line of lines.reverse()) {
        const m = re.exec(line.trim());
        if (m) return { pass: m[1] === "PASS", check: m[2], cluster: m[3], expected: m[4], seen: m[5] };
    }
    return undefined;
}

/** `10.1.0.0/16` → `[lo, hi]` as unsigned 32-bit numbers. */
export function cidrBounds(cidr: string): [number, number] {
    const [addr, bits = "32"] = cidr.split("/");
    const o = addr.split(".").map(Number);
    if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address or CIDR: ${JSON.stringify(cidr)}`);
    const n = Number(bits);
    const base = ((o[0] * 256 + o[1]) * 256 + o[2]) * 256 + o[3];
    const size = 2 ** (32 - n);
    const lo = base - (base % size);
    return [lo, lo + size - 1];
}

/**
 * The `RANGES` parameter of a traffic check: `<responder> lo hi` entries
 * joined by `;`: each cluster's pod ranges (responder: the cluster), and
 * each east-west gateway address (responder: `net:<network>` of its cluster,
 * plan/verify.ts `networkResponder`: endpoints in another network are reached
 * through it). An address that is not IPv4 is left out, and answers through
 * it show as `unknown:<ip>`.
 * @param networkOf the network of a cluster with an east-west gateway
 */
export function rangesParam(podRanges: Readonly<Record<string, readonly string[]>>, eastWest: Readonly<Record<string, string>>, networkOf: (cluster: string) => string): string {
    const out: string[] = [];
    for (const [c, ranges] of Object.entries(podRanges).sort()) for (const r of ranges) out.push(`${c} ${cidrBounds(r).join(" ")}`);
    for (const [c, a] of Object.entries(eastWest).sort()) if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) out.push(`${networkResponder(networkOf(c))} ${cidrBounds(a).join(" ")}`);
    return out.join(";");
}

// Shell text below is in String.raw templates: `${X}` is a TypeScript value, so
// the programs use `$X` (never `${X}`) for shell variables.

/**
 * Every program: the verdict, the clock (`START`, `spent [limit]`: the limit
 * defaults to `STOP`, the budget `BUDGET`; the warm-up is `WARMUP`) and HTTP
 * with {@link CURL_LIMITS}.
 */
const PRELUDE = String.raw`set -u
export LC_ALL=C
START=$(date +%s)
STOP=$BUDGET
W=$(mktemp -d)
# fd 3: the Job's stdout, also from a trap that runs inside a redirected command.
exec 3>&1
verdict() {
  line="${VERDICT_PREFIX} $1 check=$CHECK cluster=$CLUSTER expected=[$EXPECTED] seen=[$2]"
  echo "$line" >&3
  echo "$line" > "${"$"}{TERMINATION_LOG:-/dev/termination-log}"
  if [ "$1" = PASS ]; then exit 0; fi
  exit 1
}
spent() { lim=$STOP; [ $# -gt 0 ] && lim=$1; [ $(( $(date +%s) - START )) -ge $lim ]; }
cut_note() { echo "time budget of $STOP s spent after $1 of $REQUESTS requests: "; }
code_of() { curl -s -o /dev/null -w '%{http_code}' ${CURL_LIMITS} "$@"; }
warmup() {
  until [ "$(code_of "$@")" = 200 ]; do
    if spent $WARMUP; then verdict FAIL "no HTTP 200 from $* within $WARMUP s"; fi
    sleep 2
  done
}
`;

/** Envoy admin `/clusters` of the Job's own sidecar, and which cluster (by address range) each upstream host is. */
const TRAFFIC = String.raw`URL="http://$SERVICE:${VERIFY_BOOKINFO_PORT}$URL_PATH"
# ip:port count, for every upstream host of the service (count 0 included).
stats() {
  curl -s ${CURL_LIMITS} http://localhost:15000/clusters | awk -F'::' -v svc="|$SERVICE.$NAMESPACE.svc.cluster.local" \
    'index($1, "outbound|${VERIFY_BOOKINFO_PORT}|") == 1 && substr($1, length($1) - length(svc) + 1) == svc && $3 == "rq_total" { n[$2] += $4 } END { for (h in n) print h, n[h] }'
}
WHO='BEGIN { nr = split(ranges, R, ";") }
function who(h,   ip, o, v, i, r) {
  ip = h; sub(/:[0-9]+$/, "", ip); split(ip, o, "."); v = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
  for (i = 1; i <= nr; i++) { split(R[i], r, " "); if (v >= r[2] + 0 && v <= r[3] + 0) return r[1] }
  return "unknown:" ip
}'
# Which clusters the sidecar has endpoints in (sorted, space separated).
known() { stats | awk -v ranges="$RANGES" "$WHO"' { print who($1) }' | sort -u | tr '\n' ' ' | sed 's/ $//'; }
# Which cluster answered: the delta of each upstream host's request count.
responders() {
  awk -v ranges="$RANGES" "$WHO"'
    FILENAME == ARGV[1] { before[$1] = $2; next }
    { d = $2 - before[$1]; if (d > 0) c[who($1)] += d }
    END { for (w in c) print w "=" c[w] }' $W/before $W/after | sort | tr '\n' ' ' | sed 's/ $//'
}
# Until the sidecar has endpoints in every cluster of KNOWN (within the warm-up).
wait_known() {
  while :; do
    have=" $(known) "; missing=""
    for k in $KNOWN; do case "$have" in *" $k "*) ;; *) missing="$missing $k" ;; esac; done
    [ -z "$missing" ] && return 0
    if spent $WARMUP; then verdict FAIL "the caller's sidecar has no endpoint in$missing after $WARMUP s (endpoints in $(known))"; fi
    sleep 2
  done
}
# One batch of REQUESTS calls (fewer when the budget runs out); sets seen and verdict_ok:
# all 200, every answer counted by the sidecar, answers within ALLOWED, REQUIRED all seen.
batch() {
  stats > $W/before
  ok=0; n=0; note=""
  while [ $n -lt $REQUESTS ]; do
    if spent; then note=$(cut_note $n); break; fi
    if [ "$(code_of "$URL")" = 200 ]; then ok=$((ok+1)); fi
    n=$((n+1))
  done
  stats > $W/after
  from=$(responders)
  counted=$(echo "$from" | tr ' ' '\n' | awk -F= '{ s += $2 } END { print s + 0 }')
  verdict_ok=yes
  if [ -n "$from" ]; then seen="$note$ok/$REQUESTS HTTP 200 from $from"; else seen="$note$ok/$REQUESTS HTTP 200 from nobody"; fi
  if [ -n "$note" ] || [ $ok -ne $REQUESTS ]; then verdict_ok=no; fi
  # Every answer must be attributed (retries may add more): else an empty ALLOWED/REQUIRED test proves nothing.
  if [ $counted -lt $ok ]; then verdict_ok=no; seen="$seen (the sidecar counted $counted answers)"; fi
  names=$(echo "$from" | tr ' ' '\n' | cut -d= -f1 | tr '\n' ' ')
  for w in $names; do case " $ALLOWED " in *" $w "*) ;; *) verdict_ok=no ;; esac; done
  for m in $REQUIRED; do case " $names " in *" $m "*) ;; *) verdict_ok=no ;; esac; done
}
`;

/** istiod's `/debug/clusterz`; 401/403/404 are final (wrong token, wrong namespace, debug endpoint off). */
const DISCOVERY = String.raw`TOKEN=$(cat /var/run/secrets/ack-mesh/istio-token)
seen="no answer"
while :; do
  code=$(curl -sS -o $W/body -w '%{http_code}' ${CURL_LIMITS} -H "Authorization: Bearer $TOKEN" "http://istiod.$NAMESPACE.svc:15014/debug/clusterz" 2>$W/err); rc=$?
  body=$(cat $W/body 2>/dev/null || true)
  if [ $rc -ne 0 ]; then
    seen=$(echo "istiod unreachable: curl exit $rc $(tr -d '\n' < $W/err | cut -c1-200)" | sed 's/ *$//')
  elif [ "$code" != 200 ]; then
    seen="HTTP $code from istiod: $(printf '%s' "$body" | tr -d '\n' | cut -c1-200)"
    case "$code" in 401|403|404) verdict FAIL "$seen" ;; esac
  else
    seen=$(printf '%s' "$body" | tr -d ' \t\r\n' | tr '{' '\n' | sed -n 's/.*"id":"\([^"]*\)".*"syncStatus":"\([^"]*\)".*/\1=\2/p' | sort | tr '\n' ' ' | sed 's/ $//')
    [ -n "$seen" ] || seen="unexpected answer: $(printf '%s' "$body" | tr -d '\n' | cut -c1-200)"
  fi
  if [ "$seen" = "$EXPECTED" ]; then verdict PASS "$seen"; fi
  if spent; then verdict FAIL "$seen"; fi
  sleep 5
done
`;

const CALLS = String.raw`warmup "$URL"
wait_known
batch
seen="$seen; endpoints known in $(known)"
if [ $verdict_ok = yes ]; then verdict PASS "$seen"; fi
verdict FAIL "$seen"
`;

const INGRESS = String.raw`URL="http://$ADDRESS/productpage"
warmup "$URL"
ok=0; n=0; codes=""; note=""
while [ $n -lt $REQUESTS ]; do
  if spent; then note=$(cut_note $n); break; fi
  c=$(code_of "$URL")
  if [ "$c" = 200 ]; then ok=$((ok+1)); else codes="$codes $c"; fi
  n=$((n+1))
done
seen="$note$ok/$REQUESTS HTTP 200"
if [ -n "$codes" ]; then seen="$seen, others:$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{printf " %sx%s", $2, $1}')"; fi
if [ -z "$note" ] && [ $ok -eq $REQUESTS ]; then verdict PASS "$seen"; fi
verdict FAIL "$seen"
`;

const ROUTING = String.raw`URL="http://reviews:${VERIFY_BOOKINFO_PORT}/reviews/0"
warmup "$URL"
v1=0; v2=0; v3=0; other=0; n=0; note=""
while [ $n -lt $REQUESTS ]; do
  if spent; then note=$(cut_note $n); break; fi
  if [ -n "$END_USER" ]; then body=$(curl -s ${CURL_LIMITS} -H "end-user: $END_USER" "$URL"); else body=$(curl -s ${CURL_LIMITS} "$URL"); fi
  v=$(printf '%s' "$body" | sed -n 's/.*"podname": *"reviews-\(v[0-9][0-9]*\)-.*/\1/p')
  case "$v" in v1) v1=$((v1+1)) ;; v2) v2=$((v2+1)) ;; v3) v3=$((v3+1)) ;; *) other=$((other+1)) ;; esac
  n=$((n+1))
done
seen="$note""v1=$v1 v2=$v2 v3=$v3 failed=$other"
got=""
[ $v1 -gt 0 ] && got="$got v1"; [ $v2 -gt 0 ] && got="$got v2"; [ $v3 -gt 0 ] && got="$got v3"
if [ -z "$note" ] && [ $other -eq 0 ] && [ "$got" = " $VERSIONS" ] && [ $v2 -ge $V2_MIN ] && [ $v2 -le $V2_MAX ]; then verdict PASS "$seen"; fi
verdict FAIL "$seen"
`;

const MTLS = String.raw`URL="http://$SERVICE:${VERIFY_BOOKINFO_PORT}$URL_PATH"
code=$(curl -s -o /dev/null -w '%{http_code}' ${CURL_LIMITS} "$URL"); rc=$?
case "$rc" in
  52|56) verdict PASS "refused (curl exit $rc)" ;;
  0) verdict FAIL "HTTP $code: plaintext accepted" ;;
  *) verdict FAIL "inconclusive: curl exit $rc (7: no local endpoint, 28: timeout)" ;;
esac
`;

/**
 * Scales WORKLOADS to 0 and measures until the budget less
 * {@link RESTORE_SECONDS}; then restores the replicas and waits until they
 * are ready (the next failover Job may scale the other region). SIGTERM
 * (the Job's deadline, a deletion) restores and ends with a FAIL verdict
 * within the pod's grace period; `sh` as PID 1 receives TERM only because
 * it traps it.
 */
const FAILOVER = String.raw`API=https://kubernetes.default.svc
SA=/var/run/secrets/kubernetes.io/serviceaccount
kube() { curl -sS ${CURL_LIMITS} --cacert $SA/ca.crt -H "Authorization: Bearer $(cat $SA/token)" "$@"; }
deploy_url() { echo "$API/apis/apps/v1/namespaces/$NAMESPACE/deployments/$1"; }
set_replicas() { kube -X PATCH -H 'Content-Type: application/merge-patch+json' -d "{\"spec\":{\"replicas\":$2}}" "$(deploy_url $1)/scale" > /dev/null; }
STOP=$((BUDGET - ${RESTORE_SECONDS}))
warmup "$URL"
RESTORE=""
for d in $WORKLOADS; do
  r=$(kube "$(deploy_url $d)/scale" | tr -d ' \t\r\n' | sed -n 's/.*"spec":{"replicas":\([0-9]*\)}.*/\1/p')
  if [ -z "$r" ]; then verdict FAIL "cannot read the replicas of deployment $d"; fi
  RESTORE="$RESTORE $d=$r"
done
restored=""
restore() {
  [ -n "$restored" ] && return 0
  restored=yes
  for p in $RESTORE; do set_replicas "$(echo $p | cut -d= -f1)" "$(echo $p | cut -d= -f2)"; done
}
# Sets notready to the first Deployment with fewer ready replicas than restored.
ready() {
  for p in $RESTORE; do
    d=$(echo $p | cut -d= -f1); want=$(echo $p | cut -d= -f2)
    have=$(kube "$(deploy_url $d)" | tr -d ' \t\r\n' | sed -n 's/.*"readyReplicas":\([0-9]*\).*/\1/p')
    [ -n "$have" ] || have=0
    if [ $have -lt $want ]; then notready="$d $have/$want ready"; return 1; fi
  done
}
seen="not measured"
trap 'restore; verdict FAIL "terminated; replicas restored ($(echo $RESTORE)); last seen: $seen"' TERM INT
trap restore EXIT
for d in $WORKLOADS; do set_replicas $d 0; done
result=FAIL
while :; do
  batch
  if [ $verdict_ok = yes ]; then result=PASS; break; fi
  sleep 10
  if spent; then break; fi
done
restore
until ready; do
  if spent $BUDGET; then result=FAIL; seen="$seen; after the restore not ready: $notready"; break; fi
  sleep 5
done
verdict $result "$seen"
`;

/** The `sh -c` program of a check. */
export function checkScript(check: VerifyCheck): string {
    switch (check.kind) {
        case "discovery":
            return PRELUDE + DISCOVERY;
        case "calls":
            return PRELUDE + TRAFFIC + CALLS;
        case "ingress":
            return PRELUDE + INGRESS;
        case "routing":
            return PRELUDE + ROUTING;
        case "mtls":
            return PRELUDE + MTLS;
        case "failover":
            return PRELUDE + TRAFFIC + FAILOVER;
    }
}

/** Environment of a check's container (`ADDRESS` and `RANGES` are filled in by the caller). */
export function checkEnv(check: VerifyCheck): Record<string, string> {
    const base = { CHECK: check.id, CLUSTER: check.cluster, EXPECTED: check.expected, NAMESPACE: check.namespace, WARMUP: String(WARMUP_SECONDS), BUDGET: String(checkBudgetSeconds(check)) };
    switch (check.kind) {
        case "discovery":
        case "mtls":
            return { ...base, ...(check.kind === "mtls" ? { SERVICE: check.service, URL_PATH: SERVICE_PATHS[check.service] } : {}) };
        case "ingress":
            return { ...base, REQUESTS: String(check.requests) };
        case "calls":
        case "failover":
            return {
                ...base,
                SERVICE: check.service,
                URL_PATH: SERVICE_PATHS[check.service],
                REQUESTS: String(check.requests),
                ALLOWED: check.allowed.join(" "),
                REQUIRED: check.required.join(" "),
                ...(check.kind === "calls" ? { KNOWN: check.known.join(" ") } : { WORKLOADS: check.workloads.join(" ") }),
            };
        case "routing":
            return {
                ...base,
                END_USER: check.user,
                VERSIONS: check.versions.join(" "),
                V2_MIN: String(check.v2Count?.min ?? 0),
                V2_MAX: String(check.v2Count?.max ?? check.requests),
                REQUESTS: String(check.requests),
            };
    }
}
