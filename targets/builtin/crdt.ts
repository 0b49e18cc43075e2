// State-based CRDTs: G-Counter, PN-Counter and an add-wins observed-remove set.
//
// Each type has local updates (which change the state in place: a node applies many of them to
// big states, and copying on every op would cost O(size) each), value(), and join(a, b), which
// returns a new state and is commutative, associative and idempotent, so replicas may exchange
// states in any order and any number of times and still agree. toJson() is stable: equal states
// give the same JSON with the same key order, so it can be shipped between nodes and hashed into
// Merkle trees; fromJson() reads it back and says what is wrong with a malformed one.
//
// Actors are node incarnations (vector-clock.ts interns their names), and per-actor entries are
// Float64Arrays indexed by actor id: few actors, integer loops, no hashing on the hot path.
import { canonicalJson } from '../../base/json.js';
import {
  actorId,
  actorName,
  compareActors,
  emptyClock,
  fromJson as clockFromJson,
  get,
  increment,
  merge as mergeClocks,
  toJson as clockToJson,
  type VectorClock,
  type VectorClockJson,
} from './vector-clock.js';
import { compareElements } from './state-machine.js';
import { compareDots, covers, type Dot } from './version-vector.js';

export type CrdtName = 'g-counter' | 'pn-counter' | 'or-set';

export const CRDT_NAMES: readonly CrdtName[] = ['g-counter', 'pn-counter', 'or-set'];

function object(json: unknown, where: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${where}: must be an object`);
  return json as Record<string, unknown>;
}

function expectType(o: Record<string, unknown>, type: CrdtName, where: string): void {
  if (o.type !== type) throw new Error(`${where}: expected a ${type} state, got type ${JSON.stringify(o.type)}`);
}

// ---------------------------------------------------------------------------------------------
// Per-actor totals: the body of both counters

function grow(counts: Float64Array, actor: number): Float64Array {
  if (actor < counts.length) return counts;
  const out = new Float64Array(actor + 1);
  out.set(counts);
  return out;
}

function maxEach(a: Float64Array, b: Float64Array): Float64Array {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const out = new Float64Array(long);
  for (let i = 0; i < short.length; i++) if (short[i] > out[i]) out[i] = short[i];
  return out;
}

/** Sum in actor-name order, so that every node adds the same numbers in the same order. */
function total(counts: Float64Array): number {
  const actors: number[] = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) actors.push(i);
  actors.sort(compareActors);
  let sum = 0;
  for (const i of actors) sum += counts[i];
  return sum;
}

function countsToJson(counts: Float64Array): Record<string, number> {
  const actors: number[] = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) actors.push(i);
  actors.sort(compareActors);
  const out: Record<string, number> = {};
  for (const i of actors) out[actorName(i)] = counts[i];
  return out;
}

function countsFromJson(json: unknown, where: string): Float64Array {
  let counts: Float64Array = new Float64Array(0);
  for (const [name, n] of Object.entries(object(json, where))) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`${where}.${name}: must be a finite number >= 0, got ${JSON.stringify(n)}`);
    const id = actorId(name);
    counts = grow(counts, id);
    counts[id] = n;
  }
  return counts;
}

function checkAmount(n: number, what: string): void {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new RangeError(`${what}: the amount must be a finite number, got ${JSON.stringify(n)}`);
}

// ---------------------------------------------------------------------------------------------
// G-Counter

// Encodings list their fields in sorted order, so JSON.stringify of them is already canonical.

export interface GCounterJson {
  p: Record<string, number>;
  type: 'g-counter';
}

/** A grow-only counter: each actor's own total; the value is their sum; join takes each actor's maximum. */
export class GCounter {
  private constructor(private counts: Float64Array) {}

  static empty(): GCounter {
    return new GCounter(new Float64Array(0));
  }

  /** Adds n >= 0 as `actor`. A negative n throws: a G-Counter cannot go down. */
  add(actor: number, n: number): this {
    checkAmount(n, 'g-counter add');
    if (n < 0) throw new RangeError(`g-counter add: a G-Counter only grows, so it cannot add ${n} (use a pn-counter for decrements)`);
    this.counts = grow(this.counts, actor);
    this.counts[actor] += n;
    return this;
  }

  value(): number {
    return total(this.counts);
  }

  /** This actor's own total (what it has added). */
  of(actor: number): number {
    return actor < this.counts.length ? this.counts[actor] : 0;
  }

  static join(a: GCounter, b: GCounter): GCounter {
    return new GCounter(maxEach(a.counts, b.counts));
  }

  clone(): GCounter {
    return new GCounter(this.counts.slice());
  }

  toJson(): GCounterJson {
    return { p: countsToJson(this.counts), type: 'g-counter' };
  }

  static fromJson(json: unknown, where: string): GCounter {
    const o = object(json, where);
    expectType(o, 'g-counter', where);
    return new GCounter(countsFromJson(o.p, `${where}.p`));
  }
}

// ---------------------------------------------------------------------------------------------
// PN-Counter

export interface PNCounterJson {
  n: Record<string, number>;
  p: Record<string, number>;
  type: 'pn-counter';
}

/** A counter that goes both ways: one G-Counter of increments, one of decrements; value = P − N. */
export class PNCounter {
  private constructor(
    private readonly p: GCounter,
    private readonly n: GCounter,
  ) {}

  static empty(): PNCounter {
    return new PNCounter(GCounter.empty(), GCounter.empty());
  }

  add(actor: number, delta: number): this {
    checkAmount(delta, 'pn-counter add');
    if (delta >= 0) this.p.add(actor, delta);
    else this.n.add(actor, -delta);
    return this;
  }

  value(): number {
    return this.p.value() - this.n.value();
  }

  static join(a: PNCounter, b: PNCounter): PNCounter {
    return new PNCounter(GCounter.join(a.p, b.p), GCounter.join(a.n, b.n));
  }

  clone(): PNCounter {
    return new PNCounter(this.p.clone(), this.n.clone());
  }

  toJson(): PNCounterJson {
    return { n: this.n.toJson().p, p: this.p.toJson().p, type: 'pn-counter' };
  }

  static fromJson(json: unknown, where: string): PNCounter {
    const o = object(json, where);
    expectType(o, 'pn-counter', where);
    return new PNCounter(
      GCounter.fromJson({ type: 'g-counter', p: o.p }, `${where}.p`),
      GCounter.fromJson({ type: 'g-counter', p: o.n }, `${where}.n`),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// OR-Set (add-wins, observed-remove, no tombstones)

interface Entry {
  readonly element: unknown;
  /** The adds of this element no remove has seen, in dot order. */
  readonly dots: readonly Dot[];
}

export interface ORSetJson {
  context: VectorClockJson;
  /** In canonical-JSON order of the element. */
  elements: { dots: [string, number][]; element: unknown }[];
  type: 'or-set';
}

/**
 * Each add makes a unique dot (actor, counter) for its element; a remove deletes the element's
 * dots it can see; the causal context records every dot this replica has seen, so a join can tell
 * "removed here" (seen, gone) from "not yet seen here" (kept). An add concurrent with a remove
 * has a dot the remove did not see, so the element survives: adds win.
 */
export class ORSet {
  private constructor(
    private context: VectorClock,
    private readonly entries: Map<string, Entry>,
  ) {}

  static empty(): ORSet {
    return new ORSet(emptyClock(), new Map());
  }

  add(actor: number, element: unknown): this {
    this.context = increment(this.context, actor);
    // The new dot replaces the element's older ones: they are all in the context, so every
    // replica that sees the new dot treats them as superseded.
    this.entries.set(canonicalJson(element), { element, dots: [{ actor, counter: get(this.context, actor) }] });
    return this;
  }

  /** Removes the adds of `element` this replica has seen; says whether it had any. */
  remove(element: unknown): boolean {
    return this.entries.delete(canonicalJson(element));
  }

  has(element: unknown): boolean {
    return this.entries.has(canonicalJson(element));
  }

  /** The elements, ascending, in the state machine's set order (numbers, strings, then the rest). */
  value(): unknown[] {
    return [...this.entries.values()].map((e) => e.element).sort(compareElements);
  }

  get size(): number {
    return this.entries.size;
  }

  static join(a: ORSet, b: ORSet): ORSet {
    const out = new Map<string, Entry>();
    const keep = (dots: readonly Dot[], other: readonly Dot[] | undefined, otherContext: VectorClock) =>
      dots.filter((d) => !covers(otherContext, d) || (other !== undefined && other.some((o) => o.actor === d.actor && o.counter === d.counter)));
    for (const [k, ea] of a.entries) {
      const eb = b.entries.get(k);
      const dots = keep(ea.dots, eb?.dots, b.context);
      if (eb) for (const d of keep(eb.dots, ea.dots, a.context)) if (!dots.some((x) => x.actor === d.actor && x.counter === d.counter)) dots.push(d);
      if (dots.length) out.set(k, { element: ea.element, dots: dots.sort(compareDots) });
    }
    for (const [k, eb] of b.entries) {
      if (a.entries.has(k)) continue;
      const dots = keep(eb.dots, undefined, a.context);
      if (dots.length) out.set(k, { element: eb.element, dots });
    }
    return new ORSet(mergeClocks(a.context, b.context), out);
  }

  clone(): ORSet {
    return new ORSet(this.context, new Map(this.entries));
  }

  toJson(): ORSetJson {
    const keys = [...this.entries.keys()].sort();
    return {
      context: clockToJson(this.context),
      elements: keys.map((k) => {
        const e = this.entries.get(k)!;
        return { dots: e.dots.map((d): [string, number] => [actorName(d.actor), d.counter]), element: e.element };
      }),
      type: 'or-set',
    };
  }

  static fromJson(json: unknown, where: string): ORSet {
    const o = object(json, where);
    expectType(o, 'or-set', where);
    const context = clockFromJson(o.context, `${where}.context`);
    if (!Array.isArray(o.elements)) throw new Error(`${where}.elements: must be a list`);
    const entries = new Map<string, Entry>();
    o.elements.forEach((raw: unknown, i) => {
      const at = `${where}.elements[${i}]`;
      const e = object(raw, at);
      if (!('element' in e)) throw new Error(`${at}: has no element`);
      if (!Array.isArray(e.dots) || e.dots.length === 0) throw new Error(`${at}.dots: must be a non-empty list of [actor, counter]`);
      const dots = e.dots.map((d: unknown, j): Dot => {
        if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== 'string' || !Number.isInteger(d[1]) || (d[1] as number) < 1) {
          throw new Error(`${at}.dots[${j}]: must be [actor name, counter >= 1]`);
        }
        const dot = { actor: actorId(d[0]), counter: d[1] as number };
        if (!covers(context, dot)) throw new Error(`${at}.dots[${j}]: dot ${d[0]}:${d[1]} is not in the set's context`);
        return dot;
      });
      const key = canonicalJson(e.element);
      if (entries.has(key)) throw new Error(`${at}: element ${key} appears twice`);
      entries.set(key, { element: e.element, dots: dots.sort(compareDots) });
    });
    return new ORSet(context, entries);
  }
}

// ---------------------------------------------------------------------------------------------
// One interface over the three, for code that serves whichever the cluster chose

export type Crdt = GCounter | PNCounter | ORSet;

export function emptyCrdt(name: CrdtName): Crdt {
  return name === 'g-counter' ? GCounter.empty() : name === 'pn-counter' ? PNCounter.empty() : ORSet.empty();
}

/** The join of two states of the same type. */
export function joinCrdt<C extends Crdt>(a: C, b: C): C {
  if (a instanceof GCounter && b instanceof GCounter) return GCounter.join(a, b) as C;
  if (a instanceof PNCounter && b instanceof PNCounter) return PNCounter.join(a, b) as C;
  if (a instanceof ORSet && b instanceof ORSet) return ORSet.join(a, b) as C;
  throw new Error(`cannot join a ${crdtName(a)} with a ${crdtName(b)}`);
}

export function crdtName(c: Crdt): CrdtName {
  return c instanceof GCounter ? 'g-counter' : c instanceof PNCounter ? 'pn-counter' : 'or-set';
}

export function crdtFromJson(name: CrdtName, json: unknown, where: string): Crdt {
  return name === 'g-counter' ? GCounter.fromJson(json, where) : name === 'pn-counter' ? PNCounter.fromJson(json, where) : ORSet.fromJson(json, where);
}
