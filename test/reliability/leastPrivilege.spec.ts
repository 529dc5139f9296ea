/**
 * Least-privilege audit over every stack's recorded plan.
 *
 * - **Security group rules** are never wider than the mesh needs: every rule is an ingress rule in
 *   a group the program owns; a peer rule (`sg-<to>-from-<from>-…`) admits exactly one TCP mesh
 *   port from a range inside one of the source cluster's planned ranges (its node vSwitches, its
 *   pod ranges, or the VPC CIDR when the VPC is its own; checked with ip-num against the network
 *   plan, not against the component's own helpers); a self rule admits only the cluster's own pod
 *   ranges; a load-balancer rule admits only Alibaba's SLB range `100.64.0.0/10` on a gateway port.
 *   Nothing admits `0.0.0.0/0`.
 * - **Remote secrets** authenticate as `istio-reader-service-account` with a bearer token from the
 *   target's service-account token Secret, against the target's intranet API endpoint — never with
 *   client certificates (the admin kubeconfig) — and nothing binds `cluster-admin`.
 * - **East-west gateways** sit on intranet SLBs; only gateway Helm releases create load balancers.
 * - **mTLS**: every control plane has the mesh-wide `default` PeerAuthentication in `istio-system`
 *   with mode STRICT, and nothing weakens it (no other mode, no port-level or DestinationRule
 *   override that disables TLS).
 */
import * as assert from "node:assert/strict";
import { IPv4CidrRange } from "ip-num";
import * as YAML from "yaml";
import { ALIBABA_LB_ADDRESS_TYPE, canonicalPlan, RecordedResource, Secret, SimulationResult, stableStringify, stackNames, topology, Topology } from "../support";
import { metaName, nameOfUrn, PROJECT, rawOfStack, simulateStack, T } from "./support";

/** Alibaba's documented source range of SLB health checks and Layer-7 listeners. */
const SLB_RANGE = "100.64.0.0/10";
/** TCP ports the mesh opens between clusters (apiserver, Bookinfo app port, istiod xDS/webhook, gateway status, east-west mTLS). */
const PEER_PORTS = new Set(["6443/6443", "9080/9080", "15012/15012", "15017/15017", "15021/15021", "15443/15443"]);
/** Gateway target ports an SLB may reach (ingress HTTP and status; east-west; istiod exposure). */
const SLB_PORTS = new Set(["80/80", "15012/15012", "15017/15017", "15021/15021", "15443/15443"]);
/** Kubernetes NodePorts: only towards Flannel clusters, whose SLBs use node backends. */
const NODE_PORTS = "30000/32767";

function range(cidr: string): IPv4CidrRange {
    return IPv4CidrRange.fromCidr(cidr);
}

function within(inner: string, outer: string): boolean {
    const a = range(inner);
    const b = range(outer);
    return a.isEquals(b) || b.contains(a);
}

/** The planned ranges a rule may name for traffic from `cluster`. */
function sourceRanges(t: Topology, cluster: string): string[] {
    const c = t.network.clusters[cluster];
    const own = !t.network.vpcs[c.vpc].shared;
    return [...c.nodeRanges, ...c.podRanges, ...(own ? [c.vpcCidr] : [])];
}

interface RuleCheck {
    readonly stack: string;
    readonly t: Topology;
    readonly r: SimulationResult;
}

/** Problems of one security group rule, as lines. */
function ruleProblems({ t }: RuleCheck, rule: RecordedResource): string[] {
    const out: string[] = [];
    const i = rule.inputs as Record<string, string | number>;
    const sgUrn = (rule.propertyDependencies.securityGroupId ?? [])[0];
    const to = sgUrn ? /^sg-sg-(.+)$/.exec(nameOfUrn(sgUrn))?.[1] : undefined;
    if (!to || !t.network.clusters[to]) return [`${rule.name}: its securityGroupId does not come from a cluster's group (${sgUrn})`];
    if (i.type !== "ingress") out.push(`${rule.name}: type ${i.type}`);
    if (i.policy !== "accept") out.push(`${rule.name}: policy ${i.policy}`);
    if (i.nicType !== "intranet") out.push(`${rule.name}: nicType ${i.nicType}`);
    const cidr = String(i.cidrIp);
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) return [...out, `${rule.name}: cidrIp ${cidr} is not an IPv4 CIDR`];
    if (range(cidr).getPrefix().getValue() < 8n) out.push(`${rule.name}: cidrIp ${cidr} is wider than /8`);
    for (const k of ["sourceSecurityGroupId", "ipv6CidrIp", "prefixListId"]) if (i[k] !== undefined) out.push(`${rule.name}: sets ${k}`);
    const prefix = `sg-${to}-`;
    if (!rule.name.startsWith(prefix)) return [...out, `${rule.name}: lives in the group of ${to} but is not named for it`];
    const rest = rule.name.slice(prefix.length);
    const from = Object.keys(t.network.clusters).find((c) => rest.startsWith(`from-${c}-`));
    if (rest.startsWith("self-")) {
        if (i.ipProtocol !== "all" || i.portRange !== "-1/-1") out.push(`${rule.name}: a self rule is all protocols, got ${i.ipProtocol} ${i.portRange}`);
        if (!t.network.clusters[to].podRanges.some((p) => within(cidr, p))) out.push(`${rule.name}: ${cidr} is not inside a pod range of ${to} (${t.network.clusters[to].podRanges.join(", ")})`);
    } else if (rest.startsWith("slb-")) {
        if (cidr !== SLB_RANGE) out.push(`${rule.name}: an SLB rule admits ${cidr}, not only ${SLB_RANGE}`);
        const flannel = t.network.clusters[to].cni === "flannel";
        const ok = i.ipProtocol === "tcp" && (flannel ? i.portRange === NODE_PORTS : SLB_PORTS.has(String(i.portRange)));
        if (!ok) out.push(`${rule.name}: SLB rule on ${i.ipProtocol} ${i.portRange} (${flannel ? "Flannel: NodePorts only" : "Terway: gateway ports only"})`);
    } else if (from && rest.startsWith(`from-${from}-icmp-nodes-`)) {
        // ICMP (ping, path-MTU discovery) from the peer's node vSwitches only.
        if (from === to) out.push(`${rule.name}: a peer rule from the cluster itself`);
        if (i.ipProtocol !== "icmp" || i.portRange !== "-1/-1") out.push(`${rule.name}: an ICMP rule on ${i.ipProtocol} ${i.portRange}`);
        const nodes = t.network.clusters[from].nodeRanges;
        if (!nodes.some((n) => within(cidr, n))) out.push(`${rule.name}: ${cidr} is not inside a node range of ${from} (${nodes.join(", ")})`);
    } else if (from) {
        if (from === to) out.push(`${rule.name}: a peer rule from the cluster itself`);
        if (i.ipProtocol !== "tcp") out.push(`${rule.name}: protocol ${i.ipProtocol}`);
        const port = String(i.portRange);
        const portOk = PEER_PORTS.has(port) || (port === NODE_PORTS && t.network.clusters[to].cni === "flannel");
        if (!portOk) out.push(`${rule.name}: port range ${port} is not a mesh port`);
        const allowed = sourceRanges(t, from);
        if (!allowed.some((a) => within(cidr, a))) out.push(`${rule.name}: ${cidr} is not inside any range of its source cluster ${from} (${allowed.join(", ")})`);
    } else {
        out.push(`${rule.name}: neither a self, an SLB nor a peer rule`);
    }
    return out;
}

function ruleAudit(c: RuleCheck): string[] {
    return c.r.byType(T.sgRule).flatMap((rule) => ruleProblems(c, rule));
}

/** Every value in the tree at a key named `key`. */
function valuesAtKey(v: unknown, key: string, out: unknown[] = []): unknown[] {
    if (v instanceof Secret) return valuesAtKey(v.value, key, out);
    if (Array.isArray(v)) v.forEach((x) => valuesAtKey(x, key, out));
    else if (v !== null && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
            if (k === key) out.push(x);
            valuesAtKey(x, key, out);
        }
    }
    return out;
}

describe("reliability: least-privilege audit", function () {
    this.timeout(120_000);

    for (const stack of stackNames()) {
        describe(stack, () => {
            const t = topology(rawOfStack(stack));

            it("every security group rule admits only a mesh port from one of its source cluster's planned ranges (or the SLB range)", async () => {
                const r = await simulateStack(stack);
                const rules = r.byType(T.sgRule);
                assert.ok(rules.length > 0, "the stack has security group rules");
                assert.deepEqual(ruleAudit({ stack, t, r }), []);
            });

            it("nothing admits 0.0.0.0/0", async () => {
                const r = await simulateStack(stack);
                const open = r.resources.flatMap((x) =>
                    [...valuesAtKey(x.inputs, "cidrIp"), ...valuesAtKey(x.inputs, "sourceCidrIp"), ...valuesAtKey(x.inputs, "loadBalancerSourceRanges")]
                        .flat()
                        .filter((v) => v === "0.0.0.0/0" || v === "::/0")
                        .map(() => x.name),
                );
                assert.deepEqual(open, []);
            });

            it("remote secrets read as istio-reader-service-account with a bearer token, on the intranet endpoint; nothing binds cluster-admin", async () => {
                const r = await simulateStack(stack);
                const byUrn = new Map(r.resources.map((x) => [x.urn, x]));
                const remoteSecrets = r.byType(T.secret).filter((s) => (s.inputs.metadata as { labels?: Record<string, string> }).labels?.["istio/multiCluster"] === "true");
                assert.ok(remoteSecrets.length >= 1, "the mesh has remote secrets");
                const clusters = r.outputs.clusters as Record<string, { apiServerIntranet: string }>;
                for (const s of remoteSecrets) {
                    const target = (s.inputs.metadata as { annotations: Record<string, string> }).annotations["networking.istio.io/cluster"];
                    const token = s.dependencies.map((u) => byUrn.get(u)).find((d) => d?.type === T.secret && d.inputs.type === "kubernetes.io/service-account-token");
                    assert.ok(token, `${s.name} is built from a service-account token Secret`);
                    assert.equal(nameOfUrn(token.providerUrn ?? ""), `${target}-k8s`, `${s.name}: the token lives in the target cluster ${target}`);
                    assert.equal((token.inputs.metadata as { annotations: Record<string, string> }).annotations["kubernetes.io/service-account.name"], "istio-reader-service-account");
                    const stringData = s.inputs.stringData;
                    assert.ok(stringData instanceof Secret);
                    const kubeconfig = YAML.parse((stringData.value as Record<string, string>)[target]) as {
                        clusters: { cluster: { server: string } }[];
                        users: { user: Record<string, unknown> }[];
                    };
                    assert.deepEqual(kubeconfig.users.map((u) => Object.keys(u.user)), [["token"]], `${s.name}: bearer-token auth only (no client certificate, exec or password)`);
                    const data = (token.outputs.data as Secret).value as Record<string, string>;
                    assert.equal(kubeconfig.users[0].user.token, Buffer.from(data.token, "base64").toString("utf8"), `${s.name}: the reader's own token`);
                    assert.equal(kubeconfig.clusters[0].cluster.server, clusters[target].apiServerIntranet, `${s.name}: the target's intranet API endpoint`);
                }
                const bindings = r.resources.filter((x) => /RoleBinding$/.test(x.type));
                assert.deepEqual(
                    bindings.filter((b) => valuesAtKey(b.inputs, "roleRef").some((ref) => (ref as { name?: string }).name === "cluster-admin")).map((b) => b.name),
                    [],
                );
                assert.ok(!stableStringify(canonicalPlan(r, { stack, project: PROJECT })).includes("cluster-admin"), "cluster-admin appears in the plan");
            });

            it("east-west gateways are on intranet SLBs, and only gateway Helm releases create load balancers", async () => {
                const r = await simulateStack(stack);
                const releases = r.byType(T.release);
                const eastwest = releases.filter((x) => x.inputs.name === "istio-eastwestgateway");
                assert.ok(eastwest.length >= 1, "the stack has an east-west gateway");
                for (const g of eastwest) {
                    const service = (g.inputs.values as { service?: { type?: string; annotations?: Record<string, string> } }).service;
                    assert.equal(service?.annotations?.[ALIBABA_LB_ADDRESS_TYPE], "intranet", `${g.name} must be on an intranet SLB`);
                }
                const lbReleases = releases.filter((x) => (x.inputs.values as { service?: { type?: string } } | undefined)?.service?.type === "LoadBalancer");
                assert.deepEqual(lbReleases.map((x) => x.inputs.name).filter((n) => n !== "istio-eastwestgateway" && n !== "istio-ingressgateway"), []);
                const lbServices = r.byType(T.service).filter((x) => (x.inputs.spec as { type?: string } | undefined)?.type === "LoadBalancer" || (x.inputs.spec as { type?: string } | undefined)?.type === "NodePort");
                assert.deepEqual(lbServices.map((x) => x.name), [], "no plain Service is exposed through a load balancer or NodePort");
            });

            it("STRICT mTLS: every control plane has the default PeerAuthentication in istio-system, and nothing weakens it", async () => {
                const r = await simulateStack(stack);
                assert.equal(t.config.mesh.mtls, "STRICT", `${stack} runs STRICT mTLS`);
                const pas = r.byType(T.peerAuthn);
                for (const cp of t.identity.controlPlanes) {
                    const own = pas.filter((p) => nameOfUrn(p.providerUrn ?? "") === `${cp}-k8s`);
                    const defaults = own.filter((p) => metaName(p.inputs) === "default" && (p.inputs.metadata as { namespace?: string }).namespace === "istio-system");
                    assert.equal(defaults.length, 1, `control plane ${cp} has one mesh-wide PeerAuthentication`);
                    assert.deepEqual((defaults[0].inputs.spec as { mtls?: unknown }).mtls, { mode: "STRICT" });
                }
                const modes = r.resources.flatMap((x) => valuesAtKey(x.inputs, "mode").map((m) => [x, m] as const));
                const weak = modes.filter(([x, m]) => (x.type === T.peerAuthn && m !== "STRICT") || (/DestinationRule$/.test(x.type) && (m === "DISABLE" || m === "SIMPLE")));
                assert.deepEqual(weak.map(([x, m]) => `${x.name}: mode ${String(m)}`), []);
                for (const p of pas) assert.equal((p.inputs.spec as { portLevelMtls?: unknown }).portLevelMtls, undefined, `${p.name} has no port-level exception`);
            });
        });
    }

    it("the rule audit can fail: a rule from the internet, a rule wider than its source and a non-mesh port are caught", async () => {
        const stack = "staging";
        const r = await simulateStack(stack);
        const t = topology(rawOfStack(stack));
        const rule = r.byType(T.sgRule).find((x) => x.name.startsWith("sg-hangzhou-from-shanghai-"))!;
        const mutate = (inputs: Record<string, unknown>) => ruleProblems({ stack, t, r }, { ...rule, inputs: { ...rule.inputs, ...inputs } });
        assert.deepEqual(mutate({}), []);
        assert.match(mutate({ cidrIp: "0.0.0.0/0" }).join("\n"), /wider than \/8/);
        assert.match(mutate({ cidrIp: "10.0.0.0/9" }).join("\n"), /not inside any range of its source cluster shanghai/);
        assert.match(mutate({ portRange: "22/22" }).join("\n"), /22\/22 is not a mesh port/);
        assert.match(mutate({ ipProtocol: "all" }).join("\n"), /protocol all/);
    });

    it("the ICMP audit can fail: ICMP from pods or the internet, or another protocol under an ICMP name, is caught", async () => {
        const stack = "staging";
        const r = await simulateStack(stack);
        const t = topology(rawOfStack(stack));
        const rule = r.byType(T.sgRule).find((x) => x.name.startsWith("sg-hangzhou-from-shanghai-icmp-nodes-"))!;
        assert.ok(rule, "staging has ICMP rules from the remote's nodes");
        const mutate = (inputs: Record<string, unknown>) => ruleProblems({ stack, t, r }, { ...rule, inputs: { ...rule.inputs, ...inputs } });
        assert.deepEqual(mutate({}), []);
        assert.match(mutate({ cidrIp: t.network.clusters.shanghai.podRanges[0] }).join("\n"), /is not inside a node range of shanghai/);
        assert.match(mutate({ cidrIp: "0.0.0.0/0" }).join("\n"), /wider than \/8/);
        assert.match(mutate({ ipProtocol: "all" }).join("\n"), /an ICMP rule on all -1\/-1/);
    });
});
