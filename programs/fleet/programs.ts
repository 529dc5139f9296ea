/**
 * The Pulumi program of each fleet stack, by its layout entry: what the
 * Automation API runs inline and what the offline plan simulates.
 */
import { runFleetBookinfo } from "./bookinfo";
import { runFleetCa } from "./ca";
import { runFleetCluster } from "./cluster";
import { CA_STACK_ID, FleetStack } from "./layout";
import { runFleetMesh } from "./mesh";
import { runFleetNetwork } from "./network";
import { runFleetSecurityGroups } from "./securityGroups";

/** A Pulumi program: declares resources, returns the stack outputs. */
export type FleetProgram = () => Promise<Record<string, unknown>>;

/** The program of one fleet stack. */
export function fleetProgram(stack: FleetStack): FleetProgram {
    switch (stack.layer) {
        case "network":
            return stack.id === CA_STACK_ID ? runFleetCa : runFleetNetwork;
        case "security-groups":
            return () => runFleetSecurityGroups(stack.cluster);
        case "primaries":
        case "remotes":
            return () => runFleetCluster(stack.cluster);
        case "mesh":
            return () => runFleetMesh(stack.watcher);
        case "apps":
            return runFleetBookinfo;
    }
}
