/**
 * Benchmark topologies: valid `ack-mesh:` stack configs of N clusters.
 *
 * - Clusters are spread round-robin over 1–4 real Alibaba regions (two real zones each), one VPC
 *   per cluster, VPCs joined by CEN transit routers (one per region) as soon as there are two VPCs.
 * - Terway everywhere (pod IPs routable across CEN, so a flat primary-remote mesh works across
 *   regions), explicit unique address-plan slots (`slot = index`, never derived from the name, so
 *   the hash can never collide), one default node pool of 3 workers, no deletion protection.
 * - `primary-remote`: the first cluster is the primary, all others are remotes, one flat network.
 * - `multi-primary`: every cluster is a primary, one network per cluster (multi-network, east-west
 *   gateways), shared root CA (the default with more than one control plane).
 * - `multi-primary-remote`: P = max(1, ⌊√(N/2)⌋) primaries (the first P clusters; 2 at N = 10,
 *   5 at N = 50), every other cluster a remote of primary `index mod P` (so 5 × 9 remotes at
 *   N = 50), one network per primary and its remotes (multi-network), shared root CA.
 * - Bookinfo optional: frontend, details, ratings and reviews v1 on the first cluster, reviews v2
 *   and v3 on the last.
 *
 * Every generated config is checked with the project's own validation ({@link validateTopology},
 * i.e. `planTopology` = `parseStackConfig` + the CIDR planner).
 *
 * @module
 */
import { planTopology, PlannedTopology } from "../programs/compose";

/** The mesh topologies benchmarked (every `mesh.topology`). */
export const MODES = ["primary-remote", "multi-primary", "multi-primary-remote"] as const;
export type Mode = (typeof MODES)[number];

/** Primaries of an N-cluster mesh in `mode`: 1, N, or max(1, ⌊√(N/2)⌋) for `multi-primary-remote`. */
export function primaryCount(mode: Mode, n: number): number {
    if (mode === "primary-remote") return 1;
    if (mode === "multi-primary") return n;
    return Math.max(1, Math.floor(Math.sqrt(n / 2)));
}

/** The layout label of a case: `1 × 49`, `50 × 0`, `5 × 9` (primaries × remotes per primary, rounded up). */
export function layoutLabel(mode: Mode, n: number): string {
    const p = primaryCount(mode, n);
    return `${p} × ${Math.ceil((n - p) / p)}`;
}

/** Cluster counts benchmarked. */
export const SIZES = [1, 2, 10, 50] as const;

/** Real Alibaba Cloud regions with two real zones each, in the order clusters are spread over them. */
export const REGIONS: ReadonlyArray<{ readonly region: string; readonly short: string; readonly zones: readonly [string, string] }> = [
    { region: "cn-hangzhou", short: "hz", zones: ["cn-hangzhou-h", "cn-hangzhou-i"] },
    { region: "cn-shanghai", short: "sh", zones: ["cn-shanghai-l", "cn-shanghai-m"] },
    { region: "cn-beijing", short: "bj", zones: ["cn-beijing-h", "cn-beijing-i"] },
    { region: "cn-shenzhen", short: "sz", zones: ["cn-shenzhen-d", "cn-shenzhen-e"] },
];

/** Options of {@link generateTopology}. */
export interface TopologyOptions {
    /** Number of clusters, 1..128 (one address-plan slot each). */
    readonly clusters: number;
    /** Mesh topology. */
    readonly mode: Mode;
    /** Number of regions to spread over, 1..4. @default min(4, clusters) */
    readonly regions?: number;
    /** Deploy Bookinfo. @default true */
    readonly bookinfo?: boolean;
}

/** A generated benchmark topology. */
export interface GeneratedTopology {
    /** `<mode>:<N>`, the key used in the benchmark's JSON. */
    readonly key: string;
    readonly mode: Mode;
    /** Cluster count. */
    readonly n: number;
    /** Regions used, in spread order. */
    readonly regions: string[];
    /** Cluster names in index order (`<region short>-<index>`, e.g. `hz-00`). */
    readonly clusterNames: string[];
    /** The raw `ack-mesh:` values, keys without the namespace (`{ mesh, clusters, cen, securityGroups, bookinfo }`). */
    readonly raw: Record<string, unknown>;
    /** The same as `simulate()` config: keys `ack-mesh:<key>`. */
    readonly config: Record<string, unknown>;
}

/** `securityGroups.maxRulesPerGroup` of every generated topology: high enough for every size. */
export const BENCH_MAX_RULES_PER_GROUP = 10000;

/** `<mode>:<N>`. */
export function caseKey(mode: Mode, n: number): string {
    return `${mode}:${n}`;
}

/**
 * Generates the stack config of an N-cluster mesh (see the module documentation). Pure and
 * deterministic; does not validate (see {@link validateTopology}).
 *
 * @throws RangeError for a cluster count outside 1..128 or a region count outside 1..4
 */
export function generateTopology(opts: TopologyOptions): GeneratedTopology {
    const n = opts.clusters;
    if (!Number.isInteger(n) || n < 1 || n > 128) throw new RangeError(`clusters must be an integer in 1..128 (one address-plan slot each), got ${n}`);
    const regionCount = opts.regions ?? Math.min(REGIONS.length, n);
    if (!Number.isInteger(regionCount) || regionCount < 1 || regionCount > REGIONS.length) {
        throw new RangeError(`regions must be an integer in 1..${REGIONS.length}, got ${regionCount}`);
    }
    const regions = REGIONS.slice(0, regionCount);
    const multiPrimary = opts.mode === "multi-primary";
    const groups = opts.mode === "multi-primary-remote";
    const primaries = primaryCount(opts.mode, n);
    const clusterNames: string[] = [];
    const clusters: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
        const r = regions[i % regions.length];
        const name = `${r.short}-${String(i).padStart(2, "0")}`;
        clusterNames.push(name);
        clusters[name] = {
            region: r.region,
            zones: [...r.zones],
            role: i < primaries ? "primary" : "remote",
            // Several primaries: each remote names its own (index mod P), on its primary's network.
            ...(groups && i >= primaries ? { controlPlane: clusterNames[i % primaries] } : {}),
            ...(groups ? { network: `net-${clusterNames[i % primaries]}` } : {}),
            cni: "terway",
            slot: i,
            nodePools: { default: { size: 3 } },
            deletionProtection: false,
        };
    }
    const first = clusterNames[0];
    const last = clusterNames[n - 1];
    const raw: Record<string, unknown> = {
        mesh: {
            id: `bench-${multiPrimary ? "mp" : groups ? "mpr" : "pr"}-${n}`,
            topology: opts.mode,
            networks: multiPrimary || groups ? "multi-network" : "flat",
        },
        clusters,
        // Pinned, as the stacks do: the CEN instance lives in the first region.
        cen: { region: regions[0].region, bandwidthType: "DataTransfer", bandwidthMbps: 10 },
        // The benchmark measures the program, not the account's quota: a flat primary-remote
        // mesh needs more than Alibaba's 200 rules in the primary's group from 15 clusters on
        // (692 at 50). The "largest SG" column shows which cases a default account would reject.
        securityGroups: { maxRulesPerGroup: BENCH_MAX_RULES_PER_GROUP },
        bookinfo:
            opts.bookinfo === false
                ? { enabled: false }
                : {
                      enabled: true,
                      routing: "plain",
                      placement: {
                          "productpage-v1": [first],
                          "details-v1": [first],
                          "ratings-v1": [first],
                          "reviews-v1": [first],
                          "reviews-v2": [last],
                          "reviews-v3": [last],
                      },
                  },
    };
    return {
        key: caseKey(opts.mode, n),
        mode: opts.mode,
        n,
        regions: regions.map((r) => r.region),
        clusterNames,
        raw,
        config: toSimulationConfig(raw),
    };
}

/** `{ mesh, clusters }` → `{ "ack-mesh:mesh", "ack-mesh:clusters" }` (the keys `simulate()` takes). */
export function toSimulationConfig(raw: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [`ack-mesh:${k}`, v]));
}

/**
 * Validates a generated topology with the project's own validation and planner (exactly what the
 * program does first).
 *
 * @throws ConfigError listing every problem
 */
export function validateTopology(t: GeneratedTopology): PlannedTopology {
    return planTopology(structuredClone(t.raw));
}

/** Every benchmark case: each mode × each size, in that order. */
export function benchmarkTopologies(opts: { sizes?: readonly number[]; bookinfo?: boolean } = {}): GeneratedTopology[] {
    const out: GeneratedTopology[] = [];
    for (const mode of MODES) for (const n of opts.sizes ?? SIZES) out.push(generateTopology({ clusters: n, mode, bookinfo: opts.bookinfo }));
    return out;
}

/** Every zone id the generator uses, sorted. */
export function zoneIds(): string[] {
    return REGIONS.flatMap((r) => [...r.zones]).sort();
}
