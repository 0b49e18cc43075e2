// Which ops a run's results cite as evidence: the `ops` of each invalid checker's result, or,
// when a result has none, the ops of its first anomaly. Read-only over the results' JSON, so a
// report re-rendered from results.json finds the same evidence.
import type { History } from '../histories/history.js';
import type { Result, Validity } from '../checker/types.js';

export interface CheckerResult {
  /** The checker's name, with its parents' for a nested composed result (e.g. "key 3 / linearizable"). */
  name: string;
  result: Result;
  depth: number;
}

export function isResult(x: unknown): x is Result {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const v = (x as { valid?: unknown }).valid;
  return v === true || v === false || v === 'unknown';
}

/** The checkers' results inside a composed result, in order (nested compositions included, depth-first). */
export function checkerResults(results: Result, maxDepth = 3): CheckerResult[] {
  const out: CheckerResult[] = [];
  const walk = (r: Result, prefix: string, depth: number) => {
    for (const [name, value] of Object.entries(r)) {
      if (name === 'valid' || !isResult(value)) continue;
      const full = prefix ? `${prefix} / ${name}` : name;
      out.push({ name: full, result: value, depth });
      if (depth + 1 < maxDepth) walk(value, full, depth + 1);
    }
  };
  walk(results, '', 0);
  return out;
}

function numberList(x: unknown): number[] | undefined {
  if (!Array.isArray(x) || x.length === 0) return undefined;
  return x.every((v) => typeof v === 'number' && Number.isInteger(v)) ? (x as number[]) : undefined;
}

/** An anomaly-like record: something with a sentence or explanation, or with the ops it involves. */
export interface Anomaly {
  /** Its type, when it is filed under one (e.g. "G1c"), or its own `type` field. */
  type?: string;
  text?: string;
  ops?: number[];
}

function asAnomaly(x: unknown, type?: string): Anomaly | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || isResult(x)) return undefined;
  const o = x as Record<string, unknown>;
  const text = [o.sentence, o.explanation, o.message, o.description].find((t): t is string => typeof t === 'string');
  const ops = numberList(o.ops);
  if (text === undefined && ops === undefined) return undefined;
  const ownType = typeof o.type === 'string' ? o.type : undefined;
  return { type: ownType ?? type, text, ops };
}

/**
 * The anomalies a result lists: arrays of anomaly-like records in its fields (e.g. `errors`,
 * `findings`), or such arrays filed by type (e.g. the transactional checker's `anomalies`).
 * At most `limit`, in field order.
 */
export function anomaliesOf(r: Result, limit = 20): { field: string; anomalies: Anomaly[] }[] {
  const out: { field: string; anomalies: Anomaly[] }[] = [];
  let left = limit;
  const take = (field: string, xs: unknown[], type?: string) => {
    const found: Anomaly[] = [];
    for (const x of xs) {
      if (left <= 0) break;
      const a = asAnomaly(x, type);
      if (a) {
        found.push(a);
        left--;
      }
    }
    if (found.length) out.push({ field, anomalies: found });
  };
  for (const [field, value] of Object.entries(r)) {
    if (left <= 0) break;
    if (field === 'ops' || isResult(value)) continue;
    if (Array.isArray(value)) take(field, value);
    else if (typeof value === 'object' && value !== null) {
      for (const [type, inner] of Object.entries(value)) if (Array.isArray(inner)) take(`${field} · ${type}`, inner, type);
    }
  }
  return out;
}

/** The ops a result cites: its `ops`, else its first anomaly's. */
export function citedBy(r: Result): number[] {
  const own = numberList(r.ops);
  if (own) return own;
  for (const { anomalies } of anomaliesOf(r, 50)) for (const a of anomalies) if (a.ops?.length) return a.ops;
  return [];
}

export interface Evidence {
  /** Checker name → the op indices it cites (invalid checkers only, in results order). */
  byChecker: Map<string, number[]>;
  /**
   * Ops the evidence rests on without citing them, with why: the op whose effect left the state a
   * linearizability failure names ("left the cas-register in state 3").
   */
  context: Map<number, { checker: string; why: string }>;
  /** Every cited index → the checkers citing it. */
  citing: Map<number, string[]>;
  /** The first invalid checker that cites ops, and its ops: what the timeline centres on. */
  first?: { checker: string; ops: number[] };
}

export function evidenceOf(results: Result): Evidence {
  const byChecker = new Map<string, number[]>();
  const citing = new Map<number, string[]>();
  let first: Evidence['first'];
  const consider = (name: string, r: Result) => {
    if (r.valid !== false) return;
    const ops = citedBy(r);
    if (!ops.length) return;
    byChecker.set(name, ops);
    for (const i of ops) {
      const c = citing.get(i);
      if (c) c.push(name);
      else citing.set(i, [name]);
    }
    first ??= { checker: name, ops };
  };
  const context = new Map<number, { checker: string; why: string }>();
  const considerContext = (name: string, r: Result) => {
    const setter = stateSetter(r);
    if (setter && !context.has(setter.index)) context.set(setter.index, { checker: name, why: setter.why });
  };
  const checkers = checkerResults(results);
  // A composed result's own `ops` (when there are no named checkers) is evidence too.
  if (checkers.length === 0) consider('result', results);
  // Leaves first: a nested composition repeats its children's evidence. A parent counts only
  // when none of its children cites anything.
  const isParent = (c: CheckerResult) => checkers.some((d) => d.name.startsWith(`${c.name} / `));
  for (const c of checkers) if (!isParent(c)) consider(c.name, c.result);
  for (const c of checkers) if (c.result.valid === false) considerContext(c.name, c.result);
  for (const c of checkers) {
    if (isParent(c) && ![...byChecker.keys()].some((k) => k.startsWith(`${c.name} / `))) consider(c.name, c.result);
  }
  if (checkers.length === 0 && results.valid === false) considerContext('result', results);
  return { byChecker, citing, context, ...(first ? { first } : {}) };
}

/**
 * The failure's `prefix` (the linearizability checker's evidence: `linearization`, the op indices
 * of the order found before the failing op, and `states`, the state after each) names a state the
 * failing op cannot follow; the op that last changed the state to it is the one that put the
 * object there. Read by shape, not by checker name.
 */
export function stateSetter(r: Result): { index: number; why: string } | undefined {
  const failure = r.failure as { prefix?: { linearization?: unknown; states?: unknown; finalStates?: unknown } } | undefined;
  const lin = failure?.prefix?.linearization;
  const states = failure?.prefix?.states;
  if (!Array.isArray(lin) || !Array.isArray(states) || lin.length === 0 || states.length !== lin.length) return undefined;
  const model = typeof r.model === 'string' ? r.model : 'model';
  // The last step whose state differs from the one before it. A first step is never named: the
  // state before it (the initial one) is not in the evidence, so whether it changed it is unknown.
  for (let k = lin.length - 1; k >= 1; k--) {
    if (states[k] !== states[k - 1] && typeof lin[k] === 'number') return { index: lin[k] as number, why: `left the ${model} in state ${String(states[k])}` };
  }
  return undefined;
}

/** The history position of the client invocation an op index refers to (itself, or its completion's invocation), or -1. */
export function invocationPosition(h: History, index: number): number {
  const p = h.positionOf(index);
  if (p < 0) return -1;
  const op = h.ops[p];
  if (op.process === 'nemesis') return -1;
  if (op.type === 'invoke') return p;
  return h.pair[p];
}

export function verdictWord(v: Validity | undefined): 'valid' | 'invalid' | 'unknown' {
  return v === true ? 'valid' : v === false ? 'invalid' : 'unknown';
}
