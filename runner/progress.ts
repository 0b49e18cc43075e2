// What a running test shows: on a terminal, one line rewritten in place (ops, rate, ok/fail/info,
// the current fault, time left); elsewhere (CI logs, pipes), a plain line every few seconds.
import type { Op } from '../histories/op.js';

export interface ProgressSource {
  /** The ops recorded so far (read incrementally). */
  ops: readonly Op[];
  /** Seconds since the main phase began. */
  elapsed(): number;
  /** The faults active now. */
  faults(): string[];
  /** What the run is doing: "setup", "running", "healing", "final reads", "checking"… */
  phase(): string;
}

export interface ProgressOptions {
  write(text: string): void;
  tty: boolean;
  timeLimit: number;
  /** Ms between updates. Default 250 on a TTY, 5000 otherwise. */
  everyMs?: number;
}

export interface ProgressCounts {
  invocations: number;
  ok: number;
  fail: number;
  info: number;
}

/** Formats one progress line (exported for tests). */
export function progressLine(c: ProgressCounts, rate: number, faults: string[], elapsed: number, timeLimit: number, phase: string): string {
  const left = Math.max(0, timeLimit - elapsed);
  const fault = faults.length > 0 ? faults.join('+') : 'none';
  const when = phase === 'running' ? `${Math.ceil(left)} s left` : phase;
  return `${c.invocations} ops · ${Math.round(rate)}/s · ok ${c.ok} fail ${c.fail} info ${c.info} · fault: ${fault} · ${when}`;
}

export class Progress {
  private readonly counts: ProgressCounts = { invocations: 0, ok: 0, fail: 0, info: 0 };
  private seen = 0;
  private lastCompleted = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(private readonly source: ProgressSource, private readonly o: ProgressOptions) {}

  start(): void {
    this.lastAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.o.everyMs ?? (this.o.tty ? 250 : 5000));
    this.timer.unref();
  }

  /** Stops updating; on a terminal, leaves the last line in place and moves to a new one. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.o.tty && this.shown) {
      this.tick();
      this.o.write('\n');
    }
  }

  private count(): void {
    const ops = this.source.ops;
    for (; this.seen < ops.length; this.seen++) {
      const op = ops[this.seen];
      if (op.process === 'nemesis') continue;
      if (op.type === 'invoke') this.counts.invocations++;
      else this.counts[op.type]++;
    }
  }

  private tick(): void {
    this.count();
    const now = Date.now();
    const done = this.counts.ok + this.counts.fail + this.counts.info;
    const rate = now > this.lastAt ? ((done - this.lastCompleted) * 1000) / (now - this.lastAt) : 0;
    this.lastCompleted = done;
    this.lastAt = now;
    const line = progressLine(this.counts, rate, this.source.faults(), this.source.elapsed(), this.o.timeLimit, this.source.phase());
    const width = process.stderr.columns ?? 100;
    if (this.o.tty) this.o.write(`\r\x1b[K${line.slice(0, Math.max(20, width - 1))}`);
    else this.o.write(line + '\n');
    this.shown = true;
  }
}
