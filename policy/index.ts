/**
 * The ack-mesh CrossGuard policy pack. Run it with a preview or an update:
 *
 *     pulumi preview --policy-pack policy
 *
 * The engine starts this module through `@pulumi/pulumi/cmd/run-policy-pack` with the pack directory
 * as working directory; `new PolicyPack` reads `./package.json` for the pack version and starts the
 * analyzer's gRPC server. Never import this module from tests: import `./policies` instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, createPolicies } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
    description: "Invariants of the ack-mesh topology (multi-cluster Istio on Alibaba Cloud ACK): disjoint VPC, vSwitch, pod and service CIDRs; no internet ingress; HA worker counts; pinned Istio charts; secret kubeconfigs and mesh secrets; deletion protection in prod.",
    displayName: "ack-mesh topology invariants",
    policies: createPolicies().all,
});
