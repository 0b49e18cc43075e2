// Small transactional histories written by hand: each transaction as the micro-ops its completion
// shows; invocations get the same micro-ops with reads blanked to null.
import { History } from '../../histories/history.js';
import type { Op, OpType } from '../../histories/op.js';

export type Mop = [string, unknown, unknown];

export interface TxnSpec {
  /** Process (default: the transaction's position, so no two share one). */
  p?: number;
  type?: Exclude<OpType, 'invoke'>;
  mops: Mop[];
}

function invocationOf(mops: Mop[]): Mop[] {
  return mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]);
}

/**
 * Ops for `layout`: a sequence of steps, `+i` invokes transaction i and `-i` completes it (as
 * numbers: i+1 and -(i+1), so transaction 0 is 1 / -1).
 */
export function txnHistory(txns: TxnSpec[], layout: number[]): History {
  const ops: Op[] = [];
  for (const step of layout) {
    const i = Math.abs(step) - 1;
    const t = txns[i];
    const process = t.p ?? i;
    const type: OpType = step > 0 ? 'invoke' : (t.type ?? 'ok');
    const value = step > 0 || type !== 'ok' ? invocationOf(t.mops) : t.mops;
    ops.push({ index: ops.length, time: ops.length * 1000, type, process, f: 'txn', value });
  }
  return new History(ops);
}

/** Every transaction invoked before any completes: no real-time order between them. */
export function concurrent(...txns: TxnSpec[]): History {
  const layout = [...txns.map((_, i) => i + 1), ...txns.map((_, i) => -(i + 1))];
  return txnHistory(txns, layout);
}

/** Each transaction completes before the next is invoked. */
export function sequential(...txns: TxnSpec[]): History {
  return txnHistory(txns, txns.flatMap((_, i) => [i + 1, -(i + 1)]));
}

export const append = (k: unknown, v: unknown): Mop => ['append', k, v];
export const r = (k: unknown, v: unknown): Mop => ['r', k, v];
export const w = (k: unknown, v: unknown): Mop => ['w', k, v];
export const txn = (...mops: Mop[]): TxnSpec => ({ mops });
