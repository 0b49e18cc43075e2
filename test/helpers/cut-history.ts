import { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';

/** The ops before position `cut`, with invocations still pending there completed as info. */
export function cutHistory(h: History, cut: number): History {
  const ops: Op[] = h.ops.slice(0, cut) as Op[];
  const pending: Op[] = [];
  ops.forEach((op, i) => {
    if (op.type === 'invoke' && op.process !== 'nemesis' && (h.pair[i] === -1 || h.pair[i] >= cut)) {
      pending.push({ ...op, type: 'info', index: 1e9 + pending.length });
    }
  });
  return new History([...ops, ...pending]);
}
