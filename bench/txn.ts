// How fast is the transactional (Elle-class) checker on list-append histories, and how much memory
// does a big one take? For each size: a generated strict-serializable history (4 micro-ops per txn,
// at most 200 appends per key, fixed seed) written to a JSONL file, then, each in a fresh process
// (so peak RSS is that run's own):
// `faultline check --checker list-append`'s path, streaming the file and checking strict
// serializability, with the checking timed apart from the reading: check = the workload's
// per-transaction analysis (summed) + version orders, graph and cycle search; parse = the rest
// (reading, JSON.parse, op validation, process pairing, key interning into typed arrays).
//   node dist/bench/txn.js [--sizes 10000,100000,1000000] [--max-appends-per-key 200]
// Targets: checking >= 300k txns/s at 100k txns on one core; 1M txns within 2 GB peak RSS.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTxnJsonlFile } from '../checker/txn/index.js';
import type { Result } from '../checker/types.js';
import { generateListAppend, writeJsonl } from './generate-txn.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

const SEED = 1;
const MOPS = 4;
const TARGET_TXNS_PER_S = 300_000;
const TARGET_AT = 100_000;
const TARGET_RSS_MB = 2048;
const TARGET_RSS_AT = 1_000_000;

interface Measured {
  txns: number;
  ms: number;
  parseMs: number;
  checkMs: number;
  maxRssMb: number;
  valid?: Result['valid'];
  explanation?: string;
}

/** Child mode: one streamed check of one history; prints one JSON line. */
async function child(path: string, warmup?: string): Promise<void> {
  // A warm run first checks a small history in the same process, so that the timed run measures
  // the checker's steady speed rather than V8 compiling it (as bench/linearizable does).
  if (warmup !== undefined) await checkTxnJsonlFile(warmup, { workload: 'list-append', models: ['strict-serializable'] });
  const t0 = performance.now();
  const r = await checkTxnJsonlFile(path, { workload: 'list-append', models: ['strict-serializable'], measure: true });
  const ms = performance.now() - t0;
  const checkMs = (r.result.timing as { checkMs: number }).checkMs;
  const out: Measured = {
    txns: r.invocations,
    ms,
    checkMs,
    parseMs: ms - checkMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    valid: r.result.valid,
  };
  if (r.result.valid !== true) out.explanation = r.result.explanation;
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function run(path: string, warmup?: string): Promise<Measured> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await execa(process.execPath, ['--max-old-space-size=8192', self, '--child', path, ...(warmup ? [warmup] : [])]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measured;
}

/** The best of a few runs, per figure: the least parse time and the least check time seen. */
async function best(path: string, reps: number, warmup?: string): Promise<Measured> {
  let min: Measured | undefined;
  for (let i = 0; i < reps; i++) {
    const m = await run(path, warmup);
    if (!min) min = m;
    else {
      min.parseMs = Math.min(min.parseMs, m.parseMs);
      min.checkMs = Math.min(min.checkMs, m.checkMs);
      min.ms = Math.min(min.ms, m.ms);
      min.maxRssMb = Math.max(min.maxRssMb, m.maxRssMb);
      if (m.valid !== true) {
        min.valid = m.valid;
        min.explanation = m.explanation;
      }
    }
  }
  return min!;
}

const secs = (ms: number) => (ms / 1000).toFixed(2);
const rate = (n: number, ms: number) => `${((n / ms) * 1000 / 1000).toFixed(0)}k`;

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1], args[2]);
  const sizes = (flag('--sizes') ?? '10000,100000,1000000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes takes positive integers, e.g. --sizes 10000,100000');
  const maxAppendsPerKey = Number(flag('--max-appends-per-key') ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-txn-'));
  const rows: string[][] = [];
  const notes: string[] = [];
  const results = new Map<number, { checkMs: number; warmMs: number; maxRssMb: number }>();
  try {
    const warmup = join(dir, 'warm-up.jsonl');
    writeJsonl(generateListAppend({ txns: 10_000, mopsPerTxn: MOPS, maxAppendsPerKey, seed: SEED + 1 }), warmup);
    for (const n of sizes) {
      const path = join(dir, `list-append-${n}.jsonl`);
      const g0 = performance.now();
      const { ops, bytes } = writeJsonl(generateListAppend({ txns: n, mopsPerTxn: MOPS, maxAppendsPerKey, seed: SEED }), path);
      const mb = bytes / 1e6;
      console.log(`generated ${n} txns (${ops} ops, ${mb.toFixed(1)} MB) in ${secs(performance.now() - g0)} s`);
      try {
        // The best of a few runs (this machine is noisy: one run's check time varies by ±25%); one
        // at 1M and above.
        const reps = n >= 1_000_000 ? 1 : 5;
        const full = await best(path, reps);
        const warm = await best(path, reps, warmup);
        const { checkMs, parseMs } = full;
        results.set(n, { checkMs, warmMs: warm.checkMs, maxRssMb: full.maxRssMb });
        if (full.txns !== n) notes.push(`${n}: the reader found ${full.txns} txns`);
        if (full.valid !== true) notes.push(`${n}: expected valid (strict serializable by construction), got ${full.valid}: ${full.explanation ?? ''}`);
        rows.push([
          String(n),
          mb.toFixed(1),
          secs(parseMs),
          rate(n, parseMs),
          secs(checkMs),
          rate(n, checkMs),
          secs(warm.checkMs),
          rate(n, warm.checkMs),
          secs(full.ms),
          String(full.valid),
          full.maxRssMb.toFixed(0),
        ]);
      } catch (e) {
        notes.push(`${n}: a child process failed: ${(e as { shortMessage?: string }).shortMessage ?? String(e)}`);
        rows.push([String(n), mb.toFixed(1), '-', '-', '-', '-', '-', '-', '-', 'crashed', '-']);
      } finally {
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const head = ['txns', 'file MB', 'parse s', 'parse txns/s', 'check s', 'check txns/s', 'warm check s', 'warm txns/s', 'total s', 'valid', 'peak RSS MB'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`(list-append, ${MOPS} micro-ops per txn, at most ${maxAppendsPerKey} appends per key, seed ${SEED}; each run in a fresh process; below 1M the least parse and check times of 5 runs, and the largest peak RSS; warm: after checking a 10k history in the same process)`);

  const at = results.get(TARGET_AT);
  const speed = at ? (TARGET_AT / at.warmMs) * 1000 : undefined;
  const cold = at ? (TARGET_AT / at.checkMs) * 1000 : undefined;
  const big = results.get(TARGET_RSS_AT);
  console.log(
    `target: check >= ${TARGET_TXNS_PER_S / 1000}k txns/s at ${TARGET_AT / 1000}k txns on one core: ` +
      (speed === undefined ? 'not measured' : `${(speed / 1000).toFixed(0)}k txns/s warm, ${speed >= TARGET_TXNS_PER_S ? 'met' : 'NOT met'} (cold, in a fresh process: ${((cold ?? 0) / 1000).toFixed(0)}k)`),
  );
  console.log(
    `target: ${TARGET_RSS_AT / 1e6}M txns within ${TARGET_RSS_MB / 1024} GB peak RSS: ` +
      (big === undefined ? 'not measured' : `${big.maxRssMb.toFixed(0)} MB, ${big.maxRssMb <= TARGET_RSS_MB ? 'met' : 'NOT met'}`),
  );
  for (const n of notes) console.log(`note: ${n}`);
}

await main();
