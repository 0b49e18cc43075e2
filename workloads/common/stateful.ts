// A generator whose state is a plain value carried from op to op, for workloads that must remember
// something between ops (a counter of written values, the keys in use, the last value seen).
// Generators are pure: asking for an op twice in the same state gives the same op (up to
// ctx.random), and only the generator the caller keeps moves on, so a value is never handed out
// twice even when a combinator (any, mix) asks and then discards the answer.
import { fillIn, someFreeProcess } from '../generator/index.js';
import type { Context, GenEvent, Generator, OpResult, OpTemplate } from '../generator/index.js';

/** The op to invoke next and the state after it; null ends the generator. */
export type Step<S> = { op: OpTemplate; next: S } | null;

export interface StatefulSpec<S> {
  /** The next op from state `s`. Called only when a client thread is free. */
  next(s: S, ctx: Context): Step<S>;
  /** The state after an invocation or completion (any thread's), e.g. to note a value read. */
  observe?(s: S, event: GenEvent): S;
}

class Stateful<S> implements Generator {
  constructor(readonly spec: StatefulSpec<S>, readonly state: S) {}

  op(ctx: Context): OpResult {
    if (ctx.threads.length === 0) return null;
    // Draw nothing from ctx.random while every thread is busy: the answer would be thrown away.
    if (someFreeProcess(ctx) === undefined) return 'pending';
    const step = this.spec.next(this.state, ctx);
    if (step === null) return null;
    const op = fillIn(step.op, ctx);
    if (op === null || op === 'pending') return op;
    return { op, gen: new Stateful(this.spec, step.next) };
  }

  update(_ctx: Context, event: GenEvent): Generator {
    if (this.spec.observe === undefined) return this;
    const s = this.spec.observe(this.state, event);
    return s === this.state ? this : new Stateful(this.spec, s);
  }
}

export function stateful<S>(initial: S, spec: StatefulSpec<S>): Generator {
  return new Stateful(spec, initial);
}
