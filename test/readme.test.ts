// The README's `faultline check` examples run exactly as printed, from a folder laid out like the
// project (examples/ and a store/ of runs, the corpus at ../shared/corpus), and print what the
// README shows, but for the time taken.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusDir, repoRoot } from './helpers/corpus.js';

const bin = join(repoRoot, 'bin', 'faultline.js');
const root = mkdtempSync(join(tmpdir(), 'faultline-readme-'));
const project = join(root, 'project');
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Example {
  command: string;
  /** The lines printed under it. */
  output: string[];
}

/** Every `$ npx faultline check …` in the README's console blocks, with the lines shown under it. */
function checkExamples(readme: string): Example[] {
  const out: Example[] = [];
  for (const block of readme.matchAll(/^```console\n([\s\S]*?)^```/gm)) {
    let current: Example | undefined;
    for (const line of block[1].split('\n')) {
      if (line.startsWith('$ ')) {
        current = undefined;
        const command = line.slice(2).replace(/\s+#.*$/, '').trim();
        if (/^npx faultline check\b/.test(command)) out.push((current = { command, output: [] }));
      } else if (current && line !== '') current.output.push(line);
    }
  }
  return out;
}

/** A command line split into words as a POSIX shell would for these examples (quotes, no expansions). */
function words(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

const sinceTime = (line: string) => line.replace(/ · \d+ ms(?=:|$)/, ' · N ms');

beforeAll(() => {
  // The project's folder: its examples, a store with a run in it as `faultline test` leaves it.
  mkdirSync(project);
  symlinkSync(join(repoRoot, 'examples'), join(project, 'examples'));
  mkdirSync(join(root, 'shared'));
  symlinkSync(corpusDir, join(root, 'shared', 'corpus'));
  const run = join(project, 'store', 'register-leader-follower-sync', '20261130T064609.290Z');
  mkdirSync(join(run, 'logs', 'n1'), { recursive: true });
  mkdirSync(join(run, 'data', 'n1'), { recursive: true });
  writeFileSync(join(run, 'history.jsonl'), readFileSync(join(repoRoot, 'examples', 'register.jsonl')));
  writeFileSync(join(run, 'test.json'), JSON.stringify({ name: 'register-leader-follower-sync', seed: 1 }));
  writeFileSync(join(run, 'results.json'), JSON.stringify({ valid: true }));
  writeFileSync(join(run, 'logs', 'n1', 'node.log'), 'n1 up\n');
  writeFileSync(join(run, 'data', 'n1', 'state.jsonl'), '{"log":[]}\n');
  symlinkSync('register-leader-follower-sync/20261130T064609.290Z', join(project, 'store', 'latest'));
});

const examples = checkExamples(readFileSync(join(repoRoot, 'README.md'), 'utf8'));

describe('the README check examples', () => {
  it('are there', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  for (const ex of examples) {
    it(`runs as printed: ${ex.command}`, async () => {
      const argv = words(ex.command).slice(2); // npx faultline
      const r = await execa(process.execPath, [bin, ...argv], { cwd: project, reject: false });
      expect(r.stderr).toBe('');
      const printed = r.stdout.split('\n').filter(Boolean);
      if (ex.output.length > 0) {
        expect(printed.map(sinceTime)).toEqual(ex.output.map(sinceTime));
        const verdict = /: (valid|INVALID|unknown) · /.exec(ex.output[0])?.[1];
        expect(r.exitCode).toBe(verdict === 'INVALID' ? 1 : verdict === 'unknown' ? 2 : 0);
      } else {
        // Shown without its output (JSON lines): it must still run cleanly and say something.
        expect(r.exitCode).toBe(0);
        expect(printed.length).toBeGreaterThan(0);
        if (argv.includes('--json')) for (const line of printed) expect(() => JSON.parse(line)).not.toThrow();
      }
    });
  }
});
