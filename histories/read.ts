// One entry point for every history file: picks the reader, returns a History.
import { open, readFile } from 'node:fs/promises';
import { HistoryError, InputError } from './errors.js';
import { detectFormat, type Format, type FormatOption } from './formats.js';
import type { History } from './history.js';
import { parseJepsenEdn } from './jepsen-edn.js';
import { parseJsonArray } from './json-array.js';
import { parseJsonl, readJsonlFile } from './jsonl.js';
import { parsePorcupineEtcdLog } from './porcupine.js';
import { assertUtf8 } from './utf8.js';

export interface ReadOptions {
  format?: FormatOption;
  /** The name used in messages (default: the path). */
  name?: string;
}

export interface ReadResult {
  history: History;
  format: Format;
}

/** Parses history text already in memory. */
export function parseHistory(text: string, format: Format, file = '<history>'): History {
  switch (format) {
    case 'jsonl':
      return parseJsonl(text, file);
    case 'json':
      return parseJsonArray(text, file);
    case 'jepsen-edn':
    case 'porcupine-kv-log':
      return parseJepsenEdn(text, file);
    case 'porcupine-etcd-log':
      return parsePorcupineEtcdLog(text, file);
  }
}

async function readHead(path: string, file: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw unreadable(e, file);
  }
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
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
  if (options.format !== undefined && options.format !== 'auto') return options.format;
  const file = options.name ?? path;
  const detected = detectFormat(path, await readHead(path, file));
  if (!detected) throw new HistoryError(file, undefined, 'cannot tell the history format from its name or first bytes; pass --format');
  return detected;
}

/** Reads a history file in any supported format. */
export async function readHistoryFile(path: string, options: ReadOptions = {}): Promise<ReadResult> {
  const file = options.name ?? path;
  const format = await historyFormat(path, options);

  if (format === 'jsonl') {
    try {
      return { history: await readJsonlFile(path, file), format };
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw unreadable(e, file);
    }
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw unreadable(e, file);
  }
  assertUtf8(bytes, file);
  return { history: parseHistory(bytes.toString('utf8'), format, file), format };
}
