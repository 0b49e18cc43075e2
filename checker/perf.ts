// Latency percentiles and throughput per f, from the ops' times (nanoseconds).
import type { History } from '../histories/history.js';
import type { Checker, Result } from './types.js';

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
function rank(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[k];
}

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;

export function summarizeLatencies(latenciesNs: number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesNs).sort();
  return {
    count: sorted.length,
    p50: ms(rank(sorted, 0.5)),
    p95: ms(rank(sorted, 0.95)),
    p99: ms(rank(sorted, 0.99)),
    max: ms(sorted.length ? sorted[sorted.length - 1] : NaN),
  };
}

function msText(x: number): string {
  return x < 0.1 ? '<0.1 ms' : x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

/** The figures in one line (what `faultline check` prints beside the verdict, which is always valid). */
function perfSummary(all: LatencySummary, okPerSecond: number): string {
  if (all.count === 0) return 'no op completed ok: no latency to measure';
  const rate = okPerSecond >= 100 ? String(Math.round(okPerSecond)) : okPerSecond.toFixed(1);
  return `ok latency p50 ${msText(all.p50)}, p99 ${msText(all.p99)}, max ${msText(all.max)} · ${rate} ok ops/s`;
}

export const perf: Checker = {
  name: 'perf',
  description: 'latency p50/p95/p99/max (ms) of ok ops per f, and throughput (ok ops/s)',
  async check(h: History): Promise<Result> {
    const lat: Record<string, number[]> = {};
    let first = Infinity;
    let last = -Infinity;
    let timed = 0;
    h.ops.forEach((op, i) => {
      if (op.process === 'nemesis' || op.time === undefined) return;
      timed++;
      if (op.time < first) first = op.time;
      if (op.time > last) last = op.time;
      if (op.type !== 'invoke') return;
      const done = h.completion(i);
      if (done?.type !== 'ok' || done.time === undefined) return;
      (lat[op.f] ??= []).push(done.time - op.time);
    });
    if (timed === 0 || last <= first) {
      return { valid: true, timing: false, note: 'the history carries no usable times; nothing to measure' };
    }
    const seconds = (last - first) / 1e9;
    const latency: Record<string, LatencySummary> = {};
    const throughput: Record<string, number> = {};
    let okTotal = 0;
    const every: number[] = [];
    for (const [f, xs] of Object.entries(lat)) {
      latency[f] = summarizeLatencies(xs);
      throughput[f] = Math.round((xs.length / seconds) * 100) / 100;
      okTotal += xs.length;
      for (const x of xs) every.push(x);
    }
    return {
      valid: true,
      summary: perfSummary(summarizeLatencies(every), okTotal / seconds),
      timing: true,
      durationSeconds: Math.round(seconds * 1000) / 1000,
      throughput: { all: Math.round((okTotal / seconds) * 100) / 100, ...throughput },
      latencyMs: latency,
    };
  },
};
