// The session checker's version orders (issue 15): causal by default — program order plus
// reads-from, which every correct store respects — with realtime and process as opt-ins. Hand-built
// histories for each order, agreement with a brute force of the definitions, histories of a
// simulated causally consistent store without arbitration (valid under the default order, as they
// are for `causal`), and planted violations of each guarantee on them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { causal } from '../checker/causal/index.js';
import { GUARANTEES, session, type Guarantee, type GuaranteeResult, type SessionViolation, type VersionOrder } from '../checker/session.js';
import type { Result } from '../checker/types.js';
import { InputError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { parseHistory } from '../histories/read.js';
import { generateCausal } from '../bench/generate-models.js';
import { bruteSessionOrder, randomRegisterHistory } from './helpers/session-brute.js';

type Raw = Record<string, unknown>;
const inv = (process: number, f: string, value: unknown = null, extra: Raw = {}): Raw => ({ type: 'invoke', process, f, value, ...extra });
const ok = (process: number, f: string, value: unknown = null, extra: Raw = {}): Raw => ({ type: 'ok', process, f, value, ...extra });
const W = (p: number, v: unknown, extra: Raw = {}): Raw[] => [inv(p, 'write', v, extra), ok(p, 'write', v, extra)];
const R = (p: number, v: unknown, extra: Raw = {}): Raw[] => [inv(p, 'read', null, extra), ok(p, 'read', v, extra)];
/** Index = position. */
const hist = (...ops: (Raw | Raw[])[]): History => parseHistory(ops.flat().map((o) => JSON.stringify(o)).join('\n') + '\n', 'jsonl', 't.jsonl');

type SessionResult = Result & { versionOrder: VersionOrder; guarantees: Record<Guarantee, GuaranteeResult> };
async function check(h: History, versionOrder?: VersionOrder, extra: Raw = {}): Promise<SessionResult> {
  return (await session.check(h, { options: { maxViolations: 1000, ...(versionOrder ? { versionOrder } : {}), ...extra } })) as SessionResult;
}
function pairs(r: SessionResult): Partial<Record<Guarantee, [number, number][]>> {
  const out: Partial<Record<Guarantee, [number, number][]>> = {};
  for (const g of GUARANTEES) if (r.guarantees[g].count) out[g] = r.guarantees[g].violations.map((v) => v.ops);
  return out;
}

describe('the default order is causal', () => {
  // The issue's history: process 1 writes 11, acknowledged; then process 0 writes 12 and reads
  // 11 — a replica that applied 12 and then received 11, concurrent with it in causal order.
  const issue = hist(W(1, 11), W(0, 12), R(0, 11), R(2, 12), R(2, 11));

  it('does not flag a process reading a concurrent write applied after its own (the issue)', async () => {
    const r = await check(issue);
    expect(r.versionOrder).toBe('causal');
    expect(r.valid).toBe(true);
    expect((await causal.check(issue, {})).valid).toBe(true);
  });

  it('versionOrder=realtime keeps the old verdict on it, and says so', async () => {
    const r = await check(issue, 'realtime');
    expect(r.versionOrder).toBe('realtime');
    expect(pairs(r)).toEqual({ 'read-your-writes': [[3, 5]], 'monotonic-reads': [[7, 9]] });
    expect(r.guarantees['read-your-writes'].violations[0]).toMatchObject({ order: 'realtime' });
    expect(r.guarantees['read-your-writes'].violations[0].sentence).toContain('completed before the write of 12 (index 3) was invoked');
  });

  it('flags reading back a version the process had seen before its own write, with the causal path', async () => {
    // p1 writes 11; p0 reads 11, writes 12, reads 11: 11 →rf p0's read →po 12.
    const r = await check(hist(W(1, 11), R(0, 11), W(0, 12), R(0, 11)));
    expect(pairs(r)).toEqual({ 'read-your-writes': [[5, 7]] });
    const v = r.guarantees['read-your-writes'].violations[0];
    expect(v.order).toBe('causal');
    expect(v.path).toEqual([{ index: 1 }, { index: 3, via: 'rf' }, { index: 5, via: 'po' }]);
    expect(v.sentence).toBe(
      'process 0 wrote 12 (index 5, acknowledged) and then read 11 (index 7), a version known to be older: the write of 11 (index 1) is in the causal past of the write of 12 (index 5), by program order and reads-from (index 1 →rf index 3 →po index 5).',
    );
  });

  it('orders versions real time leaves concurrent: a write that read another before it completed', async () => {
    const h = hist(
      inv(1, 'write', 1), // 0
      R(2, 1), // 1, 2: p2 reads 1 while its write is still in flight
      W(2, 2), // 3, 4: so 1 is in the causal past of 2
      ok(1, 'write', 1), // 5
      R(0, 2), // 6, 7
      R(0, 1), // 8, 9: back to 1
    );
    expect(pairs(await check(h))).toEqual({ 'monotonic-reads': [[7, 9]] });
    expect((await check(h, 'realtime')).valid).toBe(true);
    expect((await causal.check(h, {})).valid).toBe(false);
  });

  it('follows causality across keys', async () => {
    // p1 writes x=1 then y=1; p2 reads y=1 and writes x=2: x=1 is in x=2's causal past.
    const h = hist(W(1, 1, { key: 'x' }), W(1, 1, { key: 'y' }), R(2, 1, { key: 'y' }), W(2, 2, { key: 'x' }), R(0, 2, { key: 'x' }), R(0, 1, { key: 'x' }));
    const r = await check(h);
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[9, 11]] });
    expect(r.guarantees['monotonic-reads'].violations[0]).toMatchObject({ key: 'x', path: [{ index: 1 }, { index: 3, via: 'po' }, { index: 5, via: 'rf' }, { index: 7, via: 'po' }] });
  });

  it('monotonic writes is the writer’s own order in every version order', async () => {
    const h = hist(W(1, 1), W(1, 2), R(0, 2), R(0, 1));
    for (const o of ['causal', 'realtime', 'process'] as const) {
      expect(pairs(await check(h, o))['monotonic-writes'], o).toEqual([[5, 7]]);
    }
  });

  it('writes-follow-reads: a reader of w going back behind what w’s writer had read', async () => {
    // p1 writes 1 and then 2; p2 reads 2 and writes 3; p0 reads 3 and then 1.
    const r = await check(hist(W(1, 1), W(1, 2), R(2, 2), W(2, 3), R(0, 3), R(0, 1)));
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[9, 11]], 'writes-follow-reads': [[9, 11]] });
    const v = r.guarantees['writes-follow-reads'].violations[0];
    expect(v.via).toEqual([5, 7]);
    expect(v.sentence).toContain('a version known to be older than 2: the write of 1 (index 1) is in the causal past of the write of 2 (index 3)');
  });
});

describe('versionOrder=process (Elle’s sequential-keys)', () => {
  // p3 sees 1 then 2, p0 sees 2 then 1; the writes were concurrent.
  const h = hist(inv(1, 'write', 1), inv(2, 'write', 2), ok(1, 'write', 1), ok(2, 'write', 2), R(3, 1), R(3, 2), R(0, 2), R(0, 1));

  it('flags two sessions that saw versions in opposite orders, each against the other', async () => {
    const r = await check(h, 'process');
    expect(pairs(r)).toEqual({ 'monotonic-reads': [[5, 7], [9, 11]] });
    const v = r.guarantees['monotonic-reads'].violations[1];
    expect(v.order).toBe('process');
    expect(v.path).toEqual([{ process: 3, from: 5, to: 7 }]);
    expect(v.sentence).toContain('processes saw 1 (index 2) before 2 (index 3) (and also after it: no order of these versions exists): process 3 index 5 → 7');
    expect((await check(h)).valid).toBe(true);
    expect((await check(h, 'realtime')).valid).toBe(true);
  });
});

describe('options', () => {
  it('refuses an unknown versionOrder with one line', async () => {
    const e = await session.check(hist(W(0, 1)), { options: { versionOrder: 'wallclock' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toBe('session: --option versionOrder takes causal, realtime, process, not "wallclock"');
  });

  it('gives up with reason memory-limit past maxClockEntries', async () => {
    const r = await check(hist(W(1, 1), W(2, 2), R(0, 2)), undefined, { maxClockEntries: 1 });
    expect(r).toMatchObject({ valid: 'unknown', reason: 'memory-limit', versionOrder: 'causal' });
  });
});

// ---- Agreement with the brute force ----

const step = fc.record({ thread: fc.nat(3), write: fc.boolean(), key: fc.nat(1), outcome: fc.nat(9), pick: fc.nat(20) });

for (const order of ['causal', 'process'] as const) {
  describe(`${order} order agrees with a brute force of the definitions`, () => {
    it('on small random histories: the same violating reads, each with a witness the definition allows', async () => {
      const seen: Record<Guarantee, number> = { 'read-your-writes': 0, 'monotonic-reads': 0, 'monotonic-writes': 0, 'writes-follow-reads': 0 };
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 2 }), fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), async (threads, keys, steps) => {
          const h = randomRegisterHistory(threads, keys, steps);
          const r = await check(h, order === 'causal' ? undefined : order);
          const want = bruteSessionOrder(h, order);
          for (const g of GUARANTEES) {
            const got = r.guarantees[g].violations;
            expect(got.map((v) => v.ops[1]), g).toEqual(want[g].map((v) => v.read));
            got.forEach((v: SessionViolation, i) => {
              const allowed = want[g][i].witnesses;
              const match = allowed.some((w) => w.op === v.ops[0] && (w.via === undefined || (v.via !== undefined && w.via[0] === v.via[0] && w.via[1] === v.via[1])));
              expect(match, `${g} witness ${JSON.stringify(v)} of ${JSON.stringify(allowed)}`).toBe(true);
            });
            seen[g] += want[g].length;
          }
          expect(r.valid).toBe(GUARANTEES.every((g) => want[g].length === 0));
        }),
        { seed: 20260115, numRuns: 600 },
      );
      for (const g of GUARANTEES) expect(seen[g], g).toBeGreaterThan(5);
    });
  });
}

// ---- A causally consistent store without arbitration ----

/** Histories of replicas with vector-clock causal delivery, each applying writes as they arrive. */
function ccHistory(seed: number): History {
  return generateCausal({ ops: 400, seed, mode: 'arrival', replicas: 3, threads: 6, keys: 2, crashRate: 0.03, failRate: 0.02, deliveryRate: 0.2 });
}

describe('a causally consistent store without arbitration', () => {
  it('gives histories valid for causal (CC) and for every session guarantee under the default order', async () => {
    let flaggedInRealTime = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const h = ccHistory(seed);
      expect((await causal.check(h, {})).valid, `seed ${seed}: CC`).toBe(true);
      const r = await check(h);
      expect(r.valid, `seed ${seed}: ${r.explanation}`).toBe(true);
      if ((await check(h, 'realtime')).valid === false) flaggedInRealTime++;
    }
    // Real time is not the store's order: most of these histories break it (the disagreement).
    expect(flaggedInRealTime).toBeGreaterThan(20);
  });

  // Planted violations: fresh processes appended at the end, after every op of the history.
  const lastIndex = (h: History) => h.ops[h.ops.length - 1].index;
  function plant(h: History, ops: Raw[]): History {
    let i = lastIndex(h) + 1;
    const all = [...h.ops, ...ops.map((o) => ({ ...o, index: i++, time: 0 }) as unknown as Op)];
    return new History(all, { file: 'planted' });
  }
  /** Two acknowledged writes of one key by one process, the first before the second, and a value read of a third process's write. */
  function pickWrites(h: History): { key: unknown; w1: unknown; w2: unknown } {
    const byProc = new Map<string, unknown[]>();
    for (let i = 0; i < h.ops.length; i++) {
      const op = h.ops[i];
      if (op.type !== 'invoke' || op.f !== 'write' || h.completion(i)?.type !== 'ok') continue;
      const id = `${op.process}/${String(op.key)}`;
      const vs = byProc.get(id) ?? [];
      vs.push(op.value);
      byProc.set(id, vs);
      if (vs.length >= 2) return { key: op.key, w1: vs[0], w2: vs[vs.length - 1] };
    }
    throw new Error('no process wrote one key twice');
  }
  const P = 1000; // fresh process numbers

  it('finds a planted violation of each guarantee', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const base = ccHistory(seed);
      const { key, w1, w2 } = pickWrites(base);
      const at = lastIndex(base) + 1;
      // read-your-writes: a fresh process reads w1, writes a new value, and reads w1 again.
      const ryw = await check(plant(base, [...R(P, w1, { key }), ...W(P, 'new', { key }), ...R(P, w1, { key })]));
      expect(ryw.guarantees['read-your-writes'].violations.map((v) => v.ops), `seed ${seed}`).toEqual([[at + 3, at + 5]]);
      // monotonic-reads (and monotonic-writes: one writer): w2, then the older w1.
      const mr = await check(plant(base, [...R(P, w2, { key }), ...R(P, w1, { key })]));
      expect(mr.guarantees['monotonic-reads'].violations.map((v) => v.ops)).toEqual([[at + 1, at + 3]]);
      expect(mr.guarantees['monotonic-writes'].violations.map((v) => v.ops)).toEqual([[at + 1, at + 3]]);
      // monotonic-reads: w2, then nil (older than every write).
      const nil = await check(plant(base, [...R(P, w2, { key }), ...R(P, null, { key })]));
      expect(nil.guarantees['monotonic-reads'].violations.map((v) => v.ops)).toEqual([[at + 1, at + 3]]);
      // writes-follow-reads: process P+1 reads w2 and writes w3; P reads w3 and then w1, older than w2.
      const wfr = await check(plant(base, [...R(P + 1, w2, { key }), ...W(P + 1, 'w3', { key }), ...R(P, 'w3', { key }), ...R(P, w1, { key })]));
      expect(wfr.guarantees['writes-follow-reads'].violations.map((v) => v.ops)).toEqual([[at + 5, at + 7]]);
      expect(wfr.guarantees['writes-follow-reads'].violations[0].via).toEqual([at + 1, at + 3]);
      for (const r of [ryw, mr, nil, wfr]) expect(r.valid).toBe(false);
    }
  });
});
