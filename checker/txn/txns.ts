// The transactions of a history in a compact form: one integer id per transaction (in invocation
// order), its outcome, process and positions in typed arrays, and its micro-ops flattened into
// parallel arrays with interned keys. Both workloads (list-append, rw-register) analyse this.
import { HistoryError } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { show, valueKey } from '../linearizable/values.js';

export const OK = 0;
export const INFO = 1;
export const FAIL = 2;

/** Micro-op kinds: a write (append or w) and a read. */
export const WRITE = 1;
export const READ = 2;

export type Workload = 'list-append' | 'rw-register';

const WRITE_NAME: Record<Workload, string> = { 'list-append': 'append', 'rw-register': 'w' };

export interface Txns {
  readonly history: History;
  readonly workload: Workload;
  readonly count: number;
  /** OK, INFO or FAIL. A transaction never completed counts as INFO. */
  readonly status: Uint8Array;
  /** Numeric process, or -1 for a non-numeric one. */
  readonly process: Int32Array;
  /** Positions in the history of the invocation and of the completion (-1: none). */
  readonly invokeAt: Int32Array;
  readonly completeAt: Int32Array;
  /** Micro-ops of transaction t are mopStart[t] .. mopStart[t+1]-1. */
  readonly mopStart: Int32Array;
  readonly mopKind: Uint8Array;
  readonly mopKey: Int32Array;
  /** The written value, or what the read returned (null when unknown: invocations, info, fail). */
  readonly mopValue: unknown[];
  /** Key id → the key as written in the history. */
  readonly keys: unknown[];
}

/** The op that shows a transaction best: its completion, or its invocation when it never completed. */
export function txnOp(txns: Txns, t: number): Op {
  const at = txns.completeAt[t] >= 0 ? txns.completeAt[t] : txns.invokeAt[t];
  return txns.history.ops[at];
}

/** The `index` by which people find a transaction in the history file: its completion's, else its invocation's. */
export function txnIndex(txns: Txns, t: number): number {
  return txnOp(txns, t).index;
}

export function lineOfTxn(txns: Txns, t: number): number | undefined {
  const at = txns.completeAt[t] >= 0 ? txns.completeAt[t] : txns.invokeAt[t];
  return txns.history.lineOf(at);
}

class Growable {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Reads the `txn` ops of `history` (other client ops and nemesis ops are ignored). Micro-ops come
 * from the completion of an ok transaction and from the invocation otherwise (a failed or crashed
 * transaction's reads tell nothing). A malformed micro-op is an input error naming its line.
 */
export function readTxns(history: History, workload: Workload): Txns {
  const ops = history.ops;
  const writeName = WRITE_NAME[workload];
  const n = history.invocationCount;
  const status = new Uint8Array(n);
  const process = new Int32Array(n);
  const invokeAt = new Int32Array(n);
  const completeAt = new Int32Array(n);
  const mopStart = new Growable(n + 1);
  const mopKind: number[] = [];
  const mopKey = new Growable(n * 4);
  const mopValue: unknown[] = [];
  const keys: unknown[] = [];
  const numberKeys = new Map<number, number>();
  const otherKeys = new Map<string | number, number>();
  const keyId = (k: unknown): number => {
    if (typeof k === 'number') {
      let id = numberKeys.get(k);
      if (id === undefined) numberKeys.set(k, (id = keys.push(k) - 1));
      return id;
    }
    const vk = valueKey(k);
    let id = otherKeys.get(vk);
    if (id === undefined) otherKeys.set(vk, (id = keys.push(k) - 1));
    return id;
  };

  let t = 0;
  for (let i = 0; i < ops.length; i++) {
    const inv = ops[i];
    if (inv.type !== 'invoke' || inv.process === 'nemesis' || inv.f !== 'txn') continue;
    const c = history.pair[i];
    const done = c >= 0 ? ops[c] : undefined;
    const st = done === undefined || done.type === 'info' ? INFO : done.type === 'ok' ? OK : FAIL;
    const source = st === OK ? done! : inv;
    const at = st === OK ? c : i;
    status[t] = st;
    process[t] = typeof inv.process === 'number' ? inv.process : -1;
    invokeAt[t] = i;
    completeAt[t] = c;
    mopStart.push(mopKind.length);
    const value = source.value;
    if (!Array.isArray(value)) bad(history, at, 'value', `a ${workload} transaction's value must be a list of micro-ops, got ${show(value)}`);
    for (let m = 0; m < value.length; m++) {
      const mop = value[m];
      if (!Array.isArray(mop) || mop.length !== 3) {
        bad(history, at, `value[${m}]`, `expected ["${writeName}", key, value] or ["r", key, ${workload === 'list-append' ? '[values] | null' : 'value | null'}], got ${show(mop)}`);
      }
      const f = mop[0];
      let kind: number;
      if (f === writeName) kind = WRITE;
      else if (f === 'r') kind = READ;
      else bad(history, at, `value[${m}][0]`, `a ${workload} micro-op is "${writeName}" or "r", got ${show(f)}`);
      let v = mop[2];
      if (kind === READ) {
        if (st !== OK) v = null;
        else if (workload === 'list-append' && v !== null && !Array.isArray(v)) {
          bad(history, at, `value[${m}][2]`, `a list-append read returns a list or null, got ${show(v)}`);
        }
      }
      mopKind.push(kind);
      mopKey.push(keyId(mop[1]));
      mopValue.push(v);
    }
    t++;
  }
  mopStart.push(mopKind.length);
  return {
    history,
    workload,
    count: t,
    status: status.subarray(0, t),
    process: process.subarray(0, t),
    invokeAt: invokeAt.subarray(0, t),
    completeAt: completeAt.subarray(0, t),
    mopStart: mopStart.finish(),
    mopKind: Uint8Array.from(mopKind),
    mopKey: mopKey.finish(),
    mopValue,
    keys,
  };
}

function bad(history: History, position: number, field: string, reason: string): never {
  throw new HistoryError(history.file, history.lineOf(position), `${field}: ${reason}`);
}
