import * as assert from "node:assert/strict";
import * as alicloud from "@pulumi/alicloud";
import { ConfigError } from "../../config/errors";
import {
    planVpcWithCen,
    validateVpcWithCenArgs,
    VPC_WITH_CEN_CHILD_TYPES as T,
    VPC_WITH_CEN_TYPE,
    VpcWithCen,
    VpcWithCenArgs,
} from "../../components/vpcWithCen";
import type { NetworkPlan } from "../../plan/network";
import { RecordedResource, simulate, SimulationResult, topology, twoRegionRaw } from "../support";

const PROVIDER = "pulumi:providers:alicloud";

// --- Fixtures ---------------------------------------------------------------------------------------

/** Two clusters side by side in one shared VPC: `a` (Terway, two zones) and `b` (Flannel, one shared zone). */
function sharedVpcRaw(): Record<string, unknown> {
    return {
        mesh: { id: "mesh1", topology: "multi-primary" },
        vpcs: { shared: { region: "cn-hangzhou", slot: 10 } },
        clusters: {
            a: { region: "cn-hangzhou", zones: ["cn-hangzhou-h", "cn-hangzhou-i"], role: "primary", cni: "terway", vpc: "shared", slot: 1 },
            b: { region: "cn-hangzhou", zones: ["cn-hangzhou-h"], role: "primary", cni: "flannel", vpc: "shared", slot: 2 },
        },
    };
}

/** twoRegionRaw() plus a third region with its own VPC. */
function threeRegionRaw(): Record<string, unknown> {
    const raw = twoRegionRaw() as { clusters: Record<string, unknown> };
    return {
        ...raw,
        clusters: { ...raw.clusters, bj: { region: "cn-beijing", zones: ["cn-beijing-h"], role: "remote", cni: "terway", slot: 3 } },
    };
}

/** twoRegionRaw() with one more zone for `sh`. */
function twoRegionMoreZonesRaw(): Record<string, unknown> {
    const raw = twoRegionRaw() as { clusters: Record<string, Record<string, unknown>> };
    return { ...raw, clusters: { ...raw.clusters, sh: { ...raw.clusters.sh, zones: ["cn-shanghai-l", "cn-shanghai-m"] } } };
}

const network = (raw: Record<string, unknown>): NetworkPlan => topology(raw).network;

/** A stand-in that passes `alicloud.Provider.isInstance` (for the pure validation tests only). */
const fakeProvider = (): alicloud.Provider => ({ __pulumiType: "pulumi:providers:alicloud" }) as unknown as alicloud.Provider;
const fakeProviders = (...regions: string[]) => Object.fromEntries(regions.map((r) => [r, fakeProvider()]));

/** One real provider per region, named after the region (inside a simulation only). */
function providers(regions: string[]): Record<string, alicloud.Provider> {
    return Object.fromEntries(regions.map((r) => [r, new alicloud.Provider(r, { region: r })]));
}

/** Simulates one (or more) VpcWithCen instances over `plan`; `extra` is merged into the args. */
function run(plan: NetworkPlan, extra: Partial<VpcWithCenArgs> = {}, names = ["net"]): Promise<SimulationResult> {
    return simulate(() => {
        const p = providers(plan.regions);
        const out: Record<string, unknown> = {};
        for (const n of names) {
            const net = new VpcWithCen(n, { network: plan, providers: p, ...extra });
            out[n] = Object.fromEntries(Object.keys(plan.clusters).map((c) => [c, { node: net.nodeVswitchIdList(c), pod: net.podVswitchIdList(c) }]));
        }
        return out;
    });
}

const component = (res: SimulationResult, name = "net") => res.get(VPC_WITH_CEN_TYPE, name);
const childrenOf = (res: SimulationResult, name = "net") => res.resources.filter((r) => r.parent === component(res, name).urn);
const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
const keys = (rs: { type: string; name: string }[]) => rs.map(key).sort();
const providerUrn = (res: SimulationResult, region: string) => res.get(PROVIDER, region).urn;
const out = (r: RecordedResource, field: string) => r.outputs[field];

// --- Pure functions ---------------------------------------------------------------------------------

describe("VpcWithCen: planVpcWithCen", () => {
    it("lays out one VPC and no CEN for a shared VPC, vSwitches keyed by cluster and zone", () => {
        const layout = planVpcWithCen({ network: network(sharedVpcRaw()) });
        assert.equal(layout.cen, false);
        assert.deepEqual(layout.regions, []);
        assert.deepEqual(layout.peerings, []);
        assert.equal(layout.cenRegion, undefined);
        assert.deepEqual(
            layout.children.map((c) => `${c.type} ${c.role} @${c.region}`),
            [
                `${T.vpc} vpc-shared @cn-hangzhou`,
                `${T.vswitch} vsw-a-cn-hangzhou-h @cn-hangzhou`,
                `${T.vswitch} podvsw-a-cn-hangzhou-h @cn-hangzhou`,
                `${T.vswitch} vsw-a-cn-hangzhou-i @cn-hangzhou`,
                `${T.vswitch} podvsw-a-cn-hangzhou-i @cn-hangzhou`,
                `${T.vswitch} vsw-b-cn-hangzhou-h @cn-hangzhou`,
                `${T.natGateway} nat-shared @cn-hangzhou`,
                `${T.eip} eip-shared @cn-hangzhou`,
                `${T.eipAssociation} eip-assoc-shared @cn-hangzhou`,
                `${T.snatEntry} snat-vsw-a-cn-hangzhou-h @cn-hangzhou`,
                `${T.snatEntry} snat-podvsw-a-cn-hangzhou-h @cn-hangzhou`,
                `${T.snatEntry} snat-vsw-a-cn-hangzhou-i @cn-hangzhou`,
                `${T.snatEntry} snat-podvsw-a-cn-hangzhou-i @cn-hangzhou`,
                `${T.snatEntry} snat-vsw-b-cn-hangzhou-h @cn-hangzhou`,
            ],
        );
        assert.deepEqual(layout.vpcs[0].nat, { zone: "cn-hangzhou-h", cluster: "a" });
    });

    it("plans a full mesh of region pairs (a < b) and the CEN in the first region", () => {
        const layout = planVpcWithCen({ network: network(threeRegionRaw()) });
        assert.equal(layout.cen, true);
        assert.equal(layout.cenRegion, "cn-beijing");
        assert.deepEqual(layout.regions, ["cn-beijing", "cn-hangzhou", "cn-shanghai"]);
        assert.deepEqual(layout.peerings, [
            { a: "cn-beijing", b: "cn-hangzhou" },
            { a: "cn-beijing", b: "cn-shanghai" },
            { a: "cn-hangzhou", b: "cn-shanghai" },
        ]);
    });

    it("creates the CEN with the provider of cen.region when pinned", () => {
        const layout = planVpcWithCen({ network: network(threeRegionRaw()), cen: { region: "cn-shanghai" } });
        assert.equal(layout.cenRegion, "cn-shanghai");
        assert.deepEqual(layout.children.filter((c) => c.type === T.cen), [{ type: T.cen, role: "cen", region: "cn-shanghai" }]);
    });

    it("maps each zone of a shared VPC to the node vSwitch of the alphabetically first cluster using it", () => {
        const raw = {
            mesh: { id: "mesh1", topology: "multi-primary" },
            vpcs: { shared: { region: "cn-hangzhou", slot: 10 } },
            clusters: {
                b: { region: "cn-hangzhou", zones: ["cn-hangzhou-h", "cn-hangzhou-i"], role: "primary", cni: "terway", vpc: "shared", slot: 1 },
                a: { region: "cn-hangzhou", zones: ["cn-hangzhou-i"], role: "primary", cni: "terway", vpc: "shared", slot: 2 },
                c: { region: "cn-shanghai", zones: ["cn-shanghai-l"], role: "primary", cni: "terway", slot: 3 },
            },
        };
        const layout = planVpcWithCen({ network: network(raw) });
        assert.deepEqual(
            layout.vpcs.map((v) => [v.key, v.clusters, v.zoneMappings]),
            [
                ["c", ["c"], [{ zone: "cn-shanghai-l", cluster: "c" }]],
                ["shared", ["a", "b"], [{ zone: "cn-hangzhou-i", cluster: "a" }, { zone: "cn-hangzhou-h", cluster: "b" }]],
            ],
        );
    });
});

describe("VpcWithCen: validateVpcWithCenArgs", () => {
    const two = network(twoRegionRaw());
    const base = (): VpcWithCenArgs => ({ network: two, providers: fakeProviders("cn-hangzhou", "cn-shanghai") });
    const paths = (args: VpcWithCenArgs, name?: string) => validateVpcWithCenArgs(args, name).map((p) => p.path);

    it("accepts a complete set of arguments (extra providers are ignored)", () => {
        assert.deepEqual(validateVpcWithCenArgs(base(), "net"), []);
        assert.deepEqual(validateVpcWithCenArgs({ ...base(), providers: fakeProviders("cn-hangzhou", "cn-shanghai", "cn-beijing") }), []);
    });

    const table: [string, (a: VpcWithCenArgs) => VpcWithCenArgs, string[]][] = [
        ["a missing provider", (a) => ({ ...a, providers: fakeProviders("cn-hangzhou") }), ["providers.cn-shanghai"]],
        ["no providers at all", (a) => ({ ...a, providers: {} }), ["providers.cn-hangzhou", "providers.cn-shanghai"]],
        ["a provider that is not an alicloud.Provider", (a) => ({ ...a, providers: { ...a.providers, "cn-shanghai": {} as alicloud.Provider } }), ["providers.cn-shanghai"]],
        ["an empty plan", (a) => ({ ...a, network: { vpcs: {}, clusters: {}, regions: [] } }), ["network.vpcs"]],
        ["BandwidthPackage without a package id", (a) => ({ ...a, cen: { bandwidthType: "BandwidthPackage" } }), ["cen.bandwidthPackageId"]],
        ["a package id with DataTransfer", (a) => ({ ...a, cen: { bandwidthPackageId: "cenbwp-123" } }), ["cen.bandwidthPackageId"]],
        ["an unknown bandwidth type", (a) => ({ ...a, cen: { bandwidthType: "Free" as "DataTransfer" } }), ["cen.bandwidthType"]],
        ["a zero bandwidth", (a) => ({ ...a, cen: { bandwidthMbps: 0 } }), ["cen.bandwidthMbps"]],
        ["a fractional bandwidth", (a) => ({ ...a, cen: { bandwidthMbps: 2.5 } }), ["cen.bandwidthMbps"]],
        ["a reserved tag key", (a) => ({ ...a, tags: { "aliyun:owner": "x" } }), ["tags.aliyun:owner"]],
        ["a CEN region without a provider", (a) => ({ ...a, cen: { region: "cn-beijing" } }), ["cen.region"]],
        ["a tag value with a URL", (a) => ({ ...a, tags: { owner: "https://x" } }), ["tags.owner"]],
    ];
    for (const [what, mutate, expected] of table) {
        it(`reports ${what}`, () => assert.deepEqual(paths(mutate(base())), expected));
    }

    it("reports a component name that cannot prefix cloud names", () => {
        assert.deepEqual(paths(base(), "1net"), ["name"]);
    });

    it("reports a cluster whose VPC is missing or in another region", () => {
        const broken: NetworkPlan = {
            ...two,
            clusters: { ...two.clusters, hz: { ...two.clusters.hz, vpc: "nope" }, sh: { ...two.clusters.sh, region: "cn-hangzhou" } },
        };
        assert.deepEqual(paths({ ...base(), network: broken }), ["network.vpcs.hz", "network.clusters.hz.vpc", "network.clusters.sh.region"]);
    });

    it("words the missing-provider problem with path, reason and fix", () => {
        assert.deepEqual(validateVpcWithCenArgs({ ...base(), providers: fakeProviders("cn-hangzhou") }), [
            {
                path: "providers.cn-shanghai",
                message: "no alicloud.Provider for region cn-shanghai (VPC sh)",
                fix: 'pass providers["cn-shanghai"] = new alicloud.Provider("<name>", { region: "cn-shanghai" })',
            },
        ]);
    });
});

// --- Construction under the simulated cloud ---------------------------------------------------------

describe("VpcWithCen under the simulated cloud", () => {
    describe("(a) shared VPC with two clusters", () => {
        let res: SimulationResult;
        const plan = network(sharedVpcRaw());
        before(async () => {
            res = await run(plan);
        });

        it("creates exactly the VPC and the vSwitches, and no CEN resource", () => {
            assert.deepEqual(
                keys(childrenOf(res)),
                [
                    `${T.vswitch} net-podvsw-a-cn-hangzhou-h`,
                    `${T.vswitch} net-podvsw-a-cn-hangzhou-i`,
                    `${T.vswitch} net-vsw-a-cn-hangzhou-h`,
                    `${T.vswitch} net-vsw-a-cn-hangzhou-i`,
                    `${T.vswitch} net-vsw-b-cn-hangzhou-h`,
                    `${T.vpc} net-vpc-shared`,
                    `${T.natGateway} net-nat-shared`,
                    `${T.eip} net-eip-shared`,
                    `${T.eipAssociation} net-eip-assoc-shared`,
                    `${T.snatEntry} net-snat-vsw-a-cn-hangzhou-h`,
                    `${T.snatEntry} net-snat-podvsw-a-cn-hangzhou-h`,
                    `${T.snatEntry} net-snat-vsw-a-cn-hangzhou-i`,
                    `${T.snatEntry} net-snat-podvsw-a-cn-hangzhou-i`,
                    `${T.snatEntry} net-snat-vsw-b-cn-hangzhou-h`,
                ].sort(),
            );
            assert.equal(res.resources.filter((r) => r.type.startsWith("alicloud:cen/")).length, 0);
        });

        it("wires the VPC and vSwitch inputs from the plan", () => {
            const vpc = res.get(T.vpc, "net-vpc-shared");
            assert.equal(vpc.inputs.cidrBlock, "10.10.0.0/16");
            assert.equal(vpc.inputs.vpcName, "net-shared");
            assert.deepEqual(vpc.inputs.tags, { "managed-by": "ack-mesh" });
            const expect: [string, string, string][] = [
                ["net-vsw-a-cn-hangzhou-h", plan.clusters.a.zones["cn-hangzhou-h"].vswitch, "cn-hangzhou-h"],
                ["net-podvsw-a-cn-hangzhou-h", plan.clusters.a.zones["cn-hangzhou-h"].podVswitch!, "cn-hangzhou-h"],
                ["net-vsw-a-cn-hangzhou-i", plan.clusters.a.zones["cn-hangzhou-i"].vswitch, "cn-hangzhou-i"],
                ["net-podvsw-a-cn-hangzhou-i", plan.clusters.a.zones["cn-hangzhou-i"].podVswitch!, "cn-hangzhou-i"],
                ["net-vsw-b-cn-hangzhou-h", plan.clusters.b.zones["cn-hangzhou-h"].vswitch, "cn-hangzhou-h"],
            ];
            for (const [name, cidr, zone] of expect) {
                const sw = res.get(T.vswitch, name);
                assert.equal(sw.inputs.cidrBlock, cidr, name);
                assert.equal(sw.inputs.zoneId, zone, name);
                assert.equal(sw.inputs.vpcId, vpc.id, name);
                assert.equal(sw.inputs.availabilityZone, undefined, name);
                assert.equal(sw.inputs.name, undefined, name);
                assert.equal(sw.deleteBeforeReplace, true, name);
            }
            assert.equal(res.get(T.vswitch, "net-vsw-b-cn-hangzhou-h").inputs.vswitchName, "net-b-cn-hangzhou-h");
            assert.equal(res.get(T.vswitch, "net-podvsw-a-cn-hangzhou-i").inputs.vswitchName, "net-a-pod-cn-hangzhou-i");
        });

        it("registers the outputs: ids per VPC and per cluster/zone, no CEN, node vSwitch lists in zone order", () => {
            const o = component(res).outputs as Record<string, any>;
            const id = (n: string) => res.get(T.vswitch, n).id;
            assert.deepEqual(o.vpcIds, { shared: res.get(T.vpc, "net-vpc-shared").id });
            assert.deepEqual(o.vswitchIds, {
                a: { "cn-hangzhou-h": id("net-vsw-a-cn-hangzhou-h"), "cn-hangzhou-i": id("net-vsw-a-cn-hangzhou-i") },
                b: { "cn-hangzhou-h": id("net-vsw-b-cn-hangzhou-h") },
            });
            assert.deepEqual(o.podVswitchIds, { a: { "cn-hangzhou-h": id("net-podvsw-a-cn-hangzhou-h"), "cn-hangzhou-i": id("net-podvsw-a-cn-hangzhou-i") } });
            assert.equal(o.cenId, undefined);
            assert.deepEqual(o.transitRouterIds, {});
            assert.deepEqual(o.vpcAttachmentIds, {});
            assert.deepEqual(res.outputs.net, {
                a: { node: [id("net-vsw-a-cn-hangzhou-h"), id("net-vsw-a-cn-hangzhou-i")], pod: [id("net-podvsw-a-cn-hangzhou-h"), id("net-podvsw-a-cn-hangzhou-i")] },
                b: { node: [id("net-vsw-b-cn-hangzhou-h")], pod: [] },
            });
        });

        it("leaves the simulated cloud nothing to warn about", () => {
            assert.deepEqual(res.warnings, []);
            assert.deepEqual(res.logs, []);
        });
    });

    describe("(b) two regions, one VPC each", () => {
        let res: SimulationResult;
        const plan = network(twoRegionRaw());
        before(async () => {
            res = await run(plan);
        });
        const tr = (region: string) => res.get(T.transitRouter, `net-tr-${region}`);
        const rt = (region: string) => res.get(T.routeTable, `net-rt-${region}`);
        const attach = (vpc: string) => res.get(T.vpcAttachment, `net-attach-${vpc}`);

        it("creates exactly the VPCs, vSwitches, CEN, TRs, route tables, attachments and one peering", () => {
            assert.deepEqual(
                keys(childrenOf(res)),
                [
                    `${T.vpc} net-vpc-hz`,
                    `${T.vpc} net-vpc-sh`,
                    `${T.vswitch} net-vsw-hz-cn-hangzhou-h`,
                    `${T.vswitch} net-podvsw-hz-cn-hangzhou-h`,
                    `${T.vswitch} net-vsw-hz-cn-hangzhou-i`,
                    `${T.vswitch} net-podvsw-hz-cn-hangzhou-i`,
                    `${T.vswitch} net-vsw-sh-cn-shanghai-l`,
                    `${T.vswitch} net-podvsw-sh-cn-shanghai-l`,
                    `${T.natGateway} net-nat-hz`,
                    `${T.eip} net-eip-hz`,
                    `${T.eipAssociation} net-eip-assoc-hz`,
                    `${T.natGateway} net-nat-sh`,
                    `${T.eip} net-eip-sh`,
                    `${T.eipAssociation} net-eip-assoc-sh`,
                    `${T.snatEntry} net-snat-vsw-hz-cn-hangzhou-h`,
                    `${T.snatEntry} net-snat-podvsw-hz-cn-hangzhou-h`,
                    `${T.snatEntry} net-snat-vsw-hz-cn-hangzhou-i`,
                    `${T.snatEntry} net-snat-podvsw-hz-cn-hangzhou-i`,
                    `${T.snatEntry} net-snat-vsw-sh-cn-shanghai-l`,
                    `${T.snatEntry} net-snat-podvsw-sh-cn-shanghai-l`,
                    `${T.cen} net-cen`,
                    `${T.transitRouter} net-tr-cn-hangzhou`,
                    `${T.transitRouter} net-tr-cn-shanghai`,
                    `${T.routeTable} net-rt-cn-hangzhou`,
                    `${T.routeTable} net-rt-cn-shanghai`,
                    `${T.vpcAttachment} net-attach-hz`,
                    `${T.vpcAttachment} net-attach-sh`,
                    `${T.association} net-assoc-hz`,
                    `${T.association} net-assoc-sh`,
                    `${T.propagation} net-prop-hz`,
                    `${T.propagation} net-prop-sh`,
                    `${T.peerAttachment} net-peer-cn-hangzhou-cn-shanghai`,
                    `${T.association} net-peer-assoc-cn-hangzhou-cn-shanghai-cn-hangzhou`,
                    `${T.association} net-peer-assoc-cn-hangzhou-cn-shanghai-cn-shanghai`,
                    `${T.propagation} net-peer-prop-cn-hangzhou-cn-shanghai-cn-hangzhou`,
                    `${T.propagation} net-peer-prop-cn-hangzhou-cn-shanghai-cn-shanghai`,
                ].sort(),
            );
            // The layout describes the same children.
            assert.deepEqual(keys(childrenOf(res)), keys(planVpcWithCen({ network: plan }).children.map((c) => ({ type: c.type, name: `net-${c.role}` }))));
        });

        it("parents every alicloud resource except the providers on the component", () => {
            const comp = component(res).urn;
            const others = res.resources.filter((r) => r.custom && r.type.startsWith("alicloud:") && r.parent !== comp);
            assert.deepEqual(others.map(key), []);
        });

        it("creates every child with its region's provider (the CEN with the first region's)", () => {
            const layout = planVpcWithCen({ network: plan });
            for (const c of layout.children) {
                const r = res.get(c.type, `net-${c.role}`);
                assert.equal(r.providerUrn, providerUrn(res, c.region), r.name);
            }
            assert.equal(res.get(T.cen, "net-cen").providerUrn, providerUrn(res, "cn-hangzhou"));
            assert.equal(res.get(T.peerAttachment, "net-peer-cn-hangzhou-cn-shanghai").providerUrn, providerUrn(res, "cn-hangzhou"));
            assert.equal(res.get(T.association, "net-peer-assoc-cn-hangzhou-cn-shanghai-cn-shanghai").providerUrn, providerUrn(res, "cn-shanghai"));
            assert.equal(res.get(T.vpcAttachment, "net-attach-sh").providerUrn, providerUrn(res, "cn-shanghai"));
        });

        it("references transit routers by transitRouterId, never by the composite id", () => {
            const cen = res.get(T.cen, "net-cen");
            assert.equal(cen.inputs.cenInstanceName, "net-cen");
            for (const region of ["cn-hangzhou", "cn-shanghai"]) {
                const t = tr(region);
                assert.equal(t.inputs.cenId, cen.id);
                assert.equal(t.inputs.transitRouterName, `net-${region}`);
                assert.match(String(out(t, "transitRouterId")), /^tr-/);
                assert.notEqual(t.id, out(t, "transitRouterId"));
                assert.equal(rt(region).inputs.transitRouterId, out(t, "transitRouterId"));
                assert.equal(rt(region).inputs.transitRouterRouteTableName, `net-${region}`);
            }
            assert.equal(attach("hz").inputs.transitRouterId, out(tr("cn-hangzhou"), "transitRouterId"));
            assert.equal(attach("sh").inputs.transitRouterId, out(tr("cn-shanghai"), "transitRouterId"));
        });

        it("attaches each VPC with one zone mapping per zone (node vSwitches) and route auto-publishing", () => {
            const cen = res.get(T.cen, "net-cen");
            const vsw = (n: string) => res.get(T.vswitch, n).id;
            const hz = attach("hz");
            assert.deepEqual(hz.inputs.zoneMappings, [
                { zoneId: "cn-hangzhou-h", vswitchId: vsw("net-vsw-hz-cn-hangzhou-h") },
                { zoneId: "cn-hangzhou-i", vswitchId: vsw("net-vsw-hz-cn-hangzhou-i") },
            ]);
            assert.deepEqual(attach("sh").inputs.zoneMappings, [{ zoneId: "cn-shanghai-l", vswitchId: vsw("net-vsw-sh-cn-shanghai-l") }]);
            assert.equal(hz.inputs.cenId, cen.id);
            assert.equal(hz.inputs.vpcId, res.get(T.vpc, "net-vpc-hz").id);
            assert.equal(hz.inputs.autoPublishRouteEnabled, true);
            assert.equal(hz.inputs.transitRouterVpcAttachmentName, "net-hz");
            for (const deprecated of ["routeTableAssociationEnabled", "routeTablePropagationEnabled", "transitRouterAttachmentName"]) {
                assert.equal(hz.inputs[deprecated], undefined, deprecated);
            }
        });

        it("makes each VPC attachment depend on every vSwitch (node and pod) of its VPC", () => {
            for (const [vpc, cluster, zones] of [
                ["hz", "hz", ["cn-hangzhou-h", "cn-hangzhou-i"]],
                ["sh", "sh", ["cn-shanghai-l"]],
            ] as const) {
                const deps = attach(vpc).dependencies;
                for (const zone of zones) {
                    for (const role of ["vsw", "podvsw"]) {
                        const sw = res.get(T.vswitch, `net-${role}-${cluster}-${zone}`);
                        assert.ok(deps.includes(sw.urn), `${vpc} attachment depends on ${sw.name}`);
                    }
                }
            }
        });

        it("associates and propagates each VPC attachment with its region's route table", () => {
            for (const [vpc, region] of [
                ["hz", "cn-hangzhou"],
                ["sh", "cn-shanghai"],
            ]) {
                const expected = {
                    transitRouterAttachmentId: out(attach(vpc), "transitRouterAttachmentId"),
                    transitRouterRouteTableId: out(rt(region), "transitRouterRouteTableId"),
                };
                assert.match(String(expected.transitRouterAttachmentId), /^tr-attach-/);
                assert.match(String(expected.transitRouterRouteTableId), /^vtb-/);
                assert.deepEqual(res.get(T.association, `net-assoc-${vpc}`).inputs, expected);
                assert.deepEqual(res.get(T.propagation, `net-prop-${vpc}`).inputs, expected);
                assert.equal(res.get(T.association, `net-assoc-${vpc}`).deleteBeforeReplace, true);
            }
        });

        it("peers the two transit routers (DataTransfer, 10 Mbps) and binds the peering on both sides", () => {
            const peer = res.get(T.peerAttachment, "net-peer-cn-hangzhou-cn-shanghai");
            assert.deepEqual(peer.inputs, {
                cenId: res.get(T.cen, "net-cen").id,
                transitRouterId: out(tr("cn-hangzhou"), "transitRouterId"),
                peerTransitRouterId: out(tr("cn-shanghai"), "transitRouterId"),
                peerTransitRouterRegionId: "cn-shanghai",
                bandwidthType: "DataTransfer",
                bandwidth: 10,
                autoPublishRouteEnabled: true,
                transitRouterPeerAttachmentName: "net-cn-hangzhou-cn-shanghai",
                tags: { "managed-by": "ack-mesh" },
            });
            for (const region of ["cn-hangzhou", "cn-shanghai"]) {
                const expected = {
                    transitRouterAttachmentId: out(peer, "transitRouterAttachmentId"),
                    transitRouterRouteTableId: out(rt(region), "transitRouterRouteTableId"),
                };
                assert.deepEqual(res.get(T.association, `net-peer-assoc-cn-hangzhou-cn-shanghai-${region}`).inputs, expected);
                assert.deepEqual(res.get(T.propagation, `net-peer-prop-cn-hangzhou-cn-shanghai-${region}`).inputs, expected);
            }
        });

        it("registers CEN outputs: cen id, transit router ids (not composite) and attachment ids", () => {
            const o = component(res).outputs as Record<string, any>;
            assert.equal(o.cenId, res.get(T.cen, "net-cen").id);
            assert.deepEqual(o.transitRouterIds, { "cn-hangzhou": out(tr("cn-hangzhou"), "transitRouterId"), "cn-shanghai": out(tr("cn-shanghai"), "transitRouterId") });
            assert.deepEqual(o.routeTableIds, { "cn-hangzhou": out(rt("cn-hangzhou"), "transitRouterRouteTableId"), "cn-shanghai": out(rt("cn-shanghai"), "transitRouterRouteTableId") });
            assert.deepEqual(o.vpcAttachmentIds, { hz: out(attach("hz"), "transitRouterAttachmentId"), sh: out(attach("sh"), "transitRouterAttachmentId") });
        });

        it("protects nothing by default", () => {
            assert.deepEqual(childrenOf(res).filter((r) => r.protect).map(key), []);
        });

        it("leaves the simulated cloud nothing to warn about", () => {
            assert.deepEqual(res.warnings, []);
            assert.deepEqual(res.logs, []);
        });
    });

    describe("(c) three regions", () => {
        let res: SimulationResult;
        const plan = network(threeRegionRaw());
        before(async () => {
            res = await run(plan);
        });

        it("creates a full mesh of three peerings, each bound on both sides", () => {
            const children = childrenOf(res);
            const count = (type: string) => children.filter((r) => r.type === type).length;
            assert.equal(count(T.cen), 1);
            assert.equal(count(T.transitRouter), 3);
            assert.equal(count(T.routeTable), 3);
            assert.equal(count(T.vpcAttachment), 3);
            assert.equal(count(T.association), 3 + 6);
            assert.equal(count(T.propagation), 3 + 6);
            assert.deepEqual(keys(children.filter((r) => r.type === T.peerAttachment)), [
                `${T.peerAttachment} net-peer-cn-beijing-cn-hangzhou`,
                `${T.peerAttachment} net-peer-cn-beijing-cn-shanghai`,
                `${T.peerAttachment} net-peer-cn-hangzhou-cn-shanghai`,
            ]);
            assert.deepEqual(keys(children), keys(planVpcWithCen({ network: plan }).children.map((c) => ({ type: c.type, name: `net-${c.role}` }))));
        });

        it("creates each peering from the first region of the pair towards the second", () => {
            for (const [a, b] of [
                ["cn-beijing", "cn-hangzhou"],
                ["cn-beijing", "cn-shanghai"],
                ["cn-hangzhou", "cn-shanghai"],
            ]) {
                const peer = res.get(T.peerAttachment, `net-peer-${a}-${b}`);
                assert.equal(peer.providerUrn, providerUrn(res, a));
                assert.equal(peer.inputs.transitRouterId, out(res.get(T.transitRouter, `net-tr-${a}`), "transitRouterId"));
                assert.equal(peer.inputs.peerTransitRouterId, out(res.get(T.transitRouter, `net-tr-${b}`), "transitRouterId"));
                assert.equal(peer.inputs.peerTransitRouterRegionId, b);
                for (const region of [a, b]) {
                    for (const [type, role] of [
                        [T.association, "peer-assoc"],
                        [T.propagation, "peer-prop"],
                    ]) {
                        const binding = res.get(type, `net-${role}-${a}-${b}-${region}`);
                        assert.equal(binding.providerUrn, providerUrn(res, region));
                        assert.equal(binding.inputs.transitRouterAttachmentId, out(peer, "transitRouterAttachmentId"));
                        assert.equal(binding.inputs.transitRouterRouteTableId, out(res.get(T.routeTable, `net-rt-${region}`), "transitRouterRouteTableId"));
                    }
                }
            }
            assert.equal(res.get(T.cen, "net-cen").providerUrn, providerUrn(res, "cn-beijing"));
        });

        it("leaves the simulated cloud nothing to warn about", () => {
            assert.deepEqual(res.warnings, []);
        });
    });

    it("uses the bandwidth package and bandwidth when asked", async () => {
        const res = await run(network(twoRegionRaw()), { cen: { bandwidthType: "BandwidthPackage", bandwidthPackageId: "cenbwp-0123456789abcdefgh", bandwidthMbps: 20 } });
        const peer = res.get(T.peerAttachment, "net-peer-cn-hangzhou-cn-shanghai");
        assert.equal(peer.inputs.bandwidthType, "BandwidthPackage");
        assert.equal(peer.inputs.cenBandwidthPackageId, "cenbwp-0123456789abcdefgh");
        assert.equal(peer.inputs.bandwidth, 20);
    });

    it("protects the VPCs, the CEN instance and the transit routers when asked, and merges tags over meshTags()", async () => {
        const res = await run(network(twoRegionRaw()), { protect: true, tags: { team: "mesh", "managed-by": "me" } });
        const protectedTypes = new Set<string>([T.vpc, T.cen, T.transitRouter]);
        for (const r of childrenOf(res)) assert.equal(r.protect, protectedTypes.has(r.type), r.name);
        assert.deepEqual(res.get(T.vpc, "net-vpc-hz").inputs.tags, { "managed-by": "me", team: "mesh" });
        assert.deepEqual(res.get(T.vpcAttachment, "net-attach-hz").inputs.tags, { "managed-by": "me", team: "mesh" });
    });

    it("rejects a missing provider before creating any child, with one ConfigError", async () => {
        const plan = network(twoRegionRaw());
        let caught: unknown;
        const res = await simulate(() => {
            const p = providers(["cn-hangzhou"]);
            try {
                new VpcWithCen("net", { network: plan, providers: p });
            } catch (e) {
                caught = e;
            }
        });
        assert.ok(ConfigError.is(caught));
        assert.equal(
            (caught as Error).message,
            'Invalid VpcWithCen "net" arguments (1 problem):\n' +
                '  - providers.cn-shanghai: no alicloud.Provider for region cn-shanghai (VPC sh). Fix: pass providers["cn-shanghai"] = new alicloud.Provider("<name>", { region: "cn-shanghai" })',
        );
        assert.deepEqual(childrenOf(res).map(key), []);
        assert.deepEqual(res.resources.filter((r) => r.type.startsWith("alicloud:")).map(key), []);
    });

    it("gives two instances disjoint (type, name) pairs", async () => {
        const res = await run(network(twoRegionRaw()), {}, ["net-a", "net-b"]);
        const a = childrenOf(res, "net-a").map(key);
        const b = new Set(childrenOf(res, "net-b").map(key));
        // 24 VPC/vSwitch/CEN children + per VPC a NAT gateway, an EIP and an association + 6 SNAT entries.
        assert.equal(a.length, 36);
        assert.equal(b.size, 36);
        assert.deepEqual(a.filter((k) => b.has(k)), []);
    });

    describe("growth leaves existing children untouched", () => {
        /** Inputs of every child of `small`, by (type, name), compared with the same child in `big`. */
        function changed(small: SimulationResult, big: SimulationResult): string[] {
            const bigByKey = new Map(childrenOf(big).map((r) => [key(r), r]));
            const diffs: string[] = [];
            for (const r of childrenOf(small)) {
                const other = bigByKey.get(key(r));
                if (!other) diffs.push(`${key(r)}: missing`);
                else {
                    if (JSON.stringify(other.inputs) !== JSON.stringify(r.inputs)) diffs.push(`${key(r)}: inputs`);
                    if (other.providerUrn !== r.providerUrn) diffs.push(`${key(r)}: provider`);
                    if (other.protect !== r.protect || other.deleteBeforeReplace !== r.deleteBeforeReplace) diffs.push(`${key(r)}: options`);
                }
            }
            return diffs;
        }

        it("adding a region (and its VPC) only adds children when cen.region is pinned", async () => {
            const cen = { region: "cn-hangzhou" };
            const [small, big] = [await run(network(twoRegionRaw()), { cen }), await run(network(threeRegionRaw()), { cen })];
            assert.deepEqual(changed(small, big), []);
            // bj: VPC, vsw + podvsw, NAT + EIP + association, 2 SNAT entries, TR, RT, attachment + assoc + prop,
            // two peerings with 4 bindings each.
            assert.equal(childrenOf(big).length - childrenOf(small).length, 1 + 2 + 3 + 2 + 2 + 3 + 2 * 5);
            assert.equal(big.get(T.cen, "net-cen").providerUrn, providerUrn(big, "cn-hangzhou"));
        });

        it("without a pinned cen.region, a region that sorts first moves only the CEN instance to its provider", async () => {
            const [small, big] = [await run(network(twoRegionRaw())), await run(network(threeRegionRaw()))];
            assert.deepEqual(changed(small, big), [`${T.cen} net-cen: provider`]);
        });

        it("going from one VPC to two only adds children (the CEN appears)", async () => {
            const one = { mesh: { id: "mesh1", topology: "primary-remote" }, clusters: { hz: (twoRegionRaw() as any).clusters.hz } };
            const [small, big] = [await run(network(one)), await run(network(twoRegionRaw()))];
            assert.equal(childrenOf(small).filter((r) => r.type.startsWith("alicloud:cen/")).length, 0);
            assert.deepEqual(changed(small, big), []);
        });

        it("adding a zone only adds vSwitches with their SNAT entries and extends that VPC's zone mappings (in-place update)", async () => {
            const [small, big] = [await run(network(twoRegionRaw())), await run(network(twoRegionMoreZonesRaw()))];
            assert.deepEqual(changed(small, big), [`${T.vpcAttachment} net-attach-sh: inputs`]);
            const before = res(small).zoneMappings;
            const after = res(big).zoneMappings;
            assert.deepEqual(after.slice(0, before.length), before);
            assert.deepEqual(after.slice(before.length), [{ zoneId: "cn-shanghai-m", vswitchId: big.get(T.vswitch, "net-vsw-sh-cn-shanghai-m").id }]);
            const { zoneMappings: _a, ...restBefore } = res(small);
            const { zoneMappings: _b, ...restAfter } = res(big);
            assert.deepEqual(restAfter, restBefore);
            assert.deepEqual(
                keys(childrenOf(big)).filter((k) => !keys(childrenOf(small)).includes(k)),
                [
                    `${T.snatEntry} net-snat-podvsw-sh-cn-shanghai-m`,
                    `${T.snatEntry} net-snat-vsw-sh-cn-shanghai-m`,
                    `${T.vswitch} net-podvsw-sh-cn-shanghai-m`,
                    `${T.vswitch} net-vsw-sh-cn-shanghai-m`,
                ],
            );
            function res(r: SimulationResult) {
                return r.get(T.vpcAttachment, "net-attach-sh").inputs as { zoneMappings: unknown[] } & Record<string, unknown>;
            }
        });
    });
});

describe("VpcWithCen: one internet egress per VPC (issue 12, item 5)", () => {
    let res: SimulationResult;
    const plan = network(sharedVpcRaw());
    let ready: Record<string, string[]> = {};
    before(async () => {
        res = await simulate(() => {
            const net = new VpcWithCen("net", { network: plan, providers: providers(plan.regions) });
            let unknown = "";
            try {
                net.egressReady("nope");
            } catch (e) {
                unknown = (e as Error).message;
            }
            return { ready: Object.fromEntries(["a", "b"].map((c) => [c, net.egressReady(c).map((r) => r.urn)])), unknown };
        });
        ready = (res.outputs as { ready: Record<string, string[]> }).ready;
    });
    const nat = () => res.get(T.natGateway, "net-nat-shared");
    const eip = () => res.get(T.eip, "net-eip-shared");
    const assoc = () => res.get(T.eipAssociation, "net-eip-assoc-shared");
    const vsw = (role: string) => res.get(T.vswitch, `net-${role}`);
    const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

    it("creates one enhanced internet NAT gateway, in the first cluster's first node vSwitch, with exactly these inputs", () => {
        assert.equal(res.byType(T.natGateway).length, 1);
        assert.deepEqual(nat().inputs, {
            vpcId: res.get(T.vpc, "net-vpc-shared").id,
            vswitchId: vsw("vsw-a-cn-hangzhou-h").id,
            natType: "Enhanced",
            networkType: "internet",
            paymentType: "PayAsYouGo",
            internetChargeType: "PayByLcu",
            natGatewayName: "net-shared",
            description: "ack-mesh net internet egress of VPC shared",
            tags: { "managed-by": "ack-mesh" },
        });
        assert.equal(nat().providerUrn, providerUrn(res, "cn-hangzhou"));
        assert.equal(nat().parent, component(res).urn);
        assert.deepEqual(nat().ignoreChanges, ["vswitchId"], "a NAT gateway cannot move: its vSwitch is kept from creation");
    });

    it("binds one pay-by-traffic EIP to it (instanceType Nat)", () => {
        assert.deepEqual(eip().inputs, {
            addressName: "net-shared",
            bandwidth: "100",
            internetChargeType: "PayByTraffic",
            paymentType: "PayAsYouGo",
            description: "ack-mesh net egress address of VPC shared",
            tags: { "managed-by": "ack-mesh" },
        });
        assert.deepEqual(assoc().inputs, { allocationId: eip().id, instanceId: nat().id, instanceType: "Nat" });
    });

    it("adds one SNAT entry per node and Terway pod vSwitch, with the EIP, after the association", () => {
        const roles = ["vsw-a-cn-hangzhou-h", "podvsw-a-cn-hangzhou-h", "vsw-a-cn-hangzhou-i", "podvsw-a-cn-hangzhou-i", "vsw-b-cn-hangzhou-h"];
        assert.deepEqual(res.byType(T.snatEntry).map((r) => r.name).sort(), roles.map((r) => `net-snat-${r}`).sort());
        for (const role of roles) {
            const e = res.get(T.snatEntry, `net-snat-${role}`);
            const pod = role.startsWith("pod");
            const [, cluster, ...zone] = role.split("-");
            assert.deepEqual(e.inputs, {
                snatTableId: nat().outputs.snatTableIds,
                sourceVswitchId: vsw(role).id,
                snatIp: eip().outputs.ipAddress,
                snatEntryName: `net-${cluster}-${pod ? "pod-" : ""}${zone.join("-")}`,
            });
            assert.ok(e.dependencies.includes(assoc().urn), `${e.name} waits for the EIP association`);
            assert.equal(e.providerUrn, providerUrn(res, "cn-hangzhou"));
        }
        assert.match(String(nat().outputs.snatTableIds), /^stb-/);
    });

    it("exposes the NAT gateway id and the egress address per VPC", () => {
        const o = component(res).outputs as Record<string, any>;
        assert.deepEqual(o.natGatewayIds, { shared: nat().id });
        assert.deepEqual(o.egressIps, { shared: eip().outputs.ipAddress });
    });

    it("egressReady(cluster): the NAT gateway, the association and the SNAT entries of that cluster's vSwitches only", () => {
        assert.deepEqual(ready.a.map(nameOf), [
            "net-nat-shared",
            "net-eip-assoc-shared",
            "net-snat-vsw-a-cn-hangzhou-h",
            "net-snat-podvsw-a-cn-hangzhou-h",
            "net-snat-vsw-a-cn-hangzhou-i",
            "net-snat-podvsw-a-cn-hangzhou-i",
        ]);
        assert.deepEqual(ready.b.map(nameOf), ["net-nat-shared", "net-eip-assoc-shared", "net-snat-vsw-b-cn-hangzhou-h"]);
        assert.equal((res.outputs as { unknown: string }).unknown, 'VpcWithCen: no cluster "nope" in the network plan');
    });

    it("leaves the simulated cloud nothing to warn about", () => {
        assert.deepEqual(res.warnings, []);
    });

    it("gives every VPC its own egress (two regions)", async () => {
        const two = await run(network(twoRegionRaw()));
        assert.deepEqual(two.byType(T.natGateway).map((r) => [r.name, r.inputs.vswitchId]), [
            ["net-nat-hz", two.get(T.vswitch, "net-vsw-hz-cn-hangzhou-h").id],
            ["net-nat-sh", two.get(T.vswitch, "net-vsw-sh-cn-shanghai-l").id],
        ]);
        assert.equal(two.get(T.natGateway, "net-nat-sh").providerUrn, providerUrn(two, "cn-shanghai"));
    });

    it("takes the EIP bandwidth cap from egress.bandwidthMbps, and refuses one outside 1..200", async () => {
        const capped = await run(plan, { egress: { bandwidthMbps: 20 } });
        assert.equal(capped.get(T.eip, "net-eip-shared").inputs.bandwidth, "20");
        for (const bad of [0, 201, 2.5]) {
            assert.deepEqual(validateVpcWithCenArgs({ network: plan, providers: fakeProviders("cn-hangzhou"), egress: { bandwidthMbps: bad } }), [
                {
                    path: "egress.bandwidthMbps",
                    value: bad,
                    message: "must be an integer from 1 to 200 (Mbit/s, the cap of a pay-by-traffic EIP)",
                    fix: "use e.g. 100",
                },
            ]);
        }
    });
});

describe("VpcWithCen: readyBetween (what a step between two VPCs waits for)", () => {
    /** hz and hz2 share a region; sh and bj are in their own regions. */
    const fourRaw = () => {
        const raw = threeRegionRaw() as { clusters: Record<string, unknown> };
        return { ...raw, clusters: { ...raw.clusters, hz2: { region: "cn-hangzhou", zones: ["cn-hangzhou-h"], role: "remote", cni: "terway", slot: 4 } } };
    };
    const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

    it("returns the two VPCs' attachments and bindings, plus the peering (and its bindings) across regions", async () => {
        const plan = network(fourRaw());
        assert.deepEqual(Object.keys(plan.vpcs).sort(), ["bj", "hz", "hz2", "sh"]);
        const res = await simulate(() => {
            const net = new VpcWithCen("net", { network: plan, providers: providers(plan.regions) });
            const urns = (a: string, b: string) => net.readyBetween(a, b).map((r) => r.urn);
            return {
                same: urns("hz", "hz"),
                sameRegion: urns("hz", "hz2"),
                crossRegion: urns("sh", "bj"),
                reversed: urns("bj", "sh"),
                all: net.ready.map((r) => r.urn),
                union: ["bj", "hz", "hz2", "sh"].flatMap((a) => ["bj", "hz", "hz2", "sh"].flatMap((b) => net.readyBetween(a, b).map((r) => r.urn))),
            };
        });
        const o = res.outputs as Record<string, string[]>;
        const names = (k: string) => o[k].map(nameOf);
        const routed = (vpc: string) => [`net-attach-${vpc}`, `net-assoc-${vpc}`, `net-prop-${vpc}`];
        assert.deepEqual(names("same"), []);
        assert.deepEqual(names("sameRegion"), [...routed("hz"), ...routed("hz2")]);
        const peer = "cn-beijing-cn-shanghai";
        const link = [
            `net-peer-${peer}`,
            `net-peer-assoc-${peer}-cn-beijing`,
            `net-peer-prop-${peer}-cn-beijing`,
            `net-peer-assoc-${peer}-cn-shanghai`,
            `net-peer-prop-${peer}-cn-shanghai`,
        ];
        assert.deepEqual(names("crossRegion"), [...routed("sh"), ...routed("bj"), ...link]);
        assert.deepEqual(names("reversed"), [...routed("bj"), ...routed("sh"), ...link]);
        // Every CEN resource traffic needs is waited for by some pair, and nothing else is.
        assert.deepEqual([...new Set(o.union)].sort(), [...o.all].sort());
    });

    it("is empty without CEN, and names the VPCs of the plan for an unknown key", async () => {
        const plan = network(sharedVpcRaw());
        const res = await simulate(() => {
            const net = new VpcWithCen("net", { network: plan, providers: providers(plan.regions) });
            let error = "";
            try {
                net.readyBetween("shared", "nope");
            } catch (e) {
                error = (e as Error).message;
            }
            return { shared: net.readyBetween("shared", "shared").length, error };
        });
        assert.deepEqual(res.outputs, { shared: 0, error: 'VpcWithCen: no VPC "nope" in the network plan; use one of: shared' });
    });
});
