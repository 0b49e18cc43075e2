// A hybrid logical clock for last-writer-wins timestamps: [wall ms, counter, node index]. It never
// runs backwards on one node (a stalled or stepped-back wall clock bumps the counter), it moves
// past every timestamp the node has seen (so a write that causally follows another wins over it),
// and the node index breaks ties, so two writes never get the same stamp.

export type Stamp = readonly [ms: number, counter: number, node: number];

export function compareStamps(a: Stamp, b: Stamp): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function isStamp(v: unknown): v is Stamp {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

export class HybridClock {
  private ms = 0;
  private counter = 0;

  constructor(
    private readonly now: () => number,
    readonly node: number,
  ) {}

  /** A stamp later than every stamp this clock made or observed. */
  tick(): Stamp {
    const wall = this.now();
    if (wall > this.ms) {
      this.ms = wall;
      this.counter = 0;
    } else {
      this.counter++;
    }
    return [this.ms, this.counter, this.node];
  }

  /** Moves the clock past a stamp seen from elsewhere (or recovered from disk). */
  observe(s: Stamp): void {
    if (s[0] > this.ms || (s[0] === this.ms && s[1] > this.counter)) {
      this.ms = s[0];
      this.counter = s[1];
    }
  }
}
