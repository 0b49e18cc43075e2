// Placeholders in a cluster file's commands and paths: `{node}`, `{dataDir}`, … are replaced inside
// each argv element, so a command is always an argument array and data never becomes shell text.
// A shell's own `${var}` is left alone (a `{` right after `$` is not a placeholder).

/** Every placeholder, with what it stands for (docs/remote.md lists the same). */
export const PLACEHOLDERS = {
  node: "the node's name",
  host: 'the host ssh connects to',
  ip: "the node's address, which the other nodes reach it at",
  clientPort: 'the port clients use (ports.client)',
  peerPort: 'the port peers use (ports.peer)',
  workDir: "the node's working directory (workDir)",
  dataDir: '{workDir}/data',
  logFile: '{workDir}/<target>.log',
  pidFile: '{workDir}/<target>.pid',
  runId: "the test run's id",
  peers: "the other nodes' addresses, comma-separated",
  initialCluster: "every node as etcd's --initial-cluster wants it: name=http://ip:peerPort,…",
  clusterState: '"new" while the cluster is set up, "existing" when a killed node restarts',
  heartbeatMs: 'etcd.heartbeatMs',
  electionTimeoutMs: 'etcd.electionTimeoutMs',
} as const;

export type PlaceholderName = keyof typeof PLACEHOLDERS;
export type PlaceholderValues = Record<PlaceholderName, string>;

/** The placeholders workDir itself may use (the others are derived from it or from the run). */
export const WORK_DIR_PLACEHOLDERS: readonly PlaceholderName[] = ['node', 'host', 'ip', 'runId'];

const PLACEHOLDER = /(?<!\$)\{([A-Za-z][A-Za-z0-9]*)\}/g;

export function isPlaceholder(name: string): name is PlaceholderName {
  return Object.hasOwn(PLACEHOLDERS, name);
}

/** The placeholder names `template` uses, in order (repeats included). */
export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** `template` with each placeholder replaced; an unknown one throws (the cluster file reader refuses those first). */
export function fill(template: string, values: Partial<PlaceholderValues>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = isPlaceholder(name) ? values[name] : undefined;
    if (v === undefined) throw new Error(`no value for the placeholder ${whole}`);
    return v;
  });
}

export function fillArgv(argv: readonly string[], values: Partial<PlaceholderValues>): string[] {
  return argv.map((a) => fill(a, values));
}
