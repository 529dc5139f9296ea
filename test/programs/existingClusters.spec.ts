/**
 * The mesh installed on clusters that already exist: only kubeconfigs are given.
 */
import * as assert from "node:assert/strict";
import { runExistingClusters } from "../../programs/existing-clusters";
import { Secret, simulate } from "../support";

const kubeconfig = (server: string) =>
    ["apiVersion: v1", "kind: Config", "clusters:", `- name: c`, `  cluster: {server: "${server}"}`, "contexts: []", "users: []"].join("\n");

describe("programs/existing-clusters: the mesh on clusters ack-mesh did not create", () => {
    it("installs a control plane, a remote and the remote secret with the given kubeconfigs only", async () => {
        const r = await simulate(runExistingClusters, {
            project: "existing-clusters",
            stack: "dev",
            config: {
                "existing-clusters:mesh": { id: "mesh1" },
                "existing-clusters:clusters": {
                    hz: { region: "cn-hangzhou", network: "network1", role: "primary", apiServerUrl: "https://10.0.0.10:6443", cni: "terway" },
                    sh: { region: "cn-shanghai", network: "network1", role: "remote", apiServerUrl: "https://10.1.0.10:6443", cni: "terway" },
                },
                "existing-clusters:kubeconfig-hz": kubeconfig("https://47.1.1.1:6443"),
                "existing-clusters:kubeconfig-sh": kubeconfig("https://47.2.2.2:6443"),
            },
            secretConfigKeys: ["existing-clusters:kubeconfig-hz", "existing-clusters:kubeconfig-sh"],
        });
        // No cloud resources: only the mesh.
        assert.deepEqual(r.resources.filter((x) => x.type.startsWith("alicloud:")), []);
        assert.deepEqual(r.byType("pulumi:providers:kubernetes").map((p) => p.name).sort(), ["hz-k8s", "sh-k8s"]);
        for (const p of r.byType("pulumi:providers:kubernetes")) assert.ok(p.inputs.kubeconfig instanceof Secret);
        assert.deepEqual(r.byType("ack-mesh:mesh:IstioControlPlane").map((x) => x.name), ["mesh-hz"]);
        assert.deepEqual(r.byType("ack-mesh:mesh:IstioRemote").map((x) => x.name), ["mesh-sh"]);
        const secret = r.byType("kubernetes:core/v1:Secret").find((s) => (s.inputs.metadata as { name: string }).name === "istio-remote-secret-sh");
        assert.ok(secret, "the remote secret for sh is created in hz");
        assert.ok(secret.inputs.stringData instanceof Secret);
        assert.match(String((secret.inputs.stringData.value as Record<string, string>).sh), /server: https:\/\/10\.1\.0\.10:6443/);
    });
});
