/**
 * plan/ip.ts against ip-num's own range arithmetic: `subnet` computes blocks from numbers (the
 * planner's hot path), so it is checked here against ip-num's `RangedSet.takeSubRange` on random
 * parents, prefixes and indexes, and `within`/`overlaps` on the blocks it returns against ip-num's
 * `contains`/`isOverlapping`.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { IPv4, IPv4CidrRange, IPv4Prefix, RangedSet } from "ip-num";
import { cidr, overlaps, subnet, within } from "../../plan/ip";

const SEED = 20261201;

/** An aligned parent block: a random address masked to a random prefix of /8–/28. */
const parentArb = fc.record({ addr: fc.nat({ max: 0xffffffff }), prefix: fc.integer({ min: 8, max: 28 }) }).map(({ addr, prefix }) => {
    const size = 2 ** (32 - prefix);
    return new IPv4CidrRange(IPv4.fromNumber(BigInt(Math.floor(addr / size) * size)), IPv4Prefix.fromNumber(BigInt(prefix)));
});

/** ip-num's answer: the `index`-th block of `prefix` in `parent`, through its ranged set. */
function oracle(parent: IPv4CidrRange, prefix: number, index: number): string {
    const size = 1n << BigInt(32 - prefix);
    return (RangedSet.fromCidrRange(parent).takeSubRange(BigInt(index) * size, size).toCidrRange() as IPv4CidrRange).toCidrString();
}

describe("plan/ip", () => {
    it("subnet gives ip-num's block for any parent, prefix and index that fits", () => {
        fc.assert(
            fc.property(
                parentArb.chain((parent) => {
                    const p = Number(parent.getPrefix().getValue());
                    return fc.integer({ min: p, max: 32 }).chain((prefix) => fc.tuple(fc.constant(parent), fc.constant(prefix), fc.nat({ max: 2 ** (prefix - p) - 1 })));
                }),
                ([parent, prefix, index]) => {
                    const block = subnet(parent, prefix, index);
                    assert.equal(block.toCidrString(), oracle(parent, prefix, index));
                    assert.equal(block.getFirst().getValue(), IPv4CidrRange.fromCidr(block.toCidrString()).getFirst().getValue());
                    assert.equal(within(block, parent), true);
                },
            ),
            { seed: SEED, numRuns: 500 },
        );
    });

    it("within and overlaps on planned blocks agree with ip-num's contains and isOverlapping", () => {
        const parent = cidr("10.0.0.0/8");
        fc.assert(
            fc.property(fc.integer({ min: 9, max: 24 }), fc.integer({ min: 9, max: 24 }), fc.nat(), fc.nat(), (pa, pb, ia, ib) => {
                const a = subnet(parent, pa, ia % 2 ** (pa - 8));
                const b = subnet(parent, pb, ib % 2 ** (pb - 8));
                const [fa, fb] = [IPv4CidrRange.fromCidr(a.toCidrString()), IPv4CidrRange.fromCidr(b.toCidrString())];
                assert.equal(within(a, b), fb.contains(fa), `${a.toCidrString()} within ${b.toCidrString()}`);
                assert.equal(overlaps(a, b), fa.isOverlapping(fb), `${a.toCidrString()} overlaps ${b.toCidrString()}`);
            }),
            { seed: SEED, numRuns: 500 },
        );
    });

    it("refuses a block that does not fit, naming the parent", () => {
        const parent = cidr("10.0.0.0/16");
        assert.throws(() => subnet(parent, 15, 0), /^Error: internal: \/15 does not fit in 10\.0\.0\.0\/16$/);
        assert.throws(() => subnet(parent, 24, 256), /^Error: internal: block 256 of \/24 is outside 10\.0\.0\.0\/16$/);
        assert.throws(() => subnet(parent, 24, -1), /^Error: internal: block -1 of \/24 is outside 10\.0\.0\.0\/16$/);
        assert.throws(() => subnet(parent, 24, 1.5), /^Error: internal: block 1\.5 of \/24 is outside 10\.0\.0\.0\/16$/);
        assert.equal(subnet(parent, 24, 255).toCidrString(), "10.0.255.0/24");
    });
});
