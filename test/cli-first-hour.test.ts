// The CLI as a newcomer meets it (issue 19): a store folder checked as a directory, figures printed
// without --json, an --init the model cannot hold, analyze's summary matching test's, and a run in
// which nothing succeeded. Through the real binary, as a user types it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/corpus.js';

const bin = join(repoRoot, 'bin', 'faultline.js');
const tmp = mkdtempSync(join(tmpdir(), 'faultline-first-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function faultline(args: string[], cwd = tmp) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false });
}

/**
 * A register history: writes of 1…n on n1, each followed by a read on n2 that returns the write
 * before it (stale). With `allInfo` every op times out instead, each on a fresh process (Jepsen's
 * rule after an info).
 */
function registerHistory(n: number, opts: { allInfo?: boolean } = {}): string {
  const ops: Record<string, unknown>[] = [];
  let t = 1e6;
  const pair = (process: number, f: string, value: unknown, result: unknown, node: string) => {
    ops.push({ index: ops.length, time: t, type: 'invoke', process, f, value, node });
    t += 2e6;
    ops.push({ index: ops.length, time: t, process, f, node, ...(opts.allInfo ? { type: 'info', value, error: 'timeout' } : { type: 'ok', value: result }) });
    t += 1e6;
  };
  for (let k = 1; k <= n; k++) {
    pair(opts.allInfo ? 2 * k : 0, 'write', k, k, 'n1');
    pair(opts.allInfo ? 2 * k + 1 : 1, 'read', null, k - 1 === 0 ? null : k - 1, 'n2');
  }
  return ops.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

/** A run folder as `faultline test` leaves it, with the files that are not histories. */
function makeRun(store: string, name: string, stamp: string, history: string): string {
  const dir = join(store, name, stamp);
  mkdirSync(join(dir, 'logs', 'n1'), { recursive: true });
  mkdirSync(join(dir, 'data', 'n1'), { recursive: true });
  writeFileSync(join(dir, 'test.json'), JSON.stringify({ name, workload: { name: 'register', options: {} }, target: { type: 'builtin', mode: 'leader-follower-sync', nodes: 3 }, seed: 42, store }, null, 2));
  writeFileSync(join(dir, 'history.jsonl'), history);
  writeFileSync(join(dir, 'results.json'), '{"valid": true}\n');
  writeFileSync(join(dir, 'logs', 'n1', 'node.log'), 'n1 listening\nnot a history\n');
  writeFileSync(join(dir, 'data', 'n1', 'state.jsonl'), '{"term":1,"log":[]}\n');
  return dir;
}

describe('faultline check on a store folder', () => {
  it('reads each run folder for its history only (not test.json, results.json, logs, data, cluster folders)', async () => {
    const store = join(tmp, 'store');
    const a = makeRun(store, 'register-a', '20261130T064609.290Z', registerHistory(6));
    makeRun(store, 'register-b', '20261130T064700.000Z', registerHistory(4));
    symlinkSync('register-a/20261130T064609.290Z', join(store, 'latest'));
    const cluster = join(store, 'clusters', 'builtin');
    mkdirSync(join(cluster, 'logs', 'n1'), { recursive: true });
    for (const f of ['config.json', 'state.json']) writeFileSync(join(cluster, f), '{"status":"up"}\n');
    writeFileSync(join(cluster, 'holder.log'), 'up\n');
    writeFileSync(join(cluster, 'logs', 'n1', 'node.log'), 'listening\n');
    const r = await faultline(['check', '--checker', 'perf', '--json', 'store/']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const files = r.stdout.trim().split('\n').map((l) => JSON.parse(l).file);
    expect(files).toEqual([join('store', 'register-a', '20261130T064609.290Z', 'history.jsonl'), join('store', 'register-b', '20261130T064700.000Z', 'history.jsonl')]);
    // a run folder named directly is its history too
    const one = await faultline(['check', a]);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(one.stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('figures without --json', () => {
  it('perf and staleness print what they measured beside the verdict', async () => {
    writeFileSync(join(tmp, 'reg.jsonl'), registerHistory(8));
    const p = await faultline(['check', '--checker', 'perf', 'reg.jsonl']);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^reg\.jsonl: valid · 16 invocations \(ok latency p50 2\.0 ms, p99 2\.0 ms, max 2\.0 ms · [\d.]+ ok ops\/s\) · perf · \d+ ms$/);
    const s = await faultline(['check', '--checker', 'staleness', 'reg.jsonl']);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^reg\.jsonl: valid · 16 invocations \(8 of 8 reads stale, up to 1 version behind; out of date by p50 [\d.]+ ms, max [\d.]+ ms\) · staleness · \d+ ms$/);
  });
});

describe('--init a model cannot hold', () => {
  it('is an input error before any file is read: one line, exit 3', async () => {
    for (const init of ['{}', '[1]', '3']) {
      const r = await faultline(['check', '--model', 'kv', '--init', init, 'no-such-file.edn']);
      expect(r.exitCode).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^faultline: --init ${init.replace(/[[\]{}]/g, '\\$&')}: the kv model holds a string per key \\(e\\.g\\. --init '""'\\), not an? \\w+$`));
    }
    // a string is a state kv holds
    const ok = await faultline(['check', '--model', 'kv', '--init', '""', 'no-such-file.edn']);
    expect(ok.stderr).toMatch(/no-such-file\.edn/);
  });
});

describe('faultline analyze', () => {
  it('prints the summary faultline test prints: ops and history records, seed, report path as the store was given', async () => {
    const store = join(tmp, 'analyzed');
    const dir = makeRun(store, 'register-leader-follower-sync', '20261130T070000.000Z', registerHistory(5));
    const rel = await faultline(['analyze', 'analyzed/register-leader-follower-sync/20261130T070000.000Z']);
    expect(rel.stderr).toBe('');
    expect(rel.exitCode).toBe(1); // the reads are stale: not linearizable
    const lines = rel.stdout.trim().split('\n');
    expect(lines[0]).toBe('register-leader-follower-sync: INVALID · 10 ops (20 history records) · seed 42 · report analyzed/register-leader-follower-sync/20261130T070000.000Z/report.html');
    expect(lines[1]).toMatch(/^  linearizable: INVALID — process 1's read returning null \(index 3, line 4\) cannot be linearized/);
    expect(lines[2]).toMatch(/^  staleness \(against real time\): 5 of 5 reads stale, up to 1 version behind; out of date by p50 [\d.]+ ms, max [\d.]+ ms$/);
    // given absolutely, the report path stays absolute
    const abs = await faultline(['analyze', dir], '/');
    expect(abs.stdout.split('\n')[0]).toMatch(new RegExp(` · report ${join(dir, 'report.html').replace(/[.]/g, '\\.')}$`));
  });

  it('a run in which no op succeeded tested nothing: unknown, exit 2, saying so', async () => {
    const store = join(tmp, 'silent');
    makeRun(store, 'register-stdio', '20261130T080000.000Z', registerHistory(4, { allInfo: true }));
    const r = await faultline(['analyze', 'silent/register-stdio/20261130T080000.000Z']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^register-stdio: unknown\b.* · 8 ops \(16 history records\) · seed 42 · report /);
    expect(lines).toContain('  no client op succeeded (8 invoked: 0 failed, 8 timed out or crashed or never completed), so nothing was tested');
    const results = JSON.parse(readFileSync(join(store, 'register-stdio', '20261130T080000.000Z', 'results.json'), 'utf8'));
    expect(results).toMatchObject({ valid: 'unknown', reason: 'nothing-to-check', exitCode: 2 });
  });
});
