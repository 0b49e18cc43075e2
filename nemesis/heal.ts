// What `faultline heal` removes: leftovers of runs that died without tearing down — namespaces
// named fl-<runid>-… (and the processes inside them), rules tagged faultline:<runid> in the root
// namespace (the guard), and built-in store nodes left stopped (SIGSTOP) after their runner died.
// Only what faultline made: the fl- prefix, the faultline: tag, the node-main command line. A run
// whose owner process still lives (control/run-owner.ts) is left alone unless forced.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../control/local.js';
import { deleteNamespaces, endProcesses, isAlive, listNamespaces, namespacePids } from '../control/namespaces.js';
import { hasRecord, liveOwner, OWNER_DIR, recordedRuns, releaseRun } from '../control/run-owner.js';

const RUN_NAMESPACE = /^fl-([a-z0-9]{1,12})-[A-Za-z0-9_.-]+$/;
const TAG = /^faultline:([a-z0-9]{1,12})$/;
const TABLES = ['filter', 'nat', 'mangle'] as const;

export interface TaggedRule {
  table: string;
  /** The rule as `iptables -S` prints it, e.g. -A OUTPUT -d 198.18.0.0/15 -m comment --comment "faultline:ab12c" -j REJECT. */
  text: string;
  /** The arguments that delete it: -t TABLE -D CHAIN … */
  deleteArgs: string[];
}

export interface RunLeftovers {
  runId: string;
  namespaces: { name: string; pids: number[] }[];
  rules: TaggedRule[];
  /** Its short socket folders in the temporary directory (fl-<runid>-s, -r-XXXXXX, -etcd-XXXXXX). */
  folders: string[];
  /** The pid of the run's faultline process when it still runs (then the run is left alone unless forced). */
  owner?: number;
  /** Its owner record /run/faultline/<runid>.json exists (removed once nothing else is left). */
  record?: boolean;
}

export interface StoppedNode {
  pid: number;
  /** The runner that started it, gone. */
  parentPid?: number;
}

export interface Leftovers {
  runs: RunLeftovers[];
  stoppedNodes: StoppedNode[];
}

/** Splits an `iptables -S` line into words; "…" groups a word, with \" and \\ inside. */
export function splitRuleLine(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    while (i < line.length && line[i] !== ' ') {
      if (line[i] === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          word += line[i++];
        }
        i++; // the closing quote
      } else {
        word += line[i++];
      }
    }
    words.push(word);
  }
  return words;
}

/** The rules of `iptables -S` output tagged faultline:<runid>, with how to delete each. */
export function taggedRules(table: string, listing: string): { runId: string; rule: TaggedRule }[] {
  const out: { runId: string; rule: TaggedRule }[] = [];
  for (const line of listing.split('\n')) {
    if (!line.startsWith('-A ')) continue;
    const words = splitRuleLine(line);
    const at = words.indexOf('--comment');
    const m = at >= 0 ? TAG.exec(words[at + 1] ?? '') : null;
    if (!m) continue;
    out.push({ runId: m[1], rule: { table, text: line, deleteArgs: ['-t', table, '-D', ...words.slice(1)] } });
  }
  return out;
}

/** Reads a process's state letter and command line; undefined when it is gone. */
function processInfo(pid: number): { state: string; argv: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    return { state, argv };
  } catch {
    return undefined;
  }
}

/** Built-in store nodes (node-main.js) that are stopped and whose runner (parentPid in their config) is gone. */
export function findStoppedNodes(): StoppedNode[] {
  const out: StoppedNode[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const info = processInfo(pid);
    if (!info || (info.state !== 'T' && info.state !== 't')) continue;
    const main = info.argv.findIndex((a) => /[/\\]targets[/\\]builtin[/\\]node-main\.js$/.test(a));
    if (main < 0) continue;
    let parentPid: number | undefined;
    try {
      const config = JSON.parse(info.argv[main + 1] ?? '') as { parentPid?: unknown };
      if (typeof config.parentPid === 'number') parentPid = config.parentPid;
    } catch {
      // A config file path, not inline JSON: no parent to ask, so the node counts as orphaned only
      // when its parent process is gone (checked below through /proc).
    }
    parentPid ??= parentOf(pid);
    if (parentPid !== undefined && parentPid > 1 && isAlive(parentPid)) continue;
    out.push({ pid, ...(parentPid !== undefined ? { parentPid } : {}) });
  }
  return out;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

export interface FindOptions {
  /** Only this run's leftovers. */
  runId?: string;
}

export async function findLeftovers(options: FindOptions = {}): Promise<Leftovers> {
  const runs = new Map<string, RunLeftovers>();
  const runOf = (runId: string): RunLeftovers => {
    let r = runs.get(runId);
    if (!r) runs.set(runId, (r = { runId, namespaces: [], rules: [], folders: [] }));
    return r;
  };
  const names = listNamespaces().filter((n) => {
    const m = RUN_NAMESPACE.exec(n);
    return m !== null && (options.runId === undefined || m[1] === options.runId);
  });
  const pids = namespacePids(names);
  for (const name of names.sort()) runOf(RUN_NAMESPACE.exec(name)![1]).namespaces.push({ name, pids: pids.get(name) ?? [] });
  const listings = await Promise.all(TABLES.map((t) => run(['iptables', '-w', '-t', t, '-S'], { allowFailure: true })));
  TABLES.forEach((table, i) => {
    if (listings[i].exitCode !== 0) return; // a table the kernel does not offer holds no rules of ours
    for (const { runId, rule } of taggedRules(table, listings[i].stdout)) if (options.runId === undefined || runId === options.runId) runOf(runId).rules.push(rule);
  });
  // A remote run (--cluster) has no namespace or rule here, only its socket folder: found when asked for by id.
  if (options.runId !== undefined && socketFolders(options.runId).length > 0) runOf(options.runId);
  // A record alone is left too when faultline died between claiming the run and its first rule.
  for (const runId of recordedRuns()) if ((options.runId === undefined || runId === options.runId) && liveOwner(runId) === undefined) runOf(runId);
  for (const r of runs.values()) {
    const owner = liveOwner(r.runId);
    if (owner !== undefined) r.owner = owner;
    if (hasRecord(r.runId)) r.record = true;
    r.folders = socketFolders(r.runId);
  }
  return { runs: [...runs.values()].sort((a, b) => a.runId.localeCompare(b.runId)), stoppedNodes: options.runId === undefined ? findStoppedNodes() : [] };
}

/** The exact names of the socket folders a run makes (targets/common/socket-dir.ts): nothing else in /tmp is touched. */
function socketFolders(runId: string): string[] {
  const own = new RegExp(`^fl-${runId}-(s|r-[A-Za-z0-9]{6}|etcd-[A-Za-z0-9]{6}|pg-[A-Za-z0-9]{6})$`);
  const found = new Set<string>();
  for (const base of new Set([tmpdir(), '/tmp'])) {
    try {
      for (const f of readdirSync(base)) if (own.test(f)) found.add(join(base, f));
    } catch {
      // no such folder
    }
  }
  return [...found].sort();
}

export interface HealOptions {
  /** Also runs whose faultline process still lives. */
  force?: boolean;
}

export interface HealOutcome {
  /** What was removed, one line each. */
  removed: string[];
  /** Runs left alone (their owner lives). */
  skipped: string[];
  /** What could not be removed. */
  failed: string[];
}

/** Removes `leftovers` (see findLeftovers): processes, then namespaces, then rules, per run. */
export async function healLeftovers(leftovers: Leftovers, options: HealOptions = {}): Promise<HealOutcome> {
  const outcome: HealOutcome = { removed: [], skipped: [], failed: [] };
  for (const r of leftovers.runs) {
    if (r.owner !== undefined && !options.force) {
      outcome.skipped.push(`run ${r.runId}: its faultline process ${r.owner} still runs (--force to heal it anyway)`);
      continue;
    }
    const pids = r.namespaces.flatMap((n) => n.pids);
    if (pids.length > 0) {
      const stuck = await endProcesses(pids);
      for (const p of pids) (stuck.includes(p) ? outcome.failed : outcome.removed).push(`process ${p} (run ${r.runId})`);
    }
    const left = await deleteNamespaces(r.namespaces.map((n) => n.name));
    for (const n of r.namespaces) (left.includes(n.name) ? outcome.failed : outcome.removed).push(`namespace ${n.name}`);
    for (const rule of r.rules) {
      const res = await run(['iptables', '-w', ...rule.deleteArgs], { allowFailure: true });
      (res.exitCode === 0 ? outcome.removed : outcome.failed).push(`iptables -t ${rule.table} ${rule.text}${res.exitCode === 0 ? '' : `: ${res.stderr.trim()}`}`);
    }
    for (const f of r.folders) {
      try {
        rmSync(f, { recursive: true, force: true });
        outcome.removed.push(`folder ${f}`);
      } catch (e) {
        outcome.failed.push(`folder ${f}: ${(e as Error).message}`);
      }
    }
    if (left.length === 0 && r.record) {
      releaseRun(r.runId);
      outcome.removed.push(`owner record ${OWNER_DIR}/${r.runId}.json`);
    }
  }
  if (leftovers.stoppedNodes.length > 0) {
    const stuck = await endProcesses(leftovers.stoppedNodes.map((s) => s.pid));
    for (const s of leftovers.stoppedNodes) (stuck.includes(s.pid) ? outcome.failed : outcome.removed).push(`stopped node process ${s.pid}`);
  }
  return outcome;
}

/** One line per leftover, for --dry-run. */
export function describeLeftovers(leftovers: Leftovers): string[] {
  const lines: string[] = [];
  for (const r of leftovers.runs) {
    lines.push(`run ${r.runId}${r.owner !== undefined ? ` (still running: faultline process ${r.owner}; heal leaves it alone unless --force)` : ''}:`);
    for (const n of r.namespaces) lines.push(`  namespace ${n.name}${n.pids.length > 0 ? ` (processes ${n.pids.join(', ')})` : ''}`);
    for (const rule of r.rules) lines.push(`  iptables -t ${rule.table} ${rule.text}`);
    for (const f of r.folders) lines.push(`  folder ${f}`);
    if (r.record && r.owner === undefined) lines.push(`  owner record ${OWNER_DIR}/${r.runId}.json`);
  }
  for (const s of leftovers.stoppedNodes) lines.push(`stopped node process ${s.pid}${s.parentPid !== undefined ? ` (its runner ${s.parentPid} is gone)` : ''}`);
  return lines;
}
