// leader-follower-sync: nodes[0] leads; an op answers ok once every follower holds it, reads are
// served at the leader, so the cluster is linearizable (see leader-follower.ts).
import type { ModeFactory } from '../mode.js';
import { leaderFollower } from './leader-follower.js';

export const create: ModeFactory = (ctx) => leaderFollower(ctx, true);
