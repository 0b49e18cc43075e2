// Session guarantees: one hand-built history per guarantee (valid and invalid, exact op pairs),
// concurrent writes that must not be flagged, bad input, and agreement with a brute-force
// implementation of the same definitions on small random histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GUARANTEES, session, type Guarantee, type GuaranteeResult } from '../checker/session.js';
import type { Result } from '../checker/types.js';
import { HistoryError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { parseHistory } from '../histories/read.js';
import { randomRegisterHistory } from './helpers/session-brute.js';

type Raw = Record<string, unknown>;
const inv = (process: number, f: string, value: unknown = null, extra: Raw = {}): Raw => ({ type: 'invoke', process, f, value, ...extra });
const ok = (process: number, f: string, value: unknown = null, extra: Raw = {}): Raw => ({ type: 'ok', process, f, value, ...extra });
/** A write or read that completes before anything else happens (two ops). */
const W = (p: number, v: unknown, extra: Raw = {}): Raw[] => [inv(p, 'write', v, extra), ok(p, 'write', v, extra)];
const R = (p: number, v: unknown, extra: Raw = {}): Raw[] => [inv(p, 'read', null, extra), ok(p, 'read', v, extra)];
/** Index = position; line = position + 1. */
const hist = (...ops: (Raw | Raw[])[]): History =>
  parseHistory(ops.flat().map((o) => JSON.stringify(o)).join('\n') + '\n', 'jsonl', 't.jsonl');

/** The checks below are of the real-time order, the default until issue 15 (today's behaviour, kept as an opt-in). */
async function check(h: History): Promise<Result & { guarantees: Record<Guarantee, GuaranteeResult> }> {
  return (await session.check(h, { options: { maxViolations: 1000, versionOrder: 'realtime' } })) as Result & { guarantees: Record<Guarantee, GuaranteeResult> };
}
/** The violating pairs of each guarantee (only the guarantees with any). */
function pairs(r: { guarantees: Record<Guarantee, GuaranteeResult> }): Partial<Record<Guarantee, [number, number][]>> {
  const out: Partial<Record<Guarantee, [number, number][]>> = {};
  for (const g of GUARANTEES) if (r.guarantees[g].count) out[g] = r.guarantees[g].violations.map((v) => v.ops);
  return out;
}

describe('read-your-writes', () => {
  it('flags a read of a version older than the process’s own acknowledged write', async () => {
    // p0 writes 1 (0,1) then 2 (2,3), then reads 1 (4,5): 1 completed before 2 was invoked.
    const r = await check(hist(W(0, 1), W(0, 2), R(0, 1)));
    expect(r.valid).toBe(false);
    expect(pairs(r)).toEqual({ 'read-your-writes': [[3, 5]] });
    const v = r.guarantees['read-your-writes'].violations[0];
    expect(v.process).toBe(0);
    expect(v.sentence).toBe(
      'process 0 wrote 2 (index 3, acknowledged) and then read 1 (index 5), a version known to be older: the write of 1 (index 1) completed before the write of 2 (index 3) was invoked.',
    );
    expect(r.explanation).toMatch(/^read-your-writes: process 0 wrote 2 .* \(violations: read-your-writes 1\)$/);
    expect(r.ops).toEqual([3, 5]);
  });

  it('flags a read of the initial state after an acknowledged write', async () => {
    const r = await check(hist(W(0, 1), R(0, null)));
    expect(pairs(r)).toEqual({ 'read-your-writes': [[1, 3]] });
    expect(r.guarantees['read-your-writes'].violations[0].sentence).toContain('read nil (index 3), the initial state, which every write follows');
  });

  it('accepts the own write, a newer one, and a concurrent one', async () => {
    const r = await check(
      hist(
        inv(1, 'write', 5), // 0: p1's write of 5 is concurrent with p0's write of 1
        W(0, 1), // 1, 2
        ok(1, 'write', 5), // 3
        R(0, 5), // 4, 5: concurrent: not known older
        R(0, 1), // 6, 7 (known older than nothing p0 read: 5 is concurrent with 1)
        W(2, 9), // 8, 9
        R(0, 9), // 10, 11: newer
      ),
    );
    expect(r.valid).toBe(true);
    expect(pairs(r)).toEqual({});
    expect(r).toMatchObject({ writes: 3, reads: 3 });
  });

  it('ignores a failed own write and waits for an info one to be acknowledged', async () => {
    const r = await check(
      hist(W(0, 1), inv(0, 'write', 2), { type: 'fail', process: 0, f: 'write', value: 2 }, R(0, 1), inv(0, 'write', 3), { type: 'info', process: 0, f: 'write', value: 3 }, R(5, 1)),
    );
    expect(r.valid).toBe(true);
  });
});

describe('monotonic-reads', () => {
  it('flags a read of a version known older than one read before', async () => {
    // p1 writes 1 (0,1), p2 writes 2 (2,3), p0 reads 2 (4,5) then 1 (6,7).
    const r = await check(hist(W(1, 1), W(2, 2), R(0, 2), R(0, 1)));
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[5, 7]] });
    expect(r.guarantees['monotonic-reads'].violations[0].sentence).toBe(
      'process 0 read 2 (index 5) and later read 1 (index 7), a version known to be older: the write of 1 (index 1) completed before the write of 2 (index 3) was invoked.',
    );
  });

  it('flags going back to the initial state, once per offending read, against the newest version read', async () => {
    const r = await check(hist(W(1, 1), W(1, 2), R(0, 1), R(0, 2), R(0, 1), R(0, null)));
    // reads: 5 (1), 7 (2), 9 (1), 11 (null); 9 and 11 go back from 2, which was read at 7.
    expect(pairs(r)['monotonic-reads']).toEqual([
      [7, 9],
      [7, 11],
    ]);
  });

  it('does not flag concurrent writes read in either order, nor other processes going back', async () => {
    const r = await check(
      hist(
        inv(1, 'write', 1), // 0
        inv(2, 'write', 2), // 1
        ok(1, 'write', 1), // 2
        ok(2, 'write', 2), // 3
        R(0, 2), // 4, 5
        R(0, 1), // 6, 7: concurrent with 2
        R(0, 2), // 8, 9
        R(3, 2), // 10, 11
        R(4, null), // 12, 13: another process
      ),
    );
    expect(r.valid).toBe(true);
  });

  it('takes keys apart', async () => {
    const r = await check(hist(W(1, 1, { key: 'x' }), W(1, 2, { key: 'y' }), R(0, 2, { key: 'y' }), R(0, 1, { key: 'x' }), R(0, null, { key: 'x' })));
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[7, 9]] });
    const v = r.guarantees['monotonic-reads'].violations[0];
    expect(v.key).toBe('x');
    expect(v.sentence).toBe('process 0 read 1 from key x (index 7) and later read nil (index 9), the initial state, which every write follows.');
  });

  it('reads Jepsen independent tuples as keys', async () => {
    const edn = [
      '{:type :invoke, :f :write, :value #jepsen.independent/tuple [:a 1], :process 1}',
      '{:type :ok, :f :write, :value #jepsen.independent/tuple [:a 1], :process 1}',
      '{:type :invoke, :f :write, :value #jepsen.independent/tuple [:b 2], :process 1}',
      '{:type :ok, :f :write, :value #jepsen.independent/tuple [:b 2], :process 1}',
      '{:type :invoke, :f :read, :value #jepsen.independent/tuple [:a nil], :process 0}',
      '{:type :ok, :f :read, :value #jepsen.independent/tuple [:a 1], :process 0}',
      '{:type :invoke, :f :read, :value #jepsen.independent/tuple [:a nil], :process 0}',
      '{:type :ok, :f :read, :value #jepsen.independent/tuple [:a nil], :process 0}',
      '{:type :invoke, :f :read, :value #jepsen.independent/tuple [:b nil], :process 0}',
      '{:type :ok, :f :read, :value #jepsen.independent/tuple [:b nil], :process 0}',
    ].join('\n');
    const r = await check(parseHistory(edn, 'jepsen-edn', 'h.edn'));
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[5, 7]] });
    expect(r.guarantees['monotonic-reads'].violations[0].key).toBe('a');
  });
});

describe('monotonic-writes', () => {
  it('flags an observer seeing a process’s writes in reverse order (a monotonic-reads violation too)', async () => {
    // p1 writes 1 (0,1) then 2 (2,3); p0 reads 2 (4,5) then 1 (6,7).
    const r = await check(hist(W(1, 1), W(1, 2), R(0, 2), R(0, 1)));
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[5, 7]], 'monotonic-writes': [[5, 7]] });
    const v = r.guarantees['monotonic-writes'].violations[0];
    expect(v.writes).toEqual([1, 3]);
    expect(v.sentence).toBe('process 1 wrote 1 (index 1) and then 2 (index 3); process 0 read 2 (index 5) and later 1 (index 7), seeing process 1\'s writes out of order.');
  });

  it('flags every earlier write of that process, against the newest one read', async () => {
    const r = await check(hist(W(1, 1), W(1, 2), W(1, 3), R(0, 3), R(0, 2), R(0, 1)));
    expect(pairs(r)['monotonic-writes']).toEqual([
      [7, 9],
      [7, 11],
    ]);
    expect(r.guarantees['monotonic-writes'].violations.map((v) => v.writes)).toEqual([
      [3, 5],
      [1, 5],
    ]);
  });

  it('needs the same observer and the same writer', async () => {
    const r = await check(
      hist(
        W(1, 1),
        W(1, 2),
        R(0, 2), // 4, 5
        R(3, 1), // 6, 7: another observer
        W(2, 7), // 8, 9
        R(4, 7), // 10, 11
      ),
    );
    expect(r.valid).toBe(true);
    // Different writers: monotonic reads only.
    const r2 = await check(hist(W(1, 1), W(2, 2), R(0, 2), R(0, 1)));
    expect(pairs(r2)).toEqual({ 'monotonic-reads': [[5, 7]] });
  });
});

describe('writes-follow-reads', () => {
  it('flags a reader of w going back behind what w’s writer had read', async () => {
    // p1 writes 1 (0,1) and 2 (2,3); p2 reads 2 (4,5) and writes 3 (6,7); p0 reads 3 (8,9) then 1 (10,11).
    const r = await check(hist(W(1, 1), W(1, 2), R(2, 2), W(2, 3), R(0, 3), R(0, 1)));
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[9, 11]], 'writes-follow-reads': [[9, 11]] });
    const v = r.guarantees['writes-follow-reads'].violations[0];
    expect(v.via).toEqual([5, 7]);
    expect(v.sentence).toBe(
      'process 2 read 2 (index 5, written by process 1) and then wrote 3 (index 7); process 0 read 3 (index 9) and later read 1 (index 11), a version known to be older than 2: the write of 1 (index 1) completed before the write of 2 (index 3) was invoked.',
    );
  });

  it('counts only reads of other processes’ writes as dependencies', async () => {
    // p1 reads its own 2 before writing 3: that is monotonic writes' business.
    const r = await check(hist(W(1, 1), W(1, 2), R(1, 2), W(1, 3), R(0, 3), R(0, 1)));
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[9, 11]], 'monotonic-writes': [[9, 11]] });
  });

  it('does not flag a version concurrent with the dependency', async () => {
    const r = await check(
      hist(
        inv(1, 'write', 1), // 0: completes only at 7, after 2 and 3 were invoked
        W(3, 2), // 1, 2
        R(2, 2), // 3, 4
        W(2, 3), // 5, 6
        ok(1, 'write', 1), // 7
        R(0, 3), // 8, 9
        R(0, 1), // 10, 11: 1 is concurrent with 2 (and 3)
      ),
    );
    expect(r.valid).toBe(true);
  });
});

describe('input', () => {
  it('needs unique written values per key, naming the line', async () => {
    const h = hist(W(0, 1, { key: 'x' }), W(1, 1, { key: 'y' }), W(2, 1, { key: 'x' }));
    const e = await session.check(h, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HistoryError);
    expect((e as HistoryError).line).toBe(5);
    expect((e as HistoryError).message).toBe('t.jsonl:5: session/staleness need unique written values per key: key x: 1 is written again (first written at line 1 (index 0))');
  });
  it('refuses a write of null, and a malformed cas', async () => {
    await expect(session.check(hist(W(0, null)), {})).rejects.toThrow('t.jsonl:1: session/staleness need unique written values per key: a write of null');
    await expect(session.check(hist(inv(0, 'cas', 3), ok(0, 'cas', 3)), {})).rejects.toThrow('t.jsonl:1: value: a cas is [from, to], got 3');
  });
  it('lets a failed write repeat a value, takes a cas as a write of its new value, and leaves other ops and unwritten values aside', async () => {
    const r = await check(
      hist(
        inv(0, 'write', 1),
        { type: 'fail', process: 0, f: 'write', value: 1 },
        W(0, 1), // 2, 3
        inv(0, 'cas', [1, 2]), // 4
        ok(0, 'cas', [1, 2]), // 5
        inv(0, 'cas', [2, 3]),
        ok(0, 'cas', [2, 3], { result: false }), // 7: no write
        inv(0, 'add', 4),
        ok(0, 'add', 4),
        R(0, 1), // 10, 11: older than the cas's 2
        R(0, 42), // 12, 13: never written
      ),
    );
    expect(pairs(r)).toEqual({ 'read-your-writes': [[5, 11]] });
    expect(r).toMatchObject({ writes: 2, reads: 2, ignored: 1, unwrittenReads: 1 });
  });
  it('keeps maxViolations examples but counts all', async () => {
    const r = await session.check(hist(W(1, 1), W(1, 2), R(0, 2), R(0, 1), R(0, 1), R(0, 1)), { options: { maxViolations: 1, versionOrder: 'realtime' } });
    const mr = (r.guarantees as Record<Guarantee, GuaranteeResult>)['monotonic-reads'];
    expect(mr.count).toBe(3);
    expect(mr.violations).toHaveLength(1);
  });
});

// ---- Brute force: the same definitions, quadratic, straight from the op objects. ----

interface BWrite {
  inv: number;
  comp: number;
  proc: number;
  key: unknown;
  value: unknown;
  index: number;
}
interface BRead {
  inv: number;
  comp: number;
  proc: number;
  key: unknown;
  ver: BWrite | 'init' | undefined;
  index: number;
}
type BViolation = { ops: [number, number]; writes?: [number, number]; via?: [number, number] };

function bruteSession(h: History): Record<Guarantee, BViolation[]> {
  const writes: BWrite[] = [];
  const reads: BRead[] = [];
  h.ops.forEach((op, i) => {
    if (op.type !== 'invoke' || op.process === 'nemesis') return;
    const c = h.pair[i];
    const done = c >= 0 ? h.ops[c] : undefined;
    if (op.f === 'write' && done?.type !== 'fail') {
      writes.push({ inv: i, comp: done?.type === 'ok' ? c : Infinity, proc: op.process, key: op.key, value: op.value, index: (done ?? op).index });
    }
  });
  h.ops.forEach((op, i) => {
    if (op.type !== 'ok' || op.f !== 'read' || op.process === 'nemesis') return;
    const ver = op.value === null ? 'init' : writes.find((w) => w.key === op.key && w.value === op.value);
    reads.push({ inv: h.pair[i], comp: i, proc: op.process as number, key: op.key, ver, index: op.index });
  });
  const inv = (v: BWrite | 'init') => (v === 'init' ? -1 : v.inv);
  const older = (a: BWrite | 'init', b: BWrite | 'init') => (a === 'init' ? b !== 'init' : b !== 'init' && a.comp < b.inv);
  // The best of candidates by a list of numbers compared in order.
  const best = <T>(xs: T[], score: (x: T) => number[]): T | undefined => {
    let top: T | undefined;
    let topScore: number[] = [];
    for (const x of xs) {
      const s = score(x);
      const i = s.findIndex((v, j) => v !== topScore[j]);
      if (top === undefined || (i >= 0 && s[i] > topScore[i])) {
        top = x;
        topScore = s;
      }
    }
    return top;
  };
  const out: Record<Guarantee, BViolation[]> = { 'read-your-writes': [], 'monotonic-reads': [], 'monotonic-writes': [], 'writes-follow-reads': [] };
  for (const r of reads) {
    const x = r.ver;
    if (x === undefined) continue;
    const before = reads.filter((e) => e.proc === r.proc && e.key === r.key && e.comp < r.inv && e.ver !== undefined);
    // read-your-writes
    const own = writes.filter((w) => w.proc === r.proc && w.key === r.key && w.comp < r.inv && older(x, w));
    const ow = best(own, (w) => [w.inv]);
    if (ow) out['read-your-writes'].push({ ops: [ow.index, r.index] });
    // monotonic reads
    const mr = best(
      before.filter((e) => older(x, e.ver!)),
      (e) => [inv(e.ver!), e.comp],
    );
    if (mr) out['monotonic-reads'].push({ ops: [mr.index, r.index] });
    // monotonic writes: the observer read w2 earlier; the same process wrote x (acknowledged) before w2
    if (x !== 'init') {
      const mw = best(
        before.filter((e) => e.ver !== 'init' && (e.ver as BWrite).proc === x.proc && x.inv < (e.ver as BWrite).inv && x.comp !== Infinity),
        (e) => [inv(e.ver!), e.comp],
      );
      if (mw) out['monotonic-writes'].push({ ops: [mw.index, r.index], writes: [x.index, (mw.ver as BWrite).index] });
    }
    // writes follow reads: the observer read w earlier; w's writer had read v (another's write) before invoking w
    const combos: { e: BRead; vr: BRead }[] = [];
    for (const e of before) {
      if (e.ver === 'init') continue;
      const w = e.ver as BWrite;
      for (const vr of reads) {
        if (vr.proc !== w.proc || vr.key !== w.key || vr.comp >= w.inv || vr.ver === undefined || vr.ver === 'init') continue;
        if (vr.ver.proc === w.proc) continue;
        if (older(x, vr.ver)) combos.push({ e, vr });
      }
    }
    const wfr = best(combos, ({ e, vr }) => [inv(vr.ver!), e.comp, vr.comp]);
    if (wfr) out['writes-follow-reads'].push({ ops: [wfr.e.index, r.index], via: [wfr.vr.index, (wfr.e.ver as BWrite).index] });
  }
  return out;
}

const step = fc.record({ thread: fc.nat(3), write: fc.boolean(), key: fc.nat(1), outcome: fc.nat(9), pick: fc.nat(20) });

describe('agrees with a brute-force implementation of the definitions', () => {
  it('on small random histories (exact violations, witnesses included)', async () => {
    const seen: Record<Guarantee, number> = { 'read-your-writes': 0, 'monotonic-reads': 0, 'monotonic-writes': 0, 'writes-follow-reads': 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 2 }), fc.array(step, { minLength: 10, maxLength: 40, size: 'max' }), async (threads, keys, steps) => {
        const h = randomRegisterHistory(threads, keys, steps);
        const r = await check(h);
        const want = bruteSession(h);
        for (const g of GUARANTEES) {
          const got = r.guarantees[g].violations.map((v) => ({ ops: v.ops, ...(v.writes ? { writes: v.writes } : {}), ...(v.via ? { via: v.via } : {}) }));
          expect(got, g).toEqual(want[g]);
          expect(r.guarantees[g].count).toBe(want[g].length);
          seen[g] += want[g].length;
        }
        expect(r.valid).toBe(GUARANTEES.every((g) => want[g].length === 0));
      }),
      { seed: 20240611, numRuns: 1500 },
    );
    // The generator reaches every guarantee.
    for (const g of GUARANTEES) expect(seen[g], g).toBeGreaterThan(15);
  });
});
