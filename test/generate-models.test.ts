// The generators of bench/models.ts: deterministic for a seed, and valid for the checkers they feed
// at small sizes (so the benchmark's inputs can be trusted), with the features that make them worth
// checking (stale reads, crashes, causal orders that are not sequential).
import { describe, expect, it } from 'vitest';
import { generateCausal, generateRegisters, generateSetFull } from '../bench/generate-models.js';
import { checkCausal, type VariantResult } from '../checker/causal/index.js';
import { getChecker } from '../checker/registry.js';
import type { History } from '../histories/history.js';

const verdicts = (h: History) => {
  const r = checkCausal(h, { variant: 'cm' });
  return { cc: (r.cc as VariantResult).valid, ccv: (r.ccv as VariantResult).valid, cm: (r.cm as VariantResult).valid };
};

describe('generators are deterministic for a seed', () => {
  const cases: [string, (seed: number) => History][] = [
    ['causal lww', (seed) => generateCausal({ ops: 2000, seed, crashRate: 0.02, failRate: 0.01 })],
    ['causal arrival', (seed) => generateCausal({ ops: 2000, seed, mode: 'arrival' })],
    ['registers', (seed) => generateRegisters({ ops: 2000, seed })],
    ['set-full', (seed) => generateSetFull({ ops: 2000, seed })],
  ];
  for (const [name, gen] of cases) {
    it(name, () => {
      const a = gen(7);
      expect(a.length).toBe(2000);
      expect(gen(7).ops).toEqual(a.ops);
      expect(gen(8).ops).not.toEqual(a.ops);
    });
  }
});

describe('causal histories', () => {
  it("'lww' mode is CC and CCv, and with crashes and failures too", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const h = generateCausal({ ops: 4000, seed, crashRate: seed % 2 ? 0.02 : 0, failRate: seed % 2 ? 0.01 : 0 });
      const v = verdicts(h);
      expect([v.cc, v.ccv], `seed ${seed}`).toEqual([true, true]);
    }
  });

  it("'arrival' mode is CC and CM, and with crashes, failures, one unkeyed register", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const h = generateCausal({ ops: 4000, seed, mode: 'arrival', crashRate: seed % 2 ? 0.02 : 0, failRate: seed % 2 ? 0.01 : 0 });
      const v = verdicts(h);
      expect([v.cc, v.cm], `seed ${seed}`).toEqual([true, true]);
    }
    const single = generateCausal({ ops: 3000, seed: 9, mode: 'arrival', keys: 1, keyed: false });
    expect(single.ops.some((op) => 'key' in op)).toBe(false);
    expect(verdicts(single)).toMatchObject({ cc: true, cm: true });
  });

  it('the two modes are told apart: arrival order breaks CCv, last-writer-wins breaks CM (so replicas really diverge)', () => {
    // Each mode's history is, at some seed, outside the other mode's model: the replicas apply
    // concurrent writes in different orders and reads see it.
    const arrival = [1, 2, 3, 4, 5].map((seed) => verdicts(generateCausal({ ops: 4000, seed, mode: 'arrival' })).ccv);
    const lww = [1, 2, 3, 4, 5].map((seed) => verdicts(generateCausal({ ops: 4000, seed })).cm);
    expect(arrival).toContain(false);
    expect(lww).toContain(false);
  });

  it('has reads of writes from other replicas, and of the initial value', () => {
    const h = generateCausal({ ops: 4000, seed: 1 });
    const r = checkCausal(h, { variant: 'cc' });
    expect(r).toMatchObject({ processes: 6, keys: 5 });
    const reads = h.ops.filter((op) => op.type === 'ok' && op.f === 'read');
    expect(reads.filter((op) => op.value === null).length).toBeGreaterThan(0);
    expect(reads.filter((op) => op.value !== null).length).toBeGreaterThan(reads.length / 2);
  });
});

describe('replicated register histories', () => {
  it('are valid for session and staleness, with stale reads on the lagging nodes only', async () => {
    for (const seed of [1, 2, 3]) {
      const h = generateRegisters({ ops: 20_000, seed, keys: 20, threads: 12 });
      for (const versionOrder of ['causal', 'realtime', 'process']) {
        const s = await getChecker('session').check(h, { options: { versionOrder } });
        expect(s.valid, `${versionOrder}: ${s.explanation}`).toBe(true);
      }
      const st = await getChecker('staleness').check(h, {});
      expect(st.valid, st.explanation).toBe(true);
      const byNode = st.byNode as Record<string, { stale: number }>;
      expect(byNode.n1.stale).toBe(0);
      expect(byNode.n2.stale).toBeGreaterThan(0);
      expect(byNode.n3.stale).toBeGreaterThan(byNode.n2.stale);
      expect(h.ops.some((op) => op.type === 'info')).toBe(true);
    }
  });
});

describe('set-full histories', () => {
  it('are valid: every element stable or never read, none lost, with crashed adds', async () => {
    for (const seed of [1, 2, 3]) {
      const h = generateSetFull({ ops: 20_000, seed, maxAddsPerKey: 30 });
      const r = await getChecker('set-full').check(h, {});
      expect(r.valid, r.explanation).toBe(true);
      expect(r.lostCount).toBe(0);
      expect(r.stableCount as number).toBeGreaterThan(1000);
      expect(h.ops.some((op) => op.type === 'info' && op.f === 'add')).toBe(true);
      // Reads stay bounded by the per-key cap.
      const longest = Math.max(...h.ops.map((op) => (Array.isArray(op.value) ? op.value.length : 0)));
      expect(longest).toBeLessThanOrEqual(30);
    }
  });
});
