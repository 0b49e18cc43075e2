// Whether the postgres target can run here: Debian's PostgreSQL server binaries (kept off PATH, in
// /usr/lib/postgresql/<version>/bin), and — since PostgreSQL refuses to run as root — when we are
// root, the `postgres` user to run it as and setpriv to switch to it; and the compiled guard.
import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { guardMainPath } from '../guard/guarded-process.js';

export const POSTGRES_LIB = '/usr/lib/postgresql';
/** The account Debian's postgresql-common creates; the server runs as it when we are root. */
export const SERVER_ACCOUNT = 'postgres';
const INSTALL_HINT = 'PostgreSQL is not installed (Debian package postgresql: apt-get install postgresql)';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The bin directory of the newest PostgreSQL under `root` that has both postgres and initdb. */
export function findBinDir(root = POSTGRES_LIB): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return undefined;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (executable(join(bin, 'postgres')) && executable(join(bin, 'initdb'))) return bin;
  }
  return undefined;
}

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
  /** Every group of the account (for permission checks). */
  gids: number[];
}

/** The account to run the server as: the postgres account when we are root, else ourselves (undefined). */
export async function serverAccount(): Promise<RunAs | undefined | string> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => {
    const r = await execa('id', [flag, SERVER_ACCOUNT], { reject: false, timeout: 10_000, stdin: 'ignore' });
    return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
  };
  const [uid, gid, gids] = [await id('-u'), await id('-g'), await id('-G')];
  if (uid === undefined || gid === undefined) return `PostgreSQL refuses to run as root, and there is no "${SERVER_ACCOUNT}" user to run it as (Debian's postgresql-common creates it)`;
  return { name: SERVER_ACCOUNT, uid: Number(uid), gid: Number(gid), gids: (gids ?? gid).split(/\s+/).map(Number) };
}

/** true, or why the postgres target cannot run here. */
export async function postgresAvailable(): Promise<true | string> {
  if (process.platform !== 'linux') return `the postgres target runs on Linux only (this is ${process.platform})`;
  if (findBinDir() === undefined) return INSTALL_HINT;
  const account = await serverAccount();
  if (typeof account === 'string') return account;
  if (account !== undefined) {
    const r = await execa('setpriv', ['--version'], { reject: false, timeout: 10_000, stdin: 'ignore' });
    if (r.exitCode !== 0) return 'running PostgreSQL as the postgres user needs setpriv (Debian package util-linux)';
  }
  try {
    guardMainPath();
  } catch (e) {
    return (e as Error).message;
  }
  return true;
}
