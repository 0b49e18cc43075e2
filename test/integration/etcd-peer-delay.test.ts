// The delay fault on etcd without netem: createTarget puts a delay proxy and a DNAT rule on every
// peer link inside each member's namespace before etcd starts; the delay fault (link.ts) then
// carries its delay through them. A write needs the leader to hear from a follower, so with 150 ms
// on every node a write takes at least that long, and after the stop it is quick again. Teardown
// leaves no rule, proxy process or namespace. Needs root, iproute2, iptables, etcd-server, and the
// proxy and guard compiled (npm test builds first).
import { beforeAll, describe, expect, it } from 'vitest';
import { useEtcdCluster } from '../helpers/etcd-cluster.js';
import { execa } from 'execa';
import { performance } from 'node:perf_hooks';
import { type Network } from '../../control/network.js';
import type { Op } from '../../histories/op.js';
import { dnatRule, type EtcdPeerProxies } from '../../nemesis/etcd-peer-proxies.js';
import { linkFaults } from '../../nemesis/link.js';
import { createTarget } from '../../runner/targets.js';
import type { EtcdTarget } from '../../targets/etcd/target.js';

const DELAY_MS = 150;
const cluster = useEtcdCluster('ed', { delayProxies: true });
let network: Network;
let t: EtcdTarget;
let peers: EtcdPeerProxies;
beforeAll(() => {
  network = cluster.network;
  t = cluster.target;
  peers = cluster.peers!;
});

let index = 0;
function write(value: number): Op {
  return { index: index++, type: 'invoke', process: 0, f: 'write', key: 'r', value };
}

/** The median time of `n` writes through the leader's socket, in ms. */
async function medianWriteMs(n: number): Promise<number> {
  const leader = (await t.primaries())[0];
  expect(leader).toBeDefined();
  const c = t.client(leader);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      expect(await c.invoke(write(i))).toMatchObject({ type: 'ok' });
      times.push(performance.now() - start);
    }
  } finally {
    await c.close();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

async function natRules(ns: string): Promise<string[]> {
  const out = (await execa('ip', ['netns', 'exec', ns, 'iptables', '-w', '-t', 'nat', '-S', 'OUTPUT'])).stdout;
  return out.split('\n').filter((l) => l.includes(`faultline:${network.runId}`));
}

describe('delay on etcd peer links without netem', () => {
  it('every member has a tagged DNAT rule per peer, skipping the proxies’ own group', async () => {
    for (const h of network.hosts) {
      const rules = await natRules(h.ns);
      expect(rules).toHaveLength(2);
      for (const r of rules) expect(r).toMatch(/--dport 2380 .*! --gid-owner \d+ .*-j DNAT --to-destination /);
    }
    expect(dnatRule(network.runId, '198.18.0.2', 2380, '198.18.0.1', 12381, 64380)).toContain('DNAT');
  });

  it('a 150 ms delay slows every write by at least that much, and the stop undoes it', async () => {
    const [delay] = linkFaults(network, { peerDelay: peers, netem: false }, ['delay']);
    expect(await delay.available()).toBe(true);
    const before = await medianWriteMs(7);
    const started = await delay.start({ delayMs: DELAY_MS, jitterMs: 0 });
    expect(started).toMatchObject({ mechanism: 'proxy', delayMs: DELAY_MS, nodes: ['n1', 'n2', 'n3'] });
    let delayed: number;
    try {
      delayed = await medianWriteMs(5);
    } finally {
      await delay.stop();
    }
    const after = await medianWriteMs(7);
    // A commit waits for a follower's acknowledgement, whose round trip crosses a delayed proxy.
    expect(delayed).toBeGreaterThanOrEqual(DELAY_MS);
    expect(delayed).toBeGreaterThan(before + DELAY_MS / 2);
    expect(after).toBeLessThan(delayed - DELAY_MS / 2);
    // The proxies carried the peer traffic (etcd's connections went through the DNAT).
    const stats = await Promise.all(network.hosts.flatMap((x) => network.hosts.filter((y) => y !== x).map((y) => peers.proxy(x.node, y.node).stats())));
    expect(stats.every((s) => s.connections > 0)).toBe(true);
    expect(stats.some((s) => s.delayedChunks > 0)).toBe(true);
  });

  it('teardown leaves no DNAT rule, proxy process, namespace or guard rule', async () => {
    await t.teardown();
    for (const h of network.hosts) {
      expect(await natRules(h.ns)).toEqual([]);
      // Nothing left running in the node's namespace: neither etcd nor a proxy.
      expect((await execa('ip', ['netns', 'pids', h.ns])).stdout.trim()).toBe('');
    }
    await network.teardown();
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain(`fl-${network.runId}-`);
    expect((await execa('iptables', ['-w', '-S', 'OUTPUT'])).stdout).not.toContain(`faultline:${network.runId}`);
  });
});
