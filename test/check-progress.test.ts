// The progress line of `faultline check`: nothing in the first seconds, then one line rewritten in
// place on a terminal (cleared before results print), plain lines when asked for elsewhere, and
// never on stdout, so --json output stays pure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckProgressLine } from '../cli/check-progress.js';
import { runCheck } from '../cli/check.js';
import { generateKeyedRegisterHistory } from '../bench/generate.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-progress-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('the check progress line', () => {
  it('shows nothing before the delay, then redraws in place at most every so often, and clears', () => {
    const out: string[] = [];
    const c = clock();
    const p = new CheckProgressLine({ write: (t) => out.push(t), tty: true, now: c.now, columns: 200 });
    p.setFile('h.jsonl', 1, 3);
    p.phase('reading', 5e6, 2e7, 'bytes');
    expect(out).toEqual([]);
    c.advance(2500);
    p.phase('reading', 1e7, 2e7, 'bytes');
    expect(out).toEqual(['\r\x1b[Kfaultline check: h.jsonl (1/3) · reading · 10.0 MB of 20.0 MB (50%) · 3 s']);
    c.advance(50);
    p.phase('searching', 40960, undefined, 'configurations');
    expect(out.length).toBe(1); // too soon to redraw
    c.advance(200);
    p.phase('searching', 81920, undefined, 'configurations');
    expect(out[1]).toBe('\r\x1b[Kfaultline check: h.jsonl (1/3) · searching · 81,920 configurations · 3 s');
    p.clear();
    expect(out[2]).toBe('\r\x1b[K');
  });

  it('prints plain lines, seconds apart, when not on a terminal', () => {
    const out: string[] = [];
    const c = clock();
    const p = new CheckProgressLine({ write: (t) => out.push(t), tty: false, now: c.now });
    p.setFile('h.edn', 1, 1);
    c.advance(2000);
    p.phase('checking parts', 10, 1000, 'parts');
    c.advance(1000);
    p.phase('checking parts', 20, 1000, 'parts');
    c.advance(5000);
    p.phase('checking parts', 900, 1000, 'parts');
    expect(out).toEqual(['faultline check: h.edn · checking parts · 10 of 1,000 parts (1%) · 2 s\n', 'faultline check: h.edn · checking parts · 900 of 1,000 parts (90%) · 8 s\n']);
    p.clear();
    expect(out.length).toBe(2);
  });

  it('goes to its own stream during a check, never to stdout with --json', async () => {
    const file = join(tmp, 'keyed.jsonl');
    writeFileSync(file, formatHistoryJsonl(generateKeyedRegisterHistory({ ops: 4000, keys: 50, processes: 5, crashRate: 0.02, seed: 3 })));
    const stdout: string[] = [];
    const progress: string[] = [];
    const line = new CheckProgressLine({ write: (t) => progress.push(t), tty: false, delayMs: 0, everyMs: 0 });
    const code = await runCheck({ files: [file], model: 'cas-register', json: true }, { stdout: (l) => stdout.push(l), stderr: () => {}, progress: line });
    expect(code).toBe(0);
    expect(stdout.length).toBe(1);
    expect(JSON.parse(stdout[0]).valid).toBe(true);
    expect(progress.some((l) => /reading · [\d.]+ kB of [\d.]+ kB/.test(l))).toBe(true);
    expect(progress.some((l) => /checking parts · \d+ of 50 parts/.test(l))).toBe(true);
  });
});
