// A real PostgreSQL server (Debian's postgresql package) as a faultline target: it runs as the
// postgres account with no TCP listener, serves both workloads' txns, turns a serialization
// failure into `fail`, recovers committed data after a kill of every process, stops every process
// on pause, lets its backends die with a SIGKILLed postmaster (what the guard does when faultline
// dies), and leaves nothing running after teardown. The guard runs compiled (npm test builds).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Op } from '../../histories/op.js';
import { postgresAvailable } from '../../targets/postgres/available.js';
import { PostgresClient } from '../../targets/postgres/client.js';
import { readStat, running } from '../../control/proc.js';
import { microOpStatement } from '../../targets/postgres/sql.js';
import { createPostgresTarget, type PostgresTarget } from '../../targets/postgres/target.js';

const root = mkdtempSync(join(tmpdir(), 'fl-pgt-'));
// The server runs as the postgres account, which must be able to enter the run folder.
chmodSync(root, 0o755);
let t: PostgresTarget;

beforeAll(async () => {
  const why = await postgresAvailable();
  if (why !== true) throw new Error(`these tests need PostgreSQL: ${why}`);
  t = createPostgresTarget({ dir: join(root, 'run'), isolation: 'serializable', workload: 'list-append' });
  await t.setup();
});
afterAll(async () => {
  await t?.teardown();
  rmSync(root, { recursive: true, force: true });
});

let index = 0;
const txn = (value: unknown): Op => ({ index: index++, type: 'invoke', process: 0, f: 'txn', value });

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function superuser(): Promise<pg.Client> {
  const c = new pg.Client({ host: t.socketDir(), port: 5432, user: 'postgres', database: 'postgres' });
  c.on('error', () => {});
  await c.connect();
  return c;
}

describe('postgres target', () => {
  it('runs as the postgres account, on a unix socket only', async () => {
    const pm = t.pid()!;
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pm}/status`, 'utf8'))![1];
    if (process.getuid?.() === 0) expect(Number(uid)).not.toBe(0);
    expect(t.processes().length).toBeGreaterThan(1); // the postmaster and its auxiliary processes
    expect(existsSync(t.address('n1'))).toBe(true);
    const c = await superuser();
    try {
      expect((await c.query('SHOW listen_addresses')).rows[0].listen_addresses).toBe('');
      expect((await c.query('SHOW fsync')).rows[0].fsync).toBe('on');
    } finally {
      await c.end();
    }
  });

  it('serves list-append and rw-register transactions', async () => {
    const c = t.client('n1');
    expect(await c.invoke(txn([['r', 1, null], ['append', 1, 10], ['append', 1, 11], ['r', 1, null], ['append', 'k', 'v']]))).toMatchObject({
      type: 'ok',
      value: [['r', 1, null], ['append', 1, 10], ['append', 1, 11], ['r', 1, [10, 11]], ['append', 'k', 'v']],
    });
    expect(await c.invoke(txn([['r', 1, null], ['r', 'k', null]]))).toMatchObject({ type: 'ok', value: [['r', 1, [10, 11]], ['r', 'k', ['v']]] });
    await c.close();
    const rw = new PostgresClient('n1', { socketDir: t.socketDir(), port: 5432, user: 'postgres', database: 'postgres', workload: 'rw-register', isolation: 'read-committed' });
    expect(await rw.invoke(txn([['r', 1, null], ['w', 1, 5], ['r', 1, null], ['w', 1, 6]]))).toMatchObject({ type: 'ok', value: [['r', 1, null], ['w', 1, 5], ['r', 1, 5], ['w', 1, 6]] });
    expect(await rw.invoke(txn([['r', 1, null]]))).toMatchObject({ type: 'ok', value: [['r', 1, 6]] });
    await rw.close();
  });

  it('a serialization failure completes as fail, naming it', async () => {
    const c = t.client('n1');
    expect(await c.invoke(txn([['append', 100, 1]]))).toMatchObject({ type: 'ok' });
    const other = await superuser();
    try {
      // Another transaction updates the row and holds it; the op's own update waits behind it
      // with a snapshot that cannot see the other's commit.
      const s = microOpStatement('list-append', ['append', 100, 99]);
      await other.query('BEGIN');
      await other.query(s.text, s.values);
      const op = c.invoke(txn([['append', 100, 2]]));
      await until('the op to wait for the row lock', async () => {
        const r = await other.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'faultline n1' AND wait_event_type = 'Lock'");
        return r.rows[0].n > 0 ? true : undefined;
      });
      await other.query('COMMIT');
      expect(await op).toMatchObject({ type: 'fail', error: expect.stringMatching(/^n1: serialization-failure \(40001\): could not serialize access/) });
    } finally {
      await other.end();
    }
    // The connection is usable again after the rollback.
    expect(await c.invoke(txn([['r', 100, null]]))).toMatchObject({ type: 'ok', value: [['r', 100, [1, 99]]] });
    await c.close();
  });

  it('kill ends every process; start recovers the committed data', async () => {
    const c = t.client('n1');
    expect(await c.invoke(txn([['append', 200, 1], ['append', 200, 2]]))).toMatchObject({ type: 'ok' });
    const before = t.processes();
    await t.kill('n1');
    for (const pid of before) expect(running(pid)).toBe(false);
    expect(t.pid()).toBeUndefined();
    expect(await c.invoke(txn([['append', 200, 3]]))).toMatchObject({ type: 'fail' });
    await t.start('n1');
    expect(await c.invoke(txn([['r', 200, null]]))).toMatchObject({ type: 'ok', value: [['r', 200, [1, 2]]] });
    expect(readFileSync(t.logs('n1')[0], 'utf8')).toMatch(/database system was interrupted|not properly shut down/);
    await c.close();
  });

  it('pause stops every process (state T); ops time out as fail before COMMIT; resume serves again', async () => {
    const c = t.client('n1');
    expect(await c.invoke(txn([['r', 1, null]]))).toMatchObject({ type: 'ok' });
    await t.pause('n1');
    try {
      const all = t.processes();
      for (const pid of all) expect(readStat(pid)?.state).toBe('T');
      expect(t.isPaused()).toBe(true);
      const giveUp = new AbortController();
      setTimeout(() => giveUp.abort(), 300);
      expect(await c.invoke(txn([['append', 300, 1]]), { signal: giveUp.signal })).toMatchObject({ type: 'fail', error: expect.stringMatching(/before COMMIT was sent/) });
    } finally {
      await t.resume('n1');
    }
    for (const pid of t.processes()) expect(readStat(pid)?.state).not.toBe('T');
    expect(await c.invoke(txn([['append', 300, 2], ['r', 300, null]]))).toMatchObject({ type: 'ok', value: [['append', 300, 2], ['r', 300, [2]]] });
    await c.close();
  });

  it("the backends exit on their own when the postmaster is SIGKILLed (the guard's way); start works after", async () => {
    const [pm, ...children] = t.processes();
    process.kill(pm, 'SIGKILL');
    await until('every backend to exit', () => (children.some(running) ? undefined : true));
    await until('the target to see the postmaster gone', () => (t.pid() === undefined ? true : undefined));
    await t.start('n1');
    const c = t.client('n1');
    expect(await c.invoke(txn([['r', 200, null]]))).toMatchObject({ type: 'ok', value: [['r', 200, [1, 2]]] });
    await c.close();
  });

  it('teardown stops the server, removes the socket folder, and keeps the data and log', async () => {
    const all = t.processes();
    const sockets = t.socketDir();
    await t.teardown();
    for (const pid of all) expect(running(pid)).toBe(false);
    expect(existsSync(sockets)).toBe(false);
    expect(existsSync(join(t.dataDir('n1'), 'PG_VERSION'))).toBe(true);
    expect(readFileSync(t.logs('n1')[0], 'utf8')).toMatch(/database system is shut down/);
    await t.teardown(); // twice is fine
  });
});
