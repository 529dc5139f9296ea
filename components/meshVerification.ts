/**
 * `MeshVerification`: proves after `pulumi up` that the mesh works across
 * clusters. One Kubernetes Job per check (plan/verify.ts `planVerification`)
 * in the cluster the check needs; each Job runs a shell program
 * (plan/verifyScripts.ts) in Istio's curl sample image and ends with
 * one verdict line.
 *
 * - **Waiting.** `@pulumi/kubernetes` 4.x awaits a Job until its `Complete`
 *   condition and fails the resource as soon as it has `Failed`
 *   (node_modules/@pulumi/kubernetes/batch/v1/job.d.ts; default 10 minutes,
 *   here `customTimeouts` a little above the Job's own deadline). No
 *   `pulumi.com/skipAwait`. A failed check therefore fails the update, and the
 *   provider's error carries the pod's terminated-container message: the
 *   verdict line, which names the check, the cluster, what was expected and
 *   what was seen (`terminationMessagePolicy: FallbackToLogsOnError`: the last
 *   log line if the file could not be written).
 * - **No retries by Kubernetes.** `backoffLimit: 0`: each program waits for
 *   the mesh to converge itself (up to `WARMUP_SECONDS`) and a second
 *   pod would only repeat the verdict.
 * - **Time.** Each program keeps a wall-clock budget that grows with K
 *   (`checkBudgetSeconds`; every request limited by `CURL_LIMITS`) and
 *   prints a FAIL verdict with its partial counts when it runs out, so a
 *   blocked port ends with expected and seen, not a killed pod.
 *   `activeDeadlineSeconds` ({@link jobDeadlineSeconds}) is that budget plus
 *   the pod's start.
 * - **Sidecars that exit.** Jobs that need a sidecar (traffic checks) ask for
 *   a native sidecar (`sidecar.istio.io/nativeSidecar: "true"`, istio@1.30.3
 *   pkg/kube/inject/inject.go): Kubernetes stops it when the check's
 *   container exits, so the Job completes; no `pilot-agent request POST
 *   quitquitquit` is needed. Jobs that must stay outside the mesh (discovery,
 *   ingress, mTLS) get `sidecar.istio.io/inject: "false"`.
 * - **Discovery** reads `/debug/clusterz` on istiod's Service port 15014
 *   (`http-monitoring`; the debug mux is installed on the monitoring mux,
 *   istio@1.30.3 pilot/pkg/bootstrap/server.go). Off localhost those handlers
 *   require a Kubernetes JWT with audience `istio-ca`
 *   (pilot/pkg/xds/debug.go `allowAuthenticatedOrLocalhost`, pkg/security
 *   `TOKEN_AUDIENCES`), and with `ENABLE_DEBUG_ENDPOINT_AUTH` (default true,
 *   pilot/pkg/features/pilot.go) only identities of the system namespace may
 *   read `clusterz` (others get 403: pilot/pkg/xds/debuggen.go allows them
 *   only config_dump/ndsz/edsz). So that Job runs in `istio-system` as its own
 *   ServiceAccount with a projected `istio-ca` token. `ENABLE_DEBUG_ON_HTTP=false`
 *   removes the endpoint: the check then fails with istiod's 404.
 * - **Re-running.** A Job's name carries a hash of its check (expectation,
 *   program, image) and of `revision`: a changed mesh makes new names, so the
 *   checks run again (`deleteBeforeReplace`, names are fixed); an unchanged
 *   one changes nothing. A check that failed is run again by the next
 *   `pulumi up` (`pulumi.com/replaceUnready: "true"`: the provider replaces a
 *   Job that did not become ready instead of waiting on it again). No
 *   `ttlSecondsAfterFinished`: a Job the cluster deleted would be recreated
 *   (and re-run) by the next `pulumi up --refresh`.
 * - **Failover** checks (opt-in) scale Deployments of one cluster to zero,
 *   restore them and wait until they are ready again (also on SIGTERM, within
 *   {@link FAILOVER_GRACE_SECONDS}); they run one after another, after every
 *   other check.
 */
import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigProblem } from "../config/errors";
import type { FailoverCheck, VerificationPlan, VerifyCheck } from "../plan/verify";
import { VERIFY_CLIENT_IMAGE } from "../plan/verify";
import { checkBudgetSeconds, checkEnv, checkScript, rangesParam } from "../plan/verifyScripts";
import type { ClusterHandle } from "./types";

/** Type token of {@link MeshVerification}. Public contract: renaming it needs an alias. */
export const MESH_VERIFICATION_TYPE = "ack-mesh:verify:MeshVerification";

/** The default client image (plan/verify.ts, where `npm run plan -- --images` lists it for mirroring). */
export { VERIFY_CLIENT_IMAGE };

/** ServiceAccount of the discovery Jobs, in `istio-system`. */
export const DISCOVERY_SERVICE_ACCOUNT = "ack-mesh-verify";
/** ServiceAccount of the failover Jobs, in the Bookinfo namespace (may scale the checked Deployments). */
export const FAILOVER_SERVICE_ACCOUNT = "ack-mesh-verify-failover";

/** Seconds a Job's pod may take to start (scheduling, pulling the image, the sidecar) before its program's clock starts. */
export const JOB_START_SECONDS = 120;

/** Seconds a failover pod gets after SIGTERM to restore the replicas (its TERM trap; at most three 5 s PATCHes). */
export const FAILOVER_GRACE_SECONDS = 30;

/**
 * The Job's `activeDeadlineSeconds`: the program's own time budget
 * (`checkBudgetSeconds`, which grows with K), by which it prints a verdict,
 * plus {@link JOB_START_SECONDS}. Only a pod that starts late or hangs
 * outside the program reaches it.
 */
export function jobDeadlineSeconds(check: VerifyCheck): number {
    return checkBudgetSeconds(check) + JOB_START_SECONDS;
}

/** The `customTimeouts` of a check's Job: two minutes more than its deadline, in whole minutes. */
export function jobTimeout(check: VerifyCheck): string {
    return `${Math.ceil(jobDeadlineSeconds(check) / 60) + 2}m`;
}

/** Arguments of {@link MeshVerification}. */
export interface MeshVerificationArgs {
    /** The checks and their expectations (`planVerification`). Plain: it decides which Jobs exist. */
    plan: VerificationPlan;
    /** A handle for every cluster a check runs in, by cluster name; each Job uses its cluster's provider. */
    clusters: Record<string, ClusterHandle>;
    /** Pod address ranges per cluster (the network plan's `podRanges`): which cluster answered a request. */
    podRanges: Readonly<Record<string, readonly string[]>>;
    /** Ingress gateway address per cluster; required for every `ingress` check. */
    ingressAddresses?: Record<string, pulumi.Input<string>>;
    /** East-west gateway address per cluster: answers from another network arrive through it. @default none (one network) */
    eastWestAddresses?: Record<string, pulumi.Input<string>>;
    /**
     * What the checks wait for: the mesh and Bookinfo (components may be
     * passed: a dependency on a component waits for all of its children).
     * @default none
     */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * Client image, pinned by digest (`<repo>@sha256:<digest>`). Changing it re-runs every check.
     * @default {@link VERIFY_CLIENT_IMAGE}
     */
    image?: string;
    /**
     * Any string that changes when the mesh does (the program passes a digest
     * of the mesh and Bookinfo config): a new value re-runs every check.
     * @default ""
     */
    revision?: string;
}

/** Metadata of a verification Job (plain: the name decides replacement). */
export interface VerificationJobMetadata {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
}

/** `<check id, shortened>-<hash>`: a DNS-1123 name of at most 63 characters. */
export function jobName(check: VerifyCheck, image: string, revision: string): string {
    const hash = createHash("sha256").update(JSON.stringify({ check, script: checkScript(check), image, revision })).digest("hex").slice(0, 8);
    return `${check.id.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

/**
 * What the traffic checks (calls, failover) need to tell responders apart:
 * pod ranges of every mesh cluster, and an east-west gateway address in every
 * network they attribute answers to as `net:<network>`. Pure.
 * @param eastWestClusters the clusters with an east-west gateway address
 */
export function responderAddressProblems(plan: VerificationPlan, podRanges: Readonly<Record<string, readonly string[]>>, eastWestClusters: readonly string[]): ConfigProblem[] {
    const traffic = plan.checks.filter((c) => c.kind === "calls" || c.kind === "failover");
    if (!traffic.length) return [];
    const problems: ConfigProblem[] = [];
    const withGateway = new Set(eastWestClusters.map((c) => plan.networks[c]));
    const reported = new Set<string>();
    for (const c of traffic) {
        for (const r of [...c.allowed, ...c.required, ...(c.kind === "calls" ? c.known : [])]) {
            const network = r.startsWith("net:") ? r.slice(4) : undefined;
            if (network === undefined || withGateway.has(network) || reported.has(network)) continue;
            reported.add(network);
            problems.push({
                path: "eastWestAddresses",
                message: `has no address in network ${network}: check ${c.id} attributes answers from there to its east-west gateways`,
                fix: "pass the east-west gateway addresses (IstioMesh.eastWestAddresses)",
            });
        }
    }
    for (const cluster of Object.keys(plan.networks).sort()) {
        if (!podRanges[cluster]?.length) problems.push({ path: `podRanges.${cluster}`, message: "is missing: the traffic checks tell clusters apart by pod address", fix: "pass the network plan's podRanges" });
    }
    return problems;
}

/** Problems with the arguments, all at once. Pure. */
export function meshVerificationProblems(args: MeshVerificationArgs): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const image = args.image ?? VERIFY_CLIENT_IMAGE;
    if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
        problems.push({ path: "image", value: image, message: "is not pinned by digest", fix: "use <repository>:<tag>@sha256:<digest>" });
    }
    const ids = new Set<string>();
    for (const c of args.plan.checks) {
        if (ids.has(c.id)) problems.push({ path: `plan.checks`, value: c.id, message: "has two checks with one id", fix: "build the plan with planVerification" });
        ids.add(c.id);
        if (!args.clusters[c.cluster]) problems.push({ path: `clusters.${c.cluster}`, message: `is missing: check ${c.id} runs there`, fix: "pass the cluster's handle" });
        if (c.kind === "ingress" && args.ingressAddresses?.[c.gateway] === undefined) {
            problems.push({ path: `ingressAddresses.${c.gateway}`, message: `is missing: check ${c.id} calls that gateway`, fix: "pass the ingress gateway's address (IstioMesh.ingressAddresses)" });
        }
    }
    problems.push(...responderAddressProblems(args.plan, args.podRanges, Object.keys(args.eastWestAddresses ?? {})));
    return problems;
}

/**
 * The Job of a check, resolved (what `npm run verify` applies; the component
 * builds the same object with its addresses as outputs). Pure.
 * @param address the ingress gateway address (ingress checks)
 * @param ranges the `RANGES` parameter (traffic checks, {@link rangesParam})
 */
export function verificationJob(check: VerifyCheck, image: string, revision: string, address = "", ranges = ""): { metadata: VerificationJobMetadata; spec: k8s.types.input.batch.v1.JobSpec } {
    const env = { ...checkEnv(check), ...(check.kind === "ingress" ? { ADDRESS: address } : {}), ...(check.kind === "calls" || check.kind === "failover" ? { RANGES: ranges } : {}) };
    const labels = { "app.kubernetes.io/name": "ack-mesh-verify", "app.kubernetes.io/component": check.kind };
    const discovery = check.kind === "discovery";
    const failover = check.kind === "failover";
    return {
        metadata: { name: jobName(check, image, revision), namespace: check.namespace, labels, annotations: { "ack-mesh.io/expected": check.expected, "pulumi.com/replaceUnready": "true" } },
        spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: jobDeadlineSeconds(check),
            template: {
                metadata: {
                    labels: { ...labels, "sidecar.istio.io/inject": check.sidecar ? "true" : "false" },
                    ...(check.sidecar ? { annotations: { "sidecar.istio.io/nativeSidecar": "true" } } : {}),
                },
                spec: {
                    restartPolicy: "Never",
                    ...(discovery ? { serviceAccountName: DISCOVERY_SERVICE_ACCOUNT } : failover ? { serviceAccountName: FAILOVER_SERVICE_ACCOUNT } : {}),
                    // Only the failover program talks to the API server; the discovery token is projected below.
                    automountServiceAccountToken: failover,
                    // Failover: time for its TERM trap to restore the replicas; the others have nothing to clean up.
                    terminationGracePeriodSeconds: failover ? FAILOVER_GRACE_SECONDS : 0,
                    containers: [
                        {
                            name: "check",
                            image,
                            command: ["/bin/sh", "-c", checkScript(check)],
                            env: Object.entries(env).map(([name, value]) => ({ name, value })),
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true, runAsUser: 100, readOnlyRootFilesystem: true },
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(discovery ? [{ name: "istio-token", mountPath: "/var/run/secrets/ack-mesh", readOnly: true }] : [])],
                        },
                    ],
                    volumes: [
                        { name: "tmp", emptyDir: {} },
                        ...(discovery ? [{ name: "istio-token", projected: { sources: [{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 3600, path: "istio-token" } }] } }] : []),
                    ],
                },
            },
        },
    };
}

/** A ServiceAccount, Role or RoleBinding a check's Job runs as. Plain. */
export interface VerificationAccount {
    /** Cluster it is created in. */
    cluster: string;
    /** Child role: `sa` (discovery), `failover-sa`, `failover-role`, `failover-rb`. */
    role: string;
    /** Kubernetes kind. */
    kind: "ServiceAccount" | "Role" | "RoleBinding";
    /** Name (fixed: one verification per mesh), namespace and labels. */
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    /** Role rules (Role only). */
    rules?: { apiGroups: string[]; resources: string[]; resourceNames: string[]; verbs: string[] }[];
    /** The Role bound (RoleBinding only). */
    roleRef?: { apiGroup: string; kind: string; name: string };
    /** The ServiceAccount bound (RoleBinding only). */
    subjects?: { kind: string; name: string; namespace: string }[];
}

/**
 * The accounts the Jobs of a plan run as, per cluster, in creation order:
 * the discovery ServiceAccount in istio-system of each primary checked; for
 * failover checks a ServiceAccount with a Role that may only read and patch
 * the scale of the Deployments it scales, and read them (readiness after the
 * restore). Pure.
 */
export function verificationAccounts(plan: VerificationPlan): VerificationAccount[] {
    const labels = { "app.kubernetes.io/name": "ack-mesh-verify" };
    const out: VerificationAccount[] = [];
    for (const c of plan.checks) {
        if (c.kind === "discovery") out.push({ cluster: c.cluster, role: "sa", kind: "ServiceAccount", metadata: { name: DISCOVERY_SERVICE_ACCOUNT, namespace: c.namespace, labels } });
    }
    const failovers = plan.checks.filter((c): c is FailoverCheck => c.kind === "failover");
    for (const cluster of [...new Set(failovers.map((c) => c.cluster))]) {
        const here = failovers.filter((c) => c.cluster === cluster);
        const metadata = { name: FAILOVER_SERVICE_ACCOUNT, namespace: here[0].namespace, labels };
        const resourceNames = [...new Set(here.flatMap((c) => c.workloads))].sort();
        out.push(
            { cluster, role: "failover-sa", kind: "ServiceAccount", metadata },
            {
                cluster, role: "failover-role", kind: "Role", metadata,
                rules: [
                    { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames, verbs: ["get", "patch"] },
                    // readyReplicas after the restore.
                    { apiGroups: ["apps"], resources: ["deployments"], resourceNames, verbs: ["get"] },
                ],
            },
            {
                cluster, role: "failover-rb", kind: "RoleBinding", metadata,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: FAILOVER_SERVICE_ACCOUNT },
                subjects: [{ kind: "ServiceAccount", name: FAILOVER_SERVICE_ACCOUNT, namespace: metadata.namespace }],
            },
        );
    }
    return out;
}

/**
 * The verification Jobs of a mesh. Children (a public contract), each with
 * `parent: this` and its cluster's provider:
 * - `<name>-<check id>` (Job) per check;
 * - per cluster with a discovery check: `<name>-<cluster>-sa` (ServiceAccount `ack-mesh-verify` in istio-system);
 * - per cluster with failover checks: `<name>-<cluster>-failover-sa`, `-failover-role`, `-failover-rb`.
 *
 * One per mesh: the ServiceAccounts have fixed names, and Job names depend
 * only on the checks, so two instances on the same clusters would manage the
 * same Kubernetes objects.
 */
export class MeshVerification extends pulumi.ComponentResource {
    /** Job name per check id. */
    public readonly jobNames: Record<string, string>;
    /** Expected result per check id (the `expected=[…]` of its verdict). */
    public readonly expected: Record<string, string>;

    constructor(name: string, args: MeshVerificationArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = meshVerificationProblems(args);
        if (problems.length) throw new ConfigError(problems, `Invalid MeshVerification "${name}" arguments`);
        super(MESH_VERIFICATION_TYPE, name, {}, opts);
        const image = args.image ?? VERIFY_CLIENT_IMAGE;
        const revision = args.revision ?? "";
        const waitFor = args.dependsOn ?? [];
        const eastWest = args.eastWestAddresses ?? {};
        const ranges = pulumi
            .all(Object.fromEntries(Object.entries(eastWest).map(([c, a]) => [c, pulumi.output(a)])))
            .apply((ew) => rangesParam(args.podRanges, ew as Record<string, string>, (c) => args.plan.networks[c]));
        const local = (cluster: string): pulumi.CustomResourceOptions => ({ parent: this, provider: args.clusters[cluster].provider });

        const accounts: Record<string, pulumi.Resource[]> = {};
        for (const a of verificationAccounts(args.plan)) {
            // In order: the RoleBinding after its Role and ServiceAccount.
            const o = { ...local(a.cluster), dependsOn: [...waitFor, ...(accounts[a.cluster] ?? [])] };
            const child = `${name}-${a.cluster}-${a.role}`;
            const created =
                a.kind === "ServiceAccount"
                    ? new k8s.core.v1.ServiceAccount(child, { metadata: a.metadata }, o)
                    : a.kind === "Role"
                      ? new k8s.rbac.v1.Role(child, { metadata: a.metadata, rules: a.rules }, o)
                      : new k8s.rbac.v1.RoleBinding(child, { metadata: a.metadata, roleRef: a.roleRef!, subjects: a.subjects }, o);
            (accounts[a.cluster] ??= []).push(created);
        }

        // Never silently: what was asked for and cannot run is a warning, the rest an info line.
        for (const s of args.plan.skipped) pulumi.log[s.warning ? "warn" : "info"](`verification check ${s.id} skipped: ${s.reason}`, this);

        const jobNames: Record<string, string> = {};
        const expected: Record<string, string> = {};
        const steady: pulumi.Resource[] = [];
        let previousFailover: pulumi.Resource | undefined;
        for (const check of args.plan.checks) {
            const address = check.kind === "ingress" ? pulumi.output(args.ingressAddresses![check.gateway]) : pulumi.output("");
            const job = verificationJob(check, image, revision);
            // Only traffic checks wait for the east-west addresses (unknown in a first preview).
            const traffic = check.kind === "calls" || check.kind === "failover" ? ranges : pulumi.output("");
            const spec = pulumi.all([address, traffic]).apply(([a, r]) => verificationJob(check, image, revision, a, r).spec);
            // Failover checks disturb traffic: after every other check, one at a time.
            const after = check.kind === "failover" ? [...steady, ...(previousFailover ? [previousFailover] : [])] : [];
            const created = new k8s.batch.v1.Job(
                `${name}-${check.id}`,
                { metadata: job.metadata, spec },
                {
                    ...local(check.cluster),
                    dependsOn: [...waitFor, ...(accounts[check.cluster] ?? []), ...after],
                    deleteBeforeReplace: true,
                    customTimeouts: { create: jobTimeout(check), update: jobTimeout(check) },
                },
            );
            if (check.kind === "failover") previousFailover = created;
            else steady.push(created);
            jobNames[check.id] = job.metadata.name;
            expected[check.id] = check.expected;
        }
        this.jobNames = jobNames;
        this.expected = expected;
        this.registerOutputs({ jobNames, expected });
    }
}
