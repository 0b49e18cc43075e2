// Redis with Sentinel as a Target (docs/redis.md): on every node a redis-server and a Sentinel.
// n1 starts as the primary, the others as its replicas; the Sentinels (one per node, quorum a
// majority) fail over when the primary stops answering. With a network each node's two processes
// run in its namespace and talk over the test network (so partitions cut replication and Sentinel
// traffic); without one, everything runs here on 127.0.0.1 ports. Either way every server and
// Sentinel also listens on a unix socket in a short temporary folder, and that is the only way
// faultline's clients (in the root namespace) reach them. Addresses Sentinel reports (ip:port) are
// mapped back to nodes, and so to their sockets; they are never dialled.
//
// Every process runs under faultline's guard (targets/guard/guard-main.ts), so it dies when
// faultline does. Kill, pause and resume act on the node's redis-server only; its Sentinel stays
// up, as a Sentinel on another machine would.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import type { Control } from '../../control/types.js';
import { nameSafeId } from '../../control/ids.js';
import { local } from '../../control/local.js';
import type { Network } from '../../control/network.js';
import { guardedCommand, killGuarded, setStopped, spawnGuarded, type GuardedProcess } from '../guard/guarded-process.js';
import type { Client, Target } from '../types.js';
import { shortSocketDir } from '../common/socket-dir.js';
import { logTail } from '../common/log-tail.js';
import { NODE_NAME, nodeNames } from '../common/node-names.js';
import { RedisClient, type RedisCluster } from './client.js';
import { callOnce, type CallOptions } from './connection.js';
import { majority, MASTER_NAME, sentinelConfig, serverArgs, type Address } from './flags.js';
import { dialectFor, type Dialect } from './ops.js';
import { fieldMap, infoFields } from './resp.js';
import { agreedPrimary, sentinelView } from './sentinels.js';

export interface RedisTargetOptions {
  /** The run folder: logs/<node>/redis.log and sentinel.log, data/<node>/ (the AOF and sentinel.conf). */
  dir: string;
  /** The namespaces the nodes run in. Absent: everything runs here on 127.0.0.1 ports (and unix sockets). */
  network?: Network;
  /** Without a network: how many nodes (named n1…nN) or their names. Default 3. n1 starts as primary. */
  nodes?: number | readonly string[];
  /** The workload served: register | set | counter (targets/dialect.ts). */
  workload?: string;
  /** Where reads go: the primary (default), or the client's own node's server (stale reads possible). */
  readFrom?: 'primary' | 'replica';
  /** After each write, WAIT for this many replicas (0 = no WAIT, the default); fewer within waitTimeoutMs → info. */
  waitReplicas?: number;
  /** WAIT's timeout. Default 1000 ms. */
  waitTimeoutMs?: number;
  /** Sentinel's down-after-milliseconds. Default 1000. */
  downAfterMs?: number;
  /** Sentinel's failover-timeout. Default 3000. */
  failoverTimeoutMs?: number;
  /** A client's per-op timeout when the runner passes no abort signal. Default 10 s. */
  clientTimeoutMs?: number;
  /** How long setup waits for servers, replication and Sentinels. Default 20 s. */
  startTimeoutMs?: number;
}

interface Placement {
  node: string;
  control: Control;
  ip: string;
  /** Fixed in a namespace (6379, 26379); chosen free at setup on 127.0.0.1. */
  port: number;
  sentinelPort: number;
}

interface Running {
  proc: GuardedProcess;
  paused: boolean;
}

export interface Replication {
  role: 'master' | 'slave' | string;
  /** A replica's primary, as a node name (undefined when it names no node of ours). */
  primary?: string;
  /** A replica's link to its primary is up. */
  linkUp?: boolean;
  /** The server's replication offset. */
  offset?: number;
}

const SERVER_PORT = 6379;
const SENTINEL_PORT = 26379;
const DEFAULT_DOWN_AFTER_MS = 1000;
const DEFAULT_FAILOVER_TIMEOUT_MS = 3000;
const DEFAULT_START_TIMEOUT_MS = 20_000;
const RESTART_WAIT_MS = 5000;
const PROBE_TIMEOUT_MS = 500;
const LOG_TAIL_LINES = 15;
const MAX_SOCKET_PATH_BYTES = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));




function placements(o: RedisTargetOptions): Placement[] {
  const list: Placement[] = o.network
    ? o.network.hosts.map((h) => ({ node: h.node, control: h.control, ip: h.ip, port: SERVER_PORT, sentinelPort: SENTINEL_PORT }))
    : nodeNames(o.nodes, 'redis', { max: 15 }).map((n) => ({ node: n, control: local, ip: '127.0.0.1', port: 0, sentinelPort: 0 }));
  if (list.length === 0) throw new Error('redis target: no nodes');
  for (const p of list) if (!NODE_NAME.test(p.node)) throw new Error(`redis target: node name ${JSON.stringify(p.node)} must be 1-32 letters, digits, _ . or -`);
  if (new Set(list.map((p) => p.node)).size !== list.length) throw new Error('redis target: node names must be distinct');
  return list;
}

/** `n` TCP ports free on 127.0.0.1 right now (each held until all are found, so they differ). */
async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => res());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

function checkPositive(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`redis target: ${name} must be a positive integer, got ${v}`);
}

export class RedisTarget implements Target, RedisCluster {
  readonly nodes: readonly string[];
  private readonly places: Placement[];
  private readonly dir: string;
  private readonly runId: string;
  private readonly dialect: Dialect;
  private readonly startTimeoutMs: number;
  private readonly servers = new Map<string, Running>();
  private readonly sentinels = new Map<string, Running>();
  private sockets: string | undefined;
  private state: 'new' | 'up' | 'down' = 'new';
  /** With clients in sites: the partition in force (node → nodes it cannot reach), which clients obey too. */
  private clientSites: { cut: Record<string, string[]> | null } | undefined;

  constructor(private readonly o: RedisTargetOptions) {
    if (typeof o.dir !== 'string' || o.dir === '') throw new Error("redis target: dir (the run's folder) is required");
    this.places = placements(o);
    this.nodes = this.places.map((p) => p.node);
    this.dir = resolve(o.dir);
    this.runId = o.network?.runId ?? nameSafeId(6);
    this.dialect = dialectFor(o.workload);
    this.startTimeoutMs = o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    if (o.readFrom !== undefined && o.readFrom !== 'primary' && o.readFrom !== 'replica') throw new Error(`redis target: readFrom must be "primary" or "replica", got ${JSON.stringify(o.readFrom)}`);
    if (o.waitReplicas !== undefined && (!Number.isInteger(o.waitReplicas) || o.waitReplicas < 0 || o.waitReplicas >= this.nodes.length)) {
      throw new Error(`redis target: waitReplicas must be an integer from 0 to ${this.nodes.length - 1} (the replicas there are), got ${o.waitReplicas}`);
    }
    checkPositive('waitTimeoutMs', o.waitTimeoutMs);
    checkPositive('downAfterMs', o.downAfterMs);
    checkPositive('failoverTimeoutMs', o.failoverTimeoutMs);
    checkPositive('clientTimeoutMs', o.clientTimeoutMs);
  }

  logs(node: string): string[] {
    this.place(node);
    return [join(this.dir, 'logs', node, 'redis.log'), join(this.dir, 'logs', node, 'sentinel.log')];
  }

  dataDir(node: string): string {
    this.place(node);
    return join(this.dir, 'data', node);
  }

  /** The node's redis-server client socket (after setup). */
  socketPath(node: string): string {
    this.place(node);
    if (this.sockets === undefined) throw new Error(`redis target: ${node} has no socket yet (call setup first)`);
    return join(this.sockets, `${node}.sock`);
  }

  /** The node's Sentinel socket (after setup). */
  sentinelSocketPath(node: string): string {
    this.place(node);
    if (this.sockets === undefined) throw new Error(`redis target: ${node} has no socket yet (call setup first)`);
    return join(this.sockets, `${node}.sentinel.sock`);
  }

  /** redis-server's pid on `node`, if it is running. */
  pid(node: string): number | undefined {
    const r = this.servers.get(node);
    return r && !r.proc.isDone() ? r.proc.pid : undefined;
  }

  /** The Sentinel's pid on `node`, if it is running. */
  sentinelPid(node: string): number | undefined {
    const r = this.sentinels.get(node);
    return r && !r.proc.isDone() ? r.proc.pid : undefined;
  }

  isPaused(node: string): boolean {
    return this.servers.get(node)?.paused === true;
  }

  /** Where clients reach the node's redis-server: its unix socket (after setup). */
  address(node: string): string {
    return this.socketPath(node);
  }

  /** The node's server address on its network (what Sentinel and replicas use; never dialled from here). */
  networkAddress(node: string): Address {
    const p = this.place(node);
    return { ip: p.ip, port: p.port };
  }

  /** The node whose server listens at ip:port, as Sentinel or INFO report it. */
  nodeAt(ip: string, port: number): string | undefined {
    return this.places.find((p) => p.ip === ip && p.port === port)?.node;
  }

  async setup(): Promise<void> {
    if (this.state === 'up') throw new Error('redis target: setup called twice without teardown');
    this.state = 'up';
    try {
      if (!this.o.network) {
        const ports = await freePorts(2 * this.places.length);
        this.places.forEach((p, i) => {
          p.port = ports[2 * i];
          p.sentinelPort = ports[2 * i + 1];
        });
      }
      this.sockets = shortSocketDir(`fl-${this.runId}-redis-`);
      for (const n of this.nodes) {
        for (const path of [this.socketPath(n), this.sentinelSocketPath(n)]) {
          if (Buffer.byteLength(path) >= MAX_SOCKET_PATH_BYTES) throw new Error(`redis target: socket path ${path} is too long (limit ${MAX_SOCKET_PATH_BYTES} bytes); set TMPDIR to a shorter directory`);
        }
        // A fresh cluster starts empty; start() after kill keeps the data.
        rmSync(this.dataDir(n), { recursive: true, force: true });
        mkdirSync(this.dataDir(n), { recursive: true });
        mkdirSync(join(this.dir, 'logs', n), { recursive: true });
      }
      const first = this.nodes[0];
      // Every spawn settles before a failure tears down: none may register after teardown.
      await this.settleAll(this.nodes.map((n) => this.spawnServer(n, n === first ? undefined : this.networkAddress(first))));
      await Promise.all(this.nodes.map((n) => this.waitServing(n, this.startTimeoutMs)));
      await Promise.all(this.nodes.filter((n) => n !== first).map((n) => this.waitReplicating(n, first)));
      await this.settleAll(this.nodes.map((n) => this.spawnSentinel(n, this.networkAddress(first))));
      await Promise.all(this.nodes.map((n) => this.waitSentinelReady(n)));
    } catch (e) {
      await this.teardown();
      throw e;
    }
  }

  async teardown(): Promise<void> {
    if (this.state === 'down') return;
    this.state = 'down';
    await Promise.all([...this.servers.keys()].map((n) => this.stop(this.servers, n)));
    await Promise.all([...this.sentinels.keys()].map((n) => this.stop(this.sentinels, n)));
    if (this.sockets) rmSync(this.sockets, { recursive: true, force: true });
    this.sockets = undefined;
  }

  /**
   * Restarts a killed server with its data (the AOF), as a replica of the primary the Sentinels
   * name — or as a primary when they still name this node (it was killed and started again before
   * they failed it over) or none answers (the Sentinels then reconfigure it). Resolves once it
   * answers PING.
   */
  async start(node: string): Promise<void> {
    this.place(node);
    if (this.state !== 'up') throw new Error(`redis target: cannot start ${node}: the cluster is not set up`);
    if (this.pid(node) !== undefined) return;
    const primary = await this.discoverPrimary();
    await this.spawnServer(node, primary !== undefined && primary !== node ? this.networkAddress(primary) : undefined);
    await this.waitServing(node, RESTART_WAIT_MS);
  }

  /** SIGKILLs the node's redis-server (its Sentinel stays up). */
  async kill(node: string): Promise<void> {
    this.place(node);
    await this.stop(this.servers, node);
  }

  /** SIGSTOPs the node's redis-server; resolves once the kernel shows it stopped. */
  async pause(node: string): Promise<void> {
    const r = this.running(node, 'pause');
    r.paused = true;
    await setStopped(r.proc, true, `redis target: redis-server on ${node}`);
  }

  /** SIGCONTs the node's redis-server; resolves once it is no longer stopped. */
  async resume(node: string): Promise<void> {
    const r = this.running(node, 'resume');
    r.paused = false;
    await setStopped(r.proc, false, `redis target: redis-server on ${node}`);
  }

  /**
   * The nodes that take writes: the primary the Sentinels agree on, first, then any other running
   * server that still calls itself a master (an old primary cut off from the Sentinels, or not yet
   * reconfigured after a heal: it takes writes the cluster will discard).
   */
  async primaries(): Promise<string[]> {
    const chosen = await this.discoverPrimary();
    const asked = this.nodes.filter((n) => this.pid(n) !== undefined && !this.isPaused(n));
    const roles = await Promise.all(asked.map((n) => this.replication(n).catch(() => undefined)));
    const masters = asked.filter((_, i) => roles[i]?.role === 'master');
    return [...new Set([...(chosen !== undefined ? [chosen] : []), ...masters])];
  }

  /**
   * The primary the Sentinels agree on (sentinels.ts); undefined when no Sentinel answers with an
   * address of ours. With `from` and clients in sites, only the Sentinels that node reaches.
   */
  async discoverPrimary(o: CallOptions & { from?: string } = {}): Promise<string | undefined> {
    if (this.sockets === undefined) return undefined;
    const timeoutMs = Math.min(PROBE_TIMEOUT_MS, o.timeoutMs ?? PROBE_TIMEOUT_MS);
    const asked = o.from === undefined ? this.nodes : this.nodes.filter((n) => this.reachable(o.from!, n));
    return agreedPrimary(asked.map((n) => this.sentinelSocketPath(n)), (ip, port) => this.nodeAt(ip, port), { signal: o.signal, timeoutMs });
  }

  /**
   * Puts each client in its node's site (scenarios/split-brain.ts): from then on a partition cuts
   * clients off as it cuts their node, as an application server in one data centre loses the other.
   */
  placeClientsInSites(): void {
    this.clientSites ??= { cut: null };
  }

  /** The run tells the target of each partition (runner/run.ts); clients in sites follow it. */
  clientsPartitioned(grudge: Record<string, string[]> | null): void {
    if (this.clientSites) this.clientSites.cut = grudge;
  }

  /** Whether a client on `from` reaches `to`'s servers now. */
  reachable(from: string, to: string): boolean {
    return !(this.clientSites?.cut?.[from]?.includes(to) ?? false);
  }

  /** One Sentinel's primary and its config epoch. */
  sentinelView(node: string, o: CallOptions = {}): Promise<{ primary: string; epoch: number } | undefined> {
    return sentinelView(this.sentinelSocketPath(node), (ip, port) => this.nodeAt(ip, port), o);
  }

  /** INFO replication of the node's server. */
  async replication(node: string, o: CallOptions = { timeoutMs: PROBE_TIMEOUT_MS }): Promise<Replication> {
    const text = await callOnce(this.socketPath(node), ['INFO', 'replication'], o);
    if (typeof text !== 'string') throw new Error(`redis target: INFO from ${node} is not text`);
    const f = infoFields(text);
    const host = f.get('master_host');
    const port = Number(f.get('master_port'));
    return {
      role: f.get('role') ?? 'unknown',
      ...(host !== undefined ? { primary: this.nodeAt(host, port), linkUp: f.get('master_link_status') === 'up' } : {}),
      offset: Number(f.get(f.get('role') === 'master' ? 'master_repl_offset' : 'slave_repl_offset') ?? NaN),
    };
  }

  /**
   * Waits until the Sentinels agree on a primary other than `old`; resolves with it and the ms
   * waited. Rejects after `limitMs`.
   */
  async waitForFailover(old: string, limitMs: number): Promise<{ primary: string; ms: number }> {
    const t0 = Date.now();
    for (;;) {
      const p = await this.discoverPrimary();
      if (p !== undefined && p !== old) return { primary: p, ms: Date.now() - t0 };
      if (Date.now() - t0 > limitMs) throw new Error(`redis target: the Sentinels still name ${p ?? 'no primary'} ${limitMs} ms later (no failover away from ${old})`);
      await sleep(50);
    }
  }

  client(node: string): Client {
    this.place(node);
    return new RedisClient(node, this, this.dialect, {
      readFrom: this.o.readFrom,
      waitReplicas: this.o.waitReplicas,
      waitTimeoutMs: this.o.waitTimeoutMs,
      timeoutMs: this.o.clientTimeoutMs,
    });
  }

  /** The command that runs `node`'s redis-server (guarded, wrapped by the node's control). */
  serverCommand(node: string, replicaOf?: Address): string[] {
    const p = this.place(node);
    const args = serverArgs({ self: { ip: p.ip, port: p.port }, socket: this.socketPath(node), dataDir: this.dataDir(node), replicaOf });
    return p.control.wrap(guardedCommand(['redis-server', ...args], [this.socketPath(node)]));
  }

  private place(node: string): Placement {
    const p = this.places.find((x) => x.node === node);
    if (!p) throw new Error(`redis target: no node ${JSON.stringify(node)} (nodes: ${this.nodes.join(', ')})`);
    return p;
  }

  private running(node: string, what: string): Running {
    this.place(node);
    const r = this.servers.get(node);
    if (!r || r.proc.isDone()) throw new Error(`redis target: cannot ${what} ${node}: its redis-server is not running`);
    return r;
  }

  private async settleAll(spawns: Promise<void>[]): Promise<void> {
    const settled = await Promise.allSettled(spawns);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async spawnServer(node: string, replicaOf: Address | undefined): Promise<void> {
    rmSync(this.socketPath(node), { force: true });
    await this.spawnInto(this.servers, node, this.serverCommand(node, replicaOf), this.logs(node)[0], 'redis-server');
  }

  private async spawnSentinel(node: string, primary: Address): Promise<void> {
    const p = this.place(node);
    const conf = join(this.dataDir(node), 'sentinel.conf');
    writeFileSync(
      conf,
      sentinelConfig({
        self: { ip: p.ip, port: p.sentinelPort },
        socket: this.sentinelSocketPath(node),
        dir: this.dataDir(node),
        primary,
        quorum: majority(this.nodes.length),
        downAfterMs: this.o.downAfterMs ?? DEFAULT_DOWN_AFTER_MS,
        failoverTimeoutMs: this.o.failoverTimeoutMs ?? DEFAULT_FAILOVER_TIMEOUT_MS,
      }),
    );
    rmSync(this.sentinelSocketPath(node), { force: true });
    const argv = p.control.wrap(guardedCommand(['redis-sentinel', conf], [this.sentinelSocketPath(node)]));
    await this.spawnInto(this.sentinels, node, argv, this.logs(node)[1], 'redis-sentinel');
  }

  private async spawnInto(into: Map<string, Running>, node: string, argv: string[], log: string, what: string): Promise<void> {
    let proc: GuardedProcess;
    try {
      proc = await spawnGuarded({ argv, cwd: this.sockets!, log, timeoutMs: this.startTimeoutMs });
    } catch (e) {
      throw new Error(`redis target: could not start ${what} on ${node}: ${(e as Error).message}; the end of ${log}:\n${logTail(log, LOG_TAIL_LINES)}`);
    }
    const r: Running = { proc, paused: false };
    into.set(node, r);
    void proc.exited.then(() => {
      if (into.get(node) === r) into.delete(node);
    });
  }

  /** Waits until the node's server answers PING (not LOADING). */
  private async waitServing(node: string, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    const r = this.servers.get(node);
    let last = 'no answer yet';
    for (;;) {
      if (!r || r.proc.isDone()) {
        const how = r?.proc.ending();
        throw new Error(`redis target: redis-server on ${node} exited${how ? ` (${how})` : ''} before it served clients; the end of ${this.logs(node)[0]}:\n${logTail(this.logs(node)[0], LOG_TAIL_LINES)}`);
      }
      try {
        if ((await callOnce(this.socketPath(node), ['PING'], { timeoutMs: PROBE_TIMEOUT_MS })) === 'PONG') return;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`redis target: redis-server on ${node} did not answer PING within ${limitMs} ms (last: ${last}); the end of ${this.logs(node)[0]}:\n${logTail(this.logs(node)[0], LOG_TAIL_LINES)}`);
      await sleep(20);
    }
  }

  private async waitReplicating(node: string, primary: string): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      try {
        const r = await this.replication(node);
        if (r.role === 'slave' && r.primary === primary && r.linkUp) return;
        last = `role ${r.role}, primary ${r.primary ?? '?'}, link ${r.linkUp ? 'up' : 'down'}`;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`redis target: ${node} did not replicate ${primary} within ${this.startTimeoutMs} ms (last: ${last}); the end of ${this.logs(node)[0]}:\n${logTail(this.logs(node)[0], LOG_TAIL_LINES)}`);
      await sleep(50);
    }
  }

  /** Waits until the node's Sentinel sees the primary, every replica and every other Sentinel. */
  private async waitSentinelReady(node: string): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    const others = this.nodes.length - 1;
    let last = 'no answer yet';
    for (;;) {
      const r = this.sentinels.get(node);
      if (!r || r.proc.isDone()) throw new Error(`redis target: the Sentinel on ${node} exited; the end of ${this.logs(node)[1]}:\n${logTail(this.logs(node)[1], LOG_TAIL_LINES)}`);
      try {
        const m = fieldMap(await callOnce(this.sentinelSocketPath(node), ['SENTINEL', 'MASTER', MASTER_NAME], { timeoutMs: PROBE_TIMEOUT_MS }));
        const replicas = Number(m.get('num-slaves'));
        const sentinels = Number(m.get('num-other-sentinels'));
        if (replicas === others && sentinels === others && m.get('flags') === 'master') return;
        last = `flags ${m.get('flags')}, ${replicas} replicas, ${sentinels} other Sentinels`;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`redis target: the Sentinel on ${node} did not see the whole cluster within ${this.startTimeoutMs} ms (last: ${last}); the end of ${this.logs(node)[1]}:\n${logTail(this.logs(node)[1], LOG_TAIL_LINES)}`);
      await sleep(100);
    }
  }

  /** Signals take effect asynchronously: waits until /proc shows the process stopped (or not). */
  /** SIGKILLs the process (paused or not) and waits for its guard to exit. */
  private async stop(from: Map<string, Running>, node: string): Promise<void> {
    const r = from.get(node);
    if (!r) return;
    await killGuarded(r.proc);
    if (from.get(node) === r) from.delete(node);
  }
}

export function createRedisTarget(o: RedisTargetOptions): RedisTarget {
  return new RedisTarget(o);
}
