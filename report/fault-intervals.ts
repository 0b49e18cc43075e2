// When each fault was in effect, from a history's nemesis ops: the bands a run report shades
// across its plots. Pure: ops in, intervals out.
//
// A fault starts with f `start-X` and ends with `stop-X` (Jepsen's single-fault nemeses use bare
// `start` / `stop`). A nemesis op may be recorded twice, as it is asked for and as it is done
// (Jepsen writes invoke then info; faultline's runner writes info then info), so consecutive
// nemesis ops with the same f are one action, placed at the time of the last of them: the
// moment the fault was surely in (or out of) effect.
import type { Op } from '../histories/op.js';

export interface FaultInterval {
  /** The fault's name: X of `start-X`, or "fault" for a bare `start`. */
  fault: string;
  /** Nanoseconds (the ops' time axis): when the start action completed. */
  start: number;
  /** When the stop action completed, or the end of the history when none did. */
  end: number;
  /** No stop was recorded: the fault ran to the end of the history (or was never healed). */
  open: boolean;
  /** `index` of the op that completed the start, and of the one that completed the stop. */
  startIndex: number;
  stopIndex?: number;
  /** The start's value (e.g. which nodes were cut off), as the nemesis recorded it. */
  value: unknown;
  /** The start's error, when the nemesis reported that applying the fault failed. */
  error?: unknown;
}

/** A nemesis action that is not half of a start/stop pair (e.g. Jepsen's `kill`), at one instant. */
export interface FaultEvent {
  f: string;
  time: number;
  index: number;
  value: unknown;
  error?: unknown;
}

export interface FaultTimeline {
  /** Ordered by start, then by fault name. */
  intervals: FaultInterval[];
  events: FaultEvent[];
}

/** `{ kind, fault }` for a start or stop f, else null. */
export function parseFaultF(f: string): { kind: 'start' | 'stop'; fault: string } | null {
  if (f === 'start' || f === 'stop') return { kind: f, fault: 'fault' };
  const m = /^(start|stop)-(.+)$/.exec(f);
  return m ? { kind: m[1] as 'start' | 'stop', fault: m[2] } : null;
}

/** The end of the history's time axis: the latest time of any op (0 when none has one). */
export function lastTime(ops: readonly Op[]): number {
  let t = 0;
  for (const op of ops) if (typeof op.time === 'number' && Number.isFinite(op.time) && op.time > t) t = op.time;
  return t;
}

/**
 * The faults of `ops` (a whole history; client ops are skipped). Nemesis ops without a time
 * cannot be placed and are left out. `end` closes faults never stopped (default: the latest
 * time in `ops`).
 */
export function faultIntervals(ops: readonly Op[], end: number = lastTime(ops)): FaultTimeline {
  const actions = nemesisActions(ops);
  const open = new Map<string, FaultInterval>();
  const intervals: FaultInterval[] = [];
  const events: FaultEvent[] = [];
  for (const a of actions) {
    const parsed = parseFaultF(a.f);
    if (!parsed) {
      events.push({ f: a.f, time: a.time, index: a.index, value: a.value, ...(a.error === undefined ? {} : { error: a.error }) });
      continue;
    }
    const current = open.get(parsed.fault);
    if (parsed.kind === 'start') {
      // A second start while the fault is on changes nothing we can draw: the band began earlier.
      if (current) continue;
      const iv: FaultInterval = { fault: parsed.fault, start: a.time, end: a.time, open: true, startIndex: a.index, value: a.value };
      if (a.error !== undefined) iv.error = a.error;
      open.set(parsed.fault, iv);
      intervals.push(iv);
    } else if (current) {
      // A stop with nothing started (e.g. a final heal of a fault that never began) draws nothing.
      current.end = Math.max(current.start, a.time);
      current.open = false;
      current.stopIndex = a.index;
      open.delete(parsed.fault);
    }
  }
  for (const iv of open.values()) iv.end = Math.max(iv.start, end);
  intervals.sort((x, y) => x.start - y.start || (x.fault < y.fault ? -1 : x.fault > y.fault ? 1 : 0));
  return { intervals, events };
}

interface Action {
  f: string;
  time: number;
  index: number;
  value: unknown;
  error?: unknown;
}

/** One action per run of consecutive same-f nemesis ops, at the last op's time. */
function nemesisActions(ops: readonly Op[]): Action[] {
  const out: Action[] = [];
  let last: Action | undefined;
  let lastWasInvoke = false;
  for (const op of ops) {
    if (op.process !== 'nemesis') continue;
    if (typeof op.time !== 'number' || !Number.isFinite(op.time)) {
      last = undefined;
      continue;
    }
    // The second record of an action completes it: same f, and the first was its invocation
    // (type invoke), or both are info records (faultline's runner writes the request as info).
    const completes = last !== undefined && last.f === op.f && (lastWasInvoke || op.type === 'info') && op.type !== 'invoke';
    if (completes && last) {
      last.time = Math.max(last.time, op.time);
      last.index = op.index;
      // The completion says what was done; the request's value stands when it says nothing.
      if (op.value !== undefined && op.value !== null) last.value = op.value;
      if (op.error !== undefined) last.error = op.error;
      last = undefined; // a third same-f op is a new action
      continue;
    }
    last = { f: op.f, time: op.time, index: op.index, value: op.value, ...(op.error === undefined ? {} : { error: op.error }) };
    lastWasInvoke = op.type === 'invoke';
    out.push(last);
  }
  return out;
}
