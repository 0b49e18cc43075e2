// A linearizability checker by brute force, for property tests of the real one: it tries every
// order of the ops that respects real time (and every choice of which unknown-outcome ops took
// effect), with no cache and no pruning. Exponential: only for small histories.
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import type { Model } from '../../checker/linearizable/model.js';

interface BruteCall {
  op: Op;
  done: Op | undefined;
  inv: number;
  ret: number; // Infinity for unknown outcome
}

export function bruteForceLinearizable(h: History, model: Model<unknown>): boolean {
  const calls: BruteCall[] = [];
  h.ops.forEach((op, i) => {
    if (op.type !== 'invoke' || op.process === 'nemesis') return;
    const j = h.pair[i];
    const c = j === -1 ? undefined : h.ops[j];
    if (c?.type === 'fail') return;
    calls.push({ op, done: c?.type === 'ok' ? c : undefined, inv: i, ret: c?.type === 'ok' ? j : Infinity });
  });
  const used = new Array(calls.length).fill(false);
  const okTotal = calls.filter((c) => c.done).length;
  const go = (state: unknown, okDone: number): boolean => {
    if (okDone === okTotal) return true;
    for (let k = 0; k < calls.length; k++) {
      if (used[k]) continue;
      const c = calls[k];
      // real time: every op that returned before c was invoked must already be linearized
      let allowed = true;
      for (let d = 0; d < calls.length; d++) {
        if (!used[d] && d !== k && calls[d].ret < c.inv) {
          allowed = false;
          break;
        }
      }
      if (!allowed) continue;
      const next = model.step(state, c.op, c.done);
      if (typeof next === 'symbol') continue;
      used[k] = true;
      const ok = go(next, okDone + (c.done ? 1 : 0));
      used[k] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(model.init(), 0);
}
