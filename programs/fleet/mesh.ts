/**
 * The fleet's `mesh` stack: only what needs every cluster at once, the
 * remote-secret matrix among primaries. Every primary's istiod reads every
 * other cluster of the mesh (primaries × (clusters − 1) remote secrets,
 * istio.io "Install Multi-Primary" / "Primary-Remote", `istioctl
 * create-remote-secret` per pair); a remote's secret in its own primary is
 * created by the remote's stack, so this stack creates the rest
 * ({@link meshStackPairs}). Each `RemoteSecret` is named as in the
 * monolith (`mesh-<watcher>-reads-<target>`) and authenticates as the
 * target's reader ServiceAccount, whose token the target's stack exports as
 * a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { namespaceConfig } from "../../config/pulumiConfig";
import { RemoteSecret } from "../../components/remoteSecret";
import type { ClusterHandle } from "../../components/types";
import { planTopology } from "../ack-mesh/program";
import { meshStackPairs } from "./layout";
import { ExportedReaderToken, FleetRefs, OUTPUTS } from "./stackRefs";

/** The `mesh` stack's program. Returns its outputs. */
export async function runFleetMesh(): Promise<Record<string, unknown>> {
    const { config, identity } = planTopology(namespaceConfig(pulumi.runtime.allConfig()));
    const refs = new FleetRefs();
    const watchers = new Map<string, ClusterHandle>();
    const watcher = (name: string): ClusterHandle => {
        let h = watchers.get(name);
        if (!h) watchers.set(name, (h = refs.handle(identity, name, config.clusters[name].cni)));
        return h;
    };
    const remoteSecrets: Record<string, string> = {};
    for (const pair of meshStackPairs(identity)) {
        const token = refs.cluster(pair.target).requireOutput(OUTPUTS.readerToken) as pulumi.Output<ExportedReaderToken>;
        const secret = new RemoteSecret(`mesh-${pair.watcher}-reads-${pair.target}`, {
            watcher: watcher(pair.watcher),
            target: {
                clusterName: pair.target,
                apiServerUrl: refs.clusterField(pair.target, "apiServerUrl"),
                token: token.apply((t) => t.token),
                caData: token.apply((t) => t.caData),
            },
        });
        remoteSecrets[`${pair.watcher}/${pair.target}`] = secret.secretName;
    }
    return { remoteSecrets };
}
