// The built-in store's causality and CRDT structures: vector clocks against a brute-force
// happened-before, join laws (commutative, associative, idempotent) for each CRDT and for
// version-vector sibling sets over states reached by random replica histories, and the OR-set's
// add-wins and observed-remove cases by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../base/json.js';
import { GCounter, ORSet, PNCounter, crdtFromJson, joinCrdt, type Crdt, type CrdtName } from '../targets/builtin/crdt.js';
import * as vc from '../targets/builtin/vector-clock.js';
import * as vv from '../targets/builtin/version-vector.js';

const A = vc.actorId('test-a');
const B = vc.actorId('test-b');
const C = vc.actorId('test-c');
const ACTORS = [A, B, C];

const enc = (c: Crdt) => canonicalJson(c.toJson());

// ---------------------------------------------------------------------------------------------
// Vector clocks

type Event = { kind: 'local' } | { kind: 'send' } | { kind: 'recv'; from: number };

describe('vector clocks', () => {
  it('increment, merge and compare on a hand-built case', () => {
    const a1 = vc.increment(vc.emptyClock(), A);
    const a2 = vc.increment(a1, A);
    const b1 = vc.increment(vc.emptyClock(), B);
    expect(vc.compare(a1, a2)).toBe('before');
    expect(vc.compare(a2, a1)).toBe('after');
    expect(vc.compare(a2, b1)).toBe('concurrent');
    expect(vc.compare(a1, vc.increment(vc.emptyClock(), A))).toBe('equal');
    const m = vc.merge(a2, b1);
    expect(vc.toJson(m)).toEqual({ 'test-a': 2, 'test-b': 1 });
    expect(vc.compare(m, a2)).toBe('after');
    expect(vc.dominates(m, b1)).toBe(true);
    expect(vc.dominates(b1, m)).toBe(false);
    // Arguments are never changed.
    expect(vc.toJson(a1)).toEqual({ 'test-a': 1 });
  });

  it('JSON round trip, and a malformed clock names the bad entry', () => {
    const c = vc.increment(vc.increment(vc.increment(vc.emptyClock(), C), A), C);
    expect(vc.equals(vc.fromJson(JSON.parse(JSON.stringify(vc.toJson(c))), 'c'), c)).toBe(true);
    expect(Object.keys(vc.toJson(c))).toEqual(['test-a', 'test-c']);
    expect(() => vc.fromJson({ x: -1 }, 'msg.context')).toThrow(/msg\.context: counter of actor "x"/);
    expect(() => vc.fromJson([1], 'msg.context')).toThrow(/msg\.context/);
  });

  it('compare agrees with a brute-force happened-before on random message-passing runs', () => {
    const processes = 3;
    const eventArb = fc.array(
      fc.record({ p: fc.nat({ max: processes - 1 }), kind: fc.constantFrom('local', 'send', 'recv') }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(eventArb, fc.array(fc.nat(), { maxLength: 40 }), (raw, picks) => {
        // Run the events: each gets a clock by the usual rules, and explicit edges for the brute force.
        const clocks: vc.VectorClock[] = [];
        const preds: number[][] = [];
        const last = new Array<number>(processes).fill(-1);
        const local = new Array<vc.VectorClock>(processes).fill(vc.emptyClock());
        const inFlight: number[] = []; // send events not yet received
        const actors = Array.from({ length: processes }, (_, i) => vc.actorId(`hb-${i}`));
        let pick = 0;
        for (const r of raw) {
          let ev: Event;
          if (r.kind === 'recv' && inFlight.length > 0) {
            // Deliver one of the messages in flight, in any order.
            const at = (picks.length ? picks[pick++ % picks.length] : 0) % inFlight.length;
            ev = { kind: 'recv', from: inFlight.splice(at, 1)[0] };
          } else ev = { kind: r.kind === 'recv' ? 'local' : r.kind };
          const id = clocks.length;
          const p: number[] = [];
          if (last[r.p] >= 0) p.push(last[r.p]);
          let c = local[r.p];
          if (ev.kind === 'recv') {
            p.push(ev.from);
            c = vc.merge(c, clocks[ev.from]);
          }
          c = vc.increment(c, actors[r.p]);
          local[r.p] = c;
          last[r.p] = id;
          clocks.push(c);
          preds.push(p);
          if (ev.kind === 'send') inFlight.push(id);
        }
        const reach = (from: number, to: number): boolean => {
          // Is `from` a (transitive) predecessor of `to`?
          const seen = new Set<number>();
          const stack = [to];
          while (stack.length) {
            const v = stack.pop()!;
            for (const u of preds[v]) {
              if (u === from) return true;
              if (!seen.has(u)) {
                seen.add(u);
                stack.push(u);
              }
            }
          }
          return false;
        };
        for (let i = 0; i < clocks.length; i++) {
          for (let j = 0; j < clocks.length; j++) {
            const expected = i === j ? 'equal' : reach(i, j) ? 'before' : reach(j, i) ? 'after' : 'concurrent';
            if (vc.compare(clocks[i], clocks[j]) !== expected) return false;
          }
        }
        return true;
      }),
      { seed: 6001, numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Random replica histories: states reached by updates and merges, for the join laws

type Step = { kind: 'update'; replica: number; amount: number; element: number; remove: boolean } | { kind: 'merge'; into: number; from: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('update' as const), replica: fc.nat({ max: 2 }), amount: fc.integer({ min: -5, max: 9 }), element: fc.nat({ max: 5 }), remove: fc.boolean() }),
  fc.record({ kind: fc.constant('merge' as const), into: fc.nat({ max: 2 }), from: fc.nat({ max: 2 }) }),
);

function emptyOf(name: CrdtName): Crdt {
  return name === 'g-counter' ? GCounter.empty() : name === 'pn-counter' ? PNCounter.empty() : ORSet.empty();
}

function clone(c: Crdt): Crdt {
  return c.clone();
}

/** Every state the replicas pass through (snapshots), and the replicas' final states. */
function run(name: CrdtName, steps: Step[]): { pool: Crdt[]; replicas: Crdt[] } {
  const replicas = [emptyOf(name), emptyOf(name), emptyOf(name)];
  const pool: Crdt[] = [clone(replicas[0])];
  for (const s of steps) {
    if (s.kind === 'update') {
      const r = replicas[s.replica];
      const actor = ACTORS[s.replica];
      if (r instanceof GCounter) r.add(actor, Math.abs(s.amount));
      else if (r instanceof PNCounter) r.add(actor, s.amount);
      else if (s.remove) r.remove(s.element);
      else r.add(actor, s.element);
      pool.push(clone(r));
    } else {
      replicas[s.into] = joinCrdt(replicas[s.into], replicas[s.from]);
      pool.push(clone(replicas[s.into]));
    }
  }
  return { pool, replicas };
}

describe.each(['g-counter', 'pn-counter', 'or-set'] as const)('%s', (name) => {
  const arb = fc.tuple(fc.array(stepArb, { maxLength: 30 }), fc.nat(), fc.nat(), fc.nat());

  it('join is commutative, associative and idempotent on reachable states', () => {
    fc.assert(
      fc.property(arb, ([steps, i, j, k]) => {
        const { pool } = run(name, steps);
        const a = pool[i % pool.length];
        const b = pool[j % pool.length];
        const c = pool[k % pool.length];
        expect(enc(joinCrdt(a, b))).toBe(enc(joinCrdt(b, a)));
        expect(enc(joinCrdt(joinCrdt(a, b), c))).toBe(enc(joinCrdt(a, joinCrdt(b, c))));
        expect(enc(joinCrdt(a, a))).toBe(enc(a));
        // Joining never changes its arguments.
        const before = enc(a);
        joinCrdt(a, b);
        expect(enc(a)).toBe(before);
      }),
      { seed: 6002, numRuns: 300 },
    );
  });

  it('the JSON encoding round-trips through JSON text and is the same for equal states', () => {
    fc.assert(
      fc.property(arb, ([steps, i]) => {
        const { pool } = run(name, steps);
        const a = pool[i % pool.length];
        const back = crdtFromJson(name, JSON.parse(JSON.stringify(a.toJson())), 'state');
        expect(JSON.stringify(back.toJson())).toBe(JSON.stringify(a.toJson()));
        expect(JSON.stringify(a.toJson())).toBe(canonicalJson(a.toJson()));
      }),
      { seed: 6003, numRuns: 100 },
    );
  });

  it('replicas that exchange everything agree, and counters lose no increment', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const { replicas } = run(name, steps);
        const all = replicas.reduce((x, y) => joinCrdt(x, y));
        const joined = replicas.map((r) => joinCrdt(r, all));
        for (const r of joined) expect(enc(r)).toBe(enc(joined[0]));
        const updates = steps.filter((s): s is Extract<Step, { kind: 'update' }> => s.kind === 'update');
        if (name === 'g-counter') expect(joined[0].value()).toBe(updates.reduce((t, s) => t + Math.abs(s.amount), 0));
        if (name === 'pn-counter') expect(joined[0].value()).toBe(updates.reduce((t, s) => t + s.amount, 0));
      }),
      { seed: 6004, numRuns: 200 },
    );
  });
});

describe('counters by hand', () => {
  it('a G-Counter refuses a negative add and keeps its value', () => {
    const g = GCounter.empty().add(A, 3);
    expect(() => g.add(A, -1)).toThrow(/G-Counter only grows/);
    expect(g.value()).toBe(3);
  });

  it('concurrent increments at different actors all count; a re-delivered state counts once', () => {
    const a = PNCounter.empty().add(A, 5);
    const b = PNCounter.empty().add(B, -2).add(B, 10);
    const ab = PNCounter.join(a, b);
    expect(ab.value()).toBe(13);
    expect(PNCounter.join(ab, b).value()).toBe(13);
  });

  it('a malformed state says what is wrong and where', () => {
    expect(() => GCounter.fromJson({ type: 'g-counter', p: { x: -3 } }, 'state of key k')).toThrow(/state of key k\.p\.x: must be a finite number >= 0/);
    expect(() => PNCounter.fromJson({ type: 'g-counter', p: {} }, 'st')).toThrow(/st: expected a pn-counter state/);
    expect(() => ORSet.fromJson({ type: 'or-set', context: {}, elements: [{ element: 1, dots: [['test-a', 1]] }] }, 'st')).toThrow(/not in the set's context/);
  });
});

// ---------------------------------------------------------------------------------------------
// OR-set semantics by hand

describe('OR-set', () => {
  it('add wins over a concurrent remove', () => {
    const a = ORSet.empty().add(A, 'x');
    const b = ORSet.join(ORSet.empty(), a); // b has seen a's add
    b.remove('x');
    a.add(A, 'x'); // re-added concurrently with b's remove
    expect(ORSet.join(a, b).value()).toEqual(['x']);
    expect(ORSet.join(b, a).value()).toEqual(['x']);
  });

  it('a remove deletes the adds it observed, everywhere', () => {
    const a = ORSet.empty().add(A, 'x').add(A, 'y');
    const b = ORSet.join(ORSet.empty(), a);
    const c = ORSet.join(ORSet.empty(), a);
    b.remove('x');
    // c still holds x with the same dot, but b's context shows that dot was removed.
    expect(ORSet.join(c, b).value()).toEqual(['y']);
    expect(ORSet.join(ORSet.join(a, c), b).value()).toEqual(['y']);
  });

  it('a remove does not delete an add it did not see', () => {
    const a = ORSet.empty().add(A, 'x');
    const b = ORSet.empty().add(B, 'x'); // concurrent add of the same element
    a.remove('x'); // removes only a's own add
    expect(a.value()).toEqual([]);
    expect(ORSet.join(a, b).value()).toEqual(['x']);
  });

  it('an element can be added again after a remove', () => {
    const a = ORSet.empty().add(A, 1);
    a.remove(1);
    const b = ORSet.join(ORSet.empty(), a);
    b.add(B, 1);
    expect(ORSet.join(a, b).value()).toEqual([1]);
  });

  it('removing an element never added is a no-op', () => {
    const a = ORSet.empty().add(A, 2);
    expect(a.remove(3)).toBe(false);
    expect(a.value()).toEqual([2]);
  });

  it('reads are ascending: numbers, then strings, then the rest', () => {
    const s = ORSet.empty();
    for (const e of ['b', 10, { k: 1 }, 2, 'a', [1]]) s.add(A, e);
    expect(s.value()).toEqual([2, 10, 'a', 'b', [1], { k: 1 }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Version-vector sibling sets

type VvStep =
  | { kind: 'write'; replica: number; value: number; staleContext: number | null }
  | { kind: 'merge'; into: number; from: number };

const vvStepArb: fc.Arbitrary<VvStep> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), replica: fc.nat({ max: 2 }), value: fc.nat({ max: 1000 }), staleContext: fc.option(fc.nat(), { nil: null }) }),
  fc.record({ kind: fc.constant('merge' as const), into: fc.nat({ max: 2 }), from: fc.nat({ max: 2 }) }),
);

const vvEnc = (s: vv.SiblingSet<number>) => canonicalJson(vv.toJson(s));

function runVv(steps: VvStep[]): { pool: vv.SiblingSet<number>[]; replicas: vv.SiblingSet<number>[]; writes: { dot: vv.Dot; context: vc.VectorClock }[] } {
  const replicas = [vv.emptySet<number>(), vv.emptySet<number>(), vv.emptySet<number>()];
  const pool: vv.SiblingSet<number>[] = [replicas[0]];
  const writes: { dot: vv.Dot; context: vc.VectorClock }[] = [];
  for (const s of steps) {
    if (s.kind === 'write') {
      const r = replicas[s.replica];
      // A client may write with a context it read earlier (from any state it could have seen).
      const context = s.staleContext === null ? r.context : pool[s.staleContext % pool.length].context;
      const { set, dot } = vv.write(r, ACTORS[s.replica], context, s.value);
      writes.push({ dot, context });
      replicas[s.replica] = set;
      pool.push(set);
    } else {
      replicas[s.into] = vv.merge(replicas[s.into], replicas[s.from]);
      pool.push(replicas[s.into]);
    }
  }
  return { pool, replicas, writes };
}

describe('version-vector sibling sets', () => {
  it('concurrent writes are kept as siblings; a write that saw both replaces them', () => {
    const base = vv.emptySet<string>();
    const a = vv.write(base, A, base.context, 'from-a').set;
    const b = vv.write(base, B, base.context, 'from-b').set;
    const ab = vv.merge(a, b);
    expect(vv.values(ab)).toEqual(['from-a', 'from-b']);
    expect(vv.latest(ab)?.value).toBe('from-b'); // same counter: the actor name breaks the tie
    const c = vv.write(ab, C, ab.context, 'resolved').set;
    expect(vv.values(c)).toEqual(['resolved']);
    // A replica still holding a sibling learns it was replaced.
    expect(vv.values(vv.merge(a, c))).toEqual(['resolved']);
  });

  it('a write with an older context keeps the siblings it did not see', () => {
    let s = vv.emptySet<number>();
    s = vv.write(s, A, s.context, 1).set;
    const seen = s.context;
    s = vv.merge(s, vv.write(vv.emptySet<number>(), B, vc.emptyClock(), 2).set);
    s = vv.write(s, A, seen, 3).set; // saw only the first write
    expect(vv.values(s).sort()).toEqual([2, 3]);
  });

  it('merge is commutative, associative and idempotent on reachable sets', () => {
    fc.assert(
      fc.property(fc.array(vvStepArb, { maxLength: 30 }), fc.nat(), fc.nat(), fc.nat(), (steps, i, j, k) => {
        const { pool } = runVv(steps);
        const a = pool[i % pool.length];
        const b = pool[j % pool.length];
        const c = pool[k % pool.length];
        expect(vvEnc(vv.merge(a, b))).toBe(vvEnc(vv.merge(b, a)));
        expect(vvEnc(vv.merge(vv.merge(a, b), c))).toBe(vvEnc(vv.merge(a, vv.merge(b, c))));
        expect(vvEnc(vv.merge(a, a))).toBe(vvEnc(a));
      }),
      { seed: 6005, numRuns: 400 },
    );
  });

  it('after a full exchange the siblings are exactly the writes no later write saw', () => {
    fc.assert(
      fc.property(fc.array(vvStepArb, { maxLength: 30 }), (steps) => {
        const { replicas, writes } = runVv(steps);
        const all = replicas.reduce((x, y) => vv.merge(x, y));
        const survivors = writes.filter((w) => !writes.some((o) => o !== w && vv.covers(o.context, w.dot)));
        const key = (d: vv.Dot) => `${vc.actorName(d.actor)}:${d.counter}`;
        expect(all.siblings.map((s) => key(s.dot)).sort()).toEqual(survivors.map((w) => key(w.dot)).sort());
      }),
      { seed: 6006, numRuns: 300 },
    );
  });

  it('JSON round trip; a malformed set says where', () => {
    const s = vv.merge(vv.write(vv.emptySet<number>(), A, vc.emptyClock(), 1).set, vv.write(vv.emptySet<number>(), B, vc.emptyClock(), 2).set);
    const back = vv.fromJson<number>(JSON.parse(JSON.stringify(vv.toJson(s))), 'k');
    expect(vv.sameSet(back, s)).toBe(true);
    expect(vv.values(back)).toEqual([1, 2]);
    expect(() => vv.fromJson({ context: {}, siblings: [{ actor: 'x', counter: 1, value: 0 }] }, 'state of key k')).toThrow(/state of key k\.siblings\[0\]: dot x:1 is not in the set's context/);
  });
});
