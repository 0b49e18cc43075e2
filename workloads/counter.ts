// A counter: adds of small increments (positive unless `negative`) and reads, then a read on every
// node. Each ok read must lie between what the adds certainly and possibly contributed by then.
import { counter as counterChecker } from '../checker/counter.js';
import { withStatsAndPerf } from './common/checkers.js';
import { onEveryNode } from './common/per-node.js';
import { counterOps, counterOptionsSchema, type CounterSettings } from './common/increments.js';
import { builtinWorkload } from './common/target.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

const optionsSchema = counterOptionsSchema(true);

type Settings = CounterSettings;

export const counter: Workload = {
  name: 'counter',
  description: 'adds of small increments to one counter and reads of it, a read on every node at the end; reads out of bounds (counter)',
  optionsSchema,
  modes: ['multi-leader-lww', 'multi-leader-vv', 'leader-follower-sync', 'leader-follower-async', 'sharded', 'cache'],
  targetOptions: () => builtinWorkload('counter'),

  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    return counterOps('counter', s);
  },

  final: (o) => onEveryNode(o, { f: 'read', value: null }),

  checker: () => withStatsAndPerf('counter', { counter: counterChecker }),
};
