// checkLinearizable: splits a history into independent parts (per key, or as the model says),
// searches each for a linearization, and for the first part that has none, finds the op where it
// fails and gathers the evidence.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { History } from '../../histories/history.js';
import { InputError } from '../../histories/errors.js';
import type { Op } from '../../histories/op.js';
import type { CheckProgress, Result } from '../types.js';
import { describeCall, describeState, where } from './describe.js';
import type { Model, ModelSpec } from './model.js';
import { type Call, type PreparedPart, prepare, Transitions } from './prepare.js';
import { keyedModel } from './models.js';
import { checkOpShapes } from './shapes.js';
import { resolveModel } from './registry.js';
import { canRefute, refuteRegister } from './refute.js';
import { checkPart, DEFAULT_CACHE_BYTES, SNAPSHOT_BYTES } from './part.js';
import { search, searchOptions, type SearchOutcome, type SearchSnapshot } from './search.js';
import type { WorkerInput, WorkerVerdict } from './worker-protocol.js';

export interface LinearizableOptions {
  /** The model's initial state (default: the model's own). */
  init?: unknown;
  /** Lift plain [k, v] values into the op's key first (independent keys recorded as tuples). */
  keyedTuples?: boolean;
  /** Date.now() after which the check gives up with unknown. */
  deadline?: number;
  /** Bytes each part's configuration cache may hold (default 1 GiB). */
  maxCacheBytes?: number;
  /** Check parts without the configuration cache (the benchmark baseline). */
  noCache?: boolean;
  /** Turn off a pruning rule (for benchmarks that measure it). */
  noReadOnlyRule?: boolean;
  noDominanceRule?: boolean;
  /** false: report an invalid part without searching for its earliest failing op (faster). */
  evidence?: boolean;
  /**
   * Worker threads for checking parts in parallel: a number, or 'auto' (the default: the
   * machine's parallelism, when the model is a built-in named one and the history is big enough
   * to repay starting threads). 0 or 1 checks in this thread.
   */
  workers?: number | 'auto';
  /** false: check a keyed history whole, one object per key in one state (default true: per key). */
  partition?: boolean;
  /**
   * true: an invalid part does not end the check; every part is decided (or given up on), and the
   * result lists the invalid ones (`invalidParts`, their keys in the order found). The evidence is
   * still that of the first invalid part found. Default false: the first settles the verdict.
   */
  allParts?: boolean;
  /** Told how far the check has got: parts decided, or configurations explored in a single part. */
  progress?: CheckProgress;
}

export interface Part {
  key: unknown;
  keyed: boolean;
  history: History;
}

/** The budget rounds of a history of several parts (checkLinearizable says why these). */
const FIRST_BUDGET = 1000;
const BUDGET_GROWTH = 5;
const HAND_OVER_BUDGET = 150_000;

/** Lifts `[k, v]` values into `key` (Jepsen's independent tuples stored as plain pairs). */
export function liftKeyedTuples(h: History): History {
  const ops = h.ops.map((op, i) => {
    if (op.process === 'nemesis') return op;
    const v = op.value;
    if (!Array.isArray(v) || v.length !== 2) {
      // an invocation without a value (a read) takes its key from its completion
      const other = op.type === 'invoke' ? h.completion(i) : h.invocation(i);
      if ((v === null || v === undefined) && other && Array.isArray(other.value) && other.value.length === 2) {
        return { ...op, key: other.value[0], value: null };
      }
      throw new InputError(`${h.file}:${h.lineOf(i) ?? '?'}: --keyed-tuples: op value ${JSON.stringify(v)} is not a [key, value] pair`);
    }
    return { ...op, key: v[0], value: v[1] };
  });
  return new History(ops as Op[], { file: h.file, lines: h.lines, trusted: true });
}

/** The independent parts of a history for a model. */
export function partition(h: History, model: Model<unknown>): Part[] {
  const clients = h.clientOps();
  if (clients.isKeyed()) {
    const parts: Part[] = [...clients.byKey()].map(([key, history]) => ({ key, keyed: true, history }));
    const unkeyed: number[] = [];
    clients.ops.forEach((op, i) => {
      const owner = op.type === 'invoke' ? op : clients.invocation(i) ?? op;
      if (owner.key === undefined) unkeyed.push(i);
    });
    if (unkeyed.length) parts.push({ key: undefined, keyed: false, history: clients.subset(unkeyed) });
    return parts;
  }
  const split = model.partition?.(clients) ?? [clients];
  return split.map((history, k) => ({ key: split.length > 1 ? k : undefined, keyed: false, history }));
}

/** A part waiting for its next budget round; prepared the first time it is searched. */
interface PendingPart {
  id: number;
  part: Part;
  prepared?: PreparedPart;
  transitions?: Transitions;
  /** Where its search stopped in the last budget round, to carry on from. */
  snapshot?: SearchSnapshot;
}

/**
 * For an unlinearizable part: the op where it first fails, the linearizable prefix, the states.
 * `hint` is the call the decision search was stopped furthest by (SearchResult.blockedCall): the
 * failing op, most of the time, so it is verified (the history through it is not linearizable,
 * and before it is) rather than searched for; a binary search over the completions takes over
 * where the hint is wrong.
 */
function explainFailure(part: Part, full: PreparedPart, model: Model<unknown>, modelName: string, options: LinearizableOptions, hint = -1) {
  const h = part.history;
  // Where a prefix can first fail: at an ok completion (the op must now have happened) or at a
  // fail completion (an op that was pending, and so might have happened, now certainly did not).
  const cuts: number[] = [];
  h.ops.forEach((op, i) => {
    if ((op.type === 'ok' || op.type === 'fail') && h.pair[i] !== -1) cuts.push(i);
  });
  const maxCacheBytes = options.maxCacheBytes ?? DEFAULT_CACHE_BYTES;
  const refutes = (cut: number): boolean => refuteRegister(prepare(h, model, cut + 1), model);
  const isBad = (cut: number): SearchOutcome => {
    const p = prepare(h, model, cut + 1);
    if (refuteRegister(p, model)) return 'not-linearizable';
    return search(p, new Transitions(model, p.sigCalls), searchOptions({ deadline: options.deadline, maxCacheBytes })).outcome;
  };
  /** The ops before position `cutAt`: linearizable exactly when the prefix through the previous cut is. */
  const before = (cutAt: number) => {
    const p = prepare(h, model, cutAt);
    const transitions = new Transitions(model, p.sigCalls);
    return { p, transitions, r: search(p, transitions, searchOptions({ deadline: options.deadline, maxCacheBytes, collectStates: 8 })) };
  };
  // Prefixes through successive completions only get harder to linearize: the answer is the first
  // cut that is not, in [lo, hi]; the last cut (the whole part) is not.
  let lo = 0;
  let hi = cuts.length - 1;
  let timedOut = false;
  if (canRefute(model) && refuteRegister(full, model)) {
    // The refutation settled it: the first cut it refutes is bad, the answer is there or before
    // (the refutation is cheap, so a binary search with it alone costs little).
    let a = lo;
    while (a < hi) {
      const mid = (a + hi) >> 1;
      if (refutes(cuts[mid])) hi = mid;
      else a = mid + 1;
    }
  }
  const guess = hint >= 0 && hint < full.calls.length ? cuts.indexOf(full.calls[hint].completedAt) : -1;
  if (guess >= 0 && guess < hi && decidedBy(h, model, cuts[guess])) hi = guess;
  else if (guess >= 0 && guess < hi) {
    const outcome = isBad(cuts[guess]);
    if (outcome === 'not-linearizable') hi = guess;
    else if (outcome === 'linearizable') lo = guess + 1;
    else timedOut = true;
  }
  // Usually the guess (or the whole part) is the answer: the ops before it linearize.
  let found = lo < hi && !timedOut ? undefined : before(cuts[hi]);
  if (!found && !timedOut) {
    const first = before(cuts[hi]);
    if (first.r.outcome === 'linearizable') found = first;
    else if (first.r.outcome === 'not-linearizable') hi--;
    else timedOut = true;
  }
  while (!found && !timedOut && lo < hi) {
    const mid = (lo + hi) >> 1;
    const outcome = isBad(cuts[mid]);
    if (outcome === 'not-linearizable') hi = mid;
    else if (outcome === 'linearizable') lo = mid + 1;
    else timedOut = true;
  }
  const cutAt = cuts[hi];
  found ??= before(cutAt);
  const completion = h.ops[cutAt];
  const invocation = h.ops[h.pair[cutAt]];
  const failing: Call = { op: invocation, done: completion.type === 'ok' ? completion : undefined, invokedAt: h.pair[cutAt], completedAt: cutAt, readOnly: false };
  const { p: prior, transitions, r: prefix } = found;
  if (prefix.outcome !== 'linearizable') timedOut = true;
  const linearization = prefix.linearization ? [...prefix.linearization].map((k) => prior.calls[k]) : [];
  const states = (prefix.finalStates ?? []).map((id) => describeState(model, transitions.states[id]));
  const concurrent = full.calls.filter(
    (c) => c.op !== invocation && c.invokedAt < cutAt && (c.completedAt === -1 || c.completedAt > failing.invokedAt),
  );
  const keyText = part.keyed ? `key ${JSON.stringify(part.key)}: ` : part.key !== undefined ? `part ${part.key}: ` : '';
  const opLine = h.lineOf(cutAt);
  const leaving = states.length ? `, leaving the ${modelName} in state ${joinOr(states)}` : '';
  const alongside = concurrent.length ? ` (${concurrent.length} op${concurrent.length === 1 ? ' was' : 's were'} concurrent with it)` : '';
  const explanation =
    completion.type === 'ok'
      ? `${keyText}${describeCall(failing)} (${where(completion, opLine)}) cannot be linearized. ` +
        `The ${prior.calls.length} ops before it linearize${leaving}${alongside}, ` +
        `but no order that respects real time lets the ${modelName} take it.`
      : `${keyText}${describeCall({ ...failing, done: undefined }).replace(' (outcome unknown)', '')} failed (${where(completion, opLine)}), ` +
        `but the ops before it linearize only if it took effect${alongside}: with it certainly not done, no order that respects real time explains them.`;
  const opRef = (c: Call) => ({
    index: c.op.index,
    completionIndex: c.done?.index ?? null,
    process: c.op.process,
    f: c.op.f,
    value: c.op.value,
    ...(c.done ? { result: c.done.value, ...(c.done.result === false ? { ok: false } : {}) } : { outcome: 'unknown' }),
  });
  return {
    explanation,
    ops: [invocation.index, completion.index],
    failure: {
      ...(part.keyed ? { key: part.key } : {}),
      op: { ...opRef(failing), completionIndex: completion.index, type: completion.type, line: opLine },
      prefix: {
        ops: prior.calls.length,
        linearization: linearization.map((c) => c.op.index),
        states: prefix.linearizationStates ? [...prefix.linearizationStates].map((id) => describeState(model, transitions.states[id])) : [],
        finalStates: states,
      },
      concurrent: concurrent.map(opRef),
      ...(timedOut ? { note: 'the search for the earliest failing op ran out of time; this op fails, an earlier one may too' } : {}),
    },
  };
}

/**
 * Whether the decision search, stopped at the latest by the return at position `cut`, already
 * proves the history through `cut` unlinearizable. It does when every op that is pending at the
 * cut (invoked before, completed after) can do there just what it can in the whole history: an
 * info op, an ok op the model says steps as an unknown one does, or a read-only one (dropped at
 * the cut). A failed op (dropped from the whole history, possible in the prefix) or an ok cas that
 * returned false (read-only there, possibly taking effect in the prefix) needs the search.
 */
function decidedBy(h: History, model: Model<unknown>, cut: number): boolean {
  if (!model.sameAsUnknown) return false;
  for (let i = 0; i < cut; i++) {
    const op = h.ops[i];
    const j = h.pair[i];
    if (op.type !== 'invoke' || op.process === 'nemesis' || j === -1 || j < cut) continue;
    const done = h.ops[j];
    if (done.type === 'info') continue;
    if (done.type !== 'ok') return false;
    if (model.readOnly?.(op, undefined)) continue;
    if (!model.sameAsUnknown(op, done)) return false;
  }
  return true;
}

/** Threads for the parts still unfinished after a first round: only built-in models (a worker
 * rebuilds the model from its name), only several hard parts (threads cost tens of ms to start). */
function workerCount(options: LinearizableOptions, model: string | Model<unknown> | ModelSpec, hardParts: number): number {
  if (typeof model !== 'string' || hardParts < 2 || options.noCache || options.partition === false) return 1;
  const want = options.workers === undefined || options.workers === 'auto' ? availableParallelism() : options.workers;
  return Math.max(1, Math.min(want, hardParts));
}

/** Where the compiled worker is: beside this module when running from dist/, else in dist/. */
function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/checker/linearizable/worker.js', import.meta.url);
}

/**
 * Checks parts on `threads` worker threads (parts dealt out largest first, to the least loaded),
 * stopping every thread at the first invalid part.
 */
async function checkPartsInWorkers(parts: { id: number; part: Part }[], model: string, options: LinearizableOptions, threads: number): Promise<WorkerVerdict[]> {
  const groups: { id: number; ops: Op[] }[][] = Array.from({ length: threads }, () => []);
  const load = new Array(threads).fill(0);
  const order = [...parts].sort((a, b) => b.part.history.length - a.part.history.length);
  for (const { id, part } of order) {
    const t = load.indexOf(Math.min(...load));
    groups[t].push({ id, ops: part.history.ops as Op[] });
    load[t] += part.history.length;
  }
  const verdicts: WorkerVerdict[] = [];
  const workers: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const stopAll = () => {
      for (const w of workers) void w.terminate();
      resolve();
    };
    for (const parts of groups) {
      if (!parts.length) continue;
      const input: WorkerInput = { model, init: options.init, deadline: options.deadline, maxCacheBytes: options.maxCacheBytes, parts };
      const w = new Worker(workerUrl(), { workerData: input });
      workers.push(w);
      running++;
      w.on('message', (v: WorkerVerdict) => {
        verdicts.push(v);
        options.progress?.phase(`checking the remaining parts on ${threads} threads`, verdicts.length, parts.length, 'parts');
        if (v.outcome === 'not-linearizable' && options.allParts !== true) stopAll();
      });
      w.on('error', (e) => {
        for (const x of workers) void x.terminate();
        reject(e);
      });
      w.on('exit', () => {
        if (--running === 0) resolve();
      });
    }
  });
  return verdicts;
}

function joinOr(xs: string[]): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

/**
 * Is `history` linearizable with respect to `model`? `model` is a built-in name (see
 * listModels()), a ModelSpec, or a Model object.
 */
export async function checkLinearizable(
  history: History,
  model: string | Model<unknown> | ModelSpec,
  options: LinearizableOptions = {},
): Promise<Result> {
  let m = resolveModel(model, options.init);
  const h = options.keyedTuples ? liftKeyedTuples(history) : history;
  checkOpShapes(h, m);
  let parts: Part[];
  if (options.partition === false) {
    const clients = h.clientOps();
    if (clients.isKeyed()) m = keyedModel(m, [...clients.byKey().keys(), undefined]) as Model<unknown>;
    parts = [{ key: undefined, keyed: false, history: clients }];
  } else parts = partition(h, m);
  let explored = 0;
  const unknown: { key: unknown; reason: string }[] = [];
  let threadsUsed = 1;
  const invalid = ({ part, prepared }: { part: Part; prepared: PreparedPart }, blockedCall: number): Result => {
    options.progress?.phase('explaining the failure');
    const evidence =
      options.evidence === false
        ? { explanation: `${part.keyed ? `key ${JSON.stringify(part.key)}: ` : ''}no linearization exists`, ...(part.keyed ? { failure: { key: part.key } } : {}) }
        : explainFailure(part, prepared, m, m.name, options, blockedCall);
    return { valid: false, model: m.name, parts: parts.length, ...evidence, explored, ...threadsField() };
  };
  /** How many worker threads checked parts, when any did. */
  const threadsField = () => (threadsUsed > 1 ? { threads: threadsUsed } : {});
  // Parts are checked round-robin under a growing exploration budget, so that one easy invalid
  // part is found before a hard valid one is finished (Porcupine gets this from goroutines).
  // The first budget is small (1,000 configurations, then x5): on Porcupine's c50-bad log, an
  // invalid key is decided in 400 configurations while two keys before it need over a million,
  // and a first budget of 20,000 spent 40,000 on those before reaching it. A part's search resumes
  // where its last round stopped (search.ts's SearchSnapshot: its stack, linked list and cache), so
  // the rounds cost no repeated configurations (restarted, they cost up to a quarter more: c50-ok
  // explored 11.1k configurations for its keys' 9.1k).
  // With workers: 'auto', parts still unfinished after the rounds up to 125,000 configurations
  // (hard ones) go to worker threads; with an explicit number of workers, every part does, from
  // the start. A part's interned states and memoized steps stay valid across its budget rounds.
  // Each part is prepared when first searched: an invalid history is often decided before most
  // of its parts are (c50-bad: 3 of 10), and preparing costs more than those first searches.
  // Parts go in order of expected cost, smallest first (fewest ops; ties in key order): a search's
  // cost grows with a part's length, and the first invalid part found settles the verdict (c50-bad:
  // its key "1", decided in 400 configurations, is its smallest; in key order two keys of over a
  // million configurations came first and took their first budgets).
  let pending: PendingPart[] = parts.map((part, id) => ({ id, part }));
  pending.sort((a, b) => a.part.history.length - b.part.history.length || a.id - b.id);
  const ready = (item: PendingPart): { id: number; part: Part; prepared: PreparedPart; transitions: Transitions } => {
    if (!item.prepared) {
      item.prepared = prepare(item.part.history, m);
      item.transitions = new Transitions(m, item.prepared.sigCalls);
    }
    return item as { id: number; part: Part; prepared: PreparedPart; transitions: Transitions };
  };
  let budget = parts.length > 1 ? FIRST_BUDGET : Infinity;
  /** The invalid parts found so far (only ever more than one with allParts). */
  const found: { item: PendingPart; blockedCall: number }[] = [];
  let round = 0;
  let decided = 0;
  while (pending.length) {
    const handOver = typeof options.workers === 'number' ? round === 0 : budget > HAND_OVER_BUDGET;
    round++;
    const threads = handOver ? workerCount(options, model, pending.length) : 1;
    if (threads > 1) {
      threadsUsed = threads;
      const verdicts = await checkPartsInWorkers(pending.map((p) => ({ id: p.id, part: p.part })), model as string, options, threads);
      for (const v of verdicts) {
        explored += v.explored;
        if (v.outcome === 'timeout' || v.outcome === 'memory') {
          unknown.push({ key: parts[v.id].key, reason: v.outcome === 'timeout' ? 'time limit' : 'cache memory limit' });
        }
      }
      for (const v of verdicts) if (v.outcome === 'not-linearizable') found.push({ item: pending.find((p) => p.id === v.id)!, blockedCall: v.blockedCall });
      if (found.length && options.allParts !== true) return invalid(ready(found[0].item), found[0].blockedCall);
      break;
    }
    const still: typeof pending = [];
    // With several parts, progress counts parts decided; a single part counts configurations.
    const partOptions = parts.length > 1 ? { ...options, progress: undefined } : options;
    // Snapshots hold their parts' caches: past SNAPSHOT_BYTES in all, a part restarts next round.
    let held = 0;
    for (const pendingItem of pending) {
      const item = ready(pendingItem);
      const v = checkPart(item.prepared, m, partOptions, budget, item.transitions, pendingItem.snapshot);
      const bytes = v.snapshot ? (v.snapshot.cache?.bytes ?? 0) + 16 * v.snapshot.next.length : 0;
      pendingItem.snapshot = held + bytes <= SNAPSHOT_BYTES ? v.snapshot : undefined;
      if (pendingItem.snapshot) held += bytes;
      explored += v.explored;
      if (v.outcome !== 'budget' && parts.length > 1) options.progress?.phase('checking parts', ++decided, parts.length, 'parts');
      if (v.outcome === 'not-linearizable') {
        if (options.allParts !== true) return invalid(item, v.blockedCall);
        found.push({ item, blockedCall: v.blockedCall });
      }
      if (v.outcome === 'budget') still.push(item);
      else if (v.outcome === 'timeout' || v.outcome === 'memory') {
        unknown.push({ key: item.part.key, reason: v.outcome === 'timeout' ? 'time limit' : 'cache memory limit' });
      }
    }
    pending = still;
    budget = budget * BUDGET_GROWTH > 5e6 ? Infinity : budget * BUDGET_GROWTH;
  }
  if (found.length) {
    // allParts: every part had its turn; the first invalid one found is explained.
    const r = invalid(ready(found[0].item), found[0].blockedCall);
    const keys = found.slice(0, 10).map((f) => JSON.stringify(f.item.part.key ?? null));
    return {
      ...r,
      explanation:
        `${r.explanation} In all ${found.length} of ${parts.length} parts cannot be linearized` +
        `${found[0].item.part.keyed ? ` (keys ${keys.join(', ')}${found.length > 10 ? ', ...' : ''})` : ''}` +
        `${unknown.length ? `, and ${unknown.length} undecided` : ''}.`,
      invalidParts: found.map((f) => f.item.part.key ?? null),
      ...(unknown.length ? { unknownParts: unknown.slice(0, 20) } : {}),
    };
  }
  if (unknown.length) {
    return {
      valid: 'unknown',
      model: m.name,
      parts: parts.length,
      explanation: `gave up on ${unknown.length} of ${parts.length} part${parts.length === 1 ? '' : 's'} (${unknown[0].reason}) after exploring ${explored} configurations; the other parts are linearizable`,
      unknownParts: unknown.slice(0, 20),
      explored,
      ...threadsField(),
    };
  }
  return { valid: true, model: m.name, parts: parts.length, explored, ...threadsField() };
}
