// Rows of ../shared/corpus/verdicts*.tsv, for tests that read the public corpus in place.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Format } from '../../histories/formats.js';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');

function findCorpus(): string {
  const candidates = [process.env.FAULTLINE_CORPUS, join(repoRoot, '..', 'shared', 'corpus')];
  for (const c of candidates) if (c && existsSync(join(c, 'verdicts.tsv'))) return c;
  throw new Error(`corpus not found (looked in ${candidates.filter(Boolean).join(', ')}); set FAULTLINE_CORPUS`);
}
export const corpusDir = findCorpus();

export interface CorpusRow {
  file: string;
  path: string;
  format: Format;
  model?: string;
  init?: string;
  checker?: string;
  options?: string;
  expected: 'valid' | 'invalid';
  anomalies?: string;
  ops: number;
  notes: string;
}

function readTsv(name: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(join(corpusDir, name), 'utf8').split('\n').filter((l) => l.length > 0);
  const cols = header.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

function toRow(r: Record<string, string>): CorpusRow {
  return {
    ...r,
    file: r.file,
    path: join(corpusDir, r.file),
    format: r.format as Format,
    expected: r.expected as 'valid' | 'invalid',
    ops: Number(r.ops),
    notes: r.notes ?? '',
  };
}

export const verdicts: CorpusRow[] = readTsv('verdicts.tsv').map(toRow);
export const verdictsMore: CorpusRow[] = readTsv('verdicts-more.tsv').map(toRow);
