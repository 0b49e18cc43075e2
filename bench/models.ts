// How fast are the model checkers (causal, session, staleness, set-full) on big valid histories,
// and does their cost grow linearly? Each (checker, variant, size) runs in a fresh process (node
// --max-old-space-size=8192, so peak RSS is that run's own): it generates the history with
// bench/generate-models.ts (fixed seed, valid by construction) and builds the History in memory
// (timed as "build"), then times the check alone, after a warm-up check of a 10k-op history from
// the same generator (another seed): the best of 3 checks for sizes up to 100k ops, one at 1M; a
// GC before each. Peak RSS covers generating, the warm-up and the checks.
//   node dist/bench/models.js [--only causal,session,staleness,set-full] [--big 1000000]
// Sizes count history entries (invocations and completions), as `faultline check` counts lines.
//   causal     CC on 10k and 100k ops, CCv and CM on 1k and 10k ops: replicas with causal
//              delivery, 6 threads over 3 replicas, 5 keys, no crashes (each crash adds a writing
//              process, and the clocks cost ops × writing processes). CC and CCv histories use
//              last-writer-wins replicas (CC and CCv hold), CM histories arrival-order replicas (CC
//              and CM hold). Checked with checkCausal(h, { variant, cmAlwaysUpTo: 0 }): CC and CCv
//              are then the same work (the CC patterns plus CyclicCF); CM adds its own patterns.
//              (Through the registry, CM is also checked for a CC or CCv check of ≤ 20,000 ops.)
//   session    10k, 100k, 1M ops: a leader/follower register per key (100 keys, 20 threads, 3
//   staleness  nodes, followers lagging up to 20 and 100 ms), sticky client-guarded sessions.
//              session in its default causal version order and with versionOrder=realtime.
//   set-full   10k, 100k, 1M ops: adds and reads (20%) of independent sets of at most 100 adds.
// Linear growth: ops/s at the largest size ≥ 0.5 × ops/s at the size 10× smaller.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { checkCausal, type Variant } from '../checker/causal/index.js';
import { getChecker } from '../checker/registry.js';
import type { Result } from '../checker/types.js';
import type { History } from '../histories/history.js';
import { generateCausal, generateRegisters, generateSetFull } from './generate-models.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

const SEED = 1;
const REPS = 3;
const REPS_FROM = 1_000_000; // sizes at or above this get one run
const WARMUP_OPS = 10_000;

interface Case {
  checker: 'causal' | 'session' | 'staleness' | 'set-full';
  variant: string;
  sizes: number[];
  /** Whether this checker is expected to grow linearly (said in the summary). */
  linear: boolean;
}

function casesFor(big: number): Case[] {
  return [
    { checker: 'causal', variant: 'cc', sizes: [10_000, 100_000], linear: true },
    { checker: 'causal', variant: 'ccv', sizes: [1_000, 10_000], linear: false },
    { checker: 'causal', variant: 'cm', sizes: [1_000, 10_000], linear: false },
    { checker: 'session', variant: 'causal', sizes: [10_000, 100_000, big], linear: true },
    { checker: 'session', variant: 'realtime', sizes: [10_000, 100_000, big], linear: true },
    { checker: 'staleness', variant: '-', sizes: [10_000, 100_000, big], linear: true },
    { checker: 'set-full', variant: '-', sizes: [10_000, 100_000, big], linear: true },
  ];
}

function build(checker: Case['checker'], variant: string, n: number, seed = SEED): History {
  switch (checker) {
    case 'causal':
      return generateCausal({ ops: n, seed, mode: variant === 'cm' ? 'arrival' : 'lww' });
    case 'session':
    case 'staleness':
      return generateRegisters({ ops: n, seed });
    case 'set-full':
      return generateSetFull({ ops: n, seed });
  }
}

async function check(checker: Case['checker'], variant: string, h: History): Promise<Result> {
  if (checker === 'causal') return checkCausal(h, { variant: variant as Variant, cmAlwaysUpTo: 0 });
  if (checker === 'session') return getChecker(checker).check(h, { options: { versionOrder: variant } });
  return getChecker(checker).check(h, {});
}

interface Measured {
  ops: number;
  invocations: number;
  buildMs: number;
  checkMs: number;
  runsMs: number[];
  maxRssMb: number;
  valid: Result['valid'];
  explanation?: string;
  /** A few figures from the result, to show the history was worth checking. */
  figures: string;
}

function figuresOf(checker: Case['checker'], r: Result): string {
  switch (checker) {
    case 'causal': {
      const ph = r.phaseMs as Record<string, number>;
      return `${r.reads} reads, ${r.writes} writes, ${r.processes} processes; phases ms ${Object.entries(ph).map(([k, v]) => `${k} ${v}`).join(', ')}`;
    }
    case 'session':
      return `${r.reads} reads, ${r.writes} writes`;
    case 'staleness':
      return `${r.reads} reads, ${r.stale} stale (${(((r.stale as number) / (r.reads as number)) * 100).toFixed(0)}%), versions behind max ${(r.versionsBehind as { max: number }).max}`;
    case 'set-full':
      return `${r.stableCount} stable, ${r.neverReadCount} never read, ${r.lostCount} lost elements`;
  }
}

/** Child mode: build one history, check it `reps` times; prints one JSON line. */
async function child(checker: Case['checker'], variant: string, n: number, reps: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // A warm-up first: one check of a small history from the same generator (another seed), so
  // that the timed checks measure the checker's steady speed rather than V8 compiling it (as
  // bench/txn does); otherwise the small sizes mostly time the compiler.
  await check(checker, variant, build(checker, variant, Math.min(n, WARMUP_OPS), SEED + 1));
  const b0 = performance.now();
  const h = build(checker, variant, n);
  const buildMs = performance.now() - b0;
  const runsMs: number[] = [];
  let r: Result | undefined;
  for (let i = 0; i < reps; i++) {
    gc?.();
    const t0 = performance.now();
    r = await check(checker, variant, h);
    runsMs.push(performance.now() - t0);
  }
  const out: Measured = {
    ops: h.length,
    invocations: h.invocationCount,
    buildMs,
    checkMs: Math.min(...runsMs),
    runsMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    valid: r!.valid,
    figures: figuresOf(checker, r!),
  };
  if (r!.valid !== true) out.explanation = r!.explanation;
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function run(checker: string, variant: string, n: number, reps: number): Promise<Measured> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await execa(process.execPath, ['--max-old-space-size=8192', '--expose-gc', self, '--child', checker, variant, String(n), String(reps)]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measured;
}

const secs = (ms: number) => (ms / 1000).toFixed(ms < 10 ? 4 : ms < 100 ? 3 : 2);
const rate = (n: number, ms: number) => {
  const r = (n / ms) * 1000;
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : `${(r / 1e3).toFixed(0)}k`;
};
const size = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1] as Case['checker'], args[2], Number(args[3]), Number(args[4]));
  const only = flag('--only')?.split(',');
  const big = Number(flag('--big') ?? 1_000_000);
  if (!Number.isInteger(big) || big < 1) throw new Error('--big takes a positive integer');
  const cases = casesFor(big).filter((c) => !only || only.includes(c.checker));
  const rows: string[][] = [];
  const notes: string[] = [];
  const summary: string[] = [];
  const started = performance.now();
  for (const c of cases) {
    const rates = new Map<number, number>();
    for (const n of c.sizes) {
      const reps = n >= REPS_FROM ? 1 : REPS;
      const label = `${c.checker} ${c.variant} ${size(n)}`;
      try {
        const m = await run(c.checker, c.variant, n, reps);
        rates.set(n, (m.ops / m.checkMs) * 1000);
        rows.push([c.checker, c.variant, String(m.ops), secs(m.buildMs), secs(m.checkMs), rate(m.ops, m.checkMs), m.maxRssMb.toFixed(0), String(m.valid)]);
        console.log(`${label}: check ${m.runsMs.map((x) => secs(x)).join(', ')} s; ${m.invocations} invocations; ${m.figures}`);
        if (m.valid !== true) notes.push(`${label}: the generated history should be valid, but the checker said ${m.valid}: ${m.explanation ?? ''}`);
      } catch (e) {
        notes.push(`${label}: a child process failed: ${(e as { shortMessage?: string }).shortMessage ?? String(e)}`);
        rows.push([c.checker, c.variant, String(n), '-', '-', '-', '-', 'crashed']);
      }
    }
    // Growth from the size 10× smaller to the largest.
    const largest = Math.max(...c.sizes);
    const a = rates.get(largest / 10);
    const b = rates.get(largest);
    const name = c.variant === '-' ? c.checker : `${c.checker} ${c.variant}`;
    if (a === undefined || b === undefined) summary.push(`${name}: growth not measured`);
    else {
      const ratio = b / a;
      const verdict = ratio >= 0.5 ? 'close to linear' : 'NOT close to linear';
      summary.push(
        `${name}: ops/s at ${size(largest)} is ${ratio.toFixed(2)}× that at ${size(largest / 10)}: ${verdict}` +
          (c.linear ? (ratio >= 0.5 ? '' : ' (expected linear)') : ' (reported as is)'),
      );
    }
  }

  const head = ['checker', 'variant', 'ops', 'build s', 'check s', 'ops/s', 'peak RSS MB', 'valid'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((x, i) => (i < 2 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  console.log();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(
    `(ops = history entries; seed ${SEED}; each size in a fresh process; check s = the least of ${REPS} checks below ${size(REPS_FROM)} ops, one at ${size(REPS_FROM)} and above, each after a warm-up check of a ${size(WARMUP_OPS)}-op history; build = generating the ops and pairing them into a History; peak RSS includes both)`,
  );
  for (const s of summary) console.log(s);
  for (const n of notes) console.log(`note: ${n}`);
  console.log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
