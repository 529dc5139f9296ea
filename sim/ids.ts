/**
 * Deterministic identifiers, addresses and PEM-shaped blobs for the simulated cloud. Everything here
 * is a pure function of its seed strings, so the same program always gets the same IDs.
 *
 * @module
 */
import { createHash } from "crypto";

/** SHA-256 of the seed parts (joined with NUL) as a hex string. */
export function sha256Hex(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

/** `n` deterministic pseudo-random bytes derived from the seed parts (SHA-256 in counter mode). */
export function bytes(n: number, ...parts: string[]): Buffer {
  const chunks: Buffer[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const c = createHash("sha256").update(parts.join("\u0000")).update(`\u0000#${i}`).digest();
    chunks.push(c);
    len += c.length;
  }
  return Buffer.concat(chunks).subarray(0, n);
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `n` characters from `alphabet`, derived from the seed parts. */
export function fromAlphabet(alphabet: string, n: number, ...parts: string[]): string {
  const b = bytes(n * 2, ...parts);
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[b.readUInt16BE(i * 2) % alphabet.length];
  return out;
}

/** `n` lowercase alphanumeric characters derived from the seed parts. */
export function alnum(n: number, ...parts: string[]): string {
  return fromAlphabet(ALNUM, n, ...parts);
}

/** `n` lowercase hex characters derived from the seed parts. */
export function hex(n: number, ...parts: string[]): string {
  return bytes(Math.ceil(n / 2), ...parts).toString("hex").slice(0, n);
}

/** A deterministic integer in `[0, max)` derived from the seed parts. */
export function int(max: number, ...parts: string[]): number {
  return Number(bytes(6, ...parts).readUIntBE(0, 6) % max);
}

/** A UUID-shaped (version 4 layout) string derived from the seed parts. */
export function uuid(...parts: string[]): string {
  const h = hex(32, ...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[parseInt(h[16], 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Seeded generator bound to one resource (type + URN): every call with a different `salt` gives an
 * independent deterministic value.
 */
export class IdGen {
  /**
   * @param seed the seed, typically `type` and `urn`.
   */
  constructor(private readonly seed: readonly string[]) {}
  /** `n` lowercase alphanumerics. */
  alnum(n: number, salt = ""): string {
    return alnum(n, ...this.seed, salt);
  }
  /** `n` hex characters. */
  hex(n: number, salt = ""): string {
    return hex(n, ...this.seed, salt);
  }
  /** Integer in `[0, max)`. */
  int(max: number, salt = ""): number {
    return int(max, ...this.seed, salt);
  }
  /** UUID-shaped string. */
  uuid(salt = ""): string {
    return uuid(...this.seed, salt);
  }
  /** Raw bytes. */
  bytes(n: number, salt = ""): Buffer {
    return bytes(n, ...this.seed, salt);
  }
}

// ---------------------------------------------------------------------------------------------------
// IPv4 helpers

/** A parsed IPv4 CIDR block. */
export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  /** Prefix length, 0..32. */
  readonly prefix: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

/** Parses a dotted-quad IPv4 address, or returns `undefined`. */
export function parseIp(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
}

/** Formats an unsigned 32-bit integer as a dotted quad. */
export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses `a.b.c.d/n` (host bits must be zero), or returns `undefined`. */
export function parseCidr(cidr: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const base = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (base === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { base, prefix, size };
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/** True when the two blocks share at least one address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/**
 * A deterministic host address inside `cidr` (avoiding the network address, the first few addresses
 * cloud providers reserve, and the broadcast address when the block is large enough).
 */
export function ipInCidr(cidr: Cidr, ...seed: string[]): string {
  if (cidr.size <= 4) return formatIp(cidr.base + Math.min(1, cidr.size - 1));
  const low = cidr.size > 16 ? 4 : 1;
  const high = cidr.size - 2; // inclusive
  return formatIp(cidr.base + low + int(high - low + 1, ...seed));
}

/** A deterministic public address in Alibaba Cloud's `47.0.0.0/8` range. */
export function publicIp(...seed: string[]): string {
  const b = bytes(3, ...seed);
  return `47.${b[0]}.${b[1]}.${(b[2] % 253) + 1}`;
}

/** A deterministic private address in `10.0.0.0/8` (used when no VPC CIDR can be resolved). */
export function privateIp(...seed: string[]): string {
  const b = bytes(3, ...seed);
  return `10.${b[0]}.${b[1]}.${(b[2] % 253) + 1}`;
}

// ---------------------------------------------------------------------------------------------------
// PEM / encodings

/** Wraps `body` bytes into a PEM block with the given label (64-character base64 lines). */
export function pem(label: string, body: Buffer): string {
  const b64 = body.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * A deterministic PEM-shaped blob. The body starts with a DER SEQUENCE header so that it looks like
 * the real thing, but it is NOT a parseable key or certificate.
 */
export function fakePem(label: string, length: number, ...seed: string[]): string {
  const body = bytes(length, label, ...seed);
  body[0] = 0x30;
  body[1] = 0x82;
  body.writeUInt16BE(Math.max(0, length - 4), 2);
  return pem(label, body);
}

/** Standard base64 of a UTF-8 string. */
export function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/** Unpadded base64url of a string or bytes. */
export function b64url(s: string | Buffer): string {
  return (typeof s === "string" ? Buffer.from(s, "utf8") : s).toString("base64url");
}

/** Fixed timestamp used as the creation time of every simulated object. */
export const SIM_EPOCH = "2025-01-01T00:00:00Z";

/** `SIM_EPOCH` plus `hours`, as RFC 3339 without milliseconds. */
export function epochPlusHours(hours: number): string {
  return new Date(Date.parse(SIM_EPOCH) + hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
