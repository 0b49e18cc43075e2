// The session guarantees under the process version order (process-order.ts). Every version a
// session saw before the one it reads now is, by that session's own sequence, before it; so the
// version read is known older than one seen before exactly when the two lie on one cycle of what
// processes saw. Per (process, key) it is enough to keep the latest version seen and the latest
// other one: if any earlier version shares a cycle with the one read now, so does one of those
// two. The same holds for the dependencies (the versions a writer had read from others before
// writing) of the writes a session read: kept per cycle, the latest and the latest other.
import { INITIAL, NEVER, UNKNOWN, type Registers } from './registers.js';
import type { ProcessOrder } from './process-order.js';
import { Sentences } from './sentences.js';
import { Slots, Violations, type SessionResults } from './types.js';
import { WriterOrder } from './writer-order.js';

/** The latest of a stream of (version, a, b) and the latest whose version differs from it. */
class LatestTwo {
  v1 = -1;
  a1 = -1;
  b1 = -1;
  v2 = -1;
  a2 = -1;
  b2 = -1;
  add(v: number, a: number, b: number): void {
    if (v !== this.v1) {
      this.v2 = this.v1;
      this.a2 = this.a1;
      this.b2 = this.b1;
      this.v1 = v;
    }
    this.a1 = a;
    this.b1 = b;
  }
  /** The latest entry (as [a, b]) whose version is not x, or undefined. */
  otherThan(x: number): [number, number] | undefined {
    if (this.v1 >= 0 && this.v1 !== x) return [this.a1, this.b1];
    if (this.v2 >= 0) return [this.a2, this.b2];
    return undefined;
  }
}

export function checkSessionProcess(reg: Registers, order: ProcessOrder, maxViolations = 100): SessionResults {
  const { wInv, wComp, wProc, rVer, rKey, rProc, rComp, wKey } = reg;
  const found = new Violations(maxViolations);
  const text = new Sentences(reg, order);

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

  const slots = new Slots(Math.max(1, reg.keys.length));
  const cap = reg.reads + reg.writes + 1;
  const ownW = new Int32Array(cap).fill(-1);
  // Per slot: versions read (latest two distinct, with their reads); versions read from other
  // processes (the same, for the writes the process makes next); the latest read of a write that
  // had a dependency, and that dependency's read (for reads of nil); per cycle, the dependencies
  // of the writes read on it.
  const seen: (LatestTwo | undefined)[] = [];
  const deps: (LatestTwo | undefined)[] = [];
  const anyDepRead = new Int32Array(cap).fill(-1);
  const anyDepVia = new Int32Array(cap).fill(-1);
  const onCycle = new Map<number, Map<number, LatestTwo>>();
  // Per write: its writer's latest two distinct dependencies (version, read) when it was invoked.
  const wDep1 = new Int32Array(reg.writes).fill(-1);
  const wDepRead1 = new Int32Array(reg.writes).fill(-1);
  const wDep2 = new Int32Array(reg.writes).fill(-1);
  const wDepRead2 = new Int32Array(reg.writes).fill(-1);
  const writerOrder = new WriterOrder(reg);

  for (let pos = 0; pos <= maxPos; pos++) {
    const e = ev[pos];
    if (e < 0) continue;
    const id = (e / 3) | 0;
    const kind = e - id * 3;
    if (kind === 1) {
      const d = deps[slots.of(wProc[id], wKey[id])];
      if (d) {
        wDep1[id] = d.v1;
        wDepRead1[id] = d.a1;
        wDep2[id] = d.v2;
        wDepRead2[id] = d.a2;
      }
      continue;
    }
    if (kind === 2) {
      ownW[slots.of(wProc[id], wKey[id])] = id;
      continue;
    }
    const r = id;
    const x = rVer[r];
    if (x === UNKNOWN) continue;
    const p = rProc[r];
    const s = slots.of(p, rKey[r]);

    // read-your-writes
    const ow = ownW[s];
    if (ow >= 0 && order.older(x, ow)) found.add('read-your-writes', () => text.ryw(ow, r));

    // monotonic reads
    const sn = seen[s];
    if (sn) {
      const other = x === INITIAL ? (sn.v1 >= 0 ? ([sn.a1, 0] as [number, number]) : undefined) : sn.otherThan(x);
      if (other !== undefined && order.older(x, rVer[other[0]])) {
        const earlier = other[0];
        found.add('monotonic-reads', () => text.mr(earlier, r));
      }
    }
    if (x >= 0) (seen[s] ??= new LatestTwo()).add(x, r, 0);

    if (x >= 0) {
      const prior = writerOrder.check(s, r, x);
      if (prior >= 0) found.add('monotonic-writes', () => text.mw(prior, r));
    }

    // writes follow reads
    let wfr: [number, number] | undefined;
    if (x === INITIAL) {
      if (anyDepRead[s] >= 0) wfr = [anyDepRead[s], anyDepVia[s]];
    } else if (order.onCycle(x)) {
      const other = onCycle.get(s)?.get(order.componentOf(x))?.otherThan(x);
      if (other !== undefined && order.older(x, rVer[other[1]])) wfr = other;
    }
    if (wfr !== undefined) {
      const [readW, depRead] = wfr;
      found.add('writes-follow-reads', () => text.wfr(depRead, readW, r));
    }
    if (x >= 0 && wDep1[x] >= 0) {
      anyDepRead[s] = r;
      anyDepVia[s] = wDepRead1[x];
      // Only dependencies on the write's own cycle can be older than a version read later on it.
      if (order.onCycle(x)) {
        const c = order.componentOf(x);
        let m = onCycle.get(s);
        if (!m) onCycle.set(s, (m = new Map()));
        let t = m.get(c);
        if (!t) m.set(c, (t = new LatestTwo()));
        if (wDep2[x] >= 0 && order.componentOf(wDep2[x]) === c) t.add(wDep2[x], r, wDepRead2[x]);
        if (order.componentOf(wDep1[x]) === c) t.add(wDep1[x], r, wDepRead1[x]);
      }
    }

    // what this process has read from others, for the writes it makes next
    if (x >= 0 && wProc[x] !== p) (deps[s] ??= new LatestTwo()).add(x, r, 0);
  }
  return found.out;
}
