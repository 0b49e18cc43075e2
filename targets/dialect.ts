// What `read`, `add` and a txn's `r` mean in each workload: the op vocabulary (docs/workloads.md)
// reuses these names, so a target is told the workload it serves and looks its meaning up here.

export interface Dialect {
  read: 'register' | 'set' | 'counter' | 'bank';
  add: 'set' | 'counter';
  txnRead: 'list' | 'register' | 'by-txn';
}

export const DEFAULT_DIALECT: Dialect = { read: 'register', add: 'set', txnRead: 'by-txn' };

const DIALECTS: Record<string, Dialect> = {
  register: { read: 'register', add: 'set', txnRead: 'register' },
  set: { read: 'set', add: 'set', txnRead: 'by-txn' },
  'or-set': { read: 'set', add: 'set', txnRead: 'by-txn' },
  counter: { read: 'counter', add: 'counter', txnRead: 'by-txn' },
  'g-counter': { read: 'counter', add: 'counter', txnRead: 'by-txn' },
  'pn-counter': { read: 'counter', add: 'counter', txnRead: 'by-txn' },
  bank: { read: 'bank', add: 'set', txnRead: 'by-txn' },
  'list-append': { read: 'register', add: 'set', txnRead: 'list' },
  'rw-register': { read: 'register', add: 'set', txnRead: 'register' },
};

/** The workloads whose ops need a dialect (the others are unambiguous: queue, unique-ids, …). */
export const DIALECT_WORKLOADS: readonly string[] = Object.keys(DIALECTS);

/** The dialect of a workload; unknown or absent names get the defaults. */
export function dialectFor(workload: string | undefined): Dialect {
  return (workload !== undefined && DIALECTS[workload]) || DEFAULT_DIALECT;
}
