// Cold start of the CLI: `faultline --version` must answer well under 300 ms (issue 2), and the
// commands people run most should not be far behind.
//   node dist/bench/startup.js [--runs N]
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const runsIdx = process.argv.indexOf('--runs');
const runs = runsIdx === -1 ? 15 : Number(process.argv[runsIdx + 1]);
const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'faultline.js');
const dir = mkdtempSync(join(tmpdir(), 'faultline-startup-'));
const small = join(dir, 'h.jsonl');
writeFileSync(small, '{"index":0,"type":"invoke","process":0,"f":"read","value":null}\n{"index":1,"type":"ok","process":0,"f":"read","value":1}\n');

async function time(argv: string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await execa('node', argv);
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
try {
  const cases: [string, string[]][] = [
    ['node -e 0 (the floor)', ['-e', '0']],
    ['faultline --version', [bin, '--version']],
    ['faultline --help', [bin, '--help']],
    ['faultline check (2-op file)', [bin, 'check', small]],
  ];
  for (const [label, argv] of cases) {
    const xs = await time(argv);
    console.log(`${label.padEnd(30)} median ${q(xs, 0.5).toFixed(0).padStart(4)} ms   p90 ${q(xs, 0.9).toFixed(0).padStart(4)} ms`);
  }
  console.log(`(${runs} runs each; target: faultline --version well under 300 ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
