// The guard a server faultline starts runs under (etcd, redis-server, PostgreSQL, …): such a
// program is not ours, so it cannot watch its parent itself. This small process starts COMMAND as
// its child, reports the child's pid on stdout (the target signals it directly: kill, pause,
// resume), and SIGKILLs it as soon as the faultline process that started the guard is gone —
// stdin (a pipe from that process) reaches end of file, or its pid disappears. SIGKILL also ends a
// child that is paused (SIGSTOP), which could not notice anything. The guard (started detached by
// guarded-process.ts) and its child each run in a process group of their own, so a Ctrl-C at the
// terminal or a SIGTERM to faultline's group reaches faultline (which heals and tears down) and
// neither of them; the guard ignores SIGINT for the same reason.
//
// Files named with --remove (the server's unix sockets) are removed once the child has exited, and
// when faultline is gone, their directory too if nothing else is left in it: a dead run leaves no
// socket.
//
// With --kill-tree, every descendant of the child (found in /proc by parent pid) is SIGKILLed
// with it: PostgreSQL's backends are the postmaster's children, and paused (SIGSTOP) they would
// never notice their postmaster is gone.
//
// usage: node guard-main.js --parent PID [--remove PATH]… [--kill-tree] -- COMMAND ARGS…
// The guard's stderr (and the child's stdout and stderr) go wherever the caller points its
// stderr: the server's log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { watchParent } from '../parent-watch.js';
import { descendantsOf } from '../../control/proc.js';

interface GuardArgs {
  parent: number | undefined;
  remove: string[];
  killTree: boolean;
  command: string[];
}

function parseArgs(argv: readonly string[]): GuardArgs | string {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) return 'expected --parent PID -- COMMAND ARGS…';
  let parent: number | undefined;
  const remove: string[] = [];
  let killTree = false;
  const own = argv.slice(0, dash);
  for (let i = 0; i < own.length; i++) {
    if (own[i] === '--parent' && i + 1 < own.length && /^\d+$/.test(own[i + 1])) parent = Number(own[++i]);
    else if (own[i] === '--remove' && i + 1 < own.length) remove.push(own[++i]);
    else if (own[i] === '--kill-tree') killTree = true;
    else return `unknown argument ${JSON.stringify(own[i])}`;
  }
  return { parent, remove, killTree, command: argv.slice(dash + 1) };
}

function log(message: string): void {
  process.stderr.write(`faultline guard ${process.pid}: ${message}\n`);
}

/** Removes the files; with `dirsToo`, their directories once empty (rmdir refuses otherwise). */
function removeFiles(paths: readonly string[], dirsToo: boolean): void {
  for (const p of paths) {
    try {
      rmSync(p, { force: true });
      if (dirsToo) rmdirSync(dirname(p));
    } catch {
      // Gone already, or the directory still holds another server's files.
    }
  }
}

const MAX_TREE_ROUNDS = 100;

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone meanwhile.
  }
}

/**
 * SIGKILLs `root`'s descendants. All are stopped first, level by level until no new one shows up:
 * a stopped process forks nothing, and one killed early would have its children reparented away
 * from the tree before they were found.
 */
function killDescendants(root: number): number {
  send(root, 'SIGSTOP');
  const stopped = new Set<number>();
  // Bounded all the same: a guard stuck here would kill nothing.
  for (let round = 0; round < MAX_TREE_ROUNDS; round++) {
    const found = descendantsOf(root).filter((pid) => !stopped.has(pid));
    if (found.length === 0) break;
    for (const pid of found) {
      send(pid, 'SIGSTOP');
      stopped.add(pid);
    }
  }
  for (const pid of stopped) send(pid, 'SIGKILL');
  return stopped.size;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    log(args);
    process.exit(2);
  }
  const program = args.command[0];
  let child: ChildProcess;
  try {
    // stdout and stderr: fd 2, the log file the caller gave the guard.
    child = spawn(program, args.command.slice(1), { stdio: ['ignore', 2, 2], detached: true });
  } catch (e) {
    log(`could not start ${program}: ${(e as Error).message}`);
    process.exit(127);
  }
  let orphaned = false;
  const killChild = (why: string) => {
    if (orphaned) return;
    orphaned = true;
    log(`${why}: killing ${program} (pid ${child.pid ?? '?'})${args.killTree ? ' and its descendants' : ''}`);
    try {
      if (args.killTree && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const n = killDescendants(child.pid);
        if (n > 0) log(`killed ${n} descendant${n === 1 ? '' : 's'} of ${program}`);
      }
    } catch (e) {
      log(`could not kill the descendants of ${program}: ${(e as Error).message}`);
    }
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
    // If the exit event never comes (it always should), do not linger.
    setTimeout(() => process.exit(1), 5000).unref();
  };
  // Whatever goes wrong in here, the child must not outlive its guard unwatched.
  process.on('uncaughtException', (e) => {
    log(`failed: ${e.message}`);
    killChild('the guard failed');
  });
  // Reporting the pid is the only write to stdout; faultline may be gone by then.
  process.stdout.on('error', () => {});
  child.on('error', (e) => {
    log(`could not start ${program}: ${e.message}`);
    process.exit(127);
  });
  child.on('spawn', () => {
    process.stdout.write(`${child.pid}\n`);
  });
  child.on('exit', (code, signal) => {
    log(`${program} (pid ${child.pid}) exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
    removeFiles(args.remove, orphaned);
    process.exit(code ?? 1);
  });

  watchParent(args.parent, (why) => killChild(why));
  process.on('SIGINT', () => {
    // Faultline gets the same Ctrl-C and tears the servers down itself.
  });
  process.on('SIGTERM', () => killChild('SIGTERM'));
  process.on('SIGHUP', () => killChild('SIGHUP'));
}

main();
