// Contexts and the thread bookkeeping drivers (simulate, the runner) keep: which threads are free,
// which process each thread runs, and Jepsen's rule that a thread whose op ended in `info`
// continues under process + concurrency. Combinators only read contexts and narrow them.
import type { Process } from '../../histories/op.js';
import { Random } from '../../base/random.js';
import type { Context, GenEvent, Thread } from './types.js';

export interface ContextOptions {
  /** Client threads (≥ 1); threads 0..concurrency-1, plus the 'nemesis' thread. */
  concurrency: number;
  /** The seed of ctx.random (ignored when `random` is given). Default 0. */
  seed?: number;
  random?: Random;
  /** Start time in ns. Default 0. */
  time?: number;
}

/** The context a test starts in: every thread free, thread i running process i. */
export function makeContext(options: ContextOptions): Context {
  const n = options.concurrency;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`concurrency must be a positive integer, not ${n}`);
  const threads: Thread[] = [];
  const workers = new Map<Thread, Process>();
  for (let i = 0; i < n; i++) {
    threads.push(i);
    workers.set(i, i);
  }
  threads.push('nemesis');
  workers.set('nemesis', 'nemesis');
  return {
    time: options.time ?? 0,
    concurrency: n,
    threads,
    freeThreads: threads,
    workers,
    random: options.random ?? new Random(options.seed ?? 0),
  };
}

/** The thread that runs `process`: process mod concurrency, or 'nemesis'. */
export function processToThread(ctx: Context, process: Process): Thread {
  return process === 'nemesis' ? 'nemesis' : ((process % ctx.concurrency) + ctx.concurrency) % ctx.concurrency;
}

/** The process `thread` currently runs. */
export function threadToProcess(ctx: Context, thread: Thread): Process {
  const p = ctx.workers.get(thread);
  if (p === undefined) throw new RangeError(`no thread ${String(thread)} in this context`);
  return p;
}

export function isFree(ctx: Context, thread: Thread): boolean {
  return ctx.freeThreads.includes(thread);
}

/** True when no thread of this context has an op in flight. */
export function allFree(ctx: Context): boolean {
  return ctx.freeThreads.length === ctx.threads.length;
}

/**
 * The threads plain ops run on: the context's client threads, or, when it has none (inside
 * `nemesis(…)`), its threads as they are. So an op goes to the nemesis only when the generator
 * that emits it was given nothing but the nemesis thread.
 */
export function workThreads(threads: readonly Thread[]): readonly Thread[] {
  const last = threads.length - 1;
  if (last >= 1 && threads[last] === 'nemesis') return threads.slice(0, last);
  return threads;
}

/**
 * The process of a free work thread (see workThreads), chosen with the context's seeded random
 * stream, or undefined when none is free. Not simply the first: at a modest rate the first free
 * thread is nearly always thread 0, and its node would get almost every op.
 */
export function someFreeProcess(ctx: Context): Process | undefined {
  const free = ctx.freeThreads;
  if (free.length === 0) return undefined;
  const onlyNemesis = ctx.threads.length === 1 && ctx.threads[0] === 'nemesis';
  if (onlyNemesis) return ctx.workers.get(free[0]);
  const work = free[free.length - 1] === 'nemesis' ? free.length - 1 : free.length;
  if (work === 0) return undefined;
  const t = work === 1 ? free[0] : free[ctx.random.int(work)];
  return ctx.workers.get(t);
}

/** The processes of the free threads. */
export function freeProcesses(ctx: Context): Process[] {
  return ctx.freeThreads.map((t) => ctx.workers.get(t)!);
}

// The last narrowing of each predicate is remembered: a driver asks with the same context several
// times (to update, then for ops), and thread lists stay the same object between events.
interface Narrowing {
  ctx: Context;
  out: Context;
  threads: readonly Thread[];
  narrowed: readonly Thread[];
}
const lastNarrowing = new WeakMap<(t: Thread) => boolean, Narrowing>();

/**
 * A predicate true for every client thread and false for the nemesis: `restrict` narrows by it
 * without calling it per thread (the nemesis is always last), which is most of what `clients(…)`
 * costs per op at high concurrency.
 */
export const clientThreadsOnly = Object.assign((t: Thread): boolean => t !== 'nemesis', { clientsOnly: true as const });

function dropNemesis(threads: readonly Thread[]): readonly Thread[] {
  const n = threads.length;
  return n > 0 && threads[n - 1] === 'nemesis' ? threads.slice(0, n - 1) : threads;
}

// The last client narrowing, kept apart from the WeakMap (one lookup less per call) and with the
// free list's narrowing too: contexts that differ only in time share their free list, so a burst
// of asks between two events narrows it once.
let lastClients: { ctx: Context; out: Context; threads: readonly Thread[]; narrowed: readonly Thread[]; free: readonly Thread[]; narrowedFree: readonly Thread[] } | undefined;

function restrictToClients(ctx: Context): Context {
  const last = lastClients;
  if (last !== undefined && last.ctx === ctx) return last.out;
  const threads = last !== undefined && last.threads === ctx.threads ? last.narrowed : dropNemesis(ctx.threads);
  const freeThreads = last !== undefined && last.free === ctx.freeThreads ? last.narrowedFree : dropNemesis(ctx.freeThreads);
  const out = threads === ctx.threads && freeThreads === ctx.freeThreads ? ctx : { ...ctx, threads, freeThreads };
  lastClients = { ctx, out, threads: ctx.threads, narrowed: threads, free: ctx.freeThreads, narrowedFree: freeThreads };
  return out;
}

/** The context seen by a generator restricted to the threads satisfying `pred` (a pure predicate). */
export function restrict(ctx: Context, pred: (t: Thread) => boolean): Context {
  const last = lastNarrowing.get(pred);
  if (last !== undefined && last.ctx === ctx) return last.out;
  if (pred === clientThreadsOnly) return restrictToClients(ctx);
  let threads: readonly Thread[];
  if (last !== undefined && last.threads === ctx.threads) threads = last.narrowed;
  else {
    const kept = ctx.threads.filter(pred);
    threads = kept.length === ctx.threads.length ? ctx.threads : kept;
  }
  const freeThreads = ctx.freeThreads.filter(pred);
  const out = threads === ctx.threads && freeThreads.length === ctx.freeThreads.length ? ctx : { ...ctx, threads, freeThreads };
  lastNarrowing.set(pred, { ctx, out, threads: ctx.threads, narrowed: threads });
  return out;
}

/** The context narrowed to exactly `threads` (a subset of ctx.threads, in ctx order). */
export function restrictTo(ctx: Context, threads: readonly Thread[]): Context {
  if (threads.length === 1) {
    const t = threads[0];
    return { ...ctx, threads, freeThreads: ctx.freeThreads.includes(t) ? threads : [] };
  }
  const set = new Set(threads);
  return { ...ctx, threads, freeThreads: ctx.freeThreads.filter((t) => set.has(t)) };
}

/** The same context at time `time` (time never goes backwards). */
export function atTime(ctx: Context, time: number): Context {
  return time <= ctx.time ? ctx : { ...ctx, time };
}

function order(t: Thread): number {
  return t === 'nemesis' ? Infinity : t;
}

/** The context after `event`'s process invoked an op (or began a sleep) at event.time: its thread is busy. */
export function invoked(ctx: Context, event: GenEvent): Context {
  const thread = processToThread(ctx, event.process);
  const time = Math.max(ctx.time, event.time ?? ctx.time);
  return { ...ctx, time, freeThreads: ctx.freeThreads.filter((t) => t !== thread) };
}

/**
 * The context after `event` completed its process's op (or sleep) at event.time: the thread is
 * free again, and when a client op ended in `info` the thread runs process + concurrency from now.
 */
export function completed(ctx: Context, event: GenEvent): Context {
  const thread = processToThread(ctx, event.process);
  const time = Math.max(ctx.time, event.time ?? ctx.time);
  let freeThreads = ctx.freeThreads;
  if (!freeThreads.includes(thread) && ctx.threads.includes(thread)) {
    const next = [...freeThreads];
    let i = next.length;
    while (i > 0 && order(next[i - 1]) > order(thread)) i--;
    next.splice(i, 0, thread);
    freeThreads = next;
  }
  let workers = ctx.workers;
  if (event.type === 'info' && typeof event.process === 'number' && workers.get(thread) === event.process) {
    const w = new Map(workers);
    w.set(thread, event.process + ctx.concurrency);
    workers = w;
  }
  return { ...ctx, time, freeThreads, workers };
}
