// The linearizability checker agrees with a brute-force checker on thousands of small random
// histories (up to 12 invocations, several processes, failed and crashed ops), for several models;
// and its pruning rules and cache never change a verdict.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, resolveModel } from '../checker/linearizable/index.js';
import { prepare, Transitions } from '../checker/linearizable/prepare.js';
import { search } from '../checker/linearizable/search.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { bruteForceLinearizable } from './helpers/brute-force.js';
import { cutHistory } from './helpers/cut-history.js';

interface Step {
  proc: number;
  kind: number;
  a: number;
  b: number;
  out: number;
}

/** What each model's ops look like: an invocation's f and value, and an ok completion's value. */
const shapes: Record<string, { invoke(s: Step): { f: string; value: unknown }; complete(f: string, value: unknown, s: Step): unknown }> = {
  'cas-register': {
    invoke: (s) => (s.kind < 4 ? { f: 'read', value: null } : s.kind < 7 ? { f: 'write', value: s.a } : { f: 'cas', value: [s.a, s.b] }),
    complete: (f, v, s) => (f === 'read' ? (s.a === 3 ? null : s.a) : v),
  },
  register: {
    invoke: (s) => (s.kind < 5 ? { f: 'read', value: null } : { f: 'write', value: s.a }),
    complete: (f, v, s) => (f === 'read' ? (s.a === 3 ? null : s.a) : v),
  },
  mutex: {
    invoke: (s) => ({ f: s.kind < 5 ? 'acquire' : 'release', value: null }),
    complete: () => null,
  },
  counter: {
    invoke: (s) => (s.kind < 5 ? { f: 'read', value: null } : { f: 'add', value: s.a - 1 }),
    complete: (f, v, s) => (f === 'read' ? s.a + s.b - 2 : v),
  },
  set: {
    invoke: (s) => (s.kind < 4 ? { f: 'read', value: null } : { f: 'add', value: s.a }),
    complete: (f, v, s) => (f === 'read' ? [0, 1, 2].filter((x) => (s.b >> x) & 1 || x === s.a) : v),
  },
  'fifo-queue': {
    invoke: (s) => (s.kind < 5 ? { f: 'dequeue', value: null } : { f: 'enqueue', value: s.a }),
    complete: (f, v, s) => (f === 'dequeue' ? (s.a === 3 ? null : s.a) : v),
  },
  'unordered-queue': {
    invoke: (s) => (s.kind < 5 ? { f: 'dequeue', value: null } : { f: 'enqueue', value: s.a }),
    complete: (f, v, s) => (f === 'dequeue' ? (s.a === 3 ? null : s.a) : v),
  },
  // Porcupine's kv: gets return strings the appends and puts could (or could not) have built,
  // which is what the model's lookahead (a state must be a prefix of a later get) prunes on.
  kv: {
    invoke: (s) => (s.kind < 4 ? { f: 'get', value: null } : s.kind < 8 ? { f: 'append', value: 'abc'[s.a % 3] } : { f: 'put', value: ['', 'a', 'b', 'c'][s.a] }),
    complete: (f, v, s) => (f === 'get' ? ['', 'a', 'b', 'ab', 'ba', 'aab', 'bc', 'abc'][(s.a * 4 + s.b) % 8] : v),
  },
};

const steps = fc.array(
  fc.record({ proc: fc.nat({ max: 3 }), kind: fc.nat({ max: 9 }), a: fc.nat({ max: 3 }), b: fc.nat({ max: 3 }), out: fc.nat({ max: 9 }) }),
  { maxLength: 30 },
);

function build(model: string, ss: Step[]): Op[] {
  const shape = shapes[model];
  const ops: Op[] = [];
  const open = new Map<number, Op>();
  const pid = [0, 1, 2, 3];
  let invocations = 0;
  for (const s of ss) {
    const p = pid[s.proc];
    const o = open.get(p);
    if (!o) {
      if (invocations >= 12) continue;
      invocations++;
      const { f, value } = shape.invoke(s);
      const op = { index: ops.length, type: 'invoke', process: p, f, value } as Op;
      ops.push(op);
      open.set(p, op);
    } else {
      const type = s.out < 6 ? 'ok' : s.out < 8 ? 'fail' : 'info';
      const c = { index: ops.length, type, process: p, f: o.f, value: type === 'ok' ? shape.complete(o.f, o.value, s) : o.value } as Op;
      if (o.f === 'cas' && type === 'ok' && s.out % 2) c.result = false;
      ops.push(c);
      open.delete(p);
      if (type === 'info') pid[s.proc] += 4; // Jepsen: the thread continues as a new process
    }
  }
  return ops;
}

const runs: Record<string, number> = { 'cas-register': 1000, register: 300, mutex: 300, counter: 300, set: 300, 'fifo-queue': 300, 'unordered-queue': 300, kv: 500 };

describe('agreement with brute force', () => {
  for (const [model, numRuns] of Object.entries(runs)) {
    it(`${model}: ${numRuns} random histories`, async () => {
      const init = model === 'cas-register' || model === 'register' ? null : model === 'kv' ? '' : undefined;
      const m = resolveModel(model, init);
      let invalid = 0;
      await fc.assert(
        fc.asyncProperty(steps, async (ss) => {
          const h = new History(build(model, ss));
          const r = await checkLinearizable(h, model, { init });
          const expected = bruteForceLinearizable(h, m);
          expect(r.valid).toBe(expected);
          if (!expected) invalid++;
        }),
        { numRuns },
      );
      // both verdicts must actually occur, or the agreement proves little
      expect(invalid).toBeGreaterThan(numRuns / 20);
      expect(invalid).toBeLessThan(numRuns);
    });
  }
});

describe('the evidence of an invalid history', () => {
  // The failing op is found from where the decision search stopped, and trusted without a second
  // search when the ops pending there behave as in the whole history: either way, the history cut
  // just before it must be linearizable and the history through it not (by brute force).
  for (const model of ['cas-register', 'register', 'counter', 'fifo-queue', 'kv']) {
    it(`${model}: the history before the failing op linearizes, through it does not`, async () => {
      const init = model === 'cas-register' || model === 'register' ? null : model === 'kv' ? '' : undefined;
      const m = resolveModel(model, init);
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(steps, async (ss) => {
          const h = new History(build(model, ss));
          const r = await checkLinearizable(h, model, { init });
          if (r.valid !== false) return;
          checked++;
          const at = h.ops.findIndex((op) => op.index === (r.failure as { op: { completionIndex: number } }).op.completionIndex);
          expect(at).toBeGreaterThan(0);
          expect(bruteForceLinearizable(cutHistory(h, at), m)).toBe(true);
          expect(bruteForceLinearizable(cutHistory(h, at + 1), m)).toBe(false);
        }),
        { numRuns: 400 },
      );
      expect(checked).toBeGreaterThan(20);
    });
  }
});

describe('pruning never changes a verdict', () => {
  it('with and without the cache, its subsumption of unknown-outcome calls, the read-only rule and the dominance rule', () => {
    const m = resolveModel('cas-register', null);
    fc.assert(
      fc.property(steps, (ss) => {
        const h = new History(build('cas-register', ss));
        const p = prepare(h, m);
        const outcomes = [{}, { noCache: true }, { noReadOnlyRule: true }, { noDominanceRule: true }, { noSubsumption: true }].map(
          (o) => search(p, new Transitions(m, p.sigCalls), o).outcome,
        );
        expect(new Set(outcomes).size).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('kv: with and without the lookahead (Model.lookahead)', () => {
    const m = resolveModel('kv', '');
    let pruned = 0;
    fc.assert(
      fc.property(steps, (ss) => {
        const p = prepare(new History(build('kv', ss)), m);
        const withIt = search(p, new Transitions(m, p.sigCalls));
        const without = search(p, new Transitions(m, p.sigCalls), { noLookahead: true });
        expect(withIt.outcome).toBe(without.outcome);
        if (withIt.explored < without.explored) pruned++;
      }),
      { numRuns: 1000 },
    );
    expect(pruned).toBeGreaterThan(20); // it does prune
  });

  it('a search resumed after every few configurations (budget rounds, other searches in between) is the one search', () => {
    for (const [model, init] of [['cas-register', null], ['kv', '']] as const) {
      const m = resolveModel(model, init);
      let resumed = 0;
      fc.assert(
        fc.property(steps, steps, fc.integer({ min: 1, max: 3 }), (ss, other, k) => {
          const p = prepare(new History(build(model, ss)), m);
          const q = prepare(new History(build(model, other)), m);
          const once = search(p, new Transitions(m, p.sigCalls));
          const t = new Transitions(m, p.sigCalls);
          let budget = k;
          let r = search(p, t, { maxExplored: budget, resumable: true });
          let explored = r.explored;
          while (r.outcome === 'budget') {
            resumed++;
            search(q, new Transitions(m, q.sigCalls)); // reuses the pooled arrays and spare cache
            budget += k;
            r = search(p, t, { maxExplored: budget, resumable: true }, r.snapshot);
            explored += r.explored;
          }
          expect(r.outcome).toBe(once.outcome);
          expect(explored).toBe(once.explored);
          expect(r.blockedCall).toBe(once.blockedCall);
        }),
        { numRuns: 600 },
      );
      expect(resumed).toBeGreaterThan(20); // rounds resumed (~60–75 a run): the property is not vacuous
    }
  });

  it('kv, keyed, checked whole (the lookahead per key): the verdict of the per-key check', async () => {
    // Two keys: the first step's proc picks the key of each op, so keys interleave in real time.
    await fc.assert(
      fc.asyncProperty(steps, async (ss) => {
        const ops = build('kv', ss);
        const keyOf = new Map<number | string, number>();
        for (const op of ops) {
          if (op.type === 'invoke') keyOf.set(op.process, op.index % 2);
          (op as { key?: unknown }).key = `k${keyOf.get(op.process)}`;
        }
        const h = new History(ops);
        const whole = await checkLinearizable(h, 'kv', { init: '', partition: false, evidence: false });
        const perKey = await checkLinearizable(h, 'kv', { init: '', evidence: false });
        expect(whole.valid).toBe(perKey.valid);
      }),
      { numRuns: 500 },
    );
  });

  it('the cache prunes: a history with many concurrent writes explores far fewer configurations with it', () => {
    const ops: Op[] = [];
    for (let p = 0; p < 8; p++) ops.push({ index: ops.length, type: 'invoke', process: p, f: 'write', value: p } as Op);
    for (let p = 0; p < 8; p++) ops.push({ index: ops.length, type: 'ok', process: p, f: 'write', value: p } as Op);
    ops.push({ index: ops.length, type: 'invoke', process: 9, f: 'read', value: null } as Op, { index: ops.length + 1, type: 'ok', process: 9, f: 'read', value: 42 } as Op);
    const m = resolveModel('register', null);
    const p = prepare(new History(ops), m);
    const withCache = search(p, new Transitions(m, p.sigCalls));
    const without = search(p, new Transitions(m, p.sigCalls), { noCache: true });
    expect(withCache.outcome).toBe('not-linearizable');
    expect(without.outcome).toBe('not-linearizable');
    expect(withCache.explored * 20).toBeLessThan(without.explored);
  });
});
