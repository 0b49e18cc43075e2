// The process version order (`versionOrder: process`), for stores that claim each key is
// sequentially consistent (Elle's sequential-keys): a process sees a key's versions in the order
// the store applies them, so a version a process saw (read, or wrote itself) before another is
// older, and so, transitively, across processes. The order is the whole history's: evidence from
// any process at any time counts. Where processes saw versions in contradicting orders, the
// versions on such a cycle are each known older than the other (the store showed no order of
// them at all), and a read that goes from one to another is flagged.
//
// Built as a graph of versions (an edge from each version a process saw of a key to the next one
// it saw of that key) and its strongly connected components (Tarjan). The check asks only whether
// a version x read after s in one process's sequence is older than s; that sequence puts s before
// x already, so the answer is whether x and s are on one cycle: O(1) per question.
import { showValue } from '../txn/anomalies.js';
import { buildGraph, EdgeList, stronglyConnected } from '../txn/graph.js';
import type { VersionOracle } from './oracle.js';
import { INITIAL, NEVER, UNKNOWN, type Registers } from './registers.js';
import type { OrderStep } from './types.js';

/** Edges walked, at most, to show one path in evidence. */
const PATH_BUDGET = 100_000;

export class ProcessOrder implements VersionOracle {
  readonly order = 'process' as const;
  /** Component of each write in the graph of what processes saw. */
  private readonly comp: Int32Array;
  /** Per write: 1 when its component holds more than one version (a contradiction). */
  private readonly cyclic: Uint8Array;
  /** Edges: source and target version, the process, and the `index` of the two ops. */
  private readonly edges: EdgeList;
  private readonly eProc: number[] = [];
  private readonly eFrom: number[] = [];
  private readonly eTo: number[] = [];
  private outStart: Int32Array | undefined;
  private outList: Int32Array | undefined;

  constructor(private readonly reg: Registers) {
    const { writes: W, reads: R, wInv, wComp, wProc, wKey, rVer, rComp, rProc, rKey } = reg;
    const read = new Uint8Array(W);
    for (let r = 0; r < R; r++) if (rVer[r] >= 0) read[rVer[r]] = 1;
    const inOrder = (w: number): boolean => wComp[w] !== NEVER || read[w] === 1;

    // Each process's accesses of a key in its order: its own writes (at invocation) and its reads
    // (at completion) of written versions. nil is older than every write and needs no edge.
    let maxPos = 0;
    for (let w = 0; w < W; w++) if (wInv[w] > maxPos) maxPos = wInv[w];
    for (let r = 0; r < R; r++) if (rComp[r] > maxPos) maxPos = rComp[r];
    const ev = new Int32Array(maxPos + 1).fill(-1);
    for (let w = 0; w < W; w++) if (inOrder(w)) ev[wInv[w]] = w;
    for (let r = 0; r < R; r++) if (rVer[r] !== UNKNOWN && rVer[r] !== INITIAL) ev[rComp[r]] = W + r;
    const nKeys = Math.max(1, reg.keys.length);
    const last = new Map<number, number>(); // (process, key) -> last event
    this.edges = new EdgeList(1024);
    for (let pos = 0; pos <= maxPos; pos++) {
      const e = ev[pos];
      if (e < 0) continue;
      const isWrite = e < W;
      const v = isWrite ? e : rVer[e - W];
      const p = isWrite ? wProc[e] : rProc[e - W];
      const k = isWrite ? wKey[e] : rKey[e - W];
      const id = p * nKeys + k;
      const prev = last.get(id);
      last.set(id, e);
      if (prev === undefined) continue;
      const u = prev < W ? prev : rVer[prev - W];
      if (u === v) continue;
      this.edges.add(u, v, 1);
      this.eProc.push(reg.processes[p]);
      this.eFrom.push(prev < W ? reg.wIndex[prev] : reg.rIndex[prev - W]);
      this.eTo.push(isWrite ? reg.wIndex[e] : reg.rIndex[e - W]);
    }

    // Components: a version shares one with another when each was seen before the other.
    const { component, nontrivial } = stronglyConnected(buildGraph(W, this.edges), 1);
    this.comp = component;
    this.cyclic = new Uint8Array(W);
    for (const c of nontrivial) for (const v of c) this.cyclic[v] = 1;
  }

  /** The component of version v (a write id). */
  componentOf(v: number): number {
    return this.comp[v];
  }

  /** Whether v is on a cycle: seen both before and after another version. */
  onCycle(v: number): boolean {
    return v >= 0 && this.cyclic[v] === 1;
  }

  /**
   * Known older, for x read after s in one process's sequence (the only questions the check
   * asks): the sequence already puts s before x, so x is older exactly when the two are on one
   * cycle. nil is older than every write.
   */
  older(x: number, s: number): boolean {
    if (s === INITIAL || x === s) return false;
    if (x === INITIAL) return true;
    return this.cyclic[x] === 1 && this.comp[x] === this.comp[s];
  }

  why(x: number, s: number): { text: string; path?: OrderStep[] } {
    const reg = this.reg;
    const path = this.path(x, s);
    const shown = path
      ? `: ${path.map((st) => { const t = st as { process: number; from: number; to: number }; return `process ${t.process} index ${t.from} → ${t.to}`; }).join(', ')}`
      : '';
    const cyclic = this.comp[x] === this.comp[s];
    return {
      text: `processes saw ${showValue(reg.wValue[x])} (index ${reg.wIndex[x]}) before ${showValue(reg.wValue[s])} (index ${reg.wIndex[s]})${cyclic ? ' (and also after it: no order of these versions exists)' : ''}${shown}`,
      ...(path ? { path } : {}),
    };
  }

  /** The edges of a shortest path from x to s, by breadth-first search (within the budget). */
  private path(x: number, s: number): OrderStep[] | undefined {
    const W = this.reg.writes;
    if (this.outStart === undefined) {
      const start = new Int32Array(W + 1);
      const n = this.edges.length;
      for (let i = 0; i < n; i++) start[this.edges.src[i] + 1]++;
      for (let v = 0; v < W; v++) start[v + 1] += start[v];
      const fill = start.slice(0, W);
      const list = new Int32Array(n);
      for (let i = 0; i < n; i++) list[fill[this.edges.src[i]]++] = i;
      this.outStart = start;
      this.outList = list;
    }
    const start = this.outStart;
    const list = this.outList!;
    const via = new Map<number, number>([[x, -1]]);
    const queue = [x];
    let budget = PATH_BUDGET;
    for (let head = 0; head < queue.length && budget > 0; head++) {
      const v = queue[head];
      for (let i = start[v]; i < start[v + 1] && budget-- > 0; i++) {
        const e = list[i];
        const t = this.edges.dst[e];
        if (via.has(t)) continue;
        via.set(t, e);
        if (t === s) {
          const steps: OrderStep[] = [];
          for (let u = s; u !== x; ) {
            const f = via.get(u)!;
            steps.push({ process: this.eProc[f], from: this.eFrom[f], to: this.eTo[f] });
            u = this.edges.src[f];
          }
          return steps.reverse();
        }
        queue.push(t);
      }
    }
    return undefined;
  }
}
