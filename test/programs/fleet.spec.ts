/**
 * The fleet (programs/fleet) simulated end to end: every stack of an
 * environment in order on one simulated cloud, each reading the earlier
 * ones through stack references. Checks the per-stack children, that
 * secrets stay secret across stacks, the cross-stack wiring, the same
 * resources as the monolith, the plan-hash check, and what adding a
 * cluster changes per stack.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { ConfigError } from "../../config/errors";
import { runAckMesh } from "../../programs/ack-mesh/program";
import * as pulumi from "@pulumi/pulumi";
import { RemoteSecretTarget, remoteSecretKubeconfig } from "../../components/remoteSecret";
import { runFleetCluster } from "../../programs/fleet/cluster";
import { runFleetMesh } from "../../programs/fleet/mesh";
import { runFleetSecurityGroups } from "../../programs/fleet/securityGroups";
import { configForStack, fleetStackRef } from "../../programs/fleet/layout";
import { FleetRefs, PLAN_MISMATCH_HEADING } from "../../programs/fleet/stackRefs";
import { diffFleet, FleetSimulation, fleetCanonicalPlans, fleetSourceOf, simulateFleet } from "../../programs/fleet/simulate";
import { renderFleetDiff } from "../../scripts/fleet";
import { canonicalPlan, containsUnknown, diffPlans, isSecretOutput, PlanDiff, promiseOf, readStackConfig, RecordedResource, ROOT, Secret, simulate, SimulationError, SimulationResult } from "../support";

const T = {
    cluster: "alicloud:cs/managedKubernetes:ManagedKubernetes",
    sg: "alicloud:ecs/securityGroup:SecurityGroup",
    rule: "alicloud:ecs/securityGroupRule:SecurityGroupRule",
    secret: "kubernetes:core/v1:Secret",
    release: "kubernetes:helm.sh/v3:Release",
    k8sProvider: "pulumi:providers:kubernetes",
    remoteSecret: "ack-mesh:mesh:RemoteSecret",
} as const;

const fleets = new Map<string, Promise<FleetSimulation>>();
function fleet(env: string): Promise<FleetSimulation> {
    if (!fleets.has(env)) fleets.set(env, simulateFleet(env));
    return fleets.get(env)!;
}
const monoliths = new Map<string, Promise<SimulationResult>>();
function monolith(env: string): Promise<SimulationResult> {
    if (!monoliths.has(env)) {
        const { config, secretConfigKeys } = readStackConfig(path.join(ROOT, "stacks", `Pulumi.${env}.yaml`));
        monoliths.set(env, simulate(runAckMesh, { project: "ack-mesh", stack: env, config, secretConfigKeys }));
    }
    return monoliths.get(env)!;
}
async function stackOf(env: string, id: string): Promise<SimulationResult> {
    const s = (await fleet(env)).stacks.find((x) => x.stack === id);
    assert.ok(s, `${env} has a stack ${id}`);
    return s.result;
}
const providerName = (r: RecordedResource) => r.providerUrn?.split("::")[3];
/** The network stack's outputs with cluster `name`'s plan hash replaced, as if the network had been built from another plan of it. */
function staleFor(network: Record<string, unknown>, name: string): Record<string, unknown> {
    const clusters = network.clusters as Record<string, Record<string, unknown>>;
    return { ...network, clusters: { ...clusters, [name]: { ...clusters[name], planHash: "sha256:0123" } } };
}
const unsecret = (v: unknown) => (v instanceof Secret ? v.value : v);
/** Whether `needle` occurs in a string anywhere in `v`, secrets unwrapped (their JSON is "[secret]"). */
function holds(v: unknown, needle: string): boolean {
    if (v instanceof Secret) return holds(v.value, needle);
    if (typeof v === "string") return v.includes(needle);
    if (Array.isArray(v)) return v.some((x) => holds(x, needle));
    if (v !== null && typeof v === "object") return Object.values(v).some((x) => holds(x, needle));
    return false;
}

/** The fleet example with a third remote of bj-primary, bj-apps-3, in its shared VPC; simulated once. */
function fleetWithBjApps3() {
    const source = fleetSourceOf("fleet");
    const clusters = source.config["ack-mesh:clusters"] as Record<string, Record<string, unknown>>;
    return { ...source, config: { ...source.config, "ack-mesh:clusters": { ...clusters, "bj-apps-3": { ...clusters["bj-apps-1"], slot: 49 } } } };
}
let bjApps3: Promise<FleetSimulation> | undefined;
const simulatedWithBjApps3 = () => (bjApps3 ??= simulateFleet(fleetWithBjApps3()));

/**
 * The stacks a change of bj-apps-3 (added or removed) touches: its own, the network's, every group (rules
 * admitting it), the other primary's mesh stack (it reads bj-apps-3; bj-apps-3 pushes its own secret into
 * bj-primary) and Bookinfo's; no existing cluster stack.
 */
const TOUCHED_BY_BJ_APPS_3 = ["app-bookinfo", "cluster-bj-apps-3", "mesh-sh-primary", "network", "sg-bj-apps-1", "sg-bj-apps-2", "sg-bj-apps-3", "sg-bj-primary", "sg-sh-apps-1", "sg-sh-apps-2", "sg-sh-primary"];

/** The stacks with changes, asserting each has only changes of `kind`. */
function changedStacks(diffs: Record<string, PlanDiff>, kind: "create" | "delete"): string[] {
    const changed = Object.entries(diffs).filter(([, d]) => d.counts.create + d.counts.update + d.counts.replace + d.counts.delete > 0);
    for (const [id, d] of changed) assert.equal(d.counts.create + d.counts.update + d.counts.replace + d.counts.delete, d.counts[kind], `${id} only ${kind}s`);
    return changed.map(([id]) => id);
}

describe("fleet: every stack simulated in order", function () {
    this.timeout(180_000);

    it("runs the stacks of each environment in layer order and reports each one", async () => {
        const expected: Record<string, string[]> = {
            dev: ["network", "ca", "sg-istio-control-plane", "sg-istio-remote1", "cluster-istio-control-plane", "cluster-istio-remote1", "mesh-istio-control-plane", "app-bookinfo"],
            staging: ["network", "ca", "sg-hangzhou", "sg-shanghai", "cluster-hangzhou", "cluster-shanghai", "mesh-hangzhou", "app-bookinfo"],
            prod: ["network", "ca", "sg-beijing", "sg-shanghai", "cluster-beijing", "cluster-shanghai", "mesh-beijing", "mesh-shanghai", "app-bookinfo"],
            fleet: [
                "network",
                "ca",
                "sg-bj-apps-1",
                "sg-bj-apps-2",
                "sg-bj-primary",
                "sg-sh-apps-1",
                "sg-sh-apps-2",
                "sg-sh-primary",
                "cluster-bj-primary",
                "cluster-sh-primary",
                "cluster-bj-apps-1",
                "cluster-bj-apps-2",
                "cluster-sh-apps-1",
                "cluster-sh-apps-2",
                "mesh-bj-primary",
                "mesh-sh-primary",
                "app-bookinfo",
            ],
        };
        for (const env of ["dev", "staging", "prod", "fleet"]) {
            const f = await fleet(env);
            assert.deepEqual(f.stacks.map((s) => s.stack), expected[env]);
            for (const s of f.stacks) {
                assert.equal(s.registrations, s.result.resources.length + s.result.reads.length);
                assert.ok(s.evalMs >= 0);
                assert.deepEqual(s.result.warnings, [], `${env}/${s.stack} warnings`);
            }
            assert.equal(f.pool, 8);
            assert.equal(f.fleetMinutes, Math.round(f.phases.reduce((a, p) => a + p.minutes, 0) * 1000) / 1000);
        }
    });

    it("fleet time: layers in sequence, each the slowest stack of the layer while the pool holds them all", async () => {
        const f = await fleet("prod");
        const cp = (id: string) => f.stacks.find((s) => s.stack === id)!.criticalPathMinutes;
        assert.deepEqual(
            f.phases.map((p) => [p.layer, p.stacks, p.minutes]),
            [
                ["network", ["network", "ca"], Math.max(cp("network"), cp("ca"))],
                ["security-groups", ["sg-beijing", "sg-shanghai"], Math.max(cp("sg-beijing"), cp("sg-shanghai"))],
                ["primaries", ["cluster-beijing", "cluster-shanghai"], Math.max(cp("cluster-beijing"), cp("cluster-shanghai"))],
                ["mesh", ["mesh-beijing", "mesh-shanghai"], Math.max(cp("mesh-beijing"), cp("mesh-shanghai"))],
                ["apps", ["app-bookinfo"], cp("app-bookinfo")],
            ],
        );
        const serial = await simulateFleet("prod", { pool: 1 });
        assert.equal(serial.phases[2].minutes, Math.round((serial.stacks[4].criticalPathMinutes + serial.stacks[5].criticalPathMinutes) * 1000) / 1000);
    });

    it("a remote's stack: its cluster in the group of its sg stack, IstioRemote, and its remote secret in its primary through the primary's kubeconfig", async () => {
        const r = await stackOf("staging", "cluster-shanghai");
        assert.deepEqual(
            r.resources.filter((x) => x.custom).map((x) => `${x.type} ${x.name} @${providerName(x) ?? "-"}`).sort(),
            [
                "alicloud:cs/managedKubernetes:ManagedKubernetes shanghai-cluster @alicloud-cn-shanghai",
                "alicloud:cs/nodePool:NodePool shanghai-np-default @alicloud-cn-shanghai",
                "kubernetes:core/v1:Namespace mesh-shanghai-ns @shanghai-k8s",
                "kubernetes:core/v1:Secret mesh-shanghai-reader-token @shanghai-k8s",
                "kubernetes:core/v1:Secret mesh-shanghai-remote-secret-secret @hangzhou-k8s",
                "kubernetes:helm.sh/v3:Release mesh-shanghai-base @shanghai-k8s",
                "kubernetes:helm.sh/v3:Release mesh-shanghai-istiod @shanghai-k8s",
                "pulumi:providers:alicloud alicloud-cn-shanghai @-",
                "pulumi:providers:kubernetes hangzhou-k8s @-",
                "pulumi:providers:kubernetes shanghai-k8s @-",
            ],
        );
        assert.deepEqual(r.reads.map((x) => `${x.type} ${x.name} ${String(x.inputs.name)}`).sort(), [
            "pulumi:pulumi:StackReference ref-cluster-hangzhou organization/ack-mesh-cluster-hangzhou/staging",
            "pulumi:pulumi:StackReference ref-network organization/ack-mesh-network/staging",
            "pulumi:pulumi:StackReference ref-sg-shanghai organization/ack-mesh-sg-shanghai/staging",
        ]);
        const sg = (await stackOf("staging", "sg-shanghai")).outputs.securityGroupId;
        const ack = r.resources.find((x) => x.type === T.cluster)!;
        assert.equal(ack.inputs.securityGroupId, sg);
        assert.deepEqual(r.resources.find((x) => x.type === "alicloud:cs/nodePool:NodePool")!.inputs.securityGroupIds, [sg]);
    });

    it("an sg stack: the cluster's group and every ingress rule into it, in its region, reading only the network stack", async () => {
        const r = await stackOf("staging", "sg-shanghai");
        assert.deepEqual(
            r.resources.filter((x) => x.custom).map((x) => `${x.type} ${x.name} @${providerName(x) ?? "-"}`).sort(),
            [
                "alicloud:ecs/securityGroup:SecurityGroup sg-sg-shanghai @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-from-hangzhou-apiserver-pods-cn-hangzhou-h @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-from-hangzhou-apiserver-pods-cn-hangzhou-i @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-from-hangzhou-app9080-pods-cn-hangzhou-h @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-from-hangzhou-app9080-pods-cn-hangzhou-i @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-from-hangzhou-icmp-nodes-cn-hangzhou-h @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-from-hangzhou-icmp-nodes-cn-hangzhou-i @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-self-pods-cn-shanghai-l @alicloud-cn-shanghai",
                "alicloud:ecs/securityGroupRule:SecurityGroupRule sg-shanghai-self-pods-cn-shanghai-m @alicloud-cn-shanghai",
                "pulumi:providers:alicloud alicloud-cn-shanghai @-",
            ],
        );
        assert.deepEqual(r.reads.map((x) => `${x.type} ${x.name} ${String(x.inputs.name)}`), ["pulumi:pulumi:StackReference ref-network organization/ack-mesh-network/staging"]);
        assert.deepEqual(Object.keys(r.outputs), ["securityGroupId"]);
        assert.equal(r.outputs.securityGroupId, r.resources.find((x) => x.type === T.sg)!.id);
    });

    it("the rules between a remote and its primary are in the security-group layer, which finishes before any cluster stack starts", async () => {
        for (const [env, remote, primary] of [["staging", "shanghai", "hangzhou"], ["fleet", "sh-apps-1", "sh-primary"]]) {
            const f = await fleet(env);
            const rulesIn = (id: string, prefix: string) => f.stacks.find((s) => s.stack === id)!.result.resources.filter((x) => x.type === T.rule && x.name.startsWith(prefix));
            assert.ok(rulesIn(`sg-${remote}`, `sg-${remote}-from-${primary}-`).length > 0, `${env}: ${remote}'s group admits ${primary}`);
            assert.ok(rulesIn(`sg-${primary}`, `sg-${primary}-from-${remote}-istiod-xds-`).length > 0, `${env}: ${primary}'s group admits ${remote}'s xDS`);
            const layers = f.phases.map((p) => p.layer);
            assert.ok(layers.indexOf("security-groups") < layers.indexOf("primaries") && layers.indexOf("primaries") < layers.indexOf("remotes"), layers.join(" "));
            for (const s of f.stacks.filter((x) => x.layer === "primaries" || x.layer === "remotes")) {
                assert.deepEqual(s.result.resources.filter((x) => x.type === T.rule || x.type === T.sg).map((x) => x.name), [], `${env}/${s.stack} holds no group or rule`);
            }
        }
    });

    it("keeps secrets secret: exported kubeconfig, reader token and CA material, and the providers and secrets built from them", async () => {
        for (const [env, id] of [["staging", "cluster-hangzhou"], ["staging", "cluster-shanghai"], ["prod", "cluster-beijing"]]) {
            const out = (await stackOf(env, id)).outputs;
            assert.ok(out.kubeconfig instanceof Secret, `${id} kubeconfig`);
            assert.ok(!(out.cluster instanceof Secret), `${id} handle data is plain`);
            // The single primary of staging is read by no other cluster, so it has no reader token.
            if (id === "cluster-hangzhou") assert.equal(out.readerToken, undefined);
            else assert.ok(out.readerToken instanceof Secret, `${id} readerToken`);
        }
        const network = (await stackOf("prod", "network")).outputs;
        assert.ok(!(network.clusters instanceof Secret));
        const ca = (await stackOf("prod", "ca")).outputs;
        assert.ok(ca.cacerts instanceof Secret);
        const remote = await stackOf("staging", "cluster-shanghai");
        const primaryProvider = remote.resources.find((x) => x.type === T.k8sProvider && x.name === "hangzhou-k8s")!;
        assert.ok(primaryProvider.inputs.kubeconfig instanceof Secret, "a provider from another stack's kubeconfig has it as a secret input");
        const pushed = remote.resources.find((x) => x.name === "mesh-shanghai-remote-secret-secret")!;
        assert.ok(pushed.inputs.stringData instanceof Secret);
        const mesh = await stackOf("prod", "mesh-beijing");
        for (const s of mesh.resources.filter((x) => x.type === T.secret)) assert.ok(s.inputs.stringData instanceof Secret, s.name);
        for (const p of mesh.resources.filter((x) => x.type === T.k8sProvider)) assert.ok(p.inputs.kubeconfig instanceof Secret, p.name);
        const cacerts = (await stackOf("prod", "cluster-beijing")).resources.find((x) => x.type === T.secret && (x.inputs.metadata as { name?: string }).name === "cacerts")!;
        assert.ok(cacerts.inputs.stringData instanceof Secret, "cacerts built from the ca stack's secret output");
    });

    it("secrets only where they are read: the CA is in the ca stack, which only primaries read; the network stack, read by every cluster, exports no secret", async () => {
        const secretOutputs = (r: SimulationResult) => Object.entries(r.outputs).filter(([, v]) => v instanceof Secret).map(([k]) => k);
        for (const env of ["prod", "fleet"]) {
            const f = await fleet(env);
            assert.deepEqual(secretOutputs(await stackOf(env, "network")), [], `${env} network`);
            assert.deepEqual(secretOutputs(await stackOf(env, "ca")), ["cacerts"], `${env} ca`);
            assert.deepEqual((await stackOf(env, "network")).resources.filter((x) => x.type.startsWith("tls:")), [], `${env}: no CA resource in network`);
            const readers = f.stacks.filter((s) => s.result.reads.some((r) => r.name === "ref-ca")).map((s) => s.stack);
            assert.deepEqual(readers, f.stacks.filter((s) => s.layer === "primaries").map((s) => s.stack), `${env}: only primaries read the ca stack`);
        }
        // Without a shared root the ca stack is empty and nobody reads it.
        assert.deepEqual((await stackOf("staging", "ca")).resources.map((x) => x.type), ["pulumi:pulumi:Stack"]);
        assert.deepEqual((await stackOf("staging", "ca")).outputs, {});
        assert.ok((await fleet("staging")).stacks.every((s) => !s.result.reads.some((r) => r.name === "ref-ca")));
    });

    it("a root CA from secret config (mesh.ca.source: config) is read by the ca stack (under ack-mesh:, not the project namespace), and its key is in no other stack", async () => {
        // A real PEM pair: the root the prod fleet's ca stack generated.
        const ca = await stackOf("prod", "ca");
        const keyPem = unsecret(ca.resources.find((x) => x.name === "mesh-ca-root-key")!.outputs.privateKeyPem) as string;
        const certPem = ca.resources.find((x) => x.name === "mesh-ca-root-cert")!.outputs.certPem as string;
        const source = fleetSourceOf("prod");
        const mesh = source.config["ack-mesh:mesh"] as { ca?: Record<string, unknown> };
        const f = await simulateFleet({
            ...source,
            config: { ...source.config, "ack-mesh:mesh": { ...mesh, ca: { ...mesh.ca, source: "config" } }, "ack-mesh:caRootCert": certPem, "ack-mesh:caRootKey": keyPem },
            secretConfigKeys: [...(source.secretConfigKeys ?? []), "ack-mesh:caRootCert", "ack-mesh:caRootKey"],
        });
        const keyLine = keyPem.split("\n")[1];
        const holders = f.stacks.filter((s) => holds([s.result.resources, s.result.reads, s.result.outputs], keyLine)).map((s) => s.stack);
        assert.deepEqual(holders, ["ca"]);
        const newCa = f.stacks.find((s) => s.stack === "ca")!.result;
        assert.equal(newCa.resources.some((x) => x.name === "mesh-ca-root-key"), false, "the root is not generated");
        assert.ok(holds(newCa.resources, keyLine), "the configured root signs the intermediates");
    });

    it("wires each stack to the outputs of the stacks it reads", async () => {
        const network = (await stackOf("staging", "network")).outputs;
        const clusters = network.clusters as Record<string, { vpcId: string; role: string; controlledBy: string; vswitchIds: Record<string, string>; podVswitchIds: Record<string, string> }>;
        const hz = await stackOf("staging", "cluster-hangzhou");
        const ack = hz.resources.find((x) => x.type === T.cluster)!;
        assert.deepEqual(ack.inputs.vswitchIds, Object.values(clusters.hangzhou.vswitchIds));
        assert.deepEqual(ack.inputs.podVswitchIds, Object.values(clusters.hangzhou.podVswitchIds));
        assert.deepEqual([clusters.hangzhou.role, clusters.hangzhou.controlledBy, clusters.shanghai.role, clusters.shanghai.controlledBy], ["primary", "hangzhou", "remote", "hangzhou"]);
        assert.equal((await stackOf("staging", "sg-hangzhou")).resources.find((x) => x.type === T.sg)!.inputs.vpcId, clusters.hangzhou.vpcId);
        const remote = await stackOf("staging", "cluster-shanghai");
        const istiod = remote.resources.find((x) => x.type === T.release && x.name === "mesh-shanghai-istiod")!;
        const values = unsecret(istiod.inputs.values) as { global: { remotePilotAddress: string } };
        assert.equal(values.global.remotePilotAddress, hz.outputs.eastWestAddress);
        const primaryProvider = remote.resources.find((x) => x.name === "hangzhou-k8s")!;
        assert.equal(unsecret(primaryProvider.inputs.kubeconfig), unsecret(hz.outputs.kubeconfig));
        const pushed = unsecret(remote.resources.find((x) => x.name === "mesh-shanghai-remote-secret-secret")!.inputs.stringData) as Record<string, string>;
        const token = unsecret(remote.outputs.readerToken) as { token: string };
        assert.ok(pushed.shanghai.includes(`token: ${token.token}`));
        assert.ok(pushed.shanghai.includes(`server: ${(remote.outputs.cluster as { apiServerUrl: string }).apiServerUrl}`));
        const mesh = await stackOf("prod", "mesh-beijing");
        const bj = await stackOf("prod", "cluster-beijing");
        const sh = await stackOf("prod", "cluster-shanghai");
        const reads = unsecret(mesh.resources.find((x) => x.name === "mesh-beijing-reads-shanghai-secret")!.inputs.stringData) as Record<string, string>;
        const shReader = unsecret(sh.outputs.readerToken) as { token: string; caData: string };
        assert.equal(
            reads.shanghai,
            remoteSecretKubeconfig({ clusterName: "shanghai", server: (sh.outputs.cluster as { apiServerUrl: string }).apiServerUrl, caData: shReader.caData, token: shReader.token }),
        );
        assert.equal(providerName(mesh.resources.find((x) => x.name === "mesh-beijing-reads-shanghai-secret")!), "beijing-k8s");
        assert.equal(unsecret(mesh.resources.find((x) => x.name === "beijing-k8s")!.inputs.kubeconfig), unsecret(bj.outputs.kubeconfig));
    });

    it("a remote secret's target read from another stack keeps the reader token and CA secret", async () => {
        const f = await fleet("prod");
        const stackReferences = Object.fromEntries(f.stacks.map((s) => [fleetStackRef("organization", s.stack, "prod"), s.result.outputs]));
        let target: RemoteSecretTarget | undefined;
        await simulate(
            () => {
                target = new FleetRefs().remoteSecretTarget("shanghai");
            },
            { project: "ack-mesh-mesh-beijing", stack: "prod", stackReferences },
        );
        const sh = await stackOf("prod", "cluster-shanghai");
        const reader = unsecret(sh.outputs.readerToken) as { token: string; caData: string };
        assert.equal(target!.clusterName, "shanghai");
        for (const [key, expected] of [
            ["token", reader.token],
            ["caData", reader.caData],
            ["apiServerUrl", (sh.outputs.cluster as { apiServerUrl: string }).apiServerUrl],
        ] as const) {
            const value = target![key] as pulumi.Output<string>;
            assert.equal(await isSecretOutput(value), true, key);
            assert.equal(await promiseOf(value), expected, key);
        }
    });

    it("a mesh stack whose target's stack exports no reader token names the stack and the output, and creates no remote secret", async () => {
        const f = await fleet("prod");
        const stackReferences = Object.fromEntries(f.stacks.map((s) => [fleetStackRef("organization", s.stack, "prod"), s.result.outputs]));
        const { readerToken: _, ...withoutToken } = (await stackOf("prod", "cluster-shanghai")).outputs;
        stackReferences[fleetStackRef("organization", "cluster-shanghai", "prod")] = withoutToken;
        const err = await simulate(() => runFleetMesh("beijing"), { project: "ack-mesh-mesh-beijing", stack: "prod", config: fleetSourceOf("prod").config, stackReferences }).then(
            () => assert.fail("expected a failure"),
            (e: unknown) => e as SimulationError,
        );
        assert.ok(err instanceof SimulationError);
        assert.ok(err.message.includes("Required output 'readerToken' does not exist on stack 'organization/ack-mesh-cluster-shanghai/prod'."), err.message);
        assert.deepEqual(err.result.resources.filter((x) => x.type === T.secret).map((x) => x.name), []);
    });

    it("several primaries: the mesh stacks hold primaries × (clusters − 1) minus the remotes' own secrets, one stack per watcher", async () => {
        const secretsOf = async (id: string) => (await stackOf("fleet", id)).resources.filter((x) => x.type === T.remoteSecret).map((x) => x.name);
        // 2 primaries × 5 other clusters = 10 pairs; the 4 remotes push their own secret into their primary.
        assert.deepEqual(await secretsOf("mesh-bj-primary"), ["mesh-bj-primary-reads-sh-apps-1", "mesh-bj-primary-reads-sh-apps-2", "mesh-bj-primary-reads-sh-primary"]);
        const mesh = await stackOf("fleet", "mesh-sh-primary");
        assert.deepEqual(mesh.resources.filter((x) => x.type === T.k8sProvider).map((x) => x.name), ["sh-primary-k8s"]);
        assert.deepEqual([...(await secretsOf("mesh-bj-primary")), ...(await secretsOf("mesh-sh-primary"))].sort(), [
            "mesh-bj-primary-reads-sh-apps-1",
            "mesh-bj-primary-reads-sh-apps-2",
            "mesh-bj-primary-reads-sh-primary",
            "mesh-sh-primary-reads-bj-apps-1",
            "mesh-sh-primary-reads-bj-apps-2",
            "mesh-sh-primary-reads-bj-primary",
        ]);
        const remote = await stackOf("fleet", "cluster-sh-apps-1");
        assert.deepEqual(remote.resources.filter((x) => x.type === T.remoteSecret).map((x) => x.name), ["mesh-sh-apps-1-remote-secret"]);
        assert.equal(providerName(remote.resources.find((x) => x.name === "mesh-sh-apps-1-remote-secret-secret")!), "sh-primary-k8s");
    });

    for (const env of ["dev", "staging", "prod", "fleet"]) {
        it(`${env}: the same cloud resources as the monolith, split across the stacks`, async () => {
            const f = await fleet(env);
            const mono = await monolith(env);
            const cloud = (rs: RecordedResource[]) => rs.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:")).map((x) => `${x.type} ${x.name}`);
            const fleetNames = f.stacks.flatMap((s) => cloud(s.result.resources)).sort();
            assert.deepEqual(fleetNames, cloud(mono.resources).sort());
            assert.equal(new Set(fleetNames).size, fleetNames.length, "no resource in two stacks");
            const rules = (rs: RecordedResource[]) => rs.filter((x) => x.type === T.rule).map((x) => [x.name, x.inputs.cidrIp, x.inputs.portRange, x.inputs.description]);
            assert.deepEqual(f.stacks.flatMap((s) => rules(s.result.resources)).sort(), rules(mono.resources).sort(), "the same rules, peer ranges from the plan");
            const remoteSecrets = (rs: RecordedResource[]) => rs.filter((x) => x.type === T.remoteSecret).length;
            assert.equal(f.stacks.reduce((a, s) => a + remoteSecrets(s.result.resources), 0), remoteSecrets(mono.resources));
        });
    }

    it("a cluster stack refuses to run on a network built from another plan, before any resource", async () => {
        const source = fleetSourceOf("staging");
        const network = (await stackOf("staging", "network")).outputs;
        const err = await simulate(() => runFleetCluster("hangzhou"), {
            project: "ack-mesh-cluster-hangzhou",
            stack: "staging",
            config: source.config,
            stackReferences: { [fleetStackRef("organization", "network", "staging")]: staleFor(network, "hangzhou") },
        }).then(
            () => assert.fail("expected a failure"),
            (e: unknown) => e as SimulationError,
        );
        assert.ok(err instanceof SimulationError);
        const error = err.errors.find((e): e is ConfigError => ConfigError.is(e));
        assert.ok(error, err.message);
        assert.equal(
            error.message,
            `${PLAN_MISMATCH_HEADING} (1 problem):\n` +
                `  - network.clusters.hangzhou.planHash: differs from the plan of cluster hangzhou computed from this config (${(network.clusters as Record<string, { planHash: string }>).hangzhou.planHash}): the cluster is new, or its zones, VPC or CIDRs changed, since the network stack last ran (got "sha256:0123"). ` +
                "Fix: run the network layer first (npm run fleet -- up staging runs it before the cluster's stacks)",
        );
        assert.deepEqual(err.result.resources.map((x) => x.type), ["pulumi:pulumi:Stack"]);
        assert.deepEqual(err.result.reads.map((x) => x.name), ["ref-network"]);
    });

    it("on a preview the mismatch is a warning, and what the network stack exports is unknown", async () => {
        const source = fleetSourceOf("staging");
        const network = (await stackOf("staging", "network")).outputs;
        const stackReferences = {
            [fleetStackRef("organization", "network", "staging")]: staleFor(network, "hangzhou"),
            [fleetStackRef("organization", "sg-hangzhou", "staging")]: (await stackOf("staging", "sg-hangzhou")).outputs,
        };
        const preview = (program: () => Promise<Record<string, unknown>>, project: string) => simulate(program, { project, stack: "staging", preview: true, config: source.config, stackReferences });
        for (const r of [await preview(() => runFleetCluster("hangzhou"), "ack-mesh-cluster-hangzhou"), await preview(() => runFleetSecurityGroups("hangzhou"), "ack-mesh-sg-hangzhou")]) {
            const warning = r.logs.find((l) => l.severity === "warning" && l.message.startsWith(PLAN_MISMATCH_HEADING));
            assert.ok(warning, JSON.stringify(r.logs));
            assert.ok(warning.message.endsWith("This preview shows what the network stack exports as unknown."), warning.message);
        }
        const ack = (await preview(() => runFleetCluster("hangzhou"), "ack-mesh-cluster-hangzhou")).resources.find((x) => x.type === T.cluster)!;
        assert.ok(containsUnknown(ack.inputs.vswitchIds), JSON.stringify(ack.inputs.vswitchIds));
        const sg = (await preview(() => runFleetSecurityGroups("hangzhou"), "ack-mesh-sg-hangzhou")).resources.find((x) => x.type === T.sg)!;
        assert.ok(containsUnknown(sg.inputs.vpcId));
    });

    it("an sg stack refuses to run on a network built from another plan, before any resource", async () => {
        const source = fleetSourceOf("staging");
        const network = (await stackOf("staging", "network")).outputs;
        const err = await simulate(() => runFleetSecurityGroups("shanghai"), {
            project: "ack-mesh-sg-shanghai",
            stack: "staging",
            config: source.config,
            stackReferences: { [fleetStackRef("organization", "network", "staging")]: staleFor(network, "shanghai") },
        }).then(
            () => assert.fail("expected a failure"),
            (e: unknown) => e as SimulationError,
        );
        assert.ok(err instanceof SimulationError);
        assert.ok(err.errors.some((e) => ConfigError.is(e) && e.message.startsWith(`${PLAN_MISMATCH_HEADING} (1 problem):`)), err.message);
        assert.deepEqual(err.result.resources.map((x) => x.type), ["pulumi:pulumi:Stack"]);
    });

    it("the rule quota is checked by the sg stack of the group that would exceed it, with the config's paths; the other stacks leave it to the orchestrator", async () => {
        const source = fleetSourceOf("staging");
        const rules = (await stackOf("staging", "sg-hangzhou")).resources.filter((r) => r.type === T.rule).length;
        const others = (await stackOf("staging", "sg-shanghai")).resources.filter((r) => r.type === T.rule).length;
        assert.ok(others < rules, `shanghai's group holds ${others} rules, hangzhou's ${rules}`);
        const config = { ...source.config, "ack-mesh:securityGroups": { maxRulesPerGroup: rules - 1 } };
        const stackReferences = Object.fromEntries(
            await Promise.all(["network", "sg-hangzhou", "sg-shanghai", "ca"].map(async (id) => [fleetStackRef("organization", id, "staging"), (await stackOf("staging", id)).outputs] as const)),
        );
        const run = (program: () => Promise<Record<string, unknown>>, id: string) => simulate(program, { project: `ack-mesh-${id}`, stack: "staging", config, stackReferences });
        const err = await run(() => runFleetSecurityGroups("hangzhou"), "sg-hangzhou").then(
            () => assert.fail("expected a failure"),
            (e: unknown) => e as SimulationError,
        );
        const error = err.errors.find((e): e is ConfigError => ConfigError.is(e));
        assert.ok(error, err.message);
        assert.deepEqual(
            error.problems.map((p) => [p.path, p.value]),
            [["clusters.hangzhou", rules]],
        );
        assert.deepEqual(err.result.resources.map((x) => x.type), ["pulumi:pulumi:Stack"]);
        // The other group fits: its stack runs, and so does the cluster stack, which creates no group.
        assert.equal((await run(() => runFleetSecurityGroups("shanghai"), "sg-shanghai")).resources.filter((r) => r.type === T.rule).length, others);
        assert.ok((await run(() => runFleetCluster("hangzhou"), "cluster-hangzhou")).resources.some((r) => r.type === T.cluster));
    });

    it("an sg stack of a cluster gone from the config says so, before any resource", async () => {
        const source = fleetSourceOf("staging");
        const err = await simulate(() => runFleetSecurityGroups("gone"), { project: "ack-mesh-sg-gone", stack: "staging", config: source.config }).then(
            () => assert.fail("expected a failure"),
            (e: unknown) => e as SimulationError,
        );
        const error = err.errors.find((e): e is ConfigError => ConfigError.is(e));
        assert.ok(error, err.message);
        assert.equal(
            error.message,
            'No cluster "gone" (1 problem):\n' +
                "  - clusters.gone: is not a cluster of this environment's config. " +
                "Fix: destroy the security-group stack of a removed cluster (npm run fleet -- up staging does, after the cluster's own stack), or add the cluster back",
        );
        assert.deepEqual(err.result.resources.map((x) => x.type), ["pulumi:pulumi:Stack"]);
    });
});

describe("fleet: adding a cluster", function () {
    this.timeout(180_000);

    /**
     * Previewed before the network runs (a pull request's preview), the stacks of `existing` read the
     * ids the network exports for it as they are (its part of the plan did not change): no warning,
     * the same VPC, vSwitches and group as deployed.
     */
    async function previewBeforeNetwork(env: string, next: { config: Record<string, unknown>; secretConfigKeys?: string[] }, existing: string) {
        const old = await fleet(env);
        const stackReferences = Object.fromEntries(old.stacks.map((s) => [fleetStackRef("organization", s.stack, env), s.result.outputs]));
        const preview = (program: () => Promise<Record<string, unknown>>, id: string) =>
            simulate(program, { project: `ack-mesh-${id}`, stack: env, preview: true, config: next.config, secretConfigKeys: next.secretConfigKeys, stackReferences });
        const sgPreview = await preview(() => runFleetSecurityGroups(existing), `sg-${existing}`);
        const clusterPreview = await preview(() => runFleetCluster(existing), `cluster-${existing}`);
        for (const r of [sgPreview, clusterPreview]) assert.deepEqual(r.logs.filter((l) => l.severity === "warning").map((l) => l.message), [], `${env}/${existing}`);
        const deployed = (id: string, type: string) => old.stacks.find((s) => s.stack === id)!.result.resources.find((x) => x.type === type)!;
        assert.equal(sgPreview.resources.find((x) => x.type === T.sg)!.inputs.vpcId, deployed(`sg-${existing}`, T.sg).inputs.vpcId);
        const oldAck = deployed(`cluster-${existing}`, T.cluster);
        const ack = clusterPreview.resources.find((x) => x.type === T.cluster)!;
        assert.deepEqual([ack.inputs.vswitchIds, ack.inputs.podVswitchIds, ack.inputs.securityGroupId], [oldAck.inputs.vswitchIds, oldAck.inputs.podVswitchIds, oldAck.inputs.securityGroupId]);
    }

    /** prod with a third primary in its own region and network. */
    function prodPlusHangzhou() {
        const source = fleetSourceOf("prod");
        const clusters = source.config["ack-mesh:clusters"] as Record<string, unknown>;
        return {
            ...source,
            config: {
                ...source.config,
                "ack-mesh:clusters": {
                    ...clusters,
                    hangzhou: {
                        displayName: "prod-hangzhou",
                        region: "cn-hangzhou",
                        zones: ["cn-hangzhou-h", "cn-hangzhou-i"],
                        role: "primary",
                        cni: "terway",
                        slot: 22,
                        nodePools: { system: { size: 3 } },
                        deletionProtection: true,
                    },
                },
            },
        };
    }

    it("a remote added to the fleet example: network, the sg stacks and mesh create, no existing cluster stack changes, the other primary reads it", async () => {
        const before = fleetCanonicalPlans(await fleet("fleet"));
        const diffs = diffFleet(before, fleetCanonicalPlans(await simulatedWithBjApps3()));
        assert.deepEqual(changedStacks(diffs, "create"), TOUCHED_BY_BJ_APPS_3);
        const created = (id: string) => diffs[id].resources.filter((r) => r.kind === "create");
        assert.deepEqual(created("mesh-sh-primary").filter((r) => r.type === T.remoteSecret).map((r) => r.name), ["mesh-sh-primary-reads-bj-apps-3"]);
        assert.ok(created("cluster-bj-apps-3").some((r) => r.name === "mesh-bj-apps-3-remote-secret"), "the remote pushes its own secret into bj-primary");
        assert.ok(created("sg-bj-apps-3").some((r) => r.type === T.sg), "the new cluster's group");
        for (const own of ["bj-primary", "sh-primary", "bj-apps-1", "bj-apps-2", "sh-apps-1", "sh-apps-2"]) {
            assert.ok(created(`sg-${own}`).length > 0, own);
            for (const r of created(`sg-${own}`)) assert.ok(r.type === T.rule && r.name.startsWith(`sg-${own}-from-bj-apps-3-`), `sg-${own}: ${r.name}`);
        }
        // A member of the same shared VPC: the VPC's member list changed, its own part of the plan did not.
        await previewBeforeNetwork("fleet", fleetWithBjApps3(), "bj-apps-1");
    });

    it("creates only: network, the new cluster's stacks and mesh; existing clusters' groups only admit the new cluster, their cluster stacks do not change", async () => {
        const before = fleetCanonicalPlans(await fleet("prod"));
        const after = fleetCanonicalPlans(await simulateFleet(prodPlusHangzhou()));
        const diffs = diffFleet(before, after);
        const counts = Object.fromEntries(Object.entries(diffs).map(([id, d]) => [id, { create: d.counts.create, update: d.counts.update, replace: d.counts.replace, delete: d.counts.delete }]));
        for (const [id, c] of Object.entries(counts)) {
            assert.deepEqual({ update: c.update, replace: c.replace, delete: c.delete }, { update: 0, replace: 0, delete: 0 }, `${id} only creates`);
        }
        assert.deepEqual(Object.keys(counts), ["app-bookinfo", "ca", "cluster-beijing", "cluster-hangzhou", "cluster-shanghai", "mesh-beijing", "mesh-hangzhou", "mesh-shanghai", "network", "sg-beijing", "sg-hangzhou", "sg-shanghai"]);
        for (const id of ["cluster-beijing", "cluster-shanghai"]) assert.deepEqual(counts[id], { create: 0, update: 0, replace: 0, delete: 0 }, `${id} does not change`);
        assert.ok(counts.network.create > 0);
        // The ca stack creates the new primary's intermediate, nothing else.
        assert.ok(counts.ca.create > 0);
        for (const r of diffs.ca.resources.filter((x) => x.kind === "create")) assert.ok(r.name.startsWith("mesh-ca-hangzhou-"), r.name);
        assert.equal(counts["cluster-hangzhou"].create, after["cluster-hangzhou"].resources.filter((r) => r.operation === "register").length);
        // The mesh: the new primary reads the two others (its new mesh stack), and each of them reads the new one.
        const created = (id: string) => diffs[id].resources.filter((r) => r.kind === "create");
        assert.equal(counts["mesh-hangzhou"].create, after["mesh-hangzhou"].resources.filter((r) => r.operation === "register").length);
        assert.deepEqual(["mesh-beijing", "mesh-hangzhou", "mesh-shanghai"].flatMap((id) => created(id).filter((r) => r.type === T.remoteSecret).map((r) => r.name)).sort(), [
            "mesh-beijing-reads-hangzhou",
            "mesh-hangzhou-reads-beijing",
            "mesh-hangzhou-reads-shanghai",
            "mesh-shanghai-reads-hangzhou",
        ]);
        // An existing group only gains the rules that admit the new cluster, in its sg stack.
        assert.equal(counts["sg-hangzhou"].create, after["sg-hangzhou"].resources.filter((r) => r.operation === "register").length);
        for (const own of ["beijing", "shanghai"]) {
            assert.ok(created(`sg-${own}`).length > 0);
            for (const r of created(`sg-${own}`)) {
                assert.equal(r.type, T.rule, `sg-${own}: ${r.name}`);
                assert.ok(r.name.startsWith(`sg-${own}-from-hangzhou-`), `sg-${own}: ${r.name}`);
            }
        }
        await previewBeforeNetwork("prod", prodPlusHangzhou(), "beijing");
        // Bookinfo's namespace and Services in the new cluster (BookinfoSplit puts them on every cluster).
        for (const r of created("app-bookinfo")) assert.ok(r.name.startsWith("hangzhou") || r.name.includes("-hangzhou-"), r.name);
        const table = renderFleetDiff(before, after).split("\n").map((l) => l.replace(/ +/g, " ").trim());
        assert.equal(table[0], "stack replace delete create update");
        assert.equal(table.length, 2 + Object.values(counts).filter((c) => c.create > 0).length, "one row per changed stack");
        assert.ok(table.includes(`mesh-beijing 0 0 ${counts["mesh-beijing"].create} 0`), table.join("\n"));
        assert.ok(table.includes(`cluster-hangzhou 0 0 ${counts["cluster-hangzhou"].create} 0`), table.join("\n"));
    });
});

describe("fleet: removing a cluster", function () {
    this.timeout(180_000);

    it("the remaining groups only delete the rules that admitted it; the remaining cluster stacks do not change", async () => {
        const diffs = diffFleet(fleetCanonicalPlans(await simulatedWithBjApps3()), fleetCanonicalPlans(await fleet("fleet")));
        assert.deepEqual(changedStacks(diffs, "delete"), TOUCHED_BY_BJ_APPS_3);
        for (const own of ["bj-primary", "sh-primary", "bj-apps-1", "bj-apps-2", "sh-apps-1", "sh-apps-2"]) {
            for (const r of diffs[`sg-${own}`].resources.filter((x) => x.kind === "delete")) assert.ok(r.name.startsWith(`sg-${own}-from-bj-apps-3-`), `sg-${own}: ${r.name}`);
        }
    });
});

describe("fleet: a remote changing primary", function () {
    this.timeout(180_000);

    it("the groups first add the new layout's rules and keep the deployed one's, then delete only the rules the deployed layout alone used", async () => {
        // sh-apps-1 moves from sh-primary to bj-primary (another network: through bj-primary's east-west gateway).
        const source = fleetSourceOf("fleet");
        const clusters = source.config["ack-mesh:clusters"] as Record<string, Record<string, unknown>>;
        const next = { ...source, config: { ...source.config, "ack-mesh:clusters": { ...clusters, "sh-apps-1": { ...clusters["sh-apps-1"], controlPlane: "bj-primary" } } } };
        const before = await fleet("fleet");
        const after = await simulateFleet(next);
        const deployed = before.stacks.find((st) => st.stack === "network")!.result.outputs.clusters as Record<string, { role: "primary" | "remote"; controlledBy: string }>;
        const relations = Object.entries(deployed).map(([name, c]) => ({ name, role: c.role, controlledBy: c.controlledBy }));
        const stackReferences = Object.fromEntries(before.stacks.map((st) => [fleetStackRef("organization", st.stack, "fleet"), st.result.outputs]));
        const plan = (r: SimulationResult, id: string) => canonicalPlan(r, { stack: "fleet", project: `ack-mesh-${id}` });
        const changedKinds = (d: PlanDiff) => Object.entries(d.counts).filter(([k, n]) => k !== "same" && n > 0).map(([k]) => k);
        const touched: Record<string, string[]> = {};
        for (const id of ["sg-bj-primary", "sg-sh-primary", "sg-sh-apps-1", "sg-bj-apps-1"]) {
            const cluster = id.slice("sg-".length);
            const keeping = await simulate(() => runFleetSecurityGroups(cluster), {
                project: `ack-mesh-${id}`,
                stack: "fleet",
                config: configForStack({ id, keepDeployed: relations }, next.config).config,
                stackReferences,
            });
            const old = plan(before.stacks.find((st) => st.stack === id)!.result, id);
            const mid = plan(keeping, id);
            const last = plan(after.stacks.find((st) => st.stack === id)!.result, id);
            const first = diffPlans(old, mid);
            const second = diffPlans(mid, last);
            assert.ok(changedKinds(first).every((k) => k === "create"), `${id}, first run: ${changedKinds(first).join(", ")}`);
            assert.ok(changedKinds(second).every((k) => k === "delete"), `${id}, last run: ${changedKinds(second).join(", ")}`);
            touched[id] = [
                ...first.resources.filter((r) => r.kind === "create").map((r) => `+${r.name}`),
                ...second.resources.filter((r) => r.kind === "delete").map((r) => `-${r.name}`),
            ];
        }
        // bj-primary gains sh-apps-1's istiod ports (its gateway status port already admits sh-apps-1, another network);
        // sh-primary keeps sh-apps-1's istiod and status ports until the last run (same network: no status rule without
        // istiod); the remotes' groups do not change (every primary reads every cluster either way).
        const names = (id: string, sign: string) => touched[id].filter((n) => n.startsWith(sign)).map((n) => n.slice(1).replace(/-(pods|nodes)-cn-[a-z]+-[a-z]$/, "")).filter((n, i, a) => a.indexOf(n) === i);
        assert.deepEqual(names("sg-bj-primary", "+"), ["sg-bj-primary-from-sh-apps-1-istiod-webhook", "sg-bj-primary-from-sh-apps-1-istiod-xds"]);
        assert.deepEqual(names("sg-bj-primary", "-"), []);
        assert.deepEqual(names("sg-sh-primary", "+"), []);
        assert.deepEqual(names("sg-sh-primary", "-"), ["sg-sh-primary-from-sh-apps-1-gw-status", "sg-sh-primary-from-sh-apps-1-istiod-webhook", "sg-sh-primary-from-sh-apps-1-istiod-xds"]);
        assert.deepEqual([touched["sg-sh-apps-1"], touched["sg-bj-apps-1"]], [[], []]);
    });
});
