// `faultline test --scenario lag-formula` from the CLI on the built-in store: three settings of
// link latency, write rate and apply time on leader-follower-async, each a 4 s run; the formula's
// p50 and p99 must come within the stated tolerance (LAG_TOLERANCE: p50 25 % or 5 ms, p99 40 % or
// 10 ms) of the measured lag in every setting, and the summary line, scenario.json and report.html must say so.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { LAG_SETTINGS } from '../../scenarios/lag-formula.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const store = mkdtempSync(join(tmpdir(), 'faultline-lag-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));


interface Row {
  setting: { linkLatencyMs: number };
  prediction: { terms: { networkMs: { p50: number } }; predicted: { p50: number; p99: number }; measured: { p50: number; p99: number } };
  within: { p50: boolean; p99: boolean };
}

it('the lag formula predicts the measured p50 and p99 within tolerance at every setting', { timeout: 120_000 }, async () => {
  const p = await execa(process.execPath, [bin, 'test', '--scenario', 'lag-formula', '--time-limit', '4', '--store', store, '--seed', '11', '--json'], { reject: false });
  const out = JSON.parse(p.stdout) as { exitCode: number; verdict: string; dir: string; settings: Row[] };
  const figures = JSON.stringify(out.settings.map((r) => [r.setting, r.prediction?.predicted, r.prediction?.measured]));
  expect(p.exitCode, `${out.verdict}\n${figures}\n${p.stderr.slice(-2000)}`).toBe(0);
  expect(out.settings).toHaveLength(LAG_SETTINGS.length);
  for (const r of out.settings) {
    expect(r.within, figures).toEqual({ p50: true, p99: true });
    // The measured network term is the set link latency plus the leader's sending, never less.
    expect(r.prediction.terms.networkMs.p50).toBeGreaterThanOrEqual(r.setting.linkLatencyMs);
  }
  // Lag grows with the setting: the last (50 ms link, 7 ms apply) is well above the first.
  expect(out.settings[2].prediction.measured.p50).toBeGreaterThan(out.settings[0].prediction.measured.p50 * 2);
  const report = readFileSync(join(out.dir, 'report.html'), 'utf8');
  expect(report).toContain('Lag = network latency + queue depth / throughput + processing time');
  expect(existsSync(join(out.dir, 'scenario.json'))).toBe(true);

  // The summary line a person reads.
  const text = await execa(process.execPath, [bin, 'test', '--scenario', 'lag-formula', '--mode', 'cache', '--store', store], { reject: false });
  expect(text.exitCode).toBe(3);
  expect(text.stderr).toMatch(/--scenario lag-formula sets the target, workload and faults itself: --mode does not apply/);
  // Every run's nodes were stopped.
  expect(processesMentioning(store)).toEqual([]);
});
