// A node on a remote host over ssh: its processes run detached there (setsid), each with a pid
// file in the node's workDir, and are signalled by the fixed scripts of remote-scripts.ts. If
// faultline dies, the node's lifeline (targets/remote/lifeline.ts) stops them.
import { join } from 'node:path';
import { copyLog } from '../remote/copy-log.js';
import type { SshControl } from '../../control/ssh.js';
import { gist, type DaemonSignal, type DaemonStart, type FileDamage, type Machine } from './machine.js';
import { remoteScripts } from './remote-scripts.js';

/** The reason of a control's error without the command (which, for a script, is the whole script). */
export function reasonOf(e: unknown): string {
  const reason = (e as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : e instanceof Error ? e.message : String(e);
}

export class RemoteMachine implements Machine {
  constructor(
    readonly node: string,
    readonly control: SshControl,
    /** The node's working folder on the host: pid files live here. */
    readonly workDir: string,
    private readonly timeoutMs: number,
    /** Written into each pid file beside the pid, for faultline heal. */
    private readonly runId: string,
  ) {}

  pidFile(name: string): string {
    return `${this.workDir}/${name}.pid`;
  }

  private async exec(what: string, argv: readonly string[], options: { input?: string; allowFailure?: boolean; timeoutMs?: number } = {}) {
    try {
      return await this.control.exec(argv, { timeoutMs: this.timeoutMs, ...options });
    } catch (e) {
      throw new Error(`${this.node} (${this.control.where}): ${what}: ${reasonOf(e)}`);
    }
  }

  async prepare(dirs: readonly string[], user?: string): Promise<void> {
    await this.exec('making its folders', remoteScripts.prepare(user, dirs));
  }

  async writeFile(path: string, content: string, user?: string): Promise<void> {
    await this.exec(`writing ${path}`, remoteScripts.write(path, user), { input: content });
  }

  async startDaemon(d: DaemonStart): Promise<void> {
    const env = Object.entries(d.env).map(([k, v]) => `${k}=${v}`);
    const argv = env.length > 0 ? ['env', ...env, ...d.argv] : d.argv;
    const r = await this.exec(`starting ${d.name}`, remoteScripts.start(this.pidFile(d.name), d.log, d.cwd, d.user, this.runId, argv), { allowFailure: true });
    if (r.exitCode !== 0) throw new Error(`${this.node} (${this.control.where}): ${d.name} (${d.argv.join(' ').slice(0, 80)}) did not start: ${gist(r.stderr, 6) || `exit code ${r.exitCode}`}`);
  }

  async running(name: string): Promise<boolean> {
    return (await this.exec(`asking whether ${name} runs`, remoteScripts.running(this.pidFile(name)), { allowFailure: true })).exitCode === 0;
  }

  async signal(name: string, sig: DaemonSignal): Promise<void> {
    const r = await this.exec(`SIG${sig} to ${name}`, remoteScripts.signal(this.pidFile(name), sig), { allowFailure: true });
    if (r.exitCode !== 0) throw new Error(`${this.node} (${this.control.where}): SIG${sig} to ${name}: ${gist(r.stderr) || `exit code ${r.exitCode}`}`);
  }

  async waitGone(name: string, ms: number): Promise<boolean> {
    const r = await this.exec(`waiting for ${name} to end`, remoteScripts.waitGone(this.pidFile(name), ms / 100), { allowFailure: true, timeoutMs: ms + this.timeoutMs });
    return r.exitCode === 0;
  }

  async tail(path: string, lines: number): Promise<string> {
    const r = await this.control.exec(['tail', '-n', String(lines), '--', path], { allowFailure: true, timeoutMs: this.timeoutMs }).catch((e: unknown) => ({ stdout: `(cannot read ${path}: ${reasonOf(e)})` }));
    return r.stdout.trimEnd() || `(${path} is empty)`;
  }

  async collect(dirs: readonly string[], files: readonly string[], localDir: string): Promise<string[]> {
    const problems: string[] = [];
    const all = [...files];
    for (const d of dirs) {
      const r = await this.exec(`listing ${d}`, remoteScripts.list(d), { allowFailure: true }).catch((e: Error) => (problems.push(e.message), undefined));
      if (r?.exitCode === 0) all.push(...r.stdout.split('\n').filter((l) => l !== ''));
    }
    for (const remote of all) {
      const name = remote.slice(remote.lastIndexOf('/') + 1);
      const why = await copyLog(this.control, remote, join(localDir, name), this.timeoutMs).catch((e: Error) => e.message);
      if (why !== undefined) problems.push(why);
    }
    return problems;
  }

  async listFiles(dir: string): Promise<{ path: string; size: number }[]> {
    const r = await this.exec(`listing the files in ${dir}`, remoteScripts.dataFiles(dir));
    const files: { path: string; size: number }[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /^(\d+) (\/.*)$/.exec(line);
      if (m && Number(m[1]) > 0) files.push({ path: m[2], size: Number(m[1]) });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async damage(d: FileDamage): Promise<void> {
    const argv = d.kind === 'truncate' ? remoteScripts.truncate(d.path, d.to) : remoteScripts.flip(d.path, d.bits);
    const r = await this.exec(`damaging ${d.path}`, argv, { allowFailure: true });
    if (r.exitCode !== 0) throw new Error(`${this.node} (${this.control.where}): damaging ${d.path}: ${gist(r.stderr) || `exit code ${r.exitCode}`}`);
  }
}
