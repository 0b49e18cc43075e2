// What the runner needs from a system under test (DESIGN.md, "Core types"): a Target owns the
// cluster's lifecycle, a Client performs one thread's operations against one node.
import type { Op } from '../histories/op.js';

/**
 * Thrown (as a rejection) by `Client.invoke` when the target itself is broken beyond one op — an
 * adapter writing malformed output, one that keeps exiting: the op ends as info and the run stops
 * with this message as its failure (exit 3; what was recorded is still checked).
 */
export class TargetFailed extends Error {
  override readonly name = 'TargetFailed';
}

export interface InvokeOptions {
  /** Aborted when the runner gives up on the op (its timeout): stop waiting, the op ends as info. */
  signal?: AbortSignal;
}

/**
 * One worker thread's connection to one node. `invoke` gets the invocation (type `invoke`, with
 * `process`, `f`, `key`, `value`, `node`) and returns its completion: the same op with `type`
 * `ok`, `fail` (it certainly did not happen) or `info` (unknown), the completion's `value` and,
 * when not ok, an `error`. Throwing is the same as returning `info` with the error.
 */
export interface Client {
  readonly node: string;
  open(): Promise<void>;
  invoke(op: Op, options?: InvokeOptions): Promise<Op>;
  close(): Promise<void>;
}

export interface Target {
  /** Node names, e.g. n1 n2 n3. */
  readonly nodes: readonly string[];
  /** Starts the cluster (every node up and serving). */
  setup(): Promise<void>;
  /** Stops every node and removes what setup made. Safe to call twice and after a failed setup. */
  teardown(): Promise<void>;
  /** Starts a node that was killed. */
  start(node: string): Promise<void>;
  /** Kills a node's process (SIGKILL). */
  kill(node: string): Promise<void>;
  /** Stops a node's process (SIGSTOP). */
  pause(node: string): Promise<void>;
  /** Continues a paused node (SIGCONT). */
  resume(node: string): Promise<void>;
  /** The nodes that currently lead (take writes), where the system has such a notion. */
  primaries?(): Promise<string[]>;
  /** Paths of this node's log files. */
  logs(node: string): string[];
  /**
   * Where a person or another program reaches this node's client interface once it is up, e.g. a
   * unix socket path (`faultline cluster status` prints it; the stdio target hands it to adapters).
   */
  address?(node: string): string;
  /** A new, unopened client for `node`. */
  client(node: string): Client;
}

/**
 * A node's addresses (`unix:/PATH` or `tcp:HOST:PORT`, base/address.ts), for targets whose nodes
 * can be told where to listen (the built-in store's `listen`): a fault that stands between the
 * nodes, like the delay proxy (nemesis/proxied-peers.ts), chooses them and gives them to the
 * target, so every peer link to a node crosses it.
 */
export interface NodeAddresses {
  /** Where clients reach the node. */
  client: string;
  /** Where the other nodes reach this one. */
  peer: string;
  /**
   * Where the node itself listens for peers, when peers reach it elsewhere: through a proxy in
   * front of it (nemesis/proxied-peers.ts). Default: `peer`.
   */
  peerListen?: string;
}
