// This machine's process table as /proc shows it: one parser of /proc/PID/stat for everything
// that signals, waits for or reaps processes (the targets, the guard, cluster holders, heal).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** The state letter: R, S, D, T, Z, … */
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot (field 22): with the pid, names a process for good. */
  start: string;
}

/** Parses /proc/PID/stat: `pid (comm) state ppid …`, where comm may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  const m = /^(\d+) \(/.exec(text);
  if (!m || close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  if (rest[0] === undefined || rest[0] === '' || !Number.isInteger(ppid)) return undefined;
  return { pid: Number(m[1]), state: rest[0], ppid, start: rest[19] ?? '' };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The state letter of `pid` (R, S, T, Z, …), undefined when it does not exist. */
export function processState(pid: number): string | undefined {
  return readStat(pid)?.state;
}

/** True while `pid` exists and is not a zombie. */
export function running(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}

/** Living (not zombie) processes by parent pid. */
function childrenByParent(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name)); // undefined when gone meanwhile
    if (s === undefined || s.state === 'Z') continue;
    const list = byParent.get(s.ppid) ?? [];
    list.push(s.pid);
    byParent.set(s.ppid, list);
  }
  return byParent;
}

/** Living processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return childrenByParent().get(pid) ?? [];
}

/** Every living descendant of `root` (children first, then theirs), not `root` itself. */
export function descendantsOf(root: number): number[] {
  const byParent = childrenByParent();
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    for (const pid of byParent.get(queue.shift()!) ?? []) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      out.push(pid);
      queue.push(pid);
    }
  }
  return out;
}

/** Sends `sig`, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
