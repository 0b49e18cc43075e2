// Checks history files one by one: the library behind `faultline check`, which tests call directly.
import { InputError, oneLine } from '../histories/errors.js';
import type { FormatOption } from '../histories/formats.js';
import { History } from '../histories/history.js';
import { historyFormat, readHistoryFile } from '../histories/read-file.js';
import { timerMs } from '../runner/limits.js';
import type { CheckContext, CheckProgress, Checker, Result } from './types.js';

export interface FileOutcome {
  /** The path as given. */
  file: string;
  checker: string;
  format?: string;
  ops?: number;
  invocations?: number;
  elapsedMs: number;
  result?: Result;
  /** Why the file could not be checked (bad input, unreadable file): exit code 3. */
  error?: string;
  warnings: string[];
  /** The HTML view of the result, when asked for and the checker has one. */
  html?: string;
  /** The exception behind an internal error, for --debug. */
  internalError?: unknown;
}

export interface CheckFileOptions {
  format?: FormatOption;
  /** Seconds a checker may take per file before it gives up with unknown. */
  timeoutSeconds?: number;
  context?: Omit<CheckContext, 'file' | 'deadline'>;
  /** Renders the HTML view of the result (for --out; report/views.ts has the checkers' views). */
  render?: (h: History, result: Result) => string;
  /** Told how far reading and checking have got (the CLI's progress line). */
  progress?: CheckProgress;
}

export async function checkFile(file: string, checker: Checker, options: CheckFileOptions = {}): Promise<FileOutcome> {
  const started = performance.now();
  const outcome: FileOutcome = { file, checker: checker.name, elapsedMs: 0, warnings: [] };
  try {
    const deadline = options.timeoutSeconds !== undefined ? Date.now() + options.timeoutSeconds * 1000 : undefined;
    if (checker.checkJsonlFile && (await historyFormat(file, { format: options.format })) === 'jsonl') {
      const streamed = await checker.checkJsonlFile(file, { ...options.context, file, deadline, progress: options.progress });
      outcome.format = 'jsonl';
      outcome.ops = streamed.ops;
      outcome.invocations = streamed.invocations;
      outcome.warnings.push(...streamed.warnings);
      outcome.result = streamed.result;
      if (options.render) outcome.html = options.render(new History([], { file }), streamed.result);
      outcome.elapsedMs = performance.now() - started;
      return outcome;
    }
    const { history, format } = await readHistoryFile(file, { format: options.format, progress: options.progress });
    outcome.format = format;
    outcome.ops = history.length;
    outcome.invocations = history.invocationCount;
    outcome.warnings.push(...history.warnings);
    options.progress?.phase('checking');
    outcome.result = await withDeadline(checker.check(history, { ...options.context, file, deadline, progress: options.progress }), deadline);
    if (options.render) outcome.html = options.render(history, outcome.result);
  } catch (e) {
    if (e instanceof InputError) outcome.error = oneLine(e.message);
    else {
      // A bug of ours, not bad input: still one line per file, the other files still checked.
      outcome.error = oneLine(`${file}: internal error in ${checker.name}: ${(e as Error)?.message ?? String(e)}`);
      outcome.internalError = e;
    }
  }
  outcome.elapsedMs = performance.now() - started;
  return outcome;
}

/** Resolves to `unknown` when a checker has not answered by the deadline. */
async function withDeadline(p: Promise<Result>, deadline: number | undefined): Promise<Result> {
  if (deadline === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Result>((resolve) => {
    timer = setTimeout(
      () => resolve({ valid: 'unknown', reason: 'time-limit', explanation: 'the checker did not finish within --timeout' }),
      timerMs(deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The exit code of one outcome (DESIGN.md): 0 valid, 1 invalid, 2 unknown, 3 error. */
export function exitCodeOf(o: FileOutcome): number {
  if (o.error !== undefined || !o.result) return 3;
  return o.result.valid === true ? 0 : o.result.valid === false ? 1 : 2;
}

/** Over several outcomes 3 wins, then 1, then 2, then 0. */
export function combineExitCodes(codes: Iterable<number>): number {
  const order = [3, 1, 2];
  const seen = new Set(codes);
  return order.find((c) => seen.has(c)) ?? 0;
}
