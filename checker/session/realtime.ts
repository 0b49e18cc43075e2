// The session guarantees under the real-time version order (`versionOrder: realtime`): a write
// acknowledged before another was invoked is older. Real-time precedence between intervals is an
// interval order, so "known older than some version of a set" holds exactly when the version's
// completion comes before the latest invocation among the set's writes: one number per
// (process, key) stands for everything that session has seen, and the check is one sweep with
// O(1) work per op (docs/session-staleness.md).
import { INITIAL, NEVER, UNKNOWN, type Registers } from './registers.js';
import { Sentences, type Because } from './sentences.js';
import { Slots, Violations, type SessionResults } from './types.js';
import { WriterOrder } from './writer-order.js';
import { showValue } from '../txn/anomalies.js';

const NONE = -2;

/** Real time's reason: x completed before s was invoked. */
export function realtimeBecause(reg: Registers): Because {
  return {
    order: 'realtime',
    why: (x, s) => ({
      text: `the write of ${showValue(reg.wValue[x])} (index ${reg.wIndex[x]}) completed before the write of ${showValue(reg.wValue[s])} (index ${reg.wIndex[s]}) was invoked`,
    }),
  };
}

export function checkSessionRealtime(reg: Registers, maxViolations = 100): SessionResults {
  const { wInv, wComp, wProc, rVer, rKey, rProc, rComp, wKey } = reg;
  const found = new Violations(maxViolations);
  const add = found.add.bind(found);

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
  const slots = new Slots(Math.max(1, reg.keys.length));
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
  const writerOrder = new WriterOrder(reg);
  const invOf = (ver: number): number => (ver === INITIAL ? -1 : wInv[ver]);
  const compOf = (ver: number): number => (ver === INITIAL ? -1 : wComp[ver]);
  const text = new Sentences(reg, realtimeBecause(reg));

  for (let pos = 0; pos <= maxPos; pos++) {
    const e = ev[pos];
    if (e < 0) continue;
    const id = (e / 3) | 0;
    const kind = e - id * 3;
    if (kind === 1) {
      const s = slots.of(wProc[id], wKey[id]);
      wDepVer[id] = depVer[s];
      wDepRead[id] = depRead[s];
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
      const prior = writerOrder.check(s, r, x);
      if (prior >= 0) add('monotonic-writes', () => text.mw(prior, r));
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
  return found.out;
}
