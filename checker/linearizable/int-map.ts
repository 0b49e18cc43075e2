// A map from non-negative integers (below 2^53) to int32, in typed arrays with linear probing: no
// boxing, no per-entry objects, and no dense array sized by the largest key.
export class IntMap {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.keys = new Float64Array(cap).fill(-1);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(k: number): number {
    let h = (k | 0) ^ ((k / 4294967296) | 0);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }

  /** The value for `k`, or `missing`. */
  get(k: number, missing: number): number {
    for (let s = this.slot(k); ; s = (s + 1) & this.mask) {
      const x = this.keys[s];
      if (x === k) return this.values[s];
      if (x === -1) return missing;
    }
  }

  set(k: number, v: number): void {
    let s = this.slot(k);
    for (; ; s = (s + 1) & this.mask) {
      const x = this.keys[s];
      if (x === k) {
        this.values[s] = v;
        return;
      }
      if (x === -1) break;
    }
    this.keys[s] = k;
    this.values[s] = v;
    if (++this.size * 2 > this.keys.length) this.grow();
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2).fill(-1);
    this.values = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== -1) this.set(oldKeys[i], oldValues[i]);
  }
}
