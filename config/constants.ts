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

/** Bookinfo routing scenarios. */
export const BOOKINFO_ROUTINGS = ["plain", "header-split", "locality-failover"] as const;
export type BookinfoRouting = (typeof BOOKINFO_ROUTINGS)[number];
