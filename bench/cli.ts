// How fast is `faultline check` as a user measures it: the whole process, cold (issue 16). Three
// comparisons, each as paired whole processes (bench/whole-process.ts):
//   1. the 103 Porcupine etcd logs, `check --format porcupine-etcd-log --model cas-register DIR`
//      (evidence included), against Porcupine's own test code parsing and checking them
//      (TestZZEtcdAll, built from ../shared/reference/porcupine-bench); goal <= 0.5x;
//   2. a 100k-transaction list-append JSONL file (57 MB), `check --checker list-append`, against
//      node streaming the same file through JSON.parse and nothing else; goal <= 1.5x;
//   3. `faultline check` of a 2-op file against `node -e 0`; goal <= 1.5x.
// and, for issue 22, Porcupine's own kv logs against its own tests (built as for 1.):
//   kv        the 6 kv logs per key, one `check --model kv DIR` (verdicts and the first failing
//             key's evidence), against TestZZKvPerKey; goal <= 0.5x;
//   kv-c50bad c50-bad alone against TestKv50ClientsBad (parse + check); goal < 1x;
//   kv-whole  c10-ok and c10-bad checked whole (`--option partition=false`, one register map)
//             against TestKvNoPartition10ClientsOk/Bad; goal < 1x.
//   node dist/bench/cli.js [--pairs N] [--only etcd,txn,small,kv,kv-c50bad,kv-whole] [--bin FILE]
//   (add txn-parallel to --only for the txn file parsed on a second thread,
//   FAULTLINE_PARALLEL_READ=1; --bin times another build's bin/faultline.js, e.g. the code before)
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateListAppend, writeJsonl } from './generate-txn.js';
import { bin as ourBin, type Command, paired, PORCUPINE_HOWTO, porcupineBinary, report, root, timeOnce, median, fmtMs } from './whole-process.js';

const SMALL_HISTORY =
  '{"index":0,"type":"invoke","process":0,"f":"read","value":null}\n{"index":1,"type":"ok","process":0,"f":"read","value":1}\n';

/** The three comparisons of issue 16 (`only` picks some), each printed as it finishes; returns the summary lines. */
export async function wholeProcessRatios(only: Set<string>, pairs: number, bin = ourBin): Promise<string[]> {
  const corpus = process.env.FAULTLINE_CORPUS ?? resolve(root, '..', 'shared', 'corpus');
  const node = process.execPath;
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-cli-'));
  const summary: string[] = [];
  try {
    console.log(`whole processes, cold; ${pairs} pairs per comparison, alternating; node ${process.version}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const porc = porcupineBinary();
    if (only.has('etcd')) {
      const etcdDir = join(corpus, 'porcupine', 'test_data', 'jepsen');
      const ours: Command = {
        label: 'faultline',
        file: node,
        args: [bin, 'check', '--format', 'porcupine-etcd-log', '--model', 'cas-register', etcdDir],
        exitCodes: [1],
      };
      if (porc) {
        const theirs: Command = { label: 'porcupine', file: porc.exe, args: ['-test.run', 'TestZZEtcdAll'], cwd: porc.dir };
        const r = report('103 Porcupine etcd logs (79 invalid), evidence included', await paired(ours, theirs, pairs), ['faultline check --model cas-register', 'Porcupine TestZZEtcdAll (parse + check)'], 0.5);
        console.log(r.line);
        summary.push(`etcd logs / Porcupine: ${r.ratio.toFixed(2)} (goal <= 0.5, ${r.met ? 'met' : 'NOT met'})`);
      } else {
        const xs: number[] = [];
        for (let i = 0; i < pairs; i++) xs.push(await timeOnce(ours));
        console.log(`103 Porcupine etcd logs: faultline median ${fmtMs(median(xs))}; ${PORCUPINE_HOWTO}`);
        summary.push(`etcd logs: faultline ${fmtMs(median(xs))}, no Porcupine to compare with`);
      }
    }
    const kvDir = join(corpus, 'porcupine', 'test_data', 'kv');
    // Each kv comparison: faultline's arguments, Porcupine's test, the goal, and the exit code of an invalid verdict.
    const kvCases: [string, string, string[], string, number][] = [
      ['kv', 'the 6 Porcupine kv logs per key, one call (3 invalid), first failing key explained', ['--model', 'kv', kvDir], 'TestZZKvPerKey', 0.5],
      ['kv-c50bad', 'kv c50-bad alone, per key', ['--model', 'kv', join(kvDir, 'c50-bad.txt')], 'TestKv50ClientsBad', 1],
      ['kv-whole', 'kv c10-ok whole (one register map, no split)', ['--model', 'kv', '--option', 'partition=false', join(kvDir, 'c10-ok.txt')], 'TestKvNoPartition10ClientsOk', 1],
      ['kv-whole', 'kv c10-bad whole (one register map, no split)', ['--model', 'kv', '--option', 'partition=false', join(kvDir, 'c10-bad.txt')], 'TestKvNoPartition10ClientsBad', 1],
    ];
    for (const [sel, label, args, test, goal] of kvCases) {
      if (!only.has(sel)) continue;
      const ours: Command = { label: 'faultline', file: node, args: [bin, 'check', ...args], exitCodes: [0, 1] };
      if (!porc) {
        console.log(`${label}: ${PORCUPINE_HOWTO}`);
        continue;
      }
      const theirs: Command = { label: 'porcupine', file: porc.exe, args: ['-test.run', `^${test}$`], cwd: porc.dir };
      // Porcupine's whole c10 checks take seconds: fewer pairs there.
      const n = sel === 'kv-whole' ? Math.min(pairs, 3) : pairs;
      const r = report(label, await paired(ours, theirs, n), [`faultline check ${args.slice(0, -1).join(' ')}`, `Porcupine ${test} (parse + check)`], goal);
      console.log(r.line);
      summary.push(`${label} / Porcupine: ${r.ratio.toFixed(2)} (goal ${goal < 1 ? '<=' : '<'} ${goal}, ${r.met && (goal < 1 || r.ratio < 1) ? 'met' : 'NOT met'})`);
    }
    if (only.has('txn')) {
      const file = join(dir, 'list-append-100k.jsonl');
      writeJsonl(generateListAppend({ txns: 100_000, mopsPerTxn: 4, maxAppendsPerKey: 100, seed: 1 }), file);
      const mb = statSync(file).size / 1e6;
      const ours: Command = { label: 'faultline', file: node, args: [bin, 'check', '--checker', 'list-append', file] };
      const bare: Command = { label: 'bare', file: node, args: [join(root, 'dist', 'bench', 'bare-jsonl.js'), file] };
      const r = report(`100k list-append txns, JSONL (${mb.toFixed(0)} MB)`, await paired(ours, bare, pairs), ['faultline check --checker list-append', 'node: JSON.parse of every line, nothing else'], 1.5);
      console.log(r.line);
      summary.push(`100k txns / bare JSON.parse: ${r.ratio.toFixed(2)} (goal <= 1.5, ${r.met ? 'met' : 'NOT met'})`);
      // The same with parsing on a second thread (off by default: histories/jsonl.ts says why).
      for (const [mode, env, label] of [['txn-parallel', '1', 'parsing on a second thread (FAULTLINE_PARALLEL_READ=1)']] as const) {
        if (!only.has(mode)) continue;
        const forced: Command = { ...ours, label, env: { ...process.env, FAULTLINE_PARALLEL_READ: env } as Record<string, string> };
        const f = report(`  the same, ${label}`, await paired(forced, bare, pairs), ['faultline check --checker list-append', 'node: JSON.parse of every line, nothing else'], 1.5);
        console.log(f.line);
        summary.push(`100k txns, ${mode} / bare: ${f.ratio.toFixed(2)}`);
      }
      rmSync(file, { force: true });
    }
    if (only.has('small')) {
      const file = join(dir, 'h.jsonl');
      writeFileSync(file, SMALL_HISTORY);
      const ours: Command = { label: 'faultline', file: node, args: [bin, 'check', file] };
      const floor: Command = { label: 'node', file: node, args: ['-e', '0'] };
      const r = report('one small file (2 ops)', await paired(ours, floor, Math.max(pairs, 15)), ['faultline check h.jsonl', 'node -e 0'], 1.5);
      console.log(r.line);
      summary.push(`small file / node -e 0: ${r.ratio.toFixed(2)} (goal <= 1.5, ${r.met ? 'met' : 'NOT met'})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return summary;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const summary = await wholeProcessRatios(new Set((flag('--only') ?? 'etcd,txn,small').split(',')), Number(flag('--pairs') ?? 7), flag('--bin') ?? ourBin);
  console.log(`\nsummary: ${summary.join('; ')}`);
}
