// The multi-leader-vv replication mode: every node takes every op, and keeps concurrent writes
// as siblings tagged with dotted version vectors (version-vector.ts) instead of picking a winner.
//
// An op runs through the state machine against this node's view, in which each key shows its
// siblings merged by the key's kind (sibling-values.ts: sets unite, counters and balances add up
// per-actor contributions, lists unite in order, registers show the highest dot). Every key the op
// changed gets a new sibling with a fresh dot, whose context is everything this node had for the
// key, so it replaces the node's current siblings and nothing else. After
// options.replicationDelayMs (default 100) the changed keys' sibling sets are pushed to every peer,
// which joins them with its own: siblings its context has not seen are kept beside its own, so
// concurrent writes at different nodes all survive. Pushes are best effort; Merkle-tree
// anti-entropy (anti-entropy.ts, every options.antiEntropyMs, default 500) repairs whatever a
// partition or a crash dropped. Hence no lost updates on sets, counters and lists, and replicas
// converge once faults heal.
//
// Writes never wait for peers. Reads, like Riak's, first ask every peer for its sibling sets of the
// keys they read (waiting at most options.peerReadTimeoutMs, default 500) and join what comes back
// (read repair), so without faults a read sees every write acknowledged anywhere before it began;
// a peer that does not answer in time is left out, so under a partition reads can be stale.
// options.readFromPeers: false makes reads purely local (stale until replication catches up).
// With a data dir every acknowledged op and every sibling set learnt from a peer is logged first
// (join-log.ts), so a killed node comes back with its state and its actor name.
import type { NodeMetrics } from '../../../metrics/types.js';
import { AntiEntropy, type JoinableReplica } from '../anti-entropy.js';
import { JoinLog, type LogContents } from '../join-log.js';
import { JoinableStore } from '../joinable-store.js';
import { StagedKv, type KvSource } from '../kv.js';
import type { Mode, ModeFactory, NodeContext, OpReply, OpRequest } from '../mode.js';
import { incarnationName, optionMs } from '../mode-support.js';
import { decodeSibling, encodeSibling, resolve, siblingFor } from '../sibling-values.js';
import { applyOp, isReadOnly, isWildcard, keyKind, storeKeys } from '../state-machine.js';
import { dataDirOf } from '../store.js';
import { actorId } from '../vector-clock.js';
import { emptySet, fromJson, merge, toJson, write, type SiblingSet } from '../version-vector.js';

const DEFAULT_REPLICATION_DELAY_MS = 100;
const DEFAULT_ANTI_ENTROPY_MS = 500;
const DEFAULT_PEER_READ_TIMEOUT_MS = 500;
/** Keys with siblings listed by GET /metrics (the count is always whole). */
const MAX_SIBLING_KEYS = 10_000;

interface ReadMessage {
  type: 'vv-read';
  keys: string[];
}

type Siblings = SiblingSet<unknown>;

class MultiLeaderVv implements Mode {
  private readonly actorName: string;
  private readonly actor: number;
  private readonly store: JoinableStore<Siblings>;
  private readonly log: JoinLog;
  /** Each key's resolved value, dropped whenever the key's siblings change. */
  private readonly resolved = new Map<string, unknown>();
  private readonly antiEntropy: AntiEntropy;
  private readonly delayMs: number;
  private readonly antiEntropyMs: number;
  private readonly readFromPeers: boolean;
  private readonly peerReadTimeoutMs: number;
  private readonly peers: string[];
  /** Keys whose replication delay has passed, shipped together on the next microtask. */
  private outgoing = new Set<string>();
  private readonly pushStats = { pushes: 0, failed: 0 };
  private readonly readStats = { asked: 0, unanswered: 0 };
  /** Joins that left a key with more concurrent siblings than it had: conflicts kept, not resolved. */
  private conflicts = 0;

  constructor(private readonly ctx: NodeContext) {
    this.delayMs = optionMs(ctx, 'replicationDelayMs', DEFAULT_REPLICATION_DELAY_MS);
    this.antiEntropyMs = optionMs(ctx, 'antiEntropyMs', DEFAULT_ANTI_ENTROPY_MS);
    this.peerReadTimeoutMs = optionMs(ctx, 'peerReadTimeoutMs', DEFAULT_PEER_READ_TIMEOUT_MS);
    const rfp = ctx.options.readFromPeers;
    if (rfp !== undefined && typeof rfp !== 'boolean') throw new Error(`option readFromPeers must be true or false, got ${JSON.stringify(rfp)}`);
    this.readFromPeers = rfp ?? true;
    this.peers = ctx.nodes.filter((n) => n !== ctx.self);
    const { log, contents } = JoinLog.open(dataDirOf(ctx), 'multi-leader-vv.jsonl');
    this.log = log;
    this.actorName = contents.actor ?? incarnationName(ctx);
    this.actor = actorId(this.actorName);
    this.store = new JoinableStore<Siblings>({
      encode: (key, s) => toJson(s, (v) => encodeSibling(keyKind(key), v)),
      decode: (key, json, where) => {
        const kind = keyKind(key);
        return fromJson(json, where, (v, at) => decodeSibling(kind, v, at));
      },
      join: merge,
    });
    const store = this.store;
    const replica: JoinableReplica = {
      version: () => store.version(),
      encodedStates: () => store.encodedStates(),
      encodedState: (k) => store.encodedState(k),
      joinEncoded: (k, s) => this.join(k, s),
    };
    this.recover(contents);
    this.antiEntropy = new AntiEntropy(ctx, replica);
    this.antiEntropy.start(this.antiEntropyMs);
    ctx.log(
      `multi-leader-vv: actor ${this.actorName}, replication delay ${this.delayMs} ms, anti-entropy every ${this.antiEntropyMs} ms, reads ${
        this.readFromPeers ? `join peers' states (waiting up to ${this.peerReadTimeoutMs} ms)` : 'local'
      }, ${log.durable ? 'durable' : 'memory only'}`,
    );
  }

  /** Replays the data dir's log (nothing for a new or memory-only node) and compacts it. */
  private recover(contents: LogContents): void {
    try {
      for (const [k, s] of contents.states) this.join(k, s, false);
      for (const r of contents.records) {
        if ('u' in r) this.apply(r.u as OpRequest);
        else this.join(r.j[0], r.j[1], false);
      }
    } catch (e) {
      throw new Error(`multi-leader-vv: cannot recover the node's state from its data dir: ${(e as Error).message}`);
    }
    if (contents.skipped > 0) this.ctx.log(`multi-leader-vv: skipped ${contents.skipped} unreadable log line(s) (a write torn by a crash)`);
    if (contents.actor !== undefined) this.ctx.log(`multi-leader-vv: recovered ${this.store.size} key(s)`);
    this.log.snapshot(this.actorName, this.store.encodedStates());
  }

  /** Joins a peer's sibling set of `key` into ours (logged when it changed ours). */
  private join(key: string, state: unknown, record = true): void {
    const before = this.store.get(key)?.siblings.length ?? 0;
    if (!this.store.joinEncoded(key, state)) return;
    const after = this.store.get(key)?.siblings.length ?? 0;
    if (record && after > 1 && after > before) this.conflicts++;
    this.resolved.delete(key);
    if (record) this.log.joined(key, state);
  }

  private valueOf(key: string): unknown {
    if (this.resolved.has(key)) return this.resolved.get(key);
    const set = this.store.get(key);
    const v = set === undefined ? undefined : resolve(keyKind(key), set);
    this.resolved.set(key, v);
    return v;
  }

  /** The state machine's view of this node: one resolved value per key. */
  private readonly source: KvSource = {
    get: (k) => this.valueOf(k),
    keys: () => this.store.keys(),
  };

  async handle(req: OpRequest): Promise<OpReply> {
    if (this.readFromPeers && isReadOnly(req)) await this.readRepair(storeKeys(req));
    const { reply, keys } = this.apply(req);
    if (keys.length === 0) return reply;
    // Durable before acknowledged.
    this.log.update(req.key === undefined ? { f: req.f, value: req.value } : { f: req.f, key: req.key, value: req.value });
    this.ctx.after(this.delayMs, () => this.ship(keys));
    return reply;
  }

  /** Runs an op through the state machine and stores a new sibling for every key it changed. */
  private apply(req: OpRequest): { reply: OpReply; keys: string[] } {
    // Unique ids are scoped by the view's node: the actor, unique to this node (and, without a data dir, to this run).
    const staged = new StagedKv(this.source, this.actorName);
    const reply = applyOp(staged, req);
    if (reply.type !== 'ok' || staged.writes.size === 0) return { reply, keys: [] };
    const keys: string[] = [];
    for (const [k, after] of staged.writes) {
      const kind = keyKind(k);
      const set = this.store.get(k) ?? emptySet<unknown>();
      const sibling = siblingFor(kind, set, this.actor, this.valueOf(k), after);
      this.store.set(k, write(set, this.actor, set.context, sibling).set);
      this.resolved.delete(k);
      keys.push(k);
    }
    return { reply, keys };
  }

  private ship(keys: readonly string[]): void {
    const first = this.outgoing.size === 0;
    for (const k of keys) this.outgoing.add(k);
    // Writes whose delay ends together go out in one message per peer.
    if (first) queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const keys = [...this.outgoing];
    this.outgoing = new Set();
    await Promise.all(
      this.ctx.nodes
        .filter((n) => n !== this.ctx.self)
        .map(async (peer) => {
          try {
            await this.antiEntropy.push(peer, keys);
            this.pushStats.pushes++;
          } catch {
            // A peer we cannot reach now gets these keys from anti-entropy later.
            this.pushStats.failed++;
          }
        }),
    );
  }

  /** Joins every answering peer's sibling sets of `keys` into ours before a read. */
  private async readRepair(keys: readonly string[]): Promise<void> {
    if (keys.length === 0 || this.peers.length === 0) return;
    const message: ReadMessage = { type: 'vv-read', keys: [...keys] };
    await Promise.all(
      this.peers.map(async (peer) => {
        this.readStats.asked++;
        let reply: unknown;
        try {
          reply = await this.ctx.send(peer, message, this.peerReadTimeoutMs);
        } catch {
          this.readStats.unanswered++;
          return;
        }
        const states = (reply as { states?: unknown } | null)?.states;
        if (!Array.isArray(states)) return;
        for (const e of states) {
          if (!Array.isArray(e) || typeof e[0] !== 'string') continue;
          try {
            this.join(e[0], e[1]);
          } catch (err) {
            this.ctx.log(`multi-leader-vv: ignored ${peer}'s state of key ${e[0]}: ${(err as Error).message}`);
          }
        }
      }),
    );
  }

  /** This node's sibling sets of the keys a peer's read names (a wildcard: every key of its kind). */
  private statesFor(keys: readonly unknown[]): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const k of keys) {
      if (typeof k !== 'string') continue;
      if (isWildcard(k)) {
        const prefix = k.slice(0, -1);
        for (const key of this.store.keys()) if (key.startsWith(prefix)) out.push([key, this.store.encodedState(key)]);
      } else {
        const s = this.store.encodedState(k);
        if (s !== undefined) out.push([k, s]);
      }
    }
    return out;
  }

  async peer(from: string, message: unknown): Promise<unknown> {
    const m = message as Partial<ReadMessage> | null;
    if (m !== null && typeof m === 'object' && m.type === 'vv-read') {
      if (!Array.isArray(m.keys)) throw new Error(`multi-leader-vv: ${from}'s read names no keys`);
      return { states: this.statesFor(m.keys) };
    }
    const reply = this.antiEntropy.handle(from, message);
    if (reply === undefined) throw new Error(`multi-leader-vv: unknown message from ${from}`);
    return reply;
  }

  metrics(): NodeMetrics {
    const siblingKeys: string[] = [];
    let withSiblings = 0;
    for (const k of this.store.keys()) {
      if (this.store.get(k)!.siblings.length < 2) continue;
      withSiblings++;
      if (siblingKeys.length < MAX_SIBLING_KEYS) siblingKeys.push(k);
    }
    return { counters: { conflicts: this.conflicts }, keysWithSiblings: withSiblings, siblingKeys };
  }

  status(): Record<string, unknown> {
    let withSiblings = 0;
    for (const k of this.store.keys()) if (this.store.get(k)!.siblings.length > 1) withSiblings++;
    return {
      mode: 'multi-leader-vv',
      actor: this.actorName,
      durable: this.log.durable,
      keys: this.store.size,
      keysWithSiblings: withSiblings,
      replicationDelayMs: this.delayMs,
      antiEntropyMs: this.antiEntropyMs,
      pushes: { ...this.pushStats },
      peerReads: { ...this.readStats },
      antiEntropy: { ...this.antiEntropy.stats },
    };
  }
}

export const create: ModeFactory = (ctx) => new MultiLeaderVv(ctx);
