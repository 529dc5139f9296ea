/**
 * Mesh identity: built from the stack config (plan/mesh.ts) and validated by
 * createMeshIdentity (components/types.ts).
 */
import * as assert from "node:assert/strict";
import { stackRaw } from "../support";
import { parseStackConfig } from "../../config/load";
import { ConfigError } from "../../config/errors";
import { networkProblems } from "../../plan/network";
import { meshIdentityFromConfig } from "../../plan/mesh";
import { createMeshIdentity, MeshIdentity, MeshIdentityInput } from "../../components/types";
import { remoteSecretPairs } from "../../components/remoteSecret";

// test/support re-exports ../../sim, which is still being written; these
// specs therefore use the source modules directly.


function identityOf(env: string): MeshIdentity {
    return meshIdentityFromConfig(parseStackConfig(stackRaw(env), networkProblems));
}

function identityError(input: MeshIdentityInput): ConfigError {
    let caught: unknown;
    try {
        createMeshIdentity(input);
    } catch (e) {
        caught = e;
    }
    assert.ok(ConfigError.is(caught), `expected a ConfigError, got ${String(caught)}`);
    return caught;
}

describe("plan/mesh: meshIdentityFromConfig", () => {
    it("dev: one control plane, one remote, one flat network", () => {
        const expected: MeshIdentity = {
            meshId: "mesh-dev",
            trustDomain: "cluster.local",
            clusters: {
                "istio-control-plane": {
                    clusterName: "istio-control-plane",
                    network: "network1",
                    region: "cn-hangzhou",
                    controlPlane: true,
                    controlledBy: "istio-control-plane",
                },
                "istio-remote1": {
                    clusterName: "istio-remote1",
                    network: "network1",
                    region: "cn-hangzhou",
                    controlPlane: false,
                    controlledBy: "istio-control-plane",
                },
            },
            controlPlanes: ["istio-control-plane"],
            multiNetwork: false,
        };
        assert.deepStrictEqual(identityOf("dev"), expected);
    });

    it("staging: hangzhou controls shanghai across regions on one network", () => {
        const expected: MeshIdentity = {
            meshId: "mesh-staging",
            trustDomain: "cluster.local",
            clusters: {
                hangzhou: { clusterName: "hangzhou", network: "network1", region: "cn-hangzhou", controlPlane: true, controlledBy: "hangzhou" },
                shanghai: { clusterName: "shanghai", network: "network1", region: "cn-shanghai", controlPlane: false, controlledBy: "hangzhou" },
            },
            controlPlanes: ["hangzhou"],
            multiNetwork: false,
        };
        assert.deepStrictEqual(identityOf("staging"), expected);
    });

    it("prod: two control planes, one network each", () => {
        const expected: MeshIdentity = {
            meshId: "mesh-prod",
            trustDomain: "cluster.local",
            clusters: {
                beijing: { clusterName: "beijing", network: "network-beijing", region: "cn-beijing", controlPlane: true, controlledBy: "beijing" },
                shanghai: { clusterName: "shanghai", network: "network-shanghai", region: "cn-shanghai", controlPlane: true, controlledBy: "shanghai" },
            },
            controlPlanes: ["beijing", "shanghai"],
            multiNetwork: true,
        };
        assert.deepStrictEqual(identityOf("prod"), expected);
    });

    it("fleet: two primaries, each controlling its two remotes; every primary discovers the other five clusters", () => {
        const cluster = (name: string, region: string, network: string, by: string) => ({ clusterName: name, network, region, controlPlane: name === by, controlledBy: by });
        const expected: MeshIdentity = {
            meshId: "mesh-fleet",
            trustDomain: "cluster.local",
            clusters: {
                "bj-apps-1": cluster("bj-apps-1", "cn-beijing", "net-beijing", "bj-primary"),
                "bj-apps-2": cluster("bj-apps-2", "cn-beijing", "net-beijing", "bj-primary"),
                "bj-primary": cluster("bj-primary", "cn-beijing", "net-beijing", "bj-primary"),
                "sh-apps-1": cluster("sh-apps-1", "cn-shanghai", "net-shanghai", "sh-primary"),
                "sh-apps-2": cluster("sh-apps-2", "cn-shanghai", "net-shanghai", "sh-primary"),
                "sh-primary": cluster("sh-primary", "cn-shanghai", "net-shanghai", "sh-primary"),
            },
            controlPlanes: ["bj-primary", "sh-primary"],
            multiNetwork: true,
        };
        const identity = identityOf("fleet");
        assert.deepStrictEqual(identity, expected);
        // The remote-secret matrix: primaries × (clusters − 1).
        const pairs = remoteSecretPairs(identity).map((p) => `${p.watcher}/${p.target}`);
        assert.deepEqual(pairs, [
            "bj-primary/bj-apps-1",
            "bj-primary/bj-apps-2",
            "bj-primary/sh-apps-1",
            "bj-primary/sh-apps-2",
            "bj-primary/sh-primary",
            "sh-primary/bj-apps-1",
            "sh-primary/bj-apps-2",
            "sh-primary/bj-primary",
            "sh-primary/sh-apps-1",
            "sh-primary/sh-apps-2",
        ]);
    });

    it("carries a custom trust domain and an explicit controlPlane; the identity is frozen", () => {
        const config = parseStackConfig(
            {
                mesh: { id: "m2", topology: "primary-remote", trustDomain: "example.org", networks: "multi-network" },
                clusters: {
                    p: { region: "cn-hangzhou", zones: ["cn-hangzhou-h"], role: "primary", cni: "terway", slot: 1 },
                    r: { region: "cn-hangzhou", zones: ["cn-hangzhou-i"], role: "remote", cni: "terway", slot: 2, controlPlane: "p", network: "shared-net" },
                },
            },
            networkProblems,
        );
        const id = meshIdentityFromConfig(config);
        assert.deepStrictEqual(id, {
            meshId: "m2",
            trustDomain: "example.org",
            clusters: {
                p: { clusterName: "p", network: "network-p", region: "cn-hangzhou", controlPlane: true, controlledBy: "p" },
                r: { clusterName: "r", network: "shared-net", region: "cn-hangzhou", controlPlane: false, controlledBy: "p" },
            },
            controlPlanes: ["p"],
            multiNetwork: true,
        });
        assert.equal(Object.isFrozen(id), true);
        assert.equal(Object.isFrozen(id.clusters), true);
        assert.equal(Object.isFrozen(id.clusters.p), true);
        assert.equal(Object.isFrozen(id.controlPlanes), true);
    });
});

describe("components/types: createMeshIdentity", () => {
    it("sorts clusters and control planes and defaults the trust domain", () => {
        const id = createMeshIdentity({
            meshId: "m",
            clusters: [
                { clusterName: "c", network: "n1", region: "r1", controlPlane: true },
                { clusterName: "b", network: "n1", region: "r1", controlPlane: false, controlledBy: "c" },
                { clusterName: "a", network: "n1", region: "r2", controlPlane: true },
            ],
        });
        assert.deepStrictEqual(Object.keys(id.clusters), ["a", "b", "c"]);
        assert.deepStrictEqual(id.controlPlanes, ["a", "c"]);
        assert.equal(id.trustDomain, "cluster.local");
        assert.equal(id.multiNetwork, false);
        assert.equal(id.clusters.b.controlledBy, "c");
    });

    it("rejects a cluster name that is not a DNS label", () => {
        const err = identityError({ meshId: "m", clusters: [{ clusterName: "Bad_Name", network: "n1", region: "r", controlPlane: true }] });
        assert.equal(
            err.message,
            [
                "Invalid mesh identity (1 problem):",
                "  - clusters[0].clusterName: must be a DNS-1123 label (it becomes the remote secret key and the istiod CLUSTER_ID) (got \"Bad_Name\"). Fix: use lowercase letters, digits and '-'",
            ].join("\n"),
        );
        assert.deepStrictEqual(err.problems, [
            {
                path: "clusters[0].clusterName",
                message: "must be a DNS-1123 label (it becomes the remote secret key and the istiod CLUSTER_ID)",
                fix: "use lowercase letters, digits and '-'",
                value: "Bad_Name",
            },
        ]);
    });

    it("rejects a 64-character cluster name", () => {
        const name = "a".repeat(64);
        const err = identityError({ meshId: "m", clusters: [{ clusterName: name, network: "n1", region: "r", controlPlane: true }] });
        assert.equal(
            err.message,
            `Invalid mesh identity (1 problem):\n  - clusters[0].clusterName: must be a DNS-1123 label (it becomes the remote secret key and the istiod CLUSTER_ID) (got "${name}"). Fix: use lowercase letters, digits and '-'`,
        );
    });

    it("rejects duplicate cluster names", () => {
        const err = identityError({
            meshId: "m",
            clusters: [
                { clusterName: "a", network: "n1", region: "r", controlPlane: true },
                { clusterName: "a", network: "n1", region: "r", controlPlane: false, controlledBy: "a" },
            ],
        });
        assert.equal(
            err.message,
            [
                "Invalid mesh identity (1 problem):",
                '  - clusters[1].clusterName: is used by two clusters; cluster names must be unique across the mesh (got "a"). Fix: rename one of them',
            ].join("\n"),
        );
    });

    it("rejects a remote without a control plane, or controlled by a remote", () => {
        let err = identityError({
            meshId: "m",
            clusters: [
                { clusterName: "a", network: "n1", region: "r", controlPlane: true },
                { clusterName: "b", network: "n1", region: "r", controlPlane: false },
            ],
        });
        assert.equal(
            err.message,
            ["Invalid mesh identity (1 problem):", "  - clusters[1].controlledBy: a remote cluster must name one of the mesh's control planes. Fix: use one of: a"].join("\n"),
        );
        err = identityError({
            meshId: "m",
            clusters: [
                { clusterName: "a", network: "n1", region: "r", controlPlane: true },
                { clusterName: "b", network: "n1", region: "r", controlPlane: false, controlledBy: "a" },
                { clusterName: "c", network: "n1", region: "r", controlPlane: false, controlledBy: "b" },
            ],
        });
        assert.equal(
            err.message,
            [
                "Invalid mesh identity (1 problem):",
                '  - clusters[2].controlledBy: a remote cluster must name one of the mesh\'s control planes (got "b"). Fix: use one of: a',
            ].join("\n"),
        );
    });

    it("rejects a mesh without a control plane", () => {
        const err = identityError({ meshId: "m", clusters: [{ clusterName: "a", network: "n1", region: "r", controlPlane: false, controlledBy: "a" }] });
        assert.equal(
            err.message,
            [
                "Invalid mesh identity (2 problems):",
                "  - clusters: the mesh has no control plane. Fix: mark at least one cluster as a control plane",
                '  - clusters[0].controlledBy: a remote cluster must name one of the mesh\'s control planes (got "a"). Fix: use one of: (none)',
            ].join("\n"),
        );
        assert.deepStrictEqual(
            err.problems.map((p) => p.path),
            ["clusters", "clusters[0].controlledBy"],
        );
    });

    it("rejects an empty mesh with a bad mesh id, a bad network name", () => {
        let err = identityError({ meshId: "Mesh", clusters: [] });
        assert.equal(
            err.message,
            [
                "Invalid mesh identity (2 problems):",
                "  - clusters: the mesh has no clusters. Fix: add at least one cluster",
                '  - meshId: must be a DNS-1123 label (got "Mesh"). Fix: use lowercase letters, digits and \'-\'',
            ].join("\n"),
        );
        err = identityError({ meshId: "m", clusters: [{ clusterName: "a", network: "Net 1", region: "r", controlPlane: true }] });
        assert.equal(
            err.message,
            ["Invalid mesh identity (1 problem):", '  - clusters[0].network: must be a DNS-1123 label (got "Net 1"). Fix: use lowercase letters, digits and \'-\''].join("\n"),
        );
    });
});
