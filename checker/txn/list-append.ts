// List-append (Elle): appends are unique per key and a read returns the key's whole list, so the
// reads reveal the order of versions. Every read must be a prefix of the longest read of its key;
// that longest read is the version order, and appends no read ever saw come after all of it.
import { HistoryError } from '../../histories/errors.js';
import { sameValue, valueKey } from '../linearizable/values.js';
import { Anomalies, describeTxn, showKey, showValue, txnEvidence } from './anomalies.js';
import { EdgeList, PROCESS, REALTIME, RW, WR, WW } from './graph.js';
import { FAIL, OK, READ, txnIndex, WRITE, lineOfTxn, type Txns } from './txns.js';
import type { EdgeExplainer } from './explain.js';

const EMPTY: readonly unknown[] = [];

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

export interface ListAppendAnalysis {
  explain: EdgeExplainer;
}

export function analyzeListAppend(txns: Txns, edges: EdgeList, anomalies: Anomalies): ListAppendAnalysis {
  const { count, status, mopStart, mopKind, mopKey, mopValue } = txns;
  const keyCount = txns.keys.length;
  const history = txns.history;

  // Appends: writer, key, value; whether it is its writer's last append to that key.
  const appendTxn: number[] = [];
  const appendKey: number[] = [];
  const appendValue: unknown[] = [];
  const appendFinal: number[] = [];
  const appendOf: Map<unknown, number>[] = Array.from({ length: keyCount }, () => new Map());
  // Reads by ok transactions: reader, key, list, whether it is the reader's first access to the key
  // (an external read), and whether the reader appends to the key after it.
  const readTxn: number[] = [];
  const readKey: number[] = [];
  const readList: (readonly unknown[])[] = [];
  const readExternal: number[] = [];
  const readThenAppend: number[] = [];

  // Per transaction, the keys it touched so far and what it knows of each.
  const localKey: number[] = [];
  const localBase: (readonly unknown[] | null)[] = [];
  const localPending: unknown[][] = [];
  const localLastAppend: number[] = [];
  const localExternalRead: number[] = [];

  for (let t = 0; t < count; t++) {
    const st = status[t];
    localKey.length = 0;
    for (let m = mopStart[t]; m < mopStart[t + 1]; m++) {
      const k = mopKey[m];
      let j = localKey.indexOf(k);
      if (mopKind[m] === WRITE) {
        const v = mopValue[m];
        const id = idOf(v);
        const prior = appendOf[k].get(id);
        if (prior !== undefined) {
          throw new HistoryError(history.file, lineOfTxn(txns, t), `list-append needs every appended value unique per key: ${showValue(v)} is appended to key ${showKey(txns.keys[k])} again (first by the transaction at index ${txnIndex(txns, appendTxn[prior])})`);
        }
        const a = appendTxn.length;
        appendTxn.push(t);
        appendKey.push(k);
        appendValue.push(v);
        appendFinal.push(1);
        appendOf[k].set(id, a);
        if (j < 0) {
          j = localKey.push(k) - 1;
          localBase[j] = null;
          localPending[j] = [v];
          localLastAppend[j] = a;
          localExternalRead[j] = -1;
        } else {
          if (localLastAppend[j] >= 0) appendFinal[localLastAppend[j]] = 0;
          localLastAppend[j] = a;
          localPending[j].push(v);
          if (localExternalRead[j] >= 0) readThenAppend[localExternalRead[j]] = 1;
        }
        continue;
      }
      if (st !== OK) continue;
      const raw = mopValue[m];
      const list = raw === null ? EMPTY : (raw as readonly unknown[]);
      const r = readTxn.length;
      readTxn.push(t);
      readKey.push(k);
      readList.push(list);
      readThenAppend.push(0);
      if (j < 0) {
        readExternal.push(1);
        j = localKey.push(k) - 1;
        localBase[j] = list;
        localPending[j] = [];
        localLastAppend[j] = -1;
        localExternalRead[j] = r;
        continue;
      }
      readExternal.push(0);
      checkInternal(txns, t, m, k, localBase[j], localPending[j], list, anomalies);
      localBase[j] = list;
      localPending[j] = [];
    }
    // A first read that already shows what the transaction appends later is a read from the future.
    for (let j = 0; j < localKey.length; j++) {
      const r = localExternalRead[j];
      if (r < 0 || readThenAppend[r] === 0) continue;
      const list = readList[r];
      for (let m = mopStart[t]; m < mopStart[t + 1]; m++) {
        if (mopKind[m] !== WRITE || mopKey[m] !== localKey[j] || !listIncludes(list, mopValue[m])) continue;
        anomalies.add({
          type: 'future-read',
          sentence: `${describeTxn(txns, t)} read key ${showKey(txns.keys[localKey[j]])} = ${showValue(list)}, which already holds ${showValue(mopValue[m])}, a value it appends only later`,
          ops: [txnIndex(txns, t)],
          key: txns.keys[localKey[j]],
          txn: txnEvidence(txns, t),
        });
        break;
      }
    }
  }

  const appendFinalArr = Uint8Array.from(appendFinal);
  const writerStatus = (a: number): number => status[appendTxn[a]];

  // Group reads and appends by key.
  const readsByKey = groupByKey(readKey, keyCount);
  const appendsByKey = groupByKey(appendKey, keyCount);
  const longest = new Int32Array(keyCount).fill(-1);

  for (let k = 0; k < keyCount; k++) {
    const key = txns.keys[k];
    const rs = readsByKey.items.subarray(readsByKey.start[k], readsByKey.start[k + 1]);
    let lmax = -1;
    for (const r of rs) if (lmax < 0 || readList[r].length > readList[lmax].length) lmax = r;
    longest[k] = lmax;
    const order = lmax >= 0 ? readList[lmax] : EMPTY;
    const n = order.length;

    // The version order: who appended each element of the longest read.
    const position = new Map<unknown, number>();
    const writerAt = new Int32Array(n).fill(-1);
    let abortedSeen = -1;
    for (let i = 0; i < n; i++) {
      const v = order[i];
      const id = idOf(v);
      if (position.has(id)) {
        anomalies.add({
          type: 'duplicate-elements',
          sentence: `${describeTxn(txns, readTxn[lmax])} read key ${showKey(key)} = ${showValue(order)}, which holds ${showValue(v)} more than once`,
          ops: [txnIndex(txns, readTxn[lmax])],
          key,
          value: v,
          txn: txnEvidence(txns, readTxn[lmax]),
        });
        continue;
      }
      position.set(id, i);
      const a = appendOf[k].get(id);
      if (a === undefined) {
        const reader = firstReaderOf(rs, i, readList, readTxn);
        anomalies.add({
          type: 'garbage-read',
          sentence: `${describeTxn(txns, reader)} read key ${showKey(key)} = ${showValue(readList[firstReadOf(rs, i, readList, readTxn)])}, but no transaction ever appended ${showValue(v)} to it`,
          ops: [txnIndex(txns, reader)],
          key,
          value: v,
          txn: txnEvidence(txns, reader),
        });
        continue;
      }
      writerAt[i] = appendTxn[a];
      if (writerStatus(a) === FAIL) {
        const r = firstReadOf(rs, i, readList, readTxn);
        const reader = readTxn[r];
        anomalies.add({
          type: 'G1a',
          sentence: `${describeTxn(txns, reader)} read key ${showKey(key)} = ${showValue(readList[r])}, which includes ${showValue(v)}, appended by ${describeTxn(txns, appendTxn[a])}, which failed (an aborted read)`,
          ops: [txnIndex(txns, reader), txnIndex(txns, appendTxn[a])],
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
          ops: [txnIndex(txns, aborted), txnIndex(txns, appendTxn[a])],
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
      if (writerStatus(a) === FAIL || position.has(idOf(appendValue[a]))) continue;
      unseen.push(appendTxn[a]);
      if (last >= 0) edges.add(last, appendTxn[a], WW);
    }

    const lostUpdate = new Map<number, number>();
    for (const r of rs) {
      const list = readList[r];
      const t = readTxn[r];
      if (r !== lmax && !isPrefix(list, order)) {
        anomalies.add({
          type: 'incompatible-order',
          sentence: `key ${showKey(key)} was read as ${showValue(list)} by ${describeTxn(txns, t)} and as ${showValue(order)} by ${describeTxn(txns, readTxn[lmax])}; neither is a prefix of the other, so they cannot come from one order of appends`,
          ops: [txnIndex(txns, t), txnIndex(txns, readTxn[lmax])],
          key,
          values: [list, order],
          txns: [txnEvidence(txns, t), txnEvidence(txns, readTxn[lmax])],
        });
        continue;
      }
      if (readExternal[r] === 0) continue;
      const len = list.length;
      if (len > 0) {
        const w = writerAt[len - 1];
        if (w >= 0 && w !== t && status[w] !== FAIL) {
          edges.add(w, t, WR);
          const a = appendOf[k].get(idOf(list[len - 1]))!;
          if (appendFinalArr[a] === 0) {
            anomalies.add({
              type: 'G1b',
              sentence: `${describeTxn(txns, t)} read key ${showKey(key)} = ${showValue(list)}, ending in ${showValue(list[len - 1])}, but ${describeTxn(txns, w)} appended more to the key after it (an intermediate read)`,
              ops: [txnIndex(txns, t), txnIndex(txns, w)],
              key,
              reader: txnEvidence(txns, t),
              writer: txnEvidence(txns, w),
            });
          }
        }
      }
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
            sentence: `${describeTxn(txns, other)} and ${describeTxn(txns, t)} both read key ${showKey(key)} = ${showValue(list)} and both appended to it; one of them did not see the other's update`,
            ops: [txnIndex(txns, other), txnIndex(txns, t)],
            key,
            value: list,
            txns: [txnEvidence(txns, other), txnEvidence(txns, t)],
          });
        }
      }
    }
  }

  return { explain: listAppendExplainer(txns, readList, readKey, longest) };
}

function isPrefix(list: readonly unknown[], of: readonly unknown[]): boolean {
  if (list.length > of.length) return false;
  for (let i = 0; i < list.length; i++) if (!same(list[i], of[i])) return false;
  return true;
}

/** The first read (in transaction order) long enough to show position `i`. */
function firstReadOf(rs: Int32Array, i: number, readList: (readonly unknown[])[], readTxn: number[]): number {
  let best = -1;
  for (const r of rs) if (readList[r].length > i && (best < 0 || readTxn[r] < readTxn[best])) best = r;
  return best;
}

function firstReaderOf(rs: Int32Array, i: number, readList: (readonly unknown[])[], readTxn: number[]): number {
  return readTxn[firstReadOf(rs, i, readList, readTxn)];
}

/** Items 0..n-1 grouped by their key, by counting sort. */
export function groupByKey(keyOfItem: readonly number[], keyCount: number): { start: Int32Array; items: Int32Array } {
  const start = new Int32Array(keyCount + 1);
  for (const k of keyOfItem) start[k + 1]++;
  for (let k = 0; k < keyCount; k++) start[k + 1] += start[k];
  const fill = start.slice(0, keyCount);
  const items = new Int32Array(keyOfItem.length);
  for (let i = 0; i < keyOfItem.length; i++) items[fill[keyOfItem[i]]++] = i;
  return { start, items };
}

function checkInternal(txns: Txns, t: number, m: number, k: number, base: readonly unknown[] | null, pending: unknown[], list: readonly unknown[], anomalies: Anomalies): void {
  let ok: boolean;
  let expected: string;
  if (base !== null) {
    ok = list.length === base.length + pending.length && isPrefix(base, list);
    for (let i = 0; ok && i < pending.length; i++) ok = same(list[base.length + i], pending[i]);
    expected = showValue([...base, ...pending]);
  } else {
    ok = list.length >= pending.length;
    for (let i = 0; ok && i < pending.length; i++) ok = same(list[list.length - pending.length + i], pending[i]);
    expected = `a list ending in ${showValue(pending).slice(1, -1)}`;
  }
  if (ok) return;
  const op = txns.history.ops[txns.completeAt[t]];
  anomalies.add({
    type: 'internal',
    sentence: `${describeTxn(txns, t)} read key ${showKey(txns.keys[k])} = ${showValue(list)} in micro-op ${m - txns.mopStart[t]}, but its own earlier micro-ops imply ${expected}`,
    ops: [op.index],
    key: txns.keys[k],
    mop: m - txns.mopStart[t],
    txn: txnEvidence(txns, t),
  });
}

function listAppendExplainer(txns: Txns, readList: (readonly unknown[])[], readKey: number[], longest: Int32Array): EdgeExplainer {
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
  const orderOf = (k: number): readonly unknown[] => (longest[k] >= 0 ? readList[longest[k]] : EMPTY);
  const indexIn = (list: readonly unknown[], v: unknown): number => {
    for (let i = 0; i < list.length; i++) if (same(list[i], v)) return i;
    return -1;
  };
  void readKey;
  return (a, b, type, nameA, nameB) => {
    if (type === PROCESS || type === REALTIME) return undefined;
    for (const k of keysOf(a)) {
      const key = showKey(txns.keys[k]);
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
        const list = (mopValue[m] ?? EMPTY) as readonly unknown[];
        if (list.length === 0) continue;
        const lastSeen = list[list.length - 1];
        if (!listIncludes(appendsBy(a, k), lastSeen)) continue;
        return { key: txns.keys[k], sentence: `${nameB} read ${key} = ${showValue(list)}, which includes ${nameA}'s append of ${showValue(lastSeen)}, so ${nameA} wr→ ${nameB}` };
      }
    }
    if (type === RW) {
      for (const k of keysOf(a)) {
        const key = showKey(txns.keys[k]);
        const m = firstAccess(a, k);
        if (m < 0 || mopKind[m] !== READ) continue;
        const list = (mopValue[m] ?? EMPTY) as readonly unknown[];
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
