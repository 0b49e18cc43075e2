// The stdio contract's wire format (docs/stdio.md): one JSON request per line on the adapter's
// stdin, one JSON reply per line on its stdout, matched by id. This file only encodes requests,
// splits a byte stream into lines and validates a reply line; it does no I/O.
import { isUtf8 } from 'node:buffer';
import { Ajv, type ErrorObject } from 'ajv';
import type { Op } from '../../histories/op.js';

/** What faultline writes: the op's f, key (when the op has one) and value, under an id unique per adapter process. */
export interface AdapterRequest {
  id: number;
  f: string;
  key?: unknown;
  value: unknown;
}

export type ReplyType = 'ok' | 'fail' | 'info';

/** What the adapter writes back: the outcome of request `id`. */
export interface AdapterReply {
  id: number;
  type: ReplyType;
  value?: unknown;
  error?: unknown;
}

export const replySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'faultline stdio adapter reply',
  type: 'object',
  required: ['id', 'type'],
  properties: {
    id: { type: 'integer', minimum: 1, description: 'The id of the request this answers.' },
    type: { enum: ['ok', 'fail', 'info'], description: 'ok: it happened; fail: it certainly did not; info: unknown.' },
    value: { description: 'The completion value (absent: the request value).' },
    error: { description: 'Why it failed or is unknown.' },
  },
  additionalProperties: false,
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
const validateReply = ajv.compile<AdapterReply>(replySchema);

/** Replies longer than this are refused (a runaway line would otherwise grow without bound). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** One JSON line for `op` under `id` (without `key` when the op has none). */
export function encodeRequest(id: number, op: Pick<Op, 'f' | 'key' | 'value'>): string {
  const req: AdapterRequest = op.key === undefined ? { id, f: op.f, value: op.value === undefined ? null : op.value } : { id, f: op.f, key: op.key, value: op.value === undefined ? null : op.value };
  return `${JSON.stringify(req)}\n`;
}

/** A line quoted for an error message: JSON-escaped and cut short. */
export function quoteLine(line: string, max = 80): string {
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}...` : line);
}

function describeError(err: ErrorObject | undefined, raw: unknown): string {
  if (!err) return 'not a valid reply';
  if (err.instancePath === '' && err.keyword === 'type') return `not a reply object: ${quoteLine(JSON.stringify(raw))}`;
  if (err.keyword === 'required') return `reply has no "${(err.params as { missingProperty: string }).missingProperty}"`;
  if (err.keyword === 'additionalProperties') {
    return `reply has an unknown field "${(err.params as { additionalProperty: string }).additionalProperty}" (allowed: id, type, value, error)`;
  }
  const field = err.instancePath.split('/')[1] ?? '';
  const got = (raw as Record<string, unknown>)[field];
  if (field === 'id') return `"id" must be a positive integer (the request's id), got ${quoteLine(JSON.stringify(got) ?? 'nothing')}`;
  if (field === 'type') return `"type" must be "ok", "fail" or "info", got ${quoteLine(JSON.stringify(got) ?? 'nothing')}`;
  return `"${field}" ${err.message ?? 'is not valid'}`;
}

/** The reply on `line`, or one sentence saying why it is not one. */
export function parseReply(line: string): AdapterReply | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { problem: `not JSON: ${quoteLine(line)}` };
  }
  if (validateReply(raw)) return raw;
  return { problem: describeError(validateReply.errors?.[0], raw) };
}

/**
 * Cuts a byte stream into lines (without their '\n'). Bytes are kept until their line ends, so a
 * character split across chunks is decoded whole; '\r' before '\n' is dropped.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;

  /** Set once an unfinished line grew past the limit (its bytes are dropped). */
  overlong = false;

  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  /** The lines completed by `chunk`. */
  push(chunk: Buffer | string): string[] {
    return this.pushLines(chunk).map((l) => l.text);
  }

  /**
   * The lines completed by `chunk`, each with whether its bytes were UTF-8: decoding alone turns
   * invalid bytes into U+FFFD, and a reply so mangled was taken as an answer (issue 20 item 10).
   */
  pushLines(chunk: Buffer | string): { text: string; utf8: boolean }[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const lines: { text: string; utf8: boolean }[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      let line: Buffer = buf.subarray(start, nl);
      if (this.held > 0) {
        line = Buffer.concat([...this.parts, line]);
        this.parts = [];
        this.held = 0;
      }
      const end = line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length;
      lines.push({ text: line.toString('utf8', 0, end), utf8: isUtf8(line.subarray(0, end)) });
      start = nl + 1;
    }
    if (start < buf.length) {
      this.parts.push(buf.subarray(start));
      this.held += buf.length - start;
      if (this.held > this.maxBytes) {
        this.parts = [];
        this.held = 0;
        this.overlong = true;
      }
    }
    return lines;
  }

  /** What is left of an unfinished line (e.g. when the stream ended), '' if none. */
  rest(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}
