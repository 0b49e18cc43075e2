// Slow and lossy links: delay (± jitter), loss, duplicate, reorder, corrupt and bandwidth, each a
// Fault applied inside every affected node's namespace (all nodes at once), each on the node's
// outgoing packets on its bridge interface, and each stop removing exactly what its start added.
//
// With netem in the kernel (probed once, in a scratch namespace of the run), every kind is one
// netem qdisc per node holding the parameters of every link fault active there. Without netem
// (this machine class's kernel has none):
//   - loss: an iptables rule dropping a random share of outgoing packets (`-m statistic`), in a
//     chain of its own (FAULTLINE-LOSS), so healing a partition never heals the loss or back;
//   - bandwidth: a tbf qdisc;
//   - delay: faultline's own TCP proxy on the target's peer links (proxied-peers.ts), when the
//     target's peer links go through it;
//   - duplicate, reorder, corrupt: nothing replaces them; available() says so.
// What start resolves with names the mechanism that carried the fault.
//
// Tags: iptables rules carry `-m comment --comment faultline:<runid>`; qdiscs cannot carry a
// comment, so faultline's have the handle fa17: (and live in the run's namespaces, fl-<runid>-*).
import { run } from '../control/local.js';
import type { Network } from '../control/network.js';
import { fanOut, type Control } from '../control/types.js';
import type { PeerDelay } from './proxied-peers.js';
import type { Fault } from './types.js';

export const LINK_FAULT_NAMES = ['delay', 'loss', 'duplicate', 'reorder', 'corrupt', 'bandwidth'] as const;
export type LinkFaultName = (typeof LINK_FAULT_NAMES)[number];

export type LinkMechanism = 'netem' | 'iptables-statistic' | 'tbf' | 'proxy';

/** Every parameter a link fault may take; a start's value can override any of them. */
export interface LinkParams {
  delayMs: number;
  jitterMs: number;
  lossProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
  /** netem reorders packets by sending some at once while the rest wait this long (when no delay fault is on). */
  reorderDelayMs: number;
  corruptProbability: number;
  /** tc rate, e.g. 1mbit, 500kbit. */
  rate: string;
  /** tbf bucket size, e.g. 64kb (bytes: large enough for a GSO segment, or tbf drops it). */
  burst: string;
  /** tbf: the longest a packet may wait in the bucket before it is dropped. */
  latencyMs: number;
}

export const DEFAULT_LINK_PARAMS: Readonly<LinkParams> = {
  delayMs: 100,
  jitterMs: 20,
  lossProbability: 0.2,
  duplicateProbability: 0.05,
  reorderProbability: 0.25,
  reorderDelayMs: 10,
  corruptProbability: 0.05,
  rate: '1mbit',
  burst: '64kb',
  latencyMs: 400,
};

export interface LinkFaultOptions extends Partial<LinkParams> {
  /** The nodes' interface to the bridge. Default eth0. */
  device?: string;
  /** Proxies on the target's peer links: carry delay where netem is missing. */
  peerDelay?: PeerDelay;
  /** Whether the kernel has netem, when known (skips the probe; e.g. tests). */
  netem?: boolean;
  /** Per-command timeout. Default 10 s. */
  timeoutMs?: number;
}

/** The chain for random drops, apart from the partition chain. */
export const LOSS_CHAIN = 'FAULTLINE-LOSS';
/** The handle of every qdisc faultline adds. */
export const QDISC_HANDLE = 'fa17:';

export function tag(runId: string): string {
  return `faultline:${runId}`;
}

// ---- argv, pure ----------------------------------------------------------------------------

function percent(p: number): string {
  return `${Number((p * 100).toFixed(4))}%`;
}

function ms(x: number): string {
  return `${Number(x.toFixed(3))}ms`;
}

/** netem's parameters for the link faults active on one node (empty: no netem qdisc needed). */
export function netemArgs(active: ReadonlyMap<LinkFaultName, LinkParams>): string[] {
  const a: string[] = [];
  const delay = active.get('delay');
  const reorder = active.get('reorder');
  if (delay) a.push('delay', ms(delay.delayMs), ...(delay.jitterMs > 0 ? [ms(delay.jitterMs)] : []));
  else if (reorder) a.push('delay', ms(reorder.reorderDelayMs));
  const loss = active.get('loss');
  if (loss) a.push('loss', percent(loss.lossProbability));
  const dup = active.get('duplicate');
  if (dup) a.push('duplicate', percent(dup.duplicateProbability));
  if (reorder) a.push('reorder', percent(reorder.reorderProbability));
  const corrupt = active.get('corrupt');
  if (corrupt) a.push('corrupt', percent(corrupt.corruptProbability));
  const bw = active.get('bandwidth');
  if (bw) a.push('rate', bw.rate);
  return a;
}

export function netemArgv(device: string, args: readonly string[]): string[] {
  return ['tc', 'qdisc', 'replace', 'dev', device, 'root', 'handle', QDISC_HANDLE, 'netem', ...args];
}

export function tbfArgv(device: string, p: Pick<LinkParams, 'rate' | 'burst' | 'latencyMs'>): string[] {
  return ['tc', 'qdisc', 'replace', 'dev', device, 'root', 'handle', QDISC_HANDLE, 'tbf', 'rate', p.rate, 'burst', p.burst, 'latency', ms(p.latencyMs)];
}

export function qdiscDeleteArgv(device: string): string[] {
  return ['tc', 'qdisc', 'del', 'dev', device, 'root', 'handle', QDISC_HANDLE];
}

export function qdiscShowArgv(device: string): string[] {
  return ['tc', 'qdisc', 'show', 'dev', device];
}

/**
 * The loss rules of one node: `apply` (iptables-restore --noflush input) fills FAULTLINE-LOSS with
 * one random DROP and, with `hook`, jumps to it from OUTPUT on `device`; `unhook` undoes both in
 * one transaction. The step-by-step argv are for removing whatever a failed transaction left.
 */
export function lossRules(runId: string, device: string, probability: number) {
  if (!/^[a-z0-9]{1,12}$/.test(runId)) throw new Error(`loss: bad run id ${JSON.stringify(runId)}`);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(device)) throw new Error(`loss: bad interface ${JSON.stringify(device)}`);
  if (!(probability > 0 && probability <= 1)) throw new Error(`loss: probability ${probability} is not in (0, 1]`);
  const comment = ['-m', 'comment', '--comment', tag(runId)];
  const jump = ['OUTPUT', '-o', device, ...comment, '-j', LOSS_CHAIN];
  const rule = [LOSS_CHAIN, '-m', 'statistic', '--mode', 'random', '--probability', String(probability), ...comment, '-j', 'DROP'];
  const restore = (lines: string[]) => ['*filter', ...lines, 'COMMIT', ''].join('\n');
  return {
    apply: (hook: boolean) => restore([`:${LOSS_CHAIN} - [0:0]`, `-F ${LOSS_CHAIN}`, `-A ${rule.join(' ')}`, ...(hook ? [`-I ${jump.join(' ')}`] : [])]),
    unhook: restore([`-D ${jump.join(' ')}`, `-F ${LOSS_CHAIN}`, `-X ${LOSS_CHAIN}`]),
    restoreArgv: ['iptables-restore', '-w', '--noflush'],
    rule: ['iptables', '-w', '-A', ...rule],
    checkJump: ['iptables', '-w', '-C', ...jump],
    deleteJump: ['iptables', '-w', '-D', ...jump],
    flushChain: ['iptables', '-w', '-F', LOSS_CHAIN],
    deleteChain: ['iptables', '-w', '-X', LOSS_CHAIN],
    list: ['iptables', '-w', '-S'],
  };
}

// ---- values --------------------------------------------------------------------------------

const RATE = /^\d+(\.\d+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/i;
const SIZE = /^\d+(b|kb|mb|kbit|mbit)?$/i;

/** Checks parameters; errors name the field. */
export function checkParams(p: LinkParams): LinkParams {
  for (const k of ['delayMs', 'jitterMs', 'reorderDelayMs', 'latencyMs'] as const) {
    if (typeof p[k] !== 'number' || !Number.isFinite(p[k]) || p[k] < 0) throw new Error(`link fault: ${k} must be a number ≥ 0, got ${JSON.stringify(p[k])}`);
  }
  for (const k of ['lossProbability', 'duplicateProbability', 'reorderProbability', 'corruptProbability'] as const) {
    if (typeof p[k] !== 'number' || !(p[k] > 0 && p[k] <= 1)) throw new Error(`link fault: ${k} must be a probability in (0, 1], got ${JSON.stringify(p[k])}`);
  }
  if (typeof p.rate !== 'string' || !RATE.test(p.rate)) throw new Error(`link fault: rate must look like 1mbit or 500kbit, got ${JSON.stringify(p.rate)}`);
  if (typeof p.burst !== 'string' || !SIZE.test(p.burst)) throw new Error(`link fault: burst must look like 64kb, got ${JSON.stringify(p.burst)}`);
  return p;
}

/**
 * What a start's value names: null (every node), a node, a list of nodes, or an object with
 * `nodes` and any LinkParams field overriding the configured ones.
 */
export function parseLinkValue(value: unknown, all: readonly string[], defaults: LinkParams): { nodes: string[]; params: LinkParams } {
  let nodes: unknown = value;
  let params = defaults;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { nodes: n, ...rest } = value as Record<string, unknown>;
    for (const k of Object.keys(rest)) if (!(k in defaults)) throw new Error(`link fault: ${k} is not a link fault parameter (known: nodes, ${Object.keys(defaults).join(', ')})`);
    nodes = n;
    params = checkParams({ ...defaults, ...(rest as Partial<LinkParams>) });
  }
  if (nodes === null || nodes === undefined) return { nodes: [...all], params };
  const list = Array.isArray(nodes) ? nodes : [nodes];
  for (const n of list) if (typeof n !== 'string' || !all.includes(n)) throw new Error(`link fault: ${JSON.stringify(n)} is not a node (nodes: ${all.join(', ')})`);
  return { nodes: [...new Set(list as string[])], params };
}

function describe(name: LinkFaultName, mechanism: LinkMechanism, p: LinkParams): Record<string, unknown> {
  switch (name) {
    case 'delay':
      return { delayMs: p.delayMs, jitterMs: p.jitterMs };
    case 'loss':
      return { probability: p.lossProbability };
    case 'duplicate':
      return { probability: p.duplicateProbability };
    case 'reorder':
      return { probability: p.reorderProbability, ...(mechanism === 'netem' ? { delayMs: p.reorderDelayMs } : {}) };
    case 'corrupt':
      return { probability: p.corruptProbability };
    case 'bandwidth':
      return mechanism === 'tbf' ? { rate: p.rate, burst: p.burst, latencyMs: p.latencyMs } : { rate: p.rate };
  }
}

// ---- the netem probe -----------------------------------------------------------------------

let netemAnswer: Promise<true | string> | undefined;

/**
 * true when the kernel has netem, else why not. Asked once per process (the kernel does not
 * change), by adding a netem qdisc to lo in a scratch namespace of the run, which is then deleted.
 */
export function probeNetem(runId: string): Promise<true | string> {
  netemAnswer ??= (async () => {
    const ns = `fl-${runId}-netem`;
    try {
      await run(['ip', 'netns', 'add', ns]);
    } catch (e) {
      netemAnswer = undefined; // not an answer about the kernel: ask again next time
      return `cannot probe for netem: ${(e as Error).message}`;
    }
    try {
      const r = await run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { allowFailure: true });
      return r.exitCode === 0 ? true : `the kernel has no netem (tc: ${r.stderr.trim().split('\n')[0] || `exit code ${r.exitCode}`})`;
    } finally {
      await run(['ip', 'netns', 'del', ns], { allowFailure: true });
    }
  })();
  return netemAnswer;
}

// ---- mechanisms ----------------------------------------------------------------------------

interface Mechanism {
  name: LinkMechanism;
  apply(nodes: readonly string[], params: LinkParams): Promise<void>;
  remove(nodes: readonly string[]): Promise<void>;
}

/**
 * Where link faults act: each node's address and the control that runs commands there — a local
 * namespace network, or a remote cluster's hosts over ssh (each with its own kernel, so netem is
 * asked there, and its own interface toward the other nodes).
 */
export interface LinkHosts {
  readonly runId: string;
  readonly hosts: readonly { node: string; ip: string; control: Control }[];
  /** The node's interface toward the other nodes. Default: options.device, else eth0 (the namespaces' veth). */
  device?(node: string): Promise<string>;
  /** true when every node's kernel has netem, else why not. Default: probed once in a scratch namespace here. */
  netem?(): Promise<true | string>;
}

const INTERFACE = /^[A-Za-z0-9_.@-]{1,15}$/;

/** A remote cluster's hosts as LinkHosts: each host's interface by `ip route get` to a peer, netem probed on every host. */
export function remoteLinkHosts(runId: string, hosts: readonly { node: string; ip: string; control: Control }[], timeoutMs = 10_000): LinkHosts {
  const devices = new Map<string, Promise<string>>();
  let netem: Promise<true | string> | undefined;
  return {
    runId,
    hosts,
    device(node) {
      let d = devices.get(node);
      if (!d) {
        const h = hosts.find((x) => x.node === node)!;
        const peer = hosts.find((x) => x.node !== node) ?? h;
        d = h.control.exec(['ip', '-o', 'route', 'get', peer.ip], { timeoutMs }).then((r) => {
          const dev = /\bdev (\S+)/.exec(r.stdout)?.[1];
          if (dev === undefined || !INTERFACE.test(dev)) throw new Error(`${node} (${h.control.where}): cannot tell its interface toward ${peer.ip} from: ${r.stdout.trim()}`);
          return dev;
        });
        d.catch(() => devices.delete(node));
        devices.set(node, d);
      }
      return d;
    },
    netem() {
      netem ??= (async () => {
        const answers = await Promise.all(
          hosts.map(async (h) => {
            const r = await h.control.exec(['sh', '-c', NETEM_PROBE, 'sh', `fl-${runId}-netem`], { timeoutMs, allowFailure: true }).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
            return r.exitCode === 0 ? true : `${h.node}'s kernel has no netem (${(r.stderr || r.stdout).trim().split('\n')[0] || `exit code ${r.exitCode}`})`;
          }),
        );
        const no = answers.filter((a): a is string => a !== true);
        return no.length === 0 ? true : no.join('; ');
      })();
      return netem;
    },
  };
}

// $1: a scratch namespace's name. Adds a netem qdisc to its loopback: the host's kernel answers,
// and nothing of the host itself is touched.
const NETEM_PROBE = `
ip netns add "$1" || exit 2
ip netns exec "$1" tc qdisc add dev lo root netem delay 1ms 2>&1; r=$?
ip netns del "$1"
exit $r
`;

/** A local namespace network as LinkHosts. */
function networkHosts(network: Network): LinkHosts {
  return { runId: network.runId, hosts: network.hosts, netem: () => probeNetem(network.runId) };
}

/** What the faults of one linkFaults() call share: the hosts, the netem state per node, a lock per node. */
class LinkContext {
  readonly timeoutMs: number;
  readonly defaults: LinkParams;
  /** The netem parameters of every fault active on a node. */
  private readonly netem = new Map<string, Map<LinkFaultName, LinkParams>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private iptables: Promise<true | string> | undefined;

  private readonly fixedDevice: string | undefined;

  constructor(
    readonly network: LinkHosts,
    readonly options: LinkFaultOptions,
  ) {
    this.fixedDevice = options.device ?? (network.device ? undefined : 'eth0');
    if (this.fixedDevice !== undefined && !INTERFACE.test(this.fixedDevice)) throw new Error(`link faults: ${JSON.stringify(this.fixedDevice)} is not an interface name`);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const { device: _d, peerDelay: _p, netem: _n, timeoutMs: _t, ...params } = options;
    this.defaults = checkParams({ ...DEFAULT_LINK_PARAMS, ...params });
  }

  get nodes(): string[] {
    return this.network.hosts.map((h) => h.node);
  }

  host(node: string): LinkHosts['hosts'][number] {
    const h = this.network.hosts.find((x) => x.node === node);
    if (!h) throw new Error(`link faults: no node ${JSON.stringify(node)}`);
    return h;
  }

  /** The node's interface toward the other nodes. */
  device(node: string): Promise<string> {
    return this.fixedDevice !== undefined ? Promise.resolve(this.fixedDevice) : this.network.device!(node);
  }

  exec(node: string, argv: readonly string[], allowFailure = false) {
    return this.host(node).control.exec(argv, { timeoutMs: this.timeoutMs, allowFailure });
  }

  /** Runs fn for one node after every earlier call for it (qdisc and chain edits must not interleave). */
  locked<T>(node: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.locks.get(node) ?? Promise.resolve()).then(fn, fn);
    this.locks.set(node, next.catch(() => undefined));
    return next;
  }

  netemOf(node: string): Map<LinkFaultName, LinkParams> {
    let m = this.netem.get(node);
    if (!m) this.netem.set(node, (m = new Map()));
    return m;
  }

  async hasNetem(): Promise<true | string> {
    if (this.options.netem !== undefined) return this.options.netem ? true : 'the kernel has no netem (as configured)';
    return this.network.netem ? this.network.netem() : probeNetem(this.network.runId);
  }

  async hasIptables(): Promise<true | string> {
    this.iptables ??= (async () => {
      const first = this.network.hosts[0];
      if (!first) return 'the network has no nodes';
      const r = await first.control.exec(['iptables-restore', '--version'], { timeoutMs: this.timeoutMs, allowFailure: true }).catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
      return r.exitCode === 0 ? true : `iptables-restore does not run in ${first.control.where} (install Debian's iptables): ${r.stderr.trim().split('\n')[0]}`;
    })();
    return this.iptables;
  }

  /** Removes faultline's root qdisc (if there) and checks it is gone. */
  async deleteQdisc(node: string): Promise<void> {
    const device = await this.device(node);
    await this.exec(node, qdiscDeleteArgv(device), true);
    const shown = await this.exec(node, qdiscShowArgv(device));
    if (shown.stdout.includes(` ${QDISC_HANDLE} root`)) throw new Error(`the qdisc ${QDISC_HANDLE} on ${device} is still there: ${shown.stdout.trim()}`);
  }
}

function netemMechanism(name: LinkFaultName, c: LinkContext): Mechanism {
  const sync = (node: string) =>
    c.locked(node, async () => {
      const args = netemArgs(c.netemOf(node));
      if (args.length === 0) await c.deleteQdisc(node);
      else await c.exec(node, netemArgv(await c.device(node), args));
    });
  return {
    name: 'netem',
    async apply(nodes, params) {
      for (const n of nodes) c.netemOf(n).set(name, params);
      await fanOut(nodes, sync);
    },
    async remove(nodes) {
      for (const n of nodes) c.netemOf(n).delete(name);
      await fanOut(nodes, sync);
    },
  };
}

function tbfMechanism(c: LinkContext): Mechanism {
  return {
    name: 'tbf',
    apply: (nodes, params) => fanOut(nodes, (n) => c.locked(n, async () => c.exec(n, tbfArgv(await c.device(n), params)))).then(() => undefined),
    remove: (nodes) => fanOut(nodes, (n) => c.locked(n, () => c.deleteQdisc(n))).then(() => undefined),
  };
}

function iptablesLossMechanism(c: LinkContext): Mechanism {
  const runId = c.network.runId;
  /** Nodes whose OUTPUT jumps to the loss chain. */
  const hooked = new Set<string>();
  return {
    name: 'iptables-statistic',
    async apply(nodes, params) {
      await fanOut(nodes, (n) =>
        c.locked(n, async () => {
          const rules = lossRules(runId, await c.device(n), params.lossProbability);
          const hook = !hooked.has(n);
          // One transaction: the chain (created, or refilled on a second start) and its hook.
          await c.host(n).control.exec(rules.restoreArgv, { input: rules.apply(hook), timeoutMs: c.timeoutMs });
          hooked.add(n);
        }),
      );
    },
    async remove(nodes) {
      await fanOut(nodes, (n) =>
        c.locked(n, async () => {
          const rules = lossRules(runId, await c.device(n), 1);
          const done = await c.host(n).control.exec(rules.restoreArgv, { input: rules.unhook, timeoutMs: c.timeoutMs, allowFailure: true });
          if (done.exitCode !== 0) {
            // Not what apply left (e.g. a start that failed): remove whatever is there, piece by piece.
            while ((await c.exec(n, rules.checkJump, true)).exitCode === 0) await c.exec(n, rules.deleteJump);
            await c.exec(n, rules.flushChain, true);
            await c.exec(n, rules.deleteChain, true);
          }
          const left = (await c.exec(n, rules.list)).stdout.split('\n').filter((l) => l.includes(LOSS_CHAIN));
          if (left.length > 0) throw new Error(`loss rules still there: ${left.join(' / ')}`);
          hooked.delete(n);
        }),
      );
    },
  };
}

function proxyMechanism(c: LinkContext, peers: PeerDelay): Mechanism {
  return {
    name: 'proxy',
    async apply(nodes, params) {
      const missing = nodes.filter((n) => !peers.nodes.includes(n));
      if (missing.length > 0) throw new Error(`no proxy on the peer links of ${missing.join(', ')}`);
      await peers.setDelay(nodes, params.delayMs, params.jitterMs);
    },
    remove: (nodes) => peers.clear(nodes),
  };
}

/** The mechanism that carries `name` here, or why none can. */
async function chooseMechanism(name: LinkFaultName, c: LinkContext): Promise<Mechanism | string> {
  if (c.network.hosts.length === 0) return 'the network has no nodes';
  const netem = await c.hasNetem();
  if (netem === true) return netemMechanism(name, c);
  switch (name) {
    case 'loss': {
      const ipt = await c.hasIptables();
      return ipt === true ? iptablesLossMechanism(c) : `${netem}, and ${ipt}`;
    }
    case 'bandwidth':
      return tbfMechanism(c);
    case 'delay':
      return c.options.peerDelay
        ? proxyMechanism(c, c.options.peerDelay)
        : `${netem}, and the target's peer links do not go through faultline's proxy (proxied-peers.ts), which carries delay without netem`;
    default:
      return `${netem}, and ${name} has no replacement without it`;
  }
}

function linkFault(name: LinkFaultName, c: LinkContext): Fault {
  const affected = new Map<string, LinkParams>();
  let chosen: Promise<Mechanism | string> | undefined;
  let used: Mechanism | undefined;
  const mechanism = () => (chosen ??= chooseMechanism(name, c));
  return {
    name,
    async start(value) {
      const m = await mechanism();
      if (typeof m === 'string') throw new Error(`${name} is unavailable: ${m}`);
      const { nodes, params } = parseLinkValue(value, c.nodes, c.defaults);
      used = m;
      for (const n of nodes) affected.set(n, params); // before the attempt: a half-done start must be undone
      await m.apply(nodes, params);
      return { mechanism: m.name, ...describe(name, m.name, params), nodes };
    },
    async stop() {
      const nodes = [...affected.keys()];
      if (nodes.length === 0 || !used) return { nodes: [] };
      await used.remove(nodes);
      affected.clear();
      return { mechanism: used.name, nodes };
    },
    async available() {
      const m = await mechanism();
      return typeof m === 'string' ? m : true;
    },
    active() {
      return affected.size > 0;
    },
  };
}

/**
 * The link faults (delay, loss, duplicate, reorder, corrupt, bandwidth) on a local namespace
 * network. `options` gives default parameters (DEFAULT_LINK_PARAMS otherwise), the interface, and
 * `peerDelay` (proxiedPeers(…)) for delay without netem. Faults of one call share the per-node
 * netem qdisc, so delay and loss on one node combine, and stopping one keeps the other.
 */
export function linkFaults(network: Network | LinkHosts, options: LinkFaultOptions = {}, names: readonly LinkFaultName[] = LINK_FAULT_NAMES): Fault[] {
  const c = new LinkContext('teardown' in network ? networkHosts(network) : network, options);
  for (const n of names) if (!LINK_FAULT_NAMES.includes(n)) throw new Error(`link faults: unknown fault ${JSON.stringify(n)} (known: ${LINK_FAULT_NAMES.join(', ')})`);
  return names.map((n) => linkFault(n, c));
}
