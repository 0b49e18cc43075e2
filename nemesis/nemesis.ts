// Runs nemesis ops against their faults and remembers what is active, so the run can heal
// everything on its way out (normal end, error or signal).
import type { Fault } from './types.js';

export class Nemesis {
  private readonly faults = new Map<string, Fault>();

  constructor(faults: readonly Fault[]) {
    for (const f of faults) this.faults.set(f.name, f);
  }

  /** Performs `start-NAME` / `stop-NAME`; resolves with what was done. */
  async perform(f: string, value: unknown): Promise<unknown> {
    const m = /^(start|stop)-(.+)$/.exec(f);
    const fault = m ? this.faults.get(m[2]) : undefined;
    if (!m || !fault) throw new Error(`no fault for nemesis op "${f}" (faults: ${[...this.faults.keys()].join(', ') || 'none'})`);
    return m[1] === 'start' ? fault.start(value) : fault.stop();
  }

  /** The faults started and not yet stopped. */
  active(): string[] {
    return [...this.faults.values()].filter((f) => f.active()).map((f) => f.name);
  }

  /** Stops every active fault; each is tried even if another fails. Resolves with failures. */
  async healAll(): Promise<string[]> {
    const failures: string[] = [];
    for (const f of this.faults.values()) {
      if (!f.active()) continue;
      try {
        await f.stop();
      } catch (e) {
        failures.push(`${f.name}: ${(e as Error).message}`);
      }
    }
    return failures;
  }
}
