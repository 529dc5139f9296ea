/**
 * The live {@link StackRunner}: each fleet stack is an inline program run
 * through the Pulumi Automation API (`@pulumi/pulumi/automation` 3.248:
 * `LocalWorkspace.createOrSelectStack({ stackName, projectName, program },
 * { workDir, projectSettings, secretsProvider, envVars })` for `up`,
 * `LocalWorkspace.selectStack` for everything else, so a preview, a destroy
 * or reading outputs never creates a stack in the backend (a stack that
 * does not exist is `StackNotFoundError`, automation/errors.js), then
 * `Stack.up` / `preview` / `destroy` / `previewDestroy`). It needs the
 * Pulumi CLI on the PATH. Everything else the orchestrator does is in
 * `orchestrator.ts` and tested without it.
 *
 * - Project `ack-mesh-<id>`, stack `<env>`, one working directory per
 *   project under `workDir`: a local cache of each stack's `Pulumi.<env>.yaml`
 *   (the config, rewritten before every run, and the secrets provider's salt
 *   or data key); a missing one is recreated.
 * - Backend: `backendUrl` (`file://…`, or `s3://<bucket>?endpoint=oss-<region>.aliyuncs.com&region=<region>`
 *   for Alibaba OSS through its S3 API), set as the project's `backend.url`
 *   and as `PULUMI_BACKEND_URL`.
 * - Secrets provider: one for every stack (`passphrase`, or a KMS URL).
 * - Config: every stack gets the environment file's config, as it is (the
 *   structured `ack-mesh:*` values included), minus the root CA's secret
 *   config, which only the `ca` stack gets (`configForStack`). `secure:`
 *   values in that file are encrypted for the monolithic stack and
 *   unreadable here: each must be given in an environment variable
 *   ({@link secretEnvVar}) and is set as secret config of the stacks that read it.
 */
import { ConfigError } from "../../config/errors";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, InlineProgramArgs, LocalWorkspaceOptions, OutputMap, Stack, StackNotFoundError, StackSettings } from "@pulumi/pulumi/automation";
import { configForStack, deployedClusterStack, FleetStack } from "./layout";
import type { DeployedCluster, StackAction, StackRunner, StackRunResult } from "./orchestrator";
import { fleetProgram } from "./programs";
import { ClusterStackOutputs, NetworkClusterOutputs, OUTPUTS } from "./stackRefs";

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

/**
 * How the runner opens a stack: `create-or-select` (`LocalWorkspace.createOrSelectStack`,
 * for `up`) or `select` (`LocalWorkspace.selectStack`, for everything that must not create a
 * stack in the backend: previews, destroys, reading outputs). A parameter so tests can pass a fake.
 */
export type OpenStack = (args: InlineProgramArgs, opts: LocalWorkspaceOptions, mode: "create-or-select" | "select") => Promise<Stack>;

/** The live {@link OpenStack}. */
export const openLiveStack: OpenStack = (args, opts, mode) => (mode === "select" ? LocalWorkspace.selectStack(args, opts) : LocalWorkspace.createOrSelectStack(args, opts));

/** Whether a stack exists in the backend and has outputs (what its readers need). */
export type StackState = "absent" | "empty" | "deployed";

/** Environment variable holding the plaintext of secure config key `key`: `ack-mesh:caRootKey` → `ACK_MESH_CAROOTKEY`. */
export function secretEnvVar(key: string): string {
    return key.replace(/[^A-Za-z0-9]/g, "_").toUpperCase();
}

/**
 * The plaintext of every secure key, from the environment.
 * @throws ConfigError naming every missing variable (the orchestrator exits 2)
 */
export function secretsFromEnv(keys: ReadonlyArray<string>, env: NodeJS.ProcessEnv, file: string): Record<string, string> {
    const missing = keys.filter((k) => env[secretEnvVar(k)] === undefined);
    if (missing.length) {
        throw new ConfigError(
            missing.map((k) => ({
                path: k,
                message: `is a secure value of ${file}, encrypted for the monolithic stack, which the fleet's stacks cannot decrypt`,
                fix: `export it as ${secretEnvVar(k)}; the orchestrator sets it as secret config of the fleet stacks that read it`,
            })),
            "The fleet needs the environment file's secure values from the environment",
        );
    }
    return Object.fromEntries(keys.map((k) => [k, env[secretEnvVar(k)]!]));
}

/** Plain values of an Automation API output map. */
function plainOutputs(outputs: OutputMap): Record<string, unknown> {
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

/**
 * The stack's settings in its working directory, or none: a working
 * directory is a local cache, and a stack that exists in the backend may
 * have none here (another machine created it, or `.fleet` was removed);
 * `LocalWorkspace.stackSettings` then throws "failed to find stack settings
 * file" (@pulumi/pulumi 3.248 automation/localWorkspace.js).
 */
async function settingsOrNone(s: Stack, env: string): Promise<StackSettings> {
    try {
        return await s.workspace.stackSettings(env);
    } catch (e) {
        if (e instanceof Error && e.message.startsWith("failed to find stack settings file")) return {};
        throw e;
    }
}

/** The live runner, plus readers of what the backend holds (none of them creates a stack). */
export function automationRunner(
    settings: AutomationSettings,
    openStack: OpenStack = openLiveStack,
): StackRunner & {
    /**
     * The clusters the `network` stack last exported, each with the role and
     * primary its own `cluster-<name>` stack last deployed (what its Istio
     * runs), else the network's; undefined when the network stack does not
     * exist or exports none.
     */
    deployedClusters(network: FleetStack): Promise<DeployedCluster[] | undefined>;
    /** The state of each stack in the backend, by id. */
    stackStates(stacks: ReadonlyArray<FleetStack>): Promise<Map<string, StackState>>;
} {
    const select = async (stack: FleetStack, mode: "create-or-select" | "select"): Promise<Stack | undefined> => {
        const workDir = path.join(settings.workDir, stack.project);
        fs.mkdirSync(workDir, { recursive: true });
        try {
            return await openStack(
                { stackName: settings.env, projectName: stack.project, program: fleetProgram(stack) },
                {
                    workDir,
                    projectSettings: { name: stack.project, runtime: "nodejs", backend: { url: settings.backendUrl } },
                    secretsProvider: settings.secretsProvider,
                    envVars: { PULUMI_BACKEND_URL: settings.backendUrl },
                },
                mode,
            );
        } catch (e) {
            if (mode === "select" && e instanceof StackNotFoundError) return undefined;
            throw e;
        }
    };
    /** Opens the stack and writes its config: the environment's, minus what it does not read ({@link configForStack}). */
    const open = async (stack: FleetStack, mode: "create-or-select" | "select"): Promise<Stack | undefined> => {
        const s = await select(stack, mode);
        if (!s) return undefined;
        const own = configForStack(stack, settings.config);
        // The stack's id only: the orchestrator's own keys (KEEP_DEPLOYED_CONFIG_KEY) are plain config.
        const secrets = configForStack({ id: stack.id }, settings.secrets).config;
        // Keep what the workspace holds (the secrets provider's salt or key), replace the config.
        const current = await settingsOrNone(s, settings.env);
        await s.workspace.saveStackSettings(settings.env, { ...current, config: { ...(own.config as StackSettings["config"]) } });
        for (const [key, value] of Object.entries(secrets)) await s.setConfig(key, { value, secret: true });
        return s;
    };
    const onOutput = (stack: FleetStack) => (text: string) => settings.onOutput?.(stack, text);
    return {
        async run(stack: FleetStack, action: StackAction): Promise<StackRunResult> {
            const s = await open(stack, action === "up" ? "create-or-select" : "select");
            if (!s) {
                // Nothing to destroy; a preview of a stack that does not exist is left out by the caller (previewable).
                if (action === "destroy" || action === "preview-destroy") return { changes: {} };
                throw new Error(`${stack.project}/${settings.env} does not exist in the backend: up creates it (a preview does not)`);
            }
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
            const s = await select(network, "select");
            if (!s) return undefined;
            const outputs = await s.outputs();
            const clusters = outputs[OUTPUTS.clusters]?.value as Record<string, NetworkClusterOutputs> | undefined;
            if (clusters === undefined) return undefined;
            // The network stack runs first and records the configured roles at once; a cluster stack records its
            // own only once it has switched. An up that failed in between must still see the old roles running.
            const deployed: DeployedCluster[] = [];
            for (const [name, c] of Object.entries(clusters)) {
                const own = await select(deployedClusterStack({ name, role: c.role, controlledBy: c.controlledBy }), "select");
                const ran = own ? ((await own.outputs())[OUTPUTS.cluster]?.value as Partial<ClusterStackOutputs> | undefined) : undefined;
                const role = ran?.role ?? c.role;
                const controlledBy = ran?.role ? ran.controlledBy : c.controlledBy;
                deployed.push({ name, role, ...(controlledBy ? { controlledBy } : {}) });
            }
            return deployed;
        },
        async stackStates(stacks: ReadonlyArray<FleetStack>): Promise<Map<string, StackState>> {
            const states = new Map<string, StackState>();
            for (const stack of stacks) {
                const s = await select(stack, "select");
                states.set(stack.id, !s ? "absent" : Object.keys(await s.outputs()).length ? "deployed" : "empty");
            }
            return states;
        },
    };
}
