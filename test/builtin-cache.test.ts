// The cache mode's three invalidation strategies, three nodes in one process over an in-memory
// network whose replies can be held: the read-miss-fill race is played out step by step (a fill
// reads the old value, a write and its invalidation land, then the fill), which plants a stale
// entry under write-through; the register checkers find the stale read it serves; event-driven
// refuses that fill and serves the new value; TTL serves old values until the entry expires.
import { afterEach, describe, expect, it } from 'vitest';
import { linearizable } from '../checker/linearizable/index.js';
import { staleness } from '../checker/staleness.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import type { Mode, NodeContext, OpReply } from '../targets/builtin/mode.js';
import { create } from '../targets/builtin/modes/cache.js';
import { configureWorkload } from '../targets/builtin/state-machine.js';

const settle = () => new Promise<void>((r) => setImmediate(r));

class Cluster {
  readonly nodes = ['n1', 'n2', 'n3'];
  readonly modes = new Map<string, Mode>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Replies held back: to a message of `type` sent by `from` (released by the test). */
  private holds: { from: string; type: string; release?: () => void; held: Promise<void>; caught: boolean }[] = [];
  readonly history: Op[] = [];
  private clock = 0;

  constructor(options: Record<string, unknown>) {
    configureWorkload('register');
    for (const self of this.nodes) {
      const ctx: NodeContext = {
        self,
        nodes: this.nodes,
        options,
        send: (peer, message) => this.send(self, peer, message),
        log: () => {},
        now: () => Date.now(),
        every: (ms, fn) => {
          const t = setInterval(() => void fn(), ms);
          this.timers.add(t);
        },
        after: (ms, fn) => {
          const t = setTimeout(() => {
            this.timers.delete(t);
            void fn();
          }, ms);
          this.timers.add(t);
        },
      };
      this.modes.set(self, create(ctx));
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    configureWorkload(undefined);
  }

  /** Holds the reply to the next message of `type` that `from` sends, until the returned function is called. */
  hold(from: string, type: string): { release: () => void; caught: () => boolean } {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const h = { from, type, release, held, caught: false };
    this.holds.push(h);
    return { release, caught: () => h.caught };
  }

  private async send(from: string, to: string, message: unknown): Promise<unknown> {
    const reply = await this.modes.get(to)!.peer(from, JSON.parse(JSON.stringify(message)));
    const type = (message as { type?: string }).type ?? '';
    const h = this.holds.find((x) => !x.caught && x.from === from && x.type === type);
    if (h) {
      h.caught = true;
      await h.held;
    }
    return JSON.parse(JSON.stringify(reply ?? null));
  }

  /** Runs an op on `node` as `process`, recording its invocation and completion. */
  async op(process: number, node: string, f: string, value: unknown): Promise<OpReply> {
    const inv: Op = { index: this.history.length, time: ++this.clock, type: 'invoke', process, f, key: 'x', value, node };
    this.history.push(inv);
    const r = (await this.modes.get(node)!.handle({ f, key: 'x', value })) as OpReply;
    const done: Op = { ...inv, index: this.history.length, time: ++this.clock, type: r.type, value: r.type === 'ok' ? (r.value ?? null) : value };
    if (r.error !== undefined) done.error = r.error;
    this.history.push(done);
    return r;
  }

  /** An op that is invoked now and completes later: its invocation is recorded at once. */
  start(process: number, node: string, f: string, value: unknown): Promise<OpReply> {
    const inv: Op = { index: this.history.length, time: ++this.clock, type: 'invoke', process, f, key: 'x', value, node };
    this.history.push(inv);
    return (this.modes.get(node)!.handle({ f, key: 'x', value }) as Promise<OpReply>).then((r) => {
      this.history.push({ ...inv, index: this.history.length, time: ++this.clock, type: r.type, value: r.type === 'ok' ? (r.value ?? null) : value });
      return r;
    });
  }

  counters(node: string): Record<string, number> {
    return (this.modes.get(node)!.metrics!().counters ?? {}) as Record<string, number>;
  }

  async verdicts(): Promise<{ linearizable: boolean | string; stale: number }> {
    const h = new History(this.history);
    const lin = await linearizable.check(h, { model: 'register' });
    const st = await staleness.check(h, {});
    return { linearizable: lin.valid, stale: st.stale as number };
  }
}

let cluster: Cluster | undefined;
afterEach(() => {
  cluster?.stop();
  cluster = undefined;
});

/**
 * The race: n2 misses on x and reads 1 at the leader; before its fill lands, n3 writes 2 (which
 * every node holds before it is acknowledged) and, under write-through, tells n2 to drop x; then
 * n2's fill lands; then n2 reads x again.
 */
async function race(c: Cluster): Promise<{ first: OpReply; second: OpReply }> {
  expect((await c.op(1, 'n1', 'write', 1)).type).toBe('ok');
  const fill = c.hold('n2', 'cache-fill');
  const first = c.start(2, 'n2', 'read', null);
  while (!fill.caught()) await settle();
  expect((await c.op(3, 'n3', 'write', 2)).type).toBe('ok');
  // write-through's invalidation is sent without waiting: let it arrive.
  for (let i = 0; i < 5; i++) await settle();
  fill.release();
  const r1 = await first;
  const second = await c.op(2, 'n2', 'read', null);
  return { first: r1, second };
}

describe('cache mode: the read-miss-fill race', () => {
  it('write-through installs the overtaken fill: a stale entry, served, and found by the register checkers', async () => {
    cluster = new Cluster({ invalidation: 'write-through' });
    const { first, second } = await race(cluster);
    expect(first).toEqual({ type: 'ok', value: 1 });
    expect(second).toEqual({ type: 'ok', value: 1 });
    expect(cluster.counters('n2')).toMatchObject({ staleFills: 1, cacheHits: 1, cacheMisses: 1 });
    const v = await cluster.verdicts();
    expect(v.linearizable).toBe(false);
    expect(v.stale).toBe(1);
  });

  it('event-driven refuses the fill (a newer change to x was applied first) and serves the new value', async () => {
    cluster = new Cluster({ invalidation: 'event-driven' });
    const { first, second } = await race(cluster);
    expect(first).toEqual({ type: 'ok', value: 1 });
    expect(second).toEqual({ type: 'ok', value: 2 });
    expect(cluster.counters('n2')).toMatchObject({ rejectedFills: 1, staleFills: 0 });
    const v = await cluster.verdicts();
    expect(v.linearizable).toBe(true);
    expect(v.stale).toBe(0);
  });

  it('ttl serves the old value after a write elsewhere until the entry expires', async () => {
    cluster = new Cluster({ invalidation: 'ttl', cacheTtlMs: 60_000 });
    expect((await cluster.op(1, 'n1', 'write', 1)).type).toBe('ok');
    expect(await cluster.op(2, 'n2', 'read', null)).toEqual({ type: 'ok', value: 1 });
    expect((await cluster.op(3, 'n3', 'write', 2)).type).toBe('ok');
    expect(await cluster.op(2, 'n2', 'read', null)).toEqual({ type: 'ok', value: 1 });
    expect((await cluster.verdicts()).linearizable).toBe(false);
  });

  it('write-through drops other nodes’ entries once its message lands, and the writer’s own entry follows its write', async () => {
    cluster = new Cluster({ invalidation: 'write-through' });
    await cluster.op(1, 'n1', 'write', 1);
    expect(await cluster.op(2, 'n2', 'read', null)).toEqual({ type: 'ok', value: 1 });
    expect(await cluster.op(3, 'n3', 'read', null)).toEqual({ type: 'ok', value: 1 });
    await cluster.op(3, 'n3', 'write', 2);
    for (let i = 0; i < 5; i++) await settle();
    expect(await cluster.op(3, 'n3', 'read', null)).toEqual({ type: 'ok', value: 2 });
    expect(await cluster.op(2, 'n2', 'read', null)).toEqual({ type: 'ok', value: 2 });
    expect((await cluster.verdicts()).linearizable).toBe(true);
  });
});
