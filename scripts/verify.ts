/**
 * `npm run verify -- <stack> [options]`: runs the verification checks
 * (plan/verify.ts, docs/verify.md) against a live stack, outside `pulumi up`.
 * It plans the checks from `stacks/Pulumi.<stack>.yaml`, reads the
 * kubeconfigs and gateway addresses from the stack outputs
 * (`pulumi stack output --json --show-secrets`), applies the same Jobs
 * `MeshVerification` creates (with a fresh name per run) through `kubectl`,
 * waits for each, reads its verdict line from the logs, deletes it, and
 * prints a table of the checks.
 *
 * Options:
 *   --stack-file <path>   read the config from this file instead of stacks/Pulumi.<stack>.yaml
 *   --outputs <file>      read the stack outputs from this JSON file instead of running pulumi
 *   --failover            also run the disruptive locality-failover checks (scale to zero, then restore)
 *   --requests <K>        requests per traffic check (default: verify.requests of the stack, else 200)
 *   --only <kinds>        comma-separated check kinds (discovery,calls,ingress,routing,mtls,failover)
 *   --keep                keep the Jobs (default: delete each once its verdict is read)
 *
 * Needs `pulumi` (unless --outputs) and `kubectl` on PATH.
 * Exit status: 0 every check passed; 1 a check failed or could not run;
 * 2 usage error, invalid stack configuration or unusable stack outputs.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../config/errors";
import { isPlainRecord } from "../config/constants";
import { namespaceValues } from "../config/pulumiConfig";
import { readStackConfig } from "../sim/stackConfig";
import { planTopology } from "../programs/compose";
import { VERIFY_CHECK_KINDS, VerificationPlan, VerifyCheck, VerifyCheckKind, planVerification, verificationInputFromConfig } from "../plan/verify";
import { verifyImageWarning } from "../plan/images";
import { VERIFY_CLIENT_IMAGE, jobDeadlineSeconds, responderAddressProblems, verificationAccounts, verificationJob } from "../components/meshVerification";
import { parseVerdict, rangesParam } from "../plan/verifyScripts";
import { TEXT_WIDTH, multilineTable, wrapText } from "./render";

/** Where the command writes. */
export interface VerifyIO {
    out(text: string): void;
    err(text: string): void;
}

/** A live cluster, as far as the command needs one. */
export interface LiveCluster {
    /** Creates or updates an object (a full manifest with apiVersion and kind). */
    apply(manifest: Record<string, unknown>): Promise<void>;
    /** Waits until the Job succeeded or failed, or the time is up. */
    waitJob(namespace: string, name: string, timeoutSeconds: number): Promise<"succeeded" | "failed" | "timeout">;
    /** The Job's logs (its check container). */
    logs(namespace: string, name: string): Promise<string>;
    /** Deletes the Job and its pod. */
    deleteJob(namespace: string, name: string): Promise<void>;
}

/** The live side: the stack's outputs and its clusters. */
export interface Live {
    outputs(stack: string): Promise<unknown>;
    cluster(name: string, kubeconfig: string): LiveCluster;
}

/** What the checks need from the stack outputs. */
export interface VerifyOutputs {
    /** Admin kubeconfig per cluster (the secret `kubeconfigs` output). */
    kubeconfigs: Record<string, string>;
    /** Ingress gateway address per control plane. */
    ingressAddresses: Record<string, string>;
    /** East-west gateway address per cluster (multi-network). */
    eastWestAddresses: Record<string, string>;
}

/** Command-line arguments. */
export interface VerifyArgs {
    /** Stack name. */
    stack: string;
    /** `--stack-file`: the config file. @default stacks/Pulumi.<stack>.yaml */
    stackFile?: string;
    /** `--outputs`: stack outputs as JSON instead of `pulumi stack output`. */
    outputsFile?: string;
    /** `--failover`: run the disruptive failover checks. */
    failover: boolean;
    /** `--requests`: K. @default the stack's verify.requests */
    requests?: number;
    /** `--only`: the check kinds to run. @default all */
    only?: VerifyCheckKind[];
    /** `--keep`: keep the Jobs. */
    keep: boolean;
}

/** A usage, configuration or outputs problem: exit status 2. */
export class VerifyUsageError extends Error {}

export const USAGE = "usage: npm run verify -- <stack> [--stack-file <path>] [--outputs <file>] [--failover] [--requests <K>] [--only <kinds>] [--keep]";

/** Parses the arguments after the script name. */
export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
    const args: Partial<VerifyArgs> & { failover: boolean; keep: boolean } = { failover: false, keep: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new VerifyUsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--stack-file") args.stackFile = value();
        else if (a === "--outputs") args.outputsFile = value();
        else if (a === "--failover") args.failover = true;
        else if (a === "--keep") args.keep = true;
        else if (a === "--requests") {
            const v = value();
            if (!/^\d+$/.test(v)) throw new VerifyUsageError(`--requests must be a whole number, got ${JSON.stringify(v)}`);
            args.requests = Number(v);
        } else if (a === "--only") {
            const kinds = value().split(",");
            const bad = kinds.filter((k) => !(VERIFY_CHECK_KINDS as readonly string[]).includes(k));
            if (bad.length) throw new VerifyUsageError(`--only: unknown check kind(s) ${bad.join(", ")}; use ${VERIFY_CHECK_KINDS.join(", ")}`);
            args.only = kinds as VerifyCheckKind[];
        } else if (a.startsWith("--")) throw new VerifyUsageError(`unknown option ${a}`);
        else if (args.stack === undefined) args.stack = a;
        else throw new VerifyUsageError(`unexpected argument ${JSON.stringify(a)}`);
    }
    if (args.stack === undefined) throw new VerifyUsageError("the stack name is missing");
    return args as VerifyArgs;
}

const strings = (v: unknown): Record<string, string> =>
    isPlainRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string")) : {};

/**
 * Reads what the checks need from the stack outputs (the program's
 * `kubeconfigs`, `ingressAddresses`, `eastWestAddresses`) and says, all at
 * once, what is missing for the planned checks.
 * @throws VerifyUsageError naming every missing output
 */
export function parseStackOutputs(raw: unknown, plan: VerificationPlan): VerifyOutputs {
    const o = isPlainRecord(raw) ? raw : {};
    const out: VerifyOutputs = { kubeconfigs: strings(o.kubeconfigs), ingressAddresses: strings(o.ingressAddresses), eastWestAddresses: strings(o.eastWestAddresses) };
    const missing = new Set<string>();
    for (const c of plan.checks) {
        if (!out.kubeconfigs[c.cluster]) missing.add(`kubeconfigs.${c.cluster}`);
        if (c.kind === "ingress" && !out.ingressAddresses[c.gateway]) missing.add(`ingressAddresses.${c.gateway}`);
    }
    // Pod ranges come from the stack's own network plan; east-west addresses from the outputs.
    for (const p of responderAddressProblems(plan, Object.fromEntries(Object.keys(plan.networks).map((c) => [c, ["0.0.0.0/32"]])), Object.keys(out.eastWestAddresses))) {
        missing.add(`eastWestAddresses (an address in network ${p.message.replace(/^has no address in network (\S+):.*$/, "$1")})`);
    }
    if (missing.size) {
        throw new VerifyUsageError(
            `the stack outputs lack ${[...missing].sort().join(", ")}: run \`pulumi up\` first; read them with \`pulumi stack output --json --show-secrets\` (a secret kubeconfig prints as "[secret]" without --show-secrets)`,
        );
    }
    return out;
}

/** One row of the result table. */
export interface CheckResult {
    /** Check id. */
    check: string;
    /** Cluster its Job ran in. */
    cluster: string;
    /** PASS/FAIL from the verdict; ERROR when the Job gave none. */
    result: "PASS" | "FAIL" | "ERROR" | "skipped";
    /** Expected result (from the plan). */
    expected: string;
    /** What the Job saw, or why there is no verdict. */
    seen: string;
}

/** Runs one check's Job and reads its verdict. */
async function runOne(check: VerifyCheck, cluster: LiveCluster, job: ReturnType<typeof verificationJob>, keep: boolean): Promise<CheckResult> {
    const { name, namespace } = job.metadata;
    const base = { check: check.id, cluster: check.cluster, expected: check.expected };
    try {
        await cluster.apply({ apiVersion: "batch/v1", kind: "Job", metadata: job.metadata, spec: job.spec });
        const state = await cluster.waitJob(namespace, name, jobDeadlineSeconds(check) + 60);
        const verdict = parseVerdict(await cluster.logs(namespace, name));
        if (verdict) return { ...base, result: verdict.pass && state === "succeeded" ? "PASS" : "FAIL", seen: verdict.seen };
        return { ...base, result: "ERROR", seen: `Job ${namespace}/${name} ${state} without a verdict line (kubectl -n ${namespace} describe job ${name})` };
    } catch (e) {
        return { ...base, result: "ERROR", seen: e instanceof Error ? e.message : String(e) };
    } finally {
        if (!keep) await cluster.deleteJob(namespace, name).catch(() => undefined);
    }
}

/**
 * Runs the checks: every cluster's accounts first, then the steady checks
 * in parallel, then the failover checks one at a time (they disturb traffic).
 * Results in plan order.
 */
export async function runChecks(
    plan: VerificationPlan,
    outputs: VerifyOutputs,
    live: Live,
    opts: { image: string; revision: string; keep: boolean; podRanges: Readonly<Record<string, readonly string[]>> },
): Promise<CheckResult[]> {
    const clusters: Record<string, LiveCluster> = {};
    const clusterOf = (c: string) => (clusters[c] ??= live.cluster(c, outputs.kubeconfigs[c]));
    for (const a of verificationAccounts(plan)) {
        const apiVersion = a.kind === "ServiceAccount" ? "v1" : "rbac.authorization.k8s.io/v1";
        const { kind, metadata, rules, roleRef, subjects } = a;
        await clusterOf(a.cluster).apply({ apiVersion, kind, metadata, ...(rules ? { rules } : {}), ...(roleRef ? { roleRef, subjects } : {}) });
    }
    const ranges = rangesParam(opts.podRanges, outputs.eastWestAddresses, (c) => plan.networks[c]);
    const jobOf = (c: VerifyCheck) => verificationJob(c, opts.image, opts.revision, c.kind === "ingress" ? outputs.ingressAddresses[c.gateway] : "", ranges);
    const steady = plan.checks.filter((c) => c.kind !== "failover");
    const results = await Promise.all(steady.map((c) => runOne(c, clusterOf(c.cluster), jobOf(c), opts.keep)));
    for (const c of plan.checks.filter((x) => x.kind === "failover")) results.push(await runOne(c, clusterOf(c.cluster), jobOf(c), opts.keep));
    const order = new Map(plan.checks.map((c, i) => [c.id, i]));
    return results.sort((a, b) => order.get(a.check)! - order.get(b.check)!);
}

/**
 * The result table, skipped checks last: CHECK, CLUSTER, RESULT and a
 * DETAIL cell with the expected and the seen result, wrapped to fit
 * {@link TEXT_WIDTH} columns.
 */
export function renderResults(results: readonly CheckResult[], plan: VerificationPlan): string {
    const all = [...results, ...plan.skipped.map((s) => ({ check: s.id, cluster: "", result: "skipped" as const, expected: "", seen: s.reason }))];
    const used = Math.max(5, ...all.map((r) => r.check.length)) + Math.max(7, ...all.map((r) => r.cluster.length)) + 7 + 6;
    const room = Math.max(40, TEXT_WIDTH - used);
    const rows = all.map((r) => ({
        CHECK: r.check,
        CLUSTER: r.cluster,
        RESULT: r.result,
        DETAIL: wrapText(r.result === "skipped" ? r.seen : `expected: ${r.expected}\nseen:     ${r.seen}`, room),
    }));
    const failed = results.filter((r) => r.result !== "PASS").length;
    return `${multilineTable(rows, ["CHECK", "CLUSTER", "RESULT", "DETAIL"])}\n\n${failed ? `${failed} of ${results.length} checks did not pass` : `all ${results.length} checks passed`}`;
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (err) reject(new Error(`${cmd} ${args.slice(0, 3).join(" ")}: ${(stderr || err.message).trim()}`));
            else resolve(stdout);
        });
        if (input !== undefined) child.stdin?.end(input);
    });
}

/** The real live side: `pulumi stack output` and `kubectl` with one temporary kubeconfig file (0600) per cluster. */
export function commandLineLive(dir: string): Live {
    return {
        outputs: async (stack) => JSON.parse(await run("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack])),
        cluster: (name, kubeconfig) => {
            const file = path.join(dir, `${name}.kubeconfig`);
            fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
            const kubectl = (args: string[], input?: string) => run("kubectl", ["--kubeconfig", file, ...args], input);
            return {
                apply: async (m) => void (await kubectl(["apply", "-f", "-"], JSON.stringify(m))),
                waitJob: async (ns, job, timeoutSeconds) => {
                    for (let t = 0; t < timeoutSeconds; t += 5) {
                        const s = await kubectl(["-n", ns, "get", "job", job, "-o", "jsonpath={.status.succeeded},{.status.failed}"]);
                        const [ok, failed] = s.split(",").map((x) => Number(x || 0));
                        if (ok > 0) return "succeeded";
                        if (failed > 0) return "failed";
                        await new Promise((r) => setTimeout(r, 5000));
                    }
                    return "timeout";
                },
                logs: (ns, job) => kubectl(["-n", ns, "logs", `job/${job}`, "-c", "check", "--tail", "50"]),
                deleteJob: async (ns, job) => void (await kubectl(["-n", ns, "delete", "job", job, "--cascade=background", "--wait=false"])),
            };
        },
    };
}

/**
 * The CLI. Returns the exit status instead of exiting, so tests run it in-process with a fake {@link Live}.
 * @param now a run id for the Job names (they must not clash with the component's)
 */
export async function main(argv: readonly string[], io: VerifyIO, live?: Live, now: number = Date.now()): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        io.out(USAGE);
        return 0;
    }
    let args: VerifyArgs;
    let plan: VerificationPlan;
    let podRanges: Record<string, string[]>;
    let image: string;
    try {
        args = parseVerifyArgs(argv);
        const file = args.stackFile ?? path.join(__dirname, "..", "stacks", `Pulumi.${args.stack}.yaml`);
        const raw = namespaceValues(readStackConfig(file).config as Record<string, unknown>);
        const { config, network, identity } = planTopology(raw);
        const kinds = new Set(args.only ?? VERIFY_CHECK_KINDS);
        const full = planVerification(verificationInputFromConfig(config, identity, network), { requests: args.requests ?? config.verify.requests, failover: args.failover });
        plan = { ...full, checks: full.checks.filter((c) => kinds.has(c.kind)), skipped: full.skipped.filter((s) => kinds.has(s.kind)) };
        podRanges = Object.fromEntries(Object.entries(network.clusters).map(([c, p]) => [c, p.podRanges]));
        image = config.verify.image ?? VERIFY_CLIENT_IMAGE;
        const warning = verifyImageWarning(config, image);
        if (warning) io.err(`warning: ${warning}`);
    } catch (e) {
        if (e instanceof VerifyUsageError) io.err(`${e.message}\n${USAGE}`);
        else if (ConfigError.is(e)) io.err(e.message);
        else io.err(e instanceof Error ? e.message : String(e));
        return 2;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ack-mesh-verify-"));
    try {
        const side = live ?? commandLineLive(tmp);
        let outputs: VerifyOutputs;
        try {
            const raw = args.outputsFile ? JSON.parse(fs.readFileSync(args.outputsFile, "utf8")) : await side.outputs(args.stack);
            outputs = parseStackOutputs(raw, plan);
        } catch (e) {
            io.err(e instanceof Error ? e.message : String(e));
            return 2;
        }
        const results = await runChecks(plan, outputs, side, { image, revision: `cli-${now}`, keep: args.keep, podRanges });
        io.out(renderResults(results, plan));
        return results.every((r) => r.result === "PASS") ? 0 : 1;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

if (require.main === module) {
    const io: VerifyIO = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };
    main(process.argv.slice(2), io).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (err) => {
            console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
            process.exit(1);
        },
    );
}
