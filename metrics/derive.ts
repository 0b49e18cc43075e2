// From a run's samples to the five metrics as time series, the alerts' crossings and the figures
// derived from them (docs/metrics.md). Pure: samples and thresholds in, RunMetrics out, so
// `faultline analyze` and `faultline report` re-derive them from the run folder.
//
// Counters become rates over the interval between two samples (a counter that went down means
// the node restarted: the interval counts from zero). An interval in which a node did not answer
// is left out of the measures that compare nodes (shard balance), rather than read as a zero.
import type { AlertThresholds, MetricsConfig } from './config.js';
import type { Capabilities, Crossing, MetricName, MetricSample, MetricSeries, NodeCounters, NodeMetrics, Quantiles, ReplicationFigures, RunMetrics, Series } from './types.js';

/** An interval with fewer shard requests than this says nothing about balance. */
export const MIN_SHARD_REQUESTS = 20;
/** A node's interval with fewer cache lookups than this gives no hit rate. */
export const MIN_CACHE_LOOKUPS = 10;
/** Conflict-rate samples the baseline is the mean of. */
export const BASELINE_SAMPLES = 10;

const TITLES: Record<MetricName, [string, string]> = {
  replicationLag: ['Replication lag', 's'],
  conflictRate: ['Conflict rate', 'conflicts/s'],
  shardBalance: ["Shard balance (each shard's requests ÷ the mean shard's)", '× mean'],
  cacheHitRate: ['Cache hit rate', '%'],
  lockContention: ['Lock contention (sessions waiting on a lock)', 'sessions'],
};

function answered(m: NodeMetrics | { error: string } | undefined): NodeMetrics | undefined {
  return m === undefined || 'error' in m ? undefined : m;
}

function counterDelta(prev: number | undefined, cur: number | undefined): number | undefined {
  if (cur === undefined || prev === undefined) return undefined;
  return cur >= prev ? cur - prev : cur;
}

const seconds = (ns: number) => ns / 1e9;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

function counter(m: NodeMetrics | undefined, name: keyof NodeCounters): number | undefined {
  return m?.counters?.[name];
}

/** Nearest-rank quantiles of `xs` (ascending order not needed). */
export function quantiles(xs: readonly number[]): Quantiles {
  if (xs.length === 0) return { count: 0, mean: 0, p50: 0, p99: 0, max: 0 };
  const s = Float64Array.from(xs).sort();
  const rank = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  let sum = 0;
  for (const x of s) sum += x;
  return { count: s.length, mean: r3(sum / s.length), p50: r3(rank(0.5)), p99: r3(rank(0.99)), max: r3(s[s.length - 1]) };
}

interface Point {
  t: number;
  v: number;
}

/** Crossings of one series: runs of samples on the wrong side of `limit` (a number, or a per-time limit). */
function crossingsOf(points: readonly Point[], side: 'above' | 'below', limit: (t: number) => number | undefined, make: (from: number, to: number | undefined, peak: number, threshold: number) => Crossing): Crossing[] {
  const out: Crossing[] = [];
  let from: number | undefined;
  let peak = 0;
  let at = 0;
  for (const p of points) {
    const l = limit(p.t);
    const over = l !== undefined && (side === 'above' ? p.v > l : p.v < l);
    if (over) {
      if (from === undefined) {
        from = p.t;
        peak = p.v;
        at = l!;
      } else if (side === 'above' ? p.v > peak : p.v < peak) peak = p.v;
    } else if (from !== undefined) {
      out.push(make(from, p.t, peak, at));
      from = undefined;
    }
  }
  if (from !== undefined) out.push(make(from, undefined, peak, at));
  return out;
}

function span(from: number, to: number | undefined): string {
  return to === undefined ? `from ${from.toFixed(1)} s to the end of the run` : `from ${from.toFixed(1)} s to ${to.toFixed(1)} s`;
}

function asSeries(name: string, points: readonly Point[]): Series {
  return { name, t: points.map((p) => r3(p.t)), v: points.map((p) => r3(p.v)) };
}

function base(name: MetricName, capability: true | string | undefined): MetricSeries {
  const [title, unit] = TITLES[name];
  return capability === true ? { title, unit } : { title, unit, notMeasured: capability ?? 'not measured for this target' };
}

/** Lag points by series name: a replica alone when one node reports it, else reporter→replica. */
function replicationLag(samples: readonly MetricSample[]): Map<string, Point[]> {
  const reporters = new Map<string, Set<string>>();
  for (const s of samples) for (const [n, m] of Object.entries(s.nodes)) for (const r of Object.keys(answered(m)?.lagMs ?? {})) {
    let set = reporters.get(r);
    if (!set) reporters.set(r, (set = new Set()));
    set.add(n);
  }
  const out = new Map<string, Point[]>();
  for (const s of samples) {
    for (const [n, m] of Object.entries(s.nodes)) {
      for (const [r, ms] of Object.entries(answered(m)?.lagMs ?? {})) {
        const name = reporters.get(r)!.size === 1 ? r : `${n}→${r}`;
        let pts = out.get(name);
        if (!pts) out.set(name, (pts = []));
        pts.push({ t: seconds(s.t), v: ms / 1000 });
      }
    }
  }
  return out;
}

function conflictRate(samples: readonly MetricSample[]): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = seconds(samples[i].t - samples[i - 1].t);
    if (!(dt > 0)) continue;
    let total = 0;
    let any = false;
    for (const [n, m] of Object.entries(samples[i].nodes)) {
      const d = counterDelta(counter(answered(samples[i - 1].nodes[n]), 'conflicts'), counter(answered(m), 'conflicts'));
      if (d === undefined) continue;
      any = true;
      total += d;
    }
    if (any) out.push({ t: seconds(samples[i].t), v: total / dt });
  }
  return out;
}

/** Per interval, each shard's requests (undefined for an interval a shard did not answer in). */
function shardDeltas(samples: readonly MetricSample[]): { t: number; t0: number; byShard: Map<string, number> }[] {
  const out: { t: number; t0: number; byShard: Map<string, number> }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const byShard = new Map<string, number>();
    let complete = true;
    let any = false;
    for (const [n, m] of Object.entries(samples[i].nodes)) {
      const cur = counter(answered(m), 'shardRequests');
      const prev = counter(answered(samples[i - 1].nodes[n]), 'shardRequests');
      if (cur === undefined && prev === undefined && answered(m) !== undefined) continue;
      const d = counterDelta(prev, cur);
      if (d === undefined) complete = false;
      else {
        any = true;
        byShard.set(n, d);
      }
    }
    if (complete && any) out.push({ t: seconds(samples[i].t), t0: seconds(samples[i - 1].t), byShard });
  }
  return out;
}

/** max ÷ mean of per-shard totals. */
function imbalance(totals: ReadonlyMap<string, number>): { ratio: number; total: number; worst: string } {
  let total = 0;
  let worst = '';
  let max = -1;
  for (const [n, v] of totals) {
    total += v;
    if (v > max) [max, worst] = [v, n];
  }
  const mean = totals.size > 0 ? total / totals.size : 0;
  return { ratio: mean > 0 ? max / mean : 0, total, worst };
}

function hitRates(samples: readonly MetricSample[]): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  const add = (name: string, p: Point) => {
    let pts = out.get(name);
    if (!pts) out.set(name, (pts = []));
    pts.push(p);
  };
  for (let i = 1; i < samples.length; i++) {
    let hitsAll = 0;
    let lookupsAll = 0;
    for (const [n, m] of Object.entries(samples[i].nodes)) {
      const cur = answered(m);
      const prev = answered(samples[i - 1].nodes[n]);
      const hits = counterDelta(prev?.counters?.cacheHits ?? prev?.keyspaceHits, cur?.counters?.cacheHits ?? cur?.keyspaceHits);
      const misses = counterDelta(prev?.counters?.cacheMisses ?? prev?.keyspaceMisses, cur?.counters?.cacheMisses ?? cur?.keyspaceMisses);
      if (hits === undefined || misses === undefined) continue;
      hitsAll += hits;
      lookupsAll += hits + misses;
      if (hits + misses >= MIN_CACHE_LOOKUPS) add(n, { t: seconds(samples[i].t), v: (100 * hits) / (hits + misses) });
    }
    if (lookupsAll >= MIN_CACHE_LOOKUPS) add('all nodes', { t: seconds(samples[i].t), v: (100 * hitsAll) / lookupsAll });
  }
  return out;
}

function lockWaits(samples: readonly MetricSample[]): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const s of samples) {
    for (const [n, m] of Object.entries(s.nodes)) {
      const w = answered(m)?.lockWaiting;
      if (w === undefined) continue;
      let pts = out.get(n);
      if (!pts) out.set(n, (pts = []));
      pts.push({ t: seconds(s.t), v: w });
    }
  }
  return out;
}

export interface DeriveInput {
  samples: readonly MetricSample[];
  capabilities: Capabilities;
  config: MetricsConfig;
}

export function deriveMetrics({ samples, capabilities, config }: DeriveInput): RunMetrics {
  const a: AlertThresholds = config.alerts;
  const crossings: Crossing[] = [];
  const metrics = {} as Record<MetricName, MetricSeries>;
  const noData = `no sample carried it (${samples.length} sample${samples.length === 1 ? '' : 's'})`;

  // Replication lag.
  {
    const m = base('replicationLag', capabilities.replicationLag);
    if (!m.notMeasured) {
      const lag = replicationLag(samples);
      if (lag.size === 0) m.notMeasured = noData;
      else {
        m.series = [...lag].sort(([x], [y]) => (x < y ? -1 : 1)).map(([name, pts]) => asSeries(name, pts));
        if (a.lagSeconds !== null) {
          m.threshold = { kind: 'above', value: a.lagSeconds };
          for (const [name, pts] of lag) {
            crossings.push(
              ...crossingsOf(pts, 'above', () => a.lagSeconds!, (from, to, peak, threshold) => ({
                alert: 'replicationLag', where: name, from: r3(from), ...(to !== undefined ? { to: r3(to) } : {}), peak: r3(peak), threshold,
                text: `replication lag of ${name} above ${threshold} s ${span(from, to)} (peak ${peak.toFixed(1)} s)`,
              })),
            );
          }
        }
      }
    }
    metrics.replicationLag = m;
  }

  // Conflict rate, against a trailing baseline.
  {
    const m = base('conflictRate', capabilities.conflictRate);
    if (!m.notMeasured) {
      const pts = conflictRate(samples);
      if (pts.length === 0) m.notMeasured = noData;
      else {
        m.series = [asSeries('all nodes', pts)];
        if (a.conflictSpike !== null) {
          const limits = new Map<number, number>();
          const limitPts: Point[] = [];
          pts.forEach((p, i) => {
            const before = pts.slice(Math.max(0, i - BASELINE_SAMPLES), i);
            const mean = before.length > 0 ? before.reduce((x, q) => x + q.v, 0) / before.length : 0;
            const limit = a.conflictSpike! * Math.max(mean, a.conflictFloor);
            limits.set(p.t, limit);
            limitPts.push({ t: p.t, v: limit });
          });
          m.threshold = { kind: 'spike', value: a.conflictSpike };
          m.limit = asSeries(`${a.conflictSpike}× baseline`, limitPts);
          crossings.push(
            ...crossingsOf(pts, 'above', (t) => limits.get(t), (from, to, peak, threshold) => ({
              alert: 'conflictRate', where: 'cluster', from: r3(from), ...(to !== undefined ? { to: r3(to) } : {}), peak: r3(peak), threshold: r3(threshold),
              text: `conflict rate above ${a.conflictSpike}× its baseline ${span(from, to)} (peak ${peak.toFixed(1)}/s against a limit of ${threshold.toFixed(1)}/s)`,
            })),
          );
        }
      }
    }
    metrics.conflictRate = m;
  }

  // Shard balance.
  let balance: RunMetrics['balance'];
  const events = nodeEvents(samples);
  {
    const m = base('shardBalance', capabilities.shardBalance);
    if (!m.notMeasured) {
      const intervals = shardDeltas(samples).filter((iv) => imbalance(iv.byShard).total >= MIN_SHARD_REQUESTS);
      if (intervals.length === 0) m.notMeasured = `no interval with ${MIN_SHARD_REQUESTS} or more shard requests (${samples.length} samples)`;
      else {
        const byShard = new Map<string, Point[]>();
        for (const iv of intervals) {
          const { total } = imbalance(iv.byShard);
          const mean = total / iv.byShard.size;
          for (const [n, v] of iv.byShard) {
            let pts = byShard.get(n);
            if (!pts) byShard.set(n, (pts = []));
            pts.push({ t: iv.t, v: v / mean });
          }
        }
        m.series = [...byShard].sort(([x], [y]) => (x < y ? -1 : 1)).map(([n, pts]) => asSeries(n, pts));
        if (a.shardImbalance !== null) {
          m.threshold = { kind: 'above', value: a.shardImbalance };
          for (const [n, pts] of byShard) {
            crossings.push(
              ...crossingsOf(pts, 'above', () => a.shardImbalance!, (from, to, peak, threshold) => ({
                alert: 'shardBalance', where: n, from: r3(from), ...(to !== undefined ? { to: r3(to) } : {}), peak: r3(peak), threshold,
                text: `shard ${n} took more than ${threshold}× the mean shard's requests ${span(from, to)} (peak ${peak.toFixed(2)}×)`,
              })),
            );
          }
        }
        const spreadAt = events.find((e) => e.kind === 'hot-key')?.t;
        if (spreadAt !== undefined) {
          const sum = (ivs: typeof intervals) => {
            const totals = new Map<string, number>();
            for (const iv of ivs) for (const [n, v] of iv.byShard) totals.set(n, (totals.get(n) ?? 0) + v);
            return imbalance(totals);
          };
          // An interval counts as before when most of it was: the spread lands a window after the
          // shard turned hot, often just before a sample, and the interval it ends is the hot one.
          const before = sum(intervals.filter((iv) => (iv.t0 + iv.t) / 2 <= spreadAt));
          const after = sum(intervals.filter((iv) => iv.t0 >= spreadAt));
          if (before.total >= MIN_SHARD_REQUESTS && after.total >= MIN_SHARD_REQUESTS) {
            balance = { spreadAt: r3(spreadAt), before: r3(before.ratio), after: r3(after.ratio) };
            m.note = `Hot keys spread at ${spreadAt.toFixed(1)} s: the busiest shard took ${before.ratio.toFixed(2)}× the mean before, ${after.ratio.toFixed(2)}× after.`;
          }
        }
      }
    }
    metrics.shardBalance = m;
  }

  // Cache hit rate.
  {
    const m = base('cacheHitRate', capabilities.cacheHitRate);
    if (!m.notMeasured) {
      const rates = hitRates(samples);
      if (rates.size === 0) m.notMeasured = `no interval with ${MIN_CACHE_LOOKUPS} or more cache lookups (${samples.length} samples)`;
      else {
        m.series = [...rates].sort(([x], [y]) => (x === 'all nodes' ? 1 : y === 'all nodes' ? -1 : x < y ? -1 : 1)).map(([n, pts]) => asSeries(n, pts));
        if (a.cacheHitRate !== null) {
          const pct = a.cacheHitRate * 100;
          m.threshold = { kind: 'below', value: pct };
          for (const [n, pts] of rates) {
            if (n === 'all nodes') continue;
            crossings.push(
              ...crossingsOf(pts, 'below', () => pct, (from, to, peak, threshold) => ({
                alert: 'cacheHitRate', where: n, from: r3(from), ...(to !== undefined ? { to: r3(to) } : {}), peak: r3(peak), threshold,
                text: `cache hit rate of ${n} below ${threshold}% ${span(from, to)} (lowest ${peak.toFixed(0)}%)`,
              })),
            );
          }
        }
      }
    }
    metrics.cacheHitRate = m;
  }

  // Lock contention.
  {
    const m = base('lockContention', capabilities.lockContention);
    if (!m.notMeasured) {
      const waits = lockWaits(samples);
      if (waits.size === 0) m.notMeasured = noData;
      else {
        m.series = [...waits].map(([n, pts]) => asSeries(n, pts));
        if (a.lockWait !== null) {
          m.threshold = { kind: 'above', value: a.lockWait };
          for (const [n, pts] of waits) {
            crossings.push(
              ...crossingsOf(pts, 'above', () => a.lockWait!, (from, to, peak, threshold) => ({
                alert: 'lockContention', where: n, from: r3(from), ...(to !== undefined ? { to: r3(to) } : {}), peak: r3(peak), threshold,
                text: `sessions waiting on a lock on ${n} above ${threshold} ${span(from, to)} (peak ${peak})`,
              })),
            );
          }
        }
      }
    }
    metrics.lockContention = m;
  }

  crossings.sort((x, y) => x.from - y.from || (x.alert < y.alert ? -1 : 1));
  const replication = replicationFigures(samples);
  return {
    sampleSeconds: config.sampleSeconds,
    samples: samples.length,
    metrics,
    crossings,
    events,
    ...(balance ? { balance } : {}),
    ...(replication ? { replication } : {}),
  };
}

/** Node events placed on the run's axis: the sample's time plus how long before it (by the node's clock) they happened. */
function nodeEvents(samples: readonly MetricSample[]): RunMetrics['events'] {
  const out: RunMetrics['events'] = [];
  for (const s of samples) {
    for (const [n, m] of Object.entries(s.nodes)) {
      for (const e of answered(m)?.events ?? []) out.push({ t: r3(Math.max(0, seconds(s.t) + (e.atMs - s.wallMs) / 1000)), node: e.node ?? n, kind: e.kind, text: e.text });
    }
  }
  return out.sort((x, y) => x.t - y.t);
}

/** The per-entry figures of followers with an apply queue, pooled over the run. */
export function replicationFigures(samples: readonly MetricSample[]): ReplicationFigures | undefined {
  const lag: number[] = [];
  const depth: number[] = [];
  const apply: number[] = [];
  const transit: number[] = [];
  const wait: number[] = [];
  for (const s of samples) {
    for (const m of Object.values(s.nodes)) {
      const a = answered(m);
      if (!a) continue;
      if (a.lagSamplesMs) for (const x of a.lagSamplesMs) lag.push(x);
      if (a.queueSamples) for (const x of a.queueSamples) depth.push(x);
      if (a.applySamplesMs) for (const x of a.applySamplesMs) apply.push(x);
      if (a.transitSamplesMs) for (const x of a.transitSamplesMs) transit.push(x);
      if (a.waitSamplesMs) for (const x of a.waitSamplesMs) wait.push(x);
    }
  }
  if (lag.length === 0) return undefined;
  const busy = apply.reduce((x, y) => x + y, 0);
  const throughput = busy > 0 ? (apply.length * 1000) / busy : 0;
  const out: ReplicationFigures = {
    lagMs: quantiles(lag),
    queueDepth: quantiles(depth),
    applyMs: quantiles(apply),
    transitMs: quantiles(transit),
    waitMs: quantiles(wait),
    throughputPerSecond: r3(throughput),
  };
  // The lag formula per entry, with that entry's own terms (the arrays are filled in step): a sum
  // of each term's p99 overstates the p99 of the sums, since one entry rarely meets every tail.
  const n = lag.length;
  if (throughput > 0 && depth.length === n && apply.length === n && transit.length === n) {
    out.formulaMs = quantiles(lag.map((_, i) => transit[i] + (depth[i] * 1000) / throughput + apply[i]));
  }
  return out;
}
