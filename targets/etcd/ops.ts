// docs/workloads.md's op vocabulary in etcd terms, over the v3 JSON gateway. Registers map onto
// etcd directly (range, put, a txn comparing the value for cas); set elements are keys of their
// own; unique ids are the revision of a put. Everything that must read before it writes (list
// appends, counters, queues, bank transfers, txns that write a key twice) is a read-modify-write:
// one linearizable read of every key involved, then one etcd txn that writes only if each key read
// still has the mod_revision it was read at — retried on conflict, and answered `fail` (nothing
// written) when the retries run out. Reads are linearizable (etcd's default, serializable=false).
import { canonicalJson } from '../../base/json.js';
import type { Op } from '../../histories/op.js';
import { compareElements } from '../builtin/state-machine.js';
import {
  ABSENT,
  b64,
  decodeKv,
  encodeValue,
  firstKv,
  kindPrefix,
  prefixRangeEnd,
  setElementKey,
  setPrefix,
  storeKey,
  unb64,
  userKey,
  type Compare,
  type Current,
  type KeyKind,
  type PutReply,
  type RangeReply,
  type RequestOp,
  type TxnReply,
  type TxnRequest,
} from './codec.js';
import type { CallOptions, Gateway } from './gateway.js';
import type { Dialect } from '../dialect.js';

export type Reply = { type: 'ok'; value: unknown } | { type: 'fail'; error: string };

/** A failure before any write could have been sent: the op certainly did not happen. */
export class NotApplied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotApplied';
  }
}

export { dialectFor, type Dialect } from '../dialect.js';

type Micro = [string, unknown, unknown];

function microOps(value: unknown): Micro[] | string {
  if (!Array.isArray(value)) return 'a txn value must be a list of [f, key, value] micro-ops';
  for (const m of value) {
    if (!Array.isArray(m) || m.length !== 3 || typeof m[0] !== 'string') return `bad micro-op ${show(m)}: expected [f, key, value]`;
    if (!['r', 'w', 'append'].includes(m[0])) return `unknown micro-op f ${JSON.stringify(m[0])} (expected r, w or append)`;
  }
  return value as Micro[];
}

/** True when the op changes nothing: a failed attempt at it certainly had no effect. */
export function isReadOnly(op: Op): boolean {
  if (op.f === 'read' || op.f === 'scan') return true;
  if (op.f !== 'txn') return false;
  const micro = microOps(op.value);
  return typeof micro !== 'string' && micro.every((m) => m[0] === 'r');
}

function show(v: unknown): string {
  const s = canonicalJson(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** How an op key shows as a property name in scan and bank read results (as the built-in store). */
function propertyName(key: unknown): string {
  return typeof key === 'string' ? key : typeof key === 'number' ? String(key) : canonicalJson(key);
}

const ok = (value: unknown): Reply => ({ type: 'ok', value });
const fail = (error: string): Reply => ({ type: 'fail', error });
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asNumber = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** What a read-modify-write does once it has read its keys. */
interface Plan {
  /** Keys whose read values the plan depends on: the commit requires them unchanged. */
  observed: Iterable<string>;
  puts: Map<string, unknown>;
  deletes?: readonly string[];
  /** The op's ok value. */
  result: unknown;
}

export interface EtcdOpsOptions {
  /** Read-modify-write attempts before the op fails with a conflict. Default 10. */
  maxAttempts?: number;
}

const DEFAULT_MAX_ATTEMPTS = 10;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EtcdOps {
  private readonly maxAttempts: number;

  constructor(
    private readonly gw: Gateway,
    private readonly dialect: Dialect,
    options: EtcdOpsOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  /** Performs `op`. Throws (GatewayError, NotApplied) when etcd's answer was an error or none. */
  apply(op: Op, o: CallOptions): Promise<Reply> {
    switch (op.f) {
      case 'read':
        return this.read(op, o);
      case 'write':
        return this.write(op, o);
      case 'cas':
        return this.cas(op, o);
      case 'add':
        return this.dialect.add === 'counter' ? this.counterAdd(op, o) : this.setAdd(op, o);
      case 'remove':
        return this.setRemove(op, o);
      case 'txn':
        return this.txn(op, o);
      case 'enqueue':
      case 'dequeue':
      case 'drain':
        return this.queue(op, o);
      case 'generate':
        return this.generate(op, o);
      case 'scan':
        return this.scan(o);
      case 'init':
        return this.bankInit(op, o);
      case 'transfer':
        return this.transfer(op, o);
      default:
        return Promise.resolve(fail(`unknown-op: the etcd client has no op f=${JSON.stringify(op.f)} (docs/workloads.md lists them)`));
    }
  }

  // ---- etcd requests ---------------------------------------------------------------------------

  private range(key: string, o: CallOptions): Promise<RangeReply> {
    return this.gw.call<RangeReply>('/v3/kv/range', { key: b64(key) }, o);
  }

  private rangePrefix(prefix: string, o: CallOptions): Promise<RangeReply> {
    return this.gw.call<RangeReply>('/v3/kv/range', { key: b64(prefix), range_end: prefixRangeEnd(prefix) }, o);
  }

  private put(key: string, value: unknown, o: CallOptions): Promise<PutReply> {
    return this.gw.call<PutReply>('/v3/kv/put', { key: b64(key), value: encodeValue(value) }, o);
  }

  private txnCall(t: TxnRequest, o: CallOptions): Promise<TxnReply> {
    return this.gw.call<TxnReply>('/v3/kv/txn', t, o);
  }

  /** Every key's current value, all as of one revision (one txn of ranges for several keys). */
  private async readKeys(keys: readonly string[], o: CallOptions): Promise<Map<string, Current>> {
    const out = new Map<string, Current>();
    try {
      if (keys.length === 1) {
        out.set(keys[0], firstKv(await this.range(keys[0], o)));
      } else if (keys.length > 1) {
        const r = await this.txnCall({ success: keys.map((k) => ({ request_range: { key: b64(k) } })) }, o);
        keys.forEach((k, i) => out.set(k, firstKv(r.responses?.[i]?.response_range)));
      }
    } catch (e) {
      throw new NotApplied(`reading before writing: ${(e as Error).message}`);
    }
    return out;
  }

  /**
   * Reads `keys`, asks `plan` what to write, and writes it if nothing it observed changed
   * meanwhile; retries from the read on a conflict.
   */
  private async readModifyWrite(keys: readonly string[], plan: (current: (key: string) => Current) => Plan | Reply, o: CallOptions): Promise<Reply> {
    for (let attempt = 1; ; attempt++) {
      if (o.signal?.aborted) throw new NotApplied('aborted between attempts');
      const read = await this.readKeys(keys, o);
      const p = plan((k) => read.get(k) ?? ABSENT);
      if ('type' in p) return p;
      if (p.puts.size === 0 && (p.deletes?.length ?? 0) === 0) return ok(p.result);
      const compare: Compare[] = [...p.observed].map((k) => ({ key: b64(k), target: 'MOD', result: 'EQUAL', mod_revision: (read.get(k) ?? ABSENT).modRevision }));
      const success: RequestOp[] = [...p.puts].map(([k, v]) => ({ request_put: { key: b64(k), value: encodeValue(v) } }));
      for (const k of p.deletes ?? []) success.push({ request_delete_range: { key: b64(k) } });
      const r = await this.txnCall({ compare, success }, o);
      if (r.succeeded === true) return ok(p.result);
      if (attempt >= this.maxAttempts) return fail(`conflict: the keys changed under each of ${attempt} attempts`);
      // Contending writers back off by a random, growing amount so one of them gets through.
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }

  // ---- registers -------------------------------------------------------------------------------

  private async read(op: Op, o: CallOptions): Promise<Reply> {
    switch (this.dialect.read) {
      case 'register': {
        const v = firstKv(await this.range(storeKey('register', op.key), o)).value;
        return ok(v === undefined ? null : v);
      }
      case 'counter':
        return ok(asNumber(firstKv(await this.range(storeKey('counter', op.key), o)).value));
      case 'set': {
        const r = await this.rangePrefix(setPrefix(op.key), o);
        return ok((r.kvs ?? []).map((kv) => decodeKv(kv).value).sort(compareElements));
      }
      case 'bank':
        return ok(await this.byProperty('account', o));
    }
  }

  private async write(op: Op, o: CallOptions): Promise<Reply> {
    await this.put(storeKey('register', op.key), op.value, o);
    return ok(op.value);
  }

  private async cas(op: Op, o: CallOptions): Promise<Reply> {
    if (!Array.isArray(op.value) || op.value.length !== 2) return fail(`invalid-value: cas takes [expected, new], got ${show(op.value)}`);
    const [expected, next] = op.value as [unknown, unknown];
    const key = b64(storeKey('register', op.key));
    // A register never written holds null; etcd fails any value compare on a missing key.
    const compare: Compare = expected === null ? { key, target: 'VERSION', result: 'EQUAL', version: '0' } : { key, target: 'VALUE', result: 'EQUAL', value: encodeValue(expected) };
    const r = await this.txnCall({ compare: [compare], success: [{ request_put: { key, value: encodeValue(next) } }] }, o);
    return r.succeeded === true ? ok(op.value) : fail('mismatch');
  }

  private async scan(o: CallOptions): Promise<Reply> {
    return ok(await this.byProperty('register', o));
  }

  /** Every key of `kind`, as { key: value }. */
  private async byProperty(kind: KeyKind, o: CallOptions): Promise<Record<string, unknown>> {
    const r = await this.rangePrefix(kindPrefix(kind), o);
    const out: Record<string, unknown> = {};
    for (const kv of r.kvs ?? []) out[propertyName(userKey(unb64(kv.key)))] = decodeKv(kv).value;
    return out;
  }

  // ---- sets and counters -------------------------------------------------------------------------

  private async setAdd(op: Op, o: CallOptions): Promise<Reply> {
    await this.put(setElementKey(op.key, op.value), op.value, o);
    return ok(op.value);
  }

  private async setRemove(op: Op, o: CallOptions): Promise<Reply> {
    await this.gw.call('/v3/kv/deleterange', { key: b64(setElementKey(op.key, op.value)) }, o);
    return ok(op.value);
  }

  private counterAdd(op: Op, o: CallOptions): Promise<Reply> {
    if (typeof op.value !== 'number' || !Number.isFinite(op.value)) return Promise.resolve(fail(`invalid-value: a counter add takes a number, got ${show(op.value)}`));
    const n = op.value;
    const k = storeKey('counter', op.key);
    return this.readModifyWrite([k], (cur) => ({ observed: [k], puts: new Map([[k, asNumber(cur(k).value) + n]]), result: n }), o);
  }

  // ---- unique ids and queues ---------------------------------------------------------------------

  private async generate(op: Op, o: CallOptions): Promise<Reply> {
    // Every write gets its own store revision, cluster-wide: a fresh id without a counter to race on.
    const r = await this.put(storeKey('ids', op.key), null, o);
    const revision = Number(r.header?.revision);
    if (!Number.isSafeInteger(revision) || revision <= 0) throw new Error(`etcd answered a put without a usable revision (${String(r.header?.revision)})`);
    return ok(revision);
  }

  private queue(op: Op, o: CallOptions): Promise<Reply> {
    const k = storeKey('queue', op.key);
    return this.readModifyWrite(
      [k],
      (cur) => {
        const q = asList(cur(k).value);
        if (op.f === 'enqueue') return { observed: [k], puts: new Map([[k, [...q, op.value]]]), result: op.value };
        if (q.length === 0) return { observed: [k], puts: new Map(), result: op.f === 'drain' ? [] : null };
        if (op.f === 'dequeue') return { observed: [k], puts: new Map([[k, q.slice(1)]]), result: q[0] };
        return { observed: [k], puts: new Map([[k, []]]), result: q };
      },
      o,
    );
  }

  // ---- bank ----------------------------------------------------------------------------------

  private bankInit(op: Op, o: CallOptions): Promise<Reply> {
    const v = op.value as Record<string, unknown> | null;
    if (v === null || typeof v !== 'object' || !Array.isArray(v.accounts) || typeof v.balance !== 'number') {
      return Promise.resolve(fail(`invalid-value: init takes { accounts: [ids], balance: n }, got ${show(op.value)}`));
    }
    const balance = v.balance;
    const keys = [...new Set(v.accounts.map((id) => storeKey('account', id)))];
    return this.readModifyWrite(
      keys,
      (cur) => {
        const puts = new Map<string, unknown>();
        for (const k of keys) if (cur(k).value === undefined) puts.set(k, balance);
        return { observed: keys, puts, result: op.value };
      },
      o,
    );
  }

  private transfer(op: Op, o: CallOptions): Promise<Reply> {
    const v = op.value as Record<string, unknown> | null;
    if (v === null || typeof v !== 'object' || typeof v.amount !== 'number' || !Number.isFinite(v.amount) || v.amount < 0 || !('from' in v) || !('to' in v)) {
      return Promise.resolve(fail(`invalid-value: transfer takes { from, to, amount ≥ 0 }, got ${show(op.value)}`));
    }
    const amount = v.amount;
    const fromKey = storeKey('account', v.from);
    const toKey = storeKey('account', v.to);
    const keys = fromKey === toKey ? [fromKey] : [fromKey, toKey];
    return this.readModifyWrite(
      keys,
      (cur) => {
        const from = cur(fromKey).value;
        const to = cur(toKey).value;
        if (typeof from !== 'number') return fail(`no-such-account: ${show(v.from)}`);
        if (typeof to !== 'number') return fail(`no-such-account: ${show(v.to)}`);
        if (from < amount) return fail('insufficient-funds');
        const puts = new Map<string, unknown>([[fromKey, from - amount]]);
        // from and to may be one account: add to what the withdrawal left.
        const toBefore = puts.has(toKey) ? (puts.get(toKey) as number) : to;
        puts.set(toKey, toBefore + amount);
        return { observed: keys, puts, result: op.value };
      },
      o,
    );
  }

  // ---- transactions ------------------------------------------------------------------------------

  private txn(op: Op, o: CallOptions): Promise<Reply> {
    const micro = microOps(op.value);
    if (typeof micro === 'string') return Promise.resolve(fail(`invalid-value: ${micro}`));
    const readKind: 'list' | 'register' = this.dialect.txnRead !== 'by-txn' ? this.dialect.txnRead : micro.some((m) => m[0] === 'w') ? 'register' : 'list';
    const keyOf = (m: Micro) => storeKey(m[0] === 'append' ? 'list' : m[0] === 'w' ? 'register' : readKind, m[1]);
    const keys = micro.map(keyOf);
    const written = keys.filter((_, i) => micro[i][0] !== 'r');
    const oneShot = micro.every((m) => m[0] !== 'append') && new Set(written).size === written.length;
    return oneShot ? this.txnOneShot(micro, keys, o) : this.txnReadModifyWrite(micro, keys, o);
  }

  /**
   * Writes and reads in one etcd txn, in the txn's order (etcd lets a range see an earlier put of
   * the same txn). etcd refuses two puts of one key in a txn, so such txns take the other path.
   */
  private async txnOneShot(micro: Micro[], keys: string[], o: CallOptions): Promise<Reply> {
    const success: RequestOp[] = micro.map((m, i) => (m[0] === 'w' ? { request_put: { key: b64(keys[i]), value: encodeValue(m[2]) } } : { request_range: { key: b64(keys[i]) } }));
    const r = await this.txnCall({ success }, o);
    const out = micro.map((m, i): Micro => {
      if (m[0] !== 'r') return [m[0], m[1], m[2]];
      const v = firstKv(r.responses?.[i]?.response_range).value;
      return [m[0], m[1], v === undefined ? null : v];
    });
    return ok(out);
  }

  private txnReadModifyWrite(micro: Micro[], keys: string[], o: CallOptions): Promise<Reply> {
    const unique = [...new Set(keys)];
    return this.readModifyWrite(
      unique,
      (cur) => {
        const local = new Map<string, unknown>();
        const observed = new Set<string>();
        const valueOf = (k: string) => {
          if (local.has(k)) return local.get(k);
          observed.add(k);
          return cur(k).value;
        };
        const out = micro.map((m, i): Micro => {
          const k = keys[i];
          if (m[0] === 'append') {
            local.set(k, [...asList(valueOf(k)), m[2]]);
            return [m[0], m[1], m[2]];
          }
          if (m[0] === 'w') {
            local.set(k, m[2]);
            return [m[0], m[1], m[2]];
          }
          const v = valueOf(k);
          return [m[0], m[1], v === undefined ? null : v];
        });
        return { observed, puts: local, result: out };
      },
      o,
    );
  }
}
