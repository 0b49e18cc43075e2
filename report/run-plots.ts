// The run report's plots: latency over time per f and throughput over time per f, each with the
// fault intervals shaded and labelled, drawn by Vega-Lite into SVG (report/vega-svg.ts).
import type { TopLevelSpec } from 'vega-lite';
import type { History } from '../histories/history.js';
import type { FaultTimeline } from './fault-intervals.js';
import {
  binWidth, latencyQuantiles, latencySeries, type LatencySeries, niceStepAtLeast, OK, type Outcome, OUTCOMES, type QuantileWindows, samplePoints, throughputBins,
  type ThroughputBins, type TimeAxis,
} from './run-series.js';
import { vegaLiteSvg } from './vega-svg.js';

export const OUTCOME_COLORS: Record<Outcome, string> = { ok: '#4c78a8', fail: '#d62728', info: '#f58518' };

/** Light fills for fault bands, one per fault name in order of first appearance. */
export const FAULT_COLORS = ['#f4a259', '#9b5de5', '#00a6ed', '#f15bb5', '#2ec4b6', '#e0c341'];
const BAND_OPACITY = 0.2;

/** Pixel size of every plot's data area: one width, so the plots' time axes line up. */
export const PLOT_WIDTH = 960;
const LATENCY_HEIGHT = 170;
const THROUGHPUT_HEIGHT = 110;
/** Room for y-axis labels, fixed so every plot's data area starts at the same x. */
const Y_AXIS_EXTENT = 46;
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

interface BandDatum { t: number; t2: number; color: string; label: string; row: number }
interface EventDatum { t: number; label: string; row: number }

/** The fault layers every plot shares: the data of bands and instant events, labels placed once. */
export interface FaultLayers {
  bands: BandDatum[];
  events: EventDatum[];
}

const LABEL_ROWS = 3;
const LABEL_CHAR_PX = 6;
const LABEL_ROW_PX = 12;

/** Fault name → band colour, in order of first appearance. */
export function faultColors(faults: FaultTimeline): Map<string, string> {
  const colors = new Map<string, string>();
  for (const iv of faults.intervals) if (!colors.has(iv.fault)) colors.set(iv.fault, FAULT_COLORS[colors.size % FAULT_COLORS.length]);
  return colors;
}

/** `colors`: the page's colours when `faults` is a subset of the run's (a node's own faults). */
export function faultLayers(faults: FaultTimeline, axis: TimeAxis, domainSeconds: number, colors = faultColors(faults)): FaultLayers {
  // Labels go in up to three rows at the top of the plot, each where it does not overlap the
  // label before it; a label with no room left is dropped (the band and the fault table stay).
  const rowEnds = new Array<number>(LABEL_ROWS).fill(-Infinity);
  const px = (s: number) => (s / domainSeconds) * PLOT_WIDTH;
  const place = (s: number, label: string): number => {
    const x = px(s);
    const w = label.length * LABEL_CHAR_PX + 10;
    for (let r = 0; r < LABEL_ROWS; r++) {
      if (x >= rowEnds[r]) {
        rowEnds[r] = x + w;
        return r;
      }
    }
    return -1;
  };
  const sec = (ns: number) => (ns - axis.origin) / 1e9;
  const minSpan = (domainSeconds * 2) / PLOT_WIDTH;
  const items = [
    ...faults.intervals.map((iv) => ({ kind: 'band' as const, t: sec(iv.start), iv })),
    ...faults.events.map((ev) => ({ kind: 'event' as const, t: sec(ev.time), ev })),
  ].sort((a, b) => a.t - b.t);
  const bands: BandDatum[] = [];
  const events: EventDatum[] = [];
  for (const it of items) {
    if (it.kind === 'band') {
      const label = clip(`${it.iv.fault}${it.iv.error !== undefined ? ' (failed)' : ''}`, 28);
      const row = place(it.t, label);
      // A fault on and off within a pixel still shows, as a sliver.
      const t = Math.min(it.t, domainSeconds - minSpan);
      bands.push({ t, t2: Math.max(sec(it.iv.end), t + minSpan), color: colors.get(it.iv.fault)!, label: row < 0 ? '' : label, row: Math.max(row, 0) });
    } else {
      const label = clip(it.ev.f, 28);
      const row = place(it.t, label);
      events.push({ t: it.t, label: row < 0 ? '' : label, row: Math.max(row, 0) });
    }
  }
  return { bands, events };
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export type Layer = Record<string, unknown>;

// Every layer of a plot names its time field `t` (and an interval's end `t2`), so the x encoding
// is declared once for the whole layered plot: one scale, one axis, one title.
/** The fault layers of a plot: bands and rules under its data, their labels over it. */
export function faultLayerSpecs(layers: FaultLayers): { under: Layer[]; over: Layer[] } {
  const under: Layer[] = [];
  const over: Layer[] = [];
  if (layers.bands.length) {
    under.push({
      data: { values: layers.bands },
      mark: { type: 'rect', opacity: BAND_OPACITY, clip: true },
      encoding: { x2: { field: 't2' }, color: { field: 'color', type: 'nominal', scale: null, legend: null } },
    });
  }
  if (layers.events.length) {
    under.push({
      data: { values: layers.events },
      mark: { type: 'rule', color: '#6e6e73', strokeDash: [3, 3], strokeWidth: 1, clip: true },
    });
  }
  const labelled = [...layers.bands, ...layers.events].filter((x) => x.label !== '');
  if (labelled.length) over.push(labelLayer(labelled));
  return { under, over };
}

// Fault labels sit in a strip above the data area, never over the points or bars they would
// otherwise hide (a pause's timed-out ops gather at the top of its band).
function labelLayer(values: (BandDatum | EventDatum)[]): Layer {
  let rows = 0;
  for (const v of values) rows = Math.max(rows, v.row + 1);
  return {
    data: { values: values.map((v) => ({ t: v.t, label: v.label, y: -(rows - v.row) * LABEL_ROW_PX - 2 })) },
    mark: { type: 'text', align: 'left', baseline: 'top', dx: 1, fontSize: 10, color: '#3a3a3c', clip: false },
    encoding: { y: { field: 'y', type: 'quantitative', scale: null }, text: { field: 'label' } },
  };
}

export function baseSpec(height: number, domainSeconds: number, layers: Layer[]): TopLevelSpec {
  return {
    width: PLOT_WIDTH,
    height,
    padding: { left: 5, right: 12, top: 6, bottom: 5 },
    autosize: { type: 'pad' },
    background: '#ffffff',
    config: {
      aria: false,
      font: FONT,
      view: { stroke: '#d2d2d7' },
      axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', titleColor: '#515154', labelColor: '#515154', gridColor: '#ececef', domainColor: '#8e8e93', tickColor: '#8e8e93' },
      axisY: { minExtent: Y_AXIS_EXTENT, maxExtent: Y_AXIS_EXTENT },
    },
    encoding: {
      x: {
        field: 't',
        type: 'quantitative',
        scale: { domain: [0, domainSeconds], nice: false, zero: false },
        axis: { title: 'time since the test started (s)' },
      },
    },
    layer: layers,
  } as unknown as TopLevelSpec;
}

export interface RenderedPlot {
  f: string;
  svg: string;
  /** Plain text under the plot: what is drawn, and what was sampled. */
  caption: string;
}

export interface RunPlots {
  latency: RenderedPlot[];
  /** Latency quantiles over time, per f (ok ops only). */
  quantiles: RenderedPlot[];
  throughput: RenderedPlot[];
  binSeconds: number;
  domainSeconds: number;
  warnings: string[];
}

export interface PlotOptions {
  /** Most points drawn in one latency plot (default 4000). */
  maxPoints?: number;
}

const nf = new Intl.NumberFormat('en-US');

/** Every plot of the run, one latency and one throughput plot per f (fs in name order). */
export async function renderRunPlots(h: History, axis: TimeAxis, faults: FaultTimeline, options: PlotOptions = {}): Promise<RunPlots> {
  const maxPoints = options.maxPoints ?? 4000;
  const span = Math.max((axis.end - axis.origin) / 1e9, 0.001);
  const binSeconds = binWidth(span);
  const domainSeconds = plotDomain(span, binSeconds);
  const layers = faultLayers(faults, axis, domainSeconds);
  const series = latencySeries(h, axis);
  const bins = throughputBins(h, axis, binSeconds);
  const fs = [...new Set([...series.keys(), ...bins.keys()])].sort();
  const warnings: string[] = [];
  const latency: RenderedPlot[] = [];
  const quantiles: RenderedPlot[] = [];
  const throughput: RenderedPlot[] = [];
  // Windows wide enough to hold some ops each: about 30 over the run, never under one bin.
  const windowSeconds = Math.max(binSeconds, niceStepAtLeast(span / 30));
  for (const f of fs) {
    const s = series.get(f);
    if (s && s.count > 0) {
      const { spec, caption } = latencySpec(f, s, layers, domainSeconds, maxPoints);
      const r = await vegaLiteSvg(spec, `latency of ${f} over time`);
      warnings.push(...r.warnings);
      latency.push({ f, svg: r.svg, caption });
      const q = latencyQuantiles(s, windowSeconds);
      if (q.t.length > 0) {
        const qs = quantileSpec(q, layers, domainSeconds);
        const rq = await vegaLiteSvg(qs.spec, `latency quantiles of ${f} over time`);
        warnings.push(...rq.warnings);
        quantiles.push({ f, svg: rq.svg, caption: qs.caption });
      }
    } else if (s && s.open > 0) {
      latency.push({ f, svg: '', caption: `No ${f} completed: ${nf.format(s.open)} invoked, none answered.` });
    }
    const b = bins.get(f);
    if (b) {
      const { spec, caption } = throughputSpec(b, layers, domainSeconds);
      const r = await vegaLiteSvg(spec, `throughput of ${f} over time`);
      warnings.push(...r.warnings);
      throughput.push({ f, svg: r.svg, caption });
    }
  }
  return { latency, quantiles, throughput, binSeconds, domainSeconds, warnings };
}

/**
 * The plots' time domain: the run's span rounded up to whole bins, so the last bin is drawn at its
 * full width, and 1.5 % more, so points on the last instant are not cut in half by the frame.
 */
export function plotDomain(spanSeconds: number, binSeconds: number): number {
  return Math.ceil(spanSeconds / binSeconds - 1e-9) * binSeconds * 1.015;
}

// The smallest latency drawn: a log scale has no 0, and a completion recorded in the same
// nanosecond as its invocation still happened.
const MIN_MS = 0.001;

function latencySpec(f: string, s: LatencySeries, layers: FaultLayers, domainSeconds: number, maxPoints: number) {
  const chosen = samplePoints(s.outcome, s.ms, maxPoints);
  // Oks first, so the rarer fails and infos are drawn on top of them.
  const order = Array.from(chosen).sort((a, b) => (s.outcome[a] === OK ? 0 : 1) - (s.outcome[b] === OK ? 0 : 1) || a - b);
  let lo = Infinity;
  let hi = -Infinity;
  const values = order.map((k) => {
    const ms = round(Math.max(s.ms[k], MIN_MS), 4);
    lo = Math.min(lo, ms);
    hi = Math.max(hi, ms);
    return { t: round(s.t[k], 6), ms, o: OUTCOMES[s.outcome[k]] };
  });
  const { domain, ticks } = logAxis(lo, hi);
  const points: Layer = {
    data: { values },
    mark: { type: 'point', filled: true, size: 14, opacity: 0.65, clip: true },
    encoding: {
      y: {
        field: 'ms',
        type: 'quantitative',
        scale: { type: 'log', domain, nice: false },
        axis: { title: 'latency (ms)', format: '~g', values: ticks },
      },
      color: { field: 'o', type: 'nominal', scale: { domain: [...OUTCOMES], range: OUTCOMES.map((o) => OUTCOME_COLORS[o]) }, legend: null },
    },
  };
  const faults = faultLayerSpecs(layers);
  const spec = baseSpec(LATENCY_HEIGHT, domainSeconds, [...faults.under, points, ...faults.over]);
  const parts = OUTCOMES.filter((o) => s.counts[o] > 0).map((o) => `${nf.format(s.counts[o])} ${o}`);
  let caption = `${nf.format(s.count)} completed ${f} ops (${parts.join(' · ')})`;
  caption += s.open > 0 ? `; ${nf.format(s.open)} never completed, not drawn.` : '.';
  if (chosen.length < s.count) {
    caption += ` Drawn: ${nf.format(chosen.length)} of them — every fail and info${s.counts.fail + s.counts.info > maxPoints * 0.75 ? ' (spread evenly: there are too many to draw all)' : ''}, and the oks spread evenly over the run with the slowest kept.`;
  }
  return { spec, caption };
}

export const QUANTILE_COLORS: Record<'p50' | 'p95' | 'p99', string> = { p50: '#4c78a8', p95: '#e45756', p99: '#7b3294' };

function quantileSpec(q: QuantileWindows, layers: FaultLayers, domainSeconds: number) {
  const values: { t: number; ms: number; q: string }[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const name of ['p50', 'p95', 'p99'] as const) {
    q[name].forEach((ms, k) => {
      const v = round(Math.max(ms, MIN_MS), 4);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      values.push({ t: round(q.t[k], 6), ms: v, q: name });
    });
  }
  const { domain, ticks } = logAxis(lo, hi);
  const lines: Layer = {
    data: { values },
    mark: { type: 'line', point: { filled: true, size: 18 }, strokeWidth: 1.6, clip: true },
    encoding: {
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log', domain, nice: false }, axis: { title: 'latency (ms)', format: '~g', values: ticks } },
      color: { field: 'q', type: 'nominal', scale: { domain: ['p50', 'p95', 'p99'], range: [QUANTILE_COLORS.p50, QUANTILE_COLORS.p95, QUANTILE_COLORS.p99] }, legend: null },
      // p99 wide and pale under p95: where few ops make them equal, both still show.
      strokeWidth: { field: 'q', type: 'ordinal', scale: { domain: ['p50', 'p95', 'p99'], range: [1.6, 1.6, 5] }, legend: null },
      opacity: { field: 'q', type: 'ordinal', scale: { domain: ['p50', 'p95', 'p99'], range: [1, 1, 0.45] }, legend: null },
      order: { field: 'q', sort: 'descending' },
    },
  };
  const faults = faultLayerSpecs(layers);
  const spec = baseSpec(LATENCY_HEIGHT, domainSeconds, [...faults.under, lines, ...faults.over]);
  const total = q.n.reduce((a, b) => a + b, 0);
  const caption = `p50, p95 and p99 of the ${nf.format(total)} ok ops' latencies in ${formatSeconds(q.windowSeconds)} windows (by invocation time); a window with few ops has its quantiles close together.`;
  return { spec, caption };
}

/**
 * A log axis over whole decades, with a tick per decade (and at 2 and 5 when the data spans at
 * most two decades): Vega's own log ticks label 1, 2 and 5 of every decade and crowd the axis.
 */
export function logAxis(lo: number, hi: number): { domain: [number, number]; ticks: number[] } {
  if (!(lo > 0) || !Number.isFinite(hi)) return { domain: [0.1, 1000], ticks: [0.1, 1, 10, 100, 1000] };
  // A little room past the data, so points at a decade's edge are not cut in half by the frame.
  const a = Math.floor(Math.log10(lo / 1.15) + 1e-9);
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi * 1.15) - 1e-9));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) {
    const p = Number((10 ** e).toPrecision(12));
    ticks.push(p);
    if (b - a <= 2 && e < b) ticks.push(Number((2 * p).toPrecision(12)), Number((5 * p).toPrecision(12)));
  }
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

export function throughputSpec(b: ThroughputBins, layers: FaultLayers, domainSeconds: number, height = THROUGHPUT_HEIGHT) {
  const n = b.counts[0].length;
  const values: { t: number; t2: number; y0: number; y1: number; o: Outcome }[] = [];
  let total = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    let y = 0;
    const t = round(i * b.binSeconds, 6);
    const t2 = round((i + 1) * b.binSeconds, 6);
    for (let o = 0; o < 3; o++) {
      const c = b.counts[o][i];
      if (c === 0) continue;
      total += c;
      const rate = c / b.binSeconds;
      values.push({ t, t2, y0: round(y, 3), y1: round(y + rate, 3), o: OUTCOMES[o] });
      y += rate;
    }
    if (y > peak) peak = y;
  }
  const bars: Layer = {
    data: { values },
    mark: { type: 'rect', clip: true },
    encoding: {
      x2: { field: 't2' },
      // Room above the tallest bar for the fault labels, so no bar hides one.
      y: { field: 'y0', type: 'quantitative', axis: { title: 'completions/s' }, scale: { domain: [0, Math.max(peak, 1) * 1.05], nice: false } },
      y2: { field: 'y1' },
      color: { field: 'o', type: 'nominal', scale: { domain: [...OUTCOMES], range: OUTCOMES.map((o) => OUTCOME_COLORS[o]) }, legend: null },
    },
  };
  const faults = faultLayerSpecs(layers);
  const spec = baseSpec(height, domainSeconds, [...faults.under, bars, ...faults.over]);
  const mean = total / (n * b.binSeconds);
  const caption = `${nf.format(total)} completions; mean ${formatRate(mean)}/s, peak ${formatRate(peak)}/s in ${formatSeconds(b.binSeconds)} bins.`;
  return { spec, caption };
}

export function round(x: number, decimals: number): number {
  const p = 10 ** decimals;
  return Math.round(x * p) / p;
}

export function formatRate(r: number): string {
  return r >= 100 ? nf.format(Math.round(r)) : String(Math.round(r * 10) / 10);
}

export function formatSeconds(s: number): string {
  if (s >= 1) return `${Math.round(s * 1000) / 1000} s`;
  if (s >= 0.001) return `${Math.round(s * 1e6) / 1e3} ms`;
  return `${Math.round(s * 1e9) / 1e3} µs`;
}
