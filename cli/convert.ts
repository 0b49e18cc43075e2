// `faultline convert IN --to jsonl|edn`: hand a history to another tool.
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../histories/errors.js';
import { parseFormatOption } from '../histories/formats.js';
import { readHistoryFile } from '../histories/read.js';
import { formatHistoryEdn } from '../histories/write-edn.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';
import type { Io } from './check.js';
import { checkOutputFile, makeDirs } from './paths.js';

export interface ConvertArgs {
  input: string;
  to: string;
  format?: string;
  output?: string;
}

export async function runConvert(args: ConvertArgs, io: Io): Promise<number> {
  if (args.to !== 'jsonl' && args.to !== 'edn') throw new InputError(`--to must be jsonl or edn, not "${args.to}"`);
  const toFile = args.output !== undefined && args.output !== '-';
  // Before reading: a directory (EISDIR after the work) or a place nothing can be written.
  if (toFile) checkOutputFile('--output', args.output!);
  const { history } = await readHistoryFile(args.input, { format: parseFormatOption(args.format ?? 'auto') });
  for (const w of history.warnings) io.stderr(`warning: ${w}`);
  const text = args.to === 'jsonl' ? formatHistoryJsonl(history) : formatHistoryEdn(history);
  if (!toFile) process.stdout.write(text);
  else {
    try {
      makeDirs(dirname(args.output!));
      writeFileSync(args.output!, text);
    } catch (e) {
      throw new InputError(`cannot write --output ${args.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return 0;
}
