// Evidence for a bad pattern: the ops involved (with their vector clocks over CO), the cycle or
// paths that show the orders used (program-order runs collapsed to their ends), and a sentence.
import { showKey, showValue } from '../txn/anomalies.js';
import type { Chain, Clocks, Via } from './order.js';
import type { Found } from './patterns.js';
import { keyName, type Prepared } from './prepare.js';

export interface OpEvidence {
  index: number;
  process: number | string;
  f: 'read' | 'write';
  key?: unknown;
  /** Written or returned (null: the initial value). */
  value: unknown;
  /** Per process, how many of its ops are in this op's causal past (the op included). */
  clock: Record<string, number>;
}

export interface ChainStep {
  index: number;
  /** How the chain reaches this op from the previous one (for a cycle, the first step's `via` closes it; a path's first step has none). */
  via?: Via;
  /** For a cf or hb step: the index of the read that forces it. */
  read?: number;
}

export function opEvidence(P: Prepared, K: Clocks | undefined, v: number): OpEvidence {
  const clock: Record<string, number> = {};
  if (K) {
    for (let c = 0; c < K.C; c++) {
      const x = K.vc[v * K.C + c];
      if (x > 0) clock[String(P.processes[K.compProc[c]])] = x;
    }
  }
  clock[String(P.processes[P.proc[v]])] = P.seq[v];
  const k = P.keys[P.key[v]];
  return {
    index: P.index[v],
    process: P.processes[P.proc[v]],
    f: P.isWrite[v] ? 'write' : 'read',
    ...(k !== undefined ? { key: k } : {}),
    value: P.value[v],
    clock,
  };
}

/** Drops the inner ops of program-order runs (a →po b →po c is a →po c: PO is transitive). */
export function compress(chain: Chain, cycle: boolean): Chain {
  const m = chain.ops.length;
  const keep: number[] = [];
  for (let i = 0; i < m; i++) {
    const into = chain.via[i];
    const out = i + 1 < m ? chain.via[i + 1] : cycle ? chain.via[0] : undefined;
    const inner = (cycle || (i > 0 && i < m - 1)) && into === 'po' && out === 'po';
    if (!inner) keep.push(i);
  }
  if (keep.length === 0) keep.push(0);
  return { ops: keep.map((i) => chain.ops[i]), via: keep.map((i) => chain.via[i]), why: keep.map((i) => chain.why[i]) };
}

export function chainSteps(P: Prepared, chain: Chain, cycle: boolean): ChainStep[] {
  return chain.ops.map((v, i) => ({
    index: P.index[v],
    ...(cycle || i > 0 ? { via: chain.via[i] } : {}),
    ...(chain.why[i] >= 0 ? { read: P.index[chain.why[i]] } : {}),
  }));
}

/** Two paths a ⇝ b and b ⇝ c as one path a ⇝ c. */
export function joinPaths(x: Chain, y: Chain): Chain {
  return { ops: [...x.ops, ...y.ops.slice(1)], via: [...x.via, ...y.via.slice(1)], why: [...x.why, ...y.why.slice(1)] };
}

const arrow = (P: Prepared, via: Via, why: number): string => (why >= 0 ? ` →${via}[read ${P.index[why]}] ` : ` →${via} `);

/** "index 3 →po index 5 →rf index 8", and for a cycle back to the first op. */
export function chainText(P: Prepared, chain: Chain, cycle: boolean): string {
  let s = `index ${P.index[chain.ops[0]]}`;
  for (let i = 1; i < chain.ops.length; i++) s += `${arrow(P, chain.via[i], chain.why[i])}index ${P.index[chain.ops[i]]}`;
  if (cycle) s += `${arrow(P, chain.via[0], chain.why[0])}index ${P.index[chain.ops[0]]}`;
  return s;
}

const proc = (P: Prepared, v: number) => `process ${String(P.processes[P.proc[v]])}`;
const where = (P: Prepared, v: number) => `index ${P.index[v]}, ${proc(P, v)}`;
const keyed = (P: Prepared, v: number) => (P.keys[P.key[v]] === undefined ? '' : ` to key ${showKey(P.keys[P.key[v]])}`);
export const writeText = (P: Prepared, w: number) => `the write of ${showValue(P.value[w])}${keyed(P, w)} (${where(P, w)})`;
const readOf = (P: Prepared, r: number) => `the read of ${keyName(P.keys[P.key[r]])} (${where(P, r)})`;

/** One or two sentences naming the pattern's ops and the orders that make it. */
export function sentence(P: Prepared, f: Found): string {
  const [a, b, c] = f.roles;
  switch (f.pattern) {
    case 'CyclicCO':
      return `The causal order (program order and read-from) has a cycle: ${chainText(P, compress(f.chains[0], true), true)}, so some read returned a value written causally after it.`;
    case 'ThinAirRead': {
      const failed = P.failedWriteOf.get(a);
      return `${cap(readOf(P, a))} returned ${showValue(P.value[a])}, which no write that may have happened wrote${failed !== undefined ? ` (the write of it at index ${failed} failed)` : ''}.`;
    }
    case 'WriteCOInitRead':
      return `${cap(readOf(P, b))} returned the initial value, but ${writeText(P, a)} is causally before it: ${chainText(P, compress(f.chains[0], false), false)}.`;
    case 'WriteCORead':
      return `${cap(readOf(P, c))} returned ${showValue(P.value[c])} from ${writeText(P, a)}, but ${writeText(P, b)} is causally after that write and causally before the read (${chainText(P, compress(f.chains[0], false), false)}), so the read returned a value already overwritten in its causal past.`;
    case 'CyclicCF':
      return `No single order of the writes (arbitration) fits every read: ${chainText(P, compress(f.chains[0], true), true)}, where a →cf[read r] b says read r returned write b with write a in its causal past, so every arbitration puts a before b.`;
    case 'WriteHBInitRead':
      return `${cap(readOf(P, b))} returned the initial value, but process ${String(P.processes[f.process!])}'s reads put ${writeText(P, a)} before it: ${chainText(P, compress(f.chains[0], false), false)}, where a →hb[read r] b says the process's read r returned write b with write a before it, so the process sees a before b.`;
    case 'CyclicHB':
      return `Process ${String(P.processes[f.process!])}'s reads order what it sees in a cycle: ${chainText(P, compress(f.chains[0], true), true)}, where a →hb[read r] b says the process's read r returned write b with write a before it, so the process sees a before b.`;
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
