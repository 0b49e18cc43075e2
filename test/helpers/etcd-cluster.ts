// A 3-member etcd cluster in network namespaces of a fresh run, for the etcd integration files:
// registers the beforeAll that starts it and the afterAll that removes everything it made.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createNetwork, networkAvailable, type Network } from '../../control/network.js';
import type { EtcdPeerProxies } from '../../nemesis/etcd-peer-proxies.js';
import { createTarget } from '../../runner/targets.js';
import { etcdAvailable } from '../../targets/etcd/available.js';
import type { EtcdTarget } from '../../targets/etcd/target.js';

export interface EtcdCluster {
  /** A temporary folder of the file's own (removed after all). */
  root: string;
  /** Filled in by the beforeAll this registers. */
  network: Network;
  target: EtcdTarget;
  /** With delayProxies: the proxies on every peer link. */
  peers: EtcdPeerProxies | undefined;
}

/** `prefix`: two letters naming the test file in the run id (its namespaces are fl-<id>-…). */
export function useEtcdCluster(prefix: string, options: { delayProxies?: boolean } = {}): EtcdCluster {
  const root = mkdtempSync(join(tmpdir(), `fl-etcd-${prefix}-`));
  const runId = `${prefix}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
  const cluster = { root, peers: undefined } as EtcdCluster;
  beforeAll(async () => {
    for (const why of [await etcdAvailable(), await networkAvailable()]) if (why !== true) throw new Error(`these tests need etcd in namespaces: ${why}`);
    cluster.network = await createNetwork(['n1', 'n2', 'n3'], { runId });
    const made = await createTarget({ type: 'etcd', nodes: 3, options: { workload: 'register' } }, join(root, 'run'), cluster.network, { delayProxies: options.delayProxies });
    cluster.target = made.target as EtcdTarget;
    cluster.peers = made.peerDelay as EtcdPeerProxies | undefined;
    await cluster.target.setup();
  });
  afterAll(async () => {
    await cluster.target?.teardown();
    await cluster.network?.teardown();
    rmSync(root, { recursive: true, force: true });
  });
  return cluster;
}
