// Whether the etcd target can run here: an etcd binary of version 3.4 or later (the v3 JSON
// gateway lives at /v3/ from 3.4 on; Debian's etcd-server package) and the compiled guard.
import { execa } from 'execa';
import { guardMainPath } from '../guard/guarded-process.js';

const MIN_VERSION: readonly number[] = [3, 4];

/** The version `etcd --version` prints, e.g. [3, 4, 23]. */
export function parseEtcdVersion(text: string): number[] | undefined {
  const m = /etcd Version:\s*(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** true, or why the etcd target cannot run here. (Namespaces are control/network.ts's question.) */
export async function etcdAvailable(etcd = 'etcd'): Promise<true | string> {
  if (process.platform !== 'linux') return `the etcd target runs on Linux only (this is ${process.platform})`;
  const r = await execa(etcd, ['--version'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (r.failed && r.exitCode === undefined) return `cannot run ${etcd}: it is not installed (Debian: apt-get install etcd-server)`;
  const version = parseEtcdVersion(String(r.stdout ?? ''));
  if (r.exitCode !== 0 || version === undefined) return `${etcd} --version did not say its version (exit code ${r.exitCode})`;
  const tooOld = version[0] < MIN_VERSION[0] || (version[0] === MIN_VERSION[0] && version[1] < MIN_VERSION[1]);
  if (tooOld) return `${etcd} is version ${version.join('.')}; faultline needs ${MIN_VERSION.join('.')} or later`;
  try {
    guardMainPath();
  } catch (e) {
    return (e as Error).message;
  }
  return true;
}
