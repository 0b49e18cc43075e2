// `faultline test` with no nemesis named: faults by default on the built-in store — kill and pause
// always, partitions when the machine allows them — and the first line of output says which. As
// root here; as an unprivileged user (setpriv to nobody) partitions are left out, saying why.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const bin = resolve('bin/faultline.js');
const store = mkdtempSync(join(tmpdir(), 'faultline-first-run-'));
chmodSync(store, 0o777);
afterAll(() => rmSync(store, { recursive: true, force: true }));

function test(args: string[], user?: number) {
  const argv = [bin, 'test', '--no-progress', ...args];
  return user === undefined
    ? execa(process.execPath, argv, { cwd: store, reject: false })
    : execa('setpriv', [`--reuid=${user}`, `--regid=${user}`, '--clear-groups', 'env', `HOME=${store}`, process.execPath, ...argv], { cwd: store, reject: false });
}

function runOf(dir: string) {
  const test = JSON.parse(readFileSync(join(dir, 'latest', 'test.json'), 'utf8'));
  const nemesis = readFileSync(join(dir, 'latest', 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((o) => o.process === 'nemesis');
  return { test, nemesis };
}

describe('faultline test with no --nemesis', () => {
  it('as root: kill, pause and partition, said on the first line; the nodes in namespaces; a fault injected', async () => {
    const dir = join(store, 'root');
    const r = await test(['--time-limit', '4', '--nemesis-interval', '1', '--store', dir]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe('nemesis: kill, pause, partition every 1 s (the default; --nemesis none for a run without faults, --nemesis LIST to choose)');
    const { test: t, nemesis } = runOf(dir);
    expect(t.nemesis.faults).toEqual(['kill', 'pause', 'partition']);
    expect(t.target.network).toBe('netns');
    expect(nemesis.some((o) => /^start-(kill|pause|partition)$/.test(o.f))).toBe(true);
  });

  it('as an unprivileged user: kill and pause, partitions left out and why', async () => {
    const dir = join(store, 'nobody');
    const r = await test(['--time-limit', '4', '--nemesis-interval', '1', '--store', dir], 65534);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(
      'nemesis: kill, pause every 1 s (the default; --nemesis none for a run without faults, --nemesis LIST to choose); partitions left out: network namespaces and iptables need root (run faultline as root)',
    );
    const { test: t, nemesis } = runOf(dir);
    expect(t.nemesis.faults).toEqual(['kill', 'pause']);
    expect(t.target.network).toBe('local');
    expect(nemesis.some((o) => /^start-(kill|pause)$/.test(o.f))).toBe(true);
  });

  it('--nemesis none runs without faults and says nothing about them', async () => {
    const dir = join(store, 'none');
    const r = await test(['--time-limit', '1', '--nemesis', 'none', '--store', dir]);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/nemesis:/);
    expect(runOf(dir).test.nemesis.faults).toEqual([]);
  });
});
