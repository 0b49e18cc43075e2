// set and set-full: hand-built histories for each rule, the corpus row, and set-full's per-element
// classification against a brute-force reading of Jepsen's definitions on small random histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeSetFull, intervalString, set, setFull } from '../checker/set.js';
import { canonicalJson } from '../checker/linearizable/values.js';
import { HistoryError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import type { Op, OpType } from '../histories/op.js';
import { parseHistory, readHistoryFile } from '../histories/read.js';
import { verdictsMore } from './helpers/corpus.js';

/** [process, type, f, value, key?]: op i gets index i and time i ms (unless `untimed`). */
type Row = [number, OpType, string, unknown, unknown?];
function hist(rows: Row[], untimed = false): History {
  return new History(
    rows.map(([process, type, f, value, key], i) => ({
      index: i,
      ...(untimed ? {} : { time: i * 1e6 }),
      type,
      process,
      f,
      value,
      ...(key !== undefined ? { key } : {}),
    })),
  );
}

describe('set', () => {
  it('accepts a final read holding every acknowledged add; info adds found are recovered', async () => {
    const h = hist([
      [0, 'invoke', 'add', 0], [0, 'ok', 'add', 0],
      [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1],
      [1, 'invoke', 'add', 2], [1, 'info', 'add', 2],
      [2, 'invoke', 'add', 3], [2, 'fail', 'add', 3],
      [0, 'invoke', 'read', null], [0, 'ok', 'read', [1, 0, 2]],
    ]);
    const r = await set.check(h, {});
    expect(r).toMatchObject({
      valid: true, attemptCount: 4, acknowledgedCount: 2, okCount: 3, lostCount: 0, recoveredCount: 1, unexpectedCount: 0,
      ok: '#{0..2}', lost: '#{}', recovered: '#{2}', unexpected: '#{}', finalReads: [9],
    });
  });

  it('reports an acknowledged add missing from the last ok read as lost, with its ops', async () => {
    const h = hist([
      [0, 'invoke', 'add', 0], [0, 'ok', 'add', 0],
      [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [0, 1]], // an earlier read does not count
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [0]],
      [1, 'invoke', 'read', null], [1, 'fail', 'read', null], // nor does a failed one
    ]);
    const r = await set.check(h, {});
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ lostCount: 1, lost: '#{1}', okCount: 1, finalReads: [7], lostExamples: [{ element: 1, add: 3, finalRead: 7 }] });
    expect(r.ops).toEqual([3, 7]);
    expect(r.explanation).toBe(
      '1 acknowledged add is missing from the final read: the add of 1 completed ok at index 3, but the final read (index 7) does not hold it.',
    );
  });

  it('reports elements no add tried as unexpected', async () => {
    const h = hist([
      [0, 'invoke', 'add', 'a'], [0, 'ok', 'add', 'a'],
      [0, 'invoke', 'read', null], [0, 'ok', 'read', ['a', 'z', 'z', { x: 1 }]],
    ]);
    const r = await set.check(h, {});
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({ unexpectedCount: 2, unexpected: '#{"z" {"x":1}}', unexpectedExamples: [{ element: 'z', read: 3 }, { element: { x: 1 }, read: 3 }] });
    expect(r.ops).toEqual([3]);
    expect(r.explanation).toContain('The final read (index 3) holds 2 elements no add ever tried, e.g. "z"');
  });

  it('is unknown when the set was never read', async () => {
    const r = await set.check(hist([[0, 'invoke', 'add', 0], [0, 'ok', 'add', 0]]), {});
    expect(r).toMatchObject({ valid: 'unknown', acknowledgedCount: 1 });
  });

  it('checks each key on its own', async () => {
    const h = hist([
      [0, 'invoke', 'add', 1, 'a'], [0, 'ok', 'add', 1, 'a'],
      [0, 'invoke', 'add', 1, 'b'], [0, 'ok', 'add', 1, 'b'],
      [0, 'invoke', 'read', null, 'a'], [0, 'ok', 'read', [1], 'a'],
      [0, 'invoke', 'read', null, 'b'], [0, 'ok', 'read', [], 'b'],
    ]);
    const r = await set.check(h, {});
    expect(r).toMatchObject({ valid: false, lostCount: 1, okCount: 1, lostExamples: [{ key: 'b', element: 1, add: 3, finalRead: 7 }] });
    expect(r.explanation).toContain('the add of 1 (key b) completed ok at index 3');
  });

  it('rejects a read whose value is not a list, naming the line', async () => {
    const text = [
      '{"type":"invoke","process":0,"f":"read","value":null}',
      '{"type":"ok","process":0,"f":"read","value":5}',
    ].join('\n');
    const h = parseHistory(text, 'jsonl', 'bad.jsonl');
    await expect(set.check(h, {})).rejects.toThrow(HistoryError);
    await expect(set.check(h, {})).rejects.toThrow('bad.jsonl:2: value: a read must be a list of elements, got 5');
  });

  it('renders integer runs as Jepsen does', () => {
    expect(intervalString([5, 1, 2, 3, 9, 'x', 7, 8])).toBe('#{1..3 5 7..9 "x"}');
    expect(intervalString([1, 3, 5], 2)).toBe('#{1 3 …}');
  });

  const row = verdictsMore.find((r) => r.checker === 'set');
  it(`corpus: ${row?.file} is ${row?.expected}`, async () => {
    expect(row).toBeDefined();
    const { history } = await readHistoryFile(row!.path);
    expect(history.invocationCount).toBe(row!.ops);
    const r = await set.check(history, { file: row!.file });
    expect(r.valid).toBe(row!.expected === 'valid');
    expect(r).toMatchObject({ attemptCount: 3, acknowledgedCount: 3, okCount: 3, lostCount: 0, ok: '#{0..2}' });
    // The same history read many times is fine for set-full too.
    const full = await setFull.check(history, {});
    expect(full).toMatchObject({ valid: true, stableCount: 3, staleCount: 0, lostCount: 0, neverReadCount: 0, latencyUnit: 'ms' });
  });
});

describe('set-full', () => {
  it('stable elements, no stale reads: valid, latencies 0', async () => {
    const h = hist([
      [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [1]],
      [0, 'invoke', 'add', 2], [1, 'invoke', 'read', null], [1, 'ok', 'read', [1]], [0, 'ok', 'add', 2], // concurrent read misses 2: fine
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [2, 1]],
    ]);
    const r = await setFull.check(h, {});
    expect(r).toMatchObject({
      valid: true, attemptCount: 2, stableCount: 2, staleCount: 0, lostCount: 0, neverReadCount: 0, duplicatedCount: 0,
      worstStaleness: 0, latencyUnit: 'ms', stableLatencies: { count: 2, min: 0, p50: 0, max: 0 }, worstStale: [],
    });
    expect(r.explanation).toBeUndefined();
  });

  const staleHistory = () =>
    hist([
      [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1], // known at index 1 (1 ms)
      [1, 'invoke', 'read', null], [1, 'ok', 'read', []], // begun after: stale
      [1, 'invoke', 'read', null], [1, 'ok', 'read', []], // last miss: begun at 4 ms
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [1]],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [1]],
    ]);

  it('a read begun after the add completed that misses it makes the element stale, still valid', async () => {
    const r = await setFull.check(staleHistory(), {});
    expect(r).toMatchObject({
      valid: true, stableCount: 1, staleCount: 1, stale: [1], worstStaleness: 3,
      worstStale: [{ element: 1, add: 0, known: 1, lastMissedBy: 5, stableFrom: 7, latency: 3 }],
      stableLatencies: { count: 1, min: 3, max: 3 },
    });
  });

  it('with linearizable: true a stale element is invalid, with the reads as evidence', async () => {
    const r = await setFull.check(staleHistory(), { options: { linearizable: true } });
    expect(r.valid).toBe(false);
    expect(r.ops).toEqual([0, 1, 5, 7]);
    expect(r.explanation).toBe(
      'The read at index 5 began after 1 was known (index 1) yet does not hold it, 3 ms later — 1 stale element, which a linearizable set forbids.',
    );
    await expect(setFull.check(staleHistory(), { options: { linearizable: 'yes' } })).rejects.toThrow('set-full option linearizable');
  });

  it('an element seen and then missing from the last read is lost', async () => {
    const h = hist([
      [0, 'invoke', 'add', 7], [0, 'ok', 'add', 7],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [7]],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', []],
      [0, 'invoke', 'add', 8], [0, 'ok', 'add', 8],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [8]],
    ]);
    const r = await setFull.check(h, {});
    expect(r).toMatchObject({
      valid: false, lostCount: 1, stableCount: 1, lost: [7],
      lostExamples: [{ element: 7, add: 0, known: 1, lastSeen: 3, missingFrom: 9, latency: 1 }],
      lostLatencies: { count: 1, max: 1 },
    });
    expect(r.ops).toEqual([0, 1, 3, 9]);
    expect(r.explanation).toBe(
      '7 was acknowledged at index 1, but the last read (index 9), begun after that, does not hold it (last seen by the read at index 3) — 1 element lost.',
    );
  });

  it('an acknowledged element never seen by a later read is lost (latency 0); one only seen by a read is known from it', async () => {
    const h = hist([
      [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1],
      [1, 'invoke', 'add', 2], [1, 'info', 'add', 2], // unknown outcome…
      [2, 'invoke', 'read', null], [2, 'ok', 'read', [2]], // …but seen: known here
      [2, 'invoke', 'read', null], [2, 'ok', 'read', []],
    ]);
    const r = await setFull.check(h, {});
    expect(r).toMatchObject({
      valid: false, lostCount: 2,
      lostExamples: [
        { element: 1, add: 0, known: 1, lastSeen: null, missingFrom: 7, latency: 0 },
        { element: 2, add: 2, known: 5, lastSeen: 5, missingFrom: 7, latency: 0 }, // seen by a read begun before it was known
      ],
    });
    expect(r.explanation).toMatch(/^1 was acknowledged at index 1, but the last read \(index 7\), begun after that, does not hold it — 2 elements lost\.$/);
  });

  it('never-read: no read after the add, a crashed add never seen, a missing read concurrent with the add', async () => {
    const h = hist([
      [3, 'invoke', 'read', null], [3, 'ok', 'read', [9]], // 9 is added only after this read: not counted
      [1, 'invoke', 'read', null], // concurrent with the add of 3
      [0, 'invoke', 'add', 3],
      [1, 'ok', 'read', []],
      [0, 'ok', 'add', 3],
      [2, 'invoke', 'add', 4], [2, 'info', 'add', 4],
      [4, 'invoke', 'add', 9], [4, 'ok', 'add', 9],
    ]);
    const r = await setFull.check(h, {});
    // 3: its last (only) relevant read was concurrent with it. 4: crashed, absent. 9: no read after it.
    expect(r).toMatchObject({ valid: 'unknown', neverReadCount: 3, neverRead: [3, 4, 9], stableCount: 0, lostCount: 0, unexpectedCount: 0 });
    expect(r.explanation).toBe('No element was ever read after its add completed (none is stable), so nothing could be confirmed.');
  });

  it('an add invoked after the last read began is judged by the reads still in flight', async () => {
    const h = hist([
      [1, 'invoke', 'read', null],
      [0, 'invoke', 'add', 5], [0, 'ok', 'add', 5],
      [1, 'ok', 'read', [5]],
    ]);
    expect(await setFull.check(h, {})).toMatchObject({ valid: true, stableCount: 1, staleCount: 0 });
  });

  it('duplicates and unexpected elements are invalid', async () => {
    const h = hist([
      [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [1, 1, 1, 'ghost']],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [1, 'ghost']],
    ]);
    const r = await setFull.check(h, {});
    expect(r).toMatchObject({
      valid: false, stableCount: 1, duplicatedCount: 1, duplicated: [1], duplicatedExamples: [{ element: 1, read: 3, times: 3 }],
      unexpectedCount: 1, unexpectedExamples: [{ element: 'ghost', read: 3, count: 2 }],
    });
    expect(r.ops).toEqual([3]);
    expect(r.explanation).toBe(
      'The read at index 3 holds 1 3 times — 1 element duplicated; the read at index 3 holds "ghost", which no add ever tried — 1 unexpected element.',
    );
  });

  it('counts distinct unexpected elements past the examples it keeps', async () => {
    const ghosts = Array.from({ length: 150 }, (_, i) => `g${i}`);
    const h = hist([
      [1, 'invoke', 'read', null], [1, 'ok', 'read', ghosts],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [...ghosts].reverse()],
    ]);
    const r = await setFull.check(h, {});
    expect(r).toMatchObject({ valid: false, unexpectedCount: 150, attemptCount: 0 });
    expect((r.unexpectedExamples as unknown[]).length).toBe(8);
  });

  it('without times, latencies are in op positions and the result says so', async () => {
    const rows: Row[] = [
      [0, 'invoke', 'add', 1], [0, 'ok', 'add', 1],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', []],
      [1, 'invoke', 'read', null], [1, 'ok', 'read', [1]],
    ];
    const r = await setFull.check(hist(rows, true), {});
    expect(r).toMatchObject({ valid: true, staleCount: 1, latencyUnit: 'ops', worstStaleness: 1 });
    expect(r.note).toMatch(/op positions/);
  });

  it('keys are separate sets', async () => {
    const h = hist([
      [0, 'invoke', 'add', 1, 'a'], [0, 'ok', 'add', 1, 'a'],
      [0, 'invoke', 'add', 1, 'b'], [0, 'ok', 'add', 1, 'b'],
      [1, 'invoke', 'read', null, 'a'], [1, 'ok', 'read', [1], 'a'],
      [1, 'invoke', 'read', null, 'b'], [1, 'ok', 'read', [], 'b'],
    ]);
    const r = await setFull.check(h, {});
    expect(r).toMatchObject({ valid: false, stableCount: 1, lostCount: 1, lost: [{ key: 'b', element: 1 }] });
    expect(r.explanation).toContain('1 (key b) was acknowledged at index 3');
  });

  it('rejects an ok read whose value is not a list', async () => {
    const h = hist([[0, 'invoke', 'read', null], [0, 'ok', 'read', 'abc']]);
    await expect(setFull.check(h, {})).rejects.toThrow('value: an ok read must be a list of elements, got "abc"');
  });
});

// ---------------------------------------------------------------------------------------------
// Property: the fast analysis agrees with Jepsen's definitions applied element by element.

interface Truth {
  outcome: 'stable' | 'lost' | 'never-read';
  stale: boolean;
  latency: number;
  multiplicity: number;
}

/** Jepsen's set-full definitions, read literally: every read against every element. */
function bruteSetFull(ops: Op[]): Map<string, Truth> {
  const pending = new Map<number, number>();
  const pairOf = new Map<number, number>();
  ops.forEach((op, i) => {
    if (op.type === 'invoke') pending.set(op.process as number, i);
    else {
      const inv = pending.get(op.process as number)!;
      pending.delete(op.process as number);
      pairOf.set(inv, i);
      pairOf.set(i, inv);
    }
  });
  const id = (key: unknown, v: unknown) => canonicalJson([key ?? null, v]);
  const reads = ops.flatMap((op, i) => (op.f === 'read' && op.type === 'ok' ? [{ inv: pairOf.get(i)!, comp: i, key: op.key, value: op.value as unknown[] }] : []));
  const adds = new Map<string, { key: unknown; value: unknown; inv: number; oks: number[] }>();
  ops.forEach((op, i) => {
    if (op.f !== 'add') return;
    if (op.type === 'invoke') {
      const k = id(op.key, op.value);
      if (!adds.has(k)) adds.set(k, { key: op.key, value: op.value, inv: i, oks: [] });
    } else if (op.type === 'ok') {
      const inv = ops[pairOf.get(i)!];
      adds.get(id(inv.key, inv.value))!.oks.push(i);
    }
  });
  const out = new Map<string, Truth>();
  for (const [k, a] of adds) {
    const holds = (r: (typeof reads)[number]) => r.value.some((x) => id(r.key, x) === k);
    const mine = reads.filter((r) => id(r.key, a.value) === k);
    const multiplicity = Math.max(0, ...mine.map((r) => r.value.filter((x) => id(r.key, x) === k).length));
    const relevant = mine.filter((r) => r.comp > a.inv);
    const known = Math.min(...a.oks, ...relevant.filter(holds).map((r) => r.comp));
    let outcome: Truth['outcome'] = 'never-read';
    let stale = false;
    let latency = 0;
    if (relevant.length) {
      const top = relevant.reduce((x, y) => (y.inv > x.inv ? y : x));
      if (holds(top)) {
        outcome = 'stable';
        const misses = relevant.filter((r) => !holds(r));
        stale = misses.some((r) => r.inv > known);
        if (stale) latency = (ops[Math.max(...misses.map((r) => r.inv))].time as number) - (ops[known].time as number);
      } else if (known < top.inv) {
        outcome = 'lost';
        const seen = relevant.filter(holds);
        if (seen.length) latency = Math.max(0, (ops[Math.max(...seen.map((r) => r.inv))].time as number) - (ops[known].time as number));
      }
    }
    out.set(k, { outcome, stale, latency: latency / 1e6, multiplicity });
  }
  return out;
}

interface Step {
  proc: number;
  read: boolean;
  element: number;
  key: number;
  outcome: number;
  subset: number;
  dup: number;
  mode: number;
  dt: number;
}

const stepArb = fc.record({
  proc: fc.integer({ min: 0, max: 3 }),
  read: fc.boolean(),
  element: fc.integer({ min: 0, max: 9 }),
  key: fc.integer({ min: 0, max: 1 }),
  outcome: fc.integer({ min: 0, max: 9 }),
  subset: fc.integer({ min: 0, max: 2047 }),
  dup: fc.integer({ min: 0, max: 15 }),
  mode: fc.integer({ min: 0, max: 7 }),
  dt: fc.integer({ min: 0, max: 3 }),
});

/** A well-formed history from random steps: at most one op in flight per process, info retires it. */
function build(steps: Step[], keyed: boolean): Op[] {
  const ops: Op[] = [];
  const procNo = [0, 1, 2, 3];
  const open: (Op | null)[] = [null, null, null, null];
  const addedByKey = new Map<unknown, number[]>();
  let time = 0;
  const push = (o: Omit<Op, 'index' | 'time'>) => ops.push({ index: ops.length, time: (time += 1e6), ...o } as Op);
  const complete = (p: number, s: Step) => {
    const inv = open[p]!;
    open[p] = null;
    const type: OpType = s.outcome < 7 ? 'ok' : s.outcome < 9 ? 'info' : 'fail';
    let value = inv.value;
    if (inv.f === 'read' && type === 'ok') {
      // What was added so far to this key (modes 0-3: all of it; 4-5: some dropped; 6: all but the
      // newest), or (7) any subset of 0..10 (10 is never added: unexpected); sometimes a duplicate.
      const added = addedByKey.get(inv.key) ?? [];
      let v: number[];
      if (s.mode < 4) v = [...added];
      else if (s.mode < 6) v = added.filter((_, i) => !(s.subset & (1 << i)));
      else if (s.mode === 6) v = added.slice(0, -1);
      else {
        v = [];
        for (let b = 0; b < 11; b++) if (s.subset & (1 << b)) v.push(b);
      }
      if (s.dup === 0 && v.length) v.push(v[0]);
      value = v;
    }
    push({ type, process: inv.process, f: inv.f, value, ...(inv.key !== undefined ? { key: inv.key } : {}) });
    if (type === 'info') procNo[p] += 4;
  };
  for (const s of steps) {
    const p = s.proc;
    time += s.dt * 1e6;
    if (open[p]) complete(p, s);
    else {
      const key = keyed ? (s.key ? 'b' : 'a') : undefined;
      const op = { type: 'invoke' as const, process: procNo[p], f: s.read ? 'read' : 'add', value: s.read ? null : s.element, ...(key ? { key } : {}) };
      push(op);
      open[p] = ops[ops.length - 1];
      if (!s.read) {
        const added = addedByKey.get(key) ?? [];
        if (!added.includes(s.element)) added.push(s.element);
        addedByKey.set(key, added);
      }
    }
  }
  // Leave some ops open: a history may end with invocations in flight.
  return ops;
}

describe('set-full agrees with a brute-force reading of its definitions', () => {
  for (const keyed of [false, true]) {
    it(`on small random histories${keyed ? ' with two keys' : ''}`, async () => {
      const seen = { stable: 0, lost: 0, neverRead: 0, stale: 0, duplicated: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 50, size: 'max' }), async (steps) => {
          const ops = build(steps, keyed);
          const h = new History(ops);
          const truth = bruteSetFull(ops);
          const a = analyzeSetFull(h);
          expect(a.index.size).toBe(truth.size);
          const names = ['stable', 'lost', 'never-read'];
          for (let e = 0; e < a.index.size; e++) {
            const key = a.index.keys[a.index.keyOfElement[e]];
            const t = truth.get(canonicalJson([key ?? null, a.index.values[e]]))!;
            const got = { outcome: names[a.outcome[e]], stale: a.stale[e] === 1, latency: a.latency[e], multiplicity: a.multiplicity[e] };
            expect(got).toEqual(t);
          }
          const r = await setFull.check(h, {});
          const counts = { stable: 0, lost: 0, 'never-read': 0 };
          let stale = 0;
          for (const t of truth.values()) {
            counts[t.outcome]++;
            if (t.stale) stale++;
          }
          expect([r.stableCount, r.lostCount, r.neverReadCount, r.staleCount]).toEqual([counts.stable, counts.lost, counts['never-read'], stale]);
          seen.stable += counts.stable;
          seen.lost += counts.lost;
          seen.neverRead += counts['never-read'];
          seen.stale += stale;
          for (const t of truth.values()) if (t.multiplicity > 1) seen.duplicated++;
        }),
        { seed: keyed ? 4242 : 1717, numRuns: 1000 },
      );
      // Every outcome turns up often enough for the agreement to mean something.
      for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(100);
    });
  }
});
