// A described system (docs/systems.md) as a Target: every node's lifecycle is the description's
// commands, run on the node's Machine (its namespace here, or a host over ssh), so the same
// description runs locally and remotely and every fault acts on it. The client side (adapters or
// a built-in client, and how they reach the nodes) is clients.ts's; this file owns the nodes.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../histories/errors.js';
import { TargetFailed, type Client, type Target } from '../types.js';
import type { Argv, SystemDescription } from './description.js';
import { gist, type FileDamage, type Machine } from './machine.js';
import { fill, fillArgv } from './placeholders.js';
import { reasonOf } from './remote-machine.js';

/** One node: where it runs, its address, and its folders there. */
export interface SystemNode {
  node: string;
  ip: string;
  /** What ssh connects to (locally: the address). */
  host: string;
  machine: Machine;
  /** Folders where the node runs. */
  dataDir: string;
  logDir: string;
  /** Where its logs end up in the run folder (locally the same as logDir). */
  localLogDir: string;
  /** The address client connections reach it from. */
  clientIp: string;
}

/** What runs around the nodes: the client side, and (remotely) ssh connections and lifelines. */
export interface SystemSurroundings {
  /** Before anything runs on a node (connect, arm lifelines, forwards). Throws to fail setup. */
  open?(): Promise<void>;
  /** Once every node serves: the client side's own setup (e.g. create tables). */
  ready?(): Promise<void>;
  /** After every node has stopped and its logs are kept; `stopped` lists the nodes that did. */
  close?(stopped: ReadonlySet<string>): Promise<void>;
  /** A client of `node`; `down` says whether the node is known killed. */
  client(node: string, down: () => boolean): Client;
  /** Where a person reaches the node's client port. */
  address?(node: string): string;
  /** The leaders as the client sees them, when it knows (etcd, redis). */
  primaries?(running: readonly string[]): Promise<string[]>;
}

export interface SystemTargetOptions {
  description: SystemDescription;
  nodes: readonly SystemNode[];
  runId: string;
  /** Option values over the description's defaults. */
  options?: Readonly<Record<string, string>>;
  /** Port numbers over the description's (a cluster file may move them). */
  ports?: Readonly<Record<string, number>>;
  /** Remote: before the first start, stop and wipe what a dead run left; at teardown, wipe. */
  remote: boolean;
  /** Installs the packages where the nodes run (once per host); absent: already done. */
  install?: (machine: Machine) => Promise<void>;
  surroundings: SystemSurroundings;
  /** Lines for the person running the test. */
  log?: (line: string) => void;
}

const POLL_MS = 200;
const TAIL_LINES = 15;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SystemTarget implements Target {
  readonly nodes: readonly string[];
  /** The disk fault's way to each node's data files, wherever the node runs. */
  readonly disk = {
    list: (name: string) => this.node(name).machine.listFiles(this.node(name).dataDir),
    apply: (name: string, d: FileDamage) => this.node(name).machine.damage(d),
  };
  readonly description: SystemDescription;
  private readonly byName: Map<string, SystemNode>;
  private readonly killed = new Set<string>();
  private readonly paused = new Set<string>();
  /** Nodes whose processes may be running: what teardown must stop. */
  private readonly touched = new Set<string>();
  private readonly options: Record<string, string>;
  private readonly ports: Record<string, number>;
  private state: 'new' | 'up' | 'down' = 'new';
  /** How long each step of the last setup took, in ms. */
  readonly setupTimings: Record<string, number> = {};

  constructor(private readonly o: SystemTargetOptions) {
    this.description = o.description;
    this.nodes = o.nodes.map((n) => n.node);
    this.byName = new Map(o.nodes.map((n) => [n.node, n]));
    const d = o.description;
    for (const k of Object.keys(o.options ?? {})) {
      if (!Object.hasOwn(d.options, k)) throw new InputError(`${d.file}: the system has no option ${JSON.stringify(k)} (its options: ${Object.keys(d.options).join(', ') || 'none'})`);
    }
    for (const k of Object.keys(o.ports ?? {})) {
      if (!Object.hasOwn(d.ports, k)) throw new InputError(`${d.file}: the system has no port ${JSON.stringify(k)} (its ports: ${Object.keys(d.ports).join(', ') || 'none'})`);
    }
    this.options = { ...d.options, ...o.options };
    this.ports = { ...d.ports, ...o.ports };
  }

  /** A port's number (after overrides). */
  port(name: string): number {
    const p = this.ports[name];
    if (p === undefined) throw new Error(`${this.description.name}: no port ${JSON.stringify(name)}`);
    return p;
  }

  node(name: string): SystemNode {
    const n = this.byName.get(name);
    if (!n) throw new Error(`${this.description.name}: no node ${JSON.stringify(name)} (nodes: ${this.nodes.join(', ')})`);
    return n;
  }

  /** The placeholder values of `node`. */
  values(name: string, clusterState: 'new' | 'existing' = 'existing'): Record<string, string> {
    const n = this.node(name);
    const d = this.description;
    const index = this.nodes.indexOf(name) + 1;
    const ports = Object.fromEntries(Object.entries(this.ports).map(([k, v]) => [`port.${k}`, String(v)]));
    const item = (m: SystemNode) => ({ node: m.node, index: String(this.nodes.indexOf(m.node) + 1), ip: m.ip, host: m.host, runId: this.o.runId, ...ports, ...this.options });
    const lists = Object.fromEntries(
      Object.entries(d.values).map(([k, v]) => {
        const members = v.each === 'nodes' ? this.o.nodes : v.each === 'peers' ? this.o.nodes.filter((m) => m.node !== name) : this.o.nodes.slice(0, 1);
        return [k, members.map((m) => fill(v.format, item(m))).join(v.join)];
      }),
    );
    return {
      node: name,
      index: String(index),
      ip: n.ip,
      host: n.host,
      peers: this.o.nodes.filter((m) => m.node !== name).map((m) => m.ip).join(','),
      nodes: this.nodes.join(','),
      ips: this.o.nodes.map((m) => m.ip).join(','),
      count: String(this.nodes.length),
      majority: String(Math.floor(this.nodes.length / 2) + 1),
      dataDir: n.dataDir,
      logDir: n.logDir,
      runId: this.o.runId,
      clusterState,
      clientIp: n.clientIp,
      user: d.user ?? 'root',
      ...ports,
      ...this.options,
      ...lists,
    };
  }

  /** The node's data folder (where it runs): the disk fault damages what is in it. */
  dataDir(name: string): string {
    return this.node(name).dataDir;
  }

  /** Whether `node` was killed and has not been started since. */
  isKilled(name: string): boolean {
    this.node(name);
    return this.killed.has(name);
  }

  isPaused(name: string): boolean {
    this.node(name);
    return this.paused.has(name);
  }

  logs(name: string): string[] {
    const dir = this.node(name).localLogDir;
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .sort()
      .map((f) => join(dir, f));
  }

  address(name: string): string {
    this.node(name);
    return this.o.surroundings.address?.(name) ?? '';
  }

  client(name: string): Client {
    this.node(name);
    return this.o.surroundings.client(name, () => this.killed.has(name));
  }

  async setup(): Promise<void> {
    if (this.state === 'up') throw new Error(`${this.description.name}: setup called twice without teardown`);
    this.state = 'up';
    const d = this.description;
    const step = async (name: string, fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      this.setupTimings[name] = Math.round(performance.now() - t0);
    };
    try {
      await step('open', async () => this.o.surroundings.open?.());
      if (this.o.install) await step('install', () => this.onEvery((n) => this.o.install!(this.node(n).machine)));
      for (const n of this.nodes) this.touched.add(n);
      if (this.o.remote) await step('clean', () => this.onEvery((n) => this.wipe(n, true, true)));
      await step('prepare', () => this.onEvery((n) => this.prepare(n)));
      await step('start', () => this.startAll());
      if (d.sidecars.length > 0) await step('sidecars', () => this.onEvery((n) => this.startSidecars(n)));
      if (d.ready) await step('cluster', () => this.waitReady());
      for (let i = 0; i < d.init.length; i++) await step(`init ${i + 1}`, () => this.command(this.nodes[0], `init command ${i + 1}`, d.init[i]));
      await step('ready', async () => this.o.surroundings.ready?.());
    } catch (e) {
      const why = await this.teardown().then(
        () => '',
        (t: Error) => `; teardown then failed too: ${t.message}`,
      );
      throw new Error(`${d.name}: setup failed: ${(e as Error).message}${why}`);
    }
  }

  /**
   * Stops every node (sidecars first), keeps its logs, wipes remote data, then closes what runs
   * around the nodes. Tries every step on every node and reports all that failed.
   */
  async teardown(): Promise<void> {
    if (this.state !== 'up') return;
    this.state = 'down';
    const problems: string[] = [];
    const stopped = new Set<string>();
    await Promise.all(
      [...this.touched].map(async (name) => {
        const n = this.node(name);
        try {
          for (const s of [...this.description.sidecars].reverse()) await this.stopDaemon(name, s.name, undefined);
          await this.stopDaemon(name, 'node', this.description.stop);
          stopped.add(name);
        } catch (e) {
          problems.push(`stopping ${name}: ${(e as Error).message}`);
        }
        const extra = this.description.logs.map((p) => fill(p, this.values(name)));
        const missed = await n.machine.collect([n.logDir], extra, n.localLogDir).catch((e: Error) => [e.message]);
        problems.push(...missed);
        // Remote logs go once they are home; when some could not be copied, they stay for a person to fetch.
        if (this.o.remote && stopped.has(name)) await this.wipe(name, missed.length === 0).catch((e: Error) => problems.push(e.message));
      }),
    );
    this.touched.clear();
    this.killed.clear();
    this.paused.clear();
    await this.o.surroundings.close?.(stopped).catch((e: Error) => problems.push(e.message));
    if (problems.length > 0) throw new Error(`${this.description.name}: teardown: ${problems.join('; ')}`);
  }

  /** Starts a killed node again with its data; resolves once it serves or, after timeouts.restart, anyway. */
  async start(name: string): Promise<void> {
    this.up(name, 'start');
    await this.startNode(name, 'existing', this.description.start);
    this.paused.delete(name);
    this.killed.delete(name);
    await this.waitHealthy(name, this.description.timeouts.restart * 1000, false);
  }

  async kill(name: string): Promise<void> {
    this.up(name, 'kill');
    // Before: from now on its clients send nothing, and a half-done kill is not counted as serving.
    this.killed.add(name);
    const d = this.description;
    const m = this.node(name).machine;
    if (d.kill) {
      await this.command(name, 'kill', d.kill);
      if (!(await m.waitGone('node', d.timeouts.stop * 1000))) await m.signal('node', 'KILL');
    } else {
      await m.signal('node', 'KILL');
    }
    this.paused.delete(name);
  }

  async pause(name: string): Promise<void> {
    this.up(name, 'pause');
    this.paused.add(name);
    const d = this.description;
    if (d.pause) await this.command(name, 'pause', d.pause);
    else await this.node(name).machine.signal('node', 'STOP');
  }

  async resume(name: string): Promise<void> {
    this.up(name, 'resume');
    const d = this.description;
    if (d.resume) await this.command(name, 'resume', d.resume);
    else await this.node(name).machine.signal('node', 'CONT');
    this.paused.delete(name);
  }

  /**
   * The nodes that lead now: the description's `primaries` command on every running, unpaused node
   * (the names most reported first), else what the built-in client knows.
   */
  async primaries(): Promise<string[]> {
    const d = this.description;
    const running = this.nodes.filter((n) => !this.killed.has(n) && !this.paused.has(n));
    if (d.primaries === undefined) return (await this.o.surroundings.primaries?.(running)) ?? [];
    const votes = new Map<string, number>();
    await Promise.all(
      running.map(async (name) => {
        const r = await this.node(name)
          .machine.control.exec(fillArgv(d.primaries!, this.values(name)), { timeoutMs: d.timeouts.command * 1000, allowFailure: true })
          .catch(() => undefined);
        if (r?.exitCode !== 0) return;
        for (const w of new Set(r.stdout.split(/\s+/))) if (this.byName.has(w)) votes.set(w, (votes.get(w) ?? 0) + 1);
      }),
    );
    return [...votes].sort((a, b) => b[1] - a[1]).map(([n]) => n);
  }

  /** Whether the description gives a way to find the leaders (or its client knows them). */
  hasPrimaries(): boolean {
    return this.description.primaries !== undefined || this.o.surroundings.primaries !== undefined;
  }

  private up(name: string, what: string): void {
    this.node(name);
    if (this.state !== 'up') throw new Error(`${this.description.name}: cannot ${what} ${name}: the cluster is not set up`);
  }

  /**
   * Runs `fn` for every node at once; when some fail, rejects with the first failure (whose message
   * names its node) and the names of the others, on one line.
   */
  private async onEvery(fn: (node: string) => Promise<unknown>, nodes: readonly string[] = this.nodes): Promise<void> {
    const settled = await Promise.allSettled(nodes.map(fn));
    const failed = settled.flatMap((r, i) => (r.status === 'rejected' ? [{ node: nodes[i], error: r.reason as Error }] : []));
    if (failed.length === 0) return;
    const [first, ...others] = failed;
    if (others.length === 0) throw first.error;
    const e = new Error(`${first.error.message} (it failed on ${others.map((f) => f.node).join(', ')} too)`);
    throw first.error instanceof TargetFailed ? new TargetFailed(e.message) : e;
  }

  /** Runs one of the description's commands on the node; a failure names the node, the command, its exit code and the end of its stderr. */
  private async command(name: string, what: string, argv: Argv, clusterState: 'new' | 'existing' = 'existing', timeoutMs = this.description.timeouts.command * 1000): Promise<string> {
    const filled = fillArgv(argv, this.values(name, clusterState));
    const m = this.node(name).machine;
    const r = await m.control.exec(filled, { timeoutMs, allowFailure: true }).catch((e: unknown) => {
      throw new Error(`${name} (${m.control.where}): ${what} (${filled.join(' ').slice(0, 80)}): ${reasonOf(e)}`);
    });
    // The description's own command failed: not the system's behaviour under test but faultline unable to do what the run says.
    if (r.exitCode !== 0) throw new TargetFailed(`${name} (${m.control.where}): ${what} (${filled.join(' ').slice(0, 80)}) exited ${r.exitCode}: ${gist(r.stderr || r.stdout) || 'no output'}`);
    return r.stdout;
  }

  /** Folders, files and setup commands: everything before the node's first start. */
  private async prepare(name: string): Promise<void> {
    const n = this.node(name);
    const d = this.description;
    const v = this.values(name, 'new');
    await n.machine.prepare([n.dataDir, n.logDir], d.user);
    for (const [path, content] of Object.entries(d.files)) await n.machine.writeFile(fill(path, v), fill(content, v), d.user);
    for (let i = 0; i < d.setup.length; i++) await this.command(name, `setup command ${i + 1}`, d.setup[i], 'new');
  }

  private async startAll(): Promise<void> {
    const d = this.description;
    const ready = d.timeouts.ready * 1000;
    let rest = [...this.nodes];
    if (d.bootstrap) {
      const first = rest.shift()!;
      await this.startNode(first, 'new', d.bootstrap);
      await this.waitHealthy(first, ready, true);
    }
    if (d.startOrder === 'sequential') {
      for (const n of rest) {
        await this.startNode(n, 'new', d.start);
        await this.waitHealthy(n, ready, true);
      }
      return;
    }
    // Every start settles before a failure tears down: none may be left half-started.
    const started = await Promise.allSettled(rest.map((n) => this.startNode(n, 'new', d.start)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await this.onEvery((n) => this.waitHealthy(n, ready, true), rest);
  }

  private startNode(name: string, clusterState: 'new' | 'existing', argv: Argv): Promise<void> {
    const n = this.node(name);
    const d = this.description;
    const v = this.values(name, clusterState);
    return n.machine.startDaemon({
      name: 'node',
      argv: fillArgv(argv, v),
      user: d.user,
      env: Object.fromEntries(Object.entries(d.env).map(([k, x]) => [k, fill(x, v)])),
      cwd: n.dataDir,
      log: `${n.logDir}/console.log`,
    });
  }

  private async startSidecars(name: string): Promise<void> {
    const n = this.node(name);
    const d = this.description;
    const v = this.values(name, 'new');
    for (const s of d.sidecars) {
      await n.machine.startDaemon({
        name: s.name,
        argv: fillArgv(s.start, v),
        user: d.user,
        env: Object.fromEntries(Object.entries(d.env).map(([k, x]) => [k, fill(x, v)])),
        cwd: n.dataDir,
        log: `${n.logDir}/${s.name}.log`,
      });
    }
  }

  /**
   * Polls the health command until it exits 0. Past `limitMs`: with `required`, fails with the
   * command's last words and the end of the node's log; without, gives up quietly (a restarted
   * node cut off from a majority may serve only after the partition heals). A node whose process
   * exits meanwhile fails at once.
   */
  private async waitHealthy(name: string, limitMs: number, required: boolean): Promise<void> {
    const d = this.description;
    const n = this.node(name);
    const argv = fillArgv(d.health, this.values(name));
    const deadline = Date.now() + limitMs;
    let last = 'no answer yet';
    for (let round = 0; ; round++) {
      const r = await n.machine.control.exec(argv, { timeoutMs: Math.min(d.timeouts.command * 1000, Math.max(1000, deadline - Date.now())), allowFailure: true }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: reasonOf(e) }));
      // A health command may well answer for something else on the port: the node's own process must be up too.
      if (r.exitCode === 0 && (await n.machine.running('node'))) return;
      last = r.exitCode === 0 ? 'health exited 0, but the process is gone' : gist(r.stderr || r.stdout, 1) || `exit code ${r.exitCode}`;
      // Locally asking costs nothing; over ssh, every few rounds.
      if ((!this.o.remote || round % 5 === 4) && !(await n.machine.running('node'))) {
        throw new Error(`${name} exited before it served (health: ${last}); ${await this.consoleEnd(name)}`);
      }
      if (Date.now() > deadline) {
        if (!required) return;
        throw new Error(`${name} did not serve within ${Math.round(limitMs / 1000)} s (health: ${last}); ${await this.consoleEnd(name)}`);
      }
      await sleep(POLL_MS);
    }
  }

  /** Where the node's console log is and how it ends, on one line (the whole log is kept in the run's logs/<node>/). */
  private async consoleEnd(name: string): Promise<string> {
    const n = this.node(name);
    const path = `${n.logDir}/console.log`;
    const end = gist(await n.machine.tail(path, TAIL_LINES), 2);
    return `its console log ${path} ends: ${JSON.stringify(end.length > 300 ? `…${end.slice(-300)}` : end)}`;
  }

  /** Polls the description's `ready` on the first node until it exits 0, within timeouts.ready. */
  private async waitReady(): Promise<void> {
    const d = this.description;
    const first = this.nodes[0];
    const m = this.node(first).machine;
    const argv = fillArgv(d.ready!, this.values(first));
    const deadline = Date.now() + d.timeouts.ready * 1000;
    for (;;) {
      const r = await m.control.exec(argv, { timeoutMs: d.timeouts.command * 1000, allowFailure: true }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: reasonOf(e) }));
      if (r.exitCode === 0) return;
      if (Date.now() > deadline) throw new Error(`the cluster was not ready within ${d.timeouts.ready} s (ready on ${first}: ${gist(r.stderr || r.stdout) || `exit code ${r.exitCode}`})`);
      await sleep(POLL_MS);
    }
  }

  /** Stops a daemon: the stop command (node only) or SIGTERM, then SIGKILL to its tree after timeouts.stop. */
  private async stopDaemon(name: string, daemon: string, stop: Argv | undefined): Promise<void> {
    const m = this.node(name).machine;
    // One that is not running: KILL only clears what it left (a remote daemon's pid file, and what runs on in its session).
    if (!(await m.running(daemon))) return m.signal(daemon, 'KILL');
    const grace = this.description.timeouts.stop * 1000;
    if (stop !== undefined) await this.command(name, 'stop', stop).catch(() => undefined);
    else await m.signal(daemon, 'TERM');
    if (!(await m.waitGone(daemon, grace))) await m.signal(daemon, 'KILL');
  }

  /**
   * Remote: removes the node's data (the wipe command, or its folder) and, with `logs`, its log
   * folder. Before setup (`logs` true there too) it first stops what a dead run left.
   */
  private async wipe(name: string, logs: boolean, before = false): Promise<void> {
    const n = this.node(name);
    const d = this.description;
    if (before) for (const daemon of ['node', ...d.sidecars.map((s) => s.name)]) await n.machine.signal(daemon, 'KILL');
    if (d.wipe) await this.command(name, 'wipe', d.wipe);
    const paths = [...(d.wipe ? [] : [n.dataDir]), ...(logs ? [n.logDir] : [])];
    if (paths.length > 0) await n.machine.control.exec(['rm', '-rf', '--', ...paths], { timeoutMs: d.timeouts.command * 1000 });
  }
}
