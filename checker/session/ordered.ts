// The session guarantees under a version order that is a partial order with no interval
// structure (the causal order): what a session has seen of a key is kept as an antichain — the
// versions it has seen that nothing else it has seen is known to follow — since "known older than
// some version seen" holds exactly when it holds for one of them (the order is transitive).
// Concurrent versions make these sets more than one version long, rarely by much (about 1.07 on
// average on the bench's 1M-op history). One sweep in history order, as realtime.ts.
import { NEVER, UNKNOWN, type Registers } from './registers.js';
import type { VersionOracle } from './oracle.js';
import { Sentences } from './sentences.js';
import { SmallSets } from './small-sets.js';
import { Slots, Violations, type SessionResults } from './types.js';
import { WriterOrder } from './writer-order.js';

export function checkSessionOrdered(reg: Registers, order: VersionOracle, maxViolations = 100): SessionResults {
  const { wInv, wComp, wProc, rVer, rKey, rProc, rComp, wKey } = reg;
  const found = new Violations(maxViolations);
  const text = new Sentences(reg, order);

  // Events in history order, as in realtime.ts: a read at its completion, a write at its
  // invocation (it takes its writer's dependencies) and at its ok completion (read-your-writes).
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
  const ownW = new Int32Array(cap).fill(-1); // latest acknowledged own write
  // Per slot: versions read (version, read); versions read from other processes, for the writes
  // the process makes next (version, read); dependencies of the writes read (version, read of the
  // write, writer's read of the version). Per write: its writer's dependencies when invoked.
  const seen = new SmallSets(cap);
  const deps = new SmallSets(cap);
  const wfr = new SmallSets(cap);
  const wDeps = new SmallSets(reg.writes);
  const writerOrder = new WriterOrder(reg);

  for (let pos = 0; pos <= maxPos; pos++) {
    const e = ev[pos];
    if (e < 0) continue;
    const id = (e / 3) | 0;
    const kind = e - id * 3;
    if (kind === 1) {
      wDeps.copyFrom(deps, slots.of(wProc[id], wKey[id]), id);
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

    // monotonic reads: against the most recently read version known newer than x
    let earlier = -1;
    for (let i = 0, n = seen.size(s); i < n; i++) {
      const read = seen.first(s, i);
      if (order.older(x, seen.version(s, i)) && (earlier < 0 || rComp[read] > rComp[earlier])) earlier = read;
    }
    if (earlier >= 0) {
      const e1 = earlier;
      found.add('monotonic-reads', () => text.mr(e1, r));
    } else seen.add(s, x, r, 0, order);

    if (x >= 0) {
      const prior = writerOrder.check(s, r, x);
      if (prior >= 0) found.add('monotonic-writes', () => text.mw(prior, r));
    }

    // writes follow reads: against the most recently read write with a dependency newer than x
    let readW = -1;
    let depRead = -1;
    for (let i = 0, n = wfr.size(s); i < n; i++) {
      if (!order.older(x, wfr.version(s, i))) continue;
      const e1 = wfr.first(s, i);
      const v1 = wfr.second(s, i);
      if (readW < 0 || rComp[e1] > rComp[readW] || (e1 === readW && rComp[v1] > rComp[depRead])) {
        readW = e1;
        depRead = v1;
      }
    }
    if (readW >= 0) {
      const e1 = readW;
      const v1 = depRead;
      found.add('writes-follow-reads', () => text.wfr(v1, e1, r));
    }
    if (x >= 0) for (let i = 0, n = wDeps.size(x); i < n; i++) wfr.add(s, wDeps.version(x, i), r, wDeps.first(x, i), order);

    // what this process has read from others, for the writes it makes next (the first read of a
    // version serves as well as a later one)
    if (x >= 0 && wProc[x] !== p) deps.add(s, x, r, 0, order, true);
  }
  return found.out;
}

