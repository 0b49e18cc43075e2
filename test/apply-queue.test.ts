// The clock the built-in store's replication lag is measured on (targets/builtin/apply-queue.ts):
// a leader stamps an entry in its process and a follower compares the stamp with its own reading
// in another, so readings must be comparable between processes whatever the wall clock does.
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ApplyQueue, preciseNow } from '../targets/builtin/apply-queue.js';

describe('preciseNow', () => {
  it('a reading in another process falls between this process\'s readings before and after it', async () => {
    const module = resolve('dist/targets/builtin/apply-queue.js');
    for (let i = 0; i < 3; i++) {
      const before = preciseNow();
      const child = await execa(process.execPath, ['--input-type=module', '-e', `const { preciseNow } = await import(${JSON.stringify(module)}); console.log(preciseNow());`]);
      const after = preciseNow();
      const there = Number(child.stdout);
      expect(there).toBeGreaterThanOrEqual(before);
      expect(there).toBeLessThanOrEqual(after);
    }
  });

  it('is the machine\'s monotonic clock, not the wall clock fixed at the process\'s start', () => {
    // The wall-clock form (timeOrigin + now()) differs from the monotonic clock by the time since boot and more.
    const mono = Number(process.hrtime.bigint()) / 1e6;
    expect(Math.abs(preciseNow() - mono)).toBeLessThan(50);
  });
});

describe('ApplyQueue', () => {
  it('an entry\'s transit is never below the link latency, and its lag is transit + wait + apply', async () => {
    const applied: number[] = [];
    const timers: NodeJS.Timeout[] = [];
    const q = new ApplyQueue<string>({ linkLatencyMs: 5, applyTimeMs: 1, applied: 0, apply: (e) => applied.push(e.i), after: (ms, fn) => void timers.push(setTimeout(fn, ms)) });
    const at = preciseNow();
    q.receive([1, 2, 3].map((i) => ({ i, at, item: `v${i}` })));
    await new Promise((r) => setTimeout(r, 60));
    q.stop();
    for (const t of timers) clearTimeout(t);
    expect(applied).toEqual([1, 2, 3]);
    const s = q.drain();
    for (let k = 0; k < 3; k++) {
      expect(s.transitMs[k]).toBeGreaterThanOrEqual(5);
      expect(s.lagMs[k]).toBeCloseTo(s.transitMs[k] + s.waitMs[k] + s.applyMs[k], 1);
    }
    expect(s.queueDepth[0]).toBe(0);
  });
});
