// The final phase's shape: the same ops once on every node, marked `final: true`. Thread t talks to
// nodes[t % nodes.length], so the first nodes.length threads reach each node exactly once.
import { eachThread, map, onThreads, type Gen, type GenLike, type Thread } from '../generator/index.js';
import type { WorkloadOptions } from '../types.js';

/** How many threads the final phase uses: one per node, or every thread when there are fewer. */
export function finalThreads(o: WorkloadOptions): number {
  return Math.min(o.nodes.length, o.concurrency);
}

/** `g` run once per node (a copy per thread on threads 0 … nodes-1), every op marked final. */
export function onEveryNode(o: WorkloadOptions, g: GenLike): Gen {
  const n = finalThreads(o);
  const firstN = (t: Thread): boolean => typeof t === 'number' && t < n;
  return map((op) => ({ ...op, final: true }), onThreads(firstN, eachThread(g)));
}
