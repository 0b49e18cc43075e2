// A worker thread that checks some parts of a history for linearizability and reports each
// verdict as it is found, so the main thread can stop everyone at the first invalid part.
import { parentPort, workerData } from 'node:worker_threads';
import { History } from '../../histories/history.js';
import { checkPart, SNAPSHOT_BYTES } from './part.js';
import type { SearchSnapshot } from './search.js';
import { prepare, Transitions } from './prepare.js';
import { resolveModel } from './registry.js';
import type { WorkerInput, WorkerVerdict } from './worker-protocol.js';

const input = workerData as WorkerInput;
const model = resolveModel(input.model, input.init);
let pending = input.parts.map((p) => {
  const prepared = prepare(new History(p.ops, { trusted: true }), model);
  return { id: p.id, prepared, transitions: new Transitions(model, prepared.sigCalls), snapshot: undefined as SearchSnapshot | undefined, explored: 0 };
});
let budget = 20_000;
while (pending.length) {
  const still: typeof pending = [];
  // As in check.ts: each search resumes where its last round stopped, within SNAPSHOT_BYTES in all.
  let held = 0;
  for (const item of pending) {
    const v = checkPart(item.prepared, model, { deadline: input.deadline, maxCacheBytes: input.maxCacheBytes }, budget, item.transitions, item.snapshot);
    item.explored += v.explored;
    const bytes = v.snapshot ? (v.snapshot.cache?.bytes ?? 0) + 16 * v.snapshot.next.length : 0;
    item.snapshot = held + bytes <= SNAPSHOT_BYTES ? v.snapshot : undefined;
    if (item.snapshot) held += bytes;
    if (v.outcome === 'budget') still.push(item);
    else parentPort!.postMessage({ id: item.id, outcome: v.outcome, explored: item.explored, blockedCall: v.blockedCall } satisfies WorkerVerdict);
  }
  pending = still;
  budget = budget * 8 > 5e6 ? Infinity : budget * 8;
}
