// Hostile and careless input (issue 20): each case the fuzzing found ends in a verdict or in one
// line, exit 3, naming the file and line — never "internal error", a stack overflow, a hang or a
// second line. One describe per item of the issue.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { MAX_ERROR_LINE, oneLine } from '../histories/errors.js';
import { jsonTooDeepAt, MAX_NESTING, nestedDeeperThan } from '../histories/nesting.js';
import { parseEdn } from '../histories/edn.js';
import { MAX_TIMER_MS, timerMs } from '../runner/limits.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(text: string, ext = 'jsonl'): string {
  const p = join(dir, `f${++files}.${ext}`);
  writeFileSync(p, text);
  return p;
}

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

/** Exit 3 and exactly one stderr line, short, without "internal error", matching `re`. */
function refused(r: { code: number; err: string[] }, re: RegExp): void {
  expect(r.code, r.err.join('\n')).toBe(3);
  expect(r.err, r.err.join('\n')).toHaveLength(1);
  expect(r.err[0]).not.toMatch(/internal error|Maximum call stack/);
  expect(r.err[0]).not.toMatch(/\n/);
  expect(r.err[0].length).toBeLessThanOrEqual(MAX_ERROR_LINE + 'faultline: '.length);
  expect(r.err[0]).toMatch(re);
}

const deep = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);
const op = (o: Record<string, unknown>) => JSON.stringify(o);

describe('item 3: deep nesting is an input error with file and line', () => {
  it('nestedDeeperThan and jsonTooDeepAt count levels without running out of stack', () => {
    expect(nestedDeeperThan(JSON.parse(deep(MAX_NESTING)))).toBe(false);
    expect(nestedDeeperThan(JSON.parse(deep(MAX_NESTING + 1)))).toBe(true);
    expect(nestedDeeperThan(JSON.parse(deep(200_000)))).toBe(true);
    expect(jsonTooDeepAt('{"a": "[[[[", "b": [[1]]}', 2)).toBe(20);
    expect(jsonTooDeepAt('{"a": "[[[[", "b": [1]}', 2)).toBe(-1);
  });

  it('nestedDeeperThan agrees with the depth of random values, at every limit', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const gen = (d: number): unknown => {
      const k = rnd(d > 6 ? 2 : 5);
      if (k === 0) return rnd(10);
      if (k === 1) return null;
      if (k === 2 || k === 3) return Array.from({ length: rnd(4) }, () => gen(d + 1));
      return Object.fromEntries(Array.from({ length: rnd(4) }, (_, i) => [`k${i}`, gen(d + 1)]));
    };
    const depth = (v: unknown): number => (v === null || typeof v !== 'object' ? 0 : 1 + Math.max(0, ...Object.values(v).map(depth)));
    for (let i = 0; i < 500; i++) {
      const v = gen(0);
      for (let limit = 0; limit <= 9; limit++) expect(nestedDeeperThan(v, limit), JSON.stringify(v)).toBe(typeof v === 'object' && v !== null && depth(v) > limit);
    }
    // a deep limit: the recursion goes that far and no further
    expect(nestedDeeperThan(JSON.parse(deep(3000)), 2999)).toBe(true);
    expect(nestedDeeperThan(JSON.parse(deep(3000)), 3000)).toBe(false);
  });

  for (const checker of ['stats', 'linearizable', 'sequential']) {
    it(`JSONL, ${checker}: the op's line, not "Maximum call stack size exceeded"`, async () => {
      const f = file(`${op({ type: 'invoke', process: 0, f: 'write', value: 1 })}\n${op({ type: 'ok', process: 0, f: 'write', value: 1 }).replace('"value":1', `"value":${deep(5000)}`)}\n`);
      refused(await run('check', f, '--checker', checker, '--model', 'register'), new RegExp(`${f}:2: op nested more than ${MAX_NESTING} levels deep`));
    });

    it(`EDN, ${checker}: the form's line`, async () => {
      const f = file(`{:type :invoke, :process 0, :f :write, :value 1}\n{:type :ok, :process 0, :f :write, :value ${deep(5000)}}\n`, 'edn');
      refused(await run('check', f, '--checker', checker, '--model', 'register'), new RegExp(`${f}:2: EDN: nested more than ${MAX_NESTING} levels deep`));
    });
  }

  it('a JSON array history, and an EDN form deep inside #_ and metadata', async () => {
    const f = file(`[${op({ type: 'invoke', process: 0, f: 'write', value: 1 })},\n${op({ type: 'ok', process: 0, f: 'write', value: 1 }).replace('"value":1', `"value":${deep(3000)}`)}]\n`, 'json');
    refused(await run('check', f), /:2: op nested more than 100 levels deep/);
    expect(() => parseEdn(`#_ ${deep(5000)} 1`, 'x.edn')).toThrow(/x\.edn:1: EDN: nested more than 100/);
    expect(() => parseEdn('^'.repeat(5000) + '{} 1', 'x.edn')).toThrow(/x\.edn:1: EDN: nested more than 100/);
    expect(parseEdn(deep(MAX_NESTING), 'x.edn')).toBeDefined();
  });

  it('a test config: the line where the nesting passes the limit', async () => {
    const f = file(`{\n  "workload": {\n    "name": "register",\n    "options": {"x": ${deep(5000)}}\n  }\n}\n`, 'json');
    refused(await run('test', '--config', f, '--store', join(dir, 'store')), new RegExp(`${f}:4: config nested more than 100 levels deep`));
  });
});

describe('item 4: values of the wrong shape for the model, and --init, are refused', () => {
  const pair = (f: string, value: unknown, result: unknown = value) =>
    `${op({ type: 'invoke', process: 0, f, value })}\n${op({ type: 'ok', process: 0, f, value: result })}\n`;

  for (const checker of ['linearizable', 'sequential']) {
    it(`${checker}: a cas whose value is not [from, to] (was "internal error … number 1 is not iterable")`, async () => {
      const f = file(pair('cas', 1));
      refused(await run('check', f, '--checker', checker, '--model', 'cas-register'), new RegExp(`${f}:1: cas value must be \\[from, to\\], got 1 \\(model cas-register\\)`));
    });
  }

  it('a counter adding text, a counter read returning text (were INVALID: NaN)', async () => {
    const add = file(pair('add', 'x'));
    refused(await run('check', add, '--model', 'counter'), new RegExp(`${add}:1: add value must be a number, got "x"`));
    const read = file(pair('read', null, 'seven'));
    refused(await run('check', read, '--model', 'counter'), new RegExp(`${read}:2: read its result must be a number, got "seven"`));
  });

  it('multi-register micro-ops, a set read, kv values that are not strings', async () => {
    const mr = file(pair('txn', [1]));
    refused(await run('check', mr, '--model', 'multi-register'), /:1: txn value must be a list of micro-ops/);
    const set = file(pair('read', null, 3));
    refused(await run('check', set, '--model', 'set'), /:2: read its result must be an array of elements, got 3/);
    const kv = file(pair('put', { a: 1 }));
    refused(await run('check', kv, '--model', 'kv', '--init', '""'), /:1: put value must be a string, got \{"a":1\}/);
  });

  it('--init is checked against the model (counter "x" was INVALID, kv {} was "[object Object]")', async () => {
    const f = file(pair('read', null, 0));
    refused(await run('check', f, '--model', 'counter', '--init', '"x"'), /--init "x": the model's state is a number, not a string/);
    refused(await run('check', f, '--model', 'kv', '--init', '{}'), /--init \{\}: the kv model holds a string/);
    refused(await run('check', f, '--model', 'set', '--init', '5'), /--init 5: the model's state is an array/);
    refused(await run('check', f, '--model', 'mutex', '--init', '0'), /--init 0: the model's state is true \(held\) or false/);
    refused(await run('check', f, '--model', 'multi-register', '--init', '[]'), /--init \[\]: the model's state is an object/);
    expect((await run('check', f, '--model', 'counter', '--init', '0')).code).toBe(0);
  });
});

describe('item 5: one line naming file and line, whatever the input holds', () => {
  it('oneLine escapes control characters and cuts a long middle, keeping both ends', () => {
    expect(oneLine('a\nb\r\tc\u001b[31m\u2028')).toBe('a\\nb\\r\\tc\\u001b[31m\\u2028');
    const long = oneLine(`f.jsonl:3: "f" ${'x'.repeat(5_000_000)} got the end`);
    expect(long.length).toBe(MAX_ERROR_LINE);
    expect(long).toMatch(/^f\.jsonl:3: "f" x+…x+ got the end$/);
  });

  it('a field holding a newline, and a 5 MB field, in a history', async () => {
    const nl = file(`${op({ type: 'invoke', process: 0, f: 'wr\nite', value: 1, index: 'x\ny' })}\n`);
    refused(await run('check', nl), new RegExp(`${nl}:1: `));
    const big = file(`${op({ type: 'invoke', process: 0, f: 'x'.repeat(5 << 20), value: 1, index: 'i'.repeat(5 << 20) })}\n`);
    refused(await run('check', big), new RegExp(`${big}:1: `));
  });

  it('a config with a syntax error spread over lines names the line', async () => {
    const f = file('{\n  "workload": {\n    "name": "register",\n  }\n}\n', 'json');
    refused(await run('test', '--config', f, '--store', join(dir, 'store')), new RegExp(`${f}:4: not valid JSON`));
    const cut = file('{\n  "workload": {\n    "name": "register"\n', 'json');
    refused(await run('test', '--config', cut, '--store', join(dir, 'store')), new RegExp(`${cut}:\\d+: not valid JSON`));
  });

  it('a mistake in a nested config option names its line and field', async () => {
    const f = file(JSON.stringify({ workload: { name: 'register', options: { keys: [] } } }, null, 2), 'json');
    refused(await run('test', '--config', f, '--store', join(dir, 'store')), new RegExp(`${f}:5: workload\\.options\\.keys: .*keys must be integer, got \\[\\]`));
  });

  it('a config value holding a newline stays on one line', async () => {
    const f = file(JSON.stringify({ workload: { name: 'reg\nister' } }, null, 2), 'json');
    refused(await run('test', '--config', f, '--store', join(dir, 'store')), /reg\\nister/);
  });

  it('a usage mistake is one line with its hint', async () => {
    refused(await run('chekc'), /Unknown argument: chekc \(faultline --help shows the commands and options\)/);
  });
});

describe('item 6: repeated single-value flags, and convert -o DIR', () => {
  const ok = () => file(`${op({ type: 'invoke', process: 0, f: 'read', value: null })}\n${op({ type: 'ok', process: 0, f: 'read', value: null })}\n`);

  it('--out A --out B (was "internal error: The path argument must be of type string")', async () => {
    refused(await run('check', ok(), '--out', join(dir, 'A'), '--out', join(dir, 'B')), /--out given 2 times \(".*A", ".*B"\): it takes one value; give it once/);
  });

  it('--consistency-models a --consistency-models b (was "raw.split is not a function")', async () => {
    refused(
      await run('check', ok(), '--checker', 'list-append', '--consistency-models', 'serializable', '--consistency-models=snapshot-isolation'),
      /--consistency-models given 2 times \("serializable", "snapshot-isolation"\)/,
    );
  });

  it('other single-value flags of check, test and convert; --option still collects', async () => {
    refused(await run('check', ok(), '--timeout', '1', '--timeout', '2'), /--timeout given 2 times \(1, 2\)/);
    refused(await run('check', ok(), '--model', 'register', '--model', 'counter'), /--model given 2 times/);
    refused(await run('test', '--store', join(dir, 's1'), '--store', join(dir, 's2')), /--store given 2 times/);
    refused(await run('convert', ok(), '--to', 'edn', '-o', join(dir, 'a.edn'), '--output', join(dir, 'b.edn')), /--output given 2 times/);
    const r = await run('check', ok(), '--checker', 'bank', '--option', 'negativeBalances=true', '--option', 'x=1');
    expect(r.err.join('\n')).not.toMatch(/given 2 times/);
  });

  it('convert -o DIR is refused before the conversion (was "internal error: EISDIR")', async () => {
    refused(await run('convert', ok(), '--to', 'edn', '-o', dir), new RegExp(`--output ${dir}: is a directory; give a file name`));
    const out = join(dir, 'sub', 'c.edn');
    expect((await run('convert', ok(), '--to', 'edn', '-o', out)).code).toBe(0);
  });
});

describe('item 7: unwritable or special paths are refused at once', () => {
  const ok = () => file(`${op({ type: 'invoke', process: 0, f: 'read', value: null })}\n${op({ type: 'ok', process: 0, f: 'read', value: null })}\n`);
  /** Refused, and quickly: each of these hung before (Node's recursive mkdir never returns on /proc/nope). */
  async function refusedAtOnce(argv: string[], re: RegExp) {
    const started = Date.now();
    refused(await run(...argv), re);
    expect(Date.now() - started).toBeLessThan(5000);
  }

  it('check --out /proc/nope, --junit /proc/x/y.xml, test --store /proc/1 (hung)', async () => {
    await refusedAtOnce(['check', ok(), '--out', '/proc/nope'], /^faultline: --out \/proc\/nope: cannot write in \/proc \(E[A-Z]+\)$/);
    await refusedAtOnce(['check', ok(), '--junit', '/proc/x/y.xml'], /^faultline: --junit \/proc\/x\/y\.xml: cannot write in \/proc \(E[A-Z]+\)$/);
    await refusedAtOnce(['test', '--store', '/proc/1', '--time-limit', '1'], /^faultline: --store \/proc\/1: cannot write in \/proc\/1 \(E[A-Z]+\)$/);
    await refusedAtOnce(['test', '--store', join(dir, 'store'), '--junit', dir], /--junit .*: is a directory; give a file name/);
  });

  it('an output path that is a file where a folder goes, or a folder where a file goes', async () => {
    const f = ok();
    await refusedAtOnce(['check', f, '--out', f], /--out .*: is a file; give a directory/);
    await refusedAtOnce(['check', f, '--junit', dir], /--junit .*: is a directory; give a file name/);
    await refusedAtOnce(['check', f, '--out', join(f, 'sub')], /--out .*: .* is not a directory/);
    // and what can be written still is, folders made
    expect((await run('check', f, '--out', join(dir, 'o', 'p'), '--junit', join(dir, 'j', 'k.xml'))).code).toBe(0);
    expect((await run('check', f, '--junit', '/dev/null')).code).toBe(0);
  });

  it('a FIFO or a device as a history, config or --junit (hung or grew past 3 GB)', async () => {
    const fifo = join(dir, 'fifo.jsonl');
    await execa('mkfifo', [fifo]);
    const r = await run('check', fifo);
    expect(r.code).toBe(3);
    expect(r.err).toEqual([`${fifo}: is a FIFO, not a regular file (standard input is read as /dev/stdin)`]);
    const z = await run('check', '/dev/zero', '--format', 'jsonl');
    expect(z.err).toEqual(['/dev/zero: is a character device, not a regular file (standard input is read as /dev/stdin)']);
    await refusedAtOnce(['convert', fifo, '--to', 'edn'], /fifo\.jsonl: is a FIFO, not a regular file/);
    await refusedAtOnce(['test', '--config', fifo], /config .*fifo\.jsonl: is a FIFO, not a regular file/);
    await refusedAtOnce(['check', ok(), '--junit', fifo], /--junit .*fifo\.jsonl: a FIFO that no one reads/);
  });

  it('standard input on purpose is read: /dev/stdin (a pipe needs --format)', async () => {
    const f = ok();
    const cli = join(import.meta.dirname, '..', 'bin', 'faultline.js');
    // a shell's pipe (Node's own child stdio is a socket, which /dev/stdin cannot open)
    const pipe = (extra: string) => execa('sh', ['-c', `cat "$1" | "$2" "$3" check /dev/stdin ${extra}`, 'sh', f, process.execPath, cli], { reject: false });
    const piped = await pipe('--format jsonl');
    expect(piped.exitCode, piped.stderr).toBe(0);
    const redirected = await execa('sh', ['-c', '"$2" "$3" check /dev/stdin < "$1"', 'sh', f, process.execPath, cli], { reject: false });
    expect(redirected.exitCode, redirected.stderr).toBe(0);
    const unsaid = await pipe('');
    expect(unsaid.exitCode).toBe(3);
    expect(unsaid.stderr).toBe('/dev/stdin: a pipe: its format cannot be told from its first bytes; pass --format');
  });
});

describe('item 8: durations past Node\'s timer limit', () => {
  const limit = /must be at most 2147483 seconds \(about 24\.8 days, the longest timer Node keeps\)/;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  beforeAll(() => void process.on('warning', onWarning));
  afterAll(() => void process.off('warning', onWarning));

  it('test --quiesce 3000000 (quiesced 1 ms after a TimeoutOverflowWarning) and the other test durations', async () => {
    const store = join(dir, 'store');
    refused(await run('test', '--quiesce', '3000000', '--store', store), new RegExp(`"quiesce" \\(--quiesce\\) ${limit.source}, got 3000000`));
    refused(await run('test', '--time-limit', '99999999', '--store', store), /"timeLimit" \(--time-limit\) must be at most 2147483 seconds/);
    refused(await run('test', '--op-timeout', '1e10', '--store', store), /"opTimeout" \(--op-timeout\) must be at most/);
    refused(await run('test', '--nemesis-interval', '2147484', '--store', store), /"nemesis\.interval" \(--nemesis-interval\) must be at most/);
    const f = file(JSON.stringify({ workload: { name: 'register' }, nemesis: { hold: 3e9 } }, null, 2), 'json');
    refused(await run('test', '--config', f, '--store', store), new RegExp(`${f}:6: "nemesis\\.hold" \\(--nemesis-hold\\) ${limit.source}, got 3000000000`));
    expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
  });

  it('check --timeout 99999999 (warned the same way); the limit itself is taken', async () => {
    const f = file(`${op({ type: 'invoke', process: 0, f: 'read', value: null })}\n${op({ type: 'ok', process: 0, f: 'read', value: null })}\n`);
    refused(await run('check', f, '--timeout', '99999999'), new RegExp(`^faultline: --timeout ${limit.source}, got 99999999$`));
    expect((await run('check', f, '--timeout', '2147483', '--model', 'register')).code).toBe(0);
    expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
  });

  it('timers built from sums of durations are clamped', () => {
    expect(timerMs(3e9)).toBe(MAX_TIMER_MS);
    expect(timerMs(-5)).toBe(0);
    expect(timerMs(1500)).toBe(1500);
  });
});

describe('item 9: sizes have documented limits', () => {
  const store = () => join(dir, 'store');
  it('--option keys=100000 (300k ops, 3 GB) and keys=1e9 are refused before a node starts', async () => {
    refused(await run('test', '--option', 'keys=100000', '--store', store()), /^faultline: flags: workload\.options\.keys: workload register: option keys must be at most 1,000, got 100000$/);
    refused(await run('test', '--option', 'keys=1e9', '--store', store()), /option keys must be at most 1,000, got 1000000000/);
  });

  it('the transactional, bank and counter sizes, from flags and from a config line', async () => {
    refused(await run('test', '--workload', 'list-append', '--option', 'keys=5000', '--store', store()), /workload list-append: option keys must be at most 1,000/);
    refused(await run('test', '--workload', 'rw-register', '--option', 'maxTxnLength=1e6', '--store', store()), /option maxTxnLength must be at most 1,000/);
    refused(await run('test', '--workload', 'bank', '--option', 'accounts=1e7', '--store', store()), /option accounts must be at most 1,000/);
    refused(await run('test', '--workload', 'counter', '--option', 'maxIncrement=1e300', '--store', store()), /option maxIncrement must be at most 1,000,000,000/);
    const f = file(JSON.stringify({ workload: { name: 'register', options: { keys: 1e9 } } }, null, 2), 'json');
    refused(await run('test', '--config', f, '--store', store()), new RegExp(`${f}:5: workload\\.options\\.keys: .*at most 1,000, got 1000000000`));
  });
});

describe('found by the fuzz test (test/hostile-fuzz.test.ts)', () => {
  it('a config field that does not fit the others names its line (it named the file only)', async () => {
    const store = join(dir, 'store');
    const pg = file('{\n  "workload": {"name": "list-append"},\n  "target": {\n    "type": "postgres",\n    "nodes": 3\n  }\n}\n', 'json');
    refused(await run('test', '--config', pg, '--store', store), new RegExp(`^faultline: ${pg}:5: "target\\.nodes" must be 1 for postgres`));
    const local = file('{\n  "target": {\n    "network": "local"\n  },\n  "nemesis": {\n    "faults": ["partition"]\n  }\n}\n', 'json');
    refused(await run('test', '--config', local, '--store', store), new RegExp(`^faultline: ${local}:6: partition needs the nodes in network namespaces`));
    // from flags there is no line to name
    refused(await run('test', '--target', 'postgres', '--nodes', '3', '--store', store), /^faultline: flags: "target\.nodes" must be 1 for postgres/);
  });

  it('an unknown workload in a config names the file and line', async () => {
    const f = file(JSON.stringify({ workload: { name: 'a\nb' } }, null, 2), 'json');
    refused(await run('test', '--config', f, '--store', join(dir, 'store')), new RegExp(`${f}:3: workload\\.name: unknown workload "a\\\\nb"; known workloads: register`));
  });

  it('check --out DIR where DIR holds the history: its folder is not the file (was ENOTDIR after the check)', async () => {
    const sub = join(dir, 'own');
    const h = join(sub, 'h.jsonl');
    await execa('mkdir', ['-p', sub]);
    writeFileSync(h, `${op({ type: 'invoke', process: 0, f: 'read', value: null })}\n${op({ type: 'ok', process: 0, f: 'read', value: null })}\n`);
    const r = await run('check', h, '--out', sub);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(existsSync(join(sub, 'h.jsonl-2', 'results.json'))).toBe(true);
  });
});
