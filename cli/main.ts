// The faultline command line: a thin yargs layer over library functions. `faultline check` with
// plain arguments skips yargs (cli/fast-check.ts): loading yargs and laying out its help costs
// more than a small check does; anything else — help, a mistake, an unusual spelling — goes
// through yargs as always.
import { InputError } from '../histories/errors.js';
import { FORMATS } from '../histories/formats.js';
import type { CheckArgs, Io } from './check.js';
import { fastCheckArgs } from './fast-check.js';
import { stopRequests } from './stop-requests.js';
import type { TestArgs } from './test.js';
import { setTestRunning, watchOutput, write } from './output.js';

/**
 * The registered checkers' names, for --help without loading every checker at start-up
 * (test/cli.test.ts keeps it equal to the registry).
 */
export const CHECKER_NAMES = [
  'stats', 'perf', 'linearizable', 'sequential', 'list-append', 'rw-register', 'causal', 'session', 'staleness',
  'set', 'set-full', 'convergence', 'replica-diff', 'counter', 'bank', 'queue', 'total-queue', 'unique-ids',
];

/** The built-in store's modes and the workloads, for --help (tests keep them equal to the code). */
export const MODES = ['leader-follower-sync', 'leader-follower-async', 'multi-leader-lww', 'multi-leader-vv', 'sharded', 'crdt'];
export const WORKLOAD_NAMES = [
  'register', 'set', 'counter', 'bank', 'list-append', 'rw-register', 'queue', 'unique-ids', 'g-counter', 'pn-counter', 'or-set',
];

watchOutput();

const defaultIo: Io = {
  stdout: (line) => write(process.stdout, line + '\n'),
  stderr: (line) => write(process.stderr, line + '\n'),
};

/** How long the emergency heal of a second signal (or a crash) may take before faultline exits all the same. */
const EMERGENCY_HEAL_MS = 30_000;

/** Removes what the runs in progress made (runner/run.ts emergencyHeal), then exits with `code`. */
function healAndExit(io: Io, code: number): void {
  void import('../runner/run.js')
    .then(({ emergencyHeal }) =>
      Promise.race([
        emergencyHeal().then((failed) => {
          for (const f of failed) io.stderr(`faultline: could not remove ${f} (faultline heal retries)`);
        }),
        new Promise((r) => setTimeout(r, EMERGENCY_HEAL_MS).unref()),
      ]),
    )
    .catch((e: Error) => io.stderr(`faultline: emergency heal failed: ${e.message} (faultline heal retries)`))
    .finally(() => process.exit(code));
}

class UsageError extends InputError {}

/** What the commands do with their parsed arguments (tests swap `check` to see what yargs gives it). */
export interface Handlers {
  check(args: CheckArgs, io: Io): Promise<number>;
}

const defaultHandlers: Handlers = {
  check: async (args, io) => (await import('./check.js')).runCheck(args, io),
};

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo, handlers: Handlers = defaultHandlers, { fast: tryFast = true } = {}): Promise<number> {
  const debug = argv.includes('--debug');
  const fast = tryFast ? fastCheckArgs(argv) : undefined;
  if (fast) return reportErrors(() => handlers.check(fast, io), io, debug);
  let code = 0;
  const [{ default: yargs }, { version }] = await Promise.all([import('yargs'), import('./version.js')]);
  const parser = yargs(argv)
    .scriptName('faultline')
    .usage('faultline — Jepsen-style consistency checker and fault injector\n\nUsage: faultline <command> [options]')
    .version(version)
    .option('debug', { type: 'boolean', describe: 'show stack traces on errors', global: true })
    .command(
      'check <files..>',
      'check history files (or directories of them) against a consistency model',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, demandOption: true, default: undefined, describe: 'history files or directories' })
          .option('format', { type: 'string', default: 'auto', choices: ['auto', ...FORMATS], describe: 'input format' })
          .option('checker', {
            type: 'string',
            describe: `checker to run (default: stats, or linearizable with --model): ${CHECKER_NAMES.join(', ')}`,
          })
          .option('model', {
            type: 'string',
            describe: 'the model for linearizable (the checker --model implies) or sequential: register, cas-register, multi-register, mutex, set, fifo-queue, unordered-queue, counter, kv',
          })
          .option('init', { type: 'string', describe: "the model's initial state, as JSON" })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON result per file on stdout' })
          .option('out', { type: 'string', describe: 'write DIR/<file>/results.json per input file' })
          .option('junit', { type: 'string', describe: 'write JUnit XML (a testcase per file) to FILE' })
          .option('keyed-tuples', { type: 'boolean', default: false, describe: 'lift plain [k, v] op values into independent keys' })
          .option('timeout', { type: 'number', describe: 'seconds a checker may spend per file before giving up (unknown)' })
          .option('consistency-models', {
            type: 'string',
            describe: 'list-append / rw-register: models to check, comma-separated (default strict-serializable), e.g. serializable,snapshot-isolation',
          })
          .option('sequential-keys', { type: 'boolean', default: false, describe: 'rw-register: assume each process sees every key\'s versions in order' })
          .option('linearizable-keys', { type: 'boolean', default: false, describe: 'rw-register: assume real time orders every key\'s versions' })
          .option('variant', { type: 'string', choices: ['cc', 'ccv', 'cm'], describe: 'causal: the variant that decides the verdict (default cc)' })
          .option('progress', { type: 'boolean', describe: 'show progress on stderr (default: when stderr is a terminal; --no-progress for never)' })
          .option('option', {
            // Not `array: true`: that would swallow the file names after it. Repeats still collect.
            type: 'string',
            describe: 'a checker option KEY=VALUE (VALUE read as JSON when it parses, else as text), e.g. --option negativeBalances=true; repeatable',
          })
          .example('faultline check history.jsonl', 'counts of ok/fail/info per operation')
          .example('faultline check --model cas-register --init 0 history.edn', 'is it linearizable?')
          .example('faultline check --checker perf runs/', 'latency and throughput of every history under runs/')
          .example('faultline check --checker list-append --consistency-models serializable h.edn', 'Elle-style isolation check')
          .epilogue('Exit codes: 0 valid, 1 invalid, 2 unknown, 3 error (over several files: 3, then 1, then 2).'),
      async (a) => {
        const option = a.option === undefined ? undefined : ([] as string[]).concat(a.option as string | string[]);
        code = await handlers.check({ ...a, option, files: a.files as string[] }, io);
      },
    )
    .command(
      'test',
      'run a test: clients and faults against a cluster (the built-in store by default), then check what happened',
      (y) =>
        y
          .option('config', { type: 'string', describe: 'a JSON test config (schemas/test-config.schema.json); flags override its fields' })
          .option('target', { type: 'string', describe: 'the system under test: builtin (default), etcd, postgres, redis (Debian\'s packages, started by faultline) or stdio (any system behind a JSON-lines adapter)' })
          .option('isolation', { type: 'string', describe: 'postgres: read-committed, repeatable-read or serializable (default)' })
          .option('read-from', { type: 'string', describe: 'redis, postgres --replicas: primary (default) or replica (each client reads its own node: stale reads)' })
          .option('replicas', { type: 'number', describe: 'postgres: a primary and this many streaming standbys, failover by Patroni (systems/postgres-patroni.json)' })
          .option('sync-standbys', { type: 'number', describe: 'postgres --replicas: synchronous standbys the primary waits for at commit (Patroni\'s synchronous_mode; default 0: asynchronous)' })
          .option('wait-replicas', { type: 'number', describe: 'redis: WAIT for this many replicas after each write (default 0)' })
          .option('adapter', { type: 'string', describe: 'stdio: the adapter command, split on spaces (no shell), e.g. \'python3 examples/stdio/builtin_adapter.py\'' })
          .option('system', { type: 'string', describe: 'a system description (docs/systems.md) or etcd, redis, postgres, postgres-patroni: faultline runs that system, a network namespace per node; with --target stdio: builtin (faultline runs its store) or none (yours)' })
          .option('cluster', { type: 'string', describe: 'a cluster file (schemas/cluster.schema.json): run against remote hosts over SSH' })
          .option('mode', { type: 'string', describe: `builtin replication mode: ${MODES.join(', ')} (default leader-follower-sync)` })
          .option('workload', { type: 'string', describe: `what the clients do: ${WORKLOAD_NAMES.join(', ')} (default register)` })
          .option('option', { type: 'string', describe: 'a workload option KEY=VALUE (JSON when it parses), e.g. --option keys=5; repeatable' })
          .option('nodes', { type: 'number', describe: 'cluster size (default 3; postgres: 1)' })
          .option('concurrency', { type: 'number', describe: 'client threads (default 10)' })
          .option('time-limit', { type: 'number', describe: 'seconds of the main phase (default 30)' })
          .option('rate', { type: 'number', describe: 'client ops per second in all (default 100; 0 = unlimited)' })
          .option('nemesis', { type: 'string', describe: 'faults, comma-separated: kill, pause, partition, delay, loss, bandwidth, duplicate, reorder, corrupt, clock, disk (default against the built-in store: kill,pause, and partition where root, ip and iptables allow; none elsewhere; network faults put each node in its own network namespace: root, ip and iptables needed)' })
          .option('partitions', { type: 'string', describe: 'partition shapes the nemesis picks from, comma-separated: halves, random-halves, isolate-one, majorities-ring, bridge, primaries (default all)' })
          .option('network', { type: 'string', choices: ['local', 'netns'], describe: 'where nodes run (default netns when a network fault is asked for, else local)' })
          .option('nemesis-interval', { type: 'number', describe: 'seconds of quiet before each round of faults (default 5)' })
          .option('nemesis-hold', { type: 'number', describe: 'seconds each fault is held (default: the interval)' })
          .option('nemesis-jitter', { type: 'number', describe: 'the quiet varies by ± this many seconds (default 0)' })
          .option('op-timeout', { type: 'number', describe: 'seconds before a client op is recorded as info (default 5)' })
          .option('quiesce', { type: 'number', describe: 'seconds between healing and the final reads (default 2)' })
          .option('seed', { type: 'number', describe: 'replays a schedule (default random, recorded in test.json)' })
          .option('test-count', { type: 'number', describe: 'runs, with seeds seed, seed+1, … (default 1)' })
          .option('store', { type: 'string', describe: 'where runs are stored (default ./store; STORE/latest is the newest)' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON result per run on stdout' })
          .option('junit', { type: 'string', describe: 'write JUnit XML (a testcase per run) to FILE' })
          .option('progress', { type: 'boolean', describe: 'show progress on stderr (default on; --no-progress)' })
          .example('faultline test', 'a 30-second register test against a 3-node leader-follower-sync cluster')
          .example('faultline test --mode leader-follower-async --time-limit 10', 'see stale follower reads found')
          .example('faultline test --workload set --mode multi-leader-lww --nemesis pause', 'lost updates under pauses')
          .example('faultline test --target postgres --workload list-append --isolation read-committed', 'isolation anomalies in a real PostgreSQL')
          .example('faultline test --target redis --read-from replica --nemesis partition --partitions isolate-one', 'stale replica reads in Redis')
          .example('faultline test --target stdio --adapter \'python3 examples/stdio/builtin_adapter.py\'', 'the built-in store through a Python adapter')
          .epilogue('Exit codes: 0 valid, 1 invalid, 2 unknown, 3 the run or its config failed (over several runs: 3, then 1, then 2).'),
      async (a) => {
        const { runTest } = await import('./test.js');
        const option = a.option === undefined ? undefined : ([] as string[]).concat(a.option as string | string[]);
        const controller = new AbortController();
        // SIGHUP too: a closed terminal or a dropped ssh session ends the run as Ctrl-C does.
        const signalsHandled = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
        const requests = stopRequests();
        let quitting = false;
        const onSignal = (sig: NodeJS.Signals) => {
          let action = requests.on(sig);
          // After a crash's emergency heal has begun, any request is the last.
          if (quitting && action !== 'none') action = 'exit';
          if (action === 'stop') {
            io.stderr(`faultline: ${sig}: stopping — healing faults, stopping nodes, checking what was recorded (again to quit at once)`);
            controller.abort();
          } else if (action === 'quit') {
            quitting = true;
            io.stderr(`faultline: ${sig} again: removing this run's namespaces and rules, then exiting`);
            healAndExit(io, 130);
          } else if (action === 'exit') {
            io.stderr(`faultline: ${sig} a third time: exiting now (faultline heal removes what is left)`);
            process.exit(130);
          }
        };
        // A crash mid-run must not leave the network behind either.
        const onCrash = (e: unknown) => {
          if (quitting) return;
          quitting = true;
          io.stderr(`faultline: internal error: ${(e as Error)?.message ?? String(e)}; removing this run's namespaces and rules, then exiting`);
          if (debug && (e as Error)?.stack) io.stderr((e as Error).stack!);
          healAndExit(io, 3);
        };
        for (const sig of signalsHandled) process.on(sig, onSignal);
        process.on('uncaughtException', onCrash);
        process.on('unhandledRejection', onCrash);
        setTestRunning(true);
        try {
          code = await runTest({ ...a, option, timeLimit: a.timeLimit, testCount: a.testCount, nemesisInterval: a.nemesisInterval, nemesisHold: a.nemesisHold, nemesisJitter: a.nemesisJitter, opTimeout: a.opTimeout, readFrom: a.readFrom, waitReplicas: a.waitReplicas, replicas: a.replicas, syncStandbys: a.syncStandbys } as TestArgs, io, controller.signal);
        } finally {
          setTestRunning(false);
          for (const sig of signalsHandled) process.off(sig, onSignal);
          process.off('uncaughtException', onCrash);
          process.off('unhandledRejection', onCrash);
        }
      },
    )
    .command(
      'analyze <dir>',
      're-check a stored run (STORE/<test>/<time>, or STORE for the latest), e.g. one that was killed',
      (y) =>
        y
          .positional('dir', { type: 'string', demandOption: true, describe: 'run folder or store' })
          .option('json', { type: 'boolean', default: false, describe: 'the result as JSON on stdout' }),
      async (a) => {
        const { runAnalyze } = await import('./analyze.js');
        code = await runAnalyze({ dir: a.dir as string, json: a.json }, io);
      },
    )
    .command(
      'report <dir>',
      "re-render a stored run's report.html",
      (y) => y.positional('dir', { type: 'string', demandOption: true, describe: 'run folder or store' }),
      async (a) => {
        const { runReport } = await import('./analyze.js');
        code = await runReport({ dir: a.dir as string }, io);
      },
    )
    .command(
      'heal',
      'remove what crashed runs left behind: fl-<runid>-* namespaces, faultline:<runid> iptables rules, stopped nodes (needs root); with --cluster, on remote hosts over ssh',
      (y) =>
        y
          .option('dry-run', { type: 'boolean', default: false, describe: 'list what would be removed, remove nothing' })
          .option('run', { type: 'string', describe: "only this run's leftovers (the id in test.json's faultline.runId, or faultline.remoteRunId with --cluster)" })
          .option('force', { type: 'boolean', default: false, describe: 'also runs whose faultline process (remote: lifeline) is still running' })
          .option('cluster', { type: 'string', describe: "heal the hosts of this cluster file over ssh instead: partition rules, and a node faultline started that still runs" })
          .example('faultline heal --dry-run', 'list leftovers of dead runs')
          .example('faultline heal --cluster cluster.json --dry-run', 'list what dead remote runs left on the hosts')
          .epilogue('Runs whose faultline process is alive are left alone. Exit codes: 0 healed (or nothing to heal), 3 something could not be removed (or a host was unreachable).'),
      async (a) => {
        const { runHeal } = await import('./heal.js');
        code = await runHeal({ dryRun: a.dryRun, run: a.run, force: a.force, cluster: a.cluster }, io);
      },
    )
    .command(
      'cluster <action>',
      'keep a local cluster running to poke at by hand: up, status, down',
      (y) =>
        y
          .positional('action', { type: 'string', choices: ['up', 'down', 'status'], describe: 'up: start it in the background; status: where its nodes are; down: stop it' })
          .option('target', { type: 'string', describe: 'builtin (default), etcd, postgres or redis' })
          .option('system', { type: 'string', describe: 'a system description (docs/systems.md) or etcd, redis, postgres, postgres-patroni: that system, a network namespace per node' })
          .option('mode', { type: 'string', describe: `builtin replication mode: ${MODES.join(', ')}` })
          .option('nodes', { type: 'number', describe: 'cluster size (default 3; postgres: 1)' })
          .option('network', { type: 'string', choices: ['local', 'netns'], describe: 'netns: each node in its own network namespace (default local)' })
          .option('workload', { type: 'string', describe: 'the workload whose data layout the nodes use (default register)' })
          .option('isolation', { type: 'string', describe: 'postgres: the isolation level its clients use' })
          .option('name', { type: 'string', describe: 'the cluster\'s name, to run several (default: the target)' })
          .option('store', { type: 'string', describe: 'its folder is STORE/clusters/NAME (default ./store)' })
          .example('faultline cluster up --target etcd', 'a 3-member etcd cluster; prints each member\'s socket and logs')
          .example('faultline cluster status --target etcd', 'is it up, and where')
          .example('faultline cluster down --target etcd', 'stop it (logs and data stay in the folder)')
          .example('faultline cluster up --system examples/systems/nats.json', 'a described system, kept up until: faultline cluster down --system examples/systems/nats.json')
          .epilogue('Exit codes: 0 done, 3 it would not start (or, for status, nothing is up).'),
      async (a) => {
        const { runCluster } = await import('./cluster.js');
        code = await runCluster({ ...(a as unknown as TestArgs), action: a.action as string, name: a.name as string | undefined }, io);
      },
    )
    .command(
      'cluster-hold <dir>',
      false, // hidden: the background process `cluster up` starts
      (y) => y.positional('dir', { type: 'string', demandOption: true }),
      async (a) => {
        const { runCluster } = await import('./cluster.js');
        code = await runCluster({ action: 'hold', dir: a.dir as string }, io);
      },
    )
    .command(
      'convert <input>',
      'convert a history to JSONL or Jepsen EDN',
      (y) =>
        y
          .positional('input', { type: 'string', demandOption: true, describe: 'history file' })
          .option('to', { type: 'string', choices: ['jsonl', 'edn'], demandOption: true, describe: 'output format' })
          .option('format', { type: 'string', default: 'auto', choices: ['auto', ...FORMATS], describe: 'input format' })
          .option('output', { alias: 'o', type: 'string', describe: 'output file (default: stdout)' }),
      async (a) => {
        const { runConvert } = await import('./convert.js');
        code = await runConvert({ input: a.input as string, to: a.to, format: a.format, output: a.output }, io);
      },
    )
    .demandCommand(1, 'name a command: test, check, analyze, report, heal, cluster or convert (faultline --help lists them)')
    .strict()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg.replace(/\s*\n\s*/g, ' '));
    })
    .help()
    .wrap(Math.min(100, process.stdout.columns ?? 100));

  return reportErrors(async () => {
    await parser.parseAsync();
    return code;
  }, io, debug);
}

/** Runs a command: bad input is one line and exit 3, a bug of ours one line (the stack with --debug). */
async function reportErrors(run: () => Promise<number>, io: Io, debug: boolean): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof InputError) {
      io.stderr(`faultline: ${e.message}`);
      if (e instanceof UsageError) io.stderr('(faultline --help shows the commands and options)');
      if (debug && e.stack) io.stderr(e.stack);
      return 3;
    }
    io.stderr(`faultline: internal error: ${(e as Error)?.message ?? String(e)}`);
    io.stderr(debug && (e as Error)?.stack ? (e as Error).stack! : '(run again with --debug for the stack trace)');
    return 3;
  }
}
