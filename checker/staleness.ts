// Replication lag as the history shows it: for each ok read, the writes known to be newer than the
// version it returned (invoked after that version's write completed) that were already
// acknowledged when the read was invoked. Counts of fresh and stale reads, how far behind
// (versions) and for how long (ms), overall and per node. Invalid only for a read of a value never
// written, or final reads that do not agree (docs/session-staleness.md).
import type { History } from '../histories/history.js';
import { summarizeLatencies, type LatencySummary } from './perf.js';
import { INITIAL, NEVER, prepareRegisters, UNKNOWN, type Registers } from './session/registers.js';
import { showKey, showValue } from './txn/anomalies.js';
import { groupByKey } from './txn/vec.js';
import { valueKey } from './linearizable/values.js';
import type { Checker, CheckContext, Result } from './types.js';
import { nothingToCheck } from './relevant.js';

export interface CountSummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface StalenessFigures {
  reads: number;
  fresh: number;
  stale: number;
  /** Stale reads: ms from the acknowledgement of the newest write they missed to their invocation. */
  lagMs: LatencySummary;
  /** Stale reads: ms from the acknowledgement of the first write they missed (the returned version had been superseded that long). */
  supersededMs: LatencySummary;
  /** Stale reads: how many acknowledged writes known to be newer they missed. */
  versionsBehind: CountSummary;
}

export interface StaleRead {
  /** `index` of the read's completion. */
  index: number;
  key?: unknown;
  value: unknown;
  node?: string;
  versionsBehind: number;
  lagMs: number | null;
  supersededMs: number | null;
  /** `index` of the newest and of the first acknowledged write the read missed. */
  newest: number;
  first: number;
}

export interface StalenessAnalysis {
  /** Per read: acknowledged writes known newer than its version (-1 for a read of an unwritten value). */
  behind: Int32Array;
  /** Per read: the newest and first of them (write ids; -1 when none). */
  newest: Int32Array;
  first: Int32Array;
}

function countSummary(xs: number[]): CountSummary {
  const sorted = Float64Array.from(xs).sort();
  const rank = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN);
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

/**
 * For every ok read, the acknowledged writes known to be newer than the version it returned: write
 * w counts when it completed ok before the read was invoked and was invoked after the returned
 * version's write completed. One sweep in history order; per key a Fenwick tree over the writes in
 * invocation order holds the acknowledged ones (count, first and newest acknowledged), and a read
 * asks for the suffix of writes invoked after its version completed: O(log n) per read.
 */
export function analyzeStaleness(reg: Registers): StalenessAnalysis {
  const { wKey, wInv, wComp, rKey, rInv, rVer } = reg;
  const nKeys = Math.max(1, reg.keys.length);
  const { start, items } = groupByKey(wKey, nKeys);
  const rankOf = new Int32Array(reg.writes);
  const invSorted = new Int32Array(reg.writes); // per key segment: invocation positions, ascending
  for (let k = 0; k < nKeys; k++) {
    for (let j = start[k]; j < start[k + 1]; j++) {
      rankOf[items[j]] = j - start[k];
      invSorted[j] = wInv[items[j]];
    }
  }
  // Fenwick trees, one per key segment (1-based inside the segment, on reversed rank so a suffix of
  // invocation order is a prefix): count, and min / max acknowledgement sequence number.
  const size = reg.writes + nKeys;
  const cnt = new Int32Array(size);
  const minSeq = new Int32Array(size).fill(0x7fffffff);
  const maxSeq = new Int32Array(size).fill(-1);
  const seqWrite = new Int32Array(reg.writes);
  let seq = 0;

  let maxPos = -1;
  for (let r = 0; r < reg.reads; r++) if (rInv[r] > maxPos) maxPos = rInv[r];
  for (let w = 0; w < reg.writes; w++) if (wComp[w] !== NEVER && wComp[w] > maxPos) maxPos = wComp[w];
  const ev = new Int32Array(maxPos + 1).fill(-1);
  for (let r = 0; r < reg.reads; r++) ev[rInv[r]] = r * 2;
  for (let w = 0; w < reg.writes; w++) if (wComp[w] !== NEVER) ev[wComp[w]] = w * 2 + 1;

  const behind = new Int32Array(reg.reads).fill(-1);
  const newest = new Int32Array(reg.reads).fill(-1);
  const first = new Int32Array(reg.reads).fill(-1);
  for (let pos = 0; pos <= maxPos; pos++) {
    const e = ev[pos];
    if (e < 0) continue;
    const id = e >> 1;
    if (e & 1) {
      const k = wKey[id];
      const base = start[k] + k;
      const n = start[k + 1] - start[k];
      const s = seq++;
      seqWrite[s] = id;
      for (let j = n - rankOf[id]; j <= n; j += j & -j) {
        cnt[base + j]++;
        if (s < minSeq[base + j]) minSeq[base + j] = s;
        if (s > maxSeq[base + j]) maxSeq[base + j] = s;
      }
      continue;
    }
    const x = rVer[id];
    if (x === UNKNOWN) continue;
    const k = rKey[id];
    const base = start[k] + k;
    const cx = x === INITIAL ? -1 : wComp[x];
    // First write of the key (invocation order) invoked after the version read completed.
    let lo = start[k];
    let hi = start[k + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (invSorted[mid] > cx) hi = mid;
      else lo = mid + 1;
    }
    let c = 0;
    let mn = 0x7fffffff;
    let mx = -1;
    for (let j = start[k + 1] - lo; j > 0; j -= j & -j) {
      c += cnt[base + j];
      if (minSeq[base + j] < mn) mn = minSeq[base + j];
      if (maxSeq[base + j] > mx) mx = maxSeq[base + j];
    }
    behind[id] = c;
    if (c > 0) {
      newest[id] = seqWrite[mx];
      first[id] = seqWrite[mn];
    }
  }
  return { behind, newest, first };
}

const msOf = (ns: number): number | null => (Number.isFinite(ns) ? Math.round(ns / 1e3) / 1e3 : null);

interface Acc {
  reads: number;
  fresh: number;
  stale: number;
  lag: number[];
  superseded: number[];
  behind: number[];
}
const acc = (): Acc => ({ reads: 0, fresh: 0, stale: 0, lag: [], superseded: [], behind: [] });
const figures = (a: Acc): StalenessFigures => ({
  reads: a.reads,
  fresh: a.fresh,
  stale: a.stale,
  lagMs: summarizeLatencies(a.lag),
  supersededMs: summarizeLatencies(a.superseded),
  versionsBehind: countSummary(a.behind),
});

/** What staleness measures against, as the result says it. */
export const STALENESS_NOTE =
  'measured against real time: a read is stale when a write acknowledged before it was invoked was itself invoked after the version read was acknowledged; a measure of replication lag, not a verdict on the order the store claims';

/** A duration in ms for a summary: sub-0.1 ms lags print as such, not as a puzzling "0.0". */
function msText(x: number): string {
  return x < 0.1 ? '<0.1 ms' : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

/**
 * The measurement in one line (what `faultline check` prints beside the verdict): how many reads
 * were stale and by how much. The verdict only says no read saw a value never written and the
 * final reads agree; this is what the checker is for.
 */
function stalenessSummary(f: StalenessFigures): string {
  if (f.reads === 0) return 'no ok read to measure';
  if (f.stale === 0) return `${f.reads} reads, none stale`;
  const behind = f.versionsBehind.count > 0 ? `, up to ${f.versionsBehind.max} version${f.versionsBehind.max === 1 ? '' : 's'} behind` : '';
  const sup = f.supersededMs.count > 0 ? `; out of date by p50 ${msText(f.supersededMs.p50)}, max ${msText(f.supersededMs.max)}` : '';
  return `${f.stale} of ${f.reads} reads stale${behind}${sup}`;
}

function maxExamplesOf(ctx: CheckContext): number {
  const m = ctx.options?.maxExamples;
  return typeof m === 'number' && m >= 0 ? Math.floor(m) : 100;
}

export const staleness: Checker = {
  name: 'staleness',
  description: 'replication lag of reads: fresh and stale reads, versions behind and ms behind (p50/p99/max, per node); invalid for reads of unwritten values or final reads that disagree',
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const none = nothingToCheck(h, 'staleness', ['read', 'write', 'cas']);
    if (none) return none;
    const reg = prepareRegisters(h);
    const { behind, newest, first } = analyzeStaleness(reg);
    const maxExamples = maxExamplesOf(ctx);
    const all = acc();
    const byNode = new Map<string, Acc>();
    const keyField = (k: number) => (reg.keyed ? { key: reg.keys[k] } : {});
    const keyPart = (k: number) => (reg.keyed ? ` of key ${showKey(reg.keys[k])}` : '');
    const garbage: { index: number; key?: unknown; value: unknown; sentence: string }[] = [];
    let garbageCount = 0;
    let stalest: StaleRead | undefined;
    let stalestTimed = false;
    let stalestScore = -Infinity;

    for (let r = 0; r < reg.reads; r++) {
      const node = reg.rNode[r];
      if (reg.rVer[r] === UNKNOWN) {
        garbageCount++;
        if (garbage.length < maxExamples) {
          const fw = reg.rFailedWrite[r];
          garbage.push({
            index: reg.rIndex[r],
            ...keyField(reg.rKey[r]),
            value: reg.rValue[r],
            sentence: `the read at index ${reg.rIndex[r]}${keyPart(reg.rKey[r])} returned ${showValue(reg.rValue[r])}, which ${fw >= 0 ? `only a failed write (index ${fw}) wrote` : 'no write wrote'}.`,
          });
        }
        continue;
      }
      let n: Acc | undefined;
      if (node !== undefined) {
        n = byNode.get(node);
        if (!n) byNode.set(node, (n = acc()));
        n.reads++;
      }
      all.reads++;
      const b = behind[r];
      if (b === 0) {
        all.fresh++;
        if (n) n.fresh++;
        continue;
      }
      all.stale++;
      all.behind.push(b);
      const t = reg.rInvTime[r];
      const lag = t - reg.wCompTime[newest[r]];
      const sup = t - reg.wCompTime[first[r]];
      if (Number.isFinite(lag)) all.lag.push(lag);
      if (Number.isFinite(sup)) all.superseded.push(sup);
      if (n) {
        n.stale++;
        n.behind.push(b);
        if (Number.isFinite(lag)) n.lag.push(lag);
        if (Number.isFinite(sup)) n.superseded.push(sup);
      }
      // The stalest read: longest superseded, or (without times) most versions behind.
      const isTimed = Number.isFinite(sup);
      const score = isTimed ? sup : b;
      if (stalest === undefined || (isTimed && !stalestTimed) || (isTimed === stalestTimed && score > stalestScore)) {
        stalestTimed = isTimed;
        stalestScore = score;
        stalest = {
          index: reg.rIndex[r],
          ...keyField(reg.rKey[r]),
          value: reg.rValue[r],
          ...(node !== undefined ? { node } : {}),
          versionsBehind: b,
          lagMs: msOf(lag),
          supersededMs: msOf(sup),
          newest: reg.wIndex[newest[r]],
          first: reg.wIndex[first[r]],
        };
      }
    }

    // Final reads: per key, all must return the same value — except that a write whose outcome
    // is unknown (info, or never completed) may take effect at any time, even between two final
    // reads. So reads disagree for good only when two of the values they return were settled
    // before the final phase: written by acknowledged writes, or the initial nil.
    const finals = new Map<number, Map<number | string, { value: unknown; ops: number[]; nodes: string[]; settled: boolean }>>();
    let finalReads = 0;
    for (let r = 0; r < reg.reads; r++) {
      if (!reg.rFinal[r]) continue;
      finalReads++;
      const k = reg.rKey[r];
      let m = finals.get(k);
      if (!m) finals.set(k, (m = new Map()));
      const v = reg.rValue[r];
      const vk = v === null || v === undefined ? 'null' : valueKey(v);
      let g = m.get(vk);
      const ver = reg.rVer[r];
      if (!g) m.set(vk, (g = { value: v ?? null, ops: [], nodes: [], settled: ver === INITIAL || (ver >= 0 && reg.wComp[ver] !== NEVER) }));
      g.ops.push(reg.rIndex[r]);
      if (reg.rNode[r] !== undefined) g.nodes.push(reg.rNode[r]!);
    }
    const divergent: { key?: unknown; values: { value: unknown; ops: number[]; nodes: string[] }[]; sentence: string }[] = [];
    const lateWrites: { key?: unknown; values: unknown[] }[] = [];
    for (const [k, m] of finals) {
      if (m.size < 2) continue;
      const values = [...m.values()].map(({ settled: _s, ...g }) => g);
      if ([...m.values()].filter((g) => g.settled).length < 2) {
        lateWrites.push({ ...keyField(k), values: values.map((g) => g.value) });
        continue;
      }
      const parts = values.map((g) => `${showValue(g.value)} (index ${g.ops.join(', ')}${g.nodes.length ? `; ${g.nodes.join(', ')}` : ''})`);
      divergent.push({ ...keyField(k), values, sentence: `the final reads${keyPart(k)} disagree: ${parts.join(' vs ')}.` });
    }

    const overall = figures(all);
    const result: Result = {
      valid: garbageCount === 0 && divergent.length === 0,
      // Staleness is a measure against real time, whatever order the store claims (session's
      // default is causal order): said in the result, so no one reads it as a verdict on that.
      versionOrder: 'realtime',
      note: STALENESS_NOTE,
      summary: stalenessSummary(overall),
      ...overall,
      ...(byNode.size ? { byNode: Object.fromEntries([...[...byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))].map(([node, a]) => [node, figures(a)])) } : {}),
      ...(stalest ? { stalest } : {}),
      unwritten: { count: garbageCount, reads: garbage },
      final: {
        reads: finalReads,
        keys: finals.size,
        converged: divergent.length === 0,
        ...(divergent.length ? { divergent } : {}),
        // Disagreements explained by writes of unknown outcome landing during the final reads.
        ...(lateWrites.length ? { lateWrites } : {}),
      },
      writes: reg.writes,
      ...(reg.ignored ? { ignored: reg.ignored } : {}),
    };
    const why: string[] = [];
    const ops: number[] = [];
    if (garbageCount) {
      why.push(`${garbage[0]?.sentence ?? 'a read returned a value no write wrote.'}${garbageCount > 1 ? ` (${garbageCount} such reads)` : ''}`);
      if (garbage[0]) ops.push(garbage[0].index);
    }
    if (divergent.length) {
      why.push(`${divergent[0].sentence}${divergent.length > 1 ? ` (${divergent.length} keys disagree)` : ''}`);
      for (const g of divergent[0].values) ops.push(...g.ops);
    }
    if (why.length) {
      result.explanation = why.join(' ');
      result.ops = ops.sort((a, b) => a - b);
    }
    return result;
  },
};
