/**
 * The fleet's `app-bookinfo` stack: `BookinfoSplit` over every cluster,
 * each reached through a Kubernetes provider built from its stack's
 * exported kubeconfig, with the primaries' ingress gateway addresses from
 * their stacks. It runs after the `mesh` stack, so every istiod already
 * watches every cluster it must (the monolith expresses the same order with
 * `meshReady` dependencies inside one stack).
 */
import * as pulumi from "@pulumi/pulumi";
import { buildBookinfo, ingressClusters } from "../compose";
import { fleetTopology } from "./config";
import { FleetRefs, OUTPUTS } from "./stackRefs";

/** The `app-bookinfo` stack's program. Returns its outputs. */
export async function runFleetBookinfo(): Promise<Record<string, unknown>> {
    const { config, identity } = fleetTopology("app-bookinfo");
    const refs = new FleetRefs();
    const handles = Object.fromEntries(Object.keys(identity.clusters).map((c) => [c, refs.handle(identity, c, config.clusters[c].cni)]));
    const ingressAddresses = Object.fromEntries(
        ingressClusters(config, identity).map((c) => [c, refs.cluster(c).requireOutput(OUTPUTS.ingressAddress) as pulumi.Output<string>]),
    );
    const bookinfo = buildBookinfo(config, identity, handles, ingressAddresses);
    return { ...(bookinfo.productpageUrl ? { productpageUrl: bookinfo.productpageUrl } : {}) };
}
