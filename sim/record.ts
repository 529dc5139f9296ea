/**
 * What a simulation records: one {@link RecordedResource} per registration (and per read), one
 * {@link RecordedInvoke} per invoke, and the {@link SimulationResult} with its lookup helpers.
 *
 * @module
 */
import { Rec, redact } from "./values";

/** One resource registration (`new X(...)`) or read (`X.get(...)`) as the engine saw it. */
export interface RecordedResource {
  /** URN, computed like the real engine (parent type chain, stack root omitted). */
  urn: string;
  /** Type token, e.g. `alicloud:vpc/network:Network`. */
  type: string;
  /** Resource name as given to the constructor. */
  name: string;
  /** False for component resources (and the stack root). */
  custom: boolean;
  /** `register` for registrations, `read` for `X.get(...)`. */
  operation: "register" | "read";
  /** True for multi-language (remote) components. */
  remote: boolean;
  /** Cloud ID; `undefined` for components. */
  id?: string;
  /** Parent URN; `undefined` for the stack root. */
  parent?: string;
  /** Provider reference as sent, `<providerUrn>::<providerId>`; `undefined` for the default provider. */
  provider?: string;
  /** URN part of {@link RecordedResource.provider}. */
  providerUrn?: string;
  /** The request's `dependencies` (inputs' resources and `dependsOn`), sorted and de-duplicated. */
  dependencies: string[];
  /** Per-property dependencies (property -> sorted URNs). */
  propertyDependencies: Record<string, string[]>;
  /** `protect` option. */
  protect: boolean;
  /** `deleteBeforeReplace` option. */
  deleteBeforeReplace: boolean;
  /** `ignoreChanges` option. */
  ignoreChanges: string[];
  /** `additionalSecretOutputs` option (including the ones the provider SDK adds itself). */
  additionalSecretOutputs: string[];
  /** `replaceOnChanges` option. */
  replaceOnChanges: string[];
  /** `retainOnDelete` option. */
  retainOnDelete: boolean;
  /** `deletedWith` option (URN). */
  deletedWith?: string;
  /** `import` option. */
  importId?: string;
  /** Aliases: alias URNs as strings, alias specs as `{name?, type?, stack?, project?, parentUrn?, noParent?}`. */
  aliases: unknown[];
  /** `version` option (provider plugin version), if any. */
  version?: string;
  /** `customTimeouts` option, if any. */
  customTimeouts?: { create?: string; update?: string; delete?: string };
  /** `replaceWith` option (URNs). */
  replaceWith: string[];
  /** `hideDiffs` option. */
  hideDiffs: string[];
  /** Inputs as plain JS; secrets as `Secret` (nested where they occur), unknowns as `UNKNOWN`. */
  inputs: Record<string, unknown>;
  /**
   * State the simulated cloud returned (secrets as `Secret`). For components (and the stack) this is
   * what the component passed to `registerOutputs`.
   */
  outputs: Record<string, unknown>;
  /** Set when the simulated cloud rejected the operation: the error message. */
  error?: string;
}

/** One invoke (data-source call). */
export interface RecordedInvoke {
  /** Invoke token, e.g. `alicloud:cs/getClusterCredential:getClusterCredential`. */
  token: string;
  /** Arguments (plain JS; the SDK strips secretness from invoke arguments). */
  inputs: Record<string, unknown>;
  /** Provider reference, if an explicit provider was used. */
  provider?: string;
  /** Result returned by the simulated cloud (empty when it failed). */
  result: Record<string, unknown>;
  /** Set when the invoke failed: the error message. */
  error?: string;
}

/** A log message the program (or the SDK) emitted through `pulumi.log`. */
export interface RecordedLog {
  /** Severity. */
  severity: "info" | "warning" | "error";
  /** Message text. */
  message: string;
  /** URN of the resource the message is about, if any. */
  urn?: string;
}

/** Everything a simulation produced. */
export interface SimulationResult {
  /** Resource registrations in registration order (includes the `pulumi:pulumi:Stack` root, components and providers). */
  resources: RecordedResource[];
  /** Resource reads (`X.get(...)`), in order. */
  reads: RecordedResource[];
  /** Invokes in call order (the SDK-internal `pulumi:pulumi:getResource` is not recorded). */
  invokes: RecordedInvoke[];
  /** Stack outputs (what the program returned), secrets as `Secret`. */
  outputs: Record<string, unknown>;
  /** URN of the stack root resource. */
  stackUrn: string;
  /** Messages logged through `pulumi.log.info/warn/error` (debug messages are dropped). */
  logs: RecordedLog[];
  /**
   * Things the simulated cloud found suspicious but that the real cloud may accept (objects in
   * namespaces nothing creates, references to IDs the simulation did not create, default providers…).
   */
  warnings: string[];
  /** Registrations of a type, in order. */
  byType(type: string): RecordedResource[];
  /**
   * The first registration (in registration order) with this exact resource name, of any type.
   * Names are not unique across types (a component and its child may share one); use
   * {@link SimulationResult.get} when that matters.
   */
  byName(name: string): RecordedResource | undefined;
  /** The registration with this URN. */
  byUrn(urn: string): RecordedResource | undefined;
  /**
   * The registration of this type and name. Throws an error listing near matches when there is none,
   * and listing the URNs when several (under different parent types) match.
   */
  get(type: string, name: string): RecordedResource;
  /** Direct children (registrations whose parent is `urn`), in order. */
  childrenOf(urn: string): RecordedResource[];
  /** A JSON-friendly summary: `{type, name, parent, id, inputs}` per registration, secrets redacted. */
  summary(): Array<{ type: string; name: string; parent?: string; id?: string; inputs: unknown }>;
}

/** Builds the {@link SimulationResult} helpers over recorded data. */
export function makeResult(data: {
  resources: RecordedResource[];
  reads: RecordedResource[];
  invokes: RecordedInvoke[];
  outputs: Rec;
  stackUrn: string;
  logs: RecordedLog[];
  warnings: string[];
}): SimulationResult {
  const { resources } = data;
  return {
    ...data,
    byType: (type) => resources.filter((r) => r.type === type),
    byName: (name) => resources.find((r) => r.name === name),
    byUrn: (urn) => resources.find((r) => r.urn === urn),
    childrenOf: (urn) => resources.filter((r) => r.parent === urn),
    get(type, name) {
      const hits = resources.filter((r) => r.type === type && r.name === name);
      if (hits.length === 1) return hits[0];
      if (hits.length > 1) {
        throw new Error(`${hits.length} resources of type ${type} are named '${name}':\n  ${hits.map((h) => h.urn).join("\n  ")}\nuse byUrn()`);
      }
      throw new Error(`no resource ${type} named '${name}'.${nearMatches(resources, type, name)}`);
    },
    summary: () =>
      resources.map((r) => ({
        type: r.type,
        name: r.name,
        ...(r.parent ? { parent: r.parent } : {}),
        ...(r.id ? { id: r.id } : {}),
        inputs: redact(r.inputs),
      })),
  };
}

function nearMatches(resources: RecordedResource[], type: string, name: string): string {
  const lower = name.toLowerCase();
  const sameName = resources.filter((r) => r.name === name).map((r) => `${r.type} '${r.name}'`);
  const sameType = resources.filter((r) => r.type === type).map((r) => `'${r.name}'`);
  const similar = resources
    .filter((r) => r.name !== name && (r.name.toLowerCase().includes(lower) || lower.includes(r.name.toLowerCase())))
    .map((r) => `${r.type} '${r.name}'`);
  const parts: string[] = [];
  if (sameName.length) parts.push(`same name, other types: ${sameName.join(", ")}`);
  if (sameType.length) parts.push(`same type: ${sameType.slice(0, 20).join(", ")}${sameType.length > 20 ? ", …" : ""}`);
  if (similar.length) parts.push(`similar names: ${similar.slice(0, 10).join(", ")}`);
  if (parts.length === 0) return ` The simulation registered ${resources.length} resources; none is similar.`;
  return `\n  ${parts.join("\n  ")}`;
}
