// Read-write registers (Elle): writes are unique per key, so a read names the write it observed.
// Unlike list-append a read does not reveal the order of versions, which is inferred: the initial
// nil comes first, a transaction's write follows what it read of the same key, and — when the user
// asserts them — each process sees a key's versions in order (--sequential-keys) or real time
// orders them (--linearizable-keys).
import { valueKey } from '../linearizable/values.js';
import { Anomalies, describeTxn, showKey, showValue, txnEvidence } from './anomalies.js';
import type { EdgeExplainer } from './explain.js';
import { buildGraph, EdgeList, RW, stronglyConnected, WR, WW, type Graph } from './graph.js';
import { groupByKey, IntVec } from './vec.js';
import { eventsByPosition } from './order.js';
import { FAIL, OK, READ, WRITE, type Txns, type TxnsBuilder, type TxnSink } from './txns.js';

export interface RwRegisterOptions {
  sequentialKeys?: boolean;
  linearizableKeys?: boolean;
}

// Why one version follows another (bits, so they can be edge types of a version graph).
const BY_INIT = 1;
const BY_TXN = 2;
const BY_PROCESS = 4;
const BY_REALTIME = 8;
/** Implied by a path through values nobody wrote (their versions have no writer to carry ww/rw edges). */
const BY_GARBAGE = 16;
const ANY_REASON = BY_INIT | BY_TXN | BY_PROCESS | BY_REALTIME;
/** Bypass edges added through unwritten values at most this many times the version edges (a bound, not a verdict). */
const BYPASS_BUDGET_FACTOR = 8;

const NIL = Symbol('nil');

function idOf(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? valueKey(v) : v;
}

/**
 * Sees each transaction as it is finished: records writes and each (transaction, key) access,
 * checks reads against the transaction's own earlier micro-ops. `finish` infers version orders.
 */
export class RwRegisterAnalysis implements TxnSink {
  private readonly writeTxn = new IntVec();
  private readonly writeKey = new IntVec();
  private readonly writeValue: unknown[] = [];
  private readonly writeFinal = new IntVec();
  private readonly writeOf: Map<unknown, number>[] = [];
  // Accesses: one per (transaction, key): what it first read (NIL for nil, undefined when it
  // wrote first) and its final write (-1: none).
  private readonly accTxn = new IntVec();
  private readonly accKey = new IntVec();
  private readonly accRead: unknown[] = [];
  private readonly accWrite = new IntVec();
  /** Reads that were not a transaction's first access to their key. */
  private readonly laterReadTxn = new IntVec();
  private readonly laterReadMop = new IntVec();
  private readonly localKey: number[] = [];
  private readonly localAcc: number[] = [];
  private readonly localLast: unknown[] = [];
  /** Per key slot, what the transaction's reads of the key returned (value id, micro-op), for future reads. */
  private readonly localReads: unknown[][] = [];

  constructor(
    private readonly anomalies: Anomalies,
    private readonly options: RwRegisterOptions,
  ) {}

  txn(b: TxnsBuilder, t: number, raw: unknown[][]): void {
    const mopStart = b.mopStart.data;
    const mopKind = b.mopKind.data;
    const mopKey = b.mopKey.data;
    const mopValue = b.mopValue;
    const anomalies = this.anomalies;
    const { writeTxn, writeKey, writeValue, writeFinal, writeOf, accTxn, accKey, accRead, accWrite, localKey, localAcc, localLast, localReads } = this;
    const st = b.status.data[t];
    localKey.length = 0;
    localAcc.length = 0;
    let futureRead = false;
    for (let m = mopStart[t]; m < mopStart[t + 1]; m++) {
      while (writeOf.length <= mopKey[m]) writeOf.push(new Map());
      const k = mopKey[m];
      const v = raw[m - mopStart[t]][2];
      let j = localKey.indexOf(k);
      if (mopKind[m] === WRITE) {
        const id = idOf(v);
        const prior = writeOf[k].get(id);
        if (prior !== undefined) {
          b.fail(b.line.data[t], `value[${m - mopStart[t]}]`, `rw-register needs every written value unique per key: ${showValue(v)} is written to key ${showKey(b.keys[k])} again (first by the transaction at index ${b.index.data[writeTxn.data[prior]]})`);
        }
        const w = writeTxn.length;
        writeTxn.push(t);
        writeKey.push(k);
        writeValue.push(v);
        writeFinal.push(1);
        writeOf[k].set(id, w);
        if (j < 0) {
          j = localKey.push(k) - 1;
          localAcc[j] = accTxn.length;
          accTxn.push(t);
          accKey.push(k);
          accRead.push(undefined);
          accWrite.push(w);
          startList(localReads, j);
        } else {
          const acc = localAcc[j];
          if (accWrite.data[acc] >= 0) writeFinal.data[accWrite.data[acc]] = 0;
          accWrite.data[acc] = w;
          // A read earlier in this transaction (its first access or a later one) that returned
          // what it writes only now read the future: once per transaction, as list-append does.
          if (!futureRead) {
            const rs = localReads[j];
            for (let x = 0; x < rs.length; x += 3) {
              if (rs[x] !== id) continue;
              futureRead = true;
              anomalies.add({
                type: 'future-read',
                sentence: `the transaction at index ${b.index.data[t]}${b.process.data[t] >= 0 ? ` (process ${b.process.data[t]})` : ''} read key ${showKey(b.keys[k])} = ${showValue(rs[x + 1])} in micro-op ${rs[x + 2] as number}, a value it writes only later (micro-op ${m - mopStart[t]})`,
                ops: [b.index.data[t]],
                key: b.keys[k],
                value: rs[x + 1],
                mop: rs[x + 2] as number,
                txnIndex: b.index.data[t],
              });
              break;
            }
          }
        }
        localLast[j] = v;
        continue;
      }
      if (st !== OK) continue;
      mopValue[m] = v;
      if (j < 0) {
        j = localKey.push(k) - 1;
        localAcc[j] = accTxn.length;
        accTxn.push(t);
        accKey.push(k);
        accRead.push(v === null ? NIL : v);
        accWrite.push(-1);
        localLast[j] = v;
        if (v !== null) startList(localReads, j).push(idOf(v), v, m - mopStart[t]);
        else startList(localReads, j);
        continue;
      }
      if (v !== null) localReads[j].push(idOf(v), v, m - mopStart[t]);
      this.laterReadTxn.push(t);
      this.laterReadMop.push(m);
      const expected = localLast[j];
      if (!(expected === v || (typeof v === 'object' && v !== null && valueKey(v) === valueKey(expected)))) {
        const wrote = accWrite.data[localAcc[j]] >= 0;
        anomalies.add({
          type: 'internal',
          sentence: `the transaction at index ${b.index.data[t]} read key ${showKey(b.keys[k])} = ${showValue(v)} in micro-op ${m - mopStart[t]}, but it had ${wrote ? 'written' : 'read'} ${showValue(expected)} there earlier in the same transaction`,
          ops: [b.index.data[t]],
          key: b.keys[k],
          mop: m - mopStart[t],
          txnIndex: b.index.data[t],
        });
      }
      localLast[j] = v;
    }
  }

  finish(txns: Txns, edges: EdgeList, anomalies: Anomalies): { explain: EdgeExplainer } {
    const { count, status, mopStart, mopKind, mopKey, mopValue } = txns;
    const keyCount = txns.keys.length;
    const options = this.options;
    const { writeValue, writeOf, accRead } = this;
    const writeTxn = this.writeTxn.view();
    const writeKey = this.writeKey.view();
    const writeFinal = this.writeFinal.view();
    const accTxn = this.accTxn.view();
    const accKey = this.accKey.view();
    const accWrite = this.accWrite.view();
    while (writeOf.length < keyCount) writeOf.push(new Map());
    // Version nodes: write w is node w; key k's initial nil is node W + k; a value no transaction
    // wrote (a garbage read) is node G0 + g. Such a value is still a version of its key — some
    // state the store returned — so it takes part in version orders, rw edges, cyclic-versions and
    // lost updates; only what needs its writer (wr and ww edges, G1a/G1b) leaves it out.
    const W = writeTxn.length;
    const G0 = W + keyCount;
    const garbageKey: number[] = [];
    const garbageValue: unknown[] = [];
    const garbageReader: number[] = [];
    const garbageOf: Map<unknown, number>[] = [];
    const versionOf = (acc: number, r: unknown): number => {
      const k = accKey[acc];
      if (r === NIL) return W + k;
      const id = idOf(r);
      const w = writeOf[k].get(id);
      if (w !== undefined) return w;
      const m = (garbageOf[k] ??= new Map());
      let g = m.get(id);
      if (g === undefined) {
        m.set(id, (g = garbageKey.length));
        garbageKey.push(k);
        garbageValue.push(r);
        garbageReader.push(accTxn[acc]);
      }
      return G0 + g;
    };
    const firstVersion = new Int32Array(accTxn.length);
    const lastVersion = new Int32Array(accTxn.length);
    for (let acc = 0; acc < accTxn.length; acc++) {
      const r = accRead[acc];
      const read = r === undefined ? -1 : versionOf(acc, r);
      firstVersion[acc] = read !== -1 ? read : accWrite[acc];
      lastVersion[acc] = accWrite[acc] >= 0 ? accWrite[acc] : read;
    }
    const nodes = G0 + garbageKey.length;
    const keyOfNode = (v: number): number => (v < W ? writeKey[v] : v < G0 ? v - W : garbageKey[v - G0]);

    const ve = new EdgeList(Math.max(1024, accTxn.length * 2));
    const versionEdge = (a: number, b: number, why: number): void => {
      if (a < 0 || b < 0 || a === b) return;
      ve.add(a, b, why);
    };
    // A transaction's writes follow what it read, and its own earlier writes.
    for (let t = 0; t < count; t++) {
      let prevKey = -1;
      let prev = -1;
      for (let m = mopStart[t]; m < mopStart[t + 1]; m++) {
        if (mopKind[m] !== WRITE) continue;
        const w = writeOf[mopKey[m]].get(idOf(mopValue[m]))!;
        if (prevKey === mopKey[m]) versionEdge(prev, w, BY_TXN);
        prevKey = mopKey[m];
        prev = w;
      }
    }
    for (let acc = 0; acc < accTxn.length; acc++) {
      if (accRead[acc] !== undefined && accWrite[acc] >= 0) {
        const first = firstVersion[acc];
        if (first >= 0 && (first >= W || writeTxn[first] !== accTxn[acc])) versionEdge(first, firstWriteOf(acc), BY_TXN);
      }
    }
    function firstWriteOf(acc: number): number {
      const t = accTxn[acc];
      for (let m = mopStart[t]; m < mopStart[t + 1]; m++) {
        if (mopKind[m] === WRITE && mopKey[m] === accKey[acc]) return writeOf[accKey[acc]].get(idOf(mopValue[m]))!;
      }
      return -1;
    }
    if (options.sequentialKeys) {
      const seen = new Map<string, number>();
      for (let acc = 0; acc < accTxn.length; acc++) {
        const t = accTxn[acc];
        if (status[t] === FAIL || txns.process[t] < 0) continue;
        const id = `${txns.process[t]}:${accKey[acc]}`;
        const before = seen.get(id);
        if (before !== undefined) versionEdge(before, firstVersion[acc], BY_PROCESS);
        if (lastVersion[acc] >= 0) seen.set(id, lastVersion[acc]);
      }
    }
    if (options.linearizableKeys) addRealtimeVersionEdges(txns, accTxn, accKey, firstVersion, lastVersion, versionEdge);

    // Initial nil precedes every version of its key with no other known predecessor that was
    // written (a predecessor nobody wrote has no writer to pass the rw edges of nil's readers on).
    const hasPred = new Uint8Array(nodes);
    for (let e = 0; e < ve.length; e++) if (ve.src[e] < W && (ve.dst[e] < W || ve.dst[e] >= G0)) hasPred[ve.dst[e]] = 1;
    for (let w = 0; w < W; w++) if (hasPred[w] === 0 && status[writeTxn[w]] !== FAIL) versionEdge(W + writeKey[w], w, BY_INIT);
    for (let v = G0; v < nodes; v++) if (hasPred[v] === 0) versionEdge(W + keyOfNode(v), v, BY_INIT);

    // A cycle among a key's versions means no order of them exists: report it, infer nothing from it.
    const vGraph = buildGraph(nodes, ve);
    const cyclicKey = new Uint8Array(keyCount);
    for (const comp of stronglyConnected(vGraph, ANY_REASON).nontrivial) {
      const k = keyOfNode(comp[0]);
      if (cyclicKey[k] === 1) continue;
      cyclicKey[k] = 1;
      const values = [...comp].map((v) => (v < W ? writeValue[v] : v < G0 ? null : garbageValue[v - G0]));
      anomalies.add({
        type: 'cyclic-versions',
        sentence: `the versions of key ${showKey(txns.keys[k])} ${showValue(values)} must each come before another: no order of them exists`,
        ops: [...new Set([...comp].filter((v) => v < W || v >= G0).map((v) => txnIdx(txns, v < W ? writeTxn[v] : garbageReader[v - G0])))],
        key: txns.keys[k],
        values,
      });
    }
    // A value nobody wrote has no writer, so an order that passes through it (1 → 5 → 2) gives no
    // ww or rw edge on its own: join what precedes it to what follows it directly.
    const via = bypassGarbage(ve, vGraph, G0, nodes, (v) => cyclicKey[keyOfNode(v)] === 1);
    const vSrc = ve.src.subarray(0, ve.length);
    const vDst = ve.dst.subarray(0, ve.length);
    const vWhy = ve.type.subarray(0, ve.length);

    // What a read returned, judged: nobody wrote it, its writer failed, or its writer overwrote it
    // (each an anomaly); true when it is a committed (or maybe committed) final write.
    const judge = (t: number, k: number, r: unknown, v: number): boolean => {
      const key = txns.keys[k];
      if (v === -2 || v >= G0) {
        anomalies.add({ type: 'garbage-read', sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(r)}, a value no transaction ever wrote there`, ops: [txnIdx(txns, t)], key, value: r, txn: txnEvidence(txns, t) });
        return v >= G0;
      }
      if (v >= W) return true;
      const w = writeTxn[v];
      if (w === t) return true;
      if (status[w] === FAIL) {
        anomalies.add({ type: 'G1a', sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(r)}, written by ${describeTxn(txns, w)}, which failed (an aborted read)`, ops: [txnIdx(txns, t), txnIdx(txns, w)], key, value: r, reader: txnEvidence(txns, t), writer: txnEvidence(txns, w) });
        return false;
      }
      if (writeFinal[v] === 0) {
        anomalies.add({ type: 'G1b', sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(r)}, which ${describeTxn(txns, w)} overwrote later in the same transaction (an intermediate read)`, ops: [txnIdx(txns, t), txnIdx(txns, w)], key, value: r, reader: txnEvidence(txns, t), writer: txnEvidence(txns, w) });
      }
      return true;
    };

    // External reads, grouped by the version they observed.
    const readerVersion: number[] = [];
    const readerAcc: number[] = [];
    for (let acc = 0; acc < accTxn.length; acc++) {
      const r = accRead[acc];
      if (r === undefined) continue;
      const t = accTxn[acc];
      const k = accKey[acc];
      const v = firstVersion[acc];
      if (v >= 0 && v < W && writeTxn[v] === t) {
        // A read of its own later write (reported as future-read as the transaction was read).
        readerVersion.push(v);
        readerAcc.push(acc);
        continue;
      }
      if (!judge(t, k, r, v)) continue;
      readerVersion.push(v);
      readerAcc.push(acc);
      if (v < W) edges.add(writeTxn[v], t, WR);
    }
    // Later reads of a key inside a transaction make no edges, but what they return is judged too.
    for (let x = 0; x < this.laterReadMop.length; x++) {
      const m = this.laterReadMop.data[x];
      const r = mopValue[m];
      if (r === null) continue;
      const k = mopKey[m];
      const w = writeOf[k].get(idOf(r));
      judge(this.laterReadTxn.data[x], k, r, w === undefined ? -2 : w);
    }
    const readersOf = groupByKey(readerVersion, nodes);

    // ww and rw edges from the version order.
    for (let e = 0; e < vSrc.length; e++) {
      const from = vSrc[e];
      const to = vDst[e];
      if (to >= W) continue;
      const k = writeKey[to];
      if (cyclicKey[k] === 1) continue;
      const writer = writeTxn[to];
      if (status[writer] === FAIL) continue;
      if (from < W && status[writeTxn[from]] !== FAIL) edges.add(writeTxn[from], writer, WW);
      for (let x = readersOf.start[from]; x < readersOf.start[from + 1]; x++) {
        const reader = accTxn[readerAcc[readersOf.items[x]]];
        if (reader !== writer) edges.add(reader, writer, RW);
      }
    }

    // Lost update: two committed transactions read the same version of a key and both wrote it.
    const readThenWrote = new Map<string, number>();
    for (let acc = 0; acc < accTxn.length; acc++) {
      const t = accTxn[acc];
      if (status[t] !== OK || accRead[acc] === undefined || accWrite[acc] < 0 || firstVersion[acc] < 0) continue;
      if (firstVersion[acc] < W && writeTxn[firstVersion[acc]] === t) continue;
      const id = String(firstVersion[acc]);
      const other = readThenWrote.get(id);
      if (other === undefined) {
        readThenWrote.set(id, t);
        continue;
      }
      const k = accKey[acc];
      anomalies.add({
        type: 'lost-update',
        sentence: `${describeTxn(txns, other)} and ${describeTxn(txns, t)} both read key ${showKey(txns.keys[k])} = ${showValue(accRead[acc] === NIL ? null : accRead[acc])} and both wrote it; one of them did not see the other's update`,
        ops: [txnIdx(txns, other), txnIdx(txns, t)],
        key: txns.keys[k],
        txns: [txnEvidence(txns, other), txnEvidence(txns, t)],
      });
    }

    return { explain: rwRegisterExplainer(txns, { W, G0, garbageValue, via, writeTxn, writeKey, writeValue, vSrc, vDst, vWhy, accTxn, accKey, accRead }) };
  }
}

/** Slot j's list, emptied; the arrays are reused across transactions. */
function startList(lists: unknown[][], j: number): unknown[] {
  const l = lists[j];
  if (l === undefined) return (lists[j] = []);
  l.length = 0;
  return l;
}

/** Versions ordered by real time, per key: what a transaction left precedes what a later one saw. */
function addRealtimeVersionEdges(
  txns: Txns,
  accTxn: Int32Array,
  accKey: Int32Array,
  firstVersion: Int32Array,
  lastVersion: Int32Array,
  versionEdge: (a: number, b: number, why: number) => void,
): void {
  const accsOf = groupByKey(accTxn, txns.count);
  // A frontier per key, as in addRealtimeEdges: a completion covers the members that completed
  // before its invocation.
  const frontier: number[][] = Array.from({ length: txns.keys.length }, () => []);
  const event = eventsByPosition(txns);
  for (let i = 0; i < event.length; i++) {
    const e = event[i];
    if (e < 0) continue;
    const t = e >> 1;
    for (let x = accsOf.start[t]; x < accsOf.start[t + 1]; x++) {
      const acc = accsOf.items[x];
      const f = frontier[accKey[acc]];
      if ((e & 1) === 0) {
        for (const p of f) versionEdge(lastVersion[p], firstVersion[acc], BY_REALTIME);
        continue;
      }
      const since = txns.invokeAt[t];
      let kept = 0;
      for (let y = 0; y < f.length; y++) if (txns.completeAt[accTxn[f[y]]] > since) f[kept++] = f[y];
      f.length = kept;
      f.push(acc);
    }
  }
}

/**
 * Adds a version edge p → s for each written version p directly before a value nobody wrote, g,
 * and each written version s that follows g through such values only (p → g → … → s): the order
 * holds, and only edges between written versions give ww and rw edges. Keys whose versions are
 * cyclic are skipped. Returns, per added edge (from the first one's index), the value it went
 * through. A walk through a long chain of such values is bounded (BYPASS_BUDGET_FACTOR).
 */
function bypassGarbage(ve: EdgeList, g: Graph, G0: number, nodes: number, skip: (v: number) => boolean): { first: number; node: Int32Array } {
  const first = ve.length;
  const through: number[] = [];
  if (G0 === nodes) return { first, node: new Int32Array(0) };
  // Written predecessors of each value nobody wrote.
  const preds: number[][] = [];
  for (let e = 0; e < first; e++) {
    const a = ve.src[e];
    const b = ve.dst[e];
    if (b >= G0 && a < G0 && (ve.type[e] & BY_INIT) === 0) (preds[b - G0] ??= []).push(a);
  }
  let budget = BYPASS_BUDGET_FACTOR * (first + nodes);
  const seen = new Int32Array(nodes - G0).fill(-1);
  const stack: number[] = [];
  for (let x = G0; x < nodes && budget > 0; x++) {
    const ps = preds[x - G0];
    if (ps === undefined || skip(x)) continue;
    // The written versions reachable from x through unwritten ones.
    stack.length = 0;
    stack.push(x);
    seen[x - G0] = x;
    while (stack.length > 0 && budget > 0) {
      const v = stack.pop()!;
      for (let i = g.offsets[v]; i < g.offsets[v + 1] && budget-- > 0; i++) {
        const s = g.targets[i];
        if (s >= G0) {
          if (seen[s - G0] !== x) {
            seen[s - G0] = x;
            stack.push(s);
          }
          continue;
        }
        for (const p of ps) {
          if (p === s) continue;
          ve.add(p, s, BY_GARBAGE);
          through.push(x);
        }
      }
    }
  }
  return { first, node: Int32Array.from(through) };
}

interface RegisterFacts {
  W: number;
  /** First node of the values nobody wrote, and those values. */
  G0: number;
  garbageValue: unknown[];
  /** Edges from `via.first` on were added through a value nobody wrote: which one (a node). */
  via: { first: number; node: Int32Array };
  writeTxn: Int32Array;
  writeKey: Int32Array;
  writeValue: unknown[];
  vSrc: Int32Array;
  vDst: Int32Array;
  vWhy: Uint8Array;
  accTxn: Int32Array;
  accKey: Int32Array;
  accRead: unknown[];
}

function rwRegisterExplainer(txns: Txns, f: RegisterFacts): EdgeExplainer {
  const valueName = (v: number): string => (v < f.W ? showValue(f.writeValue[v]) : v < f.G0 ? 'the initial nil' : showValue(f.garbageValue[v - f.G0]));
  const versionName = (v: number): string => (v < f.G0 ? valueName(v) : `${valueName(v)} (a value no transaction wrote)`);
  const why = (e: number): string => {
    const versionName = valueName;
    switch (f.vWhy[e]) {
      case BY_GARBAGE:
        return `${versionName(f.vSrc[e])} came before ${versionName(f.via.node[e - f.via.first])}, which no transaction wrote, and that before ${versionName(f.vDst[e])}`;
      case BY_INIT:
        return 'every version follows the initial nil';
      case BY_TXN:
        return `the writer of ${versionName(f.vDst[e])} had read or written ${versionName(f.vSrc[e])} first`;
      case BY_PROCESS:
        return `one process saw ${versionName(f.vSrc[e])} before ${versionName(f.vDst[e])} (--sequential-keys)`;
      default:
        return `${versionName(f.vSrc[e])} was in place before ${versionName(f.vDst[e])} in real time (--linearizable-keys)`;
    }
  };
  return (a, b, type, nameA, nameB) => {
    if (type === WR) {
      for (let acc = 0; acc < f.accTxn.length; acc++) {
        if (f.accTxn[acc] !== b || f.accRead[acc] === undefined) continue;
        const k = f.accKey[acc];
        const r = f.accRead[acc];
        for (let m = txns.mopStart[a]; m < txns.mopStart[a + 1]; m++) {
          if (txns.mopKind[m] === WRITE && txns.mopKey[m] === k && valueKey(txns.mopValue[m]) === valueKey(r)) {
            return { key: txns.keys[k], sentence: `${nameB} read key ${showKey(txns.keys[k])} = ${showValue(r)}, which ${nameA} wrote, so ${nameA} wr→ ${nameB}` };
          }
        }
      }
      return undefined;
    }
    for (let e = 0; e < f.vSrc.length; e++) {
      const to = f.vDst[e];
      const from = f.vSrc[e];
      if (to >= f.W || f.writeTxn[to] !== b) continue;
      const k = f.writeKey[to];
      const key = `key ${showKey(txns.keys[k])}`;
      if (type === WW && from < f.W && f.writeTxn[from] === a) {
        return { key: txns.keys[k], sentence: `${nameA} wrote ${key} = ${versionName(from)} and ${nameB} wrote ${key} = ${versionName(to)} after it (${why(e)}), so ${nameA} ww→ ${nameB}` };
      }
      if (type === RW) {
        for (let acc = 0; acc < f.accTxn.length; acc++) {
          if (f.accTxn[acc] !== a || f.accKey[acc] !== k || f.accRead[acc] === undefined) continue;
          const r = f.accRead[acc];
          const readsFrom =
            from < f.W
              ? typeof r !== 'symbol' && valueKey(r) === valueKey(f.writeValue[from])
              : from < f.G0
                ? typeof r === 'symbol'
                : typeof r !== 'symbol' && valueKey(r) === valueKey(f.garbageValue[from - f.G0]);
          if (!readsFrom) continue;
          return { key: txns.keys[k], sentence: `${nameA} read ${key} = ${versionName(from)}, which ${nameB} overwrote with ${versionName(to)} (${why(e)}), so ${nameA} rw→ ${nameB}` };
        }
      }
    }
    return undefined;
  };
}

function txnIdx(txns: Txns, t: number): number {
  return txns.index[t];
}
