/**
 * Property tests of the CIDR planner over thousands of random topologies.
 *
 * The oracles here are independent of plan/ip.ts: ranges are parsed, split
 * and compared with `ip-num` directly (IPv4CidrRange.fromCidr, split,
 * splitInto, contains, isOverlapping), and the expected plan of a generated
 * topology is rebuilt from the layout documented in plan/network.ts.
 *
 * The seed is fixed and printed; re-run a failure with the same seed.
 * `PROP_RUNS=200 npx mocha test/plan/network.properties.spec.ts` gives a
 * quicker local loop; the default (and CI) is 1000 runs per property.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { IPv4CidrRange, IPv4Prefix } from "ip-num";
import { parseStackConfig } from "../../config/load";
import { ConfigError } from "../../config/errors";
import { ClusterNetworkPlan, NetworkPlan, networkProblems, planNetwork, VpcPlan } from "../../plan/network";

const SEED = 20261123;
const RUNS = Number(process.env.PROP_RUNS ?? 1000);

// --------------------------------------------------------------------------
// Independent CIDR oracle (ip-num only)
// --------------------------------------------------------------------------

const rangeCache = new Map<string, IPv4CidrRange>();
function R(text: string): IPv4CidrRange {
    let r = rangeCache.get(text);
    if (!r) {
        r = IPv4CidrRange.fromCidr(text);
        rangeCache.set(text, r);
    }
    return r;
}
const prefixOf = (r: IPv4CidrRange) => Number(r.getPrefix().getValue());
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((b) => IPv4CidrRange.fromCidr(b));
const isPrivate = (r: IPv4CidrRange) => PRIVATE.some((b) => b.contains(r));

const splitCache = new Map<string, IPv4CidrRange[]>();
/** The `index`-th /`prefix` block of `parent`, by ip-num's own split (cached: splitInto is slow). */
function nth(parent: IPv4CidrRange, prefix: number, index: number): IPv4CidrRange {
    if (prefix === prefixOf(parent)) {
        assert.equal(index, 0);
        return parent;
    }
    const key = `${parent.toCidrString()}>${prefix}`;
    let parts = splitCache.get(key);
    if (!parts) {
        parts = parent.splitInto(IPv4Prefix.fromNumber(BigInt(prefix)));
        splitCache.set(key, parts);
    }
    return parts[index];
}

interface Labelled {
    readonly label: string;
    readonly range: IPv4CidrRange;
}

/**
 * Fails when any two ranges overlap. Sweep by first address, comparing each
 * range with the one reaching furthest so far: an overlap with any earlier
 * range implies an overlap with that one.
 */
function assertDisjoint(what: string, list: Labelled[]): void {
    const items = list.map((x) => ({ ...x, first: x.range.getFirst().getValue(), last: x.range.getLast().getValue() }));
    items.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let reach: (typeof items)[number] | undefined;
    for (const x of items) {
        if (reach && reach.range.isOverlapping(x.range)) {
            assert.fail(`${what}: ${x.label} ${x.range.toCidrString()} overlaps ${reach.label} ${reach.range.toCidrString()}`);
        }
        if (!reach || x.last > reach.last) reach = x;
    }
}

/** Every rule of alicloud.md §5, checked on a plan. */
function assertPlanFollowsRules(plan: NetworkPlan): void {
    const topLevel: Labelled[] = [];
    const vswitches: Labelled[] = [];
    for (const v of Object.values(plan.vpcs)) {
        const r = R(v.cidr);
        const p = prefixOf(r);
        assert.ok(p >= 8 && p <= 28, `VPC ${v.name} ${v.cidr}: mask out of /8–/28`);
        assert.ok(isPrivate(r), `VPC ${v.name} ${v.cidr}: not RFC 1918`);
        topLevel.push({ label: `VPC ${v.name}`, range: r });
        for (const name of v.clusters) assert.equal(plan.clusters[name].vpc, v.name);
    }
    for (const c of Object.values(plan.clusters)) {
        assert.equal(c.vpcCidr, plan.vpcs[c.vpc].cidr, `cluster ${c.name}: vpcCidr`);
        assert.ok(plan.vpcs[c.vpc].clusters.includes(c.name));
        const vpc = R(c.vpcCidr);
        for (const z of Object.values(c.zones)) {
            const list = c.cni === "terway" ? [z.vswitch, z.podVswitch] : [z.vswitch];
            if (c.cni === "flannel") assert.equal(z.podVswitch, undefined);
            for (const s of list) {
                assert.ok(typeof s === "string" && s.length > 0, `cluster ${c.name} zone ${z.zone}: missing vSwitch`);
                const r = R(s);
                const p = prefixOf(r);
                assert.ok(p >= 16 && p <= 29, `vSwitch ${s} of ${c.name}: mask out of /16–/29`);
                assert.ok(vpc.contains(r), `vSwitch ${s} of ${c.name}: outside VPC ${c.vpcCidr}`);
                vswitches.push({ label: `vSwitch ${z.zone} of ${c.name}`, range: r });
            }
        }
        const svc = R(c.serviceCidr);
        const sp = prefixOf(svc);
        assert.ok(sp >= 16 && sp <= 24, `service ${c.serviceCidr} of ${c.name}: mask out of /16–/24`);
        assert.ok(isPrivate(svc), `service ${c.serviceCidr} of ${c.name}: not private`);
        topLevel.push({ label: `service CIDR of ${c.name}`, range: svc });
        if (c.cni === "flannel") {
            assert.ok(c.podCidr, `flannel cluster ${c.name} without pod CIDR`);
            const pod = R(c.podCidr);
            assert.ok(isPrivate(pod), `pod ${c.podCidr} of ${c.name}: not private`);
            assert.ok(c.nodeCidrMask !== undefined && c.nodeCidrMask >= 24 && c.nodeCidrMask <= 28);
            assert.ok(prefixOf(pod) <= c.nodeCidrMask);
            assert.deepStrictEqual(c.podRanges, [c.podCidr]);
            topLevel.push({ label: `pod CIDR of ${c.name}`, range: pod });
        } else {
            assert.equal(c.podCidr, undefined);
            assert.equal(c.nodeCidrMask, undefined);
            assert.deepStrictEqual(
                c.podRanges,
                Object.values(c.zones).map((z) => z.podVswitch),
            );
        }
        assert.deepStrictEqual(
            c.nodeRanges,
            Object.values(c.zones).map((z) => z.vswitch),
        );
    }
    // VPCs, pod and service CIDRs: pairwise disjoint. All vSwitches: pairwise disjoint.
    assertDisjoint("VPC/pod/service", topLevel);
    assertDisjoint("vSwitch", vswitches);
}

// --------------------------------------------------------------------------
// Random valid topologies
// --------------------------------------------------------------------------

const REGIONS = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"] as const;
const LETTERS = "abcdefghijklmnop";
const zoneId = (region: string, letter: number) => (region === "ap-southeast-1" ? `${region}${LETTERS[letter]}` : `${region}-${LETTERS[letter]}`);

/** FNV-1a 32-bit mod 128: the frozen slot hash (values pinned in network.spec.ts). */
function fnvSlot(name: string): number {
    let h = 0x811c9dc5;
    for (const byte of Buffer.from(name, "utf8")) {
        h ^= byte;
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % 128;
}

interface GenCluster {
    label: string;
    regionPick: number;
    letters: number[];
    cni: "terway" | "flannel";
    derive: boolean;
    sharedPick: number;
    pinService: boolean;
    pinPod: boolean;
    nodeCidrMask: number | null;
    vpcMask: number | null;
    vswitchPins: number[];
    pinHalf: number;
    poolSize: number;
}

interface GenShared {
    regionPick: number;
    derive: boolean;
    mask: number | null;
}

interface GenTopology {
    regions: string[];
    topology: "primary-remote" | "multi-primary";
    networks: "flat" | "multi-network";
    clusters: GenCluster[];
    shared: GenShared[];
    perm: number[];
    servicePerm: number[];
    podPerm: number[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const clusterArb: fc.Arbitrary<GenCluster> = fc.record({
    label: fc.stringMatching(/^[a-z]{1,5}$/),
    regionPick: fc.nat({ max: 3 }),
    letters: fc.uniqueArray(fc.nat({ max: 15 }), { minLength: 1, maxLength: 3 }),
    cni: fc.constantFrom("terway" as const, "flannel" as const),
    derive: fc.boolean(),
    sharedPick: fc.constantFrom(-1, -1, 0, 0, 0, 1, 2),
    pinService: fc.nat({ max: 3 }).map((x) => x === 0),
    pinPod: fc.boolean(),
    nodeCidrMask: fc.option(fc.integer({ min: 24, max: 28 }), { nil: null }),
    vpcMask: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 16, max: 20 }) }),
    vswitchPins: fc.array(fc.nat({ max: 3 }), { minLength: 3, maxLength: 3 }),
    pinHalf: fc.nat({ max: 1 }),
    poolSize: fc.constantFrom(0, 3, 4, 6),
});

/**
 * 1–30 clusters, mostly small. The planner compares every pair of ranges
 * through ip-num, whose range arithmetic goes through strings: one 30-cluster
 * plan costs about a second of CPU, a 2-cluster plan about 8 ms. To keep the
 * file fast with 1000 runs per property, random topologies have 1–12 clusters
 * (mostly 1–3), and the first three properties also run a fixed 30-cluster
 * topology.
 */
const clusterCountArb = fc.oneof(
    { weight: 88, arbitrary: fc.integer({ min: 1, max: 3 }) },
    { weight: 10, arbitrary: fc.integer({ min: 4, max: 6 }) },
    { weight: 2, arbitrary: fc.integer({ min: 7, max: 12 }) },
);

const topologyArb: fc.Arbitrary<GenTopology> = fc.record({
    regions: fc.shuffledSubarray([...REGIONS], { minLength: 1, maxLength: 4 }),
    topology: fc.constantFrom("primary-remote" as const, "multi-primary" as const),
    networks: fc.constantFrom("flat" as const, "multi-network" as const),
    clusters: clusterCountArb.chain((n) => fc.array(clusterArb, { minLength: n, maxLength: n })),
    shared: fc.array(
        fc.record({
            regionPick: fc.nat({ max: 3 }),
            derive: fc.boolean(),
            mask: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 16, max: 20 }) }),
        }),
        { maxLength: 3 },
    ),
    perm: fc.shuffledSubarray(range(128), { minLength: 128, maxLength: 128 }),
    servicePerm: fc.shuffledSubarray(range(256), { minLength: 256, maxLength: 256 }),
    podPerm: fc.shuffledSubarray(range(8), { minLength: 8, maxLength: 8 }),
});

/** A fixed 30-cluster topology over all four regions, run first by the layout, add and remove properties. */
const LARGE_TOPOLOGY: GenTopology = fc.sample(
    fc
        .record({ base: topologyArb, clusters: fc.array(clusterArb, { minLength: 30, maxLength: 30 }) })
        .map(({ base, clusters }) => ({ ...base, regions: [...REGIONS], clusters })),
    { seed: SEED, numRuns: 1 },
)[0];

/** What the test knows about one generated cluster. */
interface BuiltCluster {
    name: string;
    region: string;
    zones: string[];
    cni: "terway" | "flannel";
    role: "primary" | "remote";
    slot: number;
    explicitSlot: boolean;
    vpc: string;
    shared: boolean;
}

interface Built {
    raw: any;
    clusters: BuiltCluster[];
    /** Slots in use (clusters and shared VPCs). */
    used: Set<number>;
    perm: number[];
    /** Expected VPC CIDR per VPC key. */
    vpcCidr: Record<string, string>;
    expected: NetworkPlan;
}

/** Turns random choices into a valid topology plus its expected plan. */
function build(g: GenTopology): Built {
    const regions = g.regions;
    const used = new Set<number>();
    let permIdx = 0;
    const nextFree = () => {
        while (used.has(g.perm[permIdx])) permIdx++;
        const s = g.perm[permIdx++];
        used.add(s);
        return s;
    };

    const shared = g.shared.map((s, k) => {
        const name = `net-${k}`;
        const region = regions[s.regionPick % regions.length];
        const derived = fnvSlot(`vpc/${name}`);
        let slot: number;
        let explicit: boolean;
        if (s.derive && !used.has(derived)) {
            slot = derived;
            explicit = false;
            used.add(slot);
        } else {
            slot = nextFree();
            explicit = true;
        }
        const cidr = s.mask !== null ? `10.${slot}.0.0/${s.mask}` : undefined;
        return { name, region, slot, explicit, cidr, members: [] as string[], quarters: new Set<number>() };
    });

    const built: BuiltCluster[] = [];
    const rawClusters: Record<string, any> = {};
    const expectedClusters: Record<string, ClusterNetworkPlan> = {};
    let serviceIdx = 0;
    let podIdx = 0;

    // First pass: names, slots, VPC membership.
    g.clusters.forEach((c, i) => {
        const name = `${c.label}${i}`;
        // A cluster that picks a shared VPC lives in the VPC's region.
        const pick = c.sharedPick >= 0 && c.sharedPick < shared.length ? shared[c.sharedPick] : undefined;
        const region = pick ? pick.region : regions[c.regionPick % regions.length];
        const derived = fnvSlot(name);
        let slot: number;
        let explicitSlot: boolean;
        if (c.derive && !used.has(derived)) {
            slot = derived;
            explicitSlot = false;
            used.add(slot);
        } else {
            slot = nextFree();
            explicitSlot = true;
        }
        let vpc = name;
        let isShared = false;
        if (pick) {
            const v = pick;
            if (!v.quarters.has(slot % 4)) {
                v.quarters.add(slot % 4);
                v.members.push(name);
                vpc = v.name;
                isShared = true;
            }
        }
        built.push({
            name,
            region,
            zones: c.letters.map((l) => zoneId(region, l)),
            cni: c.cni,
            role: g.topology === "multi-primary" || i === 0 ? "primary" : "remote",
            slot,
            explicitSlot,
            vpc,
            shared: isShared,
        });
    });

    const usedShared = shared.filter((v) => v.members.length > 0);
    const vpcCount = usedShared.length + built.filter((b) => !b.shared).length;
    const networks = g.networks === "flat" && vpcCount > 1 && built.some((b) => b.cni === "flannel") ? "multi-network" : g.networks;

    // VPCs.
    const vpcCidr: Record<string, string> = {};
    const expectedVpcs: Record<string, VpcPlan> = {};
    const rawVpcs: Record<string, any> = {};
    for (const v of usedShared) {
        vpcCidr[v.name] = v.cidr ?? `10.${v.slot}.0.0/16`;
        rawVpcs[v.name] = { region: v.region, ...(v.explicit ? { slot: v.slot } : {}), ...(v.cidr ? { cidr: v.cidr } : {}) };
        expectedVpcs[v.name] = { name: v.name, region: v.region, cidr: vpcCidr[v.name], shared: true, clusters: [...v.members].sort() };
    }

    // Second pass: pins, raw config, expected plan.
    g.clusters.forEach((c, i) => {
        const b = built[i];
        const cidrs: Record<string, any> = {};
        if (!b.shared) {
            vpcCidr[b.name] = c.vpcMask !== null ? `10.${b.slot}.0.0/${c.vpcMask}` : `10.${b.slot}.0.0/16`;
            if (c.vpcMask !== null) cidrs.vpc = vpcCidr[b.name];
            expectedVpcs[b.name] = { name: b.name, region: b.region, cidr: vpcCidr[b.name], shared: false, clusters: [b.name] };
        }
        const vpcRange = R(vpcCidr[b.vpc]);
        const block = b.shared ? nth(vpcRange, prefixOf(vpcRange) + 2, b.slot % 4) : vpcRange;
        const bp = prefixOf(block);
        const carve = (kind: 0 | 1, letter: number) => nth(nth(block, bp + 1, kind), Math.max(bp + 5, 16), letter);

        const zonePlans: { zone: string; vswitch: string; podVswitch?: string }[] = [];
        c.letters.forEach((letter, j) => {
            const zone = b.zones[j];
            const pins = c.vswitchPins[j] ?? 0;
            let vswitch = carve(0, letter).toCidrString();
            if (pins & 1) {
                const auto = carve(0, letter);
                vswitch = nth(auto, prefixOf(auto) + 1, c.pinHalf).toCidrString();
                (cidrs.vswitches ??= {})[zone] = vswitch;
            }
            if (b.cni === "terway") {
                let podVswitch = carve(1, letter).toCidrString();
                if (pins & 2) {
                    const auto = carve(1, letter);
                    podVswitch = nth(auto, prefixOf(auto) + 1, 1 - c.pinHalf).toCidrString();
                    (cidrs.podVswitches ??= {})[zone] = podVswitch;
                }
                zonePlans.push({ zone, vswitch, podVswitch });
            } else {
                zonePlans.push({ zone, vswitch });
            }
        });

        let service = nth(R("172.24.0.0/13"), 20, b.slot).toCidrString();
        if (c.pinService && serviceIdx < g.servicePerm.length) {
            service = `192.168.${g.servicePerm[serviceIdx++]}.0/24`;
            cidrs.service = service;
        }
        let pod: string | undefined;
        let nodeCidrMask: number | undefined;
        if (b.cni === "flannel") {
            pod = `10.${128 + b.slot}.0.0/16`;
            if (c.pinPod && podIdx < g.podPerm.length) {
                pod = `172.${16 + g.podPerm[podIdx++]}.0.0/16`;
                cidrs.pod = pod;
            }
            nodeCidrMask = c.nodeCidrMask ?? 24;
            if (c.nodeCidrMask !== null) cidrs.nodeCidrMask = c.nodeCidrMask;
        }

        rawClusters[b.name] = {
            region: b.region,
            zones: b.zones,
            role: b.role,
            cni: b.cni,
            ...(b.explicitSlot ? { slot: b.slot } : {}),
            ...(b.shared ? { vpc: b.vpc } : {}),
            ...(Object.keys(cidrs).length ? { cidrs } : {}),
            ...(c.poolSize ? { nodePools: { default: { size: c.poolSize } } } : {}),
        };
        expectedClusters[b.name] = {
            name: b.name,
            region: b.region,
            cni: b.cni,
            vpc: b.vpc,
            vpcCidr: vpcCidr[b.vpc],
            slot: b.slot,
            slotDerived: !b.explicitSlot,
            zones: Object.fromEntries(zonePlans.map((z) => [z.zone, z])),
            podCidr: pod,
            serviceCidr: service,
            nodeCidrMask,
            nodeRanges: zonePlans.map((z) => z.vswitch),
            podRanges: b.cni === "terway" ? zonePlans.map((z) => z.podVswitch!) : [pod!],
        };
    });

    const raw: any = {
        mesh: { id: "prop", topology: g.topology, networks },
        clusters: rawClusters,
        ...(usedShared.length ? { vpcs: rawVpcs } : {}),
    };
    const expected: NetworkPlan = {
        vpcs: expectedVpcs,
        clusters: expectedClusters,
        regions: [...new Set(built.map((b) => b.region))].sort(),
    };
    return { raw, clusters: built, used, perm: g.perm, vpcCidr, expected };
}

/** Parses and plans a valid topology (one planner run). */
function plan(raw: Record<string, unknown>): NetworkPlan {
    return planNetwork(parseStackConfig(raw));
}

/** Parses as the program does: the planner's problems are reported with the config's. */
function parseWithPlanner(raw: Record<string, unknown>): void {
    parseStackConfig(raw, networkProblems);
}

/** Plans, turning a ConfigError into a readable failure. */
function planOrExplain(raw: Record<string, unknown>): NetworkPlan {
    try {
        return plan(raw);
    } catch (e) {
        assert.fail(`valid topology rejected: ${e instanceof Error ? e.message : String(e)}\n${JSON.stringify(raw)}`);
    }
}

/**
 * Plans of the generated base topologies, by config. The properties share a
 * seed and generate the topology first, so they see the same topologies; a
 * base plan is computed once (by the first property) and reused as the
 * "before" of the others. The determinism property always recomputes.
 */
const baseplans = new Map<string, NetworkPlan>();
function basePlan(raw: Record<string, unknown>): NetworkPlan {
    const key = JSON.stringify(raw);
    let p = baseplans.get(key);
    if (!p) {
        p = planOrExplain(raw);
        baseplans.set(key, p);
    }
    return p;
}

const clone = <T>(x: T): T => structuredClone(x);

function fcOptions<T>(examples: T[]) {
    return { seed: SEED, numRuns: RUNS, endOnFailure: true, examples } as const;
}

describe("plan/network property oracle (self-check: it can fail)", () => {
    /** Staging-like: two Terway clusters, slots 1 and 2, and a Flannel one (slot 3) on a multi-network mesh. */
    function sample(): NetworkPlan {
        return planOrExplain({
            mesh: { id: "m", topology: "multi-primary", networks: "multi-network" },
            clusters: {
                a: { region: "cn-hangzhou", zones: ["cn-hangzhou-h", "cn-hangzhou-i"], role: "primary", cni: "terway", slot: 1 },
                b: { region: "cn-shanghai", zones: ["cn-shanghai-l"], role: "primary", cni: "terway", slot: 2 },
                c: { region: "cn-beijing", zones: ["cn-beijing-h"], role: "primary", cni: "flannel", slot: 3 },
            },
        });
    }
    /** A copy of the sample with one fault planted (nodeRanges/podRanges kept consistent with the zones). */
    const mutate = (f: (p: any) => void): NetworkPlan => {
        const p = clone(sample()) as any;
        f(p);
        for (const c of Object.values<any>(p.clusters)) {
            const zones = Object.values<any>(c.zones);
            c.nodeRanges = zones.map((z) => z.vswitch);
            c.podRanges = c.cni === "terway" ? zones.map((z) => z.podVswitch) : [c.podCidr];
        }
        return p;
    };

    it("accepts a real plan", () => {
        assertPlanFollowsRules(sample());
    });

    it("rejects overlaps, ranges outside their VPC or the private blocks, and bad masks", () => {
        const cases: [string, (p: any) => void, RegExp][] = [
            ["node and pod vSwitch of one zone overlap", (p) => (p.clusters.b.zones["cn-shanghai-l"].podVswitch = "10.2.88.0/22"), /vSwitch: .* overlaps/],
            ["node and pod vSwitch of two zones overlap", (p) => (p.clusters.a.zones["cn-hangzhou-i"].podVswitch = "10.1.56.0/24"), /vSwitch: .* overlaps/],
            [
                "vSwitches of two clusters in one VPC overlap",
                (p) => {
                    p.vpcs.a.clusters = ["a", "b"];
                    p.clusters.b.vpc = "a";
                    p.clusters.b.vpcCidr = "10.1.0.0/16";
                    p.clusters.b.zones["cn-shanghai-l"] = { zone: "cn-shanghai-l", vswitch: "10.1.60.0/22", podVswitch: "10.1.200.0/21" };
                    delete p.vpcs.b;
                },
                /vSwitch: .* overlaps/,
            ],
            ["vSwitch outside its VPC", (p) => (p.clusters.a.zones["cn-hangzhou-h"].vswitch = "10.9.56.0/21"), /outside VPC 10\.1\.0\.0\/16/],
            ["vSwitch mask /30", (p) => (p.clusters.a.zones["cn-hangzhou-h"].vswitch = "10.1.56.0/30"), /mask out of \/16–\/29/],
            ["service CIDR inside a VPC", (p) => (p.clusters.b.serviceCidr = "10.1.0.0/20"), /VPC\/pod\/service: .* overlaps/],
            ["two services overlap", (p) => (p.clusters.b.serviceCidr = p.clusters.a.serviceCidr), /VPC\/pod\/service: .* overlaps/],
            ["service mask /25", (p) => (p.clusters.b.serviceCidr = "192.168.0.0/25"), /mask out of \/16–\/24/],
            ["public service CIDR", (p) => (p.clusters.b.serviceCidr = "100.64.0.0/20"), /not private/],
            ["pod CIDR overlaps a VPC", (p) => (p.clusters.c.podCidr = "10.2.0.0/16"), /VPC\/pod\/service: .* overlaps/],
            ["public VPC", (p) => (p.vpcs.a.cidr = p.clusters.a.vpcCidr = "100.64.0.0/16"), /not RFC 1918/],
            ["VPCs overlap", (p) => (p.vpcs.b.cidr = p.clusters.b.vpcCidr = "10.0.0.0/14"), /VPC\/pod\/service: .* overlaps/],
            ["vpcCidr differs from the VPC", (p) => (p.clusters.a.vpcCidr = "10.1.0.0/17"), /vpcCidr/],
            ["Flannel zone with a pod vSwitch", (p) => (p.clusters.c.zones["cn-beijing-h"].podVswitch = "10.3.184.0/21"), /Expected|strictly equal|undefined/],
        ];
        for (const [what, f, re] of cases) {
            assert.throws(() => assertPlanFollowsRules(mutate(f)), re, what);
        }
    });
});

describe("plan/network properties (fast-check)", function () {
    this.timeout(300000);

    before(() => {
        console.log(`      fast-check seed: ${SEED}, ${RUNS} runs per property (the first three also run a fixed 30-cluster topology)`);
    });

    it("every valid topology plans to exactly the documented layout, and the plan obeys every Alibaba rule", () => {
        assert.equal(LARGE_TOPOLOGY.clusters.length, 30);
        fc.assert(
            fc.property(topologyArb, (g) => {
                const b = build(g);
                const p = planOrExplain(b.raw);
                baseplans.set(JSON.stringify(b.raw), p);
                assertPlanFollowsRules(p);
                assert.deepStrictEqual(p, b.expected);
            }),
            fcOptions<[GenTopology]>([[LARGE_TOPOLOGY]]),
        );
    });

    it("adding a cluster (fresh name and slot) leaves every existing cluster's and VPC's allocation identical", () => {
        const extraArb = fc.record({
            regionPick: fc.nat({ max: 3 }),
            letters: fc.uniqueArray(fc.nat({ max: 15 }), { minLength: 1, maxLength: 3 }),
            cni: fc.constantFrom("terway" as const, "flannel" as const),
            slotPick: fc.nat({ max: 127 }),
        });
        type Extra = typeof extraArb extends fc.Arbitrary<infer E> ? E : never;
        fc.assert(
            fc.property(topologyArb, extraArb, (g, extra) => {
                const b = build(g);
                const flat = b.raw.mesh.networks === "flat";
                // A new own VPC in a flat mesh that already has Flannel would be invalid.
                fc.pre(!(flat && b.clusters.some((c) => c.cni === "flannel")));
                const before = basePlan(b.raw);

                const free = b.perm.filter((s) => !b.used.has(s));
                const slot = free[extra.slotPick % free.length];
                const newRegion = REGIONS[extra.regionPick];
                const raw2 = clone(b.raw);
                raw2.clusters["added-x"] = {
                    region: newRegion,
                    zones: extra.letters.map((l) => zoneId(newRegion, l)),
                    role: b.raw.mesh.topology === "multi-primary" ? "primary" : "remote",
                    cni: flat ? "terway" : extra.cni,
                    slot,
                };
                const after = planOrExplain(raw2);
                assertPlanFollowsRules(after);

                assert.deepStrictEqual(Object.keys(after.clusters).sort(), [...Object.keys(before.clusters), "added-x"].sort());
                assert.deepStrictEqual(Object.keys(after.vpcs).sort(), [...Object.keys(before.vpcs), "added-x"].sort());
                for (const k of Object.keys(before.clusters)) assert.deepStrictEqual(after.clusters[k], before.clusters[k], `cluster ${k} moved`);
                for (const k of Object.keys(before.vpcs)) assert.deepStrictEqual(after.vpcs[k], before.vpcs[k], `VPC ${k} moved`);
                assert.equal(after.clusters["added-x"].vpcCidr, `10.${slot}.0.0/16`);
                assert.equal(after.clusters["added-x"].serviceCidr, nth(R("172.24.0.0/13"), 20, slot).toCidrString());
            }),
            fcOptions<[GenTopology, Extra]>([[LARGE_TOPOLOGY, { regionPick: 3, letters: [0, 1], cni: "terway", slotPick: 5 }]]),
        );
    });

    it("removing a cluster that controls no other leaves every remaining allocation identical", () => {
        fc.assert(
            fc.property(topologyArb, fc.nat(), (g, pick) => {
                const b = build(g);
                const removable = b.clusters.filter((c) => c.role === "remote" || (b.raw.mesh.topology === "multi-primary" && b.clusters.length > 1));
                fc.pre(removable.length > 0);
                const victim = removable[pick % removable.length];
                const before = basePlan(b.raw);

                const raw2 = clone(b.raw);
                delete raw2.clusters[victim.name];
                const soleMember = victim.shared && before.vpcs[victim.vpc].clusters.length === 1;
                if (soleMember) delete raw2.vpcs[victim.vpc];
                const after = planOrExplain(raw2);

                const expectedClusters = { ...before.clusters };
                delete expectedClusters[victim.name];
                const expectedVpcs: Record<string, VpcPlan> = {};
                for (const [k, v] of Object.entries(before.vpcs)) {
                    if (k === victim.name || (soleMember && k === victim.vpc)) continue;
                    expectedVpcs[k] = { ...v, clusters: v.clusters.filter((n) => n !== victim.name) };
                }
                assert.deepStrictEqual(after.clusters, expectedClusters);
                assert.deepStrictEqual(after.vpcs, expectedVpcs);
            }),
            fcOptions<[GenTopology, number]>([[LARGE_TOPOLOGY, 7]]),
        );
    });

    it("is deterministic and independent of key order: the same config, even reordered, gives the identical plan byte for byte", () => {
        const reversed = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());
        fc.assert(
            fc.property(topologyArb, (g) => {
                const b = build(g);
                const first = basePlan(b.raw);
                // Recomputed from a copy whose keys (top level, clusters, VPCs) are in reverse order.
                const shuffled = clone(b.raw);
                shuffled.clusters = reversed(shuffled.clusters);
                if (shuffled.vpcs) shuffled.vpcs = reversed(shuffled.vpcs);
                const again = planOrExplain(reversed(shuffled));
                assert.deepStrictEqual(again, first);
                assert.equal(JSON.stringify(again), JSON.stringify(first));
            }),
            fcOptions<[GenTopology]>([]),
        );
    });

    // ----------------------------------------------------------------------
    // Invalid pins
    // ----------------------------------------------------------------------

    type Kind = "garbage" | "nonString" | "overlap" | "mask";
    interface Corruption {
        kind: Kind;
        target: number;
        other: number;
        field: number;
        garbage: string;
        junk: unknown;
        mask: number;
    }

    /** Strings that are never a usable CIDR: free text, out-of-range octets or prefix, host bits set. */
    const garbageArb = fc.oneof(
        fc.string({ maxLength: 24 }).map((s) => `${s}!`),
        fc
            .tuple(fc.nat({ max: 999 }), fc.nat({ max: 999 }), fc.nat({ max: 999 }), fc.nat({ max: 999 }), fc.nat({ max: 99 }))
            .filter(([a, b, c, d, p]) => a > 255 || b > 255 || c > 255 || d > 255 || p > 32)
            .map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`),
        fc.integer({ min: 1, max: 255 }).map((x) => `10.1.0.${x}/16`),
        fc.constantFrom("", " ", "10.0.0.0", "10.0.0.0/", "/16", "10.0.0/16", "10.0.0.0/16 ", "::1/128", "10.0.0.0/-1"),
    );
    const junkArb = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.nat(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.nat(), { maxKeys: 2 }));
    const corruptionArb: fc.Arbitrary<Corruption> = fc.record({
        kind: fc.constantFrom<Kind>("garbage", "nonString", "overlap", "mask"),
        target: fc.nat(),
        other: fc.nat(),
        field: fc.nat({ max: 4 }),
        garbage: garbageArb,
        junk: junkArb,
        mask: fc.nat({ max: 3 }),
    });

    /** Applies one corruption; returns the config paths it involves. */
    function corrupt(b: Built, raw: any, k: Corruption): string[] {
        const t = b.clusters[k.target % b.clusters.length];
        const others = b.clusters.filter((c) => c.name !== t.name);
        const o = others.length ? others[k.other % others.length] : t;
        const rc = raw.clusters[t.name];
        const cidrs = (rc.cidrs ??= {});
        const base = `clusters.${t.name}.cidrs`;
        const vpcPathOf = (c: BuiltCluster) => (c.shared ? `vpcs.${c.vpc}` : `clusters.${c.name}.cidrs.vpc`);
        const vpcRange = R(b.vpcCidr[t.vpc]);
        const zone0 = t.zones[0];
        const setVpc = (value: unknown) => {
            if (t.shared) raw.vpcs[t.vpc].cidr = value;
            else cidrs.vpc = value;
            return [vpcPathOf(t)];
        };
        switch (k.kind) {
            case "garbage":
                switch (k.field) {
                    case 0:
                        cidrs.service = k.garbage;
                        return [`${base}.service`];
                    case 1:
                        return setVpc(k.garbage);
                    case 2:
                        (cidrs.vswitches ??= {})[zone0] = k.garbage;
                        return [`${base}.vswitches.${zone0}`];
                    case 3:
                        (cidrs.podVswitches ??= {})[zone0] = k.garbage;
                        return [`${base}.podVswitches.${zone0}`];
                    default:
                        cidrs.pod = k.garbage;
                        return [`${base}.pod`];
                }
            case "nonString":
                switch (k.field) {
                    case 0:
                        cidrs.service = k.junk;
                        return [`${base}.service`];
                    case 1:
                        return setVpc(k.junk);
                    case 2:
                        (cidrs.vswitches ??= {})[zone0] = k.junk;
                        return [`${base}.vswitches.${zone0}`];
                    case 3:
                        (cidrs.podVswitches ??= {})[zone0] = k.junk;
                        return [`${base}.podVswitches.${zone0}`];
                    default:
                        cidrs.pod = k.junk;
                        return [`${base}.pod`];
                }
            case "overlap":
                switch (k.field) {
                    case 0:
                    case 1:
                        // A service CIDR equal to a VPC (another cluster's, or its own).
                        cidrs.service = b.vpcCidr[o.vpc];
                        return [`${base}.service`, vpcPathOf(o)];
                    case 2:
                        // A service CIDR equal to another cluster's service CIDR.
                        if (o === t) {
                            cidrs.service = b.vpcCidr[t.vpc];
                            return [`${base}.service`, vpcPathOf(t)];
                        }
                        cidrs.service = b.expected.clusters[o.name].serviceCidr;
                        return [`${base}.service`, `clusters.${o.name}.cidrs.service`];
                    case 3:
                        // A node vSwitch on top of this cluster's planned pod vSwitch or another zone's vSwitch.
                        if (t.cni === "terway") {
                            (cidrs.vswitches ??= {})[zone0] = b.expected.clusters[t.name].zones[zone0].podVswitch;
                            return [`${base}.vswitches.${zone0}`, `${base}.podVswitches.${zone0}`];
                        }
                        if (t.zones.length > 1) {
                            (cidrs.vswitches ??= {})[zone0] = b.expected.clusters[t.name].zones[t.zones[1]].vswitch;
                            return [`${base}.vswitches.${zone0}`, `${base}.vswitches.${t.zones[1]}`];
                        }
                        cidrs.service = b.vpcCidr[t.vpc];
                        return [`${base}.service`, vpcPathOf(t)];
                    default:
                        // A (Flannel) pod CIDR equal to a VPC.
                        cidrs.pod = b.vpcCidr[o.vpc];
                        return [`${base}.pod`, vpcPathOf(o)];
                }
            case "mask": {
                switch (k.field) {
                    case 0: {
                        const m = [30, 31, 32, 15][k.mask];
                        const at = m === 15 ? "10.0.0.0" : vpcRange.getFirst().toString();
                        (cidrs.vswitches ??= {})[zone0] = `${at}/${m}`;
                        return [`${base}.vswitches.${zone0}`];
                    }
                    case 1:
                        cidrs.service = ["192.168.0.0/25", "192.168.0.0/32", "10.0.0.0/8", "10.0.0.0/15"][k.mask];
                        return [`${base}.service`];
                    case 2:
                        return setVpc(`${vpcRange.getFirst().toString()}/${29 + k.mask}`);
                    case 3:
                        cidrs.nodeCidrMask = [0, 23, 29, 64][k.mask];
                        return [`${base}.nodeCidrMask`];
                    default:
                        cidrs.pod = `172.31.0.0/${29 + k.mask}`;
                        return [`${base}.pod`];
                }
            }
        }
    }

    const related = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`) || a.startsWith(`${b}[`);

    it("invalid pins always give a ConfigError whose problems all have a path, a message and a fix — never another error", () => {
        fc.assert(
            fc.property(topologyArb, fc.array(corruptionArb, { minLength: 1, maxLength: 3 }), (g, corruptions) => {
                const b = build(g);
                const raw = clone(b.raw);
                const involved = corruptions.flatMap((k) => corrupt(b, raw, k));
                let caught: unknown;
                try {
                    parseWithPlanner(raw);
                } catch (e) {
                    caught = e;
                }
                assert.ok(caught !== undefined, `accepted invalid pins ${JSON.stringify(corruptions)}`);
                assert.ok(ConfigError.is(caught), `not a ConfigError: ${caught instanceof Error ? caught.stack : String(caught)}`);
                assert.ok(caught.problems.length > 0);
                assert.match(caught.message, /^Invalid ack-mesh (configuration|network plan) \(\d+ problems?\):\n {2}- /);
                for (const p of caught.problems) {
                    assert.equal(typeof p.path, "string");
                    assert.ok(p.path.length > 0 && p.path !== "(root)", `problem without a path: ${JSON.stringify(p)}`);
                    assert.ok(p.message.length > 0 && p.fix.length > 0, `problem without message or fix: ${JSON.stringify(p)}`);
                }
                assert.ok(
                    caught.problems.some((p) => involved.some((i) => related(p.path, i))),
                    `no problem names a corrupted path (${involved.join(", ")}):\n${caught.message}`,
                );
            }),
            fcOptions<[GenTopology, Corruption[]]>([]),
        );
    });

    // Regression, fixed: a cluster slot outside 0..127 makes the planner (run as parseStackConfig's
    // extraChecks after the config layer already reported the slot) throw a plain
    // `Error: internal: block <slot> of /16 is outside 10.0.0.0/9` instead of a ConfigError.
    it("an out-of-range slot always gives a ConfigError naming the slot", () => {
        fc.assert(
            fc.property(topologyArb, fc.nat(), fc.oneof(fc.integer({ min: 128, max: 1_000_000 }), fc.integer({ min: -1_000_000, max: -1 })), (g, pick, slot) => {
                const b = build(g);
                const raw = clone(b.raw);
                const t = b.clusters[pick % b.clusters.length];
                raw.clusters[t.name].slot = slot;
                let caught: unknown;
                try {
                    parseWithPlanner(raw);
                } catch (e) {
                    caught = e;
                }
                assert.ok(ConfigError.is(caught), `not a ConfigError: ${caught instanceof Error ? caught.message : String(caught)}`);
                assert.ok(caught.problems.some((p) => p.path === `clusters.${t.name}.slot` && p.message === "must be between 0 and 127"));
            }),
            fcOptions<[GenTopology, number, number]>([[LARGE_TOPOLOGY, 0, 200]]),
        );
    });
});
