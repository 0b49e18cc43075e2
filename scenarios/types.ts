// What a scenario (docs/scenarios.md) gets and gives: a scripted series of runs, each an ordinary
// run in the store, and one verdict, summary and report over them.
import type { ExitCode, RunOutcome } from '../runner/run.js';

export interface ScenarioContext {
  store: string;
  seed: number;
  /** The scenario's main duration when the user set one (--time-limit). */
  timeLimit?: number;
  /** --target / --mode when the scenario takes them. */
  target?: string;
  mode?: string;
  signal?: AbortSignal;
  version?: string;
  log: (line: string) => void;
}

export interface ScenarioRun {
  /** What this run stands for in the scenario (a setting, a system). */
  label: string;
  outcome: RunOutcome;
}

export interface ScenarioOutcome {
  name: string;
  exitCode: ExitCode;
  /** Lines after the verdict line: the scenario's figures. */
  lines: string[];
  /** One sentence: what the scenario concluded. */
  verdict: string;
  runs: ScenarioRun[];
  /** The scenario's own results (scenario.json). */
  results: Record<string, unknown>;
  /** The report's body sections, HTML. */
  sections: string[];
}
