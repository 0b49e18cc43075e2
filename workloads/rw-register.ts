// Elle's rw-register: transactions of writes and reads of registers, values unique per key,
// checked for the anomalies that rule out the configured consistency models (strict-serializable
// by default). Weaker evidence than list-append (a read shows one write, not the order of all).
import { rwRegister as rwRegisterChecker } from '../checker/txn/index.js';
import { txnChecker, txnGenerator, txnOptionsSchema, type TxnSettings } from './common/txns.js';
import { builtinWorkload } from './common/target.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

export const rwRegister: Workload = {
  name: 'rw-register',
  description: 'transactions of writes and reads of a few registers; isolation anomalies (Elle rw-register)',
  optionsSchema: txnOptionsSchema,
  modes: ['leader-follower-sync', 'leader-follower-async', 'sharded', 'multi-leader-lww', 'multi-leader-vv'],
  targetOptions: () => builtinWorkload('rw-register'),
  generator: (o) => txnGenerator('rw-register', 'w', settings<TxnSettings>(txnOptionsSchema, o)),
  checker: (o) => txnChecker('rw-register', rwRegisterChecker, settings<TxnSettings>(txnOptionsSchema, o)),
};
