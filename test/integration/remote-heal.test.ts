// `faultline heal --cluster FILE` against a remote run that died: three node namespaces with a real
// sshd each (test/helpers/sshd-hosts.ts, as in remote-cluster.test.ts), a remote etcd cluster
// started by createRemoteCluster, a partition applied through partitionFault over ssh. Then the run
// "dies": its lifeline sessions are killed on the hosts (SIGKILL: they cannot fire), so etcd and the
// partition stay there as a faultline killed while the hosts were unreachable would leave them. The
// compiled CLI
// lists them (--dry-run), removes them, and then finds nothing; while the lifelines still waited,
// it left everything alone. An unreachable host is one line and exit 3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from '../../control/local.js';
import { createNetwork, networkAvailable, runTag, type Network } from '../../control/network.js';
import { partitionFault } from '../../nemesis/partition.js';
import { createRemoteCluster, readClusterFile, type ClusterSpec } from '../../targets/remote/index.js';
import { lifelineArgv } from '../../targets/remote/lifeline.js';
import type { SystemTarget } from '../../targets/system/target.js';
import { startSshdHosts, type SshdHosts } from '../helpers/sshd-hosts.js';

const runId = `rh${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
const root = mkdtempSync(`/tmp/fl-rh-`);
const bin = resolve('bin/faultline.js');
let network: Network | undefined;
let sshd: SshdHosts | undefined;
let cluster: ReturnType<typeof createRemoteCluster> | undefined;
let spec: ClusterSpec;
let t: SystemTarget;
let file: string;
/** etcd's pid per node, read from the pid files before the run "died". */
const pids = new Map<string, number>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The node's pid file in its workDir ("PID RUNID"). */
const pidFile = (node: string) => join(root, node, 'node.pid');

/** The lifeline sessions waiting in `ns` (a node namespace): sh running the lifeline script. */
function lifelinesIn(ns: string): number[] {
  const inode = `net:[${statSync(`/run/netns/${ns}`).ino}]`;
  const script = lifelineArgv([])[2];
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readlinkSync(`/proc/${e}/ns/net`) === inode && readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0')[2] === script;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const rulesIn = async (node: string) => (await run(['ip', 'netns', 'exec', network!.host(node).ns, 'iptables', '-S'])).stdout;

async function heal(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const r = await execa(process.execPath, [bin, 'heal', ...args], { reject: false, cwd: root });
  const lines = (s: string) => s.split('\n').filter((l) => l !== '');
  return { code: r.exitCode ?? -1, out: lines(r.stdout), err: lines(r.stderr) };
}

function writeClusterFile(name: string, port = (_node: string) => 22): string {
  const path = join(root, name);
  const nodes = network!.hosts.map((h) => ({ name: h.node, host: h.ip, user: 'root', port: port(h.node), key: sshd!.key }));
  writeFileSync(
    path,
    JSON.stringify({
      system: 'etcd',
      nodes,
      workDir: `${root}/{node}`,
      ssh: { via: sshd!.via, knownHosts: sshd!.knownHosts, strictHostKeyChecking: true, config: '/dev/null', connectTimeout: 5 },
    }),
  );
  return path;
}

async function cleanUp(): Promise<void> {
  const problems: string[] = [];
  await cluster?.close().catch((e: Error) => problems.push(e.message));
  await sshd?.stop().catch((e: Error) => problems.push(e.message));
  await network?.teardown().catch((e: Error) => problems.push(e.message));
  for (const pid of pids.values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
  if (problems.length > 0) throw new Error(problems.join('; '));
}

beforeAll(async () => {
  if (!existsSync(join(resolve('dist'), 'cli', 'main.js'))) throw new Error('this test runs the compiled CLI: build first (npx tsc -p tsconfig.build.json)');
  const etcd = await execa('etcd', ['--version'], { reject: false });
  if (etcd.exitCode !== 0) throw new Error('this test needs etcd (Debian: apt-get install etcd-server)');
  const why = await networkAvailable();
  if (why !== true) throw new Error(`this test needs network namespaces: ${why}`);
  try {
    network = await createNetwork(['n1', 'n2', 'n3'], { runId });
    mkdirSync(join(root, 'ssh'));
    sshd = await startSshdHosts(network, join(root, 'ssh'));
    file = writeClusterFile('cluster.json');
    spec = readClusterFile(file);
    cluster = createRemoteCluster(spec, { dir: join(root, 'run'), runId, settings: { workload: 'register' } });
    t = cluster.target;
    await t.setup();
    for (const n of t.nodes) pids.set(n, Number(readFileSync(pidFile(n), 'utf8').split(' ')[0]));
    const fault = partitionFault({ runId, hosts: cluster.hosts });
    await fault.start({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    fault.close(); // the partition stays in force: the run dies in the middle of it
  } catch (e) {
    await cleanUp().catch(() => undefined);
    throw e;
  }
});
afterAll(() => cleanUp());

describe('faultline heal --cluster FILE (sshd in node namespaces)', () => {
  it('while the run lives (its lifelines wait on the hosts), heal leaves its rules and etcd alone', async () => {
    const r = await heal('--cluster', file, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    for (const h of network!.hosts) {
      expect(r.out).toContainEqual(expect.stringMatching(new RegExp(`^left ${h.node} \\(${h.ip.replaceAll('.', '\\.')}\\): run ${runId}'s partition rules: run ${runId}'s lifeline still waits here`)));
      expect(r.out).toContainEqual(expect.stringMatching(new RegExp(`^left ${h.node} .*: etcd pid ${pids.get(h.node)} from ${pidFile(h.node)}: run ${runId}'s lifeline still waits here`)));
    }
    expect(r.out.filter((l) => !l.startsWith('left '))).toEqual([]);
  });

  it('the run dies without teardown (lifelines killed): --dry-run lists the chain, its rules and etcd per host, and removes nothing', async () => {
    // What a faultline that died while its hosts were unreachable leaves: the lifelines are gone without firing.
    for (const h of network!.hosts) {
      const sessions = lifelinesIn(h.ns);
      expect(sessions).toHaveLength(1);
      for (const pid of sessions) process.kill(pid, 'SIGKILL');
    }
    await until('the lifeline sessions to end', () => (network!.hosts.every((h) => lifelinesIn(h.ns).length === 0) ? true : undefined));

    const r = await heal('--cluster', file, '--dry-run');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const tag = runTag(runId);
    for (const h of network!.hosts) {
      const at = `would remove ${h.node} (${h.ip}): `;
      const mine = r.out.filter((l) => l.startsWith(at)).map((l) => l.slice(at.length));
      const drops = h.node === 'n1' ? ['n2', 'n3'] : ['n1'];
      expect(mine).toEqual([
        `iptables -t filter -A INPUT -m comment --comment "${tag}" -j FAULTLINE-PARTITION`,
        ...drops.map((d) => `iptables -t filter -A FAULTLINE-PARTITION -s ${network!.host(d).ip}/32 -m comment --comment "${tag}" -j DROP`),
        'chain FAULTLINE-PARTITION (filter)',
        `etcd pid ${pids.get(h.node)} from ${pidFile(h.node)} (run ${runId}): stop, then remove ${join(root, h.node)}/data and ${join(root, h.node)}/logs`,
      ]);
    }
    expect(r.out).toHaveLength(5 + 4 + 4);
    // Nothing was touched.
    for (const h of network!.hosts) expect(await rulesIn(h.node)).toContain(tag);
    for (const pid of pids.values()) expect(alive(pid)).toBe(true);

    // Another run's leftovers only: this run's etcd is named as its own and left.
    const other = await heal('--cluster', file, '--dry-run', '--run', 'zz99');
    expect(other.code).toBe(0);
    expect(other.out).toEqual(network!.hosts.map((h) => `left ${h.node} (${h.ip}): etcd pid ${pids.get(h.node)} from ${pidFile(h.node)}: run ${runId}'s, not zz99's`));
  });

  it('an unreachable host is one line and exit 3; the others are still listed', async () => {
    const bad = writeClusterFile('bad-cluster.json', (n) => (n === 'n3' ? 2222 : 22));
    const r = await heal('--cluster', bad, '--dry-run');
    expect(r.code).toBe(3);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(new RegExp(`^unreachable n3 \\(${network!.host('n3').ip.replaceAll('.', '\\.')}\\): cannot reach the host: .*Connection refused`));
    expect(r.out.filter((l) => l.startsWith('would remove n1 '))).toHaveLength(5);
    expect(r.out.filter((l) => l.startsWith('would remove n2 '))).toHaveLength(4);
  });

  it('heal removes them: no faultline rule in any node namespace, no etcd of that workDir; a second heal finds nothing', async () => {
    const t0 = performance.now();
    const r = await heal('--cluster', file);
    console.log(`faultline heal --cluster over 3 hosts: ${Math.round(performance.now() - t0)} ms`);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(13);
    expect(r.out.every((l) => l.startsWith('removed '))).toBe(true);
    for (const h of network!.hosts) {
      const rules = await rulesIn(h.node);
      expect(rules).not.toContain('faultline:');
      expect(rules).not.toContain('FAULTLINE');
      expect(existsSync(join(root, h.node))).toBe(false);
    }
    for (const pid of pids.values()) await until(`etcd ${pid} to be gone`, () => (alive(pid) ? undefined : true));
    // No etcd process whose flags name this test's workDirs.
    const etcds = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          return readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'etcd' && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(`${root}/`) && alive(Number(e));
        } catch {
          return false;
        }
      });
    expect(etcds).toEqual([]);

    const again = await heal('--cluster', file);
    expect(again).toEqual({ code: 0, out: ['nothing to heal on 3 hosts'], err: [] });
  });
});
