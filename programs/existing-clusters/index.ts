/**
 * Entry point of the existing-clusters Pulumi program (`main` in this
 * folder's Pulumi.yaml). Pulumi calls the exported function and uses its
 * result as the stack outputs; the function itself lives in program.ts so
 * that tests can import it by name.
 */
import { runExistingClusters } from "./program";

export = runExistingClusters;
