import type { History } from '../histories/history.js';

export type Validity = true | false | 'unknown';

/** What a checker concluded. Invalid results carry evidence a person can read. */
export interface Result {
  valid: Validity;
  /** One sentence saying what went wrong (invalid) or why the checker gave up (unknown). */
  explanation?: string;
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
