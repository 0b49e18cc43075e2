import { describe, expect, it } from 'vitest';
import { compose, mergeValidity } from '../checker/compose.js';
import { perf } from '../checker/perf.js';
import { getChecker, listCheckers } from '../checker/registry.js';
import { stats } from '../checker/stats.js';
import type { Checker } from '../checker/types.js';
import { combineExitCodes } from '../checker/check-file.js';
import { parseHistory } from '../histories/read.js';

const jl = (...ops: object[]) => ops.map((o) => JSON.stringify(o)).join('\n') + '\n';
const history = parseHistory(
  jl(
    { type: 'invoke', process: 0, f: 'read', value: null, time: 0 },
    { type: 'invoke', process: 1, f: 'write', value: 1, time: 1e6 },
    { type: 'ok', process: 0, f: 'read', value: 1, time: 11e6 },
    { type: 'info', process: 1, f: 'write', value: 1, time: 2e9 },
    { type: 'invoke', process: 0, f: 'read', value: null, time: 2e9 },
    { type: 'ok', process: 0, f: 'read', value: 1, time: 2e9 + 30e6 },
    { type: 'invoke', process: 2, f: 'write', value: 2, time: 2e9 },
    { type: 'fail', process: 2, f: 'write', value: 2, time: 2e9 + 5e6 },
    { type: 'invoke', process: 3, f: 'cas', value: [1, 2], time: 2e9 },
    { type: 'info', process: 'nemesis', f: 'start-partition', value: null, time: 2e9 },
  ),
  'jsonl',
  'h.jsonl',
);

const fixed = (name: string, valid: true | false | 'unknown'): Checker => ({
  name,
  description: name,
  check: async () => ({ valid, explanation: `${name} says ${valid}` }),
});

describe('stats', () => {
  it('counts outcomes per f', async () => {
    const r = await stats.check(history, {});
    expect(r).toMatchObject({
      valid: true,
      count: 5,
      ok: 2,
      fail: 1,
      info: 1,
      open: 1,
      nemesis: 1,
      byF: { read: { count: 2, ok: 2 }, write: { count: 2, fail: 1, info: 1 }, cas: { count: 1, open: 1 } },
      neverOk: ['write', 'cas'],
    });
  });
});

describe('perf', () => {
  it('gives latency percentiles of ok ops per f, and throughput', async () => {
    const r = await perf.check(history, {});
    expect(r.valid).toBe(true);
    expect(r.latencyMs).toEqual({ read: { count: 2, p50: 11, p95: 30, p99: 30, max: 30 } });
    expect(r.durationSeconds).toBe(2.03);
    expect((r.throughput as Record<string, number>).read).toBeCloseTo(2 / 2.03, 2);
  });
  it('says when a history has no times', async () => {
    const r = await perf.check(parseHistory(jl({ type: 'invoke', process: 0, f: 'read', value: null }), 'jsonl', 'x'), {});
    expect(r).toMatchObject({ valid: true, timing: false });
  });
});

describe('compose', () => {
  it('merges validity: false > unknown > true', async () => {
    expect(mergeValidity([true, 'unknown', true])).toBe('unknown');
    expect(mergeValidity(['unknown', false, true])).toBe(false);
    expect(mergeValidity([])).toBe(true);
    const r = await compose({ a: fixed('a', true), b: fixed('b', 'unknown'), c: fixed('c', false) }).check(history, {});
    expect(r.valid).toBe(false);
    expect(r.explanation).toBe('c: c says false');
    expect((r.a as { valid: boolean }).valid).toBe(true);
  });
  it('reports a checker that throws as unknown, keeping the others', async () => {
    const boom: Checker = { name: 'boom', description: '', check: async () => { throw new Error('kaput'); } };
    const r = await compose({ stats, boom }).check(history, {});
    expect(r.valid).toBe('unknown');
    expect((r.boom as { explanation: string }).explanation).toContain('kaput');
    expect((r.stats as { valid: boolean }).valid).toBe(true);
  });
});

describe('registry and exit codes', () => {
  it('finds checkers by name and lists them', () => {
    expect(getChecker('stats')).toBe(stats);
    expect(listCheckers().map((c) => c.name)).toEqual(expect.arrayContaining(['perf', 'stats']));
    expect(() => getChecker('nope')).toThrow('unknown checker "nope"; known checkers:');
  });
  it('lets 3 win, then 1, then 2', () => {
    expect(combineExitCodes([0, 2, 1])).toBe(1);
    expect(combineExitCodes([2, 0])).toBe(2);
    expect(combineExitCodes([1, 3, 2])).toBe(3);
    expect(combineExitCodes([])).toBe(0);
  });
});
