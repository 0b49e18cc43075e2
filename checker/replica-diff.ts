// The `replica-diff` checker: compares the replicas' final key → value states (final reads) by
// Merkle trees (base/merkle.ts) and lists the differing key ranges and keys.
import { canonicalJson } from '../base/json.js';
import { buildTrees, diffTrees, type KeyDiff, type KeyRange, type KeyValues } from '../base/merkle.js';
import { HistoryError, InputError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { collectFinalReads, type FinalRead } from './convergence.js';
import type { Checker, CheckContext, Result } from './types.js';

/** A final read's value as a key → value map: an object, or a list of [key, value] pairs. */
function stateOf(h: History, r: FinalRead): KeyValues {
  const v = r.value;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2)) {
    const m = new Map<string, unknown>();
    for (const [k, x] of v as [unknown, unknown][]) m.set(typeof k === 'string' ? k : canonicalJson(k), x);
    return m;
  }
  const p = h.pair[r.position];
  const shown = canonicalJson(v);
  throw new HistoryError(
    h.file,
    h.lineOf(p >= 0 ? p : r.position),
    `value: a final read for replica-diff must return a map of key → value (an object or a list of [key, value] pairs), got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`,
  );
}

function positiveInt(ctx: CheckContext, name: string, dflt: number): number {
  const v = ctx.options?.[name];
  if (v === undefined) return dflt;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new InputError(`replica-diff: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function showValue(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

export interface ReplicaPair {
  a: string;
  b: string;
  /** Indices of the two final reads. */
  reads: [number, number];
  equal: boolean;
  differences: number;
  ranges: KeyRange[];
  keys: KeyDiff[];
  comparisons: number;
}

export async function checkReplicaDiff(h: History, ctx: CheckContext): Promise<Result> {
  const leafSize = positiveInt(ctx, 'leafSize', 16);
  const maxKeys = positiveInt(ctx, 'maxKeys', 1000);
  const { reads, unanswered } = collectFinalReads(h);
  const states = reads.map((r) => stateOf(h, r));
  const finalReads: Record<string, { index: number; keys: number }> = {};
  reads.forEach((r, i) => {
    const s = states[i];
    finalReads[r.node] = { index: r.index, keys: s instanceof Map ? s.size : Object.keys(s).length };
  });
  if (reads.length === 0) {
    return {
      valid: 'unknown',
      reason: 'nothing-to-check',
      explanation: `Comparing replicas needs final reads (ops with "final": true whose value is the node's whole key → value state), and this history has ${
        unanswered.length ? `only ${unanswered.length} that did not complete ok` : 'none'
      }.`,
      nodes: [],
      pairs: [],
      comparisons: 0,
      ...(unanswered.length ? { unanswered } : {}),
    };
  }
  const trees = buildTrees(states, leafSize);
  const pairs: ReplicaPair[] = [];
  let comparisons = 0;
  for (let i = 1; i < reads.length; i++) {
    const d = diffTrees(trees[0], trees[i], { maxKeys });
    comparisons += d.comparisons;
    pairs.push({
      a: reads[0].node,
      b: reads[i].node,
      reads: [reads[0].index, reads[i].index],
      equal: d.equal,
      differences: d.differences,
      ranges: d.ranges,
      keys: d.keys,
      comparisons: d.comparisons,
    });
  }
  const bad = pairs.filter((p) => !p.equal);
  const base = {
    nodes: reads.map((r) => r.node),
    reference: reads[0].node,
    finalReads,
    leaves: trees[0].space.leaves,
    pairs,
    comparisons,
    ...(unanswered.length ? { unanswered } : {}),
  };
  if (bad.length === 0) return { valid: true, ...base };
  const at = (r: FinalRead) => {
    const line = h.lineOf(r.position);
    return line === undefined ? `index ${r.index}` : `index ${r.index}, line ${line}`;
  };
  const first = bad[0];
  const ex = first.keys[0];
  const side = (node: string, has: boolean, v: unknown) => `${node} ${has ? `has ${showValue(v)}` : 'lacks it'}`;
  const example = ex ? `; e.g. key ${ex.key}: ${side(first.a, ex.only !== 'b', ex.a)}, ${side(first.b, ex.only !== 'a', ex.b)}` : '';
  const rb = reads.find((r) => r.node === first.b)!;
  const others = bad.length > 1 ? ` ${bad.length - 1} more ${bad.length === 2 ? 'node differs' : 'nodes differ'} from ${first.a} too (${bad.slice(1).map((p) => `${p.b}: ${p.differences}`).join(', ')}).` : '';
  const ops = new Set<number>([reads[0].index]);
  for (const p of bad) ops.add(p.reads[1]);
  return {
    valid: false,
    explanation: `The replicas did not converge: ${first.b}'s final state (${at(rb)}) differs from ${first.a}'s (${at(reads[0])}) in ${first.differences} ${
      first.differences === 1 ? 'key' : 'keys'
    } over ${first.ranges.length} key ${first.ranges.length === 1 ? 'range' : 'ranges'}${example}.${others}`,
    ops: [...ops].sort((x, y) => x - y),
    ...base,
  };
}

export const replicaDiff: Checker = {
  name: 'replica-diff',
  description: "replicas' final key → value states (final reads) are equal, compared by Merkle trees; lists the differing key ranges and keys",
  check: checkReplicaDiff,
};
