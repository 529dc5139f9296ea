/**
 * ack-mesh components. Re-exports only.
 */
export * from "./types";
export * from "./istioValues";
export * from "./istioObjects";
export * from "./vpcWithCen";
export * from "./securityGroupPeering";
export * from "./ackCluster";
export * from "./meshCertificateAuthority";
export * from "./remoteSecret";
export * from "./istioControlPlane";
export * from "./istioRemote";
export * from "./istioMesh";
export * from "./istioRevisions";
export * from "./bookinfoSplit";
export * from "../plan/verifyScripts";
export * from "./meshVerification";
