// Named network namespaces on this machine (/run/netns): which exist, which processes are inside,
// ending those processes and deleting the namespaces. Shared by network teardown and `faultline heal`.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { run } from './local.js';

const NETNS_DIR = '/run/netns';
export const NAMESPACE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The named network namespaces (what `ip netns list` shows), from /run/netns. */
export function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_DIR).filter((n) => NAMESPACE_NAME.test(n));
  } catch {
    return [];
  }
}

/** The pid of every process inside each of `names`, found by the namespace inode in /proc (no spawn). */
export function namespacePids(names: readonly string[]): Map<string, number[]> {
  const byInode = new Map<string, string>();
  const out = new Map<string, number[]>();
  for (const name of names) {
    out.set(name, []);
    try {
      byInode.set(`net:[${statSync(`${NETNS_DIR}/${name}`).ino}]`, name);
    } catch {
      // Gone already: no processes to find.
    }
  }
  if (byInode.size === 0) return out;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let link: string;
    try {
      link = readlinkSync(`/proc/${entry}/ns/net`);
    } catch {
      continue; // exited meanwhile, or a kernel thread
    }
    const name = byInode.get(link);
    if (name !== undefined) out.get(name)!.push(Number(entry));
  }
  return out;
}

/** Whether `pid` runs (a zombie, dead but not yet reaped by its parent, does not count). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Ends `pids`: SIGCONT first, so a paused process is not left stopped if SIGKILL were refused,
 * then SIGKILL; waits up to `waitMs` for them to be gone. Resolves with those still alive.
 */
export async function endProcesses(pids: readonly number[], waitMs = 2000): Promise<number[]> {
  for (const pid of pids) {
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(pid, sig);
      } catch {
        // Already gone.
      }
    }
  }
  const deadline = Date.now() + waitMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Deletes the namespaces in one `ip -batch` (names already gone are fine); resolves with those still there. */
export async function deleteNamespaces(names: readonly string[]): Promise<string[]> {
  for (const n of names) if (!NAMESPACE_NAME.test(n)) throw new Error(`not a namespace name: ${JSON.stringify(n)}`);
  if (names.length === 0) return [];
  await run(['ip', '-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join(''), allowFailure: true });
  const left = new Set(listNamespaces());
  return names.filter((n) => left.has(n));
}
