// The warm rules loader's protocol, with a stand-in for iptables-restore (a node script that
// appends its stdin to a file, fails on FAIL, hangs on HANG): each load is one process, started
// ahead of time, fed the text and awaited; failures and timeouts are reported and do not stick.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { childrenOf, readStat, running } from '../../control/proc.js';
import { until } from '../helpers/wait.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Control } from '../../control/types.js';
import { warmLoader } from '../../nemesis/rules-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STAND_IN = `
let s = '';
process.stdin.on('data', (d) => (s += d)).on('end', () => {
  if (s.includes('HANG')) return setInterval(() => {}, 1000);
  require('fs').appendFileSync(process.argv[1], s);
  if (s.includes('FAIL')) { console.error('line 2 failed'); process.exit(1); }
});`;

function standIn(file: string): Control & { wrapped: (readonly string[])[] } {
  const wrapped: (readonly string[])[] = [];
  return {
    where: 'stand-in',
    wrapped,
    exec: async () => ({ stdout: '', stderr: '', exitCode: 0 }),
    wrap: (argv) => {
      wrapped.push(argv);
      return [process.execPath, '-e', STAND_IN, file];
    },
  };
}

describe('warm rules loader', () => {
  it('loads each text through its own waiting process, reports failures and timeouts, and recovers', async () => {
    const file = join(dir, 'applied');
    const control = standIn(file);
    const loader = warmLoader(control);
    await loader.load('a\n', 10_000); // no process waits yet: this one starts its own
    loader.prepare();
    loader.prepare(); // one waits already
    expect(control.wrapped.length).toBe(2);
    await loader.load('b\n', 10_000);
    expect(control.wrapped.length).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('a\nb\n');
    expect(control.wrapped[0]).toEqual(['iptables-restore', '-w', '--noflush']);
    await expect(loader.load('FAIL\n', 10_000)).rejects.toThrow(/^stand-in: iptables-restore: line 2 failed$/);
    await expect(loader.load('HANG\n', 300)).rejects.toThrow(/no answer within 300 ms/);
    await loader.load('c\n', 10_000);
    expect(readFileSync(file, 'utf8')).toBe('a\nb\nFAIL\nc\n');
    loader.close();
    await expect(loader.load('d\n', 1000)).rejects.toThrow(/closed/);
  });

  it('a waiting process killed meanwhile (a signal to the group) is replaced once; it runs in a process group of its own', async () => {
    const file = join(dir, 'killed');
    const control = standIn(file);
    const loader = warmLoader(control);
    const before = new Set(childrenOf(process.pid));
    loader.prepare();
    await until('the waiting process', () => childrenOf(process.pid).some((p) => !before.has(p)));
    const waiting = childrenOf(process.pid).find((p) => !before.has(p))!;
    // Its own group: a Ctrl-C to faultline's group does not reach it.
    expect(readFileSync(`/proc/${waiting}/stat`, 'utf8').slice(readFileSync(`/proc/${waiting}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ')[2]).toBe(String(waiting));
    expect(readStat(waiting)?.ppid).toBe(process.pid);
    // Killed just before the load, which does not know yet: it hands the text over, sees the
    // process ended by a signal without a word, and loads through a fresh one.
    process.kill(waiting, 'SIGKILL');
    await loader.load('e\n', 10_000);
    expect(running(waiting)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('e\n');
    expect(control.wrapped.length).toBe(2);
    loader.close();
  });
});
