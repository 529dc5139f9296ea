/**
 * Running the pack's policies in-process, the way the Pulumi engine and @pulumi/policy 1.21.0 run
 * them, for tests. Not loaded by the pack itself.
 *
 * - Properties go in in the engine's wire form (`google.protobuf.Struct` JSON: a secret is
 *   `{ [SIG]: SECRET_SIG, value }`, an unknown is a sentinel string) and are deserialized with the
 *   SDK's own `deserializeProperties`: secrets unwrapped for validations, `Secret`-wrapped behind the
 *   SDK's secrets-preserving proxy for remediations, and everything behind `unknownCheckingProxy`.
 * - {@link resourceArgs} / {@link stackArgs} build the argument bags the SDK passes to
 *   `validateResource` / `remediateResource` / `validateStack` (`server.js` `makeAnalyzeRpcFun`,
 *   `makeRemediateRpcFun`, `makeAnalyzeStackRpcFun`), for calling one policy directly.
 * - {@link runPack} plays the engine: per resource, the remediation pass then the analysis pass
 *   (`step_generator.go`), then the stack pass, with enforcement levels and per-policy config as
 *   `--policy-pack-config` would set them.
 *
 * @module
 */
import {
    EnforcementLevel,
    Policies,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy as sdkUnknownCheckingProxy,
} from "@pulumi/policy";
import * as sdkDeserializeModule from "@pulumi/policy/deserialize";
import { isUnknownValueError } from "./values";

/** Key of the type signature of a special value in the wire form. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** Signature of a secret: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The wire form of an unknown value (the string sentinel; the engine sends it for any type). */
export const UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A secret in wire form. */
export function wireSecret(value: unknown): Record<string, unknown> {
    return { [SIG_KEY]: SECRET_SIG, value };
}

/** Whether a wire value is a secret. */
export function isWireSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

// SDK internals (not in its typings), checked against @pulumi/policy 1.21.0.
type DeserializeProperties = (struct: { toJavaScript(): Record<string, unknown> }, proxySecrets: boolean) => Record<string, any>;
type SerializeProperties = (props: unknown) => Promise<Record<string, unknown>>;
const sdkDeserialize = sdkDeserializeModule as unknown as { deserializeProperties?: DeserializeProperties; serializeProperties?: SerializeProperties };
const unknownCheckingProxy = sdkUnknownCheckingProxy as (props: Record<string, any>) => Record<string, any>;

function sdkInternal<T>(fn: T | undefined, name: string): T {
    if (typeof fn !== "function") throw new Error(`@pulumi/policy no longer exports ${name} from deserialize.js; update policy/testing.ts for the new SDK`);
    return fn;
}

/**
 * Deserializes wire properties as the SDK does for a policy: secrets unwrapped (validations) or kept
 * as `Secret` behind the secrets-preserving proxy (`remediation`), then wrapped in the SDK's
 * unknown-checking proxy.
 */
export function sdkProps(wire: Record<string, unknown>, remediation = false): Record<string, any> {
    const deserialize = sdkInternal(sdkDeserialize.deserializeProperties, "deserializeProperties");
    return unknownCheckingProxy(deserialize({ toJavaScript: () => wire }, remediation));
}

/** Serializes what a remediation returned back to wire form (the SDK's `serializeProperties`). */
export function sdkSerialize(props: unknown): Promise<Record<string, unknown>> {
    return sdkInternal(sdkDeserialize.serializeProperties, "serializeProperties")(props);
}

/** One resource as the engine hands it to an analyzer; property bags in wire form. */
export interface AnalyzedResource {
    urn: string;
    type: string;
    name: string;
    /** Inputs after the provider's `Check`: what `Remediate`/`Analyze` get. */
    inputs: Record<string, unknown>;
    /** Outputs: what `AnalyzeStack` gets. @default `inputs` */
    outputs?: Record<string, unknown>;
    /** Resource options. @default none set */
    options?: Partial<PolicyResourceOptions>;
    /** Parent URN. */
    parent?: string;
    /** Dependency URNs. */
    dependencies?: string[];
    /** Property → URNs it depends on. */
    propertyDependencies?: Record<string, string[]>;
    /** The resource's provider, with its inputs in wire form. */
    provider?: { urn: string; type: string; name: string; inputs: Record<string, unknown> };
}

/** Policy config as `--policy-pack-config` gives it: per policy, an enforcement level and properties. */
export type PackConfig = Record<string, { enforcementLevel?: EnforcementLevel; [key: string]: unknown }>;

/** What `args.notApplicable(reason)` throws (the SDK's own class is not exported). */
export class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
        this.name = "NotApplicable";
    }
}

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

/** The SDK's `isTypeOf`: by `__pulumiType`, else by `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const cls = resourceClass as { __pulumiType?: unknown; isInstance?: (o: unknown) => boolean };
    if (typeof cls.__pulumiType === "string" && cls.__pulumiType.length > 0) return type === cls.__pulumiType;
    return typeof cls.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

function options(o: Partial<PolicyResourceOptions> | undefined, parent: string | undefined): PolicyResourceOptions {
    return {
        protect: o?.protect ?? false,
        ignoreChanges: o?.ignoreChanges ?? [],
        aliases: o?.aliases ?? [],
        customTimeouts: o?.customTimeouts ?? { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: o?.additionalSecretOutputs ?? [],
        ...(o?.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: o.deleteBeforeReplace } : {}),
        ...(parent ? { parent } : {}),
    };
}

const NO_TAGS: ReadonlyMap<string, string> = new Map();

/**
 * The argument bag the SDK passes to `validateResource` (or, with `remediation`, to
 * `remediateResource`) for `r`, with `config` as the policy's configuration.
 */
export function resourceArgs(r: AnalyzedResource, opts: { remediation?: boolean; config?: Record<string, unknown> } = {}): ResourceValidationArgs {
    const props = sdkProps(r.inputs, opts.remediation ?? false);
    const args: ResourceValidationArgs = {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: options(r.options, r.parent),
        stackTags: NO_TAGS,
        isType: (cls) => isTypeOf(r.type, cls),
        asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => ({ ...(opts.config ?? {}) }) as T,
        notApplicable,
    };
    if (r.provider) args.provider = { urn: r.provider.urn, type: r.provider.type, name: r.provider.name, props: sdkProps(r.provider.inputs) };
    return args;
}

/** The argument bag the SDK passes to `validateStack` for `rs` (their outputs), with `config`. */
export function stackArgs(rs: readonly AnalyzedResource[], opts: { config?: Record<string, unknown> } = {}): StackValidationArgs {
    const byUrn = new Map<string, PolicyResource>();
    const resources = rs.map((r) => {
        const props = sdkProps(r.outputs ?? r.inputs);
        const resource: PolicyResource = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: options(r.options, r.parent),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        };
        if (r.provider) resource.provider = { urn: r.provider.urn, type: r.provider.type, name: r.provider.name, props: sdkProps(r.provider.inputs) };
        byUrn.set(r.urn, resource);
        return resource;
    });
    rs.forEach((r, i) => {
        const resource = resources[i];
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        if (parent) resource.parent = parent;
        resource.dependencies = (r.dependencies ?? []).map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
            if (urns.length === 0) continue;
            resource.propertyDependencies[k] = urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
        }
    });
    return { resources, stackTags: NO_TAGS, getConfig: <T extends object>() => ({ ...(opts.config ?? {}) }) as T, notApplicable };
}

/** A violation reported through a {@link recorder}. */
export interface Reported {
    message: string;
    urn?: string;
}

/** A `reportViolation` that records what it is given. */
export function recorder(): { report: ReportViolation; reported: Reported[] } {
    const reported: Reported[] = [];
    const report: ReportViolation = (message: string, urn?: string) => {
        reported.push(urn === undefined ? { message } : { message, urn });
    };
    return { report, reported };
}

/** One diagnostic, as the engine would print it. */
export interface Diagnostic {
    policyName: string;
    /** After the SDK's mapping: a `remediate` policy's violations are `mandatory`. */
    enforcementLevel: EnforcementLevel;
    message: string;
    /** The resource it is about (resource policies: always; stack policies: when reported). */
    urn?: string;
}

/** A remediation a policy applied. */
export interface AppliedRemediation {
    policyName: string;
    urn: string;
    /** The new inputs, wire form. */
    properties: Record<string, unknown>;
}

/** A policy that declared itself not applicable (to a resource, or to the stack). */
export interface NotApplicableResult {
    policyName: string;
    urn?: string;
    reason?: string;
}

/** Everything {@link runPack} produced. */
export interface PackRun {
    diagnostics: Diagnostic[];
    remediations: AppliedRemediation[];
    notApplicable: NotApplicableResult[];
    /** The resources as analyzed (inputs after remediations). */
    resources: AnalyzedResource[];
}

function isResourcePolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is ResourceValidationPolicy {
    return "validateResource" in p || "remediateResource" in p;
}

function levelOf(p: { name: string; enforcementLevel?: EnforcementLevel }, config: PackConfig): EnforcementLevel {
    return config[p.name]?.enforcementLevel ?? p.enforcementLevel ?? "advisory";
}

function propertiesOf(p: { name: string }, config: PackConfig): Record<string, unknown> {
    const { enforcementLevel: _level, ...rest } = config[p.name] ?? {};
    return rest;
}

/**
 * Runs `policies` over `resources` as the engine and the SDK would during a preview: for each
 * resource, every remediation (policies at level `remediate`), then every validation on the
 * remediated inputs; then every stack policy on the outputs. An `UnknownValueError` becomes the
 * SDK's advisory "can't run policy during preview" diagnostic.
 */
export async function runPack(policies: Policies, resources: readonly AnalyzedResource[], opts: { config?: PackConfig } = {}): Promise<PackRun> {
    const config = opts.config ?? {};
    const run: PackRun = { diagnostics: [], remediations: [], notApplicable: [], resources: [] };
    const resourcePolicies = policies.filter(isResourcePolicy);
    const stackPolicies = policies.filter((p): p is StackValidationPolicy => "validateStack" in p);
    const cantRun = (name: string, e: unknown, urn?: string) =>
        run.diagnostics.push({ policyName: name, enforcementLevel: "advisory", message: `can't run policy '${name}' during preview: ${(e as Error).message}`, ...(urn ? { urn } : {}) });

    for (const original of resources) {
        let r: AnalyzedResource = original;
        for (const p of resourcePolicies) {
            if (levelOf(p, config) !== "remediate" || !p.remediateResource) continue;
            try {
                const result = await p.remediateResource(resourceArgs(r, { remediation: true, config: propertiesOf(p, config) }));
                if (result) {
                    const properties = await sdkSerialize(result);
                    run.remediations.push({ policyName: p.name, urn: r.urn, properties });
                    r = { ...r, inputs: properties };
                }
            } catch (e) {
                if (e instanceof NotApplicable) run.notApplicable.push({ policyName: p.name, urn: r.urn, reason: e.reason });
                else if (isUnknownValueError(e)) cantRun(p.name, e, r.urn);
                else throw e;
            }
        }
        run.resources.push(r);
        for (const p of resourcePolicies) {
            const declared = levelOf(p, config);
            if (declared === "disabled" || !p.validateResource) continue;
            const level: EnforcementLevel = declared === "remediate" ? "mandatory" : declared;
            const report: ReportViolation = (message: string) =>
                run.diagnostics.push({ policyName: p.name, enforcementLevel: level, message: `${p.description}\n${message}`, urn: r.urn });
            for (const validate of Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource]) {
                try {
                    await validate(resourceArgs(r, { config: propertiesOf(p, config) }), report);
                } catch (e) {
                    if (e instanceof NotApplicable) run.notApplicable.push({ policyName: p.name, urn: r.urn, reason: e.reason });
                    else if (isUnknownValueError(e)) cantRun(p.name, e, r.urn);
                    else throw e;
                }
            }
        }
    }

    for (const p of stackPolicies) {
        const declared = levelOf(p, config);
        if (declared === "disabled") continue;
        const level: EnforcementLevel = declared === "remediate" ? "mandatory" : declared;
        const report: ReportViolation = (message: string, urn?: string) =>
            run.diagnostics.push({ policyName: p.name, enforcementLevel: level, message: `${p.description}\n${message}`, ...(urn ? { urn } : {}) });
        try {
            await p.validateStack(stackArgs(resources, { config: propertiesOf(p, config) }), report);
        } catch (e) {
            if (e instanceof NotApplicable) run.notApplicable.push({ policyName: p.name, reason: e.reason });
            else if (isUnknownValueError(e)) cantRun(p.name, e);
            else throw e;
        }
    }
    return run;
}
