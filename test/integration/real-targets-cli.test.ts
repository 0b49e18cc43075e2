// The real targets (postgres, redis, stdio) through `faultline test` and `faultline cluster`, as a
// newcomer runs them: the verdicts and exit codes, one clear line for each mistake, and clusters
// whose nodes answer on the printed sockets and leave nothing behind.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const bin = resolve('bin/faultline.js');
const adapter = resolve('examples/stdio/builtin_adapter.py');
const cwd = mkdtempSync(join(tmpdir(), 'faultline-real-cli-'));
// PostgreSQL runs as the postgres account, which must be able to enter the store (mkdtemp makes it 0700).
chmodSync(cwd, 0o711);

function faultline(args: string[]) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, all: true });
}

/** A short test run in its own store, without the progress line. */
function test(store: string, args: string[]) {
  return faultline(['test', '--store', join(cwd, store), '--no-progress', ...args]);
}

afterAll(async () => {
  // Whatever a failed assertion left up goes down before the folder does.
  await Promise.all(['redis', 'postgres'].map((t) => faultline(['cluster', 'down', '--target', t])));
  rmSync(cwd, { recursive: true, force: true });
});

/** A process as /proc names it: pid plus start time, so a reused pid is not mistaken for it. */
interface Proc {
  pid: number;
  start: string;
  ppid: number;
  state: string;
  cmd: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { pid, state: fields[0], ppid: Number(fields[1]), start: fields[19], cmd };
  } catch {
    return undefined; // gone meanwhile
  }
}

function allProcs(): Proc[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => readProc(Number(n)))
    .filter((p): p is Proc => p !== undefined);
}

/** `root` and everything below it: the holder, its guards, the servers and their children. */
function tree(root: number): Proc[] {
  const procs = allProcs();
  const out = procs.filter((p) => p.pid === root);
  for (let i = 0; i < out.length; i++) out.push(...procs.filter((p) => p.ppid === out[i].pid));
  return out;
}

function stillRunning(procs: Proc[]): Proc[] {
  return procs.filter((p) => {
    const now = readProc(p.pid);
    // A zombie has exited; its new parent (pid 1 here) reaps it when it gets round to it.
    return now !== undefined && now.start === p.start && now.state !== 'Z';
  });
}

/** The one line a mistake should give: exit 3, `faultline: …` naming `what`, no stack trace. */
function expectOneLine(r: { exitCode?: number; stderr: string; all?: string }, what: string): void {
  expect(r.exitCode, r.all).toBe(3);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^faultline: /);
  expect(lines[0]).toContain(what);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

// The runs share the machine with each other: they are short, and most of their time is waiting.
describe.concurrent('faultline test against the real targets', () => {
  it('postgres read committed, list-append: INVALID, exit 1, and the verdict names the anomalies', async () => {
    const r = await test('pg-rc', ['--target', 'postgres', '--workload', 'list-append', '--isolation', 'read-committed', '--time-limit', '3']);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(/^list-append-postgres-read-committed: INVALID · \d+ ops \(\d+ history records\) · seed \d+ · report .*report\.html$/m);
    expect(r.stdout).toMatch(/^ {2}list-append: INVALID — \d+ anomaly types? \(not [^)]*\)/m);
    // The counts line: each anomaly read committed allows shows up by name, and what it rules out.
    const counts = /^ {2}list-append anomalies: (.*) · not (.*)$/m.exec(r.stdout);
    expect(counts, r.stdout).not.toBeNull();
    expect(counts![1]).toMatch(/^(?:[\w-]+ ×\d+)(?:, [\w-]+ ×\d+)*$/);
    expect(counts![1]).toMatch(/G-single|G2-item|lost-update|internal|G-nonadjacent/);
    expect(counts![1]).not.toMatch(/\bG0\b|\bG1[abc]?\b/); // nothing read committed forbids
  });

  it('postgres serializable, list-append (5 clients, 3 s): valid, exit 0', async () => {
    const r = await test('pg-ser', ['--target', 'postgres', '--workload', 'list-append', '--isolation', 'serializable', '--concurrency', '5', '--time-limit', '3']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.trim()).toMatch(/^list-append-postgres-serializable: valid · \d+ ops \(\d+ history records\) · seed \d+ · report .*report\.html$/);
  });

  it('redis register, no faults: valid, exit 0', async () => {
    const r = await test('redis', ['--target', 'redis', '--time-limit', '3']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.trim()).toMatch(/^register-redis: valid · \d+ ops \(\d+ history records\) · seed \d+ · report .*report\.html$/);
  });

  it('stdio with the example Python adapter over the built-in store: valid, exit 0', async () => {
    // 3 adapters, not 10: each Python start-up takes the main phase's time on a busy 2-core machine.
    const r = await test('stdio', ['--target', 'stdio', '--adapter', `python3 ${adapter}`, '--concurrency', '3', '--time-limit', '3']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.trim()).toMatch(/^register-stdio: valid · \d+ ops \(\d+ history records\) · seed \d+ · report .*report\.html$/);
    expect(r.stdout).not.toMatch(/no op succeeded/);
  });

  it('each mistake is one line naming the field or file, exit 3, and no run is stored', async () => {
    const store = 'mistakes';
    const mistakes: [string[], string][] = [
      [['--target', 'postgres', '--workload', 'register'], 'workload'],
      [['--target', 'redis', '--isolation', 'serializable'], 'isolation'],
      [['--target', 'stdio'], 'adapter'],
      [['--target', 'stdio', '--adapter', './nonexistent'], './nonexistent'],
      [['--target', 'postgres', '--workload', 'list-append', '--nodes', '3'], 'target.nodes'],
      [['--cluster', '/nonexistent.json'], '/nonexistent.json'],
    ];
    const results = await Promise.all(mistakes.map(([args]) => test(store, [...args, '--time-limit', '1'])));
    for (const [i, r] of results.entries()) expectOneLine(r, mistakes[i][1]);
    expect(existsSync(join(cwd, store, 'latest'))).toBe(false);
  });
});

describe.concurrent('faultline cluster with the real targets', () => {
  it('redis: up prints each node\'s socket, the nodes answer PING, status agrees, down leaves no process', async () => {
    const up = await faultline(['cluster', 'up', '--target', 'redis']);
    expect(up.exitCode, up.all).toBe(0);
    const sockets = [...up.stdout.matchAll(/^ {2}(n\d) {2}(\S+\.sock) {2}logs: /gm)].map((m) => m[2]);
    expect(sockets).toHaveLength(3);
    expect(up.stdout).toMatch(/^try: redis-cli -s \S+\/n1\.sock info replication/m);
    for (const s of sockets) expect((await execa('redis-cli', ['-s', s, 'PING'])).stdout.trim()).toBe('PONG');

    const status = await faultline(['cluster', 'status', '--target', 'redis']);
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(/^redis cluster up since .* holder pid \d+ · local · store\/clusters\/redis$/m);
    const state = JSON.parse(readFileSync(join(cwd, 'store/clusters/redis/state.json'), 'utf8')) as { pid: number; dir: string };
    const procs = tree(state.pid);
    expect(procs.filter((p) => /^redis-server /.test(p.cmd))).toHaveLength(3);
    expect(procs.filter((p) => /^redis-sentinel /.test(p.cmd))).toHaveLength(3);

    const down = await faultline(['cluster', 'down', '--target', 'redis']);
    expect(down.exitCode, down.all).toBe(0);
    expect(down.stdout).toMatch(/^redis cluster down/);
    expect(stillRunning(procs).map((p) => `${p.pid} ${p.cmd}`)).toEqual([]);
    expect(allProcs().filter((p) => p.cmd.includes(state.dir))).toEqual([]);
    for (const s of sockets) expect(existsSync(s)).toBe(false);
  });

  it('postgres: up prints the socket and a psql line that works, status agrees, down leaves no process', async () => {
    const up = await faultline(['cluster', 'up', '--target', 'postgres', '--workload', 'list-append']);
    expect(up.exitCode, up.all).toBe(0);
    const socket = /^ {2}n1 {2}(\S+\/\.s\.PGSQL\.5432) {2}logs: /m.exec(up.stdout)?.[1];
    const host = /^try: psql -h (\S+) -U postgres/m.exec(up.stdout)?.[1];
    expect(socket, up.stdout).toBeDefined();
    expect(host).toBe(socket!.replace(/\/[^/]*$/, ''));
    const q = await execa('psql', ['-h', host!, '-U', 'postgres', '-tA', '-c', 'select 1'], { reject: false });
    expect(q.stdout.trim(), q.stderr).toBe('1');

    const status = await faultline(['cluster', 'status', '--target', 'postgres']);
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(/^postgres cluster up since .* holder pid \d+ · local · store\/clusters\/postgres$/m);
    const state = JSON.parse(readFileSync(join(cwd, 'store/clusters/postgres/state.json'), 'utf8')) as { pid: number; dir: string };
    const procs = tree(state.pid);
    // The postmaster and its children (checkpointer, walwriter, …), which rename themselves.
    expect(procs.filter((p) => /^\S*\/postgres -D /.test(p.cmd) && p.cmd.includes(state.dir))).toHaveLength(1);
    expect(procs.filter((p) => /^postgres: /.test(p.cmd)).length).toBeGreaterThan(0);

    const down = await faultline(['cluster', 'down', '--target', 'postgres']);
    expect(down.exitCode, down.all).toBe(0);
    expect(down.stdout).toMatch(/^postgres cluster down/);
    expect(stillRunning(procs).map((p) => `${p.pid} ${p.cmd}`)).toEqual([]);
    expect(allProcs().filter((p) => p.cmd.includes(state.dir))).toEqual([]);
    expect(existsSync(host!)).toBe(false);
  });
});
