// The four session guarantees of Terry et al. (1994) — read-your-writes, monotonic reads,
// monotonic writes, writes-follow-reads — checked per process (a process is a session) on
// register histories (`write` v, `read` → v or null for the initial state), each key on its own.
// An anomaly is claimed only when the order it breaks is known, in a version order chosen by
// `versionOrder`: causal (the default: program order plus reads-from, which every correct store
// respects), realtime or process (opt-ins for stores that claim linearizable or sequentially
// consistent keys). docs/session-staleness.md has the definitions.
import { InputError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import type { Checker, CheckContext, Result } from './types.js';
import { nothingToCheck } from './relevant.js';
import { CausalOrder, DEFAULT_MAX_CLOCK_ENTRIES } from './session/causal-order.js';
import { ClockLimit } from './session/oracle.js';
import { checkSessionOrdered } from './session/ordered.js';
import { checkSessionProcess } from './session/process-check.js';
import { ProcessOrder } from './session/process-order.js';
import { checkSessionRealtime } from './session/realtime.js';
import { UNKNOWN, prepareRegisters, type Registers } from './session/registers.js';
import { GUARANTEES, VERSION_ORDERS, type SessionResults, type VersionOrder } from './session/types.js';

export { INITIAL, NEVER, UNKNOWN, prepareRegisters, type Registers } from './session/registers.js';
export { GUARANTEES, VERSION_ORDERS, type Guarantee, type GuaranteeResult, type OrderStep, type SessionViolation, type VersionOrder } from './session/types.js';

export interface SessionOptions {
  /** The order that makes a version known older (default causal). */
  versionOrder?: VersionOrder;
  /** Violations kept per guarantee (all are counted; default 100). */
  maxViolations?: number;
  /** Bound on the causal order's clock entries (default 2^27). */
  maxClockEntries?: number;
}

/** The session guarantees of a prepared register history. Throws ClockLimit past the clock bound. */
export function checkSession(reg: Registers, options: SessionOptions = {}): SessionResults {
  const max = options.maxViolations ?? 100;
  const order = options.versionOrder ?? 'causal';
  if (order === 'realtime') return checkSessionRealtime(reg, max);
  if (order === 'process') return checkSessionProcess(reg, new ProcessOrder(reg), max);
  return checkSessionOrdered(reg, new CausalOrder(reg, options.maxClockEntries ?? DEFAULT_MAX_CLOCK_ENTRIES), max);
}

function optionsOf(ctx: CheckContext): SessionOptions {
  const o = ctx.options ?? {};
  const out: SessionOptions = {};
  const m = o.maxViolations;
  if (typeof m === 'number' && m >= 0) out.maxViolations = Math.floor(m);
  const v = o.versionOrder;
  if (v !== undefined) {
    if (typeof v !== 'string' || !(VERSION_ORDERS as readonly string[]).includes(v)) {
      throw new InputError(`session: --option versionOrder takes ${VERSION_ORDERS.join(', ')}, not ${JSON.stringify(v)}`);
    }
    out.versionOrder = v as VersionOrder;
  }
  const c = o.maxClockEntries;
  if (c !== undefined) {
    if (!(typeof c === 'number' && c > 0)) throw new InputError(`session: --option maxClockEntries needs a positive number, got ${JSON.stringify(c)}`);
    out.maxClockEntries = c;
  }
  return out;
}

export const session: Checker = {
  name: 'session',
  description:
    'session guarantees per process (read-your-writes, monotonic reads and writes, writes-follow-reads) on a register history with unique written values; versions ordered causally (--option versionOrder=causal|realtime|process)',
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const options = optionsOf(ctx);
    const none = nothingToCheck(h, 'session', ['read', 'write', 'cas']);
    if (none) return none;
    const reg = prepareRegisters(h);
    const versionOrder = options.versionOrder ?? 'causal';
    let guarantees: SessionResults;
    try {
      guarantees = checkSession(reg, options);
    } catch (e) {
      if (!(e instanceof ClockLimit)) throw e;
      return {
        valid: 'unknown',
        reason: 'memory-limit',
        versionOrder,
        explanation: `the ${versionOrder} version order needs more than ${e.max} clock entries (maxClockEntries) on this history; versionOrder=realtime needs none`,
        writes: reg.writes,
        reads: reg.reads,
      };
    }
    const broken = GUARANTEES.filter((g) => !guarantees[g].valid);
    const result: Result = {
      valid: broken.length === 0,
      versionOrder,
      guarantees,
      writes: reg.writes,
      reads: reg.reads,
      ...(reg.ignored ? { ignored: reg.ignored } : {}),
    };
    let unknown = 0;
    for (let r = 0; r < reg.reads; r++) if (reg.rVer[r] === UNKNOWN) unknown++;
    if (unknown) result.unwrittenReads = unknown;
    if (broken.length) {
      const first = guarantees[broken[0]].violations[0];
      const counts = broken.map((g) => `${g} ${guarantees[g].count}`).join(', ');
      result.explanation = `${broken[0]}: ${first?.sentence ?? 'violated'} (violations: ${counts})`;
      const ops = new Set<number>();
      for (const g of broken) for (const i of guarantees[g].violations[0]?.ops ?? []) ops.add(i);
      result.ops = [...ops].sort((a, b) => a - b);
    }
    return result;
  },
};
