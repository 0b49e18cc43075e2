// The built-in store as a Target: one node process per node (dist/targets/builtin/node-main.js),
// each run under faultline's guard (targets/guard/), which SIGKILLs it as soon as this process is
// gone — even when the node is paused (SIGSTOP) and so cannot watch anything itself. The guard
// runs in its own process group, so a signal to faultline's group (Ctrl-C, a CI runner's
// SIGTERM) reaches faultline, which heals and tears the nodes down, and not the nodes. A node's
// output is appended to `<dir>/logs/<node>/node.log` and its state kept in `<dir>/data/<node>/`.
// Clients and peers reach nodes on unix sockets in a short temporary directory (default) or on
// loopback TCP ports.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, NodeAddresses, Target } from '../types.js';
import { guardedCommand, killGuarded, setStopped, spawnGuarded, type GuardedProcess } from '../guard/guarded-process.js';
import { shortSocketDir } from '../common/socket-dir.js';
import { logTail } from '../common/log-tail.js';
import { nodeNames } from '../common/node-names.js';
import { MAX_SOCKET_PATH_BYTES, parseAddress } from '../../base/address.js';
import { BuiltinClient } from './client.js';
import { requestOnce } from './http-json.js';
import { MODE_NAMES, type ModeName, type ModeOptions } from './mode.js';
import type { NodeConfig, NodeSpec } from './node-config.js';

export type { NodeAddresses };

export type ListenKind = 'unix' | 'tcp';

/**
 * Where nodes listen: 'unix' (default: both listeners on unix sockets in a temp dir), 'tcp'
 * (free loopback ports), per listener ({ client: 'unix', peer: 'tcp', host: '127.0.0.1' }), or a
 * function giving each node's addresses. `host` may be a function giving each node its own host
 * (e.g. its network namespace's address); then free ports cannot be probed from here, and tcp
 * listeners use the fixed `port` (client) and `port` + 1 (peer) when both are tcp. Default port 7000.
 */
export type ListenSpec =
  | ListenKind
  | { client?: ListenKind; peer?: ListenKind; host?: string | ((node: string, index: number) => string); port?: number }
  | ((node: string, index: number) => NodeAddresses);

/** The program and arguments that run one node. */
export interface NodeCommand {
  file: string;
  args: string[];
}

export interface BuiltinTargetOptions {
  mode: ModeName;
  /** How many nodes (named n1…nN) or their names. Default 3. */
  nodes?: number | readonly string[];
  /** Mode options every node gets (docs/builtin.md), e.g. replicationDelayMs, workload. */
  options?: ModeOptions;
  /** The run's store dir: node logs go to logs/<node>/node.log, node state to data/<node>/. */
  dir: string;
  listen?: ListenSpec;
  /** Rewrites the command that runs a node (e.g. to run it inside a network namespace). */
  wrapCommand?: (node: string, command: NodeCommand) => NodeCommand;
  /** How long setup and start wait for a node to answer GET /status. Default 10 s. */
  startTimeoutMs?: number;
  /** A client's per-op timeout when the runner passes no abort signal. Default 10 s. */
  clientTimeoutMs?: number;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 15;

/** node-main.js next to this file (compiled), else the compiled copy under dist/ (tests run sources). */
export function nodeMainPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'node-main.js'), resolve(here, '../../dist/targets/builtin/node-main.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`builtin target: cannot find node-main.js (looked at ${candidates.join(', ')}); build first: npm run build`);
  return found;
}


/** A short directory for unix sockets (their paths must stay under ~100 bytes). */
function socketDir(): string {
  return shortSocketDir('faultline-');
}

async function freeTcpPorts(host: string, count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen({ host, port: 0 }, () => res());
      });
      ports.push((s.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }
}


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class BuiltinTarget implements Target {
  readonly nodes: readonly string[];
  readonly mode: ModeName;
  private readonly options: ModeOptions;
  private readonly dir: string;
  private specs: NodeSpec[] = [];
  /** Nodes whose own peer listener differs from the address peers use (NodeAddresses.peerListen). */
  private peerListen = new Map<string, string>();
  /** Clock offsets set through setClockOffset, applied again when a node restarts. */
  private readonly clockOffsets = new Map<string, number>();
  private sockets: string | undefined;
  /** Nodes whose guard has reported their pid (until their process exits). */
  private readonly running = new Map<string, GuardedProcess>();
  /** Nodes being started: their guard runs, their pid is not known yet. Teardown waits for them. */
  private readonly starting = new Map<string, Promise<void>>();
  private state: 'new' | 'up' | 'down' = 'new';
  private tearingDown: Promise<void> | undefined;

  constructor(private readonly config: BuiltinTargetOptions) {
    if (!(MODE_NAMES as readonly string[]).includes(config.mode)) throw new Error(`builtin target: unknown mode ${JSON.stringify(config.mode)} (known: ${MODE_NAMES.join(', ')})`);
    if (typeof config.dir !== 'string' || config.dir === '') throw new Error('builtin target: dir (the run\'s store dir) is required');
    this.mode = config.mode;
    this.nodes = nodeNames(config.nodes, 'builtin', { max: 64 });
    this.options = config.options ?? {};
    this.dir = resolve(config.dir);
  }

  logDir(node: string): string {
    return join(this.dir, 'logs', node);
  }

  dataDir(node: string): string {
    return join(this.dir, 'data', node);
  }

  logs(node: string): string[] {
    this.check(node);
    return [join(this.logDir(node), 'node.log')];
  }

  /** The address clients of `node` connect to (after setup). */
  clientAddress(node: string): string {
    return this.spec(node).client;
  }

  /** A person's view of clientAddress: a unix socket path, or host:port. */
  address(node: string): string {
    const a = this.clientAddress(node);
    return a.startsWith('unix:') ? a.slice('unix:'.length) : a.replace(/^tcp:/, '');
  }

  /** The pid of the node's process, if it is running. */
  pid(node: string): number | undefined {
    return this.running.get(node)?.pid;
  }

  async setup(): Promise<void> {
    if (this.state === 'up') throw new Error('builtin target: setup called twice without teardown');
    this.state = 'up';
    this.tearingDown = undefined;
    try {
      this.specs = await this.addresses();
      for (const n of this.nodes) {
        // A fresh cluster starts empty; start() after kill keeps the data.
        rmSync(this.dataDir(n), { recursive: true, force: true });
        mkdirSync(this.dataDir(n), { recursive: true });
        mkdirSync(this.logDir(n), { recursive: true });
      }
      await Promise.all(
        this.nodes.map(async (n) => {
          await this.spawn(n);
          await this.waitReady(n);
        }),
      );
    } catch (e) {
      await this.teardown();
      throw e;
    }
  }

  /** Stops every node and removes the socket folder; a second call while one runs waits for it. */
  teardown(): Promise<void> {
    if (this.state === 'down') return this.tearingDown ?? Promise.resolve();
    this.state = 'down';
    this.tearingDown = this.stopAll();
    return this.tearingDown;
  }

  private async stopAll(): Promise<void> {
    // A node still starting is stopped once its guard has reported it (or has given up).
    await Promise.all([...this.starting.values()].map((p) => p.catch(() => {})));
    await Promise.all([...this.running.keys()].map((n) => this.stopProcess(n)));
    if (this.sockets) rmSync(this.sockets, { recursive: true, force: true });
    this.sockets = undefined;
  }

  async start(node: string): Promise<void> {
    this.check(node);
    this.requireUp('start');
    if (this.running.has(node)) return;
    await (this.starting.get(node) ?? this.spawn(node));
    await this.waitReady(node);
    const offset = this.clockOffsets.get(node);
    if (offset !== undefined && offset !== 0) await this.postClockOffset(node, offset);
  }

  /**
   * Shifts the node's own clock (NodeContext.now(), which stamps LWW writes) by `offsetMs` from
   * the machine's clock, which is never touched; 0 resets it. Kept across restarts of the node.
   */
  async setClockOffset(node: string, offsetMs: number): Promise<void> {
    this.check(node);
    if (!Number.isFinite(offsetMs)) throw new Error(`builtin target: clock offset for ${node} must be a finite number of ms, got ${offsetMs}`);
    this.clockOffsets.set(node, offsetMs);
    if (this.running.has(node)) await this.postClockOffset(node, offsetMs);
  }

  private async postClockOffset(node: string, offsetMs: number): Promise<void> {
    const res = await requestOnce(parseAddress(this.spec(node).client), 'POST', '/admin/clock', { offsetMs }, { timeoutMs: 2000 });
    if (res.status !== 200) throw new Error(`builtin target: ${node} refused the clock offset: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }

  async kill(node: string): Promise<void> {
    this.check(node);
    await this.stopProcess(node);
  }

  /** SIGSTOPs the node and resolves once the kernel shows it stopped. */
  async pause(node: string): Promise<void> {
    this.check(node);
    const r = this.running.get(node);
    if (!r) throw new Error(`builtin target: cannot pause ${node}: it is not running`);
    await setStopped(r, true, `builtin node ${node}`);
  }

  /**
   * SIGCONTs the node and resolves once it runs again. A node that is not running (killed while
   * paused) has nothing left to resume: the process that was paused is gone.
   */
  async resume(node: string): Promise<void> {
    this.check(node);
    const r = this.running.get(node);
    if (!r) return;
    await setStopped(r, false, `builtin node ${node}`);
  }

  async primaries(): Promise<string[]> {
    if (this.mode === 'leader-follower-sync' || this.mode === 'leader-follower-async' || this.mode === 'cache') return [this.nodes[0]];
    return [...this.nodes];
  }

  client(node: string): Client {
    return new BuiltinClient(node, this.spec(node).client, { timeoutMs: this.config.clientTimeoutMs });
  }

  /**
   * The command that runs `node`: its wrapper (e.g. `ip netns exec`), the guard, then node-main.js
   * with the node's config. The one place to change how nodes are started.
   */
  nodeCommand(node: string): NodeCommand {
    const config: NodeConfig = {
      self: node,
      mode: this.mode,
      options: this.options,
      // Peers reach each other at `peer`; this node listens on its own peerListen, if any.
      nodes: this.specs.map((s) => (s.name === node && this.peerListen.has(node) ? { ...s, peer: this.peerListen.get(node)! } : s)),
      dataDir: this.dataDir(node),
      parentPid: process.pid,
      pidDir: join(this.dir, 'data'),
    };
    // The guard removes the node's unix sockets once it is gone, and their folder when faultline is gone too.
    const self = config.nodes.find((n) => n.name === node)!;
    const sockets = [self.client, self.peer]
      .map((a) => parseAddress(a))
      .flatMap((a) => (a.kind === 'unix' ? [a.path] : []));
    const [file, ...args] = guardedCommand([process.execPath, nodeMainPath(), JSON.stringify(config)], sockets);
    const command: NodeCommand = { file, args };
    return this.config.wrapCommand ? this.config.wrapCommand(node, command) : command;
  }

  private spec(node: string): NodeSpec {
    this.check(node);
    const s = this.specs.find((x) => x.name === node);
    if (!s) throw new Error(`builtin target: ${node} has no address yet (call setup first)`);
    return s;
  }

  private check(node: string): void {
    if (!this.nodes.includes(node)) throw new Error(`builtin target: no node ${JSON.stringify(node)} (nodes: ${this.nodes.join(', ')})`);
  }

  private requireUp(what: string): void {
    if (this.state !== 'up') throw new Error(`builtin target: cannot ${what}: the cluster is not set up`);
  }

  private async addresses(): Promise<NodeSpec[]> {
    const listen = this.config.listen ?? 'unix';
    let pick: (node: string, index: number) => NodeAddresses;
    if (typeof listen === 'function') {
      pick = listen;
    } else {
      const kinds = typeof listen === 'string' ? { client: listen, peer: listen } : { client: listen.client ?? 'unix', peer: listen.peer ?? 'unix' };
      const host = (typeof listen === 'object' ? listen.host : undefined) ?? '127.0.0.1';
      const tcpCount = (kinds.client === 'tcp' ? 1 : 0) + (kinds.peer === 'tcp' ? 1 : 0);
      let port: () => number;
      if (typeof host === 'function') {
        const fixed = (typeof listen === 'object' ? listen.port : undefined) ?? 7000;
        let k = 0;
        port = () => fixed + (k++ % tcpCount);
      } else {
        const ports = tcpCount > 0 ? await freeTcpPorts(host, tcpCount * this.nodes.length) : [];
        port = () => ports.shift()!;
      }
      if (kinds.client === 'unix' || kinds.peer === 'unix') this.sockets = socketDir();
      const hostPart = (node: string, i: number) => {
        const h = typeof host === 'function' ? host(node, i) : host;
        return h.includes(':') ? `[${h}]` : h;
      };
      pick = (node, i) => ({
        client: kinds.client === 'tcp' ? `tcp:${hostPart(node, i)}:${port()}` : `unix:${join(this.sockets!, `${node}.c.sock`)}`,
        peer: kinds.peer === 'tcp' ? `tcp:${hostPart(node, i)}:${port()}` : `unix:${join(this.sockets!, `${node}.p.sock`)}`,
      });
    }
    this.peerListen = new Map();
    return this.nodes.map((name, i) => {
      const a = pick(name, i);
      if (a.peerListen !== undefined && a.peerListen !== a.peer) this.peerListen.set(name, a.peerListen);
      for (const which of ['client', 'peer', 'peerListen'] as const) {
        if (a[which] === undefined) continue;
        try {
          parseAddress(a[which]);
        } catch (e) {
          throw new Error(`builtin target: ${name}'s ${which} ${(e as Error).message}${a[which]!.startsWith('unix:') ? ` (limit ${MAX_SOCKET_PATH_BYTES} bytes)` : ''}`);
        }
      }
      return { name, client: a.client, peer: a.peer };
    });
  }

  /**
   * Starts `node` under its guard and resolves once the guard has reported the node's pid. The
   * guard comes first in the argv the node's wrapper (e.g. `ip netns exec`) runs, so it shares the
   * node's namespace; it writes its own lines and the node's output to the node's log.
   */
  private spawn(node: string): Promise<void> {
    const cmd = this.nodeCommand(node);
    const log = this.logs(node)[0];
    mkdirSync(dirname(log), { recursive: true });
    const starting = spawnGuarded({ argv: [cmd.file, ...cmd.args], cwd: this.dir, log, timeoutMs: this.config.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS })
      .then(
        (proc) => {
          this.running.set(node, proc);
          void proc.exited.then(() => {
            if (this.running.get(node) === proc) this.running.delete(node);
          });
        },
        (e: Error) => {
          const early = /exited at once \((.*)\)$/.exec(e.message);
          const what = early ? `exited (${early[1]}) before it came up` : `did not start: ${e.message}`;
          throw new Error(`builtin target: node ${node} ${what}; the end of ${log}:\n${logTail(log, LOG_TAIL_LINES)}`);
        },
      )
      .finally(() => {
        if (this.starting.get(node) === starting) this.starting.delete(node);
      });
    this.starting.set(node, starting);
    return starting;
  }

  private async waitReady(node: string): Promise<void> {
    const limit = this.config.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const deadline = Date.now() + limit;
    const address = parseAddress(this.spec(node).client);
    const log = this.logs(node)[0];
    const r = this.running.get(node);
    for (;;) {
      if (!r || r.isDone()) {
        throw new Error(`builtin target: node ${node} exited${r?.ending() ? ` (${r.ending()})` : ''} before it came up; the end of ${log}:\n${logTail(log, LOG_TAIL_LINES)}`);
      }
      try {
        const res = await requestOnce(address, 'GET', '/status', undefined, { timeoutMs: 500 });
        if (res.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        throw new Error(`builtin target: node ${node} did not answer on ${this.spec(node).client} within ${limit} ms; the end of ${log}:\n${logTail(log, LOG_TAIL_LINES)}`);
      }
      await sleep(25);
    }
  }

  private async stopProcess(node: string): Promise<void> {
    const r = this.running.get(node);
    if (!r) return;
    await killGuarded(r);
    if (this.running.get(node) === r) this.running.delete(node);
  }
}

export function createBuiltinTarget(options: BuiltinTargetOptions): BuiltinTarget {
  return new BuiltinTarget(options);
}
