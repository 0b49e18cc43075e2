// The report's Metrics section (docs/metrics.md): each measured metric over time, a line per node
// (or replica, or shard), the faults shaded as in the other plots, the alert's threshold drawn as a
// dashed red line (a spike alert's moving limit as a dashed red curve), and then every crossing,
// the store's own events (hot keys spread) and why a metric was not measured.
import type { FaultTimeline } from './fault-intervals.js';
import { escapeHtml as esc } from './html.js';
import { baseSpec, faultLayers, faultLayerSpecs, type Layer, plotDomain, round } from './run-plots.js';
import { binWidth, type TimeAxis } from './run-series.js';
import { vegaLiteSvg } from './vega-svg.js';
import type { MetricName, MetricSeries, RunMetrics } from '../metrics/types.js';
import { METRIC_NAMES } from '../metrics/types.js';

const HEIGHT = 150;
const ALERT_NAMES: Record<MetricName, string> = {
  replicationLag: 'replication lag',
  conflictRate: 'conflict rate',
  shardBalance: 'shard balance',
  cacheHitRate: 'cache hit rate',
  lockContention: 'lock contention',
};
export const THRESHOLD_COLOR = '#d40000';
const SERIES_COLORS = ['#4c78a8', '#54a24b', '#b279a2', '#f58518', '#72b7b2', '#9d755d', '#eeca3b', '#ff9da6', '#bab0ac', '#79706e'];

function seriesColors(m: MetricSeries): Map<string, string> {
  return new Map((m.series ?? []).map((s, i) => [s.name, s.name === 'all nodes' ? '#1d1d1f' : SERIES_COLORS[i % SERIES_COLORS.length]]));
}

function thresholdText(m: MetricSeries): string {
  const t = m.threshold;
  if (!t) return 'no alert set';
  if (t.kind === 'spike') return `alert above ${t.value}× the baseline (the mean of the samples before)`;
  return `alert ${t.kind} ${t.value}${m.unit === '%' ? '%' : ` ${m.unit}`}`;
}

async function metricPlot(name: MetricName, m: MetricSeries, faults: FaultTimeline, axis: TimeAxis, domainSeconds: number): Promise<string> {
  const colors = seriesColors(m);
  const values: { t: number; v: number; s: string }[] = [];
  let hi = 0;
  for (const s of m.series ?? []) {
    s.t.forEach((t, i) => {
      values.push({ t, v: s.v[i], s: s.name });
      hi = Math.max(hi, s.v[i]);
    });
  }
  const layers: Layer[] = [];
  const { under, over } = faultLayerSpecs(faultLayers(faults, axis, domainSeconds));
  layers.push(...under);
  const limitValues = m.limit ? m.limit.t.map((t, i) => ({ t, v: m.limit!.v[i] })) : [];
  if (m.threshold && m.threshold.kind !== 'spike') hi = Math.max(hi, m.threshold.value);
  for (const p of limitValues) hi = Math.max(hi, p.v);
  const top = name === 'cacheHitRate' ? 100 : hi > 0 ? hi * 1.1 : 1;
  const y = { field: 'v', type: 'quantitative', scale: { domain: [0, round(top, 3)], nice: false }, axis: { title: m.unit, format: '~g' } };
  layers.push({
    data: { values },
    mark: { type: 'line', point: { filled: true, size: 16 }, strokeWidth: 1.6, clip: true },
    encoding: {
      y,
      color: { field: 's', type: 'nominal', scale: { domain: [...colors.keys()], range: [...colors.values()] }, legend: null },
    },
  });
  if (m.threshold && m.threshold.kind !== 'spike') {
    layers.push({
      data: { values: [{ t: 0, t2: round(domainSeconds, 6), v: m.threshold.value }] },
      mark: { type: 'rule', color: THRESHOLD_COLOR, strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { x2: { field: 't2' }, y: { field: 'v', type: 'quantitative' } },
    });
  }
  if (limitValues.length > 0) {
    layers.push({
      data: { values: limitValues },
      mark: { type: 'line', color: THRESHOLD_COLOR, strokeDash: [6, 4], strokeWidth: 1.5, clip: true, interpolate: 'step-before' },
      encoding: { y: { field: 'v', type: 'quantitative' } },
    });
  }
  layers.push(...over);
  const r = await vegaLiteSvg(baseSpec(HEIGHT, domainSeconds, layers), `${m.title} over time, with its alert threshold`);
  return r.svg;
}

function legend(m: MetricSeries): string {
  const items = [...seriesColors(m)].map(([n, c]) => `<li><span class="swatch" style="background:${c}"></span>${esc(n)}</li>`);
  if (m.threshold) items.push(`<li><span class="dash" style="border-left-color:${THRESHOLD_COLOR}"></span>${esc(thresholdText(m))}</li>`);
  return `<ul class="legend">${items.join('')}</ul>`;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** The Metrics section; `undefined` metrics (a run recorded before them) say so. */
export async function renderMetricsSection(metrics: RunMetrics | undefined, faults: FaultTimeline, axis: TimeAxis): Promise<string> {
  const out = ['<h2 id="metrics">Metrics and alerts</h2>'];
  if (metrics === undefined) {
    out.push('<p>This run recorded no metrics (it was made before faultline sampled its nodes).</p>');
    return out.join('\n');
  }
  out.push(
    `<p class="muted">The operator's five metrics, sampled every ${fmt(metrics.sampleSeconds)} s (${metrics.samples} samples), each alert's threshold drawn as a dashed red line; faults shaded as above. Thresholds are options (--alert NAME=VALUE); --alert-fails makes a crossing fail the run.</p>`,
  );
  const span = Math.max((axis.end - axis.origin) / 1e9, 0.001);
  const domainSeconds = plotDomain(span, binWidth(span));
  const missing: string[] = [];
  for (const name of METRIC_NAMES) {
    const m = metrics.metrics[name];
    if (!m) continue;
    if (m.notMeasured !== undefined || !m.series) {
      missing.push(`<li><strong>${esc(m.title)}</strong>: not measured — ${esc(m.notMeasured ?? 'no data')}</li>`);
      continue;
    }
    const svg = axis.timed ? await metricPlot(name, m, faults, axis, domainSeconds) : '';
    out.push(`<figure class="plot" id="metric-${name}"><h3>${esc(m.title)}</h3>${legend(m)}${svg}${m.note ? `<p>${esc(m.note)}</p>` : ''}</figure>`);
  }
  if (metrics.crossings.length > 0) {
    const rows = metrics.crossings.map(
      (c) =>
        `<tr><td class="nw">${esc(ALERT_NAMES[c.alert] ?? c.alert)}</td><td>${esc(c.where)}</td><td class="num">${c.from.toFixed(1)} s</td><td class="num">${c.to === undefined ? 'end of run' : `${c.to.toFixed(1)} s`}</td>` +
        `<td class="num">${esc(fmt(c.peak))}</td><td class="num">${esc(fmt(c.threshold))}</td><td>${esc(c.text)}</td></tr>`,
    );
    out.push(
      `<h3>Alerts crossed (${metrics.crossings.length})</h3><table class="crossings"><thead><tr><th>alert</th><th>where</th><th class="num">from</th><th class="num">to</th><th class="num">worst</th><th class="num">threshold</th><th>what</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
    );
  } else out.push('<p>No alert crossed its threshold.</p>');
  if (metrics.events.length > 0) {
    out.push(`<h3>What the store did</h3><ul>${metrics.events.map((e) => `<li>${e.t.toFixed(1)} s, ${esc(e.node)}: ${esc(e.text)}</li>`).join('')}</ul>`);
  }
  if (metrics.replication) {
    const r = metrics.replication;
    const row = (what: string, q: { count: number; mean: number; p50: number; p99: number; max: number }, unit: string) =>
      `<tr><td>${esc(what)}</td><td class="num">${q.count}</td><td class="num">${fmt(q.mean)}${unit}</td><td class="num">${fmt(q.p50)}${unit}</td><td class="num">${fmt(q.p99)}${unit}</td><td class="num">${fmt(q.max)}${unit}</td></tr>`;
    out.push(
      `<h3>Replicated entries, one by one</h3><p class="muted">Measured at each follower as it applied each entry; throughput ${fmt(r.throughputPerSecond)} entries per second of apply work.</p>` +
        `<table><thead><tr><th></th><th class="num">entries</th><th class="num">mean</th><th class="num">p50</th><th class="num">p99</th><th class="num">max</th></tr></thead><tbody>` +
        row('lag (write at the leader → applied)', r.lagMs, ' ms') +
        row('transit (write → past the link)', r.transitMs, ' ms') +
        row('queue depth found on arrival', r.queueDepth, '') +
        row('wait behind the entries ahead', r.waitMs, ' ms') +
        row('apply time', r.applyMs, ' ms') +
        '</tbody></table>',
    );
  }
  if (missing.length > 0) out.push(`<h3>Not measured</h3><ul>${missing.join('')}</ul>`);
  return out.join('\n');
}
