// Merkle trees over a key space: exact diffs on hand-built maps, the O(d · log n) bound on node
// comparisons over 100k keys, a property test against a direct symmetric difference, and the
// replica-diff checker on hand-built histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTree, buildTrees, diffTrees, keySpace, keySpaceFromSplits, type KeyDiff } from '../base/merkle.js';
import { replicaDiff } from '../checker/replica-diff.js';
import { HistoryError } from '../histories/errors.js';
import { parseHistory } from '../histories/read.js';
import { rng as random } from '../bench/random.js';

const letters = (from: string, to: string) => {
  const out: Record<string, unknown> = {};
  for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) out[String.fromCharCode(c)] = c;
  return out;
};

describe('merkle trees', () => {
  it('equal trees: no differences, found in 1 comparison', () => {
    const m = new Map<string, unknown>();
    for (let i = 0; i < 10_000; i++) m.set(`k${i}`, { v: i, tags: ['a', i % 7] });
    const copy = new Map([...m].reverse().map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]));
    const [a, b] = buildTrees([m, copy]);
    const d = diffTrees(a, b);
    expect(d).toMatchObject({ equal: true, comparisons: 1, differences: 0, differingLeaves: 0, ranges: [], keys: [] });
    expect(d.depth).toBe(10); // 10,000 keys / 16 per leaf = 625 buckets, padded to 1024 leaves
  });

  it('values are compared by canonical JSON: key order inside a value does not matter', () => {
    const [a, b] = buildTrees([{ x: { p: 1, q: 2 } }, { x: { q: 2, p: 1 } }]);
    expect(diffTrees(a, b).equal).toBe(true);
  });

  it('hand-built: a changed value, a missing key and an extra key, with their ranges', () => {
    const a = letters('a', 'z');
    const b: Record<string, unknown> = { ...letters('a', 'z'), e: 'changed', zz: 1 };
    delete b.q;
    const [ta, tb] = buildTrees([a, b], 4);
    // The union a…z, zz in buckets of 4: splits e, i, m, q, u, y.
    expect(ta.space.splits).toEqual(['e', 'i', 'm', 'q', 'u', 'y']);
    expect(ta.space.leaves).toBe(8);
    const d = diffTrees(ta, tb);
    expect(d.equal).toBe(false);
    expect(d.keys).toEqual<KeyDiff[]>([
      { key: 'e', a: 101, b: 'changed' },
      { key: 'q', a: 113, only: 'a' },
      { key: 'zz', b: 1, only: 'b' },
    ]);
    expect(d.ranges).toEqual([
      { from: 'e', to: 'i', leaves: [1, 1], keys: 1 },
      { from: 'q', to: 'u', leaves: [4, 4], keys: 1 },
      { from: 'y', to: null, leaves: [6, 6], keys: 1 },
    ]);
    expect(d.differences).toBe(3);
    // the root, then 2 per differing inner node; leaves 1, 4 and 6 of 8 make 6 of the 7 inner
    // nodes differ: 1 + 2·6 = 13
    expect(d.comparisons).toBe(13);
    // The diff is symmetric.
    const back = diffTrees(tb, ta);
    expect(back.keys.map((k) => k.key)).toEqual(['e', 'q', 'zz']);
    expect(back.keys[1]).toEqual({ key: 'q', b: 113, only: 'b' });
  });

  it('adjacent differing buckets merge into one range', () => {
    const a = letters('a', 'p');
    const b = { ...a, c: 0, d: 0, e: 0 };
    const [ta, tb] = buildTrees([a, b], 2);
    const d = diffTrees(ta, tb);
    expect(d.ranges).toEqual([{ from: 'c', to: 'g', leaves: [1, 2], keys: 3 }]);
    expect(d.keys.map((k) => k.key)).toEqual(['c', 'd', 'e']);
  });

  it('integer keys are ordered as numbers', () => {
    const a: Record<string, unknown> = {};
    for (let i = 1; i <= 100; i++) a[String(i)] = i;
    const b = { ...a, 9: 'x', 10: 'y' };
    const [ta, tb] = buildTrees([a, b], 10);
    expect(ta.space.numeric).toBe(true);
    expect(ta.space.splits).toEqual(['11', '21', '31', '41', '51', '61', '71', '81', '91']);
    const d = diffTrees(ta, tb);
    expect(d.ranges).toEqual([{ from: null, to: '11', leaves: [0, 0], keys: 2 }]);
    expect(d.keys.map((k) => k.key)).toEqual(['9', '10']);
    // Mixed keys fall back to code-unit order.
    expect(keySpace([['10', '9', 'x']], 1).splits).toEqual(['9', 'x']);
    expect(keySpace([['10', '9', '08']], 1)).toMatchObject({ numeric: false, splits: ['10', '9'] });
    // "-0" is no canonical integer: as a number it would tie with "0", two keys in one place.
    expect(keySpace([['0', '-0', '1']], 1)).toMatchObject({ numeric: false });
  });

  it('trees over different key spaces cannot be diffed; a fixed space works for any maps', () => {
    const a = buildTree({ a: 1, b: 2, c: 3 }, undefined, 1);
    const b = buildTree({ a: 1, b: 2 }, undefined, 1);
    expect(() => diffTrees(a, b)).toThrow(/same key space/);
    const space = keySpaceFromSplits(['b', 'm', 't']);
    const d = diffTrees(buildTree({ a: 1, n: 2, z: 3 }, space), buildTree({ a: 1, n: 5, z: 3, zz: 0 }, space));
    expect(d.keys).toEqual([{ key: 'n', a: 2, b: 5 }, { key: 'zz', b: 0, only: 'b' }]);
    // adjacent differing buckets make one range
    expect(d.ranges).toEqual([{ from: 'm', to: null, leaves: [2, 3], keys: 2 }]);
    expect(() => keySpaceFromSplits(['b', 'a'])).toThrow(/ascend/);
  });

  it('empty maps', () => {
    const [a, b] = buildTrees([{}, {}]);
    expect(diffTrees(a, b)).toMatchObject({ equal: true, comparisons: 1, depth: 0 });
    const [c, e] = buildTrees([{}, { k: 1 }]);
    expect(diffTrees(c, e).keys).toEqual([{ key: 'k', b: 1, only: 'b' }]);
  });

  it('k random differences in 100k keys: exactly those keys, in at most 2·k·log2(n) comparisons', () => {
    const n = 100_000;
    const base = new Map<string, unknown>();
    for (let i = 0; i < n; i++) base.set(`user:${i}`, i);
    const log2n = Math.log2(n);
    const rand = random(42);
    // One key space for all (fitted to the base keys; new keys fall into its buckets).
    const ta = buildTree(base);
    for (const k of [1, 3, 10, 50, 200]) {
      const other = new Map(base);
      const changed = new Set<string>();
      while (changed.size < k) {
        const i = Math.floor(rand() * n);
        const key = `user:${i}`;
        if (changed.has(key)) continue;
        changed.add(key);
        const what = changed.size % 3;
        if (what === 0) other.delete(key);
        else if (what === 1) other.set(key, -i - 1);
        else {
          // a new key beside the changed one (and the changed one stays equal)
          changed.delete(key);
          const extra = `${key}:new`;
          changed.add(extra);
          other.set(extra, 0);
        }
      }
      const tb = buildTree(other, ta.space);
      const d = diffTrees(ta, tb);
      expect(d.keys.map((x) => x.key).sort()).toEqual([...changed].sort());
      expect(d.differences).toBe(k);
      expect(d.comparisons).toBeLessThanOrEqual(1 + 2 * d.differingLeaves * d.depth);
      expect(d.comparisons).toBeLessThanOrEqual(2 * k * log2n);
    }
  });

  it('property: diffTrees finds exactly the symmetric difference of two maps', () => {
    const key = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -50, max: 500 }).map(String));
    const value = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('a', 'b', null), fc.constant({ x: 1 }));
    const map = fc.dictionary(key, value, { maxKeys: 120 });
    fc.assert(
      fc.property(map, fc.array(fc.tuple(key, fc.option(value)), { maxLength: 40 }), fc.integer({ min: 1, max: 9 }), (a, edits, leafSize) => {
        const b: Record<string, unknown> = { ...a };
        for (const [k, v] of edits) {
          if (v === null) delete b[k];
          else b[k] = v;
        }
        const expected: string[] = [];
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
          const inA = Object.hasOwn(a, k);
          const inB = Object.hasOwn(b, k);
          if (inA !== inB || JSON.stringify(a[k]) !== JSON.stringify(b[k])) expected.push(k);
        }
        const [ta, tb] = buildTrees([a, b], leafSize);
        const d = diffTrees(ta, tb);
        const found = d.keys.map((x) => x.key);
        expect([...found].sort()).toEqual(expected.sort());
        expect(d.differences).toBe(expected.length);
        expect(d.equal).toBe(expected.length === 0);
        for (const x of d.keys) {
          expect(x.only === 'b' ? undefined : x.a).toEqual(Object.hasOwn(a, x.key) ? a[x.key] : undefined);
          expect(x.only === 'a' ? undefined : x.b).toEqual(Object.hasOwn(b, x.key) ? b[x.key] : undefined);
        }
        // Keys come out in the space's order, and the comparisons stay within the bound.
        const cmp = ta.space.numeric ? (p: string, q: string) => Number(p) - Number(q) : (p: string, q: string) => (p < q ? -1 : p > q ? 1 : 0);
        expect(found).toEqual([...found].sort(cmp));
        expect(d.comparisons).toBeLessThanOrEqual(1 + 2 * d.differingLeaves * d.depth);
      }),
      { seed: 20240601, numRuns: 300 },
    );
  });
});

describe('replica-diff checker', () => {
  const jl = (...ops: object[]) => parseHistory(ops.map((o) => JSON.stringify(o)).join('\n') + '\n', 'jsonl', 'kv.jsonl');
  const final = (process: number, node: string, value: unknown) => [
    { type: 'invoke', process, f: 'read', value: null, node, final: true },
    { type: 'ok', process, f: 'read', value, node, final: true },
  ];
  const state = { a: 1, b: 2, c: 3, d: 4 };

  it('valid when every node holds the same map', async () => {
    const h = jl({ type: 'invoke', process: 0, f: 'write', value: ['a', 1] }, { type: 'ok', process: 0, f: 'write', value: ['a', 1] }, ...final(1, 'n1', state), ...final(2, 'n2', { d: 4, c: 3, b: 2, a: 1 }), ...final(3, 'n3', state));
    const r = await replicaDiff.check(h, {});
    expect(r.valid).toBe(true);
    expect(r.nodes).toEqual(['n1', 'n2', 'n3']);
    expect(r.comparisons).toBe(2);
    expect((r.pairs as { equal: boolean }[]).map((p) => p.equal)).toEqual([true, true]);
    expect(r.finalReads).toEqual({ n1: { index: 2, keys: 4 }, n2: { index: 4, keys: 4 }, n3: { index: 6, keys: 4 } });
  });

  it('invalid: per node pair the differing ranges and keys with both sides', async () => {
    const h = jl(...final(0, 'n1', state), ...final(1, 'n2', { ...state, b: 20 }), ...final(2, 'n3', { a: 1, b: 2, c: 3 }), ...final(3, 'n4', state));
    const r = await replicaDiff.check(h, { options: { leafSize: 2 } });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([0, 2, 4]);
    expect(r.pairs).toEqual([
      { a: 'n1', b: 'n2', reads: [0, 2], equal: false, differences: 1, ranges: [{ from: null, to: 'c', leaves: [0, 0], keys: 1 }], keys: [{ key: 'b', a: 2, b: 20 }], comparisons: 3 },
      { a: 'n1', b: 'n3', reads: [0, 4], equal: false, differences: 1, ranges: [{ from: 'c', to: null, leaves: [1, 1], keys: 1 }], keys: [{ key: 'd', a: 4, only: 'a' }], comparisons: 3 },
      { a: 'n1', b: 'n4', reads: [0, 6], equal: true, differences: 0, ranges: [], keys: [], comparisons: 1 },
    ]);
    expect(r.comparisons).toBe(7);
    expect(r.explanation).toBe(
      "The replicas did not converge: n2's final state (index 2, line 3) differs from n1's (index 0, line 1) in 1 key over 1 key range; e.g. key b: n1 has 2, n2 has 20. 1 more node differs from n1 too (n3: 1).",
    );
  });

  it('accepts a list of [key, value] pairs as a map', async () => {
    const h = jl(...final(0, 'n1', [['x', 1], [2, 'y']]), ...final(1, 'n2', { x: 1, 2: 'y' }));
    expect((await replicaDiff.check(h, {})).valid).toBe(true);
  });

  it('unknown without final reads', async () => {
    const h = jl({ type: 'invoke', process: 0, f: 'read', value: null }, { type: 'ok', process: 0, f: 'read', value: state });
    const r = await replicaDiff.check(h, {});
    expect(r.valid).toBe('unknown');
    expect(r.explanation).toMatch(/needs final reads/);
  });

  it('a final read that is not a map is bad input naming its line', async () => {
    const h = jl(...final(0, 'n1', state), ...final(1, 'n2', 7));
    await expect(replicaDiff.check(h, {})).rejects.toThrow(HistoryError);
    await expect(replicaDiff.check(h, {})).rejects.toThrow(/^kv\.jsonl:4: value: a final read for replica-diff must return a map/);
  });

  it('maxKeys caps the listed keys, not the count', async () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 50; i++) big[`k${i}`] = i;
    const h = jl(...final(0, 'n1', big), ...final(1, 'n2', {}));
    const r = await replicaDiff.check(h, { options: { maxKeys: 5 } });
    const [p] = r.pairs as { differences: number; keys: unknown[] }[];
    expect(p.differences).toBe(50);
    expect(p.keys).toHaveLength(5);
  });
});
