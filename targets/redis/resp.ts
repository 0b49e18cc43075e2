// RESP2, Redis's wire protocol, as far as a client needs it: commands go out as arrays of bulk
// strings; replies come back as simple strings, errors, integers, bulk strings (or nil) and arrays
// of those. The parser is incremental: bytes arrive in any chunking and whole replies come out.

/** An error reply (`-READONLY You can't write against a read only replica.`). */
export class RedisReplyError extends Error {
  /** The first word: ERR, READONLY, LOADING, MASTERDOWN, NOSCRIPT, BUSY, … */
  readonly code: string;
  constructor(readonly text: string) {
    super(text);
    this.name = 'RedisReplyError';
    this.code = /^[A-Z]+/.exec(text)?.[0] ?? 'ERR';
  }
}

export type Reply = string | number | null | RedisReplyError | Reply[];

const CRLF = Buffer.from('\r\n');

/** A command as RESP: `*N` then `$len` + bytes for each argument. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** Thrown when the bytes are not RESP: the connection is no longer usable. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** Feeds on chunks, hands out each complete reply in order. */
export class ReplyParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  constructor(private readonly onReply: (r: Reply) => void) {}

  feed(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    for (;;) {
      const start = this.pos;
      const r = this.parse();
      if (r === INCOMPLETE) {
        this.pos = start;
        return;
      }
      this.onReply(r);
    }
  }

  /** One reply from `pos`, or INCOMPLETE (and `pos` is then meaningless: the caller rewinds). */
  private parse(): Reply | typeof INCOMPLETE {
    const line = this.line();
    if (line === undefined) return INCOMPLETE;
    const kind = line[0];
    const rest = line.slice(1);
    switch (kind) {
      case '+':
        return rest;
      case '-':
        return new RedisReplyError(rest);
      case ':':
        return this.integer(rest);
      case '$': {
        const len = this.integer(rest);
        if (len < 0) return null;
        if (this.buf.length < this.pos + len + 2) return INCOMPLETE;
        const s = this.buf.toString('utf8', this.pos, this.pos + len);
        this.pos += len + 2;
        return s;
      }
      case '*': {
        const n = this.integer(rest);
        if (n < 0) return null;
        const out: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const r = this.parse();
          if (r === INCOMPLETE) return INCOMPLETE;
          out.push(r);
        }
        return out;
      }
      default:
        throw new ProtocolError(`unexpected reply type ${JSON.stringify(kind)}`);
    }
  }

  private line(): string | undefined {
    const end = this.buf.indexOf(CRLF, this.pos);
    if (end < 0) return undefined;
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 2;
    return s;
  }

  private integer(text: string): number {
    if (!/^-?\d+$/.test(text)) throw new ProtocolError(`not an integer: ${JSON.stringify(text.slice(0, 40))}`);
    return Number(text);
  }
}

const INCOMPLETE = Symbol('incomplete');

/** A flat [field, value, field, value, …] reply (SENTINEL MASTER, CONFIG GET) as a map. */
export function fieldMap(r: Reply): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(r)) return out;
  for (let i = 0; i + 1 < r.length; i += 2) {
    const k = r[i];
    const v = r[i + 1];
    if (typeof k === 'string') out.set(k, typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  }
  return out;
}

/** INFO's text (`# Section` headers, `key:value` lines) as a map. */
export function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}
