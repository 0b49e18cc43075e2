// The command line of one etcd member (etcd 3.4+). Clients in the root namespace reach a member
// only through its unix socket, so every member also listens on `unix://<node>.sock:2379`, a path
// relative to the working directory the target starts it in (sockets must stay short).

export interface MemberUrls {
  /** The node's name, also etcd's member name. */
  name: string;
  /** Where peers reach it: http://IP:2380, or unix://NAME.peer:2380 when there is no network. */
  peerUrl: string;
  /** Client listeners besides the unix socket, e.g. http://IP:2379 ([] when there is no network). */
  clientUrls: readonly string[];
}

export interface MemberFlags {
  self: MemberUrls;
  /** Every member of the cluster, self included, in order. */
  members: readonly MemberUrls[];
  dataDir: string;
  /** 'new' for a fresh cluster, 'existing' when a member restarts with its data. */
  state: 'new' | 'existing';
  /** Tells this cluster's members apart from any other's. */
  token: string;
  heartbeatMs: number;
  electionTimeoutMs: number;
}

/** The unix socket a member serves clients on, relative to its working directory. */
export function clientSocketName(node: string): string {
  return `${node}.sock:2379`;
}

/** etcd refuses election timeouts under five heartbeats; catch that before starting anything. */
export function checkTimings(heartbeatMs: number, electionTimeoutMs: number): void {
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1) throw new Error(`etcd target: heartbeatMs must be a positive integer, got ${heartbeatMs}`);
  if (!Number.isInteger(electionTimeoutMs) || electionTimeoutMs < 5 * heartbeatMs) {
    throw new Error(`etcd target: electionTimeoutMs must be an integer of at least 5 × heartbeatMs (${5 * heartbeatMs}), got ${electionTimeoutMs}`);
  }
}

export function etcdArgs(f: MemberFlags): string[] {
  const unixClient = `unix://${clientSocketName(f.self.name)}`;
  const listenClient = [...f.self.clientUrls, unixClient];
  // Advertise the network address where there is one: peers and in-namespace clients use it.
  const advertiseClient = f.self.clientUrls.length > 0 ? f.self.clientUrls : [unixClient];
  return [
    '--name', f.self.name,
    '--data-dir', f.dataDir,
    '--listen-client-urls', listenClient.join(','),
    '--advertise-client-urls', advertiseClient.join(','),
    '--listen-peer-urls', f.self.peerUrl,
    '--initial-advertise-peer-urls', f.self.peerUrl,
    '--initial-cluster', f.members.map((m) => `${m.name}=${m.peerUrl}`).join(','),
    '--initial-cluster-state', f.state,
    '--initial-cluster-token', f.token,
    '--heartbeat-interval', String(f.heartbeatMs),
    '--election-timeout', String(f.electionTimeoutMs),
    // A member that rejoins after a partition or a pause must not depose a healthy leader.
    '--pre-vote',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
}
