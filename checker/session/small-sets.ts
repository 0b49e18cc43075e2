// Per-slot antichains of versions, each version with one or two numbers beside it (the read that
// saw it, …): the versions seen that nothing else seen is known to follow. They hold about one
// version each in practice, so the first tuple of each set lives in typed arrays and only the
// rare further ones in a map: no allocation per op on the common path.
import type { VersionOracle } from './oracle.js';

const NONE = -3;

export class SmallSets {
  private readonly v: Int32Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  /** 1 when the slot has further tuples (in `more`): the common path never touches the map. */
  private readonly multi: Uint8Array;
  /** Further tuples of a slot, flat [v, a, b, v, a, b, …]. */
  private readonly more = new Map<number, number[]>();
  /** Scratch for rebuilding a set. */
  private readonly scratch: number[] = [];

  constructor(slots: number) {
    this.v = new Int32Array(slots).fill(NONE);
    this.a = new Int32Array(slots);
    this.b = new Int32Array(slots);
    this.multi = new Uint8Array(slots);
  }

  size(s: number): number {
    if (this.v[s] === NONE) return 0;
    return this.multi[s] === 0 ? 1 : 1 + this.more.get(s)!.length / 3;
  }

  /** Tuple i of slot s (i < size(s)). */
  version(s: number, i: number): number {
    return i === 0 ? this.v[s] : this.more.get(s)![(i - 1) * 3];
  }
  first(s: number, i: number): number {
    return i === 0 ? this.a[s] : this.more.get(s)![(i - 1) * 3 + 1];
  }
  second(s: number, i: number): number {
    return i === 0 ? this.b[s] : this.more.get(s)![(i - 1) * 3 + 2];
  }

  /** Whether version x is known older than a version of slot s. */
  dominated(s: number, x: number, order: VersionOracle): boolean {
    const n = this.size(s);
    for (let i = 0; i < n; i++) if (order.older(x, this.version(s, i))) return true;
    return false;
  }

  /**
   * Adds (x, a, b) to slot s unless x is known older than a version there: the versions x is
   * known to follow go, and x's own tuple is replaced. `keepSame`: leave x's tuple as it is when x
   * is already there. Returns whether the set changed.
   */
  add(s: number, x: number, a: number, b: number, order: VersionOracle, keepSame = false): boolean {
    if (this.v[s] === NONE) {
      this.v[s] = x;
      this.a[s] = a;
      this.b[s] = b;
      return true;
    }
    if (this.multi[s] === 0) {
      // One version: the common case.
      const y = this.v[s];
      if (y === x) {
        if (keepSame) return false;
        this.a[s] = a;
        this.b[s] = b;
        return true;
      }
      if (order.older(x, y)) return false;
      if (order.older(y, x)) {
        this.v[s] = x;
        this.a[s] = a;
        this.b[s] = b;
      } else {
        this.more.set(s, [x, a, b]);
        this.multi[s] = 1;
      }
      return true;
    }
    const n = this.size(s);
    for (let i = 0; i < n; i++) {
      const y = this.version(s, i);
      if (y === x && keepSame) return false;
      if (y !== x && order.older(x, y)) return false;
    }
    const t = this.scratch;
    t.length = 0;
    for (let i = 0; i < n; i++) {
      const y = this.version(s, i);
      if (y === x || order.older(y, x)) continue;
      t.push(y, this.first(s, i), this.second(s, i));
    }
    t.push(x, a, b);
    this.v[s] = t[0];
    this.a[s] = t[1];
    this.b[s] = t[2];
    if (t.length === 3) {
      this.more.delete(s);
      this.multi[s] = 0;
    } else this.more.set(s, t.slice(3));
    return true;
  }

  /** Copies slot s of `from` into slot d of this. */
  copyFrom(from: SmallSets, s: number, d: number): void {
    this.v[d] = from.v[s];
    this.a[d] = from.a[s];
    this.b[d] = from.b[s];
    if (from.multi[s] === 1) {
      this.more.set(d, from.more.get(s)!.slice());
      this.multi[d] = 1;
    } else if (this.multi[d] === 1) {
      this.more.delete(d);
      this.multi[d] = 0;
    }
  }
}
