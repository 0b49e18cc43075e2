// A remote cluster from its cluster file: one ssh control per node (a ControlMaster each, every
// command a session on it), the target that runs the nodes through them, and close(), which ends
// the masters. The runner injects faults through `hosts`: partitions are iptables rules each
// host's control installs (nemesis/partition.ts), tagged with the run id.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runTag } from '../../control/network.js';
import { netns } from '../../control/netns.js';
import { ssh, type SshControl } from '../../control/ssh.js';
import type { Control } from '../../control/types.js';
import type { Target } from '../types.js';
import { shortSocketDir } from '../common/socket-dir.js';
import type { ClusterSpec } from './cluster-file.js';
import { removeRemnantsArgv } from './remnants.js';
import { reasonOf, RemoteEtcdTarget, type RemoteHost } from './target.js';

export interface RemoteCluster {
  target: Target;
  /** Each node, its address among the nodes and the control that runs commands on it (partitions, link faults). */
  hosts: readonly { node: string; ip: string; control: Control }[];
  /**
   * Tears the target down if it is still up, removes the partition chain from every host, then
   * ends the ssh masters and removes the local sockets. Idempotent.
   */
  close(): Promise<void>;
}

export interface RemoteClusterOptions {
  /** The run's store folder (logs/<node>/ is filled at teardown). */
  dir: string;
  workload?: string;
  /** Tags the partition rules; also {runId} in commands (etcd's cluster token). 1-12 of [a-z0-9]. */
  runId: string;
  /** Passed to the target (tests). */
  restartWaitMs?: number;
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

export function createRemoteCluster(spec: ClusterSpec, o: RemoteClusterOptions): RemoteCluster & { target: RemoteEtcdTarget } {
  if (!/^[a-z0-9]{1,12}$/.test(o.runId)) throw new Error(`remote cluster: run id ${JSON.stringify(o.runId)} must be 1-12 lowercase letters or digits`);
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
  const target = new RemoteEtcdTarget({ spec, hosts, dir: o.dir, socketDir, runId: o.runId, workload: o.workload, restartWaitMs: o.restartWaitMs });

  let closing: Promise<void> | undefined;
  async function closeAll(): Promise<void> {
    const problems: string[] = [];
    await target.teardown().catch((e: Error) => problems.push(e.message));
    // The partition fault heals by emptying its chain; the chain and its hook stay until now.
    const reached = hosts.filter((h) => target.touched.has(h.node));
    await Promise.all(
      reached.map((h) =>
        h.control
          .exec(removeRemnantsArgv(runTag(o.runId)), { timeoutMs: spec.timeouts.command * 1000 })
          .catch((e: unknown) => problems.push(`${h.node} (${h.control.where}): removing the partition chain: ${reasonOf(e)}`)),
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
    hosts: hosts.map(({ node, ip, control }) => ({ node, ip, control })),
    close: () => (closing ??= closeAll()),
  };
}
