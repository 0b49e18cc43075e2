// report/run-metrics.ts: the report's "Metrics and alerts" section. Each measured metric is
// plotted with its threshold drawn as a dashed red line (a spike alert as a moving dashed limit).
// Every crossing is listed with which alert, where and when. Metrics not measured say why.
import { describe, expect, it } from 'vitest';
import { deriveMetrics } from '../metrics/derive.js';
import type { MetricSample } from '../metrics/types.js';
import { renderMetricsSection, THRESHOLD_COLOR } from '../report/run-metrics.js';
import { builtinCapabilities } from '../metrics/sources/builtin.js';

const config = { sampleSeconds: 1, alertFails: false, alerts: { lagSeconds: 10, conflictSpike: 5, conflictFloor: 1, shardImbalance: 2, cacheHitRate: 0.8, lockWait: null } };

/** Six samples of a sharded cluster: n1's shard takes 8 of every 10 requests from the third on. */
function sharded(): MetricSample[] {
  const out: MetricSample[] = [];
  const totals = { n1: 0, n2: 0, n3: 0 };
  for (let i = 0; i < 6; i++) {
    const hot = i >= 2;
    totals.n1 += hot ? 80 : 34;
    totals.n2 += hot ? 10 : 33;
    totals.n3 += hot ? 10 : 33;
    out.push({ t: i * 1e9, wallMs: 1e12 + i * 1000, nodes: Object.fromEntries(Object.entries(totals).map(([n, v]) => [n, { counters: { shardRequests: v } }])) });
  }
  return out;
}

describe('the metrics section', () => {
  it('plots the measured metric with its threshold as a dashed red line, and lists the crossing', async () => {
    const m = deriveMetrics({ samples: sharded(), capabilities: builtinCapabilities('sharded'), config });
    expect(m.crossings).toHaveLength(1);
    const html = await renderMetricsSection(m, { intervals: [], events: [] }, { timed: true, origin: 0, end: 5e9 });
    const plot = html.slice(html.indexOf('id="metric-shardBalance"'));
    expect(plot).toContain('<svg');
    // The threshold: a dashed rule in the alert colour, and the legend says what it is.
    expect(plot).toMatch(new RegExp(`stroke="${THRESHOLD_COLOR}"[^>]*stroke-dasharray|stroke-dasharray[^>]*stroke="${THRESHOLD_COLOR}"`));
    expect(plot).toContain('alert above 2 × mean');
    expect(html).toContain('Alerts crossed (1)');
    expect(html).toContain('shard n1 took more than 2× the mean shard&#39;s requests from 2.0 s to the end of the run');
    // What sharded cannot report is listed, with why.
    expect(html).toContain('Not measured');
    expect(html).toContain('sharded keeps one copy of each key: nothing is replicated');
  });

  it('a spike alert draws its moving limit; with no crossing it says so', async () => {
    const samples: MetricSample[] = [0, 1, 2, 3].map((i) => ({ t: i * 1e9, wallMs: 1e12 + i * 1000, nodes: { n1: { counters: { conflicts: i } } } }));
    const m = deriveMetrics({ samples, capabilities: builtinCapabilities('multi-leader-lww'), config });
    expect(m.metrics.conflictRate.limit?.v).toEqual([5, 5, 5]);
    const html = await renderMetricsSection(m, { intervals: [], events: [] }, { timed: true, origin: 0, end: 3e9 });
    expect(html.slice(html.indexOf('id="metric-conflictRate"'))).toContain('alert above 5× the baseline');
    expect(html).toContain('No alert crossed its threshold.');
  });
});
