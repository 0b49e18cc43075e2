// The `metrics` field of a test config: how often the runner samples the nodes, the playbook's
// alert thresholds (each can be changed or switched off), and whether a crossing fails the run.
// `--alert NAME=VALUE` and `--alert-fails` set them from the command line (docs/metrics.md).
import { InputError } from '../histories/errors.js';

export interface AlertThresholds {
  /** Replication lag above this many seconds (playbook: 10). */
  lagSeconds: number | null;
  /** Conflicts per second above this many times the baseline (playbook: 5). */
  conflictSpike: number | null;
  /** The baseline never counts as less than this many conflicts per second (so a first conflict is no spike). */
  conflictFloor: number;
  /** A shard taking more than this many times the mean shard's requests (playbook: 2). */
  shardImbalance: number | null;
  /** A cache answering fewer than this share of reads (playbook: 0.8). */
  cacheHitRate: number | null;
  /** Sessions waiting on a lock, on average over a sample interval (≈ seconds of lock wait per second); off by default. */
  lockWait: number | null;
}

export interface MetricsConfig {
  /** Seconds between samples of the nodes. */
  sampleSeconds: number;
  alerts: AlertThresholds;
  /** A crossing fails the run (exit 1), naming the alert, when and where. */
  alertFails: boolean;
}

const threshold = (description: string, dflt: number | null, extra: Record<string, unknown> = {}) => ({
  type: ['number', 'null'],
  ...extra,
  default: dflt,
  description: `${description} null switches the alert off.`,
});

export const metricsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: "The operator's metrics of the run and their alerts (docs/metrics.md).",
  properties: {
    sampleSeconds: { type: 'number', minimum: 0.1, default: 1, description: 'Seconds between samples of the nodes.' },
    alertFails: { type: 'boolean', default: false, description: 'A crossing of any alert fails the run (exit 1).' },
    alerts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        lagSeconds: threshold('Replication lag alert: above this many seconds behind the primary.', 10, { exclusiveMinimum: 0 }),
        conflictSpike: threshold('Conflict rate alert: above this many times the baseline (the mean of the 10 samples before).', 5, { exclusiveMinimum: 0 }),
        conflictFloor: { type: 'number', minimum: 0, default: 1, description: 'The conflict baseline never counts as less than this many conflicts per second.' },
        shardImbalance: threshold("Shard balance alert: a shard above this many times the mean shard's requests.", 2, { exclusiveMinimum: 0 }),
        cacheHitRate: threshold("Cache hit rate alert: below this share of reads answered from a node's cache.", 0.8, { minimum: 0, maximum: 1 }),
        lockWait: threshold('Lock contention alert: above this many sessions waiting on a lock on average (≈ seconds of lock wait per second).', null, { minimum: 0 }),
      },
    },
  },
} as const;

/** `--alert NAME=VALUE` pairs over `into` (VALUE a number, or off/none/null). */
export function parseAlertFlags(flags: readonly string[], into: Record<string, unknown>): void {
  const known = Object.keys(metricsConfigSchema.properties.alerts.properties);
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq < 0 ? flag : flag.slice(0, eq);
    if (!known.includes(name)) throw new InputError(`--alert ${flag}: no alert "${name}" (known: ${known.join(', ')})`);
    const text = eq < 0 ? '' : flag.slice(eq + 1).trim();
    if (['off', 'none', 'null'].includes(text)) {
      into[name] = null;
      continue;
    }
    const v = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
    if (text === '' || !Number.isFinite(v)) throw new InputError(`--alert ${flag}: the threshold must be a number (or off), e.g. --alert ${name}=${name === 'cacheHitRate' ? '0.8' : '10'}`);
    into[name] = v;
  }
}
