// Delay proxies on etcd's peer links, so the delay fault works without netem. etcd members
// advertise one peer URL each (IP:2380) and dial each other there, so faultline cannot hand them a
// proxy's address the way it does for the built-in store. Instead, inside each member X's
// namespace:
//   - one delay proxy per peer Y, listening on X's own address at a spare port (basePort + Y's
//     index) and forwarding to Y's peer URL;
//   - one nat OUTPUT DNAT rule per peer Y, tagged faultline:<runid>, sending X's connections to
//     Y:2380 to that local proxy.
// Every connection X dials to a peer thus crosses exactly one proxy (X's), and the other leg still
// leaves X from X's address, so partitions (INPUT drops by source address) cut it as before.
//
// The proxy's own connection to Y:2380 must not be redirected back to itself. The proxies run with
// a group id of their own (setpriv --regid, uid stays 0 so `ip netns exec` keeps working) and the
// rule skips sockets of that group (`-m owner ! --gid-owner`). Matching on the source port would
// need the proxy to bind chosen ports, and a mark needs SO_MARK, which node cannot set; the group
// needs nothing but the owner match, which works in OUTPUT.
//
// Proxies and rules must exist before etcd starts (a connection made earlier would bypass them):
// start() before the target's setup, close() after its teardown.
import type { Network, NodeHost } from '../control/network.js';
import { runTag } from '../control/network.js';
import { fanOut, type Control } from '../control/types.js';
import type { PeerDelay } from './proxied-peers.js';
import type { PeerProxy } from './proxy.js';
import { spawnProxy } from './proxy-process.js';

export interface EtcdPeerProxiesOptions {
  /** etcd's peer port. Default 2380. */
  peerPort?: number;
  /** Every port peers dial each other at (a described system's peerPorts); overrides peerPort. */
  peerPorts?: readonly number[];
  /** The proxy for the i-th node (0-based, network order) listens on basePort + i. Default 12380. */
  basePort?: number;
  /** The group id the proxies run with, which the DNAT rules skip. Default 64380. */
  gid?: number;
  /** Per-command timeout. Default 10 s. */
  timeoutMs?: number;
}

export interface EtcdPeerProxies extends PeerDelay {
  /** Starts every proxy and installs every DNAT rule; call before the target's setup. */
  start(): Promise<void>;
  /** The proxy in `from`'s namespace on its links to `to`'s k-th peer port (default the first; after start). */
  proxy(from: string, to: string, k?: number): PeerProxy;
  /** Removes the rules and stops the proxies, checking the rules are gone. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_ETCD_PEER_PORT = 2380;
export const DEFAULT_ETCD_PROXY_BASE_PORT = 12380;
export const DEFAULT_ETCD_PROXY_GID = 64380;
const DEFAULT_TIMEOUT_MS = 10_000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function checkPort(what: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`etcd peer proxies: ${what} must be a port (1-65535), got ${port}`);
  return port;
}

/**
 * The nat OUTPUT rule (after -A / -D) that sends this namespace's connections to peerIp:peerPort
 * to the local proxy at selfIp:proxyPort, except the proxy's own (group `gid`).
 */
export function dnatRule(runId: string, peerIp: string, peerPort: number, selfIp: string, proxyPort: number, gid: number): string[] {
  if (!/^[a-z0-9]{1,12}$/.test(runId)) throw new Error(`etcd peer proxies: bad run id ${JSON.stringify(runId)}`);
  for (const ip of [peerIp, selfIp]) if (!IPV4.test(ip)) throw new Error(`etcd peer proxies: ${JSON.stringify(ip)} is not an IPv4 address`);
  if (!Number.isInteger(gid) || gid < 1) throw new Error(`etcd peer proxies: gid must be a positive integer, got ${gid}`);
  return [
    'OUTPUT', '-p', 'tcp', '-d', `${peerIp}/32`, '--dport', String(checkPort('peerPort', peerPort)),
    '-m', 'owner', '!', '--gid-owner', String(gid),
    '-m', 'comment', '--comment', runTag(runId),
    '-j', 'DNAT', '--to-destination', `${selfIp}:${checkPort('proxy port', proxyPort)}`,
  ];
}

/** iptables-restore input adding (`-A`) or deleting (`-D`) the given nat rules in one transaction. */
export function natRestoreInput(op: '-A' | '-D', rules: readonly (readonly string[])[]): string {
  return ['*nat', ...rules.map((r) => `${op} ${r.join(' ')}`), 'COMMIT', ''].join('\n');
}

/** A Control that runs its long-lived commands with group `gid` (uid unchanged). */
function withGroup(control: Control, gid: number): Control {
  return {
    where: control.where,
    exec: (argv, options) => control.exec(argv, options),
    wrap: (argv) => control.wrap(['setpriv', '--regid', String(gid), '--clear-groups', '--', ...argv]),
  };
}

interface Link {
  from: string;
  to: string;
  /** Which peer port (its index). */
  k: number;
  listen: string;
  target: string;
}

interface Setting {
  delayMs: number;
  jitterMs: number;
}

export function etcdPeerProxies(network: Network, options: EtcdPeerProxiesOptions = {}): EtcdPeerProxies {
  const peerPorts = (options.peerPorts ?? [options.peerPort ?? DEFAULT_ETCD_PEER_PORT]).map((p) => checkPort('peerPort', p));
  if (peerPorts.length === 0) throw new Error('etcd peer proxies: no peer port');
  const basePort = options.basePort ?? DEFAULT_ETCD_PROXY_BASE_PORT;
  checkPort('basePort', basePort + peerPorts.length * network.hosts.length - 1);
  const gid = options.gid ?? DEFAULT_ETCD_PROXY_GID;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const hosts = network.hosts;
  const nodes = hosts.map((h) => h.node);
  const index = new Map(hosts.map((h, i) => [h.node, i]));
  /** Where the proxy for links to `to`'s k-th peer port listens (on the dialling node's address). */
  const portOf = (to: string, k: number) => basePort + k * hosts.length + index.get(to)!;

  const links: Link[] = hosts.flatMap((x) =>
    hosts
      .filter((y) => y.node !== x.node)
      .flatMap((y) => peerPorts.map((port, k) => ({ from: x.node, to: y.node, k, listen: `tcp:${x.ip}:${portOf(y.node, k)}`, target: `tcp:${y.ip}:${port}` }))),
  );
  const rulesOf = (x: NodeHost) =>
    hosts.filter((y) => y.node !== x.node).flatMap((y) => peerPorts.map((port, k) => dnatRule(network.runId, y.ip, port, x.ip, portOf(y.node, k), gid)));
  const key = (from: string, to: string, k: number) => `${from}>${to}:${k}`;

  const proxies = new Map<string, PeerProxy>();
  /** Nodes whose rules may be installed (set before the attempt, so a half-done start is undone). */
  const ruled = new Set<string>();
  const settings = new Map<string, Setting>();
  let queue: Promise<unknown> = Promise.resolve();
  /** Delay changes run one at a time: two overlapping ones must not leave a link half-updated. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const proxyOf = (from: string, to: string, k = 0) => {
    const p = proxies.get(key(from, to, k));
    if (!p) throw new Error(`etcd peer proxies: no proxy from ${from} to ${to} (nodes: ${nodes.join(', ')}; call start first)`);
    return p;
  };
  const checkNodes = (list: readonly string[]) => {
    for (const n of list) if (!nodes.includes(n)) throw new Error(`etcd peer proxies: no node ${JSON.stringify(n)} (nodes: ${nodes.join(', ')})`);
  };

  /** A link is slowed while either end is: by the slower of the two settings. */
  const linkSetting = (l: Link): Setting | undefined => {
    const a = settings.get(l.from);
    const b = settings.get(l.to);
    if (!a || !b) return a ?? b;
    return a.delayMs >= b.delayMs ? a : b;
  };
  const sync = async (touched: readonly string[]) => {
    const affected = links.filter((l) => touched.includes(l.from) || touched.includes(l.to));
    await fanOut(
      affected,
      (l) => {
        const s = linkSetting(l);
        const p = proxyOf(l.from, l.to, l.k);
        return s ? p.setDelay(s.delayMs, s.jitterMs) : p.clear();
      },
      (l) => `${l.from} → ${l.to}`,
    );
  };

  const removeRules = async (x: NodeHost) => {
    const rules = rulesOf(x);
    const exec = (argv: string[], input?: string) => x.control.exec(argv, { timeoutMs, allowFailure: true, input });
    const done = await exec(['iptables-restore', '-w', '--noflush'], natRestoreInput('-D', rules));
    if (done.exitCode !== 0) {
      // Not all of them are there (a start that failed half-way): delete whichever are.
      for (const r of rules) while ((await exec(['iptables', '-w', '-t', 'nat', '-C', ...r])).exitCode === 0) await exec(['iptables', '-w', '-t', 'nat', '-D', ...r]);
    }
    const listed = await x.control.exec(['iptables', '-w', '-t', 'nat', '-S', 'OUTPUT'], { timeoutMs });
    const left = listed.stdout.split('\n').filter((l) => l.includes(runTag(network.runId)));
    if (left.length > 0) throw new Error(`DNAT rules still there: ${left.join(' / ')}`);
  };

  const close = async () => {
    const rulesToRemove = hosts.filter((h) => ruled.has(h.node));
    const open = [...proxies.entries()];
    proxies.clear();
    settings.clear();
    const errors: string[] = [];
    // Rules first: once they are gone no new connection goes to a proxy that is about to stop.
    await fanOut(rulesToRemove, async (h) => {
      await removeRules(h);
      ruled.delete(h.node);
    }, (h) => `${h.node} (${h.control.where})`).catch((e: Error) => errors.push(e.message));
    await fanOut(open, ([, p]) => p.close(), ([k]) => k).catch((e: Error) => errors.push(e.message));
    if (errors.length > 0) throw new Error(`etcd peer proxies: teardown: ${errors.join('; ')}`);
  };

  return {
    nodes,
    async start() {
      if (proxies.size > 0) return;
      try {
        await fanOut(
          links,
          async (l) => {
            const p = await spawnProxy(withGroup(network.host(l.from).control, gid), l.listen, l.target, { timeoutMs });
            proxies.set(key(l.from, l.to, l.k), p);
          },
          (l) => `proxy ${l.from} → ${l.to}`,
        );
        await fanOut(
          hosts,
          async (x) => {
            ruled.add(x.node);
            await x.control.exec(['iptables-restore', '-w', '--noflush'], { input: natRestoreInput('-A', rulesOf(x)), timeoutMs });
          },
          (x) => `DNAT rules in ${x.node} (${x.control.where})`,
        );
      } catch (e) {
        await close().catch(() => undefined);
        throw new Error(`etcd peer proxies: could not start: ${(e as Error).message}`);
      }
    },
    proxy: proxyOf,
    setDelay(targets, delayMs, jitterMs) {
      checkNodes(targets);
      return serial(async () => {
        for (const n of targets) settings.set(n, { delayMs, jitterMs });
        await sync(targets);
      });
    },
    clear(targets) {
      checkNodes(targets);
      return serial(async () => {
        for (const n of targets) settings.delete(n);
        await sync(targets);
      });
    },
    close: () => serial(close),
  };
}
