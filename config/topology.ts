/**
 * The mesh topology rules of the stack config: who runs istiod and which
 * primary controls each remote (`mesh.topology`, `clusters.<name>.role`,
 * `clusters.<name>.controlPlane`). Used by `parseStackConfig` (config/load.ts).
 */
import type { ProblemCollector } from "./errors";
import type { ParsedStackConfig } from "./schema";

/**
 * The topology rules (`mesh.topology`, `clusters.<name>.role`,
 * `clusters.<name>.controlPlane`); returns each cluster's control plane
 * (its own name for a primary). Problems go to `problems`; a remote whose
 * control plane cannot be resolved gets the first primary, so that the later
 * rules still run.
 *
 * - `primary-remote`: exactly one primary; remotes default to it.
 * - `multi-primary`: no remotes.
 * - `multi-primary-remote`: at least one primary; with several, each remote
 *   names its primary (a default would silently attach it to one of them).
 */
export function resolveControlPlanes(parsed: ParsedStackConfig, problems: ProblemCollector): Record<string, string> {
    const { mesh } = parsed;
    const entries = Object.entries(parsed.clusters);
    const primaries = entries.filter(([, c]) => c.role === "primary").map(([k]) => k);
    const primaryList = primaries.length ? primaries.join(", ") : "(none)";
    if (mesh.topology === "primary-remote" && primaries.length !== 1) {
        problems.add(
            "clusters",
            `a primary-remote mesh needs exactly one cluster with role: primary, found ${primaries.length}${primaries.length ? ` (${primaries.join(", ")})` : ""}`,
            primaries.length
                ? "make the others role: remote, or set mesh.topology: multi-primary-remote (each remote then names its primary in clusters.<name>.controlPlane)"
                : "set role: primary on the control-plane cluster",
        );
    }
    if (mesh.topology === "multi-primary-remote" && primaries.length === 0) {
        problems.add("clusters", "a multi-primary-remote mesh needs at least one cluster with role: primary, found 0", "set role: primary on each control-plane cluster");
    }
    const result: Record<string, string> = {};
    for (const [key, c] of entries) {
        const base = `clusters.${key}`;
        result[key] = key;
        if (c.role === "primary") {
            if (c.controlPlane !== undefined && c.controlPlane !== key) {
                problems.add(`${base}.controlPlane`, "only a remote cluster has a control plane elsewhere", "remove it from the primary", c.controlPlane);
            }
            continue;
        }
        if (mesh.topology === "multi-primary") {
            problems.add(
                `${base}.role`,
                "a multi-primary mesh runs a control plane in every cluster",
                "set role: primary, or set mesh.topology: multi-primary-remote (several primaries with remotes) or primary-remote",
                c.role,
            );
        }
        result[key] = primaries[0] ?? key;
        if (c.controlPlane === undefined) {
            if (primaries.length > 1) {
                problems.add(
                    `${base}.controlPlane`,
                    `is required: the mesh has ${primaries.length} primaries (${primaryList}), and a remote is controlled by exactly one`,
                    `set ${base}.controlPlane to one of: ${primaryList}`,
                );
            }
            continue;
        }
        const target = Object.hasOwn(parsed.clusters, c.controlPlane) ? parsed.clusters[c.controlPlane] : undefined;
        if (target === undefined) {
            problems.add(`${base}.controlPlane`, "names a cluster that does not exist", primaries.length ? `use one of: ${primaryList}` : "add a primary cluster", c.controlPlane);
        } else if (target.role !== "primary") {
            // A remote's remote: name the primary at the end of the chain when there is one.
            const upstream = target.controlPlane !== undefined && parsed.clusters[target.controlPlane]?.role === "primary" ? target.controlPlane : undefined;
            problems.add(
                `${base}.controlPlane`,
                `names ${c.controlPlane}, which is itself a remote; only a primary runs the istiod that injects and configures a remote`,
                upstream ? `use ${c.controlPlane}'s primary: ${base}.controlPlane: ${upstream}` : `use one of: ${primaryList}`,
                c.controlPlane,
            );
        } else {
            result[key] = c.controlPlane;
        }
    }
    return result;
}
