// List-append (Elle): appends are unique per key and a read returns the key's whole list, so the
// reads reveal the order of versions. Every read must be a prefix of the longest read of its key;
// that longest read is the version order, and appends no read ever saw come after all of it.
import { sameValue, valueKey } from '../linearizable/values.js';
import { Anomalies, describeTxn, showKey, showValue, txnEvidence } from './anomalies.js';
import { EdgeList, PROCESS, REALTIME, RW, WR, WW } from './graph.js';
import { FAIL, OK, READ, WRITE, type Txns, type TxnsBuilder, type TxnSink } from './txns.js';
import type { EdgeExplainer } from './explain.js';
import { groupByKey, IntRecords, IntVec } from './vec.js';

const EMPTY: readonly unknown[] = [];

// Fields of a read record: reader, key, micro-op, length (-1: does not fit the key's order), first
// access to the key (an external read), followed by an append to the key in the same transaction.
const R_TXN = 0;
const R_KEY = 1;
const R_MOP = 2;
const R_LEN = 3;
const R_EXTERNAL = 4;
const R_THEN_APPEND = 5;
const READ_FIELDS = 6;
// Fields of an append record: writer, key, whether it is the writer's last append to the key.
const A_TXN = 0;
const A_KEY = 1;
const A_FINAL = 2;
const APPEND_FIELDS = 3;

function idOf(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? valueKey(v) : v;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && sameValue(a, b));
}

function listIncludes(list: readonly unknown[], v: unknown): boolean {
  for (const e of list) if (same(e, v)) return true;
  return false;
}

/**
 * Sees each transaction as it is finished: records appends, compares each read with the longest
 * read of its key so far (keeping only its length), checks reads inside a transaction against
 * its own earlier micro-ops. `finish` then infers the version orders and the edges.
 */
export class ListAppendAnalysis implements TxnSink {
  private readonly appends = new IntRecords(APPEND_FIELDS);
  private readonly appendOf: Map<unknown, number>[] = [];
  private readonly reads = new IntRecords(READ_FIELDS);
  /** The longest read of each key so far: every compatible read is a prefix of it. */
  private readonly longest: (readonly unknown[])[] = [];
  private readonly longestReader: number[] = [];
  /** A transaction's appends to a key after a read of it in the same transaction: (read, append, micro-op). */
  private readonly laterAppendRead = new IntVec();
  private readonly laterAppend = new IntVec();
  private readonly laterAppendMop = new IntVec();
  /** Reads that did not fit their key's order when they came. */
  private readonly conflicting: number[] = [];

  // Per transaction, the keys it touched so far and what it knows of each.
  private readonly localKey: number[] = [];
  private readonly localBase: (readonly unknown[] | null)[] = [];
  private readonly localPending: unknown[][] = [];
  private readonly localLastAppend: number[] = [];
  private readonly localExternalRead: number[] = [];
  /** Per key slot, the transaction's reads of the key so far (any of them may show a later append). */
  private readonly localReads: number[][] = [];

  constructor(private readonly anomalies: Anomalies) {}

  txn(b: TxnsBuilder, t: number, raw: unknown[][]): void {
    const st = b.status.data[t];
    const first = b.mopStart.data[t];
    const mopKey = b.mopKey.data;
    const { localKey, localBase, localPending, localLastAppend, localExternalRead, localReads, appendOf } = this;
    localKey.length = 0;
    for (let i = 0; i < raw.length; i++) {
      const m = first + i;
      const k = mopKey[m];
      while (appendOf.length <= k) {
        appendOf.push(new Map());
        this.longest.push(EMPTY);
        this.longestReader.push(-1);
      }
      let j = localKey.indexOf(k);
      if (b.mopKind.data[m] === WRITE) {
        const v = raw[i][2];
        const id = idOf(v);
        const prior = appendOf[k].get(id);
        if (prior !== undefined) {
          b.fail(b.line.data[t], `value[${i}]`, `list-append needs every appended value unique per key: ${showValue(v)} is appended to key ${showKey(b.keys[k])} again (first by the transaction at index ${b.index.data[this.appends.data[prior * APPEND_FIELDS + A_TXN]]})`);
        }
        const a = this.appends.add();
        const ad = this.appends.data;
        ad[a * APPEND_FIELDS + A_TXN] = t;
        ad[a * APPEND_FIELDS + A_KEY] = k;
        ad[a * APPEND_FIELDS + A_FINAL] = 1;
        appendOf[k].set(id, a);
        if (j < 0) {
          j = localKey.push(k) - 1;
          localBase[j] = null;
          startPending(localPending, j).push(v);
          startReads(localReads, j);
          localLastAppend[j] = a;
          localExternalRead[j] = -1;
        } else {
          if (localLastAppend[j] >= 0) this.appends.data[localLastAppend[j] * APPEND_FIELDS + A_FINAL] = 0;
          localLastAppend[j] = a;
          localPending[j].push(v);
          if (localExternalRead[j] >= 0) this.reads.data[localExternalRead[j] * READ_FIELDS + R_THEN_APPEND] = 1;
          // Whether an earlier read (the first access or a later one, as in Elle) already showed
          // this append (a future read) is known once the order is: `finish` looks at each pair.
          for (const r of localReads[j]) {
            this.laterAppendRead.push(r);
            this.laterAppend.push(a);
            this.laterAppendMop.push(m);
          }
        }
        continue;
      }
      if (st !== OK) continue;
      const value = raw[i][2];
      const list = value === null ? EMPTY : (value as readonly unknown[]);
      const r = this.reads.add();
      const len = this.placeRead(b, k, list, r, m);
      const rd = this.reads.data;
      const at = r * READ_FIELDS;
      rd[at + R_TXN] = t;
      rd[at + R_KEY] = k;
      rd[at + R_MOP] = m;
      rd[at + R_LEN] = len;
      rd[at + R_EXTERNAL] = j < 0 ? 1 : 0;
      rd[at + R_THEN_APPEND] = 0;
      if (j < 0) {
        j = localKey.push(k) - 1;
        localBase[j] = list;
        startPending(localPending, j);
        startReads(localReads, j).push(r);
        localLastAppend[j] = -1;
        localExternalRead[j] = r;
        continue;
      }
      checkInternal(b, t, i, k, localBase[j], localPending[j], list, this.anomalies);
      localBase[j] = list;
      startPending(localPending, j);
      localReads[j].push(r);
    }
  }

  /**
   * Compares a read with the longest read of its key so far, adopting it when it extends that.
   * Returns its length, or -1 when it is not a prefix of that order (it is then kept whole, and
   * `finish` decides between the orders).
   */
  private placeRead(b: TxnsBuilder, k: number, list: readonly unknown[], r: number, m: number): number {
    const cur = this.longest[k];
    if (list.length <= cur.length ? isPrefix(list, cur) : isPrefix(cur, list)) {
      if (list.length > cur.length) {
        this.longest[k] = list;
        this.longestReader[k] = r;
      }
      b.mopValue[m] = list.length;
      return list.length;
    }
    b.mopValue[m] = list;
    this.conflicting.push(r);
    return -1;
  }

  /**
   * For a key whose reads did not all fit one order: the longest read of all becomes the order
   * (whichever came first in the file), every read is measured against it again, and the ones that
   * do not fit it are reported. Reads that fit the previous order are prefixes of it, so they fit
   * the new one when no longer than the two orders' common prefix.
   */
  private settleOrder(txns: Txns, k: number, rs: Int32Array, readLen: Int32Array, readMop: Int32Array, readTxn: Int32Array, anomalies: Anomalies): void {
    const cur = this.longest[k];
    let best = cur;
    let bestReader = this.longestReader[k];
    for (const r of rs) {
      if (readLen[r] >= 0) continue;
      const list = txns.mopValue[readMop[r]] as readonly unknown[];
      if (list.length > best.length || (list.length === best.length && readTxn[r] < readTxn[bestReader])) {
        best = list;
        bestReader = r;
      }
    }
    let common = 0;
    while (common < cur.length && common < best.length && same(cur[common], best[common])) common++;
    for (const r of rs) {
      const m = readMop[r];
      if (readLen[r] >= 0) {
        if (readLen[r] <= common) continue;
        txns.mopValue[m] = cur.slice(0, readLen[r]);
        readLen[r] = -1;
      }
      const list = txns.mopValue[m] as readonly unknown[];
      if (isPrefix(list, best)) {
        readLen[r] = list.length;
        txns.mopValue[m] = list.length;
      }
    }
    this.longest[k] = best;
    this.longestReader[k] = bestReader;
    const key = txns.keys[k];
    const other = readTxn[bestReader];
    for (const r of rs) {
      if (readLen[r] >= 0) continue;
      const list = txns.mopValue[readMop[r]] as readonly unknown[];
      const t = readTxn[r];
      anomalies.add({
        type: 'incompatible-order',
        sentence: `key ${showKey(key)} was read as ${showValue(list)} by ${describeTxn(txns, t)} and as ${showValue(best)} by ${describeTxn(txns, other)}; neither is a prefix of the other, so they cannot come from one order of appends`,
        ops: [txns.index[t], txns.index[other]],
        key,
        values: [list, best],
        txns: [txnEvidence(txns, t), txnEvidence(txns, other)],
      });
      this.checkElements(txns, k, list, t, anomalies);
    }
  }

  /** A read that fits no order still must not hold unwritten, aborted or repeated values. */
  private checkElements(txns: Txns, k: number, list: readonly unknown[], t: number, anomalies: Anomalies): void {
    const key = txns.keys[k];
    const seen = new Set<unknown>();
    for (const v of list) {
      const id = idOf(v);
      if (seen.has(id)) {
        anomalies.add({ type: 'duplicate-elements', sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(list)}, which holds ${showValue(v)} more than once`, ops: [txns.index[t]], key, value: v, txn: txnEvidence(txns, t) });
      }
      seen.add(id);
      const a = this.appendOf[k].get(id);
      if (a === undefined) {
        anomalies.add({ type: 'garbage-read', sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(list)}, but no transaction ever appended ${showValue(v)} to it`, ops: [txns.index[t]], key, value: v, txn: txnEvidence(txns, t) });
      } else if (txns.status[this.appends.data[a * APPEND_FIELDS + A_TXN]] === FAIL) {
        const w = this.appends.data[a * APPEND_FIELDS + A_TXN];
        anomalies.add({ type: 'G1a', sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(list)}, which includes ${showValue(v)}, appended by ${describeTxn(txns, w)}, which failed (an aborted read)`, ops: [txns.index[t], txns.index[w]], key, value: v, reader: txnEvidence(txns, t), writer: txnEvidence(txns, w) });
      }
    }
  }

  finish(txns: Txns, edges: EdgeList, anomalies: Anomalies): { explain: EdgeExplainer } {
    const { status } = txns;
    const keyCount = txns.keys.length;
    const { appendOf } = this;
    /** Each append's position in its key's order, or -1 when no read shows it. */
    const placeOf = new Int32Array(this.appends.length).fill(-1);
    const appendTxn = this.appends.column(A_TXN);
    const readTxn = this.reads.column(R_TXN);
    const readKey = this.reads.column(R_KEY);
    const readLen = this.reads.column(R_LEN);
    const readExternal = this.reads.column(R_EXTERNAL);
    const readThenAppend = this.reads.column(R_THEN_APPEND);
    while (appendOf.length < keyCount) {
      appendOf.push(new Map());
      this.longest.push(EMPTY);
      this.longestReader.push(-1);
    }
    const appendFinal = this.appends.column(A_FINAL);
    const readsByKey = groupByKey(readKey, keyCount);
    const appendsByKey = groupByKey(this.appends.column(A_KEY), keyCount);
    const orders = this.longest;
    txns.readValue = (m) => {
      const v = txns.mopValue[m];
      return typeof v === 'number' ? orders[txns.mopKey[m]].slice(0, v) : v;
    };
    /** The first read (in transaction order) long enough to show position `i` of key k's order. */
    const firstReadOf = (rs: Int32Array, i: number): number => {
      let best = -1;
      for (const r of rs) if (readLen[r] > i && (best < 0 || readTxn[r] < readTxn[best])) best = r;
      return best;
    };

    const readMop = this.reads.column(R_MOP);
    const unsettled = new Set(this.conflicting.map((r) => readKey[r]));
    for (const k of unsettled) this.settleOrder(txns, k, readsByKey.items.subarray(readsByKey.start[k], readsByKey.start[k + 1]), readLen, readMop, readTxn, anomalies);

    for (let k = 0; k < keyCount; k++) {
      const key = txns.keys[k];
      const rs = readsByKey.items.subarray(readsByKey.start[k], readsByKey.start[k + 1]);
      const order = orders[k];
      const n = order.length;
      const lmaxTxn = this.longestReader[k] >= 0 ? readTxn[this.longestReader[k]] : -1;

      // The version order: who appended each element of the longest read. An append's place in
      // it is kept by append id; values nobody appended are remembered apart (they are rare).
      const writerAt = new Int32Array(n).fill(-1);
      const appendAt = new Int32Array(n).fill(-1);
      let garbage: Set<unknown> | undefined;
      let abortedSeen = -1;
      for (let i = 0; i < n; i++) {
        const v = order[i];
        const id = idOf(v);
        const a = appendOf[k].get(id);
        if (a !== undefined ? placeOf[a] >= 0 : garbage?.has(id) === true) {
          anomalies.add({
            type: 'duplicate-elements',
            sentence: `${describeTxn(txns, lmaxTxn)} read key ${showKey(key)} = ${showValue(order)}, which holds ${showValue(v)} more than once`,
            ops: [txns.index[lmaxTxn]],
            key,
            value: v,
            txn: txnEvidence(txns, lmaxTxn),
          });
          continue;
        }
        if (a === undefined) {
          (garbage ??= new Set()).add(id);
          const r = firstReadOf(rs, i);
          const reader = readTxn[r];
          anomalies.add({
            type: 'garbage-read',
            sentence: `${describeTxn(txns, reader)} read key ${showKey(key)} = ${showValue(order.slice(0, readLen[r]))}, but no transaction ever appended ${showValue(v)} to it`,
            ops: [txns.index[reader]],
            key,
            value: v,
            txn: txnEvidence(txns, reader),
          });
          continue;
        }
        placeOf[a] = i;
        appendAt[i] = a;
        writerAt[i] = appendTxn[a];
        if (status[appendTxn[a]] === FAIL) {
          const r = firstReadOf(rs, i);
          const reader = readTxn[r];
          anomalies.add({
            type: 'G1a',
            sentence: `${describeTxn(txns, reader)} read key ${showKey(key)} = ${showValue(order.slice(0, readLen[r]))}, which includes ${showValue(v)}, appended by ${describeTxn(txns, appendTxn[a])}, which failed (an aborted read)`,
            ops: [txns.index[reader], txns.index[appendTxn[a]]],
            key,
            value: v,
            reader: txnEvidence(txns, reader),
            writer: txnEvidence(txns, appendTxn[a]),
          });
          if (abortedSeen < 0) abortedSeen = i;
        } else if (abortedSeen >= 0) {
          const aborted = writerAt[abortedSeen];
          anomalies.add({
            type: 'dirty-update',
            sentence: `on key ${showKey(key)}, ${describeTxn(txns, appendTxn[a])} appended ${showValue(v)} after ${showValue(order[abortedSeen])}, which ${describeTxn(txns, aborted)} appended and then failed`,
            ops: [txns.index[aborted], txns.index[appendTxn[a]]],
            key,
            values: order.slice(abortedSeen, i + 1),
            aborted: txnEvidence(txns, aborted),
            writer: txnEvidence(txns, appendTxn[a]),
          });
          abortedSeen = -1;
        }
      }

      // ww: each committed (or maybe committed) writer precedes the next one in the order.
      let last = -1;
      for (let i = 0; i < n; i++) {
        const w = writerAt[i];
        if (w < 0 || status[w] === FAIL) continue;
        if (last >= 0 && last !== w) edges.add(last, w, WW);
        last = w;
      }
      // Appends never read come after everything read.
      const unseen: number[] = [];
      for (let x = appendsByKey.start[k]; x < appendsByKey.start[k + 1]; x++) {
        const a = appendsByKey.items[x];
        if (status[appendTxn[a]] === FAIL || placeOf[a] >= 0) continue;
        unseen.push(appendTxn[a]);
        if (last >= 0) edges.add(last, appendTxn[a], WW);
      }

      const lostUpdate = new Map<number, number>();
      for (const r of rs) {
        const len = readLen[r];
        if (len < 0) continue;
        const t = readTxn[r];
        const external = readExternal[r] === 1;
        if (len > 0) {
          const w = writerAt[len - 1];
          if (w >= 0 && w !== t && status[w] !== FAIL) {
            if (external) edges.add(w, t, WR);
            if (appendFinal[appendAt[len - 1]] === 0) {
              anomalies.add({
                type: 'G1b',
                sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(order.slice(0, len))}, ending in ${showValue(order[len - 1])}, but ${describeTxn(txns, w)} appended more to the key after it (an intermediate read)`,
                ops: [txns.index[t], txns.index[w]],
                key,
                reader: txnEvidence(txns, t),
                writer: txnEvidence(txns, w),
              });
            }
          }
        }
        if (!external) continue;
        let p = len;
        while (p < n && (writerAt[p] < 0 || status[writerAt[p]] === FAIL)) p++;
        if (p < n) {
          if (writerAt[p] !== t) edges.add(t, writerAt[p], RW);
        } else {
          for (const w of unseen) if (w !== t) edges.add(t, w, RW);
        }
        if (readThenAppend[r] === 1) {
          const other = lostUpdate.get(len);
          if (other === undefined) lostUpdate.set(len, t);
          else {
            anomalies.add({
              type: 'lost-update',
              sentence: `${describeTxn(txns, other)} and ${describeTxn(txns, t)} both read key ${showKey(key)} = ${showValue(order.slice(0, len))} and both appended to it; one of them did not see the other's update`,
              ops: [txns.index[other], txns.index[t]],
              key,
              value: order.slice(0, len),
              txns: [txnEvidence(txns, other), txnEvidence(txns, t)],
            });
          }
        }
      }
    }
    // A read that already holds what the transaction appends only later reads the future. As in
    // Elle, one per transaction: the first later append some earlier read held, with the first
    // such read (pairs come in micro-op order of the appends, then of the reads).
    const laterRead = this.laterAppendRead.view();
    const laterAppend = this.laterAppend.view();
    const laterMop = this.laterAppendMop.view();
    let reported = -1;
    for (let x = 0; x < laterRead.length; x++) {
      const r = laterRead[x];
      const t = readTxn[r];
      if (t === reported) continue;
      const len = readLen[r];
      const v = txns.mopValue[laterMop[x]];
      const seen = len >= 0 ? placeOf[laterAppend[x]] >= 0 && placeOf[laterAppend[x]] < len : listIncludes(txns.mopValue[readMop[r]] as readonly unknown[], v);
      if (!seen) continue;
      reported = t;
      const k = readKey[r];
      const list = txns.readValue(readMop[r]) as readonly unknown[];
      const mop = readMop[r] - txns.mopStart[t];
      anomalies.add({
        type: 'future-read',
        sentence: `${describeTxn(txns, t)} read key ${showKey(txns.keys[k])} = ${showValue(list)} in micro-op ${mop}, which already holds ${showValue(v)}, a value it appends only later (micro-op ${laterMop[x] - txns.mopStart[t]})`,
        ops: [txns.index[t]],
        key: txns.keys[k],
        value: v,
        mop,
        txn: txnEvidence(txns, t),
      });
    }
    return { explain: listAppendExplainer(txns, orders) };
  }
}

/** Slot j's list of reads so far, emptied; the arrays are reused across transactions. */
function startReads(reads: number[][], j: number): number[] {
  const p = reads[j];
  if (p === undefined) return (reads[j] = []);
  p.length = 0;
  return p;
}

/** Slot j's list of appends since the last read, emptied; the arrays are reused across transactions. */
function startPending(pending: unknown[][], j: number): unknown[] {
  const p = pending[j];
  if (p === undefined) return (pending[j] = []);
  p.length = 0;
  return p;
}

function isPrefix(list: readonly unknown[], of: readonly unknown[]): boolean {
  if (list.length > of.length) return false;
  for (let i = 0; i < list.length; i++) if (!same(list[i], of[i])) return false;
  return true;
}


function checkInternal(b: TxnsBuilder, t: number, i: number, k: number, base: readonly unknown[] | null, pending: unknown[], list: readonly unknown[], anomalies: Anomalies): void {
  let ok: boolean;
  if (base !== null) {
    ok = list.length === base.length + pending.length && isPrefix(base, list);
    for (let x = 0; ok && x < pending.length; x++) ok = same(list[base.length + x], pending[x]);
  } else {
    ok = list.length >= pending.length;
    for (let x = 0; ok && x < pending.length; x++) ok = same(list[list.length - pending.length + x], pending[x]);
  }
  if (ok) return;
  const expected = base !== null ? showValue([...base, ...pending]) : `a list ending in ${showValue(pending).slice(1, -1)}`;
  anomalies.add({
    type: 'internal',
    sentence: `the transaction at index ${b.index.data[t]} read key ${showKey(b.keys[k])} = ${showValue(list)} in micro-op ${i}, but its own earlier micro-ops imply ${expected}`,
    ops: [b.index.data[t]],
    key: b.keys[k],
    mop: i,
    txnIndex: b.index.data[t],
  });
}

function listAppendExplainer(txns: Txns, orders: (readonly unknown[])[]): EdgeExplainer {
  const { mopStart, mopKind, mopKey, mopValue } = txns;
  const firstAccess = (t: number, k: number): number => {
    for (let m = mopStart[t]; m < mopStart[t + 1]; m++) if (mopKey[m] === k) return m;
    return -1;
  };
  const appendsBy = (t: number, k: number): unknown[] => {
    const out: unknown[] = [];
    for (let m = mopStart[t]; m < mopStart[t + 1]; m++) if (mopKey[m] === k && mopKind[m] === WRITE) out.push(mopValue[m]);
    return out;
  };
  const keysOf = (t: number): number[] => {
    const ks: number[] = [];
    for (let m = mopStart[t]; m < mopStart[t + 1]; m++) if (!ks.includes(mopKey[m])) ks.push(mopKey[m]);
    return ks;
  };
  const orderOf = (k: number): readonly unknown[] => orders[k];
  const readOf = (m: number): readonly unknown[] => (txns.readValue(m) ?? EMPTY) as readonly unknown[];
  const indexIn = (list: readonly unknown[], v: unknown): number => {
    for (let i = 0; i < list.length; i++) if (same(list[i], v)) return i;
    return -1;
  };
  return (a, b, type, nameA, nameB) => {
    if (type === PROCESS || type === REALTIME) return undefined;
    for (const k of keysOf(a)) {
      const key = `key ${showKey(txns.keys[k])}`;
      const order = orderOf(k);
      if (type === WW) {
        const mine = appendsBy(a, k);
        const theirs = appendsBy(b, k);
        if (mine.length === 0 || theirs.length === 0) continue;
        const last = mine[mine.length - 1];
        const pa = indexIn(order, last);
        const pb = indexIn(order, theirs[0]);
        if (pa >= 0 && (pb > pa || pb < 0)) {
          return {
            key: txns.keys[k],
            sentence: pb > pa
              ? `${nameA} appended ${showValue(last)} to ${key} and ${nameB} appended ${showValue(theirs[0])} after it (${key} = ${showValue(order)} in its longest read), so ${nameA} ww→ ${nameB}`
              : `${nameB}'s append of ${showValue(theirs[0])} to ${key} was never read, so it came after everything read, including ${nameA}'s append of ${showValue(last)}, so ${nameA} ww→ ${nameB}`,
          };
        }
      } else if (type === WR) {
        const m = firstAccess(b, k);
        if (m < 0 || mopKind[m] !== READ) continue;
        const list = readOf(m);
        if (list.length === 0) continue;
        const lastSeen = list[list.length - 1];
        if (!listIncludes(appendsBy(a, k), lastSeen)) continue;
        return { key: txns.keys[k], sentence: `${nameB} read ${key} = ${showValue(list)}, which includes ${nameA}'s append of ${showValue(lastSeen)}, so ${nameA} wr→ ${nameB}` };
      }
    }
    if (type === RW) {
      for (const k of keysOf(a)) {
        const key = `key ${showKey(txns.keys[k])}`;
        const m = firstAccess(a, k);
        if (m < 0 || mopKind[m] !== READ) continue;
        const list = readOf(m);
        const theirs = appendsBy(b, k);
        if (theirs.length === 0) continue;
        const missed = theirs.find((v) => !listIncludes(list, v));
        if (missed === undefined) continue;
        const order = orderOf(k);
        const p = indexIn(order, missed);
        return {
          key: txns.keys[k],
          sentence: p >= 0
            ? `${nameA} read ${key} = ${showValue(list)}, which misses ${nameB}'s append of ${showValue(missed)} (${key} = ${showValue(order)} in its longest read), so ${nameA} rw→ ${nameB}`
            : `${nameA} read ${key} = ${showValue(list)}, which misses ${nameB}'s append of ${showValue(missed)} (never read, so after every value read), so ${nameA} rw→ ${nameB}`,
        };
      }
    }
    return undefined;
  };
}
