// Whether the redis target can run here: redis-server and redis-sentinel of version 7 or later
// (Debian's redis-server and redis-sentinel packages) and the compiled guard.
import { execa } from 'execa';
import { guardMainPath } from '../guard/guarded-process.js';

const MIN_MAJOR = 7;

/** The version `redis-server --version` prints, e.g. [7, 0, 15]. */
export function parseRedisVersion(text: string): number[] | undefined {
  const m = /\bv=(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

async function version(binary: string, pkg: string): Promise<number[] | string> {
  const r = await execa(binary, ['--version'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (r.failed && r.exitCode === undefined) return `cannot run ${binary}: it is not installed (Debian: apt-get install ${pkg})`;
  const v = parseRedisVersion(String(r.stdout ?? ''));
  if (r.exitCode !== 0 || v === undefined) return `${binary} --version did not say its version (exit code ${r.exitCode})`;
  if (v[0] < MIN_MAJOR) return `${binary} is version ${v.join('.')}; faultline needs ${MIN_MAJOR}.0 or later`;
  return v;
}

/** true, or why the redis target cannot run here. (Namespaces are control/network.ts's question.) */
export async function redisAvailable(): Promise<true | string> {
  if (process.platform !== 'linux') return `the redis target runs on Linux only (this is ${process.platform})`;
  for (const [binary, pkg] of [['redis-server', 'redis-server'], ['redis-sentinel', 'redis-sentinel']] as const) {
    const v = await version(binary, pkg);
    if (typeof v === 'string') return v;
  }
  try {
    guardMainPath();
  } catch (e) {
    return (e as Error).message;
  }
  return true;
}
