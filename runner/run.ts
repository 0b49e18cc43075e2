// run(test): the whole of `faultline test` as a library call. Cluster up → setup ops → the main
// phase (clients under the workload's generator, the nemesis under its schedule, for the time
// limit) → heal, quiesce, final reads → teardown → checkers → results.json and report.html. Every
// op reaches history.jsonl as it happens; faults are healed and nodes stopped on every way out
// (normal end, error, SIGINT/SIGTERM); a run that fails midway still checks what it recorded.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result, Validity } from '../checker/types.js';
import { InputError } from '../histories/errors.js';
import { History } from '../histories/history.js';
import { createNetwork, networkAvailable, newRunId, type Network } from '../control/network.js';
import { faultSchedule } from '../nemesis/schedule.js';
import { Nemesis } from '../nemesis/nemesis.js';
import { SHAPE_NAMES, type ShapeName } from '../nemesis/grudge.js';
import { partitionFault } from '../nemesis/partition.js';
import { killFault, pauseFault } from '../nemesis/process-faults.js';
import { clockFault } from '../nemesis/clock.js';
import { diskFault } from '../nemesis/disk.js';
import { LINK_FAULT_NAMES, linkFaults, remoteLinkHosts, type LinkFaultName, type LinkHosts } from '../nemesis/link.js';
import type { PeerDelay } from '../nemesis/proxied-peers.js';
import { findLeftovers, healLeftovers } from '../nemesis/heal.js';
import { releaseRun } from '../control/run-owner.js';
import type { Fault } from '../nemesis/types.js';
import type { Target } from '../targets/types.js';
import { clients, nemesis as onNemesis } from '../workloads/generator/threads.js';
import { stagger, timeLimit } from '../workloads/generator/time.js';
import { Random } from '../base/random.js';
import type { GenLike } from '../workloads/generator/types.js';
import { getWorkload } from '../workloads/index.js';
import { workloadOptions } from '../workloads/options.js';
import type { Workload, WorkloadOptions } from '../workloads/types.js';
import type { FaultName, TestConfig } from './config.js';
import { Driver } from './driver.js';
import { Progress, type ProgressOptions } from './progress.js';
import { Recorder } from './recorder.js';
import { abandonRunDir, createRunDir, RUN_FILES } from './store.js';
import { checkTargetAvailable, clientSettings, createTarget } from './targets.js';
import { readClusterFile } from '../targets/remote/cluster-file.js';
import type { RemoteCluster } from '../targets/remote/cluster.js';
import type { Control } from '../control/types.js';
import { checkRun, writeRunOutputs } from './analyze.js';
import { startMetrics, withMetrics } from '../metrics/run.js';
import type { MetricsSampler } from '../metrics/sampler.js';
import type { Grudge } from '../nemesis/grudge.js';

export type ExitCode = 0 | 1 | 2 | 3;

export interface RunOptions {
  /** Show progress (see runner/progress.ts); omit for none. */
  progress?: Omit<ProgressOptions, 'timeLimit'>;
  /** Aborting it stops the run early: no new ops, heal, teardown, check what was recorded. */
  signal?: AbortSignal;
  /** Lines for the person running the test (phases, warnings). */
  log?: (line: string) => void;
  /** faultline's version, recorded in test.json. */
  version?: string;
  /** Replaces the target the config names (tests and the harness benchmark). */
  target?: Target;
  /** Replaces the nemesis schedule of the main phase (scenarios: one long partition at a set time). */
  nemesis?: GenLike;
  /** Called with the target once it is made, before setup (scenarios adjust it). */
  onTarget?: (target: Target) => void;
}

/** A target whose clients live on their node's side of a partition (scenarios/split-brain.ts). */
interface ClientSides {
  clientsPartitioned?(grudge: Grudge | null): void;
}

export interface RunOutcome {
  dir: string;
  exitCode: ExitCode;
  results: RunResults;
}

export interface RunResults extends Result {
  test: string;
  seed: number;
  invocations: number;
  /** History records (an invocation and its completion are two; nemesis ops too): what `index` counts. */
  records?: number;
  exitCode: ExitCode;
  /** Why the run ended early, when it did. */
  error?: string;
}

export function exitCodeOfValidity(v: Validity): ExitCode {
  return v === true ? 0 : v === false ? 1 : 2;
}

function resolveNodes(config: TestConfig): string[] {
  if (config.cluster !== undefined) return readClusterFile(config.cluster).nodes.map((n) => n.name);
  return Array.from({ length: config.target.nodes }, (_, i) => `n${i + 1}`);
}

/** Where partitions act: the run's namespaces, or a remote cluster's hosts (rules over ssh). */
interface FaultHosts {
  runId: string;
  hosts: readonly { node: string; ip: string; control: Control }[];
}

function resolveWorkload(config: TestConfig): { workload: Workload; options: WorkloadOptions } {
  const workload = getWorkload(config.workload.name);
  const own = workloadOptions(workload, config.workload.options, 'workload.options');
  return { workload, options: { ...own, nodes: resolveNodes(config), concurrency: config.concurrency } };
}

function faultsFor(config: TestConfig, target: Target, network: Network | undefined, peerDelay: PeerDelay | undefined, remote?: FaultHosts & { disposable: boolean }): Fault[] {
  const needsNetwork = (name: string): Network | LinkHosts => {
    if (remote) return remoteLinkHosts(remote.runId, remote.hosts);
    if (!network) throw new InputError(`the ${name} fault needs the nodes in network namespaces ("target.network": "netns")`);
    return network;
  };
  const partitionHosts = (): FaultHosts => remote ?? (needsNetwork('partition') as Network);
  const all: Record<FaultName, () => Fault> = {
    kill: () => killFault(target),
    pause: () => pauseFault(target),
    partition: () =>
      partitionFault({
        runId: partitionHosts().runId,
        hosts: partitionHosts().hosts,
        primaries: reportsPrimaries(target) ? () => target.primaries!() : undefined,
        // Its own stream: shapes named by hand must not shift the schedule's choices.
        random: new Random((config.seed ^ 0x5eed) >>> 0),
        // Each node's next iptables-restore waits ready in its namespace; network teardown ends it.
        warm: true,
      }),
    clock: () =>
      remote
        ? remote.disposable
          ? clockFault(target, { seed: config.seed, ssh: Object.fromEntries(remote.hosts.map((h) => [h.node, h.control])) })
          : unavailable('clock', `the cluster file does not mark its hosts disposable ("disposable": true), so faultline leaves their clocks alone`)
        : clockFault(target, { seed: config.seed }),
    disk: () => diskFault(target, { seed: config.seed }),
    delay: () => link('delay'),
    loss: () => link('loss'),
    bandwidth: () => link('bandwidth'),
    duplicate: () => link('duplicate'),
    reorder: () => link('reorder'),
    corrupt: () => link('corrupt'),
  };
  // The link faults share one netem qdisc per node where the kernel has netem: made together.
  let links: Map<string, Fault> | undefined;
  function link(name: LinkFaultName): Fault {
    if (links === undefined) {
      const wanted = config.nemesis.faults.filter((f): f is LinkFaultName => (LINK_FAULT_NAMES as readonly string[]).includes(f));
      links = new Map(linkFaults(needsNetwork(name), { peerDelay }, wanted).map((f) => [f.name, f]));
    }
    return links.get(name)!;
  }
  return config.nemesis.faults.map((name) => all[name]());
}

/** Whether `target` can say which nodes lead (a described system only when its description or client says how). */
function reportsPrimaries(target: Target): boolean {
  const t = target as Target & { hasPrimaries?: () => boolean };
  return typeof t.primaries === 'function' && (t.hasPrimaries === undefined || t.hasPrimaries());
}

/**
 * The partition shapes the schedule draws from: without a way to tell the primaries, the
 * primaries shape is dropped from the default list (it would cut nothing) and refused when asked for.
 */
function partitionShapes(config: TestConfig, target: Target, log: (line: string) => void): ShapeName[] {
  const shapes = config.nemesis.partitions;
  if (!config.nemesis.faults.includes('partition') || !shapes.includes('primaries') || reportsPrimaries(target)) return shapes;
  const what = config.target.type === 'system' ? `${(target as Target & { description?: { name: string } }).description?.name ?? 'this system'} (its description has no "primaries" command)` : config.target.type;
  if (shapes.length === SHAPE_NAMES.length) {
    log(`note: partitions leave out the primaries shape: ${what} does not say which nodes lead`);
    return shapes.filter((s) => s !== 'primaries');
  }
  throw new InputError(`the primaries partition shape needs a target that says which nodes lead, and ${what} does not (--partitions without primaries)`);
}

/** A fault that cannot run, saying why (checkFaults reports it before anything starts). */
function unavailable(name: string, why: string): Fault {
  return {
    name,
    start: async () => {
      throw new Error(`${name} is unavailable: ${why}`);
    },
    stop: async () => null,
    available: async () => why,
    active: () => false,
  };
}

/** Fails before anything starts when a fault cannot run here, saying why (never pretend a fault happened). */
async function checkFaults(faults: readonly Fault[]): Promise<void> {
  const answers = await Promise.all(faults.map(async (f) => [f.name, await f.available()] as const));
  const missing = answers.filter(([, a]) => a !== true).map(([name, why]) => `${name}: ${String(why)}`);
  if (missing.length > 0) throw new InputError(`faults unavailable here: ${missing.join('; ')}`);
}

/** A run in progress in this process, as emergencyHeal needs it. */
interface LiveRun {
  runId: string | undefined;
  /** Settles once the run's network exists (undefined: it was not made). */
  network?: Promise<Network | undefined>;
  recorder?: Recorder;
  /** Its target, once made: stopped first (its nodes, and files such as socket folders). */
  target?: Target;
}

/** The runs in progress in this process, from before their network is made until it is gone. */
const liveRuns = new Set<LiveRun>();
/** Set by emergencyHeal: no run makes a network from now on. */
let quitting = false;
/** How long emergencyHeal waits for a target's teardown before it removes the network under it. */
const TARGET_TEARDOWN_MS = 10_000;

/**
 * Healing when there is no time for an orderly end (a second Ctrl-C, a crash): for every run in
 * progress in this process, writes out the history recorded so far, waits for a network being
 * made to be there (so nothing is made after the heal), then removes it — the processes in its
 * namespaces (SIGCONT, then SIGKILL), the namespaces, the guard rule and the owner record — the
 * way its own teardown does (the same one, if that is under way), and then whatever still carries
 * the run's tag. Nodes die with faultline all the same: their guards SIGKILL them, paused or not,
 * once faultline is gone. Resolves with what could not be removed.
 */
export async function emergencyHeal(): Promise<string[]> {
  quitting = true;
  const problems: string[] = [];
  await Promise.all(
    [...liveRuns].map(async (live) => {
      try {
        live.recorder?.flush();
      } catch {
        // The history file is gone or full: nothing more to save.
      }
      // The target's own teardown (shared with the orderly one if under way): its nodes go, and
      // with them the files only it knows of (socket folders). Bounded: this is quitting at once.
      if (live.target) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([live.target.teardown().catch(() => {}), new Promise((r) => (timer = setTimeout(r, TARGET_TEARDOWN_MS)))]);
        clearTimeout(timer);
      }
      if (live.runId === undefined) return;
      const network = await live.network;
      await network?.teardown().catch(() => {});
      problems.push(...(await removeTagged(live.runId)));
    }),
  );
  return problems;
}

/**
 * Removes whatever still carries run `runId`'s tag (namespaces and the processes in them, rules)
 * and, once nothing is left, its owner record: after a network teardown that failed or never ran.
 * Resolves with what could not be removed.
 */
async function removeTagged(runId: string): Promise<string[]> {
  const left = await findLeftovers({ runId });
  const failed = left.runs.length > 0 ? (await healLeftovers(left, { force: true })).failed : [];
  if (failed.length === 0) releaseRun(runId);
  return failed;
}

/** Refuses a run whose nodes go in network namespaces where they cannot be made (not root, no ip or iptables). */
export async function checkNetworkAvailable(config: TestConfig): Promise<void> {
  if (config.target.network !== 'netns') return;
  const why = await networkAvailable();
  if (why !== true) throw new InputError(`"target.network" is "netns" (nodes in network namespaces${config.nemesis.faults.length > 0 ? `, for ${config.nemesis.faults.join(', ')}` : ''}), but ${why}`);
}

/** Runs one test; never throws for a run that started (the outcome says what went wrong). */
export async function run(config: TestConfig, options: RunOptions = {}): Promise<RunOutcome> {
  const log = options.log ?? (() => {});
  const { workload, options: wopts } = resolveWorkload(config); // bad options fail before anything starts
  workload.generator(wopts); // some option mistakes show only when the generator is made
  if (workload.final && config.concurrency < config.target.nodes) {
    throw new InputError(`the ${workload.name} workload ends with a read on every node, so concurrency (${config.concurrency}) must be at least the number of nodes (${config.target.nodes})`);
  }
  if (config.target.mode !== undefined && !workload.modes.includes(config.target.mode)) {
    log(`note: the ${workload.name} workload is meant for ${workload.modes.join(', ')}; running it on ${config.target.mode} anyway`);
  }
  const targetOptions = { ...(workload.targetOptions?.(wopts) ?? {}), ...config.target.options };
  const useNetwork = config.target.network === 'netns' && options.target === undefined;
  if (useNetwork) await checkNetworkAvailable(config);
  // A remote cluster's hosts install what they need themselves (the description's packages and install).
  if (options.target === undefined && config.cluster === undefined) await checkTargetAvailable(config);
  if (options.target === undefined && config.cluster === undefined && config.target.type === 'system') {
    // Before any namespace exists: apt-get needs this machine's network.
    const { readSystemDescription } = await import('../targets/system/description.js');
    const { ensureLocalInstall } = await import('../targets/system/local.js');
    await ensureLocalInstall(readSystemDescription(config.target.system!), log).catch((e: Error) => {
      throw new InputError(e.message);
    });
  }
  if (options.signal?.aborted || quitting) throw new InputError('interrupted before the run started');
  const runId = useNetwork ? newRunId() : undefined;
  const live: LiveRun = { runId };
  liveRuns.add(live);
  // The network and everything made with it come before the main try: torn down here if that fails.
  let network: Network | undefined;
  let target: Target;
  let nemesis: Nemesis;
  let faults: Fault[] = [];
  let shapes: ShapeName[] = config.nemesis.partitions;
  let peerDelay: PeerDelay | undefined;
  let remote: RemoteCluster | undefined;
  let remoteRunId: string | undefined;
  let dir: string;
  let madeDir: string | undefined;
  let recorder: Recorder;
  try {
    if (runId !== undefined) {
      log(`creating network ${runId}: ${config.target.nodes} node namespaces on a bridge`);
      // Checked and registered in one step: emergencyHeal either waits for this network or stops it being made.
      if (quitting) throw new InputError('interrupted before the run started');
      const making = createNetwork(resolveNodes(config), { runId });
      live.network = making.catch(() => undefined);
      network = await making.catch((e: Error) => {
        throw new InputError(options.signal?.aborted ? `interrupted while the nodes' network was made (${e.message})` : `cannot set up the nodes' network: ${e.message}`);
      });
    }
    dir = createRunDir(config.store, config.name);
    madeDir = dir;
    // Tags the partition rules a remote cluster's hosts get (recorded in test.json for whoever heals them).
    if (config.cluster !== undefined && options.target === undefined) remoteRunId = newRunId();
    writeFileSync(
      join(dir, RUN_FILES.test),
      // `faultline` holds what the run derived (not config): loading test.json again ignores it.
      JSON.stringify({ ...config, workload: { name: workload.name, options: strip(wopts) }, faultline: { version: options.version, targetOptions, runId, ...(remoteRunId ? { remoteRunId } : {}) } }, null, 2) + '\n',
    );
    log(`store: ${dir}`);
    if (options.target) target = options.target;
    else if (config.cluster !== undefined) {
      const { createRemoteCluster } = await import('../targets/remote/index.js');
      log(`remote cluster ${config.cluster}: run ${remoteRunId}, ${resolveNodes(config).length} hosts over ssh`);
      remote = createRemoteCluster(readClusterFile(config.cluster), {
        dir,
        runId: remoteRunId!,
        options: config.target.systemOptions,
        settings: clientSettings({ options: targetOptions }),
      });
      target = remote.target;
    } else {
      const made = await createTarget({ ...config.target, options: targetOptions }, dir, network, {
        delayProxies: config.nemesis.faults.includes('delay') && network !== undefined,
      });
      target = made.target;
      peerDelay = made.peerDelay;
    }
    live.target = target;
    options.onTarget?.(target);
    faults = faultsFor(config, target, network, peerDelay, remote && { runId: remoteRunId!, hosts: remote.hosts, disposable: remote.disposable });
    shapes = partitionShapes(config, target, log);
    await checkFaults(faults);
    nemesis = new Nemesis(faults);
    recorder = new Recorder(join(dir, RUN_FILES.history));
    live.recorder = recorder;
  } catch (e) {
    for (const f of faults) (f as Fault & { close?: () => void }).close?.();
    await remote?.close().catch((t: Error) => log(`remote cluster close failed: ${t.message}`));
    let why = network && (await tearDownNetwork(network));
    // A network that failed while it was made (its commands ended by a signal to the group, say)
    // was torn down by createNetwork as far as it could be: what is left still carries the tag.
    if (runId !== undefined && network === undefined) {
      const failed = await removeTagged(runId).catch((t: Error) => [t.message]);
      if (failed.length > 0) why = failed.join('; ');
    }
    if (why) log(`network teardown failed: ${why}`);
    // A network not removed stays the run's: a second signal's emergencyHeal tries again.
    else liveRuns.delete(live);
    // Nothing ran: the run folder would only be a dead end for `store/latest`.
    if (madeDir !== undefined) abandonRunDir(config.store, madeDir);
    throw e;
  }
  let phase = 'setup';
  let mainStart: number | undefined;
  const driver = new Driver({
    concurrency: config.concurrency,
    random: new Random(config.seed),
    recorder,
    nodeOf: (t) => target.nodes[t % target.nodes.length],
    client: (node) => target.client(node),
    nemesis: async (op) => {
      const done = await nemesis.perform(op.f, op.value);
      if (op.f === 'start-partition' || op.f === 'stop-partition') (target as Target & ClientSides).clientsPartitioned?.(op.f === 'start-partition' ? (done as Grudge) : null);
      return done;
    },
    opTimeoutNs: config.opTimeout * 1e9,
  });
  const progress = options.progress
    ? new Progress(
        {
          ops: recorder.ops,
          elapsed: () => (mainStart === undefined ? 0 : (driver.now() - mainStart) / 1e9),
          faults: () => nemesis.active(),
          phase: () => phase,
        },
        { ...options.progress, timeLimit: config.timeLimit },
      )
    : undefined;

  let failure: string | undefined;
  let sampler: MetricsSampler | undefined;
  const onAbort = () => {
    failure ??= 'interrupted';
    driver.stop();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const kind = config.target.type === 'builtin' ? config.target.mode : config.target.type === 'system' ? (target as Target & { description?: { name: string } }).description?.name ?? 'system' : config.target.type;
    log(config.target.type === 'postgres' ? `starting the postgres server` : `starting ${target.nodes.length} ${kind} node${target.nodes.length === 1 ? '' : 's'}`);
    if (driver.isStopped) throw new Error('interrupted');
    await target.setup();
    if (driver.isStopped) throw new Error('interrupted');
    await driver.openClients();
    sampler = await startMetrics(target, kind ?? config.target.type, dir, () => driver.now(), config.metrics);
    progress?.start();
    for (const op of workload.setup?.(wopts) ?? []) await driver.runPhase(clients(op));

    phase = 'running';
    mainStart = driver.now();
    const limitNs = config.timeLimit * 1e9;
    const clientGen: GenLike = config.rate > 0 ? stagger(1e9 / config.rate, workload.generator(wopts)) : workload.generator(wopts);
    await driver.runPhase(
      clients(timeLimit(limitNs, clientGen), timeLimit(limitNs, options.nemesis ?? faultSchedule(config.nemesis.faults, config.nemesis.interval * 1e9, target.nodes, {
            partitions: shapes,
            holdNs: config.nemesis.hold === undefined ? undefined : config.nemesis.hold * 1e9,
            jitterNs: config.nemesis.jitter * 1e9,
          }))),
    );

    phase = 'healing';
    const active = nemesis.active();
    if (active.length > 0) await driver.runPhase(onNemesis(active.map((f) => ({ f: `stop-${f}`, value: null }))), { final: true });
    if (!driver.isStopped && workload.final) {
      phase = 'quiescing';
      await sleepUnlessStopped(config.quiesce * 1000, options.signal);
      // The final reads are faultline's own traffic, not the workload's: sampling ends before them,
      // or their uniform sweep over every key shows as shard imbalance or cache misses and can
      // cross an alert (and fail a run with --alert-fails) that the workload never crossed.
      await sampler?.stop().catch((e: Error) => log(`metrics: the last sample failed: ${e.message}`));
      phase = 'final reads';
      await driver.runPhase(clients(workload.final(wopts)), { final: true });
    }
  } catch (e) {
    failure ??= e instanceof Error ? e.message : String(e);
  } finally {
    // A target that failed beyond one op (TargetFailed) stopped the driver: that is why the run ended.
    if (driver.failure !== undefined) failure = driver.failure;
    progress?.stop();
    // The last sample shows what the run ended with, before anything is torn down.
    await sampler?.stop().catch((e: Error) => log(`metrics: the last sample failed: ${e.message}`));
    options.signal?.removeEventListener('abort', onAbort);
    log(`tearing down: healing faults, stopping the nodes${runId !== undefined ? `, removing network ${runId}` : ''}`);
    const unhealed = await nemesis.healAll();
    if (unhealed.length > 0) failure ??= `could not heal: ${unhealed.join('; ')}`;
    // Faults that keep helper processes (the partition's waiting iptables-restore) end them now.
    for (const f of faults) (f as Fault & { close?: () => void }).close?.();
    await driver.close();
    await target.teardown().catch((e: Error) => {
      failure ??= `teardown failed: ${e.message}`;
    });
    // The ssh masters and forwarded sockets of a remote cluster (its nodes went down with teardown).
    await remote?.close().catch((e: Error) => {
      failure ??= `remote cluster close failed: ${e.message}`;
    });
    const networkLeft = network && (await tearDownNetwork(network));
    if (networkLeft) failure ??= `network teardown failed: ${networkLeft}`;
    recorder.close();
    if (!networkLeft) liveRuns.delete(live);
  }
  if (failure) log(`the run ended early: ${failure}`);

  phase = 'checking';
  const history = new History(recorder.ops, { file: join(dir, RUN_FILES.history) });
  log(`checking ${history.invocationCount} ops`);
  const result = withMetrics(await checkRun(workload, wopts, history, config.checkTimeout), dir, config.metrics);
  const exitCode: ExitCode = failure === undefined ? exitCodeOfValidity(result.valid) : result.valid === false ? 1 : 3;
  const results: RunResults = {
    ...result,
    test: config.name,
    seed: config.seed,
    invocations: history.invocationCount,
    records: history.length,
    exitCode,
    ...(failure !== undefined ? { error: failure } : {}),
  };
  await writeRunOutputs(dir, config as unknown as Record<string, unknown>, history, results);
  return { dir, exitCode, results };
}

/**
 * Removes the run's network; undefined when done, else why not. Tried twice: a signal to
 * faultline's whole process group (Ctrl-C, a CI runner's SIGTERM) also ends the `ip` or
 * `iptables` command under way at that moment, and the second try runs fresh ones.
 */
async function tearDownNetwork(network: Network): Promise<string | undefined> {
  try {
    await network.teardown();
    return undefined;
  } catch {
    return network.teardown().then(
      () => undefined,
      (e: Error) => e.message,
    );
  }
}

/** The workload options as the user would write them (nodes and concurrency are the test's own). */
function strip(o: WorkloadOptions): Record<string, unknown> {
  const { nodes: _n, concurrency: _c, ...own } = o;
  return own;
}

function sleepUnlessStopped(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

