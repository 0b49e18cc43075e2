// What the main thread (check.ts) and a worker thread (worker.ts) send each other: the worker's
// input (as workerData) and its verdicts (as messages). Its own module, so that neither imports
// the other for them.
import type { Op } from '../../histories/op.js';

export interface WorkerInput {
  model: string;
  init: unknown;
  deadline?: number;
  maxCacheBytes?: number;
  /** Each part's ops, and its number in the main thread's list. */
  parts: { id: number; ops: Op[] }[];
}

export interface WorkerVerdict {
  id: number;
  outcome: string;
  explored: number;
  blockedCall: number;
}
