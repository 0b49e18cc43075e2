// A node's data files on this machine: listing them and damaging one (the disk fault, and a
// described system's local nodes).
import { closeSync, openSync, readdirSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Damage done to one data file: cut at a length, or bits flipped in place. */
export type FileDamage =
  | { path: string; kind: 'truncate'; size: number; to: number }
  | { path: string; kind: 'flip'; size: number; bits: { offset: number; bit: number }[] };

/** Every regular, non-empty file under the paths, sorted (so a seed picks the same ones every run). */
export function listFiles(paths: readonly string[]): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const visit = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return; // not there (yet): nothing to damage
    }
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) visit(join(p, e));
    else if (st.isFile() && st.size > 0) out.push({ path: p, size: st.size });
  };
  for (const p of paths) visit(p);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Does it to the file. */
export function applyDamage(d: FileDamage): void {
  if (d.kind === 'truncate') {
    truncateSync(d.path, d.to);
    return;
  }
  const fd = openSync(d.path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    for (const { offset, bit } of d.bits) {
      readSync(fd, byte, 0, 1, offset);
      byte[0] ^= 1 << bit;
      writeSync(fd, byte, 0, 1, offset);
    }
  } finally {
    closeSync(fd);
  }
}

