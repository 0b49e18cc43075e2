// The counter checker: hand-built histories for each rule (exact bounds and op indices), info,
// failed and unfinished adds, negative increments, reads concurrent with adds, bad input, and a
// property against a brute-force checker that enumerates which uncertain adds happened.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counter, counterBounds, type CounterError } from '../checker/counter.js';
import type { Result } from '../checker/types.js';
import { HistoryError, InputError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { fail, info, inv, ok, specHistory, type Spec } from './helpers/spec-history.js';

const hist = (...ops: Spec[]): History => specHistory('counter.jsonl', ...ops);
const add = (p: number, d: number, outcome = ok): Spec[] => [inv(p, 'add', d), outcome(p, 'add', d)];
const read = (p: number, v: unknown): Spec[] => [inv(p, 'read', null), ok(p, 'read', v)];

const check = (h: History, options: Record<string, unknown> = {}): Promise<Result> => counter.check(h, { options });
const errs = (r: Result) => r.errors as CounterError[];
const bounds = (r: Result) => errs(r).map((e) => [e.index, e.value, e.lower, e.upper]);

describe('counter: sequential histories', () => {
  it('reads that see every acknowledged add are valid, negative increments included', async () => {
    const r = await check(hist(...read(0, 0), ...add(1, 5), ...read(0, 5), ...add(1, -7), ...read(0, -2), ...add(2, 0), ...read(0, -2)));
    expect(r).toMatchObject({ valid: true, reads: 4, errorCount: 0, errors: [], initial: 0 });
    expect(r.firstError).toBeUndefined();
  });

  it('a read above the count is invalid, with its bounds', async () => {
    const r = await check(hist(...add(1, 2), ...read(0, 2), ...read(0, 3)));
    expect(r.valid).toBe(false);
    expect(bounds(r)).toEqual([[5, 3, 2, 2]]);
    expect(r).toMatchObject({ firstError: 5, errorCount: 1, ops: [4, 5] });
    expect(r.explanation).toBe(
      'The read at index 5 (invoked at index 4) returned 3, above the most it could be, 2 (the counter was between 2 and 2 while it ran); it is the only bad read of 2 ok reads.',
    );
  });

  it('a read that misses an add acknowledged before it began is below the count', async () => {
    const r = await check(hist(...add(1, 5), ...add(1, -2), ...read(0, 5)));
    expect(bounds(r)).toEqual([[5, 5, 3, 3]]);
    expect(errs(r)[0].sentence).toMatch(/returned 5, above the most it could be, 3/);
    const low = await check(hist(...add(1, 5), ...read(0, 0)));
    expect(bounds(low)).toEqual([[3, 0, 5, 5]]);
    expect(errs(low)[0].sentence).toMatch(/returned 0, below the least it could be, 5/);
  });

  it('starts from the initial option', async () => {
    expect(await check(hist(...add(1, 1), ...read(0, 11)), { initial: 10 })).toMatchObject({ valid: true, initial: 10 });
    expect(bounds(await check(hist(...add(1, 1), ...read(0, 1)), { initial: 10 }))).toEqual([[3, 1, 11, 11]]);
    expect(await check(hist(...read(0, 3)), { initial: '3' })).toMatchObject({ valid: true });
    await expect(check(hist(...read(0, 3)), { initial: 'three' })).rejects.toThrow(InputError);
  });

  it('counts every bad read, keeps the first maxErrors', async () => {
    const r = await check(hist(...read(0, 1), ...read(0, 2), ...read(0, 0), ...read(0, 3)), { maxErrors: 2 });
    expect(r).toMatchObject({ errorCount: 3, firstError: 1, reads: 4 });
    expect(errs(r).map((e) => e.index)).toEqual([1, 3]);
    expect(r.explanation).toMatch(/; 3 of 4 ok reads are out of bounds\.$/);
  });

  it('is unknown with no ok read', async () => {
    expect(await check(hist(...add(0, 1), inv(1, 'read', null), fail(1, 'read', null)))).toMatchObject({ valid: 'unknown', reads: 0 });
  });
});

describe('counter: uncertain and concurrent adds', () => {
  // Process 1 adds 5 while process 0 reads: the read may or may not see it.
  const concurrent = (v: number, outcome = ok, d = 5) => hist(inv(1, 'add', d), inv(0, 'read', null), ok(0, 'read', v), outcome(1, 'add', d));

  it('a read concurrent with an add may see it or not', async () => {
    expect((await check(concurrent(0))).valid).toBe(true);
    expect((await check(concurrent(5))).valid).toBe(true);
    expect(bounds(await check(concurrent(6)))).toEqual([[2, 6, 0, 5]]);
    expect(bounds(await check(concurrent(-1)))).toEqual([[2, -1, 0, 5]]);
  });

  it('the bounds are an interval: a value between them is accepted even if no set of adds sums to it', async () => {
    const h = hist(inv(1, 'add', 5), inv(2, 'add', 5), ...read(0, 3), ok(1, 'add', 5), ok(2, 'add', 5));
    expect(await check(h)).toMatchObject({ valid: true });
    expect(bounds(await check(hist(inv(1, 'add', 5), inv(2, 'add', 5), ...read(0, 11), ok(1, 'add', 5), ok(2, 'add', 5))))).toEqual([[3, 11, 0, 10]]);
  });

  it('a concurrent negative add widens the bounds downward', async () => {
    expect((await check(concurrent(-3, ok, -3))).valid).toBe(true);
    expect((await check(concurrent(0, ok, -3))).valid).toBe(true);
    expect(bounds(await check(concurrent(-4, ok, -3)))).toEqual([[2, -4, -3, 0]]);
    expect(bounds(await check(concurrent(1, ok, -3)))).toEqual([[2, 1, -3, 0]]);
  });

  it('an add that completes exactly as the read is invoked is still concurrent; one acknowledged just before is certain', async () => {
    // Add ok at position 2, read invoked at 3: certain.
    expect(bounds(await check(hist(inv(1, 'add', 4), inv(2, 'add', 1), ok(1, 'add', 4), inv(0, 'read', null), ok(0, 'read', 0), ok(2, 'add', 1))))).toEqual([[4, 0, 4, 5]]);
    // Read invoked at 1, add ok at 2: may or may not count.
    expect((await check(hist(inv(1, 'add', 4), inv(0, 'read', null), ok(1, 'add', 4), ok(0, 'read', 0)))).valid).toBe(true);
    // Add invoked after the read completed: cannot count.
    expect(bounds(await check(hist(inv(0, 'read', null), ok(0, 'read', 4), ...add(1, 4))))).toEqual([[1, 4, 0, 0]]);
  });

  it('info and unfinished adds may count, from their invocation on; failed adds never count', async () => {
    for (const v of [0, 5]) {
      expect((await check(hist(...add(1, 5, info), ...read(0, v)))).valid).toBe(true);
      expect((await check(hist(inv(1, 'add', 5), ...read(0, v)))).valid).toBe(true);
    }
    expect(bounds(await check(hist(...add(1, -5, info), ...read(0, 1))))).toEqual([[3, 1, -5, 0]]);
    expect(bounds(await check(hist(...add(1, 5, fail), ...read(0, 5))))).toEqual([[3, 5, 0, 0]]);
    expect(bounds(await check(hist(...add(1, -5, fail), ...read(0, -5))))).toEqual([[3, -5, 0, 0]]);
    // An info add invoked after the read ended cannot count.
    expect(bounds(await check(hist(...read(0, 5), ...add(1, 5, info))))).toEqual([[1, 5, 0, 0]]);
  });

  it('mixes certain and uncertain adds of both signs', async () => {
    // Certain: +10, -3. Uncertain: +4 (info), -2 (concurrent ok). Failed: +100.
    const ops = [...add(1, 10), ...add(2, -3), ...add(3, 4, info), ...add(4, 100, fail), inv(5, 'add', -2), inv(0, 'read', null), ok(0, 'read', 99), ok(5, 'add', -2)];
    expect(bounds(await check(hist(...ops)))).toEqual([[10, 99, 5, 11]]);
  });

  it('ignores nemesis ops and ops of other fs', async () => {
    const h = hist(...add(1, 1), { type: 'info', process: 'nemesis' as unknown as number, f: 'kill', value: null }, ...add(2, 1), inv(3, 'cas', [1, 2]), ok(3, 'cas', [1, 2]), ...read(0, 2));
    expect(await check(h)).toMatchObject({ valid: true, reads: 1 });
  });
});

describe('counter: bad input', () => {
  it('a read whose value is a string is a HistoryError naming the line and field', async () => {
    const e = await check(hist(...add(1, 1), ...read(0, '1'))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HistoryError);
    expect((e as HistoryError).line).toBe(4);
    expect((e as HistoryError).message).toBe('counter.jsonl:4: value: an ok counter read must return a number, got "1"');
    await expect(check(hist(inv(0, 'read', null), ok(0, 'read')))).rejects.toThrow('counter.jsonl:2: value: an ok counter read must return a number, got null');
  });

  it('an add without a whole-number increment is a HistoryError at its invocation', async () => {
    await expect(check(hist(...read(0, 0), ...add(1, 1.5)))).rejects.toThrow('counter.jsonl:3: value: an add must carry a whole-number increment, got 1.5');
    await expect(check(hist(inv(1, 'add', null), ok(1, 'add', 'x'), ...read(0, 0)))).rejects.toThrow('counter.jsonl:2: value: an add must carry a whole-number increment, got "x"');
    // A missing increment on the invocation is taken from the completion.
    expect(await check(hist(inv(1, 'add', null), ok(1, 'add', 2), ...read(0, 2)))).toMatchObject({ valid: true });
  });
});

// ---- property: the bounds are exactly the least and most sums over which uncertain adds happened

type Outcome = 'ok' | 'fail' | 'info' | 'open';
interface Planned {
  isRead: boolean;
  delta: number;
  outcome: Outcome;
  readValue: number;
  a: number;
  b: number;
}

/** One process per op; op j is invoked at time 2·min(a,b) and completes at 2·max(a,b)+1. */
function layout(plan: Planned[]): { specs: Spec[]; invAt: number[]; doneAt: number[] } {
  const events: { t: number; j: number; done: boolean }[] = [];
  plan.forEach((p, j) => {
    events.push({ t: 2 * Math.min(p.a, p.b), j, done: false });
    if (p.outcome !== 'open') events.push({ t: 2 * Math.max(p.a, p.b) + 1, j, done: true });
  });
  events.sort((x, y) => x.t - y.t || x.j - y.j);
  const invAt = plan.map(() => -1);
  const doneAt = plan.map(() => Infinity);
  const specs = events.map((e, pos) => {
    const p = plan[e.j];
    const f = p.isRead ? 'read' : 'add';
    if (!e.done) {
      invAt[e.j] = pos;
      return inv(e.j, f, p.isRead ? null : p.delta);
    }
    doneAt[e.j] = pos;
    return { type: p.outcome as Spec['type'], process: e.j, f, value: p.isRead ? (p.outcome === 'ok' ? p.readValue : null) : p.delta };
  });
  return { specs, invAt, doneAt };
}

/** For each ok read (by op), every counter value some choice of the uncertain adds gives. */
function bruteForce(plan: Planned[], invAt: number[], doneAt: number[], initial: number): { j: number; min: number; max: number; reachable: Set<number> }[] {
  const out = [];
  for (let j = 0; j < plan.length; j++) {
    const r = plan[j];
    if (!r.isRead || r.outcome !== 'ok') continue;
    let certain = initial;
    const maybe: number[] = [];
    plan.forEach((a, k) => {
      if (a.isRead || a.outcome === 'fail') return;
      if (a.outcome === 'ok' && doneAt[k] < invAt[j]) certain += a.delta;
      else if (invAt[k] < doneAt[j]) maybe.push(a.delta);
    });
    const reachable = new Set<number>();
    for (let mask = 0; mask < 1 << maybe.length; mask++) {
      let s = certain;
      maybe.forEach((d, i) => (s += mask & (1 << i) ? d : 0));
      reachable.add(s);
    }
    out.push({ j, min: Math.min(...reachable), max: Math.max(...reachable), reachable });
  }
  return out;
}

const planned = fc.record({
  isRead: fc.boolean(),
  delta: fc.integer({ min: -3, max: 3 }),
  outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'fail', 'info', 'open'),
  readValue: fc.integer({ min: -3, max: 3 }),
  a: fc.nat(20),
  b: fc.nat(20),
});

describe('counter: property', () => {
  it('agrees with a brute-force enumeration of which uncertain adds happened', async () => {
    let invalid = 0;
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(planned, { maxLength: 10 }), fc.integer({ min: -2, max: 2 }), async (plan, initial) => {
        const { specs, invAt, doneAt } = layout(plan);
        const h = hist(...specs);
        const truth = bruteForce(plan, invAt, doneAt, initial);
        const b = counterBounds(h, initial);
        expect(b.reads.length).toBe(truth.length);
        // Reads are reported in completion order; match them by process (= op j).
        const byJ = new Map(Array.from(b.reads, (pos, r) => [h.ops[pos].process as number, r]));
        for (const t of truth) {
          const r = byJ.get(t.j)!;
          expect([b.lower[r], b.upper[r]]).toEqual([t.min, t.max]);
        }
        const res = await counter.check(h, { options: { initial } });
        const bad = truth.filter((t) => plan[t.j].readValue < t.min || plan[t.j].readValue > t.max).map((t) => doneAt[t.j]).sort((x, y) => x - y);
        if (truth.length === 0) expect(res.valid).toBe('unknown');
        else expect(res.valid).toBe(bad.length === 0);
        expect(errs(res).map((e) => e.index)).toEqual(bad);
        // A value some choice of adds explains is never flagged.
        for (const t of truth) if (t.reachable.has(plan[t.j].readValue)) expect(bad).not.toContain(doneAt[t.j]);
        if (res.valid === false) invalid++;
        if (res.valid === true) valid++;
      }),
      { seed: 7, numRuns: 400 },
    );
    // The generator reaches both verdicts often.
    expect(invalid).toBeGreaterThan(50);
    expect(valid).toBeGreaterThan(50);
  });
});
