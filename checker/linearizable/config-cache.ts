// The set of search configurations already explored: (linearized set, model state) pairs. Sets are
// bitsets in one typed-array arena; a hash table of integers finds them. The search keeps each
// set's hash up to date incrementally (Zobrist hashing), so a lookup costs O(1) plus one bitset
// comparison on a hash match.
/** Murmur3's finalizer: spreads every input bit over the low bits the table masks with. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class ConfigCache {
  readonly words: number;
  private slots: Int32Array;
  private mask: number;
  // Int32, like the XORs the search computes: a Uint32Array would never compare equal to a negative hash.
  private hashA: Int32Array;
  private hashB: Int32Array;
  private state: Int32Array;
  private arena: Uint32Array;
  size = 0;

  constructor(bits: number, initialCapacity = 1024) {
    this.words = Math.max(1, Math.ceil(bits / 32));
    let cap = 16;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.hashA = new Int32Array(initialCapacity);
    this.hashB = new Int32Array(initialCapacity);
    this.state = new Int32Array(initialCapacity);
    this.arena = new Uint32Array(initialCapacity * this.words);
  }

  /** Forgets every configuration, keeping the arrays (for reuse by the next search of as many calls). */
  clear(): void {
    this.slots.fill(-1);
    this.size = 0;
  }

  /** Entries it has room for before growing. */
  get capacity(): number {
    return this.hashA.length;
  }

  /** Bytes held, for the memory bound. */
  get bytes(): number {
    return this.slots.byteLength + this.hashA.byteLength * 2 + this.state.byteLength + this.arena.byteLength;
  }

  /** Whether exactly this configuration is there. */
  has(bits: Uint32Array, ha: number, hb: number, stateId: number): boolean {
    const words = this.words;
    const arena = this.arena;
    for (let slot = mix(ha ^ Math.imul(stateId, 0x9e3779b1)) & this.mask; ; slot = (slot + 1) & this.mask) {
      const e = this.slots[slot];
      if (e === -1) return false;
      if (this.hashA[e] === ha && this.hashB[e] === hb && this.state[e] === stateId) {
        const base = e * words;
        let w = 0;
        while (w < words && arena[base + w] === bits[w]) w++;
        if (w === words) return true;
      }
    }
  }

  /** Adds the configuration; false if it was already there. */
  add(bits: Uint32Array, ha: number, hb: number, stateId: number): boolean {
    const words = this.words;
    let slot = mix(ha ^ Math.imul(stateId, 0x9e3779b1)) & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e === -1) break;
      if (this.hashA[e] === ha && this.hashB[e] === hb && this.state[e] === stateId) {
        const base = e * words;
        let same = true;
        for (let w = 0; w < words; w++) {
          if (this.arena[base + w] !== bits[w]) {
            same = false;
            break;
          }
        }
        if (same) return false;
      }
      slot = (slot + 1) & this.mask;
    }
    const e = this.size++;
    if (e === this.hashA.length) this.growEntries();
    this.hashA[e] = ha;
    this.hashB[e] = hb;
    this.state[e] = stateId;
    this.arena.set(bits.subarray(0, words), e * words);
    this.slots[slot] = e;
    if (this.size * 2 > this.slots.length) this.rehash();
    return true;
  }

  private growEntries(): void {
    const cap = this.hashA.length * 2;
    const grow = <T extends Uint32Array | Int32Array>(a: T, n: number): T => {
      const b = new (a.constructor as { new (n: number): T })(n);
      b.set(a);
      return b;
    };
    this.hashA = grow(this.hashA, cap);
    this.hashB = grow(this.hashB, cap);
    this.state = grow(this.state, cap);
    this.arena = grow(this.arena, cap * this.words);
  }

  private rehash(): void {
    const cap = this.slots.length * 2;
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = mix(this.hashA[e] ^ Math.imul(this.state[e], 0x9e3779b1)) & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = e;
    }
  }
}
