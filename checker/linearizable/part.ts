// One part's decision search, shared by the main thread (check.ts) and the worker threads
// (worker.ts): its own module, so a worker gets its entry point without importing its caller.
import type { CheckProgress } from '../types.js';
import type { Model } from './model.js';
import { type PreparedPart, Transitions } from './prepare.js';
import { refuteRegister } from './refute.js';
import { search, searchOptions, type SearchOutcome, type SearchSnapshot } from './search.js';

export const DEFAULT_CACHE_BYTES = 1 << 30;
/** The memory the resumable searches of unfinished parts may hold between budget rounds. */
export const SNAPSHOT_BYTES = 256 << 20;

/** What a part's search reads of the check's options (LinearizableOptions, check.ts). */
export interface PartSearchOptions {
  deadline?: number;
  maxCacheBytes?: number;
  noCache?: boolean;
  noReadOnlyRule?: boolean;
  noDominanceRule?: boolean;
  progress?: CheckProgress;
}

export interface PartVerdict {
  outcome: SearchOutcome;
  explored: number;
  /** SearchResult.blockedCall: where an invalid part most likely fails. */
  blockedCall: number;
  /** With a budget that ran out: where to resume (checkPart's `resume`). */
  snapshot?: SearchSnapshot;
}

export function checkPart(
  part: PreparedPart,
  model: Model<unknown>,
  options: PartSearchOptions,
  maxExplored?: number,
  transitions = new Transitions(model, part.sigCalls),
  resume?: SearchSnapshot,
): PartVerdict {
  // Registers with unique values: a polynomial check first, which settles an unlinearizable part
  // a search might explore for ever (refute.ts). (A resumed search has been through it.)
  if (!resume && refuteRegister(part, model)) return { outcome: 'not-linearizable', explored: 0, blockedCall: -1 };
  const r = search(
    part,
    transitions,
    searchOptions({
      deadline: options.deadline,
      maxCacheBytes: options.maxCacheBytes ?? DEFAULT_CACHE_BYTES,
      noCache: options.noCache,
      noReadOnlyRule: options.noReadOnlyRule,
      noDominanceRule: options.noDominanceRule,
      maxExplored,
      onProgress: options.progress && ((explored) => options.progress!.phase('searching', explored, undefined, 'configurations')),
      resumable: maxExplored !== undefined && maxExplored !== Infinity,
    }),
    resume,
  );
  return { outcome: r.outcome, explored: r.explored, blockedCall: r.blockedCall, snapshot: r.snapshot };
}

