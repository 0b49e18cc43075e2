// A remote etcd cluster over real ssh: three node namespaces (control/network.ts), each running
// its own sshd (test/helpers/sshd-hosts.ts), with the ssh client in the network's client namespace
// (the cluster file's ssh.via). The cluster file is read like a user's; etcd runs in the node
// namespaces as systems/etcd.json describes it, kept by the fixed scripts of
// targets/system/remote-scripts.ts (the namespaces share this machine's files, so etcd is installed
// already and every node's workDir sits in this test's temp folder). Clients
// reach the members through unix sockets forwarded by the ssh masters; a partition goes through
// partitionFault over ssh and really drops packets; a lifeline stops a member's command when its
// owner dies; teardown leaves nothing behind. Prints the ssh round trip and the setup time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../control/local.js';
import { createNetwork, networkAvailable, runTag, type Network } from '../../control/network.js';
import type { Op } from '../../histories/op.js';
import { partitionFault } from '../../nemesis/partition.js';
import { createRemoteCluster, lossCommand, readClusterFile, type ClusterSpec } from '../../targets/remote/index.js';
import type { SystemTarget } from '../../targets/system/target.js';
import { memberStatus } from '../../targets/etcd/leaders.js';
import { armLifeline, lifelineArgv } from '../../targets/remote/lifeline.js';
import { startSshdHosts, type SshdHosts } from '../helpers/sshd-hosts.js';

const runId = `rm${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
const root = mkdtempSync(`/tmp/fl-rm-`);
let network: Network | undefined;
let sshd: SshdHosts | undefined;
let cluster: ReturnType<typeof createRemoteCluster> | undefined;
let spec: ClusterSpec;
let t: SystemTarget;
let setupMs = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let index = 0;
function inv(f: string, value: unknown = null, key?: unknown): Op {
  const op: Op = { index: index++, type: 'invoke', process: 0, f, value };
  if (key !== undefined) op.key = key;
  return op;
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}
const alive = (pid: number) => ![undefined, 'Z'].includes(procState(pid));

/** The node's pid file in its workDir: "PID RUNID", as the start script writes it (the namespaces share our files). */
const pidFile = (node: string) => join(root, node, 'node.pid');

/** etcd's pid on `node`, from its pid file. */
function etcdPid(node: string): number | undefined {
  try {
    return Number(readFileSync(pidFile(node), 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** A member's own view of the cluster (its leader, its id), through the socket its client uses. */
const status = (node: string) => memberStatus(t.address(node));

/** Live pids whose network namespace is one of `namespaces` (default: every one of this run's). */
function pidsIn(namespaces = readdirSync('/run/netns').filter((n) => n.startsWith(`fl-${runId}-`))): { pid: number; comm: string }[] {
  const inodes = new Set<string>();
  for (const ns of namespaces) inodes.add(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
  const found: { pid: number; comm: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${e}/ns/net`)) && alive(Number(e))) found.push({ pid: Number(e), comm: readFileSync(`/proc/${e}/comm`, 'utf8').trim() });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const leader = () => until('a leader', async () => (await t.primaries())[0]);

/** Whether a TCP connection from `from`'s namespace to `to`'s address and port opens within 1.5 s. */
async function connects(from: string, to: string, port: number): Promise<boolean> {
  const ns = network!.host(from).ns;
  const ip = network!.host(to).ip;
  const r = await run(['ip', 'netns', 'exec', ns, 'timeout', '1.5', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'bash', ip, String(port)], { allowFailure: true });
  return r.exitCode === 0;
}

function clusterFile(): string {
  const file = join(root, 'cluster.json');
  const nodes = network!.hosts.map((h) => ({ name: h.node, host: h.ip, user: 'root', port: 22, key: sshd!.key }));
  writeFileSync(
    file,
    JSON.stringify(
      {
        $schema: '../schemas/cluster.schema.json',
        system: 'etcd',
        nodes,
        workDir: `${root}/{node}`,
        ssh: { via: sshd!.via, knownHosts: sshd!.knownHosts, strictHostKeyChecking: true, config: '/dev/null', connectTimeout: 5 },
      },
      null,
      2,
    ),
  );
  return file;
}

async function cleanUp(): Promise<void> {
  const problems: string[] = [];
  await cluster?.close().catch((e: Error) => problems.push(e.message));
  await sshd?.stop().catch((e: Error) => problems.push(e.message));
  await network?.teardown().catch((e: Error) => problems.push(e.message));
  rmSync(root, { recursive: true, force: true });
  if (problems.length > 0) throw new Error(problems.join('; '));
}

beforeAll(async () => {
  const etcd = await execa('etcd', ['--version'], { reject: false });
  if (etcd.exitCode !== 0) throw new Error('this test needs etcd (Debian: apt-get install etcd-server)');
  const why = await networkAvailable();
  if (why !== true) throw new Error(`this test needs network namespaces: ${why}`);
  try {
    network = await createNetwork(['n1', 'n2', 'n3'], { runId });
    mkdirSync(join(root, 'ssh'));
    sshd = await startSshdHosts(network, join(root, 'ssh'));
    spec = readClusterFile(clusterFile());
    cluster = createRemoteCluster(spec, { dir: join(root, 'run'), runId, settings: { workload: 'register' } });
    t = cluster.target;
    const t0 = performance.now();
    await t.setup();
    setupMs = performance.now() - t0;
  } catch (e) {
    await cleanUp().catch(() => undefined);
    throw e;
  }
});
afterAll(() => cleanUp());

describe('a remote etcd cluster over ssh (sshd in node namespaces)', () => {
  it('starts healthy: etcd runs in each node namespace, all members agree on one leader', async () => {
    for (const h of network!.hosts) {
      const pid = etcdPid(h.node)!;
      expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('etcd');
      expect(readlinkSync(`/proc/${pid}/ns/net`)).toBe(`net:[${statSync(`/run/netns/${h.ns}`).ino}]`);
      // The pid file names the run; the data is where the cluster file's workDir says.
      expect(readFileSync(pidFile(h.node), 'utf8')).toBe(`${pid} ${runId}\n`);
      expect(existsSync(join(root, h.node, 'data', 'member-data', 'member'))).toBe(true);
    }
    const leaders = new Set(await Promise.all(t.nodes.map(async (n) => (await status(n)).leader)));
    expect(leaders.size).toBe(1);
    expect(await t.primaries()).toHaveLength(1);
    console.log(`remote cluster setup: ${Math.round(setupMs)} ms (${JSON.stringify(t.setupTimings)})`);
  });

  it('a node ssh cannot reach fails setup with one message naming it, and nothing is touched', async () => {
    const badSpec: ClusterSpec = { ...spec, workDir: `${root}/bad-{node}`, nodes: spec.nodes.map((n) => (n.name === 'n3' ? { ...n, port: 2222 } : n)) };
    const bad = createRemoteCluster(badSpec, { dir: join(root, 'bad-run'), runId: `${runId}x` });
    try {
      await expect(bad.target.setup()).rejects.toThrow(new RegExp(`^etcd: setup failed: n3 \\(ssh root@${network!.host('n3').ip.replaceAll('.', '\\.')}:2222\\): cannot reach the host: [^\\n]*Connection refused$`));
    } finally {
      await bad.close();
    }
    for (const n of t.nodes) expect(existsSync(join(root, `bad-${n}`))).toBe(false);
    // The real cluster is untouched.
    expect(await t.primaries()).toHaveLength(1);
  });

  it('clients in the root namespace reach every member through a unix socket forwarded over ssh', async () => {
    const cs = t.nodes.map((n) => t.client(n));
    try {
      for (const [i, c] of cs.entries()) {
        expect(statSync(t.address(t.nodes[i])).isSocket()).toBe(true);
        expect(await c.invoke(inv('write', 10 + i, 'r'))).toMatchObject({ type: 'ok' });
        for (const d of cs) expect(await d.invoke(inv('read', null, 'r'))).toMatchObject({ type: 'ok', value: 10 + i });
        expect(await c.invoke(inv('cas', [10 + i, 20 + i], 'r'))).toMatchObject({ type: 'ok' });
        expect(await c.invoke(inv('cas', [10 + i, 30 + i], 'r'))).toMatchObject({ type: 'fail', error: 'mismatch' });
      }
    } finally {
      await Promise.all(cs.map((c) => c.close()));
    }
  });

  it('ssh round trip per command, with the ControlMaster', async () => {
    const control = cluster!.hosts[0].control;
    const median = async (n: number, fn: () => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await fn();
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[n >> 1];
    };
    const roundTrip = await median(50, () => control.exec(['true']));
    // What starting the local ssh client alone costs here (the same namespace hop, no connection).
    const spawnOnly = await median(20, () => run(['ip', 'netns', 'exec', sshd!.via, 'ssh', '-V']));
    console.log(`ssh round trip: median ${roundTrip.toFixed(1)} ms over 50 calls; starting the ssh client alone: median ${spawnOnly.toFixed(1)} ms`);
    expect(roundTrip).toBeGreaterThan(0);
  });

  it('killing the leader elects another; the killed member restarts with its data and rejoins', async () => {
    const old = await leader();
    const pid = etcdPid(old)!;
    await t.kill(old);
    expect(alive(pid)).toBe(false);
    expect(existsSync(pidFile(old))).toBe(false);
    // Its clients send nothing while it is down: the op certainly did not happen.
    const toKilled = t.client(old);
    expect(await toKilled.invoke(inv('write', 'lost', 'k'))).toMatchObject({ type: 'fail', error: `${old}: down (killed by the nemesis); not sent` });
    await toKilled.close();
    const next = await until('a new leader', async () => (await t.primaries()).find((n) => n !== old));
    const writer = t.client(next);
    expect(await writer.invoke(inv('write', 'after-kill', 'k'))).toMatchObject({ type: 'ok' });
    await t.start(old);
    const restarted = etcdPid(old)!;
    expect(restarted).not.toBe(pid);
    expect(alive(restarted)).toBe(true);
    const nextId = (await status(next)).header?.member_id;
    await until('the restarted member to follow the new leader', async () => ((await status(old).catch(() => undefined))?.leader === nextId ? true : undefined));
    const reader = t.client(old);
    expect(await reader.invoke(inv('read', null, 'k'))).toMatchObject({ type: 'ok', value: 'after-kill' });
    await Promise.all([writer.close(), reader.close()]);
    // start on a running member does nothing.
    await t.start(old);
    expect(etcdPid(old)).toBe(restarted);
  });

  it('a paused member is stopped (state T) until resumed', async () => {
    const node = t.nodes[2];
    const pid = etcdPid(node)!;
    await t.pause(node);
    expect(procState(pid)).toBe('T');
    await t.resume(node);
    expect(['R', 'S', 'D']).toContain(procState(pid));
  });

  it('a partition installed over ssh drops packets between the hosts, and heals', async () => {
    const rootRules = (await run(['iptables', '-S'])).stdout;
    const fault = partitionFault({ runId, hosts: cluster!.hosts, primaries: () => t.primaries() });
    expect(await fault.available()).toBe(true);
    expect(await connects('n2', 'n1', 2380)).toBe(true);
    const grudge = await fault.start({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    try {
      expect(grudge).toEqual({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
      // The rules sit in the node namespaces, put there through each host's sshd.
      const n1Rules = (await run(['ip', 'netns', 'exec', network!.host('n1').ns, 'iptables', '-S'])).stdout;
      expect(n1Rules).toContain(`-A FAULTLINE-PARTITION -s ${network!.host('n2').ip}/32 -m comment --comment "${runTag(runId)}" -j DROP`);
      expect(await connects('n2', 'n1', 2380)).toBe(false);
      expect(await connects('n1', 'n3', 2379)).toBe(false);
      expect(await connects('n2', 'n3', 2380)).toBe(true);
      // The majority side still takes writes.
      const c = t.client('n2');
      expect(await c.invoke(inv('write', 'during', 'p'))).toMatchObject({ type: 'ok' });
      await c.close();
    } finally {
      await fault.stop();
      fault.close();
    }
    expect(await connects('n2', 'n1', 2380)).toBe(true);
    expect((await run(['ip', 'netns', 'exec', network!.host('n1').ns, 'iptables', '-S'])).stdout).not.toContain('-j DROP');
    // This machine's own firewall is as it was (other runs' tagged rules may come and go).
    const mine = (s: string) => s.split('\n').filter((l) => !/faultline:/.test(l) || l.includes(runTag(runId)));
    expect(mine((await run(['iptables', '-S'])).stdout)).toEqual(mine(rootRules));
    // Once healed, the isolated member catches up.
    const reader = t.client('n1');
    await until('n1 to serve the write made while it was cut off', async () => {
      const r = await reader.invoke(inv('read', null, 'p'));
      return r.type === 'ok' && r.value === 'during' ? true : undefined;
    });
    await reader.close();
  });

  it("a lifeline runs its command when its owner dies (SIGKILL), and not once disarmed", async () => {
    const control = cluster!.hosts[1].control;
    const marker = join(root, 'lifeline-fired');
    // The owner: a separate Node process holding the session's stdin, as faultline does.
    const argv = control.wrap(lifelineArgv(['touch', marker]));
    const owner = execa(process.execPath, ['--input-type=module', '-e', `import { spawn } from 'node:child_process'; const a = JSON.parse(process.env.ARGV); spawn(a[0], a.slice(1), { stdio: ['pipe', 'inherit', 'inherit'] }); setInterval(() => {}, 1e6);`], {
      env: { ARGV: JSON.stringify(argv) },
      reject: false,
      buffer: false,
    });
    let said = '';
    owner.stdout?.on('data', (d: Buffer) => (said += d.toString()));
    await until('the owner to arm its lifeline', () => (said.includes('armed') ? true : undefined));
    expect(existsSync(marker)).toBe(false);
    owner.kill('SIGKILL');
    await owner;
    await until('the lifeline to fire', () => (existsSync(marker) ? true : undefined));

    // The module's own lifeline: disarmed, nothing runs; cut, its command runs.
    const quiet = join(root, 'lifeline-quiet');
    const a = await armLifeline(control, ['touch', quiet]);
    await a.disarm();
    await sleep(300);
    expect(existsSync(quiet)).toBe(false);
    const b = await armLifeline(control, ['touch', quiet]);
    await b.cut();
    await until('the cut lifeline to fire', () => (existsSync(quiet) ? true : undefined));
  });

  it("if faultline is gone, a node's lifeline heals the node's partition rules and stops its member", async () => {
    const node = 'n2';
    const pid = etcdPid(node)!;
    const fault = partitionFault({ runId, hosts: cluster!.hosts });
    await fault.start({ n2: ['n1'] });
    const rules = () => run(['ip', 'netns', 'exec', network!.host(node).ns, 'iptables', '-S']).then((r) => r.stdout);
    expect(await rules()).toContain('-j FAULTLINE-PARTITION');
    const line = await armLifeline(cluster!.hosts[1].control, lossCommand(runId, join(root, node), spec.description.timeouts.stop));
    await line.cut();
    await until('the member to stop', () => (alive(pid) ? undefined : true));
    expect(await rules()).not.toContain('FAULTLINE-PARTITION');
    expect(existsSync(pidFile(node))).toBe(false);
    // The fault still heals without complaint (its chain is made again, empty; close removes it).
    await fault.stop();
    fault.close();
  });

  it('teardown stops every member, copies the logs home and leaves nothing behind', async () => {
    const pids = t.nodes.map((n) => etcdPid(n)).filter((p) => p !== undefined);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await t.teardown();
    await t.teardown(); // idempotent
    for (const pid of pids) expect(alive(pid)).toBe(false);
    for (const n of t.nodes) {
      const [log] = t.logs(n);
      expect(log).toBe(join(root, 'run', 'logs', n, 'console.log'));
      expect(readFileSync(log, 'utf8')).toMatch(/"msg":"serving client traffic/);
      // Copied after the stop command: the log ends with etcd's own shutdown.
      expect(readFileSync(log, 'utf8')).toContain('"msg":"received signal; shutting down"');
      // workDir (data, pid file, logs) is gone on the node; the forwarded socket is gone here.
      expect(existsSync(join(root, n))).toBe(false);
      expect(existsSync(t.address(n))).toBe(false);
    }
    // Only sshd (listeners and the masters' sessions) remains in the node namespaces.
    const nodeNamespaces = network!.hosts.map((h) => h.ns);
    expect(pidsIn(nodeNamespaces).filter((p) => p.comm !== 'sshd')).toEqual([]);

    await cluster!.close();
    await cluster!.close();
    // No partition chain is left on the hosts (on a real machine it would outlive the run).
    for (const h of network!.hosts) expect((await run(['ip', 'netns', 'exec', h.ns, 'iptables', '-S'])).stdout).not.toContain('FAULTLINE');
    // The masters are gone from the client namespace, their sessions from the nodes': only the listeners stay.
    const listeners = [...sshd!.pids.values()];
    await until('the ssh masters and their sessions to end', () => (pidsIn([network!.client.ns]).length === 0 && pidsIn(nodeNamespaces).every((p) => listeners.includes(p.pid)) ? true : undefined), 5000);
    await sshd!.stop();
    await network!.teardown();
    expect(readdirSync('/run/netns').filter((n) => n.startsWith(`fl-${runId}-`))).toEqual([]);
    expect((await run(['iptables', '-S'])).stdout).not.toContain(runTag(runId));
    for (const pid of sshd!.pids.values()) expect(alive(pid)).toBe(false);
    expect(readdirSync('/tmp').filter((f) => f.startsWith(`fl-${runId}-`))).toEqual([]);
  });
});
