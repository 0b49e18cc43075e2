// The cluster file (targets/remote/cluster-file.ts): a good file gets every default and names its
// system (a built-in one by name, a description by a path relative to the file, or the older
// "target"); each kind of mistake is one line naming the file, the line and the field — a
// description's own mistake names the description's file and line; the published schema is the
// one in the code; and a remote node's placeholder values and lifeline follow the cluster file
// (the scripts themselves: test/remote-scripts.test.ts; over ssh: test/integration/remote-*.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../histories/errors.js';
import { clusterFileSchema, createRemoteCluster, lossCommand, parseClusterFile, readClusterFile, workDirOf } from '../targets/remote/index.js';
import { PARTITION_CHAIN } from '../targets/remote/remnants.js';
import { PARTITION_CHAIN as NEMESIS_PARTITION_CHAIN } from '../nemesis/partition.js';
import { packageRoot } from '../targets/system/description.js';
import { remoteScripts } from '../targets/system/remote-scripts.js';

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
  return JSON.stringify({ system: 'etcd', nodes: ns, ...o }, null, 2);
}

/** The message parseClusterFile throws for `t` (read as `file`, default c.json in the working directory). */
function mistake(t: string, file = 'c.json'): string {
  try {
    parseClusterFile(t, file);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a mistake');
}

/** The 1-based number of the last line of `t` containing `needle` (the first line, the opening brace, never). */
const lineOf = (t: string, needle: string) => t.split('\n').findLastIndex((l, i) => i > 0 && l.includes(needle)) + 1;

/** Writes a system description into the test folder and returns its path. */
function description(name: string, o: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({ name, ports: { client: 7000, peer: 7001 }, options: { tick: '5' }, start: ['kv', '--id', '{node}'], health: ['true'], client: { builtin: 'etcd' }, ...o }, null, 2),
  );
  return file;
}

describe('cluster file', () => {
  it('fills every default; "system" names a built-in description', () => {
    const spec = parseClusterFile(text(), join(dir, 'c.json'));
    expect(spec.system).toBe(join(packageRoot(), 'systems', 'etcd.json'));
    expect(spec.description.name).toBe('etcd');
    expect(spec.description.file).toBe(spec.system);
    expect(spec.nodes).toEqual([
      { name: 'n1', host: '10.0.0.1', ip: '10.0.0.1', user: 'root', port: 22, key: keyFile },
      { name: 'n2', host: '10.0.0.2', ip: '10.0.0.2', user: 'root', port: 2222 },
      { name: 'n3', host: 'db3.example', ip: '10.0.0.3', user: 'admin', port: 22 },
    ]);
    expect(spec.workDir).toBe('/var/lib/faultline/{node}');
    expect(spec.ports).toEqual({});
    expect(spec.options).toEqual({});
    expect(spec.timeouts).toEqual({});
    expect(spec.disposable).toBe(false);
    expect(spec.ssh).toEqual({ connectTimeout: 10 });
    expect(spec.file).toBe(join(dir, 'c.json'));
    expect(Object.keys(spec).sort()).toEqual(['description', 'disposable', 'file', 'nodes', 'options', 'ports', 'ssh', 'system', 'timeouts', 'workDir']);
  });

  it('"system" may be a description file, relative to the cluster file; "target" is the older name of a built-in one', () => {
    const path = description('kv');
    const spec = parseClusterFile(text({ system: 'kv.json' }), join(dir, 'c.json'));
    expect(spec.system).toBe(path);
    expect(spec.description.name).toBe('kv');
    expect(spec.description.options).toEqual({ tick: '5' });
    for (const name of ['etcd', 'redis', 'postgres']) {
      const t = JSON.stringify({ target: name, nodes: [{ name: 'n1', host: '10.0.0.1' }] });
      const old = parseClusterFile(t, join(dir, 'c.json'));
      expect(old.system).toBe(join(packageRoot(), 'systems', `${name}.json`));
      expect(old.description.name).toBe(name);
    }
  });

  it('keeps what the file sets: ports, options as text, timeouts, disposable; resolves local paths: ~/ is home, relative is next to the file', () => {
    writeFileSync(join(dir, 'known'), '');
    const spec = parseClusterFile(
      text({
        ports: { client: 12379 },
        options: { electionTimeoutMs: 1000, heartbeatMs: '100' },
        timeouts: { ready: 90, stop: 3 },
        disposable: true,
        ssh: { knownHosts: 'known', via: 'lab', strictHostKeyChecking: false, config: '/dev/null' },
      }),
      join(dir, 'c.json'),
    );
    expect(spec.ports).toEqual({ client: 12379 });
    expect(spec.options).toEqual({ electionTimeoutMs: '1000', heartbeatMs: '100' });
    expect(spec.timeouts).toEqual({ ready: 90, stop: 3 });
    expect(spec.disposable).toBe(true);
    expect(spec.ssh).toEqual({ knownHosts: join(dir, 'known'), via: 'lab', strictHostKeyChecking: false, config: '/dev/null', connectTimeout: 10 });
    const home = text({}, [{ name: 'n1', host: '10.0.0.1', key: '~/no-such-key-here' }]);
    expect(mistake(home)).toBe(`c.json:${lineOf(home, '"key"')}: "nodes.0.key": no such file ${resolve(homedir(), 'no-such-key-here')}`);
  });

  it('the etcd section is the older spelling of the etcd options: an option given both ways keeps "options"', () => {
    expect(parseClusterFile(text({ etcd: { heartbeatMs: 100, electionTimeoutMs: 1000 } }), join(dir, 'c.json')).options).toEqual({ heartbeatMs: '100', electionTimeoutMs: '1000' });
    expect(parseClusterFile(text({ etcd: { heartbeatMs: 100, electionTimeoutMs: 1000 }, options: { electionTimeoutMs: 2000 } }), join(dir, 'c.json')).options).toEqual({ heartbeatMs: '100', electionTimeoutMs: '2000' });
  });

  it('names the file, the line and the field of each kind of mistake, in one line', () => {
    const kv = description('kv');
    const file = join(dir, 'c.json');
    const etcd = join(packageRoot(), 'systems', 'etcd.json');
    const cases: [string, string, string | RegExp][] = [
      [text({}, [{ name: 'n1', host: '10.0.0.1' }, { name: 'n2', host: '10.0.0.2', port: 70000 }]), '"port"', '"nodes.1.port" must be <= 65535, got 70000'],
      [text({}, [{ name: 'n1', host: '10.0.0.1', hostname: 'x' }]), '"hostname"', 'unknown field "nodes.0.hostname"'],
      [text({}, [{ name: 'n1' }]), '{', '"nodes.0.host" is missing'],
      [text({}, [{ name: 'n 1', host: '10.0.0.1' }]), '"name"', '"nodes.0.name" must be 1-32 letters, digits, _ . or -, got "n 1"'],
      [text({}, [{ name: 'n1', host: '-oProxyCommand=x' }]), '"host"', /"nodes\.0\.host" must be a host name or address/],
      [text({}, [{ name: 'n1', host: '10.0.0.1', ip: '10.0.0.300' }]), '"ip"', '"nodes.0.ip" must be an IPv4 address, got "10.0.0.300"'],
      [text({}, [{ name: 'n1', host: 'db1.example' }]), '"host"', /"nodes\.0\.host" is "db1\.example", not an IPv4 address: add "ip"/],
      [text({}, [{ name: 'n1', host: '10.0.0.1' }, { name: 'n1', host: '10.0.0.2' }]), '"n1"', '"nodes.1.name" repeats "nodes.0.name" ("n1")'],
      [text({}, [{ name: 'n1', host: '10.0.0.1' }, { name: 'n2', host: 'b', ip: '10.0.0.1' }]), '"ip"', '"nodes.1" has the address 10.0.0.1 of "nodes.0": one node per address'],
      [text({}, [{ name: 'n1', host: '10.0.0.1', key: 'missing_key' }]), '"key"', `"nodes.0.key": no such file ${join(dir, 'missing_key')}` /* relative to the cluster file */],
      [text({}, [{ name: 'n1', host: '10.0.0.1', user: 'a b' }]), '"user"', '"nodes.0.user" must be a user name (letters, digits, _ . -), got "a b"'],
      [text({}, []), '"nodes"', '"nodes" must NOT have fewer than 1 items, got []'],
      [text({ workDir: 'var/lib' }), '"workDir"', '"workDir" must be an absolute path, got "var/lib"'],
      [text({ workDir: '/srv/../etc' }), '"workDir"', '"workDir" must be a directory below / without "..", got "/srv/../etc"'],
      [text({ workDir: '/srv/{dataDir}' }), '"workDir"', /"workDir" uses \{dataDir\}, which is not a placeholder here \(it may use \{node\} \{host\} \{ip\} \{runId\}\)/],
      [text({ ssh: { via: 'bad ns' } }), '"via"', '"ssh.via" must be a network namespace name, got "bad ns"'],
      [text({ ssh: { connectTimeout: 0 } }), '"connectTimeout"', '"ssh.connectTimeout" must be >= 1, got 0'],
      [text({ timeouts: { ready: -1 } }), '"ready"', '"timeouts.ready" must be > 0, got -1'],
      [text({ timeouts: { restart: 5, boot: 1 } }), '"boot"', 'unknown field "timeouts.boot"'],
      [text({ disposable: 'yes' }), '"disposable"', '"disposable" must be boolean, got "yes"'],
      // The system: named, known, one way only.
      [text({ system: '' }), '"system"', '"system" must NOT have fewer than 1 characters, got ""'],
      [text({ system: 'mysql' }), '"system"', `"system": no such system description ${join(dir, 'mysql')} (a path relative to ${file}, or one of etcd, redis, postgres, postgres-patroni)`],
      [text({ system: undefined, target: 'mysql' }), '"target"', '"target" must be one of "etcd", "redis", "postgres", "postgres-patroni", got "mysql"'],
      [text({ target: 'etcd' }), '"target"', '"target" is the older name of "system": give one of them'],
      // Fields that moved into the system description.
      [text({ commands: { start: ['etcd'] } }), '"commands"', /^\S+c\.json:\d+: "commands" now belongs to the system description \(docs\/systems\.md\): copy the description the file names \(e\.g\. systems\/etcd\.json\), change it there, and name it in "system"$/],
      [text({ logs: ['/var/log/etcd.log'] }), '"logs"', /^\S+c\.json:\d+: "logs" now belongs to the system description/],
      // Options and ports must be the description's.
      [text({ options: { heartbeat: 100 } }), '"heartbeat"', `"options.heartbeat": etcd has no such option (its options: heartbeatMs, electionTimeoutMs; ${etcd})`],
      [text({ options: { heartbeatMs: { ms: 1 } } }), '"heartbeatMs"', '"options.heartbeatMs" must be string,number,boolean, got {"ms":1}'],
      [text({ ports: { http: 8080 } }), '"http"', '"ports.http": etcd has no such port (its ports: client, peer)'],
      [text({ ports: { client: 0 } }), '"client"', '"ports.client" must be >= 1, got 0'],
      [text({ system: 'kv.json', ports: { admin: 9000 } }), '"admin"', '"ports.admin": kv has no such port (its ports: client, peer)'],
      [text({ system: 'kv.json', options: { tock: 1 } }), '"tock"', `"options.tock": kv has no such option (its options: tick; ${kv})`],
      // The etcd section: for etcd only, and etcd's timing rule, at the field that breaks it.
      [text({ system: 'redis', etcd: { heartbeatMs: 100 } }), '"etcd"', '"etcd" is for the etcd system; redis takes "options"'],
      [text({ etcd: { heartbeatMs: 100, electionTimeoutMs: 300 } }), '"electionTimeoutMs"', 'the election timeout (300 ms) must be at least 5 heartbeats (500 ms)'],
      [text({ options: { electionTimeoutMs: 200 } }), '"electionTimeoutMs"', 'the election timeout (200 ms) must be at least 5 heartbeats (250 ms)'],
      [text({ etcd: { heartbeatMs: 0 } }), '"heartbeatMs"', '"etcd.heartbeatMs" must be >= 1, got 0'],
      [text({ etcd: { electionTimeout: 500 } }), '"electionTimeout"', 'unknown field "etcd.electionTimeout"'],
    ];
    for (const [t, where, why] of cases) {
      const message = mistake(t, file);
      const prefix = `${file}:${lineOf(t, where)}: `;
      expect(message.startsWith(prefix), `${message} (expected ${prefix})`).toBe(true);
      if (typeof why === 'string') expect(message).toBe(prefix + why);
      else expect(message).toMatch(why);
    }
  });

  it('a missing "system" is named at the top of the file', () => {
    const t = JSON.stringify({ nodes: [{ name: 'n1', host: '10.0.0.1' }] }, null, 2);
    expect(mistake(t)).toBe('c.json:1: "system" is missing: a system description (a path) or etcd, redis, postgres');
  });

  it("a mistake in the description it names is that description's: its file and line, not the cluster file's", () => {
    const bad = description('typo', { heath: ['true'] });
    const badText = readFileSync(bad, 'utf8');
    expect(mistake(text({ system: 'typo.json' }), join(dir, 'c.json'))).toBe(`${bad}:${lineOf(badText, '"heath"')}: unknown field "heath"`);
    const unplaced = description('unplaced', { start: ['kv', '--id', '{nodeName}'] });
    expect(mistake(text({ system: 'unplaced.json' }), join(dir, 'c.json'))).toMatch(new RegExp(`^${unplaced.replaceAll('.', '\\.')}:\\d+: "start\\.2" uses \\{nodeName\\}, which is not a placeholder here`));
    writeFileSync(join(dir, 'broken.json'), '{\n  "name": "broken",\n  "start": [,]\n}\n');
    expect(mistake(text({ system: 'broken.json' }), join(dir, 'c.json'))).toMatch(new RegExp(`^${join(dir, 'broken.json').replaceAll('.', '\\.')}:3: not valid JSON`));
  });

  it('says where the JSON breaks, and what is not a cluster file', () => {
    expect(mistake('{\n  "system": "etcd",\n  "nodes": [,]\n}')).toMatch(/^c\.json:3: not valid JSON \(Unexpected token/);
    expect(mistake('{\n  "system": "etcd",\n  "nodes": []\n  "ports": {}\n}')).toMatch(/^c\.json:4: not valid JSON/);
    expect(mistake('{\n  "system": "etcd"\n}\n}')).toMatch(/^c\.json:4: not valid JSON/);
    expect(mistake('[1]')).toBe('c.json:1: a cluster file must be a JSON object');
    expect(mistake('{\n  "system": "etcd"\n}')).toBe('c.json:1: "nodes" is missing');
    expect(() => readClusterFile(join(dir, 'nope.json'))).toThrow(`cannot read cluster file ${join(dir, 'nope.json')}: ENOENT`);
  });

  it('publishes the schema it validates with', () => {
    const published = readFileSync(new URL('../schemas/cluster.schema.json', import.meta.url), 'utf8');
    // Regenerate: JSON.stringify(clusterFileSchema, null, 2) + '\n' into schemas/cluster.schema.json.
    expect(published).toBe(JSON.stringify(clusterFileSchema, null, 2) + '\n');
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
    expect(spec.description.name).toBe('etcd');
    expect(JSON.parse(example).$schema).toBe('../schemas/cluster.schema.json');
  });
});

describe('a remote cluster from its file (nothing connects)', () => {
  it("each node's placeholders: folders under its workDir, its own address, the cluster file's ports and options over the description's", async () => {
    const spec = parseClusterFile(text({ workDir: '/srv/fl/{runId}/{node}/', ports: { client: 12379 }, options: { electionTimeoutMs: 1000 } }), join(dir, 'c.json'));
    expect(workDirOf(spec, spec.nodes[2], 'ab12')).toBe('/srv/fl/ab12/n3');
    const socketsBefore = readdirSync(tmpdir()).filter((f) => f.startsWith('fl-ab12-'));
    const cluster = createRemoteCluster(spec, { dir: join(dir, 'run'), runId: 'ab12', options: { heartbeatMs: '200' } });
    try {
      const t = cluster.target;
      expect(t.nodes).toEqual(['n1', 'n2', 'n3']);
      expect(t.values('n3', 'new')).toMatchObject({
        node: 'n3',
        index: '3',
        host: 'db3.example',
        ip: '10.0.0.3',
        runId: 'ab12',
        'port.client': '12379',
        'port.peer': '2380',
        dataDir: '/srv/fl/ab12/n3/data',
        logDir: '/srv/fl/ab12/n3/logs',
        peers: '10.0.0.1,10.0.0.2',
        nodes: 'n1,n2,n3',
        clientIp: '10.0.0.3', // ssh forwards client connections from the host itself
        initialCluster: 'n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n3=http://10.0.0.3:2380',
        clusterState: 'new',
        heartbeatMs: '200', // the run's own option over the cluster file's and the description's
        electionTimeoutMs: '1000',
      });
      expect(t.values('n1').clusterState).toBe('existing');
      expect(t.dataDir('n2')).toBe('/srv/fl/ab12/n2/data');
      expect(cluster.hosts.map((h) => [h.node, h.ip, h.control.where])).toEqual([
        ['n1', '10.0.0.1', 'ssh root@10.0.0.1:22'],
        ['n2', '10.0.0.2', 'ssh root@10.0.0.2:2222'],
        ['n3', '10.0.0.3', 'ssh admin@db3.example:22'],
      ]);
      expect(cluster.disposable).toBe(false);
      // Before setup, nothing runs there: a kill or a pause is refused, not sent.
      await expect(t.kill('n1')).rejects.toThrow('etcd: cannot kill n1: the cluster is not set up');
    } finally {
      await cluster.close();
    }
    // The run's folder for ssh's control sockets and the forwarded client sockets is gone again.
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('fl-ab12-'))).toEqual(socketsBefore);
  });

  it("a node's lifeline heals the run's network faults there, then stops every daemon of its workDir", () => {
    const loss = lossCommand('ab12', '/srv/fl/n1', 10);
    expect(loss.slice(0, 2)).toEqual(['sh', '-c']);
    expect(loss[3]).toBe('sh');
    expect(loss[4]).toBe('faultline:ab12');
    expect(loss.slice(5)).toEqual(remoteScripts.stopAll('/srv/fl/n1', 10));
    expect(PARTITION_CHAIN).toBe(NEMESIS_PARTITION_CHAIN);
  });

  it('a run id that cannot tag rules is refused before anything is made', () => {
    const spec = parseClusterFile(text(), join(dir, 'c.json'));
    expect(() => createRemoteCluster(spec, { dir: join(dir, 'run'), runId: 'Bad-Id' })).toThrow('remote cluster: run id "Bad-Id" must be 1-12 lowercase letters or digits');
  });
});
