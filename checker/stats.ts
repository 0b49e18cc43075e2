// Counts of invocations and their outcomes per f: the first thing to look at in any history.
import type { History } from '../histories/history.js';
import type { Checker, Result } from './types.js';

export interface OutcomeCounts {
  count: number;
  ok: number;
  fail: number;
  info: number;
  /** Invoked and never completed: outcome unknown, like info. */
  open: number;
}

const zero = (): OutcomeCounts => ({ count: 0, ok: 0, fail: 0, info: 0, open: 0 });

export function countOutcomes(h: History): { total: OutcomeCounts; byF: Record<string, OutcomeCounts> } {
  const total = zero();
  const byF: Record<string, OutcomeCounts> = {};
  h.ops.forEach((op, i) => {
    if (op.type !== 'invoke' || op.process === 'nemesis') return;
    const c = (byF[op.f] ??= zero());
    const done = h.completion(i);
    const outcome = done ? done.type : 'open';
    for (const t of [c, total]) {
      t.count++;
      t[outcome as 'ok' | 'fail' | 'info' | 'open']++;
    }
  });
  return { total, byF };
}

export const stats: Checker = {
  name: 'stats',
  description: 'counts of ok, fail, info (and never completed) invocations per f',
  async check(h: History): Promise<Result> {
    const { total, byF } = countOutcomes(h);
    const neverOk = Object.entries(byF).filter(([, c]) => c.ok === 0).map(([f]) => f);
    return {
      // Counts alone cannot show an anomaly; an f that never succeeded is worth a look but is not one.
      valid: true,
      summary: `${total.ok} ok, ${total.fail} fail, ${total.info} info${total.open ? `, ${total.open} never completed` : ''}`,
      ...total,
      nemesis: h.ops.length - h.clientOps().length,
      byF,
      ...(neverOk.length ? { neverOk } : {}),
    };
  },
};
