// The partition fault without a kernel: the iptables-restore text it builds, and what it asks a
// host's control to run on start, replace and heal (a recording fake control).
import { describe, expect, it } from 'vitest';
import type { Control, ExecOptions } from '../control/types.js';
import { partitionFault, partitionRules, PARTITION_CHAIN } from '../nemesis/partition.js';
import { faultSchedule, startValue } from '../nemesis/schedule.js';
import { isolateOne } from '../nemesis/grudge.js';
import { Random } from '../base/random.js';
import { nemesis, simulate } from '../workloads/generator/index.js';

function fakeHosts(n: number) {
  const calls: { node: string; argv: readonly string[]; input?: string }[] = [];
  const hosts = Array.from({ length: n }, (_, i) => {
    const node = `n${i + 1}`;
    const control: Control = {
      where: `fake ${node}`,
      async exec(argv: readonly string[], o?: ExecOptions) {
        calls.push({ node, argv, input: o?.input });
        return { stdout: '', stderr: '', exitCode: 0 };
      },
      wrap: (argv) => [...argv],
    };
    return { node, ip: `198.18.5.${i + 1}`, control };
  });
  return { hosts, calls };
}

describe('partition rules', () => {
  it('hooks the chain into INPUT once, empties it, and drops packets from each address, tagged', () => {
    expect(partitionRules('ab12c', ['198.18.5.2', '198.18.5.3'], true)).toBe(
      [
        '*filter',
        `:${PARTITION_CHAIN} - [0:0]`,
        `-A INPUT -m comment --comment faultline:ab12c -j ${PARTITION_CHAIN}`,
        `-F ${PARTITION_CHAIN}`,
        `-A ${PARTITION_CHAIN} -s 198.18.5.2/32 -m comment --comment faultline:ab12c -j DROP`,
        `-A ${PARTITION_CHAIN} -s 198.18.5.3/32 -m comment --comment faultline:ab12c -j DROP`,
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(partitionRules('ab12c', [], false)).toBe(`*filter\n:${PARTITION_CHAIN} - [0:0]\n-F ${PARTITION_CHAIN}\nCOMMIT\n`);
  });

  it('refuses anything but an address or a plain run id in the text', () => {
    expect(() => partitionRules('ab12c', ['198.18.5.2\n-F INPUT'], false)).toThrow(/not an IPv4 address/);
    expect(() => partitionRules('AB 1', [], false)).toThrow(/bad run id/);
    expect(() => partitionRules('ab', ['300.1.1.1'], false)).toThrow(/not an IPv4/);
  });
});

describe('partition fault (fake control)', () => {
  it('applies a grudge on the nodes that drop something, replaces it, and heals only what holds rules', async () => {
    const { hosts, calls } = fakeHosts(3);
    const fault = partitionFault({ runId: 'ab12c', hosts });
    expect(fault.active()).toBe(false);
    const applied = await fault.start(isolateOne(['n1', 'n2', 'n3'], 'n1'));
    expect(applied).toEqual({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    expect(fault.active()).toBe(true);
    expect(calls.map((c) => c.node).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const c of calls) expect(c.argv).toEqual(['iptables-restore', '-w', '--noflush']);
    expect(calls.find((c) => c.node === 'n2')!.input).toMatch(/-A FAULTLINE-PARTITION -s 198\.18\.5\.1\/32 /);
    expect(calls.find((c) => c.node === 'n1')!.input).toMatch(/-j FAULTLINE-PARTITION\n/);

    calls.length = 0;
    expect(await fault.start({ n2: ['n3'] })).toEqual({ n2: ['n3'] });
    // n1 and n3 are emptied, n2 refilled; none is hooked twice.
    expect(calls.map((c) => c.node).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const c of calls) expect(c.input).not.toMatch(/-A INPUT/);
    expect(calls.find((c) => c.node === 'n1')!.input).not.toMatch(/DROP/);

    calls.length = 0;
    expect(await fault.stop()).toEqual({ n2: ['n3'] });
    expect(calls.map((c) => c.node)).toEqual(['n2']);
    expect(fault.active()).toBe(false);
    calls.length = 0;
    expect(await fault.stop()).toEqual({});
    expect(calls).toEqual([]);
  });

  it('resolves shape names: primaries from the target, others with its random stream', async () => {
    const { hosts } = fakeHosts(3);
    const fault = partitionFault({ runId: 'x1', hosts, primaries: async () => ['n2'], random: new Random(4) });
    expect(await fault.start('primaries')).toEqual({ n1: ['n2'], n2: ['n1', 'n3'], n3: ['n2'] });
    expect(Object.keys((await fault.start('halves')) as object)).toEqual(['n1', 'n2', 'n3']);
    await expect(fault.start('nope')).rejects.toThrow(/neither a grudge nor a shape/);
    await expect(fault.start({ n1: ['n7'] })).rejects.toThrow(/"n7", which is not a node/);
    const bare = partitionFault({ runId: 'x1', hosts });
    await expect(bare.start('primaries')).rejects.toThrow(/reports its primaries/);
    // A target that names no primary just now: an error, not an empty partition recorded as done.
    const none = partitionFault({ runId: 'x1', hosts, primaries: async () => [] });
    await expect(none.start('primaries')).rejects.toThrow('partition: no node reported being a primary just now, so the primaries shape had nothing to isolate');
    expect(none.active()).toBe(false);
  });

  it('a failed apply still counts as active, so the heal flushes it', async () => {
    const { hosts } = fakeHosts(2);
    hosts[1].control.exec = async () => {
      throw new Error('boom');
    };
    const fault = partitionFault({ runId: 'x1', hosts });
    await expect(fault.start({ n1: ['n2'], n2: ['n1'] })).rejects.toThrow(/boom/);
    expect(fault.active()).toBe(true);
  });
});

describe('the schedule', () => {
  it('gives a partition a grudge (or "primaries") from the seeded stream, other faults a node', () => {
    const nodes = ['n1', 'n2', 'n3'];
    const v = startValue('partition', new Random(9), nodes, { partitions: ['isolate-one'] });
    expect(Object.keys(v as object).length).toBe(3);
    expect(startValue('partition', new Random(9), nodes, { partitions: ['isolate-one'] })).toEqual(v);
    expect(startValue('partition', new Random(9), nodes, { partitions: ['primaries'] })).toBe('primaries');
    expect(nodes).toContain((startValue('pause', new Random(9), nodes) as string[])[0]);
  });

  it('overlaps several fault kinds: each held one interval, started interval/k apart', () => {
    const gen = faultSchedule(['partition', 'pause'], 1e9, ['n1', 'n2', 'n3'], { partitions: ['halves'] });
    const h = simulate(nemesis(gen), { concurrency: 1, maxOps: 8, seed: 1 });
    const ops = h.filter((o) => o.process === 'nemesis' && o.type === 'info');
    const starts = ops.filter((o) => o.f.startsWith('start-'));
    const stops = ops.filter((o) => o.f.startsWith('stop-'));
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(stops.length).toBeGreaterThanOrEqual(2);
    const at = (o: { time?: number }) => o.time ?? NaN;
    // Both started before the first stop: they overlap.
    expect(at(starts[1])).toBeLessThan(at(stops[0]));
    expect(starts[0].f.slice(6)).toBe(stops[0].f.slice(5));
    const part = starts.find((o) => o.f === 'start-partition')!;
    expect(part.value).toEqual({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
  });
});
