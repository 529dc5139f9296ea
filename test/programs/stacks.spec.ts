/**
 * Every stack in stacks/ evaluated end to end by the real program on the
 * simulated cloud, with assertions on the whole topology.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IPv4CidrRange } from "ip-num";
import { ConfigError } from "../../config/errors";
import { generateTopology } from "../../bench/topology";
import { planSecurityGroupRules } from "../../components/securityGroupPeering";
import { runAckMesh } from "../../programs/ack-mesh/program";
import { planTopology } from "../../programs/compose";
import { readStackConfig, RecordedResource, ROOT, Secret, simulate, SimulationError, SimulationResult, stackNames, topology, stackRaw } from "../support";

const T = {
    cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
    nodePool: "alicloud:cs/nodePool:NodePool",
    vpc: "alicloud:vpc/network:Network",
    vswitch: "alicloud:vpc/switch:Switch",
    cen: "alicloud:cen/instance:Instance",
    tr: "alicloud:cen/transitRouter:TransitRouter",
    k8sProvider: "pulumi:providers:kubernetes",
    aliProvider: "pulumi:providers:alicloud",
    secret: "kubernetes:core/v1:Secret",
    release: "kubernetes:helm.sh/v3:Release",
    deployment: "kubernetes:apps/v1:Deployment",
    virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
    destinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
    stack: "pulumi:pulumi:Stack",
} as const;

const results = new Map<string, SimulationResult>();

/** Simulates a stack once and caches the result for the stack's tests. */
async function run(stack: string): Promise<SimulationResult> {
    let r = results.get(stack);
    if (!r) {
        const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`));
        r = await simulate(runAckMesh, { project: "ack-mesh", stack, config, secretConfigKeys });
        results.set(stack, r);
    }
    return r;
}

function metaName(r: RecordedResource): string {
    return ((r.inputs.metadata as Record<string, unknown> | undefined)?.name as string) ?? "";
}

/** The cluster whose Kubernetes provider a resource uses. */
function clusterOf(result: SimulationResult, r: RecordedResource): string {
    const provider = result.resources.find((p) => p.urn === r.providerUrn);
    assert.ok(provider, `${r.name} has no recorded provider`);
    assert.equal(provider.type, T.k8sProvider, `${r.name} must use a cluster's Kubernetes provider`);
    return provider.name.replace(/-k8s$/, "");
}

describe("stacks: every stack evaluates end to end on the simulated cloud", function () {
    this.timeout(120_000);

    it("finds the four documented stacks", () => {
        assert.deepEqual(stackNames(), ["dev", "fleet", "prod", "staging"]);
    });

    for (const stack of ["dev", "staging", "prod", "fleet"]) {
        describe(stack, () => {
            it("creates one ACK cluster per configured cluster, each with its own Kubernetes provider", async () => {
                const r = await run(stack);
                const expected = Object.keys(stackRaw(stack).clusters as object).sort();
                assert.deepEqual(r.byType(T.cluster).map((c) => c.name.replace(/-cluster$/, "")).sort(), expected);
                assert.deepEqual(r.byType(T.k8sProvider).map((p) => p.name).sort(), expected.map((c) => `${c}-k8s`));
                for (const p of r.byType(T.k8sProvider)) {
                    assert.ok(p.inputs.kubeconfig instanceof Secret, `${p.name}: kubeconfig must be a secret input`);
                }
            });

            it("gives every cluster exactly the planned CIDRs, pairwise disjoint", async () => {
                const r = await run(stack);
                const { network } = topology(stackRaw(stack));
                const ranges: [string, string][] = [];
                for (const c of r.byType(T.cluster)) {
                    const plan = network.clusters[c.name.replace(/-cluster$/, "")];
                    assert.equal(c.inputs.serviceCidr, plan.serviceCidr);
                    assert.equal(c.inputs.podCidr, plan.podCidr);
                    ranges.push([`${c.name} service`, plan.serviceCidr]);
                    if (plan.podCidr) ranges.push([`${c.name} pod`, plan.podCidr]);
                }
                for (const v of r.byType(T.vpc)) ranges.push([v.name, v.inputs.cidrBlock as string]);
                for (const v of r.byType(T.vswitch)) {
                    const vpc = r.byType(T.vpc).find((x) => x.outputs.id === v.inputs.vpcId || x.id === v.inputs.vpcId);
                    assert.ok(vpc, `${v.name}: its VPC is recorded`);
                    assert.ok(IPv4CidrRange.fromCidr(vpc.inputs.cidrBlock as string).contains(IPv4CidrRange.fromCidr(v.inputs.cidrBlock as string)), `${v.name} inside its VPC`);
                }
                const vswitches = r.byType(T.vswitch).map((v) => [v.name, v.inputs.cidrBlock as string] as [string, string]);
                const disjoint = (list: [string, string][]) => {
                    for (let i = 0; i < list.length; i++) {
                        for (let j = i + 1; j < list.length; j++) {
                            const a = IPv4CidrRange.fromCidr(list[i][1]);
                            const b = IPv4CidrRange.fromCidr(list[j][1]);
                            assert.ok(!(a.isOverlapping(b) || a.contains(b) || b.contains(a)), `${list[i][0]} ${list[i][1]} overlaps ${list[j][0]} ${list[j][1]}`);
                        }
                    }
                };
                disjoint(ranges);
                disjoint(vswitches);
            });

            it("puts every in-cluster resource on its cluster's provider", async () => {
                const r = await run(stack);
                const clusters = new Set(r.byType(T.cluster).map((c) => c.name.replace(/-cluster$/, "")));
                for (const res of r.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) {
                    assert.ok(clusters.has(clusterOf(r, res)), `${res.name} is on a mesh cluster's provider`);
                }
            });

            it("each remote secret waits for the route and the rules between its two clusters, and for nothing of other pairs", async () => {
                const r = await run(stack);
                const { network } = topology(stackRaw(stack));
                const byUrn = new Map(r.resources.map((x) => [x.urn, x]));
                const secrets = r.byType(T.secret).filter((x) => metaName(x).startsWith("istio-remote-secret-"));
                assert.ok(secrets.length > 0);
                const cenAll = r.resources.filter((x) => x.type.startsWith("alicloud:cen/") && /^net-(attach|assoc|prop|peer)/.test(x.name));
                const rulesAll = r.byType("alicloud:ecs/securityGroupRule:SecurityGroupRule");
                for (const s of secrets) {
                    const [w, t] = [clusterOf(r, s), metaName(s).slice("istio-remote-secret-".length)];
                    const deps = s.dependencies.map((u) => byUrn.get(u)!);
                    const [vw, vt] = [network.clusters[w], network.clusters[t]];
                    const routed = (vpc: string) => [`net-attach-${vpc}`, `net-assoc-${vpc}`, `net-prop-${vpc}`];
                    const cenExpected = cenAll
                        .map((x) => x.name)
                        .filter((n) => vw.vpc !== vt.vpc && ([...routed(vw.vpc), ...routed(vt.vpc)].includes(n) || (vw.region !== vt.region && n.startsWith("net-peer-") && n.includes(vw.region) && n.includes(vt.region))));
                    const own = (c: string, n: string) => n.startsWith(`sg-${c}-self-`) || n.startsWith(`sg-${c}-slb-`);
                    const rulesExpected = rulesAll.map((x) => x.name).filter((n) => n.startsWith(`sg-${w}-from-${t}-`) || n.startsWith(`sg-${t}-from-${w}-`) || own(w, n) || own(t, n));
                    assert.deepEqual(deps.filter((d) => d.type.startsWith("alicloud:cen/")).map((d) => d.name).sort(), cenExpected.sort(), `${w} reads ${t}: CEN`);
                    assert.deepEqual(deps.filter((d) => d.type === "alicloud:ecs/securityGroupRule:SecurityGroupRule").map((d) => d.name).sort(), rulesExpected.sort(), `${w} reads ${t}: rules`);
                    assert.ok(rulesExpected.some((n) => n.includes("-apiserver-")), `${w} reads ${t}: the API server rule is among them`);
                }
            });

            it("every security group rule and CEN route resource is waited for before cross-cluster traffic flows", async () => {
                const r = await run(stack);
                const waitedFor = new Set(r.resources.flatMap((x) => [...x.dependencies, ...Object.values(x.propertyDependencies).flat()]));
                const network = r.resources.filter((x) => x.type === "alicloud:ecs/securityGroupRule:SecurityGroupRule" || /^net-(attach|assoc|prop|peer)/.test(x.name));
                assert.ok(network.length > 0);
                assert.deepEqual(network.filter((x) => !waitedFor.has(x.urn)).map((x) => x.name), []);
            });

            it("Bookinfo's namespace in each cluster it is placed on waits for the rules from the other such clusters", async () => {
                const r = await run(stack);
                const raw = stackRaw(stack) as { bookinfo?: { enabled?: boolean; placement?: Record<string, string[]> } };
                if (!raw.bookinfo?.enabled) return;
                const placed = [...new Set(Object.values(raw.bookinfo.placement ?? {}).flat())].sort();
                const byUrn = new Map(r.resources.map((x) => [x.urn, x]));
                const namespaces = r.byType("kubernetes:core/v1:Namespace").filter((x) => metaName(x) === "bookinfo");
                assert.ok(placed.length >= 2 && namespaces.length >= placed.length, `${stack}: Bookinfo spans clusters`);
                for (const ns of namespaces) {
                    const c = clusterOf(r, ns);
                    const rules = ns.dependencies.map((u) => byUrn.get(u)!).filter((d) => d.type === "alicloud:ecs/securityGroupRule:SecurityGroupRule").map((d) => d.name);
                    const others = placed.filter((o) => o !== c);
                    if (!placed.includes(c)) {
                        // A control plane with no workload holds only Bookinfo's Istio config (fleet stack).
                        assert.deepEqual(rules, [], `${c} hosts no Bookinfo workload`);
                        continue;
                    }
                    for (const o of others) assert.ok(rules.some((n) => n.startsWith(`sg-${c}-from-${o}-`) || n.startsWith(`sg-${o}-from-${c}-`)), `${c}'s Bookinfo waits for the rules with ${o}`);
                }
            });

            it("records no simulator warnings and no unknown invoke", async () => {
                const r = await run(stack);
                assert.deepEqual(r.warnings, []);
            });
        });
    }

    it("dev: the classic single control plane scenario, with the pinned CIDRs", async () => {
        const r = await run("dev");
        const cp = r.get(T.cluster, "istio-control-plane-cluster");
        const remote = r.get(T.cluster, "istio-remote1-cluster");
        assert.deepEqual(
            [cp.inputs.name, cp.inputs.podCidr, cp.inputs.serviceCidr, remote.inputs.name, remote.inputs.podCidr, remote.inputs.serviceCidr],
            ["Istio-control-plane", "172.16.0.0/16", "172.19.0.0/20", "Istio-remote1", "172.20.0.0/16", "172.21.0.0/20"],
        );
        assert.equal(r.byType(T.vpc).length, 1, "two clusters side by side share one VPC");
        assert.equal(r.byType(T.cen).length, 0, "one VPC needs no CEN");
        // primary-remote: exactly one remote secret, in the control plane, for the remote.
        const remoteSecrets = r.byType(T.secret).filter((s) => metaName(s).startsWith("istio-remote-secret-"));
        assert.deepEqual(
            remoteSecrets.map((s) => [metaName(s), clusterOf(r, s)]),
            [["istio-remote-secret-istio-remote1", "istio-control-plane"]],
        );
        for (const s of remoteSecrets) assert.ok(s.inputs.stringData instanceof Secret);
    });

    it("staging: two regions, one VPC each, joined by CEN transit routers with a peer attachment; Terway", async () => {
        const r = await run("staging");
        assert.equal(r.byType(T.vpc).length, 2);
        assert.equal(r.byType(T.cen).length, 1);
        assert.deepEqual(r.byType(T.tr).map((t) => t.name).sort(), ["net-tr-cn-hangzhou", "net-tr-cn-shanghai"]);
        assert.equal(r.byType("alicloud:cen/transitRouterPeerAttachment:TransitRouterPeerAttachment").length, 1);
        for (const c of r.byType(T.cluster)) {
            assert.deepEqual(c.inputs.addons, [{ name: "terway-eniip" }]);
            assert.ok(Array.isArray(c.inputs.podVswitchIds) && (c.inputs.podVswitchIds as unknown[]).length === 2);
        }
        const workers = (cluster: string) =>
            r.byType(T.nodePool).filter((p) => p.name.startsWith(`${cluster}-np-`)).reduce((n, p) => n + Number(p.inputs.desiredSize), 0);
        assert.ok(workers("hangzhou") >= 3 && workers("shanghai") >= 3);
        // Security group rules both ways.
        const rules = r.byType("alicloud:ecs/securityGroupRule:SecurityGroupRule").map((x) => x.name);
        assert.ok(rules.some((n) => n.includes("hangzhou-from-shanghai")));
        assert.ok(rules.some((n) => n.includes("shanghai-from-hangzhou")));
    });

    it("fleet: each remote is installed from its own primary, and every primary reads every other cluster", async () => {
        const r = await run("fleet");
        const remoteSecrets = r.byType(T.secret).filter((s) => metaName(s).startsWith("istio-remote-secret-"));
        assert.deepEqual(
            remoteSecrets.map((s) => `${clusterOf(r, s)} reads ${metaName(s).slice("istio-remote-secret-".length)}`).sort(),
            [
                "bj-primary reads bj-apps-1",
                "bj-primary reads bj-apps-2",
                "bj-primary reads sh-apps-1",
                "bj-primary reads sh-apps-2",
                "bj-primary reads sh-primary",
                "sh-primary reads bj-apps-1",
                "sh-primary reads bj-apps-2",
                "sh-primary reads bj-primary",
                "sh-primary reads sh-apps-1",
                "sh-primary reads sh-apps-2",
            ],
        );
        for (const s of remoteSecrets) assert.ok(s.inputs.stringData instanceof Secret);
        // A remote's istiod (profile remote: an injector and an istiod Service that point at a primary) takes its
        // remotePilotAddress from its own primary's east-west gateway, not the other primary's.
        const istiod = r.byType(T.release).filter((x) => x.inputs.name === "istiod");
        const istiodIn = (c: string) => istiod.find((x) => clusterOf(r, x) === c)!;
        // The Service is read (Service.get), not registered: its URN appears only in dependencies.
        const serviceName = (urn: string) => urn.split("::").pop();
        for (const [remote, primary, other] of [
            ["bj-apps-1", "bj-primary", "sh-primary"],
            ["bj-apps-2", "bj-primary", "sh-primary"],
            ["sh-apps-1", "sh-primary", "bj-primary"],
            ["sh-apps-2", "sh-primary", "bj-primary"],
        ]) {
            const values = istiodIn(remote).inputs.values as { profile?: string; istiodRemote?: { injectionPath?: string } };
            assert.equal(values.profile, "remote", `${remote} runs no istiod of its own`);
            assert.match(values.istiodRemote?.injectionPath ?? "", new RegExp(`^/inject/cluster/${remote}/net/net-`));
            assert.deepEqual(istiodIn(remote).propertyDependencies["values"].map(serviceName), [`mesh-${primary}-eastwest-svc`], `${remote} is served by ${primary}, not ${other}`);
        }
        // Two control planes: one shared root, one intermediate (cacerts) per primary.
        assert.deepEqual(
            r.byType(T.secret).filter((s) => metaName(s) === "cacerts").map((s) => clusterOf(r, s)).sort(),
            ["bj-primary", "sh-primary"],
        );
        assert.equal(r.byType("tls:index/selfSignedCert:SelfSignedCert").length, 1);
    });

    it("prod: multi-primary, multi-network, shared root CA, protected infrastructure", async () => {
        const r = await run("prod");
        // N·(N−1) remote secrets between the two control planes.
        const remoteSecrets = r.byType(T.secret).filter((s) => metaName(s).startsWith("istio-remote-secret-"));
        assert.deepEqual(
            remoteSecrets.map((s) => `${clusterOf(r, s)} reads ${metaName(s).slice("istio-remote-secret-".length)}`).sort(),
            ["beijing reads shanghai", "shanghai reads beijing"],
        );
        // A cacerts secret in each cluster, from one shared root.
        assert.deepEqual(
            r.byType(T.secret).filter((s) => metaName(s) === "cacerts").map((s) => clusterOf(r, s)).sort(),
            ["beijing", "shanghai"],
        );
        assert.equal(r.byType("tls:index/selfSignedCert:SelfSignedCert").length, 1);
        // East-west gateways on intranet SLBs in both clusters.
        const eastwest = r.byType(T.release).filter((x) => x.inputs.name === "istio-eastwestgateway");
        assert.deepEqual(eastwest.map((x) => clusterOf(r, x)).sort(), ["beijing", "shanghai"]);
        for (const g of eastwest) {
            const values = g.inputs.values as { service: { annotations: Record<string, string> } };
            assert.equal(values.service.annotations["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type"], "intranet");
        }
        // protect on VPCs, CEN and clusters; deletion protection on clusters.
        for (const t of [T.vpc, T.cen, T.cluster]) {
            const all = r.byType(t);
            assert.ok(all.length > 0);
            for (const x of all) assert.equal(x.protect, true, `${x.name} must be protected`);
        }
        for (const c of r.byType(T.cluster)) assert.equal(c.inputs.deletionProtection, true);
    });

    /** Where each Bookinfo Deployment lands: workload → sorted clusters. */
    async function bookinfoPlacement(stack: string): Promise<Record<string, string[]>> {
        const r = await run(stack);
        const out: Record<string, string[]> = {};
        for (const d of r.byType(T.deployment)) {
            (out[metaName(d)] ??= []).push(clusterOf(r, d));
        }
        for (const k of Object.keys(out)) out[k].sort();
        return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
    }

    it("Bookinfo lands exactly where each stack places it", async () => {
        assert.deepEqual(await bookinfoPlacement("dev"), {
            "details-v1": ["istio-remote1"],
            "productpage-v1": ["istio-control-plane"],
            "ratings-v1": ["istio-control-plane"],
            "reviews-v1": ["istio-control-plane"],
            "reviews-v2": ["istio-control-plane"],
            "reviews-v3": ["istio-control-plane"],
        });
        const both = ["hangzhou", "shanghai"];
        assert.deepEqual(await bookinfoPlacement("staging"), {
            "details-v1": both,
            "productpage-v1": both,
            "ratings-v1": both,
            "reviews-v1": both,
            "reviews-v2": both,
            "reviews-v3": both,
        });
        assert.deepEqual(await bookinfoPlacement("prod"), {
            "details-v1": ["beijing"],
            "productpage-v1": ["beijing"],
            "ratings-v1": ["beijing", "shanghai"],
            "reviews-v1": ["beijing"],
            "reviews-v2": ["shanghai"],
            "reviews-v3": ["shanghai"],
        });
        // Services exist in every cluster (namespace sameness).
        const r = await run("dev");
        const services = r.byType("kubernetes:core/v1:Service").filter((x) => x.operation !== "read");
        for (const cluster of ["istio-control-plane", "istio-remote1"]) {
            assert.deepEqual(services.filter((x) => clusterOf(r, x) === cluster).map(metaName).sort(), ["details", "productpage", "ratings", "reviews"]);
        }
    });

    it("prod: jason gets reviews v2/v3 at 50/50 and everyone else v1, in every control plane", async () => {
        const r = await run("prod");
        const vs = r.byType(T.virtualService).filter((x) => metaName(x) === "reviews");
        assert.deepEqual(vs.map((x) => clusterOf(r, x)).sort(), ["beijing", "shanghai"]);
        for (const v of vs) {
            assert.deepEqual((v.inputs.spec as { http: unknown }).http, [
                {
                    match: [{ headers: { "end-user": { exact: "jason" } } }],
                    route: [
                        { destination: { host: "reviews", subset: "v2" }, weight: 50 },
                        { destination: { host: "reviews", subset: "v3" }, weight: 50 },
                    ],
                },
                { route: [{ destination: { host: "reviews", subset: "v1" } }] },
            ]);
        }
    });

    it("staging: locality failover rules between the two regions, with outlier detection", async () => {
        const r = await run("staging");
        const rules = r.byType(T.destinationRule);
        assert.deepEqual(rules.map(metaName).sort(), ["details", "productpage", "ratings", "reviews"]);
        for (const dr of rules) {
            assert.equal(clusterOf(r, dr), "hangzhou", "routing objects live in the primary");
            const policy = (dr.inputs.spec as { trafficPolicy: { loadBalancer: { localityLbSetting: unknown }; outlierDetection: unknown } }).trafficPolicy;
            assert.deepEqual(policy.loadBalancer.localityLbSetting, {
                enabled: true,
                failover: [
                    { from: "cn-hangzhou", to: "cn-shanghai" },
                    { from: "cn-shanghai", to: "cn-hangzhou" },
                ],
            });
            assert.ok(policy.outlierDetection, "failover needs outlier detection");
        }
    });

    it("exports the productpage URL on the ingress gateway's address", async () => {
        const r = await run("dev");
        assert.match(String(r.outputs.productpageUrl), /^http:\/\/47\.\d+\.\d+\.\d+\/productpage$/);
    });

    it("mesh.valuesOverride and mesh.ca.additionalTrustedRootCerts reach the clusters (root rotation from config)", async () => {
        const raw = stackRaw("prod") as Record<string, any>;
        const extraRoot = "-----BEGIN CERTIFICATE-----\nTkVXUk9PVA==\n-----END CERTIFICATE-----\n";
        raw.mesh = { ...raw.mesh, valuesOverride: { istiod: { env: { ISTIO_MULTIROOT_MESH: "true" } } }, ca: { ...raw.mesh.ca, additionalTrustedRootCerts: [extraRoot] } };
        const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`ack-mesh:${k}`, v]));
        const r = await simulate(runAckMesh, { stack: "prod", config });
        for (const istiod of r.byType(T.release).filter((x) => x.inputs.name === "istiod")) {
            assert.deepEqual((istiod.inputs.values as { env?: unknown }).env, { ISTIO_MULTIROOT_MESH: "true" });
        }
        for (const cacerts of r.byType(T.secret).filter((s) => metaName(s) === "cacerts")) {
            assert.ok(cacerts.inputs.stringData instanceof Secret);
            const data = cacerts.inputs.stringData.value as Record<string, string>;
            assert.ok(data["root-cert.pem"].endsWith(extraRoot), "the extra root is appended to the trust bundle");
            assert.ok(!data["cert-chain.pem"].includes(extraRoot), "but never signs");
        }
    });

    it("a flat mesh whose control plane would need more than 200 rules in its group fails before any resource", async () => {
        // 15 clusters, one primary, flat: the primary admits 14 rules from each remote, plus its own.
        const raw = generateTopology({ clusters: 15, mode: "primary-remote", bookinfo: false }).raw as Record<string, unknown>;
        delete raw.securityGroups;
        const lifted = planTopology({ ...raw, securityGroups: { maxRulesPerGroup: 10000 } });
        const ingress = lifted.identity.controlPlanes.filter((c) => lifted.config.clusters[c].ingressGateway);
        const primaryRules = planSecurityGroupRules(lifted.identity, lifted.network, { ingressClusters: ingress }).filter((r) => r.toCluster === "hz-00").length;
        assert.ok(primaryRules > 200, `the primary's group needs ${primaryRules}`);
        const err = await simulate(runAckMesh, { stack: "big", config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`ack-mesh:${k}`, v])) }).then(
            () => assert.fail("the config must not evaluate"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof SimulationError);
        assert.equal(
            String(err.errors.find((e) => ConfigError.is(e))),
            [
                "ConfigError: Invalid ack-mesh configuration (1 problem):",
                `  - clusters.hz-00: needs ${primaryRules} rules in its security group (admitting 14 peer clusters), more than the 200 one group may hold (got ${primaryRules}). ` +
                    "Fix: put fewer clusters on this flat network, or use mesh.networks: multi-network (one VPC-wide rule per port and peer cluster); raise securityGroups.maxRulesPerGroup only if your account allows more than 200 rules per group",
            ].join("\n"),
        );
        assert.deepEqual(err.result.resources.filter((x) => x.type !== T.stack).map((x) => x.name), [], "nothing is registered");
        // With a raised limit the plan goes through, and the limit reaches the component.
        assert.doesNotThrow(() => planTopology({ ...raw, securityGroups: { maxRulesPerGroup: primaryRules } }));
        assert.throws(() => planTopology({ ...raw, securityGroups: { maxRulesPerGroup: primaryRules - 1 } }), /needs \d+ rules/);
    });

    it("a broken config is reported whole, before any resource is registered", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ack-mesh-broken-"));
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(
            file,
            [
                "config:",
                "  ack-mesh:mesh:",
                "    id: mesh1",
                "    topology: primary-remote",
                "    netwroks: flat",
                "  ack-mesh:vpcs:",
                "    shared:",
                "      region: cn-hangzhou",
                "      cidr: 192.168.0.0/16",
                "  ack-mesh:clusters:",
                "    one:",
                "      displayName: mesh-cluster",
                "      region: cn-hangzhou",
                "      zones: [cn-hangzhou-h]",
                "      role: primary",
                "      cni: flannel",
                "      vpc: shared",
                "      slot: 0",
                "      cidrs: { pod: 172.16.0.0/16, service: 172.19.0.0/20 }",
                "      nodePools: { default: { size: 2 } }",
                "    two:",
                "      displayName: mesh-cluster",
                "      region: cn-hangzhou",
                "      zones: [cn-hangzhou-i]",
                "      role: remote",
                "      cni: flannel",
                "      vpc: shared",
                "      slot: 1",
                "      cidrs: { pod: 172.16.128.0/17, service: 172.21.0.0/20 }",
                "  ack-mesh:bookinfo:",
                "    enabled: true",
                "    placement:",
                "      productpage-v1: [one]",
                "      details-v1: [three]",
                "      ratings-v1: [one]",
                "      reviews-v1: [one]",
                "      reviews-v2: [two]",
                "      reviews-v3: [two]",
                "",
            ].join("\n"),
        );
        const { config, secretConfigKeys } = readStackConfig(file);
        const err = await simulate(runAckMesh, { stack: "broken", config, secretConfigKeys }).then(
            () => assert.fail("the broken config must not evaluate"),
            (e: unknown) => e,
        );
        assert.ok(err instanceof SimulationError);
        const cause = err.errors.find((e) => ConfigError.is(e));
        assert.ok(cause, "the program fails with the ConfigError");
        assert.equal(
            (cause as ConfigError).message,
            [
                "Invalid ack-mesh configuration (5 problems):",
                '  - bookinfo.placement.details-v1[0]: names a cluster that does not exist (got "three"). Fix: use one of: one, two',
                "  - clusters.one.nodePools: has 2 workers in total; a cluster needs at least 3 for an available control plane and gateways (got 2). Fix: raise the pool sizes to 3 or more, or set clusters.one.allowFewerThanThreeWorkers: true for a throwaway cluster",
                '  - clusters.two.cidrs.pod: 172.16.128.0/17 (pod CIDR of cluster two) overlaps 172.16.0.0/16 (pod CIDR of cluster one, at clusters.one.cidrs.pod) (got "172.16.128.0/17"). Fix: choose ranges that do not overlap',
                '  - clusters.two.displayName: duplicates the ACK cluster name of clusters.one (names are unique per account) (got "mesh-cluster"). Fix: give each cluster its own displayName',
                '  - mesh.netwroks: unknown key (got "flat"). Fix: did you mean "networks"? remove it or correct the spelling; allowed keys here: id, trustDomain, istioVersion, topology, networks, mtls, dnsCapture, ca, valuesOverride, revisions',
            ].join("\n"),
        );
        assert.deepEqual(
            err.result.resources.filter((x) => x.type !== T.stack).map((x) => x.name),
            [],
            "nothing is registered before validation",
        );
    });
});
