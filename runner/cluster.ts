// `faultline cluster up|down|status`: a local cluster of any target kept running for people to
// poke at by hand. `up` starts a detached holder process (`faultline cluster-hold`) that sets the
// cluster up, writes state.json and waits; `down` asks the holder to tear everything down; status
// reads state.json. Nodes watch the holder (their parent), so a holder that dies takes them along.
// Everything lives in one folder per cluster: STORE/clusters/<name>/ (state.json, config.json,
// holder.log, logs/<node>/, data/<node>/).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetwork, newRunId, type Network } from '../control/network.js';
import { processStart } from '../control/run-owner.js';
import { running } from '../control/proc.js';
import { InputError } from '../histories/errors.js';
import type { Target } from '../targets/types.js';
import { getWorkload } from '../workloads/index.js';
import { workloadOptions } from '../workloads/options.js';
import type { TestConfig } from './config.js';
import { checkTargetAvailable, createTarget } from './targets.js';

export interface ClusterNode {
  node: string;
  /** Where its clients connect (a unix socket path, usually). */
  address?: string;
  logs: string[];
}

export interface ClusterState {
  status: 'starting' | 'up' | 'failed' | 'stopping';
  /** The holder process and its start time (so a reused pid is not mistaken for it). */
  pid: number;
  start: string;
  target: string;
  mode?: string;
  /** A described system's name, and the built-in client it uses (for the hint of a command to try). */
  system?: string;
  client?: string;
  network: 'local' | 'netns';
  runId?: string;
  dir: string;
  nodes: ClusterNode[];
  startedAt: string;
  error?: string;
}

export const CLUSTER_FILES = { state: 'state.json', config: 'config.json', log: 'holder.log' } as const;

/** The folder of the cluster named `name` (default: the target type) under the store. */
export function clusterDir(store: string, name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new InputError(`a cluster name is letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  return resolve(store, 'clusters', name);
}

export function readClusterState(dir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, CLUSTER_FILES.state), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Whether the holder recorded in `state` still runs (same pid and start time). */
export function holderAlive(state: Pick<ClusterState, 'pid' | 'start'>): boolean {
  const now = processStart(state.pid);
  // A killed holder whose new parent does not reap it stays a zombie: dead all the same.
  return now !== undefined && now === state.start && running(state.pid);
}

function writeState(dir: string, state: ClusterState): void {
  const file = join(dir, CLUSTER_FILES.state);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  // rename is atomic: a reader sees the old state or the new one, never half of one.
  renameSync(`${file}.tmp`, file);
}

/** bin/faultline.js, from the compiled module (dist/runner) or the source (tests). */
function cliPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../bin/faultline.js'), resolve(here, '../bin/faultline.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`cannot find bin/faultline.js (looked at ${candidates.join(', ')})`);
  return found;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts the cluster `config` describes in the background and resolves with its state once it is
 * up; rejects with the holder's reason when it could not start (nothing is left running then).
 */
export async function clusterUp(config: TestConfig, dir: string, options: { timeoutMs?: number } = {}): Promise<ClusterState> {
  const existing = readClusterState(dir);
  if (existing && holderAlive(existing)) {
    throw new InputError(`a ${existing.target} cluster is already up in ${dir} (holder pid ${existing.pid}); stop it with: faultline cluster down --target ${existing.target}`);
  }
  await checkTargetAvailable(config);
  if (config.target.type === 'system') {
    const { readSystemDescription } = await import('../targets/system/description.js');
    const { ensureLocalInstall } = await import('../targets/system/local.js');
    await ensureLocalInstall(readSystemDescription(config.target.system!)).catch((e: Error) => {
      throw new InputError(e.message);
    });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, CLUSTER_FILES.config), JSON.stringify(config, null, 2) + '\n');
  const log = openSync(join(dir, CLUSTER_FILES.log), 'a');
  let child;
  try {
    child = spawn(process.execPath, [cliPath(), 'cluster-hold', dir], { detached: true, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `code ${code}`;
  });
  child.unref();
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    const s = readClusterState(dir);
    if (s?.status === 'up') return s;
    if (s?.status === 'failed') throw new InputError(`the ${config.target.type} cluster did not start: ${s.error ?? 'see ' + join(dir, CLUSTER_FILES.log)}`);
    if (exited !== undefined) throw new InputError(`the cluster holder exited (${exited}) before the cluster was up; see ${join(dir, CLUSTER_FILES.log)}`);
    if (Date.now() > deadline) {
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        // Gone already.
      }
      throw new InputError(`the ${config.target.type} cluster was not up within ${Math.round((options.timeoutMs ?? 90_000) / 1000)} s; see ${join(dir, CLUSTER_FILES.log)}`);
    }
    await sleep(100);
  }
}

/** Stops the cluster in `dir`: the holder tears it down. Resolves with what was stopped, or undefined if nothing was up. */
export async function clusterDown(dir: string, options: { timeoutMs?: number } = {}): Promise<ClusterState | undefined> {
  const s = readClusterState(dir);
  if (!s) return undefined;
  if (!holderAlive(s)) {
    // The holder died: its nodes followed it (they watch their parent); only the state is left.
    rmSync(join(dir, CLUSTER_FILES.state), { force: true });
    return s;
  }
  process.kill(s.pid, 'SIGTERM');
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (holderAlive(s)) {
    if (Date.now() > deadline) throw new Error(`the cluster holder (pid ${s.pid}) did not stop within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s; see ${join(dir, CLUSTER_FILES.log)}`);
    await sleep(100);
  }
  return s;
}

/**
 * The holder: sets the cluster up, records its state, waits for SIGTERM/SIGINT, tears down. Runs
 * as its own process (`faultline cluster-hold DIR`), started by clusterUp.
 */
export async function holdCluster(dir: string): Promise<void> {
  const config = JSON.parse(readFileSync(join(dir, CLUSTER_FILES.config), 'utf8')) as TestConfig;
  const nodes = Array.from({ length: config.target.nodes }, (_, i) => `n${i + 1}`);
  const base: ClusterState = {
    status: 'starting',
    pid: process.pid,
    start: processStart(process.pid) ?? '',
    target: config.target.type,
    ...(config.target.mode !== undefined ? { mode: config.target.mode } : {}),
    network: config.target.network,
    dir,
    nodes: [],
    startedAt: new Date().toISOString(),
  };
  writeState(dir, base);
  let stopping: () => void = () => {};
  const stopped = new Promise<void>((r) => (stopping = r));
  let asked = false;
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => {
      asked = true;
      stopping();
    });
  }
  let network: Network | undefined;
  let target: Target | undefined;
  try {
    if (config.target.network === 'netns') {
      base.runId = newRunId();
      network = await createNetwork(nodes, { runId: base.runId });
    }
    const workload = getWorkload(config.workload.name);
    const wopts = { ...workloadOptions(workload, config.workload.options, 'workload.options'), nodes, concurrency: config.concurrency };
    const targetOptions = { ...(workload.targetOptions?.(wopts) ?? {}), ...config.target.options };
    target = (await createTarget({ ...config.target, options: targetOptions }, dir, network)).target;
    await target.setup();
    const t = target;
    const described = (t as Target & { description?: { name: string; client: { kind: string; builtin?: string } } }).description;
    if (described) {
      base.system = described.name;
      if (described.client.builtin !== undefined) base.client = described.client.builtin;
    }
    writeState(dir, { ...base, status: 'up', nodes: t.nodes.map((n) => ({ node: n, address: t.address?.(n), logs: t.logs(n) })) });
    console.error(`cluster up: ${t.nodes.join(', ')}`);
    if (!asked) await stopped;
    writeState(dir, { ...base, status: 'stopping' });
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.error(`cluster failed: ${error}`);
    writeState(dir, { ...base, status: 'failed', error });
  } finally {
    await target?.teardown().catch((e: Error) => console.error(`teardown failed: ${e.message}`));
    await network?.teardown().catch((e: Error) => console.error(`network teardown failed: ${e.message}`));
    const s = readClusterState(dir);
    if (s?.status !== 'failed') rmSync(join(dir, CLUSTER_FILES.state), { force: true });
    console.error('cluster down');
  }
}
