// faultline's guard (targets/guard/): it names the program it runs in its errors, kills its child
// when the process that started it dies, and with --kill-tree the child's descendants too, even
// stopped ones. The case that needs it: a PostgreSQL server paused (postmaster and every backend
// stopped) when faultline is SIGKILLed must leave no process behind. Needs Debian's postgresql;
// the guard and the postgres target run compiled (npm test builds first).
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guardedProgram, guardMainPath, spawnGuarded } from '../../targets/guard/guarded-process.js';
import { postgresAvailable } from '../../targets/postgres/available.js';
import { readStat, running } from '../../control/proc.js';
import { until } from '../helpers/wait.js';
import { processesMentioning } from '../helpers/processes.js';

const root = mkdtempSync(join(tmpdir(), 'fl-grd-'));
// The postgres server runs as the postgres account, which must be able to enter the run folder.
chmodSync(root, 0o755);
/** Processes a test started, SIGKILLed after it whatever happened (a failed test leaves nothing). */
let started: number[] = [];

beforeAll(() => {
  guardMainPath(); // throws, saying to build, when the compiled guard is missing
});
afterEach(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  started = [];
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Living descendants of `pid`, by the parent pid in /proc/N/stat. */
function descendants(pid: number): number[] {
  const all = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => readStat(Number(n)))
    .filter((s) => s !== undefined && s.state !== 'Z');
  const out: number[] = [];
  for (let level = [pid]; level.length > 0; ) {
    level = all.filter((s) => level.includes(s!.ppid)).map((s) => s!.pid);
    out.push(...level);
  }
  return out;
}


/**
 * A shell under the guard with a tree below it (two sleeps, one of them a grandchild), all
 * stopped; the guard watches `owner`, a process of our own, instead of this test process.
 */
async function stoppedTree(killTree: boolean, log: string) {
  const owner = execa('sleep', ['600'], { reject: false, stdin: 'ignore' });
  started.push(owner.pid!);
  const argv = [process.execPath, guardMainPath(), '--parent', String(owner.pid), ...(killTree ? ['--kill-tree'] : []), '--', 'sh', '-c', '(sleep 600 & wait) & sleep 600 & wait'];
  const proc = await spawnGuarded({ argv, cwd: root, log, timeoutMs: 10_000 });
  started.push(proc.guardPid, proc.pid);
  await until('the shell to start its sleeps', () => descendants(proc.pid).length >= 3);
  const below = descendants(proc.pid);
  started.push(...below);
  for (const pid of [proc.pid, ...below]) process.kill(pid, 'SIGSTOP');
  await until('the tree to stop', () => [proc.pid, ...below].every((p) => readStat(p)?.state === 'T'));
  return { owner, proc, below };
}

describe('guard', () => {
  it('names the program it runs, wrapped or not, in its errors', async () => {
    expect(guardedProgram(['ip', 'netns', 'exec', 'fl-x-n1', process.execPath, '/a/dist/targets/guard/guard-main.js', '--parent', '1', '--', 'redis-server', '--port', '1'])).toBe('redis-server');
    expect(guardedProgram(['/usr/bin/etcd', '--name', 'n1'])).toBe('etcd');
    const argv = [process.execPath, guardMainPath(), '--parent', String(process.pid), '--', '/nowhere/no-such-program'];
    await expect(spawnGuarded({ argv, cwd: root, log: join(root, 'missing.log'), timeoutMs: 10_000 })).rejects.toThrow(/^no-such-program exited at once \(code 127\)$/);
    expect(readFileSync(join(root, 'missing.log'), 'utf8')).toMatch(/could not start \/nowhere\/no-such-program/);
  });

  it('with --kill-tree, kills the stopped child and every stopped descendant when its owner dies', async () => {
    const log = join(root, 'tree.log');
    const { owner, proc, below } = await stoppedTree(true, log);
    owner.kill('SIGKILL');
    await owner;
    await until('the child and its descendants to die', () => ![proc.pid, ...below].some(running));
    await proc.exited;
    expect(readFileSync(log, 'utf8')).toMatch(/killing sh \(pid \d+\) and its descendants/);
  });

  it('without --kill-tree, kills the child only: stopped descendants stay (why postgres asks for the tree)', async () => {
    const { owner, proc, below } = await stoppedTree(false, join(root, 'child.log'));
    owner.kill('SIGKILL');
    await owner;
    await proc.exited;
    expect(running(proc.pid)).toBe(false);
    expect(below.filter(running)).toEqual(below); // afterEach kills them
  });
});

describe('postgres under the guard', () => {
  it('a paused server leaves no process when the process that started it is SIGKILLed', async () => {
    const why = await postgresAvailable();
    if (why !== true) throw new Error(`this test needs PostgreSQL: ${why}`);
    const script = join(root, 'owner.mjs');
    writeFileSync(
      script,
      `import { createPostgresTarget } from ${JSON.stringify(resolve('dist/targets/postgres/target.js'))};
const t = createPostgresTarget({ dir: process.argv[2], isolation: 'serializable', workload: 'list-append' });
await t.setup();
await t.pause('n1');
console.log(JSON.stringify({ pids: t.processes(), sockets: t.socketDir() }));
setInterval(() => {}, 1000);
`,
    );
    const run = join(root, 'pg');
    const owner = execa(process.execPath, [script, run], { reject: false, stdin: 'ignore' });
    started.push(owner.pid!);
    const { pids, sockets } = await new Promise<{ pids: number[]; sockets: string }>((res, rej) => {
      let text = '';
      owner.stdout?.on('data', (d: Buffer) => {
        text += d.toString();
        const line = text.split('\n').find((l) => l.startsWith('{"pids"'));
        if (line) res(JSON.parse(line) as { pids: number[]; sockets: string });
      });
      void owner.then((r) => rej(new Error(`the owner exited early: ${String(r.stderr)}`)));
    });
    started.push(...pids);
    // The guard and the postmaster name the data directory on their command lines.
    const guards = processesMentioning(run).map((p) => p.pid).filter((p) => !pids.includes(p));
    started.push(...guards);
    expect(pids.length).toBeGreaterThan(1); // the postmaster and its auxiliary processes
    for (const pid of pids) expect(readStat(pid)?.state).toBe('T');
    expect(guards.length).toBeGreaterThan(0);

    owner.kill('SIGKILL');
    await owner;
    await until('every postgres process to die', () => !pids.some(running), 5000);
    await until('the guard to exit', () => processesMentioning(run).length === 0, 5000);
    expect(readFileSync(join(run, 'logs', 'n1', 'postgres.log'), 'utf8')).toMatch(/killing \S+ \(pid \d+\) and its descendants/);
    await until(`the guard to remove ${sockets}`, () => !existsSync(sockets), 5000);
  });
});
