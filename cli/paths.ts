// Output paths are checked before any work starts (issue 20 items 6 and 7): `convert -o DIR` ended
// in "internal error: EISDIR" after the conversion, and `check --out /proc/nope`, `--junit
// /proc/x/y.xml` and `test --store /proc/1` hung after the check or run: Node's recursive mkdir
// loops forever where mkdir answers ENOENT under a parent that exists (as in /proc). Each flag's
// path is looked at first — a directory where a file goes, a special file, a place nothing can be
// written — and refused in one line; directories are made one level at a time (makeDirs).
import { closeSync, constants, mkdirSync, openSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../histories/errors.js';

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** `mkdir -p` without `{ recursive: true }`, which never returns on /proc/nope (Node 20). */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  let p = resolve(path);
  for (;;) {
    const st = statOf(p);
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${p} is not a directory`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** The deepest folder of `start` (itself included) that exists, and is a folder; else why not (`flag path` named). */
function existingFolder(flag: string, path: string, start = path): string {
  let p = resolve(start);
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statOf(p);
    } catch (e) {
      // EACCES: a folder on the way cannot be searched by this user.
      throw new InputError(`${flag} ${path}: cannot reach ${p} (${codeOf(e)})`);
    }
    if (st) {
      if (!st.isDirectory()) throw new InputError(`${flag} ${path}: ${p} is not a directory`);
      return p;
    }
    const up = dirname(p);
    if (up === p) return p;
    p = up;
  }
}

/** Writes and removes a file in `dir`: the one sure test (root passes access(W_OK) on /proc). */
function probeFolder(flag: string, path: string, dir: string): void {
  const probe = join(dir, `.faultline-probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new InputError(`${flag} ${path}: cannot write in ${dir} (${codeOf(e)})`);
  }
  try {
    unlinkSync(probe);
  } catch {
    // written, so writable; a probe left behind is harmless
  }
}

/**
 * A file faultline will write (`--junit`, `convert -o`): a regular file or a new one in a folder
 * that takes files; a character device (/dev/null) or a pipe someone reads (`>(cmd)`) too.
 * '-' (standard output) is for the caller to allow.
 */
export function checkOutputFile(flag: string, path: string): void {
  if (path === '') throw new InputError(`${flag}: an empty path`);
  const st = statOf(path);
  if (st === undefined) {
    probeFolder(flag, path, existingFolder(flag, path, dirname(path)));
    return;
  }
  if (st.isDirectory()) throw new InputError(`${flag} ${path}: is a directory; give a file name`);
  if (st.isFIFO()) {
    // Opening a FIFO no one reads blocks for ever; without blocking it says ENXIO.
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch (e) {
      throw new InputError(`${flag} ${path}: a FIFO ${codeOf(e) === 'ENXIO' ? 'that no one reads' : `that cannot be opened (${codeOf(e)})`}`);
    }
    return;
  }
  if (!st.isFile() && !st.isCharacterDevice()) throw new InputError(`${flag} ${path}: is ${kindOf(st)}, not a file to write`);
  try {
    closeSync(openSync(path, 'r+')); // not 'w': nothing is lost if the run stops before writing
  } catch (e) {
    throw new InputError(`${flag} ${path}: cannot write it (${codeOf(e)})`);
  }
}

/** A folder faultline will write in (`--out`, `--store`): one that exists and takes files, or can be made. */
export function checkOutputDir(flag: string, path: string): void {
  if (path === '') throw new InputError(`${flag}: an empty path`);
  const st = statOf(path);
  if (st !== undefined && !st.isDirectory()) throw new InputError(`${flag} ${path}: is ${st.isFile() ? 'a file' : kindOf(st)}; give a directory`);
  probeFolder(flag, path, existingFolder(flag, path));
}
