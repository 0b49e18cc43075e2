// Reading a history file: its format (given, or told from its name and first bytes), then the
// reader of that format, loaded only when a file needs it, so a check of JSONL files never loads
// the EDN and Porcupine readers.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { HistoryError, InputError } from './errors.js';
import { detectFormat, type Format, type FormatOption } from './formats.js';
import { notARegularFile } from './input-file.js';
import type { History } from './history.js';
import { parseJsonl, readJsonlFile } from './jsonl.js';
import { assertUtf8 } from './utf8.js';

export interface ReadOptions {
  format?: FormatOption;
  /** The name used in messages (default: the path). */
  name?: string;
  /** Told how far the read has got (JSONL, read in chunks) or that parsing began (the others). */
  progress?: { phase(name: string, done?: number, total?: number, unit?: string): void };
}

export interface ReadResult {
  history: History;
  format: Format;
}

// Each reader is imported once, when a file first needs it (an import() per file would go
// through the module loader each time: ~0.1 ms, a tenth of reading a small file).
let porcupine: typeof import('./porcupine.js') | undefined;
let jepsenEdn: typeof import('./jepsen-edn.js') | undefined;
let jsonArray: typeof import('./json-array.js') | undefined;

/** Parses history text, loading its format's reader. */
async function parseText(text: string, format: Format, file: string): Promise<History> {
  switch (format) {
    case 'jsonl':
      return parseJsonl(text, file);
    case 'json':
      return (jsonArray ??= await import('./json-array.js')).parseJsonArray(text, file);
    case 'jepsen-edn':
      return (jepsenEdn ??= await import('./jepsen-edn.js')).parseJepsenEdn(text, file);
    case 'porcupine-kv-log':
      return (jepsenEdn ??= await import('./jepsen-edn.js')).parsePorcupineKvLog(text, file);
    case 'porcupine-etcd-log':
      return (porcupine ??= await import('./porcupine.js')).parsePorcupineEtcdLog(text, file);
  }
}

// The first 4 KB, read synchronously: one small read, and no trip through the thread pool
// before the first byte (a small check's whole read takes less than starting that pool).
function readHead(path: string, file: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw unreadable(e, file);
  }
  try {
    const buf = Buffer.alloc(4096);
    const bytesRead = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch (e) {
    // standard input or <(…) as a pipe: looking at its first bytes would use them up
    if ((e as NodeJS.ErrnoException)?.code === 'ESPIPE') throw new HistoryError(file, undefined, 'a pipe: its format cannot be told from its first bytes; pass --format');
    throw unreadable(e, file);
  } finally {
    closeSync(fd);
  }
}

function unreadable(e: unknown, file: string): InputError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new HistoryError(file, undefined, 'no such file');
  if (code === 'EISDIR') return new HistoryError(file, undefined, 'is a directory, not a history file');
  if (code === 'EACCES') return new HistoryError(file, undefined, 'permission denied');
  return new HistoryError(file, undefined, `cannot read: ${(e as Error)?.message ?? String(e)}`);
}

/** The format of a history file: as given, or told from its name and first bytes. */
export async function historyFormat(path: string, options: ReadOptions = {}): Promise<Format> {
  const file = options.name ?? path;
  const special = notARegularFile(path);
  if (special !== undefined) throw new HistoryError(file, undefined, special);
  if (options.format !== undefined && options.format !== 'auto') return options.format;
  const detected = detectFormat(path, readHead(path, file));
  if (!detected) throw new HistoryError(file, undefined, 'cannot tell the history format from its name or first bytes; pass --format');
  return detected;
}

/** Reads a history file in any supported format. */
export async function readHistoryFile(path: string, options: ReadOptions = {}): Promise<ReadResult> {
  const file = options.name ?? path;
  const format = await historyFormat(path, options);

  if (format === 'jsonl') {
    try {
      const progress = options.progress;
      return { history: await readJsonlFile(path, file, { progress: progress && ((read, size) => progress.phase('reading', read, size, 'bytes')) }), format };
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw unreadable(e, file);
    }
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path); // one read: no thread-pool round trips (see jsonl.ts)
  } catch (e) {
    throw unreadable(e, file);
  }
  assertUtf8(bytes, file);
  options.progress?.phase('parsing', bytes.length, undefined, 'bytes');
  return { history: await parseText(bytes.toString('utf8'), format, file), format };
}
