// Options of the built-in store's modes that a test can set (docs/builtin.md): their schemas, which
// modes take them, and `--option NAME=VALUE` for them. `--option` fills the workload's options;
// names that belong to the store's modes move to `target.options`, as a described system's own
// options move to `systemOptions`, so `--mode cache --option invalidation=ttl` reads as it should.
import { Ajv } from 'ajv';
import { InputError, show } from '../histories/errors.js';
import { INVALIDATIONS } from '../targets/builtin/node-cache.js';
import type { ModeName } from '../targets/builtin/mode.js';

interface ModeOption {
  schema: Record<string, unknown>;
  /** The modes it acts on. */
  modes: readonly ModeName[];
}

const ms = (description: string) => ({ type: 'number', minimum: 0, description });

/** The options added for issue 17 (cache, sharded's hot keys, the follower's apply queue), by name. */
export const BUILTIN_MODE_OPTIONS: Record<string, ModeOption> = {
  invalidation: {
    schema: { enum: [...INVALIDATIONS], description: 'cache: how caches learn of a change — write-through (default: the writer updates its entry and tells the others, not waiting), ttl (entries expire), event-driven (caches follow the replication stream)' },
    modes: ['cache'],
  },
  cacheTtlMs: { schema: ms('cache with invalidation ttl: how long an entry lives (default 1000).'), modes: ['cache'] },
  fillDelayMs: { schema: ms('cache: ms between a miss reading the store and filling the cache (default 0): the window of the fill race.'), modes: ['cache'] },
  adaptive: { schema: { type: 'boolean', description: 'sharded: spread hot keys (sets, counters) over sub-shards on every node.' }, modes: ['sharded'] },
  hotKeyShare: { schema: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: "sharded, adaptive: the share of its shard's ops a key must take to be hot (default 0.3)." }, modes: ['sharded'] },
  hotShardRatio: { schema: { type: 'number', exclusiveMinimum: 0, description: 'sharded, adaptive: how many times the mean shard a shard must run before it looks for a hot key (default 1.5).' }, modes: ['sharded'] },
  linkLatencyMs: { schema: ms('leader-follower (and cache): the one-way latency of the replication link; followers apply from a queue (default 0: no queue).'), modes: ['leader-follower-async', 'leader-follower-sync', 'cache'] },
  applyTimeMs: { schema: ms('leader-follower (and cache): ms a follower spends applying each entry, one at a time (default 0).'), modes: ['leader-follower-async', 'leader-follower-sync', 'cache'] },
};

/** Options of the store that `--option` may set besides the ones above (already in the target schema). */
const OLDER_MODE_OPTIONS = ['replicationDelayMs', 'antiEntropyMs', 'vnodes'];

/** The entries for testConfigSchema's `target.options.properties`. */
export function modeOptionSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(BUILTIN_MODE_OPTIONS).map(([k, o]) => [k, o.schema]));
}

const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: true });
const validators = new Map(Object.entries(BUILTIN_MODE_OPTIONS).map(([k, o]) => [k, ajv.compile(o.schema)]));

interface Target {
  type: string;
  mode?: string;
  options: Record<string, unknown>;
}

/**
 * Moves the store's options out of `workload` (where `--option` put them) into `target.options`,
 * checking each value (flags give strings: "true", "20" are converted), and refuses an option
 * meant for another mode. `source` names the config for messages.
 */
export function moveModeOptions(target: Target, workload: { options: Record<string, unknown> }, runsStore: boolean, source: string): void {
  if (!runsStore) return;
  const wo = workload.options;
  for (const name of [...Object.keys(BUILTIN_MODE_OPTIONS), ...OLDER_MODE_OPTIONS]) {
    if (wo[name] === undefined) continue;
    const holder = { v: wo[name] };
    const validate = validators.get(name);
    if (validate && !validate(holder.v)) throw new InputError(`${source}: option ${name} ${validate.errors?.[0]?.message ?? 'is not valid'}, got ${show(wo[name])}`);
    if (!validate) {
      const n = typeof holder.v === 'string' ? Number(holder.v) : holder.v;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new InputError(`${source}: option ${name} must be a number ≥ 0, got ${show(wo[name])}`);
      holder.v = n;
    } else if (typeof holder.v === 'string' && (BUILTIN_MODE_OPTIONS[name].schema.type === 'number' || BUILTIN_MODE_OPTIONS[name].schema.type === 'boolean')) {
      holder.v = BUILTIN_MODE_OPTIONS[name].schema.type === 'boolean' ? holder.v === 'true' : Number(holder.v);
    }
    target.options[name] = holder.v;
    delete wo[name];
  }
  if (target.mode === undefined) return;
  for (const [name, o] of Object.entries(BUILTIN_MODE_OPTIONS)) {
    if (target.options[name] !== undefined && !o.modes.includes(target.mode as ModeName)) {
      throw new InputError(`${source}: option ${name} is for the ${o.modes.join(', ')} mode${o.modes.length > 1 ? 's' : ''}, not ${target.mode}`);
    }
  }
}
