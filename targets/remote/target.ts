// etcd on remote machines as a Target: every lifecycle step is a command from the cluster file
// (or the target's default, defaults.ts) run over ssh on the node; clients reach each member's
// client port through a unix socket the node's ssh master forwards (forward.ts). A lifeline
// session per node (lifeline.ts) heals the node's partition rules and stops its member if
// faultline dies without tearing down.
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { runTag } from '../../control/network.js';
import type { SshControl } from '../../control/ssh.js';
import { fanOut } from '../../control/types.js';
import { EtcdClient } from '../etcd/client.js';
import type { StatusReply } from '../etcd/codec.js';
import { etcdLeaders, memberStatus, whyNotServing } from '../etcd/leaders.js';
import { dialectFor, type Dialect } from '../etcd/ops.js';
import type { Op } from '../../histories/op.js';
import type { Client, InvokeOptions, Target } from '../types.js';
import type { ClusterSpec } from './cluster-file.js';
import { copyLog } from './copy-log.js';
import type { CommandName } from './defaults.js';
import { TARGET_DEFAULTS } from './defaults.js';
import { forwardToSocket, type SocketForward } from './forward.js';
import { armLifeline, type Lifeline } from './lifeline.js';
import { fill, fillArgv, type PlaceholderValues } from './placeholders.js';
import { removeRemnantsArgv } from './remnants.js';

/** One remote node: where its commands go. */
export interface RemoteHost {
  node: string;
  /** The node's address on its network (what partitions drop). */
  ip: string;
  /** What ssh connects to. */
  host: string;
  control: SshControl;
}

export interface RemoteTargetOptions {
  spec: ClusterSpec;
  hosts: readonly RemoteHost[];
  /** The run's store folder: logs are copied into <dir>/logs/<node>/. */
  dir: string;
  /** Where the forwarded client sockets go (short: unix socket paths are limited to ~100 bytes). */
  socketDir: string;
  runId: string;
  /** The workload served: `read`, `add` and a txn's `r` mean different things in different ones. */
  workload?: string;
  /** How long start waits for a restarted member to serve before it returns anyway. Default 5 s. */
  restartWaitMs?: number;
  /** A client's per-op timeout when the runner passes no abort signal. Default 10 s. */
  clientTimeoutMs?: number;
  maxAttempts?: number;
}

const PROBE_TIMEOUT_MS = 2000;
const DEFAULT_RESTART_WAIT_MS = 5000;
const LOG_TAIL_LINES = 15;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The reason of a control's error without the command (which, for a script, is the whole script). */
export function reasonOf(e: unknown): string {
  const reason = (e as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : e instanceof Error ? e.message : String(e);
}

export class RemoteEtcdTarget implements Target {
  readonly nodes: readonly string[];
  private readonly spec: ClusterSpec;
  private readonly hosts: Map<string, RemoteHost>;
  private readonly dir: string;
  private readonly dialect: Dialect;
  private readonly localLogs = new Map<string, string[]>();
  private readonly lifelines = new Map<string, Lifeline>();
  private readonly forwards = new Map<string, SocketForward>();
  /**
   * Nodes killed and not yet serving again. Their clients fail ops without sending them: through an
   * ssh forward a request to a dead node is accepted and then cut off, which would look like an
   * unknown outcome (info), while an op never sent certainly did not happen (fail).
   */
  private readonly killed = new Set<string>();
  private readonly paused = new Set<string>();
  /** Nodes ssh reached during setup: the only ones that can hold anything of this run. */
  private readonly reached = new Set<string>();
  private state: 'new' | 'up' | 'down' = 'new';
  /** How long each step of the last setup took, in ms (for measurements). */
  readonly setupTimings: Record<string, number> = {};

  constructor(private readonly o: RemoteTargetOptions) {
    this.spec = o.spec;
    this.hosts = new Map(o.hosts.map((h) => [h.node, h]));
    this.nodes = o.hosts.map((h) => h.node);
    this.dir = resolve(o.dir);
    this.dialect = dialectFor(o.workload);
    for (const n of this.nodes) this.localLogs.set(n, localNames(this.remoteLogs(n)).map((f) => join(this.dir, 'logs', n, f)));
  }

  /** The placeholder values of `node`. */
  values(node: string, clusterState: 'new' | 'existing' = 'existing'): PlaceholderValues {
    const h = this.host(node);
    const { spec } = this;
    const base = { node, host: h.host, ip: h.ip, runId: this.o.runId };
    const workDir = fill(spec.workDir, base).replace(/\/+$/, '');
    const stem = TARGET_DEFAULTS[spec.target].fileStem;
    return {
      ...base,
      clientPort: String(spec.ports.client),
      peerPort: String(spec.ports.peer),
      workDir,
      dataDir: `${workDir}/data`,
      logFile: `${workDir}/${stem}.log`,
      pidFile: `${workDir}/${stem}.pid`,
      peers: this.o.hosts.filter((x) => x.node !== node).map((x) => x.ip).join(','),
      initialCluster: this.o.hosts.map((x) => `${x.node}=http://${x.ip}:${spec.ports.peer}`).join(','),
      clusterState,
      heartbeatMs: String(spec.etcd.heartbeatMs),
      electionTimeoutMs: String(spec.etcd.electionTimeoutMs),
    };
  }

  /** The argv `name` runs on `node`, placeholders filled. */
  command(node: string, name: CommandName, clusterState: 'new' | 'existing' = 'existing'): string[] {
    return fillArgv(this.spec.commands[name], this.values(node, clusterState));
  }

  /** What `node`'s lifeline runs if faultline is gone: heal its partition rules, then the stop command. */
  lossCommand(node: string): string[] {
    return removeRemnantsArgv(runTag(this.o.runId), this.command(node, 'stop'));
  }

  /** The nodes any setup reached (they may hold something of this run, e.g. a partition chain). */
  readonly touched = new Set<string>();

  /** The remote log files of `node` (copied home at teardown). */
  remoteLogs(node: string): string[] {
    const v = this.values(node);
    return this.spec.logs.map((p) => fill(p, v));
  }

  /** Local copies of the node's logs (present after teardown). */
  logs(node: string): string[] {
    this.host(node);
    return [...this.localLogs.get(node)!];
  }

  /** The unix socket that reaches `node`'s client port. */
  socketPath(node: string): string {
    this.host(node);
    return join(this.o.socketDir, `${node}.sock`);
  }

  async setup(): Promise<void> {
    if (this.state === 'up') throw new Error('remote target: setup called twice without teardown');
    this.state = 'up';
    const step = async (name: string, fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      this.setupTimings[name] = Math.round(performance.now() - t0);
    };
    const { timeouts } = this.spec;
    try {
      for (const n of this.nodes) mkdirSync(join(this.dir, 'logs', n), { recursive: true });
      await step('connect', () =>
        this.onEvery(async (n) => {
          await this.host(n).control.exec(['true'], { timeoutMs: (this.spec.ssh.connectTimeout + 5) * 1000 });
          this.reached.add(n);
          this.touched.add(n);
        }),
      );
      await step('install', () => this.onEvery((n) => this.run(n, 'install', 'new', timeouts.install * 1000)));
      // What a run that died may have left: its member and its data.
      await step('clean', () => this.onEvery(async (n) => (await this.run(n, 'stop'), await this.run(n, 'clean'))));
      await step('lifelines', () => this.onEvery(async (n) => this.lifelines.set(n, await armLifeline(this.host(n).control, this.lossCommand(n)))));
      await step('forwards', () => this.onEvery(async (n) => this.forwards.set(n, await forwardToSocket(this.host(n).control, this.socketPath(n), { ip: this.host(n).ip, port: this.spec.ports.client }))));
      await step('start', () => this.onEvery((n) => this.run(n, 'start', 'new')));
      await step('ready', () => Promise.all(this.nodes.map((n) => this.waitServing(n, true, timeouts.ready * 1000))));
    } catch (e) {
      const why = await this.teardown().then(
        () => '',
        (t: Error) => `; teardown then failed too: ${t.message}`,
      );
      throw new Error(`remote target: setup failed: ${(e as Error).message}${why}`);
    }
  }

  /**
   * Stops every member, copies the logs home, removes what the members left, then ends the
   * lifelines and forwards. Tries every step on every node and reports all that failed. A node
   * whose stop failed keeps its lifeline armed until the end: cutting it asks the node once more.
   */
  async teardown(): Promise<void> {
    if (this.state !== 'up') return;
    this.state = 'down';
    const problems: string[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
        return true;
      } catch (e) {
        problems.push((e as Error).message);
        return false;
      }
    };
    await Promise.all(
      this.nodes.filter((n) => this.reached.has(n)).map(async (n) => {
        const stopped = await attempt(() => this.run(n, 'stop'));
        const remote = this.remoteLogs(n);
        const local = this.localLogs.get(n)!;
        for (let i = 0; i < remote.length; i++) {
          const why = await copyLog(this.host(n).control, remote[i], local[i], this.spec.timeouts.command * 1000).catch((e: Error) => e.message);
          if (why !== undefined) problems.push(why);
        }
        if (stopped) await attempt(() => this.run(n, 'clean'));
        const lifeline = this.lifelines.get(n);
        this.lifelines.delete(n);
        await (stopped ? lifeline?.disarm() : lifeline?.cut());
      }),
    );
    await Promise.all([...this.forwards.values()].map((f) => f.close()));
    this.forwards.clear();
    this.killed.clear();
    this.paused.clear();
    this.reached.clear();
    if (problems.length > 0) throw new Error(`remote target: teardown: ${problems.join('; ')}`);
  }

  /**
   * Starts a killed member again with its data; resolves once it serves clients or, after
   * restartWaitMs, anyway (a member cut off from the majority serves only once it can rejoin).
   */
  async start(node: string): Promise<void> {
    this.upOrThrow(node, 'start');
    await this.run(node, 'start', 'existing');
    this.paused.delete(node);
    await this.waitServing(node, false, this.o.restartWaitMs ?? DEFAULT_RESTART_WAIT_MS);
    this.killed.delete(node);
  }

  async kill(node: string): Promise<void> {
    this.upOrThrow(node, 'kill');
    this.killed.add(node); // before: from now on its clients send nothing, and a half-done kill is not counted as serving
    await this.run(node, 'kill');
    this.paused.delete(node);
  }

  async pause(node: string): Promise<void> {
    this.upOrThrow(node, 'pause');
    this.paused.add(node);
    await this.run(node, 'pause');
  }

  async resume(node: string): Promise<void> {
    this.upOrThrow(node, 'resume');
    await this.run(node, 'resume');
    this.paused.delete(node);
  }

  /**
   * The leader as the running, unpaused members see it (maintenance status through each one's
   * socket, ids named by the member list); every leader some member reports, the most reported first.
   */
  async primaries(): Promise<string[]> {
    return etcdLeaders(this.nodes.filter((n) => !this.killed.has(n) && !this.paused.has(n)), (n) => this.socketPath(n), PROBE_TIMEOUT_MS);
  }


  /** The member's own view: its leader, raft index and term. */
  status(node: string): Promise<StatusReply> {
    return memberStatus(this.socketPath(node), PROBE_TIMEOUT_MS);
  }

  /** A client of `node`'s member through its forwarded socket; while the node is killed, its ops fail unsent. */
  client(node: string): Client {
    const inner = new EtcdClient(node, this.socketPath(node), this.dialect, { timeoutMs: this.o.clientTimeoutMs, maxAttempts: this.o.maxAttempts });
    return new UnlessKilled(inner, () => this.killed.has(node));
  }

  /** Whether `node` was killed and has not served since (its clients send nothing meanwhile). */
  isKilled(node: string): boolean {
    this.host(node);
    return this.killed.has(node);
  }

  private host(node: string): RemoteHost {
    const h = this.hosts.get(node);
    if (!h) throw new Error(`remote target: no node ${JSON.stringify(node)} (nodes: ${this.nodes.join(', ')})`);
    return h;
  }

  private upOrThrow(node: string, what: string): void {
    this.host(node);
    if (this.state !== 'up') throw new Error(`remote target: cannot ${what} ${node}: the cluster is not set up`);
  }

  private onEvery(fn: (node: string) => Promise<unknown>): Promise<unknown> {
    return fanOut(this.nodes, fn);
  }

  /** Runs the node's `name` command; errors name the node, the command and the reason (not the script). */
  private async run(node: string, name: CommandName, clusterState: 'new' | 'existing' = 'existing', timeoutMs = this.spec.timeouts.command * 1000): Promise<void> {
    const h = this.host(node);
    try {
      await h.control.exec(this.command(node, name, clusterState), { timeoutMs });
    } catch (e) {
      throw new Error(`${name} on ${node} (${h.control.where}): ${reasonOf(e)}`);
    }
  }

  /** Waits until `node` serves clients; with `healthy`, until it knows a leader and a linearizable read succeeds. */
  private async waitServing(node: string, healthy: boolean, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    const socket = this.socketPath(node);
    let last = 'no answer yet';
    for (;;) {
      const why = await whyNotServing(socket, healthy, PROBE_TIMEOUT_MS);
      if (why === undefined) return;
      last = why;
      if (Date.now() > deadline) {
        if (!healthy) return;
        throw new Error(`${node} was not healthy within ${limitMs} ms (last: ${last}); the end of its log:\n${await this.logTail(node)}`);
      }
      await sleep(100);
    }
  }

  private async logTail(node: string): Promise<string> {
    const log = this.remoteLogs(node)[0];
    if (log === undefined) return '(no log)';
    const r = await this.host(node)
      .control.exec(['tail', '-n', String(LOG_TAIL_LINES), '--', log], { allowFailure: true })
      .catch((e: Error) => ({ stdout: `(cannot read ${log}: ${reasonOf(e)})` }));
    return r.stdout.trimEnd() || `(${log} is empty)`;
  }
}

/** A client that fails ops without sending them while `killed()` says its node is down. */
class UnlessKilled implements Client {
  readonly node: string;
  constructor(
    private readonly inner: Client,
    private readonly killed: () => boolean,
  ) {
    this.node = inner.node;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  async invoke(op: Op, options?: InvokeOptions): Promise<Op> {
    if (!this.killed()) return this.inner.invoke(op, options);
    return { ...op, type: 'fail', error: `${this.node}: down (killed by the nemesis); not sent` };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Local file names for the remote paths: their base names, numbered where two would clash. */
function localNames(remote: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return remote.map((p) => {
    const name = basename(p) || 'log';
    const k = seen.get(name) ?? 0;
    seen.set(name, k + 1);
    return k === 0 ? name : `${k + 1}-${name}`;
  });
}
