/**
 * The one version order of the project, shared by the Istio revision rules
 * (config/revisions.ts), the upgrade-step classifier (sim/upgradeSteps.ts) and
 * the preflight's choice of the newest ACK version (components/preflight.ts). Pure.
 */

/**
 * Compares dotted versions numerically (`1.9.0` < `1.10.0`), with any `-aliyun.N` or
 * pre-release suffix as a last tie-break (`1.35.7-aliyun.1` < `1.35.7-aliyun.2`).
 * Negative when `a` is older, 0 when equal.
 */
export function compareVersions(a: string, b: string): number {
    const parts = (v: string) => v.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    const pa = parts(a);
    const pb = parts(b);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const x = pa[i] ?? 0;
        const y = pb[i] ?? 0;
        if (x === y) continue;
        if (typeof x === "number" && typeof y === "number") return x - y;
        return String(x) < String(y) ? -1 : 1;
    }
    return 0;
}
