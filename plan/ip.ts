/**
 * IPv4 CIDR helpers over the `ip-num` library: parsing, validation and
 * formatting are ip-num's. The planner's hot path — carving the `index`-th
 * block out of a parent and comparing ranges — works on the ranges' first
 * and last addresses as numbers ({@link subnet}, {@link within},
 * {@link overlaps}); ip-num derives them through its mask objects, which cost
 * most of a 50-cluster plan when done per block.
 */
import { IPv4, IPv4CidrRange, IPv4Prefix, Validator } from "ip-num";

/** The RFC 1918 blocks Alibaba accepts for VPCs, pod and service CIDRs. */
export const PRIVATE_BLOCKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** A parsed CIDR, or the reason it is not one. */
export type ParsedCidr = { ok: true; range: IPv4CidrRange; prefix: number } | { ok: false; reason: string };

/** Parses an IPv4 CIDR; rejects host bits set (e.g. `10.0.0.1/16`). */
export function parseCidr(text: unknown): ParsedCidr {
    if (typeof text !== "string" || !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text)) {
        return { ok: false, reason: "is not an IPv4 CIDR (a.b.c.d/n)" };
    }
    const [valid, messages] = Validator.isValidIPv4CidrNotation(text);
    if (!valid) return { ok: false, reason: `is not a valid IPv4 CIDR (${messages.join("; ")})` };
    const [aligned] = Validator.isValidIPv4CidrRange(text);
    const range = IPv4CidrRange.fromCidr(text);
    if (!aligned) {
        return { ok: false, reason: `has host bits set; the network address of this block is ${networkOf(range)}` };
    }
    return { ok: true, range, prefix: prefixOf(range) };
}

/** Parses a CIDR known to be valid (planner-generated); throws otherwise. */
export function cidr(text: string): IPv4CidrRange {
    const p = parseCidr(text);
    if (!p.ok) throw new Error(`internal: ${text} ${p.reason}`);
    return p.range;
}

/** Prefix length of a range. */
export function prefixOf(range: IPv4CidrRange): number {
    return Number(range.getPrefix().getValue());
}

function networkOf(range: IPv4CidrRange): string {
    return `${range.getFirst().toString()}/${prefixOf(range)}`;
}

/**
 * The `index`-th block of prefix length `prefix` inside `parent`: first
 * address = the parent's first + `index` × the block's size. Throws if it
 * does not fit.
 */
export function subnet(parent: IPv4CidrRange, prefix: number, index: number): IPv4CidrRange {
    const parentPrefix = prefixOf(parent);
    if (!Number.isInteger(prefix) || prefix < parentPrefix || prefix > 32) throw new Error(`internal: /${prefix} does not fit in ${parent.toCidrString()}`);
    const outside = () => new Error(`internal: block ${index} of /${prefix} is outside ${parent.toCidrString()}`);
    if (!Number.isInteger(index) || index < 0) throw outside();
    const size = 1n << BigInt(32 - prefix);
    const offset = BigInt(index) * size;
    if (offset + size > parent.getSize()) throw outside();
    const lo = spanOf(parent).lo + offset;
    const range = new IPv4CidrRange(IPv4.fromNumber(lo), IPv4Prefix.fromNumber(BigInt(prefix)));
    spans.set(range, { lo, hi: lo + size - 1n });
    return range;
}

/**
 * A range's first and last address as numbers, cached per range object
 * (from ip-num for a parsed range, set by {@link subnet} for a carved one):
 * comparing spans is much cheaper than re-deriving them for each of the
 * planner's pairwise checks.
 */
interface Span {
    readonly lo: bigint;
    readonly hi: bigint;
}
const spans = new WeakMap<IPv4CidrRange, Span>();
function spanOf(range: IPv4CidrRange): Span {
    let s = spans.get(range);
    if (!s) {
        s = { lo: range.getFirst().getValue(), hi: range.getLast().getValue() };
        spans.set(range, s);
    }
    return s;
}

/** True when `inner` lies entirely inside `outer`. */
export function within(inner: IPv4CidrRange, outer: IPv4CidrRange): boolean {
    const i = spanOf(inner);
    const o = spanOf(outer);
    return o.lo <= i.lo && i.hi <= o.hi;
}

/** True when the two ranges share any address. */
export function overlaps(a: IPv4CidrRange, b: IPv4CidrRange): boolean {
    const x = spanOf(a);
    const y = spanOf(b);
    return x.lo <= y.hi && y.lo <= x.hi;
}

const PRIVATE_RANGES = PRIVATE_BLOCKS.map((b) => cidr(b));

/** True when the range lies inside one RFC 1918 block. */
export function isPrivate(range: IPv4CidrRange): boolean {
    return PRIVATE_RANGES.some((b) => within(range, b));
}
