// A follower's replication pipeline with the two costs the lag formula names (docs/scenarios.md):
// the link's one-way latency and the time each change takes to apply. An entry that arrives is
// acknowledged as received at once (the link is a pipe, as a TCP stream is: the leader never waits
// a round trip to send the next one), becomes visible to the queue `linkLatencyMs` after it was
// sent, and is applied one at a time, each taking `applyTimeMs`, in log order. Per entry it keeps
// what the formula's terms are made of: the lag from the leader's write to this apply, the entries
// found ahead in the queue, and how long the apply took.

/**
 * ms on the machine's monotonic clock, sub-millisecond, comparable between processes on one
 * machine: a leader's write time is read again in its followers' processes. Not the wall clock:
 * `performance.timeOrigin + performance.now()` fixes each process's wall-clock offset when it
 * starts, so a clock adjustment between two nodes' starts put their readings apart (a CI run just
 * after boot measured a 20 ms link's transit at a 17.7 ms median).
 */
export function preciseNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface QueuedEntry<T> {
  i: number;
  /** When the leader wrote it (preciseNow on the leader). */
  at: number;
  item: T;
}

/**
 * Samples gathered since the last drain, one per entry applied. An entry's lag splits exactly into
 * transit (its write to its arrival past the link), wait (behind the entries ahead of it) and apply
 * (from when it could start — arrived, and the one before done — to done: a late timer counts here).
 */
export interface ApplySamples {
  lagMs: number[];
  queueDepth: number[];
  applyMs: number[];
  transitMs: number[];
  waitMs: number[];
}

/** Most samples kept between two drains: a sampler that stops draining must not grow the node without bound. */
const MAX_SAMPLES = 200_000;
/** Apply completion times remembered to count the entries ahead of a newcomer (a window wider than any queue we build). */
const MAX_APPLIED_TIMES = 65_536;

export class ApplyQueue<T> {
  private readonly queue: { entry: QueuedEntry<T>; readyAt: number }[] = [];
  private head = 0;
  /** The highest position received in order (applied or waiting). */
  received: number;
  private running = false;
  private stopped = false;
  /** Completion times of recent applies, ascending (a ring). */
  private readonly appliedAt = new Float64Array(MAX_APPLIED_TIMES);
  private appliedCount = 0;
  private samples: ApplySamples = { lagMs: [], queueDepth: [], applyMs: [], transitMs: [], waitMs: [] };
  /** When the last apply finished. */
  private lastFinish = 0;

  constructor(
    private readonly o: {
      linkLatencyMs: number;
      applyTimeMs: number;
      /** The position already applied (the store's), where receiving resumes. */
      applied: number;
      /** Applies one entry (synchronously: the store write). */
      apply: (entry: QueuedEntry<T>) => void;
      /** A timer the node owns (NodeContext.after): it stops with the node. */
      after: (ms: number, fn: () => void) => void;
    },
  ) {
    this.received = o.applied;
  }

  /** Entries waiting (arrived or still on the link). */
  get depth(): number {
    return this.queue.length - this.head;
  }

  /** Takes entries in order; an entry out of order (a gap before it) ends the batch, as the leader resends from `received`. */
  receive(entries: readonly QueuedEntry<T>[]): void {
    const now = preciseNow();
    for (const e of entries) {
      if (e.i <= this.received) continue;
      if (e.i !== this.received + 1) break;
      this.queue.push({ entry: e, readyAt: now + this.o.linkLatencyMs });
      this.received = e.i;
    }
    this.pump();
  }

  /** Forgets what waits (a snapshot replaced the state at `index`). */
  reset(index: number): void {
    this.queue.length = 0;
    this.head = 0;
    this.received = index;
  }

  stop(): void {
    this.stopped = true;
  }

  drain(): ApplySamples {
    const out = this.samples;
    this.samples = { lagMs: [], queueDepth: [], applyMs: [], transitMs: [], waitMs: [] };
    return out;
  }

  private pump(): void {
    if (this.running || this.stopped || this.depth === 0) return;
    this.running = true;
    const next = this.queue[this.head];
    const wait = next.readyAt - preciseNow();
    this.o.after(Math.max(0, wait), () => this.serve());
  }

  private serve(): void {
    const slot = this.queue[this.head];
    if (this.stopped || slot === undefined) {
      this.running = false;
      return;
    }
    const started = Math.max(slot.readyAt, this.lastFinish);
    // Entries ahead of this one when it arrived: those applied after its arrival (FIFO, so all of them came first).
    const ahead = this.appliedSince(slot.readyAt);
    const finish = () => {
      if (this.stopped) return;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.o.apply(slot.entry);
      const done = preciseNow();
      this.lastFinish = done;
      this.noteApplied(done);
      if (this.samples.lagMs.length < MAX_SAMPLES) {
        this.samples.lagMs.push(round3(done - slot.entry.at));
        this.samples.queueDepth.push(ahead);
        this.samples.applyMs.push(round3(done - started));
        this.samples.transitMs.push(round3(slot.readyAt - slot.entry.at));
        this.samples.waitMs.push(round3(started - slot.readyAt));
      }
      this.running = false;
      this.pump();
    };
    if (this.o.applyTimeMs > 0) this.o.after(this.o.applyTimeMs, finish);
    else finish();
  }

  private noteApplied(t: number): void {
    this.appliedAt[this.appliedCount % MAX_APPLIED_TIMES] = t;
    this.appliedCount++;
  }

  /** How many remembered applies completed after `t`. */
  private appliedSince(t: number): number {
    const n = Math.min(this.appliedCount, MAX_APPLIED_TIMES);
    // Ring order: oldest at appliedCount - n. Binary search for the first time > t.
    let lo = 0;
    let hi = n;
    const at = (k: number) => this.appliedAt[(this.appliedCount - n + k) % MAX_APPLIED_TIMES];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid) <= t) lo = mid + 1;
      else hi = mid;
    }
    // The one in service when it arrived finishes later than `t` too; those not yet applied are ahead as well.
    return n - lo;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
