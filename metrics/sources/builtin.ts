// The built-in store's metrics: each node answers GET /metrics on its client listener with its
// mode's counters and gauges (targets/builtin/modes/*). What each mode can report:
import { parseAddress } from '../../base/address.js';
import { requestOnce } from '../../targets/builtin/http-json.js';
import type { ModeName } from '../../targets/builtin/mode.js';
import type { Capabilities, MetricsSource, NodeMetrics } from '../types.js';

const NO_LOCKS = 'the built-in store takes no locks: each node applies its ops one at a time';

/** Which metrics a mode's nodes report, and for the others why not. */
export function builtinCapabilities(mode: ModeName): Capabilities {
  const leaderFollower = mode === 'leader-follower-sync' || mode === 'leader-follower-async' || mode === 'cache';
  const replicationLag = leaderFollower || mode === 'multi-leader-lww'
    ? true
    : mode === 'sharded'
      ? 'sharded keeps one copy of each key: nothing is replicated'
      : `${mode} ships changes best effort and repairs by anti-entropy: it keeps no replication queue to measure`;
  const conflictRate = mode === 'multi-leader-lww' || mode === 'multi-leader-vv'
    ? true
    : mode === 'crdt'
      ? 'CRDT joins merge concurrent updates by design: nothing conflicts'
      : `${mode} runs every change of a key at one node: nothing conflicts`;
  return {
    replicationLag,
    conflictRate,
    shardBalance: mode === 'sharded' ? true : `${mode} is not sharded`,
    cacheHitRate: mode === 'cache' ? true : `${mode} has no cache (--mode cache has)`,
    lockContention: NO_LOCKS,
  };
}

export interface BuiltinLike {
  readonly nodes: readonly string[];
  readonly mode: ModeName;
  clientAddress(node: string): string;
}

export function builtinSource(t: BuiltinLike): MetricsSource {
  return {
    metricCapabilities: () => builtinCapabilities(t.mode),
    async sampleMetrics(timeoutMs) {
      const answers = await Promise.all(
        t.nodes.map(async (n): Promise<[string, NodeMetrics | { error: string }]> => {
          try {
            const res = await requestOnce(parseAddress(t.clientAddress(n)), 'GET', '/metrics', undefined, { timeoutMs });
            if (res.status !== 200) return [n, { error: `HTTP ${res.status}` }];
            return [n, res.body as NodeMetrics];
          } catch (e) {
            return [n, { error: (e as Error).message }];
          }
        }),
      );
      return Object.fromEntries(answers);
    },
  };
}
