// `faultline heal`: removes what runs that died left behind (namespaces, tagged iptables rules,
// stopped node processes). --dry-run lists them; --run ID narrows to one run. With --cluster FILE
// it heals the remote hosts of that cluster file instead, over ssh (targets/remote/heal.ts).
import { InputError } from '../histories/errors.js';
import { describeLeftovers, findLeftovers, healLeftovers } from '../nemesis/heal.js';
import type { Io } from './check.js';

export interface HealArgs {
  dryRun?: boolean;
  run?: string;
  force?: boolean;
  /** A cluster file: heal its hosts over ssh instead of this machine. */
  cluster?: string;
}

export async function runHeal(args: HealArgs, io: Io): Promise<number> {
  if (args.run !== undefined && !/^[a-z0-9]{1,12}$/.test(args.run)) throw new InputError(`--run: a run id is 1-12 lowercase letters or digits (test.json's faultline.runId), got ${JSON.stringify(args.run)}`);
  if (args.cluster !== undefined) return healCluster(args.cluster, args, io);
  if (process.platform !== 'linux') throw new InputError('faultline heal: namespaces and iptables rules exist only on Linux');
  if (!args.dryRun && process.getuid?.() !== 0) throw new InputError('faultline heal needs root to remove namespaces and iptables rules (--dry-run lists them)');
  const leftovers = await findLeftovers({ runId: args.run });
  const lines = describeLeftovers(leftovers);
  if (lines.length === 0) {
    io.stdout(`nothing to heal${args.run !== undefined ? ` for run ${args.run}` : ''}`);
    return 0;
  }
  if (args.dryRun) {
    io.stdout('would heal:');
    for (const l of lines) io.stdout(l);
    return 0;
  }
  const outcome = await healLeftovers(leftovers, { force: args.force });
  for (const l of outcome.removed) io.stdout(`removed ${l}`);
  for (const l of outcome.skipped) io.stdout(`left ${l}`);
  for (const l of outcome.failed) io.stderr(`could not remove ${l}`);
  return outcome.failed.length > 0 ? 3 : 0;
}

/** The remote hosts of a cluster file: one line per thing removed or left; 3 if a host was unreachable or something stayed against our will. */
async function healCluster(file: string, args: HealArgs, io: Io): Promise<number> {
  const [{ readClusterFile }, { healRemoteCluster, formatHealLine }] = await Promise.all([import('../targets/remote/cluster-file.js'), import('../targets/remote/heal.js')]);
  const spec = readClusterFile(file);
  const lines = await healRemoteCluster(spec, { runId: args.run, dryRun: args.dryRun, force: args.force });
  for (const l of lines) (l.verb === 'unreachable' || l.verb === 'could not remove' ? io.stderr : io.stdout)(formatHealLine(l));
  // The run's socket folder here (its ssh masters' and forwards' sockets), when asked for by id.
  let here = 0;
  if (args.run !== undefined) {
    const local = await findLeftovers({ runId: args.run });
    const folders = local.runs.flatMap((r) => (r.owner === undefined || args.force ? r.folders : []));
    for (const f of folders) {
      if (args.dryRun) io.stdout(`would remove here: folder ${f}`);
      else {
        const { rmSync } = await import('node:fs');
        rmSync(f, { recursive: true, force: true });
        io.stdout(`removed here: folder ${f}`);
      }
    }
    here = folders.length;
  }
  if (lines.length === 0 && here === 0) io.stdout(`nothing to heal on ${spec.nodes.length} host${spec.nodes.length === 1 ? '' : 's'}${args.run !== undefined ? ` for run ${args.run}` : ''}`);
  return lines.some((l) => l.verb === 'unreachable' || l.verb === 'could not remove') ? 3 : 0;
}
