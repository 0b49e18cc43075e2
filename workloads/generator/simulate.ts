// Runs a generator against a virtual clock and a pretend system, with no I/O: the history it
// would produce, for tests and for previewing a schedule. The same seed gives the same history.
import type { Op, OpType } from '../../histories/op.js';
import { completed, invoked, makeContext } from './context.js';
import { type Gen, gen as toGen } from './core.js';
import { Random } from '../../base/random.js';
import type { Context, GenEvent, GenLike } from './types.js';

export type Outcome = 'ok' | 'fail' | 'info';

export interface SimulateOptions {
  /** Client threads. */
  concurrency: number;
  /** Seeds ctx.random (the generator's stream) and, separately, the stream given to latency/complete. */
  seed: number;
  /** How long an invocation takes, in ns (≥ 0). Default: 10 ns for every op (Jepsen's "perfect"). */
  latency?: (op: Op, random: Random) => number;
  /**
   * How an invocation ends: a type, or a type with the completion's value (and any other fields,
   * e.g. `error`). Default: `ok` with the invocation's value. Nemesis ops always complete as `info`.
   */
  complete?: (op: Op, random: Random) => Outcome | ({ type: Outcome; value?: unknown } & Record<string, unknown>);
  /** Stop invoking after this many invocations (ops in flight still complete). Default 100000. */
  maxOps?: number;
  /** Invoke nothing due after this virtual time, in ns (ops in flight still complete). Default: none. */
  maxTime?: number;
}

interface Pending {
  time: number;
  seq: number;
  op: Op | null; // the completion to record, or null for the end of a sleep
  event: GenEvent;
}

function insert(queue: Pending[], p: Pending): void {
  let i = queue.length;
  while (i > 0 && (queue[i - 1].time > p.time || (queue[i - 1].time === p.time && queue[i - 1].seq > p.seq))) i--;
  queue.splice(i, 0, p);
}

/**
 * The history `gen` produces against a system that answers each op after `latency` with
 * `complete`, on a virtual clock starting at 0. Invocations due no later than the next completion
 * go first; a generator that is pending with nothing in flight is an error (it would wait forever).
 */
export function simulate(gen: GenLike, options: SimulateOptions): Op[] {
  const maxOps = options.maxOps ?? 100_000;
  const maxTime = options.maxTime ?? Infinity;
  const latency = options.latency ?? (() => 10);
  const complete = options.complete ?? (() => 'ok' as const);
  const system = new Random((options.seed ^ 0x5bd1e995) + 1);
  let ctx: Context = makeContext({ concurrency: options.concurrency, seed: options.seed });
  let g: Gen = toGen(gen);
  const ops: Op[] = [];
  const queue: Pending[] = [];
  let seq = 0;
  let invocations = 0;
  let steps = 0;
  const maxSteps = 20 * maxOps + 1_000_000;

  for (;;) {
    if (++steps > maxSteps) throw new Error(`simulate: no end after ${maxSteps} steps (a generator of endless sleeps? set maxTime)`);
    const r = g === null ? null : g.op(ctx);
    if (r === null) g = null;
    const next = queue[0];
    if (r !== null && r !== 'pending') {
      const time = Math.max(r.op.time, ctx.time);
      if (next === undefined || time <= next.time) {
        if (time > maxTime || invocations >= maxOps) {
          g = null; // stop: let what is in flight complete
          continue;
        }
        const { process, f, value, type, time: _due, ...extra } = r.op;
        if (type === 'sleep') {
          const event: GenEvent = { type: 'sleep', process, time, f, value };
          ctx = invoked(ctx, event);
          g = r.gen === null ? null : r.gen.update(ctx, event);
          const dt = typeof value === 'number' && value > 0 ? value : 0;
          insert(queue, { time: time + dt, seq: seq++, op: null, event: { ...event, time: time + dt } });
          continue;
        }
        const inv: Op = { index: ops.length, time, type: process === 'nemesis' ? 'info' : 'invoke', process, f, value, ...extra };
        ops.push(inv);
        invocations++;
        ctx = invoked(ctx, inv);
        g = r.gen === null ? null : r.gen.update(ctx, inv);
        const dt = latency(inv, system);
        if (!(dt >= 0)) throw new RangeError(`simulate: latency must be ≥ 0 ns, not ${dt}`);
        const out = complete(inv, system);
        const { type: outType, value: outValue, ...outExtra } = typeof out === 'string' ? { type: out } : out;
        const type2: OpType = process === 'nemesis' ? 'info' : outType;
        const done: Op = { index: -1, time: time + dt, type: type2, process, f, value: outValue === undefined ? value : outValue, ...extra, ...outExtra };
        insert(queue, { time: time + dt, seq: seq++, op: done, event: done });
        continue;
      }
    }
    if (next === undefined) {
      if (r === 'pending') throw new Error('simulate: the generator is pending with nothing in flight, so it would wait forever');
      break; // exhausted (or stopped), and nothing in flight
    }
    queue.shift();
    if (next.op !== null) {
      next.op.index = ops.length;
      ops.push(next.op);
    }
    ctx = completed(ctx, next.event);
    if (g !== null) g = g.update(ctx, next.event);
  }
  return ops;
}
