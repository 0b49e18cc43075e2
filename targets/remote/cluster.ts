// A remote cluster from its cluster file: one ssh control per node (a ControlMaster each, every
// command a session on it), the described system run on those hosts (targets/system/), and
// close(), which ends the masters. Before anything runs on a host, a lifeline session is armed
// there: if faultline dies, it heals the host's faults and stops the node's processes. The runner
// injects faults through `hosts`: partitions and link faults are iptables rules and qdiscs each
// host's control installs, tagged with the run id.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runTag } from '../../control/network.js';
import { netns } from '../../control/netns.js';
import { ssh, type SshControl } from '../../control/ssh.js';
import type { Control } from '../../control/types.js';
import { fanOut } from '../../control/types.js';
import { shortSocketDir } from '../common/socket-dir.js';
import { clientSide, type ClientSettings } from '../system/clients.js';
import { ensureInstalled } from '../system/install.js';
import { fill, fillArgv } from '../system/placeholders.js';
import { remoteReach, type Reach } from '../system/reach.js';
import { reasonOf, RemoteMachine } from '../system/remote-machine.js';
import { remoteScripts } from '../system/remote-scripts.js';
import { SystemTarget, type SystemNode } from '../system/target.js';
import type { ClusterSpec } from './cluster-file.js';
import { armLifeline, type Lifeline } from './lifeline.js';
import { removeRemnantsArgv } from './remnants.js';

export interface RemoteHost {
  node: string;
  /** The node's address on its network (what partitions drop). */
  ip: string;
  /** What ssh connects to. */
  host: string;
  control: SshControl;
}

export interface RemoteCluster {
  target: SystemTarget;
  /** Each node, its address among the nodes and the control that runs commands on it (partitions, link faults). */
  hosts: readonly { node: string; ip: string; control: Control }[];
  /** Whether the cluster file lets faultline change the hosts' clocks. */
  disposable: boolean;
  /**
   * Tears the target down if it is still up, removes the run's rules from every host, then ends
   * the ssh masters and removes the local sockets. Idempotent.
   */
  close(): Promise<void>;
}

export interface RemoteClusterOptions {
  /** The run's store folder (logs/<node>/ is filled at teardown). */
  dir: string;
  /** Tags the rules; also {runId} in commands. 1-12 of [a-z0-9]. */
  runId: string;
  /** Option values over the cluster file's and the description's. */
  options?: Readonly<Record<string, string>>;
  settings?: ClientSettings;
}

/** A folder for the ssh control sockets and forwarded client sockets, short enough for unix socket paths. */
function socketRoot(runId: string): string {
  return shortSocketDir(`fl-${runId}-r-`);
}

/**
 * One ssh control per node of the cluster file, with its ssh options, their ControlMasters'
 * sockets in `controlDir` (not connected yet: the first command connects).
 */
export function sshHosts(spec: ClusterSpec, controlDir: string): RemoteHost[] {
  const via = spec.ssh.via === undefined ? undefined : netns(spec.ssh.via);
  return spec.nodes.map((n) => {
    const control: SshControl = ssh({
      host: n.host,
      user: n.user,
      port: n.port,
      identityFile: n.key,
      knownHostsFile: spec.ssh.knownHosts,
      strictHostKeyChecking: spec.ssh.strictHostKeyChecking,
      configFile: spec.ssh.config,
      connectTimeoutS: spec.ssh.connectTimeout,
      controlDir,
      via,
    });
    return { node: n.name, ip: n.ip, host: n.host, control };
  });
}

/** A node's workDir with its placeholders filled, without a trailing /. */
export function workDirOf(spec: ClusterSpec, node: { name: string; host: string; ip: string }, runId: string): string {
  return fill(spec.workDir, { node: node.name, host: node.host, ip: node.ip, runId }).replace(/\/+$/, '');
}

/** What a node's lifeline runs if faultline is gone: heal the run's rules and qdiscs there, then stop every process of the node. */
export function lossCommand(runId: string, workDir: string, graceS: number): string[] {
  return removeRemnantsArgv(runTag(runId), remoteScripts.stopAll(workDir, graceS));
}

export function createRemoteCluster(spec: ClusterSpec, o: RemoteClusterOptions): RemoteCluster {
  if (!/^[a-z0-9]{1,12}$/.test(o.runId)) throw new Error(`remote cluster: run id ${JSON.stringify(o.runId)} must be 1-12 lowercase letters or digits`);
  const d = { ...spec.description, timeouts: { ...spec.description.timeouts, ...spec.timeouts } };
  const root = socketRoot(o.runId);
  const controlDir = join(root, 'ssh');
  const socketDir = join(root, 'c');
  const hosts: RemoteHost[] = [];
  try {
    mkdirSync(controlDir, { mode: 0o700 });
    mkdirSync(socketDir, { mode: 0o700 });
    hosts.push(...sshHosts(spec, controlDir));
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  const commandMs = d.timeouts.command * 1000;
  const connectMs = (spec.ssh.connectTimeout + 5) * 1000;
  // A host's first command opens its ssh master within that command's own timeout. The faults'
  // first commands (their availability checks, before setup) have short ones meant for the command
  // alone, so the faults' controls first connect once with the cluster file's connect timeout.
  const connecting = new Map<string, Promise<unknown>>();
  const connected = (h: RemoteHost): Promise<unknown> => {
    let p = connecting.get(h.node);
    if (p === undefined) connecting.set(h.node, (p = h.control.exec(['true'], { timeoutMs: connectMs }).catch(() => undefined)));
    return p;
  };
  const faultControl = (h: RemoteHost): Control => ({
    where: h.control.where,
    wrap: (argv) => h.control.wrap(argv),
    exec: async (argv, options) => {
      await connected(h); // a host that cannot be reached fails the command itself, saying why
      return h.control.exec(argv, options);
    },
  });
  const dir = resolve(o.dir);
  const workDirs = new Map(spec.nodes.map((n) => [n.name, workDirOf(spec, n, o.runId)]));
  const nodes: SystemNode[] = hosts.map((h) => {
    const workDir = workDirs.get(h.node)!;
    return {
      node: h.node,
      ip: h.ip,
      host: h.host,
      machine: new RemoteMachine(h.node, h.control, workDir, commandMs, o.runId),
      dataDir: `${workDir}/data`,
      logDir: `${workDir}/logs`,
      localLogDir: join(dir, 'logs', h.node),
      // ssh forwards client connections from the host itself.
      clientIp: h.ip,
    };
  });
  const ports = { ...d.ports, ...spec.ports };
  const options = { ...spec.options, ...o.options };
  const forwards = remoteReach(new Map(hosts.map((h) => [h.node, h.control])), commandMs);
  // A forwarded TCP port listens on the loopback of the namespace the ssh client runs in (ssh.via):
  // adapters, and the client's init, run there too, or they would knock on this namespace's loopback.
  const via = spec.ssh.via === undefined ? undefined : netns(spec.ssh.via);
  const reach: Reach = via === undefined ? forwards : { ...forwards, wrap: (argv) => via.wrap(argv) };
  const side = clientSide({
    description: d,
    nodes,
    port: (name) => ports[name],
    options: { ...d.options, ...options },
    reach,
    socketDir: () => socketDir,
    runId: o.runId,
    settings: o.settings ?? {},
  });
  const lifelines = new Map<string, Lifeline>();
  /** Nodes ssh reached: the only ones that can hold anything of this run. */
  const reached = new Set<string>();

  const open = async () => {
    for (const n of nodes) mkdirSync(n.localLogDir, { recursive: true });
    await fanOut(hosts, async (h) => {
      await h.control.exec(['true'], { timeoutMs: connectMs }).catch((e: unknown) => {
        // fanOut names the node and its ssh already: the reason alone, said once.
        const why = reasonOf(e);
        throw new Error(why.startsWith('cannot reach') ? why : `cannot reach the host: ${why}`);
      });
      reached.add(h.node);
    }, (h) => `${h.node} (${h.control.where})`);
    await fanOut(hosts, async (h) => lifelines.set(h.node, await armLifeline(h.control, lossCommand(o.runId, workDirs.get(h.node)!, d.timeouts.stop))));
    await side.open();
  };

  const target = new SystemTarget({
    description: d,
    nodes,
    runId: o.runId,
    options,
    ports: spec.ports,
    remote: true,
    install: async (machine) => {
      const node = nodes.find((n) => n.machine === machine)!;
      await ensureInstalled(machine.control, {
        what: d.name,
        packages: d.packages,
        requires: d.requires,
        install: d.install && fillArgv(d.install, target.values(node.node, 'new')),
        timeoutMs: d.timeouts.install * 1000,
      });
    },
    surroundings: {
      open,
      ready: () => side.ready(),
      async close(stopped) {
        await side.close();
        await reach.close();
        // A node whose stop failed keeps its lifeline armed until the end: cutting it asks the node once more.
        await Promise.all(
          [...lifelines].map(async ([node, l]) => {
            lifelines.delete(node);
            await (stopped.has(node) ? l.disarm() : l.cut());
          }),
        );
        await Promise.all(
          hosts
            .filter((h) => reached.has(h.node) && stopped.has(h.node))
            .map((h) => h.control.exec(['rmdir', '--', workDirs.get(h.node)!], { allowFailure: true, timeoutMs: commandMs }).catch(() => undefined)),
        );
      },
      client: (n, down) => side.client(n, down),
      address: (n) => side.address(n),
      ...(side.primaries ? { primaries: (running: readonly string[]) => side.primaries!(running) } : {}),
    },
  });

  let closing: Promise<void> | undefined;
  async function closeAll(): Promise<void> {
    const problems: string[] = [];
    await target.teardown().catch((e: Error) => problems.push(e.message));
    // Faults heal by emptying their chains and qdiscs; the chains and their hooks stay until now.
    await Promise.all(
      hosts
        .filter((h) => reached.has(h.node))
        .map((h) =>
          h.control
            .exec(removeRemnantsArgv(runTag(o.runId)), { timeoutMs: commandMs })
            .catch((e: unknown) => problems.push(`${h.node} (${h.control.where}): removing the run's rules: ${reasonOf(e)}`)),
        ),
    );
    const closed = await Promise.allSettled(hosts.map((h) => h.control.close()));
    closed.forEach((r, i) => {
      if (r.status === 'rejected') problems.push(`${hosts[i].control.where}: ${(r.reason as Error).message}`);
    });
    rmSync(root, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`remote cluster: close: ${problems.join('; ')}`);
  }
  return {
    target,
    hosts: hosts.map((h) => ({ node: h.node, ip: h.ip, control: faultControl(h) })),
    disposable: spec.disposable,
    close: () => (closing ??= closeAll()),
  };
}
