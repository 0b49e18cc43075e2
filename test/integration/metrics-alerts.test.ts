// The operator's metrics and alerts from the CLI (docs/metrics.md), on the built-in store: a hot
// key drives its shard over the 2× shard-balance alert (and --alert-fails turns that into exit 1
// naming the alert, when and where), the adaptive mode spreads the key and brings the shard back
// under, and the cache mode's write-through invalidation serves stale reads where event-driven
// does not, with the hit rate measured. Four short runs, no faults, each
// describe's two at once (they mostly wait on their child process).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../metrics/types.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const store = mkdtempSync(join(tmpdir(), 'faultline-metrics-'));
afterAll(() => {
  // Every run's nodes were stopped.
  expect(processesMentioning(store)).toEqual([]);
  rmSync(store, { recursive: true, force: true });
});


interface Outcome {
  exitCode: number;
  out: string;
  results: Record<string, unknown> & { metrics: RunMetrics };
  dir: string;
}

async function faultline(args: string[]): Promise<Outcome> {
  const p = await execa(process.execPath, [bin, 'test', '--nemesis', 'none', '--store', store, '--seed', '3', '--rate', '300', '--concurrency', '6', ...args], { reject: false, all: true });
  const m = /report (\S+)\/report\.html/.exec(p.stdout);
  if (!m) throw new Error(`no report line in:\n${p.all}`);
  const dir = resolve(store, m[1]);
  return { exitCode: p.exitCode ?? -1, out: p.stdout, dir, results: JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) };
}

// 80% of the ops on set 0: its shard takes well over twice the mean of three.
const HOT = ['--mode', 'sharded', '--workload', 'set', '--option', 'keys=12', '--option', 'keyDistribution=hot:0:0.8', '--time-limit', '6'];

describe.concurrent('shard balance', () => {
  it('a hot key drives its shard over the 2× alert; --alert-fails exits 1 saying which alert, when and where', async () => {
    const o = await faultline([...HOT, '--alert-fails']);
    expect(o.exitCode, o.out).toBe(1);
    const c = o.results.metrics.crossings.filter((x) => x.alert === 'shardBalance');
    expect(c.length, JSON.stringify(o.results.metrics.crossings)).toBeGreaterThan(0);
    expect(c[0].peak).toBeGreaterThan(2);
    expect(o.results['set-full']).toMatchObject({ valid: true });
    // The summary line names the alert, the shard and the interval.
    expect(o.out).toMatch(/alerts: INVALID — 1 alert crossed \(--alert-fails\): shard n\d took more than 2× the mean shard's requests from [\d.]+ s to (?:[\d.]+ s|the end of the run) \(peak [\d.]+×\)/);
    // Sampling ended before the final reads (faultline's own sweep over every key is no workload).
    const firstFinal = Math.min(...readFileSync(join(o.dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { final?: boolean; time: number }).filter((op) => op.final && op.time !== undefined).map((op) => op.time));
    const sampled = readFileSync(join(o.dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t?: number }).filter((x) => x.t !== undefined).map((x) => x.t!);
    expect(Number.isFinite(firstFinal)).toBe(true);
    expect(Math.max(...sampled)).toBeLessThanOrEqual(firstFinal);
    const report = readFileSync(join(o.dir, 'report.html'), 'utf8');
    expect(report).toContain('id="metric-shardBalance"');
    expect(report).toContain('Alerts crossed');
  });

  it('adaptive spreads the hot key over sub-shards: the busiest shard comes back under 2× and stays there', async () => {
    // The spread comes within the first second's window; sampling every 0.25 s gives the balance
    // before it whole intervals of its own (at 1 s the one interval before is half after the
    // spread, and on a loaded machine read as low as 1.8×).
    const config = join(store, 'sample-quarter-second.json');
    writeFileSync(config, JSON.stringify({ metrics: { sampleSeconds: 0.25 } }));
    const o = await faultline([...HOT, '--option', 'adaptive=true', '--config', config]);
    const { balance, crossings, events } = o.results.metrics;
    expect(events.some((e) => e.kind === 'hot-key'), JSON.stringify(events)).toBe(true);
    expect(balance, o.out).toBeDefined();
    expect(balance!.before).toBeGreaterThan(2);
    expect(balance!.after).toBeLessThan(2);
    // Any crossing ended within two windows of the spread (detection takes one second's window).
    for (const c of crossings.filter((x) => x.alert === 'shardBalance')) {
      expect(c.to, c.text).toBeDefined();
      expect(c.to!).toBeLessThan(balance!.spreadAt + 2.5);
    }
    expect(o.results['set-full']).toMatchObject({ valid: true });
    expect(readFileSync(join(o.dir, 'report.html'), 'utf8')).toContain('Hot keys spread at');
  });
});

describe.concurrent('cache mode', () => {
  // A 30 ms gap between a miss's read of the store and its fill lets a write land in between.
  const CACHE = ['--mode', 'cache', '--workload', 'register', '--option', 'keys=3', '--option', 'fillDelayMs=30', '--time-limit', '4'];

  it('write-through: a fill overtaken by a write leaves a stale entry, and the register checkers find its reads', async () => {
    const o = await faultline([...CACHE, '--option', 'invalidation=write-through']);
    expect(o.exitCode, o.out).toBe(1);
    expect(o.results.linearizable).toMatchObject({ valid: false });
    expect(o.results.metrics.metrics.cacheHitRate.series?.length).toBeGreaterThanOrEqual(3);
  });

  it('event-driven: caches follow the replication stream, so no read is stale', async () => {
    // Reads outnumber changes here (as in cache-range-cli.test.ts): at the even mix, writes and
    // cas to three registers invalidate each key every ~15 ms: 0 to 14% hits, whole intervals at 0
    // on a quiet machine; at reads=4 (two reads to a write or cas), 8 to 39%.
    const o = await faultline([...CACHE, '--option', 'reads=4', '--option', 'invalidation=event-driven']);
    expect(o.exitCode, o.out).toBe(0);
    expect(o.results.linearizable).toMatchObject({ valid: true });
    const hits = o.results.metrics.metrics.cacheHitRate;
    expect(hits.notMeasured).toBeUndefined();
    expect(hits.series!.some((s) => s.v.some((v) => v > 0))).toBe(true);
  });
});
