// The transactional checker: micro-ops → version orders → dependency graph → cycles, and the
// consistency models the anomalies found rule out.
import { InputError } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import type { CheckProgress, Result } from '../types.js';
import { Anomalies, type Anomaly } from './anomalies.js';
import { CYCLE_CLASSES, searchComponent, type SearchOutcome } from './cycles.js';
import { cycleAnomaly, type EdgeExplainer } from './explain.js';
import { buildGraph, EdgeList, PROCESS, REALTIME, stronglyConnected } from './graph.js';
import { ListAppendAnalysis } from './list-append.js';
import { boundary, canonicalModel, knownModels, prohibitedAnomalies } from './models.js';
import { addProcessEdges, addRealtimeEdges } from './order.js';
import { RwRegisterAnalysis } from './rw-register.js';
import { FAIL, INFO, OK, readTxns, TxnsBuilder, type Txns, type TxnSink, type Workload } from './txns.js';
import { normalizeOp } from '../../histories/normalize.js';
import { streamJsonlFile } from '../../histories/jsonl.js';

export interface TxnCheckOptions {
  workload: Workload;
  /** Models to check (default strict-serializable); names or aliases Elle accepts. */
  models?: readonly string[];
  /** rw-register: each process observes a key's versions in order. */
  sequentialKeys?: boolean;
  /** rw-register: real time orders each key's versions. */
  linearizableKeys?: boolean;
  /** Date.now() after which the cycle search stops and the verdict is unknown (unless invalid already). */
  deadline?: number;
  /** Examples kept per anomaly type (all are counted). */
  maxExamples?: number;
  /** Time the checking apart from the reading (for benchmarks): adds `timing` to the result. */
  measure?: boolean;
  /** Told how far the check has got (the CLI's progress line). */
  progress?: CheckProgress;
}

export const DEFAULT_MODELS = ['strict-serializable'];
/** Seconds the cycle search may take when no deadline is given. */
export const DEFAULT_CYCLE_SEARCH_SECONDS = 60;

/** Our cycles are all on items (keys), never predicates: Elle's item forms say so to the lattice. */
function withItemForms(types: Iterable<string>): string[] {
  const out: string[] = [];
  for (const t of types) {
    out.push(t);
    const m = /^(G-single|G-nonadjacent)(-process|-realtime)?$/.exec(t);
    if (m) out.push(`${m[1]}-item${m[2] ?? ''}`);
  }
  return out;
}

export function parseModels(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of names) {
    for (const name of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const m = canonicalModel(name);
      if (m === undefined) throw new InputError(`unknown consistency model "${name}"; known models: ${knownModels().join(', ')}`);
      if (!out.includes(m)) out.push(m);
    }
  }
  if (out.length === 0) throw new InputError('--consistency-models names no model');
  return out;
}

/** A check in progress: feed it transactions (`sink`), then `finish`. */
export interface TxnCheck {
  readonly sink: TxnSink;
  finish(txns: Txns): Result;
}

export function startTxnCheck(options: TxnCheckOptions): TxnCheck {
  const models = parseModels(options.models ?? DEFAULT_MODELS);
  const prohibited = prohibitedAnomalies(models);
  const isProhibited = (type: string): boolean => withItemForms([type]).some((t) => prohibited.has(t));
  const classes = CYCLE_CLASSES.filter((c) => isProhibited(c.name));
  const needProcess = classes.some((c) => c.allowed & PROCESS);
  const needRealtime = classes.some((c) => c.allowed & REALTIME);
  const anomalies = new Anomalies(options.maxExamples ?? 8);
  const analysis =
    options.workload === 'list-append'
      ? new ListAppendAnalysis(anomalies)
      : new RwRegisterAnalysis(anomalies, { sequentialKeys: options.sequentialKeys, linearizableKeys: options.linearizableKeys });
  const timer = phaseTimer();
  // With `measure`, time spent in the workload's per-transaction analysis is summed, so that
  // "checking" excludes reading and parsing even though the two are interleaved when streaming.
  let analysisMs = 0;
  const sink: TxnSink = options.measure
    ? {
        txn(b, t, raw) {
          const start = performance.now();
          analysis.txn(b, t, raw);
          analysisMs += performance.now() - start;
        },
      }
    : analysis;
  return {
    sink,
    finish(txns: Txns): Result {
      const finishStart = performance.now();
      timer('read');
      // 12–13 edges per transaction in a 10-process list-append history (half of them real-time):
      // room for 16, so that growing (a copy of every edge so far) is rare.
      const edges = new EdgeList(Math.max(1024, txns.count * 16));
      options.progress?.phase('version orders', txns.count, undefined, 'txns');
      const { explain } = analysis.finish(txns, edges, anomalies);
      timer('analyze');
      options.progress?.phase('process and real-time order', txns.count, undefined, 'txns');
      if (needProcess) addProcessEdges(txns, edges);
      if (needRealtime) addRealtimeEdges(txns, edges);
      timer('order');
      options.progress?.phase('dependency graph', edges.length, undefined, 'edges');
      const graph = buildGraph(txns.count, edges);
      timer('graph');
      const allowed = classes.reduce((m, c) => m | c.allowed, 0);
      const sccs = allowed === 0 ? [] : stronglyConnected(graph, allowed).nontrivial;
      const deadline = options.deadline ?? Date.now() + DEFAULT_CYCLE_SEARCH_SECONDS * 1000;
      const search: SearchOutcome = { cycles: [], undetermined: [], timedOut: false };
      const localOf = new Int32Array(graph.nodes).fill(-1);
      options.progress?.phase('cycle search', sccs.length, undefined, 'components');
      const smallestFirst = [...sccs].sort((x, y) => x.length - y.length);
      for (const scc of smallestFirst) searchComponent(graph, scc, classes, localOf, deadline, search);
      timer('scc');
      recordCycles(txns, search, explain, anomalies);
      timer('cycles');
      const result = buildResult(txns, models, anomalies, isProhibited, search, sccs, edges, { process: needProcess, realtime: needRealtime });
      if (options.measure) result.timing = { checkMs: analysisMs + performance.now() - finishStart };
      return result;
    },
  };
}

/** Checks the transactions of a history held in memory. */
export async function checkTxn(history: History, options: TxnCheckOptions): Promise<Result> {
  const check = startTxnCheck(options);
  const txns = readTxns(history, options.workload, check.sink);
  requireTxns(txns, history.invocationCount, options.workload);
  return check.finish(txns);
}

/** A history of other ops is the wrong input, not a valid one: say so (exit 3). */
function requireTxns(txns: Txns, invocations: number, workload: Workload): void {
  if (txns.count > 0 || invocations === 0) return;
  throw new InputError(`${txns.file}: none of its ${invocations} invocations is a transaction (f "txn", or a list of micro-ops as its value); --checker ${workload} checks transactional histories`);
}

export interface StreamedCheck {
  result: Result;
  ops: number;
  invocations: number;
  warnings: string[];
}

/**
 * Checks a JSONL history file without holding its ops: each op is parsed, validated and folded
 * into the compact transaction arrays as it is read.
 */
export async function checkTxnJsonlFile(path: string, options: TxnCheckOptions, file = path): Promise<StreamedCheck> {
  const check = startTxnCheck(options);
  const builder = new TxnsBuilder(options.workload, file, check.sink);
  let position = 0;
  const progress = options.progress;
  const { warnings } = await streamJsonlFile(
    path,
    file,
    (raw, line) => {
      builder.add(normalizeOp(raw, position, file, line), position, line);
      position++;
    },
    { progress: progress && ((read, size) => progress.phase('reading', read, size, 'bytes')) },
  );
  const txns = builder.build();
  requireTxns(txns, builder.invocations, options.workload);
  return { result: check.finish(txns), ops: position, invocations: builder.invocations, warnings };
}

function recordCycles(txns: Txns, search: SearchOutcome, explain: EdgeExplainer, anomalies: Anomalies): void {
  // The same transactions found again by a later (less severe) class, e.g. a -process cycle
  // whose process edges are also real-time edges, are one anomaly: the first name found stands.
  const seen = new Set<string>();
  for (const c of search.cycles) {
    const id = [...c.nodes].sort((a, b) => a - b).join(',');
    if (seen.has(id)) continue;
    seen.add(id);
    if (anomalies.wants(c.name)) anomalies.add(cycleAnomaly(txns, c, explain));
    else anomalies.count(c.name);
  }
}

function buildResult(
  txns: Txns,
  models: string[],
  anomalies: Anomalies,
  isProhibited: (t: string) => boolean,
  search: SearchOutcome,
  sccs: Int32Array[],
  edges: EdgeList,
  built: { process: boolean; realtime: boolean },
): Result {
  const count = txns.count;
  const found = anomalies.types();
  const bad = found.filter(isProhibited);
  const allowedFound = found.filter((t) => !isProhibited(t));
  const { not, alsoNot } = boundary(withItemForms(found));
  const outcomes = { ok: 0, info: 0, fail: 0 };
  for (let t = 0; t < count; t++) {
    const st = txns.status[t];
    if (st === OK) outcomes.ok++;
    else if (st === INFO) outcomes.info++;
    else if (st === FAIL) outcomes.fail++;
  }
  const byType: Record<string, Anomaly[]> = {};
  const counts: Record<string, number> = {};
  for (const t of found) {
    byType[t] = anomalies.examples.get(t) ?? [];
    counts[t] = anomalies.counts.get(t) ?? 0;
  }
  const result: Result = {
    valid: bad.length > 0 ? false : search.undetermined.length > 0 ? 'unknown' : true,
    // A cycle search out of time, or one that found only walks it could not classify, gave up.
    ...(bad.length === 0 && search.undetermined.length > 0 ? { reason: search.timedOut ? ('time-limit' as const) : ('search-limit' as const) } : {}),
    models,
    anomalyTypes: bad,
    anomalies: byType,
    anomalyCounts: counts,
    not,
    alsoNot,
    txns: { count, ...outcomes },
    // Process and real-time edges only when the models checked needed them (absent, not 0).
    edges: Object.fromEntries(Object.entries(edges.counts).filter(([k]) => (k !== 'process' || built.process) && (k !== 'realtime' || built.realtime))),
    summary: `${count} txns${bad.length ? ` · ${bad.join(', ')}` : ''}`,
  };
  if (allowedFound.length > 0) result.allowedAnomalyTypes = allowedFound;
  if (bad.length > 0) {
    // The example told is of the worst type found; `not` is what all of them together rule out.
    const worst = [...bad].sort((a, b) => severity(a) - severity(b))[0];
    const first = byType[worst][0];
    const rules = not.length > 0 ? ` (not ${not.join(', ')})` : '';
    const types = bad.length === 1 ? worst : `${bad.length} anomaly types${rules}; ${worst}`;
    result.explanation = first ? `${bad.length === 1 ? `${worst}${rules}` : types}: ${first.sentence}` : `${bad.join(', ')}${rules}`;
    if (first) result.ops = first.ops;
  } else if (search.undetermined.length > 0) {
    const sizes = sccs.map((s) => s.length);
    result.explanation = `the dependency graph has ${sccs.length} cycle-bearing component${sccs.length === 1 ? '' : 's'} (largest ${Math.max(...sizes)} transactions), but the cycle search could not classify them (${search.undetermined[0].reason}), so the models cannot be decided`;
    result.cycleSearch = {
      timedOut: search.timedOut,
      undetermined: search.undetermined,
      components: sccs.slice(0, 8).map((s) => ({ size: s.length, txns: [...s.slice(0, 16)].map((t) => txns.index[t]) })),
    };
  }
  return result;
}

// Worst first: aborted and intermediate reads and write cycles, then what breaks the data itself,
// then anti-dependency cycles; plain before -process before -realtime.
const SEVERITY = [
  'G0', 'G1a', 'G1b', 'G1c', 'dirty-update', 'garbage-read', 'duplicate-elements', 'incompatible-order', 'cyclic-versions',
  'internal', 'future-read', 'lost-update', 'G-single', 'G-nonadjacent', 'G2-item',
];

function severity(type: string): number {
  const m = /^(.*?)(-process|-realtime)?$/.exec(type)!;
  const base = SEVERITY.indexOf(m[1]);
  return (base < 0 ? SEVERITY.length : base) + (m[2] === '-process' ? 100 : m[2] === '-realtime' ? 200 : 0);
}

/** Phase timings on stderr when FAULTLINE_TIMING is set: for profiling, not for users. */
function phaseTimer(): (phase: string) => void {
  if (!process.env.FAULTLINE_TIMING) return () => {};
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    process.stderr.write(`txn ${phase}: ${(now - last).toFixed(1)} ms\n`);
    last = now;
  };
}
