// Plain values as generators (op objects, functions, arrays) and the helpers every combinator uses.
import { processToThread, someFreeProcess } from './context.js';
import type { Context, Emit, GenEvent, GenLike, Generator, Invocation, OpResult, OpTemplate } from './types.js';

/** A generator or nothing: combinators hold their children as this, null meaning exhausted. */
export type Gen = Generator | null;

export function isGenerator(x: unknown): x is Generator {
  return typeof x === 'object' && x !== null && typeof (x as Generator).op === 'function' && typeof (x as Generator).update === 'function';
}

/** Turns anything generator-like (see GenLike) into a Generator, or null for nothing. */
export function gen(x: GenLike): Gen {
  if (x === null || x === undefined) return null;
  if (typeof x === 'function') return new FnGen(x);
  if (Array.isArray(x)) return x.length === 0 ? null : new Seq(null, x, 0);
  if (isGenerator(x)) return x;
  if (typeof x === 'object' && typeof (x as OpTemplate).f === 'string') return new OneOp(x as OpTemplate);
  throw new TypeError(`not a generator: ${JSON.stringify(x)}`);
}

/** Asks `g` for an op; null stays null. */
export function opOf(g: Gen, ctx: Context): OpResult {
  return g === null ? null : g.op(ctx);
}

/** Updates `g`; null stays null. */
export function updateOf(g: Gen, ctx: Context, event: GenEvent): Gen {
  return g === null ? null : g.update(ctx, event);
}

/**
 * An op template with process and time filled in from the context, or 'pending' when no thread it
 * may run on is free, or null when the context has no thread it could ever run on.
 */
export function fillIn(t: OpTemplate, ctx: Context, extras: readonly string[] = extraKeys(t)): Invocation | 'pending' | null {
  let process;
  if (t.process !== undefined) {
    // A named process pins the op to that process's thread, which runs it under its current process.
    const thread = processToThread(ctx, t.process);
    if (!ctx.threads.includes(thread)) return null;
    if (!ctx.freeThreads.includes(thread)) return 'pending';
    process = ctx.workers.get(thread)!;
  } else {
    if (ctx.threads.length === 0) return null;
    process = someFreeProcess(ctx);
    if (process === undefined) return 'pending';
  }
  const op: Invocation = { process, time: t.time ?? ctx.time, f: t.f, value: t.value ?? null };
  for (const k of extras) op[k] = t[k];
  if (t.type === 'sleep') op.type = 'sleep';
  return op;
}

const OWN_KEYS = new Set(['process', 'time', 'f', 'value', 'type']);

/** The fields of a template that are copied as they are (key, final, …). */
export function extraKeys(t: OpTemplate): string[] {
  return Object.keys(t).filter((k) => !OWN_KEYS.has(k));
}

/** An op object: emits that one op, once a thread it may run on is free. Ignores updates. */
class OneOp implements Generator {
  private readonly extras: readonly string[];
  constructor(readonly template: OpTemplate) {
    this.extras = extraKeys(template);
  }
  op(ctx: Context): OpResult {
    const op = fillIn(this.template, ctx, this.extras);
    if (op === null || op === 'pending') return op;
    return { op, gen: null };
  }
  update(): Generator {
    return this;
  }
}

/**
 * An array: all ops of its first element, then of the second, and so on. Updates go to the element
 * currently running (as in Jepsen); an element that has not started yet sees none.
 */
export class Seq implements Generator {
  constructor(
    readonly current: Gen,
    readonly items: readonly GenLike[],
    readonly next: number,
  ) {}

  op(ctx: Context): OpResult {
    let cur = this.current;
    let i = this.next;
    for (;;) {
      if (cur !== null) {
        const r = cur.op(ctx);
        if (r === 'pending') return 'pending';
        if (r !== null) {
          const rest = r.gen === null && i >= this.items.length ? null : new Seq(r.gen, this.items, i);
          return { op: r.op, gen: rest };
        }
      }
      if (i >= this.items.length) return null;
      cur = gen(this.items[i++]);
    }
  }

  update(ctx: Context, event: GenEvent): Gen {
    if (this.current === null) return this;
    const g = this.current.update(ctx, event);
    if (g === this.current) return this;
    return g === null && this.next >= this.items.length ? null : new Seq(g, this.items, this.next);
  }
}

/** How many times in a row a function may hand back an already exhausted generator before it counts as ended. */
const EMPTY_CALLS = 16;

/**
 * A function of the context: called for a generator, whose ops are emitted until it is exhausted;
 * then the function is called again. It ends when it returns null or undefined (or keeps returning
 * generators that are already exhausted). It is called only when a thread a plain op could run on
 * is free (see someFreeProcess), so a function with side effects is not called for nothing while every
 * thread is busy; but a 'pending' answer keeps nothing, so after one the function is called afresh
 * next time. Ignores updates.
 */
export class FnGen implements Generator {
  constructor(readonly fn: (ctx: Context) => GenLike | undefined) {}
  op(ctx: Context): OpResult {
    if (ctx.threads.length === 0) return null;
    if (someFreeProcess(ctx) === undefined) return 'pending';
    for (let tries = 0; tries < EMPTY_CALLS; tries++) {
      const g = gen(this.fn(ctx));
      if (g === null) return null;
      const r = g.op(ctx);
      if (r === 'pending') return 'pending';
      if (r !== null) return { op: r.op, gen: r.gen === null ? this : new Seq(r.gen, [this], 0) };
    }
    return null;
  }
  update(): Generator {
    return this;
  }
}

/** A candidate op from one of several children: which child, the op, and the child's next state. */
export interface Candidate {
  i: number;
  emit: Emit;
}

/**
 * The earliest of several candidates. Ties go to the first (by position) unless `random` is given,
 * in which case they are broken at random in proportion to `weights` (default 1 each).
 */
export function soonest(cands: readonly Candidate[], random?: Context['random'], weights?: readonly number[]): Candidate | undefined {
  let best: Candidate | undefined;
  let tied: Candidate[] = [];
  for (const c of cands) {
    if (best === undefined || c.emit.op.time < best.emit.op.time) {
      best = c;
      tied = [c];
    } else if (c.emit.op.time === best.emit.op.time) tied.push(c);
  }
  if (random === undefined || tied.length <= 1) return best;
  return tied[random.weighted(tied.map((c) => (weights ? weights[c.i] : 1)))];
}
