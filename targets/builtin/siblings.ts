// A node paused with SIGSTOP cannot notice that its parent died, so the nodes of a cluster look
// after each other: each leaves a pid file (pid and kernel start time, so a reused pid is never
// mistaken for it) in the cluster's pid dir, and a node that sees its parent gone kills its
// siblings before it exits. Only when every node is paused at once is one left behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface PidFile {
  pid: number;
  start: string;
}

/** The process's start time in clock ticks since boot (/proc/PID/stat field 22); undefined off Linux. */
function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); field 22 is fields[19].
    return fields[19];
  } catch {
    return undefined;
  }
}

function pidFile(dir: string, node: string): string {
  return join(dir, `${node}.pid`);
}

export function writePidFile(dir: string, node: string): void {
  const start = startTime('self');
  if (start === undefined) return;
  writeFileSync(pidFile(dir, node), JSON.stringify({ pid: process.pid, start } satisfies PidFile));
}

/** SIGKILLs every sibling whose pid file still describes a live process; says which. */
export function killSiblings(dir: string, nodes: readonly string[], self: string): string[] {
  const killed: string[] = [];
  for (const n of nodes) {
    if (n === self) continue;
    let f: PidFile;
    try {
      f = JSON.parse(readFileSync(pidFile(dir, n), 'utf8')) as PidFile;
    } catch {
      continue;
    }
    if (!Number.isInteger(f.pid) || f.pid === process.pid || startTime(f.pid) !== f.start) continue;
    try {
      process.kill(f.pid, 'SIGKILL');
      killed.push(`${n} (pid ${f.pid})`);
    } catch {
      // Gone already.
    }
  }
  return killed;
}
