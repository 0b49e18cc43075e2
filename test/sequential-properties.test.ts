// The sequential-consistency checker agrees with a brute-force checker, which tries every
// interleaving of the processes' ops that keeps each process's order, on thousands of small random
// register and cas-register histories (up to 3 processes and 7 invocations, with failed and
// crashed ops); and a linearizable history is always sequentially consistent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, INCONSISTENT, resolveModel, type Model } from '../checker/linearizable/index.js';
import { checkSequential } from '../checker/sequential/index.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';

/**
 * Sequentially consistent, by enumeration: some interleaving of the processes' ops, each process's
 * in its order, is legal for the model; ok ops must be in it, failed ops never are, and an op of
 * unknown outcome may be in it (at its turn) or not.
 */
function bruteForceSequential(h: History, model: Model<unknown>): boolean {
  const procs = new Map<unknown, { op: Op; done: Op | undefined; must: boolean }[]>();
  h.ops.forEach((op, i) => {
    if (op.type !== 'invoke' || op.process === 'nemesis') return;
    const c = h.completion(i);
    if (c?.type === 'fail') return;
    let list = procs.get(op.process);
    if (!list) procs.set(op.process, (list = []));
    list.push({ op, done: c?.type === 'ok' ? c : undefined, must: c?.type === 'ok' });
  });
  const lists = [...procs.values()];
  const pos = lists.map(() => 0);
  const go = (s: unknown): boolean => {
    if (lists.every((l, p) => l.slice(pos[p]).every((x) => !x.must))) return true;
    for (let p = 0; p < lists.length; p++) {
      const x = lists[p][pos[p]];
      if (!x) continue;
      const next = model.step(s, x.op, x.done);
      pos[p]++;
      const found = (next !== INCONSISTENT && go(next)) || (!x.must && go(s));
      pos[p]--;
      if (found) return true;
    }
    return false;
  };
  return go(model.init());
}

interface Step {
  proc: number;
  kind: number;
  a: number;
  b: number;
  out: number;
}

const steps = fc.array(
  fc.record({ proc: fc.nat({ max: 2 }), kind: fc.nat({ max: 9 }), a: fc.nat({ max: 1 }), b: fc.nat({ max: 2 }), out: fc.nat({ max: 11 }) }),
  { minLength: 8, maxLength: 40 },
);

/** Random events of up to 3 processes and 7 invocations; a process whose op crashed (info) stops. */
function build(cas: boolean, ss: Step[]): Op[] {
  const ops: Op[] = [];
  const open = new Map<number, Op>();
  const crashed = new Set<number>();
  let invocations = 0;
  for (const s of ss) {
    const p = s.proc;
    const o = open.get(p);
    if (!o) {
      if (invocations >= 7 || crashed.has(p)) continue;
      invocations++;
      const [f, value] = s.kind < 4 ? ['read', null] : cas && s.kind >= 8 ? ['cas', [s.b, s.a + 1]] : ['write', s.a + 1];
      const op = { index: ops.length, type: 'invoke', process: p, f, value } as Op;
      ops.push(op);
      open.set(p, op);
    } else {
      const type = s.out < 8 ? 'ok' : s.out < 10 ? 'fail' : 'info';
      const value = type === 'ok' && o.f === 'read' ? s.b : o.value;
      const c = { index: ops.length, type, process: p, f: o.f, value } as Op;
      if (o.f === 'cas' && type === 'ok' && s.out % 3 === 0) c.result = false;
      ops.push(c);
      open.delete(p);
      if (type === 'info') crashed.add(p);
    }
  }
  return ops;
}

describe('agreement with brute force', () => {
  for (const [model, numRuns, seed] of [
    ['register', 1500, 7],
    ['cas-register', 1500, 11],
  ] as const) {
    it(`${model}: ${numRuns} random histories`, async () => {
      const m = resolveModel(model, 0);
      let invalid = 0;
      let sequentialNotLinearizable = 0;
      await fc.assert(
        fc.asyncProperty(steps, async (ss) => {
          const h = new History(build(model === 'cas-register', ss));
          const r = await checkSequential(h, model, { init: 0 });
          const expected = bruteForceSequential(h, m);
          expect(r.valid).toBe(expected);
          if (!expected) invalid++;
          const lin = await checkLinearizable(h, model, { init: 0 });
          if (lin.valid === true) expect(r.valid).toBe(true);
          if (lin.valid === false && r.valid === true) sequentialNotLinearizable++;
        }),
        { numRuns, seed },
      );
      // both verdicts must occur often, or the agreement proves little
      expect(invalid).toBeGreaterThan(numRuns / 5);
      expect(invalid).toBeLessThan(numRuns * 0.8);
      expect(sequentialNotLinearizable).toBeGreaterThan(numRuns / 20);
    });
  }
});
