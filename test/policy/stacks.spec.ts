/**
 * The CrossGuard pack over every stack's offline plan: each `stacks/Pulumi.<env>.yaml` is simulated
 * with the ack-mesh program, and the recorded registrations (inputs, outputs, secrets, property
 * dependencies, options) are fed to the policies the way the engine would, in-process
 * (policy/testing.ts `runPack`) and through the real policy-pack runner over gRPC.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { createRequire } from "node:module";
import type * as grpcModule from "@grpc/grpc-js";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import type * as emptyModule from "google-protobuf/google/protobuf/empty_pb";
import type * as structModule from "google-protobuf/google/protobuf/struct_pb";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { POLICY_NAMES, POLICY_PACK_NAME, TYPES, createPolicies } from "../../policy/policies";
import { AnalyzedResource, Diagnostic, PackConfig, PackRun, UNKNOWN_WIRE, isWireSecret, runPack, wireSecret } from "../../policy/testing";
import { ROOT, RecordedResource, ResourceRef, Secret, SimulationResult, UNKNOWN, Unknown, readStackConfig, simulate, stackNames } from "../support";

type Wire = Record<string, unknown>;

// @grpc/grpc-js and google-protobuf belong to @pulumi/pulumi (its generated analyzer client is built on
// them), not to this repository: load the very copies it loads, so credentials and messages match.
const fromPulumiProto = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb"));
const grpc = fromPulumiProto("@grpc/grpc-js") as typeof grpcModule;
const { Empty } = fromPulumiProto("google-protobuf/google/protobuf/empty_pb") as typeof emptyModule;
const { Struct } = fromPulumiProto("google-protobuf/google/protobuf/struct_pb") as typeof structModule;

/** A recorded value in the engine's wire form (resource references go as IDs: the engine marshals without KeepResources). */
function toWire(v: unknown): unknown {
    if (v === undefined) return undefined;
    if (v instanceof Unknown) return UNKNOWN_WIRE;
    if (v instanceof Secret) return wireSecret(toWire(v.value) ?? null);
    if (v instanceof ResourceRef) return v.id ?? v.urn;
    if (Array.isArray(v)) return v.map((x) => toWire(x) ?? null);
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(
            Object.entries(v)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, toWire(x)]),
        );
    }
    return v;
}

/**
 * The plan as the engine would hand it to the pack. `update`: every value known (the simulated cloud
 * returns real IDs). `first-preview`: the worst case of a first preview: every input that depends on
 * a resource still to be created is unknown (a secret stays a secret), and every output the program
 * did not set is unknown.
 */
function analyzed(plan: SimulationResult, mode: "update" | "first-preview"): AnalyzedResource[] {
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const created = new Set(plan.resources.filter((r) => r.custom).map((r) => r.urn));
    const unknownLike = (v: unknown) => (v instanceof Secret ? new Secret(UNKNOWN) : UNKNOWN);
    return plan.resources.map((r: RecordedResource) => {
        let inputs: Record<string, unknown> = r.inputs;
        let outputs: Record<string, unknown> = r.outputs;
        if (mode === "first-preview") {
            inputs = Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, (r.propertyDependencies[k] ?? []).some((u) => created.has(u)) ? unknownLike(v) : v]));
            outputs = r.custom ? { ...inputs, ...Object.fromEntries(Object.keys(r.outputs).filter((k) => !(k in r.inputs)).map((k) => [k, UNKNOWN])) } : r.outputs;
        }
        const provider = r.providerUrn ? byUrn.get(r.providerUrn) : undefined;
        return {
            urn: r.urn,
            type: r.type,
            name: r.name,
            inputs: toWire(inputs) as Wire,
            outputs: toWire(outputs) as Wire,
            options: {
                protect: r.protect,
                ignoreChanges: r.ignoreChanges,
                aliases: r.aliases.filter((a): a is string => typeof a === "string"),
                additionalSecretOutputs: r.additionalSecretOutputs,
                deleteBeforeReplace: r.deleteBeforeReplace,
            },
            ...(r.parent ? { parent: r.parent } : {}),
            dependencies: r.dependencies,
            propertyDependencies: r.propertyDependencies,
            ...(provider ? { provider: { urn: provider.urn, type: provider.type, name: provider.name, inputs: toWire(provider.inputs) as Wire } } : {}),
        };
    });
}

/** Wire value with every secret unwrapped (a program that forgot `pulumi.secret`). */
function unwrapSecrets(v: unknown): unknown {
    if (isWireSecret(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    return v;
}

/** A copy of `resources` where `mutate` was applied to the inputs and outputs of every picked resource. */
function mutated(resources: AnalyzedResource[], picked: (r: AnalyzedResource) => boolean, mutate: (props: Wire) => void): AnalyzedResource[] {
    return resources.map((r) => {
        if (!picked(r)) return r;
        const inputs = structuredClone(r.inputs);
        const outputs = structuredClone(r.outputs ?? r.inputs);
        mutate(inputs);
        mutate(outputs);
        return { ...r, inputs, outputs };
    });
}

const brief = (d: Diagnostic) => ({ policyName: d.policyName, enforcementLevel: d.enforcementLevel, urn: d.urn });

function evaluate(stack: string, resources: AnalyzedResource[], config?: PackConfig): Promise<PackRun> {
    return runPack(createPolicies({ stack: () => stack }).all, resources, { config });
}

const STACKS = stackNames();
const plans = new Map<string, SimulationResult>();

async function planOf(stack: string): Promise<SimulationResult> {
    let plan = plans.get(stack);
    if (!plan) {
        const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
        plan = await simulate(runAckMesh, { stack, config, secretConfigKeys });
        plans.set(stack, plan);
    }
    return plan;
}

/** The policy-pack runner, started by the outer suite so that it boots while the in-process tests run. */
interface Runner {
    child: ChildProcess;
    port: Promise<number>;
}
let runner: Runner | undefined;

function startRunner(): Runner {
    // What the engine does: run @pulumi/pulumi/cmd/run-policy-pack in the pack directory, with the
    // stack's name in the environment; the pack type-checks itself (ts-node) and prints the port of
    // its gRPC server.
    const child = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:0", "."], {
        cwd: path.join(ROOT, "policy"),
        env: { ...process.env, PULUMI_NODEJS_STACK: "prod", PULUMI_NODEJS_PROJECT: "ack-mesh", PULUMI_NODEJS_DRY_RUN: "true" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    const port = new Promise<number>((resolve, reject) => {
        child.stdout!.once("data", (d) => resolve(Number(String(d).trim())));
        child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}:\n${stderr}`)));
    });
    port.catch(() => undefined);
    return { child, port };
}

function stopRunner(): void {
    if (runner && runner.child.exitCode === null && runner.child.signalCode === null) runner.child.kill();
    runner = undefined;
}

// --- the real runner -------------------------------------------------------------------------

function struct(v: unknown): structModule.Struct {
    return Struct.fromJavaScript(v as Record<string, structModule.JavaScriptValue>);
}

function resourceOptions(r: AnalyzedResource): analyzerproto.AnalyzerResourceOptions {
    const o = new analyzerproto.AnalyzerResourceOptions();
    o.setProtect(r.options?.protect ?? false);
    o.setIgnorechangesList(r.options?.ignoreChanges ?? []);
    o.setAliasesList(r.options?.aliases ?? []);
    o.setAdditionalsecretoutputsList(r.options?.additionalSecretOutputs ?? []);
    if (r.options?.deleteBeforeReplace !== undefined) {
        o.setDeletebeforereplace(r.options.deleteBeforeReplace);
        o.setDeletebeforereplacedefined(true);
    }
    o.setCustomtimeouts(new analyzerproto.AnalyzerResourceOptions.CustomTimeouts());
    if (r.parent) o.setParent(r.parent);
    return o;
}

function providerOf(r: AnalyzedResource): analyzerproto.AnalyzerProviderResource | undefined {
    if (!r.provider) return undefined;
    const p = new analyzerproto.AnalyzerProviderResource();
    p.setUrn(r.provider.urn);
    p.setType(r.provider.type);
    p.setName(r.provider.name);
    p.setProperties(struct(r.provider.inputs));
    return p;
}

function analyzeRequest(r: AnalyzedResource): analyzerproto.AnalyzeRequest {
    const q = new analyzerproto.AnalyzeRequest();
    q.setUrn(r.urn);
    q.setType(r.type);
    q.setName(r.name);
    q.setProperties(struct(r.inputs));
    q.setOptions(resourceOptions(r));
    const p = providerOf(r);
    if (p) q.setProvider(p);
    return q;
}

function analyzeStackRequest(rs: AnalyzedResource[]): analyzerproto.AnalyzeStackRequest {
    const q = new analyzerproto.AnalyzeStackRequest();
    q.setResourcesList(
        rs.map((r) => {
            const a = new analyzerproto.AnalyzerResource();
            a.setUrn(r.urn);
            a.setType(r.type);
            a.setName(r.name);
            a.setProperties(struct(r.outputs ?? r.inputs));
            a.setOptions(resourceOptions(r));
            const p = providerOf(r);
            if (p) a.setProvider(p);
            if (r.parent) a.setParent(r.parent);
            a.setDependenciesList(r.dependencies ?? []);
            for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                if (urns.length > 0) a.getPropertydependenciesMap().set(k, new analyzerproto.AnalyzerPropertyDependencies().setUrnsList(urns));
            }
            return a;
        }),
    );
    return q;
}

/** A unary call as a promise. */
function unary<Res>(invoke: (cb: (err: grpcModule.ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
    return new Promise((resolve, reject) => invoke((err, res) => (err ? reject(err) : resolve(res))));
}

interface WireDiagnostic {
    policyName: string;
    enforcementLevel: analyzerproto.EnforcementLevel;
    urn: string;
}

describe("policy pack (CrossGuard) over every stack's offline plan", function () {
    this.timeout(60_000);

    before(() => {
        runner = startRunner();
        process.once("exit", stopRunner);
    });

    after(() => stopRunner());

    describe("in-process, with the engine's passes (policy/testing.ts)", () => {
        it("has stacks to check", () => {
            assert.ok(STACKS.length >= 3, `stacks: ${STACKS.join(", ")}`);
        });

        for (const stack of STACKS) {
            it(`${stack}: passes with zero violations and no remediation`, async () => {
                const resources = analyzed(await planOf(stack), "update");
                const run = await evaluate(stack, resources);
                assert.deepEqual(run.diagnostics, []);
                assert.deepEqual(run.remediations, []);
                // Not vacuous: every resource policy judged (was applicable to) the resources it is about.
                const judged = (policyName: string, type: string) => {
                    const ofType = resources.filter((r) => r.type === type).map((r) => r.urn);
                    const skipped = new Set(run.notApplicable.filter((n) => n.policyName === policyName).map((n) => n.urn));
                    return ofType.filter((u) => !skipped.has(u));
                };
                assert.ok(judged(POLICY_NAMES.noInternetIngress, TYPES.securityGroupRule).length > 0);
                assert.equal(judged(POLICY_NAMES.kubeconfigSecret, TYPES.kubernetesProvider).length, resources.filter((r) => r.type === TYPES.kubernetesProvider).length);
                assert.equal(judged(POLICY_NAMES.istioChartPinned, TYPES.helmRelease).length, resources.filter((r) => r.type === TYPES.helmRelease).length);
                assert.ok(judged(POLICY_NAMES.meshSecretsSecret, TYPES.kubernetesSecret).length > 0);
                assert.equal(judged(POLICY_NAMES.prodDeletionProtection, TYPES.cluster).length > 0, stack.startsWith("prod"));
            });

            it(`${stack}: passes its first preview (worst-case unknowns) without violations or "can't run" messages`, async () => {
                const run = await evaluate(stack, analyzed(await planOf(stack), "first-preview"));
                assert.deepEqual(run.diagnostics, []);
                assert.deepEqual(run.remediations, []);
            });
        }

        /** A plan with one deliberate defect, and the one diagnostic it must produce. */
        interface Defect {
            stacks: string[];
            title: string;
            picked: (r: AnalyzedResource, all: AnalyzedResource[]) => boolean;
            mutate: (props: Wire, all: AnalyzedResource[]) => void;
            policyName: string;
            enforcementLevel: "mandatory" | "advisory";
            /** The resource the diagnostic is about. @default the first picked resource */
            about?: (all: AnalyzedResource[]) => string;
            message: RegExp;
            /**
             * Whether a first preview already catches it. The secret-ness rules cannot: there the
             * kubeconfig and the secrets' data are unknown until the cluster exists, and are judged at `up`.
             */
            inFirstPreview: boolean;
        }

        const first = (all: AnalyzedResource[], type: string, n = 0) => all.filter((r) => r.type === type)[n];
        const istioRelease = (r: AnalyzedResource) => r.type === TYPES.helmRelease && ["base", "istiod", "gateway"].includes(String(r.inputs["chart"]));
        const meshSecret = (r: AnalyzedResource) => {
            const name = String((unwrapSecrets(r.inputs["metadata"]) as { name?: string } | undefined)?.name);
            return r.type === TYPES.kubernetesSecret && (name === "cacerts" || name.startsWith("istio-remote-secret-"));
        };
        const defects: Defect[] = [
            {
                stacks: STACKS,
                title: "a security group rule admitting 0.0.0.0/0",
                picked: (r, all) => r === first(all, TYPES.securityGroupRule),
                mutate: (p) => (p["cidrIp"] = "0.0.0.0/0"),
                policyName: POLICY_NAMES.noInternetIngress,
                inFirstPreview: true,
                enforcementLevel: "mandatory",
                message: /ingress rule admits cidrIp 0\.0\.0\.0\/0/,
            },
            {
                stacks: STACKS.filter((s) => s.startsWith("prod")),
                title: "a cluster without deletion protection",
                picked: (r, all) => r === first(all, TYPES.cluster),
                mutate: (p) => (p["deletionProtection"] = false),
                policyName: POLICY_NAMES.prodDeletionProtection,
                inFirstPreview: true,
                enforcementLevel: "advisory",
                message: /has deletionProtection false/,
            },
            {
                stacks: STACKS,
                title: "node pools of one cluster at desiredSize \"1\"",
                picked: (r, all) => r.type === TYPES.nodePool && (r.propertyDependencies?.["clusterId"] ?? []).includes(first(all, TYPES.cluster).urn),
                mutate: (p) => (p["desiredSize"] = "1"),
                policyName: POLICY_NAMES.minWorkers,
                inFirstPreview: true,
                enforcementLevel: "mandatory",
                about: (all) => first(all, TYPES.cluster).urn,
                message: /has [12] worker\(s\) across its node pools .*fewer than 3/,
            },
            {
                stacks: STACKS.filter((s) => s !== "dev"),
                title: "a VPC overlapping another VPC of the CEN",
                picked: (r, all) => r === first(all, TYPES.vpc, 1),
                mutate: (p, all) => (p["cidrBlock"] = first(all, TYPES.vpc).inputs["cidrBlock"]),
                policyName: POLICY_NAMES.networkCidrsDisjoint,
                inFirstPreview: true,
                enforcementLevel: "mandatory",
                message: /^.*\nVPC ".*" \(.*\) overlaps VPC ".*" \(.*\) in a stack with CEN/,
            },
            {
                stacks: STACKS,
                title: "a vSwitch overlapping another vSwitch",
                picked: (r, all) => r === first(all, TYPES.vswitch, 1),
                mutate: (p, all) => (p["cidrBlock"] = first(all, TYPES.vswitch).inputs["cidrBlock"]),
                policyName: POLICY_NAMES.networkCidrsDisjoint,
                inFirstPreview: true,
                enforcementLevel: "mandatory",
                message: /vSwitch ".*" \(.*\) overlaps vSwitch ".*"/,
            },
            {
                stacks: STACKS,
                title: "a service CIDR shared by two clusters",
                picked: (r, all) => r === first(all, TYPES.cluster, 1),
                mutate: (p, all) => (p["serviceCidr"] = first(all, TYPES.cluster).inputs["serviceCidr"]),
                policyName: POLICY_NAMES.clusterCidrsDisjoint,
                inFirstPreview: true,
                enforcementLevel: "mandatory",
                message: /service CIDR .* overlaps service CIDR/,
            },
            {
                stacks: STACKS,
                title: "an Istio chart without a version",
                picked: (r, all) => r === all.find(istioRelease),
                mutate: (p) => delete p["version"],
                policyName: POLICY_NAMES.istioChartPinned,
                inFirstPreview: true,
                enforcementLevel: "mandatory",
                message: /Istio chart ".*" has no version/,
            },
            {
                stacks: STACKS,
                title: "a Kubernetes provider with a plaintext kubeconfig",
                picked: (r, all) => r === first(all, TYPES.kubernetesProvider),
                mutate: (p) => (p["kubeconfig"] = unwrapSecrets(p["kubeconfig"])),
                policyName: POLICY_NAMES.kubeconfigSecret,
                inFirstPreview: false,
                enforcementLevel: "mandatory",
                message: /gets its kubeconfig in plaintext/,
            },
            {
                stacks: STACKS,
                title: "a cacerts or remote secret with plaintext data",
                picked: (r, all) => r === all.find(meshSecret),
                mutate: (p) => {
                    for (const f of ["data", "stringData"]) if (p[f] !== undefined) p[f] = unwrapSecrets(p[f]);
                },
                policyName: POLICY_NAMES.meshSecretsSecret,
                inFirstPreview: false,
                enforcementLevel: "mandatory",
                message: /has plaintext values \((string)?[dD]ata\./,
            },
        ];

        for (const d of defects) {
            for (const stack of d.stacks) {
                it(`${stack}: ${d.title} gives exactly one ${d.enforcementLevel} ${d.policyName} violation`, async () => {
                    const resources = analyzed(await planOf(stack), "update");
                    const broken = mutated(resources, (r) => d.picked(r, resources), (p) => d.mutate(p, resources));
                    assert.notDeepEqual(broken, resources, "the defect changed nothing");
                    const about = d.about ? d.about(resources) : resources.find((r) => d.picked(r, resources))!.urn;
                    const run = await evaluate(stack, broken);
                    assert.deepEqual(run.diagnostics.map(brief), [{ policyName: d.policyName, enforcementLevel: d.enforcementLevel, urn: about }]);
                    assert.match(run.diagnostics[0].message, d.message);
                });

                it(`${stack}: ${d.title}, in a first preview: ${d.inFirstPreview ? "caught already" : "left to pulumi up (unknown until the cluster exists)"}`, async () => {
                    const resources = analyzed(await planOf(stack), "first-preview");
                    const broken = mutated(resources, (r) => d.picked(r, resources), (p) => d.mutate(p, resources));
                    const about = d.about ? d.about(resources) : resources.find((r) => d.picked(r, resources))!.urn;
                    const run = await evaluate(stack, broken);
                    const expected = d.inFirstPreview ? [{ policyName: d.policyName, enforcementLevel: d.enforcementLevel, urn: about }] : [];
                    assert.deepEqual(run.diagnostics.map(brief), expected);
                });
            }
        }

        it("dev: deletion protection off is fine outside prod stacks", async () => {
            const resources = analyzed(await planOf("dev"), "update");
            assert.ok(resources.filter((r) => r.type === TYPES.cluster).every((r) => r.inputs["deletionProtection"] === false));
            const run = await evaluate("dev", resources);
            assert.deepEqual(run.diagnostics, []);
        });
    });

    describe("served by the Pulumi policy-pack runner over gRPC (as `pulumi preview --policy-pack policy` starts it)", () => {
        let client: analyzerrpc.AnalyzerClient | undefined;

        before(async () => {
            const port = await runner!.port;
            client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        });

        after(() => client?.close());

        /**
         * The engine's passes: Remediate then Analyze for each of `rs`, then AnalyzeStack over `stack`
         * (all of the plan; none to skip the stack pass).
         */
        async function preview(rs: AnalyzedResource[], stack: AnalyzedResource[] | undefined = rs): Promise<{ diagnostics: WireDiagnostic[]; remediations: Array<{ policyName: string; properties: Wire }>; notApplicable: Array<[string, string]> }> {
            const c = client!;
            const diagnostics: WireDiagnostic[] = [];
            const remediations: Array<{ policyName: string; properties: Wire }> = [];
            const notApplicable: Array<[string, string]> = [];
            const take = (res: analyzerproto.AnalyzeResponse, urn?: string) => {
                for (const d of res.getDiagnosticsList()) diagnostics.push({ policyName: d.getPolicyname(), enforcementLevel: d.getEnforcementlevel(), urn: d.getUrn() || urn || "" });
                for (const n of res.getNotApplicableList()) notApplicable.push([n.getPolicyName(), urn ?? ""]);
            };
            // Each resource's Remediate precedes its Analyze, as in the engine; resources go concurrently.
            await Promise.all(
                rs.map(async (r) => {
                    const remediated = await unary<analyzerproto.RemediateResponse>((cb) => c.remediate(analyzeRequest(r), cb));
                    let analyzedInputs = r;
                    for (const m of remediated.getRemediationsList()) {
                        const properties = (m.getProperties()?.toJavaScript() ?? {}) as Wire;
                        remediations.push({ policyName: m.getPolicyname(), properties });
                        analyzedInputs = { ...analyzedInputs, inputs: properties };
                    }
                    take(await unary<analyzerproto.AnalyzeResponse>((cb) => c.analyze(analyzeRequest(analyzedInputs), cb)), r.urn);
                }),
            );
            if (stack) take(await unary<analyzerproto.AnalyzeResponse>((cb) => c.analyzeStack(analyzeStackRequest(stack), cb)));
            diagnostics.sort((a, b) => a.urn.localeCompare(b.urn) || a.policyName.localeCompare(b.policyName));
            return { diagnostics, remediations, notApplicable };
        }

        it("serves the ack-mesh pack with its eight policies", async () => {
            const info = await unary<analyzerproto.AnalyzerInfo>((cb) => client!.getAnalyzerInfo(new Empty(), cb));
            assert.equal(info.getName(), POLICY_PACK_NAME);
            const L = analyzerproto.EnforcementLevel;
            assert.deepEqual(
                info
                    .getPoliciesList()
                    .map((p) => [p.getName(), p.getEnforcementlevel()])
                    .sort(),
                [
                    [POLICY_NAMES.minWorkers, L.MANDATORY],
                    [POLICY_NAMES.clusterCidrsDisjoint, L.MANDATORY],
                    [POLICY_NAMES.istioChartPinned, L.MANDATORY],
                    [POLICY_NAMES.kubeconfigSecret, L.REMEDIATE],
                    [POLICY_NAMES.meshSecretsSecret, L.REMEDIATE],
                    [POLICY_NAMES.noInternetIngress, L.MANDATORY],
                    [POLICY_NAMES.prodDeletionProtection, L.ADVISORY],
                    [POLICY_NAMES.networkCidrsDisjoint, L.MANDATORY],
                ].sort(),
            );
        });

        it("prod: the plan passes; secret-ness is judged for every provider and mesh secret", async () => {
            const resources = analyzed(await planOf("prod"), "update");
            const run = await preview(resources);
            assert.deepEqual(run.diagnostics, []);
            assert.deepEqual(run.remediations, []);
            const providers = resources.filter((r) => r.type === TYPES.kubernetesProvider).map((r) => r.urn);
            assert.ok(providers.length > 0);
            assert.deepEqual(run.notApplicable.filter(([p, urn]) => p === POLICY_NAMES.kubeconfigSecret && providers.includes(urn)), []);
        });

        it("prod: a plaintext kubeconfig and a plaintext cacerts are mandatory violations; an unprotected cluster is advisory", async () => {
            const resources = analyzed(await planOf("prod"), "update");
            const provider = resources.find((r) => r.type === TYPES.kubernetesProvider)!;
            const cacerts = resources.find((r) => r.type === TYPES.kubernetesSecret && (r.inputs["metadata"] as Wire | undefined)?.["name"] === "cacerts")!;
            const cluster = resources.find((r) => r.type === TYPES.cluster)!;
            let broken = mutated(resources, (r) => r === provider, (p) => (p["kubeconfig"] = unwrapSecrets(p["kubeconfig"])));
            broken = mutated(broken, (r) => r.urn === cacerts.urn, (p) => (p["stringData"] = unwrapSecrets(p["stringData"])));
            broken = mutated(broken, (r) => r.urn === cluster.urn, (p) => (p["deletionProtection"] = false));
            const changed = broken.filter((r) => [provider.urn, cacerts.urn, cluster.urn].includes(r.urn));
            const L = analyzerproto.EnforcementLevel;
            const expected = [
                { policyName: POLICY_NAMES.prodDeletionProtection, enforcementLevel: L.ADVISORY, urn: cluster.urn },
                { policyName: POLICY_NAMES.kubeconfigSecret, enforcementLevel: L.MANDATORY, urn: provider.urn },
                { policyName: POLICY_NAMES.meshSecretsSecret, enforcementLevel: L.MANDATORY, urn: cacerts.urn },
            ].sort((a, b) => a.urn.localeCompare(b.urn));
            assert.deepEqual((await preview(changed, broken)).diagnostics, expected);
        });

        it("with `fix: true` in the policy config, remediates a plaintext kubeconfig into a secret", async () => {
            const config = new analyzerproto.ConfigureAnalyzerRequest();
            const fix = new analyzerproto.PolicyConfig();
            fix.setEnforcementlevel(analyzerproto.EnforcementLevel.REMEDIATE);
            fix.setProperties(struct({ fix: true }));
            config.getPolicyconfigMap().set(POLICY_NAMES.kubeconfigSecret, fix);
            await unary<emptyModule.Empty>((cb) => client!.configure(config, cb));

            const resources = analyzed(await planOf("prod"), "update");
            const provider = resources.find((r) => r.type === TYPES.kubernetesProvider)!;
            const run = await preview(mutated([provider], () => true, (p) => (p["kubeconfig"] = unwrapSecrets(p["kubeconfig"]))), undefined);
            assert.deepEqual(run.diagnostics, []);
            assert.deepEqual(run.remediations.map((m) => m.policyName), [POLICY_NAMES.kubeconfigSecret]);
            assert.ok(isWireSecret(run.remediations[0].properties["kubeconfig"]));
        });
    });
});
