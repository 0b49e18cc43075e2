// The redis target (docs/redis.md): what the runner needs to run `--target redis`.
export { createRedisTarget, RedisTarget, type RedisTargetOptions, type Replication } from './target.js';
export { redisAvailable } from './available.js';
export { RedisClient, type RedisClientOptions, type RedisCluster } from './client.js';
