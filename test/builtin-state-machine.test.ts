import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryKv, StagedKv } from '../targets/builtin/kv.js';
import {
  applyOp,
  compareElements,
  configureWorkload,
  isReadOnly,
  isWildcard,
  keyKind,
  scopedIdsKey,
  setWith,
  storeKey,
  storeKeys,
  userKey,
  wildcardKey,
  type KvView,
} from '../targets/builtin/state-machine.js';
import type { OpRequest } from '../targets/builtin/mode.js';

const op = (f: string, value: unknown = null, key?: unknown): OpRequest => (key === undefined ? { f, value } : { f, key, value });

function run(kv: KvView, ...reqs: OpRequest[]) {
  return reqs.map((r) => applyOp(kv, r));
}

afterEach(() => {
  configureWorkload(undefined);
});

describe('store keys', () => {
  it('encode kind and canonical JSON key; keyKind and userKey invert them', () => {
    expect(storeKey('register', 'x')).toBe('register:"x"');
    expect(storeKey('set', undefined)).toBe('set:null');
    expect(storeKey('counter', { b: 1, a: [2] })).toBe('counter:{"a":[2],"b":1}');
    expect(storeKey('register', 1)).not.toBe(storeKey('register', '1'));
    expect(keyKind('list:3')).toBe('list');
    expect(keyKind(wildcardKey('account'))).toBe('account');
    expect(userKey(storeKey('queue', { k: [1, 'a'] }))).toEqual({ k: [1, 'a'] });
    expect(() => keyKind('nope:1')).toThrow(/not a store key/);
    expect(() => keyKind('plain')).toThrow(/not a store key/);
  });

  it('storeKeys names what each op touches', () => {
    expect(storeKeys(op('write', 1, 'x'))).toEqual(['register:"x"']);
    expect(storeKeys(op('read'))).toEqual(['register:null']);
    expect(storeKeys(op('enqueue', 1, 'q'))).toEqual(['queue:"q"']);
    expect(storeKeys(op('generate'))).toEqual(['ids:null']);
    expect(storeKeys(op('scan'))).toEqual(['register:*']);
    expect(isWildcard(storeKeys(op('scan'))[0])).toBe(true);
    expect(isWildcard('register:"*"')).toBe(false);
    expect(storeKeys(op('init', { accounts: [1, 2], balance: 5 }))).toEqual(['account:1', 'account:2']);
    expect(storeKeys(op('transfer', { from: 1, to: 2, amount: 1 }))).toEqual(['account:1', 'account:2']);
    expect(storeKeys(op('txn', [['append', 1, 5], ['r', 2, null], ['append', 1, 6]]))).toEqual(['list:1', 'list:2']);
    expect(storeKeys(op('txn', [['w', 1, 5], ['r', 2, null]]))).toEqual(['register:1', 'register:2']);
    expect(storeKeys(op('txn', 'garbage'))).toEqual([]);
    expect(storeKeys(op('frobnicate'))).toEqual([]);
  });

  it('isReadOnly: reads, scans and read-only txns', () => {
    expect(isReadOnly(op('read'))).toBe(true);
    expect(isReadOnly(op('scan'))).toBe(true);
    expect(isReadOnly(op('txn', [['r', 1, null]]))).toBe(true);
    expect(isReadOnly(op('txn', [['r', 1, null], ['w', 1, 2]]))).toBe(false);
    for (const f of ['write', 'cas', 'add', 'enqueue', 'dequeue', 'drain', 'generate', 'init', 'transfer']) expect(isReadOnly(op(f))).toBe(false);
  });
});

describe('register', () => {
  it('read, write, cas', () => {
    const kv = new MemoryKv();
    expect(run(kv, op('read', null, 'x'), op('write', 3, 'x'), op('read', null, 'x'), op('read'))).toEqual([
      { type: 'ok', value: null },
      { type: 'ok', value: 3 },
      { type: 'ok', value: 3 },
      { type: 'ok', value: null },
    ]);
    expect(applyOp(kv, op('cas', [3, 4], 'x'))).toEqual({ type: 'ok', value: [3, 4] });
    expect(applyOp(kv, op('cas', [3, 5], 'x'))).toEqual({ type: 'fail', error: 'mismatch' });
    expect(applyOp(kv, op('cas', [null, 1], 'y'))).toEqual({ type: 'ok', value: [null, 1] });
    expect(applyOp(kv, op('cas', [{ b: 1, a: 2 }, 0], 'z'))).toEqual({ type: 'fail', error: 'mismatch' });
    applyOp(kv, op('write', { a: 2, b: 1 }, 'z'));
    expect(applyOp(kv, op('cas', [{ b: 1, a: 2 }, 0], 'z')).type).toBe('ok');
    expect(applyOp(kv, op('read', null, 'x'))).toEqual({ type: 'ok', value: 4 });
  });

  it('a malformed cas fails with the reason', () => {
    const r = applyOp(new MemoryKv(), op('cas', 3));
    expect(r.type).toBe('fail');
    expect(String(r.error)).toMatch(/cas takes \[expected, new\]/);
  });

  it('scan lists every register', () => {
    const kv = new MemoryKv();
    run(kv, op('write', 1, 'b'), op('write', 2, 'a'), op('write', 3, 7), op('write', 4));
    configureWorkload('set');
    applyOp(kv, op('add', 1, 'a'));
    expect(applyOp(kv, op('scan'))).toEqual({ type: 'ok', value: { 7: 3, a: 2, b: 1, null: 4 } });
    expect(applyOp({ get: () => undefined, set: () => undefined }, op('scan')).error).toMatch(/list its keys/);
  });
});

describe('set and counter (read and add mean what the workload says)', () => {
  it('set: adds kept sorted and deduplicated', () => {
    configureWorkload('set');
    const kv = new MemoryKv();
    expect(applyOp(kv, op('read'))).toEqual({ type: 'ok', value: [] });
    run(kv, op('add', 3), op('add', 1), op('add', 'b'), op('add', 2), op('add', 1), op('add', 'a'), op('add', [1]));
    expect(applyOp(kv, op('read'))).toEqual({ type: 'ok', value: [1, 2, 3, 'a', 'b', [1]] });
    expect(applyOp(kv, op('add', 9, 's2'))).toEqual({ type: 'ok', value: 9 });
    expect(applyOp(kv, op('read', null, 's2')).value).toEqual([9]);
  });

  it('counter: adds (negative too), reads 0 when never added to', () => {
    configureWorkload('counter');
    const kv = new MemoryKv();
    expect(applyOp(kv, op('read', null, 'c'))).toEqual({ type: 'ok', value: 0 });
    run(kv, op('add', 5, 'c'), op('add', -2, 'c'));
    expect(applyOp(kv, op('read', null, 'c'))).toEqual({ type: 'ok', value: 3 });
    const bad = applyOp(kv, op('add', 'x', 'c'));
    expect(bad.type).toBe('fail');
    expect(String(bad.error)).toMatch(/counter add takes a number/);
    expect(storeKeys(op('add', 1, 'c'))).toEqual(['counter:"c"']);
  });

  it('set and counter data never collide with registers', () => {
    const kv = new MemoryKv();
    applyOp(kv, op('write', 'reg'));
    configureWorkload('counter');
    applyOp(kv, op('add', 1));
    configureWorkload('set');
    applyOp(kv, op('add', 1));
    expect([...kv.keys()].sort()).toEqual(['counter:null', 'register:null', 'set:null']);
  });

  it('unknown workload names are reported and leave the defaults', () => {
    expect(configureWorkload('nope')).toBe(false);
    expect(configureWorkload('queue')).toBe(true);
    expect(storeKeys(op('add', 1))).toEqual(['set:null']);
  });
});

describe('bank', () => {
  it('init, transfer, read', () => {
    configureWorkload('bank');
    const kv = new MemoryKv();
    expect(applyOp(kv, op('read'))).toEqual({ type: 'ok', value: {} });
    const init = { accounts: [0, 1, 2], balance: 10 };
    expect(applyOp(kv, op('init', init))).toEqual({ type: 'ok', value: init });
    expect(applyOp(kv, op('transfer', { from: 0, to: 1, amount: 4 })).type).toBe('ok');
    expect(applyOp(kv, op('transfer', { from: 2, to: 2, amount: 10 })).type).toBe('ok');
    // A second init does not reset existing accounts.
    applyOp(kv, op('init', init));
    expect(applyOp(kv, op('read'))).toEqual({ type: 'ok', value: { 0: 6, 1: 14, 2: 10 } });
    expect(storeKeys(op('read'))).toEqual([wildcardKey('account')]);
  });

  it('fails insufficient funds, unknown accounts and malformed values, changing nothing', () => {
    configureWorkload('bank');
    const kv = new MemoryKv();
    applyOp(kv, op('init', { accounts: ['a', 'b'], balance: 3 }));
    expect(applyOp(kv, op('transfer', { from: 'a', to: 'b', amount: 4 }))).toEqual({ type: 'fail', error: 'insufficient-funds' });
    expect(applyOp(kv, op('transfer', { from: 'a', to: 'zz', amount: 1 })).error).toMatch(/no-such-account: "zz"/);
    expect(applyOp(kv, op('transfer', { from: 'a', to: 'b', amount: -1 })).error).toMatch(/invalid-value/);
    expect(applyOp(kv, op('init', { accounts: 'a' })).error).toMatch(/invalid-value: init takes/);
    expect(applyOp(kv, op('read')).value).toEqual({ a: 3, b: 3 });
  });

  it('half transfers (sharded mode) withdraw and deposit', () => {
    configureWorkload('bank');
    const kv = new MemoryKv();
    applyOp(kv, op('init', { accounts: [1, 2], balance: 5 }));
    expect(applyOp(kv, op('transfer', { from: 1, amount: 6 })).error).toBe('insufficient-funds');
    expect(applyOp(kv, op('transfer', { from: 1, amount: 2 })).type).toBe('ok');
    expect(applyOp(kv, op('transfer', { to: 2, amount: 2 })).type).toBe('ok');
    expect(applyOp(kv, op('read')).value).toEqual({ 1: 3, 2: 7 });
    expect(storeKeys(op('transfer', { to: 2, amount: 2 }))).toEqual(['account:2']);
  });
});

describe('txn', () => {
  it('list-append: appends and reads, reads see earlier appends of the same txn', () => {
    configureWorkload('list-append');
    const kv = new MemoryKv();
    const r = applyOp(kv, op('txn', [['r', 'x', null], ['append', 'x', 1], ['append', 'x', 2], ['r', 'x', null], ['r', 'y', null]]));
    expect(r).toEqual({ type: 'ok', value: [['r', 'x', null], ['append', 'x', 1], ['append', 'x', 2], ['r', 'x', [1, 2]], ['r', 'y', null]] });
    expect(applyOp(kv, op('txn', [['r', 'x', null]])).value).toEqual([['r', 'x', [1, 2]]]);
  });

  it('rw-register: writes and reads', () => {
    configureWorkload('rw-register');
    const kv = new MemoryKv();
    applyOp(kv, op('txn', [['w', 1, 10], ['w', 2, 20]]));
    expect(applyOp(kv, op('txn', [['r', 1, null], ['w', 1, 11], ['r', 1, null], ['r', 3, null]])).value).toEqual([
      ['r', 1, 10],
      ['w', 1, 11],
      ['r', 1, 11],
      ['r', 3, null],
    ]);
  });

  it('without a workload, r reads registers in txns that w and lists otherwise', () => {
    const kv = new MemoryKv();
    applyOp(kv, op('txn', [['append', 1, 'a']]));
    applyOp(kv, op('txn', [['w', 1, 'b']]));
    expect(applyOp(kv, op('txn', [['r', 1, null]])).value).toEqual([['r', 1, ['a']]]);
    expect(applyOp(kv, op('txn', [['r', 1, null], ['w', 2, 0]])).value).toEqual([['r', 1, 'b'], ['w', 2, 0]]);
  });

  it('does not change the request it was given', () => {
    configureWorkload('list-append');
    const value = [['append', 'x', 1], ['r', 'x', null]];
    applyOp(new MemoryKv(), op('txn', value));
    expect(value).toEqual([['append', 'x', 1], ['r', 'x', null]]);
  });

  it('malformed txns fail with the reason', () => {
    const kv = new MemoryKv();
    expect(applyOp(kv, op('txn', 5)).error).toMatch(/list of \[f, key, value\]/);
    expect(applyOp(kv, op('txn', [['inc', 1, 1]])).error).toMatch(/unknown micro-op f "inc"/);
    expect(applyOp(kv, op('txn', [['r', 1]])).error).toMatch(/bad micro-op/);
  });
});

describe('queue', () => {
  it('enqueue, dequeue (null when empty), drain', () => {
    const kv = new MemoryKv();
    expect(applyOp(kv, op('dequeue'))).toEqual({ type: 'ok', value: null });
    run(kv, op('enqueue', 1), op('enqueue', 2), op('enqueue', 3), op('enqueue', 'other', 'q2'));
    expect(applyOp(kv, op('dequeue'))).toEqual({ type: 'ok', value: 1 });
    expect(applyOp(kv, op('drain'))).toEqual({ type: 'ok', value: [2, 3] });
    expect(applyOp(kv, op('drain'))).toEqual({ type: 'ok', value: [] });
    expect(applyOp(kv, op('dequeue', null, 'q2'))).toEqual({ type: 'ok', value: 'other' });
  });
});

describe('unique ids', () => {
  it('counts per key; a node-scoped view gives ids no other node can give', () => {
    const kv = new MemoryKv();
    expect(run(kv, op('generate'), op('generate'), op('generate', null, 'k')).map((r) => r.value)).toEqual([1, 2, 1]);
    const shared = new MemoryKv();
    const a = new StagedKv({ get: (k) => shared.get(k), keys: () => shared.keys() }, 'n1');
    const b = new StagedKv({ get: (k) => shared.get(k), keys: () => shared.keys() }, 'n2');
    expect([applyOp(a, op('generate')).value, applyOp(b, op('generate')).value]).toEqual(['n1-1', 'n2-1']);
    expect([...a.writes.keys()]).toEqual([scopedIdsKey(null, 'n1')]);
  });
});

describe('unknown ops', () => {
  it('fail with a clear error', () => {
    const r = applyOp(new MemoryKv(), op('frobnicate'));
    expect(r.type).toBe('fail');
    expect(r.error).toMatch(/unknown-op: the built-in store has no op f="frobnicate"/);
  });
});

describe('staging and determinism', () => {
  it('a staged op leaves the base alone until committed', () => {
    const base = new MemoryKv();
    applyOp(base, op('enqueue', 1));
    const staged = new StagedKv(base);
    applyOp(staged, op('enqueue', 2));
    expect(base.get('queue:null')).toEqual([1]);
    expect(staged.entries()).toEqual([['queue:null', [1, 2]]]);
    expect([...staged.keys()]).toEqual(['queue:null']);
  });

  it('the same ops from the same state give the same results and state', () => {
    configureWorkload('set');
    const reqs = fc.array(
      fc.oneof(
        fc.record({ f: fc.constant('add'), key: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 0, max: 9 }) }),
        fc.record({ f: fc.constant('read'), key: fc.integer({ min: 0, max: 2 }), value: fc.constant(null) }),
        fc.record({ f: fc.constant('enqueue'), key: fc.constant(0), value: fc.integer() }),
        fc.record({ f: fc.constant('dequeue'), key: fc.constant(0), value: fc.constant(null) }),
        fc.record({ f: fc.constant('cas'), key: fc.constant(0), value: fc.tuple(fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 2 })), fc.integer({ min: 0, max: 2 })) }),
      ),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(reqs, (rs) => {
        const a = new MemoryKv();
        const b = new MemoryKv();
        expect(rs.map((r) => applyOp(a, r))).toEqual(rs.map((r) => applyOp(b, r)));
        expect([...a.map]).toEqual([...b.map]);
      }),
    );
  });

  it('set order: numbers, then strings, then the rest; setWith keeps it', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 2 }), fc.constant(null))), (xs) => {
        let s: readonly unknown[] = [];
        for (const x of xs) s = setWith(s, x);
        for (let i = 1; i < s.length; i++) expect(compareElements(s[i - 1], s[i])).toBeLessThan(0);
        expect(s.length).toBe(new Set(xs.map((x) => JSON.stringify(x))).size);
      }),
    );
  });
});
