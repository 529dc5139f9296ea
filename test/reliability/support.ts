/**
 * Helpers shared by the reliability specs (test/reliability/*.spec.ts) only:
 * one cached simulation per stack, raw-config builders, a generator of small
 * VALID topologies, and the mutations the growth specs apply to a config.
 *
 * Everything here is deterministic: the fast-check samples use fixed seeds.
 */
import * as path from "path";
import fc from "fast-check";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { readStackConfig, ROOT, simulate, SimulationResult, stackRaw } from "../support";
import type { CatalogZone, SimCatalog } from "../../sim/catalog";
import { CATALOG, TRACKED_INSTANCE_TYPES } from "../../sim/catalogData";

/** Pulumi project name of every simulation. */
export const PROJECT = "ack-mesh";

/** Resource type tokens the reliability specs look at. */
export const T = {
    stack: "pulumi:pulumi:Stack",
    aliProvider: "pulumi:providers:alicloud",
    k8sProvider: "pulumi:providers:kubernetes",
    vpc: "alicloud:vpc/network:Network",
    vswitch: "alicloud:vpc/switch:Switch",
    sg: "alicloud:ecs/securityGroup:SecurityGroup",
    sgRule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
    cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
    nodePool: "alicloud:cs/nodePool:NodePool",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    release: "kubernetes:helm.sh/v3:Release",
    peerAuthn: "kubernetes:security.istio.io/v1:PeerAuthentication",
    tlsKey: "tls:index/privateKey:PrivateKey",
    ackCluster: "ack-mesh:cluster:AckCluster",
    controlPlane: "ack-mesh:mesh:IstioControlPlane",
} as const;

/** Type tokens of the CEN part of VpcWithCen (present only with more than one VPC). */
export const CEN_TYPES: ReadonlySet<string> = new Set([
    "alicloud:cen/instance:Instance",
    "alicloud:cen/transitRouter:TransitRouter",
    "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable",
    "alicloud:cen/transitRouterVpcAttachment:TransitRouterVpcAttachment",
    "alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment",
    "alicloud:cen/transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation",
    "alicloud:cen/transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation",
]);

/** A raw `ack-mesh:` config (keys without the namespace), loosely typed for mutation. */
export type Raw = Record<string, any>;

/** Deep copy of a JSON-shaped raw config. */
export function clone<X>(x: X): X {
    return structuredClone(x);
}

/** `{mesh: …}` → `{"ack-mesh:mesh": …}`, what `simulate` takes as `config`. */
export function namespaced(raw: Raw): Record<string, unknown> {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [`${PROJECT}:${k}`, v]));
}

/**
 * The simulated account of generated topologies: {@link CATALOG}, where every zone letter a..p of
 * every region exists, sells every instance type the catalog tracks and is supported by the
 * region's transit router. These suites test the plan's stability over arbitrary zones, not today's availability
 * (test/programs/preflight.spec.ts and test/components/preflight.spec.ts test the preflight).
 */
export function openCatalog(): SimCatalog {
    openCatalogMemo ??= {
        ...CATALOG,
        regions: Object.fromEntries(
            Object.values(CATALOG.regions).map((r) => {
                const zones: Record<string, CatalogZone> = { ...r.zones };
                for (const l of LETTERS) {
                    const id = zoneId(r.id, l);
                    zones[id] = { id, localName: id, instanceTypes: [...TRACKED_INSTANCE_TYPES] };
                }
                return [r.id, { ...r, zones, transitRouter: { masterZones: Object.keys(zones), slaveZones: [] } }];
            }),
        ),
    };
    return openCatalogMemo;
}
let openCatalogMemo: SimCatalog | undefined;

/** Runs the real program on the simulated cloud with a raw config (on {@link openCatalog}). */
export function simulateRaw(stack: string, raw: Raw): Promise<SimulationResult> {
    return simulate(runAckMesh, { project: PROJECT, stack, config: namespaced(raw), catalog: openCatalog() });
}

/** Runs the real program with a full config (namespaced keys) and its secret keys. */
export function simulateConfig(stack: string, config: Record<string, unknown>, secretConfigKeys: string[] = []): Promise<SimulationResult> {
    return simulate(runAckMesh, { project: PROJECT, stack, config, secretConfigKeys });
}

const stackRuns = new Map<string, Promise<SimulationResult>>();

/**
 * The simulation of `stacks/Pulumi.<stack>.yaml`, exactly as test/programs/stacks.spec.ts runs it
 * (readStackConfig), computed once per mocha process and shared by every reliability spec.
 */
export function simulateStack(stack: string): Promise<SimulationResult> {
    let run = stackRuns.get(stack);
    if (!run) {
        const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
        run = simulate(runAckMesh, { project: PROJECT, stack, config, secretConfigKeys });
        stackRuns.set(stack, run);
    }
    return run;
}

/** A fresh (uncached) simulation of a stack file, for determinism checks. */
export function simulateStackAgain(stack: string): Promise<SimulationResult> {
    const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
    return simulate(runAckMesh, { project: PROJECT, stack, config, secretConfigKeys });
}

/** The raw config of a stack file (keys without namespace). */
export function rawOfStack(stack: string): Raw {
    return stackRaw(stack) as Raw;
}

/** Last `::` segment of a URN: the resource name. */
export function nameOfUrn(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i >= 0 ? urn.slice(i + 2) : urn;
}

/** `metadata.name` of a Kubernetes resource's inputs. */
export function metaName(inputs: Record<string, unknown>): string {
    return String(((inputs.metadata as Record<string, unknown> | undefined)?.name as string | undefined) ?? "");
}

// ---------------------------------------------------------------------------
// Valid topologies
// ---------------------------------------------------------------------------

/** Cluster names of generated topologies: no name is another's prefix, none contains '-'. */
export const NAME_POOL = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"] as const;
/** Regions of generated topologies. */
/**
 * Regions of generated topologies. No `ap-southeast-1`: the simulated cloud only accepts zone ids
 * `<region>-<letter>`, so Singapore's real `ap-southeast-1a` fails there (see growth.spec.ts).
 */
export const REGIONS = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen"] as const;
/** Zone letters the planner can place (a..p). */
export const LETTERS = "abcdefghijklmnop";

/** Zone id of a region and a letter, as Alibaba spells it. */
export function zoneId(region: string, letter: string): string {
    return `${region}-${letter}`;
}

/** Name of the shared VPC generated topologies use in a region. */
export function sharedVpcName(region: string): string {
    return `shared-${region}`;
}

/** One generated cluster. */
export interface GenCluster {
    readonly name: string;
    readonly region: string;
    readonly letters: string[];
    readonly slot: number;
    readonly cni: "terway" | "flannel";
    readonly pools: { name: string; size: number }[];
    /** Sits in its region's shared VPC. */
    readonly shared: boolean;
}

/** One generated topology (always valid, see {@link isValidTopology}). */
export interface GenTopology {
    readonly topology: "primary-remote" | "multi-primary";
    readonly networks: "flat" | "multi-network";
    readonly clusters: GenCluster[];
    /** Slot of each region's shared VPC. */
    readonly vpcSlots: Record<string, number>;
    readonly bookinfo: boolean;
}

const lettersArb = fc.uniqueArray(fc.constantFrom(...LETTERS.slice(0, 11).split("")), { minLength: 1, maxLength: 3 });
const poolsArb = fc.uniqueArray(
    fc.record({ name: fc.constantFrom("default", "system", "apps"), size: fc.integer({ min: 3, max: 6 }) }),
    { minLength: 1, maxLength: 2, selector: (p) => p.name },
);

/**
 * Small valid topologies: 1–5 clusters, explicit distinct slots, flat meshes on Terway (Flannel
 * only on multi-network meshes), some clusters in a shared VPC of their region, `cen.region`
 * pinned for multi-primary meshes (see growth.spec.ts for why).
 */
export const validTopologyArb: fc.Arbitrary<GenTopology> = fc
    .record({
        topology: fc.constantFrom("primary-remote" as const, "multi-primary" as const),
        networks: fc.constantFrom("flat" as const, "multi-network" as const),
        names: fc.shuffledSubarray([...NAME_POOL], { minLength: 1, maxLength: 5 }),
        slots: fc.uniqueArray(fc.integer({ min: 0, max: 127 }), { minLength: 9, maxLength: 9 }),
        regions: fc.array(fc.constantFrom(...REGIONS), { minLength: 5, maxLength: 5 }),
        letters: fc.array(lettersArb, { minLength: 5, maxLength: 5 }),
        pools: fc.array(poolsArb, { minLength: 5, maxLength: 5 }),
        shared: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        flannel: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        bookinfo: fc.boolean(),
    })
    .map((g): GenTopology => {
        const clusters = g.names.map(
            (name, i): GenCluster => ({
                name,
                region: g.regions[i],
                letters: [...g.letters[i]].sort(),
                slot: g.slots[i],
                cni: g.networks === "multi-network" && g.flannel[i] ? "flannel" : "terway",
                pools: g.pools[i],
                shared: g.shared[i],
            }),
        );
        const vpcSlots: Record<string, number> = {};
        REGIONS.forEach((r, i) => (vpcSlots[r] = g.slots[5 + i]));
        return { topology: g.topology, networks: g.networks, clusters, vpcSlots, bookinfo: g.bookinfo };
    })
    .filter(isValidTopology);

/** The constraints {@link validTopologyArb} guarantees (shared-VPC quarters are distinct). */
export function isValidTopology(g: GenTopology): boolean {
    for (const region of REGIONS) {
        const members = g.clusters.filter((c) => c.shared && c.region === region);
        if (new Set(members.map((c) => c.slot % 4)).size !== members.length) return false;
    }
    return true;
}

/** The raw config of a generated topology. */
export function rawOf(g: GenTopology): Raw {
    const primary = g.clusters[0].name;
    const clusters: Raw = {};
    const vpcs: Raw = {};
    for (const c of g.clusters) {
        clusters[c.name] = {
            region: c.region,
            zones: c.letters.map((l) => zoneId(c.region, l)),
            role: g.topology === "multi-primary" || c.name === primary ? "primary" : "remote",
            cni: c.cni,
            slot: c.slot,
            nodePools: Object.fromEntries(c.pools.map((p) => [p.name, { size: p.size }])),
            deletionProtection: false,
            ...(c.shared ? { vpc: sharedVpcName(c.region) } : {}),
        };
        if (c.shared) vpcs[sharedVpcName(c.region)] = { region: c.region, slot: g.vpcSlots[c.region] };
    }
    const raw: Raw = {
        mesh: { id: "mesh-rel", topology: g.topology, networks: g.networks },
        clusters,
        ...(Object.keys(vpcs).length ? { vpcs } : {}),
    };
    // The default CEN region of a multi-primary mesh is the region of its alphabetically first
    // cluster, which moves when a cluster is added (see growth.spec.ts): pin it, as prod does.
    if (g.topology === "multi-primary") raw.cen = { region: g.clusters[0].region };
    if (g.bookinfo) {
        const names = g.clusters.map((c) => c.name);
        raw.bookinfo = {
            enabled: true,
            placement: {
                "productpage-v1": [primary],
                "details-v1": [names[names.length - 1]],
                "ratings-v1": [primary],
                "reviews-v1": [primary],
                "reviews-v2": names.slice(0, 2),
                "reviews-v3": [names[names.length - 1]],
            },
        };
    }
    return raw;
}

/** Deterministic sample of valid topologies. */
export function sampleTopologies(seed: number, n: number): GenTopology[] {
    return fc.sample(validTopologyArb, { seed, numRuns: n });
}

// ---------------------------------------------------------------------------
// Mutations of a raw config (for generated topologies and for stacks/ alike)
// ---------------------------------------------------------------------------

/** What a mutation did. */
export interface Mutation {
    /** `add-cluster`, `remove-cluster`, `add-zone` or `add-node-pool`. */
    readonly kind: "add-cluster" | "remove-cluster" | "add-zone" | "add-node-pool";
    /** The cluster added, removed or grown. */
    readonly cluster: string;
    /** One line for humans. */
    readonly text: string;
    /** The config after the mutation. */
    readonly raw: Raw;
}

function usedSlots(raw: Raw): Set<number> {
    const used = new Set<number>();
    for (const c of Object.values<any>(raw.clusters ?? {})) if (typeof c.slot === "number") used.add(c.slot);
    for (const v of Object.values<any>(raw.vpcs ?? {})) if (typeof v.slot === "number") used.add(v.slot);
    return used;
}

/** Whether a config's clusters all sit in one VPC (then there is no CEN). */
function vpcKeys(raw: Raw): Set<string> {
    return new Set(Object.entries<any>(raw.clusters).map(([k, c]) => c.vpc ?? k));
}

/**
 * Adds a cluster with a fresh name and an unused slot. It is a remote of the (first) primary in a
 * primary-remote mesh (of the first primary in a multi-primary-remote one) and a primary in a multi-primary one. A flat mesh with Flannel clusters
 * (which cannot span VPCs) gets the new cluster in their shared VPC, on a free quarter; any other
 * mesh gets it in its own VPC in `region` (Terway on flat meshes), or with `joinShared` in the
 * first shared VPC that has a free quarter.
 */
export function addCluster(raw0: Raw, pick: { region: string; letters: string[]; flannel: boolean; joinShared?: boolean }): Mutation {
    const raw = clone(raw0);
    const names = Object.keys(raw.clusters);
    const name = NAME_POOL.find((n) => !names.includes(n)) ?? `extra${names.length}`;
    const used = usedSlots(raw);
    const flat = (raw.mesh.networks ?? "flat") === "flat";
    const flannelFlat = flat && Object.values<any>(raw.clusters).some((c) => c.cni === "flannel");
    const multiPrimary = raw.mesh.topology === "multi-primary";
    // With several primaries a remote names its primary: the first one.
    const firstPrimary = Object.keys(raw.clusters).sort().find((k) => raw.clusters[k].role === "primary");
    const cluster: Raw = {
        role: multiPrimary ? "primary" : "remote",
        ...(raw.mesh.topology === "multi-primary-remote" ? { controlPlane: firstPrimary } : {}),
        nodePools: { default: { size: 3 } },
        deletionProtection: false,
    };
    let text: string;
    if (flannelFlat) {
        // Join the Flannel clusters' shared VPC (the only way a flat Flannel mesh can grow).
        const host = Object.values<any>(raw.clusters).find((c) => c.cni === "flannel" && c.vpc !== undefined);
        if (!host) throw new Error("addCluster: a flat Flannel mesh without a shared VPC cannot grow");
        const members = Object.values<any>(raw.clusters).filter((c) => c.vpc === host.vpc);
        const quarters = new Set(members.map((c) => c.slot % 4));
        let slot = 0;
        while (used.has(slot) || quarters.has(slot % 4)) slot++;
        Object.assign(cluster, { region: host.region, zones: [...host.zones], cni: "flannel", vpc: host.vpc, slot });
        text = `add cluster ${name} (flannel, slot ${slot}) to shared VPC ${host.vpc}`;
    } else if (pick.joinShared && sharedWithRoom(raw, used)) {
        const { vpc, region, slot } = sharedWithRoom(raw, used)!;
        const cni = flat ? "terway" : pick.flannel ? "flannel" : "terway";
        Object.assign(cluster, { region, zones: pick.letters.map((l) => zoneId(region, l)), cni, vpc, slot });
        text = `add cluster ${name} (${cni}, slot ${slot}) to shared VPC ${vpc}`;
    } else {
        let slot = 0;
        while (used.has(slot)) slot++;
        const cni = flat ? "terway" : pick.flannel ? "flannel" : "terway";
        Object.assign(cluster, { region: pick.region, zones: pick.letters.map((l) => zoneId(pick.region, l)), cni, slot });
        text = `add cluster ${name} (${cni}, slot ${slot}) with its own VPC in ${pick.region}`;
    }
    raw.clusters[name] = cluster;
    return { kind: "add-cluster", cluster: name, text, raw };
}

/** The first shared VPC with a free quarter, and a free slot on that quarter. */
function sharedWithRoom(raw: Raw, used: Set<number>): { vpc: string; region: string; slot: number } | undefined {
    for (const [vpc, v] of Object.entries<any>(raw.vpcs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
        const quarters = new Set(Object.values<any>(raw.clusters).filter((c) => c.vpc === vpc).map((c) => c.slot % 4));
        if (quarters.size >= 4) continue;
        let slot = 0;
        while (used.has(slot) || quarters.has(slot % 4)) slot++;
        return { vpc, region: v.region, slot };
    }
    return undefined;
}

/** Clusters {@link removeCluster} may remove: remotes (a primary-remote mesh's primary stays). */
export function removableClusters(raw: Raw): string[] {
    return Object.entries<any>(raw.clusters)
        .filter(([, c]) => c.role === "remote")
        .map(([k]) => k)
        .sort();
}

/**
 * Removes a remote cluster and everything of the config that names it: its Bookinfo placements
 * (a workload left nowhere moves to the primary), its shared VPC when it was the last member,
 * locality-failover settings that need the region it took away (routing becomes `plain`).
 */
export function removeCluster(raw0: Raw, victim: string): Mutation {
    const raw = clone(raw0);
    const c = raw.clusters[victim];
    if (!c || c.role !== "remote") throw new Error(`removeCluster: ${victim} is not a remote`);
    delete raw.clusters[victim];
    if (c.vpc !== undefined && !Object.values<any>(raw.clusters).some((x) => x.vpc === c.vpc)) delete raw.vpcs[c.vpc];
    if (raw.vpcs && Object.keys(raw.vpcs).length === 0) delete raw.vpcs;
    const notes: string[] = [];
    const primary = Object.entries<any>(raw.clusters).find(([, x]) => x.role === "primary")![0];
    const b = raw.bookinfo;
    if (b?.placement) {
        for (const [w, targets] of Object.entries<string[]>(b.placement)) {
            const left = targets.filter((t) => t !== victim);
            if (left.length === 0 && targets.length > 0) {
                left.push(primary);
                notes.push(`${w} moves to ${primary}`);
            }
            b.placement[w] = left;
        }
    }
    const regions = new Set(Object.values<any>(raw.clusters).map((x) => x.region));
    if (raw.cen?.region !== undefined && !regions.has(raw.cen.region)) throw new Error(`removeCluster: ${victim} takes away the pinned CEN region`);
    if (b?.enabled && b.routing === "locality-failover" && regions.size < 2) {
        b.routing = "plain";
        delete b.failover;
        notes.push("bookinfo routing becomes plain (one region left)");
    }
    const vpcsLeft = vpcKeys(raw).size;
    return { kind: "remove-cluster", cluster: victim, text: `remove remote ${victim}${notes.length ? ` (${notes.join("; ")})` : ""}; ${vpcsLeft} VPC(s) left`, raw };
}

/** Adds an unused zone (letter a..p) of the cluster's region to `cluster`; undefined when it has 5. */
export function addZone(raw0: Raw, cluster: string, pick: number): Mutation | undefined {
    const raw = clone(raw0);
    const c = raw.clusters[cluster];
    if (c.zones.length >= 5) return undefined;
    const free = LETTERS.split("")
        .map((l) => zoneId(c.region, l))
        .filter((z) => !c.zones.includes(z));
    const zone = free[pick % free.length];
    c.zones = [...c.zones, zone];
    return { kind: "add-zone", cluster, text: `add zone ${zone} to ${cluster}`, raw };
}

/** Adds a node pool `extra` (3 workers, all zones) to `cluster`. */
export function addNodePool(raw0: Raw, cluster: string): Mutation {
    const raw = clone(raw0);
    const c = raw.clusters[cluster];
    c.nodePools = { ...(c.nodePools ?? { default: {} }), extra: { size: 3 } };
    return { kind: "add-node-pool", cluster, text: `add node pool extra to ${cluster}`, raw };
}
