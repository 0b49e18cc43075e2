// Who leads an etcd cluster, as its members see it: each member's maintenance status names the
// leader's id; the member list turns ids into names. Used by the local and the remote etcd target.
import { b64, type MemberListReply, type StatusReply } from './codec.js';
import { callOnce } from './gateway.js';

const PROBE_TIMEOUT_MS = 1000;

/** One member's own view: its leader, raft index and term. */
export function memberStatus(socketPath: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<StatusReply> {
  return callOnce<StatusReply>(socketPath, '/v3/maintenance/status', {}, { timeoutMs });
}

/**
 * Every leader some member among `asked` reports (the most reported first), by name; members
 * that do not answer within `timeoutMs` are skipped. `socketOf` gives each member's client socket.
 */
export async function etcdLeaders(asked: readonly string[], socketOf: (node: string) => string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string[]> {
  const statuses = await Promise.all(asked.map((n) => memberStatus(socketOf(n), timeoutMs).catch(() => undefined)));
  const votes = new Map<string, number>();
  for (const s of statuses) if (s?.leader && s.leader !== '0') votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1);
  if (votes.size === 0) return [];
  const names = new Map<string, string>();
  for (let i = 0; i < asked.length && names.size === 0; i++) {
    if (statuses[i] === undefined) continue;
    const list = await callOnce<MemberListReply>(socketOf(asked[i]), '/v3/cluster/member/list', {}, { timeoutMs }).catch(() => undefined);
    for (const m of list?.members ?? []) if (m.ID && m.name) names.set(m.ID, m.name);
  }
  return [...votes]
    .sort((a, b) => b[1] - a[1])
    .map(([id]) => names.get(id))
    .filter((n): n is string => n !== undefined);
}

/**
 * Whether the member behind `socketPath` serves: undefined when it answers (with `healthy`, when it
 * also knows a leader and a linearizable read succeeds), else why not.
 */
export async function whyNotServing(socketPath: string, healthy: boolean, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | undefined> {
  try {
    const s = await memberStatus(socketPath, timeoutMs);
    if (!healthy) return undefined;
    if (!s.leader || s.leader === '0') return 'it knows no leader';
    await callOnce(socketPath, '/v3/kv/range', { key: b64('health') }, { timeoutMs });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
