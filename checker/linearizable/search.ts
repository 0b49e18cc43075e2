// The Wing–Gong–Lowe search for a linearization, iterative, over a doubly linked list of call and
// return entries in history order: lift a call whose model step succeeds (removing its call and
// return entries), backtrack at a return whose call is not yet linearized. A cache of explored
// (linearized set, state) configurations prunes repeated work (Lowe's improvement, as in
// Porcupine). Unknown-outcome calls have no return entry: they may be linearized any time after
// their call, or never, so the search succeeds once every ok call is linearized.
import { ConfigCache } from './config-cache.js';
import { type PreparedPart, Transitions } from './prepare.js';

export interface SearchOptions {
  /** Date.now() after which the search gives up. */
  deadline?: number;
  /** Bytes the configuration cache may hold before the search gives up. */
  maxCacheBytes?: number;
  /** Disable the configuration cache (the baseline for benchmarks). */
  noCache?: boolean;
  /** After success, keep searching for up to this many distinct final states (for evidence). */
  collectStates?: number;
  /** Configurations the search for more final states may explore after the first (default 1,000). */
  collectBudget?: number;
  /** Give up (outcome "budget") after exploring this many configurations. */
  maxExplored?: number;
  /** Turn off the pruning rules (for tests that prove them, and benchmarks that measure them). */
  noReadOnlyRule?: boolean;
  noDominanceRule?: boolean;
}

export type SearchOutcome = 'linearizable' | 'not-linearizable' | 'timeout' | 'memory' | 'budget';

export interface SearchResult {
  outcome: SearchOutcome;
  /** Call indices in linearization order (the first one found), when linearizable. */
  linearization?: Int32Array;
  /** State ids after each call of `linearization`. */
  linearizationStates?: Int32Array;
  /** Distinct final state ids found (with collectStates). */
  finalStates?: number[];
  /**
   * The call whose return stopped the search furthest into the history (an ok call it could not
   * linearize in time), or -1: where an unlinearizable history most likely first fails, for the
   * evidence to verify rather than search for.
   */
  blockedCall: number;
  /** Configurations explored and cache size, for unknown results and benchmarks. */
  explored: number;
  cached: number;
  cacheBytes: number;
}

// Fixed pseudo-random 32-bit values for Zobrist hashing of the linearized set. They come from a
// multiplicative mixer, not a linear generator like xorshift: XORs of a linear generator's outputs
// fall into few values and the cache's probe chains grow long.
function zobrist(n: number, seed: number): Uint32Array {
  const z = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i + 1, 0x9e3779b9) ^ seed) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    z[i] = (h ^ (h >>> 16)) >>> 0;
  }
  return z;
}

export function search(part: PreparedPart, transitions: Transitions, options: SearchOptions = {}): SearchResult {
  const { calls, sig } = part;
  const n = calls.length;
  const initial = transitions.intern(transitions.model.init());
  const want = options.collectStates ?? 0;
  const finalStates: number[] = [];

  // Entries: call entries 0..n-1 (call i), return entries n.. (one per ok call). HEAD/TAIL sentinels.
  const okCalls: number[] = [];
  for (let i = 0; i < n; i++) if (calls[i].done) okCalls.push(i);
  const m = n + okCalls.length;
  const HEAD = m;
  const TAIL = m + 1;
  const next = new Int32Array(m + 2);
  const prev = new Int32Array(m + 2);
  const callOf = new Int32Array(m);
  const returnOf = new Int32Array(n).fill(-1);
  // Order entries by history position: calls at their invocation, returns at their completion.
  const pos = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    callOf[i] = i;
    pos[i] = calls[i].invokedAt;
  }
  okCalls.forEach((c, k) => {
    const e = n + k;
    callOf[e] = c;
    returnOf[c] = e;
    pos[e] = calls[c].completedAt;
  });
  const order = Array.from({ length: m }, (_, e) => e).sort((a, b) => pos[a] - pos[b]);
  let last = HEAD;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = TAIL;
  prev[TAIL] = last;

  const lift = (c: number) => {
    next[prev[c]] = next[c];
    prev[next[c]] = prev[c];
    const r = returnOf[c];
    if (r !== -1) {
      next[prev[r]] = next[r];
      prev[next[r]] = prev[r];
    }
  };
  const unlift = (c: number) => {
    const r = returnOf[c];
    if (r !== -1) {
      next[prev[r]] = r;
      prev[next[r]] = r;
    }
    next[prev[c]] = c;
    prev[next[c]] = c;
  };

  const cache = options.noCache ? undefined : new ConfigCache(n);
  const words = Math.max(1, Math.ceil(n / 32));
  const bits = new Uint32Array(words);
  const zA = zobrist(n, 0x2545f491);
  const zB = zobrist(n, 0x9e3779b9);
  let ha = 0;
  let hb = 0;
  const stackCall = new Int32Array(n);
  const stackState = new Int32Array(n);
  let sp = 0;
  let state = initial;
  let okLeft = okCalls.length;
  let explored = 0;
  const maxBytes = options.maxCacheBytes ?? Infinity;
  const deadline = options.deadline ?? Infinity;
  const maxExplored = options.maxExplored ?? Infinity;

  // Pruning the anchors lack, both sound by exchange arguments (docs/linearizability.md):
  // 1. A read-only ok call (a read, a cas that did not hold) that can be lifted now is lifted
  //    without branching: moving it earlier never hurts, since it changes no state.
  // 2. Of two unlinearized calls with the same signature, the one invoked earlier that returns no
  //    later dominates: lifting the other first is never needed.
  const readOnly = new Uint8Array(n);
  const ret = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    readOnly[i] = calls[i].readOnly && calls[i].done && !options.noReadOnlyRule ? 1 : 0;
    ret[i] = calls[i].done ? calls[i].completedAt : Infinity;
  }
  const forced = new Uint8Array(n); // per stack depth: that lift was forced (rule 1)
  const nSigs = part.sigCalls.length;
  const seenEpoch = new Int32Array(Math.max(1, nSigs));
  const minRet = new Float64Array(Math.max(1, nSigs));
  let epoch = 1;
  const note = (c: number) => {
    const g = sig[c];
    if (seenEpoch[g] !== epoch) {
      seenEpoch[g] = epoch;
      minRet[g] = ret[c];
    } else if (ret[c] < minRet[g]) minRet[g] = ret[c];
  };
  /** Rebuilds rule 2's scan state for a scan that has passed every entry up to and including `upTo`. */
  const rescan = (upTo: number) => {
    epoch++;
    for (let e = next[HEAD]; ; e = next[e]) {
      if (e < n) note(e);
      if (e === upTo) break;
    }
  };

  let blockedCall = -1;
  let blockedPos = -1;
  const result = (outcome: SearchOutcome): SearchResult => ({
    outcome,
    blockedCall,
    explored,
    cached: cache?.size ?? 0,
    cacheBytes: cache?.bytes ?? 0,
  });
  let found: SearchResult | undefined;
  let collectUntil = Infinity;
  let entry = next[HEAD];
  let backtrack = false;

  cache?.add(bits, ha, hb, state);
  for (;;) {
    if (okLeft === 0 && !backtrack) {
      if (!found) {
        collectUntil = explored + (options.collectBudget ?? 1000);
        found = result('linearizable');
        found.linearization = stackCall.slice(0, sp);
        const states = new Int32Array(sp);
        for (let k = 0; k < sp; k++) states[k] = k + 1 < sp ? stackState[k + 1] : state;
        found.linearizationStates = states;
      }
      if (!finalStates.includes(state)) finalStates.push(state);
      if (finalStates.length >= want || explored > collectUntil) break;
      backtrack = true; // keep looking for other final states: treat this leaf as a dead end
    }
    if (!backtrack && entry !== TAIL && entry < n) {
      const c = entry;
      const g = sig[c];
      if (seenEpoch[g] === epoch && minRet[g] <= ret[c] && !options.noDominanceRule) {
        entry = next[entry]; // dominated (rule 2)
        continue;
      }
      note(c);
      const ns = transitions.next(state, g);
      if (ns !== -1) {
        const w = c >>> 5;
        const bit = 1 << (c & 31);
        bits[w] ^= bit;
        ha ^= zA[c];
        hb ^= zB[c];
        if (!cache || cache.add(bits, ha, hb, ns)) {
          forced[sp] = readOnly[c];
          stackCall[sp] = c;
          stackState[sp] = state;
          sp++;
          state = ns;
          lift(c);
          if (returnOf[c] !== -1) okLeft--;
          entry = next[HEAD];
          epoch++;
          if (++explored > maxExplored || explored > collectUntil) {
            if (found) break; // more final states were only wanted within a budget
            return result('budget');
          }
          if ((explored & 0xfff) === 0) {
            if (Date.now() > deadline) return found ? finish(found) : result('timeout');
            if (cache && cache.bytes > maxBytes) return found ? finish(found) : result('memory');
          }
          continue;
        }
        bits[w] ^= bit;
        ha ^= zA[c];
        hb ^= zB[c];
        if (readOnly[c]) {
          backtrack = true; // rule 1: the forced move leads only to explored ground
          continue;
        }
      }
      entry = next[entry];
    } else {
      // A return whose call is not linearized, the end, or a dead end: undo the last lift.
      if (!backtrack && entry >= n && entry !== TAIL && pos[entry] > blockedPos) {
        blockedPos = pos[entry];
        blockedCall = callOf[entry];
      }
      if (sp === 0) break;
      const c = stackCall[--sp];
      state = stackState[sp];
      bits[c >>> 5] ^= 1 << (c & 31);
      ha ^= zA[c];
      hb ^= zB[c];
      unlift(c);
      if (returnOf[c] !== -1) okLeft++;
      if (forced[sp]) {
        backtrack = true; // rule 1: nothing else needs trying here
        continue;
      }
      backtrack = false;
      rescan(c);
      entry = next[c];
    }
  }
  return found ? finish(found) : result('not-linearizable');

  function finish(f: SearchResult): SearchResult {
    f.explored = explored;
    f.cached = cache?.size ?? 0;
    f.cacheBytes = cache?.bytes ?? 0;
    f.blockedCall = blockedCall;
    f.finalStates = finalStates;
    return f;
  }
}
