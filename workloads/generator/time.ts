// Combinators over (virtual or real) time: when ops are scheduled and until when. All times in ns.
import { type Gen, gen } from './core.js';
import type { Context, GenEvent, GenLike, Generator, OpResult } from './types.js';

class TimeLimit implements Generator {
  constructor(readonly dt: number, readonly cutoff: number | undefined, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    if (this.cutoff !== undefined && ctx.time >= this.cutoff) return null;
    const r = this.g.op(ctx);
    if (r === null || r === 'pending') return r;
    const cutoff = this.cutoff ?? r.op.time + this.dt;
    if (r.op.time >= cutoff) return null;
    return { op: r.op, gen: r.gen === null ? null : new TimeLimit(this.dt, cutoff, r.gen) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    const g = this.g.update(ctx, event);
    return g === null ? null : new TimeLimit(this.dt, this.cutoff, g);
  }
}

/**
 * Ops from `g` for `dtNs` ns, counted from the time of its first op: an op due at or after that
 * cutoff is never emitted, and once the context's time reaches it the generator is exhausted (ops
 * in flight still complete).
 */
export function timeLimit(dtNs: number, g: GenLike): Gen {
  if (!(dtNs >= 0)) throw new RangeError(`timeLimit: ns must be ≥ 0, not ${dtNs}`);
  const x = gen(g);
  return x === null ? null : new TimeLimit(dtNs, undefined, x);
}

class Stagger implements Generator {
  constructor(readonly span: number, readonly nextTime: number | undefined, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    const r = this.g.op(ctx);
    if (r === null || r === 'pending') return r;
    const due = Math.max(r.op.time, this.nextTime ?? ctx.time);
    const op = due === r.op.time ? r.op : { ...r.op, time: due };
    const next = due + Math.floor(ctx.random.next() * this.span);
    return { op, gen: r.gen === null ? null : new Stagger(this.span, next, r.gen) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    const g = this.g.update(ctx, event);
    return g === null ? null : new Stagger(this.span, this.nextTime, g);
  }
}

/**
 * Ops from `g` at random intervals, uniform in [0, 2·dtNs), so about one every `dtNs` ns in all
 * (a total rate, as in Jepsen's pure generators, not per thread). An op is never made earlier
 * than `g` wanted; the first may go at once.
 */
export function stagger(dtNs: number, g: GenLike): Gen {
  if (!(dtNs >= 0)) throw new RangeError(`stagger: ns must be ≥ 0, not ${dtNs}`);
  const x = gen(g);
  return x === null ? null : new Stagger(2 * dtNs, undefined, x);
}

class Delay implements Generator {
  constructor(readonly dt: number, readonly nextTime: number | undefined, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    const r = this.g.op(ctx);
    if (r === null || r === 'pending') return r;
    const due = Math.max(r.op.time, this.nextTime ?? r.op.time);
    const op = due === r.op.time ? r.op : { ...r.op, time: due };
    return { op, gen: r.gen === null ? null : new Delay(this.dt, due + this.dt, r.gen) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    const g = this.g.update(ctx, event);
    return g === null ? null : new Delay(this.dt, this.nextTime, g);
  }
}

/**
 * Ops from `g` exactly `dtNs` ns apart (each due `dtNs` after the previous one was due), or later
 * when `g` or a busy thread holds them back; a fixed rate in all, not per thread.
 */
export function delay(dtNs: number, g: GenLike): Gen {
  if (!(dtNs >= 0)) throw new RangeError(`delay: ns must be ≥ 0, not ${dtNs}`);
  const x = gen(g);
  return x === null ? null : new Delay(dtNs, undefined, x);
}
