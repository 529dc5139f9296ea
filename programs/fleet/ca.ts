/**
 * The fleet's `ca` stack (network layer): when the mesh shares a root
 * (`mesh.ca.shared`), the mesh CA, i.e. the root and one intermediate per
 * control plane (one `MeshCertificateAuthority`, as in the monolith), with
 * the root from secret config `ack-mesh:caRootCert` / `ack-mesh:caRootKey`
 * when `mesh.ca.source` is `config` (the settings `meshCaSettings` gives the
 * monolith). Empty otherwise.
 *
 * It is a stack of its own because a `StackReference` records every output
 * of the stack it reads, secrets included, in the reader's state: only the
 * primaries read this stack, so only their states hold CA keys (every
 * control plane's intermediate, not only their own), and the root key
 * stays in this stack's state. The `network` stack, which every cluster
 * stack reads, holds no CA material.
 *
 * Exports the plug-in CA material per control plane (secret) and the root
 * certificate.
 */
import * as pulumi from "@pulumi/pulumi";
import { MeshCertificateAuthority } from "../../components/meshCertificateAuthority";
import { meshCaSettings, type PlannedTopology } from "../compose";
import { fleetTopology } from "./config";
import { CA_STACK_ID } from "./layout";
import { ExportedCacerts, OUTPUTS } from "./stackRefs";

/** Whether the mesh installs `cacerts` from a shared root: `mesh.ca.shared` (resolved by the config: true with several primaries unless set). */
export function sharesRoot(planned: Pick<PlannedTopology, "config">): boolean {
    return planned.config.mesh.ca.shared;
}

/** The `ca` stack's program. Returns its outputs. */
export async function runFleetCa(): Promise<Record<string, unknown>> {
    const planned = fleetTopology(CA_STACK_ID);
    if (!sharesRoot(planned)) return {};
    const ca = new MeshCertificateAuthority("mesh-ca", { identity: planned.identity, ...meshCaSettings(planned.config) });
    return {
        [OUTPUTS.cacerts]: pulumi.secret(pulumi.output(ca.cacerts) as pulumi.Output<Record<string, ExportedCacerts>>),
        caRootCertPem: ca.rootCertPem,
    };
}
