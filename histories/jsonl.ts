// JSON Lines: one op per line. Read in chunks and parsed line by line, so a history of millions of
// ops never needs its text in memory at once.
import { open } from 'node:fs/promises';
import { HistoryBuilder } from './builder.js';
import { HistoryError } from './errors.js';
import type { History } from './history.js';
import { assertUtf8 } from './utf8.js';

const CHUNK = 1 << 20;

class JsonlLineSink {
  readonly builder: HistoryBuilder;
  line = 0;
  constructor(readonly file: string) {
    this.builder = new HistoryBuilder(file);
  }

  /** One complete line (terminated by a newline in the file). */
  take(text: string): void {
    this.line++;
    const raw = this.parse(text);
    if (raw !== undefined) this.builder.add(raw, this.line);
  }

  /** The last line, which had no newline after it: a writer may have died in the middle of it. */
  takeLast(text: string): void {
    this.line++;
    let raw: unknown;
    try {
      raw = this.parse(text);
    } catch (e) {
      // Only the start of an op counts as truncated; other junk is an error like anywhere else.
      if (!(e instanceof HistoryError) || !text.trimStart().startsWith('{')) throw e;
      this.builder.warnings.push(
        `${this.file}:${this.line}: dropped a truncated last line (its writer probably died mid-line)`,
      );
      return;
    }
    if (raw !== undefined) this.builder.add(raw, this.line);
  }

  private parse(text: string): unknown {
    let s = text;
    if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
    if (this.line === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    if (s.length === 0 || s.trim().length === 0) return undefined;
    try {
      return JSON.parse(s);
    } catch (e) {
      const why = e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e);
      throw new HistoryError(this.file, this.line, `not valid JSON (${why})`);
    }
  }
}

/** Reads a JSONL history file, streaming it. `file` is the name used in messages. */
export async function readJsonlFile(path: string, file = path): Promise<History> {
  const sink = new JsonlLineSink(file);
  const handle = await open(path, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      const lastNl = data.lastIndexOf(10);
      if (lastNl === -1) {
        carry = Buffer.from(data);
        continue;
      }
      const complete = data.subarray(0, lastNl);
      assertUtf8(complete, file, sink.line + 1);
      for (const text of complete.toString('utf8').split('\n')) sink.take(text);
      carry = Buffer.from(data.subarray(lastNl + 1));
    }
    if (carry.length) {
      assertUtf8(carry, file, sink.line + 1);
      sink.takeLast(carry.toString('utf8'));
    }
  } finally {
    await handle.close();
  }
  return sink.builder.build();
}

/** Parses JSONL text already in memory. */
export function parseJsonl(text: string, file = '<jsonl>'): History {
  const sink = new JsonlLineSink(file);
  const parts = text.split('\n');
  const last = parts.pop()!;
  for (const p of parts) sink.take(p);
  if (last.length) sink.takeLast(last);
  return sink.builder.build();
}
