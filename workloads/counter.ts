// A counter: adds of small increments (positive unless `negative`) and reads, then a read on every
// node. Each ok read must lie between what the adds certainly and possibly contributed by then.
import { counter as counterChecker } from '../checker/counter.js';
import { withStatsAndPerf } from './common/checkers.js';
import { onEveryNode } from './common/per-node.js';
import { increment, incrementOptions, type IncrementSettings } from './common/increments.js';
import { repeat, mix } from './generator/index.js';
import { weightOption, weights } from './common/weights.js';
import { builtinWorkload } from './common/target.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    adds: weightOption('adds', 1),
    reads: weightOption('reads', 1),
    ...incrementOptions(true),
  },
};

interface Settings extends IncrementSettings {
  adds: number;
  reads: number;
}

export const counter: Workload = {
  name: 'counter',
  description: 'adds of small increments to one counter and reads of it, a read on every node at the end; reads out of bounds (counter)',
  optionsSchema,
  modes: ['multi-leader-lww', 'multi-leader-vv', 'leader-follower-sync', 'leader-follower-async'],
  targetOptions: () => builtinWorkload('counter'),

  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    const w = weights('counter', { adds: s.adds, reads: s.reads });
    return mix([repeat((ctx) => ({ f: 'add', value: increment(s, ctx.random) })), repeat({ f: 'read', value: null })], w);
  },

  final: (o) => onEveryNode(o, { f: 'read', value: null }),

  checker: () => withStatsAndPerf('counter', { counter: counterChecker }),
};
