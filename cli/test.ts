// `faultline test`: run a test against a cluster (the built-in store by default), print the
// verdict, exit with the CI code. Flags override a --config file field by field.
import { writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { combineExitCodes, type FileOutcome } from '../checker/check-file.js';
import { InputError } from '../histories/errors.js';
import { junitXml } from '../report/junit.js';
import { readRawConfig, resolveConfig, type TestConfig } from '../runner/config.js';
import { checkNetworkAvailable, run, type RunOutcome } from '../runner/run.js';
import { RUN_FILES } from '../runner/store.js';
import { parseCheckerOptions, type Io } from './check.js';
import { parseAlertFlags } from '../metrics/config.js';
import { checkOutputDir, checkOutputFile, makeDirs } from './paths.js';
import { version } from './version.js';
import { verdictText } from './verdict.js';
import { write } from './output.js';

export interface TestArgs {
  config?: string;
  target?: string;
  mode?: string;
  workload?: string;
  nodes?: number;
  concurrency?: number;
  timeLimit?: number;
  rate?: number;
  seed?: number;
  testCount?: number;
  store?: string;
  nemesis?: string;
  partitions?: string;
  nemesisHold?: number;
  nemesisJitter?: number;
  network?: string;
  isolation?: string;
  readFrom?: string;
  waitReplicas?: number;
  replicas?: number;
  syncStandbys?: number;
  adapter?: string;
  system?: string;
  cluster?: string;
  nemesisInterval?: number;
  opTimeout?: number;
  quiesce?: number;
  option?: string[];
  /** --alert NAME=VALUE: alert thresholds (docs/metrics.md). */
  alert?: string[];
  alertFails?: boolean;
  /** --scenario NAME: a scripted series of runs (docs/scenarios.md). */
  scenario?: string;
  json?: boolean;
  junit?: string;
  /** Show progress; default: on, updating in place when stderr is a terminal. */
  progress?: boolean;
}

function sub(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = o[key];
  if (v === undefined) return (o[key] = {});
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : (o[key] = {});
}

/** The resolved config: the file (if any), then each flag given on top. */
export function configFromArgs(args: TestArgs): TestConfig {
  const file = args.config !== undefined ? readRawConfig(args.config) : undefined;
  const raw: Record<string, unknown> = file ? structuredClone(file.raw) : {};
  const set = (o: Record<string, unknown>, k: string, v: unknown) => {
    if (v !== undefined) o[k] = v;
  };
  if (args.target !== undefined) sub(raw, 'target').type = args.target;
  if (args.mode !== undefined) sub(raw, 'target').mode = args.mode;
  if (args.nodes !== undefined) sub(raw, 'target').nodes = args.nodes;
  if (args.workload !== undefined) sub(raw, 'workload').name = args.workload;
  if (args.option !== undefined && args.option.length > 0) {
    const w = sub(raw, 'workload');
    w.options = { ...(typeof w.options === 'object' && w.options !== null ? w.options : {}), ...parseCheckerOptions(args.option) };
  }
  if (args.nemesis !== undefined) sub(raw, 'nemesis').faults = args.nemesis === 'none' || args.nemesis === '' ? [] : args.nemesis.split(',').map((s) => s.trim());
  if (args.nemesisInterval !== undefined) sub(raw, 'nemesis').interval = args.nemesisInterval;
  if (args.nemesisHold !== undefined) sub(raw, 'nemesis').hold = args.nemesisHold;
  if (args.nemesisJitter !== undefined) sub(raw, 'nemesis').jitter = args.nemesisJitter;
  if (args.partitions !== undefined) sub(raw, 'nemesis').partitions = args.partitions.split(',').map((s) => s.trim()).filter(Boolean);
  if (args.network !== undefined) sub(raw, 'target').network = args.network;
  const targetOption = (k: string, v: unknown) => {
    if (v !== undefined) sub(sub(raw, 'target'), 'options')[k] = v;
  };
  targetOption('isolation', args.isolation);
  targetOption('readFrom', args.readFrom);
  targetOption('waitReplicas', args.waitReplicas);
  targetOption('replicas', args.replicas);
  targetOption('syncStandbys', args.syncStandbys);
  // Split on whitespace, never given to a shell: a path with spaces needs a config file's array.
  targetOption('adapter', args.adapter === undefined ? undefined : args.adapter.split(/\s+/).filter(Boolean));
  // builtin and none say what a stdio target's adapters talk to; anything else names a system description.
  if (args.system === 'builtin' || args.system === 'none') targetOption('system', args.system);
  else if (args.system !== undefined) sub(raw, 'target').system = args.system;
  set(raw, 'cluster', args.cluster);
  set(raw, 'concurrency', args.concurrency);
  set(raw, 'timeLimit', args.timeLimit);
  set(raw, 'rate', args.rate);
  set(raw, 'seed', args.seed);
  set(raw, 'testCount', args.testCount);
  set(raw, 'store', args.store);
  set(raw, 'opTimeout', args.opTimeout);
  set(raw, 'quiesce', args.quiesce);
  if (args.alert !== undefined && args.alert.length > 0) parseAlertFlags(args.alert, sub(sub(raw, 'metrics'), 'alerts'));
  if (args.alertFails !== undefined) sub(raw, 'metrics').alertFails = args.alertFails;
  const source = file ? args.config! : 'flags';
  return resolveConfig(raw, source, file?.text);
}

function verdictWord(v: unknown, reason?: unknown): string {
  return verdictText(v, reason);
}

/** One line per checker that did not pass, with its verdict (an unknown one with its reason) and explanation. */
export function failingCheckers(results: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, r] of Object.entries(results)) {
    if (r === null || typeof r !== 'object' || !('valid' in r)) continue;
    const res = r as { valid: unknown; explanation?: unknown; reason?: unknown };
    if (res.valid === true) continue;
    out.push(`  ${name}: ${verdictWord(res.valid, res.reason)}${typeof res.explanation === 'string' ? ` — ${res.explanation}` : ''}`);
  }
  return out;
}

function isNothingTested(r: Record<string, unknown>): boolean {
  return r.valid === 'unknown' && r.reason === 'nothing-to-check';
}

function isFailing(c: unknown): boolean {
  return c !== null && typeof c === 'object' && 'valid' in c && (c as { valid: unknown }).valid !== true;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A duration in ms for a summary line: sub-0.1 ms lags print as such, not as a puzzling "0.0". */
function ms(x: number): string {
  return x < 0.1 ? '<0.1 ms' : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

/** Transactional checkers (list-append, rw-register): how many of each anomaly, and which models they rule out. */
function anomalyLines(results: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, r] of Object.entries(results)) {
    if (r === null || typeof r !== 'object') continue;
    const res = r as { anomalyCounts?: Record<string, number>; not?: string[]; alsoNot?: string[] };
    const counts = Object.entries(res.anomalyCounts ?? {});
    if (counts.length === 0) continue;
    const rules = res.not?.length ? ` · not ${res.not.join(', ')}${res.alsoNot?.length ? ` (nor ${plural(res.alsoNot.length, 'stronger model')}: alsoNot in results.json)` : ''}` : '';
    out.push(`  ${name} anomalies: ${counts.map(([a, n]) => `${a} ×${n}`).join(', ')}${rules}`);
  }
  return out;
}

/** A run where some kind of op never once succeeded: its verdict rests on nothing (e.g. a workload the target does not serve). */
function neverOkLine(stats: unknown): string | undefined {
  const s = stats as { count?: number; ok?: number; fail?: number; info?: number; neverOk?: string[] } | undefined;
  if (!s || typeof s.count !== 'number' || s.count === 0) return undefined;
  if (s.ok === 0) return `  no op succeeded (${s.fail} fail, ${s.info} info): the verdict checked nothing; the errors are in history.jsonl`;
  if (s.neverOk?.length) return `  never ok: ${s.neverOk.join(', ')} (the errors are in history.jsonl)`;
  return undefined;
}

/**
 * What `test` and `analyze` print for a run: the verdict line (ops, and the history records the
 * evidence's indices count, so "index 5888" of "2939 ops" reads right), then why. The report path
 * as the user gave the store: absolute for an absolute --store, else relative to here.
 */
export function summaryLines(o: Pick<RunOutcome, 'dir' | 'results'>, absolute = false): string[] {
  const r = o.results;
  const report = join(o.dir, RUN_FILES.report);
  const where = absolute ? report : relative(process.cwd(), report) || report;
  const records = typeof r.records === 'number' ? ` (${r.records} history records)` : '';
  const lines = [`${r.test}: ${verdictWord(r.valid, r.reason)} · ${r.invocations} ops${records} · seed ${r.seed} · report ${where}`];
  if (r.error !== undefined) lines.push(`  the run ended early: ${r.error}`);
  if (r.valid !== true) lines.push(...failingCheckers(r));
  // A verdict no single checker gave (the run tested nothing): its own reason.
  if (r.valid !== true && typeof r.explanation === 'string' && !Object.values(r).some((c) => isFailing(c))) lines.push(`  ${r.explanation}`);
  lines.push(...anomalyLines(r));
  // (a run with no ok op at all is unknown, and its explanation above says so)
  const never = r.valid === false || !isNothingTested(r) ? neverOkLine(r.stats) : undefined;
  if (never !== undefined) lines.push(never);
  lines.push(...alertLines(r));
  const st = r.staleness as { stale?: number; reads?: number; versionsBehind?: { max: number }; supersededMs?: { count: number; p50: number; max: number } } | undefined;
  if (st && typeof st.stale === 'number' && st.stale > 0 && st.versionsBehind) {
    // supersededMs (how long the value read had been out of date) is the replication lag; lagMs only
    // measures back to the newest write, which stays tiny whenever writes are frequent.
    const sup = st.supersededMs && st.supersededMs.count > 0 ? `; out of date by p50 ${ms(st.supersededMs.p50)}, max ${ms(st.supersededMs.max)}` : '';
    lines.push(`  staleness (against real time): ${st.stale} of ${st.reads} reads stale, up to ${plural(st.versionsBehind.max, 'version')} behind${sup}`);
  }
  return lines;
}

/** Alerts that crossed while they do not fail the run (with --alert-fails the alerts verdict above says it). */
function alertLines(r: Record<string, unknown>): string[] {
  const m = r.metrics as { crossings?: { text: string }[] } | undefined;
  const n = m?.crossings?.length ?? 0;
  if (n === 0 || r.alerts !== undefined) return [];
  return [`  alerts: ${n} crossed (not failing the run; --alert-fails would): ${m!.crossings![0].text}${n > 1 ? `; and ${n - 1} more in the report` : ''}`];
}

export async function runTest(args: TestArgs, io: Io, signal?: AbortSignal): Promise<number> {
  if (args.scenario !== undefined) return (await import('../scenarios/index.js')).runScenario(args, io, signal);
  const { configWithDefaultNemesis } = await import('./default-nemesis.js');
  const { config, line } = await configWithDefaultNemesis(args, configFromArgs);
  // Before a node starts: namespaces can be made where they are asked for (the more basic
  // refusal, first), and the store and the JUnit file can be written (/proc/1 hung the run).
  if (config.cluster === undefined) await checkNetworkAvailable(config);
  checkOutputDir(args.store !== undefined ? '--store' : `${args.config ?? 'the config'}: store`, config.store);
  if (args.junit !== undefined) checkOutputFile('--junit', args.junit);
  if (line !== undefined) io.stderr(line);
  const outcomes: RunOutcome[] = [];
  const junit: FileOutcome[] = [];
  const showProgress = args.progress !== false && !args.json;
  for (let k = 0; k < config.testCount; k++) {
    const c: TestConfig = { ...config, seed: (config.seed + k) >>> 0 };
    if (config.testCount > 1) io.stderr(`run ${k + 1} of ${config.testCount} (seed ${c.seed})`);
    const started = Date.now();
    const o = await run(c, {
      version,
      signal,
      log: (line) => io.stderr(line),
      progress: showProgress ? { tty: process.stderr.isTTY === true, write: (t) => write(process.stderr, t) } : undefined,
    });
    outcomes.push(o);
    junit.push({ file: o.dir, checker: c.workload.name, elapsedMs: Date.now() - started, result: o.results, warnings: [], ...(o.exitCode === 3 ? { error: o.results.error ?? 'the run failed' } : {}) });
    if (args.json) io.stdout(JSON.stringify({ ...o.results, dir: o.dir }));
    else for (const line of summaryLines(o, isAbsolute(config.store))) io.stdout(line);
    if (signal?.aborted) break;
  }
  if (args.junit !== undefined) {
    try {
      makeDirs(dirname(args.junit));
      writeFileSync(args.junit, junitXml(junit, 'faultline test'));
    } catch (e) {
      throw new InputError(`cannot write --junit ${args.junit}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return combineExitCodes(outcomes.map((o) => o.exitCode));
}
