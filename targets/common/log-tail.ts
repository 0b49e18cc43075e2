// The end of a node's log, for the one error line that says why a node would not start.
import { readFileSync } from 'node:fs';

/** The last `lines` lines of `file`, or "(no log)". */
export function logTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
