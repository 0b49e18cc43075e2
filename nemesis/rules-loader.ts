// Loads iptables-restore text on one host, fast. Starting a process costs tens of ms on a small,
// busy machine (fork of a large Node process, then `ip netns exec`), so a loader keeps the next
// `iptables-restore --noflush` already started and waiting on stdin: loading is writing the text,
// closing stdin and waiting for it to commit and exit; `prepare` starts the next one once the
// caller is done (the start blocks the event loop, so not while other nodes' loads are awaited).
// A waiting iptables-restore holds no lock (it takes the xtables lock only at a `*table` line), and
// if faultline dies it reads EOF and exits without changing anything. It runs in a process group
// of its own, so a signal to faultline's group (Ctrl-C) does not end it just when the heal needs
// it; one that died all the same (killed while it waited) is replaced by a fresh one once.
import { execa } from 'execa';
import type { Control } from '../control/types.js';

const ARGV = ['iptables-restore', '-w', '--noflush'];

type Proc = ReturnType<typeof execa>;

interface Waiting {
  proc: Proc;
  result: Promise<{ exitCode?: number; signal?: string; stderr: string }>;
  exited: boolean;
}

export interface RulesLoader {
  load(text: string, timeoutMs: number): Promise<void>;
  /** Starts the process the next load will use, if none waits (a no-op for a cold loader). */
  prepare(): void;
  /** Ends the waiting process, if any. */
  close(): void;
}

/** Runs one iptables-restore per load through `control.exec` (no process kept waiting). */
export function coldLoader(control: Control): RulesLoader {
  return {
    async load(text, timeoutMs) {
      await control.exec(ARGV, { input: text, timeoutMs });
    },
    prepare() {},
    close() {},
  };
}

/** Keeps the next iptables-restore started and waiting (see the file comment); the process runs through `control.wrap`. */
export function warmLoader(control: Control): RulesLoader {
  let waiting: Waiting | undefined;
  let closed = false;

  const start = (): Waiting => {
    const [file, ...args] = control.wrap(ARGV);
    const proc = execa(file, args, { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe', reject: false, detached: true });
    proc.stdin?.on('error', () => {}); // a process that died early: its result says why
    const w: Waiting = { proc, exited: false, result: Promise.resolve({ stderr: '' }) };
    w.result = proc.then((r) => {
      w.exited = true;
      return { exitCode: r.exitCode, signal: r.signal, stderr: String(r.stderr ?? '') };
    });
    return w;
  };

  return {
    async load(text, timeoutMs) {
      if (closed) throw new Error(`${control.where}: the rules loader is closed`);
      const w = waiting && !waiting.exited ? waiting : start();
      waiting = undefined;
      try {
        await loadOn(w, text, timeoutMs);
      } catch (e) {
        // Killed by a signal while it waited (before it could read a line): a fresh one, once.
        const r = w.exited ? await w.result : undefined;
        if (r === undefined || r.signal === undefined || r.stderr.trim() !== '' || closed) throw e;
        await loadOn(start(), text, timeoutMs);
      }
    },
    prepare() {
      // Starting a process blocks this thread for a while: callers do it off their critical path.
      if (!closed && (!waiting || waiting.exited)) waiting = start();
    },
    close() {
      closed = true;
      waiting?.proc.kill('SIGKILL');
      waiting = undefined;
    },
  };

  /** Hands `text` to the waiting process `w` and waits for it to commit and exit. */
  async function loadOn(w: Waiting, text: string, timeoutMs: number): Promise<void> {
    w.proc.stdin!.end(text);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        w.proc.kill('SIGKILL');
        reject(new Error(`${control.where}: iptables-restore gave no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    let r: Awaited<Waiting['result']>;
    try {
      r = await Promise.race([w.result, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (r.exitCode !== 0) {
      const why = r.stderr.trim().split('\n').slice(0, 3).join(' / ') || (r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`);
      throw new Error(`${control.where}: iptables-restore: ${why}`);
    }
  }
}
