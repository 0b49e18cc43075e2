// `faultline convert IN --to jsonl|edn`: hand a history to another tool.
import { writeFileSync } from 'node:fs';
import { InputError } from '../histories/errors.js';
import { parseFormatOption } from '../histories/formats.js';
import { readHistoryFile } from '../histories/read.js';
import { formatHistoryEdn } from '../histories/write-edn.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';
import type { Io } from './check.js';

export interface ConvertArgs {
  input: string;
  to: string;
  format?: string;
  output?: string;
}

export async function runConvert(args: ConvertArgs, io: Io): Promise<number> {
  if (args.to !== 'jsonl' && args.to !== 'edn') throw new InputError(`--to must be jsonl or edn, not "${args.to}"`);
  const { history } = await readHistoryFile(args.input, { format: parseFormatOption(args.format ?? 'auto') });
  for (const w of history.warnings) io.stderr(`warning: ${w}`);
  const text = args.to === 'jsonl' ? formatHistoryJsonl(history) : formatHistoryEdn(history);
  if (args.output === undefined || args.output === '-') process.stdout.write(text);
  else writeFileSync(args.output, text);
  return 0;
}
