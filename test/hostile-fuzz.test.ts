// The seeded fuzz test of issue 20: mutated small histories (JSONL, JSON, EDN) checked by every
// kind of checker, mutated test configs, and random flag sets for check, convert and test, all
// run in-process. Each must end in a verdict (exit 0, 1, 2; a config: accepted) or in exit 3 with
// one line of at most 300 characters naming the file (and the line, where the input has lines) —
// never "internal error", never a stack overflow — and no process may be left behind.
// FUZZ_SEED=N picks another seed; FUZZ_SCALE=K multiplies the counts; FUZZ_STATS=1 prints how
// often each outcome and each kind of refusal came up.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { configFromArgs, type TestArgs } from '../cli/test.js';
import { InputError, MAX_ERROR_LINE, oneLine } from '../histories/errors.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'fl-fuzz-'));
const cwdBefore = readdirSync(process.cwd());
/** The relative paths the flag fuzz hands to flags: what it could write into the working folder. */
const relativeValues = new Set<string>();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

// ---- the seeds: small histories each checker reads -------------------------------------------

const inv = (process: number, f: string, value: unknown, extra: Record<string, unknown> = {}) => ({ type: 'invoke', process, f, value, ...extra });
const ok = (process: number, f: string, value: unknown, extra: Record<string, unknown> = {}) => ({ type: 'ok', process, f, value, ...extra });

const SEEDS: Record<string, Record<string, unknown>[]> = {
  register: [inv(0, 'write', 1), ok(0, 'write', 1), inv(1, 'read', null), ok(1, 'read', 1), inv(0, 'cas', [1, 2]), ok(0, 'cas', [1, 2]), inv(1, 'read', null), { type: 'info', process: 1, f: 'read', value: null }],
  keyed: [inv(0, 'write', 1, { key: 'a' }), ok(0, 'write', 1, { key: 'a' }), inv(1, 'read', null, { key: 'a' }), ok(1, 'read', 1, { key: 'a' }), inv(2, 'write', 5, { key: 'b' }), ok(2, 'write', 5, { key: 'b' })],
  counter: [inv(0, 'add', 1), ok(0, 'add', 1), inv(1, 'add', 2), ok(1, 'add', 2), inv(0, 'read', null), ok(0, 'read', 3)],
  set: [inv(0, 'add', 1), ok(0, 'add', 1), inv(1, 'add', 2), ok(1, 'add', 2), inv(0, 'read', null), ok(0, 'read', [1, 2])],
  queue: [inv(0, 'enqueue', 1), ok(0, 'enqueue', 1), inv(1, 'dequeue', null), ok(1, 'dequeue', 1), inv(0, 'dequeue', null), ok(0, 'dequeue', null)],
  txn: [
    inv(0, 'txn', [['append', 1, 1], ['r', 2, null]]), ok(0, 'txn', [['append', 1, 1], ['r', 2, []]]),
    inv(1, 'txn', [['r', 1, null], ['append', 2, 1]]), ok(1, 'txn', [['r', 1, [1]], ['append', 2, 1]]),
    inv(0, 'txn', [['w', 3, 1], ['r', 3, null]]), ok(0, 'txn', [['w', 3, 1], ['r', 3, 1]]),
  ],
  bank: [inv(0, 'transfer', { from: 0, to: 1, amount: 2 }), ok(0, 'transfer', { from: 0, to: 1, amount: 2 }), inv(1, 'read', null), ok(1, 'read', { 0: 8, 1: 12 })],
  nemesis: [{ type: 'info', process: 'nemesis', f: 'start-partition', value: ['n1'] }, inv(0, 'write', 1), ok(0, 'write', 1), { type: 'info', process: 'nemesis', f: 'stop-partition', value: null }],
};

/** Checker argv for a history of a kind (several fit each). */
const CHECKS: Record<string, string[][]> = {
  register: [['--model', 'register'], ['--model', 'cas-register'], ['--checker', 'sequential', '--model', 'cas-register'], ['--checker', 'stats'], ['--checker', 'perf'], ['--checker', 'causal'], ['--checker', 'session'], ['--checker', 'staleness'], ['--checker', 'unique-ids']],
  keyed: [['--model', 'register'], ['--checker', 'sequential', '--model', 'register'], ['--checker', 'causal'], ['--checker', 'replica-diff'], ['--model', 'kv', '--init', '""']],
  counter: [['--model', 'counter'], ['--checker', 'counter'], ['--checker', 'convergence', '--option', 'type=g-counter'], ['--checker', 'convergence', '--option', 'type=pn-counter'], ['--checker', 'sequential', '--model', 'counter']],
  set: [['--model', 'set'], ['--checker', 'set'], ['--checker', 'set-full'], ['--checker', 'convergence', '--option', 'type=or-set']],
  queue: [['--model', 'fifo-queue'], ['--model', 'unordered-queue'], ['--checker', 'queue'], ['--checker', 'total-queue']],
  txn: [['--checker', 'list-append'], ['--checker', 'rw-register'], ['--model', 'multi-register'], ['--checker', 'list-append', '--consistency-models', 'serializable']],
  bank: [['--checker', 'bank'], ['--checker', 'bank', '--option', 'negativeBalances=true']],
  nemesis: [['--model', 'register'], ['--checker', 'stats']],
};

// ---- mutations ---------------------------------------------------------------------------------

const deep = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '', 'x', 'a\nb', '\u0000\u001b[31m', '\u2028', 'é€😀', [], [1], [1, 2, 3], [[1]], {}, { a: 1 }, { __proto__: 1 },
  'x'.repeat(5000), Array.from({ length: 50 }, (_, i) => i), [['append', 1]], [['r']], [[]], ['r', 1, null], { from: 'a', to: null, amount: -5 },
];
const FIELDS = ['type', 'process', 'f', 'value', 'key', 'index', 'time', 'error', 'node', 'final'];
const TYPES = ['invoke', 'ok', 'fail', 'info', 'INVOKE', '', 'okay', 1, null];

function mutateOps(r: Rng, ops: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = structuredClone(ops);
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) {
    const i = r.int(out.length);
    const o = out[i];
    switch (r.int(10)) {
      case 0: o[r.pick(FIELDS)] = r.pick(ODD_VALUES); break;
      case 1: delete o[r.pick(FIELDS)]; break;
      case 2: o.type = r.pick(TYPES); break;
      case 3: o.process = r.pick([0, 1, 7, -1, 1.5, 'nemesis', 'p', null, 2 ** 40]); break;
      case 4: out.splice(i, 1); break;
      case 5: out.splice(i, 0, structuredClone(r.pick(out))); break;
      case 6: o.value = r.pick(ODD_VALUES); break;
      case 7: { const j = r.int(out.length); [out[i], out[j]] = [out[j], out[i]]; break; }
      case 8: o[r.pick(['x', 'Value', '', 'type ', 'f\n'])] = r.pick(ODD_VALUES); break;
      default: o.f = r.pick(['read', 'write', 'cas', 'add', 'txn', 'r', '', 1, null, 'start-kill', 'x'.repeat(300)]);
    }
    if (out.length === 0) out.push(structuredClone(ops[0]));
  }
  return out;
}

/** Text-level damage: what a careless hand or a cut file does. */
function mutateText(r: Rng, text: string): string {
  switch (r.int(8)) {
    case 0: return text.slice(0, r.int(text.length)); // cut anywhere
    case 1: { const i = r.int(text.length); return text.slice(0, i) + r.pick(['{', '}', ',', '"', '\n', '\\', '\u0000', ']', ':']) + text.slice(i); }
    case 2: { const lines = text.split('\n'); const i = r.int(lines.length); lines.splice(i, 0, r.pick(['', '   ', '// comment', '{}', '[]', 'null', '1', deep(3000), '{"type":"invoke"}'])); return lines.join('\n'); }
    case 3: return text.replace(/"value":[^,}]*/, `"value":${deep(150 + r.int(3000))}`);
    case 4: return text.replace(/\n/g, r.pick(['\r\n', '\n\n', '\r']));
    case 5: return '\ufeff' + text;
    case 6: { const i = r.int(text.length); return text.slice(0, i) + '\udc80' + text.slice(i); }
    default: return text;
  }
}

function ednOf(ops: Record<string, unknown>[]): string {
  const v = (x: unknown): string => {
    if (x === null || x === undefined) return 'nil';
    if (typeof x === 'string') return JSON.stringify(x);
    if (Array.isArray(x)) return `[${x.map(v).join(' ')}]`;
    if (typeof x === 'object') return `{${Object.entries(x).map(([k, y]) => `${v(k)} ${v(y)}`).join(', ')}}`;
    return String(x);
  };
  const kw = (x: unknown) => (typeof x === 'string' && /^[a-z][\w-]*$/i.test(x) ? `:${x}` : v(x));
  return ops.map((o) => `{${Object.entries(o).map(([k, x]) => `:${k} ${k === 'type' || k === 'f' || (k === 'process' && x === 'nemesis') ? kw(x) : v(x)}`).join(', ')}}`).join('\n') + '\n';
}

// ---- the assertion -----------------------------------------------------------------------------

interface Outcome { code: number; err: string[]; out: string[] }
const failures: string[] = [];
const stats = new Map<string, number>();
afterAll(() => {
  if (process.env.FUZZ_STATS) console.log([...stats].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v}\t${k}`).join('\n'));
});

async function run(argv: string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

/**
 * A verdict, or exit 3 with one error line (warnings aside) of at most 300 characters, naming
 * `file` when there is one, never an internal error. Failures are collected, not thrown, so one
 * run reports them all.
 */
function judge(what: string, r: Outcome, file?: string, fileLevel?: RegExp): void {
  const errors = r.err.filter((l) => !l.startsWith('warning: '));
  const bad = (why: string): void => void failures.push(`${what}: ${why}: exit ${r.code}: ${r.err.join(' | ').slice(0, 600)}`);
  for (const l of r.err) {
    if (/internal error|Maximum call stack|RangeError|TypeError|\n/.test(l)) return bad('internal error or broken line');
    if (l.length > MAX_ERROR_LINE + 'faultline: '.length) return bad(`a line of ${l.length} characters`);
  }
  if (process.env.FUZZ_STATS) stats.set(`exit ${r.code}`, (stats.get(`exit ${r.code}`) ?? 0) + 1);
  if (r.code === 0 || r.code === 1 || r.code === 2) {
    if (errors.length > 0) bad('a verdict with an error line');
    return;
  }
  if (r.code !== 3) return bad('an exit code outside 0-3');
  if (errors.length !== 1) return bad(`${errors.length} error lines`);
  if (process.env.FUZZ_STATS) stats.set(errors[0].replace(/^.*?\.(jsonl|json|edn)(:\d+)?: /, '').replace(/\d+/g, 'N').slice(0, 50), (stats.get(errors[0].replace(/^.*?\.(jsonl|json|edn)(:\d+)?: /, '').replace(/\d+/g, 'N').slice(0, 50)) ?? 0) + 1);
  if (file !== undefined) {
    const line = errors[0];
    const named = line.includes(`${file}:`);
    const located = line.includes(`${file}:`) && new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `).test(line);
    if (!named) return bad('the file is not named');
    if (!located && !(fileLevel?.test(line) ?? false)) bad('no line named');
  }
}

/** What may be said of a whole file, without a line: it is empty, unreadable as a whole, or names no op. */
const FILE_LEVEL = /: (no ops|empty|cannot tell the history format|not a JSON array|is a directory|no such file|the file ends inside|no history|EDN: (?:unexpected end|unterminated)|not valid UTF-8|a JSON array history must|JSON array: |expected a JSON array)/;

let files = 0;
const write = (text: string, ext: string) => {
  const p = join(dir, `h${++files}.${ext}`);
  writeFileSync(p, text);
  return p;
};

/** Processes whose parent is this one (none may be left by what ran in-process). */
function children(): number[] {
  const mine: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) mine.push(Number(d));
    } catch {
      // gone
    }
  }
  return mine;
}

describe(`hostile input, fuzzed (seed ${SEED})`, () => {
  const before = children();

  it('mutated histories, each checked by a checker that reads its kind: a verdict or one located line', async () => {
    failures.length = 0;
    const r = prng(SEED);
    const kinds = Object.keys(SEEDS);
    const n = 2500 * SCALE;
    const started = Date.now();
    for (let k = 0; k < n; k++) {
      const kind = r.pick(kinds);
      const ops = r.next() < 0.85 ? mutateOps(r, SEEDS[kind]) : structuredClone(SEEDS[kind]);
      const format = r.pick(['jsonl', 'jsonl', 'jsonl', 'json', 'edn'] as const);
      let text = format === 'jsonl' ? ops.map((o) => JSON.stringify(o)).join('\n') + '\n' : format === 'json' ? `[\n${ops.map((o) => JSON.stringify(o)).join(',\n')}\n]\n` : ednOf(ops);
      if (r.next() < 0.4) text = mutateText(r, text);
      const f = write(text, format);
      const argv = ['check', f, ...r.pick(CHECKS[kind]), '--timeout', '5'];
      judge(`#${k} ${argv.join(' ')}`, await run(argv), f, FILE_LEVEL);
    }
    expect(failures.slice(0, 20), `${failures.length} of ${n} failed`).toEqual([]);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it('mutated test configs: accepted, or one line naming the file and line', () => {
    failures.length = 0;
    const r = prng(SEED + 1);
    const base = {
      target: { type: 'builtin', mode: 'leader-follower-async', nodes: 3, options: { replicationDelayMs: 5 } },
      workload: { name: 'register', options: { keys: 3, reads: 2 } },
      concurrency: 4, timeLimit: 5, rate: 50, seed: 7, opTimeout: 2, quiesce: 1,
      nemesis: { faults: ['kill', 'pause'], interval: 2, hold: 1, jitter: 0.5, partitions: ['halves'] },
      store: join(dir, 'store'),
    };
    const paths = (o: unknown, prefix: string[] = []): string[][] =>
      o !== null && typeof o === 'object' && !Array.isArray(o) ? Object.entries(o).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]) : [];
    const n = 600 * SCALE;
    for (let k = 0; k < n; k++) {
      const c = structuredClone(base) as Record<string, unknown>;
      for (let m = 1 + r.int(2); m > 0; m--) {
        const path = r.pick(paths(c));
        let at = c as Record<string, unknown>;
        for (const p of path.slice(0, -1)) at = at[p] as Record<string, unknown>;
        const last = path[path.length - 1];
        if (r.next() < 0.2) delete at[last];
        else at[r.next() < 0.1 ? 'extra' : last] = structuredClone(r.pick([...ODD_VALUES, 1e10, 3e6, 100000, 1e9, -5, 'nope', 'list-append', 'bank', 'sharded', ['partition'], ['nope']]));
      }
      let text = JSON.stringify(c, null, 2);
      if (r.next() < 0.3) text = mutateText(r, text);
      const f = write(text, 'json');
      // as the CLI's reportErrors prints it (a run is not started: configFromArgs only)
      let outcome: Outcome = { code: 0, err: [], out: [] };
      try {
        configFromArgs({ config: f });
      } catch (e) {
        if (e instanceof InputError) outcome = { code: 3, err: [`faultline: ${oneLine(e.message)}`], out: [] };
        else outcome = { code: 3, err: [`faultline: internal error: ${(e as Error).message}`], out: [] };
      }
      judge(`config #${k} ${JSON.stringify(text.slice(0, 120))}`, outcome, f, /: (a test config must be a JSON object|not valid JSON)/);
    }
    expect(failures.slice(0, 20), `${failures.length} of ${n} failed`).toEqual([]);
  }, 60_000);

  it('random flag sets for check, convert and test: a verdict or one line', async () => {
    failures.length = 0;
    const r = prng(SEED + 2);
    const h = write(SEEDS.register.map((o) => JSON.stringify(o)).join('\n') + '\n', 'jsonl');
    // a flag may write where a value points (--junit): never over the history checked
    const spare = write(readFileSync(h, 'utf8'), 'jsonl');
    const values = ['', '-', '0', '-1', '1e400', 'NaN', '99999999', '3', 'x', '{}', '[]', '"x"', 'true', dir, spare, join(dir, 'out'), '/proc/nope', '/proc/x/y.xml', '/dev/zero', 'a=1', '=', 'keys=1e9', 'keys=100000', 'serializable', 'nope'];
    for (const v of values) if (v !== '' && v !== '-' && !isAbsolute(v)) relativeValues.add(v);
    const checkFlags = ['--format', '--checker', '--model', '--init', '--out', '--junit', '--timeout', '--consistency-models', '--variant', '--option', '--json', '--keyed-tuples', '--progress', '--no-progress', '--sequential-keys', '--debug'];
    const n = 600 * SCALE;
    for (let k = 0; k < n; k++) {
      const cmd = r.pick(['check', 'check', 'check', 'convert', 'test']);
      let argv: string[];
      if (cmd === 'check') {
        argv = ['check', h];
        for (let m = r.int(5); m > 0; m--) {
          const flag = r.pick(checkFlags);
          argv.push(flag);
          if (!['--json', '--keyed-tuples', '--progress', '--no-progress', '--sequential-keys', '--debug'].includes(flag)) {
            const v = r.pick(values);
            // a relative --out or --junit would land in the checkout (vitest's cwd): keep it in the fuzz folder
            argv.push(['--out', '--junit'].includes(flag) && v !== '' && v !== '-' && !isAbsolute(v) ? join(dir, 'rel', v) : v);
          }
        }
        // --debug is for stack traces: a second line on purpose
        argv = argv.filter((a) => a !== '--debug');
      } else if (cmd === 'convert') {
        argv = ['convert', r.pick([h, dir, '/dev/zero', join(dir, 'none.jsonl')]), '--to', r.pick(['jsonl', 'edn', 'csv']), '-o', r.pick([join(dir, `c${k}.out`), dir, '/proc/x/y', '-'])];
        if (argv.includes('-')) continue; // writes the history to this process's stdout
      } else {
        // flags reach the config as they do from yargs; nothing runs (configFromArgs only)
        const args: TestArgs = {};
        const numeric = ['nodes', 'concurrency', 'timeLimit', 'rate', 'seed', 'testCount', 'opTimeout', 'quiesce', 'nemesisInterval', 'nemesisHold', 'nemesisJitter', 'replicas'] as const;
        for (let m = 1 + r.int(3); m > 0; m--) {
          if (r.next() < 0.6) (args as Record<string, unknown>)[r.pick(numeric)] = r.pick([0, -1, 1, 2.5, 3e6, 99999999, 1e400, NaN, 2147483, 2147484]);
          else if (r.next() < 0.5) args.option = [r.pick(values)];
          else (args as Record<string, unknown>)[r.pick(['workload', 'mode', 'target', 'nemesis', 'partitions', 'network', 'isolation', 'readFrom'])] = r.pick(values);
        }
        args.store = join(dir, 'store');
        let outcome: Outcome = { code: 0, err: [], out: [] };
        try {
          configFromArgs(args);
        } catch (e) {
          outcome = { code: 3, err: [e instanceof InputError ? `faultline: ${oneLine(e.message)}` : `faultline: internal error: ${(e as Error).message}`], out: [] };
        }
        judge(`test flags #${k} ${JSON.stringify(args)}`, outcome);
        continue;
      }
      judge(`flags #${k} ${argv.join(' ')}`, await run(argv));
    }
    expect(failures.slice(0, 20), `${failures.length} of ${n} failed`).toEqual([]);
  }, 120_000);

  it('left no process behind', () => {
    expect(children().filter((p) => !before.includes(p))).toEqual([]);
  });

  it('wrote nothing into the working folder (the checkout, under vitest)', () => {
    // Only names the fuzz could have written: other test files run beside this one in the same folder.
    expect(relativeValues.size).toBeGreaterThan(0);
    expect(readdirSync(process.cwd()).filter((f) => !cwdBefore.includes(f) && relativeValues.has(f))).toEqual([]);
  });
});
