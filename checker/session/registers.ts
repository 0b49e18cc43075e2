// A register history (`write` v, `cas` [from, to], `read` → v or null for the initial state) in
// typed arrays, shared by the session and staleness checkers: writes numbered in invocation order,
// ok reads in completion order, each read resolved to the write of its value. Values must be
// unique per key: a version is named by its value.
import { HistoryError, show } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { canonicalJson, valueKey } from '../linearizable/values.js';
import { showKey, showValue } from '../txn/anomalies.js';
import { Growable } from '../txn/vec.js';

/** A read's version: the initial (null) state. */
export const INITIAL = -1;
/** A read's version: a value no write (that did not fail) wrote. */
export const UNKNOWN = -2;
/** A write's completion position when it has no ok completion (info, or never completed). */
export const NEVER = 0x7fffffff;

/**
 * A register history in typed arrays. Writes are numbered in invocation order, ok reads in
 * completion order; positions are places in `h.ops` (history order is real-time order).
 */
export interface Registers {
  file: string;
  /** True when any client op carries a key (sentences then name it). */
  keyed: boolean;
  /** Key id → the key as written. */
  keys: unknown[];
  /** Process id → the process number. */
  processes: number[];
  writes: number;
  wKey: Int32Array;
  wProc: Int32Array;
  /** Position of the invocation, and of the ok completion (NEVER when info or open). */
  wInv: Int32Array;
  wComp: Int32Array;
  /** `index` of the op that shows the write: its completion, else its invocation. */
  wIndex: Float64Array;
  /** Times (ns) of the invocation and completion; NaN when absent. */
  wInvTime: Float64Array;
  wCompTime: Float64Array;
  wValue: unknown[];
  reads: number;
  rKey: Int32Array;
  rProc: Int32Array;
  rInv: Int32Array;
  rComp: Int32Array;
  /** Write id of the value read, INITIAL for null, UNKNOWN for a value no write wrote. */
  rVer: Int32Array;
  /** `index` of the read's completion (the op carrying the value read). */
  rIndex: Float64Array;
  rInvTime: Float64Array;
  rValue: unknown[];
  /** The node that served the read (completion's `node`, else the invocation's), when given. */
  rNode: (string | undefined)[];
  /** 1 when the read is marked `final`. */
  rFinal: Uint8Array;
  /** For an UNKNOWN read: `index` of a failed write of that value, or -1. */
  rFailedWrite: Float64Array;
  /** Client invocations that are neither reads nor writes (nor cas), left out. */
  ignored: number;
}

function fieldTime(op: Op | undefined): number {
  return op !== undefined && typeof op.time === 'number' ? op.time : NaN;
}

/** Interns keys: primitives by identity (so 1 and "1" differ), anything else by canonical JSON. */
class KeyInterner {
  readonly keys: unknown[] = [];
  private readonly prim = new Map<unknown, number>();
  private readonly obj = new Map<string, number>();
  id(k: unknown): number {
    if (k === null || typeof k !== 'object') {
      let id = this.prim.get(k);
      if (id === undefined) this.prim.set(k, (id = this.keys.push(k) - 1));
      return id;
    }
    const s = canonicalJson(k);
    let id = this.obj.get(s);
    if (id === undefined) this.obj.set(s, (id = this.keys.push(k) - 1));
    return id;
  }
}

const UNIQUE = 'session/staleness need unique written values per key';

/**
 * Reads a register history into typed arrays: writes (`write` v; `cas` [from, to] writes `to`
 * unless it failed or completed with `result: false`) and ok reads, values resolved to writes.
 * Throws HistoryError for a written value repeated on a key, or a write of null.
 */
export function prepareRegisters(h: History): Registers {
  const ops = h.ops;
  const pair = h.pair;
  const n = ops.length;
  const keys = new KeyInterner();
  const procIds = new Map<number, number>();
  const processes: number[] = [];
  const procId = (p: number): number => {
    let id = procIds.get(p);
    if (id === undefined) procIds.set(p, (id = processes.push(p) - 1));
    return id;
  };
  let keyed = false;
  // Per key: value → write id (writes that did not fail), and value → index of a failed write.
  const written: Map<number | string, number>[] = [];
  const failed: Map<number | string, number>[] = [];
  const wKey = new Growable(new Int32Array(1024));
  const wProc = new Growable(new Int32Array(1024));
  const wInv = new Growable(new Int32Array(1024));
  const wComp = new Growable(new Int32Array(1024));
  const wIndex = new Growable(new Float64Array(1024));
  const wInvTime = new Growable(new Float64Array(1024));
  const wCompTime = new Growable(new Float64Array(1024));
  const wValue: unknown[] = [];
  const rKey = new Growable(new Int32Array(1024));
  const rProc = new Growable(new Int32Array(1024));
  const rInv = new Growable(new Int32Array(1024));
  const rComp = new Growable(new Int32Array(1024));
  const rIndex = new Growable(new Float64Array(1024));
  const rInvTime = new Growable(new Float64Array(1024));
  const rFinal = new Growable(new Uint8Array(1024));
  const rValue: unknown[] = [];
  const rNode: (string | undefined)[] = [];
  let ignored = 0;
  const where = (pos: number): string => {
    const line = h.lineOf(pos);
    return line === undefined ? `index ${ops[pos].index}` : `line ${line} (index ${ops[pos].index})`;
  };

  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op.process === 'nemesis') continue;
    const f = op.f;
    if (op.type === 'invoke') {
      if (op.key !== undefined) keyed = true;
      if (f !== 'write' && f !== 'cas') {
        if (f !== 'read') ignored++;
        continue;
      }
      const c = pair[i];
      const done = c >= 0 ? ops[c] : undefined;
      let v = op.value;
      if (f === 'cas') {
        if (!Array.isArray(v) || v.length !== 2) {
          throw new HistoryError(h.file, h.lineOf(i), `value: a cas is [from, to], got ${show(v)}`);
        }
        if (done?.type === 'ok' && done.result === false) continue; // its condition did not hold: no write
        v = v[1];
      }
      const k = keys.id(op.key ?? done?.key);
      if (v === null || v === undefined) {
        throw new HistoryError(h.file, h.lineOf(i), `${UNIQUE}: a ${f} of null cannot be told from the initial (null) state`);
      }
      const vk = valueKey(v);
      if (done?.type === 'fail') {
        const m = (failed[k] ??= new Map());
        if (!m.has(vk)) m.set(vk, (done ?? op).index);
        continue;
      }
      const m = (written[k] ??= new Map());
      const prior = m.get(vk);
      if (prior !== undefined) {
        const keyPart = keyed || op.key !== undefined ? `key ${showKey(keys.keys[k])}: ` : '';
        throw new HistoryError(h.file, h.lineOf(i), `${UNIQUE}: ${keyPart}${showValue(v)} is written again (first written at ${where(wInv.data[prior])})`);
      }
      const id = wValue.length;
      m.set(vk, id);
      wKey.push(k);
      wProc.push(procId(op.process as number));
      wInv.push(i);
      wComp.push(done?.type === 'ok' ? c : NEVER);
      wIndex.push((done ?? op).index);
      wInvTime.push(fieldTime(op));
      wCompTime.push(done?.type === 'ok' ? fieldTime(done) : NaN);
      wValue.push(v);
    } else if (op.type === 'ok' && f === 'read') {
      const inv = pair[i];
      if (inv < 0) continue;
      const io = ops[inv];
      rKey.push(keys.id(io.key ?? op.key));
      rProc.push(procId(op.process as number));
      rInv.push(inv);
      rComp.push(i);
      rIndex.push(op.index);
      rInvTime.push(fieldTime(io));
      rFinal.push(op.final === true || io.final === true ? 1 : 0);
      rValue.push(op.value);
      rNode.push(typeof op.node === 'string' ? op.node : typeof io.node === 'string' ? io.node : undefined);
    }
  }

  const reads = rValue.length;
  const rk = rKey.finish();
  const rVer = new Int32Array(reads);
  const rFailedWrite = new Float64Array(reads).fill(-1);
  for (let r = 0; r < reads; r++) {
    const v = rValue[r];
    if (v === null || v === undefined) {
      rVer[r] = INITIAL;
      continue;
    }
    const vk = valueKey(v);
    const w = written[rk[r]]?.get(vk);
    if (w !== undefined) rVer[r] = w;
    else {
      rVer[r] = UNKNOWN;
      const fw = failed[rk[r]]?.get(vk);
      if (fw !== undefined) rFailedWrite[r] = fw;
    }
  }

  return {
    file: h.file,
    keyed,
    keys: keys.keys,
    processes,
    writes: wValue.length,
    wKey: wKey.finish(),
    wProc: wProc.finish(),
    wInv: wInv.finish(),
    wComp: wComp.finish(),
    wIndex: wIndex.finish(),
    wInvTime: wInvTime.finish(),
    wCompTime: wCompTime.finish(),
    wValue,
    reads,
    rKey: rk,
    rProc: rProc.finish(),
    rInv: rInv.finish(),
    rComp: rComp.finish(),
    rVer,
    rIndex: rIndex.finish(),
    rInvTime: rInvTime.finish(),
    rValue,
    rNode,
    rFinal: rFinal.finish(),
    rFailedWrite,
    ignored,
  };
}
