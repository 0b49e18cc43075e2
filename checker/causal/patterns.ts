// The bad patterns of Bouajjani, Enea, Guerraoui & Hamza, "On Verifying Causal Consistency"
// (POPL 2017), Table 2, for differentiated histories of registers. A history is
//   CC  iff it has none of CyclicCO, WriteCOInitRead, ThinAirRead, WriteCORead;
//   CCv iff it has none of those nor CyclicCF;
//   CM  iff it has none of those nor WriteHBInitRead, CyclicHB.
// CO is (PO ∪ RF)+; docs/causal.md gives every definition and the complexity of each check.
import { INIT, THIN_AIR, type Prepared } from './prepare.js';
import { findCycleBackward, inPast, topoOrder, type Chain, type Clocks, type Via, type WriterSlots } from './order.js';

export type Pattern = 'CyclicCO' | 'WriteCOInitRead' | 'ThinAirRead' | 'WriteCORead' | 'CyclicCF' | 'WriteHBInitRead' | 'CyclicHB';

/** The paper's order, which is also the order in which a result names the first pattern found. */
export const PATTERNS: readonly Pattern[] = ['CyclicCO', 'WriteCOInitRead', 'ThinAirRead', 'WriteCORead', 'CyclicCF', 'WriteHBInitRead', 'CyclicHB'];

export interface Found {
  pattern: Pattern;
  /** The ops in the pattern's roles (dense ids): see each pattern's comment. */
  roles: number[];
  /** The cycle (CyclicCO, CyclicCF, CyclicHB) or the paths that show the orders used. */
  chains: Chain[];
  /** CM: the process whose happens-before order shows the pattern. */
  process?: number;
}

export interface CcOutcome {
  found: Found | undefined;
  /** Reads showing each pattern (CyclicCO: 1 when CO is cyclic). */
  counts: Partial<Record<Pattern, number>>;
}

/** CyclicCO: PO ∪ RF has a cycle. Called when Kahn's algorithm could not order every op. */
export function cyclicCO(P: Prepared, placed: Int32Array, placedCount: number): Found {
  const left = new Uint8Array(P.n).fill(1);
  for (let i = 0; i < placedCount; i++) left[placed[i]] = 0;
  const chain = findCycleBackward(P.n, left, (v, out, kinds, why) => {
    if (P.poPrev[v] >= 0) {
      out.push(P.poPrev[v]);
      kinds.push('po');
      why.push(-1);
    }
    if (!P.isWrite[v] && P.rf[v] >= 0) {
      out.push(P.rf[v]);
      kinds.push('rf');
      why.push(-1);
    }
  });
  return { pattern: 'CyclicCO', roles: chain.ops.slice(), chains: [chain] };
}

/** ThinAirRead reads (no clocks needed): roles [r]. */
export function thinAirReads(P: Prepared): number[] {
  const out: number[] = [];
  for (let r = 0; r < P.n; r++) if (!P.isWrite[r] && P.rf[r] === THIN_AIR) out.push(r);
  return out;
}

/**
 * The CC patterns on an acyclic CO, one pass over the reads with clocks: O(n·C·log n) for C
 * writing processes.
 *  WriteCOInitRead: r reads the initial value of x and some write w(x) CO r. Roles [w, r].
 *  ThinAirRead: r reads a value no write wrote. Roles [r].
 *  WriteCORead: r reads from w1, and w1 CO w2 CO r for a write w2(x) ≠ w1. Roles [w1, w2, r].
 * For a read r of x and a writing process q, the writes of q to x in r's causal past are those up
 * to rank vc[r][q]; the last of them is the one to test, since program order puts every earlier
 * one causally before it.
 */
export function ccPatterns(P: Prepared, K: Clocks, slots: WriterSlots): CcOutcome {
  const { vc, C } = K;
  const counts: Partial<Record<Pattern, number>> = {};
  const first: Partial<Record<Pattern, number[]>> = {};
  const note = (p: Pattern, roles: number[]) => {
    counts[p] = (counts[p] ?? 0) + 1;
    if (!first[p]) first[p] = roles;
  };
  for (let r = 0; r < P.n; r++) {
    if (P.isWrite[r]) continue;
    const src = P.rf[r];
    if (src === THIN_AIR) {
      note('ThinAirRead', [r]);
      continue;
    }
    const ss = slots.byKey[P.key[r]];
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      const w = slots.lastAtOrBefore(s, vc[r * C + slots.slotComp[s]]);
      if (w < 0) continue;
      if (src === INIT) {
        note('WriteCOInitRead', [w, r]);
        break;
      }
      if (w !== src && inPast(P, K, src, w)) {
        note('WriteCORead', [src, w, r]);
        break;
      }
    }
  }
  for (const p of PATTERNS) {
    const roles = first[p];
    if (roles) return { found: { pattern: p, roles, chains: [] }, counts };
  }
  return { found: undefined, counts };
}

/**
 * CyclicCF: CF ∪ CO has a cycle, where w1 CF w2 (both writes of x, w1 ≠ w2) when w1 CO r for a
 * read r that reads from w2. Only the CO-maximal writes of x in r's past need a CF edge (per
 * writing process the last one; earlier ones reach it by program order), so CF contributes at most
 * C edges per read: O(n·C·log n) to build, O(n·C) for Kahn's algorithm. Run on histories free of
 * the CC patterns.
 */
export function cyclicCF(P: Prepared, K: Clocks, slots: WriterSlots): Found | undefined {
  const { n, isWrite, rf, poPrev } = P;
  const { vc, C } = K;
  const from: number[] = [];
  const to: number[] = [];
  const why: number[] = [];
  for (let r = 0; r < n; r++) {
    if (isWrite[r] || rf[r] < 0) continue;
    const w2 = rf[r];
    const ss = slots.byKey[P.key[r]];
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      const w1 = slots.lastAtOrBefore(s, vc[r * C + slots.slotComp[s]]);
      if (w1 < 0 || w1 === w2 || inPast(P, K, w1, w2)) continue;
      from.push(w1);
      to.push(w2);
      why.push(r);
    }
  }
  if (from.length === 0) return undefined;
  const m = from.length;
  const outStart = new Int32Array(n + 1);
  const inStart = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) {
    outStart[from[e] + 1]++;
    inStart[to[e] + 1]++;
  }
  for (let v = 0; v < n; v++) {
    outStart[v + 1] += outStart[v];
    inStart[v + 1] += inStart[v];
  }
  const outList = new Int32Array(m);
  const inList = new Int32Array(m); // edge ids
  const of = outStart.slice(0, n);
  const inf = inStart.slice(0, n);
  for (let e = 0; e < m; e++) {
    outList[of[from[e]]++] = to[e];
    inList[inf[to[e]]++] = e;
  }
  const { order, count: tail } = topoOrder(P, { outStart, outList, inStart });
  if (tail === n) return undefined;
  const left = new Uint8Array(n).fill(1);
  for (let i = 0; i < tail; i++) left[order[i]] = 0;
  const chain = findCycleBackward(n, left, (v, out, kinds, ws) => {
    if (poPrev[v] >= 0) {
      out.push(poPrev[v]);
      kinds.push('po');
      ws.push(-1);
    }
    if (!isWrite[v] && rf[v] >= 0) {
      out.push(rf[v]);
      kinds.push('rf');
      ws.push(-1);
    }
    for (let k = inStart[v]; k < inStart[v + 1]; k++) {
      const e = inList[k];
      out.push(from[e]);
      kinds.push('cf');
      ws.push(why[e]);
    }
  });
  return { pattern: 'CyclicCF', roles: chain.ops.slice(), chains: [chain] };
}

/**
 * The CM patterns, per process p, on histories free of the CC patterns. HB_o (the paper's
 * happens-before for an op o) is the smallest transitive relation that contains CO restricted to
 * o's causal past and, for every read r2 that is o or program-order before it, reading x from
 * w2, orders w1 before w2 for every other write w1 of x with w1 HB_o r2. HB_o grows with o along
 * program order, so o = the last op of each process is the only one to compute.
 *  WriteHBInitRead: a read r of p reads the initial value of x and some w(x) HB_o r. Roles [w, r].
 *  CyclicHB: HB_o has a cycle. Roles: the cycle's ops.
 * HB_o ⊇ CO, so the HB-past of an op is closed under program order: a vector clock again. The
 * clocks start as the CO clocks and grow by a worklist as the rule adds write-to-write edges, until
 * nothing changes (or a cycle shows). Cost per process: O((n + e)·C) per round of growth, where
 * the growth is bounded by the total of all clock components; O(n·C) memory.
 */
export function cmPatterns(P: Prepared, K: Clocks, slots: WriterSlots, deadline: number | undefined): { found?: Found; timedOut?: boolean; processesChecked: number; counts: Partial<Record<Pattern, number>> } {
  const { n, isWrite, rf, poNext, poPrev, proc, seq, readerStart, readerList } = P;
  const { vc, C, comp } = K;
  const nProc = P.processes.length;
  const H = new Int32Array(n * C);
  const mark = new Int32Array(n).fill(-1); // = p when the op is in the causal past of p's last op
  const lastOf = new Int32Array(nProc).fill(-1);
  const readsOf: number[][] = Array.from({ length: nProc }, () => []);
  for (let v = 0; v < n; v++) {
    lastOf[proc[v]] = v;
    if (!isWrite[v] && rf[v] !== THIN_AIR) readsOf[proc[v]].push(v);
  }
  const outHead = new Int32Array(n).fill(-1);
  const inHead = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const ruleQ = new Int32Array(n);
  const inRule = new Uint8Array(n);
  const counts: Partial<Record<Pattern, number>> = {};
  const first: Partial<Record<Pattern, Found>> = {};
  let processesChecked = 0;
  let steps = 0;

  for (let p = 0; p < nProc; p++) {
    const reads = readsOf[p];
    if (reads.length === 0) continue;
    const o = lastOf[p];
    const past: number[] = [];
    for (let v = 0; v < n; v++) {
      if (proc[v] === p || inPast(P, K, v, o)) {
        mark[v] = p;
        past.push(v);
        for (let c = 0; c < C; c++) H[v * C + c] = vc[v * C + c];
        outHead[v] = -1;
        inHead[v] = -1;
      }
    }
    // Edges the rule adds: w1 -> w2 because of read `why`.
    const eFrom: number[] = [];
    const eTo: number[] = [];
    const eWhy: number[] = [];
    const eNextOut: number[] = [];
    const eNextIn: number[] = [];
    /** Is u in the HB-past of v (u HB v or u = v)? */
    const inH = (u: number, v: number): boolean => {
      const c = comp[proc[u]];
      if (c >= 0) return H[v * C + c] >= seq[u];
      return proc[u] === proc[v] && seq[u] <= seq[v];
    };
    const join = (dst: number, src: number): boolean => {
      let changed = false;
      const d = dst * C;
      const s = src * C;
      for (let c = 0; c < C; c++) {
        if (H[s + c] > H[d + c]) {
          H[d + c] = H[s + c];
          changed = true;
        }
      }
      return changed;
    };
    let sp = 0;
    let rq = 0;
    const pushProp = (v: number) => {
      if (!onStack[v]) {
        onStack[v] = 1;
        stack[sp++] = v;
      }
    };
    const pushRule = (r: number) => {
      if (!inRule[r] && rf[r] >= 0) {
        inRule[r] = 1;
        ruleQ[rq++] = r;
      }
    };
    for (const r of reads) pushRule(r);
    let cycle: { a: number; b: number; via: Via; why: number } | undefined;
    let timedOut = false;
    // Edge a -> b (b a write) closes a cycle when b is already in a's HB-past.
    const edge = (a: number, b: number, via: Via, why: number): boolean => {
      if (inH(b, a)) {
        cycle = { a, b, via, why };
        return false;
      }
      if (join(b, a)) {
        pushProp(b);
        if (!isWrite[b] && proc[b] === p) pushRule(b);
      }
      return true;
    };
    outer: while (rq > 0 || sp > 0) {
      while (sp > 0) {
        const u = stack[--sp];
        onStack[u] = 0;
        if ((++steps & 4095) === 0 && deadline !== undefined && Date.now() > deadline) {
          timedOut = true;
          break outer;
        }
        const nx = poNext[u];
        if (nx >= 0 && mark[nx] === p && !edge(u, nx, 'po', -1)) break outer;
        if (isWrite[u]) {
          for (let k = readerStart[u]; k < readerStart[u + 1]; k++) {
            const r = readerList[k];
            if (mark[r] === p && !edge(u, r, 'rf', -1)) break outer;
          }
          for (let e = outHead[u]; e >= 0; e = eNextOut[e]) if (!edge(u, eTo[e], 'hb', eWhy[e])) break outer;
        }
      }
      while (rq > 0 && sp === 0) {
        const r2 = ruleQ[--rq];
        inRule[r2] = 0;
        const w2 = rf[r2];
        const ss = slots.byKey[P.key[r2]];
        for (let i = 0; i < ss.length; i++) {
          const s = ss[i];
          const w1 = slots.lastAtOrBefore(s, H[r2 * C + slots.slotComp[s]]);
          if (w1 < 0 || w1 === w2 || inH(w1, w2)) continue;
          const e = eFrom.length;
          eFrom.push(w1);
          eTo.push(w2);
          eWhy.push(r2);
          eNextOut.push(outHead[w1]);
          outHead[w1] = e;
          eNextIn.push(inHead[w2]);
          inHead[w2] = e;
          if (!edge(w1, w2, 'hb', r2)) break outer;
        }
      }
    }
    // Clear the worklists' flags for the next process.
    for (let i = 0; i < sp; i++) onStack[stack[i]] = 0;
    for (let i = 0; i < rq; i++) inRule[ruleQ[i]] = 0;
    if (timedOut) return { timedOut: true, processesChecked, counts };
    processesChecked++;

    /** A path a ⇝ b in the graph PO ∪ RF ∪ added edges over p's past, by a backward search from b. */
    const hbPath = (a: number, b: number): Chain => {
      // next[x] = y: the path goes x -> y (by edgeVia[x], justified by edgeWhy[x]) on its way to b.
      const next = new Map<number, number>([[b, -1]]);
      const edgeVia = new Map<number, Via>();
      const edgeWhy = new Map<number, number>();
      const queue = [b];
      for (let qi = 0; qi < queue.length && !next.has(a); qi++) {
        const y = queue[qi];
        const visit = (x: number, via: Via, why: number) => {
          if (x < 0 || mark[x] !== p || next.has(x)) return;
          next.set(x, y);
          edgeVia.set(x, via);
          edgeWhy.set(x, why);
          queue.push(x);
        };
        visit(poPrev[y], 'po', -1);
        if (!isWrite[y] && rf[y] >= 0) visit(rf[y], 'rf', -1);
        for (let e = inHead[y]; e >= 0; e = eNextIn[e]) visit(eFrom[e], 'hb', eWhy[e]);
      }
      const ops: number[] = [];
      const via: Via[] = [];
      const why: number[] = [];
      let prev = -1;
      for (let x = a; x >= 0; prev = x, x = next.get(x)!) {
        ops.push(x);
        via.push(prev < 0 ? 'po' : edgeVia.get(prev)!);
        why.push(prev < 0 ? -1 : edgeWhy.get(prev)!);
      }
      return { ops, via, why };
    };

    if (cycle) {
      const c = cycle as { a: number; b: number; via: Via; why: number };
      // b ⇝ a in HB, and the edge a -> b closes the cycle.
      const path = hbPath(c.b, c.a);
      path.via[0] = c.via;
      path.why[0] = c.why;
      counts.CyclicHB = (counts.CyclicHB ?? 0) + 1;
      first.CyclicHB ??= { pattern: 'CyclicHB', roles: path.ops.slice(), chains: [path], process: p };
      continue;
    }
    for (const r of reads) {
      if (rf[r] !== INIT) continue;
      const ss = slots.byKey[P.key[r]];
      let w = -1;
      for (let i = 0; i < ss.length && w < 0; i++) w = slots.lastAtOrBefore(ss[i], H[r * C + slots.slotComp[ss[i]]]);
      if (w < 0) continue;
      counts.WriteHBInitRead = (counts.WriteHBInitRead ?? 0) + 1;
      first.WriteHBInitRead ??= { pattern: 'WriteHBInitRead', roles: [w, r], chains: [hbPath(w, r)], process: p };
      break;
    }
  }
  const found = first.WriteHBInitRead ?? first.CyclicHB;
  return { found, processesChecked, counts };
}
