// How a process faultline spawned (a built-in node, etcd's guard) notices faultline is gone, even
// after a SIGKILL: its stdin pipe from faultline closes, or the parent pid disappears.
import { fstatSync } from 'node:fs';

const PARENT_POLL_MS = 500;

/** True while `pid` exists (EPERM: it exists but belongs to someone else, e.g. after a user change). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A pipe or socket from the parent; not a terminal or /dev/null, which say nothing about it. */
function stdinIsPipe(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/**
 * Calls `gone(why)` when the parent goes away: stdin EOF (when stdin is a pipe), or the pid
 * `parent` gone or, if it was our direct parent, no longer our parent. A wrapper between us
 * (ip netns exec, nsenter) makes our ppid differ; then only the parent's existence is checked.
 */
export function watchParent(parent: number | undefined, gone: (why: string) => void): void {
  if (stdinIsPipe()) {
    process.stdin.on('end', () => gone('stdin closed (the parent is gone)'));
    process.stdin.on('error', () => gone('stdin failed (the parent is gone)'));
    process.stdin.resume();
  }
  if (parent === undefined) return;
  const direct = process.ppid === parent;
  setInterval(() => {
    if ((direct && process.ppid !== parent) || !pidAlive(parent)) gone(`parent ${parent} is gone`);
  }, PARENT_POLL_MS).unref();
}
