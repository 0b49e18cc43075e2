// etcd as a Target: one member per node, each in the node's network namespace (control/network.ts)
// on the node's address, under a guard process that kills it when faultline dies
// (targets/guard/guard-main.ts). Every member also serves clients on a unix socket in a short
// temporary directory, which is how clients in the root namespace reach it (they must never send
// to the test range from there).
// Logs go to `<dir>/logs/<node>/etcd.log`, data to `<dir>/data/<node>/`.
//
// Without a network, the members run in this namespace and talk to each other over unix sockets
// too: kills and pauses work, partitions and link faults do not.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Control } from '../../control/types.js';
import { logTail } from '../common/log-tail.js';
import { NODE_NAME, nodeNames } from '../common/node-names.js';
import { nameSafeId } from '../../control/ids.js';
import { local } from '../../control/local.js';
import type { Network } from '../../control/network.js';
import { guardedCommand, killGuarded, setStopped, spawnGuarded, type GuardedProcess } from '../guard/guarded-process.js';
import type { Client, Target } from '../types.js';
import { shortSocketDir } from '../common/socket-dir.js';
import { EtcdClient } from './client.js';
import { type MemberListReply, type StatusReply } from './codec.js';
import { checkTimings, clientSocketName, etcdArgs, type MemberUrls } from './flags.js';
import { callOnce } from './gateway.js';
import { etcdLeaders, memberStatus, whyNotServing } from './leaders.js';
import { dialectFor, type Dialect } from './ops.js';

export interface EtcdTargetOptions {
  /** The namespaces the members run in. Absent: every member runs here, peers on unix sockets. */
  network?: Network;
  /** Without a network: how many members (named n1…nN) or their names. Default 3. */
  nodes?: number | readonly string[];
  /** The run's store dir: logs/<node>/etcd.log and data/<node>/. */
  dir: string;
  /** etcd's --election-timeout. Default 500 ms (short, so leader changes are quick). */
  electionTimeoutMs?: number;
  /** etcd's --heartbeat-interval. Default 50 ms. */
  heartbeatMs?: number;
  /** The workload served: `read`, `add` and a txn's `r` mean different things in different ones. */
  workload?: string;
  /** How long setup waits for the cluster to be healthy. Default 15 s. */
  startTimeoutMs?: number;
  /**
   * How long start waits for a restarted member to serve clients before it returns anyway (a
   * member partitioned away from a majority serves only once it can rejoin). Default 5 s.
   */
  restartWaitMs?: number;
  /** A client's per-op timeout when the runner passes no abort signal. Default 10 s. */
  clientTimeoutMs?: number;
  /** Read-modify-write attempts before an op fails with a conflict. Default 10. */
  maxAttempts?: number;
  /** The etcd binary. Default `etcd` (Debian's etcd-server). */
  etcd?: string;
}

interface Placement {
  node: string;
  control: Control;
  urls: MemberUrls;
}

interface Member {
  proc: GuardedProcess;
  paused: boolean;
}

const DEFAULT_ELECTION_TIMEOUT_MS = 500;
const DEFAULT_HEARTBEAT_MS = 50;
const DEFAULT_START_TIMEOUT_MS = 15_000;
const DEFAULT_RESTART_WAIT_MS = 5000;
const PROBE_TIMEOUT_MS = 1000;
const MEMBER_CHANGE_TIMEOUT_MS = 5000;
/** How long a membership change waits for etcd to call the cluster healthy (it wants 5 s of it). */
const MEMBER_CHANGE_WAIT_MS = 15_000;
const LOG_TAIL_LINES = 15;
const MAX_SOCKET_PATH_BYTES = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));




function placements(o: EtcdTargetOptions): Placement[] {
  const list: Placement[] = o.network
    ? o.network.hosts.map((h) => ({ node: h.node, control: h.control, urls: { name: h.node, peerUrl: `http://${h.ip}:2380`, clientUrls: [`http://${h.ip}:2379`] } }))
    : nodeNames(o.nodes, 'etcd', { max: 15 }).map((n) => ({ node: n, control: local, urls: { name: n, peerUrl: `unix://${n}.peer:2380`, clientUrls: [] } }));
  if (list.length === 0) throw new Error('etcd target: no nodes');
  for (const p of list) if (!NODE_NAME.test(p.node)) throw new Error(`etcd target: node name ${JSON.stringify(p.node)} must be 1-32 letters, digits, _ . or -`);
  if (new Set(list.map((p) => p.node)).size !== list.length) throw new Error('etcd target: node names must be distinct');
  return list;
}

/** A short directory for the members' unix sockets (their paths must stay under ~100 bytes). */
function socketDir(runId: string): string {
  return shortSocketDir(`fl-${runId}-etcd-`);
}

export class EtcdTarget implements Target {
  readonly nodes: readonly string[];
  private readonly places: Placement[];
  private readonly dir: string;
  private readonly runId: string;
  private readonly heartbeatMs: number;
  private readonly electionTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly dialect: Dialect;
  private readonly members = new Map<string, Member>();
  private sockets: string | undefined;
  private state: 'new' | 'up' | 'down' = 'new';

  constructor(private readonly o: EtcdTargetOptions) {
    if (typeof o.dir !== 'string' || o.dir === '') throw new Error("etcd target: dir (the run's store dir) is required");
    this.places = placements(o);
    this.nodes = this.places.map((p) => p.node);
    this.dir = resolve(o.dir);
    this.runId = o.network?.runId ?? nameSafeId(6);
    this.heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.electionTimeoutMs = o.electionTimeoutMs ?? DEFAULT_ELECTION_TIMEOUT_MS;
    checkTimings(this.heartbeatMs, this.electionTimeoutMs);
    this.startTimeoutMs = o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.dialect = dialectFor(o.workload);
  }

  logs(node: string): string[] {
    this.place(node);
    return [join(this.dir, 'logs', node, 'etcd.log')];
  }

  dataDir(node: string): string {
    this.place(node);
    return join(this.dir, 'data', node);
  }

  /** The member's client socket (after setup). */
  address(node: string): string {
    return this.socketPath(node);
  }

  socketPath(node: string): string {
    this.place(node);
    if (this.sockets === undefined) throw new Error(`etcd target: ${node} has no socket yet (call setup first)`);
    return join(this.sockets, clientSocketName(node));
  }

  /** etcd's pid on `node`, if it is running. */
  pid(node: string): number | undefined {
    const m = this.members.get(node);
    return m && !m.proc.isDone() ? m.proc.pid : undefined;
  }

  isPaused(node: string): boolean {
    return this.members.get(node)?.paused === true;
  }

  async setup(): Promise<void> {
    if (this.state === 'up') throw new Error('etcd target: setup called twice without teardown');
    this.state = 'up';
    try {
      this.sockets = socketDir(this.runId);
      for (const n of this.nodes) {
        const path = this.socketPath(n);
        if (Buffer.byteLength(path) >= MAX_SOCKET_PATH_BYTES) throw new Error(`etcd target: socket path ${path} is too long (limit ${MAX_SOCKET_PATH_BYTES} bytes); set TMPDIR to a shorter directory`);
        // A fresh cluster starts empty; start() after kill keeps the data.
        rmSync(this.dataDir(n), { recursive: true, force: true });
        mkdirSync(join(this.dir, 'data'), { recursive: true });
        mkdirSync(join(this.dir, 'logs', n), { recursive: true });
      }
      // Every spawn settles before a failure tears down: none may register after teardown.
      const spawned = await Promise.allSettled(this.nodes.map((n) => this.spawn(n, 'new')));
      const failed = spawned.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await Promise.all(this.nodes.map((n) => this.waitServing(n, true, this.startTimeoutMs)));
    } catch (e) {
      await this.teardown();
      throw e;
    }
  }

  async teardown(): Promise<void> {
    if (this.state === 'down') return;
    this.state = 'down';
    await Promise.all([...this.members.keys()].map((n) => this.stop(n)));
    if (this.sockets) rmSync(this.sockets, { recursive: true, force: true });
    this.sockets = undefined;
  }

  /**
   * Restarts a killed member with its data. Resolves once it serves clients — or, if it is still
   * running but not serving after restartWaitMs (etcd serves clients only once the cluster has
   * committed its rejoining, which needs a majority it can reach), then: it is started, and serves
   * when it can. Rejects only if it exits.
   */
  async start(node: string): Promise<void> {
    this.place(node);
    if (this.state !== 'up') throw new Error(`etcd target: cannot start ${node}: the cluster is not set up`);
    if (this.pid(node) !== undefined) return;
    await this.spawn(node, 'existing');
    await this.waitServing(node, false, this.o.restartWaitMs ?? DEFAULT_RESTART_WAIT_MS);
  }

  async kill(node: string): Promise<void> {
    this.place(node);
    await this.stop(node);
  }

  /**
   * Clears `node`'s data and has it rejoin as a new member: kills it, removes it from the cluster
   * and adds it back (through another running member's v3 JSON gateway), then starts it on an
   * empty data dir with --initial-cluster-state existing, so it catches up from the leader. Waits
   * for it to serve as start() does. Needs a running member besides `node` (a majority, for the
   * membership changes to commit).
   */
  async wipe(node: string): Promise<void> {
    const p = this.place(node);
    if (this.state !== 'up') throw new Error(`etcd target: cannot wipe ${node}: the cluster is not set up`);
    const others = this.nodes.filter((n) => n !== node && this.pid(n) !== undefined && !this.isPaused(n));
    if (others.length === 0) throw new Error(`etcd target: cannot wipe ${node}: no other member is running to remove and re-add it`);
    await this.stop(node);
    const peerUrl = p.urls.peerUrl;
    // Matched by peer URL: a member added but never started has no name yet.
    const list = await this.onAnyMember<MemberListReply>(others, '/v3/cluster/member/list', {});
    const old = list.members?.find((m) => m.peerURLs?.includes(peerUrl));
    if (old?.ID) await this.onAnyMember(others, '/v3/cluster/member/remove', { ID: old.ID });
    rmSync(this.dataDir(node), { recursive: true, force: true });
    await this.onAnyMember(others, '/v3/cluster/member/add', { peerURLs: [peerUrl] });
    await this.spawn(node, 'existing');
    await this.waitServing(node, false, this.o.restartWaitMs ?? DEFAULT_RESTART_WAIT_MS);
  }

  /** SIGSTOPs the member's etcd; resolves once the kernel shows it stopped (state T). */
  async pause(node: string): Promise<void> {
    const m = this.running(node, 'pause');
    m.paused = true;
    await setStopped(m.proc, true, `etcd target: ${node}`);
  }

  /** SIGCONTs the member's etcd; resolves once it is no longer stopped. */
  async resume(node: string): Promise<void> {
    const m = this.running(node, 'resume');
    m.paused = false;
    await setStopped(m.proc, false, `etcd target: ${node}`);
  }

  /**
   * The leader, as the members that answer see it (from /v3/maintenance/status, its id mapped to a
   * name by /v3/cluster/member/list). During a partition an old leader may still believe in itself
   * for an election timeout: every leader some member reports is listed, the most reported first.
   */
  async primaries(): Promise<string[]> {
    return etcdLeaders(this.nodes.filter((n) => this.pid(n) !== undefined && !this.isPaused(n)), (n) => this.socketPath(n));
  }


  /** The member's own view: its leader, raft index and term (etcd's maintenance status). */
  status(node: string): Promise<StatusReply> {
    return memberStatus(this.socketPath(node));
  }

  client(node: string): Client {
    return new EtcdClient(node, this.socketPath(node), this.dialect, { timeoutMs: this.o.clientTimeoutMs, maxAttempts: this.o.maxAttempts });
  }

  /** The command that runs `node`'s member (guarded, wrapped by the node's control). */
  memberCommand(node: string, state: 'new' | 'existing'): string[] {
    const p = this.place(node);
    const args = etcdArgs({
      self: p.urls,
      members: this.places.map((x) => x.urls),
      dataDir: this.dataDir(node),
      state,
      token: `faultline-${this.runId}`,
      heartbeatMs: this.heartbeatMs,
      electionTimeoutMs: this.electionTimeoutMs,
    });
    const sockets = [this.socketPath(node)];
    if (p.urls.peerUrl.startsWith('unix://')) sockets.push(join(this.sockets!, p.urls.peerUrl.slice('unix://'.length)));
    return p.control.wrap(guardedCommand([this.o.etcd ?? 'etcd', ...args], sockets));
  }

  /**
   * Calls the gateway on the first of `nodes` that answers; errors name every member tried. etcd
   * refuses membership changes until every voting member has been connected for 5 s ("unhealthy
   * cluster"), e.g. just after setup or a heal: those refusals are retried for a while.
   */
  private async onAnyMember<T>(nodes: readonly string[], path: string, body: unknown): Promise<T> {
    const deadline = Date.now() + MEMBER_CHANGE_WAIT_MS;
    for (;;) {
      const failures: string[] = [];
      for (const n of nodes) {
        try {
          return await callOnce<T>(this.socketPath(n), path, body, { timeoutMs: MEMBER_CHANGE_TIMEOUT_MS });
        } catch (e) {
          failures.push(`${n}: ${(e as Error).message}`);
        }
      }
      const notYet = failures.every((f) => /unhealthy cluster|not enough started members/.test(f));
      if (!notYet || Date.now() > deadline) throw new Error(`etcd target: ${path} failed on every member asked (${failures.join('; ')})`);
      await sleep(200);
    }
  }

  private place(node: string): Placement {
    const p = this.places.find((x) => x.node === node);
    if (!p) throw new Error(`etcd target: no node ${JSON.stringify(node)} (nodes: ${this.nodes.join(', ')})`);
    return p;
  }

  private running(node: string, what: string): Member {
    this.place(node);
    const m = this.members.get(node);
    if (!m || m.proc.isDone()) throw new Error(`etcd target: cannot ${what} ${node}: it is not running`);
    return m;
  }

  private async spawn(node: string, state: 'new' | 'existing'): Promise<void> {
    // etcd refuses to listen where a socket file is left from a member that was killed (its guard
    // removes them, but a guard killed with it cannot).
    rmSync(this.socketPath(node), { force: true });
    const peer = this.place(node).urls.peerUrl;
    if (peer.startsWith('unix://')) rmSync(join(this.sockets!, peer.slice('unix://'.length)), { force: true });
    const log = this.logs(node)[0];
    let proc: GuardedProcess;
    try {
      proc = await spawnGuarded({ argv: this.memberCommand(node, state), cwd: this.sockets!, log, timeoutMs: this.startTimeoutMs });
    } catch (e) {
      throw new Error(`etcd target: could not start ${node}: ${(e as Error).message}; the end of ${log}:\n${logTail(log, LOG_TAIL_LINES)}`);
    }
    const m: Member = { proc, paused: false };
    this.members.set(node, m);
    void proc.exited.then(() => {
      if (this.members.get(node) === m) this.members.delete(node);
    });
  }

  /** Waits until `node` serves clients; with `healthy`, until it also knows a leader and a linearizable read succeeds. */
  private async waitServing(node: string, healthy: boolean, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    const log = this.logs(node)[0];
    const socket = this.socketPath(node);
    const m = this.members.get(node);
    let last = 'no answer yet';
    for (;;) {
      if (!m || m.proc.isDone()) {
        const how = m?.proc.ending();
        throw new Error(`etcd target: ${node} exited${how ? ` (${how})` : ''} before it served clients; the end of ${log}:\n${logTail(log, LOG_TAIL_LINES)}`);
      }
      const why = await whyNotServing(socket, healthy, PROBE_TIMEOUT_MS);
      if (why === undefined) return;
      last = why;
      if (Date.now() > deadline) {
        if (!healthy) return;
        throw new Error(`etcd target: ${node} was not healthy within ${limitMs} ms (last: ${last}); the end of ${log}:\n${logTail(log, LOG_TAIL_LINES)}`);
      }
      await sleep(50);
    }
  }

  /**
   * Signals take effect asynchronously: every thread of etcd must stop (or go on) before the
   * kernel shows the process stopped. Waits for that, where /proc tells.
   */
  /** SIGKILLs the member's etcd (paused or not) and waits for its guard to exit. */
  private async stop(node: string): Promise<void> {
    const m = this.members.get(node);
    if (!m) return;
    await killGuarded(m.proc);
    if (this.members.get(node) === m) this.members.delete(node);
  }
}

export function createEtcdTarget(options: EtcdTargetOptions): EtcdTarget {
  return new EtcdTarget(options);
}

