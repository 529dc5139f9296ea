/**
 * The mesh installed on clusters that already exist: only kubeconfigs are given.
 * Also the program as `pulumi` runs it: its Pulumi.yaml, its entry point, and
 * its example stack file evaluated on the simulated cloud.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { runExistingClusters } from "../../programs/existing-clusters/program";
import { readStackConfig, ROOT, Secret, simulate } from "../support";

const PROGRAM_DIR = path.join(ROOT, "programs", "existing-clusters");
const EXAMPLE_STACK = path.join(PROGRAM_DIR, "Pulumi.example.yaml");

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

    describe("runnable as documented (docs/first-deploy.md)", () => {
        it("has its own Pulumi.yaml: project existing-clusters, nodejs with TypeScript, main index.ts", () => {
            const project = YAML.parse(fs.readFileSync(path.join(PROGRAM_DIR, "Pulumi.yaml"), "utf8"));
            assert.equal(project.name, "existing-clusters");
            assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: true } });
            // Without `main`, Pulumi would run the repository package.json's "main" (the built library).
            assert.equal(project.main, "index.ts");
            assert.ok(fs.existsSync(path.join(PROGRAM_DIR, project.main)));
            // Pulumi's TypeScript loader reads tsconfig.json from the project folder.
            assert.equal(JSON.parse(fs.readFileSync(path.join(PROGRAM_DIR, "tsconfig.json"), "utf8")).extends, "../../tsconfig.json");
        });

        it("exports the program function itself, as Pulumi's Node.js runtime calls it", () => {
            // Pulumi require()s `main` and calls the export when it is a function; an object of
            // named exports would become stack outputs and the program would never run.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const entry: unknown = require(path.join(PROGRAM_DIR, "index.ts"));
            assert.equal(entry, runExistingClusters);
        });

        it("evaluates Pulumi.example.yaml end to end: a kubeconfig secret per cluster, no cloud resource", async () => {
            const { config, secretConfigKeys } = readStackConfig(EXAMPLE_STACK, "existing-clusters");
            const clusters = config["existing-clusters:clusters"] as Record<string, { role: string }>;
            const names = Object.keys(clusters).sort();
            // Every cluster's kubeconfig is in the file, and only as a secure value.
            assert.deepEqual(secretConfigKeys, names.map((c) => `existing-clusters:kubeconfig-${c}`));

            const r = await simulate(runExistingClusters, { project: "existing-clusters", stack: "example", config, secretConfigKeys });
            assert.deepEqual(r.resources.filter((x) => x.type.startsWith("alicloud:")), []);
            assert.deepEqual(r.byType("pulumi:providers:kubernetes").map((p) => p.name).sort(), names.map((c) => `${c}-k8s`));
            for (const p of r.byType("pulumi:providers:kubernetes")) assert.ok(p.inputs.kubeconfig instanceof Secret, `${p.name}: kubeconfig must be secret`);
            const byRole = (role: string) => names.filter((c) => clusters[c].role === role).map((c) => `mesh-${c}`);
            assert.deepEqual(r.byType("ack-mesh:mesh:IstioControlPlane").map((x) => x.name).sort(), byRole("primary"));
            assert.deepEqual(r.byType("ack-mesh:mesh:IstioRemote").map((x) => x.name).sort(), byRole("remote"));
            // Each remote's secret carries the apiServerUrl of the file (the intranet endpoint), not the kubeconfig's server.
            for (const remote of names.filter((c) => clusters[c].role === "remote")) {
                const secret = r.byType("kubernetes:core/v1:Secret").find((s) => (s.inputs.metadata as { name: string }).name === `istio-remote-secret-${remote}`);
                assert.ok(secret, `the remote secret of ${remote}`);
                assert.ok(secret.inputs.stringData instanceof Secret, `the remote secret of ${remote} is secret`);
                const server = (config["existing-clusters:clusters"] as Record<string, { apiServerUrl: string }>)[remote].apiServerUrl;
                assert.ok(String((secret.inputs.stringData.value as Record<string, string>)[remote]).includes(`server: ${server}`));
            }
        });
    });
});
