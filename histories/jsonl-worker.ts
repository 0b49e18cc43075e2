// The thread that reads a big JSONL history beside the one that checks it (histories/jsonl.ts):
// it reads the file in chunks, checks each chunk is UTF-8, scans its lines into the compact
// encoding of jsonl-codec.ts and posts them a batch per chunk, waiting while the reader is more
// than a few batches behind. Whatever it cannot encode goes as text, and the reader parses it.
import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryError } from './errors.js';
import { Encoder } from './jsonl-codec.js';
import { assertUtf8 } from './utf8.js';

export interface JsonlWorkerInput {
  path: string;
  file: string;
  chunk: number;
  /** [batches consumed by the reader]: the worker waits while it is MAX_AHEAD behind. */
  consumed: SharedArrayBuffer;
}

export type JsonlWorkerMessage =
  | { kind: 'batch'; batch: import('./jsonl-codec.js').EncodedBatch; bytes: number }
  | { kind: 'end'; last: string | undefined; lastLine: number; bytes: number }
  | { kind: 'error'; line: number | undefined; reason: string; code?: string; message?: string };

const MAX_AHEAD = 4;

function run(input: JsonlWorkerInput): void {
  const port = parentPort!;
  const consumed = new Int32Array(input.consumed);
  const enc = new Encoder();
  let fd: number;
  try {
    fd = openSync(input.path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    port.postMessage({ kind: 'error', line: undefined, reason: '', code: err.code, message: err.message } satisfies JsonlWorkerMessage);
    return;
  }
  try {
    let buf = Buffer.allocUnsafe(input.chunk * 2);
    let carry = 0;
    let line = 1; // number of the first line in buf
    let offset = 0;
    let posted = 0;
    for (;;) {
      if (buf.length - carry < input.chunk) {
        const g = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(g, 0, 0, carry);
        buf = g;
      }
      const n = readSync(fd, buf, carry, input.chunk, null);
      if (n === 0) break;
      offset += n;
      const end = carry + n;
      const lastNl = buf.lastIndexOf(10, end - 1);
      if (lastNl < carry) {
        carry = end;
        continue;
      }
      const complete = buf.subarray(0, lastNl);
      const ascii = isAscii(complete);
      if (!ascii) assertUtf8(complete, input.file, line);
      const text = ascii ? (a: number, b: number) => buf.toString('latin1', a, b) : (a: number, b: number) => buf.toString('utf8', a, b);
      enc.reset();
      for (let from = 0; from <= lastNl; line++) {
        let to = buf.indexOf(10, from);
        if (to === -1 || to > lastNl) to = lastNl;
        enc.line(buf, from, to, line, text);
        from = to + 1;
      }
      const batch = enc.take();
      const transfer = [batch.lines.buffer, batch.tags.buffer, batch.ints.buffer, batch.nums.buffer] as ArrayBuffer[];
      port.postMessage({ kind: 'batch', batch, bytes: offset } satisfies JsonlWorkerMessage, transfer);
      posted++;
      // Wait while the reader is far behind, so a big file is never all in memory as batches.
      for (let seen = Atomics.load(consumed, 0); posted - seen > MAX_AHEAD; seen = Atomics.load(consumed, 0)) {
        Atomics.wait(consumed, 0, seen, 1000);
      }
      buf.copy(buf, 0, lastNl + 1, end);
      carry = end - (lastNl + 1);
    }
    let last: string | undefined;
    if (carry > 0) {
      const rest = buf.subarray(0, carry);
      assertUtf8(rest, input.file, line);
      last = rest.toString('utf8');
    }
    port.postMessage({ kind: 'end', last, lastLine: line, bytes: offset } satisfies JsonlWorkerMessage);
  } catch (e) {
    if (e instanceof HistoryError) port.postMessage({ kind: 'error', line: e.line, reason: e.reason } satisfies JsonlWorkerMessage);
    else {
      const err = e as NodeJS.ErrnoException;
      port.postMessage({ kind: 'error', line: undefined, reason: '', code: err.code, message: err.message } satisfies JsonlWorkerMessage);
    }
  } finally {
    closeSync(fd);
  }
}

if (parentPort && workerData) run(workerData as JsonlWorkerInput);
