// A client of the PostgreSQL server: one connection (over the server's unix socket) per faultline
// Client, one transaction per op at the target's isolation level — BEGIN ISOLATION LEVEL …, one
// statement per micro-op (sql.ts), COMMIT — with outcomes as outcome.ts decides them. The
// connection is made on the first op, not in open(): a refused connection then fails that op
// (nothing was sent) instead of crashing the thread's process. After anything that leaves the
// connection in doubt (lost, timed out, aborted) it is dropped and the next op reconnects.
import pg from 'pg';
import type { Op } from '../../histories/op.js';
import type { Client, InvokeOptions } from '../types.js';
import { GaveUp, NotCommitted, isServerError, verdictOf, type Stage } from './outcome.js';
import { beginStatement, isReadOnly, microOpStatement, parseMicroOps, readResult, type Isolation, type MicroOp, type Statement, type TxnWorkload } from './sql.js';

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const CLOSE_WAIT_MS = 1000;

export interface PostgresClientOptions {
  /** The directory holding the server's socket (.s.PGSQL.<port>). */
  socketDir: string;
  port: number;
  user: string;
  database: string;
  workload: TxnWorkload;
  isolation: Isolation;
  /**
   * Gives up on an op after this long when the runner passes no signal (then: info if COMMIT was
   * sent, else fail). Also the server's statement_timeout, so abandoned work ends. Default 10 s.
   */
  timeoutMs?: number;
  /** How long a connection attempt may take (a paused server accepts none). Default 5 s. */
  connectTimeoutMs?: number;
}

interface Connection {
  client: pg.Client;
  /** Set once the connection has failed or ended: it is no longer usable. */
  lost: string | undefined;
}

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
  private conn: Connection | undefined;
  private readonly timeoutMs: number;

  constructor(
    readonly node: string,
    private readonly o: PostgresClientOptions,
  ) {
    this.timeoutMs = o.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  }

  async open(): Promise<void> {}

  async invoke(op: Op, options: InvokeOptions = {}): Promise<Op> {
    if (op.f !== 'txn') return completion(op, 'fail', op.value, `unknown-op: the postgres target runs txn ops (list-append, rw-register), not f=${JSON.stringify(op.f)}`);
    const micro = parseMicroOps(this.o.workload, op.value);
    if (typeof micro === 'string') return completion(op, 'fail', op.value, `invalid-value: ${micro}`);
    const stage: Stage = { commitSent: false, readOnly: isReadOnly(micro) };
    const own = options.signal ? undefined : AbortSignal.timeout(this.timeoutMs);
    const aborted = whenAborted(options.signal ?? own!);
    try {
      const value = await this.transact(micro, stage, aborted.promise);
      return completion(op, 'ok', value);
    } catch (e) {
      const verdict = verdictOf(e, stage);
      await this.settle(e, stage, aborted.promise);
      return completion(op, verdict.type, op.value, `${this.node}: ${verdict.error}`);
    } finally {
      aborted.dispose();
    }
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c === undefined) return;
    // A graceful goodbye, unless the server does not answer (paused): then just close the socket.
    const timer = setTimeout(() => destroy(c), CLOSE_WAIT_MS);
    await c.client.end().catch(() => {});
    clearTimeout(timer);
  }

  /** Runs the transaction; resolves with the completed micro-ops once COMMIT succeeded. */
  private async transact(micro: readonly MicroOp[], stage: Stage, aborted: Promise<never>): Promise<MicroOp[]> {
    const c = await Promise.race([this.connection(), aborted]);
    const run = async (s: Statement | string) => Promise.race([typeof s === 'string' ? c.client.query(s) : c.client.query(s), aborted]);
    await run(beginStatement(this.o.isolation));
    const done: MicroOp[] = [];
    for (const m of micro) {
      const r = await run(microOpStatement(this.o.workload, m));
      done.push(m[0] === 'r' ? ['r', m[1], readResult(r.rows)] : [m[0], m[1], m[2]]);
    }
    // pg would refuse the query on a connection it knows is dead: then COMMIT was never sent.
    if (c.lost !== undefined) throw new Error(c.lost);
    stage.commitSent = true;
    const r = await run('COMMIT');
    // COMMIT of a transaction the server had already aborted answers ROLLBACK, not an error.
    if (r.command !== 'COMMIT') throw new NotCommitted(`rolled-back: COMMIT answered ${r.command}`);
    return done;
  }

  /** Leaves the connection ready for the next op, or drops it when its state is in doubt. */
  private async settle(e: unknown, stage: Stage, aborted: Promise<never>): Promise<void> {
    const c = this.conn;
    if (c === undefined) return;
    const errorOnly = isServerError(e) && e.severity === 'ERROR';
    // COMMIT answered ROLLBACK: the transaction is over and the connection is fine.
    if (e instanceof NotCommitted && stage.commitSent) return;
    if (!errorOnly || c.lost !== undefined) return this.drop();
    if (stage.commitSent) return; // an ERROR at COMMIT ends the transaction
    try {
      await Promise.race([c.client.query('ROLLBACK'), aborted]);
    } catch {
      this.drop();
    }
  }

  private async connection(): Promise<Connection> {
    if (this.conn !== undefined && this.conn.lost === undefined) return this.conn;
    this.drop();
    const client = new pg.Client({
      host: this.o.socketDir,
      port: this.o.port,
      user: this.o.user,
      database: this.o.database,
      application_name: `faultline ${this.node}`,
      connectionTimeoutMillis: this.o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      statement_timeout: this.timeoutMs,
    });
    const c: Connection = { client, lost: undefined };
    // Without a listener a dead socket would be an uncaught 'error' event.
    client.on('error', (e: Error) => {
      c.lost ??= `connection failed: ${e.message}`;
    });
    client.on('end', () => {
      c.lost ??= 'connection ended';
    });
    this.conn = c;
    try {
      await client.connect();
    } catch (e) {
      c.lost ??= `could not connect: ${(e as Error).message}`;
      throw new NotCommitted(`cannot-connect: could not connect to ${this.o.socketDir}: ${(e as Error).message}`);
    }
    return c;
  }

  private drop(): void {
    const c = this.conn;
    this.conn = undefined;
    if (c === undefined) return;
    c.lost ??= 'dropped';
    destroy(c);
  }
}

/** Closes the connection's socket at once, whatever the server is doing. */
function destroy(c: Connection): void {
  void c.client.end().catch(() => {});
  (c.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
