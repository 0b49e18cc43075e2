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
import type { Mode, NodeContext, OpReply, OpRequest } from '../mode.js';
import { isReadOnly } from '../state-machine.js';
import { openStore } from '../store.js';
import { DEFAULT_REPLICATION_DELAY_MS, DEFAULT_REPLICATION_TIMEOUT_MS, numberOption, sendOp } from './forward.js';

interface Entry {
  i: number;
  op: OpRequest;
}

type LfMessage =
  | { type: 'forward'; req: OpRequest }
  | { type: 'append'; entries: Entry[] }
  | { type: 'snapshot'; index: number; state: [string, unknown][] };

interface Follower {
  name: string;
  /** The last position it is known to hold; -1 until it has said. */
  match: number;
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

export function leaderFollower(ctx: NodeContext, sync: boolean): Mode {
  const store = openStore(ctx);
  const leader = ctx.nodes[0];
  const isLeader = ctx.self === leader;
  const replicationDelayMs = numberOption(ctx, 'replicationDelayMs', DEFAULT_REPLICATION_DELAY_MS);
  const replicationTimeoutMs = numberOption(ctx, 'replicationTimeoutMs', DEFAULT_REPLICATION_TIMEOUT_MS);

  // ---- leader state ----
  /** Entries after logStart, in order: log[j].i === logStart + 1 + j. */
  let log: Entry[] = [];
  let logStart = store.index;
  /** Entries up to here may be shipped (async holds them back replicationDelayMs). */
  let released = store.index;
  const followers: Follower[] = isLeader ? ctx.nodes.filter((n) => n !== leader).map((name) => ({ name, match: -1, inFlight: false })) : [];
  const waiters: Waiter[] = [];

  const committed = () => {
    let c = store.index;
    for (const f of followers) c = Math.min(c, f.match);
    return c;
  };

  const settleWaiters = () => {
    const c = committed();
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
    if (f.match < logStart) return { type: 'snapshot', index: store.index, state: [...store.entries()].map(([k, v]) => [k, v]) };
    return { type: 'append', entries: log.slice(f.match - logStart, Math.min(upTo, f.match + MAX_BATCH) - logStart) };
  };

  const pump = async (f: Follower): Promise<void> => {
    while (!f.inFlight && (f.match < 0 || f.match < released)) {
      f.inFlight = true;
      const message = messageFor(f, released);
      try {
        const r = (await ctx.send(f.name, message, Math.max(250, replicationTimeoutMs))) as { applied?: unknown } | undefined;
        if (typeof r?.applied !== 'number') throw new Error(`answered ${JSON.stringify(r)} instead of { applied }`);
        if (r.applied > store.index) ctx.log(`${f.name} holds position ${r.applied}, past the leader's ${store.index} (its data is not from this leader)`);
        f.match = r.applied;
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

  const pumpAll = () => {
    for (const f of followers) void pump(f);
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
    const { reply, writes } = store.apply(req, { index: i });
    if (writes.length === 0) return reply;
    if (followers.length === 0) return reply;
    log.push({ i, op: { f: req.f, key: req.key, value: req.value } });
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
  const follow = (m: LfMessage): { applied: number } => {
    if (m.type === 'snapshot') {
      store.reset(m.state, m.index);
      ctx.log(`installed a snapshot of ${m.state.length} key(s) at position ${m.index}`);
    } else if (m.type === 'append') {
      for (const e of m.entries) {
        if (e.i <= store.index) continue;
        if (e.i !== store.index + 1) break;
        store.apply(e.op, { index: e.i });
        // An entry that wrote nothing here (it cannot, replaying the leader's state) still moves us on.
        if (store.index !== e.i) store.write([], e.i);
      }
    }
    return { applied: store.index };
  };

  if (isLeader && followers.length > 0) {
    ctx.every(RETRY_MS, pumpAll);
    ctx.after(0, pumpAll);
  }

  return {
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
    status() {
      if (!isLeader) return { role: 'follower', leader, position: store.index, keys: store.size };
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
