/**
 * Destroy order (docs/teardown.md), from the recorded dependency graph of every stack.
 *
 * `pulumi destroy` deletes a resource only after everything that depends on it. So "A is destroyed
 * before B" is "A depends on B, transitively". The graph is built here from the recorded requests
 * alone, independently of sim/graph.ts: a resource depends on its `dependencies`, its
 * `propertyDependencies` and its provider; a component depends on its children (depending on a
 * component waits for its subtree); an edge to one's own ancestor component is dropped.
 *
 * Asserted per cluster X, per the documented order:
 * - every gateway Helm release and every resource that creates a load balancer (a release or Service
 *   of type LoadBalancer), and in fact every in-cluster resource, depends on X's Kubernetes
 *   provider, which depends on X's node pools, which depend on the ACK cluster, which depends on
 *   its vSwitches (node and pod) and its security group, which depend on X's VPC — so the gateways
 *   (and their SLBs) go first, then the provider, pools, cluster, group, vSwitches, VPC;
 * - Bookinfo waits for X's istiod, gateways wait for istiod, istiod waits for base (so base, which
 *   owns the CRDs, goes last among the Helm releases);
 * - the graph has no cycle, and sim/graph.ts's topological order agrees (creation order is the
 *   reverse of destroy order).
 */
import * as assert from "node:assert/strict";
import { dependencyGraph, RecordedResource, SimulationResult, stackNames, topologicalOrder, topology } from "../support";
import { rawOfStack, simulateStack, T } from "./support";

/** node URN → the URNs it waits for (see the module documentation). */
function waitGraph(r: SimulationResult): Map<string, Set<string>> {
    const all = [...r.resources, ...r.reads];
    const byUrn = new Map(all.map((x) => [x.urn, x]));
    const isAncestorComponent = (ancestor: string, x: RecordedResource) => {
        for (let p = x.parent, guard = 0; p && guard < 1000; p = byUrn.get(p)?.parent, guard++) if (p === ancestor) return byUrn.get(ancestor)?.custom === false;
        return false;
    };
    const g = new Map<string, Set<string>>();
    const edge = (from: string, to: string) => {
        if (from === to) return;
        let s = g.get(from);
        if (!s) g.set(from, (s = new Set()));
        s.add(to);
    };
    for (const x of all) {
        for (const d of [...x.dependencies, ...Object.values(x.propertyDependencies).flat()]) if (!isAncestorComponent(d, x)) edge(x.urn, d);
        if (x.providerUrn) edge(x.urn, x.providerUrn);
        if (x.parent && byUrn.get(x.parent)?.custom === false) edge(x.parent, x.urn);
    }
    return g;
}

/** Memoised transitive closure. */
function reachability(g: Map<string, Set<string>>): (from: string) => Set<string> {
    const memo = new Map<string, Set<string>>();
    return (from: string) => {
        let seen = memo.get(from);
        if (seen) return seen;
        seen = new Set<string>();
        const stack = [...(g.get(from) ?? [])];
        while (stack.length) {
            const u = stack.pop()!;
            if (seen.has(u)) continue;
            seen.add(u);
            for (const v of g.get(u) ?? []) if (!seen.has(v)) stack.push(v);
        }
        memo.set(from, seen);
        return seen;
    };
}

/** Whether a resource makes Alibaba's CCM create a load balancer. */
function createsLoadBalancer(x: RecordedResource): boolean {
    if (x.type === T.release) return (x.inputs.values as { service?: { type?: string } } | undefined)?.service?.type === "LoadBalancer";
    if (x.type === T.service) return (x.inputs.spec as { type?: string } | undefined)?.type === "LoadBalancer";
    return false;
}

function isGatewayRelease(x: RecordedResource): boolean {
    return x.type === T.release && (x.inputs.chart === "gateway" || /gateway$/.test(String(x.inputs.name)));
}

describe("reliability: destroy order follows the dependency graph (docs/teardown.md)", function () {
    this.timeout(120_000);

    for (const stack of stackNames()) {
        describe(stack, () => {
            const { network, identity } = topology(rawOfStack(stack));

            it("gateways and load balancers → k8s provider → node pools → cluster → vSwitches and group → VPC, for every cluster", async () => {
                const r = await simulateStack(stack);
                const reach = reachability(waitGraph(r));
                const one = (type: string, name: string) => {
                    const hits = r.resources.filter((x) => x.type === type && x.name === name);
                    assert.equal(hits.length, 1, `${stack} has one ${type} ${name}`);
                    return hits[0];
                };
                const problems: string[] = [];
                const before = (a: RecordedResource, b: RecordedResource, why: string) => {
                    if (!reach(a.urn).has(b.urn)) problems.push(`${a.name} does not depend on ${b.name} (${why}): destroy could delete ${b.name} first`);
                };
                let gateways = 0;
                for (const X of Object.keys(identity.clusters)) {
                    const provider = one(T.k8sProvider, `${X}-k8s`);
                    const cluster = one(T.cluster, `${X}-cluster`);
                    const pools = r.byType(T.nodePool).filter((p) => p.name.startsWith(`${X}-np-`));
                    const vswitches = r.byType(T.vswitch).filter((v) => v.name.startsWith(`net-vsw-${X}-`) || v.name.startsWith(`net-podvsw-${X}-`));
                    const vpc = one(T.vpc, `net-vpc-${network.clusters[X].vpc}`);
                    const group = one(T.sg, `sg-sg-${X}`);
                    assert.ok(pools.length >= 1 && vswitches.length >= Object.keys(network.clusters[X].zones).length, `${X}: pools and vSwitches are recorded`);
                    for (const p of pools) {
                        before(provider, p, "every in-cluster resource is gone before any worker");
                        before(p, cluster, "node pools before the cluster");
                    }
                    for (const v of vswitches) {
                        before(cluster, v, "the cluster before its vSwitches");
                        before(v, vpc, "vSwitches before the VPC");
                    }
                    before(cluster, group, "the cluster before its security group");
                    before(group, vpc, "the security group before the VPC");
                    const inCluster = r.resources.filter((x) => x.providerUrn === provider.urn);
                    for (const x of inCluster) {
                        for (const p of pools) before(x, p, "in-cluster resources before the workers");
                        before(x, cluster, "in-cluster resources before the cluster");
                    }
                    for (const x of inCluster.filter((y) => isGatewayRelease(y) || createsLoadBalancer(y))) {
                        gateways++;
                        for (const target of [provider, ...pools, cluster, ...vswitches, vpc]) before(x, target, "the SLB is released while the cluster still exists");
                    }
                }
                assert.ok(gateways >= 1, `${stack} has gateways`);
                assert.deepEqual(problems, []);
            });

            it("CEN: associations and propagations → attachments → transit routers → CEN; VPC attachments → their VPC's vSwitches → VPC", async () => {
                const r = await simulateStack(stack);
                const reach = reachability(waitGraph(r));
                const of = (suffix: string) => r.resources.filter((x) => x.type === `alicloud:cen/${suffix}`);
                const cen = of("instance:Instance");
                if (cen.length === 0) {
                    assert.equal(Object.keys(network.vpcs).length, 1, `${stack}: no CEN only with one VPC`);
                    return;
                }
                const problems: string[] = [];
                const needs = (a: RecordedResource, b: RecordedResource) => {
                    if (!reach(a.urn).has(b.urn)) problems.push(`${a.name} does not depend on ${b.name}`);
                };
                const trs = of("transitRouter:TransitRouter");
                for (const tr of trs) needs(tr, cen[0]);
                for (const rt of of("transitRouterRouteTable:TransitRouterRouteTable")) needs(rt, trs.find((t) => t.name === rt.name.replace("-rt-", "-tr-"))!);
                for (const a of of("transitRouterVpcAttachment:TransitRouterVpcAttachment")) {
                    const key = a.name.replace(/^net-attach-/, "");
                    const vpc = r.resources.find((x) => x.type === T.vpc && x.name === `net-vpc-${key}`)!;
                    needs(a, vpc);
                    for (const c of network.vpcs[key].clusters) {
                        for (const v of r.byType(T.vswitch).filter((x) => x.name.startsWith(`net-vsw-${c}-`) || x.name.startsWith(`net-podvsw-${c}-`))) needs(a, v);
                    }
                    needs(a, trs.find((t) => t.name === `net-tr-${network.vpcs[key].region}`)!);
                }
                for (const p of of("transitRouterPeerAttachment:TransitRouterPeerAttachment")) for (const tr of trs.filter((t) => p.name.includes(t.name.replace("net-tr-", "")))) needs(p, tr);
                const attachments = [...of("transitRouterVpcAttachment:TransitRouterVpcAttachment"), ...of("transitRouterPeerAttachment:TransitRouterPeerAttachment")];
                for (const b of [...of("transitRouterRouteTableAssociation:TransitRouterRouteTableAssociation"), ...of("transitRouterRouteTablePropagation:TransitRouterRouteTablePropagation")]) {
                    assert.ok(attachments.some((a) => reach(b.urn).has(a.urn)), `${b.name} depends on an attachment`);
                    assert.ok(of("transitRouterRouteTable:TransitRouterRouteTable").some((t) => reach(b.urn).has(t.urn)), `${b.name} depends on a route table`);
                }
                assert.deepEqual(problems, []);
            });

            it("Bookinfo waits for istiod, gateways wait for istiod, istiod waits for base", async () => {
                const r = await simulateStack(stack);
                const reach = reachability(waitGraph(r));
                const problems: string[] = [];
                for (const X of Object.keys(identity.clusters)) {
                    const provider = r.resources.find((x) => x.type === T.k8sProvider && x.name === `${X}-k8s`)!;
                    const releases = r.byType(T.release).filter((x) => x.providerUrn === provider.urn);
                    const istiod = releases.find((x) => x.inputs.name === "istiod");
                    const base = releases.find((x) => x.inputs.chart === "base");
                    assert.ok(istiod && base, `${X} has istiod and base`);
                    if (!reach(istiod.urn).has(base.urn)) problems.push(`${istiod.name} does not wait for ${base.name}`);
                    for (const g of releases.filter(isGatewayRelease)) if (!reach(g.urn).has(istiod.urn)) problems.push(`${g.name} does not wait for ${istiod.name}`);
                    for (const b of r.resources.filter((x) => x.providerUrn === provider.urn && x.name.startsWith("bookinfo-"))) {
                        if (!reach(b.urn).has(istiod.urn)) problems.push(`${b.name} does not wait for ${istiod.name}`);
                    }
                }
                assert.deepEqual(problems, []);
            });

            it("the graph has no cycle, and sim/graph.ts orders creation the same way (destroy is its reverse)", async () => {
                const r = await simulateStack(stack);
                const order = topologicalOrder(dependencyGraph(r));
                const pos = new Map(order.map((u, i) => [u, i]));
                for (const X of Object.keys(identity.clusters)) {
                    const at = (type: string, name: string) => pos.get(r.resources.find((x) => x.type === type && x.name === name)!.urn)!;
                    const chain = [at(T.vpc, `net-vpc-${network.clusters[X].vpc}`), at(T.cluster, `${X}-cluster`), at(T.k8sProvider, `${X}-k8s`)];
                    const gateways = r.resources.filter((x) => isGatewayRelease(x) && x.providerUrn?.endsWith(`::${X}-k8s`)).map((x) => pos.get(x.urn)!);
                    for (const g of gateways) chain.push(g);
                    for (let i = 1; i < 3; i++) assert.ok(chain[i - 1] < chain[i], `${X}: creation order VPC < cluster < provider`);
                    for (const g of gateways) assert.ok(chain[2] < g, `${X}: a gateway is created after the provider (destroyed before it)`);
                }
            });
        });
    }

    it("the order check can fail: a gateway without its provider edge is caught", async () => {
        const r = await simulateStack("dev");
        const gw = r.byType(T.release).find(isGatewayRelease)!;
        const cut = { ...r, resources: r.resources.map((x) => (x === gw ? { ...x, providerUrn: undefined, dependencies: [], propertyDependencies: {} } : x)), reads: r.reads } as SimulationResult;
        const reach = reachability(waitGraph(cut));
        const provider = r.resources.find((x) => x.urn === gw.providerUrn)!;
        assert.equal(reach(gw.urn).has(provider.urn), false);
        assert.equal(reachability(waitGraph(r))(gw.urn).has(provider.urn), true);
    });
});
