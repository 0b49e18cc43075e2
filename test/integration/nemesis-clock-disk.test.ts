// Clock and disk faults on real built-in clusters (nodes on unix sockets; no namespaces needed).
// Clock: a bump moves a multi-leader-lww node's HLC stamps an hour ahead (seen in its state file
// and /status), so its older write beats a later one everywhere; a strobe flips the offset; the
// offset survives a restart; stop resets it. The machine's clock is never touched.
// Disk: a killed leader-follower-sync node whose state file was truncated or bit-flipped starts
// again and says what it skipped. The nodes run the compiled dist/ (npm test builds first).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Op } from '../../histories/op.js';
import { clockFault } from '../../nemesis/clock.js';
import { diskFault, type Damage } from '../../nemesis/disk.js';
import { parseAddress } from '../../base/address.js';
import { requestOnce } from '../../targets/builtin/http-json.js';
import type { ModeName } from '../../targets/builtin/mode.js';
import { createBuiltinTarget, type BuiltinTarget } from '../../targets/builtin/target.js';
import type { Client } from '../../targets/types.js';

const root = mkdtempSync(join(tmpdir(), 'fl-clockdisk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOUR = 3_600_000;
let index = 0;

function cluster(mode: ModeName, name: string, replicationDelayMs = 20) {
  const t = createBuiltinTarget({ mode, nodes: 3, options: { workload: 'register', replicationDelayMs }, dir: join(root, name) });
  const clients: Record<string, Client> = {};
  beforeAll(async () => {
    await t.setup();
    for (const n of t.nodes) {
      clients[n] = t.client(n);
      await clients[n].open();
    }
  });
  afterAll(async () => {
    for (const c of Object.values(clients)) await c.close();
    await t.teardown();
  });
  return {
    t,
    op: (node: string, f: string, key: string, value: unknown): Promise<Op> => clients[node].invoke({ index: index++, type: 'invoke', process: 0, f, key, value }),
  };
}

async function status(t: BuiltinTarget, node: string): Promise<Record<string, unknown>> {
  return (await requestOnce(parseAddress(t.clientAddress(node)), 'GET', '/status', undefined, { timeoutMs: 2000 })).body as Record<string, unknown>;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Line {
  op?: { f: string; value: unknown };
  ver?: [number, number, number];
}

function stateLines(t: BuiltinTarget, node: string): Line[] {
  return readFileSync(join(t.dataDir(node), 'state.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

describe('clock on multi-leader-lww', () => {
  // Changes ship a second after they are made, so n2's write below is concurrent with n1's.
  const c = cluster('multi-leader-lww', 'lww', 1000);

  it('a bump puts the node\'s LWW stamps an hour ahead, and its older write wins over a later one', async () => {
    const fault = clockFault(c.t);
    expect(await fault.available()).toBe(true);
    const started = await fault.start({ kind: 'bump', offsetMs: HOUR, nodes: ['n1'] });
    expect(started).toEqual({ mechanism: 'target-clock-offset', kind: 'bump', offsetMs: HOUR, nodes: ['n1'], offsets: { n1: HOUR } });
    expect((await status(c.t, 'n1')).clockOffsetMs).toBe(HOUR);
    expect((await status(c.t, 'n2')).clockOffsetMs).toBe(0);

    const wall = Date.now();
    expect(await c.op('n1', 'write', 'x', 1)).toMatchObject({ type: 'ok' });
    const stamp = stateLines(c.t, 'n1').find((l) => l.op?.f === 'write' && l.op.value === 1)!.ver!;
    expect(stamp[0] - wall).toBeGreaterThanOrEqual(HOUR - 1000);

    // n2 writes later in real time, but its clock is an hour behind n1's: n1's value wins everywhere.
    await new Promise((r) => setTimeout(r, 10));
    expect(await c.op('n2', 'write', 'x', 2)).toMatchObject({ type: 'ok' });
    const theirs = stateLines(c.t, 'n2').find((l) => l.op?.f === 'write' && l.op.value === 2)!.ver!;
    expect(theirs[0]).toBeLessThan(stamp[0] - HOUR / 2); // n2 had not yet seen n1's stamp
    for (const n of c.t.nodes) await until(`${n} to settle on 1`, async () => ((await c.op(n, 'read', 'x', null)).value === 1 ? true : undefined));

    // Kept across a restart of the node.
    await c.t.kill('n1');
    await c.t.start('n1');
    expect((await status(c.t, 'n1')).clockOffsetMs).toBe(HOUR);

    expect(await fault.stop()).toEqual({ mechanism: 'target-clock-offset', nodes: ['n1'] });
    expect(fault.active()).toBe(false);
    for (const n of c.t.nodes) expect((await status(c.t, n)).clockOffsetMs).toBe(0);
    expect(readFileSync(c.t.logs('n1')[0], 'utf8')).toMatch(/clock offset 0 -> 3600000 ms/);
  });

  it('a strobe flips the offset back and forth until stopped', async () => {
    const fault = clockFault(c.t);
    await fault.start({ kind: 'strobe', offsetMs: 10_000, periodMs: 40, durationMs: 60_000, nodes: ['n3'] });
    const seen = new Set<unknown>();
    await until('both offsets', async () => {
      seen.add((await status(c.t, 'n3')).clockOffsetMs);
      return seen.size === 2 ? true : undefined;
    });
    expect([...seen].sort()).toEqual([0, 10_000]);
    await fault.stop();
    expect((await status(c.t, 'n3')).clockOffsetMs).toBe(0);
  });
});

describe('disk on leader-follower-sync', () => {
  const c = cluster('leader-follower-sync', 'sync');

  beforeAll(async () => {
    for (let i = 0; i < 20; i++) expect(await c.op('n1', 'write', `k${i}`, i)).toMatchObject({ type: 'ok' });
  });

  it('a truncated state file: the node starts again and reports the torn line it skipped', async () => {
    const file = join(c.t.dataDir('n2'), 'state.jsonl');
    const before = readFileSync(file, 'utf8');
    const fault = diskFault(c.t, { damage: 'truncate', seed: 11 });
    const out = (await fault.start(['n2'])) as { nodes: { node: string; damaged: Damage[]; restarted: true | string }[] };
    expect(out.nodes).toHaveLength(1);
    const { damaged, restarted } = out.nodes[0];
    expect(restarted).toBe(true);
    expect(damaged).toEqual([{ path: file, kind: 'truncate', size: Buffer.byteLength(before), to: expect.any(Number) }]);
    const to = (damaged[0] as Extract<Damage, { kind: 'truncate' }>).to;
    const log = readFileSync(c.t.logs('n2')[0], 'utf8');
    // Seed 11 cuts the file mid-line (the file's content is the same on every run).
    expect(to > 0 && before[to - 1] !== '\n').toBe(true);
    expect(log).toMatch(/store: skipped 1 unreadable line\(s\) \(a write torn by a crash\)/);
    expect(fault.active()).toBe(false);
    expect((await status(c.t, 'n2')).node).toBe('n2');
  });

  it('flipped bits: the node starts again; a line no longer JSON is skipped and said so', async () => {
    const fault = diskFault(c.t, { damage: 'flip', flips: 4, seed: 5 });
    const out = (await fault.start(['n3'])) as { nodes: { damaged: Damage[]; restarted: true | string }[] };
    const { damaged, restarted } = out.nodes[0];
    expect(damaged[0]).toMatchObject({ kind: 'flip', path: join(c.t.dataDir('n3'), 'state.jsonl') });
    expect((damaged[0] as Extract<Damage, { kind: 'flip' }>).bits).toHaveLength(4);
    // What the store makes of it: it started, and every line that stopped being JSON was skipped.
    expect(restarted).toBe(true);
    expect(readFileSync(c.t.logs('n3')[0], 'utf8')).toMatch(/store: skipped \d+ unreadable line\(s\)/);
    expect(fault.active()).toBe(false);
    expect(existsSync(join(c.t.dataDir('n3'), 'state.jsonl'))).toBe(true);
  });
});
