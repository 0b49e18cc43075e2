// Checking a run and writing what it concluded: used at the end of `faultline test`, and by
// `faultline analyze DIR` (re-check a stored run, e.g. one that was killed) and `faultline report
// DIR` (re-render its page).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compose } from '../checker/compose.js';
import type { Result } from '../checker/types.js';
import { InputError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { readHistoryFile } from '../histories/read.js';
import { renderRunReport } from '../report/run-report.js';
import { getWorkload } from '../workloads/index.js';
import { workloadOptions } from '../workloads/options.js';
import type { Workload, WorkloadOptions } from '../workloads/types.js';
import { resolveConfig, type TestConfig } from './config.js';
import { readJsonFile, RUN_FILES } from './store.js';

/**
 * The workload's checkers over `history`, giving up (unknown) after `timeoutSeconds`; a run in
 * which no client op succeeded tested nothing, and is unknown whatever the checkers say.
 */
export async function checkRun(workload: Workload, options: WorkloadOptions, history: History, timeoutSeconds: number): Promise<Result> {
  return unknownWhenNothingTested(history, await checkWorkload(workload, options, history, timeoutSeconds));
}

/**
 * A history with no ok client op (an adapter that never answers, a target that refuses every op)
 * passes most checkers vacuously: every op may or may not have happened. That is no pass. An
 * anomaly found anyway stands.
 */
export function unknownWhenNothingTested(history: History, result: Result): Result {
  if (result.valid === false) return result;
  let invoked = 0;
  let ok = 0;
  let fail = 0;
  for (let i = 0; i < history.ops.length; i++) {
    const op = history.ops[i];
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') invoked++;
    else if (op.type === 'ok') ok++;
    else if (op.type === 'fail') fail++;
  }
  if (ok > 0) return result;
  const explanation =
    invoked === 0
      ? 'the run recorded no client op, so nothing was tested'
      : `no client op succeeded (${invoked} invoked: ${fail} failed, ${invoked - fail} timed out or crashed or never completed), so nothing was tested`;
  return { ...result, valid: 'unknown', reason: 'nothing-to-check', explanation };
}

async function checkWorkload(workload: Workload, options: WorkloadOptions, history: History, timeoutSeconds: number): Promise<Result> {
  const checker = workload.checker(options);
  try {
    return await checker.check(history, { file: history.file, deadline: Date.now() + timeoutSeconds * 1000 });
  } catch (e) {
    if (e instanceof InputError) return { valid: 'unknown', reason: 'checker-error', explanation: `the history could not be checked: ${e.message}` };
    throw e;
  }
}

/** results.json and report.html of a run. */
export async function writeRunOutputs(dir: string, test: Record<string, unknown>, history: History, results: Result): Promise<void> {
  writeFileSync(join(dir, RUN_FILES.results), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(dir, RUN_FILES.report), await renderRunReport({ test, history, results }));
}

export interface StoredRun {
  dir: string;
  config: TestConfig;
  workload: Workload;
  options: WorkloadOptions;
  history: History;
  warnings: string[];
}

/** A stored run's config, workload and history, validated. */
export async function loadRun(dir: string): Promise<StoredRun> {
  const testPath = join(dir, RUN_FILES.test);
  const historyPath = join(dir, RUN_FILES.history);
  if (!existsSync(testPath)) throw new InputError(`${dir}: no ${RUN_FILES.test}, so the workload (and its checkers) is unknown; check the history with "faultline check ${historyPath} --checker NAME"`);
  if (!existsSync(historyPath)) throw new InputError(`${dir}: no ${RUN_FILES.history}`);
  const raw = readJsonFile(testPath) as Record<string, unknown>;
  const { faultline: _v, ...rest } = raw;
  const config = resolveConfig(rest, testPath);
  const workload = getWorkload(config.workload.name);
  const own = workloadOptions(workload, config.workload.options, `${testPath}: workload.options`);
  const nodes = Array.from({ length: config.target.nodes }, (_, i) => `n${i + 1}`);
  const { history } = await readHistoryFile(historyPath);
  return { dir, config, workload, options: { ...own, nodes, concurrency: config.concurrency }, history, warnings: history.warnings };
}
