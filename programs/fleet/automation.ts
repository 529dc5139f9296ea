/**
 * The live {@link StackRunner}: each fleet stack is an inline program run
 * through the Pulumi Automation API (`@pulumi/pulumi/automation` 3.248:
 * `LocalWorkspace.createOrSelectStack({ stackName, projectName, program },
 * { workDir, projectSettings, secretsProvider, envVars })`, then
 * `Stack.up` / `preview` / `destroy` / `previewDestroy`). It needs the
 * Pulumi CLI on the PATH. Everything else the orchestrator does is in
 * `orchestrator.ts` and tested without it.
 *
 * - Project `ack-mesh-<id>`, stack `<env>`, one working directory per
 *   project under `workDir` (it keeps each stack's `Pulumi.<env>.yaml`,
 *   where the passphrase provider records its salt).
 * - Backend: `backendUrl` (`file://…`, or `s3://<bucket>?endpoint=oss-<region>.aliyuncs.com&region=<region>`
 *   for Alibaba OSS through its S3 API), set as the project's `backend.url`
 *   and as `PULUMI_BACKEND_URL`.
 * - Secrets provider: one for every stack (`passphrase`, or a KMS URL).
 * - Config: every stack gets the environment file's config, as it is (the
 *   structured `ack-mesh:*` values included). `secure:` values in that file
 *   are encrypted for the monolithic stack and unreadable here: each must
 *   be given in an environment variable ({@link secretEnvVar}) and is set as
 *   secret config of every fleet stack.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, InlineProgramArgs, LocalWorkspaceOptions, OutputMap, Stack } from "@pulumi/pulumi/automation";
import type { FleetStack } from "./layout";
import type { DeployedCluster, StackAction, StackRunner, StackRunResult } from "./orchestrator";
import { fleetProgram } from "./programs";
import { NetworkClusterOutputs, OUTPUTS } from "./stackRefs";

/** Settings of the live runner. */
export interface AutomationSettings {
    /** Environment: the stack name of every fleet stack. */
    env: string;
    /** The environment file's config by full key, `secure:` values left out. */
    config: Record<string, unknown>;
    /** Plaintext of the file's `secure:` keys, by full key (from {@link secretEnvVar}). */
    secrets: Record<string, string>;
    /** State backend URL. */
    backendUrl: string;
    /** Secrets provider of every stack: `passphrase` or a KMS URL. */
    secretsProvider: string;
    /** Directory holding one working directory per project. */
    workDir: string;
    /** Engine output lines, per stack. */
    onOutput?: (stack: FleetStack, text: string) => void;
}

/** The Automation API entry point the runner uses (a parameter so tests can pass a fake). */
export type CreateOrSelectStack = (args: InlineProgramArgs, opts: LocalWorkspaceOptions) => Promise<Stack>;

/** Environment variable holding the plaintext of secure config key `key`: `ack-mesh:caRootKey` → `ACK_MESH_CAROOTKEY`. */
export function secretEnvVar(key: string): string {
    return key.replace(/[^A-Za-z0-9]/g, "_").toUpperCase();
}

/**
 * The plaintext of every secure key, from the environment.
 * @throws Error naming every missing variable
 */
export function secretsFromEnv(keys: ReadonlyArray<string>, env: NodeJS.ProcessEnv, file: string): Record<string, string> {
    const missing = keys.filter((k) => env[secretEnvVar(k)] === undefined);
    if (missing.length) {
        throw new Error(
            `${file} has secure values encrypted for the monolithic stack, which the fleet's stacks cannot decrypt: ` +
                missing.map((k) => `${k} (set ${secretEnvVar(k)})`).join(", ") +
                "; export each as an environment variable and the orchestrator sets it as secret config of every fleet stack",
        );
    }
    return Object.fromEntries(keys.map((k) => [k, env[secretEnvVar(k)]!]));
}

/** Plain values of an Automation API output map. */
function plainOutputs(outputs: OutputMap): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

/** The live runner, plus a reader of the clusters the `network` stack last exported. */
export function automationRunner(settings: AutomationSettings, createOrSelectStack: CreateOrSelectStack = (a, o) => LocalWorkspace.createOrSelectStack(a, o)): StackRunner & {
    deployedClusters(network: FleetStack): Promise<DeployedCluster[] | undefined>;
} {
    const open = async (stack: FleetStack): Promise<Stack> => {
        const workDir = path.join(settings.workDir, stack.project);
        fs.mkdirSync(workDir, { recursive: true });
        const s = await createOrSelectStack(
            { stackName: settings.env, projectName: stack.project, program: fleetProgram(stack) },
            {
                workDir,
                projectSettings: { name: stack.project, runtime: "nodejs", backend: { url: settings.backendUrl } },
                secretsProvider: settings.secretsProvider,
                envVars: { PULUMI_BACKEND_URL: settings.backendUrl },
            },
        );
        // Keep what the workspace holds (the secrets provider's salt or key), replace the config.
        const current = await s.workspace.stackSettings(settings.env);
        await s.workspace.saveStackSettings(settings.env, { ...current, config: { ...settings.config } });
        for (const [key, value] of Object.entries(settings.secrets)) await s.setConfig(key, { value, secret: true });
        return s;
    };
    const onOutput = (stack: FleetStack) => (text: string) => settings.onOutput?.(stack, text);
    return {
        async run(stack: FleetStack, action: StackAction): Promise<StackRunResult> {
            const s = await open(stack);
            switch (action) {
                case "up": {
                    const r = await s.up({ onOutput: onOutput(stack) });
                    return { outputs: plainOutputs(r.outputs), changes: r.summary.resourceChanges ?? {} };
                }
                case "preview": {
                    const r = await s.preview({ onOutput: onOutput(stack) });
                    return { changes: r.changeSummary };
                }
                case "destroy": {
                    const r = await s.destroy({ onOutput: onOutput(stack) });
                    return { changes: r.summary.resourceChanges ?? {} };
                }
                case "preview-destroy": {
                    const r = await s.previewDestroy({ onOutput: onOutput(stack) });
                    return { changes: r.changeSummary };
                }
            }
        },
        async deployedClusters(network: FleetStack): Promise<DeployedCluster[] | undefined> {
            const outputs = await (await open(network)).outputs();
            const clusters = outputs[OUTPUTS.clusters]?.value as Record<string, NetworkClusterOutputs> | undefined;
            if (clusters === undefined) return undefined;
            return Object.entries(clusters).map(([name, c]) => ({ name, role: c.role }));
        },
    };
}
