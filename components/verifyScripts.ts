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
import type { VerifyCheck } from "../plan/verify";
import { SERVICE_PATHS, VERIFY_BOOKINFO_PORT, networkResponder } from "../plan/verify";

/** Prefix of every verdict line. */
export const VERDICT_PREFIX = "ack-mesh-verify";

/** Seconds a check waits for its first good answer (the mesh converging after an update). */
export const WARMUP_SECONDS = 180;

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

const PRELUDE = String.raw`set -u
export LC_ALL=C
W=$(mktemp -d)
verdict() {
  line="${VERDICT_PREFIX} $1 check=$CHECK cluster=$CLUSTER expected=[$EXPECTED] seen=[$2]"
  echo "$line"
  echo "$line" > /dev/termination-log
  if [ "$1" = PASS ]; then exit 0; fi
  exit 1
}
code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
warmup() {
  i=0
  until [ "$(code_of "$@")" = 200 ]; do
    i=$((i+2))
    if [ $i -ge ${WARMUP_SECONDS} ]; then verdict FAIL "no HTTP 200 from $* within ${WARMUP_SECONDS}s"; fi
    sleep 2
  done
}
`;

/** Envoy admin stats of the Job's own sidecar → `ip:port count` of the service's upstream hosts. */
const TRAFFIC = String.raw`URL="http://$SERVICE:${VERIFY_BOOKINFO_PORT}$URL_PATH"
stats() {
  curl -s --max-time 10 http://localhost:15000/clusters | awk -F'::' -v svc="|$SERVICE.$NAMESPACE.svc.cluster.local" \
    'index($1, "outbound|${VERIFY_BOOKINFO_PORT}|") == 1 && substr($1, length($1) - length(svc) + 1) == svc && $3 == "rq_total" { n[$2] += $4 } END { for (h in n) print h, n[h] }'
}
# Which cluster answered: the delta of each upstream host's request count, mapped by address range.
responders() {
  awk -v ranges="$RANGES" 'BEGIN { nr = split(ranges, R, ";") }
    FILENAME == ARGV[1] { before[$1] = $2; next }
    { d = $2 - before[$1]; if (d <= 0) next
      ip = $1; sub(/:[0-9]+$/, "", ip); split(ip, o, "."); v = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]; who = "unknown:" ip
      for (i = 1; i <= nr; i++) { split(R[i], r, " "); if (v >= r[2] + 0 && v <= r[3] + 0) { who = r[1]; break } }
      c[who] += d }
    END { for (w in c) print w "=" c[w] }' $W/before $W/after | sort | tr '\n' ' ' | sed 's/ $//'
}
# One batch of REQUESTS calls; sets ok, seen and verdict_ok (answers within ALLOWED, REQUIRED all seen).
batch() {
  stats > $W/before
  ok=0; n=0
  while [ $n -lt $REQUESTS ]; do
    if [ "$(code_of "$URL")" = 200 ]; then ok=$((ok+1)); fi
    n=$((n+1))
  done
  stats > $W/after
  from=$(responders)
  seen="$ok/$REQUESTS HTTP 200 from $from"
  verdict_ok=yes
  if [ $ok -ne $REQUESTS ]; then verdict_ok=no; fi
  names=$(echo "$from" | tr ' ' '\n' | cut -d= -f1 | tr '\n' ' ')
  for w in $names; do case " $ALLOWED " in *" $w "*) ;; *) verdict_ok=no ;; esac; done
  for m in $REQUIRED; do case " $names " in *" $m "*) ;; *) verdict_ok=no ;; esac; done
}
`;

const DISCOVERY = String.raw`TOKEN=$(cat /var/run/secrets/ack-mesh/istio-token)
i=0; seen="no answer"
while [ $i -lt ${WARMUP_SECONDS} ]; do
  if body=$(curl -sS --max-time 10 -H "Authorization: Bearer $TOKEN" "http://istiod.$NAMESPACE.svc:15014/debug/clusterz" 2>&1); then
    seen=$(printf '%s' "$body" | tr -d ' \t\r\n' | tr '{' '\n' | sed -n 's/.*"id":"\([^"]*\)".*"syncStatus":"\([^"]*\)".*/\1=\2/p' | sort | tr '\n' ' ' | sed 's/ $//')
    [ -n "$seen" ] || seen="unexpected answer: $(printf '%s' "$body" | tr -d '\n' | cut -c1-200)"
  else
    seen="istiod unreachable: $(printf '%s' "$body" | tr -d '\n' | cut -c1-200)"
  fi
  if [ "$seen" = "$EXPECTED" ]; then verdict PASS "$seen"; fi
  i=$((i+5)); sleep 5
done
verdict FAIL "$seen"
`;

const CALLS = String.raw`warmup "$URL"
batch
if [ $verdict_ok = yes ]; then verdict PASS "$seen"; fi
verdict FAIL "$seen"
`;

const INGRESS = String.raw`URL="http://$ADDRESS/productpage"
warmup "$URL"
ok=0; n=0; codes=""
while [ $n -lt $REQUESTS ]; do
  c=$(code_of "$URL")
  if [ "$c" = 200 ]; then ok=$((ok+1)); else codes="$codes $c"; fi
  n=$((n+1))
done
seen="$ok/$REQUESTS HTTP 200"
if [ -n "$codes" ]; then seen="$seen, others:$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{printf " %sx%s", $2, $1}')"; fi
if [ $ok -eq $REQUESTS ]; then verdict PASS "$seen"; fi
verdict FAIL "$seen"
`;

const ROUTING = String.raw`URL="http://reviews:${VERIFY_BOOKINFO_PORT}/reviews/0"
warmup "$URL"
v1=0; v2=0; v3=0; other=0; n=0
while [ $n -lt $REQUESTS ]; do
  if [ -n "$END_USER" ]; then body=$(curl -s --max-time 10 -H "end-user: $END_USER" "$URL"); else body=$(curl -s --max-time 10 "$URL"); fi
  v=$(printf '%s' "$body" | sed -n 's/.*"podname": *"reviews-\(v[0-9][0-9]*\)-.*/\1/p')
  case "$v" in v1) v1=$((v1+1)) ;; v2) v2=$((v2+1)) ;; v3) v3=$((v3+1)) ;; *) other=$((other+1)) ;; esac
  n=$((n+1))
done
seen="v1=$v1 v2=$v2 v3=$v3 failed=$other"
got=""
[ $v1 -gt 0 ] && got="$got v1"; [ $v2 -gt 0 ] && got="$got v2"; [ $v3 -gt 0 ] && got="$got v3"
if [ $other -eq 0 ] && [ "$got" = " $VERSIONS" ] && [ $v2 -ge $V2_MIN ] && [ $v2 -le $V2_MAX ]; then verdict PASS "$seen"; fi
verdict FAIL "$seen"
`;

const MTLS = String.raw`URL="http://$SERVICE:${VERIFY_BOOKINFO_PORT}$URL_PATH"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL"); rc=$?
case "$rc" in
  52|56) verdict PASS "refused (curl exit $rc)" ;;
  0) verdict FAIL "HTTP $code: plaintext accepted" ;;
  *) verdict FAIL "inconclusive: curl exit $rc (7: no local endpoint, 28: timeout)" ;;
esac
`;

const FAILOVER = String.raw`API=https://kubernetes.default.svc
SA=/var/run/secrets/kubernetes.io/serviceaccount
kube() { curl -sS --max-time 10 --cacert $SA/ca.crt -H "Authorization: Bearer $(cat $SA/token)" "$@"; }
scale_url() { echo "$API/apis/apps/v1/namespaces/$NAMESPACE/deployments/$1/scale"; }
set_replicas() { kube -X PATCH -H 'Content-Type: application/merge-patch+json' -d "{\"spec\":{\"replicas\":$2}}" "$(scale_url $1)" > /dev/null; }
warmup "$URL"
RESTORE=""
for d in $WORKLOADS; do
  r=$(kube "$(scale_url $d)" | tr -d ' \t\r\n' | sed -n 's/.*"spec":{"replicas":\([0-9]*\)}.*/\1/p')
  if [ -z "$r" ]; then verdict FAIL "cannot read the replicas of deployment $d"; fi
  RESTORE="$RESTORE $d=$r"
done
restore() { for p in $RESTORE; do set_replicas "$(echo $p | cut -d= -f1)" "$(echo $p | cut -d= -f2)"; done; }
trap restore EXIT
for d in $WORKLOADS; do set_replicas $d 0; done
t=0; seen="not measured"
while [ $t -lt ${WARMUP_SECONDS} ]; do
  batch
  if [ $verdict_ok = yes ]; then verdict PASS "$seen"; fi
  t=$((t+10)); sleep 10
done
verdict FAIL "$seen"
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
    const base = { CHECK: check.id, CLUSTER: check.cluster, EXPECTED: check.expected, NAMESPACE: check.namespace };
    switch (check.kind) {
        case "discovery":
        case "ingress":
            return { ...base, ...(check.kind === "ingress" ? { REQUESTS: String(check.requests) } : {}) };
        case "calls":
        case "failover":
            return {
                ...base,
                SERVICE: check.service,
                URL_PATH: SERVICE_PATHS[check.service],
                REQUESTS: String(check.requests),
                ALLOWED: check.allowed.join(" "),
                REQUIRED: check.required.join(" "),
                ...(check.kind === "failover" ? { WORKLOADS: check.workloads.join(" ") } : {}),
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
        case "mtls":
            return { ...base, SERVICE: check.service, URL_PATH: SERVICE_PATHS[check.service] };
    }
}
