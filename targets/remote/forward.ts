// A node's client port, reachable here as a unix socket: the node's ControlMaster
// (control/ssh.ts `forward`) listens on SOCKET and carries each connection to IP:PORT as seen from
// the node. Clients in the root namespace thus never send a packet to the node's address
// themselves (the master may run in another namespace: the cluster file's `via`).
import { rmSync } from 'node:fs';
import type { SshControl } from '../../control/ssh.js';

export interface SocketForward {
  /** The local unix socket clients connect to. */
  readonly socket: string;
  /** Cancels the forward and removes the socket file. Idempotent; never throws. */
  close(): Promise<void>;
}

/** Forwards `socket` to `to` through `control`'s master, which must be up (any exec first brings it up). */
export async function forwardToSocket(control: SshControl, socket: string, to: { ip: string; port: number }, timeoutMs = 10_000): Promise<SocketForward> {
  rmSync(socket, { force: true }); // ssh refuses to listen where a file is left
  try {
    await control.forward(socket, to, { timeoutMs });
  } catch (e) {
    throw new Error(`${control.where}: cannot forward ${socket} to ${to.ip}:${to.port}: ${(e as Error).message.split(': ').at(-1)}`);
  }
  let closed = false;
  return {
    socket,
    async close() {
      if (closed) return;
      closed = true;
      await control.cancelForward(socket, to).catch(() => undefined);
      rmSync(socket, { force: true });
    },
  };
}
