// A second Ctrl-C means "quit now": faultline exits 130 without checking, but only after removing
// the run's namespaces, the processes in them and its tagged rules (best-effort healing).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { listNamespaces } from '../../control/namespaces.js';

const bin = resolve('bin/faultline.js');
const store = mkdtempSync(join(tmpdir(), 'faultline-sigint2-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pred();
}

it('a second SIGINT during a partition exits 130 and leaves no namespace or rule of the run', async () => {
  const child = execa(process.execPath, [bin, 'test', '--time-limit', '60', '--store', store, '--no-progress', '--nemesis', 'partition', '--nemesis-interval', '0.5'], { reject: false, all: true });
  const history = join(store, 'latest', 'history.jsonl');
  const partitioned = () => existsSync(history) && readFileSync(history, 'utf8').includes('"start-partition"');
  expect(await waitFor(partitioned, 30_000)).toBe(true);
  const runId = JSON.parse(readFileSync(join(store, 'latest', 'test.json'), 'utf8')).faultline.runId as string;
  expect(listNamespaces().some((n) => n.includes(runId))).toBe(true);
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  const r = await child;
  expect(r.exitCode, r.all).toBe(130);
  expect(listNamespaces().filter((n) => n.includes(runId))).toEqual([]);
  const rules = await execa('iptables', ['-w', '-S'], { reject: false });
  expect(rules.stdout).not.toContain(`faultline:${runId}`);
}, 60_000);

// A terminal closed while a SIGTERM reaches the job: the hang-up may arrive first (the kernel
// delivers the lower-numbered pending signal first). That is one request to stop: the run heals,
// checks what it recorded and writes results.json (signal-stress once saw it quit at once instead).
it('a hang-up, then the SIGTERM it came with, stops gracefully and checks what was recorded', async () => {
  const store2 = join(store, 'hup');
  // execa's kill() would SIGKILL after 5 s: ops in flight to a paused node may take the op timeout (5 s) to end.
  const child = execa(process.execPath, [bin, 'test', '--time-limit', '60', '--store', store2, '--no-progress', '--nemesis', 'pause', '--nemesis-interval', '0.5'], { reject: false, all: true, forceKillAfterDelay: false });
  const history = join(store2, 'latest', 'history.jsonl');
  const paused = () => existsSync(history) && readFileSync(history, 'utf8').includes('"start-pause"');
  expect(await waitFor(paused, 30_000)).toBe(true);
  child.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  const r = await child;
  expect(r.all).toContain('faultline: SIGHUP: stopping');
  expect(r.all).not.toMatch(/SIG[A-Z]+ again/);
  // An interrupted run exits 3 (it ran short), but after checking what it recorded.
  expect(r.exitCode, r.all).toBe(3);
  expect(r.all).toMatch(/checking \d+ ops/);
  expect(existsSync(join(store2, 'latest', 'results.json'))).toBe(true);
}, 60_000);
