// Which reader a file needs: named by --format (the names verdicts.tsv uses), or detected from the
// extension and the first bytes.
import { extname } from 'node:path';
import { InputError } from './errors.js';

export const FORMATS = ['jsonl', 'json', 'jepsen-edn', 'porcupine-etcd-log', 'porcupine-kv-log'] as const;
export type Format = (typeof FORMATS)[number];
export type FormatOption = Format | 'auto';

/** Extensions a directory walk treats as history files. */
export const HISTORY_EXTENSIONS = ['.jsonl', '.json', '.edn', '.log', '.txt'] as const;

const JEPSEN_LINE = /^(?:.*?\s-\s+)?(?:\d+|:nemesis)\s+:(?:invoke|ok|fail|info)\s+:\S+/;

/** The first meaningful text of a file: past a BOM, blank space and `;` comment lines. */
function lead(head: string): string {
  let s = head.replace(/^\uFEFF/, '');
  for (;;) {
    s = s.replace(/^[\s,]+/, '');
    if (!s.startsWith(';')) return s;
    const nl = s.indexOf('\n');
    if (nl === -1) return '';
    s = s.slice(nl + 1);
  }
}

export function detectFormat(path: string, head: string): Format | undefined {
  const ext = extname(path).toLowerCase();
  const s = lead(head);
  const firstLine = s.split('\n', 1)[0] ?? '';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.edn') return 'jepsen-edn';
  if (ext === '.json') return s.startsWith('[') ? 'json' : 'jsonl';
  if (JEPSEN_LINE.test(firstLine)) return 'porcupine-etcd-log';
  if (s.startsWith('{"')) return 'jsonl';
  if (/^\[\s*(\{\s*"|\])/.test(s)) return 'json';
  if (/^[[(]?\s*\{\s*:/.test(s)) return ext === '.txt' && /:key\s/.test(firstLine) ? 'porcupine-kv-log' : 'jepsen-edn';
  if (s.length === 0) return ext === '.txt' ? 'porcupine-kv-log' : ext === '.log' ? 'porcupine-etcd-log' : undefined;
  return undefined;
}

export function parseFormatOption(name: string): FormatOption {
  if (name === 'auto' || (FORMATS as readonly string[]).includes(name)) return name as FormatOption;
  throw new InputError(`unknown --format "${name}"; use auto, ${FORMATS.join(', ')}`);
}
