// Jepsen's process rules, checked one op at a time so that both the History and streaming readers
// (which never hold the whole history) enforce them the same way: one op in flight per process,
// a completion answers its process's invocation of the same f, and a process whose op ended in
// info never invokes again.
import { HistoryError } from './errors.js';
import type { Op } from './op.js';

/** Returned by `take` for an op that is not a client completion. */
export const NOT_A_COMPLETION = -1;

interface Place {
  line: number | undefined;
  index: number;
}

interface Open extends Place {
  position: number;
  f: string;
}

function where(p: Place): string {
  return p.line === undefined ? `index ${p.index}` : `line ${p.line}`;
}

export class ProcessPairing {
  private readonly inFlight = new Map<number, Open>();
  private readonly crashed = new Map<number, Place>();
  invocations = 0;

  /** With `trusted` the rules are not checked, only followed. */
  constructor(
    private readonly file: string,
    private readonly lineOf: (position: number) => number | undefined,
    private readonly trusted = false,
  ) {}

  /** Takes the op at `position`; for a client completion, returns its invocation's position. */
  take(op: Op, position: number): number {
    const p = op.process;
    if (p === 'nemesis') return NOT_A_COMPLETION;
    if (op.type === 'invoke') {
      this.invocations++;
      if (!this.trusted) {
        const open = this.inFlight.get(p);
        if (open !== undefined) this.fail(position, `process ${p} invokes "${op.f}" while its "${open.f}" from ${where(open)} is still in flight`);
        const crash = this.crashed.get(p);
        if (crash !== undefined) {
          this.fail(position, `process ${p} invokes again after its "info" at ${where(crash)}; a process whose op ended in info never invokes again (its thread continues under a new process number)`);
        }
      }
      this.inFlight.set(p, { position, f: op.f, line: this.lineOf(position), index: op.index });
      return NOT_A_COMPLETION;
    }
    const open = this.inFlight.get(p);
    if (open === undefined) {
      if (this.trusted) return NOT_A_COMPLETION;
      this.fail(position, `"${op.type}" completion of "${op.f}" for process ${p}, which has no invocation in flight`);
    }
    if (!this.trusted && open.f !== op.f) this.fail(position, `process ${p} completes "${op.f}" but invoked "${open.f}" at ${where(open)}`);
    this.inFlight.delete(p);
    if (op.type === 'info' && !this.trusted) this.crashed.set(p, { line: this.lineOf(position), index: op.index });
    return open.position;
  }

  private fail(position: number, reason: string): never {
    throw new HistoryError(this.file, this.lineOf(position), reason);
  }
}
