import { describe, expect, it } from 'vitest';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { parseHistory } from '../histories/read.js';

const jl = (...ops: object[]) => ops.map((o) => JSON.stringify(o)).join('\n') + '\n';
const inv = (process: number | string, f = 'read', value: unknown = null, extra: object = {}) => ({ type: 'invoke', process, f, value, ...extra });
const done = (type: string, process: number | string, f = 'read', value: unknown = null, extra: object = {}) => ({ type, process, f, value, ...extra });

describe('History pairing', () => {
  const h = parseHistory(
    jl(inv(0), inv(1, 'write', 3), done('info', 'nemesis', 'start-partition'), done('ok', 1, 'write', 3), done('ok', 0, 'read', 3), inv(2, 'cas', [1, 2])),
    'jsonl',
    'p.jsonl',
  );

  it('pairs each invocation with its completion both ways in O(1)', () => {
    expect(h.completion(0)).toBe(h.ops[4]);
    expect(h.completion(1)).toBe(h.ops[3]);
    expect(h.invocation(4)).toBe(h.ops[0]);
    expect(h.pair[2]).toBe(-1);
    expect(h.completion(5)).toBeUndefined();
    expect(h.invocationCount).toBe(3);
  });

  it('offers per-process views and client/nemesis filters', () => {
    const byP = h.byProcess();
    expect([...byP.get(0)!]).toEqual([0, 4]);
    expect([...byP.get('nemesis')!]).toEqual([2]);
    expect(h.clientOps().length).toBe(5);
    expect(h.clientOps().completion(0)).toBe(h.ops[4]);
    expect(h.nemesisOps().map((o) => o.f)).toEqual(['start-partition']);
  });

  it('finds ops by their index even when indices start elsewhere or skip', () => {
    const g = new History([
      { index: 10, type: 'invoke', process: 0, f: 'read', value: null },
      { index: 12, type: 'ok', process: 0, f: 'read', value: 1 },
    ] as Op[]);
    expect(g.positionOf(12)).toBe(1);
    expect(g.positionOf(11)).toBe(-1);
  });

  it('groups by key, sending a completion without a key to its invocation', () => {
    const k = parseHistory(jl(inv(0, 'write', 1, { key: 'a' }), inv(1, 'write', 2, { key: 7 }), done('ok', 0, 'write', 1), done('ok', 1, 'write', 2, { key: 7 })), 'jsonl', 'k.jsonl');
    const groups = k.byKey();
    expect([...groups.keys()]).toEqual(['a', 7]);
    expect(groups.get('a')!.ops.map((o) => o.index)).toEqual([0, 2]);
    expect(groups.get('a')!.completion(0)!.index).toBe(2);
    expect([...groups.get(7)!.lines!]).toEqual([2, 4]);
  });
});

describe('well-formedness', () => {
  const bad = (text: string) => () => parseHistory(text, 'jsonl', 'w.jsonl');

  it('refuses a process invoking while its previous op is in flight', () => {
    expect(bad(jl(inv(0), inv(0, 'write', 1)))).toThrow('w.jsonl:2: process 0 invokes "write" while its "read" from line 1 is still in flight');
  });
  it('refuses a completion with no invocation', () => {
    expect(bad(jl(done('ok', 3)))).toThrow('w.jsonl:1: "ok" completion of "read" for process 3, which has no invocation in flight');
  });
  it('refuses a completion whose f differs from its invocation', () => {
    expect(bad(jl(inv(0, 'write', 1), done('ok', 0, 'read')))).toThrow('w.jsonl:2: process 0 completes "read" but invoked "write" at line 1');
  });
  it('refuses a process invoking again after info', () => {
    expect(bad(jl(inv(0), done('info', 0), inv(0)))).toThrow(/^w\.jsonl:3: process 0 invokes again after its "info" at line 2/);
  });
  it('refuses repeated indices', () => {
    expect(bad(jl({ ...inv(0), index: 5 }, { ...done('ok', 0), index: 5 }))).toThrow('w.jsonl:2: "index" 5 repeats the index of the op at line 1');
  });
  it('exempts nemesis ops from pairing', () => {
    const h = parseHistory(jl(inv('nemesis', 'start'), done('info', 'nemesis', 'start'), done('info', 'nemesis', 'stop')), 'jsonl', 'n.jsonl');
    expect(h.invocationCount).toBe(0);
  });
  it.each([
    [{ process: 0, f: 'read', value: null }, 'op has no "type"'],
    [{ type: 'invoke', f: 'read', value: null }, 'op has no "process"'],
    [{ type: 'invoke', process: 0, value: 1 }, 'op has no "f"'],
    [{ type: 'done', process: 0, f: 'read' }, '"type" must be one of "invoke", "ok", "fail", "info", got "done"'],
    [{ type: 'invoke', process: 'p1', f: 'read' }, '"process" must be an integer or "nemesis", got "p1"'],
    [{ type: 'invoke', process: 0, f: 'read', time: 'noon' }, '"time" must be a number (nanoseconds), got "noon"'],
    [{ type: 'invoke', process: 0, f: 'read', index: 1.5 }, '"index" must be an integer, got 1.5'],
    [{ type: 'invoke', process: 0, f: 7 }, '"f" must be a non-empty string, got 7'],
    [{ type: 'ok', process: 0, f: 'cas', result: 'no' }, '"result" must be true or false, got "no"'],
    [[1, 2], 'expected an op object, got [1,2]'],
  ])('names what is wrong with %j', (op, message) => {
    expect(bad(jl(op))).toThrow(`w.jsonl:1: ${message}`);
  });
  it('accepts an empty history', () => {
    expect(parseHistory('', 'jsonl', 'e.jsonl').length).toBe(0);
    expect(parseHistory('[]', 'json', 'e.json').length).toBe(0);
    expect(parseHistory('[]', 'jepsen-edn', 'e.edn').length).toBe(0);
  });
  it('accepts times that are absent, all zero, or not monotonic', () => {
    const h = parseHistory(jl({ ...inv(0), time: 5 }, { ...inv(1), time: 0 }, { ...done('ok', 1), time: 2 }, done('ok', 0)), 'jsonl', 't.jsonl');
    expect(h.length).toBe(4);
  });
});
