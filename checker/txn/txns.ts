// The transactions of a history in a compact form, built one op at a time so a history of
// millions of transactions is never held as op objects: one integer id per transaction (in the
// order they finish), its outcome, process, index, line and positions in typed arrays, and its
// micro-ops flattened into parallel arrays with interned keys. A workload analyser sees each
// transaction once, with its raw micro-ops, as it is finished.
import { HistoryError } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { ProcessPairing } from '../../histories/pairing.js';
import { show, valueKey } from '../linearizable/values.js';
import { Growable } from './vec.js';

export const OK = 0;
export const INFO = 1;
export const FAIL = 2;

/** Micro-op kinds: a write (append or w) and a read. */
export const WRITE = 1;
export const READ = 2;

export type Workload = 'list-append' | 'rw-register';

export const WRITE_NAME: Record<Workload, string> = { 'list-append': 'append', 'rw-register': 'w' };

export interface Txns {
  readonly workload: Workload;
  readonly file: string;
  readonly count: number;
  /** Ops seen, nemesis and non-txn ops included: positions run 0 … opCount-1. */
  readonly opCount: number;
  /** OK, INFO or FAIL. A transaction never completed counts as INFO. */
  readonly status: Uint8Array;
  /** Numeric process, or -1 for a non-numeric one. */
  readonly process: Int32Array;
  /** Positions of the invocation and of the completion (-1: none). */
  readonly invokeAt: Int32Array;
  readonly completeAt: Int32Array;
  /** `index` and source line of the op that shows the transaction: its completion, else its invocation. */
  readonly index: Float64Array;
  readonly line: Int32Array;
  /** `index` of the invocation (real-time evidence). */
  readonly invokeIndex: Float64Array;
  /** Micro-ops of transaction t are mopStart[t] .. mopStart[t+1]-1. */
  readonly mopStart: Int32Array;
  readonly mopKind: Uint8Array;
  readonly mopKey: Int32Array;
  /** The written value; for reads what the workload keeps (null until it does; see `readValue`). */
  readonly mopValue: unknown[];
  /** Key id → the key as written in the history. */
  readonly keys: unknown[];
  /** What read micro-op m returned (null when unknown), for evidence; set by the workload. */
  readValue: (m: number) => unknown;
}

/** What a workload does with each transaction as it is finished. */
export interface TxnSink {
  /**
   * Transaction `t` with its micro-ops at mopStart..mopEnd-1 of `txns`; `raw` are the micro-ops as
   * the op carried them (reads' values are only meaningful when ok). Returns nothing; keeps what it needs.
   */
  txn(txns: TxnsBuilder, t: number, raw: unknown[][]): void;
}

interface Pending {
  op: Op;
  position: number;
  line: number | undefined;
}

/** Collects transactions from ops fed in history order (validated ops: see normalizeOp). */
export class TxnsBuilder {
  private readonly pairing: ProcessPairing;
  private readonly pending = new Map<number, Pending>();
  private currentLine: number | undefined;
  private readonly writeName: string;
  private opCount = 0;
  count = 0;
  readonly status = new Growable(new Uint8Array(1024));
  readonly process = new Growable(new Int32Array(1024));
  readonly invokeAt = new Growable(new Int32Array(1024));
  readonly completeAt = new Growable(new Int32Array(1024));
  readonly index = new Growable(new Float64Array(1024));
  readonly invokeIndex = new Growable(new Float64Array(1024));
  readonly line = new Growable(new Int32Array(1024));
  readonly mopStart = new Growable(new Int32Array(1024));
  readonly mopKind = new Growable(new Uint8Array(4096));
  readonly mopKey = new Growable(new Int32Array(4096));
  readonly mopValue: unknown[] = [];
  readonly keys: unknown[] = [];
  private readonly numberKeys = new Map<number, number>();
  private readonly otherKeys = new Map<string | number, number>();

  constructor(
    readonly workload: Workload,
    readonly file: string,
    private readonly sink: TxnSink,
    trusted = false,
  ) {
    this.writeName = WRITE_NAME[workload];
    // The pairing asks for the line of the op being taken only (it keeps lines it needs later).
    this.pairing = new ProcessPairing(file, () => this.currentLine, trusted);
    this.mopStart.push(0);
  }

  /** The op at `position` (its source line, when known). */
  add(op: Op, position: number, line: number | undefined): void {
    this.opCount = position + 1;
    this.currentLine = line;
    const inv = this.pairing.take(op, position);
    if (op.process === 'nemesis' || op.f !== 'txn') return;
    if (op.type === 'invoke') {
      this.pending.set(op.process, { op, position, line });
      return;
    }
    const open = this.pending.get(op.process);
    if (open === undefined || open.position !== inv) return;
    this.pending.delete(op.process);
    this.finishTxn(open, op, position, line);
  }

  /** Client invocations seen (of any f). */
  get invocations(): number {
    return this.pairing.invocations;
  }

  /** Invocations never completed become info transactions; returns the transactions. */
  build(): Txns {
    const open = [...this.pending.values()].sort((a, b) => a.position - b.position);
    this.pending.clear();
    for (const p of open) this.finishTxn(p, undefined, -1, undefined);
    const self = this;
    return {
      workload: this.workload,
      file: this.file,
      count: this.count,
      opCount: this.opCount,
      status: this.status.finish(),
      process: this.process.finish(),
      invokeAt: this.invokeAt.finish(),
      completeAt: this.completeAt.finish(),
      index: this.index.finish(),
      invokeIndex: this.invokeIndex.finish(),
      line: this.line.finish(),
      mopStart: this.mopStart.finish(),
      mopKind: this.mopKind.finish(),
      mopKey: this.mopKey.finish(),
      mopValue: this.mopValue,
      keys: this.keys,
      readValue(m: number): unknown {
        return self.mopValue[m];
      },
    };
  }

  /** Error in the transaction's op, naming a field. */
  fail(line: number | undefined, field: string, reason: string): never {
    throw new HistoryError(this.file, line, `${field}: ${reason}`);
  }

  private keyId(k: unknown): number {
    if (typeof k === 'number') {
      let id = this.numberKeys.get(k);
      if (id === undefined) this.numberKeys.set(k, (id = this.keys.push(k) - 1));
      return id;
    }
    const vk = valueKey(k);
    let id = this.otherKeys.get(vk);
    if (id === undefined) this.otherKeys.set(vk, (id = this.keys.push(k) - 1));
    return id;
  }

  private finishTxn(inv: Pending, done: Op | undefined, donePosition: number, doneLine: number | undefined): void {
    const st = done === undefined || done.type === 'info' ? INFO : done.type === 'ok' ? OK : FAIL;
    const source = st === OK ? done! : inv.op;
    const line = st === OK ? doneLine : inv.line;
    const t = this.count;
    this.status.push(st);
    this.process.push(typeof inv.op.process === 'number' ? inv.op.process : -1);
    this.invokeAt.push(inv.position);
    this.completeAt.push(donePosition);
    this.index.push((done ?? inv.op).index);
    this.invokeIndex.push(inv.op.index);
    this.line.push((done !== undefined ? doneLine : inv.line) ?? 0);
    const value = source.value;
    const workload = this.workload;
    if (!Array.isArray(value)) this.fail(line, 'value', `a ${workload} transaction's value must be a list of micro-ops, got ${show(value)}`);
    for (let m = 0; m < value.length; m++) {
      const mop: unknown = value[m];
      if (!Array.isArray(mop) || mop.length !== 3) {
        this.fail(line, `value[${m}]`, `expected ["${this.writeName}", key, value] or ["r", key, ${workload === 'list-append' ? '[values] | null' : 'value | null'}], got ${show(mop)}`);
      }
      const f: unknown = mop[0];
      let kind: number;
      if (f === this.writeName) kind = WRITE;
      else if (f === 'r') kind = READ;
      else this.fail(line, `value[${m}][0]`, `a ${workload} micro-op is "${this.writeName}" or "r", got ${show(f)}`);
      let v: unknown = mop[2];
      if (kind === READ) {
        if (st !== OK) v = null;
        else if (workload === 'list-append' && v !== null && !Array.isArray(v)) {
          this.fail(line, `value[${m}][2]`, `a list-append read returns a list or null, got ${show(v)}`);
        }
      }
      this.mopKind.push(kind);
      this.mopKey.push(this.keyId(mop[1]));
      // A read's value is the workload's to keep (list-append keeps only a length).
      this.mopValue.push(kind === READ ? null : v);
    }
    this.mopStart.push(this.mopKind.length);
    this.count++;
    this.sink.txn(this, t, value as unknown[][]);
  }
}

/** Feeds a History (already paired and validated) through a builder. */
export function readTxns(history: History, workload: Workload, sink: TxnSink): Txns {
  const b = new TxnsBuilder(workload, history.file, sink, true);
  const ops = history.ops;
  for (let i = 0; i < ops.length; i++) b.add(ops[i], i, history.lineOf(i));
  return b.build();
}

/** The op-like record evidence shows for transaction t. */
export function txnRecord(txns: Txns, t: number): { index: number; process: number | string; type: string; value: unknown[] } {
  const value: unknown[] = [];
  const name = WRITE_NAME[txns.workload];
  for (let m = txns.mopStart[t]; m < txns.mopStart[t + 1]; m++) {
    const read = txns.mopKind[m] === READ;
    value.push([read ? 'r' : name, txns.keys[txns.mopKey[m]], read ? (txns.status[t] === OK ? txns.readValue(m) : null) : txns.mopValue[m]]);
  }
  const st = txns.status[t];
  return {
    index: txns.index[t],
    process: txns.process[t] >= 0 ? txns.process[t] : 'other',
    type: st === OK ? 'ok' : st === FAIL ? 'fail' : txns.completeAt[t] >= 0 ? 'info' : 'invoke',
    value,
  };
}
