// Jepsen's bank: accounts created with equal balances (one `init` op before the clients start),
// then transfers of random amounts between random accounts and reads of every balance, then a read
// on every node. Money is neither made nor lost: every read must show all the accounts and the
// initial total, with no negative balance.
import { bank as bankChecker } from '../checker/bank.js';
import { configured, withStatsAndPerf } from './common/checkers.js';
import { onEveryNode } from './common/per-node.js';
import { weightOption, weights } from './common/weights.js';
import { builtinWorkload } from './common/target.js';
import { mix, repeat } from './generator/index.js';
import { settings } from './options.js';
import type { Workload, WorkloadOptions } from './types.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    accounts: { type: 'integer', minimum: 2, maximum: 1000, default: 8, description: 'how many accounts (ids 0 … accounts-1)' },
    balance: { type: 'integer', minimum: 0, maximum: 1e9, default: 10, description: "each account's initial balance" },
    maxTransfer: { type: 'integer', minimum: 1, maximum: 1e9, default: 5, description: 'largest amount a transfer moves; each is 1 … maxTransfer' },
    transfers: weightOption('transfers', 1),
    reads: weightOption('reads', 1),
    negativeBalances: { type: 'boolean', default: false, description: 'the system under test allows overdrafts, so the checker accepts negative balances' },
  },
};

interface Settings {
  accounts: number;
  balance: number;
  maxTransfer: number;
  transfers: number;
  reads: number;
  negativeBalances: boolean;
}

const accountIds = (s: Settings): number[] => Array.from({ length: s.accounts }, (_, i) => i);

export const bank: Workload = {
  name: 'bank',
  description: 'transfers between accounts and reads of every balance; the total must never change (bank)',
  optionsSchema,
  modes: ['leader-follower-sync', 'leader-follower-async', 'multi-leader-lww', 'multi-leader-vv', 'sharded'],
  targetOptions: () => builtinWorkload('bank'),

  setup(o: WorkloadOptions) {
    const s = settings<Settings>(optionsSchema, o);
    return [{ f: 'init', value: { accounts: accountIds(s), balance: s.balance } }];
  },

  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    const w = weights('bank', { transfers: s.transfers, reads: s.reads });
    const transfer = repeat((ctx) => {
      const from = ctx.random.int(s.accounts);
      const to = (from + 1 + ctx.random.int(s.accounts - 1)) % s.accounts; // any account but `from`
      return { f: 'transfer', value: { from, to, amount: 1 + ctx.random.int(s.maxTransfer) } };
    });
    return mix([transfer, repeat({ f: 'read', value: null })], w);
  },

  final: (o) => onEveryNode(o, { f: 'read', value: null }),

  checker(o) {
    const s = settings<Settings>(optionsSchema, o);
    const options = { total: s.accounts * s.balance, accounts: accountIds(s), negativeBalances: s.negativeBalances };
    return withStatsAndPerf('bank', { bank: configured(bankChecker, { options }) });
  },
};
