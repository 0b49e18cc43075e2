// The refutation for registers with unique values (checker/linearizable/refute.ts) never calls a
// linearizable history unlinearizable: it is held to the brute-force checker on random histories
// whose writes and cas draw fresh values, with failed and crashed ops, reads of old, current,
// never-written and initial values, and cas that return false; and it does fire, often, on the
// unlinearizable ones. The checker with it agrees with brute force on the same histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, resolveModel } from '../checker/linearizable/index.js';
import { prepare } from '../checker/linearizable/prepare.js';
import { refuteRegister } from '../checker/linearizable/refute.js';
import { generateHardRegisterHistory } from '../bench/generate.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { bruteForceLinearizable } from './helpers/brute-force.js';

interface Step {
  proc: number;
  kind: number;
  pick: number;
  out: number;
}

const steps = fc.array(fc.record({ proc: fc.nat({ max: 3 }), kind: fc.nat({ max: 9 }), pick: fc.nat({ max: 20 }), out: fc.nat({ max: 11 }) }), { maxLength: 32 });

/** A history of unique-valued writes and cas targets; reads and cas sources pick among values seen so far. */
function build(ss: Step[], init: number | null): Op[] {
  const ops: Op[] = [];
  const open = new Map<number, Op>();
  const pid = [0, 1, 2, 3];
  const written: (number | null)[] = [init];
  let fresh = 100;
  let invocations = 0;
  const pickValue = (k: number) => (k === 20 ? 999 : written[k % written.length]);
  for (const s of ss) {
    const p = pid[s.proc];
    const o = open.get(p);
    if (!o) {
      if (invocations >= 11) continue;
      invocations++;
      const f = s.kind < 4 ? 'read' : s.kind < 7 ? 'write' : 'cas';
      const value = f === 'read' ? null : f === 'write' ? ++fresh : [pickValue(s.pick), ++fresh];
      if (f === 'write') written.push(value as number);
      if (f === 'cas') written.push((value as number[])[1]);
      const op = { index: ops.length, type: 'invoke', process: p, f, value } as Op;
      ops.push(op);
      open.set(p, op);
    } else {
      const type = s.out < 8 ? 'ok' : s.out < 10 ? 'fail' : 'info';
      const c = { index: ops.length, type, process: p, f: o.f, value: o.f === 'read' && type === 'ok' ? pickValue(s.pick) : o.value } as Op;
      if (o.f === 'cas' && type === 'ok' && s.out % 3 === 0) c.result = false;
      ops.push(c);
      open.delete(p);
      if (type === 'info') pid[s.proc] += 4;
    }
  }
  return ops;
}

describe('the unique-value register refutation', () => {
  for (const init of [null, 0]) {
    it(`never refutes a linearizable history, and refutes many that are not (init ${init})`, async () => {
      const m = resolveModel('cas-register', init);
      let invalid = 0;
      let refuted = 0;
      await fc.assert(
        fc.asyncProperty(steps, async (ss) => {
          const h = new History(build(ss, init));
          const expected = bruteForceLinearizable(h, m);
          const says = refuteRegister(prepare(h, m), m);
          if (says) expect(expected).toBe(false);
          if (!expected) invalid++;
          if (says) refuted++;
          expect((await checkLinearizable(h, m)).valid).toBe(expected);
        }),
        { numRuns: 1500 },
      );
      expect(invalid).toBeGreaterThan(100);
      expect(refuted).toBeGreaterThan(invalid / 3);
    });
  }

  it('refutes a planted stale read in a hard 2,000-op history at once, and never a clean one', () => {
    const m = resolveModel('cas-register', null);
    for (let seed = 1; seed <= 10; seed++) {
      const stale = generateHardRegisterHistory({ ops: 2000, processes: 10, crashRate: 0.02, seed, staleRead: true });
      const clean = generateHardRegisterHistory({ ops: 2000, processes: 10, crashRate: 0.02, seed, staleRead: false });
      expect(refuteRegister(prepare(stale, m), m)).toBe(true);
      expect(refuteRegister(prepare(clean, m), m)).toBe(false);
    }
  });

  it('stays out of histories whose values repeat, and of models it does not know', () => {
    const ops = [
      { index: 0, type: 'invoke', process: 0, f: 'write', value: 1 },
      { index: 1, type: 'ok', process: 0, f: 'write', value: 1 },
      { index: 2, type: 'invoke', process: 0, f: 'write', value: 1 },
      { index: 3, type: 'ok', process: 0, f: 'write', value: 1 },
      { index: 4, type: 'invoke', process: 0, f: 'read', value: null },
      { index: 5, type: 'ok', process: 0, f: 'read', value: 7 },
    ] as Op[];
    const h = new History(ops);
    const m = resolveModel('cas-register', null);
    expect(refuteRegister(prepare(h, m), m)).toBe(false);
    const counter = resolveModel('counter', 0);
    expect(refuteRegister(prepare(h, counter), counter)).toBe(false);
  });
});
