// The postmaster and its children, as /proc shows them. PostgreSQL's children (backends, the
// checkpointer, the WAL writer, …) each call setsid(), so no process group holds them all: to
// stop or kill "the server", each one is signalled by pid, found by its parent pid.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** The state letter: R, S, D, T, Z, … */
  state: string;
  ppid: number;
}

/** Parses /proc/PID/stat: `pid (comm) state ppid …`, where comm may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  const m = /^(\d+) \(/.exec(text);
  if (!m || close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  if (rest[0] === undefined || rest[0] === '' || !Number.isInteger(ppid)) return undefined;
  return { pid: Number(m[1]), state: rest[0], ppid };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Living (not zombie) processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== undefined && s.ppid === pid && s.state !== 'Z') out.push(s.pid);
  }
  return out;
}

/** True while `pid` exists and is not a zombie. */
export function running(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
}

/** Sends `signal`, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
