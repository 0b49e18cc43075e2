// One running etcd member: its guard (guard-main.js, the watch that kills etcd when faultline
// dies) spawned through the node's control (e.g. `ip netns exec NS node guard-main.js … -- etcd
// …`), and etcd's own pid as the guard reports it, which is what kill, pause and resume signal.
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** guard-main.js next to this file (compiled), else the compiled copy under dist/ (tests run sources). */
export function guardMainPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'guard-main.js'), resolve(here, '../../dist/targets/etcd/guard-main.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`etcd target: cannot find guard-main.js (looked at ${candidates.join(', ')}); build first: npm run build`);
  return found;
}

/**
 * The guard's own argv around etcd's: `node guard-main.js --parent PID [--remove PATH]… -- etcd
 * ARGS…`; `remove` lists the member's socket files, which the guard deletes once etcd is gone.
 */
export function guardedCommand(etcd: readonly string[], remove: readonly string[] = []): string[] {
  return [process.execPath, guardMainPath(), '--parent', String(process.pid), ...remove.flatMap((p) => ['--remove', p]), '--', ...etcd];
}

export interface MemberProcess {
  /** etcd's pid (the guard's child). */
  readonly pid: number;
  readonly guardPid: number;
  /** Settles when the guard has exited (it exits right after etcd does). */
  readonly exited: Promise<void>;
  /** True once the guard has exited. */
  isDone(): boolean;
  /** How it ended, once it has: an exit code or a signal name. */
  ending(): string | undefined;
  /** SIGKILLs the guard (only if it outlives etcd, which it should not). */
  killGuard(): void;
}

export interface SpawnMember {
  /** The full command (the guarded etcd, wrapped by the node's control). */
  argv: readonly string[];
  /** etcd's working directory: its unix sockets are relative to it. */
  cwd: string;
  /** etcd's and the guard's output is appended here. */
  log: string;
  /** How long to wait for the guard to report etcd's pid. */
  timeoutMs: number;
}

function spawnGuard(argv: readonly string[], cwd: string, logFd: number) {
  // execa hands any fd number to spawn; its types list only 3-9, hence the cast.
  const fd = logFd as 3;
  return execa(argv[0], argv.slice(1), { cwd, stdin: 'pipe', stdout: 'pipe', stderr: fd, reject: false, buffer: false, cleanup: true });
}

/** Starts the guarded member and resolves once the guard has reported etcd's pid. */
export async function spawnMember(s: SpawnMember): Promise<MemberProcess> {
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
    const timer = setTimeout(() => rej(new Error(`the guard did not report etcd's pid within ${s.timeoutMs} ms`)), s.timeoutMs);
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
      rej(new Error(`etcd exited at once (${ending ?? 'could not start'})`));
    });
  });
  let pid: number;
  try {
    pid = await reported;
  } catch (e) {
    // SIGTERM: the guard kills etcd (if it got that far) before it exits.
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
