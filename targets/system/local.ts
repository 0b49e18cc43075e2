// A described system on this machine: one node per network namespace of the run's network
// (control/network.ts), its folders in the run folder (data/<node>/, logs/<node>/), its processes
// under faultline's guard, clients reaching it through the run's client namespace.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { local } from '../../control/local.js';
import type { Network } from '../../control/network.js';
import { namedSocketDir } from '../common/socket-dir.js';
import { clientSide, type ClientSettings } from './clients.js';
import type { SystemDescription } from './description.js';
import { ensureInstalled, missingPrograms } from './install.js';
import { LocalMachine } from './local-machine.js';
import { fillArgv } from './placeholders.js';
import { localReach } from './reach.js';
import { SystemTarget, type SystemNode } from './target.js';

export interface LocalSystemOptions {
  description: SystemDescription;
  network: Network;
  /** The run folder. */
  dir: string;
  options?: Readonly<Record<string, string>>;
  settings: ClientSettings;
}

/** What the system and its client need on this machine, installed when missing (needs root and apt-get). */
export async function ensureLocalInstall(d: SystemDescription, log: (line: string) => void = () => {}): Promise<void> {
  const timeoutMs = d.timeouts.install * 1000;
  const client = d.client.kind === 'adapter' ? d.client : { requires: [], packages: [] };
  const missing = await missingPrograms(local, d.requires);
  const clientMissing = await missingPrograms(local, client.requires);
  const packages = [...(missing.length > 0 ? d.packages : []), ...(clientMissing.length > 0 ? client.packages : [])];
  if (packages.length > 0) log(`${[...missing, ...clientMissing].join(', ')} not found: installing ${packages.join(' ')} (apt-get)`);
  await ensureInstalled(local, { what: d.name, packages: d.packages, requires: d.requires, install: d.install && fillArgv(d.install, { ...d.options, host: 'localhost' }), timeoutMs });
  if (d.client.kind === 'adapter') await ensureInstalled(local, { what: `the client of ${d.name}`, packages: d.client.packages, requires: d.client.requires, timeoutMs });
}

export function createLocalSystem(o: LocalSystemOptions): SystemTarget {
  const dir = resolve(o.dir);
  const nodes: SystemNode[] = o.network.hosts.map((h) => ({
    node: h.node,
    ip: h.ip,
    host: h.ip,
    machine: new LocalMachine(h.node, h.control),
    dataDir: join(dir, 'data', h.node),
    logDir: join(dir, 'logs', h.node),
    localLogDir: join(dir, 'logs', h.node),
    clientIp: o.network.client.ip,
  }));
  const reach = localReach(o.network.client.control);
  let socketDir: string | undefined;
  const options = { ...o.description.options, ...o.options };
  const ports = o.description.ports;
  const side = clientSide({
    description: o.description,
    nodes,
    port: (name) => ports[name],
    options,
    reach,
    socketDir: () => (socketDir ??= namedSocketDir(`fl-${o.network.runId}-s`)),
    runId: o.network.runId,
    settings: o.settings,
  });
  return new SystemTarget({
    description: o.description,
    nodes,
    runId: o.network.runId,
    options: o.options,
    remote: false,
    surroundings: {
      open: () => side.open(),
      ready: () => side.ready(),
      async close() {
        try {
          await side.close();
          await reach.close();
        } finally {
          if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
        }
      },
      client: (n, down) => side.client(n, down),
      address: (n) => side.address(n),
      ...(side.primaries ? { primaries: (running: readonly string[]) => side.primaries!(running) } : {}),
    },
  });
}
