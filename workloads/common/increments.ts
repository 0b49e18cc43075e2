// The increments counters are sent: small, never 0, negative half the time when allowed.
import type { Random } from '../generator/index.js';

export interface IncrementSettings {
  maxIncrement: number;
  negative?: boolean;
}

/** Schema properties for the increment's size and, when `withNegative`, the `negative` switch. */
export function incrementOptions(withNegative: boolean): Record<string, unknown> {
  return {
    maxIncrement: { type: 'integer', minimum: 1, default: 5, description: 'largest increment (in absolute value); each is 1 … maxIncrement' },
    ...(withNegative ? { negative: { type: 'boolean', default: false, description: 'decrements too: half the adds are negative' } } : {}),
  };
}

/** One increment: 1 … maxIncrement, negated half the time when `negative`. */
export function increment(s: IncrementSettings, random: Random): number {
  const n = 1 + random.int(s.maxIncrement);
  return s.negative === true && random.chance(0.5) ? -n : n;
}
