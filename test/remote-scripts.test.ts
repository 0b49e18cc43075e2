// The fixed scripts a remote node's processes are kept with (targets/system/remote-scripts.ts), run
// here on plain local processes (no ssh: test/integration/remote-cluster.test.ts and
// remote-system.test.ts run them over ssh): start writes "PID RUNID" and runs the program detached;
// KILL, STOP and CONT act on the whole process tree and wait as machine.ts documents, TERM goes to
// the daemon alone; waitGone, stopAll, and the file scripts (prepare, write, list, remove,
// dataFiles, truncate, flip) do exactly what they say on real files. Then RemoteMachine itself, over
// a local control, reads their output right.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, run } from '../control/local.js';
import type { SshControl } from '../control/ssh.js';
import { descendantsOf, processState, running } from '../control/proc.js';
import { RemoteMachine } from '../targets/system/remote-machine.js';
import { remoteScripts } from '../targets/system/remote-scripts.js';
import { until } from './helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-rs-unit-'));
/** Every pid a test started, each the leader of its own session (killed at the end with whatever a failed test left). */
const started = new Set<number>();
afterAll(() => {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
      if (started.has(session) || started.has(Number(e))) process.kill(Number(e), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

let k = 0;
/** A fresh workDir for one test. */
function work(): string {
  const w = join(dir, `w${k++}`);
  mkdirSync(w);
  return w;
}

const sh = (argv: readonly string[], input?: string) => run(argv, { allowFailure: true, timeoutMs: 30_000, ...(input === undefined ? {} : { input }) });

/** Starts `argv` through the start script; returns the pid written into the pid file. */
async function start(w: string, argv: readonly string[], o: { name?: string; user?: string; runId?: string } = {}): Promise<number> {
  const pidFile = join(w, `${o.name ?? 'node'}.pid`);
  const r = await sh(remoteScripts.start(pidFile, join(w, 'logs', 'console.log'), w, o.user, o.runId ?? 'ab12', argv));
  expect(r.exitCode, r.stderr).toBe(0);
  const pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
  started.add(pid);
  return pid;
}

const pidFileOf = (w: string, name = 'node') => join(w, `${name}.pid`);
const state = (pid: number) => processState(pid) ?? 'gone';
const gone = (pid: number) => !running(pid);
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** A daemon with two children: sh, waiting on two sleeps. */
const TREE = ['sh', '-c', 'sleep 300 & sleep 300 & wait'];

describe('start', () => {
  it('runs the program detached in its own session, writes "PID RUNID", appends its output to the log', async () => {
    const w = work();
    const pid = await start(w, ['sh', '-c', 'echo "hello from $(pwd)"; echo oops >&2; exec sleep 300'], { runId: 'run42' });
    expect(readFileSync(pidFileOf(w), 'utf8')).toBe(`${pid} run42\n`);
    // The pid is the program's (sh exec'd sleep), not a wrapper's, and it leads its own session.
    await until('the program to exec sleep', () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(fields[3])).toBe(pid); // session id
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\x00300\x00');
    // Its working directory is the one asked for; stdout and stderr both went to the log.
    await until('the output', () => existsSync(join(w, 'logs', 'console.log')) && readFileSync(join(w, 'logs', 'console.log'), 'utf8').includes('oops'));
    expect(readFileSync(join(w, 'logs', 'console.log'), 'utf8')).toBe(`hello from ${w}\noops\n`);
    // Its stdin is /dev/null: nothing ties it to the session that started it.
    expect((await run(['readlink', `/proc/${pid}/fd/0`])).stdout.trim()).toBe('/dev/null');

    // Running already: start does nothing (same pid, nothing new in the log).
    expect(await start(w, ['sh', '-c', 'echo second; exec sleep 300'])).toBe(pid);
    expect((await sh(remoteScripts.running(pidFileOf(w)))).exitCode).toBe(0);
    expect(readFileSync(join(w, 'logs', 'console.log'), 'utf8')).not.toContain('second');
  });

  it('runs the program as the user given, through setpriv, with the pid still its own', async () => {
    const w = work();
    const pid = await start(w, ['sleep', '300'], { user: 'nobody' });
    expect(uidOf(pid)).toBe(Number((await run(['id', '-u', 'nobody'])).stdout.trim()));
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('sleep');
    const none = await sh(remoteScripts.start(join(w, 'x.pid'), join(w, 'x.log'), w, 'no-such-user-here', 'ab12', ['sleep', '1']));
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('no user no-such-user-here on this host');
    expect(existsSync(join(w, 'x.pid'))).toBe(false);
  });

  it('a program that exits at once: exit 1 with the end of its log, and no pid file left', async () => {
    const w = work();
    const r = await sh(remoteScripts.start(pidFileOf(w), join(w, 'logs', 'console.log'), w, undefined, 'ab12', ['sh', '-c', 'echo "bad config line 3" >&2; exit 2']));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`it exited at once (exit code 2); the end of ${join(w, 'logs', 'console.log')}:`);
    expect(r.stderr).toContain('bad config line 3');
    expect(existsSync(pidFileOf(w))).toBe(false);
    expect((await sh(remoteScripts.running(pidFileOf(w)))).exitCode).toBe(1);
  });
});

describe('signal', () => {
  it('STOP stops the whole tree and returns once the daemon shows T; CONT continues it all', async () => {
    const w = work();
    const pid = await start(w, TREE);
    await until('the two children', () => descendantsOf(pid).length === 2);
    const children = descendantsOf(pid);
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'STOP'))).exitCode).toBe(0);
    expect(state(pid)).toBe('T');
    await until('every child stopped', () => children.every((c) => state(c) === 'T'));
    expect((await sh(remoteScripts.running(pidFileOf(w)))).exitCode).toBe(0); // a paused daemon runs
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'CONT'))).exitCode).toBe(0);
    expect(state(pid)).not.toBe('T');
    await until('every child continued', () => children.every((c) => state(c) !== 'T'));
  });

  it('KILL kills the whole tree, waits until the daemon is gone and removes the pid file; again, nothing to do', async () => {
    const w = work();
    const pid = await start(w, TREE);
    await until('the two children', () => descendantsOf(pid).length === 2);
    const children = descendantsOf(pid);
    await sh(remoteScripts.signal(pidFileOf(w), 'STOP')); // a paused tree dies too
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'KILL'))).exitCode).toBe(0);
    expect(gone(pid)).toBe(true);
    await until('the children gone', () => children.every(gone));
    expect(existsSync(pidFileOf(w))).toBe(false);
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'KILL'))).exitCode).toBe(0);
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'TERM'))).exitCode).toBe(0);
  });

  it("KILL returns once the daemon is reaped, not a zombie: a restart that checks its old pid (PostgreSQL's postmaster.pid) must not find it", async () => {
    // start's shell exits at once, so the daemon's parent is init, which reaps late on some
    // machines (1-2 s on this machine class): a KILL that returned at the zombie made a remote
    // postgres restart fail with "lock file postmaster.pid already exists" (CI, 2026-12-07).
    for (let i = 0; i < 3; i++) {
      const w = work();
      const pid = await start(w, ['sleep', '300']);
      expect((await sh(remoteScripts.signal(pidFileOf(w), 'KILL'))).exitCode).toBe(0);
      expect(existsSync(`/proc/${pid}`)).toBe(false);
    }
  });

  it('STOP or CONT of a daemon that does not run: exit 1, saying so', async () => {
    const w = work();
    for (const sig of ['STOP', 'CONT']) {
      const r = await sh(remoteScripts.signal(pidFileOf(w), sig));
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trim()).toBe(`not running (no live pid in ${pidFileOf(w)})`);
    }
    // A pid file naming a process that is gone: the same, and KILL removes the stale file.
    writeFileSync(pidFileOf(w), `${(await run(['sh', '-c', 'echo $$'])).stdout.trim()} ab12\n`);
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'STOP'))).exitCode).toBe(1);
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'KILL'))).exitCode).toBe(0);
    expect(existsSync(pidFileOf(w))).toBe(false);
  });

  it('TERM continues a paused tree and signals the daemon alone, returning at once; waitGone then sees it end and kills what it left', async () => {
    const w = work();
    // The daemon ends on TERM. Its child would note a TERM in the marker file: none must come.
    const marker = join(w, 'child-got-term');
    writeFileSync(join(w, 'child.sh'), `trap 'echo TERM >>"$1"; exit 0' TERM\nsleep 300 & wait\n`);
    const pid = await start(w, ['sh', '-c', 'trap "exit 0" TERM; sh "$0" "$1" & wait', join(w, 'child.sh'), marker]);
    await until('the child and its sleep', () => descendantsOf(pid).length === 2);
    const below = descendantsOf(pid);
    await sh(remoteScripts.signal(pidFileOf(w), 'STOP'));
    expect(state(pid)).toBe('T');
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'TERM'))).exitCode).toBe(0);
    // Everything was continued: the daemon runs its trap and ends; its child and the sleep are orphans now.
    await until('the daemon to end', () => gone(pid));
    for (const p of below) expect(state(p), `pid ${p}`).toMatch(/[RS]/);
    // waitGone sees the daemon gone and kills what it left in its session (SIGKILL: no trap runs).
    expect((await sh(remoteScripts.waitGone(pidFileOf(w), 50))).exitCode).toBe(0);
    expect(below.filter((p) => !gone(p))).toEqual([]);
    expect(existsSync(pidFileOf(w))).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  it('KILL of a daemon that died on its own clears what it left running in its session, and its pid file', async () => {
    const w = work();
    const pid = await start(w, TREE);
    await until('the two children', () => descendantsOf(pid).length === 2);
    const children = descendantsOf(pid);
    process.kill(pid, 'SIGKILL'); // the daemon crashes; its children live on, orphaned
    await until('the daemon gone', () => gone(pid));
    expect(children.every(running)).toBe(true);
    expect((await sh(remoteScripts.running(pidFileOf(w)))).exitCode).toBe(1);
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'KILL'))).exitCode).toBe(0);
    expect(children.filter((p) => !gone(p))).toEqual([]);
    expect(existsSync(pidFileOf(w))).toBe(false);
  });

  it('a daemon whose name holds ") " is still read right from /proc', async () => {
    const w = work();
    const prog = join(w, 'x) T y');
    writeFileSync(prog, '#!/bin/sh\nsleep 300\n', { mode: 0o755 });
    const pid = await start(w, [prog]);
    await until('the script to run', () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'x) T y');
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'STOP'))).exitCode).toBe(0);
    expect(state(pid)).toBe('T');
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'CONT'))).exitCode).toBe(0);
    expect(state(pid)).not.toBe('T');
    expect((await sh(remoteScripts.signal(pidFileOf(w), 'KILL'))).exitCode).toBe(0);
    expect(gone(pid)).toBe(true);
  });
});

describe('waitGone and stopAll', () => {
  it('waitGone: exit 1 while the daemon still runs after the time given; exit 0 without a pid file', async () => {
    const w = work();
    const pid = await start(w, ['sleep', '300']);
    expect((await sh(remoteScripts.waitGone(pidFileOf(w), 2))).exitCode).toBe(1);
    expect(running(pid)).toBe(true);
    expect(existsSync(pidFileOf(w))).toBe(true);
    process.kill(pid, 'SIGKILL');
    expect((await sh(remoteScripts.waitGone(pidFileOf(w), 20))).exitCode).toBe(0);
    expect(existsSync(pidFileOf(w))).toBe(false);
    expect((await sh(remoteScripts.waitGone(pidFileOf(w), 2))).exitCode).toBe(0);
  });

  it('stopAll: every daemon of the workDir, paused or not, is TERMed, and KILLed with its tree after the grace; stale pid files go', async () => {
    const w = work();
    const node = await start(w, ['sleep', '300']);
    const sidecar = await start(w, TREE, { name: 'sentinel' });
    // This one ignores TERM: only the KILL after the grace ends it.
    const stubborn = await start(w, ['sh', '-c', 'trap "" TERM; sleep 300 & wait; wait'], { name: 'stubborn' });
    await until('the trees', () => descendantsOf(sidecar).length === 2 && descendantsOf(stubborn).length === 1);
    const below = [...descendantsOf(sidecar), ...descendantsOf(stubborn)];
    await sh(remoteScripts.signal(pidFileOf(w), 'STOP'));
    writeFileSync(join(w, 'stale.pid'), `${(await run(['sh', '-c', 'echo $$'])).stdout.trim()} ab12\n`);
    writeFileSync(join(w, 'keep.txt'), 'not a pid file\n');
    expect((await sh(remoteScripts.stopAll(w, 0.5))).exitCode).toBe(0);
    for (const pid of [node, sidecar, stubborn]) expect(gone(pid), `pid ${pid}`).toBe(true);
    await until('every descendant gone', () => below.every(gone));
    expect(readdirSync(w).sort()).toEqual(['keep.txt', 'logs']);
    // Nothing left to stop; an empty or missing workDir is fine too.
    expect((await sh(remoteScripts.stopAll(w, 0.5))).exitCode).toBe(0);
    expect((await sh(remoteScripts.stopAll(join(w, 'missing'), 0.5))).exitCode).toBe(0);
  });
});

describe('the file scripts', () => {
  it('prepare makes the folders (and their parents) and gives them to the user; write puts stdin into the file, theirs too', async () => {
    const w = work();
    const nobody = Number((await run(['id', '-u', 'nobody'])).stdout.trim());
    const dirs = [join(w, 'a', 'data'), join(w, 'a', 'logs')];
    expect((await sh(remoteScripts.prepare('nobody', dirs))).exitCode).toBe(0);
    for (const d of dirs) expect(statSync(d).uid).toBe(nobody);
    expect(statSync(join(w, 'a')).uid).toBe(0); // only the folders named change hands
    expect((await sh(remoteScripts.write(join(w, 'a', 'data', 'x.conf'), 'nobody'), 'line one\n"quoted" $HOME `x`\n')).exitCode).toBe(0);
    expect(readFileSync(join(w, 'a', 'data', 'x.conf'), 'utf8')).toBe('line one\n"quoted" $HOME `x`\n');
    expect(statSync(join(w, 'a', 'data', 'x.conf')).uid).toBe(nobody);
    // As root (no user, or root): owned by root.
    expect((await sh(remoteScripts.prepare(undefined, [join(w, 'b')]))).exitCode).toBe(0);
    expect((await sh(remoteScripts.write(join(w, 'b', 'y'), 'root'), 'y')).exitCode).toBe(0);
    expect(statSync(join(w, 'b', 'y')).uid).toBe(0);
    // A folder that is missing: write fails.
    expect((await sh(remoteScripts.write(join(w, 'missing', 'z'), undefined), 'z')).exitCode).not.toBe(0);
  });

  it('list prints the regular files of a folder (dot files too), not below it; remove takes folders and then an empty workDir', async () => {
    const w = work();
    mkdirSync(join(w, 'logs', 'sub'), { recursive: true });
    for (const f of ['console.log', '.hidden', 'with space.log', join('sub', 'deeper.log')]) writeFileSync(join(w, 'logs', f), 'x');
    const r = await sh(remoteScripts.list(join(w, 'logs')));
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([join(w, 'logs', '.hidden'), join(w, 'logs', 'console.log'), join(w, 'logs', 'with space.log')]);
    expect(await sh(remoteScripts.list(join(w, 'nothing')))).toMatchObject({ exitCode: 0, stdout: '' });

    mkdirSync(join(w, 'data'));
    writeFileSync(join(w, 'other'), 'x');
    expect((await sh(remoteScripts.remove(w, [join(w, 'data'), join(w, 'logs')]))).exitCode).toBe(0);
    expect(readdirSync(w)).toEqual(['other']); // not empty: the workDir stays
    rmSync(join(w, 'other'));
    mkdirSync(join(w, 'data'));
    expect((await sh(remoteScripts.remove(w, [join(w, 'data'), join(w, 'logs')]))).exitCode).toBe(0);
    expect(existsSync(w)).toBe(false);
  });

  it('dataFiles prints SIZE PATH for every file below the folder; truncate cuts one; flip flips exactly the bits named', async () => {
    const w = work();
    mkdirSync(join(w, 'data', 'member', 'wal'), { recursive: true });
    writeFileSync(join(w, 'data', 'member', 'wal', '0.wal'), Buffer.alloc(100, 7));
    writeFileSync(join(w, 'data', 'a b'), 'hello');
    writeFileSync(join(w, 'data', 'empty'), '');
    const listed = await sh(remoteScripts.dataFiles(join(w, 'data')));
    expect(listed.stdout.split('\n').filter(Boolean).sort()).toEqual([`0 ${join(w, 'data', 'empty')}`, `100 ${join(w, 'data', 'member', 'wal', '0.wal')}`, `5 ${join(w, 'data', 'a b')}`]);
    expect(await sh(remoteScripts.dataFiles(join(w, 'none')))).toMatchObject({ exitCode: 0, stdout: '' });

    expect((await sh(remoteScripts.truncate(join(w, 'data', 'a b'), 2))).exitCode).toBe(0);
    expect(readFileSync(join(w, 'data', 'a b'), 'utf8')).toBe('he');
    const missing = await sh(remoteScripts.truncate(join(w, 'data', 'nope'), 0));
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.trim()).toBe(`no file ${join(w, 'data', 'nope')}`);
    expect(existsSync(join(w, 'data', 'nope'))).toBe(false); // truncate must not create it

    // Every byte value matters: a flip to 0, to a byte above 0x7f, the same byte twice, the last byte.
    const file = join(w, 'data', 'bytes');
    const before = Buffer.from([0x01, 0x42, 0xff, 0x80, 0x00, 0x25, 0x5c, 0x0a]);
    writeFileSync(file, before);
    const bits = [
      { offset: 0, bit: 0 }, // 0x01 → 0x00
      { offset: 1, bit: 7 }, // 0x42 → 0xc2
      { offset: 2, bit: 3 }, // 0xff → 0xf7
      { offset: 3, bit: 7 }, // 0x80 → 0x00
      { offset: 4, bit: 1 }, // 0x00 → 0x02, then
      { offset: 4, bit: 1 }, // back to 0x00
      { offset: 5, bit: 0 }, // '%' → '$'
      { offset: 6, bit: 1 }, // '\' → '^'
      { offset: 7, bit: 5 }, // '\n' → '*'
    ];
    const r = await sh(remoteScripts.flip(file, bits));
    expect(r.exitCode, r.stderr).toBe(0);
    const expected = Buffer.from(before);
    for (const b of bits) expected[b.offset] ^= 1 << b.bit;
    expect(readFileSync(file)).toEqual(expected);
    const past = await sh(remoteScripts.flip(file, [{ offset: 8, bit: 0 }]));
    expect(past.exitCode).toBe(1);
    expect(past.stderr).toContain(`cannot read byte 8 of ${file}`);
    expect(readFileSync(file)).toEqual(expected);
  });
});

describe('RemoteMachine reads the scripts right (over a local control)', () => {
  const machine = (w: string) => new RemoteMachine('n1', local as SshControl, w, 10_000, 'ab12');

  it('starts with the environment given, signals, lists and damages data files, and brings the logs home', async () => {
    const w = work();
    const m = machine(w);
    mkdirSync(join(w, 'data'));
    await m.startDaemon({ name: 'node', argv: ['sh', '-c', 'echo "GREETING=$GREETING"; exec sleep 300'], env: { GREETING: 'hi there' }, cwd: join(w, 'data'), log: join(w, 'logs', 'console.log') });
    const pid = Number(readFileSync(join(w, 'node.pid'), 'utf8').split(' ')[0]);
    started.add(pid);
    expect(await m.running('node')).toBe(true);
    await m.signal('node', 'STOP');
    expect(state(pid)).toBe('T');
    await m.signal('node', 'CONT');
    expect(await m.waitGone('node', 300)).toBe(false);
    await m.signal('node', 'KILL');
    expect(await m.running('node')).toBe(false);
    expect(await m.waitGone('node', 300)).toBe(true);
    await expect(m.signal('node', 'STOP')).rejects.toThrow(`n1 (local): SIGSTOP to node: not running (no live pid in ${join(w, 'node.pid')})`);
    expect(await m.tail(join(w, 'logs', 'console.log'), 5)).toBe('GREETING=hi there');

    writeFileSync(join(w, 'data', 'b'), 'bbbb');
    writeFileSync(join(w, 'data', 'a'), 'aa');
    writeFileSync(join(w, 'data', 'empty'), '');
    expect(await m.listFiles(join(w, 'data'))).toEqual([
      { path: join(w, 'data', 'a'), size: 2 },
      { path: join(w, 'data', 'b'), size: 4 },
    ]);
    await m.damage({ path: join(w, 'data', 'b'), kind: 'truncate', size: 4, to: 1 });
    expect(readFileSync(join(w, 'data', 'b'), 'utf8')).toBe('b');
    await m.damage({ path: join(w, 'data', 'a'), kind: 'flip', size: 2, bits: [{ offset: 1, bit: 0 }] });
    expect(readFileSync(join(w, 'data', 'a'), 'utf8')).toBe('a`');
    await expect(m.damage({ path: join(w, 'data', 'gone'), kind: 'truncate', size: 1, to: 0 })).rejects.toThrow(`n1 (local): damaging ${join(w, 'data', 'gone')}: no file ${join(w, 'data', 'gone')}`);

    const home = join(w, 'home');
    mkdirSync(home);
    writeFileSync(join(w, 'logs', 'other.log'), 'other');
    expect(await m.collect([join(w, 'logs'), join(w, 'no-logs')], [join(w, 'data', 'a'), join(w, 'data', 'missing')], home)).toEqual([]);
    expect(readdirSync(home).sort()).toEqual(['a', 'console.log', 'other.log']);
    expect(readFileSync(join(home, 'console.log'), 'utf8')).toBe('GREETING=hi there\n');
  });

  it('a start that fails is one line naming the node, the daemon and what it printed', async () => {
    const w = work();
    const m = machine(w);
    const e = await m.startDaemon({ name: 'node', argv: ['sh', '-c', 'echo "cannot bind 10.0.0.1:7000" >&2; exit 1'], env: {}, cwd: w, log: join(w, 'logs', 'console.log') }).catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).not.toContain('\n');
    expect((e as Error).message).toMatch(/^n1 \(local\): node \(sh -c echo "cannot bind .*\) did not start: it exited at once \(exit code 1\); .* \/ cannot bind 10\.0\.0\.1:7000$/);
  });
});
