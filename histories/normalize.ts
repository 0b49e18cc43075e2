// Turns a record as a reader found it into an Op, accepting what is unambiguous in real files:
// a missing index is its position, a missing value is null, and an op without f whose value is a
// list of micro-ops is a txn. Everything else must pass the schema.
import { HistoryError, show } from './errors.js';
import type { Op } from './op.js';
import { NESTING_TEXT, opNestedTooDeep } from './nesting.js';
import { describeOpError, validateOp } from './schema.js';

export function looksLikeMicroOps(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const mop of value) {
    if (!Array.isArray(mop) || mop.length < 2 || typeof mop[0] !== 'string') return false;
  }
  return true;
}

/**
 * Validates `raw` (mutating it in place: readers hand over fresh objects) and returns it as an Op.
 * `position` is the op's place in the history, `line` its first line in `file`.
 */
export function normalizeOp(raw: unknown, position: number, file: string, line: number): Op {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HistoryError(file, line, `expected an op object, got ${show(raw)}`);
  }
  const op = raw as Record<string, unknown>;
  if (opNestedTooDeep(op)) throw new HistoryError(file, line, `op ${NESTING_TEXT}`);
  if (op.index === undefined) op.index = position;
  if (op.value === undefined) op.value = null;
  if (op.f === undefined && looksLikeMicroOps(op.value)) op.f = 'txn';
  if (!validateOp(op)) throw new HistoryError(file, line, describeOpError(op, validateOp.errors));
  return op as Op;
}
