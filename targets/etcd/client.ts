// A client of one etcd member: docs/workloads.md's ops (ops.ts) over the v3 JSON gateway on the
// member's unix socket. Honest about outcomes:
// - ok: etcd answered and the op took effect (a cas whose compare failed is `fail` "mismatch");
// - fail: it certainly did not happen — the connection was refused or the socket was missing
//   before anything was sent, a read-modify-write failed while reading or ran out of attempts, etcd
//   answered with an error that means "not applied" (invalid argument, too many requests, no space,
//   …), or the op only reads (a read that went wrong changes nothing);
// - info: anything else — a timeout, a reset or an abort after sending, etcd's "request timed
//   out" or "leader changed" on a write: it may have been applied.
import type { Op } from '../../histories/op.js';
import type { Client, InvokeOptions } from '../types.js';
import { Gateway, GatewayError } from './gateway.js';
import { EtcdOps, NotApplied, isReadOnly, type Dialect, type EtcdOpsOptions } from './ops.js';

export interface EtcdClientOptions extends EtcdOpsOptions {
  /** Gives up on an op after this long when the caller passes no signal (then: info). Default 10 s. */
  timeoutMs?: number;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/**
 * gRPC status codes etcd gives for requests it refused before proposing them: 3 invalid argument
 * (bad request, too large, duplicate key in a txn), 5 not found, 6 already exists, 7 permission
 * denied, 8 resource exhausted (too many requests, no space), 9 failed precondition, 11 out of
 * range (compacted or future revision), 12 unimplemented, 16 unauthenticated.
 */
const NOT_APPLIED_GRPC_CODES: ReadonlySet<number> = new Set([3, 5, 6, 7, 8, 9, 11, 12, 16]);

/** Whether an error from etcd (or on the way to it) proves the op did not happen. */
export function certainlyNotApplied(e: unknown): boolean {
  if (e instanceof NotApplied) return true;
  if (!(e instanceof GatewayError)) return false;
  if (e.notDelivered) return true;
  return e.code === 'ETCD' && e.grpcCode !== undefined && NOT_APPLIED_GRPC_CODES.has(e.grpcCode);
}

function completion(op: Op, type: Op['type'], value: unknown, error?: unknown): Op {
  const done: Op = { ...op, type, value };
  if (error === undefined) delete done.error;
  else done.error = error;
  return done;
}

export class EtcdClient implements Client {
  private gateway: Gateway | undefined;
  private ops: EtcdOps | undefined;
  private readonly timeoutMs: number;

  constructor(
    readonly node: string,
    /** The member's client socket (absolute path). */
    readonly socketPath: string,
    private readonly dialect: Dialect,
    private readonly options: EtcdClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  }

  async open(): Promise<void> {
    this.connect();
  }

  async invoke(op: Op, options: InvokeOptions = {}): Promise<Op> {
    const ops = this.connect();
    try {
      const r = await ops.apply(op, { signal: options.signal, timeoutMs: options.signal ? undefined : this.timeoutMs });
      if (r.type === 'ok') return completion(op, 'ok', r.value === undefined ? null : r.value);
      return completion(op, 'fail', op.value, r.error);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const type = certainlyNotApplied(e) || isReadOnly(op) ? 'fail' : 'info';
      return completion(op, type, op.value, `${this.node}: ${message}`);
    }
  }

  async close(): Promise<void> {
    this.gateway?.close();
    this.gateway = undefined;
    this.ops = undefined;
  }

  private connect(): EtcdOps {
    if (this.ops === undefined) {
      this.gateway = new Gateway(this.socketPath);
      this.ops = new EtcdOps(this.gateway, this.dialect, this.options);
    }
    return this.ops;
  }
}
