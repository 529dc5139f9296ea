/**
 * Istio custom resources as plain objects, built by pure functions so that
 * tests can validate each one against Istio's CRD schemas. Components create
 * them with `kubernetes.apiextensions.CustomResource`.
 *
 * Shapes follow Istio 1.30's `samples/multicluster/expose-services.yaml`,
 * `expose-istiod.yaml` and the locality-failover task.
 */
import { ISTIO_CHARTS, RELEASE_NAMES, gatewaySelector } from "./istioValues";

/** A Kubernetes object: apiVersion, kind, metadata and the rest. */
export interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
}

const NETWORKING = "networking.istio.io/v1";
const SECURITY = "security.istio.io/v1";
const ISTIOD_HOST = `istiod.${ISTIO_CHARTS.namespace}.svc.cluster.local`;

/**
 * The cross-network Gateway on the east-west gateway: port 15443, TLS
 * `AUTO_PASSTHROUGH` for `*.local`, so mTLS from other networks passes
 * through by SNI to the destination workload.
 */
export function crossNetworkGateway(): K8sObject {
    return {
        apiVersion: NETWORKING,
        kind: "Gateway",
        metadata: { name: "cross-network-gateway", namespace: ISTIO_CHARTS.namespace },
        spec: {
            selector: gatewaySelector(RELEASE_NAMES.eastwest),
            servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
        },
    };
}

/** The Gateway exposing istiod (xDS 15012, webhook 15017) on the east-west gateway, for remote clusters. */
export function istiodGateway(): K8sObject {
    return {
        apiVersion: NETWORKING,
        kind: "Gateway",
        metadata: { name: "istiod-gateway", namespace: ISTIO_CHARTS.namespace },
        spec: {
            selector: gatewaySelector(RELEASE_NAMES.eastwest),
            servers: [
                { port: { name: "tls-istiod", number: 15012, protocol: "TLS" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
                { port: { name: "tls-istiodwebhook", number: 15017, protocol: "TLS" }, tls: { mode: "PASSTHROUGH" }, hosts: ["*"] },
            ],
        },
    };
}

/** The VirtualService routing the exposed istiod ports to the istiod Service (15012 → 15012, 15017 → 443). */
export function istiodVirtualService(): K8sObject {
    return {
        apiVersion: NETWORKING,
        kind: "VirtualService",
        metadata: { name: "istiod-vs", namespace: ISTIO_CHARTS.namespace },
        spec: {
            hosts: ["*"],
            gateways: ["istiod-gateway"],
            tls: [
                { match: [{ port: 15012, sniHosts: ["*"] }], route: [{ destination: { host: ISTIOD_HOST, port: { number: 15012 } } }] },
                { match: [{ port: 15017, sniHosts: ["*"] }], route: [{ destination: { host: ISTIOD_HOST, port: { number: 443 } } }] },
            ],
        },
    };
}

/** The mesh-wide PeerAuthentication (named `default` in the root namespace). */
export function meshPeerAuthentication(mode: "STRICT" | "PERMISSIVE"): K8sObject {
    return {
        apiVersion: SECURITY,
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: ISTIO_CHARTS.namespace },
        spec: { mtls: { mode } },
    };
}

/** Outlier detection that locality failover needs: without it Envoy never drops to a lower-priority locality. */
export interface OutlierDetection {
    /** Consecutive 5xx responses before an endpoint is ejected. @default 1 (failover helper) */
    consecutive5xxErrors?: number;
    /** Time between ejection sweeps, an Istio duration such as "1s". @default "1s" (failover helper) */
    interval?: string;
    /** Minimum ejection duration, e.g. "1m". @default "1m" (failover helper) */
    baseEjectionTime?: string;
    /** Largest share of endpoints that may be ejected, percent. @default Istio's (10) */
    maxEjectionPercent?: number;
}

/** Default outlier detection for failover: the values of Istio's locality-failover task. */
export const FAILOVER_OUTLIER_DETECTION: Required<Pick<OutlierDetection, "consecutive5xxErrors" | "interval" | "baseEjectionTime">> = {
    consecutive5xxErrors: 1,
    interval: "1s",
    baseEjectionTime: "1m",
};

/** Arguments of {@link localityFailoverDestinationRule}. */
export interface LocalityFailoverArgs {
    /** DestinationRule name. */
    name: string;
    /** Namespace of the rule. */
    namespace: string;
    /** Host the rule applies to, e.g. `reviews.bookinfo.svc.cluster.local` or `reviews`. */
    host: string;
    /** Failover order: when `from` has no healthy endpoints, go to `to`. At least one pair. */
    failover: { from: string; to: string }[];
    /** @default FAILOVER_OUTLIER_DETECTION */
    outlierDetection?: OutlierDetection;
    /** Subsets (e.g. one per version, `{ name: "v1", labels: { version: "v1" } }`), passed through. @default none */
    subsets?: { name: string; labels: Record<string, string> }[];
}

/**
 * A DestinationRule with locality failover: `localityLbSetting` enabled with
 * the failover pairs, and the `outlierDetection` failover requires.
 * Offered to users for their own services.
 */
export function localityFailoverDestinationRule(args: LocalityFailoverArgs): K8sObject {
    if (args.failover.length === 0) throw new Error(`localityFailoverDestinationRule(${args.name}): failover needs at least one {from, to} pair`);
    for (const f of args.failover) {
        if (f.from === f.to) throw new Error(`localityFailoverDestinationRule(${args.name}): failover from "${f.from}" to itself`);
    }
    const spec: Record<string, unknown> = {
        host: args.host,
        trafficPolicy: {
            loadBalancer: {
                simple: "ROUND_ROBIN",
                localityLbSetting: { enabled: true, failover: args.failover.map((f) => ({ from: f.from, to: f.to })) },
            },
            outlierDetection: { ...(args.outlierDetection ?? FAILOVER_OUTLIER_DETECTION) },
        },
    };
    if (args.subsets) spec.subsets = args.subsets.map((s) => ({ name: s.name, labels: { ...s.labels } }));
    return { apiVersion: NETWORKING, kind: "DestinationRule", metadata: { name: args.name, namespace: args.namespace }, spec };
}
