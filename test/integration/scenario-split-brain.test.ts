// `faultline test --scenario split-brain` from the CLI: site A (n1) cut from site B (n2, n3) for
// 8 s with clients on both sides writing per-user sets, then heal and merge. Redis with Sentinel
// elects a second primary in site B, and when n1 rejoins as a replica what it acknowledged is gone;
// multi-leader-vv takes writes on both sides and keeps each conflicting key's two sides as
// siblings on every node, losing nothing. Both runs' metrics are checked (Redis's replica lag, vv's
// conflicts at the merge), and that the heal and teardown left no namespace, rule or process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { listNamespaces } from '../../control/namespaces.js';
import type { RunMetrics } from '../../metrics/types.js';
import type { SplitBrainFigures } from '../../scenarios/split-brain-measure.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const store = mkdtempSync(join(tmpdir(), 'faultline-split-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

interface SystemRun {
  system: string;
  exitCode: number;
  figures?: SplitBrainFigures;
  dir: string;
  error?: string;
}


it('redis loses acknowledged writes; multi-leader-vv keeps both sides as siblings', { timeout: 240_000 }, async () => {
  const p = await execa(process.execPath, [bin, 'test', '--scenario', 'split-brain', '--time-limit', '8', '--store', store, '--seed', '5', '--json'], { reject: false });
  const out = JSON.parse(p.stdout) as { exitCode: number; verdict: string; dir: string; systems: SystemRun[] };
  const all = JSON.stringify(out.systems);
  const vv = out.systems.find((s) => s.system === 'multi-leader-vv');
  const redis = out.systems.find((s) => s.system === 'redis');
  expect(vv?.figures, all).toBeDefined();
  expect(redis?.figures, all).toBeDefined();

  // Both sides took writes during the partition, on the same users' sets.
  for (const s of [vv!, redis!]) {
    expect(s.figures!.writes.a, `${s.system}: ${all}`).toBeGreaterThan(0);
    expect(s.figures!.writes.b, `${s.system}: ${all}`).toBeGreaterThan(0);
    expect(s.figures!.conflictingKeys, `${s.system}: ${all}`).toBeGreaterThan(0);
  }
  // vv: nothing lost, every conflicting key held as siblings on every node after the merge.
  expect(vv!.figures!.lost.total, all).toBe(0);
  expect(vv!.figures!.siblings?.conflictingKept, all).toBe(vv!.figures!.conflictingKeys);
  expect(vv!.exitCode).toBe(0);
  // redis: the old primary's acknowledged adds in site A are discarded when it rejoins.
  expect(redis!.figures!.lost.a, all).toBeGreaterThan(0);
  expect(redis!.exitCode).toBe(1);
  expect(out.exitCode).toBe(1);
  expect(out.verdict).toMatch(/acknowledged writes lost on redis/);
  expect(readFileSync(join(out.dir, 'report.html'), 'utf8')).toContain('Split brain, replayed');

  // Each run's operator metrics: Redis's replicas' lag (INFO replication), vv's conflicts at the merge.
  const metricsOf = (s: SystemRun) => (JSON.parse(readFileSync(join(s.dir, 'results.json'), 'utf8')) as { metrics: RunMetrics }).metrics.metrics;
  expect(metricsOf(redis!).replicationLag.series?.length, all).toBeGreaterThan(0);
  expect(metricsOf(vv!).conflictRate.series!.some((x) => x.v.some((v) => v > 0))).toBe(true);

  // Healed and torn down: no namespace, iptables rule or process of either run is left.
  const rules = (await Promise.all(['filter', 'nat', 'mangle'].map((t) => execa('iptables', ['-w', '-t', t, '-S'])))).map((r) => r.stdout).join('\n');
  const runIds: string[] = [];
  for (const s of out.systems) {
    const runId = (JSON.parse(readFileSync(join(s.dir, 'test.json'), 'utf8')) as { faultline: { runId: string } }).faultline.runId;
    runIds.push(runId);
    expect(listNamespaces().filter((n) => n.startsWith(`fl-${runId}-`)), s.system).toEqual([]);
    expect(rules, s.system).not.toContain(`faultline:${runId}`);
  }
  // redis-server and Sentinel run in a socket directory named for the run (fl-<run id>-redis-…).
  expect(processesMentioning([store, ...runIds.map((id) => `fl-${id}-`)], { cwd: true })).toEqual([]);
});
