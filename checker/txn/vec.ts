// Growable typed arrays and grouping by key: the per-transaction facts the transactional checker
// collects while streaming, without the cost of growing plain arrays of numbers.
export class IntVec {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  /** The values pushed so far (a view: later pushes may or may not show through). */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Fixed-width records of ints in one growable Int32Array: a workload's per-read or per-append
 * facts, written field by field with one bounds check per record.
 */
export class IntRecords {
  data: Int32Array;
  length = 0;
  constructor(readonly width: number, capacity = 1024) {
    this.data = new Int32Array(capacity * width);
  }
  /** Room for one more record; returns its id (fields are at id * width + field). */
  add(): number {
    if ((this.length + 1) * this.width > this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    return this.length++;
  }
  /** One field of every record, as its own array. */
  column(field: number): Int32Array {
    const out = new Int32Array(this.length);
    const { data, width } = this;
    for (let i = 0, at = field; i < out.length; i++, at += width) out[i] = data[at];
    return out;
  }
}

/** A growable typed array of any kind (for the transaction builder's columns). */
export class Growable<T extends Int32Array | Uint8Array | Float64Array> {
  length = 0;
  constructor(public data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** Items 0..n-1 grouped by their key, by counting sort. */
export function groupByKey(keyOfItem: ArrayLike<number>, keyCount: number): { start: Int32Array; items: Int32Array } {
  const start = new Int32Array(keyCount + 1);
  for (let i = 0; i < keyOfItem.length; i++) start[keyOfItem[i] + 1]++;
  for (let k = 0; k < keyCount; k++) start[k + 1] += start[k];
  const fill = start.slice(0, keyCount);
  const items = new Int32Array(keyOfItem.length);
  for (let i = 0; i < keyOfItem.length; i++) items[fill[keyOfItem[i]]++] = i;
  return { start, items };
}
