/**
 * Every pinned default of ack-mesh, in one place. Each is overridable in the
 * stack configuration; none is read from global state.
 */
export const DEFAULTS = {
    /**
     * Istio release installed by the official Helm charts (`base`, `istiod`,
     * `gateway`). Pinned: chart values keys differ between minors. Override
     * with `mesh.istioVersion`.
     */
    istioVersion: "1.30.3",
    /** Official Istio Helm repository (outside China). */
    istioHelmRepository: "https://istio-release.storage.googleapis.com/charts",
    /** Hub of the images in the released Istio charts (`global.hub` of the istiod chart package; outside China). */
    istioHub: "docker.io/istio",
    /** Registry of the upstream Bookinfo images (outside China). */
    bookinfoRegistry: "registry.istio.io/release",
    /** ACK managed cluster edition (`clusterSpec`): the Pro edition has an SLA. */
    clusterSpec: "ack.pro.small",
    /** kube-proxy mode (`proxyMode`, ForceNew). */
    proxyMode: "ipvs",
    /**
     * Worker instance types tried in order (`cs.NodePool.instanceTypes`):
     * 4 vCPU / 8-16 GiB, enough for istiod, two gateways and Bookinfo.
     * Availability differs per zone; list several.
     */
    instanceTypes: ["ecs.g7.xlarge", "ecs.g6.xlarge", "ecs.c7.xlarge"],
    /** Workers per node pool. Istio's control plane and gateways want ≥ 3 for HA. */
    nodePoolSize: 3,
    /** The fewest workers a cluster may have without `allowFewerThanThreeWorkers`. */
    minWorkers: 3,
    /** System disk category of workers (TF enum, snake_case). */
    systemDiskCategory: "cloud_essd",
    /** System disk size of workers, GiB. */
    systemDiskSizeGb: 120,
    /** Flannel per-node pod subnet mask (`nodeCidrMask`, ForceNew): /24 → ≤ 255 pods per node. */
    nodeCidrMask: 24,
    /** Mesh trust domain. */
    trustDomain: "cluster.local",
    /** Network name of a flat (single-network) mesh. */
    flatNetworkName: "network1",
    /** Bookinfo sample image tag (`registry.istio.io/release/examples-bookinfo-*`). */
    bookinfoTag: "1.20.3",
    /** CEN cross-region bandwidth, Mbps, for the transit router peer attachments. */
    cenBandwidthMbps: 10,
    /**
     * Rules one ECS security group can hold, inbound and outbound together:
     * "The total number of outbound and inbound rules in each security group
     * cannot exceed 200" (ECS AuthorizeSecurityGroup API reference).
     */
    maxRulesPerSecurityGroup: 200,
    /** Requests per verification traffic check (K); plan/verify.ts `splitTolerance` says why 200. */
    verifyRequests: 200,
} as const;
