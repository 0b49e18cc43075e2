// How a keyed workload picks among its keys (`--option keyDistribution=…`): uniform; exponential
// (each key half as likely as the one before: Elle's default); zipf:S (key k, counting from 0, in
// proportion to 1/(k+1)^S — a few hot keys and a long tail, as real key popularity goes); or
// hot:KEY:P (one celebrity key taking P of the ops, the rest spread evenly over the other keys).
// Picking is a binary search over cumulative weights, so a thousand keys cost what ten do.
import { InputError } from '../../histories/errors.js';
import type { Random } from '../../base/random.js';

export type KeyDistribution =
  | { kind: 'uniform' }
  | { kind: 'exponential' }
  | { kind: 'zipf'; s: number }
  | { kind: 'hot'; key: number; p: number };

const ZIPF = /^zipf:(\d+(?:\.\d+)?)$/;
const HOT = /^hot:(\d+):(\d*\.?\d+)$/;

/** The distribution `text` names, or a sentence saying why it names none. */
export function parseKeyDistribution(text: string): KeyDistribution | string {
  if (text === 'uniform' || text === 'exponential') return { kind: text };
  const z = ZIPF.exec(text);
  if (z) {
    const s = Number(z[1]);
    return s > 0 ? { kind: 'zipf', s } : `zipf's exponent must be above 0, got ${z[1]}`;
  }
  const h = HOT.exec(text);
  if (h) {
    const p = Number(h[2]);
    return p >= 0 && p <= 1 ? { kind: 'hot', key: Number(h[1]), p } : `hot's share P must be between 0 and 1, got ${h[2]}`;
  }
  return `is not a key distribution: ${JSON.stringify(text)} (uniform, exponential, zipf:S with S > 0, or hot:KEY:P with KEY a key number and P in [0, 1])`;
}

/** The schema property of a `keyDistribution` option (format checked by workloads/options.ts). */
export function keyDistributionOption(dflt: string): Record<string, unknown> {
  return {
    type: 'string',
    format: 'key-distribution',
    default: dflt,
    description: 'how ops pick among the keys: uniform, exponential (each key half as likely as the one before), zipf:S (key k in proportion to 1/(k+1)^S) or hot:KEY:P (key KEY takes a share P of the ops, the rest spread evenly)',
  };
}

/** Each of `n` keys' probability under `d`. */
export function keyProbabilities(d: KeyDistribution, n: number): Float64Array {
  const w = new Float64Array(n);
  if (n === 0) return w;
  switch (d.kind) {
    case 'uniform':
      w.fill(1);
      break;
    case 'exponential':
      for (let k = 0; k < n; k++) w[k] = 2 ** -k;
      break;
    case 'zipf':
      for (let k = 0; k < n; k++) w[k] = 1 / (k + 1) ** d.s;
      break;
    case 'hot':
      if (n === 1) w[0] = 1;
      else {
        w.fill((1 - d.p) / (n - 1));
        w[d.key] = d.p;
      }
      break;
  }
  let total = 0;
  for (let k = 0; k < n; k++) total += w[k];
  for (let k = 0; k < n; k++) w[k] /= total;
  return w;
}

/** A picker of key numbers 0 … n-1 under `text`; an InputError names `workload` when it cannot be one. */
export function keyPicker(workload: string, text: string, n: number): (random: Random) => number {
  const d = parseKeyDistribution(text);
  if (typeof d === 'string') throw new InputError(`workload ${workload}: option keyDistribution ${d}`);
  if (d.kind === 'hot' && d.key >= n) throw new InputError(`workload ${workload}: option keyDistribution names hot key ${d.key}, but the keys are 0 … ${n - 1}`);
  if (d.kind === 'uniform') return (random) => random.int(n);
  const p = keyProbabilities(d, n);
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cumulative[k] = sum += p[k];
  return (random) => {
    const x = random.next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}
