/**
 * Parses and validates the stack configuration into the resolved
 * {@link StackConfig} model. Pure: no Pulumi. Every problem — schema,
 * cross-reference and (through `planNetwork`) CIDR — is collected and thrown
 * together as one {@link ConfigError}.
 */
import { z } from "zod";
import { DEFAULTS } from "./defaults";
import { ConfigError, ConfigProblem, ProblemCollector, quote } from "./errors";
import {
    BOOKINFO_WORKLOADS,
    BookinfoRouting,
    BookinfoWorkload,
    CONFIG_KEYS,
    DNS_LABEL,
    isKeyPairName,
    KEY_PAIR_NAME_FIX,
    ParsedCen,
    ParsedImages,
    ParsedSecurityGroups,
    ParsedCluster,
    ParsedMesh,
    ParsedStackConfig,
    ParsedVerify,
    stackConfigSchema,
} from "./schema";
import { problemsFromIssue, suggest } from "./zodProblems";
import { PROVIDER_REGIONS, regionOfZone } from "./regions";
import { isPlainRecord, singleRegionBookinfoServices } from "./constants";
import { resolveControlPlanes } from "./topology";
import { bookinfoRevisionTag, revisionConfigProblems, upgradeConfigProblems } from "./upgrade";
import type { ParsedUpgrade } from "./schema";

/** Config keys that hold secrets (set with `pulumi config set --secret`). */
export const SECRET_CONFIG_KEYS = ["caRootCert", "caRootKey"] as const;

/** The project's config namespace. */
export const CONFIG_NAMESPACE = "ack-mesh";

/** Longest cluster key: it prefixes child resource names and network names. */
export const MAX_CLUSTER_KEY_LENGTH = 40;

/** One resolved node pool. */
export interface NodePoolConfig {
    readonly name: string;
    readonly instanceTypes: string[];
    readonly size: number;
    readonly systemDiskCategory: string;
    readonly systemDiskSizeGb: number;
    /** Zones the pool spans. */
    readonly zones: string[];
    /** ECS key pair for SSH login to the workers; absent when unset (no login credential, see `NodePoolArgs.keyName`). */
    readonly keyName?: string;
}

/** One resolved cluster. */
export interface ClusterConfig {
    /** Stable key and mesh cluster name (DNS-1123 label). */
    readonly name: string;
    /** ACK display name. */
    readonly displayName: string;
    readonly region: string;
    readonly zones: string[];
    readonly role: "primary" | "remote";
    /** The primary that controls this cluster (its own name for a primary). */
    readonly controlPlane: string;
    /** Mesh network name. */
    readonly network: string;
    readonly cni: "terway" | "flannel";
    /** Pinned ACK Kubernetes version; undefined: newest offered for a new cluster, kept for an existing one (see the preflight). */
    readonly kubernetesVersion?: string;
    readonly clusterSpec: string;
    readonly proxyMode: string;
    /** VPC key: a shared VPC's name, or the cluster's own name. */
    readonly vpc: string;
    /** True when the VPC is a shared one from `vpcs`. */
    readonly sharedVpc: boolean;
    /** Explicit address-plan slot, if any. */
    readonly slot?: number;
    readonly cidrs: {
        readonly vpc?: string;
        readonly vswitches: Record<string, string>;
        readonly podVswitches: Record<string, string>;
        readonly pod?: string;
        readonly service?: string;
        readonly nodeCidrMask?: number;
    };
    readonly nodePools: Record<string, NodePoolConfig>;
    /** Fewer than three workers were explicitly allowed. */
    readonly allowFewerThanThreeWorkers: boolean;
    readonly apiServerPublic: boolean;
    readonly deletionProtection: boolean;
    readonly ingressGateway: boolean;
    readonly tags: Record<string, string>;
}

/** One resolved VPC (shared ones from `vpcs`, and each cluster's own). */
export interface VpcConfig {
    readonly name: string;
    readonly region: string;
    readonly cidr?: string;
    readonly slot?: number;
    /** Clusters in this VPC, sorted. */
    readonly clusters: string[];
    readonly shared: boolean;
    /** Config path where this VPC's pins live. */
    readonly configPath: string;
}

/** Resolved mesh settings. */
export interface MeshConfig extends Omit<ParsedMesh, "ca"> {
    readonly ca: {
        readonly shared: boolean;
        readonly source: "generate" | "config";
        readonly algorithm: "RSA" | "ECDSA";
        readonly additionalTrustedRootCerts: string[];
    };
}

/** Resolved Bookinfo settings. */
export interface BookinfoConfig {
    readonly enabled: boolean;
    readonly tag: string;
    readonly placement: Record<BookinfoWorkload, string[]>;
    readonly routing: BookinfoRouting;
    readonly failover: { from: string; to: string }[];
    /** Revision tag the namespace selects (`istio.io/rev`); undefined without `mesh.revisions` (`istio-injection: enabled`). */
    readonly namespaceTag?: string;
}

/** The resolved, validated stack configuration. */
export interface StackConfig {
    readonly mesh: MeshConfig;
    /** Clusters by key, in sorted key order. */
    readonly clusters: Record<string, ClusterConfig>;
    /** All VPCs (shared and per cluster) by key, in sorted key order. */
    readonly vpcs: Record<string, VpcConfig>;
    /** CEN settings; `region` resolved (the first control plane's region unless pinned). */
    readonly cen: ParsedCen & { readonly region: string };
    /** Security group settings (`maxRulesPerGroup`). */
    readonly securityGroups: ParsedSecurityGroups;
    /** Where images and charts come from (`ack-mesh:images`). */
    readonly images: ParsedImages;
    /** Upgrade pacing (`ack-mesh:upgrade`); undefined: every cluster at once, node pools untouched. */
    readonly upgrade?: ParsedUpgrade;
    readonly bookinfo: BookinfoConfig;
    /** Verification Jobs (`ack-mesh:verify`). */
    readonly verify: ParsedVerify;
    readonly protect: boolean;
}

const SORT = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortedRecord<T>(entries: [string, T][]): Record<string, T> {
    return Object.fromEntries([...entries].sort(([a], [b]) => SORT(a, b)));
}

/** Zone suffix letter: `cn-hangzhou-h` → `h`, `ap-southeast-1a` → `a`; undefined if the zone is not in the region. */
export function zoneLetter(region: string, zone: string): string | undefined {
    const m = new RegExp(`^${region.replace(/[-]/g, "\\-")}-?([a-z])$`).exec(zone);
    return m ? m[1] : undefined;
}

/** Deletes the given paths from a deep copy of `obj` (used to keep validating past unknown keys). */
function withoutPaths(obj: unknown, paths: PropertyKey[][]): unknown {
    const copy = structuredClone(obj);
    for (const p of paths) {
        let cur: any = copy;
        for (let i = 0; i < p.length - 1 && cur != null; i++) cur = cur[p[i] as any];
        if (cur != null && typeof cur === "object") delete cur[p[p.length - 1] as any];
    }
    return copy;
}

/** Keys that would hit Object.prototype when parsed into a plain object. */
const RESERVED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Dotted paths of every reserved key (own property) anywhere in `value`. */
function reservedKeyPaths(value: unknown, path: string[] = []): string[] {
    if (value === null || typeof value !== "object") return [];
    const out: string[] = [];
    for (const key of Object.getOwnPropertyNames(value)) {
        const child = (value as Record<string, unknown>)[key];
        if (RESERVED_KEYS.has(key)) out.push([...path, key].join("."));
        else if (Array.isArray(value)) out.push(...reservedKeyPaths(child, [...path.slice(0, -1), `${path[path.length - 1] ?? ""}[${key}]`]));
        else out.push(...reservedKeyPaths(child, [...path, key]));
    }
    return out;
}

/**
 * Schema-level parse. Unknown keys are reported and then removed so that the
 * rest of the configuration can still be checked in the same run.
 */
function parseSchema(raw: Record<string, unknown>, problems: ProblemCollector): ParsedStackConfig | undefined {
    let input: unknown = raw;
    for (let attempt = 0; attempt < 3; attempt++) {
        const result = stackConfigSchema.safeParse(input, { reportInput: true });
        if (result.success) return result.data;
        const unknownKeyPaths: PropertyKey[][] = [];
        let onlyUnknownKeys = true;
        // A value of the wrong type also fails the size checks of the right type
        // (zod checks `.max(5)` of a list on a string): report only the type.
        const wrongType = new Set(result.error.issues.filter((i) => i.code === "invalid_type").map((i) => JSON.stringify(i.path)));
        const issues = result.error.issues.filter((i) => !((i.code === "too_big" || i.code === "too_small") && wrongType.has(JSON.stringify(i.path))));
        for (const issue of issues) {
            problems.addAll(problemsFromIssue(stackConfigSchema, issue as any));
            if (issue.code === "unrecognized_keys") {
                for (const k of issue.keys) unknownKeyPaths.push([...(issue.path as PropertyKey[]), k]);
            } else {
                onlyUnknownKeys = false;
            }
        }
        if (!onlyUnknownKeys) return undefined;
        input = withoutPaths(input, unknownKeyPaths);
    }
    return undefined;
}

/** Keys that moved into `ack-mesh:images`: `[top-level key, key, new key]`. */
const MOVED_KEYS: ReadonlyArray<readonly [string, string, string]> = [
    ["mesh", "chartRepository", "chartRepository"],
    ["bookinfo", "registry", "bookinfoRegistry"],
];

/**
 * Finds the keys that moved into `ack-mesh:images` and removes them from
 * `input` (a fresh copy made by the caller), so that the rest is still
 * checked in the same run.
 */
function movedKeys(input: Record<string, unknown>): { path: string; to: string; value: unknown }[] {
    const out: { path: string; to: string; value: unknown }[] = [];
    for (const [top, key, to] of MOVED_KEYS) {
        const obj = input[top];
        if (isPlainRecord(obj) && Object.hasOwn(obj, key)) {
            out.push({ path: `${top}.${key}`, to, value: obj[key] });
            const rest = { ...obj };
            delete rest[key];
            input[top] = rest;
        }
    }
    return out;
}

/**
 * Checks a region id against the ids the Alibaba provider accepts
 * ({@link PROVIDER_REGIONS}); `zones` (if any) hint at the intended region.
 */
function checkRegion(problems: ProblemCollector, path: string, region: string, zones: ReadonlyArray<string> = []): void {
    if (PROVIDER_REGIONS.includes(region)) return;
    const fromZones = [...new Set(zones.map((z) => regionOfZone(z)).filter((r): r is string => r !== undefined && PROVIDER_REGIONS.includes(r)))];
    const hint = fromZones.length === 1 ? fromZones[0] : suggest(region, PROVIDER_REGIONS);
    problems.add(
        path,
        "is not an Alibaba Cloud region (the alicloud provider rejects it before anything is asked)",
        hint ? `did you mean ${hint}?` : `use a region id such as cn-hangzhou; the provider accepts: ${PROVIDER_REGIONS.join(", ")}`,
        region,
    );
}

/** Longest node pool key: it names the pool's child resources. */
export const MAX_NODE_POOL_KEY_LENGTH = 20;

/**
 * Checks the keys of the cluster and node pool maps. They are read straight from the input, so
 * that bad keys are reported in the same run as any schema problem (the schema stops the rest).
 */
function mapKeyProblems(input: Record<string, unknown>, problems: ProblemCollector): void {
    const clusters = input["clusters"];
    if (!isPlainRecord(clusters)) return;
    for (const [key, cluster] of Object.entries(clusters)) {
        if (!DNS_LABEL.test(key) || key.length > MAX_CLUSTER_KEY_LENGTH) {
            const sanitized = key
                .toLowerCase()
                .replace(/[^a-z0-9-]+/g, "-")
                .replace(/^-+|-+$/g, "")
                .slice(0, MAX_CLUSTER_KEY_LENGTH);
            problems.add(
                `clusters.${key}`,
                `cluster names must be DNS-1123 labels of at most ${MAX_CLUSTER_KEY_LENGTH} characters (they name the mesh cluster, its network and its resources)`,
                `rename the key to "${sanitized || "cluster1"}" and keep the ACK name with displayName: ${quote(key)}`,
            );
        }
        const pools = isPlainRecord(cluster) ? cluster["nodePools"] : undefined;
        for (const poolName of Object.keys(isPlainRecord(pools) ? pools : {})) {
            if (!DNS_LABEL.test(poolName) || poolName.length > MAX_NODE_POOL_KEY_LENGTH) {
                problems.add(`clusters.${key}.nodePools.${poolName}`, `node pool names must be DNS-1123 labels of at most ${MAX_NODE_POOL_KEY_LENGTH} characters`, "rename the pool, e.g. \"default\"");
            }
        }
    }
}

/**
 * Parses, validates and resolves the stack configuration.
 *
 * @param raw values of the `ack-mesh:` config keys, without the namespace
 *   (e.g. `{ mesh: {...}, clusters: {...} }`); secret keys may be present with
 *   any placeholder value.
 * @param extraChecks further validation to run on the resolved config (the
 *   network planner), whose problems are reported together with these.
 * @throws ConfigError listing every problem.
 */
export function parseStackConfig(
    raw: Record<string, unknown>,
    extraChecks?: (config: StackConfig) => ReadonlyArray<ConfigProblem>,
): StackConfig {
    const problems = new ProblemCollector();
    const known = new Set<string>([...CONFIG_KEYS, ...SECRET_CONFIG_KEYS]);
    const schemaInput: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw ?? {})) {
        if (known.has(key)) {
            if (!(SECRET_CONFIG_KEYS as readonly string[]).includes(key)) schemaInput[key] = value;
        } else {
            const hint = suggest(key, [...known]);
            problems.add(
                `${CONFIG_NAMESPACE}:${key}`,
                "unknown config key",
                `${hint ? `did you mean "${CONFIG_NAMESPACE}:${hint}"? ` : ""}remove it; known keys: ${[...known].map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}`,
            );
        }
    }
    for (const moved of movedKeys(schemaInput)) {
        problems.add(moved.path, `has moved to ${CONFIG_NAMESPACE}:images.${moved.to}`, `set it as ${CONFIG_NAMESPACE}:images: { ${moved.to}: ${quote(moved.value)} } and remove ${moved.path}`, moved.value);
    }
    mapKeyProblems(schemaInput, problems);
    for (const path of reservedKeyPaths(schemaInput)) {
        problems.add(path, "is a reserved JavaScript name and cannot be a key here", "rename it");
    }
    const parsed = parseSchema(schemaInput, problems);
    if (!parsed) {
        problems.throwIfAny();
        throw new ConfigError([{ path: "(root)", message: "configuration could not be parsed", fix: "check the YAML" }]);
    }
    const config = resolve(parsed, raw, problems);
    if (config) problems.addAll([...revisionConfigProblems(config, raw, parsed.bookinfo.revisionTag), ...upgradeConfigProblems(config)]);
    if (config && extraChecks) {
        problems.addAll(extraChecks(config));
    }
    problems.throwIfAny();
    return config!;
}

function resolve(parsed: ParsedStackConfig, raw: Record<string, unknown>, problems: ProblemCollector): StackConfig | undefined {
    const { mesh } = parsed;
    const clusterEntries = Object.entries(parsed.clusters);
    if (clusterEntries.length === 0) {
        problems.add("clusters", "has no clusters", "add at least one cluster under ack-mesh:clusters", {});
        return undefined;
    }
    const primaries = clusterEntries.filter(([, c]) => c.role === "primary").map(([k]) => k);

    // Topology, roles and who controls whom.
    const controlPlaneOf = resolveControlPlanes(parsed, problems);

    // VPCs referenced by clusters.
    const vpcMembers = new Map<string, string[]>();
    for (const [key, c] of clusterEntries) {
        if (c.vpc === undefined) continue;
        const vpc = Object.hasOwn(parsed.vpcs, c.vpc) ? parsed.vpcs[c.vpc] : undefined;
        if (!vpc) {
            const hint = suggest(c.vpc, Object.keys(parsed.vpcs));
            problems.add(
                `clusters.${key}.vpc`,
                "names a VPC that is not defined in ack-mesh:vpcs",
                hint ? `did you mean "${hint}"?` : `define vpcs.${c.vpc} (region, optional cidr) or remove clusters.${key}.vpc to give the cluster its own VPC`,
                c.vpc,
            );
            continue;
        }
        if (vpc.region !== c.region && PROVIDER_REGIONS.includes(c.region)) {
            problems.add(
                `clusters.${key}.vpc`,
                `VPC "${c.vpc}" is in ${vpc.region} but the cluster is in ${c.region}; a VPC is regional`,
                `use a VPC in ${c.region}, or move the cluster`,
                c.vpc,
            );
        }
        if (c.cidrs?.vpc !== undefined) {
            problems.add(
                `clusters.${key}.cidrs.vpc`,
                `the cluster sits in shared VPC "${c.vpc}", whose CIDR is set on the VPC`,
                `remove it and set vpcs.${c.vpc}.cidr instead`,
                c.cidrs.vpc,
            );
        }
        vpcMembers.set(c.vpc, [...(vpcMembers.get(c.vpc) ?? []), key]);
    }
    for (const [name] of Object.entries(parsed.vpcs)) {
        if (!vpcMembers.has(name)) {
            problems.add(`vpcs.${name}`, "no cluster uses this VPC", `reference it with clusters.<name>.vpc: ${name}, or remove it`);
        }
        if (clusterEntries.some(([k]) => k === name)) {
            problems.add(`vpcs.${name}`, "a shared VPC cannot have the same name as a cluster (each cluster's own VPC is keyed by the cluster name)", "rename the VPC");
        }
    }
    const vpcOf = (key: string, c: ParsedCluster) => c.vpc ?? key;
    const vpcKeys = new Set(clusterEntries.map(([k, c]) => vpcOf(k, c)));

    // Flat network across separate VPCs needs routable pod IPs.
    if (mesh.networks === "flat" && vpcKeys.size > 1) {
        for (const [key, c] of clusterEntries) {
            if (c.cni === "flannel") {
                problems.add(
                    `clusters.${key}.cni`,
                    "Flannel pod IPs are not routable across CEN (its per-node routes are not advertised), so a flat mesh across several VPCs cannot reach them",
                    "use cni: terway, put the clusters in one shared VPC, or set mesh.networks: multi-network",
                    c.cni,
                );
            }
        }
    }

    // The network names the clusters give (a flat mesh has one), and the one most of them give, if any.
    const explicit = [...new Set(clusterEntries.map(([, x]) => x.network).filter((n): n is string => n !== undefined))];
    const majority = majorityNetwork(clusterEntries);
    const resolvedClusters: [string, ClusterConfig][] = [];
    const displayNames = new Map<string, string>();
    for (const [key, c] of clusterEntries) {
        const base = `clusters.${key}`;
        // Zones.
        const seenZones = new Set<string>();
        checkRegion(problems, `${base}.region`, c.region, c.zones);
        c.zones.forEach((zone, i) => {
            if (zoneLetter(c.region, zone) === undefined) {
                const zoneRegion = regionOfZone(zone);
                const knownRegion = PROVIDER_REGIONS.includes(c.region);
                problems.add(
                    `${base}.zones[${i}]`,
                    zoneRegion ? `is a zone of region ${zoneRegion}, not of the cluster's region ${c.region}` : "is not a zone id",
                    knownRegion
                        ? `use a zone of ${c.region} (zone ids are the region id and a letter, e.g. ${c.region}-h; the preflight lists the zones on offer)${zoneRegion && PROVIDER_REGIONS.includes(zoneRegion) ? `, or set ${base}.region: ${zoneRegion}` : ""}`
                        : `first correct ${base}.region, then use zones of that region`,
                    zone,
                );
            }
            if (seenZones.has(zone)) {
                problems.add(`${base}.zones[${i}]`, "is listed twice", "list each zone once", zone);
            }
            seenZones.add(zone);
        });
        const controlPlane = controlPlaneOf[key];
        if (c.role === "remote" && c.ingressGateway === true) {
            problems.add(`${base}.ingressGateway`, "ingress gateways are installed on control-plane clusters", "remove it; the primary's ingress gateway routes to workloads on this cluster", true);
        }
        // Network.
        let network: string;
        if (mesh.networks === "flat") {
            network = DEFAULTS.flatNetworkName;
            if (explicit.length === 1) network = explicit[0];
            const primary = c.role === "remote" ? parsed.clusters[controlPlane] : undefined;
            if (c.network !== undefined && explicit.length > 1 && primary?.network !== undefined && primary.network !== c.network) {
                problems.add(
                    `${base}.network`,
                    `the remote is on network ${c.network} but its primary ${controlPlane} is on ${primary.network}, and a flat mesh has no east-west gateways to join two networks (the remote's pods could not reach the primary's workloads, nor the primary's the remote's)`,
                    `put ${key} on network ${primary.network}, or set mesh.networks: multi-network (every cluster then gets an east-west gateway)`,
                    c.network,
                );
            } else if (c.network !== undefined && explicit.length > 1 && c.network !== majority) {
                // Only the clusters off the network most of them name (all of them when none has a majority).
                problems.add(
                    `${base}.network`,
                    `a flat mesh has one network, but the clusters name ${explicit.length} (${explicit.join(", ")})`,
                    "use the same network name everywhere, or set mesh.networks: multi-network",
                    c.network,
                );
            }
        } else {
            network = c.network ?? `network-${key}`;
        }
        // CNI-specific pins.
        const cidrs = c.cidrs ?? {};
        if (c.cni === "terway") {
            if (cidrs.pod !== undefined) {
                problems.add(`${base}.cidrs.pod`, "Terway has no pod CIDR: pods take addresses from pod vSwitches", "remove it and pin cidrs.podVswitches per zone if needed", cidrs.pod);
            }
            if (cidrs.nodeCidrMask !== undefined) {
                problems.add(`${base}.cidrs.nodeCidrMask`, "nodeCidrMask only applies to Flannel", "remove it", cidrs.nodeCidrMask);
            }
        } else if (cidrs.podVswitches !== undefined) {
            problems.add(`${base}.cidrs.podVswitches`, "pod vSwitches only apply to Terway", "remove them, or set cni: terway", cidrs.podVswitches);
        }
        for (const field of ["vswitches", "podVswitches"] as const) {
            for (const zone of Object.keys(cidrs[field] ?? {})) {
                if (!c.zones.includes(zone)) {
                    problems.add(`${base}.cidrs.${field}.${zone}`, "pins a CIDR for a zone the cluster does not use", `add ${zone} to ${base}.zones or remove the pin`);
                }
            }
        }
        if (cidrs.nodeCidrMask !== undefined && (cidrs.nodeCidrMask < 24 || cidrs.nodeCidrMask > 28)) {
            problems.add(`${base}.cidrs.nodeCidrMask`, "must be between 24 and 28", "use 24 (255 pods per node) to 28 (15 pods per node)", cidrs.nodeCidrMask);
        }
        if (c.slot !== undefined && (c.slot < 0 || c.slot > 127)) {
            problems.add(`${base}.slot`, "must be between 0 and 127", "choose an unused slot in 0..127", c.slot);
        }
        // Node pools.
        const poolEntries = Object.entries(c.nodePools ?? { default: {} as any });
        const pools: [string, NodePoolConfig][] = [];
        for (const [poolName, p] of poolEntries) {
            const pool = p as Partial<NodePoolConfig> & { zones?: string[] };
            const zones = pool.zones ?? c.zones;
            zones.forEach((z, i) => {
                if (!c.zones.includes(z)) {
                    problems.add(`${base}.nodePools.${poolName}.zones[${i}]`, "is not one of the cluster's zones", `use one of: ${c.zones.join(", ")}`, z);
                }
            });
            if (pool.keyName !== undefined && !isKeyPairName(pool.keyName)) {
                problems.add(`${base}.nodePools.${poolName}.keyName`, "is not an ECS key pair name", KEY_PAIR_NAME_FIX, pool.keyName);
            }
            pools.push([
                poolName,
                {
                    name: poolName,
                    instanceTypes: pool.instanceTypes ?? [...DEFAULTS.instanceTypes],
                    size: pool.size ?? DEFAULTS.nodePoolSize,
                    systemDiskCategory: pool.systemDiskCategory ?? DEFAULTS.systemDiskCategory,
                    systemDiskSizeGb: pool.systemDiskSizeGb ?? DEFAULTS.systemDiskSizeGb,
                    zones,
                    ...(pool.keyName !== undefined ? { keyName: pool.keyName } : {}),
                },
            ]);
        }
        if (poolEntries.length === 0) {
            problems.add(`${base}.nodePools`, "has no node pools", "add a pool, e.g. nodePools: { default: { size: 3 } }", {});
        }
        const workers = pools.reduce((n, [, p]) => n + p.size, 0);
        if (workers < DEFAULTS.minWorkers && !c.allowFewerThanThreeWorkers) {
            problems.add(
                `${base}.nodePools`,
                `has ${workers} worker${workers === 1 ? "" : "s"} in total; a cluster needs at least ${DEFAULTS.minWorkers} for an available control plane and gateways`,
                `raise the pool sizes to ${DEFAULTS.minWorkers} or more, or set ${base}.allowFewerThanThreeWorkers: true for a throwaway cluster`,
                workers,
            );
        }
        // Display names are unique per account.
        const displayName = c.displayName ?? key;
        const other = displayNames.get(displayName.toLowerCase());
        if (other !== undefined) {
            problems.add(
                `${base}.displayName`,
                `duplicates the ACK cluster name of clusters.${other} (names are unique per account)`,
                "give each cluster its own displayName",
                displayName,
            );
        }
        displayNames.set(displayName.toLowerCase(), key);

        resolvedClusters.push([
            key,
            {
                name: key,
                displayName,
                region: c.region,
                zones: [...c.zones],
                role: c.role,
                controlPlane,
                network,
                cni: c.cni,
                kubernetesVersion: c.kubernetesVersion,
                clusterSpec: c.clusterSpec,
                proxyMode: c.proxyMode,
                vpc: vpcOf(key, c),
                sharedVpc: c.vpc !== undefined,
                slot: c.slot,
                cidrs: {
                    vpc: cidrs.vpc,
                    vswitches: { ...(cidrs.vswitches ?? {}) },
                    podVswitches: { ...(cidrs.podVswitches ?? {}) },
                    pod: cidrs.pod,
                    service: cidrs.service,
                    nodeCidrMask: c.cni === "flannel" ? (cidrs.nodeCidrMask ?? DEFAULTS.nodeCidrMask) : undefined,
                },
                nodePools: sortedRecord(pools),
                allowFewerThanThreeWorkers: c.allowFewerThanThreeWorkers,
                apiServerPublic: c.apiServer.public,
                deletionProtection: c.deletionProtection,
                ingressGateway: c.ingressGateway ?? c.role === "primary",
                tags: { ...(c.tags ?? {}) },
            },
        ]);
    }
    const clusters = sortedRecord(resolvedClusters);

    // VPCs: shared ones plus each cluster's own.
    const vpcs: [string, VpcConfig][] = [];
    for (const [name, v] of Object.entries(parsed.vpcs)) {
        checkRegion(problems, `vpcs.${name}.region`, v.region);
        if (v.slot !== undefined && (v.slot < 0 || v.slot > 127)) {
            problems.add(`vpcs.${name}.slot`, "must be between 0 and 127", "choose an unused slot in 0..127", v.slot);
        }
        vpcs.push([name, { name, region: v.region, cidr: v.cidr, slot: v.slot, clusters: (vpcMembers.get(name) ?? []).sort(SORT), shared: true, configPath: `vpcs.${name}` }]);
    }
    for (const c of Object.values(clusters)) {
        if (!c.sharedVpc) {
            vpcs.push([c.name, { name: c.name, region: c.region, cidr: c.cidrs.vpc, slot: c.slot, clusters: [c.name], shared: false, configPath: `clusters.${c.name}.cidrs` }]);
        }
    }

    // Image hub: one setting (ack-mesh:images.istioHub), so that the mirror list and the warnings are exact.
    for (const [chart, values] of Object.entries(mesh.valuesOverride) as [string, Record<string, unknown> | undefined][]) {
        const global = values?.["global"];
        const paths: [string, unknown][] = [
            [`mesh.valuesOverride.${chart}.global.hub`, isPlainRecord(global) ? global["hub"] : undefined],
            ...(chart === "istiod" ? ([[`mesh.valuesOverride.istiod.hub`, values?.["hub"]]] as [string, unknown][]) : []),
        ];
        for (const [path, hub] of paths) {
            if (hub !== undefined) {
                problems.add(path, "sets the Istio image hub outside ack-mesh:images (the mirror list and the mainland-China warnings would not see it)", `remove it and set ${CONFIG_NAMESPACE}:images.istioHub: ${quote(hub)}`, hub);
            }
        }
    }

    // Mesh CA.
    const caShared = mesh.ca.shared ?? primaries.length > 1;
    if (mesh.ca.shared === false && primaries.length > 1) {
        problems.add("mesh.ca.shared", `the mesh has ${primaries.length} control planes, which must share one root of trust for cross-cluster mTLS`, "remove mesh.ca.shared or set it to true", false);
    }
    if (caShared && mesh.ca.source === "config") {
        for (const key of SECRET_CONFIG_KEYS) {
            if (raw[key] === undefined) {
                problems.add(
                    `${CONFIG_NAMESPACE}:${key}`,
                    "is required when mesh.ca.source is config",
                    `run: pulumi config set --secret ${CONFIG_NAMESPACE}:${key} -- "$(cat ${key === "caRootCert" ? "root-cert.pem" : "root-key.pem"})"`,
                );
            }
        }
    }

    // CEN.
    const regionsInUse = [...new Set(Object.values(clusters).map((c) => c.region))].sort();
    // The CEN instance is created by one region's provider; moving it replaces the CEN and every
    // transit router. The default (the first primary's region) can move when a primary is added:
    // stacks pin it, and the offline diff blocks such a replacement (exit 3) in pull requests.
    const firstPrimary = Object.values(clusters).find((c) => c.role === "primary") ?? Object.values(clusters)[0];
    const cenRegion = parsed.cen.region ?? firstPrimary.region;
    if (parsed.cen.region !== undefined && !regionsInUse.includes(parsed.cen.region)) {
        problems.add("cen.region", "is not a region of any cluster", `use one of: ${regionsInUse.join(", ")}`, parsed.cen.region);
    }
    if (parsed.cen.bandwidthType === "BandwidthPackage" && !parsed.cen.bandwidthPackageId) {
        problems.add("cen.bandwidthPackageId", "is required when cen.bandwidthType is BandwidthPackage", "set the id of an existing CEN bandwidth package, or use bandwidthType: DataTransfer");
    }

    // Bookinfo.
    const bookinfo = resolveBookinfo(parsed, clusters, problems);

    return {
        mesh: {
            ...mesh,
            ca: { shared: caShared, source: mesh.ca.source, algorithm: mesh.ca.algorithm, additionalTrustedRootCerts: [...mesh.ca.additionalTrustedRootCerts] },
        },
        clusters,
        vpcs: sortedRecord(vpcs),
        cen: { ...parsed.cen, region: cenRegion },
        ...(parsed.upgrade ? { upgrade: parsed.upgrade } : {}),
        securityGroups: { ...parsed.securityGroups },
        images: { ...parsed.images },
        bookinfo,
        verify: { ...parsed.verify },
        protect: parsed.protect,
    };
}

/** The network that more clusters name than any other, if one does (`clusters.<name>.network`). */
function majorityNetwork(clusterEntries: ReadonlyArray<[string, ParsedCluster]>): string | undefined {
    const counts = new Map<string, number>();
    for (const [, c] of clusterEntries) if (c.network !== undefined) counts.set(c.network, (counts.get(c.network) ?? 0) + 1);
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    return ranked.length > 0 && (ranked.length === 1 || ranked[0][1] > ranked[1][1]) ? ranked[0][0] : undefined;
}

function resolveBookinfo(parsed: ParsedStackConfig, clusters: Record<string, ClusterConfig>, problems: ProblemCollector): BookinfoConfig {
    const b = parsed.bookinfo;
    const names = Object.keys(clusters);
    const placement = {} as Record<BookinfoWorkload, string[]>;
    for (const w of BOOKINFO_WORKLOADS) {
        const targets = b.placement[w] ?? [];
        targets.forEach((t, i) => {
            if (!Object.hasOwn(clusters, t)) {
                const hint = suggest(t, names);
                problems.add(
                    `bookinfo.placement.${w}[${i}]`,
                    "names a cluster that does not exist",
                    hint ? `did you mean "${hint}"?` : `use one of: ${names.join(", ")}`,
                    t,
                );
            }
            if (targets.indexOf(t) !== i) {
                problems.add(`bookinfo.placement.${w}[${i}]`, "lists a cluster twice", "list each cluster once", t);
            }
        });
        if (b.enabled && targets.length === 0) {
            problems.add(`bookinfo.placement.${w}`, "is not placed on any cluster; Bookinfo needs every workload somewhere in the mesh", `add ${w}: [<cluster>]`);
        }
        placement[w] = [...targets];
    }
    const regions = [...new Set(Object.values(clusters).map((c) => c.region))].sort(SORT);
    let failover = b.failover ?? [];
    if (b.failover) {
        b.failover.forEach((f, i) => {
            for (const side of ["from", "to"] as const) {
                if (!regions.includes(f[side])) {
                    problems.add(`bookinfo.failover[${i}].${side}`, "is not a region of any mesh cluster", `use one of: ${regions.join(", ")}`, f[side]);
                }
            }
            if (f.from === f.to) problems.add(`bookinfo.failover[${i}]`, "fails over to the same region", "use two different regions", f);
        });
    } else if (b.routing === "locality-failover") {
        failover = regions.map((from, i) => ({ from, to: regions[(i + 1) % regions.length] })).filter((f) => f.from !== f.to);
    }
    if (b.failover && b.routing !== "locality-failover") {
        problems.add("bookinfo.failover", `only applies to routing: locality-failover (routing is ${b.routing})`, "remove it, or set bookinfo.routing: locality-failover");
    }
    if (b.enabled && b.routing === "locality-failover" && regions.length < 2) {
        problems.add("bookinfo.routing", "locality failover needs clusters in at least two regions", "add a cluster in another region, or use routing: plain", b.routing);
    } else if (b.enabled && b.routing === "locality-failover") {
        // Its rules eject up to 100% of a service's endpoints (maxEjectionPercent 100, Istio's panic threshold 0).
        const regionOf = (c: string) => (Object.hasOwn(clusters, c) ? clusters[c].region : undefined);
        for (const p of singleRegionBookinfoServices((w) => placement[w], regionOf, "routing: plain")) problems.add(`bookinfo.placement.${p.workload}`, p.message, p.fix);
    }
    const namespaceTag = bookinfoRevisionTag(parsed.mesh, b.revisionTag);
    return { enabled: b.enabled, tag: b.tag, placement, routing: b.routing, failover, ...(namespaceTag !== undefined ? { namespaceTag } : {}) };
}

/** Narrow helper for tests and tools: parse without extra checks, returning problems instead of throwing. */
export function tryParseStackConfig(raw: Record<string, unknown>): { config?: StackConfig; error?: ConfigError } {
    try {
        return { config: parseStackConfig(raw) };
    } catch (e) {
        if (ConfigError.is(e)) return { error: e };
        throw e;
    }
}

export type { z };
