/**
 * The CrossGuard policies one by one: a passing and a failing resource for every rule, called with
 * the argument bags @pulumi/policy builds (policy/testing.ts), plus the CIDR arithmetic.
 */
import { strict as assert } from "node:assert";
import { Provider as KubernetesProvider } from "@pulumi/kubernetes/provider";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isWholeAddressSpace, overlaps, parseCidr } from "../../policy/cidr";
import {
    AckMeshPolicies,
    EXACT_CHART_VERSION,
    ISTIO_HELM_REPOSITORY,
    POLICY_NAMES,
    TYPES,
    createPolicies,
    istioChartOf,
    nodePoolWorkers,
} from "../../policy/policies";
import { AnalyzedResource, NotApplicable, UNKNOWN_WIRE, isWireSecret, recorder, resourceArgs, runPack, stackArgs, wireSecret } from "../../policy/testing";

const urnOf = (type: string, name: string) => `urn:pulumi:test::ack-mesh::${type}::${name}`;

/** A resource in wire form; `deps` are property dependencies given as resources. */
function res(type: string, name: string, inputs: Record<string, unknown>, deps: Record<string, AnalyzedResource[]> = {}): AnalyzedResource {
    return {
        urn: urnOf(type, name),
        type,
        name,
        inputs,
        propertyDependencies: Object.fromEntries(Object.entries(deps).map(([k, rs]) => [k, rs.map((r) => r.urn)])),
    };
}

/** Calls a resource policy's validation directly; returns what it reported, or the not-applicable reason. */
async function validate(policy: ResourceValidationPolicy, r: AnalyzedResource, config: Record<string, unknown> = {}): Promise<string[] | NotApplicable> {
    const { report, reported } = recorder();
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    try {
        for (const v of validations) await v(resourceArgs(r, { config }), report);
    } catch (e) {
        if (e instanceof NotApplicable) return e;
        throw e;
    }
    return reported.map((x) => x.message);
}

/** Calls a resource policy's remediation directly, with the remediation argument bag. */
async function remediate(policy: ResourceValidationPolicy, r: AnalyzedResource, config: Record<string, unknown> = {}) {
    return policy.remediateResource!(resourceArgs(r, { remediation: true, config }));
}

/** Calls a stack policy directly; returns `[message, urn]` pairs. */
async function validateStack(policy: StackValidationPolicy, rs: AnalyzedResource[], config: Record<string, unknown> = {}): Promise<Array<[string, string | undefined]>> {
    const { report, reported } = recorder();
    await policy.validateStack(stackArgs(rs, { config }), report);
    return reported.map((x) => [x.message, x.urn]);
}

function fresh(stack = "dev"): AckMeshPolicies {
    return createPolicies({ stack: () => stack });
}

describe("policy: CIDR arithmetic", () => {
    it("parses IPv4 and IPv6 blocks, host bits ignored", () => {
        const cases: Array<[string, { version: 4 | 6; prefix: number; first: bigint; last: bigint } | undefined]> = [
            ["10.0.0.0/8", { version: 4, prefix: 8, first: 0x0a000000n, last: 0x0affffffn }],
            ["10.1.2.3/16", { version: 4, prefix: 16, first: 0x0a010000n, last: 0x0a01ffffn }],
            ["0.0.0.0/0", { version: 4, prefix: 0, first: 0n, last: 0xffffffffn }],
            ["192.168.1.7/32", { version: 4, prefix: 32, first: 0xc0a80107n, last: 0xc0a80107n }],
            ["::/0", { version: 6, prefix: 0, first: 0n, last: (1n << 128n) - 1n }],
            ["2001:db8::/32", { version: 6, prefix: 32, first: 0x20010db8n << 96n, last: (0x20010db8n << 96n) + (1n << 96n) - 1n }],
            ["::ffff:10.0.0.0/104", { version: 6, prefix: 104, first: (0xffffn << 32n) | 0x0a000000n, last: (0xffffn << 32n) | 0x0affffffn }],
            ["10.0.0.0", undefined],
            ["10.0.0.256/8", undefined],
            ["10.0.0.01/8", undefined],
            ["10.0.0.0/33", undefined],
            ["1::2::3/64", undefined],
            ["1:2:3:4:5:6:7:8:9/64", undefined],
            ["fe80::g/10", undefined],
            ["", undefined],
        ];
        for (const [text, want] of cases) {
            const got = parseCidr(text);
            if (want === undefined) assert.equal(got, undefined, text);
            else assert.deepEqual({ version: got?.version, prefix: got?.prefix, first: got?.first, last: got?.last }, want, text);
        }
    });

    it("tells overlaps and the whole address space", () => {
        const c = (s: string) => parseCidr(s)!;
        assert.equal(overlaps(c("10.0.0.0/16"), c("10.0.255.0/24")), true);
        assert.equal(overlaps(c("10.0.0.0/16"), c("10.1.0.0/16")), false);
        assert.equal(overlaps(c("172.16.0.0/12"), c("172.31.255.255/32")), true);
        assert.equal(overlaps(c("0.0.0.0/0"), c("::/0")), false, "different IP versions never overlap");
        assert.equal(isWholeAddressSpace(c("0.0.0.0/0")), true);
        assert.equal(isWholeAddressSpace(c("::0/0")), true);
        assert.equal(isWholeAddressSpace(c("0.0.0.0/1")), false);
    });
});

describe("policy 1: vpc-vswitch-cidrs-disjoint", () => {
    const policy = fresh().networkCidrsDisjoint;
    const cen = res(TYPES.cen, "net-cen", {});
    const vpcA = res(TYPES.vpc, "vpc-a", { cidrBlock: "10.10.0.0/16" });
    const vpcB = res(TYPES.vpc, "vpc-b", { cidrBlock: "10.11.0.0/16" });
    const vsw = (name: string, cidr: string, vpc: AnalyzedResource) => res(TYPES.vswitch, name, { cidrBlock: cidr, vpcId: UNKNOWN_WIRE }, { vpcId: [vpc] });

    it("passes disjoint VPCs and vSwitches joined by CEN", async () => {
        assert.deepEqual(await validateStack(policy, [cen, vpcA, vpcB, vsw("a-h", "10.10.0.0/20", vpcA), vsw("b-l", "10.11.0.0/20", vpcB)]), []);
    });

    it("fails overlapping VPCs in a stack with a CEN, on the later VPC", async () => {
        const overlapping = res(TYPES.vpc, "vpc-c", { cidrBlock: "10.10.128.0/17" });
        const got = await validateStack(policy, [cen, vpcA, overlapping]);
        assert.equal(got.length, 1);
        assert.equal(got[0][1], overlapping.urn);
        assert.match(got[0][0], /^VPC "vpc-c" \(10\.10\.128\.0\/17\) overlaps VPC "vpc-a" \(10\.10\.0\.0\/16\) in a stack with CEN "net-cen"/);
    });

    it("allows overlapping VPCs and their vSwitches without a CEN", async () => {
        const twin = res(TYPES.vpc, "vpc-twin", { cidrBlock: "10.10.0.0/16" });
        assert.deepEqual(await validateStack(policy, [vpcA, twin, vsw("a-h", "10.10.0.0/20", vpcA), vsw("twin-h", "10.10.0.0/20", twin)]), []);
    });

    it("fails overlapping vSwitches of one VPC, linked by property dependency or by id", async () => {
        const x = vsw("a-h", "10.10.0.0/20", vpcA);
        const y = vsw("a-i", "10.10.8.0/21", vpcA);
        const got = await validateStack(policy, [vpcA, x, y]);
        assert.deepEqual(got.map(([, urn]) => urn), [y.urn]);
        assert.match(got[0][0], /^vSwitch "a-i" \(10\.10\.8\.0\/21\) overlaps vSwitch "a-h" \(10\.10\.0\.0\/20\); both in VPC "vpc-a"/);

        const vpcWithId = res(TYPES.vpc, "vpc-id", { cidrBlock: "10.20.0.0/16", id: "vpc-123" });
        const byId = [res(TYPES.vswitch, "p", { cidrBlock: "10.20.0.0/24", vpcId: "vpc-123" }), res(TYPES.vswitch, "q", { cidrBlock: "10.20.0.128/25", vpcId: "vpc-123" })];
        assert.equal((await validateStack(policy, [vpcWithId, ...byId])).length, 1);
    });

    it("fails overlapping vSwitches of different VPCs when a CEN exists", async () => {
        const got = await validateStack(policy, [cen, vpcA, vpcB, vsw("a-h", "10.10.0.0/20", vpcA), vsw("b-l", "10.10.0.0/24", vpcB)]);
        assert.equal(got.length, 1);
        assert.match(got[0][0], /overlaps vSwitch "a-h" \(10\.10\.0\.0\/20\); the stack has CEN "net-cen", which routes vSwitch CIDRs/);
    });

    it("does not judge unknown CIDRs", async () => {
        assert.deepEqual(await validateStack(policy, [cen, vpcA, res(TYPES.vpc, "vpc-u", { cidrBlock: UNKNOWN_WIRE })]), []);
    });
});

describe("policy 2: cluster-cidrs-disjoint", () => {
    const policy = fresh().clusterCidrsDisjoint;
    const vpc = res(TYPES.vpc, "vpc", { cidrBlock: "192.168.0.0/16" });
    const cluster = (name: string, pod: string | undefined, service: string) =>
        res(TYPES.cluster, name, { ...(pod ? { podCidr: pod } : {}), serviceCidr: service });

    it("passes disjoint pod, service and VPC ranges", async () => {
        assert.deepEqual(await validateStack(policy, [vpc, cluster("cp", "172.16.0.0/16", "172.19.0.0/20"), cluster("r1", "172.20.0.0/16", "172.21.0.0/20"), cluster("tw", undefined, "172.24.0.0/20")]), []);
    });

    it("fails a pod CIDR inside the VPC", async () => {
        const c = cluster("cp", "192.168.128.0/17", "172.19.0.0/20");
        const got = await validateStack(policy, [vpc, c]);
        assert.deepEqual(got.map(([, urn]) => urn), [c.urn]);
        assert.match(got[0][0], /^pod CIDR 192\.168\.128\.0\/17 of cluster "cp" overlaps VPC "vpc" \(192\.168\.0\.0\/16\)/);
    });

    it("fails a service CIDR inside the cluster's own pod CIDR", async () => {
        const got = await validateStack(policy, [cluster("cp", "172.16.0.0/12", "172.19.0.0/20")]);
        assert.equal(got.length, 1);
        assert.match(got[0][0], /^service CIDR 172\.19\.0\.0\/20 of cluster "cp" overlaps its own pod CIDR 172\.16\.0\.0\/12/);
    });

    it("fails a service CIDR shared with another cluster, on the later cluster", async () => {
        const a = cluster("a", undefined, "172.24.0.0/20");
        const b = cluster("b", undefined, "172.24.0.0/20");
        const got = await validateStack(policy, [a, b]);
        assert.deepEqual(got.map(([, urn]) => urn), [b.urn]);
        assert.match(got[0][0], /^service CIDR 172\.24\.0\.0\/20 of cluster "b" overlaps service CIDR 172\.24\.0\.0\/20 of cluster "a"/);
    });

    it("does not judge unknown CIDRs", async () => {
        assert.deepEqual(await validateStack(policy, [vpc, res(TYPES.cluster, "u", { podCidr: UNKNOWN_WIRE, serviceCidr: UNKNOWN_WIRE })]), []);
    });
});

describe("policy 3: no-internet-ingress", () => {
    const policy = fresh().noInternetIngress;
    const rule = (name: string, extra: Record<string, unknown>) =>
        res(TYPES.securityGroupRule, name, { type: "ingress", ipProtocol: "tcp", portRange: "15443/15443", nicType: "intranet", policy: "accept", securityGroupId: "sg-1", ...extra });

    it("passes a rule from a peer CIDR", async () => {
        assert.deepEqual(await validate(policy, rule("peer", { cidrIp: "10.11.0.0/16" })), []);
    });

    it("fails 0.0.0.0/0 and ::/0 ingress", async () => {
        assert.deepEqual(await validate(policy, rule("open4", { cidrIp: "0.0.0.0/0" })), [
            "ingress rule admits cidrIp 0.0.0.0/0 (tcp 15443/15443): every address on the internet. Fix: admit only the peer clusters' CIDRs or security groups (SecurityGroupPeering derives them from the mesh)",
        ]);
        const v6 = await validate(policy, rule("open6", { ipv6CidrIp: "::/0" }));
        assert.equal((v6 as string[]).length, 1);
        assert.match((v6 as string[])[0], /^ingress rule admits ipv6CidrIp ::\/0 \(tcp 15443\/15443\)/);
    });

    it("passes drop rules, egress rules and unknown sources", async () => {
        assert.deepEqual(await validate(policy, rule("deny", { cidrIp: "0.0.0.0/0", policy: "drop" })), []);
        assert.deepEqual(await validate(policy, rule("out", { cidrIp: "0.0.0.0/0", type: "egress" })), []);
        assert.deepEqual(await validate(policy, rule("later", { cidrIp: UNKNOWN_WIRE })), []);
    });

    it("is typed: not applicable to other resources", async () => {
        const got = await validate(policy, res(TYPES.vpc, "vpc", { cidrBlock: "0.0.0.0/0" }));
        assert.ok(got instanceof NotApplicable);
        assert.equal(got.reason, `Policy only applies to resources of type '${TYPES.securityGroupRule}'`);
    });
});

describe("policy 4: ack-min-workers", () => {
    const policy = fresh().minWorkers;
    const cluster = res(TYPES.cluster, "hz-cluster", { serviceCidr: "172.24.0.0/20" });
    const pool = (name: string, inputs: Record<string, unknown>) => res(TYPES.nodePool, name, { clusterId: UNKNOWN_WIRE, ...inputs }, { clusterId: [cluster] });

    it("passes 3 workers across pools (desiredSize is a string)", async () => {
        assert.deepEqual(await validateStack(policy, [cluster, pool("a", { desiredSize: "1" }), pool("b", { desiredSize: "2" })]), []);
    });

    it("fails fewer than 3 workers, on the cluster", async () => {
        const got = await validateStack(policy, [cluster, pool("a", { desiredSize: "1" }), pool("b", { desiredSize: "1" })]);
        assert.deepEqual(got, [
            [
                'cluster "hz-cluster" has 2 worker(s) across its node pools ("a": 1, "b": 1), fewer than 3: istiod, the gateways and their PodDisruptionBudgets need at least 3 nodes for HA. Fix: raise a node pool\'s desiredSize',
                cluster.urn,
            ],
        ]);
    });

    it("fails a cluster no node pool references", async () => {
        const got = await validateStack(policy, [cluster]);
        assert.equal(got.length, 1);
        assert.match(got[0][0], /has 0 worker\(s\) across its node pools \(no node pool references it\)/);
    });

    it("does not judge a short cluster while a pool size is unknown", async () => {
        assert.deepEqual(await validateStack(policy, [cluster, pool("a", { desiredSize: "1" }), pool("b", { desiredSize: UNKNOWN_WIRE })]), []);
    });

    it("takes the floor from policy config", async () => {
        assert.deepEqual(await validateStack(policy, [cluster, pool("a", { desiredSize: "1" })], { minWorkers: 1 }), []);
    });

    it("counts autoscaling minSize, deprecated nodeCount, and non-numeric desiredSize as 0", () => {
        assert.equal(nodePoolWorkers({ scalingConfig: { enable: true, minSize: 2, maxSize: 10 }, desiredSize: "5" }), 2);
        assert.equal(nodePoolWorkers({ scalingConfig: { minSize: 4 } }), 4);
        assert.equal(nodePoolWorkers({ scalingConfig: { enable: false, minSize: 0 }, desiredSize: "3" }), 3);
        assert.equal(nodePoolWorkers({ nodeCount: 3 }), 3);
        assert.equal(nodePoolWorkers({ desiredSize: "three" }), 0);
        assert.equal(nodePoolWorkers({}), 0);
    });
});

describe("policy 5: prod-cluster-deletion-protection", () => {
    const cluster = (protection: unknown) => res(TYPES.cluster, "beijing-cluster", protection === undefined ? {} : { deletionProtection: protection });

    it("passes a protected cluster in prod", async () => {
        assert.deepEqual(await validate(fresh("prod").prodDeletionProtection, cluster(true)), []);
    });

    it("fails an unprotected cluster in prod", async () => {
        assert.deepEqual(await validate(fresh("prod").prodDeletionProtection, cluster(false)), [
            'cluster "beijing-cluster" in stack "prod" has deletionProtection false: a destroy or a ForceNew change (podCidr, serviceCidr, proxyMode) would delete it. Fix: set deletionProtection: true',
        ]);
        const unset = await validate(fresh("prod-eu").prodDeletionProtection, cluster(undefined));
        assert.match((unset as string[])[0], /in stack "prod-eu" has deletionProtection unset \(off\)/);
    });

    it("is advisory, and not applicable outside prod stacks", async () => {
        assert.equal(fresh().prodDeletionProtection.enforcementLevel, "advisory");
        const got = await validate(fresh("dev").prodDeletionProtection, cluster(false));
        assert.ok(got instanceof NotApplicable);
        assert.equal(got.reason, 'stack "dev" does not match /^prod/i');
        assert.deepEqual(await validate(fresh("live").prodDeletionProtection, cluster(false), { stackPattern: "^(prod|live)" }), [
            'cluster "beijing-cluster" in stack "live" has deletionProtection false: a destroy or a ForceNew change (podCidr, serviceCidr, proxyMode) would delete it. Fix: set deletionProtection: true',
        ]);
    });

    it("does not judge an unknown setting", async () => {
        assert.deepEqual(await validate(fresh("prod").prodDeletionProtection, cluster(UNKNOWN_WIRE)), []);
    });
});

describe("policy 6: istio-chart-version-pinned", () => {
    const policy = fresh().istioChartPinned;
    const release = (chart: string, version?: string, repo: string | undefined = ISTIO_HELM_REPOSITORY) =>
        res(TYPES.helmRelease, `r-${chart.replace("/", "-")}`, { chart, ...(version === undefined ? {} : { version }), ...(repo ? { repositoryOpts: { repo } } : {}), namespace: "istio-system" });

    it("passes a pinned Istio chart", async () => {
        for (const chart of ["base", "istiod", "gateway"]) assert.deepEqual(await validate(policy, release(chart, "1.30.3")), [], chart);
    });

    it("fails a missing version and a range", async () => {
        assert.deepEqual(await validate(policy, release("istiod")), [
            'Istio chart "istiod" has no version: Helm installs whatever is newest. Fix: set version to the mesh\'s Istio release, e.g. "1.30.3"',
        ]);
        for (const range of ["1.30.x", "^1.30.0", ">=1.30", "~1.30.3", "*"]) {
            assert.deepEqual(await validate(policy, release("gateway", range)), [`Istio chart "gateway" has version "${range}", a range, not one release. Fix: pin an exact version such as "1.30.3"`], range);
        }
        assert.deepEqual(await validate(policy, release("istio/base", undefined, undefined)), [
            'Istio chart "base" has no version: Helm installs whatever is newest. Fix: set version to the mesh\'s Istio release, e.g. "1.30.3"',
        ]);
    });

    it("is not applicable to other charts; honours mirrors from config; skips unknown versions", async () => {
        assert.ok((await validate(policy, release("bookinfo"))) instanceof NotApplicable);
        assert.ok((await validate(policy, release("istiod", undefined, "https://charts.example.com/istio"))) instanceof NotApplicable);
        assert.equal((await validate(policy, release("istiod", undefined, "https://charts.example.com/istio/"), { repositories: ["https://charts.example.com/istio"] }) as string[]).length, 1);
        assert.deepEqual(await validate(policy, release("istiod", UNKNOWN_WIRE)), []);
    });

    it("recognizes Istio charts and exact versions", () => {
        assert.equal(istioChartOf("istiod", `${ISTIO_HELM_REPOSITORY}/`, [ISTIO_HELM_REPOSITORY]), "istiod");
        assert.equal(istioChartOf("istio/gateway", undefined, []), "gateway");
        assert.equal(istioChartOf("cni", ISTIO_HELM_REPOSITORY, [ISTIO_HELM_REPOSITORY]), undefined);
        for (const v of ["1.30.3", "v1.30.3", "1.31.0-rc.0", "1.30.3+build.1"]) assert.match(v, EXACT_CHART_VERSION);
        for (const v of ["1.30", "1.30.x", "01.30.3", "latest"]) assert.doesNotMatch(v, EXACT_CHART_VERSION);
    });
});

describe("policy 7: kubeconfig-is-secret", () => {
    const provider = (kubeconfig: unknown) => res(TYPES.kubernetesProvider, "hz-k8s", kubeconfig === undefined ? {} : { kubeconfig });
    const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n";

    it("runs at level remediate: only remediations see secret-ness", async () => {
        const policies = fresh();
        assert.equal(policies.kubeconfigSecret.enforcementLevel, "remediate");
        // Validations get secrets unwrapped: a secret and a plaintext kubeconfig look the same.
        assert.equal(resourceArgs(provider(wireSecret(KUBECONFIG))).props["kubeconfig"], KUBECONFIG);
        assert.equal(resourceArgs(provider(KUBECONFIG)).props["kubeconfig"], KUBECONFIG);
    });

    it("passes a secret kubeconfig", async () => {
        const policy = fresh().kubeconfigSecret;
        const p = provider(wireSecret(KUBECONFIG));
        assert.equal(await remediate(policy, p), undefined);
        assert.deepEqual(await validate(policy, p), []);
    });

    it("fails a plaintext kubeconfig", async () => {
        const policy = fresh().kubeconfigSecret;
        const p = provider(KUBECONFIG);
        assert.equal(await remediate(policy, p), undefined);
        assert.deepEqual(await validate(policy, p), [
            'provider "hz-k8s" gets its kubeconfig in plaintext: the state file and every diff would hold cluster-admin credentials. Fix: wrap it in pulumi.secret() where it is created (or run this policy with fix: true)',
        ]);
    });

    it("fails a provider without a kubeconfig (ambient credentials)", async () => {
        const policy = fresh().kubeconfigSecret;
        const p = provider(undefined);
        await remediate(policy, p);
        const got = (await validate(policy, p)) as string[];
        assert.equal(got.length, 1);
        assert.match(got[0], /^provider "hz-k8s" has no kubeconfig: it falls back to the ambient KUBECONFIG/);
    });

    it("with fix: true, marks a plaintext kubeconfig secret instead", async () => {
        const { remediations, diagnostics } = await runPack([fresh().kubeconfigSecret], [provider(KUBECONFIG)], { config: { [POLICY_NAMES.kubeconfigSecret]: { fix: true } } });
        assert.deepEqual(diagnostics, []);
        assert.equal(remediations.length, 1);
        const kubeconfig = remediations[0].properties["kubeconfig"];
        assert.ok(isWireSecret(kubeconfig));
        assert.equal(kubeconfig.value, KUBECONFIG);
    });

    it("reports as mandatory through the engine's passes; not applicable when no remediation ran", async () => {
        const run = await runPack(fresh().all, [provider(KUBECONFIG)]);
        assert.deepEqual(run.diagnostics.map((d) => [d.policyName, d.enforcementLevel]), [[POLICY_NAMES.kubeconfigSecret, "mandatory"]]);
        const demoted = await runPack([fresh().kubeconfigSecret], [provider(KUBECONFIG)], { config: { [POLICY_NAMES.kubeconfigSecret]: { enforcementLevel: "mandatory" } } });
        assert.deepEqual(demoted.diagnostics, []);
        assert.deepEqual(demoted.notApplicable.map((n) => n.reason), ["secret-ness is only visible to remediations: run this policy at enforcement level 'remediate'"]);
    });

    it("matches the type token, since validateResourceOfType(kubernetes.Provider) never would", () => {
        const args = resourceArgs(provider(wireSecret(KUBECONFIG)));
        assert.equal(args.isType(KubernetesProvider), false, "k8s.Provider.__pulumiType is 'kubernetes', not 'pulumi:providers:kubernetes'");
    });

    it("does not judge an unknown kubeconfig", async () => {
        const policy = fresh().kubeconfigSecret;
        for (const kubeconfig of [UNKNOWN_WIRE, wireSecret(UNKNOWN_WIRE)]) {
            const p = provider(kubeconfig);
            await remediate(policy, p);
            assert.deepEqual(await validate(policy, p), []);
        }
    });
});

describe("policy 8: mesh-secrets-are-secret", () => {
    const secret = (name: string, inputs: Record<string, unknown>, labels?: Record<string, string>) =>
        res(TYPES.kubernetesSecret, `${name}-res`, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "istio-system", ...(labels ? { labels } : {}) }, type: "Opaque", ...inputs });
    const PEM = "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n";

    async function check(r: AnalyzedResource, config: Record<string, unknown> = {}) {
        const policy = fresh().meshSecretsSecret;
        const remediated = await remediate(policy, r, config).catch((e: unknown) => {
            if (e instanceof NotApplicable) return e;
            throw e;
        });
        return { remediated, reported: await validate(policy, r, config) };
    }

    it("passes cacerts whose stringData is secret (whole, or entry by entry)", async () => {
        assert.deepEqual((await check(secret("cacerts", { stringData: wireSecret({ "ca-key.pem": PEM, "ca-cert.pem": "c" }) }))).reported, []);
        assert.deepEqual((await check(secret("cacerts", { stringData: { "ca-key.pem": wireSecret(PEM) } }))).reported, []);
    });

    it("fails cacerts and remote secrets with plaintext values, naming them", async () => {
        assert.deepEqual((await check(secret("cacerts", { stringData: { "ca-key.pem": PEM, "ca-cert.pem": wireSecret("c") } }))).reported, [
            "the Istio plug-in CA Secret `cacerts` has plaintext values (stringData.ca-key.pem): the state file and diffs would hold the mesh's CA key or cluster credentials. Fix: wrap them in pulumi.secret() (or run this policy with fix: true)",
        ]);
        const remote = await check(secret("istio-remote-secret-shanghai", { data: { shanghai: "a3ViZWNvbmZpZw==" } }));
        assert.match((remote.reported as string[])[0], /^the Istio remote secret "istio-remote-secret-shanghai" has plaintext values \(data\.shanghai\)/);
        const labelled = await check(secret("reads-shanghai", { stringData: { shanghai: "kubeconfig" } }, { "istio/multiCluster": "true" }));
        assert.equal((labelled.reported as string[]).length, 1);
    });

    it("fails a mesh secret without data", async () => {
        assert.deepEqual((await check(secret("cacerts", {}))).reported, ["the Istio plug-in CA Secret `cacerts` carries no data (neither data nor stringData). Fix: create it with its keys, as secrets"]);
    });

    it("with fix: true, marks the plaintext entries secret", async () => {
        const { remediations, diagnostics } = await runPack([fresh().meshSecretsSecret], [secret("cacerts", { stringData: { "ca-key.pem": PEM, "ca-cert.pem": wireSecret("c") } })], {
            config: { [POLICY_NAMES.meshSecretsSecret]: { fix: true } },
        });
        assert.deepEqual(diagnostics, []);
        const stringData = remediations[0].properties["stringData"] as Record<string, unknown>;
        assert.ok(isWireSecret(stringData["ca-key.pem"]) && isWireSecret(stringData["ca-cert.pem"]));

        // A field that is already secret is left as it is (not wrapped twice).
        const mixed = await runPack([fresh().meshSecretsSecret], [secret("cacerts", { data: wireSecret({ "root-cert.pem": "r" }), stringData: { "ca-key.pem": PEM } })], {
            config: { [POLICY_NAMES.meshSecretsSecret]: { fix: true } },
        });
        const data = mixed.remediations[0].properties["data"];
        assert.ok(isWireSecret(data) && !isWireSecret(data.value), JSON.stringify(data));
    });

    it("is not applicable to other Secrets, and skips unknown names", async () => {
        const other = await check(secret("istio-reader-token", { data: { token: "x" } }));
        assert.ok(other.remediated instanceof NotApplicable && other.reported instanceof NotApplicable);
        assert.deepEqual((await check(res(TYPES.kubernetesSecret, "u", { metadata: UNKNOWN_WIRE, stringData: { k: "v" } }))).reported, []);
    });
});

describe("policy pack", () => {
    it("has the eight rules with their enforcement levels, in order", () => {
        const all = fresh().all;
        assert.deepEqual(
            all.map((p) => [p.name, p.enforcementLevel]),
            [
                [POLICY_NAMES.networkCidrsDisjoint, "mandatory"],
                [POLICY_NAMES.clusterCidrsDisjoint, "mandatory"],
                [POLICY_NAMES.noInternetIngress, "mandatory"],
                [POLICY_NAMES.minWorkers, "mandatory"],
                [POLICY_NAMES.prodDeletionProtection, "advisory"],
                [POLICY_NAMES.istioChartPinned, "mandatory"],
                [POLICY_NAMES.kubeconfigSecret, "remediate"],
                [POLICY_NAMES.meshSecretsSecret, "remediate"],
            ],
        );
        for (const p of all) assert.match(p.description, /(Mandatory|Advisory|level `remediate`)/, p.name);
    });
});
