// The sequential-consistency checker on hand-built histories: consistent but not linearizable
// (stale reads real time forbids), not consistent (writes seen in opposite orders), info ops taken
// or not, failed ops ignored, keyed histories that key-by-key checking would wrongly accept; its
// evidence exactly; and every linearizable history of the corpus is sequentially consistent.
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../checker/linearizable/index.js';
import { checkSequential, sequential } from '../checker/sequential/index.js';
import { InputError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { readHistoryFile } from '../histories/read.js';
import { verdicts } from './helpers/corpus.js';

type Ev = [process: number | 'nemesis', type: Op['type'], f: string, value: unknown, extra?: Partial<Op>];

/** A history from events in order; each op's index is its position + 1 (so indices and positions differ). */
function hist(...evs: Ev[]): History {
  return new History(evs.map(([process, type, f, value, extra], i) => ({ index: i + 1, type, process, f, value, ...extra }) as Op));
}

interface Failure {
  ops: number;
  placed: number;
  order: number[];
  steps: { index: number; process: number; f: string; state: string }[];
  state: string;
  stuck: { index: number; completionIndex: number | null; process: number; f: string; result?: unknown; allowed: boolean }[];
}

describe('sequentially consistent but not linearizable', () => {
  it('a read by another process after a write completed may still return the old value', async () => {
    const h = hist([0, 'invoke', 'write', 1], [0, 'ok', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 0]);
    expect((await checkLinearizable(h, 'register', { init: 0 })).valid).toBe(false);
    expect(await checkSequential(h, 'register', { init: 0 })).toEqual({ valid: true, model: 'register', processes: 2, explored: 1 });
  });

  it('but a process that has seen the new value cannot go back to the old one', async () => {
    const h = hist(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', 1],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', 0],
    );
    const r = await checkSequential(h, 'register', { init: 0 });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([5]);
    expect(r.explanation).toBe(
      "No order of the 3 ops that keeps each process's own order is legal for the register. " +
        'The longest order found places 2 of them, leaving the register in state 1, and then the one process left cannot take its next op, ' +
        "process 1's read returning 0 (index 5).",
    );
    const f = r.failure as Failure;
    expect(f.order).toEqual([1, 3]);
    expect(f.steps.map((s) => [s.index, s.state])).toEqual([
      [1, '1'],
      [3, '1'],
    ]);
    expect(f.stuck).toEqual([{ index: 5, completionIndex: 6, process: 1, f: 'read', value: null, result: 0, allowed: false }]);
    expect(r.processes).toBe(2);
  });

  it("a process's own ops stay in its order: it cannot read its write's value before the write", async () => {
    const h = hist([0, 'invoke', 'read', null], [0, 'ok', 'read', 1], [0, 'invoke', 'write', 1], [0, 'ok', 'write', 1]);
    const r = await checkSequential(h, 'register', { init: 0 });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([1]);
    expect((r.failure as Failure).placed).toBe(0);
  });

  it('one process may run entirely before another that real time puts first', async () => {
    // process 1 writes 2 and reads 2 long after process 0 wrote 1 and read 1: fine either way
    // round; process 2 reads 2 then 1, which needs 1 written after 2.
    const h = hist(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [0, 'invoke', 'read', null],
      [0, 'ok', 'read', 1],
      [1, 'invoke', 'write', 2],
      [1, 'ok', 'write', 2],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', 2],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', 1],
    );
    expect((await checkLinearizable(h, 'register', { init: 0 })).valid).toBe(false);
    expect((await checkSequential(h, 'register', { init: 0 })).valid).toBe(true);
  });
});

describe('not sequentially consistent', () => {
  // Two writers; two readers that see the writes in opposite orders.
  const writes: Ev[] = [
    [0, 'invoke', 'write', 1],
    [1, 'invoke', 'write', 2],
    [0, 'ok', 'write', 1],
    [1, 'ok', 'write', 2],
  ];
  const reader = (p: number, a: number, b: number): Ev[] => [
    [p, 'invoke', 'read', null],
    [p, 'ok', 'read', a],
    [p, 'invoke', 'read', null],
    [p, 'ok', 'read', b],
  ];

  it('two processes that see two writes in opposite orders', async () => {
    const h = hist(...writes, ...reader(2, 1, 2), ...reader(3, 2, 1));
    const r = await checkSequential(h, 'register', { init: 0 });
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ model: 'register', processes: 4 });
    const f = r.failure as Failure;
    expect(f.ops).toBe(6);
    // the first order tried: write 1, process 2 reads 1, write 2, process 2 reads 2 and process 3 reads 2
    expect(f.order).toEqual([1, 5, 2, 7, 9]);
    expect(f.state).toBe('2');
    expect(f.stuck).toEqual([{ index: 11, completionIndex: 12, process: 3, f: 'read', value: null, result: 1, allowed: false }]);
    expect(r.ops).toEqual([11]);
    expect(r.explanation).toContain("places 5 of them, leaving the register in state 2, and then the one process left cannot take its next op, process 3's read returning 1 (index 11)");
  });

  it('each reader alone is fine, and so are two that agree', async () => {
    expect((await checkSequential(hist(...writes, ...reader(2, 1, 2)), 'register', { init: 0 })).valid).toBe(true);
    expect((await checkSequential(hist(...writes, ...reader(3, 2, 1)), 'register', { init: 0 })).valid).toBe(true);
    expect((await checkSequential(hist(...writes, ...reader(2, 2, 1), ...reader(3, 2, 1)), 'register', { init: 0 })).valid).toBe(true);
  });

  it('two cas from the same value cannot both succeed; a cas that returned false did not hold', async () => {
    const both = hist([0, 'invoke', 'cas', [0, 1]], [0, 'ok', 'cas', [0, 1]], [1, 'invoke', 'cas', [0, 2]], [1, 'ok', 'cas', [0, 2]]);
    const r = await checkSequential(both, 'cas-register', { init: 0 });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([3]);
    expect((r.failure as Failure).order).toEqual([1]);
    expect(r.explanation).toContain("process 1's cas [0,2] (index 3)");
    const second = hist([0, 'invoke', 'cas', [0, 1]], [0, 'ok', 'cas', [0, 1]], [1, 'invoke', 'cas', [0, 2]], [1, 'ok', 'cas', [0, 2], { result: false }]);
    expect((await checkSequential(second, 'cas-register', { init: 0 })).valid).toBe(true);
  });
});

describe('unknown outcomes and failures', () => {
  it('an info write may have happened: a read of its value is explained by it', async () => {
    const h = hist([0, 'invoke', 'write', 1], [0, 'info', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1]);
    expect((await checkSequential(h, 'register', { init: 0 })).valid).toBe(true);
  });

  it('or not: a read of the old value is explained without it', async () => {
    const h = hist([0, 'invoke', 'write', 1], [0, 'info', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 0]);
    expect((await checkSequential(h, 'register', { init: 0 })).valid).toBe(true);
  });

  it('but it happened once or never: reads of 1 then 0 cannot both be explained', async () => {
    const h = hist([0, 'invoke', 'write', 1], [0, 'info', 'write', 1], ...([1, 0].flatMap((v) => [[1, 'invoke', 'read', null], [1, 'ok', 'read', v]]) as Ev[]));
    const r = await checkSequential(h, 'register', { init: 0 });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([5]);
    // the info write was taken (the longest order), and the read of 0 is what is left
    expect((r.failure as Failure).order).toEqual([1, 3]);
    expect((r.failure as Failure).stuck.map((s) => s.index)).toEqual([5]);
  });

  it('an info op may take effect after ops that real time puts after it, even ones invoked after it crashed', async () => {
    // process 1 writes 2, reads 2 and reads 1 after process 0's write of 1 crashed
    const h = hist(
      [0, 'invoke', 'write', 1],
      [0, 'info', 'write', 1],
      [1, 'invoke', 'write', 2],
      [1, 'ok', 'write', 2],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', 2],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', 1],
    );
    expect((await checkSequential(h, 'register', { init: 0 })).valid).toBe(true);
  });

  it('an info op cannot take effect before its own process\'s earlier ops', async () => {
    // process 0 writes 1 (ok) and then 2 (info); process 1 reads 2 and then 1: 1 would have to follow 2
    const h = hist(
      [0, 'invoke', 'write', 1],
      [0, 'ok', 'write', 1],
      [0, 'invoke', 'write', 2],
      [0, 'info', 'write', 2],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', 2],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', 1],
    );
    const r = await checkSequential(h, 'register', { init: 0 });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([7]);
  });

  it('an unknown op in the middle of its process (a trusted history) may be skipped or taken at its turn', async () => {
    const mid = (read: number) =>
      new History(
        [
          { index: 1, type: 'invoke', process: 0, f: 'write', value: 1 },
          { index: 2, type: 'info', process: 0, f: 'write', value: 1 },
          { index: 3, type: 'invoke', process: 0, f: 'read', value: null },
          { index: 4, type: 'ok', process: 0, f: 'read', value: read },
        ] as Op[],
        { trusted: true },
      );
    expect((await checkSequential(mid(0), 'register', { init: 0 })).valid).toBe(true);
    expect((await checkSequential(mid(1), 'register', { init: 0 })).valid).toBe(true);
    expect((await checkSequential(mid(2), 'register', { init: 0 })).valid).toBe(false);
  });

  it('an invocation that never completes is like info', async () => {
    const h = hist([0, 'invoke', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1]);
    expect((await checkSequential(h, 'register', { init: 0 })).valid).toBe(true);
  });

  it('a failed op never happened: a read of its value is unexplained', async () => {
    const failed = hist([0, 'invoke', 'write', 1], [0, 'fail', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1]);
    const r = await checkSequential(failed, 'register', { init: 0 });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([3]);
    expect((r.failure as Failure).ops).toBe(1);
    expect((r.failure as Failure).order).toEqual([]);
    expect(r.explanation).toBe(
      "No order of the 1 ops that keeps each process's own order is legal for the register. " +
        "The longest order found places 0 of them, and then the one process left cannot take its next op, process 1's read returning 1 (index 3).",
    );
    const ok = hist([0, 'invoke', 'write', 1], [0, 'ok', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1]);
    expect((await checkSequential(ok, 'register', { init: 0 })).valid).toBe(true);
  });

  it('nemesis ops are ignored', async () => {
    const h = hist(['nemesis', 'info', 'start', null], [0, 'invoke', 'write', 1], [0, 'ok', 'write', 1], ['nemesis', 'info', 'stop', null]);
    expect(await checkSequential(h, 'register', { init: 0 })).toMatchObject({ valid: true, processes: 1 });
  });
});

describe('keyed histories are checked whole', () => {
  // Dekker: each process writes its own key and then reads the other's as unwritten. Each key
  // alone has an order (the read before the write), but no one order serves both keys: whichever
  // write comes first in it, the other process's read comes after it.
  const dekker = hist(
    [0, 'invoke', 'write', 1, { key: 'x' }],
    [1, 'invoke', 'write', 1, { key: 'y' }],
    [0, 'ok', 'write', 1, { key: 'x' }],
    [1, 'ok', 'write', 1, { key: 'y' }],
    [0, 'invoke', 'read', null, { key: 'y' }],
    [1, 'invoke', 'read', null, { key: 'x' }],
    [0, 'ok', 'read', 0, { key: 'y' }],
    [1, 'ok', 'read', 0, { key: 'x' }],
  );

  it('each key alone is sequentially consistent', async () => {
    const parts = [...dekker.byKey()];
    expect(parts.map(([k]) => k)).toEqual(['x', 'y']);
    for (const [, part] of parts) expect((await checkSequential(part, 'register', { init: 0 })).valid).toBe(true);
  });

  it('the whole history is not', async () => {
    const r = await checkSequential(dekker, 'register', { init: 0 });
    expect(r).toMatchObject({ valid: false, model: 'register', processes: 2, keys: 2 });
    const f = r.failure as Failure;
    expect(f.order).toEqual([1, 5, 2]);
    expect(f.state).toBe('"x": 1; "y": 1');
    expect(f.stuck).toEqual([{ index: 6, completionIndex: 8, process: 1, f: 'read', value: null, result: 0, allowed: false }]);
    expect(r.ops).toEqual([6]);
  });

  it('so does one read of the other key that sees the write', async () => {
    const ops = dekker.ops.map((op) => (op.index === 8 ? { ...op, value: 1 } : op));
    expect((await checkSequential(new History(ops), 'register', { init: 0 })).valid).toBe(true);
  });

  it('keyedTuples lifts [key, value] values into keys first', async () => {
    const tuples = new History(dekker.ops.map(({ key, ...op }) => ({ ...op, value: [key, op.value] }) as Op));
    expect((await checkSequential(tuples, 'register', { init: 0, keyedTuples: true })).valid).toBe(false);
    const r = await sequential.check(tuples, { model: 'register', init: 0, options: { keyedTuples: true } });
    expect(r).toMatchObject({ valid: false, keys: 2, ops: [6] });
  });
});

describe('limits', () => {
  // 10 processes each writing its own value twice, and a read of a value nobody writes: every
  // interleaving of the writes is tried before the search gives up.
  const hopeless = hist(
    ...Array.from({ length: 10 }, (_, p) =>
      [1, 2].flatMap((k): Ev[] => [
        [p, 'invoke', 'write', p * 10 + k],
        [p, 'ok', 'write', p * 10 + k],
      ]),
    ).flat(),
    [10, 'invoke', 'read', null],
    [10, 'ok', 'read', 99],
  );

  it('gives up with unknown after maxExplored configurations', async () => {
    const r = await checkSequential(hopeless, 'register', { init: 0, maxExplored: 1000 });
    expect(r).toMatchObject({ valid: 'unknown', reason: 'search-limit', explored: 1001, processes: 11 });
    expect(r.explanation).toMatch(/^gave up \(limit of 1000 explored configurations\) after exploring 1001 configurations/);
  });

  it('gives up with unknown at the deadline', async () => {
    const r = await checkSequential(hopeless, 'register', { init: 0, deadline: Date.now() - 1 });
    expect(r).toMatchObject({ valid: 'unknown', reason: 'time-limit' });
  });

  it('a small hopeless history is found invalid, with every interleaving explored once', async () => {
    const small = hist(
      ...[0, 1, 2].flatMap((p): Ev[] => [
        [p, 'invoke', 'write', p + 1],
        [p, 'ok', 'write', p + 1],
      ]),
      [3, 'invoke', 'read', null],
      [3, 'ok', 'read', 99],
    );
    const r = await checkSequential(small, 'register', { init: 0 });
    expect(r.valid).toBe(false);
    // configurations: the sets of writes done (8) with the last write's value as the state:
    // 1 (none) + 3 (one) + 3*2 (two) + 3 (all three) = 13
    expect(r.explored).toBe(13);
    expect((r.failure as Failure).order).toEqual([1, 3, 5]);
    expect(r.ops).toEqual([7]);
  });
});

describe('the checker', () => {
  const h = hist([0, 'invoke', 'write', 1], [0, 'ok', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', 0]);

  it('reads the model and init from the context', async () => {
    expect(sequential.name).toBe('sequential');
    expect(await sequential.check(h, { model: 'register', init: 0 })).toMatchObject({ valid: true, model: 'register', processes: 2 });
    // with the default init (null), a read of 0 is unexplained
    expect(await sequential.check(h, { model: 'register' })).toMatchObject({ valid: false, ops: [3] });
  });

  it('needs a model, and a positive maxExplored', async () => {
    await expect(sequential.check(h, {})).rejects.toThrow(InputError);
    await expect(sequential.check(h, { model: 'no-such-model' })).rejects.toThrow(/unknown model "no-such-model"/);
    await expect(sequential.check(h, { model: 'register', options: { maxExplored: 'lots' } })).rejects.toThrow(/maxExplored=N needs a positive number/);
    expect(await sequential.check(h, { model: 'register', init: 0, options: { maxExplored: 1 } })).toMatchObject({ valid: true });
  });
});

describe('every linearizable history of the corpus is sequentially consistent', () => {
  // Whole-history checking of Porcupine's keyed kv logs with 10 and 50 clients does not finish in
  // seconds (sequential consistency is NP-complete, and the keys cannot be split): those two are
  // bounded, and must only not be found invalid.
  const slow = /kv\/c10-ok|kv\/c50-ok/;
  const rows = verdicts.filter((r) => r.expected === 'valid');

  it.each(rows.map((r) => [r.file, r] as const))('%s', async (_, row) => {
    const { history } = await readHistoryFile(row.path, { format: row.format });
    const bounded = slow.test(row.file);
    const r = await checkSequential(history, row.model!, { init: JSON.parse(row.init!), deadline: Date.now() + (bounded ? 500 : 5000) });
    if (bounded) expect(r.valid).not.toBe(false);
    else expect(r.valid).toBe(true);
  });
});

describe('bounds (issue 20)', () => {
  // n processes each write their own key and end info, then a read no order explains: each
  // configuration weighs a move per process and each move copies an n-key state, so the search
  // is slow per configuration and big per state.
  function manyKeys(n: number): History {
    const evs: Ev[] = [];
    for (let k = 0; k < n; k++) evs.push([k, 'invoke', 'write', 1, { key: k }], [k, 'info', 'write', 1, { key: k }]);
    evs.push([n, 'invoke', 'read', null, { key: 0 }], [n, 'ok', 'read', 7, { key: 0 }]);
    return hist(...evs);
  }

  it('honours the deadline with 2,000 keys (it used to look at the clock once per 1,024 configurations)', async () => {
    const r = await checkSequential(manyKeys(2000), 'register', { deadline: Date.now() + 300, maxMemoryBytes: 2 ** 40 });
    expect(r).toMatchObject({ valid: 'unknown', reason: 'time-limit' });
  }, 60_000);

  it('stays within its memory budget with 2,000 keys, counting the model states the old bound did not', async () => {
    const r = await checkSequential(manyKeys(2000), 'register', { maxMemoryBytes: 64 * 2 ** 20 });
    expect(r).toMatchObject({ valid: 'unknown', reason: 'memory-limit' });
  }, 60_000);

  it('--option maxMemory=MiB sets the budget, and refuses what is not a positive number', async () => {
    const ctx = { file: 'h.jsonl', model: 'register', options: { maxMemory: 64 } };
    expect(await sequential.check(manyKeys(2000), ctx)).toMatchObject({ valid: 'unknown', reason: 'memory-limit' });
    await expect(sequential.check(manyKeys(2), { ...ctx, options: { maxMemory: 'lots' } })).rejects.toThrow(/maxMemory=MiB needs a positive number/);
  }, 60_000);
});
