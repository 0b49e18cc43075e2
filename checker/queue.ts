// Jepsen's queue checkers over `enqueue` ops (value: one element), `dequeue` ops (ok value: the
// element taken; null, or a fail, means the queue was empty) and an optional `drain` (ok value: the
// list of elements taken, each counted as a dequeue at the drain's completion).
//
// queue (Jepsen's basic queue, unordered): walks the history in order, putting an element in the
// queue at its enqueue's invocation (unless the enqueue failed: then it never happened) and taking
// it out at an ok dequeue. Every element taken must be in the queue: one no enqueue ever tried is
// unexpected; one taken more times than it was enqueued is duplicated; one taken before any of its
// enqueues was invoked came too early. Valid iff none of these.
//
// total-queue (Jepsen's total-queue): the same, and what goes in must come out: every acknowledged
// enqueue must be matched by a dequeue (or a drain). Counts as Jepsen's multisets do, element by
// element: ok = min(dequeued, attempted); unexpected = dequeued, never attempted; duplicated =
// dequeued beyond attempted; lost = acknowledged beyond dequeued; recovered = ok beyond
// acknowledged (elements of crashed enqueues that came out). Lost elements make it invalid, except
// when dequeues or drains that crashed (info, or never completed) could have taken them: then the
// verdict is unknown.
//
// Keyed histories: each key is its own queue.
import { HistoryError, show } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { IntVec } from './txn/vec.js';
import { capitalize, elementRecord, ElementIndex, intervalString, keyOfOp, plural, showElement } from './set.js';
import type { Checker, CheckContext, Result } from './types.js';
import { nothingToCheck } from './relevant.js';

const MAX_EXAMPLES = 8;

export interface QueueAnalysis {
  index: ElementIndex;
  /** Per element: enqueue invocations that did not fail; ok enqueues; times taken out. */
  attempts: Int32Array;
  acknowledged: Int32Array;
  dequeued: Int32Array;
  /** Per element: first non-failed enqueue invocation, first ok enqueue (positions, -1: none). */
  firstEnqueue: Int32Array;
  firstAck: Int32Array;
  /** Every element taken out, in order: the position of the dequeue (or drain) and the element. */
  takenAt: Int32Array;
  takenElement: Int32Array;
  /** Takes that found the element not in the queue (positions in takenAt). */
  unmatched: Int32Array;
  attemptCount: number;
  failedEnqueues: number;
  emptyDequeues: number;
  /** Dequeues and drains whose outcome is unknown (info, or never completed). */
  crashedDequeues: number;
  crashedDrains: number;
  remaining: number;
}

export function analyzeQueue(h: History, file = h.file): QueueAnalysis {
  const ops = h.ops;
  const pair = h.pair;
  const n = ops.length;
  const index = new ElementIndex();
  let attempts = new Int32Array(1024);
  let acknowledged = new Int32Array(1024);
  let dequeued = new Int32Array(1024);
  let available = new Int32Array(1024);
  let firstEnqueue = new Int32Array(1024).fill(-1);
  let firstAck = new Int32Array(1024).fill(-1);
  const takenAt = new IntVec();
  const takenElement = new IntVec();
  const unmatched = new IntVec();
  let attemptCount = 0;
  let failedEnqueues = 0;
  let emptyDequeues = 0;
  let crashedDequeues = 0;
  let crashedDrains = 0;

  const element = (position: number, value: unknown): number => {
    const e = index.id(index.keyId(keyOfOp(h, position)), value, true);
    if (e >= attempts.length) {
      attempts = grow(attempts, 0);
      acknowledged = grow(acknowledged, 0);
      dequeued = grow(dequeued, 0);
      available = grow(available, 0);
      firstEnqueue = grow(firstEnqueue, -1);
      firstAck = grow(firstAck, -1);
    }
    return e;
  };
  const take = (position: number, value: unknown) => {
    const e = element(position, value);
    dequeued[e]++;
    takenAt.push(position);
    takenElement.push(e);
    if (available[e] > 0) available[e]--;
    else unmatched.push(takenAt.length - 1);
  };

  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op.process === 'nemesis') continue;
    const f = op.f;
    if (f === 'enqueue') {
      if (op.type === 'invoke') {
        attemptCount++;
        if (op.value === undefined) throw new HistoryError(file, h.lineOf(i), 'value: an enqueue must carry the element it enqueues');
        const done = pair[i];
        if (done >= 0 && ops[done].type === 'fail') {
          failedEnqueues++;
          continue;
        }
        const e = element(i, op.value);
        attempts[e]++;
        available[e]++;
        if (firstEnqueue[e] < 0) firstEnqueue[e] = i;
      } else if (op.type === 'ok') {
        const inv = pair[i];
        if (inv < 0) continue;
        const e = element(inv, ops[inv].value);
        acknowledged[e]++;
        if (firstAck[e] < 0) firstAck[e] = i;
      }
    } else if (f === 'dequeue') {
      if (op.type === 'invoke') {
        const done = pair[i];
        if (done < 0 || ops[done].type === 'info') crashedDequeues++;
      } else if (op.type === 'ok') {
        if (op.value === null || op.value === undefined) emptyDequeues++;
        else take(i, op.value);
      }
    } else if (f === 'drain') {
      if (op.type === 'invoke') {
        const done = pair[i];
        if (done < 0 || ops[done].type === 'info') crashedDrains++;
      } else if (op.type === 'ok') {
        const v = op.value;
        if (!Array.isArray(v)) throw new HistoryError(file, h.lineOf(i), `value: an ok drain must be the list of elements it took, got ${show(v)}`);
        for (const x of v) take(i, x);
      }
    }
  }
  const E = index.size;
  let remaining = 0;
  for (let e = 0; e < E; e++) remaining += available[e];
  return {
    index,
    attempts: attempts.subarray(0, E),
    acknowledged: acknowledged.subarray(0, E),
    dequeued: dequeued.subarray(0, E),
    firstEnqueue: firstEnqueue.subarray(0, E),
    firstAck: firstAck.subarray(0, E),
    takenAt: takenAt.view(),
    takenElement: takenElement.view(),
    unmatched: unmatched.view(),
    attemptCount,
    failedEnqueues,
    emptyDequeues,
    crashedDequeues,
    crashedDrains,
    remaining,
  };
}

function grow(a: Int32Array<ArrayBuffer>, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2).fill(fill);
  b.set(a);
  return b;
}

interface Finding {
  sentence: string;
  ops: number[];
}

/** The queue checks (and, with `total`, the total-queue ones) as one result. */
export function queueResult(h: History, a: QueueAnalysis, total: boolean): Result {
  const ops = h.ops;
  const { index, attempts, acknowledged, dequeued } = a;
  const E = index.size;
  const idx = (p: number) => (p < 0 ? null : ops[p].index);
  const takesOf = (e: number, limit = 4): number[] => {
    const out: number[] = [];
    for (let t = 0; t < a.takenAt.length && out.length < limit; t++) if (a.takenElement[t] === e) out.push(ops[a.takenAt[t]].index);
    return out;
  };

  // Unmatched takes: never attempted → unexpected; the last (dequeued - attempted) of an element's
  // unmatched takes → duplicated; the rest came before their enqueue.
  const unmatchedLeft = new Int32Array(E);
  for (let e = 0; e < E; e++) unmatchedLeft[e] = attempts[e] > 0 ? Math.max(0, dequeued[e] - attempts[e]) : 0;
  const early: { e: number; take: number }[] = [];
  let earlyCount = 0;
  for (let u = a.unmatched.length - 1; u >= 0; u--) {
    const t = a.unmatched[u];
    const e = a.takenElement[t];
    if (attempts[e] === 0) continue;
    if (unmatchedLeft[e] > 0) {
      unmatchedLeft[e]--;
      continue;
    }
    earlyCount++;
    early.push({ e, take: a.takenAt[t] });
  }
  early.reverse();

  let unexpected = 0;
  let duplicated = 0;
  let lost = 0;
  let recovered = 0;
  let ok = 0;
  let acked = 0;
  let taken = 0;
  const lists = { unexpected: [] as unknown[], duplicated: [] as unknown[], lost: [] as unknown[], recovered: [] as unknown[] };
  const ids = { unexpected: [] as number[], duplicated: [] as number[], lost: [] as number[] };
  for (let e = 0; e < E; e++) {
    const d = dequeued[e];
    const at = attempts[e];
    const ack = acknowledged[e];
    acked += ack;
    taken += d;
    const okE = Math.min(d, at);
    ok += okE;
    const v = index.values[e];
    if (at === 0 && d > 0) {
      unexpected += d;
      lists.unexpected.push(v);
      ids.unexpected.push(e);
    }
    if (at > 0 && d > at) {
      duplicated += d - at;
      lists.duplicated.push(v);
      ids.duplicated.push(e);
    }
    if (ack > d) {
      lost += ack - d;
      lists.lost.push(v);
      ids.lost.push(e);
    }
    if (okE > ack) {
      recovered += okE - ack;
      lists.recovered.push(v);
    }
  }

  const unexpectedExamples = ids.unexpected.slice(0, MAX_EXAMPLES).map((e) => ({ ...elementRecord(index, e), dequeues: takesOf(e) }));
  const duplicatedExamples = ids.duplicated.slice(0, MAX_EXAMPLES).map((e) => ({
    ...elementRecord(index, e),
    enqueued: attempts[e],
    dequeued: dequeued[e],
    enqueue: idx(a.firstEnqueue[e]),
    dequeues: takesOf(e),
  }));
  const earlyExamples = early.slice(0, MAX_EXAMPLES).map(({ e, take }) => ({ ...elementRecord(index, e), dequeue: ops[take].index, enqueue: idx(a.firstEnqueue[e]) }));
  const lostExamples = ids.lost.slice(0, MAX_EXAMPLES).map((e) => ({
    ...elementRecord(index, e),
    enqueued: acknowledged[e],
    dequeued: dequeued[e],
    enqueue: idx(a.firstAck[e]),
    dequeues: takesOf(e),
  }));

  const details: Record<string, unknown> = {
    attemptCount: a.attemptCount,
    failedEnqueueCount: a.failedEnqueues,
    acknowledgedCount: acked,
    dequeueCount: taken,
    emptyDequeueCount: a.emptyDequeues,
    unexpectedCount: unexpected,
    duplicatedCount: duplicated,
    earlyCount,
    ...(total
      ? { okCount: ok, lostCount: lost, recoveredCount: recovered, crashedDequeueCount: a.crashedDequeues, crashedDrainCount: a.crashedDrains }
      : { remainingCount: a.remaining }),
    unexpected: intervalString(lists.unexpected),
    duplicated: intervalString(lists.duplicated),
    ...(total ? { lost: intervalString(lists.lost), recovered: intervalString(lists.recovered) } : {}),
    ...(unexpectedExamples.length ? { unexpectedExamples } : {}),
    ...(duplicatedExamples.length ? { duplicatedExamples } : {}),
    ...(earlyExamples.length ? { earlyExamples } : {}),
    ...(total && lostExamples.length ? { lostExamples } : {}),
  };

  const findings: Finding[] = [];
  if (unexpectedExamples.length) {
    const x = unexpectedExamples[0];
    findings.push({
      sentence: `the dequeue at index ${x.dequeues[0]} took ${showElement(index, ids.unexpected[0])}, which no enqueue tried — ${plural(unexpected, 'unexpected dequeue')}`,
      ops: unexpectedExamples.flatMap((u) => u.dequeues),
    });
  }
  if (duplicatedExamples.length) {
    const x = duplicatedExamples[0];
    findings.push({
      sentence:
        `${showElement(index, ids.duplicated[0])} was dequeued ${times(x.dequeued)} (index ${x.dequeues.join(', ')}) but enqueued ${times(x.enqueued)}` +
        ` (first at index ${x.enqueue}) — ${plural(duplicated, 'duplicate dequeue')}`,
      ops: duplicatedExamples.flatMap((d) => [d.enqueue as number, ...d.dequeues]),
    });
  }
  if (earlyExamples.length) {
    const x = earlyExamples[0];
    findings.push({
      sentence:
        `the dequeue at index ${x.dequeue} took ${showElement(index, early[0].e)} before its enqueue (index ${x.enqueue}) was invoked` +
        ` — ${plural(earlyCount, 'dequeue')} before ${earlyCount === 1 ? 'its' : 'their'} enqueue`,
      ops: earlyExamples.flatMap((x) => [x.dequeue, x.enqueue as number]),
    });
  }
  const lostFinding: Finding | undefined = total && lostExamples.length
    ? {
        sentence:
          `${showElement(index, ids.lost[0])} was enqueued ok at index ${lostExamples[0].enqueue} but ` +
          (lostExamples[0].dequeued === 0 ? 'never dequeued' : `dequeued only ${times(lostExamples[0].dequeued)} of ${times(lostExamples[0].enqueued)}`) +
          ` — ${plural(lost, 'element')} lost`,
        ops: lostExamples.flatMap((l) => [l.enqueue as number, ...l.dequeues]),
      }
    : undefined;
  const crashed = a.crashedDequeues + a.crashedDrains;
  const lostExplained = lostFinding !== undefined && (a.crashedDrains > 0 || lost <= a.crashedDequeues);
  if (lostFinding && !lostExplained) findings.push(lostFinding);

  if (findings.length) {
    return {
      valid: false,
      explanation: `${capitalize(findings.map((f) => f.sentence).join('; '))}.`,
      ops: [...new Set(findings.flatMap((f) => f.ops).filter((x) => x !== null))].sort((x, y) => x - y),
      ...details,
    };
  }
  if (lostFinding) {
    return {
      valid: 'unknown',
      reason: 'inconclusive',
      explanation:
        `${capitalize(lostFinding.sentence)}, but ${plural(crashed, 'dequeue or drain', 'dequeues or drains')} crashed (info or never completed)` +
        ' and may have taken what is missing.',
      ops: lostFinding.ops,
      ...details,
    };
  }
  return { valid: true, ...details };
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

export const queue: Checker = {
  name: 'queue',
  description: "Jepsen's unordered queue: every element dequeued was enqueued first, and no more times than it was enqueued",
  async check(h: History, ctx: CheckContext): Promise<Result> {
    return nothingToCheck(h, 'queue', ['enqueue', 'dequeue', 'drain']) ?? queueResult(h, analyzeQueue(h, ctx.file ?? h.file), false);
  },
};

export const totalQueue: Checker = {
  name: 'total-queue',
  description: "Jepsen's total queue: as queue, and every acknowledged enqueue comes out (dequeued or drained) exactly once",
  async check(h: History, ctx: CheckContext): Promise<Result> {
    return nothingToCheck(h, 'total-queue', ['enqueue', 'dequeue', 'drain']) ?? queueResult(h, analyzeQueue(h, ctx.file ?? h.file), true);
  },
};
