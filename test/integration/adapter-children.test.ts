// An adapter that starts a child process (issue 20 item 1): `faultline test --target stdio` ends
// with its verdict whatever the child does, and leaves no descendant behind. The child either
// shares the adapter's stdout (it used to hold the pipe open, so faultline printed its verdict and
// never exited) or has its own stdio (it used to outlive faultline: the adapter's process group
// was killed only while the adapter itself was alive). Uses the compiled CLI (npm test builds).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { running } from '../../control/proc.js';
import { python } from '../fixtures/stdio/python.js';
import { until } from '../helpers/wait.js';

const bin = resolve('bin/faultline.js');
const fixture = resolve('test/fixtures/stdio/fixture_adapter.py');
const dir = mkdtempSync(join(tmpdir(), 'fl-adapter-children-'));
const strays: number[] = [];
afterAll(() => {
  // A failed run may leave the child: end it, if that pid is still our sleep.
  for (const pid of strays) {
    try {
      if (running(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('an adapter that starts a child', () => {
  for (const mode of ['inherit', 'quiet']) {
    it(`${mode === 'inherit' ? 'sharing its stdout' : 'with its own stdio'}: faultline exits with the verdict, the child is gone`, async () => {
      const pidFile = join(dir, `${mode}.pid`);
      const adapter = `${python()} ${fixture} --spawn-child ${mode} ${pidFile}`;
      // A generous bound (the run itself is 1 s): before the fix the inherit case never ended.
      const r = await execa(
        process.execPath,
        [bin, 'test', '--target', 'stdio', '--system', 'none', '--adapter', adapter, '--workload', 'register', '--nodes', '1',
          '--concurrency', '1', '--time-limit', '1', '--nemesis', 'none', '--quiesce', '0', '--store', join(dir, 'store'), '--no-progress'],
        { reject: false, timeout: 90_000, cwd: dir },
      );
      const child = Number(readFileSync(pidFile, 'utf8'));
      strays.push(child);
      expect(r.timedOut, r.stderr).toBe(false);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/valid/);
      // Killed at the adapter's exit; an orphan is reaped by init, which may take a moment here.
      await until(`the adapter's child ${child} to end`, () => !running(child), 10_000);
    }, 120_000);
  }
});
