// The built-in store's node-side pieces that need no running server: the durable store, the
// hybrid logical clock, addresses, node config validation, and the client's error mapping.
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress, parseAddress } from '../base/address.js';
import { BuiltinClient } from '../targets/builtin/client.js';
import { compareStamps, HybridClock } from '../targets/builtin/hlc.js';
import { validateNodeConfig, parseNodeConfigArg } from '../targets/builtin/node-config.js';
import { configureWorkload } from '../targets/builtin/state-machine.js';
import { DurableStore } from '../targets/builtin/store.js';

const root = mkdtempSync(join(tmpdir(), 'fl-store-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  configureWorkload(undefined);
});

describe('DurableStore', () => {
  it('recovers applied ops, replicated writes and versions after reopening, and compacts', () => {
    configureWorkload('set');
    const dir = join(root, 'a');
    const s = new DurableStore(dir);
    expect(s.apply({ f: 'add', key: 's', value: 2 }, { index: 1 }).writes).toEqual([['set:"s"', [2]]]);
    s.apply({ f: 'add', key: 's', value: 1 }, { index: 2, version: [5, 0, 1] });
    expect(s.apply({ f: 'read', key: 's', value: null })).toEqual({ reply: { type: 'ok', value: [1, 2] }, writes: [] });
    s.write([['register:"r"', 'v', [9, 1, 0]]]);
    s.apply({ f: 'generate', value: null }, { node: 'n2' });
    expect(s.index).toBe(2);
    s.close();
    expect(readFileSync(join(dir, 'state.jsonl'), 'utf8').trim().split('\n')).toHaveLength(5); // the opening snapshot and four changes

    const t = new DurableStore(dir);
    expect(t.get('set:"s"')).toEqual([1, 2]);
    expect(t.get('register:"r"')).toBe('v');
    expect(t.version('register:"r"')).toEqual([9, 1, 0]);
    expect(t.version('set:"s"')).toEqual([5, 0, 1]);
    expect(t.get('ids:null#n2')).toBe(1);
    expect(t.index).toBe(2);
    // Opening rewrote the file as one snapshot line.
    expect(readFileSync(join(dir, 'state.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    t.close();
    const u = new DurableStore(dir);
    expect([...u.entries()]).toEqual([...new DurableStore(dir).entries()]);
    expect(u.get('set:"s"')).toEqual([1, 2]);
    u.close();
  });

  it('failed ops and reads write nothing; reset replaces everything', () => {
    const dir = join(root, 'b');
    const s = new DurableStore(dir);
    s.apply({ f: 'write', key: 'x', value: 1 }, { index: 1 });
    expect(s.apply({ f: 'cas', key: 'x', value: [2, 3] }, { index: 2 }).reply).toEqual({ type: 'fail', error: 'mismatch' });
    expect(s.index).toBe(1);
    s.reset([['register:"y"', 5]], 10);
    s.close();
    const t = new DurableStore(dir);
    expect([...t.keys()]).toEqual(['register:"y"']);
    expect(t.index).toBe(10);
    t.close();
  });

  it('skips a torn final line', () => {
    const dir = join(root, 'c');
    const s = new DurableStore(dir);
    s.apply({ f: 'write', key: 'x', value: 1 });
    s.close();
    appendFileSync(join(dir, 'state.jsonl'), '{"op":{"f":"wri');
    const t = new DurableStore(dir);
    expect(t.skippedLines).toBe(1);
    expect(t.get('register:"x"')).toBe(1);
    t.close();
  });

  it('without a dir it keeps state in memory only', () => {
    const s = new DurableStore();
    s.apply({ f: 'write', value: 1 });
    expect(s.get('register:null')).toBe(1);
  });
});

describe('HybridClock', () => {
  it('never goes backwards, moves past what it observes, and breaks ties by node', () => {
    let wall = 100;
    const c = new HybridClock(() => wall, 1);
    const a = c.tick();
    wall = 50; // the wall clock stepped back
    const b = c.tick();
    expect(compareStamps(b, a)).toBeGreaterThan(0);
    c.observe([500, 3, 2]);
    const d = c.tick();
    expect(d).toEqual([500, 4, 1]);
    expect(compareStamps([500, 4, 2], d)).toBeGreaterThan(0);
    wall = 900;
    expect(c.tick()).toEqual([900, 0, 1]);
  });
});

describe('addresses', () => {
  it('parse and format unix and tcp addresses', () => {
    expect(parseAddress('unix:/tmp/x.sock')).toEqual({ kind: 'unix', path: '/tmp/x.sock' });
    expect(parseAddress('tcp:127.0.0.1:7000')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 7000 });
    expect(parseAddress('tcp:[::1]:80')).toEqual({ kind: 'tcp', host: '::1', port: 80 });
    for (const a of ['unix:/a/b', 'tcp:localhost:1', 'tcp:[::1]:2']) expect(formatAddress(parseAddress(a))).toBe(a);
  });

  it('refuse bad ones with the reason', () => {
    expect(() => parseAddress('unix:rel.sock')).toThrow(/absolute/);
    expect(() => parseAddress(`unix:/${'x'.repeat(120)}`)).toThrow(/shorter than 100 bytes/);
    expect(() => parseAddress('tcp:host')).toThrow(/tcp:HOST:PORT/);
    expect(() => parseAddress('tcp:h:99999')).toThrow(/tcp:HOST:PORT/);
    expect(() => parseAddress('http://x')).toThrow(/unix:\/PATH or tcp:HOST:PORT/);
  });
});

describe('node config', () => {
  const good = {
    self: 'n1',
    mode: 'sharded',
    options: { vnodes: 8 },
    nodes: [
      { name: 'n1', client: 'unix:/tmp/c1', peer: 'tcp:127.0.0.1:9001' },
      { name: 'n2', client: 'unix:/tmp/c2', peer: 'tcp:127.0.0.1:9002' },
    ],
    dataDir: '/tmp/data/n1',
    parentPid: 1,
  };

  it('accepts a good config, inline or from a file', () => {
    expect(validateNodeConfig(good)).toEqual(good);
    expect(parseNodeConfigArg(JSON.stringify(good)).self).toBe('n1');
    const file = join(root, 'node.json');
    appendFileSync(file, JSON.stringify(good));
    expect(parseNodeConfigArg(file).mode).toBe('sharded');
  });

  it('says what is wrong', () => {
    const bad = (patch: Record<string, unknown>) => () => validateNodeConfig({ ...good, ...patch });
    expect(bad({ self: 'n3' })).toThrow(/self must name one of the nodes \(n1, n2\)/);
    expect(bad({ mode: 'paxos' })).toThrow(/mode must be one of/);
    expect(bad({ nodes: [] })).toThrow(/nodes must be a non-empty list/);
    expect(bad({ nodes: [good.nodes[0], { ...good.nodes[1], peer: 'x' }] })).toThrow(/nodes\[1\]\.peer/);
    expect(bad({ nodes: [good.nodes[0], good.nodes[0]] })).toThrow(/repeats n1/);
    expect(bad({ dataDir: 'rel' })).toThrow(/dataDir must be an absolute path/);
    expect(bad({ options: { replicationDelayMs: -1 } })).toThrow(/options.replicationDelayMs/);
    expect(bad({ extra: 1 })).toThrow(/extra is not a node config field/);
    expect(() => parseNodeConfigArg('{nope')).toThrow(/not JSON/);
    expect(() => parseNodeConfigArg(join(root, 'missing.json'))).toThrow(/cannot read/);
    expect(() => parseNodeConfigArg(undefined)).toThrow(/usage/);
  });
});

describe('BuiltinClient error mapping', () => {
  const op = { index: 0, type: 'invoke' as const, process: 0, f: 'write', key: 'x', value: 1 };

  it('a node that is not there: the op certainly did not happen (fail)', async () => {
    const c = new BuiltinClient('n1', `unix:${join(root, 'nobody.sock')}`);
    await c.open();
    const r = await c.invoke(op);
    expect(r).toMatchObject({ type: 'fail', f: 'write', key: 'x', value: 1, index: 0, process: 0 });
    expect(String(r.error)).toMatch(/^n1: .*ENOENT/);
    await c.close();
  });

  it('a connection refused on TCP: fail', async () => {
    // Port 1 on loopback: nothing listens there without root.
    const c = new BuiltinClient('n2', 'tcp:127.0.0.1:1');
    const r = await c.invoke(op);
    expect(r.type).toBe('fail');
    expect(String(r.error)).toMatch(/ECONNREFUSED/);
    await c.close();
  });

  it('an op aborted by the caller before it was sent is not claimed to have happened', async () => {
    const c = new BuiltinClient('n1', `unix:${join(root, 'nobody.sock')}`);
    const r = await c.invoke(op, { signal: AbortSignal.abort() });
    expect(r.type).toBe('fail');
    await c.close();
  });
});
