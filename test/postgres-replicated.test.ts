// The pieces of replicated PostgreSQL that need no server: the register and set ops in SQL, how
// the primary is picked from Patroni's answers (and asked of a fake REST API over a unix socket),
// and how --target postgres --replicas N maps onto the described system postgres-patroni.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Op } from '../histories/op.js';
import { resolveConfig } from '../runner/config.js';
import { PrimaryFinder, primaryOf } from '../targets/postgres/patroni.js';
import { createSingleTablesSql, planSingleOp } from '../targets/postgres/single-ops.js';

const op = (f: string, value: unknown, key?: unknown): Op => ({ index: 0, type: 'invoke', process: 0, f, value, ...(key === undefined ? {} : { key }) });

describe('register and set ops in SQL', () => {
  it('plans each op, says which only read, and reads results back', () => {
    const read = planSingleOp('register', op('read', null, 2));
    if (typeof read === 'string') throw new Error(read);
    expect(read.readOnly).toBe(true);
    expect(read.statement.values).toEqual(['2']);
    expect(read.outcome([], 0)).toEqual({ type: 'ok', value: null });
    expect(read.outcome([{ v: 7 }], 1)).toEqual({ type: 'ok', value: 7 });
    const w = planSingleOp('register', op('write', 5));
    if (typeof w === 'string') throw new Error(w);
    expect(w.readOnly).toBe(false);
    expect(w.statement.values).toEqual(['null', '5']);
    const cas = planSingleOp('register', op('cas', [1, 2]));
    if (typeof cas === 'string') throw new Error(cas);
    expect(cas.statement.text).toMatch(/^UPDATE registers SET v = \$3::jsonb WHERE k = \$1 AND v = \$2::jsonb$/);
    expect(cas.outcome([], 1)).toEqual({ type: 'ok', value: [1, 2] });
    expect(cas.outcome([], 0)).toEqual({ type: 'fail', error: 'mismatch' });
    const fromNull = planSingleOp('register', op('cas', [null, 2]));
    if (typeof fromNull === 'string') throw new Error(fromNull);
    expect(fromNull.statement.text).toMatch(/ON CONFLICT \(k\) DO NOTHING/);
    expect(planSingleOp('register', op('cas', 3))).toMatch(/cas takes \[expected, new\]/);
    expect(planSingleOp('register', op('add', 3))).toMatch(/register takes read, write and cas/);
    const add = planSingleOp('set', op('add', 4));
    if (typeof add === 'string') throw new Error(add);
    expect(add.statement.text).toMatch(/ON CONFLICT DO NOTHING/);
    const sread = planSingleOp('set', op('read', null));
    if (typeof sread === 'string') throw new Error(sread);
    expect(sread.outcome([{ x: 3 }, { x: 1 }, { x: 2 }], 3)).toEqual({ type: 'ok', value: [1, 2, 3] });
    expect(planSingleOp('set', op('write', 1))).toMatch(/set takes add and read/);
    expect(createSingleTablesSql().match(/CREATE TABLE IF NOT EXISTS/g)).toHaveLength(2);
  });
});

describe('the primary, from Patroni', () => {
  it('is the running node that calls itself primary, the newest timeline first', () => {
    expect(primaryOf([undefined, { node: 'n2', role: 'replica', state: 'streaming', timeline: 2 }])).toBeUndefined();
    expect(primaryOf([{ node: 'n1', role: 'master', state: 'running', timeline: 1 }, { node: 'n2', role: 'replica', state: 'running', timeline: 1 }])).toBe('n1');
    // An old primary cut off from the DCS that has not demoted itself yet, and the new one.
    expect(primaryOf([{ node: 'n1', role: 'master', state: 'running', timeline: 1 }, { node: 'n3', role: 'primary', state: 'running', timeline: 2 }])).toBe('n3');
    expect(primaryOf([{ node: 'n1', role: 'master', state: 'stopping', timeline: 3 }])).toBeUndefined();
  });

  const dir = mkdtempSync(join(tmpdir(), 'faultline-patroni-'));
  const servers: http.Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is asked of every node\'s REST API and cached briefly', async () => {
    const roles: Record<string, string> = { n1: 'replica', n2: 'master' };
    let asked = 0;
    for (const n of ['n1', 'n2']) {
      const s = http.createServer((req, res) => {
        asked++;
        expect(req.url).toBe('/patroni');
        res.end(JSON.stringify({ state: 'running', role: roles[n], timeline: 1 }));
      });
      await new Promise<void>((r) => s.listen(join(dir, `${n}.sock`), r));
      servers.push(s);
    }
    let now = 0;
    // n3's API does not answer (no socket): it counts as not primary.
    const f = new PrimaryFinder(['n1', 'n2', 'n3'], (n) => join(dir, `${n}.sock`), () => now);
    expect(await f.primary()).toBe('n2');
    expect(asked).toBe(2);
    expect(await f.primary()).toBe('n2');
    expect(asked).toBe(2); // cached
    roles.n1 = 'master';
    roles.n2 = 'replica';
    f.forget('n2');
    expect(await f.primary()).toBe('n1');
    now += 1000;
    roles.n1 = 'replica';
    expect(await f.primary()).toBeUndefined();
  });
});

describe('--target postgres --replicas N', () => {
  it('runs the described system postgres-patroni on N + 1 nodes, synchronous with --sync-standbys', () => {
    const c = resolveConfig({ target: { type: 'postgres', options: { replicas: 2, syncStandbys: 1, readFrom: 'replica' } }, workload: { name: 'set' }, nemesis: { faults: ['partition', 'kill'] } });
    expect(c.target.type).toBe('system');
    expect(c.target.system).toMatch(/systems\/postgres-patroni\.json$/);
    expect(c.target.nodes).toBe(3);
    expect(c.target.network).toBe('netns');
    expect(c.target.options).toEqual({ readFrom: 'replica' });
    expect(c.target.systemOptions).toEqual({ synchronousMode: 'true', synchronousNodeCount: '1' });
    expect(c.name).toBe('set-postgres-patroni-serializable-sync1-standby-reads');
    const a = resolveConfig({ target: { type: 'postgres', options: { replicas: 1 } } });
    expect([a.target.nodes, a.workload.name, a.name]).toEqual([2, 'list-append', 'list-append-postgres-patroni-serializable']);
  });

  it('refuses what cannot be, on one line', () => {
    const bad = (options: Record<string, unknown>, nodes?: number) => () => resolveConfig({ target: { type: 'postgres', ...(nodes ? { nodes } : {}), options } }, 'flags');
    expect(bad({ syncStandbys: 1 })).toThrow(/syncStandbys" needs "target.options.replicas"/);
    expect(bad({ readFrom: 'replica' })).toThrow(/readFrom" needs "target.options.replicas"/);
    expect(bad({ replicas: 1, syncStandbys: 2 })).toThrow(/syncStandbys" is 2, but there are only 1 standbys/);
    expect(bad({ replicas: 2 }, 2)).toThrow(/"target.nodes" is 2, but 2 replicas make 3 nodes/);
    expect(bad({ replicas: 0 })).toThrow(/replicas/);
    expect(() => resolveConfig({ target: { type: 'postgres', options: { replicas: 2 } }, workload: { name: 'counter' } }, 'flags')).toThrow(/"workload.name" must be one of/);
  });
});
