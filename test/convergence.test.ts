// The convergence checker on hand-built histories: one per CRDT type and rule, valid and invalid,
// with exact evidence (op indices, nodes, elements).
import { describe, expect, it } from 'vitest';
import { convergence } from '../checker/convergence.js';
import type { Result } from '../checker/types.js';
import { HistoryError, InputError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { parseHistory } from '../histories/read.js';

type Spec = Record<string, unknown>;
// Ops are written one per line, so the op at index i is on line i + 1.
const hist = (...ops: Spec[]): History => parseHistory(ops.map((o) => JSON.stringify(o)).join('\n') + '\n', 'jsonl', 'c.jsonl');

let nextProcess = 0;
/** An invocation and its completion, on a fresh process. */
function op(f: string, value: unknown, type: 'ok' | 'fail' | 'info', done: unknown = value): Spec[] {
  const process = nextProcess++;
  return [
    { type: 'invoke', process, f, value: f === 'read' ? null : value },
    { type, process, f, value: done },
  ];
}
/** An invocation alone (never completes). */
const open = (f: string, value: unknown): Spec[] => [{ type: 'invoke', process: nextProcess++, f, value }];
/** A final read on `node` returning `value` (ok). */
function finalRead(node: string, value: unknown): Spec[] {
  const process = nextProcess++;
  return [
    { type: 'invoke', process, f: 'read', value: null, node, final: true },
    { type: 'ok', process, f: 'read', value, node, final: true },
  ];
}
/** Two ops interleaved: a's invocation, b's invocation, b's completion, a's completion. */
const around = (a: Spec[], b: Spec[]): Spec[] => [a[0], b[0], b[1], a[1]];

const check = (type: string, h: History, more: Record<string, unknown> = {}): Promise<Result> => convergence.check(h, { options: { type, ...more } });

describe('convergence: options', () => {
  it('needs the CRDT type, and names the known ones', async () => {
    const h = hist(...finalRead('n1', 0));
    await expect(convergence.check(h, {})).rejects.toThrow(InputError);
    await expect(convergence.check(h, {})).rejects.toThrow(/needs the CRDT type: --option type=g-counter\|pn-counter\|or-set/);
    await expect(check('lww-register', h)).rejects.toThrow(/unknown CRDT type "lww-register"; known types: g-counter, pn-counter, or-set/);
  });
});

describe('convergence: no final reads', () => {
  it('is unknown, saying final reads are needed', async () => {
    const r = await check('g-counter', hist(...op('add', 1, 'ok'), ...op('read', null, 'ok', 1)));
    expect(r.valid).toBe('unknown');
    expect(r.explanation).toMatch(/needs final reads .* this history has none/);
    expect(r.finalReads).toEqual({});
  });
  it('is unknown when the only final reads did not complete ok', async () => {
    const p = nextProcess++;
    const h = hist(
      ...op('add', 1, 'ok'), // 0, 1
      { type: 'invoke', process: p, f: 'read', value: null, node: 'n1', final: true }, // 2
      { type: 'info', process: p, f: 'read', value: null, node: 'n1', final: true }, // 3
    );
    const r = await check('or-set', h);
    expect(r.valid).toBe('unknown');
    expect(r.unanswered).toEqual([2]);
    expect(r.explanation).toMatch(/only 1 final read that did not complete ok/);
  });
});

describe('convergence: g-counter', () => {
  // 0-1 add 1 ok · 2-3 add 2 info · 4-5 add 5 fail · 6 add 4 never completes · 7-8, 9-10 final reads
  const updates = () => [...op('add', 1, 'ok'), ...op('add', 2, 'info'), ...op('add', 5, 'fail'), ...open('add', 4)];

  it('valid: final reads agree and lie between the acknowledged and the possible sum', async () => {
    for (const v of [1, 3, 7]) {
      const r = await check('g-counter', hist(...updates(), ...finalRead('n1', v), ...finalRead('n2', v)));
      expect(r.valid).toBe(true);
      expect(r.expected).toEqual({ min: 1, max: 7, acknowledged: 1 });
      expect(r.finalReads).toEqual({ n1: { value: v, index: 7 }, n2: { value: v, index: 9 } });
      expect(r.agree).toBe(true);
      expect(r.lost).toEqual([]);
      expect(r.unexpected).toEqual([]);
      expect(r.adds).toEqual({ ok: 1, maybe: 2, fail: 1 });
    }
  });

  it('invalid: below the acknowledged sum (lost increments)', async () => {
    const r = await check('g-counter', hist(...updates(), ...finalRead('n1', 0), ...finalRead('n2', 0)));
    expect(r.valid).toBe(false);
    expect(r.agree).toBe(true);
    expect(r.lost).toEqual([
      { node: 'n1', index: 7, value: 0, below: 1 },
      { node: 'n2', index: 9, value: 0, below: 1 },
    ]);
    expect(r.unexpected).toEqual([]);
    expect(r.ops).toEqual([7, 9]);
    expect(r.explanation).toBe(
      'Every final read (index 7, line 8; index 9, line 10) is 0, but the counter must be between 1 and 7: the 1 acknowledged add sums to 1, and the 2 adds of unknown outcome could add up to 6 more.',
    );
  });

  it('invalid: above the possible sum (a failed add counted)', async () => {
    const r = await check('g-counter', hist(...updates(), ...finalRead('n1', 12), ...finalRead('n2', 12)));
    expect(r.valid).toBe(false);
    expect(r.unexpected).toEqual([
      { node: 'n1', index: 7, value: 12, above: 5 },
      { node: 'n2', index: 9, value: 12, above: 5 },
    ]);
    expect(r.lost).toEqual([]);
  });

  it('invalid: final reads disagree, each within bounds', async () => {
    const r = await check('g-counter', hist(...updates(), ...finalRead('n1', 1), ...finalRead('n2', 3), ...finalRead('n3', 1)));
    expect(r.valid).toBe(false);
    expect(r.agree).toBe(false);
    expect(r.finalReads).toEqual({ n1: { value: 1, index: 7 }, n2: { value: 3, index: 9 }, n3: { value: 1, index: 11 } });
    expect(r.lost).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.ops).toEqual([7, 9, 11]);
    expect(r.explanation).toBe(
      'The final reads disagree (2 different values): n1, n3 (index 7, line 8; index 11, line 12) read 1, but n2 (index 9, line 10) read 3.',
    );
  });

  it('a negative increment is bad input naming its line', async () => {
    const h = hist(...op('add', 1, 'ok'), ...op('add', -2, 'ok'), ...finalRead('n1', -1));
    await expect(check('g-counter', h)).rejects.toThrow(HistoryError);
    await expect(check('g-counter', h)).rejects.toThrow(/^c\.jsonl:3: value: a g-counter only grows, so an add must be ≥ 0, got -2/);
    // The same history is fine for a pn-counter.
    expect((await check('pn-counter', h)).valid).toBe(true);
  });

  it('a non-number add or read is bad input naming its line', async () => {
    await expect(check('g-counter', hist(...op('add', 'x', 'ok'), ...finalRead('n1', 1)))).rejects.toThrow(/^c\.jsonl:1: value: a g-counter add needs a number/);
    await expect(check('g-counter', hist(...op('add', 1, 'ok'), ...finalRead('n1', [1])))).rejects.toThrow(/^c\.jsonl:4: value: a g-counter read must return a number/);
  });

  it('a final flag on the completion alone still marks a final read; without a node the process names it', async () => {
    const p = nextProcess++;
    const r = await check('g-counter', hist(...op('add', 1, 'ok'), { type: 'invoke', process: p, f: 'read', value: null }, { type: 'ok', process: p, f: 'read', value: 1, final: true }));
    expect(r.valid).toBe(true);
    expect(r.finalReads).toEqual({ [`process ${p}`]: { value: 1, index: 2 } });
  });
});

describe('convergence: pn-counter', () => {
  // 0-1 add 5 ok · 2-3 add -2 info · 4-5 add 3 info · 6-7 add -1 fail · 8-9, 10-11 final reads
  const updates = () => [...op('add', 5, 'ok'), ...op('add', -2, 'info'), ...op('add', 3, 'info'), ...op('add', -1, 'fail')];

  it('valid: decrements of unknown outcome lower the floor, increments raise the ceiling', async () => {
    for (const v of [3, 5, 6, 8]) {
      const r = await check('pn-counter', hist(...updates(), ...finalRead('n1', v), ...finalRead('n2', v)));
      expect(r.valid).toBe(true);
      expect(r.expected).toEqual({ min: 3, max: 8, acknowledged: 5 });
    }
  });

  it('invalid: below the floor, and above the ceiling', async () => {
    const low = await check('pn-counter', hist(...updates(), ...finalRead('n1', 2), ...finalRead('n2', 2)));
    expect(low.valid).toBe(false);
    expect(low.explanation).toBe(
      'Every final read (index 8, line 9; index 10, line 11) is 2, but the counter must be between 3 and 8: the 1 acknowledged add sums to 5, and the 2 adds of unknown outcome could add up to 3 more or take away up to 2.',
    );
    expect(low.lost).toEqual([
      { node: 'n1', index: 8, value: 2, below: 1 },
      { node: 'n2', index: 10, value: 2, below: 1 },
    ]);
    const high = await check('pn-counter', hist(...updates(), ...finalRead('n1', 9), ...finalRead('n2', 9)));
    expect(high.valid).toBe(false);
    expect(high.unexpected).toEqual([
      { node: 'n1', index: 8, value: 9, above: 1 },
      { node: 'n2', index: 10, value: 9, above: 1 },
    ]);
    expect(high.ops).toEqual([8, 10]);
  });

  it('invalid: disagreement, with one node also out of range', async () => {
    const r = await check('pn-counter', hist(...updates(), ...finalRead('n1', 4), ...finalRead('n2', 10)));
    expect(r.valid).toBe(false);
    expect(r.agree).toBe(false);
    expect(r.lost).toEqual([]);
    expect(r.unexpected).toEqual([{ node: 'n2', index: 10, value: 10, above: 2 }]);
    expect(r.problems).toHaveLength(2);
  });
});

describe('convergence: or-set', () => {
  // 0-1 add 1 ok · 2-3 add 2 ok · 4-5 remove 2 ok (after add 2 completed) · 6-7 add 3 info ·
  // 8-9 add 4 fail · then final reads at 10 and 12.
  const updates = () => [...op('add', 1, 'ok'), ...op('add', 2, 'ok'), ...op('remove', 2, 'ok'), ...op('add', 3, 'info'), ...op('add', 4, 'fail')];

  it('valid: acknowledged adds present, honoured removes absent, maybe-adds either way', async () => {
    for (const [a, b] of [
      [[1, 3], [3, 1]],
      [[1], [1]],
    ]) {
      const r = await check('or-set', hist(...updates(), ...finalRead('n1', a), ...finalRead('n2', b)));
      expect(r.valid).toBe(true);
      expect(r.agree).toBe(true);
      expect(r.expected).toEqual({ mustContain: [1], mustNotContain: [2], mayContain: [1, 2, 3] });
      expect(r.lost).toEqual([]);
      expect(r.notRemoved).toEqual([]);
      expect(r.unexpected).toEqual([]);
      expect(r.adds).toEqual({ ok: 2, maybe: 1, fail: 1 });
      expect(r.removes).toEqual({ ok: 1, maybe: 0, fail: 0 });
      expect(r.finalReads).toEqual({ n1: { value: a, index: 10 }, n2: { value: b, index: 12 } });
    }
  });

  it('invalid: a lost add', async () => {
    const r = await check('or-set', hist(...updates(), ...finalRead('n1', [3]), ...finalRead('n2', [3])));
    expect(r.valid).toBe(false);
    expect(r.lost).toEqual([{ element: 1, add: 0, nodes: ['n1', 'n2'], reads: [10, 12] }]);
    expect(r.notRemoved).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.ops).toEqual([0, 10, 12]);
    expect(r.explanation).toBe(
      'Lost add: the add of 1 (index 0, line 1) was acknowledged and no remove of it may have happened after, but every final read (index 10, line 11; index 12, line 13) lacks it.',
    );
  });

  it('invalid: a lost add on one node only also makes the reads disagree', async () => {
    const r = await check('or-set', hist(...updates(), ...finalRead('n1', [1]), ...finalRead('n2', [])));
    expect(r.valid).toBe(false);
    expect(r.agree).toBe(false);
    expect(r.lost).toEqual([{ element: 1, add: 0, nodes: ['n2'], reads: [12] }]);
    expect(r.explanation).toBe('The final reads disagree (2 different values): n1 (index 10, line 11) read 1 element, but n2 (index 12, line 13) read 1 element fewer (1). (1 more problem in the result.)');
  });

  it('an add is not lost when a remove may have followed it: concurrent, or of unknown outcome', async () => {
    // remove 1 runs inside add 1's interval: it may have seen the add.
    const concurrent = hist(...around(op('add', 1, 'ok'), op('remove', 1, 'ok')), ...finalRead('n1', []), ...finalRead('n2', []));
    const c = await check('or-set', concurrent);
    expect(c.valid).toBe(true);
    expect(c.expected).toEqual({ mustContain: [], mustNotContain: [], mayContain: [1] });
    // remove 1 after the add, timed out: may have happened.
    const info = await check('or-set', hist(...op('add', 1, 'ok'), ...op('remove', 1, 'info'), ...finalRead('n1', [])));
    expect(info.valid).toBe(true);
    // ... but a failed remove never happened: the add is lost.
    const failed = await check('or-set', hist(...op('add', 1, 'ok'), ...op('remove', 1, 'fail'), ...finalRead('n1', [])));
    expect(failed.valid).toBe(false);
    expect(failed.lost).toEqual([{ element: 1, add: 0, nodes: ['n1'], reads: [4] }]);
    // ... and a remove that completed before the add was invoked cannot remove it.
    const before = await check('or-set', hist(...op('remove', 1, 'ok'), ...op('add', 1, 'ok'), ...finalRead('n1', [])));
    expect(before.lost).toEqual([{ element: 1, add: 2, nodes: ['n1'], reads: [4] }]);
  });

  it('a remove not honoured on the node that served every add of the element: invalid (that replica saw them all)', async () => {
    const onNode = (specs: Spec[], node: string): Spec[] => specs.map((o) => ({ ...o, node }));
    const h = hist(...onNode(op('add', 7, 'ok'), 'n1'), ...onNode(op('remove', 7, 'ok'), 'n1'), ...finalRead('n1', [7]), ...finalRead('n2', [7]));
    const r = await check('or-set', h);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/^Remove not honoured: the remove of 7 .* all on the same node, but every final read/);
    // Served by different nodes, the remover may not have seen the add: allowed.
    const apart = await check('or-set', hist(...onNode(op('add', 7, 'ok'), 'n1'), ...onNode(op('remove', 7, 'ok'), 'n2'), ...finalRead('n1', [7]), ...finalRead('n2', [7])));
    expect(apart.valid).toBe(true);
    expect(apart.note).toMatch(/survived a remove/);
  });

  it('a remove not honoured: allowed by OR-set semantics (the remover may not have seen the add), invalid with strictRemoves', async () => {
    const lenient = await check('or-set', hist(...updates(), ...finalRead('n1', [1, 2]), ...finalRead('n2', [2, 1])));
    expect(lenient.valid).toBe(true);
    expect(lenient.notRemoved).toEqual([{ element: 2, remove: 4, lastAdd: 2, nodes: ['n1', 'n2'], reads: [10, 12] }]);
    expect(lenient.note).toMatch(/1 element\(s\) survived a remove .* unless --option strictRemoves=true/);
    const r = await check('or-set', hist(...updates(), ...finalRead('n1', [1, 2]), ...finalRead('n2', [2, 1])), { strictRemoves: true });
    expect(r.valid).toBe(false);
    expect(r.agree).toBe(true);
    expect(r.notRemoved).toEqual([{ element: 2, remove: 4, lastAdd: 2, nodes: ['n1', 'n2'], reads: [10, 12] }]);
    expect(r.lost).toEqual([]);
    expect(r.ops).toEqual([2, 4, 10, 12]);
    expect(r.explanation).toBe(
      'Remove not honoured: the remove of 2 (index 4, line 5) was acknowledged, invoked after every add of it had completed (the last at index 2, line 3), but every final read (index 10, line 11; index 12, line 13) still has it.',
    );
  });

  it('a remove need not be honoured when an add may land after it', async () => {
    // an add concurrent with the remove
    const concurrent = await check('or-set', hist(...around(op('remove', 2, 'ok'), op('add', 2, 'ok')), ...finalRead('n1', [2])));
    expect(concurrent.valid).toBe(true);
    // an add of unknown outcome, even one invoked before the remove
    const info = await check('or-set', hist(...op('add', 2, 'info'), ...op('add', 2, 'ok'), ...op('remove', 2, 'ok'), ...finalRead('n1', [2])));
    expect(info.valid).toBe(true);
    expect(info.expected).toEqual({ mustContain: [], mustNotContain: [], mayContain: [2] });
    // an add after the remove: now it must be present
    const readd = await check('or-set', hist(...op('add', 2, 'ok'), ...op('remove', 2, 'ok'), ...op('add', 2, 'ok'), ...finalRead('n1', [2])));
    expect(readd.valid).toBe(true);
    expect(readd.expected).toEqual({ mustContain: [2], mustNotContain: [], mayContain: [2] });
    // a failed add after the remove changes nothing
    const failed = await check('or-set', hist(...op('add', 2, 'ok'), ...op('remove', 2, 'ok'), ...op('add', 2, 'fail'), ...finalRead('n1', [2])));
    expect(failed.notRemoved).toEqual([{ element: 2, remove: 2, lastAdd: 0, nodes: ['n1'], reads: [6] }]);
  });

  it('invalid: elements never added (only failed adds, only removes, or nothing)', async () => {
    const r = await check('or-set', hist(...updates(), ...op('remove', 'ghost', 'ok'), ...finalRead('n1', [1, 4, 'x', 'ghost']), ...finalRead('n2', [1, 'x', 4, 'ghost'])));
    expect(r.valid).toBe(false);
    expect(r.agree).toBe(true);
    expect(r.unexpected).toEqual([
      { element: 4, nodes: ['n1', 'n2'], reads: [12, 14] },
      { element: 'ghost', nodes: ['n1', 'n2'], reads: [12, 14] },
      { element: 'x', nodes: ['n1', 'n2'], reads: [12, 14] },
    ]);
    expect(r.lost).toEqual([]);
    expect(r.notRemoved).toEqual([]);
    expect(r.ops).toEqual([12, 14]);
    expect(r.explanation).toBe('Every final read (index 12, line 13; index 14, line 15) has 4, which was never added (or only by adds that failed) (2 more elements like it).');
  });

  it('invalid: final reads disagree on elements that may or may not be there', async () => {
    const r = await check('or-set', hist(...updates(), ...finalRead('n1', [1, 3]), ...finalRead('n2', [1])));
    expect(r.valid).toBe(false);
    expect(r.agree).toBe(false);
    expect(r.lost).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.ops).toEqual([10, 12]);
    expect(r.explanation).toBe('The final reads disagree (2 different values): n1 (index 10, line 11) read 2 elements, but n2 (index 12, line 13) read 1 element fewer (3).');
  });

  it('compares elements by value: objects with keys in another order are the same element', async () => {
    const r = await check('or-set', hist(...op('add', { a: 1, b: [2] }, 'ok'), ...finalRead('n1', [{ b: [2], a: 1 }]), ...finalRead('n2', [{ a: 1, b: [2] }])));
    expect(r.valid).toBe(true);
  });

  it('several problems: the explanation tells the first and counts the rest', async () => {
    const r = await check('or-set', hist(...updates(), ...finalRead('n1', [2, 9]), ...finalRead('n2', [2, 9])), { strictRemoves: true });
    expect(r.valid).toBe(false);
    expect((r.lost as unknown[]).length).toBe(1);
    expect((r.notRemoved as unknown[]).length).toBe(1);
    expect((r.unexpected as unknown[]).length).toBe(1);
    expect(r.explanation).toMatch(/^Lost add: .* \(2 more problems in the result\.\)$/);
  });

  it('a read that is not a list is bad input naming its line', async () => {
    await expect(check('or-set', hist(...op('add', 1, 'ok'), ...finalRead('n1', 1)))).rejects.toThrow(/^c\.jsonl:4: value: an or-set read must return a list of elements, got 1$/);
  });

  it('counts updates still running when the final reads began', async () => {
    const p = nextProcess++;
    const h = hist(...op('add', 1, 'ok'), { type: 'invoke', process: p, f: 'read', value: null, node: 'n1', final: true }, ...op('add', 2, 'ok'), { type: 'ok', process: p, f: 'read', value: [1, 2], node: 'n1', final: true });
    const r = await check('or-set', h);
    expect(r.lateUpdates).toBe(1);
    expect(r.valid).toBe(true);
  });
});
