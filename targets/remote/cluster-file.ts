// The cluster file of `faultline test --cluster FILE` (docs/remote.md): the remote machines, how
// ssh reaches them, and the system they run — a system description (docs/systems.md), or one of
// faultline's own (etcd, redis, postgres) — with the ports and options that differ there. One
// JSON Schema (published as schemas/cluster.schema.json, for editors) validates it and fills
// defaults; every mistake is reported as one line, `FILE:LINE: "field" …`, with the line of that
// field.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { InputError, show } from '../../histories/errors.js';
import { MAX_SECONDS } from '../../runner/limits.js';
import { Mistake, fieldOf, parseJsonObject, readText, validateDocument } from '../common/json-file.js';
import { BUILTIN_SYSTEMS, readSystemDescription, systemPath, type SystemDescription } from '../system/description.js';
import { placeholdersIn } from '../system/placeholders.js';

export interface ClusterNode {
  /** The node's name, e.g. n1. */
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

/** The placeholders workDir may use. */
export const WORK_DIR_PLACEHOLDERS = ['node', 'host', 'ip', 'runId'] as const;

/** A validated cluster file with every default filled in. */
export interface ClusterSpec {
  /** The file it came from (for messages). */
  file: string;
  /** The system description's absolute path. */
  system: string;
  /** The description itself, read and checked. */
  description: SystemDescription;
  nodes: ClusterNode[];
  /** Template of each node's working directory (placeholders {node} {host} {ip} {runId}). */
  workDir: string;
  /** Port numbers over the description's. */
  ports: Record<string, number>;
  /** Option values over the description's. */
  options: Record<string, string>;
  /** Timeouts (seconds) over the description's. */
  timeouts: Partial<SystemDescription['timeouts']>;
  /** The hosts are disposable: faultline may change their clocks (the clock fault, `date -s`). */
  disposable: boolean;
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
}

const IPV4 = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$';
const port = (what: string, byDefault?: number) => ({ type: 'integer', minimum: 1, maximum: 65535, ...(byDefault === undefined ? {} : { default: byDefault }), description: what });

export const clusterFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/faultline/faultline/schemas/cluster.schema.json',
  title: 'faultline cluster file',
  description:
    'Remote machines for `faultline test --cluster FILE` (docs/remote.md) and the system they run (docs/systems.md).',
  type: 'object',
  additionalProperties: false,
  required: ['nodes'],
  properties: {
    $schema: { type: 'string', description: 'Where this schema is, for editors (ignored by faultline).' },
    system: { type: 'string', minLength: 1, description: 'The system the nodes run: a system description (a path, relative to this file), or a built-in one: etcd, redis, postgres.' },
    target: { enum: [...BUILTIN_SYSTEMS], description: 'Older name of "system" for the built-in systems.' },
    nodes: {
      type: 'array',
      minItems: 1,
      maxItems: 15,
      description: 'One entry per machine, each running one node.',
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
      description: "Each node's working directory: {dataDir} is <workDir>/data, {logDir} <workDir>/logs, and the pid files live in it. May use {node} {host} {ip} {runId}.",
    },
    ports: {
      type: 'object',
      additionalProperties: port('A port of the system, by its name in the description.'),
      default: {},
      description: "Port numbers that differ from the description's on these machines.",
    },
    options: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      default: {},
      description: "Values of the description's options for these machines (e.g. longer timeouts over a real network).",
    },
    etcd: {
      type: 'object',
      additionalProperties: false,
      properties: {
        heartbeatMs: { type: 'integer', minimum: 1, description: 'Older spelling of options.heartbeatMs (the etcd system).' },
        electionTimeoutMs: { type: 'integer', minimum: 5, description: 'Older spelling of options.electionTimeoutMs (the etcd system).' },
      },
    },
    disposable: { type: 'boolean', default: false, description: 'These hosts may have their clocks changed (the clock fault runs date -s on them). Never this machine.' },
    ssh: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        via: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Run the ssh client inside this network namespace (labs and tests whose hosts live in namespaces).' },
        knownHosts: { type: 'string', minLength: 1, description: 'The known_hosts file to use (relative: to this file).' },
        strictHostKeyChecking: { type: 'boolean', description: "true: host keys must be known already; false: accept any (disposable hosts only). Default: ssh's config decides." },
        config: { type: 'string', minLength: 1, description: 'An ssh_config to read instead of yours ("/dev/null": none).' },
        connectTimeout: { type: 'integer', minimum: 1, maximum: MAX_SECONDS, default: 10, description: 'Seconds to wait for a connection.' },
      },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        install: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, description: "Seconds the packages and install may take (over the description's)." },
        command: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, description: 'Seconds any other command may take.' },
        ready: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, description: 'Seconds setup waits for every node to serve.' },
        restart: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, description: 'Seconds a restarted node is waited on.' },
        stop: { type: 'number', exclusiveMinimum: 0, maximum: MAX_SECONDS, description: 'Seconds a node has to stop before SIGKILL.' },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true, allowUnionTypes: true });
const validate = ajv.compile(clusterFileSchema);

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

type RawCluster = Omit<ClusterSpec, 'file' | 'system' | 'description' | 'options'> & {
  system?: string;
  target?: string;
  options: Record<string, string | number | boolean>;
  etcd?: { heartbeatMs?: number; electionTimeoutMs?: number };
};

/** Fields of older cluster files that now belong to the system description. */
const MOVED = ['commands', 'logs'] as const;

/** The checks a schema cannot express; throws the first Mistake. */
function check(c: RawCluster, file: string): ClusterSpec {
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
  if (c.workDir.split('/').includes('..') || c.workDir.replace(/\/+$/, '') === '') throw new Mistake('/workDir', `"workDir" must be a directory below / without "..", got ${show(c.workDir)}`);
  for (const name of placeholdersIn(c.workDir)) {
    if (!(WORK_DIR_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new Mistake('/workDir', `"workDir" uses {${name}}, which is not a placeholder here (it may use ${WORK_DIR_PLACEHOLDERS.map((w) => `{${w}}`).join(' ')}); write \${${name}} for a shell variable`);
    }
  }
  if (c.system !== undefined && c.target !== undefined) throw new Mistake('/target', '"target" is the older name of "system": give one of them');
  const ref = c.system ?? c.target;
  if (ref === undefined) throw new Mistake('', '"system" is missing: a system description (a path) or etcd, redis, postgres');
  const system = systemPath(ref, dirname(resolve(file)));
  if (!existsSync(system)) throw new Mistake(c.system !== undefined ? '/system' : '/target', `"system": no such system description ${system} (a path relative to ${file}, or one of ${BUILTIN_SYSTEMS.join(', ')})`);
  // Its own mistakes name its own file and line.
  const description = readSystemDescription(system);
  const options: Record<string, string> = Object.fromEntries(Object.entries(c.options).map(([k, v]) => [k, String(v)]));
  if (c.etcd !== undefined) {
    if (description.name !== 'etcd') throw new Mistake('/etcd', `"etcd" is for the etcd system; ${description.name} takes "options"`);
    if (c.etcd.heartbeatMs !== undefined) options.heartbeatMs ??= String(c.etcd.heartbeatMs);
    if (c.etcd.electionTimeoutMs !== undefined) options.electionTimeoutMs ??= String(c.etcd.electionTimeoutMs);
  }
  for (const k of Object.keys(options)) {
    if (!Object.hasOwn(description.options, k)) {
      throw new Mistake(`/options/${k}`, `"options.${k}": ${description.name} has no such option (its options: ${Object.keys(description.options).join(', ') || 'none'}; ${description.file})`);
    }
  }
  for (const k of Object.keys(c.ports)) {
    if (!Object.hasOwn(description.ports, k)) throw new Mistake(`/ports/${k}`, `"ports.${k}": ${description.name} has no such port (its ports: ${Object.keys(description.ports).join(', ') || 'none'})`);
  }
  if (description.name === 'etcd') {
    const hb = Number(options.heartbeatMs ?? description.options.heartbeatMs);
    const et = Number(options.electionTimeoutMs ?? description.options.electionTimeoutMs);
    if (et < 5 * hb) throw new Mistake(c.etcd?.electionTimeoutMs !== undefined ? '/etcd/electionTimeoutMs' : '/options/electionTimeoutMs', `the election timeout (${et} ms) must be at least 5 heartbeats (${5 * hb} ms)`);
  }
  const { system: _s, target: _t, etcd: _e, ...rest } = c;
  return { ...rest, file, system, description, options };
}

function existingFile(p: string, file: string, pointer: string): string {
  const path = localPath(p, file);
  // ssh reads these paths from its options, where whitespace, quotes and % are special.
  if (/[\s"'%]/.test(path)) throw new Mistake(pointer, `"${fieldOf(pointer)}" must be a path without whitespace, quotes or %, got ${show(path)}`);
  if (!existsSync(path)) throw new Mistake(pointer, `"${fieldOf(pointer)}": no such file ${path}`);
  return path;
}

/** The cluster described by `text` (the content of `file`, which errors name with the line). */
export function parseClusterFile(text: string, file: string): ClusterSpec {
  const doc = parseJsonObject(text, file, 'a cluster file');
  for (const f of MOVED) {
    if (f in doc.data) throw doc.at(new Mistake(`/${f}`, `"${f}" now belongs to the system description (docs/systems.md): copy the description the file names (e.g. systems/etcd.json), change it there, and name it in "system"`));
  }
  validateDocument(doc, validate, patternMeaning);
  try {
    return check(doc.data as unknown as RawCluster, file);
  } catch (e) {
    if (e instanceof Mistake) throw doc.at(e);
    throw e;
  }
}

/** Reads and validates a cluster file; InputError `FILE:LINE: "nodes.1.port" must be …` on bad input. */
export function readClusterFile(path: string): ClusterSpec {
  return parseClusterFile(readText(path, 'cluster file'), path);
}
