// A grow-only counter CRDT (built-in crdt mode): positive adds and reads at any node; after the
// faults heal, every node's final read must show the same count, within what the adds allow.
import { crdtChecker, crdtFinal, crdtTarget, CRDT_MODES } from './common/crdt.js';
import { increment, incrementOptions, type IncrementSettings } from './common/increments.js';
import { weightOption, weights } from './common/weights.js';
import { mix, repeat } from './generator/index.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    adds: weightOption('adds', 1),
    reads: weightOption('reads', 1),
    ...incrementOptions(false),
  },
};

interface Settings extends IncrementSettings {
  adds: number;
  reads: number;
}

export const gCounter: Workload = {
  name: 'g-counter',
  description: 'increments and reads of a G-Counter CRDT, a read on every node at the end; convergence',
  optionsSchema,
  modes: CRDT_MODES,
  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    const w = weights('g-counter', { adds: s.adds, reads: s.reads });
    return mix([repeat((ctx) => ({ f: 'add', value: increment(s, ctx.random) })), repeat({ f: 'read', value: null })], w);
  },
  final: crdtFinal,
  checker: () => crdtChecker('g-counter'),
  targetOptions: () => crdtTarget('g-counter'),
};
