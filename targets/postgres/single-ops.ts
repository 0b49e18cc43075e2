// The register and set workloads' ops (docs/workloads.md) in SQL, for the postgres client of a
// described system (replicated PostgreSQL, systems/postgres-patroni.json). Each op is one statement
// in a transaction of its own at the test's isolation level. Values are stored as jsonb, keys as
// their canonical JSON (absent: null), as the txn workloads do (sql.ts).
//
// | op                 | statement                                                        |
// | register read      | SELECT v FROM registers → the value, or null (no row)            |
// | register write     | INSERT … ON CONFLICT (k) DO UPDATE SET v = excluded.v             |
// | register cas [e,n] | UPDATE … SET v = n WHERE k = … AND v = e (e null: INSERT … DO NOTHING); no row changed: fail mismatch |
// | set add            | INSERT INTO sets (k, x) … ON CONFLICT DO NOTHING                  |
// | set read           | SELECT x FROM sets → the elements, ascending                      |
import { canonicalJson } from '../../checker/linearizable/values.js';
import { show } from '../../histories/errors.js';
import type { Op } from '../../histories/op.js';
import { compareElements } from '../builtin/state-machine.js';
import type { Statement } from './sql.js';

export const SINGLE_WORKLOADS = ['register', 'set'] as const;
export type SingleWorkload = (typeof SINGLE_WORKLOADS)[number];

export function isSingleWorkload(v: unknown): v is SingleWorkload {
  return typeof v === 'string' && (SINGLE_WORKLOADS as readonly string[]).includes(v);
}

/** DDL for the register and set tables (idempotent). */
export function createSingleTablesSql(): string {
  return ['CREATE TABLE IF NOT EXISTS registers (k text PRIMARY KEY, v jsonb NOT NULL);', 'CREATE TABLE IF NOT EXISTS sets (k text NOT NULL, x jsonb NOT NULL, PRIMARY KEY (k, x));'].join('\n');
}

export type SingleOutcome = { type: 'ok'; value: unknown } | { type: 'fail'; error: string };

/** One op's statement and what its result means. */
export interface SinglePlan {
  statement: Statement;
  /** Changes nothing: may go to a standby, and a lost answer is certainly no effect. */
  readOnly: boolean;
  outcome(rows: readonly Record<string, unknown>[], rowCount: number | null): SingleOutcome;
}

const keyOf = (op: Op) => canonicalJson(op.key === undefined ? null : op.key);
const json = (v: unknown) => JSON.stringify(v) ?? 'null';

/** The plan of `op` in `workload`, or why it cannot be sent (then it fails: nothing was sent). */
export function planSingleOp(workload: SingleWorkload, op: Op): SinglePlan | string {
  const k = keyOf(op);
  if (workload === 'register') {
    switch (op.f) {
      case 'read':
        return { statement: { name: 'reg_r', text: 'SELECT v FROM registers WHERE k = $1', values: [k] }, readOnly: true, outcome: (rows) => ({ type: 'ok', value: rows.length === 0 ? null : rows[0].v }) };
      case 'write':
        return {
          statement: { name: 'reg_w', text: 'INSERT INTO registers AS t (k, v) VALUES ($1, $2::jsonb) ON CONFLICT (k) DO UPDATE SET v = excluded.v', values: [k, json(op.value)] },
          readOnly: false,
          outcome: () => ({ type: 'ok', value: op.value }),
        };
      case 'cas': {
        if (!Array.isArray(op.value) || op.value.length !== 2) return `invalid-value: cas takes [expected, new], got ${show(op.value)}`;
        const [expected, next] = op.value as [unknown, unknown];
        const statement: Statement =
          expected === null
            ? { name: 'reg_cas0', text: 'INSERT INTO registers (k, v) VALUES ($1, $2::jsonb) ON CONFLICT (k) DO NOTHING', values: [k, json(next)] }
            : { name: 'reg_cas', text: 'UPDATE registers SET v = $3::jsonb WHERE k = $1 AND v = $2::jsonb', values: [k, json(expected), json(next)] };
        return { statement, readOnly: false, outcome: (_rows, n) => (n === 1 ? { type: 'ok', value: op.value } : { type: 'fail', error: 'mismatch' }) };
      }
    }
    return `unknown-op: the postgres client's register takes read, write and cas, not f=${JSON.stringify(op.f)}`;
  }
  switch (op.f) {
    case 'read':
      return {
        statement: { name: 'set_r', text: 'SELECT x FROM sets WHERE k = $1', values: [k] },
        readOnly: true,
        outcome: (rows) => ({ type: 'ok', value: rows.map((r) => r.x).sort(compareElements) }),
      };
    case 'add':
      return {
        statement: { name: 'set_a', text: 'INSERT INTO sets (k, x) VALUES ($1, $2::jsonb) ON CONFLICT DO NOTHING', values: [k, json(op.value)] },
        readOnly: false,
        outcome: () => ({ type: 'ok', value: op.value }),
      };
  }
  return `unknown-op: the postgres client's set takes add and read, not f=${JSON.stringify(op.f)}`;
}
