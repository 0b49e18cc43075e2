// Merkle-tree anti-entropy between the nodes of a cluster, for modes whose per-key states join
// (crdt, multi-leader-vv).
//
// Every round a node picks the next peer (round robin) and runs one exchange:
//   1. it sends the node hashes of its Merkle tree (base/merkle.ts) — not its keys;
//   2. the peer compares them with its own tree (diffTrees against a tree that has the hashes
//      but no keys), and replies with the differing leaves and its states of the keys in them;
//   3. the node joins those states into its own and pushes back its (joined) states of the keys
//      it holds in those leaves.
// Afterwards both hold the join of the two for every differing key; keys in equal leaves never
// cross the wire. Both sides must build trees over the same key space: keys are prefixed with a
// bucket (a fixed hash of the key, BUCKETS of them) and the space splits at the bucket prefixes,
// so it depends on nothing a node holds.
import { buildTree, diffTrees, keySpaceFromSplits, type KeySpace, type MerkleTree } from '../../base/merkle.js';
import type { NodeContext } from './mode.js';

/** What anti-entropy needs from a mode: its per-key states, as stable JSON, and a join. */
export interface JoinableReplica {
  /** Bumps on every change of any key's state (the tree is rebuilt only when it moved). */
  version(): number;
  /** Every key and its state's stable JSON encoding (equal states encode equally on every node). */
  encodedStates(): Iterable<[string, unknown]>;
  /** One key's state encoded as encodedStates() gives it; undefined when the key has none. */
  encodedState(key: string): unknown;
  /** Joins a peer's encoded state of `key` into this replica's; throws on a malformed state. */
  joinEncoded(key: string, state: unknown): void;
}

const BUCKETS = 64;

function bucketPrefix(b: number): string {
  return b.toString(16).padStart(2, '0');
}

const SPACE: KeySpace = keySpaceFromSplits(
  Array.from({ length: BUCKETS - 1 }, (_, i) => bucketPrefix(i + 1)),
  false,
);

/** FNV-1a over the key's UTF-16 code units: fixed, so every node puts a key in the same bucket. */
function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  return (h >>> 0) % BUCKETS;
}

function treeKey(key: string): string {
  return `${bucketPrefix(bucketOf(key))}:${key}`;
}

function storeKeyOf(treeKey: string): string {
  return treeKey.slice(3);
}

/** A peer's tree as far as this node knows it: the hashes, none of the keys. diffTrees against it lists all our keys of every differing leaf. */
function hashesOnly(hi: Uint32Array, lo: Uint32Array): MerkleTree {
  return { space: SPACE, keys: [], values: [], valueText: [], start: new Int32Array(SPACE.leaves + 1), hi, lo };
}

interface TreeMessage {
  type: 'ae-tree';
  hi: number[];
  lo: number[];
}

interface PushMessage {
  type: 'ae-push';
  states: [string, unknown][];
}

interface TreeReply {
  leaves: number[];
  states: [string, unknown][];
}

function hashArray(v: unknown, where: string): Uint32Array {
  const n = 2 * SPACE.leaves;
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
    throw new Error(`${where}: must be a list of ${n} unsigned 32-bit hashes`);
  }
  return Uint32Array.from(v as number[]);
}

function statesOf(v: unknown, where: string): [string, unknown][] {
  if (!Array.isArray(v) || !v.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) {
    throw new Error(`${where}: must be a list of [key, state] pairs`);
  }
  return v as [string, unknown][];
}

export interface AntiEntropyStats {
  rounds: number;
  failedRounds: number;
  /** Keys received from peers whose leaves differed. */
  pulled: number;
  /** Keys sent to peers whose leaves differed. */
  pushed: number;
}

export class AntiEntropy {
  private tree: MerkleTree | undefined;
  private treeVersion = -1;
  private next = 0;
  private running = false;
  private readonly peers: string[];
  readonly stats: AntiEntropyStats = { rounds: 0, failedRounds: 0, pulled: 0, pushed: 0 };

  constructor(
    private readonly ctx: NodeContext,
    private readonly replica: JoinableReplica,
    private readonly timeoutMs = 2000,
  ) {
    this.peers = ctx.nodes.filter((n) => n !== ctx.self);
  }

  /** Runs a round every `ms` until the node stops. */
  start(ms: number): void {
    this.ctx.every(ms, () => this.round());
  }

  private currentTree(): MerkleTree {
    const v = this.replica.version();
    if (!this.tree || v !== this.treeVersion) {
      const entries = new Map<string, unknown>();
      for (const [k, s] of this.replica.encodedStates()) entries.set(treeKey(k), s);
      this.tree = buildTree(entries, SPACE);
      this.treeVersion = v;
    }
    return this.tree;
  }

  /** One exchange with the next peer. A round still running makes this one a no-op. */
  async round(): Promise<void> {
    if (this.running || this.peers.length === 0) return;
    this.running = true;
    const peer = this.peers[this.next++ % this.peers.length];
    try {
      await this.exchange(peer);
      this.stats.rounds++;
    } catch (e) {
      // Unreachable peers are the normal case under a partition; the next round tries another.
      this.stats.failedRounds++;
      void e;
    } finally {
      this.running = false;
    }
  }

  private async exchange(peer: string): Promise<void> {
    const mine = this.currentTree();
    const request: TreeMessage = { type: 'ae-tree', hi: Array.from(mine.hi), lo: Array.from(mine.lo) };
    const raw = await this.ctx.send(peer, request, this.timeoutMs);
    if (raw === null || typeof raw !== 'object') throw new Error(`anti-entropy: ${peer} answered the tree with ${typeof raw}`);
    const reply = raw as Partial<TreeReply>;
    if (!Array.isArray(reply.leaves) || !reply.leaves.every((l) => Number.isInteger(l) && l >= 0 && l < SPACE.leaves)) {
      throw new Error(`anti-entropy: ${peer}'s reply has no valid leaves list`);
    }
    if (reply.leaves.length === 0) return;
    const theirs = statesOf(reply.states, `anti-entropy reply from ${peer}`);
    for (const [k, s] of theirs) this.join(k, s, peer);
    this.stats.pulled += theirs.length;
    // Push what we held in those leaves before the pull, as it is now (joined).
    const keys: string[] = [];
    for (const leaf of reply.leaves) for (let i = mine.start[leaf]; i < mine.start[leaf + 1]; i++) keys.push(storeKeyOf(mine.keys[i]));
    await this.push(peer, keys);
    this.stats.pushed += keys.length;
    this.ctx.log(`anti-entropy with ${peer}: ${reply.leaves.length} of ${SPACE.leaves} leaves differed; pulled ${theirs.length} keys, pushed ${keys.length}`);
  }

  /** Ships the current states of `keys` to `peer`, which joins them (replication pushes use it too). */
  async push(peer: string, keys: readonly string[]): Promise<void> {
    const states: [string, unknown][] = [];
    for (const k of keys) {
      const s = this.replica.encodedState(k);
      if (s !== undefined) states.push([k, s]);
    }
    if (states.length === 0) return;
    const message: PushMessage = { type: 'ae-push', states };
    await this.ctx.send(peer, message, this.timeoutMs);
  }

  private join(key: string, state: unknown, from: string): void {
    try {
      this.replica.joinEncoded(key, state);
    } catch (e) {
      this.ctx.log(`anti-entropy: ignored ${from}'s state of key ${key}: ${(e as Error).message}`);
    }
  }

  /** Answers a peer's anti-entropy message; undefined when `message` is not one. */
  handle(from: string, message: unknown): TreeReply | { ok: true } | undefined {
    if (message === null || typeof message !== 'object') return undefined;
    const m = message as { type?: unknown; hi?: unknown; lo?: unknown; states?: unknown };
    if (m.type === 'ae-tree') {
      const theirs = hashesOnly(hashArray(m.hi, `anti-entropy tree from ${from}: hi`), hashArray(m.lo, `anti-entropy tree from ${from}: lo`));
      const d = diffTrees(this.currentTree(), theirs);
      const leaves: number[] = [];
      for (const r of d.ranges) for (let l = r.leaves[0]; l <= r.leaves[1]; l++) leaves.push(l);
      return { leaves, states: d.keys.map((k) => [storeKeyOf(k.key), this.replica.encodedState(storeKeyOf(k.key))]) };
    }
    if (m.type === 'ae-push') {
      for (const [k, s] of statesOf(m.states, `anti-entropy push from ${from}`)) this.join(k, s, from);
      return { ok: true };
    }
    return undefined;
  }
}
