// The JSON Schema of one op, compiled once at load; every reader validates through it.
import { Ajv, type ErrorObject } from 'ajv';
import { show } from './errors.js';

export const opSchema = {
  $id: 'https://github.com/faultline/faultline/schemas/op.json',
  title: 'faultline op',
  description: 'One record of a history: an invocation, its completion, or a nemesis event.',
  type: 'object',
  required: ['index', 'type', 'process', 'f', 'value'],
  properties: {
    index: { type: 'integer', description: 'Position in the history; unique, increasing.' },
    time: { type: 'number', description: 'Nanoseconds since the test started (monotonic clock).' },
    type: { enum: ['invoke', 'ok', 'fail', 'info'] },
    process: {
      anyOf: [{ type: 'integer' }, { const: 'nemesis' }],
      description: 'A client process number, or "nemesis".',
    },
    f: { type: 'string', minLength: 1, description: 'The operation: read, write, cas, txn, ...' },
    value: { description: 'Argument on invocation, result on completion; any JSON value.' },
    key: { description: 'The object the op acts on, for keyed workloads.' },
    node: { type: 'string' },
    error: {},
    result: { type: 'boolean', description: 'false on an ok conditional op whose condition failed.' },
    final: { type: 'boolean', description: 'Issued in the final phase, after the last heal.' },
  },
  additionalProperties: true,
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
export const validateOp = ajv.compile(opSchema);

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
