// Consistent hashing: each node puts `vnodes` points on a 32-bit ring; a key belongs to the node
// of the first point at or after the key's hash (wrapping). More points per node even out the
// share each node gets; adding or removing a node moves only the keys next to its points.
import { fmix } from '../../base/hash.js';

/** FNV-1a over the string's UTF-16 code units, then murmur3's finalizer to spread the bits. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix(h);
}

export const DEFAULT_VNODES = 64;

export class HashRing {
  /** Point positions, ascending. */
  private readonly points: Uint32Array;
  /** The node index owning each point. */
  private readonly owners: Int32Array;

  constructor(
    readonly nodes: readonly string[],
    readonly vnodes: number = DEFAULT_VNODES,
  ) {
    if (nodes.length === 0) throw new Error('hash ring: needs at least one node');
    if (!Number.isInteger(vnodes) || vnodes < 1) throw new Error(`hash ring: vnodes must be a positive integer, got ${vnodes}`);
    if (new Set(nodes).size !== nodes.length) throw new Error('hash ring: node names must be distinct');
    const n = nodes.length * vnodes;
    const pos = new Uint32Array(n);
    const who = new Int32Array(n);
    for (let i = 0; i < nodes.length; i++) {
      for (let v = 0; v < vnodes; v++) {
        pos[i * vnodes + v] = hash32(`${nodes[i]}#${v}`);
        who[i * vnodes + v] = i;
      }
    }
    // Sort by position; equal positions by node name so every node builds the same ring.
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => pos[a] - pos[b] || (nodes[who[a]] < nodes[who[b]] ? -1 : nodes[who[a]] > nodes[who[b]] ? 1 : 0));
    this.points = Uint32Array.from(order, (j) => pos[j]);
    this.owners = Int32Array.from(order, (j) => who[j]);
  }

  /** The index (into nodes) of the key's owner. */
  ownerIndex(key: string): number {
    const h = hash32(key);
    const p = this.points;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === p.length ? 0 : lo];
  }

  /** The node that owns the key. */
  owner(key: string): string {
    return this.nodes[this.ownerIndex(key)];
  }
}
