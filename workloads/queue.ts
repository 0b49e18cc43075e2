// A queue: enqueues of unique elements (a counter in the generator's state) and dequeues, then a
// drain on every node. total-queue: nothing comes out that was not put in, nothing twice, and
// every acknowledged enqueue comes out (by a dequeue or the final drains).
import { totalQueue } from '../checker/queue.js';
import { withStatsAndPerf } from './common/checkers.js';
import { onEveryNode } from './common/per-node.js';
import { stateful } from './common/stateful.js';
import { weightOption, weights } from './common/weights.js';
import { builtinWorkload } from './common/target.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enqueues: weightOption('enqueues', 1),
    dequeues: weightOption('dequeues', 1),
  },
};

interface Settings {
  enqueues: number;
  dequeues: number;
}

export const queue: Workload = {
  name: 'queue',
  description: 'enqueues of unique elements and dequeues on one queue, drained on every node at the end; lost and duplicated elements (total-queue)',
  optionsSchema,
  modes: ['leader-follower-sync', 'leader-follower-async', 'multi-leader-lww', 'multi-leader-vv'],
  targetOptions: () => builtinWorkload('queue'),

  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    const w = weights('queue', { enqueues: s.enqueues, dequeues: s.dequeues });
    return stateful<number>(0, {
      next(element, ctx) {
        if (ctx.random.weighted(w) === 1) return { op: { f: 'dequeue', value: null }, next: element };
        return { op: { f: 'enqueue', value: element }, next: element + 1 };
      },
    });
  },

  final: (o) => onEveryNode(o, { f: 'drain', value: null }),

  checker: () => withStatsAndPerf('queue', { 'total-queue': totalQueue }),
};
