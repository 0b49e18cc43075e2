// Cycle search, one anomaly class at a time, inside the strongly connected components of the
// dependency graph (a valid history has none, so it costs one Tarjan pass). A class is a rule on
// the edge types of a cycle: G0 only ww; G1c ww and wr with some wr; G-single exactly one rw;
// G-nonadjacent two or more rw, no two in a row; G2-item two or more rw. Their -process and
// -realtime variants add those edges and must use one. Each class is searched as a breadth-first
// search over (node, automaton state), started from each edge of the class's defining type, so
// the cycle found is among the shortest of its class.
import { DATA, inducedSubgraph, PROCESS, REALTIME, RW, stronglyConnected, WR, WW, type Graph } from './graph.js';

export type RwRule = 'none' | 'one' | 'nonadjacent' | 'many';

export interface CycleClass {
  name: string;
  allowed: number;
  rw: RwRule;
  /** Edge types the cycle must use (up to two). */
  requireA: number;
  requireB: number;
}

const BASE: { name: string; allowed: number; rw: RwRule; requireB: number }[] = [
  { name: 'G0', allowed: WW, rw: 'none', requireB: 0 },
  { name: 'G1c', allowed: WW | WR, rw: 'none', requireB: WR },
  { name: 'G-single', allowed: DATA, rw: 'one', requireB: 0 },
  { name: 'G-nonadjacent', allowed: DATA, rw: 'nonadjacent', requireB: 0 },
  { name: 'G2-item', allowed: DATA, rw: 'many', requireB: 0 },
];

/** Every class, most severe first: plain, then -process, then -realtime. */
export const CYCLE_CLASSES: readonly CycleClass[] = [
  ...BASE.map((b) => ({ ...b, requireA: 0 })),
  ...BASE.map((b) => ({ ...b, name: `${b.name}-process`, allowed: b.allowed | PROCESS, requireA: PROCESS })),
  ...BASE.map((b) => ({ ...b, name: `${b.name}-realtime`, allowed: b.allowed | PROCESS | REALTIME, requireA: REALTIME })),
];

export interface FoundCycle {
  /** Global node ids: nodes[i] → nodes[i+1] (and the last back to the first) by types[i]. */
  nodes: number[];
  types: number[];
  /** The class the cycle's edges actually make (may be more specific than the class searched). */
  name: string;
}

/** The name a cycle's edge types give it. */
export function classify(types: readonly number[]): string {
  let rw = 0;
  let adjacent = false;
  let wr = false;
  let proc = false;
  let rt = false;
  for (let i = 0; i < types.length; i++) {
    const t = types[i];
    if (t === RW) {
      rw++;
      if (types[(i + 1) % types.length] === RW) adjacent = true;
    } else if (t === WR) wr = true;
    else if (t === PROCESS) proc = true;
    else if (t === REALTIME) rt = true;
  }
  const base = rw === 0 ? (wr ? 'G1c' : 'G0') : rw === 1 ? 'G-single' : adjacent || types.length === rw ? 'G2-item' : 'G-nonadjacent';
  return base + (rt ? '-realtime' : proc ? '-process' : '');
}

export interface SearchOutcome {
  cycles: FoundCycle[];
  /** Classes that could not be settled in some component (time ran out, or only walks that revisit a node were found). */
  undetermined: { name: string; size: number; reason: string }[];
  timedOut: boolean;
}

// Automaton state bits.
const LAST_RW = 1;
const RW_ONE = 2;
const RW_MANY = 4;
const HAS_A = 8;
const HAS_B = 16;
const STATES = 32;

/**
 * Searches each class in `classes` inside `component` (global node ids of one strongly connected
 * component of the union of the classes' edges), at most one cycle per class and sub-component.
 */
export function searchComponent(g: Graph, component: Int32Array, classes: readonly CycleClass[], localOf: Int32Array, deadline: number, out: SearchOutcome): void {
  for (const c of classes) {
    if (out.timedOut || Date.now() > deadline) {
      out.timedOut = true;
      out.undetermined.push({ name: c.name, size: component.length, reason: 'time limit' });
      continue;
    }
    const local = inducedSubgraph(g, component, c.allowed, localOf);
    const { component: comp, nontrivial } = stronglyConnected(local, c.allowed);
    if (nontrivial.length === 0) continue;
    const search = new ClassSearch(local, comp, c, deadline);
    for (const sub of nontrivial) {
      const r = search.run(sub);
      if (r === 'timeout') {
        out.timedOut = true;
        out.undetermined.push({ name: c.name, size: sub.length, reason: 'time limit' });
        break;
      }
      if (r === 'walk-only') out.undetermined.push({ name: c.name, size: sub.length, reason: 'only walks that revisit a transaction were found' });
      else if (r !== 'none') out.cycles.push({ nodes: r.nodes.map((v) => component[v]), types: r.types, name: classify(r.types) });
    }
  }
}

class ClassSearch {
  private readonly stamp: Int32Array;
  private readonly prev: Int32Array;
  private readonly prevType: Uint8Array;
  private readonly queue: Int32Array;
  private round = 0;
  private steps = 0;

  constructor(
    private readonly g: Graph,
    private readonly comp: Int32Array,
    private readonly c: CycleClass,
    private readonly deadline: number,
  ) {
    const size = g.nodes * STATES;
    this.stamp = new Int32Array(size);
    this.prev = new Int32Array(size);
    this.prevType = new Uint8Array(size);
    this.queue = new Int32Array(size);
  }

  /** A cycle of the class inside the sub-component `sub` (local ids), or why there is none. */
  run(sub: Int32Array): { nodes: number[]; types: number[] } | 'none' | 'walk-only' | 'timeout' {
    const { g, comp, c } = this;
    const id = comp[sub[0]];
    const startType = c.rw !== 'none' ? RW : c.requireA !== 0 ? c.requireA : c.requireB !== 0 ? c.requireB : WW;
    let walkOnly = false;
    for (const a of sub) {
      for (let e = g.offsets[a]; e < g.offsets[a + 1]; e++) {
        const b = g.targets[e];
        if ((g.masks[e] & startType) === 0 || comp[b] !== id) continue;
        const r = this.fromEdge(a, b, startType, id);
        if (r === 'timeout') return r;
        if (r === 'walk') walkOnly = true;
        else if (r !== undefined) return r;
      }
    }
    return walkOnly ? 'walk-only' : 'none';
  }

  private fromEdge(a: number, b: number, t: number, id: number): { nodes: number[]; types: number[] } | 'walk' | 'timeout' | undefined {
    const { g, comp, c, stamp, prev, prevType, queue } = this;
    const round = ++this.round;
    let flags = 0;
    if (t === RW) flags |= LAST_RW | RW_ONE;
    if (c.requireA === 0 || t === c.requireA) flags |= HAS_A;
    if (c.requireB === 0 || t === c.requireB) flags |= HAS_B;
    const start = b * STATES + flags;
    stamp[start] = round;
    prev[start] = -1;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      if ((++this.steps & 4095) === 0 && Date.now() > this.deadline) return 'timeout';
      const s = queue[head++];
      const v = (s / STATES) | 0;
      const f = s % STATES;
      if (v === a) {
        if (this.accepts(f)) return this.reconstruct(a, b, t, s);
        continue;
      }
      for (let e = g.offsets[v]; e < g.offsets[v + 1]; e++) {
        const w = g.targets[e];
        if (comp[w] !== id) continue;
        let m = g.masks[e] & c.allowed;
        while (m !== 0) {
          const type = m & -m;
          m ^= type;
          let nf = f;
          if (type === RW) {
            if (c.rw === 'none' || c.rw === 'one') continue;
            if (c.rw === 'nonadjacent' && (f & LAST_RW) !== 0) continue;
            nf = (nf | LAST_RW) & ~(RW_ONE | RW_MANY);
            nf |= (f & (RW_ONE | RW_MANY)) !== 0 ? RW_MANY : RW_ONE;
          } else nf &= ~LAST_RW;
          if (type === c.requireA) nf |= HAS_A;
          if (type === c.requireB) nf |= HAS_B;
          const ns = w * STATES + nf;
          if (stamp[ns] === round) continue;
          stamp[ns] = round;
          prev[ns] = s;
          prevType[ns] = type;
          queue[tail++] = ns;
        }
      }
    }
    return undefined;
  }

  private accepts(f: number): boolean {
    if ((f & HAS_A) === 0 || (f & HAS_B) === 0) return false;
    switch (this.c.rw) {
      case 'none':
        return (f & (RW_ONE | RW_MANY)) === 0;
      case 'one':
        return (f & RW_ONE) !== 0;
      case 'nonadjacent':
        return (f & RW_MANY) !== 0 && (f & LAST_RW) === 0;
      default:
        return (f & RW_MANY) !== 0;
    }
  }

  private reconstruct(a: number, b: number, t: number, end: number): { nodes: number[]; types: number[] } | 'walk' {
    const path: number[] = [];
    const types: number[] = [];
    for (let s = end; this.prev[s] !== -1; s = this.prev[s]) {
      path.push((s / STATES) | 0);
      types.push(this.prevType[s]);
    }
    path.push(b);
    path.reverse();
    types.reverse();
    // path is b … a; the cycle is a → b (type t) then the path.
    const nodes = [a, ...path.slice(0, -1)];
    if (new Set(nodes).size !== nodes.length) return 'walk';
    return { nodes, types: [t, ...types] };
  }
}
