// Lock contention and the cache hit rate from a real PostgreSQL server (metrics/sources/postgres.ts,
// docs/metrics.md): a session holding a table lock makes another wait, the sampler sees it in
// pg_stat_activity and pg_locks, the derived series crosses a lockWait alert on that node, and once
// the lock is released the wait is gone. Shared-buffer hits are counted for the hit rate.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deriveMetrics } from '../../metrics/derive.js';
import { POSTGRES_CAPABILITIES, postgresSource } from '../../metrics/sources/postgres.js';
import type { MetricSample, NodeMetrics } from '../../metrics/types.js';
import { postgresAvailable } from '../../targets/postgres/available.js';
import { createPostgresTarget, type PostgresTarget } from '../../targets/postgres/target.js';

const root = mkdtempSync(join(tmpdir(), 'fl-pgm-'));
// The server runs as the postgres account, which must be able to enter the run folder.
chmodSync(root, 0o755);
let t: PostgresTarget;
const clients: pg.Client[] = [];

beforeAll(async () => {
  const why = await postgresAvailable();
  if (why !== true) throw new Error(`these tests need PostgreSQL: ${why}`);
  t = createPostgresTarget({ dir: join(root, 'run'), isolation: 'serializable', workload: 'list-append' });
  await t.setup();
});
afterAll(async () => {
  for (const c of clients) await c.end().catch(() => {});
  await t?.teardown();
  rmSync(root, { recursive: true, force: true });
});

async function session(): Promise<pg.Client> {
  const c = new pg.Client({ host: t.socketDir(), port: 5432, user: 'postgres', database: 'postgres' });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}

it('a session waiting on a lock is sampled, crosses the lockWait alert, and is gone after the release', async () => {
  const source = postgresSource(t);
  const samples: MetricSample[] = [];
  let tick = 0;
  const sample = async () => {
    const nodes = await source.sampleMetrics(5000);
    samples.push({ t: tick++ * 1e9, wallMs: Date.now(), nodes });
    return nodes.n1 as NodeMetrics;
  };
  try {
    const holder = await session();
    const waiter = await session();
    await holder.query('CREATE TABLE lockme (x int)');
    expect((await sample()).lockWaiting).toBe(0);

    await holder.query('BEGIN');
    await holder.query('LOCK TABLE lockme IN ACCESS EXCLUSIVE MODE');
    const blocked = waiter.query('SELECT count(*) FROM lockme');
    // The waiter's query reaches the server and blocks: wait until the sampler sees it (no sleep).
    let seen: NodeMetrics | undefined;
    for (let i = 0; i < 200 && !seen; i++) {
      const m = await sample();
      if ((m.lockWaiting ?? 0) > 0) seen = m;
    }
    expect(seen, JSON.stringify(samples.at(-1))).toBeDefined();
    expect(seen!.lockWaiting).toBe(1);
    expect(seen!.locksNotGranted).toBeGreaterThanOrEqual(1);
    expect(typeof seen!.counters?.cacheHits).toBe('number');

    await holder.query('COMMIT');
    await blocked;
    expect((await sample()).lockWaiting).toBe(0);

    const m = deriveMetrics({
      samples,
      capabilities: POSTGRES_CAPABILITIES,
      config: { sampleSeconds: 1, alertFails: true, alerts: { lagSeconds: 10, conflictSpike: 5, conflictFloor: 1, shardImbalance: 2, cacheHitRate: null, lockWait: 0.5 } },
    });
    expect(m.metrics.lockContention.series?.[0].name).toBe('n1');
    const c = m.crossings.filter((x) => x.alert === 'lockContention');
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ where: 'n1', peak: 1 });
    expect(c[0].to).toBeDefined();
  } finally {
    await source.closeMetrics?.();
  }
});
