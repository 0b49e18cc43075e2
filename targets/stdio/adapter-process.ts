// One running adapter program: spawned through execa with pipes on stdin and stdout and its
// stderr appended to a log file, its stdout cut into lines. It dies with faultline three ways:
// its stdin reaches EOF (the contract: faultline closed it, or died), the kernel SIGKILLs it when
// faultline's thread that spawned it ends (setpriv --pdeathsig, where setpriv exists), and close()
// SIGKILLs its process group after a grace period. It runs in a process group of its own, so a
// Ctrl-C at the terminal reaches only faultline, which then closes the adapters in order.
//
// What the adapter started dies with it: when the adapter exits, its process group is SIGKILLed
// (children it left there would otherwise run on after faultline), and its pipes are destroyed
// after the drain (a child that inherited its stdout would otherwise keep the pipe, and with it
// faultline's event loop, open for ever: issue 20). A child that left the group (setsid) is out
// of reach, but no longer holds faultline up.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { LineSplitter } from './protocol.js';

export interface AdapterEnding {
  code: number | null;
  signal: string | null;
  /** "code 3", "signal SIGKILL", or "could not start: …". */
  text: string;
}

export interface AdapterSpawn {
  /** The adapter's argv as the user gave it (never a shell string). */
  argv: readonly string[];
  /** Where it runs, e.g. `ip netns exec NS …` around the argv; default here. */
  wrap?: (argv: readonly string[]) => string[];
  /** Added to faultline's own environment. */
  env: Record<string, string>;
  /** stderr is appended here; faultline adds a line when the adapter starts and ends. */
  log: string;
  /** Each complete stdout line, numbered from 1 per process; `utf8` false when its bytes were not UTF-8. */
  onLine(line: string, lineNo: number, utf8: boolean): void;
  /** Stdout line `lineNo` grew past the line limit without ending. */
  onOverlong(lineNo: number): void;
}

const SETPRIV = '/usr/bin/setpriv';
const HAS_SETPRIV = existsSync(SETPRIV);
/** After the process exits, how long its stdout may take to deliver what it wrote last. */
const STDOUT_DRAIN_MS = 500;

/** The command actually run for `argv`: under `setpriv --pdeathsig KILL` where setpriv exists. */
export function guardedArgv(argv: readonly string[]): string[] {
  return HAS_SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : [...argv];
}

function runAdapter(argv: readonly string[], env: Record<string, string>, logFd: number) {
  const [file, ...args] = guardedArgv(argv);
  // execa hands any fd number to spawn; its types list only 3-9, hence the cast.
  return execa(file, args, { stdin: 'pipe', stdout: 'pipe', stderr: logFd as 3, env, extendEnv: true, reject: false, buffer: false, detached: true });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function note(log: string, line: string): void {
  try {
    appendFileSync(log, `--- faultline ${new Date().toISOString()}: ${line}\n`);
  } catch {
    // The log is for people; never fail an op over it.
  }
}

export class AdapterProcess {
  /** Undefined only when the program could not be started at all. */
  readonly pid: number | undefined;
  /** Settles once the process has exited and its stdout has been read to the end (or drained for a while). */
  readonly ended: Promise<AdapterEnding>;
  private readonly proc: ReturnType<typeof runAdapter>;
  private done = false;
  /** Set at the exit event: from then on the pid may belong to someone else. */
  private exitSeen = false;

  constructor(private readonly s: AdapterSpawn) {
    mkdirSync(dirname(s.log), { recursive: true });
    const fd = openSync(s.log, 'a');
    try {
      this.proc = runAdapter(s.wrap ? s.wrap(s.argv) : s.argv, s.env, fd);
    } finally {
      closeSync(fd);
    }
    this.pid = this.proc.pid;
    note(s.log, this.pid === undefined ? `could not start ${s.argv.join(' ')}` : `started pid ${this.pid}: ${s.argv.join(' ')}`);
    const splitter = new LineSplitter();
    let lineNo = 0;
    const stdout = this.proc.stdout!;
    const stdin = this.proc.stdin;
    stdout.on('data', (chunk: Buffer | string) => {
      for (const line of splitter.pushLines(chunk)) s.onLine(line.text, ++lineNo, line.utf8);
      if (splitter.overlong) {
        splitter.overlong = false;
        s.onOverlong(lineNo + 1);
      }
    });
    // A write after the adapter died fails with EPIPE: its exit is what reports that.
    this.proc.stdin!.on('error', () => {});
    const stdoutClosed = new Promise<void>((res) => stdout.once('close', () => res()));
    let exit: { code: number | null; signal: string | null } | undefined;
    const exited = new Promise<void>((res) =>
      this.proc.once('exit', (code, signal) => {
        exit = { code, signal };
        this.exitSeen = true;
        // At once, in the exit event: while any member of the group lives, the kernel keeps its
        // id (the adapter's pid) from being reused, so this reaches only what the adapter left.
        if (this.pid !== undefined) killGroup(this.pid);
        res();
      }),
    );
    // execa settles (never rejects: reject false) also when the program could not be spawned.
    const settled = this.proc.then((r) => r);
    this.ended = (async () => {
      await Promise.race([exited, settled]);
      this.exitSeen = true;
      await Promise.race([stdoutClosed, sleep(STDOUT_DRAIN_MS)]);
      // A descendant outside the group may still hold the pipes: stop waiting on them.
      if (!stdout.destroyed) stdout.destroy();
      stdin?.destroy();
      let ending: AdapterEnding;
      if (exit) ending = { ...exit, text: exit.signal ? `signal ${exit.signal}` : `code ${exit.code}` };
      else {
        const r = await settled;
        ending = { code: null, signal: null, text: `could not start: ${String(r.originalMessage || r.shortMessage).split('\n')[0]}` };
      }
      this.done = true;
      const rest = splitter.rest();
      note(s.log, `adapter ended (${ending.text})${rest ? `; its stdout ended inside a line: ${JSON.stringify(rest.slice(0, 200))}` : ''}`);
      return ending;
    })();
  }

  /** True once the ending has been worked out (ended has settled or is about to). */
  get isDone(): boolean {
    return this.done;
  }

  /** True from the exit event on: no request may go to it any more. */
  get hasExited(): boolean {
    return this.exitSeen;
  }

  /** Writes `text` to the adapter's stdin; false when stdin is already closed. */
  write(text: string): boolean {
    const stdin = this.proc.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) return false;
    stdin.write(text);
    return true;
  }

  /** A line of faultline's own in the adapter's log. */
  note(line: string): void {
    note(this.s.log, line);
  }

  /** Closes stdin (the adapter should exit on EOF) and SIGKILLs it if it is still there after `graceMs`. */
  async close(graceMs: number): Promise<AdapterEnding> {
    this.proc.stdin?.end();
    if (!this.done) {
      const timer = setTimeout(() => this.kill(), graceMs);
      await this.ended;
      clearTimeout(timer);
    }
    return this.ended;
  }

  /** SIGKILLs the adapter's process group (itself and any child it did not move elsewhere). */
  kill(): void {
    if (this.pid === undefined || this.exitSeen) return;
    if (!killGroup(this.pid)) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/** SIGKILLs process group `pgid`; false when there is none. */
function killGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
