/**
 * The real user path of the library: `npm pack`, install the tarball into a fresh consumer project
 * (examples/consumer) with a chosen @pulumi/pulumi, typecheck it against the package's public entry
 * points, run it on `ack-mesh/testing`, and compare what it registers with the same program run from
 * the sources. Done at both ends of the peer range: the newest @pulumi/pulumi 3.x (pinned here, raised
 * on purpose) and the lowest the range allows.
 *
 * Needs the npm registry (as `npm ci` does). Installs are cached by npm between runs.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, simulate } from "../support";

/** The newest @pulumi/pulumi 3.x the package is tested with; raise it on purpose. */
const NEWEST_PULUMI = "3.276.0";

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
/** The lowest @pulumi/pulumi of the peer range (`>=X <4.0.0`). */
const LOWEST_PULUMI = /^>=(\d+\.\d+\.\d+) </.exec(pkg.peerDependencies["@pulumi/pulumi"])![1];
const EXAMPLE = path.join(ROOT, "examples", "consumer");

function sh(cmd: string, args: string[], cwd: string): string {
    return shWithErr(cmd, args, cwd).stdout;
}

/** Runs a command; returns stdout and stderr (npm writes its warnings to stderr). @throws on a non-zero exit */
function shWithErr(cmd: string, args: string[], cwd: string): { stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr };
}

/** Runs examples/consumer/program.ts from the sources, with the package's entry points mapped onto them. */
async function runFromSources(): Promise<string[]> {
    const entries: Record<string, string> = {
        "ack-mesh": path.join(ROOT, "components", "index.ts"),
        "ack-mesh/plan": path.join(ROOT, "plan", "index.ts"),
        "ack-mesh/config": path.join(ROOT, "config", "index.ts"),
        "ack-mesh/testing": path.join(ROOT, "testing", "index.ts"),
    };
    const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
    const original = mod._resolveFilename;
    mod._resolveFilename = (request: string, ...rest: unknown[]) => (entries[request] ? entries[request] : original(request, ...rest));
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { consumerProgram } = require(path.join(EXAMPLE, "program.ts")) as { consumerProgram: () => Record<string, unknown> };
        const result = await simulate(consumerProgram, { project: "consumer", stack: "test" });
        return result.resources.map((r) => r.name).sort();
    } finally {
        mod._resolveFilename = original;
    }
}

describe("package: the packed tarball, installed into a consumer project", function () {
    this.timeout(30 * 60_000);
    let tmp: string;
    let tarball: string;
    let fromSources: string[];

    before(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ack-mesh-consumer-"));
        // `npm pack` runs `prepack` (the build) and packs exactly what `files` lists.
        const out = sh("npm", ["pack", "--json", "--pack-destination", tmp], ROOT);
        const info = JSON.parse(out.slice(out.indexOf("["))) as { filename: string; files: { path: string }[] }[];
        tarball = path.join(tmp, info[0].filename);
        const files = info[0].files.map((f) => f.path);
        assert.ok(files.includes("dist/components/index.js") && files.includes("dist/testing/index.d.ts"), files.join(", "));
        assert.ok(files.includes("LICENSE") && files.includes("CHANGELOG.md") && files.includes("README.md"));
        const shipped = /^dist\/(components|config|plan|policy|sim|testing)\/[^/]+\.(js|d\.ts)$/;
        assert.deepStrictEqual(
            files.filter((f) => !shipped.test(f) && !["LICENSE", "CHANGELOG.md", "README.md", "package.json"].includes(f)),
            [],
            "only the built library, LICENSE, CHANGELOG and README: no source maps, tests, sources or stale builds",
        );
        fromSources = await runFromSources();
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("a git dependency: npm clones the repository, installs its devDependencies and builds it (prepare)", () => {
        const dir = path.join(tmp, "consumer-git");
        fs.mkdirSync(dir);
        const example = JSON.parse(fs.readFileSync(path.join(EXAMPLE, "package.json"), "utf8"));
        // The committed HEAD of this checkout, as `git+https://…` would give a published commit.
        const consumer = { name: "consumer-git", private: true, dependencies: { ...example.dependencies, "ack-mesh": `git+file://${ROOT}` } };
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(consumer, null, 2));
        sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], dir);
        const loaded = sh(
            process.execPath,
            ["-e", 'const m = require("ack-mesh"), p = require("ack-mesh/plan"), c = require("ack-mesh/config"), t = require("ack-mesh/testing"); console.log([typeof m.AckCluster, typeof p.parseAndPlanNetwork, typeof c.parseStackConfig, typeof t.simulate].join(" "))'],
            dir,
        );
        assert.equal(loaded.trim(), "function function function function");
        assert.ok(fs.existsSync(path.join(dir, "node_modules", "ack-mesh", "dist", "components", "index.d.ts")), "types were built");
    });

    for (const [label, version] of [
        ["newest", NEWEST_PULUMI],
        ["lowest in the peer range", LOWEST_PULUMI],
    ] as const) {
        it(`@pulumi/pulumi ${version} (${label}): installs, typechecks and registers what the sources do`, () => {
            const dir = path.join(tmp, `consumer-${version}`);
            fs.mkdirSync(dir);
            for (const f of ["program.ts", "index.ts", "test.ts", "tsconfig.json"]) fs.copyFileSync(path.join(EXAMPLE, f), path.join(dir, f));
            const example = JSON.parse(fs.readFileSync(path.join(EXAMPLE, "package.json"), "utf8"));
            const consumer = {
                name: "consumer",
                private: true,
                // @pulumi/policy: the optional peer of ack-mesh/policy, to typecheck that entry point too.
                dependencies: { ...example.dependencies, "ack-mesh": `file:${tarball}`, "@pulumi/pulumi": version, "@pulumi/policy": pkg.devDependencies["@pulumi/policy"] },
                devDependencies: example.devDependencies,
            };
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(consumer, null, 2));
            const install = shWithErr("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=warn"], dir);
            assert.doesNotMatch(install.stderr, /EBADENGINE|ERESOLVE/, install.stderr);
            // One SDK copy: the peer dependency is the consumer's, not a nested second one.
            const copies = sh("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable"], dir).trim().split("\n").filter((l) => l.endsWith(path.join("node_modules", "@pulumi", "pulumi")));
            assert.deepStrictEqual([...new Set(copies)], [path.join(dir, "node_modules", "@pulumi", "pulumi")]);
            sh(path.join(dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], dir);
            // Older Pulumi projects resolve with moduleResolution "node", which ignores `exports`: typesVersions serves them.
            // (skipLibCheck: @pulumi/policy's own declarations do not typecheck; an unresolved import still fails.)
            fs.writeFileSync(
                path.join(dir, "node10.ts"),
                'import { AckCluster } from "ack-mesh";\nimport { parseStackConfig } from "ack-mesh/config";\nimport { parseAndPlanNetwork } from "ack-mesh/plan";\nimport { simulate } from "ack-mesh/testing";\nimport { createPolicies } from "ack-mesh/policy";\nexport const all = [AckCluster, parseStackConfig, parseAndPlanNetwork, simulate, createPolicies];\n',
            );
            sh(path.join(dir, "node_modules", ".bin", "tsc"), ["--noEmit", "--strict", "--module", "commonjs", "--moduleResolution", "node", "--target", "es2020", "--skipLibCheck", "--types", "node", "node10.ts"], dir);
            const run = JSON.parse(sh(process.execPath, [path.join(dir, "bin", "test.js")], dir)) as { counts: Record<string, number>; names: string[] };
            assert.deepStrictEqual(run.names, fromSources);
            assert.equal(run.counts["alicloud:cs/managedKubernetes:ManagedKubernetes"], 2);
            assert.equal(run.counts["ack-mesh:mesh:IstioMesh"], 1);
            assert.equal(run.counts["ack-mesh:cluster:AckCluster"], 2);
        });
    }
});
