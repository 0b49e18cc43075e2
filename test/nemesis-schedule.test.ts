import { describe, expect, it } from 'vitest';
import { faultSchedule } from '../nemesis/schedule.js';
import { simulate } from '../workloads/generator/simulate.js';
import { nemesis } from '../workloads/generator/threads.js';
import { timeLimit } from '../workloads/generator/time.js';

const S = 1e9;

function rounds(options: Parameters<typeof faultSchedule>[3], seed = 3) {
  const ops = simulate(nemesis(timeLimit(200 * S, faultSchedule(['kill'], 10 * S, ['n1', 'n2', 'n3'], options))), { concurrency: 1, seed });
  // The nemesis runs one op at a time: its records alternate invocation, completion.
  const invocations = ops.filter((_, i) => i % 2 === 0);
  const starts = invocations.filter((o) => o.f === 'start-kill').map((o) => o.time!);
  const stops = invocations.filter((o) => o.f === 'stop-kill').map((o) => o.time!);
  return { starts, stops };
}

describe('fault schedule', () => {
  it('waits the interval, holds each fault for `hold`, again and again', () => {
    const { starts, stops } = rounds({ holdNs: 4 * S });
    expect(starts.length).toBeGreaterThan(10);
    starts.forEach((t, i) => {
      expect(stops[i] - t).toBeGreaterThanOrEqual(4 * S);
      expect(stops[i] - t).toBeLessThan(4 * S + 1e6);
      if (i > 0) expect(t - stops[i - 1]).toBeGreaterThanOrEqual(10 * S);
    });
  });

  it('varies the quiet by ± jitter, replayably by seed', () => {
    const a = rounds({ holdNs: 2 * S, jitterNs: 3 * S });
    const quiet = a.starts.slice(1).map((t, i) => t - a.stops[i]);
    for (const q of quiet) {
      expect(q).toBeGreaterThanOrEqual(7 * S);
      expect(q).toBeLessThanOrEqual(13 * S + 1e6);
    }
    expect(new Set(quiet.map((q) => Math.round(q / 1e8))).size).toBeGreaterThan(3);
    expect(rounds({ holdNs: 2 * S, jitterNs: 3 * S })).toEqual(a);
  });
});
