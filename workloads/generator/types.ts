// The generator protocol (DESIGN.md, "Generators are pure and seeded"): a generator is an immutable
// value that, asked for an op in a context, says what to invoke next and what it becomes after.
import type { OpType, Process } from '../../histories/op.js';
import type { Random } from '../../base/random.js';

/** A worker thread: client threads 0..concurrency-1, and the nemesis. */
export type Thread = number | 'nemesis';

/**
 * What a generator sees. Contexts are immutable; drivers build new ones with the helpers of
 * context.ts (`invoked`, `completed`, `atTime`), and combinators narrow them with `restrict`.
 */
export interface Context {
  /** Now, in nanoseconds since the test started (virtual under `simulate`, real in the runner). */
  readonly time: number;
  /** Client threads in the whole test; a process maps to thread `process % concurrency`. */
  readonly concurrency: number;
  /** The threads this generator may use, ascending with 'nemesis' last (narrowed by onThreads etc.). */
  readonly threads: readonly Thread[];
  /** Those of `threads` with nothing in flight, in the same order. */
  readonly freeThreads: readonly Thread[];
  /** Thread → the process it currently runs (all threads of the test, not only `threads`). */
  readonly workers: ReadonlyMap<Thread, Process>;
  /**
   * The seeded random stream. It is the one stateful thing here: the same seed and the same
   * sequence of calls give the same numbers, so the same seed gives the same schedule.
   */
  readonly random: Random;
}

/**
 * An op a generator wants invoked, with its process and time filled in (`time` may lie in the
 * future: the driver waits for it, or asks again after a completion). No index and no history
 * type: the driver records it as `invoke` (or `info` on the nemesis). `type` appears only on the
 * special `sleep` op, which occupies its thread for `value` ns and is never recorded.
 */
export interface Invocation {
  process: Process;
  time: number;
  f: string;
  value: unknown;
  type?: 'sleep';
  key?: unknown;
  final?: boolean;
  [extra: string]: unknown;
}

/** An op written as a value: one op. `process` pins it to that process's thread; `time` delays it. */
export interface OpTemplate {
  f: string;
  value?: unknown;
  process?: Process;
  time?: number;
  type?: 'sleep' | 'invoke';
  key?: unknown;
  final?: boolean;
  [extra: string]: unknown;
}

/** An event given to `update`: an invocation or a completion (a faultline Op fits), or a sleep. */
export interface GenEvent {
  type: OpType | 'sleep';
  process: Process;
  f: string;
  value?: unknown;
  time?: number;
  index?: number;
  [extra: string]: unknown;
}

/** `{ op, gen }`: invoke `op`, after which the generator is `gen` (null: that was the last op). */
export interface Emit {
  op: Invocation;
  gen: Generator | null;
}

/** The answer to `op(ctx)`: an op, 'pending' (nothing now, maybe later), or null (exhausted, forever). */
export type OpResult = Emit | 'pending' | null;

export interface Generator {
  /** The next op to invoke in `ctx` and the generator that follows it. Pure: no I/O, no clocks. */
  op(ctx: Context): OpResult;
  /** The generator after `event` (an invocation or completion) happened; null when exhausted. */
  update(ctx: Context, event: GenEvent): Generator | null;
}

/**
 * Anything usable as a generator: a Generator; an op object (one op); a function of the context
 * (called for a generator, which runs until exhausted, then the function is called again; return
 * null to end); an array (a sequence: each element until exhausted, then the next); null (nothing).
 */
export type GenLike =
  | Generator
  | OpTemplate
  | ((ctx: Context) => GenLike | undefined)
  | readonly GenLike[]
  | null
  | undefined;
