import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bisect, bridge, complete, cutOff, halves, isolateOne, isolatePrimaries, isSymmetric, majoritiesRing, majorityMinority,
  randomHalves, sees, shape, SHAPE_NAMES, shuffle, validateGrudge, type Grudge,
} from '../nemesis/grudge.js';
import { Random } from '../base/random.js';

const nodesOf = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const cluster = fc.integer({ min: 1, max: 9 }).map(nodesOf);
const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

/** Node → the set of nodes it can exchange packets with both ways (itself included). */
function talksTo(g: Grudge, nodes: readonly string[], a: string): string[] {
  const cut = new Set(cutOff(g, a));
  return nodes.filter((b) => !cut.has(b));
}

/** Grudges are canonical: validateGrudge gives them back unchanged (up to key order and empty entries). */
function expectValid(g: Grudge, nodes: readonly string[]) {
  const v = validateGrudge(g, nodes);
  for (const n of nodes) expect(new Set(v[n] ?? [])).toEqual(new Set(g[n] ?? []));
}

describe('grudges', () => {
  it('complete: every node drops exactly the nodes of the other components', () => {
    expect(complete([['a'], ['b', 'c']])).toEqual({ a: ['b', 'c'], b: ['a'], c: ['a'] });
    expect(complete([['a', 'b']])).toEqual({});
  });

  it('halves: the first ⌊n/2⌋ nodes against the rest, symmetric, covering every node', () => {
    expect(halves(nodesOf(5))).toEqual({ n1: ['n3', 'n4', 'n5'], n2: ['n3', 'n4', 'n5'], n3: ['n1', 'n2'], n4: ['n1', 'n2'], n5: ['n1', 'n2'] });
    fc.assert(
      fc.property(cluster, (nodes) => {
        const g = halves(nodes);
        expect(isSymmetric(g)).toBe(true);
        expectValid(g, nodes);
        const [a, b] = bisect(nodes);
        expect(a.length).toBeLessThanOrEqual(b.length);
        for (const n of a) expect(talksTo(g, nodes, n)).toEqual(a);
        for (const n of b) expect(talksTo(g, nodes, n)).toEqual(b);
      }),
    );
  });

  it('random-halves and majority/minority: two sides of ⌊n/2⌋ and ⌈n/2⌉, the same for the same seed', () => {
    fc.assert(
      fc.property(cluster, seed, (nodes, s) => {
        const g = randomHalves(nodes, new Random(s));
        expect(randomHalves(nodes, new Random(s))).toEqual(g);
        expect(isSymmetric(g)).toBe(true);
        expectValid(g, nodes);
        const { grudge, majority, minority } = majorityMinority(nodes, new Random(s));
        expect(minority.length).toBe(Math.floor(nodes.length / 2));
        expect([...minority, ...majority].sort()).toEqual([...nodes].sort());
        for (const n of majority) expect(new Set(talksTo(grudge, nodes, n))).toEqual(new Set(majority));
        for (const n of minority) expect(new Set(talksTo(grudge, nodes, n))).toEqual(new Set(minority));
      }),
    );
  });

  it('isolate-one: one node cut off from all others, which still talk to each other', () => {
    expect(isolateOne(nodesOf(3), 'n2')).toEqual({ n2: ['n1', 'n3'], n1: ['n2'], n3: ['n2'] });
    expect(() => isolateOne(nodesOf(3), 'n9')).toThrow(/n9/);
    fc.assert(
      fc.property(cluster.filter((n) => n.length >= 2), seed, (nodes, s) => {
        const g = isolateOne(nodes, new Random(s));
        expect(isSymmetric(g)).toBe(true);
        const alone = nodes.filter((n) => talksTo(g, nodes, n).length === 1);
        expect(alone.length).toBe(nodes.length === 2 ? 2 : 1);
        for (const n of nodes) if (!alone.includes(n) || nodes.length === 2) expect(cutOff(g, n).length).toBe(alone.includes(n) ? nodes.length - 1 : 1);
      }),
    );
  });

  it('primaries: each primary alone, the rest together', () => {
    expect(isolatePrimaries(nodesOf(4), ['n1'])).toEqual({ n1: ['n2', 'n3', 'n4'], n2: ['n1'], n3: ['n1'], n4: ['n1'] });
    const g = isolatePrimaries(nodesOf(5), ['n1', 'n3']);
    expect(isSymmetric(g)).toBe(true);
    expect(talksTo(g, nodesOf(5), 'n1')).toEqual(['n1']);
    expect(talksTo(g, nodesOf(5), 'n3')).toEqual(['n3']);
    expect(talksTo(g, nodesOf(5), 'n2')).toEqual(['n2', 'n4', 'n5']);
    expect(isolatePrimaries(nodesOf(2), ['n1', 'n2'])).toEqual({ n1: ['n2'], n2: ['n1'] });
    expect(() => isolatePrimaries(nodesOf(2), ['x'])).toThrow(/"x"/);
  });

  it("majorities-ring: every node sees a majority, no two the same one, nobody sees everyone (n ≥ 3)", () => {
    fc.assert(
      fc.property(cluster, seed, (nodes, s) => {
        const g = majoritiesRing(nodes, new Random(s));
        expectValid(g, nodes);
        const n = nodes.length;
        const majority = Math.floor(n / 2) + 1;
        const views = nodes.map((x) => sees(g, nodes, x));
        for (const v of views) expect(v.length).toBeGreaterThanOrEqual(majority);
        if (n >= 3) {
          for (const v of views) expect(v.length).toBe(majority);
          expect(new Set(views.map((v) => v.join(','))).size).toBe(n);
        } else {
          expect(g).toEqual({});
        }
        if (majority % 2 === 1) expect(isSymmetric(g)).toBe(true); // the arc is centred exactly
      }),
    );
  });

  it('bridge: two sides that drop each other and one node that reaches both', () => {
    expect(bridge(nodesOf(5))).toEqual({ n1: ['n4', 'n5'], n2: ['n4', 'n5'], n4: ['n1', 'n2'], n5: ['n1', 'n2'] });
    fc.assert(
      fc.property(cluster, seed, (nodes, s) => {
        const g = bridge(nodes, new Random(s));
        expect(isSymmetric(g)).toBe(true);
        if (nodes.length < 3) {
          expect(g).toEqual({});
          return;
        }
        const middle = nodes.filter((n) => cutOff(g, n).length === 0);
        expect(middle).toHaveLength(1);
        const sides = nodes.filter((n) => n !== middle[0]);
        for (const a of sides) {
          expect(cutOff(g, a).length).toBeGreaterThan(0);
          expect(talksTo(g, nodes, a)).toContain(middle[0]);
        }
      }),
    );
  });

  it('shape() makes every shape from a name; the same seed gives the same grudge', () => {
    fc.assert(
      fc.property(cluster, seed, fc.constantFrom(...SHAPE_NAMES), (nodes, s, name) => {
        const g = shape(name, nodes, new Random(s), [nodes[0]]);
        expect(shape(name, nodes, new Random(s), [nodes[0]])).toEqual(g);
        expectValid(g, nodes);
      }),
    );
    expect(() => shape('primaries', nodesOf(3), new Random(1))).toThrow(/primaries/);
  });

  it('shuffle keeps every node', () => {
    fc.assert(
      fc.property(cluster, seed, (nodes, s) => {
        expect([...shuffle(nodes, new Random(s))].sort()).toEqual([...nodes].sort());
      }),
    );
  });

  it('validateGrudge: canonical order, no empty entries; names what is wrong', () => {
    const nodes = nodesOf(3);
    expect(validateGrudge({ n3: ['n2', 'n1', 'n2'], n1: [] }, nodes)).toEqual({ n3: ['n1', 'n2'] });
    expect(Object.keys(validateGrudge({ n3: ['n1'], n1: ['n3'] }, nodes))).toEqual(['n1', 'n3']);
    expect(() => validateGrudge(['n1'], nodes)).toThrow(/a grudge is an object/);
    expect(() => validateGrudge({ n9: [] }, nodes)).toThrow(/"n9" is not a node/);
    expect(() => validateGrudge({ n1: 'n2' }, nodes)).toThrow(/n1 must map to a list/);
    expect(() => validateGrudge({ n1: ['n1'] }, nodes)).toThrow(/cannot drop itself/);
    expect(() => validateGrudge({ n1: ['x'] }, nodes)).toThrow(/drops "x"/);
  });
});
