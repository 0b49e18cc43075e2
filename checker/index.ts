export * from './types.js';
export * from './compose.js';
export * from './registry.js';
export { stats, countOutcomes } from './stats.js';
export { perf, summarizeLatencies } from './perf.js';
