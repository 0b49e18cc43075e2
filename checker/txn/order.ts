// Process and real-time edges between transactions that may have taken effect (ok and info).
import { EdgeList, PROCESS, REALTIME } from './graph.js';
import { FAIL, OK, type Txns } from './txns.js';

/** Each ok or info transaction follows its process's previous ok transaction. */
export function addProcessEdges(txns: Txns, edges: EdgeList): void {
  const lastOk = new Map<number, number>();
  for (let t = 0; t < txns.count; t++) {
    const st = txns.status[t];
    const p = txns.process[t];
    if (st === FAIL || p < 0) continue;
    const prev = lastOk.get(p);
    if (prev !== undefined) edges.add(prev, t, PROCESS);
    if (st === OK) lastOk.set(p, t);
  }
}

/**
 * Adds real-time edges for enough pairs "a completed before b was invoked" that every such pair is
 * connected by a path: at b's invocation, an edge from each member of the frontier, the completed
 * transactions no later completion has yet covered. When b completes it covers every member that
 * completed before b was invoked (those are exactly the ones it got edges from: members only ever
 * leave). The frontier is an antichain, so it holds at most as many transactions as ran
 * concurrently, and the edges number O(n · concurrency). Failed transactions take no part.
 */
export function addRealtimeEdges(txns: Txns, edges: EdgeList): void {
  const event = eventsByPosition(txns);
  const { invokeAt, completeAt } = txns;
  const frontier: number[] = [];
  for (let i = 0; i < event.length; i++) {
    const e = event[i];
    if (e < 0) continue;
    const t = e >> 1;
    if ((e & 1) === 0) {
      for (let x = 0; x < frontier.length; x++) edges.add(frontier[x], t, REALTIME);
      continue;
    }
    const since = invokeAt[t];
    let kept = 0;
    for (let x = 0; x < frontier.length; x++) if (completeAt[frontier[x]] > since) frontier[kept++] = frontier[x];
    frontier.length = kept;
    frontier.push(t);
  }
}

/**
 * The real-time events of transactions that may have taken effect, by history position: 2t at
 * t's invocation, 2t+1 at its completion (ok ones only: an info never completes), -1 elsewhere.
 */
export function eventsByPosition(txns: Txns): Int32Array {
  const event = new Int32Array(txns.opCount).fill(-1);
  for (let t = 0; t < txns.count; t++) {
    if (txns.status[t] === FAIL) continue;
    event[txns.invokeAt[t]] = 2 * t;
    if (txns.status[t] === OK) event[txns.completeAt[t]] = 2 * t + 1;
  }
  return event;
}
