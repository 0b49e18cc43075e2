// Version vectors with dots: the sibling sets of one key (a multi-value register, Riak style).
//
// A sibling set holds the values that no write has yet replaced, each tagged with the dot
// (actor, counter) of the write that made it, and a causal context: the version vector of every
// dot this replica knows of for the key, kept or replaced. A write names the context its writer
// had seen; the siblings it covers are replaced, the rest (concurrent writes) are kept beside the
// new one. Two replicas' sets join by keeping a sibling when both have it, or when the other side
// has not seen its dot yet (so it was not replaced there, only unknown); the contexts join by
// maximum. That join is commutative, associative and idempotent, so replicas can exchange whole
// sets in any order, any number of times, and end up equal.
//
// The context is a plain version vector (one counter per actor), not a set of dots: each actor
// makes its dots in sequence and its own writes always see its earlier ones, so the dots a replica
// knows of are, per actor, always a prefix 1..n.
import {
  compareActors,
  dominates,
  emptyClock,
  get,
  merge as mergeClocks,
  actorId,
  actorName,
  fromJson as clockFromJson,
  toJson as clockToJson,
  withCounter,
  type VectorClock,
  type VectorClockJson,
} from './vector-clock.js';

export interface Dot {
  readonly actor: number;
  readonly counter: number;
}

export interface Sibling<T> {
  readonly dot: Dot;
  readonly value: T;
}

export interface SiblingSet<T> {
  /** Every dot this replica knows of for the key. */
  readonly context: VectorClock;
  /** The values no known write has replaced, in dot order (compareDots). */
  readonly siblings: readonly Sibling<T>[];
}

export interface SiblingSetJson {
  context: VectorClockJson;
  siblings: { actor: string; counter: number; value: unknown }[];
}

export function emptySet<T>(): SiblingSet<T> {
  return { context: emptyClock(), siblings: [] };
}

/** True when `clock` has seen `dot`. */
export function covers(clock: VectorClock, dot: Dot): boolean {
  return get(clock, dot.actor) >= dot.counter;
}

/** Orders dots by counter, then by actor name: a total order every replica agrees on. */
export function compareDots(a: Dot, b: Dot): number {
  return a.counter - b.counter || compareActors(a.actor, b.actor);
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.actor === b.actor && a.counter === b.counter;
}

/**
 * `set` after `actor` writes `value` having seen `context` (for a write made at this replica from
 * what it holds, pass set.context). Returns the new set and the new write's dot.
 */
export function write<T>(set: SiblingSet<T>, actor: number, context: VectorClock, value: T): { set: SiblingSet<T>; dot: Dot } {
  const dot: Dot = { actor, counter: Math.max(get(set.context, actor), get(context, actor)) + 1 };
  const kept = set.siblings.filter((s) => !covers(context, s.dot));
  kept.push({ dot, value });
  kept.sort((x, y) => compareDots(x.dot, y.dot));
  return { set: { context: withCounter(mergeClocks(set.context, context), actor, dot.counter), siblings: kept }, dot };
}

/** The join of two replicas' sets of one key. */
export function merge<T>(a: SiblingSet<T>, b: SiblingSet<T>): SiblingSet<T> {
  if (a.siblings.length === 0 && dominates(b.context, a.context)) return b;
  if (b.siblings.length === 0 && dominates(a.context, b.context)) return a;
  const out: Sibling<T>[] = [];
  // Both lists are in dot order: walk them together.
  let i = 0;
  let j = 0;
  const sa = a.siblings;
  const sb = b.siblings;
  while (i < sa.length || j < sb.length) {
    const c = i >= sa.length ? 1 : j >= sb.length ? -1 : compareDots(sa[i].dot, sb[j].dot);
    if (c === 0) {
      out.push(sa[i]);
      i++;
      j++;
    } else if (c < 0) {
      if (!covers(b.context, sa[i].dot)) out.push(sa[i]);
      i++;
    } else {
      if (!covers(a.context, sb[j].dot)) out.push(sb[j]);
      j++;
    }
  }
  return { context: mergeClocks(a.context, b.context), siblings: out };
}

/** The sibling with the highest dot (counter, then actor name), or undefined when there is none. */
export function latest<T>(set: SiblingSet<T>): Sibling<T> | undefined {
  return set.siblings[set.siblings.length - 1];
}

export function values<T>(set: SiblingSet<T>): T[] {
  return set.siblings.map((s) => s.value);
}

/** True when the two sets hold the same dots and context (values follow from dots). */
export function sameSet<T>(a: SiblingSet<T>, b: SiblingSet<T>): boolean {
  if (a.siblings.length !== b.siblings.length) return false;
  for (let i = 0; i < a.siblings.length; i++) if (!sameDot(a.siblings[i].dot, b.siblings[i].dot)) return false;
  return dominates(a.context, b.context) && dominates(b.context, a.context);
}

/** The JSON form: equal sets give equal JSON (siblings in dot order, context names sorted). */
export function toJson<T>(set: SiblingSet<T>, encodeValue: (v: T) => unknown = (v) => v): SiblingSetJson {
  return {
    context: clockToJson(set.context),
    siblings: set.siblings.map((s) => ({ actor: actorName(s.dot.actor), counter: s.dot.counter, value: encodeValue(s.value) })),
  };
}

/** Reads a set from its JSON form; `where` names it in errors. */
export function fromJson<T>(json: unknown, where: string, decodeValue: (v: unknown, where: string) => T = (v) => v as T): SiblingSet<T> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${where}: a sibling set must be an object {context, siblings}`);
  const o = json as Record<string, unknown>;
  const context = clockFromJson(o.context, `${where}.context`);
  if (!Array.isArray(o.siblings)) throw new Error(`${where}.siblings: must be a list`);
  const siblings: Sibling<T>[] = o.siblings.map((s: unknown, i) => {
    const at = `${where}.siblings[${i}]`;
    if (s === null || typeof s !== 'object') throw new Error(`${at}: must be an object {actor, counter, value}`);
    const r = s as Record<string, unknown>;
    if (typeof r.actor !== 'string') throw new Error(`${at}.actor: must be a string`);
    if (typeof r.counter !== 'number' || !Number.isInteger(r.counter) || r.counter < 1) throw new Error(`${at}.counter: must be a positive integer`);
    const dot: Dot = { actor: actorId(r.actor), counter: r.counter };
    if (!covers(context, dot)) throw new Error(`${at}: dot ${r.actor}:${r.counter} is not in the set's context`);
    return { dot, value: decodeValue(r.value, `${at}.value`) };
  });
  siblings.sort((x, y) => compareDots(x.dot, y.dot));
  for (let i = 1; i < siblings.length; i++) if (sameDot(siblings[i - 1].dot, siblings[i].dot)) throw new Error(`${where}.siblings: dot ${actorName(siblings[i].dot.actor)}:${siblings[i].dot.counter} appears twice`);
  return { context, siblings };
}
