// The guard each etcd member runs under: etcd is not ours, so it cannot watch its parent itself.
// This small process starts etcd as its child, reports etcd's pid on stdout (the target signals
// etcd directly: kill, pause, resume), and SIGKILLs it as soon as the faultline process that
// started the guard is gone — stdin (a pipe from that process) reaches end of file, or its pid
// disappears. SIGKILL also ends an etcd that is paused (SIGSTOP), which could not notice anything.
// etcd runs in its own process group, so a Ctrl-C at the terminal reaches faultline (which heals
// and tears down) and not etcd; the guard ignores SIGINT for the same reason.
//
// Files named with --remove (the member's unix sockets) are removed once etcd has exited, and when
// faultline is gone, their directory too if nothing else is left in it: a dead run leaves no socket.
//
// usage: node guard-main.js --parent PID [--remove PATH]… -- COMMAND ARGS…
// The guard's stderr (and etcd's stdout and stderr) go wherever the caller points its stderr: the
// member's log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmdirSync, rmSync } from 'node:fs';
import { watchParent } from '../parent-watch.js';
import { dirname } from 'node:path';


interface GuardArgs {
  parent: number | undefined;
  remove: string[];
  command: string[];
}

function parseArgs(argv: readonly string[]): GuardArgs | string {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) return 'expected --parent PID -- COMMAND ARGS…';
  let parent: number | undefined;
  const remove: string[] = [];
  const own = argv.slice(0, dash);
  for (let i = 0; i < own.length; i++) {
    if (own[i] === '--parent' && i + 1 < own.length && /^\d+$/.test(own[i + 1])) parent = Number(own[++i]);
    else if (own[i] === '--remove' && i + 1 < own.length) remove.push(own[++i]);
    else return `unknown argument ${JSON.stringify(own[i])}`;
  }
  return { parent, remove, command: argv.slice(dash + 1) };
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
      // Gone already, or the directory still holds another member's files.
    }
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    log(args);
    process.exit(2);
  }
  let child: ChildProcess;
  try {
    // stdout and stderr: fd 2, the log file the caller gave the guard.
    child = spawn(args.command[0], args.command.slice(1), { stdio: ['ignore', 2, 2], detached: true });
  } catch (e) {
    log(`could not start ${args.command[0]}: ${(e as Error).message}`);
    process.exit(127);
  }
  let orphaned = false;
  const killChild = (why: string) => {
    if (orphaned) return;
    orphaned = true;
    log(`${why}: killing ${args.command[0]} (pid ${child.pid ?? '?'})`);
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
    // If the exit event never comes (it always should), do not linger.
    setTimeout(() => process.exit(1), 5000).unref();
  };
  // Whatever goes wrong in here, etcd must not outlive its guard unwatched.
  process.on('uncaughtException', (e) => {
    log(`failed: ${e.message}`);
    killChild('the guard failed');
  });
  // Reporting the pid is the only write to stdout; faultline may be gone by then.
  process.stdout.on('error', () => {});
  child.on('error', (e) => {
    log(`could not start ${args.command[0]}: ${e.message}`);
    process.exit(127);
  });
  child.on('spawn', () => {
    process.stdout.write(`${child.pid}\n`);
  });
  child.on('exit', (code, signal) => {
    log(`${args.command[0]} (pid ${child.pid}) exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
    removeFiles(args.remove, orphaned);
    process.exit(code ?? 1);
  });

  watchParent(args.parent, (why) => killChild(why));
  process.on('SIGINT', () => {
    // Faultline gets the same Ctrl-C and tears the cluster down itself.
  });
  process.on('SIGTERM', () => killChild('SIGTERM'));
  process.on('SIGHUP', () => killChild('SIGHUP'));
}

main();
