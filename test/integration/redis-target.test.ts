// The redis target's lifecycle against real redis-server and redis-sentinel processes: without a
// network (127.0.0.1 ports, unix sockets) and in network namespaces. Kill, pause and resume act
// on redis-server; the Sentinels fail over and the old primary comes back as a replica; nothing
// is left after teardown. Failover times are printed (never asserted).
import { mkdtempSync, readFileSync, readlinkSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '../../control/namespaces.js';
import { createNetwork, networkAvailable, type Network } from '../../control/network.js';
import type { Op } from '../../histories/op.js';
import { createRedisTarget, redisAvailable, type RedisTarget } from '../../targets/redis/index.js';

const root = mkdtempSync(join(tmpdir(), 'fl-redis-rt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let opIndex = 0;
const op = (f: string, value: unknown, extra: Partial<Op> = {}): Op => ({ index: opIndex++, type: 'invoke', process: 0, f, value, ...extra });

function comm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `node`'s server is a replica of `primary` with its link up. */
async function waitReplicaOf(t: RedisTarget, node: string, primary: string, limitMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const r = await t.replication(node).catch(() => undefined);
    if (r?.role === 'slave' && r.primary === primary && r.linkUp) return Date.now() - t0;
    if (Date.now() - t0 > limitMs) throw new Error(`${node} is not a replica of ${primary} after ${limitMs} ms: ${JSON.stringify(r)}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  const why = await redisAvailable();
  if (why !== true) throw new Error(`these tests need Redis: ${why}`);
});

describe('redis target without a network', () => {
  let t: RedisTarget;
  afterAll(async () => t?.teardown());

  it('starts a primary, replicas and Sentinels; a write reaches the replicas; kill fails over and start rejoins as a replica', async () => {
    t = createRedisTarget({ dir: join(root, 'local'), nodes: 3, workload: 'register', readFrom: 'replica' });
    await t.setup();
    const pids = t.nodes.flatMap((n) => [t.pid(n)!, t.sentinelPid(n)!]);
    const socketDir = dirname(t.socketPath('n1'));
    expect(t.nodes.map((n) => comm(t.pid(n)!))).toEqual(['redis-server', 'redis-server', 'redis-server']);
    expect(t.nodes.map((n) => comm(t.sentinelPid(n)!))).toEqual(['redis-sentinel', 'redis-sentinel', 'redis-sentinel']);
    expect(await t.primaries()).toEqual(['n1']);
    expect((await t.replication('n2')).primary).toBe('n1');
    for (const n of t.nodes) expect(existsSync(t.socketPath(n)) && statSync(t.socketPath(n)).isSocket()).toBe(true);

    const c1 = t.client('n1');
    const c3 = t.client('n3');
    await c1.open();
    await c3.open();
    expect(await c1.invoke(op('write', 7))).toMatchObject({ type: 'ok', value: 7 });
    let seen: Op | undefined;
    for (let i = 0; i < 50 && seen?.value !== 7; i++) seen = await c3.invoke(op('read', null));
    expect(seen).toMatchObject({ type: 'ok', value: 7 });
    expect(await c1.invoke(op('cas', [7, 8]))).toMatchObject({ type: 'ok', value: [7, 8] });
    expect(await c1.invoke(op('cas', [7, 9]))).toMatchObject({ type: 'fail', error: 'mismatch' });

    await t.kill('n1');
    const failover = await t.waitForFailover('n1', 20_000);
    console.log(`redis (local): failover ${failover.ms} ms after the primary was killed, to ${failover.primary}`);
    // The client notices the refused connection (fail: nothing sent), asks again, and writes to the new primary.
    const refused = await c1.invoke(op('write', 10));
    expect(['ok', 'fail']).toContain(refused.type);
    expect(await c1.invoke(op('write', 11))).toMatchObject({ type: 'ok' });
    await t.start('n1');
    const rejoin = await waitReplicaOf(t, 'n1', failover.primary, 30_000);
    console.log(`redis (local): n1 replicates ${failover.primary} ${rejoin} ms after its restart`);
    await c1.close();
    await c3.close();

    await t.teardown();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(socketDir)).toBe(false);
  });
});

describe('redis target in network namespaces', () => {
  const runId = `rt${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
  let network: Network;
  let t: RedisTarget;
  beforeAll(async () => {
    const why = await networkAvailable();
    if (why !== true) throw new Error(`these tests need network namespaces: ${why}`);
    network = await createNetwork(['n1', 'n2', 'n3'], { runId });
    t = createRedisTarget({ dir: join(root, 'netns'), network, workload: 'set' });
    await t.setup();
  });
  afterAll(async () => {
    await t?.teardown();
    await network?.teardown();
  });

  it('runs each node in its namespace, on its address; pause fails over, resume rejoins as a replica', async () => {
    for (const n of t.nodes) {
      const ns = `net:[${statSync(`/run/netns/${network.host(n).ns}`).ino}]`;
      expect(readlinkSync(`/proc/${t.pid(n)}/ns/net`), n).toBe(ns);
      expect(readlinkSync(`/proc/${t.sentinelPid(n)}/ns/net`), n).toBe(ns);
      expect(t.networkAddress(n)).toEqual({ ip: network.host(n).ip, port: 6379 });
    }
    expect(t.address('n2')).toBe(t.socketPath('n2'));
    expect(await t.primaries()).toEqual(['n1']);
    const c = t.client('n2');
    expect(await c.invoke(op('add', 1))).toMatchObject({ type: 'ok', value: 1 });
    expect(await c.invoke(op('read', null))).toMatchObject({ type: 'ok', value: [1] });

    await t.pause('n1');
    expect(readFileSync(`/proc/${t.pid('n1')}/stat`, 'utf8').split(') ')[1][0]).toBe('T');
    const failover = await t.waitForFailover('n1', 20_000);
    console.log(`redis (netns): failover ${failover.ms} ms after the primary was paused, to ${failover.primary}`);
    expect(await t.primaries()).toEqual([failover.primary]); // a paused server is not asked
    // The old client's op times out on the paused primary: a write whose outcome is unknown.
    const stuck = await c.invoke(op('add', 2), { signal: AbortSignal.timeout(300) });
    expect(stuck.type).toBe('info');
    const fresh = t.client('n2');
    expect(await fresh.invoke(op('add', 3))).toMatchObject({ type: 'ok' });

    await t.resume('n1');
    // Sentinel turns a returning old primary into a replica only after it has looked sane for 8 s.
    const rejoin = await waitReplicaOf(t, 'n1', failover.primary, 40_000);
    console.log(`redis (netns): resumed n1 replicates ${failover.primary} ${rejoin} ms after SIGCONT`);
    const read = await fresh.invoke(op('read', null), {});
    expect((read.value as number[]).filter((x) => x !== 2)).toEqual([1, 3]);
    await c.close();
    await fresh.close();

    const pids = t.nodes.flatMap((n) => [t.pid(n)!, t.sentinelPid(n)!]);
    await t.teardown();
    expect(pids.filter(alive)).toEqual([]);
    await network.teardown();
    expect(listNamespaces().filter((ns) => ns.includes(runId))).toEqual([]);
  });
});
