// `faultline heal --cluster FILE`: what a remote run that died left on its hosts, found and removed
// over ssh. A node's lifeline normally heals it when faultline dies; this is for when it could not
// (the host was unreachable then, the lifeline's stop failed, a session was killed), and removes
// what a lifeline leaves on purpose (the dead run's data and logs, for a person to look at first).
// Three things are faultline's there: iptables rules tagged faultline:<runid> (the partition chain
// and its hook), the node's processes whose pid files sit in the node's workDir, and the workDir's
// data/ and logs/ folders.
//
// Conservative by design. A run whose lifeline still waits on a host is alive (some faultline still
// holds its session), so its rules and node are left alone unless forced. A pid file counts only if
// the process it names started before the file was written: a pid file survives a reboot (workDir
// is usually under /var/lib), and after one its number may name any process of the machine.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { taggedRules, type TaggedRule } from '../../nemesis/heal.js';
import type { ClusterSpec } from './cluster-file.js';
import { sshHosts, workDirOf, type RemoteHost } from './cluster.js';
import { shortSocketDir } from '../common/socket-dir.js';
import { lifelineArgv } from './lifeline.js';
import { placeholdersIn } from '../system/placeholders.js';
import { reasonOf } from '../system/remote-machine.js';
import { remoteScripts } from '../system/remote-scripts.js';
import { PARTITION_CHAIN } from './remnants.js';

const TABLES = ['filter', 'nat', 'mangle'] as const;
const RUN_ID = /^[a-z0-9]{1,12}$/;
/** Seconds a process may seem to start after its pid file was written: btime and mtime are whole seconds. */
const START_SLACK_S = 2;

/** What one host holds of faultline's, as its survey script reports it. */
export interface HostSurvey {
  /** false: no iptables on the host, hence no rules of ours. */
  iptables: boolean;
  /** Rules tagged faultline:<runid>, with the run. */
  rules: { runId: string; rule: TaggedRule }[];
  /** Tables where the partition chain exists. */
  chains: string[];
  /** Every rule in the partition chain or jumping to it, tagged or not (the chain goes only once all are removed). */
  chainRules: string[];
  /** Runs whose lifeline session still waits on the host, with its pids: a faultline still holds them. */
  liveRuns: Map<string, number[]>;
  /** The workDir each waiting lifeline stops if it fires (what a live run uses), with the lifelines' pids. */
  liveWorkDirs: Map<string, number[]>;
}

/** What a pid file in a workDir names. */
export type PidFileState =
  | { kind: 'none' }
  | { kind: 'unreadable' }
  | { kind: 'gone'; pid: number }
  | {
      kind: 'live';
      pid: number;
      /** /proc state letter (T: paused). */
      state: string;
      comm: string;
      /** When the process started and when the pid file was last written, in seconds since the epoch. */
      startedAt: number;
      writtenAt: number;
      /** The run that started it, as its pid file says (the word after the pid). */
      runId?: string;
    };

// $1: the lifeline script (argv[2] of every lifeline session). Prints `noiptables`, or `rule TABLE
// LINE` for each iptables -S line that mentions faultline; then `lifeline PID TAG` for each tag in
// the argv of a live lifeline session, and `lifedir PID WORKDIR` for the workDir its loss command
// stops (the argument before the last: cluster.ts lossCommand ends with stopall's WORKDIR GRACE).
// Only processes named sh can be lifelines: no other is read.
const SURVEY = `
lifeline=$1
if command -v iptables >/dev/null 2>&1; then
  for t in ${TABLES.join(' ')}; do
    iptables -w -t "$t" -S 2>/dev/null | grep -E 'faultline:|${PARTITION_CHAIN}' | sed "s/^/rule $t /"
  done
else
  echo noiptables
fi
for d in /proc/[0-9]*; do
  read -r comm 2>/dev/null <"$d/comm" || continue
  [ "$comm" = sh ] || continue
  [ "$(tr '\\0' '\\n' 2>/dev/null <"$d/cmdline" | sed -n 3p)" = "$lifeline" ] || continue
  tr '\\0' '\\n' 2>/dev/null <"$d/cmdline" | grep -E '^faultline:[a-z0-9]{1,12}$' | sed "s/^/lifeline \${d#/proc/} /"
  w=$(tr '\\0' '\\n' 2>/dev/null <"$d/cmdline" | tail -n 2 | head -n 1)
  case $w in /*) echo "lifedir \${d#/proc/} $w";; esac
done
exit 0
`;

// $@: pid files. For the i-th: `pidfile I none|unreadable`, `pidfile I gone PID`, or
// `pidfile I live PID STATE STARTTICKS BTIME CLK MTIME RUN COMM` (RUN - when the file names none).
// Reads only.
const PID_FILES = `
btime=0; while read -r k v; do [ "$k" = btime ] && btime=$v; done </proc/stat
clk=$(getconf CLK_TCK 2>/dev/null) || clk=100
i=0
for f in "$@"; do
  i=$((i+1))
  [ -e "$f" ] || { echo "pidfile $i none"; continue; }
  pid=; run=; read -r pid run 2>/dev/null <"$f"
  case $pid in ''|*[!0-9]*) echo "pidfile $i unreadable"; continue;; esac
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || { echo "pidfile $i gone $pid"; continue; }
  set -- \${stat##*) }
  st=$1; shift 19; start=$1
  [ "$st" = Z ] && { echo "pidfile $i gone $pid"; continue; }
  mtime=$(stat -c %Y -- "$f" 2>/dev/null) || mtime=0
  case $run in ''|*[!a-z0-9]*) run=;; esac
  comm=?; read -r comm 2>/dev/null <"/proc/$pid/comm"
  echo "pidfile $i live $pid $st $start $btime $clk $mtime \${run:--} $comm"
done
exit 0
`;

/** The remote argv that surveys a host (parseSurvey reads its output). */
export function surveyArgv(): string[] {
  return ['sh', '-c', SURVEY, 'sh', lifelineArgv([])[2]];
}

// $@: workDirs. Prints each that holds something of a run: data/, logs/ or a pid file.
const LEFT_IN = `
for w in "$@"; do
  { [ -e "$w/data" ] || [ -e "$w/logs" ] || [ -n "$(ls -- "$w"/*.pid 2>/dev/null)" ]; } && echo "$w"
done
exit 0
`;

/** The remote argv that prints which of `workDirs` hold something of a run. */
export function leftInArgv(workDirs: readonly string[]): string[] {
  return ['sh', '-c', LEFT_IN, 'sh', ...workDirs];
}

/** The remote argv that reads `pidFiles` (parsePidFiles reads its output). */
export function pidFilesArgv(pidFiles: readonly string[]): string[] {
  return ['sh', '-c', PID_FILES, 'sh', ...pidFiles];
}

export function parseSurvey(text: string): HostSurvey {
  const survey: HostSurvey = { iptables: true, rules: [], chains: [], chainRules: [], liveRuns: new Map(), liveWorkDirs: new Map() };
  for (const line of text.split('\n')) {
    if (line === 'noiptables') survey.iptables = false;
    const rule = /^rule (\S+) (.*)$/.exec(line);
    if (rule) {
      const [, table, text] = rule;
      if (text === `-N ${PARTITION_CHAIN}`) survey.chains.push(table);
      else if (text.startsWith(`-A ${PARTITION_CHAIN} `) || text.endsWith(` -j ${PARTITION_CHAIN}`)) survey.chainRules.push(`${table} ${text}`);
      survey.rules.push(...taggedRules(table, text));
    }
    const lifeline = /^lifeline (\d+) faultline:([a-z0-9]{1,12})$/.exec(line);
    if (lifeline) {
      const pids = survey.liveRuns.get(lifeline[2]) ?? [];
      pids.push(Number(lifeline[1]));
      survey.liveRuns.set(lifeline[2], pids);
    }
    const dir = /^lifedir (\d+) (\/.*)$/.exec(line);
    if (dir) {
      const workDir = dir[2].replace(/\/+$/, '');
      survey.liveWorkDirs.set(workDir, [...(survey.liveWorkDirs.get(workDir) ?? []), Number(dir[1])]);
    }
  }
  return survey;
}

/** The state of each pid file by its position in the argv (0-based); a file the output skips counts as unreadable. */
export function parsePidFiles(text: string, count: number): PidFileState[] {
  const states: PidFileState[] = Array.from({ length: count }, () => ({ kind: 'unreadable' }));
  for (const line of text.split('\n')) {
    const m = /^pidfile (\d+) (none|unreadable|gone|live)(?: (.*))?$/.exec(line);
    if (!m) continue;
    const i = Number(m[1]) - 1;
    if (i < 0 || i >= count) continue;
    const rest = (m[3] ?? '').split(' ');
    if (m[2] === 'none' || m[2] === 'unreadable') states[i] = { kind: m[2] };
    else if (m[2] === 'gone') states[i] = { kind: 'gone', pid: Number(rest[0]) };
    else {
      const [pid, state, startTicks, btime, clk, mtime, token, ...comm] = rest;
      const nums = [pid, startTicks, btime, clk, mtime].map(Number);
      if (nums.some((n) => !Number.isInteger(n) || n < 0) || nums[3] === 0) continue; // unreadable
      states[i] = {
        kind: 'live',
        pid: nums[0],
        state,
        comm: comm.join(' '),
        startedAt: nums[2] + Math.floor(nums[1] / nums[3]),
        writtenAt: nums[4],
        ...(RUN_ID.test(token) ? { runId: token } : {}),
      };
    }
  }
  return states;
}

/** Whether a live pid file's process is the one faultline started: it cannot be older than the file naming it. */
export function startedByPidFile(p: Extract<PidFileState, { kind: 'live' }>): boolean {
  return p.startedAt <= p.writtenAt + START_SLACK_S;
}

export interface RemoteHealOptions {
  /** Only this run's leftovers. */
  runId?: string;
  /** List only. */
  dryRun?: boolean;
  /** Also runs whose lifeline still waits on a host. */
  force?: boolean;
}

export type HealVerb = 'removed' | 'would remove' | 'left' | 'could not remove' | 'unreachable';

export interface HealLine {
  verb: HealVerb;
  node: string;
  host: string;
  text: string;
}

export function formatHealLine(l: HealLine): string {
  return `${l.verb} ${l.node} (${l.host}): ${l.text}`;
}

/** A node's pid file to check: where, and the run its workDir belongs to (when workDir uses {runId}). */
interface PidFileCandidate {
  workDir: string;
  pidFile: string;
  runId?: string;
}

/** Over ssh to every host of `spec`: lists (dryRun) or removes faultline's leftovers, one line per thing, in node order. */
export async function healRemoteCluster(spec: ClusterSpec, options: RemoteHealOptions = {}): Promise<HealLine[]> {
  if (options.runId !== undefined && !RUN_ID.test(options.runId)) throw new Error(`heal: bad run id ${JSON.stringify(options.runId)}`);
  const controlDir = shortSocketDir('fl-heal-');
  const hosts: RemoteHost[] = [];
  try {
    hosts.push(...sshHosts(spec, controlDir));
    const perHost = await Promise.all(hosts.map((h) => healHost(spec, h, options)));
    return perHost.flat();
  } finally {
    await Promise.allSettled(hosts.map((h) => h.control.close()));
    rmSync(controlDir, { recursive: true, force: true });
  }
}

async function healHost(spec: ClusterSpec, h: RemoteHost, o: RemoteHealOptions): Promise<HealLine[]> {
  const lines: HealLine[] = [];
  const say = (verb: HealVerb, text: string) => lines.push({ verb, node: h.node, host: h.host, text });
  const d = spec.description;
  const timeoutMs = (spec.timeouts.command ?? d.timeouts.command) * 1000;
  const remote = async (argv: string[], allowFailure = false, ms = timeoutMs) => h.control.exec(argv, { timeoutMs: ms, allowFailure });
  // Stopping a workDir's daemons gives each the cluster file's stop timeout (as the run would) before SIGKILL, one after another.
  const stopS = spec.timeouts.stop ?? d.timeouts.stop;
  const stopAllMs = timeoutMs + (1 + d.sidecars.length) * stopS * 1000;
  const wanted = (runId: string | undefined) => o.runId === undefined || runId === o.runId;

  let survey: HostSurvey;
  try {
    await h.control.exec(['true'], { timeoutMs: (spec.ssh.connectTimeout + 5) * 1000 });
    survey = parseSurvey((await remote(surveyArgv())).stdout);
  } catch (e) {
    say('unreachable', reasonOf(e));
    return lines;
  }
  const live = (runId: string | undefined) => runId !== undefined && survey.liveRuns.has(runId) && !o.force;
  const liveNote = (runId: string) =>
    `run ${runId}'s lifeline still waits here (pid ${survey.liveRuns.get(runId)!.join(', ')}): its faultline may still run (--force to heal it anyway)`;

  // Rules: the hook from INPUT first, so traffic stops entering the chain, then the chain's own.
  const rules = survey.rules.filter((r) => wanted(r.runId)).sort((a, b) => Number(b.rule.text.startsWith('-A INPUT ')) - Number(a.rule.text.startsWith('-A INPUT ')));
  const leftRuns = new Set<string>();
  const removedRules = new Set<string>();
  for (const { runId, rule } of rules) {
    const shown = `iptables -t ${rule.table} ${rule.text}`;
    if (live(runId)) {
      if (!leftRuns.has(runId)) say('left', `run ${runId}'s partition rules: ${liveNote(runId)}`);
      leftRuns.add(runId);
      continue;
    }
    if (o.dryRun) {
      say('would remove', shown);
      removedRules.add(`${rule.table} ${rule.text}`);
      continue;
    }
    const r = await remote(['iptables', '-w', ...rule.deleteArgs], true).catch((e: unknown) => ({ exitCode: -1, stderr: reasonOf(e) }));
    if (r.exitCode === 0) {
      say('removed', shown);
      removedRules.add(`${rule.table} ${rule.text}`);
    } else say('could not remove', `${shown}: ${r.stderr.trim() || `exit code ${r.exitCode}`}`);
  }
  // The chain itself is faultline's by name; it goes once nothing else is in it or jumps to it.
  for (const table of survey.chains) {
    const others = survey.chainRules.filter((r) => r.startsWith(`${table} `) && !removedRules.has(r));
    if (others.length > 0) {
      if (o.runId === undefined && leftRuns.size === 0) say('left', `chain ${PARTITION_CHAIN} (${table}): ${others.length} rule(s) not tagged by faultline use it`);
      continue;
    }
    const shown = `chain ${PARTITION_CHAIN} (${table})`;
    if (o.dryRun) {
      say('would remove', shown);
      continue;
    }
    const r = await remote(['sh', '-c', 'iptables -w -t "$1" -F "$2" && iptables -w -t "$1" -X "$2"', 'sh', table, PARTITION_CHAIN], true).catch((e: unknown) => ({ exitCode: -1, stderr: reasonOf(e) }));
    if (r.exitCode === 0) say('removed', shown);
    else say('could not remove', `${shown}: ${r.stderr.trim() || `exit code ${r.exitCode}`}`);
  }

  // The node: which workDirs to look in. A workDir with {runId} exists per run: the one asked for,
  // or those whose rules are still here; otherwise there is one workDir whatever the run.
  const node = spec.nodes.find((n) => n.name === h.node)!;
  const perRun = placeholdersIn(spec.workDir).includes('runId');
  const runIds = o.runId !== undefined ? [o.runId] : [...new Set(survey.rules.map((r) => r.runId))].sort();
  const workDirs = perRun ? runIds.map((runId) => ({ workDir: workDirOf(spec, node, runId), runId })) : [{ workDir: workDirOf(spec, node, 'x'), runId: undefined }];
  const daemons = ['node', ...d.sidecars.map((s) => s.name)];
  const candidates: PidFileCandidate[] = workDirs.flatMap((w) => daemons.map((name) => ({ workDir: w.workDir, pidFile: `${w.workDir}/${name}.pid`, ...(w.runId ? { runId: w.runId } : {}) })));
  if (candidates.length === 0) return lines;
  let states: PidFileState[];
  try {
    states = parsePidFiles((await remote(pidFilesArgv(candidates.map((c) => c.pidFile)))).stdout, candidates.length);
  } catch (e) {
    say('could not remove', `the node's pid files: cannot read them: ${reasonOf(e)}`);
    return lines;
  }
  /** workDirs whose processes are stopped here: their data and logs go too. */
  const stopWorkDirs = new Map<string, string[]>();
  /** workDirs where something runs (or may) that heal leaves: nothing in them is removed. */
  const busy = new Set<string>();
  for (const [i, c] of candidates.entries()) {
    const s = states[i];
    if (s.kind === 'none' || s.kind === 'gone') continue; // a stale pid file goes with its dead run's workDir, below
    busy.add(c.workDir);
    if (s.kind === 'unreadable') {
      say('left', `${c.pidFile}: not a pid file faultline wrote (no pid in it)`);
      continue;
    }
    const what = `${s.comm} pid ${s.pid}${s.state === 'T' ? ' (paused)' : ''} from ${c.pidFile}`;
    if (!startedByPidFile(s)) {
      say('left', `${what}: started after the pid file was written, so not the process faultline started`);
      continue;
    }
    const runId = c.runId ?? s.runId;
    if (o.runId !== undefined && runId !== o.runId) {
      say('left', `${what}: ${runId === undefined ? `cannot tell it is run ${o.runId}'s (heal without --run to stop it)` : `run ${runId}'s, not ${o.runId}'s`}`);
      continue;
    }
    if (live(runId)) {
      say('left', `${what}: ${liveNote(runId!)}`);
      continue;
    }
    if (runId === undefined && survey.liveRuns.size > 0 && !o.force) {
      say('left', `${what}: run ${[...survey.liveRuns.keys()].join(', ')} is alive here and this may be its node (--force to stop it anyway)`);
      continue;
    }
    const list = stopWorkDirs.get(c.workDir) ?? [];
    list.push(`${what}${runId !== undefined ? ` (run ${runId})` : ''}`);
    stopWorkDirs.set(c.workDir, list);
  }
  // A workDir where nothing runs any more (a lifeline stopped it, or it died) but the run's data,
  // logs or stale pid files remain: a dead run's, unless a live run may be the one using it.
  const idle = workDirs.filter((w) => !busy.has(w.workDir) && !stopWorkDirs.has(w.workDir));
  let leftIn: Set<string>;
  try {
    leftIn = idle.length === 0 ? new Set() : new Set((await remote(leftInArgv(idle.map((w) => w.workDir)))).stdout.split('\n').filter(Boolean));
  } catch (e) {
    say('could not remove', `the node's workDir: cannot look into it: ${reasonOf(e)}`);
    leftIn = new Set();
  }
  const deadWorkDirs: string[] = [];
  for (const w of idle) {
    if (!leftIn.has(w.workDir)) continue;
    const what = `${w.workDir}/data and ${w.workDir}/logs`;
    if (o.runId !== undefined && w.runId !== o.runId) {
      say('left', `${what}: nothing runs there, but nothing tells they are run ${o.runId}'s (heal without --run removes them)`);
      continue;
    }
    if (live(w.runId)) {
      say('left', `${what}: ${liveNote(w.runId!)}`);
      continue;
    }
    const holders = survey.liveWorkDirs.get(w.workDir);
    if (holders !== undefined && !o.force) {
      say('left', `${what}: a live run's lifeline (pid ${holders.join(', ')}) stops this workDir's processes if it fires: its faultline may still run (--force to remove them anyway)`);
      continue;
    }
    deadWorkDirs.push(w.workDir);
  }
  for (const workDir of deadWorkDirs) {
    const shown = `${workDir}/data and ${workDir}/logs: a dead run's (nothing of it runs)`;
    if (o.dryRun) {
      say('would remove', shown);
      continue;
    }
    try {
      // stopall only clears stale pid files here (and what their dead processes left in their sessions).
      await remote(remoteScripts.stopAll(workDir, stopS), false, stopAllMs);
      await remote(remoteScripts.remove(workDir, [`${workDir}/data`, `${workDir}/logs`]));
      say('removed', shown);
    } catch (e) {
      say('could not remove', `${shown}: ${reasonOf(e)}`);
    }
  }
  for (const [workDir, whats] of stopWorkDirs) {
    const shown = `${whats.join(', ')}: stop, then remove ${workDir}/data and ${workDir}/logs`;
    if (o.dryRun) {
      say('would remove', shown);
      continue;
    }
    try {
      await remote(remoteScripts.stopAll(workDir, stopS), false, stopAllMs);
      await remote(remoteScripts.remove(workDir, [`${workDir}/data`, `${workDir}/logs`]));
      say('removed', shown);
    } catch (e) {
      say('could not remove', `${shown}: ${reasonOf(e)}`);
    }
  }
  return lines;
}
