// A reader for EDN (https://github.com/edn-format/edn) as Jepsen and Knossos write it, mapping
// into JSON-shaped values: keywords and symbols become strings, nil becomes null, vectors, lists
// and sets become arrays, maps become objects (keys as strings). We parse it ourselves rather
// than use an EDN library because a history reader must say on which line each op starts and
// where a syntax error is, and must turn Jepsen's independent tuples into an op's key.
import { HistoryError } from './errors.js';
import { MAX_NESTING, NESTING_TEXT } from './nesting.js';

/** Arrays that came from `#jepsen.independent/tuple [k v]`, so op readers can lift them into `key`. */
export const independentTuples = new WeakSet<unknown[]>();

const INDEPENDENT_TUPLE = 'jepsen.independent/tuple';

// Character classes, indexed by char code below 128.
const WS = 1;
const DELIM = 2;
const cls = new Uint8Array(128);
for (const c of ' \t\n\r\f\v,') cls[c.charCodeAt(0)] = WS | DELIM;
for (const c of '()[]{}";') cls[c.charCodeAt(0)] = DELIM;

const NUMBER = /^[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[NM]?$/;
const RATIO = /^[+-]?\d+\/\d+$/;
const CHAR_NAMES: Record<string, string> = { newline: '\n', space: ' ', tab: '\t', return: '\r', backspace: '\b', formfeed: '\f' };

export class EdnReader {
  pos = 0;
  private newlines: Int32Array | undefined;
  /** Forms open around the one being read: the reader recurses, so depth is bounded (nesting.ts). */
  private depth = 0;

  constructor(
    readonly text: string,
    readonly file: string,
    /** Added to computed lines, when `text` is one line of a larger file. */
    private readonly firstLine = 1,
  ) {}

  /** The 1-based line of `offset` in the file. */
  lineAt(offset: number): number {
    if (!this.newlines) {
      const nl: number[] = [];
      let i = -1;
      while ((i = this.text.indexOf('\n', i + 1)) !== -1) nl.push(i);
      this.newlines = Int32Array.from(nl);
    }
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + this.firstLine;
  }

  error(offset: number, reason: string): never {
    throw new HistoryError(this.file, this.lineAt(offset), reason);
  }

  /** Skips whitespace, commas, comments and `#_` discarded forms; true if a form follows. */
  skipSpace(): boolean {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (Number.isNaN(c)) return false;
      if (c < 128 && cls[c] & WS) this.pos++;
      else if (c === 59 /* ; */) {
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl === -1 ? t.length : nl + 1;
      } else if (c === 35 /* # */ && t.charCodeAt(this.pos + 1) === 95 /* _ */) {
        this.pos += 2;
        if (!this.skipSpace()) this.error(this.pos, 'EDN: "#_" discards nothing at the end of the input');
        this.readForm();
      } else if (c === 0xfeff && this.pos === 0) this.pos++;
      else return true;
    }
  }

  /** Reads one form; the caller has called skipSpace() and it returned true. */
  readForm(): unknown {
    // + 2: a history's own vector around its ops, and the innermost atom
    if (this.depth >= MAX_NESTING + 2) this.error(this.pos, `EDN: ${NESTING_TEXT}`);
    this.depth++;
    try {
      return this.readFormAt();
    } finally {
      this.depth--;
    }
  }

  private readFormAt(): unknown {
    const t = this.text;
    const start = this.pos;
    const c = t.charCodeAt(start);
    switch (c) {
      case 91 /* [ */:
        this.pos++;
        return this.readSeq(93, start);
      case 40 /* ( */:
        this.pos++;
        return this.readSeq(41, start);
      case 123 /* { */:
        this.pos++;
        return this.readMap(start);
      case 34 /* " */:
        return this.readString();
      case 92 /* \ */:
        return this.readChar();
      case 35 /* # */:
        return this.readDispatch();
      case 94 /* ^ metadata: read and drop it */:
        this.pos++;
        if (!this.skipSpace()) this.error(start, 'EDN: metadata with nothing after it');
        this.readForm();
        if (!this.skipSpace()) this.error(start, 'EDN: metadata with nothing after it');
        return this.readForm();
      case 41:
      case 93:
      case 125:
        this.error(start, `EDN: unexpected "${t[start]}"`);
      // falls through (error never returns)
      default:
        return this.readAtom();
    }
  }

  /** Reads a vector or list, recording where each element starts when `offsets` is given. */
  readSeq(close: number, start: number, offsets?: number[]): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      if (!this.skipSpace()) this.error(start, `EDN: "${this.text[start]}" is never closed`);
      const c = this.text.charCodeAt(this.pos);
      if (c === close) {
        this.pos++;
        return out;
      }
      if (c === 41 || c === 93 || c === 125) this.error(this.pos, `EDN: "${this.text[this.pos]}" closes "${this.text[start]}"`);
      offsets?.push(this.pos);
      out.push(this.readForm());
    }
  }

  private readMap(start: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      if (!this.skipSpace()) this.error(start, 'EDN: "{" is never closed');
      let c = this.text.charCodeAt(this.pos);
      if (c === 125) {
        this.pos++;
        return out;
      }
      if (c === 41 || c === 93) this.error(this.pos, `EDN: "${this.text[this.pos]}" closes "{"`);
      const keyAt = this.pos;
      const key = mapKey(this.readForm());
      if (!this.skipSpace()) this.error(start, 'EDN: "{" is never closed');
      c = this.text.charCodeAt(this.pos);
      if (c === 125) this.error(keyAt, `EDN: map key ${key} has no value`);
      const value = this.readForm();
      // A "__proto__" key is data here, never the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
  }

  private readString(): string {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    let out = '';
    let from = i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (Number.isNaN(c)) this.error(start, 'EDN: string is never closed');
      if (c === 34) break;
      if (c === 92) {
        out += t.slice(from, i);
        const e = t[i + 1];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case 'u': {
            const hex = t.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.error(i, 'EDN: bad \\u escape in string');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            this.error(i, `EDN: unknown escape "\\${e ?? ''}" in string`);
        }
        i += 2;
        from = i;
      } else i++;
    }
    this.pos = i + 1;
    return out + t.slice(from, i);
  }

  private readChar(): string {
    const start = this.pos;
    let end = start + 2;
    while (end < this.text.length && !isDelim(this.text.charCodeAt(end))) end++;
    const name = this.text.slice(start + 1, end);
    this.pos = end;
    if (name.length === 0) this.error(start, 'EDN: "\\" with no character');
    if (name.length === 1) return name;
    if (CHAR_NAMES[name] !== undefined) return CHAR_NAMES[name];
    if (/^u[0-9a-fA-F]{4}$/.test(name)) return String.fromCharCode(parseInt(name.slice(1), 16));
    this.error(start, `EDN: unknown character "\\${name}"`);
  }

  private readDispatch(): unknown {
    const t = this.text;
    const start = this.pos;
    const next = t.charCodeAt(start + 1);
    if (next === 123 /* { set */) {
      this.pos += 2;
      return this.readSeq(125, start);
    }
    if (next === 34 /* " regex */) {
      this.pos++;
      return this.readString();
    }
    if (next === 35 /* ## symbolic value */) {
      this.pos += 2;
      const name = this.readToken();
      if (name === 'Inf') return Infinity;
      if (name === '-Inf') return -Infinity;
      if (name === 'NaN') return NaN;
      this.error(start, `EDN: unknown symbolic value "##${name}"`);
    }
    // A tagged literal: #tag form. Records print as #ns.Name{...} with no space.
    this.pos++;
    const tag = this.readToken();
    if (tag.length === 0) this.error(start, 'EDN: "#" with no tag');
    if (!this.skipSpace()) this.error(start, `EDN: tag #${tag} with nothing after it`);
    const value = this.readForm();
    if (tag === INDEPENDENT_TUPLE && Array.isArray(value)) independentTuples.add(value);
    // #inst, #uuid and unknown tags keep the value they wrap: faultline has no richer type for them.
    return value;
  }

  private readToken(): string {
    const t = this.text;
    const start = this.pos;
    let i = start;
    while (i < t.length && !isDelim(t.charCodeAt(i))) i++;
    this.pos = i;
    return t.slice(start, i);
  }

  private readAtom(): unknown {
    const start = this.pos;
    const tok = this.readToken();
    if (tok.length === 0) this.error(start, `EDN: unexpected "${this.text[start]}"`);
    const c = tok.charCodeAt(0);
    if (c === 58 /* : */) {
      if (tok.length === 1) this.error(start, 'EDN: ":" with no keyword name');
      return tok.charCodeAt(1) === 58 ? tok.slice(2) : tok.slice(1);
    }
    if (tok === 'nil') return null;
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    const digitFirst = (c >= 48 && c <= 57) || ((c === 43 || c === 45) && tok.length > 1 && tok.charCodeAt(1) >= 48 && tok.charCodeAt(1) <= 57);
    if (digitFirst) {
      if (NUMBER.test(tok)) {
        const last = tok.charCodeAt(tok.length - 1);
        return Number(last === 78 || last === 77 ? tok.slice(0, -1) : tok);
      }
      if (RATIO.test(tok)) {
        const [n, d] = tok.split('/');
        return Number(n) / Number(d);
      }
      this.error(start, `EDN: "${tok}" is not a number`);
    }
    return tok; // a symbol
  }
}

function isDelim(c: number): boolean {
  return c < 128 && cls[c] !== 0;
}

function mapKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'boolean') return String(key);
  if (key === null) return 'nil';
  return JSON.stringify(key);
}

/** Parses a whole EDN text holding exactly one form. */
export function parseEdn(text: string, file = '<edn>', firstLine = 1): unknown {
  const r = new EdnReader(text, file, firstLine);
  if (!r.skipSpace()) r.error(text.length, 'EDN: no value');
  const v = r.readForm();
  if (r.skipSpace()) r.error(r.pos, 'EDN: unexpected text after the value');
  return v;
}
