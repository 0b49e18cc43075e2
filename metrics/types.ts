// The operator's metrics of a run (docs/metrics.md): what a node or a target reports when the
// runner samples it, and the time series and alert crossings derived from those samples.

/**
 * Counters a node keeps from its start: the runner turns differences between samples into rates.
 * A counter that goes down means the node restarted (the difference is taken from zero).
 */
export interface NodeCounters {
  /** Client requests this node answered. */
  requests?: number;
  /** Concurrent updates resolved: a value discarded by last-writer-wins, siblings kept by a join. */
  conflicts?: number;
  /** Ops this node ran as the owner of their keys (sharded: the requests its shard took). */
  shardRequests?: number;
  /** Reads answered from the node's cache, and reads that went to the store. */
  cacheHits?: number;
  cacheMisses?: number;
  /** Cache fills that landed after an invalidation of their key had arrived (stale entries left). */
  staleFills?: number;
  /** Cache fills refused because a newer change to their key had been seen (event-driven). */
  rejectedFills?: number;
}

/** A change in how the store is laid out, as a node reports it (e.g. a hot key spread over sub-shards). */
export interface MetricEvent {
  /** Wall-clock ms on the node. */
  atMs: number;
  kind: string;
  text: string;
  /** The node the event is about, when not the reporting one (e.g. the owner of a hot key). */
  node?: string;
}

/** What one node reports at one sample (GET /metrics on a built-in node; a target's own probe elsewhere). */
export interface NodeMetrics {
  counters?: NodeCounters;
  /** Replication lag (ms) of each replica this node replicates to, by replica, as the node sees it now. */
  lagMs?: Record<string, number>;
  /** Entries waiting to be replicated to each replica (or, under `self`, waiting to be applied here). */
  queueDepth?: Record<string, number>;
  /** Per replicated entry applied here since the last sample: ms from its write to its apply (drained). */
  lagSamplesMs?: number[];
  /** Per such entry: the entries ahead of it in this node's apply queue when it arrived. */
  queueSamples?: number[];
  /** Per such entry: ms its apply took (from when it could start to done). */
  applySamplesMs?: number[];
  /** Per such entry: ms from its write to its arrival past the link, and ms it waited behind others. */
  transitSamplesMs?: number[];
  waitSamplesMs?: number[];
  events?: MetricEvent[];
  /** Keys holding concurrent siblings now (multi-leader-vv), and (bounded) which. */
  keysWithSiblings?: number;
  siblingKeys?: string[];
  /** Sessions waiting on a lock now (PostgreSQL: wait_event_type Lock), and locks not granted. */
  lockWaiting?: number;
  locksNotGranted?: number;
  /** Redis: the server's own keyspace hits and misses (INFO stats), cumulative. */
  keyspaceHits?: number;
  keyspaceMisses?: number;
}

/** One round of sampling: every node's answer (or why there was none) at one moment. */
export interface MetricSample {
  /** Nanoseconds on the run's time axis (the history's `time`). */
  t: number;
  /** Wall-clock ms when the round began (to place node events, which carry wall-clock times). */
  wallMs: number;
  nodes: Record<string, NodeMetrics | { error: string }>;
}

/** Which of the five metrics a target can report, and for those it cannot, why. */
export type MetricName = 'replicationLag' | 'conflictRate' | 'shardBalance' | 'cacheHitRate' | 'lockContention';
export const METRIC_NAMES: readonly MetricName[] = ['replicationLag', 'conflictRate', 'shardBalance', 'cacheHitRate', 'lockContention'];

export type Capabilities = Partial<Record<MetricName, true | string>>;

/** A target that can be sampled (the built-in store, Redis, PostgreSQL). */
export interface MetricsSource {
  /** Which metrics its samples carry; a string says why one is not measured. */
  metricCapabilities(): Capabilities;
  /** One sample of every node, each within `timeoutMs` (a paused node gives an error, not a wait). */
  sampleMetrics(timeoutMs: number): Promise<Record<string, NodeMetrics | { error: string }>>;
  /** Releases what sampling holds (connections). */
  closeMetrics?(): Promise<void>;
}

/** One line of a metric's plot: values at sample times (seconds on the run's axis). */
export interface Series {
  name: string;
  t: number[];
  v: number[];
}

export type ThresholdKind = 'above' | 'below' | 'spike';

export interface Threshold {
  kind: ThresholdKind;
  /** above/below: the limit; spike: the factor over the baseline. */
  value: number;
}

export interface MetricSeries {
  title: string;
  unit: string;
  /** Absent when the metric was not measured (then `notMeasured` says why). */
  series?: Series[];
  /** The alert's threshold (absent: no alert is set for it). */
  threshold?: Threshold;
  /** For a spike alert: the level that would alert at each time (factor × baseline). */
  limit?: Series;
  notMeasured?: string;
  /** One line of figures under the plot (e.g. the balance before and after hot keys were spread). */
  note?: string;
}

/** An alert in effect over an interval: from the first sample over the threshold to the first back under. */
export interface Crossing {
  alert: MetricName;
  /** Where: a node, a replica, a shard, or "cluster". */
  where: string;
  /** Seconds on the run's axis. */
  from: number;
  /** Undefined: still crossed at the last sample. */
  to?: number;
  /** The worst value while crossed, in the metric's unit. */
  peak: number;
  threshold: number;
  /** One sentence: which alert, when and where. */
  text: string;
}

export interface RunMetrics {
  sampleSeconds: number;
  samples: number;
  metrics: Record<MetricName, MetricSeries>;
  crossings: Crossing[];
  events: { t: number; node: string; kind: string; text: string }[];
  /** Shard balance (max ÷ mean) before and after the first hot key was spread, when one was. */
  balance?: { spreadAt: number; before: number; after: number };
  /** Per replicated entry (built-in leader-follower): lag, queue depth and apply time quantiles. */
  replication?: ReplicationFigures;
}

export interface Quantiles {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ReplicationFigures {
  lagMs: Quantiles;
  queueDepth: Quantiles;
  applyMs: Quantiles;
  transitMs: Quantiles;
  waitMs: Quantiles;
  /** Entries applied per second of apply work (the replica's throughput while busy). */
  throughputPerSecond: number;
  /** Per entry, the lag formula over its own terms: transit + queue depth ÷ throughput + apply. */
  formulaMs?: Quantiles;
}
