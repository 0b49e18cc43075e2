// The stdio target (docs/stdio.md): any system, through an adapter program that speaks JSON lines
// on stdin/stdout, one adapter process per client thread. When faultline also runs the cluster
// the adapters talk to (`inner`, e.g. the built-in store), the cluster's lifecycle is the inner
// target's: setup, teardown, kill, pause, resume, start, primaries, logs, and the capabilities
// faults look for (setClockOffset, dataDir). Without one, faultline drives only the adapters and
// the node-level faults are unavailable.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { InputError } from '../../histories/errors.js';
import type { Client, Target } from '../types.js';
import { nodeNames } from '../common/node-names.js';
import { StdioClient, DEFAULT_CLOSE_GRACE_MS } from './client.js';
import { NodeAdapters, type NodeAdapterStats } from './node-adapters.js';

export interface StdioTargetOptions {
  /** Run folder: logs/<node>/adapter-<n>.log gets each adapter's stderr. */
  dir: string;
  /** argv of the adapter, e.g. ['python3', 'examples/stdio/builtin_adapter.py']; never a shell string. */
  adapter: readonly string[];
  /** Node names when there is no inner cluster (default n1..n3). */
  nodes?: readonly string[];
  /** The cluster the adapters talk to, if faultline runs it: lifecycle calls delegate to it. */
  inner?: Target;
  /**
   * What the adapter is told about its node (FAULTLINE_ADDRESS), e.g. the built-in store's client
   * socket. Default: the inner cluster's own `address(node)`, if it has one; else ''.
   */
  address?: (node: string) => string;
  /** The workload served (FAULTLINE_WORKLOAD): `read`, `add` and a txn's `r` mean different things in different ones. */
  workload?: string;
  /** Adapter exits in a row (per node, with no reply in between) before the run is failed. Default 5. */
  restartLimit?: number;
}

export const DEFAULT_RESTART_LIMIT = 5;

/** Where `program` would be run from (PATH lookup, as execvp does), or undefined when nowhere. */
export function findProgram(program: string): string | undefined {
  const candidates = program.includes('/')
    ? [resolve(program)]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter((d) => d !== '')
        .map((d) => join(d, program));
  return candidates.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

function checkOptions(o: StdioTargetOptions): void {
  if (typeof o.dir !== 'string' || o.dir === '') throw new InputError("stdio target: dir (the run's store dir) is required");
  if (!Array.isArray(o.adapter) || o.adapter.length === 0 || !o.adapter.every((a) => typeof a === 'string')) {
    throw new InputError('stdio target: adapter must be the argv of the adapter program, e.g. ["python3", "examples/stdio/builtin_adapter.py"]');
  }
  if (o.adapter[0] === '') throw new InputError('stdio target: adapter[0] (the program) is empty');
  const limit = o.restartLimit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new InputError(`stdio target: restartLimit must be an integer >= 0, got ${limit}`);
}


export class StdioTarget implements Target {
  readonly nodes: readonly string[];
  /** The inner cluster's leaders, when it has that notion. */
  readonly primaries?: () => Promise<string[]>;
  /** The inner cluster's own clock (the clock fault uses it), when it has one. */
  readonly setClockOffset?: (node: string, offsetMs: number) => Promise<void>;
  /** The inner cluster's data dir of a node (the disk fault damages it), when it has one. */
  readonly dataDir?: (node: string) => string;
  /** Where a node is reached: what its adapters are told (FAULTLINE_ADDRESS). */
  readonly address?: (node: string) => string;
  private readonly dir: string;
  private readonly adapters = new Map<string, NodeAdapters>();
  private readonly clients = new Set<StdioClient>();
  private state: 'new' | 'up' | 'down' = 'new';

  constructor(private readonly o: StdioTargetOptions) {
    checkOptions(o);
    this.dir = resolve(o.dir);
    this.nodes = nodeNames(o.inner ? o.inner.nodes : o.nodes, 'stdio', { max: 64, error: (m) => new InputError(m) });
    const inner = o.inner as (Target & { setClockOffset?: unknown; dataDir?: unknown }) | undefined;
    if (inner?.primaries) this.primaries = () => inner.primaries!();
    if (typeof inner?.setClockOffset === 'function') this.setClockOffset = (inner.setClockOffset as (n: string, ms: number) => Promise<void>).bind(inner);
    if (typeof inner?.dataDir === 'function') this.dataDir = (inner.dataDir as (n: string) => string).bind(inner);
    const address = o.address ?? (inner?.address ? (n: string) => inner.address!(n) : undefined);
    if (address) this.address = address;
    const restartLimit = o.restartLimit ?? DEFAULT_RESTART_LIMIT;
    for (const node of this.nodes) {
      this.adapters.set(
        node,
        new NodeAdapters({
          node,
          argv: o.adapter,
          logDir: this.logDir(node),
          restartLimit,
          live: () => this.state === 'up',
          env: () => ({ FAULTLINE_NODE: node, FAULTLINE_ADDRESS: address ? address(node) : '', FAULTLINE_WORKLOAD: o.workload ?? '' }),
        }),
      );
    }
  }

  logDir(node: string): string {
    return join(this.dir, 'logs', node);
  }

  /** The inner cluster's logs, then every adapter log of the node. */
  logs(node: string): string[] {
    this.check(node);
    const own = existsSync(this.logDir(node))
      ? readdirSync(this.logDir(node))
          .filter((f) => /^adapter-\d+\.log$/.test(f))
          .sort((a, b) => Number(a.slice(8, -4)) - Number(b.slice(8, -4)))
          .map((f) => join(this.logDir(node), f))
      : [];
    return [...(this.o.inner?.logs(node) ?? []), ...own];
  }

  /** Starts, restarts and exits of the node's adapters so far. */
  stats(node: string): NodeAdapterStats {
    return this.nodeAdapters(node).stats;
  }

  async setup(): Promise<void> {
    if (this.state === 'up') throw new Error('stdio target: setup called twice without teardown');
    const program = this.o.adapter[0];
    if (findProgram(program) === undefined) {
      throw new InputError(`stdio target: cannot run the adapter ${JSON.stringify(this.o.adapter.join(' '))}: ${program.includes('/') ? `${resolve(program)} is not an executable file` : `${program} is not on PATH`}`);
    }
    this.state = 'up';
    try {
      for (const n of this.nodes) mkdirSync(this.logDir(n), { recursive: true });
      await this.o.inner?.setup();
    } catch (e) {
      await this.teardown();
      throw e;
    }
  }

  /** Closes every adapter (stdin EOF, then SIGKILL after a grace period), then the inner cluster. */
  async teardown(): Promise<void> {
    if (this.state === 'down') return;
    this.state = 'down';
    try {
      await Promise.all([...this.clients].map((c) => c.close().catch(() => {})));
    } finally {
      await this.o.inner?.teardown();
    }
  }

  async start(node: string): Promise<void> {
    await this.lifecycle(node, 'start').start(node);
  }

  async kill(node: string): Promise<void> {
    await this.lifecycle(node, 'kill').kill(node);
  }

  async pause(node: string): Promise<void> {
    await this.lifecycle(node, 'pause').pause(node);
  }

  async resume(node: string): Promise<void> {
    await this.lifecycle(node, 'resume').resume(node);
  }

  client(node: string): Client {
    const c = new StdioClient(node, this.nodeAdapters(node), DEFAULT_CLOSE_GRACE_MS, (closed) => this.clients.delete(closed));
    this.clients.add(c);
    return c;
  }

  private nodeAdapters(node: string): NodeAdapters {
    const a = this.adapters.get(node);
    if (!a) throw new Error(`stdio target: no node ${JSON.stringify(node)} (nodes: ${this.nodes.join(', ')})`);
    return a;
  }

  private check(node: string): void {
    this.nodeAdapters(node);
  }

  private lifecycle(node: string, what: string): Target {
    this.check(node);
    if (!this.o.inner) {
      throw new Error(`stdio target: cannot ${what} ${node}: faultline does not run the system behind the adapters (no inner cluster)`);
    }
    return this.o.inner;
  }
}

export function createStdioTarget(o: StdioTargetOptions): StdioTarget {
  return new StdioTarget(o);
}
