/**
 * Mesh planning: builds the {@link MeshIdentity} from the stack config. Pure.
 */
import type { StackConfig } from "../config/load";
import { createMeshIdentity, MeshIdentity } from "../components/types";

/** The mesh identity of a stack: every cluster's name, network and control plane. */
export function meshIdentityFromConfig(config: StackConfig): MeshIdentity {
    return createMeshIdentity({
        meshId: config.mesh.id,
        trustDomain: config.mesh.trustDomain,
        clusters: Object.values(config.clusters).map((c) => ({
            clusterName: c.name,
            network: c.network,
            region: c.region,
            controlPlane: c.role === "primary",
            controlledBy: c.controlPlane,
        })),
    });
}
