// `faultline analyze DIR` re-checks a stored run (one that was killed has a history and no
// results); `faultline report DIR` re-renders its report.html from what is stored.
import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Result } from '../checker/types.js';
import { renderRunReport } from '../report/run-report.js';
import { checkRun, loadRun, writeRunOutputs } from '../runner/analyze.js';
import { exitCodeOfValidity } from '../runner/run.js';
import { withMetrics } from '../metrics/run.js';
import { findRunDir, readJsonFile, RUN_FILES } from '../runner/store.js';
import type { Io } from './check.js';
import { summaryLines } from './test.js';

export async function runAnalyze(args: { dir: string; json?: boolean }, io: Io): Promise<number> {
  const stored = await loadRun(findRunDir(args.dir));
  for (const w of stored.warnings) io.stderr(`warning: ${w}`);
  const result = withMetrics(await checkRun(stored.workload, stored.options, stored.history, stored.config.checkTimeout), stored.dir, stored.config.metrics);
  const exitCode = exitCodeOfValidity(result.valid);
  const results = { ...result, test: stored.config.name, seed: stored.config.seed, invocations: stored.history.invocationCount, records: stored.history.length, exitCode, analyzed: true };
  await writeRunOutputs(stored.dir, stored.config as unknown as Record<string, unknown>, stored.history, results);
  if (args.json) io.stdout(JSON.stringify({ ...results, dir: stored.dir }));
  else for (const line of summaryLines({ dir: stored.dir, results }, isAbsolute(args.dir))) io.stdout(line);
  return exitCode;
}

export async function runReport(args: { dir: string }, io: Io): Promise<number> {
  const stored = await loadRun(findRunDir(args.dir));
  const resultsPath = join(stored.dir, RUN_FILES.results);
  let results: Result;
  if (existsSync(resultsPath)) results = readJsonFile(resultsPath) as Result;
  else {
    io.stderr(`note: ${resultsPath} is missing (the run did not finish); checking the history first`);
    results = await checkRun(stored.workload, stored.options, stored.history, stored.config.checkTimeout);
  }
  const out = join(stored.dir, RUN_FILES.report);
  writeFileSync(out, await renderRunReport({ test: stored.config as unknown as Record<string, unknown>, history: stored.history, results }));
  io.stdout(out);
  return 0;
}
