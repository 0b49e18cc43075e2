// Where one node of a described system runs, and how its long-lived processes are started and
// signalled there: on this machine inside the node's network namespace (local-machine.ts), or on a
// remote host over ssh (remote-machine.ts). The system target (target.ts) drives either the same
// way, so every fault works on both.
import type { Control } from '../../control/types.js';

/** A process a node keeps running: its server ("node") or a sidecar. */
export interface DaemonStart {
  /** "node" for the server, else the sidecar's name. */
  name: string;
  /** The program and its arguments, placeholders filled. */
  argv: readonly string[];
  /** Run as this account (default: the control's, root). */
  user?: string;
  env: Readonly<Record<string, string>>;
  /** Its working directory (the node's data folder). */
  cwd: string;
  /** Its output is appended here (a path where the node runs). */
  log: string;
}

export type DaemonSignal = 'KILL' | 'STOP' | 'CONT' | 'TERM';

export type { FileDamage } from '../common/data-files.js';
import type { FileDamage } from '../common/data-files.js';

export interface Machine {
  readonly node: string;
  /** Runs the description's commands where the node runs (its namespace, or ssh). */
  readonly control: Control;
  /** Creates the folders, owned by `user` when given. */
  prepare(dirs: readonly string[], user?: string): Promise<void>;
  /** Writes a file (its folder exists), owned by `user` when given. */
  writeFile(path: string, content: string, user?: string): Promise<void>;
  /** Starts the daemon detached; resolves once it runs, rejects (with its log's end) if it exits at once. */
  startDaemon(d: DaemonStart): Promise<void>;
  /** Whether the daemon runs (a paused one does). */
  running(name: string): Promise<boolean>;
  /**
   * Signals the daemon and every descendant of it. STOP resolves once the daemon shows stopped,
   * CONT once it no longer does, KILL once it is gone; TERM goes to the daemon alone (it shuts
   * its own children down) and resolves at once.
   */
  signal(name: string, sig: DaemonSignal): Promise<void>;
  /** Resolves true once the daemon is gone, false if it still runs after `ms`. */
  waitGone(name: string, ms: number): Promise<boolean>;
  /** The last lines of a file where the node runs, for error messages. */
  tail(path: string, lines: number): Promise<string>;
  /**
   * Brings the node's logs home: every file in each folder of `dirs` and each of `files` into
   * `localDir` (nothing to do where they are written there already). Resolves with what failed.
   */
  collect(dirs: readonly string[], files: readonly string[], localDir: string): Promise<string[]>;
  /** Every regular, non-empty file under `dir`, with its size, sorted by path. */
  listFiles(dir: string): Promise<{ path: string; size: number }[]>;
  /** Truncates the file, or flips the bits. */
  damage(d: FileDamage): Promise<void>;
}

/** The last lines of a command's stderr (or stdout) for a one-line error. */
export function gist(text: string, lines = 3): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').slice(-lines).join(' / ');
}
