// Workloads by name, for `faultline test --workload NAME` and configs.
import { InputError, show } from '../histories/errors.js';
import { bank } from './bank.js';
import { counter } from './counter.js';
import { gCounter } from './g-counter.js';
import { listAppend } from './list-append.js';
import { orSet } from './or-set.js';
import { pnCounter } from './pn-counter.js';
import { queue } from './queue.js';
import { register } from './register.js';
import { rwRegister } from './rw-register.js';
import { set } from './set.js';
import type { Workload } from './types.js';
import { uniqueIds } from './unique-ids.js';

export type { Workload, WorkloadOptions } from './types.js';
export { workloadOptions } from './options.js';

const workloads: readonly Workload[] = [register, set, counter, bank, listAppend, rwRegister, queue, uniqueIds, gCounter, pnCounter, orSet];
const byName = new Map(workloads.map((w) => [w.name, w]));

export function getWorkload(name: string): Workload {
  const w = byName.get(name);
  if (w === undefined) throw new InputError(`unknown workload ${show(name)}; known workloads: ${[...byName.keys()].join(', ')}`);
  return w;
}

/** Every workload, in the order listings show them (register first: the default). */
export function listWorkloads(): readonly Workload[] {
  return workloads;
}
