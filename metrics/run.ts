// The metrics as a run uses them: a sampler started once the cluster is up and stopped before it
// is torn down, and, after the checkers, the metrics derived from the run folder's metrics.jsonl
// put in results.json — with, under --alert-fails, a verdict that fails the run on any crossing.
import { join } from 'node:path';
import type { Result } from '../checker/types.js';
import type { Target } from '../targets/types.js';
import type { MetricsConfig } from './config.js';
import { deriveMetrics } from './derive.js';
import { METRICS_FILE, MetricsSampler, readMetricsFile } from './sampler.js';
import type { RunMetrics } from './types.js';

/** Starts sampling `target` into `dir`/metrics.jsonl; what it cannot sample is recorded as such. */
export async function startMetrics(target: Target, kind: string, dir: string, now: () => number, config: MetricsConfig): Promise<MetricsSampler | undefined> {
  // Loaded here, not at start-up: `faultline analyze` and `report` only read what was sampled.
  const { metricsSourceFor } = await import('./sources/index.js');
  const { source, capabilities } = await metricsSourceFor(target, kind);
  const sampler = new MetricsSampler(
    source ?? { metricCapabilities: () => capabilities, sampleMetrics: async () => ({}) },
    join(dir, METRICS_FILE),
    now,
    config.sampleSeconds,
    capabilities,
  );
  if (source) sampler.start();
  else await sampler.stop();
  return source ? sampler : undefined;
}

/** The run's metrics from its folder (undefined for a run recorded without them). */
export function runMetrics(dir: string, config: MetricsConfig): RunMetrics | undefined {
  const file = readMetricsFile(join(dir, METRICS_FILE));
  if (file === undefined) return undefined;
  return deriveMetrics({ samples: file.samples, capabilities: file.capabilities, config });
}

/** The alerts' verdict: invalid when any alert crossed and crossings fail the run. */
export function alertsVerdict(m: RunMetrics, config: MetricsConfig): Result | undefined {
  if (!config.alertFails) return undefined;
  if (m.crossings.length === 0) return { valid: true, crossings: 0 };
  const n = m.crossings.length;
  return {
    valid: false,
    crossings: n,
    explanation: `${n} alert${n === 1 ? '' : 's'} crossed (--alert-fails): ${m.crossings.slice(0, 3).map((c) => c.text).join('; ')}${n > 3 ? `; and ${n - 3} more (results.json metrics.crossings)` : ''}`,
  };
}

/** `result` with the run's metrics, and the alerts' verdict merged in when crossings fail the run. */
export function withMetrics(result: Result, dir: string, config: MetricsConfig): Result {
  const m = runMetrics(dir, config);
  if (m === undefined) return result;
  const verdict = alertsVerdict(m, config);
  if (verdict === undefined) return { ...result, metrics: m };
  const out: Result = { ...result, alerts: verdict, metrics: m };
  if (verdict.valid === false && result.valid !== false) {
    out.valid = false;
    out.explanation = `alerts: ${String(verdict.explanation)}`;
    delete out.reason;
  }
  return out;
}
