// sharded: consistent hashing (hash-ring.ts, `vnodes` points per node) gives every store key one
// owner, the only node that holds it (no replicas). A node runs an op whose keys one owner holds
// at that owner (itself, or forwarded), where it is atomic, so each key is linearizable.
//
// Ops over keys of several owners run one shard after another and are NOT atomic — the
// documented cross-shard anomaly: a txn's micro-ops are grouped per owner (each group atomic on
// its shard), a bank transfer withdraws on one shard and deposits on another (a read between
// sees the money nowhere), an init creates each shard's accounts separately. If a later part
// cannot be done after an earlier one was, the op is info. Reads of every key (scan, bank read)
// fan out to every shard and merge what they answer. (A split txn's reads resolve on each shard
// by the node's `workload` option; set it, or a shard's part without `w`s reads lists.)
import { HashRing, DEFAULT_VNODES } from '../hash-ring.js';
import type { Mode, NodeContext, OpReply, OpRequest } from '../mode.js';
import { isWildcard, microOpKeys, storeKey, storeKeys } from '../state-machine.js';
import { openStore } from '../store.js';
import { numberOption, replyForError, sendOp } from './forward.js';

interface ShardMessage {
  type: 'apply';
  req: OpRequest;
}

export function sharded(ctx: NodeContext): Mode {
  const store = openStore(ctx);
  const ring = new HashRing(ctx.nodes, Math.max(1, Math.round(numberOption(ctx, 'vnodes', DEFAULT_VNODES))));
  let forwarded = 0;

  /** Runs `req` on `owner`'s shard, as one atomic op there. */
  const at = (owner: string, req: OpRequest): Promise<OpReply> | OpReply => {
    if (owner === ctx.self) return store.apply(req).reply;
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

  const fanOut = async (req: OpRequest): Promise<OpReply> => {
    const replies = await Promise.all(
      ctx.nodes.map(async (n): Promise<[string, OpReply]> => {
        try {
          return [n, await at(n, req)];
        } catch (e) {
          return [n, replyForError(req, n, e)];
        }
      }),
    );
    const merged: Record<string, unknown> = {};
    for (const [n, r] of replies) {
      if (r.type !== 'ok') return { type: 'fail', error: `shard ${n}: ${String(r.error)}` };
      Object.assign(merged, r.value as Record<string, unknown>);
    }
    return { type: 'ok', value: Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]])) };
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
    const owners = new Set(keys.map((k) => ring.owner(k)));
    if (owners.size === 1) return at([...owners][0], req);
    if (req.f === 'txn') return txn(req);
    if (req.f === 'transfer') return transfer(req);
    if (req.f === 'init') return init(req);
    return at([...owners][0], req);
  };

  return {
    handle: route,
    async peer(from, message) {
      const m = message as ShardMessage;
      if (m?.type !== 'apply' || typeof m.req?.f !== 'string') throw new Error(`unknown peer message from ${from}`);
      return store.apply(m.req).reply;
    },
    status() {
      return { role: 'shard', keys: store.size, forwarded, vnodes: ring.vnodes };
    },
  };
}

export const create = sharded;
