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
    /**
     * Largest share of the endpoints that may be ejected at once, in percent.
     * @default 100 in {@link FAILOVER_OUTLIER_DETECTION}; when unset, Istio's (and Envoy's) 10
     */
    maxEjectionPercent?: number;
}

/**
 * Outlier detection of the plain and header-split rules: the values of
 * Istio's locality-failover task (istio.io "Locality failover"), with Envoy's
 * default `maxEjectionPercent` (10) left alone on purpose.
 *
 * Istio sets the Envoy panic threshold to `minHealthPercent`, 0 unless set
 * (istio@1.30.3 pilot/pkg/networking/core/cluster_traffic_policy.go,
 * `applyOutlierDetection`: `HealthyPanicThreshold`), so Envoy never falls
 * back to ejected endpoints. With 100% allowed, a subset with a single
 * endpoint (prod's reviews v2 and v3) would be ejected after one 5xx and
 * answer "no healthy upstream" for `baseEjectionTime`. With 10%, Envoy
 * ejects only while the ejected share stays within it (envoy
 * source/common/upstream/outlier_detection_impl.cc, `DetectorImpl::ejectHost`:
 * `ejected_percent <= max_ejection_percent`, counting the host about to be
 * ejected), so a pool of fewer than 10 endpoints ejects none.
 */
export const OUTLIER_DETECTION: Readonly<Required<Pick<OutlierDetection, "consecutive5xxErrors" | "interval" | "baseEjectionTime">>> = {
    consecutive5xxErrors: 1,
    interval: "1s",
    baseEjectionTime: "1m",
};

/**
 * Outlier detection for locality failover: {@link OUTLIER_DETECTION} plus
 * `maxEjectionPercent: 100`.
 *
 * Envoy ejects a host only while the share of ejected hosts, counting that
 * host, stays at or below `max_ejection_percent` (envoy
 * source/common/upstream/outlier_detection_impl.cc, `DetectorImpl::ejectHost`).
 * The rule that always let one host be ejected was removed in
 * envoyproxy/envoy#27909; Envoy's `always_eject_one_host` that brought it
 * back as an option (envoyproxy/envoy#34796) is not exposed by Istio's
 * DestinationRule. With the default 10%, a service with one endpoint per
 * locality (staging: Hangzhou and Shanghai) therefore never ejects the
 * failing one, and traffic moves to the next locality only once the failing
 * pods turn NotReady (the symptom of istio/istio#34605). With 100% every
 * failing endpoint of a locality can be ejected, and Envoy moves to the
 * failover locality.
 *
 * Not used for rules with subsets of a single endpoint: see
 * {@link OUTLIER_DETECTION}. In failover rules the other localities' endpoints
 * are the fallback.
 */
export const FAILOVER_OUTLIER_DETECTION: Readonly<Required<OutlierDetection>> = {
    ...OUTLIER_DETECTION,
    maxEjectionPercent: 100,
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
    /**
     * Outlier detection; replaces the default as a whole (no field is merged).
     * Keep `maxEjectionPercent` high enough to eject a whole locality, or
     * failover waits for pods to turn NotReady.
     * @default FAILOVER_OUTLIER_DETECTION (`maxEjectionPercent: 100`)
     */
    outlierDetection?: OutlierDetection;
    /** Subsets (e.g. one per version, `{ name: "v1", labels: { version: "v1" } }`), passed through. @default none */
    subsets?: { name: string; labels: Record<string, string> }[];
}

/**
 * A DestinationRule with locality failover: `localityLbSetting` enabled with
 * the failover pairs, and the `outlierDetection` failover requires
 * ({@link FAILOVER_OUTLIER_DETECTION}, which may eject every endpoint of a
 * locality). Offered to users for their own services.
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
