// A grow-only counter CRDT (built-in crdt mode): positive adds and reads at any node; after the
// faults heal, every node's final read must show the same count, within what the adds allow.
import { crdtChecker, crdtFinal, crdtTarget, CRDT_MODES } from './common/crdt.js';
import { counterOps, counterOptionsSchema, type CounterSettings } from './common/increments.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

const optionsSchema = counterOptionsSchema(false);

type Settings = CounterSettings;

export const gCounter: Workload = {
  name: 'g-counter',
  description: 'increments and reads of a G-Counter CRDT, a read on every node at the end; convergence',
  optionsSchema,
  modes: CRDT_MODES,
  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    return counterOps('g-counter', s);
  },
  final: crdtFinal,
  checker: () => crdtChecker('g-counter'),
  targetOptions: () => crdtTarget('g-counter'),
};
