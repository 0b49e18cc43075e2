// What faultline runs on a remote node when the cluster file does not say: per target type, an
// argv for each lifecycle command and the logs to copy back. Every script is fixed text; the data
// (paths, flags) reaches it as positional arguments after placeholders are filled, so nothing from
// the cluster file is ever parsed by a shell. The scripts need a POSIX shell, /proc (Linux) and
// setsid (util-linux); they keep the node's pid in {pidFile}.

export const COMMAND_NAMES = ['install', 'start', 'stop', 'kill', 'pause', 'resume', 'clean'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];
export type Commands = Record<CommandName, readonly string[]>;

export interface TargetDefaults {
  commands: Commands;
  /** Remote files copied into <run>/logs/<node>/ at teardown. */
  logs: readonly string[];
  /** What {logFile} and {pidFile} are named inside workDir. */
  fileStem: string;
  ports: { client: number; peer: number };
}

/**
 * Shell functions the scripts share. `state PID` prints the process state letter (R, S, T, Z, …)
 * from /proc; `alive` counts a zombie as gone (its parent may reap it late); `pidof_file FILE` sets
 * pid from the pid file; `waitfor CHECK PID` polls CHECK for up to ~5 s.
 */
const PRELUDE = `
state() { s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=\${s##*) }; echo "\${s%% *}"; }
alive() { st=$(state "$1") && [ "$st" != Z ]; }
gone() { ! alive "$1"; }
stopped() { [ "$(state "$1")" = T ]; }
not_stopped() { [ "$(state "$1")" != T ]; }
pidof_file() { [ -f "$1" ] && read -r pid <"$1" && case $pid in ''|*[!0-9]*) return 1;; esac; }
waitfor() { i=0; while ! "$1" "$2"; do i=$((i+1)); [ $i -gt 500 ] && return 1; sleep 0.01; done; }
`;

/** sh -c script, $0 "sh": the fixed text, then its arguments. */
function script(body: string, ...args: string[]): string[] {
  return ['sh', '-c', `${PRELUDE}${body.trim()}\n`, 'sh', ...args];
}

/**
 * start: $1 pid file, $2 log file, then the program's argv. Does nothing if the pid file names a
 * live process. The program runs detached (setsid, stdin /dev/null, output appended to the log),
 * so the ssh session ends at once; if it is gone 0.3 s later, the start fails with its last words.
 */
const START = `
pidfile=$1 log=$2; shift 2
if pidof_file "$pidfile" && alive "$pid"; then exit 0; fi
mkdir -p "$(dirname "$pidfile")" "$(dirname "$log")" || exit 1
setsid "$@" >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"
sleep 0.3
alive "$pid" || { echo "$1 exited at once; the end of $log:" >&2; tail -n 2 "$log" >&2; exit 1; }
`;

/** kill: SIGKILL, wait until it is gone, remove the pid file. Nothing to do without one. */
const KILL = `
pidof_file "$1" || exit 0
kill -KILL "$pid" 2>/dev/null
waitfor gone "$pid" || { echo "pid $pid still runs 5 s after SIGKILL" >&2; exit 1; }
rm -f "$1"
`;

/** stop (teardown, and when faultline's connection is lost): continue, SIGTERM, SIGKILL after 5 s. */
const STOP = `
pidof_file "$1" || exit 0
kill -CONT "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null
waitfor gone "$pid" || { kill -KILL "$pid" 2>/dev/null; waitfor gone "$pid"; } || { echo "pid $pid still runs after SIGKILL" >&2; exit 1; }
rm -f "$1"
`;

/** pause: SIGSTOP, and wait until the kernel shows every thread stopped (state T). */
const PAUSE = `
pidof_file "$1" && alive "$pid" || { echo "not running (no live pid in $1)" >&2; exit 1; }
kill -STOP "$pid" && waitfor stopped "$pid" || { echo "pid $pid is not stopped 5 s after SIGSTOP" >&2; exit 1; }
`;

/** resume: SIGCONT, and wait until it is no longer stopped. */
const RESUME = `
pidof_file "$1" || { echo "not running (no pid in $1)" >&2; exit 1; }
kill -CONT "$pid" 2>/dev/null
waitfor not_stopped "$pid" || { echo "pid $pid is still stopped 5 s after SIGCONT" >&2; exit 1; }
`;

/** clean: $1 workDir, then what to remove; workDir itself goes only if that leaves it empty. */
const CLEAN = `
dir=$1; shift
rm -rf -- "$@"
rmdir -- "$dir" 2>/dev/null
exit 0
`;

const ETCD_INSTALL = `
command -v etcd >/dev/null 2>&1 && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "etcd is not installed and there is no apt-get: install etcd 3.4+ or set commands.install" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq etcd-server >/dev/null || exit 1
# Debian's package starts its own etcd service: not ours, and in the way.
systemctl disable --now etcd >/dev/null 2>&1
exit 0
`;

const ETCD_FLAGS = [
  'etcd',
  '--name', '{node}',
  '--data-dir', '{dataDir}',
  '--listen-client-urls', 'http://{ip}:{clientPort}',
  '--advertise-client-urls', 'http://{ip}:{clientPort}',
  '--listen-peer-urls', 'http://{ip}:{peerPort}',
  '--initial-advertise-peer-urls', 'http://{ip}:{peerPort}',
  '--initial-cluster', '{initialCluster}',
  '--initial-cluster-state', '{clusterState}',
  '--initial-cluster-token', 'faultline-{runId}',
  '--heartbeat-interval', '{heartbeatMs}',
  '--election-timeout', '{electionTimeoutMs}',
  // A member back from a partition or a pause must not depose a healthy leader.
  '--pre-vote',
  '--logger', 'zap',
  '--log-outputs', 'stderr',
];

const PID_COMMANDS = {
  stop: script(STOP, '{pidFile}'),
  kill: script(KILL, '{pidFile}'),
  pause: script(PAUSE, '{pidFile}'),
  resume: script(RESUME, '{pidFile}'),
  clean: script(CLEAN, '{workDir}', '{dataDir}', '{pidFile}', '{logFile}'),
};

export const TARGET_DEFAULTS = {
  etcd: {
    commands: {
      install: script(ETCD_INSTALL),
      start: script(START, '{pidFile}', '{logFile}', ...ETCD_FLAGS),
      ...PID_COMMANDS,
    },
    logs: ['{logFile}'],
    fileStem: 'etcd',
    ports: { client: 2379, peer: 2380 },
  },
} as const satisfies Record<string, TargetDefaults>;

export type RemoteTargetType = keyof typeof TARGET_DEFAULTS;
export const REMOTE_TARGET_TYPES = Object.keys(TARGET_DEFAULTS) as RemoteTargetType[];
