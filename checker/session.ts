// The four session guarantees of Terry et al. (1994) — read-your-writes, monotonic reads,
// monotonic writes, writes-follow-reads — checked per process (a process is a session) on
// register histories (`write` v, `read` → v or null for the initial state), each key on its own.
// Versions of a key are ordered only by real time: a write that completed ok before another was
// invoked is older; concurrent writes are unordered, and an anomaly is claimed only when the order
// it breaks is known (docs/session-staleness.md). Also home of `prepareRegisters`, the compact
// form of such a history that the staleness checker shares.
import { HistoryError, show } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { canonicalJson, valueKey } from './linearizable/values.js';
import { showKey, showValue } from './txn/anomalies.js';
import { Growable } from './txn/vec.js';
import type { Checker, CheckContext, Result } from './types.js';
import { nothingToCheck } from './relevant.js';

/** A read's version: the initial (null) state. */
export const INITIAL = -1;
/** A read's version: a value no write (that did not fail) wrote. */
export const UNKNOWN = -2;
/** A write's completion position when it has no ok completion (info, or never completed). */
export const NEVER = 0x7fffffff;

/**
 * A register history in typed arrays. Writes are numbered in invocation order, ok reads in
 * completion order; positions are places in `h.ops` (history order is real-time order).
 */
export interface Registers {
  file: string;
  /** True when any client op carries a key (sentences then name it). */
  keyed: boolean;
  /** Key id → the key as written. */
  keys: unknown[];
  /** Process id → the process number. */
  processes: number[];
  writes: number;
  wKey: Int32Array;
  wProc: Int32Array;
  /** Position of the invocation, and of the ok completion (NEVER when info or open). */
  wInv: Int32Array;
  wComp: Int32Array;
  /** `index` of the op that shows the write: its completion, else its invocation. */
  wIndex: Float64Array;
  /** Times (ns) of the invocation and completion; NaN when absent. */
  wInvTime: Float64Array;
  wCompTime: Float64Array;
  wValue: unknown[];
  reads: number;
  rKey: Int32Array;
  rProc: Int32Array;
  rInv: Int32Array;
  rComp: Int32Array;
  /** Write id of the value read, INITIAL for null, UNKNOWN for a value no write wrote. */
  rVer: Int32Array;
  /** `index` of the read's completion (the op carrying the value read). */
  rIndex: Float64Array;
  rInvTime: Float64Array;
  rValue: unknown[];
  /** The node that served the read (completion's `node`, else the invocation's), when given. */
  rNode: (string | undefined)[];
  /** 1 when the read is marked `final`. */
  rFinal: Uint8Array;
  /** For an UNKNOWN read: `index` of a failed write of that value, or -1. */
  rFailedWrite: Float64Array;
  /** Client invocations that are neither reads nor writes (nor cas), left out. */
  ignored: number;
}

function fieldTime(op: Op | undefined): number {
  return op !== undefined && typeof op.time === 'number' ? op.time : NaN;
}

/** Interns keys: primitives by identity (so 1 and "1" differ), anything else by canonical JSON. */
class KeyInterner {
  readonly keys: unknown[] = [];
  private readonly prim = new Map<unknown, number>();
  private readonly obj = new Map<string, number>();
  id(k: unknown): number {
    if (k === null || typeof k !== 'object') {
      let id = this.prim.get(k);
      if (id === undefined) this.prim.set(k, (id = this.keys.push(k) - 1));
      return id;
    }
    const s = canonicalJson(k);
    let id = this.obj.get(s);
    if (id === undefined) this.obj.set(s, (id = this.keys.push(k) - 1));
    return id;
  }
}

const UNIQUE = 'session/staleness need unique written values per key';

/**
 * Reads a register history into typed arrays: writes (`write` v; `cas` [from, to] writes `to`
 * unless it failed or completed with `result: false`) and ok reads, values resolved to writes.
 * Throws HistoryError for a written value repeated on a key, or a write of null.
 */
export function prepareRegisters(h: History): Registers {
  const ops = h.ops;
  const pair = h.pair;
  const n = ops.length;
  const keys = new KeyInterner();
  const procIds = new Map<number, number>();
  const processes: number[] = [];
  const procId = (p: number): number => {
    let id = procIds.get(p);
    if (id === undefined) procIds.set(p, (id = processes.push(p) - 1));
    return id;
  };
  let keyed = false;
  // Per key: value → write id (writes that did not fail), and value → index of a failed write.
  const written: Map<number | string, number>[] = [];
  const failed: Map<number | string, number>[] = [];
  const wKey = new Growable(new Int32Array(1024));
  const wProc = new Growable(new Int32Array(1024));
  const wInv = new Growable(new Int32Array(1024));
  const wComp = new Growable(new Int32Array(1024));
  const wIndex = new Growable(new Float64Array(1024));
  const wInvTime = new Growable(new Float64Array(1024));
  const wCompTime = new Growable(new Float64Array(1024));
  const wValue: unknown[] = [];
  const rKey = new Growable(new Int32Array(1024));
  const rProc = new Growable(new Int32Array(1024));
  const rInv = new Growable(new Int32Array(1024));
  const rComp = new Growable(new Int32Array(1024));
  const rIndex = new Growable(new Float64Array(1024));
  const rInvTime = new Growable(new Float64Array(1024));
  const rFinal = new Growable(new Uint8Array(1024));
  const rValue: unknown[] = [];
  const rNode: (string | undefined)[] = [];
  let ignored = 0;
  const where = (pos: number): string => {
    const line = h.lineOf(pos);
    return line === undefined ? `index ${ops[pos].index}` : `line ${line} (index ${ops[pos].index})`;
  };

  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op.process === 'nemesis') continue;
    const f = op.f;
    if (op.type === 'invoke') {
      if (op.key !== undefined) keyed = true;
      if (f !== 'write' && f !== 'cas') {
        if (f !== 'read') ignored++;
        continue;
      }
      const c = pair[i];
      const done = c >= 0 ? ops[c] : undefined;
      let v = op.value;
      if (f === 'cas') {
        if (!Array.isArray(v) || v.length !== 2) {
          throw new HistoryError(h.file, h.lineOf(i), `value: a cas is [from, to], got ${show(v)}`);
        }
        if (done?.type === 'ok' && done.result === false) continue; // its condition did not hold: no write
        v = v[1];
      }
      const k = keys.id(op.key ?? done?.key);
      if (v === null || v === undefined) {
        throw new HistoryError(h.file, h.lineOf(i), `${UNIQUE}: a ${f} of null cannot be told from the initial (null) state`);
      }
      const vk = valueKey(v);
      if (done?.type === 'fail') {
        const m = (failed[k] ??= new Map());
        if (!m.has(vk)) m.set(vk, (done ?? op).index);
        continue;
      }
      const m = (written[k] ??= new Map());
      const prior = m.get(vk);
      if (prior !== undefined) {
        const keyPart = keyed || op.key !== undefined ? `key ${showKey(keys.keys[k])}: ` : '';
        throw new HistoryError(h.file, h.lineOf(i), `${UNIQUE}: ${keyPart}${showValue(v)} is written again (first written at ${where(wInv.data[prior])})`);
      }
      const id = wValue.length;
      m.set(vk, id);
      wKey.push(k);
      wProc.push(procId(op.process as number));
      wInv.push(i);
      wComp.push(done?.type === 'ok' ? c : NEVER);
      wIndex.push((done ?? op).index);
      wInvTime.push(fieldTime(op));
      wCompTime.push(done?.type === 'ok' ? fieldTime(done) : NaN);
      wValue.push(v);
    } else if (op.type === 'ok' && f === 'read') {
      const inv = pair[i];
      if (inv < 0) continue;
      const io = ops[inv];
      rKey.push(keys.id(io.key ?? op.key));
      rProc.push(procId(op.process as number));
      rInv.push(inv);
      rComp.push(i);
      rIndex.push(op.index);
      rInvTime.push(fieldTime(io));
      rFinal.push(op.final === true || io.final === true ? 1 : 0);
      rValue.push(op.value);
      rNode.push(typeof op.node === 'string' ? op.node : typeof io.node === 'string' ? io.node : undefined);
    }
  }

  const reads = rValue.length;
  const rk = rKey.finish();
  const rVer = new Int32Array(reads);
  const rFailedWrite = new Float64Array(reads).fill(-1);
  for (let r = 0; r < reads; r++) {
    const v = rValue[r];
    if (v === null || v === undefined) {
      rVer[r] = INITIAL;
      continue;
    }
    const vk = valueKey(v);
    const w = written[rk[r]]?.get(vk);
    if (w !== undefined) rVer[r] = w;
    else {
      rVer[r] = UNKNOWN;
      const fw = failed[rk[r]]?.get(vk);
      if (fw !== undefined) rFailedWrite[r] = fw;
    }
  }

  return {
    file: h.file,
    keyed,
    keys: keys.keys,
    processes,
    writes: wValue.length,
    wKey: wKey.finish(),
    wProc: wProc.finish(),
    wInv: wInv.finish(),
    wComp: wComp.finish(),
    wIndex: wIndex.finish(),
    wInvTime: wInvTime.finish(),
    wCompTime: wCompTime.finish(),
    wValue,
    reads,
    rKey: rk,
    rProc: rProc.finish(),
    rInv: rInv.finish(),
    rComp: rComp.finish(),
    rVer,
    rIndex: rIndex.finish(),
    rInvTime: rInvTime.finish(),
    rValue,
    rNode,
    rFinal: rFinal.finish(),
    rFailedWrite,
    ignored,
  };
}

export type Guarantee = 'read-your-writes' | 'monotonic-reads' | 'monotonic-writes' | 'writes-follow-reads';
export const GUARANTEES: readonly Guarantee[] = ['read-your-writes', 'monotonic-reads', 'monotonic-writes', 'writes-follow-reads'];

export interface SessionViolation {
  /** `index` of the two ops that break the guarantee, earlier first (the later one is a read). */
  ops: [number, number];
  process: number;
  key?: unknown;
  sentence: string;
  /** monotonic-writes: `index` of the two writes seen out of order (earlier write first). */
  writes?: [number, number];
  /** writes-follow-reads: `index` of the writer's read of v and of its write w. */
  via?: [number, number];
}

export interface GuaranteeResult {
  valid: boolean;
  count: number;
  /** The first `maxViolations` violations, in history order of their later op. */
  violations: SessionViolation[];
}

const NONE = -2;

/** The session guarantees of a prepared register history. */
export function checkSession(reg: Registers, maxViolations = 100): Record<Guarantee, GuaranteeResult> {
  const { wInv, wComp, wProc, rVer, rKey, rProc, rInv, rComp, wKey } = reg;
  const nKeys = Math.max(1, reg.keys.length);
  const nProcs = Math.max(1, reg.processes.length);
  const out = Object.fromEntries(GUARANTEES.map((g) => [g, { valid: true, count: 0, violations: [] as SessionViolation[] }])) as Record<
    Guarantee,
    GuaranteeResult
  >;

  // Events in history order: a read at its completion, a write at its invocation (its
  // dependencies) and at its ok completion (the writer's own acknowledged write).
  let maxPos = 0;
  for (let r = 0; r < reg.reads; r++) if (rComp[r] > maxPos) maxPos = rComp[r];
  for (let w = 0; w < reg.writes; w++) {
    if (wInv[w] > maxPos) maxPos = wInv[w];
    if (wComp[w] !== NEVER && wComp[w] > maxPos) maxPos = wComp[w];
  }
  const ev = new Int32Array(maxPos + 1).fill(-1);
  for (let r = 0; r < reg.reads; r++) ev[rComp[r]] = r * 3;
  for (let w = 0; w < reg.writes; w++) {
    ev[wInv[w]] = w * 3 + 1;
    if (wComp[w] !== NEVER) ev[wComp[w]] = w * 3 + 2;
  }

  // Per (process, key) slot.
  const slots = new Map<number, number>();
  const cap = reg.reads + reg.writes + 1;
  const ownW = new Int32Array(cap).fill(-1); // latest acknowledged own write
  const mrInv = new Int32Array(cap).fill(NONE); // newest-invoked version read so far
  const mrRead = new Int32Array(cap).fill(-1);
  const depInv = new Int32Array(cap).fill(NONE); // newest-invoked version read, written by another process
  const depVer = new Int32Array(cap).fill(-1);
  const depRead = new Int32Array(cap).fill(-1);
  const wfrInv = new Int32Array(cap).fill(NONE); // newest dependency of the writes read so far
  const wfrRead = new Int32Array(cap).fill(-1);
  // Per write: its dependency (the version its writer had read, newest-invoked) and that read.
  const wDepVer = new Int32Array(reg.writes).fill(-1);
  const wDepRead = new Int32Array(reg.writes).fill(-1);
  // monotonic-writes: per (slot, writer process), the read of that writer's newest-invoked write.
  const mw = new Map<number, number>();
  const slotOf = (p: number, k: number): number => {
    const id = p * nKeys + k;
    let s = slots.get(id);
    if (s === undefined) slots.set(id, (s = slots.size));
    return s;
  };
  const invOf = (ver: number): number => (ver === INITIAL ? -1 : wInv[ver]);
  const compOf = (ver: number): number => (ver === INITIAL ? -1 : wComp[ver]);
  const add = (g: Guarantee, make: () => SessionViolation): void => {
    const res = out[g];
    res.valid = false;
    res.count++;
    if (res.violations.length < maxViolations) res.violations.push(make());
  };
  const text = new Sentences(reg);

  for (let pos = 0; pos <= maxPos; pos++) {
    const e = ev[pos];
    if (e < 0) continue;
    const id = (e / 3) | 0;
    const kind = e - id * 3;
    if (kind === 1) {
      const s = slotOf(wProc[id], wKey[id]);
      wDepVer[id] = depVer[s];
      wDepRead[id] = depRead[s];
      continue;
    }
    if (kind === 2) {
      ownW[slotOf(wProc[id], wKey[id])] = id;
      continue;
    }
    const r = id;
    const x = rVer[r];
    if (x === UNKNOWN) continue;
    const p = rProc[r];
    const s = slotOf(p, rKey[r]);
    const cx = compOf(x);
    const xi = invOf(x);
    // read-your-writes
    const ow = ownW[s];
    if (ow >= 0 && cx < wInv[ow]) add('read-your-writes', () => text.ryw(ow, r));
    // monotonic reads
    if (mrInv[s] > cx) {
      const earlier = mrRead[s];
      add('monotonic-reads', () => text.mr(earlier, r));
    }
    if (xi >= mrInv[s]) {
      mrInv[s] = xi;
      mrRead[s] = r;
    }
    if (x >= 0) {
      // monotonic writes
      const mk = s * nProcs + wProc[x];
      const prior = mw.get(mk);
      if (prior !== undefined && cx < wInv[rVer[prior]]) add('monotonic-writes', () => text.mw(prior, r));
      if (prior === undefined || xi >= wInv[rVer[prior]]) mw.set(mk, r);
    }
    // writes follow reads
    if (wfrInv[s] > cx) {
      const earlier = wfrRead[s];
      const w = rVer[earlier];
      add('writes-follow-reads', () => text.wfr(wDepRead[w], earlier, r));
    }
    if (x >= 0 && wDepVer[x] >= 0) {
      const di = wInv[wDepVer[x]];
      if (di >= wfrInv[s]) {
        wfrInv[s] = di;
        wfrRead[s] = r;
      }
    }
    // what this process has read, for the writes it makes next
    if (x >= 0 && wProc[x] !== p && xi >= depInv[s]) {
      depInv[s] = xi;
      depVer[s] = x;
      depRead[s] = r;
    }
  }
  return out;
}

/** The sentences of violations, built only for the ones kept. */
class Sentences {
  constructor(private readonly reg: Registers) {}

  private keyPart(k: number, word: 'to' | 'from' | 'of'): string {
    return this.reg.keyed ? ` ${word} key ${showKey(this.reg.keys[k])}` : '';
  }
  private keyField(k: number): { key?: unknown } {
    return this.reg.keyed ? { key: this.reg.keys[k] } : {};
  }
  private proc(p: number): number {
    return this.reg.processes[p];
  }
  private readOf(r: number): string {
    const v = this.reg.rVer[r];
    return v === INITIAL ? `nil (index ${this.reg.rIndex[r]}), the initial state` : `${showValue(this.reg.rValue[r])} (index ${this.reg.rIndex[r]})`;
  }
  /** Why the version read by `r` is known to be older than write `w`. */
  private because(r: number, w: number): string {
    const reg = this.reg;
    const x = reg.rVer[r];
    if (x === INITIAL) return 'which every write follows';
    return `a version known to be older: the write of ${showValue(reg.wValue[x])} (index ${reg.wIndex[x]}) completed before the write of ${showValue(reg.wValue[w])} (index ${reg.wIndex[w]}) was invoked`;
  }

  ryw(w: number, r: number): SessionViolation {
    const reg = this.reg;
    const p = this.proc(reg.wProc[w]);
    return {
      ops: [reg.wIndex[w], reg.rIndex[r]],
      process: p,
      ...this.keyField(reg.rKey[r]),
      sentence: `process ${p} wrote ${showValue(reg.wValue[w])}${this.keyPart(reg.wKey[w], 'to')} (index ${reg.wIndex[w]}, acknowledged) and then read ${this.readOf(r)}, ${this.because(r, w)}.`,
    };
  }

  mr(earlier: number, r: number): SessionViolation {
    const reg = this.reg;
    const p = this.proc(reg.rProc[r]);
    const w = reg.rVer[earlier];
    return {
      ops: [reg.rIndex[earlier], reg.rIndex[r]],
      process: p,
      ...this.keyField(reg.rKey[r]),
      sentence: `process ${p} read ${showValue(reg.rValue[earlier])}${this.keyPart(reg.rKey[r], 'from')} (index ${reg.rIndex[earlier]}) and later read ${this.readOf(r)}, ${this.because(r, w)}.`,
    };
  }

  mw(earlier: number, r: number): SessionViolation {
    const reg = this.reg;
    const p = this.proc(reg.rProc[r]);
    const w2 = reg.rVer[earlier];
    const w1 = reg.rVer[r];
    const writer = this.proc(reg.wProc[w1]);
    return {
      ops: [reg.rIndex[earlier], reg.rIndex[r]],
      process: p,
      ...this.keyField(reg.rKey[r]),
      writes: [reg.wIndex[w1], reg.wIndex[w2]],
      sentence: `process ${writer} wrote ${showValue(reg.wValue[w1])} (index ${reg.wIndex[w1]}) and then ${showValue(reg.wValue[w2])} (index ${reg.wIndex[w2]})${this.keyPart(reg.rKey[r], 'to')}; process ${p} read ${showValue(reg.wValue[w2])} (index ${reg.rIndex[earlier]}) and later ${showValue(reg.wValue[w1])} (index ${reg.rIndex[r]}), seeing process ${writer}'s writes out of order.`,
    };
  }

  wfr(depRead: number, readW: number, r: number): SessionViolation {
    const reg = this.reg;
    const p = this.proc(reg.rProc[r]);
    const v = reg.rVer[depRead];
    const w = reg.rVer[readW];
    const writer = this.proc(reg.wProc[w]);
    return {
      ops: [reg.rIndex[readW], reg.rIndex[r]],
      process: p,
      ...this.keyField(reg.rKey[r]),
      via: [reg.rIndex[depRead], reg.wIndex[w]],
      sentence: `process ${writer} read ${showValue(reg.wValue[v])}${this.keyPart(reg.rKey[r], 'from')} (index ${reg.rIndex[depRead]}, written by process ${this.proc(reg.wProc[v])}) and then wrote ${showValue(reg.wValue[w])} (index ${reg.wIndex[w]}); process ${p} read ${showValue(reg.wValue[w])} (index ${reg.rIndex[readW]}) and later read ${this.readOf(r)}, ${this.because(r, v).replace('known to be older', `known to be older than ${showValue(reg.wValue[v])}`)}.`,
    };
  }
}

function maxViolationsOf(ctx: CheckContext): number {
  const m = ctx.options?.maxViolations;
  return typeof m === 'number' && m >= 0 ? Math.floor(m) : 100;
}

export const session: Checker = {
  name: 'session',
  description: 'session guarantees per process (read-your-writes, monotonic reads and writes, writes-follow-reads) on a register history with unique written values',
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const none = nothingToCheck(h, 'session', ['read', 'write', 'cas']);
    if (none) return none;
    const reg = prepareRegisters(h);
    const guarantees = checkSession(reg, maxViolationsOf(ctx));
    const broken = GUARANTEES.filter((g) => !guarantees[g].valid);
    const result: Result = {
      valid: broken.length === 0,
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
