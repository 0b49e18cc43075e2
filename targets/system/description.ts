// A system description (docs/systems.md): how to install, configure, start, stop, kill, pause and
// probe one node of a system, and how clients reach it, in a JSON file. One JSON Schema (published
// as schemas/system.schema.json, for editors) validates it and fills its defaults; the checks a
// schema cannot make (every placeholder known where it is used, ports named, files inside the
// node's folders) follow. Every mistake is one line, `FILE:LINE: "field" …`.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { InputError } from '../../histories/errors.js';
import { MAX_SECONDS } from '../../runner/limits.js';
import { Mistake, fieldOf, parseJsonObject, readText, validateDocument } from '../common/json-file.js';
import { CLIENT_PLACEHOLDERS, ITEM_PLACEHOLDERS, NODE_PLACEHOLDERS, placeholdersIn } from './placeholders.js';

export type Argv = readonly string[];

export const BUILTIN_CLIENTS = ['etcd', 'redis', 'postgres'] as const;
export type BuiltinClientName = (typeof BUILTIN_CLIENTS)[number];

/** The workloads each built-in client serves (the adapter's are the description's to say). */
export const BUILTIN_CLIENT_WORKLOADS: Record<BuiltinClientName, readonly string[] | undefined> = {
  etcd: undefined, // every workload of the etcd target
  redis: ['register', 'set', 'counter'],
  postgres: ['list-append', 'rw-register', 'register', 'set'],
};

export interface ValueList {
  each: 'nodes' | 'peers' | 'first';
  format: string;
  join: string;
}

export interface Sidecar {
  name: string;
  start: Argv;
}

export interface AdapterClient {
  kind: 'adapter';
  adapter: Argv;
  /** The port (a name in `ports`) the adapter connects to. */
  port: string;
  workloads?: readonly string[];
  packages: readonly string[];
  requires: readonly string[];
  init?: Argv;
}

export interface BuiltinClient {
  kind: 'builtin';
  builtin: BuiltinClientName;
  /** The port (etcd, postgres) its connections go to. */
  port: string;
  /** redis: the server's and the Sentinel's port names. */
  ports: { server: string; sentinel: string };
  /** postgres: the account and database. */
  user: string;
  database: string;
  /** postgres, replicated: the port of each node's Patroni REST API (the client finds the primary through it). */
  patroni?: string;
  workloads?: readonly string[];
}

export type ClientSpec = AdapterClient | BuiltinClient;

export interface Timeouts {
  install: number;
  command: number;
  ready: number;
  restart: number;
  stop: number;
}

/** A validated description with every default filled in. */
export interface SystemDescription {
  /** The file it came from, and its folder ({systemDir}). */
  file: string;
  dir: string;
  name: string;
  description?: string;
  nodes: number;
  /** The most nodes that make one cluster of it (postgres: 1; a cluster of more would be independent servers). */
  maxNodes?: number;
  packages: readonly string[];
  requires: readonly string[];
  install?: Argv;
  user?: string;
  env: Readonly<Record<string, string>>;
  ports: Readonly<Record<string, number>>;
  peerPorts: readonly string[];
  options: Readonly<Record<string, string>>;
  values: Readonly<Record<string, ValueList>>;
  /** Path template → content template. */
  files: Readonly<Record<string, string>>;
  setup: readonly Argv[];
  start: Argv;
  bootstrap?: Argv;
  startOrder: 'parallel' | 'sequential';
  sidecars: readonly Sidecar[];
  stop?: Argv;
  kill?: Argv;
  pause?: Argv;
  resume?: Argv;
  wipe?: Argv;
  health: Argv;
  /** Run on the first node after every node serves, until it exits 0: the cluster as a whole is ready. */
  ready?: Argv;
  /** Run once, in order, on the first node once the cluster is ready (as root): create a user, a database. */
  init: readonly Argv[];
  primaries?: Argv;
  logs: readonly string[];
  /** Seconds between healing and the final reads of a run with faults, when the description knows better than the default. */
  quiesce?: number;
  client: ClientSpec;
  /** Seconds. */
  timeouts: Timeouts;
}

const NAME = '^[a-z0-9][a-z0-9-]{0,31}$';
const IDENT = '^[A-Za-z][A-Za-z0-9]{0,31}$';
const PORT_NAME = '^[A-Za-z][A-Za-z0-9_-]{0,31}$';
const argv = (what: string) => ({ type: 'array', minItems: 1, items: { type: 'string' }, description: what });
const strings = (what: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: what });
const seconds = (what: string, byDefault: number) => ({ type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, default: byDefault, description: what });
const portName = (what: string) => ({ type: 'string', pattern: PORT_NAME, description: what });

export const systemDescriptionSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/faultline/faultline/schemas/system.schema.json',
  title: 'faultline system description',
  description:
    'How faultline installs, starts, stops, kills, pauses and probes one node of a system, and how clients reach it (docs/systems.md). Commands are argument arrays; {placeholders} inside an element are replaced per node.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'start', 'health', 'client'],
  properties: {
    $schema: { type: 'string', description: 'Where this schema is, for editors (ignored by faultline).' },
    name: { type: 'string', pattern: NAME, description: "The system's name: lowercase letters, digits and -." },
    description: { type: 'string', description: 'One line for people.' },
    nodes: { type: 'integer', minimum: 1, maximum: 32, default: 3, description: 'How many nodes a local run starts when --nodes is not given.' },
    maxNodes: { type: 'integer', minimum: 1, maximum: 32, description: 'The most nodes that make one cluster of this system (e.g. 1 for a single server): more are refused.' },
    packages: strings('Debian packages the nodes need, installed with apt-get when a program in "requires" is missing.'),
    requires: strings('What must exist where the nodes run: a program on PATH, or an absolute path (a file, where * matches one folder name).'),
    install: argv('Run once per host (locally: once) after the packages, e.g. to fetch a binary.'),
    user: { type: 'string', pattern: '^[a-z_][a-z0-9_-]{0,31}$', description: "The account the node's processes run as (default root); {dataDir} and {logDir} are made its own." },
    env: { type: 'object', additionalProperties: { type: 'string' }, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, default: {}, description: "Environment variables of the node's processes (values may use placeholders)." },
    ports: {
      type: 'object',
      additionalProperties: { type: 'integer', minimum: 1, maximum: 65535 },
      propertyNames: { pattern: PORT_NAME },
      default: {},
      description: 'Named ports, the same on every node: {port.NAME}.',
    },
    peerPorts: { type: 'array', items: portName('A name in ports.'), uniqueItems: true, default: [], description: 'The ports nodes use to talk to each other.' },
    options: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      propertyNames: { pattern: IDENT },
      default: {},
      description: 'Tunable values with their defaults ({NAME}); --option NAME=VALUE or a cluster file\'s "options" override them.',
    },
    values: {
      type: 'object',
      propertyNames: { pattern: IDENT },
      default: {},
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['each', 'format'],
        properties: {
          each: { enum: ['nodes', 'peers', 'first'], description: 'List every node, every other node, or the first node only.' },
          format: { type: 'string', description: "One item; {node} {index} {ip} {host} and {port.NAME} are the listed node's." },
          join: { type: 'string', default: ',', description: 'Between items.' },
        },
      },
      description: 'Lists built from the nodes: {NAME}.',
    },
    files: {
      type: 'object',
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      default: {},
      description: 'Files written on each node before setup: a path under {dataDir} or {logDir} → its content (a string, or lines).',
    },
    setup: { type: 'array', items: argv('A command.'), default: [], description: "Commands run in order on each node after files, before its first start (as root)." },
    start: argv('The node\'s server, in the foreground: faultline keeps it running, detached, its output in {logDir}/console.log.'),
    bootstrap: argv("The first node's first start, when it differs; the first node then serves before the others start."),
    startOrder: { enum: ['parallel', 'sequential'], default: 'parallel', description: 'How the nodes start at setup.' },
    sidecars: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'start'],
        properties: { name: { type: 'string', pattern: NAME }, start: argv('The sidecar, in the foreground.') },
      },
      description: 'More long-lived processes per node, started after it first serves; kill and pause leave them alone.',
    },
    stop: argv('Stops the node (default: SIGTERM, then SIGKILL after timeouts.stop).'),
    kill: argv('Kills the node (default: SIGKILL to its process and descendants).'),
    pause: argv('Pauses the node (default: SIGSTOP to its process and descendants).'),
    resume: argv('Resumes a paused node (default: SIGCONT).'),
    wipe: argv("Removes the node's data (default: {dataDir})."),
    health: argv('Exits 0 when the node serves; run where the node runs.'),
    ready: argv('Run on the first node once every node serves (and its sidecars run), until it exits 0: the cluster as a whole is ready (a leader elected, replicas connected).'),
    init: { type: 'array', items: argv('A command.'), default: [], description: 'Commands run once, in order, on the first node when the cluster is ready, as root (e.g. create an account for the clients).' },
    quiesce: { type: 'number', minimum: 0, maximum: MAX_SECONDS, description: 'Seconds between healing and the final reads of a run with faults (default: the test\'s, 2).' },
    primaries: argv('Prints the names of the nodes that lead now; run on every running node.'),
    logs: strings('More files kept in the run\'s logs/<node>/ (everything in {logDir} is kept anyway).'),
    client: {
      type: 'object',
      additionalProperties: false,
      description: 'How clients reach a node: "adapter" (docs/stdio.md) or "builtin".',
      properties: {
        adapter: argv('The adapter program and its arguments ({systemDir}: the description\'s folder).'),
        builtin: { enum: [...BUILTIN_CLIENTS], description: "One of faultline's clients." },
        port: portName('The port the client connects to (default "client").'),
        ports: {
          type: 'object',
          additionalProperties: false,
          required: ['server', 'sentinel'],
          properties: { server: portName("redis: the server's port."), sentinel: portName("redis: the Sentinel's port.") },
        },
        user: { type: 'string', minLength: 1, description: 'postgres: the account (default postgres).' },
        database: { type: 'string', minLength: 1, description: 'postgres: the database (default postgres).' },
        patroni: portName("postgres: the port of each node's Patroni REST API; the client then sends writes to the node Patroni calls primary, and reads there or (--read-from replica) to its own node."),
        workloads: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true, description: 'The workloads the client serves.' },
        packages: strings('adapter: Debian packages it needs on this machine.'),
        requires: strings('adapter: programs it needs on this machine.'),
        init: argv('adapter: run once after every node serves, before the clients start, with the adapters\' environment.'),
      },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        install: seconds('The packages and install.', 600),
        command: seconds('Any other command.', 30),
        ready: seconds('Setup waits this long for every node to serve.', 60),
        restart: seconds('A restarted node is waited on this long, then the run goes on.', 10),
        stop: seconds('SIGTERM (or the stop command) gets this long before SIGKILL.', 10),
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true, allowUnionTypes: true });
const validate = ajv.compile(systemDescriptionSchema);

function patternMeaning(pointer: string): string {
  const parts = pointer.split('/');
  const leaf = parts.at(-1);
  const parent = parts.at(-2);
  if (pointer === '/name') return 'must be lowercase letters, digits and - (at most 32)';
  if (/^\/sidecars\/\d+\/name$/.test(pointer)) return 'must be lowercase letters, digits and - (at most 32)';
  if (leaf === 'user') return 'must be a user name (lowercase letters, digits, _ -)';
  if (parent === 'ports' || parent === 'peerPorts' || leaf === 'port' || leaf === 'server' || leaf === 'sentinel') return 'must be a port name (a letter, then letters, digits, _ -)';
  if (parent === 'options' || parent === 'values') return 'must be a name of letters and digits, starting with a letter';
  if (parent === 'env') return 'must be an environment variable name';
  return 'is not valid';
}

/** Built-in descriptions (systems/NAME.json in the package), named in cluster files and --system. */
export const BUILTIN_SYSTEMS = ['etcd', 'redis', 'postgres', 'postgres-patroni'] as const;

/** The package's root folder (holds systems/ and schemas/), from the build or the source tree. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'systems'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find faultline\'s package folder (with systems/) above ' + dirname(fileURLToPath(import.meta.url)));
}

/**
 * The description file `ref` names: a built-in system's short name (etcd, redis, postgres), or a
 * path, relative to `base` (a folder) when given.
 */
export function systemPath(ref: string, base?: string): string {
  if ((BUILTIN_SYSTEMS as readonly string[]).includes(ref)) return join(packageRoot(), 'systems', `${ref}.json`);
  return base === undefined ? resolve(ref) : resolve(base, ref);
}

/** Reads and checks the description at `path`. */
export function readSystemDescription(path: string): SystemDescription {
  return parseSystemDescription(readText(path, 'system description'), path);
}

/** The description in `text` (the content of `file`, which errors name with the line). */
export function parseSystemDescription(text: string, file: string): SystemDescription {
  const doc = parseJsonObject(text, file, 'a system description');
  validateDocument(doc, validate, patternMeaning);
  try {
    return check(doc.data as unknown as RawDescription, resolve(file));
  } catch (e) {
    if (e instanceof Mistake) throw doc.at(e);
    throw e;
  }
}

type RawDescription = Omit<SystemDescription, 'file' | 'dir' | 'client' | 'files' | 'options'> & {
  files: Record<string, string | string[]>;
  options: Record<string, string | number | boolean>;
  client: { adapter?: string[]; builtin?: BuiltinClientName; port?: string; ports?: { server: string; sentinel: string }; user?: string; database?: string; patroni?: string; workloads?: string[]; packages: string[]; requires: string[]; init?: string[] };
};

/** The checks a schema cannot express; throws the first Mistake. */
function check(d: RawDescription, file: string): SystemDescription {
  const ports = new Set(Object.keys(d.ports));
  const portRef = (name: string, pointer: string) => {
    if (!ports.has(name)) throw new Mistake(pointer, `"${fieldOf(pointer)}" names the port ${JSON.stringify(name)}, which "ports" does not have (${[...ports].join(', ') || 'no ports'})`);
  };
  d.peerPorts.forEach((p, i) => portRef(p, `/peerPorts/${i}`));
  if (d.maxNodes !== undefined && d.nodes > d.maxNodes) throw new Mistake('/nodes', `"nodes" (${d.nodes}) is more than "maxNodes" (${d.maxNodes})`);

  const builtins = new Set<string>(Object.keys(NODE_PLACEHOLDERS));
  for (const kind of ['options', 'values'] as const) {
    for (const name of Object.keys(d[kind])) {
      if (builtins.has(name) || name === 'systemDir') throw new Mistake(`/${kind}/${name}`, `"${kind}.${name}" is the name of one of faultline's placeholders ({${name}}); choose another`);
    }
  }
  for (const name of Object.keys(d.values)) {
    if (Object.hasOwn(d.options, name)) throw new Mistake(`/values/${name}`, `"values.${name}" has the name of an option; choose another`);
  }
  const own = [...Object.keys(d.options), ...Object.keys(d.values)];
  const nodeNames = new Set([...builtins, ...own]);
  const known = (allowed: Set<string>, name: string) => allowed.has(name) || (name.startsWith('port.') && ports.has(name.slice(5)));
  const uses = (template: string, pointer: string, allowed: Set<string>, where: string) => {
    for (const name of placeholdersIn(template)) {
      if (known(allowed, name)) continue;
      const hint = name.startsWith('port.') ? `"ports" has no ${JSON.stringify(name.slice(5))}` : `${where}; see docs/systems.md for the list`;
      throw new Mistake(pointer, `"${fieldOf(pointer)}" uses {${name}}, which is not a placeholder here (${hint}); write \${${name}} for a shell variable`);
    }
  };
  const argvUses = (a: Argv | undefined, pointer: string, allowed = nodeNames, where = 'not a node placeholder') => a?.forEach((x, k) => uses(x, `${pointer}/${k}`, allowed, where));

  // values: formats about the listed node (and options).
  const itemNames = new Set([...Object.keys(ITEM_PLACEHOLDERS), ...Object.keys(d.options), 'runId']);
  for (const [name, v] of Object.entries(d.values)) uses(v.format, `/values/${name}/format`, itemNames, `a value's format may use {node} {index} {ip} {host} {port.NAME} and options`);
  for (const [name, v] of Object.entries(d.options)) uses(String(v), `/options/${name}`, new Set(), 'an option is a plain value');
  for (const [k, v] of Object.entries(d.env)) uses(v, `/env/${k}`, nodeNames, 'not a node placeholder');

  const files: Record<string, string> = {};
  for (const [path, content] of Object.entries(d.files)) {
    const pointer = `/files/${path.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    uses(path, pointer, nodeNames, 'not a node placeholder');
    if (!/^\{(dataDir|logDir)\}\//.test(path) || path.split('/').includes('..')) {
      throw new Mistake(pointer, `the file ${JSON.stringify(path)} must be inside the node's folders: start it with {dataDir}/ or {logDir}/ (no "..")`);
    }
    const text = Array.isArray(content) ? content.join('\n') + (content.length > 0 ? '\n' : '') : content;
    uses(text, pointer, nodeNames, 'not a node placeholder');
    files[path] = text;
  }
  d.setup.forEach((a, i) => argvUses(a, `/setup/${i}`));
  d.init.forEach((a, i) => argvUses(a, `/init/${i}`));
  for (const name of ['install', 'start', 'bootstrap', 'stop', 'kill', 'pause', 'resume', 'wipe', 'health', 'ready', 'primaries'] as const) argvUses(d[name], `/${name}`);
  d.sidecars.forEach((s, i) => {
    argvUses(s.start, `/sidecars/${i}/start`);
    const first = d.sidecars.findIndex((x) => x.name === s.name);
    if (first < i) throw new Mistake(`/sidecars/${i}/name`, `"sidecars.${i}.name" repeats "sidecars.${first}.name" (${JSON.stringify(s.name)})`);
    if (s.name === 'node') throw new Mistake(`/sidecars/${i}/name`, '"node" is the name of the node\'s own process; choose another');
  });
  d.logs.forEach((p, i) => {
    uses(p, `/logs/${i}`, nodeNames, 'not a node placeholder');
    if (!p.startsWith('/') && !/^\{(dataDir|logDir)\}/.test(p)) throw new Mistake(`/logs/${i}`, `"logs.${i}" must be an absolute path or start with {dataDir} or {logDir}, got ${JSON.stringify(p)}`);
  });
  if ((d.pause === undefined) !== (d.resume === undefined)) {
    throw new Mistake(d.pause === undefined ? '/resume' : '/pause', '"pause" and "resume" go together: give both or neither (the default pair signals the process)');
  }

  return {
    file,
    dir: dirname(file),
    name: d.name,
    ...(d.description === undefined ? {} : { description: d.description }),
    nodes: d.nodes,
    ...(d.maxNodes === undefined ? {} : { maxNodes: d.maxNodes }),
    packages: d.packages,
    requires: d.requires,
    ...(d.install ? { install: d.install } : {}),
    ...(d.user === undefined ? {} : { user: d.user }),
    env: d.env,
    ports: d.ports,
    peerPorts: d.peerPorts,
    options: Object.fromEntries(Object.entries(d.options).map(([k, v]) => [k, String(v)])),
    values: d.values,
    files,
    setup: d.setup,
    init: d.init,
    start: d.start,
    ...(d.bootstrap ? { bootstrap: d.bootstrap } : {}),
    startOrder: d.startOrder,
    sidecars: d.sidecars,
    ...(['stop', 'kill', 'pause', 'resume', 'wipe', 'primaries', 'ready'] as const).reduce((o, k) => (d[k] ? { ...o, [k]: d[k] } : o), {}),
    ...(d.quiesce === undefined ? {} : { quiesce: d.quiesce }),
    health: d.health,
    logs: d.logs,
    client: checkClient(d, ports, argvUses),
    timeouts: d.timeouts,
  };
}

function checkClient(d: RawDescription, ports: Set<string>, argvUses: (a: Argv | undefined, pointer: string, allowed: Set<string>, where: string) => void): ClientSpec {
  const c = d.client;
  const portRef = (name: string, pointer: string) => {
    if (!ports.has(name)) throw new Mistake(pointer, `"${fieldOf(pointer)}" names the port ${JSON.stringify(name)}, which "ports" does not have (${[...ports].join(', ') || 'no ports'})`);
  };
  const only = (fields: string[], kind: string) => {
    for (const f of fields) if ((c as Record<string, unknown>)[f] !== undefined && !(f === 'packages' || f === 'requires') ) throw new Mistake(`/client/${f}`, `"client.${f}" is not for ${kind}`);
    for (const f of ['packages', 'requires'] as const) if (fields.includes(f) && c[f].length > 0) throw new Mistake(`/client/${f}`, `"client.${f}" is for an adapter (a built-in client needs nothing more)`);
  };
  if ((c.adapter === undefined) === (c.builtin === undefined)) throw new Mistake('/client', '"client" needs either "adapter" (a program of yours, docs/stdio.md) or "builtin" (etcd, redis or postgres)');
  if (c.adapter !== undefined) {
    only(['ports', 'user', 'database', 'patroni'], 'an adapter');
    const port = c.port ?? 'client';
    portRef(port, c.port === undefined ? '/client' : '/client/port');
    const clientNames = new Set([...Object.keys(CLIENT_PLACEHOLDERS), ...Object.keys(d.options)]);
    argvUses(c.adapter, '/client/adapter', clientNames, 'the client may use {systemDir} {runId} {nodes} and options');
    argvUses(c.init, '/client/init', clientNames, 'the client may use {systemDir} {runId} {nodes} and options');
    return { kind: 'adapter', adapter: c.adapter, port, packages: c.packages, requires: c.requires, ...(c.workloads ? { workloads: c.workloads } : {}), ...(c.init ? { init: c.init } : {}) };
  }
  const builtin = c.builtin!;
  if (c.init !== undefined) throw new Mistake('/client/init', '"client.init" is for an adapter (a built-in client sets up what it needs)');
  only(['packages', 'requires'], 'a built-in client');
  if (builtin === 'redis') {
    if (c.ports === undefined) throw new Mistake('/client', '"client.ports" is missing: the redis client needs {"server": PORT, "sentinel": PORT} (names in "ports")');
    if (c.port !== undefined) throw new Mistake('/client/port', '"client.port" is not for redis: it uses "client.ports" (server and sentinel)');
    portRef(c.ports.server, '/client/ports/server');
    portRef(c.ports.sentinel, '/client/ports/sentinel');
  } else {
    if (c.ports !== undefined) throw new Mistake('/client/ports', `"client.ports" is for redis; ${builtin} uses "client.port"`);
    portRef(c.port ?? 'client', c.port === undefined ? '/client' : '/client/port');
  }
  if (builtin !== 'postgres') for (const f of ['user', 'database', 'patroni'] as const) if (c[f] !== undefined) throw new Mistake(`/client/${f}`, `"client.${f}" is for postgres`);
  if (c.patroni !== undefined) portRef(c.patroni, '/client/patroni');
  const served = BUILTIN_CLIENT_WORKLOADS[builtin];
  c.workloads?.forEach((w, i) => {
    if (served && !served.includes(w)) throw new Mistake(`/client/workloads/${i}`, `"client.workloads.${i}": the ${builtin} client serves ${served.join(', ')}, not ${JSON.stringify(w)}`);
  });
  return {
    kind: 'builtin',
    builtin,
    port: c.port ?? 'client',
    ports: c.ports ?? { server: 'server', sentinel: 'sentinel' },
    user: c.user ?? 'postgres',
    database: c.database ?? 'postgres',
    ...(c.patroni !== undefined ? { patroni: c.patroni } : {}),
    ...(c.workloads ? { workloads: c.workloads } : served ? { workloads: served } : {}),
  };
}

/** The workloads a description's client serves (undefined: any). */
export function servedWorkloads(d: Pick<SystemDescription, 'client'>): readonly string[] | undefined {
  return d.client.workloads;
}

/** InputError for a description that cannot run as asked (e.g. a workload its client does not serve). */
export function descriptionError(d: Pick<SystemDescription, 'file'>, text: string): InputError {
  return new InputError(`${d.file}: ${text}`);
}
