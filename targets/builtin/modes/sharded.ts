// sharded: consistent hashing (hash-ring.ts, `vnodes` points per node) gives every store key one
// owner, the only node that holds it (no replicas). A node runs an op whose keys one owner holds
// at that owner (itself, or forwarded), where it is atomic, so each key is linearizable.
//
// Ops over keys of several owners run one shard after another and are NOT atomic — the
// documented cross-shard anomaly: a txn's micro-ops are grouped per owner (each group atomic on
// its shard), a bank transfer withdraws on one shard and deposits on another (a read between
// sees the money nowhere), an init creates each shard's accounts separately. If a later part
// cannot be done after an earlier one was, the op is info. Reads of every key (scan, bank read)
// fan out to every shard and merge what they answer; a `range` read gathers each shard's keys in
// the range, each shard's part atomic on its own, and answers with the parts (not one snapshot:
// nothing makes them atomic together). (A split txn's reads resolve on each shard by the node's
// `workload` option; set it, or a shard's part without `w`s reads lists.)
//
// With the `adaptive` option, a shard that runs more than `hotShardRatio` times the mean shard's
// ops, one key taking `hotKeyShare` of them, spreads that key over sub-shards (hot-keys.ts): sets
// and counters only. Every node counts the ops its shard ran (GET /metrics), so the run's shard
// balance can be measured.
import type { MetricEvent, NodeMetrics } from '../../../metrics/types.js';
import { HashRing, DEFAULT_VNODES } from '../hash-ring.js';
import { HotKeyDetector, HotKeyTable, isSpreadable } from '../hot-keys.js';
import type { Mode, NodeContext, OpReply, OpRequest } from '../mode.js';
import { compareElements, isReadOnly, isWildcard, keyKind, microOpKeys, storeKey, storeKeys, userKey } from '../state-machine.js';
import { dataDirOf, openStore } from '../store.js';
import { numberOption, replyForError, sendOp } from './forward.js';

type ShardMessage =
  | { type: 'apply'; req: OpRequest }
  /** A node's shard ops in its last window (adaptive). */
  | { type: 'load'; ops: number }
  /** A phase of spreading a hot key (adaptive). */
  | { type: 'hot'; phase: 'gather' | 'spread'; key: string };

const WINDOW_MS = 1000;
const DEFAULT_HOT_KEY_SHARE = 0.3;
const DEFAULT_HOT_SHARD_RATIO = 1.5;
/** A window with fewer ops than this says nothing about balance. */
const MIN_WINDOW_OPS = 20;
const MAX_EVENTS = 1000;

export function sharded(ctx: NodeContext): Mode {
  const store = openStore(ctx);
  const ring = new HashRing(ctx.nodes, Math.max(1, Math.round(numberOption(ctx, 'vnodes', DEFAULT_VNODES))));
  let forwarded = 0;
  /** Ops this node's shard ran (its own keys, parts of fanned-out reads, its sub-shards' adds). */
  let shardRequests = 0;
  let events: MetricEvent[] = [];
  const adaptive = ctx.options.adaptive === true;
  const table = new HotKeyTable(adaptive ? dataDirOf(ctx) : undefined);
  const hotKeyShare = numberOption(ctx, 'hotKeyShare', DEFAULT_HOT_KEY_SHARE);
  const hotShardRatio = numberOption(ctx, 'hotShardRatio', DEFAULT_HOT_SHARD_RATIO);
  const detector = new HotKeyDetector({ share: hotKeyShare, ratio: hotShardRatio, minOps: MIN_WINDOW_OPS });
  const spreading = new Set<string>();

  /** Runs `req` on this node's shard. */
  const local = (req: OpRequest): OpReply => {
    shardRequests++;
    if (adaptive) for (const k of storeKeys(req)) detector.count(k);
    return store.apply(req).reply;
  };

  /** Runs `req` on `owner`'s shard, as one atomic op there. */
  const at = (owner: string, req: OpRequest): Promise<OpReply> | OpReply => {
    if (owner === ctx.self) return local(req);
    forwarded++;
    return sendOp(ctx, owner, { type: 'apply', req } satisfies ShardMessage, req);
  };

  /** Runs parts one after another; the first part's failure is the op's, a later one's leaves it unknown. */
  const inSequence = async (req: OpRequest, parts: [string, OpRequest][]): Promise<OpReply[] | OpReply> => {
    const replies: OpReply[] = [];
    for (const [owner, part] of parts) {
      const r = await at(owner, part);
      if (r.type !== 'ok') {
        if (replies.length === 0) return r;
        return { type: 'info', error: `cross-shard ${req.f} stopped after ${replies.length} of ${parts.length} shard(s): ${owner}: ${String(r.error)}` };
      }
      replies.push(r);
    }
    return replies;
  };

  /** Runs `req` on every shard; the first shard that did not answer ok fails it (every part only reads). */
  const everyShard = async (req: OpRequest): Promise<OpReply[] | OpReply> => {
    const replies = await Promise.all(
      ctx.nodes.map(async (n): Promise<[string, OpReply]> => {
        try {
          return [n, await at(n, req)];
        } catch (e) {
          return [n, replyForError(req, n, e)];
        }
      }),
    );
    for (const [n, r] of replies) if (r.type !== 'ok') return { type: 'fail', error: `shard ${n}: ${String(r.error)}` };
    return replies.map(([, r]) => r);
  };

  const fanOut = async (req: OpRequest): Promise<OpReply> => {
    const replies = await everyShard(req);
    if (!Array.isArray(replies)) return replies;
    // A range answers with each shard's part, as it read it: atomic within, not across.
    if (req.f === 'range') return { type: 'ok', value: replies.flatMap((r) => r.value as unknown[]) };
    const merged: Record<string, unknown> = {};
    for (const r of replies) Object.assign(merged, r.value as Record<string, unknown>);
    return { type: 'ok', value: Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]])) };
  };

  /** A read of a spread key: every node's part, merged by the key's kind (sets unite, counters add up). */
  const gatherRead = async (req: OpRequest, key: string): Promise<OpReply> => {
    const replies = await everyShard(req);
    if (!Array.isArray(replies)) return replies;
    if (keyKind(key) === 'counter') return { type: 'ok', value: replies.reduce((sum, r) => sum + (typeof r.value === 'number' ? r.value : 0), 0) };
    const all = replies.flatMap((r) => (Array.isArray(r.value) ? r.value : []));
    all.sort(compareElements);
    return { type: 'ok', value: all.filter((e, i) => i === 0 || compareElements(all[i - 1], e) !== 0) };
  };

  const txn = async (req: OpRequest): Promise<OpReply> => {
    const micro = req.value as unknown[];
    const keys = microOpKeys(req);
    const groups = new Map<string, number[]>();
    keys.forEach((k, j) => {
      const o = ring.owner(k);
      const g = groups.get(o);
      if (g) g.push(j);
      else groups.set(o, [j]);
    });
    const owners = [...groups.keys()];
    const out = await inSequence(
      req,
      owners.map((o) => [o, { f: 'txn', value: groups.get(o)!.map((j) => micro[j]) }]),
    );
    if (!Array.isArray(out)) return out;
    const value: unknown[] = new Array(micro.length);
    owners.forEach((o, g) => {
      const done = out[g].value as unknown[];
      groups.get(o)!.forEach((j, n) => (value[j] = done[n]));
    });
    return { type: 'ok', value };
  };

  const transfer = async (req: OpRequest): Promise<OpReply> => {
    const v = req.value as { from: unknown; to: unknown; amount: number };
    const out = await inSequence(req, [
      [ring.owner(storeKey('account', v.from)), { f: 'transfer', value: { from: v.from, amount: v.amount } }],
      [ring.owner(storeKey('account', v.to)), { f: 'transfer', value: { to: v.to, amount: v.amount } }],
    ]);
    return Array.isArray(out) ? { type: 'ok', value: req.value } : out;
  };

  const init = async (req: OpRequest): Promise<OpReply> => {
    const v = req.value as { accounts: unknown[]; balance: number };
    const byOwner = new Map<string, unknown[]>();
    for (const id of v.accounts) {
      const o = ring.owner(storeKey('account', id));
      byOwner.set(o, [...(byOwner.get(o) ?? []), id]);
    }
    const out = await inSequence(
      req,
      [...byOwner].map(([o, accounts]) => [o, { f: 'init', value: { ...v, accounts } }]),
    );
    return Array.isArray(out) ? { type: 'ok', value: req.value } : out;
  };

  const route = async (req: OpRequest): Promise<OpReply> => {
    const keys = storeKeys(req);
    if (keys.some(isWildcard)) return fanOut(req);
    // No keys: an op the state machine will refuse; let it say why.
    if (keys.length === 0) return store.apply(req).reply;
    if (keys.length === 1 && table.gather.has(keys[0])) {
      if (req.f === 'read') return gatherRead(req, keys[0]);
      // This node's sub-shard takes the add.
      if (table.spread.has(keys[0]) && !isReadOnly(req)) return local(req);
    }
    const owners = new Set(keys.map((k) => ring.owner(k)));
    if (owners.size === 1) return at([...owners][0], req);
    if (req.f === 'txn') return txn(req);
    if (req.f === 'transfer') return transfer(req);
    if (req.f === 'init') return init(req);
    return at([...owners][0], req);
  };

  /** Spreads a hot key this node owns: every node gathers its reads first, then adds go to sub-shards. */
  const spread = async (key: string, why: string): Promise<void> => {
    if (spreading.has(key) || table.spread.has(key)) return;
    spreading.add(key);
    try {
      table.set('gather', key);
      const peers = ctx.nodes.filter((n) => n !== ctx.self);
      const asked = await Promise.allSettled(peers.map((p) => ctx.send(p, { type: 'hot', phase: 'gather', key } satisfies ShardMessage, 1000)));
      const missing = peers.filter((_, j) => asked[j].status === 'rejected');
      if (missing.length > 0) {
        ctx.log(`hot key ${key} stays on ${ctx.self}: ${missing.join(', ')} did not confirm gathering its reads`);
        return;
      }
      table.set('spread', key);
      await Promise.allSettled(peers.map((p) => ctx.send(p, { type: 'hot', phase: 'spread', key } satisfies ShardMessage, 1000)));
      const text = `hot key ${JSON.stringify(userKey(key))} spread over ${ctx.nodes.length} sub-shards (${why})`;
      ctx.log(text);
      if (events.length < MAX_EVENTS) events.push({ atMs: Date.now(), kind: 'hot-key', text, node: ctx.self });
    } finally {
      spreading.delete(key);
    }
  };

  if (adaptive && ctx.nodes.length > 1) {
    ctx.log(`adaptive: a shard over ${hotShardRatio}× the mean with one key over ${Math.round(hotKeyShare * 100)}% of its ops spreads that key`);
    ctx.every(WINDOW_MS, () => {
      const { ops, hot } = detector.roll(table.spread);
      for (const p of ctx.nodes) if (p !== ctx.self) ctx.send(p, { type: 'load', ops } satisfies ShardMessage, 500).catch(() => {});
      if (hot && ring.owner(hot.key) === ctx.self) {
        void spread(hot.key, `${Math.round(hot.share * 100)}% of ${ctx.self}'s ${ops} ops in ${WINDOW_MS / 1000} s, ${hot.ratio.toFixed(2)}× the mean shard`);
      }
    });
  }

  return {
    handle: route,
    async peer(from, message) {
      const m = message as ShardMessage;
      if (m?.type === 'apply' && typeof m.req?.f === 'string') return local(m.req);
      if (m?.type === 'load' && typeof m.ops === 'number') {
        detector.peerLoads.set(from, m.ops);
        return { ok: true };
      }
      if (m?.type === 'hot' && (m.phase === 'gather' || m.phase === 'spread') && typeof m.key === 'string' && isSpreadable(m.key)) {
        table.set(m.phase, m.key);
        return { ok: true };
      }
      throw new Error(`unknown peer message from ${from}`);
    },
    metrics(): NodeMetrics {
      const out: NodeMetrics = { counters: { shardRequests }, ...(events.length > 0 ? { events } : {}) };
      events = [];
      return out;
    },
    status() {
      return { role: 'shard', keys: store.size, forwarded, shardRequests, vnodes: ring.vnodes, ...(adaptive ? { spread: [...table.spread] } : {}) };
    },
  };
}

export const create = sharded;
