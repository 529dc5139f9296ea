/**
 * The one shared test-support module: the simulated cloud, fixtures that turn
 * a config object into a plan, and helpers for Outputs.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { ConfigError } from "../../config/errors";
import type { StackConfig } from "../../config/load";
import { namespaceValues } from "../../config/pulumiConfig";
import { NetworkPlan, parseAndPlanNetwork } from "../../plan/network";
import { meshIdentityFromConfig } from "../../plan/mesh";
import type { MeshIdentity } from "../../components/types";

export * from "../../sim";
import { SimulationError } from "../../sim";

/** Repository root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/** Resolves an Output (or plain value) to its value. */
export function promiseOf<T>(value: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as T)));
}

/** Resolves whether an Output is secret. */
export function isSecretOutput(value: pulumi.Output<unknown>): Promise<boolean> {
    return (value as any).isSecret as Promise<boolean>;
}

/** A parsed config, its network plan and mesh identity. */
export interface Topology {
    config: StackConfig;
    network: NetworkPlan;
    identity: MeshIdentity;
}

/** Parses a raw `ack-mesh:` config object (keys without namespace) into a topology. */
export function topology(raw: Record<string, unknown>): Topology {
    const { config, network } = parseAndPlanNetwork(raw);
    return { config, network, identity: meshIdentityFromConfig(config) };
}

/** The raw `ack-mesh:` config of `stacks/Pulumi.<env>.yaml`, keys without namespace. */
export function stackRaw(env: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${env}.yaml`), "utf8"));
    return namespaceValues((doc?.config ?? {}) as Record<string, unknown>);
}

/** Environments that have a stack file. */
export function stackNames(): string[] {
    return fs
        .readdirSync(path.join(ROOT, "stacks"))
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((x): x is string => !!x)
        .sort();
}

/** A small two-region topology (one VPC per cluster, Terway, primary-remote) used across specs. */
export function twoRegionRaw(): Record<string, unknown> {
    return {
        mesh: { id: "mesh1", topology: "primary-remote" },
        clusters: {
            hz: { region: "cn-hangzhou", zones: ["cn-hangzhou-h", "cn-hangzhou-i"], role: "primary", cni: "terway", slot: 1 },
            sh: { region: "cn-shanghai", zones: ["cn-shanghai-l"], role: "remote", cni: "terway", slot: 2 },
        },
    };
}

/**
 * Awaits a simulated run that must stop on a ConfigError before any cloud or Kubernetes
 * resource is registered, and returns that error (to assert its exact problems).
 */
export async function expectConfigError(run: Promise<unknown>): Promise<ConfigError> {
    const err = await run.then(
        () => assert.fail("the run should have failed"),
        (e: unknown) => e,
    );
    assert.ok(err instanceof SimulationError, String(err));
    const ce = err.errors.find((e): e is ConfigError => ConfigError.is(e));
    assert.ok(ce, err.message);
    assert.deepEqual(
        err.result.resources.filter((r) => r.type.startsWith("alicloud:") || r.type.startsWith("kubernetes:")).map((r) => `${r.type} ${r.name}`),
        [],
        "nothing is registered",
    );
    return ce;
}
