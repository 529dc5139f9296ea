/**
 * Entry point of the ack-mesh Pulumi program (`main` in Pulumi.yaml).
 * Pulumi calls the exported function and uses its result as stack outputs.
 */
import { runAckMesh } from "./program";

export = runAckMesh;
