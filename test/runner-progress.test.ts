import { describe, expect, it } from 'vitest';
import type { Op } from '../histories/op.js';
import { Progress, progressLine } from '../runner/progress.js';

describe('progress', () => {
  it('says ops, rate, outcomes, the fault and the time left in one line', () => {
    expect(progressLine({ invocations: 1200, ok: 1100, fail: 40, info: 3 }, 97.6, ['pause'], 12.2, 30, 'running')).toBe(
      '1200 ops · 98/s · ok 1100 fail 40 info 3 · fault: pause · 18 s left',
    );
    expect(progressLine({ invocations: 5, ok: 5, fail: 0, info: 0 }, 0, [], 31, 30, 'final reads')).toBe('5 ops · 0/s · ok 5 fail 0 info 0 · fault: none · final reads');
  });

  it('rewrites one line on a terminal and ends it with a newline; prints plain lines elsewhere', async () => {
    for (const tty of [true, false]) {
      const ops: Op[] = [];
      const source = { ops, elapsed: () => 1, faults: () => ['kill'], phase: () => 'running' };
      const out: string[] = [];
      const p = new Progress(source, { tty, timeLimit: 10, everyMs: 5, write: (t) => out.push(t) });
      p.start();
      ops.push({ index: ops.length, type: 'invoke', process: 0, f: 'read', value: null }, { index: ops.length + 1, type: 'ok', process: 0, f: 'read', value: 1 });
      ops.push({ index: ops.length, type: 'info', process: 'nemesis', f: 'start-kill', value: ['n1'] });
      await new Promise((r) => setTimeout(r, 30));
      p.stop();
      expect(out.length).toBeGreaterThan(1);
      if (tty) {
        expect(out.every((t) => t.startsWith('\r\x1b[K') || t === '\n')).toBe(true);
        expect(out.at(-1)).toBe('\n');
      } else expect(out.every((t) => t.endsWith('\n') && !t.includes('\r'))).toBe(true);
      expect(out.filter((t) => t !== '\n').at(-1)).toMatch(/1 ops · \d+\/s · ok 1 fail 0 info 0 · fault: kill · 9 s left/);
    }
  });
});
