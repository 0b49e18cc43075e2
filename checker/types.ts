import type { History } from '../histories/history.js';

export type Validity = true | false | 'unknown';

/**
 * Why a result is `unknown` (exit code 2). Two meanings a CI gate must tell apart:
 * - `nothing-to-check`: the history has no op the checker looks at (or none completed as it
 *   needs, e.g. no read ok): the checker proved nothing, so it must not pass;
 * - giving up at a bound (GAVE_UP): `time-limit` (--timeout, a deadline), `memory-limit` (a cache
 *   or clock bound), `search-limit` (a bound on the search: configurations explored, a size
 *   bound, cycles the search could not classify).
 * And: `inconclusive` (the history cannot decide, e.g. crashed dequeues may have taken what is
 * missing), `checker-error` (a checker failed, or the history could not be checked).
 */
export type UnknownReason = 'nothing-to-check' | 'time-limit' | 'memory-limit' | 'search-limit' | 'inconclusive' | 'checker-error';

/** The reasons that mean the checker gave up at a bound (a bigger bound might decide). */
export const GAVE_UP: ReadonlySet<UnknownReason> = new Set<UnknownReason>(['time-limit', 'memory-limit', 'search-limit']);

/** The reason in a few words, as the CLI prints it after "unknown". */
export function reasonWords(reason: unknown): string | undefined {
  switch (reason) {
    case 'nothing-to-check':
      return 'nothing to check';
    case 'time-limit':
      return 'gave up: time limit';
    case 'memory-limit':
      return 'gave up: memory limit';
    case 'search-limit':
      return 'gave up: search limit';
    case 'inconclusive':
      return 'inconclusive';
    case 'checker-error':
      return 'checker error';
    default:
      return undefined;
  }
}

/** What a checker concluded. Invalid results carry evidence a person can read. */
export interface Result {
  valid: Validity;
  /** One sentence saying what went wrong (invalid) or why the checker gave up (unknown). */
  explanation?: string;
  /** Set when `valid` is 'unknown': nothing to check, or which bound the checker gave up at. */
  reason?: UnknownReason;
  /** Indices (the ops' `index` fields) of the ops the evidence involves. */
  ops?: number[];
  [detail: string]: unknown;
}

export interface CheckContext {
  /** The history's file, for messages. */
  file?: string;
  /** Model name for model-based checkers (e.g. cas-register). */
  model?: string;
  /** The model's initial state. */
  init?: unknown;
  /** Wall-clock time (Date.now() milliseconds) after which a checker gives up with `unknown`. */
  deadline?: number;
  /** Checker-specific options, as parsed from flags or config. */
  options?: Record<string, unknown>;
  /** Where a long check says how far along it is (the CLI's progress line); absent: nobody asks. */
  progress?: CheckProgress;
}

/**
 * How far along a check is: the phase ("reading", "searching", "explaining"...) and, where it
 * can tell, `done` of `total` in `unit`s ("bytes", "parts", "configurations"). Call it as often as
 * is convenient: a call costs a clock read, and the line is redrawn a few times a second at most.
 */
export interface CheckProgress {
  phase(name: string, done?: number, total?: number, unit?: string): void;
}

export interface Checker {
  name: string;
  /** One line for `--help` and listings. */
  description: string;
  check(h: History, ctx: CheckContext): Promise<Result>;
  /**
   * Checks a JSONL file by streaming it, never holding its ops (for histories too big for memory
   * as op objects). checkFile uses it, when present, for JSONL input.
   */
  checkJsonlFile?(path: string, ctx: CheckContext): Promise<StreamedResult>;
  /** The checker's HTML view of a result (a self-contained page), where it has one. */
  render?(h: History, result: Result): string;
}

export interface StreamedResult {
  result: Result;
  /** Ops read, and client invocations among them. */
  ops: number;
  invocations: number;
  warnings: string[];
}
