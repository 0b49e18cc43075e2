// A version order as the session check asks it: is version x known to be older than version s,
// and why. Versions are write ids, or INITIAL (the initial nil, older than every write).
import type { Because } from './sentences.js';

export interface VersionOracle extends Because {
  /** x known to be older than s (false when x === s, and when s is INITIAL). */
  older(x: number, s: number): boolean;
}

/** Thrown while building an order whose clocks would pass their memory bound. */
export class ClockLimit extends Error {
  constructor(
    readonly entries: number,
    readonly max: number,
  ) {
    super(`the version order's clocks need more than ${max} entries`);
  }
}

/** Entries per clock chunk: clocks are shared in chunks of this many chains. */
const CHUNK = 32;
const SHIFT = 5;

/** A growable Int32Array. */
function ensure(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const g = new Int32Array(Math.max(n, a.length * 2));
  g.set(a);
  return g;
}

/**
 * A clock being built (a process's): per chunk index, the id of a chunk in the pool (0: all
 * zeros), shared with the snapshots taken of it until it changes them (copy on write).
 */
export class Clock {
  ids = new Int32Array(4);
  /** A chunk is this clock's own (not shared: changed in place) when its entry here equals `epoch`. */
  own = new Int32Array(4);
  /** Bumped by each snapshot, which makes every chunk shared at once. */
  epoch = 1;
}

/**
 * Vector clocks over a chain decomposition. A chain is a sequence of versions each known older
 * than the next; the clock of version v holds, per chain, how many of the chain's versions are
 * known older than v or are v (a prefix, since the order is transitive). Then "x known older
 * than s" is one comparison: clock(s)[chain(x)] ≥ pos(x).
 *
 * The number of chains is the width of the order — in long histories with many short-lived
 * processes it reaches the thousands, since every process's last version that no later writer
 * saw ends a chain of its own. So a clock is a list of chunk ids, chunks of CHUNK entries living in
 * one pool and shared between a process's clock and the snapshots taken of it wherever they
 * agree: a snapshot costs chains/CHUNK ids, and only chunks that change are copied. No object is
 * allocated per clock or chunk (the pools are typed arrays).
 */
export class ChainClocks {
  /** Per version: its chain (-1: not placed) and 1-based position on it. */
  readonly chain: Int32Array;
  readonly pos: Int32Array;
  /** Per version: its clock, as chunk ids at snapStart .. snapStart + snapLen in `snapPool` (snapLen -1: none). */
  private readonly snapStart: Int32Array;
  private readonly snapLen: Int32Array;
  private snapPool = new Int32Array(1 << 12);
  private snapUsed = 0;
  /** Chunks: chunk id c is pool[c * CHUNK ..]; id 0 is all zeros and never written. */
  private pool = new Int32Array(CHUNK * 256);
  private chunkCount = 1;
  /** Per chain: how many versions are on it. */
  chainLen: number[] = [];

  constructor(
    versions: number,
    private readonly maxEntries: number,
  ) {
    this.chain = new Int32Array(versions).fill(-1);
    this.pos = new Int32Array(versions);
    this.snapStart = new Int32Array(versions);
    this.snapLen = new Int32Array(versions).fill(-1);
  }

  get chains(): number {
    return this.chainLen.length;
  }

  /** Entries held: CHUNK per chunk, and one per chunk id in a snapshot. */
  get used(): number {
    return this.chunkCount * CHUNK + this.snapUsed;
  }

  newChain(): number {
    this.chainLen.push(0);
    return this.chainLen.length - 1;
  }

  private check(): void {
    if (this.used > this.maxEntries) throw new ClockLimit(this.used, this.maxEntries);
  }

  /** Entry c of a clock being built. */
  get(k: Clock, c: number): number {
    const i = c >> SHIFT;
    return i < k.ids.length ? this.pool[k.ids[i] * CHUNK + (c & (CHUNK - 1))] : 0;
  }

  /** Chunk index i of k made k's own (copied when shared), as an offset into the pool. */
  private ownChunk(k: Clock, i: number): number {
    if (i >= k.ids.length) {
      k.ids = ensure(k.ids, i + 1);
      k.own = ensure(k.own, i + 1);
    }
    const id = k.ids[i];
    if (id !== 0 && k.own[i] === k.epoch) return id * CHUNK;
    const fresh = this.chunkCount++;
    if (this.chunkCount * CHUNK > this.pool.length) this.pool = ensure(this.pool, this.chunkCount * CHUNK);
    this.check();
    if (id !== 0) this.pool.copyWithin(fresh * CHUNK, id * CHUNK, id * CHUNK + CHUNK);
    k.ids[i] = fresh;
    k.own[i] = k.epoch;
    return fresh * CHUNK;
  }

  /** Joins version v's clock into k (entry-wise max). */
  join(k: Clock, v: number): void {
    const n = this.snapLen[v];
    if (n <= 0) return;
    const at = this.snapStart[v];
    for (let i = 0; i < n; i++) {
      const src = this.snapPool[at + i];
      if (src === 0) continue;
      const dst = i < k.ids.length ? k.ids[i] : 0;
      if (dst === src) continue;
      if (dst === 0) {
        if (i >= k.ids.length) {
          k.ids = ensure(k.ids, i + 1);
          k.own = ensure(k.own, i + 1);
        }
        k.ids[i] = src;
        k.own[i] = 0;
        continue;
      }
      const pool = this.pool;
      const s0 = src * CHUNK;
      const d0 = dst * CHUNK;
      let greater = false;
      let less = false;
      for (let c = 0; c < CHUNK; c++) {
        const a = pool[s0 + c];
        const b = pool[d0 + c];
        if (a > b) greater = true;
        else if (a < b) less = true;
      }
      if (!greater) continue;
      if (!less) {
        // v's chunk covers k's: share it rather than copy, so that later joins find the same id.
        k.ids[i] = src;
        k.own[i] = 0;
        continue;
      }
      const mine = this.ownChunk(k, i);
      const p = this.pool;
      for (let c = 0; c < CHUNK; c++) if (p[s0 + c] > p[mine + c]) p[mine + c] = p[s0 + c];
    }
  }

  /** Places v at the end of chain c; k (its writer's clock) gets v's entry and becomes v's clock. */
  place(v: number, c: number, k: Clock): void {
    const p = ++this.chainLen[c];
    this.chain[v] = c;
    this.pos[v] = p;
    this.pool[this.ownChunk(k, c >> SHIFT) + (c & (CHUNK - 1))] = p;
    this.keep(v, k);
  }

  /** Keeps k as v's clock without placing v on a chain (a version never asked about as the older one). */
  keep(v: number, k: Clock): void {
    let n = k.ids.length;
    while (n > 0 && k.ids[n - 1] === 0) n--;
    if (this.snapUsed + n > this.snapPool.length) this.snapPool = ensure(this.snapPool, this.snapUsed + n);
    const pool = this.snapPool;
    const at = this.snapUsed;
    for (let i = 0; i < n; i++) pool[at + i] = k.ids[i];
    this.snapStart[v] = at;
    this.snapLen[v] = n;
    this.snapUsed += n;
    this.check();
    k.epoch++;
  }

  /** Is x (placed) known older than s (which has a clock), or s itself? */
  atOrBefore(x: number, s: number): boolean {
    const c = this.chain[x];
    if (c < 0) return false;
    const i = c >> SHIFT;
    if (i >= this.snapLen[s]) return false;
    return this.pool[this.snapPool[this.snapStart[s] + i] * CHUNK + (c & (CHUNK - 1))] >= this.pos[x];
  }
}
