// One hand-built history per anomaly type: reported with exactly that type (or, where the anomaly
// necessarily brings another with it, exactly that pair — said in each test), and the right models
// ruled out.
import { describe, expect, it } from 'vitest';
import { checkTxn, type TxnCheckOptions } from '../checker/txn/index.js';
import type { Result } from '../checker/types.js';
import { History } from '../histories/history.js';
import { generateListAppend } from '../bench/generate-txn.js';
import { append, concurrent, r, sequential, txn, txnHistory, w, type TxnSpec } from './helpers/txn-history.js';

type Opts = Partial<TxnCheckOptions>;

async function la(h: History, opts: Opts = {}): Promise<Result> {
  return checkTxn(h, { workload: 'list-append', ...opts });
}
async function rw(h: History, opts: Opts = {}): Promise<Result> {
  return checkTxn(h, { workload: 'rw-register', ...opts });
}
const ruledOut = (res: Result): string[] => [...(res.not as string[]), ...(res.alsoNot as string[])];
const failed = (spec: TxnSpec): TxnSpec => ({ ...spec, type: 'fail' });

describe('list-append: one anomaly per history', () => {
  it('G0: writes interleaved across two keys', async () => {
    const res = await la(concurrent(txn(append('x', 1), append('y', 1)), txn(append('x', 2), append('y', 2)), txn(r('x', [1, 2]), r('y', [2, 1]))));
    expect(res.valid).toBe(false);
    expect(res.anomalyTypes).toEqual(['G0']);
    expect(res.not).toEqual(['read-uncommitted']);
    const [g0] = (res.anomalies as Record<string, { steps: { type: string; why: string }[] }[]>).G0;
    expect(g0.steps.map((s) => s.type)).toEqual(['ww', 'ww']);
    expect(g0.steps[0].why).toMatch(/ww→/);
  });

  it('G1a: a read of a failed append', async () => {
    const res = await la(concurrent(failed(txn(append('x', 1))), txn(r('x', [1]))));
    expect(res.anomalyTypes).toEqual(['G1a']);
    expect(ruledOut(res)).toContain('read-committed');
    expect(res.not).not.toContain('read-uncommitted');
  });

  it('G1b: a read of an intermediate state (which also misses the rest of that transaction: G-single)', async () => {
    const res = await la(concurrent(txn(append('x', 1), append('x', 2)), txn(r('x', [1])), txn(r('x', [1, 2]))));
    expect(res.anomalyTypes).toEqual(['G-single', 'G1b']);
    expect(ruledOut(res)).toContain('read-committed');
  });

  it('G1c: two transactions each read the other', async () => {
    const res = await la(concurrent(txn(append('x', 1), r('y', [2])), txn(append('y', 2), r('x', [1]))));
    expect(res.anomalyTypes).toEqual(['G1c']);
    expect(res.not).toEqual(['read-committed']);
    const [c] = (res.anomalies as Record<string, { sentence: string }[]>).G1c;
    expect(c.sentence).toMatch(/T2 read key x = \[1\], which includes T1's append of 1, so T1 wr→ T2|T1 read key y = \[2\], which includes T2's append of 2/);
  });

  it('G-single: read skew', async () => {
    const res = await la(concurrent(txn(append('x', 1), append('y', 1)), txn(r('x', []), r('y', [1]))));
    expect(res.anomalyTypes).toEqual(['G-single']);
    expect(ruledOut(res)).toEqual(expect.arrayContaining(['snapshot-isolation', 'repeatable-read', 'serializable']));
    expect(ruledOut(res)).not.toContain('read-committed');
  });

  it('G-nonadjacent: two rw edges, never in a row', async () => {
    const h = concurrent(
      txn(r('x', []), r('v', [1])),
      txn(append('x', 1), append('z', 1)),
      txn(r('z', [1]), r('w', [])),
      txn(append('w', 1), append('v', 1)),
    );
    const res = await la(h);
    expect(res.anomalyTypes).toEqual(['G-nonadjacent']);
    expect(ruledOut(res)).toContain('snapshot-isolation');
    expect(ruledOut(res)).toContain('repeatable-read');
    expect((await la(h, { models: ['snapshot-isolation'] })).valid).toBe(false);
  });

  it('G2-item: write skew, allowed by snapshot isolation', async () => {
    const h = concurrent(txn(r('x', []), r('y', []), append('x', 1)), txn(r('x', []), r('y', []), append('y', 1)));
    const res = await la(h);
    expect(res.anomalyTypes).toEqual(['G2-item']);
    expect(res.not).toEqual(['repeatable-read']);
    expect(ruledOut(res)).not.toContain('snapshot-isolation');
    const si = await la(h, { models: ['snapshot-isolation'] });
    expect(si.valid).toBe(true);
    expect(si.anomalyTypes).toEqual([]);
  });

  it('internal: a read that contradicts the transaction\'s own earlier micro-ops', async () => {
    const res = await la(concurrent(txn(append('x', 5)), txn(r('x', [5]), append('x', 1), r('x', [5]))));
    expect(res.anomalyTypes).toEqual(['internal']);
    expect(ruledOut(res)).toContain('serializable');
    expect(ruledOut(res)).not.toContain('read-committed');
  });

  it('incompatible-order: two reads that are not prefixes of one list', async () => {
    const res = await la(concurrent(txn(append('x', 1)), txn(append('x', 2)), txn(r('x', [1, 2])), txn(r('x', [2, 1]))));
    expect(res.anomalyTypes).toEqual(['incompatible-order']);
    expect(ruledOut(res)).toContain('read-committed');
  });

  it('duplicate-elements: a value read twice in one list', async () => {
    const res = await la(concurrent(txn(append('x', 1)), txn(r('x', [1, 1]))));
    expect(res.anomalyTypes).toEqual(['duplicate-elements']);
    expect(res.not).toEqual(['read-uncommitted']);
  });

  it('future-read: a read showing what the transaction appends only later', async () => {
    const res = await la(concurrent(txn(r('x', [1]), append('x', 1))));
    expect(res.anomalyTypes).toEqual(['future-read']);
  });

  it('future-read after an own append (issue 15): [append x 1] [r x [0 1]] [append x 0], forbidden by every model', async () => {
    // Elle's op-future-read-case: any read of the key, not only the first access, that already
    // holds an element the transaction appends later. The read is internally consistent (it ends
    // in the transaction's own 1), so future-read is the only anomaly.
    const h = concurrent(txn(append('x', 1), r('x', [0, 1]), append('x', 0)));
    for (const models of [['strict-serializable'], ['read-committed'], ['read-uncommitted']]) {
      const res = await la(h, { models });
      expect(res.valid, models[0]).toBe(false);
      expect(res.anomalyTypes, models[0]).toEqual(['future-read']);
    }
    const res = await la(h);
    expect(res.not).toEqual(['read-uncommitted']);
    const a = (res.anomalies as Record<string, { sentence: string; value: unknown; mop: number }[]>)['future-read'][0];
    expect(a.value).toBe(0);
    expect(a.mop).toBe(1);
    expect(a.sentence).toBe('the transaction at index 1 (process 0) read key x = [0 1] in micro-op 1, which already holds 0, a value it appends only later (micro-op 2)');
  });

  it('future-read is reported once per transaction, alongside internal when both hold (as Elle does)', async () => {
    // T1's [r x [0]] contradicts its earlier append of 1 and holds its later 0; T2's first read
    // holds both of its later appends: one future-read each.
    const res = await la(concurrent(txn(append('x', 1), r('x', [0]), append('x', 0)), txn(r('y', [5, 6]), append('y', 5), append('y', 6))));
    expect(res.anomalyCounts).toEqual({ internal: 1, 'future-read': 2 });
  });

  it('dirty-update: a committed append on top of an aborted one (read, so also G1a)', async () => {
    const res = await la(concurrent(failed(txn(append('x', 1))), txn(append('x', 2)), txn(r('x', [1, 2]))));
    expect(res.anomalyTypes).toEqual(['G1a', 'dirty-update']);
  });

  it('lost-update: two read-modify-writes from the same version (and the stale read is a G-single)', async () => {
    const res = await la(concurrent(txn(r('x', []), append('x', 1)), txn(r('x', []), append('x', 2)), txn(r('x', [1, 2]))));
    expect(res.anomalyTypes).toEqual(['G-single', 'lost-update']);
    expect(ruledOut(res)).toEqual(expect.arrayContaining(['repeatable-read', 'snapshot-isolation', 'cursor-stability']));
  });

  it('garbage-read: a value nobody appended', async () => {
    const res = await la(concurrent(txn(r('x', [9]))));
    expect(res.anomalyTypes).toEqual(['garbage-read']);
    expect(res.not).toEqual(['read-uncommitted']);
  });

  it('G-single-realtime: a stale read after the write completed', async () => {
    const h = sequential(txn(append('x', 1)), txn(r('x', [])));
    const res = await la(h);
    expect(res.anomalyTypes).toEqual(['G-single-realtime']);
    expect(ruledOut(res)).toContain('strict-serializable');
    expect(ruledOut(res)).not.toContain('serializable');
    expect((await la(h, { models: ['serializable'] })).valid).toBe(true);
  });

  it('G-single-process: a process misses its own earlier write', async () => {
    const h = sequential({ p: 1, mops: [append('x', 1)] }, { p: 1, mops: [r('x', [])] });
    const res = await la(h);
    expect(res.anomalyTypes).toEqual(['G-single-process']);
    expect(ruledOut(res)).toContain('strong-session-serializable');
    expect(ruledOut(res)).not.toContain('serializable');
    expect((await la(h, { models: ['strong-session-snapshot-isolation'] })).valid).toBe(false);
  });

  it('G0-realtime: a later write ordered before an earlier one', async () => {
    // T3 reads first and completes last, so it is concurrent with both writers.
    const h = txnHistory([txn(append('x', 2)), txn(append('x', 1)), txn(r('x', [1, 2]))], [3, 1, -1, 2, -2, -3]);
    const res = await la(h);
    expect(res.anomalyTypes).toEqual(['G0-realtime']);
    expect(ruledOut(res)).toContain('strict-serializable');
    expect(ruledOut(res)).not.toContain('read-uncommitted');
  });

  it('the version order does not depend on which read finishes first', async () => {
    // [1 3] contradicts [1 2 3]; the longer read is the order whichever completes first, so no G0.
    const specs = [txn(append('x', 1), append('x', 2)), txn(r('x', [1, 3])), txn(append('x', 3), r('x', [1, 2, 3]))];
    const a = await la(txnHistory(specs, [1, -1, 2, -2, 3, -3]));
    const b = await la(txnHistory(specs, [1, -1, 3, -3, 2, -2]));
    expect(a.anomalyTypes).toEqual(['incompatible-order']);
    expect(b.anomalyTypes).toEqual(['incompatible-order']);
    expect((a.anomalies as Record<string, { values: unknown[] }[]>)['incompatible-order'][0].values).toEqual([[1, 3], [1, 2, 3]]);
  });

  it('a read that fits no order is still examined: a repeated value in the longest read', async () => {
    const specs = [txn(append('x', 1), append('x', 2)), txn(r('x', [1, 2])), txn(r('x', [1, 1, 2]))];
    const res = await la(txnHistory(specs, [1, -1, 2, -2, 3, -3]));
    expect(res.anomalyTypes).toEqual(['duplicate-elements', 'incompatible-order']);
  });

  it('a later read of a key is judged too: an intermediate value read after reading the key once', async () => {
    const res = await la(concurrent(txn(append('k', 1), append('k', 2)), txn(r('k', [1, 2]), r('k', [1]))));
    expect(res.anomalyTypes).toEqual(['G1b', 'internal']);
  });

  // The process and real-time variants: a cycle that needs a process-order or real-time edge.
  // Layouts are steps: i+1 invokes transaction i, -(i+1) completes it.
  const variants: { name: string; txns: TxnSpec[]; layout: number[] }[] = [
    // T1 appends 2, then (same process) T2 appends 1; a concurrent read puts 1 before 2.
    { name: 'G0-process', txns: [{ p: 1, mops: [append('x', 2)] }, { p: 1, mops: [append('x', 1)] }, { p: 2, mops: [r('x', [1, 2])] }], layout: [3, 1, -1, 2, -2, -3] },
    // T2 read what T1 appended, yet T1 began after T2 ended.
    { name: 'G1c-realtime', txns: [txn(append('x', 1)), txn(r('x', [1]))], layout: [2, -2, 1, -1] },
    { name: 'G1c-process', txns: [{ p: 1, mops: [append('x', 1)] }, { p: 1, mops: [r('x', [1])] }], layout: [2, -2, 1, -1] },
    // T1 rw→ T2 rw→ T3, and T3 ended before T1 began.
    { name: 'G2-item-realtime', txns: [txn(r('x', [])), txn(append('x', 1), r('y', [])), txn(append('y', 1))], layout: [2, 3, -3, 1, -1, -2] },
    { name: 'G2-item-process', txns: [{ p: 1, mops: [r('x', [])] }, { p: 2, mops: [append('x', 1), r('y', [])] }, { p: 1, mops: [append('y', 1)] }], layout: [2, 3, -3, 1, -1, -2] },
    // T1 rw→ T2, T2 ended before T3 began, T3 rw→ T4 wr→ T1.
    { name: 'G-nonadjacent-realtime', txns: [txn(r('x', []), r('v', [1])), txn(append('x', 1)), txn(r('y', [])), txn(append('y', 1), append('v', 1))], layout: [1, 4, 2, -2, 3, -3, -1, -4] },
    { name: 'G-nonadjacent-process', txns: [{ p: 1, mops: [r('x', []), r('v', [1])] }, { p: 2, mops: [append('x', 1)] }, { p: 2, mops: [r('y', [])] }, { p: 4, mops: [append('y', 1), append('v', 1)] }], layout: [1, 4, 2, -2, 3, -3, -1, -4] },
  ];
  for (const v of variants) {
    it(`${v.name}: needs a ${v.name.endsWith('process') ? 'process-order' : 'real-time'} edge`, async () => {
      const h = txnHistory(v.txns, v.layout);
      const res = await la(h);
      expect(res.anomalyTypes).toEqual([v.name]);
      expect(ruledOut(res)).toContain('strict-serializable');
      expect((await la(h, { models: ['serializable'] })).valid).toBe(true);
    });
  }

  it('a serial history has no anomaly', async () => {
    const res = await la(sequential(txn(append('x', 1), r('y', [])), txn(r('x', [1]), append('y', 2)), txn(r('x', [1]), r('y', [2]))));
    expect(res.valid).toBe(true);
    expect(res.anomalyTypes).toEqual([]);
    expect(res.not).toEqual([]);
  });
});

describe('rw-register: one anomaly per history', () => {
  it('G1a', async () => {
    expect((await rw(concurrent(failed(txn(w('x', 1))), txn(r('x', 1))))).anomalyTypes).toEqual(['G1a']);
  });

  it('G1b (and the G-single it makes)', async () => {
    expect((await rw(concurrent(txn(w('x', 1), w('x', 2)), txn(r('x', 1))))).anomalyTypes).toEqual(['G-single', 'G1b']);
  });

  it('G1c', async () => {
    expect((await rw(concurrent(txn(w('x', 1), r('y', 2)), txn(w('y', 2), r('x', 1))))).anomalyTypes).toEqual(['G1c']);
  });

  it('G-single: read skew', async () => {
    // T2 read x's initial nil but saw T1's y.
    expect((await rw(concurrent(txn(w('x', 1), w('y', 1)), txn(r('x', null), r('y', 1))))).anomalyTypes).toEqual(['G-single']);
  });

  it('G2-item with lost-update: both read nil and both wrote', async () => {
    const res = await rw(concurrent(txn(r('x', null), w('x', 1)), txn(r('x', null), w('x', 2))));
    expect(res.anomalyTypes).toEqual(['G2-item', 'lost-update']);
  });

  it('internal', async () => {
    expect((await rw(concurrent(txn(w('x', 1), r('x', 2)), txn(w('x', 2))))).anomalyTypes).toEqual(['internal']);
  });

  it('future-read', async () => {
    expect((await rw(concurrent(txn(r('x', 1), w('x', 1))))).anomalyTypes).toEqual(['future-read']);
  });

  it('future-read in a later read too (with internal: it contradicts the earlier write), forbidden by every model', async () => {
    const h = concurrent(txn(w('x', 1), r('x', 2), w('x', 2)));
    const res = await rw(h, { models: ['read-uncommitted'] });
    expect(res.valid).toBe(false);
    expect(res.anomalyTypes).toEqual(['future-read']);
    expect((await rw(h)).anomalyTypes).toEqual(['future-read', 'internal']);
  });

  it('garbage-read', async () => {
    const res = await rw(concurrent(txn(w('x', 2)), txn(r('x', 3))));
    expect(res.anomalyTypes).toEqual(['garbage-read']);
  });

  // Issue 15: a value nobody wrote is reported (garbage-read), and kept out only of what needs its
  // writer (wr edges, G1a/G1b); it stays a version of its key, so the cycles and lost updates the
  // rest of the history shows are still found. Each history below is one where Elle (which has no
  // garbage-read) reports the anomaly named, derived from elle.rw-register as cited.
  describe('garbage values poison only what needs their writer', () => {
    it('lost-update among readers of the same unwritten value (Elle: ct/lost-update-cases groups by the value read)', async () => {
      // T1 and T2 both read x = 5, which nobody wrote, and both wrote x. Beside them, T3 and T4
      // lose an update on y, a value T0 wrote.
      const h = concurrent(txn(r('x', 5), w('x', 1)), txn(r('x', 5), w('x', 2)), txn(w('y', 0)), txn(r('y', 0), w('y', 3)), txn(r('y', 0), w('y', 4)));
      const res = await rw(h);
      expect(res.anomalyCounts).toMatchObject({ 'garbage-read': 2, 'lost-update': 2 });
      const lost = (res.anomalies as Record<string, { key: unknown }[]>)['lost-update'].map((a) => a.key).sort();
      expect(lost).toEqual(['x', 'y']);
    });

    it('cyclic-versions through an unwritten value under --linearizable-keys (Elle: transaction-graph->version-graphs over the real-time graph)', async () => {
      // In real time: T1 writes x = 1, then T2 reads x = 5 (nobody wrote it), then T3 reads nil.
      // The versions must go nil → 1 → 5 → nil: no order exists.
      const h = sequential(txn(w('x', 1)), txn(r('x', 5)), txn(r('x', null)));
      const res = await rw(h, { linearizableKeys: true });
      expect(res.anomalyTypes).toEqual(['cyclic-versions', 'garbage-read']);
      const a = (res.anomalies as Record<string, { values: unknown[]; sentence: string }[]>)['cyclic-versions'][0];
      expect([...a.values].sort()).toEqual([1, 5, null].sort());
    });

    it('G-single whose rw edge leaves a reader of an unwritten value under --sequential-keys (Elle: the process graph orders 5 before 1)', async () => {
      // T1 (p0) writes x = 1 and y = 1. T2 (p1) reads x = 5 and y = 1. Process 2 reads x = 5 (T3)
      // and then x = 1 (T4), so 5 comes before 1: T2 read x before T1's write, yet saw T1's y.
      const h = txnHistory(
        [{ p: 0, mops: [w('x', 1), w('y', 1)] }, { p: 1, mops: [r('x', 5), r('y', 1)] }, { p: 2, mops: [r('x', 5)] }, { p: 2, mops: [r('x', 1)] }],
        [1, 2, 3, -3, 4, -1, -2, -4],
      );
      const res = await rw(h, { sequentialKeys: true });
      expect(res.anomalyTypes).toContain('G-single');
      expect(res.anomalyTypes).toContain('garbage-read');
      const g = (res.anomalies as Record<string, { sentence: string }[]>)['G-single'][0];
      expect(g.sentence).toMatch(/^T1 read key x = 5 \(a value no transaction wrote\), which T2 overwrote with 1 \(one process saw 5 before 1 \(--sequential-keys\)\), so T1 rw→ T2; T1 read key y = 1, which T2 wrote, so T2 wr→ T1/);
      // Without the assertion about process order nothing orders 5 and 1.
      expect((await rw(h)).anomalyTypes).toEqual(['garbage-read']);
    });

    it('an unwritten value between two writes in a version chain still orders them (ww and rw through it; this passed before, when such values were left out of the order, and must keep passing)', async () => {
      // Process 0: writes x = 1 (T1), reads x = 5 (T2, nobody wrote it), writes x = 2 (T3): under
      // --sequential-keys 1 → 5 → 2, so T1 ww→ T3, and T4, which read 1, rw→ T3. T4 also read
      // y = 3, which T3 wrote: a G-single.
      const h = txnHistory(
        [{ p: 0, mops: [w('x', 1)] }, { p: 0, mops: [r('x', 5)] }, { p: 0, mops: [w('x', 2), w('y', 3)] }, { p: 1, mops: [r('x', 1), r('y', 3)] }],
        [1, -1, 2, -2, 3, 4, -3, -4],
      );
      const res = await rw(h, { sequentialKeys: true });
      expect(res.anomalyTypes).toContain('G-single');
      expect((res.edges as Record<string, number>).ww).toBeGreaterThan(0);
    });
  });

  it('cyclic-versions under --sequential-keys: two processes see two versions in opposite orders', async () => {
    // Within one transaction, reading 1 then 2 is also internal; use separate transactions per process.
    const split = txnHistory(
      [{ p: 1, mops: [r('x', 1)] }, { p: 1, mops: [r('x', 2)] }, { p: 2, mops: [r('x', 2)] }, { p: 2, mops: [r('x', 1)] }, txn(w('x', 1)), txn(w('x', 2))],
      [5, 6, 1, 3, -1, -3, 2, 4, -2, -4, -5, -6],
    );
    const res = await rw(split, { sequentialKeys: true });
    expect(res.anomalyTypes).toEqual(['cyclic-versions']);
    expect((await rw(split)).anomalyTypes).toEqual([]);
  });

  it('--linearizable-keys orders versions by real time: a stale read contradicts it', async () => {
    // 1 is written, then 2, then a read returns 1: real time puts 1 before 2 and 2 before 1.
    const h = sequential(txn(w('x', 1)), txn(w('x', 2)), txn(r('x', 1)));
    expect((await rw(h)).valid).toBe(true);
    const res = await rw(h, { linearizableKeys: true });
    expect(res.valid).toBe(false);
    expect(res.anomalyTypes).toEqual(['cyclic-versions']);
  });

  it('--linearizable-keys gives ww edges the real-time order implies', async () => {
    // 1 then 2 in real time; a concurrent reader saw 2 on x but nil on y, which T1 wrote with x = 1 … and T2 read y = 1.
    const h = txnHistory([txn(w('x', 1), w('y', 1)), txn(w('x', 2), r('y', 1)), txn(r('x', 2), r('y', null))], [1, -1, 3, 2, -2, -3]);
    const plain = await rw(h, { models: ['serializable'] });
    const lin = await rw(h, { models: ['serializable'], linearizableKeys: true });
    expect(plain.valid).toBe(false);
    expect(lin.valid).toBe(false);
    expect((lin.edges as Record<string, number>).ww).toBeGreaterThan((plain.edges as Record<string, number>).ww);
  });
});

describe('bounds and options', () => {
  it('real-time edges stay linear: a cover of the order, not every pair', async () => {
    // 2,000 transactions one after another: all ~2M pairs are ordered, the chain of 1,999 edges says it.
    const serial = sequential(...Array.from({ length: 2000 }, (_, i) => txn(append('x', i))));
    expect((await la(serial)).edges).toMatchObject({ realtime: 1999 });
    // 10 concurrent processes: at most about one edge per process per transaction.
    const h = new History([...generateListAppend({ txns: 5000, processes: 10, seed: 7 })]);
    const res = await la(h);
    expect(res.valid).toBe(true);
    expect((res.edges as { realtime: number }).realtime).toBeLessThan(10 * 5000);
  });

  it('a deadline already past gives unknown, naming the component that holds a cycle', async () => {
    const h = concurrent(txn(r('x', []), r('y', []), append('x', 1)), txn(r('x', []), r('y', []), append('y', 1)));
    const res = await la(h, { deadline: Date.now() - 1 });
    expect(res.valid).toBe('unknown');
    const cs = res.cycleSearch as { timedOut: boolean; components: { size: number; txns: number[] }[] };
    expect(cs.timedOut).toBe(true);
    expect(cs.components).toEqual([{ size: 2, txns: [2, 3] }]);
  });

  it('a non-cycle anomaly still makes the verdict invalid when the search times out', async () => {
    const h = concurrent(txn(r('x', []), r('y', []), append('x', 1)), txn(r('x', []), r('y', []), append('y', 1)), txn(r('z', [7])));
    expect((await la(h, { deadline: Date.now() - 1 })).valid).toBe(false);
  });

  it('anomalies the checked models allow are listed apart and do not invalidate', async () => {
    const h = concurrent(txn(append('x', 1), append('y', 1)), txn(r('x', []), r('y', [1])), txn(r('z', [1, 1])), txn(append('z', 1)));
    const res = await la(h, { models: ['read-committed'] });
    // duplicate-elements is proscribed by read-uncommitted; G-single is allowed by read committed and not searched.
    expect(res.anomalyTypes).toEqual(['duplicate-elements']);
  });

  it('unknown model names are refused with the list of known ones', async () => {
    await expect(la(concurrent(txn(append('x', 1))), { models: ['serialisable'] })).rejects.toThrow(/unknown consistency model "serialisable"; known models: .*serializable/);
  });

  it('a malformed micro-op is an input error naming line and field', async () => {
    const h = concurrent(txn(['add', 'x', 1] as never));
    await expect(la(h)).rejects.toThrow(/<history>:?\d*:? ?value\[0\]\[0\]: a list-append micro-op is "append" or "r", got "add"/);
  });

  it('a value appended twice to one key is refused: list-append needs unique appends', async () => {
    await expect(la(concurrent(txn(append('x', 1)), txn(append('x', 1))))).rejects.toThrow(/appended to key x again \(first by the transaction at index 2\)/);
  });
});
