// The causal version order (the session checker's default): write x is known older than write y
// when x is in y's causal past — (program order ∪ reads-from)+, as in checker/causal — so when the
// writer of y had, before writing it, written x itself or read something written after x (by
// anyone, on any key). Every causally consistent store respects it, whatever order its replicas
// apply concurrent writes in; real time it need not respect.
//
// One sweep in history order builds it: a write takes part at its invocation, a read at its
// completion (so a read is swept after the write it returned, unless it returned a value written
// only after it completed: such a read-from is left out). Each process carries a clock; a read joins
// the clock of the write it returned; a write is placed on a chain and keeps a copy of its
// writer's clock. Chains: a process keeps extending its own; its first write adopts a chain whose
// last version was the last write of a process that writes no more and is already in the new
// write's causal past, else opens a new one. So there are about as many chains as processes
// writing concurrently, not as many as processes (Jepsen starts a new process after every crash).
import { showValue } from '../txn/anomalies.js';
import { INITIAL, NEVER, UNKNOWN, type Registers } from './registers.js';
import { ChainClocks, Clock } from './oracle.js';
import type { VersionOracle } from './oracle.js';
import type { OrderStep } from './types.js';

/** Default bound on clock entries (4 bytes each): 2^27, 512 MB. */
export const DEFAULT_MAX_CLOCK_ENTRIES = 2 ** 27;
/** Ops walked, at most, to show one causal path in evidence. */
const PATH_BUDGET = 100_000;

export class CausalOrder implements VersionOracle {
  readonly order = 'causal' as const;
  private readonly clocks: ChainClocks;
  /** Events: write w is event w, read r is event W + r; each event's previous event of its process (-1). */
  private readonly poPrev: Int32Array;
  /** Per read: 1 when its read-from edge is in the order (its write was invoked before it completed). */
  private readonly rfIn: Uint8Array;

  constructor(
    private readonly reg: Registers,
    maxEntries = DEFAULT_MAX_CLOCK_ENTRIES,
  ) {
    const { writes: W, reads: R, wInv, wComp, wProc, rVer, rComp, rProc } = reg;
    this.clocks = new ChainClocks(W, maxEntries);
    this.poPrev = new Int32Array(W + R).fill(-1);
    this.rfIn = new Uint8Array(R);

    // Writes that take part: acknowledged ones, and those of unknown outcome some read returned.
    // Only a write some read returned is ever asked about as the older version, so only those go
    // on chains; the others keep just their clock (read-your-writes asks what their writer had
    // seen). Chains of writes nobody read could never be adopted: no one has them in their past.
    const read = new Uint8Array(W);
    for (let r = 0; r < R; r++) if (rVer[r] >= 0) read[rVer[r]] = 1;
    const inOrder = (w: number): boolean => wComp[w] !== NEVER || read[w] === 1;
    const P = reg.processes.length;
    const lastWrite = new Int32Array(P).fill(-1);
    for (let w = 0; w < W; w++) if (read[w] === 1) lastWrite[wProc[w]] = w;

    // Events in history order: write w at its invocation, read r at its completion.
    let maxPos = 0;
    for (let w = 0; w < W; w++) if (wInv[w] > maxPos) maxPos = wInv[w];
    for (let r = 0; r < R; r++) if (rComp[r] > maxPos) maxPos = rComp[r];
    const ev = new Int32Array(maxPos + 1).fill(-1);
    for (let w = 0; w < W; w++) if (inOrder(w)) ev[wInv[w]] = w;
    for (let r = 0; r < R; r++) if (rVer[r] !== UNKNOWN && rVer[r] !== INITIAL) ev[rComp[r]] = W + r;

    const clocks = this.clocks;
    const procClock: (Clock | undefined)[] = new Array(P);
    const procLast = new Int32Array(P).fill(-1); // last event
    const procWrite = new Int32Array(P).fill(-1); // last write
    const free: number[] = []; // chains whose last version's process writes no more
    for (let pos = 0; pos <= maxPos; pos++) {
      const e = ev[pos];
      if (e < 0) continue;
      const p = e < W ? wProc[e] : rProc[e - W];
      this.poPrev[e] = procLast[p];
      procLast[p] = e;
      let j = procClock[p];
      if (j === undefined) procClock[p] = j = new Clock();
      if (e >= W) {
        const r = e - W;
        const x = rVer[r];
        if (clocks.chain[x] >= 0) {
          this.rfIn[r] = 1;
          clocks.join(j, x);
        }
        continue;
      }
      if (read[e] === 0) {
        clocks.keep(e, j);
        continue;
      }
      let c = procWrite[p] >= 0 ? clocks.chain[procWrite[p]] : -1;
      if (c < 0) {
        for (let i = 0; i < free.length; i++) {
          const f = free[i];
          if (clocks.get(j, f) === clocks.chainLen[f]) {
            c = f;
            free[i] = free[free.length - 1];
            free.pop();
            break;
          }
        }
      }
      if (c < 0) c = clocks.newChain();
      clocks.place(e, c, j);
      procWrite[p] = e;
      if (lastWrite[p] === e) free.push(c);
    }
  }

  /** Chains made (a measure of how concurrent the history's writers were). */
  get chains(): number {
    return this.clocks.chains;
  }

  /** Clock entries stored. */
  get entries(): number {
    return this.clocks.used;
  }

  older(x: number, s: number): boolean {
    if (s === INITIAL || x === s) return false;
    if (x === INITIAL) return true;
    return this.clocks.atOrBefore(x, s);
  }

  why(x: number, s: number): { text: string; path?: OrderStep[] } {
    const reg = this.reg;
    const path = this.path(x, s);
    const steps = path ? ` (${path.map((st) => ('via' in st && st.via ? `→${st.via} ` : '') + `index ${(st as { index: number }).index}`).join(' ')})` : '';
    return {
      text: `the write of ${showValue(reg.wValue[x])} (index ${reg.wIndex[x]}) is in the causal past of the write of ${showValue(reg.wValue[s])} (index ${reg.wIndex[s]}), by program order and reads-from${steps}`,
      ...(path ? { path } : {}),
    };
  }

  /**
   * A causal path from write x to write s (x in s's past), walking back from s: along s's
   * process to x itself or to a read whose write has x in its past (or is x), then from that
   * write on. Reads and writes between are skipped (program order runs cut to their ends).
   * Undefined when the walk would pass PATH_BUDGET ops.
   */
  private path(x: number, s: number): OrderStep[] | undefined {
    const W = this.reg.writes;
    const rVer = this.reg.rVer;
    const rev: number[] = [s];
    let cur = s;
    let budget = PATH_BUDGET;
    while (cur !== x) {
      let e = this.poPrev[cur];
      let next = -1;
      while (e >= 0 && budget-- > 0) {
        if (e < W) {
          if (e === x) {
            next = x;
            break;
          }
        } else if (this.rfIn[e - W] === 1) {
          const src = rVer[e - W];
          if (src === x || this.clocks.atOrBefore(x, src)) {
            rev.push(e);
            next = src;
            break;
          }
        }
        e = this.poPrev[e];
      }
      if (next < 0) return undefined;
      rev.push(next);
      cur = next;
    }
    const ops = rev.reverse();
    return ops.map((ev, i) => {
      const index = ev < W ? this.reg.wIndex[ev] : this.reg.rIndex[ev - W];
      if (i === 0) return { index };
      // Into a read from the write before it: reads-from; anything else: program order.
      const via: 'po' | 'rf' = ev >= W && rVer[ev - W] === ops[i - 1] && ops[i - 1] < W ? 'rf' : 'po';
      return { index, via };
    });
  }
}
