// The scenarios' arithmetic, on figures and histories built by hand: the lag formula over a run's
// per-entry terms, and the split-brain figures (writes per side, conflicting keys, acknowledged
// writes lost, siblings kept). The runs themselves: test/integration/scenarios-*.test.ts.
import { describe, expect, it } from 'vitest';
import type { Op } from '../histories/op.js';
import { quantiles } from '../metrics/derive.js';
import type { MetricSample } from '../metrics/types.js';
import { predictLag, withinTolerance } from '../scenarios/lag-formula.js';
import { measureSplitBrain, type SplitBrainFigures } from '../scenarios/split-brain-measure.js';

describe('lag formula', () => {
  it('network latency + queue depth / throughput + processing time, at p50 and p99', () => {
    const p = predictLag({
      lagMs: quantiles([20, 30, 40]),
      transitMs: quantiles([10, 10, 12]),
      queueDepth: quantiles([0, 2, 4]),
      applyMs: quantiles([5, 5, 5]),
      waitMs: quantiles([0, 10, 20]),
      throughputPerSecond: 200,
    });
    // p50: 10 + 2/200 s (10 ms) + 5; p99: 12 + 4/200 s (20 ms) + 5.
    expect(p.predicted).toEqual({ p50: 25, p99: 37 });
    expect(p.measured).toEqual({ p50: 30, p99: 40 });
    expect(p.terms.processingMs).toEqual({ p50: 5, p99: 5 });
  });

  it('tolerance, whichever is more: p50 25 % of the measured lag or 5 ms, p99 40 % or 10 ms', () => {
    expect(withinTolerance(25, 30, 'p50')).toBe(true);
    expect(withinTolerance(70, 100, 'p50')).toBe(false);
    expect(withinTolerance(76, 100, 'p50')).toBe(true);
    expect(withinTolerance(1, 6, 'p50')).toBe(true);
    expect(withinTolerance(70, 100, 'p99')).toBe(true);
    expect(withinTolerance(59, 100, 'p99')).toBe(false);
    expect(withinTolerance(12, 20, 'p99')).toBe(true);
  });

  it("per entry when the run kept each entry's terms: the p99 of the sums, not the sum of the p99s", () => {
    const r = {
      lagMs: quantiles([20, 30, 40]),
      transitMs: quantiles([10, 10, 12]),
      queueDepth: quantiles([0, 2, 4]),
      applyMs: quantiles([5, 5, 5]),
      waitMs: quantiles([0, 10, 20]),
      throughputPerSecond: 200,
      formulaMs: quantiles([15, 25, 39]),
    };
    expect(predictLag(r).predicted).toEqual({ p50: 25, p99: 39 });
  });
});

const SITES = { a: ['n1'], b: ['n2', 'n3'] };
const S = 1e9;

/** A history from [process, node, f, key, value, invoked at s, completed at s, type] rows and a partition from 2 s to 10 s. */
function history(rows: [number, string, string, number, unknown, number, number, 'ok' | 'info' | 'fail', boolean?][]): Op[] {
  const events: (Omit<Op, 'index' | 'time'> & { time: number })[] = [
    { process: 'nemesis', type: 'info', f: 'start-partition', value: null, time: 2 * S },
    { process: 'nemesis', type: 'info', f: 'stop-partition', value: null, time: 10 * S },
  ];
  for (const [process, node, f, key, value, t0, t1, type, final] of rows) {
    events.push({ process, node, f, key, value: f === 'read' ? null : value, time: t0 * S, type: 'invoke', ...(final ? { final } : {}) });
    events.push({ process, node, f, key, value, time: t1 * S, type, ...(final ? { final } : {}) });
  }
  return events.sort((x, y) => x.time - y.time).map((e, index) => ({ ...e, index }) as Op);
}

describe('split-brain figures', () => {
  const ops = history([
    [0, 'n1', 'add', 1, 10, 1, 1.1, 'ok'], // before the cut, kept
    [0, 'n1', 'add', 1, 11, 3, 3.1, 'ok'], // site A, key 1, lost
    [1, 'n2', 'add', 1, 12, 5, 5.1, 'ok'], // site B, key 1: key 1 conflicts
    [0, 'n1', 'add', 2, 20, 4, 4.1, 'ok'], // site A only, lost
    [2, 'n3', 'add', 3, 30, 6, 6.1, 'info'], // unknown
    [1, 'n2', 'add', 4, 40, 7, 7.1, 'ok'], // no final read of key 4: unverified
    [0, 'n1', 'read', 1, [10, 12], 20, 20.1, 'ok', true],
    [1, 'n2', 'read', 2, [], 20, 20.1, 'ok', true],
    [2, 'n3', 'read', 3, [30], 20, 20.1, 'ok', true],
  ]);

  it('writes per side, conflicting keys, acknowledged writes lost (and those no final read could verify)', () => {
    const f = measureSplitBrain(ops, SITES) as SplitBrainFigures;
    expect(f.partition).toEqual({ from: 2, to: 10, seconds: 8 });
    expect(f.writes).toEqual({ a: 2, b: 2 });
    expect(f.unknown).toEqual({ a: 0, b: 1 });
    expect(f.firstWrite).toEqual({ a: 1.1, b: 3.1 });
    expect(f.conflictingKeys).toBe(1);
    expect(f.lost).toEqual({ a: 2, b: 0, before: 0, total: 2, keys: 2 });
    expect(f.unverified).toBe(1);
    expect(f.siblings).toBeUndefined();
  });

  it('multi-leader-vv: the conflicting keys every node still holds as siblings', () => {
    const node = (keys: string[]) => ({ keysWithSiblings: keys.length, siblingKeys: keys });
    const sample = { t: 0, nodes: { n1: node(['set:1', 'set:9']), n2: node(['set:1']), n3: node(['set:1']) } } as unknown as MetricSample;
    const f = measureSplitBrain(ops, SITES, sample) as SplitBrainFigures;
    expect(f.siblings).toEqual({ conflictingKept: 1, keysWithSiblings: { n1: 2, n2: 1, n3: 1 } });
    const missing = { t: 0, nodes: { n1: node(['set:1']), n2: node([]), n3: node(['set:1']) } } as unknown as MetricSample;
    expect((measureSplitBrain(ops, SITES, missing) as SplitBrainFigures).siblings?.conflictingKept).toBe(0);
  });

  it('a history without a partition has nothing to measure', () => {
    expect(measureSplitBrain(ops.filter((o) => o.process !== 'nemesis'), SITES)).toBe('the history has no partition');
  });
});
