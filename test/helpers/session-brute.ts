// Session guarantees by brute force from the op objects, under the causal and process version
// orders: the orders as explicit graphs and their transitive closures, each guarantee straight
// from its definition over every earlier op, quadratic and then some. For small histories only.
// Each violation lists every witness the definition allows; the checker must report the same
// violating reads, with one of those witnesses.
import type { Guarantee } from '../../checker/session.js';
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { parseHistory } from '../../histories/read.js';

interface BWrite {
  id: number;
  inv: number;
  /** Position of the ok completion; Infinity when it has none. */
  comp: number;
  proc: number;
  key: unknown;
  value: unknown;
  index: number;
  included: boolean;
}
interface BRead {
  inv: number;
  comp: number;
  proc: number;
  key: unknown;
  ver: BWrite | 'init' | undefined;
  index: number;
}

export interface BruteViolation {
  /** `index` of the read that breaks the guarantee. */
  read: number;
  /** Each allowed witness: the earlier op's index (and, for writes-follow-reads, `via`). */
  witnesses: { op: number; via?: [number, number] }[];
}

export type BruteResult = Record<Guarantee, BruteViolation[]>;

export function bruteSessionOrder(h: History, order: 'causal' | 'process'): BruteResult {
  const writes: BWrite[] = [];
  const reads: BRead[] = [];
  h.ops.forEach((op, i) => {
    if (op.type !== 'invoke' || op.process === 'nemesis' || op.f !== 'write') return;
    const c = h.pair[i];
    const done = c >= 0 ? h.ops[c] : undefined;
    if (done?.type === 'fail') return;
    writes.push({ id: writes.length, inv: i, comp: done?.type === 'ok' ? c : Infinity, proc: op.process, key: op.key, value: op.value, index: (done ?? op).index, included: done?.type === 'ok' });
  });
  h.ops.forEach((op, i) => {
    if (op.type !== 'ok' || op.f !== 'read' || op.process === 'nemesis') return;
    const ver = op.value === null ? 'init' : writes.find((w) => w.key === op.key && w.value === op.value);
    reads.push({ inv: h.pair[i], comp: i, proc: op.process as number, key: op.key, ver, index: op.index });
  });
  for (const r of reads) if (r.ver !== undefined && r.ver !== 'init') r.ver.included = true;

  // The order's graph over writes (reach[x][s]: x known older than s).
  const W = writes.length;
  const reach: boolean[][] = Array.from({ length: W }, () => new Array<boolean>(W).fill(false));
  if (order === 'causal') {
    // Nodes: included writes (at invocation) and reads of writes (at completion); edges: program
    // order and reads-from (when the write was invoked before the read completed).
    type Node = { pos: number; proc: number; w?: BWrite; r?: BRead };
    const nodes: Node[] = [];
    for (const w of writes) if (w.included) nodes.push({ pos: w.inv, proc: w.proc, w });
    for (const r of reads) if (r.ver !== undefined && r.ver !== 'init') nodes.push({ pos: r.comp, proc: r.proc, r });
    nodes.sort((a, b) => a.pos - b.pos);
    const succ: number[][] = nodes.map(() => []);
    nodes.forEach((n, i) => {
      const next = nodes.findIndex((m, j) => j > i && m.proc === n.proc);
      if (next >= 0) succ[i].push(next);
      if (n.w) nodes.forEach((m, j) => m.r && m.r.ver === n.w && n.w!.inv < m.r.comp && succ[i].push(j));
    });
    nodes.forEach((n, i) => {
      if (!n.w) return;
      const seen = new Set<number>([i]);
      const stack = [i];
      while (stack.length) for (const j of succ[stack.pop()!]) if (!seen.has(j)) (seen.add(j), stack.push(j));
      for (const j of seen) if (j !== i && nodes[j].w) reach[n.w.id][nodes[j].w!.id] = true;
    });
  } else {
    // Edges: from each version a process saw of a key to the next one it saw of that key.
    type Access = { pos: number; proc: number; key: unknown; v: BWrite };
    const acc: Access[] = [];
    for (const w of writes) if (w.included) acc.push({ pos: w.inv, proc: w.proc, key: w.key, v: w });
    for (const r of reads) if (r.ver !== undefined && r.ver !== 'init') acc.push({ pos: r.comp, proc: r.proc, key: r.key, v: r.ver });
    acc.sort((a, b) => a.pos - b.pos);
    const edge: boolean[][] = Array.from({ length: W }, () => new Array<boolean>(W).fill(false));
    acc.forEach((a, i) => {
      const next = acc.find((b, j) => j > i && b.proc === a.proc && b.key === a.key);
      if (next && next.v !== a.v) edge[a.v.id][next.v.id] = true;
    });
    for (let x = 0; x < W; x++) {
      const seen = new Set<number>([x]);
      const stack = [x];
      while (stack.length) {
        const u = stack.pop()!;
        for (let v = 0; v < W; v++) if (edge[u][v] && !seen.has(v)) (seen.add(v), stack.push(v));
      }
      seen.delete(x);
      // x reaches itself only through a cycle, which is never "older than itself".
      for (const v of seen) reach[x][v] = true;
    }
  }
  const older = (x: BWrite | 'init', s: BWrite | 'init'): boolean => {
    if (s === 'init' || x === s) return false;
    if (x === 'init') return true;
    return reach[x.id][s.id];
  };

  const out: BruteResult = { 'read-your-writes': [], 'monotonic-reads': [], 'monotonic-writes': [], 'writes-follow-reads': [] };
  for (const r of reads) {
    const x = r.ver;
    if (x === undefined) continue;
    const before = reads.filter((e) => e.proc === r.proc && e.key === r.key && e.comp < r.inv && e.ver !== undefined);
    // read-your-writes: the process's latest acknowledged write of the key
    const own = writes.filter((w) => w.proc === r.proc && w.key === r.key && w.comp < r.inv);
    const ow = own.sort((a, b) => b.inv - a.inv)[0];
    if (ow && older(x, ow)) out['read-your-writes'].push({ read: r.index, witnesses: [{ op: ow.index }] });
    // monotonic reads: any earlier read of a version x is known older than
    const mr = before.filter((e) => older(x, e.ver!));
    if (mr.length) out['monotonic-reads'].push({ read: r.index, witnesses: mr.map((e) => ({ op: e.index })) });
    // monotonic writes: an earlier read of a later write by x's writer
    if (x !== 'init' && x.comp !== Infinity) {
      const mw = before.filter((e) => e.ver !== 'init' && (e.ver as BWrite).proc === x.proc && x.inv < (e.ver as BWrite).inv);
      if (mw.length) out['monotonic-writes'].push({ read: r.index, witnesses: mw.map((e) => ({ op: e.index })) });
    }
    // writes follow reads: an earlier read of w, whose writer had read (from another process)
    // before invoking w a version x is known older than
    const wfr: { op: number; via: [number, number] }[] = [];
    for (const e of before) {
      if (e.ver === 'init') continue;
      const w = e.ver as BWrite;
      for (const vr of reads) {
        if (vr.proc !== w.proc || vr.key !== w.key || vr.comp >= w.inv || vr.ver === undefined || vr.ver === 'init') continue;
        if (vr.ver.proc === w.proc) continue;
        if (older(x, vr.ver)) wfr.push({ op: e.index, via: [vr.index, w.index] });
      }
    }
    if (wfr.length) out['writes-follow-reads'].push({ read: r.index, witnesses: wfr });
  }
  return out;
}

type Raw = Record<string, unknown>;

export interface Step {
  thread: number;
  write: boolean;
  key: number;
  outcome: number;
  pick: number;
}

/**
 * A random register history: threads invoke and complete in a random interleaving; reads return
 * the newest value written to the key so far, or any (or null); some ops fail or crash (info, and
 * the thread goes on as a new process).
 */
export function randomRegisterHistory(threads: number, keys: number, steps: Step[]): History {
  const ops: Raw[] = [];
  const procs = Array.from({ length: threads }, (_, t) => t);
  const pending: (Raw | undefined)[] = new Array(threads).fill(undefined);
  const written: unknown[][] = Array.from({ length: keys }, () => []);
  let next = 1;
  for (const s of steps) {
    const t = s.thread % threads;
    const p = pending[t];
    const key = s.key % keys;
    if (p === undefined) {
      const op: Raw = s.write ? { type: 'invoke', process: procs[t], f: 'write', value: next++, key } : { type: 'invoke', process: procs[t], f: 'read', value: null, key };
      if (s.write) written[key].push(op.value);
      ops.push(op);
      pending[t] = op;
      continue;
    }
    pending[t] = undefined;
    const type = s.outcome < 7 ? 'ok' : s.outcome < 8 ? 'info' : 'fail';
    let value = p.value;
    if (p.f === 'read') {
      const vs = written[p.key as number];
      const i = s.pick < 6 ? vs.length : s.pick % (vs.length + 1); // often the newest, else any
      value = type === 'ok' ? (i === 0 ? null : vs[i - 1]) : null;
    }
    ops.push({ type, process: procs[t], f: p.f, value, key: p.key });
    if (type === 'info') procs[t] += threads;
  }
  return parseHistory(ops.map((o) => JSON.stringify(o)).join('\n') + '\n', 'jsonl', 't.jsonl');
}

export type { Op };
