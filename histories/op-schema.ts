// The JSON Schema of one op: the single source of what a well-formed op is. Readers validate
// through the standalone validator generated from it (histories/validate-op.generated.ts, by
// scripts/gen-validators.mjs), so a check never loads or compiles ajv at run time.
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
