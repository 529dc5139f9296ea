/**
 * Runs the program on ack-mesh's simulated Alibaba Cloud (no account, no
 * Pulumi CLI) and prints what it registers, as JSON: `node test.js`.
 */
import { simulate } from "ack-mesh/testing";
import { consumerProgram } from "./program";

async function main(): Promise<void> {
    const result = await simulate(consumerProgram, { project: "consumer", stack: "test" });
    const count: Record<string, number> = {};
    for (const r of result.resources) count[r.type] = (count[r.type] ?? 0) + 1;
    process.stdout.write(`${JSON.stringify({ counts: count, names: result.resources.map((r) => r.name).sort(), outputs: result.outputs })}\n`);
}

main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
});
