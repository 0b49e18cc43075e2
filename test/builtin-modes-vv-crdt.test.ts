// The multi-leader-vv and crdt modes, three instances each in one process: an in-memory network
// (JSON round trips, like HTTP; links that can be cut to make partitions) and a virtual clock that
// drives the modes' timers (NodeContext.every/after), so a test covers seconds of replication and
// anti-entropy in milliseconds and runs the same way every time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Mode, ModeFactory, ModeOptions, NodeContext, OpReply } from '../targets/builtin/mode.js';
import { create as createCrdt } from '../targets/builtin/modes/crdt.js';
import { create as createVv } from '../targets/builtin/modes/multi-leader-vv.js';
import { configureWorkload } from '../targets/builtin/state-machine.js';

interface Timer {
  at: number;
  every: number | null;
  owner: number;
  fn: () => void | Promise<void>;
}

/** Virtual time: timers run only when the test advances the clock, in time order. */
class Clock {
  now = 1_000_000;
  private timers: Timer[] = [];

  add(owner: number, at: number, every: number | null, fn: Timer['fn']): void {
    this.timers.push({ at, every, owner, fn });
  }

  cancel(owner: number): void {
    this.timers = this.timers.filter((t) => t.owner !== owner);
  }

  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= end && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined) break;
      this.now = next.at;
      if (next.every === null) this.timers.splice(this.timers.indexOf(next), 1);
      else next.at += next.every;
      await next.fn();
      await settle();
    }
    this.now = end;
  }
}

/** Lets every in-flight promise chain finish: the network has no I/O, only microtasks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

class Cluster {
  readonly clock = new Clock();
  readonly nodes = ['n1', 'n2', 'n3'];
  readonly modes = new Map<string, Mode>();
  readonly logs = new Map<string, string[]>();
  private readonly incarnation = new Map<string, number>();
  private nextIncarnation = 1;
  private readonly cut = new Set<string>();
  messages = 0;

  /** With `durable`, each node gets a data dir (as the server's context has) and keeps its state across kills. */
  constructor(
    private readonly factory: ModeFactory,
    private readonly options: ModeOptions,
    private readonly dataRoot?: string,
  ) {
    for (const n of this.nodes) this.start(n);
  }

  /** Starts (or restarts, with empty memory) a node. */
  start(node: string): void {
    const owner = this.nextIncarnation++;
    this.incarnation.set(node, owner);
    const log = this.logs.get(node) ?? [];
    this.logs.set(node, log);
    const ctx: NodeContext & { dataDir?: string } = {
      ...(this.dataRoot === undefined ? {} : { dataDir: join(this.dataRoot, node) }),
      self: node,
      nodes: this.nodes,
      options: this.options,
      send: (peer, message) => this.send(node, peer, message),
      log: (line) => log.push(line),
      now: () => this.clock.now,
      every: (ms, fn) => this.clock.add(owner, this.clock.now + ms, ms, fn),
      after: (ms, fn) => this.clock.add(owner, this.clock.now + ms, null, fn),
    };
    this.modes.set(node, this.factory(ctx));
  }

  kill(node: string): void {
    this.clock.cancel(this.incarnation.get(node)!);
    this.modes.delete(node);
  }

  /** Cuts every link between the groups (both ways). */
  partition(...groups: string[][]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cut.add(`${a}>${b}`);
  }

  heal(): void {
    this.cut.clear();
  }

  private async send(from: string, to: string, message: unknown): Promise<unknown> {
    const target = this.modes.get(to);
    if (this.cut.has(`${from}>${to}`) || target === undefined) throw new Error(`${from} -> ${to}: unreachable`);
    this.messages++;
    const reply = await target.peer(from, JSON.parse(JSON.stringify(message)));
    if (this.cut.has(`${to}>${from}`)) throw new Error(`${to} -> ${from}: reply dropped`);
    return JSON.parse(JSON.stringify(reply ?? null));
  }

  async op(node: string, f: string, value: unknown, key?: unknown): Promise<OpReply> {
    const reply = await this.modes.get(node)!.handle({ f, value, ...(key === undefined ? {} : { key }) });
    return JSON.parse(JSON.stringify(reply)) as OpReply;
  }

  async ok(node: string, f: string, value: unknown, key?: unknown): Promise<unknown> {
    const r = await this.op(node, f, value, key);
    expect(r, `${f} ${JSON.stringify(value)} at ${node}`).toMatchObject({ type: 'ok' });
    return r.value;
  }

  async readAll(key?: unknown): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const n of this.nodes) out.push(await this.ok(n, 'read', null, key));
    return out;
  }
}

const dataRoots: string[] = [];

function dataRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-vv-crdt-'));
  dataRoots.push(dir);
  return dir;
}

afterEach(() => {
  configureWorkload(undefined);
  for (const d of dataRoots.splice(0)) rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('multi-leader-vv', () => {
  const vv = () => new Cluster(createVv, { replicationDelayMs: 100, antiEntropyMs: 300 });

  it('concurrent set adds at different nodes all survive replication (local reads)', async () => {
    configureWorkload('set');
    const c = new Cluster(createVv, { replicationDelayMs: 100, antiEntropyMs: 300, readFromPeers: false });
    for (let i = 0; i < 30; i++) await c.ok(c.nodes[i % 3], 'add', i);
    // Within the replication delay each node has only its own adds.
    expect(await c.ok('n1', 'read', null)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    await c.clock.advance(150);
    const all = Array.from({ length: 30 }, (_, i) => i);
    expect(await c.readAll()).toEqual([all, all, all]);
  });

  it('reads join the peers they reach: up to date without faults, only their side under a partition', async () => {
    configureWorkload('counter');
    const c = vv();
    await c.ok('n2', 'add', 2);
    await c.ok('n3', 'add', 3);
    // Not replicated yet, but n1's read asks n2 and n3.
    expect(await c.ok('n1', 'read', null)).toBe(5);
    c.partition(['n1', 'n2'], ['n3']);
    await c.ok('n3', 'add', 30);
    await c.ok('n2', 'add', 20);
    expect(await c.ok('n1', 'read', null)).toBe(25);
    expect(await c.ok('n3', 'read', null)).toBe(33); // its own adds: n2's never reached it
    expect(c.modes.get('n1')!.status!()).toMatchObject({ peerReads: { asked: 4, unanswered: 1 } });
    c.heal();
    await c.clock.advance(1500);
    expect(await c.readAll()).toEqual([55, 55, 55]);
  });

  it('concurrent counter adds survive a partition and converge after it heals', async () => {
    configureWorkload('counter');
    const c = vv();
    await c.ok('n1', 'add', 5, 'k');
    await c.clock.advance(150);
    c.partition(['n1'], ['n2'], ['n3']);
    let expected = 5;
    for (let i = 1; i <= 60; i++) {
      const amount = i % 7 === 0 ? -i : i;
      expected += amount;
      await c.ok(c.nodes[i % 3], 'add', amount, 'k');
      if (i % 10 === 0) await c.clock.advance(120); // pushes fail; every node keeps its own
    }
    const apart = await c.readAll('k');
    expect(apart.every((v) => v !== expected)).toBe(true);
    c.heal();
    await c.clock.advance(2000);
    expect(await c.readAll('k')).toEqual([expected, expected, expected]);
    expect(await c.readAll('other')).toEqual([0, 0, 0]);
  });

  it('registers: concurrent writes stay siblings, every node shows the same one, and a later write replaces them', async () => {
    configureWorkload('register');
    const c = vv();
    c.partition(['n1'], ['n2'], ['n3']);
    await c.ok('n1', 'write', 'a', 'r');
    await c.ok('n2', 'write', 'b', 'r');
    await c.ok('n3', 'write', 'c', 'r');
    c.heal();
    await c.clock.advance(1500);
    const reads = await c.readAll('r');
    expect(new Set(reads).size).toBe(1);
    expect(['a', 'b', 'c']).toContain(reads[0]);
    expect(c.modes.get('n1')!.status!()).toMatchObject({ keysWithSiblings: 1 });
    await c.ok('n2', 'write', 'd', 'r');
    await c.clock.advance(150);
    expect(await c.readAll('r')).toEqual(['d', 'd', 'd']);
    expect(c.modes.get('n3')!.status!()).toMatchObject({ keysWithSiblings: 0 });
  });

  it('list appends at different nodes are all kept', async () => {
    configureWorkload('list-append');
    const c = vv();
    await c.ok('n1', 'txn', [['append', 'x', 1]]);
    await c.ok('n2', 'txn', [['append', 'x', 2]]);
    await c.ok('n3', 'txn', [['append', 'x', 3], ['r', 'x', null]]);
    await c.clock.advance(150);
    const reads = [];
    for (const n of c.nodes) reads.push(((await c.ok(n, 'txn', [['r', 'x', null]])) as unknown[][])[0][2]);
    expect(reads.map((r) => [...(r as number[])].sort())).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    expect(new Set(reads.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('a restarted node recovers its data from peers and keeps counting without losing or repeating', async () => {
    configureWorkload('counter');
    const c = vv();
    await c.ok('n3', 'add', 10);
    await c.ok('n1', 'add', 1);
    await c.clock.advance(150);
    c.kill('n3');
    c.start('n3'); // empty memory, new incarnation
    await c.ok('n3', 'add', 100);
    await c.clock.advance(2000);
    expect(await c.readAll()).toEqual([111, 111, 111]);
  });

  it('with a data dir, a killed node comes back with what it acknowledged and its actor', async () => {
    configureWorkload('counter');
    const c = new Cluster(createVv, { replicationDelayMs: 100, antiEntropyMs: 300 }, dataRoot());
    await c.ok('n2', 'add', 1);
    await c.clock.advance(150);
    c.partition(['n1'], ['n2', 'n3']);
    const actor = c.modes.get('n1')!.status!().actor;
    await c.ok('n1', 'add', 5); // acknowledged, never shipped
    c.kill('n1');
    c.start('n1');
    expect(c.modes.get('n1')!.status!()).toMatchObject({ actor, durable: true });
    expect(await c.ok('n1', 'read', null)).toBe(6);
    await c.ok('n1', 'add', 10);
    c.heal();
    await c.clock.advance(1500);
    expect(await c.readAll()).toEqual([16, 16, 16]);
  });

  it('unique ids stay unique across nodes and restarts', async () => {
    configureWorkload('unique-ids');
    const c = vv();
    const ids: unknown[] = [];
    for (let i = 0; i < 9; i++) ids.push(await c.ok(c.nodes[i % 3], 'generate', null));
    c.kill('n2');
    c.start('n2');
    for (let i = 0; i < 3; i++) ids.push(await c.ok('n2', 'generate', null));
    expect(new Set(ids).size).toBe(12);
  });

  it('a failing op changes nothing and is not replicated', async () => {
    configureWorkload('register');
    const c = vv();
    await c.ok('n1', 'write', 1, 'r');
    expect(await c.op('n1', 'cas', [2, 3], 'r')).toMatchObject({ type: 'fail', error: 'mismatch' });
    await c.clock.advance(150);
    expect(await c.readAll('r')).toEqual([1, 1, 1]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('crdt', () => {
  const crdt = (type: string) => new Cluster(createCrdt, { crdt: type as ModeOptions['crdt'], antiEntropyMs: 200 });

  it.each(['g-counter', 'pn-counter'])('%s: updates on both sides of a partition converge after it heals', async (type) => {
    const c = crdt(type);
    c.partition(['n1'], ['n2', 'n3']);
    let expected = 0;
    for (let i = 1; i <= 45; i++) {
      const amount = type === 'pn-counter' && i % 4 === 0 ? -2 * i : i;
      expected += amount;
      await c.ok(c.nodes[i % 3], 'add', amount, 'c');
      if (i % 5 === 0) await c.clock.advance(100);
    }
    await c.clock.advance(1000);
    const [n1, n2, n3] = await c.readAll('c');
    expect(n2).toBe(n3); // the majority side converged among itself
    expect(n1).not.toBe(n2);
    c.heal();
    await c.clock.advance(1000);
    expect(await c.readAll('c')).toEqual([expected, expected, expected]);
    // Converged: another round finds equal trees and moves no keys.
    const pulled = () => c.nodes.map((n) => (c.modes.get(n)!.status!().antiEntropy as { pulled: number }).pulled);
    const before = pulled();
    await c.clock.advance(1000);
    expect(pulled()).toEqual(before);
  });

  it('or-set: no lost adds, observed removes win, concurrent adds win over removes', async () => {
    const c = crdt('or-set');
    await c.ok('n1', 'add', 'x');
    await c.ok('n1', 'add', 'y');
    await c.clock.advance(1000); // everyone has seen x and y
    expect(await c.readAll()).toEqual([['x', 'y'], ['x', 'y'], ['x', 'y']]);
    c.partition(['n1', 'n2'], ['n3']);
    await c.ok('n2', 'remove', 'x'); // observed n1's add of x
    await c.ok('n2', 'remove', 'y');
    await c.ok('n3', 'add', 'x'); // concurrent with n2's remove: adds win
    for (let i = 0; i < 20; i++) await c.ok(c.nodes[i % 3], 'add', i);
    await c.clock.advance(600);
    expect(await c.ok('n1', 'read', null)).not.toContain('x');
    c.heal();
    await c.clock.advance(1000);
    const expected = [...Array.from({ length: 20 }, (_, i) => i), 'x'];
    expect(await c.readAll()).toEqual([expected, expected, expected]);
  });

  it('keys are independent; an absent key is the default object', async () => {
    const c = crdt('or-set');
    await c.ok('n1', 'add', 1, 'a');
    await c.ok('n2', 'add', 2, 'b');
    await c.ok('n3', 'add', 3);
    await c.clock.advance(1000);
    expect(await c.readAll('a')).toEqual([[1], [1], [1]]);
    expect(await c.readAll('b')).toEqual([[2], [2], [2]]);
    expect(await c.readAll()).toEqual([[3], [3], [3]]);
    expect(await c.readAll('never')).toEqual([[], [], []]);
  });

  it('a restarted node gets its state back from anti-entropy and its new updates count', async () => {
    const c = crdt('pn-counter');
    await c.ok('n1', 'add', 7);
    await c.ok('n2', 'add', -3);
    await c.clock.advance(1000);
    c.kill('n1');
    c.start('n1');
    await c.ok('n1', 'add', 10);
    await c.clock.advance(1000);
    expect(await c.readAll()).toEqual([14, 14, 14]);
  });

  it('with a data dir, a killed node keeps its adds and the removes of elements it learnt from peers', async () => {
    const c = new Cluster(createCrdt, { crdt: 'or-set', antiEntropyMs: 200 }, dataRoot());
    await c.ok('n2', 'add', 'c');
    await c.clock.advance(1000);
    c.partition(['n1'], ['n2', 'n3']);
    await c.ok('n1', 'add', 'a');
    await c.ok('n1', 'remove', 'c'); // c came from n2
    c.kill('n1');
    c.start('n1');
    expect(await c.ok('n1', 'read', null)).toEqual(['a']);
    c.heal();
    await c.clock.advance(1000);
    expect(await c.readAll()).toEqual([['a'], ['a'], ['a']]);
  });

  it('a negative g-counter add, an or-set op on a counter and an unknown f fail with a clear error', async () => {
    const g = crdt('g-counter');
    expect(await g.op('n1', 'add', -1)).toMatchObject({ type: 'fail', error: expect.stringMatching(/G-Counter only grows.*-1/) });
    expect(await g.op('n1', 'remove', 1)).toMatchObject({ type: 'fail', error: expect.stringMatching(/remove needs the or-set/) });
    expect(await g.op('n1', 'add', 'two')).toMatchObject({ type: 'fail', error: expect.stringMatching(/finite number/) });
    expect(await g.op('n1', 'write', 1)).toMatchObject({ type: 'fail', error: expect.stringMatching(/serves add and read, not "write"/) });
    expect(await g.ok('n1', 'read', null)).toBe(0);
    expect(() => crdt('lww-map')).toThrow(/options\.crdt must be one of g-counter, pn-counter, or-set/);
  });
});
