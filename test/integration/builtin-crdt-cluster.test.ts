// The crdt and multi-leader-vv modes on real 3-node clusters (one process per node, HTTP over
// unix sockets): updates at every node at once, one node paused (SIGSTOP: cut off from its peers
// while the others go on) and one killed with SIGKILL and started again (its data dir keeps what
// it acknowledged); afterwards every node reads the same value, with no acknowledged update lost.
// Needs the compiled node (npm run build).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Op } from '../../histories/op.js';
import type { ModeName, ModeOptions } from '../../targets/builtin/mode.js';
import { createBuiltinTarget, type BuiltinTarget } from '../../targets/builtin/target.js';
import type { Client } from '../../targets/types.js';

const root = mkdtempSync(join(tmpdir(), 'faultline-crdt-cluster-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** How long the nodes get to converge (polled; the test passes as soon as they agree). */
const CONVERGE_WITHIN_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Cluster {
  readonly target: BuiltinTarget;
  private readonly clients = new Map<string, Client>();
  private next = 0;

  constructor(mode: ModeName, options: ModeOptions) {
    this.target = createBuiltinTarget({ mode, options, dir: mkdtempSync(join(root, `${mode}-`)) });
  }

  async setup(): Promise<void> {
    await this.target.setup();
    for (const n of this.target.nodes) await this.reconnect(n);
  }

  /** A fresh client for `node` (after a restart the old connection is gone). */
  async reconnect(node: string): Promise<void> {
    await this.clients.get(node)?.close();
    const c = this.target.client(node);
    await c.open();
    this.clients.set(node, c);
  }

  async invoke(node: string, f: string, value: unknown): Promise<Op> {
    const op: Op = { index: this.next++, type: 'invoke', process: 0, f, value, node };
    return this.clients.get(node)!.invoke(op);
  }

  async ok(node: string, f: string, value: unknown): Promise<unknown> {
    const done = await this.invoke(node, f, value);
    expect(done, `${f} ${JSON.stringify(value)} at ${node}`).toMatchObject({ type: 'ok' });
    return done.value;
  }

  /** Polls every node's read until all equal `expected`; returns the last reads either way. */
  async readsConverge(expected: unknown): Promise<unknown[]> {
    const deadline = Date.now() + CONVERGE_WITHIN_MS;
    for (;;) {
      const reads: unknown[] = [];
      for (const n of this.target.nodes) reads.push(await this.ok(n, 'read', null));
      if (reads.every((r) => JSON.stringify(r) === JSON.stringify(expected)) || Date.now() > deadline) return reads;
      await sleep(100);
    }
  }

  async teardown(): Promise<void> {
    for (const c of this.clients.values()) await c.close();
    await this.target.teardown();
  }
}

let current: Cluster | undefined;

async function cluster(mode: ModeName, options: ModeOptions): Promise<Cluster> {
  current = new Cluster(mode, options);
  await current.setup();
  return current;
}

afterEach(async () => {
  await current?.teardown();
  current = undefined;
});

/** Runs `count` updates at each of `nodes` concurrently; the values come from `value(node, i)`. */
async function concurrently(c: Cluster, nodes: readonly string[], count: number, f: string, value: (node: string, i: number) => unknown): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      for (let i = 0; i < count; i++) await c.ok(n, f, value(n, i));
    }),
  );
}

describe('crdt mode on a real cluster', () => {
  it('or-set: adds and removes at every node, a paused node and a killed one; all converge, no add lost', async () => {
    const c = await cluster('crdt', { crdt: 'or-set', antiEntropyMs: 100 });
    const expected = new Set<string>();
    const add = (n: string, i: number) => `${n}-${i}`;
    await concurrently(c, ['n1', 'n2', 'n3'], 20, 'add', add);
    for (const n of ['n1', 'n2', 'n3']) for (let i = 0; i < 20; i++) expected.add(add(n, i));
    await c.target.pause('n3');
    await concurrently(c, ['n1', 'n2'], 20, 'add', (n, i) => add(n, 100 + i));
    for (const n of ['n1', 'n2']) for (let i = 0; i < 20; i++) expected.add(add(n, 100 + i));
    // n2 removes elements of every node it has seen (its own for sure); the removes must stick.
    for (const e of ['n2-0', 'n2-1', 'n2-100']) {
      await c.ok('n2', 'remove', e);
      expected.delete(e);
    }
    await c.ok('n2', 'add', 'last-before-kill');
    expected.add('last-before-kill');
    await c.target.kill('n2');
    await c.ok('n1', 'add', 'while-n2-down');
    expected.add('while-n2-down');
    await c.target.start('n2');
    await c.reconnect('n2');
    await c.target.resume('n3');
    const want = [...expected].sort();
    expect(await c.readsConverge(want)).toEqual([want, want, want]);
  });

  it('pn-counter: concurrent increments and decrements at every node survive a kill and a pause', async () => {
    const c = await cluster('crdt', { crdt: 'pn-counter', antiEntropyMs: 100 });
    const amount = (n: string, i: number) => (i % 3 === 0 ? -(i + 1) : i + 1) * (n === 'n1' ? 1 : n === 'n2' ? 10 : 100);
    let expected = 0;
    const sum = (nodes: string[], count: number) => {
      for (const n of nodes) for (let i = 0; i < count; i++) expected += amount(n, i);
    };
    await concurrently(c, ['n1', 'n2', 'n3'], 30, 'add', amount);
    sum(['n1', 'n2', 'n3'], 30);
    await c.target.kill('n1'); // its increments are on disk, and maybe not yet at its peers
    await c.target.pause('n2');
    await concurrently(c, ['n3'], 30, 'add', amount);
    sum(['n3'], 30);
    await c.target.start('n1');
    await c.reconnect('n1');
    await c.target.resume('n2');
    expect(await c.readsConverge(expected)).toEqual([expected, expected, expected]);
  });

  it('g-counter: a negative add fails and changes nothing', async () => {
    const c = await cluster('crdt', { crdt: 'g-counter', antiEntropyMs: 100 });
    await c.ok('n1', 'add', 5);
    const done = await c.invoke('n2', 'add', -1);
    expect(done).toMatchObject({ type: 'fail', error: expect.stringMatching(/G-Counter only grows/) });
    expect(await c.readsConverge(5)).toEqual([5, 5, 5]);
  });
});

describe('multi-leader-vv mode on a real cluster', () => {
  it('set: concurrent adds at every node, a paused node and a killed one; no add lost', async () => {
    const c = await cluster('multi-leader-vv', { workload: 'set', replicationDelayMs: 50, antiEntropyMs: 200 });
    await concurrently(c, ['n1', 'n2', 'n3'], 25, 'add', (n, i) => Number(n.slice(1)) * 1000 + i);
    await c.target.pause('n3');
    await concurrently(c, ['n1', 'n2'], 25, 'add', (n, i) => Number(n.slice(1)) * 1000 + 100 + i);
    await c.target.kill('n1');
    await c.target.start('n1');
    await c.reconnect('n1');
    await c.target.resume('n3');
    const want: number[] = [];
    for (const n of [1, 2, 3]) for (let i = 0; i < 25; i++) want.push(n * 1000 + i);
    for (const n of [1, 2]) for (let i = 0; i < 25; i++) want.push(n * 1000 + 100 + i);
    want.sort((a, b) => a - b);
    expect(await c.readsConverge(want)).toEqual([want, want, want]);
  });

  it('counter: concurrent increments at every node all count, across a kill and a pause', async () => {
    const c = await cluster('multi-leader-vv', { workload: 'counter', replicationDelayMs: 50, antiEntropyMs: 200 });
    await concurrently(c, ['n1', 'n2', 'n3'], 30, 'add', (_n, i) => (i % 4 === 0 ? -2 : 3));
    let expected = 3 * 30 * 3 - 3 * 8 * 5; // 30 ops per node, 8 of them (i % 4 === 0) add -2 instead of 3
    await c.target.pause('n2');
    await c.target.kill('n3');
    await c.target.start('n3');
    await c.reconnect('n3');
    await concurrently(c, ['n1', 'n3'], 10, 'add', () => 7);
    expected += 2 * 10 * 7;
    await c.target.resume('n2');
    expect(await c.readsConverge(expected)).toEqual([expected, expected, expected]);
  });
});
