// Runs nemesis ops against their faults and remembers what is active, so the run can heal
// everything on its way out (normal end, error or signal).
import type { Fault } from './types.js';

/** How long healAll waits for a start or stop still under way before it heals anyway. */
const SETTLE_MS = 30_000;

export class Nemesis {
  private readonly faults = new Map<string, Fault>();
  /** Starts and stops under way: healAll lets them finish first, so none lands after the heal. */
  private readonly underWay = new Set<Promise<unknown>>();

  constructor(faults: readonly Fault[]) {
    for (const f of faults) this.faults.set(f.name, f);
  }

  /** Performs `start-NAME` / `stop-NAME`; resolves with what was done. */
  async perform(f: string, value: unknown): Promise<unknown> {
    const m = /^(start|stop)-(.+)$/.exec(f);
    const fault = m ? this.faults.get(m[2]) : undefined;
    if (!m || !fault) throw new Error(`no fault for nemesis op "${f}" (faults: ${[...this.faults.keys()].join(', ') || 'none'})`);
    const op = m[1] === 'start' ? fault.start(value) : fault.stop();
    this.underWay.add(op);
    try {
      return await op;
    } finally {
      this.underWay.delete(op);
    }
  }

  /** The faults started and not yet stopped. */
  active(): string[] {
    return [...this.faults.values()].filter((f) => f.active()).map((f) => f.name);
  }

  /**
   * Stops every active fault; each is tried even if another fails. Resolves with failures. A
   * start or stop still under way (the run ended while it ran) finishes first, up to 30 s: a pause
   * whose SIGSTOP lands after the heal would stay.
   */
  async healAll(): Promise<string[]> {
    if (this.underWay.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.underWay]), new Promise((r) => (timer = setTimeout(r, SETTLE_MS)))]);
      clearTimeout(timer);
    }
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
