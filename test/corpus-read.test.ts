import { describe, expect, it } from 'vitest';
import { formatHistoryEdn } from '../histories/write-edn.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';
import { parseHistory, readHistoryFile } from '../histories/read.js';
import { verdicts, verdictsMore } from './helpers/corpus.js';

const rows = [...verdicts, ...verdictsMore];
const unique = [...new Map(rows.map((r) => [r.file, r])).values()];

describe('the public corpus', () => {
  it.each(unique.map((r) => [r.file, r] as const))('%s reads in its format with its invocation count', async (_, row) => {
    const { history, format } = await readHistoryFile(row.path, { format: row.format });
    expect(format).toBe(row.format);
    expect(history.invocationCount).toBe(row.ops);
    expect(history.warnings).toEqual([]);
  });

  it.each(unique.map((r) => [r.file, r] as const))('%s: auto-detection picks its format', async (_, row) => {
    const { format } = await readHistoryFile(row.path);
    expect(format).toBe(row.format);
  });

  it.each(unique.map((r) => [r.file, r] as const))('%s round-trips JSONL -> EDN -> JSONL unchanged', async (_, row) => {
    const { history } = await readHistoryFile(row.path, { format: row.format });
    const jsonl = formatHistoryJsonl(history);
    const edn = formatHistoryEdn(parseHistory(jsonl, 'jsonl', 'a.jsonl'));
    const back = formatHistoryJsonl(parseHistory(edn, 'jepsen-edn', 'b.edn'));
    expect(back).toBe(jsonl);
  });
});
