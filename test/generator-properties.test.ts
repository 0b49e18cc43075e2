import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import {
  andThen, any, clients, cycle, delay, eachThread, filter, flipFlop, limit, map, mix, nemesis, once, onThreads, phases,
  repeat, reserve, simulate, sleep, stagger, timeLimit, untilOk, type Context, type GenLike, type SimulateOptions,
} from '../workloads/generator/index.js';

// A generator described as data, so fast-check can print and shrink it.
type Spec =
  | { leaf: 'read' | 'write' | 'reads' | 'fn' | 'sleep' | 'kill'; n: number }
  | { op: 'limit' | 'repeat' | 'cycle' | 'timeLimit' | 'stagger' | 'delay'; n: number; g: Spec }
  | { op: 'once' | 'clients' | 'nemesis' | 'eachThread' | 'untilOk' | 'map' | 'filter' | 'evenThreads'; g: Spec }
  | { op: 'seq' | 'phases' | 'mix' | 'any'; gs: Spec[] }
  | { op: 'andThen' | 'flipFlop'; a: Spec; b: Spec }
  | { op: 'reserve'; n: number; a: Spec; b: Spec };

function build(s: Spec): GenLike {
  if ('leaf' in s) {
    switch (s.leaf) {
      case 'read': return { f: 'read' };
      case 'write': return { f: 'write', value: s.n };
      case 'reads': return repeat({ f: 'read' });
      case 'fn': return (ctx: Context) => ({ f: 'write', value: ctx.random.int(100) });
      case 'sleep': return sleep(1 + s.n);
      case 'kill': return nemesis({ f: 'kill', value: s.n });
    }
  }
  switch (s.op) {
    case 'limit': return limit(s.n, build(s.g));
    case 'repeat': return repeat(s.n, build(s.g));
    case 'cycle': return cycle(s.n, build(s.g));
    case 'timeLimit': return timeLimit(10 * s.n, build(s.g));
    case 'stagger': return stagger(s.n, build(s.g));
    case 'delay': return delay(s.n, build(s.g));
    case 'once': return once(build(s.g));
    case 'clients': return clients(build(s.g));
    case 'nemesis': return nemesis(build(s.g));
    case 'eachThread': return eachThread(limit(5, build(s.g)));
    case 'untilOk': return untilOk(build(s.g));
    case 'map': return map((op) => ({ ...op, mapped: true }), build(s.g));
    case 'filter': return filter((op) => op.f !== 'write', limit(8, build(s.g)));
    case 'evenThreads': return onThreads((t) => t === 'nemesis' || t % 2 === 0, build(s.g));
    case 'seq': return s.gs.map(build);
    case 'phases': return phases(...s.gs.map(build));
    case 'mix': return mix(s.gs.map(build));
    case 'any': return any(...s.gs.map(build));
    case 'andThen': return andThen(build(s.a), build(s.b));
    case 'flipFlop': return flipFlop(build(s.a), build(s.b));
    case 'reserve': return reserve(s.n, build(s.a), build(s.b));
  }
}

const small = fc.integer({ min: 0, max: 6 });
const { spec } = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ leaf: fc.constantFrom('read', 'write', 'reads', 'fn', 'sleep', 'kill') as fc.Arbitrary<'read'>, n: small }),
    fc.record({ op: fc.constantFrom('limit', 'repeat', 'cycle', 'timeLimit', 'stagger', 'delay') as fc.Arbitrary<'limit'>, n: small, g: tie('spec') }),
    fc.record({
      op: fc.constantFrom('once', 'clients', 'nemesis', 'eachThread', 'untilOk', 'map', 'filter', 'evenThreads') as fc.Arbitrary<'once'>,
      g: tie('spec'),
    }),
    fc.record({ op: fc.constantFrom('seq', 'phases', 'mix', 'any') as fc.Arbitrary<'seq'>, gs: fc.array(tie('spec'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constantFrom('andThen', 'flipFlop') as fc.Arbitrary<'andThen'>, a: tie('spec'), b: tie('spec') }),
    fc.record({ op: fc.constant('reserve' as const), n: small, a: tie('spec'), b: tie('spec') }),
  ),
}));

const system: Pick<SimulateOptions, 'latency' | 'complete' | 'maxOps' | 'maxTime'> = {
  latency: (_op, r) => r.int(40),
  complete: (_op, r) => r.pick(['ok', 'ok', 'fail', 'info'] as const),
  maxOps: 80,
  maxTime: 5_000,
};

function wellFormed(ops: Op[], concurrency: number): void {
  const h = new History(ops); // throws on a malformed history: two ops in flight, invoke after info, …
  expect(h.length).toBe(ops.length);
  let t = 0;
  ops.forEach((op, i) => {
    expect(op.index).toBe(i);
    expect(op.time).toBeGreaterThanOrEqual(t);
    t = op.time!;
    if (op.process === 'nemesis') expect(op.type).toBe('info');
    else expect(Number.isInteger(op.process) && op.process >= 0).toBe(true);
  });
  // Every client invocation is completed (simulate lets ops in flight finish).
  for (let i = 0; i < ops.length; i++) if (ops[i].type === 'invoke') expect(h.completion(i)).toBeDefined();
  // Jepsen's rule: a thread changes process only after an info, and then to process + concurrency.
  const current = new Map<number, { process: number; lastType: string }>();
  for (const op of ops) {
    if (op.process === 'nemesis') continue;
    const thread = op.process % concurrency;
    const seen = current.get(thread) ?? { process: thread, lastType: 'ok' };
    if (op.type === 'invoke' && op.process !== seen.process) {
      expect(seen.lastType).toBe('info');
      expect(op.process).toBe(seen.process + concurrency);
    }
    current.set(thread, { process: op.process, lastType: op.type });
  }
}

describe('simulate on random compositions', () => {
  it('always yields a well-formed history, and the same one again for the same seed', () => {
    const lengths: number[] = [];
    fc.assert(
      fc.property(spec, fc.integer({ min: 1, max: 4 }), fc.integer(), (s, concurrency, seed) => {
        const ops = simulate(build(s), { concurrency, seed, ...system });
        lengths.push(ops.length);
        wellFormed(ops, concurrency);
        expect(simulate(build(s), { concurrency, seed, ...system })).toEqual(ops);
      }),
      { seed: 20240611, numRuns: 300 },
    );
    // The compositions are not trivial: most produce ops, many produce dozens.
    expect(lengths.filter((n) => n > 0).length).toBeGreaterThan(200);
    expect(lengths.filter((n) => n >= 40).length).toBeGreaterThan(50);
  });
  it('nemesis(…) ops land on the nemesis only, clients(…) ops never do', () => {
    fc.assert(
      fc.property(spec, spec, fc.integer({ min: 1, max: 4 }), fc.integer(), (c, n, concurrency, seed) => {
        const tagged = any(
          clients(map((op) => ({ ...op, side: 'client' }), build(c))),
          nemesis(map((op) => ({ ...op, side: 'nemesis' }), build(n))),
        );
        const ops = simulate(tagged, { concurrency, seed, ...system });
        wellFormed(ops, concurrency);
        for (const op of ops) expect(op.process === 'nemesis').toBe(op.side === 'nemesis');
      }),
      { seed: 7, numRuns: 150 },
    );
  });
});

describe('determinism', () => {
  const workload = () =>
    phases(
      timeLimit(
        2_000_000,
        any(
          clients(stagger(10_000, mix([repeat({ f: 'read' }), (ctx: Context) => ({ f: 'write', value: ctx.random.int(1000) })]))),
          nemesis(cycle([sleep(300_000), { f: 'start-partition' }, sleep(300_000), { f: 'stop-partition' }])),
        ),
      ),
      nemesis({ f: 'stop-partition' }),
      clients(eachThread(untilOk(repeat({ f: 'read', final: true })))),
    );
  const opts = { concurrency: 5, latency: (_op: Op, r: { int(n: number): number }) => 1_000 + r.int(50_000), maxTime: 10_000_000 };
  it('the same seed gives the identical history; another seed a different one', () => {
    const a = simulate(workload(), { ...opts, seed: 42 });
    const b = simulate(workload(), { ...opts, seed: 42 });
    const c = simulate(workload(), { ...opts, seed: 43 });
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    wellFormed(a, 5);
    // The workload's shape: the partition cycle, a stop after it, then each thread's final read.
    const nem = a.filter((o) => o.process === 'nemesis').map((o) => o.f);
    expect(nem.slice(0, 4)).toEqual(['start-partition', 'start-partition', 'stop-partition', 'stop-partition']);
    const finals = a.filter((o) => o.final === true && o.type === 'ok');
    expect(new Set(finals.map((o) => (o.process as number) % 5)).size).toBe(5);
    const lastStop = a.map((o) => o.f).lastIndexOf('stop-partition');
    expect(a.findIndex((o) => o.final === true)).toBeGreaterThan(lastStop);
  });
  it('runs a long schedule: 100k invocations, every one completed, ', () => {
    const ops = simulate(clients(mix([repeat({ f: 'read' }), repeat({ f: 'write', value: 1 })])), {
      concurrency: 10,
      seed: 1,
      maxOps: 100_000,
      latency: (_op, r) => r.int(1000),
    });
    expect(ops.length).toBe(200_000);
    expect(new History(ops).invocationCount).toBe(100_000);
  });
});
