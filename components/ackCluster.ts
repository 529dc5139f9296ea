/**
 * `AckCluster`: one ACK managed (Pro) cluster, its worker node pools, its
 * admin kubeconfig and the one Kubernetes provider built from it.
 *
 * The component creates nothing inside the cluster: everything in-cluster
 * (Istio, remote secrets, Bookinfo) is created by other components through
 * {@link AckCluster.provider} / {@link AckCluster.handle}.
 */
import * as alicloud from "@pulumi/alicloud";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../config/defaults";
import { ConfigError, ConfigProblem } from "../config/errors";
import { DNS_LABEL, isKeyPairName, KEY_PAIR_NAME_FIX, REGION_ID } from "../config/constants";
import { ClusterHandle, meshTags } from "./types";

/** Type token of {@link AckCluster}. Public contract: renaming it needs an alias. */
export const ACK_CLUSTER_TYPE = "ack-mesh:cluster:AckCluster";

/** Container network plugins ACK offers. Fixed at cluster creation. */
export type Cni = "terway" | "flannel";

/** ACK editions accepted by `cs.ManagedKubernetes.clusterSpec` (TF `StringInSlice`). */
export const CLUSTER_SPECS = ["ack.standard", "ack.pro.small", "ack.pro.xlarge", "ack.pro.2xlarge", "ack.pro.4xlarge"] as const;
/** kube-proxy modes accepted by `cs.ManagedKubernetes.proxyMode` (TF `StringInSlice`). */
export const PROXY_MODES = ["iptables", "ipvs", "nftables"] as const;
/** System disk categories accepted by `cs.NodePool.systemDiskCategory` (TF enum, snake_case). */
export const SYSTEM_DISK_CATEGORIES = ["cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud"] as const;
/** The CNI addon ACK installs at creation, per CNI (`addons[].name`, always set explicitly). */
export const CNI_ADDON: Readonly<Record<Cni, string>> = { terway: "terway-eniip", flannel: "flannel" };
/** ACK accepts 1..5 node vSwitches (`vswitchIds`, TF MinItems/MaxItems). */
export const MAX_CLUSTER_VSWITCHES = 5;

/** One worker node pool (`cs.NodePool`). */
export interface NodePoolArgs {
    /**
     * ECS instance types, tried in order (1..10). Availability differs per
     * zone; list several. See `DEFAULTS.instanceTypes`. Updatable in place.
     */
    instanceTypes: string[];
    /**
     * Desired number of workers (`desiredSize`), a whole number 0..1000.
     * Updatable in place (scales the pool).
     */
    size: number;
    /**
     * System disk category of the workers: a TF enum in snake_case
     * (`cloud_essd`, `cloud_auto`, …), not the camelCase of the SDK prose.
     * Updatable in place (new nodes only).
     * @default "cloud_essd" (`DEFAULTS.systemDiskCategory`)
     */
    systemDiskCategory?: string;
    /**
     * System disk size of the workers, GiB, 20..2048. Updatable in place (new nodes only).
     * @default 120 (`DEFAULTS.systemDiskSizeGb`)
     */
    systemDiskSizeGb?: number;
    /**
     * vSwitches the pool's workers are placed in (at least one; usually the
     * cluster's node vSwitches, or a subset of them). Updatable in place.
     */
    vswitchIds: pulumi.Input<string>[];
    /**
     * ECS key pair (`keyName`) installed on the pool's workers for SSH login:
     * the name of an existing key pair in the cluster's region (2..128
     * characters, starting with a letter). Updatable in place: ACK changes the
     * pool's scaling group (`ModifyClusterNodePool` `scaling_group.key_pair`),
     * so workers created afterwards get the new key.
     *
     * Without it ACK gets no login setting for the pool at all: the component
     * never sends `password` or `kmsEncryptedPassword` (managed node pools
     * accept only `keyName`, `cs/nodePool.d.ts`), so the workers boot with
     * neither a key pair nor a password and nobody can SSH into them. Reach a
     * node through ECS Cloud Assistant / Workbench or `kubectl debug node/…`
     * instead, or set this and add a security group rule for port 22 yourself
     * (`SecurityGroupPeering` opens no SSH port).
     * @default unset (no SSH login)
     */
    keyName?: pulumi.Input<string>;
}

/** Arguments of {@link AckCluster}. */
export interface AckClusterArgs {
    /**
     * Mesh cluster name: a DNS-1123 label, unique across the mesh. It becomes
     * the Istio `clusterName` of the {@link ClusterHandle} and the prefix of
     * every node pool name (`<clusterName>-<pool>`). Renaming it renames the
     * node pools in place.
     */
    clusterName: string;
    /**
     * ACK cluster name (`cs.ManagedKubernetes.name`), 1..63 characters,
     * unique per account. Explicit so that Pulumi never auto-names the cluster
     * `<resourceName>-<hex>`. Updatable in place.
     */
    displayName: string;
    /** Alibaba region id of the cluster, e.g. `cn-hangzhou`; must be the region of the alicloud provider passed in `opts`. */
    region: string;
    /** Mesh network name (Istio `global.network`): a DNS-1123 label. */
    network: string;
    /**
     * ACK Kubernetes version (`version`), e.g. `1.36.1-aliyun.1`, one that
     * ACK offers (`cs.getKubernetesVersion`; `components/preflight.ts` checks
     * it). Raising it upgrades the control plane in place; downgrades are not
     * supported. Unset: not sent, so ACK creates the cluster with the newest
     * version it offers (CreateCluster: "If you do not specify this
     * parameter, the latest Kubernetes version is used"); the input is
     * Optional+Computed, so later previews never propose a change.
     * @default unset
     */
    kubernetesVersion?: string;
    /**
     * Use `kubernetesVersion` only when the cluster is created: later
     * changes of it are ignored (`ignoreChanges: ["version"]`), so a newer
     * "newest offered" version never upgrades an existing cluster. The
     * program sets this when the stack does not pin a version; pin one
     * (and leave this false) to upgrade on purpose.
     * @default false
     */
    kubernetesVersionCreateOnly?: boolean;
    /**
     * ACK edition (`clusterSpec`), one of {@link CLUSTER_SPECS}. Updatable
     * (standard → pro migrates the cluster).
     * @default "ack.pro.small" (`DEFAULTS.clusterSpec`)
     */
    clusterSpec?: string;
    /**
     * kube-proxy mode (`proxyMode`): `iptables`, `ipvs` or `nftables`
     * (nftables needs Kubernetes ≥ 1.35).
     * ForceNew: changing this replaces the cluster.
     * @default "ipvs" (`DEFAULTS.proxyMode`)
     */
    proxyMode?: string;
    /**
     * Container network plugin. Decides the CNI addon (`terway-eniip` or
     * `flannel`) and which of `podVswitchIds` / `podCidr` is required.
     * Terway pod IPs are routable across CEN; Flannel's are not.
     * Create-only: ACK cannot change the CNI of a cluster (addons are only
     * read at creation), so edits do not convert an existing cluster.
     */
    cni: Cni;
    /**
     * Node vSwitches of the cluster (`vswitchIds`), 1..5, one per zone.
     * The cluster's VPC is the VPC of the first one. Updatable in place.
     */
    vswitchIds: pulumi.Input<string>[];
    /**
     * Terway pod vSwitches (`podVswitchIds`), one per zone of the node
     * vSwitches. Required with Terway; not allowed with Flannel.
     * Create-only: edits after creation are ignored.
     * @default none
     */
    podVswitchIds?: pulumi.Input<string>[];
    /**
     * Flannel pod CIDR (`podCidr`). Required with Flannel; not allowed with
     * Terway. Must overlap neither the VPC nor other clusters' CIDRs.
     * ForceNew: changing this replaces the cluster.
     * @default none
     */
    podCidr?: string;
    /**
     * Service (ClusterIP) CIDR (`serviceCidr`), an IPv4 CIDR with a /16../24
     * mask. Must overlap neither the VPC nor other clusters' CIDRs.
     * ForceNew: changing this replaces the cluster.
     */
    serviceCidr: string;
    /**
     * Flannel per-node pod subnet mask (`nodeCidrMask`), 24..28: /24 gives
     * ≤ 255 pods per node. Flannel only.
     * ForceNew: changing this replaces the cluster.
     * @default 24 (`DEFAULTS.nodeCidrMask`) with Flannel; not sent with Terway
     */
    nodeCidrMask?: number;
    /**
     * Security group of the cluster and its workers (`securityGroupId` of the
     * cluster, `securityGroupIds` of every node pool), normally from
     * `SecurityGroupPeering`. Passing our own group keeps ACK from creating an
     * enterprise group, whose rules cannot reference other groups.
     * Changing it updates the cluster in place but replaces every node pool.
     */
    securityGroupId: pulumi.Input<string>;
    /**
     * Worker node pools keyed by a stable pool name (a DNS-1123 label). Each
     * becomes the child `<name>-np-<pool>` and the ACK pool `<clusterName>-<pool>`.
     * Adding or removing a pool leaves the other pools untouched.
     */
    nodePools: Record<string, NodePoolArgs>;
    /**
     * The fewest workers (sum of the pools' `size`) the cluster may have.
     * Below 3 only with `allowFewerThanThreeWorkers`.
     * @default 3 (`DEFAULTS.minWorkers`); 0 with `allowFewerThanThreeWorkers`
     */
    minWorkers?: number;
    /**
     * Allow fewer than 3 workers in total (dev only: Istio's control plane and
     * gateways want ≥ 3 workers for HA).
     * @default false
     */
    allowFewerThanThreeWorkers?: boolean;
    /**
     * Give the API server a public (internet) endpoint (`slbInternetEnabled`).
     * `getClusterCredential` always returns a kubeconfig for the PUBLIC
     * endpoint, so this must stay true unless `pulumi up` runs inside the VPC
     * (or CEN) with another way to reach the API server.
     * Create-only: edits after creation are ignored.
     * @default true
     */
    apiServerPublic?: boolean;
    /**
     * ACK deletion protection (`deletionProtection`). While on, ACK refuses to
     * delete the cluster: a destroy, or a replacement forced by a ForceNew
     * change, fails at the cluster's delete step and leaves the cluster
     * running (but its node pools, deleted first, are gone; see `protect`).
     * Turn it off with a `pulumi up` first to really delete the cluster.
     * @default true
     */
    deletionProtection?: boolean;
    /**
     * Pulumi `protect` on the cluster and its node pools: Pulumi then refuses
     * to delete or replace them, already at preview (before any dependent is
     * deleted).
     * @default false (they still inherit a `protect` set on the component itself)
     */
    protect?: boolean;
    /**
     * Resources the cluster (`<name>-cluster`) must wait for: its VPC's
     * internet egress, i.e. `VpcWithCen.egressReady(clusterName)` (the NAT
     * gateway, its EIP association and the SNAT entries of the cluster's
     * node and pod vSwitches). The cluster is created with
     * `newNatGateway: false`, but the provider never sends `false`
     * (`d.GetOk` in `resource_alicloud_cs_managed_kubernetes.go`, and
     * CreateCluster's `snat_entry` defaults to true): only a VPC whose NAT
     * gateway and SNAT entries already exist keeps ACK from creating its
     * own. Without them the workers also could not pull images.
     * Changing the list only changes ordering, never the cluster.
     * @default [] (the caller provides egress some other way)
     */
    egressReady?: ReadonlyArray<pulumi.Resource>;
    /**
     * Node pools follow the cluster's `kubernetesVersion` (which must then be
     * pinned, not `kubernetesVersionCreateOnly`): the cluster gets
     * `upgradePolicy.controlPlaneOnly: true` (UpgradeCluster `MasterOnly`;
     * without it ACK also upgrades the workers itself, with its own
     * batches), and each pool gets
     * `upgradePolicy.kubernetesVersion` (ACK's UpgradeClusterNodepool) and
     * `rollingPolicy.maxParallelism`, and the pools upgrade one after another
     * (each waits for the previous one, by name), so that a zone keeps the
     * nodes of the pools not being upgraded. Raising the version updates the
     * cluster, then each pool, in place. `upgradePolicy` is sent only while
     * `kubernetesVersion` differs from `runningVersion`: the provider treats
     * the block as transient (cs/nodePool.d.ts) and, while it is set, calls
     * the upgrade API on every update of the pool
     * (terraform-provider-alicloud `resource_alicloud_cs_kubernetes_node_pool.go`,
     * Update), so a later resize or tag change would re-run an upgrade; the
     * plan after the upgrade drops it. The dependency chain between the pools
     * stays, so it also orders their creation on a new cluster (one pool after
     * another: a few minutes more).
     * @default unset: raising the version upgrades the control plane and, ACK's default
     *   (`controlPlaneOnly: false`), the workers too, in ACK's own batches
     */
    nodePoolUpgrade?: {
        /** Nodes per batch (`rollingPolicy.maxParallelism`). */
        readonly maxParallelism: number;
        /**
         * The version the cluster runs now (the preflight's), unset for a new cluster. The pools get
         * `upgradePolicy` only when `kubernetesVersion` differs from it.
         * @default unset
         */
        readonly runningVersion?: string;
    };
    /**
     * Resources the cluster (`<name>-cluster`) must wait for before it is
     * created or updated, e.g. the previous cluster's {@link AckCluster.upgradeDone}
     * to upgrade clusters one at a time. Only ordering: adding or removing
     * entries never changes the cluster, but a new cluster is then also
     * created after them.
     * @default []
     */
    upgradeAfter?: ReadonlyArray<pulumi.Resource>;
    /**
     * Extra tags for the cluster and its node pools, merged over
     * `meshTags()` (`managed-by: ack-mesh`).
     * @default {}
     */
    tags?: Record<string, string>;
}

/** The plain (non-`Input`) part of the `cs.ManagedKubernetes` inputs, with every default resolved. */
export interface ManagedKubernetesValues {
    /** ACK cluster name: `displayName` (set, so never auto-named). */
    readonly name: string;
    /** ACK edition. */
    readonly clusterSpec: string;
    /** Kubernetes version; absent when unset (ACK's newest at creation). */
    readonly version?: string;
    /** `{ controlPlaneOnly: true }` when the node pools follow the version on their own ({@link AckClusterArgs.nodePoolUpgrade}). */
    readonly upgradePolicy?: { readonly controlPlaneOnly: true };
    /** kube-proxy mode (ForceNew). */
    readonly proxyMode: string;
    /** Service CIDR (ForceNew). */
    readonly serviceCidr: string;
    /** Pod CIDR (ForceNew); Flannel only, absent with Terway. */
    readonly podCidr?: string;
    /** Per-node pod subnet mask (ForceNew); Flannel only, absent with Terway. */
    readonly nodeCidrMask?: number;
    /** Exactly the CNI addon, with its `name` set explicitly (never auto-named). Create-only. */
    readonly addons: { readonly name: string }[];
    /** ACK deletion protection. */
    readonly deletionProtection: boolean;
    /** Public API server endpoint (`apiServerPublic`). Create-only. */
    readonly slbInternetEnabled: boolean;
    /**
     * Always false: internet egress belongs to the VPC (`VpcWithCen`: one NAT
     * gateway, EIP and SNAT entries per VPC), not to each cluster. The
     * provider does not send `false` (`d.GetOk`), so what keeps ACK from
     * creating its own NAT gateway is {@link AckClusterArgs.egressReady}.
     */
    readonly newNatGateway: false;
    /** Always true: keeps the deprecated `certificateAuthority` output out of the state. */
    readonly skipSetCertificateAuthority: true;
    /** `meshTags(args.tags)`. */
    readonly tags: Record<string, string>;
}

/** The plain part of one `cs.NodePool`'s inputs, with every default resolved. */
export interface NodePoolValues {
    /** ACK node pool name: `<clusterName>-<pool>`. */
    readonly nodePoolName: string;
    /** ECS instance types, tried in order. */
    readonly instanceTypes: string[];
    /** `String(size)`: `desiredSize` is `Input<string>` in @pulumi/alicloud 3.108 (TF `TypeString`). */
    readonly desiredSize: string;
    /** System disk category (TF snake_case enum). */
    readonly systemDiskCategory: string;
    /** System disk size, GiB. */
    readonly systemDiskSize: number;
    /** ECS key pair for SSH login; absent (not sent) when the pool sets none. */
    readonly keyName?: pulumi.Input<string>;
    /** `meshTags(args.tags)`. */
    readonly tags: Record<string, string>;
}

const VSWITCH_ID = /^vsw-[a-z0-9]+$/;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const DNS_FIX = "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";

function isDnsLabel(s: unknown): s is string {
    return typeof s === "string" && s.length <= 63 && DNS_LABEL.test(s);
}

function cidrMask(s: string): number | undefined {
    const m = IPV4_CIDR.exec(s);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return undefined;
    return Number(m[5]);
}

function isWhole(n: unknown, min: number, max: number): n is number {
    return typeof n === "number" && Number.isInteger(n) && n >= min && n <= max;
}

/** Renders a list of `Input<string>` for an error message (Outputs as `<output>`). */
function shownIds(ids: ReadonlyArray<pulumi.Input<string>>): string[] {
    return ids.map((v) => (typeof v === "string" ? v : "<output>"));
}

/**
 * Checks {@link AckClusterArgs} without touching Pulumi. Returns every
 * problem (empty when valid); {@link AckCluster} throws them together as one
 * {@link ConfigError} before it registers anything.
 */
export function validateAckClusterArgs(args: AckClusterArgs): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) =>
        problems.push(value === undefined ? { path, message, fix } : { path, value, message, fix });

    if (!isDnsLabel(args.clusterName)) {
        add("clusterName", "must be a DNS-1123 label (it is the mesh cluster name and prefixes the node pool names)", DNS_FIX, args.clusterName);
    }
    if (typeof args.displayName !== "string" || args.displayName.length < 1 || args.displayName.length > 63) {
        add("displayName", "must be 1 to 63 characters (ACK cluster name)", "use a shorter, non-empty name", args.displayName);
    }
    if (typeof args.region !== "string" || !REGION_ID.test(args.region)) {
        add("region", "must be an Alibaba region id", "use the region of the alicloud provider, e.g. cn-hangzhou", args.region);
    }
    if (!isDnsLabel(args.network)) {
        add("network", "must be a DNS-1123 label (it is the Istio network name)", DNS_FIX, args.network);
    }
    if (args.nodePoolUpgrade !== undefined && (args.kubernetesVersion === undefined || args.kubernetesVersionCreateOnly === true)) {
        add("nodePoolUpgrade", "needs a pinned kubernetesVersion (without kubernetesVersionCreateOnly): the pools follow the cluster's version", "pin kubernetesVersion, or remove nodePoolUpgrade");
    }
    const parallel = args.nodePoolUpgrade?.maxParallelism;
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) {
        add("nodePoolUpgrade.maxParallelism", "must be a whole number of nodes, at least 1", "use 1 (one node at a time)", parallel);
    }
    if (args.kubernetesVersion !== undefined && (typeof args.kubernetesVersion !== "string" || args.kubernetesVersion.length === 0)) {
        add("kubernetesVersion", "must be an ACK version", "omit it for the newest version ACK offers, or pick one from cs.getKubernetesVersion", args.kubernetesVersion);
    }
    if (args.clusterSpec !== undefined && !(CLUSTER_SPECS as readonly string[]).includes(args.clusterSpec)) {
        add("clusterSpec", "is not an ACK edition", `use one of ${CLUSTER_SPECS.join(", ")}`, args.clusterSpec);
    }
    if (args.proxyMode !== undefined && !(PROXY_MODES as readonly string[]).includes(args.proxyMode)) {
        add("proxyMode", "is not a kube-proxy mode", `use one of ${PROXY_MODES.join(", ")}`, args.proxyMode);
    }

    // --- CNI and addresses --------------------------------------------------------------
    const cni = args.cni;
    if (cni !== "terway" && cni !== "flannel") {
        add("cni", "must be \"terway\" or \"flannel\"", "choose terway (pod IPs routable across CEN) or flannel", cni);
    }
    const vsw = Array.isArray(args.vswitchIds) ? args.vswitchIds : [];
    if (vsw.length < 1 || vsw.length > MAX_CLUSTER_VSWITCHES) {
        add("vswitchIds", `must list 1 to ${MAX_CLUSTER_VSWITCHES} node vSwitch IDs (ACK limit)`, "pass one node vSwitch per zone, at most 5", shownIds(vsw));
    }
    vsw.forEach((id, i) => {
        if (typeof id === "string" && !VSWITCH_ID.test(id)) add(`vswitchIds[${i}]`, "is not a vSwitch ID", "pass a vSwitch ID (vsw-…)", id);
    });
    const podVsw = args.podVswitchIds;
    if (cni === "terway" && (podVsw === undefined || podVsw.length === 0)) {
        add("podVswitchIds", "is required with Terway (pods take their IPs from these vSwitches)", "pass one pod vSwitch per zone of vswitchIds");
    }
    if (cni === "flannel" && podVsw !== undefined) {
        add("podVswitchIds", "is Terway-only (Flannel takes pod IPs from podCidr)", "remove podVswitchIds, or set cni to \"terway\"", shownIds(podVsw));
    }
    podVsw?.forEach((id, i) => {
        if (typeof id === "string" && !VSWITCH_ID.test(id)) add(`podVswitchIds[${i}]`, "is not a vSwitch ID", "pass a vSwitch ID (vsw-…)", id);
    });
    if (cni === "flannel" && args.podCidr === undefined) {
        add("podCidr", "is required with Flannel", "set a pod CIDR that overlaps neither the VPC nor other clusters, e.g. 10.128.0.0/16");
    }
    if (cni === "terway" && args.podCidr !== undefined) {
        add("podCidr", "is Flannel-only (Terway takes pod IPs from podVswitchIds)", "remove podCidr, or set cni to \"flannel\"", args.podCidr);
    }
    if (args.podCidr !== undefined && (typeof args.podCidr !== "string" || cidrMask(args.podCidr) === undefined)) {
        add("podCidr", "must be an IPv4 CIDR", "write it as a.b.c.d/n, e.g. 10.128.0.0/16", args.podCidr);
    }
    const svcMask = typeof args.serviceCidr === "string" ? cidrMask(args.serviceCidr) : undefined;
    if (svcMask === undefined || svcMask < 16 || svcMask > 24) {
        add("serviceCidr", "must be an IPv4 CIDR with a /16 to /24 mask", "write it as a.b.c.d/n, e.g. 172.24.0.0/20", args.serviceCidr);
    }
    if (args.nodeCidrMask !== undefined) {
        if (cni === "terway") {
            add("nodeCidrMask", "is Flannel-only", "remove nodeCidrMask, or set cni to \"flannel\"", args.nodeCidrMask);
        } else if (!isWhole(args.nodeCidrMask, 24, 28)) {
            add("nodeCidrMask", "must be a whole number from 24 to 28", "use 24 (≤ 255 pods per node) up to 28 (≤ 15 pods per node)", args.nodeCidrMask);
        }
    }

    // --- Node pools and workers ---------------------------------------------------------
    const pools = args.nodePools ?? {};
    let workers = 0;
    for (const pool of Object.keys(pools).sort()) {
        const p = pools[pool];
        const at = `nodePools.${pool}`;
        if (!isDnsLabel(pool)) add(at, "pool name must be a DNS-1123 label (it names the ACK node pool and the child resource)", DNS_FIX, pool);
        if (!Array.isArray(p.instanceTypes) || p.instanceTypes.length < 1 || p.instanceTypes.length > 10 || p.instanceTypes.some((t) => typeof t !== "string" || t === "")) {
            add(`${at}.instanceTypes`, "must list 1 to 10 instance types", `list several, e.g. ${JSON.stringify(DEFAULTS.instanceTypes)}`, p.instanceTypes);
        }
        if (!isWhole(p.size, 0, 1000)) {
            add(`${at}.size`, "must be a whole number from 0 to 1000", "set the desired number of workers", p.size);
        } else {
            workers += p.size;
        }
        if (p.systemDiskCategory !== undefined && !(SYSTEM_DISK_CATEGORIES as readonly string[]).includes(p.systemDiskCategory)) {
            add(`${at}.systemDiskCategory`, "is not a system disk category", `use one of ${SYSTEM_DISK_CATEGORIES.join(", ")} (snake_case)`, p.systemDiskCategory);
        }
        if (p.systemDiskSizeGb !== undefined && !isWhole(p.systemDiskSizeGb, 20, 2048)) {
            add(`${at}.systemDiskSizeGb`, "must be a whole number of GiB from 20 to 2048", `omit it for ${DEFAULTS.systemDiskSizeGb}`, p.systemDiskSizeGb);
        }
        if (typeof p.keyName === "string" && !isKeyPairName(p.keyName)) {
            add(`${at}.keyName`, "is not an ECS key pair name", KEY_PAIR_NAME_FIX, p.keyName);
        }
        if (!Array.isArray(p.vswitchIds) || p.vswitchIds.length === 0) {
            add(`${at}.vswitchIds`, "must list at least one vSwitch", "pass the cluster's node vSwitches (or some of them)");
        } else {
            p.vswitchIds.forEach((id, i) => {
                if (typeof id === "string" && !VSWITCH_ID.test(id)) add(`${at}.vswitchIds[${i}]`, "is not a vSwitch ID", "pass a vSwitch ID (vsw-…)", id);
            });
        }
    }
    const allowFew = args.allowFewerThanThreeWorkers === true;
    let floor = args.minWorkers ?? (allowFew ? 0 : DEFAULTS.minWorkers);
    if (args.minWorkers !== undefined && !isWhole(args.minWorkers, 0, 100000)) {
        add("minWorkers", "must be a whole number ≥ 0", "omit it for 3", args.minWorkers);
        floor = DEFAULTS.minWorkers;
    } else if (floor < DEFAULTS.minWorkers && !allowFew) {
        add("minWorkers", `is below ${DEFAULTS.minWorkers}`, "raise it to 3, or set allowFewerThanThreeWorkers: true (dev only)", args.minWorkers);
    }
    if (workers < floor) {
        const fix =
            args.minWorkers === undefined && !allowFew
                ? "raise the size of a node pool, or set allowFewerThanThreeWorkers: true (dev only; Istio wants ≥ 3 workers for HA)"
                : "raise the size of a node pool, or lower minWorkers";
        add("nodePools", `hold ${workers} worker(s) in total, fewer than the minimum of ${floor}`, fix, workers);
    }
    return problems;
}

/**
 * The plain part of the `cs.ManagedKubernetes` inputs, defaults resolved
 * (everything but `vswitchIds`, `podVswitchIds` and `securityGroupId`).
 * Pure; assumes {@link validateAckClusterArgs} found no problem.
 */
export function managedKubernetesInputs(args: AckClusterArgs): ManagedKubernetesValues {
    const flannel = args.cni === "flannel";
    return {
        name: args.displayName,
        clusterSpec: args.clusterSpec ?? DEFAULTS.clusterSpec,
        ...(args.kubernetesVersion !== undefined ? { version: args.kubernetesVersion } : {}),
        // The pools follow on their own (nodePoolUpgrade): UpgradeCluster upgrades only the control plane (MasterOnly).
        ...(args.nodePoolUpgrade !== undefined ? { upgradePolicy: { controlPlaneOnly: true } } : {}),
        proxyMode: args.proxyMode ?? DEFAULTS.proxyMode,
        serviceCidr: args.serviceCidr,
        ...(flannel ? { podCidr: args.podCidr, nodeCidrMask: args.nodeCidrMask ?? DEFAULTS.nodeCidrMask } : {}),
        addons: [{ name: CNI_ADDON[args.cni] }],
        deletionProtection: args.deletionProtection ?? true,
        slbInternetEnabled: args.apiServerPublic ?? true,
        newNatGateway: false,
        skipSetCertificateAuthority: true,
        tags: meshTags(args.tags),
    };
}

/** The plain part of the inputs of node pool `pool`, defaults resolved. Pure. */
export function nodePoolInputs(args: Pick<AckClusterArgs, "clusterName" | "tags">, pool: string, p: NodePoolArgs): NodePoolValues {
    return {
        nodePoolName: `${args.clusterName}-${pool}`,
        instanceTypes: [...p.instanceTypes],
        desiredSize: String(p.size),
        systemDiskCategory: p.systemDiskCategory ?? DEFAULTS.systemDiskCategory,
        systemDiskSize: p.systemDiskSizeGb ?? DEFAULTS.systemDiskSizeGb,
        ...(p.keyName !== undefined ? { keyName: p.keyName } : {}),
        tags: meshTags(args.tags),
    };
}

/**
 * The node pool inputs that make a pool follow the cluster's version:
 * `upgradePolicy.kubernetesVersion` (ACK UpgradeClusterNodepool, in place:
 * no `useReplace`), only while it differs from `runningVersion` (the block is
 * transient: see `AckClusterArgs.nodePoolUpgrade`), and
 * `rollingPolicy.maxParallelism` (nodes per batch). Pure.
 */
export function nodePoolUpgradeInputs(
    kubernetesVersion: string,
    maxParallelism: number,
    runningVersion?: string,
): { upgradePolicy?: { kubernetesVersion: string }; rollingPolicy: { maxParallelism: number } } {
    return { ...(kubernetesVersion !== runningVersion ? { upgradePolicy: { kubernetesVersion } } : {}), rollingPolicy: { maxParallelism } };
}

/**
 * One ACK managed cluster with its node pools, a stable admin kubeconfig and
 * the Kubernetes provider built from it. Pass the region's alicloud provider
 * in `opts.provider` (or `opts.providers`); the component reads no global
 * config.
 *
 * Children (a public contract; renaming one needs an alias):
 * - `<name>-cluster`: `alicloud.cs.ManagedKubernetes` (zero workers of its
 *   own; CNI addon set at creation; our security group; no NAT gateway of
 *   its own: it waits for its VPC's egress, {@link AckClusterArgs.egressReady};
 *   no deprecated inputs);
 * - `<name>-np-<pool>`: one `alicloud.cs.NodePool` per pool;
 * - `<name>-k8s`: the one `kubernetes.Provider` of the cluster.
 *
 * Decisions:
 * - **`deleteBeforeReplace: true` on the cluster and the pools.** Pulumi's
 *   default create-before-delete cannot work for ACK: cluster names and
 *   pod/service CIDRs must be unique in the account/VPC, and pool names in the
 *   cluster, so the replacement would fail to create. Deleting first is what
 *   a ForceNew change (`podCidr`, `serviceCidr`, `nodeCidrMask`, `proxyMode`)
 *   really needs. With `deletionProtection` on (the default), such a
 *   replacement FAILS SAFE at the cluster's delete step: no second cluster is
 *   created, the old cluster keeps running, and the user must turn deletion
 *   protection off deliberately. Caveat: Pulumi deletes the dependents that a
 *   delete-before-replace drags along (the node pools, whose `clusterId` is
 *   ForceNew, and everything under the Kubernetes provider, whose kubeconfig
 *   becomes unknown) BEFORE it tries the cluster, so those are gone by the
 *   time ACK refuses. Only `protect: true` stops a replacement at preview,
 *   before any step runs; use it for clusters that matter.
 * - **Node pools also `deleteBeforeReplace`**: pool names are unique in a
 *   cluster, and their ForceNew inputs (`securityGroupIds`) would otherwise
 *   produce a same-named second pool.
 * - **The kubeconfig is long-lived.** It comes from `cs.getClusterCredential`
 *   without `temporaryDurationMinutes`, so the same credential is returned on
 *   every preview; a kubeconfig that changed from run to run would update the
 *   Kubernetes provider and churn everything under it. Invoke results are not
 *   secrets, so it is wrapped in `pulumi.secret`. It points at the PUBLIC API
 *   endpoint (see {@link AckClusterArgs.apiServerPublic}).
 * - **The provider depends on the node pools**, so nothing in-cluster is
 *   scheduled before workers exist and, on destroy, in-cluster resources are
 *   deleted before the workers that run them.
 * - **The Kubernetes version is never frozen in the code.** A pinned
 *   `kubernetesVersion` is sent as is (raising it upgrades in place). The
 *   program (`programs/ack-mesh`) asks ACK during preview which versions it
 *   offers (`components/preflight.ts`) and, when the stack pins none, passes
 *   the newest with `kubernetesVersionCreateOnly`, so the cluster is created
 *   with it and a later, newer release never proposes an upgrade.
 * - Create-only settings (`addons`, `podVswitchIds`, `slbInternetEnabled`,
 *   `newNatGateway`) are ignored by ACK after creation: editing them changes
 *   nothing in the cloud. An existing cluster created with
 *   `newNatGateway: true` therefore shows an in-place update to `false`
 *   (no API call changes it) and keeps the NAT gateway ACK made for it;
 *   see docs/teardown.md for retiring that one.
 */
export class AckCluster extends pulumi.ComponentResource {
    /** ACK cluster ID (`c…`). */
    public readonly clusterId: pulumi.Output<string>;
    /** Admin kubeconfig (secret). It points at the public API endpoint. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** Kubernetes provider of this cluster; it depends on every node pool. */
    public readonly provider: k8s.Provider;
    /** Intranet API server URL, `https://<ip>:6443` (reached over the VPC or CEN). */
    public readonly apiServerIntranet: pulumi.Output<string>;
    /** Internet API server URL (empty or absent when `apiServerPublic` is false). */
    public readonly apiServerInternet: pulumi.Output<string>;
    /** Security group of the cluster (as ACK reports it). */
    public readonly securityGroupId: pulumi.Output<string>;
    /** VPC of the cluster (the VPC of its first node vSwitch). */
    public readonly vpcId: pulumi.Output<string>;
    /** Bare ACK node pool IDs (`np…`, not the composite `<clusterId>:<nodePoolId>` resource ID), by pool name. */
    public readonly nodePoolIds: Record<string, pulumi.Output<string>>;
    /**
     * The cluster and its node pools: what the next cluster waits for when
     * clusters upgrade one at a time ({@link AckClusterArgs.upgradeAfter}).
     */
    public readonly upgradeDone: ReadonlyArray<pulumi.Resource>;
    /** What the mesh components need of this cluster; `apiServerUrl` is the intranet endpoint. */
    public readonly handle: ClusterHandle;

    /**
     * @param name Pulumi name prefix of the children.
     * @param args See {@link AckClusterArgs}.
     * @param opts Must carry the region's alicloud provider (`provider` or `providers`).
     * @throws ConfigError listing every problem of `args`, before anything is registered.
     */
    constructor(name: string, args: AckClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = validateAckClusterArgs(args);
        // Providers come from the caller: without one for alicloud, the default provider (global config) would be used.
        const given = opts?.provider ?? (Array.isArray(opts?.providers) ? opts.providers.find((p) => alicloud.Provider.isInstance(p)) : (opts?.providers as Record<string, pulumi.ProviderResource> | undefined)?.alicloud);
        if (given === undefined && opts?.parent === undefined) {
            problems.push({ path: "opts.provider", message: "no alicloud provider was passed", fix: "pass the region's alicloud.Provider as opts.provider (the component never uses global config)" });
        } else if (given !== undefined && !alicloud.Provider.isInstance(given)) {
            problems.push({ path: "opts.provider", message: "is not an alicloud.Provider", fix: "pass the region's alicloud.Provider as opts.provider" });
        }
        if (problems.length > 0) throw new ConfigError(problems, `Invalid AckCluster "${name}"`);
        super(ACK_CLUSTER_TYPE, name, {}, opts);

        const protect = args.protect === true ? { protect: true } : {};
        const cluster = new alicloud.cs.ManagedKubernetes(
            `${name}-cluster`,
            {
                ...managedKubernetesInputs(args),
                vswitchIds: args.vswitchIds,
                ...(args.cni === "terway" ? { podVswitchIds: args.podVswitchIds } : {}),
                securityGroupId: args.securityGroupId,
            },
            {
                parent: this,
                deleteBeforeReplace: true,
                ...protect,
                ...(args.kubernetesVersionCreateOnly === true ? { ignoreChanges: ["version"] } : {}),
                ...((args.egressReady?.length ?? 0) + (args.upgradeAfter?.length ?? 0) > 0 ? { dependsOn: [...(args.egressReady ?? []), ...(args.upgradeAfter ?? [])] } : {}),
            },
        );

        const pools: Record<string, alicloud.cs.NodePool> = {};
        const upgrade =
            args.nodePoolUpgrade && args.kubernetesVersion !== undefined
                ? nodePoolUpgradeInputs(args.kubernetesVersion, args.nodePoolUpgrade.maxParallelism, args.nodePoolUpgrade.runningVersion)
                : undefined;
        let previous: alicloud.cs.NodePool | undefined;
        for (const pool of Object.keys(args.nodePools).sort()) {
            const p = args.nodePools[pool];
            pools[pool] = new alicloud.cs.NodePool(
                `${name}-np-${pool}`,
                {
                    clusterId: cluster.id,
                    ...nodePoolInputs(args, pool, p),
                    ...(upgrade ?? {}),
                    vswitchIds: p.vswitchIds,
                    securityGroupIds: [args.securityGroupId],
                },
                // Following the version, the pools upgrade one after another: a zone keeps the other pools' nodes.
                { parent: this, deleteBeforeReplace: true, ...protect, ...(upgrade && previous ? { dependsOn: [previous] } : {}) },
            );
            previous = pools[pool];
        }
        this.upgradeDone = [cluster, ...Object.values(pools)];

        // No temporaryDurationMinutes: a long-lived credential keeps the kubeconfig (and the provider) stable.
        const credential = alicloud.cs.getClusterCredentialOutput({ clusterId: cluster.id }, { parent: this });
        this.kubeconfig = pulumi.secret(credential.kubeConfig);
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig },
            { parent: this, dependsOn: Object.values(pools) },
        );

        this.clusterId = cluster.id;
        this.apiServerIntranet = cluster.connections.apiServerIntranet;
        this.apiServerInternet = cluster.connections.apiServerInternet;
        this.securityGroupId = cluster.securityGroupId;
        this.vpcId = cluster.vpcId;
        this.nodePoolIds = Object.fromEntries(Object.entries(pools).map(([pool, np]) => [pool, np.nodePoolId]));
        this.handle = {
            name: args.clusterName,
            region: args.region,
            network: args.network,
            kubeconfig: this.kubeconfig,
            provider: this.provider,
            apiServerUrl: this.apiServerIntranet,
            cni: args.cni,
        };

        this.registerOutputs({
            clusterId: this.clusterId,
            kubeconfig: this.kubeconfig,
            apiServerIntranet: this.apiServerIntranet,
            apiServerInternet: this.apiServerInternet,
            securityGroupId: this.securityGroupId,
            vpcId: this.vpcId,
            nodePoolIds: this.nodePoolIds,
        });
    }
}
