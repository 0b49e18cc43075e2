// Transactions for the Elle workloads (list-append, rw-register), as Elle's generators make them:
// 1 … maxTxnLength micro-ops, each a read or a write (append) of a key from a small pool of active
// keys. A key takes at most maxWritesPerKey writes, its values 1, 2, 3, … (unique per key, so a
// read names the writes it saw); then a fresh key replaces it, which keeps lists short and the
// dependency graph cheap to search.
import { InputError } from '../../histories/errors.js';
import { canonicalModel, knownModels } from '../../checker/txn/models.js';
import type { Checker } from '../../checker/types.js';
import type { Generator } from '../generator/index.js';
import { configured, withStatsAndPerf } from './checkers.js';
import { stateful } from './stateful.js';
import { keyDistributionOption, keyPicker } from './key-choice.js';

export const txnOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    keys: { type: 'integer', minimum: 1, maximum: 1000, default: 5, description: 'active keys at any time' },
    minTxnLength: { type: 'integer', minimum: 1, maximum: 1000, default: 1, description: 'fewest micro-ops in a transaction' },
    maxTxnLength: { type: 'integer', minimum: 1, maximum: 1000, default: 4, description: 'most micro-ops in a transaction' },
    maxWritesPerKey: { type: 'integer', minimum: 1, maximum: 1000000, default: 32, description: 'writes a key takes before a fresh key replaces it' },
    keyDistribution: { ...keyDistributionOption('exponential'), description: 'how micro-ops pick among the active keys (slots: a retired key\'s successor takes its slot): exponential (each key half as likely as the one before, so some are hot), uniform, zipf:S or hot:SLOT:P' },
    consistencyModels: {
      type: 'array',
      items: { type: 'string', format: 'consistency-model' },
      minItems: 1,
      default: ['strict-serializable'],
      description: 'the models the history must satisfy (names as `faultline check --consistency-models` takes them)',
    },
  },
};

export interface TxnSettings {
  keys: number;
  minTxnLength: number;
  maxTxnLength: number;
  maxWritesPerKey: number;
  keyDistribution: string;
  consistencyModels: string[];
}

interface State {
  /** The key each slot of the pool holds now. */
  active: readonly number[];
  /** Writes each slot's key has taken. */
  written: readonly number[];
  nextKey: number;
}

/** Micro-op names: list-append writes with "append", rw-register with "w". */
export function txnGenerator(workload: string, write: 'append' | 'w', s: TxnSettings): Generator {
  if (s.minTxnLength > s.maxTxnLength) {
    throw new InputError(`workload ${workload}: minTxnLength (${s.minTxnLength}) is above maxTxnLength (${s.maxTxnLength})`);
  }
  const pickSlot = keyPicker(workload, s.keyDistribution, s.keys);
  const keys = Array.from({ length: s.keys }, (_, i) => i);
  return stateful<State>(
    { active: keys, written: keys.map(() => 0), nextKey: s.keys },
    {
      next(st, ctx) {
        const active = [...st.active];
        const written = [...st.written];
        let nextKey = st.nextKey;
        const length = s.minTxnLength + ctx.random.int(s.maxTxnLength - s.minTxnLength + 1);
        const mops: unknown[][] = [];
        for (let i = 0; i < length; i++) {
          const slot = pickSlot(ctx.random);
          const key = active[slot];
          if (ctx.random.chance(0.5)) {
            mops.push(['r', key, null]);
            continue;
          }
          mops.push([write, key, ++written[slot]]);
          if (written[slot] >= s.maxWritesPerKey) {
            active[slot] = nextKey++;
            written[slot] = 0;
          }
        }
        return { op: { f: 'txn', value: mops }, next: { active, written, nextKey } };
      },
    },
  );
}

/** Checks the model names early (before a test runs, not after), naming the known ones. */
export function checkModels(workload: string, models: readonly string[]): void {
  for (const m of models) {
    if (canonicalModel(m) === undefined) {
      throw new InputError(`workload ${workload}: unknown consistency model "${m}"; known models: ${knownModels().join(', ')}`);
    }
  }
}

export function txnChecker(name: string, checker: Checker, s: TxnSettings): Checker {
  checkModels(name, s.consistencyModels);
  return withStatsAndPerf(name, { [name]: configured(checker, { options: { consistencyModels: s.consistencyModels } }) });
}
