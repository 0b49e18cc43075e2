// PostgreSQL as a Target (docs/postgres.md): one server, which every node name stands for — the
// clients of each node talk to it, and kill, pause and resume of any node act on it. Data goes to
// `<dir>/data/<first node>/`, the log to `<dir>/logs/<first node>/postgres.log`, the socket to a
// short temporary directory. The server is started by faultline (never as a system service), runs
// as the postgres account when we are root, and listens on no TCP port.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../histories/errors.js';
import type { Client, Target } from '../types.js';
import { shortSocketDir } from '../common/socket-dir.js';
import { nodeNames } from '../common/node-names.js';
import { findBinDir, serverAccount, type RunAs } from './available.js';
import { PostgresClient } from './client.js';
import { blockedAncestor, DATABASE, ownedDir, PostgresServer, SERVER_PORT, SUPERUSER } from './server.js';
import { createTablesSql, isIsolation, isTxnWorkload, ISOLATION_LEVELS, TXN_WORKLOADS, type Isolation, type TxnWorkload } from './sql.js';

export interface PostgresTargetOptions {
  /** The run folder: logs/<node>/postgres.log and data/<node>/ (node: the first node's name). */
  dir: string;
  /** list-append (default) or rw-register: which tables and statements a txn uses. */
  workload?: string;
  /** The isolation level of every transaction. Default serializable. */
  isolation?: Isolation;
  /** Node names. Default ['n1']. There is one server; clients of every node name go to it. */
  nodes?: readonly string[];
  /** A client's per-op timeout when the runner passes no abort signal; also statement_timeout. Default 10 s. */
  clientTimeoutMs?: number;
}

const START_TIMEOUT_MS = 60_000;


export class PostgresTarget implements Target {
  readonly nodes: readonly string[];
  readonly isolation: Isolation;
  readonly workload: TxnWorkload;
  private readonly dir: string;
  private server: PostgresServer | undefined;
  private sockets: string | undefined;
  private state: 'new' | 'up' | 'down' = 'new';

  constructor(private readonly o: PostgresTargetOptions) {
    if (typeof o.dir !== 'string' || o.dir === '') throw new Error("postgres target: dir (the run's store dir) is required");
    this.dir = resolve(o.dir);
    this.nodes = nodeNames(o.nodes ?? ['n1'], 'postgres', { max: 32, error: (m) => new InputError(m) });
    const isolation = o.isolation ?? 'serializable';
    if (!isIsolation(isolation)) throw new InputError(`postgres target: isolation must be one of ${ISOLATION_LEVELS.join(', ')}, got ${JSON.stringify(isolation)}`);
    this.isolation = isolation;
    const workload = o.workload ?? 'list-append';
    if (!isTxnWorkload(workload)) throw new InputError(`postgres target: it runs the ${Object.keys(TXN_WORKLOADS).join(' and ')} workloads, not ${JSON.stringify(workload)}`);
    this.workload = workload;
  }

  /** The node whose folders hold the server's data and log. */
  private get home(): string {
    return this.nodes[0];
  }

  logs(node: string): string[] {
    this.check(node);
    return [join(this.dir, 'logs', this.home, 'postgres.log')];
  }

  dataDir(node: string): string {
    this.check(node);
    return join(this.dir, 'data', this.home);
  }

  /** The postmaster's pid, while it runs. */
  pid(): number | undefined {
    return this.server?.pid;
  }

  /** The postmaster and its children now (what kill and pause signal). */
  processes(): number[] {
    return this.server?.processes() ?? [];
  }

  isPaused(): boolean {
    return this.server?.isPaused === true;
  }

  /** The server's unix socket (after setup): `psql -h <its directory> -U postgres`. */
  address(node: string): string {
    this.check(node);
    return join(this.socketDir(), `.s.PGSQL.${SERVER_PORT}`);
  }

  /** The directory of the server's socket (after setup). */
  socketDir(): string {
    if (this.sockets === undefined) throw new Error('postgres target: no socket yet (call setup first)');
    return this.sockets;
  }

  async setup(): Promise<void> {
    if (this.state === 'up') throw new Error('postgres target: setup called twice without teardown');
    this.state = 'up';
    try {
      const binDir = findBinDir();
      if (binDir === undefined) throw new Error('postgres target: PostgreSQL is not installed (Debian package postgresql)');
      const account = await serverAccount();
      if (typeof account === 'string') throw new Error(`postgres target: ${account}`);
      mkdirSync(join(this.dir, 'data'), { recursive: true });
      mkdirSync(join(this.dir, 'logs', this.home), { recursive: true });
      this.reachable(account);
      this.sockets = shortSocketDir('fl-pg-');
      ownedDir(this.sockets, account);
      this.server = new PostgresServer({
        binDir,
        dataDir: this.dataDir(this.home),
        log: this.logs(this.home)[0],
        socketDir: this.sockets,
        runAs: account,
        startTimeoutMs: START_TIMEOUT_MS,
      });
      await this.server.init();
      await this.server.start();
      await this.server.execute(createTablesSql());
    } catch (e) {
      await this.teardown();
      throw e;
    }
  }

  async teardown(): Promise<void> {
    if (this.state === 'down') return;
    this.state = 'down';
    try {
      await this.server?.stop();
    } finally {
      if (this.sockets) rmSync(this.sockets, { recursive: true, force: true });
      this.sockets = undefined;
    }
  }

  /** Starts the killed server on its data (crash recovery) and waits until it serves. */
  async start(node: string): Promise<void> {
    this.check(node);
    await this.up('start').start();
  }

  async kill(node: string): Promise<void> {
    this.check(node);
    await this.up('kill').kill();
  }

  async pause(node: string): Promise<void> {
    this.check(node);
    await this.up('pause').pause();
  }

  async resume(node: string): Promise<void> {
    this.check(node);
    await this.up('resume').resume();
  }

  /** The one server takes every write. */
  async primaries(): Promise<string[]> {
    return [this.home];
  }

  client(node: string): Client {
    this.check(node);
    return new PostgresClient(node, {
      socketDir: this.socketDir(),
      port: SERVER_PORT,
      user: SUPERUSER,
      database: DATABASE,
      workload: this.workload,
      isolation: this.isolation,
      timeoutMs: this.o.clientTimeoutMs,
    });
  }

  private check(node: string): void {
    if (!this.nodes.includes(node)) throw new Error(`postgres target: no node ${JSON.stringify(node)} (nodes: ${this.nodes.join(', ')})`);
  }

  private up(what: string): PostgresServer {
    if (this.state !== 'up' || this.server === undefined) throw new Error(`postgres target: cannot ${what}: the server is not set up`);
    return this.server;
  }

  /** The server's account must reach its data directory (a mkdtemp folder of root's is 0700). */
  private reachable(account: RunAs | undefined): void {
    if (account === undefined) return;
    const blocked = blockedAncestor(join(this.dir, 'data'), account);
    if (blocked !== undefined) throw new InputError(`postgres target: PostgreSQL runs as the ${account.name} user, which cannot enter ${blocked}: make it traversable (chmod o+x) or put the store elsewhere`);
  }
}

export function createPostgresTarget(options: PostgresTargetOptions): PostgresTarget {
  return new PostgresTarget(options);
}
