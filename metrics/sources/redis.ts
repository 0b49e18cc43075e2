// Redis with Sentinel's metrics, from each server's INFO: a replica's lag (seconds since it last
// heard from its primary, or since its link went down: what Redis itself offers for "seconds
// behind") and the server's keyspace hits and misses (its cache hit rate).
import { callOnce } from '../../targets/redis/connection.js';
import { infoFields } from '../../targets/redis/resp.js';
import type { Capabilities, MetricsSource, NodeMetrics } from '../types.js';

export interface RedisLike {
  readonly nodes: readonly string[];
  socketPath(node: string): string;
  pid(node: string): number | undefined;
}

export const REDIS_CAPABILITIES: Capabilities = {
  replicationLag: true,
  conflictRate: 'Redis has one primary and merges nothing: an old primary\'s writes are discarded when it rejoins, not resolved (the split-brain scenario counts them)',
  shardBalance: 'one primary holds every key: not sharded',
  cacheHitRate: true,
  lockContention: 'Redis runs commands one at a time: nothing waits on a lock',
};

/** One node's sample from its INFO replication and INFO stats. */
export function redisNodeMetrics(node: string, replication: Map<string, string>, stats: Map<string, string>): NodeMetrics {
  const out: NodeMetrics = {};
  if (replication.get('role') === 'slave') {
    const up = replication.get('master_link_status') === 'up';
    const seconds = Number(up ? replication.get('master_last_io_seconds_ago') : replication.get('master_link_down_since_seconds'));
    if (Number.isFinite(seconds) && seconds >= 0) out.lagMs = { [node]: seconds * 1000 };
  }
  const hits = Number(stats.get('keyspace_hits'));
  const misses = Number(stats.get('keyspace_misses'));
  if (Number.isFinite(hits) && Number.isFinite(misses)) {
    out.keyspaceHits = hits;
    out.keyspaceMisses = misses;
  }
  return out;
}

export function redisSource(t: RedisLike): MetricsSource {
  return {
    metricCapabilities: () => REDIS_CAPABILITIES,
    async sampleMetrics(timeoutMs) {
      const answers = await Promise.all(
        t.nodes.map(async (n): Promise<[string, NodeMetrics | { error: string }]> => {
          if (t.pid(n) === undefined) return [n, { error: 'redis-server is not running' }];
          try {
            const [rep, stats] = await Promise.all([callOnce(t.socketPath(n), ['INFO', 'replication'], { timeoutMs }), callOnce(t.socketPath(n), ['INFO', 'stats'], { timeoutMs })]);
            if (typeof rep !== 'string' || typeof stats !== 'string') return [n, { error: 'INFO is not text' }];
            return [n, redisNodeMetrics(n, infoFields(rep), infoFields(stats))];
          } catch (e) {
            return [n, { error: (e as Error).message }];
          }
        }),
      );
      return Object.fromEntries(answers);
    },
  };
}
