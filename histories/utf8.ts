import { isUtf8 } from 'node:buffer';
import { HistoryError } from './errors.js';

/**
 * Throws a located error if `bytes` is not valid UTF-8. `firstLine` is the line `bytes` starts on.
 * Validation runs on the whole buffer at native speed; only a failure pays for finding the line.
 */
export function assertUtf8(bytes: Uint8Array, file: string, firstLine = 1): void {
  if (isUtf8(bytes)) return;
  let line = firstLine;
  let start = 0;
  for (;;) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    if (!isUtf8(bytes.subarray(start, end))) break;
    if (end === bytes.length) break;
    start = end + 1;
    line++;
  }
  throw new HistoryError(file, line, 'not valid UTF-8 text (is this a history file?)');
}
