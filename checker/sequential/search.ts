// The search for a sequentially consistent order: a depth-first search over configurations (how
// far each process has got in its own program order, and the model's state), iterative, with a
// set of explored configurations so that no configuration is expanded twice.
//
// From a configuration the moves are: take the next op of some process (if the model allows it in
// the current state); or, for an op whose outcome is unknown, skip it (it never happened). An op
// whose outcome is unknown at the end of its process (Jepsen's info: the process never invokes
// again) needs no skip move: leaving it untaken is "never", and the search succeeds once every
// process has taken its last ok op.
//
// One pruning rule, applied before every configuration is looked up: a process whose next op is
// read-only (the model's readOnly: it never changes any state, like a read or a cas that returned
// false) and legal in the current state takes it at once, without branching. That is safe: in any
// order that completes from here, that op can be moved to the front, since the ops before it
// belong to other processes and it changes nothing they see. (An op that merely leaves this state
// as it is, like a write of the value already there, is not enough: later, it would set a state
// that other writes had changed.)
import { ConfigSet, mix, processWeights } from './visited.js';

/** The calls of a history grouped by process, flat: process p's are calls procStart[p] .. procStart[p+1]-1. */
export interface SequentialProblem {
  processes: number;
  procStart: Int32Array;
  /** Per call: its signature for Transitions.next. */
  sig: Int32Array;
  /** Per call: 1 when it completed ok (it must be placed), 0 when its outcome is unknown. */
  known: Uint8Array;
  /** Per call: 1 when the op never changes the model's state (the model's readOnly). */
  readOnly: Uint8Array;
  /** Per call: the order in which the search prefers to try it (smaller first). */
  priority: Float64Array;
  /** The initial state id. */
  init: number;
  /** The state id after call signature `sig` in state `state`, or -1 when it cannot happen. */
  next(state: number, sig: number): number;
}

export interface SequentialSearchOptions {
  deadline?: number;
  /** Give up after this many configurations. */
  maxExplored?: number;
  /**
   * Bytes the search may take: what the process's resident memory grew by since the search began.
   * That counts the explored-configuration set and the model's interned states and their memo
   * (typed arrays, outside V8's heap figures), which a keyed model with many keys makes big.
   */
  maxMemoryBytes?: number;
}

/** Work units (configurations entered, moves weighed) between two looks at the clock and the heap. */
const CHECK_EVERY = 4096;

export type SequentialOutcome = 'sequential' | 'not-sequential' | 'timeout' | 'memory' | 'budget';

export interface SequentialSearchResult {
  outcome: SequentialOutcome;
  /** Configurations explored (distinct, after the pruning rule). */
  explored: number;
  /** The order found (calls, in order) when sequential; the longest order found otherwise. */
  order: Int32Array;
  /** The state id after each call of `order`. */
  states: Int32Array;
  /** Where the longest order left each process (its position in its own ops), and the state. */
  stuckPositions: Int32Array;
  stuckState: number;
}

const TAKE = 0;
const SKIP = 1;

export function searchSequential(problem: SequentialProblem, options: SequentialSearchOptions = {}): SequentialSearchResult {
  const { processes: np, procStart, sig, known, readOnly, priority } = problem;
  const total = procStart[np];
  const len = new Int32Array(np);
  /** Per process: its position after its last ok call (it is done once past it). */
  const required = new Int32Array(np);
  for (let p = 0; p < np; p++) {
    len[p] = procStart[p + 1] - procStart[p];
    for (let k = len[p] - 1; k >= 0; k--) {
      if (known[procStart[p] + k]) {
        required[p] = k + 1;
        break;
      }
    }
  }
  const weights = processWeights(np);
  const pos = new Int32Array(np);
  let posHash = 0;
  let unfinished = 0;
  for (let p = 0; p < np; p++) if (required[p] > 0) unfinished++;
  let placed = 0;

  // The log of moves, which is also the current order: process, state after, take or skip.
  const logProc = new Int32Array(total);
  const logState = new Int32Array(total);
  const logKind = new Uint8Array(total);
  let logLen = 0;

  // Frames of the depth-first search.
  const depthCap = total + 1;
  const frameState = new Int32Array(depthCap);
  const frameBase = new Int32Array(depthCap);
  const frameCandStart = new Int32Array(depthCap);
  const frameCursor = new Int32Array(depthCap);
  let depth = 0;
  // Candidate moves of every frame on the stack, each p * 2 + kind.
  let cand = new Int32Array(Math.max(16, np * 4));
  let candTop = 0;

  const maxMemory = options.maxMemoryBytes ?? 1 << 30;
  const seen = new ConfigSet(np, maxMemory);
  const maxExplored = options.maxExplored ?? Infinity;
  const deadline = options.deadline ?? Infinity;
  // The clock and the heap are looked at by work done, not by configurations: with thousands of
  // processes (a keyed history's keys become one state) one configuration weighs a move per
  // process, each step copying a big state, and a check every 1024 configurations let 1,000
  // keys run 13 s past a 5 s timeout and grow to 2.2 GB (issue 20).
  const rssAtStart = process.memoryUsage.rss();
  let work = 0;
  let halted: SequentialOutcome | undefined;
  const overBudget = (): boolean => {
    work = 0;
    if (Date.now() > deadline) halted = 'timeout';
    else if (Math.max(process.memoryUsage.rss() - rssAtStart, seen.bytes) > maxMemory) halted = 'memory';
    return halted !== undefined;
  };

  // The longest order found (most ops taken): the first bestLen moves of the log, kept in
  // bestProc/bestState/bestKind. They are copied only when the log is about to shrink below them,
  // and then only from `common` on (the log's prefix that still matches the copy), so every move
  // is copied at most once: no quadratic cost on long histories that backtrack often.
  let bestPlaced = -1;
  let bestLen = 0;
  let bestDirty = false;
  let common = 0;
  const bestProc = new Int32Array(total);
  const bestState = new Int32Array(total);
  const bestKind = new Uint8Array(total);

  const advance = (p: number, state: number, kind: number) => {
    logProc[logLen] = p;
    logState[logLen] = state;
    logKind[logLen] = kind;
    logLen++;
    pos[p]++;
    posHash = (posHash + weights[p]) | 0;
    if (pos[p] === required[p]) unfinished--;
    if (kind === TAKE) placed++;
  };

  const saveBest = () => {
    for (let i = common; i < bestLen; i++) {
      bestProc[i] = logProc[i];
      bestState[i] = logState[i];
      bestKind[i] = logKind[i];
    }
    common = bestLen;
    bestDirty = false;
  };

  const undoTo = (base: number) => {
    if (bestDirty && base < bestLen) saveBest();
    if (base < common) common = base;
    while (logLen > base) {
      logLen--;
      const p = logProc[logLen];
      if (pos[p] === required[p]) unfinished++;
      pos[p]--;
      posHash = (posHash - weights[p]) | 0;
      if (logKind[logLen] === TAKE) placed--;
    }
  };

  /** Takes every next op that is read-only and legal in `state` (the pruning rule). */
  const closure = (state: number) => {
    for (let p = 0; p < np; p++) {
      for (let c = procStart[p] + pos[p]; pos[p] < len[p] && readOnly[c] && problem.next(state, sig[c]) === state; c++) advance(p, state, TAKE);
    }
  };

  const pushCand = (c: number) => {
    if (candTop === cand.length) {
      const grown = new Int32Array(cand.length * 2);
      grown.set(cand);
      cand = grown;
    }
    cand[candTop++] = c;
  };

  /** Pushes a frame for the configuration now in pos at `state`, with its moves, best first. */
  const pushFrame = (state: number, base: number) => {
    const start = candTop;
    // ok ops, then unknown-outcome ops, each by priority; then skips
    for (let pass = 0; pass < 2; pass++) {
      const from = candTop;
      for (let p = 0; p < np; p++) {
        if (pos[p] === len[p]) continue;
        const c = procStart[p] + pos[p];
        if (known[c] !== (pass === 0 ? 1 : 0)) continue;
        if (++work >= CHECK_EVERY && overBudget()) return;
        if (problem.next(state, sig[c]) < 0) continue;
        pushCand(p * 2 + TAKE);
      }
      // insertion sort of this pass's moves by priority
      for (let i = from + 1; i < candTop; i++) {
        const x = cand[i];
        const px = priority[procStart[x >> 1] + pos[x >> 1]];
        let j = i - 1;
        while (j >= from && priority[procStart[cand[j] >> 1] + pos[cand[j] >> 1]] > px) {
          cand[j + 1] = cand[j];
          j--;
        }
        cand[j + 1] = x;
      }
    }
    for (let p = 0; p < np; p++) {
      // a skip matters only for an unknown op with ops of its process after it
      if (pos[p] < len[p] - 1 && !known[procStart[p] + pos[p]]) pushCand(p * 2 + SKIP);
    }
    frameState[depth] = state;
    frameBase[depth] = base;
    frameCandStart[depth] = start;
    frameCursor[depth] = start;
    depth++;
  };

  const result = (outcome: SequentialOutcome): SequentialSearchResult => {
    if (outcome === 'sequential') bestLen = logLen;
    if (outcome === 'sequential' || bestDirty) saveBest();
    const order: number[] = [];
    const states: number[] = [];
    const at = new Int32Array(np);
    for (let i = 0; i < bestLen; i++) {
      const p = bestProc[i];
      if (bestKind[i] === TAKE) {
        order.push(procStart[p] + at[p]);
        states.push(bestState[i]);
      }
      at[p]++;
    }
    const state = bestLen ? bestState[bestLen - 1] : problem.init;
    return { outcome, explored: seen.size, order: Int32Array.from(order), states: Int32Array.from(states), stuckPositions: at, stuckState: state };
  };

  // Enter a configuration: apply the pruning rule, test for success, look it up, push it.
  // Returns the outcome if the search is over, 'new' when pushed, 'seen' when already explored.
  const enter = (state: number, base: number): SequentialOutcome | 'new' | 'seen' => {
    closure(state);
    if (placed > bestPlaced) {
      bestPlaced = placed;
      bestLen = logLen;
      bestDirty = true;
    }
    if (unfinished === 0) return 'sequential';
    const added = seen.add(pos, state, mix(posHash ^ mix(Math.imul(state + 1, 0x27d4eb2d))));
    if (added === -1) return 'memory';
    if (added === 0) {
      undoTo(base);
      return 'seen';
    }
    if (seen.size > maxExplored) return 'budget';
    pushFrame(state, base);
    if (halted) return halted;
    return 'new';
  };

  const first = enter(problem.init, 0);
  if (first !== 'new' && first !== 'seen') return result(first);
  while (depth > 0) {
    if (++work >= CHECK_EVERY && overBudget()) return result(halted!);
    const f = depth - 1;
    const state = frameState[f];
    if (frameCursor[f] === candTop) {
      // every move from here failed: back to the parent configuration
      undoTo(frameBase[f]);
      candTop = frameCandStart[f];
      depth--;
      continue;
    }
    const move = cand[frameCursor[f]++];
    const p = move >> 1;
    const kind = move & 1;
    const next = kind === TAKE ? problem.next(state, sig[procStart[p] + pos[p]]) : state;
    const base = logLen;
    advance(p, next, kind);
    const r = enter(next, base);
    if (r !== 'new' && r !== 'seen') return result(r);
  }
  return result('not-sequential');
}
