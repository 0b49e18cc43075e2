// The stdio contract's wire format: request lines, the framing of the adapter's stdout (lines cut
// anywhere across reads, several per read), and what makes a reply line malformed.
import { describe, expect, it } from 'vitest';
import { encodeRequest, LineSplitter, parseReply } from '../targets/stdio/protocol.js';
import { completionOf } from '../targets/stdio/client.js';
import type { Op } from '../histories/op.js';

describe('request lines', () => {
  it('carry id, f, value and the key only when the op has one', () => {
    expect(encodeRequest(1, { f: 'read', value: null })).toBe('{"id":1,"f":"read","value":null}\n');
    expect(encodeRequest(7, { f: 'write', key: [1, 'a'], value: 12 })).toBe('{"id":7,"f":"write","key":[1,"a"],"value":12}\n');
    expect(encodeRequest(2, { f: 'read', value: undefined })).toBe('{"id":2,"f":"read","value":null}\n');
  });
});

describe('LineSplitter', () => {
  it('joins a line cut across chunks, anywhere', () => {
    const text = '{"id":1,"type":"ok","value":"héllo"}\n';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new LineSplitter();
      expect(s.push(bytes.subarray(0, cut))).toEqual([]);
      expect(s.push(bytes.subarray(cut))).toEqual([text.slice(0, -1)]);
      expect(s.rest()).toBe('');
    }
  });

  it('gives every line of a chunk holding several, keeping the unfinished tail', () => {
    const s = new LineSplitter();
    expect(s.push('a\nbb\r\nccc\nd')).toEqual(['a', 'bb', 'ccc']);
    expect(s.rest()).toBe('d');
    expect(s.push('d\n\n')).toEqual(['dd', '']);
    // One byte at a time.
    const t = new LineSplitter();
    const got: string[] = [];
    for (const ch of Buffer.from('x\ny\n')) got.push(...t.push(Buffer.from([ch])));
    expect(got).toEqual(['x', 'y']);
  });

  it('drops an unfinished line past the limit and says so', () => {
    const s = new LineSplitter(10);
    expect(s.push('ok\n0123456789')).toEqual(['ok']);
    expect(s.overlong).toBe(false);
    expect(s.push('ab')).toEqual([]);
    expect(s.overlong).toBe(true);
    s.overlong = false;
    expect(s.push('\nnext\n')).toEqual(['', 'next']);
  });
});

describe('parseReply', () => {
  it('accepts the contract: id, type, optional value and error', () => {
    expect(parseReply('{"id":3,"type":"ok","value":[1,2]}')).toEqual({ id: 3, type: 'ok', value: [1, 2] });
    expect(parseReply(' {"id":4,"type":"fail","error":"mismatch"} ')).toEqual({ id: 4, type: 'fail', error: 'mismatch' });
    expect(parseReply('{"id":5,"type":"info"}')).toEqual({ id: 5, type: 'info' });
  });

  it('says in one sentence what is wrong with anything else', () => {
    const problem = (line: string) => (parseReply(line) as { problem: string }).problem;
    expect(problem('hello')).toBe('not JSON: "hello"');
    expect(problem('')).toBe('not JSON: ""');
    expect(problem('x'.repeat(100))).toBe(`not JSON: "${'x'.repeat(80)}..."`);
    expect(problem('[1,2]')).toBe('not a reply object: "[1,2]"');
    expect(problem('{"type":"ok"}')).toBe('reply has no "id"');
    expect(problem('{"id":1}')).toBe('reply has no "type"');
    expect(problem('{"id":"1","type":"ok"}')).toBe('"id" must be a positive integer (the request\'s id), got "\\"1\\""');
    expect(problem('{"id":0,"type":"ok"}')).toMatch(/^"id" must be a positive integer/);
    expect(problem('{"id":1,"type":"maybe"}')).toBe('"type" must be "ok", "fail" or "info", got "\\"maybe\\""');
    expect(problem('{"id":1,"type":"ok","valeu":3}')).toBe('reply has an unknown field "valeu" (allowed: id, type, value, error)');
  });
});

describe('completionOf', () => {
  const inv: Op = { index: 4, time: 10, type: 'invoke', process: 1, f: 'write', value: 9, node: 'n1' };
  it('takes the adapter outcome; an absent value is the request value; fail and info carry a reason', () => {
    expect(completionOf(inv, { id: 1, type: 'ok' })).toEqual({ ...inv, type: 'ok', value: 9 });
    expect(completionOf(inv, { id: 1, type: 'ok', value: null })).toEqual({ ...inv, type: 'ok', value: null });
    expect(completionOf(inv, { id: 1, type: 'fail', error: 'mismatch' })).toEqual({ ...inv, type: 'fail', value: 9, error: 'mismatch' });
    expect(completionOf(inv, { id: 1, type: 'info' })).toEqual({ ...inv, type: 'info', value: 9, error: 'the adapter gave no reason' });
  });
});
