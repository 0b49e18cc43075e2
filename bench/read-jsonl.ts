// Reading a 1M-op JSONL history with faultline's reader (parse + schema validation + pairing)
// against a bare JSON.parse of the same lines, each in its own process so peak memory is its own.
// Target (issue 2): faultline's reader costs at most 2x the bare parse.
//   node dist/bench/read-jsonl.js [--ops N] [--rounds R]
import { execa } from 'execa';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonlFile } from '../histories/jsonl.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};

async function generate(path: string, ops: number): Promise<void> {
  const out = createWriteStream(path);
  const processes = 20;
  const open: (object | null)[] = new Array(processes).fill(null);
  let value = 0;
  let time = 0;
  const procOf = Int32Array.from({ length: processes }, (_, i) => i);
  for (let index = 0; index < ops; index++) {
    time += 1000 + (index % 7919);
    const slot = (index * 7) % processes;
    let line: object;
    const inv = open[slot] as { process: number; f: string; value: unknown } | null;
    if (inv) {
      const type = index % 53 === 0 ? 'info' : index % 11 === 0 ? 'fail' : 'ok';
      line = { index, time, type, process: inv.process, f: inv.f, value: inv.f === 'read' ? value % 5 : inv.value };
      open[slot] = null;
      if (type === 'info') procOf[slot] += processes; // Jepsen: the thread continues as a new process
    } else {
      const f = ['read', 'write', 'cas'][index % 3];
      const p = procOf[slot];
      line = { index, time, type: 'invoke', process: p, f, value: f === 'read' ? null : f === 'write' ? ++value % 5 : [value % 5, (value + 1) % 5] };
      open[slot] = line;
    }
    if (!out.write(JSON.stringify(line) + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** Child mode: one measurement, printed as JSON. */
async function measure(mode: string, path: string): Promise<void> {
  const t0 = performance.now();
  let n = 0;
  if (mode === 'bare') {
    const lines = readFileSync(path, 'utf8').split('\n');
    const ops: unknown[] = [];
    for (const l of lines) if (l.length) ops.push(JSON.parse(l));
    n = ops.length;
  } else {
    n = (await readJsonlFile(path)).length;
  }
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, n, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (args[0] === '--child') return measure(args[1], args[2]);
  const ops = flag('--ops', 1_000_000);
  const rounds = flag('--rounds', 3);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-'));
  const path = join(dir, 'history.jsonl');
  try {
    await generate(path, ops);
    const mb = statSync(path).size / 1e6;
    console.log(`history: ${ops} ops, ${mb.toFixed(0)} MB (${path})`);
    const self = fileURLToPath(import.meta.url);
    const results: Record<string, { ms: number; n: number; maxRssMb: number }[]> = { bare: [], faultline: [] };
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['bare', 'faultline']) {
        const { stdout } = await execa('node', ['--max-old-space-size=8192', self, '--child', mode, path]);
        results[mode].push(JSON.parse(stdout));
      }
    }
    const row = (name: string, label: string) => {
      const ms = median(results[name].map((x) => x.ms));
      const rss = median(results[name].map((x) => x.maxRssMb));
      console.log(`${label.padEnd(38)} ${ms.toFixed(0).padStart(6)} ms  ${((ops / ms) * 1000 / 1e6).toFixed(2).padStart(5)} M ops/s  peak RSS ${rss.toFixed(0)} MB`);
      return { ms, rss };
    };
    const bare = row('bare', 'bare JSON.parse of the lines');
    const ours = row('faultline', 'faultline readJsonlFile (validate+pair)');
    console.log(`ratio faultline / bare: time ${(ours.ms / bare.ms).toFixed(2)} (target <= 2), peak memory ${(ours.rss / bare.rss).toFixed(2)}`);
    console.log(`(median of ${rounds} rounds, each in a fresh process)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
