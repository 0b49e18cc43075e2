// A workload: what the clients do (a generator of client ops), what they do at the end (final
// reads), and which checkers the history it produces must pass. One file per workload.
import type { Checker } from '../checker/types.js';
import type { GenLike, OpTemplate } from './generator/types.js';

export interface WorkloadOptions {
  /** The cluster's node names (final reads go to each). */
  nodes: readonly string[];
  /** Client threads; thread t talks to nodes[t % nodes.length]. */
  concurrency: number;
  /** Workload-specific settings from the config (`workload.options`), already validated. */
  [option: string]: unknown;
}

export interface Workload {
  name: string;
  /** One line for --help and listings. */
  description: string;
  /** JSON Schema (ajv) of this workload's own options; unknown options are refused. */
  optionsSchema: Record<string, unknown>;
  /**
   * Ops run once, before the clients start, through one client (e.g. the bank's initial
   * balances). They are recorded in the history like any other op.
   */
  setup?(o: WorkloadOptions): OpTemplate[];
  /** The main phase's client ops; the runner bounds it with the time limit and rate. */
  generator(o: WorkloadOptions): GenLike;
  /** The final phase (after heal and quiesce): ops marked `final: true`, e.g. a read on every node. */
  final?(o: WorkloadOptions): GenLike;
  /** The checkers this workload implies, composed (always with stats and perf). */
  checker(o: WorkloadOptions): Checker;
  /** Options the target needs to serve this workload (e.g. the crdt mode's CRDT type). */
  targetOptions?(o: WorkloadOptions): Record<string, unknown>;
  /** The built-in store's modes this workload is meant for (the first is its natural one). */
  modes: readonly string[];
}
