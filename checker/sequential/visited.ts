// The set of configurations the sequential-consistency search has explored: a vector of
// per-process positions plus an interned model state, stored flat in one Int32Array (no objects
// per entry) and found through an open-addressing table of entry ids.
export class ConfigSet {
  /** Ints per entry: the positions, then the state id. */
  readonly width: number;
  private data: Int32Array;
  private hashes: Int32Array;
  /** Entry id + 1 per slot; 0 is empty. */
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(
    processes: number,
    private readonly maxBytes: number,
  ) {
    this.width = processes + 1;
    this.data = new Int32Array(1024 * this.width);
    this.hashes = new Int32Array(1024);
    this.slots = new Int32Array(2048);
    this.mask = 2047;
  }

  get bytes(): number {
    return this.data.byteLength + this.hashes.byteLength + this.slots.byteLength;
  }

  /**
   * Adds (positions, state) whose hash is `hash`. Returns 1 if it was new, 0 if already present,
   * -1 if adding it would pass the memory limit.
   */
  add(pos: Int32Array, state: number, hash: number): 1 | 0 | -1 {
    const w = this.width;
    const n = w - 1;
    const data = this.data;
    let s = hash & this.mask;
    for (;;) {
      const e = this.slots[s];
      if (e === 0) break;
      if (this.hashes[e - 1] === hash) {
        const at = (e - 1) * w;
        if (data[at + n] === state) {
          let same = true;
          for (let i = 0; i < n; i++) {
            if (data[at + i] !== pos[i]) {
              same = false;
              break;
            }
          }
          if (same) return 0;
        }
      }
      s = (s + 1) & this.mask;
    }
    const id = this.size;
    if ((id + 1) * w > this.data.length || (id + 1) * 2 > this.slots.length) {
      if (!this.grow(id + 1)) return -1;
      return this.add(pos, state, hash);
    }
    const at = id * w;
    this.data.set(pos, at);
    this.data[at + n] = state;
    this.hashes[id] = hash;
    this.slots[s] = id + 1;
    this.size++;
    return 1;
  }

  private grow(need: number): boolean {
    const w = this.width;
    let cap = this.hashes.length;
    while (cap < need) cap *= 2;
    if (cap === this.hashes.length) cap *= 2;
    const bytes = cap * w * 4 + cap * 4 + cap * 2 * 4;
    if (bytes > this.maxBytes) return false;
    const data = new Int32Array(cap * w);
    data.set(this.data);
    this.data = data;
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    this.hashes = hashes;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    for (let id = 0; id < this.size; id++) {
      let s = this.hashes[id] & this.mask;
      while (this.slots[s] !== 0) s = (s + 1) & this.mask;
      this.slots[s] = id + 1;
    }
    return true;
  }
}

/** Fixed pseudo-random odd 32-bit multipliers, one per process, for hashing position vectors. */
export function processWeights(n: number): Int32Array {
  const z = new Int32Array(n);
  for (let i = 0; i < n; i++) z[i] = mix(Math.imul(i + 1, 0x9e3779b9) ^ 0x5bd1e995) | 1;
  return z;
}

/** A 32-bit finalizer (murmur3's). */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
