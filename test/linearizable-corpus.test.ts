// Every history of the public corpus gets the verdict its publishers established; for every
// invalid one, the history cut just before the reported failing op is linearizable and the
// history through it is not.
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../checker/linearizable/index.js';
import { History } from '../histories/history.js';
import { readHistoryFile } from '../histories/read.js';
import { verdicts } from './helpers/corpus.js';
import { cutHistory } from './helpers/cut-history.js';

describe('linearizability verdicts of the corpus', () => {
  it.each(verdicts.map((r) => [r.file, r] as const))('%s', async (_, row) => {
    const { history } = await readHistoryFile(row.path, { format: row.format });
    const init = JSON.parse(row.init!);
    const r = await checkLinearizable(history, row.model!, { init });
    expect(r.valid).toBe(row.expected === 'valid');
    if (r.valid !== false) return;
    expect(r.explanation).toMatch(/cannot be linearized|failed \(index/);
    const failure = r.failure as { key?: unknown; op: { completionIndex: number } };
    // Check the failing part alone (its key's ops, for keyed histories).
    const part = failure.key !== undefined ? history.clientOps().byKey().get(failure.key)! : history.clientOps();
    const at = part.ops.findIndex((op) => op.index === failure.op.completionIndex);
    expect(at).toBeGreaterThan(0);
    const before = await checkLinearizable(cutHistory(part, at), row.model!, { init });
    const through = await checkLinearizable(cutHistory(part, at + 1), row.model!, { init });
    expect(before.valid).toBe(true);
    expect(through.valid).toBe(false);
  });
});
