// The system description (targets/system/description.ts): a good file gets every default; each
// kind of mistake is one line naming the file, the line and the field; every placeholder is
// checked where it is used; the published schema is the one in the code; faultline's own
// descriptions (systems/*.json) read cleanly; and a node's placeholder values are what
// docs/systems.md says.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../histories/errors.js';
import { BUILTIN_SYSTEMS, parseSystemDescription, readSystemDescription, systemDescriptionSchema, systemPath } from '../targets/system/description.js';
import { fill, fillArgv, placeholdersIn } from '../targets/system/placeholders.js';
import { SystemTarget, type SystemNode } from '../targets/system/target.js';
import type { Machine } from '../targets/system/machine.js';

/** A description's text: one field a line, so each mistake has a line of its own. */
function text(o: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: 'kv', ports: { client: 7000, peer: 7001 }, start: ['kv-server', '--id', '{node}', '--listen', '{ip}:{port.client}'], health: ['kv-ping', '{ip}:{port.client}'], client: { adapter: ['python3', '{systemDir}/kv.py'] }, ...o }, null, 2);
}

function mistake(t: string): string {
  try {
    parseSystemDescription(t, 'kv.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a mistake');
}

/** The 1-based number of the last line of `t` containing `needle`. */
const lineOf = (t: string, needle: string) => t.split('\n').findLastIndex((l, i) => i > 0 && l.includes(needle)) + 1;

describe('system description', () => {
  it('fills every default', () => {
    const d = parseSystemDescription(text(), '/somewhere/kv.json');
    expect(d).toMatchObject({
      file: '/somewhere/kv.json',
      dir: '/somewhere',
      name: 'kv',
      nodes: 3,
      packages: [],
      requires: [],
      env: {},
      peerPorts: [],
      options: {},
      values: {},
      files: {},
      setup: [],
      startOrder: 'parallel',
      sidecars: [],
      logs: [],
      client: { kind: 'adapter', adapter: ['python3', '{systemDir}/kv.py'], port: 'client', packages: [], requires: [] },
      timeouts: { install: 600, command: 30, ready: 60, restart: 10, stop: 10 },
    });
    expect(d.kill).toBeUndefined();
    expect(d.user).toBeUndefined();
  });

  it('keeps what it says: files as lines, options as text, a built-in client with its defaults', () => {
    const d = parseSystemDescription(
      text({
        options: { electionMs: 500, verbose: true },
        values: { routes: { each: 'peers', format: 'r://{ip}:{port.peer}' } },
        files: { '{dataDir}/kv.conf': ['id {node}', 'peers {routes}'] },
        client: { builtin: 'etcd' },
      }),
      'kv.json',
    );
    expect(d.options).toEqual({ electionMs: '500', verbose: 'true' });
    expect(d.values.routes).toEqual({ each: 'peers', format: 'r://{ip}:{port.peer}', join: ',' });
    expect(d.files).toEqual({ '{dataDir}/kv.conf': 'id {node}\npeers {routes}\n' });
    expect(d.client).toMatchObject({ kind: 'builtin', builtin: 'etcd', port: 'client' });
  });

  it('names the file, the line and the field of each mistake', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ name: 'Bad Name' }, '"name"', '"name" must be lowercase letters, digits and - (at most 32), got "Bad Name"'],
      [{ extra: 1 }, '"extra"', 'unknown field "extra"'],
      [{ ports: { client: 70000 } }, '"client": 70000', '"ports.client" must be <= 65535, got 70000'],
      [{ start: [] }, '"start"', '"start" must NOT have fewer than 1 items, got []'],
      [{ start: ['srv', '{nodename}'] }, '"{nodename}"', '"start.1" uses {nodename}, which is not a placeholder here (not a node placeholder; see docs/systems.md for the list); write ${nodename} for a shell variable'],
      [{ health: ['ping', '{port.admin}'] }, '"{port.admin}"', '"health.1" uses {port.admin}, which is not a placeholder here ("ports" has no "admin"); write ${port.admin} for a shell variable'],
      [{ peerPorts: ['gossip'] }, '"gossip"', '"peerPorts.0" names the port "gossip", which "ports" does not have (client, peer)'],
      [{ files: { '/etc/kv.conf': 'x' } }, '"/etc/kv.conf"', 'the file "/etc/kv.conf" must be inside the node\'s folders: start it with {dataDir}/ or {logDir}/ (no "..")'],
      [{ files: { '{dataDir}/../x': 'x' } }, '"{dataDir}/../x"', 'the file "{dataDir}/../x" must be inside the node\'s folders: start it with {dataDir}/ or {logDir}/ (no "..")'],
      [{ options: { node: 'x' } }, '"node": "x"', '"options.node" is the name of one of faultline\'s placeholders ({node}); choose another'],
      [{ options: { a: '1' }, values: { a: { each: 'nodes', format: '{ip}' } } }, '"a": {', '"values.a" has the name of an option; choose another'],
      [{ values: { r: { each: 'nodes', format: '{dataDir}' } } }, '"format"', '"values.r.format" uses {dataDir}, which is not a placeholder here (a value\'s format may use {node} {index} {ip} {host} {port.NAME} and options; see docs/systems.md for the list); write ${dataDir} for a shell variable'],
      [{ pause: ['kill', '-STOP', '1'] }, '"pause"', '"pause" and "resume" go together: give both or neither (the default pair signals the process)'],
      [{ client: { adapter: ['a'], builtin: 'etcd' } }, '"client"', '"client" needs either "adapter" (a program of yours, docs/stdio.md) or "builtin" (etcd, redis or postgres)'],
      [{ client: { builtin: 'redis' } }, '"client"', '"client.ports" is missing: the redis client needs {"server": PORT, "sentinel": PORT} (names in "ports")'],
      [{ client: { builtin: 'postgres', workloads: ['counter'] } }, '"counter"', '"client.workloads.0": the postgres client serves list-append, rw-register, register, set, not "counter"'],
      [{ client: { builtin: 'etcd', patroni: 'client' } }, '"patroni"', '"client.patroni" is for postgres'],
      [{ client: { builtin: 'postgres', patroni: 'rest' } }, '"rest"', '"client.patroni" names the port "rest", which "ports" does not have (client, peer)'],
      [{ client: { adapter: ['{dataDir}/a'] } }, '"{dataDir}/a"', '"client.adapter.0" uses {dataDir}, which is not a placeholder here (the client may use {systemDir} {runId} {nodes} and options; see docs/systems.md for the list); write ${dataDir} for a shell variable'],
      [{ client: { adapter: ['a'], port: 'admin' } }, '"admin"', '"client.port" names the port "admin", which "ports" does not have (client, peer)'],
      [{ sidecars: [{ name: 'node', start: ['x'] }] }, '"node"', '"node" is the name of the node\'s own process; choose another'],
      [{ timeouts: { ready: 0 } }, '"ready"', '"timeouts.ready" must be > 0, got 0'],
    ];
    const wrong = cases.flatMap(([o, needle, why]) => {
      const t = text(o);
      const got = mistake(t);
      const want = `kv.json:${lineOf(t, needle)}: ${why}`;
      return got === want ? [] : [`${JSON.stringify(o)}\n  got  ${got}\n  want ${want}`];
    });
    expect(wrong.join('\n')).toBe('');
  });

  it('says where broken JSON breaks, and what a description must be', () => {
    expect(mistake('{\n  "name": "kv",\n  "start": [\n}\n')).toMatch(/^kv\.json:4: not valid JSON \(/);
    expect(mistake('[1, 2]')).toBe('kv.json:1: a system description must be a JSON object');
    expect(mistake('{\n  "name": "kv"\n}')).toBe('kv.json:1: "start" is missing');
    expect(() => readSystemDescription('/no/such/file.json')).toThrow('cannot read system description /no/such/file.json: ENOENT');
  });

  it('publishes the schema it validates with', () => {
    const published = JSON.parse(readFileSync(new URL('../schemas/system.schema.json', import.meta.url), 'utf8'));
    // Regenerate: JSON.stringify(systemDescriptionSchema, null, 2) + '\n' into schemas/system.schema.json.
    expect(published).toEqual(JSON.parse(JSON.stringify(systemDescriptionSchema)));
  });

  it("reads faultline's own systems, by name or path", () => {
    for (const name of BUILTIN_SYSTEMS) {
      const d = readSystemDescription(systemPath(name));
      expect(d.name).toBe(name);
      expect(d.file).toBe(resolve('systems', `${name}.json`));
    }
    expect(systemPath('examples/x.json', '/base')).toBe('/base/examples/x.json');
  });
});

describe('placeholders', () => {
  it('are words or word.word in braces, not after $', () => {
    expect(placeholdersIn('{node}:{port.client} ${HOME} {"json": 1} {a.b.c}')).toEqual(['node', 'port.client']);
    expect(fill('{node}@{port.client}', { node: 'n1', 'port.client': '7000' })).toBe('n1@7000');
    expect(() => fill('{nope}', {})).toThrow('no value for the placeholder {nope}');
    expect(fillArgv(['a{x}', '${x}'], { x: '1' })).toEqual(['a1', '${x}']);
  });

  it("fill a node's values as docs/systems.md says", () => {
    const d = parseSystemDescription(
      text({
        user: 'kv',
        options: { electionMs: 500 },
        values: { all: { each: 'nodes', format: '{node}={ip}:{port.peer}' }, others: { each: 'peers', format: '{index}', join: ';' }, seed: { each: 'first', format: '{ip}' } },
      }),
      '/d/kv.json',
    );
    const machine = {} as Machine;
    const nodes: SystemNode[] = ['n1', 'n2', 'n3'].map((node, i) => ({
      node,
      ip: `198.18.0.${i + 1}`,
      host: `h${i + 1}`,
      machine,
      dataDir: `/run/data/${node}`,
      logDir: `/run/logs/${node}`,
      localLogDir: `/run/logs/${node}`,
      clientIp: '198.18.0.254',
    }));
    const t = new SystemTarget({ description: d, nodes, runId: 'abc12', options: { electionMs: '900' }, ports: { client: 9000 }, remote: false, surroundings: { client: () => ({}) as never } });
    expect(t.values('n2', 'new')).toEqual({
      node: 'n2',
      index: '2',
      ip: '198.18.0.2',
      host: 'h2',
      peers: '198.18.0.1,198.18.0.3',
      nodes: 'n1,n2,n3',
      ips: '198.18.0.1,198.18.0.2,198.18.0.3',
      count: '3',
      majority: '2',
      dataDir: '/run/data/n2',
      logDir: '/run/logs/n2',
      runId: 'abc12',
      clusterState: 'new',
      clientIp: '198.18.0.254',
      user: 'kv',
      'port.client': '9000',
      'port.peer': '7001',
      electionMs: '900',
      all: 'n1=198.18.0.1:7001,n2=198.18.0.2:7001,n3=198.18.0.3:7001',
      others: '1;3',
      seed: '198.18.0.1',
    });
    expect(t.values('n1').clusterState).toBe('existing');
    expect(() => new SystemTarget({ description: d, nodes, runId: 'x', options: { nope: '1' }, remote: false, surroundings: { client: () => ({}) as never } })).toThrow(
      '/d/kv.json: the system has no option "nope" (its options: electionMs)',
    );
    expect(join(d.dir, 'kv.py')).toBe('/d/kv.py');
  });
});
