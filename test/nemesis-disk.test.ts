// Disk faults on temp files: the seeded plan, truncation and bit flips exactly where the plan says,
// and the fault's kill → damage → start order over a fake target.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyDamage, diskFault, listFiles, planDamage, type Damage } from '../nemesis/disk.js';
import type { Target } from '../targets/types.js';
import { Random } from '../base/random.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fl-disk-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(rel: string, content: string | Buffer): string {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

describe('planning', () => {
  it('lists non-empty regular files under the paths, sorted', () => {
    const b = file('d/member/wal/0001.wal', 'wal');
    const a = file('d/member/snap/db', 'snap');
    file('d/empty', '');
    expect(listFiles([join(dir, 'd'), join(dir, 'missing')])).toEqual([
      { path: a, size: 4 },
      { path: b, size: 3 },
    ]);
  });

  it('gives the same plan for the same seed and keeps offsets inside the file', () => {
    const files = [
      { path: '/x/a', size: 1000 },
      { path: '/x/b', size: 7 },
    ];
    const p1 = planDamage(files, new Random(42), { filesPerNode: 2, flips: 5 });
    const p2 = planDamage(files, new Random(42), { filesPerNode: 2, flips: 5 });
    expect(p1).toEqual(p2);
    expect(p1.map((d) => d.path).sort()).toEqual(['/x/a', '/x/b']);
    for (const d of p1) {
      if (d.kind === 'truncate') expect(d.to).toBeLessThan(d.size);
      else for (const b of d.bits) expect([b.offset < d.size, b.bit >= 0 && b.bit < 8]).toEqual([true, true]);
    }
    expect(planDamage([], new Random(1))).toEqual([]);
    expect(planDamage(files, new Random(1), { damage: 'truncate' })[0].kind).toBe('truncate');
  });
});

describe('damage', () => {
  it('truncates to the planned length', () => {
    const p = file('state.jsonl', 'x'.repeat(100));
    applyDamage({ path: p, kind: 'truncate', size: 100, to: 37 });
    expect(statSync(p).size).toBe(37);
  });

  it('flips exactly the planned bits, and flipping again restores the file', () => {
    const original = Buffer.from('{"reset":true,"w":[["register:\\"x\\"",1]],"i":3}\n');
    const p = file('state.jsonl', original);
    const d: Damage = { path: p, kind: 'flip', size: original.length, bits: [{ offset: 2, bit: 0 }, { offset: 10, bit: 7 }] };
    applyDamage(d);
    const damaged = readFileSync(p);
    expect(damaged.length).toBe(original.length);
    const diff = [...damaged].flatMap((b, i) => (b !== original[i] ? [[i, b ^ original[i]]] : []));
    expect(diff).toEqual([
      [2, 1],
      [10, 128],
    ]);
    applyDamage(d);
    expect(readFileSync(p).equals(original)).toBe(true);
  });
});

describe('diskFault', () => {
  function fakeTarget(fail = false) {
    const log: string[] = [];
    const t = {
      nodes: ['n1', 'n2'],
      kill: async (n: string) => void log.push(`kill ${n} ${readFileSync(join(dir, n, 'state.jsonl'), 'utf8').length}`),
      start: async (n: string) => {
        log.push(`start ${n} ${readFileSync(join(dir, n, 'state.jsonl'), 'utf8').length}`);
        if (fail) throw new Error(`node ${n} exited (code 1) before it came up; the end of its log:\nboom`);
      },
      dataDir: (n: string) => join(dir, n),
    };
    return { target: t as unknown as Target, log };
  }

  it('kills, damages while down, starts again, and says what it damaged', async () => {
    file('n1/state.jsonl', 'y'.repeat(64));
    const { target, log } = fakeTarget();
    const fault = diskFault(target, { damage: 'truncate', seed: 5 });
    expect(await fault.available()).toBe(true);
    const out = (await fault.start(['n1'])) as { nodes: { node: string; damaged: Damage[]; restarted: true | string }[] };
    const d = out.nodes[0].damaged[0] as Extract<Damage, { kind: 'truncate' }>;
    expect(out.nodes[0]).toMatchObject({ node: 'n1', restarted: true, damaged: [{ path: join(dir, 'n1', 'state.jsonl'), kind: 'truncate', size: 64 }] });
    expect(log).toEqual(['kill n1 64', `start n1 ${d.to}`]);
    expect(fault.active()).toBe(false);
    expect(await fault.stop()).toEqual({ restarted: [] });
  });

  it('reports a node that does not come back, and tries again on stop', async () => {
    file('n2/state.jsonl', 'z'.repeat(10));
    const { target, log } = fakeTarget(true);
    const fault = diskFault(target, { damage: 'flip', flips: 3 });
    const out = (await fault.start('n2')) as { nodes: { restarted: true | string }[] };
    expect(out.nodes[0].restarted).toBe('node n2 exited (code 1) before it came up; the end of its log:');
    expect(fault.active()).toBe(true);
    await expect(fault.stop()).rejects.toThrow(/could not restart n2/);
    expect(log.filter((l) => l.startsWith('start'))).toHaveLength(2);
  });

  it('needs data files', async () => {
    const t = { nodes: ['n1'], kill: async () => {}, start: async () => {} } as unknown as Target;
    expect(await diskFault(t).available()).toMatch(/names no data files/);
    await expect(diskFault(t).start(['n1'])).rejects.toThrow(/unavailable/);
    await expect(diskFault(t, { files: () => [] }).start(['n9'])).rejects.toThrow(/n9/);
  });
});
