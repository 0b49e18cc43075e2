// Described systems (docs/systems.md) run locally, one network namespace per node, through the CLI
// as a user runs them: faultline's own systems as descriptions (etcd, redis with its Sentinels as
// sidecars, postgres) under partitions, kills and pauses, and the mistakes a person makes in a
// description of their own, each one line with exit 3, with the history kept and nothing left.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '../../control/namespaces.js';
import { run as exec } from '../../control/local.js';
import type { Op } from '../../histories/op.js';
import { until } from '../helpers/wait.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const cwd = mkdtempSync(join(tmpdir(), 'faultline-system-'));
// PostgreSQL runs as the postgres account, which must be able to enter the store (mkdtemp makes it 0700).
chmodSync(cwd, 0o711);
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function faultline(args: string[], timeout = 240_000) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, all: true, timeout });
}

/** A test run in its own store, without the progress line; resolves with the result and the run's folder. */
async function test(store: string, args: string[]) {
  const r = await faultline(['test', '--store', join(cwd, store), '--no-progress', ...args]);
  const latest = join(cwd, store, 'latest');
  const dir = existsSync(latest) ? resolve(join(cwd, store), readlinkSync(latest)) : undefined;
  return { ...r, dir };
}

function history(dir: string): Op[] {
  return readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);
}

function runIdOf(dir: string): string {
  return JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8')).faultline.runId as string;
}


/** Nothing of the run is left: no namespace, no tagged rule, no process started in its folder, no socket folder. */
async function expectNothingLeft(dir: string): Promise<void> {
  const runId = runIdOf(dir);
  expect(listNamespaces().filter((ns) => ns.startsWith(`fl-${runId}-`))).toEqual([]);
  expect((await exec(['iptables', '-w', '-S'])).stdout).not.toContain(`faultline:${runId}`);
  expect(processesMentioning(dir)).toEqual([]);
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`fl-${runId}-`))).toEqual([]);
}

/** Writes a description of a toy system into the test folder: defaults over `o`. */
function description(name: string, o: Record<string, unknown>): string {
  const dir = join(cwd, 'systems');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        name,
        ports: { client: 7000 },
        start: ['sleep', '600'],
        health: ['true'],
        client: { adapter: ['python3', resolve('examples/stdio/builtin_adapter.py')] },
        timeouts: { ready: 5, stop: 2 },
        ...o,
      },
      null,
      2,
    ),
  );
  return file;
}

// Concurrent: each run has its own namespaces, and most of a run is waiting on the clock.
describe.concurrent('faultline test --system (local namespaces)', { timeout: 240_000 }, () => {
  it('etcd as a description, under partitions, kills and pauses: valid, every fault recorded, nothing left', async ({ expect }) => {
    const r = await test('etcd', ['--system', 'etcd', '--nemesis', 'partition,kill,pause', '--nemesis-interval', '2', '--time-limit', '12', '--seed', '3']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^register-etcd: valid · \d+ ops \(\d+ history records\) · seed 3 · report /m);
    const h = history(r.dir!);
    const nemesis = new Set(h.filter((op) => op.process === 'nemesis').map((op) => op.f));
    for (const f of ['start-partition', 'stop-partition', 'start-kill', 'stop-kill', 'start-pause', 'stop-pause']) expect(nemesis).toContain(f);
    expect(h.filter((op) => op.type === 'ok' && op.process !== 'nemesis').length).toBeGreaterThan(50);
    // Each member's console output is the run's logs/<node>/console.log; a kill shows as a restart there.
    for (const n of ['n1', 'n2', 'n3']) expect(readFileSync(join(r.dir!, 'logs', n, 'console.log'), 'utf8')).toContain('"msg":"serving client traffic insecurely');
    await expectNothingLeft(r.dir!);
  });

  it('redis with Sentinel sidecars, set under kills and pauses: valid, the Sentinels survive the kills', async ({ expect }) => {
    const r = await test('redis', ['--system', 'redis', '--workload', 'set', '--nemesis', 'kill,pause', '--nemesis-interval', '3', '--time-limit', '10', '--quiesce', '6', '--seed', '4']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^set-redis: valid · /m);
    for (const n of ['n1', 'n2', 'n3']) {
      expect(existsSync(join(r.dir!, 'logs', n, 'sentinel.log'))).toBe(true);
      // A Sentinel is started once and stays: one start line in its log.
      expect(readFileSync(join(r.dir!, 'logs', n, 'sentinel.log'), 'utf8').match(/Sentinel ID is/g)).toHaveLength(1);
    }
    await expectNothingLeft(r.dir!);
  });

  it('postgres as a description with its built-in client: read committed shows anomalies (exit 1)', async ({ expect }) => {
    const r = await test('pg', ['--system', 'postgres', '--isolation', 'read-committed', '--time-limit', '5', '--concurrency', '8', '--rate', '0', '--seed', '5']);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(/^list-append-postgres-read-committed: INVALID · /m);
    expect(r.stdout).toMatch(/list-append anomalies: .*G-single/);
    await expectNothingLeft(r.dir!);
  });

  it('faultline cluster up --system etcd: the printed hint reaches a member through its socket; down leaves nothing', async ({ expect }) => {
    const store = join(cwd, 'cluster-store');
    const up = await faultline(['cluster', 'up', '--system', 'etcd', '--store', store]);
    try {
      expect(up.exitCode, up.all).toBe(0);
      expect(up.stdout).toMatch(/^etcd \(described\) cluster up since .* · network namespaces fl-[a-z0-9]+-\*/m);
      const socket = /^ {2}n1 {2}(\/\S+\.sock) /m.exec(up.stdout)?.[1];
      expect(socket, up.stdout).toBeDefined();
      expect(up.stdout).toContain(`try: etcdctl --endpoints unix://${socket} put k v`);
      const put = await execa('etcdctl', ['--endpoints', `unix://${socket}`, 'put', 'k', 'v'], { reject: false, all: true });
      expect(put.stdout, put.all).toBe('OK');
      const status = await faultline(['cluster', 'status', '--system', 'etcd', '--store', store]);
      expect(status.exitCode).toBe(0);
    } finally {
      const down = await faultline(['cluster', 'down', '--system', 'etcd', '--store', store]);
      expect(down.stdout).toMatch(/^etcd cluster down /);
    }
    const runId = /network namespaces fl-([a-z0-9]+)-\*/.exec(up.stdout)![1];
    expect(listNamespaces().filter((ns) => ns.startsWith(`fl-${runId}-`))).toEqual([]);
    expect(processesMentioning(join(store, 'clusters', 'etcd'))).toEqual([]);
  });

  it('SIGKILL of faultline mid-run: the nodes die with it, faultline heal --run removes the rest, the history is checkable', async ({ expect }) => {
    const store = join(cwd, 'killed');
    const child = execa(process.execPath, [bin, 'test', '--system', 'etcd', '--nemesis', 'pause', '--nemesis-interval', '1', '--time-limit', '60', '--store', store, '--no-progress'], { cwd, reject: false });
    let dir = '';
    await until('the run to record ops and a pause', () => {
      const latest = join(store, 'latest');
      if (!existsSync(latest)) return false;
      dir = resolve(store, readlinkSync(latest));
      if (!existsSync(join(dir, 'history.jsonl'))) return false;
      const h = history(dir);
      return h.filter((op) => op.type === 'ok').length > 20 && h.some((op) => op.f === 'start-pause' && op.type === 'info');
    }, 60_000);
    child.kill('SIGKILL');
    await child;
    // The guard kills each member (paused or not), and the socket proxies see their stdin close.
    await until('the nodes to die with faultline', () => processesMentioning(dir).length === 0, 15_000);
    const runId = runIdOf(dir);
    expect(listNamespaces().filter((ns) => ns.startsWith(`fl-${runId}-`)).length).toBeGreaterThan(0);
    const heal = await faultline(['heal', '--run', runId]);
    expect(heal.exitCode, heal.all).toBe(0);
    expect(heal.stdout).toContain(`folder ${join(tmpdir(), `fl-${runId}-s`)}`);
    await expectNothingLeft(dir);
    const analyze = await faultline(['analyze', dir]);
    expect([0, 1], analyze.all).toContain(analyze.exitCode);
  });

  it('a mistake in a description is one line naming its file, line and field; nothing starts', async ({ expect }) => {
    const file = description('typo', { heath: ['true'] });
    const r = await test('typo', ['--system', file, '--time-limit', '2']);
    expect(r.exitCode).toBe(3);
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('"heath"')) + 1;
    expect(r.stderr.trim()).toBe(`faultline: ${file}:${line}: unknown field "heath"`);
    expect(r.dir).toBeUndefined();
  });

  it('the primaries partition shape is refused for a system that cannot say who leads (left out of the default shapes)', async ({ expect }) => {
    const file = description('leaderless', {});
    const r = await test('leaderless', ['--system', file, '--nemesis', 'partition', '--partitions', 'primaries', '--time-limit', '2']);
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('faultline: the primaries partition shape needs a target that says which nodes lead, and leaderless (its description has no "primaries" command) does not (--partitions without primaries)');
  });

  it('a setup command that fails: one line with the node, the command, its exit code and its stderr; history kept, nothing left', async ({ expect }) => {
    const file = description('broken-setup', { setup: [['sh', '-c', 'echo "disk full on $1" >&2; exit 7', 'sh', '{node}']] });
    const r = await test('broken-setup', ['--system', file, '--time-limit', '2']);
    expect(r.exitCode, r.all).toBe(3);
    const line = r.stdout.split('\n').find((l) => l.includes('the run ended early'));
    expect(line, r.all).toMatch(/the run ended early: broken-setup: setup failed: n\d \(netns fl-[a-z0-9]+-n\d\): setup command 1 \(sh -c echo .*\) exited 7: disk full on n\d( \(it failed on n\d, n\d too\))?$/);
    expect(existsSync(join(r.dir!, 'history.jsonl'))).toBe(true);
    expect(JSON.parse(readFileSync(join(r.dir!, 'results.json'), 'utf8')).error).toMatch(/setup command 1/);
    await expectNothingLeft(r.dir!);
  });

  it('a node that exits at once: one line with the end of its console log; the others are stopped', async ({ expect }) => {
    const file = description('crashes', { start: ['sh', '-c', 'if [ "$1" = n2 ]; then echo "n2: bad config line 3" >&2; exit 1; fi; exec sleep 600', 'sh', '{node}'], health: ['sh', '-c', 'sleep 0.3'] });
    const r = await test('crashes', ['--system', file, '--time-limit', '2']);
    expect(r.exitCode, r.all).toBe(3);
    const line = r.stdout.split('\n').find((l) => l.includes('the run ended early'))!;
    expect(line).toContain('n2 exited before it served');
    expect(line).toContain('n2: bad config line 3');
    expect(readFileSync(join(r.dir!, 'logs', 'n2', 'console.log'), 'utf8')).toContain('n2: bad config line 3');
    await expectNothingLeft(r.dir!);
  });

  it('a kill command that fails mid-run: the run ends with that line, faults healed, what was recorded checked', async ({ expect }) => {
    // The built-in store under the toy description's name: the example adapter needs a live node socket, so use etcd's description with a broken kill.
    const etcd = JSON.parse(readFileSync('systems/etcd.json', 'utf8'));
    delete etcd.$schema;
    const file = description('etcd-bad-kill', { ...etcd, name: 'etcd-bad-kill', kill: ['sh', '-c', 'echo "permission denied" >&2; exit 4'] });
    const r = await test('bad-kill', ['--system', file, '--nemesis', 'kill,partition', '--nemesis-interval', '2', '--time-limit', '8', '--seed', '1']);
    expect(r.exitCode, r.all).toBe(3);
    const h = history(r.dir!);
    const kill = h.find((op) => op.process === 'nemesis' && op.f === 'start-kill' && op.type === 'info' && op.error !== undefined);
    expect(JSON.stringify(kill?.error)).toMatch(/kill \(sh -c .*\) exited 4: permission denied/);
    expect(h.filter((op) => op.type === 'ok' && op.process !== 'nemesis').length).toBeGreaterThan(10);
    expect(existsSync(join(r.dir!, 'results.json'))).toBe(true);
    await expectNothingLeft(r.dir!);
  });
});
