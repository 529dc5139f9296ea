/**
 * The CIDR planner: pure, deterministic, no Pulumi.
 *
 * Allocation is keyed by a *slot* per cluster (and per shared VPC), never by
 * list position. A slot is either set explicitly or derived from the name
 * with FNV-1a (frozen: changing the hash would move live networks). Adding
 * or removing a cluster therefore changes nothing for the others — which
 * matters because pod and service CIDRs force replacement of an ACK cluster.
 *
 * Address layout (each range may instead be pinned in the config):
 * - VPC (own VPC): `10.<slot>.0.0/16`, i.e. block `slot` of /16 in 10.0.0.0/9.
 *   A shared VPC takes the block of its own slot; each member cluster uses the
 *   quarter `slot mod 4` of it.
 * - Node vSwitch of zone letter L (a=0 … p=15): block L of the first half of
 *   the cluster's VPC block (a /21 when the cluster owns a /16 VPC).
 * - Terway pod vSwitch of zone letter L: block L of the second half.
 * - Flannel pod CIDR: `10.<128+slot>.0.0/16` (10.128.0.0/9).
 * - Service CIDR: block `slot` of /20 in 172.24.0.0/13 (clear of ACK's
 *   default 172.19.0.0/20 and of Docker's 172.17.0.0/16).
 */
import { ClusterConfig, parseStackConfig, StackConfig, VpcConfig, zoneLetter } from "../config/load";
import { ConfigError, ConfigProblem } from "../config/errors";
import { cidr, isPrivate, overlaps, parseCidr, prefixOf, subnet, within } from "./ip";
import type { IPv4CidrRange } from "ip-num";

/** The address plan's fixed pools. Changing any of these moves live networks. */
export const ADDRESS_PLAN = {
    slots: 128,
    vpcPool: "10.0.0.0/9",
    vpcPrefix: 16,
    podPool: "10.128.0.0/9",
    podPrefix: 16,
    servicePool: "172.24.0.0/13",
    servicePrefix: 20,
    sharedVpcParts: 4,
    zoneSlots: 16,
} as const;

const POOLS = {
    vpc: cidr(ADDRESS_PLAN.vpcPool),
    pod: cidr(ADDRESS_PLAN.podPool),
    service: cidr(ADDRESS_PLAN.servicePool),
};

/** FNV-1a (32-bit) of the UTF-8 name, modulo the slot count. Frozen. */
export function slotFromName(name: string): number {
    let h = 0x811c9dc5;
    for (const byte of Buffer.from(name, "utf8")) {
        h ^= byte;
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % ADDRESS_PLAN.slots;
}

/** Network plan of one zone of a cluster. */
export interface ZoneNetworkPlan {
    readonly zone: string;
    /** Node vSwitch CIDR. */
    readonly vswitch: string;
    /** Terway pod vSwitch CIDR. */
    readonly podVswitch?: string;
}

/** Network plan of one cluster. */
export interface ClusterNetworkPlan {
    readonly name: string;
    readonly region: string;
    readonly cni: "terway" | "flannel";
    /** VPC key. */
    readonly vpc: string;
    readonly vpcCidr: string;
    /** The slot used for auto-planned ranges. */
    readonly slot: number;
    /** Whether the slot was derived from the name (vs set explicitly). */
    readonly slotDerived: boolean;
    /** Per zone id, in the cluster's zone order. */
    readonly zones: Record<string, ZoneNetworkPlan>;
    /** Flannel pod CIDR. */
    readonly podCidr?: string;
    readonly serviceCidr: string;
    /** Flannel per-node mask. */
    readonly nodeCidrMask?: number;
    /** Where nodes live: the node vSwitch CIDRs. */
    readonly nodeRanges: string[];
    /** Where pods live: pod vSwitches (Terway) or the pod CIDR (Flannel). */
    readonly podRanges: string[];
}

/** Network plan of one VPC. */
export interface VpcPlan {
    readonly name: string;
    readonly region: string;
    readonly cidr: string;
    readonly shared: boolean;
    readonly clusters: string[];
}

/** The whole topology's address plan. */
export interface NetworkPlan {
    readonly vpcs: Record<string, VpcPlan>;
    readonly clusters: Record<string, ClusterNetworkPlan>;
    /** Regions in use, sorted. */
    readonly regions: string[];
}

interface Labelled {
    readonly path: string;
    readonly cidr: string;
    readonly range: IPv4CidrRange;
    readonly what: string;
    readonly pinned: boolean;
}

/** Computes the plan; returns problems instead of throwing. */
export function computeNetworkPlan(config: StackConfig): { plan?: NetworkPlan; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const add = (path: string, message: string, fix: string, value?: unknown) =>
        problems.push(value === undefined ? { path, message, fix } : { path, message, fix, value });

    const clusters = Object.values(config.clusters);
    const vpcs = Object.values(config.vpcs);

    // --- Slots -----------------------------------------------------------------
    const slotOf = new Map<string, { slot: number; derived: boolean }>();
    for (const c of clusters) {
        slotOf.set(c.name, c.slot !== undefined ? { slot: c.slot, derived: false } : { slot: slotFromName(c.name), derived: true });
    }
    const usesSlot = (c: ClusterConfig) =>
        (!c.sharedVpc && c.cidrs.vpc === undefined) ||
        c.cidrs.service === undefined ||
        (c.cni === "flannel" && c.cidrs.pod === undefined) ||
        c.zones.some((z) => c.cidrs.vswitches[z] === undefined || (c.cni === "terway" && c.cidrs.podVswitches[z] === undefined));
    const vpcSlot = (v: VpcConfig) => (v.shared ? (v.slot ?? slotFromName(`vpc/${v.name}`)) : slotOf.get(v.name)!.slot);

    // Slots outside the plan cannot be placed (the config validation says so too; the
    // problems are merged and de-duplicated, so the user sees it once).
    const inRange = (slot: number) => Number.isInteger(slot) && slot >= 0 && slot < ADDRESS_PLAN.slots;
    for (const c of clusters) {
        if (!inRange(slotOf.get(c.name)!.slot)) add(`clusters.${c.name}.slot`, "must be between 0 and 127", "choose an unused slot in 0..127", c.slot);
    }
    for (const v of vpcs) {
        if (v.shared && !inRange(vpcSlot(v))) add(`vpcs.${v.name}.slot`, "must be between 0 and 127", "choose an unused slot in 0..127", v.slot);
    }
    if (problems.length > 0) return { problems };

    const taken = new Set<number>();
    for (const c of clusters) if (usesSlot(c)) taken.add(slotOf.get(c.name)!.slot);
    for (const v of vpcs) if (v.shared && v.cidr === undefined) taken.add(vpcSlot(v));
    const freeSlot = (accept: (s: number) => boolean = () => true) => {
        for (let s = 0; s < ADDRESS_PLAN.slots; s++) if (!taken.has(s) && accept(s)) return s;
        return undefined;
    };
    const slotFix = (path: string, accept?: (s: number) => boolean) => {
        const free = freeSlot(accept);
        return free === undefined ? "pin this cluster's CIDRs explicitly (no free slot left)" : `set ${path} to a free slot, e.g. ${free}`;
    };

    const clusterSlotOwner = new Map<number, string>();
    for (const c of clusters) {
        if (!usesSlot(c)) continue;
        const { slot, derived } = slotOf.get(c.name)!;
        const owner = clusterSlotOwner.get(slot);
        if (owner !== undefined) {
            // Which of the two already exists is unknown here. Never advise moving a live cluster:
            // when both slots are derived, pin the existing one where it is and move the newcomer.
            const ownerDerived = slotOf.get(owner)!.derived;
            const free = freeSlot();
            const fix =
                derived && ownerDerived
                    ? `pin "slot: ${slot}" on whichever of clusters.${owner} and clusters.${c.name} already exists (moving it would replace it), and give the other a free slot${free === undefined ? "" : `, e.g. ${free}`}`
                    : derived
                      ? slotFix(`clusters.${c.name}.slot`)
                      : ownerDerived
                        ? `if clusters.${owner} already exists, pin "slot: ${slot}" on it and choose another slot here${free === undefined ? "" : `, e.g. ${free}`}; otherwise set clusters.${owner}.slot to a free slot`
                        : slotFix(`clusters.${c.name}.slot`);
            add(`clusters.${c.name}.slot`, `address-plan slot ${slot}${derived ? " (derived from the name)" : ""} is already used by clusters.${owner}${ownerDerived ? " (derived from its name)" : ""}`, fix, slot);
        } else {
            clusterSlotOwner.set(slot, c.name);
        }
    }
    const vpcSlotOwner = new Map<number, string>();
    for (const v of vpcs) {
        if (v.cidr !== undefined) continue;
        const slot = vpcSlot(v);
        const owner = vpcSlotOwner.get(slot);
        // Two clusters' own VPCs colliding is the cluster-slot collision reported above.
        if (owner !== undefined && !v.shared && !config.vpcs[owner].shared) continue;
        if (owner !== undefined) {
            const path = v.shared ? `vpcs.${v.name}.slot` : `clusters.${v.name}.slot`;
            add(path, `address-plan slot ${slot} gives this VPC the same CIDR as VPC "${owner}"`, slotFix(path), slot);
        } else {
            vpcSlotOwner.set(slot, v.name);
        }
    }
    // Shared VPC members: one quarter each.
    for (const v of vpcs.filter((x) => x.shared)) {
        const partOwner = new Map<number, string>();
        for (const name of v.clusters) {
            const c = config.clusters[name];
            if (!c.zones.some((z) => c.cidrs.vswitches[z] === undefined || (c.cni === "terway" && c.cidrs.podVswitches[z] === undefined))) continue;
            const part = slotOf.get(name)!.slot % ADDRESS_PLAN.sharedVpcParts;
            const owner = partOwner.get(part);
            if (owner !== undefined) {
                const path = `clusters.${name}.slot`;
                const used = new Set(partOwner.keys());
                add(
                    path,
                    `in shared VPC "${v.name}" each cluster takes quarter (slot mod ${ADDRESS_PLAN.sharedVpcParts}) of the VPC; quarter ${part} is already used by clusters.${owner}`,
                    slotFix(path, (s) => !used.has(s % ADDRESS_PLAN.sharedVpcParts)),
                    slotOf.get(name)!.slot,
                );
            } else {
                partOwner.set(part, name);
            }
        }
    }
    if (problems.length > 0) return { problems };

    // --- Ranges ----------------------------------------------------------------
    const pin = (path: string, text: string | undefined): IPv4CidrRange | undefined | null => {
        if (text === undefined) return undefined;
        const p = parseCidr(text);
        if (!p.ok) {
            add(path, p.reason, "use an IPv4 CIDR such as \"10.1.0.0/16\"", text);
            return null;
        }
        return p.range;
    };
    const labelled: Labelled[] = [];
    const vpcPlans: Record<string, VpcPlan> = {};
    const vpcRanges = new Map<string, IPv4CidrRange>();
    for (const v of vpcs) {
        const path = v.shared ? `vpcs.${v.name}.cidr` : `clusters.${v.name}.cidrs.vpc`;
        const pinned = pin(path, v.cidr);
        if (pinned === null) continue;
        const range = pinned ?? subnet(POOLS.vpc, ADDRESS_PLAN.vpcPrefix, vpcSlot(v));
        const p = prefixOf(range);
        if (p < 8 || p > 28) add(path, "a VPC mask must be between /8 and /28", "use a mask such as /16", range.toCidrString());
        else if (!isPrivate(range)) add(path, "an ACK VPC must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", "use a private range", range.toCidrString());
        vpcRanges.set(v.name, range);
        labelled.push({ path, cidr: range.toCidrString(), range, what: `VPC ${v.name}`, pinned: pinned !== undefined });
        vpcPlans[v.name] = { name: v.name, region: v.region, cidr: range.toCidrString(), shared: v.shared, clusters: [...v.clusters] };
    }

    const clusterPlans: Record<string, ClusterNetworkPlan> = {};
    const vswitchLabels: Labelled[] = [];
    const clusterRangeLabels: Labelled[] = [];
    for (const c of clusters) {
        const base = `clusters.${c.name}`;
        const vpcRange = vpcRanges.get(c.vpc);
        const { slot, derived } = slotOf.get(c.name)!;
        if (!vpcRange) continue;
        const vpcPrefix = prefixOf(vpcRange);
        let block: IPv4CidrRange | undefined = vpcRange;
        if (c.sharedVpc) {
            block = vpcPrefix + 2 <= 24 ? subnet(vpcRange, vpcPrefix + 2, slot % ADDRESS_PLAN.sharedVpcParts) : undefined;
        }
        const blockPrefix = block ? prefixOf(block) : 32;
        const carve = (kind: 0 | 1, letterIndex: number): IPv4CidrRange | undefined => {
            if (!block || blockPrefix + 5 > 29 || letterIndex >= ADDRESS_PLAN.zoneSlots) return undefined;
            const half = subnet(block, blockPrefix + 1, kind);
            return subnet(half, Math.max(blockPrefix + 5, 16), letterIndex);
        };
        const zones: Record<string, ZoneNetworkPlan> = {};
        for (const zone of new Set(c.zones)) {
            const letter = zoneLetter(c.region, zone);
            if (letter === undefined) continue; // reported by the config validation
            const idx = letter.charCodeAt(0) - "a".charCodeAt(0);
            const kinds: ["vswitches", 0][] | ["vswitches" | "podVswitches", 0 | 1][] =
                c.cni === "terway" ? [["vswitches", 0], ["podVswitches", 1]] : [["vswitches", 0]];
            const zonePlan: { zone: string; vswitch?: string; podVswitch?: string } = { zone };
            for (const [field, kind] of kinds) {
                const path = `${base}.cidrs.${field}.${zone}`;
                const pinned = pin(path, c.cidrs[field][zone]);
                if (pinned === null) continue;
                const range = pinned ?? carve(kind, idx);
                if (!range) {
                    add(
                        path,
                        idx >= ADDRESS_PLAN.zoneSlots
                            ? `zone letter "${letter}" is beyond "p", so the planner cannot place this vSwitch`
                            : `the VPC block ${block ? block.toCidrString() : vpcRange.toCidrString()} is too small to plan vSwitches in`,
                        "pin this vSwitch CIDR",
                    );
                    continue;
                }
                const p = prefixOf(range);
                const what = `${field === "vswitches" ? "node" : "pod"} vSwitch ${zone} of cluster ${c.name}`;
                if (p < 16 || p > 29) add(path, "a vSwitch mask must be between /16 and /29", "use a mask such as /21", range.toCidrString());
                else if (!within(range, vpcRange)) add(path, `lies outside its VPC ${vpcRange.toCidrString()}`, `use a block inside ${vpcRange.toCidrString()}`, range.toCidrString());
                const l = { path, cidr: range.toCidrString(), range, what, pinned: pinned !== undefined };
                vswitchLabels.push(l);
                if (field === "vswitches") zonePlan.vswitch = l.cidr;
                else zonePlan.podVswitch = l.cidr;
            }
            if (zonePlan.vswitch) zones[zone] = zonePlan as ZoneNetworkPlan;
        }

        // Service CIDR.
        const servicePath = `${base}.cidrs.service`;
        const servicePin = pin(servicePath, c.cidrs.service);
        const service = servicePin === null ? undefined : (servicePin ?? subnet(POOLS.service, ADDRESS_PLAN.servicePrefix, slot));
        if (service) {
            const p = prefixOf(service);
            if (p < 16 || p > 24) add(servicePath, "the service CIDR mask must be between /16 and /24", "use a mask such as /20", service.toCidrString());
            else if (!isPrivate(service)) add(servicePath, "the service CIDR must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", "use a private range", service.toCidrString());
            clusterRangeLabels.push({ path: servicePath, cidr: service.toCidrString(), range: service, what: `service CIDR of cluster ${c.name}`, pinned: servicePin !== undefined });
        }
        // Flannel pod CIDR.
        let pod: IPv4CidrRange | undefined;
        if (c.cni === "flannel") {
            const podPath = `${base}.cidrs.pod`;
            const podPin = pin(podPath, c.cidrs.pod);
            pod = podPin === null ? undefined : (podPin ?? subnet(POOLS.pod, ADDRESS_PLAN.podPrefix, slot));
            if (pod) {
                const p = prefixOf(pod);
                const mask = c.cidrs.nodeCidrMask!;
                const workers = Object.values(c.nodePools).reduce((n, x) => n + x.size, 0);
                const maskValid = mask >= 24 && mask <= 28; // else reported by the config validation
                if (!isPrivate(pod)) add(podPath, "the Flannel pod CIDR must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", "use a private range", pod.toCidrString());
                else if (maskValid && p > mask) add(podPath, `is smaller than one node's pod subnet (/${mask})`, `use a pod CIDR of /${mask - 4} or larger, or raise cidrs.nodeCidrMask`, pod.toCidrString());
                else if (maskValid && 2 ** (mask - p) < workers) {
                    add(podPath, `holds only ${2 ** (mask - p)} node subnets of /${mask}, fewer than the ${workers} workers`, "use a larger pod CIDR or a larger nodeCidrMask", pod.toCidrString());
                }
                clusterRangeLabels.push({ path: podPath, cidr: pod.toCidrString(), range: pod, what: `pod CIDR of cluster ${c.name}`, pinned: podPin !== undefined });
            }
        }
        const zoneList = Object.values(zones);
        clusterPlans[c.name] = {
            name: c.name,
            region: c.region,
            cni: c.cni,
            vpc: c.vpc,
            vpcCidr: vpcRange.toCidrString(),
            slot,
            slotDerived: derived,
            zones,
            podCidr: pod?.toCidrString(),
            serviceCidr: service?.toCidrString() ?? "",
            nodeCidrMask: c.cidrs.nodeCidrMask,
            nodeRanges: zoneList.map((z) => z.vswitch),
            podRanges: c.cni === "terway" ? zoneList.map((z) => z.podVswitch!).filter(Boolean) : pod ? [pod.toCidrString()] : [],
        };
    }

    // --- Overlaps --------------------------------------------------------------
    const conflict = (a: Labelled, b: Labelled) => {
        // Report on the pinned side when only one side is pinned: that is the one the user controls.
        const [here, there] = a.pinned && !b.pinned ? [a, b] : !a.pinned && b.pinned ? [b, a] : [b, a];
        add(
            here.path,
            `${here.cidr} (${here.what}) overlaps ${there.cidr} (${there.what}, at ${there.path})`,
            "choose ranges that do not overlap",
            here.cidr,
        );
    };
    const pairwise = (list: Labelled[]) => {
        for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) if (overlaps(list[i].range, list[j].range)) conflict(list[i], list[j]);
    };
    // All VPCs are joined by CEN: pairwise disjoint. All vSwitches: pairwise disjoint.
    pairwise(labelled);
    pairwise(vswitchLabels);
    // Pod and service CIDRs: disjoint from every VPC and from each other.
    pairwise(clusterRangeLabels);
    for (const r of clusterRangeLabels) for (const v of labelled) if (overlaps(r.range, v.range)) conflict(v, r);

    if (problems.length > 0) return { problems };
    return {
        plan: { vpcs: vpcPlans, clusters: clusterPlans, regions: [...new Set(clusters.map((c) => c.region))].sort() },
        problems,
    };
}

/**
 * Validates and plans in one pass: `parseStackConfig` with the planner's
 * problems reported together with the config's, and the plan computed once.
 * @throws ConfigError listing every problem
 */
export function parseAndPlanNetwork(raw: Record<string, unknown>): { config: StackConfig; network: NetworkPlan } {
    let network: NetworkPlan | undefined;
    const config = parseStackConfig(raw, (c) => {
        const result = computeNetworkPlan(c);
        network = result.plan;
        return result.problems;
    });
    return { config, network: network! };
}

/** Problems of the network plan, for `parseStackConfig(raw, networkProblems)`. */
export function networkProblems(config: StackConfig): ConfigProblem[] {
    return computeNetworkPlan(config).problems;
}

/** Plans every CIDR of the topology. @throws ConfigError */
export function planNetwork(config: StackConfig): NetworkPlan {
    const { plan, problems } = computeNetworkPlan(config);
    if (!plan || problems.length) throw new ConfigError(problems, "Invalid ack-mesh network plan");
    return plan;
}

/** Rows of the CIDR table (cluster, region, VPC, vSwitches, pod, service), like Alibaba's planning guides. */
export function cidrTable(plan: NetworkPlan): { cluster: string; region: string; vpc: string; vswitches: string; podVswitches: string; pod: string; service: string }[] {
    return Object.values(plan.clusters).map((c) => ({
        cluster: c.name,
        region: c.region,
        vpc: `${c.vpc} ${c.vpcCidr}`,
        vswitches: Object.values(c.zones).map((z) => `${z.zone}=${z.vswitch}`).join(" "),
        podVswitches: Object.values(c.zones).filter((z) => z.podVswitch).map((z) => `${z.zone}=${z.podVswitch}`).join(" "),
        pod: c.podCidr ?? "-",
        service: c.serviceCidr,
    }));
}
