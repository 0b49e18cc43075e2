// The linearizable `set` model against Porcupine's own TestSetModel (porcupine_test.go): a read
// returns the set's elements, each exactly once; a read holding an element twice is a multiset
// no set state can show, so the history is not linearizable.
import { describe, expect, it } from 'vitest';
import { checkLinearizable, resolveModel } from '../checker/linearizable/index.js';
import { INCONSISTENT } from '../checker/linearizable/model.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';

/** Porcupine's four histories: adds of 100 and 110 (or 0) concurrent with one read. */
function porcupineCase(second: number, read: unknown[]): History {
  const ops = [
    { type: 'invoke', process: 0, f: 'add', value: 100 },
    { type: 'invoke', process: 1, f: 'add', value: second },
    { type: 'invoke', process: 2, f: 'read', value: null },
    { type: 'ok', process: 2, f: 'read', value: read },
    { type: 'ok', process: 1, f: 'add', value: second },
    { type: 'ok', process: 0, f: 'add', value: 100 },
  ].map((o, index) => ({ index, ...o }) as Op);
  return new History(ops);
}

describe('linearizable set model (Porcupine TestSetModel)', () => {
  it('accepts the reads Porcupine accepts', async () => {
    expect((await checkLinearizable(porcupineCase(0, [100]), 'set')).valid).toBe(true);
    expect((await checkLinearizable(porcupineCase(110, [100, 110]), 'set')).valid).toBe(true);
    expect((await checkLinearizable(porcupineCase(110, [110, 100]), 'set')).valid).toBe(true);
  });

  it('rejects a read holding an element twice ([100, 100, 110])', async () => {
    const r = await checkLinearizable(porcupineCase(110, [100, 100, 110]), 'set');
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/process 2's read returning \[100,100,110\] \(index 3\) cannot be linearized/);
  });

  it('a read is compared as a multiset: a duplicate never matches, whatever the state', () => {
    const m = resolveModel('set');
    const read = (value: unknown[]) => [{ index: 0, type: 'invoke', process: 0, f: 'read', value: null } as Op, { index: 1, type: 'ok', process: 0, f: 'read', value } as Op] as const;
    let s = m.init();
    for (const v of [1, 2]) s = m.step(s, { index: 0, type: 'invoke', process: 0, f: 'add', value: v } as Op, undefined);
    expect(m.step(s, ...read([2, 1]))).toBe(s);
    expect(m.step(s, ...read([1, 2, 2]))).toBe(INCONSISTENT);
    expect(m.step(s, ...read([1, 1]))).toBe(INCONSISTENT);
    expect(m.step(s, ...read([1]))).toBe(INCONSISTENT);
    // Adding an element already there leaves the set as it was (a set, not a multiset).
    expect(m.key(m.step(s, { index: 0, type: 'invoke', process: 0, f: 'add', value: 1 } as Op, undefined) as object)).toBe(m.key(s));
  });
});
