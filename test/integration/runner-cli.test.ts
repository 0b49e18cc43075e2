// `faultline test`, `analyze` and `report` as a user runs them: the exit codes, a run killed with
// SIGKILL (its history still checkable, its nodes gone), and SIGINT (healed, torn down, checked).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { processesMentioning } from '../helpers/processes.js';

/** The built-in store's node processes (and their guards) whose command line mentions `text`. */
const nodesMentioning = (text: string) => processesMentioning(text).filter((p) => p.cmd.includes('node-main'));

const bin = resolve('bin/faultline.js');
const store = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

function faultline(args: string[], cwd = store) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, all: true });
}


async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pred();
}

function lines(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('faultline test (CLI)', () => {
  it('runs a short test, prints the verdict and exits 0; --json gives the result', async () => {
    const dir = join(store, 'plain');
    const r = await faultline(['test', '--time-limit', '2', '--store', dir, '--no-progress', '--seed', '3', '--nemesis', 'none']);
    expect(r.exitCode, r.all).toBe(0);
    // the --store given is absolute: so is the report's path
    expect(r.stdout).toMatch(new RegExp(`^register-leader-follower-sync: valid · \\d+ ops \\(\\d+ history records\\) · seed 3 · report ${dir}/register-leader-follower-sync/[^/]+/report\\.html$`, 'm'));
    // analyze of that run prints what test printed
    const runDir = dirname(/ · report (\S+)$/m.exec(r.stdout)![1]);
    const a = await faultline(['analyze', runDir]);
    expect(a.exitCode, a.all).toBe(0);
    expect(a.stdout).toBe(r.stdout);
    const junit = join(store, 'junit', 'runs.xml');
    const j = await faultline(['test', '--time-limit', '1', '--store', dir, '--json', '--workload', 'counter', '--mode', 'leader-follower-sync', '--test-count', '2', '--seed', '10', '--junit', junit]);
    expect(j.exitCode, j.all).toBe(0);
    const results = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => [r.valid, r.counter.valid, r.seed])).toEqual([[true, true, 10], [true, true, 11]]);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="faultline test" tests="2" failures="0" errors="0"/);
    expect(xml.match(/<testcase classname="faultline\.counter"/g)).toHaveLength(2);
  });

  it('a bad config is one line naming the file, line and field, exit 3, and nothing starts', async () => {
    const cfg = join(store, 'bad.json');
    writeFileSync(cfg, '{\n  "workload": { "name": "register" },\n  "concurrency": -2\n}\n');
    const r = await faultline(['test', '--config', cfg, '--store', join(store, 'bad')]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim()).toBe(`faultline: ${cfg}:3: "concurrency" must be >= 1, got -2`);
    expect(existsSync(join(store, 'bad'))).toBe(false);
    const w = await faultline(['test', '--workload', 'register', '--option', 'bogus=1', '--store', join(store, 'bad')]);
    expect(w.exitCode).toBe(3);
    expect(w.stderr).toMatch(/unknown option "bogus"/);
    // A fault this kernel cannot carry (duplicate needs netem) is refused before the run, never faked.
    const d = await faultline(['test', '--nemesis', 'duplicate', '--store', join(store, 'bad'), '--no-progress']);
    expect(d.exitCode, d.all).toBe(3);
    expect(d.stderr.trim().split('\n').at(-1)).toMatch(/^faultline: faults unavailable here: duplicate: /);
    expect(existsSync(join(store, 'bad', 'latest'))).toBe(false);
    expect(existsSync(join(store, 'bad', 'register-leader-follower-sync'))).toBe(false);
  });

  it('a run killed with SIGKILL leaves a history that analyze checks, and no node behind', async () => {
    const dir = join(store, 'killed');
    const child = execa(process.execPath, [bin, 'test', '--time-limit', '60', '--store', dir, '--no-progress', '--rate', '200', '--nemesis', 'none'], { reject: false });
    const history = () => {
      const latest = join(dir, 'latest', 'history.jsonl');
      return lines(latest);
    };
    expect(await waitFor(() => history() > 100, 30_000)).toBe(true);
    expect(nodesMentioning(dir).length).toBe(6); // three nodes, each under its guard
    child.kill('SIGKILL');
    await child;
    expect(await waitFor(() => nodesMentioning(dir).length === 0, 10_000)).toBe(true);
    expect(existsSync(join(dir, 'latest', 'results.json'))).toBe(false);

    const a = await faultline(['analyze', dir]);
    expect(a.exitCode, a.all).toBe(0);
    expect(a.stdout).toMatch(/register-leader-follower-sync: valid · \d+ ops \(\d+ history records\)/);
    const results = JSON.parse(readFileSync(join(dir, 'latest', 'results.json'), 'utf8'));
    expect(results.analyzed).toBe(true);
    expect(existsSync(join(dir, 'latest', 'report.html'))).toBe(true);

    rmSync(join(dir, 'latest', 'report.html'));
    const rep = await faultline(['report', join(dir, 'latest')]);
    expect(rep.exitCode, rep.all).toBe(0);
    expect(readFileSync(join(dir, 'latest', 'report.html'), 'utf8')).toMatch(/<svg/);
  });

  it('SIGINT stops the run early: nodes torn down, what was recorded checked, exit 3 with the reason', async () => {
    const dir = join(store, 'interrupted');
    const child = execa(process.execPath, [bin, 'test', '--time-limit', '60', '--store', dir, '--no-progress', '--nemesis', 'pause', '--nemesis-interval', '0.5'], { reject: false, all: true });
    expect(await waitFor(() => lines(join(dir, 'latest', 'history.jsonl')) > 50, 30_000)).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stdout).toMatch(/the run ended early: interrupted/);
    expect(nodesMentioning(dir)).toEqual([]);
    const results = JSON.parse(readFileSync(join(dir, 'latest', 'results.json'), 'utf8'));
    expect(results.error).toBe('interrupted');
    expect(results.valid).toBe(true);
  });

  it('a run in which no op succeeded (an adapter that never answers) tested nothing: unknown, exit 2', async () => {
    const dir = join(store, 'silent');
    const r = await faultline(['test', '--target', 'stdio', '--system', 'none', '--adapter', 'sleep 600', '--concurrency', '3', '--time-limit', '1.5', '--op-timeout', '0.5', '--store', dir, '--no-progress']);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stdout).toMatch(/^register-stdio: unknown\b.* · (\d+) ops \(\d+ history records\) · seed \d+ · report /m);
    expect(r.stdout).toMatch(/^  no client op succeeded \(\d+ invoked: 0 failed, \d+ timed out or crashed or never completed\), so nothing was tested$/m);
    const results = JSON.parse(readFileSync(join(dir, 'latest', 'results.json'), 'utf8'));
    expect(results).toMatchObject({ valid: 'unknown', reason: 'nothing-to-check', exitCode: 2 });
    expect(results.stats.ok).toBe(0);
  });

  it('analyze and report name what is missing, exit 3', async () => {
    const r = await faultline(['analyze', join(store, 'nowhere')]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/no such store folder/);
  });
});
