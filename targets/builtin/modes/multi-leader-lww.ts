// multi-leader-lww: every node runs every op against its own state (read-modify-write of the keys
// it touches), stamps the keys it changed with a hybrid-logical-clock timestamp, and ships their
// new values to every peer replicationDelayMs later. A replica keeps, per key, the value with the
// newest stamp. So replicas converge, and two nodes changing one key concurrently lose one change:
// set adds and counter adds made at different nodes within the delay overwrite each other.
//
// Shipping is per peer: the keys changed since the last message (coalesced: the latest value of
// each), one message in flight, retried until the peer takes it, so a peer that was down or cut
// off catches up. A node that starts ships everything it holds once (what it had not shipped
// before a crash is not lost).
import { preciseNow } from '../apply-queue.js';
import { compareStamps, HybridClock, isStamp, type Stamp } from '../hlc.js';
import type { Mode, NodeContext, OpRequest } from '../mode.js';
import { isReadOnly } from '../state-machine.js';
import { openStore } from '../store.js';
import { DEFAULT_REPLICATION_DELAY_MS, DEFAULT_REPLICATION_TIMEOUT_MS, numberOption } from './forward.js';

interface LwwMessage {
  type: 'lww';
  /** [store key, value, stamp]. */
  entries: [string, unknown, Stamp][];
}

interface Peer {
  name: string;
  /** Keys changed and not yet delivered, each with when it first waited (what its replication lag is measured from). */
  pending: Map<string, number>;
  inFlight: boolean;
  unreachable?: string;
}

const MAX_BATCH = 2000;
const RETRY_MS = 200;

export function multiLeaderLww(ctx: NodeContext): Mode {
  const store = openStore(ctx);
  const clock = new HybridClock(() => ctx.now(), ctx.nodes.indexOf(ctx.self));
  for (const [, , ver] of store.entries()) if (isStamp(ver)) clock.observe(ver);
  const delayMs = numberOption(ctx, 'replicationDelayMs', DEFAULT_REPLICATION_DELAY_MS);
  const timeoutMs = Math.max(250, numberOption(ctx, 'replicationTimeoutMs', DEFAULT_REPLICATION_TIMEOUT_MS));
  const peers: Peer[] = ctx.nodes.filter((n) => n !== ctx.self).map((name) => ({ name, pending: new Map(), inFlight: false }));
  let received = 0;
  /** Incoming values older than the one held: changes that other nodes made and this one drops. */
  let discarded = 0;

  const pump = async (p: Peer): Promise<void> => {
    while (!p.inFlight && p.pending.size > 0) {
      const keys: string[] = [];
      const since: number[] = [];
      for (const [k, t] of p.pending) {
        keys.push(k);
        since.push(t);
        if (keys.length === MAX_BATCH) break;
      }
      for (const k of keys) p.pending.delete(k);
      const entries = keys.map((k): [string, unknown, Stamp] => [k, store.get(k), store.version(k) as Stamp]);
      p.inFlight = true;
      try {
        await ctx.send(p.name, { type: 'lww', entries } satisfies LwwMessage, timeoutMs);
        if (p.unreachable !== undefined) ctx.log(`${p.name} reachable again`);
        p.unreachable = undefined;
      } catch (e) {
        // Back in the queue with the time each first waited (a newer change of the key waits since then too).
        keys.forEach((k, j) => p.pending.set(k, Math.min(since[j], p.pending.get(k) ?? Infinity)));
        const why = e instanceof Error ? e.message : String(e);
        if (p.unreachable === undefined) ctx.log(`shipping to ${p.name} failing: ${why}`);
        p.unreachable = why;
        return;
      } finally {
        p.inFlight = false;
      }
    }
  };

  const ship = (keys: Iterable<string>, since: number) => {
    const list = [...keys];
    for (const p of peers) {
      for (const k of list) if (!p.pending.has(k)) p.pending.set(k, since);
      void pump(p);
    }
  };

  const receive = (m: LwwMessage) => {
    const accepted: [string, unknown, Stamp][] = [];
    for (const e of m.entries) {
      const [k, , stamp] = e;
      if (!isStamp(stamp)) continue;
      clock.observe(stamp);
      const mine = store.version(k);
      if (isStamp(mine)) {
        const c = compareStamps(stamp, mine);
        if (c < 0) discarded++;
        if (c <= 0) continue;
      }
      accepted.push(e);
    }
    received += m.entries.length;
    store.write(accepted);
    return { accepted: accepted.length };
  };

  if (peers.length > 0) {
    ctx.every(RETRY_MS, () => {
      for (const p of peers) void pump(p);
    });
    if (store.size > 0) {
      const since = preciseNow();
      ctx.after(delayMs, () => ship(store.keys(), since));
    }
  }

  return {
    async handle(req: OpRequest) {
      if (isReadOnly(req)) return store.apply(req).reply;
      const stamp = clock.tick();
      const { reply, writes } = store.apply(req, { node: ctx.self, version: stamp });
      if (writes.length > 0 && peers.length > 0) {
        const keys = writes.map(([k]) => k);
        const since = preciseNow();
        ctx.after(delayMs, () => ship(keys, since));
      }
      return reply;
    },
    async peer(from, message) {
      const m = message as LwwMessage;
      if (m?.type !== 'lww' || !Array.isArray(m.entries)) throw new Error(`unknown peer message from ${from}`);
      return receive(m);
    },
    metrics() {
      const now = preciseNow();
      const lagMs: Record<string, number> = {};
      const queueDepth: Record<string, number> = {};
      for (const p of peers) {
        let oldest = Infinity;
        for (const t of p.pending.values()) if (t < oldest) oldest = t;
        lagMs[p.name] = oldest === Infinity ? 0 : Math.round((now - oldest) * 1000) / 1000;
        queueDepth[p.name] = p.pending.size;
      }
      // A value discarded because a newer stamp was held: two nodes changed the key concurrently.
      return { counters: { conflicts: discarded }, lagMs, queueDepth };
    },
    status() {
      return {
        role: 'leader',
        keys: store.size,
        received,
        discarded,
        pending: Object.fromEntries(peers.map((p) => [p.name, p.pending.size])),
        unreachable: peers.filter((p) => p.unreachable !== undefined).map((p) => p.name),
      };
    },
  };
}

export const create = multiLeaderLww;
