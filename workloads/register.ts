// Registers: reads, writes and compare-and-sets on one register (no key field) or on `keys`
// registers (each op picks one). Every value written — by a write or as a cas's new value — is
// unique across the test (a counter carried in the generator's state), so a read names the write
// it saw: what the linearizability, staleness and causal checkers rely on.
import { linearizable } from '../checker/linearizable/index.js';
import { staleness } from '../checker/staleness.js';
import type { GenEvent } from './generator/index.js';
import { configured, withStatsAndPerf } from './common/checkers.js';
import { onEveryNode } from './common/per-node.js';
import { stateful } from './common/stateful.js';
import { weightOption, weights } from './common/weights.js';
import { builtinWorkload } from './common/target.js';
import { settings } from './options.js';
import { InputError } from '../histories/errors.js';
import { keyDistributionOption, keyPicker } from './common/key-choice.js';
import { rangeChecker, withoutRanges } from '../checker/range.js';
import type { Workload, WorkloadOptions } from './types.js';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    keys: {
      type: 'integer',
      minimum: 0,
      // each key is a final read per node, and state per key in the generator and checkers:
      // keys=100000 made 300k ops and passed 3 GB (issue 20 item 9)
      maximum: 1000,
      default: 0,
      description: '0: a single register, ops carry no key; N: registers 0 … N-1, each op picks one at random',
    },
    reads: weightOption('reads', 1),
    writes: weightOption('writes', 1),
    cas: weightOption('compare-and-sets', 1, ', and the plain register model is checked'),
    ranges: weightOption('range reads (keys in [start, end), a random span of the keys; keys > 0 only)', 0),
    keyDistribution: keyDistributionOption('uniform'),
  },
};

interface Settings {
  keys: number;
  reads: number;
  writes: number;
  cas: number;
  ranges: number;
  keyDistribution: string;
}

interface State {
  /** The next value to write; values start at 1 so none is mistaken for the initial null. */
  nextValue: number;
  /** Per register (index 0 for the single one): the last value an ok op showed it holding. */
  seen: readonly unknown[];
}

const isRegisterOp = (f: string): boolean => f === 'read' || f === 'write' || f === 'cas';

/** The value an ok completion says the register held afterwards, or undefined for none. */
function shownValue(event: GenEvent): unknown {
  if (event.f === 'cas') return event.result === false || !Array.isArray(event.value) ? undefined : event.value[1];
  return event.value ?? undefined;
}

export const register: Workload = {
  name: 'register',
  description: 'reads, writes and compare-and-sets of unique values on one register or N keyed ones; linearizability and staleness',
  optionsSchema,
  modes: ['leader-follower-sync', 'leader-follower-async', 'sharded', 'multi-leader-lww', 'multi-leader-vv', 'cache'],
  targetOptions: () => builtinWorkload('register'),

  generator(o: WorkloadOptions) {
    const s = settings<Settings>(optionsSchema, o);
    if (s.ranges > 0 && s.keys === 0) throw new InputError('workload register: option ranges needs keys > 0 (a range is a span of keys)');
    const w = weights('register', { reads: s.reads, writes: s.writes, cas: s.cas, ranges: s.ranges });
    const slots = Math.max(1, s.keys);
    const pick = s.keys > 0 ? keyPicker('register', s.keyDistribution, s.keys) : () => 0;
    return stateful<State>(
      { nextValue: 1, seen: new Array<unknown>(slots).fill(null) },
      {
        next(st, ctx) {
          const k = pick(ctx.random);
          const key = s.keys > 0 ? { key: k } : {};
          switch (ctx.random.weighted(w)) {
            case 3: {
              // A span of at least one key, anywhere among them.
              const start = ctx.random.int(s.keys);
              return { op: { f: 'range', value: [start, start + 1 + ctx.random.int(s.keys - start)] }, next: st };
            }
            case 0:
              return { op: { f: 'read', ...key, value: null }, next: st };
            case 1:
              return { op: { f: 'write', ...key, value: st.nextValue }, next: { ...st, nextValue: st.nextValue + 1 } };
            default:
              // Expect what the register was last seen holding, so that some cas ops succeed.
              return { op: { f: 'cas', ...key, value: [st.seen[k], st.nextValue] }, next: { ...st, nextValue: st.nextValue + 1 } };
          }
        },
        observe(st, event) {
          if (event.type !== 'ok' || !isRegisterOp(event.f)) return st;
          const k = s.keys > 0 ? event.key : 0;
          if (typeof k !== 'number' || !(k >= 0 && k < slots)) return st;
          const v = shownValue(event);
          if (v === undefined || v === st.seen[k]) return st;
          const seen = [...st.seen];
          seen[k] = v;
          return { ...st, seen };
        },
      },
    );
  },

  final(o) {
    const s = settings<Settings>(optionsSchema, o);
    if (s.keys === 0) return onEveryNode(o, { f: 'read', value: null });
    return onEveryNode(o, Array.from({ length: s.keys }, (_, k) => ({ f: 'read', key: k, value: null })));
  },

  checker(o) {
    const s = settings<Settings>(optionsSchema, o);
    const lin = configured(linearizable, { model: s.cas > 0 ? 'cas-register' : 'register' });
    if (s.ranges === 0) return withStatsAndPerf('register', { linearizable: lin, staleness });
    // Range reads have no key: the per-key checkers take the rest; the range checker every register op and the ranges.
    return withStatsAndPerf('register', { linearizable: withoutRanges(lin), staleness: withoutRanges(staleness), range: rangeChecker });
  },
};
