// A real sshd inside each node namespace of a test network (control/network.ts), so remote-cluster
// code runs against ssh hosts for real without touching this machine's own network. As in
// test/integration/control-ssh.test.ts: a throwaway host key, a client key authorized for root, a
// known_hosts file naming every node's address, and for each sshd an empty home directory bound
// over root's (inside the namespace's own mount namespace only), so sessions do not source this
// machine's ~/.bashrc. The ssh client belongs in the network's client namespace (`via`).
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { run } from '../../control/local.js';
import type { Network } from '../../control/network.js';

/** A test sshd's config: keys only, root by key, no PAM, files from the test's temp folder. */
export function sshdConfig(o: { listen: string; hostKey: string; pidFile: string; authorizedKeys: string }): string {
  return [
    `ListenAddress ${o.listen}`,
    `HostKey ${o.hostKey}`,
    `PidFile ${o.pidFile}`,
    `AuthorizedKeysFile ${o.authorizedKeys}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The generated files live under the world-writable temp directory, which StrictModes refuses.
    'StrictModes no',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

export interface SshdHosts {
  /** The client's private key (authorized on every host). */
  key: string;
  /** known_hosts listing every node's address with the host key. */
  knownHosts: string;
  /** The namespace the ssh client must run in: the network's client namespace. */
  via: string;
  /** sshd's pid per node (the listener). */
  pids: Map<string, number>;
  /** Stops every sshd (and, with it, nothing else: sessions' processes are the caller's). Idempotent. */
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function have(command: string): Promise<boolean> {
  return (await execa('sh', ['-c', 'command -v "$1"', 'sh', command], { reject: false })).exitCode === 0;
}

/** Starts one sshd per host of `network`, files under `dir` (which must exist). Fails saying what is missing. */
export async function startSshdHosts(network: Network, dir: string): Promise<SshdHosts> {
  const missing = [];
  for (const c of ['ssh', 'ssh-keygen', 'ss']) if (!(await have(c))) missing.push(c);
  if (!existsSync(SSHD)) missing.push(SSHD);
  if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')} (Debian packages openssh-client, openssh-server, iproute2)`);
  const path = (name: string) => join(dir, name);
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `host-${network.runId}`, '-f', path('host_key')]);
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `client-${network.runId}`, '-f', path('id_client')]);
  writeFileSync(path('authorized_keys'), readFileSync(path('id_client.pub')));
  const hostKey = readFileSync(path('host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(path('known_hosts'), network.hosts.map((h) => `${h.ip} ${hostKey}\n`).join(''));
  // sshd's privilege-separated child chroots here; Debian's service normally creates it. Left in
  // place afterwards: another test's sshd may be using it.
  if (!existsSync(PRIVSEP_DIR)) mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
  mkdirSync(path('home'), { recursive: true });
  const homeBefore = readdirSync(userInfo().homedir).sort();

  const sshds = new Map<string, ResultPromise>();
  const stop = async () => {
    const all = [...sshds.values()];
    sshds.clear();
    for (const p of all) p.kill('SIGTERM');
    const timer = setTimeout(() => all.forEach((p) => p.kill('SIGKILL')), 3000);
    await Promise.all(all);
    clearTimeout(timer);
  };
  try {
    await Promise.all(
      network.hosts.map(async (h) => {
        const config = path(`sshd_config.${h.node}`);
        writeFileSync(
          config,
          sshdConfig({ listen: `${h.ip}:22`, hostKey: path('host_key'), pidFile: path(`sshd.${h.node}.pid`), authorizedKeys: path('authorized_keys') }),
        );
        const argv = ['ip', 'netns', 'exec', h.ns, 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'sh', path('home'), userInfo().homedir, SSHD, '-D', '-e', '-f', config];
        const proc = execa(argv[0], argv.slice(1), { reject: false, stdin: 'ignore' });
        sshds.set(h.node, proc);
        let stderr = '';
        let exited = false;
        proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        void proc.then(() => (exited = true));
        for (let i = 0; ; i++) {
          const listening = await run(['ip', 'netns', 'exec', h.ns, 'ss', '-Htln', `( sport = :22 )`]);
          if (listening.stdout.includes(`${h.ip}:22`)) break;
          if (exited || i > 100) throw new Error(`sshd on ${h.node} did not start listening: ${stderr.trim() || 'no output'}`);
          await sleep(50);
        }
      }),
    );
    if (JSON.stringify(readdirSync(userInfo().homedir).sort()) !== JSON.stringify(homeBefore)) {
      throw new Error(`the bind mount for sshd's home leaked into this machine's ${userInfo().homedir}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const pids = new Map([...sshds].map(([n, p]) => [n, p.pid ?? -1]));
  return { key: path('id_client'), knownHosts: path('known_hosts'), via: network.client.ns, pids, stop };
}
