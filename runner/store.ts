// The store (DESIGN.md, "Store"): STORE/<test-name>/<timestamp>/ holds test.json, history.jsonl,
// results.json, report.html and logs/<node>/; STORE/latest links to the newest run.
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../histories/errors.js';

export const RUN_FILES = {
  test: 'test.json',
  history: 'history.jsonl',
  results: 'results.json',
  report: 'report.html',
  logs: 'logs',
} as const;

/** A timestamp that sorts and is a valid folder name everywhere: 20261130T064501.123Z. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '');
}

/** Makes STORE/<name>/<timestamp>/ (with a suffix if that exists) and points STORE/latest at it. */
export function createRunDir(storeRoot: string, name: string, now = new Date()): string {
  const root = resolve(storeRoot);
  let dir = join(root, name, stamp(now));
  for (let k = 2; existsSync(dir); k++) dir = join(root, name, `${stamp(now)}-${k}`);
  try {
    mkdirSync(join(dir, RUN_FILES.logs), { recursive: true });
  } catch (e) {
    throw new InputError(`cannot create the store folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  pointLatest(root, dir);
  return dir;
}

/**
 * Removes a run folder that never ran (its test could not start) and, if STORE/latest points at
 * it, the link too, so `faultline analyze STORE` does not land on an empty run.
 */
export function abandonRunDir(storeRoot: string, dir: string): void {
  const root = resolve(storeRoot);
  const latest = join(root, 'latest');
  try {
    if (isLink(latest) && resolve(root, readlinkSync(latest)) === resolve(dir)) unlinkSync(latest);
  } catch {
    // best effort: the folder goes anyway
  }
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(dirname(dir)); // the test's folder, when this was its only run
  } catch {
    // not empty: other runs of this test
  }
}

/** Replaces STORE/latest atomically (a new link renamed over the old), relative so the store can move. */
function pointLatest(root: string, dir: string): void {
  const latest = join(root, 'latest');
  const tmp = join(root, `.latest-${process.pid}`);
  try {
    if (existsSync(tmp) || isLink(tmp)) unlinkSync(tmp);
    symlinkSync(relative(root, dir), tmp);
    renameSync(tmp, latest);
  } catch {
    // A store on a filesystem without symlinks still works; only the shortcut is missing.
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The run folder a user named: a run folder itself, or a store root / test folder, whose `latest`
 * run (or newest timestamp) is meant.
 */
export function findRunDir(path: string): string {
  const p = resolve(path);
  if (existsSync(join(p, RUN_FILES.test)) || existsSync(join(p, RUN_FILES.history))) return p;
  if (existsSync(join(p, 'latest', RUN_FILES.history))) return resolve(p, 'latest');
  if (!existsSync(p)) throw new InputError(`${path}: no such store folder`);
  throw new InputError(`${path}: not a run folder (no ${RUN_FILES.test} or ${RUN_FILES.history}; a run folder is STORE/<test>/<timestamp>/, or give STORE to use STORE/latest)`);
}

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}
