// The redis target's pieces without Redis: RESP encoding and parsing, ops as commands, the server
// flags and Sentinel config, option checks, and the client's outcomes (ok / fail / info) and
// primary discovery against fake RESP servers on unix sockets.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Op } from '../histories/op.js';
import { parseRedisVersion } from '../targets/redis/available.js';
import { RedisClient, type RedisCluster } from '../targets/redis/client.js';
import { ConnectionError, RedisConnection } from '../targets/redis/connection.js';
import { majority, sentinelConfig, serverArgs } from '../targets/redis/flags.js';
import { CAS_SCRIPT, decodeValue, dialectFor, planOp, redisKey } from '../targets/redis/ops.js';
import { encodeCommand, fieldMap, infoFields, ProtocolError, RedisReplyError, ReplyParser, type Reply } from '../targets/redis/resp.js';
import { createRedisTarget } from '../targets/redis/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-redis-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parseAll(chunks: (string | Buffer)[]): Reply[] {
  const out: Reply[] = [];
  const p = new ReplyParser((r) => out.push(r));
  for (const c of chunks) p.feed(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return out;
}

describe('RESP', () => {
  it('encodes a command as an array of bulk strings (bytes, not characters, counted)', () => {
    expect(encodeCommand(['SET', 'k', 'é', 5]).toString()).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$1\r\n5\r\n');
  });

  it('parses every reply type, in any chunking', () => {
    const text = '+OK\r\n-READONLY You can\'t write\r\n:42\r\n$5\r\nhe\r\nl\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:-3\r\n*-1\r\n$0\r\n\r\n';
    const whole = parseAll([text]);
    expect(whole).toHaveLength(8);
    expect(whole[0]).toBe('OK');
    expect(whole[1]).toBeInstanceOf(RedisReplyError);
    expect((whole[1] as RedisReplyError).code).toBe('READONLY');
    expect(whole.slice(2)).toEqual([42, 'he\r\nl', null, ['a', [-3]], null, '']);
    const bytes = Buffer.from(text);
    const oneByOne = parseAll(Array.from(bytes, (b) => Buffer.from([b])));
    expect(oneByOne.map((r) => (r instanceof Error ? r.message : r))).toEqual(whole.map((r) => (r instanceof Error ? r.message : r)));
  });

  it('keeps multi-byte characters split across chunks whole', () => {
    const b = Buffer.from('$4\r\n€x\r\n');
    expect(parseAll([b.subarray(0, 5), b.subarray(5)])).toEqual(['€x']);
  });

  it('refuses bytes that are not RESP', () => {
    expect(() => parseAll(['?what\r\n'])).toThrow(ProtocolError);
    expect(() => parseAll([':12x\r\n'])).toThrow(ProtocolError);
  });

  it('reads field lists and INFO text', () => {
    expect([...fieldMap(['name', 'mymaster', 'config-epoch', '3', 'x'])]).toEqual([['name', 'mymaster'], ['config-epoch', '3']]);
    const info = infoFields('# Replication\r\nrole:slave\r\nmaster_host:198.18.7.1\r\nmaster_port:6379\r\n\r\n');
    expect(info.get('role')).toBe('slave');
    expect(info.get('master_host')).toBe('198.18.7.1');
  });
});

const op = (f: string, value: unknown, extra: Partial<Op> = {}): Op => ({ index: 0, type: 'invoke', process: 0, f, value, ...extra });

describe('ops as Redis commands', () => {
  const register = dialectFor('register');
  const set = dialectFor('set');
  const counter = dialectFor('counter');
  const plan = (o: Op, d = register) => {
    const p = planOp(o, d);
    if (typeof p === 'string') throw new Error(p);
    return p;
  };

  it('registers: GET, SET, and cas as a script; values as canonical JSON', () => {
    expect(plan(op('read', null, { key: 2 })).command).toEqual(['GET', 'register:2']);
    expect(plan(op('read', null)).readOnly).toBe(true);
    expect(plan(op('read', null)).outcome(null)).toEqual({ type: 'ok', value: null });
    expect(plan(op('read', null)).outcome('{"a":1}')).toEqual({ type: 'ok', value: { a: 1 } });
    expect(plan(op('write', { b: 1, a: 2 })).command).toEqual(['SET', 'register:null', '{"a":2,"b":1}']);
    expect(plan(op('write', 3)).outcome('OK')).toEqual({ type: 'ok', value: 3 });
    const cas = plan(op('cas', [null, 4], { key: 'k' }));
    expect(cas.command).toEqual(['EVAL', CAS_SCRIPT, 1, 'register:"k"', 'null', '4']);
    expect(cas.readOnly).toBe(false);
    expect(cas.outcome(1)).toEqual({ type: 'ok', value: [null, 4] });
    expect(cas.outcome(0)).toEqual({ type: 'fail', error: 'mismatch' });
    expect(planOp(op('cas', 3), register)).toMatch(/^invalid-value/);
  });

  it('sets: SADD, SREM and SMEMBERS sorted; counters: INCRBY and GET', () => {
    expect(plan(op('add', 5), set).command).toEqual(['SADD', 'set:null', '5']);
    expect(plan(op('remove', 5), set).command).toEqual(['SREM', 'set:null', '5']);
    expect(plan(op('read', null), set).outcome(['10', '9', '"a"'])).toEqual({ type: 'ok', value: [9, 10, 'a'] });
    expect(plan(op('add', -2), counter).command).toEqual(['INCRBY', 'counter:null', -2]);
    expect(plan(op('add', -2), counter).outcome(7)).toEqual({ type: 'ok', value: -2 });
    expect(plan(op('read', null), counter).outcome(null)).toEqual({ type: 'ok', value: 0 });
    expect(plan(op('read', null), counter).outcome('12')).toEqual({ type: 'ok', value: 12 });
    expect(planOp(op('add', 1.5), counter)).toMatch(/integers/);
  });

  it('refuses ops it has no command for, and answers it did not expect', () => {
    expect(planOp(op('txn', []), register)).toMatch(/^unknown-op/);
    expect(planOp(op('read', null), dialectFor('bank'))).toMatch(/^unknown-op/);
    expect(plan(op('write', 1)).outcome(7)).toMatchObject({ type: 'fail' });
    expect(redisKey('set', [1, 'a'])).toBe('set:[1,"a"]');
    expect(decodeValue('not json')).toBe('not json');
  });
});

describe('flags and config', () => {
  it('starts redis-server on its address and socket, with the AOF on, as a replica when told', () => {
    const args = serverArgs({ self: { ip: '198.18.3.2', port: 6379 }, socket: '/tmp/x/n2.sock', dataDir: '/run/data/n2', replicaOf: { ip: '198.18.3.1', port: 6379 } });
    expect(args.join(' ')).toContain('--port 6379 --bind 198.18.3.2 --unixsocket /tmp/x/n2.sock');
    expect(args.join(' ')).toContain('--appendonly yes');
    expect(args.slice(-3)).toEqual(['--replicaof', '198.18.3.1', '6379']);
    expect(serverArgs({ self: { ip: '127.0.0.1', port: 7000 }, socket: '/s', dataDir: '/d' })).not.toContain('--replicaof');
  });

  it('writes a Sentinel config with numeric addresses, and refuses what it cannot carry', () => {
    const base = { self: { ip: '198.18.3.2', port: 26379 }, socket: '/tmp/x/n2.sentinel.sock', dir: '/run/data/n2', primary: { ip: '198.18.3.1', port: 6379 }, quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 3000 };
    const text = sentinelConfig(base);
    expect(text).toContain('sentinel monitor mymaster 198.18.3.1 6379 2\n');
    expect(text).toContain('sentinel resolve-hostnames no\n');
    expect(text).toContain('unixsocket /tmp/x/n2.sentinel.sock\n');
    expect(() => sentinelConfig({ ...base, dir: '/a b' })).toThrow(/unquoted/);
    expect(() => sentinelConfig({ ...base, primary: { ip: 'db1', port: 1 } })).toThrow(/IPv4/);
    expect(() => sentinelConfig({ ...base, quorum: 0 })).toThrow(/quorum/);
    expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]);
  });

  it('reads the version redis-server prints', () => {
    expect(parseRedisVersion('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64')).toEqual([7, 0, 15]);
    expect(parseRedisVersion('nope')).toBeUndefined();
  });

  it('checks its options before starting anything', () => {
    expect(() => createRedisTarget({ dir: '' })).toThrow(/dir/);
    expect(() => createRedisTarget({ dir, waitReplicas: 3 })).toThrow(/waitReplicas must be an integer from 0 to 2/);
    expect(() => createRedisTarget({ dir, readFrom: 'any' as 'primary' })).toThrow(/readFrom/);
    expect(() => createRedisTarget({ dir, waitTimeoutMs: 0 })).toThrow(/waitTimeoutMs/);
    expect(() => createRedisTarget({ dir, nodes: ['n1', 'n1'] })).toThrow(/distinct/);
    const t = createRedisTarget({ dir, nodes: 2 });
    expect(t.nodes).toEqual(['n1', 'n2']);
    expect(t.logs('n2').map((p) => p.slice(dir.length))).toEqual(['/logs/n2/redis.log', '/logs/n2/sentinel.log']);
    expect(() => t.socketPath('n1')).toThrow(/setup/);
    expect(() => t.client('n9')).toThrow(/no node/);
  });
});

// ---- the client against fake servers ------------------------------------------------------------

type Behaviour = (cmd: string[]) => string | 'close' | 'hang';

interface Fake {
  path: string;
  commands: string[][];
  close(): Promise<void>;
}

const fakes: Fake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

let fakeCount = 0;
async function fakeServer(behaviour: Behaviour): Promise<Fake> {
  const path = join(dir, `fake${fakeCount++}.sock`);
  const commands: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    const parser = new ReplyParser((r) => {
      const cmd = (r as string[]).map(String);
      commands.push(cmd);
      const answer = behaviour(cmd);
      if (answer === 'close') s.destroy();
      else if (answer !== 'hang') s.write(answer);
    });
    s.on('data', (d: Buffer) => parser.feed(d));
  });
  await new Promise<void>((res) => server.listen(path, res));
  const fake: Fake = {
    path,
    commands,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
  fakes.push(fake);
  return fake;
}

/** A cluster whose sockets are the fakes' and whose Sentinels answer from `primaries` in turn. */
function fakeCluster(sockets: Record<string, string>, primaries: (string | undefined)[]): RedisCluster & { asked: number } {
  const c = {
    asked: 0,
    socketPath: (node: string) => sockets[node] ?? join(dir, `missing-${node}.sock`),
    discoverPrimary: async () => primaries[Math.min(c.asked++, primaries.length - 1)],
  };
  return c;
}

const plain: Behaviour = (cmd) => {
  switch (cmd[0]) {
    case 'GET':
      return '$1\r\n7\r\n';
    case 'SET':
      return '+OK\r\n';
    case 'WAIT':
      return ':2\r\n';
    default:
      return '-ERR unknown\r\n';
  }
};

describe('the redis client', () => {
  const register = dialectFor('register');

  it('writes to the primary the Sentinels name and keeps using it', async () => {
    const n1 = await fakeServer(plain);
    const cluster = fakeCluster({ n1: n1.path }, ['n1']);
    const c = new RedisClient('n2', cluster, register);
    expect(await c.invoke(op('write', 3))).toMatchObject({ type: 'ok', value: 3 });
    expect(await c.invoke(op('read', null))).toMatchObject({ type: 'ok', value: 7 });
    expect(cluster.asked).toBe(1);
    expect(c.currentPrimary).toBe('n1');
    expect(n1.commands).toEqual([['SET', 'register:null', '3'], ['GET', 'register:null']]);
    await c.close();
  });

  it('READONLY fails the write and sends the client back to the Sentinels', async () => {
    const old = await fakeServer((cmd) => (cmd[0] === 'SET' ? "-READONLY You can't write against a read only replica.\r\n" : plain(cmd)));
    const next = await fakeServer(plain);
    const cluster = fakeCluster({ n1: old.path, n2: next.path }, ['n1', 'n2']);
    const c = new RedisClient('n1', cluster, register);
    const refused = await c.invoke(op('write', 1));
    expect(refused).toMatchObject({ type: 'fail', value: 1 });
    expect(String(refused.error)).toMatch(/^n1: READONLY/);
    expect(c.currentPrimary).toBeUndefined();
    expect(await c.invoke(op('write', 2))).toMatchObject({ type: 'ok' });
    expect(next.commands).toEqual([['SET', 'register:null', '2']]);
    await c.close();
  });

  it('a refused connection fails (nothing was sent); a connection lost after sending is info for a write, fail for a read', async () => {
    const cluster = fakeCluster({}, ['n1']);
    const c = new RedisClient('n1', cluster, register);
    expect(await c.invoke(op('write', 1))).toMatchObject({ type: 'fail' });
    expect(c.currentPrimary).toBeUndefined();

    const dropper = await fakeServer(() => 'close');
    const c2 = new RedisClient('n1', fakeCluster({ n1: dropper.path }, ['n1']), register);
    expect(await c2.invoke(op('write', 2))).toMatchObject({ type: 'info' });
    expect(await c2.invoke(op('read', null))).toMatchObject({ type: 'fail' });
    expect(dropper.commands.map((x) => x[0])).toEqual(['SET', 'GET']);
    await c.close();
    await c2.close();
  });

  it('an abort or a timeout after sending is info for a write; the next op uses a new connection', async () => {
    let hang = true;
    const slow = await fakeServer((cmd) => (hang ? 'hang' : plain(cmd)));
    const c = new RedisClient('n1', fakeCluster({ n1: slow.path }, ['n1']), register, { timeoutMs: 100 });
    const aborted = await c.invoke(op('write', 1), { signal: AbortSignal.timeout(50) });
    expect(aborted).toMatchObject({ type: 'info' });
    expect(String(aborted.error)).toMatch(/aborted/);
    const timedOut = await c.invoke(op('write', 2));
    expect(timedOut).toMatchObject({ type: 'info' });
    expect(String(timedOut.error)).toMatch(/no reply within 100 ms/);
    hang = false;
    expect(await c.invoke(op('write', 3))).toMatchObject({ type: 'ok' });
    await c.close();
  });

  it('no primary named: fail without sending', async () => {
    const c = new RedisClient('n1', fakeCluster({}, [undefined]), register);
    const r = await c.invoke(op('write', 1));
    expect(r).toMatchObject({ type: 'fail' });
    expect(String(r.error)).toMatch(/no Sentinel named a primary/);
  });

  it('with readFrom replica, reads go to the own node, writes to the primary', async () => {
    const n1 = await fakeServer(plain);
    const n3 = await fakeServer((cmd) => (cmd[0] === 'GET' ? '$-1\r\n' : plain(cmd)));
    const c = new RedisClient('n3', fakeCluster({ n1: n1.path, n3: n3.path }, ['n1']), register, { readFrom: 'replica' });
    expect(await c.invoke(op('write', 1))).toMatchObject({ type: 'ok' });
    expect(await c.invoke(op('read', null))).toMatchObject({ type: 'ok', value: null });
    expect(n1.commands.map((x) => x[0])).toEqual(['SET']);
    expect(n3.commands.map((x) => x[0])).toEqual(['GET']);
    await c.close();
  });

  it('final ops ask the Sentinels again', async () => {
    const n1 = await fakeServer(plain);
    const n2 = await fakeServer(plain);
    const cluster = fakeCluster({ n1: n1.path, n2: n2.path }, ['n1', 'n2']);
    const c = new RedisClient('n1', cluster, register);
    await c.invoke(op('read', null));
    await c.invoke(op('read', null, { final: true }));
    expect(n1.commands).toHaveLength(1);
    expect(n2.commands).toHaveLength(1);
    await c.close();
  });

  it('WAIT: enough replicas → ok; fewer → info (applied on the primary, durability unknown); WAIT only after writes', async () => {
    let acks = 2;
    const n1 = await fakeServer((cmd) => (cmd[0] === 'WAIT' ? `:${acks}\r\n` : plain(cmd)));
    const c = new RedisClient('n1', fakeCluster({ n1: n1.path }, ['n1']), register, { waitReplicas: 2, waitTimeoutMs: 250 });
    expect(await c.invoke(op('write', 1))).toMatchObject({ type: 'ok' });
    acks = 1;
    const short = await c.invoke(op('write', 2));
    expect(short).toMatchObject({ type: 'info' });
    expect(String(short.error)).toMatch(/WAIT saw 1 of 2 replicas within 250 ms/);
    await c.invoke(op('read', null));
    expect(n1.commands.map((x) => x.join(' '))).toEqual(['SET register:null 1', 'WAIT 2 250', 'SET register:null 2', 'WAIT 2 250', 'GET register:null']);
    await c.close();
  });

  it('an error reply to a command is fail (Redis refuses a command whole); an unknown op fails unsent', async () => {
    const n1 = await fakeServer(() => '-LOADING Redis is loading the dataset in memory\r\n');
    const c = new RedisClient('n1', fakeCluster({ n1: n1.path }, ['n1']), register);
    const r = await c.invoke(op('write', 1));
    expect(r).toMatchObject({ type: 'fail' });
    expect(c.currentPrimary).toBe('n1'); // not READONLY: it is still the primary, just not ready
    expect(await c.invoke(op('dequeue', null))).toMatchObject({ type: 'fail', error: expect.stringMatching(/unknown-op/) });
    await c.close();
  });
});

describe('the connection', () => {
  it('pipelines replies in order and says whether a failed call was delivered', async () => {
    const n = await fakeServer((cmd) => `$${cmd[1].length}\r\n${cmd[1]}\r\n`);
    const conn = new RedisConnection(n.path);
    expect(await Promise.all([conn.call(['ECHO', 'a']), conn.call(['ECHO', 'bc'])])).toEqual(['a', 'bc']);
    conn.close();
    const missing = new RedisConnection(join(dir, 'nothing-here.sock'));
    const e = await missing.call(['PING']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect((e as ConnectionError).delivered).toBe(false);
    missing.close();
  });
});
