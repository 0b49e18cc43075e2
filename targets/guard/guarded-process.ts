// One server process run under faultline's guard (guard-main.js, the watch that kills the server
// when faultline dies), spawned through the node's control (e.g. `ip netns exec NS node
// guard-main.js … -- redis-server …`), and the server's own pid as the guard reports it, which is
// what kill, pause and resume signal. Every target that runs a program of its own uses it.
import { closeSync, existsSync, openSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { processState } from '../../control/proc.js';

const GUARD_MAIN = 'guard-main.js';

/** guard-main.js next to this file (compiled), else the compiled copy under dist/ (tests run sources). */
export function guardMainPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, GUARD_MAIN), resolve(here, '../../dist/targets/guard', GUARD_MAIN)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`cannot find ${GUARD_MAIN} (looked at ${candidates.join(', ')}); build first: npm run build`);
  return found;
}

export interface GuardOptions {
  /**
   * Also SIGKILL the program's descendants when faultline dies: for servers whose children would
   * outlive it (PostgreSQL's backends, paused, never notice their postmaster is gone).
   */
  killTree?: boolean;
}

/**
 * The guard's own argv around the program's: `node guard-main.js --parent PID [--remove PATH]…
 * [--kill-tree] -- PROGRAM ARGS…`; `remove` lists the server's socket files, which the guard
 * deletes once the program is gone.
 */
export function guardedCommand(program: readonly string[], remove: readonly string[] = [], options: GuardOptions = {}): string[] {
  return [
    process.execPath,
    guardMainPath(),
    '--parent',
    String(process.pid),
    ...remove.flatMap((p) => ['--remove', p]),
    ...(options.killTree ? ['--kill-tree'] : []),
    '--',
    ...program,
  ];
}

/** The program a guarded argv runs (the word after the guard's `--`), for messages; `argv[0]` if none. */
export function guardedProgram(argv: readonly string[]): string {
  const guard = argv.findIndex((a) => basename(a) === GUARD_MAIN);
  const dash = guard < 0 ? -1 : argv.indexOf('--', guard);
  const program = dash < 0 ? argv[0] : argv[dash + 1];
  return basename(program ?? '?');
}

export interface GuardedProcess {
  /** The server's pid (the guard's child). */
  readonly pid: number;
  readonly guardPid: number;
  /** Settles when the guard has exited (it exits right after its child does). */
  readonly exited: Promise<void>;
  /** True once the guard has exited. */
  isDone(): boolean;
  /** How it ended, once it has: an exit code or a signal name. */
  ending(): string | undefined;
  /** SIGKILLs the guard (only if it outlives its child, which it should not). */
  killGuard(): void;
}

export interface SpawnGuarded {
  /** The full command (guardedCommand's argv, wrapped by the node's control). */
  argv: readonly string[];
  /** The server's working directory: its unix sockets may be relative to it. */
  cwd: string;
  /** The server's and the guard's output is appended here. */
  log: string;
  /** How long to wait for the guard to report the server's pid. */
  timeoutMs: number;
}

/**
 * The guard runs in a process group of its own (detached), as its child does in the guard's: a
 * signal to faultline's group — Ctrl-C at a terminal, a CI runner's SIGTERM to the job — reaches
 * faultline, which heals and tears the servers down in order, and neither the guard nor the
 * server. Should faultline die instead, the guard reads end of file on its stdin (this pipe) and
 * SIGKILLs the server, paused or not; so no exit handler of ours is needed for it (execa's
 * `cleanup` would only send SIGTERM, which a paused server ignores).
 */
function spawnGuard(argv: readonly string[], cwd: string, logFd: number) {
  // execa hands any fd number to spawn; its types list only 3-9, hence the cast.
  const fd = logFd as 3;
  return execa(argv[0], argv.slice(1), { cwd, stdin: 'pipe', stdout: 'pipe', stderr: fd, reject: false, buffer: false, detached: true });
}

/** Starts the guarded server and resolves once the guard has reported its pid. */
export async function spawnGuarded(s: SpawnGuarded): Promise<GuardedProcess> {
  const program = guardedProgram(s.argv);
  const fd = openSync(s.log, 'a');
  let proc: ReturnType<typeof spawnGuard>;
  try {
    proc = spawnGuard(s.argv, s.cwd, fd);
  } finally {
    closeSync(fd);
  }
  let done = false;
  let ending: string | undefined;
  const exited = proc.then(
    (r) => {
      done = true;
      ending = r.signal ? `signal ${r.signal}` : `code ${r.exitCode}`;
    },
    () => {
      done = true;
    },
  );
  const guardPid = proc.pid;
  const reported = new Promise<number>((res, rej) => {
    let text = '';
    const timer = setTimeout(() => rej(new Error(`the guard did not report ${program}'s pid within ${s.timeoutMs} ms`)), s.timeoutMs);
    proc.stdout?.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const line = text.split('\n');
      if (line.length > 1 && /^\d+$/.test(line[0])) {
        clearTimeout(timer);
        res(Number(line[0]));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      rej(new Error(`${program} exited at once (${ending ?? 'could not start'})`));
    });
  });
  let pid: number;
  try {
    pid = await reported;
  } catch (e) {
    // SIGTERM: the guard kills the server (if it got that far) before it exits.
    proc.kill('SIGTERM');
    const forced = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(forced);
    throw e;
  }
  return {
    pid,
    guardPid: guardPid ?? -1,
    exited,
    isDone: () => done,
    ending: () => ending,
    killGuard: () => {
      if (guardPid === undefined || done) return;
      try {
        process.kill(guardPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}

const SETTLE_TIMEOUT_MS = 5000;

/**
 * SIGSTOPs (`stopped`) or SIGCONTs the guarded program and resolves once the kernel shows it
 * stopped (state T) or not — a multithreaded program does not stop at once. `what` names it in the
 * error when it does not settle within 5 s.
 */
export async function setStopped(proc: GuardedProcess, stopped: boolean, what: string): Promise<void> {
  process.kill(proc.pid, stopped ? 'SIGSTOP' : 'SIGCONT');
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const state = processState(proc.pid);
    if (state === undefined || proc.isDone() || (state === 'T') === stopped) return;
    if (Date.now() > deadline) throw new Error(`${what} (pid ${proc.pid}) is still in state ${state} ${SETTLE_TIMEOUT_MS} ms after SIG${stopped ? 'STOP' : 'CONT'}`);
    await new Promise<void>((r) => setTimeout(r, 2));
  }
}

/** SIGKILLs the guarded program (paused or not) and waits for its guard to exit (killing the guard after 5 s). */
export async function killGuarded(proc: GuardedProcess): Promise<void> {
  if (!proc.isDone()) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const timer = setTimeout(() => proc.killGuard(), SETTLE_TIMEOUT_MS);
  await proc.exited;
  clearTimeout(timer);
}
