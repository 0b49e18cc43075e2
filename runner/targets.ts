// The target a config names: the built-in store or etcd; real systems plug in here.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Network } from '../control/network.js';
import { etcdPeerProxies } from '../nemesis/etcd-peer-proxies.js';
import { proxiedPeers, type PeerDelay } from '../nemesis/proxied-peers.js';
import { InputError } from '../histories/errors.js';
import { createEtcdTarget, etcdAvailable } from '../targets/etcd/index.js';
import { createBuiltinTarget } from '../targets/builtin/target.js';
import type { Target } from '../targets/types.js';
import type { TargetConfig, TestConfig } from './config.js';

/** Fails before anything starts when the config's target cannot run on this machine, saying why. */
export async function checkTargetAvailable(config: Pick<TestConfig, 'target'>): Promise<void> {
  const why = await availability(config.target);
  if (why !== true) throw new InputError(why);
}

async function availability(t: Pick<TargetConfig, 'type' | 'options'>): Promise<true | string> {
  switch (t.type) {
    case 'etcd':
      return etcdAvailable();
    case 'system':
      return true; // what it needs is installed when missing (ensureLocalInstall)
    case 'postgres':
      return (await import('../targets/postgres/index.js')).postgresAvailable();
    case 'redis':
      return (await import('../targets/redis/index.js')).redisAvailable();
    case 'stdio': {
      const { findProgram } = await import('../targets/stdio/index.js');
      const program = (t.options.adapter as string[])[0];
      if (findProgram(program) !== undefined) return true;
      if (program.includes('/') && existsSync(program)) return `the stdio adapter program ${JSON.stringify(program)} is not an executable file (chmod +x it, or name its interpreter first, e.g. --adapter 'python3 ${program}')`;
      return `the stdio adapter program ${JSON.stringify(program)} was not found (target.options.adapter[0]: a path, or a command on PATH)`;
    }
    default:
      return true;
  }
}

/** The port every built-in node's peer listener uses on its own namespace address. */
export const BUILTIN_PEER_PORT = 7000;

export interface RunTarget {
  target: Target;
  /** Proxies on the peer links, when the delay fault needs them (the built-in store or etcd in namespaces). */
  peerDelay?: PeerDelay;
}

/**
 * The target for `config`, keeping its logs (and data) under the run folder `dir`. With a
 * `network`, each node runs inside its namespace and its peers reach it over TCP on its namespace
 * address, so partitions cut them apart; clients stay in the root namespace and use unix sockets
 * (which cross namespaces), since the root namespace must never send to the test range. With
 * `delayProxies`, the peer links (built-in store or etcd, in namespaces) go through faultline's
 * delay proxy (the delay fault's mechanism where the kernel has no netem).
 */
export async function createTarget(config: Omit<TargetConfig, 'network'>, dir: string, network?: Network, options: { delayProxies?: boolean } = {}): Promise<RunTarget> {
  if (config.type === 'system') {
    if (!network) throw new InputError('a described system runs one network namespace per node: it needs "target.network" "netns"');
    const { readSystemDescription } = await import('../targets/system/description.js');
    const { createLocalSystem } = await import('../targets/system/local.js');
    const description = readSystemDescription(config.system!);
    const target = createLocalSystem({ description, network, dir, options: config.systemOptions, settings: clientSettings(config) });
    if (!options.delayProxies || description.peerPorts.length === 0) return { target };
    // Each node dials its peers' addresses: a DNAT per link inside its namespace sends them through
    // the proxies, which must be in place before the nodes start.
    const peers = etcdPeerProxies(network, { peerPorts: description.peerPorts.map((p) => description.ports[p]) });
    return { target: withSetupAround(target, () => peers.start(), () => peers.close()), peerDelay: peers };
  }
  if (config.type === 'etcd') {
    const etcd = createEtcdTarget({
      network,
      nodes: config.nodes,
      dir,
      workload: typeof config.options.workload === 'string' ? config.options.workload : undefined,
      electionTimeoutMs: config.options.electionTimeoutMs as number | undefined,
      heartbeatMs: config.options.heartbeatMs as number | undefined,
    });
    if (!network || !options.delayProxies) return { target: etcd };
    // Each member dials its peers' advertised URLs: a DNAT per link inside its namespace sends them
    // through the proxies, which must be in place before etcd starts.
    const peers = etcdPeerProxies(network);
    return { target: withSetupAround(etcd, () => peers.start(), () => peers.close()), peerDelay: peers };
  }
  if (config.type === 'postgres') {
    const { createPostgresTarget } = await import('../targets/postgres/index.js');
    const nodes = Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`);
    return { target: createPostgresTarget({ dir, nodes, workload: workloadOf(config), isolation: config.options.isolation as 'serializable' | undefined }) };
  }
  if (config.type === 'redis') {
    const { createRedisTarget } = await import('../targets/redis/index.js');
    const o = config.options;
    return {
      target: createRedisTarget({
        dir,
        network,
        nodes: config.nodes,
        workload: workloadOf(config),
        readFrom: o.readFrom as 'primary' | 'replica' | undefined,
        waitReplicas: o.waitReplicas as number | undefined,
        waitTimeoutMs: o.waitTimeoutMs as number | undefined,
        downAfterMs: o.downAfterMs as number | undefined,
        failoverTimeoutMs: o.failoverTimeoutMs as number | undefined,
      }),
    };
  }
  if (config.type === 'stdio') {
    const { createStdioTarget } = await import('../targets/stdio/index.js');
    const adapter = config.options.adapter as string[];
    const nodes = Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`);
    if (config.options.system === 'none') return { target: createStdioTarget({ dir, adapter, nodes, workload: workloadOf(config), restartLimit: config.options.restartLimit as number | undefined }) };
    // The adapters talk to the built-in store, which faultline runs (and faults) as usual.
    const { adapter: _a, system: _s, restartLimit: _r, ...builtinOptions } = config.options;
    const inner = await createTarget({ ...config, type: 'builtin', options: builtinOptions }, dir, network, options);
    const target = createStdioTarget({ dir, adapter, inner: inner.target, workload: workloadOf(config), restartLimit: config.options.restartLimit as number | undefined });
    return { target, peerDelay: inner.peerDelay };
  }
  const mode = config.mode!;
  if (!network) return { target: createBuiltinTarget({ mode, nodes: config.nodes, options: config.options, dir }) };
  const nodes = network.hosts.map((h) => h.node);
  const wrapCommand = (node: string, command: { file: string; args: string[] }) => {
    const [file, ...args] = network.host(node).control.wrap([command.file, ...command.args]);
    return { file, args };
  };
  if (!options.delayProxies) {
    return {
      target: createBuiltinTarget({
        mode,
        nodes,
        options: config.options,
        dir,
        listen: { client: 'unix', peer: 'tcp', host: (node) => network.host(node).ip, port: BUILTIN_PEER_PORT },
        wrapCommand,
      }),
    };
  }
  // A short socket folder named faultline-…: the last node to exit removes it.
  const socketDir = mkdtempSync(join(tmpdir(), 'faultline-'));
  const peers = proxiedPeers(nodes, { network, socketDir, proxyPort: BUILTIN_PEER_PORT });
  const inner = createBuiltinTarget({ mode, nodes, options: config.options, dir, listen: (n, i) => peers.listen(n, i), wrapCommand });
  const target = withSetupAround(
    inner,
    () => peers.start(),
    async () => {
      try {
        await peers.close();
      } finally {
        rmSync(socketDir, { recursive: true, force: true });
      }
    },
  );
  return { target, peerDelay: peers };
}

/** What a described system's client takes from the config (docs/systems.md). */
export function clientSettings(config: Pick<TargetConfig, 'options'>): import('../targets/system/clients.js').ClientSettings {
  const o = config.options;
  return {
    workload: workloadOf(config),
    isolation: o.isolation as 'serializable' | undefined,
    readFrom: o.readFrom as 'primary' | 'replica' | undefined,
    waitReplicas: o.waitReplicas as number | undefined,
    waitTimeoutMs: o.waitTimeoutMs as number | undefined,
    restartLimit: o.restartLimit as number | undefined,
  };
}

function workloadOf(config: Pick<TargetConfig, 'options'>): string | undefined {
  return typeof config.options.workload === 'string' ? config.options.workload : undefined;
}

/**
 * `inner` with `before` run ahead of its setup and `after` after its teardown (even a failed one).
 * Everything else (kill, pause, wipe, setClockOffset, dataDir, …) is the inner target's, bound to it.
 */
function withSetupAround<T extends Target>(inner: T, before: () => Promise<void>, after: () => Promise<void>): T {
  const setup = async () => {
    await before();
    await inner.setup();
  };
  const teardown = async () => {
    try {
      await inner.teardown();
    } finally {
      await after();
    }
  };
  return new Proxy(inner, {
    get(t, p) {
      if (p === 'setup') return setup;
      if (p === 'teardown') return teardown;
      const v: unknown = Reflect.get(t, p, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}
