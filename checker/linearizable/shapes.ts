// Op values of the wrong shape for a model are input errors, found before the search: a model's
// step trusted them and failed inside ("internal error in linearizable: number 1 is not
// iterable" for a cas whose value is 1), or made a verdict of them (a counter adding "x" counted
// NaN) (issue 20). Each built-in model says what it takes in `checkOp`; a user's model may too.
import { HistoryError, show } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import type { Model } from './model.js';

/** Throws HistoryError at the first client op (invocation or completion) whose value the model cannot take. */
export function checkOpShapes(h: History, m: Model<unknown>): void {
  const check = m.checkOp;
  if (!check) return;
  const ops = h.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis') continue;
    const done = h.completion(i);
    const ok = done?.type === 'ok' ? done : undefined;
    const why = check(op, ok);
    if (why === undefined) continue;
    // the line of the op the complaint is about: the completion's when it names the result
    const at = why.startsWith('its result') && ok ? h.ops.indexOf(ok, i) : i;
    throw new HistoryError(h.file, h.lineOf(at), `${op.f} ${why} (model ${m.name})`);
  }
}

export const kindOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** "value must be …, got …" */
export const wrongValue = (want: string, got: unknown) => `value must be ${want}, got ${show(got)}`;
/** "its result must be …, got …": about the ok completion's value. */
export const wrongResult = (want: string, got: unknown) => `its result must be ${want}, got ${show(got)}`;

export const isPair = (v: unknown): boolean => Array.isArray(v) && v.length === 2;
export const isScalar = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The init checks: why `init` is not a state the model can hold, or undefined. */
export function initOf(want: string, ok: (v: unknown) => boolean): (init: unknown) => string | undefined {
  return (init) => (ok(init) ? undefined : `the model's state is ${want}, not ${kindOf(init)}`);
}

export type OpCheck = (op: Op, done: Op | undefined) => string | undefined;
