// monotonic-writes, the same in every version order: a process's writes are ordered by the process
// itself (one op at a time, so each was acknowledged before the next was invoked), and an
// observer must not see an earlier one after a later one.
import type { Registers } from './registers.js';

export class WriterOrder {
  /** Per (slot, writer process): the read of that writer's newest-invoked write the observer saw. */
  private readonly seen = new Map<number, number>();
  private readonly nProcs: number;

  constructor(private readonly reg: Registers) {
    this.nProcs = Math.max(1, reg.processes.length);
  }

  /**
   * Read `r` of write `x` in slot `s`: returns the earlier read of a later write by x's writer
   * (a violation), or -1; remembers r when x is the writer's newest write seen so far.
   */
  check(s: number, r: number, x: number): number {
    const { wInv, wComp, wProc, rVer } = this.reg;
    const mk = s * this.nProcs + wProc[x];
    const prior = this.seen.get(mk);
    const cx = wComp[x];
    const bad = prior !== undefined && cx < wInv[rVer[prior]] ? prior : -1;
    if (prior === undefined || wInv[x] >= wInv[rVer[prior]]) this.seen.set(mk, r);
    return bad;
  }
}
