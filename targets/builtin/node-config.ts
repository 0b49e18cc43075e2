// A node process's configuration: the one JSON argument node-main gets (inline JSON or a file
// path), checked field by field so a bad config says what is wrong.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseAddress } from '../../base/address.js';
import { MODE_NAMES, type ModeName, type ModeOptions } from './mode.js';

export interface NodeSpec {
  name: string;
  /** Where clients reach the node (unix:/PATH or tcp:HOST:PORT). */
  client: string;
  /** Where peers reach the node. */
  peer: string;
}

export interface NodeConfig {
  /** This node's name; one of `nodes`. */
  self: string;
  mode: ModeName;
  options: ModeOptions;
  /** Every node of the cluster, in cluster order (nodes[0] leads in leader modes). */
  nodes: NodeSpec[];
  /** Where the node keeps its state (created if missing). */
  dataDir: string;
  /** The process that started the node; the node exits when it is gone. */
  parentPid?: number;
  /** Where the cluster's nodes leave pid files (siblings.ts), so one whose parent died stops the rest. */
  pidDir?: string;
}

export class NodeConfigError extends Error {}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function fail(path: string, what: string): never {
  throw new NodeConfigError(`node config: ${path} ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads the argument: JSON when it starts with `{`, else the path of a JSON file. */
export function parseNodeConfigArg(arg: string | undefined): NodeConfig {
  if (arg === undefined || arg === '') throw new NodeConfigError('usage: node-main CONFIG (a JSON object, or the path of a file holding one)');
  let text = arg;
  if (!arg.trimStart().startsWith('{')) {
    try {
      text = readFileSync(arg, 'utf8');
    } catch (e) {
      throw new NodeConfigError(`node config: cannot read ${arg}: ${(e as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new NodeConfigError(`node config: not JSON: ${(e as Error).message}`);
  }
  return validateNodeConfig(parsed);
}

export function validateNodeConfig(v: unknown): NodeConfig {
  if (!isRecord(v)) fail('', 'must be a JSON object');
  const known = new Set(['self', 'mode', 'options', 'nodes', 'dataDir', 'parentPid', 'pidDir']);
  for (const k of Object.keys(v)) if (!known.has(k)) fail(k, `is not a node config field (known: ${[...known].join(', ')})`);
  if (typeof v.mode !== 'string' || !(MODE_NAMES as readonly string[]).includes(v.mode)) fail('mode', `must be one of ${MODE_NAMES.join(', ')}`);
  const options = v.options ?? {};
  if (!isRecord(options)) fail('options', 'must be an object');
  if (!Array.isArray(v.nodes) || v.nodes.length === 0) fail('nodes', 'must be a non-empty list of { name, client, peer }');
  const names = new Set<string>();
  const nodes = v.nodes.map((n, i): NodeSpec => {
    if (!isRecord(n)) fail(`nodes[${i}]`, 'must be { name, client, peer }');
    if (typeof n.name !== 'string' || !NAME.test(n.name)) fail(`nodes[${i}].name`, 'must be 1-64 letters, digits, _ . or -');
    if (names.has(n.name)) fail(`nodes[${i}].name`, `repeats ${n.name}`);
    names.add(n.name);
    for (const f of ['client', 'peer'] as const) {
      if (typeof n[f] !== 'string') fail(`nodes[${i}].${f}`, 'must be an address string');
      try {
        parseAddress(n[f]);
      } catch (e) {
        fail(`nodes[${i}].${f}`, (e as Error).message);
      }
    }
    return { name: n.name, client: n.client as string, peer: n.peer as string };
  });
  if (typeof v.self !== 'string' || !names.has(v.self)) fail('self', `must name one of the nodes (${[...names].join(', ')})`);
  if (typeof v.dataDir !== 'string' || !isAbsolute(v.dataDir)) fail('dataDir', 'must be an absolute path');
  if (v.parentPid !== undefined && (!Number.isInteger(v.parentPid) || (v.parentPid as number) <= 0)) fail('parentPid', 'must be a positive integer');
  if (v.pidDir !== undefined && (typeof v.pidDir !== 'string' || !isAbsolute(v.pidDir))) fail('pidDir', 'must be an absolute path');
  for (const k of ['replicationDelayMs', 'replicationTimeoutMs', 'forwardTimeoutMs', 'vnodes', 'antiEntropyMs']) {
    const x = options[k];
    if (x !== undefined && (typeof x !== 'number' || !Number.isFinite(x) || x < 0)) fail(`options.${k}`, 'must be a number ≥ 0');
  }
  if (options.workload !== undefined && typeof options.workload !== 'string') fail('options.workload', 'must be a workload name');
  return {
    self: v.self,
    mode: v.mode as ModeName,
    options: options as ModeOptions,
    nodes,
    dataDir: v.dataDir,
    ...(v.parentPid !== undefined ? { parentPid: v.parentPid as number } : {}),
    ...(v.pidDir !== undefined ? { pidDir: v.pidDir as string } : {}),
  };
}
