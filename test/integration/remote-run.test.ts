// `faultline test --cluster FILE` end to end, against sshd in three node namespaces
// (test/helpers/sshd-hosts.ts) with the ssh client in the network's client namespace: once through
// run() (the library) and once through the CLI, each with partitions and kills over ssh for 10 s.
// Both must be valid, record the faults, copy the logs home, and leave nothing behind: no etcd, no
// ssh master or session, no forwarded socket, no partition chain on the hosts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run as exec } from '../../control/local.js';
import { createNetwork, networkAvailable, type Network } from '../../control/network.js';
import { resolveConfig } from '../../runner/config.js';
import { run } from '../../runner/run.js';
import { startSshdHosts, type SshdHosts } from '../helpers/sshd-hosts.js';
import { running } from '../../control/proc.js';
import { until } from '../helpers/wait.js';

const runId = `rr${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
const root = mkdtempSync('/tmp/fl-rr-');
const bin = resolve('bin/faultline.js');
let network: Network | undefined;
let sshd: SshdHosts | undefined;
let clusterFile = '';

/** comm of every live process in `namespaces`. */
function commsIn(namespaces: readonly string[]): string[] {
  const inodes = new Set(namespaces.map((ns) => `net:[${statSync(`/run/netns/${ns}`).ino}]`));
  const found: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${e}/ns/net`)) && running(Number(e))) found.push(readFileSync(`/proc/${e}/comm`, 'utf8').trim());
    } catch {
      // exited meanwhile
    }
  }
  return found.sort();
}

/** What a finished run must have left: a valid verdict with both faults, logs home, nothing on the hosts. */
async function expectCleanRun(dir: string): Promise<void> {
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  expect(results.valid, JSON.stringify(results).slice(0, 400)).toBe(true);
  expect(results.error).toBeUndefined();
  const history = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const nemesis = new Set(history.filter((op) => op.process === 'nemesis').map((op) => op.f));
  for (const f of ['start-partition', 'stop-partition', 'start-kill', 'stop-kill']) expect(nemesis).toContain(f);
  expect(history.filter((op) => op.type === 'ok').length).toBeGreaterThan(20);
  const count = (type: string) => history.filter((op) => op.process !== 'nemesis' && op.type === type).length;
  console.log(`${dir}: ok ${count('ok')}, fail ${count('fail')}, info ${count('info')}`);
  for (const n of ['n1', 'n2', 'n3']) expect(readFileSync(join(dir, 'logs', n, 'console.log'), 'utf8')).toContain('"msg":"received signal; shutting down"');

  const nodeNs = network!.hosts.map((h) => h.ns);
  // Only the sshd listeners stay in the node namespaces; nothing in the client's (the masters).
  await until('the sessions and masters to end', () => commsIn(nodeNs).every((c) => c === 'sshd') && commsIn(nodeNs).length === 3 && commsIn([network!.client.ns]).length === 0);
  for (const h of network!.hosts) {
    expect((await exec(['ip', 'netns', 'exec', h.ns, 'iptables', '-S'])).stdout).not.toContain('FAULTLINE');
    expect(existsSync(join(root, 'work', h.node))).toBe(false);
  }
  // The run's ssh control and forwarded sockets' folder (/tmp/fl-<runid>-r-XXXXXX) is gone.
  expect(socketFolders()).toEqual(foldersBefore);
}

const socketFolders = () => readdirSync('/tmp').filter((f) => /^fl-[a-z0-9]+-r-/.test(f)).sort();
const foldersBefore = socketFolders();

beforeAll(async () => {
  const etcd = await execa('etcd', ['--version'], { reject: false });
  if (etcd.exitCode !== 0) throw new Error('this test needs etcd (Debian: apt-get install etcd-server)');
  const why = await networkAvailable();
  if (why !== true) throw new Error(`this test needs network namespaces: ${why}`);
  if (!existsSync('dist/cli/main.js')) throw new Error('the CLI is not built: npm run build');
  try {
    network = await createNetwork(['n1', 'n2', 'n3'], { runId });
    mkdirSync(join(root, 'ssh'));
    sshd = await startSshdHosts(network, join(root, 'ssh'));
    clusterFile = join(root, 'cluster.json');
    writeFileSync(
      clusterFile,
      JSON.stringify({
        target: 'etcd',
        nodes: network.hosts.map((h) => ({ name: h.node, host: h.ip, key: sshd!.key })),
        workDir: `${root}/work/{node}`,
        ssh: { via: sshd.via, knownHosts: sshd.knownHosts, strictHostKeyChecking: true, config: '/dev/null', connectTimeout: 5 },
      }),
    );
  } catch (e) {
    await cleanUp().catch(() => undefined);
    throw e;
  }
});

async function cleanUp(): Promise<void> {
  await sshd?.stop();
  await network?.teardown();
  rmSync(root, { recursive: true, force: true });
}
afterAll(() => cleanUp());

describe('faultline test --cluster (remote etcd over ssh)', () => {
  it('run(): register under partitions and kills for 10 s is valid and leaves nothing behind', async () => {
    const config = resolveConfig({
      cluster: clusterFile,
      workload: { name: 'register' },
      nemesis: { faults: ['partition', 'kill'], interval: 3 },
      timeLimit: 10,
      concurrency: 6,
      rate: 50,
      store: join(root, 'store'),
      seed: 5,
    });
    expect(config.target).toMatchObject({ type: 'system', nodes: 3 });
    const lines: string[] = [];
    const outcome = await run(config, { log: (l) => lines.push(l) });
    expect(outcome.exitCode, `${lines.join('\n')}\n${JSON.stringify(outcome.results).slice(0, 400)}`).toBe(0);
    await expectCleanRun(outcome.dir);
  });

  it('the CLI: faultline test --cluster FILE --nemesis partition,kill --time-limit 10 exits 0 (valid)', async () => {
    const store = join(root, 'cli-store');
    const r = await execa(process.execPath, [bin, 'test', '--cluster', clusterFile, '--nemesis', 'partition,kill', '--time-limit', '10', '--store', store, '--no-progress', '--seed', '9'], {
      reject: false,
      all: true,
      cwd: root,
      timeout: 150_000,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^register-etcd: valid · \d+ ops \(\d+ history records\) · seed 9 · report /m);
    const latest = readlinkSync(join(store, 'latest'));
    await expectCleanRun(resolve(store, latest));
  }, 180_000);

  it('a bad cluster file is one line naming the file, the line and the field, exit 3', async () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{\n  "target": "etcd",\n  "nodes": [\n    { "name": "n1", "host": "10.0.0.1", "port": 70000 }\n  ]\n}\n');
    const r = await execa(process.execPath, [bin, 'test', '--cluster', bad, '--time-limit', '1', '--store', join(root, 'bad-store')], { reject: false, all: true, cwd: root });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim()).toMatch(new RegExp(`${bad.replaceAll('.', '\\.')}:4: "nodes\\.0\\.port" must be <= 65535, got 70000$`));
  });
});
