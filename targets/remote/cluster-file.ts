// The cluster file of `faultline test --cluster FILE` (docs/remote.md): the remote machines, how
// ssh reaches them, the target, and the commands that override the target's defaults. One JSON
// Schema (published as schemas/cluster.schema.json, for editors) validates it and fills defaults;
// every mistake is reported as one line, `FILE:LINE: "field" …`, with the line of that field.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { InputError, show } from '../../histories/errors.js';
import { jsonValueLines, lineOfPointer } from '../../runner/json-lines.js';
import { COMMAND_NAMES, REMOTE_TARGET_TYPES, TARGET_DEFAULTS, type Commands, type RemoteTargetType } from './defaults.js';
import { isPlaceholder, placeholdersIn, WORK_DIR_PLACEHOLDERS, type PlaceholderName } from './placeholders.js';

export interface ClusterNode {
  /** The node's name (etcd's member name), e.g. n1. */
  name: string;
  /** What ssh connects to: a name or an address. */
  host: string;
  /** The IPv4 address the other nodes reach it at (partitions drop packets from it). */
  ip: string;
  user: string;
  port: number;
  /** Absolute path of the private key to offer; absent: ssh's own choice (agent, ~/.ssh/config). */
  key?: string;
}

/** A validated cluster file with every default filled in. */
export interface ClusterSpec {
  /** The file it came from (for messages). */
  file: string;
  target: RemoteTargetType;
  nodes: ClusterNode[];
  /** Template of each node's working directory (placeholders {node} {host} {ip} {runId}). */
  workDir: string;
  /** Every command, the target's default where the file gives none. */
  commands: Commands;
  /** Remote log paths (templates) copied back at teardown. */
  logs: string[];
  ports: { client: number; peer: number };
  etcd: { heartbeatMs: number; electionTimeoutMs: number };
  ssh: {
    /** The network namespace the ssh client runs in (labs and tests). */
    via?: string;
    /** Absolute path of the known_hosts file to use. */
    knownHosts?: string;
    strictHostKeyChecking?: boolean;
    /** Absolute path of the ssh_config to read instead of the user's. */
    config?: string;
    connectTimeout: number;
  };
  /** Seconds. */
  timeouts: { install: number; command: number; ready: number };
}

const IPV4 = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$';
const argv = (what: string) => ({ type: 'array', minItems: 1, items: { type: 'string' }, description: what });
const port = (what: string, byDefault?: number) => ({ type: 'integer', minimum: 1, maximum: 65535, ...(byDefault === undefined ? {} : { default: byDefault }), description: what });

export const clusterFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/faultline/faultline/schemas/cluster.schema.json',
  title: 'faultline cluster file',
  description:
    'Remote machines for `faultline test --cluster FILE` (docs/remote.md). Commands are argument arrays; {placeholders} inside an element are replaced per node.',
  type: 'object',
  additionalProperties: false,
  required: ['target', 'nodes'],
  properties: {
    $schema: { type: 'string', description: 'Where this schema is, for editors (ignored by faultline).' },
    target: { enum: [...REMOTE_TARGET_TYPES], description: 'The system the nodes run.' },
    nodes: {
      type: 'array',
      minItems: 1,
      maxItems: 15,
      description: 'One entry per machine, each running one member.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'host'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$', description: "The node's name (1-32 letters, digits, _ . -)." },
          host: { type: 'string', maxLength: 253, pattern: '^[A-Za-z0-9_.:%][A-Za-z0-9_.:%-]*$', description: 'The host name or address ssh connects to.' },
          ip: { type: 'string', pattern: IPV4, description: 'The IPv4 address the other nodes reach this one at. Default: host, which must then be an IPv4 address.' },
          user: { type: 'string', pattern: '^[A-Za-z0-9_.][A-Za-z0-9_.-]*\\$?$', default: 'root', description: 'The ssh user (root: partitions need iptables).' },
          port: port('The ssh port.', 22),
          key: { type: 'string', minLength: 1, description: 'Private key to offer (only this one). ~/ is your home; a relative path is relative to this file. Default: ssh decides.' },
        },
      },
    },
    workDir: {
      type: 'string',
      pattern: '^/',
      default: '/var/lib/faultline/{node}',
      description: "Each node's working directory: {dataDir}, {logFile} and {pidFile} live in it. May use {node} {host} {ip} {runId}.",
    },
    commands: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: "Overrides of the target's commands (docs/remote.md shows the defaults).",
      properties: {
        install: argv('Run once per node at setup, before anything else (e.g. install the package).'),
        start: argv('Starts the node detached and returns (setup, and restarts after a kill).'),
        stop: argv('Stops the node for good (teardown, and when faultline loses its connection).'),
        kill: argv('Kills the node abruptly (the kill fault); start brings it back.'),
        pause: argv('Pauses the node (SIGSTOP) and returns once it is stopped.'),
        resume: argv('Continues a paused node.'),
        clean: argv('Removes what the node left (data, pid file, log): before the first start, and after the logs are copied at teardown.'),
      },
    },
    logs: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Remote files copied into the run folder (logs/<node>/) at teardown. Default: ["{logFile}"].' },
    ports: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { client: port('Where clients connect (default 2379 for etcd).'), peer: port('Where peers connect (default 2380 for etcd).') },
    },
    etcd: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        heartbeatMs: { type: 'integer', minimum: 1, default: 50, description: "etcd's --heartbeat-interval ({heartbeatMs})." },
        electionTimeoutMs: { type: 'integer', minimum: 5, default: 500, description: "etcd's --election-timeout ({electionTimeoutMs}); at least 5 heartbeats." },
      },
    },
    ssh: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        via: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Run the ssh client inside this network namespace (labs and tests whose hosts live in namespaces).' },
        knownHosts: { type: 'string', minLength: 1, description: 'The known_hosts file to use (relative: to this file).' },
        strictHostKeyChecking: { type: 'boolean', description: "true: host keys must be known already; false: accept any (disposable hosts only). Default: ssh's config decides." },
        config: { type: 'string', minLength: 1, description: 'An ssh_config to read instead of yours ("/dev/null": none).' },
        connectTimeout: { type: 'integer', minimum: 1, default: 10, description: 'Seconds to wait for a connection.' },
      },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        install: { type: 'number', exclusiveMinimum: 0, default: 600, description: 'Seconds the install command may take.' },
        command: { type: 'number', exclusiveMinimum: 0, default: 20, description: 'Seconds any other command may take.' },
        ready: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Seconds setup waits for the cluster to be healthy.' },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true });
const validate = ajv.compile(clusterFileSchema);

/** A mistake at a JSON pointer; the reader adds the file and line. */
class Mistake {
  constructor(
    readonly pointer: string,
    readonly text: string,
  ) {}
}

const fieldOf = (pointer: string) => pointer.split('/').slice(1).join('.') || '(top level)';

function describe(err: ErrorObject, data: unknown): Mistake {
  const path = err.instancePath.split('/').slice(1);
  let value: unknown = data;
  for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
  const field = fieldOf(err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties':
      return new Mistake(`${err.instancePath}/${String(p.additionalProperty).replace(/~/g, '~0').replace(/\//g, '~1')}`, `unknown field "${[...path, p.additionalProperty].join('.')}"`);
    case 'required':
      return new Mistake(err.instancePath, `"${[...path, p.missingProperty].join('.')}" is missing`);
    case 'enum':
      return new Mistake(err.instancePath, `"${field}" must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${show(value)}`);
    case 'pattern':
      return new Mistake(err.instancePath, `"${field}" ${patternMeaning(err.instancePath)}, got ${show(value)}`);
    default:
      return new Mistake(err.instancePath, `"${field}" ${err.message ?? 'is not valid'}, got ${show(value)}`);
  }
}

/** Patterns in words, by the field they check. */
function patternMeaning(pointer: string): string {
  const leaf = pointer.split('/').at(-1);
  if (/^\/nodes\/\d+\/name$/.test(pointer)) return 'must be 1-32 letters, digits, _ . or -';
  if (leaf === 'host') return 'must be a host name or address (letters, digits, . : - _ %, not starting with -)';
  if (leaf === 'ip') return 'must be an IPv4 address';
  if (leaf === 'user') return 'must be a user name (letters, digits, _ . -)';
  if (leaf === 'workDir') return 'must be an absolute path';
  if (leaf === 'via') return 'must be a network namespace name';
  return 'is not valid';
}

const IPV4_RE = new RegExp(IPV4);

/** A local file path from the cluster file: ~/ is the home directory, relative paths are relative to the file. */
function localPath(p: string, file: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(dirname(file), p);
}

/** The checks a schema cannot express; throws the first Mistake. */
function check(c: ClusterSpec & { commands: Partial<Commands>; logs?: string[] }, file: string): ClusterSpec {
  const defaults = TARGET_DEFAULTS[c.target];
  c.nodes.forEach((n, i) => {
    const at = `/nodes/${i}`;
    const first = c.nodes.findIndex((m) => m.name === n.name);
    if (first < i) throw new Mistake(`${at}/name`, `"nodes.${i}.name" repeats "nodes.${first}.name" (${JSON.stringify(n.name)})`);
    const gaveIp = n.ip !== undefined;
    if (!gaveIp) {
      if (!IPV4_RE.test(n.host)) {
        throw new Mistake(`${at}/host`, `"nodes.${i}.host" is ${JSON.stringify(n.host)}, not an IPv4 address: add "ip", the address the other nodes reach it at (partitions drop packets by address)`);
      }
      n.ip = n.host;
    }
    const sameIp = c.nodes.findIndex((m) => m.ip === n.ip);
    if (sameIp < i) throw new Mistake(`${at}/${gaveIp ? 'ip' : 'host'}`, `"nodes.${i}" has the address ${n.ip} of "nodes.${sameIp}": one node per address`);
    if (n.key !== undefined) n.key = existingFile(n.key, file, `${at}/key`);
  });
  if (c.ssh.knownHosts !== undefined) c.ssh.knownHosts = existingFile(c.ssh.knownHosts, file, '/ssh/knownHosts');
  if (c.ssh.config !== undefined && c.ssh.config !== '/dev/null') c.ssh.config = existingFile(c.ssh.config, file, '/ssh/config');
  if (c.etcd.electionTimeoutMs < 5 * c.etcd.heartbeatMs) {
    throw new Mistake('/etcd/electionTimeoutMs', `"etcd.electionTimeoutMs" must be at least 5 × etcd.heartbeatMs (${5 * c.etcd.heartbeatMs}), got ${c.etcd.electionTimeoutMs}`);
  }
  if (c.workDir.split('/').includes('..') || c.workDir.replace(/\/+$/, '') === '') throw new Mistake('/workDir', `"workDir" must be a directory below / without "..", got ${show(c.workDir)}`);
  placeholdersOnly(c.workDir, '/workDir', WORK_DIR_PLACEHOLDERS);
  for (const name of COMMAND_NAMES) c.commands[name]?.forEach((arg, k) => placeholdersOnly(arg, `/commands/${name}/${k}`));
  c.logs?.forEach((p, k) => {
    placeholdersOnly(p, `/logs/${k}`);
    if (!p.startsWith('/') && !/^\{(workDir|dataDir|logFile|pidFile)\}/.test(p)) throw new Mistake(`/logs/${k}`, `"logs.${k}" must be an absolute path, got ${show(p)}`);
  });
  return {
    ...c,
    commands: { ...defaults.commands, ...c.commands },
    logs: c.logs ?? [...defaults.logs],
    ports: { ...defaults.ports, ...c.ports },
    file,
  };
}

function placeholdersOnly(template: string, pointer: string, allowed?: readonly PlaceholderName[]): void {
  for (const name of placeholdersIn(template)) {
    const ok = isPlaceholder(name) && (allowed === undefined || allowed.includes(name));
    if (!ok) {
      const choices = allowed ?? [];
      const hint = allowed === undefined ? 'see docs/remote.md for the list' : `it may use ${choices.map((c) => `{${c}}`).join(' ')}`;
      throw new Mistake(pointer, `"${fieldOf(pointer)}" uses {${name}}, which is not a placeholder here (${hint}); write \${${name}} for a shell variable`);
    }
  }
}

function existingFile(p: string, file: string, pointer: string): string {
  const path = localPath(p, file);
  // ssh reads these paths from its options, where whitespace, quotes and % are special.
  if (/[\s"'%]/.test(path)) throw new Mistake(pointer, `"${fieldOf(pointer)}" must be a path without whitespace, quotes or %, got ${show(path)}`);
  if (!existsSync(path)) throw new Mistake(pointer, `"${fieldOf(pointer)}": no such file ${path}`);
  return path;
}

/**
 * The line where `text` stops being JSON: where V8's message says, else the first k such that its
 * first k lines fail to parse other than by ending too soon (at the end of input). A prefix cut at
 * a line's end never cuts a token (JSON strings hold no raw newline), so that is its only innocent
 * failure.
 */
function brokenLine(text: string, message: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return text.slice(0, Number(at[1])).split('\n').length;
  const lines = text.split('\n');
  for (let k = 1; k <= lines.length; k++) {
    const prefix = lines.slice(0, k).join('\n');
    try {
      JSON.parse(prefix);
    } catch (e) {
      const m = (e as Error).message;
      const position = /at position (\d+)/.exec(m);
      const atEnd = /Unexpected end of JSON input/.test(m) || (position !== null && Number(position[1]) >= prefix.length);
      if (!atEnd) return k;
    }
  }
  return undefined;
}

/** The cluster described by `text` (the content of `file`, which errors name with the line). */
export function parseClusterFile(text: string, file: string): ClusterSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const line = brokenLine(text, (e as Error).message);
    throw new InputError(`${file}${line ? `:${line}` : ''}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  const at = (m: Mistake) => {
    const line = lineOfPointer(jsonValueLines(text), m.pointer);
    return new InputError(`${file}${line === undefined ? '' : `:${line}`}: ${m.text}`);
  };
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw at(new Mistake('', 'a cluster file must be a JSON object'));
  if (!validate(parsed)) throw at(describe(validate.errors![0], parsed));
  try {
    return check(parsed as unknown as Parameters<typeof check>[0], file);
  } catch (e) {
    if (e instanceof Mistake) throw at(e);
    throw e;
  }
}

/** Reads and validates a cluster file; InputError `FILE:LINE: "nodes.1.port" must be …` on bad input. */
export function readClusterFile(path: string): ClusterSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read cluster file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseClusterFile(text, path);
}
