/**
 * Plain constants of the stack config model, without zod: the components
 * import these, so their type declarations do not pull zod's into a consumer's
 * typecheck. `config/schema.ts` re-exports them.
 */

/** DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, ≤ 63 chars. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Alibaba region id, e.g. `cn-hangzhou`, `ap-southeast-1`. */
export const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;

/**
 * ECS key pair names (ImportKeyPair/CreateKeyPair `KeyPairName`): 2 to 128 characters, starting
 * with a letter, then letters, digits, `:`, `_` or `-`, and not starting with `http://` or `https://`.
 */
export const KEY_PAIR_NAME = /^(?!https?:\/\/)[A-Za-z][A-Za-z0-9:_-]{1,127}$/;

/** Whether `s` is a well-formed ECS key pair name ({@link KEY_PAIR_NAME}). */
export function isKeyPairName(s: unknown): s is string {
    return typeof s === "string" && KEY_PAIR_NAME.test(s);
}

/** The fix for a malformed key pair name, shared by the config and `AckCluster` checks. */
export const KEY_PAIR_NAME_FIX = "use the name of an existing key pair in the cluster's region: 2 to 128 characters, starting with a letter, then letters, digits, ':', '_' or '-'";

/** A plain object (not null, not a list): a map of the stack config. */
export function isPlainRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Bookinfo workloads that can be placed onto clusters. */
export const BOOKINFO_WORKLOADS = [
    "productpage-v1",
    "details-v1",
    "ratings-v1",
    "reviews-v1",
    "reviews-v2",
    "reviews-v3",
] as const;
export type BookinfoWorkload = (typeof BOOKINFO_WORKLOADS)[number];

/** `mesh.topology` values (config/schema.ts documents each). */
export const MESH_TOPOLOGIES = ["primary-remote", "multi-primary", "multi-primary-remote"] as const;
export type MeshTopologyName = (typeof MESH_TOPOLOGIES)[number];

/** Bookinfo routing scenarios. */
export const BOOKINFO_ROUTINGS = ["plain", "header-split", "locality-failover"] as const;
export type BookinfoRouting = (typeof BOOKINFO_ROUTINGS)[number];

/**
 * The Bookinfo services whose placed versions all run in one region, as problems for
 * `locality-failover`: its rules set `maxEjectionPercent: 100` (`FAILOVER_OUTLIER_DETECTION` in
 * components/istioObjects.ts) and Istio sets Envoy's panic threshold to 0, so one 5xx would eject
 * the only region's endpoints for `baseEjectionTime`, with nowhere to fail over to. One check for
 * the stack config and `BookinfoSplit`. Pure.
 *
 * @param placedOn the clusters a workload is placed on
 * @param regionOf a cluster's region (undefined for an unknown cluster, which is skipped)
 * @param plainRouting how the caller spells the `plain` routing in the fix (`routing: plain`, `routing "plain"`)
 */
export function singleRegionBookinfoServices(
    placedOn: (workload: BookinfoWorkload) => readonly string[],
    regionOf: (cluster: string) => string | undefined,
    plainRouting: string,
): { service: string; workload: BookinfoWorkload; message: string; fix: string }[] {
    const out: { service: string; workload: BookinfoWorkload; message: string; fix: string }[] = [];
    const services = [...new Set(BOOKINFO_WORKLOADS.map((w) => w.replace(/-v\d+$/, "")))];
    for (const service of services) {
        const versions = BOOKINFO_WORKLOADS.filter((w) => w.replace(/-v\d+$/, "") === service);
        const regions = [...new Set(versions.flatMap((w) => placedOn(w)).map(regionOf).filter((r): r is string => r !== undefined))].sort();
        if (regions.length === 1) {
            out.push({
                service,
                workload: versions.find((w) => placedOn(w).length > 0)!,
                message: `runs ${service} in one region only (${regions[0]}); with locality-failover one 5xx ejects all of its endpoints (maxEjectionPercent 100, panic threshold 0) and there is no other region to fail over to`,
                fix: `place ${versions.join(" or ")} in clusters of a second region, or use ${plainRouting}`,
            });
        }
    }
    return out;
}
