// The signal stress harness (issue 23): runs `faultline test` against the built-in store (and now
// and then a described etcd) under partition, pause and kill faults, sends SIGINT or SIGTERM at a
// seeded moment — during network creation, while the nodes start, just after a fault starts or
// while one heals, during the final phase, during teardown, during the final check — to the
// process group or to faultline alone, once or twice in quick succession, through `npx` (also in a
// pseudo-terminal, npm its session leader, as typed by a person), directly or piped, and then
// checks what the run left behind:
//
// - no process of the run, running or stopped (every process it starts inherits an environment
//   variable naming the iteration, so they are found in /proc even once reparented);
// - no namespace fl-RUN-…, no rule tagged faultline:RUN in the root namespace, no
//   /run/faultline/RUN.json;
// - results.json written, and from the recorded history (the same number of invocations), except
//   when a second signal asked faultline to quit at once.
//
// Used by test/integration/signal-stress.test.ts (a few dozen iterations) and bench/signal-stress.ts
// (hundreds, with figures). Whatever an iteration leaves is removed afterwards (its processes
// SIGKILLed, `faultline heal --run RUN --force` for its own run only).
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { listNamespaces } from '../control/namespaces.js';
import { readStat } from '../control/proc.js';
import { readHistoryFile } from '../histories/read.js';
import { Random } from '../base/random.js';

export const MOMENTS = [
  'network',
  'nodes',
  'start-partition',
  'start-pause',
  'start-kill',
  'stop-partition',
  'stop-pause',
  'stop-kill',
  'final',
  'teardown',
  'check',
] as const;
export type Moment = (typeof MOMENTS)[number];

interface Trigger {
  /** A line faultline prints on stderr. */
  stderr?: RegExp;
  /** Text in a line of the run's history.jsonl. */
  history?: string;
  /** The signal follows the trigger after a delay drawn from [lo, hi) ms. */
  delay: [number, number];
}

const TRIGGERS: Record<Moment, Trigger> = {
  network: { stderr: /creating network /, delay: [0, 400] },
  nodes: { stderr: /starting \d+ \S+ nodes?$/, delay: [0, 1200] },
  'start-partition': { history: '"f":"start-partition"', delay: [0, 150] },
  'start-pause': { history: '"f":"start-pause"', delay: [0, 150] },
  'start-kill': { history: '"f":"start-kill"', delay: [0, 150] },
  'stop-partition': { history: '"f":"stop-partition"', delay: [0, 150] },
  'stop-pause': { history: '"f":"stop-pause"', delay: [0, 150] },
  // The node starts again: a process spawned, its pid not yet known, then its start-up wait.
  'stop-kill': { history: '"f":"stop-kill"', delay: [0, 800] },
  final: { history: '"final":true', delay: [0, 800] },
  teardown: { stderr: /tearing down: /, delay: [0, 800] },
  check: { stderr: /checking \d+ ops$/, delay: [0, 400] },
};

export interface Plan {
  index: number;
  system: 'builtin' | 'etcd';
  /**
   * pipe: faultline's output piped through `cat` in the same process group (a group signal ends
   * the reader too); tty: npx in a pseudo-terminal (`script`), npm its session leader, as a person
   * types it (a group signal ends npm, and the terminal hangs up on the rest).
   */
  via: 'npx' | 'direct' | 'pipe' | 'tty';
  to: 'group' | 'faultline';
  signal: 'SIGINT' | 'SIGTERM';
  /** 2: a second signal `gapMs` after the first ("quit at once"). */
  count: 1 | 2;
  gapMs: number;
  moment: Moment;
  delayMs: number;
  /** The test's --seed. */
  seed: number;
}

export interface PlanOptions {
  /** Every how many iterations one runs the etcd description (0: never). Default 8. */
  etcdEvery?: number;
}

/** `count` iterations drawn from `seed`: every combination is reached, and the same seed gives the same plans. */
export function makePlans(seed: number, count: number, options: PlanOptions = {}): Plan[] {
  const random = new Random(seed);
  const etcdEvery = options.etcdEvery ?? 8;
  const plans: Plan[] = [];
  for (let index = 0; index < count; index++) {
    // The moment cycles so that a few dozen iterations reach each; the rest is drawn.
    const moment = MOMENTS[(index + (seed % MOMENTS.length)) % MOMENTS.length];
    const [lo, hi] = TRIGGERS[moment].delay;
    plans.push({
      index,
      system: etcdEvery > 0 && index % etcdEvery === etcdEvery - 1 ? 'etcd' : 'builtin',
      via: (['npx', 'npx', 'direct', 'direct', 'pipe', 'tty'] as const)[random.int(6)],
      to: random.chance(0.5) ? 'group' : 'faultline',
      signal: random.chance(0.5) ? 'SIGINT' : 'SIGTERM',
      count: random.chance(0.35) ? 2 : 1,
      gapMs: random.between(10, 300),
      moment,
      delayMs: random.between(lo, hi),
      seed: random.int(2 ** 31),
    });
  }
  return plans;
}

export function describePlan(p: Plan): string {
  return `#${p.index} ${p.system} via ${p.via}: ${p.signal}${p.count === 2 ? ` twice (${p.gapMs} ms apart)` : ''} to ${p.to === 'group' ? 'the process group' : 'faultline'} ${p.delayMs} ms after ${p.moment} (seed ${p.seed})`;
}

export type FailureKind =
  | 'process left'
  | 'stopped process left'
  | 'namespace left'
  | 'rule left'
  | 'owner record left'
  | 'socket folder left'
  | 'no results.json'
  | 'results.json differs from the history'
  | 'did not exit'
  | 'killed by the signal';

export interface Outcome {
  plan: Plan;
  runId?: string;
  dir?: string;
  /** False when the run ended before its moment came (nothing was sent). */
  signalled: boolean;
  /** faultline quit at once (a second signal): results.json not expected. */
  quitAtOnce: boolean;
  exit?: { code?: number; signal?: string };
  failures: { kind: FailureKind; detail: string }[];
  /** ms from the first signal until faultline was gone. */
  toExitMs?: number;
  /** ms from faultline gone until no process of the run was left (undefined: some never went). */
  toCleanMs?: number;
  totalMs: number;
  /** The end of faultline's output, for a failure's report. */
  output: string;
}

export interface IterationOptions {
  /** The faultline checkout (bin/faultline.js, package.json for npx). */
  root?: string;
  /** Where the iterations' stores go (a folder each). */
  storeRoot: string;
  /** The test's --time-limit. Default 8. */
  timeLimit?: number;
  /** Keep the store of an iteration that failed. Default true. */
  keepFailed?: boolean;
}

/** The checkout this file belongs to: the nearest folder above it with bin/faultline.js (from bench/ or dist/bench/). */
export const DEFAULT_ROOT = ((): string => {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(join(dir, 'bin', 'faultline.js')) && resolve(dir, '..') !== dir) dir = resolve(dir, '..');
  return dir;
})();

const TAG_VAR = 'FAULTLINE_STRESS_TAG';
/** How long faultline may take to end after the first signal. */
const EXIT_BOUND_MS = 90_000;
/** How long a run that never meets its moment may take in all. */
const RUN_BOUND_MS = 180_000;
/** How long processes of the run may linger once faultline is gone (a guard's parent watch polls every 500 ms). */
const LINGER_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Processes whose environment carries `tag` (the iteration's), with their state and command line. */
export function taggedProcesses(tag: string): { pid: number; state: string; argv: string }[] {
  const needle = `${TAG_VAR}=${tag}\0`;
  const out: { pid: number; state: string; argv: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let env: string;
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!(env + '\0').includes(needle)) continue;
    const stat = readStat(pid);
    if (stat === undefined || stat.state === 'Z') continue;
    let argv = '';
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      // Gone meanwhile.
    }
    out.push({ pid, state: stat.state, argv: argv.length > 160 ? argv.slice(0, 160) + '…' : argv });
  }
  return out;
}

/** faultline's own process among the tagged ones (through npx it is npm's grandchild). */
function faultlinePid(tag: string): number | undefined {
  for (const p of taggedProcesses(tag)) {
    const words = p.argv.split(' ');
    if (basename(words[0] ?? '') === 'node' && /^faultline(\.js)?$/.test(basename(words[1] ?? ''))) return p.pid;
  }
  return undefined;
}

/** The process group of `pid` (field 5 of /proc/PID/stat). */
function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return Number.isInteger(pgrp) && pgrp > 1 ? pgrp : undefined;
  } catch {
    return undefined;
  }
}

function gone(pid: number): boolean {
  const s = readStat(pid);
  return s === undefined || s.state === 'Z';
}

async function taggedRules(runId: string): Promise<string[]> {
  const out: string[] = [];
  for (const table of ['filter', 'nat', 'mangle']) {
    const r = await execa('iptables', ['-w', '-t', table, '-S'], { reject: false });
    for (const line of String(r.stdout).split('\n')) if (line.includes(`faultline:${runId}`)) out.push(`${table}: ${line}`);
  }
  return out;
}

/** Folders of unix sockets (faultline-… or fl-…) that the logs under `logs` name. */
function socketFolders(logs: string): string[] {
  const found = new Set<string>();
  const walk = (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.log')) {
        let text = '';
        try {
          text = readFileSync(p, 'utf8');
        } catch {
          continue;
        }
        for (const m of text.matchAll(/unix:(\/[^\s"']+)\/[^/\s"']+\.sock/g)) if (/^(faultline|fl)-/.test(basename(m[1]))) found.add(m[1]);
      }
    }
  };
  walk(logs);
  return [...found];
}

/** Follows a growing file from where it was last read; '' while it does not exist. */
function follower(path: () => string | undefined): () => string {
  let offset = 0;
  return () => {
    const p = path();
    if (p === undefined) return '';
    let fd: number;
    try {
      fd = openSync(p, 'r');
    } catch {
      return '';
    }
    try {
      const chunks: Buffer[] = [];
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
        offset += n;
      }
      return Buffer.concat(chunks).toString('utf8');
    } finally {
      closeSync(fd);
    }
  };
}

/** One iteration: start, wait for the moment, signal, wait for the end, check, clean up. */
export async function runIteration(plan: Plan, options: IterationOptions): Promise<Outcome> {
  const root = options.root ?? DEFAULT_ROOT;
  const t0 = Date.now();
  const store = mkdtempSync(join(options.storeRoot, `it${plan.index}-`));
  const tag = `${process.pid}-${plan.index}-${t0.toString(36)}`;
  const args = [
    'test',
    ...(plan.system === 'etcd' ? ['--system', 'etcd'] : []),
    '--nemesis', 'partition,pause,kill',
    '--nemesis-interval', '1',
    '--time-limit', String(options.timeLimit ?? 8),
    '--quiesce', '0.5',
    '--op-timeout', '1',
    '--concurrency', '4',
    '--rate', '100',
    '--seed', String(plan.seed),
    '--store', store,
  ];
  const bin = join(root, 'bin', 'faultline.js');
  const [file, argv] =
    plan.via === 'npx'
      ? ['npx', ['faultline', ...args]]
      : plan.via === 'pipe'
        ? ['sh', ['-c', '"$0" "$@" 2>&1 | cat', process.execPath, bin, ...args]]
        : plan.via === 'tty'
          ? ['script', ['-qfec', ['npx', 'faultline', ...args].join(' '), '/dev/null']]
          : [process.execPath, [bin, ...args]];
  const child = execa(file, argv, { cwd: root, detached: true, reject: false, all: true, buffer: true, env: { [TAG_VAR]: tag }, stdin: 'ignore' });
  let output = '';
  child.all?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  let childDone = false;
  const childResult = child.then((r) => {
    childDone = true;
    return r;
  });

  const outcome: Outcome = { plan, signalled: false, quitAtOnce: false, failures: [], totalMs: 0, output: '' };
  const fail = (kind: FailureKind, detail: string) => outcome.failures.push({ kind, detail });
  // A terminal's output has carriage returns, escapes and npm's spinner around faultline's lines.
  const lines = () => output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\u2800-\u28ff]/g, '').split(/\r?\n|\r/);
  const runId = () => (outcome.runId ??= lines().map((l) => /creating network ([a-z0-9]+):/.exec(l)?.[1]).find(Boolean));
  const dir = () => (outcome.dir ??= lines().map((l) => /(?:^|\s)store: (\/\S+)$/.exec(l)?.[1]).find(Boolean));
  const readHistory = follower(() => (dir() ? join(dir()!, 'history.jsonl') : undefined));
  const trigger = TRIGGERS[plan.moment];

  // Wait for the moment (or the end of the run).
  let historyText = '';
  const met = (): boolean => {
    if (trigger.stderr) return lines().some((l) => trigger.stderr!.test(l));
    historyText += readHistory();
    return historyText.includes(trigger.history!);
  };
  let flPid: number | undefined = plan.via === 'direct' ? child.pid : undefined;
  while (!childDone && Date.now() - t0 < RUN_BOUND_MS) {
    if (flPid === undefined) flPid = faultlinePid(tag);
    if (met()) break;
    await sleep(5);
  }
  let firstSignalAt: number | undefined;
  let aliveAtSecond = false;
  if (!childDone && flPid !== undefined && met()) {
    await sleep(plan.delayMs);
    // faultline's process group: the one we started, or in a terminal npm's (the foreground job).
    const group = processGroup(flPid) ?? child.pid!;
    const send = () => {
      try {
        if (plan.to === 'group') process.kill(-group, plan.signal);
        else process.kill(flPid!, plan.signal);
      } catch {
        // Gone already (the run ended during the delay).
      }
    };
    firstSignalAt = Date.now();
    outcome.signalled = !gone(flPid);
    send();
    if (plan.count === 2) {
      await sleep(plan.gapMs);
      aliveAtSecond = !gone(flPid);
      send();
    }
  }

  // Wait for faultline to be gone (npx: npm's grandchild, maybe reparented), then for npm.
  const bound = (firstSignalAt ?? t0) + (firstSignalAt !== undefined ? EXIT_BOUND_MS : RUN_BOUND_MS);
  while (Date.now() < bound && !(flPid !== undefined ? gone(flPid) : childDone)) await sleep(20);
  const hung = flPid !== undefined ? !gone(flPid) : !childDone;
  if (hung) {
    fail('did not exit', `faultline (pid ${flPid}) still ran ${Math.round((Date.now() - (firstSignalAt ?? t0)) / 1000)} s after ${firstSignalAt !== undefined ? 'the signal' : 'it started'}`);
    if (flPid !== undefined) process.kill(flPid, 'SIGKILL');
  }
  const goneAt = Date.now();
  if (firstSignalAt !== undefined) outcome.toExitMs = goneAt - firstSignalAt;
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone.
    }
  }, 30_000);
  const r = await childResult;
  clearTimeout(timer);
  outcome.output = output;
  if (plan.via === 'direct') outcome.exit = { code: r.exitCode, signal: r.signal };
  // Piped through a reader the group signal ended, or in a terminal it hung up, faultline's own
  // lines may be lost: a second signal that found it running then counts as asking it to quit at once.
  const lossy = plan.via === 'pipe' || plan.via === 'tty';
  outcome.quitAtOnce = lines().some((l) => /faultline: SIG[A-Z]+ again/.test(l)) || (plan.via === 'direct' && r.exitCode === 130) || (lossy && aliveAtSecond);
  if (plan.via === 'direct' && r.signal !== undefined && !hung) fail('killed by the signal', `faultline ended by ${r.signal}`);

  // Processes of the run: they may take a moment to go (a guard notices its parent gone within 500 ms).
  let left = taggedProcesses(tag);
  while (left.length > 0 && Date.now() - goneAt < LINGER_MS) {
    await sleep(50);
    left = taggedProcesses(tag);
  }
  if (left.length === 0) outcome.toCleanMs = Date.now() - goneAt;
  for (const p of left) fail(p.state === 'T' || p.state === 't' ? 'stopped process left' : 'process left', `pid ${p.pid} (state ${p.state}): ${p.argv}`);

  // Its network, rules and owner record.
  if (dir() && existsSync(join(dir()!, 'test.json'))) {
    try {
      outcome.runId ??= (JSON.parse(readFileSync(join(dir()!, 'test.json'), 'utf8')) as { faultline?: { runId?: string } }).faultline?.runId;
    } catch {
      // A test.json cut short: the run id came from stderr, if at all.
    }
  }
  const id = runId();
  if (id !== undefined) {
    for (const ns of listNamespaces().filter((n) => n.startsWith(`fl-${id}-`))) fail('namespace left', ns);
    for (const rule of await taggedRules(id)) fail('rule left', rule);
    if (existsSync(`/run/faultline/${id}.json`)) fail('owner record left', `/run/faultline/${id}.json`);
  }

  // The run's unix socket folders (named in its logs), in the temporary directory.
  const d0 = dir();
  const folders = d0 !== undefined ? socketFolders(join(d0, 'logs')) : [];
  for (const f of folders) if (existsSync(f)) fail('socket folder left', f);

  // What was recorded, checked.
  const d = dir();
  if (d !== undefined && existsSync(join(d, 'test.json')) && !outcome.quitAtOnce && !hung) {
    const resultsPath = join(d, 'results.json');
    if (!existsSync(resultsPath)) fail('no results.json', d);
    else {
      try {
        const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as { invocations?: number };
        const { history } = await readHistoryFile(join(d, 'history.jsonl'));
        if (results.invocations !== history.invocationCount) fail('results.json differs from the history', `results.json: ${results.invocations} invocations; history.jsonl: ${history.invocationCount}`);
      } catch (e) {
        fail('results.json differs from the history', (e as Error).message);
      }
    }
  }

  // Clean up whatever is left, so the next iteration (and other people's runs) do not see it.
  for (const p of taggedProcesses(tag)) {
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(p.pid, sig);
      } catch {
        // Gone.
      }
    }
  }
  if (id !== undefined && outcome.failures.some((f) => f.kind === 'namespace left' || f.kind === 'rule left' || f.kind === 'owner record left')) {
    await execa(process.execPath, [join(root, 'bin', 'faultline.js'), 'heal', '--run', id, '--force'], { reject: false });
  }
  for (const f of folders) rmSync(f, { recursive: true, force: true });
  if (outcome.failures.length === 0 || options.keepFailed === false) rmSync(store, { recursive: true, force: true });
  outcome.totalMs = Date.now() - t0;
  return outcome;
}

/** Runs `plans` with at most `concurrency` at a time (they mostly wait); `onDone` hears each outcome. */
export async function runPlans(plans: readonly Plan[], options: IterationOptions & { concurrency: number; onDone?: (o: Outcome) => void }): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(plans.length);
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const i = next++;
      outcomes[i] = await runIteration(plans[i], options);
      options.onDone?.(outcomes[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return outcomes;
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** The figures: iterations, signalled, failures by kind and by moment, timings. */
export function summarize(outcomes: readonly Outcome[], seed: number): string[] {
  const signalled = outcomes.filter((o) => o.signalled);
  const failed = outcomes.filter((o) => o.failures.length > 0);
  const byKind = new Map<string, number>();
  for (const o of outcomes) for (const k of new Set(o.failures.map((f) => f.kind))) byKind.set(k, (byKind.get(k) ?? 0) + 1);
  const byMoment = new Map<string, { runs: number; failed: number }>();
  for (const o of outcomes) {
    const m = byMoment.get(o.plan.moment) ?? { runs: 0, failed: 0 };
    m.runs++;
    if (o.failures.length > 0) m.failed++;
    byMoment.set(o.plan.moment, m);
  }
  const count = (pred: (o: Outcome) => boolean) => outcomes.filter(pred).length;
  const ms = (xs: number[]) => (xs.length === 0 ? '-' : `median ${percentile(xs, 0.5)} ms, p95 ${percentile(xs, 0.95)} ms, max ${Math.max(...xs)} ms`);
  return [
    `signal stress, seed ${seed}: ${outcomes.length} iterations, ${signalled.length} signalled (${outcomes.length - signalled.length} ended before their moment), ${failed.length} failed`,
    `  kinds: ${count((o) => o.plan.system === 'etcd')} etcd · ${count((o) => o.plan.via === 'npx')} via npx · ${count((o) => o.plan.via === 'tty')} npx in a terminal · ${count((o) => o.plan.via === 'pipe')} piped · ${count((o) => o.plan.to === 'group')} to the group · ${count((o) => o.plan.signal === 'SIGINT')} SIGINT · ${count((o) => o.plan.count === 2)} twice (${count((o) => o.quitAtOnce)} quit at once)`,
    `  failures by kind: ${byKind.size === 0 ? 'none' : [...byKind].map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    `  by moment: ${[...byMoment].map(([m, v]) => `${m} ${v.failed}/${v.runs}`).join(', ')}`,
    `  signal → faultline gone: ${ms(signalled.map((o) => o.toExitMs!).filter((x) => x !== undefined))}`,
    `  faultline gone → no process of the run: ${ms(outcomes.map((o) => o.toCleanMs).filter((x): x is number => x !== undefined))}`,
    `  iteration: ${ms(outcomes.map((o) => o.totalMs))}`,
  ];
}

/** One paragraph per failed iteration: its plan, what was left, the end of its output. */
export function failureReport(outcomes: readonly Outcome[]): string[] {
  const out: string[] = [];
  for (const o of outcomes.filter((x) => x.failures.length > 0)) {
    out.push(`${describePlan(o.plan)} — run ${o.runId ?? '?'}, ${o.dir ?? 'no run folder'}${o.exit ? `, exit ${o.exit.code ?? o.exit.signal}` : ''}`);
    for (const f of o.failures) out.push(`    ${f.kind}: ${f.detail}`);
    out.push(...o.output.trim().split('\n').slice(-6).map((l) => `    | ${l}`));
  }
  return out;
}

/** A fresh folder for the iterations' stores (short: unix socket paths live under it in places). */
export function stressStoreRoot(): string {
  return mkdtempSync(join(tmpdir(), 'fl-stress-'));
}
