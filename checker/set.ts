// Jepsen's set checkers, over `add` ops (value: one element) and `read` ops (ok value: the list of
// elements present).
//
// set:      the last ok read is the final state. lost = acknowledged adds missing from it;
//           unexpected = elements it holds that no add ever tried; recovered = elements of info
//           (or never completed) adds that it holds; ok = attempted elements it holds.
//           Valid iff nothing is lost and nothing is unexpected.
// set-full: every ok read counts. Per element (Jepsen's definitions, with history order standing
//           for real time, as Jepsen's op indices do):
//   - a read is *relevant* to an element when it completed after the element's add was invoked
//     (a read that ended before that cannot have seen it);
//   - the element is *known* from the first of: its add's ok completion, the ok completion of a
//     relevant read holding it;
//   - the *last read* is the relevant read invoked last;
//   - stable: the last read holds it (every read begun after the last one to miss it saw it);
//   - lost: the last read misses it, and that read began after the element was known;
//   - never-read: neither (no relevant read, or the last one missing it overlapped the add);
//   - stale (a subset of stable): some read begun after the element was known missed it;
//   - duplicated: some read holds it more than once.
//   The stable latency of an element is the time from its known time to the invocation of the
//   last read that missed it (0 when that was not after the known time): a lower bound on how
//   long it took to become visible for good. Valid is false on any lost, duplicated or unexpected
//   element (and, with the `linearizable` option, any stale one); unknown when no element is
//   stable; else true.
//
// Keyed histories (Jepsen's independent keys): each key is its own set; an element is the pair
// (key, value).
import { HistoryError, InputError, show } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { canonicalJson } from './linearizable/values.js';
import { showKey, showValue } from './txn/anomalies.js';
import type { Checker, CheckContext, Result } from './types.js';

// ---------------------------------------------------------------------------------------------
// Shared helpers (queue.ts and unique-ids.ts use them too)

/** Interns keys and (key, value) elements to dense ints. Values compare as canonical JSON. */
export class ElementIndex {
  private readonly primKeys = new Map<unknown, number>();
  private readonly objKeys = new Map<string, number>();
  readonly keys: unknown[] = [];
  private readonly prim: Map<unknown, number>[] = [];
  private readonly obj: (Map<string, number> | undefined)[] = [];
  /** Per element: its value and its key's id. */
  readonly values: unknown[] = [];
  keyOfElement = new Int32Array(1024);

  get size(): number {
    return this.values.length;
  }

  /** The id of `key` (undefined is a key like any other: the unkeyed history's one set). */
  keyId(key: unknown): number {
    const isObj = key !== null && typeof key === 'object';
    const map = isObj ? this.objKeys : this.primKeys;
    const k = isObj ? canonicalJson(key) : key;
    let id = map.get(k);
    if (id === undefined) {
      id = this.keys.length;
      (map as Map<unknown, number>).set(k, id);
      this.keys.push(key);
      this.prim.push(new Map());
      this.obj.push(undefined);
    }
    return id;
  }

  /** The element id of `value` under key `keyId`; -1 when absent and `create` is false. */
  id(keyId: number, value: unknown, create: boolean): number {
    const isObj = value !== null && typeof value === 'object';
    let map: Map<unknown, number> | undefined = isObj ? this.obj[keyId] : this.prim[keyId];
    if (map === undefined) {
      if (!create) return -1;
      map = this.obj[keyId] = new Map<string, number>();
    }
    const v = isObj ? canonicalJson(value) : value;
    let id = map.get(v);
    if (id === undefined) {
      if (!create) return -1;
      id = this.values.length;
      map.set(v, id);
      this.values.push(value);
      if (id === this.keyOfElement.length) {
        const next = new Int32Array(id * 2);
        next.set(this.keyOfElement);
        this.keyOfElement = next;
      }
      this.keyOfElement[id] = keyId;
    }
    return id;
  }

  private dense: (Int32Array | undefined)[] = [];
  private denseMin = new Float64Array(0);

  /**
   * Freezes lookups for speed: each key whose elements are all integers in a range at most about
   * four times as wide as their number gets a direct table from value to id. Call once every
   * element is interned; `lookup` then answers as `id(k, v, false)` does.
   */
  buildLookup(): void {
    const K = this.keys.length;
    const min = new Float64Array(K).fill(Infinity);
    const max = new Float64Array(K).fill(-Infinity);
    const count = new Int32Array(K);
    const ints = new Uint8Array(K).fill(1);
    const { values, keyOfElement } = this;
    for (let e = 0; e < values.length; e++) {
      const v = values[e];
      const k = keyOfElement[e];
      count[k]++;
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) ints[k] = 0;
      else {
        if (v < min[k]) min[k] = v;
        if (v > max[k]) max[k] = v;
      }
    }
    this.dense = new Array(K).fill(undefined);
    for (let k = 0; k < K; k++) {
      if (ints[k] && count[k] > 0 && max[k] - min[k] + 1 <= 4 * count[k] + 64) this.dense[k] = new Int32Array(max[k] - min[k] + 1).fill(-1);
    }
    for (let e = 0; e < values.length; e++) {
      const t = this.dense[keyOfElement[e]];
      if (t) t[(values[e] as number) - min[keyOfElement[e]]] = e;
    }
    this.denseMin = min;
  }

  /** The element id of `value` under key `keyId`, or -1 (fast after `buildLookup`). */
  lookup(keyId: number, value: unknown): number {
    const t = this.dense[keyId];
    if (t !== undefined && typeof value === 'number') {
      const j = value - this.denseMin[keyId];
      return j >= 0 && j < t.length && (j | 0) === j ? t[j] : -1;
    }
    return this.id(keyId, value, false);
  }

  /** True when some op carried a key (so evidence should name keys). */
  get keyed(): boolean {
    return this.keys.length > 1 || (this.keys.length === 1 && this.keys[0] !== undefined);
  }
}

/** The key an op acts on: a completion goes with its invocation's key. */
export function keyOfOp(h: History, position: number): unknown {
  const op = h.ops[position];
  if (op.type === 'invoke') return op.key;
  const inv = h.pair[position];
  return inv >= 0 ? h.ops[inv].key : op.key;
}

/** An element as a sentence shows it, with its key when the history is keyed. */
export function showElement(index: ElementIndex, e: number): string {
  const v = showValue(index.values[e]);
  return index.keyed ? `${v} (key ${showKey(index.keys[index.keyOfElement[e]])})` : v;
}

/** Element details for evidence: the value, and its key when the history is keyed. */
export function elementRecord(index: ElementIndex, e: number): Record<string, unknown> {
  return index.keyed ? { key: index.keys[index.keyOfElement[e]], element: index.values[e] } : { element: index.values[e] };
}

/**
 * Jepsen's compact rendering of a set of elements: runs of consecutive integers as `a..b`, e.g.
 * `#{0..4 7 9..12}`; other values as JSON. Cut short after `limit` items.
 */
export function intervalString(values: readonly unknown[], limit = 200): string {
  const ints: number[] = [];
  const others: string[] = [];
  for (const v of values) {
    if (typeof v === 'number' && Number.isSafeInteger(v)) ints.push(v);
    else others.push(canonicalJson(v));
  }
  ints.sort((a, b) => a - b);
  others.sort();
  const parts: string[] = [];
  for (let i = 0; i < ints.length && parts.length < limit; ) {
    let j = i;
    while (j + 1 < ints.length && ints[j + 1] <= ints[j] + 1) j++;
    parts.push(ints[j] === ints[i] ? `${ints[i]}` : `${ints[i]}..${ints[j]}`);
    i = j + 1;
  }
  for (const s of others) {
    if (parts.length >= limit) break;
    parts.push(s);
  }
  const total = countRuns(ints) + others.length;
  return `#{${parts.join(' ')}${total > parts.length ? ' …' : ''}}`;
}

function countRuns(sorted: number[]): number {
  let runs = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] > sorted[i - 1] + 1) runs++;
  return runs;
}

/** "3 elements", "1 element". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A boolean checker option: true, false, "true", "false" or absent. */
export function booleanOption(ctx: CheckContext, name: string, checker: string): boolean {
  const v = ctx.options?.[name];
  if (v === undefined || v === null || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  throw new InputError(`${checker} option ${name}: must be true or false, got ${show(v)}`);
}

function readValue(h: History, file: string, position: number, what: string): unknown[] {
  const v = h.ops[position].value;
  if (!Array.isArray(v)) throw new HistoryError(file, h.lineOf(position), `value: ${what} must be a list of elements, got ${show(v)}`);
  return v;
}

function addValue(h: History, file: string, position: number): unknown {
  const v = h.ops[position].value;
  if (v === undefined) throw new HistoryError(file, h.lineOf(position), 'value: an add must carry the element it adds');
  return v;
}

const MAX_EXAMPLES = 8;
const MAX_LISTED = 100;

// ---------------------------------------------------------------------------------------------
// set

export const set: Checker = {
  name: 'set',
  description: "Jepsen's set: every acknowledged add is in the final read, and the final read holds only attempted elements",
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const file = ctx.file ?? h.file;
    const ops = h.ops;
    const pair = h.pair;
    const n = ops.length;
    const index = new ElementIndex();
    // Per element: position of its first add invocation and first ok add completion (-1: none).
    let addInv = new Int32Array(1024).fill(-1);
    let addOk = new Int32Array(1024).fill(-1);
    const lastRead: number[] = []; // per key id: position of its last ok read, or -1
    for (let i = 0; i < n; i++) {
      const op = ops[i];
      if (op.process === 'nemesis') continue;
      if (op.f === 'add') {
        if (op.type === 'invoke') {
          const k = index.keyId(op.key);
          const e = index.id(k, addValue(h, file, i), true);
          if (e >= addInv.length) {
            addInv = growFilled(addInv, -1);
            addOk = growFilled(addOk, -1);
          }
          if (addInv[e] < 0) addInv[e] = i;
        } else if (op.type === 'ok') {
          const inv = pair[i];
          if (inv < 0) continue;
          const e = index.id(index.keyId(ops[inv].key), ops[inv].value, false);
          if (e >= 0 && addOk[e] < 0) addOk[e] = i;
        }
      } else if (op.f === 'read' && op.type === 'ok') {
        const k = index.keyId(keyOfOp(h, i));
        while (lastRead.length <= k) lastRead.push(-1);
        lastRead[k] = i;
      }
    }
    while (lastRead.length < index.keys.length) lastRead.push(-1);

    const E = index.size;
    const present = new Uint8Array(E);
    const unexpected: { element: unknown; key?: unknown; read: number }[] = [];
    const unexpectedSeen = new Set<string>();
    const finalReads: number[] = [];
    const unreadKeys: unknown[] = [];
    for (let k = 0; k < index.keys.length; k++) {
      const r = lastRead[k];
      if (r < 0) {
        unreadKeys.push(index.keys[k]);
        continue;
      }
      finalReads.push(ops[r].index);
      for (const v of readValue(h, file, r, 'a read')) {
        const e = index.id(k, v, false);
        if (e >= 0) {
          present[e] = 1;
          continue;
        }
        const id = canonicalJson(v);
        if (unexpectedSeen.has(id)) continue;
        unexpectedSeen.add(id);
        unexpected.push({ ...(index.keyed ? { key: index.keys[k] } : {}), element: v, read: ops[r].index });
      }
    }

    const okEls: unknown[] = [];
    const lostEls: unknown[] = [];
    const recoveredEls: unknown[] = [];
    const lostExamples: Record<string, unknown>[] = [];
    let acknowledged = 0;
    for (let e = 0; e < E; e++) {
      const acked = addOk[e] >= 0;
      if (acked) acknowledged++;
      if (present[e]) {
        okEls.push(index.values[e]);
        if (!acked) recoveredEls.push(index.values[e]);
      } else if (acked && lastRead[index.keyOfElement[e]] >= 0) {
        lostEls.push(index.values[e]);
        if (lostExamples.length < MAX_EXAMPLES) {
          lostExamples.push({ ...elementRecord(index, e), add: ops[addOk[e]].index, finalRead: ops[lastRead[index.keyOfElement[e]]].index });
        }
      }
    }

    const details = {
      attemptCount: E,
      acknowledgedCount: acknowledged,
      okCount: okEls.length,
      lostCount: lostEls.length,
      recoveredCount: recoveredEls.length,
      unexpectedCount: unexpected.length,
      ok: intervalString(okEls),
      lost: intervalString(lostEls),
      unexpected: intervalString(unexpected.map((u) => u.element)),
      recovered: intervalString(recoveredEls),
      finalReads,
      ...(lostExamples.length ? { lostExamples } : {}),
      ...(unexpected.length ? { unexpectedExamples: unexpected.slice(0, MAX_EXAMPLES) } : {}),
      ...(unreadKeys.length && index.keyed ? { unreadKeys: unreadKeys.slice(0, MAX_LISTED) } : {}),
    };

    if (lostEls.length || unexpected.length) {
      const sentences: string[] = [];
      const evidence: number[] = [];
      if (lostExamples.length) {
        const x = lostExamples[0];
        const e = index.id(index.keyId(x.key), x.element, false);
        sentences.push(
          `${plural(lostEls.length, 'acknowledged add is', 'acknowledged adds are')} missing from the final read: ` +
            `the add of ${showElement(index, e)} completed ok at index ${x.add}, but the final read (index ${x.finalRead}) does not hold it`,
        );
        for (const ex of lostExamples) evidence.push(ex.add as number, ex.finalRead as number);
      }
      if (unexpected.length) {
        const u = unexpected[0];
        sentences.push(
          `the final read (index ${u.read}) holds ${plural(unexpected.length, 'element')} no add ever tried, e.g. ${showValue(u.element)}` +
            (index.keyed ? ` (key ${showKey(u.key)})` : ''),
        );
        for (const ex of unexpected.slice(0, MAX_EXAMPLES)) evidence.push(ex.read);
      }
      return {
        valid: false,
        explanation: `${capitalize(sentences.join('; '))}.`,
        ops: [...new Set(evidence)].sort((a, b) => a - b),
        ...details,
      };
    }
    if (finalReads.length === 0) {
      return { valid: 'unknown', reason: 'nothing-to-check', explanation: 'The set was never read (no read completed ok).', ...details };
    }
    if (unreadKeys.length) {
      return {
        valid: 'unknown',
        reason: 'nothing-to-check',
        explanation: `${plural(unreadKeys.length, 'key was', 'keys were')} never read (e.g. key ${showKey(unreadKeys[0])}), so their adds could not be checked.`,
        ...details,
      };
    }
    return { valid: true, ...details };
  },
};

function growFilled(a: Int32Array<ArrayBuffer>, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2).fill(fill);
  b.set(a);
  return b;
}

export function capitalize(s: string): string {
  return s.length ? s[0].toUpperCase() + s.slice(1) : s;
}

// ---------------------------------------------------------------------------------------------
// set-full

export type SetFullOutcome = 'stable' | 'lost' | 'never-read';

export interface LatencyQuantiles {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Per-element facts of a set-full analysis, as typed arrays indexed by element id. */
export interface SetFullAnalysis {
  index: ElementIndex;
  /** 0 stable, 1 lost, 2 never-read. */
  outcome: Uint8Array;
  stale: Uint8Array;
  /** Largest number of times the element appeared in one read (1 or 0 when never duplicated). */
  multiplicity: Int32Array;
  /** Stable latency (stable elements) or lost latency (lost elements), in `unit`. */
  latency: Float64Array;
  /** Positions: first add invocation, known-at (a completion), last read missing it, first read of the final run holding it, last relevant read holding it (-1: none). */
  addInv: Int32Array;
  known: Int32Array;
  lastAbsent: Int32Array;
  firstStable: Int32Array;
  lastPresent: Int32Array;
  /** First read (completion position) holding the element twice. */
  dupRead: Int32Array;
  unexpected: { element: unknown; key?: unknown; read: number; count: number }[];
  unexpectedCount: number;
  unit: 'ms' | 'ops';
}

const OUTCOME_NAMES: SetFullOutcome[] = ['stable', 'lost', 'never-read'];
const NONE = -1;
const NEVER = 0x7fffffff;

/** The whole set-full analysis, element by element (exported for tests and reports). */
export function analyzeSetFull(h: History, file = h.file): SetFullAnalysis {
  const ops = h.ops;
  const pair = h.pair;
  const n = ops.length;
  const index = new ElementIndex();

  // Times: ns when every client op has one, else op positions.
  let timed = true;
  for (let i = 0; i < n && timed; i++) {
    const op = ops[i];
    if (op.process !== 'nemesis' && (typeof op.time !== 'number' || !Number.isFinite(op.time))) timed = false;
  }
  const T = timed ? (p: number) => ops[p].time as number : (p: number) => p;
  const toUnit = timed ? 1e-6 : 1;

  // Pass 1, history order: elements from add invocations; ok adds; ok reads (in completion order).
  let addInv = new Int32Array(1024).fill(NONE);
  let known = new Int32Array(1024).fill(NEVER);
  let readComp = new Int32Array(1024);
  let readKey = new Int32Array(1024);
  let reads = 0;
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op.process === 'nemesis') continue;
    const f = op.f;
    if (f === 'add') {
      if (op.type === 'invoke') {
        const e = index.id(index.keyId(op.key), addValue(h, file, i), true);
        if (e >= addInv.length) {
          addInv = growFilled(addInv, NONE);
          known = growFilled(known, NEVER);
        }
        if (addInv[e] < 0) addInv[e] = i;
      } else if (op.type === 'ok') {
        const inv = pair[i];
        if (inv < 0) continue;
        const e = index.id(index.keyId(ops[inv].key), ops[inv].value, false);
        if (e >= 0 && i < known[e]) known[e] = i;
      }
    } else if (f === 'read' && op.type === 'ok') {
      const inv = pair[i];
      if (inv < 0) continue;
      readValue(h, file, i, 'an ok read');
      if (reads === readComp.length) {
        readComp = grow(readComp);
        readKey = grow(readKey);
      }
      readComp[reads] = i;
      readKey[reads] = index.keyId(ops[inv].key);
      reads++;
    }
  }
  const E = index.size;
  const K = index.keys.length;
  addInv = addInv.subarray(0, E);
  known = known.subarray(0, E);

  // Reads grouped by key (counting sort), within a key by invocation (byInv) and by completion (byComp).
  const keyStart = new Int32Array(K + 1);
  for (let r = 0; r < reads; r++) keyStart[readKey[r] + 1]++;
  for (let k = 0; k < K; k++) keyStart[k + 1] += keyStart[k];
  const byComp = new Int32Array(reads); // read ids (completion order = read id order)
  const fillAt = keyStart.slice(0, K);
  for (let r = 0; r < reads; r++) byComp[fillAt[readKey[r]]++] = r;
  const readInv = new Int32Array(reads);
  for (let r = 0; r < reads; r++) readInv[r] = pair[readComp[r]];
  const byInv = byComp.slice();
  for (let k = 0; k < K; k++) byInv.subarray(keyStart[k], keyStart[k + 1]).sort((a, b) => readInv[a] - readInv[b]);
  const rank = new Int32Array(reads);
  for (let k = 0; k < K; k++) for (let j = keyStart[k]; j < keyStart[k + 1]; j++) rank[byInv[j]] = j - keyStart[k];
  // Over byComp within a key: the largest rank from here to the key's end.
  const sufMaxRank = new Int32Array(reads);
  for (let k = 0; k < K; k++) {
    let m = -1;
    for (let j = keyStart[k + 1] - 1; j >= keyStart[k]; j--) {
      m = Math.max(m, rank[byComp[j]]);
      sufMaxRank[j] = m;
    }
  }

  // Pass 2, each key's reads in invocation order: per element the last rank holding it, where its
  // final run of holding reads began, the last relevant holding read, known-by-read, duplicates.
  const lastRank = new Int32Array(E).fill(-1);
  const runStart = new Int32Array(E);
  const lastRelRank = new Int32Array(E).fill(-1);
  const stamp = new Int32Array(E).fill(-1);
  const multiplicity = new Int32Array(E);
  const current = new Int32Array(E); // times the element appeared in the read being scanned
  const dupRead = new Int32Array(E).fill(NONE);
  const unexpectedByKey = new Map<string, { element: unknown; key?: unknown; read: number; count: number }>();
  const unexpectedSeen = new Set<string>();
  index.buildLookup();
  for (let j = 0; j < reads; j++) {
    const r = byInv[j];
    const rk = rank[r];
    const k = readKey[r];
    const comp = readComp[r];
    const value = ops[comp].value as unknown[];
    for (let x = 0; x < value.length; x++) {
      const v = value[x];
      const e = index.lookup(k, v);
      if (e < 0) {
        const id = `${k}:${typeof v === 'string' ? `s${v}` : canonicalJson(v)}`;
        const u = unexpectedByKey.get(id);
        if (u) u.count++;
        else if (!unexpectedSeen.has(id)) {
          unexpectedSeen.add(id);
          if (unexpectedByKey.size < MAX_LISTED) unexpectedByKey.set(id, { ...(index.keyed ? { key: index.keys[k] } : {}), element: v, read: comp, count: 1 });
        }
        continue;
      }
      if (stamp[e] === r) {
        const m = ++current[e];
        if (m > multiplicity[e]) multiplicity[e] = m;
        if (m === 2 && dupRead[e] === NONE) dupRead[e] = comp;
        continue;
      }
      stamp[e] = r;
      current[e] = 1;
      if (multiplicity[e] === 0) multiplicity[e] = 1;
      if (lastRank[e] !== rk - 1) runStart[e] = rk;
      lastRank[e] = rk;
      if (comp > addInv[e]) {
        lastRelRank[e] = rk;
        if (comp < known[e]) known[e] = comp;
      }
    }
  }

  // Per element: the last relevant read, then the outcome.
  const outcome = new Uint8Array(E);
  const stale = new Uint8Array(E);
  const latency = new Float64Array(E);
  const lastAbsent = new Int32Array(E).fill(NONE);
  const firstStable = new Int32Array(E).fill(NONE);
  const lastPresent = new Int32Array(E).fill(NONE);
  for (let e = 0; e < E; e++) {
    const k = index.keyOfElement[e];
    const lo = keyStart[k];
    const R = keyStart[k + 1] - lo;
    const a = addInv[e];
    let top = -1;
    if (R > 0) {
      if (readInv[byInv[lo + R - 1]] > a) top = R - 1;
      else {
        // Reads all invoked before the add: the last-invoked one completing after it, if any.
        let l = lo;
        let hi = lo + R;
        while (l < hi) {
          const mid = (l + hi) >>> 1;
          if (readComp[byComp[mid]] > a) hi = mid;
          else l = mid + 1;
        }
        if (l < lo + R) top = sufMaxRank[l];
      }
    }
    if (lastRelRank[e] >= 0) lastPresent[e] = readComp[byInv[lo + lastRelRank[e]]];
    const kn = known[e];
    if (top < 0) {
      outcome[e] = 2;
    } else if (lastRelRank[e] === top) {
      outcome[e] = 0;
      // Reads begun after the known time: ranks first..R-1 (all relevant).
      let l = lo;
      let hi = lo + R;
      while (l < hi) {
        const mid = (l + hi) >>> 1;
        if (readInv[byInv[mid]] > kn) hi = mid;
        else l = mid + 1;
      }
      const first = l - lo;
      if (top === R - 1) {
        const start = runStart[e];
        firstStable[e] = readComp[byInv[lo + start]];
        if (start > 0) lastAbsent[e] = readComp[byInv[lo + start - 1]];
        if (start > first) {
          stale[e] = 1;
          latency[e] = Math.max(0, T(readInv[byInv[lo + start - 1]]) - T(kn)) * toUnit;
        }
      }
    } else {
      const topRead = byInv[lo + top];
      lastAbsent[e] = readComp[topRead];
      if (kn !== NEVER && kn < readInv[topRead]) {
        outcome[e] = 1;
        latency[e] = lastRelRank[e] >= 0 ? Math.max(0, T(readInv[byInv[lo + lastRelRank[e]]]) - T(kn)) * toUnit : 0;
      } else outcome[e] = 2;
    }
  }

  return {
    index,
    outcome,
    stale,
    multiplicity,
    latency,
    addInv,
    known: known.map((p) => (p === NEVER ? NONE : p)),
    lastAbsent,
    firstStable,
    lastPresent,
    dupRead,
    unexpected: [...unexpectedByKey.values()],
    unexpectedCount: unexpectedSeen.size,
    unit: timed ? 'ms' : 'ops',
  };
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Nearest-rank quantiles of latencies (already in the reporting unit), rounded to 3 places. */
export function quantiles(xs: Float64Array): LatencyQuantiles {
  const s = xs.slice().sort();
  const n = s.length;
  const at = (q: number) => (n === 0 ? NaN : round3(s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]));
  return { count: n, min: n ? round3(s[0]) : NaN, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: n ? round3(s[n - 1]) : NaN };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export const setFull: Checker = {
  name: 'set-full',
  description:
    "Jepsen's set-full: every element, read many times, is stable, lost or never read; stale reads and latencies to stability (option linearizable: stale reads are invalid)",
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const linearizable = booleanOption(ctx, 'linearizable', 'set-full');
    const a = analyzeSetFull(h, ctx.file ?? h.file);
    return setFullResult(h, a, linearizable);
  },
};

/** The set-full result from an analysis. */
export function setFullResult(h: History, a: SetFullAnalysis, linearizable: boolean): Result {
  const ops = h.ops;
  const { index, outcome, stale, multiplicity, latency, unit } = a;
  const E = index.size;
  const idx = (p: number) => (p < 0 ? null : ops[p].index);
  const counts = [0, 0, 0];
  let staleCount = 0;
  let dupCount = 0;
  const listed = { lost: [] as number[], stale: [] as number[], neverRead: [] as number[], duplicated: [] as number[] };
  for (let e = 0; e < E; e++) counts[outcome[e]]++;
  const stableLat = new Float64Array(counts[0]);
  const lostLat = new Float64Array(counts[1]);
  let ns = 0;
  let nl = 0;
  for (let e = 0; e < E; e++) {
    const o = outcome[e];
    if (o === 0) stableLat[ns++] = latency[e];
    else if (o === 1) {
      lostLat[nl++] = latency[e];
      if (listed.lost.length < MAX_LISTED) listed.lost.push(e);
    } else if (listed.neverRead.length < MAX_LISTED) listed.neverRead.push(e);
    if (stale[e]) {
      staleCount++;
      if (listed.stale.length < MAX_LISTED) listed.stale.push(e);
    }
    if (multiplicity[e] > 1) {
      dupCount++;
      if (listed.duplicated.length < MAX_LISTED) listed.duplicated.push(e);
    }
  }
  const show = (es: number[]) => es.map((e) => (index.keyed ? elementRecord(index, e) : index.values[e]));
  const lostExamples = listed.lost.slice(0, MAX_EXAMPLES).map((e) => ({
    ...elementRecord(index, e),
    add: idx(a.addInv[e]),
    known: idx(a.known[e]),
    lastSeen: idx(a.lastPresent[e]),
    missingFrom: idx(a.lastAbsent[e]),
    latency: round3(latency[e]),
  }));
  // Worst stale elements: the largest latencies first (ties: earlier elements first).
  const staleIds: number[] = [];
  for (let e = 0; e < E; e++) if (stale[e]) staleIds.push(e);
  staleIds.sort((x, y) => latency[y] - latency[x] || x - y);
  const worstStale = staleIds.slice(0, MAX_EXAMPLES).map((e) => ({
    ...elementRecord(index, e),
    add: idx(a.addInv[e]),
    known: idx(a.known[e]),
    lastMissedBy: idx(a.lastAbsent[e]),
    stableFrom: idx(a.firstStable[e]),
    latency: round3(latency[e]),
  }));
  const duplicatedExamples = listed.duplicated.slice(0, MAX_EXAMPLES).map((e) => ({
    ...elementRecord(index, e),
    read: idx(a.dupRead[e]),
    times: multiplicity[e],
  }));
  const unexpectedExamples = a.unexpected.slice(0, MAX_EXAMPLES).map((u) => ({ ...u, read: ops[u.read].index }));
  const details: Record<string, unknown> = {
    attemptCount: E,
    stableCount: counts[0],
    staleCount,
    lostCount: counts[1],
    neverReadCount: counts[2],
    duplicatedCount: dupCount,
    unexpectedCount: a.unexpectedCount,
    lost: show(listed.lost),
    stale: show(listed.stale),
    neverRead: show(listed.neverRead),
    duplicated: show(listed.duplicated),
    latencyUnit: unit,
    ...(unit === 'ops' ? { note: 'the history has no times on every op, so latencies are counted in op positions, not milliseconds' } : {}),
    worstStaleness: staleIds.length ? round3(latency[staleIds[0]]) : 0,
    stableLatencies: quantiles(stableLat),
    ...(lostLat.length ? { lostLatencies: quantiles(lostLat) } : {}),
    worstStale,
    ...(lostExamples.length ? { lostExamples } : {}),
    ...(duplicatedExamples.length ? { duplicatedExamples } : {}),
    ...(unexpectedExamples.length ? { unexpectedExamples } : {}),
  };

  const sentences: string[] = [];
  const evidence: number[] = [];
  const push = (...xs: (number | null)[]) => xs.forEach((x) => x !== null && evidence.push(x));
  if (lostExamples.length) {
    const x = lostExamples[0];
    const e = listed.lost[0];
    const how = a.known[e] >= 0 && ops[a.known[e]].f === 'add' ? `was acknowledged at index ${x.known}` : `was seen by the read at index ${x.known}`;
    sentences.push(
      `${showElement(index, e)} ${how}, but the last read (index ${x.missingFrom}), begun after that, does not hold it` +
        (x.lastSeen !== null ? ` (last seen by the read at index ${x.lastSeen})` : '') +
        ` — ${plural(counts[1], 'element')} lost`,
    );
    for (const ex of lostExamples) push(ex.add, ex.known, ex.lastSeen, ex.missingFrom);
  }
  if (duplicatedExamples.length) {
    const x = duplicatedExamples[0];
    sentences.push(
      `the read at index ${x.read} holds ${showElement(index, listed.duplicated[0])} ${x.times === 2 ? 'twice' : `${x.times} times`}` +
        ` — ${plural(dupCount, 'element')} duplicated`,
    );
    for (const ex of duplicatedExamples) push(ex.read);
  }
  if (unexpectedExamples.length) {
    const u = unexpectedExamples[0];
    sentences.push(
      `the read at index ${u.read} holds ${showValue(u.element)}${index.keyed ? ` (key ${showKey(u.key)})` : ''}, which no add ever tried` +
        ` — ${plural(a.unexpectedCount, 'unexpected element')}`,
    );
    for (const ex of unexpectedExamples) push(ex.read);
  }
  if (linearizable && worstStale.length) {
    const x = worstStale[0];
    sentences.push(
      `the read at index ${x.lastMissedBy} began after ${showElement(index, staleIds[0])} was known (index ${x.known}) yet does not hold it, ` +
        `${x.latency} ${unit} later — ${plural(staleCount, 'stale element')}, which a linearizable set forbids`,
    );
    for (const ex of worstStale) push(ex.add, ex.known, ex.lastMissedBy, ex.stableFrom);
  }
  if (sentences.length) {
    return {
      valid: false,
      explanation: `${capitalize(sentences.join('; '))}.`,
      ops: [...new Set(evidence)].sort((x, y) => x - y),
      ...details,
    };
  }
  if (counts[0] === 0) {
    return {
      valid: 'unknown',
      reason: 'nothing-to-check',
      explanation: E === 0 ? 'The history has no adds, so there is nothing to check.' : 'No element was ever read after its add completed (none is stable), so nothing could be confirmed.',
      ...details,
    };
  }
  return { valid: true, ...details };
}
