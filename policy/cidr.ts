/**
 * CIDR arithmetic for the policies: parse IPv4/IPv6 CIDRs into address ranges and compare them.
 * Self-contained (no dependency on the planner) so that the pack judges what a program actually
 * registered, whichever code computed it.
 *
 * @module
 */

/** One parsed CIDR block. */
export interface Cidr {
    /** The text as written, e.g. `10.0.0.0/16`. */
    readonly text: string;
    /** IP version. */
    readonly version: 4 | 6;
    /** Prefix length, 0..32 (IPv4) or 0..128 (IPv6). */
    readonly prefix: number;
    /** First address of the block (the network address; host bits of `text` are ignored). */
    readonly first: bigint;
    /** Last address of the block. */
    readonly last: bigint;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIpv4(s: string): bigint | undefined {
    const m = IPV4.exec(s);
    if (!m) return undefined;
    let n = 0n;
    for (const octet of m.slice(1, 5)) {
        const v = Number(octet);
        if (v > 255 || (octet.length > 1 && octet.startsWith("0"))) return undefined;
        n = (n << 8n) | BigInt(v);
    }
    return n;
}

function parseGroups(part: string): bigint[] | undefined {
    if (part === "") return [];
    const groups: bigint[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (i === items.length - 1 && item.includes(".")) {
            const v4 = parseIpv4(item);
            if (v4 === undefined) return undefined;
            groups.push(v4 >> 16n, v4 & 0xffffn);
        } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
            groups.push(BigInt(`0x${item}`));
        } else {
            return undefined;
        }
    }
    return groups;
}

function parseIpv6(s: string): bigint | undefined {
    const halves = s.split("::");
    if (halves.length > 2) return undefined;
    const head = parseGroups(halves[0]);
    const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
    if (head === undefined || tail === undefined) return undefined;
    const missing = 8 - head.length - tail.length;
    if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
    const groups = [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
    return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/**
 * Parses `a.b.c.d/n` or an IPv6 `x:y::z/n`. Host bits are allowed (`10.0.0.1/8` is the block
 * `10.0.0.0/8`, as the cloud APIs normalize it). Returns `undefined` for anything else (a missing
 * prefix included): a malformed CIDR is the cloud API's to reject, not a policy violation.
 */
export function parseCidr(text: string): Cidr | undefined {
    if (typeof text !== "string") return undefined;
    const trimmed = text.trim();
    const slash = trimmed.indexOf("/");
    if (slash < 0) return undefined;
    const address = trimmed.slice(0, slash);
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    const prefix = Number(prefixText);
    const version: 4 | 6 = address.includes(":") ? 6 : 4;
    const bits = version === 4 ? 32 : 128;
    if (prefix > bits) return undefined;
    const value = version === 4 ? parseIpv4(address) : parseIpv6(address);
    if (value === undefined) return undefined;
    const hostBits = BigInt(bits - prefix);
    const first = (value >> hostBits) << hostBits;
    const last = first + (1n << hostBits) - 1n;
    return { text: trimmed, version, prefix, first, last };
}

/** Whether two blocks share at least one address (blocks of different IP versions never do). */
export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.version === b.version && a.first <= b.last && b.first <= a.last;
}

/** Whether the block is the whole address space of its version (`0.0.0.0/0`, `::/0`, or any `/0`). */
export function isWholeAddressSpace(c: Cidr): boolean {
    return c.prefix === 0;
}
