// A client of the Redis cluster for one node's thread, over unix sockets only. Writes go to the
// primary; reads go to the primary, or with readFrom 'replica' to the client's own node's server
// (which may lag: stale reads). The client keeps using the primary it found until that fails it —
// a READONLY answer (the node is a replica now) or a refused connection — and then asks the
// Sentinels again, as a Sentinel-aware client library does. So across a partition it keeps
// writing to an old primary that is still up: Redis's split brain, there for the checkers to see.
// Final-phase ops (`final: true`) ask the Sentinels afresh, so the final reads see the primary
// the cluster settled on.
//
// Outcomes:
// - ok: Redis answered and the op took effect (a cas whose compare failed is `fail` "mismatch");
// - fail: certainly no effect — Redis answered with an error (READONLY, LOADING, …: Redis
//   refuses a command whole), the connection was refused before anything was sent, no primary was
//   known, or the op only reads;
// - info: a write whose reply never came (timeout, reset, abort), or, with waitReplicas, whose
//   WAIT saw fewer replicas than asked: it is applied on the primary, but may not survive it.
import type { Op } from '../../histories/op.js';
import type { Client, InvokeOptions } from '../types.js';
import { ConnectionError, RedisConnection, type CallOptions } from './connection.js';
import { planOp, type Dialect } from './ops.js';
import { RedisReplyError } from './resp.js';

/** What a client needs from the target: where each node's server listens, and who is primary. */
export interface RedisCluster {
  socketPath(node: string): string;
  /**
   * The primary the Sentinels agree on (highest config epoch), or undefined when none answers;
   * `from`: only the Sentinels a client on that node can reach.
   */
  discoverPrimary(o?: CallOptions & { from?: string }): Promise<string | undefined>;
  /** Whether a client on `from` reaches `to` now (a target whose clients live in the nodes' sites); absent: always. */
  reachable?(from: string, to: string): boolean;
}

export interface RedisClientOptions {
  readFrom?: 'primary' | 'replica';
  /** After each write, WAIT for this many replicas (0: no WAIT). */
  waitReplicas?: number;
  /** WAIT's timeout. Default 1000 ms. */
  waitTimeoutMs?: number;
  /** Gives up on an op after this long when the caller passes no signal (then: info). Default 10 s. */
  timeoutMs?: number;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 1000;

/** A write that the primary applied but whose durability WAIT could not confirm. */
class Unconfirmed extends Error {
  override readonly name = 'Unconfirmed';
}

function completion(op: Op, type: Op['type'], value: unknown, error?: unknown): Op {
  const done: Op = { ...op, type, value };
  if (error === undefined) delete done.error;
  else done.error = error;
  return done;
}

export class RedisClient implements Client {
  private primary: string | undefined;
  private readonly conns = new Map<string, RedisConnection>();
  private readonly readFrom: 'primary' | 'replica';
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly node: string,
    private readonly cluster: RedisCluster,
    private readonly dialect: Dialect,
    options: RedisClientOptions = {},
  ) {
    this.readFrom = options.readFrom ?? 'primary';
    this.waitReplicas = options.waitReplicas ?? 0;
    this.waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  }

  async open(): Promise<void> {}

  /** The primary this client writes to now (undefined until it has asked). */
  get currentPrimary(): string | undefined {
    return this.primary;
  }

  async invoke(op: Op, options: InvokeOptions = {}): Promise<Op> {
    const plan = planOp(op, this.dialect);
    if (typeof plan === 'string') return completion(op, 'fail', op.value, plan);
    const o: CallOptions = { signal: options.signal, timeoutMs: options.signal ? undefined : this.timeoutMs };
    let server: string | undefined;
    try {
      if (plan.readOnly && this.readFrom === 'replica') server = this.node;
      else {
        if (this.primary === undefined || op.final === true) this.primary = await this.cluster.discoverPrimary({ ...o, from: this.node });
        if (this.primary === undefined) return completion(op, 'fail', op.value, `${this.node}: no Sentinel named a primary`);
        server = this.primary;
      }
      if (this.cluster.reachable && !this.cluster.reachable(this.node, server)) {
        throw new ConnectionError(`cannot reach ${server} from ${this.node}'s site (partitioned)`, false, 'EPARTITIONED');
      }
      const reply = await this.conn(server).call(plan.command, o);
      const r = plan.outcome(reply);
      if (r.type === 'fail') return completion(op, 'fail', op.value, r.error);
      if (!plan.readOnly && this.waitReplicas > 0) await this.waitForReplicas(server, o);
      return completion(op, 'ok', r.value === undefined ? null : r.value);
    } catch (e) {
      return this.failure(op, plan.readOnly, server, e);
    }
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }

  private failure(op: Op, readOnly: boolean, server: string | undefined, e: unknown): Op {
    const at = server ?? this.node;
    if (e instanceof Unconfirmed) return completion(op, 'info', op.value, `${at}: ${e.message}`);
    if (server !== undefined && server === this.primary) {
      // READONLY: it is a replica now. A refused or lost connection: it may be down. Ask again next time.
      if (!(e instanceof RedisReplyError) || e.code === 'READONLY') this.primary = undefined;
    }
    if (e instanceof ConnectionError) this.dropConn(at);
    const message = e instanceof Error ? e.message : String(e);
    // No server chosen yet (asking the Sentinels failed): nothing was sent.
    const certain = server === undefined || e instanceof RedisReplyError || (e instanceof ConnectionError && !e.delivered) || readOnly;
    return completion(op, certain ? 'fail' : 'info', op.value, `${at}: ${message}`);
  }

  /** WAIT n timeout on the connection that wrote: fewer acknowledgements within the timeout → Unconfirmed. */
  private async waitForReplicas(server: string, o: CallOptions): Promise<void> {
    let acks: unknown;
    try {
      acks = await this.conn(server).call(['WAIT', this.waitReplicas, this.waitTimeoutMs], o);
    } catch (e) {
      if (e instanceof ConnectionError) this.dropConn(server);
      throw new Unconfirmed(`applied on the primary, then WAIT failed: ${(e as Error).message}`);
    }
    if (typeof acks !== 'number' || acks < this.waitReplicas) {
      throw new Unconfirmed(`applied on the primary, but WAIT saw ${String(acks)} of ${this.waitReplicas} replicas within ${this.waitTimeoutMs} ms`);
    }
  }

  private conn(node: string): RedisConnection {
    let c = this.conns.get(node);
    if (!c) this.conns.set(node, (c = new RedisConnection(this.cluster.socketPath(node))));
    return c;
  }

  private dropConn(node: string): void {
    this.conns.get(node)?.close();
    this.conns.delete(node);
  }
}
