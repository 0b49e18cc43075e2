// A real 3-member etcd cluster, one member per network namespace (control/network.ts): it starts
// healthy, clients reach every member through its unix socket, killing the leader elects another
// and the killed member rejoins, a paused member is stopped (state T) until resumed, a short
// driver run of the register workload with a leader kill in the middle is linearizable, and
// teardown leaves no process, socket, namespace or rule behind. Needs root, iproute2, iptables and
// Debian's etcd-server; the guard runs compiled (npm test builds first).
import { beforeAll, describe, expect, it } from 'vitest';
import { useEtcdCluster } from '../helpers/etcd-cluster.js';
import { execa } from 'execa';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkLinearizable } from '../../checker/linearizable/index.js';
import { type Network } from '../../control/network.js';
import { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { Driver } from '../../runner/driver.js';
import { Recorder } from '../../runner/recorder.js';
import { type EtcdTarget } from '../../targets/etcd/target.js';
import { sleep } from '../../workloads/generator/combinators.js';
import { Random } from '../../base/random.js';
import { clients } from '../../workloads/generator/threads.js';
import { stagger, timeLimit } from '../../workloads/generator/time.js';
import { workloadOptions } from '../../workloads/options.js';
import { register } from '../../workloads/register.js';

const cluster = useEtcdCluster('et');
let network: Network;
let t: EtcdTarget;
beforeAll(() => {
  network = cluster.network;
  t = cluster.target;
});

let index = 0;
function inv(f: string, value: unknown = null, key?: unknown): Op {
  const op: Op = { index: index++, type: 'invoke', process: 0, f, value };
  if (key !== undefined) op.key = key;
  return op;
}

/** The process state letter (/proc/PID/stat field 3): R, S, T, Z, … */
function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0];
}

function alive(pid: number): boolean {
  try {
    return procState(pid) !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function leader(): Promise<string> {
  return until('a leader', async () => (await t.primaries())[0]);
}

describe('etcd in network namespaces', () => {
  it('starts healthy: one member per node namespace, all agreeing on one leader', async () => {
    for (const h of network.hosts) {
      const pid = t.pid(h.node)!;
      expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('etcd');
      // The pid signalled is etcd's own, and it lives in the node's namespace.
      expect(readlinkSync(`/proc/${pid}/ns/net`)).toBe(`net:[${statSync(`/run/netns/${h.ns}`).ino}]`);
    }
    const leaders = new Set(await Promise.all(t.nodes.map(async (n) => (await t.status(n)).leader)));
    expect(leaders.size).toBe(1);
    expect(await t.primaries()).toHaveLength(1);
  });

  it('serves register and txn ops through the socket of every member', async () => {
    const cs = t.nodes.map((n) => t.client(n));
    try {
      for (const [i, c] of cs.entries()) {
        expect(await c.invoke(inv('write', 10 + i, 'r'))).toMatchObject({ type: 'ok' });
        for (const d of cs) expect(await d.invoke(inv('read', null, 'r'))).toMatchObject({ type: 'ok', value: 10 + i });
        expect(await c.invoke(inv('cas', [10 + i, 20 + i], 'r'))).toMatchObject({ type: 'ok' });
        expect(await c.invoke(inv('cas', [10 + i, 30 + i], 'r'))).toMatchObject({ type: 'fail', error: 'mismatch' });
        expect(await c.invoke(inv('txn', [['w', `t${i}`, i], ['r', `t${i}`, null], ['r', 'none', null]]))).toMatchObject({
          type: 'ok',
          value: [['w', `t${i}`, i], ['r', `t${i}`, i], ['r', 'none', null]],
        });
      }
    } finally {
      await Promise.all(cs.map((c) => c.close()));
    }
  });

  it('killing the leader elects another; the killed member restarts and rejoins', async () => {
    const old = await leader();
    const pid = t.pid(old)!;
    await t.kill(old);
    expect(alive(pid)).toBe(false);
    const next = await until('a new leader', async () => (await t.primaries()).find((n) => n !== old));
    expect(next).not.toBe(old);
    const writer = t.client(next);
    expect(await writer.invoke(inv('write', 'after-kill', 'k'))).toMatchObject({ type: 'ok' });
    await t.start(old);
    expect(t.pid(old)).not.toBe(pid);
    // Rejoined: it follows the new leader and serves what was written while it was down.
    const nextId = (await t.status(next)).header?.member_id;
    await until('the restarted member to follow the new leader', async () => ((await t.status(old)).leader === nextId ? true : undefined));
    const reader = t.client(old);
    expect(await reader.invoke(inv('read', null, 'k'))).toMatchObject({ type: 'ok', value: 'after-kill' });
    await Promise.all([writer.close(), reader.close()]);
  });

  it('a paused member is stopped (state T) until resumed', async () => {
    const node = t.nodes.find((n) => !t.isPaused(n))!;
    const pid = t.pid(node)!;
    await t.pause(node);
    expect(procState(pid)).toBe('T');
    await t.resume(node);
    // Running or sleeping (or, for an instant, in an fsync: D): anything but stopped.
    expect(['R', 'S', 'D']).toContain(procState(pid));
  });

  it('a driver run of the register workload with a leader kill in the middle is linearizable', async () => {
    const nodes = [...t.nodes];
    const concurrency = 6;
    const wopts = { ...workloadOptions(register, { keys: 3 }), nodes, concurrency };
    const recorder = new Recorder(join(cluster.root, 'history.jsonl'));
    const killed: string[] = [];
    const driver = new Driver({
      concurrency,
      random: new Random(7),
      recorder,
      nodeOf: (thread) => nodes[thread % nodes.length],
      client: (node) => t.client(node),
      nemesis: async (op) => {
        if (op.f === 'kill-leader') {
          const l = await leader();
          await t.kill(l);
          killed.push(l);
          return l;
        }
        for (const n of killed) await t.start(n);
        return killed;
      },
      opTimeoutNs: 2e9,
    });
    const nemesisOps = [sleep(2e9), { f: 'kill-leader', value: null }, sleep(1.5e9), { f: 'start', value: null }];
    try {
      await driver.runPhase(clients(timeLimit(5e9, stagger(1e9 / 200, register.generator(wopts))), nemesisOps));
    } finally {
      await driver.close();
      recorder.close();
    }
    const ops = recorder.ops;
    expect(killed).toHaveLength(1);
    expect(ops.filter((o) => o.process === 'nemesis').map((o) => o.f)).toEqual(['kill-leader', 'kill-leader', 'start', 'start']);
    const oks = ops.filter((o) => o.type === 'ok' && o.process !== 'nemesis');
    expect(oks.length).toBeGreaterThan(100);
    // The kill took effect: ops sent to the killed member failed (nothing listened) until its restart.
    expect(ops.some((o) => o.node === killed[0] && o.type === 'fail' && /ENOENT|ECONNREFUSED/.test(String(o.error)))).toBe(true);
    const result = await checkLinearizable(new History(ops), 'cas-register');
    expect(result.valid).toBe(true);
  });

  it('teardown leaves no etcd process, socket, namespace or guard rule', async () => {
    const pids = t.nodes.map((n) => t.pid(n)).filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(3);
    const sockets = dirname(t.socketPath('n1'));
    expect(existsSync(sockets)).toBe(true);
    await t.teardown();
    await t.teardown(); // idempotent
    for (const p of pids) expect(alive(p)).toBe(false);
    expect(existsSync(sockets)).toBe(false);
    await network.teardown();
    const namespaces = (await execa('ip', ['netns', 'list'])).stdout;
    expect(namespaces).not.toContain(`fl-${network.runId}-`);
    const rules = (await execa('iptables', ['-w', '-S', 'OUTPUT'])).stdout;
    expect(rules).not.toContain(`faultline:${network.runId}`);
  });
});
