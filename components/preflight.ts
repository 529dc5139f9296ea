/**
 * The live preflight: before the first resource that depends on them, ask
 * the account (through each region's own alicloud provider) whether what
 * the stack asks for is on offer today, and fail with every problem at once.
 *
 * Facts such as the Kubernetes versions on sale, the zones of a region, the
 * zones of its transit router and the stock of instance types change with
 * time, region and account, so none of them is frozen in the code. The
 * preflight runs on every `pulumi preview` and `pulumi up`; offline, the
 * simulated cloud answers the same invokes from its catalog (`sim/catalog.ts`).
 *
 * The module is split like a component: {@link preflightPlan} (what to ask,
 * pure), {@link askAccount} (the invokes), {@link evaluatePreflight} (what the
 * answers mean, pure) and {@link runPreflight} (all three, throwing one
 * {@link ConfigError}).
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigProblem, formatProblem } from "../config/errors";
import type { StackConfig } from "../config/load";
import { compareVersions } from "../config/versions";
import type { NetworkPlan } from "../plan/network";
import { planVpcWithCen } from "./vpcWithCen";

/** Invoke tokens the preflight uses (named in its messages when an invoke fails). */
export const PREFLIGHT_INVOKES = {
    regions: "alicloud:index/getRegions:getRegions",
    zones: "alicloud:index/getZones:getZones",
    transitRouterZones: "alicloud:cen/getTransitRouterAvailableResources:getTransitRouterAvailableResources",
    instanceTypes: "alicloud:ecs/getInstanceTypes:getInstanceTypes",
    kubernetesVersions: "alicloud:cs/getKubernetesVersion:getKubernetesVersion",
    clusters: "alicloud:cs/getClusters:getClusters",
    enhancedNatZones: "alicloud:vpc/getEnhancedNatAvailableZones:getEnhancedNatAvailableZones",
} as const;

/** One cluster, as the preflight sees it. */
export interface PreflightCluster {
    /** Stable key (`clusters.<name>`). */
    readonly name: string;
    /** ACK cluster name, by which (with {@link PreflightPlan.ownerTags}) an existing cluster is found. */
    readonly displayName: string;
    /** Region id; the region's provider answers every question about the cluster. */
    readonly region: string;
    /** Zones of the cluster's node vSwitches (`clusters.<name>.zones`, in config order). */
    readonly zones: readonly string[];
    /** Pinned version, if any. */
    readonly kubernetesVersion?: string;
    /** Node pools: instance types (any one must be available) and zones. */
    readonly nodePools: Readonly<Record<string, { readonly instanceTypes: readonly string[]; readonly zones: readonly string[] }>>;
}

/** One transit router VPC attachment: the zones it maps. */
export interface PreflightAttachment {
    /** VPC key. */
    readonly vpc: string;
    readonly region: string;
    readonly zones: readonly string[];
    /** Config path of the zones (e.g. `clusters.hangzhou.zones`). */
    readonly zonesPath: string;
}

/** One VPC's NAT gateway: the zone it is created in, and the cluster whose vSwitch hosts it. */
export interface PreflightNatGateway {
    /** VPC key. */
    readonly vpc: string;
    readonly region: string;
    readonly zone: string;
    /** The cluster whose node vSwitch in `zone` hosts the gateway. */
    readonly cluster: string;
}

/** What the preflight asks about. */
export interface PreflightPlan {
    /** Regions, sorted. */
    readonly regions: readonly string[];
    /** Clusters, by key order. */
    readonly clusters: readonly PreflightCluster[];
    /** Transit router attachments (only when the network has a CEN). */
    readonly attachments: readonly PreflightAttachment[];
    /** The NAT gateway of every VPC (`VpcWithCen`'s internet egress). */
    readonly natGateways: readonly PreflightNatGateway[];
    /**
     * Tags that mark a cluster as this stack's (the program tags every cluster
     * `ack-mesh-stack` and `ack-mesh-mesh`). A cluster of the same ACK name
     * without them is someone else's: it is not "existing" for this stack.
     */
    readonly ownerTags: Readonly<Record<string, string>>;
}

const SORT = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What to ask the account about a validated stack. Pure.
 * @param ownerTags the tags that mark this stack's clusters (see {@link PreflightPlan.ownerTags})
 */
export function preflightPlan(config: StackConfig, network: NetworkPlan, ownerTags: Readonly<Record<string, string>>): PreflightPlan {
    const clusters = Object.values(config.clusters).map((c) => ({
        name: c.name,
        displayName: c.displayName,
        region: c.region,
        zones: [...c.zones],
        ...(c.kubernetesVersion !== undefined ? { kubernetesVersion: c.kubernetesVersion } : {}),
        nodePools: Object.fromEntries(Object.values(c.nodePools).map((p) => [p.name, { instanceTypes: [...p.instanceTypes], zones: [...p.zones] }])),
    }));
    const layout = planVpcWithCen({ network });
    const attachments = layout.cen
        ? layout.vpcs.map((v) => ({
              vpc: v.key,
              region: v.region,
              zones: v.zoneMappings.map((m) => m.zone),
              zonesPath: config.vpcs[v.key]?.shared ? `vpcs.${v.key}` : `clusters.${v.key}.zones`,
          }))
        : [];
    const natGateways = layout.vpcs.filter((v) => v.nat !== undefined).map((v) => ({ vpc: v.key, region: v.region, zone: v.nat.zone, cluster: v.nat.cluster }));
    return { regions: [...new Set(clusters.map((c) => c.region))].sort(SORT), clusters, attachments, natGateways, ownerTags: { ...ownerTags } };
}

/** An answer of the account, or why the question could not be asked. */
export type Answer<T> = { readonly value: T } | { readonly failed: { readonly invoke: string; readonly message: string; readonly fix?: string } };

/** An existing ACK cluster found by name. */
export interface ExistingCluster {
    readonly id: string;
    readonly version: string;
}

/** What one region's provider answered. */
export interface RegionAnswers {
    /** Region ids open to the account (`getRegions`). */
    readonly regions: Answer<string[]>;
    /** Zones where vSwitches can be created (`getZones`, `availableResourceCreation: VSwitch`). */
    readonly zones: Answer<string[]>;
    /** Zones the transit router attaches VPCs in (asked only when the stack has a CEN). */
    readonly transitRouterZones?: Answer<string[]>;
    /** Zones that offer enhanced NAT gateways (`vpc.getEnhancedNatAvailableZones`; asked when the region has a VPC). */
    readonly enhancedNatZones?: Answer<string[]>;
    /** Worker instance types on sale, per zone asked (`ecs.getInstanceTypes`). */
    readonly instanceTypes: Readonly<Record<string, Answer<string[]>>>;
    /** Versions CreateCluster accepts (`cs.getKubernetesVersion`), newest last. */
    readonly kubernetesVersions: Answer<string[]>;
    /** This stack's existing cluster by ACK name (undefined: none), asked for every cluster of the region. */
    readonly clusters: Readonly<Record<string, Answer<ExistingCluster | undefined>>>;
    /** IDs of clusters with the same ACK name that are not this stack's (no {@link PreflightPlan.ownerTags}). */
    readonly foreignClusters?: Readonly<Record<string, readonly string[]>>;
}

/** Every answer, by region. */
export type AccountAnswers = Readonly<Record<string, RegionAnswers>>;

/** What the preflight decided for one cluster's Kubernetes version. */
export interface VersionDecision {
    /** The version to pass to `AckCluster.kubernetesVersion`. */
    readonly version: string;
    /** True when the stack pins it; false when it is the newest offered (then create-only). */
    readonly pinned: boolean;
    /** The version an existing cluster runs, if it exists. */
    readonly running?: string;
}

/** The outcome of the preflight. */
export interface PreflightResult {
    /** Problems; the stack must not go on when there is any. */
    readonly problems: ConfigProblem[];
    /** Things to tell the user that do not stop the run. */
    readonly warnings: string[];
    /** One line per check that passed, for the plan's "Preflight" section. */
    readonly passed: string[];
    /** Kubernetes version per cluster (only when there is no problem with it). */
    readonly versions: Readonly<Record<string, VersionDecision>>;
}

/** The minor version of an ACK version (`1.35.7-aliyun.1` → 35). */
function minorOf(v: string): number {
    return Number((v.match(/^\d+\.(\d+)/) ?? [])[1] ?? NaN);
}

function failure(a: Answer<unknown> | undefined): { invoke: string; message: string } | undefined {
    return a !== undefined && "failed" in a ? a.failed : undefined;
}

/** The value of an answer that did not fail (check {@link failure} first). */
function valueOf<T>(a: Answer<T>): T {
    return (a as { value: T }).value;
}

/**
 * What the answers mean for the stack. Pure.
 *
 * - A region the account does not offer is a problem that lists the account's regions
 *   (typos are caught earlier, by the config check against the provider's region list).
 * - A zone where vSwitches cannot be created is a problem that lists the zones on offer.
 * - A transit router attachment zone the region's transit router does not support is a problem.
 * - A node pool with none of its instance types on sale in one of its zones is a problem.
 * - Kubernetes: a pinned version must be offered, unless an existing cluster
 *   already runs exactly it (then a warning says it is end of life); a pin
 *   older than what the cluster runs is a problem (no downgrades). Without a
 *   pin a new cluster gets the newest offered version, and an existing one
 *   keeps its own.
 * - The zone each VPC's NAT gateway is created in must offer enhanced NAT gateways.
 * - A question that could not be asked is a problem that names the invoke:
 *   nothing passes silently.
 *
 * What exists already (this stack's cluster, found by name and tags, with its vSwitches,
 * attachment and NAT gateway) turns the zone, instance type, transit router
 * and NAT findings about it into warnings: those facts matter for new
 * resources only, and a zone that stopped selling must not block every later
 * update of a running cluster.
 */
export function evaluatePreflight(plan: PreflightPlan, answers: AccountAnswers): PreflightResult {
    const problems: ConfigProblem[] = [];
    const warnings: string[] = [];
    const passed: string[] = [];
    const versions: Record<string, VersionDecision> = {};
    const cannotCheck = (path: string, what: string, f: { invoke: string; message: string; fix?: string }, region: string) =>
        problems.push({
            path,
            message: `could not be checked: the invoke ${f.invoke} failed in ${region} (${f.message})`,
            fix: f.fix ?? "check the credentials and the RAM permissions of the deploying identity (read access to ECS, VPC, CEN and ACK), then run the preview again",
            value: what,
        });
    const missing = (region: string, what: string): Answer<never> => ({ failed: { invoke: what, message: `no answer was gathered for region ${region}` } });
    // A cluster that exists already has its vSwitches, attachment and workers: what is no longer on offer
    // only stops new resources there, so it is a warning, not a reason to block every later update.
    const existsByName = (region: string, displayName: string): boolean => {
        const e = answers[region]?.clusters[displayName];
        return e !== undefined && "value" in e && e.value !== undefined;
    };
    const existing = new Set(plan.clusters.filter((c) => existsByName(c.region, c.displayName)).map((c) => c.name));
    /** A region's answers when the account can use it (an unusable one is reported with its clusters). */
    const usable = (region: string): RegionAnswers | undefined => {
        const a = answers[region];
        return a !== undefined && !failure(a.regions) && valueOf(a.regions).includes(region) ? a : undefined;
    };
    const flag = (exists: boolean, problem: ConfigProblem) => {
        if (exists) warnings.push(`${formatProblem(problem)} (Not an error: this already exists; only new resources there would fail.)`);
        else problems.push(problem);
    };

    for (const c of plan.clusters) {
        const base = `clusters.${c.name}`;
        const a = answers[c.region];
        const regionsAnswer = a?.regions ?? missing(c.region, PREFLIGHT_INVOKES.regions);
        const rf = failure(regionsAnswer);
        if (rf) {
            cannotCheck(`${base}.region`, c.region, rf, c.region);
            continue;
        }
        const offered = valueOf(regionsAnswer);
        if (!offered.includes(c.region)) {
            // The id passed the provider's own check, so it is no typo: the account lacks the region.
            problems.push({
                path: `${base}.region`,
                value: c.region,
                message: "is a region the provider knows, but not one this account can use (getRegions)",
                fix: `use one of the account's regions: ${[...offered].sort(SORT).join(", ")}`,
            });
            continue;
        }

        // Zones.
        const zf = failure(a.zones);
        // Zones found not on offer are reported once, here; their instance types are not asked about again.
        const offeredZones = zf ? undefined : valueOf(a.zones);
        if (zf) {
            cannotCheck(`${base}.zones`, c.zones.join(", "), zf, c.region);
        } else {
            const zones = valueOf(a.zones);
            c.zones.forEach((z, i) => {
                if (!zones.includes(z)) {
                    flag(existing.has(c.name), {
                        path: `${base}.zones[${i}]`,
                        value: z,
                        message: `is not a zone of ${c.region} where vSwitches can be created (getZones); on offer: ${[...zones].sort(SORT).join(", ") || "none"}`,
                        fix: "use one of the zones on offer",
                    });
                }
            });
            if (c.zones.every((z) => zones.includes(z))) passed.push(`${c.name}: zones ${c.zones.join(", ")} offered in ${c.region}`);
        }

        // Instance types, per pool and zone.
        for (const [pool, p] of Object.entries(c.nodePools)) {
            let allOnOffer = true;
            for (const z of p.zones) {
                if (offeredZones !== undefined && !offeredZones.includes(z)) continue;
                const it = a.instanceTypes[z] ?? missing(c.region, PREFLIGHT_INVOKES.instanceTypes);
                const f = failure(it);
                if (f) {
                    cannotCheck(`${base}.nodePools.${pool}.instanceTypes`, `${p.instanceTypes.join(", ")} in ${z}`, f, c.region);
                    allOnOffer = false;
                    continue;
                }
                const onSale = valueOf(it);
                if (!p.instanceTypes.some((t) => onSale.includes(t))) {
                    const alike = onSale.filter((t) => p.instanceTypes.some((w) => t.split(".").slice(-1)[0] === w.split(".").slice(-1)[0])).sort(SORT).slice(0, 5);
                    flag(existing.has(c.name), {
                        path: `${base}.nodePools.${pool}.instanceTypes`,
                        value: p.instanceTypes,
                        message: `none of these instance types is available in zone ${z} (ecs.getInstanceTypes)${alike.length ? `; of the same size, ${z} offers: ${alike.join(", ")}` : ""}`,
                        fix: `add an instance type on offer in ${z} to the list, or place the pool in other zones (nodePools.${pool}.zones)`,
                    });
                    allOnOffer = false;
                }
            }
            if (allOnOffer) passed.push(`${c.name}/${pool}: an instance type of ${p.instanceTypes.join(", ")} is on offer in ${p.zones.join(", ")}`);
        }

        // Kubernetes version.
        const kv = a.kubernetesVersions;
        const kf = failure(kv);
        const found = a.clusters[c.displayName] ?? missing(c.region, PREFLIGHT_INVOKES.clusters);
        const ef = failure(found);
        if (kf || ef) {
            cannotCheck(`${base}.kubernetesVersion`, c.kubernetesVersion ?? "(newest offered)", (kf ?? ef)!, c.region);
            continue;
        }
        const onOffer = [...valueOf(kv)].sort(compareVersions);
        const running = valueOf(found)?.version;
        const foreign = a.foreignClusters?.[c.displayName] ?? [];
        if (foreign.length) {
            warnings.push(
                `clusters.${c.name}: the account already has ${foreign.length === 1 ? "a cluster" : `${foreign.length} clusters`} named "${c.displayName}" in ${c.region} (${foreign.join(", ")}) without this stack's tags (${Object.entries(plan.ownerTags).map(([k, v]) => `${k}=${v}`).join(", ")}); ${running === undefined ? "a new one is created beside it" : "it is ignored"}. Set clusters.${c.name}.displayName to tell them apart in the console.`,
            );
        }
        const list = onOffer.join(", ") || "none";
        if (c.kubernetesVersion === undefined) {
            if (running !== undefined) {
                versions[c.name] = { version: running, pinned: false, running };
                passed.push(`${c.name}: Kubernetes ${running} (running; kept)`);
                if (!onOffer.includes(running) && onOffer.length > 0) {
                    warnings.push(
                        `clusters.${c.name} runs Kubernetes ${running}, which ACK no longer offers (on offer in ${c.region}: ${list}). It keeps running, but plan an upgrade: set clusters.${c.name}.kubernetesVersion to a newer version on offer (docs/troubleshooting.md, "Kubernetes versions").`,
                    );
                }
            } else if (onOffer.length === 0) {
                problems.push({ path: `${base}.kubernetesVersion`, message: `ACK offers no Kubernetes version for new managed clusters in ${c.region} (cs.getKubernetesVersion)`, fix: "choose another region, or check the account's ACK activation" });
            } else {
                const newest = onOffer[onOffer.length - 1];
                versions[c.name] = { version: newest, pinned: false };
                passed.push(`${c.name}: Kubernetes ${newest} (newest offered in ${c.region}; new cluster)`);
            }
            continue;
        }
        const pin = c.kubernetesVersion;
        if (running !== undefined && pin === running) {
            versions[c.name] = { version: pin, pinned: true, running };
            passed.push(`${c.name}: Kubernetes ${pin} (pinned; running)`);
            if (!onOffer.includes(pin)) {
                warnings.push(
                    `clusters.${c.name}.kubernetesVersion ${pin} is no longer offered by ACK (on offer in ${c.region}: ${list}). The cluster keeps running it, but plan an upgrade: raise the pin to a newer version on offer.`,
                );
            }
        } else if (running !== undefined && compareVersions(pin, running) < 0) {
            problems.push({
                path: `${base}.kubernetesVersion`,
                value: pin,
                message: `is older than the ${running} the existing cluster "${c.displayName}" runs; ACK cannot downgrade`,
                fix: `set it to ${running}, or to a newer version on offer: ${list}`,
            });
        } else if (running !== undefined && minorOf(pin) - minorOf(running) > 1) {
            // ACK upgrades the control plane one minor version at a time.
            const next = onOffer.filter((v) => minorOf(v) === minorOf(running) + 1);
            problems.push({
                path: `${base}.kubernetesVersion`,
                value: pin,
                message: `skips a minor version: the existing cluster "${c.displayName}" runs ${running}, and ACK upgrades one minor version at a time`,
                fix: next.length ? `upgrade to ${next[next.length - 1]} first, then to ${pin}` : `upgrade to the next minor version first (on offer: ${list})`,
            });
        } else if (!onOffer.includes(pin)) {
            problems.push({
                path: `${base}.kubernetesVersion`,
                value: pin,
                message: `is not offered by ACK ${running !== undefined ? "as an upgrade target" : "for new managed clusters"} in ${c.region} (cs.getKubernetesVersion lists the versions on sale); on offer: ${list}`,
                fix: onOffer.length ? `use ${onOffer[onOffer.length - 1]} (the newest), or remove the pin to get the newest on offer` : "choose another region",
            });
        } else {
            versions[c.name] = { version: pin, pinned: true, ...(running !== undefined ? { running } : {}) };
            passed.push(`${c.name}: Kubernetes ${pin} (pinned${running !== undefined ? `; upgrade from ${running}` : "; new cluster"})`);
        }
    }

    // Transit router zones.
    for (const att of plan.attachments) {
        const a = usable(att.region);
        if (!a) continue; // reported above
        const tr = a.transitRouterZones ?? missing(att.region, PREFLIGHT_INVOKES.transitRouterZones);
        const f = failure(tr);
        if (f) {
            cannotCheck(att.zonesPath, att.zones.join(", "), f, att.region);
            continue;
        }
        const supported = valueOf(tr);
        const bad = att.zones.filter((z) => !supported.includes(z));
        if (bad.length) {
            const vpcExists = plan.clusters.some((c) => existing.has(c.name) && att.zonesPath.startsWith(`clusters.${c.name}.`)) || (att.zonesPath.startsWith("vpcs.") && plan.clusters.some((c) => existing.has(c.name) && c.region === att.region));
            flag(vpcExists, {
                path: att.zonesPath,
                value: bad,
                message: `the transit router of ${att.region} cannot attach VPC "${att.vpc}" in ${bad.length === 1 ? "this zone" : "these zones"} (cen.getTransitRouterAvailableResources); it supports: ${[...supported].sort(SORT).join(", ") || "none"}`,
                fix: "move the VPC's clusters to zones the transit router supports (every zone of the VPC is mapped into its attachment)",
            });
        } else {
            passed.push(`vpc ${att.vpc}: transit router of ${att.region} supports ${att.zones.join(", ")}`);
        }
    }
    // NAT gateways: the zone VpcWithCen creates each VPC's gateway in must offer enhanced NAT gateways.
    for (const nat of plan.natGateways) {
        const a = usable(nat.region);
        if (!a) continue; // reported above
        const ans = a.enhancedNatZones ?? missing(nat.region, PREFLIGHT_INVOKES.enhancedNatZones);
        const path = `clusters.${nat.cluster}.zones`;
        const f = failure(ans);
        if (f) {
            cannotCheck(path, nat.zone, f, nat.region);
            continue;
        }
        const zones = valueOf(ans);
        if (!zones.includes(nat.zone)) {
            flag(existing.has(nat.cluster), {
                path,
                value: nat.zone,
                message: `VPC "${nat.vpc}" gets its NAT gateway in the first zone of its first cluster, ${nat.zone}, where enhanced NAT gateways are not offered (vpc.getEnhancedNatAvailableZones); offered: ${[...zones].sort(SORT).join(", ") || "none"}`,
                fix: `list first, in ${path}, a zone that offers enhanced NAT gateways`,
            });
        } else {
            passed.push(`vpc ${nat.vpc}: enhanced NAT gateway offered in ${nat.zone}`);
        }
    }
    return { problems, warnings, passed, versions };
}

async function ask<T>(invoke: string, call: () => Promise<T>): Promise<Answer<T>> {
    try {
        return { value: await call() };
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return { failed: { invoke, message: message.split("\n")[0].slice(0, 300) } };
    }
}

/** A regular expression that matches exactly `s`. */
function exactly(s: string): string {
    return `^${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
}

/**
 * Asks the account every question of `plan`, through each region's own
 * provider. Invokes that fail become failed answers (never an exception),
 * so that {@link evaluatePreflight} reports them with the rest.
 *
 * Invokes: `getRegions`, `getZones({ availableResourceCreation: "VSwitch" })`,
 * `cen.getTransitRouterAvailableResources` (only with a CEN),
 * `ecs.getInstanceTypes({ availabilityZone, kubernetesNodeRole: "Worker",
 * instanceChargeType: "PostPaid" })` per zone of a node pool,
 * `cs.getKubernetesVersion({ clusterType: "ManagedKubernetes", profile:
 * "Default" })` (its API, DescribeKubernetesVersionMetadata, lists the
 * versions available for new clusters), and `cs.getClusters({ clusterName,
 * clusterType: "ManagedKubernetes" })` per cluster, to find one of this
 * stack's that exists (same name and {@link PreflightPlan.ownerTags}),
 * and `vpc.getEnhancedNatAvailableZones` (the zones of the VPCs' NAT gateways).
 */
export async function askAccount(plan: PreflightPlan, providers: Readonly<Record<string, pulumi.ProviderResource>>, opts: { parent?: pulumi.Resource } = {}): Promise<AccountAnswers> {
    const out: Record<string, RegionAnswers> = {};
    await Promise.all(
        plan.regions.map(async (region) => {
            const o: pulumi.InvokeOptions = { provider: providers[region], ...(opts.parent ? { parent: opts.parent } : {}) };
            const clusters = plan.clusters.filter((c) => c.region === region);
            const zones = [...new Set(clusters.flatMap((c) => Object.values(c.nodePools).flatMap((p) => [...p.zones])))].sort(SORT);
            const needsTr = plan.attachments.some((a) => a.region === region);
            const needsNat = plan.natGateways.some((n) => n.region === region);
            const [regions, zoneList, tr, versions, natZones] = await Promise.all([
                ask(PREFLIGHT_INVOKES.regions, async () => (await alicloud.getRegions({}, o)).regions.map((r) => r.id)),
                ask(PREFLIGHT_INVOKES.zones, async () => (await alicloud.getZones({ availableResourceCreation: "VSwitch" }, o)).zones.map((z) => z.id)),
                needsTr
                    ? ask(PREFLIGHT_INVOKES.transitRouterZones, async () => {
                          const r = await alicloud.cen.getTransitRouterAvailableResources({}, o);
                          return [...new Set(r.resources.flatMap((x) => [...x.masterZones, ...x.slaveZones, ...(x.availableZones ?? [])]))];
                      })
                    : Promise.resolve(undefined),
                ask(PREFLIGHT_INVOKES.kubernetesVersions, async () =>
                    (await alicloud.cs.getKubernetesVersion({ clusterType: "ManagedKubernetes", profile: "Default" }, o)).metadatas.map((m) => m.version),
                ),
                needsNat ? ask(PREFLIGHT_INVOKES.enhancedNatZones, async () => (await alicloud.vpc.getEnhancedNatAvailableZones({}, o)).zones.map((z) => z.zoneId)) : Promise.resolve(undefined),
            ]);
            const instanceTypes: Record<string, Answer<string[]>> = {};
            const existing: Record<string, Answer<ExistingCluster | undefined>> = {};
            const foreignClusters: Record<string, string[]> = {};
            await Promise.all([
                ...zones.map(async (z) => {
                    instanceTypes[z] = await ask(PREFLIGHT_INVOKES.instanceTypes, async () =>
                        (await alicloud.ecs.getInstanceTypes({ availabilityZone: z, kubernetesNodeRole: "Worker", instanceChargeType: "PostPaid" }, o)).instanceTypes.map((t) => t.id),
                    );
                }),
                ...clusters.map(async (c) => {
                    let own: { clusterId: string; currentVersion: string }[] = [];
                    existing[c.displayName] = await ask(PREFLIGHT_INVOKES.clusters, async () => {
                        const r = await alicloud.cs.getClusters({ clusterName: c.displayName, clusterType: "ManagedKubernetes", nameRegex: exactly(c.displayName), enableDetails: true }, o);
                        // ACK names need not be unique: only a cluster with this stack's tags is this stack's.
                        const named = r.clusters.filter((x) => x.clusterName === c.displayName);
                        own = named.filter((x) => Object.entries(plan.ownerTags).every(([k, v]) => x.tags?.[k] === v));
                        const others = named.filter((x) => !own.includes(x)).map((x) => x.clusterId);
                        if (others.length) foreignClusters[c.displayName] = others;
                        return own.length === 1 ? { id: own[0].clusterId, version: own[0].currentVersion } : undefined;
                    });
                    if (own.length > 1) {
                        existing[c.displayName] = {
                            failed: {
                                invoke: PREFLIGHT_INVOKES.clusters,
                                message: `${own.length} clusters named "${c.displayName}" carry this stack's tags: ${own.map((x) => x.clusterId).join(", ")}`,
                                fix: "delete or re-tag the cluster that is not this stack's, or import the right one into the stack",
                            },
                        };
                    }
                }),
            ]);
            out[region] = {
                regions,
                zones: zoneList,
                ...(tr ? { transitRouterZones: tr } : {}),
                ...(natZones ? { enhancedNatZones: natZones } : {}),
                instanceTypes,
                kubernetesVersions: versions,
                clusters: existing,
                ...(Object.keys(foreignClusters).length ? { foreignClusters } : {}),
            };
        }),
    );
    return out;
}

/** First line of the summary that {@link runPreflight} logs (the offline plan finds its "Preflight" section by it). */
export const PREFLIGHT_SUMMARY_HEADING = "Preflight passed";

/** The passed checks, one per line, under {@link PREFLIGHT_SUMMARY_HEADING}. */
export function preflightSummary(result: Pick<PreflightResult, "passed">): string {
    return [`${PREFLIGHT_SUMMARY_HEADING}: ${result.passed.length} checks against the account`, ...result.passed.map((l) => `  ok  ${l}`)].join("\n");
}

/**
 * Asks the account and evaluates the answers. Logs each warning with
 * `pulumi.log.warn` and returns the result; throws one {@link ConfigError}
 * headed "Preflight failed" that lists every problem.
 */
export async function runPreflight(plan: PreflightPlan, providers: Readonly<Record<string, pulumi.ProviderResource>>): Promise<PreflightResult> {
    const result = evaluatePreflight(plan, await askAccount(plan, providers));
    for (const w of result.warnings) pulumi.log.warn(w);
    if (result.problems.length === 0) pulumi.log.info(preflightSummary(result));
    if (result.problems.length) throw new ConfigError(result.problems, "Preflight failed: the account does not offer what the stack asks for");
    return result;
}
