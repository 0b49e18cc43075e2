// A grow-only set, or one per key (`keys`): adds of unique elements (a counter in the generator's
// state) and reads of the whole set, then a read of every set on every node. set-full judges every read: an acknowledged add that a
// later read misses for good is lost; one that reads miss for a while is stale.
import { setFull } from '../checker/set.js';
import { configured, withStatsAndPerf } from './common/checkers.js';
import { onEveryNode } from './common/per-node.js';
import { stateful } from './common/stateful.js';
import { weightOption, weights } from './common/weights.js';
import { builtinWorkload } from './common/target.js';
import { settings } from './options.js';
import { keyDistributionOption, keyPicker } from './common/key-choice.js';
import type { Workload } from './types.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    keys: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: '0: one set, ops carry no key; N: sets 0 … N-1 (e.g. one per user), each op picks one',
    },
    keyDistribution: keyDistributionOption('uniform'),
    adds: weightOption('adds', 4),
    reads: weightOption('reads', 1),
    linearizable: {
      type: 'boolean',
      default: false,
      description: 'also call a stale read invalid (an element missing from a read begun after its add was acknowledged)',
    },
  },
};

interface Settings {
  keys: number;
  keyDistribution: string;
  adds: number;
  reads: number;
  linearizable: boolean;
}

export const set: Workload = {
  name: 'set',
  description: 'adds of unique elements to one set and reads of it, a read on every node at the end; lost and stale adds (set-full)',
  optionsSchema,
  modes: ['multi-leader-lww', 'multi-leader-vv', 'leader-follower-sync', 'leader-follower-async', 'sharded', 'cache'],
  targetOptions: () => builtinWorkload('set'),

  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    const w = weights('set', { adds: s.adds, reads: s.reads });
    const pick = s.keys > 0 ? keyPicker('set', s.keyDistribution, s.keys) : () => 0;
    return stateful<number>(0, {
      next(element, ctx) {
        // Elements stay unique across every set, so a lost one names the add it came from.
        const key = s.keys > 0 ? { key: pick(ctx.random) } : {};
        if (ctx.random.weighted(w) === 1) return { op: { f: 'read', ...key, value: null }, next: element };
        return { op: { f: 'add', ...key, value: element }, next: element + 1 };
      },
    });
  },

  final(o) {
    const s = settings<Settings>(optionsSchema, o);
    if (s.keys === 0) return onEveryNode(o, { f: 'read', value: null });
    return onEveryNode(o, Array.from({ length: s.keys }, (_, k) => ({ f: 'read', key: k, value: null })));
  },

  checker(o) {
    const s = settings<Settings>(optionsSchema, o);
    return withStatsAndPerf('set', { 'set-full': configured(setFull, { options: { linearizable: s.linearizable } }) });
  },
};
