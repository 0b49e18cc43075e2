// A client of one built-in store node: POST /op over HTTP with a kept-alive connection. Honest
// about outcomes: a request that certainly never reached the node (nothing listening, no socket
// file) fails, and so does a read that went wrong (it changes nothing); an op that may have been
// applied (timeout, reset, abort, server error) is info.
import type { Op } from '../../histories/op.js';
import type { Client, InvokeOptions } from '../types.js';
import { parseAddress, type Address } from '../../base/address.js';
import { JsonPool, RequestError } from './http-json.js';
import type { OpReply } from './mode.js';
import { isReadOnly } from './state-machine.js';

export interface BuiltinClientOptions {
  /** Gives up on an op after this long when the caller passes no signal (then: info). */
  timeoutMs?: number;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

function completion(op: Op, type: Op['type'], value: unknown, error?: unknown): Op {
  const done: Op = { ...op, type, value };
  if (error === undefined) delete done.error;
  else done.error = error;
  return done;
}

export class BuiltinClient implements Client {
  private readonly address: Address;
  private pool: JsonPool | undefined;
  private readonly timeoutMs: number;

  constructor(
    readonly node: string,
    address: string | Address,
    options: BuiltinClientOptions = {},
  ) {
    this.address = typeof address === 'string' ? parseAddress(address) : address;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  }

  async open(): Promise<void> {
    this.pool ??= new JsonPool(this.address);
  }

  async invoke(op: Op, options: InvokeOptions = {}): Promise<Op> {
    this.pool ??= new JsonPool(this.address);
    const body: Record<string, unknown> = { f: op.f, value: op.value === undefined ? null : op.value };
    if (op.key !== undefined) body.key = op.key;
    let status: number;
    let reply: unknown;
    try {
      const res = await this.pool.request('POST', '/op', body, {
        signal: options.signal,
        timeoutMs: options.signal ? undefined : this.timeoutMs,
      });
      status = res.status;
      reply = res.body;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // A read changes nothing, so one that went wrong certainly had no effect.
      const noEffect = (e instanceof RequestError && e.notDelivered) || isReadOnly(op);
      return completion(op, noEffect ? 'fail' : 'info', op.value, `${this.node}: ${message}`);
    }
    const r = reply as Partial<OpReply> | undefined;
    if (status === 200 && (r?.type === 'ok' || r?.type === 'fail' || r?.type === 'info')) {
      if (r.type === 'ok') return completion(op, 'ok', r.value === undefined ? null : r.value);
      return completion(op, r.type, r.value === undefined ? op.value : r.value, r.error ?? 'no reason given');
    }
    // 400: the node refused the request before running it. Anything else may have run.
    const error = `${this.node}: HTTP ${status}${r?.error !== undefined ? `: ${String(r.error)}` : ''}`;
    return completion(op, status === 400 ? 'fail' : 'info', op.value, error);
  }

  async close(): Promise<void> {
    this.pool?.destroy();
    this.pool = undefined;
  }
}
