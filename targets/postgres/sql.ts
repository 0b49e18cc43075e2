// The SQL behind the Elle workloads (docs/postgres.md), after Jepsen's own PostgreSQL tests: each
// key is a row `(k text primary key, v jsonb)` in one of a few tables (the key's hash picks it,
// so transactions span tables), keys stored as their canonical JSON. list-append keeps a jsonb
// array and appends with an upsert, `v = t.v || [x]`; rw-register keeps the value and writes with
// an upsert. A read is a SELECT; a missing row reads as null (the empty list, the initial value).
import { canonicalJson } from '../../base/json.js';
import { show } from '../../histories/errors.js';

export const ISOLATION_LEVELS = ['read-committed', 'repeatable-read', 'serializable'] as const;
export type Isolation = (typeof ISOLATION_LEVELS)[number];

/** The workloads this target serves and what their writes are called. */
export const TXN_WORKLOADS = { 'list-append': 'append', 'rw-register': 'w' } as const;
export type TxnWorkload = keyof typeof TXN_WORKLOADS;

/** Tables per workload: enough that transactions touch several, few enough to stay hot. */
export const TABLE_COUNT = 3;

const TABLE_PREFIX: Record<TxnWorkload, string> = { 'list-append': 'append', 'rw-register': 'register' };

export type MicroOp = [f: string, key: unknown, value: unknown];

export interface Statement {
  /** A name per text, so each connection prepares it once. */
  name: string;
  text: string;
  values: string[];
}

export function isIsolation(v: unknown): v is Isolation {
  return typeof v === 'string' && (ISOLATION_LEVELS as readonly string[]).includes(v);
}

export function isTxnWorkload(v: unknown): v is TxnWorkload {
  return typeof v === 'string' && Object.hasOwn(TXN_WORKLOADS, v);
}

export function beginStatement(isolation: Isolation): string {
  return `BEGIN ISOLATION LEVEL ${isolation.replaceAll('-', ' ').toUpperCase()}`;
}

export function tableNames(workload: TxnWorkload): string[] {
  return Array.from({ length: TABLE_COUNT }, (_, i) => `${TABLE_PREFIX[workload]}_${i}`);
}

/** DDL for every table either workload uses (idempotent). */
export function createTablesSql(): string {
  return (Object.keys(TXN_WORKLOADS) as TxnWorkload[])
    .flatMap(tableNames)
    .map((t) => `CREATE TABLE IF NOT EXISTS ${t} (k text PRIMARY KEY, v jsonb NOT NULL);`)
    .join('\n');
}

/** FNV-1a of the key's canonical JSON: the same key always lands in the same table. */
export function tableIndex(keyText: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < keyText.length; i++) {
    h ^= keyText.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % TABLE_COUNT;
}

/**
 * The micro-ops of a txn value, or why they are not ones `workload` understands (then nothing is
 * sent: the op fails).
 */
export function parseMicroOps(workload: TxnWorkload, value: unknown): MicroOp[] | string {
  if (!Array.isArray(value) || value.length === 0) return `a txn value must be a non-empty list of [f, key, value] micro-ops, got ${show(value)}`;
  const write = TXN_WORKLOADS[workload];
  for (const m of value) {
    if (!Array.isArray(m) || m.length !== 3) return `bad micro-op ${show(m)}: expected [f, key, value]`;
    if (m[0] !== 'r' && m[0] !== write) return `micro-op ${show(m)}: ${workload} takes "r" and "${write}"`;
    if (m[1] === undefined) return `micro-op ${show(m)} has no key`;
  }
  return value as MicroOp[];
}

export function isReadOnly(micro: readonly MicroOp[]): boolean {
  return micro.every((m) => m[0] === 'r');
}

/** The statement performing one micro-op. Values travel as JSON text cast to jsonb. */
export function microOpStatement(workload: TxnWorkload, m: MicroOp): Statement {
  const key = canonicalJson(m[1]);
  const table = tableNames(workload)[tableIndex(key)];
  if (m[0] === 'r') return { name: `r_${table}`, text: `SELECT v FROM ${table} WHERE k = $1`, values: [key] };
  const value = JSON.stringify(m[2]) ?? 'null';
  if (workload === 'list-append') {
    return {
      name: `a_${table}`,
      text: `INSERT INTO ${table} AS t (k, v) VALUES ($1, jsonb_build_array($2::jsonb)) ON CONFLICT (k) DO UPDATE SET v = t.v || jsonb_build_array($2::jsonb)`,
      values: [key, value],
    };
  }
  return {
    name: `w_${table}`,
    text: `INSERT INTO ${table} AS t (k, v) VALUES ($1, $2::jsonb) ON CONFLICT (k) DO UPDATE SET v = excluded.v`,
    values: [key, value],
  };
}

/** A read's result: the row's value, or null when the key has no row. */
export function readResult(rows: readonly { v?: unknown }[]): unknown {
  return rows.length === 0 || rows[0].v === undefined ? null : rows[0].v;
}
