// The cluster file (targets/remote/cluster-file.ts): a good file gets every default; each kind of
// mistake is one line naming the file, the line and the field; the published schema is the one in
// the code; placeholders fill per node; and the default commands' scripts do what they say on a
// plain local process (no ssh here: test/integration/remote-cluster.test.ts runs them over ssh).
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../histories/errors.js';
import { run } from '../control/local.js';
import type { SshControl } from '../control/ssh.js';
import { clusterFileSchema, COMMAND_NAMES, parseClusterFile, readClusterFile, TARGET_DEFAULTS } from '../targets/remote/index.js';
import { fill, fillArgv, placeholdersIn } from '../targets/remote/placeholders.js';
import { RemoteEtcdTarget } from '../targets/remote/target.js';
import { PARTITION_CHAIN } from '../targets/remote/remnants.js';
import { PARTITION_CHAIN as NEMESIS_PARTITION_CHAIN } from '../nemesis/partition.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-cf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = join(dir, 'id_test');
writeFileSync(keyFile, 'not a real key\n');

/** A cluster file's text: one field a line, so each mistake has a line of its own. */
function text(o: Record<string, unknown> = {}, nodes?: unknown[]): string {
  const ns = nodes ?? [
    { name: 'n1', host: '10.0.0.1', key: keyFile },
    { name: 'n2', host: '10.0.0.2', port: 2222 },
    { name: 'n3', host: 'db3.example', ip: '10.0.0.3', user: 'admin' },
  ];
  return JSON.stringify({ target: 'etcd', nodes: ns, ...o }, null, 2);
}

/** The message parseClusterFile throws for `t`. */
function mistake(t: string): string {
  try {
    parseClusterFile(t, 'c.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a mistake');
}

/** The 1-based number of the last line of `t` containing `needle` (the first line, the opening brace, never). */
const lineOf = (t: string, needle: string) => t.split('\n').findLastIndex((l, i) => i > 0 && l.includes(needle)) + 1;

describe('cluster file', () => {
  it('fills every default', () => {
    const spec = parseClusterFile(text(), join(dir, 'c.json'));
    expect(spec.target).toBe('etcd');
    expect(spec.nodes).toEqual([
      { name: 'n1', host: '10.0.0.1', ip: '10.0.0.1', user: 'root', port: 22, key: keyFile },
      { name: 'n2', host: '10.0.0.2', ip: '10.0.0.2', user: 'root', port: 2222 },
      { name: 'n3', host: 'db3.example', ip: '10.0.0.3', user: 'admin', port: 22 },
    ]);
    expect(spec.workDir).toBe('/var/lib/faultline/{node}');
    expect(Object.keys(spec.commands).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(spec.commands).toEqual(TARGET_DEFAULTS.etcd.commands);
    expect(spec.logs).toEqual(['{logFile}']);
    expect(spec.ports).toEqual({ client: 2379, peer: 2380 });
    expect(spec.etcd).toEqual({ heartbeatMs: 50, electionTimeoutMs: 500 });
    expect(spec.ssh).toEqual({ connectTimeout: 10 });
    expect(spec.timeouts).toEqual({ install: 600, command: 20, ready: 30 });
    expect(spec.file).toBe(join(dir, 'c.json'));
  });

  it('keeps what the file overrides, and resolves local paths: ~/ is home, relative is next to the file', () => {
    writeFileSync(join(dir, 'known'), '');
    const spec = parseClusterFile(
      text({ commands: { start: ['my-start', '{node}'] }, logs: ['/var/log/x.log', '{workDir}/y.log'], ports: { client: 12379 }, ssh: { knownHosts: 'known', via: 'lab', strictHostKeyChecking: false, config: '/dev/null' } }),
      join(dir, 'c.json'),
    );
    expect(spec.commands.start).toEqual(['my-start', '{node}']);
    expect(spec.commands.kill).toEqual(TARGET_DEFAULTS.etcd.commands.kill);
    expect(spec.logs).toEqual(['/var/log/x.log', '{workDir}/y.log']);
    expect(spec.ports).toEqual({ client: 12379, peer: 2380 });
    expect(spec.ssh).toEqual({ knownHosts: join(dir, 'known'), via: 'lab', strictHostKeyChecking: false, config: '/dev/null', connectTimeout: 10 });
    const home = text({}, [{ name: 'n1', host: '10.0.0.1', key: '~/no-such-key-here' }]);
    expect(mistake(home)).toBe(`c.json:${lineOf(home, '"key"')}: "nodes.0.key": no such file ${resolve(homedir(), 'no-such-key-here')}`);
  });

  it('names the file, the line and the field of each kind of mistake, in one line', () => {
    const cases: [string, string, string | RegExp][] = [
      [text({}, [{ name: 'n1', host: '10.0.0.1' }, { name: 'n2', host: '10.0.0.2', port: 70000 }]), '"port"', '"nodes.1.port" must be <= 65535, got 70000'],
      [text({}, [{ name: 'n1', host: '10.0.0.1', hostname: 'x' }]), '"hostname"', 'unknown field "nodes.0.hostname"'],
      [text({}, [{ name: 'n1' }]), '{', '"nodes.0.host" is missing'],
      [text({ target: 'redis' }), '"target"', '"target" must be one of "etcd", got "redis"'],
      [text({}, [{ name: 'n 1', host: '10.0.0.1' }]), '"name"', '"nodes.0.name" must be 1-32 letters, digits, _ . or -, got "n 1"'],
      [text({}, [{ name: 'n1', host: '-oProxyCommand=x' }]), '"host"', /"nodes\.0\.host" must be a host name or address/],
      [text({}, [{ name: 'n1', host: '10.0.0.1', ip: '10.0.0.300' }]), '"ip"', '"nodes.0.ip" must be an IPv4 address, got "10.0.0.300"'],
      [text({}, [{ name: 'n1', host: 'db1.example' }]), '"host"', /"nodes\.0\.host" is "db1\.example", not an IPv4 address: add "ip"/],
      [text({}, [{ name: 'n1', host: '10.0.0.1' }, { name: 'n1', host: '10.0.0.2' }]), '"n1"', '"nodes.1.name" repeats "nodes.0.name" ("n1")'],
      [text({}, [{ name: 'n1', host: '10.0.0.1' }, { name: 'n2', host: 'b', ip: '10.0.0.1' }]), '"ip"', '"nodes.1" has the address 10.0.0.1 of "nodes.0": one node per address'],
      [text({}, [{ name: 'n1', host: '10.0.0.1', key: 'missing_key' }]), '"key"', `"nodes.0.key": no such file ${resolve('missing_key')}` /* relative to c.json, here in the working directory */],
      [text({}, [{ name: 'n1', host: '10.0.0.1', user: 'a b' }]), '"user"', '"nodes.0.user" must be a user name (letters, digits, _ . -), got "a b"'],
      [text({}, []), '"nodes"', '"nodes" must NOT have fewer than 1 items, got []'],
      [text({ workDir: 'var/lib' }), '"workDir"', '"workDir" must be an absolute path, got "var/lib"'],
      [text({ workDir: '/srv/../etc' }), '"workDir"', '"workDir" must be a directory below / without "..", got "/srv/../etc"'],
      [text({ workDir: '/srv/{dataDir}' }), '"workDir"', /"workDir" uses \{dataDir\}, which is not a placeholder here \(it may use \{node\} \{host\} \{ip\} \{runId\}\)/],
      [text({ commands: { start: ['etcd', '--name', '{nodename}'] } }), '"{nodename}"', /^c\.json:\d+: "commands\.start\.2" uses \{nodename\}, which is not a placeholder here \(see docs\/remote\.md/],
      [text({ commands: { stop: [] } }), '"stop"', '"commands.stop" must NOT have fewer than 1 items, got []'],
      [text({ commands: { restart: ['x'] } }), '"restart"', 'unknown field "commands.restart"'],
      [text({ logs: ['etcd.log'] }), '"etcd.log"', '"logs.0" must be an absolute path, got "etcd.log"'],
      [text({ etcd: { heartbeatMs: 100, electionTimeoutMs: 300 } }), '"electionTimeoutMs"', '"etcd.electionTimeoutMs" must be at least 5 × etcd.heartbeatMs (500), got 300'],
      [text({ ssh: { via: 'bad ns' } }), '"via"', '"ssh.via" must be a network namespace name, got "bad ns"'],
      [text({ ssh: { connectTimeout: 0 } }), '"connectTimeout"', '"ssh.connectTimeout" must be >= 1, got 0'],
      [text({ timeouts: { ready: -1 } }), '"ready"', '"timeouts.ready" must be > 0, got -1'],
    ];
    for (const [t, where, why] of cases) {
      const message = mistake(t);
      const prefix = `c.json:${lineOf(t, where)}: `;
      expect(message.startsWith(prefix), `${message} (expected ${prefix})`).toBe(true);
      if (typeof why === 'string') expect(message).toBe(prefix + why);
      else expect(message).toMatch(why);
    }
  });

  it('says where the JSON breaks, and what is not a cluster file', () => {
    expect(mistake('{\n  "target": "etcd",\n  "nodes": [,]\n}')).toMatch(/^c\.json:3: not valid JSON \(Unexpected token/);
    expect(mistake('{\n  "target": "etcd",\n  "nodes": []\n  "logs": []\n}')).toMatch(/^c\.json:4: not valid JSON/);
    expect(mistake('{\n  "target": "etcd"\n}\n}')).toMatch(/^c\.json:4: not valid JSON/);
    expect(mistake('[1]')).toBe('c.json:1: a cluster file must be a JSON object');
    expect(mistake('{\n  "nodes": []\n}')).toBe('c.json:1: "target" is missing');
    expect(() => readClusterFile(join(dir, 'nope.json'))).toThrow(`cannot read cluster file ${join(dir, 'nope.json')}: ENOENT`);
  });

  it('publishes the schema it validates with', () => {
    const published = JSON.parse(readFileSync(new URL('../schemas/cluster.schema.json', import.meta.url), 'utf8'));
    // Regenerate: JSON.stringify(clusterFileSchema, null, 2) + '\n' into schemas/cluster.schema.json.
    expect(published).toEqual(JSON.parse(JSON.stringify(clusterFileSchema)));
  });

  it('the example for real machines is a valid cluster file (given its key exists)', () => {
    const example = readFileSync(new URL('../examples/cluster.json', import.meta.url), 'utf8');
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    const local = example.replaceAll('~/.ssh/id_ed25519', keyFile).replaceAll('~/.ssh/known_hosts', knownHosts);
    const spec = parseClusterFile(local, join(dir, 'cluster.json'));
    expect(spec.nodes.map((n) => [n.name, n.ip])).toEqual([
      ['n1', '10.0.0.11'],
      ['n2', '10.0.0.12'],
      ['n3', '10.0.0.13'],
    ]);
    expect(JSON.parse(example).$schema).toBe('../schemas/cluster.schema.json');
  });
});

describe('placeholders', () => {
  it('fill inside each element; a shell ${var} is not one', () => {
    expect(placeholdersIn('http://{ip}:{clientPort}/${x}{node}')).toEqual(['ip', 'clientPort', 'node']);
    expect(fillArgv(['--x={node}-{node}', '${node}', '{ node}'], { node: 'n1' })).toEqual(['--x=n1-n1', '${node}', '{ node}']);
    expect(() => fill('{dataDir}', { node: 'n1' })).toThrow('no value for the placeholder {dataDir}');
  });

  it('each node gets its own values; commands are argvs with them filled', () => {
    const spec = parseClusterFile(text({ workDir: '/srv/fl/{runId}/{node}/' }), join(dir, 'c.json'));
    const control = { where: 'fake', exec: async () => ({ stdout: '', stderr: '', exitCode: 0 }), wrap: (c: readonly string[]) => [...c], masterRunning: async () => true, close: async () => {}, forward: async () => {}, cancelForward: async () => {} } as SshControl;
    const hosts = spec.nodes.map((n) => ({ node: n.name, ip: n.ip, host: n.host, control }));
    const t = new RemoteEtcdTarget({ spec, hosts, dir: join(dir, 'run'), socketDir: '/tmp/s', runId: 'ab12', workload: 'register' });
    expect(t.values('n3', 'new')).toEqual({
      node: 'n3',
      host: 'db3.example',
      ip: '10.0.0.3',
      runId: 'ab12',
      clientPort: '2379',
      peerPort: '2380',
      workDir: '/srv/fl/ab12/n3',
      dataDir: '/srv/fl/ab12/n3/data',
      logFile: '/srv/fl/ab12/n3/etcd.log',
      pidFile: '/srv/fl/ab12/n3/etcd.pid',
      peers: '10.0.0.1,10.0.0.2',
      initialCluster: 'n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n3=http://10.0.0.3:2380',
      clusterState: 'new',
      heartbeatMs: '50',
      electionTimeoutMs: '500',
    });
    const start = t.command('n2', 'start', 'new');
    expect(start.slice(0, 2)).toEqual(['sh', '-c']);
    expect(start.slice(3, 8)).toEqual(['sh', '/srv/fl/ab12/n2/etcd.pid', '/srv/fl/ab12/n2/etcd.log', 'etcd', '--name']);
    expect(start).toContain('http://10.0.0.2:2379');
    expect(start).toContain('faultline-ab12');
    expect(start[start.indexOf('--initial-cluster-state') + 1]).toBe('new');
    expect(t.command('n2', 'start')[start.indexOf('--initial-cluster-state') + 1]).toBe('existing');
    expect(t.command('n1', 'kill').slice(3)).toEqual(['sh', '/srv/fl/ab12/n1/etcd.pid']);
    expect(t.logs('n1')).toEqual([join(dir, 'run', 'logs', 'n1', 'etcd.log')]);
    expect(t.socketPath('n1')).toBe('/tmp/s/n1.sock');
    // The lifeline heals this run's partition chain, then stops the node.
    expect(t.lossCommand('n1').slice(3, 5)).toEqual(['sh', 'faultline:ab12']);
    expect(t.lossCommand('n1').slice(5)).toEqual(t.command('n1', 'stop'));
    expect(PARTITION_CHAIN).toBe(NEMESIS_PARTITION_CHAIN);
  });
});

describe("the default commands' scripts, on a local process", () => {
  it('start, pause, resume, kill, start again, stop and clean do what they say', async () => {
    const work = join(dir, 'node');
    const v = { workDir: work, dataDir: `${work}/data`, pidFile: `${work}/x.pid`, logFile: `${work}/x.log` };
    const c = TARGET_DEFAULTS.etcd.commands;
    // The etcd start script, running `sleep` instead of etcd.
    const start = [...fillArgv(c.start.slice(0, 6), v), 'sleep', '30'];
    const sh = (argv: readonly string[]) => run(fillArgv(argv, v), { allowFailure: true });
    const pid = () => Number(readFileSync(v.pidFile, 'utf8'));
    const state = (p: number) => {
      try {
        const s = readFileSync(`/proc/${p}/stat`, 'utf8');
        return s.slice(s.lastIndexOf(')') + 2)[0];
      } catch {
        return undefined;
      }
    };
    let first: number | undefined;
    try {
      expect((await sh(start)).exitCode).toBe(0);
      first = pid();
      expect(state(first)).toMatch(/[RS]/);
      expect((await sh(start)).exitCode).toBe(0); // running already: nothing
      expect(pid()).toBe(first);
      expect((await sh(c.pause)).exitCode).toBe(0);
      expect(state(first)).toBe('T');
      expect((await sh(c.resume)).exitCode).toBe(0);
      expect(state(first)).toMatch(/[RS]/);
      expect((await sh(c.kill)).exitCode).toBe(0);
      expect(state(first) ?? 'Z').toBe('Z'); // gone, or dead and not yet reaped
      expect(existsSync(v.pidFile)).toBe(false);
      expect((await sh(c.kill)).exitCode).toBe(0); // nothing to kill: fine
      const paused = await sh(c.pause);
      expect(paused.exitCode).toBe(1);
      expect(paused.stderr).toContain(`not running (no live pid in ${v.pidFile})`);
      expect((await sh(start)).exitCode).toBe(0);
      const second = pid();
      expect(second).not.toBe(first);
      await sh(c.pause);
      expect((await sh(c.stop)).exitCode).toBe(0); // a paused process stops too
      expect(state(second) ?? 'Z').toBe('Z');
      expect(existsSync(v.pidFile)).toBe(false);
      const quick = await sh([...fillArgv(c.start.slice(0, 6), v), 'sh', '-c', 'echo it broke; exit 1']);
      expect(quick.exitCode).toBe(1);
      expect(quick.stderr).toContain('sh exited at once');
      expect(quick.stderr).toContain('it broke');
      expect((await sh(c.clean)).exitCode).toBe(0);
      expect(existsSync(work)).toBe(false);
    } finally {
      if (existsSync(v.pidFile)) await sh(c.stop);
      if (first !== undefined && state(first) === 'T') process.kill(first, 'SIGKILL');
    }
  });
});
