// faultline's userspace TCP proxy: forwards every connection from a listen address to a target
// address and, while a delay is set, holds each chunk for delay ± jitter before passing it on, in
// both directions. It carries the delay fault where the kernel has no netem (see link.ts): a proxy
// in front of each node's peer listener slows every peer link to that node.
//
// Byte order within a connection is kept: a chunk is never released before the one ahead of it
// (jitter stretches the gaps, it never reorders a TCP stream). A FIN is passed on after the last
// held chunk; a reset or error on either side destroys the other.
import { rmSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { formatAddress, netOptions, parseAddress, type Address } from '../base/address.js';

export interface DelaySetting {
  delayMs: number;
  jitterMs: number;
}

export interface ProxyStats {
  /** Connections accepted since the proxy started. */
  connections: number;
  /** Chunks that were held for a delay (not passed straight through). */
  delayedChunks: number;
}

/** What the delay fault needs from one proxy, wherever it runs (this process or a child). */
export interface PeerProxy {
  /** Where the proxy listens (unix:/PATH or tcp:HOST:PORT). */
  readonly listen: string;
  /** Where it forwards to. */
  readonly target: string;
  setDelay(delayMs: number, jitterMs?: number): Promise<void>;
  /** Removes the delay; chunks held so far are released at once, in order. */
  clear(): Promise<void>;
  stats(): Promise<ProxyStats>;
  close(): Promise<void>;
}

/** Above this many held bytes per direction the sending side is paused (backpressure). */
const HIGH_WATER_BYTES = 1 << 20;

/** Checks a delay setting; the proxy refuses nonsense rather than guessing. */
export function checkDelay(delayMs: number, jitterMs = 0): DelaySetting {
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`proxy: delay must be a number of ms ≥ 0, got ${delayMs}`);
  if (!Number.isFinite(jitterMs) || jitterMs < 0) throw new Error(`proxy: jitter must be a number of ms ≥ 0, got ${jitterMs}`);
  return { delayMs, jitterMs };
}

/**
 * When a chunk arriving at `now` may leave: delay ± jitter (uniform, never negative), but never
 * before the chunk ahead of it, so the stream's order holds.
 */
export function releaseTime(now: number, setting: DelaySetting, previousRelease: number, random: () => number): number {
  const jitter = setting.jitterMs > 0 ? (2 * random() - 1) * setting.jitterMs : 0;
  return Math.max(now + Math.max(0, setting.delayMs + jitter), previousRelease);
}

interface Held {
  chunk: Buffer;
  release: number;
}

/** One direction of one connection: src's data reaches dst after the proxy's current delay. */
class DelayedPipe {
  private readonly queue: Held[] = [];
  private head = 0;
  private heldBytes = 0;
  private lastRelease = 0;
  private timer: NodeJS.Timeout | undefined;
  private srcEnded = false;
  private pausedForQueue = false;
  private pausedForDst = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly proxy: DelayProxy,
  ) {
    src.on('data', (chunk: Buffer) => this.onData(chunk));
    src.on('end', () => {
      this.srcEnded = true;
      this.maybeEnd();
    });
    dst.on('drain', () => {
      this.pausedForDst = false;
      this.resumeIfClear();
    });
  }

  private onData(chunk: Buffer): void {
    const setting = this.proxy.setting();
    if (setting.delayMs === 0 && setting.jitterMs === 0 && this.pending() === 0) {
      this.write(chunk);
      return;
    }
    this.proxy.countDelayed();
    const release = releaseTime(performance.now(), setting, this.lastRelease, this.proxy.random);
    this.lastRelease = release;
    this.queue.push({ chunk, release });
    this.heldBytes += chunk.length;
    if (this.heldBytes > HIGH_WATER_BYTES && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.src.pause();
    }
    this.schedule();
  }

  private pending(): number {
    return this.queue.length - this.head;
  }

  private write(chunk: Buffer): void {
    if (this.dst.destroyed) return;
    if (!this.dst.write(chunk) && !this.pausedForDst) {
      this.pausedForDst = true;
      this.src.pause();
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.pending() === 0) return;
    const wait = Math.max(0, this.queue[this.head].release - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush(false);
    }, wait);
  }

  /** Passes on every chunk that is due (all of them when `all`), in order. */
  flush(all: boolean): void {
    if (this.timer !== undefined && all) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const now = performance.now();
    while (this.head < this.queue.length && (all || this.queue[this.head].release <= now + 0.5)) {
      const { chunk } = this.queue[this.head++];
      this.heldBytes -= chunk.length;
      this.write(chunk);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.pausedForQueue && this.heldBytes <= HIGH_WATER_BYTES / 2) {
      this.pausedForQueue = false;
      this.resumeIfClear();
    }
    this.maybeEnd();
    this.schedule();
  }

  private resumeIfClear(): void {
    if (!this.pausedForQueue && !this.pausedForDst && !this.src.destroyed) this.src.resume();
  }

  private maybeEnd(): void {
    if (this.srcEnded && this.pending() === 0 && !this.dst.destroyed) this.dst.end();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.head = 0;
    this.heldBytes = 0;
  }
}

/** Ends a connection with a TCP RST (a plain close on unix sockets, which have no reset). */
function reset(s: net.Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

/** A proxy running in this process. */
export class DelayProxy implements PeerProxy {
  private delay: DelaySetting = { delayMs: 0, jitterMs: 0 };
  private readonly pipes = new Set<DelayedPipe>();
  private readonly sockets = new Set<net.Socket>();
  private readonly counters: ProxyStats = { connections: 0, delayedChunks: 0 };
  private closed = false;
  readonly listen: string;

  private constructor(
    private readonly server: net.Server,
    listen: string,
    readonly target: string,
    readonly random: () => number,
  ) {
    this.listen = listen;
  }

  /**
   * Listens on `listen` (unix:/PATH, or tcp:HOST:PORT; port 0 picks a free one, and `listen`
   * then names it) and forwards each connection to `target`.
   */
  static async start(listen: string, target: string, options: { random?: () => number } = {}): Promise<DelayProxy> {
    const at = parseAddress(listen);
    const to = parseAddress(target);
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    if (at.kind === 'unix') rmSync(at.path, { force: true }); // a socket file left by a dead proxy
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`proxy: cannot listen on ${listen}: ${e.message}`)));
      server.listen(netOptions(at), () => resolve());
    });
    const bound: Address = at.kind === 'tcp' ? { ...at, port: (server.address() as net.AddressInfo).port } : at;
    const proxy = new DelayProxy(server, formatAddress(bound), target, options.random ?? Math.random);
    server.on('connection', (socket) => proxy.accept(socket, to));
    return proxy;
  }

  setting(): DelaySetting {
    return this.delay;
  }

  countDelayed(): void {
    this.counters.delayedChunks++;
  }

  async setDelay(delayMs: number, jitterMs = 0): Promise<void> {
    this.delay = checkDelay(delayMs, jitterMs);
  }

  async clear(): Promise<void> {
    this.delay = { delayMs: 0, jitterMs: 0 };
    for (const p of this.pipes) p.flush(true);
  }

  async stats(): Promise<ProxyStats> {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pipes) p.stop();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    const at = parseAddress(this.listen);
    if (at.kind === 'unix') rmSync(at.path, { force: true });
  }

  private accept(downstream: net.Socket, to: Address): void {
    this.counters.connections++;
    const upstream = net.connect({ ...netOptions(to), allowHalfOpen: true });
    const both = [downstream, upstream];
    for (const s of both) this.sockets.add(s);
    const there = new DelayedPipe(downstream, upstream, this);
    const back = new DelayedPipe(upstream, downstream, this);
    this.pipes.add(there);
    this.pipes.add(back);
    let finished = 0;
    const done = () => {
      there.stop();
      back.stop();
      this.pipes.delete(there);
      this.pipes.delete(back);
      for (const s of both) this.sockets.delete(s);
    };
    for (const [s, other] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      // A reset or error on one side resets the other at once: the peer must see a failure, not
      // a clean end of stream.
      s.on('error', () => reset(other));
      s.on('close', (hadError) => {
        if (hadError || !s.readableEnded) reset(other);
        if (++finished === 2) done();
      });
    }
    downstream.resume();
  }
}
