// Workload options: validated against the workload's JSON Schema (ajv) with its defaults filled in.
// Unknown options are refused; a mistake is reported as one sentence naming the option.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InputError, show } from '../histories/errors.js';
import { canonicalModel, knownModels } from '../checker/txn/models.js';
import type { Workload } from './types.js';
import { parseKeyDistribution } from './common/key-choice.js';

// coerceTypes: options may come from command-line flags as strings ("3", "true"), and a single
// value where a list is expected is taken as a list of one.
const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true, coerceTypes: 'array' });

/** Formats workload schemas use, each with the sentence for a value that does not match. */
const formats: Record<string, { valid: (s: string) => boolean; wrong: (s: unknown) => string }> = {
  'consistency-model': {
    valid: (s) => canonicalModel(s) !== undefined,
    wrong: (s) => `is not a consistency model: ${show(s)}; known models: ${knownModels().join(', ')}`,
  },
  'key-distribution': {
    valid: (s) => typeof parseKeyDistribution(s) !== 'string',
    wrong: (s) => (typeof s === 'string' ? String(parseKeyDistribution(s)) : `is not a key distribution: ${show(s)}`),
  },
};
for (const [name, f] of Object.entries(formats)) ajv.addFormat(name, f.valid);
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** The option names a schema declares, for messages. */
function declared(schema: Record<string, unknown>, path: string[]): string[] {
  let s: unknown = schema;
  for (const p of path) s = (s as { properties?: Record<string, unknown> } | undefined)?.properties?.[p];
  const props = (s as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function describe(err: ErrorObject, schema: Record<string, unknown>, input: unknown): string {
  const path = err.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const field = path.join('.');
  if (err.keyword === 'additionalProperties') {
    const extra = (err.params as { additionalProperty: string }).additionalProperty;
    const known = declared(schema, path);
    const name = field ? `${field}.${extra}` : extra;
    return `unknown option "${name}"; ${known.length ? `known options: ${known.join(', ')}` : 'it takes no options'}`;
  }
  if (field === '') return `options must be an object of option: value, got ${show(input)}`;
  if (err.keyword === 'enum') {
    const allowed = (err.params as { allowedValues: unknown[] }).allowedValues.map((a) => show(a)).join(', ');
    return `option ${field} must be one of ${allowed}, got ${show(valueAt(input, path))}`;
  }
  // sizes have limits (issue 20 item 9): said in words, with the number as people write it
  if (err.keyword === 'maximum') return `option ${field} must be at most ${(err.params as { limit: number }).limit.toLocaleString('en-US')}, got ${show(valueAt(input, path))}`;
  const format = err.keyword === 'format' ? formats[(err.params as { format: string }).format] : undefined;
  if (format) return `option ${field} ${format.wrong(valueAt(input, path))}`;
  return `option ${field} ${err.message ?? 'is not valid'}, got ${show(valueAt(input, path))}`;
}

/** A workload option that does not fit its schema; `pointer` is the option's JSON pointer inside the options. */
export class WorkloadOptionError extends InputError {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
  }
}

/**
 * `raw` (the config's `workload.options`; absent means none) checked against `workload`'s
 * optionsSchema, with the schema's defaults filled in. Throws InputError naming the option (and
 * `file`, when given) at the first mistake. `raw` itself is left as it was.
 */
export function workloadOptions(workload: Pick<Workload, 'name' | 'optionsSchema'>, raw: unknown, file?: string): Record<string, unknown> {
  const input = raw === undefined || raw === null ? {} : raw;
  const copy: unknown = typeof input === 'object' ? structuredClone(input) : input;
  const validate = validatorFor(workload.optionsSchema);
  if (!validate(copy)) {
    const where = file ? `${file}: ` : '';
    const err = validate.errors![0];
    throw new WorkloadOptionError(`${where}workload ${workload.name}: ${describe(err, workload.optionsSchema, input)}`, err.instancePath);
  }
  return copy as Record<string, unknown>;
}

/**
 * The workload's own settings from `o`, each missing one taken from its schema default. The
 * runner validates options first (workloadOptions); this lets a workload also be driven directly
 * (tests, previews) with only some options given.
 */
export function settings<T>(schema: Record<string, unknown>, o: Record<string, unknown>): T {
  const props = (schema.properties ?? {}) as Record<string, { default?: unknown }>;
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(props)) out[k] = o[k] !== undefined ? o[k] : p.default;
  return out as T;
}
