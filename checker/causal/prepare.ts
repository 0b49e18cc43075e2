// A read/write history as the causal checker needs it: the ops that took part (ok writes, info or
// unfinished writes some read returned, ok reads), each with a dense id in history order, its
// process and rank in that process (program order), its key, and for a read the write it read from
// (read-from). Values must be unique per key (a "differentiated" history): that is what makes
// read-from a function, and what the bad-pattern characterization of the paper assumes.
import { HistoryError, show } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import type { Process } from '../../histories/op.js';
import { canonicalJson } from '../linearizable/values.js';

/** `rf` of a read of the initial value (it reads from no write). */
export const INIT = -1;
/** `rf` of a read of a value no write (that may have happened) wrote. */
export const THIN_AIR = -2;

export interface Prepared {
  /** Ops that take part, by dense id (ascending history position of their invocations). */
  n: number;
  /** `index` as evidence shows the op: its completion's, else its invocation's. */
  index: Float64Array;
  /** History position of the invocation (for lines). */
  position: Int32Array;
  /** Dense process id. */
  proc: Int32Array;
  /** 1-based rank of the op among its process's ops that take part (program order). */
  seq: Int32Array;
  isWrite: Uint8Array;
  key: Int32Array;
  /** For a read: the id of the write it read from, INIT or THIN_AIR; for a write: -1. */
  rf: Int32Array;
  /** The value written, or the value read (null for the initial value). */
  value: unknown[];
  /** The previous / next op of the same process, or -1. */
  poPrev: Int32Array;
  poNext: Int32Array;
  /** Readers of each write (CSR: readers of w are readerList[readerStart[w] .. readerStart[w+1])). */
  readerStart: Int32Array;
  readerList: Int32Array;
  /** Dense process id -> the process as the history names it. */
  processes: Process[];
  /** Dense key id -> the key (undefined: the single register of an unkeyed history). */
  keys: unknown[];
  /** For a thin-air read: the index of a failed write of that value, when there was one. */
  failedWriteOf: Map<number, number>;
  counts: {
    reads: number;
    writes: number;
    /** Reads whose outcome is unknown (info or never completed) or that failed: they say nothing. */
    readsIgnored: number;
    /** Writes that failed, and info/unfinished writes no read returned: left out. */
    writesIgnored: number;
    /** Info/unfinished writes some read returned: they happened. */
    infoWritesRead: number;
  };
}

function internKey(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return `s${v}`;
  return `j${canonicalJson(v)}`;
}

/** "key x", or "the register" for an unkeyed history. */
export function keyName(k: unknown): string {
  if (k === undefined) return 'the register';
  return `key ${typeof k === 'string' ? k : canonicalJson(k)}`;
}

export function prepare(h: History): Prepared {
  const ops = h.ops;
  const file = h.file;
  const where = (pos: number): string => {
    const line = h.lineOf(pos);
    return line === undefined ? `index ${ops[pos].index}` : `line ${line}`;
  };
  const fail = (pos: number, reason: string): never => {
    throw new HistoryError(file, h.lineOf(pos), reason);
  };

  // Candidates (reads and writes), in history order of invocation; at most one per op.
  const cap = ops.length;
  const cPos = new Int32Array(cap);
  const cIndex = new Float64Array(cap);
  const cWrite = new Uint8Array(cap);
  const cKey = new Int32Array(cap);
  const cValue: unknown[] = [];
  const cKeep = new Uint8Array(cap); // 1 = takes part, 0 = only if read (info/open write)
  const cRf = new Int32Array(cap);
  let cn = 0;
  const keyIds = new Map<number | string, number>();
  const keys: unknown[] = [];
  // Per key: value -> candidate, numbers and other values apart (monomorphic maps).
  const writerNum: Map<number, number>[] = [];
  const writerOther: Map<string, number>[] = [];
  const failedOf: Map<number | string, number>[] = []; // per key: value -> index of a failed write
  const findWriter = (k: number, v: unknown): number | undefined =>
    typeof v === 'number' ? writerNum[k].get(v) : writerOther[k].get(internKey(v) as string);
  const counts = { reads: 0, writes: 0, readsIgnored: 0, writesIgnored: 0, infoWritesRead: 0 };

  let lastKey: unknown = NaN;
  let lastKeyId = -1;
  const keyId = (k: unknown): number => {
    if (k === lastKey) return lastKeyId;
    const ik = k === undefined ? 'u' : internKey(k);
    let id = keyIds.get(ik);
    if (id === undefined) {
      id = keys.length;
      keyIds.set(ik, id);
      keys.push(k);
      writerNum.push(new Map());
      writerOther.push(new Map());
      failedOf.push(new Map());
    }
    if (typeof k !== 'object') {
      lastKey = k;
      lastKeyId = id;
    }
    return id;
  };

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis') continue;
    const done = h.completion(i);
    const outcome = done ? done.type : 'open';
    if (op.f === 'write') {
      const v = op.value;
      if (v === null || v === undefined) fail(i, 'value: causal needs a written value; null stands for the initial value of a register');
      const k = keyId(op.key);
      if (outcome === 'fail') {
        failedOf[k].set(internKey(v), (done ?? op).index);
        counts.writesIgnored++;
        continue;
      }
      const prior = findWriter(k, v);
      if (prior !== undefined) {
        fail(i, `causal needs unique written values per key: ${show(v)} is written to ${keyName(op.key)} at ${where(cPos[prior])} and again here`);
      }
      if (typeof v === 'number') writerNum[k].set(v, cn);
      else writerOther[k].set(internKey(v) as string, cn);
      cPos[cn] = i;
      cIndex[cn] = (done ?? op).index;
      cWrite[cn] = 1;
      cKey[cn] = k;
      cValue.push(v);
      cKeep[cn] = outcome === 'ok' ? 1 : 0;
      cRf[cn] = -1;
      cn++;
    } else if (op.f === 'read') {
      if (outcome !== 'ok') {
        counts.readsIgnored++;
        continue;
      }
      const v = done!.value;
      if (v === undefined) fail(h.pair[i], 'value: an ok read needs the value it returned (null for the initial value)');
      cPos[cn] = i;
      cIndex[cn] = done!.index;
      cWrite[cn] = 0;
      cKey[cn] = keyId(op.key);
      cValue.push(v);
      cKeep[cn] = 1;
      cRf[cn] = INIT;
      cn++;
    } else {
      fail(i, `f: the causal checker takes reads and writes of registers; "${op.f}" is neither (f must be "read" or "write")`);
    }
  }

  // Read-from: a read of v returned the one write of v to its key.
  const failedWriteOfCandidate = new Map<number, number>();
  for (let c = 0; c < cn; c++) {
    if (cWrite[c] || cValue[c] === null) continue;
    const w = findWriter(cKey[c], cValue[c]);
    if (w === undefined) {
      cRf[c] = THIN_AIR;
      const f = failedOf[cKey[c]].get(internKey(cValue[c]));
      if (f !== undefined) failedWriteOfCandidate.set(c, f);
    } else {
      cRf[c] = w;
      if (!cKeep[w]) {
        cKeep[w] = 1;
        counts.infoWritesRead++;
      }
    }
  }

  // Dense ids for the ops that take part, in history order.
  const idOf = new Int32Array(cn).fill(-1);
  let n = 0;
  for (let c = 0; c < cn; c++) {
    if (cKeep[c]) idOf[c] = n++;
    else counts.writesIgnored++;
  }
  const index = new Float64Array(n);
  const position = new Int32Array(n);
  const proc = new Int32Array(n);
  const seq = new Int32Array(n);
  const isWrite = new Uint8Array(n);
  const key = new Int32Array(n);
  const rf = new Int32Array(n);
  const value: unknown[] = new Array(n);
  const poPrev = new Int32Array(n).fill(-1);
  const poNext = new Int32Array(n).fill(-1);
  const procIds = new Map<Process, number>();
  const processes: Process[] = [];
  const lastOf: number[] = [];
  const failedWriteOf = new Map<number, number>();
  const readerCount = new Int32Array(n + 1);
  for (let c = 0; c < cn; c++) {
    const id = idOf[c];
    if (id < 0) continue;
    const pos = cPos[c];
    const p = ops[pos].process;
    let pid = procIds.get(p);
    if (pid === undefined) {
      pid = processes.length;
      procIds.set(p, pid);
      processes.push(p);
      lastOf.push(-1);
    }
    index[id] = cIndex[c];
    position[id] = pos;
    proc[id] = pid;
    const prev = lastOf[pid];
    seq[id] = prev < 0 ? 1 : seq[prev] + 1;
    if (prev >= 0) {
      poPrev[id] = prev;
      poNext[prev] = id;
    }
    lastOf[pid] = id;
    isWrite[id] = cWrite[c];
    key[id] = cKey[c];
    value[id] = cValue[c];
    if (cWrite[c]) {
      rf[id] = -1;
      counts.writes++;
    } else {
      counts.reads++;
      const src = cRf[c];
      rf[id] = src >= 0 ? idOf[src] : src;
      if (src >= 0) readerCount[idOf[src]]++;
      const f = failedWriteOfCandidate.get(c);
      if (f !== undefined) failedWriteOf.set(id, f);
    }
  }
  const readerStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) readerStart[i + 1] = readerStart[i] + readerCount[i];
  const fill = readerStart.slice(0, n);
  const readerList = new Int32Array(readerStart[n]);
  for (let r = 0; r < n; r++) if (!isWrite[r] && rf[r] >= 0) readerList[fill[rf[r]]++] = r;

  return {
    n, index, position, proc, seq, isWrite, key, rf, value, poPrev, poNext, readerStart, readerList,
    processes, keys, failedWriteOf, counts,
  };
}
