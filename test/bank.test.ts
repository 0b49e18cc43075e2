// The bank checker: one hand-built history per rule (exact error types, op indices, totals), the
// options, bad input, a property over generated serial histories, and the corpus rows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bank, type BankErrorGroup } from '../checker/bank.js';
import type { Result } from '../checker/types.js';
import { HistoryError, InputError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { readHistoryFile } from '../histories/read.js';
import { verdictsMore } from './helpers/corpus.js';
import { fail, info, inv, ok, specHistory, type Spec } from './helpers/spec-history.js';

const hist = (...ops: Spec[]): History => specHistory('bank.jsonl', ...ops);
/** A read by process p returning `balances`, invoked without a value as Jepsen does. */
const read = (p: number, balances: unknown): Spec[] => [inv(p, 'read'), ok(p, 'read', balances)];
const transfer = (p: number, from: number, to: number, amount: number, outcome = ok): Spec[] => [
  inv(p, 'transfer', { from, to, amount }),
  outcome(p, 'transfer', { from, to, amount }),
];

const check = (h: History, options: Record<string, unknown> = {}): Promise<Result> => bank.check(h, { options });
const errs = (r: Result) => r.errors as Record<string, BankErrorGroup>;

describe('bank: valid histories', () => {
  it('takes the total and accounts from the first ok read, and counts transfers', async () => {
    const h = hist(
      ...read(0, { a: 10, b: 0 }),
      ...transfer(1, 0, 1, 3),
      ...read(0, { a: 7, b: 3 }),
      ...transfer(1, 1, 0, 9, fail),
      inv(2, 'transfer', { from: 0, to: 1, amount: 1 }),
      ...read(0, { b: 4, a: 6 }),
      info(2, 'transfer', { from: 0, to: 1, amount: 1 }),
      inv(3, 'transfer', { from: 0, to: 1, amount: 1 }),
    );
    const r = await check(h);
    expect(r).toMatchObject({
      valid: true,
      reads: 3,
      badReads: 0,
      expectedTotal: 10,
      totalFrom: 'first-read',
      totalRead: 1,
      accounts: ['a', 'b'],
      accountsFrom: 'first-read',
      errorTypes: [],
      errors: {},
      transfers: { ok: 1, fail: 1, info: 1, open: 1 },
    });
    expect(r.firstError).toBeUndefined();
  });

  it('ignores failed and unfinished reads and nemesis ops', async () => {
    const h = hist(
      ...read(0, { x: 5 }),
      inv(1, 'read'),
      fail(1, 'read', { x: 99 }),
      inv(2, 'read'),
      info(2, 'read'),
      { type: 'info', process: 'nemesis' as unknown as number, f: 'start-partition', value: null },
    );
    expect(await check(h)).toMatchObject({ valid: true, reads: 1 });
  });

  it('is unknown when no read completed ok', async () => {
    const r = await check(hist(...transfer(0, 0, 1, 1), inv(1, 'read')));
    expect(r).toMatchObject({ valid: 'unknown', reads: 0, transfers: { ok: 1, fail: 0, info: 0, open: 0 } });
    expect(r.explanation).toMatch(/no read completed ok/i);
  });
});

describe('bank: one rule broken per history', () => {
  it('wrong-total: money appears', async () => {
    const h = hist(...read(0, { 0: 50, 1: 50 }), ...read(1, { 0: 50, 1: 50 }), ...read(0, { 0: 55, 1: 50 }), ...read(1, { 0: 40, 1: 50 }));
    const r = await check(h);
    expect(r.valid).toBe(false);
    expect(r.errorTypes).toEqual(['wrong-total']);
    expect(r).toMatchObject({ reads: 4, badReads: 2, firstError: 5, ops: [5, 7], expectedTotal: 100 });
    expect(errs(r)['wrong-total']).toEqual({
      count: 2,
      examples: [
        expect.objectContaining({ index: 5, expected: 100, total: 105, value: { 0: 55, 1: 50 } }),
        expect.objectContaining({ index: 7, expected: 100, total: 90 }),
      ],
    });
    expect(r.explanation).toBe(
      'The read at index 5 returned balances summing to 105, but the total should be 100, the sum the first ok read (index 1) saw; 2 of 4 ok reads are bad (wrong-total: 2).',
    );
  });

  it('negative-value: flagged by default, allowed with negativeBalances', async () => {
    const h = hist(...read(0, { a: 3, b: 0, c: 0 }), ...read(0, { a: 5, b: -1, c: -1 }));
    const r = await check(h);
    expect(r.errorTypes).toEqual(['negative-value']);
    expect(errs(r)['negative-value'].examples).toEqual([expect.objectContaining({ index: 3, accounts: ['b', 'c'] })]);
    expect(r.explanation).toMatch(/^The read at index 3 returned a negative balance for accounts b \(-1\), c \(-1\); 1 of 2 ok reads is bad \(negative-value: 1\)\.$/);
    expect(await check(h, { negativeBalances: true })).toMatchObject({ valid: true, negativeBalances: true });
  });

  it('unexpected-key and missing-key against the accounts of the first read', async () => {
    const h = hist(...read(0, { a: 1, b: 1 }), ...read(0, { a: 1, b: 0, c: 1 }), ...read(0, { a: 2 }));
    const r = await check(h);
    expect(r.errorTypes).toEqual(['unexpected-key', 'missing-key']);
    expect(errs(r)['unexpected-key']).toEqual({ count: 1, examples: [expect.objectContaining({ index: 3, accounts: ['c'] })] });
    expect(errs(r)['missing-key']).toEqual({ count: 1, examples: [expect.objectContaining({ index: 5, accounts: ['b'] })] });
    // Both keep the total, so neither is a wrong-total.
    expect(r).toMatchObject({ badReads: 2, firstError: 3, ops: [3, 5] });
  });

  it('nil-balance: null or non-number balances, with no wrong-total claimed for that read', async () => {
    const h = hist(...read(0, { a: 1, b: 1 }), ...read(0, { a: null, b: 1 }), ...read(0, { a: '1', b: 1 }));
    const r = await check(h);
    expect(r.errorTypes).toEqual(['nil-balance']);
    expect(errs(r)['nil-balance'].examples.map((e) => [e.index, e.accounts])).toEqual([[3, ['a']], [5, ['a']]]);
    expect(errs(r)['nil-balance'].examples[1].sentence).toBe('The read at index 5 returned no numeric balance for account a ("1").');
  });

  it('the first ok read with a nil balance gives the accounts, but the total comes from the next full read', async () => {
    const r = await check(hist(...read(0, { a: null, b: 1 }), ...read(0, { a: 2, b: 1 }), ...read(0, { a: 1, b: 1 })));
    expect(r).toMatchObject({ valid: false, expectedTotal: 3, totalRead: 3, accountsRead: 1, errorTypes: ['nil-balance', 'wrong-total'], firstError: 1 });
    expect(errs(r)['wrong-total'].examples[0]).toMatchObject({ index: 5, total: 2, expected: 3 });
  });

  it('one read can break several rules; each type is counted', async () => {
    const r = await check(hist(...read(0, { a: 5, b: 5 }), ...read(0, { a: 12, z: -1 })));
    expect(r.errorTypes).toEqual(['unexpected-key', 'missing-key', 'wrong-total', 'negative-value']);
    expect(r).toMatchObject({ badReads: 1, firstError: 3, ops: [3] });
    expect(r.explanation).toMatch(/^The read at index 3 returned account z, which is not among the accounts \(a, b\); it is missing account b; it returned balances summing to 11, .*; it returned a negative balance for account z \(-1\); 1 of 2 ok reads is bad \(unexpected-key: 1, missing-key: 1, wrong-total: 1, negative-value: 1\)\.$/);
  });

  it('keeps only the first few examples of a type, but counts all', async () => {
    const reads = Array.from({ length: 9 }, (_, i) => read(0, { a: i })).flat();
    const r = await check(hist(...reads));
    expect(errs(r)['wrong-total'].count).toBe(8);
    expect(errs(r)['wrong-total'].examples.map((e) => e.index)).toEqual([3, 5, 7, 9, 11]);
    expect(errs(await check(hist(...reads), { maxExamples: 2 }))['wrong-total'].examples).toHaveLength(2);
  });
});

describe('bank: options', () => {
  it('total and accounts from options: the first read is checked too', async () => {
    const h = hist(...read(0, { 0: 50, 1: 40 }), ...read(0, { 0: 50, 1: 50 }));
    const r = await check(h, { total: 100, accounts: [0, 1, 2] });
    expect(r).toMatchObject({ valid: false, totalFrom: 'option', accountsFrom: 'option', accounts: ['0', '1', '2'], expectedTotal: 100, firstError: 1 });
    expect(r.errorTypes).toEqual(['missing-key', 'wrong-total']);
    expect(errs(r)['missing-key'].count).toBe(2);
    expect(errs(r)['missing-key'].examples[0].accounts).toEqual(['2']);
    expect(errs(r)['wrong-total'].examples.map((e) => e.index)).toEqual([1]);
  });

  it('a total option alone keeps the accounts of the first read; flag-style strings are accepted', async () => {
    const r = await check(hist(...read(0, { 0: 50, 1: 50 })), { total: '100', negativeBalances: 'false' });
    expect(r).toMatchObject({ valid: true, totalFrom: 'option', accountsFrom: 'first-read', accounts: ['0', '1'], negativeBalances: false });
    expect(await check(hist(...read(0, { 0: 50, 1: 50 })), { accounts: '0,1,2' })).toMatchObject({ valid: false, errorTypes: ['missing-key'] });
  });

  it('rejects options of the wrong type', async () => {
    const h = hist(...read(0, { a: 1 }));
    await expect(check(h, { total: 'lots' })).rejects.toThrow(InputError);
    await expect(check(h, { accounts: 5 })).rejects.toThrow(/bank option accounts/);
    await expect(check(h, { negativeBalances: 'maybe' })).rejects.toThrow(/negativeBalances/);
  });
});

describe('bank: bad input', () => {
  it('an ok read whose value is not a map is a HistoryError naming the line and field', async () => {
    const h = hist(...read(0, { a: 1 }), ...read(0, 'a=1'));
    const e = await check(h).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HistoryError);
    expect((e as HistoryError).line).toBe(4);
    expect((e as HistoryError).message).toBe('bank.jsonl:4: value: an ok bank read must return a map of account to balance, got "a=1"');
    await expect(check(hist(...read(0, [1, 2])))).rejects.toThrow(/bank.jsonl:2: value: .*got \[1,2\]/);
    await expect(check(hist(inv(0, 'read'), ok(0, 'read')))).rejects.toThrow(/bank.jsonl:2: value: .*got null/);
  });
});

describe('bank: property', () => {
  // A serial history of atomic transfers and reads of the true state is valid; bumping one read's
  // balance makes exactly that read a wrong-total.
  const steps = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('transfer' as const), from: fc.nat(3), to: fc.nat(3), amount: fc.integer({ min: 1, max: 5 }), failed: fc.boolean() }),
      fc.record({ kind: fc.constant('read' as const) }),
    ),
    { minLength: 1, maxLength: 30 },
  );
  it('serial histories are valid; one bumped read is the one wrong-total', async () => {
    await fc.assert(
      fc.asyncProperty(steps, fc.nat(), fc.integer({ min: 1, max: 3 }), async (plan, pick, bump) => {
        const bal = [10, 10, 10, 10];
        const specs: Spec[] = [...read(0, { 0: 10, 1: 10, 2: 10, 3: 10 })];
        for (const s of plan) {
          if (s.kind === 'read') specs.push(...read(0, Object.fromEntries(bal.map((b, i) => [i, b]))));
          else {
            const failed = s.failed || bal[s.from] < s.amount;
            if (!failed) {
              bal[s.from] -= s.amount;
              bal[s.to] += s.amount;
            }
            specs.push(...transfer(1, s.from, s.to, s.amount, failed ? fail : ok));
          }
        }
        const r = await check(hist(...specs));
        expect(r.valid).toBe(true);
        const readAt = specs.flatMap((s, i) => (s.type === 'ok' && s.f === 'read' ? [i] : []));
        const target = readAt[pick % readAt.length];
        const bumped = specs.map((s, i) => (i === target ? { ...s, value: { ...(s.value as object), 2: (s.value as Record<string, number>)['2'] + bump } } : s));
        const r2 = await check(hist(...bumped));
        if (target === readAt[0]) {
          // The bumped read sets the total; every other read is then wrong.
          expect(r2.badReads).toBe(readAt.length - 1);
        } else {
          expect(r2).toMatchObject({ valid: false, errorTypes: ['wrong-total'], badReads: 1, firstError: target });
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('bank: corpus', () => {
  const row = (file: string) => {
    const r = verdictsMore.find((v) => v.file === file);
    if (!r) throw new Error(`no corpus row for ${file}`);
    return r;
  };

  it('bank-tidb.edn: money appears (wrong-total from index 258 on: 105 where the first read saw 100)', async () => {
    const r0 = row('elle-cli/histories/jepsen/bank-tidb.edn');
    expect(r0.expected).toBe('invalid');
    const { history, format } = await readHistoryFile(r0.path);
    expect(format).toBe('jepsen-edn');
    const r = await bank.check(history, {});
    expect(r.valid).toBe(false);
    expect(r).toMatchObject({
      errorTypes: ['wrong-total'],
      reads: 1805,
      badReads: 1731,
      firstError: 258,
      expectedTotal: 100,
      totalFrom: 'first-read',
      totalRead: 10,
      accounts: ['0', '1', '2', '3', '4', '5', '6', '7'],
      transfers: { ok: 1444, fail: 317, info: 0, open: 0 },
    });
    const wrong = errs(r)['wrong-total'];
    expect(wrong.count).toBe(1731);
    expect(wrong.examples[0]).toMatchObject({ index: 258, total: 105, expected: 100, value: { 0: 99, 1: 0, 2: 1, 3: 0, 4: 0, 5: 0, 6: 5, 7: 0 } });
    expect(r.explanation).toMatch(/^The read at index 258 returned balances summing to 105, but the total should be 100/);
  });

  it('bank-negative-balances.json: a negative balance, total and accounts from the first read', async () => {
    const r0 = row('elle-cli/histories/jepsen/bank-negative-balances.json');
    expect(r0.expected).toBe('invalid');
    const { history } = await readHistoryFile(r0.path);
    const r = await bank.check(history, {});
    expect(r).toMatchObject({
      valid: false,
      errorTypes: ['negative-value'],
      reads: 2,
      badReads: 1,
      firstError: 3,
      ops: [3],
      expectedTotal: 100,
      totalFrom: 'first-read',
      accounts: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    });
    expect(errs(r)['negative-value'].examples[0].accounts).toEqual(['7']);
    expect((await bank.check(history, { options: { negativeBalances: true } })).valid).toBe(true);
  });
});
