// Combinators that decide which threads run which generator: the nemesis vs the clients, a copy
// per thread, fixed thread ranges.
import { clientThreadsOnly, processToThread, restrict, restrictTo, workThreads } from './context.js';
import { type Candidate, type Gen, gen, soonest } from './core.js';
import { any } from './combinators.js';
import type { Context, GenEvent, GenLike, Generator, OpResult, Thread } from './types.js';

class OnThreads implements Generator {
  constructor(readonly pred: (t: Thread) => boolean, readonly g: Generator) {}
  op(ctx: Context): OpResult {
    const r = this.g.op(restrict(ctx, this.pred));
    if (r === null || r === 'pending') return r;
    return { op: r.op, gen: r.gen === null ? null : new OnThreads(this.pred, r.gen) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    if (!this.pred(processToThread(ctx, event.process))) return this;
    const g = this.g.update(restrict(ctx, this.pred), event);
    return g === null ? null : new OnThreads(this.pred, g);
  }
}

/**
 * `g` restricted to the threads satisfying `pred`: it sees only those threads (free or not) and
 * only their events, and its ops run only on them.
 */
export function onThreads(pred: (t: Thread) => boolean, g: GenLike): Gen {
  const x = gen(g);
  return x === null ? null : new OnThreads(pred, x);
}

const isClient = clientThreadsOnly;
const isNemesis = (t: Thread): boolean => t === 'nemesis';

/**
 * `clients(g)`: `g` on the client threads only. `clients(c, n)`: `c` on the clients and `n` on the
 * nemesis, at the same time.
 */
export function clients(clientGen: GenLike, nemesisGen?: GenLike): Gen {
  const c = onThreads(isClient, clientGen);
  return nemesisGen === undefined ? c : any(c, onThreads(isNemesis, nemesisGen));
}

/**
 * `nemesis(g)`: `g` on the nemesis thread only (its ops get process 'nemesis'). `nemesis(n, c)`:
 * `n` on the nemesis and `c` on the clients, at the same time.
 */
export function nemesis(nemesisGen: GenLike, clientGen?: GenLike): Gen {
  const n = onThreads(isNemesis, nemesisGen);
  return clientGen === undefined ? n : any(n, onThreads(isClient, clientGen));
}

/** Per thread: undefined (not started: the fresh generator), a generator, or null (exhausted). */
type PerThread = ReadonlyMap<Thread, Gen>;

class EachThread implements Generator {
  constructor(readonly fresh: Generator, readonly gens: PerThread) {}
  private genFor(t: Thread): Gen {
    const g = this.gens.get(t);
    return g === undefined ? this.fresh : g;
  }
  op(ctx: Context): OpResult {
    const threads = workThreads(ctx.threads);
    const cands: Candidate[] = [];
    const owners: Thread[] = [];
    let pending = false;
    for (const t of ctx.freeThreads) {
      if (!threads.includes(t)) continue;
      const g = this.genFor(t);
      if (g === null) continue;
      const r = g.op(restrictTo(ctx, [t]));
      if (r === 'pending') pending = true;
      else if (r !== null) {
        cands.push({ i: owners.length, emit: r });
        owners.push(t);
      }
    }
    const best = soonest(cands);
    if (best !== undefined) {
      const gens = new Map(this.gens);
      gens.set(owners[best.i], best.emit.gen);
      return { op: best.emit.op, gen: new EachThread(this.fresh, gens) };
    }
    if (pending) return 'pending';
    // No free thread has an op. A busy thread that is not known to be exhausted may have more.
    for (const t of threads) if (!ctx.freeThreads.includes(t) && this.genFor(t) !== null) return 'pending';
    return null;
  }
  update(ctx: Context, event: GenEvent): Gen {
    const t = processToThread(ctx, event.process);
    if (!workThreads(ctx.threads).includes(t)) return this;
    const g = this.genFor(t);
    if (g === null) return this;
    const u = g.update(restrictTo(ctx, [t]), event);
    if (u === g) return this;
    const gens = new Map(this.gens);
    gens.set(t, u);
    return new EachThread(this.fresh, gens);
  }
}

/**
 * An independent copy of `g` for each thread of the context (its client threads; the nemesis only
 * inside `nemesis(…)`): each copy sees just its own thread and its own events. The soonest op of
 * any free thread goes first (the lowest thread on a tie). Ends when every copy has ended.
 */
export function eachThread(g: GenLike): Gen {
  const x = gen(g);
  return x === null ? null : new EachThread(x, new Map());
}

class Reserve implements Generator {
  constructor(
    readonly bounds: readonly number[], // range i is [bounds[i], bounds[i+1]); the default is [last bound, ∞)
    readonly gens: readonly Gen[], // one per range, the default last
  ) {}
  private ranges(ctx: Context): Thread[][] {
    const threads = workThreads(ctx.threads);
    const out: Thread[][] = [];
    for (let i = 0; i < this.gens.length; i++) {
      const lo = this.bounds[i];
      const hi = i + 1 < this.bounds.length ? this.bounds[i + 1] : threads.length;
      out.push(threads.slice(Math.min(lo, threads.length), Math.min(Math.max(hi, lo), threads.length)) as Thread[]);
    }
    return out;
  }
  op(ctx: Context): OpResult {
    const ranges = this.ranges(ctx);
    const cands: Candidate[] = [];
    let pending = false;
    this.gens.forEach((g, i) => {
      if (g === null || ranges[i].length === 0) return; // no thread can ever run it
      const r = g.op(restrictTo(ctx, ranges[i]));
      if (r === 'pending') pending = true;
      else if (r !== null) cands.push({ i, emit: r });
    });
    const best = soonest(cands);
    if (best === undefined) return pending ? 'pending' : null;
    const gens = [...this.gens];
    gens[best.i] = best.emit.gen;
    return { op: best.emit.op, gen: gens.every((g) => g === null) ? null : new Reserve(this.bounds, gens) };
  }
  update(ctx: Context, event: GenEvent): Gen {
    const ranges = this.ranges(ctx);
    const t = processToThread(ctx, event.process);
    const i = ranges.findIndex((r) => r.includes(t));
    if (i < 0 || this.gens[i] === null) return this;
    const u = this.gens[i]!.update(restrictTo(ctx, ranges[i]), event);
    if (u === this.gens[i]) return this;
    const gens = [...this.gens];
    gens[i] = u;
    return gens.every((g) => g === null) ? null : new Reserve(this.bounds, gens);
  }
}

/**
 * Fixed thread ranges: `reserve(5, writes, 10, cas, reads)` runs `writes` on the first 5 client
 * threads of the context, `cas` on the next 10, and `reads` on the rest (the nemesis is never in a
 * range: combine with `nemesis(…)`). Each generator sees only its own threads and their events.
 * The soonest op goes first (the earlier range on a tie). A range with no threads (concurrency too
 * small) never runs. Ends when every range's generator has ended.
 */
export function reserve(...args: Array<number | GenLike>): Gen {
  if (args.length % 2 !== 1) throw new RangeError('reserve: give count, generator pairs and then a default generator');
  const bounds: number[] = [0];
  const gens: Gen[] = [];
  for (let i = 0; i + 1 < args.length; i += 2) {
    const n = args[i];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new RangeError(`reserve: thread count must be an integer ≥ 0, not ${String(n)}`);
    bounds.push(bounds[bounds.length - 1] + n);
    gens.push(gen(args[i + 1] as GenLike));
  }
  gens.push(gen(args[args.length - 1] as GenLike));
  return gens.every((g) => g === null) ? null : new Reserve(bounds, gens);
}
