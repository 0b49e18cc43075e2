// The check command's arguments read without yargs (cli/fast-check.ts) must be exactly what yargs
// hands the command for the same argv, whenever the fast reader accepts the argv at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckArgs } from '../cli/check.js';
import { fastCheckArgs } from '../cli/fast-check.js';
import { main } from '../cli/main.js';

const FIELDS = ['files', 'format', 'checker', 'model', 'init', 'json', 'out', 'junit', 'timeout', 'keyedTuples', 'consistencyModels', 'sequentialKeys', 'linearizableKeys', 'variant', 'option', 'progress'] as const;

/** What yargs passes to the check command for `argv`, in CheckArgs' fields; undefined if it refuses. */
async function viaYargs(argv: string[]): Promise<Partial<CheckArgs> | undefined> {
  let got: Partial<CheckArgs> | undefined;
  const quiet = { stdout: () => {}, stderr: () => {} };
  const code = await main(argv, quiet, { check: async (a) => ((got = a), 0) }, { fast: false });
  if (code !== 0 || !got) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) if ((got as Record<string, unknown>)[f] !== undefined) out[f] = (got as Record<string, unknown>)[f];
  return out as Partial<CheckArgs>;
}

const samples: string[][] = [
  ['check', 'h.jsonl'],
  ['check', 'a.jsonl', 'b.edn', 'dir'],
  ['check', '--model', 'cas-register', '--format', 'porcupine-etcd-log', 'logs/'],
  ['check', '--model=cas-register', '--init', '0', 'h.edn'],
  ['check', 'h.jsonl', '--json', '--checker', 'list-append', '--consistency-models', 'serializable,snapshot-isolation'],
  ['check', '--option', 'total=100', '--option', 'accounts=[1,2]', 'h.jsonl', '--checker', 'bank'],
  ['check', '--timeout', '5', '--keyed-tuples', 'h.jsonl', '--debug'],
  ['check', '--timeout=0.5', '--sequential-keys', '--linearizable-keys', '--variant', 'ccv', 'h.jsonl'],
  ['check', '--out', 'out', '--junit', 'j.xml', 'h.jsonl'],
  ['check', '--progress', 'h.jsonl', '--json'],
  ['check', '--init', '{"a":1}', '--model', 'multi-register', 'h.jsonl'],
  ['check', '--init', '"x y"', 'h.jsonl', '--model', 'kv'],
  ['check', '123', '--init', '1.50'],
];

describe('fast check arguments', () => {
  it('are what yargs gives the check command, on the usual spellings', async () => {
    for (const argv of samples) {
      const fast = fastCheckArgs(argv);
      expect(fast, argv.join(' ')).toBeDefined();
      expect(fast, argv.join(' ')).toEqual(await viaYargs(argv));
    }
  });

  it('leave help, mistakes and unusual spellings to yargs', () => {
    const refused: string[][] = [
      ['check'],
      ['check', '--help'],
      ['check', '-h', 'h.jsonl'],
      ['check', '--modle', 'x', 'h.jsonl'],
      ['check', '--json', 'false', 'h.jsonl'],
      ['check', '--no-json', 'h.jsonl'],
      ['check', '--model', 'a', '--model', 'b', 'h.jsonl'],
      ['check', '--format', 'xml', 'h.jsonl'],
      ['check', '--timeout', 'soon', 'h.jsonl'],
      ['check', '--init', '-1', 'h.jsonl'],
      ['check', '--keyedTuples', 'h.jsonl'],
      ['check', '--', 'h.jsonl'],
      ['check', '-', 'h.jsonl'],
      ['check', 'h.jsonl', '--model'],
      ['test', '--json'],
      ['--version'],
    ];
    for (const argv of refused) expect(fastCheckArgs(argv), argv.join(' ')).toBeUndefined();
  });

  it('agree with yargs on random argv over the check options', async () => {
    const token = fc.oneof(
      fc.constantFrom('--model', '--format', '--checker', '--init', '--option', '--timeout', '--json', '--keyed-tuples', '--sequential-keys', '--linearizable-keys', '--debug', '--progress', '--no-progress', '--variant', '--out', '--junit', '--consistency-models', '--model=cas-register', '--format=jsonl', '--timeout=2', '--help', '--bogus', '-x'),
      fc.constantFrom('cas-register', 'jsonl', 'auto', 'ccv', 'cm', '0', '1.5', '12', 'true', 'false', 'h.jsonl', 'dir/', 'k=v', '[1,2]', '{"a":1}', '-1', ''),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 8 }), async (rest) => {
        const argv = ['check', ...rest];
        const fast = fastCheckArgs(argv);
        if (fast === undefined) return;
        expect(fast).toEqual(await viaYargs(argv));
      }),
      { numRuns: 300 },
    );
  });
});
