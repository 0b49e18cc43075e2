// Making a described system runnable where its nodes run: the programs it requires are looked for
// (`command -v`, or an absolute path where * matches one folder name, as Debian keeps PostgreSQL
// in /usr/lib/postgresql/15/bin); when one is missing, its Debian packages are installed with
// apt-get; then the description's own install command runs. Locally that is this machine, once
// per run (before any namespace exists: apt needs the network); remotely each host, over ssh.
import type { Control } from '../../control/types.js';
import { gist } from './machine.js';
import { reasonOf } from './remote-machine.js';

// $@: programs, or absolute paths of files (a library, a module). Prints the missing ones, one per
// line. A path's * is a glob on purpose.
const MISSING = `
for c in "$@"; do
  case $c in
    /*) found=; for f in $c; do [ -e "$f" ] && found=1; done; [ -n "$found" ] || echo "$c";;
    *) command -v "$c" >/dev/null 2>&1 || echo "$c";;
  esac
done
exit 0
`;

// $@: packages. Non-interactive apt-get, quiet unless it fails.
const APT = `
command -v apt-get >/dev/null 2>&1 || { echo "no apt-get here to install $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
out=$(apt-get update -q 2>&1 && apt-get install -y -q --no-install-recommends "$@" 2>&1) || { echo "$out" | tail -n 5 >&2; exit 1; }
exit 0
`;

/** The programs of `requires` missing where `control` runs commands. */
export async function missingPrograms(control: Control, requires: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  if (requires.length === 0) return [];
  const r = await control.exec(['sh', '-c', MISSING, 'sh', ...requires], { timeoutMs });
  return r.stdout.split('\n').filter((l) => l !== '');
}

export interface InstallPlan {
  /** For messages: the system, or "the client of <system>". */
  what: string;
  packages: readonly string[];
  requires: readonly string[];
  /** The description's own install argv (placeholders filled). */
  install?: readonly string[];
  timeoutMs: number;
}

/**
 * Installs what `plan` needs where `control` runs commands: the packages when a required program
 * is missing (and then checks again), then the install command. Errors name the place, what was
 * missing and the end of apt-get's or the command's output.
 */
export async function ensureInstalled(control: Control, plan: InstallPlan): Promise<void> {
  const where = control.where;
  const fail = (why: string) => new Error(`${where}: cannot install ${plan.what}: ${why}`);
  let missing = await missingPrograms(control, plan.requires).catch((e: unknown) => {
    throw fail(reasonOf(e));
  });
  if (missing.length > 0) {
    if (plan.packages.length === 0) throw fail(`${missing.join(', ')} not found, and the description names no Debian packages to install`);
    const r = await control.exec(['sh', '-c', APT, 'sh', ...plan.packages], { timeoutMs: plan.timeoutMs, allowFailure: true }).catch((e: unknown) => {
      throw fail(reasonOf(e));
    });
    if (r.exitCode !== 0) throw fail(`${missing.join(', ')} not found, and apt-get install ${plan.packages.join(' ')} failed: ${gist(r.stderr) || `exit code ${r.exitCode}`}`);
    missing = await missingPrograms(control, plan.requires);
    if (missing.length > 0) throw fail(`${missing.join(', ')} still not found after apt-get install ${plan.packages.join(' ')}`);
  }
  if (plan.install) {
    const r = await control.exec(plan.install, { timeoutMs: plan.timeoutMs, allowFailure: true }).catch((e: unknown) => {
      throw fail(reasonOf(e));
    });
    if (r.exitCode !== 0) throw fail(`its install command (${plan.install.join(' ').slice(0, 80)}) exited ${r.exitCode}: ${gist(r.stderr || r.stdout) || 'no output'}`);
  }
}
