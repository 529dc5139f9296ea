/**
 * Example: install the mesh on clusters that already exist (created by
 * another stack, by hand, or by another tool). Only the mesh layer of
 * ack-mesh is used: each cluster is a ClusterHandle built from its kubeconfig.
 *
 * Config (namespace `existing-clusters`; Pulumi.example.yaml in this folder
 * is a complete example, and docs/first-deploy.md says how to run it):
 *   mesh:      { id: mesh1 }   # the topology follows from the roles
 *   clusters:  { hz: { region: cn-hangzhou, network: network1, role: primary,
 *                      apiServerUrl: https://10.0.0.1:6443, cni: terway } , ... }
 *   kubeconfig-<cluster>: (secret) the cluster's admin kubeconfig
 *
 *   pulumi config set --secret existing-clusters:kubeconfig-hz -- "$(cat hz.kubeconfig)"
 */
import * as pulumi from "@pulumi/pulumi";
import { clusterHandleFromKubeconfig, ClusterHandle, createMeshIdentity } from "../../components/types";
import { IstioMesh } from "../../components/istioMesh";

/** One existing cluster, as configured. */
export interface ExistingCluster {
    region: string;
    network: string;
    role: "primary" | "remote";
    /** For a remote: its primary (default: the only primary). */
    controlPlane?: string;
    /** API server URL the other clusters' istiod use (intranet endpoint). */
    apiServerUrl: string;
    cni?: "terway" | "flannel";
}

/** Installs Istio on existing clusters; returns the gateway addresses. */
export function runExistingClusters(): Record<string, unknown> {
    const cfg = new pulumi.Config();
    const meshConfig = cfg.requireObject<{ id: string }>("mesh");
    const clusters = cfg.requireObject<Record<string, ExistingCluster>>("clusters");
    const primaries = Object.keys(clusters).filter((n) => clusters[n].role === "primary").sort();

    const identity = createMeshIdentity({
        meshId: meshConfig.id,
        clusters: Object.entries(clusters).map(([name, c]) => ({
            clusterName: name,
            network: c.network,
            region: c.region,
            controlPlane: c.role === "primary",
            controlledBy: c.role === "primary" ? name : (c.controlPlane ?? primaries[0]),
        })),
    });

    const handles: Record<string, ClusterHandle> = {};
    for (const [name, c] of Object.entries(clusters)) {
        handles[name] = clusterHandleFromKubeconfig(name, {
            name,
            region: c.region,
            network: c.network,
            kubeconfig: cfg.requireSecret(`kubeconfig-${name}`),
            apiServerUrl: c.apiServerUrl,
            cni: c.cni,
        });
    }

    const mesh = new IstioMesh("mesh", { identity, clusters: handles });
    return { ingressAddresses: mesh.ingressAddresses, eastWestAddresses: mesh.eastWestAddresses, remoteSecrets: mesh.remoteSecrets };
}

