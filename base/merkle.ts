// Merkle trees over a sorted key space: the built-in store's anti-entropy exchanges them, and the
// `replica-diff` checker (checker/replica-diff.ts) compares the replicas' final states with them.
//
// A key space cuts the sorted keys into buckets at fixed split points (bucket i holds the keys k
// with splits[i-1] <= k < splits[i]); trees built over the same space have the same shape, so two
// replicas' trees can be compared node by node however their key sets differ. A leaf hashes its
// bucket's sorted key=value pairs, an inner node its two children; the leaves are padded with
// empty buckets to a power of two. diffTrees descends only into subtrees whose hashes differ: with
// d differing leaves out of L it compares at most 1 + 2·d·log2(L) nodes.
//
// The hash is 64 bits in two 32-bit lanes of different construction (FNV-1a and a murmur3 round
// per UTF-16 code unit, each finished with murmur3's fmix): fast, not cryptographic. Values are
// hashed by their canonical JSON (object keys sorted), so {a:1,b:2} and {b:2,a:1} are equal.
import { fmix } from './hash.js';
import { canonicalJson, isCanonicalIntegerKey } from './json.js';

// ---------------------------------------------------------------------------------------------
// Hashing

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const LANE2_SEED = 0x9747b28c;

let lane1 = 0;
let lane2 = 0;

function begin(tag: number): void {
  lane1 = FNV_OFFSET ^ tag;
  lane2 = LANE2_SEED ^ Math.imul(tag, 0x27d4eb2d);
}

/** Feeds one 32-bit word (a string length, a code unit, a child hash half) into both lanes. */
function word(w: number): void {
  lane1 = Math.imul(lane1 ^ w, FNV_PRIME);
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = lane2 ^ k;
  h = (h << 13) | (h >>> 19);
  lane2 = (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Feeds a string, length first, so that concatenations cannot collide. */
function text(s: string): void {
  const n = s.length;
  word(n);
  let a = lane1;
  let b = lane2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, FNV_PRIME);
    let k = Math.imul(c, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = b ^ k;
    h = (h << 13) | (h >>> 19);
    b = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  lane1 = a;
  lane2 = b;
}

const LEAF = 1;
const INNER = 2;

// ---------------------------------------------------------------------------------------------
// Key spaces

export interface KeySpace {
  /** Bucket i holds the keys k with splits[i-1] <= k < splits[i] (no bound at either end). */
  readonly splits: readonly string[];
  /** Keys are integers written canonically and ordered as numbers (else by UTF-16 code units). */
  readonly numeric: boolean;
  /** Leaves of every tree over this space: the buckets, padded to a power of two. */
  readonly leaves: number;
}

function compareKeys(space: KeySpace, a: string, b: string): number {
  if (space.numeric) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function allIntegers(keys: Iterable<string>): boolean {
  for (const k of keys) if (!isCanonicalIntegerKey(k)) return false;
  return true;
}

/** Distinct keys, sorted numerically or by code units. */
function sortKeys(keys: string[], numeric: boolean): string[] {
  if (!numeric) return keys.sort();
  const nums = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) nums[i] = Number(keys[i]);
  nums.sort();
  const out = new Array<string>(nums.length);
  for (let i = 0; i < nums.length; i++) out[i] = String(nums[i]);
  return out;
}

function padded(buckets: number): number {
  let l = 1;
  while (l < buckets) l *= 2;
  return l;
}

/** A key space with the given split points (ascending in the space's order). */
export function keySpaceFromSplits(splits: readonly string[], numeric = allIntegers(splits)): KeySpace {
  const space: KeySpace = { splits: [...splits], numeric, leaves: padded(splits.length + 1) };
  for (let i = 1; i < splits.length; i++) {
    if (compareKeys(space, splits[i - 1], splits[i]) >= 0) throw new Error(`key space splits must ascend: ${splits[i - 1]} then ${splits[i]}`);
  }
  return space;
}

function union(keySets: Iterable<Iterable<string>>): string[] {
  const sets = [...keySets];
  if (sets.length === 1) return [...new Set(sets[0])];
  const u = new Set<string>();
  for (const s of sets) for (const k of s) u.add(k);
  return [...u];
}

function checkLeafSize(leafSize: number): void {
  if (!Number.isInteger(leafSize) || leafSize < 1) throw new Error(`leafSize must be a positive integer, got ${leafSize}`);
}

/** The space whose buckets hold `leafSize` of the (distinct, sorted) keys each. */
function spaceOfSorted(sorted: readonly string[], numeric: boolean, leafSize: number): KeySpace {
  const splits: string[] = [];
  for (let i = leafSize; i < sorted.length; i += leafSize) splits.push(sorted[i]);
  return { splits, numeric, leaves: padded(splits.length + 1) };
}

/** Distinct keys sorted, and the space fitted to them. */
function fit(keys: string[], leafSize: number): { sorted: string[]; space: KeySpace } {
  checkLeafSize(leafSize);
  const numeric = keys.length > 0 && allIntegers(keys);
  const sorted = sortKeys(keys, numeric);
  return { sorted, space: spaceOfSorted(sorted, numeric, leafSize) };
}

/**
 * A key space fitted to the union of some key sets: buckets of `leafSize` keys of the union each.
 * Integer keys (all of them) are ordered as numbers.
 */
export function keySpace(keySets: Iterable<Iterable<string>>, leafSize = 16): KeySpace {
  return fit(union(keySets), leafSize).space;
}

function sameSpace(a: KeySpace, b: KeySpace): boolean {
  if (a === b) return true;
  if (a.numeric !== b.numeric || a.splits.length !== b.splits.length) return false;
  for (let i = 0; i < a.splits.length; i++) if (a.splits[i] !== b.splits[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Trees

export type KeyValues = ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;

export interface MerkleTree {
  readonly space: KeySpace;
  /** Keys in the space's order. */
  readonly keys: readonly string[];
  readonly values: readonly unknown[];
  /** Canonical JSON of each value: what the leaves hash and the diff compares. */
  readonly valueText: readonly string[];
  /** Keys of leaf i are keys[start[i]] … keys[start[i+1] - 1]. */
  readonly start: Int32Array;
  /** Node hashes in heap order (root 1, children of v at 2v and 2v+1, leaf i at leaves + i). */
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
}

function isMap(m: KeyValues): m is ReadonlyMap<string, unknown> {
  return m instanceof Map;
}

/** Builds the Merkle tree of `entries` over `space` (by default a space fitted to its own keys). */
export function buildTree(entries: KeyValues, space?: KeySpace, leafSize = 16): MerkleTree {
  const unsorted = isMap(entries) ? [...entries.keys()] : Object.keys(entries);
  if (space === undefined) {
    const f = fit(unsorted, leafSize);
    return treeOfSorted(entries, f.sorted, f.space);
  }
  if (space.numeric && !allIntegers(unsorted)) throw new Error('the key space orders keys as integers, but some keys are not integers');
  return treeOfSorted(entries, sortKeys(unsorted, space.numeric), space);
}

/** Trees over one key space fitted to the union of the maps' keys (the union is sorted once). */
export function buildTrees(maps: readonly KeyValues[], leafSize = 16): MerkleTree[] {
  const keysOf = (m: KeyValues) => (isMap(m) ? m.keys() : Object.keys(m));
  const { sorted, space } = fit(union(maps.map(keysOf)), leafSize);
  let rank: Map<string, number> | undefined;
  return maps.map((m) => {
    const size = isMap(m) ? m.size : Object.keys(m).length;
    // Every map's keys are in the union, so a map as big as the union has exactly its keys.
    if (size === sorted.length) return treeOfSorted(m, sorted, space);
    if (!rank) {
      rank = new Map();
      for (let i = 0; i < sorted.length; i++) rank.set(sorted[i], i);
    }
    const ranks = new Int32Array(size);
    let i = 0;
    for (const k of keysOf(m)) ranks[i++] = rank.get(k)!;
    ranks.sort();
    const keys = new Array<string>(size);
    for (let j = 0; j < size; j++) keys[j] = sorted[ranks[j]];
    return treeOfSorted(m, keys, space);
  });
}

function treeOfSorted(entries: KeyValues, keys: string[], sp: KeySpace): MerkleTree {
  const n = keys.length;
  const values = new Array<unknown>(n);
  const valueText = new Array<string>(n);
  const get = isMap(entries) ? (k: string) => entries.get(k) : (k: string) => (entries as Record<string, unknown>)[k];
  for (let i = 0; i < n; i++) {
    const v = get(keys[i]);
    values[i] = v;
    valueText[i] = typeof v === 'number' ? `n${v}` : typeof v === 'string' ? `s${v}` : `j${canonicalJson(v)}`;
  }
  const L = sp.leaves;
  const start = new Int32Array(L + 1);
  const splits = sp.splits;
  let k = 0;
  for (let b = 0; b < splits.length; b++) {
    start[b] = k;
    const limit = splits[b];
    if (sp.numeric) {
      const lim = Number(limit);
      while (k < n && Number(keys[k]) < lim) k++;
    } else {
      while (k < n && keys[k] < limit) k++;
    }
  }
  for (let b = splits.length; b <= L; b++) start[b] = b === splits.length ? k : n;
  const hi = new Uint32Array(2 * L);
  const lo = new Uint32Array(2 * L);
  for (let leaf = 0; leaf < L; leaf++) {
    begin(LEAF);
    const end = start[leaf + 1];
    for (let i = start[leaf]; i < end; i++) {
      text(keys[i]);
      text(valueText[i]);
    }
    word(end - start[leaf]);
    hi[L + leaf] = fmix(lane1);
    lo[L + leaf] = fmix(lane2);
  }
  for (let v = L - 1; v >= 1; v--) {
    begin(INNER);
    word(hi[2 * v]);
    word(lo[2 * v]);
    word(hi[2 * v + 1]);
    word(lo[2 * v + 1]);
    hi[v] = fmix(lane1);
    lo[v] = fmix(lane2);
  }
  return { space: sp, keys, values, valueText, start, hi, lo };
}

/** A run of adjacent differing buckets: keys k with from <= k < to (null: unbounded). */
export interface KeyRange {
  from: string | null;
  to: string | null;
  /** Leaves (buckets) first … last of the run. */
  leaves: [number, number];
  /** Differing keys in the run. */
  keys: number;
}

/** A key whose value differs; `a`/`b` are absent where that side lacks the key. */
export interface KeyDiff {
  key: string;
  a?: unknown;
  b?: unknown;
  /** Set when only one side has the key. */
  only?: 'a' | 'b';
}

export interface MerkleDiff {
  equal: boolean;
  /** Node hash comparisons made: 1 for equal trees, at most 1 + 2·d·log2(leaves) for d differing leaves. */
  comparisons: number;
  /** Depth of the trees (log2 of the leaves). */
  depth: number;
  differingLeaves: number;
  ranges: KeyRange[];
  /** All differing keys, in key order (at most maxKeys of them; `differences` counts all). */
  keys: KeyDiff[];
  differences: number;
}

/**
 * The differences between two trees over the same key space: descends only into subtrees whose
 * hashes differ, then compares the keys of the differing leaves.
 */
export function diffTrees(a: MerkleTree, b: MerkleTree, options: { maxKeys?: number } = {}): MerkleDiff {
  if (!sameSpace(a.space, b.space)) throw new Error('diffTrees needs two trees over the same key space');
  const maxKeys = options.maxKeys ?? Infinity;
  const L = a.space.leaves;
  const depth = Math.round(Math.log2(L));
  const ahi = a.hi;
  const alo = a.lo;
  const bhi = b.hi;
  const blo = b.lo;
  let comparisons = 1;
  const leaves: number[] = [];
  if (ahi[1] !== bhi[1] || alo[1] !== blo[1]) {
    // Depth-first, left child first, so leaves come out in key order.
    const stack = [1];
    while (stack.length) {
      const v = stack.pop()!;
      if (v >= L) {
        leaves.push(v - L);
        continue;
      }
      const r = 2 * v + 1;
      const l = 2 * v;
      comparisons += 2;
      if (ahi[r] !== bhi[r] || alo[r] !== blo[r]) stack.push(r);
      if (ahi[l] !== bhi[l] || alo[l] !== blo[l]) stack.push(l);
    }
  }
  const keys: KeyDiff[] = [];
  const ranges: KeyRange[] = [];
  let differences = 0;
  const splits = a.space.splits;
  const numeric = a.space.numeric;
  for (const leaf of leaves) {
    let i = a.start[leaf];
    const iEnd = a.start[leaf + 1];
    let j = b.start[leaf];
    const jEnd = b.start[leaf + 1];
    let found = 0;
    const add = (d: KeyDiff) => {
      found++;
      if (keys.length < maxKeys) keys.push(d);
    };
    while (i < iEnd || j < jEnd) {
      const c = i >= iEnd ? 1 : j >= jEnd ? -1 : numeric ? Number(a.keys[i]) - Number(b.keys[j]) : a.keys[i] < b.keys[j] ? -1 : a.keys[i] > b.keys[j] ? 1 : 0;
      if (c < 0) {
        add({ key: a.keys[i], a: a.values[i], only: 'a' });
        i++;
      } else if (c > 0) {
        add({ key: b.keys[j], b: b.values[j], only: 'b' });
        j++;
      } else {
        if (a.valueText[i] !== b.valueText[j]) add({ key: a.keys[i], a: a.values[i], b: b.values[j] });
        i++;
        j++;
      }
    }
    differences += found;
    const last = ranges[ranges.length - 1];
    if (last && last.leaves[1] === leaf - 1) {
      last.leaves[1] = leaf;
      last.to = leaf < splits.length ? splits[leaf] : null;
      last.keys += found;
    } else {
      ranges.push({ from: leaf === 0 ? null : splits[leaf - 1], to: leaf < splits.length ? splits[leaf] : null, leaves: [leaf, leaf], keys: found });
    }
  }
  return { equal: leaves.length === 0, comparisons, depth, differingLeaves: leaves.length, ranges, keys, differences };
}
