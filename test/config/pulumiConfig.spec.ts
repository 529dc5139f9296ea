/**
 * One way to read config, with Pulumi's semantics, for the program and the offline plan
 * (config/pulumiConfig.ts), and the stack file errors of `readStackConfig` (sim/stackConfig.ts).
 *
 * The stack files below are written in the exact forms the Pulumi CLI writes:
 * - `pulumi config set ack-mesh:protect true` stores a top-level string: `ack-mesh:protect: "true"`;
 * - `pulumi config set --type bool ack-mesh:protect true` stores `ack-mesh:protect: true`;
 * - `pulumi config set --path ack-mesh:cen.bandwidthMbps 200` stores the int `200`, `… true` the bool
 *   `true`, and `--path ack-mesh:mesh.istioVersion 1.30.3` the string `1.30.3` (see the TSDoc of
 *   config/pulumiConfig.ts for the Pulumi source).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineConfig, engineConfigValue, namespaceConfig, namespaceValues } from "../../config/pulumiConfig";
import { parseStackConfig, StackConfig } from "../../config/load";
import { ConfigError, StackFileError } from "../../config/errors";
import { readStackConfig } from "../../sim/stackConfig";
import { networkProblems } from "../../plan/network";

let dir: string;
before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ack-mesh-config-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a stack file and returns its path. */
function stackFile(name: string, lines: string[]): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
}

/** A valid two-cluster stack (config lines, indented under `config:`). */
const BASE = [
    "  ack-mesh:mesh:",
    "    id: mesh1",
    "    topology: primary-remote",
    "  ack-mesh:clusters:",
    "    hz:",
    "      region: cn-hangzhou",
    "      zones: [cn-hangzhou-h, cn-hangzhou-i]",
    "      role: primary",
    "      cni: terway",
    "      slot: 1",
    "    sh:",
    "      region: cn-shanghai",
    "      zones: [cn-shanghai-l]",
    "      role: remote",
    "      cni: terway",
    "      slot: 2",
];

/** The offline plan's path: the stack file, read as Pulumi reads it, then parsed with the planner's checks. */
function offline(file: string): StackConfig {
    return parseStackConfig(namespaceValues(readStackConfig(file).config), networkProblems);
}

function thrown(f: () => unknown): unknown {
    try {
        f();
    } catch (e) {
        return e;
    }
    assert.fail("expected an error");
}

describe("config/pulumiConfig: what the engine passes (Pulumi's semantics)", () => {
    it("engineConfigValue: strings verbatim, other scalars and containers as JSON text", () => {
        assert.equal(engineConfigValue("true"), "true");
        assert.equal(engineConfigValue("1.30"), "1.30");
        assert.equal(engineConfigValue(true), "true");
        assert.equal(engineConfigValue(200), "200");
        assert.equal(engineConfigValue(1.3), "1.3");
        assert.equal(engineConfigValue(null), "null");
        assert.equal(engineConfigValue({ a: [1, "x", true] }), '{"a":[1,"x",true]}');
    });

    it("engineConfig turns a stack file's config into the engine's string map", () => {
        assert.deepEqual(engineConfig({ "ack-mesh:protect": true, "ack-mesh:cen": { bandwidthMbps: 200 }, "alicloud:region": "cn-hangzhou" }), {
            "ack-mesh:protect": "true",
            "ack-mesh:cen": '{"bandwidthMbps":200}',
            "alicloud:region": "cn-hangzhou",
        });
    });

    it("namespaceValues (the offline plan) and namespaceConfig (the program) read the same values", () => {
        const file = stackFile("Pulumi.same.yaml", [
            "config:",
            ...BASE,
            '  ack-mesh:protect: "true"',
            "  ack-mesh:cen:",
            "    bandwidthMbps: 200",
            "  alicloud:region: cn-hangzhou",
        ]);
        const fromFile = namespaceValues(readStackConfig(file).config);
        // What the Go engine hands the Node.js language host (PULUMI_CONFIG), written out by hand.
        const fromEngine = namespaceConfig({
            "ack-mesh:mesh": '{"id":"mesh1","topology":"primary-remote"}',
            "ack-mesh:clusters":
                '{"hz":{"cni":"terway","region":"cn-hangzhou","role":"primary","slot":1,"zones":["cn-hangzhou-h","cn-hangzhou-i"]},"sh":{"cni":"terway","region":"cn-shanghai","role":"remote","slot":2,"zones":["cn-shanghai-l"]}}',
            "ack-mesh:protect": "true",
            "ack-mesh:cen": '{"bandwidthMbps":200}',
            "alicloud:region": "cn-hangzhou",
        });
        assert.deepEqual(fromFile, fromEngine);
        assert.equal(fromFile["protect"], true);
        assert.equal(namespaceConfig, namespaceValues);
    });
});

describe("config/pulumiConfig: the forms `pulumi config set` writes are accepted offline", () => {
    it('`pulumi config set ack-mesh:protect true` writes the string "true": protect is on', () => {
        const file = stackFile("Pulumi.string.yaml", ["config:", ...BASE, '  ack-mesh:protect: "true"']);
        assert.equal(offline(file).protect, true);
        const off = stackFile("Pulumi.string-off.yaml", ["config:", ...BASE, '  ack-mesh:protect: "false"']);
        assert.equal(offline(off).protect, false);
    });

    it("`pulumi config set --type bool ack-mesh:protect true` writes the bool true", () => {
        const file = stackFile("Pulumi.typed.yaml", ["config:", ...BASE, "  ack-mesh:protect: true"]);
        assert.equal(offline(file).protect, true);
    });

    it("`pulumi config set --path` writes ints, bools and strings inside the object", () => {
        const file = stackFile("Pulumi.path.yaml", [
            "config:",
            ...BASE.slice(0, 3),
            "    dnsCapture: true", // --path ack-mesh:mesh.dnsCapture true
            "    istioVersion: 1.30.3", // --path ack-mesh:mesh.istioVersion 1.30.3 (not an int: a string)
            ...BASE.slice(3),
            "  ack-mesh:cen:",
            "    bandwidthMbps: 200", // --path ack-mesh:cen.bandwidthMbps 200
        ]);
        const cfg = offline(file);
        assert.equal(cfg.mesh.dnsCapture, true);
        assert.equal(cfg.mesh.istioVersion, "1.30.3");
        assert.equal(cfg.cen.bandwidthMbps, 200);
    });

    it('a string that is not "true" or "false" is refused as Pulumi\'s getBoolean refuses it', () => {
        const file = stackFile("Pulumi.yes.yaml", ["config:", ...BASE, "  ack-mesh:protect: yes"]);
        const e = thrown(() => offline(file));
        assert.ok(ConfigError.is(e));
        assert.equal(
            e.message,
            ["Invalid ack-mesh configuration (1 problem):", '  - protect: must be a boolean (got "yes"). Fix: set protect to a boolean'].join("\n"),
        );
    });
});

describe("sim/stackConfig: YAML errors name file:line:column (StackFileError)", () => {
    it("a duplicate key", () => {
        const file = stackFile("Pulumi.dup.yaml", ["config:", "  ack-mesh:mesh:", "    id: mesh1", "    id: mesh2"]);
        const e = thrown(() => readStackConfig(file));
        assert.ok(StackFileError.is(e));
        assert.ok(e instanceof StackFileError);
        assert.equal(e.file, file);
        assert.deepEqual(e.problems, [{ line: 4, column: 5, code: "DUPLICATE_KEY", message: "Map keys must be unique" }]);
        assert.equal(e.message, [`${file}:4:5: Map keys must be unique`, "    id: mesh2", "    ^"].join("\n"));
    });

    it("a syntax error, and every error of the file in one run", () => {
        const file = stackFile("Pulumi.syntax.yaml", ["config:", "  ack-mesh:mesh:", "    id: @mesh1", "  ack-mesh:protect: true", "  ack-mesh:protect: false"]);
        const e = thrown(() => readStackConfig(file));
        assert.ok(StackFileError.is(e));
        assert.equal(
            e.message,
            [
                `${file}:3:9: Plain value cannot start with reserved character @`,
                "    id: @mesh1",
                "        ^",
                `${file}:5:3: Map keys must be unique`,
                "  ack-mesh:protect: false",
                "  ^",
            ].join("\n"),
        );
    });

    it("a file that is not a map, or a config that is not a map", () => {
        const list = stackFile("Pulumi.list.yaml", ["- a", "- b"]);
        const e1 = thrown(() => readStackConfig(list));
        assert.ok(StackFileError.is(e1));
        assert.equal(e1.message, [`${list}:1:1: expected a YAML map at the top level`, "- a", "^"].join("\n"));
        const cfg = stackFile("Pulumi.cfglist.yaml", ["config:", "  - a"]);
        const e2 = thrown(() => readStackConfig(cfg));
        assert.ok(StackFileError.is(e2));
        assert.equal(e2.message, [`${cfg}:2:3: 'config' must be a map`, "  - a", "  ^"].join("\n"));
    });

    it("StackFileError.is recognises a copy from another module, and nothing else", () => {
        assert.equal(StackFileError.is({ isStackFileError: true }), true);
        assert.equal(StackFileError.is(new Error("x")), false);
        assert.equal(StackFileError.is(undefined), false);
    });
});
