// `faultline test` with no --nemesis (nor one in --config) against the built-in store: a first run
// should show what faultline is for, so it injects faults by default — kill and pause, which need
// nothing but the nodes faultline runs, and partitions when this machine can put nodes in network
// namespaces (root, ip, iptables). The line it returns, printed first, says which and why.
import { networkAvailable } from '../control/network.js';
import { readRawConfig, type TestConfig } from '../runner/config.js';

/** The flags this reads (cli/test.ts's TestArgs has them). */
export interface DefaultNemesisArgs {
  config?: string;
  seed?: number;
  nemesis?: string;
  network?: string;
}

/** The faults a first run gets: `network` is true when nodes can go in namespaces, else why not. */
export function defaultFaults(network: true | string): { faults: string[]; left?: string } {
  if (network !== true) return { faults: ['kill', 'pause'], left: `partitions left out: ${network}` };
  return { faults: ['kill', 'pause', 'partition'] };
}

/**
 * The run's config, with the default faults when none were asked for; `line` says what was chosen.
 * `configFromArgs` is cli/test.ts's, passed in by its caller so that this module, loaded lazily
 * by cli/test.ts, does not import it back.
 */
export async function configWithDefaultNemesis<A extends DefaultNemesisArgs>(
  args: A,
  configFromArgs: (args: A) => TestConfig,
): Promise<{ config: TestConfig; line?: string }> {
  const config = configFromArgs(args);
  const fromFile = args.config !== undefined ? readRawConfig(args.config).raw : undefined;
  const fileNemesis = fromFile?.nemesis as { faults?: unknown } | undefined;
  const fileNetwork = (fromFile?.target as { network?: unknown } | undefined)?.network;
  if (args.nemesis !== undefined || fileNemesis?.faults !== undefined) return { config };
  if (config.target.type !== 'builtin' || config.cluster !== undefined) return { config };
  const networkFlag = args.network ?? (typeof fileNetwork === 'string' ? fileNetwork : undefined);
  const { faults, left } = defaultFaults(networkFlag === 'local' ? 'they need the nodes in network namespaces, and the network is local' : await networkAvailable());
  const chosen = configFromArgs({ ...args, nemesis: faults.join(','), seed: config.seed });
  const every = `every ${chosen.nemesis.interval} s`;
  const line =
    `nemesis: ${faults.join(', ')} ${every} (the default; --nemesis none for a run without faults, --nemesis LIST to choose)` +
    (left ? `; ${left}` : '');
  return { config: chosen, line };
}
