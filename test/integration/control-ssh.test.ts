// The ssh control against a real sshd: the server runs in its own network namespace with an
// address in the test range, the ssh client runs inside a second (client) namespace joined to it
// by a veth pair, and a root-namespace guard rule rejects the test range for the whole file, so no
// packet of this test can leave the machine. Keys, host key, known_hosts and sshd_config are
// generated here; teardown checks that nothing of the run remains.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { run } from '../../control/local.js';
import { netns } from '../../control/netns.js';
import { ssh, type SshControl, type SshHost } from '../../control/ssh.js';
import { fanOut } from '../../control/types.js';
import { sshdConfig } from '../helpers/sshd-hosts.js';
import { processesMentioning, type SeenProcess } from '../helpers/processes.js';
import { running } from '../../control/proc.js';

const runId = `s${randomBytes(3).toString('hex')}`;
const SERVER_NS = `fl-${runId}-ssh`;
const CLIENT_NS = `fl-${runId}-cl`;
const SERVER_IP = '198.18.250.1';
const CLIENT_IP = '198.18.250.2';
const TAG = `faultline:${runId}`;
const GUARD = ['OUTPUT', '-d', '198.18.0.0/15', '-m', 'comment', '--comment', TAG, '-j', 'REJECT'];
const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';

const dir = mkdtempSync(join(tmpdir(), `fl-${runId}-`));
const path = (name: string) => join(dir, name);
let sshd: ResultPromise | undefined;
let sshdStderr = '';
let madePrivsepDir = false;
let guardInstalled = false;
const opened: SshControl[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The client's view of the server: ssh runs inside the client namespace, with only generated files. */
function serverConfig(extra: Partial<SshHost> = {}): SshHost {
  return {
    host: SERVER_IP,
    user: 'root',
    identityFile: path('id_client'),
    knownHostsFile: path('known_hosts'),
    strictHostKeyChecking: true,
    configFile: '/dev/null',
    connectTimeoutS: 5,
    via: netns(CLIENT_NS),
    ...extra,
  };
}

function open(config: SshHost): SshControl {
  const control = ssh(config);
  opened.push(control);
  return control;
}

async function have(command: string): Promise<boolean> {
  return (await execa('sh', ['-c', 'command -v "$1"', 'sh', command], { reject: false })).exitCode === 0;
}

/** Lines of `iptables -S` without other runs' tagged rules (concurrent runs may add or remove theirs). */
async function rootRulesExceptOtherRuns(): Promise<string[]> {
  const lines = (await run(['iptables', '-S'])).stdout.split('\n');
  return lines.filter((l) => !/faultline:/.test(l) || l.includes(TAG));
}

async function setUp(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (network namespaces, iptables, sshd)');
  const missing = [];
  for (const c of ['ip', 'iptables', 'ssh', 'ssh-keygen', 'ss']) if (!(await have(c))) missing.push(c);
  if (!existsSync(SSHD)) missing.push(SSHD);
  if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')} (Debian packages iproute2, iptables, openssh-client, openssh-server)`);

  // The guard first: from here on nothing in the root namespace can send to the test range.
  await run(['iptables', '-I', ...GUARD]);
  guardInstalled = true;
  await run(['ip', 'netns', 'add', SERVER_NS]);
  await run(['ip', 'netns', 'add', CLIENT_NS]);
  await run(['ip', '-n', SERVER_NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CLIENT_NS]);
  for (const [ns, ip] of [
    [SERVER_NS, SERVER_IP],
    [CLIENT_NS, CLIENT_IP],
  ]) {
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  }

  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `host-${runId}`, '-f', path('host_key')]);
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `client-${runId}`, '-f', path('id_client')]);
  writeFileSync(path('authorized_keys'), readFileSync(path('id_client.pub')));
  const hostKey = readFileSync(path('host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  // "sshnode" is the name the ProxyCommand test connects to.
  writeFileSync(path('known_hosts'), `${SERVER_IP},sshnode ${hostKey}\n`);
  writeFileSync(
    path('sshd_config'),
    sshdConfig({ listen: `${SERVER_IP}:22`, hostKey: path('host_key'), pidFile: path('sshd.pid'), authorizedKeys: path('authorized_keys') }),
  );
  // sshd's privilege-separated child chroots here; Debian's service normally creates it.
  if (!existsSync(PRIVSEP_DIR)) {
    mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
    madePrivsepDir = true;
  }
  mkdirSync(path('home'));
  const homeBefore = readdirSync(userInfo().homedir).sort();
  const [file, ...args] = onServer([SSHD, '-D', '-e', '-f', path('sshd_config')]);
  sshd = execa(file, args, { reject: false, stdin: 'ignore' });
  sshd.stderr?.on('data', (d: Buffer) => (sshdStderr += d.toString()));
  let sshdExited = false;
  void sshd.then(() => (sshdExited = true));
  for (let i = 0; ; i++) {
    const listening = await run(['ip', 'netns', 'exec', SERVER_NS, 'ss', '-Htln', `( sport = :22 )`]);
    if (listening.stdout.includes(`${SERVER_IP}:22`)) break;
    if (sshdExited || i > 100) throw new Error(`sshd did not start listening: ${sshdStderr.trim() || 'no output'}`);
    await sleep(50);
  }
  // The empty home is sshd's alone: this machine's own home directory is untouched.
  if (JSON.stringify(readdirSync(userInfo().homedir).sort()) !== JSON.stringify(homeBefore)) {
    throw new Error(`the bind mount for sshd's home leaked into this machine's ${userInfo().homedir}`);
  }
}

/**
 * argv running inside the server namespace with an empty home directory for root, as on a fresh
 * host: bash sources ~/.bashrc for every command sshd runs, and this machine's (pyenv, cargo) costs
 * half a second a call. `ip netns exec` gives the command its own mount namespace, so the bind
 * mount is seen by sshd and its sessions only, and goes away with them.
 */
function onServer(argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', SERVER_NS, 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', path('home'), userInfo().homedir, ...argv];
}

/** Removes everything the run made; tries every step, and reports what failed. Idempotent. */
async function tearDown(): Promise<void> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  for (const control of opened.splice(0)) await attempt(`close ${control.where}`, () => control.close());
  if (sshd) {
    const child = sshd;
    sshd = undefined;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await child;
    clearTimeout(timer);
  }
  const namespaces = (await run(['ip', 'netns', 'list'])).stdout;
  for (const ns of [SERVER_NS, CLIENT_NS]) {
    if (!namespaces.split('\n').some((l) => l.split(' ')[0] === ns)) continue;
    // What still runs there is ours: sessions sshd left behind (a timed-out `sleep`), proxies.
    await attempt(`processes in ${ns}`, async () => {
      const pids = (await run(['ip', 'netns', 'pids', ns])).stdout.split('\n').filter(Boolean).map(Number);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && pids.some(running); i++) await sleep(20);
    });
    await attempt(`delete ${ns}`, () => run(['ip', 'netns', 'del', ns]));
  }
  if (guardInstalled) {
    await attempt('guard rule', async () => {
      while ((await run(['iptables', '-D', ...GUARD], { allowFailure: true })).exitCode === 0);
    });
    guardInstalled = false;
  }
  if (madePrivsepDir) {
    await attempt(PRIVSEP_DIR, async () => rmdirSync(PRIVSEP_DIR));
    madePrivsepDir = false;
  }
  rmSync(dir, { recursive: true, force: true });
  if (problems.length > 0) throw new Error(`teardown: ${problems.join('; ')}`);
}

/** Processes whose command line mentions this run (its temp dir or its id). */
function processesOfThisRun(): SeenProcess[] {
  return processesMentioning([dir, `fl-${runId}-`, TAG]);
}


/** What `probe` returns once it equals `expected`, or its last value after 5 s (a closing master takes a moment to go). */
async function settled<T>(probe: () => T | Promise<T>, expected: T): Promise<T> {
  let value = await probe();
  for (let i = 0; i < 100 && JSON.stringify(value) !== JSON.stringify(expected); i++) {
    await sleep(50);
    value = await probe();
  }
  return value;
}

async function established22(): Promise<number> {
  const r = await run(['ip', 'netns', 'exec', SERVER_NS, 'ss', '-Htn', 'state', 'established', '( sport = :22 )']);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

const hostile = [
  "it's",
  '"double"',
  '$HOME',
  '${PATH}',
  '`id`',
  '$(id)',
  'back\\slash',
  'new\nline',
  ' spaced  out ',
  '',
  '*',
  '-n',
  'a;b&&c|d',
  '~',
  '日本語 🙂',
  "'\\''",
];

describe('ssh control against a real sshd in a network namespace', () => {
  let node: SshControl;

  beforeAll(async () => {
    try {
      await setUp();
    } catch (err) {
      await tearDown().catch(() => undefined);
      throw err;
    }
    node = open(serverConfig());
  });
  afterAll(() => tearDown());

  it('runs argvs with quotes, $, backticks, newlines and unicode unchanged', async () => {
    const r = await node.exec(['printf', '%s\\0', ...hostile]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(hostile);
    expect(node.where).toBe(`ssh root@${SERVER_IP}`);
    // It really ran on the server: inside its namespace, with its address.
    expect((await node.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain(SERVER_IP);
  });

  it('arbitrary strings survive the trip to the remote shell', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: fc.constantFrom("'", '"', '$', '`', '\\', '\n', ' ', '!', '*', 'é', 'a', '-', '%'), maxLength: 12 }), { minLength: 1, maxLength: 4 }), async (args) => {
        const r = await node.exec(['printf', '%s\\0', ...args]);
        expect(r.stdout.split('\0').slice(0, -1)).toEqual(args);
      }),
      { numRuns: 15 },
    );
  });

  it('passes stdin to the remote command', async () => {
    expect((await node.exec(['cat'], { input: "line 1\n$HOME 'x'\n" })).stdout).toBe("line 1\n$HOME 'x'");
  });

  it('propagates exit codes, and failures name the host and the command', async () => {
    expect((await node.exec(['sh', '-c', 'echo oops >&2; exit 3'], { allowFailure: true })).exitCode).toBe(3);
    await expect(node.exec(['sh', '-c', 'echo it broke >&2; exit 4'])).rejects.toThrow(`ssh root@${SERVER_IP}: sh -c echo it broke >&2; exit 4: it broke`);
    await expect(node.exec(['false'])).rejects.toThrow(`ssh root@${SERVER_IP}: false: exit code 1`);
    // 255 is also ssh's own failure code; with the connection up it is the command's.
    expect((await node.exec(['sh', '-c', 'exit 255'], { allowFailure: true })).exitCode).toBe(255);
  });

  it('a call that outlives its timeout rejects, naming the host', async () => {
    await expect(node.exec(['sleep', '5'], { timeoutMs: 300 })).rejects.toThrow(`ssh root@${SERVER_IP}: sleep 5: no answer within 300 ms`);
    // The connection is still fine afterwards.
    expect((await node.exec(['echo', 'still here'])).stdout).toBe('still here');
  });

  it('reuses one ControlMaster connection for every call, parallel ones included', async () => {
    expect(await node.masterRunning()).toBe(true);
    const results = await fanOut([1, 2, 3, 4, 5, 6], (i) => node.exec(['echo', String(i)]));
    expect(results.map((r) => r.stdout)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(await established22()).toBe(1);

    // A fresh control whose first calls come all at once still opens a single connection.
    const dir2 = path('cm2');
    mkdirSync(dir2);
    const other = open(serverConfig({ controlDir: dir2 }));
    await fanOut([1, 2, 3, 4], () => other.exec(['true']));
    expect(readdirSync(dir2)).toHaveLength(1);
    expect(await established22()).toBe(2);
    await other.close();
    expect(await other.masterRunning()).toBe(false);
    expect(await settled(established22, 1)).toBe(1);
  });

  it('an iptables rule installed over ssh lands in the server namespace only', async () => {
    const rootBefore = await rootRulesExceptOtherRuns();
    const clientBefore = (await run(['ip', 'netns', 'exec', CLIENT_NS, 'iptables', '-S'])).stdout;
    const probe = ['INPUT', '-s', '198.18.250.99/32', '-m', 'comment', '--comment', `${TAG}-probe`, '-j', 'DROP'];
    await node.exec(['iptables', '-A', ...probe]);
    try {
      const serverRules = (await run(['ip', 'netns', 'exec', SERVER_NS, 'iptables', '-S'])).stdout;
      expect(serverRules).toContain(`-A INPUT -s 198.18.250.99/32 -m comment --comment "${TAG}-probe" -j DROP`);
      expect((await node.exec(['iptables', '-S', 'INPUT'])).stdout).toContain(`${TAG}-probe`);
      expect(await rootRulesExceptOtherRuns()).toEqual(rootBefore);
      expect((await run(['ip', 'netns', 'exec', CLIENT_NS, 'iptables', '-S'])).stdout).toBe(clientBefore);
    } finally {
      await node.exec(['iptables', '-D', ...probe]);
    }
    expect((await run(['ip', 'netns', 'exec', SERVER_NS, 'iptables', '-S'])).stdout).not.toContain(`${TAG}-probe`);
  });

  it('forward makes a port the host sees reachable as a local unix socket, and cancelForward takes it away', async () => {
    const socket = path('fwd.sock');
    await node.forward(socket, { ip: SERVER_IP, port: 22 });
    // The root namespace reaches the server's sshd through the socket only: it reads its banner.
    const banner = await new Promise<string>((resolve, reject) => {
      const c = connect({ path: socket });
      c.once('data', (d: Buffer) => {
        resolve(d.toString());
        c.destroy();
      });
      c.once('error', reject);
    });
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    await node.cancelForward(socket, { ip: SERVER_IP, port: 22 });
    await expect(
      new Promise((resolve, reject) => {
        const c = connect({ path: socket });
        c.once('connect', () => resolve(c.destroy()));
        c.once('error', reject);
      }),
    ).rejects.toThrow();
    await expect(node.forward(path('no/such/dir.sock'), { ip: SERVER_IP, port: 22 })).rejects.toThrow(/ssh .*forward/);
  });

  it('wrap gives an argv that runs a command there, for processes the caller spawns itself', async () => {
    const argv = node.wrap(['sh', '-c', 'read line; echo "got $line on $(hostname -I)"', 'ignored $0']);
    expect(argv.slice(0, 4)).toEqual(['ip', 'netns', 'exec', CLIENT_NS]);
    const r = await execa(argv[0], argv.slice(1), { input: "it's me\n", timeout: 10_000 });
    expect(r.stdout.trim()).toBe(`got it's me on ${SERVER_IP}`);
  });

  it('connection failures name the host and say it could not be reached', async () => {
    const closedPort = open(serverConfig({ port: 2222 }));
    await expect(closedPort.exec(['true'])).rejects.toThrow(new RegExp(`^ssh root@${SERVER_IP.replaceAll('.', '\\.')}:2222: true: cannot reach the host: .*Connection refused`));
    // allowFailure is about the command's exit code; an unreachable host still rejects.
    await expect(closedPort.exec(['true'], { allowFailure: true })).rejects.toThrow(/cannot reach the host/);

    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path('other_host_key')]);
    const otherKey = readFileSync(path('other_host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(path('other_known_hosts'), `${SERVER_IP} ${otherKey}\n`);
    const wrongHostKey = open(serverConfig({ knownHostsFile: path('other_known_hosts') }));
    await expect(wrongHostKey.exec(['true'])).rejects.toThrow(/cannot reach the host: .*(HOST IDENTIFICATION HAS CHANGED|Host key verification failed)/);

    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path('id_stranger')]);
    const stranger = open(serverConfig({ identityFile: path('id_stranger') }));
    await expect(stranger.exec(['true'])).rejects.toThrow(/cannot reach the host: .*Permission denied/);
  });

  it('reaches a host through a ProxyCommand (here: sshd -i inside the server namespace, over stdio)', async () => {
    const proxied = open({
      host: 'sshnode',
      user: 'root',
      identityFile: path('id_client'),
      knownHostsFile: path('known_hosts'),
      strictHostKeyChecking: true,
      configFile: '/dev/null',
      proxyCommand: onServer([SSHD, '-i', '-f', path('sshd_config')]),
    });
    const r = await proxied.exec(['printf', '%s\\0', ...hostile]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(hostile);
    expect((await proxied.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain(SERVER_IP);
    await proxied.close();
  });

  it('close stops the master and removes the control directory it made', async () => {
    const controlDirOfNode = findControlDir(node);
    expect(existsSync(controlDirOfNode)).toBe(true);
    await node.close();
    expect(await node.masterRunning()).toBe(false);
    expect(existsSync(controlDirOfNode)).toBe(false);
    expect(await settled(() => processesMentioning(controlDirOfNode), [])).toEqual([]);
    expect(await settled(established22, 0)).toBe(0);
    await expect(node.exec(['true'])).rejects.toThrow(/closed/);
    await node.close();
  });

  it('teardown removes the namespaces, guard rule, sshd, processes and files', async () => {
    await tearDown();
    expect((await run(['ip', 'netns', 'list'])).stdout).not.toContain(`fl-${runId}-`);
    expect((await run(['iptables', '-S'])).stdout).not.toContain(TAG);
    expect(await settled(processesOfThisRun, [])).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});

/** The ControlPath directory from the argv the control builds. */
function findControlDir(control: SshControl): string {
  const option = control.wrap(['true']).find((a) => a.startsWith('ControlPath='));
  if (option === undefined) throw new Error('no ControlPath in the ssh argv');
  return option.slice('ControlPath='.length).replace(/\/%C$/, '');
}
