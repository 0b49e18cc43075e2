// The library API as users see it: checkLinearizable with their own model, the vitest matcher,
// bounds that give "unknown", and worker threads agreeing with one thread.
import { describe, expect, it } from 'vitest';
import { checkLinearizable, INCONSISTENT, linearizableMatchers, type Model } from '../checker/linearizable/index.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { readHistoryFile } from '../histories/read.js';
import { generateKeyedRegisterHistory } from '../bench/generate.js';
import { corpusDir } from './helpers/corpus.js';

expect.extend(linearizableMatchers);

const op = (index: number, type: string, process: number, f: string, value: unknown): Op => ({ index, type, process, f, value }) as Op;
const good = [op(0, 'invoke', 0, 'write', 1), op(1, 'ok', 0, 'write', 1), op(2, 'invoke', 1, 'read', null), op(3, 'ok', 1, 'read', 1)];
const bad = [op(0, 'invoke', 0, 'write', 1), op(1, 'ok', 0, 'write', 1), op(2, 'invoke', 1, 'read', null), op(3, 'ok', 1, 'read', 2)];

describe('the vitest matcher', () => {
  it('passes a linearizable history and fails an unlinearizable one with the explanation', async () => {
    await expect(good).toBeLinearizable('register');
    await expect(new History(bad)).not.toBeLinearizable('register');
    await expect(expect(bad).toBeLinearizable('register')).rejects.toThrow(/process 1's read returning 2 \(index 3\) cannot be linearized/);
  });
});

describe('checkLinearizable', () => {
  it('takes a user-defined model', async () => {
    // a register that only ever grows
    const grows: Model<number> = {
      name: 'growing',
      init: () => 0,
      key: (s) => s,
      step: (s, o, done) => (o.f === 'write' ? ((o.value as number) >= s ? (o.value as number) : INCONSISTENT) : !done || done.value === s ? s : INCONSISTENT),
    };
    expect((await checkLinearizable(new History(good), grows as Model<unknown>)).valid).toBe(true);
    const shrink = [op(0, 'invoke', 0, 'write', 2), op(1, 'ok', 0, 'write', 2), op(2, 'invoke', 0, 'write', 1), op(3, 'ok', 0, 'write', 1)];
    expect((await checkLinearizable(new History(shrink), grows as Model<unknown>)).valid).toBe(false);
  });

  it('gives unknown, never a hang, when the deadline passes or the cache fills', async () => {
    const { history } = await readHistoryFile(`${corpusDir}/porcupine/test_data/jepsen/etcd_002.log`);
    const late = await checkLinearizable(history, 'cas-register', { deadline: Date.now() - 1, noCache: true });
    expect(late.valid).toBe('unknown');
    expect(late.explanation).toMatch(/time limit/);
    const small = await checkLinearizable(history, 'cas-register', { maxCacheBytes: 1 });
    expect(small.valid).toBe('unknown');
    expect(small.explanation).toMatch(/cache memory limit/);
  });

  it('gives the same verdicts on worker threads as on one thread', async () => {
    for (const f of ['c50-ok', 'c50-bad']) {
      const { history } = await readHistoryFile(`${corpusDir}/porcupine/test_data/kv/${f}.txt`);
      const one = await checkLinearizable(history, 'kv', { workers: 0, evidence: false });
      const many = await checkLinearizable(history, 'kv', { workers: 2, evidence: false });
      expect(one.threads).toBeUndefined();
      expect(many.threads).toBe(2); // the parts really went to worker threads
      expect(many.valid).toBe(one.valid);
      expect(one.valid).toBe(f === 'c50-ok');
      if (f === 'c50-bad') {
        // the evidence for a part found invalid on a worker is still complete
        const explained = await checkLinearizable(history, 'kv', { workers: 2 });
        expect(explained.explanation).toMatch(/cannot be linearized|failed \(index/);
      }
    }
  });

  it('stops at the first invalid part, or with allParts decides every part and lists the invalid ones', async () => {
    // keys a and c cannot be linearized (a read of a value never written), b can; a has most ops,
    // so c, the smaller, is searched (and found) first
    const ops: Op[] = [];
    const add = (key: string, process: number, f: string, value: unknown, result: unknown) => {
      ops.push({ index: ops.length, type: 'invoke', process, f, value, key } as Op);
      ops.push({ index: ops.length, type: 'ok', process, f, value: result, key } as Op);
    };
    add('a', 0, 'write', 1, 1);
    add('a', 0, 'write', 4, 4);
    add('a', 1, 'read', null, 2);
    add('b', 2, 'write', 1, 1);
    add('b', 3, 'read', null, 1);
    add('c', 4, 'read', null, 3);
    for (const workers of [0, 2]) {
      const first = await checkLinearizable(new History(ops), 'cas-register', { init: null, workers });
      expect(first.valid).toBe(false);
      // on one thread the smallest invalid part; on threads whichever is found first
      expect(workers ? ['a', 'c'] : ['c']).toContain((first.failure as { key: unknown }).key);
      expect(first.invalidParts).toBeUndefined();
      const all = await checkLinearizable(new History(ops), 'cas-register', { init: null, workers, allParts: true });
      expect(all.valid).toBe(false);
      expect([...(all.invalidParts as unknown[])].sort()).toEqual(['a', 'c']);
      expect((all.failure as { key: unknown }).key).toBe(workers ? (all.invalidParts as unknown[])[0] : 'c');
    }
  });

  it('finds a planted anomaly in a generated 100k-op keyed history', async () => {
    const h = generateKeyedRegisterHistory({ ops: 20_000, keys: 200, processes: 20, crashRate: 0.02, seed: 3 });
    expect((await checkLinearizable(h, 'cas-register', { init: null })).valid).toBe(true);
    const ops = h.ops.map((o) => ({ ...o }));
    const i = ops.findIndex((o, k) => k > 10_000 && o.type === 'ok' && o.f === 'read' && o.value !== null);
    ops[i].value = 99;
    const r = await checkLinearizable(new History(ops), 'cas-register', { init: null });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([h.ops[h.pair[i]].index, ops[i].index]);
    expect((r.failure as { key: unknown }).key).toBe(ops[i].key);
  });

  it('checks a keyed history whole (unpartitioned) with the same verdicts', async () => {
    for (const f of ['c01-ok', 'c01-bad', 'c10-ok']) {
      const { history } = await readHistoryFile(`${corpusDir}/porcupine/test_data/kv/${f}.txt`);
      expect((await checkLinearizable(history, 'kv', { partition: false })).valid).toBe(f.endsWith('ok'));
    }
  });
});
