// Checkers by name, for `faultline check --checker NAME` and workloads.
import { InputError } from '../histories/errors.js';
import { linearizable } from './linearizable/index.js';
import { perf } from './perf.js';
import { stats } from './stats.js';
import type { Checker } from './types.js';
import { listAppend, rwRegister } from './txn/index.js';
import { bank } from './bank.js';
import { causal } from './causal/index.js';
import { convergence } from './convergence.js';
import { counter } from './counter.js';
import { replicaDiff } from './replica-diff.js';
import { queue, totalQueue } from './queue.js';
import { sequential } from './sequential/index.js';
import { session } from './session.js';
import { set, setFull } from './set.js';
import { staleness } from './staleness.js';
import { uniqueIds } from './unique-ids.js';

const registry = new Map<string, Checker>();

export function registerChecker(checker: Checker): void {
  registry.set(checker.name, checker);
}

export function getChecker(name: string): Checker {
  const c = registry.get(name);
  if (!c) throw new InputError(`unknown checker "${name}"; known checkers: ${[...registry.keys()].sort().join(', ')}`);
  return c;
}

export function listCheckers(): Checker[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

registerChecker(stats);
registerChecker(perf);
registerChecker(linearizable);
registerChecker(listAppend);
registerChecker(rwRegister);
for (const c of [sequential, causal, session, staleness, set, setFull, convergence, replicaDiff, counter, bank, queue, totalQueue, uniqueIds]) registerChecker(c);
