// The seam between the built-in store's node server (transport, process, admin) and its
// replication modes. A mode sees client requests and peer messages; the server does the rest.
import type { NodeMetrics } from '../../metrics/types.js';

/** A client operation as it reaches a node: the op's f, key and value (docs/workloads.md lists them). */
export interface OpRequest {
  f: string;
  key?: unknown;
  value: unknown;
}

/** The node's answer. `fail`: it certainly did not happen; `info`: unknown (e.g. replication timed out). */
export interface OpReply {
  type: 'ok' | 'fail' | 'info';
  value?: unknown;
  error?: unknown;
}

export type ModeName =
  | 'leader-follower-sync'
  | 'leader-follower-async'
  | 'multi-leader-lww'
  | 'multi-leader-vv'
  | 'sharded'
  | 'crdt'
  | 'cache';

export const MODE_NAMES: readonly ModeName[] = [
  'leader-follower-sync',
  'leader-follower-async',
  'multi-leader-lww',
  'multi-leader-vv',
  'sharded',
  'crdt',
  'cache',
];

/** Settings every node of a cluster gets (the target's `options`, JSON). */
export interface ModeOptions {
  /** Async modes: how long a write waits before it is shipped to peers, in ms. */
  replicationDelayMs?: number;
  /** crdt mode: the one CRDT type this cluster serves. */
  crdt?: 'g-counter' | 'pn-counter' | 'or-set';
  /** crdt mode: ms between Merkle anti-entropy rounds. */
  antiEntropyMs?: number;
  /** sharded mode: virtual nodes per node on the hash ring. */
  vnodes?: number;
  [option: string]: unknown;
}

export interface NodeContext {
  readonly self: string;
  /** Every node of the cluster, self included, in cluster order (nodes[0] leads in leader modes). */
  readonly nodes: readonly string[];
  readonly options: ModeOptions;
  /** Sends a message to a peer and resolves with its reply; rejects on error or after timeoutMs. */
  send(peer: string, message: unknown, timeoutMs?: number): Promise<unknown>;
  /** A line in this node's log. */
  log(line: string): void;
  /** Wall-clock milliseconds (LWW timestamps; never the machine's clock setting). */
  now(): number;
  /** Runs fn every ms until the node stops. */
  every(ms: number, fn: () => void | Promise<void>): void;
  /** Runs fn once after ms, unless the node stops first. */
  after(ms: number, fn: () => void | Promise<void>): void;
}

export interface Mode {
  /** A client op that arrived at this node. */
  handle(req: OpRequest): Promise<OpReply>;
  /** A message from a peer; the resolved value is the reply. */
  peer(from: string, message: unknown): Promise<unknown>;
  /** Node status for `GET /status` (e.g. role, log length); JSON. */
  status?(): Record<string, unknown>;
  /** The operator's metrics for `GET /metrics` (docs/metrics.md): counters, lag, queue depth; samples are drained. */
  metrics?(): NodeMetrics;
}

export type ModeFactory = (ctx: NodeContext) => Mode;
