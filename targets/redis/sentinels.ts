// Which server the Sentinels call the primary, asked over each Sentinel's unix socket: the redis
// target and a described redis system (targets/system/) both find the primary this way.
import { callOnce, type CallOptions } from './connection.js';
import { MASTER_NAME } from './flags.js';
import { fieldMap } from './resp.js';

/** One Sentinel's primary (as a node name) and its config epoch; undefined when it names no node of ours. */
export async function sentinelView(socket: string, nodeAt: (ip: string, port: number) => string | undefined, o: CallOptions = {}): Promise<{ primary: string; epoch: number } | undefined> {
  const addr = await callOnce(socket, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME], o);
  const master = fieldMap(await callOnce(socket, ['SENTINEL', 'MASTER', MASTER_NAME], o));
  if (!Array.isArray(addr) || typeof addr[0] !== 'string' || typeof addr[1] !== 'string') return undefined;
  const primary = nodeAt(addr[0], Number(addr[1]));
  return primary === undefined ? undefined : { primary, epoch: Number(master.get('config-epoch') ?? 0) };
}

/**
 * The primary the Sentinels agree on: every Sentinel that answers gives its primary's address
 * (the promoted replica's, once a failover has promoted one) and config epoch; the highest epoch
 * wins, then the most Sentinels. A Sentinel cut off with an old primary still names it, at an
 * older epoch. Undefined when no Sentinel answers with an address of ours.
 */
export async function agreedPrimary(sockets: readonly string[], nodeAt: (ip: string, port: number) => string | undefined, o: CallOptions = {}): Promise<string | undefined> {
  const views = await Promise.all(sockets.map((s) => sentinelView(s, nodeAt, o).catch(() => undefined)));
  const best = new Map<string, { epoch: number; votes: number }>();
  for (const v of views) {
    if (v === undefined) continue;
    const b = best.get(v.primary);
    if (!b) best.set(v.primary, { epoch: v.epoch, votes: 1 });
    else best.set(v.primary, { epoch: Math.max(b.epoch, v.epoch), votes: b.votes + 1 });
  }
  return [...best].sort((a, b) => b[1].epoch - a[1].epoch || b[1].votes - a[1].votes)[0]?.[0];
}
