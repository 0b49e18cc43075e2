// Relative weights of a workload's op kinds, as options: each ≥ 0, at least one above 0.
import { InputError } from '../../histories/errors.js';

/** A schema property for one op kind's weight. */
export function weightOption(what: string, dflt: number, note = ''): Record<string, unknown> {
  return { type: 'number', minimum: 0, default: dflt, description: `relative weight of ${what} (0: none${note})` };
}

/** The weights in the order given; an InputError when all are 0 (the workload would do nothing). */
export function weights(workload: string, named: Record<string, number>): number[] {
  const ws = Object.values(named);
  if (!ws.some((w) => w > 0)) {
    throw new InputError(`workload ${workload}: options ${Object.keys(named).join(', ')} are all 0, so it has no op to send`);
  }
  return ws;
}
