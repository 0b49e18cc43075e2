// How multi-leader-vv stores, merges and encodes a key's siblings, by the key's kind.
//
// The state machine sees one value per key; a key may hold several concurrent siblings. Reading a
// key resolves its siblings into one value, and writing turns the state machine's new value into
// the sibling to store:
//   set      union of the siblings' elements (sorted like the state machine's sets): no add is lost.
//   counter  each sibling is a PN-Counter (per-actor increments and decrements); a write adds the
//            op's delta (new value − resolved value) as this node's actor to the join of the
//            siblings, and a read is the join's value. Concurrent increments at different nodes
//            are in different actors' entries, so none is lost.
//   account  a bank balance: the opening balance (the largest any sibling opened it with — all
//            opens of one test use the same) plus a PN-Counter of transfers, as for counters. No
//            transfer is lost; concurrent withdrawals can overdraw, as in any multi-leader bank.
//   list     the siblings' lists in dot order, each adding the elements the earlier ones lack: no
//            append is lost (list-append values are unique per key).
//   register, queue, ids
//            the sibling with the highest dot (counter, then actor name). Every replica holding the
//            same siblings reads the same one, so replicas converge; the others stay stored until a
//            write that has seen them replaces them. A register read returns one value because the
//            workloads' vocabulary has one value per read: a list of siblings would look like a
//            value nobody wrote. So concurrent register writes, queue ops and cas can still lose
//            updates here; only the kinds above merge without loss.
import { canonicalJson } from '../../base/json.js';
import { PNCounter } from './crdt.js';
import { compareElements, type KeyKind } from './state-machine.js';
import { latest, values, type SiblingSet } from './version-vector.js';

interface Balance {
  readonly base: number;
  readonly pn: PNCounter;
}

function joinCounters(xs: readonly unknown[]): PNCounter {
  let out = PNCounter.empty();
  for (const x of xs) out = PNCounter.join(out, x as PNCounter);
  return out;
}

function mergeSorted(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : compareElements(a[i], b[j]);
    if (c <= 0) out.push(a[i++]);
    else out.push(b[j++]);
    if (c === 0) j++;
  }
  return out;
}

function asList(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

function asNumber(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined) return 0;
  throw new Error(`multi-leader-vv: ${what} must be a number, got ${canonicalJson(v)}`);
}

/** The one value the state machine sees for a key holding `set`; undefined when it has none. */
export function resolve(kind: KeyKind, set: SiblingSet<unknown>): unknown {
  const n = set.siblings.length;
  if (n === 0) return undefined;
  switch (kind) {
    case 'set': {
      if (n === 1) return set.siblings[0].value;
      return values(set).reduce((acc: readonly unknown[], v) => mergeSorted(acc, asList(v)), []);
    }
    case 'list': {
      if (n === 1) return set.siblings[0].value;
      const out: unknown[] = [];
      const seen = new Set<string>();
      for (const v of values(set)) {
        for (const e of asList(v)) {
          const k = canonicalJson(e);
          if (!seen.has(k)) {
            seen.add(k);
            out.push(e);
          }
        }
      }
      return out;
    }
    case 'counter':
      return joinCounters(values(set)).value();
    case 'account': {
      const bs = values(set) as Balance[];
      return Math.max(...bs.map((b) => b.base)) + joinCounters(bs.map((b) => b.pn)).value();
    }
    default:
      return latest(set)!.value;
  }
}

/**
 * The sibling to store when an op at `actor` changed a key from `before` (resolved from `set`) to
 * `after` (what the state machine set).
 */
export function siblingFor(kind: KeyKind, set: SiblingSet<unknown>, actor: number, before: unknown, after: unknown): unknown {
  switch (kind) {
    case 'counter': {
      const delta = asNumber(after, 'a counter') - asNumber(before, 'a counter');
      return joinCounters(values(set)).add(actor, delta);
    }
    case 'account': {
      const now = asNumber(after, 'a balance');
      if (set.siblings.length === 0) return { base: now, pn: PNCounter.empty() } satisfies Balance;
      const bs = values(set) as Balance[];
      const pn = joinCounters(bs.map((b) => b.pn)).add(actor, now - asNumber(before, 'a balance'));
      return { base: Math.max(...bs.map((b) => b.base)), pn } satisfies Balance;
    }
    default:
      return after;
  }
}

/** A sibling's JSON form (fields in sorted order, so JSON.stringify is canonical). */
export function encodeSibling(kind: KeyKind, v: unknown): unknown {
  if (kind === 'counter') return (v as PNCounter).toJson();
  if (kind === 'account') {
    const b = v as Balance;
    return { base: b.base, pn: b.pn.toJson() };
  }
  return v;
}

export function decodeSibling(kind: KeyKind, json: unknown, where: string): unknown {
  if (kind === 'counter') return PNCounter.fromJson(json, where);
  if (kind === 'account') {
    const o = json as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || typeof o.base !== 'number' || !Number.isFinite(o.base)) throw new Error(`${where}: a balance must be {base: number, pn}`);
    return { base: o.base, pn: PNCounter.fromJson(o.pn, `${where}.pn`) } satisfies Balance;
  }
  if ((kind === 'set' || kind === 'list' || kind === 'queue') && !Array.isArray(json)) throw new Error(`${where}: a ${kind} value must be a list`);
  if (json === undefined) throw new Error(`${where}: missing`);
  return json;
}
