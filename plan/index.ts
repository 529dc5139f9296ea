/**
 * `ack-mesh/plan`: what is decided before any resource exists: the network plan (every CIDR), the
 * mesh identity, and the image and chart sources.
 *
 * ```ts
 * import { parseAndPlanNetwork, meshIdentityFromConfig } from "ack-mesh/plan";
 * const { config, network } = parseAndPlanNetwork(raw); // throws a ConfigError listing every problem
 * const identity = meshIdentityFromConfig(config);
 * ```
 */
export { ADDRESS_PLAN, cidrTable, computeNetworkPlan, networkProblems, parseAndPlanNetwork, planNetwork, slotFromName } from "./network";
export type { ClusterNetworkPlan, NetworkPlan, VpcPlan, ZoneNetworkPlan } from "./network";
export { meshIdentityFromConfig } from "./mesh";
export { imageSourceWarnings, imageSources, istioImages, mirrorList, verifyImageWarning } from "./images";
export type { ImageSources, MirrorList } from "./images";
export {
    DEFAULT_VERIFY_REQUESTS,
    SERVICE_PATHS,
    VERIFY_CHECK_KINDS,
    VERIFY_CLIENT_IMAGE,
    VERIFY_REVISION_IGNORED_KEYS,
    expectedResponders,
    networkResponder,
    planVerification,
    responderView,
    splitTolerance,
    verificationInputFromConfig,
    verificationRevision,
    verifyOptionProblems,
} from "./verify";
export type { CallsCheck, DiscoveryCheck, FailoverCheck, IngressCheck, MtlsCheck, Responders, RoutingCheck, SkippedCheck, VerificationInput, VerificationPlan, VerifyCheck, VerifyCheckKind, VerifyOptions } from "./verify";
export { createMeshIdentity } from "../components/types";
export type { MeshIdentity } from "../components/types";
