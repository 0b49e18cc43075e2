// Wiping an etcd member: a follower's data is cleared, it is removed from the cluster and added
// back as a new member, and restarts empty with --initial-cluster-state existing; it rejoins,
// catches up from the leader and serves what was written before the wipe. Needs root, iproute2,
// iptables and etcd-server, and the guard compiled (npm test builds first).
import { beforeAll, describe, expect, it } from 'vitest';
import { useEtcdCluster } from '../helpers/etcd-cluster.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Network } from '../../control/network.js';
import type { Op } from '../../histories/op.js';
import { callOnce } from '../../targets/etcd/gateway.js';
import type { MemberListReply } from '../../targets/etcd/codec.js';
import { type EtcdTarget } from '../../targets/etcd/target.js';

const cluster = useEtcdCluster('ew');
let network: Network;
let t: EtcdTarget;
beforeAll(() => {
  network = cluster.network;
  t = cluster.target;
});

let index = 0;
function inv(f: string, value: unknown, key: string): Op {
  return { index: index++, type: 'invoke', process: 0, f, key, value };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function memberId(asking: string, name: string): Promise<string | undefined> {
  const list = await callOnce<MemberListReply>(t.socketPath(asking), '/v3/cluster/member/list', {}, { timeoutMs: 2000 });
  return list.members?.find((m) => m.name === name)?.ID;
}

describe('etcd wipe', () => {
  it('a wiped follower rejoins as a new member with fresh data and serves what was written', async () => {
    const leader = await until('a leader', async () => (await t.primaries())[0]);
    const follower = t.nodes.find((n) => n !== leader)!;
    const writer = t.client(leader);
    expect(await writer.invoke(inv('write', 'before-wipe', 'w'))).toMatchObject({ type: 'ok' });
    const oldId = await memberId(leader, follower);
    const oldPid = t.pid(follower);
    expect(oldId).toBeDefined();

    await t.wipe(follower);
    expect(t.pid(follower)).toBeDefined();
    expect(t.pid(follower)).not.toBe(oldPid);
    // A new member (new id) with the same name, three members in all, the old one gone.
    const newId = await until('the rejoined member to be listed by name', () => memberId(leader, follower));
    expect(newId).not.toBe(oldId);
    const list = await callOnce<MemberListReply>(t.socketPath(leader), '/v3/cluster/member/list', {}, { timeoutMs: 2000 });
    expect(list.members?.map((m) => m.name).sort()).toEqual([...t.nodes].sort());
    // Its data dir was rebuilt from scratch (a fresh member dir, written since the wipe).
    expect(existsSync(join(t.dataDir(follower), 'member'))).toBe(true);
    expect(readdirSync(join(t.dataDir(follower), 'member', 'wal')).length).toBeGreaterThan(0);

    // It serves the data written before the wipe (a linearizable read through its own socket).
    const reader = t.client(follower);
    try {
      const read = await until('the wiped member to serve the old write', async () => {
        const r = await reader.invoke(inv('read', null, 'w'));
        return r.type === 'ok' ? r : undefined;
      });
      expect(read).toMatchObject({ type: 'ok', value: 'before-wipe' });
      expect(await writer.invoke(inv('write', 'after-wipe', 'w'))).toMatchObject({ type: 'ok' });
      expect(await reader.invoke(inv('read', null, 'w'))).toMatchObject({ type: 'ok', value: 'after-wipe' });
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});
