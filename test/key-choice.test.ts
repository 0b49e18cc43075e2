// keyDistribution: the parser's sentences, each distribution's shape, and that the keyed workloads
// pick keys by it (a hot key takes its share of the ops).
import { describe, expect, it } from 'vitest';
import { InputError } from '../histories/errors.js';
import { keyPicker, keyProbabilities, parseKeyDistribution } from '../workloads/common/key-choice.js';
import { Random } from '../base/random.js';
import { getWorkload, workloadOptions } from '../workloads/index.js';
import { simulate } from '../workloads/generator/simulate.js';

describe('parseKeyDistribution', () => {
  it('reads the four forms and explains the rest', () => {
    expect(parseKeyDistribution('uniform')).toEqual({ kind: 'uniform' });
    expect(parseKeyDistribution('exponential')).toEqual({ kind: 'exponential' });
    expect(parseKeyDistribution('zipf:1.2')).toEqual({ kind: 'zipf', s: 1.2 });
    expect(parseKeyDistribution('hot:3:0.7')).toEqual({ kind: 'hot', key: 3, p: 0.7 });
    expect(parseKeyDistribution('zipf:0')).toBe("zipf's exponent must be above 0, got 0");
    expect(parseKeyDistribution('hot:1:1.5')).toBe("hot's share P must be between 0 and 1, got 1.5");
    expect(parseKeyDistribution('zipf')).toMatch(/^is not a key distribution: "zipf"/);
  });
});

describe('keyProbabilities', () => {
  it('zipf falls off as 1/(k+1)^s; hot gives its key P and spreads the rest evenly', () => {
    const z = keyProbabilities({ kind: 'zipf', s: 1 }, 4);
    const h = 1 + 1 / 2 + 1 / 3 + 1 / 4;
    expect([...z].map((p) => p * h)).toEqual([1, 1 / 2, 1 / 3, 1 / 4].map((x) => expect.closeTo(x, 12)));
    const hot = keyProbabilities({ kind: 'hot', key: 2, p: 0.7 }, 4);
    expect(hot[2]).toBeCloseTo(0.7, 12);
    for (const k of [0, 1, 3]) expect(hot[k]).toBeCloseTo(0.1, 12);
    expect(keyProbabilities({ kind: 'hot', key: 0, p: 0.3 }, 1)[0]).toBe(1);
  });

  it('the picker draws keys in those proportions', () => {
    const pick = keyPicker('t', 'hot:1:0.6', 5);
    const r = new Random(42);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 20000; i++) counts[pick(r)]++;
    expect(counts[1] / 20000).toBeCloseTo(0.6, 1);
    for (const k of [0, 2, 3, 4]) expect(counts[k] / 20000).toBeCloseTo(0.1, 1);
  });

  it('refuses a hot key that is not one of the keys', () => {
    expect(() => keyPicker('register', 'hot:8:0.5', 8)).toThrow(InputError);
    expect(() => keyPicker('register', 'hot:8:0.5', 8)).toThrow('workload register: option keyDistribution names hot key 8, but the keys are 0 … 7');
  });
});

describe('keyed workloads pick by it', () => {
  const run = (name: string, options: Record<string, unknown>) => {
    const w = getWorkload(name);
    const o = { ...workloadOptions(w, options), nodes: ['n1', 'n2', 'n3'], concurrency: 6 };
    return simulate(w.generator(o), { concurrency: 6, seed: 3, maxOps: 3000 }).filter((op) => op.type === 'invoke');
  };

  it('register and set: key 0 takes about 70% of the keyed ops under hot:0:0.7', () => {
    for (const name of ['register', 'set']) {
      const ops = run(name, { keys: 10, keyDistribution: 'hot:0:0.7' });
      const keyed = ops.filter((op) => op.key !== undefined);
      expect(keyed.length, name).toBeGreaterThan(1000);
      expect(keyed.filter((op) => op.key === 0).length / keyed.length, name).toBeCloseTo(0.7, 1);
    }
  });

  it('a keyed set writes unique elements across its sets and reads every set at the end', () => {
    const w = getWorkload('set');
    const o = { ...workloadOptions(w, { keys: 3 }), nodes: ['n1', 'n2'], concurrency: 2 };
    const adds = run('set', { keys: 3 }).filter((op) => op.f === 'add');
    expect(new Set(adds.map((op) => op.value)).size).toBe(adds.length);
    const final = simulate(w.final!(o), { concurrency: 2, seed: 1 }).filter((op) => op.type === 'invoke');
    expect(final.map((op) => `${op.process}:${String(op.key)}`).sort()).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1', '1:2']);
  });
});
