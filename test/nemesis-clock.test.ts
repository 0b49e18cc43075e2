// Clock faults: the offset math, the `date` argv for SSH hosts, the refusal of anything on this
// machine, and the fault's start/stop over a recording driver. No clock is ever changed here: the
// SSH controls are fakes that only record what they were asked to run.
import { describe, expect, it } from 'vitest';
import type { Control, ExecOptions, ExecResult } from '../control/types.js';
import { local } from '../control/local.js';
import { netns } from '../control/netns.js';
import { bumped, clockFault, clockFaultWith, dateShiftArgv, parseClockValue, refuseLocalClock, sshClock, strobeOffset, type ClockDriver } from '../nemesis/clock.js';
import { Random } from '../base/random.js';
import type { Target } from '../targets/types.js';

class FakeSsh implements Control {
  readonly calls: string[][] = [];
  constructor(
    readonly where: string,
    private readonly bootId: string,
  ) {}
  wrap(argv: readonly string[]): string[] {
    return [...argv];
  }
  async exec(argv: readonly string[], _o?: ExecOptions): Promise<ExecResult> {
    this.calls.push([...argv]);
    if (argv[0] === 'cat') return { stdout: `${this.bootId}\n`, stderr: '', exitCode: 0 };
    return { stdout: '', stderr: '', exitCode: 0 };
  }
}

function recordingDriver(nodes: string[]): ClockDriver & { log: [string, number][] } {
  const log: [string, number][] = [];
  return { nodes, mechanism: 'test', log, available: async () => true, setOffset: async (n, ms) => void log.push([n, ms]) };
}

const DEFAULTS = { action: 'bump' as const, offsetMs: 5000, periodMs: 100, durationMs: 1000 };

describe('offset math', () => {
  it('bumps add up; a strobe alternates each period and returns to its base', () => {
    expect(bumped(bumped(0, 500), -200)).toBe(300);
    const at = (t: number) => strobeOffset(1000, 250, 100, 1000, t);
    expect([0, 99, 100, 199, 200, 950, 1000, 5000, -1].map(at)).toEqual([1250, 1250, 1000, 1000, 1250, 1000, 1000, 1000, 1000]);
  });

  it('parses start values', () => {
    const r = new Random(3);
    expect(parseClockValue({ kind: 'bump', offsetMs: -20, nodes: ['n2'] }, ['n1', 'n2'], DEFAULTS, () => r.next())).toEqual({ nodes: ['n2'], action: { kind: 'bump', offsetMs: -20 } });
    expect(parseClockValue({ kind: 'strobe' }, ['n1'], DEFAULTS, () => 0.9)).toEqual({ nodes: ['n1'], action: { kind: 'strobe', offsetMs: 5000, periodMs: 100, durationMs: 1000 } });
    expect(parseClockValue(['n1'], ['n1'], DEFAULTS, () => 0.1).action).toEqual({ kind: 'bump', offsetMs: -5000 });
    expect(parseClockValue(null, ['n1', 'n2'], DEFAULTS, () => 0.9)).toEqual({ nodes: ['n1', 'n2'], action: { kind: 'bump', offsetMs: 5000 } });
    expect(() => parseClockValue({ kind: 'warp' }, ['n1'], DEFAULTS, () => 0)).toThrow(/bump, strobe or reset/);
    expect(() => parseClockValue({ kind: 'strobe', periodMs: 0 }, ['n1'], DEFAULTS, () => 0)).toThrow(/periodMs/);
    expect(() => parseClockValue(['n7'], ['n1'], DEFAULTS, () => 0)).toThrow(/n7/);
  });
});

describe('date over SSH', () => {
  it('shifts relative to the host\'s own time', () => {
    expect(dateShiftArgv(1500)).toEqual(['date', '-s', '+1.500 seconds']);
    expect(dateShiftArgv(-250)).toEqual(['date', '-s', '-0.250 seconds']);
    expect(() => dateShiftArgv(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });

  it('refuses this machine: local, a namespace, or an SSH host with this kernel\'s boot id', async () => {
    expect(await refuseLocalClock(local, 'b1')).toMatch(/local runs on this machine/);
    expect(await refuseLocalClock(netns('fl-x-n1'), 'b1')).toMatch(/netns fl-x-n1 runs on this machine/);
    expect(await refuseLocalClock(new FakeSsh('ssh root@localhost', 'b1'), 'b1')).toMatch(/is this machine/);
    expect(await refuseLocalClock(new FakeSsh('ssh root@db1', 'b2'), 'b1')).toBeUndefined();
  });

  it('runs date -s with the difference from the offset it set before, and undoes the sum on reset', async () => {
    const db1 = new FakeSsh('ssh root@db1', 'other');
    const db2 = new FakeSsh('ssh root@db2', 'other');
    const fault = clockFaultWith(sshClock({ n1: db1, n2: db2 }, { bootId: 'mine' }));
    expect(await fault.available()).toBe(true);
    await fault.start({ kind: 'bump', offsetMs: 2000, nodes: ['n1'] });
    await fault.start({ kind: 'bump', offsetMs: -500, nodes: ['n1'] });
    await fault.stop();
    expect(db1.calls.filter((c) => c[0] === 'date')).toEqual([dateShiftArgv(2000), dateShiftArgv(-500), dateShiftArgv(-1500)]);
    expect(db2.calls.filter((c) => c[0] === 'date')).toEqual([]);
  });

  it('never runs date when a host is this machine', async () => {
    const same = new FakeSsh('ssh root@127.0.0.1', 'mine');
    const fault = clockFaultWith(sshClock({ n1: same }, { bootId: 'mine' }));
    expect(await fault.available()).toMatch(/n1: ssh root@127.0.0.1 is this machine/);
    await expect(fault.start(['n1'])).rejects.toThrow(/unavailable/);
    expect(same.calls.filter((c) => c[0] === 'date')).toEqual([]);
  });
});

describe('clockFault', () => {
  it('bumps through the driver, accumulates, resets, and stop resets every node it touched', async () => {
    const d = recordingDriver(['n1', 'n2', 'n3']);
    const fault = clockFaultWith(d);
    expect(await fault.start({ kind: 'bump', offsetMs: 100, nodes: ['n1', 'n2'] })).toEqual({ mechanism: 'test', kind: 'bump', offsetMs: 100, nodes: ['n1', 'n2'], offsets: { n1: 100, n2: 100 } });
    expect(await fault.start({ kind: 'bump', offsetMs: 50, nodes: ['n1'] })).toMatchObject({ offsets: { n1: 150 } });
    expect(await fault.start({ kind: 'reset', nodes: ['n2'] })).toMatchObject({ offsets: { n2: 0 } });
    expect(fault.active()).toBe(true);
    expect(await fault.stop()).toEqual({ mechanism: 'test', nodes: ['n1', 'n2'] });
    expect(fault.active()).toBe(false);
    expect(d.log).toEqual([
      ['n1', 100],
      ['n2', 100],
      ['n1', 150],
      ['n2', 0],
      ['n1', 0],
      ['n2', 0],
    ]);
  });

  it('strobes between two offsets and stop cancels the strobe', async () => {
    const d = recordingDriver(['n1']);
    const fault = clockFaultWith(d);
    await fault.start({ kind: 'strobe', offsetMs: 300, periodMs: 10, durationMs: 60_000, nodes: ['n1'] });
    await new Promise((r) => setTimeout(r, 80));
    await fault.stop();
    const seen = d.log.map(([, ms]) => ms);
    expect(seen[0]).toBe(300);
    expect(seen.slice(0, -1)).toContain(0);
    expect(seen.at(-1)).toBe(0);
    // Alternating: no two neighbours equal.
    for (let i = 1; i < seen.length - 1; i++) expect(seen[i]).not.toBe(seen[i - 1]);
    const n = d.log.length;
    await new Promise((r) => setTimeout(r, 40));
    expect(d.log.length).toBe(n);
  });

  it('uses a target\'s own clock, and explains why a target without one has no clock fault', async () => {
    const calls: [string, number][] = [];
    const base = { nodes: ['n1'] } as unknown as Target;
    const withClock = Object.assign(Object.create(null) as object, base, { setClockOffset: async (n: string, ms: number) => void calls.push([n, ms]) }) as Target;
    const f = clockFault(withClock, { seed: 7 });
    expect(await f.start(['n1'])).toMatchObject({ mechanism: 'target-clock-offset', kind: 'bump', nodes: ['n1'] });
    await f.stop();
    expect(calls.map(([, ms]) => Math.abs(ms))).toEqual([5000, 0]);
    const none = clockFault(base);
    expect(await none.available()).toMatch(/never changes.*SSH/);
    await expect(none.start(['n1'])).rejects.toThrow(/unavailable/);
  });
});
