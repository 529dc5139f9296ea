/**
 * The fleet's `mesh-<primary>` stacks: the remote-secret matrix among
 * primaries, one stack per watching primary. Every primary's istiod reads
 * every other cluster of the mesh (primaries × (clusters − 1) remote
 * secrets, istio.io "Install Multi-Primary" / "Primary-Remote", `istioctl
 * create-remote-secret` per pair, applied in the cluster that runs istiod);
 * a remote's secret in its own primary is created by the remote's stack, so
 * the mesh stack of primary P creates P's other secrets
 * ({@link meshStackPairs}`(identity, P)`). Each `RemoteSecret` is named as in the
 * monolith (`mesh-<watcher>-reads-<target>`) and authenticates as the
 * target's reader ServiceAccount, whose token the target's stack exports as
 * a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/errors";
import { RemoteSecret } from "../../components/remoteSecret";
import type { ClusterHandle } from "../../components/types";
import { fleetTopology } from "./config";
import { meshStackId, meshStackPairs } from "./layout";
import { FleetRefs } from "./stackRefs";

/** The `mesh-<watcher>` stack's program. Returns its outputs. */
export async function runFleetMesh(watcher: string): Promise<Record<string, unknown>> {
    const { config, identity } = fleetTopology(meshStackId(watcher));
    if (!identity.controlPlanes.includes(watcher)) {
        throw new ConfigError(
            [{ path: `clusters.${watcher}`, message: "is not a primary of this environment's config", fix: `destroy the mesh stack of a removed primary (npm run fleet -- up ${pulumi.getStack()} does, before its cluster stack)` }],
            `No primary "${watcher}"`,
        );
    }
    const refs = new FleetRefs();
    const pairs = meshStackPairs(identity, watcher);
    // The watcher's provider only when there is something to put in it.
    const handle: ClusterHandle | undefined = pairs.length ? refs.handle(identity, watcher, config.clusters[watcher].cni) : undefined;
    const remoteSecrets: Record<string, string> = {};
    for (const pair of pairs) {
        const secret = new RemoteSecret(`mesh-${pair.watcher}-reads-${pair.target}`, { watcher: handle!, target: refs.remoteSecretTarget(pair.target) });
        remoteSecrets[`${pair.watcher}/${pair.target}`] = secret.secretName;
    }
    return { remoteSecrets };
}
