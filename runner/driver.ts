// Drives a generator in real time: asks it for ops, hands client ops to the thread's client and
// nemesis ops to the nemesis, records every invocation and completion as it happens, and applies
// Jepsen's process rules (an op that times out or crashes completes as `info`, and its thread goes
// on as process + concurrency with a fresh client). One driver spans a run's phases, so process
// numbers and the op index carry over from the main phase to the final one.
import { CANONICAL_FIELDS, type Op, type OpType } from '../histories/op.js';
import { TargetFailed, type Client } from '../targets/types.js';
import { atTime, completed, invoked, makeContext, processToThread } from '../workloads/generator/context.js';
import { type Gen, gen as toGen } from '../workloads/generator/core.js';
import type { Random } from '../base/random.js';
import type { Context, Emit, GenEvent, GenLike, Invocation } from '../workloads/generator/types.js';
import type { Recorder } from './recorder.js';
import { timerMs } from './limits.js';

export interface DriverOptions {
  concurrency: number;
  random: Random;
  recorder: Recorder;
  /** The node client thread `thread` talks to. */
  nodeOf(thread: number): string;
  /** A new, unopened client for `node` (a thread gets a fresh one after each crash). */
  client(node: string): Client;
  /** Performs a nemesis op; resolves with what it did (the completion's value). */
  nemesis(op: Invocation): Promise<unknown>;
  /** Ns a client op may take before it completes as `info`. */
  opTimeoutNs: number;
}

interface InFlight {
  inv: Op;
  startNs: number;
  controller: AbortController;
  done: boolean;
}

interface Sleeping {
  process: Op['process'];
  f: string;
  value: unknown;
  timer: NodeJS.Timeout;
}

const OUTCOMES: ReadonlySet<string> = new Set(['ok', 'fail', 'info']);
/** Fields of generator ops and client answers that are not extras to copy into the history. */
const CANONICAL: ReadonlySet<string> = new Set(CANONICAL_FIELDS);

/** True when `o` has a field beyond the canonical ones (rare: most ops have none). */
function hasExtras(o: object): boolean {
  for (const k in o) if (!CANONICAL.has(k) || k === 'result') return true;
  return false;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Driver {
  private ctx: Context;
  private gen: Gen = null;
  // performance.now() is a monotonic double in ms with sub-µs resolution: cheaper than hrtime's BigInt.
  private readonly t0 = performance.now();
  private readonly clients: (Client | undefined)[];
  private readonly inFlight: (InFlight | undefined)[];
  /** Per thread: reused until it aborts an op (a timeout), since one per op costs ~15% of the harness. */
  private readonly controllers: AbortController[];
  private readonly sleeping = new Set<Sleeping>();
  private pending = 0;
  private waker: (() => void) | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private fatal: string | undefined;
  private final = false;
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly o: DriverOptions) {
    this.ctx = makeContext({ concurrency: o.concurrency, random: o.random });
    this.clients = new Array(o.concurrency).fill(undefined);
    this.inFlight = new Array(o.concurrency).fill(undefined);
    this.controllers = Array.from({ length: o.concurrency }, () => new AbortController());
    this.sweep = setInterval(() => this.expire(), Math.min(50, Math.max(1, o.opTimeoutNs / 4e6)));
    this.sweep.unref();
  }

  /** Nanoseconds since the driver was made: the `time` of every op. */
  now(): number {
    return Math.round((performance.now() - this.t0) * 1e6);
  }

  /** No new ops from now on; ops in flight still complete (or time out). */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Runs `g` until it is exhausted (or the driver is stopped) and nothing is in flight. With
   * `final`, every op is marked `final: true`.
   */
  async runPhase(g: GenLike, options: { final?: boolean } = {}): Promise<void> {
    this.gen = toGen(g);
    this.final = options.final === true;
    for (;;) {
      if (this.stopped) this.gen = null;
      this.ctx = atTime(this.ctx, this.now());
      const r = this.gen === null ? null : this.gen.op(this.ctx);
      if (r === null) {
        this.gen = null;
        this.endSleeps();
        if (this.pending === 0) return;
        await this.wait(Infinity);
      } else if (r === 'pending') {
        await this.wait(1e6);
      } else if (r.op.time > this.ctx.time) {
        await this.wait(r.op.time - this.ctx.time);
      } else {
        this.dispatch(r);
      }
    }
  }

  /**
   * Opens a client on every thread that has none, before ops need them: a client that starts a
   * process (a stdio adapter) or connects slowly then does so before the clock of the main phase
   * runs. One that fails to open is dropped; the thread's first op opens it again (and records why).
   */
  async openClients(): Promise<void> {
    await Promise.all(
      this.clients.map(async (existing, t) => {
        if (existing !== undefined) return;
        const client = this.o.client(this.o.nodeOf(t));
        this.clients[t] = client;
        try {
          await client.open();
        } catch {
          if (this.clients[t] === client) this.clients[t] = undefined;
          await client.close().catch(() => {});
        }
      }),
    );
  }

  /** Closes every client. */
  async close(): Promise<void> {
    clearInterval(this.sweep);
    this.endSleeps();
    await Promise.all(this.clients.map((c) => c?.close().catch(() => {})));
    this.clients.fill(undefined);
  }

  private wait(ns: number): Promise<void> {
    return new Promise((resolve) => {
      this.waker = resolve;
      if (ns === Infinity) return;
      if (ns < 1e6) setImmediate(() => this.wake());
      else this.wakeTimer = setTimeout(() => this.wake(), timerMs(ns / 1e6)); // the loop waits again if woken early
    });
  }

  private wake(): void {
    if (this.wakeTimer !== undefined) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
    }
    const w = this.waker;
    this.waker = undefined;
    w?.();
  }

  /**
   * Records an op with the next index and the current time. The fields are laid out in the
   * canonical order (histories/op.ts CANONICAL_FIELDS) as the object is built, so the recorder
   * serializes with a plain JSON.stringify.
   */
  private record(type: OpType, process: Op['process'], f: string, key: unknown, value: unknown, node: string | undefined, error: unknown, final: boolean, extra?: Record<string, unknown>): Op {
    const op: Op = key === undefined
      ? { index: this.o.recorder.count, time: this.now(), type, process, f, value }
      : { index: this.o.recorder.count, time: this.now(), type, process, f, key, value };
    if (node !== undefined) op.node = node;
    if (error !== undefined) op.error = error;
    if (extra !== undefined && extra.result !== undefined) op.result = extra.result as boolean;
    if (final) op.final = true;
    if (extra !== undefined) for (const k in extra) if (!CANONICAL.has(k) && extra[k] !== undefined) op[k] = extra[k];
    this.o.recorder.append(op);
    return op;
  }

  private dispatch(r: Emit): void {
    const o = r.op;
    if (o.type === 'sleep') return this.startSleep(r, o.process, o.f, o.value);
    const final = this.final || o.final === true;
    const extra = hasExtras(o) ? o : undefined;
    if (o.process === 'nemesis') {
      const inv = this.record('info', 'nemesis', o.f, o.key, o.value, undefined, undefined, final, extra);
      this.advance(r, inv);
      this.pending++;
      this.o.nemesis(o).then(
        (done) => this.finishNemesis(inv, { value: done === undefined ? o.value : done }),
        (e) => {
          this.finishNemesis(inv, { value: o.value, error: errorText(e) });
          // A fault the target cannot carry out (its own command failed): the run's faults are no longer what it says.
          if (e instanceof TargetFailed) {
            this.fatal ??= e.message;
            this.stop();
          }
        },
      );
      return;
    }
    const thread = processToThread(this.ctx, o.process) as number;
    const node = this.o.nodeOf(thread);
    const inv = this.record('invoke', o.process, o.f, o.key, o.value, node, undefined, final, extra);
    this.advance(r, inv);
    if (this.controllers[thread].signal.aborted) this.controllers[thread] = new AbortController();
    const entry: InFlight = { inv, startNs: inv.time!, controller: this.controllers[thread], done: false };
    this.inFlight[thread] = entry;
    this.pending++;
    void this.invoke(thread, node, entry);
  }

  /** The context and generator after `inv` was invoked. */
  private advance(r: Emit, inv: GenEvent): void {
    this.ctx = invoked(this.ctx, inv);
    this.gen = r.gen === null ? null : r.gen.update(this.ctx, inv);
  }

  private async invoke(thread: number, node: string, entry: InFlight): Promise<void> {
    let client = this.clients[thread];
    try {
      if (client === undefined) {
        client = this.o.client(node);
        this.clients[thread] = client;
        await client.open();
      }
      const done = await client.invoke(entry.inv, { signal: entry.controller.signal });
      this.finish(thread, entry, done);
    } catch (e) {
      this.finish(thread, entry, { type: 'info', error: errorText(e) });
      if (e instanceof TargetFailed) {
        this.fatal ??= e.message;
        this.stop();
      }
    }
  }

  /** Why the target failed beyond one op (a TargetFailed from a client or a fault), once one did: the run stops. */
  get failure(): string | undefined {
    return this.fatal;
  }

  /** Records a client op's completion (once: a late answer after a timeout is dropped). */
  private finish(thread: number, entry: InFlight, done: { type?: unknown; value?: unknown; error?: unknown; [k: string]: unknown }): void {
    if (entry.done) return;
    entry.done = true;
    if (this.inFlight[thread] === entry) this.inFlight[thread] = undefined;
    const inv = entry.inv;
    const type: OpType = typeof done.type === 'string' && OUTCOMES.has(done.type) ? (done.type as OpType) : 'info';
    const value = type === 'ok' && done.value !== undefined ? done.value : inv.value;
    const error = done.error !== undefined ? done.error : done.type !== type ? `the client answered with type ${JSON.stringify(done.type)}` : undefined;
    const completion = this.record(type, inv.process, inv.f, inv.key, value, inv.node, error, inv.final === true, hasExtras(done) ? done : undefined);
    if (type === 'info') {
      // Jepsen: a crashed process never invokes again; the thread continues under a new process,
      // with a new connection, since the old one may be in any state.
      const old = this.clients[thread];
      this.clients[thread] = undefined;
      old?.close().catch(() => {});
    }
    this.completeEvent(completion);
  }

  private finishNemesis(inv: Op, done: { value: unknown; error?: string }): void {
    this.completeEvent(this.record('info', 'nemesis', inv.f, inv.key, done.value, undefined, done.error, inv.final === true));
  }

  private completeEvent(event: GenEvent): void {
    this.pending--;
    this.ctx = completed(atTime(this.ctx, this.now()), event);
    if (this.gen !== null) this.gen = this.gen.update(this.ctx, event);
    this.wake();
  }

  private startSleep(r: Emit, process: Op['process'], f: string, value: unknown): void {
    const event: GenEvent = { type: 'sleep', process, time: this.ctx.time, f, value };
    this.ctx = invoked(this.ctx, event);
    this.gen = r.gen === null ? null : r.gen.update(this.ctx, event);
    this.pending++;
    const ns = typeof value === 'number' && value > 0 ? value : 0;
    const s: Sleeping = { process, f, value, timer: setTimeout(() => this.endSleep(s), timerMs(ns / 1e6)) };
    this.sleeping.add(s);
  }

  private endSleep(s: Sleeping): void {
    if (!this.sleeping.delete(s)) return;
    clearTimeout(s.timer);
    this.completeEvent({ type: 'sleep', process: s.process, f: s.f, value: s.value, time: this.now() });
  }

  /** Sleeps end early once nothing can follow them (the generator is exhausted or stopped). */
  private endSleeps(): void {
    for (const s of [...this.sleeping]) this.endSleep(s);
  }

  private expire(): void {
    const now = this.now();
    for (let t = 0; t < this.inFlight.length; t++) {
      const e = this.inFlight[t];
      if (e === undefined || e.done || now - e.startNs < this.o.opTimeoutNs) continue;
      e.controller.abort();
      this.finish(t, e, { type: 'info', error: 'timeout' });
    }
  }
}
