// A growable Int32Array: the per-transaction facts a workload collects while streaming, without
// the cost of growing plain arrays of numbers.
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
