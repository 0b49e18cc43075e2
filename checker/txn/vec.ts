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
