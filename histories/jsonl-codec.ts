// JSONL lines turned into a compact encoding on one thread and back into values on another, so a
// big history's parsing can run beside the checking (histories/jsonl-worker.ts). The scanner
// reads the bytes of each line directly and accepts only a strict subset of JSON, the shapes
// histories have: objects, arrays, null, true, false, numbers, and strings of printable ASCII
// without escapes. For those it gives exactly what JSON.parse gives (test/jsonl-codec.test.ts
// holds it to that); any other line, and any line that is not valid JSON, is passed on as text,
// and the reading thread runs JSON.parse on it, with its usual errors.
//
// The encoding: a tag per value (Uint8Array); numbers in a Float64Array; string ids, array
// lengths, object sizes and key ids in an Int32Array; the strings once per batch.

export const T_NULL = 0;
export const T_FALSE = 1;
export const T_TRUE = 2;
export const T_NUMBER = 3;
export const T_STRING = 4;
export const T_ARRAY = 5;
export const T_OBJECT = 6;
/** A record passed on as text (a line outside the subset, or not valid JSON). */
export const T_TEXT = 7;
/** An integer of at most 9 digits, in ints: read back from an Int32Array it is a small integer to
 * V8, so arrays of them get small-integer elements as JSON.parse's do (a double would turn them
 * into double arrays, slower for every checker that reads them). */
export const T_INT = 8;

const MAX_DEPTH = 64;
const STRING_TABLE = 1 << 10; // open-addressing slots for a batch's distinct strings

/** A batch as it crosses threads. */
export interface EncodedBatch {
  /** Records (non-blank lines) in the batch, and each one's line number. */
  records: number;
  lines: Int32Array;
  tags: Uint8Array;
  ints: Int32Array;
  nums: Float64Array;
  strings: string[];
}

/** Grows typed arrays and interns strings while a batch is scanned; reused batch after batch. */
export class Encoder {
  tags = new Uint8Array(1 << 16);
  ints = new Int32Array(1 << 16);
  nums = new Float64Array(1 << 14);
  lines = new Int32Array(1 << 12);
  t = 0;
  i = 0;
  d = 0;
  records = 0;
  strings: string[] = [];
  // string interning by the bytes, so repeated keys and values ("index", "ok", "txn", "r") are
  // neither sliced nor hashed as strings: slot -> string id + 1 (0: empty)
  private slots = new Int32Array(STRING_TABLE);
  private hashes = new Int32Array(STRING_TABLE);
  private stack = new Int32Array(MAX_DEPTH * 2);

  /** Starts a new batch (the arrays are kept). */
  reset(): void {
    this.t = this.i = this.d = this.records = 0;
    this.strings = [];
    this.slots.fill(0);
  }

  /** The batch so far, copied out of the working arrays (ready to transfer). */
  take(): EncodedBatch {
    return {
      records: this.records,
      lines: this.lines.slice(0, this.records),
      tags: this.tags.slice(0, this.t),
      ints: this.ints.slice(0, this.i),
      nums: this.nums.slice(0, this.d),
      strings: this.strings,
    };
  }

  private room(bytes: number): void {
    // a line of n bytes adds at most n + 2 tags, ints and numbers
    const need = bytes + 2;
    if (this.t + need > this.tags.length) this.tags = grown(this.tags, this.t + need);
    if (this.i + need > this.ints.length) this.ints = grown(this.ints, this.i + need);
    if (this.d + need > this.nums.length) this.nums = grown(this.nums, this.d + need);
    if (this.records === this.lines.length) this.lines = grown(this.lines, this.records + 1);
  }

  private intern(buf: Buffer, from: number, to: number): number {
    let h = to - from;
    for (let k = from; k < to; k++) h = Math.imul(h ^ buf[k], 0x01000193);
    const mask = STRING_TABLE - 1;
    for (let s = h & mask, probes = 0; probes < STRING_TABLE; s = (s + 1) & mask, probes++) {
      const id = this.slots[s] - 1;
      if (id < 0) {
        const str = latin1(buf, from, to);
        const nid = this.strings.push(str) - 1;
        if (this.strings.length < STRING_TABLE / 2) {
          this.slots[s] = nid + 1;
          this.hashes[s] = h;
        }
        return nid;
      }
      if (this.hashes[s] !== h) continue;
      const str = this.strings[id];
      if (str.length !== to - from) continue;
      let k = 0;
      while (k < str.length && str.charCodeAt(k) === buf[from + k]) k++;
      if (k === str.length) return id;
    }
    return this.strings.push(latin1(buf, from, to)) - 1;
  }

  /**
   * Encodes the line buf[from, to) (no newline) as one record, or as text when it is outside the
   * subset; a blank line (only spaces, tabs, CR, VT, FF) adds nothing. `text(from, to)` gives the
   * line as the reader would decode it, for the text records.
   */
  line(buf: Buffer, from: number, to: number, lineNo: number, text: (from: number, to: number) => string): void {
    let blank = true;
    for (let k = from; k < to; k++) {
      const c = buf[k];
      if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    this.room(to - from);
    this.lines[this.records++] = lineNo;
    const t0 = this.t;
    const i0 = this.i;
    const d0 = this.d;
    if (!this.value(buf, from, to)) {
      this.t = t0;
      this.i = i0;
      this.d = d0;
      this.tags[this.t++] = T_TEXT;
      this.ints[this.i++] = this.strings.push(text(from, to)) - 1;
    }
  }

  // One JSON value filling buf[from, to) but for JSON whitespace; false when the line is outside
  // the subset (or not JSON at all).
  private value(buf: Buffer, from: number, to: number): boolean {
    const tags = this.tags;
    const ints = this.ints;
    const nums = this.nums;
    const stack = this.stack;
    let t = this.t;
    let i = this.i;
    let d = this.d;
    let p = from;
    let sp = 0; // stack: [slot of the count in ints, 1 for an object | 0 for an array]
    let c = 0;
    for (;;) {
      // a value is expected
      while (p < to && ((c = buf[p]) === 32 || c === 9 || c === 13)) p++;
      if (p >= to) return false;
      c = buf[p];
      if (c === 123 /* { */ || c === 91 /* [ */) {
        if (sp === stack.length) return false;
        const isObject = c === 123;
        tags[t++] = isObject ? T_OBJECT : T_ARRAY;
        stack[sp++] = i;
        stack[sp++] = isObject ? 1 : 0;
        ints[i++] = 0;
        p++;
        while (p < to && ((c = buf[p]) === 32 || c === 9 || c === 13)) p++;
        if (p < to && c === (isObject ? 125 : 93)) {
          p++;
          sp -= 2;
        } else {
          ints[stack[sp - 2]]++;
          if (isObject) {
            const k = this.key(buf, p, to, i);
            if (k < 0) return false;
            i++;
            p = k;
          }
          continue;
        }
      } else if (c === 34 /* " */) {
        const s0 = ++p;
        while (p < to && (c = buf[p]) !== 34) {
          if (c === 92 || c < 32 || c > 126) return false;
          p++;
        }
        if (p >= to) return false;
        tags[t++] = T_STRING;
        ints[i++] = this.intern(buf, s0, p);
        p++;
      } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
        const n0 = p;
        let neg = false;
        if (c === 45) {
          neg = true;
          if (++p >= to) return false;
          c = buf[p];
        }
        let v = 0;
        let digits = 0;
        if (c === 48) {
          p++;
          digits = 1;
        } else if (c >= 49 && c <= 57) {
          while (p < to && (c = buf[p]) >= 48 && c <= 57) {
            v = v * 10 + (c - 48);
            digits++;
            p++;
          }
        } else return false;
        let simple = true;
        if (p < to && buf[p] === 46 /* . */) {
          simple = false;
          p++;
          if (!(p < to && buf[p] >= 48 && buf[p] <= 57)) return false;
          while (p < to && buf[p] >= 48 && buf[p] <= 57) p++;
        }
        if (p < to && (buf[p] === 101 || buf[p] === 69) /* e E */) {
          simple = false;
          p++;
          if (p < to && (buf[p] === 43 || buf[p] === 45)) p++;
          if (!(p < to && buf[p] >= 48 && buf[p] <= 57)) return false;
          while (p < to && buf[p] >= 48 && buf[p] <= 57) p++;
        }
        if (p < to && buf[p] >= 48 && buf[p] <= 57) return false; // a leading zero before digits
        if (simple && digits <= 9 && !(neg && v === 0)) {
          tags[t++] = T_INT;
          ints[i++] = neg ? -v : v;
        } else {
          tags[t++] = T_NUMBER;
          // up to 15 digits an integer is exact in a double; the rest as JSON.parse reads it
          nums[d++] = simple && digits <= 15 && !(neg && v === 0) ? (neg ? -v : v) : Number(latin1(buf, n0, p));
        }
      } else if (c === 110 /* n */ && to - p >= 4 && buf[p + 1] === 117 && buf[p + 2] === 108 && buf[p + 3] === 108) {
        tags[t++] = T_NULL;
        p += 4;
      } else if (c === 116 /* t */ && to - p >= 4 && buf[p + 1] === 114 && buf[p + 2] === 117 && buf[p + 3] === 101) {
        tags[t++] = T_TRUE;
        p += 4;
      } else if (c === 102 /* f */ && to - p >= 5 && buf[p + 1] === 97 && buf[p + 2] === 108 && buf[p + 3] === 115 && buf[p + 4] === 101) {
        tags[t++] = T_FALSE;
        p += 5;
      } else return false;
      // after a value: close containers, or a comma, or the end of the line
      for (;;) {
        while (p < to && ((c = buf[p]) === 32 || c === 9 || c === 13)) p++;
        if (sp === 0) {
          if (p < to) return false; // more after the value
          this.t = t;
          this.i = i;
          this.d = d;
          return true;
        }
        if (p >= to) return false;
        c = buf[p];
        const isObject = stack[sp - 1] === 1;
        if (c === (isObject ? 125 : 93)) {
          p++;
          sp -= 2;
          continue;
        }
        if (c !== 44 /* , */) return false;
        p++;
        ints[stack[sp - 2]]++;
        if (isObject) {
          while (p < to && ((c = buf[p]) === 32 || c === 9 || c === 13)) p++;
          const k = this.key(buf, p, to, i);
          if (k < 0) return false;
          i++;
          p = k;
        }
        break;
      }
    }
  }

  // A key and its colon at p (after whitespace); its id goes to ints[at]. Returns the position
  // after the colon, or -1. "__proto__" is left to JSON.parse (an assignment would set the prototype).
  private key(buf: Buffer, p: number, to: number, at: number): number {
    if (p >= to || buf[p] !== 34) return -1;
    const s0 = ++p;
    let c = 0;
    while (p < to && (c = buf[p]) !== 34) {
      if (c === 92 || c < 32 || c > 126) return -1;
      p++;
    }
    if (p >= to) return -1;
    if (p - s0 === 9 && latin1(buf, s0, p) === '__proto__') return -1;
    this.ints[at] = this.intern(buf, s0, p);
    p++;
    while (p < to && ((c = buf[p]) === 32 || c === 9 || c === 13)) p++;
    if (p >= to || buf[p] !== 58 /* : */) return -1;
    return p + 1;
  }
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(a: T, need: number): T {
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

function latin1(buf: Buffer, from: number, to: number): string {
  return buf.toString('latin1', from, to);
}

/** Reads a batch's records back: each is a value, or (T_TEXT) the line's text. */
export class Decoder {
  private t = 0;
  private i = 0;
  private d = 0;
  constructor(private readonly b: EncodedBatch) {}

  /** The next record: true and its value in `value`, or false and its text in `text`. */
  next(): boolean {
    if (this.b.tags[this.t] === T_TEXT) {
      this.t++;
      this.text = this.b.strings[this.b.ints[this.i++]];
      return false;
    }
    this.value = this.read();
    return true;
  }

  value: unknown = undefined;
  text = '';

  private read(): unknown {
    const b = this.b;
    switch (b.tags[this.t++]) {
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT:
        return b.ints[this.i++];
      case T_NUMBER:
        return b.nums[this.d++];
      case T_STRING:
        return b.strings[b.ints[this.i++]];
      case T_ARRAY: {
        const n = b.ints[this.i++];
        const a: unknown[] = [];
        for (let k = 0; k < n; k++) a.push(this.read());
        return a;
      }
      default: {
        const n = b.ints[this.i++];
        const o: Record<string, unknown> = {};
        for (let k = 0; k < n; k++) {
          const key = b.strings[b.ints[this.i++]];
          o[key] = this.read();
        }
        return o;
      }
    }
  }
}
