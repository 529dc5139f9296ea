/**
 * Entry point for `pulumi up` (Pulumi.yaml `main`): Pulumi calls the exported
 * function and uses its result as the stack outputs.
 */
import { consumerProgram } from "./program";

export = consumerProgram;
