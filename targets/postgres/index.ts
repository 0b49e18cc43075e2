// The postgres target (docs/postgres.md): what the runner needs to run `--target postgres`.
export { createPostgresTarget, PostgresTarget, type PostgresTargetOptions } from './target.js';
export { postgresAvailable } from './available.js';
export { PostgresClient, type PostgresClientOptions } from './client.js';
export { ISOLATION_LEVELS, type Isolation } from './sql.js';
