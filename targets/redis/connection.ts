// One RESP connection to a redis-server or a Sentinel over its unix socket (clients in the root
// namespace never dial the test network). Commands are pipelined in order; replies are matched to
// them first-in first-out. A failed call says whether the command certainly never reached the
// server (the connection was refused before anything was written) or may have (a reset, a timeout,
// an abort after it was written). A timeout or an abort leaves replies out of step with the
// commands, so it ends the connection; the next call opens a new one.
import net from 'node:net';
import { encodeCommand, ProtocolError, RedisReplyError, ReplyParser, type Reply } from './resp.js';

/** Connect errors that mean nothing was delivered: no listener, no socket file, backlog full. */
const UNDELIVERED_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);

export class ConnectionError extends Error {
  constructor(
    message: string,
    /** False when the command certainly did not reach the server. */
    readonly delivered: boolean,
    /** ECONNREFUSED, ECONNRESET, ETIMEDOUT, ABORTED, EPROTO, ECLOSED, … */
    readonly code: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Gives up after this long (the command may have been executed). */
  timeoutMs?: number;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

export class RedisConnection {
  private socket: net.Socket | undefined;
  private connected = false;
  private queue: Pending[] = [];
  private closed = false;

  constructor(readonly socketPath: string) {}

  /** Sends one command; resolves with its reply, rejects with RedisReplyError for an error reply. */
  call(args: readonly (string | number)[], o: CallOptions = {}): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (this.closed) return reject(new ConnectionError('the connection is closed', false, 'ECLOSED'));
      if (o.signal?.aborted) return reject(new ConnectionError('aborted before it was sent', false, 'ABORTED'));
      const socket = this.open();
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => this.fail(new ConnectionError('aborted', this.connected, 'ABORTED'));
      const p: Pending = {
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          o.signal?.removeEventListener('abort', onAbort);
        },
      };
      this.queue.push(p);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.timeoutMs !== undefined) timer = setTimeout(() => this.fail(new ConnectionError(`no reply within ${o.timeoutMs} ms`, this.connected, 'ETIMEDOUT')), o.timeoutMs);
      // Written before the connection is up, the bytes wait in the socket: a refused connect means they never left.
      socket.write(encodeCommand(args));
    });
  }

  /** Ends the connection; calls in flight fail (as possibly delivered once connected). */
  close(): void {
    this.closed = true;
    this.fail(new ConnectionError('the connection was closed', this.connected, 'ECLOSED'));
  }

  private open(): net.Socket {
    if (this.socket) return this.socket;
    const socket = net.connect({ path: this.socketPath });
    this.socket = socket;
    this.connected = false;
    const parser = new ReplyParser((r) => {
      const p = this.queue.shift();
      if (!p) return this.fail(new ConnectionError('a reply came that no command asked for', true, 'EPROTO'));
      p.cleanup();
      if (r instanceof RedisReplyError) p.reject(r);
      else p.resolve(r);
    });
    socket.on('connect', () => {
      if (this.socket === socket) this.connected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        parser.feed(chunk);
      } catch (e) {
        this.fail(new ConnectionError((e as ProtocolError).message, true, 'EPROTO'));
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      const code = e.code ?? 'ECONNRESET';
      const delivered = this.connected || !(UNDELIVERED_CODES.has(code) && e.syscall === 'connect');
      this.fail(new ConnectionError(e.message, delivered, code));
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail(new ConnectionError('the server closed the connection', this.connected, 'ECONNRESET'));
    });
    return socket;
  }

  /** Ends the current socket and rejects everything waiting on it with `e`. */
  private fail(e: ConnectionError): void {
    const socket = this.socket;
    this.socket = undefined;
    this.connected = false;
    socket?.destroy();
    const queue = this.queue;
    this.queue = [];
    for (const p of queue) {
      p.cleanup();
      p.reject(e);
    }
  }
}

/** One command on a connection of its own (probes, Sentinel questions). */
export async function callOnce(socketPath: string, args: readonly (string | number)[], o: CallOptions = {}): Promise<Reply> {
  const c = new RedisConnection(socketPath);
  try {
    return await c.call(args, o);
  } finally {
    c.close();
  }
}
