import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEdn } from '../histories/edn.js';
import { simpleEtcdValue } from '../histories/porcupine.js';
import { HistoryError } from '../histories/errors.js';
import { parseHistory, readHistoryFile } from '../histories/read.js';
import { detectFormat } from '../histories/formats.js';
import { corpusDir } from './helpers/corpus.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-readers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function file(name: string, text: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe('Porcupine etcd logs', () => {
  const log = [
    'INFO  jepsen.util - 0\t:invoke\t:cas\t[3 0]',
    'INFO  jepsen.util - 1\t:invoke\t:read\tnil',
    'INFO  jepsen.util - 0\t:fail\t:cas\t[3 0]',
    'INFO  jepsen.util - 1\t:fail\t:read\t:timed-out',
    'INFO  jepsen.util - 2\t:invoke\t:write\t4',
    'INFO  jepsen.util - 2\t:info\t:write\t:timed-out',
    'INFO  jepsen.util - 7   :invoke :read   nil',
    'INFO  jepsen.util - 7   :ok     :read   4',
  ].join('\n');
  const h = parseHistory(log, 'porcupine-etcd-log', 'etcd.log');

  it('turns :fail :cas into an ok cas that returned false', () => {
    expect(h.ops[2]).toMatchObject({ type: 'ok', f: 'cas', value: [3, 0], result: false, process: 0 });
  });
  it('keeps a timed-out read as fail, and :info as an info completion', () => {
    expect(h.ops[3]).toMatchObject({ type: 'fail', f: 'read', value: 'timed-out' });
    expect(h.ops[5]).toMatchObject({ type: 'info', f: 'write' });
    expect(h.completion(4)).toBe(h.ops[5]);
  });
  it('splits space-padded lines on any whitespace', () => {
    expect(h.ops[7]).toMatchObject({ process: 7, type: 'ok', f: 'read', value: 4 });
  });
  it('fills indices by position', () => {
    expect(h.ops.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
  it('reads the usual values without the EDN reader, exactly as it would', () => {
    const atom = fc.oneof(fc.constant('nil'), fc.integer({ min: -1e6, max: 1e6 }).map(String), fc.constantFrom('007', '-0', '1e3', '3N', '+4', '1/2', 'x', '', ':ok', '12345678901234567'));
    const text = fc.oneof(atom, fc.tuple(atom, atom).map(([a, b]) => `[${a} ${b}]`), fc.tuple(atom, atom).map(([a, b]) => `[${a}  ${b}]`), fc.constantFrom('[1 2 3]', '[1]', '[]', '(1 2)', '[1 2] ', '"s"'));
    fc.assert(
      fc.property(text, (t) => {
        const fast = simpleEtcdValue(t);
        if (fast === undefined) return;
        expect(fast).toEqual(parseEdn(t));
      }),
      { numRuns: 2000 },
    );
    expect(simpleEtcdValue('[3 nil]')).toEqual([3, null]);
    expect(simpleEtcdValue('nil')).toBe(null);
    expect(simpleEtcdValue('[1 2 3]')).toBeUndefined();
  });

  it('names the line of a line it cannot read', () => {
    expect(() => parseHistory('INFO  jepsen.util - 0\t:invoke\t:read\tnil\ngarbage here\n', 'porcupine-etcd-log', 'x.log')).toThrow(
      'x.log:2: not a Jepsen op line',
    );
  });
});

describe('Porcupine kv logs', () => {
  it('lifts :key into the op key', () => {
    const h = parseHistory('{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}\n{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}\n', 'porcupine-kv-log', 'kv.txt');
    expect(h.ops[0]).toMatchObject({ key: '0', f: 'append', value: 'x 0 0 y' });
    expect(h.isKeyed()).toBe(true);
    expect([...h.byKey().keys()]).toEqual(['0']);
  });

  it("reads Porcupine's logs by their fixed line shape just as the EDN reader does, and any other line through it", () => {
    const lines = [
      '{:process 3, :type :invoke, :f :get, :key "1", :value nil}',
      '{:process 3, :type :ok, :f :get, :key "1", :value ""}\r',
      '',
      '{:process 4, :type :invoke, :f :put, :key "1", :value "x 4 0 y"}',
      '{:process 4, :type :info, :f :put, :key "1", :value "x 4 0 y"}',
    ];
    const text = lines.join('\n') + '\n';
    const fast = parseHistory(text, 'porcupine-kv-log', 'kv.txt');
    const edn = parseHistory(text, 'jepsen-edn', 'kv.txt');
    expect(fast.ops).toEqual(edn.ops);
    expect(fast.ops.map((o) => Object.keys(o))).toEqual(edn.ops.map((o) => Object.keys(o)));
    expect([...fast.lines!]).toEqual([...edn.lines!]);
    // an escaped quote and a map on two lines: not the fixed shape, read as EDN
    const other = '{:process 0, :type :invoke, :f :put, :key "a\\"b", :value "v"}\n{:process 0,\n :type :ok, :f :put, :key "a\\"b", :value "v"}\n';
    const h = parseHistory(other, 'porcupine-kv-log', 'kv.txt');
    expect(h.ops).toEqual(parseHistory(other, 'jepsen-edn', 'kv.txt').ops);
    expect(h.ops[0].key).toBe('a"b');
  });
});

describe('Jepsen EDN', () => {
  it('reads Knossos files: one vector, pretty-printed maps, comments, commas as whitespace', () => {
    const text = `; a comment
[{:process 4, :type :invoke, :f :write, :value 2}
 ; in between
 {:process 4 :type :ok
  :f :write,,, :value 2}
 {:process :nemesis, :type :info, :f :start, :value "Cut off {:n2 #{:n3 :n4}}"}]
`;
    const h = parseHistory(text, 'jepsen-edn', 'k.edn');
    expect(h.ops).toHaveLength(3);
    expect(h.lines && [...h.lines]).toEqual([2, 4, 6]);
    expect(h.ops[2]).toMatchObject({ process: 'nemesis', f: 'start' });
    expect(h.invocationCount).toBe(1);
  });

  it('maps keywords to strings, sets to arrays, integer map keys to string keys, and tagged literals to their value', () => {
    const text = '{:index 1 :type :ok :process 1 :f :read :value {:set #{1 2} 0 100, :at #inst "2020-01-01T00:00:00Z", :id #uuid "0000-1", :rec #my.ns.Rec{:a :b}} :error [:not-held nil true 1.5 -3 7N 1/2 \\a]}';
    const [op] = parseHistory('{:index 0 :type :invoke :process 1 :f :read :value nil}\n' + text, 'jepsen-edn', 'x.edn').ops.slice(1);
    expect(op.value).toEqual({ set: [1, 2], '0': 100, at: '2020-01-01T00:00:00Z', id: '0000-1', rec: { a: 'b' } });
    expect(op.error).toEqual(['not-held', null, true, 1.5, -3, 7, 0.5, 'a']);
  });

  it('turns #jepsen.independent/tuple [k v] into the op key and value', () => {
    const text = '{:type :invoke, :f :cas, :value #jepsen.independent/tuple [5 [1 2]], :process 0}\n{:type :ok, :f :cas, :value #jepsen.independent/tuple [5 [1 2]], :process 0}\n';
    const h = parseHistory(text, 'jepsen-edn', 'i.edn');
    expect(h.ops[0]).toMatchObject({ key: 5, value: [1, 2] });
    expect(h.byKey().get(5)?.length).toBe(2);
  });

  it('treats an op without :f whose value is micro-ops as a txn, and an invocation without :value as null', () => {
    const h = parseHistory('{:index 1, :type :invoke, :process 2, :value [[:append 4 2] [:r 5 nil]]}\n{:index 2, :type :ok, :process 2, :value [[:append 4 2] [:r 5 [1]]]}\n{:index 3 :type :invoke :f :read :process 3}\n', 'jepsen-edn', 't.edn');
    expect(h.ops[0]).toMatchObject({ f: 'txn', index: 1, value: [['append', 4, 2], ['r', 5, null]] });
    expect(h.ops[2].value).toBeNull();
  });

  it('names the line of a syntax error inside a pretty-printed file', () => {
    expect(() => parseHistory('[{:process 1, :type :invoke,\n :f :read, :value nil}\n {:process 1 :type :ok\n :f :read :value [1 2}]', 'jepsen-edn', 'bad.edn')).toThrow(/^bad\.edn:4: EDN: "}" closes "\["/);
  });
});

describe('JSON array', () => {
  it('names the line of a bad element', () => {
    const text = '[{"type":"invoke","f":"read","process":0,"value":null},\n{"type":"ok","f":"read","process":0,"value":1},\n{"type":"ok","process":1,"value":1}]';
    expect(() => parseHistory(text, 'json', 'a.json')).toThrow('a.json:3: op has no "f"');
  });
  it('names the line of a syntax error', () => {
    const text = '[{"type":"invoke","f":"read","process":0,"value":null},\n{"type":"ok","f":"read","process":0,"value":1,},\n{"type":"ok"}]';
    expect(() => parseHistory(text, 'json', 'a.json')).toThrow(/^a\.json:2: not valid JSON/);
  });
  it('refuses a JSON value that is not an array', () => {
    expect(() => parseHistory('{"a": 1', 'json', 'a.json')).toThrow(HistoryError);
    expect(() => parseHistory('42', 'json', 'a.json')).toThrow('a.json:1: expected a JSON array of ops');
  });
});

describe('JSONL', () => {
  const good = '{"index":0,"type":"invoke","process":0,"f":"write","value":1}\n{"index":1,"type":"ok","process":0,"f":"write","value":1}\n';

  it('streams a file', async () => {
    const { history, format } = await readHistoryFile(file('a.jsonl', good));
    expect(format).toBe('jsonl');
    expect(history.length).toBe(2);
    expect(history.completion(0)).toBe(history.ops[1]);
  });

  it('drops a truncated last line with a warning', async () => {
    const { history } = await readHistoryFile(file('t.jsonl', good + '{"index":2,"type":"inv'));
    expect(history.length).toBe(2);
    expect(history.warnings).toEqual([expect.stringMatching(/t\.jsonl:3: dropped a truncated last line/)]);
  });

  it('refuses a broken line that is not the last', async () => {
    await expect(readHistoryFile(file('b.jsonl', '{"index":0,"type":"inv\n' + good))).rejects.toThrow(/b\.jsonl:1: not valid JSON/);
  });

  it('names the line of an op without a type', async () => {
    const lines = [];
    for (let i = 0; i < 16; i++) lines.push(JSON.stringify({ index: i, type: i % 2 ? 'ok' : 'invoke', process: 0, f: 'read', value: null }));
    lines.push('{"index":16,"process":0,"f":"read","value":null}');
    await expect(readHistoryFile(file('bad.jsonl', lines.join('\n') + '\n'))).rejects.toThrow('bad.jsonl:17: op has no "type"');
  });

  it('names the line of invalid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from(good), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])]);
    await expect(readHistoryFile(file('u.jsonl', bytes))).rejects.toThrow('u.jsonl:3: not valid UTF-8');
  });

  it('reads an empty file as an empty history', async () => {
    const { history } = await readHistoryFile(file('empty.jsonl', ''));
    expect(history.length).toBe(0);
  });

  it('accepts CRLF line ends, blank lines and lines longer than the read chunk', async () => {
    const big = JSON.stringify({ index: 0, type: 'invoke', process: 0, f: 'write', value: 'x'.repeat(3_000_000) });
    const { history } = await readHistoryFile(file('c.jsonl', big + '\r\n\r\n' + '{"index":1,"type":"ok","process":0,"f":"write","value":1}\r\n'));
    expect(history.length).toBe(2);
    expect((history.ops[0].value as string).length).toBe(3_000_000);
  });
});

describe('format detection', () => {
  it('uses the extension and the first bytes', () => {
    expect(detectFormat('h.jsonl', '')).toBe('jsonl');
    expect(detectFormat('h.json', '[{"a":1}]')).toBe('json');
    expect(detectFormat('h.json', '{"a":1}\n')).toBe('jsonl');
    expect(detectFormat('history.edn', '{:type :invoke}')).toBe('jepsen-edn');
    expect(detectFormat('etcd_000.log', 'INFO  jepsen.util - 0\t:invoke\t:read\tnil')).toBe('porcupine-etcd-log');
    expect(detectFormat('c01-ok.txt', '{:process 0, :type :invoke, :f :append, :key "0", :value "x"}')).toBe('porcupine-kv-log');
    expect(detectFormat('noext', '; comment\n[{:type :invoke}]')).toBe('jepsen-edn');
    expect(detectFormat('noext', '{"type":"invoke"}')).toBe('jsonl');
    expect(detectFormat('noext', 'hello')).toBeUndefined();
  });

  it('detects every corpus format from the file', async () => {
    const { format } = await readHistoryFile(join(corpusDir, 'porcupine/test_data/jepsen/etcd_100.log'));
    expect(format).toBe('porcupine-etcd-log');
  });
});
