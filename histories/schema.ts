// Op validation: the validator generated from the op schema (histories/op-schema.ts) ahead of time
// with ajv's standalone code (scripts/gen-validators.mjs; a test keeps it equal to a fresh
// compile), so reading a history neither loads ajv nor compiles the schema at start-up.
import type { ErrorObject } from 'ajv';
import { show } from './errors.js';
import { validate } from './validate-op.generated.js';

export { opSchema } from './op-schema.js';

/** True when `op` is a well-formed op; on false, `validateOp.errors` holds ajv's first error. */
export const validateOp = validate as { (op: unknown): boolean; errors?: ErrorObject[] | null };

const expected: Record<string, string> = {
  index: 'an integer',
  time: 'a number (nanoseconds)',
  type: 'one of "invoke", "ok", "fail", "info"',
  process: 'an integer or "nemesis"',
  f: 'a non-empty string',
  node: 'a string',
  result: 'true or false',
  final: 'true or false',
};

/** Turns ajv's first error on an op into one sentence a person can act on. */
export function describeOpError(op: Record<string, unknown>, errors: ErrorObject[] | null | undefined): string {
  const err = errors?.[0];
  if (!err) return 'op is not valid';
  if (err.keyword === 'required') {
    return `op has no "${(err.params as { missingProperty: string }).missingProperty}"`;
  }
  if (err.keyword === 'type' && err.instancePath === '') return `expected an op object, got ${show(op)}`;
  const field = err.instancePath.split('/')[1] ?? '';
  const want = expected[field] ?? 'valid';
  return `"${field}" must be ${want}, got ${show(op[field])}`;
}
