/**
 * Config fuzzing: thousands of random, mostly invalid `ack-mesh:` stack configs fed to the
 * validator, the planner and the mesh identity (`planTopology` = `parseAndPlanNetwork` +
 * `meshIdentityFromConfig`, exactly what the program runs first).
 *
 * The contract under test: every input ends either in a valid plan (which then holds exactly the
 * configured clusters) or in the project's `ConfigError` from the config validator, whose every
 * problem has a non-empty path, message and fix. Never another exception, never a slow case, never
 * a mutated input, never a polluted `Object.prototype`.
 *
 * Three families of inputs (all shrinkable: structure, then list lengths, then indices shrink to 0):
 * - **near-valid**: a valid small topology (test/reliability/support.ts) with 0–4 edits at random
 *   paths: junk values (wrong types, null, arrays, NaN), deleted keys, unknown and prototype keys
 *   (`__proto__`, `constructor`, …) at every level, emptied maps, CIDR pins (overlapping, out of
 *   range, misaligned, public, /0), out-of-range slots, placements on unknown clusters;
 * - **wild**: configs shaped like the schema whose every field may be junk;
 * - **huge**: up to 200 clusters from one template (bounded).
 *
 * The test/plan/network.properties.spec.ts properties already cover the planner's layout on valid
 * topologies and invalid CIDR pins with exact paths; this file is about robustness of the whole
 * front door. The seed is fixed and printed; `FUZZ_RUNS=20000` runs more cases locally.
 */
import * as assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import * as YAML from "yaml";
import { ConfigError } from "../../config/errors";
import { planSecurityGroupRules } from "../../components/securityGroupPeering";
import { planTopology, PlannedTopology } from "../../programs/compose";
import { BOOKINFO_WORKLOADS } from "../../config/schema";
import { clone, LETTERS, NAME_POOL, Raw, rawOf, REGIONS, validTopologyArb, zoneId } from "./support";

const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const RUNS = Math.max(2000, Number(process.env.FUZZ_RUNS ?? 2000));
/** No single case may take longer than this (the slowest valid 200-cluster plan takes ~150 ms). */
const PER_CASE_MS = 2000;
/** The whole run must finish within this, or fast-check interrupts it and the test fails. */
const RUN_LIMIT_MS = Math.max(45_000, RUNS * 10);

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

/** Keys that name members of Object.prototype or that JS engines treat specially. */
const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "__defineGetter__"] as const;

/** An object with these own, enumerable properties, as YAML/JSON parsing makes it (`__proto__` included). */
function own(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
}

const keyArb: fc.Arbitrary<string> = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 2, arbitrary: fc.string({ maxLength: 10 }) },
    { weight: 2, arbitrary: fc.constantFrom("regoin", "zone", "nodepools", "netwroks", "Clusters", "", " ", "a.b", "x[0]", "secure", "ack-mesh:mesh") },
);

const scalarJunkArb: fc.Arbitrary<unknown> = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e308, -1, 2 ** 53, "", "null", "true", "0"),
);

/** Anything YAML could give: scalars, small arrays, small objects with odd keys, nested a little. */
const junkArb: fc.Arbitrary<unknown> = fc.letrec<{ any: unknown }>((tie) => ({
    any: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        scalarJunkArb,
        fc.array(tie("any"), { maxLength: 3 }),
        fc.uniqueArray(fc.tuple(keyArb, tie("any")), { maxLength: 3, selector: ([k]) => k }).map(own),
    ),
})).any;

/** CIDR-ish strings: valid private blocks, misaligned, out of range, public, /0, free text, non-strings. */
const cidrArb: fc.Arbitrary<unknown> = fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom(8, 12, 16, 20, 21, 23, 24, 28)).map(([b, p]) => `10.${b}.0.0/${p}`),
    fc.tuple(fc.integer({ min: 16, max: 31 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 12, max: 26 })).map(([a, b, p]) => `172.${a}.${b}.0/${p}`),
    fc
        .tuple(fc.nat({ max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 40 }))
        .map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`),
    fc.constantFrom("0.0.0.0/0", "8.8.8.0/24", "192.168.0.0/16", "10.0.0.1/16", "10.0.0.0", "/16", "::1/128", "10.0.0.0/-1", " 10.0.0.0/16"),
    scalarJunkArb,
);

/** Cluster keys: the pool, prototype keys, and invalid labels. */
const clusterKeyArb: fc.Arbitrary<string> = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...NAME_POOL) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 1, arbitrary: fc.constantFrom("UPPER", "under_score", "-lead", "trail-", "a".repeat(41), "x".repeat(64), "", "a-from-b", "c-self-d") },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/) },
);

const regionArb: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...REGIONS, "ap-southeast-1") },
    { weight: 1, arbitrary: fc.constantFrom("cn_hangzhou", "CN-HANGZHOU", "hangzhou", "cn-", "-cn-x") },
    { weight: 1, arbitrary: scalarJunkArb },
);

/** A zone for a region: a real letter, one beyond `p`, another region's zone, or junk. */
const zoneOfArb = (region: unknown): fc.Arbitrary<unknown> => {
    const r = typeof region === "string" ? region : "cn-hangzhou";
    return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...LETTERS.split("")).map((l) => zoneId(r, l)) },
        { weight: 1, arbitrary: fc.constantFrom(..."qrstuvwxyz".split("")).map((l) => zoneId(r, l)) },
        { weight: 1, arbitrary: fc.constantFrom("cn-shanghai-l", "ap-southeast-1a", "ap-southeast-1-b", r, `${r}-`, `${r}-aa`) },
        { weight: 1, arbitrary: scalarJunkArb },
    );
};

/** Absent field marker. */
const ABSENT = Symbol("absent");

/** Mostly the valid value, sometimes junk, sometimes absent. */
function field<V>(valid: fc.Arbitrary<V>, weights: { valid?: number; junk?: number; absent?: number } = {}): fc.Arbitrary<unknown> {
    return fc.oneof(
        { weight: weights.valid ?? 8, arbitrary: valid as fc.Arbitrary<unknown> },
        { weight: weights.junk ?? 1, arbitrary: junkArb },
        { weight: weights.absent ?? 1, arbitrary: fc.constant(ABSENT) },
    );
}

/** Unknown extra keys for an object: usually none. */
const extrasArb = fc.oneof(
    { weight: 6, arbitrary: fc.constant([] as [string, unknown][]) },
    { weight: 1, arbitrary: fc.uniqueArray(fc.tuple(keyArb, junkArb), { minLength: 1, maxLength: 2, selector: ([k]) => k }) },
);

/** Builds an object from generated fields (dropping ABSENT ones) plus extra keys. */
function shape(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
    return fc.record({ fields: fc.record(fields), extras: extrasArb }).map(({ fields: f, extras }) =>
        own([...Object.entries(f).filter(([, v]) => v !== ABSENT), ...extras.filter(([k]) => !(k in f))]),
    );
}

/** A map keyed by `key` (unique keys) of `value`s, sometimes empty, sometimes junk. */
function mapOf(key: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>, maxKeys: number): fc.Arbitrary<unknown> {
    return fc.oneof(
        { weight: 8, arbitrary: fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: maxKeys, selector: ([k]) => k }).map(own) },
        { weight: 1, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: junkArb },
    );
}

const poolArb = shape({
    size: field(fc.integer({ min: -5, max: 1005 }), { absent: 3 }),
    instanceTypes: field(fc.array(fc.constantFrom("ecs.g7.xlarge", "", "ecs.g6.large"), { maxLength: 11 }), { absent: 6 }),
    systemDiskCategory: field(fc.constantFrom("cloud_essd", "cloud_ssd", "ssd"), { absent: 8 }),
    systemDiskSizeGb: field(fc.integer({ min: 0, max: 3000 }), { absent: 8 }),
    zones: field(fc.array(zoneOfArb("cn-hangzhou"), { maxLength: 2 }), { absent: 8 }),
});

const clusterArb: fc.Arbitrary<unknown> = regionArb.chain((region) =>
    shape({
        region: field(fc.constant(region), { junk: 0, absent: 1, valid: 12 }),
        zones: field(fc.array(zoneOfArb(region), { maxLength: 6 })),
        role: field(fc.constantFrom("primary", "remote", "Primary")),
        controlPlane: field(fc.constantFrom(...NAME_POOL, "nowhere"), { absent: 10 }),
        network: field(fc.constantFrom("net1", "net2", "Net_1"), { absent: 10 }),
        cni: field(fc.constantFrom("terway", "flannel", "calico")),
        vpc: field(fc.constantFrom("shared", "other", "constructor"), { absent: 8 }),
        slot: field(fc.integer({ min: -20, max: 300 }), { absent: 3 }),
        cidrs: field(
            shape({
                vpc: field(cidrArb, { absent: 3 }),
                service: field(cidrArb, { absent: 3 }),
                pod: field(cidrArb, { absent: 3 }),
                nodeCidrMask: field(fc.integer({ min: 0, max: 40 }), { absent: 4 }),
                vswitches: field(mapOf(fc.constantFrom("cn-hangzhou-h", "cn-shanghai-l", "__proto__"), cidrArb, 2), { absent: 4 }),
                podVswitches: field(mapOf(fc.constantFrom("cn-hangzhou-h", "cn-beijing-a"), cidrArb, 2), { absent: 4 }),
            }),
            { absent: 8 },
        ),
        nodePools: field(mapOf(fc.constantFrom("default", "apps", "Bad_Name", "__proto__", "x".repeat(21)), poolArb, 3), { absent: 3 }),
        allowFewerThanThreeWorkers: field(fc.boolean(), { absent: 8 }),
        apiServer: field(shape({ public: field(fc.boolean()) }), { absent: 10 }),
        deletionProtection: field(fc.boolean(), { absent: 6 }),
        ingressGateway: field(fc.boolean(), { absent: 8 }),
        tags: field(mapOf(keyArb, fc.oneof(fc.string({ maxLength: 5 }), scalarJunkArb), 2), { absent: 10 }),
        displayName: field(fc.constantFrom("Same", "same", "", "x".repeat(64)), { absent: 8 }),
    }),
);

const meshArb = shape({
    id: field(fc.constantFrom("mesh1", "Mesh_1", "", "m".repeat(64))),
    topology: field(fc.constantFrom("primary-remote", "multi-primary", "star")),
    networks: field(fc.constantFrom("flat", "multi-network", "mesh"), { absent: 3 }),
    mtls: field(fc.constantFrom("STRICT", "PERMISSIVE", "OFF", "strict"), { absent: 6 }),
    trustDomain: field(fc.constantFrom("cluster.local", ""), { absent: 8 }),
    istioVersion: field(fc.constantFrom("1.30.3", "1.30", "latest"), { absent: 8 }),
    ca: field(
        shape({
            shared: field(fc.boolean(), { absent: 3 }),
            source: field(fc.constantFrom("generate", "config", "vault"), { absent: 3 }),
            algorithm: field(fc.constantFrom("RSA", "ECDSA", "DSA"), { absent: 3 }),
            additionalTrustedRootCerts: field(fc.array(fc.constantFrom("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", ""), { maxLength: 2 }), { absent: 6 }),
        }),
        { absent: 6 },
    ),
    valuesOverride: field(
        shape({
            istiod: field(fc.uniqueArray(fc.tuple(keyArb, junkArb), { maxLength: 2, selector: ([k]) => k }).map(own), { absent: 3 }),
            base: field(fc.constant({}), { absent: 6 }),
        }),
        { absent: 8 },
    ),
});

const placementArb = fc.uniqueArray(
    fc.tuple(
        fc.constantFrom<string>(...BOOKINFO_WORKLOADS, "ratings-v2", "__proto__"),
        field(fc.array(fc.oneof(fc.constantFrom(...NAME_POOL), fc.constantFrom("nowhere", "constructor", "__proto__")), { maxLength: 3 }), { absent: 0 }),
    ),
    { maxLength: 7, selector: ([k]) => k },
).map(own);

const bookinfoArb = shape({
    enabled: field(fc.boolean()),
    routing: field(fc.constantFrom("plain", "header-split", "locality-failover", "canary"), { absent: 3 }),
    placement: field(placementArb, { absent: 2 }),
    failover: field(fc.array(shape({ from: field(regionArb), to: field(regionArb) }), { maxLength: 2 }), { absent: 6 }),
    tag: field(fc.constantFrom("1.20.3", ""), { absent: 8 }),
});

/** Configs shaped like the schema, any field of which may be junk. */
const wildArb: fc.Arbitrary<Raw> = shape({
    mesh: field(meshArb, { absent: 1, junk: 1, valid: 10 }),
    clusters: field(mapOf(clusterKeyArb, clusterArb, 5), { absent: 1, junk: 1, valid: 12 }),
    vpcs: field(mapOf(fc.constantFrom("shared", "other", "constructor", "__proto__", "alpha"), shape({ region: field(regionArb), cidr: field(cidrArb, { absent: 3 }), slot: field(fc.integer({ min: -5, max: 200 }), { absent: 3 }) }), 2), { absent: 6 }),
    cen: field(shape({ region: field(regionArb, { absent: 3 }), bandwidthType: field(fc.constantFrom("DataTransfer", "BandwidthPackage", "Free"), { absent: 3 }), bandwidthMbps: field(fc.integer({ min: -1, max: 20000 }), { absent: 3 }) }), { absent: 6 }),
    securityGroups: field(shape({ maxRulesPerGroup: field(fc.integer({ min: -1, max: 400 }), { absent: 2 }) }), { absent: 6 }),
    bookinfo: field(bookinfoArb, { absent: 4 }),
    protect: field(fc.boolean(), { absent: 6 }),
    caRootCert: field(fc.constant("sim-secret-root-cert"), { absent: 12 }),
}) as fc.Arbitrary<Raw>;

/** Up to 200 clusters from one template (keys `c0`…), explicit or derived slots. */
const hugeArb: fc.Arbitrary<Raw> = fc
    .record({
        n: fc.integer({ min: 20, max: 200 }),
        slotted: fc.boolean(),
        zones: fc.integer({ min: 1, max: 5 }),
        topology: fc.constantFrom("primary-remote", "multi-primary"),
        regionCount: fc.integer({ min: 1, max: 4 }),
    })
    .map(({ n, slotted, zones, topology, regionCount }) => ({
        mesh: { id: "mesh-huge", topology, networks: "multi-network" },
        cen: { region: REGIONS[0] },
        clusters: Object.fromEntries(
            Array.from({ length: n }, (_, i) => {
                const region = REGIONS[i % regionCount];
                return [
                    `c${i}`,
                    {
                        region,
                        zones: LETTERS.slice(0, zones).split("").map((l) => zoneId(region, l)),
                        role: topology === "multi-primary" || i === 0 ? "primary" : "remote",
                        cni: i % 3 === 0 ? "flannel" : "terway",
                        ...(slotted ? { slot: i } : {}),
                    },
                ];
            }),
        ),
    }));

// --- near-valid: a valid topology plus edits at random paths ----------------

type Edit =
    | { op: "junk"; at: number; value: unknown }
    | { op: "delete"; at: number }
    | { op: "addKey"; at: number; key: string; value: unknown }
    | { op: "empty"; at: number }
    | { op: "pin"; cluster: number; field: "vpc" | "service" | "pod" | "vswitch" | "podVswitch"; value: unknown }
    | { op: "slot"; cluster: number; value: number }
    | { op: "place"; workload: number; targets: string[] };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ op: fc.constant("junk" as const), at: fc.nat(), value: junkArb }),
    fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("addKey" as const), at: fc.nat(), key: keyArb, value: junkArb }),
    fc.record({ op: fc.constant("empty" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("pin" as const), cluster: fc.nat(), field: fc.constantFrom("vpc" as const, "service" as const, "pod" as const, "vswitch" as const, "podVswitch" as const), value: cidrArb }),
    fc.record({ op: fc.constant("slot" as const), cluster: fc.nat(), value: fc.integer({ min: -300, max: 300 }) }),
    fc.record({ op: fc.constant("place" as const), workload: fc.nat(), targets: fc.array(fc.constantFrom(...NAME_POOL, "nowhere", "constructor", "__proto__"), { maxLength: 3 }) }),
);

/** Every path of a JSON-shaped value (objects and arrays included), root first. */
function pathsOf(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
    out.push(prefix);
    if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out));
    else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) pathsOf((v as Record<string, unknown>)[k], [...prefix, k], out);
    return out;
}

function getAt(root: unknown, path: (string | number)[]): unknown {
    let cur: any = root;
    for (const seg of path) cur = cur?.[seg];
    return cur;
}

function setOwn(target: any, key: string | number, value: unknown): void {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyEdit(raw: Raw, e: Edit): void {
    const clusters = raw.clusters && typeof raw.clusters === "object" ? Object.keys(raw.clusters) : [];
    switch (e.op) {
        case "junk":
        case "delete":
        case "empty": {
            const paths = pathsOf(raw).slice(1); // never the root itself
            if (!paths.length) return;
            const path = paths[e.at % paths.length];
            const parent = getAt(raw, path.slice(0, -1)) as any;
            const key = path[path.length - 1];
            if (e.op === "junk") setOwn(parent, key, e.value);
            else if (e.op === "empty") setOwn(parent, key, Array.isArray(parent[key]) ? [] : {});
            else if (Array.isArray(parent)) parent.splice(key as number, 1);
            else delete parent[key];
            return;
        }
        case "addKey": {
            const objects = pathsOf(raw).filter((p) => {
                const v = getAt(raw, p);
                return v !== null && typeof v === "object" && !Array.isArray(v);
            });
            const target = getAt(raw, objects[e.at % objects.length]) as any;
            setOwn(target, e.key, e.value);
            return;
        }
        case "pin": {
            if (!clusters.length) return;
            const c = raw.clusters[clusters[e.cluster % clusters.length]];
            if (!c || typeof c !== "object") return;
            const cidrs = (c.cidrs ??= {});
            const zone = Array.isArray(c.zones) && typeof c.zones[0] === "string" ? c.zones[0] : "cn-hangzhou-h";
            if (e.field === "vswitch") setOwn((cidrs.vswitches ??= {}), zone, e.value);
            else if (e.field === "podVswitch") setOwn((cidrs.podVswitches ??= {}), zone, e.value);
            else setOwn(cidrs, e.field, e.value);
            return;
        }
        case "slot": {
            if (!clusters.length) return;
            const c = raw.clusters[clusters[e.cluster % clusters.length]];
            if (c && typeof c === "object") c.slot = e.value;
            return;
        }
        case "place": {
            raw.bookinfo = { enabled: true, ...(raw.bookinfo ?? {}) };
            raw.bookinfo.placement = { ...(raw.bookinfo.placement ?? {}) };
            setOwn(raw.bookinfo.placement, BOOKINFO_WORKLOADS[e.workload % BOOKINFO_WORKLOADS.length], e.targets);
            return;
        }
    }
}

const nearValidArb: fc.Arbitrary<Raw> = fc.tuple(validTopologyArb, fc.array(editArb, { maxLength: 4 })).map(([g, edits]) => {
    const raw = rawOf(g);
    for (const e of edits) applyEdit(raw, e);
    return raw;
});

/** Every input family, weighted. */
const configArb: fc.Arbitrary<Raw> = fc.oneof(
    { weight: 60, arbitrary: nearValidArb },
    { weight: 38, arbitrary: wildArb },
    { weight: 2, arbitrary: hugeArb },
);

// ---------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------

/** Where a problem path may start: a top-level config key, a namespaced key, or the root. */
const PATH_ROOT = /^(\(root\)$|ack-mesh:|(mesh|clusters|vpcs|cen|securityGroups|bookinfo|protect)([.[]|$))/;

function nonEmpty(what: string, v: unknown): void {
    assert.equal(typeof v, "string", `${what} must be a string, got ${typeof v}`);
    assert.ok((v as string).trim().length > 0, `${what} must not be empty`);
}

/** Own enumerable keys of `raw.clusters` when it is a map, else undefined. */
function clusterKeysOf(raw: Raw): string[] | undefined {
    const c = raw.clusters;
    return c !== null && typeof c === "object" && !Array.isArray(c) ? Object.keys(c).sort() : undefined;
}

/** Checks one config; returns whether it was valid. Throws (fails the property) on any breach. */
function checkConfig(raw: Raw): "valid" | "invalid" {
    let before: unknown = undefined;
    try {
        before = clone(raw);
    } catch {
        // Not cloneable (a throwing getter in the oracle's self-check): skip the mutation check.
    }
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).length;
    const start = performance.now();
    let planned: PlannedTopology | undefined;
    let error: unknown;
    try {
        planned = planTopology(raw);
    } catch (e) {
        error = e;
    }
    const ms = performance.now() - start;
    assert.ok(ms < PER_CASE_MS, `validation took ${ms.toFixed(0)} ms (limit ${PER_CASE_MS} ms)`);
    if (before !== undefined) assert.ok(isDeepStrictEqual(raw, before), "planTopology modified its input");
    assert.equal(Object.getOwnPropertyNames(Object.prototype).length, protoKeys, "Object.prototype gained a property");
    assert.equal(({} as Record<string, unknown>).region, undefined, "Object.prototype polluted");

    if (error !== undefined) {
        if (!ConfigError.is(error)) {
            const e = error as Error;
            assert.fail(`planTopology threw ${e?.constructor?.name ?? typeof e} instead of a ConfigError: ${e?.stack ?? String(e)}`);
        }
        assert.ok(error instanceof ConfigError, "the ConfigError comes from config/errors");
        assert.equal(error.name, "ConfigError");
        assert.match(error.message, /^Invalid ack-mesh configuration \(\d+ problems?\):\n/, "the error comes from the config validator, not from a later stage");
        assert.ok(error.problems.length > 0, "a ConfigError lists at least one problem");
        for (const p of error.problems) {
            nonEmpty("problem.path", p.path);
            assert.match(p.path, PATH_ROOT, `problem path ${JSON.stringify(p.path)} does not start at a config key`);
            nonEmpty(`message of ${p.path}`, p.message);
            nonEmpty(`fix of ${p.path}`, p.fix);
        }
        return "invalid";
    }
    // A valid plan holds exactly the configured clusters, everywhere.
    const t = planned!;
    const keys = clusterKeysOf(raw);
    assert.ok(keys, "a valid config has a clusters map");
    assert.deepEqual(Object.keys(t.config.clusters).sort(), keys, "config.clusters are the configured clusters");
    assert.deepEqual(Object.keys(t.network.clusters).sort(), keys, "network.clusters are the configured clusters");
    assert.deepEqual(Object.keys(t.identity.clusters).sort(), keys, "identity.clusters are the configured clusters");
    assert.ok(t.identity.controlPlanes.length >= 1, "a valid mesh has a control plane");
    for (const c of Object.values(t.network.clusters)) {
        nonEmpty(`serviceCidr of ${c.name}`, c.serviceCidr);
        assert.ok(c.nodeRanges.length >= 1, `cluster ${c.name} has node vSwitches`);
    }
    // ...and no security group of it gets more rules than the configured limit.
    const perGroup = new Map<string, number>();
    for (const r of planSecurityGroupRules(t.identity, t.network, { ingressClusters: t.identity.controlPlanes.filter((c) => t.config.clusters[c].ingressGateway) })) perGroup.set(r.toCluster, (perGroup.get(r.toCluster) ?? 0) + 1);
    for (const [c, n] of perGroup) assert.ok(n <= t.config.securityGroups.maxRulesPerGroup, `${c}: ${n} rules > ${t.config.securityGroups.maxRulesPerGroup}`);
    return "valid";
}

describe("reliability: config fuzzing (validator, planner and mesh identity)", function () {
    this.timeout(RUN_LIMIT_MS + 15_000);

    it("the oracle itself tells a ConfigError from any other failure", () => {
        assert.equal(checkConfig(rawOf(fc.sample(validTopologyArb, { seed: SEED, numRuns: 1 })[0])), "valid");
        assert.equal(checkConfig({ mesh: { id: "m", topology: "primary-remote" }, clusters: {} }), "invalid");
        const exploding = {};
        Object.defineProperty(exploding, "mesh", { enumerable: true, get: () => { throw new TypeError("boom"); } });
        assert.throws(() => checkConfig(exploding), /threw TypeError instead of a ConfigError: TypeError: boom/);
    });

    it(`${RUNS} random configs end in a valid plan or a ConfigError with path, message and fix for every problem`, () => {
        console.log(`      config fuzz: seed ${SEED}, ${RUNS} runs (re-run: FUZZ_RUNS=${RUNS}; the seed is in configFuzz.spec.ts)`);
        const counts = { valid: 0, invalid: 0, huge: 0 };
        const started = performance.now();
        fc.assert(
            fc.property(configArb, (raw) => {
                const outcome = checkConfig(raw);
                counts[outcome]++;
                if (Object.keys((raw.clusters as object | null) ?? {}).length >= 20) counts.huge++;
            }),
            { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: RUN_LIMIT_MS, markInterruptAsFailure: true },
        );
        const ms = performance.now() - started;
        console.log(`      config fuzz: ${counts.valid} valid, ${counts.invalid} invalid (${counts.huge} with ≥ 20 clusters) in ${(ms / 1000).toFixed(1)} s`);
        assert.ok(counts.valid + counts.invalid >= RUNS, `ran ${counts.valid + counts.invalid} cases, expected ≥ ${RUNS}`);
        assert.ok(counts.valid >= RUNS * 0.05, `only ${counts.valid} valid configs: the generator no longer reaches the planner often enough`);
        assert.ok(counts.invalid >= RUNS * 0.5, `only ${counts.invalid} invalid configs: the generator is too tame`);
    });
});

describe("reliability: config fuzzing findings", () => {
    /**
     * Each map of the schema (`z.record`) at which a `__proto__` key is silently dropped, with the
     * YAML that shows it: the validator accepts the config and the entry is simply gone.
     */
    const protoCases: [string, string][] = [
        ["clusters.__proto__", "clusters:\n  hz: { region: cn-hangzhou, zones: [cn-hangzhou-h], role: primary, cni: terway, slot: 1 }\n  __proto__: { region: cn-shanghai, zones: [cn-shanghai-l], role: remote, cni: terway, slot: 2 }"],
        ["vpcs.__proto__", "vpcs:\n  __proto__: { region: cn-hangzhou }\nclusters:\n  hz: { region: cn-hangzhou, zones: [cn-hangzhou-h], role: primary, cni: terway, slot: 1 }"],
        ["clusters.hz.nodePools.__proto__", "clusters:\n  hz: { region: cn-hangzhou, zones: [cn-hangzhou-h], role: primary, cni: terway, slot: 1, nodePools: { default: { size: 3 }, __proto__: { size: 3 } } }"],
        ["clusters.hz.cidrs.vswitches.__proto__", "clusters:\n  hz: { region: cn-hangzhou, zones: [cn-hangzhou-h], role: primary, cni: terway, slot: 1, cidrs: { vswitches: { __proto__: 10.1.0.0/21 } } }"],
        ["bookinfo.placement.__proto__", "clusters:\n  hz: { region: cn-hangzhou, zones: [cn-hangzhou-h], role: primary, cni: terway, slot: 1 }\nbookinfo: { placement: { __proto__: [hz] } }"],
    ];

    // Regression, fixed: a `__proto__` key in any map of the stack config (clusters, vpcs, nodePools, cidrs.vswitches,
    // bookinfo.placement, tags, valuesOverride.*) is silently dropped instead of reported. zod's
    // z.record builds its output by assignment (`out[key] = value`), which for "__proto__" sets the
    // prototype; strict objects are fine (they report `unknown key`).
    // Input: the YAML below under `ack-mesh:` (+ `mesh: { id: mesh1, topology: primary-remote }`).
    // Expected: ConfigError naming e.g. `clusters.__proto__` (not a DNS-1123 label; unknown workload; …).
    // Actual: planTopology returns a valid plan without the entry (e.g. clusters: [hz] only).
    for (const [path, yaml] of protoCases) {
        it(`${path} is reported, not silently dropped`, () => {
            const raw = YAML.parse(`mesh: { id: mesh1, topology: primary-remote }\n${yaml}\n`) as Raw;
            assert.ok(Object.keys(getAt(raw, path.split(".").slice(0, -1)) as object).includes("__proto__"), "YAML keeps __proto__ as an own key");
            assert.throws(
                () => planTopology(raw),
                (e: unknown) => ConfigError.is(e) && e.problems.some((p) => p.path.startsWith(path)),
            );
        });
    }

    it("(control) the same `__proto__` key in a strict object is reported as an unknown key", () => {
        const raw = YAML.parse("mesh: { id: mesh1, topology: primary-remote, __proto__: { x: 1 } }\nclusters:\n  hz: { region: cn-hangzhou, zones: [cn-hangzhou-h], role: primary, cni: terway, slot: 1 }\n") as Raw;
        assert.throws(() => planTopology(raw), (e: unknown) => ConfigError.is(e) && e.problems.some((p) => p.path === "mesh.__proto__" && /unknown key/.test(p.message)));
    });
});
