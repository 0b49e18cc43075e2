// fast-check arbitraries for small transactional histories (list-append and rw-register) that are
// strict serializable by construction: random transactions run one at a time against an in-memory
// database, in a serial order, and are then laid out concurrently in time so that each one's
// serialization point lies between its invocation and its completion. Since a transaction that
// completes before another is invoked has the earlier serialization point, the serial order
// respects real time. Some transactions fail (no effect) and some crash (info: their effect is
// applied or not, at random; the thread goes on as a new process, process + 100).
//
// Besides the ops, a generated history carries what tests need to plant anomalies in it: every
// transaction's micro-ops as invoked and as completed, its outcome, whether it took effect, its
// times and its serialization point, and the serial order.
import fc from 'fast-check';
import type { Op } from '../../histories/op.js';

export type Workload = 'list-append' | 'rw-register';

/** A micro-op: ['append', k, v] | ['w', k, v] | ['r', k, value read (null in invocations)]. */
export type Mop = [f: 'append' | 'w' | 'r', key: number, value: unknown];

export type Outcome = 'ok' | 'fail' | 'info';

export interface GenTxn {
  /** Position in the serial order: txns[id] is this transaction. Planted transactions come after the generated ones. */
  id: number;
  /** The client thread that ran it (its process changes after a crash). */
  thread: number;
  process: number;
  outcome: Outcome;
  /** Whether its effects are in the database: every ok transaction, and the info ones that took effect. */
  applied: boolean;
  /** Whether its completion op is in the history (an info transaction may be left open). */
  completed: boolean;
  /** Micro-ops as invoked: reads carry null. */
  invoke: Mop[];
  /** Micro-ops of the completion: for ok, reads carry what they returned; for fail and info, as invoked. */
  complete: Mop[];
  invokeTime: number;
  completeTime: number;
  /** When it took effect (meaningful for applied transactions): invokeTime < point < completeTime. */
  point: number;
  /** Added by a planter rather than generated. */
  planted?: boolean;
}

export interface TxnHistory {
  workload: Workload;
  /** The keys in use. */
  keys: number[];
  /** Every transaction, in serial order (txns[i].id === i for generated ones). */
  txns: GenTxn[];
  /** Ids of the transactions that took effect, in the serial order. */
  serial: number[];
  /** The database after the serial execution: key → list (list-append) or value (rw-register). */
  state: Map<number, unknown>;
  /** The history: invocations and completions in time order, indexed from 0. */
  ops: Op[];
}

export interface TxnShape {
  keys: number;
  threads: number;
  /** list-append: a read of a key nobody appended to returns null or []. */
  emptyRead: 'null' | 'empty';
  txns: {
    thread: number;
    /** 0..13 ok, 14..16 fail, 17..19 info. */
    outcome: number;
    /** For info: whether it took effect. */
    applied: boolean;
    /** For info: 0 leaves it open (no completion op). */
    completes: number;
    mops: { read: boolean; key: number }[];
    /** Time jitter: how long before its serialization point it is invoked, and after it completes. */
    before: number;
    after: number;
  }[];
}

export interface TxnShapeOptions {
  minTxns?: number;
  maxTxns?: number;
  minKeys?: number;
  maxKeys?: number;
}

/** The random choices a history is built from (they shrink well). */
export const txnShape = (o: TxnShapeOptions = {}): fc.Arbitrary<TxnShape> =>
  fc.record({
    keys: fc.integer({ min: o.minKeys ?? 2, max: o.maxKeys ?? 4 }),
    threads: fc.integer({ min: 2, max: 4 }),
    emptyRead: fc.constantFrom('null' as const, 'empty' as const),
    txns: fc.array(
      fc.record({
        thread: fc.nat({ max: 3 }),
        outcome: fc.nat({ max: 19 }),
        applied: fc.boolean(),
        completes: fc.nat({ max: 3 }),
        mops: fc.array(fc.record({ read: fc.boolean(), key: fc.nat({ max: 3 }) }), { minLength: 1, maxLength: 4 }),
        before: fc.nat({ max: 98 }),
        after: fc.nat({ max: 98 }),
      }),
      { minLength: o.minTxns ?? 3, maxLength: o.maxTxns ?? 12 },
    ),
  });

/** Serialization point of the i-th transaction in serial order. */
const POINT0 = 1000;
const POINT_STEP = 100;

/** Builds the history a shape describes: serial execution first, then the concurrent layout. */
export function buildTxnHistory(workload: Workload, shape: TxnShape): TxnHistory {
  const keys = Array.from({ length: shape.keys }, (_, k) => k);
  const state = new Map<number, unknown>();
  const nextValue = new Map<number, number>();
  const fresh = (k: number): number => {
    const v = (nextValue.get(k) ?? 0) + 1;
    nextValue.set(k, v);
    return v;
  };
  const txns: GenTxn[] = [];
  const serial: number[] = [];
  const processOf = Array.from({ length: shape.threads }, (_, th) => th);

  shape.txns.forEach((s, id) => {
    const thread = s.thread % shape.threads;
    const outcome: Outcome = s.outcome < 14 ? 'ok' : s.outcome < 17 ? 'fail' : 'info';
    const applied = outcome === 'ok' || (outcome === 'info' && s.applied);
    const invoke: Mop[] = s.mops.map(({ read, key }) => {
      const k = key % shape.keys;
      if (read) return ['r', k, null];
      return [workload === 'list-append' ? 'append' : 'w', k, fresh(k)];
    });
    const complete: Mop[] = invoke.map((m) => [...m] as Mop);
    if (applied) {
      serial.push(id);
      for (const m of complete) {
        const [f, k, v] = m;
        if (f === 'append') state.set(k, [...((state.get(k) as number[] | undefined) ?? []), v]);
        else if (f === 'w') state.set(k, v);
        else if (outcome === 'ok') {
          const cur = state.get(k);
          m[2] = workload === 'list-append' ? (cur === undefined ? (shape.emptyRead === 'null' ? null : []) : [...(cur as number[])]) : cur ?? null;
        }
      }
    }
    const process = processOf[thread];
    if (outcome === 'info') processOf[thread] += 100;
    txns.push({
      id,
      thread,
      process,
      outcome,
      applied,
      completed: outcome !== 'info' || s.completes !== 0,
      invoke,
      complete,
      invokeTime: 0,
      completeTime: 0,
      point: POINT0 + POINT_STEP * id,
    });
  });

  // Times: each thread's transactions, in serial order, each around its serialization point,
  // one thread's never overlapping.
  for (let th = 0; th < shape.threads; th++) {
    const mine = txns.filter((t) => t.thread === th);
    mine.forEach((t, j) => {
      const s = shape.txns[t.id];
      const prev = j > 0 ? mine[j - 1] : undefined;
      if (prev === undefined) t.invokeTime = t.point - 1 - 3 * s.before;
      else t.invokeTime = prev.completeTime + 1 + (s.before % (t.point - prev.completeTime - 1));
      const next = j + 1 < mine.length ? mine[j + 1] : undefined;
      t.completeTime = next === undefined ? t.point + 1 + 3 * s.after : t.point + 1 + (s.after % (next.point - t.point - 2));
    });
  }
  return { workload, keys, txns, serial, state, ops: renderOps(txns) };
}

/** The history of some transactions: their invocations and completions in time order. */
export function renderOps(txns: readonly GenTxn[]): Op[] {
  const events: { time: number; seq: number; op: Op }[] = [];
  for (const t of txns) {
    const copy = (ms: Mop[]): Mop[] => ms.map((m) => [m[0], m[1], Array.isArray(m[2]) ? [...m[2]] : m[2]] as Mop);
    events.push({ time: t.invokeTime, seq: 2 * t.id, op: { index: 0, time: t.invokeTime, type: 'invoke', process: t.process, f: 'txn', value: copy(t.invoke) } });
    if (t.completed) {
      events.push({ time: t.completeTime, seq: 2 * t.id + 1, op: { index: 0, time: t.completeTime, type: t.outcome, process: t.process, f: 'txn', value: copy(t.complete) } });
    }
  }
  events.sort((a, b) => a.time - b.time || a.seq - b.seq);
  return events.map((e, index) => ({ ...e.op, index }));
}

/** A deep copy of a generated history, for a planter to change. */
export function cloneTxnHistory(h: TxnHistory): TxnHistory {
  return {
    workload: h.workload,
    keys: [...h.keys],
    txns: h.txns.map((t) => ({ ...t, invoke: copyMops(t.invoke), complete: copyMops(t.complete) })),
    serial: [...h.serial],
    state: new Map([...h.state].map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])),
    ops: h.ops,
  };
}

function copyMops(ms: Mop[]): Mop[] {
  return ms.map((m) => [m[0], m[1], Array.isArray(m[2]) ? [...m[2]] : m[2]] as Mop);
}

/** The same history with its ops rendered again from (changed) transactions. */
export function rerender(h: TxnHistory): TxnHistory {
  return { ...h, ops: renderOps(h.txns) };
}

/** Strict-serializable histories of the workload. */
export const txnHistory = (workload: Workload, o: TxnShapeOptions = {}): fc.Arbitrary<TxnHistory> =>
  txnShape(o).map((s) => buildTxnHistory(workload, s));
