// Generated histories for benchmarks and tests: a real register per key, each op taking effect at
// a random instant inside its interval, so the history is linearizable by construction.
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { rng } from './random.js';

export interface KeyedRegisterOptions {
  ops: number;
  keys: number;
  processes: number;
  /** Fraction of ops whose outcome is unknown (info); half of them took effect. */
  crashRate: number;
  seed: number;
}


export function generateKeyedRegisterHistory(o: KeyedRegisterOptions): History {
  const random = rng(o.seed);
  const registers = new Map<number, number | null>();
  // Events: each thread runs one op at a time: invoke at t, take effect at t+a, complete at t+a+b.
  type Pending = { at: number; kind: 'effect' | 'complete' | 'invoke'; thread: number };
  const queue: Pending[] = [];
  const push = (p: Pending) => {
    let i = queue.length;
    queue.push(p);
    while (i > 0 && queue[(i - 1) >> 1].at > p.at) {
      queue[i] = queue[(i - 1) >> 1];
      i = (i - 1) >> 1;
    }
    queue[i] = p;
  };
  const pop = (): Pending => {
    const top = queue[0];
    const last = queue.pop()!;
    if (queue.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < queue.length && queue[l].at < (m === i ? last.at : queue[m].at)) m = l;
        if (r < queue.length && queue[r].at < (m === i ? last.at : queue[m].at)) m = r;
        if (m === i) break;
        queue[i] = queue[m];
        i = m;
      }
      queue[i] = last;
    }
    return top;
  };
  const ops: Op[] = [];
  const threads = Array.from({ length: o.processes }, (_, t) => ({ process: t, op: undefined as Op | undefined, result: undefined as unknown, crash: false, applied: false }));
  for (let t = 0; t < o.processes; t++) push({ at: random(), kind: 'invoke', thread: t });
  let invocations = 0;
  while (queue.length) {
    const e = pop();
    const th = threads[e.thread];
    if (e.kind === 'invoke') {
      if (invocations >= o.ops / 2) continue;
      invocations++;
      const key = Math.floor(random() * o.keys);
      const r = random();
      const f = r < 0.5 ? 'read' : r < 0.8 ? 'write' : 'cas';
      const value = f === 'read' ? null : f === 'write' ? Math.floor(random() * 5) : [Math.floor(random() * 5), Math.floor(random() * 5)];
      th.op = { index: ops.length, time: Math.round(e.at * 1e6), type: 'invoke', process: th.process, f, key, value } as Op;
      th.crash = random() < o.crashRate;
      th.applied = !th.crash || random() < 0.5;
      ops.push(th.op);
      push({ at: e.at + random(), kind: 'effect', thread: e.thread });
    } else if (e.kind === 'effect') {
      const op = th.op!;
      const key = op.key as number;
      const cur = registers.has(key) ? registers.get(key)! : null;
      if (!th.applied) th.result = undefined;
      else if (op.f === 'read') th.result = cur;
      else if (op.f === 'write') {
        registers.set(key, op.value as number);
        th.result = op.value;
      } else {
        const [from, to] = op.value as [number, number];
        th.result = cur === from;
        if (cur === from) registers.set(key, to);
      }
      push({ at: e.at + random(), kind: 'complete', thread: e.thread });
    } else {
      const op = th.op!;
      const done: Op = { index: ops.length, time: Math.round(e.at * 1e6), type: th.crash ? 'info' : 'ok', process: th.process, f: op.f, key: op.key, value: op.value };
      if (!th.crash && op.f === 'read') done.value = th.result;
      if (!th.crash && op.f === 'cas' && th.result === false) done.result = false;
      ops.push(done);
      if (th.crash) th.process += o.processes; // Jepsen: the thread continues as a new process
      push({ at: e.at + random() * 0.2, kind: 'invoke', thread: e.thread });
    }
  }
  return new History(ops, { file: '<generated>' });
}
