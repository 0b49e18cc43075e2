// PostgreSQL's metrics, by one query per sample over the server's socket: sessions waiting on a
// lock (pg_stat_activity's wait events of type Lock) and locks not granted (pg_locks) for lock
// contention, and shared-buffer hits against reads from disk (pg_stat_database) for the cache hit
// rate. A paused server does not answer: the sample says so instead of waiting.
import pg from 'pg';
import { DATABASE, SERVER_PORT, SUPERUSER } from '../../targets/postgres/server.js';
import type { Capabilities, MetricsSource, NodeMetrics } from '../types.js';

export interface PostgresLike {
  readonly nodes: readonly string[];
  socketDir(): string;
}

export const POSTGRES_CAPABILITIES: Capabilities = {
  replicationLag: 'one server: nothing is replicated',
  conflictRate: 'PostgreSQL resolves concurrent writes by locks and serialization failures, which it does not count as conflicts here (the checkers find the anomalies)',
  shardBalance: 'one server: not sharded',
  cacheHitRate: true,
  lockContention: true,
};

const QUERY = `SELECT
  (SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock')::int AS waiting,
  (SELECT count(*) FROM pg_locks WHERE NOT granted)::int AS not_granted,
  (SELECT coalesce(sum(blks_hit), 0) FROM pg_stat_database)::float8 AS hits,
  (SELECT coalesce(sum(blks_read), 0) FROM pg_stat_database)::float8 AS reads`;

export function postgresSource(t: PostgresLike): MetricsSource {
  let client: pg.Client | undefined;
  const node = t.nodes[0];
  const connect = async (timeoutMs: number): Promise<pg.Client> => {
    if (client) return client;
    const c = new pg.Client({ host: t.socketDir(), port: SERVER_PORT, user: SUPERUSER, database: DATABASE, connectionTimeoutMillis: timeoutMs });
    c.on('error', () => {
      if (client === c) client = undefined;
    });
    await c.connect();
    client = c;
    return c;
  };
  return {
    metricCapabilities: () => POSTGRES_CAPABILITIES,
    async sampleMetrics(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const c = await connect(timeoutMs);
        const r = await Promise.race([
          c.query(QUERY),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
        ]);
        const row = r.rows[0] as { waiting: number; not_granted: number; hits: number; reads: number };
        const m: NodeMetrics = { lockWaiting: row.waiting, locksNotGranted: row.not_granted, counters: { cacheHits: row.hits, cacheMisses: row.reads } };
        return { [node]: m };
      } catch (e) {
        // A connection stuck behind a paused server is dropped; the next sample connects afresh.
        const c = client;
        client = undefined;
        void c?.end().catch(() => {});
        return { [node]: { error: (e as Error).message } };
      } finally {
        clearTimeout(timer);
      }
    },
    async closeMetrics() {
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
