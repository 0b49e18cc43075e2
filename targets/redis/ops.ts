// docs/workloads.md's register, set and counter ops in Redis commands. Every value is stored as
// canonical JSON, so a cas compares byte for byte and a set element is one member whatever its
// type. Keys are `KIND:` + the canonical JSON of the op's key (absent: null).
//
// | op                 | command                                                       |
// | register read      | GET → the value, or null                                      |
// | register write     | SET                                                           |
// | register cas [e,n] | EVAL of a compare-and-set script (atomic on the server)      |
// | set add / remove   | SADD / SREM                                                   |
// | set read           | SMEMBERS → the elements, ascending                            |
// | counter add / read | INCRBY (integers) / GET → the count, 0 if never added to      |
import { canonicalJson } from '../../base/json.js';
import type { Op } from '../../histories/op.js';
import { compareElements } from '../builtin/state-machine.js';
import type { Dialect } from '../dialect.js';
import type { Reply } from './resp.js';

export { dialectFor, type Dialect } from '../dialect.js';

/**
 * What one op sends: `command` (to the primary, or to a replica when it only reads), then what its
 * reply means. `outcome` returns the op's ok value, or a `fail` with its reason.
 */
export interface Plan {
  command: (string | number)[];
  /** True when the command changes nothing (it may go to a replica; a failure is certainly no effect). */
  readOnly: boolean;
  outcome(reply: Reply): { type: 'ok'; value: unknown } | { type: 'fail'; error: string };
}

/**
 * Sets the register to ARGV[2] if it holds ARGV[1] (a register never written holds JSON null).
 * It reads before it writes, so an error (e.g. READONLY on a replica) leaves nothing written.
 */
export const CAS_SCRIPT = [
  "local cur = redis.call('GET', KEYS[1])",
  "if cur == false then cur = 'null' end",
  'if cur ~= ARGV[1] then return 0 end',
  "redis.call('SET', KEYS[1], ARGV[2])",
  'return 1',
].join('\n');

export function redisKey(kind: 'register' | 'set' | 'counter', key: unknown): string {
  return `${kind}:${canonicalJson(key === undefined ? null : key)}`;
}

/** A stored value back as JSON (anything not JSON, written by someone else, as its text). */
export function decodeValue(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function show(v: unknown): string {
  const s = canonicalJson(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const ok = (value: unknown) => ({ type: 'ok' as const, value });
const failed = (error: string) => ({ type: 'fail' as const, error });
const unexpected = (what: string, r: Reply) => failed(`unexpected reply to ${what}: ${show(r instanceof Error ? r.message : r)}`);

/** The plan of `op`, or the reason it cannot be sent (then it fails: nothing was sent). */
export function planOp(op: Op, dialect: Dialect): Plan | string {
  switch (op.f) {
    case 'read':
      return planRead(op, dialect);
    case 'write': {
      const k = redisKey('register', op.key);
      return { command: ['SET', k, canonicalJson(op.value)], readOnly: false, outcome: (r) => (r === 'OK' ? ok(op.value) : unexpected('SET', r)) };
    }
    case 'cas': {
      if (!Array.isArray(op.value) || op.value.length !== 2) return `invalid-value: cas takes [expected, new], got ${show(op.value)}`;
      const [expected, next] = op.value as [unknown, unknown];
      const k = redisKey('register', op.key);
      return {
        command: ['EVAL', CAS_SCRIPT, 1, k, canonicalJson(expected), canonicalJson(next)],
        readOnly: false,
        outcome: (r) => (r === 1 ? ok(op.value) : r === 0 ? failed('mismatch') : unexpected('the cas script', r)),
      };
    }
    case 'add':
      if (dialect.add === 'counter') {
        if (typeof op.value !== 'number' || !Number.isSafeInteger(op.value)) return `invalid-value: a Redis counter adds integers, got ${show(op.value)}`;
        return { command: ['INCRBY', redisKey('counter', op.key), op.value], readOnly: false, outcome: (r) => (typeof r === 'number' ? ok(op.value) : unexpected('INCRBY', r)) };
      }
      return { command: ['SADD', redisKey('set', op.key), canonicalJson(op.value)], readOnly: false, outcome: (r) => (typeof r === 'number' ? ok(op.value) : unexpected('SADD', r)) };
    case 'remove':
      return { command: ['SREM', redisKey('set', op.key), canonicalJson(op.value)], readOnly: false, outcome: (r) => (typeof r === 'number' ? ok(op.value) : unexpected('SREM', r)) };
    default:
      return `unknown-op: the redis client serves register, set and counter ops, not f=${JSON.stringify(op.f)}`;
  }
}

function planRead(op: Op, dialect: Dialect): Plan | string {
  switch (dialect.read) {
    case 'register':
      return { command: ['GET', redisKey('register', op.key)], readOnly: true, outcome: (r) => (r === null ? ok(null) : typeof r === 'string' ? ok(decodeValue(r)) : unexpected('GET', r)) };
    case 'counter':
      return {
        command: ['GET', redisKey('counter', op.key)],
        readOnly: true,
        outcome: (r) => (r === null ? ok(0) : typeof r === 'string' && /^-?\d+$/.test(r) ? ok(Number(r)) : unexpected('GET', r)),
      };
    case 'set':
      return {
        command: ['SMEMBERS', redisKey('set', op.key)],
        readOnly: true,
        outcome: (r) =>
          Array.isArray(r) && r.every((m): m is string => typeof m === 'string') ? ok(r.map(decodeValue).sort(compareElements)) : unexpected('SMEMBERS', r),
      };
    case 'bank':
      return 'unknown-op: the redis client has no bank workload';
  }
}
