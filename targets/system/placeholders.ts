// Placeholders in a system description's commands, files and paths: `{node}`, `{port.client}`,
// `{dataDir}`, … are replaced inside each argv element, so a command stays an argument array and
// data never becomes shell text. A shell's own `${var}` is left alone (a `{` right after `$` does
// not start a placeholder), and so is anything that is not `{word}` or `{word.word}` (JSON in a
// config file, say).

/** The placeholders faultline fills for a node, with what they stand for (docs/systems.md lists the same). */
export const NODE_PLACEHOLDERS = {
  node: "the node's name",
  index: "the node's position, from 1",
  ip: "the node's address, which the other nodes reach it at",
  host: 'what ssh connects to (locally: the address)',
  peers: "the other nodes' addresses, comma-separated",
  nodes: "every node's name, comma-separated",
  ips: "every node's address, comma-separated",
  count: 'how many nodes there are',
  majority: 'a majority of the nodes: count / 2 + 1, rounded down',
  dataDir: "the node's data folder",
  logDir: "the node's log folder",
  runId: "the test run's id",
  clusterState: '"new" during setup, "existing" when a killed node restarts',
  clientIp: 'the address client connections reach the node from',
  user: 'the account the node runs as',
} as const;

/** Placeholders of the client's argvs (adapter, init), which run on faultline's machine. */
export const CLIENT_PLACEHOLDERS = {
  systemDir: 'the folder of the description file',
  runId: "the test run's id",
  nodes: "every node's name, comma-separated",
} as const;

/** Placeholders inside a `values` entry's format, about the node being listed. */
export const ITEM_PLACEHOLDERS = {
  node: "the listed node's name",
  index: "the listed node's position, from 1",
  ip: "the listed node's address",
  host: "what ssh connects to for the listed node",
} as const;

const PLACEHOLDER = /(?<!\$)\{([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9_-]+)?)\}/g;

/** The placeholder names `template` uses, in order (repeats included), e.g. ["node", "port.client"]. */
export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** `template` with each placeholder replaced; one without a value throws (descriptions are checked first). */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = Object.hasOwn(values, name) ? values[name] : undefined;
    if (v === undefined) throw new Error(`no value for the placeholder ${whole}`);
    return v;
  });
}

export function fillArgv(argv: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return argv.map((a) => fill(a, values));
}
