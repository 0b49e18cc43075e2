// Unique ids: every op asks the system for a fresh id; no two acknowledged ids may be equal.
import { uniqueIds as uniqueIdsChecker } from '../checker/unique-ids.js';
import { withStatsAndPerf } from './common/checkers.js';
import { builtinWorkload } from './common/target.js';
import { repeat } from './generator/index.js';
import type { Workload } from './types.js';

export const uniqueIds: Workload = {
  name: 'unique-ids',
  description: 'requests for fresh ids; duplicates (unique-ids)',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  modes: ['leader-follower-sync', 'leader-follower-async', 'multi-leader-lww', 'multi-leader-vv', 'sharded'],
  targetOptions: () => builtinWorkload('unique-ids'),
  generator: () => repeat({ f: 'generate', value: null }),
  checker: () => withStatsAndPerf('unique-ids', { 'unique-ids': uniqueIdsChecker }),
};
