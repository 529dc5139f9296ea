/** Runs `npm run plan` (scripts/plan.ts) in-process for the specs, capturing its output. */
import { PlanIO, main } from "../../scripts/plan";

/** Runs the plan CLI with `argv`; its exit status and its stdout and stderr, each joined by newlines. */
export async function runPlan(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: PlanIO = { out: (t) => out.push(t), err: (t) => err.push(t) };
    const code = await main(argv, io);
    return { code, out: out.join("\n"), err: err.join("\n") };
}
