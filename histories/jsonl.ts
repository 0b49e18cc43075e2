// JSON Lines: one op per line. Read in chunks and parsed line by line, so a history of millions of
// ops never needs its text in memory at once.
import { isAscii } from 'node:buffer';
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HistoryBuilder } from './builder.js';
import { HistoryError } from './errors.js';
import { Decoder } from './jsonl-codec.js';
import type { JsonlWorkerInput, JsonlWorkerMessage } from './jsonl-worker.js';
import type { History } from './history.js';
import { assertUtf8 } from './utf8.js';

const CHUNK = 1 << 20;

/** Where parsed ops go: `add(raw, line)` for each op, warnings for a person. */
interface OpConsumer {
  add(raw: unknown, line: number): void;
  readonly warnings: string[];
}

class JsonlLineSink<C extends OpConsumer = OpConsumer> {
  line = 0;
  constructor(
    readonly file: string,
    readonly builder: C,
  ) {}

  /** One complete line (terminated by a newline in the file). */
  take(text: string): void {
    this.line++;
    const raw = this.parse(text);
    if (raw !== undefined) this.builder.add(raw, this.line);
  }

  /** A line the parsing thread already parsed (histories/jsonl-codec.ts), and its number. */
  takeParsed(raw: unknown, line: number): void {
    this.line = line;
    this.builder.add(raw, line);
  }

  /** A complete line at `line`, as text (the parsing thread left it to JSON.parse). */
  takeAt(text: string, line: number): void {
    this.line = line - 1;
    this.take(text);
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

/** Told how far a read has got: bytes read of the file's size. */
export type ReadProgress = (bytesRead: number, size: number) => void;

export interface JsonlReadOptions {
  progress?: ReadProgress;
  /**
   * Parse on a second thread, beside the caller's work on what is parsed: false (the default:
   * measured, it did not pay, see below); 'auto' for files of 8 MB and more when a core is free
   * (two or more, and the load average leaves one); true always. FAULTLINE_PARALLEL_READ=1 or
   * =auto asks for it from the environment.
   */
  parallel?: boolean | 'auto';
}

/** Reads a JSONL history file, streaming it. `file` is the name used in messages. */
export async function readJsonlFile(path: string, file = path, options: JsonlReadOptions = {}): Promise<History> {
  const builder = new HistoryBuilder(file);
  await readLines(path, new JsonlLineSink(file, builder), options);
  return builder.build();
}

/**
 * Streams a JSONL history: `take(raw, line)` gets each op's parsed JSON, in order, and nothing
 * is kept. For checkers that fold ops into compact state as they come.
 */
export async function streamJsonlFile(path: string, file: string, take: (raw: unknown, line: number) => void, options: JsonlReadOptions = {}): Promise<{ warnings: string[] }> {
  const consumer = { warnings: [] as string[], add: take };
  await readLines(path, new JsonlLineSink(file, consumer), options);
  return { warnings: consumer.warnings };
}

const PARALLEL_MIN_BYTES = 8 << 20;

// Off by default. On 100k list-append txns (57 MB) the checking thread's CPU went from ~950 to
// ~750 ms with a second thread, but that thread took ~550 ms more and V8's helper threads ~400 ms
// (two heaps allocating), so on this 2-core machine, shared and at load 4-20 all day, the whole
// check was slower: 1.73 s against bare JSON.parse's 0.66 s at load 4.7 (2.62x, one thread 2.39x),
// 11.6 s against 7.7 s on one thread at load 20. A machine with cores to spare may gain.
async function readLines(path: string, sink: JsonlLineSink<OpConsumer>, options: JsonlReadOptions): Promise<void> {
  const env = process.env.FAULTLINE_PARALLEL_READ;
  const parallel = options.parallel ?? (env === '1' ? true : env === 'auto' ? 'auto' : false);
  if (parallel !== false) {
    let size = -1;
    try {
      size = statSync(path).size;
    } catch {
      // the reading below reports it
    }
    if (parallel === true || (size >= PARALLEL_MIN_BYTES && spareCore())) {
      const url = parserUrl();
      if (url) return readLinesParallel(url, path, sink, options.progress);
    }
  }
  return readLinesHere(path, sink, options.progress);
}

/**
 * Whether a second thread would find a core to run on: two cores or more, and a load average
 * leaving one free (on a busy machine the two threads mostly wait to be scheduled).
 */
function spareCore(): boolean {
  const cores = availableParallelism();
  return cores > 1 && loadavg()[0] + 1 <= cores;
}

/** Where the compiled parsing thread is: beside this module in dist/, or in dist/ from the sources. */
function parserUrl(): URL | undefined {
  const here = new URL('./jsonl-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/histories/jsonl-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

// The file is read and parsed on another thread (histories/jsonl-worker.ts), a chunk at a time,
// while this one turns the parsed lines into ops and does whatever the caller does with them.
// Lines outside the encoding's subset come as text and are parsed here, as they would have been.
function readLinesParallel(url: URL, path: string, sink: JsonlLineSink<OpConsumer>, progress?: ReadProgress): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const consumed = new SharedArrayBuffer(4);
    const count = new Int32Array(consumed);
    const input: JsonlWorkerInput = { path, file: sink.file, chunk: CHUNK, consumed };
    const worker = new Worker(url, { workerData: input });
    let size = 0;
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(e);
    };
    worker.on('message', (m: JsonlWorkerMessage) => {
      if (settled) return;
      try {
        if (m.kind === 'batch') {
          const d = new Decoder(m.batch);
          const lines = m.batch.lines;
          for (let r = 0; r < m.batch.records; r++) {
            if (d.next()) sink.takeParsed(d.value, lines[r]);
            else sink.takeAt(d.text, lines[r]);
          }
          Atomics.add(count, 0, 1);
          Atomics.notify(count, 0);
          if (progress) {
            if (size === 0) size = statSync(path).size;
            progress(m.bytes, size);
          }
        } else if (m.kind === 'end') {
          sink.line = m.lastLine - 1;
          if (m.last !== undefined) sink.takeLast(m.last);
          settled = true;
          resolve();
        } else if (m.code !== undefined) {
          fail(Object.assign(new Error(m.message ?? m.code), { code: m.code }));
        } else fail(new HistoryError(sink.file, m.line, m.reason));
      } catch (e) {
        fail(e);
      }
    });
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('the JSONL parsing thread stopped early')));
  });
}

// Reads are synchronous: a check is synchronous work between reads anyway, and a thread-pool
// round trip per read (three per small file: open, read, close) costs more than the read itself
// when a command checks a hundred small files, or when the machine is busy.
async function readLinesHere(path: string, sink: JsonlLineSink<OpConsumer>, progress?: ReadProgress): Promise<void> {
  const file = sink.file;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    // A small file in one read; a big one in chunks.
    const chunk = Math.min(CHUNK, Math.max(4096, size + 1));
    let offset = 0;
    // One buffer: the unfinished last line is moved to its front and the next chunk read after it,
    // so no chunk is copied; ASCII text (the usual case) decodes as latin1, the fastest path.
    let buf = Buffer.allocUnsafe(chunk * 2);
    let carry = 0;
    for (;;) {
      if (buf.length - carry < chunk) {
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, carry);
        buf = grown;
      }
      const bytesRead = readSync(fd, buf, carry, chunk, null);
      if (bytesRead === 0) break;
      offset += bytesRead;
      const end = carry + bytesRead;
      const lastNl = buf.lastIndexOf(10, end - 1);
      if (lastNl < carry) {
        carry = end;
        continue;
      }
      const complete = buf.subarray(0, lastNl);
      const ascii = isAscii(complete);
      if (!ascii) assertUtf8(complete, file, sink.line + 1);
      const text = ascii ? complete.toString('latin1') : complete.toString('utf8');
      for (const line of text.split('\n')) sink.take(line);
      buf.copy(buf, 0, lastNl + 1, end);
      carry = end - (lastNl + 1);
      progress?.(offset, size);
    }
    if (carry > 0) {
      const rest = buf.subarray(0, carry);
      assertUtf8(rest, file, sink.line + 1);
      sink.takeLast(rest.toString('utf8'));
    }
  } finally {
    closeSync(fd);
  }
}

/** Parses JSONL text already in memory. */
export function parseJsonl(text: string, file = '<jsonl>'): History {
  const sink = new JsonlLineSink(file, new HistoryBuilder(file));
  const parts = text.split('\n');
  const last = parts.pop()!;
  for (const p of parts) sink.take(p);
  if (last.length) sink.takeLast(last);
  return sink.builder.build();
}
