// The ssh control's argv and its refusals, without a server (the real sshd test is
// test/integration/control-ssh.test.ts).
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { netns } from '../control/netns.js';
import { quoteArgv } from '../control/quote.js';
import { ssh, type SshHost } from '../control/ssh.js';

/** The value after each `-o`, as a map. */
function options(argv: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  argv.forEach((a, i) => {
    if (argv[i - 1] === '-o') found.set(a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1));
  });
  return found;
}

describe('ssh control argv', () => {
  it('carries batch mode, a per-host ControlMaster, the config, and the quoted command after --', async () => {
    const node = ssh({
      host: 'db1.example',
      user: 'admin',
      port: 2222,
      identityFile: '/keys/id_ed25519',
      knownHostsFile: '/keys/known_hosts',
      strictHostKeyChecking: true,
      connectTimeoutS: 3,
      controlDir: '/tmp/fl-cm',
    });
    const command = ['iptables', '-A', 'INPUT', '-m', 'comment', '--comment', "it's $x", '-j', 'DROP'];
    const argv = node.wrap(command);
    expect(argv[0]).toBe('ssh');
    expect(argv.slice(-3)).toEqual(['--', 'db1.example', quoteArgv(command)]);
    const o = options(argv);
    expect(Object.fromEntries(o)).toEqual({
      BatchMode: 'yes',
      ControlMaster: 'auto',
      ControlPath: '/tmp/fl-cm/%C',
      ControlPersist: '60',
      ConnectTimeout: '3',
      IdentitiesOnly: 'yes',
      UserKnownHostsFile: '/keys/known_hosts',
      StrictHostKeyChecking: 'yes',
    });
    expect(argv.join(' ')).toContain('-l admin -p 2222 -i /keys/id_ed25519');
    expect(node.where).toBe('ssh admin@db1.example:2222');
    await node.close();
  });

  it('quotes a ProxyCommand argv, and runs ssh itself through `via`', async () => {
    const node = ssh({ host: 'n1', proxyCommand: ['ip', 'netns', 'exec', 'fl-x-cl', 'nc', '%h', '%p'], via: netns('fl-x-cl'), strictHostKeyChecking: false });
    const argv = node.wrap(['true']);
    expect(argv.slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'fl-x-cl', 'ssh']);
    expect(options(argv).get('ProxyCommand')).toBe(`'ip' 'netns' 'exec' 'fl-x-cl' 'nc' '%h' '%p'`);
    expect(options(argv).get('StrictHostKeyChecking')).toBe('no');
    await node.close();
  });

  it('refuses values ssh would read as options or split', async () => {
    const bad: Partial<SshHost>[] = [
      { host: '-oProxyCommand=touch /tmp/x' },
      { host: 'two words' },
      { host: '' },
      { host: 'h', user: 'a@b' },
      { host: 'h', port: 0 },
      { host: 'h', port: 1.5 },
      { host: 'h', identityFile: '/my keys/id' },
      { host: 'h', knownHostsFile: "/k'h" },
      { host: 'h', controlDir: '/tmp/%d' },
      { host: 'h', connectTimeoutS: 0.5 },
      { host: 'h', proxyCommand: [] },
      { host: 'h', proxyCommand: ['sh', '-c', 'a\nb'] },
    ];
    for (const config of bad) expect(() => ssh({ host: 'h', ...config }), JSON.stringify(config)).toThrow(/^ssh: invalid/);
    expect(() => ssh({ host: 'h', controlDir: `/tmp/${'d'.repeat(80)}` })).toThrow(/too long for a unix socket/);
    const node = ssh({ host: 'h' });
    expect(() => node.wrap([])).toThrow('ssh h: empty command');
    await expect(node.exec([])).rejects.toThrow('ssh h: empty command');
    await node.close();
  });

  it('close removes the control directory it made, is idempotent, and later calls reject naming the host', async () => {
    // 127.0.0.1: `ssh -O exit` only talks to the (absent) control socket, but stay on loopback anyway.
    const node = ssh({ host: '127.0.0.1', configFile: '/dev/null' });
    const dir = options(node.wrap(['true'])).get('ControlPath')!.replace(/\/%C$/, '');
    expect(existsSync(dir)).toBe(true);
    await node.close();
    await node.close();
    expect(existsSync(dir)).toBe(false);
    await expect(node.exec(['true'])).rejects.toThrow('ssh 127.0.0.1: true: the connection was closed');
  });
});
