// Every replication mode of the built-in store, by name.
import type { ModeFactory, ModeName } from '../mode.js';
import { create as cache } from './cache.js';
import { create as crdt } from './crdt.js';
import { create as leaderFollowerAsync } from './leader-follower-async.js';
import { create as leaderFollowerSync } from './leader-follower-sync.js';
import { create as multiLeaderLww } from './multi-leader-lww.js';
import { create as multiLeaderVv } from './multi-leader-vv.js';
import { create as sharded } from './sharded.js';

export const MODES: Readonly<Record<ModeName, ModeFactory>> = {
  'leader-follower-sync': leaderFollowerSync,
  'leader-follower-async': leaderFollowerAsync,
  'multi-leader-lww': multiLeaderLww,
  'multi-leader-vv': multiLeaderVv,
  sharded,
  crdt,
  cache,
};

export function modeFactory(name: ModeName): ModeFactory {
  const f = MODES[name];
  if (!f) throw new Error(`unknown mode ${JSON.stringify(name)} (known: ${Object.keys(MODES).join(', ')})`);
  return f;
}
