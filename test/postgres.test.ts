// The postgres target without a real server: its SQL, how a failed attempt completes (outcome.ts),
// /proc parsing, the server's flags, option checks — and the client's outcomes against a tiny fake
// server on a unix socket that speaks just enough of the wire protocol to answer, hang or hang up
// at a chosen statement (a real server cannot be made to lose a connection on cue).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../histories/errors.js';
import type { Op } from '../histories/op.js';
import { findBinDir } from '../targets/postgres/available.js';
import { PostgresClient } from '../targets/postgres/client.js';
import { createPostgresTarget, ISOLATION_LEVELS } from '../targets/postgres/index.js';
import { describeServerError, GaveUp, NotCommitted, verdictOf } from '../targets/postgres/outcome.js';
import { childrenOf, parseStat, readStat } from '../control/proc.js';
import { asAccount, blockedAncestor, serverArgs } from '../targets/postgres/server.js';
import { beginStatement, createTablesSql, isReadOnly, microOpStatement, parseMicroOps, readResult, tableIndex, TABLE_COUNT } from '../targets/postgres/sql.js';

const scratch = mkdtempSync(join(tmpdir(), 'fl-pgu-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function serverError(code: string, severity = 'ERROR', message = 'boom'): Error {
  return Object.assign(new Error(message), { code, severity });
}

describe('sql', () => {
  it('begins each transaction at the chosen isolation level', () => {
    expect(ISOLATION_LEVELS.map(beginStatement)).toEqual(['BEGIN ISOLATION LEVEL READ COMMITTED', 'BEGIN ISOLATION LEVEL REPEATABLE READ', 'BEGIN ISOLATION LEVEL SERIALIZABLE']);
  });

  it('spreads keys over the tables by a stable hash of their canonical JSON', () => {
    const seen = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const i = tableIndex(JSON.stringify(k));
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(TABLE_COUNT);
      expect(tableIndex(JSON.stringify(k))).toBe(i);
      seen.add(i);
    }
    expect(seen.size).toBe(TABLE_COUNT);
    expect(createTablesSql().match(/CREATE TABLE IF NOT EXISTS/g)).toHaveLength(2 * TABLE_COUNT);
  });

  it('appends with an upsert onto a jsonb array, writes with an upsert, reads with a SELECT', () => {
    const append = microOpStatement('list-append', ['append', 3, 7]);
    expect(append.text).toMatch(/^INSERT INTO append_\d AS t \(k, v\) VALUES \(\$1, jsonb_build_array\(\$2::jsonb\)\) ON CONFLICT \(k\) DO UPDATE SET v = t.v \|\| jsonb_build_array\(\$2::jsonb\)$/);
    expect(append.values).toEqual(['3', '7']);
    const write = microOpStatement('rw-register', ['w', 'x', { a: [1] }]);
    expect(write.text).toMatch(/^INSERT INTO register_\d AS t .* ON CONFLICT \(k\) DO UPDATE SET v = excluded.v$/);
    expect(write.values).toEqual(['"x"', '{"a":[1]}']);
    const read = microOpStatement('list-append', ['r', { b: 1, a: 2 }, null]);
    expect(read.text).toMatch(/^SELECT v FROM append_\d WHERE k = \$1$/);
    expect(read.values).toEqual(['{"a":2,"b":1}']);
    // One prepared statement per text: the same name always means the same SQL.
    expect(microOpStatement('list-append', ['append', 3, 8]).name).toBe(append.name);
    expect(readResult([])).toBeNull();
    expect(readResult([{ v: [1, 2] }])).toEqual([1, 2]);
  });

  it('accepts only the micro-ops of its workload', () => {
    expect(parseMicroOps('list-append', [['append', 1, 1], ['r', 1, null]])).toHaveLength(2);
    expect(parseMicroOps('list-append', [['w', 1, 1]])).toMatch(/list-append takes "r" and "append"/);
    expect(parseMicroOps('rw-register', [['append', 1, 1]])).toMatch(/rw-register takes "r" and "w"/);
    expect(parseMicroOps('rw-register', [])).toMatch(/non-empty list/);
    expect(parseMicroOps('rw-register', [['r', 1]])).toMatch(/expected \[f, key, value\]/);
    expect(isReadOnly([['r', 1, null]])).toBe(true);
    expect(isReadOnly([['r', 1, null], ['w', 1, 2]])).toBe(false);
  });
});

describe('outcomes of a failed attempt', () => {
  const before = { commitSent: false, readOnly: false };
  const after = { commitSent: true, readOnly: false };
  const readAfter = { commitSent: true, readOnly: true };

  it('an ERROR from the server aborts the transaction, at COMMIT too: fail, naming the SQLSTATE', () => {
    expect(verdictOf(serverError('40001', 'ERROR', 'could not serialize access'), before)).toEqual({ type: 'fail', error: 'serialization-failure (40001): could not serialize access' });
    expect(verdictOf(serverError('40001'), after).type).toBe('fail');
    expect(verdictOf(serverError('40P01', 'ERROR', 'deadlock detected'), before).error).toBe('deadlock (40P01): deadlock detected');
    expect(describeServerError({ code: '22P02', severity: 'ERROR', message: 'bad' })).toBe('sqlstate-22P02 (22P02): bad');
  });

  it('a FATAL, a lost connection or giving up: fail before COMMIT was sent, info after (fail if it only read)', () => {
    for (const e of [serverError('57P01', 'FATAL'), new Error('Connection terminated unexpectedly'), new GaveUp('gave up')]) {
      expect(verdictOf(e, before).type).toBe('fail');
      expect(verdictOf(e, after).type).toBe('info');
      expect(verdictOf(e, readAfter).type).toBe('fail');
    }
    expect(verdictOf(new Error('Connection terminated'), after).error).toMatch(/^connection-lost: .*after COMMIT was sent/);
  });

  it('no connection, or COMMIT answered ROLLBACK: fail', () => {
    expect(verdictOf(new NotCommitted('rolled-back: COMMIT answered ROLLBACK'), after)).toEqual({ type: 'fail', error: 'rolled-back: COMMIT answered ROLLBACK' });
  });
});

describe('/proc', () => {
  it('parses a stat line whose command holds spaces and parentheses', () => {
    const fields = '4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10'; // … field 22 is the start time
    expect(parseStat(`4242 (postgres: a (b) c) S 17 ${fields}`)).toEqual({ pid: 4242, state: 'S', ppid: 17, start: '987654' });
    expect(parseStat('garbage')).toBeUndefined();
    expect(readStat(process.pid)?.ppid).toBe(process.ppid);
    expect(readStat(process.pid)?.start).toMatch(/^\d+$/);
  });

  it('finds the children of a process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      expect(childrenOf(process.pid)).toContain(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the server command', () => {
  it('listens on its socket only, and runs as the server account through setpriv when root', () => {
    const args = serverArgs({ binDir: '/pg/bin', dataDir: '/d', socketDir: '/s' });
    expect(args.slice(0, 3)).toEqual(['/pg/bin/postgres', '-D', '/d']);
    expect(args).toContain('listen_addresses=');
    expect(args).toContain('unix_socket_directories=/s');
    expect(args).not.toContain('fsync=off');
    expect(asAccount(['x', 'y'], undefined)).toEqual(['x', 'y']);
    expect(asAccount(['x'], { name: 'postgres', uid: 101, gid: 104, gids: [104] })).toEqual(['setpriv', '--reuid=101', '--regid=104', '--init-groups', '--reset-env', '--', 'x']);
  });

  it('names the first directory the server account cannot enter', () => {
    const closed = join(scratch, 'closed');
    mkdirSync(join(closed, 'inner'), { recursive: true });
    chmodSync(scratch, 0o755);
    chmodSync(closed, 0o700);
    const stranger = { name: 'nobody', uid: 65534, gid: 65534, gids: [65534] };
    expect(blockedAncestor(join(closed, 'inner'), stranger)).toBe(closed);
    chmodSync(closed, 0o711);
    expect(blockedAncestor(join(closed, 'inner'), stranger)).toBeUndefined();
  });

  it('finds the newest PostgreSQL that has both postgres and initdb', () => {
    const lib = join(scratch, 'lib');
    for (const [v, files] of [['13', ['postgres', 'initdb']], ['15', ['postgres', 'initdb']], ['16', ['postgres']]] as const) {
      mkdirSync(join(lib, v, 'bin'), { recursive: true });
      for (const f of files) writeFileSync(join(lib, v, 'bin', f), '#!/bin/sh\n', { mode: 0o755 });
    }
    expect(findBinDir(lib)).toBe(join(lib, '15', 'bin'));
    expect(findBinDir(join(scratch, 'none'))).toBeUndefined();
  });
});

describe('the target, before setup', () => {
  it('checks its options with one clear line each', () => {
    expect(() => createPostgresTarget({ dir: '' })).toThrow(/dir .* is required/);
    expect(() => createPostgresTarget({ dir: scratch, isolation: 'snapshot' as never })).toThrow(InputError);
    expect(() => createPostgresTarget({ dir: scratch, workload: 'register' })).toThrow(/runs the list-append and rw-register workloads, not "register"/);
    expect(() => createPostgresTarget({ dir: scratch, nodes: ['n1', 'n1'] })).toThrow(/distinct/);
    expect(() => createPostgresTarget({ dir: scratch, nodes: [] })).toThrow(/at least one/);
  });

  it('is one server under the first node: every node shares its log and data, and it is the primary', async () => {
    const t = createPostgresTarget({ dir: scratch, nodes: ['a', 'b'] });
    expect(t.isolation).toBe('serializable');
    expect(t.workload).toBe('list-append');
    expect(t.logs('b')).toEqual([join(scratch, 'logs', 'a', 'postgres.log')]);
    expect(t.dataDir('b')).toBe(join(scratch, 'data', 'a'));
    expect(await t.primaries()).toEqual(['a']);
    expect(() => t.logs('c')).toThrow(/no node "c"/);
    expect(() => t.client('a')).toThrow(/call setup first/);
    await expect(t.kill('a')).rejects.toThrow(/not set up/);
  });
});

// ---- the client against a fake server ------------------------------------------------------------

type Behaviour = 'answer' | 'hang' | 'hang-up';

/**
 * A server speaking enough of PostgreSQL's protocol for the client: startup, simple queries and
 * the extended protocol (Parse/Bind/Describe/Execute/Sync). `on(sql)` decides per statement
 * whether to answer it, never answer, or close the connection.
 */
class FakeServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'fl-pgf-'));
  readonly seen: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  on: (sql: string) => Behaviour = () => 'answer';

  constructor() {
    this.server = createServer((s) => this.serve(s));
  }

  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(join(this.dir, '.s.PGSQL.5432'), r));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serve(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    let started = false;
    let status = 'I';
    let pending: string | undefined;
    const msg = (type: string, body: Buffer = Buffer.alloc(0)) => {
      const head = Buffer.alloc(5);
      head.write(type, 0);
      head.writeInt32BE(body.length + 4, 1);
      s.write(Buffer.concat([head, body]));
    };
    const cstr = (text: string) => Buffer.from(`${text}\0`);
    const ready = () => msg('Z', Buffer.from(status));
    const tagOf = (sql: string) => {
      const word = sql.split(' ')[0].toUpperCase();
      if (word === 'BEGIN') status = 'T';
      if (word === 'COMMIT' || word === 'ROLLBACK') status = 'I';
      return word === 'SELECT' ? 'SELECT 0' : word === 'INSERT' ? 'INSERT 0 1' : word;
    };
    /** false: stop handling this connection's input. */
    const handle = (sql: string): boolean => {
      this.seen.push(sql);
      const b = this.on(sql);
      if (b === 'hang-up') s.destroy();
      return b === 'answer';
    };
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 4 || buf.length < buf.readInt32BE(0)) return;
          buf = buf.subarray(buf.readInt32BE(0));
          started = true;
          msg('R', Buffer.from([0, 0, 0, 0]));
          ready();
          continue;
        }
        if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) return;
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, 1 + buf.readInt32BE(1));
        buf = buf.subarray(1 + buf.readInt32BE(1));
        if (type === 'Q') {
          const sql = body.toString('utf8', 0, body.indexOf(0));
          if (!handle(sql)) return;
          msg('C', cstr(tagOf(sql)));
          ready();
        } else if (type === 'P') {
          const name = body.indexOf(0);
          pending = body.toString('utf8', name + 1, body.indexOf(0, name + 1));
          msg('1');
        } else if (type === 'B') msg('2');
        else if (type === 'D') msg('n');
        else if (type === 'E') {
          if (!handle(pending ?? '?')) return;
          msg('C', cstr(tagOf(pending ?? '?')));
        } else if (type === 'S') ready();
        else if (type === 'X') s.end();
      }
    });
  }
}

describe('the client against a fake server', () => {
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  let index = 0;
  const txn = (value: unknown): Op => ({ index: index++, type: 'invoke', process: 0, f: 'txn', value });
  const client = (s: FakeServer, timeoutMs = 2000) =>
    new PostgresClient('n1', { socketDir: s.dir, port: 5432, user: 'postgres', database: 'postgres', workload: 'list-append', isolation: 'serializable', timeoutMs, connectTimeoutMs: 1000 });

  it('runs BEGIN, one statement per micro-op and COMMIT: ok, reads of absent rows as null', async () => {
    server = new FakeServer();
    await server.listen();
    const c = client(server);
    expect(await c.invoke(txn([['append', 1, 5], ['r', 2, null]]))).toMatchObject({ type: 'ok', value: [['append', 1, 5], ['r', 2, null]] });
    expect(server.seen.map((q) => q.split(' ')[0])).toEqual(['BEGIN', 'INSERT', 'SELECT', 'COMMIT']);
    expect(server.seen[0]).toBe('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await c.close();
  });

  it('a connection lost before COMMIT was sent: fail; after: info; and the next op reconnects', async () => {
    server = new FakeServer();
    await server.listen();
    const c = client(server);
    server.on = (sql) => (sql.startsWith('INSERT') ? 'hang-up' : 'answer');
    expect(await c.invoke(txn([['append', 1, 5]]))).toMatchObject({ type: 'fail', error: expect.stringMatching(/connection-lost: .*before COMMIT/) });
    server.on = (sql) => (sql === 'COMMIT' ? 'hang-up' : 'answer');
    expect(await c.invoke(txn([['append', 1, 6]]))).toMatchObject({ type: 'info', error: expect.stringMatching(/after COMMIT was sent/) });
    // A read-only transaction changes nothing, whatever happened to its COMMIT.
    expect(await c.invoke(txn([['r', 1, null]]))).toMatchObject({ type: 'fail' });
    server.on = () => 'answer';
    expect(await c.invoke(txn([['r', 1, null]]))).toMatchObject({ type: 'ok' });
    await c.close();
  });

  it("giving up (the runner's signal) before COMMIT: fail; after: info", async () => {
    server = new FakeServer();
    await server.listen();
    const c = client(server);
    server.on = (sql) => (sql.startsWith('INSERT') ? 'hang' : 'answer');
    const early = new AbortController();
    setTimeout(() => early.abort(), 100);
    expect(await c.invoke(txn([['append', 1, 5]]), { signal: early.signal })).toMatchObject({ type: 'fail', error: expect.stringMatching(/gave up.*before COMMIT/) });
    server.on = (sql) => (sql === 'COMMIT' ? 'hang' : 'answer');
    const late = new AbortController();
    setTimeout(() => late.abort(), 100);
    expect(await c.invoke(txn([['append', 1, 6]]), { signal: late.signal })).toMatchObject({ type: 'info', error: expect.stringMatching(/after COMMIT was sent/) });
    await c.close();
  });

  it('without a signal, its own timeout gives up', async () => {
    server = new FakeServer();
    await server.listen();
    const c = client(server, 150);
    server.on = (sql) => (sql === 'COMMIT' ? 'hang' : 'answer');
    expect(await c.invoke(txn([['append', 1, 5]]))).toMatchObject({ type: 'info' });
    await c.close();
  });

  it('no server: fail (nothing was sent); ops it does not run: fail, saying why', async () => {
    const c = new PostgresClient('n1', { socketDir: join(scratch, 'nowhere'), port: 5432, user: 'postgres', database: 'postgres', workload: 'list-append', isolation: 'serializable' });
    expect(await c.invoke(txn([['append', 1, 5]]))).toMatchObject({ type: 'fail', error: expect.stringMatching(/^n1: cannot-connect: /) });
    expect(await c.invoke({ index: index++, type: 'invoke', process: 0, f: 'read', value: null })).toMatchObject({ type: 'fail', error: expect.stringMatching(/^unknown-op/) });
    expect(await c.invoke(txn([['w', 1, 5]]))).toMatchObject({ type: 'fail', error: expect.stringMatching(/^invalid-value: /) });
    await c.close();
  });
});
