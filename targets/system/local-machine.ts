// A node on this machine, in its network namespace: its processes run under faultline's guard
// (targets/guard/), which kills them and their descendants when faultline dies, and are signalled
// here by pid. Files are written directly: namespaces share this machine's file system.
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { run } from '../../control/local.js';
import { descendantsOf, processState, signal as send } from '../../control/proc.js';
import type { Control } from '../../control/types.js';
import { logTail } from '../common/log-tail.js';
import { guardedCommand, spawnGuarded, type GuardedProcess } from '../guard/guarded-process.js';
import { gist, type DaemonSignal, type DaemonStart, type FileDamage, type Machine } from './machine.js';
import { applyDamage, listFiles } from '../common/data-files.js';

const SETTLE_MS = 5000;
const START_TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** uid and gid of an account of this machine (cached: accounts do not change during a run). */
const accounts = new Map<string, Promise<{ uid: number; gid: number }>>();
export function account(user: string): Promise<{ uid: number; gid: number }> {
  let a = accounts.get(user);
  if (!a) {
    a = (async () => {
      const [u, g] = await Promise.all([run(['id', '-u', user]), run(['id', '-g', user])]).catch(() => {
        throw new Error(`there is no user ${JSON.stringify(user)} on this machine (the description's "user"; its package usually creates it)`);
      });
      return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
    })();
    a.catch(() => accounts.delete(user));
    accounts.set(user, a);
  }
  return a;
}

/** The argv that runs `d.argv` as its user with its environment (setpriv and env exec in place: the pid stays the program's). */
export async function asUser(d: Pick<DaemonStart, 'argv' | 'user' | 'env'>, resolveAccount: (user: string) => Promise<{ uid: number; gid: number }>): Promise<string[]> {
  const env = Object.entries(d.env).map(([k, v]) => `${k}=${v}`);
  const withEnv = env.length > 0 ? ['env', ...env, ...d.argv] : [...d.argv];
  if (d.user === undefined || d.user === 'root') return withEnv;
  const { uid, gid } = await resolveAccount(d.user);
  return ['setpriv', '--reuid', String(uid), '--regid', String(gid), '--init-groups', '--', ...withEnv];
}

export class LocalMachine implements Machine {
  private readonly daemons = new Map<string, GuardedProcess>();

  constructor(
    readonly node: string,
    readonly control: Control,
  ) {}

  async prepare(dirs: readonly string[], user?: string): Promise<void> {
    const owner = user === undefined || user === 'root' ? undefined : await account(user);
    for (const d of dirs) {
      mkdirSync(d, { recursive: true });
      if (owner) chownSync(d, owner.uid, owner.gid);
    }
  }

  async writeFile(path: string, content: string, user?: string): Promise<void> {
    writeFileSync(path, content);
    if (user !== undefined && user !== 'root') {
      const { uid, gid } = await account(user);
      chownSync(path, uid, gid);
    }
  }

  async startDaemon(d: DaemonStart): Promise<void> {
    const old = this.daemons.get(d.name);
    if (old && !old.isDone()) return;
    const program = await asUser(d, account);
    const proc = await spawnGuarded({
      argv: this.control.wrap(guardedCommand(program, [], { killTree: true })),
      cwd: existsSync(d.cwd) ? d.cwd : '/',
      log: d.log,
      timeoutMs: START_TIMEOUT_MS,
    }).catch((e: Error) => {
      throw new Error(`${this.node}: ${d.name} did not start: ${e.message}; ${d.log} ends: ${JSON.stringify(gist(logTail(d.log, 15), 2))}`);
    });
    this.daemons.set(d.name, proc);
  }

  async running(name: string): Promise<boolean> {
    const p = this.daemons.get(name);
    return p !== undefined && !p.isDone();
  }

  /** The daemon's pid while it runs. */
  pid(name: string): number | undefined {
    const p = this.daemons.get(name);
    return p && !p.isDone() ? p.pid : undefined;
  }

  async signal(name: string, sig: DaemonSignal): Promise<void> {
    const p = this.daemons.get(name);
    if (!p || p.isDone()) {
      if (sig === 'KILL' || sig === 'TERM') return;
      throw new Error(`${this.node}: ${name} is not running`);
    }
    const tree = sig === 'TERM' ? [p.pid] : [p.pid, ...descendantsOf(p.pid)];
    // A stopped tree is continued from the top and stopped from the bottom, so no child acts on a half-stopped parent.
    const order = sig === 'STOP' ? [...tree].reverse() : tree;
    for (const pid of order) send(pid, `SIG${sig}`);
    if (sig === 'KILL') {
      const timer = setTimeout(() => p.killGuard(), SETTLE_MS);
      await p.exited;
      clearTimeout(timer);
      return;
    }
    if (sig === 'STOP' || sig === 'CONT') {
      const stopped = sig === 'STOP';
      const deadline = Date.now() + SETTLE_MS;
      for (;;) {
        const state = processState(p.pid);
        if (state === undefined || p.isDone() || (state === 'T') === stopped) return;
        if (Date.now() > deadline) throw new Error(`${this.node}: ${name} (pid ${p.pid}) is still in state ${state} ${SETTLE_MS} ms after SIG${sig}`);
        await sleep(2);
      }
    }
  }

  async waitGone(name: string, ms: number): Promise<boolean> {
    const p = this.daemons.get(name);
    if (!p || p.isDone()) return true;
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return gone;
  }

  async tail(path: string, lines: number): Promise<string> {
    return logTail(path, lines);
  }

  /** Local logs are written where the run keeps them; files named outside the log folder are copied. */
  async collect(_dirs: readonly string[], files: readonly string[], localDir: string): Promise<string[]> {
    const problems: string[] = [];
    for (const f of files) {
      if (f.startsWith(localDir + '/')) continue;
      const r = await run(['cp', '--', f, localDir], { allowFailure: true });
      if (r.exitCode !== 0 && existsSync(f)) problems.push(`${this.node}: cannot copy ${f}: ${r.stderr.trim()}`);
    }
    return problems;
  }

  async listFiles(dir: string): Promise<{ path: string; size: number }[]> {
    return listFiles([dir]);
  }

  async damage(d: FileDamage): Promise<void> {
    applyDamage(d);
  }
}
