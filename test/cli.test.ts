import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { registerChecker } from '../checker/registry.js';
import { corpusDir, repoRoot } from './helpers/corpus.js';

const bin = join(repoRoot, 'bin', 'faultline.js');
const tmp = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const good = join(tmp, 'good.jsonl');
const bad = join(tmp, 'bad.jsonl');
const etcd = join(corpusDir, 'porcupine/test_data/jepsen/etcd_000.log');

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

beforeAll(() => {
  const lines = [];
  for (let i = 0; i < 16; i++) lines.push(JSON.stringify({ index: i, time: i * 1e6, type: i % 2 ? 'ok' : 'invoke', process: 0, f: 'read', value: null }));
  writeFileSync(good, lines.join('\n') + '\n');
  writeFileSync(bad, lines.join('\n') + '\n{"index":16,"process":0,"f":"read","value":null}\n');
  // Checkers with fixed verdicts, to drive the exit codes through the real CLI path.
  for (const valid of [false, 'unknown'] as const) {
    registerChecker({ name: `always-${valid}`, description: '', check: async () => ({ valid, explanation: `it is ${valid}` }) });
  }
  // Echoes the options it was given, to see what --option passes.
  registerChecker({ name: 'echo-options', description: '', check: async (_h, ctx) => ({ valid: true, options: ctx.options }) });
});

describe('the faultline binary', () => {
  it('answers --version and --help', async () => {
    const v = await execa('node', [bin, '--version']);
    expect(v.stdout).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    const h = await execa('node', [bin, '--help']);
    expect(h.stdout).toContain('faultline check <files..>');
    expect(h.stdout).toContain('faultline convert <input>');
  });

  it('names file, line and field of a malformed op, exits 3, and shows no stack trace', async () => {
    const r = await execa('node', [bin, 'check', bad], { reject: false });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe(`${bad}:17: op has no "type"`);
  });

  it('checks a corpus file with stats by default', async () => {
    const r = await execa('node', [bin, 'check', etcd], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/etcd_000\.log: valid · 85 invocations \(69 ok, 0 fail, 16 info\) · stats · \d+ ms$/);
  });

  it('reports an output it cannot write in one line, with the stack only under --debug', async () => {
    const junit = join(good, 'j.xml'); // under a regular file: cannot be created
    const r = await execa('node', [bin, 'check', good, '--junit', junit], { reject: false });
    expect(r.exitCode).toBe(3);
    // refused before the check (issue 20 item 7), naming what is in the way
    expect(r.stderr).toMatch(/^faultline: --junit \S+j\.xml: \S+ is not a directory$/);
    const d = await execa('node', [bin, 'check', good, '--junit', junit, '--debug'], { reject: false });
    expect(d.stderr).toMatch(/^\s+at /m);
  });
});

describe('faultline check', () => {
  it('prints one line per file, and a directory means the history files in it', async () => {
    const dir = join(tmp, 'dir');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.jsonl'), readFileSync(good));
    writeFileSync(join(dir, 'sub', 'b.edn'), '[{:type :invoke, :f :read, :process 0}]');
    writeFileSync(join(dir, 'notes.md'), '# not a history');
    const r = await run('check', dir);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(2);
    expect(r.out[0]).toContain('a.jsonl: valid · 8 invocations');
    expect(r.out[1]).toContain('b.edn: valid · 1 invocation (0 ok, 0 fail, 0 info, 1 never completed)');
  });

  it('says "0 ops" for an empty history', async () => {
    const empty = join(tmp, 'empty.jsonl');
    writeFileSync(empty, '');
    const r = await run('check', empty);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/empty\.jsonl: valid · 0 ops · stats/);
  });

  it('--json prints the Result per file with file and checker at the top level', async () => {
    const r = await run('check', '--json', '--checker', 'perf', good, etcd);
    expect(r.code).toBe(0);
    const lines = r.out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ valid: true, file: good, checker: 'perf', timing: true });
    expect(lines[1]).toMatchObject({ valid: true, file: etcd, checker: 'perf', timing: false });
  });

  it('--help names every registered checker', async () => {
    const { CHECKER_NAMES } = await import('../cli/main.js');
    const { listCheckers } = await import('../checker/registry.js');
    const registered = listCheckers().map((c) => c.name).filter((n) => !n.startsWith('always-') && n !== 'echo-options');
    expect([...CHECKER_NAMES].sort()).toEqual(registered.sort());
  });

  it('--option KEY=VALUE passes checker options, read as JSON when they parse', async () => {
    const r = await run('check', '--json', '--checker', 'echo-options', '--option', 'total=100', '--option', 'negativeBalances=true', '--option', 'variant=ccv', '--option', 'accounts=[1,2]', good);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]).options).toMatchObject({ total: 100, negativeBalances: true, variant: 'ccv', accounts: [1, 2] });
    const bad = await run('check', '--checker', 'echo-options', '--option', 'oops', good);
    expect(bad.code).toBe(3);
    expect(bad.err.join('\n')).toMatch(/--option expects KEY=VALUE, got "oops"/);
  });

  it('exits 1 for invalid, 2 for unknown, 3 for errors; over several files 3 > 1 > 2', async () => {
    expect((await run('check', '--checker', 'always-false', good)).code).toBe(1);
    const u = await run('check', '--checker', 'always-unknown', good);
    expect(u.code).toBe(2);
    expect(u.out[0]).toContain(': unknown · 8 invocations · always-unknown');
    expect(u.out[0]).toMatch(/: it is unknown$/);
    expect((await run('check', '--checker', 'always-unknown', good, bad)).code).toBe(3);
    const i = await run('check', '--checker', 'always-false', good, bad, etcd);
    expect(i.code).toBe(3);
    expect(i.out).toHaveLength(2); // the bad file does not stop the others
    expect(i.err).toEqual([`${bad}:17: op has no "type"`]);
  });

  it('refuses an unknown checker, an unknown model and a bad --init', async () => {
    expect(await run('check', '--checker', 'nope', good)).toMatchObject({ code: 3, err: [expect.stringContaining('unknown checker "nope"')] });
    expect(await run('check', '--init', '{oops', good)).toMatchObject({ code: 3, err: [expect.stringContaining('--init is not valid JSON')] });
    const m = await run('check', '--model', 'cas-regster', good);
    expect(m.code).toBe(3);
    expect(m.err[0]).toBe('faultline: unknown model "cas-regster"; known models: cas-register, counter, fifo-queue, kv, multi-register, mutex, register, set, unordered-queue');
  });

  it('--model checks linearizability: exit 0 for a valid history, 1 with evidence for an invalid one', async () => {
    const valid = await run('check', '--model', 'cas-register', etcd.replace('000', '002'));
    expect(valid.code).toBe(0);
    expect(valid.out[0]).toMatch(/etcd_002\.log: valid · 77 invocations · linearizable/);
    const bad = await run('check', '--model', 'cas-register', '--json', etcd);
    expect(bad.code).toBe(1);
    const r = JSON.parse(bad.out[0]);
    expect(r).toMatchObject({ valid: false, checker: 'linearizable', model: 'cas-register', file: etcd });
    expect(r.explanation).toMatch(/^process \d+'s .* cannot be linearized/);
    expect(r.failure.op.line).toBeGreaterThan(0);
    const knossos = await run('check', '--model', 'cas-register', '--init', '0', join(corpusDir, 'knossos/data/cas-register/bad/rethink-fail-minimal.edn'));
    expect(knossos.code).toBe(1);
    expect(knossos.out[0]).toContain("process 1's read returning 3 (index 4, line 7) cannot be linearized");
  });

  it('--out writes the linearizability view of an invalid history next to results.json', async () => {
    const out = join(tmp, 'lin-out');
    const r = await run('check', '--model', 'cas-register', '--out', out, etcd);
    expect(r.code).toBe(1);
    const html = readFileSync(join(out, 'etcd_000.log', 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('<svg');
    expect(html).toContain('cannot be linearized');
    expect(JSON.parse(readFileSync(join(out, 'etcd_000.log', 'results.json'), 'utf8'))).toMatchObject({ valid: false, checker: 'linearizable' });
  });

  it('--keyed-tuples lifts [k, v] values into independent keys', async () => {
    const tuples = join(tmp, 'tuples.jsonl');
    const lines = [
      { type: 'invoke', process: 0, f: 'write', value: ['a', 1] },
      { type: 'ok', process: 0, f: 'write', value: ['a', 1] },
      { type: 'invoke', process: 0, f: 'write', value: ['b', 2] },
      { type: 'ok', process: 0, f: 'write', value: ['b', 2] },
      { type: 'invoke', process: 0, f: 'read', value: null },
      { type: 'ok', process: 0, f: 'read', value: ['a', 2] },
    ];
    writeFileSync(tuples, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await run('check', '--model', 'register', '--keyed-tuples', '--json', tuples);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out[0])).toMatchObject({ parts: 2, failure: { key: 'a' } });
  });

  it('reports a missing file and a file of unknown format with exit 3', async () => {
    expect(await run('check', join(tmp, 'missing.jsonl'))).toMatchObject({ code: 3, err: [`${join(tmp, 'missing.jsonl')}: no such file`] });
    const odd = join(tmp, 'odd.dat');
    writeFileSync(odd, 'hello world');
    expect((await run('check', odd)).err[0]).toBe(`${odd}: cannot tell the history format from its name or first bytes; pass --format`);
  });

  it('--out writes a folder per file with results.json; --junit writes a testcase per file', async () => {
    const out = join(tmp, 'out');
    const junit = join(tmp, 'junit.xml');
    const r = await run('check', '--checker', 'always-false', '--out', out, '--junit', junit, good, bad, etcd);
    expect(r.code).toBe(3);
    expect(JSON.parse(readFileSync(join(out, 'good.jsonl', 'results.json'), 'utf8'))).toMatchObject({ valid: false, file: good });
    expect(JSON.parse(readFileSync(join(out, 'bad.jsonl', 'results.json'), 'utf8'))).toMatchObject({ error: `${bad}:17: op has no "type"` });
    expect(existsSync(join(out, 'etcd_000.log', 'results.json'))).toBe(true);
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toContain('<failure type="invalid" message="it is false">');
    expect(xml).toContain(`<error type="input" message="${bad}:17: op has no &quot;type&quot;"/>`);
    expect(xml).toMatch(/tests="3" failures="2" errors="1"/);
  });

  it('--timeout turns a checker that takes too long into unknown', async () => {
    registerChecker({ name: 'slow', description: '', check: () => new Promise((resolve) => setTimeout(() => resolve({ valid: true }), 5000)) });
    const r = await run('check', '--checker', 'slow', '--timeout', '0.05', good);
    expect(r.code).toBe(2);
    expect(r.out[0]).toContain('did not finish within --timeout');
  });

  it('refuses unknown commands and options with one line and exit 3', async () => {
    const r = await run('chek', good);
    expect(r.code).toBe(3);
    expect(r.err[0]).toMatch(/^faultline: Unknown argument/);
  });
});

describe('faultline convert', () => {
  it('converts to EDN and back without loss', async () => {
    const edn = join(tmp, 'etcd.edn');
    const back = join(tmp, 'etcd.jsonl');
    expect((await run('convert', etcd, '--to', 'edn', '-o', edn)).code).toBe(0);
    expect(readFileSync(edn, 'utf8').split('\n')[0]).toBe('{:index 0, :type :invoke, :process 0, :f :read, :value nil}');
    expect((await run('convert', edn, '--to', 'jsonl', '-o', back)).code).toBe(0);
    const direct = join(tmp, 'etcd-direct.jsonl');
    await run('convert', etcd, '--to', 'jsonl', '-o', direct);
    expect(readFileSync(back, 'utf8')).toBe(readFileSync(direct, 'utf8'));
  });
});
