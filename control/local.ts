// Commands on this machine, through execa with argument arrays.
import { execa } from 'execa';
import type { Control, ExecOptions, ExecResult } from './types.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface Spawned extends ExecResult {
  timedOut: boolean;
  /** Why the command could not be started at all (no such file, …). */
  notRun?: string;
}

/**
 * Runs argv, giving up after the timeout. On a timeout the process is killed and its pipes are
 * dropped: a command that left a background process holding them (a multiplexed ssh client, a
 * `setsid -f` start-up) would otherwise keep the call waiting long after the timeout.
 */
export async function spawnWithTimeout(argv: readonly string[], options: ExecOptions = {}): Promise<Spawned> {
  const [file, ...args] = argv;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = execa(file, args, {
    reject: false,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    forceKillAfterDelay: 1_000,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill();
    child.stdout?.destroy();
    child.stderr?.destroy();
  }, timeoutMs);
  const r = await child;
  clearTimeout(timer);
  return {
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    exitCode: r.exitCode ?? -1,
    timedOut,
    ...(r.exitCode === undefined && !timedOut ? { notRun: r.shortMessage ?? 'could not run' } : {}),
  };
}

/** Runs argv with a timeout; a failure's message is the command and the first lines of its stderr. */
export async function run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const r = await spawnWithTimeout(argv, options);
  if (r.timedOut) throw new Error(`${argv.join(' ')}: no answer within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`);
  if (r.notRun !== undefined) throw new Error(`${argv.join(' ')}: ${r.notRun}`);
  if (r.exitCode !== 0 && !options.allowFailure) {
    const gist = r.stderr.trim().split('\n').slice(0, 3).join(' / ') || `exit code ${r.exitCode}`;
    throw new Error(`${argv.join(' ')}: ${gist}`);
  }
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

export const local: Control = {
  where: 'local',
  exec: (command, options) => run(command, options),
  wrap: (command) => [...command],
};
