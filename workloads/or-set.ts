// An observed-remove set CRDT (built-in crdt mode): adds of unique elements, removes of recently
// added ones, reads, at any node; after the faults heal, every node's final read must show the
// same set, with no acknowledged add lost and no remove ignored that its node had seen the adds of.
import { crdtChecker, crdtFinal, crdtTarget, CRDT_MODES } from './common/crdt.js';
import { stateful } from './common/stateful.js';
import { weightOption, weights } from './common/weights.js';
import { settings } from './options.js';
import type { Workload } from './types.js';

/** Removes pick among the last this many elements added, so most remove something present. */
const RECENT = 8;

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    adds: weightOption('adds', 2),
    removes: weightOption('removes', 1, `; each removes one of the ${RECENT} elements added last`),
    reads: weightOption('reads', 1),
  },
};

interface Settings {
  adds: number;
  removes: number;
  reads: number;
}

export const orSet: Workload = {
  name: 'or-set',
  description: 'adds of unique elements, removes and reads of an OR-Set CRDT, a read on every node at the end; convergence',
  optionsSchema,
  modes: CRDT_MODES,
  generator(o) {
    const s = settings<Settings>(optionsSchema, o);
    const w = weights('or-set', { adds: s.adds, removes: s.removes, reads: s.reads });
    return stateful<number>(0, {
      next(added, ctx) {
        const kind = ctx.random.weighted(w);
        if (kind === 0 || (kind === 1 && added === 0 && s.adds > 0)) return { op: { f: 'add', value: added }, next: added + 1 };
        if (kind === 1) return { op: { f: 'remove', value: added === 0 ? 0 : added - 1 - ctx.random.int(Math.min(RECENT, added)) }, next: added };
        return { op: { f: 'read', value: null }, next: added };
      },
    });
  },
  final: crdtFinal,
  checker: () => crdtChecker('or-set'),
  targetOptions: () => crdtTarget('or-set'),
};
