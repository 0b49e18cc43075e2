// What the CRDT workloads share: they run only in the built-in store's crdt mode, which serves one
// CRDT type per cluster (targetOptions says which), read once per node at the end, and are judged
// by convergence: the final reads agree, on a value the updates allow.
import { convergence } from '../../checker/convergence.js';
import type { CrdtType } from '../../checker/convergence.js';
import type { Checker } from '../../checker/types.js';
import type { WorkloadOptions } from '../types.js';
import type { Gen } from '../generator/index.js';
import { configured, withStatsAndPerf } from './checkers.js';
import { onEveryNode } from './per-node.js';
import { builtinWorkload } from './target.js';

export const CRDT_MODES: readonly string[] = ['crdt'];

export function crdtFinal(o: WorkloadOptions): Gen {
  return onEveryNode(o, { f: 'read', value: null });
}

export function crdtChecker(type: CrdtType): Checker {
  return withStatsAndPerf(type, { convergence: configured(convergence, { options: { type } }) });
}

export function crdtTarget(type: CrdtType): Record<string, unknown> {
  return { crdt: type, ...builtinWorkload(type) };
}
