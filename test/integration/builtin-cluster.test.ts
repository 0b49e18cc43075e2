// Real 3-node clusters of the built-in store, one per mode: each mode's signature behaviour, crash
// recovery (kill + start), pause, and that no node process outlives its target or its parent.
// The nodes run the compiled dist/targets/builtin/node-main.js (npm test builds first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Op } from '../../histories/op.js';
import type { Client } from '../../targets/types.js';
import { parseAddress } from '../../base/address.js';
import { requestOnce } from '../../targets/builtin/http-json.js';
import type { ModeName, ModeOptions } from '../../targets/builtin/mode.js';
import { createBuiltinTarget, nodeMainPath, type BuiltinTarget, type ListenSpec } from '../../targets/builtin/target.js';

const root = mkdtempSync(join(tmpdir(), 'fl-builtin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let index = 0;
function invocation(f: string, value: unknown = null, key?: unknown): Op {
  const op: Op = { index: index++, type: 'invoke', process: 0, f, value };
  if (key !== undefined) op.key = key;
  return op;
}

/** True while the process exists and is not a zombie (nothing may reap orphans here). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(t: BuiltinTarget, node: string): Promise<Record<string, unknown>> {
  const res = await requestOnce(parseAddress(t.clientAddress(node)), 'GET', '/status', undefined, { timeoutMs: 2000 });
  return res.body as Record<string, unknown>;
}

interface Cluster {
  t: BuiltinTarget;
  c: Record<string, Client>;
  run(node: string, f: string, value?: unknown, key?: unknown, signal?: AbortSignal): Promise<Op>;
  pids(): number[];
}

function cluster(mode: ModeName, options: ModeOptions, listen?: ListenSpec): Cluster {
  const t = createBuiltinTarget({ mode, nodes: 3, options, dir: join(root, mode), listen });
  const c: Record<string, Client> = {};
  const cl: Cluster = {
    t,
    c,
    run: (node, f, value = null, key, signal) => c[node].invoke(invocation(f, value, key), signal ? { signal } : {}),
    pids: () => t.nodes.map((n) => t.pid(n)).filter((p): p is number => p !== undefined),
  };
  beforeAll(async () => {
    await t.setup();
    for (const n of t.nodes) {
      c[n] = t.client(n);
      await c[n].open();
    }
  });
  afterAll(async () => {
    for (const x of Object.values(c)) await x.close();
    await t.teardown();
  });
  return cl;
}

async function expectTeardownLeavesNothing(cl: Cluster): Promise<void> {
  const pids = cl.pids();
  expect(pids).toHaveLength(3);
  for (const p of pids) expect(alive(p)).toBe(true);
  const sockets = dirname(cl.t.clientAddress('n1').slice('unix:'.length));
  expect(existsSync(sockets)).toBe(true);
  await cl.t.teardown();
  for (const p of pids) expect(alive(p)).toBe(false);
  expect(existsSync(sockets)).toBe(false);
  await cl.t.teardown(); // twice is fine
}

describe('leader-follower-sync', () => {
  const cl = cluster('leader-follower-sync', { workload: 'register', replicationTimeoutMs: 400 });

  it('a write at a follower is read at every node at once', async () => {
    expect((await cl.run('n2', 'write', 7, 'x')).type).toBe('ok');
    for (const n of ['n1', 'n2', 'n3']) expect(await cl.run(n, 'read', null, 'x')).toMatchObject({ type: 'ok', value: 7 });
    expect(await cl.run('n3', 'cas', [7, 8], 'x')).toMatchObject({ type: 'ok', value: [7, 8] });
    expect(await cl.run('n1', 'cas', [7, 9], 'x')).toMatchObject({ type: 'fail', error: 'mismatch' });
    expect(await cl.t.primaries()).toEqual(['n1']);
    expect(cl.t.logs('n2')[0]).toBe(join(root, 'leader-follower-sync', 'logs', 'n2', 'node.log'));
    expect(readFileSync(cl.t.logs('n1')[0], 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z n1 /m);
  });

  it('with a follower down writes are unknown, never ok; it catches up when started', async () => {
    await cl.t.kill('n3');
    const w = await cl.run('n1', 'write', 'while-n3-down', 'y');
    expect(w.type).toBe('info');
    expect(String(w.error)).toMatch(/no ack from n3/);
    expect(await cl.run('n2', 'read', null, 'y')).toMatchObject({ type: 'ok', value: 'while-n3-down' });
    expect((await cl.run('n3', 'read', null, 'y')).type).toBe('fail');
    await cl.t.start('n3');
    await until('n3 to catch up', async () => {
      const [a, b] = await Promise.all([status(cl.t, 'n1'), status(cl.t, 'n3')]);
      return a.position === b.position ? true : undefined;
    });
    expect((await cl.run('n3', 'write', 'after', 'y')).type).toBe('ok');
  });

  it('a killed leader recovers what it acknowledged', async () => {
    for (let i = 0; i < 5; i++) expect((await cl.run(`n${(i % 3) + 1}`, 'write', i, `k${i}`)).type).toBe('ok');
    await cl.t.kill('n1');
    // n2 may first try a kept-alive connection the dead leader left (then the write is unknown);
    // once nothing listens at the leader, writes certainly do not happen.
    expect((await cl.run('n2', 'write', 'lost', 'k0')).type).not.toBe('ok');
    await until('a forwarded write to fail', async () => ((await cl.run('n2', 'write', 'lost', 'k0')).type === 'fail' ? true : undefined));
    await cl.t.start('n1');
    for (let i = 0; i < 5; i++) expect(await cl.run('n1', 'read', null, `k${i}`)).toMatchObject({ type: 'ok', value: i });
    expect((await cl.run('n2', 'scan')).value).toMatchObject({ k0: 0, k4: 4, x: 8, y: 'after' });
  });

  it('a paused leader makes ops time out; after resume they succeed', async () => {
    await cl.t.pause('n1');
    const direct = await cl.run('n1', 'write', 'p', 'z', AbortSignal.timeout(300));
    expect(direct.type).toBe('info');
    const forwarded = await cl.run('n2', 'write', 'q', 'z');
    expect(forwarded.type).toBe('info');
    await cl.t.resume('n1');
    expect((await cl.run('n2', 'write', 'r', 'z')).type).toBe('ok');
    expect(await cl.run('n1', 'read', null, 'z')).toMatchObject({ type: 'ok', value: 'r' });
  });

  it('teardown leaves no process', async () => {
    await expectTeardownLeavesNothing(cl);
  });
});

describe('leader-follower-async', () => {
  // Peers on loopback TCP, clients on unix sockets (how the nemesis will run it).
  const cl = cluster('leader-follower-async', { workload: 'register', replicationDelayMs: 1000 }, { client: 'unix', peer: 'tcp' });

  it('listens where it was told', async () => {
    expect(cl.t.clientAddress('n2')).toMatch(/^unix:\/.*\/n2\.c\.sock$/);
    expect(String((await status(cl.t, 'n1')).node)).toBe('n1');
    expect(readFileSync(cl.t.logs('n1')[0], 'utf8')).toMatch(/listening for peers on tcp:127\.0\.0\.1:\d+/);
  });

  it('a follower read right after a write is stale, and catches up', async () => {
    expect((await cl.run('n1', 'write', 1, 'x')).type).toBe('ok');
    expect(await cl.run('n2', 'read', null, 'x')).toMatchObject({ type: 'ok', value: null });
    expect(await cl.run('n1', 'read', null, 'x')).toMatchObject({ type: 'ok', value: 1 });
    await until('n2 to catch up', async () => ((await cl.run('n2', 'read', null, 'x')).value === 1 ? true : undefined));
  });

  it('writes at a follower go to the leader; a restarted follower catches up', async () => {
    await cl.t.kill('n3');
    expect((await cl.run('n2', 'write', 2, 'y')).type).toBe('ok');
    await cl.t.start('n3');
    await until('n3 to catch up', async () => ((await cl.run('n3', 'read', null, 'y')).value === 2 ? true : undefined));
    expect(await cl.run('n3', 'read', null, 'x')).toMatchObject({ value: 1 });
  });

  it('teardown leaves no process', async () => {
    await expectTeardownLeavesNothing(cl);
  });
});

describe('multi-leader-lww', () => {
  const cl = cluster('multi-leader-lww', { workload: 'set', replicationDelayMs: 800 });

  it('concurrent set adds at different nodes: one is lost, the replicas converge', async () => {
    const [a, b] = await Promise.all([cl.run('n1', 'add', 'from-n1', 's'), cl.run('n2', 'add', 'from-n2', 's')]);
    expect([a.type, b.type]).toEqual(['ok', 'ok']);
    const reads = await until('replicas to converge', async () => {
      const rs = await Promise.all(['n1', 'n2', 'n3'].map((n) => cl.run(n, 'read', null, 's')));
      const vs = rs.map((r) => JSON.stringify(r.value));
      return rs.every((r) => r.type === 'ok') && vs[0] !== '[]' && vs.every((v) => v === vs[0]) ? rs : undefined;
    });
    expect(reads[0].value).toHaveLength(1);
    expect(['from-n1', 'from-n2']).toContain((reads[0].value as string[])[0]);
    expect(await cl.t.primaries()).toEqual(['n1', 'n2', 'n3']);
  });

  it('unique ids stay unique across nodes', async () => {
    const ids = await Promise.all(['n1', 'n2', 'n3', 'n1', 'n2', 'n3'].map((n) => cl.run(n, 'generate')));
    expect(new Set(ids.map((r) => JSON.stringify(r.value))).size).toBe(6);
  });

  it('a killed node recovers its acknowledged writes and gets what it missed', async () => {
    expect((await cl.run('n1', 'add', 'kept', 't')).type).toBe('ok');
    await cl.t.kill('n1');
    expect((await cl.run('n1', 'read', null, 't')).type).toBe('fail');
    expect((await cl.run('n2', 'add', 'missed', 'u')).type).toBe('ok');
    await cl.t.start('n1');
    expect(await cl.run('n1', 'read', null, 't')).toMatchObject({ type: 'ok', value: ['kept'] });
    await until('n1 to get the add it missed', async () => ((await cl.run('n1', 'read', null, 'u')).value as unknown[]).length === 1 || undefined);
    await until('n3 to get the add n1 shipped after its restart', async () => ((await cl.run('n3', 'read', null, 't')).value as unknown[]).length === 1 || undefined);
  });

  it('teardown leaves no process', async () => {
    await expectTeardownLeavesNothing(cl);
  });
});

describe('sharded', () => {
  const cl = cluster('sharded', { workload: 'bank', vnodes: 16 });

  it('keys spread over owners; scan and bank reads fan out to every shard', async () => {
    for (let i = 0; i < 30; i++) expect((await cl.run(`n${(i % 3) + 1}`, 'write', i, `k${i}`)).type).toBe('ok');
    const held = await Promise.all(['n1', 'n2', 'n3'].map(async (n) => (await status(cl.t, n)).keys as number));
    for (const h of held) expect(h).toBeGreaterThan(0);
    expect(held.reduce((a, b) => a + b, 0)).toBe(30);
    const scan = await cl.run('n2', 'scan');
    expect(scan.type).toBe('ok');
    expect(Object.keys(scan.value as object)).toHaveLength(30);
    expect((scan.value as Record<string, unknown>).k17).toBe(17);

    const accounts = Array.from({ length: 12 }, (_, i) => i);
    expect((await cl.run('n1', 'init', { accounts, balance: 10 })).type).toBe('ok');
    expect((await cl.run('n3', 'transfer', { from: 0, to: 11, amount: 4 })).type).toBe('ok');
    expect(await cl.run('n2', 'transfer', { from: 1, to: 2, amount: 40 })).toMatchObject({ type: 'fail', error: 'insufficient-funds' });
    const bank = (await cl.run('n2', 'read')).value as Record<string, number>;
    expect(Object.keys(bank)).toHaveLength(12);
    expect(bank['0']).toBe(6);
    expect(bank['11']).toBe(14);
    expect(await cl.t.primaries()).toEqual(['n1', 'n2', 'n3']);
  });

  it("a killed owner's keys fail while it is down and come back with their data", async () => {
    await cl.t.kill('n2');
    // cas [i, i] changes nothing but must reach the key's owner (reads here are bank reads).
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => cl.run('n1', 'cas', [i, i], `k${i}`)));
    // Not ok: fail, or info when n1 first tried a kept-alive connection the dead owner left.
    const notOk = rs.filter((r) => r.type !== 'ok');
    expect(notOk.length).toBeGreaterThan(0);
    expect(notOk.length).toBeLessThan(30);
    for (const r of notOk) expect(String(r.error)).toMatch(/^n2: /);
    expect((await cl.run('n3', 'scan')).type).toBe('fail');
    await cl.t.start('n2');
    const scan = (await cl.run('n3', 'scan')).value as Record<string, unknown>;
    expect(Array.from({ length: 30 }, (_, i) => scan[`k${i}`])).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('teardown leaves no process', async () => {
    await expectTeardownLeavesNothing(cl);
  });
});

describe('parent watch', () => {
  it('a cluster whose parent is killed with SIGKILL leaves no node behind, paused ones included', async () => {
    const script = join(root, 'parent.mjs');
    const targetJs = resolve('dist/targets/builtin/target.js');
    writeFileSync(
      script,
      `import { createBuiltinTarget } from ${JSON.stringify(targetJs)};\n` +
        `const t = createBuiltinTarget({ mode: 'leader-follower-sync', dir: process.argv[2] });\n` +
        `await t.setup();\n` +
        `await t.pause('n2');\n` +
        `process.stdout.write(JSON.stringify({ pids: t.nodes.map((n) => t.pid(n)), socket: t.clientAddress('n1') }) + '\\n');\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    const parent = execa(process.execPath, [script, join(root, 'orphans')], { reject: false, buffer: false });
    const line = await new Promise<string>((res, rej) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) res(out.split('\n')[0]);
      });
      void parent.then((r) => rej(new Error(`the parent script ended early: ${String(r.stderr ?? r.exitCode)}`)));
    });
    const { pids, socket } = JSON.parse(line) as { pids: number[]; socket: string };
    expect(pids).toHaveLength(3);
    for (const p of pids) expect(alive(p)).toBe(true);
    parent.kill('SIGKILL');
    await parent;
    await until('every node to exit', () => (pids.some(alive) ? undefined : true), 5000);
    // The nodes clean up the socket dir the dead parent could not.
    await until('the socket dir to go', () => (existsSync(dirname(socket.slice('unix:'.length))) ? undefined : true), 2000);
  });

  it('without a pipe on stdin a node still exits when its parent pid goes', async () => {
    const fakeParent = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { reject: false });
    const dir = join(root, 'pid-watch');
    const sock = mkdtempSync('/tmp/fl-');
    const config = {
      self: 'n1',
      mode: 'leader-follower-sync',
      options: {},
      nodes: [{ name: 'n1', client: `unix:${sock}/c.sock`, peer: `unix:${sock}/p.sock` }],
      dataDir: dir,
      parentPid: fakeParent.pid,
    };
    const node = execa(process.execPath, [nodeMainPath(), JSON.stringify(config)], { stdin: 'ignore', reject: false });
    try {
      await until('the node to listen', async () => {
        try {
          const res = await requestOnce(parseAddress(config.nodes[0].client), 'GET', '/status', undefined, { timeoutMs: 500 });
          return res.status === 200 ? true : undefined;
        } catch {
          return undefined;
        }
      });
      expect(alive(node.pid!)).toBe(true);
      fakeParent.kill('SIGKILL');
      await fakeParent;
      const r = await node;
      expect(r.exitCode).toBe(0);
      expect(String(r.stdout)).toMatch(/exiting: parent \d+ is gone/);
    } finally {
      node.kill('SIGKILL');
      fakeParent.kill('SIGKILL');
      rmSync(sock, { recursive: true, force: true });
    }
  });

  it('a node that cannot start fails setup, naming it and showing its log', async () => {
    const dir = join(root, 'broken');
    const t = createBuiltinTarget({
      mode: 'leader-follower-sync',
      nodes: ['a', 'b'],
      dir,
      listen: (node) => ({ client: node === 'b' ? 'unix:/proc/no-such-dir/c.sock' : `unix:${join(dir, 'a.c.sock')}`, peer: `unix:${join(dir, `${node}.p.sock`)}` }),
    });
    const e = await t.setup().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/node b exited \(code 1\) before it came up; the end of .*logs\/b\/node\.log:\n[^]*cannot listen for clients on unix:\/proc\/no-such-dir\/c\.sock/);
    expect(t.pid('a')).toBeUndefined();
    await t.teardown();
  });

  it('a bad config is refused with the reason', async () => {
    const r = await execa(process.execPath, [nodeMainPath(), JSON.stringify({ self: 'n9', mode: 'nope' })], { reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/node config: mode must be one of leader-follower-sync/);
  });
});
