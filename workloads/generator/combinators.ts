// Combinators that shape a stream of ops: how many, in what order, from which of several sources.
// Each is an immutable value; `op` returns the next state rather than changing this one.
import type { Process } from '../../histories/op.js';
import { allFree } from './context.js';
import { type Candidate, type Gen, gen, opOf, soonest, updateOf } from './core.js';
import type { Context, GenEvent, GenLike, Generator, Invocation, OpResult } from './types.js';

function done<T>(g: Gen, make: (g: Generator) => T): T | null {
  return g === null ? null : make(g);
}

class Limit implements Generator {
  constructor(readonly remaining: number, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    if (this.remaining <= 0) return null;
    const r = this.g.op(ctx);
    if (r === null || r === 'pending') return r;
    const left = this.remaining - 1;
    return { op: r.op, gen: left === 0 || r.gen === null ? null : new Limit(left, r.gen) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    return done(this.g.update(ctx, event), (g) => new Limit(this.remaining, g));
  }
}

/** At most `n` ops from `g`, then exhausted. Updates pass through. */
export function limit(n: number, g: GenLike): Gen {
  const inner = gen(g);
  return n <= 0 || inner === null ? null : new Limit(n, inner);
}

/** Only the first op of `g` (limit 1). */
export function once(g: GenLike): Gen {
  return limit(1, g);
}

class Repeat implements Generator {
  constructor(readonly remaining: number, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    if (this.remaining === 0) return null;
    const r = this.g.op(ctx);
    if (r === null || r === 'pending') return r;
    return { op: r.op, gen: this.remaining === 1 ? null : new Repeat(this.remaining < 0 ? -1 : this.remaining - 1, this.g) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    return done(this.g.update(ctx, event), (g) => new Repeat(this.remaining, g));
  }
}

/**
 * Emits `g`'s next op over and over without advancing `g` (the inverse of `once`): `repeat(op)` is
 * that op forever, `repeat(3, op)` three times. A function inside is called afresh each time, so
 * `repeat(() => ({ f: 'write', value: random }))` gives different ops. Updates go to `g`.
 */
export function repeat(g: GenLike): Gen;
export function repeat(n: number, g: GenLike): Gen;
export function repeat(a: number | GenLike, b?: GenLike): Gen {
  if (typeof a === 'number' && !(a >= 0)) throw new RangeError(`repeat: count must be ≥ 0, not ${a}`);
  const [n, inner] = typeof a === 'number' ? [a, gen(b)] : [-1, gen(a)];
  return inner === null || n === 0 ? null : new Repeat(n, inner);
}

class Cycle implements Generator {
  constructor(readonly remaining: number, readonly original: Generator, readonly g: Gen) {}
  op(ctx: Context): OpResult {
    const r = opOf(this.g, ctx);
    if (r === 'pending') return r;
    if (r !== null) return { op: r.op, gen: new Cycle(this.remaining, this.original, r.gen) };
    // This round is over: start again from the original, unless it has nothing at all to give.
    const left = this.remaining < 0 ? -1 : this.remaining - 1;
    if (left === 0) return null;
    const again = this.original.op(ctx);
    if (again === null || again === 'pending') return again;
    return { op: again.op, gen: new Cycle(left, this.original, again.gen) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    return new Cycle(this.remaining, this.original, updateOf(this.g, ctx, event));
  }
}

/**
 * Runs `g` to exhaustion, then starts it again from its original state; forever, or `n` rounds.
 * Updates go to the running round, not to the original. Ends if a fresh round has no op at all.
 */
export function cycle(g: GenLike): Gen;
export function cycle(n: number, g: GenLike): Gen;
export function cycle(a: number | GenLike, b?: GenLike): Gen {
  if (typeof a === 'number' && !(a >= 0)) throw new RangeError(`cycle: count must be ≥ 0, not ${a}`);
  const [n, inner] = typeof a === 'number' ? [a, gen(b)] : [-1, gen(a)];
  return inner === null || n === 0 ? null : new Cycle(n, inner, inner);
}

class Mix implements Generator {
  constructor(readonly gens: readonly Generator[], readonly weights: readonly number[]) {}
  op(ctx: Context): OpResult {
    let gens = this.gens;
    let weights = this.weights;
    while (gens.length > 0) {
      const i = gens.length === 1 ? 0 : ctx.random.weighted(weights);
      const r = gens[i].op(ctx);
      if (r === 'pending') return r;
      if (r !== null) {
        const nextGens = [...gens];
        let nextWeights = weights;
        if (r.gen === null) {
          nextGens.splice(i, 1);
          nextWeights = weights.filter((_, j) => j !== i);
        } else nextGens[i] = r.gen;
        return { op: r.op, gen: nextGens.length === 0 ? null : new Mix(nextGens, nextWeights) };
      }
      gens = gens.filter((_, j) => j !== i);
      weights = weights.filter((_, j) => j !== i);
    }
    return null;
  }
  update(ctx: Context, event: GenEvent): Gen {
    const gens: Generator[] = [];
    const weights: number[] = [];
    this.gens.forEach((g, i) => {
      const u = g.update(ctx, event);
      if (u !== null) {
        gens.push(u);
        weights.push(this.weights[i]);
      }
    });
    return gens.length === 0 ? null : new Mix(gens, weights);
  }
}

/**
 * A random mixture: each op comes from one of `gens` chosen at random (ctx.random), uniformly or in
 * proportion to `weights`. An exhausted one drops out; the mix ends when all have. If the chosen
 * one is pending the mix is pending (the next ask draws again). Updates go to every one.
 */
export function mix(gens: readonly GenLike[], weights?: readonly number[]): Gen {
  if (weights !== undefined && weights.length !== gens.length) throw new RangeError('mix: one weight per generator');
  const gs: Generator[] = [];
  const ws: number[] = [];
  gens.forEach((g, i) => {
    const x = gen(g);
    const w = weights ? weights[i] : 1;
    if (!(w >= 0)) throw new RangeError(`mix: weights must be ≥ 0, not ${w}`);
    if (x !== null && w > 0) {
      gs.push(x);
      ws.push(w);
    }
  });
  return gs.length === 0 ? null : new Mix(gs, ws);
}

class MapGen implements Generator {
  constructor(readonly fn: (op: Invocation, ctx: Context) => Invocation, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    const r = this.g.op(ctx);
    if (r === null || r === 'pending') return r;
    return { op: this.fn(r.op, ctx), gen: done(r.gen, (g) => new MapGen(this.fn, g)) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    return done(this.g.update(ctx, event), (g) => new MapGen(this.fn, g));
  }
}

/** `g` with each op transformed by `fn` (which should keep its process and not move its time earlier). */
export function map(fn: (op: Invocation, ctx: Context) => Invocation, g: GenLike): Gen {
  return done(gen(g), (x) => new MapGen(fn, x));
}

class FilterGen implements Generator {
  constructor(readonly pred: (op: Invocation) => boolean, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    let g: Gen = this.g;
    for (;;) {
      const r = opOf(g, ctx);
      if (r === null || r === 'pending') return r;
      if (this.pred(r.op)) return { op: r.op, gen: done(r.gen, (x) => new FilterGen(this.pred, x)) };
      g = r.gen;
    }
  }
  update(ctx: Context, event: GenEvent): Gen {
    return done(this.g.update(ctx, event), (g) => new FilterGen(this.pred, g));
  }
}

/** Only the ops of `g` satisfying `pred`; the others are skipped (never invoked). */
export function filter(pred: (op: Invocation) => boolean, g: GenLike): Gen {
  return done(gen(g), (x) => new FilterGen(pred, x));
}

class FlipFlop implements Generator {
  constructor(readonly gens: readonly [Gen, Gen], readonly turn: 0 | 1) {}
  op(ctx: Context): OpResult {
    const r = opOf(this.gens[this.turn], ctx);
    if (r === null || r === 'pending') return r;
    const gens: [Gen, Gen] = this.turn === 0 ? [r.gen, this.gens[1]] : [this.gens[0], r.gen];
    const turn = this.turn === 0 ? 1 : 0;
    return { op: r.op, gen: gens[turn] === null ? null : new FlipFlop(gens, turn) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    const a = updateOf(this.gens[0], ctx, event);
    const b = updateOf(this.gens[1], ctx, event);
    return (this.turn === 0 ? a : b) === null ? null : new FlipFlop([a, b], this.turn);
  }
}

/**
 * One op from `a`, then one from `b`, then `a` again, …; ends as soon as the one whose turn it is
 * has none. Updates go to both (Jepsen's ignores them).
 */
export function flipFlop(a: GenLike, b: GenLike): Gen {
  const x = gen(a);
  return x === null ? null : new FlipFlop([x, gen(b)], 0);
}

class UntilOk implements Generator {
  constructor(readonly g: Gen, readonly ok: boolean, readonly active: ReadonlySet<Process>) {}
  op(ctx: Context): OpResult {
    if (this.ok) return null;
    const r = opOf(this.g, ctx);
    if (r === null || r === 'pending') return r;
    if (r.op.type === 'sleep') return { op: r.op, gen: new UntilOk(r.gen, false, this.active) };
    const active = new Set(this.active).add(r.op.process);
    return { op: r.op, gen: new UntilOk(r.gen, false, active) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    const g = updateOf(this.g, ctx, event);
    if (!this.active.has(event.process) || event.type === 'invoke' || event.type === 'sleep') {
      return g === this.g ? this : new UntilOk(g, this.ok, this.active);
    }
    const active = new Set(this.active);
    active.delete(event.process);
    return new UntilOk(g, this.ok || event.type === 'ok', active);
  }
}

/**
 * Ops from `g` until one of them completes `ok`; then exhausted (ops already in flight still
 * complete). A `fail` or `info` completion means try again: with `repeat` inside, that is "read
 * until a read succeeds".
 */
export function untilOk(g: GenLike): Gen {
  return done(gen(g), (x) => new UntilOk(x, false, new Set()));
}

/**
 * One special op that keeps the thread it lands on busy for `dtNs` ns and is not recorded in the
 * history. Inside `phases` it is a pause between phases; `nemesis(sleep(…))` pauses the nemesis.
 */
export function sleep(dtNs: number): Gen {
  if (!(dtNs >= 0)) throw new RangeError(`sleep: ns must be ≥ 0, not ${dtNs}`);
  return gen({ type: 'sleep', f: 'sleep', value: dtNs });
}

class Synchronize implements Generator {
  constructor(readonly g: Generator) {}
  op(ctx: Context): OpResult {
    return allFree(ctx) ? this.g.op(ctx) : 'pending';
  }
  update(ctx: Context, event: GenEvent): Gen {
    return done(this.g.update(ctx, event), (g) => new Synchronize(g));
  }
}

/** Waits until every thread of its context is idle (nothing in flight, no sleep), then is `g`. */
export function synchronize(g: GenLike): Gen {
  return done(gen(g), (x) => new Synchronize(x));
}

/**
 * Each generator in turn: all ops of the first, then, once every thread of the context is idle
 * (its ops have all completed), the second, and so on.
 */
export function phases(...gens: GenLike[]): Gen {
  return gen(gens.map((g) => synchronize(g)));
}

/**
 * Jepsen's `then`: `a`, then, once every thread is idle, `b`. Two differences: it runs its
 * arguments in the order given (Jepsen's takes them backwards, for ->> threading), and it is not
 * called `then`, because a module exporting `then` is a thenable: `await import(…)` of it would
 * call that function and never resolve.
 */
export function andThen(a: GenLike, b: GenLike): Gen {
  return gen([a, synchronize(b)]);
}

class Any implements Generator {
  constructor(readonly gens: readonly Generator[]) {}
  op(ctx: Context): OpResult {
    const cands: Candidate[] = [];
    let pending = false;
    this.gens.forEach((g, i) => {
      const r = g.op(ctx);
      if (r === 'pending') pending = true;
      else if (r !== null) cands.push({ i, emit: r });
    });
    const best = soonest(cands, ctx.random);
    if (best === undefined) return pending ? 'pending' : null;
    const gens = [...this.gens];
    if (best.emit.gen === null) gens.splice(best.i, 1);
    else gens[best.i] = best.emit.gen;
    return { op: best.emit.op, gen: gens.length === 0 ? null : gens.length === 1 ? gens[0] : new Any(gens) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    const gens = this.gens.map((g) => g.update(ctx, event)).filter((g): g is Generator => g !== null);
    return gens.length === 0 ? null : gens.length === 1 ? gens[0] : new Any(gens);
  }
}

/**
 * All of `gens` at once: the op that comes soonest (by time) from any of them; ties are broken at
 * random (ctx.random) so no generator starves another. Updates go to every one; ends when all have.
 */
export function any(...gens: GenLike[]): Gen {
  const gs = gens.map((g) => gen(g)).filter((g): g is Generator => g !== null);
  return gs.length === 0 ? null : gs.length === 1 ? gs[0] : new Any(gs);
}
