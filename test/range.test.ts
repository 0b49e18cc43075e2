// The range checker: a range read's parts are each atomic (found when not), parts need not be
// atomic together (measured, not judged), keys a range leaves out read as absent; and the
// built-in state machine answers a range with its keys in [start, end), one part.
import { describe, expect, it } from 'vitest';
import { rangeChecker, withoutRanges } from '../checker/range.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { MemoryKv } from '../targets/builtin/kv.js';
import { applyOp, configureWorkload, storeKey } from '../targets/builtin/state-machine.js';
import { linearizable } from '../checker/linearizable/index.js';

/** Ops from [process, f, key, value, invoke time, complete time, completion value?] rows. */
function history(rows: [number, string, unknown, unknown, number, number, unknown?][]): History {
  const events: { t: number; op: Omit<Op, 'index'> }[] = [];
  for (const [p, f, key, value, t0, t1, done] of rows) {
    const k = key === undefined ? {} : { key };
    events.push({ t: t0, op: { type: 'invoke', process: p, f, ...k, value, time: t0 } });
    events.push({ t: t1, op: { type: 'ok', process: p, f, ...k, value: done === undefined ? value : done, time: t1 } });
  }
  events.sort((a, b) => a.t - b.t);
  return new History(events.map((e, index) => ({ index, ...e.op }) as Op));
}

// w(0,1) then w(1,1), then w(0,2) then w(1,2), one after another; a range read spans them all.
const writes: [number, string, unknown, unknown, number, number][] = [
  [1, 'write', 0, 1, 10, 20],
  [2, 'write', 1, 1, 30, 40],
  [1, 'write', 0, 2, 50, 60],
  [2, 'write', 1, 2, 70, 80],
];

describe('range checker', () => {
  it('parts read at different moments are allowed, and measured as not atomic together', async () => {
    // Key 0 still 1 (before w(0,2)), key 1 already 2 (after w(1,2)): no single moment, but each part fits one.
    const h = history([...writes, [3, 'range', undefined, [0, 2], 45, 90, [[[0, 1]], [[1, 2]]]]]);
    const r = await rangeChecker.check(h, {});
    expect(r.valid, JSON.stringify(r)).toBe(true);
    expect(r.groups).toBe(2);
    expect(String(r.acrossParts)).toMatch(/^not atomic/);
  });

  it('a part that mixes two moments of its shard is invalid, citing the range read', async () => {
    const h = history([...writes, [3, 'range', undefined, [0, 2], 45, 90, [[[0, 1], [1, 2]]]]]);
    const r = await rangeChecker.check(h, {});
    expect(r.valid).toBe(false);
    expect(String(r.explanation)).toMatch(/range read's part is not atomic/);
    const rangeInvoke = h.ops.find((o) => o.f === 'range' && o.type === 'invoke')!.index;
    expect(r.ops).toContain(rangeInvoke);
  });

  it("a key of a part's group that the range left out reads as absent", async () => {
    // Keys 0 and 1 share a part once, so they are one group; a later range over both lists only key 0, though key 1 was written.
    const h = history([...writes, [3, 'range', undefined, [0, 2], 85, 90, [[[0, 2], [1, 2]]]], [3, 'range', undefined, [0, 2], 95, 99, [[[0, 2]]]]]);
    const r = await rangeChecker.check(h, {});
    expect(r.valid).toBe(false);
  });

  it('a history without range reads has nothing to check; the per-key checkers skip range reads', async () => {
    const plain = history(writes);
    expect((await rangeChecker.check(plain, {})).valid).toBe('unknown');
    const h = history([...writes, [3, 'range', undefined, [0, 2], 45, 90, [[[0, 1]], [[1, 2]]]]]);
    expect((await withoutRanges(linearizable).check(h, { model: 'register' })).valid).toBe(true);
  });
});

describe('range in the state machine', () => {
  it('answers the registers in [start, end) as one part, keys ascending', () => {
    configureWorkload('register');
    const kv = new MemoryKv();
    for (const [k, v] of [[3, 'c'], [1, 'a'], [2, 'b'], ['x', 'y']] as const) kv.set(storeKey('register', k), v);
    expect(applyOp(kv, { f: 'range', value: [1, 3] })).toEqual({ type: 'ok', value: [[[1, 'a'], [2, 'b']]] });
    expect(applyOp(kv, { f: 'range', value: [5, 9] })).toEqual({ type: 'ok', value: [] });
    expect(applyOp(kv, { f: 'range', value: 3 }).type).toBe('fail');
    configureWorkload(undefined);
  });
});
