// The partition fault: a grudge made real as iptables DROP rules inside each node's namespace (or
// wherever the host's control runs commands). Each node gets its own chain, FAULTLINE-PARTITION,
// jumped to from INPUT; a node drops packets *from* the nodes in its grudge (INPUT -s), which is
// Jepsen's meaning of a grudge, so a one-way grudge stays one-way and a symmetric one cuts both
// ways. Every rule carries the run's tag. One `iptables-restore --noflush` per node, all nodes at
// once, applies a grudge; healing flushes the chain the same way. With `warm`, each node's next
// iptables-restore is started ahead of time (rules-loader.ts), so applying costs no process start.
import { fanOut, type Control } from '../control/types.js';
import { runTag } from '../control/network.js';
import { Random } from '../base/random.js';
import { isShapeName, shape, validateGrudge, type Grudge } from './grudge.js';
import { coldLoader, warmLoader, type RulesLoader } from './rules-loader.js';
import type { Fault } from './types.js';

export const PARTITION_CHAIN = 'FAULTLINE-PARTITION';
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const TIMEOUT_MS = 5000;

/** Where a node's rules go: its address on the test network and how to run commands there. */
export interface PartitionHost {
  node: string;
  ip: string;
  control: Control;
}

export interface PartitionOptions {
  /** The run id every rule is tagged with. */
  runId: string;
  hosts: readonly PartitionHost[];
  /** For a shape named as the start value: the nodes the target reports as leaders. */
  primaries?: () => Promise<string[]>;
  /** For a shape named as the start value that draws nodes at random. */
  random?: Random;
  /**
   * Keep each node's next iptables-restore started and waiting (through `control.wrap`), so a
   * start or stop costs no process start. Default false: one `control.exec` per node and change.
   */
  warm?: boolean;
}

export interface PartitionFault extends Fault {
  /** Ends the iptables-restore processes kept waiting (warm); the fault can still heal after it. */
  close(): void;
}

/**
 * The iptables-restore input for one node: its chain emptied and filled with a DROP for each node
 * it holds a grudge against. `hook` adds the chain and its jump from INPUT (the first time only).
 * Addresses and the run id are checked here: they are the only data in the text.
 */
export function partitionRules(runId: string, drops: readonly string[], hook: boolean): string {
  if (!/^[a-z0-9]{1,12}$/.test(runId)) throw new Error(`partition: bad run id ${JSON.stringify(runId)}`);
  const tag = runTag(runId);
  const lines = ['*filter', `:${PARTITION_CHAIN} - [0:0]`];
  if (hook) lines.push(`-A INPUT -m comment --comment ${tag} -j ${PARTITION_CHAIN}`);
  lines.push(`-F ${PARTITION_CHAIN}`);
  for (const ip of drops) {
    if (!IPV4.test(ip)) throw new Error(`partition: ${JSON.stringify(ip)} is not an IPv4 address`);
    lines.push(`-A ${PARTITION_CHAIN} -s ${ip}/32 -m comment --comment ${tag} -j DROP`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

export function partitionFault(options: PartitionOptions): PartitionFault {
  const hosts = new Map(options.hosts.map((h) => [h.node, h]));
  const nodes = options.hosts.map((h) => h.node);
  for (const h of options.hosts) if (!IPV4.test(h.ip)) throw new Error(`partition: ${h.node}'s address ${JSON.stringify(h.ip)} is not IPv4`);
  const random = options.random ?? new Random(0);
  /** Nodes whose chain exists and is hooked into INPUT. */
  const hooked = new Set<string>();
  /** Nodes whose chain may hold rules: what a heal must flush. */
  const dirty = new Set<string>();
  let current: Grudge = {};
  let warm = options.warm === true;
  let loaders = new Map<string, RulesLoader>();
  const loader = (node: string): RulesLoader => {
    let l = loaders.get(node);
    if (!l) loaders.set(node, (l = warm ? warmLoader(hosts.get(node)!.control) : coldLoader(hosts.get(node)!.control)));
    return l;
  };

  const apply = (node: string, drops: readonly string[]) => {
    const hook = !hooked.has(node);
    const text = partitionRules(options.runId, drops.map((d) => hosts.get(d)!.ip), hook);
    if (drops.length > 0) dirty.add(node); // before the attempt: a half-done start must still be healed
    return loader(node).load(text, TIMEOUT_MS).then(() => {
      if (hook) hooked.add(node);
      if (drops.length === 0) dirty.delete(node);
    });
  };

  /** Once the caller has what it awaited: the next iptables-restore of every node waits ready. */
  const prepareNext = () => {
    if (warm) setImmediate(() => loaders.forEach((l) => l.prepare()));
  };

  async function grudgeOf(value: unknown): Promise<Grudge> {
    if (isShapeName(value)) {
      const primaries = value === 'primaries' ? await options.primaries?.() : undefined;
      if (value === 'primaries' && primaries === undefined) throw new Error('partition: the primaries shape needs a target that reports its primaries');
      // An empty grudge would be recorded as a partition that cut nothing.
      if (value === 'primaries' && primaries!.length === 0) throw new Error('partition: no node reported being a primary just now, so the primaries shape had nothing to isolate');
      return shape(value, nodes, random, primaries);
    }
    if (typeof value === 'string') throw new Error(`partition: ${JSON.stringify(value)} is neither a grudge nor a shape (shapes: halves, random-halves, isolate-one, majorities-ring, bridge, primaries)`);
    return value as Grudge;
  }

  return {
    name: 'partition',
    /** Replaces any partition in place with `value`'s: a grudge, or a shape name. Resolves with the grudge applied. */
    async start(value) {
      const grudge = validateGrudge(await grudgeOf(value), nodes);
      const touched = nodes.filter((n) => (grudge[n]?.length ?? 0) > 0 || dirty.has(n));
      current = grudge;
      try {
        await fanOut(touched, (n) => apply(n, grudge[n] ?? []));
      } finally {
        prepareNext();
      }
      return grudge;
    },
    /** Flushes every node's chain; resolves with the grudge that was in force. */
    async stop() {
      const healed = current;
      try {
        await fanOut([...dirty], (n) => apply(n, []));
      } finally {
        prepareNext();
      }
      current = {};
      return healed;
    },
    async available() {
      if (process.getuid?.() !== 0) return 'partitions need root (iptables inside the node namespaces)';
      if (options.hosts.length < 2) return 'partitions need at least 2 nodes';
      try {
        await fanOut(options.hosts, (h) => h.control.exec(['iptables-restore', '--version'], { timeoutMs: TIMEOUT_MS }), (h) => `${h.node} (${h.control.where})`);
      } catch (e) {
        return `cannot run iptables-restore where the nodes are: ${(e as Error).message}`;
      }
      // The runner asks this before the run: with warm loaders, the first partition waits on no process start either.
      for (const n of nodes) loader(n);
      prepareNext();
      return true;
    },
    active() {
      return dirty.size > 0;
    },
    close() {
      for (const l of loaders.values()) l.close();
      loaders = new Map();
      warm = false; // a heal after close runs cold
    },
  };
}
