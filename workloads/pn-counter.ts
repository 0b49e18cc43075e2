// A PN-Counter CRDT (built-in crdt mode): increments and decrements and reads at any node; after
// the faults heal, every node's final read must show the same count, within what the adds allow.
import { crdtChecker, crdtFinal, crdtTarget, CRDT_MODES } from './common/crdt.js';
import { counterOps, incrementOptions, type CounterSettings } from './common/increments.js';
import { weightOption } from './common/weights.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    adds: weightOption('adds', 1, '; half of them are decrements'),
    reads: weightOption('reads', 1),
    ...incrementOptions(false),
  },
};

type Settings = CounterSettings;

export const pnCounter: Workload = {
  name: 'pn-counter',
  description: 'increments, decrements and reads of a PN-Counter CRDT, a read on every node at the end; convergence',
  optionsSchema,
  modes: CRDT_MODES,
  generator(o) {
    const s = { ...settings<Settings>(optionsSchema, o), negative: true };
    return counterOps('pn-counter', s);
  },
  final: crdtFinal,
  checker: () => crdtChecker('pn-counter'),
  targetOptions: () => crdtTarget('pn-counter'),
};
