// The numbers behind the run report's plots: the time axis, each f's latencies, which of them
// to draw, and completions binned over time. Plain functions over typed arrays, so a 100k-op
// history costs a few milliseconds before Vega sees at most a few thousand points per plot.
import type { History } from '../histories/history.js';

export type Outcome = 'ok' | 'fail' | 'info';
export const OUTCOMES: readonly Outcome[] = ['ok', 'fail', 'info'];
export const OK = 0;
export const FAIL = 1;
export const INFO = 2;

/** The time axis of a history: nanoseconds, shown as seconds since `origin`. */
export interface TimeAxis {
  /** Any op carries a time. */
  timed: boolean;
  origin: number;
  /** The latest time of any op. */
  end: number;
}

export function timeAxis(h: History): TimeAxis {
  let lo = Infinity;
  let hi = -Infinity;
  for (const op of h.ops) {
    const t = op.time;
    if (typeof t !== 'number' || !Number.isFinite(t)) continue;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (lo === Infinity) return { timed: false, origin: 0, end: 0 };
  // Times are meant to count from the test's start (so the axis starts at 0, and a quiet first
  // second shows as such); a history converted from wall-clock times starts far from 0, and
  // then its first op is the start.
  const origin = lo < 0 || lo > hi - lo ? lo : 0;
  return { timed: true, origin, end: hi };
}

/** Latencies of one f's completed invocations, in invocation order. */
export interface LatencySeries {
  /** Seconds from the time axis origin to the invocation. */
  t: Float64Array;
  /** Milliseconds from invocation to completion. */
  ms: Float64Array;
  /** OK, FAIL or INFO (0, 1, 2). */
  outcome: Uint8Array;
  count: number;
  counts: Record<Outcome, number>;
  /** Invocations never completed: they have no latency to draw. */
  open: number;
}

/** One series per f (client ops only; ops without times are left out). */
export function latencySeries(h: History, axis: TimeAxis): Map<string, LatencySeries> {
  const byF = new Map<string, number[]>();
  const open = new Map<string, number>();
  const ops = h.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis') continue;
    const c = h.pair[i];
    if (c < 0) {
      open.set(op.f, (open.get(op.f) ?? 0) + 1);
      if (!byF.has(op.f)) byF.set(op.f, []);
      continue;
    }
    if (typeof op.time !== 'number' || typeof ops[c].time !== 'number') continue;
    let g = byF.get(op.f);
    if (!g) byF.set(op.f, (g = []));
    g.push(i);
  }
  const out = new Map<string, LatencySeries>();
  for (const [f, positions] of byF) {
    const n = positions.length;
    const s: LatencySeries = {
      t: new Float64Array(n), ms: new Float64Array(n), outcome: new Uint8Array(n), count: n,
      counts: { ok: 0, fail: 0, info: 0 }, open: open.get(f) ?? 0,
    };
    for (let k = 0; k < n; k++) {
      const inv = ops[positions[k]];
      const done = ops[h.pair[positions[k]]];
      s.t[k] = ((inv.time as number) - axis.origin) / 1e9;
      s.ms[k] = ((done.time as number) - (inv.time as number)) / 1e6;
      const o = done.type === 'ok' ? OK : done.type === 'fail' ? FAIL : INFO;
      s.outcome[k] = o;
      s.counts[OUTCOMES[o]]++;
    }
    out.set(f, s);
  }
  return out;
}

/**
 * Which points of a series to draw, at most `budget` (ascending positions). Every fail and info
 * is kept (they are rare and they are the story); the oks share what is left, spread evenly
 * over the run plus the slowest few, so the tail that matters survives the sampling. When the
 * non-oks alone exceed three quarters of the budget they are spread evenly too.
 */
export function samplePoints(outcome: Uint8Array, ms: Float64Array, budget: number): Int32Array {
  const n = outcome.length;
  if (n <= budget) return Int32Array.from({ length: n }, (_, i) => i);
  const okPos: number[] = [];
  const otherPos: number[] = [];
  for (let i = 0; i < n; i++) (outcome[i] === OK ? okPos : otherPos).push(i);
  const otherCap = Math.floor(budget * 0.75);
  const others = otherPos.length <= otherCap ? otherPos : evenly(otherPos, otherCap);
  const okBudget = budget - others.length;
  let oks: number[];
  if (okPos.length <= okBudget) {
    oks = okPos;
  } else {
    const slowCount = Math.min(okPos.length, Math.floor(okBudget * 0.05));
    const slowest = [...okPos].sort((a, b) => ms[b] - ms[a]).slice(0, slowCount);
    const slowSet = new Set(slowest);
    const rest = okPos.filter((p) => !slowSet.has(p));
    oks = [...slowest, ...evenly(rest, okBudget - slowest.length)];
  }
  const chosen = Int32Array.from([...others, ...oks]);
  return chosen.sort();
}

/** `k` of `xs`, spread evenly (the first and the last included). */
function evenly(xs: readonly number[], k: number): number[] {
  if (k <= 0) return [];
  if (xs.length <= k) return [...xs];
  if (k === 1) return [xs[0]];
  const out: number[] = new Array(k);
  const step = (xs.length - 1) / (k - 1);
  for (let j = 0; j < k; j++) out[j] = xs[Math.round(j * step)];
  return out;
}

/** Completions per second in fixed bins of time, per outcome. */
export interface ThroughputBins {
  binSeconds: number;
  /** Per outcome (OK, FAIL, INFO), a count per bin. */
  counts: [Float64Array, Float64Array, Float64Array];
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
export function niceStepAtLeast(rough: number): number {
  if (!(rough > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * p >= rough * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/** A bin width (seconds) that gives about `target` bins over `seconds`, never under 1 ms. */
export function binWidth(seconds: number, target = 100): number {
  return Math.max(0.001, niceStepAtLeast(seconds / target));
}

/** Per f, the completions of client ops binned by completion time. */
export function throughputBins(h: History, axis: TimeAxis, binSeconds: number): Map<string, ThroughputBins> {
  const span = (axis.end - axis.origin) / 1e9;
  const nBins = Math.max(1, Math.ceil(span / binSeconds - 1e-9));
  const out = new Map<string, ThroughputBins>();
  const ops = h.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.type === 'invoke' || op.process === 'nemesis' || typeof op.time !== 'number') continue;
    const inv = h.pair[i];
    const f = inv >= 0 ? ops[inv].f : op.f;
    let b = out.get(f);
    if (!b) out.set(f, (b = { binSeconds, counts: [new Float64Array(nBins), new Float64Array(nBins), new Float64Array(nBins)] }));
    const bin = Math.min(nBins - 1, Math.max(0, Math.floor((op.time - axis.origin) / 1e9 / binSeconds)));
    b.counts[op.type === 'ok' ? OK : op.type === 'fail' ? FAIL : INFO][bin]++;
  }
  return out;
}

/** Latency quantiles of one f's ok ops in windows of time (Jepsen's latency-quantiles plot). */
export interface QuantileWindows {
  windowSeconds: number;
  /** Window midpoints (seconds) of the windows that hold at least one ok op. */
  t: number[];
  p50: number[];
  p95: number[];
  p99: number[];
  /** Ok ops in each window. */
  n: number[];
}

/** p50/p95/p99 (nearest rank) of the ok latencies invoked in each window of `windowSeconds`. */
export function latencyQuantiles(s: LatencySeries, windowSeconds: number): QuantileWindows {
  const byWindow = new Map<number, number[]>();
  for (let k = 0; k < s.count; k++) {
    if (s.outcome[k] !== OK) continue;
    const w = Math.floor(s.t[k] / windowSeconds);
    let xs = byWindow.get(w);
    if (!xs) byWindow.set(w, (xs = []));
    xs.push(s.ms[k]);
  }
  const out: QuantileWindows = { windowSeconds, t: [], p50: [], p95: [], p99: [], n: [] };
  for (const w of [...byWindow.keys()].sort((a, b) => a - b)) {
    const xs = byWindow.get(w)!.sort((a, b) => a - b);
    const rank = (q: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))];
    out.t.push((w + 0.5) * windowSeconds);
    out.p50.push(rank(0.5));
    out.p95.push(rank(0.95));
    out.p99.push(rank(0.99));
    out.n.push(xs.length);
  }
  return out;
}
