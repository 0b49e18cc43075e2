// Puts a delay proxy in front of every built-in node's peer listener, so the delay fault works
// without netem: each node listens for peers on an address only its proxy uses, and the other
// nodes are told the proxy's address (createBuiltinTarget's `listen`, NodeAddresses.peerListen).
// Every peer link to a node then crosses its proxy; a delay set on the proxy holds every chunk in
// both directions, so a request and its reply each wait the delay.
//
// Two placements:
//  - { dir }: nodes on this machine without namespaces; everything on unix sockets in `dir`,
//    proxies in this process.
//  - { network, socketDir }: nodes in their namespaces (control/network.ts). Clients still reach
//    nodes on unix sockets in `socketDir` (short: socket paths stay under 100 bytes; a name
//    starting with faultline- lets the last node to exit remove it); each node listens for peers
//    on 127.0.0.1:7001 inside its namespace, and its proxy — a process in that namespace — on the
//    namespace's ip:7000, the address peers use without a proxy. Peer traffic thus crosses the
//    bridge, and partitions still cut it.
import { join } from 'node:path';
import type { Network } from '../control/network.js';
import { fanOut } from '../control/types.js';
import type { NodeAddresses } from '../targets/types.js';
import { DelayProxy, type PeerProxy } from './proxy.js';
import { spawnProxy } from './proxy-process.js';

/** What the delay fault (link.ts) needs from proxies on a target's peer links. */
export interface PeerDelay {
  /** The nodes whose peer links go through a proxy. */
  readonly nodes: readonly string[];
  setDelay(nodes: readonly string[], delayMs: number, jitterMs: number): Promise<void>;
  clear(nodes: readonly string[]): Promise<void>;
}

export interface ProxiedPeers extends PeerDelay {
  /** Give this to createBuiltinTarget as `listen`. */
  listen(node: string, index: number): NodeAddresses;
  /** Starts every proxy; call before the target's setup. */
  start(): Promise<void>;
  /** The node's proxy (after start). */
  proxy(node: string): PeerProxy;
  /** Stops every proxy. Idempotent. */
  close(): Promise<void>;
}

export type ProxyPlacement =
  | { dir: string }
  | { network: Network; socketDir: string; peerPort?: number; proxyPort?: number };

/** The proxy takes the port peers use without one (runner/targets.ts), so peer addresses do not change. */
export const DEFAULT_PROXY_PORT = 7000;
/** The node's own peer listener, on the namespace's loopback: only its proxy reaches it. */
export const DEFAULT_PEER_PORT = 7001;

export function proxiedPeers(nodes: readonly string[], placement: ProxyPlacement): ProxiedPeers {
  const addresses = new Map<string, NodeAddresses & { peerListen: string }>();
  for (const node of nodes) {
    if ('dir' in placement) {
      addresses.set(node, {
        client: `unix:${join(placement.dir, `${node}.c.sock`)}`,
        peer: `unix:${join(placement.dir, `${node}.x.sock`)}`,
        peerListen: `unix:${join(placement.dir, `${node}.p.sock`)}`,
      });
    } else {
      const ip = placement.network.host(node).ip;
      addresses.set(node, {
        client: `unix:${join(placement.socketDir, `${node}.c.sock`)}`,
        peer: `tcp:${ip}:${placement.proxyPort ?? DEFAULT_PROXY_PORT}`,
        peerListen: `tcp:127.0.0.1:${placement.peerPort ?? DEFAULT_PEER_PORT}`,
      });
    }
  }
  const proxies = new Map<string, PeerProxy>();
  const at = (node: string) => {
    const a = addresses.get(node);
    if (!a) throw new Error(`proxied peers: no node ${JSON.stringify(node)} (nodes: ${nodes.join(', ')})`);
    return a;
  };
  const proxyOf = (node: string) => {
    const p = proxies.get(node);
    if (!p) throw new Error(`proxied peers: ${node}'s proxy is not running (call start first)`);
    return p;
  };

  return {
    nodes,
    listen(node) {
      return { ...at(node) };
    },
    async start() {
      await fanOut(nodes, async (node) => {
        if (proxies.has(node)) return;
        const a = at(node);
        const p = 'dir' in placement ? await DelayProxy.start(a.peer, a.peerListen) : await spawnProxy(placement.network.host(node).control, a.peer, a.peerListen);
        proxies.set(node, p);
      });
    },
    proxy: proxyOf,
    async setDelay(targets, delayMs, jitterMs) {
      await fanOut(targets, (n) => proxyOf(n).setDelay(delayMs, jitterMs));
    },
    async clear(targets) {
      await fanOut(targets, (n) => proxyOf(n).clear());
    },
    async close() {
      const all = [...proxies.entries()];
      proxies.clear();
      await fanOut(all, ([, p]) => p.close(), ([n]) => n);
    },
  };
}
