// `faultline test --scenario NAME` (docs/scenarios.md): a scripted series of ordinary runs and one
// verdict over them. Each run keeps its own folder in the store; the scenario writes
// STORE/scenario-NAME/<timestamp>/ with scenario.json and report.html, and prints a verdict line
// and its figures as `test` does for a run.
import { writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { InputError } from '../histories/errors.js';
import { createRunDir } from '../runner/store.js';
import type { Io } from '../cli/check.js';
import { version } from '../cli/version.js';
import { renderScenarioReport } from './report.js';
import type { ScenarioContext, ScenarioOutcome } from './types.js';

export const SCENARIO_NAMES = ['lag-formula', 'split-brain'] as const;

/**
 * What a scenario reads of `faultline test`'s arguments; any other flag given is refused. (Its own
 * shape, not cli/test.ts's TestArgs: cli/test.ts loads this module, which must not import it back.)
 */
export interface ScenarioArgs {
  scenario?: string;
  store?: string;
  seed?: number;
  timeLimit?: number;
  target?: string;
  mode?: string;
  json?: boolean;
  progress?: boolean;
}

/** The flags each scenario takes; the rest it sets itself. */
const TAKES: Record<string, (keyof ScenarioArgs)[]> = {
  'lag-formula': ['timeLimit'],
  'split-brain': ['timeLimit', 'target', 'mode'],
};
const ALWAYS: (keyof ScenarioArgs)[] = ['scenario', 'store', 'seed', 'json', 'progress'];

function flagName(k: string): string {
  return `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export async function runScenario(args: ScenarioArgs, io: Io, signal?: AbortSignal): Promise<number> {
  const name = args.scenario!;
  if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new InputError(`--scenario: no scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
  const allowed = new Set<string>([...ALWAYS, ...TAKES[name]]);
  for (const [k, v] of Object.entries(args)) {
    // yargs adds its own keys ($0, _, debug) and a kebab-case copy of each flag.
    if (k.startsWith('$') || k === '_' || k === 'debug' || k.includes('-')) continue;
    if (v === undefined || allowed.has(k) || (Array.isArray(v) && v.length === 0)) continue;
    if (k === 'json' && v === false) continue;
    throw new InputError(`--scenario ${name} sets the target, workload and faults itself: ${flagName(k)} does not apply (it takes ${[...TAKES[name]].map(flagName).join(', ')}${TAKES[name].length ? ', ' : ''}--store and --seed)`);
  }
  if (args.timeLimit !== undefined && !(args.timeLimit > 0)) throw new InputError(`--time-limit must be above 0, got ${args.timeLimit}`);
  const store = args.store ?? 'store';
  const ctx: ScenarioContext = {
    store,
    seed: args.seed ?? Math.floor(Math.random() * 2 ** 32),
    timeLimit: args.timeLimit,
    target: args.target,
    mode: args.mode,
    signal,
    version,
    log: (line) => io.stderr(line),
  };
  let outcome: ScenarioOutcome;
  if (name === 'lag-formula') outcome = await (await import('./lag-formula.js')).lagFormula(ctx);
  else outcome = await (await import('./split-brain.js')).splitBrain(ctx);

  const dir = createRunDir(store, `scenario-${name}`);
  const report = join(dir, 'report.html');
  const runs = outcome.runs.map((r) => ({ label: r.label, dir: r.outcome.dir, exitCode: r.outcome.exitCode, valid: r.outcome.results.valid }));
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ ...outcome.results, seed: ctx.seed, exitCode: outcome.exitCode, verdict: outcome.verdict, runs }, null, 2) + '\n');
  writeFileSync(report, await renderScenarioReport(outcome, dir));
  const where = isAbsolute(store) ? report : relative(process.cwd(), report) || report;
  const word = outcome.exitCode === 0 ? 'valid' : outcome.exitCode === 1 ? 'INVALID' : outcome.exitCode === 2 ? 'unknown' : 'error';
  if (args.json) io.stdout(JSON.stringify({ ...outcome.results, verdict: outcome.verdict, exitCode: outcome.exitCode, dir, runs }));
  else {
    io.stdout(`${name}: ${word} · ${outcome.verdict} · seed ${ctx.seed} · report ${where}`);
    for (const line of outcome.lines) io.stdout(line);
  }
  return outcome.exitCode;
}
