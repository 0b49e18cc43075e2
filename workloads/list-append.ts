// Elle's list-append: transactions of appends to and reads of lists, checked for the isolation
// anomalies that rule out the configured consistency models (strict-serializable by default).
import { listAppend as listAppendChecker } from '../checker/txn/index.js';
import { txnChecker, txnGenerator, txnOptionsSchema, type TxnSettings } from './common/txns.js';
import { builtinWorkload } from './common/target.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

export const listAppend: Workload = {
  name: 'list-append',
  description: 'transactions of appends to and reads of a few lists; isolation anomalies (Elle list-append)',
  optionsSchema: txnOptionsSchema,
  modes: ['leader-follower-sync', 'leader-follower-async', 'sharded', 'multi-leader-lww', 'multi-leader-vv'],
  targetOptions: () => builtinWorkload('list-append'),
  generator: (o) => txnGenerator('list-append', 'append', settings<TxnSettings>(txnOptionsSchema, o)),
  checker: (o) => txnChecker('list-append', listAppendChecker, settings<TxnSettings>(txnOptionsSchema, o)),
};
