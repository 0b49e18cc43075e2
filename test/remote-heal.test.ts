// What `faultline heal --cluster` reads on a host: the survey's lines parsed into rules, the
// partition chain and live lifelines; the pid file script run here against a local process (the
// run is the word after the pid, as targets/system/remote-scripts.ts's start writes it), and the
// rule that a pid file counts only when its process is not newer than the file.
import { afterAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../control/local.js';
import { parsePidFiles, parseSurvey, pidFilesArgv, startedByPidFile, surveyArgv, type PidFileState } from '../targets/remote/heal.js';
import { lifelineArgv } from '../targets/remote/lifeline.js';
import { lossCommand } from '../targets/remote/cluster.js';
import { until } from './helpers/wait.js';
import { running } from '../control/proc.js';
import { remoteScripts } from '../targets/system/remote-scripts.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-rh-unit-'));
/** Processes a test started: execa's, or the pid of one started detached by the start script. */
const sleepers: (ResultPromise | number)[] = [];
afterAll(async () => {
  for (const s of sleepers) {
    if (typeof s === 'number') {
      if (running(s)) process.kill(s, 'SIGKILL');
    } else s.kill('SIGKILL');
  }
  await Promise.allSettled(sleepers.filter((s) => typeof s !== 'number'));
  rmSync(dir, { recursive: true, force: true });
});

describe('parseSurvey', () => {
  const output = [
    'rule filter -N FAULTLINE-PARTITION',
    'rule filter -A INPUT -m comment --comment "faultline:ab12" -j FAULTLINE-PARTITION',
    'rule filter -A FAULTLINE-PARTITION -s 10.0.0.12/32 -m comment --comment "faultline:ab12" -j DROP',
    'rule filter -A FAULTLINE-PARTITION -s 10.0.0.13/32 -m comment --comment "faultline:cd34" -j DROP',
    'rule filter -A INPUT -s 10.9.9.9/32 -j FAULTLINE-PARTITION',
    'lifeline 4242 faultline:cd34',
    'lifeline 4243 faultline:cd34',
    'lifeline 17 faultline:NOT-AN-ID',
    'lifedir 4242 /var/lib/faultline/n2',
    'lifedir 4243 /var/lib/faultline/n2/',
    'lifedir 18 not-a-path',
    '',
  ].join('\n');

  it('finds tagged rules with their run and how to delete them, the chain, what uses it, and live lifelines', () => {
    const s = parseSurvey(output);
    expect(s.iptables).toBe(true);
    expect(s.rules.map((r) => r.runId)).toEqual(['ab12', 'ab12', 'cd34']);
    expect(s.rules[0].rule).toEqual({
      table: 'filter',
      text: '-A INPUT -m comment --comment "faultline:ab12" -j FAULTLINE-PARTITION',
      deleteArgs: ['-t', 'filter', '-D', 'INPUT', '-m', 'comment', '--comment', 'faultline:ab12', '-j', 'FAULTLINE-PARTITION'],
    });
    expect(s.chains).toEqual(['filter']);
    // The untagged jump counts as a user of the chain (so the chain stays), though it is not ours to delete.
    expect(s.chainRules).toHaveLength(4);
    expect(s.chainRules).toContain('filter -A INPUT -s 10.9.9.9/32 -j FAULTLINE-PARTITION');
    expect([...s.liveRuns]).toEqual([['cd34', [4242, 4243]]]);
    expect([...s.liveWorkDirs]).toEqual([['/var/lib/faultline/n2', [4242, 4243]]]);
  });

  it('a host without iptables, or with nothing of ours', () => {
    expect(parseSurvey('noiptables\n')).toMatchObject({ iptables: false, rules: [], chains: [], liveRuns: new Map() });
    expect(parseSurvey('')).toMatchObject({ iptables: true, rules: [], chains: [], chainRules: [] });
  });

  it('the survey passes the lifeline script as data, to compare with argv[2] of each sh', () => {
    const argv = surveyArgv();
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[4]).toBe(lifelineArgv([])[2]);
  });

  it('the survey, run here, finds a waiting lifeline: its run, and the workDir it stops if it fires', async () => {
    const workDir = join(dir, 'work dir', 'n1');
    const [file, ...args] = lifelineArgv(lossCommand('ab12', workDir, 10));
    const lifeline = execa(file, args, { stdin: 'pipe', reject: false, buffer: false });
    sleepers.push(lifeline);
    let said = '';
    lifeline.stdout?.on('data', (d: Buffer) => (said += d.toString()));
    await until('the lifeline to wait', () => said.includes('armed'));
    const [f, ...a] = surveyArgv();
    const s = parseSurvey((await run([f, ...a])).stdout);
    expect(s.liveRuns.get('ab12')).toEqual([lifeline.pid]);
    expect(s.liveWorkDirs.get(workDir)).toEqual([lifeline.pid]);
    lifeline.stdin?.end('disarm\n');
    expect((await lifeline).exitCode).toBe(0);
  });
});

describe('parsePidFiles', () => {
  it('reads each state; the start time comes from boot time and clock ticks', () => {
    const states = parsePidFiles(
      [
        'pidfile 1 none',
        'pidfile 2 gone 77',
        'pidfile 3 live 1234 S 500 1700000000 100 1700000004 ab12 etcd',
        'pidfile 4 live 99 T 1000 1700000000 100 1700000001 - my node',
        'pidfile 5 live x S 1 2 3 4 - broken',
        'pidfile 9 none',
      ].join('\n'),
      6,
    );
    expect(states[0]).toEqual({ kind: 'none' });
    expect(states[1]).toEqual({ kind: 'gone', pid: 77 });
    expect(states[2]).toEqual({ kind: 'live', pid: 1234, state: 'S', comm: 'etcd', startedAt: 1700000005, writtenAt: 1700000004, runId: 'ab12' });
    expect(states[3]).toEqual({ kind: 'live', pid: 99, state: 'T', comm: 'my node', startedAt: 1700000010, writtenAt: 1700000001 });
    expect(states[4]).toEqual({ kind: 'unreadable' });
    expect(states[5]).toEqual({ kind: 'unreadable' }); // missing from the output
  });

  it('a process newer than its pid file is not the one faultline started (pid reuse, a reboot)', () => {
    const live = (startedAt: number, writtenAt: number) => ({ kind: 'live', pid: 1, state: 'S', comm: 'etcd', startedAt, writtenAt }) as Extract<PidFileState, { kind: 'live' }>;
    expect(startedByPidFile(live(100, 100))).toBe(true);
    expect(startedByPidFile(live(50, 100))).toBe(true);
    expect(startedByPidFile(live(102, 100))).toBe(true); // whole seconds on both sides
    expect(startedByPidFile(live(110, 100))).toBe(false);
  });

  it('the script, run here, on a live process, a dead one, an old file and a missing one', async () => {
    const sleeper = execa('sleep', ['600'], { reject: false });
    sleepers.push(sleeper);
    const live = join(dir, 'live.pid');
    writeFileSync(live, `${sleeper.pid}\n`);
    const dead = await execa('sh', ['-c', 'echo $$']);
    const gone = join(dir, 'gone.pid');
    writeFileSync(gone, `${dead.stdout.trim()}\n`);
    // The same live pid, in a file last written long before the process started: a reused pid.
    const old = join(dir, 'old.pid');
    writeFileSync(old, `${sleeper.pid}\n`);
    utimesSync(old, new Date('2001-01-01'), new Date('2001-01-01'));
    const junk = join(dir, 'junk.pid');
    writeFileSync(junk, 'not a pid\n');
    const files = [live, gone, old, join(dir, 'missing.pid'), junk];
    const [file, ...args] = pidFilesArgv(files);
    const states = parsePidFiles((await run([file, ...args])).stdout, files.length);
    expect(states[0]).toMatchObject({ kind: 'live', pid: sleeper.pid, comm: 'sleep' });
    expect(states[0].kind === 'live' && startedByPidFile(states[0])).toBe(true);
    expect(states[0]).not.toHaveProperty('runId');
    expect(states[1]).toEqual({ kind: 'gone', pid: Number(dead.stdout.trim()) });
    expect(states[2]).toMatchObject({ kind: 'live', pid: sleeper.pid });
    expect(states[2].kind === 'live' && startedByPidFile(states[2])).toBe(false);
    expect(states[3]).toEqual({ kind: 'none' });
    expect(states[4]).toEqual({ kind: 'unreadable' });
  });

  it('the run is the second word of the pid file, as the start script writes it', async () => {
    const pidFile = join(dir, 'node.pid');
    const [file, ...args] = remoteScripts.start(pidFile, join(dir, 'node.log'), dir, undefined, 'ab12', ['sleep', '600']);
    await run([file, ...args]);
    const pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
    sleepers.push(pid);
    // Not a run id (a hand-written file, another program's): no run.
    const odd = join(dir, 'odd.pid');
    writeFileSync(odd, `${pid} AB-12\n`);
    const [f2, ...a2] = pidFilesArgv([pidFile, odd]);
    const [state, oddState] = parsePidFiles((await run([f2, ...a2])).stdout, 2);
    expect(state).toMatchObject({ kind: 'live', pid, comm: 'sleep', runId: 'ab12' });
    expect(state.kind === 'live' && startedByPidFile(state)).toBe(true);
    expect(oddState).toMatchObject({ kind: 'live', pid });
    expect(oddState).not.toHaveProperty('runId');
  });
});
