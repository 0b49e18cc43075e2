// One PostgreSQL server: its data directory (initdb), the postmaster run under faultline's guard
// (targets/guard/guard-main.ts with --kill-tree: when faultline dies it SIGKILLs the postmaster and
// every backend — running backends would notice their postmaster is gone and exit, but paused ones
// notice nothing), and the signals kill, pause and resume send to the postmaster and every child
// it has. No TCP at all: the server listens on a unix socket only.
import { appendFileSync, chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { guardedCommand, spawnGuarded, type GuardedProcess } from '../guard/guarded-process.js';
import type { RunAs } from './available.js';
import { childrenOf, readStat, running, signal } from '../../control/proc.js';

export const SERVER_PORT = 5432;
export const SUPERUSER = 'postgres';
export const DATABASE = 'postgres';

export interface ServerOptions {
  binDir: string;
  dataDir: string;
  log: string;
  /** Where the socket goes (a short path: unix socket paths are limited to ~100 bytes). */
  socketDir: string;
  /** The account the server runs as (root: postgres); undefined: ourselves. */
  runAs: RunAs | undefined;
  startTimeoutMs: number;
}

const STOP_WAIT_MS = 10_000;
const SIGNAL_WAIT_MS = 5000;
const LOG_TAIL_LINES = 15;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function tail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The server's flags. fsync stays on: a kill is a process crash, which loses nothing the kernel
 * holds, so fsync only costs commit latency here — but it keeps the server as people run it.
 */
export function serverArgs(o: Pick<ServerOptions, 'binDir' | 'dataDir' | 'socketDir'>): string[] {
  const settings: Record<string, string> = {
    listen_addresses: '',
    unix_socket_directories: o.socketDir,
    port: String(SERVER_PORT),
    max_connections: '200',
    shared_buffers: '32MB',
    // Transactions touching hot rows in random order deadlock often: find that in 20 ms, not 1 s
    // (read committed runs 2.5x faster at 10 clients than with 100 ms).
    deadlock_timeout: '20ms',
    // A backend whose client gave up (timed out, dropped the socket) stops its query soon.
    client_connection_check_interval: '1000',
    // Errors (serialization failures) are logged, not the statement behind each of them.
    log_min_error_statement: 'panic',
    log_line_prefix: '%m [%p] %a: ',
    lc_messages: 'C',
  };
  return [join(o.binDir, 'postgres'), '-D', o.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** `argv` run as `runAs` (when root) through setpriv, with a clean environment. */
export function asAccount(argv: readonly string[], runAs: RunAs | undefined): string[] {
  if (runAs === undefined) return [...argv];
  return ['setpriv', `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--init-groups', '--reset-env', '--', ...argv];
}

/** The first directory on the way to `path` that `who` cannot pass through, if any. */
export function blockedAncestor(path: string, who: RunAs): string | undefined {
  const chain: string[] = [];
  for (let d = path; ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    const st = statSync(d);
    const bits = st.uid === who.uid ? (st.mode >> 6) & 7 : who.gids.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
    if ((bits & 1) === 0) return d;
  }
  return undefined;
}

/** A directory owned by the server's account, mode 0700 (PostgreSQL insists on it for its data). */
export function ownedDir(path: string, runAs: RunAs | undefined): void {
  mkdirSync(path, { recursive: true });
  if (runAs !== undefined) chownSync(path, runAs.uid, runAs.gid);
  chmodSync(path, 0o700);
}

export class PostgresServer {
  private proc: GuardedProcess | undefined;
  private paused = false;

  constructor(private readonly o: ServerOptions) {}

  /** The postmaster's pid while it runs. */
  get pid(): number | undefined {
    return this.proc && !this.proc.isDone() ? this.proc.pid : undefined;
  }

  get isPaused(): boolean {
    return this.paused && this.pid !== undefined;
  }

  /** Every process of the server now: the postmaster first, then its children. */
  processes(): number[] {
    const pm = this.pid;
    return pm === undefined ? [] : [pm, ...childrenOf(pm)];
  }

  /** A fresh, empty data directory (initdb). */
  async init(): Promise<void> {
    rmSync(this.o.dataDir, { recursive: true, force: true });
    ownedDir(this.o.dataDir, this.o.runAs);
    const argv = asAccount([join(this.o.binDir, 'initdb'), '-D', this.o.dataDir, '--username', SUPERUSER, '--auth', 'trust', '--encoding', 'UTF8', '--locale', 'C', '--no-instructions'], this.o.runAs);
    const r = await execa(argv[0], argv.slice(1), { cwd: this.o.socketDir, reject: false, all: true, stdin: 'ignore', timeout: 120_000 });
    appendFileSync(this.o.log, `faultline: ${argv.join(' ')}\n${r.all ?? ''}\n`);
    if (r.exitCode !== 0) throw new Error(`initdb failed (${r.timedOut ? 'timed out' : `exit code ${r.exitCode}`}); the end of ${this.o.log}:\n${tail(this.o.log)}`);
  }

  /** Starts the postmaster (on the data as it is: after a kill, that is crash recovery) and waits until it serves. */
  async start(): Promise<void> {
    if (this.pid !== undefined) return;
    this.paused = false;
    const socket = join(this.o.socketDir, `.s.PGSQL.${SERVER_PORT}`);
    // A killed server leaves its socket; PostgreSQL replaces it, but the guard removes both when it can.
    const argv = guardedCommand(asAccount(serverArgs(this.o), this.o.runAs), [socket, `${socket}.lock`], { killTree: true });
    try {
      this.proc = await spawnGuarded({ argv, cwd: this.o.socketDir, log: this.o.log, timeoutMs: this.o.startTimeoutMs });
    } catch (e) {
      throw new Error(`could not start PostgreSQL: ${(e as Error).message}; the end of ${this.o.log}:\n${tail(this.o.log)}`);
    }
    await this.waitReady();
  }

  /** Runs `sql` as the superuser on a connection of its own. */
  async execute(sql: string): Promise<void> {
    const c = this.connection();
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query(sql);
    } finally {
      await c.end().catch(() => {});
    }
  }

  /** SIGKILLs the postmaster and every child (stopped first, so it forks no new one meanwhile). */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || proc.isDone()) return;
    signal(proc.pid, 'SIGSTOP');
    await this.waitState([proc.pid], true);
    const children = childrenOf(proc.pid);
    for (const pid of [proc.pid, ...children]) signal(pid, 'SIGKILL');
    await this.waitExited(proc);
    await this.waitGone(children);
    this.paused = false;
  }

  /** SIGSTOPs the postmaster, then every child; resolves once all show state T. */
  async pause(): Promise<void> {
    const pm = this.required('pause');
    signal(pm, 'SIGSTOP');
    await this.waitState([pm], true);
    const children = childrenOf(pm);
    for (const pid of children) signal(pid, 'SIGSTOP');
    this.paused = true;
    await this.waitState(children, true);
  }

  /** SIGCONTs every child and the postmaster; resolves once none is stopped. */
  async resume(): Promise<void> {
    const pm = this.required('resume');
    const all = [...childrenOf(pm), pm];
    for (const pid of all) signal(pid, 'SIGCONT');
    this.paused = false;
    await this.waitState(all, false);
  }

  /** A fast shutdown (SIGINT: roll back open transactions, checkpoint, exit); SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined) return;
    if (!proc.isDone()) {
      if (this.paused) await this.resume().catch(() => {});
      signal(proc.pid, 'SIGINT');
      // The timer is cleared once the server is gone: left running it would hold the process 10 s longer.
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([proc.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_WAIT_MS)))]);
      clearTimeout(timer);
      if (!stopped) await this.kill();
    }
    await this.waitExited(proc);
    this.proc = undefined;
    this.paused = false;
  }

  private connection(): pg.Client {
    return new pg.Client({ host: this.o.socketDir, port: SERVER_PORT, user: SUPERUSER, database: DATABASE, connectionTimeoutMillis: 2000 });
  }

  private required(what: string): number {
    const pm = this.pid;
    if (pm === undefined) throw new Error(`cannot ${what} PostgreSQL: it is not running`);
    return pm;
  }

  /** Polls until a connection runs a query (the server says "starting up" during recovery). */
  private async waitReady(): Promise<void> {
    const deadline = Date.now() + this.o.startTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      const proc = this.proc;
      if (proc === undefined || proc.isDone()) {
        throw new Error(`PostgreSQL exited${proc?.ending() ? ` (${proc.ending()})` : ''} before it served clients; the end of ${this.o.log}:\n${tail(this.o.log)}`);
      }
      try {
        await this.execute('SELECT 1');
        return;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not serve clients within ${this.o.startTimeoutMs} ms (last: ${last}); the end of ${this.o.log}:\n${tail(this.o.log)}`);
      await sleep(50);
    }
  }

  /** Waits until each process is stopped (state T) or, with `stopped` false, is not; gone counts as both. */
  private async waitState(pids: readonly number[], stopped: boolean): Promise<void> {
    const deadline = Date.now() + SIGNAL_WAIT_MS;
    for (;;) {
      const late = pids.filter((pid) => {
        const s = readStat(pid);
        return s !== undefined && s.state !== 'Z' && (s.state === 'T') !== stopped;
      });
      if (late.length === 0) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL process ${late.join(', ')} still ${stopped ? 'runs' : 'is stopped'} ${SIGNAL_WAIT_MS} ms after SIG${stopped ? 'STOP' : 'CONT'}`);
      await sleep(2);
    }
  }

  private async waitExited(proc: GuardedProcess): Promise<void> {
    const timer = setTimeout(() => proc.killGuard(), SIGNAL_WAIT_MS);
    await proc.exited;
    clearTimeout(timer);
  }

  private async waitGone(pids: readonly number[]): Promise<void> {
    const deadline = Date.now() + SIGNAL_WAIT_MS;
    while (pids.some(running)) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${pids.filter(running).join(', ')} outlived a SIGKILL by ${SIGNAL_WAIT_MS} ms`);
      await sleep(5);
    }
  }
}
