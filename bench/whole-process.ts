// Whole processes timed side by side, as a user meets them: each command is started fresh, the two
// commands of a comparison alternate (which one goes first alternates too, so drift on a shared
// machine hits both), and the figure quoted is the median of the paired ratios, with their spread
// as the noise of the run.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = join(root, 'bin', 'faultline.js');

export interface Command {
  label: string;
  file: string;
  args: string[];
  cwd?: string;
  /** Exit codes that mean the command did its job (a check of invalid histories exits 1). */
  exitCodes?: number[];
  env?: Record<string, string>;
}

export interface Paired {
  a: number[];
  b: number[];
  ratios: number[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmtMs = (ms: number): string => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** Runs `c` once and returns its wall time in ms; throws if it exits with a code it should not. */
export async function timeOnce(c: Command): Promise<number> {
  const t0 = performance.now();
  const r = await execa(c.file, c.args, { cwd: c.cwd, reject: false, env: c.env, stdin: 'ignore' });
  const ms = performance.now() - t0;
  if (!(c.exitCodes ?? [0]).includes(r.exitCode ?? -1)) {
    throw new Error(`${c.label}: exit ${r.exitCode}: ${(r.stderr || r.stdout).split('\n').slice(-3).join(' | ')}`);
  }
  return ms;
}

/** `pairs` paired runs of a and b after one unmeasured run of each (disk cache, lazy page-ins). */
export async function paired(a: Command, b: Command, pairs: number): Promise<Paired> {
  await timeOnce(a);
  await timeOnce(b);
  const out: Paired = { a: [], b: [], ratios: [] };
  for (let i = 0; i < pairs; i++) {
    let ta: number;
    let tb: number;
    if (i % 2 === 0) {
      ta = await timeOnce(a);
      tb = await timeOnce(b);
    } else {
      tb = await timeOnce(b);
      ta = await timeOnce(a);
    }
    out.a.push(ta);
    out.b.push(tb);
    out.ratios.push(ta / tb);
  }
  return out;
}

/** One line: both medians, the median paired ratio with its spread, and the goal. */
export function report(label: string, p: Paired, names: [string, string], goal: number): { ratio: number; met: boolean; line: string } {
  const ratio = median(p.ratios);
  const lo = Math.min(...p.ratios);
  const hi = Math.max(...p.ratios);
  const met = ratio <= goal;
  const line =
    `${label}\n` +
    `  ${names[0].padEnd(44)} median ${fmtMs(median(p.a)).padStart(8)}  (${p.a.map((x) => x.toFixed(0)).join(' ')})\n` +
    `  ${names[1].padEnd(44)} median ${fmtMs(median(p.b)).padStart(8)}  (${p.b.map((x) => x.toFixed(0)).join(' ')})\n` +
    `  ratio ${ratio.toFixed(2)} (median of ${p.ratios.length} pairs; spread ${lo.toFixed(2)}–${hi.toFixed(2)}); goal <= ${goal}: ${met ? 'met' : 'NOT met'}`;
  return { ratio, met, line };
}

/** Porcupine's test binary built from ../shared/reference/porcupine-bench (its README), if there is one. */
export function porcupineBinary(): { dir: string; exe: string } | undefined {
  const dir = process.env.FAULTLINE_PORCUPINE ?? join(root, '..', 'porcupine');
  const exe = join(dir, 'porc.test');
  return existsSync(exe) && existsSync(join(dir, 'test_data', 'jepsen')) ? { dir, exe } : undefined;
}

export const PORCUPINE_HOWTO =
  'Porcupine is not built: follow ../shared/reference/porcupine-bench/README.md into ../porcupine (or set FAULTLINE_PORCUPINE to the checkout holding porc.test)';
