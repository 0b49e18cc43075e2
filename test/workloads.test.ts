import { describe, expect, it } from 'vitest';
import { InputError } from '../histories/errors.js';
import type { Op } from '../histories/op.js';
import type { Result } from '../checker/types.js';
import { MODE_NAMES } from '../targets/builtin/mode.js';
import { applyOp, storeKey } from '../targets/builtin/state-machine.js';
import { getWorkload, listWorkloads, workloadOptions } from '../workloads/index.js';
import { simulate } from '../workloads/generator/index.js';
import {
  check, crdtSystem, invocations, kvSystem, NODES, run, runAndCheck, schedule, workloadOptions as simOptions,
} from './helpers/workload-sim.js';

const sub = (r: Result, name: string): Result => r[name] as Result;
const finals = (ops: Op[]): Op[] => invocations(ops).filter((op) => op.final === true);

describe('registry', () => {
  it('lists every workload once, each with a description, modes of the built-in store and a closed schema', () => {
    const names = listWorkloads().map((w) => w.name);
    expect(names).toEqual(['register', 'set', 'counter', 'bank', 'list-append', 'rw-register', 'queue', 'unique-ids', 'g-counter', 'pn-counter', 'or-set']);
    for (const w of listWorkloads()) {
      expect(getWorkload(w.name)).toBe(w);
      expect(w.description.length).toBeGreaterThan(10);
      expect(w.modes.length).toBeGreaterThan(0);
      for (const m of w.modes) expect(MODE_NAMES).toContain(m);
      expect(w.optionsSchema.additionalProperties).toBe(false);
      for (const [k, p] of Object.entries(w.optionsSchema.properties as Record<string, Record<string, unknown>>)) {
        expect(p.default, `${w.name}.${k} has a default`).not.toBeUndefined();
        expect(p.description, `${w.name}.${k} is described`).toEqual(expect.any(String));
      }
    }
  });
  it('an unknown name is an InputError that lists the known ones', () => {
    expect(() => getWorkload('regster')).toThrow(InputError);
    expect(() => getWorkload('regster')).toThrow(/unknown workload "regster"; known workloads: register, set, counter, bank, list-append/);
  });
  it('tells the built-in store which workload it serves', () => {
    for (const w of listWorkloads()) expect(w.targetOptions?.(simOptions())).toMatchObject({ workload: w.name });
  });
  it('the CRDT workloads run in crdt mode only and tell the target their type', () => {
    for (const name of ['g-counter', 'pn-counter', 'or-set']) {
      const w = getWorkload(name);
      expect(w.modes).toEqual(['crdt']);
      expect(w.targetOptions?.(simOptions())).toEqual({ crdt: name, workload: name });
    }
  });
});

describe('options', () => {
  const register = getWorkload('register');
  it('fills in the defaults', () => {
    expect(workloadOptions(register, undefined)).toEqual({ keys: 0, reads: 1, writes: 1, cas: 1, ranges: 0, keyDistribution: 'uniform' });
    expect(workloadOptions(register, { keys: 3 })).toEqual({ keys: 3, reads: 1, writes: 1, cas: 1, ranges: 0, keyDistribution: 'uniform' });
    expect(workloadOptions(getWorkload('unique-ids'), {})).toEqual({});
  });
  it('leaves the given object as it was', () => {
    const raw = { keys: 2 };
    workloadOptions(register, raw);
    expect(raw).toEqual({ keys: 2 });
  });
  it('refuses an unknown option, naming it and the known ones', () => {
    expect(() => workloadOptions(register, { key: 3 })).toThrow(InputError);
    expect(() => workloadOptions(register, { key: 3 })).toThrow('workload register: unknown option "key"; known options: keys, reads, writes, cas, ranges, keyDistribution');
    expect(() => workloadOptions(getWorkload('unique-ids'), { n: 1 })).toThrow('workload unique-ids: unknown option "n"; it takes no options');
  });
  it('names the option and the file for a wrong value', () => {
    expect(() => workloadOptions(register, { keys: -1 }, 'test.json')).toThrow('test.json: workload register: option keys must be >= 0, got -1');
    expect(() => workloadOptions(register, { keys: 'many' })).toThrow('workload register: option keys must be integer, got "many"');
    expect(() => workloadOptions(getWorkload('list-append'), { keyDistribution: 'zipf' })).toThrow(
      'workload list-append: option keyDistribution is not a key distribution: "zipf" (uniform, exponential, zipf:S with S > 0, or hot:KEY:P with KEY a key number and P in [0, 1])',
    );
    expect(() => workloadOptions(register, [1])).toThrow('workload register: options must be an object of option: value, got [1]');
  });
  it('takes values from flags as strings', () => {
    expect(workloadOptions(register, { keys: '4', cas: '0' })).toMatchObject({ keys: 4, cas: 0 });
    expect(workloadOptions(getWorkload('set'), { linearizable: 'true' })).toMatchObject({ linearizable: true });
    expect(workloadOptions(getWorkload('rw-register'), { consistencyModels: 'serializable' })).toMatchObject({ consistencyModels: ['serializable'] });
  });
  it('checks consistency model names before a test runs', () => {
    expect(workloadOptions(getWorkload('list-append'), { consistencyModels: ['snapshot-isolation', 'serializable'] }).consistencyModels).toEqual([
      'snapshot-isolation',
      'serializable',
    ]);
    expect(() => workloadOptions(getWorkload('list-append'), { consistencyModels: ['serialisable!'] })).toThrow(
      /workload list-append: option consistencyModels\.0 is not a consistency model: "serialisable!"; known models: .*strict-serializable/,
    );
    expect(() => getWorkload('list-append').checker(simOptions({ options: { consistencyModels: ['nope'] } }))).toThrow(InputError);
  });
  it('refuses weights that leave nothing to do, and transactions whose bounds cross', () => {
    expect(() => register.generator(simOptions({ options: { reads: 0, writes: 0, cas: 0 } }))).toThrow(
      'workload register: options reads, writes, cas, ranges are all 0, so it has no op to send',
    );
    expect(() => getWorkload('list-append').generator(simOptions({ options: { minTxnLength: 5, maxTxnLength: 2 } }))).toThrow(
      'workload list-append: minTxnLength (5) is above maxTxnLength (2)',
    );
  });
});

describe('every workload', () => {
  const withFinal = listWorkloads().filter((w) => w.final !== undefined);

  it('gives the same ops for the same seed, and other ops for another seed', () => {
    for (const w of listWorkloads()) {
      const o = simOptions();
      const ops = (seed: number) => simulate(schedule(w, o, 200), { concurrency: o.concurrency, seed, latency: (_op, r) => 1 + r.int(1000) });
      expect(ops(7), w.name).toEqual(ops(7));
      // unique-ids sends the same op every time: only the others draw anything at random.
      if (w.name !== 'unique-ids') expect(invocations(ops(7)).map((op) => op.value), w.name).not.toEqual(invocations(ops(8)).map((op) => op.value));
    }
  });

  it('ends its final phase with ops marked final, one set per node, after every main-phase op', () => {
    expect(withFinal.map((w) => w.name)).toEqual(['register', 'set', 'counter', 'bank', 'queue', 'g-counter', 'pn-counter', 'or-set']);
    for (const w of withFinal) {
      const ops = simulate(schedule(w, simOptions(), 100), { concurrency: 5, seed: 3 });
      const fin = finals(ops);
      expect(fin.length, w.name).toBe(NODES.length);
      expect(new Set(fin.map((op) => op.node)), w.name).toEqual(new Set(NODES));
      const firstFinal = ops.findIndex((op) => op.final === true);
      expect(ops.slice(firstFinal).every((op) => op.final === true), w.name).toBe(true);
      expect(ops.slice(0, firstFinal).filter((op) => op.final !== true).length, w.name).toBe(2 * (100 + (w.setup ? 1 : 0)));
    }
  });

  it('reaches every node with more nodes than threads only as far as the threads go', () => {
    const ops = simulate(schedule(getWorkload('set'), simOptions({ nodes: ['a', 'b', 'c', 'd', 'e'], concurrency: 2 }), 20), { concurrency: 2, seed: 1 });
    expect(finals(ops).map((op) => op.node)).toEqual(['a', 'b']);
  });

  it('final reads of a keyed register read every key on every node', () => {
    const ops = simulate(schedule(getWorkload('register'), simOptions({ options: { keys: 3 } }), 50), { concurrency: 5, seed: 2 });
    const seen = finals(ops).map((op) => `${op.node}/${String(op.key)}`).sort();
    expect(seen).toEqual(NODES.flatMap((n) => [0, 1, 2].map((k) => `${n}/${k}`)));
  });
});

describe('register', () => {
  const w = getWorkload('register');

  it('writes each value once across the test, with reads, writes and cas mixed', () => {
    for (const keys of [0, 4]) {
      const ops = run(w, kvSystem('register'), { mainOps: 600, options: { keys } });
      const inv = invocations(ops);
      const written = inv.filter((op) => op.f === 'write' || op.f === 'cas').map((op) => (op.f === 'cas' ? (op.value as unknown[])[1] : op.value));
      expect(new Set(written).size).toBe(written.length);
      const fs = new Set(inv.map((op) => op.f));
      expect(fs).toEqual(new Set(['read', 'write', 'cas']));
      if (keys === 0) expect(inv.every((op) => !('key' in op))).toBe(true);
      else expect(new Set(inv.map((op) => op.key))).toEqual(new Set([0, 1, 2, 3]));
    }
  });

  it('some cas ops succeed: they expect the value last seen', () => {
    const ops = run(w, kvSystem('register'), { mainOps: 600 });
    expect(ops.filter((op) => op.f === 'cas' && op.type === 'ok').length).toBeGreaterThan(5);
  });

  it('a correct store is linearizable, single and keyed', async () => {
    for (const keys of [0, 3]) {
      const { result } = await runAndCheck(w, kvSystem('register'), { mainOps: 500, options: { keys } });
      expect(result.valid, JSON.stringify(result.explanation)).toBe(true);
      expect(Object.keys(result)).toEqual(expect.arrayContaining(['linearizable', 'staleness', 'stats', 'perf']));
    }
  });

  it('without cas it checks the plain register model', async () => {
    const { ops, result } = await runAndCheck(w, kvSystem('register'), { mainOps: 300, options: { cas: 0 } });
    expect(invocations(ops).some((op) => op.f === 'cas')).toBe(false);
    expect(result.valid).toBe(true);
  });

  it('a stale read is not linearizable', async () => {
    let previous: unknown = null;
    let reads = 0;
    const system = kvSystem('register', (op, kv, apply) => {
      const k = storeKey('register', op.key);
      if (op.f === 'write' || op.f === 'cas') {
        const before = kv.get(k) ?? null;
        const reply = apply();
        if (reply.type === 'ok') previous = before;
        return reply;
      }
      if (op.f === 'read' && op.final !== true && ++reads % 10 === 0) return { type: 'ok', value: previous };
      return undefined;
    });
    const { result } = await runAndCheck(w, system, { mainOps: 400 });
    expect(result.valid).toBe(false);
    expect(sub(result, 'linearizable').valid).toBe(false);
  });

  it('a lost write is not linearizable', async () => {
    let writes = 0;
    const system = kvSystem('register', (op) => (op.f === 'write' && ++writes % 5 === 0 ? { type: 'ok', value: op.value } : undefined));
    const { result } = await runAndCheck(w, system, { mainOps: 400, options: { keys: 2 } });
    expect(sub(result, 'linearizable').valid).toBe(false);
  });

  it('final reads that disagree are reported by staleness', async () => {
    const system = kvSystem('register', (op) => (op.final === true && op.node === 'n3' ? { type: 'ok', value: null } : undefined));
    const { result } = await runAndCheck(w, system, { mainOps: 200 });
    expect(sub(result, 'staleness').valid).toBe(false);
  });
});

describe('set', () => {
  const w = getWorkload('set');

  it('adds unique elements and reads', async () => {
    const { ops, result } = await runAndCheck(w, kvSystem('set'), { mainOps: 400 });
    const adds = invocations(ops).filter((op) => op.f === 'add').map((op) => op.value);
    expect(new Set(adds).size).toBe(adds.length);
    expect(invocations(ops).filter((op) => op.f === 'read' && op.final !== true).length).toBeGreaterThan(40);
    expect(result.valid, String(result.explanation)).toBe(true);
    expect(sub(result, 'set-full').valid).toBe(true);
  });

  it('a dropped add is lost', async () => {
    const system = kvSystem('set', (op) => (op.f === 'add' && op.value === 30 ? { type: 'ok', value: op.value } : undefined));
    const { result } = await runAndCheck(w, system, { mainOps: 400 });
    expect(result.valid).toBe(false);
    expect(sub(result, 'set-full')).toMatchObject({ valid: false, lostCount: 1, lost: [30] });
  });

  it('with the linearizable option a slow add is invalid too', async () => {
    // Element 30 is acknowledged at once but applied only with element 70: reads in between miss it.
    const system = kvSystem('set', (op, kv, apply) => {
      if (op.f === 'add' && op.value === 30) return { type: 'ok', value: 30 };
      if (op.f === 'add' && op.value === 70) applyOp(kv, { f: 'add', value: 30 });
      return apply();
    });
    const lenient = await runAndCheck(w, system, { mainOps: 400 });
    expect(sub(lenient.result, 'set-full').valid).toBe(true);
    const strict = await check(w, lenient.ops, { options: { linearizable: true } });
    expect(sub(strict, 'set-full').valid).toBe(false);
  });
});

describe('counter', () => {
  const w = getWorkload('counter');

  it('adds small positive increments by default, either sign with negative', () => {
    const inc = (options: Record<string, unknown>) =>
      invocations(run(w, kvSystem('counter'), { mainOps: 300, options })).filter((op) => op.f === 'add').map((op) => op.value as number);
    const pos = inc({});
    expect(pos.every((v) => v >= 1 && v <= 5)).toBe(true);
    const both = inc({ negative: true, maxIncrement: 3 });
    expect(both.every((v) => v !== 0 && Math.abs(v) <= 3)).toBe(true);
    expect(both.some((v) => v < 0)).toBe(true);
  });

  it('a correct counter is valid, with or without decrements', async () => {
    for (const negative of [false, true]) {
      const { result } = await runAndCheck(w, kvSystem('counter'), { mainOps: 400, options: { negative } });
      expect(result.valid, String(result.explanation)).toBe(true);
    }
  });

  it('a dropped add makes later reads too low', async () => {
    let adds = 0;
    const system = kvSystem('counter', (op) => (op.f === 'add' && ++adds === 20 ? { type: 'ok', value: op.value } : undefined));
    const { result } = await runAndCheck(w, system, { mainOps: 400 });
    expect(sub(result, 'counter').valid).toBe(false);
    expect(sub(result, 'counter').errorCount).toBeGreaterThan(0);
  });
});

describe('bank', () => {
  const w = getWorkload('bank');

  it('sets the accounts up with one init, then transfers between two different accounts', () => {
    const ops = run(w, kvSystem('bank'), { mainOps: 300, options: { accounts: 4, balance: 20, maxTransfer: 7 } });
    const inv = invocations(ops);
    expect(inv[0]).toMatchObject({ f: 'init', process: 0, value: { accounts: [0, 1, 2, 3], balance: 20 } });
    expect(inv.filter((op) => op.f === 'init').length).toBe(1);
    for (const op of inv.filter((x) => x.f === 'transfer')) {
      const t = op.value as { from: number; to: number; amount: number };
      expect(t.from).not.toBe(t.to);
      expect(t.amount >= 1 && t.amount <= 7).toBe(true);
    }
  });

  it('a correct bank keeps its total', async () => {
    const { ops, result } = await runAndCheck(w, kvSystem('bank'), { mainOps: 400 });
    expect(ops.some((op) => op.f === 'transfer' && op.type === 'ok')).toBe(true);
    expect(result.valid, String(result.explanation)).toBe(true);
  });

  it('a transfer that debits without crediting loses money', async () => {
    let transfers = 0;
    const system = kvSystem('bank', (op, kv) => {
      if (op.f !== 'transfer' || ++transfers !== 15) return undefined;
      const t = op.value as { from: number; amount: number };
      const k = storeKey('account', t.from);
      const b = kv.get(k) as number;
      if (b < t.amount) return undefined;
      kv.set(k, b - t.amount);
      return { type: 'ok', value: op.value };
    });
    const { result } = await runAndCheck(w, system, { mainOps: 400 });
    expect(sub(result, 'bank').valid).toBe(false);
    expect(String(sub(result, 'bank').explanation)).toMatch(/total/);
  });
});

describe('list-append and rw-register', () => {
  for (const [name, write] of [['list-append', 'append'], ['rw-register', 'w']] as const) {
    const w = getWorkload(name);

    it(`${name}: transactions of 1 … maxTxnLength micro-ops, values unique per key, keys retired after maxWritesPerKey`, () => {
      const ops = run(w, kvSystem(name), { mainOps: 400, options: { maxTxnLength: 3, maxWritesPerKey: 8 } });
      const txns = invocations(ops).map((op) => op.value as [string, number, unknown][]);
      const perKey = new Map<number, unknown[]>();
      for (const t of txns) {
        expect(t.length >= 1 && t.length <= 3).toBe(true);
        for (const [f, k, v] of t) {
          expect([write, 'r']).toContain(f);
          if (f === write) perKey.set(k, [...(perKey.get(k) ?? []), v]);
        }
      }
      for (const vs of perKey.values()) {
        expect(new Set(vs).size).toBe(vs.length);
        expect(vs.length).toBeLessThanOrEqual(8);
      }
      expect(perKey.size).toBeGreaterThan(5); // fresh keys replaced full ones
    });

    it(`${name}: a correct store is strict serializable`, async () => {
      const { result } = await runAndCheck(w, kvSystem(name), { mainOps: 400 });
      expect(result.valid, String(result.explanation)).toBe(true);
      expect(sub(result, name).valid).toBe(true);
    });

    it(`${name}: reads from an old snapshot are not strict serializable`, async () => {
      // Every 4th transaction that only reads is served from the state as it was 20 txns ago.
      const snapshots: Map<string, unknown>[] = [];
      let txns = 0;
      const system = kvSystem(name, (op, kv, apply) => {
        const micro = op.value as [string, unknown, unknown][];
        const readOnly = micro.every((m) => m[0] === 'r');
        txns++;
        if (!readOnly || txns % 4 !== 0 || snapshots.length < 20) {
          snapshots.push(new Map(system.kv.map));
          return apply();
        }
        const old = snapshots[snapshots.length - 20];
        const kind = name === 'list-append' ? 'list' : 'register';
        return { type: 'ok', value: micro.map(([f, k]) => [f, k, old.get(storeKey(kind, k)) ?? null]) };
      });
      const { result } = await runAndCheck(w, system, { mainOps: 400 });
      expect(sub(result, name).valid).toBe(false);
      expect(sub(result, name).anomalyTypes).toEqual(expect.arrayContaining([expect.stringMatching(/realtime|G-single|G2/)]));
    });

    it(`${name}: the checker takes the consistency models from the options`, async () => {
      const ops = run(w, kvSystem(name), { mainOps: 100 });
      const result = await check(w, ops, { options: { consistencyModels: ['read-committed'] } });
      expect(sub(result, name)).toMatchObject({ valid: true, models: ['read-committed'] });
    });
  }
});

describe('queue', () => {
  const w = getWorkload('queue');

  it('enqueues unique elements, dequeues, and drains on every node at the end', async () => {
    const { ops, result } = await runAndCheck(w, kvSystem('queue'), { mainOps: 400 });
    const enq = invocations(ops).filter((op) => op.f === 'enqueue').map((op) => op.value);
    expect(new Set(enq).size).toBe(enq.length);
    expect(finals(ops).map((op) => op.f)).toEqual(['drain', 'drain', 'drain']);
    expect(result.valid, String(result.explanation)).toBe(true);
  });

  it('a lost enqueue is reported lost', async () => {
    const system = kvSystem('queue', (op) => (op.f === 'enqueue' && op.value === 25 ? { type: 'ok', value: 25 } : undefined));
    const { result } = await runAndCheck(w, system, { mainOps: 400 });
    expect(sub(result, 'total-queue').valid).toBe(false);
    expect(String(sub(result, 'total-queue').explanation)).toMatch(/25 was enqueued ok .* lost/);
  });

  it('an element dequeued twice is duplicated', async () => {
    let dequeues = 0;
    let taken: unknown;
    const system = kvSystem('queue', (op, kv) => {
      if (op.f !== 'dequeue' || ++dequeues !== 30) return undefined;
      const q = kv.get(storeKey('queue', undefined)) as unknown[] | undefined;
      taken = q?.[0];
      return q && q.length > 0 ? { type: 'ok', value: q[0] } : undefined; // taken, but left in the queue
    });
    const { result } = await runAndCheck(w, system, { mainOps: 400, seed: 4 });
    expect(taken).toBeDefined();
    expect(sub(result, 'total-queue').valid).toBe(false);
    expect(String(sub(result, 'total-queue').explanation)).toMatch(new RegExp(`^${taken} was dequeued twice`));
  });
});

describe('unique-ids', () => {
  const w = getWorkload('unique-ids');

  it('a store that counts gives unique ids', async () => {
    const { ops, result } = await runAndCheck(w, kvSystem('unique-ids'), { mainOps: 300 });
    expect(new Set(invocations(ops).map((op) => op.f))).toEqual(new Set(['generate']));
    expect(result.valid).toBe(true);
  });

  it('handing out an id twice is a duplicate', async () => {
    let n = 0;
    const system = kvSystem('unique-ids', (op, kv, apply) => {
      if (++n !== 50) return undefined;
      const reply = apply();
      kv.set(storeKey('ids', undefined), (reply.value as number) - 1);
      return reply;
    });
    const { result } = await runAndCheck(w, system, { mainOps: 300 });
    expect(sub(result, 'unique-ids').valid).toBe(false);
    expect(String(sub(result, 'unique-ids').explanation)).toMatch(/generated twice/);
  });
});

describe('CRDT workloads', () => {
  for (const type of ['g-counter', 'pn-counter', 'or-set'] as const) {
    const w = getWorkload(type);

    it(`${type}: replicas that join after the heal converge`, async () => {
      const { ops, result } = await runAndCheck(w, crdtSystem(type), { mainOps: 400 });
      expect(finals(ops).map((op) => [op.f, op.node])).toEqual(NODES.map((n) => ['read', n]));
      expect(result.valid, String(result.explanation)).toBe(true);
      expect(sub(result, 'convergence').valid).toBe(true);
    });

    it(`${type}: a replica cut off for good diverges`, async () => {
      const { result } = await runAndCheck(w, crdtSystem(type, { isolated: ['n3'] }), { mainOps: 400 });
      expect(sub(result, 'convergence').valid).toBe(false);
      expect(sub(result, 'convergence').agree).toBe(false);
    });
  }

  it('g-counter adds only positive increments; pn-counter both signs', () => {
    const incs = (name: string) =>
      invocations(run(getWorkload(name), crdtSystem(name as 'g-counter'), { mainOps: 200 }))
        .filter((op) => op.f === 'add')
        .map((op) => op.value as number);
    expect(incs('g-counter').every((v) => v > 0)).toBe(true);
    expect(incs('pn-counter').some((v) => v < 0)).toBe(true);
    expect(incs('pn-counter').some((v) => v > 0)).toBe(true);
  });

  it('or-set adds unique elements and removes ones already added', () => {
    const inv = invocations(run(getWorkload('or-set'), crdtSystem('or-set'), { mainOps: 400 }));
    const adds = inv.filter((op) => op.f === 'add').map((op) => op.value as number);
    expect(new Set(adds).size).toBe(adds.length);
    const removes = inv.filter((op) => op.f === 'remove');
    expect(removes.length).toBeGreaterThan(20);
    for (const r of removes) expect(adds.slice(0, adds.indexOf(r.value as number) + 1)).toContain(r.value);
  });

  it('or-set: an acknowledged add that no replica kept is lost', async () => {
    const system = crdtSystem('or-set', { dropAdd: (op) => op.f === 'add' && op.value === 301 });
    const { ops, result } = await runAndCheck(getWorkload('or-set'), system, { mainOps: 600, options: { removes: 0 } });
    expect(ops.some((op) => op.f === 'add' && op.value === 301 && op.type === 'ok')).toBe(true);
    expect(sub(result, 'convergence').valid).toBe(false);
    expect(String(sub(result, 'convergence').explanation)).toMatch(/301/);
  });

  it('g-counter: a dropped increment makes the converged count too low', async () => {
    let adds = 0;
    const system = crdtSystem('g-counter', { dropAdd: (op) => op.f === 'add' && ++adds === 10 });
    const { result } = await runAndCheck(getWorkload('g-counter'), system, { mainOps: 300 });
    expect(sub(result, 'convergence').valid).toBe(false);
  });
});
