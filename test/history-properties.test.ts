// Property tests: random well-formed histories survive every writer and reader; random corruptions
// of them are read or refused with one clear located line, never an uncaught exception.
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { InputError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { parseHistory, readHistoryFile } from '../histories/read.js';
import { formatHistoryEdn } from '../histories/write-edn.js';
import { formatHistoryJsonl, formatOpJsonl } from '../histories/write-jsonl.js';
import { wellFormedHistory } from './helpers/arbitrary.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-props-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;
function tmpFile(ext: string, content: string | Uint8Array): string {
  const p = join(tmp, `h${fileNo++}${ext}`);
  writeFileSync(p, content);
  return p;
}

describe('round trips', () => {
  it('the generator makes histories that History accepts', () => {
    fc.assert(fc.property(wellFormedHistory(), (ops) => void new History(ops)), { numRuns: 300 });
  });

  it('JSONL, EDN and JSON array writers and readers preserve every op', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormedHistory(), async (ops) => {
        const expected = formatHistoryJsonl(ops);
        const viaJsonl = (await readHistoryFile(tmpFile('.jsonl', expected))).history;
        expect(formatHistoryJsonl(viaJsonl)).toBe(expected);
        const viaEdn = parseHistory(formatHistoryEdn(ops), 'jepsen-edn', 'x.edn');
        expect(formatHistoryJsonl(viaEdn)).toBe(expected);
        const viaArray = parseHistory(`[${ops.map(formatOpJsonl).join(',\n')}]`, 'json', 'x.json');
        expect(formatHistoryJsonl(viaArray)).toBe(expected);
        // and pairing agrees whichever way the history came in
        expect([...viaEdn.pair]).toEqual([...new History(ops).pair]);
      }),
      { numRuns: 300 },
    );
    // 300 files written and read: minutes on a loaded 2-core machine, not a wall-time claim.
  }, 300_000);

  it('map keys that look like integers but are not written canonically stay strings through EDN', () => {
    // Found by the property above (seed 1529088470): {"-0": null} came back as {"0": null}.
    const ops: Op[] = [{ index: 0, type: 'info', process: 'nemesis', f: 'stop-partition', value: { '-0': null, '007': 1, '12': 2, '-3': 3, '90071992547409930': 4 } }];
    const expected = formatHistoryJsonl(ops);
    expect(formatHistoryJsonl(parseHistory(formatHistoryEdn(ops), 'jepsen-edn', 'x.edn'))).toBe(expected);
    // Canonical integers are written as EDN integers, as Jepsen writes them.
    const edn = formatHistoryEdn(ops);
    for (const entry of ['{12 2,', ' -3 3', ' "-0" nil', ' "007" 1', ' "90071992547409930" 4']) expect(edn).toContain(entry);
  });
});

type Corruption = (text: string, rnd: number[]) => string | Uint8Array;

function mapLine(text: string, at: number, f: (op: Record<string, unknown>) => unknown): string {
  const lines = text.split('\n');
  const k = at % Math.max(1, lines.length - 1);
  if (!lines[k]) return text;
  lines[k] = JSON.stringify(f(JSON.parse(lines[k])));
  return lines.join('\n');
}
const FIELDS = ['index', 'time', 'type', 'process', 'f', 'value', 'key', 'result', 'final'];
const WRONG = [null, 'x', -1.5, true, [], {}, 'nemesis', 'invoke', ''];

const corruptions: Record<string, Corruption> = {
  dropField: (t, [a, b]) => mapLine(t, a, (op) => (delete op[FIELDS[b % FIELDS.length]], op)),
  wrongType: (t, [a, b, c]) => mapLine(t, a, (op) => ({ ...op, [FIELDS[b % FIELDS.length]]: WRONG[c % WRONG.length] })),
  orphanCompletion: (t, [a, b]) => {
    const lines = t.split('\n');
    lines.splice(a % lines.length, 0, JSON.stringify({ type: ['ok', 'fail', 'info'][b % 3], process: 9999, f: 'read', value: 1 }));
    return lines.join('\n');
  },
  duplicateLine: (t, [a]) => {
    const lines = t.split('\n');
    const k = a % lines.length;
    lines.splice(k, 0, lines[k]);
    return lines.join('\n');
  },
  truncate: (t, [a]) => t.slice(0, a % (t.length + 1)),
  garbage: (t, [a, b]) => {
    const at = a % (t.length + 1);
    return t.slice(0, at) + ['}', '{', ']', '"', '\u0000', 'garbage', '\n\n{', ':x', '#', '\\'][b % 10] + t.slice(at);
  },
  invalidUtf8: (t, [a, b]) => {
    const bytes = Buffer.from(t);
    const at = a % (bytes.length + 1);
    const bad = [[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80]][b % 4];
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]);
  },
};

const formats = [
  { ext: '.jsonl', write: (ops: Op[]) => formatHistoryJsonl(ops) },
  { ext: '.edn', write: (ops: Op[]) => formatHistoryEdn(ops) },
  { ext: '.json', write: (ops: Op[]) => `[${ops.map(formatOpJsonl).join(',\n')}]` },
];

describe('corruptions', () => {
  for (const { ext, write } of formats) {
    for (const [name, corrupt] of Object.entries(corruptions)) {
      if (ext !== '.jsonl' && (name === 'dropField' || name === 'wrongType' || name === 'orphanCompletion')) continue;
      it(`${ext} ${name}: read, or refused with one located line`, async () => {
        let refused = 0;
        await fc.assert(
          fc.asyncProperty(wellFormedHistory(25), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), async (ops, rnd) => {
            const path = tmpFile(ext, corrupt(write(ops), rnd));
            try {
              const { history } = await readHistoryFile(path);
              formatHistoryJsonl(history);
            } catch (e) {
              refused++;
              expect(e).toBeInstanceOf(InputError);
              const msg = (e as Error).message;
              expect(msg).not.toContain('\n');
              expect(msg.startsWith(`${path}:`)).toBe(true);
            }
          }),
          { numRuns: 60 },
        );
        // The corruption must actually bite sometimes, or this test proves nothing; except that a
        // truncated JSONL file is always readable (see the test below).
        if (ext === '.jsonl' && name === 'truncate') expect(refused).toBe(0);
        else expect(refused).toBeGreaterThan(0);
      });
    }
  }

  it('a JSONL history cut anywhere reads as a prefix of the original, with a warning if cut mid-line', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormedHistory(25), fc.nat(), async (ops, at) => {
        const full = formatHistoryJsonl(ops);
        const cut = full.slice(0, at % (full.length + 1));
        const { history } = await readHistoryFile(tmpFile('.jsonl', cut));
        const kept = cut.endsWith('\n') || cut === '' ? cut : cut.slice(0, cut.lastIndexOf('\n') + 1);
        const rest = cut.slice(kept.length);
        const wholeLine = rest === full.slice(kept.length, full.indexOf('\n', kept.length));
        const midOp = rest !== '' && !wholeLine;
        expect(formatHistoryJsonl(history)).toBe(wholeLine && rest ? cut + '\n' : kept);
        expect(history.warnings.length).toBe(midOp ? 1 : 0);
      }),
      { numRuns: 200 },
    );
  });

  it('through the CLI: exit 0 or 3 with exactly one stderr line, never an internal error', async () => {
    const names = Object.keys(corruptions);
    await fc.assert(
      fc.asyncProperty(wellFormedHistory(15), fc.nat(), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), async (ops, which, rnd) => {
        const path = tmpFile('.jsonl', corruptions[names[which % names.length]](formatHistoryJsonl(ops), rnd));
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(['check', path], { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
        const warnings = err.filter((l) => l.startsWith('warning: '));
        const errors = err.filter((l) => !l.startsWith('warning: '));
        expect(errors.join('\n')).not.toMatch(/internal error|at .*\.ts:\d+/);
        if (code === 0) {
          expect(errors).toEqual([]);
          expect(out).toHaveLength(1);
        } else {
          expect(code).toBe(3);
          expect(errors).toHaveLength(1);
          expect(errors[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(:\\d+)?: `));
        }
        expect(warnings.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 150 },
    );
  });
});
