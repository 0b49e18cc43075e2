// Every list-append and rw-register row of verdicts-more.tsv (Elle's and elle-cli's histories),
// checked with the options given there, through the CLI as a user runs it.
import { describe, expect, it } from 'vitest';
import { runCheck } from '../cli/check.js';
import { verdictsMore } from './helpers/corpus.js';

const rows = verdictsMore.filter((r) => r.checker === 'list-append' || r.checker === 'rw-register');

async function check(args: string[], file: string, checker: string): Promise<{ code: number; result: Record<string, unknown> }> {
  const out: string[] = [];
  const models = args.indexOf('--consistency-models');
  const code = await runCheck(
    { files: [file], checker, json: true, consistencyModels: models >= 0 ? args[models + 1] : undefined },
    { stdout: (l) => out.push(l), stderr: () => {} },
  );
  return { code, result: JSON.parse(out[0]) as Record<string, unknown> };
}

describe('transactional corpus rows get their verdicts and anomalies', () => {
  it('has the rows the issue names', () => {
    expect(rows.length).toBeGreaterThanOrEqual(6);
  });

  for (const row of rows) {
    it(`${row.file} ${row.options ?? ''} → ${row.expected} ${row.anomalies ?? ''}`, async () => {
      const { code, result } = await check((row.options ?? '').split(/\s+/).filter(Boolean), row.path, row.checker!);
      expect(result.error).toBeUndefined();
      expect(result.valid).toBe(row.expected === 'valid');
      expect(code).toBe(row.expected === 'valid' ? 0 : 1);
      for (const a of (row.anomalies ?? '').split(/[,\s]+/).filter(Boolean)) expect(result.anomalyTypes).toContain(a);
      // Top level of each file's JSON object, as the issue asks.
      for (const field of ['anomalyTypes', 'anomalies', 'not', 'alsoNot']) expect(result).toHaveProperty(field);
    });
  }

  it('si-without-g-single: G2-item alone; repeatable-read ruled out, snapshot isolation not', async () => {
    const row = rows.find((r) => r.file.endsWith('si-without-g-single.edn'))!;
    const { result } = await check(['--consistency-models', 'snapshot-isolation,repeatable-read'], row.path, 'list-append');
    expect(result.anomalyTypes).toEqual(['G2-item']);
    expect(result.not).toEqual(['repeatable-read']);
    expect([...(result.not as string[]), ...(result.alsoNot as string[])]).not.toContain('snapshot-isolation');
  });

  it("the Elle paper's example is a G-single: T3 misses T2's append to 255 yet T2 precedes it", async () => {
    for (const name of ['paper-example.edn', 'paper-example.json']) {
      const row = rows.find((r) => r.file.endsWith(name))!;
      const { result } = await check([], row.path, 'list-append');
      expect(result.anomalyTypes).toEqual(['G-single']);
      const [cycle] = (result.anomalies as Record<string, { steps: { type: string }[] }[]>)['G-single'];
      expect(cycle.steps.map((s) => s.type).sort()).toEqual(['rw', 'wr', 'ww']);
    }
  });

  it('the rw-register garbage read names the value and its line', async () => {
    const row = rows.find((r) => r.checker === 'rw-register')!;
    const { result } = await check([], row.path, 'rw-register');
    expect(result.explanation).toMatch(/read key x = 3, a value no transaction ever wrote/);
    expect(result.ops).toEqual([4]);
  });
});
