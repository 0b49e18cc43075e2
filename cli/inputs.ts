// Turns the paths a person typed into the history files to check: a directory means the history
// files in it (by extension), recursively, in a stable order.
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { HISTORY_EXTENSIONS } from '../histories/formats.js';

async function walk(dir: string, out: string[]): Promise<void> {
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
