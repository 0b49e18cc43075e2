// The increments counters are sent: small, never 0, negative half the time when allowed; and the
// add/read mix every counter workload (counter, g-counter, pn-counter) runs.
import { mix, repeat, type Gen, type Random } from '../generator/index.js';
import { weightOption, weights } from './weights.js';

export interface IncrementSettings {
  maxIncrement: number;
  negative?: boolean;
}

/** Schema properties for the increment's size and, when `withNegative`, the `negative` switch. */
export function incrementOptions(withNegative: boolean): Record<string, unknown> {
  return {
    maxIncrement: { type: 'integer', minimum: 1, maximum: 1e9, default: 5, description: 'largest increment (in absolute value); each is 1 … maxIncrement' },
    ...(withNegative ? { negative: { type: 'boolean', default: false, description: 'decrements too: half the adds are negative' } } : {}),
  };
}

/** One increment: 1 … maxIncrement, negated half the time when `negative`. */
export function increment(s: IncrementSettings, random: Random): number {
  const n = 1 + random.int(s.maxIncrement);
  return s.negative === true && random.chance(0.5) ? -n : n;
}

export interface CounterSettings extends IncrementSettings {
  adds: number;
  reads: number;
}

/** The options schema of a counter workload: add and read weights, the increment's size. */
export function counterOptionsSchema(withNegative: boolean): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { adds: weightOption('adds', 1), reads: weightOption('reads', 1), ...incrementOptions(withNegative) },
  };
}

/** Adds of increments and reads, mixed by their weights. */
export function counterOps(workload: string, s: CounterSettings): Gen {
  const w = weights(workload, { adds: s.adds, reads: s.reads });
  return mix([repeat((ctx) => ({ f: 'add', value: increment(s, ctx.random) })), repeat({ f: 'read', value: null })], w);
}
