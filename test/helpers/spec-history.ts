// Hand-written client histories for checker tests: ops as (type, process, f, value), serialized to
// JSONL and read back, so op i is on line i + 1 and errors name real lines.
import type { History } from '../../histories/history.js';
import { parseHistory } from '../../histories/read.js';

export type Spec = { type: 'invoke' | 'ok' | 'fail' | 'info'; process: number; f: string; value?: unknown };

const op = (type: Spec['type']) => (process: number, f: string, value?: unknown): Spec => ({ type, process, f, ...(value !== undefined ? { value } : {}) });
export const inv = op('invoke');
export const ok = op('ok');
export const fail = op('fail');
export const info = op('info');

/** A JSONL history (index = position, line = position + 1) of `ops`, named `file` in messages. */
export function specHistory(file: string, ...ops: Spec[]): History {
  return parseHistory(ops.map((o, index) => JSON.stringify({ index, ...o })).join('\n') + '\n', 'jsonl', file);
}
