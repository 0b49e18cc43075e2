// Cold start of the CLI, as whole processes: `faultline --version` must answer well under 300 ms
// (issue 2), and the three whole-process ratios of issue 16 (bench/cli.ts): the 103 etcd logs
// against Porcupine, 100k list-append txns against a bare JSON.parse stream, and a check of a
// 2-op file against `node -e 0`.
//   node dist/bench/startup.js [--runs N] [--pairs N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wholeProcessRatios } from './cli.js';
import { bin, timeOnce } from './whole-process.js';

const flag = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const runs = flag('--runs', 15);
const pairs = flag('--pairs', 5);
const dir = mkdtempSync(join(tmpdir(), 'faultline-startup-'));
const small = join(dir, 'h.jsonl');
writeFileSync(small, '{"index":0,"type":"invoke","process":0,"f":"read","value":null}\n{"index":1,"type":"ok","process":0,"f":"read","value":1}\n');

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
try {
  const cases: [string, string[]][] = [
    ['node -e 0 (the floor)', ['-e', '0']],
    ['faultline --version', [bin, '--version']],
    ['faultline --help', [bin, '--help']],
    ['faultline check (2-op file)', [bin, 'check', small]],
  ];
  for (const [label, argv] of cases) {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) xs.push(await timeOnce({ label, file: process.execPath, args: argv }));
    xs.sort((a, b) => a - b);
    console.log(`${label.padEnd(30)} median ${q(xs, 0.5).toFixed(0).padStart(4)} ms   p90 ${q(xs, 0.9).toFixed(0).padStart(4)} ms`);
  }
  console.log(`(${runs} runs each; target: faultline --version well under 300 ms)\n`);
  const summary = await wholeProcessRatios(new Set(['etcd', 'txn', 'small']), pairs);
  console.log(`\nsummary: ${summary.join('; ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
