/**
 * The stack configuration model: what a user writes under the `ack-mesh:`
 * namespace of `stacks/Pulumi.<env>.yaml`. Parsed with zod; every object is
 * strict, so an unknown (misspelt) key is an error rather than silently
 * ignored.
 *
 * Top-level config keys (each is its own Pulumi config key):
 * `ack-mesh:mesh`, `ack-mesh:clusters`, `ack-mesh:vpcs`, `ack-mesh:cen`,
 * `ack-mesh:securityGroups`, `ack-mesh:images`, `ack-mesh:bookinfo`,
 * `ack-mesh:verify`, `ack-mesh:protect`.
 */
import { z } from "zod";
import { DEFAULTS } from "./defaults";
import { registryPathProblem } from "./registry";

// The plain constants live in ./constants (no zod in the components' type declarations); re-exported here.
export { BOOKINFO_ROUTINGS, BOOKINFO_WORKLOADS, DNS_LABEL, KEY_PAIR_NAME, KEY_PAIR_NAME_FIX, MESH_TOPOLOGIES, REGION_ID, isKeyPairName } from "./constants";
export type { BookinfoRouting, BookinfoWorkload, MeshTopologyName } from "./constants";
import { BOOKINFO_ROUTINGS, BOOKINFO_WORKLOADS, DNS_LABEL, MESH_TOPOLOGIES, REGION_ID } from "./constants";

const cidr = z.string();
const dnsLabel = z.string().max(63).regex(DNS_LABEL, { message: "must be a DNS-1123 label" });

/** Pinned CIDRs of one cluster. Each one overrides the planner. */
export const clusterCidrsSchema = z.strictObject({
    /** VPC CIDR (only for a cluster with its own VPC; a shared VPC pins `vpcs.<name>.cidr`). Updatable in place. */
    vpc: cidr.optional(),
    /** Node vSwitch CIDR per zone id. ForceNew on the vSwitch. */
    vswitches: z.record(z.string(), cidr).optional(),
    /** Terway pod vSwitch CIDR per zone id. ForceNew on the vSwitch. */
    podVswitches: z.record(z.string(), cidr).optional(),
    /** Flannel pod CIDR. ForceNew: changing it replaces the cluster. */
    pod: cidr.optional(),
    /** Service CIDR. ForceNew: changing it replaces the cluster. */
    service: cidr.optional(),
    /** Flannel per-node pod subnet mask, 24..28. ForceNew. */
    nodeCidrMask: z.number().int().optional(),
});

/** One worker node pool. */
export const nodePoolSchema = z.strictObject({
    /** ECS instance types, tried in order. */
    instanceTypes: z.array(z.string().min(1)).min(1).max(10).default([...DEFAULTS.instanceTypes]),
    /** Desired number of workers. */
    size: z.number().int().min(0).max(1000).default(DEFAULTS.nodePoolSize),
    /** System disk category (TF enum). */
    systemDiskCategory: z
        .enum(["cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud"])
        .default(DEFAULTS.systemDiskCategory),
    /** System disk size, GiB. */
    systemDiskSizeGb: z.number().int().min(20).max(2048).default(DEFAULTS.systemDiskSizeGb),
    /** Zones (subset of the cluster's zones) the pool spans; default all of them. */
    zones: z.array(z.string()).min(1).optional(),
    /**
     * ECS key pair for SSH login to the workers (`cs.NodePool.keyName`); checked in `load.ts`.
     * Unset: the workers get no login credential (see `NodePoolArgs.keyName`).
     */
    keyName: z.string().optional(),
});

/** One ACK cluster, keyed in `clusters` by its stable name (a DNS-1123 label). */
export const clusterSchema = z.strictObject({
    /** ACK cluster display name (`cs.ManagedKubernetes.name`), unique per account; default: the key. */
    displayName: z.string().min(1).max(63).optional(),
    /** Region id, e.g. `cn-hangzhou`. */
    region: z.string().regex(REGION_ID, { message: "must be an Alibaba region id such as cn-hangzhou" }),
    /** Zones the cluster's vSwitches live in, e.g. `[cn-hangzhou-h, cn-hangzhou-i]` (1..5). */
    zones: z.array(z.string()).min(1).max(5),
    /** `primary` runs istiod; `remote` is controlled by a primary. */
    role: z.enum(["primary", "remote"]),
    /**
     * For a remote: the primary that controls it (injects its pods and serves
     * its xDS). Required when the mesh has several primaries
     * (`multi-primary-remote`). Default: the only primary of the mesh.
     * Changing it moves the remote's istiod to another primary.
     */
    controlPlane: z.string().optional(),
    /** Mesh network name. Default: derived from `mesh.networks`. */
    network: dnsLabel.optional(),
    /** Container network plugin; fixed at creation. Terway pod IPs are routable across CEN, Flannel's are not. */
    cni: z.enum(["terway", "flannel"]),
    /**
     * ACK Kubernetes version, e.g. `1.36.1-aliyun.1`. Unset (the default): a
     * new cluster gets the newest version ACK offers in its region, asked
     * during preview (`cs.getKubernetesVersion`), and an existing cluster
     * keeps the version it runs (later ACK releases never upgrade it). Set
     * it to pin a version, or raise it to upgrade on purpose (in place;
     * downgrades are not possible). The preflight checks it against what
     * ACK offers.
     */
    kubernetesVersion: z.string().min(1).optional(),
    /** ACK edition. */
    clusterSpec: z
        .enum(["ack.standard", "ack.pro.small", "ack.pro.xlarge", "ack.pro.2xlarge", "ack.pro.4xlarge"])
        .default(DEFAULTS.clusterSpec),
    /** kube-proxy mode; ForceNew. */
    proxyMode: z.enum(["iptables", "ipvs", "nftables"]).default(DEFAULTS.proxyMode),
    /** Name of a shared VPC in `vpcs`; default: the cluster gets its own VPC. */
    vpc: z.string().optional(),
    /** Address-plan slot, 0..127. Default: derived from the cluster name. */
    slot: z.number().int().optional(),
    /** Pinned CIDRs. */
    cidrs: clusterCidrsSchema.optional(),
    /** Worker node pools keyed by pool name. */
    nodePools: z.record(z.string(), nodePoolSchema).optional(),
    /** Allow fewer than 3 workers in total (dev only). */
    allowFewerThanThreeWorkers: z.boolean().default(false),
    /** API server exposure. */
    apiServer: z
        .strictObject({
            /**
             * Public (internet) API endpoint. Must stay true when `pulumi up`
             * runs outside the VPC: the kubeconfig from `getClusterCredential`
             * points at the public endpoint. Create-only.
             */
            public: z.boolean().default(true),
        })
        .default({ public: true }),
    /** ACK deletion protection. */
    deletionProtection: z.boolean().default(true),
    /** Install an ingress gateway on a public SLB (control planes only). Default: true on primaries. */
    ingressGateway: z.boolean().optional(),
    /** Extra tags for the cluster's cloud resources. */
    tags: z.record(z.string(), z.string()).optional(),
});

/** A VPC shared by several clusters. */
export const vpcSchema = z.strictObject({
    /** Region id. */
    region: z.string().regex(REGION_ID, { message: "must be an Alibaba region id such as cn-hangzhou" }),
    /** VPC CIDR. Default: planned from `slot`. */
    cidr: cidr.optional(),
    /** Address-plan slot, 0..127. Default: derived from the VPC name. */
    slot: z.number().int().optional(),
});

/** Plug-in CA (shared root) settings. */
export const caSchema = z.strictObject({
    /** Install `cacerts` with a shared root. Default: true when the mesh has more than one control plane. */
    shared: z.boolean().optional(),
    /** `generate`: the program generates the root; `config`: root PEMs come from secret config `ack-mesh:caRootCert`/`ack-mesh:caRootKey`. */
    source: z.enum(["generate", "config"]).default("generate"),
    /** Key algorithm of generated keys. */
    algorithm: z.enum(["RSA", "ECDSA"]).default("RSA"),
    /** Extra root certificates (PEM) trusted but not used to sign — for a root rotation (docs/mesh.md). */
    additionalTrustedRootCerts: z.array(z.string().min(1)).default([]),
});

const helmValues = z.record(z.string(), z.unknown());

/** Helm values merged last onto what ack-mesh generates, per chart (an escape hatch). */
export const valuesOverrideSchema = z.strictObject({
    /** `base` chart, on every cluster. */
    base: helmValues.optional(),
    /** `istiod` chart, on every cluster (control planes and remotes). */
    istiod: helmValues.optional(),
    /** Ingress `gateway` chart. */
    ingressGateway: helmValues.optional(),
    /** East-west `gateway` chart. */
    eastWestGateway: helmValues.optional(),
});

const istioRelease = z.string().regex(/^\d+\.\d+\.\d+$/, { message: "must be an exact Istio release such as 1.30.3" });

/**
 * Canary upgrades (config/revisions.ts, docs/upgrade.md): control-plane
 * revisions side by side, revision tags, and the CRD version. Unset: one
 * revision-less control plane at `mesh.istioVersion`, upgraded in place.
 */
export const istioRevisionsSchema = z.strictObject({
    /** Revision name → Istio version, e.g. `{ default: "1.30.3", 1-31-0: "1.31.0" }`. `default` is the revision-less install (`istiod`). */
    installed: z.record(z.string(), istioRelease),
    /**
     * Revision tag → revision, e.g. `{ stable: default, canary: 1-31-0 }`. Namespaces select tags (`istio.io/rev=<tag>`).
     * The tag `default`, pointed at a named revision, also takes over `istio-injection=enabled` (docs/upgrade.md, step 2).
     * @default {}
     */
    tags: z.record(z.string(), z.string()).default({}),
    /** The tag the gateways and (by default) Bookinfo follow; its revision validates Istio config. @default "stable" */
    defaultTag: z.string().optional(),
    /** Chart version of `base` (CRDs): upgraded first, never downgraded. @default the newest installed version */
    base: istioRelease.optional(),
});

/** Mesh-wide settings. */
export const meshSchema = z.strictObject({
    /** Mesh ID (`global.meshID`). */
    id: dnsLabel,
    /** Trust domain. */
    trustDomain: z.string().min(1).default(DEFAULTS.trustDomain),
    /** Istio version (Helm chart version), pinned. */
    istioVersion: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, { message: "must be an exact Istio release such as 1.30.3" })
        // The example of the "quote it" fix (an unquoted 1.30 is the YAML number 1.3).
        .meta({ examples: [DEFAULTS.istioVersion] })
        .default(DEFAULTS.istioVersion),
    /**
     * Who runs istiod:
     * - `primary-remote`: one primary controls every other cluster (a remote);
     * - `multi-primary`: every cluster is a primary;
     * - `multi-primary-remote`: several primaries, each controlling the remotes
     *   that name it in `clusters.<name>.controlPlane` (a fleet; the first two
     *   are its special cases). Every primary discovers every cluster.
     * Changing it on a live mesh changes which istiod configures each cluster.
     */
    topology: z.enum(MESH_TOPOLOGIES),
    /** `flat`: one network; `multi-network`: one network per cluster (unless `clusters.<n>.network` groups them), joined by east-west gateways. */
    networks: z.enum(["flat", "multi-network"]).default("flat"),
    /** Mesh-wide mTLS (a `default` PeerAuthentication in istio-system); `OFF` creates none (Istio's own default, PERMISSIVE). */
    mtls: z.enum(["STRICT", "PERMISSIVE", "OFF"]).default("STRICT"),
    /** Sidecar DNS capture (`ISTIO_META_DNS_CAPTURE`). */
    dnsCapture: z.boolean().default(false),
    /** Plug-in CA. */
    ca: caSchema.default({ source: "generate", algorithm: "RSA", additionalTrustedRootCerts: [] }),
    /** Helm values merged last, per chart. */
    valuesOverride: valuesOverrideSchema.default({}),

    /** Canary upgrades by revision; replaces `istioVersion` when set. */
    revisions: istioRevisionsSchema.optional(),
});

/** An image registry path (`<registry>/<namespace>`); checked with {@link registryPathProblem}, as IstioMesh checks its `hub`. */
const registryPath = z.string().superRefine((value, ctx) => {
    const bad = registryPathProblem(value);
    if (bad) ctx.addIssue({ code: "custom", message: bad.message, params: { fix: bad.fix } });
});

/**
 * Where images and charts come from: one setting for the whole stack. The
 * defaults are the upstream sources on the internet outside China; clusters
 * in mainland-China regions need a mirror (docs/mirror.md lists what to
 * mirror: `npm run plan -- <stack> --images`).
 */
export const imagesSchema = z.strictObject({
    /**
     * Registry of the Istio images (`pilot`, `proxyv2`): the `global.hub` of
     * every istiod release. Gateways take it too (their image is injected
     * by istiod). @default unset: the charts' own hub, `docker.io/istio`
     */
    istioHub: registryPath.optional(),
    /** Registry of the Bookinfo images (`<registry>/examples-bookinfo-<workload>:<tag>`). @default "registry.istio.io/release" */
    bookinfoRegistry: registryPath.default(DEFAULTS.bookinfoRegistry),
    /**
     * Istio Helm chart repository: an HTTP(S) repository URL or an OCI
     * registry (`oci://<registry>/<namespace>`, e.g. an ACR instance).
     * @default "https://istio-release.storage.googleapis.com/charts"
     */
    chartRepository: z.string().regex(/^(https?|oci):\/\/\S+$/, { message: "must be an http(s):// or oci:// URL" }).default(DEFAULTS.istioHelmRepository),
});

/** CEN (transit router) settings, used when clusters sit in different VPCs. */
export const cenSchema = z.strictObject({
    /** `DataTransfer` (pay by traffic) or `BandwidthPackage`. */
    bandwidthType: z.enum(["DataTransfer", "BandwidthPackage"]).default("DataTransfer"),
    /** Cross-region bandwidth per peering, Mbps. */
    bandwidthMbps: z.number().int().min(1).max(10000).default(DEFAULTS.cenBandwidthMbps),
    /** Existing CEN bandwidth package id (required with `BandwidthPackage`). */
    bandwidthPackageId: z.string().optional(),
    /**
     * Region whose provider creates the (global) CEN instance. Default: the
     * region of the first control plane. Pin it: changing it later moves the
     * CEN to another provider, which replaces it and every transit router.
     */
    region: z.string().regex(REGION_ID, { message: "must be an Alibaba region id such as cn-hangzhou" }).optional(),
});

/** Security groups of the clusters (one per cluster, created by ack-mesh). */
export const securityGroupsSchema = z.strictObject({
    /**
     * Most rules one group may get. The plan is checked against it before
     * anything is created. Raise it only when your account's limit is higher.
     */
    maxRulesPerGroup: z.number().int().min(1).max(10000).default(DEFAULTS.maxRulesPerSecurityGroup),
});

/**
 * How upgrades of the clusters are paced (config/upgrade.ts, docs/upgrade.md).
 * Unset: nothing changes; every cluster upgrades at once.
 */
export const upgradeSchema = z.strictObject({
    /** Upgrade the clusters one after another within one `pulumi up`: remotes first, primaries last. @default false */
    oneClusterAtATime: z.boolean().default(false),
    /**
     * Node pools follow their cluster's pinned `kubernetesVersion` (`upgradePolicy`, sent only while the pin differs
     * from the running version), this many nodes at a time. @default unset: ACK upgrades the workers with the control plane
     */
    nodePools: z
        .strictObject({
            /** Nodes upgraded in parallel per batch (`rollingPolicy.maxParallelism`). @default 1 */
            maxParallelism: z.number().int().min(1).max(100).default(1),
        })
        .optional(),
});

/** Locality failover pair. */
export const failoverSchema = z.strictObject({ from: z.string(), to: z.string() });

/** Bookinfo sample. */
export const bookinfoSchema = z.strictObject({
    /** Deploy Bookinfo. */
    enabled: z.boolean().default(false),
    /** Image tag of `registry.istio.io/release/examples-bookinfo-*`. */
    tag: z.string().min(1).default(DEFAULTS.bookinfoTag),
    /** Workload → clusters it runs on. */
    placement: z.partialRecord(z.enum(BOOKINFO_WORKLOADS), z.array(z.string()).min(1)).default({}),
    /** Routing scenario. */
    routing: z.enum(BOOKINFO_ROUTINGS).default("plain"),
    /** Failover order for `locality-failover`; default: each region (sorted) fails over to the next, the last to the first. */
    failover: z.array(failoverSchema).optional(),

    /** Revision tag the `bookinfo` namespace selects (`istio.io/rev`); needs `mesh.revisions`. @default mesh.revisions.defaultTag */
    revisionTag: z.string().optional(),
});

/** Verification as code (`MeshVerification`, docs/verify.md). */
export const verifySchema = z.strictObject({
    /** Run the checks as Kubernetes Jobs during `pulumi up`; a failed check fails the update. @default false */
    enabled: z.boolean().default(false),
    /** Also run the disruptive locality-failover checks (scale a region's instances to zero, then restore). @default false */
    failover: z.boolean().default(false),
    /** Requests per traffic check (K), 20..10000; the routing check's tolerance is 2·√K around K/2; each check's time budget grows with K. @default 200 */
    requests: z.number().int().min(20).max(10000).default(DEFAULTS.verifyRequests),
    /** Client image, pinned by digest (a mirror of Istio's curl sample image; mirror it for mainland-China regions). Changing it re-runs every check. @default `docker.io/curlimages/curl:8.16.0@sha256:…` (VERIFY_CLIENT_IMAGE) */
    image: z.string().regex(/@sha256:[0-9a-f]{64}$/, { message: "must be pinned by digest (<repository>:<tag>@sha256:<64 hex>)" }).optional(),
});

/** The whole stack configuration (values of the `ack-mesh:` keys). */
export const stackConfigSchema = z.strictObject({
    mesh: meshSchema,
    clusters: z.record(z.string(), clusterSchema),
    vpcs: z.record(z.string(), vpcSchema).default({}),
    cen: cenSchema.default({ bandwidthType: "DataTransfer", bandwidthMbps: DEFAULTS.cenBandwidthMbps }),
    /** Upgrade pacing; optional, nothing changes without it. */
    upgrade: upgradeSchema.optional(),
    securityGroups: securityGroupsSchema.default({ maxRulesPerGroup: DEFAULTS.maxRulesPerSecurityGroup }),
    images: imagesSchema.default({ bookinfoRegistry: DEFAULTS.bookinfoRegistry, chartRepository: DEFAULTS.istioHelmRepository }),
    bookinfo: bookinfoSchema.default({ enabled: false, tag: DEFAULTS.bookinfoTag, placement: {}, routing: "plain" }),
    verify: verifySchema.default({ enabled: false, failover: false, requests: DEFAULTS.verifyRequests }),
    /** Pulumi `protect` on VPCs, CEN, clusters and node pools. */
    protect: z.boolean().default(false),
});

/** Parsed (schema-level) stack configuration, defaults applied. */
export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type ParsedStackConfig = z.output<typeof stackConfigSchema>;
export type ParsedCluster = z.output<typeof clusterSchema>;
export type ParsedNodePool = z.output<typeof nodePoolSchema>;
export type ParsedVpc = z.output<typeof vpcSchema>;
export type ParsedMesh = z.output<typeof meshSchema>;
export type ParsedBookinfo = z.output<typeof bookinfoSchema>;
export type ParsedCen = z.output<typeof cenSchema>;
export type ParsedSecurityGroups = z.output<typeof securityGroupsSchema>;
export type ParsedImages = z.output<typeof imagesSchema>;
export type ParsedVerify = z.output<typeof verifySchema>;
export type ParsedUpgrade = z.output<typeof upgradeSchema>;

/** Top-level config keys, in the `ack-mesh:` namespace. */
export const CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as ReadonlyArray<keyof ParsedStackConfig>;
