/**
 * The simulated account's catalog: what Alibaba Cloud offers, as the live preflight asks it through
 * the provider's invokes (`getRegions`, `getZones`, `cen.getTransitRouterAvailableResources`,
 * `ecs.getInstanceTypes`, `cs.getKubernetesVersion`). The simulated cloud answers those invokes from
 * here, so `npm run plan` runs the same preflight offline as `pulumi preview` runs against the account.
 *
 * Facts change (versions go end of life, zones open, instance types sell out). Every entry names its
 * source and the date it was read; tests that need another answer pass a modified copy
 * (`SimulationOptions.catalog`), never edit this one.
 *
 * @module
 */

/** One zone of a region. */
export interface CatalogZone {
    /** Zone id, e.g. `cn-hangzhou-h`. */
    readonly id: string;
    /** Display name, e.g. `杭州 可用区H`. */
    readonly localName: string;
    /** ECS instance types on sale in this zone (the ones the catalog tracks; not the full list). */
    readonly instanceTypes: readonly string[];
}

/** One region. */
export interface CatalogRegion {
    /** Region id, e.g. `cn-hangzhou`. */
    readonly id: string;
    /** Display name, e.g. `华东1（杭州）`. */
    readonly localName: string;
    /** True for a mainland-China region (internet sources outside China are unreliable from it). */
    readonly mainlandChina: boolean;
    /** Zones where vSwitches (and so nodes) can be created, by zone id. */
    readonly zones: Readonly<Record<string, CatalogZone>>;
    /**
     * Zones the region's Enterprise transit router can attach a VPC in
     * (`cen.getTransitRouterAvailableResources` → `resources[0].masterZones` / `slaveZones`).
     * Empty when the region has no transit router.
     */
    readonly transitRouter: { readonly masterZones: readonly string[]; readonly slaveZones: readonly string[] };
    /**
     * Zones that offer enhanced NAT gateways (`vpc.getEnhancedNatAvailableZones`). Absent: every
     * zone of the region (see the catalog's sources).
     */
    readonly enhancedNatZones?: readonly string[];
    /**
     * ACK Kubernetes versions that CreateCluster accepts here (cluster type `ManagedKubernetes`,
     * profile `Default`), oldest first. Absent: {@link SimCatalog.kubernetesVersions}.
     */
    readonly kubernetesVersions?: readonly CatalogKubernetesVersion[];
}

/** One ACK Kubernetes version on sale (`cs.getKubernetesVersion` → `metadatas[]`). */
export interface CatalogKubernetesVersion {
    /** ACK version, e.g. `1.35.1-aliyun.1`. */
    readonly version: string;
    /** Container runtimes offered with it. */
    readonly runtimes: readonly { readonly name: string; readonly version: string }[];
}

/** A source of catalog facts. */
export interface CatalogSource {
    /** What it backs, e.g. `kubernetesVersions`, `regions.cn-hangzhou.zones`. */
    readonly covers: string;
    /** Page title or document. */
    readonly title: string;
    /** URL. */
    readonly url: string;
    /** Date the page was read or last updated (YYYY-MM-DD). */
    readonly asOf: string;
}

/** The whole catalog. */
export interface SimCatalog {
    /** Date the catalog describes (YYYY-MM-DD). */
    readonly asOf: string;
    /** Regions by id. */
    readonly regions: Readonly<Record<string, CatalogRegion>>;
    /** ACK Kubernetes versions on sale in every region (unless a region overrides them), oldest first. */
    readonly kubernetesVersions: readonly CatalogKubernetesVersion[];
    /** Where each fact comes from. */
    readonly sources: readonly CatalogSource[];
}

/** The Kubernetes versions a region offers for new managed clusters, oldest first. */
export function offeredVersions(catalog: SimCatalog, region: string): readonly CatalogKubernetesVersion[] {
    return catalog.regions[region]?.kubernetesVersions ?? catalog.kubernetesVersions;
}

/** Zones of a region that offer enhanced NAT gateways (absent in the catalog: every zone). */
export function enhancedNatZones(catalog: SimCatalog, region: string): readonly string[] {
    const r = catalog.regions[region];
    return r?.enhancedNatZones ?? Object.keys(r?.zones ?? {});
}
