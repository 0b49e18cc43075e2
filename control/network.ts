// A local multi-host network: every node in its own network namespace, joined by a veth pair to a
// bridge that lives in a namespace of its own, plus a client namespace on the same bridge.
// Addresses come from the benchmarking range 198.18.0.0/15, one /24 per run; nothing is routed out
// of the namespaces. The root namespace has no route to that range (a packet sent there would leave
// the machine), so for the network's whole life a guard rule in the root namespace rejects it.
// Everything carries the run id: namespaces fl-<runid>-<node>, fl-<runid>-sw, fl-<runid>-c, and the
// guard's comment faultline:<runid>.
import { createHash } from 'node:crypto';
import { nameSafeId } from './ids.js';
import { run } from './local.js';
import { deleteNamespaces, endProcesses, listNamespaces, namespacePids } from './namespaces.js';
import { netns } from './netns.js';
import { claimRun, releaseRun } from './run-owner.js';
import type { Control } from './types.js';

export interface NodeHost {
  node: string;
  /** The node's namespace, e.g. fl-3k9x-n1. */
  ns: string;
  /** Its address inside the test range, e.g. 198.18.7.1. */
  ip: string;
  /** Runs commands inside the node's namespace. */
  control: Control;
}

export interface Network {
  /** Short id in every namespace, bridge, rule comment and qdisc this run creates. */
  readonly runId: string;
  readonly hosts: readonly NodeHost[];
  /** A namespace on the same bridge for clients that need a real network path (e.g. etcdctl). */
  readonly client: NodeHost;
  host(node: string): NodeHost;
  /** Removes the namespaces, bridge and guard rule. Idempotent; never throws for what is already gone. */
  teardown(): Promise<void>;
}

export interface NetworkOptions {
  runId?: string;
}

/** The benchmarking range (RFC 2544) every run's addresses come from. */
export const TEST_RANGE = '198.18.0.0/15';
/** Every namespace faultline creates starts with this. */
export const NAMESPACE_PREFIX = 'fl-';
export const RUN_ID = /^[a-z0-9]{1,12}$/;
/** The tag in every rule comment (and qdisc note) of run `runId`. */
export const runTag = (runId: string): string => `faultline:${runId}`;

const NODE_NAME = /^[A-Za-z0-9_.-]{1,48}$/;
const RESERVED_NODE_NAMES = new Set(['sw', 'c']);
const MAX_NODES = 250;
const CLIENT_HOST = 254;

/** A fresh run id: 5 lowercase letters and digits (60 million values). */
export function newRunId(): string {
  return nameSafeId(5);
}

/**
 * The run's /24 inside 198.18.0.0/15, as its first three octets ("198.19.37"), chosen by a hash of
 * the run id. Runs never share a link (each has its own bridge), so two runs on the same /24 do not
 * clash; distinct subnets only keep addresses in logs telling runs apart.
 */
export function runSubnet(runId: string): string {
  const k = createHash('sha256').update(runId).digest().readUInt16BE(0) % 512;
  return `198.${18 + (k >> 8)}.${k & 255}`;
}

export function namespaceName(runId: string, node: string): string {
  return `${NAMESPACE_PREFIX}${runId}-${node}`;
}

/** The guard rule's spec in the root namespace's filter table (after -I / -D). */
export function guardRule(runId: string): string[] {
  return ['OUTPUT', '-d', TEST_RANGE, '-m', 'comment', '--comment', runTag(runId), '-j', 'REJECT'];
}

let availability: Promise<true | string> | undefined;

async function commandWorks(argv: string[]): Promise<boolean> {
  try {
    return (await run(argv, { allowFailure: true, timeoutMs: 5000 })).exitCode === 0;
  } catch {
    return false;
  }
}

/** true, or why local namespaces cannot be made here (not root, no `ip`, no iptables). */
export function networkAvailable(): Promise<true | string> {
  availability ??= (async () => {
    if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return 'network namespaces and iptables need root (run faultline as root)';
    if (!(await commandWorks(['ip', '-V']))) return "iproute2's `ip` is missing (Debian: apt-get install iproute2)";
    if (!(await commandWorks(['iptables', '-V'])) || !(await commandWorks(['iptables-restore', '--version']))) {
      return '`iptables` is missing (Debian: apt-get install iptables)';
    }
    if (!(await commandWorks(['iptables', '-w', '-S', 'OUTPUT']))) return '`iptables -S OUTPUT` fails here: the kernel does not offer iptables (nf_tables or legacy)';
    return true;
  })();
  return availability;
}

function checkNodes(nodes: readonly string[]): void {
  if (nodes.length === 0) throw new Error('network: no nodes');
  if (nodes.length > MAX_NODES) throw new Error(`network: at most ${MAX_NODES} nodes, got ${nodes.length}`);
  for (const n of nodes) {
    if (!NODE_NAME.test(n)) throw new Error(`network: node name ${JSON.stringify(n)} must be 1-48 letters, digits, _ . or -`);
    if (RESERVED_NODE_NAMES.has(n)) throw new Error(`network: node name ${JSON.stringify(n)} is reserved (the switch and client namespaces are fl-<runid>-sw and -c)`);
  }
  if (new Set(nodes).size !== nodes.length) throw new Error('network: node names must be distinct');
}

class LocalNetwork implements Network {
  readonly hosts: NodeHost[];
  readonly client: NodeHost;
  readonly switchNs: string;
  private teardownRun: Promise<void> | undefined;

  constructor(
    readonly runId: string,
    nodes: readonly string[],
  ) {
    const subnet = runSubnet(runId);
    const host = (node: string, ns: string, last: number): NodeHost => ({ node, ns, ip: `${subnet}.${last}`, control: netns(ns) });
    this.hosts = nodes.map((n, i) => host(n, namespaceName(runId, n), i + 1));
    this.client = host('client', namespaceName(runId, 'c'), CLIENT_HOST);
    this.switchNs = namespaceName(runId, 'sw');
  }

  /** Every namespace of the run, the switch's first. */
  get namespaces(): string[] {
    return [this.switchNs, ...this.hosts.map((h) => h.ns), this.client.ns];
  }

  host(node: string): NodeHost {
    const h = this.hosts.find((x) => x.node === node);
    if (!h) throw new Error(`network ${this.runId}: no node ${JSON.stringify(node)} (nodes: ${this.hosts.map((x) => x.node).join(', ')})`);
    return h;
  }

  async create(): Promise<void> {
    claimRun(this.runId);
    // The guard goes first and leaves last: no moment with namespaces and without it.
    await run(['iptables', '-w', '-I', ...guardRule(this.runId)]);
    const members = [...this.hosts, this.client];
    // `ip -batch` reads one command a line; every word is a validated name or a computed address.
    await run(['ip', '-batch', '-'], { input: this.namespaces.map((ns) => `netns add ${ns}\n`).join('') });
    const bridge = ['link set lo up', 'link add br0 type bridge', 'link set br0 up'];
    members.forEach((h, i) => bridge.push(`link add sw-${i} type veth peer name eth0 netns ${h.ns}`, `link set sw-${i} master br0 up`));
    await run(['ip', '-n', this.switchNs, '-batch', '-'], { input: bridge.map((l) => l + '\n').join('') });
    await Promise.all(
      members.map((h) => run(['ip', '-n', h.ns, '-batch', '-'], { input: `link set lo up\naddr add ${h.ip}/24 dev eth0\nlink set eth0 up\n` })),
    );
  }

  teardown(): Promise<void> {
    this.teardownRun ??= this.removeAll().catch((e: unknown) => {
      this.teardownRun = undefined; // a later call tries again
      throw e;
    });
    return this.teardownRun;
  }

  private async removeAll(): Promise<void> {
    const existing = new Set(listNamespaces());
    const mine = this.namespaces.filter((ns) => existing.has(ns));
    // A namespace with a process inside outlives its name: end what is left (the target's nodes are
    // normally gone by now; a paused one gets SIGCONT first).
    const pids = [...namespacePids(mine).values()].flat();
    const stuck = pids.length > 0 ? await endProcesses(pids) : [];
    const left = await deleteNamespaces(mine);
    if (left.length > 0 || stuck.length > 0) {
      throw new Error(`network ${this.runId}: could not remove ${[...left.map((n) => `namespace ${n}`), ...stuck.map((p) => `process ${p}`)].join(', ')}; \`faultline heal\` retries`);
    }
    for (let i = 0; i < 8; i++) {
      const r = await run(['iptables', '-w', '-D', ...guardRule(this.runId)], { allowFailure: true });
      if (r.exitCode !== 0) break;
    }
    const rules = await run(['iptables', '-w', '-S', 'OUTPUT']);
    if (rules.stdout.includes(`"${runTag(this.runId)}"`) || rules.stdout.includes(` ${runTag(this.runId)} `)) {
      throw new Error(`network ${this.runId}: the root guard rule ${runTag(this.runId)} is still there; \`faultline heal\` retries`);
    }
    releaseRun(this.runId);
  }
}

export async function createNetwork(nodes: readonly string[], options: NetworkOptions = {}): Promise<Network> {
  checkNodes(nodes);
  const runId = options.runId ?? newRunId();
  if (!RUN_ID.test(runId)) throw new Error(`network: run id ${JSON.stringify(runId)} must be 1-12 lowercase letters or digits`);
  const why = await networkAvailable();
  if (why !== true) throw new Error(`network: ${why}`);
  const network = new LocalNetwork(runId, nodes);
  if (listNamespaces().some((ns) => ns.startsWith(namespaceName(runId, '')))) throw new Error(`network: namespaces of run ${runId} exist already`);
  try {
    await network.create();
  } catch (e) {
    await network.teardown().catch(() => {});
    throw new Error(`network ${runId}: setup failed: ${(e as Error).message}`);
  }
  return network;
}
