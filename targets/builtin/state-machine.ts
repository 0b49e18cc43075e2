// The deterministic state machine every replication mode applies client ops to: the op vocabulary
// of docs/workloads.md over a key-value view. Values are treated as immutable (every change stores
// a new array or number), so a mode can stage an op's writes and commit or drop them as a whole.
//
// Store keys are `kind:` + the canonical JSON of the op's key (`register:"x"`, `set:null` for the
// single set), so keyKind() is a prefix and different workloads never share a key.
//
// Three fs mean different things in different workloads: `read` (register, set, counter, bank),
// `add` (set, counter) and a txn's `r` (list-append list, rw-register register). A node serves one
// workload at a time; which one comes from the cluster option `workload` (configureWorkload). With
// no workload configured, `read` reads a register, `add` adds to a set, and a txn's `r` reads a
// register when the txn writes with `w`, a list otherwise.
//
// Unique ids: `generate` counts per key. When the view names the node applying it (KvView.node,
// set by modes where several nodes apply ops independently), the counter is that node's own
// (`ids:null#n1`) and the id is `"n1-7"`, so ids stay unique across nodes without coordination;
// otherwise the id is the plain count.
import { canonicalJson } from '../../base/json.js';
import type { OpReply, OpRequest } from './mode.js';
import { DEFAULT_DIALECT, DIALECT_WORKLOADS, dialectFor, type Dialect } from '../dialect.js';

/** What kind of data a store key holds; modes merge concurrent versions by it. */
export type KeyKind = 'register' | 'set' | 'counter' | 'list' | 'queue' | 'account' | 'ids';

const KINDS: ReadonlySet<string> = new Set<KeyKind>(['register', 'set', 'counter', 'list', 'queue', 'account', 'ids']);

/** A node's key-value state as the state machine sees it. Store keys are strings. */
export interface KvView {
  get(storeKey: string): unknown;
  set(storeKey: string, value: unknown): void;
  /** Every store key that has a value (scan and bank reads need it; they fail without it). */
  keys?(): Iterable<string>;
  /** The node applying ops through this view, when nodes apply ops independently (unique ids). */
  readonly node?: string;
}

let dialect: Dialect = DEFAULT_DIALECT;

/** The workload names configureWorkload tells apart (others need no configuration). */
export const CONFIGURABLE_WORKLOADS: readonly string[] = DIALECT_WORKLOADS;

/**
 * Sets which workload this process serves (the node's `workload` option), so `read`, `add` and a
 * txn's `r` act on the right kind of data. Undefined or an unambiguous workload (queue,
 * unique-ids, …) restores the defaults. Returns false for a name it does not know.
 */
export function configureWorkload(workload: string | undefined): boolean {
  dialect = dialectFor(workload);
  return workload === undefined || DIALECT_WORKLOADS.includes(workload) || ['queue', 'unique-ids'].includes(workload);
}

// ---- store keys -------------------------------------------------------------------------------

/** The store key of `key` (any JSON; absent means null) holding data of `kind`. */
export function storeKey(kind: KeyKind, key: unknown): string {
  return `${kind}:${canonicalJson(key === undefined ? null : key)}`;
}

/** A node's own unique-id counter for `key` (see the file comment). */
export function scopedIdsKey(key: unknown, node: string): string {
  return `${storeKey('ids', key)}#${node}`;
}

/** The pattern storeKeys gives for an op that reads every key of a kind (scan, bank read). */
export function wildcardKey(kind: KeyKind): string {
  return `${kind}:*`;
}

/** True for wildcardKey(kind): the op reads every key of that kind (sharded mode fans it out). */
export function isWildcard(key: string): boolean {
  return key.endsWith(':*') && key.indexOf(':') === key.length - 2;
}

/** The kind of data a store key holds. */
export function keyKind(key: string): KeyKind {
  const colon = key.indexOf(':');
  const kind = colon < 0 ? '' : key.slice(0, colon);
  if (!KINDS.has(kind)) throw new Error(`not a store key: ${JSON.stringify(key)} (expected KIND:JSON with KIND one of ${[...KINDS].join(', ')})`);
  return kind as KeyKind;
}

/** The op key a store key was built from (storeKey's inverse; wildcards and scoped ids excluded). */
export function userKey(key: string): unknown {
  return JSON.parse(key.slice(key.indexOf(':') + 1));
}

function txnMicroOps(value: unknown): [string, unknown, unknown][] | string {
  if (!Array.isArray(value)) return 'a txn value must be a list of [f, key, value] micro-ops';
  for (const m of value) {
    if (!Array.isArray(m) || m.length !== 3 || typeof m[0] !== 'string') return `bad micro-op ${show(m)}: expected [f, key, value]`;
    if (!['r', 'w', 'append'].includes(m[0])) return `unknown micro-op f ${JSON.stringify(m[0])} (expected r, w or append)`;
  }
  return value as [string, unknown, unknown][];
}

function txnReadKind(micro: readonly (readonly unknown[])[]): 'list' | 'register' {
  if (dialect.txnRead !== 'by-txn') return dialect.txnRead;
  return micro.some((m) => m[0] === 'w') ? 'register' : 'list';
}

function bankIds(value: unknown, field: 'accounts'): unknown[] {
  const v = value as Record<string, unknown> | null;
  return v !== null && typeof v === 'object' && Array.isArray(v[field]) ? (v[field] as unknown[]) : [];
}

/**
 * The store keys an op reads or writes (sharded mode routes by them). An op that reads every key
 * of a kind gives wildcardKey(kind). `generate` gives its unscoped counter (see the file comment).
 * An invalid op gives no keys (applyOp fails it).
 */
export function storeKeys(req: OpRequest): string[] {
  switch (req.f) {
    case 'read':
      if (dialect.read === 'bank') return [wildcardKey('account')];
      return [storeKey(dialect.read, req.key)];
    case 'write':
    case 'cas':
      return [storeKey('register', req.key)];
    case 'add':
      return [storeKey(dialect.add, req.key)];
    case 'enqueue':
    case 'dequeue':
    case 'drain':
      return [storeKey('queue', req.key)];
    case 'generate':
      return [storeKey('ids', req.key)];
    case 'scan':
    case 'range':
      return [wildcardKey('register')];
    case 'init':
      return uniqueStrings(bankIds(req.value, 'accounts').map((id) => storeKey('account', id)));
    case 'transfer': {
      const v = req.value as Record<string, unknown> | null;
      if (v === null || typeof v !== 'object') return [];
      const keys: string[] = [];
      if ('from' in v) keys.push(storeKey('account', v.from));
      if ('to' in v) keys.push(storeKey('account', v.to));
      return uniqueStrings(keys);
    }
    case 'txn':
      return uniqueStrings(microOpKeys(req));
    default:
      return [];
  }
}

/** The store key of each micro-op of a txn, in order ([] for a malformed txn). */
export function microOpKeys(req: OpRequest): string[] {
  const micro = txnMicroOps(req.value);
  if (typeof micro === 'string') return [];
  const readKind = txnReadKind(micro);
  return micro.map(([f, k]) => storeKey(f === 'append' ? 'list' : f === 'w' ? 'register' : readKind, k));
}

function uniqueStrings(xs: string[]): string[] {
  return xs.length < 2 ? xs : [...new Set(xs)];
}

/** True when the op only reads (follower reads serve these locally). */
export function isReadOnly(req: OpRequest): boolean {
  if (req.f === 'read' || req.f === 'scan' || req.f === 'range') return true;
  if (req.f !== 'txn') return false;
  const micro = txnMicroOps(req.value);
  return typeof micro !== 'string' && micro.every((m) => m[0] === 'r');
}

// ---- values -----------------------------------------------------------------------------------

function show(v: unknown): string {
  const s = canonicalJson(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

function rank(v: unknown): number {
  return typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2;
}

/** Set order: numbers ascending, then strings, then anything else by canonical JSON. */
export function compareElements(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  const sa = ra === 1 ? (a as string) : canonicalJson(a);
  const sb = rb === 1 ? (b as string) : canonicalJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** The sorted set with `e` added (the same array when it is already there). */
export function setWith(set: readonly unknown[], e: unknown): readonly unknown[] {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareElements(set[mid], e) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo < set.length && compareElements(set[lo], e) === 0) return set;
  const out = set.slice();
  out.splice(lo, 0, e);
  return out;
}

function asList(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

function asNumber(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

const ok = (value: unknown): OpReply => ({ type: 'ok', value });
const fail = (error: string): OpReply => ({ type: 'fail', error });

// ---- ops --------------------------------------------------------------------------------------

/** Applies `req` to `kv` (mutating it through kv.set) and says how it ended. Deterministic. */
export function applyOp(kv: KvView, req: OpRequest): OpReply {
  switch (req.f) {
    case 'read':
      return read(kv, req);
    case 'write':
      kv.set(storeKey('register', req.key), req.value);
      return ok(req.value);
    case 'cas':
      return cas(kv, req);
    case 'add':
      return add(kv, req);
    case 'enqueue': {
      const k = storeKey('queue', req.key);
      kv.set(k, [...asList(kv.get(k)), req.value]);
      return ok(req.value);
    }
    case 'dequeue': {
      const k = storeKey('queue', req.key);
      const q = asList(kv.get(k));
      if (q.length === 0) return ok(null);
      kv.set(k, q.slice(1));
      return ok(q[0]);
    }
    case 'drain': {
      const k = storeKey('queue', req.key);
      const q = asList(kv.get(k));
      if (q.length > 0) kv.set(k, []);
      return ok(q);
    }
    case 'generate':
      return generate(kv, req);
    case 'scan':
      return scan(kv);
    case 'range':
      return range(kv, req);
    case 'init':
      return bankInit(kv, req);
    case 'transfer':
      return transfer(kv, req);
    case 'txn':
      return txn(kv, req);
    default:
      return fail(`unknown-op: the built-in store has no op f=${JSON.stringify(req.f)} (docs/workloads.md lists them)`);
  }
}

function read(kv: KvView, req: OpRequest): OpReply {
  switch (dialect.read) {
    case 'register': {
      const v = kv.get(storeKey('register', req.key));
      return ok(v === undefined ? null : v);
    }
    case 'set':
      return ok(asList(kv.get(storeKey('set', req.key))));
    case 'counter':
      return ok(asNumber(kv.get(storeKey('counter', req.key))));
    case 'bank':
      return bankRead(kv);
  }
}

function cas(kv: KvView, req: OpRequest): OpReply {
  if (!Array.isArray(req.value) || req.value.length !== 2) return fail(`invalid-value: cas takes [expected, new], got ${show(req.value)}`);
  const k = storeKey('register', req.key);
  const current = kv.get(k);
  if (!sameValue(current === undefined ? null : current, req.value[0])) return fail('mismatch');
  kv.set(k, req.value[1]);
  return ok(req.value);
}

function add(kv: KvView, req: OpRequest): OpReply {
  if (dialect.add === 'counter') {
    if (typeof req.value !== 'number' || !Number.isFinite(req.value)) return fail(`invalid-value: a counter add takes a number, got ${show(req.value)}`);
    const k = storeKey('counter', req.key);
    kv.set(k, asNumber(kv.get(k)) + req.value);
    return ok(req.value);
  }
  const k = storeKey('set', req.key);
  const before = asList(kv.get(k));
  const after = setWith(before, req.value);
  if (after !== before) kv.set(k, after);
  return ok(req.value);
}

function generate(kv: KvView, req: OpRequest): OpReply {
  const node = kv.node;
  const k = node === undefined ? storeKey('ids', req.key) : scopedIdsKey(req.key, node);
  const n = asNumber(kv.get(k)) + 1;
  kv.set(k, n);
  return ok(node === undefined ? n : `${node}-${n}`);
}

function keysOf(kv: KvView, kind: KeyKind, op: string): string[] | OpReply {
  if (!kv.keys) return fail(`unsupported: ${op} needs a store that can list its keys`);
  const prefix = `${kind}:`;
  const out: string[] = [];
  for (const k of kv.keys()) if (k.startsWith(prefix) && kv.get(k) !== undefined) out.push(k);
  return out.sort();
}

/** How an op key shows as a property name in scan and bank read results. */
function propertyName(key: unknown): string {
  return typeof key === 'string' ? key : typeof key === 'number' ? String(key) : canonicalJson(key);
}

function scan(kv: KvView): OpReply {
  const keys = keysOf(kv, 'register', 'scan');
  if (!Array.isArray(keys)) return keys;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[propertyName(userKey(k))] = kv.get(k);
  return ok(out);
}

/**
 * The registers whose keys lie in [start, end), as one atomic part: `[[[key, value], …]]`, keys
 * ascending (numbers, then strings: compareElements). A list of parts, so that a store that
 * gathers a range from several places (sharded mode) can say which keys it read together.
 */
function range(kv: KvView, req: OpRequest): OpReply {
  const bounds = rangeBounds(req.value);
  if (typeof bounds === 'string') return fail(`invalid-value: ${bounds}`);
  const keys = keysOf(kv, 'register', 'range');
  if (!Array.isArray(keys)) return keys;
  const part: [unknown, unknown][] = [];
  for (const k of keys) {
    const key = userKey(k);
    if (inRange(key, bounds)) part.push([key, kv.get(k)]);
  }
  part.sort((a, b) => compareElements(a[0], b[0]));
  return ok(part.length === 0 ? [] : [part]);
}

/** [start, end) of a range op's value, or why it is not one. */
export function rangeBounds(value: unknown): [unknown, unknown] | string {
  if (!Array.isArray(value) || value.length !== 2) return `range takes [start, end], got ${show(value)}`;
  return [value[0], value[1]];
}

export function inRange(key: unknown, [start, end]: [unknown, unknown]): boolean {
  return compareElements(key, start) >= 0 && compareElements(key, end) < 0;
}

function bankRead(kv: KvView): OpReply {
  const keys = keysOf(kv, 'account', 'a bank read');
  if (!Array.isArray(keys)) return keys;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[propertyName(userKey(k))] = kv.get(k);
  return ok(out);
}

function bankInit(kv: KvView, req: OpRequest): OpReply {
  const v = req.value as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.accounts) || typeof v.balance !== 'number') {
    return fail(`invalid-value: init takes { accounts: [ids], balance: n }, got ${show(req.value)}`);
  }
  for (const id of v.accounts) {
    const k = storeKey('account', id);
    if (kv.get(k) === undefined) kv.set(k, v.balance);
  }
  return ok(req.value);
}

/**
 * A bank transfer. With only `from` (or only `to`) it is half of one — a withdrawal (deposit) —
 * which sharded mode runs on each account's shard when they live apart.
 */
function transfer(kv: KvView, req: OpRequest): OpReply {
  const v = req.value as Record<string, unknown> | null;
  if (v === null || typeof v !== 'object' || typeof v.amount !== 'number' || !Number.isFinite(v.amount) || v.amount < 0 || !('from' in v || 'to' in v)) {
    return fail(`invalid-value: transfer takes { from, to, amount ≥ 0 }, got ${show(req.value)}`);
  }
  const fromKey = 'from' in v ? storeKey('account', v.from) : undefined;
  const toKey = 'to' in v ? storeKey('account', v.to) : undefined;
  const from = fromKey === undefined ? undefined : kv.get(fromKey);
  const to = toKey === undefined ? undefined : kv.get(toKey);
  if (fromKey !== undefined && typeof from !== 'number') return fail(`no-such-account: ${show(v.from)}`);
  if (toKey !== undefined && typeof to !== 'number') return fail(`no-such-account: ${show(v.to)}`);
  if (fromKey !== undefined && (from as number) < v.amount) return fail('insufficient-funds');
  if (fromKey !== undefined) kv.set(fromKey, (from as number) - v.amount);
  // Read `to` again: from and to may be the same account.
  if (toKey !== undefined) kv.set(toKey, (kv.get(toKey) as number) + v.amount);
  return ok(req.value);
}

function txn(kv: KvView, req: OpRequest): OpReply {
  const micro = txnMicroOps(req.value);
  if (typeof micro === 'string') return fail(`invalid-value: ${micro}`);
  const readKind = txnReadKind(micro);
  const out: unknown[] = [];
  for (const [f, k, v] of micro) {
    if (f === 'append') {
      const sk = storeKey('list', k);
      kv.set(sk, [...asList(kv.get(sk)), v]);
      out.push([f, k, v]);
    } else if (f === 'w') {
      kv.set(storeKey('register', k), v);
      out.push([f, k, v]);
    } else {
      const got = kv.get(storeKey(readKind, k));
      out.push([f, k, got === undefined ? null : got]);
    }
  }
  return ok(out);
}
