// Brings a remote log file home: `cat` on the node (through its control), its output streamed
// straight into the local file, so a large log never sits in memory.
import { rmSync } from 'node:fs';
import { execa } from 'execa';
import type { Control } from '../../control/types.js';

/**
 * Copies `remote` to `local`. Resolves with undefined when done or when the remote file does not
 * exist (a node that never started has no log), else with why it could not copy.
 */
export async function copyLog(control: Control, remote: string, local: string, timeoutMs: number): Promise<string | undefined> {
  // `test -e` first tells a missing file apart from a failing copy without parsing cat's message.
  const argv = control.wrap(['sh', '-c', 'test -e "$1" || exit 3; exec cat -- "$1"', 'sh', remote]);
  const r = await execa(argv[0], argv.slice(1), { stdin: 'ignore', stdout: { file: local }, stderr: 'pipe', reject: false, timeout: timeoutMs, forceKillAfterDelay: 1000 });
  if (r.exitCode === 0) return undefined;
  rmSync(local, { force: true });
  if (r.exitCode === 3) return undefined;
  if (r.timedOut) return `${control.where}: copying ${remote} took longer than ${timeoutMs} ms`;
  return `${control.where}: cannot copy ${remote}: ${String(r.stderr ?? '').trim().split('\n').at(-1) || `exit code ${r.exitCode}`}`;
}
