// The split-brain scenario's figures, from a run's history (and, for multi-leader-vv, its last
// metrics sample): the playbook vignette's numbers, measured. Pure, so they are tested on
// histories built by hand.
//
// - the partition: from the completion of its start to the completion of its stop;
// - writes per side: acknowledged adds invoked during the partition, by the site of the node the
//   client talked to (a client lives in its node's site);
// - conflicting keys: keys that took acknowledged adds on both sides during the partition;
// - acknowledged writes lost: acknowledged adds (any time) whose element no final read of its
//   key holds; keys no final read answered for are counted apart (unverified), never as lost;
// - siblings (multi-leader-vv): conflicting keys that every node still holds as siblings after
//   the merge.
import type { Op } from '../histories/op.js';
import type { MetricSample, NodeMetrics } from '../metrics/types.js';
import { canonicalJson } from '../base/json.js';

export interface Sites {
  a: readonly string[];
  b: readonly string[];
}

export interface SplitBrainFigures {
  /** Seconds on the run's axis. */
  partition: { from: number; to: number; seconds: number };
  writes: { a: number; b: number };
  /** Adds whose outcome is unknown (info) during the partition. */
  unknown: { a: number; b: number };
  /** Seconds from the cut to each side's first acknowledged write after it (site B waits for its election). */
  firstWrite: { a?: number; b?: number };
  conflictingKeys: number;
  keys: number;
  lost: { a: number; b: number; before: number; total: number; keys: number };
  /** Acknowledged adds of keys no final read answered for. */
  unverified: number;
  siblings?: { conflictingKept: number; keysWithSiblings: Record<string, number> };
}

const k = (key: unknown) => canonicalJson(key ?? null);

/** [from, to] (ns) of the first partition: the completions of its start and of its stop (the history's end without one). */
function partitionWindow(ops: readonly Op[]): { from: number; to: number } | undefined {
  let from: number | undefined;
  let to: number | undefined;
  let last = 0;
  for (const op of ops) {
    if (typeof op.time === 'number' && op.time > last) last = op.time;
    if (op.process !== 'nemesis' || typeof op.time !== 'number') continue;
    if (op.f === 'start-partition' && to === undefined) from = op.time;
    else if (op.f === 'stop-partition' && from !== undefined) to = op.time;
  }
  return from === undefined ? undefined : { from, to: to ?? last };
}

export function measureSplitBrain(ops: readonly Op[], sites: Sites, lastSample?: MetricSample): SplitBrainFigures | string {
  const window = partitionWindow(ops);
  if (window === undefined) return 'the history has no partition';
  const side = (node: unknown): 'a' | 'b' | undefined => (sites.a.includes(String(node)) ? 'a' : sites.b.includes(String(node)) ? 'b' : undefined);
  // Pair each client invocation with its completion (one op in flight per process).
  const open = new Map<unknown, Op>();
  const done: [Op, Op][] = [];
  for (const op of ops) {
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') open.set(op.process, op);
    else {
      const inv = open.get(op.process);
      if (inv) done.push([inv, op]);
      open.delete(op.process);
    }
  }
  const writes = { a: 0, b: 0 };
  const unknown = { a: 0, b: 0 };
  const firstWrite: { a?: number; b?: number } = {};
  const sidesOf = new Map<string, Set<'a' | 'b'>>();
  const held = new Map<string, Set<string>>();
  const answered = new Set<string>();
  for (const [inv, c] of done) {
    if (inv.f === 'read' && inv.final === true && c.type === 'ok') {
      answered.add(k(inv.key));
      let h = held.get(k(inv.key));
      if (!h) held.set(k(inv.key), (h = new Set()));
      for (const e of Array.isArray(c.value) ? c.value : []) h.add(k(e));
      continue;
    }
    if (inv.f !== 'add' || inv.final === true) continue;
    const s = side(inv.node);
    const t = inv.time ?? 0;
    if (s === undefined || t < window.from || t > window.to) continue;
    if (c.type === 'ok') {
      writes[s]++;
      const at = ((c.time ?? t) - window.from) / 1e9;
      if (firstWrite[s] === undefined || at < firstWrite[s]!) firstWrite[s] = Math.round(at * 1000) / 1000;
      let ss = sidesOf.get(k(inv.key));
      if (!ss) sidesOf.set(k(inv.key), (ss = new Set()));
      ss.add(s);
    } else if (c.type === 'info') unknown[s]++;
  }
  const conflicting = [...sidesOf].filter(([, ss]) => ss.size === 2).map(([key]) => key);
  const lost = { a: 0, b: 0, before: 0, total: 0, keys: 0 };
  const lostKeys = new Set<string>();
  let unverified = 0;
  for (const [inv, c] of done) {
    if (inv.f !== 'add' || c.type !== 'ok' || inv.final === true) continue;
    const key = k(inv.key);
    if (!answered.has(key)) {
      unverified++;
      continue;
    }
    if (held.get(key)?.has(k(inv.value))) continue;
    lost.total++;
    lostKeys.add(key);
    const t = inv.time ?? 0;
    const s = side(inv.node);
    if (t < window.from) lost.before++;
    else if (s !== undefined) lost[s]++;
  }
  lost.keys = lostKeys.size;
  const out: SplitBrainFigures = {
    partition: { from: window.from / 1e9, to: window.to / 1e9, seconds: Math.round((window.to - window.from) / 1e6) / 1000 },
    writes,
    unknown,
    firstWrite,
    conflictingKeys: conflicting.length,
    keys: sidesOf.size,
    lost,
    unverified,
  };
  const siblings = siblingFigures(conflicting, lastSample);
  if (siblings) out.siblings = siblings;
  return out;
}

/** Conflicting keys every answering node holds as siblings, from a multi-leader-vv sample. */
function siblingFigures(conflicting: readonly string[], sample: MetricSample | undefined): SplitBrainFigures['siblings'] {
  if (!sample) return undefined;
  const nodes = Object.entries(sample.nodes).filter((e): e is [string, NodeMetrics] => !('error' in e[1]) && e[1].siblingKeys !== undefined);
  if (nodes.length === 0) return undefined;
  const keysWithSiblings: Record<string, number> = {};
  const sets = nodes.map(([n, m]) => {
    keysWithSiblings[n] = m.keysWithSiblings ?? m.siblingKeys!.length;
    // Store keys are KIND:JSON (targets/builtin/state-machine.ts).
    return new Set(m.siblingKeys!.map((s) => k(JSON.parse(s.slice(s.indexOf(':') + 1)))));
  });
  return { conflictingKept: conflicting.filter((key) => sets.every((s) => s.has(key))).length, keysWithSiblings };
}
