// Unix socket paths must stay under ~100 bytes (108 on Linux), so every target keeps its sockets
// in a fresh folder under a short temporary directory.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new folder `<short tmp>/<prefix>XXXXXX` for unix sockets: $TMPDIR when it is short, else /tmp. */
export function shortSocketDir(prefix: string): string {
  const base = Buffer.byteLength(tmpdir()) < 40 ? tmpdir() : '/tmp';
  return mkdtempSync(join(base, prefix));
}

/** The folder `<short tmp>/<name>` for unix sockets, made now (mode 0700); the name must be the run's own. */
export function namedSocketDir(name: string): string {
  const base = Buffer.byteLength(tmpdir()) < 40 ? tmpdir() : '/tmp';
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
