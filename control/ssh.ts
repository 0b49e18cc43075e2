// Commands on a remote node through the system ssh client (so the user's keys, agent and
// known_hosts work as they do for `ssh`). One ControlMaster connection per node is opened by the
// first call and reused by every later one, so a command costs a round trip rather than a
// handshake; close() stops it. Commands are argvs, quoted for the remote shell by quote.ts.
//
// Known limit: a timeout kills the local ssh client; the remote command is not signalled (without a
// tty, sshd leaves it running until it next writes to its closed output). Commands sent here
// should be short (iptables, tc, kill), and long-lived processes should be started through `wrap`
// and stopped by pid.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { local, spawnWithTimeout } from './local.js';
import { quoteArgv } from './quote.js';
import type { Control, ExecOptions, ExecResult } from './types.js';

export interface SshHost {
  host: string;
  user?: string;
  port?: number;
  /** Private key to offer (only this one: IdentitiesOnly). */
  identityFile?: string;
  knownHostsFile?: string;
  /** true: the host key must already be known; false: accept any (disposable test hosts only). Unset: ssh's own config decides. */
  strictHostKeyChecking?: boolean;
  /** Run instead of a TCP connection, its stdio carrying the session. ssh expands %h, %p and %r in it (write %% for a literal %). */
  proxyCommand?: string[];
  /** Where the ControlMaster socket lives. Default: a fresh temporary directory, removed by close(). */
  controlDir?: string;
  /** Seconds to wait for the TCP connection. Default 10. */
  connectTimeoutS?: number;
  /** ssh_config file to read instead of ~/.ssh/config and /etc/ssh/ssh_config ('/dev/null': none). */
  configFile?: string;
  /** Where the ssh client itself runs, e.g. netns(clientNs) to reach hosts inside a test range. Default: this machine. */
  via?: Control;
}

export type SshControl = Control & {
  /** Whether the ControlMaster connection is up (`ssh -O check`). */
  masterRunning(): Promise<boolean>;
  /** Stops the ControlMaster connection and removes a control directory this created. Idempotent. */
  close(): Promise<void>;
  /**
   * Has the master listen on the local unix socket `socket` and carry each connection to `to` as
   * the host sees it (`ssh -O forward -L`): how a local client reaches a port it must not dial
   * itself. The master must be up (any exec brings it up).
   */
  forward(socket: string, to: { ip: string; port: number }, opts?: ExecOptions): Promise<void>;
  /** Cancels a forward (`ssh -O cancel`); a master already gone took its forwards along. */
  cancelForward(socket: string, to: { ip: string; port: number }, opts?: ExecOptions): Promise<void>;
};

const DEFAULT_TIMEOUT_MS = 10_000;
// Unix socket paths are limited to 108 bytes on Linux (104 on BSDs); %C expands to 40 hex digits.
const MAX_SOCKET_PATH = 104;

export function ssh(config: SshHost): SshControl {
  validate(config);
  const via = config.via ?? local;
  const ownsControlDir = config.controlDir === undefined;
  const controlDir = config.controlDir ?? mkdtempSync(join(tmpdir(), 'fl-ssh-'));
  const unusable =
    controlDir.length + 1 + 40 > MAX_SOCKET_PATH ? `too long for a unix socket path (${controlDir.length} characters)` : unsafePath(controlDir);
  if (unusable !== undefined) {
    if (ownsControlDir) rmSync(controlDir, { recursive: true, force: true });
    throw new Error(`ssh: control directory ${JSON.stringify(controlDir)}: ${unusable}`);
  }
  const where = `ssh ${config.user ? `${config.user}@` : ''}${config.host}${config.port ? `:${config.port}` : ''}`;
  const options = sshOptions(config, controlDir);
  const sshArgv = (extra: readonly string[], remote?: string) => ['ssh', ...options, ...extra, '--', config.host, ...(remote === undefined ? [] : [remote])];
  let closed = false;

  /**
   * One ssh invocation. Spawned here rather than through via.exec: a multiplexed ssh client hands
   * its stdout and stderr to the master, which holds them until the remote command ends, so on a
   * timeout the pipes are dropped too, or the call would wait for the remote command after all.
   */
  async function invoke(extra: readonly string[], remote: string | undefined, shown: string, opts: ExecOptions): Promise<ExecResult> {
    const argv = via.wrap(sshArgv(extra, remote));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const r = await spawnWithTimeout(argv, { ...opts, timeoutMs });
    if (r.timedOut) throw new CallError(where, shown, `no answer within ${timeoutMs} ms`);
    if (r.notRun !== undefined) throw new CallError(where, shown, `could not run ${argv[0]}: ${r.notRun}`);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  }

  async function masterRunning(): Promise<boolean> {
    const r = await invoke(['-O', 'check'], undefined, 'ssh -O check', { timeoutMs: 5_000 });
    return r.exitCode === 0;
  }

  async function execNow(command: readonly string[], shown: string, opts: ExecOptions): Promise<ExecResult> {
    const r = await invoke([], quoteArgv(command), shown, opts);
    if (r.exitCode === 0) return r;
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    // ssh itself exits 255 when it cannot connect or loses the connection; a remote command may
    // exit 255 too. A live master tells the two apart: the connection was fine, the command failed.
    if (r.exitCode === 255 && !(await masterRunning().catch(() => false))) {
      // ssh's last line is its verdict ("Permission denied (publickey).", "Host key verification failed.").
      throw new CallError(where, shown, `cannot reach the host: ${lines.at(-1)?.trim() ?? 'ssh exited 255'}`);
    }
    if (opts.allowFailure) return r;
    throw new CallError(where, shown, lines.slice(0, 3).join(' / ') || `exit code ${r.exitCode}`);
  }

  // The first call opens the master with a remote `true`, and calls made meanwhile wait for it, so
  // they share one connection instead of racing to open their own. If the master goes away later
  // (idle past ControlPersist, connection lost), the next call's ssh opens a new one itself.
  let connecting: Promise<string | undefined> | undefined;
  /** Resolves with why the host cannot be reached, or undefined once the master is up. */
  function connect(timeoutMs: number | undefined): Promise<string | undefined> {
    connecting ??= execNow(['true'], 'connect', { timeoutMs }).then(
      () => undefined,
      (err: unknown) => {
        connecting = undefined;
        return err instanceof CallError ? err.reason : String(err);
      },
    );
    return connecting;
  }

  async function exec(command: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const shown = command.join(' ');
    if (closed) throw new CallError(where, shown, 'the connection was closed');
    if (command.length === 0) throw new Error(`${where}: empty command`);
    const unreachable = await connect(opts.timeoutMs);
    if (unreachable !== undefined) throw new CallError(where, shown, unreachable);
    return execNow(command, shown, opts);
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    try {
      // Exit 255 here means no master is running: nothing to stop.
      await invoke(['-O', 'exit'], undefined, 'ssh -O exit', { timeoutMs: 5_000 });
    } finally {
      if (ownsControlDir) rmSync(controlDir, { recursive: true, force: true });
    }
  }

  async function forward(socket: string, to: { ip: string; port: number }, opts: ExecOptions = {}): Promise<void> {
    const shown = `ssh -O forward ${socket} to ${to.ip}:${to.port}`;
    if (closed) throw new CallError(where, shown, 'the connection was closed');
    const r = await invoke(['-O', 'forward', '-L', `${socket}:${to.ip}:${to.port}`], undefined, shown, opts);
    if (r.exitCode !== 0) throw new CallError(where, shown, r.stderr.trim().split('\n').at(-1) || `exit code ${r.exitCode}`);
  }

  async function cancelForward(socket: string, to: { ip: string; port: number }, opts: ExecOptions = {}): Promise<void> {
    // Exit 255 when the master is gone already: then the forward is too.
    await invoke(['-O', 'cancel', '-L', `${socket}:${to.ip}:${to.port}`], undefined, 'ssh -O cancel', { timeoutMs: 5_000, ...opts });
  }

  return {
    where,
    exec,
    forward,
    cancelForward,
    wrap: (command) => {
      if (command.length === 0) throw new Error(`${where}: empty command`);
      return via.wrap(sshArgv([], quoteArgv(command)));
    },
    masterRunning,
    close,
  };
}

function sshOptions(config: SshHost, controlDir: string): string[] {
  const o = (option: string) => ['-o', option];
  return [
    ...(config.configFile === undefined ? [] : ['-F', config.configFile]),
    ...o('BatchMode=yes'),
    ...o('ControlMaster=auto'),
    ...o(`ControlPath=${join(controlDir, '%C')}`),
    ...o('ControlPersist=60'),
    ...o(`ConnectTimeout=${config.connectTimeoutS ?? 10}`),
    ...(config.user === undefined ? [] : ['-l', config.user]),
    ...(config.port === undefined ? [] : ['-p', String(config.port)]),
    ...(config.identityFile === undefined ? [] : ['-i', config.identityFile, ...o('IdentitiesOnly=yes')]),
    ...(config.knownHostsFile === undefined ? [] : o(`UserKnownHostsFile=${config.knownHostsFile}`)),
    ...(config.strictHostKeyChecking === undefined ? [] : o(`StrictHostKeyChecking=${config.strictHostKeyChecking ? 'yes' : 'no'}`)),
    ...(config.proxyCommand === undefined ? [] : o(`ProxyCommand=${quoteArgv(config.proxyCommand)}`)),
  ];
}

/** Why ssh cannot take this path in an option, or undefined: option values are split on whitespace and quotes, and % starts a token. */
function unsafePath(path: string): string | undefined {
  if (path === '') return 'empty';
  if (/[\s"'%]/.test(path)) return 'contains whitespace, a quote or %';
  return undefined;
}

/** Refuses values ssh would read as options or split into several config words. */
function validate(config: SshHost): void {
  const bad = (what: string, value: unknown) => new Error(`ssh: invalid ${what}: ${JSON.stringify(value)}`);
  if (!/^[A-Za-z0-9_.:%-]+$/.test(config.host) || config.host.startsWith('-')) throw bad('host', config.host);
  if (config.user !== undefined && !/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(config.user)) throw bad('user', config.user);
  if (config.port !== undefined && !(Number.isInteger(config.port) && config.port > 0 && config.port < 65536)) throw bad('port', config.port);
  if (config.connectTimeoutS !== undefined && !(Number.isInteger(config.connectTimeoutS) && config.connectTimeoutS > 0)) {
    throw bad('connect timeout (whole seconds)', config.connectTimeoutS);
  }
  for (const [what, path] of [
    ['identity file', config.identityFile],
    ['known hosts file', config.knownHostsFile],
    ['control directory', config.controlDir],
    ['config file', config.configFile],
  ] as const) {
    if (path !== undefined && unsafePath(path) !== undefined) throw bad(what, path);
  }
  if (config.proxyCommand !== undefined) {
    if (config.proxyCommand.length === 0) throw bad('proxy command', config.proxyCommand);
    // A config line ends at a newline, so the command must fit on one.
    for (const arg of config.proxyCommand) if (/[\n\r]/.test(arg)) throw bad('proxy command argument', arg);
  }
}

/** A failed call: where, which command, and why (the reason alone is shared by calls waiting on one connect). */
class CallError extends Error {
  constructor(
    where: string,
    shown: string,
    readonly reason: string,
  ) {
    super(`${where}: ${shown}: ${reason}`);
  }
}
