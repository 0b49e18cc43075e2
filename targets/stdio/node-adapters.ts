// What the adapters of one node share: their instance numbers (adapter-<n>.log, "n2#1" in
// errors), the environment they start with, and the count of exits in a row without a reply, which
// fails the run once it passes the restart limit (an adapter that cannot work must not be
// restarted forever, turning every op into info).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { TargetFailed } from '../types.js';
import { AdapterProcess, type AdapterEnding, type AdapterSpawn } from './adapter-process.js';

export interface NodeAdaptersOptions {
  node: string;
  argv: readonly string[];
  /** logs/<node>/ under the run folder. */
  logDir: string;
  /** Evaluated at each start (a node's address is known only once its cluster is up). */
  env: () => Record<string, string>;
  restartLimit: number;
  /** False once the target is torn down: no adapter starts after that. */
  live: () => boolean;
  /** Where the adapter runs, e.g. inside a network namespace (`ip netns exec NS …`); default here. */
  wrap?: (argv: readonly string[]) => string[];
}

export interface NodeAdapterStats {
  /** Adapters started. */
  starts: number;
  /** Starts on an instance whose previous adapter had exited on its own. */
  restarts: number;
  /** Adapters that exited on their own (not closed by faultline). */
  exits: number;
  /** Every pid started, for checks that none outlives the target. */
  pids: number[];
}

const MAX_ARGV_SHOWN = 200;
const MAX_STDERR_SHOWN = 160;

/** The adapter's last line of its own in `log` (not faultline's notes), shortened; undefined if none. */
export function lastStderrLine(log: string): string | undefined {
  let text: string;
  try {
    // Only the end: an adapter may log a lot.
    const fd = openSync(log, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 8192));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      text = buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('--- faultline '));
  const last = lines.at(-1)?.trim();
  if (last === undefined) return undefined;
  return last.length > MAX_STDERR_SHOWN ? `${last.slice(0, MAX_STDERR_SHOWN)}...` : last;
}

export class NodeAdapters {
  readonly node: string;
  readonly stats: NodeAdapterStats = { starts: 0, restarts: 0, exits: 0, pids: [] };
  private readonly taken = new Set<number>();
  /** Instances whose last adapter exited on its own: their next start is a restart. */
  private readonly exitedOnOwn = new Set<number>();
  private streak = 0;
  private last: { slot: number; ending: AdapterEnding } | undefined;

  constructor(private readonly o: NodeAdaptersOptions) {
    this.node = o.node;
  }

  /** The lowest free instance number (1, 2, …): a client's, until it closes. */
  acquire(): number {
    let n = 1;
    while (this.taken.has(n)) n++;
    this.taken.add(n);
    return n;
  }

  release(slot: number): void {
    this.taken.delete(slot);
  }

  logPath(slot: number): string {
    return join(this.o.logDir, `adapter-${slot}.log`);
  }

  /** How errors name the adapter: `stdio adapter n2#1 (python3 adapter.py)`. */
  label(slot: number): string {
    const argv = this.o.argv.join(' ');
    return `stdio adapter ${this.node}#${slot} (${argv.length > MAX_ARGV_SHOWN ? `${argv.slice(0, MAX_ARGV_SHOWN)}...` : argv})`;
  }

  /** Starts an adapter for instance `slot`; throws TargetFailed once the node's adapters kept exiting. */
  start(slot: number, handlers: Pick<AdapterSpawn, 'onLine' | 'onOverlong'>): AdapterProcess {
    if (!this.o.live()) throw new Error(`${this.label(slot)}: the stdio target is not set up`);
    const failed = this.failure(slot);
    if (failed !== undefined) throw new TargetFailed(failed);
    const proc = new AdapterProcess({ argv: this.o.argv, wrap: this.o.wrap, env: this.o.env(), log: this.logPath(slot), ...handlers });
    this.stats.starts++;
    if (proc.pid !== undefined) this.stats.pids.push(proc.pid);
    if (this.exitedOnOwn.delete(slot)) {
      this.stats.restarts++;
      proc.note(`restart (exits in a row on ${this.node}: ${this.streak})`);
    }
    return proc;
  }

  /** An adapter answered: it works, whatever its siblings did before. */
  answered(): void {
    this.streak = 0;
  }

  /**
   * An adapter exited on its own. Returns the run's failure when that makes more exits in a row
   * than the restart limit allows.
   */
  exited(slot: number, ending: AdapterEnding): string | undefined {
    this.stats.exits++;
    this.streak++;
    this.last = { slot, ending };
    this.exitedOnOwn.add(slot);
    return this.failure(slot);
  }

  private failure(slot: number): string | undefined {
    if (this.streak <= this.o.restartLimit || this.last === undefined) return undefined;
    const { slot: lastSlot, ending } = this.last;
    const where = this.logPath(lastSlot);
    const said = lastStderrLine(where);
    return `${this.label(slot)}: ${this.node}'s adapters exited ${this.streak} times in a row without a reply (restart limit ${this.o.restartLimit}); the last exited with ${ending.text}, its stderr is in ${where}${said === undefined ? ' (empty)' : ` and ends ${JSON.stringify(said)}`}`;
  }
}
