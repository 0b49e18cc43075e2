// The metrics source of a run's target: the built-in store, Redis and PostgreSQL report theirs;
// any other target's metrics are not measured, and the report says so.
import { BuiltinTarget } from '../../targets/builtin/target.js';
import type { Target } from '../../targets/types.js';
import { METRIC_NAMES, type Capabilities, type MetricsSource } from '../types.js';
import { builtinSource } from './builtin.js';

/** Every metric not measured, for `why`. */
export function noneMeasured(why: string): Capabilities {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, why]));
}

export async function metricsSourceFor(target: Target, kind: string): Promise<{ source?: MetricsSource; capabilities: Capabilities }> {
  if (target instanceof BuiltinTarget) {
    const source = builtinSource(target);
    return { source, capabilities: source.metricCapabilities() };
  }
  const { RedisTarget } = await import('../../targets/redis/target.js');
  if (target instanceof RedisTarget) {
    const { redisSource } = await import('./redis.js');
    const source = redisSource(target);
    return { source, capabilities: source.metricCapabilities() };
  }
  const { PostgresTarget } = await import('../../targets/postgres/target.js');
  if (target instanceof PostgresTarget) {
    const { postgresSource } = await import('./postgres.js');
    const source = postgresSource(target);
    return { source, capabilities: source.metricCapabilities() };
  }
  return { capabilities: noneMeasured(`not measured for ${kind}: faultline samples the built-in store, Redis and PostgreSQL`) };
}
