// Inputs that are not regular files (issue 20 item 7): a FIFO no one writes to hung `check`,
// `convert` and `--config` in open(); /dev/zero as a history hung or passed 3 GB. Such a path is
// refused at once, unless it names standard input or a pipe handed over on purpose: /dev/stdin
// (`check /dev/stdin < h.jsonl`), /dev/fd/N or /proc/self/fd/N (a shell's `<(…)`).
import { statSync } from 'node:fs';

const ON_PURPOSE = /^\/(?:dev\/stdin|dev\/fd\/\d+|proc\/self\/fd\/\d+)$/;

/** Why `path` is no input to read, or undefined (regular file, folder, missing: for the reader to tell). */
export function notARegularFile(path: string): string | undefined {
  if (ON_PURPOSE.test(path)) return undefined;
  let st;
  try {
    st = statSync(path); // never blocks, unlike open() on a FIFO
  } catch {
    return undefined;
  }
  if (st.isFile() || st.isDirectory()) return undefined;
  const kind = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'a special file';
  return `is ${kind}, not a regular file (standard input is read as /dev/stdin)`;
}
