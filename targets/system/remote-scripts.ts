// What faultline runs on a remote host to keep a node's processes: each script is fixed text, and
// the data (paths, the program's argv) reaches it as positional arguments, so nothing from a
// description or a cluster file is ever parsed by a shell. The scripts need a POSIX shell, /proc
// (Linux), setsid (util-linux) and awk; each daemon's pid is kept in <workDir>/<name>.pid.

/**
 * Shell functions the scripts share. `state PID` prints the process state letter (R, S, T, Z, …)
 * from /proc; `alive` counts a zombie as gone (its parent may reap it late); `pidof_file FILE` sets
 * pid from the pid file; `waitfor CHECK PID [TENTHS]` polls CHECK (default ~5 s); `tree PID` prints
 * PID and every descendant of it, found by parent pid in /proc, and every process of the session PID
 * leads (start runs each daemon with setsid, so a descendant orphaned by the daemon's exit keeps
 * it); `rest PID` prints the live processes of that session but PID itself: what a daemon that
 * ended left running; `none_left PID` holds when there are none. `settle PID` waits (~3 s at most)
 * until a dead daemon is reaped, not just a zombie: a daemon orphaned by start's shell is reaped
 * by init, late on some machines (1-2 s here), and a program that checks its old pid file with
 * kill(pid, 0) — PostgreSQL's postmaster.pid — refuses to start while the zombie is there.
 */
export const PRELUDE = `
state() { { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1; s=\${s##*) }; echo "\${s%% *}"; }
alive() { st=$(state "$1") && [ "$st" != Z ]; }
gone() { ! alive "$1"; }
stopped() { [ "$(state "$1")" = T ]; }
not_stopped() { [ "$(state "$1")" != T ]; }
pidof_file() { [ -f "$1" ] && read -r pid _run <"$1" && case $pid in ''|*[!0-9]*) return 1;; esac; }
waitfor() { i=0; n=\${3:-50}; n=$((n*10)); while ! "$1" "$2"; do i=$((i+1)); [ $i -gt $n ] && return 1; sleep 0.01; done; }
tree() {
  for d in /proc/[0-9]*; do
    { read -r s <"$d/stat"; } 2>/dev/null || continue
    r=\${s##*) }
    echo "\${s%% *} $r"
  done | awk -v root="$1" '{ parent[$1] = $3; sid[$1] = $5; pids[NR] = $1 }
    END { keep[root] = 1; print root; more = 1
      while (more) { more = 0; for (i in pids) { p = pids[i]; if (!(p in keep) && ((parent[p] in keep) || sid[p] == root)) { keep[p] = 1; print p; more = 1 } } } }'
}
rest() {
  for d in /proc/[0-9]*; do
    { read -r s <"$d/stat"; } 2>/dev/null || continue
    r=\${s##*) }
    echo "\${s%% *} $r"
  done | awk -v root="$1" '$5 == root && $1 != root && $2 != "Z" { print $1 }'
}
none_left() { [ -z "$(rest "$1")" ]; }
reaped() { [ ! -d "/proc/$1" ]; }
settle() { waitfor reaped "$1" 30 || true; }
reap_rest() { left=$(rest "$1"); [ -z "$left" ] || { kill -KILL $left 2>/dev/null; waitfor none_left "$1"; }; }
`;

/** sh -c script, $0 "sh": the fixed text, then its arguments. */
export function script(body: string, ...args: string[]): string[] {
  return ['sh', '-c', `${PRELUDE}${body.trim()}\n`, 'sh', ...args];
}

/**
 * start: $1 pid file, $2 log, $3 working directory, $4 user (or ""), $5 the run's id, then the
 * program's argv. The pid file holds the pid and the run's id (faultline heal reads both). Does
 * nothing if the pid file names a live process. The program runs detached (setsid, stdin
 * /dev/null, output appended to the log, as the user through setpriv), so the ssh session ends at
 * once; if it is gone 0.3 s later, the start fails with its exit code and the end of its log.
 */
const START = `
pidfile=$1 log=$2 cwd=$3 user=$4 run=$5; shift 5
if pidof_file "$pidfile" && alive "$pid"; then exit 0; fi
mkdir -p "$(dirname "$pidfile")" "$(dirname "$log")" || exit 1
cd "$cwd" 2>/dev/null || cd /
if [ -n "$user" ] && [ "$user" != root ]; then
  uid=$(id -u "$user") && gid=$(id -g "$user") || { echo "no user $user on this host" >&2; exit 1; }
  set -- setpriv --reuid "$uid" --regid "$gid" --init-groups -- "$@"
fi
setsid "$@" >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid $run" >"$pidfile"
sleep 0.3
alive "$pid" || { wait "$pid"; echo "it exited at once (exit code $?); the end of $log:" >&2; tail -n 5 "$log" >&2; rm -f "$pidfile"; exit 1; }
`;

/** running: exit 0 when the pid file names a live process. */
const RUNNING = `
pidof_file "$1" && alive "$pid"
`;

/** signal: $1 pid file, $2 KILL|STOP|CONT|TERM. Signals the process tree and waits as machine.ts says. */
const SIGNAL = `
pidfile=$1 sig=$2
if ! { pidof_file "$pidfile" && alive "$pid"; }; then
  case $sig in KILL|TERM) [ -z "$pid" ] || { reap_rest "$pid"; settle "$pid"; }; rm -f "$pidfile"; exit 0;; esac
  echo "not running (no live pid in $pidfile)" >&2; exit 1
fi
case $sig in
  KILL) kill -KILL $(tree "$pid") 2>/dev/null
        waitfor gone "$pid" || { echo "pid $pid still runs 5 s after SIGKILL" >&2; exit 1; }
        reap_rest "$pid"
        settle "$pid"
        rm -f "$pidfile";;
  STOP) kill -STOP $(tree "$pid") 2>/dev/null
        waitfor stopped "$pid" || { echo "pid $pid is not stopped 5 s after SIGSTOP" >&2; exit 1; };;
  CONT) kill -CONT $(tree "$pid") 2>/dev/null
        waitfor not_stopped "$pid" || { echo "pid $pid is still stopped 5 s after SIGCONT" >&2; exit 1; };;
  TERM) kill -CONT $(tree "$pid") 2>/dev/null; kill -TERM "$pid" 2>/dev/null;;
esac
exit 0
`;

/**
 * waitgone: $1 pid file, $2 tenths of a second; exit 0 once gone (what it left running in its
 * session killed, the pid file removed), 1 if still running.
 */
const WAIT_GONE = `
pidof_file "$1" || exit 0
waitfor gone "$pid" "$2" || exit 1
reap_rest "$pid"
settle "$pid"
rm -f "$1"
`;

/**
 * stopall: $1 workDir, $2 tenths of a second. Every daemon with a pid file in workDir: SIGCONT and
 * SIGTERM, then SIGKILL to its tree after the grace, and whatever it left running in its session.
 * What a lifeline runs when faultline is gone, and what heal runs on a dead run's node.
 */
const STOP_ALL = `
dir=$1 grace=$2
for f in "$dir"/*.pid; do
  pidof_file "$f" || { rm -f "$f"; continue; }
  alive "$pid" || { reap_rest "$pid"; rm -f "$f"; continue; }
  kill -CONT $(tree "$pid") 2>/dev/null; kill -TERM "$pid" 2>/dev/null
done
for f in "$dir"/*.pid; do
  pidof_file "$f" || continue
  waitfor gone "$pid" "$grace" || { kill -KILL $(tree "$pid") 2>/dev/null; waitfor gone "$pid"; }
  reap_rest "$pid"
  settle "$pid"
  rm -f "$f"
done
exit 0
`;

/** prepare: $1 user (or ""), then folders to make and give to the user. */
const PREPARE = `
user=$1; shift
mkdir -p -- "$@" || exit 1
if [ -n "$user" ] && [ "$user" != root ]; then chown "$user": -- "$@" || exit 1; fi
`;

/** write: $1 path, $2 user (or ""); the content on stdin. */
const WRITE = `
cat >"$1" || exit 1
if [ -n "$2" ] && [ "$2" != root ]; then chown "$2": -- "$1" || exit 1; fi
`;

/** files: $1 folder; prints each regular file in it (not below), one per line. */
const LIST = `
[ -d "$1" ] || exit 0
for f in "$1"/* "$1"/.[!.]*; do [ -f "$f" ] && echo "$f"; done
exit 0
`;

/** remove: the folders to remove whole, then the workDir ($1) if that left it empty. */
const REMOVE = `
dir=$1; shift
rm -rf -- "$@"
rmdir -- "$dir" 2>/dev/null
exit 0
`;

/** datafiles: $1 folder; prints `SIZE PATH` for every regular file below it (GNU find). */
const DATA_FILES = `
[ -d "$1" ] || exit 0
find "$1" -type f -printf '%s %p\\n'
`;

/** truncate: $1 file, $2 length. */
const TRUNCATE = `
[ -f "$1" ] || { echo "no file $1" >&2; exit 1; }
truncate -s "$2" -- "$1"
`;

/** flip: $1 file, then pairs OFFSET BIT: each byte read, its bit flipped, written back in place. */
const FLIP = `
f=$1; shift
[ -f "$f" ] || { echo "no file $f" >&2; exit 1; }
while [ $# -ge 2 ]; do
  off=$1 bit=$2; shift 2
  b=$(od -An -tu1 -j "$off" -N1 -- "$f" | tr -d ' ')
  [ -n "$b" ] || { echo "cannot read byte $off of $f" >&2; exit 1; }
  v=$(( b ^ (1 << bit) ))
  printf "\\\\$(printf %03o "$v")" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none || exit 1
done
`;

export const remoteScripts = {
  start: (pidFile: string, log: string, cwd: string, user: string | undefined, runId: string, argv: readonly string[]) => script(START, pidFile, log, cwd, user ?? '', runId, ...argv),
  running: (pidFile: string) => script(RUNNING, pidFile),
  signal: (pidFile: string, sig: string) => script(SIGNAL, pidFile, sig),
  waitGone: (pidFile: string, tenths: number) => script(WAIT_GONE, pidFile, String(Math.max(1, Math.round(tenths)))),
  stopAll: (workDir: string, graceS: number) => script(STOP_ALL, workDir, String(Math.max(1, Math.round(graceS * 10)))),
  prepare: (user: string | undefined, dirs: readonly string[]) => script(PREPARE, user ?? '', ...dirs),
  write: (path: string, user: string | undefined) => script(WRITE, path, user ?? ''),
  list: (dir: string) => script(LIST, dir),
  remove: (workDir: string, paths: readonly string[]) => script(REMOVE, workDir, ...paths),
  dataFiles: (dir: string) => script(DATA_FILES, dir),
  truncate: (path: string, to: number) => script(TRUNCATE, path, String(to)),
  flip: (path: string, bits: readonly { offset: number; bit: number }[]) => script(FLIP, path, ...bits.flatMap((b) => [String(b.offset), String(b.bit)])),
};
