// A node's client port, reachable here as a unix socket: `ssh -O forward -L SOCKET:IP:PORT` asks
// the node's ControlMaster (control/ssh.ts) to listen on SOCKET and carry each connection to
// IP:PORT as seen from the node. Clients in the root namespace thus never send a packet to the
// node's address themselves (the master may run in another namespace: the cluster file's `via`).
//
// control/ssh.ts has no forward call of its own, so the mux command is derived from the argv the
// control builds for a command (`wrap`): the same options, hence the same ControlPath and master.
import { rmSync } from 'node:fs';
import { run } from '../../control/local.js';
import type { SshControl } from '../../control/ssh.js';

export interface SocketForward {
  /** The local unix socket clients connect to. */
  readonly socket: string;
  /** Cancels the forward and removes the socket file. Idempotent; never throws. */
  close(): Promise<void>;
}

/** argv of `ssh … -O OP -L SPEC -- HOST` on the master `control` uses. */
export function muxArgv(control: SshControl, host: string, op: 'forward' | 'cancel', spec: string): string[] {
  const argv = control.wrap(['true']);
  const dashes = argv.lastIndexOf('--');
  if (dashes < 0 || argv[dashes + 1] !== host || dashes !== argv.length - 3) {
    throw new Error(`${control.where}: cannot derive the ssh mux command from ${JSON.stringify(argv)}`);
  }
  return [...argv.slice(0, dashes), '-O', op, '-L', spec, '--', host];
}

/** Forwards `socket` to `to` through `control`'s master, which must be up (any exec first brings it up). */
export async function forwardToSocket(control: SshControl, host: string, socket: string, to: { ip: string; port: number }, timeoutMs = 10_000): Promise<SocketForward> {
  const spec = `${socket}:${to.ip}:${to.port}`;
  rmSync(socket, { force: true }); // ssh refuses to listen where a file is left
  try {
    await run(muxArgv(control, host, 'forward', spec), { timeoutMs });
  } catch (e) {
    throw new Error(`${control.where}: cannot forward ${socket} to ${to.ip}:${to.port}: ${(e as Error).message.split(': ').at(-1)}`);
  }
  let closed = false;
  return {
    socket,
    async close() {
      if (closed) return;
      closed = true;
      // Exit 255 when the master is gone already: then the forward is too.
      await run(muxArgv(control, host, 'cancel', spec), { timeoutMs: 5000, allowFailure: true }).catch(() => undefined);
      rmSync(socket, { force: true });
    },
  };
}
