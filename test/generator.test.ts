import { describe, expect, it } from 'vitest';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import {
  andThen, any, clients, completed, cycle, delay, eachThread, filter, flipFlop, gen, invoked, limit, makeContext, map, mix,
  nemesis, once, onThreads, phases, processToThread, repeat, reserve, simulate, sleep, someFreeProcess, stagger, timeLimit,
  untilOk, type Context, type GenLike, type Generator, type SimulateOptions,
} from '../workloads/generator/index.js';

/** Each op as "time type process f", the shape the hand-checked schedules below are written in. */
const lines = (ops: Op[]): string[] => ops.map((o) => `${o.time} ${o.type} ${o.process} ${o.f}`);
const invokes = (ops: Op[]): Op[] => ops.filter((o) => o.type === 'invoke' || (o.process === 'nemesis' && isNemesisInvoke(ops, o)));
// Nemesis invocations and completions are both `info`; the invocation is the first of each pair.
function isNemesisInvoke(ops: Op[], op: Op): boolean {
  return ops.filter((o) => o.process === 'nemesis').indexOf(op) % 2 === 0;
}
const run = (g: GenLike, o: Partial<SimulateOptions> = {}): Op[] => {
  const ops = simulate(g, { concurrency: 2, seed: 1, ...o });
  new History(ops); // every simulated history is well-formed
  ops.forEach((op, i) => expect(op.index).toBe(i));
  return ops;
};
/** Completions in turn from `types`, per process thread as invoked. */
const outcomes = (...types: Array<'ok' | 'fail' | 'info'>) => {
  let i = 0;
  return () => types[Math.min(i++, types.length - 1)];
};

describe('plain values', () => {
  it('an op object is one op, on the first free client thread, filled with process and time', () => {
    expect(run({ f: 'read' })).toEqual([
      { index: 0, time: 0, type: 'invoke', process: 0, f: 'read', value: null },
      { index: 1, time: 10, type: 'ok', process: 0, f: 'read', value: null },
    ]);
  });
  it('keeps extra fields (key, final) on invocation and completion', () => {
    const ops = run({ f: 'read', key: 'k1', final: true });
    expect(ops.map((o) => [o.key, o.final])).toEqual([['k1', true], ['k1', true]]);
  });
  it('an array is a sequence; ops go to free threads concurrently', () => {
    expect(lines(run([{ f: 'w', value: 1 }, { f: 'r' }]))).toEqual(['0 invoke 0 w', '0 invoke 1 r', '10 ok 0 w', '10 ok 1 r']);
  });
  it('a function of ctx is called again whenever the generator it returned is exhausted, until it returns null', () => {
    let calls = 0;
    const f = (ctx: Context): GenLike => (calls++ < 3 ? { f: 'w', value: ctx.time } : null);
    const ops = run(f, { concurrency: 1 });
    expect(invokes(ops).map((o) => [o.time, o.value])).toEqual([[0, 0], [10, 10], [20, 20]]);
  });
  it('a function may return a sequence, run to its end before the next call', () => {
    const ops = run(limit(5, () => [{ f: 'a' }, { f: 'b' }]), { concurrency: 1 });
    expect(invokes(ops).map((o) => o.f)).toEqual(['a', 'b', 'a', 'b', 'a']);
  });
  it('an op naming a process runs on that thread, waiting for it to be free', () => {
    const ops = run([{ f: 'a', process: 1 }, { f: 'b', process: 1 }, { f: 'c' }]);
    expect(lines(ops)).toEqual(['0 invoke 1 a', '10 ok 1 a', '10 invoke 1 b', '10 invoke 0 c', '20 ok 1 b', '20 ok 0 c']);
  });
  it('plain ops never go to the nemesis thread, even when every client is busy', () => {
    const ops = run(limit(6, repeat({ f: 'r' })), { concurrency: 1 });
    expect(new Set(ops.map((o) => o.process))).toEqual(new Set([0]));
    expect(invokes(ops).map((o) => o.time)).toEqual([0, 10, 20, 30, 40, 50]);
  });
  it('null and [] are empty generators', () => {
    expect(gen(null)).toBe(null);
    expect(gen([])).toBe(null);
    expect(run([null, [], { f: 'x' }]).length).toBe(2);
  });
});

describe('once, repeat, limit, cycle', () => {
  it('once takes one op', () => {
    expect(invokes(run(once(repeat({ f: 'r' })))).length).toBe(1);
  });
  it('repeat(n) emits the same op n times; repeat() forever (cut by limit)', () => {
    expect(lines(run(repeat(3, { f: 'r' }), { concurrency: 1 }))).toEqual([
      '0 invoke 0 r', '10 ok 0 r', '10 invoke 0 r', '20 ok 0 r', '20 invoke 0 r', '30 ok 0 r',
    ]);
    expect(invokes(run(limit(7, repeat({ f: 'r' })))).length).toBe(7);
    expect(repeat(0, { f: 'r' })).toBe(null);
  });
  it('repeat of a function draws afresh each time', () => {
    const ops = run(repeat(4, (ctx: Context) => ({ f: 'w', value: ctx.random.int(1000) })), { concurrency: 1 });
    expect(new Set(invokes(ops).map((o) => o.value)).size).toBe(4);
  });
  it('limit passes at most n ops', () => {
    expect(invokes(run(limit(2, [{ f: 'a' }, { f: 'b' }, { f: 'c' }]))).map((o) => o.f)).toEqual(['a', 'b']);
    expect(limit(0, { f: 'a' })).toBe(null);
  });
  it('cycle restarts a finished generator from its start, n rounds or forever', () => {
    expect(invokes(run(cycle(2, [{ f: 'a' }, { f: 'b' }]), { concurrency: 1 })).map((o) => o.f)).toEqual(['a', 'b', 'a', 'b']);
    expect(invokes(run(limit(5, cycle([{ f: 'a' }, { f: 'b' }])), { concurrency: 1 })).map((o) => o.f)).toEqual(['a', 'b', 'a', 'b', 'a']);
  });
});

describe('mix', () => {
  it('chooses at random, in proportion to weights', () => {
    const ops = invokes(run(limit(4000, mix([repeat({ f: 'a' }), repeat({ f: 'b' })], [3, 1])), { concurrency: 4 }));
    const a = ops.filter((o) => o.f === 'a').length / ops.length;
    expect(a).toBeGreaterThan(0.72);
    expect(a).toBeLessThan(0.78);
  });
  it('drops a generator once exhausted and ends when all are', () => {
    const ops = invokes(run(mix([limit(2, repeat({ f: 'a' })), limit(3, repeat({ f: 'b' }))])));
    expect(ops.filter((o) => o.f === 'a').length).toBe(2);
    expect(ops.filter((o) => o.f === 'b').length).toBe(3);
    expect(ops.length).toBe(5);
  });
  it('uniform by default, and never picks a zero weight', () => {
    const ops = invokes(run(limit(1000, mix([repeat({ f: 'a' }), repeat({ f: 'b' }), repeat({ f: 'c' })], [1, 1, 0]))));
    expect(ops.some((o) => o.f === 'c')).toBe(false);
    expect(ops.filter((o) => o.f === 'a').length).toBeGreaterThan(440);
    expect(ops.filter((o) => o.f === 'a').length).toBeLessThan(560);
  });
});

describe('timeLimit, stagger, delay', () => {
  it('timeLimit cuts at first op time + dt: an op due at or after it is never invoked', () => {
    const ops = run(timeLimit(35, repeat({ f: 'r' })), { concurrency: 1 });
    expect(invokes(ops).map((o) => o.time)).toEqual([0, 10, 20, 30]);
    expect(ops[ops.length - 1].time).toBe(40); // the op in flight still completes
    // An op due exactly at the cutoff is not invoked.
    expect(invokes(run(timeLimit(30, repeat({ f: 'r' })), { concurrency: 1 })).map((o) => o.time)).toEqual([0, 10, 20]);
    expect(invokes(run(timeLimit(30, delay(15, repeat({ f: 'r' }))), { latency: () => 1 })).map((o) => o.time)).toEqual([0, 15]);
  });
  it('timeLimit counts from its own first op, not from the start of the test', () => {
    const ops = run([sleep(100), timeLimit(25, repeat({ f: 'r' }))], { concurrency: 1 });
    expect(invokes(ops).map((o) => o.time)).toEqual([100, 110, 120]);
  });
  it('timeLimit ends a phase, so what follows runs after its cutoff', () => {
    const ops = run(phases(timeLimit(50, delay(20, repeat({ f: 'r' }))), { f: 'final' }), { latency: () => 5 });
    expect(invokes(ops).map((o) => `${o.time} ${o.f}`)).toEqual(['0 r', '20 r', '40 r', '45 final']);
  });
  it('delay spaces ops exactly dt apart across all threads', () => {
    const ops = run(limit(4, delay(25, repeat({ f: 'r' }))), { concurrency: 2 });
    expect(invokes(ops).map((o) => o.time)).toEqual([0, 25, 50, 75]);
    for (const o of invokes(ops)) expect([0, 1]).toContain(o.process); // whichever thread is free
  });
  it('delay runs late when threads are busy, and does not drift (each due dt after the last was due)', () => {
    const ops = run(limit(4, delay(5, repeat({ f: 'r' }))), { concurrency: 1 });
    expect(invokes(ops).map((o) => o.time)).toEqual([0, 10, 20, 30]);
  });
  it('stagger: random gaps in [0, 2dt), averaging dt, over all threads together', () => {
    const ops = invokes(run(limit(3000, stagger(100, repeat({ f: 'r' }))), { concurrency: 4, latency: () => 1 }));
    const gaps = ops.slice(1).map((o, i) => o.time! - ops[i].time!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...gaps)).toBeLessThan(200);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(95);
    expect(mean).toBeLessThan(105);
    expect(ops[0].time).toBe(0);
  });
});

describe('sleep, phases, andThen, synchronize', () => {
  it('sleep holds a thread for dt and is not recorded', () => {
    const ops = run(phases(once({ f: 'r' }), sleep(100), once({ f: 'w' })));
    // Times and order are exact; which of the two free threads takes each op is the seeded choice.
    expect(lines(ops).map((l) => l.replace(/ [01] /, ' P '))).toEqual(['0 invoke P r', '10 ok P r', '110 invoke P w', '120 ok P w']);
    expect(ops[1].process).toBe(ops[0].process);
    expect(ops[3].process).toBe(ops[2].process);
  });
  it('phases wait for every op in flight before the next phase', () => {
    const latency = (op: Op) => ({ 0: 10, 1: 50, 2: 30 })[op.process as 0 | 1 | 2];
    const phased = run(phases(limit(3, repeat({ f: 'w' })), { f: 'r' }), { concurrency: 3, latency });
    // One write per thread at 0 (all three are free), done at 10, 30 and 50 by their latencies;
    // the read only after the last of them, on whichever thread the seeded choice picks.
    expect(phased.slice(0, 3).map((o) => `${o.time} ${o.type} ${o.f}`)).toEqual(['0 invoke w', '0 invoke w', '0 invoke w']);
    expect(new Set(phased.slice(0, 3).map((o) => o.process))).toEqual(new Set([0, 1, 2]));
    expect(phased.slice(3, 6).map((o) => `${o.time} ${o.type} ${o.process}`)).toEqual(['10 ok 0', '30 ok 2', '50 ok 1']);
    const [read, readOk] = phased.slice(6);
    expect([read.time, read.type, read.f]).toEqual([50, 'invoke', 'r']);
    expect([readOk.time, readOk.type, readOk.process]).toEqual([50 + latency(read), 'ok', read.process]);
    expect(phased).toHaveLength(8);
    // Without phases the read goes as soon as a thread frees up.
    const plain = run([limit(3, repeat({ f: 'w' })), { f: 'r' }], { concurrency: 3, latency });
    expect(invokes(plain).map((o) => `${o.time} ${o.f}`)).toEqual(['0 w', '0 w', '0 w', '10 r']);
  });
  it('phases wait for the nemesis too', () => {
    const ops = run(phases(nemesis({ f: 'start' }), { f: 'r' }), { latency: (op) => (op.process === 'nemesis' ? 40 : 10) });
    expect(lines(ops)).toEqual(['0 info nemesis start', '40 info nemesis start', '40 invoke 0 r', '50 ok 0 r']);
  });
  it('andThen(a, b) runs a, waits for all threads, then b', () => {
    const ops = run(andThen(limit(2, repeat({ f: 'a' })), { f: 'b' }), { latency: (op) => (op.process === 0 ? 5 : 30) });
    expect(invokes(ops).map((o) => `${o.time} ${o.f}`)).toEqual(['0 a', '0 a', '30 b']);
  });
});

describe('threads: onThreads, clients, nemesis, eachThread, reserve', () => {
  it('onThreads runs its generator only on the threads it names', () => {
    const ops = run(limit(5, onThreads((t) => t === 1, repeat({ f: 'r' }))), { concurrency: 3 });
    expect(new Set(ops.map((o) => o.process))).toEqual(new Set([1]));
  });
  it('nemesis ops run on the nemesis thread only, as info records; client ops never do', () => {
    const ops = run(
      any(clients(limit(6, repeat({ f: 'r' }))), nemesis([{ f: 'start-partition' }, sleep(15), { f: 'stop-partition' }])),
      { latency: () => 10 },
    );
    const nem = ops.filter((o) => o.process === 'nemesis');
    expect(lines(nem)).toEqual(['0 info nemesis start-partition', '10 info nemesis start-partition', '25 info nemesis stop-partition', '35 info nemesis stop-partition']);
    expect(ops.filter((o) => o.f === 'r').every((o) => typeof o.process === 'number')).toBe(true);
    expect(new History(ops).nemesisOps().length).toBe(4);
  });
  it('clients(c, n) and nemesis(n, c) combine the two', () => {
    for (const g of [clients(limit(3, repeat({ f: 'r' })), once({ f: 'kill' })), nemesis(once({ f: 'kill' }), limit(3, repeat({ f: 'r' })))]) {
      const ops = run(g);
      expect(ops.filter((o) => o.f === 'kill').map((o) => o.process)).toEqual(['nemesis', 'nemesis']);
      expect(ops.filter((o) => o.f === 'r' && o.type === 'invoke').length).toBe(3);
    }
  });
  it('a nemesis generator nested inside clients has no thread, so it is empty', () => {
    expect(run(clients(nemesis({ f: 'kill' })))).toEqual([]);
  });
  it('eachThread gives every client thread its own copy', () => {
    const ops = run(eachThread([{ f: 'a' }, { f: 'b' }]), { latency: (op) => (op.process === 0 ? 10 : 25) });
    expect(lines(ops)).toEqual([
      '0 invoke 0 a', '0 invoke 1 a', '10 ok 0 a', '10 invoke 0 b', '20 ok 0 b', '25 ok 1 a', '25 invoke 1 b', '50 ok 1 b',
    ]);
  });
  it('eachThread copies keep their own state through crashes (the thread continues as a new process)', () => {
    const ops = run(clients(eachThread([{ f: 'a' }, { f: 'b' }])), { complete: (op) => (op.f === 'a' ? 'info' : 'ok') });
    expect(invokes(ops).map((o) => `${o.process} ${o.f}`)).toEqual(['0 a', '1 a', '2 b', '3 b']);
  });
  it('reserve gives each generator its own thread range, the default the rest', () => {
    const ops = run(limit(60, reserve(2, repeat({ f: 'w' }), 1, repeat({ f: 'cas' }), repeat({ f: 'r' }))), {
      concurrency: 5,
      latency: (_op, r) => 1 + r.int(20),
      complete: (_op, r) => r.pick(['ok', 'fail', 'info'] as const),
    });
    const threads = (f: string) => new Set(invokes(ops).filter((o) => o.f === f).map((o) => (o.process as number) % 5));
    expect(threads('w')).toEqual(new Set([0, 1]));
    expect(threads('cas')).toEqual(new Set([2]));
    expect(threads('r')).toEqual(new Set([3, 4]));
    expect(ops.some((o) => (o.process as number) >= 5)).toBe(true); // crashed processes moved on, threads kept
  });
  it('reserve ranges are counted within the context it is given (nested in onThreads)', () => {
    const ops = run(limit(20, onThreads((t) => t !== 0, reserve(1, repeat({ f: 'w' }), repeat({ f: 'r' })))), { concurrency: 3 });
    expect(new Set(ops.filter((o) => o.f === 'w').map((o) => o.process))).toEqual(new Set([1]));
    expect(new Set(ops.filter((o) => o.f === 'r').map((o) => o.process))).toEqual(new Set([2]));
  });
  it('a reserved range with no thread never runs, and the rest still ends', () => {
    // Two threads: the first range gets both (it asked for 3), the default range gets none.
    const ops = run(reserve(3, limit(4, repeat({ f: 'w' })), repeat({ f: 'r' })), { concurrency: 2 });
    expect(invokes(ops).map((o) => `${o.process} ${o.f}`)).toEqual(['0 w', '1 w', '0 w', '1 w']);
  });
});

describe('flipFlop, untilOk, any, map, filter', () => {
  it('flipFlop alternates and stops when the one whose turn it is has none', () => {
    expect(invokes(run(limit(5, flipFlop(repeat({ f: 'a' }), repeat({ f: 'b' }))), { concurrency: 1 })).map((o) => o.f)).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(invokes(run(flipFlop(repeat({ f: 'a' }), { f: 'b' }), { concurrency: 1 })).map((o) => o.f)).toEqual(['a', 'b', 'a']);
  });
  it('untilOk retries after fail and info, and stops after the first ok', () => {
    const ops = run(untilOk(repeat({ f: 'r' })), { concurrency: 1, complete: outcomes('fail', 'info', 'ok', 'ok') });
    expect(lines(ops)).toEqual(['0 invoke 0 r', '10 fail 0 r', '10 invoke 0 r', '20 info 0 r', '20 invoke 1 r', '30 ok 1 r']);
  });
  it('untilOk lets ops in flight finish but starts none after an ok', () => {
    const ops = run(untilOk(repeat({ f: 'r' })), { concurrency: 2, latency: (op) => (op.process === 0 ? 10 : 25) });
    expect(lines(ops)).toEqual(['0 invoke 0 r', '0 invoke 1 r', '10 ok 0 r', '25 ok 1 r']);
  });
  it('eachThread(untilOk(…)): every thread reads until it sees an ok', () => {
    const ops = run(eachThread(untilOk(repeat({ f: 'r' }))), {
      concurrency: 2,
      complete: (op) => (op.process === 0 && op.time! < 20 ? 'fail' : 'ok'),
    });
    expect(lines(ops)).toEqual(['0 invoke 0 r', '0 invoke 1 r', '10 fail 0 r', '10 invoke 0 r', '10 ok 1 r', '20 fail 0 r', '20 invoke 0 r', '30 ok 0 r']);
  });
  it('any takes the soonest op of several', () => {
    const ops = run(any(delay(30, limit(2, repeat({ f: 'slow' }))), limit(3, delay(12, repeat({ f: 'fast' })))), { concurrency: 3, latency: () => 1 });
    expect(invokes(ops).map((o) => `${o.time} ${o.f}`)).toEqual(expect.arrayContaining(['0 slow', '0 fast', '12 fast', '24 fast', '30 slow']));
    expect(invokes(ops).map((o) => o.time)).toEqual([0, 0, 12, 24, 30]);
  });
  it('map transforms ops; filter drops them', () => {
    const ops = run(map((op) => ({ ...op, value: op.time }), filter((op) => op.f !== 'b', [{ f: 'a' }, { f: 'b' }, { f: 'c' }])), { concurrency: 1 });
    expect(invokes(ops).map((o) => `${o.f}=${o.value}`)).toEqual(['a=0', 'c=10']);
  });
});

describe("Jepsen's process rule and the context helpers", () => {
  it('a thread whose op ended in info continues as process + concurrency', () => {
    const ops = run(limit(6, repeat({ f: 'w' })), { concurrency: 2, complete: () => 'info' });
    expect(invokes(ops).map((o) => o.process)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines(ops).slice(2, 6)).toEqual(['10 info 0 w', '10 invoke 2 w', '10 info 1 w', '10 invoke 3 w']);
  });
  it('fail does not change the process; nemesis info does not either', () => {
    const ops = run(limit(4, repeat({ f: 'w' })), { concurrency: 1, complete: () => 'fail' });
    expect(invokes(ops).map((o) => o.process)).toEqual([0, 0, 0, 0]);
    const nem = run(nemesis(limit(3, repeat({ f: 'kill' }))));
    expect(new Set(nem.map((o) => o.process))).toEqual(new Set(['nemesis']));
  });
  it('invoked/completed keep free threads and workers', () => {
    let ctx = makeContext({ concurrency: 2, seed: 0 });
    expect(ctx.freeThreads).toEqual([0, 1, 'nemesis']);
    ctx = invoked(ctx, { type: 'invoke', process: 0, f: 'r', time: 5 });
    expect(ctx.freeThreads).toEqual([1, 'nemesis']);
    expect(ctx.time).toBe(5);
    expect(someFreeProcess(ctx)).toBe(1);
    ctx = completed(ctx, { type: 'info', process: 0, f: 'r', time: 9 });
    expect(ctx.freeThreads).toEqual([0, 1, 'nemesis']);
    expect(ctx.workers.get(0)).toBe(2);
    expect(processToThread(ctx, 2)).toBe(0);
    expect([1, 2]).toContain(someFreeProcess(ctx));
  });
  it('someFreeProcess spreads ops over the free threads (seeded), not always the first', () => {
    const picks = new Set<unknown>();
    for (let seed = 0; seed < 20; seed++) picks.add(someFreeProcess(makeContext({ concurrency: 3, seed })));
    expect(picks).toEqual(new Set([0, 1, 2]));
    // Ops spaced wider than they take: every thread is free each time, so "the first free thread"
    // would be thread 0 for all of them (at a modest rate, one node would get every op).
    const ops = run(limit(30, delay(100, repeat({ f: 'r' }))), { concurrency: 3 });
    expect(new Set(invokes(ops).map((o) => o.process))).toEqual(new Set([0, 1, 2]));
    expect(someFreeProcess(makeContext({ concurrency: 3, seed: 5 }))).toBe(someFreeProcess(makeContext({ concurrency: 3, seed: 5 })));
  });
});

describe('simulate', () => {
  it('maxOps and maxTime stop invoking; ops in flight still complete', () => {
    expect(invokes(run(repeat({ f: 'r' }), { maxOps: 5 })).length).toBe(5);
    const ops = run(repeat({ f: 'r' }), { concurrency: 1, maxTime: 30 });
    expect(lines(ops).slice(-2)).toEqual(['30 invoke 0 r', '40 ok 0 r']);
  });
  it('complete may give the value and other fields', () => {
    const ops = run({ f: 'r' }, { complete: () => ({ type: 'fail', value: 7, error: 'timeout' }) });
    expect(ops[1]).toEqual({ index: 1, time: 10, type: 'fail', process: 0, f: 'r', value: 7, error: 'timeout' });
  });
  it('a generator pending with nothing in flight is an error, not a hang', () => {
    const stuck: Generator = { op: () => 'pending', update: () => stuck };
    expect(() => simulate(stuck, { concurrency: 1, seed: 0 })).toThrow(/pending with nothing in flight/);
  });
});

describe('module and random stream', () => {
  it('the module can be loaded with await import() (it exports nothing called then)', async () => {
    const m = await import('../workloads/generator/index.js');
    expect(typeof m.simulate).toBe('function');
    expect('then' in m).toBe(false);
  });
  it('Random is seeded, and clone continues the same stream', async () => {
    const { Random } = await import('../workloads/generator/index.js');
    const a = new Random(5);
    const b = new Random(5);
    const xs = [a.next(), a.int(10), a.weighted([1, 2, 3])];
    expect([b.next(), b.int(10), b.weighted([1, 2, 3])]).toEqual(xs);
    expect(new Random(6).next()).not.toBe(new Random(5).next());
    const c = a.clone();
    expect(c.next()).toBe(a.next());
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});
