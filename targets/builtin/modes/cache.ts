// cache: a cache on every node in front of a replicated store (leader-follower-sync underneath:
// nodes[0] orders every change and acknowledges it once every follower holds it). A `read` of one
// key is answered from the node's cache; a miss reads the store at the leader and fills the cache
// with what it read (after `fillDelayMs`, the time an application takes between reading the
// database and setting the cache). Every other op goes to the store as in leader-follower-sync.
// How a cache learns that a key changed is the `invalidation` option (node-cache.ts):
//
// write-through (default): the node that wrote updates its own entry, then tells the other nodes
//   to drop the key, without waiting for them. A read elsewhere between the write's ok and the
//   message's arrival returns the old value; and a fill that read the old value before the write,
//   and lands after the message, leaves a stale entry until the key is written again (the race
//   between a read-miss fill and a write). A lost message (a partition) leaves one for good.
// ttl: no messages; an entry lives `cacheTtlMs` (default 1000), so other nodes' reads are stale
//   for up to that long after a write.
// event-driven: caches follow the replication stream. A node drops a key as it applies a change
//   to it, before it acknowledges the change, so by the time a write is acknowledged no cache
//   holds an older value. The leader answers a fill with the key's latest *committed* value (every
//   follower holds it) and the position it was written at, and a node installs a fill only when
//   it has applied no newer change to the key; so no fill can bring back a value a change already
//   replaced. Reads are then linearizable, as in leader-follower-sync.
//
// Every node counts its hits and misses (the hit rate; GET /metrics) and the fills that landed
// after an invalidation overtook them (write-through, ttl: the stale entries left) or that it
// refused (event-driven).
import type { NodeMetrics } from '../../../metrics/types.js';
import { MemoryKv } from '../kv.js';
import type { Mode, ModeFactory, NodeContext, OpReply, OpRequest } from '../mode.js';
import { INVALIDATIONS, NodeCache, type Invalidation } from '../node-cache.js';
import { applyOp, isReadOnly, isWildcard, storeKeys } from '../state-machine.js';
import { forwardTimeoutMs, numberOption } from './forward.js';
import { leaderFollower, type LeaderFollower, type LeaderFollowerHooks } from './leader-follower.js';

type CacheMessage =
  /** A miss at a follower: the leader answers with the key's raw value and the position it was read at. */
  | { type: 'cache-fill'; req: OpRequest }
  /** write-through: drop these keys. */
  | { type: 'cache-invalidate'; keys: string[] };

interface FillAnswer {
  value?: unknown;
  version?: number;
  error?: string;
}

export const DEFAULT_CACHE_TTL_MS = 1000;

function invalidationOption(ctx: NodeContext): Invalidation {
  const v = ctx.options.invalidation ?? 'write-through';
  if (typeof v !== 'string' || !(INVALIDATIONS as readonly string[]).includes(v)) {
    throw new Error(`option invalidation must be one of ${INVALIDATIONS.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as Invalidation;
}

/** The reply a `read` of `key` gets from a raw store value (undefined: absent). */
function readReply(req: OpRequest, key: string, raw: unknown): OpReply {
  const kv = new MemoryKv();
  if (raw !== undefined) kv.set(key, raw);
  return applyOp(kv, req);
}

/** A key's raw value after `req` ran on `old`, as a write-through cache computes it. */
function afterWrite(req: OpRequest, key: string, old: unknown): unknown {
  if (req.f === 'write') return req.value;
  if (req.f === 'cas' && Array.isArray(req.value)) return req.value[1];
  const kv = new MemoryKv();
  if (old !== undefined) kv.set(key, old);
  applyOp(kv, req);
  return kv.get(key);
}

export const create: ModeFactory = (ctx) => {
  const strategy = invalidationOption(ctx);
  const ttlMs = numberOption(ctx, 'cacheTtlMs', DEFAULT_CACHE_TTL_MS);
  const fillDelayMs = numberOption(ctx, 'fillDelayMs', 0);
  const isLeader = ctx.self === ctx.nodes[0];
  const eventDriven = strategy === 'event-driven';

  // Leader, event-driven: per key the position of its last change, its last committed value, and
  // the changes applied but not yet held by every follower.
  const lastWrite = new Map<string, number>();
  const committedView = new Map<string, { value: unknown; version: number }>();
  const uncommitted: { i: number; writes: readonly [string, unknown][] }[] = [];
  let startIndex = 0;
  let cache: NodeCache | undefined;

  const hooks: LeaderFollowerHooks = eventDriven
    ? {
        applied(writes, i, before) {
          for (const [k] of writes) cache?.invalidate(k, i);
          if (!isLeader) return;
          for (const [k] of writes) {
            // The value before this change is the committed one, until the change is.
            if (!committedView.has(k)) committedView.set(k, { value: before.get(k), version: lastWrite.get(k) ?? startIndex });
            lastWrite.set(k, i);
          }
          uncommitted.push({ i, writes });
        },
        reset(i) {
          cache?.clear(i);
        },
        committed(c) {
          let n = 0;
          while (n < uncommitted.length && uncommitted[n].i <= c) {
            for (const [k, v] of uncommitted[n].writes) committedView.set(k, { value: v, version: uncommitted[n].i });
            n++;
          }
          if (n > 0) uncommitted.splice(0, n);
        },
      }
    : {};
  const lf: LeaderFollower = leaderFollower(ctx, true, hooks);
  startIndex = lf.store.index;
  cache = new NodeCache(strategy, ttlMs, lf.store.index);
  const nodeCache = cache;
  ctx.log(`cache: invalidation ${strategy}${strategy === 'ttl' ? ` (ttl ${ttlMs} ms)` : ''}${fillDelayMs > 0 ? `, fills land ${fillDelayMs} ms after the store read` : ''}`);

  /** The leader's answer to a fill: the key's raw value, and the position it holds it at. */
  const fillAnswer = (key: string): FillAnswer => {
    if (!eventDriven) return { value: lf.store.get(key), version: lastWrite.get(key) ?? 0 };
    const view = committedView.get(key);
    if (view !== undefined) return view;
    // Not changed since this leader started: what it holds is committed once every follower holds its start.
    if (lf.committed() >= startIndex) return { value: lf.store.get(key), version: startIndex };
    return { error: `${ctx.self} does not yet know that every follower holds its state (it just started)` };
  };

  const fill = async (req: OpRequest): Promise<FillAnswer> => {
    if (isLeader) return fillAnswer(storeKeys(req)[0]);
    try {
      const r = (await ctx.send(lf.leader, { type: 'cache-fill', req } satisfies CacheMessage, forwardTimeoutMs(ctx))) as FillAnswer;
      return r !== null && typeof r === 'object' ? r : { error: 'the leader answered something that is not a fill' };
    } catch (e) {
      return { error: `${lf.leader}: ${e instanceof Error ? e.message : String(e)}` };
    }
  };

  const delay = (ms: number) => new Promise<void>((resolve) => ctx.after(ms, resolve));

  const cachedRead = async (req: OpRequest, key: string): Promise<OpReply> => {
    const hit = nodeCache.lookup(key, Date.now());
    if (hit !== undefined) return readReply(req, key, hit.value);
    const ticket = nodeCache.beginFill(key);
    const got = await fill(req);
    if (got.error !== undefined) return { type: 'fail', error: got.error };
    if (fillDelayMs > 0) await delay(fillDelayMs);
    nodeCache.finishFill(ticket, got.value, got.version ?? 0, Date.now());
    return readReply(req, key, got.value);
  };

  const write = async (req: OpRequest): Promise<OpReply> => {
    const reply = await lf.handle(req);
    if (eventDriven || reply.type !== 'ok' || isReadOnly(req)) return reply;
    const keys = storeKeys(req).filter((k) => !isWildcard(k));
    const now = Date.now();
    for (const k of keys) nodeCache.writeThrough(k, (old) => afterWrite(req, k, old), now);
    if (strategy === 'write-through' && keys.length > 0) {
      // Told, not waited for: the write is already acknowledged.
      for (const peer of ctx.nodes) if (peer !== ctx.self) ctx.send(peer, { type: 'cache-invalidate', keys } satisfies CacheMessage).catch(() => {});
    }
    return reply;
  };

  const mode: Mode = {
    async handle(req) {
      const keys = storeKeys(req);
      if (req.f === 'read' && keys.length === 1 && !isWildcard(keys[0])) return cachedRead(req, keys[0]);
      return write(req);
    },
    async peer(from, message) {
      const m = message as CacheMessage | null;
      if (m?.type === 'cache-fill') {
        if (!isLeader) return { error: `${ctx.self} is not the leader (${lf.leader} is)` } satisfies FillAnswer;
        return fillAnswer(storeKeys(m.req)[0]);
      }
      if (m?.type === 'cache-invalidate' && Array.isArray(m.keys)) {
        for (const k of m.keys) if (typeof k === 'string') nodeCache.invalidate(k);
        return { ok: true };
      }
      return lf.peer(from, message);
    },
    metrics(): NodeMetrics {
      const inner = lf.metrics?.() ?? {};
      return {
        ...inner,
        counters: { ...inner.counters, cacheHits: nodeCache.hits, cacheMisses: nodeCache.misses, staleFills: nodeCache.staleFills, rejectedFills: nodeCache.rejectedFills },
      };
    },
    status() {
      return {
        ...(lf.status?.() ?? {}),
        cache: { invalidation: strategy, entries: nodeCache.size, hits: nodeCache.hits, misses: nodeCache.misses, staleFills: nodeCache.staleFills, rejectedFills: nodeCache.rejectedFills },
      };
    },
  };
  return mode;
};
