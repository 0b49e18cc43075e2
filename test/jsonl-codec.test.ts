// The JSONL encoding a second thread parses big histories into (histories/jsonl-codec.ts) must give
// exactly what JSON.parse gives for every line it encodes, and leave every other line (outside its
// subset, or not JSON) as text for JSON.parse, so that reading a file on two threads is reading it
// on one. And a file read both ways gives the same history, errors and warnings.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Decoder, Encoder } from '../histories/jsonl-codec.js';
import { readJsonlFile, streamJsonlFile } from '../histories/jsonl.js';
import { generateKeyedRegisterHistory } from '../bench/generate.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-codec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Encodes `lines` as one batch and decodes it: per line, the value or { text }. */
function roundTrip(lines: string[]): ({ value: unknown } | { text: string } | 'blank')[] {
  const text = lines.join('\n');
  const buf = Buffer.from(text, 'utf8');
  const enc = new Encoder();
  enc.reset();
  let from = 0;
  for (let n = 1; n <= lines.length; n++) {
    let to = buf.indexOf(10, from);
    if (to === -1) to = buf.length;
    enc.line(buf, from, to, n, (a, b) => buf.toString('utf8', a, b));
    from = to + 1;
  }
  const batch = enc.take();
  const d = new Decoder(batch);
  const out: ({ value: unknown } | { text: string } | 'blank')[] = lines.map(() => 'blank' as const);
  for (let r = 0; r < batch.records; r++) out[batch.lines[r] - 1] = d.next() ? { value: d.value } : { text: d.text };
  return out;
}

function agrees(line: string, got: { value: unknown } | { text: string } | 'blank'): void {
  if (got === 'blank') {
    expect(line.replace(/\r$/, '').trim()).toBe('');
    return;
  }
  if ('text' in got) {
    expect(got.text).toBe(line); // left to JSON.parse, whatever it says
    return;
  }
  const expected = JSON.parse(line);
  expect(Object.is(got.value, expected) || JSON.stringify(got.value) === JSON.stringify(expected)).toBe(true);
  expect(got.value).toStrictEqual(expected);
  // same key order, same -0
  if (expected && typeof expected === 'object') expect(JSON.stringify(Object.keys(got.value as object))).toBe(JSON.stringify(Object.keys(expected)));
}

const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
  fc.constantFrom('-0', '0', '1e5', '1E+2', '-1.5e-3', '12345678901234567890', '9007199254740993', '0.1', '1.0', '01', '-', '1.', '.5', '+1', '1e', '--1', '0x10', 'NaN', 'Infinity'),
);
const stringText = fc.oneof(fc.string().map((s) => JSON.stringify(s)), fc.constantFrom('"\\u00e9"', '"a\\"b"', '"tab\there"', '"é"', '"__proto__"', '"unterminated'));
const jsonish: fc.Arbitrary<string> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    numberText,
    stringText,
    fc.constantFrom('null', 'true', 'false', 'nul', 'tru', 'fals'),
    fc.array(tie('value') as fc.Arbitrary<string>, { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc.array(fc.tuple(stringText, tie('value') as fc.Arbitrary<string>), { maxLength: 4 }).map((kv) => `{${kv.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  ),
})).value;
const space = fc.constantFrom('', ' ', '\t', '\r', '  ', '\v', '\f');
const line = fc.oneof(
  fc.tuple(space, jsonish, space).map(([a, v, b]) => a + v + b),
  fc.json().map((j) => j.replace(/\n/g, ' ')),
  fc.constantFrom('', ' ', '\r', '{"a":1} {"b":2}', '{"a":1},', '[1,2]]', '{"__proto__":{"x":1}}', '{"a":1,"a":2}', '\uFEFF{"a":1}', '{"k":"é"}', '{"1":1,"0":0,"b":2}'),
);

describe('the JSONL encoding', () => {
  const stats = { value: 0, text: 0, blank: 0 };
  it('gives what JSON.parse gives for the lines it encodes, and passes the others on as text', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), (lines) => {
        const got = roundTrip(lines);
        lines.forEach((l, k) => agrees(l, got[k]));
        for (const g of got) stats[g === 'blank' ? 'blank' : 'text' in g ? 'text' : 'value']++;
      }),
      { numRuns: 3000 },
    );
    // both kinds must occur often, or the agreement proves little
    expect(stats.value).toBeGreaterThan(1000);
    expect(stats.text).toBeGreaterThan(1000);
  });

  it('encodes the usual ops rather than passing them on', () => {
    const lines = [
      '{"index":0,"time":1000001319,"type":"invoke","process":92,"f":"txn","value":[["r",468,null],["append",472,46]]}',
      '{"index":1,"time":2,"type":"ok","process":92,"f":"txn","value":[["r",468,[1,2,3]],["append",472,46]],"node":"n1"}',
      '{"index":2,"type":"info","process":"nemesis","f":"start-partition","value":{"n1":["n2"]},"time":-0}',
    ];
    const got = roundTrip(lines);
    lines.forEach((l, k) => {
      expect('value' in (got[k] as object)).toBe(true);
      agrees(l, got[k]);
    });
  });
});

describe('a JSONL file read on two threads', () => {
  it('gives the history, errors and warnings of reading it on one', async () => {
    const good = formatHistoryJsonl(generateKeyedRegisterHistory({ ops: 3000, keys: 5, processes: 4, crashRate: 0.05, seed: 2 }));
    const lines = good.split('\n');
    const variants: Record<string, string> = {
      good,
      crlfAndBlank: lines.slice(0, 400).join('\r\n') + '\r\n\r\n  \n' + lines.slice(400).join('\n'),
      truncated: good + '{"index":99999,"type":"inv',
      badJson: lines.slice(0, 1000).join('\n') + '\n{"index":1000,"type":}\n' + lines.slice(1000).join('\n'),
      badOp: lines.slice(0, 700).join('\n') + '\n{"index":700,"process":0,"f":"read","value":null}\n' + lines.slice(700).join('\n'),
      nonAscii: lines.slice(0, 10).join('\n') + '\n' + lines[10].replace('"read"', '"réad"') + '\n' + lines.slice(11).join('\n'),
      badUtf8: '',
    };
    for (const [name, text] of Object.entries(variants)) {
      const path = join(tmp, `${name}.jsonl`);
      if (name === 'badUtf8') writeFileSync(path, Buffer.concat([Buffer.from(lines.slice(0, 50).join('\n') + '\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(lines.slice(50).join('\n'))]));
      else writeFileSync(path, text);
      const one = await readJsonlFile(path, path, { parallel: false }).then((h) => ({ ops: h.ops, lines: [...(h.lines ?? [])], warnings: h.warnings }), (e: Error) => ({ error: e.message }));
      const two = await readJsonlFile(path, path, { parallel: true }).then((h) => ({ ops: h.ops, lines: [...(h.lines ?? [])], warnings: h.warnings }), (e: Error) => ({ error: e.message }));
      expect(two, name).toStrictEqual(one);
      const stream = async (parallel: boolean) => {
        const seen: unknown[] = [];
        const r = await streamJsonlFile(path, path, (raw, l) => seen.push([raw, l]), { parallel }).catch((e: Error) => ({ error: e.message }));
        return { r, seen };
      };
      expect(await stream(true), name).toStrictEqual(await stream(false));
    }
  });
});
