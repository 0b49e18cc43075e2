// The etcd client against a real 3-member cluster without namespaces (members on unix sockets in
// this namespace: no root or network needed): every op of docs/workloads.md, the outcome rules
// (refused → fail, timeout after sending → info, a read that went wrong → fail), and the guard
// that kills etcd — even a paused one — when the faultline process that started it dies.
// Needs Debian's etcd-server; the guard runs compiled (npm test builds first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Op } from '../../histories/op.js';
import { etcdAvailable } from '../../targets/etcd/available.js';
import { EtcdClient } from '../../targets/etcd/client.js';
import { dialectFor } from '../../targets/etcd/ops.js';
import { createEtcdTarget, type EtcdTarget } from '../../targets/etcd/target.js';
import { running } from '../../control/proc.js';
import { until } from '../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'fl-etcd-client-'));
let t: EtcdTarget;

beforeAll(async () => {
  const why = await etcdAvailable();
  if (why !== true) throw new Error(`these tests need etcd: ${why}`);
  t = createEtcdTarget({ dir: join(root, 'run'), nodes: 3 });
  await t.setup();
});

afterAll(async () => {
  await t?.teardown();
  rmSync(root, { recursive: true, force: true });
});

let index = 0;
function inv(f: string, value: unknown = null, key?: unknown): Op {
  const op: Op = { index: index++, type: 'invoke', process: 0, f, value };
  if (key !== undefined) op.key = key;
  return op;
}

function clientFor(node: string, workload?: string, timeoutMs?: number): EtcdClient {
  return new EtcdClient(node, t.socketPath(node), dialectFor(workload), { timeoutMs });
}

async function withClients<T>(workload: string | undefined, fn: (c: EtcdClient[]) => Promise<T>): Promise<T> {
  const cs = t.nodes.map((n) => clientFor(n, workload));
  try {
    return await fn(cs);
  } finally {
    await Promise.all(cs.map((c) => c.close()));
  }
}

describe('etcd client ops', () => {
  it('registers: read, write, cas (mismatch fails), keyed, and every member sees the last write', async () => {
    await withClients('register', async ([a, b, c]) => {
      expect(await a.invoke(inv('read'))).toMatchObject({ type: 'ok', value: null });
      expect(await a.invoke(inv('cas', [null, 1]))).toMatchObject({ type: 'ok', value: [null, 1] });
      expect(await b.invoke(inv('write', 2))).toMatchObject({ type: 'ok', value: 2 });
      expect(await c.invoke(inv('cas', [1, 3]))).toMatchObject({ type: 'fail', error: 'mismatch', value: [1, 3] });
      expect(await c.invoke(inv('cas', [2, 3]))).toMatchObject({ type: 'ok', value: [2, 3] });
      for (const x of [a, b, c]) expect(await x.invoke(inv('read'))).toMatchObject({ type: 'ok', value: 3 });
      expect(await a.invoke(inv('write', { y: [1], x: 'v' }, 'k'))).toMatchObject({ type: 'ok' });
      expect(await b.invoke(inv('cas', [{ x: 'v', y: [1] }, 4], 'k'))).toMatchObject({ type: 'ok' });
      expect(await c.invoke(inv('read', null, 'k'))).toMatchObject({ type: 'ok', value: 4 });
      expect(await c.invoke(inv('read', null, 'other'))).toMatchObject({ type: 'ok', value: null });
      const scan = await a.invoke(inv('scan'));
      expect(scan.value).toMatchObject({ null: 3, k: 4 });
    });
  });

  it('list-append txns: reads see the appends before them in the txn; concurrent appends are each applied once or fail', async () => {
    await withClients('list-append', async ([a, b, c]) => {
      const r = await a.invoke(inv('txn', [['append', 'L', 1], ['r', 'L', null], ['append', 'L', 2], ['r', 'M', null]]));
      expect(r).toMatchObject({ type: 'ok', value: [['append', 'L', 1], ['r', 'L', [1]], ['append', 'L', 2], ['r', 'M', null]] });
      expect(await b.invoke(inv('txn', [['r', 'L', null]]))).toMatchObject({ type: 'ok', value: [['r', 'L', [1, 2]]] });
      const results = await Promise.all(
        [a, b, c].map(async (x, i) => {
          const out: Op[] = [];
          for (let j = 0; j < 10; j++) out.push(await x.invoke(inv('txn', [['append', 'C', i * 100 + j], ['r', 'C', null]])));
          return out;
        }),
      );
      const all = results.flat();
      const okValues = all.filter((o) => o.type === 'ok').map((o) => (o.value as unknown[][])[0][2]);
      for (const o of all) expect(['ok', 'fail']).toContain(o.type);
      const final = (await a.invoke(inv('txn', [['r', 'C', null]]))).value as unknown[][];
      const list = final[0][2] as number[];
      expect([...list].sort((x, y) => x - y)).toEqual([...okValues].sort((x, y) => (x as number) - (y as number)));
      // Every ok txn read a prefix of the final order ending in its own append.
      for (const o of all.filter((x) => x.type === 'ok')) {
        const [[, , v], [, , seen]] = o.value as [unknown[], unknown[]];
        const s = seen as number[];
        expect(s[s.length - 1]).toBe(v);
        expect(list.slice(0, s.length)).toEqual(s);
      }
    });
  });

  it('rw-register txns: in order in one txn, and a key written twice still works', async () => {
    await withClients('rw-register', async ([a, b]) => {
      expect(await a.invoke(inv('txn', [['r', 7, null], ['w', 7, 1], ['r', 7, null], ['w', 8, 2]]))).toMatchObject({
        type: 'ok',
        value: [['r', 7, null], ['w', 7, 1], ['r', 7, 1], ['w', 8, 2]],
      });
      expect(await b.invoke(inv('txn', [['w', 7, 3], ['r', 7, null], ['w', 7, 4], ['r', 8, null]]))).toMatchObject({
        type: 'ok',
        value: [['w', 7, 3], ['r', 7, 3], ['w', 7, 4], ['r', 8, 2]],
      });
      expect(await a.invoke(inv('txn', [['r', 7, null]]))).toMatchObject({ type: 'ok', value: [['r', 7, 4]] });
      expect(await a.invoke(inv('txn', [['x', 7, null]]))).toMatchObject({ type: 'fail' });
    });
  });

  it('sets, or-set removes, counters, queues, unique ids and the bank', async () => {
    await withClients('set', async ([a, b]) => {
      for (const e of [5, 1, 3]) expect(await a.invoke(inv('add', e))).toMatchObject({ type: 'ok', value: e });
      expect(await b.invoke(inv('read'))).toMatchObject({ type: 'ok', value: [1, 3, 5] });
      expect(await b.invoke(inv('remove', 3))).toMatchObject({ type: 'ok' });
      expect(await a.invoke(inv('read'))).toMatchObject({ type: 'ok', value: [1, 5] });
    });
    await withClients('counter', async ([a, b]) => {
      expect(await a.invoke(inv('read', null, 'c'))).toMatchObject({ type: 'ok', value: 0 });
      await Promise.all([a, b].map(async (x) => { for (let i = 0; i < 5; i++) expect(await x.invoke(inv('add', 2, 'c'))).toMatchObject({ type: 'ok' }); }));
      expect(await b.invoke(inv('read', null, 'c'))).toMatchObject({ type: 'ok', value: 20 });
    });
    await withClients('queue', async ([a, b]) => {
      for (const e of [1, 2, 3]) await a.invoke(inv('enqueue', e));
      expect(await b.invoke(inv('dequeue'))).toMatchObject({ type: 'ok', value: 1 });
      expect(await b.invoke(inv('drain'))).toMatchObject({ type: 'ok', value: [2, 3] });
      expect(await a.invoke(inv('dequeue'))).toMatchObject({ type: 'ok', value: null });
    });
    await withClients('unique-ids', async ([a, b, c]) => {
      const ids = (await Promise.all([a, b, c, a, b, c].map((x) => x.invoke(inv('generate'))))).map((o) => o.value);
      expect(new Set(ids).size).toBe(6);
      for (const id of ids) expect(Number.isSafeInteger(id)).toBe(true);
    });
    await withClients('bank', async ([a, b]) => {
      expect(await a.invoke(inv('init', { accounts: [0, 1], balance: 10 }))).toMatchObject({ type: 'ok' });
      expect(await b.invoke(inv('init', { accounts: [0, 1], balance: 99 }))).toMatchObject({ type: 'ok' });
      expect(await a.invoke(inv('transfer', { from: 0, to: 1, amount: 4 }))).toMatchObject({ type: 'ok' });
      expect(await b.invoke(inv('transfer', { from: 0, to: 1, amount: 7 }))).toMatchObject({ type: 'fail', error: 'insufficient-funds' });
      expect(await b.invoke(inv('transfer', { from: 0, to: 9, amount: 1 }))).toMatchObject({ type: 'fail', error: 'no-such-account: 9' });
      expect(await a.invoke(inv('read'))).toMatchObject({ type: 'ok', value: { 0: 6, 1: 14 } });
    });
    await withClients(undefined, async ([a]) => {
      expect(await a.invoke(inv('frobnicate'))).toMatchObject({ type: 'fail', error: expect.stringContaining('unknown-op') });
    });
  });
});

describe('etcd client outcomes', () => {
  it('a missing socket fails a write: nothing was sent', async () => {
    const c = new EtcdClient('nx', join(root, 'nothing.sock'), dialectFor('register'));
    expect(await c.invoke(inv('write', 1))).toMatchObject({ type: 'fail', error: expect.stringContaining('nx:') });
    await c.close();
  });

  it('a paused member: a write that times out is info, a read that times out fails; resumed, both work', async () => {
    const node = t.nodes[2];
    const c = clientFor(node, 'register', 300);
    expect(await c.invoke(inv('read'))).toMatchObject({ type: 'ok' });
    await t.pause(node);
    try {
      expect(await c.invoke(inv('write', 100))).toMatchObject({ type: 'info', error: expect.stringContaining('no reply within 300 ms') });
      expect(await c.invoke(inv('read'))).toMatchObject({ type: 'fail' });
      const controller = new AbortController();
      const pending = c.invoke(inv('write', 101), { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect(await pending).toMatchObject({ type: 'info', error: expect.stringContaining('aborted') });
    } finally {
      await t.resume(node);
    }
    const d = clientFor(node, 'register', 5000);
    expect(await d.invoke(inv('write', 102))).toMatchObject({ type: 'ok' });
    await Promise.all([c.close(), d.close()]);
  });

  it('a killed member refuses: a write fails; restarted, it serves again', async () => {
    const node = t.nodes[1];
    const pid = t.pid(node)!;
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('etcd');
    await t.kill(node);
    expect(running(pid)).toBe(false);
    expect(t.pid(node)).toBeUndefined();
    const c = clientFor(node, 'register', 2000);
    expect(await c.invoke(inv('write', 200))).toMatchObject({ type: 'fail', error: expect.stringMatching(/ENOENT|ECONNREFUSED/) });
    await t.start(node);
    expect(await c.invoke(inv('write', 201))).toMatchObject({ type: 'ok' });
    expect(await c.invoke(inv('read'))).toMatchObject({ type: 'ok', value: 201 });
    await c.close();
  });
});

describe('etcd target setup', () => {
  it('a member that exits names the node and shows the end of its log', async () => {
    const bad = createEtcdTarget({ dir: join(root, 'bad'), nodes: 1, etcd: 'false' });
    await expect(bad.setup()).rejects.toThrow(/n1 exited \(code 1\) before it served clients; the end of .*logs\/n1\/etcd\.log:\n.*false \(pid \d+\) exited with code 1/s);
    const missing = createEtcdTarget({ dir: join(root, 'missing'), nodes: 1, etcd: 'no-such-etcd-binary' });
    await expect(missing.setup()).rejects.toThrow(/could not start n1: .*could not start no-such-etcd-binary/s);
    await missing.teardown();
  });
});

describe('etcd guard', () => {
  it('kills etcd, paused or not, and removes its sockets when the process that started it dies', async () => {
    const script = join(root, 'owner.mjs');
    const targetJs = resolve('dist/targets/etcd/target.js');
    writeFileSync(
      script,
      `import { createEtcdTarget } from ${JSON.stringify(targetJs)};
const t = createEtcdTarget({ dir: process.argv[2], nodes: 2 });
await t.setup();
await t.pause('n2');
console.log(JSON.stringify({ pids: t.nodes.map((n) => t.pid(n)), sockets: t.socketPath('n1') }));
setInterval(() => {}, 1000);
`,
    );
    const owner = execa(process.execPath, [script, join(root, 'owned')], { reject: false, stdin: 'ignore' });
    const { pids, sockets } = await new Promise<{ pids: number[]; sockets: string }>((res, rej) => {
      let text = '';
      owner.stdout?.on('data', (d: Buffer) => {
        text += d.toString();
        const line = text.split('\n').find((l) => l.startsWith('{"pids"'));
        if (line) res(JSON.parse(line) as { pids: number[]; sockets: string });
      });
      void owner.then((r) => rej(new Error(`the owner exited early: ${String(r.stderr)}`)));
    });
    expect(pids.every((p) => running(p))).toBe(true);
    owner.kill('SIGKILL');
    await owner;
    await until('the orphaned etcd members to die', () => pids.every((p) => !running(p)));
    // Their guards remove the sockets and, the last one out, the socket directory.
    await until(`${dirname(sockets)} to be removed`, () => !existsSync(dirname(sockets)));
  });
});
