// A dead man's switch on each remote node. Remote processes do not die with faultline by
// themselves: the node's database runs detached on another machine. So setup opens one ssh session
// per node that waits on its stdin (a pipe from this process). Teardown disarms it by writing
// "disarm". If faultline dies instead (even by SIGKILL), or its connection is lost, the remote
// side reads end of file and runs the node's stop command.
import { execa } from 'execa';
import type { Control } from '../../control/types.js';

export interface Lifeline {
  /** Ends the session without running the stop command. Idempotent; never throws. */
  disarm(): Promise<void>;
  /** Ends the session as if faultline were gone: the remote side runs the stop command. */
  cut(): Promise<void>;
}

// Prints "armed" once it waits; on anything but "disarm" (end of file included) runs $@.
const SCRIPT = 'echo armed; read -r word; [ "$word" = disarm ] && exit 0; exec "$@" </dev/null >/dev/null 2>&1';
const ENDING_MS = 10_000;

/** The remote argv of a lifeline whose loss runs `onLoss`. */
export function lifelineArgv(onLoss: readonly string[]): string[] {
  return ['sh', '-c', SCRIPT, 'sh', ...onLoss];
}

/** Opens the session on `control` and resolves once the remote side waits. */
export async function armLifeline(control: Control, onLoss: readonly string[], timeoutMs = 10_000): Promise<Lifeline> {
  const [file, ...args] = control.wrap(lifelineArgv(onLoss));
  const proc = execa(file, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false }, cleanup: true });
  proc.stdin?.on('error', () => {}); // a session that ended early: its result says why
  const ended = proc.then((r) => r);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    let settled = false;
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    function fail(why: string) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`${control.where}: cannot arm the lifeline: ${why}`));
    }
    proc.stdout?.on('data', (d: Buffer) => {
      seen += d.toString('utf8');
      if (!settled && seen.includes('armed\n')) {
        settled = true;
        clearTimeout(timer);
        resolve();
      }
    });
    void ended.then((r) => fail(String(r.stderr ?? '').trim().split('\n').at(-1) || `the session ended (exit code ${r.exitCode})`));
  });

  let ending: Promise<void> | undefined;
  const end = (word: string) => {
    ending ??= (async () => {
      proc.stdin?.end(word);
      const timer = setTimeout(() => proc.kill('SIGKILL'), ENDING_MS);
      await ended;
      clearTimeout(timer);
    })();
    return ending;
  };
  return { disarm: () => end('disarm\n'), cut: () => end('') };
}
