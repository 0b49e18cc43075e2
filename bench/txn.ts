// How fast is the transactional (Elle-class) checker on list-append histories, and how much memory
// does a big one take? For each size: a generated strict-serializable history (4 micro-ops per txn,
// at most 200 appends per key, fixed seed) written to a JSONL file, then parsed and checked for
// strict serializability in a fresh process, so peak RSS is that size's own.
//   node dist/bench/txn.js [--sizes 10000,100000,1000000] [--max-appends-per-key 200]
// Targets: checking >= 300k txns/s at 100k txns on one core; 1M txns within 2 GB peak RSS.
import { execa } from 'execa';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../checker/types.js';
import { readHistoryFile } from '../histories/read.js';
import { generateListAppend, writeJsonl } from './generate-txn.js';

type TxnModule = typeof import('../checker/txn/index.js');
// Imported at run time through a variable, so this bench still measures parsing (and says why it
// skips checking) on a tree where the transactional checker is missing or broken.
const TXN_MODULE = new URL('../checker/txn/index.js', import.meta.url).href;

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
  parseMs: number;
  parseRssMb: number;
  maxRssMb: number;
  checkMs?: number;
  valid?: Result['valid'];
  explanation?: string;
  /** Why the check did not run. */
  skipped?: string;
}

/** Child mode: parse, then check, one history; prints one JSON line. */
async function child(path: string): Promise<void> {
  const t0 = performance.now();
  const { history } = await readHistoryFile(path);
  const parseMs = performance.now() - t0;
  const out: Measured = { txns: history.invocationCount, parseMs, parseRssMb: process.resourceUsage().maxRSS / 1024, maxRssMb: 0 };
  let mod: TxnModule | undefined;
  try {
    mod = (await import(TXN_MODULE)) as TxnModule;
    if (typeof mod.checkTxn !== 'function') throw new Error('checker/txn/index.js exports no checkTxn function');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    out.skipped =
      code === 'ERR_MODULE_NOT_FOUND'
        ? `the transactional checker is not built: ${(e as Error).message.split('\n')[0]}`
        : `cannot load the transactional checker: ${(e as Error)?.message ?? String(e)}`;
  }
  if (mod && !out.skipped) {
    const t1 = performance.now();
    const r = await mod.checkTxn(history, { workload: 'list-append', models: ['strict-serializable'] });
    out.checkMs = performance.now() - t1;
    out.valid = r.valid;
    if (r.valid !== true) out.explanation = r.explanation;
  }
  out.maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(out) + '\n');
}

const secs = (ms: number) => (ms / 1000).toFixed(2);
const rate = (n: number, ms: number) => `${((n / ms) * 1000 / 1000).toFixed(0)}k`;

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1]);
  const sizes = (flag('--sizes') ?? '10000,100000,1000000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes takes positive integers, e.g. --sizes 10000,100000');
  const maxAppendsPerKey = Number(flag('--max-appends-per-key') ?? 200);
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-txn-'));
  const rows: string[][] = [];
  const notes: string[] = [];
  const results = new Map<number, Measured>();
  try {
    for (const n of sizes) {
      const path = join(dir, `list-append-${n}.jsonl`);
      const g0 = performance.now();
      const { ops, bytes } = writeJsonl(generateListAppend({ txns: n, mopsPerTxn: MOPS, maxAppendsPerKey, seed: SEED }), path);
      const genMs = performance.now() - g0;
      const mb = bytes / 1e6;
      console.log(`generated ${n} txns (${ops} ops, ${mb.toFixed(1)} MB) in ${secs(genMs)} s`);
      let m: Measured;
      try {
        // The same flags as the other benches' children; a fresh process per size.
        const { stdout } = await execa(process.execPath, ['--max-old-space-size=8192', self, '--child', path]);
        m = JSON.parse(stdout.trim().split('\n').at(-1)!) as Measured;
      } catch (e) {
        const why = (e as { shortMessage?: string }).shortMessage ?? String(e);
        notes.push(`${n}: the child process failed: ${why}`);
        rows.push([String(n), mb.toFixed(1), '-', '-', '-', '-', 'crashed', '-', '-']);
        continue;
      } finally {
        rmSync(path, { force: true });
      }
      results.set(n, m);
      if (m.txns !== n) notes.push(`${n}: the reader found ${m.txns} txns`);
      if (m.skipped) notes.push(`${n}: check skipped: ${m.skipped}`);
      if (m.valid !== undefined && m.valid !== true) {
        notes.push(`${n}: expected valid (the history is strict serializable by construction), got ${m.valid}: ${m.explanation ?? ''}`);
      }
      const checked = m.checkMs !== undefined;
      rows.push([
        String(n),
        mb.toFixed(1),
        secs(m.parseMs),
        rate(n, m.parseMs),
        checked ? secs(m.checkMs!) : '-',
        checked ? rate(n, m.checkMs!) : '-',
        checked ? String(m.valid) : 'skipped',
        m.parseRssMb.toFixed(0),
        m.maxRssMb.toFixed(0),
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const head = ['txns', 'file MB', 'parse s', 'parse txns/s', 'check s', 'check txns/s', 'valid', 'RSS after parse MB', 'peak RSS MB'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`(list-append, ${MOPS} micro-ops per txn, at most ${maxAppendsPerKey} appends per key, seed ${SEED}; each size parsed and checked in a fresh process)`);

  const at = results.get(TARGET_AT);
  const speed = at?.checkMs !== undefined ? (TARGET_AT / at.checkMs) * 1000 : undefined;
  const big = results.get(TARGET_RSS_AT);
  console.log(
    `target: check >= ${TARGET_TXNS_PER_S / 1000}k txns/s at ${TARGET_AT / 1000}k txns on one core: ` +
      (speed === undefined ? 'not measured' : `${(speed / 1000).toFixed(0)}k txns/s, ${speed >= TARGET_TXNS_PER_S ? 'met' : 'NOT met'}`),
  );
  console.log(
    `target: ${TARGET_RSS_AT / 1e6}M txns within ${TARGET_RSS_MB / 1024} GB peak RSS: ` +
      (big?.checkMs === undefined ? 'not measured' : `${big.maxRssMb.toFixed(0)} MB, ${big.maxRssMb <= TARGET_RSS_MB ? 'met' : 'NOT met'}`),
  );
  for (const n of notes) console.log(`note: ${n}`);
}

await main();
