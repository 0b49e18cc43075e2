// The Wing–Gong–Lowe search for a linearization, iterative, over a doubly linked list of call and
// return entries in history order: lift a call whose model step succeeds (removing its call and
// return entries), backtrack at a return whose call is not yet linearized. A cache of explored
// (linearized set, state) configurations prunes repeated work (Lowe's improvement, as in
// Porcupine). Unknown-outcome calls have no return entry: they may be linearized any time after
// their call, or never, so the search succeeds once every ok call is linearized.
import { ConfigCache } from './config-cache.js';
import { INCONSISTENT } from './model.js';
import { type PreparedPart, Transitions, UNKNOWN_STEP } from './prepare.js';

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
  /** Match cached configurations exactly, not by subsumption of unknown-outcome calls. */
  noSubsumption?: boolean;
  /** Turn off the model's lookahead (Model.lookahead), for tests and benchmarks. */
  noLookahead?: boolean;
  /** Called every few thousand configurations with the number explored (for a progress line). */
  onProgress?: (explored: number) => void;
  /** On running out of budget, return a snapshot (SearchResult.snapshot) to resume from. */
  resumable?: boolean;
}

/**
 * Where a search stopped by its budget was (SearchOptions.resumable): passed back to `search`, it
 * carries on from there, with the same cache, as if it had never stopped. Only for the same part
 * and the same Transitions.
 */
export interface SearchSnapshot {
  next: Int32Array;
  prev: Int32Array;
  bits: Uint32Array;
  stackCall: Int32Array;
  stackState: Int32Array;
  forced: Uint8Array;
  cache: ConfigCache | undefined;
  sp: number;
  state: number;
  okLeft: number;
  explored: number;
  ha: number;
  hb: number;
  epoch: number;
  blockedCall: number;
  blockedPos: number;
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
  /** Configurations explored (by this call, when resumed) and cache size, for unknown results and benchmarks. */
  explored: number;
  /** With SearchOptions.resumable, when the budget ran out: where to resume. */
  snapshot?: SearchSnapshot;
  cached: number;
  cacheBytes: number;
}

// Fixed pseudo-random 32-bit values for Zobrist hashing of the linearized set. They come from a
// multiplicative mixer, not a linear generator like xorshift: XORs of a linear generator's outputs
// fall into few values and the cache's probe chains grow long. Computed once, for the largest part
// seen so far (the value for call i does not depend on n).
const zobristTables: Record<number, Uint32Array> = {};
function zobrist(n: number, seed: number): Uint32Array {
  let z = zobristTables[seed];
  if (!z || z.length < n) {
    z = zobristTables[seed] = new Uint32Array(Math.max(1024, n * 2));
    for (let i = 0; i < z.length; i++) {
      let h = (Math.imul(i + 1, 0x9e3779b9) ^ seed) >>> 0;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      z[i] = (h ^ (h >>> 16)) >>> 0;
    }
  }
  return z;
}

/** A step's new state not interned yet (Model.memo false): an object in the search's `s1`. */
const NOT_INTERNED = -3;

// How far the lookahead walks the pending entries, and how many probes it runs, per step.
const LOOKAHEAD_STEPS = 128;
const LOOKAHEAD_PROBES = 2;

// The search's working arrays, kept between searches (a check runs one per part, and the evidence
// a few more; allocating a score of typed arrays each time showed as garbage collection). Views of
// pooled buffers, grown when a bigger part comes; the search is synchronous and never reentered, so
// one set serves every search of a thread. Every array is initialized before it is read.
const POOL_LIMIT = 1 << 16; // bigger parts get their own arrays, so a long-lived process keeps little
const pool = {
  i32: [] as Int32Array[],
  f64: [] as Float64Array[],
  u8: [] as Uint8Array[],
  u32: [] as Uint32Array[],
};
function scratchI32(slot: number, size: number): Int32Array {
  if (size > POOL_LIMIT) return new Int32Array(size);
  let b = pool.i32[slot];
  if (!b || b.length < size) b = pool.i32[slot] = new Int32Array(Math.max(256, size * 2));
  return b.subarray(0, size);
}
function scratchF64(slot: number, size: number): Float64Array {
  if (size > POOL_LIMIT) return new Float64Array(size);
  let b = pool.f64[slot];
  if (!b || b.length < size) b = pool.f64[slot] = new Float64Array(Math.max(256, size * 2));
  return b.subarray(0, size);
}
function scratchU8(slot: number, size: number): Uint8Array {
  if (size > POOL_LIMIT) return new Uint8Array(size);
  let b = pool.u8[slot];
  if (!b || b.length < size) b = pool.u8[slot] = new Uint8Array(Math.max(256, size * 2));
  return b.subarray(0, size);
}
function scratchU32(slot: number, size: number): Uint32Array {
  if (size > POOL_LIMIT) return new Uint32Array(size);
  let b = pool.u32[slot];
  if (!b || b.length < size) b = pool.u32[slot] = new Uint32Array(Math.max(256, size * 2));
  return b.subarray(0, size);
}

// One small configuration cache kept between searches of parts of the same size class, like the
// arrays above; a cache that grew big is dropped rather than cleared and kept.
let spareCache: ConfigCache | undefined;
function takeCache(n: number): ConfigCache {
  const c = spareCache;
  spareCache = undefined;
  if (c && c.words === Math.max(1, Math.ceil(n / 32))) {
    c.clear();
    return c;
  }
  return new ConfigCache(n, 64);
}
function returnCache(c: ConfigCache | undefined): void {
  if (c && c.capacity <= 4096) spareCache = c;
}

/**
 * SearchOptions with every field present, in one order: callers that pass objects of one shape
 * keep the search's reads of them monomorphic (a new shape deoptimizes it).
 */
export function searchOptions(o: SearchOptions): SearchOptions {
  return {
    deadline: o.deadline,
    maxCacheBytes: o.maxCacheBytes,
    noCache: o.noCache,
    collectStates: o.collectStates,
    collectBudget: o.collectBudget,
    maxExplored: o.maxExplored,
    noReadOnlyRule: o.noReadOnlyRule,
    noDominanceRule: o.noDominanceRule,
    noSubsumption: o.noSubsumption,
    noLookahead: o.noLookahead,
    onProgress: o.onProgress,
    resumable: o.resumable,
  };
}

/** A result with the search's counters (the linearization and states are added by the caller). */
function makeResult(outcome: SearchOutcome, explored: number, blockedCall: number, cache: ConfigCache | undefined): SearchResult {
  return { outcome, blockedCall, explored, cached: cache ? cache.size : 0, cacheBytes: cache ? cache.bytes : 0 };
}

/** Entries 0..m-1 ordered by `pos`. Its own function: the comparator closes over `pos`, which in
 * search() would move `pos` into a heap context that every step of the loop then reads through. */
function entriesByPosition(pos: Float64Array, m: number): Int32Array {
  const order = scratchI32(4, m);
  for (let e = 0; e < m; e++) order[e] = e;
  return order.sort((a, b) => pos[a] - pos[b]);
}

// The search is one loop over typed arrays and ints, with no closures (a closure would move the
// loop's variables into a heap context) and the common step inline: the memoized transition is
// read from the dense table, a model step only on a miss. Everything it touches has type
// feedback from the first configurations on, so the code V8 optimizes early does not deoptimize
// later (a fresh `faultline check` process spends most of its search time before that point).
export function search(part: PreparedPart, transitions: Transitions, options: SearchOptions = {}, resume?: SearchSnapshot): SearchResult {
  const calls = part.calls;
  const sig = part.sig;
  const n = calls.length;
  const initial = transitions.intern(transitions.model.init());
  const want = options.collectStates ?? 0;
  const collectBudget = options.collectBudget ?? 1000;
  const finalStates: number[] = [];
  const useDominance = options.noDominanceRule !== true;

  // Entries: call entries 0..n-1 (call i), return entries n.. (one per ok call). HEAD/TAIL sentinels.
  let okCount = 0;
  for (let i = 0; i < n; i++) if (calls[i].done) okCount++;
  const m = n + okCount;
  const HEAD = m;
  const TAIL = m + 1;
  const next = scratchI32(0, m + 2);
  const prev = scratchI32(1, m + 2);
  const callOf = scratchI32(2, m);
  const returnOf = scratchI32(3, n).fill(-1);
  // Order entries by history position: calls at their invocation, returns at their completion.
  const pos = scratchF64(0, m);
  for (let i = 0, k = n; i < n; i++) {
    callOf[i] = i;
    pos[i] = calls[i].invokedAt;
    if (calls[i].done) {
      callOf[k] = i;
      returnOf[i] = k;
      pos[k] = calls[i].completedAt;
      k++;
    }
  }
  const order = entriesByPosition(pos, m);
  let last = HEAD;
  for (let k = 0; k < m; k++) {
    const e = order[k];
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = TAIL;
  prev[TAIL] = last;

  const words = Math.max(1, Math.ceil(n / 32));
  const bits = scratchU32(0, words).fill(0);
  const zA = zobrist(n, 0x2545f491);
  const zB = zobrist(n, 0x9e3779b9);
  let ha = 0;
  let hb = 0;
  const cache = options.noCache ? undefined : resume ? resume.cache : takeCache(n);
  // Calls of unknown outcome, for the cache's subsumption: a configuration that took one of them
  // and has the state one that did not take it already had, can do nothing that one could not
  // (an unknown call left unlinearized has no return to constrain anything), so it is pruned too.
  let nUnknown = 0;
  if (options.noSubsumption !== true) for (let i = 0; i < n; i++) if (!calls[i].done) nUnknown++;
  const unknownCalls = scratchI32(5, nUnknown);
  for (let i = 0, k = 0; k < nUnknown; i++) if (!calls[i].done) unknownCalls[k++] = i;
  const stackCall = scratchI32(6, n);
  const stackState = scratchI32(7, n);
  let sp = 0;
  let state = initial;
  let okLeft = okCount;
  let explored = 0;
  const maxBytes = options.maxCacheBytes ?? Infinity;
  const deadline = options.deadline ?? Infinity;
  const maxExplored = options.maxExplored ?? Infinity;
  const onProgress = options.onProgress;
  // Limits are looked at every 4096 lifts, and at the first, so that code runs early.
  let checkIn = 1;

  // Pruning the anchors lack, both sound by exchange arguments (docs/linearizability.md):
  // 1. A read-only ok call (a read, a cas that did not hold) that can be lifted now is lifted
  //    without branching: moving it earlier never hurts, since it changes no state.
  // 2. Of two unlinearized calls with the same signature, the one invoked earlier that returns no
  //    later dominates: lifting the other first is never needed.
  const readOnly = scratchU8(0, n);
  const ret = scratchF64(1, n);
  for (let i = 0; i < n; i++) {
    readOnly[i] = calls[i].readOnly && calls[i].done && !options.noReadOnlyRule ? 1 : 0;
    ret[i] = calls[i].done ? calls[i].completedAt : Infinity;
  }
  const forced = scratchU8(1, n); // per stack depth: that lift was forced (rule 1)
  const nSigs = transitions.nSigs;
  const seenEpoch = scratchI32(8, nSigs).fill(0);
  const minRet = scratchF64(2, nSigs);
  let epoch = 1;
  let memo = transitions.memo;
  // The model's lookahead (Model.lookahead): per signature, whether the call resets the state and
  // the test a state must pass for the call to succeed later.
  const resets = options.noLookahead === true ? undefined : transitions.resets;
  const probes = transitions.probes;
  const scopes = transitions.scopes;
  const states = transitions.states;
  const raw = transitions.raw;

  let blockedCall = -1;
  let blockedPos = -1;
  let found: SearchResult | undefined;
  let collectUntil = Infinity;
  let entry = next[HEAD];
  let backtrack = false;
  let outcome: SearchOutcome = 'not-linearizable';

  let startExplored = 0;
  let snapshot: SearchSnapshot | undefined;
  if (resume) {
    // Where the last round stopped: just after a lift, the scan to start again from the head.
    next.set(resume.next);
    prev.set(resume.prev);
    bits.set(resume.bits);
    stackCall.set(resume.stackCall);
    stackState.set(resume.stackState);
    forced.set(resume.forced);
    sp = resume.sp;
    state = resume.state;
    okLeft = resume.okLeft;
    explored = startExplored = resume.explored;
    ha = resume.ha;
    hb = resume.hb;
    epoch = resume.epoch;
    blockedCall = resume.blockedCall;
    blockedPos = resume.blockedPos;
    entry = next[HEAD];
  } else if (cache) cache.add(bits, ha, hb, state);
  for (;;) {
    if (okLeft === 0 && !backtrack) {
      if (!found) {
        collectUntil = explored + collectBudget;
        found = makeResult('linearizable', 0, -1, undefined);
        found.linearization = stackCall.slice(0, sp);
        const states = new Int32Array(sp);
        for (let k = 0; k < sp; k++) states[k] = k + 1 < sp ? stackState[k + 1] : state;
        found.linearizationStates = states;
      }
      if (!finalStates.includes(state)) finalStates.push(state);
      if (finalStates.length >= want || explored > collectUntil) break;
      backtrack = true; // keep looking for other final states: treat this leaf as a dead end
    }
    if (!backtrack && entry < n) {
      const c = entry;
      const g = sig[c];
      // Rule 2's scan state: the earliest return among the calls of each signature passed so far.
      // (Every access below runs on the first histories, so the optimized loop never meets one
      // without type feedback and deoptimizes.)
      const rc = ret[c];
      const fresh = seenEpoch[g] !== epoch;
      const mr = fresh ? Infinity : minRet[g];
      if (!fresh && mr <= rc && useDominance) {
        entry = next[entry]; // dominated (rule 2)
        continue;
      }
      seenEpoch[g] = epoch;
      minRet[g] = rc < mr ? rc : mr;
      const k = state * nSigs + g;
      let ns = k < memo.length ? memo[k] : UNKNOWN_STEP;
      // Without a memo (Model.memo false), the new state is an object until it passes the
      // lookahead, and only then interned: most steps of kv's appends fail it.
      let s1: unknown = undefined;
      if (ns === UNKNOWN_STEP) {
        if (raw) {
          s1 = transitions.stepRaw(state, g);
          ns = s1 === INCONSISTENT ? -1 : s1 === states[state] ? state : NOT_INTERNED;
        } else {
          ns = transitions.miss(state, g);
          memo = transitions.memo;
        }
      }
      if (ns !== -1 && ns !== state && resets !== undefined) {
        // Lookahead: the pending ok calls in return order, up to the first pending reset (other
        // than c), must each still be able to succeed from ns. A few suffice: for kv, what the
        // first pending get returned is a prefix of what the later ones did, or one of them fails.
        // Only the object c changed is probed (Model.lookahead.scope), so only its resets count.
        if (ns !== NOT_INTERNED) s1 = states[ns];
        const sc = scopes![g];
        let probed = 0;
        for (let e = next[HEAD], steps = 0; e !== TAIL && steps < LOOKAHEAD_STEPS; e = next[e], steps++) {
          if (e < n) {
            if (e !== c && resets[sig[e]] === 1 && scopes![sig[e]] === sc) break;
            continue;
          }
          const k = callOf[e];
          if (k === c || scopes![sig[k]] !== sc) continue;
          const probe = probes![sig[k]];
          if (probe === undefined) continue;
          if (!probe(s1)) {
            // That call's return stops every way on from here: where the search stopped.
            if (pos[e] > blockedPos) {
              blockedPos = pos[e];
              blockedCall = k;
            }
            ns = -1;
            break;
          }
          if (++probed === LOOKAHEAD_PROBES) break;
        }
      }
      if (ns === NOT_INTERNED) ns = transitions.intern(s1);
      if (ns !== -1) {
        const w = c >>> 5;
        const bit = 1 << (c & 31);
        bits[w] ^= bit;
        ha ^= zA[c];
        hb ^= zB[c];
        let fresh = true;
        if (cache) {
          for (let q = 0; q < nUnknown; q++) {
            const u = unknownCalls[q];
            const ub = 1 << (u & 31);
            if ((bits[u >>> 5] & ub) === 0) continue;
            bits[u >>> 5] ^= ub;
            fresh = !cache.has(bits, ha ^ zA[u], hb ^ zB[u], ns);
            bits[u >>> 5] ^= ub;
            if (!fresh) break;
          }
          if (fresh) fresh = cache.add(bits, ha, hb, ns);
        }
        if (fresh) {
          forced[sp] = readOnly[c];
          stackCall[sp] = c;
          stackState[sp] = state;
          sp++;
          state = ns;
          // Lift: unlink the call entry and its return entry.
          next[prev[c]] = next[c];
          prev[next[c]] = prev[c];
          const r = returnOf[c];
          if (r !== -1) {
            next[prev[r]] = next[r];
            prev[next[r]] = prev[r];
            okLeft--;
          }
          entry = next[HEAD];
          epoch++;
          if (++explored > maxExplored || explored > collectUntil) {
            if (!found) {
              outcome = 'budget';
              if (options.resumable === true) {
                snapshot = {
                  next: next.slice(),
                  prev: prev.slice(),
                  bits: bits.slice(),
                  stackCall: stackCall.slice(0, sp),
                  stackState: stackState.slice(0, sp),
                  forced: forced.slice(0, sp),
                  cache,
                  sp,
                  state,
                  okLeft,
                  explored,
                  ha,
                  hb,
                  epoch,
                  blockedCall,
                  blockedPos,
                };
              }
            }
            break; // with found: more final states were only wanted within a budget
          }
          if (--checkIn === 0) {
            checkIn = 4096;
            if (onProgress) onProgress(explored);
            if (Date.now() > deadline) {
              if (!found) outcome = 'timeout';
              break;
            }
            if (cache && cache.bytes > maxBytes) {
              if (!found) outcome = 'memory';
              break;
            }
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
      if (!backtrack && entry !== TAIL && pos[entry] > blockedPos) {
        blockedPos = pos[entry];
        blockedCall = callOf[entry];
      }
      if (sp === 0) break;
      const c = stackCall[--sp];
      state = stackState[sp];
      bits[c >>> 5] ^= 1 << (c & 31);
      ha ^= zA[c];
      hb ^= zB[c];
      // Unlift: relink the return entry and the call entry.
      const r = returnOf[c];
      if (r !== -1) {
        next[prev[r]] = r;
        prev[next[r]] = r;
        okLeft++;
      }
      next[prev[c]] = c;
      prev[next[c]] = c;
      if (forced[sp]) {
        backtrack = true; // rule 1: nothing else needs trying here
        continue;
      }
      backtrack = false;
      // Rebuild rule 2's scan state for a scan that has passed every entry up to c.
      epoch++;
      for (let e = next[HEAD]; ; e = next[e]) {
        if (e < n) {
          const ge = sig[e];
          const re = ret[e];
          const mre = seenEpoch[ge] !== epoch ? Infinity : minRet[ge];
          seenEpoch[ge] = epoch;
          minRet[ge] = re < mre ? re : mre;
        }
        if (e === c) break;
      }
      entry = next[c];
    }
  }
  const result = found ?? makeResult(outcome, 0, -1, undefined);
  result.explored = explored - startExplored;
  result.cached = cache ? cache.size : 0;
  result.cacheBytes = cache ? cache.bytes : 0;
  if (snapshot) result.snapshot = snapshot;
  else returnCache(cache);
  result.blockedCall = blockedCall;
  if (found) result.finalStates = finalStates;
  return result;
}
