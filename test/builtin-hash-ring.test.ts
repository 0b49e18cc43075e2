import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hash32, HashRing } from '../targets/builtin/hash-ring.js';

const keys = (n: number) => Array.from({ length: n }, (_, i) => `register:"k${i}"`);

describe('hash32', () => {
  it('is a deterministic unsigned 32-bit hash that spreads nearby strings', () => {
    expect(hash32('abc')).toBe(hash32('abc'));
    expect(hash32('abc')).not.toBe(hash32('abd'));
    for (const s of ['', 'a', 'n1#0', 'é∑']) {
      const h = hash32(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
    // Top bits of consecutive keys hit all 16 buckets.
    const buckets = new Set(keys(200).map((k) => hash32(k) >>> 28));
    expect(buckets.size).toBe(16);
  });
});

describe('HashRing', () => {
  it('gives every key one owner, the same on every ring built from the same nodes', () => {
    const a = new HashRing(['n1', 'n2', 'n3'], 32);
    const b = new HashRing(['n1', 'n2', 'n3'], 32);
    for (const k of keys(500)) {
      expect(a.owner(k)).toBe(b.owner(k));
      expect(['n1', 'n2', 'n3']).toContain(a.owner(k));
      expect(a.nodes[a.ownerIndex(k)]).toBe(a.owner(k));
    }
  });

  it('spreads keys over the nodes roughly evenly with enough vnodes', () => {
    const ring = new HashRing(['n1', 'n2', 'n3'], 128);
    const count = new Map<string, number>();
    for (const k of keys(6000)) count.set(ring.owner(k), (count.get(ring.owner(k)) ?? 0) + 1);
    for (const n of ['n1', 'n2', 'n3']) {
      expect(count.get(n)).toBeGreaterThan(1200);
      expect(count.get(n)).toBeLessThan(2800);
    }
  });

  it('a single node owns everything', () => {
    const ring = new HashRing(['solo'], 4);
    for (const k of keys(50)) expect(ring.owner(k)).toBe('solo');
  });

  it('removing a node moves only the keys it owned', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (n, vnodes, drop) => {
        const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
        const gone = nodes[drop % n];
        const full = new HashRing(nodes, vnodes);
        const less = new HashRing(nodes.filter((x) => x !== gone), vnodes);
        for (const k of keys(200)) {
          if (full.owner(k) !== gone) expect(less.owner(k)).toBe(full.owner(k));
          else expect(less.owner(k)).not.toBe(gone);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses bad arguments', () => {
    expect(() => new HashRing([], 4)).toThrow(/at least one node/);
    expect(() => new HashRing(['a'], 0)).toThrow(/vnodes/);
    expect(() => new HashRing(['a', 'a'], 2)).toThrow(/distinct/);
  });
});
