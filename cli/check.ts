// `faultline check FILE...`: read each history, run one checker, print a line per file, exit with
// the code a CI gate needs.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkFile, combineExitCodes, exitCodeOf, type FileOutcome } from '../checker/check-file.js';
import { loadChecker } from '../checker/load.js';
import type { Checker } from '../checker/types.js';
import { InputError, oneLine } from '../histories/errors.js';
import { parseFormatOption } from '../histories/formats.js';
import { CheckProgressLine } from './check-progress.js';
import { expandInputs } from './inputs.js';
import { checkOutputDir, checkOutputFile, makeDirs } from './paths.js';
import { MAX_SECONDS, MAX_SECONDS_TEXT } from '../runner/limits.js';
import { verdictText } from './verdict.js';

export interface CheckArgs {
  files: string[];
  format?: string;
  checker?: string;
  model?: string;
  init?: string;
  json?: boolean;
  out?: string;
  junit?: string;
  timeout?: number;
  keyedTuples?: boolean;
  consistencyModels?: string;
  sequentialKeys?: boolean;
  linearizableKeys?: boolean;
  /** causal: cc | ccv | cm. */
  variant?: string;
  /** KEY=VALUE checker options (--option). */
  option?: string[];
  /** Show progress on stderr: default when stderr is a terminal; true also when it is not. */
  progress?: boolean;
}

export interface Io {
  stdout(line: string): void;
  stderr(line: string): void;
  /** The progress line's own output (default: process.stderr, when it is a terminal or --progress). */
  progress?: CheckProgressLine;
}

// Only what the command line asks for is loaded: one checker, the txn models' parser when
// --consistency-models is given, the JUnit writer with --junit.
async function chooseChecker(args: CheckArgs): Promise<Checker> {
  if (args.checker !== undefined) return loadChecker(args.checker);
  if (args.model !== undefined) {
    (await import('../checker/linearizable/registry.js')).getModelSpec(args.model); // an unknown model is an error before any file is read
    return loadChecker('linearizable');
  }
  return loadChecker('stats');
}

function parseInit(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`--init is not valid JSON: ${(e as Error).message}`);
  }
}

/** `--option KEY=VALUE` pairs: values read as JSON when they parse (numbers, booleans, lists), else text. */
export function parseCheckerOptions(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InputError(`--option expects KEY=VALUE, got "${pair}"`);
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    try {
      out[key] = JSON.parse(text);
    } catch {
      out[key] = text;
    }
  }
  return out;
}

function humanLine(o: FileOutcome): string {
  const r = o.result!;
  const verdict = verdictText(r.valid, r.reason);
  const size = o.ops === 0 ? '0 ops' : `${o.invocations} invocation${o.invocations === 1 ? '' : 's'}`;
  const summary = typeof r.summary === 'string' && o.invocations ? ` (${r.summary})` : '';
  const time = o.elapsedMs < 1000 ? `${Math.round(o.elapsedMs)} ms` : `${(o.elapsedMs / 1000).toFixed(2)} s`;
  const why = r.valid !== true && r.explanation ? `: ${r.explanation}` : '';
  return `${o.file}: ${verdict} · ${size}${summary} · ${o.checker} · ${time}${why}`;
}

function jsonLine(o: FileOutcome): Record<string, unknown> {
  if (o.error !== undefined) return { file: o.file, checker: o.checker, error: o.error };
  return { ...o.result, file: o.file, checker: o.checker };
}

/**
 * A folder per input under --out, named after the file; a repeated name, or one a file in --out
 * already has (the history itself, when --out is its own folder: ENOTDIR), gets a numeric suffix.
 */
function outFolders(outcomes: FileOutcome[], out: string): string[] {
  const used = new Map<string, number>();
  const taken = (p: string) => existsSync(p) && !statSync(p).isDirectory();
  return outcomes.map((o) => {
    const base = basename(o.file) || 'history';
    let n = used.get(base) ?? 0;
    let folder: string;
    do folder = join(out, ++n === 1 ? base : `${base}-${n}`);
    while (taken(folder));
    used.set(base, n);
    return folder;
  });
}

function writeOutput(flag: string, path: string, text: string): void {
  try {
    makeDirs(dirname(path));
    writeFileSync(path, text);
  } catch (e) {
    throw new InputError(`cannot write ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function runCheck(args: CheckArgs, io: Io): Promise<number> {
  const checker = await chooseChecker(args);
  const format = parseFormatOption(args.format ?? 'auto');
  const init = parseInit(args.init);
  // A value the model cannot hold (kv's strings) is a mistake in the command, not a verdict.
  if (args.model !== undefined) (await import('../checker/linearizable/registry.js')).checkModelInit(args.model, init);
  if (args.timeout !== undefined && !(args.timeout > 0)) throw new InputError('--timeout must be a positive number of seconds');
  if (args.timeout !== undefined && args.timeout > MAX_SECONDS) throw new InputError(`--timeout must be ${MAX_SECONDS_TEXT}, got ${args.timeout}`);
  const models = args.consistencyModels !== undefined ? (await import('../checker/txn/check.js')).parseModels([args.consistencyModels]) : undefined;
  const extraOptions = parseCheckerOptions(args.option ?? []);
  // Before any file is read: a place nothing can be written is found at once, not after the check.
  if (args.out !== undefined) checkOutputDir('--out', args.out);
  if (args.junit !== undefined) checkOutputFile('--junit', args.junit);
  const files = await expandInputs(args.files);
  if (files.length === 0) throw new InputError(`no history files in ${args.files.join(', ')} (looked for .jsonl .json .edn .log .txt)`);

  // Progress: on stderr, only for a terminal unless asked, never on stdout (so never in --json).
  const tty = process.stderr.isTTY === true;
  const progress =
    io.progress ??
    (args.progress === true || (args.progress !== false && tty)
      ? new CheckProgressLine({ write: (t) => process.stderr.write(t), tty, columns: process.stderr.columns || 100 })
      : undefined);
  const outcomes: FileOutcome[] = [];
  const render = args.out !== undefined ? (await import('../report/views.js')).viewOf(checker) : undefined;
  for (const [k, file] of files.entries()) {
    progress?.setFile(file, k + 1, files.length);
    const o = await checkFile(file, checker, {
      format,
      timeoutSeconds: args.timeout,
      context: {
        model: args.model,
        init,
        options: {
          keyedTuples: args.keyedTuples === true,
          consistencyModels: models,
          sequentialKeys: args.sequentialKeys === true,
          linearizableKeys: args.linearizableKeys === true,
          ...(args.variant !== undefined ? { variant: args.variant } : {}),
          ...extraOptions,
        },
      },
      render,
      progress,
    });
    progress?.clear();
    outcomes.push(o);
    for (const w of o.warnings) io.stderr(`warning: ${oneLine(w)}`);
    if (o.error !== undefined) io.stderr(o.error);
    if (args.json) io.stdout(JSON.stringify(jsonLine(o)));
    else if (o.error === undefined) io.stdout(humanLine(o));
  }

  if (args.out !== undefined) {
    const folders = outFolders(outcomes, args.out);
    outcomes.forEach((o, k) => {
      writeOutput('--out', join(folders[k], 'results.json'), JSON.stringify(jsonLine(o), null, 2) + '\n');
      if (o.html !== undefined) writeOutput('--out', join(folders[k], 'report.html'), o.html);
    });
  }
  if (args.junit !== undefined) writeOutput('--junit', args.junit, (await import('../report/junit.js')).junitXml(outcomes));
  return combineExitCodes(outcomes.map(exitCodeOf));
}
