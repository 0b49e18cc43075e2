// Hand-built histories for the causal checker: the examples of Bouajjani, Enea, Guerraoui &
// Hamza, "On Verifying Causal Consistency" (POPL 2017), Fig. 2, with the paper's verdicts for CC,
// CCv and CM, and one history per bad pattern of its Table 2, with exact evidence.
//
// Every history here is laid out process by process, each op invoked and completed in turn, so
// op k (in that order) has invocation index 2k and completion index 2k + 1; evidence names an op
// by its completion's index.
import { describe, expect, it } from 'vitest';
import { causal, checkCausal, type VariantResult } from '../checker/causal/index.js';
import type { Result } from '../checker/types.js';
import { HistoryError, InputError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import type { Op, OpType } from '../histories/op.js';
import { parseHistory } from '../histories/read.js';

/** [f, key, value, outcome]: 'w' writes value, 'r' returned value (null: the initial value). */
type S = ['w' | 'r' | 'cas', string | undefined, unknown, Exclude<OpType, 'invoke'> | 'open'] | ['w' | 'r', string | undefined, unknown];

function hist(...sessions: S[][]): History {
  const ops: Op[] = [];
  sessions.forEach((s, p) => {
    for (const [f, k, v, outcome = 'ok'] of s) {
      const base = { process: p, f: f === 'w' ? 'write' : f === 'r' ? 'read' : f, ...(k !== undefined ? { key: k } : {}) };
      ops.push({ index: ops.length, type: 'invoke', ...base, value: f === 'r' ? null : v });
      if (outcome !== 'open') ops.push({ index: ops.length, type: outcome, ...base, value: f === 'r' && outcome !== 'ok' ? null : v });
    }
  });
  return new History(ops);
}

const parts = (r: Result) => ({ cc: r.cc as VariantResult, ccv: r.ccv as VariantResult, cm: r.cm as VariantResult });
const verdicts = (r: Result) => {
  const { cc, ccv, cm } = parts(r);
  return { cc: cc.valid, ccv: ccv.valid, cm: cm.valid };
};

// Fig. 2 of the paper (as transcribed in hengxin/tla-causal-consistency, CCTest.tla).
const fig2a = hist([['w', 'x', 1], ['r', 'x', 2]], [['w', 'x', 2], ['r', 'x', 1]]);
const fig2b = hist([['w', 'z', 1], ['w', 'x', 1], ['w', 'y', 1]], [['w', 'x', 2], ['r', 'z', null], ['r', 'y', 1], ['r', 'x', 2]]);
const fig2c = hist([['w', 'x', 1]], [['w', 'x', 2], ['r', 'x', 1], ['r', 'x', 2]]);
const fig2d = hist([['w', 'x', 1], ['r', 'y', null], ['w', 'y', 1], ['r', 'x', 1]], [['w', 'x', 2], ['r', 'y', null], ['w', 'y', 2], ['r', 'x', 2]]);
const fig2e = hist([['w', 'x', 1], ['w', 'y', 1]], [['r', 'y', 1], ['w', 'x', 2]], [['r', 'x', 2], ['r', 'x', 1]]);

describe('the paper\'s Fig. 2: CC, CCv and CM told apart', () => {
  it('Fig. 2(a) is CC and CM but not CCv: CyclicCF, the two processes order the two writes of x differently', () => {
    const r = checkCausal(fig2a, { variant: 'ccv' });
    expect(verdicts(r)).toEqual({ cc: true, ccv: false, cm: true });
    expect(r.valid).toBe(false);
    const { ccv } = parts(r);
    expect(ccv.pattern).toBe('CyclicCF');
    expect(ccv.ops).toEqual([5, 1, 3, 7]);
    // 1 →cf 5 (read 3 saw write 1 and returned write 5), 5 →cf 1 (read 7 saw 5 and returned 1).
    expect(ccv.chain).toEqual([{ index: 5, via: 'cf', read: 3 }, { index: 1, via: 'cf', read: 7 }]);
    expect(ccv.evidence!.map((e) => [e.index, e.clock])).toEqual([[5, { 1: 1 }], [1, { 0: 1 }], [3, { 0: 2, 1: 1 }], [7, { 0: 1, 1: 2 }]]);
    expect(r.explanation).toBe(
      'CyclicCF: No single order of the writes (arbitration) fits every read: index 5 →cf[read 7] index 1 →cf[read 3] index 5, where a →cf[read r] b says read r returned write b with write a in its causal past, so every arbitration puts a before b.',
    );
  });

  it('Fig. 2(b) is CC and CCv but not CM: WriteHBInitRead, process 1 must see z = 1 before its own read of z', () => {
    const r = checkCausal(fig2b, { variant: 'cm' });
    expect(verdicts(r)).toEqual({ cc: true, ccv: true, cm: false });
    const { cm } = parts(r);
    expect(cm.pattern).toBe('WriteHBInitRead');
    expect(cm.ops).toEqual([1, 9]);
    // w(z,1) →po w(x,1) →hb w(x,2) (read 13 returned x = 2 with w(x,1) before it) →po r(z) = initial.
    expect(cm.chain).toEqual([{ index: 1 }, { index: 3, via: 'po' }, { index: 7, via: 'hb', read: 13 }, { index: 9, via: 'po' }]);
    expect(r.explanation).toMatch(/^WriteHBInitRead: The read of key z \(index 9, process 1\) returned the initial value, but process 1's reads put the write of 1 to key z \(index 1, process 0\) before it/);
  });

  it('Fig. 2(c) is CC but neither CCv (CyclicCF) nor CM (CyclicHB): x reads 1 then 2 after writing 2', () => {
    const r = checkCausal(fig2c, { variant: 'cm' });
    expect(verdicts(r)).toEqual({ cc: true, ccv: false, cm: false });
    const { ccv, cm } = parts(r);
    expect(ccv.pattern).toBe('CyclicCF');
    expect(ccv.ops).toEqual([3, 1, 7, 5]);
    expect(cm.pattern).toBe('CyclicHB');
    expect(cm.ops).toEqual([1, 3, 5, 7]);
    expect(cm.chain).toEqual([{ index: 1, via: 'hb', read: 5 }, { index: 3, via: 'hb', read: 7 }]);
    expect(r.explanation).toBe(
      "CyclicHB: Process 1's reads order what it sees in a cycle: index 1 →hb[read 7] index 3 →hb[read 5] index 1, where a →hb[read r] b says the process's read r returned write b with write a before it, so the process sees a before b.",
    );
  });

  it('Fig. 2(d) is CC, CCv and CM (though not sequentially consistent)', () => {
    for (const variant of ['cc', 'ccv', 'cm'] as const) {
      const r = checkCausal(fig2d, { variant });
      expect(r.valid).toBe(true);
      expect(r.explanation).toBeUndefined();
    }
    expect(verdicts(checkCausal(fig2d))).toEqual({ cc: true, ccv: true, cm: true });
  });

  it('Fig. 2(e) is not CC (nor CCv, nor CM): WriteCORead, x = 1 is read after x = 2 overwrote it causally', () => {
    const r = checkCausal(fig2e);
    expect(verdicts(r)).toEqual({ cc: false, ccv: false, cm: false });
    const { cc, ccv, cm } = parts(r);
    expect([cc.pattern, ccv.pattern, cm.pattern]).toEqual(['WriteCORead', 'WriteCORead', 'WriteCORead']);
    expect(cc.ops).toEqual([1, 7, 11]);
    expect(cc.chain).toEqual([{ index: 1 }, { index: 3, via: 'po' }, { index: 5, via: 'rf' }, { index: 7, via: 'po' }, { index: 9, via: 'rf' }, { index: 11, via: 'po' }]);
    expect(cc.evidence!.map((e) => [e.index, e.f, e.key, e.value, e.clock])).toEqual([
      [1, 'write', 'x', 1, { 0: 1 }],
      [7, 'write', 'x', 2, { 0: 2, 1: 2 }],
      [11, 'read', 'x', 1, { 0: 2, 1: 2, 2: 2 }],
    ]);
    expect(r.explanation).toBe(
      'WriteCORead: The read of key x (index 11, process 2) returned 1 from the write of 1 to key x (index 1, process 0), but the write of 2 to key x (index 7, process 1) is causally after that write and causally before the read (index 1 →po index 3 →rf index 5 →po index 7 →rf index 9 →po index 11), so the read returned a value already overwritten in its causal past.',
    );
    expect(r.patternCounts).toEqual({ WriteCORead: 1 });
  });
});

describe('one history per bad pattern (the paper\'s Table 2)', () => {
  it('CyclicCO: each process reads what the other writes after its read', () => {
    const r = checkCausal(hist([['r', 'x', 1], ['w', 'y', 1]], [['r', 'y', 1], ['w', 'x', 1]]));
    expect(verdicts(r)).toEqual({ cc: false, ccv: false, cm: false });
    const { cc } = parts(r);
    expect(cc.pattern).toBe('CyclicCO');
    expect(cc.ops).toEqual([3, 5, 7, 1]);
    expect(cc.chain).toEqual([{ index: 3, via: 'po' }, { index: 5, via: 'rf' }, { index: 7, via: 'po' }, { index: 1, via: 'rf' }]);
    expect(r.explanation).toBe(
      'CyclicCO: The causal order (program order and read-from) has a cycle: index 3 →rf index 5 →po index 7 →rf index 1 →po index 3, so some read returned a value written causally after it.',
    );
  });

  it('CyclicCO over long program-order runs shows only their ends', () => {
    const r = checkCausal(hist([['r', 'x', 1], ['r', 'z', null], ['r', 'z', null], ['w', 'y', 1]], [['r', 'y', 1], ['w', 'x', 1]]));
    expect(parts(r).cc.chain).toEqual([{ index: 7, via: 'po' }, { index: 9, via: 'rf' }, { index: 11, via: 'po' }, { index: 1, via: 'rf' }]);
    expect(parts(r).cc.ops).toEqual([7, 9, 11, 1]);
  });

  it('WriteCOInitRead: a read of the initial value of x after a causally earlier write of x', () => {
    const r = checkCausal(hist([['w', 'x', 1], ['w', 'y', 1]], [['r', 'y', 1], ['r', 'x', null]]));
    const { cc } = parts(r);
    expect(cc.pattern).toBe('WriteCOInitRead');
    expect(cc.ops).toEqual([1, 7]);
    expect(cc.chain).toEqual([{ index: 1 }, { index: 3, via: 'po' }, { index: 5, via: 'rf' }, { index: 7, via: 'po' }]);
    expect(r.explanation).toBe(
      'WriteCOInitRead: The read of key x (index 7, process 1) returned the initial value, but the write of 1 to key x (index 1, process 0) is causally before it: index 1 →po index 3 →rf index 5 →po index 7.',
    );
  });

  it('ThinAirRead: a read of a value nobody wrote', () => {
    const r = checkCausal(hist([['w', 'x', 1]], [['r', 'x', 5]]));
    expect(parts(r).cc).toMatchObject({ valid: false, pattern: 'ThinAirRead', ops: [3] });
    expect(r.explanation).toBe('ThinAirRead: The read of key x (index 3, process 1) returned 5, which no write that may have happened wrote.');
  });

  it('ThinAirRead: a read of a value only a failed write wrote names that write', () => {
    const r = checkCausal(hist([['w', 'x', 5, 'fail']], [['r', 'x', 5]]));
    expect(r.explanation).toBe('ThinAirRead: The read of key x (index 3, process 1) returned 5, which no write that may have happened wrote (the write of it at index 1 failed).');
    expect(r.writesIgnored).toBe(1);
  });

  it('WriteCORead: a process reads its own overwritten value back', () => {
    const r = checkCausal(hist([['w', 'x', 1], ['w', 'x', 2]], [['r', 'x', 2], ['r', 'x', 1]]));
    expect(parts(r).cc).toMatchObject({ pattern: 'WriteCORead', ops: [1, 3, 7] });
  });

  it('CyclicCF needs CC first: with a CC pattern, CCv and CM report that pattern', () => {
    const r = checkCausal(fig2e, { variant: 'ccv' });
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/^WriteCORead: /);
    expect(r.ops).toEqual([1, 7, 11]);
  });
});

describe('HB_o is a fixpoint', () => {
  it('CyclicHB that only a second application of the HB rule finds', () => {
    // p0: w(x,2) r(z,2) r(y,1) r(x,2); p1: r(v,1) w(z,1) w(x,1) w(y,1); p2: w(z,2) w(v,1).
    // Read r(x,2) orders w(x,1) before w(x,2), which puts w(z,1) HB-before r(z,2); only then does
    // r(z,2) order w(z,1) before w(z,2), against w(z,2) →po w(v,1) →rf r(v,1) →po w(z,1).
    const h = hist(
      [['w', 'x', 2], ['r', 'z', 2], ['r', 'y', 1], ['r', 'x', 2]],
      [['r', 'v', 1], ['w', 'z', 1], ['w', 'x', 1], ['w', 'y', 1]],
      [['w', 'z', 2], ['w', 'v', 1]],
    );
    const r = checkCausal(h, { variant: 'cm' });
    expect(verdicts(r)).toEqual({ cc: true, ccv: true, cm: false });
    const { cm } = parts(r);
    expect(cm.pattern).toBe('CyclicHB');
    expect(cm.ops).toEqual([17, 19, 9, 11, 3]);
    expect(cm.chain).toEqual([{ index: 17, via: 'hb', read: 3 }, { index: 19, via: 'po' }, { index: 9, via: 'rf' }, { index: 11, via: 'po' }]);
    expect(r.explanation).toMatch(/^CyclicHB: Process 0's reads order what it sees in a cycle: index 17 →po index 19 →rf index 9 →po index 11 →hb\[read 3\] index 17, /);
  });
});

describe('outcomes, input and options', () => {
  it('an info write some read returned took part; one nobody read is left out', () => {
    const r = checkCausal(hist([['w', 'x', 1, 'info']], [['w', 'x', 2, 'open']], [['r', 'x', 1], ['r', 'x', null, 'info']]));
    expect(r).toMatchObject({ valid: true, reads: 1, writes: 1, infoWritesRead: 1, writesIgnored: 1, readsIgnored: 1 });
  });

  it('an info write that was read is in program order: a later init read of its process would see it', () => {
    // p0 writes y = 1 (info); p1 reads y = 1 and then x's initial value although p0 wrote x = 1 first.
    const r = checkCausal(hist([['w', 'x', 1], ['w', 'y', 1, 'info']], [['r', 'y', 1], ['r', 'x', null]]));
    expect(parts(r).cc).toMatchObject({ pattern: 'WriteCOInitRead', ops: [1, 7] });
  });

  it('works on an unkeyed register', () => {
    const r = checkCausal(hist([['w', undefined, 1], ['w', undefined, 2]], [['r', undefined, 2], ['r', undefined, 1]]));
    expect(r.keys).toBe(1);
    expect(r.explanation).toBe(
      'WriteCORead: The read of the register (index 7, process 1) returned 1 from the write of 1 (index 1, process 0), but the write of 2 (index 3, process 0) is causally after that write and causally before the read (index 1 →po index 3 →rf index 5 →po index 7), so the read returned a value already overwritten in its causal past.',
    );
  });

  it('refuses a value written twice to one key, naming both lines', () => {
    const text = [
      { type: 'invoke', process: 0, f: 'write', key: 'x', value: 3 },
      { type: 'ok', process: 0, f: 'write', key: 'x', value: 3 },
      { type: 'invoke', process: 1, f: 'write', key: 'y', value: 3 },
      { type: 'ok', process: 1, f: 'write', key: 'y', value: 3 },
      { type: 'invoke', process: 1, f: 'write', key: 'x', value: 3 },
      { type: 'ok', process: 1, f: 'write', key: 'x', value: 3 },
    ].map((o) => JSON.stringify(o)).join('\n');
    const h = parseHistory(text, 'jsonl', 'dup.jsonl');
    expect(() => checkCausal(h)).toThrow(HistoryError);
    expect(() => checkCausal(h)).toThrow('dup.jsonl:5: causal needs unique written values per key: 3 is written to key x at line 1 and again here');
  });

  it('refuses a write of null, and ops that are neither reads nor writes', () => {
    expect(() => checkCausal(hist([['w', 'x', null]]))).toThrow(/value: causal needs a written value; null stands for the initial value/);
    expect(() => checkCausal(hist([['cas', 'x', [1, 2], 'ok']]))).toThrow(/f: the causal checker takes reads and writes of registers; "cas" is neither/);
  });

  it('the variant option picks the verdict; the checker reads it from ctx.options', async () => {
    expect(checkCausal(fig2a).valid).toBe(true);
    expect(checkCausal(fig2a, { variant: 'ccv' }).valid).toBe(false);
    expect(checkCausal(fig2a, { variant: 'cm' }).valid).toBe(true);
    expect((await causal.check(fig2b, { options: { variant: 'cm' } })).valid).toBe(false);
    expect((await causal.check(fig2b, {})).valid).toBe(true);
    expect(causal.name).toBe('causal');
    await expect(causal.check(fig2b, { options: { variant: 'sc' } })).rejects.toThrow(InputError);
  });

  it('is unknown past the deadline (CM) or past the clock budget', () => {
    const late = checkCausal(fig2b, { variant: 'cm', deadline: Date.now() - 1 });
    expect(late.valid).toBe('unknown');
    expect(late.explanation).toBe('not decided whether the history is causal memory (CM): the deadline passed before causal memory (CM) was checked');
    expect(parts(late).ccv.valid).toBe(true);
    const big = checkCausal(fig2b, { maxClockEntries: 4 });
    expect(big.valid).toBe('unknown');
    expect(big.explanation).toMatch(/7 ops × 2 writing processes is past the 4 clock entries allowed/);
  });
});
