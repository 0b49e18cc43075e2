// JSON over HTTP/1.1 to one address, for clients and peers: a small pool of kept-alive
// connections, one request at a time on each. It writes each request in one write and reads
// replies that carry a Content-Length (what the node server sends), which costs a fraction of
// node:http's client per request. A failed request says whether it certainly never reached the
// server (the connection was refused before a byte was sent) — then the op did not happen — or
// may have (timeout, reset, abort after sending).
import net from 'node:net';
import { formatAddress, netOptions, type Address } from '../../base/address.js';

/** Connect errors that mean nothing was delivered: no listener, no socket file, backlog full. */
const UNDELIVERED_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);

export class RequestError extends Error {
  constructor(
    message: string,
    /** True when the request certainly did not reach the server. */
    readonly notDelivered: boolean,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export function isNotDelivered(e: unknown): boolean {
  return e instanceof RequestError && e.notDelivered;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 64 * 1024;

interface Pending {
  resolve: (r: JsonResponse) => void;
  reject: (e: RequestError) => void;
}

/** One kept-alive connection; at most one request in flight. */
class Connection {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: Pending | undefined;
  /** Until connected, a refused connection means the request was never sent. */
  connected = false;
  closed = false;

  constructor(
    address: Address,
    private readonly onIdleClose: (c: Connection) => void,
  ) {
    this.socket = net.connect(netOptions(address));
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.fail(e));
    this.socket.on('close', () => this.fail(undefined));
  }

  send(payload: string | Buffer, p: Pending): void {
    this.pending = p;
    this.socket.write(payload);
  }

  /** Ends the request in flight (timeout, abort) by closing the connection. */
  abort(err: RequestError): void {
    const p = this.pending;
    this.pending = undefined;
    this.close();
    p?.reject(err);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(e: NodeJS.ErrnoException | undefined): void {
    const wasClosed = this.closed;
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    if (!p) {
      if (!wasClosed) this.onIdleClose(this);
      return;
    }
    const code = e?.code;
    const notDelivered = !this.connected && code !== undefined && UNDELIVERED_CODES.has(code);
    p.reject(new RequestError(e ? e.message : 'the connection closed before the reply', notDelivered, code ?? 'ECONNRESET'));
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    if (!this.pending) {
      // Nothing asked for this: the stream is out of step; drop the connection.
      this.close();
      this.onIdleClose(this);
      return;
    }
    this.chunks.push(d);
    this.buffered += d.length;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [all];
    const headEnd = all.indexOf(HEADER_END);
    if (headEnd < 0) {
      if (this.buffered > MAX_HEADER_BYTES) this.protocolError('reply headers too long');
      return;
    }
    const head = all.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!head.startsWith('HTTP/1.') || !Number.isInteger(status) || !m) return this.protocolError(`unexpected reply: ${head.split('\r\n')[0]}`);
    const length = Number(m[1]);
    const bodyStart = headEnd + 4;
    if (all.length < bodyStart + length) return;
    if (all.length > bodyStart + length) return this.protocolError('reply longer than its Content-Length');
    const text = all.toString('utf8', bodyStart, bodyStart + length);
    this.chunks = [];
    this.buffered = 0;
    const p = this.pending;
    this.pending = undefined;
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return p.reject(new RequestError(`reply is not JSON (HTTP ${status}): ${text.slice(0, 120)}`, false));
    }
    p.resolve({ status, body });
  }

  private protocolError(why: string): void {
    const p = this.pending;
    this.pending = undefined;
    this.close();
    p?.reject(new RequestError(why, false, 'EPROTO'));
  }
}

/** Kept-alive HTTP connections to one address. */
export class JsonPool {
  private idle: Connection[] = [];
  private destroyed = false;
  private readonly host: string;

  constructor(readonly address: Address) {
    this.host = address.kind === 'tcp' ? formatAddress(address).slice(4) : 'localhost';
  }

  /** Sends `body` (JSON) with `method` to `path` and parses the JSON reply. */
  request(method: 'GET' | 'POST', path: string, body: unknown, opts: RequestOptions = {}): Promise<JsonResponse> {
    return new Promise<JsonResponse>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new RequestError('aborted before it was sent', true, 'ABORTED'));
      if (this.destroyed) return reject(new RequestError('the client is closed', true, 'ECLOSED'));
      let conn = this.idle.pop();
      while (conn?.closed) conn = this.idle.pop();
      conn ??= new Connection(this.address, (c) => this.forget(c));
      const c = conn;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => c.abort(new RequestError('aborted', false, 'ABORTED'));
      const done = () => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      c.send(this.encode(method, path, body), {
        resolve: (r) => {
          done();
          if (!c.closed && !this.destroyed) this.idle.push(c);
          resolve(r);
        },
        reject: (e) => {
          done();
          c.close();
          reject(e);
        },
      });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => c.abort(new RequestError(`no reply within ${opts.timeoutMs} ms`, false, 'ETIMEDOUT')), opts.timeoutMs);
      }
    });
  }

  /** Closes every connection; requests in flight end as errors. */
  destroy(): void {
    this.destroyed = true;
    for (const c of this.idle) c.close();
    this.idle = [];
  }

  private forget(c: Connection): void {
    const at = this.idle.indexOf(c);
    if (at >= 0) this.idle.splice(at, 1);
  }

  private encode(method: string, path: string, body: unknown): string {
    if (body === undefined) return `${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\n\r\n`;
    const json = JSON.stringify(body);
    return `${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
  }
}

/** One request on a pool of its own (for rare calls such as readiness probes). */
export async function requestOnce(address: Address, method: 'GET' | 'POST', path: string, body: unknown, opts: RequestOptions = {}): Promise<JsonResponse> {
  const pool = new JsonPool(address);
  try {
    return await pool.request(method, path, body, opts);
  } finally {
    pool.destroy();
  }
}
