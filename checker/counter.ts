// Jepsen's counter: adds of (possibly negative) increments and reads of the count. Each ok read
// must lie between the least and the most the counter could have held while the read was in
// flight: an add acknowledged before the read began certainly counts, an add invoked before the
// read ended (and not failed) may count, anything else does not.
//
// One pass in history order (history order is real-time order; `time` fields are not trusted to
// be monotonic), with four running sums:
//   okPos/okNeg:   increments > 0 / < 0 of adds completed ok so far
//   mayPos/mayNeg: increments > 0 / < 0 of adds invoked so far whose outcome is not fail
// At a read's invocation, okPos and okNeg are noted; at its ok completion,
//   lower = initial + okPos(at invocation) + mayNeg(now)
//   upper = initial + mayPos(now) + okNeg(at invocation).
import { HistoryError, InputError, show } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import type { Checker, CheckContext, Result } from './types.js';

export interface CounterError {
  /** `index` of the read's ok completion. */
  index: number;
  /** `index` of the read's invocation. */
  invocation: number;
  value: number;
  lower: number;
  upper: number;
  sentence: string;
}

export interface CounterOptions {
  initial: number;
  maxErrors: number;
}

const DEFAULT_MAX_ERRORS = 100;

export function counterOptions(raw: Record<string, unknown> = {}): CounterOptions {
  let initial = 0;
  if (raw.initial !== undefined && raw.initial !== null) {
    initial = typeof raw.initial === 'string' && raw.initial.trim() !== '' ? Number(raw.initial) : (raw.initial as number);
    if (typeof initial !== 'number' || !Number.isFinite(initial)) throw new InputError(`counter option initial: must be a number, got ${show(raw.initial)}`);
  }
  const mx = raw.maxErrors;
  if (mx !== undefined && (typeof mx !== 'number' || !Number.isInteger(mx) || mx < 0)) {
    throw new InputError(`counter option maxErrors: must be a whole number, got ${show(mx)}`);
  }
  return { initial, maxErrors: (mx as number | undefined) ?? DEFAULT_MAX_ERRORS };
}

export interface CounterBounds {
  /** Positions (in h.ops) of the ok read completions, in history order. */
  reads: Int32Array;
  values: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
}

/** Every ok read's value and bounds. Throws HistoryError for an add or read value it cannot use. */
export function counterBounds(h: History, initial = 0, file = h.file): CounterBounds {
  const ops = h.ops;
  const pair = h.pair;
  const n = ops.length;
  // At a read invocation's position: okPos and okNeg as they stood then.
  const okPosAt = new Float64Array(n);
  const okNegAt = new Float64Array(n);
  const readPos: number[] = [];
  let okPos = 0;
  let okNeg = 0;
  let mayPos = 0;
  let mayNeg = 0;
  // Bounds in growable typed arrays sized by a first guess.
  let cap = 1024;
  let values = new Float64Array(cap);
  let lower = new Float64Array(cap);
  let upper = new Float64Array(cap);
  let count = 0;

  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op.process === 'nemesis') continue;
    const f = op.f;
    if (f === 'add') {
      if (op.type === 'invoke') {
        const done = pair[i];
        if (done >= 0 && ops[done].type === 'fail') continue;
        const d = increment(h, i, done, file);
        if (d > 0) mayPos += d;
        else mayNeg += d;
      } else if (op.type === 'ok') {
        const inv = pair[i];
        if (inv < 0) continue;
        const d = increment(h, inv, i, file);
        if (d > 0) okPos += d;
        else okNeg += d;
      }
    } else if (f === 'read') {
      if (op.type === 'invoke') {
        okPosAt[i] = okPos;
        okNegAt[i] = okNeg;
      } else if (op.type === 'ok') {
        const inv = pair[i];
        if (inv < 0) continue;
        const v = op.value;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new HistoryError(file, h.lineOf(i), `value: an ok counter read must return a number, got ${show(v)}`);
        }
        if (count === cap) {
          cap *= 2;
          values = grow(values, cap);
          lower = grow(lower, cap);
          upper = grow(upper, cap);
        }
        values[count] = v;
        lower[count] = initial + okPosAt[inv] + mayNeg;
        upper[count] = initial + mayPos + okNegAt[inv];
        readPos.push(i);
        count++;
      }
    }
  }
  return {
    reads: Int32Array.from(readPos),
    values: values.subarray(0, count),
    lower: lower.subarray(0, count),
    upper: upper.subarray(0, count),
  };
}

function grow(a: Float64Array<ArrayBuffer>, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

/** An add's increment: its invocation's value (or, when that is missing, its completion's). */
function increment(h: History, inv: number, done: number, file: string): number {
  let at = inv;
  let v = h.ops[inv].value;
  if ((v === null || v === undefined) && done >= 0) {
    at = done;
    v = h.ops[done].value;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new HistoryError(file, h.lineOf(at), `value: an add must carry a whole-number increment, got ${show(v)}`);
  }
  return v;
}

export async function checkCounter(h: History, ctx: CheckContext = {}): Promise<Result> {
  const opts = counterOptions(ctx.options);
  const b = counterBounds(h, opts.initial, ctx.file ?? h.file);
  const ops = h.ops;
  const errors: CounterError[] = [];
  let errorCount = 0;
  let firstError = -1;
  for (let r = 0; r < b.reads.length; r++) {
    const v = b.values[r];
    const lo = b.lower[r];
    const hi = b.upper[r];
    if (v >= lo && v <= hi) continue;
    errorCount++;
    const pos = b.reads[r];
    if (firstError < 0) firstError = ops[pos].index;
    if (errors.length < opts.maxErrors) {
      const invocation = ops[h.pair[pos]].index;
      const side = v < lo ? `below the least it could be, ${lo}` : `above the most it could be, ${hi}`;
      errors.push({
        index: ops[pos].index,
        invocation,
        value: v,
        lower: lo,
        upper: hi,
        sentence: `The read at index ${ops[pos].index} (invoked at index ${invocation}) returned ${v}, ${side} (the counter was between ${lo} and ${hi} while it ran).`,
      });
    }
  }
  const base = { reads: b.reads.length, initial: opts.initial };
  if (b.reads.length === 0) {
    return { valid: 'unknown', reason: 'nothing-to-check', explanation: 'No read completed ok, so the counter could not be checked.', ...base, errorCount: 0, errors };
  }
  if (errorCount === 0) return { valid: true, ...base, errorCount: 0, errors };
  const first = errors[0];
  const more = errorCount === 1 ? `it is the only bad read of ${b.reads.length} ok reads` : `${errorCount} of ${b.reads.length} ok reads are out of bounds`;
  return {
    valid: false,
    explanation: `${first.sentence.slice(0, -1)}; ${more}.`,
    ops: errors.flatMap((e) => [e.invocation, e.index]).slice(0, 20),
    firstError,
    ...base,
    errorCount,
    errors,
  };
}

export const counter: Checker = {
  name: 'counter',
  description: 'counter of adds (which may be negative): every ok read lies between the least and most the counter could hold',
  check: (h, ctx) => checkCounter(h, ctx),
};
