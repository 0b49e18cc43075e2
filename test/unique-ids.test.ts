// unique-ids on hand-built histories.
import { describe, expect, it } from 'vitest';
import { uniqueIds } from '../checker/unique-ids.js';
import { History } from '../histories/history.js';
import type { OpType } from '../histories/op.js';

type Row = [number, OpType, unknown, unknown?];
const hist = (rows: Row[]) =>
  new History(rows.map(([process, type, value, key], i) => ({ index: i, type, process, f: 'generate', value, ...(key !== undefined ? { key } : {}) })));
const gen = (p: number, id: unknown, outcome: OpType = 'ok', key?: unknown): Row[] => [[p, 'invoke', null, key], [p, outcome, id, key]];

describe('unique-ids', () => {
  it('accepts distinct ids, with counts and the numeric range', async () => {
    const h = hist([...gen(0, 10), ...gen(0, 3), ...gen(1, null, 'info'), ...gen(2, 7), ...gen(3, null, 'fail'), [4, 'invoke', null]]);
    expect(await uniqueIds.check(h, {})).toEqual({
      valid: true, attemptedCount: 6, acknowledgedCount: 3, duplicatedCount: 0, duplicated: [], range: [3, 10],
    });
  });

  it('reports ids returned more than once, with their ops; ids compare as JSON', async () => {
    const h = hist([...gen(0, 1), ...gen(0, '1'), ...gen(0, { a: 1, b: 2 }), ...gen(1, 1), ...gen(1, { b: 2, a: 1 }), ...gen(2, 1)]);
    const r = await uniqueIds.check(h, {});
    expect(r).toMatchObject({
      valid: false, attemptedCount: 6, acknowledgedCount: 6, duplicatedCount: 2,
      duplicated: [{ id: 1, count: 3, ops: [1, 7, 11] }, { id: { a: 1, b: 2 }, count: 2, ops: [5, 9] }],
    });
    expect(r.range).toBeUndefined();
    expect(r.ops).toEqual([1, 5, 7, 9, 11]);
    expect(r.explanation).toBe('Id 1 was generated 3 times (index 1, 7, 11) — 2 ids generated more than once.');
  });

  it('keeps ids per key in keyed histories', async () => {
    expect((await uniqueIds.check(hist([...gen(0, 1, 'ok', 'x'), ...gen(1, 1, 'ok', 'y')]), {})).valid).toBe(true);
    const r = await uniqueIds.check(hist([...gen(0, 1, 'ok', 'x'), ...gen(1, 1, 'ok', 'x')]), {});
    expect(r).toMatchObject({ valid: false, duplicated: [{ key: 'x', id: 1, count: 2, ops: [1, 3] }] });
    expect(r.explanation).toBe('Id 1 (key x) was generated twice (index 1, 3) — 1 id generated more than once.');
  });

  it('rejects an ok generate without an id', async () => {
    await expect(uniqueIds.check(hist(gen(0, null)), {})).rejects.toThrow('value: an ok generate must return the id it generated');
  });
});
