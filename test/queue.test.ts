// queue and total-queue on hand-built histories: each rule valid and broken, with exact evidence.
import { describe, expect, it } from 'vitest';
import { queue, totalQueue } from '../checker/queue.js';
import { HistoryError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import type { OpType } from '../histories/op.js';

/** [process, type, f, value, key?]: op i gets index i. */
type Row = [number, OpType, string, unknown, unknown?];
const hist = (rows: Row[]) =>
  new History(rows.map(([process, type, f, value, key], i) => ({ index: i, time: i * 1e6, type, process, f, value, ...(key !== undefined ? { key } : {}) })));

const enq = (p: number, v: unknown, outcome: OpType = 'ok', key?: unknown): Row[] => [[p, 'invoke', 'enqueue', v, key], [p, outcome, 'enqueue', v, key]];
const deq = (p: number, v: unknown, outcome: OpType = 'ok', key?: unknown): Row[] => [[p, 'invoke', 'dequeue', null, key], [p, outcome, 'dequeue', v, key]];

describe('queue and total-queue', () => {
  it('accept a history where everything enqueued comes out once; crashed enqueues that come out are recovered', async () => {
    const h = hist([
      ...enq(0, 1), // 0 1
      ...enq(1, 2, 'info'), // 2 3
      ...deq(0, 1), // 4 5
      ...deq(0, null, 'fail'), // 6 7: empty
      ...deq(0, null), // 8 9: empty
      [0, 'invoke', 'drain', null], [0, 'ok', 'drain', [2]], // 10 11
    ]);
    expect(await queue.check(h, {})).toEqual({
      valid: true, attemptCount: 2, failedEnqueueCount: 0, acknowledgedCount: 1, dequeueCount: 2, emptyDequeueCount: 1,
      unexpectedCount: 0, duplicatedCount: 0, earlyCount: 0, remainingCount: 0, unexpected: '#{}', duplicated: '#{}',
    });
    expect(await totalQueue.check(h, {})).toMatchObject({
      valid: true, okCount: 2, lostCount: 0, recoveredCount: 1, recovered: '#{2}', lost: '#{}', crashedDequeueCount: 0, crashedDrainCount: 0,
    });
  });

  it('an element no enqueue tried (or only a failed one) is unexpected', async () => {
    const h = hist([...enq(0, 5, 'fail'), ...deq(1, 9), ...deq(1, 5)]);
    for (const c of [queue, totalQueue]) {
      const r = await c.check(h, {});
      expect(r).toMatchObject({
        valid: false, attemptCount: 1, failedEnqueueCount: 1, unexpectedCount: 2, unexpected: '#{5 9}',
        unexpectedExamples: [{ element: 9, dequeues: [3] }, { element: 5, dequeues: [5] }],
      });
      expect(r.ops).toEqual([3, 5]);
      expect(r.explanation).toBe('The dequeue at index 3 took 9, which no enqueue tried — 2 unexpected dequeues.');
    }
  });

  it('an element dequeued more times than enqueued is duplicated; as many times is fine', async () => {
    const twice = [...enq(0, 1), ...enq(0, 1), ...deq(1, 1), ...deq(1, 1)];
    expect((await totalQueue.check(hist(twice), {})).valid).toBe(true);
    const h = hist([...twice, [2, 'invoke', 'drain', null], [2, 'ok', 'drain', [1]]]);
    const r = await queue.check(h, {});
    expect(r).toMatchObject({
      valid: false, duplicatedCount: 1, duplicated: '#{1}', earlyCount: 0,
      duplicatedExamples: [{ element: 1, enqueued: 2, dequeued: 3, enqueue: 0, dequeues: [5, 7, 9] }],
    });
    expect(r.ops).toEqual([0, 5, 7, 9]);
    expect(r.explanation).toBe('1 was dequeued 3 times (index 5, 7, 9) but enqueued twice (first at index 0) — 1 duplicate dequeue.');
  });

  it('a dequeue that completes before the enqueue is invoked came too early', async () => {
    const h = hist([...deq(1, 3), ...enq(0, 3)]);
    const r = await queue.check(h, {});
    expect(r).toMatchObject({ valid: false, earlyCount: 1, duplicatedCount: 0, unexpectedCount: 0, earlyExamples: [{ element: 3, dequeue: 1, enqueue: 2 }] });
    expect(r.ops).toEqual([1, 2]);
    expect(r.explanation).toBe('The dequeue at index 1 took 3 before its enqueue (index 2) was invoked — 1 dequeue before its enqueue.');
    // Concurrent with the enqueue is fine: the element is in the queue from the enqueue's invocation.
    const ok = hist([[0, 'invoke', 'enqueue', 3], ...deq(1, 3), [0, 'ok', 'enqueue', 3]]);
    expect((await totalQueue.check(ok, {})).valid).toBe(true);
  });

  it('total-queue: an acknowledged enqueue that never comes out is lost (queue does not mind)', async () => {
    const h = hist([...enq(0, 1), ...enq(0, 2), ...deq(1, 1), ...deq(1, null, 'fail')]);
    expect(await queue.check(h, {})).toMatchObject({ valid: true, remainingCount: 1 });
    const r = await totalQueue.check(h, {});
    expect(r).toMatchObject({ valid: false, lostCount: 1, lost: '#{2}', okCount: 1, lostExamples: [{ element: 2, enqueued: 1, dequeued: 0, enqueue: 3, dequeues: [] }] });
    expect(r.ops).toEqual([3]);
    expect(r.explanation).toBe('2 was enqueued ok at index 3 but never dequeued — 1 element lost.');
  });

  it('total-queue: lost elements a crashed dequeue or drain may have taken make the verdict unknown', async () => {
    const base = [...enq(0, 1), ...enq(0, 2)];
    const r = await totalQueue.check(hist([...base, ...deq(1, 1), ...deq(1, 2, 'info')]), {});
    expect(r).toMatchObject({ valid: 'unknown', lostCount: 1, crashedDequeueCount: 1 });
    expect(r.explanation).toBe(
      '2 was enqueued ok at index 3 but never dequeued — 1 element lost, but 1 dequeue or drain crashed (info or never completed) and may have taken what is missing.',
    );
    // One crashed dequeue cannot explain two lost elements…
    expect((await totalQueue.check(hist([...base, ...deq(1, null, 'info')]), {})).valid).toBe(false);
    // …but a crashed drain can.
    expect((await totalQueue.check(hist([...base, [1, 'invoke', 'drain', null]]), {})).valid).toBe('unknown');
  });

  it('keys are separate queues', async () => {
    const h = hist([...enq(0, 1, 'ok', 'a'), ...deq(1, 1, 'ok', 'b')]);
    const r = await totalQueue.check(h, {});
    expect(r).toMatchObject({ valid: false, unexpectedCount: 1, lostCount: 1, unexpectedExamples: [{ key: 'b', element: 1, dequeues: [3] }] });
    expect(r.explanation).toBe(
      'The dequeue at index 3 took 1 (key b), which no enqueue tried — 1 unexpected dequeue; 1 (key a) was enqueued ok at index 1 but never dequeued — 1 element lost.',
    );
  });

  it('rejects a drain whose value is not a list, and an enqueue without a value', async () => {
    await expect(queue.check(hist([[0, 'invoke', 'drain', null], [0, 'ok', 'drain', 4]]), {})).rejects.toThrow(
      'value: an ok drain must be the list of elements it took, got 4',
    );
    await expect(queue.check(hist([[0, 'invoke', 'enqueue', undefined]]), {})).rejects.toThrow(HistoryError);
  });
});
