// The metrics derived from samples: each of the five as a time series, every alert crossing with
// when and where, the spike baseline, restarts, shard balance before and after hot keys were
// spread, the alerts' verdict under --alert-fails, and the --alert flags.
import { describe, expect, it } from 'vitest';
import { metricsConfigSchema, parseAlertFlags, type MetricsConfig } from '../metrics/config.js';
import { deriveMetrics, quantiles } from '../metrics/derive.js';
import { alertsVerdict } from '../metrics/run.js';
import type { MetricSample, NodeMetrics } from '../metrics/types.js';
import { resolveConfig } from '../runner/config.js';
import { InputError } from '../histories/errors.js';

const config = (over: Partial<MetricsConfig['alerts']> = {}, alertFails = false): MetricsConfig => ({
  sampleSeconds: 1,
  alertFails,
  alerts: { lagSeconds: 10, conflictSpike: 5, conflictFloor: 1, shardImbalance: 2, cacheHitRate: 0.8, lockWait: null, ...over },
});

/** A sample per second from per-node metrics. */
function samples(rows: Record<string, NodeMetrics | { error: string }>[]): MetricSample[] {
  return rows.map((nodes, i) => ({ t: (i + 1) * 1e9, wallMs: 1_000_000 + (i + 1) * 1000, nodes }));
}

const all = { replicationLag: true, conflictRate: true, shardBalance: true, cacheHitRate: true, lockContention: true } as const;

describe('deriveMetrics', () => {
  it('replication lag per replica, with the crossing of 10 s from its first sample over to its first back under', () => {
    const lag = [0, 5000, 12000, 15000, 3000, 11000];
    const m = deriveMetrics({ samples: samples(lag.map((ms) => ({ n1: { lagMs: { n2: ms, n3: 0 } } }))), capabilities: all, config: config() });
    expect(m.metrics.replicationLag.series!.map((s) => s.name)).toEqual(['n2', 'n3']);
    expect(m.metrics.replicationLag.series![0].v).toEqual([0, 5, 12, 15, 3, 11]);
    expect(m.crossings.map((c) => [c.alert, c.where, c.from, c.to, c.peak])).toEqual([
      ['replicationLag', 'n2', 3, 5, 15],
      ['replicationLag', 'n2', 6, undefined, 11],
    ]);
    expect(m.crossings[0].text).toBe('replication lag of n2 above 10 s from 3.0 s to 5.0 s (peak 15.0 s)');
    expect(m.crossings[1].text).toMatch(/to the end of the run/);
  });

  it('a conflict spike is measured against the mean of the samples before it, never below the floor', () => {
    // 2/s for six seconds, then 30/s: the limit is 5 × 2 = 10/s.
    const totals = [0, 2, 4, 6, 8, 10, 12, 42, 44];
    const m = deriveMetrics({ samples: samples(totals.map((c) => ({ n1: { counters: { conflicts: c } } }))), capabilities: all, config: config() });
    expect(m.metrics.conflictRate.series![0].v).toEqual([2, 2, 2, 2, 2, 2, 30, 2]);
    expect(m.metrics.conflictRate.limit!.v.slice(1, 7)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(m.crossings).toHaveLength(1);
    expect(m.crossings[0]).toMatchObject({ alert: 'conflictRate', where: 'cluster', from: 8, to: 9, peak: 30, threshold: 10 });
    // The floor (1/s): a first conflict after a quiet start is no spike unless it is above 5/s.
    const quiet = deriveMetrics({ samples: samples([0, 0, 0, 3].map((c) => ({ n1: { counters: { conflicts: c } } }))), capabilities: all, config: config() });
    expect(quiet.crossings).toEqual([]);
  });

  it('a counter that went down is a restart: the interval counts from zero', () => {
    const m = deriveMetrics({ samples: samples([100, 110, 4, 8].map((c) => ({ n1: { counters: { conflicts: c } } }))), capabilities: all, config: config() });
    expect(m.metrics.conflictRate.series![0].v).toEqual([10, 4, 4]);
  });

  it('shard balance: each shard ÷ the mean; over 2× crosses; balance before and after a hot key was spread', () => {
    const rows: Record<string, NodeMetrics>[] = [];
    const c = { n1: 0, n2: 0, n3: 0 };
    for (let s = 0; s < 8; s++) {
      const spreadNow = s === 4;
      const [a, b, d] = s < 4 ? [80, 10, 10] : [35, 35, 30];
      c.n1 += a;
      c.n2 += b;
      c.n3 += d;
      rows.push({
        n1: { counters: { shardRequests: c.n1 }, ...(spreadNow ? { events: [{ atMs: 1_000_000 + (s + 1) * 1000 - 900, kind: 'hot-key', text: 'hot key 0 spread over 3 sub-shards' }] } : {}) },
        n2: { counters: { shardRequests: c.n2 } },
        n3: { counters: { shardRequests: c.n3 } },
      });
    }
    const m = deriveMetrics({ samples: samples(rows), capabilities: all, config: config() });
    const n1 = m.metrics.shardBalance.series!.find((s) => s.name === 'n1')!;
    expect(n1.v[0]).toBeCloseTo(2.4, 3);
    expect(m.crossings).toHaveLength(1);
    expect(m.crossings[0]).toMatchObject({ alert: 'shardBalance', where: 'n1', from: 2, to: 5 });
    expect(m.events).toEqual([{ t: 4.1, node: 'n1', kind: 'hot-key', text: 'hot key 0 spread over 3 sub-shards' }]);
    expect(m.balance!.before).toBeCloseTo(2.4, 3);
    expect(m.balance!.after).toBeCloseTo(1.05, 2);
    expect(m.metrics.shardBalance.note).toMatch(/2\.40× the mean before, 1\.05× after/);
  });

  it('a spread just before a sample: the interval it ends counts as before (most of it was)', () => {
    const rows: Record<string, NodeMetrics>[] = [];
    const c = { n1: 0, n2: 0, n3: 0 };
    for (let s = 0; s < 6; s++) {
      const [a, b, d] = s < 2 ? [80, 10, 10] : [35, 35, 30];
      c.n1 += a;
      c.n2 += b;
      c.n3 += d;
      // The spread at 1.99 s, 10 ms before the sample at 2 s that ends the one hot interval.
      const events = s === 1 ? { events: [{ atMs: 1_000_000 + 1990, kind: 'hot-key', text: 'hot key 0 spread' }] } : {};
      rows.push({ n1: { counters: { shardRequests: c.n1 }, ...events }, n2: { counters: { shardRequests: c.n2 } }, n3: { counters: { shardRequests: c.n3 } } });
    }
    const m = deriveMetrics({ samples: samples(rows), capabilities: all, config: config() });
    expect(m.balance).toEqual({ spreadAt: 1.99, before: 2.4, after: 1.05 });
  });

  it('a shard that did not answer leaves its interval out of the balance (no false zero)', () => {
    const m = deriveMetrics({
      samples: samples([
        { n1: { counters: { shardRequests: 0 } }, n2: { counters: { shardRequests: 0 } } },
        { n1: { counters: { shardRequests: 50 } }, n2: { error: 'timeout' } },
        { n1: { counters: { shardRequests: 100 } }, n2: { counters: { shardRequests: 100 } } },
      ]),
      capabilities: all,
      config: config(),
    });
    expect(m.metrics.shardBalance.notMeasured).toMatch(/no interval with 20 or more/);
    expect(m.crossings).toEqual([]);
  });

  it('cache hit rate per node below 80% crosses; quiet intervals give no rate', () => {
    const rows = [
      [0, 0],
      [90, 10],
      [130, 70],
      [132, 71],
    ].map(([hits, misses]) => ({ n2: { counters: { cacheHits: hits, cacheMisses: misses } } }));
    const m = deriveMetrics({ samples: samples(rows), capabilities: all, config: config() });
    const n2 = m.metrics.cacheHitRate.series!.find((s) => s.name === 'n2')!;
    expect(n2.v).toEqual([90, 40]);
    expect(m.crossings).toMatchObject([{ alert: 'cacheHitRate', where: 'n2', from: 3, peak: 40, threshold: 80 }]);
  });

  it('what a target cannot measure says why; a switched-off alert draws no threshold', () => {
    const m = deriveMetrics({
      samples: samples([{ n1: { lagMs: { n2: 20000 } } }]),
      capabilities: { replicationLag: true, lockContention: 'no locks here' },
      config: config({ lagSeconds: null }),
    });
    expect(m.metrics.lockContention.notMeasured).toBe('no locks here');
    expect(m.metrics.shardBalance.notMeasured).toBe('not measured for this target');
    expect(m.metrics.replicationLag.threshold).toBeUndefined();
    expect(m.crossings).toEqual([]);
  });

  it('pools the followers’ per-entry samples into quantiles and a throughput', () => {
    const m = deriveMetrics({
      samples: samples([{ n2: { lagSamplesMs: [10, 12, 14], queueSamples: [0, 1, 2], applySamplesMs: [2, 2, 2] } }, { n3: { lagSamplesMs: [11], queueSamples: [0], applySamplesMs: [2] } }]),
      capabilities: all,
      config: config(),
    });
    expect(m.replication).toEqual({
      lagMs: quantiles([10, 11, 12, 14]),
      queueDepth: quantiles([0, 0, 1, 2]),
      applyMs: quantiles([2, 2, 2, 2]),
      transitMs: quantiles([]),
      waitMs: quantiles([]),
      throughputPerSecond: 500,
    });
    expect(quantiles([1, 2, 3, 4, 100])).toEqual({ count: 5, mean: 22, p50: 3, p99: 100, max: 100 });
  });

  it("with each entry's transit too, the lag formula per entry: transit + depth ÷ throughput + apply", () => {
    const entries = { lagSamplesMs: [12, 20, 30], transitSamplesMs: [10, 10, 10], waitSamplesMs: [0, 8, 18], queueSamples: [0, 2, 4], applySamplesMs: [2, 2, 2] };
    const m = deriveMetrics({ samples: samples([{ n2: entries }]), capabilities: all, config: config() });
    // 500 entries/s: a depth of 2 waits 4 ms, of 4 waits 8 ms.
    expect(m.replication!.formulaMs).toEqual(quantiles([12, 16, 20]));
  });
});

describe('alerts', () => {
  it('fail the run only under --alert-fails, naming which alert, when and where', () => {
    const m = deriveMetrics({ samples: samples([0, 12000].map((ms) => ({ n1: { lagMs: { n3: ms } } }))), capabilities: all, config: config() });
    expect(alertsVerdict(m, config())).toBeUndefined();
    const v = alertsVerdict(m, config({}, true))!;
    expect(v.valid).toBe(false);
    expect(v.explanation).toBe('1 alert crossed (--alert-fails): replication lag of n3 above 10 s from 2.0 s to the end of the run (peak 12.0 s)');
  });

  it('--alert NAME=VALUE sets thresholds (off switches one off); the config carries them', () => {
    const into: Record<string, unknown> = {};
    parseAlertFlags(['lagSeconds=5', 'cacheHitRate=90%', 'conflictSpike=off'], into);
    expect(into).toEqual({ lagSeconds: 5, cacheHitRate: 0.9, conflictSpike: null });
    expect(() => parseAlertFlags(['lag=5'], {})).toThrow(InputError);
    expect(() => parseAlertFlags(['lagSeconds=soon'], {})).toThrow('--alert lagSeconds=soon: the threshold must be a number (or off), e.g. --alert lagSeconds=10');
    const c = resolveConfig({ metrics: { alerts: into, alertFails: true } }, 'flags');
    expect(c.metrics).toEqual({ sampleSeconds: 1, alertFails: true, alerts: { lagSeconds: 5, conflictSpike: null, conflictFloor: 1, shardImbalance: 2, cacheHitRate: 0.9, lockWait: null } });
    expect(Object.keys(metricsConfigSchema.properties.alerts.properties)).toEqual(['lagSeconds', 'conflictSpike', 'conflictFloor', 'shardImbalance', 'cacheHitRate', 'lockWait']);
    expect(() => resolveConfig({ metrics: { alerts: { shardImbalance: -1 } } }, 'x.json')).toThrow(/x\.json: "metrics\.alerts\.shardImbalance" must be > 0/);
  });
});
