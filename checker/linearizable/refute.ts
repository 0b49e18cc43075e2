// A polynomial refutation for registers whose written values are all distinct, run before the
// search. With unique values, each value is the register's state during one unbroken stretch of
// any linearization (its segment: from its write to the next change), and the ops that see it
// (its write, the reads that return it, the cas that replaces it) are all linearized inside that
// stretch. Where real time forces two segments to overlap, no linearization exists, however many
// orders a search would have to try to find that out (Gibbons and Korach's zones, 1997; with cas
// and crashed ops the rules below are necessary conditions only, so "cannot tell" is an answer).
//
// Cluster of value v: the ops certain to happen that must be linearized while the state is v (or
// at the instants it becomes v and stops being v). Let f(v) be the earliest completion among
// them and s(v) the latest invocation. Each op is linearized strictly between its invocation and
// its completion, so when f(v) < s(v) (a forward zone) v's segment covers all of [f(v), s(v)];
// when f(v) > s(v) (a backward zone) it contains a point of (s(v), f(v)). Segments of distinct
// values share at most an end. So the history is not linearizable when:
//   - two forward zones overlap;
//   - a backward zone lies inside another value's forward zone;
//   - a cas that returned false (the state was not v) lies inside v's forward zone;
//   - a value is read or replaced though nothing wrote it (and it is not the initial state), or
//     is read or replaced entirely before its only write was invoked, or entirely after an op that
//     certainly replaced it completed, or two certain cas ops replace the same value.
// Crashed (info) ops are in a cluster only when they must have happened (their value was seen),
// with no completion; ops that may not have happened are left out, which only weakens the rules.
import type { Model } from './model.js';
import type { PreparedPart } from './prepare.js';
import { valueKey } from './values.js';

export interface RegisterSemantics {
  init: unknown;
  /** The model has cas (cas-register); a plain register refuses cas ops. */
  cas: boolean;
  /** A read of null tells nothing (the register does not start null). */
  nullIsUnknown: boolean;
}

const registers = new WeakMap<object, RegisterSemantics>();

/** Marks a model as a register with these semantics, so refuteRegister may be used on it. */
export function markRegister(model: Model<unknown>, semantics: RegisterSemantics): void {
  registers.set(model, semantics);
}

/** Whether the refutation knows this model. */
export function canRefute(model: Model<unknown>): boolean {
  return registers.has(model);
}

const NONE = -1;

/**
 * True when the part is certainly not linearizable; false when this check cannot tell (values not
 * unique, or no rule fires). Never true for a linearizable part.
 */
export function refuteRegister(part: PreparedPart, model: Model<unknown>): boolean {
  const sem = registers.get(model);
  if (!sem) return false;
  const calls = part.calls;
  const n = calls.length;
  // Values to small ids; id 0 is the initial state.
  const ids = new Map<number | string, number>();
  const idOf = (v: unknown): number => {
    const k = valueKey(v);
    let id = ids.get(k);
    if (id === undefined) ids.set(k, (id = ids.size));
    return id;
  };
  idOf(sem.init);
  // Per call: what it writes (value id, or NONE) and what it must find (value id, or NONE), and
  // whether it is a cas that returned false (then `finds` is the value it must NOT find).
  const writes = new Int32Array(n).fill(NONE);
  const finds = new Int32Array(n).fill(NONE);
  const notFinds = new Int32Array(n).fill(NONE);
  const certain = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const { op, done } = calls[i];
    certain[i] = done ? 1 : 0;
    if (op.f === 'read') {
      if (!done) continue;
      if (done.value === null && sem.nullIsUnknown) continue;
      finds[i] = idOf(done.value);
    } else if (op.f === 'write') {
      writes[i] = idOf(op.value);
    } else if (op.f === 'cas' && sem.cas && Array.isArray(op.value) && op.value.length === 2) {
      const [from, to] = op.value as [unknown, unknown];
      if (done && done.result === false) notFinds[i] = idOf(from);
      else {
        finds[i] = idOf(from);
        writes[i] = idOf(to);
      }
    } else return false; // an op this check does not model
  }
  const values = ids.size;
  // The one op that may write each value; a value written twice (or the initial one written) is
  // outside this check.
  const writer = new Int32Array(values).fill(NONE);
  for (let i = 0; i < n; i++) {
    const v = writes[i];
    if (v === NONE) continue;
    if (v === 0 || writer[v] !== NONE) return false;
    writer[v] = i;
  }
  // Ops that may not have happened must have, when what they wrote was seen by a certain op.
  // (A crashed cas that must have happened makes what it found seen too: repeat until stable.)
  const seen = new Uint8Array(values);
  for (let i = 0; i < n; i++) if (certain[i] && finds[i] !== NONE) seen[finds[i]] = 1;
  for (let changed = true; changed; ) {
    changed = false;
    for (let v = 1; v < values; v++) {
      const w = writer[v];
      if (!seen[v] || w === NONE || certain[w]) continue;
      certain[w] = 1;
      changed = true;
      if (finds[w] !== NONE) seen[finds[w]] = 1;
    }
  }
  const INF = Number.MAX_SAFE_INTEGER;
  const inv = (i: number) => calls[i].invokedAt;
  const ret = (i: number) => (calls[i].done ? calls[i].completedAt : INF);
  // f (earliest completion) and s (latest invocation) of each value's cluster; the initial value's
  // write happened before everything.
  const f = new Float64Array(values).fill(INF);
  const s = new Float64Array(values).fill(-1);
  const size = new Int32Array(values);
  f[0] = -1;
  const replacedBy = new Int32Array(values).fill(NONE);
  for (let i = 0; i < n; i++) {
    if (!certain[i]) continue;
    const v = finds[i];
    if (v !== NONE) {
      if (v !== 0 && writer[v] === NONE) return true; // seen, never written
      if (writes[i] !== NONE) {
        if (replacedBy[v] !== NONE) return true; // two cas replace the same value
        replacedBy[v] = i;
      }
      f[v] = Math.min(f[v], ret(i));
      s[v] = Math.max(s[v], inv(i));
      size[v]++;
    }
    const w = writes[i];
    if (w !== NONE) {
      f[w] = Math.min(f[w], ret(i));
      s[w] = Math.max(s[w], inv(i));
      size[w]++;
    }
  }
  for (let i = 0; i < n; i++) {
    const v = finds[i];
    if (!certain[i] || v === NONE) continue;
    // Found before its only write could have happened.
    if (v !== 0 && ret(i) < inv(writer[v])) return true;
    // Found after the op that replaced it had certainly happened.
    const r = replacedBy[v];
    if (r !== NONE && r !== i && inv(i) > ret(r)) return true;
  }
  // Forward zones, sorted by start; any overlap refutes.
  const forward: number[] = [];
  for (let v = 0; v < values; v++) if (size[v] > 0 && f[v] < s[v]) forward.push(v);
  forward.sort((a, b) => f[a] - f[b]);
  let reach = -Infinity;
  for (const v of forward) {
    if (f[v] < reach) return true;
    reach = Math.max(reach, s[v]);
  }
  // The forward zone (disjoint now, so sorted by end too) that starts last before `at`, or NONE.
  const coverBefore = (at: number): number => {
    let lo = 0;
    let hi = forward.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (f[forward[mid]] < at) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? NONE : forward[lo - 1];
  };
  // Backward zones inside another value's forward zone.
  for (let v = 0; v < values; v++) {
    if (size[v] === 0 || !(f[v] > s[v])) continue;
    const u = coverBefore(s[v]);
    if (u !== NONE && u !== v && s[u] > f[v]) return true;
  }
  // A cas that returned false lies inside the forward zone of the value it did not find.
  for (let i = 0; i < n; i++) {
    const v = notFinds[i];
    if (v === NONE || !(size[v] > 0 && f[v] < s[v])) continue;
    if (f[v] < inv(i) && ret(i) < s[v]) return true;
  }
  return false;
}
