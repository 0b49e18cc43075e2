// `faultline cluster up|down|status`: a local cluster of any target for poking at by hand
// (runner/cluster.ts does the work; this prints what a person needs to reach the nodes).
import { basename, relative } from 'node:path';
import { InputError } from '../histories/errors.js';
import { clusterDir, clusterDown, clusterUp, holderAlive, holdCluster, readClusterState, type ClusterState } from '../runner/cluster.js';
import type { Io } from './check.js';
import { configFromArgs, type TestArgs } from './test.js';
import { checkOutputDir } from './paths.js';

export interface ClusterArgs extends TestArgs {
  action: string;
  /** The cluster's folder name under STORE/clusters/ (default: the target type). */
  name?: string;
  /** `hold` only: the cluster folder. */
  dir?: string;
}

/** A command to try against a node, per target: the address is where its clients connect. */
const TRY: Record<string, (address: string) => string> = {
  builtin: (a) => `curl -s --unix-socket ${a} -X POST http://node/op -d '{"f":"write","value":1}'   (and GET http://node/status)`,
  etcd: (a) => `etcdctl --endpoints unix://${a} put k v   (then: get k, endpoint status -w table)`,
  redis: (a) => `redis-cli -s ${a} info replication   (its Sentinel: redis-cli -s ${a.replace(/\.sock$/, '.sentinel.sock')} sentinel masters)`,
  // psql takes the socket's folder as its host; \dt lists the tables a test writes (append_0…2, register_0…2).
  postgres: (a) => `psql -h ${a.replace(/\/[^/]*$/, '')} -U postgres -c '\\dt'   (without -c: a psql prompt)`,
};

function show(path: string): string {
  const r = relative(process.cwd(), path);
  return r.startsWith('..') || r === '' ? path : r;
}

function describe(s: ClusterState, io: Io): void {
  const what = s.system !== undefined ? `${s.system} (described)` : `${s.target}${s.mode ? ` (${s.mode})` : ''}`;
  io.stdout(`${what} cluster ${s.status} since ${s.startedAt} · holder pid ${s.pid} · ${s.network === 'netns' ? `network namespaces fl-${s.runId}-*` : 'local'} · ${show(s.dir)}`);
  for (const n of s.nodes) io.stdout(`  ${n.node}  ${n.address ?? '(no client address)'}  logs: ${n.logs.map(show).join(', ') || '-'}`);
  const hint = TRY[s.client ?? s.target];
  const first = s.nodes.find((n) => n.address !== undefined && n.address !== '');
  if (hint && first?.address) io.stdout(`try: ${hint(first.address)}`);
  // An adapter's address is the node's own, inside the test range: reachable from the client namespace only.
  else if (s.system !== undefined && first?.address) io.stdout(`try: ip netns exec fl-${s.runId}-c <your client> ${first.address}   (the nodes' addresses are reachable from the run's client namespace only)`);
}

export async function runCluster(args: ClusterArgs, io: Io): Promise<number> {
  if (args.action === 'hold') {
    if (args.dir === undefined) throw new InputError('cluster hold: the cluster folder is missing');
    await holdCluster(args.dir);
    return 0;
  }
  if (args.cluster !== undefined) throw new InputError('faultline cluster is for local targets; a --cluster file names remote hosts, which faultline test drives');
  const described = args.system !== undefined && args.system !== 'builtin' && args.system !== 'none';
  if (described && args.target !== undefined) throw new InputError(`--system runs a described system; --target ${args.target} is another target (give one of them)`);
  const target = described ? 'system' : (args.target ?? 'builtin');
  // A described system's cluster is named after its description file (nats.json → nats).
  const dir = clusterDir(args.store ?? 'store', args.name ?? (described ? basename(args.system!).replace(/\.json$/, '') : target));
  const again = described ? `--system ${args.system}` : `--target ${target}`;
  switch (args.action) {
    case 'up': {
      const config = configFromArgs(described ? args : { ...args, target });
      checkOutputDir('--store', args.store ?? 'store');
      const existing = readClusterState(dir);
      if (existing && holderAlive(existing)) {
        throw new InputError(`a ${existing.target} cluster is already up in ${show(dir)} (holder pid ${existing.pid}); stop it with: faultline cluster down ${again}${args.name ? ` --name ${args.name}` : ''}`);
      }
      io.stderr(`starting a ${described ? args.system : target} cluster in ${show(dir)} (it keeps running until: faultline cluster down ${again}${args.name ? ` --name ${args.name}` : ''})`);
      const s = await clusterUp(config, dir);
      describe(s, io);
      return 0;
    }
    case 'status': {
      const s = readClusterState(dir);
      if (!s) {
        io.stdout(`no ${target} cluster is up (${show(dir)})`);
        return 3;
      }
      if (!holderAlive(s)) {
        io.stdout(`the ${target} cluster's holder (pid ${s.pid}) is gone${s.error ? `: ${s.error}` : ''}; its nodes stopped with it (faultline cluster down ${again} clears the state)`);
        return 3;
      }
      describe(s, io);
      return 0;
    }
    case 'down': {
      const s = await clusterDown(dir);
      io.stdout(s ? `${s.system ?? s.target} cluster down (${show(dir)}; logs kept)` : `no ${described ? args.system : target} cluster was up (${show(dir)})`);
      return 0;
    }
    default:
      throw new InputError(`faultline cluster: unknown action ${JSON.stringify(args.action)} (up, down or status)`);
  }
}
