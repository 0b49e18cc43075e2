// The dependency graph between transactions: integer nodes, edges typed by a bit mask, stored as
// CSR (offsets + targets) after parallel edges are merged. Tarjan's algorithm, iterative, finds the
// strongly connected components; only they can hold cycles.

export const WW = 1;
export const WR = 2;
export const RW = 4;
export const PROCESS = 8;
export const REALTIME = 16;
export const DATA = WW | WR | RW;

export const EDGE_NAMES: Record<number, string> = { [WW]: 'ww', [WR]: 'wr', [RW]: 'rw', [PROCESS]: 'process', [REALTIME]: 'realtime' };

/** Edges as they are found, duplicates and all. */
export class EdgeList {
  src: Int32Array;
  dst: Int32Array;
  type: Uint8Array;
  length = 0;
  constructor(capacity = 1024) {
    this.src = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    this.type = new Uint8Array(capacity);
  }
  /** Edges added per type, indexed by type bit (1, 2, 4, 8, 16). */
  private readonly perType = new Float64Array(17);

  add(a: number, b: number, type: number): void {
    if (a === b) return;
    if (this.length === this.src.length) this.grow();
    this.src[this.length] = a;
    this.dst[this.length] = b;
    this.type[this.length] = type;
    this.length++;
    this.perType[type]++;
  }

  /** Edges added per type name (duplicates included). */
  get counts(): Record<string, number> {
    return { ww: this.perType[WW], wr: this.perType[WR], rw: this.perType[RW], process: this.perType[PROCESS], realtime: this.perType[REALTIME] };
  }

  private grow(): void {
    const n = this.src.length * 2;
    const s = new Int32Array(n);
    s.set(this.src);
    const d = new Int32Array(n);
    d.set(this.dst);
    const t = new Uint8Array(n);
    t.set(this.type);
    this.src = s;
    this.dst = d;
    this.type = t;
  }
}

export interface Graph {
  readonly nodes: number;
  /** Out-edges of v are targets[offsets[v] .. offsets[v+1]-1], each with its type mask. */
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
  readonly masks: Uint8Array;
}

/** CSR with every (a, b) pair once, its mask the union of the types found for it. */
export function buildGraph(nodes: number, edges: EdgeList): Graph {
  const counts = new Int32Array(nodes + 1);
  for (let i = 0; i < edges.length; i++) counts[edges.src[i] + 1]++;
  for (let v = 0; v < nodes; v++) counts[v + 1] += counts[v];
  const fill = counts.slice(0, nodes);
  const rawTargets = new Int32Array(edges.length);
  const rawMasks = new Uint8Array(edges.length);
  for (let i = 0; i < edges.length; i++) {
    const at = fill[edges.src[i]]++;
    rawTargets[at] = edges.dst[i];
    rawMasks[at] = edges.type[i];
  }
  // Merge duplicates per source: slot[b] remembers where b went in this source's run.
  const slot = new Int32Array(nodes).fill(-1);
  const offsets = new Int32Array(nodes + 1);
  let out = 0;
  for (let v = 0; v < nodes; v++) {
    offsets[v] = out;
    const start = out;
    for (let i = counts[v]; i < counts[v + 1]; i++) {
      const b = rawTargets[i];
      const s = slot[b];
      if (s >= start) rawMasks[s] |= rawMasks[i];
      else {
        slot[b] = out;
        rawTargets[out] = b;
        rawMasks[out] = rawMasks[i];
        out++;
      }
    }
  }
  offsets[nodes] = out;
  return { nodes, offsets, targets: rawTargets.slice(0, out), masks: rawMasks.slice(0, out) };
}

/**
 * Strongly connected components over the edges whose mask meets `allowed`: each node's component
 * id, and the components with more than one node, as lists of nodes.
 */
export function stronglyConnected(g: Graph, allowed: number): { component: Int32Array; nontrivial: Int32Array[] } {
  const n = g.nodes;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const component = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  let next = 0;
  let components = 0;
  const nontrivial: Int32Array[] = [];
  const { offsets, targets, masks } = g;
  const visit = (root: number): void => {
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = offsets[root];
    index[root] = low[root] = next++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const v = callNode[depth];
      let e = callEdge[depth];
      const end = offsets[v + 1];
      let descended = false;
      while (e < end) {
        const w = targets[e];
        const m = masks[e];
        e++;
        if ((m & allowed) === 0) continue;
        if (index[w] === -1) {
          callEdge[depth] = e;
          depth++;
          callNode[depth] = w;
          callEdge[depth] = offsets[w];
          index[w] = low[w] = next++;
          stack[sp++] = w;
          onStack[w] = 1;
          descended = true;
          break;
        }
        if (onStack[w] === 1 && index[w] < low[v]) low[v] = index[w];
      }
      if (descended) continue;
      if (low[v] === index[v]) {
        const c = components++;
        let size = 0;
        let w: number;
        do {
          w = stack[--sp];
          onStack[w] = 0;
          component[w] = c;
          size++;
        } while (w !== v);
        if (size > 1) nontrivial.push(stack.slice(sp, sp + size));
      }
      depth--;
      if (depth >= 0) {
        const u = callNode[depth];
        if (low[v] < low[u]) low[u] = low[v];
      }
    }
  };
  for (let v = 0; v < n; v++) if (index[v] === -1) visit(v);
  return { component, nontrivial };
}

/**
 * The subgraph induced by `nodes` (global ids), keeping edges whose mask meets `allowed` (masks
 * are cut down to `allowed`). Local node i is global nodes[i].
 */
export function inducedSubgraph(g: Graph, nodes: Int32Array, allowed: number, localOf: Int32Array): Graph {
  for (let i = 0; i < nodes.length; i++) localOf[nodes[i]] = i;
  const offsets = new Int32Array(nodes.length + 1);
  const targets: number[] = [];
  const masks: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    offsets[i] = targets.length;
    const v = nodes[i];
    for (let e = g.offsets[v]; e < g.offsets[v + 1]; e++) {
      const m = g.masks[e] & allowed;
      const w = localOf[g.targets[e]];
      if (m !== 0 && w >= 0) {
        targets.push(w);
        masks.push(m);
      }
    }
  }
  offsets[nodes.length] = targets.length;
  for (let i = 0; i < nodes.length; i++) localOf[nodes[i]] = -1;
  return { nodes: nodes.length, offsets, targets: Int32Array.from(targets), masks: Uint8Array.from(masks) };
}
