// Convergence of CRDTs after faults heal: every replica's final read (ops with `final: true`,
// issued after the last heal) must agree, and the agreed value must be one the updates allow.
//
// Counters (g-counter, pn-counter): the final value lies between the sum of the increments that
// certainly happened (ok) plus every decrement that may have, and that sum plus every increment
// that may have (info or never completed); failed adds never count.
// OR-set: no lost adds (an element whose ok add is not followed by any remove that may have
// happened is present), removes honoured (an element whose every add completed before an ok
// remove of it was invoked is absent), and nothing present that was never added.
//
// "Before" is history order (positions), which is real-time order in a recorded history. Updates
// are assumed to finish before the final reads; `lateUpdates` counts those that did not.
import { HistoryError, InputError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { canonicalJson } from './linearizable/values.js';
import type { Checker, CheckContext, Result } from './types.js';

export type CrdtType = 'g-counter' | 'pn-counter' | 'or-set';
export const CRDT_TYPES: readonly CrdtType[] = ['g-counter', 'pn-counter', 'or-set'];

/** One replica's final read: the invocation's position and index, the node, the ok value. */
export interface FinalRead {
  node: string;
  /** Position of the read's invocation in the history. */
  position: number;
  /** `index` of the read's invocation (what evidence cites). */
  index: number;
  value: unknown;
}

export interface FinalReads {
  /** Ok final reads, in history order. */
  reads: FinalRead[];
  /** Indices of final reads that failed, timed out or never completed (they carry no value). */
  unanswered: number[];
}

/**
 * The final reads of a history: `f: 'read'` ops with `final: true` on the invocation or the
 * completion. The node is the op's `node` (invocation's, else completion's), else `process P`.
 * A node with several ok final reads appears once per read, as `n1`, `n1 (2)`, ….
 */
export function collectFinalReads(h: History): FinalReads {
  const reads: FinalRead[] = [];
  const unanswered: number[] = [];
  const seen = new Map<string, number>();
  const ops = h.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis' || op.f !== 'read') continue;
    const done = h.completion(i);
    if (op.final !== true && done?.final !== true) continue;
    if (done?.type !== 'ok') {
      unanswered.push(op.index);
      continue;
    }
    const base = op.node ?? done.node ?? `process ${op.process}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    reads.push({ node: n === 1 ? base : `${base} (${n})`, position: i, index: op.index, value: done.value });
  }
  return { reads, unanswered };
}

/** `index` of an op, with its line when known, for sentences. */
function at(h: History, position: number): string {
  const line = h.lineOf(position);
  return line === undefined ? `index ${h.ops[position].index}` : `index ${h.ops[position].index}, line ${line}`;
}

/** A value in a sentence: strings bare, the rest as JSON, long ones cut. */
function showEl(v: unknown): string {
  const s = typeof v === 'string' ? v : canonicalJson(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** An element's identity: strings and numbers cheaply, anything else by canonical JSON. */
function elementId(v: unknown): string {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'number') return `n${v}`;
  return `j${canonicalJson(v)}`;
}

/** Numbers numerically first, then everything else by canonical JSON. */
export function compareElements(a: unknown, b: unknown): number {
  const an = typeof a === 'number';
  const bn = typeof b === 'number';
  if (an && bn) return (a as number) - (b as number);
  if (an !== bn) return an ? -1 : 1;
  const as = canonicalJson(a);
  const bs = canonicalJson(b);
  return as < bs ? -1 : as > bs ? 1 : 0;
}

const OK = 0;
const MAYBE = 1;
const FAIL = 2;
const OUTCOMES = ['ok', 'maybe', 'fail'] as const;

/**
 * Calls `each` for every client invocation whose f is in `fs`: its position, outcome (OK, MAYBE
 * for info or never completed, FAIL), `end` (the ok completion's position; Infinity when the
 * effect may land at any later time) and value (the invocation's, else the completion's).
 */
function eachUpdate(h: History, fs: ReadonlySet<string>, each: (position: number, outcome: number, end: number, value: unknown) => void): void {
  const ops = h.ops;
  const pair = h.pair;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis' || !fs.has(op.f)) continue;
    const p = pair[i];
    const done = p >= 0 ? ops[p] : undefined;
    const outcome = done === undefined || done.type === 'info' ? MAYBE : done.type === 'fail' ? FAIL : OK;
    const value = op.value === null || op.value === undefined ? done?.value : op.value;
    each(i, outcome, outcome === OK ? p : Infinity, value);
  }
}

function optionType(ctx: CheckContext): CrdtType {
  const t = ctx.options?.type;
  if (typeof t === 'string' && (CRDT_TYPES as readonly string[]).includes(t)) return t as CrdtType;
  throw new InputError(
    t === undefined
      ? `the convergence checker needs the CRDT type: --option type=${CRDT_TYPES.join('|')}`
      : `convergence: unknown CRDT type ${JSON.stringify(t)}; known types: ${CRDT_TYPES.join(', ')}`,
  );
}

interface Common {
  finalReads: Record<string, { value: unknown; index: number }>;
  agree: boolean;
  ops: Set<number>;
  problems: string[];
}

/** Agreement of the final reads: groups of equal reads (`same` compares reads i and j). */
function agreement(h: History, reads: FinalRead[], same: (i: number, j: number) => boolean, show: (r: FinalRead, other: FinalRead) => string, c: Common): void {
  const groups: FinalRead[][] = [];
  const firstOf: number[] = [];
  for (let i = 0; i < reads.length; i++) {
    const g = firstOf.findIndex((j) => same(j, i));
    if (g >= 0) groups[g].push(reads[i]);
    else {
      firstOf.push(i);
      groups.push([reads[i]]);
    }
  }
  c.agree = groups.length <= 1;
  if (c.agree) return;
  const [first, ...rest] = groups;
  for (const r of reads) c.ops.add(r.index);
  const others = rest.map((g) => show(g[0], first[0]));
  const who = (g: FinalRead[]) => `${g.map((r) => r.node).join(', ')} (${g.map((r) => at(h, r.position)).join('; ')})`;
  c.problems.push(
    `The final reads disagree (${groups.length} different values): ${who(first)} read ${show(first[0], first[0])}, but ${rest
      .map((g, i) => `${who(g)} read ${others[i]}`)
      .join(', and ')}.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Counters

interface CounterBounds {
  /** Sum of ok increments plus every decrement that may have happened. */
  min: number;
  /** Sum of ok increments plus every increment that may have happened. */
  max: number;
  /** Sum of the ok adds alone. */
  acknowledged: number;
}

function checkCounter(h: History, type: CrdtType, reads: FinalRead[], c: Common, firstFinal: number): Record<string, unknown> {
  let acknowledged = 0;
  let maybeUp = 0;
  let maybeDown = 0;
  const counts = { ok: 0, maybe: 0, fail: 0 };
  let late = 0;
  eachUpdate(h, ADD, (position, outcome, _end, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new HistoryError(h.file, h.lineOf(position), `value: a ${type} add needs a number to add, got ${showEl(v)}`);
    }
    if (type === 'g-counter' && v < 0) {
      throw new HistoryError(h.file, h.lineOf(position), `value: a g-counter only grows, so an add must be ≥ 0, got ${v} (use --option type=pn-counter)`);
    }
    counts[OUTCOMES[outcome]]++;
    if (position > firstFinal && outcome !== FAIL) late++;
    if (outcome === OK) acknowledged += v;
    else if (outcome === MAYBE) {
      if (v > 0) maybeUp += v;
      else maybeDown += v;
    }
  });
  const expected: CounterBounds = { min: acknowledged + maybeDown, max: acknowledged + maybeUp, acknowledged };
  for (const r of reads) {
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) {
      const p = h.pair[r.position];
      throw new HistoryError(h.file, h.lineOf(p >= 0 ? p : r.position), `value: a ${type} read must return a number, got ${showEl(r.value)}`);
    }
  }
  agreement(h, reads, (i, j) => reads[i].value === reads[j].value, (r) => String(r.value), c);
  const lost: { node: string; index: number; value: number; below: number }[] = [];
  const unexpected: { node: string; index: number; value: number; above: number }[] = [];
  const range = expected.min === expected.max ? `exactly ${expected.min}` : `between ${expected.min} and ${expected.max}`;
  const acked = counts.ok === 0 ? 'no add was acknowledged' : `the ${plural(counts.ok, 'acknowledged add')} ${counts.ok === 1 ? 'sums' : 'sum'} to ${acknowledged}`;
  const maybe = counts.maybe
    ? `, and the ${plural(counts.maybe, 'add')} of unknown outcome could add up to ${maybeUp} more${maybeDown ? ` or take away up to ${-maybeDown}` : ''}`
    : '';
  const outside = new Map<number, FinalRead[]>();
  for (const r of reads) {
    const v = r.value as number;
    if (v < expected.min) lost.push({ node: r.node, index: r.index, value: v, below: expected.min - v });
    else if (v > expected.max) unexpected.push({ node: r.node, index: r.index, value: v, above: v - expected.max });
    else continue;
    c.ops.add(r.index);
    let g = outside.get(v);
    if (!g) outside.set(v, (g = []));
    g.push(r);
  }
  for (const [v, g] of outside) {
    const who = g.length === reads.length && reads.length > 1 ? 'Every final read' : `${g.map((r) => r.node).join(', ')}'s final read`;
    c.problems.push(`${who} (${g.map((r) => at(h, r.position)).join('; ')}) is ${v}, but the counter must be ${range}: ${acked}${maybe}.`);
  }
  return { expected, lost, unexpected, notRemoved: [], adds: counts, lateUpdates: late };
}

// ---------------------------------------------------------------------------------------------
// OR-set

const ADD: ReadonlySet<string> = new Set(['add']);
const ADD_REMOVE: ReadonlySet<string> = new Set(['add', 'remove']);

/** Per element (by id), what the updates imply, in parallel arrays. */
class Elements {
  private readonly numbers = new Map<number, number>();
  private readonly others = new Map<string, number>();
  readonly value: unknown[] = [];
  /** Non-failed adds. */
  readonly possibleAdds: number[] = [];
  /** Latest-invoked ok add: its position (-1 when none). */
  readonly lastOkAdd: number[] = [];
  /** Latest end of a non-failed add (Infinity for info/open), -1 when none. */
  readonly lastAddEnd: number[] = [];
  readonly lastAddEndPos: number[] = [];
  /** Latest end of a non-failed remove (Infinity for info/open), -1 when none. */
  readonly lastRemoveEnd: number[] = [];
  readonly lastRemoveEndPos: number[] = [];
  /** Latest-invoked ok remove: its position (-1 when none). */
  readonly lastOkRemove: number[] = [];

  /** The element number of `v`, or undefined when no update touched it. */
  find(v: unknown): number | undefined {
    return typeof v === 'number' ? this.numbers.get(v) : this.others.get(elementId(v));
  }

  of(v: unknown): number {
    let e = this.find(v);
    if (e === undefined) {
      e = this.value.length;
      if (typeof v === 'number') this.numbers.set(v, e);
      else this.others.set(elementId(v), e);
      this.value.push(v);
      this.possibleAdds.push(0);
      this.lastOkAdd.push(-1);
      this.lastAddEnd.push(-1);
      this.lastAddEndPos.push(-1);
      this.lastRemoveEnd.push(-1);
      this.lastRemoveEndPos.push(-1);
      this.lastOkRemove.push(-1);
    }
    return e;
  }
}

/**
 * `strictRemoves`: a remove invoked after every add of an element had completed must delete it.
 * An OR-set remove deletes only the adds its replica has seen, so under partitions a correct OR-set
 * may keep such an element; by default these are reported (`notRemoved`) without invalidating,
 * and the option (for stores that replicate before acknowledging) makes them errors.
 */
function checkOrSet(h: History, reads: FinalRead[], c: Common, firstFinal: number, strictRemoves: boolean): Record<string, unknown> {
  const els = new Elements();
  const counts = { adds: { ok: 0, maybe: 0, fail: 0 }, removes: { ok: 0, maybe: 0, fail: 0 } };
  let late = 0;
  const ops = h.ops;
  // The node that served an op (on its invocation or completion), '' when not said.
  const nodeOf = (position: number): string => {
    const done = h.pair[position] >= 0 ? ops[h.pair[position]] : undefined;
    const n = ops[position].node ?? done?.node;
    return typeof n === 'string' ? n : '';
  };
  const addNode = new Map<number, string>();
  const removeNode = new Map<number, string>();
  eachUpdate(h, ADD_REMOVE, (position, outcome, end, value) => {
    const isAdd = ops[position].f === 'add';
    (isAdd ? counts.adds : counts.removes)[OUTCOMES[outcome]]++;
    if (outcome === FAIL) return;
    if (position > firstFinal) late++;
    const e = els.of(value);
    const node = nodeOf(position);
    if (isAdd) {
      // The one node every possible add of the element went through ('' once they differ or one is unknown).
      const seen = addNode.get(e);
      addNode.set(e, seen === undefined ? node : seen === node ? seen : '');
      els.possibleAdds[e]++;
      if (outcome === OK) els.lastOkAdd[e] = position;
      if (end > els.lastAddEnd[e]) {
        els.lastAddEnd[e] = end;
        els.lastAddEndPos[e] = position;
      }
    } else {
      if (outcome === OK) {
        els.lastOkRemove[e] = position;
        removeNode.set(e, node);
      }
      if (end > els.lastRemoveEnd[e]) {
        els.lastRemoveEnd[e] = end;
        els.lastRemoveEndPos[e] = position;
      }
    }
  });

  // What the updates imply, per element.
  const n = els.value.length;
  const must = new Uint8Array(n); // 1: must be present, 2: must be absent
  const mustContain: unknown[] = [];
  const mustNotContain: unknown[] = [];
  const mayContain: unknown[] = [];
  for (let e = 0; e < n; e++) {
    if (els.possibleAdds[e] === 0) continue;
    mayContain.push(els.value[e]);
    // No remove may have happened after the latest ok add's invocation.
    if (els.lastOkAdd[e] >= 0 && els.lastRemoveEnd[e] < els.lastOkAdd[e]) {
      must[e] = 1;
      mustContain.push(els.value[e]);
    } else if (els.lastOkRemove[e] >= 0 && els.lastAddEnd[e] < els.lastOkRemove[e]) {
      // Every possible add completed before the latest ok remove was invoked.
      must[e] = 2;
      mustNotContain.push(els.value[e]);
    }
  }
  mustContain.sort(compareElements);
  mustNotContain.sort(compareElements);
  mayContain.sort(compareElements);

  // Each read as a set of element numbers (-1 - k for an element never seen in an update).
  const readSets: Set<number>[] = [];
  const strangers = new Map<string, number>();
  const strangerValues: unknown[] = [];
  for (const r of reads) {
    if (!Array.isArray(r.value)) {
      const p = h.pair[r.position];
      throw new HistoryError(h.file, h.lineOf(p >= 0 ? p : r.position), `value: an or-set read must return a list of elements, got ${showEl(r.value)}`);
    }
    const s = new Set<number>();
    for (const v of r.value) {
      const e = els.find(v);
      if (e !== undefined) s.add(e);
      else {
        const id = elementId(v);
        let k = strangers.get(id);
        if (k === undefined) {
          strangers.set(id, (k = strangerValues.length));
          strangerValues.push(v);
        }
        s.add(-1 - k);
      }
    }
    readSets.push(s);
  }
  const valueOf = (e: number) => (e >= 0 ? els.value[e] : strangerValues[-1 - e]);

  agreement(
    h,
    reads,
    (i, j) => {
      const a = readSets[i];
      const b = readSets[j];
      if (a.size !== b.size) return false;
      for (const e of a) if (!b.has(e)) return false;
      return true;
    },
    (r, other) => {
      if (r === other) return `${plural(readSets[reads.indexOf(r)].size, 'element')}`;
      const mine = readSets[reads.indexOf(r)];
      const theirs = readSets[reads.indexOf(other)];
      const extra = [...mine].filter((e) => !theirs.has(e)).map(valueOf).sort(compareElements);
      const missing = [...theirs].filter((e) => !mine.has(e)).map(valueOf).sort(compareElements);
      const list = (xs: unknown[]) => xs.slice(0, 5).map(showEl).join(', ') + (xs.length > 5 ? ', …' : '');
      const parts = [];
      if (extra.length) parts.push(`${plural(extra.length, 'element')} more (${list(extra)})`);
      if (missing.length) parts.push(`${plural(missing.length, 'element')} fewer (${list(missing)})`);
      return parts.join(' and ');
    },
    c,
  );

  // Element evidence, per element with the nodes whose final read breaks the rule.
  interface ElementEvidence { element: unknown; nodes: string[]; reads: number[]; [k: string]: unknown }
  const lost = new Map<number, ElementEvidence>();
  const notRemoved = new Map<number, ElementEvidence>();
  const unexpected = new Map<number, ElementEvidence>();
  const note = (m: Map<number, ElementEvidence>, e: number, r: FinalRead, extra: () => Record<string, unknown>) => {
    let ev = m.get(e);
    if (!ev) m.set(e, (ev = { element: valueOf(e), ...extra(), nodes: [], reads: [] }));
    ev.nodes.push(r.node);
    ev.reads.push(r.index);
  };
  const idx = (pos: number) => h.ops[pos].index;
  const present: number[] = [];
  for (let e = 0; e < n; e++) if (must[e] === 1) present.push(e);
  reads.forEach((r, ri) => {
    const s = readSets[ri];
    for (const e of present) {
      if (!s.has(e)) note(lost, e, r, () => ({ add: idx(els.lastOkAdd[e]) }));
    }
    for (const e of s) {
      if (e < 0 || els.possibleAdds[e] === 0) note(unexpected, e, r, () => ({}));
      else if (must[e] === 2) note(notRemoved, e, r, () => ({ remove: idx(els.lastOkRemove[e]), lastAdd: idx(els.lastAddEndPos[e]) }));
    }
  });
  const sorted = (m: Map<number, ElementEvidence>) => [...m.values()].sort((a, b) => compareElements(a.element, b.element));
  const lostList = sorted(lost);
  const notRemovedList = sorted(notRemoved);
  const unexpectedList = sorted(unexpected);
  const readAt = (i: number) => at(h, reads.find((r) => r.index === i)!.position);
  const nodesSay = (ev: ElementEvidence) =>
    ev.nodes.length === reads.length && reads.length > 1 ? `every final read (${ev.reads.map(readAt).join('; ')})` : `${ev.nodes.join(', ')}'s final read (${ev.reads.map(readAt).join('; ')})`;
  const more = (xs: unknown[]) => (xs.length > 1 ? ` (${plural(xs.length - 1, 'more element')} like it)` : '');
  if (lostList.length) {
    const ev = lostList[0];
    const e = els.find(ev.element)!;
    c.problems.push(
      `Lost add: the add of ${showEl(ev.element)} (${at(h, els.lastOkAdd[e])}) was acknowledged and no remove of it may have happened after, but ${nodesSay(ev)} lacks it${more(lostList)}.`,
    );
  }
  // A remove must delete the adds its own replica had acknowledged before it: when every add of
  // the element went through the remove's node, that node saw them all (and so with the option).
  const sameNode = (ev: ElementEvidence): boolean => {
    const e = els.find(ev.element)!;
    const n = removeNode.get(e);
    return n !== undefined && n !== '' && addNode.get(e) === n;
  };
  const binding = notRemovedList.filter((ev) => strictRemoves || sameNode(ev));
  if (binding.length) {
    const ev = binding[0];
    const e = els.find(ev.element)!;
    c.problems.push(
      `Remove not honoured: the remove of ${showEl(ev.element)} (${at(h, els.lastOkRemove[e])}) was acknowledged, invoked after every add of it had completed (the last at ${at(h, els.lastAddEndPos[e])})${sameNode(ev) ? ', all on the same node' : ''}, but ${nodesSay(ev)} still has it${more(binding)}.`,
    );
  }
  if (unexpectedList.length) {
    const ev = unexpectedList[0];
    const who = nodesSay(ev);
    c.problems.push(`${who[0].toUpperCase()}${who.slice(1)} has ${showEl(ev.element)}, which was never added (or only by adds that failed)${more(unexpectedList)}.`);
  }
  for (const list of [lostList, binding, unexpectedList]) {
    for (const ev of list) {
      for (const i of ev.reads) c.ops.add(i);
      for (const k of ['add', 'remove', 'lastAdd']) if (typeof ev[k] === 'number') c.ops.add(ev[k] as number);
    }
  }
  return {
    expected: { mustContain, mustNotContain, mayContain },
    lost: lostList,
    unexpected: unexpectedList,
    notRemoved: notRemovedList,
    strictRemoves,
    ...(notRemovedList.length > binding.length
      ? { note: `${notRemovedList.length - binding.length} element(s) survived a remove invoked after all their adds had completed, on another node than some of those adds; an OR-set remove deletes only the adds its replica had seen, so this is allowed unless --option strictRemoves=true` }
      : {}),
    ...counts,
    lateUpdates: late,
  };
}

// ---------------------------------------------------------------------------------------------

export async function checkConvergence(h: History, ctx: CheckContext): Promise<Result> {
  const type = optionType(ctx);
  const { reads, unanswered } = collectFinalReads(h);
  const c: Common = { finalReads: {}, agree: true, ops: new Set(), problems: [] };
  for (const r of reads) c.finalReads[r.node] = { value: r.value, index: r.index };
  const firstFinal = reads.length ? reads[0].position : Infinity;
  const strictRemoves = ctx.options?.strictRemoves === true || ctx.options?.strictRemoves === 'true';
  const details = type === 'or-set' ? checkOrSet(h, reads, c, firstFinal, strictRemoves) : checkCounter(h, type, reads, c, firstFinal);
  if (reads.length === 0) {
    return {
      valid: 'unknown',
      reason: 'nothing-to-check',
      explanation: `Convergence needs final reads (ops with "final": true, one per node, after the last heal), and this history has ${
        unanswered.length ? `only ${plural(unanswered.length, 'final read')} that did not complete ok` : 'none'
      }.`,
      type,
      finalReads: {},
      agree: true,
      ...details,
      ...(unanswered.length ? { unanswered } : {}),
    };
  }
  const valid = c.problems.length === 0;
  const ops = [...c.ops].sort((a, b) => a - b);
  return {
    valid,
    ...(valid
      ? {}
      : { explanation: c.problems.length > 1 ? `${c.problems[0]} (${plural(c.problems.length - 1, 'more problem')} in the result.)` : c.problems[0], problems: c.problems }),
    type,
    finalReads: c.finalReads,
    agree: c.agree,
    ...details,
    ...(unanswered.length ? { unanswered } : {}),
    ...(valid ? {} : { ops }),
  };
}

export const convergence: Checker = {
  name: 'convergence',
  description: 'CRDT convergence after faults heal (--option type=g-counter|pn-counter|or-set): final reads agree and match the acknowledged updates',
  check: checkConvergence,
};
