// etcd's v3 JSON gateway (grpc-gateway: POST /v3/…, JSON bodies, bytes as base64) over a member's
// unix socket, with node:http and a kept-alive connection. The global fetch cannot use a unix
// socket, and the gateway's replies may be chunked, so this is node:http rather than a hand-rolled
// HTTP/1.1 reader. A failed call says whether the request certainly never reached etcd (the
// connection was refused, the socket file is missing) or may have (timeout, reset, abort).
import http from 'node:http';

/** Connect errors that mean nothing was delivered: no listener, no socket file, backlog full. */
const UNDELIVERED_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);

export class GatewayError extends Error {
  constructor(
    message: string,
    /** True when the request certainly did not reach etcd. */
    readonly notDelivered: boolean,
    /** An errno code (ECONNRESET, ETIMEDOUT, ABORTED, …) or 'ETCD' for an error etcd answered with. */
    readonly code: string,
    /** For 'ETCD': the gRPC status code etcd gave (3 invalid argument, 14 unavailable, …). */
    readonly grpcCode?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Gives up after this long (the request may have reached etcd). */
  timeoutMs?: number;
}

interface EtcdErrorBody {
  error?: unknown;
  message?: unknown;
  code?: unknown;
}

export class Gateway {
  private readonly agent: http.Agent;
  private closed = false;

  constructor(readonly socketPath: string) {
    this.agent = new http.Agent({ keepAlive: true });
  }

  /** POSTs `body` as JSON to `path` (e.g. /v3/kv/range) and gives the parsed reply. */
  call<T>(path: string, body: unknown, options: CallOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new GatewayError('the client is closed', true, 'ECLOSED'));
      if (options.signal?.aborted) return reject(new GatewayError('aborted before it was sent', true, 'ABORTED'));
      const json = JSON.stringify(body);
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const req = http.request({
        socketPath: this.socketPath,
        path,
        method: 'POST',
        agent: this.agent,
        headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) },
      });
      const onAbort = () => {
        finish(() => reject(new GatewayError('aborted', false, 'ABORTED')));
        req.destroy();
      };
      req.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? 'ECONNRESET';
        // Connect errors happen before a byte is written; anything else may follow the request.
        finish(() => reject(new GatewayError(e.message, UNDELIVERED_CODES.has(code) && e.syscall === 'connect', code)));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(new GatewayError(e.message, false, e.code ?? 'ECONNRESET'))));
        res.on('aborted', () => finish(() => reject(new GatewayError('the reply was cut off', false, 'ECONNRESET'))));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? {} : JSON.parse(text);
          } catch {
            return finish(() => reject(new GatewayError(`reply is not JSON (HTTP ${res.statusCode}): ${text.slice(0, 120)}`, false, 'EPROTO')));
          }
          if (res.statusCode === 200) return finish(() => resolve(parsed as T));
          const b = (parsed ?? {}) as EtcdErrorBody;
          const message = typeof b.message === 'string' ? b.message : typeof b.error === 'string' ? b.error : `HTTP ${res.statusCode}`;
          const grpcCode = typeof b.code === 'number' ? b.code : undefined;
          finish(() => reject(new GatewayError(message, false, 'ETCD', grpcCode)));
        });
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          finish(() => reject(new GatewayError(`no reply within ${options.timeoutMs} ms`, false, 'ETIMEDOUT')));
          req.destroy();
        }, options.timeoutMs);
      }
      req.end(json);
    });
  }

  /** Closes the kept-alive connection; calls in flight end as errors. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

/** One call on a connection of its own (readiness probes, status, member list). */
export async function callOnce<T>(socketPath: string, path: string, body: unknown, options: CallOptions = {}): Promise<T> {
  const g = new Gateway(socketPath);
  try {
    return await g.call<T>(path, body, options);
  } finally {
    g.close();
  }
}
