// A test's configuration: what `faultline test` flags or `--config FILE` describe. One JSON Schema
// (published as schemas/test-config.schema.json) validates both, fills in the defaults, and names
// the field (and, for a file, its line) of the first thing wrong.
import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { InputError, show } from '../histories/errors.js';
import { jsonTooDeepAt, lineAt, NESTING_TEXT } from '../histories/nesting.js';
import { notARegularFile } from '../histories/input-file.js';
import { MAX_SECONDS, MAX_SECONDS_TEXT } from './limits.js';
import { brokenLine } from '../targets/common/json-file.js';
import { SHAPE_NAMES, type ShapeName } from '../nemesis/grudge.js';
import { MODE_NAMES, type ModeName } from '../targets/builtin/mode.js';
import { getWorkload } from '../workloads/index.js';
import { WorkloadOptionError, workloadOptions } from '../workloads/options.js';
import { jsonValueLines, lineOfPointer } from './json-lines.js';
import { readClusterFile } from '../targets/remote/cluster-file.js';
import { BUILTIN_SYSTEMS, readSystemDescription, systemPath, type SystemDescription } from '../targets/system/description.js';
import { modeOptionSchemas, moveModeOptions } from './mode-options.js';
import { metricsConfigSchema, type MetricsConfig } from '../metrics/config.js';

export const FAULT_NAMES = ['kill', 'pause', 'partition', 'delay', 'loss', 'bandwidth', 'duplicate', 'reorder', 'corrupt', 'clock', 'disk'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
/** Faults that act on the network between nodes: they need the nodes in namespaces (target.network "netns"). */
export const NETWORK_FAULTS: readonly FaultName[] = ['partition', 'delay', 'loss', 'bandwidth', 'duplicate', 'reorder', 'corrupt'];
export const TARGET_TYPES = ['builtin', 'etcd', 'postgres', 'redis', 'stdio', 'system'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];
/** What a stdio target's adapters talk to: the built-in store faultline runs, or a system of the user's. */
export const STDIO_SYSTEMS = ['builtin', 'none'] as const;
/** Where nodes run: "local" (this machine's network, unix sockets) or "netns" (a namespace each, control/network.ts). */
export const NETWORK_KINDS = ['local', 'netns'] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];

export interface TargetConfig {
  type: TargetType;
  /** builtin, and stdio over the built-in store (resolved to the workload's natural mode); absent for other targets. */
  mode?: ModeName;
  nodes: number;
  /** Resolved: "netns" when a network fault is asked for, else "local"; always "netns" for a described system run here. */
  network: NetworkKind;
  options: Record<string, unknown>;
  /** type system: the description file (docs/systems.md), an absolute path once resolved. */
  system?: string;
  /** type system: values of the description's options, over its defaults. */
  systemOptions?: Record<string, string>;
}

export interface TestConfig {
  name: string;
  target: TargetConfig;
  workload: { name: string; options: Record<string, unknown> };
  /** Client threads. */
  concurrency: number;
  /** Seconds of the main phase. */
  timeLimit: number;
  /** Client ops per second over all threads; 0 = as fast as the clients go. */
  rate: number;
  seed: number;
  /** Runs of the same test, each with seed + run number. */
  testCount: number;
  /** Seconds a client op may take before it is recorded as info and its thread moves on. */
  opTimeout: number;
  nemesis: { faults: FaultName[]; interval: number; hold?: number; jitter: number; partitions: ShapeName[] };
  /** A cluster file: the nodes are remote hosts over SSH (docs/remote.md). */
  cluster?: string;
  /** Seconds between healing and the final phase, for replication to catch up. */
  quiesce: number;
  /** The store root: runs go to STORE/<name>/<timestamp>/. */
  store: string;
  /** Seconds the checkers may take before they give up (unknown). */
  checkTimeout: number;
  /** The operator's metrics and their alerts (docs/metrics.md). */
  metrics: MetricsConfig;
}

export const testConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/faultline/faultline/schemas/test-config.schema.json',
  title: 'faultline test configuration',
  description: 'What `faultline test --config FILE` runs. Every field is optional; defaults shown.',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9._-]+$', description: 'The test name (a store folder). Default: WORKLOAD-MODE.' },
    target: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        type: {
          enum: [...TARGET_TYPES],
          description: 'Default builtin, or the cluster file\'s target. The system under test: the built-in store, etcd (Debian\'s etcd-server), postgres (Debian\'s PostgreSQL), redis (redis-server with Sentinel), or stdio (any system behind a JSON-lines adapter program: docs/stdio.md), or system (a system description file: docs/systems.md; set by "system").',
        },
        system: {
          type: 'string',
          minLength: 1,
          description: 'A system description (docs/systems.md, schemas/system.schema.json), or the name of a built-in one (etcd, redis, postgres): faultline runs that system, one network namespace per node. Implies "type": "system".',
        },
        systemOptions: {
          type: 'object',
          additionalProperties: { type: ['string', 'number', 'boolean'] },
          description: "Values of the description's options, over its defaults (--option NAME=VALUE sets those the description declares).",
        },
        mode: { enum: [...MODE_NAMES], description: 'builtin (and stdio over the built-in store): the replication mode. Default: the workload\'s natural one (leader-follower-sync for register).' },
        nodes: { type: 'integer', minimum: 1, maximum: 32, description: 'Cluster size. Default 3; postgres: 1 (one server).' },
        network: {
          enum: [...NETWORK_KINDS],
          description: 'Where nodes run: "local" (unix sockets on this machine) or "netns" (each node in its own network namespace, peers over TCP; needs root, ip and iptables). Default: "netns" when a network fault (partition) is asked for, else "local".',
        },
        options: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            replicationDelayMs: { type: 'number', minimum: 0, description: 'Async modes: ms before a write ships to peers.' },
            electionTimeoutMs: { type: 'integer', minimum: 10, description: 'etcd: --election-timeout (default 500).' },
            heartbeatMs: { type: 'integer', minimum: 1, description: 'etcd: --heartbeat-interval (default 50).' },
            antiEntropyMs: { type: 'number', exclusiveMinimum: 0, description: 'crdt: ms between anti-entropy rounds.' },
            vnodes: { type: 'integer', minimum: 1, description: 'sharded: virtual nodes per node.' },
            crdt: { enum: ['g-counter', 'pn-counter', 'or-set'], description: 'crdt: the CRDT type (the workload sets it).' },
            ...modeOptionSchemas(),
            isolation: { enum: ['read-committed', 'repeatable-read', 'serializable'], description: 'postgres: the isolation level of every transaction (default serializable).' },
            readFrom: { enum: ['primary', 'replica'], description: 'redis, postgres with replicas: where a client reads — the primary (default) or its own node\'s server (a replica: stale reads).' },
            replicas: { type: 'integer', minimum: 1, maximum: 31, description: 'postgres: a primary and this many streaming standbys with failover by Patroni (runs systems/postgres-patroni.json, a node per server).' },
            syncStandbys: { type: 'integer', minimum: 0, description: 'postgres with replicas: how many synchronous standbys a commit waits for (Patroni\'s synchronous_mode and synchronous_node_count; default 0: asynchronous replication).' },
            waitReplicas: { type: 'integer', minimum: 0, description: 'redis: after each write, WAIT for this many replicas (default 0: no WAIT); fewer acks make the write info.' },
            waitTimeoutMs: { type: 'integer', minimum: 1, description: 'redis: WAIT\'s timeout in ms (default 1000; 0 would wait forever).' },
            downAfterMs: { type: 'integer', minimum: 1, description: 'redis: Sentinel\'s down-after-milliseconds (default 1000).' },
            failoverTimeoutMs: { type: 'integer', minimum: 1, description: 'redis: Sentinel\'s failover-timeout (default 3000).' },
            adapter: {
              type: 'array',
              items: { type: 'string', minLength: 1 },
              minItems: 1,
              description: 'stdio: the adapter program and its arguments, one per element, e.g. ["python3", "examples/stdio/builtin_adapter.py"] (docs/stdio.md).',
            },
            restartLimit: { type: 'integer', minimum: 0, description: 'stdio, or a system with an adapter: adapter exits in a row on one node (no reply in between) before the run fails (default 5).' },
            system: {
              enum: [...STDIO_SYSTEMS],
              description: 'stdio: what the adapters talk to — "builtin" (default: faultline runs its built-in store in target.mode and tells each adapter its node\'s socket) or "none" (a system you run; kill, pause and network faults need faultline to run it).',
            },
          },
        },
      },
    },
    workload: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: { type: 'string', minLength: 1, description: 'Default register; postgres: list-append.' },
        options: { type: 'object', default: {}, description: 'Workload options (docs/workloads.md).' },
      },
    },
    concurrency: { type: 'integer', minimum: 1, maximum: 10000, default: 10 },
    timeLimit: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, default: 30, description: 'Seconds of the main phase.' },
    rate: { type: 'number', minimum: 0, default: 100, description: 'Client ops per second over all threads; 0 = unlimited.' },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'Default: chosen at random and recorded in test.json.' },
    testCount: { type: 'integer', minimum: 1, default: 1 },
    opTimeout: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, default: 5, description: 'Seconds before a client op is recorded as info.' },
    nemesis: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        faults: { type: 'array', items: { enum: [...FAULT_NAMES] }, uniqueItems: true, default: [] },
        interval: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, default: 5, description: 'Seconds of quiet before each round of faults.' },
        hold: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, description: 'Seconds each fault is held. Default: the interval.' },
        jitter: { type: 'number', minimum: 0, maximum: MAX_SECONDS, default: 0, description: 'The quiet before each round varies by ± this many seconds.' },
        partitions: {
          type: 'array',
          items: { enum: [...SHAPE_NAMES] },
          uniqueItems: true,
          minItems: 1,
          default: [...SHAPE_NAMES],
          description: 'Partition shapes the schedule picks from at random (docs/nemesis.md).',
        },
      },
    },
    cluster: { type: 'string', minLength: 1, description: 'A cluster file (schemas/cluster.schema.json): the nodes are remote hosts reached over SSH, and the file names the target (docs/remote.md).' },
    quiesce: {
      type: 'number',
      minimum: 0,
      maximum: MAX_SECONDS,
      description: 'Seconds between healing and the final phase. Default 2; redis with faults 12 (Sentinel demotes a returning old primary 8-10 s after it is back).',
    },
    store: { type: 'string', minLength: 1, default: 'store' },
    checkTimeout: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, default: 120, description: 'Seconds the checkers may take.' },
    metrics: metricsConfigSchema,
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true, allowUnionTypes: true });
const validate = ajv.compile(testConfigSchema);

/** The flag that sets a config field, for errors about a value a flag gave. */
const FLAG_OF: Record<string, string> = {
  timeLimit: '--time-limit', opTimeout: '--op-timeout', quiesce: '--quiesce', concurrency: '--concurrency', seed: '--seed',
  'nemesis.interval': '--nemesis-interval', 'nemesis.hold': '--nemesis-hold', 'nemesis.jitter': '--nemesis-jitter',
  'target.nodes': '--nodes', 'target.options.replicas': '--replicas',
};

function describe(err: ErrorObject, data: unknown): { pointer: string; text: string } {
  const path = err.instancePath.split('/').slice(1);
  let value: unknown = data;
  for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
  const field = path.join('.') || '(top level)';
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties':
      return {
        pointer: err.instancePath,
        text: `unknown field "${[...path, p.additionalProperty].join('.')}"`,
      };
    case 'enum':
      return { pointer: err.instancePath, text: `"${field}" must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${show(value)}` };
    case 'const':
      return { pointer: err.instancePath, text: `"${field}" must be ${JSON.stringify(p.allowedValue)}, got ${show(value)}` };
    case 'maximum':
      // a duration's limit, said as such, with the flag that may have given it
      if (p.limit === MAX_SECONDS) return { pointer: err.instancePath, text: `"${field}"${FLAG_OF[field] ? ` (${FLAG_OF[field]})` : ''} must be ${MAX_SECONDS_TEXT}, got ${show(value)}` };
      break;
  }
  return { pointer: err.instancePath, text: `"${field}" ${err.message ?? 'is not valid'}, got ${show(value)}` };
}

/**
 * A complete TestConfig from a partial one (flags, or a parsed file): validated, defaults filled,
 * a random seed chosen when none is given. `source` names where it came from for errors: a file
 * path (then `text` lets errors name the line) or e.g. "flags".
 */
export function resolveConfig(raw: unknown, source = 'config', text?: string): TestConfig {
  const data = structuredClone(raw ?? {}) as Record<string, unknown>;
  if (!validate(data)) {
    const { pointer, text: why } = describe(validate.errors![0], data);
    const line = text === undefined ? undefined : lineOfPointer(jsonValueLines(text), pointer);
    throw new InputError(`${source}${line === undefined ? '' : `:${line}`}: ${why}`);
  }
  try {
    return resolveValid(data as unknown as TestConfig, source, text);
  } catch (e) {
    throw located(e, source, text);
  }
}

/**
 * A mistake found after the schema (a field that does not fit the others) said as
 * `source: "field" …`: given the line of that field, where the file has it (issue 20: a config's
 * mistakes name their line). A field a flag gave has no line and keeps none.
 */
function located(e: unknown, source: string, text: string | undefined): unknown {
  if (!(e instanceof InputError) || text === undefined || !e.message.startsWith(`${source}: `)) return e;
  const rest = e.message.slice(source.length + 2);
  const field = /^"([A-Za-z][\w.]*)"/.exec(rest)?.[1] ?? (NETWORK_FAULTS.some((f) => rest.startsWith(f)) ? 'nemesis.faults' : undefined);
  if (field === undefined) return e;
  const line = lineOfPointer(jsonValueLines(text), `/${field.split('.').join('/')}`);
  return line === undefined ? e : new InputError(`${source}:${line}: ${rest}`);
}

function resolveValid(c: TestConfig, source: string, text: string | undefined): TestConfig {
  c.seed ??= Math.floor(Math.random() * 2 ** 32);
  if (c.target.type === 'postgres') replicatedPostgres(c, source);
  if (c.cluster !== undefined) fromClusterFile(c, source);
  const system = c.target.system !== undefined || c.target.type === 'system' ? fromSystemFile(c, source) : undefined;
  c.target.type ??= 'builtin';
  checkTargetOptions(c.target, source, system);
  c.workload.name ??= c.target.type === 'postgres' ? 'list-append' : (system?.client.workloads?.[0] ?? 'register');
  const served = system ? system.client.workloads : WORKLOADS_OF[c.target.type];
  if (served && !served.includes(c.workload.name)) {
    throw new InputError(`${source}: "workload.name" must be one of ${served.map((w) => JSON.stringify(w)).join(', ')} for ${system ? `${system.name} (its client serves those: ${system.file})` : c.target.type}, got ${JSON.stringify(c.workload.name)}`);
  }
  checkWorkloadName(c, source, text);
  if (runsBuiltinStore(c.target)) c.target.mode ??= getWorkload(c.workload.name).modes[0] as ModeName;
  else if (c.target.mode !== undefined) throw new InputError(`${source}: "target.mode" is for the built-in store; ${c.target.type}${c.target.type === 'stdio' ? ' with "system": "none"' : ''} has no modes`);
  moveModeOptions(c.target, c.workload, runsBuiltinStore(c.target), source);
  checkWorkloadOptions(c, source, text);
  c.target.nodes ??= c.target.type === 'postgres' ? 1 : (system?.nodes ?? 3);
  // Until Sentinel reconfigures a returning old primary, it still serves its own data: final reads
  // taken earlier would disagree for that reason alone.
  c.quiesce ??= c.nemesis.faults.length > 0 && (c.target.type === 'redis' || system?.quiesce !== undefined) ? (system?.quiesce ?? 12) : 2;
  if (c.target.type === 'postgres' && c.target.nodes !== 1) throw new InputError(`${source}: "target.nodes" must be 1 for postgres (faultline runs one PostgreSQL server), got ${c.target.nodes}`);
  if (system?.maxNodes !== undefined && c.target.nodes > system.maxNodes) {
    const what = c.cluster !== undefined ? `the cluster file ${c.cluster} names ${c.target.nodes} nodes` : `"target.nodes" is ${c.target.nodes}`;
    throw new InputError(`${source}: ${what}, but ${system.name} runs at most ${system.maxNodes} node${system.maxNodes === 1 ? '' : 's'} as one cluster (${system.file}: "maxNodes")`);
  }
  // Runs at different isolation levels are different tests: each gets its own store folder.
  const variant =
    c.target.type === 'builtin'
      ? c.target.mode
      : c.target.type === 'postgres' || (system?.client.kind === 'builtin' && system.client.builtin === 'postgres')
        ? `${system?.name ?? 'postgres'}-${String(c.target.options.isolation ?? 'serializable')}${replicatedVariant(c.target)}`
        : (system?.name ?? c.target.type);
  c.name ??= `${c.workload.name}-${variant}`;
  const networkFaults = c.nemesis.faults.filter((f) => NETWORK_FAULTS.includes(f));
  if (networkFaults.length > 0 && (c.target.type === 'postgres' || (c.target.type === 'stdio' && !runsBuiltinStore(c.target)))) {
    throw new InputError(`${source}: ${networkFaults.join(', ')} cannot act on ${c.target.type === 'postgres' ? 'postgres: it is one server, with no network between nodes' : 'a stdio target whose system faultline does not run ("system": "none")'}`);
  }
  if (system && c.cluster === undefined) {
    // A described system's nodes listen on their own addresses: each needs its namespace, faults or not.
    if (c.target.network === 'local') throw new InputError(`${source}: "target.network" "local" cannot run a described system: each node runs in its own network namespace (leave "network" out)`);
    c.target.network = 'netns';
  }
  if (c.target.network === 'local' && networkFaults.length > 0 && c.cluster === undefined) {
    throw new InputError(`${source}: ${networkFaults.join(', ')} needs the nodes in network namespaces, but "target.network" is "local" (use "netns" or leave it out)`);
  }
  c.target.network ??= networkFaults.length > 0 ? 'netns' : 'local';
  return c;
}

/** postgres-patroni's own part of a run's name: synchronous standbys, and reads from standbys. */
function replicatedVariant(t: TargetConfig): string {
  const o = t.systemOptions ?? {};
  const sync = String(o.synchronousMode) === 'true' ? `-sync${String(o.synchronousNodeCount ?? 1)}` : '';
  return `${sync}${t.options.readFrom === 'replica' ? '-standby-reads' : ''}`;
}

/**
 * `--target postgres --replicas N [--sync-standbys K]`: PostgreSQL with N streaming standbys and
 * Patroni's failover is the described system postgres-patroni on N + 1 nodes (docs/postgres.md);
 * K > 0 turns on Patroni's synchronous_mode with synchronous_node_count K.
 */
function replicatedPostgres(c: TestConfig, source: string): void {
  const t = c.target as Partial<TargetConfig> & { options: Record<string, unknown> };
  const replicas = t.options.replicas as number | undefined;
  const sync = t.options.syncStandbys as number | undefined;
  if (replicas === undefined) {
    if (sync !== undefined) throw new InputError(`${source}: "target.options.syncStandbys" needs "target.options.replicas" (--replicas N): one PostgreSQL server has no standbys`);
    if (t.options.readFrom !== undefined) throw new InputError(`${source}: "target.options.readFrom" needs "target.options.replicas" (--replicas N): one PostgreSQL server has no standbys to read from`);
    return;
  }
  if (sync !== undefined && sync > replicas) throw new InputError(`${source}: "target.options.syncStandbys" is ${sync}, but there are only ${replicas} standbys ("target.options.replicas")`);
  if (t.nodes !== undefined && t.nodes !== replicas + 1) throw new InputError(`${source}: "target.nodes" is ${t.nodes}, but ${replicas} replicas make ${replicas + 1} nodes (leave "nodes" out)`);
  if (t.system !== undefined) throw new InputError(`${source}: "target.options.replicas" runs the system postgres-patroni; "target.system" names another`);
  const { replicas: _r, syncStandbys: _s, ...rest } = t.options;
  t.options = rest;
  t.type = undefined;
  t.system = 'postgres-patroni';
  if (c.cluster === undefined) t.nodes = replicas + 1;
  if (sync !== undefined && sync > 0) t.systemOptions = { synchronousMode: 'true', synchronousNodeCount: String(sync), ...(t.systemOptions ?? {}) };
}

/**
 * A remote cluster (docs/remote.md): its file names the hosts and the system they run (a
 * description); faultline makes no namespaces. The description is then read as for --system.
 */
function fromClusterFile(c: TestConfig, source: string): void {
  const spec = readClusterFile(c.cluster!);
  const t = c.target as Partial<TargetConfig> & { options: Record<string, unknown> };
  if (t.type !== undefined && t.type !== 'system' && t.type !== spec.description.name) {
    throw new InputError(`${source}: "target.type" is ${t.type}, but the cluster file ${c.cluster} runs the system ${spec.description.name} (${spec.system})`);
  }
  if (t.system !== undefined && systemPath(t.system) !== spec.system) throw new InputError(`${source}: "target.system" is ${t.system}, but the cluster file ${c.cluster} names ${spec.system}`);
  if (t.nodes !== undefined && t.nodes !== spec.nodes.length) throw new InputError(`${source}: "target.nodes" is ${t.nodes}, but the cluster file ${c.cluster} names ${spec.nodes.length} nodes`);
  if (t.network === 'netns') throw new InputError(`${source}: "target.network" "netns" puts local nodes in namespaces; a cluster file's nodes are remote hosts`);
  t.type = 'system';
  t.system = spec.system;
  t.systemOptions = { ...spec.options, ...(t.systemOptions ?? {}) };
  t.nodes = spec.nodes.length;
  t.network = 'local';
}

/**
 * A described system (docs/systems.md): reads the description (its mistakes name its own file and
 * line), resolves `target.system` to its path, and moves the workload options the description
 * declares as its own options (--option NAME=VALUE) to `target.systemOptions`.
 */
function fromSystemFile(c: TestConfig, source: string): SystemDescription {
  const t = c.target as Partial<TargetConfig> & { options: Record<string, unknown> };
  if (t.type !== undefined && t.type !== 'system') throw new InputError(`${source}: "target.system" runs a described system; "target.type" ${t.type} is another target (leave "type" out)`);
  if (t.system === undefined) throw new InputError(`${source}: "target.type" "system" needs "target.system", the description file (e.g. --system examples/systems/nats.json)`);
  if (t.mode !== undefined) throw new InputError(`${source}: "target.mode" is for the built-in store; a described system has no modes`);
  t.type = 'system';
  t.system = systemPath(t.system);
  if (!existsSync(t.system)) throw new InputError(`${source}: "target.system": no such system description ${t.system} (a path, or one of ${BUILTIN_SYSTEMS.join(', ')})`);
  const d = readSystemDescription(t.system);
  const own: Record<string, string> = Object.fromEntries(Object.entries(t.systemOptions ?? {}).map(([k, v]) => [k, String(v)]));
  const wo = c.workload.options;
  for (const k of Object.keys(wo)) {
    if (Object.hasOwn(d.options, k)) {
      own[k] = String(wo[k]);
      delete wo[k];
    }
  }
  for (const k of Object.keys(own)) {
    if (!Object.hasOwn(d.options, k)) throw new InputError(`${source}: "target.systemOptions.${k}": ${d.name} has no such option (its options: ${Object.keys(d.options).join(', ') || 'none'}; ${d.file})`);
  }
  t.systemOptions = own;
  return d;
}

/** The workloads a target's client serves; any other would fail every op and still read as valid. */
const WORKLOADS_OF: Partial<Record<TargetType, string[]>> = {
  postgres: ['list-append', 'rw-register'],
  redis: ['register', 'set', 'counter'],
};

/** Options that belong to one target type, named so a misplaced one is not silently ignored. */
const OPTIONS_OF: Record<string, TargetType[]> = {
  isolation: ['postgres'],
  readFrom: ['redis'],
  replicas: ['postgres'],
  syncStandbys: ['postgres'],
  waitReplicas: ['redis'],
  waitTimeoutMs: ['redis'],
  downAfterMs: ['redis'],
  failoverTimeoutMs: ['redis'],
  adapter: ['stdio'],
  system: ['stdio'],
  restartLimit: ['stdio'],
  electionTimeoutMs: ['etcd'],
  heartbeatMs: ['etcd'],
};

/** The client options a described system takes, by its client. */
const SYSTEM_CLIENT_OPTIONS: Record<string, string[]> = {
  adapter: ['restartLimit'],
  etcd: [],
  redis: ['readFrom', 'waitReplicas', 'waitTimeoutMs'],
  postgres: ['isolation', 'readFrom'],
};

function checkTargetOptions(t: TargetConfig, source: string, system?: SystemDescription): void {
  if (system) {
    const kind = system.client.kind === 'adapter' ? 'adapter' : system.client.builtin;
    for (const name of Object.keys(t.options)) {
      if (!SYSTEM_CLIENT_OPTIONS[kind].includes(name)) {
        const hint = Object.hasOwn(system.options, name) ? ` (it is one of the description's options: --option ${name}=VALUE)` : '';
        throw new InputError(`${source}: "target.options.${name}" does not apply to ${system.name}, whose client is ${kind === 'adapter' ? 'an adapter' : `faultline's ${kind} client`}${SYSTEM_CLIENT_OPTIONS[kind].length > 0 ? ` (it takes ${SYSTEM_CLIENT_OPTIONS[kind].join(', ')})` : ''}${hint}`);
      }
    }
    return;
  }
  for (const [name, types] of Object.entries(OPTIONS_OF)) {
    if (t.options[name] !== undefined && !types.includes(t.type)) throw new InputError(`${source}: "target.options.${name}" is for ${types.join(', ')}, not ${t.type}`);
  }
  if (t.type === 'stdio' && t.options.adapter === undefined) {
    throw new InputError(`${source}: target stdio needs "target.options.adapter", the adapter program's argv (e.g. --adapter 'python3 examples/stdio/builtin_adapter.py'; docs/stdio.md)`);
  }
}

/** Whether faultline runs its built-in store for this target: builtin itself, or under stdio adapters. */
export function runsBuiltinStore(t: Pick<TargetConfig, 'type' | 'options'>): boolean {
  return t.type === 'builtin' || (t.type === 'stdio' && t.options.system !== 'none');
}

/**
 * The workload's options checked here, where the config's file and text are known, so a mistake
 * names its line (a nested option too: "workload.options.keys"); the runner checks them again.
 */
function checkWorkloadName(c: TestConfig, source: string, text: string | undefined): void {
  try {
    getWorkload(c.workload.name);
  } catch (e) {
    // an unknown workload: said here, where its line is known (later it named no file)
    const line = text === undefined ? undefined : lineOfPointer(jsonValueLines(text), '/workload/name');
    throw new InputError(`${source}${line === undefined ? '' : `:${line}`}: workload.name: ${(e as Error).message}`);
  }
}

/** The workload's own options (the built-in store's mode options already moved to the target). */
function checkWorkloadOptions(c: TestConfig, source: string, text: string | undefined): void {
  const workload = getWorkload(c.workload.name);
  try {
    workloadOptions(workload, c.workload.options);
  } catch (e) {
    if (!(e instanceof WorkloadOptionError)) throw e;
    const pointer = `/workload/options${e.pointer}`;
    const line = text === undefined ? undefined : lineOfPointer(jsonValueLines(text), pointer);
    const field = pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
    throw new InputError(`${source}${line === undefined ? '' : `:${line}`}: ${field}: ${e.message}`);
  }
}

/** A JSON config file's object and text (for line numbers), unvalidated; errors name the file and line. */
export function readRawConfig(path: string): { raw: Record<string, unknown>; text: string } {
  let text: string;
  const special = notARegularFile(path);
  if (special !== undefined) throw new InputError(`config ${path}: ${special}`);
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const line = brokenLine(text, (e as Error).message);
    throw new InputError(`${path}${line ? `:${line}` : ''}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  // Before anything walks it (validation, defaults, structuredClone): deep nesting overflowed the stack.
  const deep = jsonTooDeepAt(text);
  if (deep !== -1) throw new InputError(`${path}:${lineAt(text, deep)}: config ${NESTING_TEXT}`);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError(`${path}:1: a test config must be a JSON object`);
  return { raw: parsed as Record<string, unknown>, text };
}
