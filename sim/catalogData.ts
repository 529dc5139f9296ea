/**
 * The simulated account's catalog data ({@link SimCatalog}): Alibaba Cloud regions, zones, transit
 * router zones, the ECS instance types the project tracks, and the ACK versions on sale, as of
 * 2026-12-01. Pure data; no Pulumi.
 *
 * Every fact group names its source in {@link CATALOG.sources}. Where no public page could be read
 * (per-zone instance-type stock above all, and most transit-router zones outside Hangzhou and
 * Shanghai), the value is an assumption and its source's title starts with `assumption:`.
 *
 * Left out on purpose: ap-southeast-2 (Sydney) and ap-south-1 (Mumbai), which Alibaba Cloud closed
 * in 2024 although the Terraform provider still accepts them; the finance and government regions
 * (not public); and `cn-zhongwei` / `rus-west-1` (in the provider's list, not ECS regions on sale).
 *
 * @module
 */

import type { CatalogKubernetesVersion, CatalogRegion, CatalogSource, CatalogZone, SimCatalog } from "./catalog";

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

type SourceRef = Omit<CatalogSource, "covers">;

/** Date these sources were read, unless the page showed its own last-updated date. */
const READ = "2026-12-01";

const TF_COMMIT = "81c43b6727a09e9da37b3d88818c3ba5fa17fa14";
const TF = `https://github.com/aliyun/terraform-provider-alicloud/blob/${TF_COMMIT}`;

const SRC = {
    tfRegions: {
        title: "aliyun/terraform-provider-alicloud alicloud/connectivity/regions.go, ValidRegions (commit of 2026-08-21)",
        url: `${TF}/alicloud/connectivity/regions.go`,
        asOf: "2026-08-21",
    },
    acsRegions: {
        title: "Container Compute Service: Regions (supported regions list; confirms ap-southeast-8, us-southeast-1)",
        url: "https://help.aliyun.com/en/cs/product-overview/open-service-area",
        asOf: READ,
    },
    ecsRegions: {
        title: "ECS: Regions and zones (region concept, mainland China vs. other regions)",
        url: "https://www.alibabacloud.com/help/en/ecs/product-overview/regions-and-zones/",
        asOf: READ,
    },
    eciZonesEn: {
        title: "Elastic Container Instance: Regions and zones supported by ECI (Hangzhou, Shanghai, Qingdao zones)",
        url: "https://help.aliyun.com/en/eci/product-overview/regions-and-zones",
        asOf: READ,
    },
    eciZonesZh: {
        title: "弹性容器实例 ECI：地域和可用区 (mainland, Hong Kong, Tokyo and Singapore zones)",
        url: "https://www.alibabacloud.com/help/zh/elastic-container-instance/latest/regions-and-zones",
        asOf: READ,
    },
    tfZones: {
        title: "aliyun/terraform-provider-alicloud acceptance tests and examples (zone ids used against live accounts)",
        url: `${TF}/alicloud`,
        asOf: "2026-08-21",
    },
    trZones: {
        title: "CEN: Available regions and zones (Enterprise Edition transit router), table 1",
        url: "https://help.aliyun.com/en/cen/product-overview/regions-and-zones-that-support-transit-router",
        asOf: READ,
    },
    ackVersions: {
        title: "ACK: Kubernetes versions supported by ACK (1.36 EOL 2027-05-30, 1.35 EOL 2027-02-28, 1.34 EOL 2026-09-30, 1.33 EOL 2026-05-31)",
        url: "https://www.alibabacloud.com/help/tr/ack/product-overview/release-notes-for-kubernetes-versions",
        asOf: "2026-10-06",
    },
    ack135: {
        title: "ACK release notes for Kubernetes 1.35 (Kubernetes 1.35.1/1.35.2/1.35.7-aliyun.1, containerd 2.1.6)",
        url: "https://www.alibabacloud.com/help/pt-br/ack/ack-managed-and-ack-dedicated/user-guide/kubernetes-1-35-release-notes",
        asOf: "2026-08-26",
    },
    ack136: {
        title: "ACK release notes for Kubernetes 1.36 (Kubernetes 1.36.1-aliyun.1, containerd 2.1.6)",
        url: "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/kubernetes-1-36",
        asOf: "2026-06-06",
    },
} as const satisfies Record<string, SourceRef>;

/** Zones not on any page read: the region's usual zone letters. */
const ASSUMED_ZONES: SourceRef = {
    title: "assumption: zone letters not found in a readable source; the region's commonly published zones",
    url: SRC.ecsRegions.url,
    asOf: READ,
};

/** Transit-router zones not on the readable part of the CEN table: all zones of the region. */
const ASSUMED_TR: SourceRef = {
    title: "assumption: this region's row of the CEN transit-router table could not be read; every zone of the region is taken as a transit-router zone (master and slave)",
    url: SRC.trZones.url,
    asOf: READ,
};

/** Per-zone instance-type stock: no public per-zone listing could be read. */
const ASSUMED_TYPES: SourceRef = {
    title:
        "assumption: no per-zone stock list could be read (DescribeAvailableResource needs an account); newer zones of large regions carry every tracked type, " +
        "older zones only g6, smaller and newer regions the 6th/7th-generation types and u1, local regions g7/c7/r7",
    url: "https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeavailableresource",
    asOf: READ,
};

// ---------------------------------------------------------------------------------------------
// Instance types (the ones the catalog tracks; see CatalogZone.instanceTypes)
// ---------------------------------------------------------------------------------------------

/** Older zones: only the 6th generation is still on sale there. */
const LEGACY = ["ecs.g6.xlarge", "ecs.g6.2xlarge"] as const;
/** Mainstream 6th/7th-generation types and the universal u1. */
const STANDARD = [...LEGACY, "ecs.g7.xlarge", "ecs.g7.2xlarge", "ecs.c7.xlarge", "ecs.r7.xlarge", "ecs.u1-c1m2.xlarge"] as const;
/** Newer zones of the large regions: also the 8th generation (Intel g8i/c8i, AMD g8a). */
const MODERN = [...STANDARD, "ecs.g8i.xlarge", "ecs.c8i.xlarge", "ecs.g8a.xlarge"] as const;
/** Local regions (Nanjing, Fuzhou, Wuhan): a small 7th-generation offer. */
const LOCAL = ["ecs.g7.xlarge", "ecs.c7.xlarge", "ecs.r7.xlarge"] as const;

/** Every instance type the catalog tracks. */
export const TRACKED_INSTANCE_TYPES: readonly string[] = Object.freeze([...MODERN]);

// ---------------------------------------------------------------------------------------------
// Regions
// ---------------------------------------------------------------------------------------------

type Tier = readonly string[];

interface RegionSpec {
    readonly id: string;
    readonly localName: string;
    /** Short name used in zone display names, e.g. `杭州` → `杭州 可用区H`. */
    readonly city: string;
    readonly mainlandChina: boolean;
    /** Zone letter → instance types on sale there. */
    readonly zones: Readonly<Record<string, Tier>>;
    readonly zonesSource: SourceRef;
    /** Zone letters of the transit router; absent: every zone (an assumption, {@link ASSUMED_TR}). */
    readonly tr?: string;
}

const REGIONS: readonly RegionSpec[] = [
    // --- Chinese mainland -------------------------------------------------------------------
    { id: "cn-qingdao", localName: "华北1（青岛）", city: "青岛", mainlandChina: true, zones: { b: STANDARD, c: STANDARD }, zonesSource: SRC.eciZonesZh },
    {
        id: "cn-beijing",
        localName: "华北2（北京）",
        city: "北京",
        mainlandChina: true,
        zones: { c: LEGACY, d: LEGACY, e: LEGACY, f: STANDARD, g: STANDARD, h: MODERN, i: MODERN, j: MODERN, k: MODERN, l: MODERN },
        zonesSource: SRC.eciZonesZh,
    },
    { id: "cn-zhangjiakou", localName: "华北3（张家口）", city: "张家口", mainlandChina: true, zones: { a: STANDARD, b: STANDARD, c: MODERN }, zonesSource: SRC.eciZonesZh },
    { id: "cn-huhehaote", localName: "华北5（呼和浩特）", city: "呼和浩特", mainlandChina: true, zones: { a: STANDARD, b: STANDARD }, zonesSource: SRC.eciZonesZh },
    { id: "cn-wulanchabu", localName: "华北6（乌兰察布）", city: "乌兰察布", mainlandChina: true, zones: { a: MODERN, b: MODERN, c: MODERN }, zonesSource: SRC.eciZonesZh },
    {
        id: "cn-hangzhou",
        localName: "华东1（杭州）",
        city: "杭州",
        mainlandChina: true,
        zones: { b: STANDARD, e: LEGACY, f: LEGACY, g: STANDARD, h: MODERN, i: MODERN, j: MODERN, k: MODERN },
        zonesSource: SRC.eciZonesEn,
        tr: "bhijk",
    },
    {
        id: "cn-shanghai",
        localName: "华东2（上海）",
        city: "上海",
        mainlandChina: true,
        zones: { a: LEGACY, b: STANDARD, c: LEGACY, d: LEGACY, e: MODERN, f: MODERN, g: MODERN, k: STANDARD, l: MODERN, m: MODERN, n: MODERN },
        zonesSource: SRC.eciZonesEn,
        tr: "bcefglmn",
    },
    { id: "cn-nanjing", localName: "华东5（南京-本地地域-关停中）", city: "南京", mainlandChina: true, zones: { a: LOCAL }, zonesSource: SRC.trZones, tr: "a" },
    { id: "cn-fuzhou", localName: "华东6（福州-本地地域-关停中）", city: "福州", mainlandChina: true, zones: { a: LOCAL }, zonesSource: SRC.trZones, tr: "a" },
    {
        id: "cn-shenzhen",
        localName: "华南1（深圳）",
        city: "深圳",
        mainlandChina: true,
        zones: { a: LEGACY, b: LEGACY, c: LEGACY, d: MODERN, e: MODERN, f: MODERN },
        zonesSource: SRC.eciZonesZh, // zone F: Terraform provider tests
    },
    { id: "cn-heyuan", localName: "华南2（河源）", city: "河源", mainlandChina: true, zones: { a: STANDARD, b: STANDARD }, zonesSource: SRC.eciZonesZh },
    { id: "cn-guangzhou", localName: "华南3（广州）", city: "广州", mainlandChina: true, zones: { a: STANDARD, b: STANDARD }, zonesSource: SRC.eciZonesZh },
    { id: "cn-chengdu", localName: "西南1（成都）", city: "成都", mainlandChina: true, zones: { a: STANDARD, b: STANDARD }, zonesSource: SRC.eciZonesZh },
    { id: "cn-wuhan-lr", localName: "华中1（武汉-本地地域）", city: "武汉", mainlandChina: true, zones: { a: LOCAL }, zonesSource: ASSUMED_ZONES },
    // --- Hong Kong (China) and other countries and regions ------------------------------------
    { id: "cn-hongkong", localName: "中国香港", city: "香港", mainlandChina: false, zones: { b: STANDARD, c: MODERN, d: MODERN }, zonesSource: SRC.eciZonesZh },
    { id: "ap-northeast-1", localName: "日本（东京）", city: "东京", mainlandChina: false, zones: { a: STANDARD, b: STANDARD, c: STANDARD }, zonesSource: SRC.eciZonesZh },
    { id: "ap-northeast-2", localName: "韩国（首尔）", city: "首尔", mainlandChina: false, zones: { a: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "ap-southeast-1", localName: "新加坡", city: "新加坡", mainlandChina: false, zones: { a: MODERN, b: MODERN, c: MODERN }, zonesSource: SRC.eciZonesZh },
    { id: "ap-southeast-3", localName: "马来西亚（吉隆坡）", city: "吉隆坡", mainlandChina: false, zones: { a: STANDARD, b: STANDARD }, zonesSource: SRC.tfZones },
    { id: "ap-southeast-5", localName: "印度尼西亚（雅加达）", city: "雅加达", mainlandChina: false, zones: { a: STANDARD, b: STANDARD, c: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "ap-southeast-6", localName: "菲律宾（马尼拉）", city: "马尼拉", mainlandChina: false, zones: { a: STANDARD, b: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "ap-southeast-7", localName: "泰国（曼谷）", city: "曼谷", mainlandChina: false, zones: { a: STANDARD }, zonesSource: SRC.tfZones },
    { id: "ap-southeast-8", localName: "马来西亚（柔佛）", city: "柔佛", mainlandChina: false, zones: { a: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "us-east-1", localName: "美国（弗吉尼亚）", city: "弗吉尼亚", mainlandChina: false, zones: { a: STANDARD, b: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "us-west-1", localName: "美国（硅谷）", city: "硅谷", mainlandChina: false, zones: { a: STANDARD, b: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "us-southeast-1", localName: "美国（亚特兰大）", city: "亚特兰大", mainlandChina: false, zones: { a: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "na-south-1", localName: "墨西哥", city: "墨西哥", mainlandChina: false, zones: { a: STANDARD }, zonesSource: ASSUMED_ZONES },
    {
        id: "eu-central-1",
        localName: "德国（法兰克福）",
        city: "法兰克福",
        mainlandChina: false,
        zones: { a: STANDARD, b: MODERN, c: MODERN },
        zonesSource: SRC.tfZones, // zones A and B; zone C is an assumption (see the source's title)
    },
    { id: "eu-west-1", localName: "英国（伦敦）", city: "伦敦", mainlandChina: false, zones: { a: STANDARD, b: STANDARD }, zonesSource: ASSUMED_ZONES },
    { id: "me-east-1", localName: "阿联酋（迪拜）", city: "迪拜", mainlandChina: false, zones: { a: STANDARD }, zonesSource: SRC.tfZones },
    { id: "me-central-1", localName: "沙特（利雅得）", city: "利雅得", mainlandChina: false, zones: { a: STANDARD, b: STANDARD }, zonesSource: ASSUMED_ZONES },
];

/** Zones whose letter is not in the region's zone source, and where that comes from instead. */
const ZONE_NOTES: Readonly<Record<string, string>> = {
    "cn-shenzhen": "; zone F from the Terraform provider's acceptance tests",
    "eu-central-1": "; zones A and B from the Terraform provider's acceptance tests, assumption: zone C",
};

/** Zone id: mainland and Hong Kong zones are `<region>-<letter>`, the others `<region><letter>`. */
export function zoneId(regionId: string, letter: string): string {
    return regionId.startsWith("cn-") ? `${regionId}-${letter}` : `${regionId}${letter}`;
}

function buildZone(spec: RegionSpec, letter: string, types: Tier): CatalogZone {
    return { id: zoneId(spec.id, letter), localName: `${spec.city} 可用区${letter.toUpperCase()}`, instanceTypes: [...types] };
}

function buildRegion(spec: RegionSpec): CatalogRegion {
    const zones: Record<string, CatalogZone> = {};
    for (const [letter, types] of Object.entries(spec.zones)) {
        const zone = buildZone(spec, letter, types);
        zones[zone.id] = zone;
    }
    const trZones = spec.tr === undefined ? Object.keys(zones) : [...spec.tr].map((l) => zoneId(spec.id, l));
    return {
        id: spec.id,
        localName: spec.localName,
        mainlandChina: spec.mainlandChina,
        zones,
        // The CEN table lists zones, not roles; every listed zone can be either end of a VPC attachment.
        transitRouter: { masterZones: trZones, slaveZones: [...trZones] },
    };
}

function regionSources(spec: RegionSpec): CatalogSource[] {
    const zonesRef = spec.zonesSource;
    return [
        { covers: `regions.${spec.id}.zones`, ...zonesRef, title: zonesRef.title + (ZONE_NOTES[spec.id] ?? "") },
        { covers: `regions.${spec.id}.transitRouter`, ...(spec.tr === undefined ? ASSUMED_TR : SRC.trZones) },
        { covers: `regions.${spec.id}.instanceTypes`, ...ASSUMED_TYPES },
    ];
}

// ---------------------------------------------------------------------------------------------
// Kubernetes versions
// ---------------------------------------------------------------------------------------------

/**
 * ACK versions CreateCluster offers for new ACK managed clusters: the newest patch of each minor
 * still supported (1.33 reached end of life on 2026-05-31, 1.34 on 2026-09-30). Older patches of
 * 1.35 (1.35.1-aliyun.1, 1.35.2-aliyun.1) remain upgrade sources only.
 */
const KUBERNETES_VERSIONS: readonly CatalogKubernetesVersion[] = [
    { version: "1.35.7-aliyun.1", runtimes: [{ name: "containerd", version: "2.1.6" }] },
    { version: "1.36.1-aliyun.1", runtimes: [{ name: "containerd", version: "2.1.6" }] },
];

// ---------------------------------------------------------------------------------------------
// The catalog
// ---------------------------------------------------------------------------------------------

/** Freezes a plain-data value and everything in it. */
function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
        Object.freeze(value);
    }
    return value;
}

const SOURCES: readonly CatalogSource[] = [
    { covers: "regions", ...SRC.tfRegions },
    { covers: "regions", ...SRC.acsRegions },
    { covers: "regions.mainlandChina", ...SRC.ecsRegions },
    ...REGIONS.flatMap(regionSources),
    {
        covers: "regions.*.enhancedNatZones",
        title: "assumption: no per-zone list of enhanced NAT gateway zones could be read (vpc.getEnhancedNatAvailableZones needs an account); every zone of a region is taken to offer them",
        url: "https://www.alibabacloud.com/help/en/nat-gateway/developer-reference/api-vpc-2016-04-28-listenhanhcednatgatewayavailablezones",
        asOf: READ,
    },
    { covers: "kubernetesVersions", ...SRC.ackVersions },
    { covers: "kubernetesVersions", ...SRC.ack135 },
    { covers: "kubernetesVersions", ...SRC.ack136 },
    { covers: "kubernetesVersions.runtimes", ...SRC.ack135 },
    { covers: "kubernetesVersions.runtimes", ...SRC.ack136 },
];

/** The simulated cloud's catalog (deeply frozen; pass a modified copy to change it in a test). */
export const CATALOG: SimCatalog = deepFreeze({
    asOf: "2026-12-01",
    regions: Object.fromEntries(REGIONS.map((spec) => [spec.id, buildRegion(spec)])),
    kubernetesVersions: KUBERNETES_VERSIONS.map((v) => ({ version: v.version, runtimes: v.runtimes.map((r) => ({ ...r })) })),
    sources: SOURCES,
});
