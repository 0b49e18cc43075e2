// How faultline's side reaches a node's port, which it must never dial from the root namespace
// when the node lives in a test namespace (a packet to the test range from there leaves the
// machine):
//   - locally, faultline's built-in clients connect to a unix socket served by a forwarding proxy
//     in the run's client namespace, which dials the node; adapters run in that namespace
//     themselves and dial the node directly;
//   - remotely, each node's ssh master forwards a unix socket (built-in clients) or a loopback
//     port (adapters, which may only speak TCP) to the node's port as the host sees it.
import { rmSync } from 'node:fs';
import net from 'node:net';
import type { Control } from '../../control/types.js';
import type { SshControl } from '../../control/ssh.js';
import { spawnProxy } from '../../nemesis/proxy-process.js';
import type { PeerProxy } from '../../nemesis/proxy.js';

export interface Reach {
  /** A unix socket at `path` that reaches ip:port (made by open). */
  socket(node: string, ip: string, port: number, path: string): Promise<void>;
  /** host:port that reaches the node's ip:port from where adapters run. */
  tcp(node: string, ip: string, port: number): Promise<string>;
  /** Where adapters and the client's init run (locally: inside the client namespace). */
  wrap(argv: readonly string[]): string[];
  /** Ends every proxy and forward. Idempotent; never throws. */
  close(): Promise<void>;
}

/** Local: proxies in the client namespace; adapters run there. */
export function localReach(client: Control): Reach {
  const proxies: PeerProxy[] = [];
  return {
    async socket(_node, ip, port, path) {
      rmSync(path, { force: true });
      proxies.push(await spawnProxy(client, `unix:${path}`, `tcp:${ip}:${port}`));
    },
    async tcp(_node, ip, port) {
      return `${ip}:${port}`;
    },
    wrap: (argv) => client.wrap(argv),
    async close() {
      await Promise.all(proxies.splice(0).map((p) => p.close().catch(() => undefined)));
    },
  };
}

/** A loopback port free right now (ssh is then asked to listen there; a clash is retried). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Remote: forwards on each node's ssh master; adapters run here. */
export function remoteReach(controls: ReadonlyMap<string, SshControl>, timeoutMs = 10_000): Reach {
  const forwards: { control: SshControl; listen: string; to: { ip: string; port: number } }[] = [];
  const controlOf = (node: string) => {
    const c = controls.get(node);
    if (!c) throw new Error(`no ssh control for ${node}`);
    return c;
  };
  return {
    async socket(node, ip, port, path) {
      const control = controlOf(node);
      rmSync(path, { force: true }); // ssh refuses to listen where a file is left
      await control.forward(path, { ip, port }, { timeoutMs }).catch((e: Error) => {
        throw new Error(`${control.where}: cannot forward ${path} to ${ip}:${port}: ${e.message.split(': ').at(-1)}`);
      });
      forwards.push({ control, listen: path, to: { ip, port } });
    },
    async tcp(node, ip, port) {
      const control = controlOf(node);
      let last: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        const listen = `127.0.0.1:${await freePort()}`;
        try {
          await control.forward(listen, { ip, port }, { timeoutMs });
          forwards.push({ control, listen, to: { ip, port } });
          return listen;
        } catch (e) {
          last = e; // the port was taken meanwhile: another
        }
      }
      throw new Error(`${control.where}: cannot forward a loopback port to ${ip}:${port}: ${(last as Error).message.split(': ').at(-1)}`);
    },
    wrap: (argv) => [...argv],
    async close() {
      await Promise.all(
        forwards.splice(0).map(async (f) => {
          await f.control.cancelForward(f.listen, f.to).catch(() => undefined);
          if (f.listen.startsWith('/')) rmSync(f.listen, { force: true });
        }),
      );
    },
  };
}
