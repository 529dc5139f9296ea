/**
 * The simulated account's answers to the questions the live preflight asks (`components/preflight.ts`):
 * `getRegions`, `getZones`, `cen.getTransitRouterAvailableResources`, `ecs.getInstanceTypes`,
 * `cs.getKubernetesVersion`, `cs.getClusters` and `vpc.getEnhancedNatAvailableZones`, all answered from the catalog of the simulation
 * (`SimulationOptions.catalog`, default `sim/catalogData.ts`) and from the clusters that exist in it.
 *
 * Like the real provider, every answer is for the region of the provider the invoke is made through.
 * An argument these handlers do not model fails loudly rather than being ignored.
 *
 * @module
 */
import { CloudObject, InvokeContext, defineInvokes } from "./cloud";
import { type CatalogRegion, type SimCatalog, enhancedNatZones, offeredVersions } from "./catalog";
import { ALI } from "./alicloud";
import { Rec, str } from "./values";

/** Invoke tokens served by this module. */
export const ACCOUNT_INVOKES = {
  getRegions: "alicloud:index/getRegions:getRegions",
  getZones: "alicloud:index/getZones:getZones",
  getTransitRouterAvailableResources: "alicloud:cen/getTransitRouterAvailableResources:getTransitRouterAvailableResources",
  getInstanceTypes: "alicloud:ecs/getInstanceTypes:getInstanceTypes",
  getKubernetesVersion: "alicloud:cs/getKubernetesVersion:getKubernetesVersion",
  getClusters: "alicloud:cs/getClusters:getClusters",
  getEnhancedNatAvailableZones: "alicloud:vpc/getEnhancedNatAvailableZones:getEnhancedNatAvailableZones",
} as const;


function catalogOf(ctx: InvokeContext): SimCatalog {
  return ctx.cloud.options.catalog;
}

/** The catalog entry of the invoke's region; fails like the real API for a region the account does not have. */
function regionOf(ctx: InvokeContext): CatalogRegion {
  const r = catalogOf(ctx).regions[ctx.region];
  if (!r) ctx.fail(`region '${ctx.region}' is not open to this account (the catalog has no such region)`);
  return r;
}

/** Fails on arguments the handler does not model, so that a test never passes on an ignored filter. */
function onlyArgs(ctx: InvokeContext, args: Rec, allowed: readonly string[]): void {
  const extra = Object.keys(args).filter((k) => args[k] !== undefined && !allowed.includes(k));
  if (extra.length) ctx.fail(`argument(s) ${extra.join(", ")} are not modelled by the simulated cloud; model them in sim/alicloudAccount.ts`);
}

defineInvokes({
  [ACCOUNT_INVOKES.getRegions]: (args, ctx) => {
    onlyArgs(ctx, args, ["current", "name"]);
    const catalog = catalogOf(ctx);
    let regions = Object.values(catalog.regions);
    if (args["current"] === true) regions = regions.filter((r) => r.id === ctx.region);
    if (str(args["name"]) !== undefined) regions = regions.filter((r) => r.id === str(args["name"]));
    return {
      ...args,
      id: String(regions.length),
      current: args["current"] === true,
      name: str(args["name"]) ?? "",
      ids: regions.map((r) => r.id),
      regions: regions.map((r) => ({ id: r.id, regionId: r.id, localName: r.localName })),
    };
  },
  [ACCOUNT_INVOKES.getZones]: (args, ctx) => {
    onlyArgs(ctx, args, ["availableResourceCreation", "availableInstanceType"]);
    const region = regionOf(ctx);
    const creation = str(args["availableResourceCreation"]);
    if (creation !== undefined && !["VSwitch", "Instance"].includes(creation)) ctx.fail(`availableResourceCreation '${creation}' is not modelled (VSwitch, Instance)`);
    const type = str(args["availableInstanceType"]);
    const zones = Object.values(region.zones).filter((z) => type === undefined || z.instanceTypes.includes(type));
    return {
      ...args,
      id: String(zones.length),
      ids: zones.map((z) => z.id),
      zones: zones.map((z) => ({
        id: z.id,
        localName: z.localName,
        availableInstanceTypes: [...z.instanceTypes],
        availableResourceCreations: ["VSwitch", "Instance", "Disk"],
        availableDiskCategories: ["cloud_essd", "cloud_auto"],
        multiZoneIds: [],
        slbSlaveZoneIds: [],
      })),
    };
  },
  [ACCOUNT_INVOKES.getTransitRouterAvailableResources]: (args, ctx) => {
    onlyArgs(ctx, args, []);
    const tr = regionOf(ctx).transitRouter;
    const available = [...new Set([...tr.masterZones, ...tr.slaveZones])];
    return {
      ...args,
      id: ctx.region,
      resources: available.length ? [{ masterZones: [...tr.masterZones], slaveZones: [...tr.slaveZones], availableZones: available, supportMulticast: false }] : [],
    };
  },
  [ACCOUNT_INVOKES.getInstanceTypes]: (args, ctx) => {
    onlyArgs(ctx, args, ["availabilityZone", "kubernetesNodeRole", "instanceChargeType", "instanceType"]);
    // Every tracked type can be a pay-as-you-go or subscription worker; other values are not modelled.
    const role = str(args["kubernetesNodeRole"]);
    if (role !== undefined && role !== "Worker") ctx.fail(`kubernetesNodeRole '${role}' is not modelled (Worker)`);
    const charge = str(args["instanceChargeType"]);
    if (charge !== undefined && charge !== "PostPaid" && charge !== "PrePaid") ctx.fail(`instanceChargeType '${charge}' must be PostPaid or PrePaid`);
    const region = regionOf(ctx);
    const zoneId = str(args["availabilityZone"]);
    if (zoneId !== undefined && !region.zones[zoneId]) ctx.fail(`availabilityZone '${zoneId}' is not a zone of ${ctx.region}`);
    const zones = zoneId !== undefined ? [region.zones[zoneId]] : Object.values(region.zones);
    const byType = new Map<string, string[]>();
    for (const z of zones) for (const t of z.instanceTypes) byType.set(t, [...(byType.get(t) ?? []), z.id]);
    const wanted = str(args["instanceType"]);
    const types = [...byType.entries()].filter(([t]) => wanted === undefined || t === wanted).sort(([a], [b]) => (a < b ? -1 : 1));
    return {
      ...args,
      id: String(types.length),
      ids: types.map(([t]) => t),
      instanceTypes: types.map(([t, zs]) => ({ id: t, family: t.split(".").slice(0, 2).join("."), availabilityZones: zs })),
    };
  },
  [ACCOUNT_INVOKES.getKubernetesVersion]: (args, ctx) => {
    onlyArgs(ctx, args, ["clusterType", "profile", "kubernetesVersion"]);
    regionOf(ctx);
    const type = str(args["clusterType"]);
    if (type !== "ManagedKubernetes" && type !== "Kubernetes") ctx.fail(`clusterType must be Kubernetes or ManagedKubernetes (got '${type}')`);
    const profile = str(args["profile"]) ?? "Default";
    if (profile !== "Default") ctx.fail(`profile '${profile}' is not modelled (only Default)`);
    const only = str(args["kubernetesVersion"]);
    const versions = offeredVersions(catalogOf(ctx), ctx.region).filter((v) => only === undefined || v.version === only);
    return {
      ...args,
      id: String(versions.length),
      metadatas: versions.map((v) => ({ version: v.version, runtimes: v.runtimes.map((r) => ({ ...r })) })),
    };
  },
  [ACCOUNT_INVOKES.getEnhancedNatAvailableZones]: (args, ctx) => {
    onlyArgs(ctx, args, []);
    const region = regionOf(ctx);
    const zones = enhancedNatZones(catalogOf(ctx), ctx.region).map((id) => region.zones[id]).filter((z) => z !== undefined);
    return { ...args, id: ctx.region, ids: zones.map((z) => z.id), zones: zones.map((z) => ({ zoneId: z.id, localName: z.localName })) };
  },
  [ACCOUNT_INVOKES.getClusters]: (args, ctx) => {
    onlyArgs(ctx, args, ["clusterName", "clusterType", "nameRegex", "enableDetails", "ids"]);
    const name = str(args["clusterName"]);
    const regex = str(args["nameRegex"]);
    const type = str(args["clusterType"]);
    // Every simulated cluster is an ACK managed cluster.
    if (type !== undefined && type !== "ManagedKubernetes") return { ...args, id: "0", ids: [], names: [], clusters: [] };
    const existing = accountClusters(ctx).filter(
      (c) => c.region === ctx.region && (name === undefined || c.name.includes(name)) && (regex === undefined || new RegExp(regex).test(c.name)),
    );
    return {
      ...args,
      id: String(existing.length),
      ids: existing.map((c) => c.id),
      names: existing.map((c) => c.name),
      clusters: existing.map((c) => ({
        id: c.id,
        clusterId: c.id,
        clusterName: c.name,
        clusterType: "ManagedKubernetes",
        currentVersion: c.version,
        regionId: c.region,
        state: "running",
        tags: { ...c.tags },
      })),
    };
  },
});

/** Every ACK cluster in the account: those that existed before the run, and those the run created. */
function accountClusters(ctx: InvokeContext): { id: string; name: string; region: string; version: string; tags: Record<string, string> }[] {
  const before = (ctx.cloud.options.existingClusters ?? []).map((c) => ({
    id: c.id ?? `c${Buffer.from(c.name).toString("hex").padEnd(32, "0").slice(0, 32)}`,
    name: c.name,
    region: c.region,
    version: c.version,
    tags: { ...c.tags },
  }));
  const created = ctx.cloud.ofType(ALI.cluster).map((o: CloudObject) => ({
    id: o.id,
    name: str(o.outputs["name"]) ?? o.name,
    region: o.region ?? ctx.region,
    version: str(o.outputs["version"]) ?? "",
    tags: { ...((o.outputs["tags"] as Record<string, string> | undefined) ?? {}) },
  }));
  return [...before, ...created];
}
