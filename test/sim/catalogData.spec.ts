import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as yamlParse } from "yaml";
import { CATALOG, TRACKED_INSTANCE_TYPES } from "../../sim/catalogData";

const STACKS = path.resolve(__dirname, "..", "..", "stacks");
const DEFAULT_INSTANCE_TYPES = ["ecs.g7.xlarge", "ecs.g6.xlarge", "ecs.c7.xlarge"];
const VERSION = /^(\d+)\.(\d+)\.(\d+)-aliyun\.(\d+)$/;

const regions = Object.values(CATALOG.regions);

/** True when some source backs `covers`. */
function sourced(covers: string): boolean {
    return CATALOG.sources.some((s) => s.covers === covers);
}

interface StackCluster {
    region: string;
    zones: string[];
    vpc?: string;
    nodePools?: Record<string, { zones?: string[]; instanceTypes?: string[] }>;
}

/** `ack-mesh:clusters` of every shipped stack, by stack file. */
function stackClusters(): [string, Record<string, StackCluster>][] {
    return fs
        .readdirSync(STACKS)
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .sort()
        .map((f) => {
            const doc = yamlParse(fs.readFileSync(path.join(STACKS, f), "utf8"));
            return [f, (doc?.config?.["ack-mesh:clusters"] ?? {}) as Record<string, StackCluster>];
        });
}

describe("sim catalog data", () => {
    it("is deeply frozen", () => {
        assert.ok(Object.isFrozen(CATALOG));
        assert.ok(Object.isFrozen(CATALOG.regions["cn-hangzhou"].zones["cn-hangzhou-h"].instanceTypes));
        assert.ok(Object.isFrozen(CATALOG.kubernetesVersions[0].runtimes[0]));
        assert.ok(Object.isFrozen(CATALOG.sources[0]));
    });

    it("keys every region and zone by its id", () => {
        for (const [id, region] of Object.entries(CATALOG.regions)) {
            assert.equal(region.id, id);
            for (const [zoneId, zone] of Object.entries(region.zones)) assert.equal(zone.id, zoneId);
        }
    });

    it("lists the regions the project's stacks and docs rely on", () => {
        for (const id of ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-zhangjiakou", "cn-hongkong", "ap-southeast-1", "eu-central-1", "us-west-1"]) {
            assert.ok(CATALOG.regions[id], id);
        }
    });

    it("marks exactly the cn- regions other than Hong Kong as mainland China", () => {
        for (const region of regions) {
            assert.equal(region.mainlandChina, region.id.startsWith("cn-") && region.id !== "cn-hongkong", region.id);
        }
    });

    it("gives every region at least one zone, each id starting with its region id", () => {
        for (const region of regions) {
            assert.ok(Object.keys(region.zones).length > 0, region.id);
            for (const zone of Object.values(region.zones)) {
                assert.ok(zone.id.startsWith(region.id), `${zone.id} is not in ${region.id}`);
                assert.match(zone.id.slice(region.id.length), /^-?[a-z]$/, zone.id);
                assert.ok(zone.localName.length > 0, zone.id);
            }
        }
    });

    it("offers only tracked instance types, without duplicates", () => {
        for (const region of regions) {
            for (const zone of Object.values(region.zones)) {
                assert.equal(new Set(zone.instanceTypes).size, zone.instanceTypes.length, zone.id);
                for (const t of zone.instanceTypes) assert.ok(TRACKED_INSTANCE_TYPES.includes(t), `${zone.id}: ${t}`);
            }
        }
    });

    it("places transit-router zones in zones of their region", () => {
        for (const region of regions) {
            const { masterZones, slaveZones } = region.transitRouter;
            for (const z of [...masterZones, ...slaveZones]) assert.ok(region.zones[z], `${region.id}: transit-router zone ${z}`);
        }
    });

    it("uses the CEN table's transit-router zones for Hangzhou and Shanghai", () => {
        assert.deepEqual(CATALOG.regions["cn-hangzhou"].transitRouter.masterZones, ["b", "h", "i", "j", "k"].map((l) => `cn-hangzhou-${l}`));
        assert.deepEqual(CATALOG.regions["cn-shanghai"].transitRouter.masterZones, ["b", "c", "e", "f", "g", "l", "m", "n"].map((l) => `cn-shanghai-${l}`));
        assert.ok(!CATALOG.regions["cn-hangzhou"].transitRouter.masterZones.includes("cn-hangzhou-g"));
    });

    it("offers Kubernetes versions oldest first, in ACK's format, with a runtime", () => {
        const lists = [CATALOG.kubernetesVersions, ...regions.flatMap((r) => (r.kubernetesVersions ? [r.kubernetesVersions] : []))];
        for (const list of lists) {
            assert.ok(list.length > 0);
            const parts = list.map((v) => {
                const m = VERSION.exec(v.version);
                assert.ok(m, `${v.version} is not x.y.z-aliyun.n`);
                assert.ok(v.runtimes.length > 0, v.version);
                for (const r of v.runtimes) assert.ok(r.name && r.version, v.version);
                return m.slice(1).map(Number);
            });
            for (let i = 1; i < parts.length; i++) {
                const [a, b] = [parts[i - 1], parts[i]];
                const cmp = a.map((x, k) => x - b[k]).find((d) => d !== 0) ?? 0;
                assert.ok(cmp < 0, `${list[i - 1].version} is not older than ${list[i].version}`);
            }
        }
    });

    it("offers no end-of-life Kubernetes version (1.33, 1.34 or older)", () => {
        const all = [...CATALOG.kubernetesVersions, ...regions.flatMap((r) => r.kubernetesVersions ?? [])];
        for (const v of all) {
            const [major, minor] = v.version.split(".").map(Number);
            assert.ok(major > 1 || minor >= 35, v.version);
        }
        assert.deepEqual(
            [...new Set(CATALOG.kubernetesVersions.map((v) => v.version.split(".").slice(0, 2).join(".")))],
            ["1.35", "1.36"],
        );
    });

    it("names a source for every fact group, with a URL and a date", () => {
        for (const covers of ["regions", "regions.mainlandChina", "kubernetesVersions", "kubernetesVersions.runtimes"]) assert.ok(sourced(covers), covers);
        for (const region of regions) {
            for (const group of ["zones", "transitRouter", "instanceTypes"]) assert.ok(sourced(`regions.${region.id}.${group}`), `regions.${region.id}.${group}`);
        }
        for (const s of CATALOG.sources) {
            assert.match(s.url, /^https:\/\//, s.covers);
            assert.match(s.asOf, /^\d{4}-\d{2}-\d{2}$/, s.covers);
            assert.ok(s.asOf <= CATALOG.asOf, `${s.covers}: ${s.asOf} is after the catalog's date`);
            assert.ok(s.title.length > 0, s.covers);
        }
    });

    describe("covers the shipped stacks", () => {
        const stacks = stackClusters();

        it("finds stacks with clusters", () => {
            assert.ok(stacks.length > 0);
            for (const [file, clusters] of stacks) assert.ok(Object.keys(clusters).length > 0, file);
        });

        for (const [file, clusters] of stacks) {
            it(`${file}: every zone exists and carries its pools' instance types`, () => {
                for (const [name, c] of Object.entries(clusters)) {
                    const region = CATALOG.regions[c.region];
                    assert.ok(region, `${file} ${name}: region ${c.region}`);
                    for (const [poolName, pool] of Object.entries(c.nodePools ?? {})) {
                        const types = pool.instanceTypes ?? DEFAULT_INSTANCE_TYPES;
                        for (const zoneId of pool.zones ?? c.zones) {
                            const zone = region.zones[zoneId];
                            assert.ok(zone, `${file} ${name}: zone ${zoneId} is not in ${c.region}`);
                            for (const t of types) assert.ok(zone.instanceTypes.includes(t), `${file} ${name}.${poolName}: ${t} not in ${zoneId}`);
                        }
                    }
                }
            });

            it(`${file}: with several VPCs, every cluster zone supports a transit router`, () => {
                const vpcs = new Set(Object.entries(clusters).map(([name, c]) => c.vpc ?? `own:${name}`));
                if (vpcs.size < 2) return;
                for (const [name, c] of Object.entries(clusters)) {
                    const tr = CATALOG.regions[c.region].transitRouter;
                    for (const zoneId of c.zones) {
                        assert.ok([...tr.masterZones, ...tr.slaveZones].includes(zoneId), `${file} ${name}: no transit router in ${zoneId}`);
                    }
                }
            });
        }
    });
});
