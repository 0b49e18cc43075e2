// The bad-pattern checker against the definitions themselves, on small random histories
// (≤ 3 processes, ≤ 6 ops, 1–2 keys): a brute force enumerates serializations as the paper's
// definitions (Bouajjani, Enea, Guerraoui & Hamza, POPL 2017, §3) say, and the two must agree on
// CC, CCv and CM for every history.
//
// The brute force fixes the causal order to CO = (PO ∪ RF)+: in a differentiated history every
// causal order that justifies the reads contains RF (a read of v needs the one write of v in its
// causal past), and shrinking a causal order to CO only drops constraints (restricting a witness
// serialization to a smaller causal past keeps each read's last write). So "some causal order
// works" is "CO works", and no CO exists when PO ∪ RF is cyclic. Info or unfinished writes may or
// may not have happened: the brute force tries every subset of them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCausal } from '../checker/causal/index.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';

type Outcome = 'ok' | 'info' | 'open' | 'fail';
interface Gen {
  thread: number;
  write: boolean;
  key: number;
  /** For a read: which value (0 = initial, 1..k = the k-th write of its key, beyond = never written). */
  pick: number;
  outcome: Outcome;
  /** For a read: the position (in the list) of the write it returns, overriding `pick`; -1 for the initial value. */
  ref?: number;
}
interface BOp {
  proc: number;
  write: boolean;
  key: number;
  /** Written value, or value read (null = initial). */
  value: number | null;
  outcome: Outcome;
}

/** Lays the generated ops out as a history (each op completes before the next is invoked). */
function build(gens: Gen[], keyed: boolean, thinAir = true): { ops: BOp[]; history: History } {
  const ops: BOp[] = [];
  const procOf = [0, 1, 2];
  let nextValue = 1;
  const writes: number[][] = [[], [], [], []];
  // Values first, so a read may return a write that comes later in the history.
  const values = gens.map((g) => (g.write ? nextValue++ : 0));
  gens.forEach((g, i) => {
    if (g.write) writes[g.key].push(values[i]);
  });
  const hops: Op[] = [];
  gens.forEach((g, i) => {
    const p = procOf[g.thread];
    let value: number | null;
    if (g.write) value = values[i];
    else if (g.ref !== undefined) value = g.ref < 0 ? null : values[g.ref];
    else {
      const ws = writes[g.key];
      const k = g.pick % (ws.length + (thinAir ? 2 : 1));
      value = k === 0 ? null : k <= ws.length ? ws[k - 1] : 99;
    }
    ops.push({ proc: p, write: g.write, key: g.key, value, outcome: g.outcome });
    const base = { process: p, f: g.write ? 'write' : 'read', ...(keyed ? { key: `k${g.key}` } : {}) };
    hops.push({ index: hops.length, type: 'invoke', ...base, value: g.write ? value : null });
    if (g.outcome !== 'open') hops.push({ index: hops.length, type: g.outcome, ...base, value: g.write || g.outcome === 'ok' ? value : null });
    if (g.outcome === 'info' || g.outcome === 'open') procOf[g.thread] += 3; // the thread goes on as a new process
  });
  return { ops, history: new History(hops) };
}

/** Does some order of `nodes` respecting `before` satisfy `ok`? */
function someLinearExtension(nodes: number[], before: boolean[][], ok: (seq: number[]) => boolean): boolean {
  const seq: number[] = [];
  const used = new Set<number>();
  const go = (): boolean => {
    if (seq.length === nodes.length) return ok(seq);
    for (const v of nodes) {
      if (used.has(v)) continue;
      if (nodes.some((u) => !used.has(u) && u !== v && before[u][v])) continue;
      used.add(v);
      seq.push(v);
      if (go()) return true;
      seq.pop();
      used.delete(v);
    }
    return false;
  };
  return go();
}

/** Is read `r` legal in `seq` (the last write of its key before it wrote its value)? */
function legal(ops: BOp[], seq: number[], r: number): boolean {
  let last: number | null = null;
  for (const v of seq) {
    if (v === r) return last === ops[r].value;
    if (ops[v].write && ops[v].key === ops[r].key) last = ops[v].value;
  }
  throw new Error('read not in sequence');
}

interface Verdicts {
  cc: boolean;
  ccv: boolean;
  cm: boolean;
}

/** The definitions, for one choice of which uncertain writes happened. */
function bruteWith(all: BOp[], happened: Set<number>): Verdicts {
  const no = { cc: false, ccv: false, cm: false };
  const ids = all.map((_, i) => i).filter((i) => (all[i].write ? all[i].outcome === 'ok' || happened.has(i) : all[i].outcome === 'ok'));
  const n = all.length;
  const co: boolean[][] = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
  for (const a of ids) for (const b of ids) if (a < b && all[a].proc === all[b].proc) co[a][b] = true;
  for (const r of ids) {
    if (all[r].write || all[r].value === null) continue;
    const w = ids.find((v) => all[v].write && all[v].key === all[r].key && all[v].value === all[r].value);
    if (w === undefined) return no; // no serialization can make this read legal
    co[w][r] = true;
  }
  for (const k of ids) for (const a of ids) for (const b of ids) if (co[a][k] && co[k][b]) co[a][b] = true;
  if (ids.some((v) => co[v][v])) return no;
  const reads = ids.filter((v) => !all[v].write);
  const past = (o: number) => ids.filter((v) => v === o || co[v][o]);
  const poPast = (o: number) => ids.filter((v) => v === o || (all[v].proc === all[o].proc && v < o));
  // CC: every read is legal in some serialization of its causal past (other reads' outputs hidden).
  const cc = reads.every((o) => someLinearExtension(past(o), co, (seq) => legal(all, seq, o)));
  // CM: for every op o, some serialization of its causal past makes o and every read before it in program order legal.
  const cm = ids.every((o) => {
    const mine = poPast(o).filter((v) => !all[v].write);
    return someLinearExtension(past(o), co, (seq) => mine.every((r) => legal(all, seq, r)));
  });
  // CCv: one arbitration (a total order extending CO) such that every read returns the arbitration-last write of its key in its causal past.
  const ccv = someLinearExtension(ids, co, (arb) =>
    reads.every((o) => {
      const inPast = new Set(past(o));
      return legal(all, arb.filter((v) => v === o || inPast.has(v)), o);
    }),
  );
  return { cc, ccv, cm };
}

function brute(all: BOp[]): Verdicts {
  const uncertain = all.map((_, i) => i).filter((i) => all[i].write && (all[i].outcome === 'info' || all[i].outcome === 'open'));
  const out = { cc: false, ccv: false, cm: false };
  for (let mask = 0; mask < 1 << uncertain.length; mask++) {
    const v = bruteWith(all, new Set(uncertain.filter((_, j) => mask & (1 << j))));
    out.cc ||= v.cc;
    out.ccv ||= v.ccv;
    out.cm ||= v.cm;
  }
  return out;
}

const gen = (keys: number): fc.Arbitrary<Gen> =>
  fc.record({
    thread: fc.integer({ min: 0, max: 2 }),
    write: fc.boolean(),
    key: fc.integer({ min: 0, max: keys - 1 }),
    pick: fc.nat({ max: 60 }),
    outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'info', 'open', 'fail'),
  });

const historyArb = fc
  .integer({ min: 1, max: 2 })
  .chain((keys) => fc.tuple(fc.array(gen(keys), { minLength: 1, maxLength: 6 }), fc.constant(keys === 2 ? true : undefined), fc.boolean()))
  .map(([gens, twoKeys, keyedOne]) => build(gens, twoKeys ?? keyedOne));

describe('causal checker agrees with the definitions (brute force)', () => {
  it('on CC, CCv and CM for random histories of ≤ 3 processes, ≤ 6 ops, 1–2 keys', () => {
    const seen = { cc: [0, 0], ccv: [0, 0], cm: [0, 0] };
    const patterns = new Map<string, number>();
    fc.assert(
      fc.property(historyArb, ({ ops, history }) => {
        const want = brute(ops);
        const got = checkCausal(history);
        const verdicts = { cc: (got.cc as { valid: unknown }).valid, ccv: (got.ccv as { valid: unknown }).valid, cm: (got.cm as { valid: unknown }).valid };
        expect(verdicts).toEqual(want);
        for (const v of ['cc', 'ccv', 'cm'] as const) {
          seen[v][want[v] ? 1 : 0]++;
          const p = (got[v] as { pattern?: string }).pattern;
          if (p) patterns.set(p, (patterns.get(p) ?? 0) + 1);
        }
      }),
      { seed: 20170115, numRuns: 1500 },
    );
    // Every bad pattern of the paper that fits in 6 ops shows up (WriteHBInitRead needs more: below).
    expect([...patterns.keys()].sort()).toEqual(['CyclicCF', 'CyclicCO', 'CyclicHB', 'ThinAirRead', 'WriteCOInitRead', 'WriteCORead']);
    // Both verdicts occur for every variant, and the variants separate.
    for (const v of ['cc', 'ccv', 'cm'] as const) {
      expect(seen[v][0]).toBeGreaterThan(50);
      expect(seen[v][1]).toBeGreaterThan(50);
    }
  });

  it('on the paper\'s Fig. 2 histories with up to two random extra ops (7–10 ops), where CCv and CM separate', () => {
    // Random histories of 6 ops rarely hold the shapes that separate CCv from CM (Fig. 2(b) needs
    // 7 ops over 3 keys), so these start from each Fig. 2 history and add ops anywhere.
    type F = { t: number; w: boolean; k: number; of?: F };
    const W = (t: number, k: number): F => ({ t, w: true, k });
    const R = (t: number, k: number, of?: F): F => ({ t, w: false, k, of });
    const fig = (...ops: F[]) => ops;
    const [x, y, z] = [0, 1, 2];
    const figures: F[][] = [];
    { const w1 = W(0, x), w2 = W(1, x); figures.push(fig(w1, R(0, x, w2), w2, R(1, x, w1))); }
    { const wz = W(0, z), wx1 = W(0, x), wy = W(0, y), wx2 = W(1, x); figures.push(fig(wz, wx1, wy, wx2, R(1, z), R(1, y, wy), R(1, x, wx2))); }
    { const w1 = W(0, x), w2 = W(1, x); figures.push(fig(w1, w2, R(1, x, w1), R(1, x, w2))); }
    { const wx1 = W(0, x), wy1 = W(0, y), wx2 = W(1, x), wy2 = W(1, y); figures.push(fig(wx1, R(0, y), wy1, R(0, x, wx1), wx2, R(1, y), wy2, R(1, x, wx2))); }
    { const wx1 = W(0, x), wy = W(0, y), wx2 = W(1, x); figures.push(fig(wx1, wy, R(1, y, wy), wx2, R(2, x, wx2), R(2, x, wx1))); }
    const extra = fc.record({ at: fc.nat({ max: 20 }), t: fc.integer({ min: 0, max: 2 }), w: fc.boolean(), k: fc.integer({ min: 0, max: 2 }), pick: fc.nat({ max: 20 }) });
    const arb = fc.tuple(fc.integer({ min: 0, max: figures.length - 1 }), fc.array(extra, { maxLength: 2 }));
    let cmOnly = 0;
    let ccvOnly = 0;
    let hbInit = 0;
    fc.assert(
      fc.property(arb, ([which, extras]) => {
        const list = figures[which].slice();
        for (const e of extras) {
          const writes = list.filter((f) => f.w && f.k === e.k);
          const op: F = e.w ? W(e.t, e.k) : R(e.t, e.k, e.pick % (writes.length + 1) === 0 ? undefined : writes[(e.pick % (writes.length + 1)) - 1]);
          list.splice(e.at % (list.length + 1), 0, op);
        }
        const gens: Gen[] = list.map((f) => ({ thread: f.t, write: f.w, key: f.k, pick: 0, outcome: 'ok', ...(f.w ? {} : { ref: f.of ? list.indexOf(f.of) : -1 }) }));
        const { ops, history } = build(gens, true, false);
        const want = brute(ops);
        const got = checkCausal(history);
        expect({ cc: (got.cc as { valid: unknown }).valid, ccv: (got.ccv as { valid: unknown }).valid, cm: (got.cm as { valid: unknown }).valid }).toEqual(want);
        if (want.cm && !want.ccv) cmOnly++;
        if (want.ccv && !want.cm) ccvOnly++;
        if ((got.cm as { pattern?: string }).pattern === 'WriteHBInitRead') hbInit++;
      }),
      { seed: 20170118, numRuns: 600 },
    );
    expect(cmOnly).toBeGreaterThan(20);
    expect(ccvOnly).toBeGreaterThan(20);
    expect(hbInit).toBeGreaterThan(20);
  });

  it('on a history where HB_o needs a second application of its rule (the brute force says not CM)', () => {
    // As in test/causal.test.ts: p0: w(x,2) r(z,2) r(y,1) r(x,2); p1: r(v,1) w(z,1) w(x,1) w(y,1); p2: w(z,2) w(v,1).
    const [x, y, z, v] = [0, 1, 2, 3];
    const g = (thread: number, write: boolean, key: number, ref?: number): Gen => ({ thread, write, key, pick: 0, outcome: 'ok', ...(write ? {} : { ref }) });
    const gens = [g(0, true, x), g(0, false, z, 8), g(0, false, y, 7), g(0, false, x, 0), g(1, false, v, 9), g(1, true, z), g(1, true, x), g(1, true, y), g(2, true, z), g(2, true, v)];
    const { ops, history } = build(gens, true, false);
    const want = brute(ops);
    expect(want).toEqual({ cc: true, ccv: true, cm: false });
    const got = checkCausal(history, { variant: 'cm' });
    expect((got.cm as { pattern?: string }).pattern).toBe('CyclicHB');
  });
});
