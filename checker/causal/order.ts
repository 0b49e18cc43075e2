// The causal order CO = (PO ∪ RF)+ of a prepared history: a topological order of PO ∪ RF (or a
// cycle in it), and vector clocks over CO. A clock has one component per writing process: the
// number of that process's ops in the op's causal past (inclusive). A process that never writes
// needs no component: its ops are causally before nothing outside their own process, since CO
// leaves a process only by a read-from edge out of one of its writes.
import type { Prepared } from './prepare.js';

/** An edge kind in evidence: program order, read-from, conflict (CCv), happens-before (CM). */
export type Via = 'po' | 'rf' | 'cf' | 'hb';

/**
 * The ops of a cycle or a path, in order; `via[i]` is the kind of the edge into ops[i] from
 * ops[i-1] (for a cycle, via[0] is the edge from the last op back to the first; for a path it is
 * unused).
 */
export interface Chain {
  ops: number[];
  via: Via[];
  /** For a cf or hb step: the read that justifies it; else -1. */
  why: number[];
}

/** Edges from writes beyond PO ∪ RF (e.g. CF), as CSR by source write; `inStart` counts each target's. */
export interface ExtraEdges {
  outStart: Int32Array;
  outList: Int32Array;
  inStart: Int32Array;
}

/** Kahn's algorithm over PO ∪ RF (∪ `extra`); `order` holds all n ids when acyclic. */
export function topoOrder(P: Prepared, extra?: ExtraEdges): { order: Int32Array; count: number } {
  const { n, poPrev, poNext, rf, isWrite, readerStart, readerList } = P;
  const indeg = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    indeg[v] = (poPrev[v] >= 0 ? 1 : 0) + (!isWrite[v] && rf[v] >= 0 ? 1 : 0) + (extra ? extra.inStart[v + 1] - extra.inStart[v] : 0);
  }
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let v = 0; v < n; v++) if (indeg[v] === 0) order[tail++] = v;
  while (head < tail) {
    const u = order[head++];
    const nx = poNext[u];
    if (nx >= 0 && --indeg[nx] === 0) order[tail++] = nx;
    if (isWrite[u]) {
      for (let k = readerStart[u]; k < readerStart[u + 1]; k++) {
        const r = readerList[k];
        if (--indeg[r] === 0) order[tail++] = r;
      }
      if (extra) {
        for (let k = extra.outStart[u]; k < extra.outStart[u + 1]; k++) if (--indeg[extra.outList[k]] === 0) order[tail++] = extra.outList[k];
      }
    }
  }
  return { order, count: tail };
}

/**
 * A cycle among the ops Kahn's algorithm left (each has a predecessor also left): walk back along
 * predecessors until an op repeats. O(n).
 */
export function findCycleBackward(n: number, left: Uint8Array, preds: (v: number, out: number[], kinds: Via[], why: number[]) => void): Chain {
  let start = -1;
  for (let v = 0; v < n && start < 0; v++) if (left[v]) start = v;
  const stepOf = new Int32Array(n).fill(-1);
  const walk: number[] = [];
  const walkVia: Via[] = [];
  const walkWhy: number[] = [];
  const ps: number[] = [];
  const ks: Via[] = [];
  const ws: number[] = [];
  let v = start;
  while (stepOf[v] < 0) {
    stepOf[v] = walk.length;
    walk.push(v);
    ps.length = 0;
    ks.length = 0;
    ws.length = 0;
    preds(v, ps, ks, ws);
    let k = 0;
    while (!left[ps[k]]) k++;
    walkVia.push(ks[k]);
    walkWhy.push(ws[k]);
    v = ps[k];
  }
  // walk[i] has predecessor walk[i+1] via walkVia[i]; the cycle is walk[stepOf[v] ..], reversed.
  const from = stepOf[v];
  const ops: number[] = [];
  const via: Via[] = [];
  const why: number[] = [];
  // (walkVia[i] is the edge into walk[i]; for the last one it comes from walk[from], closing the cycle.)
  for (let i = walk.length - 1; i >= from; i--) {
    ops.push(walk[i]);
    via.push(walkVia[i]);
    why.push(walkWhy[i]);
  }
  return { ops, via, why };
}

export interface Clocks {
  /** Component of each dense process, or -1 for a process that never writes. */
  comp: Int32Array;
  /** Dense process of each component. */
  compProc: Int32Array;
  C: number;
  /** n × C, row-major. */
  vc: Int32Array;
}

export function componentsOf(P: Prepared): { comp: Int32Array; compProc: Int32Array; C: number } {
  const comp = new Int32Array(P.processes.length).fill(-1);
  const compProc: number[] = [];
  for (let v = 0; v < P.n; v++) {
    if (P.isWrite[v] && comp[P.proc[v]] < 0) {
      comp[P.proc[v]] = compProc.length;
      compProc.push(P.proc[v]);
    }
  }
  return { comp, compProc: Int32Array.from(compProc), C: compProc.length };
}

/** Vector clocks over CO, computed in the topological order. O(n·C). */
export function vectorClocks(P: Prepared, order: Int32Array, comps: { comp: Int32Array; compProc: Int32Array; C: number }): Clocks {
  const { comp, C } = comps;
  const { n, poPrev, rf, isWrite, proc, seq } = P;
  const vc = new Int32Array(n * C);
  for (let i = 0; i < n; i++) {
    const v = order[i];
    const row = v * C;
    const p = poPrev[v];
    if (p >= 0) vc.copyWithin(row, p * C, p * C + C);
    if (!isWrite[v] && rf[v] >= 0) {
      const s = rf[v] * C;
      for (let c = 0; c < C; c++) if (vc[s + c] > vc[row + c]) vc[row + c] = vc[s + c];
    }
    const c = comp[proc[v]];
    if (c >= 0) vc[row + c] = seq[v];
  }
  return { ...comps, vc };
}

/** Is u in the causal past of v (u CO v, or u = v)? O(1). */
export function inPast(P: Prepared, K: Clocks, u: number, v: number): boolean {
  const c = K.comp[P.proc[u]];
  if (c >= 0) return K.vc[v * K.C + c] >= P.seq[u];
  return P.proc[u] === P.proc[v] && P.seq[u] <= P.seq[v];
}

/**
 * The writes of each key grouped by process (component), in program order: per key a list of
 * slots, each slot's writes with their ranks ascending.
 */
export class WriterSlots {
  /** Per key: slot ids. */
  readonly byKey: number[][];
  readonly slotComp: number[] = [];
  readonly slotSeq: Int32Array[] = [];
  readonly slotOp: Int32Array[] = [];

  constructor(P: Prepared, K: { comp: Int32Array }) {
    const keys = P.keys.length;
    this.byKey = Array.from({ length: keys }, () => []);
    const slotAt = new Map<number, number>();
    const seqs: number[][] = [];
    const opsOf: number[][] = [];
    const compCount = Math.max(1, K.comp.length);
    for (let v = 0; v < P.n; v++) {
      if (!P.isWrite[v]) continue;
      const c = K.comp[P.proc[v]];
      const id = P.key[v] * compCount + c;
      let s = slotAt.get(id);
      if (s === undefined) {
        s = seqs.length;
        slotAt.set(id, s);
        seqs.push([]);
        opsOf.push([]);
        this.slotComp.push(c);
        this.byKey[P.key[v]].push(s);
      }
      seqs[s].push(P.seq[v]);
      opsOf[s].push(v);
    }
    for (let s = 0; s < seqs.length; s++) {
      this.slotSeq.push(Int32Array.from(seqs[s]));
      this.slotOp.push(Int32Array.from(opsOf[s]));
    }
  }

  /** The last write of slot `s` whose rank is at most `rank`, or -1. */
  lastAtOrBefore(s: number, rank: number): number {
    const a = this.slotSeq[s];
    if (a.length === 0 || a[0] > rank) return -1;
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (a[mid] <= rank) lo = mid;
      else hi = mid - 1;
    }
    return this.slotOp[s][lo];
  }
}

/**
 * A path a ⇝ b in CO (a in the causal past of b, a ≠ b), walking back from b through
 * predecessors whose past still holds a. O(path length).
 */
export function coPath(P: Prepared, K: Clocks, a: number, b: number): Chain {
  const rev: number[] = [b];
  const revVia: Via[] = [];
  let v = b;
  while (v !== a) {
    const p = P.poPrev[v];
    if (p >= 0 && (p === a || inPast(P, K, a, p))) {
      revVia.push('po');
      v = p;
    } else {
      revVia.push('rf');
      v = P.rf[v];
    }
    rev.push(v);
  }
  const ops = rev.reverse();
  const via: Via[] = ['po', ...revVia.reverse()];
  return { ops, via, why: ops.map(() => -1) };
}
