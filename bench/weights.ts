/**
 * Reference creation times (minutes) per resource type, used to turn the recorded dependency
 * graph into a simulated `pulumi up` duration. Every number, its basis and its sources are
 * listed in `bench/README.md` (same order); keep the two in sync.
 *
 * These are typical *creation* times of a healthy region, not timeouts. Where no published
 * measurement exists the value is an estimate and says so (`basis: "estimate"`); timeouts are
 * quoted only as upper bounds.
 *
 * Components (`ack-mesh:*`), the stack root and providers take no time of their own (weight 0):
 * a component is done when its children are, and configuring a provider is local.
 *
 * @module
 */
import type { DependencyGraph, GraphNode } from "../sim";

/** How a reference time was obtained. */
export type Basis = "measured" | "documented" | "estimate" | "local";

/** One reference time. */
export interface ReferenceTime {
    /** Minutes. */
    readonly minutes: number;
    /** Where the number comes from. */
    readonly basis: Basis;
    /** Short note (the README has the full sources). */
    readonly note: string;
}

const S = (seconds: number) => seconds / 60;

/** Reference creation times of custom resource types, by type token. */
export const REFERENCE_TIMES: Readonly<Record<string, ReferenceTime>> = {
    // ACK
    "alicloud:cs/managedKubernetes:ManagedKubernetes": { minutes: 10, basis: "measured", note: "9m1s in a terraform apply log; ACK Edge API docs: 10–20 min to initialize" },
    "alicloud:cs/nodePool:NodePool": { minutes: 5, basis: "documented", note: "node scale-out typically 5–10 min (ENS ScaleClusterNodePool docs); ECS boot + kubelet join" },
    // VPC / ECS
    "alicloud:vpc/network:Network": { minutes: S(7), basis: "measured", note: "6–8 s in terraform apply logs" },
    "alicloud:vpc/switch:Switch": { minutes: S(8), basis: "measured", note: "7–8 s in terraform apply logs" },
    "alicloud:ecs/securityGroup:SecurityGroup": { minutes: S(5), basis: "estimate", note: "synchronous API, no waiter: seconds" },
    "alicloud:ecs/securityGroupRule:SecurityGroupRule": { minutes: S(3), basis: "estimate", note: "synchronous API, no waiter: seconds" },
    // Internet egress of a VPC
    "alicloud:vpc/natGateway:NatGateway": { minutes: 1, basis: "estimate", note: "async until Available; provider create timeout 10 min" },
    "alicloud:ecs/eipAddress:EipAddress": { minutes: S(10), basis: "estimate", note: "async until Available: seconds" },
    "alicloud:ecs/eipAssociation:EipAssociation": { minutes: S(10), basis: "estimate", note: "async until InUse: seconds" },
    "alicloud:vpc/snatEntry:SnatEntry": { minutes: S(10), basis: "estimate", note: "async until Available: seconds" },
    // CEN / transit routers
    "alicloud:cen/instance:Instance": { minutes: S(15), basis: "measured", note: "create+destroy acceptance test 10.5 s" },
    "alicloud:cen/transitRouter:TransitRouter": { minutes: 1, basis: "estimate", note: "async until Active; provider create timeout 3 min" },
    "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable": { minutes: 0.5, basis: "estimate", note: "async until Active; provider create timeout 3 min" },
    "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment": { minutes: 2, basis: "measured", note: "whole acceptance test (prereqs, create, delete) 147–158 s; create timeout 3–5 min" },
    "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment": { minutes: 2, basis: "estimate", note: "async Attaching→Attached; provider create timeout 3 min" },
    "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation": { minutes: 0.5, basis: "estimate", note: "async until Active; provider create timeout 5 min" },
    "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation": { minutes: 0.5, basis: "estimate", note: "async until Active; provider create timeout 5 min" },
    // Kubernetes objects (Pulumi await logic)
    "kubernetes:core/v1:Namespace": { minutes: S(3), basis: "estimate", note: "one API call" },
    "kubernetes:core/v1:ServiceAccount": { minutes: S(3), basis: "estimate", note: "one API call" },
    "kubernetes:core/v1:Secret": { minutes: S(5), basis: "estimate", note: "one API call; reader tokens wait for the token controller (seconds)" },
    "kubernetes:core/v1:Service": { minutes: S(15), basis: "documented", note: "Pulumi awaits endpoints and then 10 s for stragglers" },
    "kubernetes:apps/v1:Deployment": { minutes: 1, basis: "estimate", note: "image pull + readiness; Pulumi awaits Available (timeout 10 min)" },
    "kubernetes:networking.istio.io/v1:Gateway": { minutes: S(3), basis: "estimate", note: "one API call (CR, no await)" },
    "kubernetes:networking.istio.io/v1:VirtualService": { minutes: S(3), basis: "estimate", note: "one API call (CR, no await)" },
    "kubernetes:networking.istio.io/v1:DestinationRule": { minutes: S(3), basis: "estimate", note: "one API call (CR, no await)" },
    "kubernetes:security.istio.io/v1:PeerAuthentication": { minutes: S(3), basis: "estimate", note: "one API call (CR, no await)" },
    // Helm releases: see RELEASE_TIMES (the type alone does not say what the chart runs).
    "kubernetes:helm.sh/v3:Release": { minutes: 1.5, basis: "estimate", note: "see RELEASE_TIMES" },
    // Local computations.
    "tls:index/privateKey:PrivateKey": { minutes: 0, basis: "local", note: "key generation on the machine running pulumi" },
    "tls:index/selfSignedCert:SelfSignedCert": { minutes: 0, basis: "local", note: "local" },
    "tls:index/certRequest:CertRequest": { minutes: 0, basis: "local", note: "local" },
    "tls:index/locallySignedCert:LocallySignedCert": { minutes: 0, basis: "local", note: "local" },
};

/**
 * Helm releases by role (the name suffix the components give them). All are installed with
 * `skipAwait: false`, i.e. Helm waits for the chart's Deployments and LoadBalancer Services;
 * Pulumi's default release timeout is 300 s, an upper bound.
 */
export const RELEASE_TIMES: Readonly<Record<string, ReferenceTime>> = {
    base: { minutes: 0.5, basis: "estimate", note: "CRDs and cluster roles only, no pods" },
    istiod: { minutes: 1.5, basis: "estimate", note: "istiod Deployment (image pull, readiness, webhook)" },
    "istiod-remote": { minutes: 0.5, basis: "estimate", note: "profile remote: webhooks and reader RBAC, no istiod pod" },
    ingress: { minutes: 2, basis: "estimate", note: "gateway Deployment + internet SLB provisioned by the CCM" },
    eastwest: { minutes: 2, basis: "estimate", note: "gateway Deployment + intranet SLB provisioned by the CCM" },
};

/** Reads (`X.get`): one API call. */
export const READ_TIME: ReferenceTime = { minutes: S(3), basis: "estimate", note: "one API call" };

/** Used for a custom type missing from the table (reported as `unknownTypes`; the tests keep it empty). */
export const UNKNOWN_TIME: ReferenceTime = { minutes: 0.5, basis: "estimate", note: "no reference time for this type" };

const ISTIO_REMOTE = "ack-mesh:mesh:IstioRemote";

/** The Helm release role of a node, from its name suffix (and, for istiod, its parent component). */
export function releaseRole(node: GraphNode, graph?: DependencyGraph): keyof typeof RELEASE_TIMES | undefined {
    const m = /-(base|istiod|ingress|eastwest)$/.exec(node.name);
    if (!m) return undefined;
    const role = m[1] as keyof typeof RELEASE_TIMES;
    if (role === "istiod" && graph && node.parent && graph.nodes.get(node.parent)?.type === ISTIO_REMOTE) return "istiod-remote";
    return role;
}

/** The reference time of one node, or `undefined` when its type is not in the table. */
export function referenceTime(node: GraphNode, graph?: DependencyGraph): ReferenceTime | undefined {
    if (node.kind === "component" || node.kind === "stack" || node.kind === "provider") return { minutes: 0, basis: "local", note: "no work of its own" };
    if (node.kind === "read") return READ_TIME;
    if (node.type === "kubernetes:helm.sh/v3:Release") {
        const role = releaseRole(node, graph);
        return role ? RELEASE_TIMES[role] : REFERENCE_TIMES[node.type];
    }
    return REFERENCE_TIMES[node.type];
}

/**
 * The weight function for `criticalPath`: reference minutes per node. Types missing from the
 * table get {@link UNKNOWN_TIME} and are added to `unknown` (when given).
 */
export function referenceWeight(graph: DependencyGraph, unknown?: Set<string>): (node: GraphNode) => number {
    return (node) => {
        const t = referenceTime(node, graph);
        if (t) return t.minutes;
        unknown?.add(node.type);
        return UNKNOWN_TIME.minutes;
    };
}
