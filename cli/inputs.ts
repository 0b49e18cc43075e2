// Turns the paths a person typed into the history files to check: a directory means the history
// files in it (by extension), recursively, in a stable order. Folders faultline itself wrote are
// read for what they are: a run folder holds one history (its test.json, results.json, node logs
// and data files are not histories), a `cluster up` folder none.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { HISTORY_EXTENSIONS } from '../histories/formats.js';
import { RUN_FILES } from '../runner/store.js';

/** runner/cluster.ts CLUSTER_FILES (not imported: it brings the whole runner): what a `faultline cluster up` folder always holds. */
const CLUSTER_FOLDER = ['config.json', 'holder.log'];

async function walk(dir: string, out: string[]): Promise<void> {
  if (existsSync(join(dir, RUN_FILES.test)) || existsSync(join(dir, RUN_FILES.history))) {
    if (existsSync(join(dir, RUN_FILES.history))) out.push(join(dir, RUN_FILES.history));
    return;
  }
  if (CLUSTER_FOLDER.every((f) => existsSync(join(dir, f)))) return;
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if ((HISTORY_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) out.push(p);
  }
}

/** Expands directories; a path that cannot be read is kept, so its reader reports it per file. */
export async function expandInputs(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      // reported by the reader, with the other files still checked
    }
    if (isDir) await walk(p, out);
    else out.push(p);
  }
  return out;
}
