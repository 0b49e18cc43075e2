// Every list-append and rw-register row of verdicts-more.tsv (Elle's and elle-cli's histories),
// checked with the options given there, through the CLI as a user runs it.
import { describe, expect, it } from 'vitest';
import { runCheck } from '../cli/check.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readHistoryFile } from '../histories/read.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';
import { repoRoot, verdictsMore } from './helpers/corpus.js';

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

  it('JSONL input is streamed (never held as ops) and gives the same results as the file read whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-txn-'));
    try {
      for (const row of rows) {
        const { history } = await readHistoryFile(row.path);
        const jsonl = join(dir, `${basename(row.path)}.jsonl`);
        writeFileSync(jsonl, formatHistoryJsonl(history));
        const models = (row.options ?? '').split(/\s+/).filter(Boolean);
        const whole = await check(models, row.path, row.checker!);
        const streamed = await check(models, jsonl, row.checker!);
        for (const field of ['valid', 'anomalyTypes', 'not', 'alsoNot', 'anomalyCounts', 'edges', 'txns']) {
          expect(streamed.result[field], `${row.file} ${field}`).toEqual(whole.result[field]);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a streamed JSONL file with a bad micro-op or a broken process rule names file and line (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-txn-'));
    try {
      const bad = join(dir, 'bad.jsonl');
      writeFileSync(bad, [
        '{"index":0,"type":"invoke","process":0,"f":"txn","value":[["append","x",1]]}',
        '{"index":1,"type":"ok","process":0,"f":"txn","value":[["append","x",1]]}',
        '{"index":2,"type":"invoke","process":1,"f":"txn","value":[["add","x",2]]}',
        '{"index":3,"type":"ok","process":1,"f":"txn","value":[["add","x",2]]}',
      ].join('\n') + '\n');
      const twice = join(dir, 'twice.jsonl');
      writeFileSync(twice, [
        '{"index":0,"type":"invoke","process":0,"f":"txn","value":[["append","x",1]]}',
        '{"index":1,"type":"invoke","process":0,"f":"txn","value":[["append","x",2]]}',
      ].join('\n') + '\n');
      for (const [file, pattern] of [
        [bad, /bad\.jsonl:4: value\[0\]\[0\]: a list-append micro-op is "append" or "r", got "add"/],
        [twice, /twice\.jsonl:2: process 0 invokes "txn" while its "txn" from line 1 is still in flight/],
      ] as const) {
        const err: string[] = [];
        const code = await runCheck({ files: [file], checker: 'list-append' }, { stdout: () => {}, stderr: (l) => err.push(l) });
        expect(code).toBe(3);
        expect(err.join('\n')).toMatch(pattern);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a history without transactions is refused (exit 3), not called valid', async () => {
    const err: string[] = [];
    const code = await runCheck({ files: [join(repoRoot, 'examples', 'register.jsonl')], checker: 'list-append' }, { stdout: () => {}, stderr: (l) => err.push(l) });
    expect(code).toBe(3);
    expect(err.join('\n')).toMatch(/register\.jsonl: none of its 124 invocations is a transaction/);
  });

  it('the rw-register garbage read names the value and its line', async () => {
    const row = rows.find((r) => r.checker === 'rw-register')!;
    const { result } = await check([], row.path, 'rw-register');
    expect(result.explanation).toMatch(/read key x = 3, a value no transaction ever wrote/);
    expect(result.ops).toEqual([4]);
  });
});
