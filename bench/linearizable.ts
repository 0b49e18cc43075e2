// How fast is the linearizability checker on the histories Porcupine is measured on?
//   node dist/bench/linearizable.js [--rounds R] [--hard SEEDS] [--write-hard DIR] [--porcupine-pairs N]
// It ends with the ratios against Porcupine (its test binary built from
// ../shared/reference/porcupine-bench), measured in the same run, paired and alternating: each kv
// log's checking time (faultline's own figure for reading and checking the file, from a fresh
// `faultline check`, against the duration `go test -v` reports for Porcupine's own test of it,
// parse + check), then whole processes (bench/cli.ts: the etcd logs, the 6 kv logs in one call,
// c50-bad alone, c10 whole). --porcupine-pairs 0 leaves Porcupine out.
// What counts (issue 3): checking parsed histories after a warm-up, on one core, verdict only.
// The in-repo baseline is the same search without its configuration cache (and without the
// pruning rules), measured in the same run. Porcupine (Go, one core of this machine class):
// 0.50 s for the 102 etcd histories (slowest etcd_002, 0.18 s); kv c10 unpartitioned 2.0-2.4 s.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLinearizable, type LinearizableOptions } from '../checker/linearizable/index.js';
import type { History } from '../histories/history.js';
import { readHistoryFile } from '../histories/read.js';
import { generateHardRegisterHistory, generateKeyedRegisterHistory } from './generate.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';
import { execa } from 'execa';
import { wholeProcessRatios } from './cli.js';
import { bin, porcupineBinary, PORCUPINE_HOWTO } from './whole-process.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const corpus = process.env.FAULTLINE_CORPUS ?? resolve(here, '..', '..', '..', 'shared', 'corpus');
const flag = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const rounds = flag('--rounds', 3);
const hardSeeds = flag('--hard', 10);
const BASELINE_LIMIT_S = 5;

interface Case {
  name: string;
  history: History;
  model: string;
  init: unknown;
  options?: LinearizableOptions;
}

async function load(dir: string, model: string, init: unknown, options?: LinearizableOptions, filter = (f: string) => true): Promise<Case[]> {
  const files = readdirSync(dir).filter(filter).sort();
  return Promise.all(files.map(async (f) => ({ name: f, history: (await readHistoryFile(join(dir, f))).history, model, init, options })));
}

async function time(c: Case, extra: LinearizableOptions = {}): Promise<{ ms: number; valid: unknown }> {
  const t0 = performance.now();
  const r = await checkLinearizable(c.history, c.model, { init: c.init, evidence: false, ...c.options, ...extra });
  return { ms: performance.now() - t0, valid: r.valid };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => (ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);

async function measure(label: string, cases: Case[], baseline: boolean): Promise<void> {
  for (const c of cases) await time(c); // warm-up
  const per = new Map<string, number[]>();
  const totals: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let total = 0;
    for (const c of cases) {
      const { ms } = await time(c);
      total += ms;
      (per.get(c.name) ?? per.set(c.name, []).get(c.name)!).push(ms);
    }
    totals.push(total);
  }
  const slowest = [...per].map(([n, xs]) => [n, median(xs)] as const).sort((a, b) => b[1] - a[1]).slice(0, 3);
  let line = `${label.padEnd(34)} ${fmt(median(totals)).padStart(9)}   slowest: ${slowest.map(([n, ms]) => `${n} ${fmt(ms)}`).join(', ')}`;
  if (baseline) {
    let total = 0;
    let gaveUp = 0;
    for (const c of cases) {
      const { ms, valid } = await time(c, { noCache: true, deadline: Date.now() + BASELINE_LIMIT_S * 1000 });
      total += ms;
      if (valid === 'unknown') gaveUp++;
    }
    line += `\n${''.padEnd(34)} baseline (no cache): ${fmt(total)}${gaveUp ? ` with ${gaveUp} gave up at ${BASELINE_LIMIT_S} s (so at least)` : ''}; ratio baseline/faultline ${(total / median(totals)).toFixed(1)}x`;
  }
  console.log(line);
}

const etcd = await load(join(corpus, 'porcupine/test_data/jepsen'), 'cas-register', null);
const kvDir = join(corpus, 'porcupine/test_data/kv');
const kvPartitioned = await load(kvDir, 'kv', '');
const kvWhole = await load(kvDir, 'kv', '', { partition: false }, (f) => /^c(01|10)-/.test(f));

/** Total time over `cases` with search options changed, to measure one idea at a time. */
async function ablate(cases: Case[], extra: Record<string, unknown>): Promise<number> {
  let total = 0;
  for (const c of cases) total += (await time(c, extra as LinearizableOptions)).ms;
  return total;
}

console.log(`median of ${rounds} rounds after a warm-up, one core, verdicts only`);
await measure('etcd: 102 histories (cas-register)', etcd, true);
await measure('kv: 6 logs, per key', kvPartitioned, true);
for (const c of kvWhole) await measure(`kv ${c.name} whole (unpartitioned)`, [c], false);

// Each pruning rule measured by turning it off (one round, after the warm-ups above).
for (const [label, cases] of [['etcd', etcd], ['kv per key', kvPartitioned]] as const) {
  const all = await ablate(cases, {});
  const noReadOnly = await ablate(cases, { noReadOnlyRule: true });
  const noDominance = await ablate(cases, { noDominanceRule: true });
  console.log(`${label}: with both rules ${fmt(all)}; without the read-only rule ${fmt(noReadOnly)}; without the dominance rule ${fmt(noDominance)}`);
}

// A generated keyed history: 100k ops, 1,000 keys, 20 processes, 2% crashed; on one thread, then
// with every part sent to worker threads (its parts are all easy, so 'auto' would keep them here).
const big = generateKeyedRegisterHistory({ ops: 100_000, keys: 1000, processes: 20, crashRate: 0.02, seed: 1 });
for (const workers of [0, availableParallelism()]) {
  const t0 = performance.now();
  const r = await checkLinearizable(big, 'cas-register', { init: null, workers });
  const ms = performance.now() - t0;
  console.log(
    `generated keyed, ${big.length} ops, 1000 keys, 20 processes, 2% crashed, ${r.threads ? `${r.threads} worker threads` : 'one thread'}: ` +
      `${r.valid} in ${fmt(ms)}; peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
}

// Hard single-register histories (issue 15): 2,000 ops, 10 processes, 2% crashed, unique values;
// for each seed one linearizable history and the same with one stale read planted. Each is checked
// on one thread with the usual evidence and a 10 s limit; the goal is every one decided.
{
  const limitS = 10;
  const times: { name: string; ms: number; valid: unknown }[] = [];
  for (let seed = 1; seed <= hardSeeds; seed++) {
    for (const staleRead of [false, true]) {
      const h = generateHardRegisterHistory({ ops: 2000, processes: 10, crashRate: 0.02, seed, staleRead });
      const t0 = performance.now();
      const r = await checkLinearizable(h, 'cas-register', { init: null, workers: 0, deadline: Date.now() + limitS * 1000 });
      times.push({ name: `seed ${seed}${staleRead ? ' stale' : ''}`, ms: performance.now() - t0, valid: r.valid });
      if (r.valid !== !staleRead && r.valid !== 'unknown') throw new Error(`hard history seed ${seed}: expected ${!staleRead}, got ${r.valid}`);
    }
  }
  const decided = times.filter((t) => t.valid !== 'unknown');
  const slowest = [...times].sort((a, b) => b.ms - a.ms)[0];
  console.log(
    `hard single-register histories (2,000 ops, 10 processes, 2% crashed, unique values; ${hardSeeds} clean + ${hardSeeds} with a stale read, evidence on, ${limitS} s limit each): ` +
      `${decided.length} of ${times.length} decided (${decided.filter((t) => t.valid === true).length} valid, ${decided.filter((t) => t.valid === false).length} invalid); ` +
      `median ${fmt(median(times.map((t) => t.ms)))}, slowest ${slowest.name} ${fmt(slowest.ms)}`,
  );
  const dir = process.argv.indexOf('--write-hard');
  if (dir !== -1) {
    // For Porcupine's TestZZHoldout (../shared/reference/porcupine-bench): the same histories as JSONL.
    const out = process.argv[dir + 1];
    mkdirSync(out, { recursive: true });
    for (let seed = 1; seed <= hardSeeds; seed++) {
      for (const staleRead of [false, true]) {
        const h = generateHardRegisterHistory({ ops: 2000, processes: 10, crashRate: 0.02, seed, staleRead });
        writeFileSync(join(out, `hard-${String(seed).padStart(3, '0')}${staleRead ? '-stale' : ''}.jsonl`), formatHistoryJsonl(h));
      }
    }
    console.log(`wrote the hard histories to ${out}`);
  }
}

// Against Porcupine, in the same run (see the top of this file).
const porcupinePairs = flag('--porcupine-pairs', 5);
if (porcupinePairs > 0) {
  const porc = porcupineBinary();
  if (!porc) console.log(`\nagainst Porcupine: ${PORCUPINE_HOWTO}`);
  else {
    console.log(`\nagainst Porcupine (${porc.exe}), same run, ${porcupinePairs} pairs each, alternating`);
    const summary: string[] = [];
    // Checking time: faultline's figure for one file (read + check, evidence included) in a fresh
    // process, against Porcupine's test of the same log (parse + check; go test -v gives 10 ms steps).
    const kvTests: [string, string][] = [
      ['c50-bad', 'TestKv50ClientsBad'],
      ['c50-ok', 'TestKv50ClientsOk'],
      ['c10-bad', 'TestKv10ClientsBad'],
      ['c10-ok', 'TestKv10ClientsOk'],
    ];
    for (const [name, test] of kvTests) {
      const ours = async () => {
        const r = await execa(process.execPath, [bin, 'check', '--model', 'kv', join(kvDir, `${name}.txt`)], { reject: false });
        const m = / · (\d+) ms/.exec(r.stdout);
        if (!m) throw new Error(`no time in faultline's output: ${r.stdout.slice(0, 200)}`);
        return Number(m[1]);
      };
      const theirs = async () => {
        const r = await execa(porc.exe, ['-test.run', `^${test}$`, '-test.v'], { cwd: porc.dir, reject: false });
        const m = /--- (?:PASS|FAIL): \S+ \(([\d.]+)s\)/.exec(r.stdout);
        if (!m) throw new Error(`no time in Porcupine's output: ${r.stdout.slice(0, 200)}`);
        return Number(m[1]) * 1000;
      };
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < porcupinePairs; i++) {
        if (i % 2 === 0) {
          a.push(await ours());
          b.push(await theirs());
        } else {
          b.push(await theirs());
          a.push(await ours());
        }
      }
      // Porcupine's figure can be 0 (under 5 ms): the ratio is of the medians here.
      const ratio = median(b) > 0 ? median(a) / median(b) : Infinity;
      const line = `kv ${name} checking time (read + check): faultline ${fmt(median(a))} (${a.join(' ')}), Porcupine ${test} ${fmt(median(b))} (${b.join(' ')}); ratio ${ratio.toFixed(2)}`;
      console.log(line);
      summary.push(`kv ${name} checking / Porcupine: ${ratio.toFixed(2)}`);
    }
    summary.push(...(await wholeProcessRatios(new Set(['etcd', 'kv', 'kv-c50bad', 'kv-whole']), porcupinePairs)));
    console.log(`\nsummary against Porcupine: ${summary.join('; ')}`);
  }
}
