// `faultline check` arguments read without yargs, for the plain spellings people and scripts use:
// `--name value` or `--name=value` for the check command's own options, flags alone, file names.
// Anything else (help, an unknown or misspelt option, a repeated option, a value that yargs might
// read another way, a choice yargs would refuse) returns undefined and goes through yargs, which
// keeps every message and rule it had. test/cli-fast.test.ts holds this parser to what yargs hands
// the check command for the same argv.
import type { CheckArgs } from './check.js';
import { FORMATS } from '../histories/formats.js';

const STRINGS = new Set(['format', 'checker', 'model', 'init', 'out', 'junit', 'consistency-models', 'variant', 'option']);
const FLAGS = new Set(['json', 'keyed-tuples', 'sequential-keys', 'linearizable-keys', 'debug', 'progress']);
const CHOICES: Record<string, readonly string[]> = { format: ['auto', ...FORMATS], variant: ['cc', 'ccv', 'cm'] };
const NUMBER = /^(0|[1-9]\d*)(\.\d+)?$/;

export function fastCheckArgs(argv: readonly string[]): CheckArgs | undefined {
  if (argv[0] !== 'check') return undefined;
  const files: string[] = [];
  const strings = new Map<string, string>();
  const options: string[] = [];
  const flags = new Set<string>();
  let timeout: number | undefined;
  for (let i = 1; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('-')) {
      if (token.length === 0) return undefined;
      files.push(token);
      continue;
    }
    if (!token.startsWith('--') || token.length === 2) return undefined;
    const eq = token.indexOf('=');
    const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    if (FLAGS.has(name)) {
      // `--json false` and `--json=false` are yargs's to read.
      if (eq !== -1 || flags.has(name) || argv[i + 1] === 'true' || argv[i + 1] === 'false') return undefined;
      flags.add(name);
      continue;
    }
    if (!STRINGS.has(name) && name !== 'timeout') return undefined;
    let value: string;
    if (eq !== -1) value = token.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) return undefined;
      value = argv[++i];
    }
    if (value.length === 0 || value.startsWith('-')) return undefined;
    if (name === 'timeout') {
      if (timeout !== undefined || !NUMBER.test(value)) return undefined;
      timeout = Number(value);
    } else if (name === 'option') options.push(value);
    else {
      if (strings.has(name)) return undefined; // yargs would make it a list
      if (CHOICES[name] && !CHOICES[name].includes(value)) return undefined;
      strings.set(name, value);
    }
  }
  if (files.length === 0) return undefined;
  const args: CheckArgs = {
    files,
    format: strings.get('format') ?? 'auto',
    json: flags.has('json'),
    keyedTuples: flags.has('keyed-tuples'),
    sequentialKeys: flags.has('sequential-keys'),
    linearizableKeys: flags.has('linearizable-keys'),
  };
  if (strings.has('checker')) args.checker = strings.get('checker');
  if (strings.has('model')) args.model = strings.get('model');
  if (strings.has('init')) args.init = strings.get('init');
  if (strings.has('out')) args.out = strings.get('out');
  if (strings.has('junit')) args.junit = strings.get('junit');
  if (strings.has('consistency-models')) args.consistencyModels = strings.get('consistency-models');
  if (strings.has('variant')) args.variant = strings.get('variant');
  if (options.length) args.option = options;
  if (flags.has('progress')) args.progress = true;
  if (timeout !== undefined) args.timeout = timeout;
  return args;
}
