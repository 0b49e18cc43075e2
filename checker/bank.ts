// Jepsen's bank workload: transfers move money between accounts, and every ok read must see all
// the accounts (no more), no nil balances, no negative ones (unless allowed), and the same total.
// Transfers are only counted: a read alone is what can show money appearing or vanishing.
import { HistoryError, InputError, show } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import type { Checker, CheckContext, Result } from './types.js';

export type BankErrorType = 'wrong-total' | 'negative-value' | 'unexpected-key' | 'missing-key' | 'nil-balance';

/** Error types in the order a read's errors are listed and an explanation prefers them. */
export const BANK_ERROR_TYPES: readonly BankErrorType[] = ['unexpected-key', 'missing-key', 'nil-balance', 'wrong-total', 'negative-value'];

export interface BankErrorExample {
  /** `index` of the ok read. */
  index: number;
  /** What the read returned. */
  value: Record<string, unknown>;
  /** The accounts at fault (for every type but wrong-total). */
  accounts?: string[];
  /** wrong-total: the total expected and the read's. */
  expected?: number;
  total?: number;
  sentence: string;
}

export interface BankErrorGroup {
  count: number;
  examples: BankErrorExample[];
}

export interface BankOptions {
  total?: number;
  accounts?: string[];
  negativeBalances: boolean;
  maxExamples: number;
}

const DEFAULT_EXAMPLES = 5;

function optionError(name: string, reason: string): never {
  throw new InputError(`bank option ${name}: ${reason}`);
}

/** Reads the checker's options, accepting the forms a flag parser may leave (numeric strings, lists as "a,b"). */
export function bankOptions(raw: Record<string, unknown> = {}): BankOptions {
  let total: number | undefined;
  if (raw.total !== undefined && raw.total !== null) {
    total = typeof raw.total === 'string' && raw.total.trim() !== '' ? Number(raw.total) : (raw.total as number);
    if (typeof total !== 'number' || !Number.isFinite(total)) optionError('total', `must be a number, got ${show(raw.total)}`);
  }
  let accounts: string[] | undefined;
  if (raw.accounts !== undefined && raw.accounts !== null) {
    const list = typeof raw.accounts === 'string' ? raw.accounts.split(',').map((s) => s.trim()).filter((s) => s !== '') : raw.accounts;
    if (!Array.isArray(list) || list.length === 0) optionError('accounts', `must be a non-empty list of account ids, got ${show(raw.accounts)}`);
    accounts = list.map((a) => accountId(a));
    if (new Set(accounts).size !== accounts.length) optionError('accounts', `lists an account twice: ${show(raw.accounts)}`);
  }
  const nb = raw.negativeBalances;
  if (nb !== undefined && nb !== null && typeof nb !== 'boolean' && nb !== 'true' && nb !== 'false') {
    optionError('negativeBalances', `must be true or false, got ${show(nb)}`);
  }
  const mx = raw.maxExamples;
  if (mx !== undefined && (typeof mx !== 'number' || !Number.isInteger(mx) || mx < 0)) {
    optionError('maxExamples', `must be a whole number, got ${show(mx)}`);
  }
  return {
    total,
    accounts,
    negativeBalances: nb === true || nb === 'true',
    maxExamples: (mx as number | undefined) ?? DEFAULT_EXAMPLES,
  };
}

/** Account ids as the readers leave map keys: strings. A number in an option becomes its decimal form. */
function accountId(a: unknown): string {
  if (typeof a === 'string') return a;
  if (typeof a === 'number' || typeof a === 'bigint' || typeof a === 'boolean') return String(a);
  return JSON.stringify(a);
}

const showAccounts = (xs: readonly string[]): string => xs.join(', ');
const plural = (xs: readonly unknown[], word: string): string => (xs.length > 1 ? `${word}s` : word);
const isBalance = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

interface Counts {
  ok: number;
  fail: number;
  info: number;
  open: number;
}

export async function checkBank(h: History, ctx: CheckContext = {}): Promise<Result> {
  const opts = bankOptions(ctx.options);
  const ops = h.ops;
  const pair = h.pair;
  const file = ctx.file ?? h.file;
  const transfers: Counts = { ok: 0, fail: 0, info: 0, open: 0 };

  let expectedTotal = opts.total;
  let accounts = opts.accounts;
  let totalRead = -1;
  let accountsRead = -1;
  // Account id -> slot; a read marks the slots it saw with its own stamp to find missing accounts.
  let slot: Map<string, number> | undefined;
  let seen: Int32Array | undefined;
  const setAccounts = (list: string[]) => {
    accounts = list;
    slot = new Map(list.map((a, i) => [a, i]));
    seen = new Int32Array(list.length).fill(-1);
  };
  if (accounts) setAccounts(accounts);

  const groups = new Map<BankErrorType, BankErrorGroup>();
  let reads = 0;
  let badReads = 0;
  let firstError = -1;
  let firstSentence = '';

  const unexpected: string[] = [];
  const nils: string[] = [];
  const negative: string[] = [];
  const clauses: string[] = [];

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.process === 'nemesis') continue;
    if (op.f === 'transfer') {
      if (op.type === 'invoke') {
        const done = pair[i];
        const t = done < 0 ? 'open' : ops[done].type;
        transfers[t as keyof Counts]++;
      }
      continue;
    }
    if (op.f !== 'read' || op.type !== 'ok') continue;
    const value = op.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new HistoryError(file, h.lineOf(i), `value: an ok bank read must return a map of account to balance, got ${show(value)}`);
    }
    const balances = value as Record<string, unknown>;
    reads++;

    if (accounts === undefined) {
      setAccounts(Object.keys(balances));
      accountsRead = op.index;
    }
    if (expectedTotal === undefined) {
      // The first ok read whose balances are all numbers sets the total; one with a nil cannot.
      let sum = 0;
      let numeric = true;
      for (const k in balances) {
        const b = balances[k];
        if (isBalance(b)) sum += b;
        else numeric = false;
      }
      if (numeric) {
        expectedTotal = sum;
        totalRead = op.index;
      }
    }

    unexpected.length = 0;
    nils.length = 0;
    negative.length = 0;
    let total = 0;
    let present = 0;
    for (const k in balances) {
      const s = slot!.get(k);
      if (s === undefined) unexpected.push(k);
      else if (seen![s] !== i) {
        seen![s] = i;
        present++;
      }
      const b = balances[k];
      if (!isBalance(b)) nils.push(k);
      else {
        total += b;
        if (b < 0) negative.push(k);
      }
    }

    // Each broken rule is a clause about the read ("is missing account b"); its example says
    // "The read at index N <clause>.". Clauses and examples are built only while still wanted.
    const wantClauses = firstError < 0;
    let bad = false;
    const note = (type: BankErrorType, make: () => [string, Partial<BankErrorExample>]) => {
      bad = true;
      let g = groups.get(type);
      if (!g) groups.set(type, (g = { count: 0, examples: [] }));
      g.count++;
      const keep = g.examples.length < opts.maxExamples;
      if (!keep && !wantClauses) return;
      const [clause, detail] = make();
      if (keep) g.examples.push({ index: op.index, value: balances, ...detail, sentence: `The read at index ${op.index} ${clause}.` });
      if (wantClauses) clauses.push(clause);
    };
    clauses.length = 0;
    if (unexpected.length > 0) {
      note('unexpected-key', () => [
        `returned ${plural(unexpected, 'account')} ${showAccounts(unexpected)}, which ${unexpected.length > 1 ? 'are' : 'is'} not among the accounts (${showAccounts(accounts!)})`,
        { accounts: [...unexpected] },
      ]);
    }
    if (present < accounts!.length) {
      note('missing-key', () => {
        const missing = accounts!.filter((_, s) => seen![s] !== i);
        return [`is missing ${plural(missing, 'account')} ${showAccounts(missing)}`, { accounts: missing }];
      });
    }
    if (nils.length > 0) {
      note('nil-balance', () => [
        `returned no numeric balance for ${plural(nils, 'account')} ${nils.map((k) => `${k} (${show(balances[k])})`).join(', ')}`,
        { accounts: [...nils] },
      ]);
    } else if (expectedTotal !== undefined && total !== expectedTotal) {
      // With a nil balance the read's total is unknown, so only a read of numbers can be off.
      const expected = expectedTotal;
      note('wrong-total', () => [
        `returned balances summing to ${total}, but the total should be ${expected}${totalRead >= 0 ? `, the sum the first ok read (index ${totalRead}) saw` : ', as the total option says'}`,
        { expected, total },
      ]);
    }
    if (negative.length > 0 && !opts.negativeBalances) {
      note('negative-value', () => [
        `returned a negative balance for ${plural(negative, 'account')} ${negative.map((k) => `${k} (${balances[k]})`).join(', ')}`,
        { accounts: [...negative] },
      ]);
    }
    if (bad) {
      badReads++;
      if (firstError < 0) {
        firstError = op.index;
        firstSentence = `the read at index ${op.index} ${clauses.join('; it ')}`;
      }
    }
  }

  const errors: Partial<Record<BankErrorType, BankErrorGroup>> = {};
  for (const t of BANK_ERROR_TYPES) {
    const g = groups.get(t);
    if (g) errors[t] = g;
  }
  const errorTypes = BANK_ERROR_TYPES.filter((t) => groups.has(t));
  const base = {
    reads,
    badReads,
    transfers,
    ...(expectedTotal !== undefined ? { expectedTotal } : {}),
    totalFrom: opts.total !== undefined ? 'option' : 'first-read',
    ...(totalRead >= 0 ? { totalRead } : {}),
    ...(accounts !== undefined ? { accounts } : {}),
    accountsFrom: opts.accounts !== undefined ? 'option' : 'first-read',
    ...(accountsRead >= 0 ? { accountsRead } : {}),
    negativeBalances: opts.negativeBalances,
  };

  if (reads === 0) {
    return {
      valid: 'unknown',
      reason: 'nothing-to-check',
      explanation: 'No read completed ok, so no balances could be checked.',
      ...base,
      errors,
    };
  }
  if (firstError < 0) return { valid: true, ...base, errorTypes, errors };

  const counts = errorTypes.map((t) => `${t}: ${groups.get(t)!.count}`).join(', ');
  const ofReads = `${badReads} of ${reads} ok reads ${badReads === 1 ? 'is' : 'are'} bad`;
  // Evidence: the first few bad reads of every type, in history order.
  const evidence = new Set<number>();
  for (const t of errorTypes) for (const e of groups.get(t)!.examples) evidence.add(e.index);
  return {
    valid: false,
    explanation: `${cap(firstSentence)}; ${ofReads} (${counts}).`,
    ops: [...evidence].sort((a, b) => a - b),
    firstError,
    ...base,
    errorTypes,
    errors,
  };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const bank: Checker = {
  name: 'bank',
  description: 'bank transfers: every ok read sees all accounts, no nil or negative balance, and the same total',
  check: (h, ctx) => checkBank(h, ctx),
};
