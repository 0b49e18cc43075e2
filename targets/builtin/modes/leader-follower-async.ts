// leader-follower-async: nodes[0] leads and answers at once, shipping entries to followers after
// replicationDelayMs; followers serve reads from what they hold, so reads can be stale
// (see leader-follower.ts).
import type { ModeFactory } from '../mode.js';
import { leaderFollower } from './leader-follower.js';

export const create: ModeFactory = (ctx) => leaderFollower(ctx, false);
