// The command line of a node's redis-server and the config file of its Sentinel. Both listen on
// the node's address (for each other: replication and Sentinel traffic crosses the test network,
// so partitions cut it) and on a unix socket (for faultline's clients in the root namespace, which
// must never send to the test network).

export const MASTER_NAME = 'mymaster';

export interface Address {
  ip: string;
  port: number;
}

export interface ServerFlags {
  self: Address;
  /** Absolute path of the client socket. */
  socket: string;
  dataDir: string;
  /** Whose replica it starts as; absent: it starts as a primary. */
  replicaOf?: Address;
}

/**
 * Why these flags:
 * - `--appendonly yes` (fsync every second): a killed node restarts with its data. Without it a
 *   primary killed and restarted before Sentinel fails it over would come back empty, and its
 *   replicas would copy the emptiness: a total loss that says nothing about failover.
 * - `--save ''`: no RDB snapshots besides (the AOF is the persistence).
 * - `--repl-diskless-sync-delay 0`: full resyncs (after a failover) start at once, not after 5 s.
 * - `--protected-mode no`: Sentinels and replicas connect from other namespaces, with no password.
 */
export function serverArgs(f: ServerFlags): string[] {
  return [
    '--port', String(f.self.port),
    '--bind', f.self.ip,
    '--unixsocket', f.socket,
    '--unixsocketperm', '700',
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--dir', f.dataDir,
    '--protected-mode', 'no',
    '--repl-diskless-sync', 'yes',
    '--repl-diskless-sync-delay', '0',
    ...(f.replicaOf ? ['--replicaof', f.replicaOf.ip, String(f.replicaOf.port)] : []),
  ];
}

export interface SentinelFlags {
  self: Address;
  socket: string;
  /** Where Sentinel keeps (and rewrites) its config: the file's folder. */
  dir: string;
  primary: Address;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const SAFE_PATH = /^\/[A-Za-z0-9_.\/-]+$/;

/** The text of a Sentinel's config file (Sentinel insists on a file it can rewrite). */
export function sentinelConfig(f: SentinelFlags): string {
  for (const a of [f.self, f.primary]) {
    if (!IPV4.test(a.ip)) throw new Error(`redis target: ${JSON.stringify(a.ip)} is not an IPv4 address`);
    if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) throw new Error(`redis target: bad port ${a.port}`);
  }
  // Paths go into a config file unquoted: only plain characters.
  for (const p of [f.socket, f.dir]) if (!SAFE_PATH.test(p)) throw new Error(`redis target: path ${JSON.stringify(p)} has characters a Sentinel config cannot carry unquoted`);
  for (const [name, v] of [['quorum', f.quorum], ['downAfterMs', f.downAfterMs], ['failoverTimeoutMs', f.failoverTimeoutMs]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`redis target: ${name} must be a positive integer, got ${v}`);
  }
  return [
    `port ${f.self.port}`,
    `bind ${f.self.ip}`,
    `unixsocket ${f.socket}`,
    'unixsocketperm 700',
    `dir ${f.dir}`,
    'daemonize no',
    'protected-mode no',
    // Addresses stay numbers: they are how faultline maps what Sentinel reports back to nodes.
    'sentinel resolve-hostnames no',
    'sentinel announce-hostnames no',
    `sentinel monitor ${MASTER_NAME} ${f.primary.ip} ${f.primary.port} ${f.quorum}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${f.downAfterMs}`,
    `sentinel failover-timeout ${MASTER_NAME} ${f.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    '',
  ].join('\n');
}

/** The majority of `n` Sentinels: the quorum that must agree a primary is down. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}
