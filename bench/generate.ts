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

export interface HardRegisterOptions {
  /** Invocations (each gets a completion, or crashes: info). */
  ops: number;
  processes: number;
  /** Fraction of ops that crash (info); half of them took effect. */
  crashRate: number;
  seed: number;
  /** Plant one stale read (a read returning a value overwritten before it was invoked): invalid. */
  staleRead: boolean;
}

/**
 * A single cas-register history of the shape issue 15 calls hard: many concurrent processes, every
 * written value unique (writes and cas targets draw fresh values), cas from the value the process
 * last saw (so many cas fail: ok with result false), a few crashed ops that may or may not have
 * taken effect. Linearizable by construction; with `staleRead`, one read in the latter half
 * returns a value that was certainly overwritten before it was invoked (its writer completed
 * before an overwrite was invoked, which completed before the read was invoked), which makes it not.
 */
export function generateHardRegisterHistory(o: HardRegisterOptions): History {
  const random = rng(o.seed);
  let register: number | null = null;
  let fresh = 0;
  type Ev = { at: number; kind: 0 | 1 | 2; thread: number }; // 0 invoke, 1 effect, 2 complete
  const queue: Ev[] = [];
  const push = (e: Ev) => {
    queue.push(e);
    for (let i = queue.length - 1; i > 0 && queue[(i - 1) >> 1].at > queue[i].at; i = (i - 1) >> 1) {
      [queue[i], queue[(i - 1) >> 1]] = [queue[(i - 1) >> 1], queue[i]];
    }
  };
  const pop = (): Ev => {
    const top = queue[0];
    const last = queue.pop()!;
    if (queue.length) {
      queue[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        let m = i;
        if (l < queue.length && queue[l].at < queue[m].at) m = l;
        if (l + 1 < queue.length && queue[l + 1].at < queue[m].at) m = l + 1;
        if (m === i) break;
        [queue[i], queue[m]] = [queue[m], queue[i]];
        i = m;
      }
    }
    return top;
  };
  interface Thread {
    process: number;
    op: Op | undefined;
    result: unknown;
    crash: boolean;
    applied: boolean;
    seen: number | null;
  }
  const threads: Thread[] = Array.from({ length: o.processes }, (_, t) => ({ process: t, op: undefined, result: undefined, crash: false, applied: false, seen: null }));
  const ops: Op[] = [];
  // What each completed op wrote (for planting): value, invoked and completed positions.
  const writes: { value: number; inv: number; done: number }[] = [];
  const invokedAt = new Map<Op, number>();
  for (let t = 0; t < o.processes; t++) push({ at: random(), kind: 0, thread: t });
  let invocations = 0;
  while (queue.length) {
    const e = pop();
    const th = threads[e.thread];
    if (e.kind === 0) {
      if (invocations >= o.ops) continue;
      invocations++;
      const r = random();
      // (A process that has seen nothing yet writes rather than cas from null: Porcupine's etcd
      // model, which these histories are also fed to, has no null to compare with.)
      const f = r < 0.4 ? 'read' : r < 0.7 || th.seen === null ? 'write' : 'cas';
      const value = f === 'read' ? null : f === 'write' ? ++fresh : [th.seen, ++fresh];
      th.op = { index: ops.length, time: Math.round(e.at * 1e6), type: 'invoke', process: th.process, f, value } as Op;
      invokedAt.set(th.op, ops.length);
      th.crash = random() < o.crashRate;
      th.applied = !th.crash || random() < 0.5;
      ops.push(th.op);
      push({ at: e.at + random(), kind: 1, thread: e.thread });
    } else if (e.kind === 1) {
      const op = th.op!;
      th.result = undefined;
      if (th.applied) {
        if (op.f === 'read') th.result = register;
        else if (op.f === 'write') register = th.result = op.value as number;
        else {
          const [from, to] = op.value as [number | null, number];
          th.result = register === from;
          if (register === from) register = to;
        }
      }
      // A crash's completion (info) comes a while later, as a timeout would.
      push({ at: e.at + (th.crash ? 2 + random() * 3 : random()), kind: 2, thread: e.thread });
    } else {
      const op = th.op!;
      const done = { index: ops.length, time: Math.round(e.at * 1e6), type: th.crash ? 'info' : 'ok', process: th.process, f: op.f, value: op.value } as Op;
      if (!th.crash) {
        if (op.f === 'read') th.seen = done.value = th.result as number | null;
        else if (op.f === 'write') th.seen = op.value as number;
        else if (th.result === false) done.result = false;
        else th.seen = (op.value as number[])[1];
        const wrote = op.f === 'write' ? (op.value as number) : op.f === 'cas' && th.result === true ? (op.value as number[])[1] : undefined;
        if (wrote !== undefined) writes.push({ value: wrote, inv: invokedAt.get(op)!, done: ops.length });
      }
      ops.push(done);
      if (th.crash) th.process += o.processes; // Jepsen: the thread continues as a new process
      push({ at: e.at + random() * 0.2, kind: 0, thread: e.thread });
    }
  }
  if (o.staleRead) plantStaleRead(ops, writes, random);
  return new History(ops, { file: '<generated>' });
}

/** Makes one ok read in the latter half return a value certainly overwritten before its invocation. */
function plantStaleRead(ops: Op[], writes: { value: number; inv: number; done: number }[], random: () => number): void {
  const pairOf = new Map<number, number>();
  const open = new Map<unknown, number>();
  ops.forEach((op, i) => {
    if (op.type === 'invoke') open.set(op.process, i);
    else pairOf.set(open.get(op.process)!, i);
  });
  const reads = ops.map((op, i) => i).filter((i) => ops[i].type === 'invoke' && ops[i].f === 'read' && i > ops.length / 2 && ops[pairOf.get(i) ?? -1]?.type === 'ok');
  for (let tries = 0; tries < 100; tries++) {
    const r = reads[Math.floor(random() * reads.length)];
    const done = ops[pairOf.get(r)!];
    // The overwrite: the latest write completed before the read was invoked; the stale value: the
    // latest write completed before the overwrite was invoked.
    const overwrite = writes.filter((w) => w.done < r).sort((a, b) => b.done - a.done)[0];
    if (!overwrite) continue;
    const stale = writes.filter((w) => w.done < overwrite.inv && w.value !== done.value).sort((a, b) => b.done - a.done)[0];
    if (!stale) continue;
    done.value = stale.value;
    return;
  }
  throw new Error('no read to make stale');
}
