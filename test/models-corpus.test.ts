// The rows of verdicts-more.tsv for the data-structure checkers (bank, set, …), through the CLI
// as a user runs them: expected verdict and exit code.
import { describe, expect, it } from 'vitest';
import { runCheck } from '../cli/check.js';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir, repoRoot, verdictsMore } from './helpers/corpus.js';

const rows = verdictsMore.filter((r) => r.checker !== 'list-append' && r.checker !== 'rw-register');

describe('data-structure corpus rows get their verdicts through the CLI', () => {
  it('has the bank and set rows', () => {
    expect(rows.map((r) => r.checker).sort()).toEqual(['bank', 'bank', 'set']);
  });

  for (const row of rows) {
    it(`${row.file} --checker ${row.checker} → ${row.expected}`, async () => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCheck({ files: [row.path], checker: row.checker, json: true }, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
      expect(err).toEqual([]);
      const result = JSON.parse(out[0]) as Record<string, unknown>;
      expect(result.valid).toBe(row.expected === 'valid');
      expect(code).toBe(row.expected === 'valid' ? 0 : 1);
      if (row.expected === 'invalid') expect(result.explanation).toEqual(expect.any(String));
    });
  }

  it('--checker sequential --model checks sequential consistency through the CLI', async () => {
    const run = async (file: string, init?: string) => {
      const out: string[] = [];
      const code = await runCheck({ files: [file], checker: 'sequential', model: 'cas-register', init, json: true }, { stdout: (l) => out.push(l), stderr: () => {} });
      return { code, result: JSON.parse(out[0]) as Record<string, unknown> };
    };
    expect((await run(join(repoRoot, 'examples', 'register.jsonl'))).code).toBe(0);
    const bad = await run(join(corpusDir, 'knossos/data/cas-register/bad/rethink-fail-minimal.edn'), '0');
    expect(bad.code).toBe(1);
    expect(bad.result.explanation).toMatch(/No order of the 4 ops that keeps each process's own order is legal for the cas-register/);
  });

  it('--variant picks the causal verdict: Fig. 2(c) is CC (exit 0) but not CCv (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-causal-'));
    const file = join(dir, 'fig2c.jsonl');
    const ops = [
      [0, 'write', 1, 1],
      [1, 'write', 2, 2],
      [1, 'read', null, 1],
      [1, 'read', null, 2],
    ].flatMap(([process, f, inv, done], i) => [
      { index: 4 * i, type: 'invoke', process, f, key: 'x', value: inv },
      { index: 4 * i + 1, type: 'ok', process, f, key: 'x', value: done },
    ]);
    writeFileSync(file, ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
    const run = (variant?: string) => runCheck({ files: [file], checker: 'causal', variant }, { stdout: () => {}, stderr: () => {} });
    expect(await run()).toBe(0);
    expect(await run('cc')).toBe(0);
    expect(await run('ccv')).toBe(1);
    expect(await run('cm')).toBe(1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a checker given a history with none of its ops says unknown (exit 2), not valid', async () => {
    const txns = join(corpusDir, 'elle-cli/histories/elle/paper-example.json');
    for (const checker of ['session', 'staleness', 'queue', 'total-queue', 'unique-ids']) {
      const out: string[] = [];
      const code = await runCheck({ files: [txns], checker, json: true }, { stdout: (l) => out.push(l), stderr: () => {} });
      expect(code, checker).toBe(2);
      expect(JSON.parse(out[0]).explanation).toMatch(new RegExp(`the ${checker} checker looks at ops with f .* this history has none \\(its fs: "txn"\\)`));
    }
  });

  it('the negative-balance file passes with --option negativeBalances=true', async () => {
    const neg = rows.find((r) => r.file.endsWith('bank-negative-balances.json'))!;
    const out: string[] = [];
    const code = await runCheck({ files: [neg.path], checker: 'bank', json: true, option: ['negativeBalances=true'] }, { stdout: (l) => out.push(l), stderr: () => {} });
    expect(code).toBe(0);
    expect(JSON.parse(out[0]).valid).toBe(true);
  });
});
