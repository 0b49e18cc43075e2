// The sentences of session violations, built only for the violations kept. Each version order
// says in its own words why one version is known to be older than another (`Because`).
import { showKey, showValue } from '../txn/anomalies.js';
import { INITIAL, type Registers } from './registers.js';
import type { OrderStep, SessionViolation, VersionOrder } from './types.js';

/** Why write x is known to be older than write s, in one version order. */
export interface Because {
  readonly order: VersionOrder;
  /** A clause ("the write of 1 (index 1) completed before …") and, where the order has one, the path. */
  why(x: number, s: number): { text: string; path?: OrderStep[] };
}

export class Sentences {
  constructor(
    private readonly reg: Registers,
    private readonly because: Because,
  ) {}

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
  /** Why the version read by `r` is known to be older than write `s` (`than`: name s in the clause). */
  private older(r: number, s: number, than?: string): { text: string; order: VersionOrder; path?: OrderStep[] } {
    const x = this.reg.rVer[r];
    if (x === INITIAL) return { text: 'which every write follows', order: this.because.order };
    const { text, path } = this.because.why(x, s);
    return { text: `a version known to be older${than === undefined ? '' : ` than ${than}`}: ${text}`, order: this.because.order, ...(path ? { path } : {}) };
  }

  ryw(w: number, r: number): SessionViolation {
    const reg = this.reg;
    const p = this.proc(reg.wProc[w]);
    const o = this.older(r, w);
    return {
      ops: [reg.wIndex[w], reg.rIndex[r]],
      process: p,
      ...this.keyField(reg.rKey[r]),
      sentence: `process ${p} wrote ${showValue(reg.wValue[w])}${this.keyPart(reg.wKey[w], 'to')} (index ${reg.wIndex[w]}, acknowledged) and then read ${this.readOf(r)}, ${o.text}.`,
      order: o.order,
      ...(o.path ? { path: o.path } : {}),
    };
  }

  mr(earlier: number, r: number): SessionViolation {
    const reg = this.reg;
    const p = this.proc(reg.rProc[r]);
    const o = this.older(r, reg.rVer[earlier]);
    return {
      ops: [reg.rIndex[earlier], reg.rIndex[r]],
      process: p,
      ...this.keyField(reg.rKey[r]),
      sentence: `process ${p} read ${showValue(reg.rValue[earlier])}${this.keyPart(reg.rKey[r], 'from')} (index ${reg.rIndex[earlier]}) and later read ${this.readOf(r)}, ${o.text}.`,
      order: o.order,
      ...(o.path ? { path: o.path } : {}),
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

  /** `depRead`: the writer's read of v; `readW`: the observer's read of w; `r`: the read that went back. */
  wfr(depRead: number, readW: number, r: number): SessionViolation {
    const reg = this.reg;
    const p = this.proc(reg.rProc[r]);
    const v = reg.rVer[depRead];
    const w = reg.rVer[readW];
    const writer = this.proc(reg.wProc[w]);
    const o = this.older(r, v, showValue(reg.wValue[v]));
    return {
      ops: [reg.rIndex[readW], reg.rIndex[r]],
      process: p,
      ...this.keyField(reg.rKey[r]),
      via: [reg.rIndex[depRead], reg.wIndex[w]],
      sentence: `process ${writer} read ${showValue(reg.wValue[v])}${this.keyPart(reg.rKey[r], 'from')} (index ${reg.rIndex[depRead]}, written by process ${this.proc(reg.wProc[v])}) and then wrote ${showValue(reg.wValue[w])} (index ${reg.wIndex[w]}); process ${p} read ${showValue(reg.wValue[w])} (index ${reg.rIndex[readW]}) and later read ${this.readOf(r)}, ${o.text}.`,
      order: o.order,
      ...(o.path ? { path: o.path } : {}),
    };
  }
}
