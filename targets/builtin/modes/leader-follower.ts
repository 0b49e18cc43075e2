// Leader-follower replication, shared by the sync and async modes. nodes[0] leads for good (no
// elections: a leader that is down makes writes unavailable, never diverge). The leader runs each
// op that changes something at a fresh log position, records it, and ships log entries to each
// follower in order, many per message, one message in flight per follower. A follower applies
// entries strictly in order and answers with the last position it holds; a follower too far
// behind (or restarted empty) gets a snapshot of the whole state instead.
//
// sync: an op answers ok only once every follower holds its entry; `replicationTimeoutMs`
//   without that answers info (the entry may still arrive). Reads are served at the leader.
// async: the leader answers at once and ships entries `replicationDelayMs` later; reads are
//   served by whichever node the client talks to, so followers return stale values.
//
// With `linkLatencyMs` or `applyTimeMs` a follower runs its entries through an apply queue
// (apply-queue.ts): it answers with what it received at once and applies each entry after the
// link's latency, one at a time; the leader sends on from what was received and counts as
// replicated only what was applied. Every node reports the replication lag it sees (GET /metrics).
import type { NodeMetrics } from '../../../metrics/types.js';
import { ApplyQueue, preciseNow, type QueuedEntry } from '../apply-queue.js';
import type { Mode, NodeContext, OpReply, OpRequest } from '../mode.js';
import { isReadOnly, storeKeys } from '../state-machine.js';
import { openStore, type DurableStore } from '../store.js';
import { DEFAULT_REPLICATION_DELAY_MS, DEFAULT_REPLICATION_TIMEOUT_MS, numberOption, sendOp } from './forward.js';

interface Entry {
  i: number;
  op: OpRequest;
  /** When the leader wrote it (preciseNow): what replication lag is measured from. */
  at: number;
}

/**
 * What a mode built on leader-follower (the cache mode) hears of the log: each change as a node
 * applies it (synchronously, before the change is acknowledged), and the leader's commit point.
 */
export interface LeaderFollowerHooks {
  /** This node applied the change at `index`, which wrote `writes` ([store key, new value]); `before` holds each key's value before. */
  applied?(writes: readonly [string, unknown][], index: number, before: ReadonlyMap<string, unknown>): void;
  /** This node replaced its whole state with a snapshot at `index`. */
  reset?(index: number): void;
  /** Leader: every follower now holds everything up to `index`. */
  committed?(index: number): void;
}

export interface LeaderFollower extends Mode {
  readonly isLeader: boolean;
  readonly leader: string;
  readonly store: DurableStore;
  /** Leader: the highest position every follower holds (the store's own position without followers). */
  committed(): number;
}

type LfMessage =
  | { type: 'forward'; req: OpRequest }
  | { type: 'append'; entries: Entry[] }
  | { type: 'snapshot'; index: number; state: [string, unknown][] };

interface Follower {
  name: string;
  /** The last position it is known to hold (applied); -1 until it has said. */
  match: number;
  /** The last position it has received (applied or waiting in its apply queue): where sending resumes. */
  next: number;
  inFlight: boolean;
  /** Set while it cannot be reached (to log the change once). */
  unreachable?: string;
}

interface Waiter {
  i: number;
  reply: OpReply;
  resolve: (r: OpReply) => void;
  timer: NodeJS.Timeout;
}

const MAX_BATCH = 2000;
const MAX_LOG = 200_000;
const RETRY_MS = 100;

export function leaderFollower(ctx: NodeContext, sync: boolean, hooks: LeaderFollowerHooks = {}): LeaderFollower {
  const store = openStore(ctx);
  const leader = ctx.nodes[0];
  const isLeader = ctx.self === leader;
  const replicationDelayMs = numberOption(ctx, 'replicationDelayMs', DEFAULT_REPLICATION_DELAY_MS);
  const replicationTimeoutMs = numberOption(ctx, 'replicationTimeoutMs', DEFAULT_REPLICATION_TIMEOUT_MS);
  const linkLatencyMs = numberOption(ctx, 'linkLatencyMs', 0);
  const applyTimeMs = numberOption(ctx, 'applyTimeMs', 0);

  // ---- leader state ----
  /** Entries after logStart, in order: log[j].i === logStart + 1 + j. */
  let log: Entry[] = [];
  let logStart = store.index;
  /** Entries up to here may be shipped (async holds them back replicationDelayMs). */
  let released = store.index;
  const followers: Follower[] = isLeader ? ctx.nodes.filter((n) => n !== leader).map((name) => ({ name, match: -1, next: -1, inFlight: false })) : [];
  const waiters: Waiter[] = [];
  let lastCommitted = -1;

  const committed = () => {
    let c = store.index;
    for (const f of followers) c = Math.min(c, f.match);
    return c;
  };

  const settleWaiters = () => {
    const c = committed();
    if (c > lastCommitted) {
      lastCommitted = c;
      hooks.committed?.(c);
    }
    let n = 0;
    while (n < waiters.length && waiters[n].i <= c) {
      clearTimeout(waiters[n].timer);
      waiters[n].resolve(waiters[n].reply);
      n++;
    }
    if (n > 0) waiters.splice(0, n);
  };

  const trimLog = () => {
    if (followers.length === 0) return;
    let keepFrom = Math.min(...followers.map((f) => f.match));
    if (log.length > MAX_LOG) keepFrom = Math.max(keepFrom, log[log.length - MAX_LOG].i - 1);
    if (keepFrom > logStart) {
      log = log.slice(keepFrom - logStart);
      logStart = keepFrom;
    }
  };

  const messageFor = (f: Follower, upTo: number): LfMessage => {
    if (f.match < 0) return { type: 'append', entries: [] };
    if (f.next < logStart) return { type: 'snapshot', index: store.index, state: [...store.entries()].map(([k, v]) => [k, v]) };
    return { type: 'append', entries: log.slice(f.next - logStart, Math.min(upTo, f.next + MAX_BATCH) - logStart) };
  };

  /** A follower with entries to send, or whose apply queue still holds some (asked again for its position). */
  const wants = (f: Follower, poll: boolean) => f.match < 0 || f.next < released || (poll && f.match < f.next);

  const pump = async (f: Follower, poll = false): Promise<void> => {
    while (!f.inFlight && wants(f, poll)) {
      poll = false;
      f.inFlight = true;
      const message = messageFor(f, released);
      try {
        const r = (await ctx.send(f.name, message, Math.max(250, replicationTimeoutMs))) as { applied?: unknown; received?: unknown } | undefined;
        if (typeof r?.applied !== 'number') throw new Error(`answered ${JSON.stringify(r)} instead of { applied }`);
        if (r.applied > store.index) ctx.log(`${f.name} holds position ${r.applied}, past the leader's ${store.index} (its data is not from this leader)`);
        f.match = r.applied;
        f.next = typeof r.received === 'number' ? r.received : r.applied;
        if (f.unreachable !== undefined) ctx.log(`${f.name} reachable again, at position ${f.match}`);
        f.unreachable = undefined;
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        if (f.unreachable === undefined) ctx.log(`replication to ${f.name} failing: ${why}`);
        f.unreachable = why;
        return;
      } finally {
        f.inFlight = false;
        settleWaiters();
        trimLog();
      }
    }
  };

  const pumpAll = (poll = false) => {
    for (const f of followers) void pump(f, poll);
  };

  const waitCommitted = (i: number, reply: OpReply): Promise<OpReply> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        const at = waiters.findIndex((w) => w.timer === timer);
        if (at >= 0) waiters.splice(at, 1);
        const lagging = followers.filter((f) => f.match < i).map((f) => (f.unreachable ? `${f.name} (${f.unreachable})` : f.name));
        resolve({ type: 'info', error: `replication: no ack from ${lagging.join(', ') || 'a follower'} within ${replicationTimeoutMs} ms` });
      }, replicationTimeoutMs);
      waiters.push({ i, reply, resolve, timer });
      settleWaiters();
    });

  const lead = (req: OpRequest): OpReply | Promise<OpReply> => {
    if (isReadOnly(req)) return store.apply(req).reply;
    const i = store.index + 1;
    const before = hooks.applied ? valuesOf(store, storeKeys(req)) : undefined;
    const { reply, writes } = store.apply(req, { index: i });
    if (writes.length === 0) return reply;
    hooks.applied?.(writes, i, before!);
    if (followers.length === 0) {
      settleWaiters();
      return reply;
    }
    log.push({ i, op: { f: req.f, key: req.key, value: req.value }, at: preciseNow() });
    if (sync) {
      released = i;
      pumpAll();
      return waitCommitted(i, reply);
    }
    ctx.after(replicationDelayMs, () => {
      released = Math.max(released, i);
      pumpAll();
    });
    return reply;
  };

  // ---- follower state ----
  const applyEntry = (e: { i: number; op: OpRequest }) => {
    const before = hooks.applied ? valuesOf(store, storeKeys(e.op)) : undefined;
    const { writes } = store.apply(e.op, { index: e.i });
    // An entry that wrote nothing here (it cannot, replaying the leader's state) still moves us on.
    if (store.index !== e.i) store.write([], e.i);
    if (writes.length > 0) hooks.applied?.(writes, e.i, before!);
  };
  const queue =
    !isLeader && (linkLatencyMs > 0 || applyTimeMs > 0)
      ? new ApplyQueue<OpRequest>({ linkLatencyMs, applyTimeMs, applied: store.index, apply: (e) => applyEntry({ i: e.i, op: e.item }), after: (ms, fn) => ctx.after(ms, fn) })
      : undefined;
  if (queue) ctx.log(`follower apply queue: link latency ${linkLatencyMs} ms, apply time ${applyTimeMs} ms per entry`);

  const follow = (m: LfMessage): { applied: number; received?: number } => {
    if (m.type === 'snapshot') {
      store.reset(m.state, m.index);
      queue?.reset(m.index);
      hooks.reset?.(m.index);
      ctx.log(`installed a snapshot of ${m.state.length} key(s) at position ${m.index}`);
    } else if (m.type === 'append') {
      if (queue) {
        queue.receive(m.entries.map((e): QueuedEntry<OpRequest> => ({ i: e.i, at: e.at, item: e.op })));
        return { applied: store.index, received: queue.received };
      }
      for (const e of m.entries) {
        if (e.i <= store.index) continue;
        if (e.i !== store.index + 1) break;
        applyEntry(e);
      }
    }
    return { applied: store.index, ...(queue ? { received: queue.received } : {}) };
  };

  if (isLeader && followers.length > 0) {
    ctx.every(RETRY_MS, () => pumpAll(true));
    ctx.after(0, pumpAll);
  }

  /** The leader's view of each follower: ms since the oldest entry it lacks was written, and how many it lacks. */
  const replication = (): Pick<NodeMetrics, 'lagMs' | 'queueDepth'> => {
    const lagMs: Record<string, number> = {};
    const queueDepth: Record<string, number> = {};
    const now = preciseNow();
    for (const f of followers) {
      if (f.match < 0) continue;
      queueDepth[f.name] = Math.max(0, store.index - f.match);
      if (f.match >= store.index) lagMs[f.name] = 0;
      else {
        const j = Math.max(0, f.match + 1 - logStart - 1);
        const e = log[Math.min(j, log.length - 1)];
        lagMs[f.name] = e === undefined ? 0 : Math.max(0, Math.round((now - e.at) * 1000) / 1000);
      }
    }
    return { lagMs, queueDepth };
  };

  return {
    isLeader,
    leader,
    store,
    committed,
    async handle(req) {
      if (isLeader) return lead(req);
      if (!sync && isReadOnly(req)) return store.apply(req).reply;
      return sendOp(ctx, leader, { type: 'forward', req } satisfies LfMessage, req);
    },
    async peer(from, message) {
      const m = message as LfMessage;
      if (m?.type === 'forward') {
        if (!isLeader) return { type: 'fail', error: `${ctx.self} is not the leader (${leader} is)` } satisfies OpReply;
        return lead(m.req);
      }
      if (m?.type === 'append' || m?.type === 'snapshot') {
        if (isLeader) throw new Error(`${from} sent log entries to the leader`);
        return follow(m);
      }
      throw new Error(`unknown peer message from ${from}: ${JSON.stringify(message)?.slice(0, 80)}`);
    },
    metrics() {
      if (isLeader) return replication();
      if (!queue) return {};
      const s = queue.drain();
      return { queueDepth: { self: queue.depth }, lagSamplesMs: s.lagMs, queueSamples: s.queueDepth, applySamplesMs: s.applyMs, transitSamplesMs: s.transitMs, waitSamplesMs: s.waitMs };
    },
    status() {
      if (!isLeader) return { role: 'follower', leader, position: store.index, keys: store.size, ...(queue ? { received: queue.received, queued: queue.depth } : {}) };
      return {
        role: 'leader',
        position: store.index,
        committed: committed(),
        keys: store.size,
        followers: Object.fromEntries(followers.map((f) => [f.name, { position: f.match, ...(f.unreachable ? { unreachable: f.unreachable } : {}) }])),
      };
    },
  };
}

/** The values `keys` hold in `store` now (undefined: absent). */
function valuesOf(store: DurableStore, keys: readonly string[]): Map<string, unknown> {
  return new Map(keys.map((k) => [k, store.get(k)]));
}
