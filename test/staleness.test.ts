// Staleness: figures on a hand-computed history (exact ms and versions behind, overall and per
// node), reads of unwritten values, final reads that disagree, bad input, agreement with a
// brute-force count on small random histories (speed on 1M ops: bench/models).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareRegisters, session } from '../checker/session.js';
import { analyzeStaleness, staleness } from '../checker/staleness.js';
import { HistoryError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { parseHistory } from '../histories/read.js';
import { rng } from '../bench/random.js';

type Raw = Record<string, unknown>;
const ms = 1e6;
const inv = (process: number, f: string, value: unknown, t: number, extra: Raw = {}): Raw => ({ type: 'invoke', process, f, value, time: t * ms, ...extra });
const ok = (process: number, f: string, value: unknown, t: number, extra: Raw = {}): Raw => ({ type: 'ok', process, f, value, time: t * ms, ...extra });
const W = (p: number, v: unknown, t0: number, t1: number, extra: Raw = {}): Raw[] => [inv(p, 'write', v, t0, extra), ok(p, 'write', v, t1, extra)];
const R = (p: number, v: unknown, t0: number, t1: number, extra: Raw = {}): Raw[] => [inv(p, 'read', null, t0, extra), ok(p, 'read', v, t1, extra)];
const hist = (...ops: (Raw | Raw[])[]): History =>
  parseHistory(ops.flat().map((o) => JSON.stringify(o)).join('\n') + '\n', 'jsonl', 't.jsonl');

const n1 = { node: 'n1' };
const n2 = { node: 'n2' };

// Times in ms. Writes 1, 2, 3 one after another; 4 alone; 6 and 7 concurrent.
const example = hist(
  W(0, 1, 0, 10), // 0, 1
  W(0, 2, 20, 30), // 2, 3
  W(0, 3, 40, 50), // 4, 5
  R(1, 1, 100, 110, n1), // 6, 7: misses 2 and 3: 2 behind; newest (3) acked at 50 → 50 ms; first (2) at 30 → 70 ms
  R(2, 3, 120, 125, n2), // 8, 9: fresh
  R(1, null, 200, 210, n1), // 10, 11: misses 1, 2, 3: 3 behind; 150 ms; 190 ms
  inv(3, 'write', 4, 300), // 12
  R(2, 3, 310, 320, n2), // 13, 14: 4 not acknowledged yet: fresh
  ok(3, 'write', 4, 330), // 15
  inv(0, 'write', 6, 400), // 16
  inv(4, 'write', 7, 401), // 17
  ok(0, 'write', 6, 410), // 18
  ok(4, 'write', 7, 420), // 19
  R(1, 6, 500, 510, n1), // 20, 21: 7 is concurrent with 6: fresh
  R(2, 4, 600, 610, n2), // 22, 23: misses 6 and 7: 2 behind; newest (7) at 420 → 180 ms; first (6) at 410 → 190 ms
);

describe('staleness figures', () => {
  it('measures versions behind and lag on a hand-computed history', async () => {
    const r = await staleness.check(example, {});
    expect(r.valid).toBe(true);
    expect(r).toMatchObject({
      reads: 6,
      fresh: 3,
      stale: 3,
      lagMs: { count: 3, p50: 150, p99: 180, max: 180 },
      supersededMs: { count: 3, p50: 190, p99: 190, max: 190 },
      versionsBehind: { count: 3, p50: 2, p99: 3, max: 3 },
      writes: 6,
      unwritten: { count: 0, reads: [] },
      final: { reads: 0, keys: 0, converged: true },
    });
    expect(r.stalest).toEqual({ index: 11, value: null, node: 'n1', versionsBehind: 3, lagMs: 150, supersededMs: 190, newest: 5, first: 1 });
    expect(r.explanation).toBeUndefined();
  });

  it('says it measures against real time, whatever order session checks in (issue 15)', async () => {
    const r = await staleness.check(example, {});
    expect(r.versionOrder).toBe('realtime');
    expect(r.note).toMatch(/^measured against real time: .* not a verdict on the order the store claims$/);
  });

  it('gives the same figures per node', async () => {
    const r = await staleness.check(example, {});
    expect(r.byNode).toEqual({
      n1: {
        reads: 3,
        fresh: 1,
        stale: 2,
        lagMs: { count: 2, p50: 50, p95: 150, p99: 150, max: 150 },
        supersededMs: { count: 2, p50: 70, p95: 190, p99: 190, max: 190 },
        versionsBehind: { count: 2, p50: 2, p99: 3, max: 3 },
      },
      n2: {
        reads: 3,
        fresh: 2,
        stale: 1,
        lagMs: { count: 1, p50: 180, p95: 180, p99: 180, max: 180 },
        supersededMs: { count: 1, p50: 190, p95: 190, p99: 190, max: 190 },
        versionsBehind: { count: 1, p50: 2, p99: 2, max: 2 },
      },
    });
  });

  it('per read: the writes missed, newest and first', () => {
    const reg = prepareRegisters(example);
    const a = analyzeStaleness(reg);
    expect([...a.behind]).toEqual([2, 0, 3, 0, 0, 2]);
    expect([...a.newest].map((w) => (w < 0 ? -1 : reg.wIndex[w]))).toEqual([5, -1, 5, -1, -1, 19]);
    expect([...a.first].map((w) => (w < 0 ? -1 : reg.wIndex[w]))).toEqual([3, -1, 1, -1, -1, 18]);
  });

  it('takes keys apart, and says nothing of times it does not have', async () => {
    const untimed = (ops: Raw[]) => ops.map(({ time: _t, ...o }) => o);
    const r = await staleness.check(
      hist(
        untimed(W(0, 1, 0, 0, { key: 'x' })),
        untimed(W(0, 2, 0, 0, { key: 'y' })),
        untimed(R(1, null, 0, 0, { key: 'x' })), // 4, 5: misses 1
        untimed(R(1, null, 0, 0, { key: 'z' })), // fresh: nothing written to z
      ),
      {},
    );
    expect(r).toMatchObject({ reads: 2, fresh: 1, stale: 1, versionsBehind: { count: 1, max: 1 }, lagMs: { count: 0 } });
    expect(r.stalest).toEqual({ index: 5, key: 'x', value: null, versionsBehind: 1, lagMs: null, supersededMs: null, newest: 1, first: 1 });
  });

  it('counts a read of an unacknowledged (info) write as fresh', async () => {
    const r = await staleness.check(hist(W(0, 1, 0, 1), inv(1, 'write', 2, 2), { type: 'info', process: 1, f: 'write', value: 2, time: 3 * ms }, W(0, 3, 4, 5), R(2, 2, 6, 7)), {});
    // 2's write never completed, so no write is known to be newer than it (3 may have taken effect first).
    expect(r).toMatchObject({ reads: 1, fresh: 1, stale: 0 });
  });
});

describe('staleness validity', () => {
  it('flags a read of a value no write wrote, and of a failed write’s value', async () => {
    const r = await staleness.check(
      hist(W(0, 1, 0, 1), inv(0, 'write', 2, 2), { type: 'fail', process: 0, f: 'write', value: 2, time: 3 * ms }, R(1, 99, 4, 5), R(1, 2, 6, 7), R(1, 1, 8, 9)),
      {},
    );
    expect(r.valid).toBe(false);
    expect(r.unwritten).toEqual({
      count: 2,
      reads: [
        { index: 5, value: 99, sentence: 'the read at index 5 returned 99, which no write wrote.' },
        { index: 7, value: 2, sentence: 'the read at index 7 returned 2, which only a failed write (index 3) wrote.' },
      ],
    });
    expect(r.explanation).toBe('the read at index 5 returned 99, which no write wrote. (2 such reads)');
    expect(r.ops).toEqual([5]);
    expect(r).toMatchObject({ reads: 1, fresh: 1 });
  });

  it('flags final reads that disagree, per key', async () => {
    const f = (node: string, key: string) => ({ node, key, final: true });
    const r = await staleness.check(
      hist(
        W(0, 1, 0, 1, { key: 'x' }),
        W(0, 2, 2, 3, { key: 'x' }),
        W(0, 5, 2, 3, { key: 'y' }),
        R(1, 2, 10, 11, f('n1', 'x')), // 6, 7
        R(2, 2, 10, 11, f('n2', 'x')), // 8, 9
        R(3, 1, 10, 11, f('n3', 'x')), // 10, 11
        R(1, 5, 12, 13, f('n1', 'y')),
        R(2, 5, 12, 13, f('n2', 'y')),
      ),
      {},
    );
    expect(r.valid).toBe(false);
    expect(r.final).toEqual({
      reads: 5,
      keys: 2,
      converged: false,
      divergent: [
        {
          key: 'x',
          values: [
            { value: 2, ops: [7, 9], nodes: ['n1', 'n2'] },
            { value: 1, ops: [11], nodes: ['n3'] },
          ],
          sentence: 'the final reads of key x disagree: 2 (index 7, 9; n1, n2) vs 1 (index 11; n3).',
        },
      ],
    });
    expect(r.ops).toEqual([7, 9, 11]);
    expect(r.explanation).toBe('the final reads of key x disagree: 2 (index 7, 9; n1, n2) vs 1 (index 11; n3).');
  });

  it('accepts final reads that disagree only by a write of unknown outcome landing late', async () => {
    const info = (p: number, v: unknown, t: number): Raw => ({ type: 'info', process: p, f: 'write', value: v, time: t * ms });
    const r = await staleness.check(
      hist(
        W(0, 1, 0, 1),
        inv(4, 'write', 9, 2), // its outcome is unknown: it may land at any time, even between the final reads
        info(4, 9, 5),
        R(1, 1, 10, 11, { node: 'n1', final: true }),
        R(2, 9, 12, 13, { node: 'n2', final: true }),
      ),
      {},
    );
    expect(r.valid).toBe(true);
    expect(r.final).toEqual({ reads: 2, keys: 1, converged: true, lateWrites: [{ values: [1, 9] }] });
  });

  it('accepts final reads that agree (even on a stale value)', async () => {
    const r = await staleness.check(hist(W(0, 1, 0, 1), W(0, 2, 2, 3), R(1, 1, 10, 11, { node: 'n1', final: true }), R(2, 1, 10, 11, { node: 'n2', final: true })), {});
    expect(r.valid).toBe(true);
    expect(r.final).toEqual({ reads: 2, keys: 1, converged: true });
    expect(r.stale).toBe(2);
  });

  it('needs unique written values per key', async () => {
    const e = await staleness.check(hist(W(0, 1, 0, 1), W(1, 1, 2, 3)), {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HistoryError);
    expect((e as HistoryError).message).toBe('t.jsonl:3: session/staleness need unique written values per key: 1 is written again (first written at line 1 (index 0))');
  });
});

// ---- Brute force: per read, the acknowledged writes known newer than its version. ----

function bruteBehind(h: History): number[] {
  const writes: { inv: number; comp: number; key: unknown; value: unknown }[] = [];
  h.ops.forEach((op, i) => {
    if (op.type !== 'invoke' || op.f !== 'write') return;
    const c = h.pair[i];
    const t = c >= 0 ? h.ops[c].type : 'open';
    if (t !== 'fail') writes.push({ inv: i, comp: t === 'ok' ? c : Infinity, key: op.key, value: op.value });
  });
  const out: number[] = [];
  h.ops.forEach((op, i) => {
    if (op.type !== 'ok' || op.f !== 'read') return;
    const ri = h.pair[i];
    const v = op.value === null ? { comp: -1 } : writes.find((w) => w.key === op.key && w.value === op.value);
    if (!v) return out.push(-1);
    out.push(writes.filter((w) => w.key === op.key && w.comp < ri && w.inv > v.comp).length);
  });
  return out;
}

describe('agrees with a brute-force count', () => {
  it('on small random histories', () => {
    const step = fc.record({ thread: fc.nat(3), write: fc.boolean(), key: fc.nat(1), outcome: fc.nat(9), pick: fc.nat(20) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { minLength: 5, maxLength: 40, size: 'max' }), (threads, steps) => {
        const ops: Raw[] = [];
        const procs = Array.from({ length: threads }, (_, t) => t);
        const pending: (Raw | undefined)[] = new Array(threads).fill(undefined);
        const written: unknown[][] = [[], []];
        let next = 1;
        for (const s of steps) {
          const t = s.thread % threads;
          const p = pending[t];
          if (p === undefined) {
            const op = s.write ? inv(procs[t], 'write', next++, 0, { key: s.key }) : inv(procs[t], 'read', null, 0, { key: s.key });
            if (s.write) written[s.key].push(op.value);
            ops.push(op);
            pending[t] = op;
            continue;
          }
          pending[t] = undefined;
          const type = s.outcome < 7 ? 'ok' : s.outcome < 8 ? 'info' : 'fail';
          const vs = written[p.key as number];
          const i = s.pick % (vs.length + 2);
          const value = p.f === 'read' ? (type === 'ok' ? (i === 0 ? null : i > vs.length ? 999 : vs[i - 1]) : null) : p.value;
          ops.push({ type, process: procs[t], f: p.f, value, key: p.key });
          if (type === 'info') procs[t] += threads;
        }
        const h = hist(...ops);
        expect([...analyzeStaleness(prepareRegisters(h)).behind]).toEqual(bruteBehind(h));
      }),
      { seed: 7, numRuns: 1000 },
    );
  });
});

// ---- A replicated register for scale: leader-follower with per-node lag. ----


/**
 * `ops` ops (invocations and completions) on `keys` registers over 3 nodes: a write takes effect
 * at the leader (n1) when it completes; node n2 lags up to 20 ms and n3 up to 100 ms behind, so
 * reads there are stale. 2% of ops crash (info); the thread continues as a new process.
 */
function generateReplicated(o: { ops: number; keys: number; threads: number; seed: number }): History {
  const random = rng(o.seed);
  const nodes = ['n1', 'n2', 'n3'];
  const lagOf = [0, 20e6, 100e6];
  const logTime: Float64Array[] = Array.from({ length: o.keys }, () => new Float64Array(64));
  const logValue: Int32Array[] = Array.from({ length: o.keys }, () => new Int32Array(64));
  const logLen = new Int32Array(o.keys);
  const procs = Array.from({ length: o.threads }, (_, t) => t);
  const next = Float64Array.from({ length: o.threads }, () => random() * 1e6);
  const pending: (Op | undefined)[] = new Array(o.threads).fill(undefined);
  const ops: Op[] = [];
  let value = 1;
  while (ops.length < o.ops) {
    let t = 0;
    for (let i = 1; i < o.threads; i++) if (next[i] < next[t]) t = i;
    const now = next[t];
    const p = pending[t];
    if (p === undefined) {
      const key = Math.floor(random() * o.keys);
      const write = random() < 0.3;
      const op: Op = { index: ops.length, time: now, type: 'invoke', process: procs[t], f: write ? 'write' : 'read', key, value: write ? value++ : null, node: nodes[Math.floor(random() * 3)] };
      ops.push(op);
      pending[t] = op;
      next[t] = now + 0.5e6 + random() * 4e6;
      continue;
    }
    pending[t] = undefined;
    next[t] = now + random() * 1e6;
    const key = p.key as number;
    const crash = random() < 0.02;
    const done: Op = { index: ops.length, time: now, type: crash ? 'info' : 'ok', process: p.process, f: p.f, key, value: p.value, node: p.node };
    if (p.f === 'write' && (!crash || random() < 0.5)) {
      let n = logLen[key];
      if (n === logTime[key].length) {
        const lt = new Float64Array(n * 2);
        lt.set(logTime[key]);
        logTime[key] = lt;
        const lv = new Int32Array(n * 2);
        lv.set(logValue[key]);
        logValue[key] = lv;
      }
      logTime[key][n] = now;
      logValue[key][n] = p.value as number;
      logLen[key] = n + 1;
    } else if (p.f === 'read' && !crash) {
      // The node's state as of (invocation − its lag): the last write applied by then.
      const asOf = (p.time as number) - random() * lagOf[nodes.indexOf(p.node as string)];
      let lo = 0;
      let hi = logLen[key];
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (logTime[key][mid] <= asOf) lo = mid + 1;
        else hi = mid;
      }
      done.value = lo === 0 ? null : logValue[key][lo - 1];
    }
    ops.push(done);
    if (crash) procs[t] += o.threads;
  }
  return new History(ops, { file: '<replicated>' });
}

describe('a generated replicated register', () => {
  it('is valid for staleness, with stale reads on the lagging nodes only', async () => {
    const h = generateReplicated({ ops: 20_000, keys: 20, threads: 10, seed: 3 });
    const r = await staleness.check(h, {});
    expect(r.valid).toBe(true);
    const byNode = r.byNode as Record<string, { stale: number; lagMs: { max: number } }>;
    expect(byNode.n1.stale).toBe(0);
    expect(byNode.n3.stale).toBeGreaterThan(byNode.n2.stale);
    expect(byNode.n2.stale).toBeGreaterThan(0);
    const s = await session.check(h, {});
    expect(s.valid).toBe(false); // sessions hop between nodes, so they see versions go back
  });
});
