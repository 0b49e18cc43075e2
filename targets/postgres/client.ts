// A client of the PostgreSQL server: one connection (over the server's unix socket) per faultline
// Client, one transaction per op at the target's isolation level — BEGIN ISOLATION LEVEL …, one
// statement per micro-op (sql.ts), COMMIT — with outcomes as outcome.ts decides them. The
// connection is made on the first op, not in open(): a refused connection then fails that op
// (nothing was sent) instead of crashing the thread's process. After anything that leaves the
// connection in doubt (lost, timed out, aborted) it is dropped and the next op reconnects.
//
// Replicated (a `route`, systems/postgres-patroni.json): the client also serves the register and
// set workloads (single-ops.ts), sends every op that writes to the node Patroni calls primary now
// (patroni.ts), and reads there or, with readFrom replica, on its own node — a hot standby, where
// PostgreSQL refuses SERIALIZABLE, so such reads run at REPEATABLE READ. Each completion names the
// node that ran it (`server`) and when the answer came (`answeredAt`, ms since the epoch). A COMMIT answered after PostgreSQL cancelled its wait for
// synchronous replication ("committed locally, but might not have been replicated") is `info`.
import pg from 'pg';
import type { Op } from '../../histories/op.js';
import type { Client, InvokeOptions } from '../types.js';
import { GaveUp, NotCommitted, isServerError, verdictOf, type Stage } from './outcome.js';
import { beginStatement, isReadOnly, isTxnWorkload, microOpStatement, parseMicroOps, readResult, type Isolation, type MicroOp, type Statement, type TxnWorkload } from './sql.js';
import { isSingleWorkload, planSingleOp, type SinglePlan, type SingleWorkload } from './single-ops.js';

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const CLOSE_WAIT_MS = 1000;

export interface PostgresClientOptions {
  /** The directory holding the server's socket (.s.PGSQL.<port>). */
  socketDir: string;
  port: number;
  user: string;
  database: string;
  workload: TxnWorkload | SingleWorkload;
  isolation: Isolation;
  /** Replicated: where each op goes (absent: every op to this node's socketDir). */
  route?: Route;
  /**
   * Gives up on an op after this long when the runner passes no signal (then: info if COMMIT was
   * sent, else fail). Also the server's statement_timeout, so abandoned work ends. Default 10 s.
   */
  timeoutMs?: number;
  /** How long a connection attempt may take (a paused server accepts none). Default 5 s. */
  connectTimeoutMs?: number;
}

/** Where the ops of a client of a replicated PostgreSQL go. */
export interface Route {
  /** The folder holding `node`'s socket. */
  socketDir(node: string): string;
  /** The primary's node now, or undefined when no node is primary. */
  primary(): Promise<string | undefined>;
  /** The op found `node` was not (or no longer) primary, or could not reach it. */
  forget(node: string): void;
  /** Where ops that only read go: the primary, or the client's own node. */
  readFrom: 'primary' | 'replica';
}

interface Connection {
  node: string;
  client: pg.Client;
  /** Set once the connection has failed or ended: it is no longer usable. */
  lost: string | undefined;
  /** Notices (warnings) the server sent since the last reset. */
  notices: string[];
}

const SYNC_WAIT_CANCELLED = /canceling (the )?wait for synchronous replication/i;
/** SQLSTATEs that say the node is not a primary (any more) or is going away. */
const NOT_PRIMARY = new Set(['25006', '57P01', '57P02', '57P03']);

function completion(op: Op, type: Op['type'], value: unknown, error?: unknown): Op {
  const done: Op = { ...op, type, value };
  if (error === undefined) delete done.error;
  else done.error = error;
  return done;
}

/** Rejects with GaveUp when `signal` aborts (the listener is removed by `dispose`). */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new GaveUp(signal.reason instanceof GaveUp ? signal.reason.message : 'gave up: the op timed out'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

export class PostgresClient implements Client {
  /** One connection per node it sends ops to (one, unless replicated). */
  private readonly conns = new Map<string, Connection>();
  private readonly timeoutMs: number;

  constructor(
    readonly node: string,
    private readonly o: PostgresClientOptions,
  ) {
    this.timeoutMs = o.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  }

  async open(): Promise<void> {}

  async invoke(op: Op, options: InvokeOptions = {}): Promise<Op> {
    let micro: MicroOp[] | undefined;
    let single: SinglePlan | undefined;
    if (op.f === 'txn') {
      if (!isTxnWorkload(this.o.workload)) return completion(op, 'fail', op.value, `unknown-op: the postgres client runs ${this.o.workload} ops, not txn`);
      const m = parseMicroOps(this.o.workload, op.value);
      if (typeof m === 'string') return completion(op, 'fail', op.value, `invalid-value: ${m}`);
      micro = m;
    } else {
      if (!isSingleWorkload(this.o.workload)) return completion(op, 'fail', op.value, `unknown-op: the postgres target runs txn ops (list-append, rw-register), not f=${JSON.stringify(op.f)}`);
      const p = planSingleOp(this.o.workload, op);
      if (typeof p === 'string') return completion(op, 'fail', op.value, p);
      single = p;
    }
    const readOnly = micro !== undefined ? isReadOnly(micro) : single!.readOnly;
    const stage: Stage = { commitSent: false, readOnly };
    const own = options.signal ? undefined : AbortSignal.timeout(this.timeoutMs);
    const aborted = whenAborted(options.signal ?? own!);
    let server: string | undefined;
    // Replicated: which node ran it, and when its answer came (this machine's clock, ms since the
    // epoch), to line the history up with the servers' logs.
    const done = (o: Op) => (server === undefined || this.o.route === undefined ? o : { ...o, server, answeredAt: Date.now() });
    try {
      const where = await Promise.race([this.where(readOnly), aborted.promise]);
      if (where === undefined) return done(completion(op, 'fail', op.value, `${this.node}: no-primary: no node's Patroni reports itself the running primary (nothing sent)`));
      server = where.node;
      const c = await Promise.race([this.connection(where.node), aborted.promise]);
      if (single !== undefined) {
        const r = await this.transactSingle(c, single, stage, where.isolation, aborted.promise);
        if (r.type === 'ok') return done(completion(op, 'ok', r.value));
        return done(completion(op, 'fail', op.value, `${this.node}: ${r.error}`));
      }
      const value = await this.transact(c, micro!, stage, where.isolation, aborted.promise);
      return done(completion(op, 'ok', value));
    } catch (e) {
      if (e instanceof SyncNotConfirmed) return done(completion(op, 'info', op.value, `${this.node}: ${e.message}`));
      const verdict = verdictOf(e, stage);
      if (server !== undefined && this.o.route !== undefined && (!isServerError(e) || NOT_PRIMARY.has(e.code))) this.o.route.forget(server);
      await this.settle(server, e, stage, aborted.promise);
      return done(completion(op, verdict.type, op.value, `${this.node}: ${verdict.error}`));
    } finally {
      aborted.dispose();
    }
  }

  /** The node an op goes to and the isolation it runs at there; undefined: no primary to send it to. */
  private async where(readOnly: boolean): Promise<{ node: string; isolation: Isolation } | undefined> {
    const r = this.o.route;
    if (r === undefined) return { node: this.node, isolation: this.o.isolation };
    // A hot standby refuses SERIALIZABLE: reads there run at REPEATABLE READ.
    if (readOnly && r.readFrom === 'replica') return { node: this.node, isolation: this.o.isolation === 'serializable' ? 'repeatable-read' : this.o.isolation };
    const p = await r.primary();
    return p === undefined ? undefined : { node: p, isolation: this.o.isolation };
  }

  async close(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(
      all.map(async (c) => {
        // A graceful goodbye, unless the server does not answer (paused): then just close the socket.
        const timer = setTimeout(() => destroy(c), CLOSE_WAIT_MS);
        await c.client.end().catch(() => {});
        clearTimeout(timer);
      }),
    );
  }

  /** Runs the transaction; resolves with the completed micro-ops once COMMIT succeeded. */
  private async transact(c: Connection, micro: readonly MicroOp[], stage: Stage, isolation: Isolation, aborted: Promise<never>): Promise<MicroOp[]> {
    const run = async (s: Statement | string) => Promise.race([typeof s === 'string' ? c.client.query(s) : c.client.query(s), aborted]);
    await run(beginStatement(isolation));
    const done: MicroOp[] = [];
    for (const m of micro) {
      const r = await run(microOpStatement(this.o.workload as TxnWorkload, m));
      done.push(m[0] === 'r' ? ['r', m[1], readResult(r.rows)] : [m[0], m[1], m[2]]);
    }
    await this.commit(c, stage, run);
    return done;
  }

  /** One register or set op in a transaction of its own. */
  private async transactSingle(c: Connection, plan: SinglePlan, stage: Stage, isolation: Isolation, aborted: Promise<never>) {
    const run = async (s: Statement | string) => Promise.race([typeof s === 'string' ? c.client.query(s) : c.client.query(s), aborted]);
    await run(beginStatement(isolation));
    const r = await run(plan.statement);
    const outcome = plan.outcome(r.rows as Record<string, unknown>[], r.rowCount);
    await this.commit(c, stage, run);
    return outcome;
  }

  private async commit(c: Connection, stage: Stage, run: (s: string) => Promise<pg.QueryResult>): Promise<void> {
    // pg would refuse the query on a connection it knows is dead: then COMMIT was never sent.
    if (c.lost !== undefined) throw new Error(c.lost);
    stage.commitSent = true;
    c.notices = [];
    const r = await run('COMMIT');
    // COMMIT of a transaction the server had already aborted answers ROLLBACK, not an error.
    if (r.command !== 'COMMIT') throw new NotCommitted(`rolled-back: COMMIT answered ${r.command}`);
    const cancelled = c.notices.find((n) => SYNC_WAIT_CANCELLED.test(n));
    if (cancelled !== undefined && !stage.readOnly) throw new SyncNotConfirmed(`sync-not-confirmed: COMMIT succeeded with the warning "${cancelled}": committed on ${c.node}, not confirmed by its synchronous standbys`);
  }

  /** Leaves the connection ready for the next op, or drops it when its state is in doubt. */
  private async settle(node: string | undefined, e: unknown, stage: Stage, aborted: Promise<never>): Promise<void> {
    const c = node === undefined ? undefined : this.conns.get(node);
    if (c === undefined) return;
    const errorOnly = isServerError(e) && e.severity === 'ERROR';
    // COMMIT answered ROLLBACK: the transaction is over and the connection is fine.
    if (e instanceof NotCommitted && stage.commitSent) return;
    if (!errorOnly || c.lost !== undefined) return this.drop(c);
    if (stage.commitSent) return; // an ERROR at COMMIT ends the transaction
    try {
      await Promise.race([c.client.query('ROLLBACK'), aborted]);
    } catch {
      this.drop(c);
    }
  }

  private async connection(node: string): Promise<Connection> {
    const old = this.conns.get(node);
    if (old !== undefined && old.lost === undefined) return old;
    if (old !== undefined) this.drop(old);
    const socketDir = this.o.route?.socketDir(node) ?? this.o.socketDir;
    const client = new pg.Client({
      host: socketDir,
      port: this.o.port,
      user: this.o.user,
      database: this.o.database,
      application_name: `faultline ${this.node}`,
      connectionTimeoutMillis: this.o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      statement_timeout: this.timeoutMs,
    });
    const c: Connection = { node, client, lost: undefined, notices: [] };
    // Without a listener a dead socket would be an uncaught 'error' event.
    client.on('error', (e: Error) => {
      c.lost ??= `connection failed: ${e.message}`;
    });
    client.on('end', () => {
      c.lost ??= 'connection ended';
    });
    client.on('notice', (n) => {
      if (n.message !== undefined) c.notices.push(n.message);
    });
    this.conns.set(node, c);
    try {
      await client.connect();
    } catch (e) {
      c.lost ??= `could not connect: ${(e as Error).message}`;
      throw new NotCommitted(`cannot-connect: could not connect to ${socketDir}: ${(e as Error).message}`);
    }
    return c;
  }

  private drop(c: Connection): void {
    if (this.conns.get(c.node) === c) this.conns.delete(c.node);
    c.lost ??= 'dropped';
    destroy(c);
  }
}

/** COMMIT succeeded, but with PostgreSQL's warning that it cancelled the wait for synchronous replication. */
class SyncNotConfirmed extends Error {
  override readonly name = 'SyncNotConfirmed';
}

/** Closes the connection's socket at once, whatever the server is doing. */
function destroy(c: Connection): void {
  void c.client.end().catch(() => {});
  (c.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
