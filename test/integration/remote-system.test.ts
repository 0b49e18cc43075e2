// Described systems on remote hosts (docs/systems.md, docs/remote.md): `faultline test --cluster
// FILE` against real sshd hosts in node namespaces (test/helpers/sshd-hosts.ts; the ssh client in
// the network's client namespace), each run on a network of its own. What is shown, with evidence
// taken from the hosts themselves (their iptables, their process table, the pid files in their
// workDirs), not only from the history:
//   - a description of the user's (etcd, described in a file next to the cluster file) under
//     partitions, kills and pauses: while a partition is in force a host holds the run's tagged
//     DROP rules, a paused node's process is in state T, a killed node's pid is gone and a new one
//     appears when it starts again; the run is valid;
//   - the NATS example (examples/systems/nats.json), whose client is its own adapter: the adapters
//     reach the nodes through loopback ports the ssh masters forward, under kills;
//   - faultline's redis (with its Sentinels) and postgres run through --cluster as etcd does,
//     valid without faults and under kills;
//   - nothing is left on the hosts (no process but sshd, no rule, no workDir) after a normal end,
//     after a run that fails (a node's start exits at once; a pause command fails mid-run while a
//     partition is in force: one line naming the node, the command and its output, exit 3, the
//     history kept), after an unreachable host (one line, exit 3), and after faultline is
//     SIGKILLed mid-run and `faultline heal --cluster` runs — once with the lifelines healing the
//     hosts themselves, once with them gone (killed on the hosts) so heal does it all;
//   - the disk fault damages a node's data file on its host over ssh, exactly as it reports, and
//     the node comes back.
// Independent runs go concurrently (at most LABS_AT_ONCE networks): most of a run is waiting on the clock.
import { execa, type ResultPromise } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as exec } from '../../control/local.js';
import { createNetwork, networkAvailable, runTag, type Network } from '../../control/network.js';
import { processState, running } from '../../control/proc.js';
import type { Op } from '../../histories/op.js';
import { diskFault, type Damage } from '../../nemesis/disk.js';
import { createRemoteCluster, readClusterFile } from '../../targets/remote/index.js';
import { lifelineArgv } from '../../targets/remote/lifeline.js';
import { startSshdHosts, type SshdHosts } from '../helpers/sshd-hosts.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Hosts for one run: a fresh namespace network, sshd on each node (or some), files under a temp folder. */
interface Lab {
  root: string;
  network: Network;
  sshd: SshdHosts;
  /** A node's workDir on its host (the namespaces share this machine's files). */
  workDir(node: string): string;
  /** Writes a cluster file (its hosts, ssh through the client namespace, workDir in the lab) with `o` over it. */
  clusterFile(o: Record<string, unknown>, name?: string): string;
  close(): Promise<void>;
}

/**
 * At most this many labs at once: on two cores a host's first ssh connection (a partition's
 * availability check makes it, within 5 s) is slow to come when more runs compete.
 */
const LABS_AT_ONCE = 3;
let labsOpen = 0;
const waitingForLab: (() => void)[] = [];
async function labSlot(): Promise<() => void> {
  if (labsOpen >= LABS_AT_ONCE) await new Promise<void>((r) => waitingForLab.push(r));
  else labsOpen++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = waitingForLab.shift();
    if (next) next();
    else labsOpen--;
  };
}

async function lab(nodes: readonly string[], o: { withoutSshd?: readonly string[] } = {}): Promise<Lab> {
  const release = await labSlot();
  try {
    return await openLab(nodes, o, release);
  } catch (e) {
    release();
    throw e;
  }
}

async function openLab(nodes: readonly string[], o: { withoutSshd?: readonly string[] }, release: () => void): Promise<Lab> {
  const why = await networkAvailable();
  if (why !== true) throw new Error(`this test needs network namespaces: ${why}`);
  if (!existsSync('dist/cli/main.js')) throw new Error('the CLI is not built: npx tsc -p tsconfig.build.json');
  const runId = `rs${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
  const root = mkdtempSync('/tmp/fl-rs-');
  // PostgreSQL runs as the postgres account, which must be able to reach its workDir below this folder.
  chmodSync(root, 0o711);
  let network: Network | undefined;
  let sshd: SshdHosts | undefined;
  const close = async () => {
    try {
      await sshd?.stop();
      await network?.teardown();
      rmSync(root, { recursive: true, force: true });
    } finally {
      release();
    }
  };
  try {
    network = await createNetwork(nodes, { runId });
    mkdirSync(join(root, 'ssh'));
    const withSshd = network.hosts.filter((h) => !o.withoutSshd?.includes(h.node));
    sshd = await startSshdHosts({ runId, hosts: withSshd, client: network.client, host: (n: string) => network!.host(n), teardown: () => network!.teardown() }, join(root, 'ssh'));
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  const net = network;
  const hosts = sshd;
  return {
    root,
    network: net,
    sshd: hosts,
    workDir: (node) => join(root, 'work', node),
    clusterFile(extra, name = 'cluster.json') {
      const file = join(root, name);
      const cluster = {
        $schema: resolve('schemas/cluster.schema.json'),
        nodes: net.hosts.map((h) => ({ name: h.node, host: h.ip, key: hosts.key })),
        workDir: `${root}/work/{node}`,
        ssh: { via: hosts.via, knownHosts: hosts.knownHosts, strictHostKeyChecking: true, config: '/dev/null', connectTimeout: 5 },
        ...extra,
      };
      writeFileSync(file, JSON.stringify(cluster, null, 2) + '\n');
      return file;
    },
    close,
  };
}

/** A system description in the lab's folder: `o` over a toy whose nodes sleep (clients: etcd's, on a port nothing serves). */
function toyDescription(l: Lab, name: string, o: Record<string, unknown>): string {
  mkdirSync(join(l.root, 'systems'), { recursive: true });
  const file = join(l.root, 'systems', `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({ name, ports: { client: 7000 }, start: ['sleep', '600'], health: ['true'], client: { builtin: 'etcd' }, timeouts: { ready: 10, stop: 2 }, ...o }, null, 2),
  );
  return file;
}

function faultline(args: readonly string[], cwd: string, timeout = 240_000): ResultPromise<{ cwd: string; reject: false; all: true; timeout: number }> {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, all: true, timeout });
}

/** `faultline test --cluster FILE …` in the lab; resolves with the CLI's result and the run's folder. */
async function test(l: Lab, cluster: string, args: readonly string[]) {
  const store = join(l.root, 'store');
  const r = await faultline(['test', '--cluster', cluster, '--store', store, '--no-progress', ...args], l.root);
  const latest = join(store, 'latest');
  const dir = existsSync(latest) ? resolve(store, readlinkSync(latest)) : undefined;
  return { ...r, dir };
}

function history(dir: string): Op[] {
  return readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);
}

/** The remote run's id (it tags the rules on the hosts), from the run's test.json. */
const remoteRunIdOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8')).faultline.remoteRunId as string;

/** The store's only run folder while it runs (store/latest comes at the end). */
function runningDir(l: Lab): string | undefined {
  const base = join(l.root, 'store');
  if (!existsSync(base)) return undefined;
  for (const name of readdirSync(base)) {
    const sub = join(base, name);
    if (name === 'latest' || !statSync(sub).isDirectory()) continue;
    const runs = readdirSync(sub).filter((r) => existsSync(join(sub, r, 'test.json')));
    if (runs.length > 0) return join(sub, runs[0]);
  }
  return undefined;
}

const nsInode = (ns: string) => `net:[${statSync(`/run/netns/${ns}`).ino}]`;

/** Live processes in the namespaces: pid, comm and argv. */
function processesIn(namespaces: readonly string[]): { pid: number; comm: string; argv: string[] }[] {
  const inodes = new Set(namespaces.map(nsInode));
  const found: { pid: number; comm: string; argv: string[] }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${e}/ns/net`)) && running(Number(e))) {
        found.push({ pid: Number(e), comm: readFileSync(`/proc/${e}/comm`, 'utf8').trim(), argv: readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').slice(0, -1) });
      }
    } catch {
      // exited meanwhile
    }
  }
  return found;
}


const rulesOn = async (l: Lab, node: string) => (await exec(['ip', 'netns', 'exec', l.network.host(node).ns, 'iptables', '-w', '-S'])).stdout;

/** The pid a node's pid file names ("PID RUNID"), when there is one. */
function pidOf(l: Lab, node: string, daemon = 'node'): number | undefined {
  try {
    return Number(readFileSync(join(l.workDir(node), `${daemon}.pid`), 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** The lifeline sessions waiting on a host: sh running the lifeline script, in the node's namespace. */
const lifelinesOn = (l: Lab, node: string) => processesIn([l.network.host(node).ns]).filter((p) => p.comm === 'sh' && p.argv[2] === lifelineArgv([])[2]);

/**
 * Nothing of a run is on the hosts: in the node namespaces only the sshd listeners run (every
 * session ended), nothing in the client namespace (the ssh masters are gone), no rule of
 * faultline's, no workDir, no process naming the lab's folder; here, no socket folder of the run.
 */
async function expectNothingLeft(l: Lab, remoteRunId?: string): Promise<void> {
  const listeners = [...l.sshd.pids.values()];
  const nodeNs = l.network.hosts.map((h) => h.ns);
  await until(
    'only the sshd listeners in the node namespaces, nothing in the client namespace',
    () => processesIn(nodeNs).every((p) => listeners.includes(p.pid)) && processesIn([l.network.client.ns]).length === 0,
    15_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify([...processesIn(nodeNs).filter((p) => !listeners.includes(p.pid)), ...processesIn([l.network.client.ns])].map((p) => p.argv.join(' ').slice(0, 100)))}`);
  });
  for (const h of l.network.hosts) {
    const rules = await rulesOn(l, h.node);
    expect(rules, h.node).not.toContain('faultline:');
    expect(rules, h.node).not.toContain('FAULTLINE');
    expect(existsSync(l.workDir(h.node)), `${h.node}'s workDir`).toBe(false);
  }
  expect(processesMentioning(l.root).filter((p) => !listeners.includes(p.pid))).toEqual([]);
  if (remoteRunId !== undefined) expect(readdirSync('/tmp').filter((f) => f.startsWith(`fl-${remoteRunId}-`))).toEqual([]);
}

/** What the hosts showed while a run went on, polled every 100 ms (iptables every 300 ms). */
interface Observed {
  /** Per node, the pids its pid file named in turn (0: no pid file then). */
  pids: Map<string, number[]>;
  /** `node pid` of each node process seen in state T. */
  paused: Set<string>;
  /** `node: rule` of each DROP rule of faultline's seen on a host. */
  drops: Set<string>;
  /** Node processes seen outside their node's namespace (must stay empty). */
  misplaced: string[];
}

function watchHosts(l: Lab): { stop(): Promise<Observed> } {
  const seen: Observed = { pids: new Map(l.network.hosts.map((h) => [h.node, []])), paused: new Set(), drops: new Set(), misplaced: [] };
  let on = true;
  const loop = (async () => {
    for (let round = 0; on; round++) {
      for (const h of l.network.hosts) {
        const pid = pidOf(l, h.node) ?? 0;
        const list = seen.pids.get(h.node)!;
        if (list.at(-1) !== pid) list.push(pid);
        if (pid === 0) continue;
        if (processState(pid) === 'T') seen.paused.add(`${h.node} ${pid}`);
        try {
          if (readlinkSync(`/proc/${pid}/ns/net`) !== nsInode(h.ns)) seen.misplaced.push(`${h.node} ${pid}`);
        } catch {
          // gone meanwhile
        }
      }
      if (round % 3 === 0) {
        await Promise.all(
          l.network.hosts.map(async (h) => {
            const r = await exec(['ip', 'netns', 'exec', h.ns, 'iptables', '-w', '-S'], { allowFailure: true });
            for (const line of r.stdout.split('\n')) if (line.includes('faultline:') && line.endsWith('-j DROP')) seen.drops.add(`${h.node}: ${line}`);
          }),
        );
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      return seen;
    },
  };
}

/** The nodes named by the nemesis's ops `f` that did not fail (kill and pause complete with the nodes they acted on). */
const nodesOf = (h: Op[], f: string) => new Set(h.filter((op) => op.process === 'nemesis' && op.f === f && op.error === undefined).flatMap((op) => (Array.isArray(op.value) ? (op.value as string[]) : [])));
/** Whether the nemesis did `f` without an error. */
const did = (h: Op[], f: string) => h.some((op) => op.process === 'nemesis' && op.f === f && op.value !== null && op.error === undefined);

/** The end-of-run line the CLI prints for a run that failed. */
const endedEarly = (stdout: string) => stdout.split('\n').filter((line) => line.includes('the run ended early'));

describe.concurrent('described systems on remote hosts over ssh (faultline test --cluster)', () => {
  it("a description of the user's under partitions, kills and pauses: the hosts show every fault while it is in force; valid; nothing left", async ({ expect }) => {
    const l = await lab(['n1', 'n2', 'n3']);
    try {
      // etcd described in a file of the user's, named by a path relative to the cluster file, with an option set there.
      const etcd = JSON.parse(readFileSync('systems/etcd.json', 'utf8'));
      mkdirSync(join(l.root, 'systems'));
      writeFileSync(join(l.root, 'systems', 'my-etcd.json'), JSON.stringify({ ...etcd, $schema: resolve('schemas/system.schema.json'), name: 'my-etcd' }, null, 2));
      const cluster = l.clusterFile({ system: 'systems/my-etcd.json', options: { heartbeatMs: 100, electionTimeoutMs: 1000 } });
      const watch = watchHosts(l);
      const r = await test(l, cluster, ['--nemesis', 'partition,kill,pause', '--nemesis-interval', '2', '--time-limit', '12', '--seed', '3']);
      const seen = await watch.stop();
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/^register-my-etcd: valid · \d+ ops \(\d+ history records\) · seed 3 · report /m);
      const h = history(r.dir!);
      const rid = remoteRunIdOf(r.dir!);
      expect(h.filter((op) => op.type === 'ok' && op.process !== 'nemesis').length).toBeGreaterThan(20);
      // The option reached the nodes' command lines (the console log shows etcd's own settings).
      expect(readFileSync(join(r.dir!, 'logs', 'n1', 'console.log'), 'utf8')).toMatch(/"election-timeout":"1s"/);

      // Partitions: the hosts held DROP rules tagged with this run, from the other nodes' addresses.
      expect(did(h, 'start-partition')).toBe(true);
      expect(seen.drops.size, 'no tagged DROP rule seen on any host').toBeGreaterThan(0);
      for (const d of seen.drops) {
        expect(d).toMatch(new RegExp(`^n\\d: -A FAULTLINE-PARTITION -s 198\\.1[89]\\.\\d+\\.\\d+/32 -m comment --comment "?${runTag(rid)}"? -j DROP$`));
      }
      // Pauses: the node's process, by its pid file, was in state T on its host; only nodes the nemesis paused.
      const paused = nodesOf(h, 'start-pause');
      expect(paused.size).toBeGreaterThan(0);
      expect(seen.paused.size, 'no paused node process seen').toBeGreaterThan(0);
      for (const p of seen.paused) expect(paused).toContain(p.split(' ')[0]);
      // Kills: a killed node's pid file went away with its process, and a new pid came with the restart.
      const killed = nodesOf(h, 'start-kill');
      expect(killed.size).toBeGreaterThan(0);
      const restarts: string[] = [];
      for (const [node, pids] of seen.pids) {
        const live = pids.filter((p) => p !== 0);
        for (let i = 1; i < pids.length - 1; i++) {
          if (pids[i] === 0 && pids[i - 1] !== 0 && pids[i + 1] !== 0 && pids[i + 1] !== pids[i - 1]) restarts.push(`${node}: ${pids[i - 1]} → ${pids[i + 1]}`);
        }
        if (restarts.some((x) => x.startsWith(`${node}:`))) expect(killed).toContain(node);
        for (const p of live) expect(running(p), `${node} pid ${p} still runs`).toBe(false);
      }
      expect(restarts.length, JSON.stringify([...seen.pids])).toBeGreaterThan(0);
      expect(seen.misplaced).toEqual([]);
      console.log(`remote my-etcd: ${restarts.length} restarts seen (${restarts.join(', ')}), ${seen.paused.size} paused processes, ${seen.drops.size} tagged DROP rules`);
      await expectNothingLeft(l, rid);
    } finally {
      await l.close();
    }
  }, 300_000);

  it('the NATS example (its own adapter) through --cluster under kills: the adapters reach the nodes through ports ssh forwards here; checked; nothing left', async ({ expect }) => {
    const l = await lab(['n1', 'n2', 'n3']);
    try {
      const cluster = l.clusterFile({ system: resolve('examples/systems/nats.json') });
      const watch = watchHosts(l);
      const r = await test(l, cluster, ['--option', 'cas=0', '--nemesis', 'kill', '--nemesis-interval', '3', '--time-limit', '10', '--seed', '6']);
      const seen = await watch.stop();
      // A killed leader may leave a read stale: the verdict is not asserted, only that the run was checked (examples/systems, docs).
      expect([0, 1], r.all).toContain(r.exitCode);
      expect(r.stdout).toMatch(/^register-nats: (valid|INVALID) · \d+ ops \(\d+ history records\) · seed 6 · report /m);
      const h = history(r.dir!);
      const ok = h.filter((op) => op.process !== 'nemesis' && op.type === 'ok');
      expect(ok.some((op) => op.f === 'write') && ok.some((op) => op.f === 'read')).toBe(true);
      // The kills happened on the hosts: a node's pid went away and another came with its restart.
      const killed = nodesOf(h, 'start-kill');
      expect(killed.size).toBeGreaterThan(0);
      for (const node of killed) expect(new Set(seen.pids.get(node)!.filter((p) => p !== 0)).size, `${node}: ${seen.pids.get(node)}`).toBeGreaterThan(1);
      for (const n of ['n1', 'n2', 'n3']) expect(readFileSync(join(r.dir!, 'logs', n, 'nats.conf'), 'utf8')).toContain(`server_name: ${n}`);
      await expectNothingLeft(l, remoteRunIdOf(r.dir!));
    } finally {
      await l.close();
    }
  }, 300_000);

  it('redis with its Sentinels through --cluster: valid without faults and under kills; nothing left', async ({ expect }) => {
    const runs = await Promise.all(
      [
        ['--workload', 'set', '--time-limit', '4', '--seed', '1'],
        ['--workload', 'set', '--nemesis', 'kill', '--nemesis-interval', '3', '--time-limit', '10', '--quiesce', '6', '--seed', '4'],
      ].map(async (args) => {
        const l = await lab(['n1', 'n2', 'n3']);
        try {
          const r = await test(l, l.clusterFile({ system: 'redis' }), args);
          expect(r.exitCode, r.all).toBe(0);
          expect(r.stdout).toMatch(/^set-redis: valid · /m);
          for (const n of ['n1', 'n2', 'n3']) expect(readFileSync(join(r.dir!, 'logs', n, 'sentinel.log'), 'utf8')).toMatch(/Sentinel ID is/);
          const h = history(r.dir!);
          await expectNothingLeft(l, remoteRunIdOf(r.dir!));
          return h;
        } finally {
          await l.close();
        }
      }),
    );
    expect(runs[0].some((op) => op.process === 'nemesis')).toBe(false);
    expect(nodesOf(runs[1], 'start-kill').size).toBeGreaterThan(0);
    expect(did(runs[1], 'stop-kill')).toBe(true);
  }, 300_000);

  it('postgres through --cluster (one host): valid without faults and under kills; nothing left', async ({ expect }) => {
    const runs = await Promise.all(
      [
        ['--time-limit', '4', '--seed', '1'],
        ['--nemesis', 'kill', '--nemesis-interval', '2', '--time-limit', '8', '--seed', '2'],
      ].map(async (args) => {
        const l = await lab(['n1']);
        try {
          const r = await test(l, l.clusterFile({ system: 'postgres' }), args);
          expect(r.exitCode, r.all).toBe(0);
          expect(r.stdout).toMatch(/^list-append-postgres-serializable: valid · /m);
          const h = history(r.dir!);
          expect(h.filter((op) => op.type === 'ok' && op.process !== 'nemesis').length).toBeGreaterThan(10);
          await expectNothingLeft(l, remoteRunIdOf(r.dir!));
          return h;
        } finally {
          await l.close();
        }
      }),
    );
    expect(runs[0].some((op) => op.process === 'nemesis')).toBe(false);
    expect(nodesOf(runs[1], 'start-kill')).toEqual(new Set(['n1']));
  }, 300_000);

  it("a node's start that exits at once: one line naming the node, the command and its output, exit 3, the history kept; nothing left", async ({ expect }) => {
    const l = await lab(['n1', 'n2', 'n3']);
    try {
      const system = toyDescription(l, 'broken', { start: ['sh', '-c', 'if [ "$1" = n2 ]; then echo "n2: cannot open /etc/kv.conf" >&2; exit 3; fi; exec sleep 600', 'sh', '{node}'] });
      const r = await test(l, l.clusterFile({ system }), ['--time-limit', '5']);
      expect(r.exitCode, r.all).toBe(3);
      const lines = endedEarly(r.stdout);
      expect(lines, r.all).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^  the run ended early: broken: setup failed: n2 \\(ssh root@${l.network.host('n2').ip.replaceAll('.', '\\.')}:22\\): node \\(sh -c if .*\\) did not start: it exited at once \\(exit code 3\\); the end of ${l.workDir('n2')}/logs/console\\.log: / n2: cannot open /etc/kv\\.conf$`),
      );
      // The history and the results are kept, the error in them; n2's console log came home.
      expect(existsSync(join(r.dir!, 'history.jsonl'))).toBe(true);
      expect(JSON.parse(readFileSync(join(r.dir!, 'results.json'), 'utf8')).error).toContain('n2 (ssh root@');
      expect(readFileSync(join(r.dir!, 'logs', 'n2', 'console.log'), 'utf8')).toContain('n2: cannot open /etc/kv.conf');
      await expectNothingLeft(l, remoteRunIdOf(r.dir!));
    } finally {
      await l.close();
    }
  }, 300_000);

  it("a pause command that fails mid-run, a partition in force: the run ends with that line, exit 3, the partition healed on the hosts, the history kept; nothing left", async ({ expect }) => {
    const l = await lab(['n1', 'n2', 'n3']);
    try {
      const system = toyDescription(l, 'stubborn', { pause: ['sh', '-c', 'echo "$1: cannot stop it" >&2; exit 5', 'sh', '{node}'], resume: ['true'] });
      const watch = watchHosts(l);
      const r = await test(l, l.clusterFile({ system }), ['--nemesis', 'partition,pause', '--partitions', 'isolate-one,halves', '--nemesis-interval', '1', '--nemesis-hold', '4', '--time-limit', '20', '--seed', '1']);
      const seen = await watch.stop();
      expect(r.exitCode, r.all).toBe(3);
      const lines = endedEarly(r.stdout);
      expect(lines, r.all).toHaveLength(1);
      expect(lines[0]).toMatch(/^ {2}the run ended early: .*n\d \(ssh root@[\d.]+:22\): pause \(sh -c echo .*\) exited 5: n\d: cannot stop it$/);
      const h = history(r.dir!);
      // The partition was in force on the hosts when the pause failed; the run healed it.
      expect(did(h, 'start-partition')).toBe(true);
      expect(seen.drops.size).toBeGreaterThan(0);
      expect(h.some((op) => op.f === 'start-pause' && op.error !== undefined)).toBe(true);
      await expectNothingLeft(l, remoteRunIdOf(r.dir!));
    } finally {
      await l.close();
    }
  }, 300_000);

  it('a host without sshd: one line naming the node and why, exit 3; nothing left on the others', async ({ expect }) => {
    const l = await lab(['n1', 'n2', 'n3'], { withoutSshd: ['n3'] });
    try {
      const r = await test(l, l.clusterFile({ system: 'etcd' }), ['--time-limit', '5']);
      expect(r.exitCode, r.all).toBe(3);
      const lines = endedEarly(r.stdout);
      expect(lines, r.all).toHaveLength(1);
      const ip = l.network.host('n3').ip.replaceAll('.', '\\.');
      expect(lines[0]).toMatch(new RegExp(`^  the run ended early: etcd: setup failed: n3 \\(ssh root@${ip}:22\\): cannot reach the host: ssh: connect to host ${ip} port 22: Connection refused$`));
      expect(existsSync(join(r.dir!, 'history.jsonl'))).toBe(true);
      await expectNothingLeft(l, remoteRunIdOf(r.dir!));
    } finally {
      await l.close();
    }
  }, 300_000);

  it('faultline SIGKILLed mid-partition: the lifelines stop the nodes and heal the rules; heal --cluster then removes the dead run\'s data and logs; nothing left', async ({ expect }) => {
    const l = await lab(['n1', 'n2', 'n3']);
    let cli: ReturnType<typeof faultline> | undefined;
    try {
      const cluster = l.clusterFile({ system: 'etcd' });
      cli = faultline(['test', '--cluster', cluster, '--store', join(l.root, 'store'), '--no-progress', '--nemesis', 'partition', '--partitions', 'halves', '--nemesis-interval', '1', '--time-limit', '120'], l.root);
      // Mid-run: every node serves, and a partition is in force on some host.
      await until('the nodes and a partition', async () => l.network.hosts.every((h) => pidOf(l, h.node) !== undefined) && (await Promise.all(l.network.hosts.map((h) => rulesOn(l, h.node)))).some((r) => r.includes('-j DROP')), 60_000);
      const dir = runningDir(l)!;
      const rid = remoteRunIdOf(dir);
      const pids = l.network.hosts.map((h) => pidOf(l, h.node)!);
      cli.kill('SIGKILL');
      await cli;
      // The lifelines saw faultline go: every node stopped, every rule of the run gone, by the hosts themselves.
      await until('the nodes to stop', () => pids.every((p) => !running(p)), 30_000);
      await until('the rules to go', async () => (await Promise.all(l.network.hosts.map((h) => rulesOn(l, h.node)))).every((r) => !r.includes('faultline:') && !r.includes('FAULTLINE')), 10_000);
      // What a lifeline leaves on purpose: the data and logs, for a person to look at.
      for (const h of l.network.hosts) expect(existsSync(join(l.workDir(h.node), 'logs', 'console.log'))).toBe(true);
      const heal = await faultline(['heal', '--cluster', cluster], l.root, 60_000);
      expect(heal.exitCode, heal.all).toBe(0);
      expect(heal.stdout.split('\n')).toEqual(l.network.hosts.map((h) => `removed ${h.node} (${h.ip}): ${l.workDir(h.node)}/data and ${l.workDir(h.node)}/logs: a dead run's (nothing of it runs)`));
      const again = await faultline(['heal', '--cluster', cluster], l.root, 60_000);
      expect(again.stdout.trim()).toBe('nothing to heal on 3 hosts');
      // A SIGKILLed faultline cannot end its own ssh masters or remove its socket folder here: the test does.
      for (const p of processesIn([l.network.client.ns])) process.kill(p.pid, 'SIGKILL');
      for (const f of readdirSync('/tmp').filter((x) => x.startsWith(`fl-${rid}-r-`))) rmSync(join('/tmp', f), { recursive: true, force: true });
      await expectNothingLeft(l, rid);
    } finally {
      cli?.kill('SIGKILL');
      await l.close();
    }
  }, 300_000);

  it('faultline SIGKILLed with its lifelines gone too: the node, its sidecar and the rules stay; heal --cluster lists, then removes them all; nothing left', async ({ expect }) => {
    const l = await lab(['n1', 'n2', 'n3']);
    let cli: ReturnType<typeof faultline> | undefined;
    try {
      const system = toyDescription(l, 'pair', { start: ['sh', '-c', 'sleep 600 & wait'], sidecars: [{ name: 'helper', start: ['sleep', '600'] }] });
      const cluster = l.clusterFile({ system });
      cli = faultline(['test', '--cluster', cluster, '--store', join(l.root, 'store'), '--no-progress', '--nemesis', 'partition', '--partitions', 'halves', '--nemesis-interval', '1', '--time-limit', '120'], l.root);
      await until('the nodes, their sidecars and a partition', async () => l.network.hosts.every((h) => pidOf(l, h.node) !== undefined && pidOf(l, h.node, 'helper') !== undefined) && (await Promise.all(l.network.hosts.map((h) => rulesOn(l, h.node)))).some((r) => r.includes('-j DROP')), 60_000);
      const rid = remoteRunIdOf(runningDir(l)!);
      // The hosts lose their lifelines first (as if the sessions died), then faultline dies: nothing heals the hosts.
      for (const h of l.network.hosts) {
        const lifelines = lifelinesOn(l, h.node);
        expect(lifelines, h.node).toHaveLength(1);
        for (const p of lifelines) process.kill(p.pid, 'SIGKILL');
      }
      await until('the lifelines to be gone', () => l.network.hosts.every((h) => lifelinesOn(l, h.node).length === 0));
      cli.kill('SIGKILL');
      await cli;
      for (const f of readdirSync('/tmp').filter((x) => x.startsWith(`fl-${rid}-r-`))) rmSync(join('/tmp', f), { recursive: true, force: true });
      for (const p of processesIn([l.network.client.ns])) process.kill(p.pid, 'SIGKILL');
      await sleep(500);
      const pids = l.network.hosts.flatMap((h) => [pidOf(l, h.node)!, pidOf(l, h.node, 'helper')!]);
      for (const p of pids) expect(running(p), `pid ${p}`).toBe(true);
      const rules = await Promise.all(l.network.hosts.map((h) => rulesOn(l, h.node)));
      expect(rules.some((r) => r.includes(`${runTag(rid)}`))).toBe(true);

      const dry = await faultline(['heal', '--cluster', cluster, '--dry-run'], l.root, 60_000);
      expect(dry.exitCode, dry.all).toBe(0);
      for (const h of l.network.hosts) {
        const w = l.workDir(h.node);
        expect(dry.stdout).toContain(
          `would remove ${h.node} (${h.ip}): sh pid ${pidOf(l, h.node)} from ${w}/node.pid (run ${rid}), sleep pid ${pidOf(l, h.node, 'helper')} from ${w}/helper.pid (run ${rid}): stop, then remove ${w}/data and ${w}/logs`,
        );
      }
      expect(dry.stdout).toContain('chain FAULTLINE-PARTITION (filter)');
      for (const p of pids) expect(running(p)).toBe(true);

      const heal = await faultline(['heal', '--cluster', cluster], l.root, 60_000);
      expect(heal.exitCode, heal.all).toBe(0);
      expect(heal.stdout.split('\n').every((line) => line.startsWith('removed '))).toBe(true);
      for (const p of pids) expect(running(p), `pid ${p}`).toBe(false);
      const again = await faultline(['heal', '--cluster', cluster], l.root, 60_000);
      expect(again.stdout.trim()).toBe('nothing to heal on 3 hosts');
      await expectNothingLeft(l, rid);
    } finally {
      cli?.kill('SIGKILL');
      await l.close();
    }
  }, 300_000);

  it("the disk fault over ssh damages a node's data file on its host exactly as it reports, and the node comes back", async ({ expect }) => {
    const l = await lab(['n1']);
    const content = Array.from({ length: 200 }, (_, i) => `record ${i}: ${'x'.repeat(i % 37)}`).join('\n');
    const system = toyDescription(l, 'files', { files: { '{dataDir}/state.txt': content }, health: ['test', '-s', '{dataDir}/state.txt'] });
    const runId = `rd${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
    const cluster = createRemoteCluster(readClusterFile(l.clusterFile({ system })), { dir: join(l.root, 'run'), runId });
    try {
      const t = cluster.target;
      await t.setup();
      const file = join(l.workDir('n1'), 'data', 'state.txt');
      expect(readFileSync(file, 'utf8')).toBe(content);
      for (const damage of ['flip', 'truncate'] as const) {
        const before = readFileSync(file);
        const pid = pidOf(l, 'n1')!;
        const fault = diskFault(t, { seed: 7, damage, flips: 12 });
        expect(await fault.available()).toBe(true);
        const value = (await fault.start(['n1'])) as { nodes: { node: string; damaged: Damage[]; restarted: true | string }[] };
        expect(value.nodes).toHaveLength(1);
        const [{ damaged, restarted }] = value.nodes;
        expect(restarted).toBe(true);
        expect(damaged).toHaveLength(1);
        const d = damaged[0];
        expect(d.path).toBe(file);
        expect(d.size).toBe(before.length);
        // On the host, the file is exactly as the fault says.
        const after = readFileSync(file);
        if (d.kind === 'truncate') {
          expect(after).toEqual(before.subarray(0, d.to));
        } else {
          const expected = Buffer.from(before);
          for (const b of d.bits) expected[b.offset] ^= 1 << b.bit;
          expect(after).toEqual(expected);
          expect(after.equals(before)).toBe(false);
        }
        // The node was killed for it and came back: a new process, in the node's namespace.
        const next = pidOf(l, 'n1')!;
        expect(next).not.toBe(pid);
        expect(running(pid)).toBe(false);
        expect(running(next)).toBe(true);
        expect(readlinkSync(`/proc/${next}/ns/net`)).toBe(nsInode(l.network.host('n1').ns));
        expect(fault.active()).toBe(false);
        await fault.stop();
      }
      await cluster.close();
      await expectNothingLeft(l, runId);
    } finally {
      await cluster.close().catch(() => undefined);
      await l.close();
    }
  }, 300_000);
});
